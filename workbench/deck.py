"""The persona deck: ``personas.pptx`` rendered with python-pptx from a run's results.

The deck is built in two steps.  :meth:`DeckData.from_results` takes the objects the
pipeline holds (the study, the :class:`~workbench.criteria.Scorecard`, the chosen
:class:`~workbench.profiles.SegmentProfiles`, the :class:`~workbench.opportunities.Opportunities`,
the quality report, factor solutions, candidate fit table and weighting) and keeps what the
slides show as plain data (tables and numbers, never respondents, never PII columns).  It is
saved as ``deck_data.json`` in the report folder, so that ``workbench deck`` can re-render the
deck after a consultant edits ``personas.yaml`` without re-fitting anything
(:func:`rerender_inputs`).  :func:`render_deck` then draws the slides from that data and the
:class:`~workbench.personas.Personas`.

Slides, in order
----------------
title; executive summary; segment sizes (native chart); segment sizes over waves and key
movements (when :class:`DeckTrends` are given); the segment comparison matrix (native table,
colour-coded indices); per persona a profile slide (headline verbatim, who they are, needs,
motivations and barriers, a native index-vs-total chart) and a behaviour slide (RFM tier and
channel mix as native charts, cost to serve, lapsed share, top underserved JTBD outcomes and
how to win them), plus continuation slides when text does not fit; appendix: method and
quality, the factor solution, the fit table of candidates, and the relevant / operational /
describable scorecard (or, for a wave classified with a frozen model, which model).  Every
slide carries speaker notes with the numbers behind it; each segment keeps one colour on
every slide (:func:`segment_colours`).

Templates
---------
The study's ``deck.template`` (a ``.pptx``) supplies slide masters, layouts, theme colours
and fonts: titles go into the layouts' title placeholders, text uses the theme's fonts, and
segments take the theme's accent colours (unless ``deck.colours`` names them).  Without one
the neutral 16:9 ``workbench/resources/deck_template.pptx`` is used (built by
``workbench/resources/make_template.py``).

Text fits by construction: every text box gets a font size chosen from its text length
(:func:`fit_font_size`, a conservative estimate of wrapped lines), and list sections that
do not fit at the smallest size move to a continuation slide.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pptx import Presentation
from .outputs import SafeCategoryChartData as CategoryChartData  # issue 14: chart workbooks hold text as text
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.util import Emu, Inches, Pt

from .errors import OutputError, StudyError

__all__ = ["build_deck", "write_deck", "render_deck", "DeckData", "DeckTrends", "load_trends", "segment_colours", "fit_font_size",
           "estimate_lines", "rerender_inputs", "apply_persona_edits", "render_pngs", "pptx_to_pdf", "PALETTE",
           "SLIDE_WIDTH", "SLIDE_HEIGHT", "DEFAULT_TEMPLATE", "DECK_DATA"]

logger = logging.getLogger(__name__)

#: Segment colours, in segment order; colour-blind-friendly (Okabe-Ito based, darkened for white text).
PALETTE = ("1F5F99", "D55E00", "117A65", "B8860B", "7B3F8C", "0072B2", "A23B72", "4D7C0F", "8C564B", "37474F")
GREY = RGBColor(0xA6, 0xA6, 0xA6)
DARK = RGBColor(0x26, 0x32, 0x38)
MUTED = RGBColor(0x5F, 0x6B, 0x73)
TINT = RGBColor(0xF1, 0xF4, 0xF7)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
#: Matrix cell fills: significantly above (strong, mild), below (mild, strong); ColorBrewer RdBu.
HIGH2, HIGH1, LOW1, LOW2 = (RGBColor.from_string(c) for c in ("F4A582", "FDDBC7", "D1E5F0", "92C5DE"))
UNDER_FILL = RGBColor.from_string("FDB863")
FONT = "Arial"

SLIDE_WIDTH = Emu(12192000)  # 13.333 in: 16:9, as PowerPoint makes it
SLIDE_HEIGHT = Emu(6858000)  # 7.5 in
MARGIN = Inches(0.5)
DEFAULT_TEMPLATE = Path(__file__).with_name("resources") / "deck_template.pptx"
#: The plain-data inputs of the deck, saved beside personas.pptx.
DECK_DATA = "deck_data.json"
DECK_DATA_VERSION = 1

#: Average glyph width as a share of the font size; deliberately wide (Arial averages ~0.5)
#: so that accented Nordic / Dutch text and capitals still fit.
CHAR_WIDTH = 0.56
LINE_HEIGHT = 1.22
PAD_X = Inches(0.1)  # python-pptx's default text-frame insets
PAD_Y = Inches(0.05)
MAX_CHART_ITEMS = 8
UNDERSERVED = "Underserved outcomes"
BEHAVIOUR = "behaviour"
#: Behavioural KPIs as they read on slides: label, how to show a value, whether it is a 0-1 share.
KPI = {
    "revenue": ("Revenue per customer", "{:,.0f}", False),
    "frequency": ("Orders per customer", "{:,.1f}", False),
    "aov": ("Average order value", "{:,.0f}", False),
    "recency_days": ("Days since last order", "{:,.0f}", False),
    "cost_to_serve": ("Cost to serve", "{:,.0f}", False),
    "lapsed": ("Lapsed customers", "{:.0f} %", False),
    "digital_share": ("Digital share of orders", "{:.0f} %", True),
    "return_rate": ("Return rate", "{:.1f} %", True),
}
TILE_KPIS = ("cost_to_serve", "lapsed", "revenue", "frequency")
MATRIX_KPIS = ("revenue", "frequency", "cost_to_serve", "lapsed", "digital_share")
TIER_ORDER = ("gold", "silver", "bronze", "no purchases")


# ============================================================================ data


def _plain(v):
    """A JSON-safe Python value (numpy scalars unwrapped, NaN as None)."""
    if isinstance(v, (np.generic,)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (_dt.date, _dt.datetime, pd.Timestamp)):
        return v.isoformat()
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


def _frame_to_json(df: pd.DataFrame | None) -> dict:
    if df is None or not len(df.columns):
        return {"columns": [], "rows": []}
    return {"columns": [str(c) for c in df.columns], "rows": [[_plain(v) for v in row] for row in df.itertuples(index=False)]}


def _frame_from_json(d: dict | None) -> pd.DataFrame:
    d = d or {"columns": [], "rows": []}
    return pd.DataFrame(d["rows"], columns=d["columns"])


PROFILE_COLUMNS = ["block", "kind", "variable", "label", "measure", "category", "stat", "trait", "segment", "n",
                   "value", "total", "index", "p_adj", "sig"]


@dataclass(frozen=True)
class DeckTrends:
    """Wave-to-wave trends for the two trend slides (issue 8 fills these in).

    Attributes
    ----------
    sizes : DataFrame
        One row per wave and segment: ``wave``, ``segment``, ``name``, ``n``, ``share`` (%),
        ``ci_low``, ``ci_high`` (% bounds of the share's confidence interval).
    movements : tuple of str
        One sentence per notable movement, most important first.
    refit : str
        Advice on whether to refit the segmentation or keep classifying with the frozen model.
    """

    sizes: pd.DataFrame
    movements: tuple = ()
    refit: str = ""

    def __post_init__(self):
        need = {"wave", "segment", "name", "n", "share", "ci_low", "ci_high"}
        missing = need - set(self.sizes.columns)
        if missing:
            raise OutputError(f"DeckTrends.sizes lacks the column(s) {', '.join(sorted(missing))}; "
                              f"it needs {', '.join(sorted(need))}")
        object.__setattr__(self, "movements", tuple(self.movements))

    def to_dict(self) -> dict:
        """Plain JSON-ready data (saved beside deck_data.json so ``workbench deck`` keeps the trends)."""
        sizes = self.sizes[["wave", "segment", "name", "n", "share", "ci_low", "ci_high"]].copy()
        sizes["wave"] = sizes["wave"].astype(str)
        return {"sizes": json.loads(sizes.to_json(orient="records", force_ascii=False)),
                "movements": list(self.movements), "refit": self.refit}

    @classmethod
    def from_dict(cls, d: dict) -> "DeckTrends":
        return cls(sizes=pd.DataFrame(d["sizes"], columns=["wave", "segment", "name", "n", "share", "ci_low", "ci_high"]),
                   movements=tuple(d.get("movements", ())), refit=str(d.get("refit", "")))


def load_trends(folder) -> "DeckTrends | None":
    """A later wave's trend slides saved by its run (``deck_trends.json``), or None."""
    path = Path(folder) / "deck_trends.json"
    if not path.is_file():
        return None
    return DeckTrends.from_dict(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True, eq=False)
class DeckData:
    """What the deck shows, as plain data: tables and numbers, no respondents, no PII.

    Built by :meth:`from_results` in a run, saved as ``deck_data.json`` (:meth:`save`) and
    read back by ``workbench deck`` (:meth:`load`); rendering from either gives the same deck.

    Attributes
    ----------
    study_id, study_name, wave, wave_label : str
    date : str
        ISO date shown on the title slide (the wave's fieldwork end, else the run's date).
    min_segment_n : int
    labels : tuple
        Every segment label of the chosen segmentation, suppressed ones included.
    total_n : int
    segments : DataFrame
        ``segment``, ``n``, ``weighted n``, ``share %``, ``suppressed``.
    profile : DataFrame
        The profile table (:attr:`SegmentProfiles.table`), columns :data:`PROFILE_COLUMNS`.
    opportunities : DataFrame
        JTBD opportunity scores per segment and outcome (empty without outcomes).
    underserved : float
        Opportunity score from which an outcome counts as underserved.
    scorecard : dict or None
        ``recommended``, ``pinned``, ``reason``, ``ranking`` and ``checks`` (DataFrames).
    fit : DataFrame
        Fit table of the candidate segmentations.
    bases : dict
        What each segmentation method segmented.
    quality : dict
        ``read``, ``kept``, ``excluded``, ``headline`` and ``checks`` (DataFrame).
    weighting : str
        One line on the weighting ('' when unweighted).
    factors : DataFrame
        ``battery``, ``factor``, ``items``, ``variance %``, ``alpha``.
    factor_notes : tuple of str
        One headline per battery.
    model_note : str or None
        For a wave classified with a frozen model: which wave's model.
    recognise : dict or None
        How the segments are recognised outside the survey: ``questions`` (golden
        question labels, in order), ``accuracy`` and ``baseline`` of the typing tool,
        ``fitted_wave``, and for the whole customer base ``customers``, ``from_survey``,
        ``from_model``, ``confident``, ``base_accuracy`` and ``base_baseline``.
    """

    study_id: str
    study_name: str
    wave: str
    wave_label: str
    date: str
    min_segment_n: int
    labels: tuple
    total_n: int
    segments: pd.DataFrame = field(repr=False)
    profile: pd.DataFrame = field(repr=False)
    opportunities: pd.DataFrame = field(repr=False)
    underserved: float = 10.0
    scorecard: dict | None = field(default=None, repr=False)
    fit: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    bases: dict = field(default_factory=dict, repr=False)
    quality: dict = field(default_factory=dict, repr=False)
    weighting: str = ""
    factors: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    factor_notes: tuple = ()
    model_note: str | None = None
    recognise: dict | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_results(cls, study, wave, scorecard, profiles, opportunities=None, *, quality=None, factors=None,
                     segments=None, behaviour=None, model_note=None, date=None, recognise=None) -> "DeckData":
        """Collect the deck's inputs from a run's result objects (see the class docstring)."""
        wave = str(wave)
        w = study.wave(wave)
        when = date or getattr(w, "fieldwork_end", None) or _dt.date.today()
        pii = set(getattr(study, "pii", ()) or ())
        if profiles is not None:
            seg = profiles.segments.reset_index()
            seg = seg.rename(columns={seg.columns[0]: "segment"})[["segment", "n", "weighted n", "share %", "suppressed"]]
            prof = profiles.table[[c for c in PROFILE_COLUMNS if c in profiles.table.columns]]
            prof = prof[~prof["variable"].astype(str).isin(pii)]
            labels, total_n = list(profiles.labels), int(profiles.n)
        else:
            seg, prof, labels, total_n = pd.DataFrame(), pd.DataFrame(columns=PROFILE_COLUMNS), [], 0
        opp = pd.DataFrame()
        under = 10.0
        if opportunities is not None:
            cols = ["segment", "outcome", "label", "importance", "satisfaction", "opportunity", "underserved"]
            opp = opportunities.table[[c for c in cols if c in opportunities.table.columns]]
            under = float(opportunities.underserved)
        card = None
        if scorecard is not None:
            checks = scorecard.best.checks
            card = {"recommended": str(scorecard.recommended), "pinned": bool(scorecard.pinned),
                    "reason": str(scorecard.reason), "ranking": _frame_to_json(scorecard.ranking),
                    "checks": _frame_to_json(checks[[c for c in ("criterion", "check", "status", "value", "threshold",
                                                                  "sentence") if c in checks.columns]])}
        fit = pd.DataFrame()
        bases: dict = {}
        if segments is not None and getattr(segments, "fit_table", None) is not None:
            cols = ["candidate", "method", "k", "status", "bic", "entropy", "smallest_share", "smallest_n",
                    "stability_mean", "flags"]
            ft = segments.fit_table
            fit = ft[[c for c in cols if c in ft.columns]]
            bases = {str(k): str(v) for k, v in (getattr(segments, "bases", {}) or {}).items()}
        q: dict = {}
        if quality is not None:
            checks = quality.summary()
            q = {"read": int(quality.n_in), "kept": int(quality.n_out), "excluded": int(quality.n_excluded),
                 "headline": str(quality.headline() if callable(getattr(quality, "headline", None)) else quality),
                 "checks": _frame_to_json(checks[[c for c in ("check", "action", "threshold", "flagged", "excluded")
                                                  if c in checks.columns]])}
        weighting = ""
        wt = getattr(behaviour, "weighting", None)
        if wt is not None:
            weighting = str(wt)
        frows, fnotes = [], []
        for battery, res in (factors or {}).items():
            if not hasattr(res, "names"):
                continue
            scales = res.scales() if callable(getattr(res, "scales", None)) else {}
            rel = getattr(res, "reliability", None)
            alphas = {}
            if rel is not None and callable(getattr(rel, "summary", None)):
                rs = rel.summary()
                if "alpha" in rs.columns:
                    alphas = {str(k): float(v) for k, v in rs["alpha"].items()}
            var = res.variance["Proportion Var"] if "Proportion Var" in res.variance.columns else pd.Series(dtype=float)
            for f in res.names:
                items = [res.labels.get(i, i) for i in scales.get(f, [])]
                frows.append({"battery": str(battery), "factor": str(f), "items": ", ".join(map(str, items)),
                              "variance %": float(var.get(f, np.nan)) * 100, "alpha": alphas.get(str(f), np.nan)})
            fnotes.append(f"{battery}: {res.headline()}" if callable(getattr(res, "headline", None)) else str(battery))
        plain = {
            "study_id": str(study.id), "study_name": str(study.name), "wave": wave,
            "wave_label": str(getattr(w, "label", "") or ""), "date": when.isoformat(),
            "min_segment_n": int(study.spec.min_segment_n), "labels": _plain(labels), "total_n": total_n,
            "segments": _frame_to_json(seg), "profile": _frame_to_json(prof), "opportunities": _frame_to_json(opp),
            "underserved": under, "scorecard": card, "fit": _frame_to_json(fit), "bases": bases, "quality": q,
            "weighting": weighting, "factors": _frame_to_json(pd.DataFrame(frows)), "factor_notes": fnotes,
            "model_note": model_note, "recognise": _plain(recognise) if recognise else None,
        }
        # through JSON, so that a deck built in a run and one re-rendered from deck_data.json are the same
        return cls.from_dict(json.loads(json.dumps(plain, ensure_ascii=False)))

    # ------------------------------------------------------------------ plain data
    def to_dict(self) -> dict:
        """The data as JSON-ready dicts and lists (tables as ``{'columns', 'rows'}``)."""
        card = None
        if self.scorecard is not None:
            card = {**self.scorecard, "ranking": _frame_to_json(self.scorecard["ranking"]),
                    "checks": _frame_to_json(self.scorecard["checks"])}
        q = dict(self.quality)
        if "checks" in q:
            q["checks"] = _frame_to_json(q["checks"])
        return {
            "study_id": self.study_id, "study_name": self.study_name, "wave": self.wave, "wave_label": self.wave_label,
            "date": self.date, "min_segment_n": self.min_segment_n, "labels": _plain(list(self.labels)),
            "total_n": self.total_n, "segments": _frame_to_json(self.segments), "profile": _frame_to_json(self.profile),
            "opportunities": _frame_to_json(self.opportunities), "underserved": self.underserved, "scorecard": card,
            "fit": _frame_to_json(self.fit), "bases": dict(self.bases), "quality": q, "weighting": self.weighting,
            "factors": _frame_to_json(self.factors), "factor_notes": list(self.factor_notes),
            "model_note": self.model_note, "recognise": self.recognise,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "DeckData":
        card = d.get("scorecard")
        if card is not None:
            card = {**card, "ranking": _frame_from_json(card.get("ranking")), "checks": _frame_from_json(card.get("checks"))}
        q = dict(d.get("quality") or {})
        if "checks" in q:
            q["checks"] = _frame_from_json(q["checks"])
        return cls(
            study_id=d["study_id"], study_name=d["study_name"], wave=str(d["wave"]), wave_label=d.get("wave_label", ""),
            date=d["date"], min_segment_n=int(d["min_segment_n"]), labels=tuple(d.get("labels") or ()),
            total_n=int(d.get("total_n") or 0), segments=_frame_from_json(d.get("segments")),
            profile=_frame_from_json(d.get("profile")), opportunities=_frame_from_json(d.get("opportunities")),
            underserved=float(d.get("underserved", 10.0)), scorecard=card, fit=_frame_from_json(d.get("fit")),
            bases=dict(d.get("bases") or {}), quality=q, weighting=d.get("weighting") or "",
            factors=_frame_from_json(d.get("factors")), factor_notes=tuple(d.get("factor_notes") or ()),
            model_note=d.get("model_note"), recognise=d.get("recognise"),
        )

    def save(self, path, personas) -> Path:
        """Write ``deck_data.json``: this data and the personas as the run merged them (UTF-8)."""
        path = Path(path)
        doc = {"format": "workbench deck data", "version": DECK_DATA_VERSION, "data": self.to_dict(),
               "personas": [_persona_dict(p) for p in personas]}
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path) -> tuple["DeckData", Any]:
        """Read a ``deck_data.json``; returns the data and the personas saved with it.

        Raises
        ------
        OutputError
            The file is missing, not JSON or not deck data.
        """
        from .personas import Persona, Personas

        path = Path(path)
        if not path.exists():
            raise OutputError(f"no deck data found ({path.name} missing): run `workbench run` for this wave first "
                              "(runs made before the deck could be re-rendered need one more run)", file=path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise OutputError(f"{path.name} is not valid JSON ({exc}); re-run the wave", file=path) from None
        if not isinstance(doc, dict) or doc.get("format") != "workbench deck data":
            raise OutputError(f"{path.name} is not workbench deck data; re-run the wave", file=path)
        if doc.get("version") != DECK_DATA_VERSION:
            raise OutputError(f"{path.name} has version {doc.get('version')}, this workbench reads version "
                              f"{DECK_DATA_VERSION}; re-run the wave", file=path)
        data = cls.from_dict(doc["data"])
        ps = tuple(Persona(**_persona_fields(p)) for p in doc.get("personas") or [])
        return data, Personas(personas=ps, study_id=data.study_id, wave=data.wave)

    # ------------------------------------------------------------------ helpers
    def seg_row(self, segment) -> dict | None:
        s = self.segments
        if not len(s):
            return None
        hit = s[s["segment"].astype(str) == str(segment)]
        return hit.iloc[0].to_dict() if len(hit) else None

    @property
    def suppressed(self) -> list:
        s = self.segments
        return list(s.loc[s["suppressed"].astype(bool), "segment"]) if len(s) else []

    def rows(self, segment=None, **eq) -> pd.DataFrame:
        """Profile rows of a segment (or all) with column == value filters."""
        t = self.profile
        if not len(t):
            return t
        m = np.ones(len(t), dtype=bool)
        if segment is not None:
            m &= (t["segment"].astype(str) == str(segment)).to_numpy()
        for k, v in eq.items():
            m &= (t[k] == v).to_numpy()
        return t[m]

    def underserved_outcomes(self, segment) -> pd.DataFrame:
        o = self.opportunities
        if not len(o):
            return o
        o = o[(o["segment"].astype(str) == str(segment)) & o["underserved"].astype(bool)]
        return o.sort_values(["opportunity", "label"], ascending=[False, True], kind="stable")

    def summary(self) -> pd.DataFrame:
        """One row per segment: n, share, suppressed (the deck's sizes)."""
        return self.segments.copy()


_PERSONA_KEYS = ("id", "segment", "name", "description", "needs", "motivations", "barriers", "behaviours",
                 "underserved", "quotes", "n", "share", "suppressed", "profile", "edited", "locked", "draft_hashes",
                 "extra")


def _persona_dict(p) -> dict:
    out = {}
    for k in _PERSONA_KEYS:
        v = getattr(p, k)
        out[k] = [dict(q) for q in v] if k == "quotes" else _plain(list(v) if isinstance(v, tuple) else v)
    return out


def _persona_fields(d: dict) -> dict:
    out = {k: d[k] for k in _PERSONA_KEYS if k in d}
    for k in ("needs", "motivations", "barriers", "behaviours", "underserved", "edited"):
        out[k] = tuple(out.get(k) or ())
    out["quotes"] = tuple(dict(q) for q in out.get("quotes") or ())
    return out


# ============================================================================ re-rendering


def _yaml_lines(path: Path) -> dict:
    """Line of each persona's keys in a personas.yaml: {(index, key): line}."""
    import yaml

    out: dict = {}
    try:
        node = yaml.compose(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError:
        return out
    if not isinstance(node, yaml.MappingNode):
        return out
    for k, v in node.value:
        if k.value == "personas" and isinstance(v, yaml.SequenceNode):
            for i, item in enumerate(v.value):
                out[(i, None)] = item.start_mark.line + 1
                if isinstance(item, yaml.MappingNode):
                    for kk, vv in item.value:
                        out[(i, kk.value)] = kk.start_mark.line + 1
    return out


def apply_persona_edits(personas, path):
    """The run's personas with the texts of a consultant-edited ``personas.yaml``.

    Personas are matched by ``id`` (the ids the workbench wrote); the editable fields found
    in the file replace the run's text, numbers (n, share, suppression) stay the run's.
    ``how_to_win`` and other added keys travel in ``extra``.

    Raises
    ------
    StudyError
        The file is not valid YAML or a field has the wrong type, naming the persona, key and line.
    """
    from .personas import EDITABLE, _hash, _hashable, load_personas

    path = Path(path)
    if not path.exists():
        raise StudyError("personas.yaml not found; `workbench run` writes it beside study.yaml", file=path)
    doc = load_personas(path)
    lines = _yaml_lines(path)
    by_id = {}
    for i, entry in enumerate(doc["personas"]):
        by_id[str(entry["id"])] = (i, entry)
    out = []
    for p in personas:
        if p.id not in by_id:
            logger.warning("deck: persona %s (segment %s) is not in %s; its text from the run is used", p.id, p.segment,
                           path.name)
            out.append(p)
            continue
        i, entry = by_id[p.id]
        values = {}
        for f in EDITABLE:
            if f not in entry:
                continue
            v = entry[f]
            where = lines.get((i, f)) or lines.get((i, None))
            if f in ("name", "description"):
                if v is None or isinstance(v, (dict, list)):
                    raise StudyError(f"persona {p.id}: '{f}' must be text, got {type(v).__name__}", file=path, row=where,
                                     column=f)
                values[f] = str(v).strip() if f == "name" else str(v)
            elif f == "quotes":
                if v is not None and not isinstance(v, list):
                    raise StudyError(f"persona {p.id}: 'quotes' must be a list of quotes (- text: ...)", file=path,
                                     row=where, column=f)
                qs = []
                for q in v or []:
                    if isinstance(q, dict) and isinstance(q.get("text", ""), str):
                        qs.append(dict(q))
                    elif isinstance(q, str):
                        qs.append({"text": q})
                    else:
                        raise StudyError(f"persona {p.id}: each quote must be text or a mapping with 'text:'",
                                         file=path, row=where, column=f)
                values[f] = tuple(qs)
            else:
                if v is not None and not isinstance(v, list):
                    raise StudyError(f"persona {p.id}: '{f}' must be a list (one '- item' per line), got "
                                     f"{type(v).__name__}", file=path, row=where, column=f)
                if any(isinstance(x, (dict, list)) for x in v or []):
                    raise StudyError(f"persona {p.id}: '{f}' must be a list of texts", file=path, row=where, column=f)
                values[f] = tuple(str(x) for x in v or [])
        if "name" in values and not values["name"]:
            raise StudyError(f"persona {p.id}: 'name' is empty; give the persona a name", file=path,
                             row=lines.get((i, "name")), column="name")
        win = entry.get("how_to_win")
        if win is not None and not (isinstance(win, (str, list)) and all(isinstance(x, str) for x in (
                win if isinstance(win, list) else [win]))):
            raise StudyError(f"persona {p.id}: 'how_to_win' must be a list of texts", file=path,
                             row=lines.get((i, "how_to_win")), column="how_to_win")
        known = set(EDITABLE) | {"id", "segment", "size", "suppressed", "edited", "locked", "draft_hashes", "profile"}
        extra = {k: v for k, v in entry.items() if k not in known}
        q = replace(p, **values, extra=extra, locked=bool(entry.get("locked", False)))
        edited = tuple(f for f in EDITABLE if p.draft_hashes.get(f) and _hash(_hashable(f, getattr(q, f))) != p.draft_hashes[f])
        out.append(replace(q, edited=edited))
    from .personas import Personas

    return Personas(personas=tuple(out), study_id=personas.study_id, wave=personas.wave,
                    random_state=personas.random_state, unmatched=tuple(doc["unmatched"]), path=path)


def rerender_inputs(folder, personas_yaml):
    """The saved deck data of a report folder and its personas with the consultant's edits applied.

    Returns
    -------
    (DeckData, Personas)
    """
    data, personas = DeckData.load(Path(folder) / DECK_DATA)
    return data, apply_persona_edits(personas, personas_yaml)


# ============================================================================ text fitting


def segment_colours(labels, palette=PALETTE) -> dict:
    """One colour per segment label, by position, stable across every slide.

    Parameters
    ----------
    labels : sequence
        All segment labels of the segmentation, suppressed ones included, so that a
        segment's colour does not depend on which others are shown.
    palette : sequence of hex str, default=PALETTE
        Colours in segment order (the template's accents or ``deck.colours``); cycled.

    Returns
    -------
    dict
        Label → :class:`pptx.dml.color.RGBColor`.
    """
    return {s: RGBColor.from_string(palette[i % len(palette)]) for i, s in enumerate(labels)}


def estimate_lines(text: str, width_emu: int, size_pt: float) -> int:
    """Lines ``text`` wraps into in a box ``width_emu`` wide at ``size_pt`` (conservative).

    Words are wrapped greedily at an average glyph width of ``CHAR_WIDTH`` × the font
    size; a word longer than a line is broken.  Each paragraph (``\\n``) starts a line.
    """
    usable_pt = max((width_emu - 2 * PAD_X) / 12700, 1.0)
    per_line = max(int(usable_pt / (CHAR_WIDTH * size_pt)), 1)
    lines = 0
    for para in text.split("\n"):
        cur = 0
        n = 1
        for word in para.split():
            w = len(word)
            if cur == 0:
                n += (w - 1) // per_line
                cur = w % per_line or per_line
            elif cur + 1 + w <= per_line:
                cur += 1 + w
            else:
                n += 1 + (w - 1) // per_line
                cur = w % per_line or per_line
        lines += n
    return lines


def text_height(text: str, width_emu: int, size_pt: float, *, space_pt: float = 0.0) -> int:
    """Estimated height (EMU) of ``text`` at ``size_pt``, with ``space_pt`` before each paragraph."""
    paras = text.count("\n") + 1
    pts = estimate_lines(text, width_emu, size_pt) * size_pt * LINE_HEIGHT + space_pt * (paras - 1)
    return int(pts * 12700 + 2 * PAD_Y)


def fit_font_size(text: str, width_emu: int, height_emu: int, *, max_pt: float = 18, min_pt: float = 10,
                  space_pt: float = 0.0) -> float | None:
    """Largest font size (whole points, ``max_pt`` down to ``min_pt``) at which ``text`` fits.

    Returns
    -------
    float or None
        None when the text does not fit even at ``min_pt``.
    """
    size = float(max_pt)
    while size >= min_pt:
        if text_height(text, width_emu, size, space_pt=space_pt) <= height_emu:
            return size
        size -= 1
    return None


@dataclass(frozen=True)
class _Box:
    left: int
    top: int
    width: int
    height: int


def _joined(paragraphs) -> str:
    """The text of paragraphs (str or (str, options)) as laid out, bullets included."""
    paras = [(p, {}) if isinstance(p, str) else p for p in paragraphs]
    return "\n".join(("• " if o.get("bullet") else "") + t for t, o in paras)


def _shorten(text: str, width: int, height: int, size: float, *, space_pt: float = 0.0, prefix=()) -> str:
    """``text`` cut at a word boundary (ending in '…') so that ``prefix`` + it fits at ``size``."""
    cut: list = []
    for w in text.split():
        trial = _joined(list(prefix) + [" ".join(cut + [w]) + " …"])
        if text_height(trial, width, size, space_pt=space_pt) > height:
            break
        cut.append(w)
    return " ".join(cut) + " …"


# ============================================================================ theme and layouts


def _theme_of(prs) -> dict:
    """Theme colours (slot → hex) and fonts ('major', 'minor') of the first slide master."""
    from lxml import etree

    out: dict = {"colours": {}, "major": FONT, "minor": FONT}
    try:
        part = prs.slide_master.part.part_related_by(RT.THEME)
        root = etree.fromstring(part.blob)
    except (KeyError, etree.XMLSyntaxError):
        return out
    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    scheme = root.find(f".//{a}clrScheme")
    if scheme is not None:
        for slot in scheme:
            el = slot[0] if len(slot) else None
            if el is None:
                continue
            val = el.get("val") if el.tag == f"{a}srgbClr" else el.get("lastClr")
            if val:
                out["colours"][slot.tag.replace(a, "")] = val.upper()
    for which, key in (("majorFont", "major"), ("minorFont", "minor")):
        latin = root.find(f".//{a}fontScheme/{a}{which}/{a}latin")
        if latin is not None and latin.get("typeface") and not latin.get("typeface").startswith("+"):
            out[key] = latin.get("typeface")
    return out


def _luminance(hexval: str) -> float:
    r, g, b = (int(hexval[i:i + 2], 16) / 255 for i in (0, 2, 4))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _readable(hexval: str) -> str:
    """The colour darkened until white text on it and it as text on white are readable (contrast ≥ 3)."""
    r, g, b = (int(hexval[i:i + 2], 16) for i in (0, 2, 4))
    for _ in range(20):
        h = f"{r:02X}{g:02X}{b:02X}"
        if (1.05) / (_luminance(h) + 0.05) >= 3.0:
            return h
        r, g, b = int(r * 0.85), int(g * 0.85), int(b * 0.85)
    return f"{r:02X}{g:02X}{b:02X}"


def _ph_type(ph):
    try:
        return ph.placeholder_format.type
    except ValueError:  # pragma: no cover - not a placeholder
        return None


_TITLE_TYPES = (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)
_FOOTER_TYPES = (PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER)


def _layouts(prs):
    """(title layout, content layout, blank layout) of a template, chosen by placeholders."""
    lays = list(prs.slide_layouts)

    def kinds(lay):
        return [_ph_type(ph) for ph in lay.placeholders if _ph_type(ph) not in _FOOTER_TYPES]

    title = next((lay for lay in lays if PP_PLACEHOLDER.CENTER_TITLE in kinds(lay)), None)
    title_only = [lay for lay in lays if kinds(lay) == [PP_PLACEHOLDER.TITLE]]
    named = [lay for lay in title_only if lay.name.lower().replace(" ", "") in ("titleonly", "onlytitle")]
    content = (named or title_only or [lay for lay in lays if PP_PLACEHOLDER.TITLE in kinds(lay)] or [None])[0]
    blank = min(lays, key=lambda lay: len(kinds(lay))) if lays else None
    return title or content, content, blank


class _Deck:
    """The presentation being drawn and its geometry, fonts and colours."""

    def __init__(self, prs, *, footer: str, palette):
        self.prs = prs
        self.W, self.H = int(prs.slide_width), int(prs.slide_height)
        theme = _theme_of(prs)
        self.major, self.minor = theme["major"], theme["minor"]
        tc = theme["colours"]
        self.dark = RGBColor.from_string(tc["dk1"]) if tc.get("dk1") and _luminance(tc["dk1"]) < 0.2 else DARK
        self.head = RGBColor.from_string(tc["dk2"]) if tc.get("dk2") and _luminance(tc["dk2"]) < 0.2 else self.dark
        self.palette = palette
        self.title_layout, self.content_layout, self.blank_layout = _layouts(prs)
        self.footer = footer
        self.margin = int(MARGIN)
        tph = None
        if self.content_layout is not None:
            tph = next((ph for ph in self.content_layout.placeholders if _ph_type(ph) in _TITLE_TYPES), None)
        if tph is not None and tph.top is not None and tph.top + tph.height < self.H / 3:
            self.title_box = _Box(int(tph.left), int(tph.top), int(tph.width), int(tph.height))
        else:
            self.title_box = _Box(self.margin, int(Inches(0.3)), self.W - 2 * self.margin, int(Inches(0.8)))
        tb = self.title_box
        self.sub_box = _Box(tb.left, tb.top + tb.height + int(Inches(0.02)), tb.width, int(Inches(0.4)))
        self.top = self.sub_box.top + self.sub_box.height + int(Inches(0.15))
        self.bottom = self.H - int(Inches(0.5))
        self.width = self.W - 2 * self.margin

    # ------------------------------------------------------------------ primitives
    def slide(self, layout=None):
        layout = layout or self.content_layout or self.blank_layout
        s = self.prs.slides.add_slide(layout)
        keep = _TITLE_TYPES + ((PP_PLACEHOLDER.SUBTITLE,) if layout is self.title_layout else ())
        for ph in list(s.placeholders):  # unused placeholders would show "Click to add text"
            if _ph_type(ph) not in keep:
                ph._element.getparent().remove(ph._element)
        return s

    def text(self, slide, box: _Box, paragraphs, *, max_pt=18, min_pt=10, bold=False, italic=False, colour=None,
             align=PP_ALIGN.LEFT, space_pt=4.0, size=None, font=None, shape=None, anchor=None):
        """A text box whose font size is set from its text; returns the size used.

        ``paragraphs`` is a list of str or of (str, dict) with per-paragraph ``bold`` /
        ``colour`` / ``bullet`` / ``size``.  Text that does not fit at ``min_pt`` is an error of
        the caller (which splits first); here it is shrunk to ``min_pt`` and logged.
        """
        paras = [(p, {}) if isinstance(p, str) else p for p in paragraphs]
        full = _joined(paras)
        if size is None:
            size = fit_font_size(full, box.width, box.height, max_pt=max_pt, min_pt=min_pt, space_pt=space_pt)
            if size is None:
                logger.warning("deck: text does not fit its box at %s pt: %.60s…", min_pt, full)
                size = float(min_pt)
        tb = shape if shape is not None else slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
        tf = tb.text_frame
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.NONE
        if anchor is not None:
            tf.vertical_anchor = anchor
        for i, (t, o) in enumerate(paras):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.alignment = align
            if i:
                p.space_before = Pt(space_pt)
            run = p.add_run()
            run.text = ("• " if o.get("bullet") else "") + t
            f = run.font
            f.name = font or self.minor
            f.size = Pt(o.get("size", size))
            f.bold = o.get("bold", bold)
            f.italic = o.get("italic", italic)
            f.color.rgb = o.get("colour", colour or self.dark)
        return size

    def rect(self, slide, box: _Box, colour: RGBColor):
        shp = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, box.left, box.top, box.width, box.height)
        shp.fill.solid()
        shp.fill.fore_color.rgb = colour
        shp.line.fill.background()
        shp.shadow.inherit = False
        return shp

    def title(self, slide, text: str, colour: RGBColor | None = None, *, subtitle: str | None = None):
        """The slide title in the layout's title placeholder (or a text box), fitted; and a subtitle."""
        colour = colour or self.head
        ph = slide.shapes.title
        tb = self.title_box
        if ph is not None:
            ph.left, ph.top, ph.width, ph.height = tb.left, tb.top, tb.width, tb.height
            ph.text_frame.clear()
        self.text(slide, tb, [text], max_pt=30, min_pt=14, bold=True, colour=colour, font=self.major, shape=ph,
                  anchor=MSO_ANCHOR.BOTTOM if ph is not None else None)
        if subtitle:
            self.text(slide, self.sub_box, [subtitle], max_pt=16, min_pt=10, colour=MUTED)
        self.add_footer(slide)

    def add_footer(self, slide):
        n = len(self.prs.slides)
        y = self.H - int(Inches(0.42))
        self.text(slide, _Box(self.margin, y, self.W - 2 * self.margin - int(Inches(1.0)), int(Inches(0.3))),
                  [self.footer], size=9, colour=MUTED)
        self.text(slide, _Box(self.W - self.margin - int(Inches(0.9)), y, int(Inches(0.9)), int(Inches(0.3))),
                  [str(n)], size=9, colour=MUTED, align=PP_ALIGN.RIGHT)

    def notes(self, slide, lines):
        slide.notes_slide.notes_text_frame.text = "\n".join(str(x) for x in lines)

    def chart_fonts(self, chart, size=10):
        chart.font.name = self.minor
        chart.font.size = Pt(size)
        chart.font.color.rgb = self.dark


# ============================================================================ content helpers


def _shown(data: DeckData, personas) -> tuple[list, list]:
    """Personas to show (not suppressed here nor in the data) and those suppressed."""
    sup = {str(s) for s in data.suppressed}
    shown, hidden = [], []
    for p in personas:
        (hidden if p.suppressed or str(p.segment) in sup else shown).append(p)
    return shown, hidden


def _suppressed_note(hidden, min_n) -> str:
    if not hidden:
        return ""
    names = ", ".join(f"segment {p.segment} (n={p.n})" for p in hidden)
    return f"Not shown: {names}, below the minimum of n={min_n} for reporting."


def _chart_rows(data: DeckData, segment, max_items=MAX_CHART_ITEMS) -> pd.DataFrame:
    """Needs, motivations and barriers of a segment furthest from the total (index 100)."""
    t = data.rows(segment)
    if not len(t):
        return t
    t = t[t["trait"].astype(bool) & t["kind"].isin(["needs", "motivations", "barriers"]) & t["index"].notna()]
    t = t.assign(_gap=(t["index"] - 100).abs()).sort_values(["_gap", "variable"], ascending=[False, True],
                                                              kind="stable")
    return t.head(max_items).sort_values("index", kind="stable").drop(columns="_gap")


def _sig(v) -> str:
    return v if isinstance(v, str) else ""


def _kpi_value(data: DeckData, segment, var) -> tuple[float, float, str] | None:
    """(segment value, total value, significance arrow) of a behavioural KPI as shown (shares in %)."""
    r = data.rows(segment, block=BEHAVIOUR, variable=var)
    if not len(r):
        return None
    if var == "lapsed":
        r = r[r["category"].astype(str).str.lower().isin(["true", "1", "yes"])]
    else:
        r = r[r["stat"] == "mean"]
    if not len(r) or pd.isna(r["value"].iloc[0]):
        return None
    scale = 100.0 if KPI.get(var, ("", "", False))[2] else 1.0
    return float(r["value"].iloc[0]) * scale, float(r["total"].iloc[0]) * scale, _sig(r["sig"].iloc[0])


def _fmt_kpi(var, value) -> str:
    return KPI.get(var, (var, "{:,.1f}", False))[1].format(value)


def _mix(data: DeckData, segment, var) -> pd.DataFrame:
    r = data.rows(segment, block=BEHAVIOUR, variable=var)
    r = r[r["stat"] == "share"]
    if var == "rfm_tier":
        order = {c: i for i, c in enumerate(TIER_ORDER)}
        r = r.assign(_o=r["category"].map(lambda c: order.get(str(c).lower(), 99))).sort_values("_o", kind="stable")
    return r


def _how_to_win(data: DeckData, p) -> tuple[list[str], bool]:
    """The persona's ``how_to_win`` lines, or lines drafted from its data; (lines, drafted)."""
    given = p.extra.get("how_to_win") if isinstance(p.extra, dict) else None
    if given:
        return ([given] if isinstance(given, str) else [str(x) for x in given]), False
    lines = []
    u = data.underserved_outcomes(p.segment)
    if len(u):
        r = u.iloc[0]
        lines.append(f"Solve “{r['label']}” first: importance {r['importance']:.1f} but satisfaction "
                     f"{r['satisfaction']:.1f} (opportunity {r['opportunity']:.1f}).")
    t = data.rows(p.segment)
    if len(t):
        t = t[t["trait"].astype(bool) & (t["sig"] == "▲") & t["index"].notna()]
        for kind, verb in (("needs", "Lead with"), ("barriers", "Take away the worry:")):
            k = t[t["kind"] == kind].sort_values("index", ascending=False, kind="stable")
            if len(k):
                r = k.iloc[0]
                lines.append(f"{verb} {r['label']} ({r['value']:.0f} % vs {r['total']:.0f} % of all customers).")
        ch = t[(t["block"] == BEHAVIOUR) & (t["variable"] == "dominant_channel")].sort_values("index", ascending=False,
                                                                                            kind="stable")
        if len(ch):
            r = ch.iloc[0]
            lines.append(f"Reach them through {r['category']}: their main channel for {r['value']:.0f} % "
                         f"(vs {r['total']:.0f} %).")
    return lines, True


# ============================================================================ slides


def _title_slide(d: _Deck, data: DeckData, shown, options):
    s = d.slide(d.title_layout)
    title = options.get("title") or data.study_name
    label = data.wave_label
    wave = data.wave
    sub = label if label.lower().startswith(f"wave {wave}".lower()) else f"Wave {wave}" + (f": {label}" if label else "")
    line2 = f"{options.get('subtitle') or 'Customer personas'} · {data.date}"
    ph_title = next((ph for ph in s.placeholders if _ph_type(ph) in _TITLE_TYPES), None)
    ph_sub = next((ph for ph in s.placeholders if _ph_type(ph) == PP_PLACEHOLDER.SUBTITLE), None)
    w = d.W - 2 * d.margin
    tbox = _Box(int(ph_title.left), int(ph_title.top), int(ph_title.width), int(ph_title.height)) if ph_title is not None \
        else _Box(d.margin, int(Inches(2.2)), w, int(Inches(1.6)))
    if ph_title is not None:
        ph_title.left, ph_title.top, ph_title.width, ph_title.height = tbox.left, tbox.top, tbox.width, tbox.height
        ph_title.text_frame.clear()
    d.text(s, tbox, [title], max_pt=40, min_pt=20, bold=True, colour=d.head, font=d.major, shape=ph_title,
           align=PP_ALIGN.LEFT)
    sbox = _Box(int(ph_sub.left), int(ph_sub.top), int(ph_sub.width), int(ph_sub.height)) if ph_sub is not None \
        else _Box(d.margin, tbox.top + tbox.height + int(Inches(0.1)), w, int(Inches(1.1)))
    if ph_sub is not None:
        ph_sub.left, ph_sub.top, ph_sub.width, ph_sub.height = sbox.left, sbox.top, sbox.width, sbox.height
        ph_sub.text_frame.clear()
    d.text(s, sbox, [sub, line2], max_pt=22, min_pt=12, colour=MUTED, shape=ph_sub, align=PP_ALIGN.LEFT,
           anchor=MSO_ANCHOR.TOP)
    d.notes(s, [f"Study: {data.study_name} ({data.study_id}), wave {wave}.", f"Deck date: {data.date}.",
                f"Personas shown: {len(shown)}; respondents profiled: n={data.total_n:,}."])


def _summary_slides(d: _Deck, data, shown, hidden, colours):
    """Executive summary: one line per persona; continues on further slides when long."""
    box_w = d.width - int(Inches(0.4))
    top0, bottom = d.top, d.bottom - int(Inches(0.5))
    lines = []
    for p in shown:
        first = (p.description or "").split(". ")
        one = first[1] if len(first) > 1 and first[0].rstrip().endswith(f"n={p.n:,})") else first[0]
        line = f"{p.name} — {p.share:.0f} % (n={p.n:,}). {one.strip().rstrip('.')}."
        if text_height(line, box_w, 12) > Inches(1.0):  # one line each: a long description is cut
            line = _shorten(line, box_w, Inches(1.0), 12)
        lines.append((p, line))
    pages, cur, used = [], [], 0
    for p, line in lines:
        size_min = text_height(line, box_w, 12)
        if cur and used + size_min + Inches(0.1) > bottom - top0:
            pages.append(cur)
            cur, used = [], 0
        cur.append((p, line))
        used += size_min + Inches(0.1)
    pages.append(cur)
    for k, page in enumerate(pages):
        s = d.slide()
        d.title(s, "Executive summary" + (" (continued)" if k else ""),
                subtitle=f"{len(shown)} customer segments, n={data.total_n:,} respondents")
        slot = int((bottom - top0) / max(len(page), 1))
        sizes = [fit_font_size(line, box_w, slot - Inches(0.15), max_pt=18, min_pt=12) or 12.0 for _, line in page]
        size = min(sizes)
        y = top0
        for p, line in page:
            h = text_height(line, box_w, size)
            d.rect(s, _Box(d.margin, y + int(Inches(0.06)), int(Inches(0.22)), int(Inches(0.22))), colours[p.segment])
            d.text(s, _Box(d.margin + int(Inches(0.4)), y, box_w, h), [line], size=size)
            y += h + int(Inches(0.15))
        if k == len(pages) - 1 and hidden:
            d.text(s, _Box(d.margin, d.bottom - int(Inches(0.45)), d.width, int(Inches(0.4))),
                   [_suppressed_note(hidden, data.min_segment_n)], max_pt=12, min_pt=9, italic=True, colour=MUTED)
        d.notes(s, [f"{p.id} segment {p.segment}: {p.name}; n={p.n}, share {p.share:.1f} %." for p, _ in page]
                + ([_suppressed_note(hidden, data.min_segment_n)] if hidden else []))


def _sizes_slide(d: _Deck, data, shown, hidden, colours):
    s = d.slide()
    d.title(s, "Segment sizes", subtitle="Share of respondents (weighted), segments in order of size")
    bottom = d.bottom - (int(Inches(0.5)) if hidden else 0)
    box = _Box(d.margin, d.top, d.width, bottom - d.top)
    chart_data = CategoryChartData(number_format='0.0"%"')
    chart_data.categories = [f"{p.name} (n={p.n:,})" for p in shown]
    chart_data.add_series("Share of respondents (%)", [round(float(p.share), 1) for p in shown])
    gf = s.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, box.left, box.top, box.width, box.height, chart_data)
    chart = gf.chart
    chart.has_legend = False
    d.chart_fonts(chart, 12)
    plot = chart.plots[0]
    plot.gap_width = 50
    plot.vary_by_categories = False
    plot.has_data_labels = True
    plot.data_labels.number_format = '0"%"'
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.size = Pt(14)
    plot.data_labels.font.bold = True
    for i, p in enumerate(shown):
        pt = plot.series[0].points[i]
        pt.format.fill.solid()
        pt.format.fill.fore_color.rgb = colours[p.segment]
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.visible = False
    chart.category_axis.tick_labels.font.size = Pt(11)
    if hidden:
        d.text(s, _Box(d.margin, d.bottom - int(Inches(0.45)), d.width, int(Inches(0.4))),
               [_suppressed_note(hidden, data.min_segment_n)], max_pt=12, min_pt=9, italic=True, colour=MUTED)
    notes = []
    for p in shown:
        row = data.seg_row(p.segment)
        wn = f", weighted n={float(row['weighted n']):.1f}" if row is not None and row.get("weighted n") is not None else ""
        notes.append(f"Segment {p.segment} {p.name}: n={p.n}{wn}, share {p.share:.1f} %.")
    d.notes(s, notes + ([_suppressed_note(hidden, data.min_segment_n)] if hidden else []))


def _trend_slides(d: _Deck, trends: DeckTrends, colours, names):
    sz = trends.sizes.copy()
    waves = list(dict.fromkeys(str(w) for w in sz["wave"]))
    segs = list(dict.fromkeys(sz["segment"]))
    s = d.slide()
    d.title(s, "Segment sizes over waves", subtitle="Share of respondents per wave (%), one line per segment")
    chart_data = CategoryChartData(number_format='0.0"%"')
    chart_data.categories = [f"Wave {w}" for w in waves]
    extra = [x for x in segs if x not in colours]
    cols = dict(colours)
    for i, x in enumerate(extra):
        cols[x] = RGBColor.from_string(d.palette[(len(colours) + i) % len(d.palette)])
    notes = []
    for seg in segs:
        rows = sz[sz["segment"] == seg]
        name = str(names.get(seg) or rows["name"].iloc[-1])
        by_wave = {str(r.wave): r for r in rows.itertuples()}
        chart_data.add_series(name[:60], [round(float(by_wave[w].share), 1) if w in by_wave else None for w in waves])
        for w in waves:
            if w in by_wave:
                r = by_wave[w]
                notes.append(f"Wave {w}, segment {seg} {name}: n={int(r.n)}, share {float(r.share):.1f} % "
                             f"(CI {float(r.ci_low):.1f}-{float(r.ci_high):.1f} %).")
    box = _Box(d.margin, d.top, d.width, d.bottom - d.top)
    gf = s.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, box.left, box.top, box.width, box.height, chart_data)
    chart = gf.chart
    d.chart_fonts(chart, 11)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.RIGHT
    chart.legend.include_in_layout = False
    chart.value_axis.has_major_gridlines = True
    chart.value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE0, 0xE0, 0xE0)
    chart.value_axis.tick_labels.number_format = '0"%"'
    chart.value_axis.tick_labels.number_format_is_linked = False
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.number_format = '0"%"'
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.size = Pt(10)
    for series, seg in zip(plot.series, segs):
        series.format.line.color.rgb = cols[seg]
        series.format.line.width = Pt(2.5)
        series.smooth = False
        series.marker.style = XL_MARKER_STYLE.CIRCLE
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = cols[seg]
        series.marker.format.line.color.rgb = cols[seg]
    d.notes(s, notes)

    s2 = d.slide()
    d.title(s2, "Key movements", subtitle=f"Wave {waves[0]} to wave {waves[-1]}" if waves else None)
    paras = [(m, {"bullet": True}) for m in trends.movements] or ["No segment moved beyond its confidence interval."]
    box = _Box(d.margin, d.top, d.width, d.bottom - d.top - (int(Inches(1.4)) if trends.refit else 0))
    d.text(s2, box, paras, max_pt=20, min_pt=11, space_pt=8)
    if trends.refit:
        rb = _Box(d.margin, d.bottom - int(Inches(1.3)), d.width, int(Inches(1.2)))
        d.rect(s2, rb, TINT)
        d.text(s2, _Box(rb.left + int(Inches(0.15)), rb.top, rb.width - int(Inches(0.3)), rb.height),
               [("Refit or keep the model?", {"bold": True}), trends.refit], max_pt=16, min_pt=10,
               anchor=MSO_ANCHOR.MIDDLE)
    d.notes(s2, list(trends.movements) + ([f"Refit advice: {trends.refit}"] if trends.refit else []))


def _cell(cell, text, *, size, font, colour, bold=False, fill=None, align=PP_ALIGN.LEFT):
    cell.text = text
    para = cell.text_frame.paragraphs[0]
    para.alignment = align
    cell.text_frame.word_wrap = True
    cell.margin_left = cell.margin_right = Inches(0.05)
    cell.margin_top = cell.margin_bottom = Inches(0.02)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    f = para.runs[0].font if para.runs else para.font
    f.size, f.name, f.bold = Pt(size), font, bold
    f.color.rgb = colour
    if fill is None:
        cell.fill.background()
    else:
        cell.fill.solid()
        cell.fill.fore_color.rgb = fill


def _index_fill(index, sig):
    if pd.isna(index) or sig not in ("▲", "▼"):
        return None
    if sig == "▲":
        return HIGH2 if index >= 120 else HIGH1
    return LOW2 if index <= 80 else LOW1


def _matrix_rows(data: DeckData, shown, max_items: int) -> list[tuple[str, str, str, dict]]:
    """(group, row label, notes label, {segment: (text, fill, note)}) for the comparison matrix."""
    out = []
    t = data.profile
    if len(t):
        segs = {str(p.segment) for p in shown}
        cand = t[t["trait"].astype(bool) & t["kind"].isin(["needs", "motivations", "barriers"]) & t["index"].notna()
                 & t["segment"].astype(str).isin(segs)]
        picked: list = []
        per_seg = max(1, math.ceil(max_items / max(len(shown), 1)))
        for p in shown:  # each segment's strongest significant highs first
            c = cand[(cand["segment"].astype(str) == str(p.segment)) & (cand["sig"] == "▲")]
            c = c.sort_values(["index", "variable"], ascending=[False, True], kind="stable")
            for v in c["variable"]:
                if v not in picked:
                    picked.append(v)
                    if sum(1 for x in picked if x in set(c["variable"])) >= per_seg:
                        break
        picked = picked[:min(max_items, 6)]
        order = {"needs": 0, "motivations": 1, "barriers": 2}
        kinds = {v: cand.loc[cand["variable"] == v, "kind"].iloc[0] for v in picked}
        pos = {v: i for i, v in enumerate(picked)}
        picked.sort(key=lambda v: (order[kinds[v]], pos[v]))
        for v in picked:
            rows = cand[cand["variable"] == v]
            r0 = rows.iloc[0]
            cells = {}
            for p in shown:
                r = rows[rows["segment"].astype(str) == str(p.segment)]
                if len(r):
                    r = r.iloc[0]
                    cells[p.segment] = (f"{r['index']:.0f}{' ' + r['sig'] if _sig(r['sig']) else ''}",
                                        _index_fill(r["index"], _sig(r["sig"])),
                                        f"{r['value']:.1f} vs {r['total']:.1f}, index {r['index']:.0f}")
            out.append((kinds[v].capitalize(), str(r0["label"]), f"{r0['label']} ({r0['measure']})", cells))
        for var in MATRIX_KPIS:
            cells = {}
            label = None
            for p in shown:
                r = data.rows(p.segment, block=BEHAVIOUR, variable=var)
                r = r[r["category"].astype(str).str.lower().isin(["true", "1", "yes"])] if var == "lapsed" else \
                    r[r["stat"] == "mean"]
                if len(r) and pd.notna(r["index"].iloc[0]):
                    r = r.iloc[0]
                    scale = 100.0 if KPI[var][2] else 1.0
                    cells[p.segment] = (f"{r['index']:.0f}{' ' + r['sig'] if _sig(r['sig']) else ''}",
                                        _index_fill(r["index"], _sig(r["sig"])),
                                        f"{_fmt_kpi(var, r['value'] * scale)} vs {_fmt_kpi(var, r['total'] * scale)}")
                    label = f"{KPI[var][0]} (all: {_fmt_kpi(var, r['total'] * scale)})"
            if cells:
                out.append(("Behaviour", label, KPI[var][0], cells))
    o = data.opportunities
    if len(o):
        segs = [str(p.segment) for p in shown]
        o = o[o["segment"].astype(str).isin(segs)]
        top = (o.groupby("label", sort=False)["opportunity"].max().sort_values(ascending=False, kind="stable")
               .head(3))
        for label in top.index:
            cells = {}
            for p in shown:
                r = o[(o["label"] == label) & (o["segment"].astype(str) == str(p.segment))]
                if len(r):
                    r = r.iloc[0]
                    cells[p.segment] = (f"{r['opportunity']:.1f}", UNDER_FILL if bool(r["underserved"]) else None,
                                        f"importance {r['importance']:.1f}, satisfaction {r['satisfaction']:.1f}")
            out.append(("Opportunity", str(label), f"{label} (opportunity score)", cells))
    return out


def _matrix_slides(d: _Deck, data, shown, colours, max_items):
    rows = _matrix_rows(data, shown, max_items)
    if not rows or not shown:
        return
    k = len(shown)
    group_w, label_w = int(Inches(1.25)), int(Inches(3.0))
    seg_w = int((d.width - group_w - label_w) / k)
    legend_h = int(Inches(0.45))
    head_h = int(Inches(0.75))
    row_h = int(Inches(0.28))
    per_page = max(1, int((d.bottom - d.top - legend_h - head_h) / row_h))
    names = [p.name for p in shown]
    head_pt = min(fit_font_size(n, seg_w - int(Inches(0.1)) + 2 * PAD_X, head_h - int(Inches(0.04)) + 2 * PAD_Y,
                                max_pt=11, min_pt=7) or 7.0 for n in names)
    body_pt = 10.0
    for start in range(0, len(rows), per_page):
        chunk = rows[start:start + per_page]
        s = d.slide()
        d.title(s, "How the segments differ" + (" (continued)" if start else ""),
                subtitle="Index vs total (100 = average) for needs and behaviour; JTBD opportunity scores")
        n_rows = len(chunk) + 1
        gf = s.shapes.add_table(n_rows, 2 + k, d.margin, d.top, group_w + label_w + seg_w * k, head_h + row_h * len(chunk))
        table = gf.table
        tbl_pr = gf._element.graphic.graphicData.tbl.tblPr
        tbl_pr.set("bandRow", "0")
        tbl_pr.set("firstRow", "1")
        table.columns[0].width, table.columns[1].width = group_w, label_w
        for j in range(k):
            table.columns[2 + j].width = seg_w
        table.rows[0].height = head_h
        _cell(table.cell(0, 0), "", size=body_pt, font=d.minor, colour=d.dark, fill=WHITE)
        _cell(table.cell(0, 1), "", size=body_pt, font=d.minor, colour=d.dark, fill=WHITE)
        for j, p in enumerate(shown):
            _cell(table.cell(0, 2 + j), p.name, size=head_pt, font=d.minor, colour=WHITE, bold=True,
                  fill=colours[p.segment], align=PP_ALIGN.CENTER)
        last_group = None
        notes = []
        for i, (group, label, note_label, cells) in enumerate(chunk, start=1):
            table.rows[i].height = row_h
            _cell(table.cell(i, 0), group if group != last_group else "", size=body_pt, font=d.minor, colour=MUTED,
                  bold=True, fill=WHITE)
            last_group = group
            lab = label if estimate_lines(label, label_w, body_pt) == 1 else _shorten(label, label_w, text_height(
                "x", label_w, body_pt), body_pt)
            _cell(table.cell(i, 1), lab, size=body_pt, font=d.minor, colour=d.dark, fill=WHITE)
            parts = []
            for j, p in enumerate(shown):
                text, fill, note = cells.get(p.segment, ("", None, ""))
                _cell(table.cell(i, 2 + j), text, size=body_pt, font=d.minor, colour=d.dark, fill=fill or WHITE,
                      align=PP_ALIGN.CENTER)
                if note:
                    parts.append(f"{p.name}: {note}")
            notes.append(f"{group} · {note_label}: " + "; ".join(parts))
        ly = d.top + head_h + row_h * len(chunk) + int(Inches(0.1))
        legend = ("Shaded: significantly above (orange; dark ≥ 120) or below (blue; dark ≤ 80) the rest of the sample, "
                  f"▲ / ▼. Opportunity = importance + max(importance − satisfaction, 0); orange ≥ {data.underserved:g}: "
                  "underserved.")
        d.text(s, _Box(d.margin, ly, d.width, legend_h), [legend], max_pt=10, min_pt=9, colour=MUTED)
        d.notes(s, notes)


def _sections(p) -> list[tuple[str, list[str]]]:
    return [(h, list(items)) for h, items in (
        ("Top needs", p.needs), ("Motivations", p.motivations), ("Barriers", p.barriers)) if items]


def _paras(sections) -> list:
    out = []
    for head, items in sections:
        out.append((head, {"bold": True}))
        out += [(i, {"bullet": True}) for i in items]
    return out


def _split_sections(sections, box: _Box, min_pt: float) -> tuple[list, list]:
    """The sections that fit ``box`` at ``min_pt`` (item by item) and the rest."""
    fit, rest = [], []
    for head, items in sections:
        if rest:
            rest.append((head, items))
            continue
        kept = []
        for j, it in enumerate(items):
            trial = fit + [(head, kept + [it])]
            full = _joined(_paras(trial))
            if text_height(full, box.width, min_pt, space_pt=2.0) > box.height:
                if kept:
                    fit.append((head, kept))
                rest.append((head, items[j:]))
                break
            kept.append(it)
        else:
            fit.append((head, kept))
    return fit, rest


def _persona_chart(d: _Deck, slide, box: _Box, rows: pd.DataFrame, colour: RGBColor, name: str):
    chart_data = CategoryChartData(number_format="0")
    chart_data.categories = [f"{r.label} ({r.kind})" for r in rows.itertuples()]
    chart_data.add_series(str(name)[:60] or "Segment", [float(v) for v in rows["index"]])
    chart_data.add_series("Total = 100", [100.0] * len(rows))
    gf = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, box.left, box.top, box.width, box.height, chart_data)
    chart = gf.chart
    d.chart_fonts(chart, 11)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(11)
    chart.has_title = True
    chart.chart_title.text_frame.text = "Index vs total (100 = average): needs, motivations, barriers"
    tfont = chart.chart_title.text_frame.paragraphs[0].runs[0].font
    tfont.size, tfont.bold, tfont.name = Pt(13), True, d.minor
    plot = chart.plots[0]
    plot.gap_width = 50
    plot.overlap = -10
    plot.has_data_labels = True
    plot.data_labels.number_format = "0"
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.size = Pt(10)
    for series, fill in zip(plot.series, (colour, GREY)):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = fill
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.tick_labels.font.size = Pt(10)
    chart.category_axis.tick_labels.font.size = Pt(11)
    return gf


def _mix_chart(d: _Deck, slide, box: _Box, rows: pd.DataFrame, colour, name, title):
    chart_data = CategoryChartData(number_format='0"%"')
    chart_data.categories = [str(c) for c in rows["category"]]
    chart_data.add_series(str(name)[:60] or "Segment", [round(float(v), 1) for v in rows["value"]])
    chart_data.add_series("All customers", [round(float(v), 1) for v in rows["total"]])
    gf = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, box.left, box.top, box.width, box.height, chart_data)
    chart = gf.chart
    d.chart_fonts(chart, 11)
    chart.has_title = True
    chart.chart_title.text_frame.text = title
    tfont = chart.chart_title.text_frame.paragraphs[0].runs[0].font
    tfont.size, tfont.bold, tfont.name = Pt(13), True, d.minor
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(10)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.overlap = -5
    plot.has_data_labels = True
    plot.data_labels.number_format = '0"%"'
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.size = Pt(10)
    for series, fill in zip(plot.series, (colour, GREY)):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = fill
    chart.value_axis.visible = False
    chart.value_axis.has_major_gridlines = False
    chart.category_axis.tick_labels.font.size = Pt(11)
    return gf


def _persona_slides(d: _Deck, data: DeckData, p, colour: RGBColor, options):
    """A profile slide and a behaviour slide per persona, and continuation slides for long lists."""
    s = d.slide()
    sub = f"{p.share:.0f} % of respondents · n={p.n:,} · segment {p.segment}"
    d.rect(s, _Box(0, 0, int(Inches(0.18)), d.H), colour)
    d.title(s, p.name, colour, subtitle=sub)
    left_w = int(d.width * 0.47)
    right_l = d.margin + left_w + int(Inches(0.35))
    right_w = d.W - d.margin - right_l
    y = d.top
    bottom = d.bottom
    quote = next((q.get("text", "") for q in p.quotes if q.get("text")), "")
    if quote:
        q = f"“{quote}”"
        if fit_font_size(q, left_w, Inches(1.15), max_pt=16, min_pt=12) is None:
            q = "“" + _shorten(quote, left_w, Inches(1.05), 12) + "”"  # the verbatim stays readable
        size = fit_font_size(q, left_w, Inches(1.15), max_pt=16, min_pt=12) or 12.0
        qbox = _Box(d.margin, y, left_w, min(text_height(q, left_w, size), int(Inches(1.15))))
        d.rect(s, _Box(d.margin - int(Inches(0.12)), y, int(Inches(0.06)), qbox.height), colour)
        d.text(s, qbox, [q], size=size, italic=True, colour=colour)
        y += qbox.height + int(Inches(0.15))
    who_max = int(Inches(2.0))
    head = ("Who they are", {"bold": True})
    who = [head, p.description] + [(b, {"bullet": True}) for b in p.behaviours]
    more: list = []  # what moves to a continuation slide
    if fit_font_size(_joined(who), left_w, who_max, min_pt=11, space_pt=3.0) is None and p.behaviours:
        who, more = [head, p.description], [("Who they are", list(p.behaviours))]
    if fit_font_size(_joined(who), left_w, who_max, min_pt=11, space_pt=3.0) is None:
        who = [head, _shorten(p.description, left_w, who_max, 11, space_pt=3.0, prefix=[head])]
        more = [("Who they are", [p.description] + list(p.behaviours))]
    size = fit_font_size(_joined(who), left_w, who_max, max_pt=13, min_pt=11, space_pt=3.0) or 11.0
    wbox = _Box(d.margin, y, left_w, min(text_height(_joined(who), left_w, size, space_pt=3.0), who_max))
    d.text(s, wbox, who, size=size, space_pt=3.0)
    y += wbox.height + int(Inches(0.15))
    lbox = _Box(d.margin, y, left_w, bottom - y)
    fit, rest = _split_sections(_sections(p), lbox, 11)
    if fit:
        d.text(s, lbox, _paras(fit), max_pt=14, min_pt=11, space_pt=2.0)
    rows = _chart_rows(data, p.segment, int(options.get("max_items") or MAX_CHART_ITEMS))
    if len(rows):
        _persona_chart(d, s, _Box(right_l, d.top, right_w, bottom - d.top), rows, colour, p.name)
    rest = more + rest
    notes = [f"{p.id}, segment {p.segment}: n={p.n}, share {p.share:.1f} %."]
    notes += [f"{r.label} ({r.kind}, {r.measure}): {r.value:.1f} vs total {r.total:.1f}, index {r['index']:.0f}"
              f"{' ' + r.sig if _sig(r.sig) else ''}, p_adj={r.p_adj:.3g}" for _, r in rows.iloc[::-1].iterrows()]
    notes += [f"Quote from question {q.get('question', '')}." for q in p.quotes[:1] if q.get("text")]
    d.notes(s, notes)
    _behaviour_slide(d, data, p, colour, rest_sections=[])
    k = 1
    while rest:
        k += 1
        c = d.slide()
        d.rect(c, _Box(0, 0, int(Inches(0.18)), d.H), colour)
        d.title(c, f"{p.name} (continued)", colour, subtitle=f"{p.share:.0f} % of respondents · n={p.n:,}")
        box = _Box(d.margin, d.top, d.width, d.bottom - d.top)
        fit, rest = _split_sections(rest, box, 11)
        if not fit:  # a single item longer than a whole slide: shown at the smallest size
            fit, rest = rest[:1], rest[1:]
        d.text(c, box, _paras(fit), max_pt=16, min_pt=11, space_pt=2.0)
        d.notes(c, [f"{p.id} continued ({k}): {sum(len(i) for _, i in fit)} items."])


def _behaviour_slide(d: _Deck, data: DeckData, p, colour, rest_sections):
    """Behaviour (RFM tier mix, channel mix, KPI tiles), underserved outcomes, how to win them."""
    tiers = _mix(data, p.segment, "rfm_tier")
    channels = _mix(data, p.segment, "dominant_channel")
    kpis = [(v, _kpi_value(data, p.segment, v)) for v in TILE_KPIS]
    kpis = [(v, x) for v, x in kpis if x is not None]
    under = data.underserved_outcomes(p.segment)
    win, drafted = _how_to_win(data, p)
    if not (len(tiers) or len(channels) or kpis or len(under) or win or p.underserved):
        return
    s = d.slide()
    d.rect(s, _Box(0, 0, int(Inches(0.18)), d.H), colour)
    d.title(s, f"{p.name}: behaviour and how to win them", colour,
            subtitle=f"{p.share:.0f} % of respondents · n={p.n:,} · order history as of the wave")
    left_w = int(d.width * 0.46)
    right_l = d.margin + left_w + int(Inches(0.35))
    right_w = d.W - d.margin - right_l
    charts = [(t, title) for t, title in ((tiers, "RFM tier mix (% of customers)"),
                                          (channels, "Main ordering channel (% of customers)")) if len(t)]
    gap = int(Inches(0.15))
    notes = [f"{p.id}, segment {p.segment}: n={p.n}, share {p.share:.1f} %."]
    if charts:
        h = int((d.bottom - d.top - gap * (len(charts) - 1)) / len(charts))
        for i, (rows, title) in enumerate(charts):
            _mix_chart(d, s, _Box(d.margin, d.top + i * (h + gap), left_w, h), rows, colour, p.name, title)
            notes.append(title + ": " + "; ".join(f"{r.category} {r.value:.1f} % vs {r.total:.1f} %"
                                                  f"{' ' + r.sig if _sig(r.sig) else ''}" for r in rows.itertuples()))
    else:
        d.text(s, _Box(d.margin, d.top, left_w, int(Inches(0.6))), ["No behavioural data for this study."],
               size=12, italic=True, colour=MUTED)
    y = d.top
    if kpis:
        tile_gap = int(Inches(0.12))
        tw = int((right_w - tile_gap * (len(kpis) - 1)) / len(kpis))
        th = int(Inches(1.15))
        for i, (var, (val, tot, sig)) in enumerate(kpis):
            box = _Box(right_l + i * (tw + tile_gap), y, tw, th)
            shp = d.rect(s, box, TINT)
            label = KPI[var][0]
            arrow = f" {sig}" if sig else ""
            lab_pt = fit_font_size(label, tw, int(Inches(0.45)), max_pt=11, min_pt=10) or 10.0
            d.text(s, box, [(_fmt_kpi(var, val) + arrow, {"bold": True, "colour": colour, "size": 20}),
                            (label, {"size": lab_pt}), (f"all: {_fmt_kpi(var, tot)}", {"colour": MUTED, "size": 9})],
                   size=20, space_pt=1.0, shape=shp, align=PP_ALIGN.CENTER, anchor=MSO_ANCHOR.MIDDLE)
            notes.append(f"{label}: {_fmt_kpi(var, val)} vs {_fmt_kpi(var, tot)} for all{arrow}.")
        y += th + int(Inches(0.2))
    items = [f"{r['label']}: opportunity {r['opportunity']:.1f} (importance {r['importance']:.1f}, "
             f"satisfaction {r['satisfaction']:.1f})" for _, r in under.head(4).iterrows()] or list(p.underserved)[:4]
    avail = d.bottom - y
    ubox_h = int(avail * 0.42) if items else 0
    if items:
        ubox = _Box(right_l, y, right_w, ubox_h)
        paras = [("Top underserved outcomes", {"bold": True})] + [(t, {"bullet": True}) for t in items]
        while len(paras) > 2 and fit_font_size(_joined(paras), ubox.width, ubox.height, min_pt=11, space_pt=2) is None:
            paras = paras[:-1]
        d.text(s, ubox, paras, max_pt=14, min_pt=11, space_pt=2.0)
        notes += [f"Underserved: {r['label']}: importance {r['importance']:.1f}, satisfaction {r['satisfaction']:.1f}, "
                  f"opportunity {r['opportunity']:.1f}" for _, r in under.iterrows()]
        y += ubox_h + int(Inches(0.1))
    if win:
        wbox = _Box(right_l, y, right_w, d.bottom - y)
        d.rect(s, wbox, TINT)
        inner = _Box(wbox.left + int(Inches(0.1)), wbox.top + int(Inches(0.05)), wbox.width - int(Inches(0.2)),
                     wbox.height - int(Inches(0.1)))
        paras = [("How to win them", {"bold": True, "colour": colour})] + [(t, {"bullet": True}) for t in win]
        while len(paras) > 2 and fit_font_size(_joined(paras), inner.width, inner.height, min_pt=11, space_pt=3) is None:
            paras = paras[:-1]
        d.text(s, inner, paras, max_pt=14, min_pt=11, space_pt=3.0)
        notes.append(("How to win them, drafted from the data (add how_to_win: to this persona in personas.yaml "
                      "to replace): " if drafted else "How to win them (personas.yaml): ") + " | ".join(win))
    d.notes(s, notes)


# ----------------------------------------------------------------------------- appendix


def _table(d: _Deck, slide, box: _Box, frame: pd.DataFrame, widths, *, size=10, highlight=None, formats=None,
           row_h=Inches(0.3)):
    """A native table of ``frame`` (header row first); ``highlight``: row positions to tint."""
    formats = formats or {}
    n_rows = len(frame) + 1
    row_h = int(row_h)
    gf = slide.shapes.add_table(n_rows, len(frame.columns), box.left, box.top, box.width, row_h * n_rows)
    table = gf.table
    total = sum(widths)
    for j, w in enumerate(widths):
        table.columns[j].width = int(box.width * w / total)
    for j, c in enumerate(frame.columns):
        _cell(table.cell(0, j), str(c), size=size, font=d.minor, colour=WHITE, bold=True, fill=d.head)
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        table.rows[i].height = row_h
        hl = highlight is not None and (i - 1) in highlight
        for j, (c, v) in enumerate(zip(frame.columns, row)):
            fmt = formats.get(c)
            txt = "" if v is None or (isinstance(v, float) and not math.isfinite(v)) else (fmt(v) if fmt else str(v))
            _cell(table.cell(i, j), txt, size=size, font=d.minor, colour=d.dark, bold=hl,
                  fill=RGBColor(0xE3, 0xEE, 0xF7) if hl else (TINT if i % 2 == 0 else WHITE),
                  align=PP_ALIGN.RIGHT if fmt else PP_ALIGN.LEFT)
    return gf


def _method_slide(d: _Deck, data: DeckData, shown, hidden):
    s = d.slide()
    d.title(s, "Appendix: method and quality", subtitle="Sample, exclusions, weighting and how the segments were found")
    q = data.quality
    lines = []
    if q:
        lines.append((f"Sample: {q['read']:,} respondents read, {q['kept']:,} kept, {q['excluded']:,} excluded "
                      "(quality checks on the right).", {"bullet": True}))
    lines.append((f"Weighting: {data.weighting}." if data.weighting else "Unweighted: every respondent counts once.",
                  {"bullet": True}))
    if data.scorecard is not None and not data.model_note:
        rk = data.scorecard["ranking"]
        lines.append((f"Segmentation: {data.scorecard['recommended']} chosen from {len(rk)} candidate "
                      f"segmentations{' (pinned in study.yaml)' if data.scorecard['pinned'] else ''}.", {"bullet": True}))
    if data.model_note:
        lines.append((data.model_note, {"bullet": True}))
    for method, basis in data.bases.items():
        lines.append((f"{method}: {basis}", {"bullet": True}))
    lines.append((f"Profiles: index = segment ÷ total × 100; ▲ / ▼ = significantly above / below the rest of the "
                  f"sample; segments below n={data.min_segment_n} are not shown"
                  + (f" ({len(hidden)} suppressed)." if hidden else "."), {"bullet": True}))
    left_w = int(d.width * 0.45)
    d.text(s, _Box(d.margin, d.top, left_w, d.bottom - d.top), lines, max_pt=14, min_pt=10, space_pt=6)
    notes = [str(q.get("headline", ""))] if q else []
    if q and len(q.get("checks", [])):
        checks = q["checks"]
        right_l = d.margin + left_w + int(Inches(0.3))
        frame = checks[[c for c in ("check", "action", "flagged", "excluded") if c in checks.columns]]
        _table(d, s, _Box(right_l, d.top, d.W - d.margin - right_l, 0), frame, [3, 2.4, 1.2, 1.2], size=11,
               formats={"flagged": lambda v: f"{int(v):,}", "excluded": lambda v: f"{int(v):,}"})
        notes += [f"{r.check}: {r.action}, threshold {getattr(r, 'threshold', '')}, flagged {r.flagged}, excluded "
                  f"{r.excluded}" for r in checks.itertuples()]
    if data.weighting:
        notes.append(f"Weighting: {data.weighting}")
    d.notes(s, notes or ["No quality report in this run."])


def _factor_slide(d: _Deck, data: DeckData):
    f = data.factors
    if not len(f):
        return
    s = d.slide()
    d.title(s, "Appendix: factor solution", subtitle="Factors per battery, their items, variance explained and "
                                                     "reliability (Cronbach's alpha)")
    frame = f.rename(columns={"battery": "battery", "variance %": "% variance"})
    frame = frame[["battery", "factor", "items", "% variance", "alpha"]]
    max_rows = int((d.bottom - d.top) / Inches(0.3)) - 1
    items_w = d.width * 0.45
    shown = frame.assign(items=[t if estimate_lines(t, int(items_w), 10) == 1 else _shorten(t, int(items_w), text_height(
        "x", int(items_w), 10), 10) for t in frame["items"]]).head(max_rows)
    _table(d, s, _Box(d.margin, d.top, d.width, 0), shown, [1.4, 2.4, 4.5, 1.0, 0.8], size=10,
           formats={"% variance": lambda v: f"{v:.1f}", "alpha": lambda v: f"{v:.2f}"})
    d.notes(s, list(data.factor_notes) + [f"{r.battery} / {r.factor}: {r.items}" for r in f.itertuples()])


def _fit_slide(d: _Deck, data: DeckData):
    ft = data.fit
    if not len(ft):
        return
    s = d.slide()
    d.title(s, "Appendix: candidate segmentations", subtitle="Fit of every candidate (BIC: lower is better; "
                                                             "entropy and stability: higher is better)")
    cols = {"candidate": "candidate", "k": "k", "bic": "BIC", "entropy": "entropy", "smallest_share": "smallest segment",
            "stability_mean": "stability", "status": "status"}
    frame = ft[[c for c in cols if c in ft.columns]].rename(columns=cols)
    max_rows = int((d.bottom - d.top) / Inches(0.27)) - 1
    rec = data.scorecard["recommended"] if data.scorecard else None
    if len(frame) > max_rows:
        keep = frame.head(max_rows - 1)
        if rec is not None and rec not in set(keep["candidate"]):
            keep = pd.concat([keep, frame[frame["candidate"] == rec]])
        frame = keep
    hl = {i for i, c in enumerate(frame["candidate"]) if c == rec}
    _table(d, s, _Box(d.margin, d.top, int(d.width * 0.72), 0), frame.reset_index(drop=True),
           [1.6, 0.5, 1.3, 1.0, 1.4, 1.0, 0.8], size=10, highlight=hl, row_h=Inches(0.27),
           formats={"k": lambda v: f"{int(v)}", "BIC": lambda v: f"{v:,.0f}", "entropy": lambda v: f"{v:.2f}",
                    "smallest segment": lambda v: f"{v:.1%}", "stability": lambda v: f"{v:.2f}"})
    side = d.margin + int(d.width * 0.75)
    d.text(s, _Box(side, d.top, d.W - d.margin - side, int(Inches(2.5))),
           [("Recommended: " + rec, {"bold": True}) if rec else "No scorecard in this run.",
            "Highlighted in the table. BIC is not defined for k-means; its entropy is 1 by construction."],
           max_pt=14, min_pt=10)
    d.notes(s, [f"{r.candidate}: " + ", ".join(f"{c} {getattr(r, c)}" for c in ("status", "bic", "entropy",
                                                                                 "smallest_share", "stability_mean")
                                                 if hasattr(r, c)) for r in ft.itertuples()])


def _scorecard_slide(d: _Deck, data: DeckData, max_rows=10):
    card = data.scorecard
    s = d.slide()
    frozen = bool(data.model_note)  # a later wave: the frozen segmentation re-checked, no candidates compared
    if frozen:
        d.title(s, "Appendix: the segmentation re-checked on this wave",
                subtitle=f"Relevant · operational · describable, on wave {data.wave}'s respondents")
    else:
        d.title(s, "Appendix: choosing the segmentation",
                subtitle="Relevant · operational · describable, for each candidate")
    cols = ["rank", "candidate", "k", "relevant", "operational", "describable", "typing accuracy"]
    rk = card["ranking"]
    shown = rk.head(max_rows)
    rows = len(shown) + 1
    row_h = int(Inches(0.34))
    tbl_w = int(Inches(8.4)) if d.W > Inches(11) else int(d.width * 0.62)
    gf = s.shapes.add_table(rows, len(cols), d.margin, d.top, tbl_w, row_h * rows)
    table = gf.table
    status_colour = {"pass": RGBColor(0x1B, 0x7F, 0x3B), "fail": RGBColor(0xC0, 0x39, 0x2B)}
    for j, c in enumerate(cols):
        _cell(table.cell(0, j), c, size=11, font=d.minor, colour=WHITE, bold=True, fill=d.head)
    for i, r in enumerate(shown.to_dict("records"), start=1):
        rec = r["candidate"] == card["recommended"]
        for j, c in enumerate(cols):
            v = r.get(c)
            if c == "typing accuracy" and v is not None and pd.notna(v):
                txt = f"{v:.0%}"
            elif c in ("rank", "k") and v is not None and pd.notna(v):
                txt = f"{int(v)}"
            else:
                txt = "" if v is None or pd.isna(v) else str(v)
            _cell(table.cell(i, j), txt, size=10, font=d.minor, colour=status_colour.get(txt, d.dark), bold=rec,
                  fill=RGBColor(0xE3, 0xEE, 0xF7) if rec else (TINT if i % 2 == 0 else WHITE))
    rl = d.margin + tbl_w + int(Inches(0.3))
    rbox = _Box(rl, d.top, d.W - d.margin - rl, d.bottom - d.top)
    more = f" Showing the top {len(shown)} of {len(rk)} candidates." if len(rk) > len(shown) else ""
    if frozen:
        d.text(s, rbox, [("Kept from the fitted wave", {"bold": True}), data.model_note, card["reason"]],
               max_pt=16, min_pt=10)
    else:
        d.text(s, rbox, [("Recommended: " + card["recommended"], {"bold": True}), card["reason"] + more],
               max_pt=16, min_pt=10)
    notes = [f"Recommended {card['recommended']}{' (pinned)' if card['pinned'] else ''}: {card['reason']}"]
    notes += [f"[{r.status}] {r.criterion} / {r.check}: value {r.value:.3g}, threshold {r.threshold}"
              for r in card["checks"].itertuples()]
    d.notes(s, notes)


def _recognise_slide(d: _Deck, data: DeckData):
    """How to recognise the segments outside the survey: the golden questions and the CRM."""
    r = data.recognise
    s = d.slide()
    d.title(s, "How to recognise the segments", subtitle="Golden questions for new contacts; a segment for every "
            "customer in the CRM")
    gap = int(Inches(0.4))
    half = (d.width - gap) // 2
    qs = list(r.get("questions") or [])
    acc, base = r.get("accuracy"), r.get("baseline")
    left = [(f"{len(qs)} golden questions", {"bold": True})]
    left += [(f"{i}. {q}", {}) for i, q in enumerate(qs, start=1)]
    if acc is not None:
        left.append((f"Answered together, they put {acc:.0%} of respondents in their own segment (cross-validated; "
                     f"guessing the largest segment: {base:.0%}). typing_tool.xlsx computes the segment as the answers "
                     "are typed in.", {}))
    d.text(s, _Box(d.margin, d.top, half, d.bottom - d.top), left, max_pt=16, min_pt=10)
    right = _Box(d.margin + half + gap, d.top, half, d.bottom - d.top)
    d.rect(s, right, TINT)
    lines = [("Every customer in the CRM", {"bold": True})]
    if r.get("customers"):
        lines.append((f"{r['customers']:,} customers of the base have a segment: {r['from_survey']:,} from their "
                      f"survey answers, {r['from_model']:,} placed from behaviour and firmographics "
                      f"({r.get('confident', 0):,} of them confidently).", {}))
    if r.get("base_accuracy") is not None:
        lines.append((f"The placement puts {r['base_accuracy']:.0%} of respondents in their own segment "
                      f"(cross-validated; guessing the largest segment: {r['base_baseline']:.0%}), so treat "
                      "model-placed customers as likely, not certain, members.", {}))
    lines.append(("customer_segments.csv holds the segment, its source and the probability per customer.", {}))
    pad = int(Inches(0.2))
    d.text(s, _Box(right.left + pad, right.top + pad, right.width - 2 * pad, right.height - 2 * pad), lines,
           max_pt=16, min_pt=10)
    notes = [f"Golden questions (typing tool fitted on wave {r.get('fitted_wave', data.wave)}): " + "; ".join(qs)]
    if acc is not None:
        notes.append(f"Typing accuracy {acc:.3f} (baseline {base:.3f}).")
    if r.get("customers"):
        notes.append(f"Customers {r['customers']}, survey {r['from_survey']}, model {r['from_model']}, confident "
                     f"{r.get('confident', 0)}; whole-base accuracy {r.get('base_accuracy')} (baseline "
                     f"{r.get('base_baseline')}).")
    d.notes(s, notes)


def _model_slide(d: _Deck, data: DeckData):
    s = d.slide()
    d.title(s, "Appendix: how respondents were classified")
    note = data.model_note or ("No candidate comparison in this run: the respondents were classified with a saved "
                               "segmentation model.")
    d.text(s, _Box(d.margin, d.top, d.width, int(Inches(2.0))), [note], max_pt=18, min_pt=11)
    d.notes(s, [note])


# ============================================================================ public


def _options(study, options) -> dict:
    """The study's ``deck:`` settings as a dict (a pydantic model or a mapping), merged with ``options``."""
    spec = getattr(getattr(study, "spec", None), "deck", None) if study is not None else None
    if hasattr(spec, "model_dump"):
        base = spec.model_dump()
    else:
        base = dict(spec or {})
    base.update({k: v for k, v in (options or {}).items() if v is not None})
    return base


def _template_path(study, template, opts) -> Path:
    if template is not None:
        return Path(template)
    t = opts.get("template")
    if t:
        root = Path(getattr(study, "root", ".")) if study is not None else Path(".")
        return root / t
    return DEFAULT_TEMPLATE


def _open_template(path: Path):
    if not path.exists():
        raise OutputError(f"deck template not found: {path}", file=path)
    try:
        prs = Presentation(str(path))
    except Exception as exc:  # noqa: BLE001 - python-pptx raises many kinds on a bad file
        raise OutputError(f"the deck template is not a PowerPoint .pptx file python-pptx can open ({type(exc).__name__}: "
                          f"{exc}); save it as .pptx (not .potx or .ppt)", file=path) from None
    for sld_id in list(prs.slides._sldIdLst):  # a template's own example slides are not part of the deck
        prs.part.drop_rel(sld_id.rId)
        prs.slides._sldIdLst.remove(sld_id)
    return prs


def render_deck(data: DeckData, personas, *, template=None, options=None, trends: DeckTrends | None = None,
                study=None):
    """Draw the deck from plain data and personas.

    Parameters
    ----------
    data : DeckData
    personas : Personas
    template : path, optional
        A ``.pptx`` whose masters, layouts, theme colours and fonts are used (its slides are
        dropped).  Default: the study's ``deck.template``, else :data:`DEFAULT_TEMPLATE`.
    options : dict, optional
        Deck settings overriding the study's ``deck:`` section (``title``, ``subtitle``,
        ``max_items``, ``colours``).
    trends : DeckTrends, optional
        Adds 'Segment sizes over waves' and 'Key movements' after the segment sizes.
    study : Study, optional
        For its ``deck:`` settings and folder (template paths are relative to it).

    Returns
    -------
    pptx.presentation.Presentation
    """
    opts = _options(study, options)
    path = _template_path(study, template, opts)
    prs = _open_template(path)
    if (prs.slide_width, prs.slide_height) != (SLIDE_WIDTH, SLIDE_HEIGHT):
        logger.warning("deck: template slide size %s × %s EMU is not 16:9 (%s × %s); the layout adapts but may "
                       "look cramped", prs.slide_width, prs.slide_height, SLIDE_WIDTH, SLIDE_HEIGHT)
    theme = _theme_of(prs)
    if opts.get("colours"):
        palette = tuple(str(c).lstrip("#").upper() for c in opts["colours"])
    elif path != DEFAULT_TEMPLATE and theme["colours"]:
        accents = [theme["colours"][f"accent{i}"] for i in range(1, 7) if f"accent{i}" in theme["colours"]]
        palette = tuple(_readable(a) for a in accents) + tuple(c for c in PALETTE if c not in accents)
    else:
        palette = PALETTE
    title = opts.get("title") or data.study_name
    d = _Deck(prs, footer=f"{title} · wave {data.wave} · {data.date}", palette=palette)
    labels = list(data.labels) or [p.segment for p in personas]
    colours = segment_colours(labels, palette)
    for p in personas:
        colours.setdefault(p.segment, RGBColor.from_string(palette[len(colours) % len(palette)]))
    shown, hidden = _shown(data, personas)
    if hidden:
        logger.info("deck: %d segment(s) suppressed (n < %d): %s", len(hidden), data.min_segment_n,
                    ", ".join(str(p.segment) for p in hidden))
    max_items = int(opts.get("max_items") or MAX_CHART_ITEMS)

    _title_slide(d, data, shown, opts)
    _summary_slides(d, data, shown, hidden, colours)
    _sizes_slide(d, data, shown, hidden, colours)
    if trends is not None:
        _trend_slides(d, trends, colours, {p.segment: p.name for p in personas})
    _matrix_slides(d, data, shown, colours, max_items)
    for p in shown:
        _persona_slides(d, data, p, colours.get(p.segment, DARK), opts)
    if data.recognise:
        _recognise_slide(d, data)
    _method_slide(d, data, shown, hidden)
    _factor_slide(d, data)
    _fit_slide(d, data)
    if data.scorecard is not None:
        _scorecard_slide(d, data)
    else:
        _model_slide(d, data)

    cp = prs.core_properties
    cp.title = f"{data.study_name}: personas, wave {data.wave}"
    cp.subject = "Customer personas"
    cp.author = cp.last_modified_by = "workbench"
    stamp = _dt.datetime.combine(_dt.date.fromisoformat(data.date), _dt.time(0, 0))
    cp.created = cp.modified = stamp
    cp.last_printed = stamp
    cp.revision = 1
    logger.info("deck: %d slides, %d personas", len(prs.slides), len(shown))
    return prs


def build_deck(study, scorecard, profiles, opportunities, personas, *, wave, template=None, date=None, quality=None,
               factors=None, segments=None, behaviour=None, trends: DeckTrends | None = None,
               model_note: str | None = None, options=None):
    """Build the persona deck in memory from a run's results.

    Parameters
    ----------
    study : Study
        For the study's name and id, the wave's label and fieldwork dates, ``min_segment_n``
        and the ``deck:`` settings.  Its PII columns are never read.
    scorecard : Scorecard or None
        The relevant / operational / describable scorecard; None for a wave classified with
        a frozen model (the appendix then shows ``model_note``).
    profiles : SegmentProfiles
        Profiles of the chosen segmentation.
    opportunities : Opportunities or None
        JTBD opportunity scores.
    personas : Personas
        The personas (drafts merged with the consultant's edits); quotes already scrubbed.
    wave : str
    template : path, optional
        Overrides the study's ``deck.template``.
    date : datetime.date, optional
        The date on the title slide; default: the study's ``deck.date``, else the wave's
        fieldwork end, else today.
    quality, factors, segments, behaviour : optional
        The run's QualityReport, factor solutions (dict), Candidates and Behaviour, for the appendix.
    trends : DeckTrends, optional
        Wave-to-wave trend slides.
    model_note : str, optional
        Which wave's model classified the respondents (shown when ``scorecard`` is None).
    options : dict, optional
        Overrides of the ``deck:`` settings.

    Returns
    -------
    pptx.presentation.Presentation
    """
    data = deck_data(study, scorecard, profiles, opportunities, wave=wave, date=date, quality=quality,
                     factors=factors, segments=segments, behaviour=behaviour, model_note=model_note, options=options)
    return render_deck(data, personas, template=template, options=options, trends=trends, study=study)


def deck_data(study, scorecard, profiles, opportunities, *, wave, date=None, quality=None, factors=None,
              segments=None, behaviour=None, model_note=None, options=None, recognise=None) -> DeckData:
    """:meth:`DeckData.from_results` with the date resolved from ``date``, the study's ``deck.date`` or the wave."""
    opts = _options(study, options)
    when = date or opts.get("date")
    if isinstance(when, str):
        when = _dt.date.fromisoformat(when)
    return DeckData.from_results(study, wave, scorecard, profiles, opportunities, quality=quality, factors=factors,
                                 segments=segments, behaviour=behaviour, model_note=model_note, date=when,
                                 recognise=recognise)


def write_deck(path, study, scorecard, profiles, opportunities, personas, *, wave, template=None,
               date=None, **kwargs) -> Path:
    """Build the deck (:func:`build_deck`) and save it to ``path``; returns the path."""
    path = Path(path)
    prs = build_deck(study, scorecard, profiles, opportunities, personas, wave=wave, template=template, date=date,
                     **kwargs)
    prs.save(str(path))
    return path


# ============================================================================ rendering to PDF / PNG


def _soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise OutputError("LibreOffice (soffice) is not installed; install it (apt-get install libreoffice-impress) "
                          "to render slides to PDF / PNG")
    return exe


def pptx_to_pdf(pptx, folder, *, timeout: float = 180) -> Path:
    """Convert a deck to PDF with LibreOffice headless (a private profile, so parallel runs do not collide)."""
    pptx, folder = Path(pptx), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="workbench-lo-") as profile:
        cmd = [_soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", "pdf",
               "--outdir", str(folder), str(pptx)]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    pdf = folder / (pptx.stem + ".pdf")
    if res.returncode != 0 or not pdf.exists():
        raise OutputError(f"LibreOffice could not convert the deck to PDF (exit {res.returncode}): "
                          f"{(res.stderr or res.stdout).strip()[:300]}", file=pptx)
    return pdf


def render_pngs(pptx, folder, *, pages=None, width: int = 1280) -> list[Path]:
    """Render slides of a deck to PNG files ``slide-01.png``, ... in ``folder`` (LibreOffice + pdftoppm).

    Parameters
    ----------
    pptx : path
    folder : path
    pages : sequence of int, optional
        1-based slide numbers; default: every slide.
    width : int, default=1280
        Width of each PNG in pixels.

    Returns
    -------
    list of Path
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if shutil.which("pdftoppm") is None:
        raise OutputError("pdftoppm (poppler-utils) is not installed; install it to render slides to PNG")
    with tempfile.TemporaryDirectory(prefix="workbench-pdf-") as tmp:
        pdf = pptx_to_pdf(pptx, tmp)
        n = _pdf_pages(pdf)
        out = []
        for page in pages or range(1, n + 1):
            if not 1 <= page <= n:
                continue
            stem = folder / f"slide-{page:02d}"
            subprocess.run(["pdftoppm", "-png", "-singlefile", "-f", str(page), "-l", str(page), "-scale-to-x",
                            str(width), "-scale-to-y", "-1", str(pdf), str(stem)], check=True, capture_output=True)
            out.append(stem.with_suffix(".png"))
    return out


def _pdf_pages(pdf) -> int:
    if shutil.which("pdfinfo"):
        res = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False)
        for line in res.stdout.splitlines():
            if line.startswith("Pages:"):
                return int(line.split()[1])
    return Path(pdf).read_bytes().count(b"/Type /Page\n") or Path(pdf).read_bytes().count(b"/Type/Page")
