"""``workbench validate``: read, check, join and weight each wave as ``run`` would, writing nothing.

Runs the reading steps with the runner (:mod:`workbench.pipeline`) and makes every check ``run``
would make before or after fitting (:func:`preflight`), and for a later wave the check of the
model it would be classified with.
"""

from __future__ import annotations

from pathlib import Path

from .core.errors import StudyError
from .pipeline import ORDER, new_context, run_steps, upstream
from .steps import WaveContext
from .steps.accounts import customers_line
from .steps.criteria import criteria_kpis
from .steps.segments import segmentation_inputs
from .study import Study, load_study
from .waves.flow import load_frozen, resolve_model

__all__ = ["validate", "preflight", "VALIDATE_UNTIL"]

#: The steps validate runs (reading, checking, joining and weighting: nothing is fitted).
VALIDATE_UNTIL = "weighting"


def preflight(ctx: WaveContext) -> dict[str, str]:
    """The checks ``run`` would make after reading, before or after fitting, made on the
    read, checked, joined and weighted wave in ``ctx`` without fitting anything.

    Raises the error run would raise (a basis without coded items, segmentation KPIs or
    covariates the data do not hold, criteria KPIs nobody provides); returns the steps run
    would skip and why (``applies`` of every later step).
    """
    study = ctx.study
    if study.spec.segmentation.basis:
        segmentation_inputs(ctx)  # raises on a basis without coded items, unknown KPIs / covariates
    criteria_kpis(ctx)  # raises on criteria.kpis nobody provides
    skips = {}
    for step in ORDER:
        if step.applies is None or step.name in ("classification", "tracking", "segments"):
            continue  # those depend on which wave a model is fitted on, known only to run
        try:
            why = step.applies(ctx)
        except (AttributeError, TypeError):  # applies that read a field only run gives
            continue
        if why:
            skips[step.name] = why
    return skips


def validate(study, waves=None, *, details: bool = False, reports="reports", model=None, refit: bool = False):
    """Load the study and read, check, join and weight each wave, writing nothing, and make
    every check ``run`` would make before or after fitting (:func:`preflight`) — for a later
    wave also the model check: the model ``run`` would classify it with (the latest earlier
    wave's under ``reports``, or ``model``) is loaded and checked against the study exactly
    as ``run`` does (:func:`workbench.waves.load_model`: basis questions changed, unless
    ``segmentation.reworded`` says only their wording did).

    Returns
    -------
    list of (wave, Responses, QualityReport); with ``details``, a fourth item per wave: a
    dict with ``skipped`` (steps run would skip, and why), ``behaviour`` (the join, or
    None) and ``model`` (one line: the model the wave will be classified with, or why it
    cannot be checked yet; None for a wave that fits its own).

    Raises
    ------
    StudyError
        The error ``run`` would raise for the wave's model (a changed basis, a named model
        that does not exist).
    """
    if not isinstance(study, Study):
        study = load_study(study)
    out = []
    for w in waves or [w.id for w in study.waves]:
        wid = study.wave(w).id
        ctx = new_context(study, wid, reports=reports)
        path, note = _validate_model(study, wid, reports, model, refit)
        if path is not None:  # the same load and codebook check as run's (raises the same error)
            ctx.loaded_model, ctx.model_path = load_frozen(path, study), path
        run_steps(ctx, upstream(VALIDATE_UNTIL))
        skipped = {**ctx.manifest.skipped, **preflight(ctx)}
        row = (str(w), ctx.responses, ctx.quality)
        out.append((*row, {"skipped": skipped, "behaviour": ctx.behaviour, "model": note,
                           "customers": customers_line(ctx)}) if details else row)
    return out


def _validate_model(study: Study, wave: str, reports, model, refit: bool) -> tuple[Path | None, str | None]:
    """The model file ``run`` would classify ``wave`` with, and one line for validate to print."""
    ids = [w.id for w in study.waves]
    earlier = ids[: ids.index(wave)]
    if not study.spec.segmentation.basis or refit or (not earlier and model is None):
        return None, None
    try:
        path = resolve_model(study, wave, reports, model, refit)
    except StudyError:
        if model is not None:
            raise
        return None, (f"wave {wave} will be classified with the model of wave {earlier[-1]} (or the latest earlier "
                      f"wave that has one); no model file is under {Path(reports)} yet, so it is checked when "
                      "validate runs after that wave")
    if path is None:
        return None, None
    return path, f"classified with the model {path} (checked against the study: basis questions unchanged)"
