"""Step ``criteria``: score every candidate segmentation (relevant / operational /
describable), profile the recommended or pinned one, compute its JTBD opportunities and
draft its personas; scorecard.xlsx, scorecard.md, profiles.xlsx, opportunities.xlsx and
personas.yaml (also merged into ``surveys/<study>/personas.yaml``, where a consultant's
edits are kept).

Study-aware glue for :mod:`workbench.criteria`, :mod:`~workbench.describe.profiles`,
:mod:`~workbench.describe.opportunities` and :mod:`~workbench.describe.personas`: the KPIs from the behaviour
step, the basis items and thresholds from the study.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..criteria import Candidate, score_candidates, study_basis
from ..criteria.forward import with_forward
from ..core.errors import AnalysisError
from ..segments import Candidates
from ..core.measures import BOOKKEEPING, CORE_KPIS, is_key
from ..describe.opportunities import opportunities, outcome_pairs
from ..describe.personas import draft_personas, merge_personas, personas_path
from .context import Output, Skip, Step, WaveContext

__all__ = ["criteria", "criteria_kpis", "survey_behaviour", "no_outcomes", "STEP", "OPPORTUNITIES", "PERSONAS"]

logger = logging.getLogger(__name__)


def survey_behaviour(ctx: WaveContext, responses=None) -> pd.DataFrame:
    """The survey's behavioural measures per respondent: questions of kind ``behaviour``
    (vote, usage, spend bands) as this wave answered them; ordinal and Likert codes as
    numbers, nominal and binary codes as their labels (tested as categories)."""
    responses = responses if responses is not None else (ctx.weighted or ctx.clean)
    if responses is None:
        return pd.DataFrame()
    data, skipped = responses.data, set(responses.missing_columns)
    out = {}
    for cid, col in ctx.study.columns.items():
        if col.kind != "behaviour" or cid not in data.columns or cid in skipped:
            continue
        if is_key(cid, data[cid], keys=ctx.study.key_columns):  # an account number asked in the survey
            continue
        out[cid] = _survey_measure(data[cid], col)
    return pd.DataFrame(out, index=data.index)


def _survey_measure(s: pd.Series, col) -> pd.Series:
    if col.scale.type in ("nominal", "binary") or not col.scale.numeric:
        labels = dict(col.scale.codes)
        return s.map(lambda v: None if pd.isna(v) else str(labels.get(v, v))).astype(object)
    return pd.to_numeric(s, errors="coerce").astype(float)


def criteria_kpis(ctx: WaveContext) -> pd.DataFrame | None:
    """Behavioural measures per clean respondent for the scorecard and profiles, or None.

    With ERP data: the study's ``criteria.kpis`` when it names them (behaviour features or
    survey columns), else :data:`CORE_KPIS` as far as the behaviour step provides them.
    Without ERP data: the named KPIs (survey columns) and the survey questions of kind
    ``behaviour``. None when there is no behavioural measure at all (the scorecard then
    says that relevance cannot be judged). Nullable integers become floats and nullable
    booleans categories, as the statistics expect.
    """
    survey_resp = ctx.weighted or ctx.clean
    if survey_resp is None:
        return None
    index = survey_resp.data.index
    resp = ctx.behaviour.respondents if ctx.behaviour is not None else pd.DataFrame(index=index)
    survey = survey_resp.data
    named = list(ctx.study.spec.criteria.kpis)
    keys = (*ctx.study.key_columns, getattr(ctx.behaviour, "key", None))
    if named:
        named_keys = [k for k in named if is_key(k, keys=keys)]
        if named_keys:
            raise AnalysisError(
                f"criteria.kpis names {', '.join(named_keys)}: a key identifies customers or respondents and is "
                "never a KPI; name behavioural measures instead", file=ctx.study.path,
            )
        unknown = [k for k in named if k not in resp.columns and k not in survey.columns]
        if unknown:
            raise AnalysisError(
                f"criteria.kpis names {', '.join(unknown)}, which neither the behaviour step nor the survey "
                f"provides; available: {', '.join(c for c in resp.columns if c not in BOOKKEEPING) or 'no ERP measure'}"
                f"; survey questions of kind behaviour: "
                f"{', '.join(c for c, col in ctx.study.columns.items() if col.kind == 'behaviour') or 'none'}",
                file=ctx.study.path,
            )
        cols = {}
        for k in named:
            if k in resp.columns:
                cols[k] = resp[k].reindex(index)
            else:
                col = ctx.study.columns.get(k)
                cols[k] = _survey_measure(survey[k], col) if col is not None else survey[k]
        kpis = pd.DataFrame(cols, index=index)
    elif ctx.behaviour is not None and any(c in resp.columns for c in CORE_KPIS):
        kpis = resp[[c for c in CORE_KPIS if c in resp.columns]].reindex(index)
    else:
        kpis = survey_behaviour(ctx, survey_resp)
    if kpis.shape[1] == 0:
        return None
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
    # one typing tool: the scorecard builds the one the model step ships, so it may use at most the
    # plan's golden_questions too
    spec = spec.model_copy(update={"typing_max_questions": min(spec.typing_max_questions,
                                                               study.spec.segmentation.golden_questions)})
    skipped = set(clean.missing_columns)
    basis = [c for c in study_basis(study) if c in clean.data.columns and c not in skipped]
    kpis = criteria_kpis(ctx)
    card = score_candidates(cands, clean, kpis=kpis, basis=basis, criteria=spec, weights=clean.weights,
                            min_segment_n=study.spec.min_segment_n, random_state=study.seed)
    if ctx.forward_relevance is not None:  # the forward line in the relevant criterion (step forward)
        card = with_forward(card, ctx.forward_relevance)
    logger.info("criteria: recommended %s (%s)", card.recommended, card.reason)
    chosen_cand = next(c for c in cands if str(c.name) == card.recommended)
    prof = card.best.profiles
    pii = study.pii

    def write(folder: Path) -> None:
        labels = study.column_labels()
        card.to_excel(folder / "scorecard.xlsx", pii=pii, labels=labels, currency=study.currency)
        card.to_markdown(folder / "scorecard.md")
        # profiles.xlsx is the personas step's: it names each segment as the deck does

    return Output({"scorecard": card, "chosen": chosen_cand, "profiles": prof}, write,
                  counts={"scorecard_candidates": len(cands)})


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
    # opportunities.xlsx is the personas step's: it names each segment as the deck does
    return Output({"opportunities": opp})


def personas_step(ctx: WaveContext) -> Output:
    """Persona drafts of the recommended segmentation (with its opportunities when the study
    has outcomes), merged with the consultant's edits; personas.yaml."""
    study = ctx.study
    reverse = [c for c, col in study.columns.items() if getattr(col, "reverse", False)]
    drafts = draft_personas(ctx.profiles, ctx.weighted, opportunities=ctx.opportunities,
                            posteriors=getattr(ctx.chosen, "posteriors", None), random_state=study.seed,
                            language=str(study.spec.study.language or "en"), reverse=reverse)
    study_copy = personas_path(study)
    personas = merge_personas(drafts, study_copy, save=False)

    pii, labels, currency = study.pii, study.column_labels(), study.currency
    names = {p.segment: p.name for p in personas}  # the deck's names, beside the numbers (issue 26)
    profiles, opp = ctx.profiles, ctx.opportunities

    def write(folder: Path) -> None:
        personas.save(folder / "personas.yaml")
        personas.save(study_copy)  # the editable copy beside study.yaml, kept across runs
        profiles.to_excel(folder / "profiles.xlsx", pii=pii, currency=currency, labels=labels, names=names)
        if opp is not None:
            opp.to_excel(folder / "opportunities.xlsx", pii=pii, labels=labels, names=names)

    return Output({"personas": personas}, write, counts={"personas": len(personas)})


STEP = Step("criteria", criteria, needs=("weighted",),
            uses=("candidates", "classified", "behaviour", "forward_relevance"),
            gives=("scorecard", "chosen", "profiles"), what="scoring candidates, profiling the chosen one")
OPPORTUNITIES = Step("opportunities", opportunities_step, needs=("weighted", "profiles"), gives=("opportunities",),
                     applies=no_outcomes, what="JTBD opportunity scores of the chosen segmentation")
PERSONAS = Step("personas", personas_step, needs=("weighted", "profiles"), uses=("chosen", "opportunities"),
                gives=("personas",), what="drafting personas")
