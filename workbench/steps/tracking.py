"""Step ``tracking`` (later waves): the classified wave compared with the earlier ones of
the same model: segment sizes with confidence intervals, significance of change, profile
drift, the fitted wave's factor structure confirmed on this wave and whether a re-fit is
due; ``tracking.xlsx`` and the deck's trend slides (``deck_trends.json``)."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pandas as pd

from ..deck import DeckTrends
from ..core.errors import WorkbenchError
from ..factors import cfa
from ..core.measures import labels as measure_labels
from ..core.measures import measure
from ..files.outputs import write_workbook
from ..waves import profile_drift, refit_check, segment_sizes, size_changes
from ..waves.model import fitted_factor_fit
from ..waves.flow import SEGMENTS_FILE, TRENDS_FILE, WaveTracking, read_segments, report_folder
from ..waves.migration import deck_migration, with_invariance
from .context import Output, Step, WaveContext
from .criteria import criteria_kpis
from .model import persona_names

__all__ = ["tracking", "deck_trends", "STEP"]

logger = logging.getLogger(__name__)


def _earlier_segments(ctx: WaveContext, reports: Path) -> dict[str, pd.DataFrame]:
    """``respondent_segments.csv`` of every earlier wave classified into the same segments."""
    out = {}
    ids = [w.id for w in ctx.study.waves]
    for w in ids[: ids.index(ctx.wave)]:
        folder = report_folder(ctx.study, w, reports)
        path = folder / SEGMENTS_FILE
        if not path.is_file():
            continue
        if w != ctx.frozen.wave:
            try:
                man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError):
                continue
            used = (man.get("model") if isinstance(man, dict) else None) or {}
            used = used if isinstance(used, dict) else {}
            if used.get("fitted_on_wave") != ctx.frozen.wave:
                continue
        out[w] = read_segments(path)
    return out


def _fitted_factor_fit(ctx: WaveContext) -> dict | None:
    """The fitted wave's CFA for a model file that does not keep it (written before it was
    kept): the fitted wave read again (nothing is fitted but the CFA); None when it cannot be."""
    model = ctx.frozen
    if model.diagnostics.get("factor_fit") or not model.factors:
        return None
    if model.wave not in [w.id for w in ctx.study.waves]:
        return None
    try:
        fitted = ctx.earlier(model.wave)
    except WorkbenchError as exc:
        logger.info("tracking: wave %s could not be read again for its factor fit: %s", model.wave, exc)
        return None
    return fitted_factor_fit(model.factors, fitted.clean.data) or None


def tracking(ctx: WaveContext) -> Output:
    """Compare a classified wave with the earlier ones: sizes, changes, drift, the factor
    structure on the new wave and whether a re-fit is due; ``tracking.xlsx`` and the deck's
    trend slides."""
    study, model, clean = ctx.study, ctx.frozen, ctx.weighted
    names = persona_names(ctx) or dict(model.names)
    earlier = _earlier_segments(ctx, ctx.reports)
    current = ctx.classification.table
    labels = {w: t["segment"] for w, t in earlier.items()}
    labels[ctx.wave] = current["segment"]
    weights = None
    if clean.weights is not None and all("weight" in t.columns for t in earlier.values()):
        weights = {w: t["weight"] for w, t in earlier.items()}
        weights[ctx.wave] = clean.weights.reindex(current.index)
    sizes = segment_sizes(labels, weights, names=names)
    sheets, notes = {"Sizes": sizes}, {"Sizes": "Segment shares per wave with 95 % Wilson intervals "
                                                 "(weighted: Kish effective n)."}
    movements, changes, drift = [], None, None
    if earlier:
        before = list(earlier)[-1]
        changes = size_changes(sizes, before, ctx.wave)
        sheets["Size changes"] = changes.table
        notes["Size changes"] = (f"Share of each segment in wave {before} and wave {ctx.wave}: change in points, "
                                 "two-proportion test, Holm-adjusted across segments.")
        movements += list(changes.messages)
        basis = [c for c in model.basis_items if c in clean.data.columns]
        other = ctx.earlier(before)  # the earlier wave read again (nothing is fitted)
        data_before, kpis_before = other.clean.data, criteria_kpis(other)
        kpis_after = criteria_kpis(ctx)
        cols_b = data_before.reindex(columns=basis)
        cols_a = clean.data.reindex(columns=basis)
        if kpis_before is not None and kpis_after is not None:
            common = [c for c in kpis_after.columns if c in kpis_before.columns]
            cols_b = cols_b.join(kpis_before[common])
            cols_a = cols_a.join(kpis_after[common])
        item_labels = {c: study.columns[c].label for c in basis if c in study.columns}
        item_labels.update(measure_labels(cols_a.columns, categories=False))
        # yes/no KPIs (lapsed) as shares, not as two complementary answer levels
        for frame in (cols_b, cols_a):
            for c in frame.columns:
                if frame[c].dtype == object and set(frame[c].dropna().unique()) <= {True, False}:
                    frame[c] = frame[c].map({True: 1.0, False: 0.0}).astype(float)
        lab_b = earlier[before]["segment"]
        lab_b.index = lab_b.index.astype(str)
        cols_b.index = cols_b.index.astype(str)
        w_b = w_a = None
        if weights is not None:  # weighted runs: weighted means and shares, Kish effective n in the tests
            w_b = weights[before].copy()
            w_b.index = w_b.index.astype(str)
            w_a = weights[ctx.wave]
        drift = profile_drift(cols_b, cols_a, lab_b, current["segment"], list(cols_a.columns), labels=item_labels,
                              names=names, weights_before=w_b, weights_after=w_a,
                              percent=[c for c in cols_a.columns if (m := measure(c)) is not None and m.percent])
        sheets["Profile drift"] = drift.table
        notes["Profile drift"] = (f"Per segment and indicator: wave {before} vs wave {ctx.wave}; moved = significant "
                                  "after correction and at least a small effect.")
        movements += list(drift.messages)
    # the factor structure of the fitted wave, confirmed on this wave
    cfa_results, rows = {}, []
    for fs in model.factors:
        battery = fs.battery
        scales = {f: [i for i in its if i in clean.data.columns] for f, its in fs.scales.items()}
        scales = {f: its for f, its in scales.items() if len(its) >= 2}
        try:
            res = cfa(clean.data, scales)
        except WorkbenchError as exc:  # a battery that cannot be confirmed is reported, not fatal
            rows.append({"battery": battery, "note": exc.message})
            continue
        cfa_results[battery] = res
        rows.append({"battery": battery, "respondents": res.n_obs, **res.fit.to_dict(), "verdict": res.verdict})
    reference = _fitted_factor_fit(ctx) if cfa_results else None
    for row in rows:
        ref = (reference or model.diagnostics.get("factor_fit") or {}).get(row["battery"])
        if ref is not None and "CFI" in row:
            row.update({"fitted wave CFI": ref["CFI"], "fitted wave RMSEA": ref["RMSEA"], "fitted wave n": ref["n"]})
    if rows:
        sheets["Factor confirmation"] = pd.DataFrame(rows)
        notes["Factor confirmation"] = (f"Wave {model.wave}'s factor structure fitted on wave {ctx.wave} (CFA), beside "
                                        f"the same CFA on wave {model.wave}: the re-fit check asks whether the fit is "
                                        "worse than the fitted wave's beyond sampling error.")
    basis_new = clean.data.reindex(columns=model.basis_items)
    advice = refit_check(model, basis_new, cfa_results=cfa_results, cfa_reference=reference, wave=ctx.wave,
                         random_state=study.seed)
    if ctx.migration is not None:  # the panel's invariance test joins the re-fit advice (step migration)
        advice = with_invariance(advice, ctx.migration)
    sheets["Re-fit checks"] = advice.table
    notes["Re-fit checks"] = "Whether the frozen segmentation still holds on this wave; any 'due' means re-fit."
    if ctx.forward_since is not None:  # did the fitted wave's segments predict the months since? (step forward)
        since = ctx.forward_since.tables()
        sheets.update({"Since - " + k.replace("Forward ", "").replace("Forward", "verdict"): v for k, v in since.items()})
        notes["Since - verdict"] = (f"Did wave {model.wave}'s segments predict what its respondents' customers did in "
                                   f"the {ctx.forward_since.horizon} months since, beyond their order history?")
    if ctx.migration is not None:
        _migration_sheets(ctx.migration, sheets, notes)
    cls = ctx.classification
    sheets["Classification"] = cls.summary()
    notes["Classification"] = (f"Respondents of wave {ctx.wave} classified with the wave {model.wave} model; "
                               f"uncertain = largest probability below {model.uncertain_below:.2f}.")
    result = WaveTracking(wave=ctx.wave, model_wave=model.wave, sizes=sizes, changes=changes, drift=drift,
                               confirmation=pd.DataFrame(rows), advice=advice, movements=tuple(movements))
    logger.info("tracking: %s", advice.message)
    trends = deck_trends(result)
    if ctx.migration is not None:
        trends = dataclasses.replace(trends, migration=deck_migration(ctx.migration, names))
    saved = trends.to_dict()
    pii = study.pii

    def write(folder: Path) -> None:
        write_workbook(folder / "tracking.xlsx", sheets, pii=pii, notes=notes, labels=ctx.study.column_labels(), currency=ctx.study.currency)
        (folder / TRENDS_FILE).write_text(json.dumps(saved, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                          encoding="utf-8")

    return Output({"tracking": result, "trends": trends}, write)


def _migration_sheets(mig, sheets: dict, notes: dict) -> None:
    """tracking.xlsx's "Migration - ..." sheets and their notes (step migration)."""
    for name, table in mig.tables().items():
        sheets[f"Migration - {name}"] = table
    notes["Migration - Invariance"] = (f"Latent transition model of the panel, wave {mig.waves[0]} to "
                                       f"{mig.waves[-1]}: full invariance (the items mean the same at every "
                                       "wave), items freed one at a time (LR test, Holm-adjusted), free. "
                                       + mig.message)
    if mig.readable:
        notes["Migration - Transitions"] = ("P(segment at the later wave | segment at the earlier wave) with "
                                            f"{mig.n_boot} bootstrap replicates (se, 95 % percentile interval); "
                                            "naive = cross-table of each wave's own modal segment.")


def deck_trends(tr: WaveTracking) -> DeckTrends:
    """The deck's trend slides of a tracked wave, as plain data."""
    sizes = tr.sizes.copy()
    for c in ("share", "ci_low", "ci_high"):  # the deck shows per cent
        sizes[c] = 100 * sizes[c].astype(float)
    sizes["wave"] = sizes["wave"].astype(str)
    moves = (tr.changes.moves if tr.changes is not None else []) + (tr.drift.moves if tr.drift is not None else [])
    return DeckTrends(sizes=sizes, movements=tuple(tr.movements), moves=tuple(moves), refit=tr.advice.message)


def _applies(ctx: WaveContext) -> str | None:
    if ctx.loaded_model is None:
        return "no earlier model: the wave the segmentation is fitted on has nothing to be tracked against"
    return None


STEP = Step("tracking", tracking, needs=("frozen", "classification", "weighted", "earlier", "reports"),
            uses=("behaviour", "personas", "loaded_model", "forward_since", "migration"), gives=("tracking", "trends"), applies=_applies,
            what="tracking sizes, drift and fit against earlier waves")
