"""Step ``segments`` (fit waves): the candidate segmentations of the study's plan;
``segments.xlsx`` and ``segment_labels.csv``.

Study-aware glue for :mod:`workbench.segments`: which columns the plan's basis blocks hold,
factor scores when the factors step gave them, covariates and behavioural KPIs, the seed.
A later wave is not fitted: the ``classification`` step classifies it with the frozen model.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from pathlib import Path

import pandas as pd

from ..core.errors import AnalysisError, StudyError, WorkbenchWarning
from ..core.measures import BOOKKEEPING, is_key
from ..files.outputs import check_no_pii, write_csv, write_workbook
from ..segments import SegmentSettings, candidates, method_names, standardise
from .context import Output, Step, WaveContext

__all__ = ["segments", "segmentation_inputs", "plan_settings", "study_settings", "STEP"]

logger = logging.getLogger(__name__)

def check_sample(ctx: WaveContext, what: str) -> None:
    """Refuse a wave too small for ``what``: at least two segments of ``min_segment_n`` respondents
    each must be possible, else every segment would be suppressed in what the client sees (issue 24).

    Raises
    ------
    AnalysisError
        "n respondents is too few for ..., at least m needed", naming the setting to change.
    """
    n, m = len(ctx.weighted.data), ctx.study.spec.min_segment_n
    if n < 2 * m:
        raise AnalysisError(
            f"wave {ctx.wave}: {n} respondent(s) kept after the quality checks is too few for {what}, at least "
            f"{2 * m} needed (two segments of min_segment_n = {m} each); field more interviews or lower "
            "min_segment_n in study.yaml", file=ctx.study.path)


def study_settings(study, cols) -> SegmentSettings:
    """The study's segmentation plan as one :class:`~workbench.segments.SegmentSettings`
    (methods, k, starts, covariance, min_class_share, min_segment_n, stability, the pinned
    choice, the seed, the ordinal measurement of the basis items ``cols``, max_starts, BLRT).

    Raises
    ------
    StudyError
        ``segmentation.methods`` or ``segmentation.choice`` names a method that is not
        registered (the message lists the registered ones).
    """
    plan = study.spec.segmentation
    known = method_names()
    for where, names in (("methods", list(plan.methods)), ("choice.method", [plan.choice.method] if plan.choice else [])):
        unknown = [m for m in names if m not in known]
        if unknown:
            raise StudyError(f"segmentation.{where} names {', '.join(unknown)}, which is not a segmentation method; "
                             f"the methods are {', '.join(known)} (or register one with workbench.segments.register)",
                             file=study.path)
    return SegmentSettings(
        k_range=range(plan.k_min, plan.k_max + 1), methods=tuple(plan.methods), n_init=plan.n_init,
        covariance=plan.covariance, min_class_share=plan.min_class_share, min_segment_n=study.spec.min_segment_n,
        n_bootstrap=plan.bootstrap_reps, stability_kind=plan.stability,
        choice=(plan.choice.method, plan.choice.k) if plan.choice else None, random_state=study.seed,
        measurement=({c: plan.measurement.get(study.columns[c].block, "nominal") for c in cols}
                     if plan.measurement else "nominal"),
        max_starts=plan.max_starts,  # None: 4 × n_init, also when a notebook changes n_init
        blrt_reps=plan.blrt_reps, blrt_for=plan.blrt_for,  # candidates() stops the draws where the test is decided
        structural_candidates="best",
    )


def segmentation_inputs(ctx: WaveContext, **changes) -> dict:
    """The keyword arguments of :func:`workbench.segments.candidates` for this wave's plan:
    ``candidates(**segmentation_inputs(ctx))`` fits what the segments step fits.

    Parameters
    ----------
    ctx : WaveContext
    **changes
        A notebook's changes to the plan's settings (see :func:`plan_settings`: ``methods``,
        ``k_min``, ``k_max``, ``n_init``, ``n_bootstrap`` or any
        :class:`~workbench.segments.SegmentSettings` field); None keeps the plan's value.

    Returns
    -------
    dict
        ``data`` (the coded basis items), ``scores`` (factor scores of the basis blocks, or
        None: LPA / k-means / Ward then segment the standardised items), ``covariates``,
        ``distal`` (behavioural KPIs, or None without the behaviour step), ``sample_weight``
        and ``settings`` (the study's :class:`~workbench.segments.SegmentSettings`, with the
        changes).

    Raises
    ------
    AnalysisError
        No basis item in this wave, or plan KPIs / covariates the data do not hold.
    StudyError
        The plan names a method that is not registered.
    """
    study, clean, plan = ctx.study, ctx.weighted, ctx.study.spec.segmentation
    skipped = set(clean.missing_columns)
    cols = [c.id for c in study.columns.values()
            if c.block in plan.basis and c.scale.coded and c.id in clean.data.columns and c.id not in skipped]
    if not cols:
        raise AnalysisError(
            f"the segmentation basis ({', '.join(plan.basis)}) has no coded items in wave {ctx.wave}; "
            "check segmentation.basis and the wave's not_asked list", file=study.path,
        )
    check_sample(ctx, "a segmentation")
    data = clean.data[cols]
    # continuous basis: factor scores of every solution whose items all lie in the basis
    scores, covered = [], set()
    for name, res in (ctx.factors or {}).items():
        items = set(getattr(res, "items", []))
        if items and items <= set(cols):
            sc = res.scores(clean.data)
            sc.columns = [f"{name}: {n}" for n in sc.columns]
            scores.append(sc)
            covered |= items
    cont = None
    if scores:
        rest = [c for c in cols if c not in covered]
        if rest:  # basis items no factor solution covers enter as z-scores
            weights = None if clean.weights is None else clean.weights.reindex(data.index).to_numpy()
            scores.append(standardise(data[rest], weights))
        cont = pd.concat(scores, axis=1)
    # covariates: columns, or every coded / numeric column of a named block
    cov_cols = []
    for c in plan.covariates:
        if c in study.spec.blocks:
            cov_cols += [x.id for x in study.columns.values()
                         if x.block == c and x.scale.numeric and x.id in clean.data.columns and x.id not in skipped]
        elif c in clean.data.columns and c not in skipped:
            cov_cols.append(c)
    covariates = clean.data[cov_cols] if cov_cols else None
    if covariates is not None:  # labels travel with the frame: CovariateEffects.wide() shows them
        covariates = covariates.copy()
        covariates.attrs["labels"] = {c: study.columns[c].label for c in cov_cols if c in study.columns}
        covariates.attrs["levels"] = {c: study.code_labels(c) for c in cov_cols if c in study.columns}
    # distal outcomes: the behaviour step's KPIs
    distal = None
    if ctx.behaviour is not None and plan.distal != []:
        resp = ctx.behaviour.respondents
        keys = (*study.key_columns, getattr(ctx.behaviour, "key", None))
        kpis = [c for c in resp.columns  # keys are never measures, whatever their names (issue 30)
                if c not in BOOKKEEPING and not is_key(c, resp[c], keys=keys)
                and not pd.api.types.is_datetime64_any_dtype(resp[c])]
        if plan.distal is not None:
            named_keys = [k for k in plan.distal if is_key(k, resp[k] if k in resp.columns else None, keys=keys)]
            if named_keys:
                raise AnalysisError(
                    f"segmentation.distal names {', '.join(named_keys)}: a key identifies customers and is never a "
                    f"distal outcome; name behavioural measures instead ({', '.join(kpis) or 'none available'})",
                    file=study.path,
                )
            unknown = [k for k in plan.distal if k not in kpis]
            if unknown:
                raise AnalysisError(
                    f"segmentation.distal names {', '.join(unknown)}, which the behaviour step does not provide; "
                    f"available KPIs: {', '.join(kpis)}", file=study.path,
                )
            kpis = list(plan.distal)
        distal = resp[kpis].reindex(data.index)
        # numbers stored as nullable integers become floats; booleans stay categories
        for c in distal.columns:
            if isinstance(distal[c].dtype, pd.BooleanDtype):
                distal[c] = distal[c].astype(object).where(distal[c].notna(), None)
            elif pd.api.types.is_integer_dtype(distal[c]) and not pd.api.types.is_bool_dtype(distal[c]):
                distal[c] = distal[c].astype("Float64").astype(float)
    settings = study_settings(study, cols)
    if any(v is not None for v in changes.values()):
        settings = plan_settings({"settings": settings}, **changes)
    return dict(data=data, scores=cont, covariates=covariates, distal=distal, sample_weight=clean.weights,
                settings=settings)


def plan_settings(inputs: dict, *, methods=None, k_min: int | None = None, k_max: int | None = None,
                  n_init: int | None = None, n_bootstrap: int | None = None, **changes) -> SegmentSettings:
    """The plan's settings with a notebook's changes: ``None`` keeps the study plan's value.

    Parameters
    ----------
    inputs : dict
        From :func:`segmentation_inputs` (its ``settings``: the study plan's).
    methods : list of str, optional
        Methods to fit (registered names, :func:`workbench.segments.method_names`); default: the plan's.
    k_min, k_max : int, optional
        Smallest and largest number of segments; default: the plan's.
    n_init, n_bootstrap : int, optional
        Random starts per model and bootstrap refits per candidate; default: the plan's.
    **changes
        Any other :class:`~workbench.segments.SegmentSettings` field.

    Returns
    -------
    SegmentSettings
        Every other setting (covariance, min_class_share, the ordinal measurement, the pinned
        choice, the seed, BLRT, ...) is the plan's.

    Raises
    ------
    ValueError
        An unknown method, no method, or a range of k that is empty or starts below 1.
    """
    plan = inputs["settings"]
    if methods is not None:
        methods = list(methods)
        unknown = [m for m in methods if m not in method_names()]
        if unknown or not methods:
            raise ValueError(f"methods must be some of {', '.join(method_names())}; got "
                             f"{', '.join(map(str, methods)) or 'none'}")
    lo = min(plan.k_range) if k_min is None else int(k_min)
    hi = max(plan.k_range) if k_max is None else int(k_max)
    if lo < 1 or hi < lo:
        raise ValueError(f"the range of k must run from at least 1 upwards; got k_min={lo}, k_max={hi}")
    out = plan.but(methods=methods, k_range=range(lo, hi + 1), n_init=n_init, n_bootstrap=n_bootstrap, **changes)
    if out.choice is not None and (out.choice[0] not in out.methods or out.choice[1] not in out.k_range):
        logger.info("segments: the plan's pinned choice %s k=%d is outside these methods / k; nothing is pinned",
                    *out.choice)
        out = dataclasses.replace(out, choice=None)
    return out


def segments(ctx: WaveContext) -> Output:
    """Fit the candidate segmentations the study's ``segmentation:`` plan names; give them
    as ``candidates`` and write segments.xlsx and segment_labels.csv."""
    study = ctx.study
    kwargs = segmentation_inputs(ctx)  # the study's settings, passed whole
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WorkbenchWarning)
        result = candidates(**kwargs, n_jobs=-1, progress=False)
    for w in caught:  # the CLI owns the terminal: say it in the log, the fit table has the details
        logger.warning("segments: %s", w.message)
    if not len(result):
        msgs = "; ".join(f"{r.candidate}: {r.message}" for r in result.fit_table.itertuples())
        raise AnalysisError(f"no candidate segmentation could be fitted ({msgs[:600]})", file=study.path)
    for m, b in result.bases.items():
        logger.info("segments: %s on %s", m, b)
    sheets, notes = result.to_sheets({c: col.label for c, col in study.columns.items()})
    labels = result.labels()
    if result.choice is not None:
        labels.insert(0, "segment", result.choice.labels)
    labels.index.name = study.respondent_id
    pii = study.pii
    check_no_pii(labels, pii, "segment_labels.csv")

    def write(folder: Path) -> None:
        write_workbook(folder / "segments.xlsx", sheets, pii=pii, notes=notes, labels=ctx.study.column_labels(), currency=ctx.study.currency)
        write_csv(labels, folder / "segment_labels.csv")  # text cells neutralised (formula injection)

    return Output({"candidates": result}, write,
                  counts={"segment_candidates": len(result),
                          "segment_candidates_failed": int((result.fit_table["status"] == "failed").sum())})


def _applies(ctx: WaveContext) -> str | None:
    if not ctx.study.spec.segmentation.basis:
        return "the study names no segmentation basis (segmentation.basis)"
    if ctx.loaded_model is not None:
        return "a later wave: classified with the frozen model, nothing fitted"
    return None


STEP = Step("segments", segments, needs=("weighted",), uses=("factors", "behaviour", "loaded_model"), gives=("candidates",),
            applies=_applies, what="fitting candidate segmentations")
