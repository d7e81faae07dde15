"""The runner: one wave's steps ordered from their declarations, run all or in part.

The steps live in :mod:`workbench.steps`, one module each; this module knows nothing of
what they compute.  :func:`run_wave` runs every step, then calls the writers the steps
returned inside a temporary folder that is moved into place whole (see
:class:`workbench.outputs.ReportFolder`), so bad input leaves nothing behind in
``reports/``.  :func:`run_until` runs only what one step needs, in memory, for notebooks
and for re-reading an earlier wave.  The design (the flow, the rooms and their import
rules, the contracts) is in ``docs/design.md``.

To add a step you must
----------------------
1. write it as a function ``run(ctx: WaveContext) -> Output | Skip`` in its own module
   under ``workbench/steps/``, reading only the context fields it declares and never
   changing a value another step gave (return new values in ``Output(values, write)``);
2. add every field it gives to :class:`workbench.steps.context.WaveContext`, typed with
   the real result class (``None`` until given);
3. declare it as ``STEP = Step(name, run, needs=..., gives=..., uses=..., applies=...,
   what=...)``: ``needs`` are fields without which it cannot run (a missing one skips it,
   with the reason), ``uses`` fields it reads when given, ``applies`` says why a study
   cannot have the step (no such block, a first wave...), or None;
4. list ``STEP`` in :data:`workbench.steps.STEPS`;
5. keep its writer free of side effects on the context (it only writes files), and test
   the step on its own in ``tests/steps/``.

The declarations are checked when this module is imported (:func:`order_steps`): an
unknown field, two steps giving the same field, a need nobody gives or a cycle stop the
import with a :class:`StepDeclarationError` naming the steps.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pandas as pd

from .behaviour import Behaviour, compute_behaviour
from .criteria import Scorecard
from .errors import OutputError, StudyError
from .factors import EFAResult
from .locking import WaveLock
from .measures import candidate_label, measure_label
from .opportunities import Opportunities
from .outputs import Manifest, ReportFolder, in_words
from .personas import Personas
from .rerender import rerender_deck
from .profiles import SegmentProfiles
from .quality import QualityReport, check_quality
from .readers import Responses, read_responses
from .segments import Candidates
from .segments.methods import has_likelihood
from .steps import FIELDS, RUNNER_FIELDS, STEPS, Output, Skip, Step, WaveContext, Writer
from .steps.accounts import customers_line
from .steps.migration import panel_line
from .steps.behaviour import not_computed
from .steps.criteria import criteria_kpis
from .steps.segments import plan_settings, segmentation_inputs
from .study import Study, load_study
from .waves import Classification, SegmentModel
from .waves.base import BaseModel
from .waves.classify import classify_file
from .waves.flow import WaveTracking, load_frozen, report_folder, resolve_model
from .waves.golden import TypingTool

__all__ = ["run_wave", "run_until", "WaveRun", "WaveContext", "validate", "preflight", "validate_behaviour", "ORDER", "order_steps", "report_folder",
           "rerender_deck", "StepDeclarationError", "new_context", "run_steps", "segmentation_inputs", "criteria_kpis", "classify_file",
           "plan_settings", "absent", "kpis_absent", "skipped_measures", "profile_groups", "model_attachment",
           "attachment_absent", "structural_absent", "ATTACHMENTS"]

logger = logging.getLogger(__name__)


class StepDeclarationError(TypeError):
    """The steps' declarations do not make one flow (a programming error, not bad input)."""


def order_steps(steps: tuple[Step, ...] | list[Step]) -> tuple[Step, ...]:
    """Check the steps' declarations and order them so that every step comes after the
    steps giving what it needs or uses (ties: the order of ``steps``).

    Raises
    ------
    StepDeclarationError
        Two steps with one name; a field that is not a :class:`WaveContext` field; a field
        given by two steps, or by a step and the runner; a need no step gives; a cycle.
    """
    names = [s.name for s in steps]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise StepDeclarationError(f"two steps are called {', '.join(dup)}")
    giver: dict[str, str] = {}
    for s in steps:
        for f in (*s.needs, *s.uses, *s.gives):
            if f not in FIELDS:
                raise StepDeclarationError(f"step {s.name!r} declares {f!r}, which is not a WaveContext field")
        for f in s.gives:
            if f in RUNNER_FIELDS:
                raise StepDeclarationError(f"step {s.name!r} gives {f!r}, which the runner sets")
            if f in giver:
                raise StepDeclarationError(f"steps {giver[f]!r} and {s.name!r} both give {f!r}")
            giver[f] = s.name
    for s in steps:
        for f in s.needs:
            if f not in giver and f not in RUNNER_FIELDS:
                raise StepDeclarationError(f"step {s.name!r} needs {f!r}, which no step gives")
    graph = TopologicalSorter()
    for s in steps:
        graph.add(s.name, *sorted({giver[f] for f in (*s.needs, *s.uses) if f in giver} - {s.name}))
    try:
        graph.prepare()
    except CycleError as exc:
        raise StepDeclarationError(f"the steps' declarations form a cycle: {' -> '.join(exc.args[1])}") from None
    by_name, position = {s.name: s for s in steps}, {n: i for i, n in enumerate(names)}
    out: list[Step] = []
    ready: list[str] = []
    while graph.is_active():  # one step at a time: of those ready, the earliest declared
        ready = sorted([*ready, *graph.get_ready()], key=position.__getitem__)
        first = ready.pop(0)
        out.append(by_name[first])
        graph.done(first)
    return tuple(out)


#: The steps of a wave in the order they run (checked when this module is imported).
ORDER: tuple[Step, ...] = order_steps(STEPS)
_GIVER: dict[str, str] = {f: s.name for s in ORDER for f in s.gives}


def _closure(target: str) -> tuple[Step, ...]:
    """``target`` and every step it depends on (through needs and uses), in run order."""
    by_name = {s.name: s for s in ORDER}
    if target not in by_name:
        raise KeyError(f"no step {target!r}; the steps are: {', '.join(by_name)}")
    keep, todo = set(), [target]
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        s = by_name[name]
        todo += [_GIVER[f] for f in (*s.needs, *s.uses) if f in _GIVER]
    return tuple(s for s in ORDER if s.name in keep)


@dataclass(frozen=True)
class WaveRun:
    """What a run produced: the folder, the files, the in-memory results and the steps
    skipped (with why)."""

    study: Study
    wave: str
    folder: Path
    files: list[Path]
    responses: Responses
    clean: Responses
    quality: QualityReport
    behaviour: Behaviour | None = None
    factors: dict[str, EFAResult] | None = None
    candidates: Candidates | None = None  # fit waves
    scorecard: Scorecard | None = None
    profiles: SegmentProfiles | None = None
    opportunities: Opportunities | None = None
    personas: Personas | None = None
    model: SegmentModel | None = None  # the model written (fit waves) or used (classified waves)
    classification: Classification | None = None  # classified waves
    tracking: WaveTracking | None = None
    weighted: Responses | None = None  # ``clean`` with the survey weights (when declared)
    skipped: dict[str, str] = field(default_factory=dict)
    context: WaveContext | None = field(default=None, repr=False)

    def __str__(self) -> str:
        lines = [f"Study {self.study.id!r}, wave {self.wave}: {self.quality}"]
        lines.append(f"Outputs in {self.folder}:")
        lines += [f"  {p.name}" for p in self.files]
        panel = panel_line(self.context.manifest.counts if self.context is not None else {})
        if panel:
            lines.append(panel)
        if self.skipped:
            lines.append("Steps skipped:")
            lines += [f"  {name}: {why}" for name, why in self.skipped.items()]
        return "\n".join(lines)


def _context(study: Study, wave: str, reports, *, model=None, refit: bool = False, resolve: bool = True,
             manifest: Manifest | None = None) -> WaveContext:
    """A fresh context: the runner fields, and the model file a later wave is classified with."""
    model_path = resolve_model(study, wave, reports, model, refit) if resolve else None
    frozen = load_frozen(model_path, study) if model_path is not None else None
    man = manifest or Manifest(study_id=study.id, wave=wave, seed=study.seed, study_hash=study.hash,
                               study_file=str(study.path), study_file_hash=study.file_hash)

    read: dict[str, WaveContext] = {}

    def earlier(w: str) -> WaveContext:
        # read once per run: the forward, migration and tracking steps all re-read the fitted
        # wave and only read what it holds
        if w not in read:
            read[w] = run_until(study, w, "weighting", reports=reports)
        return read[w]

    return WaveContext(study=study, wave=wave, manifest=man, reports=Path(reports), loaded_model=frozen,
                       model_path=model_path, earlier=earlier)


def _skip_reason(step: Step, ctx: WaveContext, skipped: dict[str, str],
                 roots: dict[str, tuple[str, str]] | None = None) -> str | None:
    """Why ``step`` cannot run, or None; ``roots`` (step -> the step whose own reason
    skipped it, and that reason) names the first cause when a need went missing upstream."""
    if step.applies is not None:
        why = step.applies(ctx)
        if why:
            return why
    for f in step.needs:
        if getattr(ctx, f) is None:
            by = _GIVER.get(f)
            if by is None:
                return f"needs {f}, which this run does not have"
            if by not in skipped:
                return f"needs {f}, which step {by} did not give"
            root, why = (roots or {}).get(by, (by, skipped[by]))
            if roots is not None:
                roots[step.name] = (root, why)
            return f"needs {f}, which step {by} did not give ({root}: {why})"
    return None


def _execute(ctx: WaveContext, steps: tuple[Step, ...], *, timed: bool = False) -> tuple[list[Writer], dict]:
    """Run ``steps`` on ``ctx``; the writers they returned and the steps skipped (name -> why)."""
    writers: list[Writer] = []
    skipped: dict[str, str] = {}
    roots: dict[str, tuple[str, str]] = {}
    n = len(steps) + (1 if timed else 0)
    for i, step in enumerate(steps, start=1):
        if timed:
            logger.info("[%d/%d] %s", i, n, step.what)
        why = _skip_reason(step, ctx, skipped, roots)
        if why is None:
            with ctx.manifest.step(step.name):
                result = step.run(ctx)
            if isinstance(result, Skip):
                why = result.reason
            elif isinstance(result, Output):
                extra = set(result.values) - set(step.gives)
                if extra:
                    raise StepDeclarationError(f"step {step.name!r} gave {', '.join(sorted(extra))}, which it does "
                                               f"not declare (gives: {', '.join(step.gives) or 'nothing'})")
                for f, value in result.values.items():
                    setattr(ctx, f, value)
                if result.write is not None:
                    writers.append(result.write)
            else:
                raise StepDeclarationError(f"step {step.name!r} returned {type(result).__name__}, not Output or Skip")
        if why is not None:
            skipped[step.name] = why
            ctx.manifest.skipped[step.name] = why  # live: the deck's method slide lists the steps skipped
            logger.info("skipped: %s: %s", step.name, why)
    return writers, skipped


def new_context(study, wave, *, reports="reports", model=None, refit: bool = False,
                resolve: bool = False) -> WaveContext:
    """An empty context for one wave (``resolve``: also find the model file a later wave is
    classified with), for :func:`run_steps`."""
    if not isinstance(study, Study):
        study = load_study(study)
    return _context(study, study.wave(wave).id, reports, model=model, refit=refit, resolve=resolve)


def run_steps(ctx: WaveContext, names, *, given: dict | None = None) -> list[Writer]:
    """Run the named steps (in the runner's order) on ``ctx``; the writers they returned.

    For tests and for notebooks that change the study in memory: the steps not named are
    not run, so their fields stay as ``ctx`` holds them.  Skipped steps are recorded in
    ``ctx.manifest.skipped``.

    Parameters
    ----------
    ctx : WaveContext
    names : iterable of str
        Step names (:data:`ORDER`).
    given : dict of field to value, optional
        What a notebook supplies in place of a step it did not run (e.g. ``{"candidates":
        grid}``, fitted with its own settings): the runner stores them before running the
        steps, as it stores a step's output; a notebook never assigns a context field itself.

    Raises
    ------
    KeyError
        An unknown step, or a ``given`` name that is not a field a step gives.
    ValueError
        A ``given`` field that one of the named steps gives itself.
    """
    names = set(names)
    unknown = names - {s.name for s in ORDER}
    if unknown:
        raise KeyError(f"no step {', '.join(sorted(unknown))}; the steps are: {', '.join(s.name for s in ORDER)}")
    for f, value in (given or {}).items():
        if f not in _GIVER:
            raise KeyError(f"given: {f!r} is not a field a step gives; the fields are {', '.join(sorted(_GIVER))}")
        if _GIVER[f] in names:
            raise ValueError(f"given: {f!r} is what step {_GIVER[f]!r} gives, and that step is run here; "
                             "give it or run the step, not both")
        setattr(ctx, f, value)
    writers, skipped = _execute(ctx, tuple(s for s in ORDER if s.name in names))
    ctx.manifest.skipped.update(skipped)
    return writers


def run_until(study, wave, step: str, *, reports="reports", model=None, refit: bool = False) -> WaveContext:
    """Run ``step`` of one wave and the steps it depends on, in memory (nothing is written).

    For notebooks (``run_until(study, "1", "factors")`` is what the segments step starts
    from) and for re-reading an earlier wave (the tracking step reads its answers again
    with ``run_until(study, w, "weighting")``).  Steps the target does not depend on are
    not run; steps the study cannot have are skipped (see ``ctx.manifest.skipped``).

    Parameters
    ----------
    study : Study or path
    wave : str
    step : str
        A step name (:data:`ORDER`).
    reports, model, refit
        As for :func:`run_wave`; the model file is looked for only when a step run needs it.

    Returns
    -------
    WaveContext
    """
    if not isinstance(study, Study):
        study = load_study(study)
    w = study.wave(wave)
    steps = _closure(step)
    resolve = any("loaded_model" in (*s.needs, *s.uses) for s in steps)
    ctx = _context(study, w.id, reports, model=model, refit=refit, resolve=resolve)
    _, skipped = _execute(ctx, steps)
    ctx.manifest.skipped.update(skipped)
    return ctx


def run_wave(study, wave, *, reports="reports", force: bool = False, model=None, refit: bool = False) -> WaveRun:
    """Run one wave of a study through every step and write its reports.

    Parameters
    ----------
    study : Study or path
        A loaded study, or its folder / study.yaml.
    wave : str or int
        The wave id as the study declares it.
    reports : path, default='reports'
        Root of the reports tree; outputs go to ``<reports>/<study id>/<wave>``.
    force : bool, default=False
        Replace that wave's existing outputs.
    model : str or path, optional
        Classify this wave with a frozen model: a ``model.json``, a report folder holding
        one, or the id of the wave whose model to use. Default for a later wave: the model
        of the latest earlier wave that has one; the first wave fits its own.
    refit : bool, default=False
        Fit this wave's segmentation afresh even though an earlier model exists.

    Returns
    -------
    WaveRun
        With ``skipped``: each step the runner skipped and why (also in manifest.json).

    Raises
    ------
    StudyError
        Among others: a later wave with no earlier model (and no ``refit``), or a model
        file whose questions or codes no longer match the study (every change listed).
    OutputError
        The wave's outputs exist (without ``force``); another run of the wave holds its
        lock; a report folder that would resolve outside ``reports``.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    w = study.wave(wave)
    target = report_folder(study, w.id, reports)  # ids checked, the folder inside the reports root
    # one run (or `workbench deck`) per wave at a time, from before the folder is checked
    # until the outputs are in place (issue 14, workbench.locking)
    with WaveLock(target, what=f"study {study.id} wave {w.id}"):
        return _run_locked(study, w.id, target, reports=reports, force=force, model=model, refit=refit)


def _run_locked(study: Study, wave: str, target: Path, *, reports, force: bool, model, refit: bool) -> WaveRun:
    """:func:`run_wave`'s body, run while the wave's lock is held."""
    w = study.wave(wave)
    writer = ReportFolder(target, force=force, root=reports)  # refuses before any work if outputs exist
    ctx = _context(study, w.id, reports, model=model, refit=refit)
    man = ctx.manifest
    for path in study.wave_files(w.id):
        man.add_input(path)
    beh = study.spec.behaviour
    for src in (beh.transactions, beh.customers) if beh is not None else ():
        if src is not None and src.file is not None:  # a Spark table is not a file
            man.add_input(study.root / src.file)
    if ctx.model_path is not None:
        man.add_input(ctx.model_path)
        logger.info("classifying wave %s with the model fitted on wave %s (%s)", w.id, ctx.loaded_model.wave,
                    ctx.model_path)
    writers, skipped = _execute(ctx, ORDER, timed=True)
    man.skipped.update(skipped)

    n = len(ORDER) + 1
    logger.info("[%d/%d] writing reports", n, n)
    with writer as tmp:
        with man.step("write"):
            for write in writers:
                write(tmp)
        man.write(tmp)
    files = sorted(p for p in target.iterdir() if p.is_file())
    return WaveRun(
        study=study, wave=w.id, folder=target, files=files, responses=ctx.responses, clean=ctx.clean,
        quality=ctx.quality, behaviour=ctx.behaviour, factors=ctx.factors, candidates=ctx.candidates,
        scorecard=ctx.scorecard, profiles=ctx.profiles, opportunities=ctx.opportunities, personas=ctx.personas,
        model=ctx.model, classification=ctx.classification, tracking=ctx.tracking, weighted=ctx.weighted,
        skipped=dict(man.skipped), context=ctx,
    )


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
        ctx = _context(study, wid, reports, resolve=False)
        path, note = _validate_model(study, wid, reports, model, refit)
        if path is not None:  # the same load and codebook check as run's (raises the same error)
            ctx.loaded_model, ctx.model_path = load_frozen(path, study), path
        _execute(ctx, _closure(VALIDATE_UNTIL))
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


def validate_behaviour(study: Study, wave: str, clean: Responses) -> str | None:
    """For ``workbench validate``: read the behaviour files as a run would and check the join
    (the same checks, the same errors: :mod:`workbench.limits`, :mod:`workbench.joincheck`);
    a one-line summary, or None without ``behaviour:`` or without a date for the wave."""
    if study.spec.behaviour is None:
        return None
    w = study.wave(wave)
    if w.date is None:
        return None
    beh = compute_behaviour(study, w.id, respondents=clean, weight=False)
    resp = beh.respondents
    matched = int(resp["customer_id"].isin(beh.customers.index).sum())
    return (f"behaviour as of {beh.as_of}: {len(beh.customers):,} customers, {matched:,} of {len(resp):,} "
            f"respondents matched")


# --------------------------------------------------------------------------- what a notebook shows, and why a part is absent
#
# A notebook runs part of the flow with :func:`run_until` and shows what the context holds.
# Where a study has no such part (no behaviour data, no JTBD outcomes, a model without a
# whole-base model), the notebook prints one line saying so and why; these functions give
# that line from the reasons the runner recorded, so no notebook needs logic of its own.

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
    step = _GIVER.get(name)
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
