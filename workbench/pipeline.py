"""One wave end to end, as the CLI runs it.

Every step computes in memory first; only when all of them have succeeded are the
outputs written, into a temporary folder that is then moved into place whole
(see :class:`workbench.outputs.ReportFolder`).  Bad input therefore leaves nothing
behind in ``reports/``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .outputs import Manifest, ReportFolder
from .quality import QualityReport, check_quality
from .readers import Responses, read_responses
from .study import Study, load_study

__all__ = ["run_wave", "WaveRun", "validate"]

logger = logging.getLogger(__name__)


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
    manifest: dict = field(repr=False, default_factory=dict)

    def __str__(self) -> str:
        lines = [f"Study {self.study.id!r}, wave {self.wave}: {self.quality}"]
        lines.append(f"Outputs in {self.folder}:")
        lines += [f"  {p.name}" for p in self.files]
        return "\n".join(lines)


def report_folder(study: Study, wave: str, reports_root) -> Path:
    """``<reports_root>/<study id>/<wave id>``."""
    return Path(reports_root) / study.id / str(wave)


def run_wave(study, wave, *, reports="reports", force: bool = False) -> WaveRun:
    """Read, check and report one wave of a study.

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

    logger.info("[1/3] reading wave %s responses", w.id)
    with man.step("read"):
        responses = read_responses(study, w.id)
    logger.info("[2/3] checking data quality (%s respondents)", f"{responses.n:,}")
    with man.step("quality"):
        quality = check_quality(responses, study)
        clean = quality.apply(responses)
    man.counts.update({"respondents_read": responses.n, "respondents_kept": clean.n})

    logger.info("[3/3] writing reports")
    with writer as tmp:
        with man.step("write"):
            quality.to_excel(tmp / "quality.xlsx", pii=study.pii)
        man.write(tmp)
    files = sorted(p for p in target.iterdir() if p.is_file())
    return WaveRun(
        study=study, wave=w.id, folder=target, files=files, responses=responses,
        clean=clean, quality=quality,
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
