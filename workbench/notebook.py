"""What a notebook shows of a wave, and why a part is absent.

A notebook runs part of the flow with :func:`workbench.pipeline.run_until` (or
:func:`~workbench.pipeline.run_steps`) and shows what the context holds. Where a study has no
such part (no behaviour data, no JTBD outcomes, a model without a whole-base model), the
notebook prints one line saying so and why; these functions give that line from the reasons
the runner recorded, so no notebook needs logic of its own. The steps' own helpers a notebook
calls (:func:`segmentation_inputs`, :func:`plan_settings`, :func:`criteria_kpis`,
:func:`report_folder`) are importable from here too.
"""

from __future__ import annotations

import json

import pandas as pd

from .core.errors import OutputError, StudyError
from .core.measures import candidate_label, measure_label
from .files.outputs import in_words
from .pipeline import giver_of
from .describe.profiles import SegmentProfiles
from .segments import Candidates
from .segments.methods import has_likelihood
from .steps import FIELDS, WaveContext
from .steps.behaviour import not_computed
from .steps.criteria import criteria_kpis
from .steps.segments import plan_settings, segmentation_inputs
from .study import Study
from .waves import SegmentModel
from .waves.base import BaseModel
from .waves.flow import report_folder
from .waves.golden import TypingTool

__all__ = ["absent", "kpis_absent", "skipped_measures", "profile_groups", "model_attachment", "attachment_absent",
           "structural_absent", "ATTACHMENTS", "segmentation_inputs", "plan_settings", "criteria_kpis",
           "report_folder"]

#: The scorers a model file may carry (``SegmentModel.attachments``), as a sentence names them.
ATTACHMENTS = {"typing_tool": "typing tool", "base_model": "whole-base model"}


def absent(ctx: WaveContext, name: str, what: str | None = None) -> str | None:
    """Why ``ctx`` holds no ``name``, as one line for a notebook; None when it holds it.

    The reason is the one the runner recorded for the step that gives ``name``
    (``ctx.manifest.skipped``), with codes written as labels; a step that was not run (it
    is not among the steps :func:`run_until` ran) or that ran and gave nothing is said so.

    Parameters
    ----------
    ctx : WaveContext
        From :func:`run_until` or :func:`run_steps`.
    name : str
        A :class:`WaveContext` field: ``"behaviour"``, ``"opportunities"``, ``"tracking"``...
    what : str, optional
        How the line begins, e.g. ``"no behaviour data in this study"``; default
        ``"no <name>"``.

    Returns
    -------
    str or None
        ``"<what>: <reason>"``, e.g. 'no behaviour data in this study: study declares no
        behaviour data'.

    Raises
    ------
    KeyError
        ``name`` is not a field of the context.
    """
    if name not in FIELDS:
        raise KeyError(f"no context field {name!r}; the fields are: {', '.join(FIELDS)}")
    if getattr(ctx, name) is not None:
        return None
    step = giver_of(name)
    if step is None:
        why = "this run has none"
    elif step in ctx.manifest.skipped:
        why = ctx.manifest.skipped[step]
    elif step in ctx.manifest.steps:
        why = f"step {step} gave none"
    else:
        why = f"step {step} was not run"
    return f"{what or 'no ' + name.replace('_', ' ')}: {in_words(why, ctx.study.text_labels())}"


def kpis_absent(ctx: WaveContext, what: str = "no behavioural KPI in this study") -> str | None:
    """Why :func:`criteria_kpis` gives no KPI for this wave, as one line; None when it gives some.

    Without KPIs the scorecard cannot judge whether the segments are *relevant* and the
    profiles have no behaviour block; the line says which source is missing (the
    behaviour data, and survey questions of kind ``behaviour``).
    """
    if criteria_kpis(ctx) is not None:
        return None
    if ctx.behaviour is None:
        source = absent(ctx, "behaviour", "no behaviour data")
    else:
        source = "the behaviour step gave none of the KPIs"
    return (f"{what}: {source}, and no survey question is of kind behaviour; the scorecard cannot judge "
            "whether the segments are relevant")


def skipped_measures(ctx: WaveContext) -> pd.DataFrame:
    """The behaviour measures this study's transaction columns cannot give, with why.

    Returns
    -------
    DataFrame
        Indexed by the measure's label ('Cost to serve', 'Share of orders via each
        channel'), one column ``why not computed``; empty when every measure was computed
        or the study has no behaviour data (:func:`absent` says so).
    """
    beh = ctx.study.spec.behaviour
    tx = beh.transactions if beh is not None else None
    gone = not_computed(dict(tx.columns)) if ctx.behaviour is not None and tx is not None else {}
    labels = [measure_label(m, unit=True) for m in gone]
    return pd.DataFrame({"why not computed": [in_words(w) for w in gone.values()]},
                        index=pd.Index(labels, name="measure"))


def profile_groups(study: Study, profiles: SegmentProfiles, kpis: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """The profiled blocks of a segmentation in the groups a notebook shows them in.

    Parameters
    ----------
    study : Study
    profiles : SegmentProfiles
    kpis : DataFrame, optional
        The KPIs the profiles were given (:func:`criteria_kpis`): a block holding one of
        them (a survey question named in ``criteria.kpis``) counts as behaviour.

    Returns
    -------
    dict
        ``basis`` (the segmentation basis), ``behaviour`` (the behaviour KPIs and survey
        blocks of kind behaviour), ``outcomes`` (JTBD outcomes) and ``describing`` (every
        other block: firmographics, demographics...), each a list of block names in the
        profiles' order; a group the study does not have is empty.
    """
    basis = set(study.spec.segmentation.basis)
    kpi_blocks = {study.columns[c].block for c in (kpis.columns if kpis is not None else []) if c in study.columns}
    groups: dict[str, list[str]] = {"basis": [], "behaviour": [], "outcomes": [], "describing": []}
    for block in profiles.blocks:
        spec = study.spec.blocks.get(block)
        kind = spec.kind if spec is not None else None
        if block in basis:
            groups["basis"].append(block)
        elif spec is None or kind == "behaviour" or block in kpi_blocks:  # the KPIs' own block, or survey behaviour
            groups["behaviour"].append(block)
        elif kind == "outcomes":
            groups["outcomes"].append(block)
        else:
            groups["describing"].append(block)
    return groups


def model_attachment(model: SegmentModel, name: str):
    """A scorer the model file carries, as its object: the typing tool or the whole-base model.

    Parameters
    ----------
    model : SegmentModel
    name : {'typing_tool', 'base_model'}

    Returns
    -------
    TypingTool, BaseModel or None
        None when the model file has no such attachment (:func:`attachment_absent` says why).
    """
    if name not in ATTACHMENTS:
        raise KeyError(f"no model attachment {name!r}; the attachments are: {', '.join(ATTACHMENTS)}")
    doc = (model.attachments or {}).get(name)
    if doc is None:
        return None
    return TypingTool.from_dict(doc) if name == "typing_tool" else BaseModel.from_dict(doc)


def attachment_absent(study: Study, model: SegmentModel, name: str, *, reports="reports") -> str | None:
    """Why the model has no typing tool or whole-base model, as one line; None when it has it.

    The reasons come from the run of the wave the model was fitted on (its
    ``manifest.json`` under ``reports``): the whole-base model is fitted only when that wave
    had behaviour data with features to place customers with, and is left out when the fit
    failed (too few respondents with behaviour per segment, for one).
    """
    if model_attachment(model, name) is not None:
        return None
    what = f"no {ATTACHMENTS[name]} in the model fitted on wave {model.wave}"
    skipped = _recorded_skips(study, model.wave, reports)
    if name == "base_model":
        if "whole-base model" in skipped:
            why = skipped["whole-base model"]
        elif "behaviour" in skipped:
            why = f"no behaviour data to place customers with ({skipped['behaviour']})"
        else:
            why = "the fit wave's behaviour data held no feature to place customers with"
    else:
        why = "the model file was saved without one (run the fit wave again to add it)"
    return f"{what}: {in_words(why, study.text_labels())}"


def _recorded_skips(study: Study, wave: str, reports) -> dict[str, str]:
    """The steps (and parts) the run of ``wave`` recorded as skipped, from its manifest.json; {} without one."""
    try:
        path = report_folder(study, wave, reports) / "manifest.json"
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError, StudyError, OutputError):
        return {}
    skipped = doc.get("skipped_steps") if isinstance(doc, dict) else None
    return {str(k): str(v) for k, v in skipped.items()} if isinstance(skipped, dict) else {}


def structural_absent(ctx: WaveContext, candidates: Candidates, solution, part: str = "distal") -> str | None:
    """Why ``candidates`` hold no bias-adjusted ``part`` for ``solution``, as one line;
    None when they hold it.

    Distal outcomes (behaviour by segment) and covariates of membership are estimated for
    latent class and latent profile candidates only (with ``structural_candidates='best'``,
    for each method's lowest-BIC one), from the behaviour KPIs and the plan's covariates.

    Parameters
    ----------
    ctx : WaveContext
        The context the candidates' inputs came from (:func:`segmentation_inputs`).
    candidates : Candidates
    solution : Segmentation or None
        The candidate looked at (None: no candidate fitted).
    part : {'distal', 'covariates'}, default='distal'

    Returns
    -------
    str or None
    """
    if part not in ("distal", "covariates"):
        raise ValueError(f"part must be 'distal' or 'covariates', got {part!r}")
    store = candidates.distal if part == "distal" else candidates.covariates
    what = "no behaviour by segment" if part == "distal" else "no covariates of membership"
    plan = ctx.study.spec.segmentation
    if solution is not None and (solution.method, solution.k) in store:
        return None
    if solution is None:
        why = "no candidate segmentation was fitted"
    elif not has_likelihood(solution.method):
        why = (f"the bias-adjusted estimates need a latent class or latent profile model, and the solution "
               f"looked at is {candidate_label(solution.column)}")
    elif part == "distal" and ctx.behaviour is None:
        why = absent(ctx, "behaviour", "this study has no behaviour data")
    elif part == "distal" and plan.distal == []:
        why = "the study plan names no distal outcome (segmentation.distal is empty)"
    elif part == "covariates" and not plan.covariates:
        why = "the study plan names no covariates (segmentation.covariates)"
    else:
        why = f"they could not be estimated for {candidate_label(solution.column)} (the warnings above say why)"
    return f"{what}: {why}"
