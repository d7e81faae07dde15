"""Step ``forward``: what the customers did after the wave's reference date, and whether each
candidate segmentation predicts it beyond the ERP (relevant, tested forward).

Study-aware glue for :mod:`workbench.behaviour.forward` (the outcomes, one SQL text on
DuckDB or Spark) and :mod:`workbench.criteria.forward` (segment differences, incremental
value over the behaviour-only baseline, the permutation check). The outcomes are measured
over the default horizons (6 and 12 months); a horizon the transactions do not cover yet is
skipped with the months missing (logged and in manifest.json); the candidates are judged on
the longest covered horizon. The criteria step adds the verdict to the scorecard's relevant
criterion (the *forward* line) and its tables to scorecard.xlsx; the deck shows it.
"""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd

from ..behaviour.forward import DEFAULT_HORIZONS, forward_outcomes
from ..criteria import Candidate
from ..criteria.forward import forward_relevance
from .context import Output, Skip, Step, WaveContext

__all__ = ["forward", "STEP", "respondent_outcomes"]

logger = logging.getLogger(__name__)


def respondent_outcomes(behaviour, outcomes, horizon: int) -> pd.DataFrame:
    """The outcomes over ``horizon`` per respondent (through the respondent's customer id);
    respondents whose customer had bought nothing by the reference date are missing."""
    resp = behaviour.respondents
    out = outcomes.horizon(horizon).reindex(resp["customer_id"].astype(str).to_numpy())
    out.index = resp.index
    return out


def _applies(ctx: WaveContext) -> str | None:
    return "study declares no behaviour data" if ctx.study.spec.behaviour is None else None


def forward(ctx: WaveContext) -> Output | Skip:
    """Forward outcomes of the wave's customers and every candidate's forward relevance."""
    study, beh = ctx.study, ctx.behaviour
    fw = forward_outcomes(study.spec.behaviour, study.root, beh.as_of, horizons=DEFAULT_HORIZONS)
    if not fw.horizons:
        return Skip("no forward outcomes yet: " + "; ".join(fw.skipped))
    for reason in fw.skipped:  # a longer horizon not covered yet, beside one that is
        ctx.manifest.skipped[f"forward outcomes, {reason.split(' (')[0]}"] = reason
    horizon = max(fw.horizons)
    if ctx.candidates is not None:
        cands = [c for c in ctx.candidates if isinstance(c, Candidate)]
    else:
        cands = [ctx.classified] if ctx.classified is not None else []
    if not cands:
        return Output({"forward": fw})
    out = respondent_outcomes(beh, fw, horizon)
    rel = forward_relevance(cands, out, beh.respondents, horizon=horizon, data=ctx.weighted.data,
                            random_state=study.seed)
    summary = fw.summary().reset_index()
    summary.insert(0, "reference date", str(fw.as_of))
    summary["note"] = ""
    skipped = pd.DataFrame({"reference date": str(fw.as_of), "note": list(fw.skipped)})
    rel = dataclasses.replace(rel, outcomes=pd.concat([summary, skipped], ignore_index=True),
                              settings=rel.settings | {"transactions end": str(fw.data_end)})
    ctx.manifest.counts.update({"forward_horizon_months": horizon,
                                "forward_respondents": int(out["lapsed"].notna().sum())})
    logger.info("forward: %s", "; ".join(f"{r.candidate} {r.status}" for r in rel.verdicts.itertuples()))
    return Output({"forward": fw, "forward_relevance": rel})


STEP = Step("forward", forward, needs=("behaviour", "weighted"), uses=("candidates", "classified"),
            gives=("forward", "forward_relevance"), applies=_applies,
            what="forward outcomes after the reference date and whether the segments predict them")
