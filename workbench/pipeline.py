"""The runner: one wave's steps ordered from their declarations, run all or in part.

The steps live in :mod:`workbench.steps`, one module each; this module knows nothing of
what they compute.  :func:`run_wave` runs every step, then calls the writers the steps
returned inside a temporary folder that is moved into place whole (see
:class:`workbench.files.outputs.ReportFolder`), so bad input leaves nothing behind in
``reports/``.  :func:`run_until` runs only what one step needs, in memory, for notebooks
and for re-reading an earlier wave.  The runner records what the steps return (values, counts,
the parts they skipped and why) in the manifest; ``workbench validate`` lives in
:mod:`workbench.validation`, what a notebook shows in :mod:`workbench.notebook`.  The design (the flow, the rooms and their import
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

import logging
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from threadpoolctl import threadpool_limits

from .behaviour import Behaviour
from .criteria import Scorecard
from .factors import EFAResult
from .files.locking import WaveLock
from .describe.opportunities import Opportunities
from .files.outputs import Manifest, ReportFolder
from .describe.personas import Personas
from .describe.profiles import SegmentProfiles
from .quality import QualityReport
from .data.readers import Responses
from .segments import Candidates
from .steps import FIELDS, RUNNER_FIELDS, STEPS, Output, Skip, Step, WaveContext, Writer
from .steps.migration import panel_line
from .study import Study, load_study
from .waves import Classification, SegmentModel
from .waves.flow import WaveTracking, load_frozen, report_folder, resolve_model

__all__ = ["run_wave", "run_until", "WaveRun", "WaveContext", "ORDER", "order_steps", "StepDeclarationError",
           "new_context", "run_steps", "upstream", "giver_of"]

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


def upstream(step: str) -> list[str]:
    """``step`` and every step it depends on, in the order they run (what :func:`run_until` runs)."""
    return [s.name for s in _closure(step)]


def giver_of(field: str) -> str | None:
    """The name of the step that gives context field ``field`` (None: the runner sets it, or nobody)."""
    return _GIVER.get(field)


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
        lines = [f"Study {self.study.id!r}, wave {self.wave}: {self.quality.text()}"]
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
            # one BLAS thread: the steps' matrices are small (n × k, items × items), and BLAS threads
            # spinning against each other or against other processes made them up to 40 times
            # slower; the segment starts and stability refits run side by side in their own threads
            with ctx.manifest.step(step.name), threadpool_limits(limits=1, user_api="blas"):
                result = step.run(ctx)
            if isinstance(result, (Output, Skip)):  # what the step counted and left out, for the manifest
                ctx.manifest.counts.update(result.counts)
            if isinstance(result, Output):
                ctx.manifest.skipped.update(result.skipped)
                if result.model_file is not None:
                    ctx.manifest.model = result.model_file
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
    # until the outputs are in place (issue 14, workbench.files.locking)
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
