"""One wave end to end, as the CLI runs it.

The run is a list of steps (:data:`STEPS`).  Each step computes in memory from the
:class:`WaveContext` and returns a function that writes its files; only when every step
has succeeded are the writers called, inside a temporary folder that is then moved into
place whole (see :class:`workbench.outputs.ReportFolder`).  Bad input therefore leaves
nothing behind in ``reports/``.

Study-aware glue lives here: the statistics rooms (``factors``, ``segments``) take plain
data frames, and the steps below decide which columns of which wave they get.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .outputs import Manifest, ReportFolder
from .quality import QualityReport, check_quality
from .readers import Responses, read_responses
from .study import Study, load_study

__all__ = ["run_wave", "WaveRun", "WaveContext", "validate", "STEPS", "report_folder"]

logger = logging.getLogger(__name__)

Writer = Callable[[Path], None]


@dataclass
class WaveContext:
    """The working state of one run: what earlier steps produced, for later steps.

    Steps set their result attribute (``behaviour``, ``factors``, ``segments``) and
    return a writer; nothing here is written to disk until every step has run.
    """

    study: Study
    wave: str
    manifest: Manifest
    responses: Responses | None = None
    clean: Responses | None = None
    quality: QualityReport | None = None
    behaviour: Any = None  # behavioural features and match report
    factors: Any = None  # factor solutions per battery
    segments: Any = None  # candidate segmentations


@dataclass(frozen=True)
class WaveRun:
    """What a run produced: the folder, the files and the in-memory results."""

    study: Study
    wave: str
    folder: Path
    files: list[Path]
    responses: Responses
    clean: Responses
    quality: QualityReport
    behaviour: Any = None
    factors: Any = None
    segments: Any = None

    def __str__(self) -> str:
        lines = [f"Study {self.study.id!r}, wave {self.wave}: {self.quality}"]
        lines.append(f"Outputs in {self.folder}:")
        lines += [f"  {p.name}" for p in self.files]
        return "\n".join(lines)


def report_folder(study: Study, wave: str, reports_root) -> Path:
    """``<reports_root>/<study id>/<wave id>``."""
    return Path(reports_root) / study.id / str(wave)


# --------------------------------------------------------------------------- steps
# Each step takes the context, computes, stores its result on it and returns a writer.


def step_read(ctx: WaveContext) -> Writer | None:
    ctx.responses = read_responses(ctx.study, ctx.wave)
    return None


def step_quality(ctx: WaveContext) -> Writer | None:
    ctx.quality = check_quality(ctx.responses, ctx.study)
    ctx.clean = ctx.quality.apply(ctx.responses)
    ctx.manifest.counts.update({"respondents_read": ctx.responses.n, "respondents_kept": ctx.clean.n})
    quality, pii = ctx.quality, ctx.study.pii
    return lambda folder: quality.to_excel(folder / "quality.xlsx", pii=pii)


# (name, function, one line for the progress log), in order.
STEPS: list[tuple[str, Callable[[WaveContext], Writer | None], str]] = [
    ("read", step_read, "reading responses"),
    ("quality", step_quality, "checking data quality"),
]

# --- behaviour step (issue: behavioural data) ---

# --- factors step (issue: factor analysis) ---

# --- segments step (issue: latent-class segmentation) ---


# --------------------------------------------------------------------------- runs


def run_wave(study, wave, *, reports="reports", force: bool = False) -> WaveRun:
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

    Returns
    -------
    WaveRun
    """
    if not isinstance(study, Study):
        study = load_study(study)
    w = study.wave(wave)
    target = report_folder(study, w.id, reports)
    writer = ReportFolder(target, force=force)  # refuses before any work if outputs exist
    man = Manifest(
        study_id=study.id, wave=w.id, seed=study.seed, study_hash=study.hash,
        study_file=str(study.path), study_file_hash=study.file_hash,
    )
    for path in study.wave_files(w.id):
        man.add_input(path)
    ctx = WaveContext(study=study, wave=w.id, manifest=man)
    writers: list[tuple[str, Writer]] = []
    n = len(STEPS) + 1
    for i, (name, func, what) in enumerate(STEPS, start=1):
        logger.info("[%d/%d] %s", i, n, what)
        with man.step(name):
            write = func(ctx)
        if write is not None:
            writers.append((name, write))

    logger.info("[%d/%d] writing reports", n, n)
    with writer as tmp:
        with man.step("write"):
            for _name, write in writers:
                write(tmp)
        man.write(tmp)
    files = sorted(p for p in target.iterdir() if p.is_file())
    return WaveRun(
        study=study, wave=w.id, folder=target, files=files, responses=ctx.responses,
        clean=ctx.clean, quality=ctx.quality, behaviour=ctx.behaviour, factors=ctx.factors,
        segments=ctx.segments,
    )


def validate(study, waves=None) -> list[tuple[str, Responses, QualityReport]]:
    """Load the study and read and check each wave without writing anything."""
    if not isinstance(study, Study):
        study = load_study(study)
    out = []
    for w in waves or [w.id for w in study.waves]:
        responses = read_responses(study, w)
        out.append((str(w), responses, check_quality(responses, study)))
    return out
