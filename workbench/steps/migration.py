"""Step ``migration`` (later waves): who moved between segments, for the respondents (or
re-interviewed accounts) answering in two or more waves — a latent transition model on the
segmentation's basis, measurement invariance tested first (:mod:`workbench.waves.migration`).
Its tables become sheets of ``tracking.xlsx`` and its verdict a row of the re-fit advice
(the tracking step uses it); the deck shows "Where did each segment's customers go?".

Skipped, with the reason, on the wave the model is fitted on, for k-means / Ward models (no
measurement model), and when fewer than :data:`~workbench.waves.migration.MIN_PANEL`
respondents answered in two waves (the panel counts per pair of waves are in the manifest
and the run summary either way).
"""

from __future__ import annotations

import logging

import pandas as pd

from ..core.errors import AnalysisError
from ..waves.migration import MIN_PANEL, migration as fit_migration, pair_counts, panel_ids
from .context import Output, Skip, Step, WaveContext
from .model import persona_names

__all__ = ["migration", "STEP", "panel_key", "panel_waves", "panel_line"]

logger = logging.getLogger(__name__)


def panel_key(ctx: WaveContext) -> str | None:
    """The survey column linking waves: None for the respondent id, else the customer key."""
    spec = ctx.study.spec
    return spec.customer_id if spec.panel.key == "customer" else None


def panel_waves(ctx: WaveContext) -> list[str]:
    """The waves followed: from the model's fitted wave to this one, in study order."""
    ids = [w.id for w in ctx.study.waves]
    first = ctx.frozen.wave if ctx.frozen.wave in ids else ids[0]
    return ids[ids.index(first): ids.index(ctx.wave) + 1]


def _value_tier(ctx: WaveContext, ids: pd.Series) -> pd.Series | None:
    """The customers' RFM tier (or revenue tercile) by panel id, from this wave's behaviour."""
    beh = ctx.behaviour
    if beh is None or beh.respondents is None:
        return None
    r = beh.respondents
    if "rfm_tier" in r.columns and r["rfm_tier"].notna().any():
        tier = r["rfm_tier"]
    elif "revenue" in r.columns and r["revenue"].notna().sum() >= 3:
        tier = pd.qcut(r["revenue"].rank(method="first"), 3, labels=["low", "middle", "high"])
    else:
        return None
    tier = tier.reindex(ids.index)
    tier.index = ids.to_numpy()
    return tier[~tier.index.duplicated()]


def migration(ctx: WaveContext) -> Output | Skip:
    """Link the waves' respondents, count the panel per pair of waves, fit the transitions."""
    study, model = ctx.study, ctx.frozen
    key = panel_key(ctx)
    waves = panel_waves(ctx)
    frames, ids, weights, unlinked = {}, {}, {}, 0
    for w in waves:
        resp = ctx.weighted if w == ctx.wave else ctx.earlier(w).weighted
        frames[w] = resp.data
        ids[w], n_un = panel_ids(resp.data, key)
        unlinked += n_un
        weights[w] = resp.weights
    counts = pair_counts(ids)
    # the panel per pair of waves, for the manifest and the run summary whatever happens next
    panel = {f"panel_wave_{r[0]}_to_{r[1]}": int(r[2]) for r in counts.itertuples(index=False)}
    if unlinked:
        panel["panel_customers_not_linked"] = unlinked
    n = int(counts["in both"].max()) if len(counts) else 0
    by = "respondent id" if key is None else f"customer key '{key}'"
    logger.info("migration: %d respondents in two waves (by %s)", n, by)
    if n < MIN_PANEL:
        return Skip(f"{n} respondents answered in two waves (linked by {by}); transitions need at least {MIN_PANEL}",
                    counts=panel)
    if study.spec.panel.key is None:
        return Skip(f"{n} respondent ids appear in two waves, but the study declares no panel: set panel: {{key: "
                    "respondent} if they are the same people (or {key: customer} for re-interviewed accounts)",
                    counts=panel)
    if model.method not in ("lca", "lpa"):
        return Skip(f"a {model.method} segmentation has no measurement model: segment migration needs latent "
                    "classes or latent profiles", counts=panel)
    labels = {c: study.columns[c].label for c in model.basis_items if c in study.columns}
    try:
        result = fit_migration(model, frames, ids, weights=weights, value=_value_tier(ctx, ids[ctx.wave]),
                               names=persona_names(ctx) or dict(model.names), labels=labels,
                               alpha=study.spec.panel.alpha, bootstrap_reps=study.spec.panel.bootstrap_reps,
                               random_state=study.seed)
    except AnalysisError as exc:
        return Skip(f"segment migration not estimated: {exc.message}", counts=panel)
    logger.info("migration: %s", result.message)
    return Output({"migration": result}, counts=panel)


def _applies(ctx: WaveContext) -> str | None:
    if ctx.loaded_model is None:
        return "no earlier model: the wave the segmentation is fitted on has no earlier wave to move from"
    return None


STEP = Step("migration", migration, needs=("frozen", "classification", "weighted", "earlier"),
            uses=("behaviour", "personas"), gives=("migration",), applies=_applies,
            what="segment migration of the panel between waves (latent transitions)")


def panel_line(counts: dict) -> str | None:
    """'Panel (answered in two waves): wave 1 → 2: 525' for the run summary, from the
    manifest's counts; None when no pair of waves was counted."""
    pairs = [(k[len("panel_wave_"):].split("_to_", 1), v) for k, v in counts.items() if k.startswith("panel_wave_")]
    if not pairs:
        return None
    return "Panel (answered in two waves): " + ", ".join(f"wave {a} → {b}: {int(n):,}" for (a, b), n in pairs)
