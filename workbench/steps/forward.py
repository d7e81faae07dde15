"""Step ``forward``: what the customers did after the wave's reference date, and whether each
candidate segmentation predicts it beyond the ERP (relevant, tested forward).

Study-aware glue for :mod:`workbench.behaviour.forward` (the outcomes, one SQL text on
DuckDB or Spark) and :mod:`workbench.criteria.forward` (segment differences, incremental
value over the behaviour-only baseline, the permutation check). The outcomes are measured
over the study's ``behaviour.forward_horizons`` (default 6 and 12 months); a horizon the transactions do not cover yet is
skipped with the months missing (logged and in manifest.json); the candidates are judged on
the longest covered horizon. The criteria step adds the verdict to the scorecard's relevant
criterion (the *forward* line) and its tables to scorecard.xlsx; the deck shows it. A later
wave also asks "did the fitted wave's segments predict the months since?"
(:func:`since_earlier_wave`, ``forward_since``; sheets of tracking.xlsx).
"""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd

from ..behaviour.forward import forward_outcomes
from ..criteria import Candidate, LabelCandidate
from ..criteria.forward import ForwardRelevance, forward_relevance
from ..core.errors import AnalysisError
from ..waves.flow import SEGMENTS_FILE, read_segments, report_folder
from .context import Output, Skip, Step, WaveContext

__all__ = ["forward", "STEP", "respondent_outcomes", "since_earlier_wave"]

logger = logging.getLogger(__name__)


def respondent_outcomes(behaviour, outcomes, horizon: int) -> pd.DataFrame:
    """The outcomes over ``horizon`` per respondent (through the respondent's customer id);
    respondents whose customer had bought nothing by the reference date are missing."""
    resp = behaviour.respondents
    out = outcomes.horizon(horizon).reindex(resp["customer_id"].astype(str).to_numpy())
    out.index = resp.index
    return out


def since_earlier_wave(ctx: WaveContext) -> ForwardRelevance | None:
    """A later wave: did the fitted wave's segments predict the months since? (tracking)

    The fitted wave's respondents with the segments its frozen model gave them
    (``respondent_segments.csv`` in its report folder), its behaviour re-read as of its own
    date (``ctx.earlier``), and the forward outcomes from that date over the whole months up
    to this wave's date. None when this wave fits its own model, the fitted wave's report is
    not there, or no whole month has passed.
    """
    model = ctx.loaded_model
    if model is None or ctx.earlier is None or ctx.reports is None or str(model.wave) == str(ctx.wave):
        return None
    w = str(model.wave)
    path = report_folder(ctx.study, w, ctx.reports) / SEGMENTS_FILE
    if not path.is_file():
        logger.info("forward: wave %s's respondent segments are not in the reports; months since not judged", w)
        return None
    before = ctx.earlier(w)
    if before.behaviour is None:
        return None
    months = round((ctx.behaviour.as_of - before.behaviour.as_of).days / 30.4375)
    if months < 1:
        return None
    fw = forward_outcomes(ctx.study.spec.behaviour, ctx.study.root, before.behaviour.as_of, horizons=(months,))
    if not fw.horizons:
        logger.info("forward: months since wave %s: %s", w, "; ".join(fw.skipped))
        return None
    labels = read_segments(path)["segment"]
    labels.index = labels.index.astype(str)
    cand = LabelCandidate(f"wave {w} segments", labels)
    try:
        rel = forward_relevance([cand], respondent_outcomes(before.behaviour, fw, months),
                                before.behaviour.respondents, horizon=months, random_state=ctx.study.seed,
                                permute_all=True)
    except AnalysisError as exc:
        logger.info("forward: months since wave %s not judged: %s", w, exc.message)
        return None
    summary = fw.summary().reset_index()
    summary.insert(0, "reference date", str(fw.as_of))
    return dataclasses.replace(rel, outcomes=summary, settings=rel.settings | {
        "segments": f"wave {w}'s respondents, classified by the wave {w} model",
        "months": f"{fw.as_of} to {ctx.behaviour.as_of}", "transactions end": str(fw.data_end)})


def _applies(ctx: WaveContext) -> str | None:
    return "study declares no behaviour data" if ctx.study.spec.behaviour is None else None


def forward(ctx: WaveContext) -> Output | Skip:
    """Forward outcomes of the wave's customers and every candidate's forward relevance."""
    study, beh = ctx.study, ctx.behaviour
    since = since_earlier_wave(ctx)
    fw = forward_outcomes(study.spec.behaviour, study.root, beh.as_of, horizons=tuple(study.spec.behaviour.forward_horizons))
    if not fw.horizons:
        if since is None:
            return Skip("no forward outcomes yet: " + "; ".join(fw.skipped))
        return Output({"forward_since": since},
                      skipped={"forward outcomes": "no forward outcomes yet: " + "; ".join(fw.skipped)})
    # a longer horizon not covered yet, beside one that is
    parts = {f"forward outcomes, {reason.split(' (')[0]}": reason for reason in fw.skipped}
    horizon = max(fw.horizons)
    if ctx.candidates is not None:
        cands = [c for c in ctx.candidates if isinstance(c, Candidate)]
    else:
        cands = [ctx.classified] if ctx.classified is not None else []
    if not cands:
        return Output({"forward": fw, "forward_since": since}, skipped=parts)
    out = respondent_outcomes(beh, fw, horizon)
    try:
        rel = forward_relevance(cands, out, beh.respondents, horizon=horizon, data=ctx.weighted.data,
                                random_state=study.seed)
    except AnalysisError as exc:  # e.g. a behaviour table without any baseline feature: the outcomes stand
        return Output({"forward": fw, "forward_since": since}, skipped={**parts, "forward relevance": exc.message})
    summary = fw.summary().reset_index()
    summary.insert(0, "reference date", str(fw.as_of))
    summary["note"] = ""
    skipped = pd.DataFrame({"reference date": str(fw.as_of), "note": list(fw.skipped)})
    rel = dataclasses.replace(rel, outcomes=pd.concat([summary, skipped], ignore_index=True),
                              settings=rel.settings | {"transactions end": str(fw.data_end)})
    logger.info("forward: %s", "; ".join(f"{r.candidate} {r.status}" for r in rel.verdicts.itertuples()))
    return Output({"forward": fw, "forward_relevance": rel, "forward_since": since}, skipped=parts,
                  counts={"forward_horizon_months": horizon, "forward_respondents": int(out["lapsed"].notna().sum())})


STEP = Step("forward", forward, needs=("behaviour", "weighted"),
            uses=("candidates", "classified", "loaded_model", "earlier", "reports"),
            gives=("forward", "forward_relevance", "forward_since"), applies=_applies,
            what="forward outcomes after the reference date and whether the segments predict them")
