"""A run's results read into the deck's plain data (:class:`~workbench.deck.DeckData`).

The deck package renders plain data and imports no result class; this module is the one
place that knows both: it takes the typed results of a wave (the study, the
:class:`~workbench.criteria.Scorecard`, the chosen :class:`~workbench.describe.profiles.SegmentProfiles`,
the :class:`~workbench.describe.opportunities.Opportunities`, the
:class:`~workbench.quality.QualityReport`, the factor solutions, the
:class:`~workbench.segments.Candidates` and the :class:`~workbench.behaviour.Behaviour`)
and keeps what the slides show: tables and numbers, never respondents, never PII columns.

Used by the deck step (:mod:`workbench.steps.deck`), by notebooks and by the tests
(:func:`build_deck`, :func:`write_deck`: the data and the slides in one call).
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..behaviour import Behaviour
from ..criteria import Scorecard
from ..deck import DeckData, DeckTrends, render_deck
from ..deck.data import PROFILE_COLUMNS, frame_to_json
from ..files.jsonplain import plain
from ..deck.render import deck_options
from ..factors import EFAResult
from ..core.measures import column_label
from ..core.stats import design_effect, effective_n
from ..files.outputs import in_words
from ..describe.opportunities import Opportunities
from ..describe.personas import Personas
from ..describe.profiles import SegmentProfiles
from ..quality import QualityReport
from ..segments import Candidates
from ..study import Study

__all__ = ["deck_data", "build_deck", "write_deck"]

_OPPORTUNITY_COLUMNS = ["segment", "outcome", "label", "importance", "satisfaction", "opportunity", "underserved"]
_CHECK_COLUMNS = ("criterion", "check", "status", "value", "threshold", "sentence")
_FIT_COLUMNS = ["candidate", "method", "k", "status", "bic", "entropy", "smallest_share", "smallest_n",
                "stability_mean", "starts", "starts_added", "ll_gap", "blrt_p", "blrt_reps", "blrt_p_floor", "max_bvr", "max_bvr_pair",
                "flags"]
_QUALITY_COLUMNS = ("check", "action", "threshold", "flagged", "excluded")


def _weighting_figures(raking, names: dict) -> dict:
    """The raking's figures as plain numbers (the deck words and rounds them in its language)."""
    d = raking.diagnostics
    return {"variables": [str(names.get(v) or v) for v in raking.variables], "n": int(d["n"]),
            "effective_n": float(d["effective n"]), "design_effect": float(d["design effect"]),
            "min_weight": float(d["min weight"]), "max_weight": float(d["max weight"]),
            "converged": bool(d["converged"])}


def _survey_weight_figures(study: Study, weights: pd.Series) -> dict:
    """A declared weight column's figures, the weights relative to their mean (1 = the average
    respondent, as raking weights are), Kish's effective n and design effect
    (:func:`workbench.core.stats.design_effect`); the column is not named (its name is the data's)."""
    w = weights.dropna().to_numpy(dtype=float)
    rel = w / w.mean()
    return {"kind": "survey", "variables": [], "n": int(len(w)), "effective_n": effective_n(w),
            "design_effect": design_effect(w), "min_weight": float(rel.min()), "max_weight": float(rel.max()),
            "converged": True}


def _present(frame: pd.DataFrame, columns) -> pd.DataFrame:
    return frame[[c for c in columns if c in frame.columns]]


def _factor_rows(factors: dict[str, EFAResult], names: dict | None = None) -> tuple[list[dict], list[str]]:
    """One row per factor (battery, factor, items, variance %, alpha) and one headline per battery;
    ``names``: a battery's label as the client reads it (the study's block label), not its key."""
    rows, notes = [], []
    names = names or {}
    for battery, res in factors.items():
        scales = res.scales()
        alphas = {}
        if res.reliability is not None:
            rs = res.reliability.summary()
            if "alpha" in rs.columns:
                alphas = {str(k): float(v) for k, v in rs["alpha"].items() if float(v) >= 0}  # never a negative alpha on a slide
        var = res.variance["Proportion Var"] if "Proportion Var" in res.variance.columns else pd.Series(dtype=float)
        for f in res.names:
            items = [res.labels.get(i, i) for i in scales.get(f, [])]
            rows.append({"battery": str(names.get(battery) or battery), "factor": str(f), "items": ", ".join(map(str, items)),
                         "variance %": float(var.get(f, np.nan)) * 100, "alpha": alphas.get(str(f), np.nan)})
        notes.append(f"{battery}: {res.headline()}")
        if res.count_sentence():  # which counting rules agreed, in words
            notes.append(f"{battery}: {res.count_sentence()}")
    return rows, notes


#: Measures and categories of the whole customer base the deck quotes as "all customers".
_BASE_MEANS = ("revenue", "frequency", "cost_to_serve", "lapsed", "digital_share", "recency_days", "aov", "return_rate")
_BASE_MIXES = ("dominant_channel", "rfm_tier")


def _customer_base(behaviour: Behaviour | None) -> dict | None:
    """The wave's whole customer base (ERP) as the deck quotes it for "all customers": its size,
    the mean of each measure (a flag such as ``lapsed`` as % true, as the profile shows it) and
    the mix of each category (% of the customers with one); None without behaviour data."""
    if behaviour is None or behaviour.customers is None or not len(behaviour.customers):
        return None
    c = behaviour.customers
    means, mixes = {}, {}
    for var in _BASE_MEANS:
        if var in c.columns:
            col = c[var]
            if pd.api.types.is_bool_dtype(col) or col.dropna().isin([True, False]).all() and col.dtype == object:
                v = 100.0 * col.dropna().astype(bool).mean() if col.notna().any() else np.nan
            else:
                v = pd.to_numeric(col, errors="coerce").mean()
            if pd.notna(v):
                means[var] = float(v)
    for var in _BASE_MIXES:
        if var in c.columns and c[var].notna().any():
            mix = c[var].dropna().astype(str)
            mix = mix[mix.str.len() > 0].value_counts(normalize=True) * 100
            mixes[var] = {str(k): float(v) for k, v in mix.items()}
    return {"n": int(len(c)), "means": means, "mixes": mixes}


def _fieldwork(start, end) -> str:
    """'1 September – 2 October 2026' ('' without dates; one date alone as 'ended ...' / 'from ...')."""
    day = (lambda d, year=True: f"{d.day} {d:%B}" + (f" {d.year}" if year else ""))
    if start and end:
        return f"{day(start, start.year != end.year)} – {day(end)}"
    if end:
        return f"ended {day(end)}"
    return f"from {day(start)}" if start else ""


def deck_data(study: Study, scorecard: Scorecard | None, profiles: SegmentProfiles | None,
              opportunities: Opportunities | None = None, *, wave, date: _dt.date | str | None = None,
              quality: QualityReport | None = None, factors: dict[str, EFAResult] | None = None,
              segments: Candidates | None = None, behaviour: Behaviour | None = None, model_note: str | None = None,
              options: dict | None = None, recognise: dict | None = None,
              weights: pd.Series | None = None) -> DeckData:
    """Collect the deck's inputs from a run's results.

    Parameters
    ----------
    study : Study
        Name, id, the wave's label and fieldwork end, ``min_segment_n``, PII columns (left
        out of the profile table) and the ``deck.date`` setting.
    scorecard : Scorecard or None
        None for a wave classified with a frozen model (``model_note`` then says which).
    profiles : SegmentProfiles or None
    opportunities : Opportunities, optional
    wave : str
    date : datetime.date or ISO str, optional
        The title slide's date; default: the study's ``deck.date`` (or ``options['date']``),
        else the wave's fieldwork end, else today.
    quality, factors, segments, behaviour : optional
        The run's quality report, factor solution per battery, fitted candidates and
        behaviour (for its weighting), shown in the appendix.
    model_note : str, optional
    options : dict, optional
        Overrides of the ``deck:`` settings.
    recognise : dict, optional
        The "how to recognise the segments" numbers (:func:`workbench.steps.deck.recognise_summary`).
    weights : Series, optional
        The kept respondents' survey weights when the study declares a ``weight:`` column (its
        name is the series' name): the method slide then says the figures are weighted, with the
        weights' design effect, instead of "unweighted". Raking (``behaviour``) takes precedence.

    Returns
    -------
    DeckData
        Passed through its JSON form, so that a deck built in a run and one re-rendered
        from ``deck_data.json`` are the same.
    """
    wave = str(wave)
    w = study.wave(wave)
    when = date or deck_options(study, options).get("date")
    if isinstance(when, str):
        when = _dt.date.fromisoformat(when)
    when = when or w.fieldwork_end or _dt.date.today()
    pii = set(study.pii)
    if profiles is not None:
        seg = profiles.segments.reset_index()
        seg = seg.rename(columns={seg.columns[0]: "segment"})[["segment", "n", "weighted n", "share %", "suppressed"]]
        prof = _present(profiles.table, PROFILE_COLUMNS)
        prof = prof[~prof["variable"].astype(str).isin(pii)]
        labels, total_n = list(profiles.labels), int(profiles.n)
    else:
        seg, prof, labels, total_n = pd.DataFrame(), pd.DataFrame(columns=PROFILE_COLUMNS), [], 0
    opp, under = pd.DataFrame(), 10.0
    if opportunities is not None:
        opp = _present(opportunities.table, _OPPORTUNITY_COLUMNS)
        under = float(opportunities.underserved)
    def words(text):  # codes in the run's own sentences as their labels ('rfm_tier' → 'RFM tier')
        return in_words(text, study.text_labels(), study.currency) if isinstance(text, str) else text

    card = None
    if scorecard is not None:
        checks = _present(scorecard.best.checks, _CHECK_COLUMNS)
        if "sentence" in checks.columns:
            checks = checks.assign(sentence=checks["sentence"].map(words))
        card = {"recommended": str(scorecard.recommended), "pinned": bool(scorecard.pinned),
                "reason": words(str(scorecard.reason)), "ranking": frame_to_json(scorecard.ranking),
                "checks": frame_to_json(checks)}
    fit, bases = pd.DataFrame(), {}
    if segments is not None:
        fit = _present(segments.fit_table, _FIT_COLUMNS)
        bases = {str(k): str(v) for k, v in segments.bases.items()}
    q: dict = {}
    if quality is not None:
        q = {"read": int(quality.n_in), "kept": int(quality.n_out), "excluded": int(quality.n_excluded),
             "headline": str(quality.headline()),
             "checks": frame_to_json(_present(quality.summary(), _QUALITY_COLUMNS))}
    weighting, weighting_figures = "", None
    if behaviour is not None and behaviour.weighting is not None:
        names = {v: (study.columns[v].label if v in study.columns else column_label(v, currency=study.currency))
                 for v in behaviour.weighting.variables}
        weighting = behaviour.weighting.text(names)
        weighting_figures = _weighting_figures(behaviour.weighting, names)
    elif weights is not None and weights.notna().any():
        weighting_figures = _survey_weight_figures(study, weights)
    frows, fnotes = _factor_rows(factors or {}, {k: getattr(b, "label", None) for k, b in study.spec.blocks.items()})
    fieldwork = _fieldwork(w.fieldwork_start, w.fieldwork_end)
    doc = {
        "study_id": str(study.id), "study_name": str(study.name), "wave": wave, "wave_label": str(w.label or ""),
        "date": when.isoformat(), "min_segment_n": int(study.spec.min_segment_n), "labels": plain(labels),
        "total_n": total_n, "segments": frame_to_json(seg), "profile": frame_to_json(prof),
        "opportunities": frame_to_json(opp), "underserved": under, "scorecard": card, "fit": frame_to_json(fit),
        "bases": bases, "quality": q, "weighting": weighting, "weighting_figures": weighting_figures,
        "factors": frame_to_json(pd.DataFrame(frows)),
        "factor_notes": fnotes, "model_note": words(model_note), "recognise": plain(recognise) if recognise else None,
        "currency": study.currency or "", "language": str(study.spec.study.language or "en"),
        "fieldwork": fieldwork, "base": _customer_base(behaviour),
        "fieldwork_start": w.fieldwork_start.isoformat() if w.fieldwork_start else "",
        "fieldwork_end": w.fieldwork_end.isoformat() if w.fieldwork_end else "",
    }
    return DeckData.from_dict(json.loads(json.dumps(doc, ensure_ascii=False)))


def build_deck(study: Study, scorecard: Scorecard | None, profiles: SegmentProfiles, opportunities: Opportunities | None,
               personas: Personas, *, wave, template=None, date=None, quality: QualityReport | None = None,
               factors: dict[str, EFAResult] | None = None, segments: Candidates | None = None,
               behaviour: Behaviour | None = None, trends: DeckTrends | None = None, model_note: str | None = None,
               options: dict | None = None, recognise: dict | None = None):
    """The persona deck in memory from a run's results: :func:`deck_data`, then
    :func:`workbench.deck.render_deck` (see both for the parameters).

    Returns
    -------
    pptx.presentation.Presentation
    """
    data = deck_data(study, scorecard, profiles, opportunities, wave=wave, date=date, quality=quality,
                     factors=factors, segments=segments, behaviour=behaviour, model_note=model_note, options=options,
                     recognise=recognise)
    return render_deck(data, personas, template=template, options=options, trends=trends, study=study)


def write_deck(path, study: Study, scorecard: Scorecard | None, profiles: SegmentProfiles,
               opportunities: Opportunities | None, personas: Personas, *, wave, template=None, date=None,
               **kwargs) -> Path:
    """Build the deck (:func:`build_deck`) and save it to ``path``; returns the path."""
    path = Path(path)
    prs = build_deck(study, scorecard, profiles, opportunities, personas, wave=wave, template=template, date=date,
                     **kwargs)
    prs.save(str(path))
    return path
