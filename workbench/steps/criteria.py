"""Step ``criteria``: score every candidate segmentation (relevant / operational /
describable), profile the recommended or pinned one, compute its JTBD opportunities and
draft its personas; scorecard.xlsx, scorecard.md, profiles.xlsx, opportunities.xlsx and
personas.yaml (also merged into ``surveys/<study>/personas.yaml``, where a consultant's
edits are kept).

Study-aware glue for :mod:`workbench.criteria`, :mod:`~workbench.profiles`,
:mod:`~workbench.opportunities` and :mod:`~workbench.personas`: the KPIs from the behaviour
step, the basis items and thresholds from the study.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..criteria import Candidate, score_candidates, study_basis
from ..errors import AnalysisError
from ..segments import Candidates
from ..measures import BOOKKEEPING, CORE_KPIS
from ..opportunities import opportunities, outcome_pairs
from ..personas import draft_personas, merge_personas, personas_path
from .context import Output, Skip, Step, WaveContext

__all__ = ["criteria", "criteria_kpis", "no_outcomes", "STEP", "OPPORTUNITIES", "PERSONAS"]

logger = logging.getLogger(__name__)


def criteria_kpis(ctx: WaveContext) -> pd.DataFrame | None:
    """Behavioural KPIs per clean respondent for the scorecard and profiles, or None.

    The study's ``criteria.kpis`` when it names them, else :data:`CORE_KPIS` as far as the
    behaviour step provides them. Nullable integers become floats and nullable booleans
    categories, as the statistics expect.
    """
    if ctx.behaviour is None or ctx.clean is None:
        return None
    resp = ctx.behaviour.respondents
    named = list(ctx.study.spec.criteria.kpis)
    if named:
        unknown = [k for k in named if k not in resp.columns]
        if unknown:
            raise AnalysisError(
                f"criteria.kpis names {', '.join(unknown)}, which the behaviour step does not provide; available: "
                f"{', '.join(c for c in resp.columns if c not in BOOKKEEPING)}", file=ctx.study.path,
            )
    else:
        named = [c for c in CORE_KPIS if c in resp.columns]
    if not named:
        return None
    kpis = resp[named].reindex(ctx.clean.data.index)
    for c in kpis.columns:
        if isinstance(kpis[c].dtype, pd.BooleanDtype):
            kpis[c] = kpis[c].astype(object).where(kpis[c].notna(), None)
        elif pd.api.types.is_integer_dtype(kpis[c]) and not pd.api.types.is_bool_dtype(kpis[c]):
            kpis[c] = kpis[c].astype("Float64").astype(float)
    return kpis


def criteria(ctx: WaveContext) -> Output | Skip:
    """Score every candidate segmentation (relevant / operational / describable), profile the
    recommended or pinned one, compute its JTBD opportunities and draft its personas.

    Gives ``scorecard``, ``chosen`` and ``profiles``; the ``opportunities`` and ``personas``
    steps (declared below) follow.
    The study's ``criteria.pin`` wins; otherwise a choice pinned in ``segmentation.choice``.
    """
    study, clean = ctx.study, ctx.weighted
    if ctx.candidates is not None:
        cands = [c for c in ctx.candidates if isinstance(c, Candidate)]
    else:
        cands = [ctx.classified] if ctx.classified is not None else []
    if not cands:
        logger.info("criteria: no candidate segmentations; scorecard, profiles and personas skipped")
        return Skip("no candidate segmentations to score")
    spec = study.spec.criteria
    pinned = ctx.candidates.chosen if isinstance(ctx.candidates, Candidates) else None
    if spec.pin is None and pinned is not None:
        try:
            spec = spec.model_copy(update={"pin": ctx.candidates[pinned].name})
        except (KeyError, TypeError, AttributeError):
            pass
    skipped = set(clean.missing_columns)
    basis = [c for c in study_basis(study) if c in clean.data.columns and c not in skipped]
    kpis = criteria_kpis(ctx)
    card = score_candidates(cands, clean, kpis=kpis, basis=basis, criteria=spec, weights=clean.weights,
                            min_segment_n=study.spec.min_segment_n, random_state=study.seed)
    logger.info("criteria: recommended %s (%s)", card.recommended, card.reason)
    chosen_cand = next(c for c in cands if str(c.name) == card.recommended)
    prof = card.best.profiles
    ctx.manifest.counts.update({"scorecard_candidates": len(cands)})
    pii = study.pii

    def write(folder: Path) -> None:
        card.to_excel(folder / "scorecard.xlsx", pii=pii)
        card.to_markdown(folder / "scorecard.md")
        prof.to_excel(folder / "profiles.xlsx", pii=pii)

    return Output({"scorecard": card, "chosen": chosen_cand, "profiles": prof}, write)


def no_outcomes(ctx: WaveContext) -> str | None:
    """Why the study cannot have JTBD opportunities (no outcome with both an importance and
    a satisfaction question), or None."""
    if not outcome_pairs(ctx.study.columns.values()):
        return "the study has no JTBD outcomes block (no outcome with an importance and a satisfaction question)"
    return None


def opportunities_step(ctx: WaveContext) -> Output | Skip:
    """JTBD opportunity scores of the recommended segmentation; opportunities.xlsx."""
    clean, spec, study = ctx.weighted, ctx.study.spec.criteria, ctx.study
    if not outcome_pairs(clean.columns.values(), clean.data.columns):
        return Skip("no JTBD outcome has both its importance and its satisfaction column in this wave's responses")
    opp = opportunities(clean, ctx.profiles.membership, weights=clean.weights, underserved=spec.underserved,
                        overserved_gap=spec.overserved_gap, min_segment_n=study.spec.min_segment_n)
    pii = study.pii
    return Output({"opportunities": opp}, lambda folder: opp.to_excel(folder / "opportunities.xlsx", pii=pii))


def personas_step(ctx: WaveContext) -> Output:
    """Persona drafts of the recommended segmentation (with its opportunities when the study
    has outcomes), merged with the consultant's edits; personas.yaml."""
    study = ctx.study
    drafts = draft_personas(ctx.profiles, ctx.weighted, opportunities=ctx.opportunities,
                            posteriors=getattr(ctx.chosen, "posteriors", None), random_state=study.seed)
    study_copy = personas_path(study)
    personas = merge_personas(drafts, study_copy, save=False)
    ctx.manifest.counts.update({"personas": len(personas)})

    def write(folder: Path) -> None:
        personas.save(folder / "personas.yaml")
        personas.save(study_copy)  # the editable copy beside study.yaml, kept across runs

    return Output({"personas": personas}, write)


STEP = Step("criteria", criteria, needs=("weighted",), uses=("candidates", "classified", "behaviour"),
            gives=("scorecard", "chosen", "profiles"), what="scoring candidates, profiling the chosen one")
OPPORTUNITIES = Step("opportunities", opportunities_step, needs=("weighted", "profiles"), gives=("opportunities",),
                     applies=no_outcomes, what="JTBD opportunity scores of the chosen segmentation")
PERSONAS = Step("personas", personas_step, needs=("weighted", "profiles"), uses=("chosen", "opportunities"),
                gives=("personas",), what="drafting personas")
