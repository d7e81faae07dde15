"""Report folders written whole, Excel workbooks people can read, and run manifests.

A run writes into a temporary folder beside its target and moves it into place only
when every step has succeeded, so ``reports/<study>/<wave>/`` is either the complete
previous output or the complete new one, never half of each.  An existing wave's
outputs are replaced only with ``force=True``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Mapping

import pandas as pd

from .errors import OutputError

__all__ = [
    "ReportFolder",
    "Manifest",
    "write_workbook",
    "file_sha256",
    "package_versions",
    "check_no_pii",
]

logger = logging.getLogger(__name__)

PACKAGES = (
    "jtbd-workbench", "numpy", "pandas", "scipy", "scikit-learn", "factor-analyzer",
    "statsmodels", "stepmix", "python-pptx", "pyreadstat", "openpyxl", "duckdb",
    "pydantic", "pyyaml",
)


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


class ReportFolder:
    """Write a wave's outputs into a temporary folder, then move them into place whole.

    Parameters
    ----------
    target : Path
        The final folder, e.g. ``reports/demo/1``.
    force : bool, default=False
        Replace an existing folder. Without it, an existing folder is an
        :class:`~workbench.errors.OutputError` raised *before* any work is done.

    Examples
    --------
    >>> with ReportFolder(Path("reports/demo/1"), force=True) as tmp:   # doctest: +SKIP
    ...     (tmp / "quality.xlsx").write_bytes(...)
    """

    def __init__(self, target, *, force: bool = False):
        self.target = Path(target)
        self.force = force
        self.tmp: Path | None = None
        if self.target.exists() and any(self.target.iterdir()) and not force:
            when = ""
            man = self.target / "manifest.json"
            if man.exists():
                try:
                    when = f" (written {json.loads(man.read_text(encoding='utf-8')).get('finished', '?')})"
                except (ValueError, OSError):
                    pass
            raise OutputError(
                f"{self.target} already holds this wave's outputs{when}; they are never "
                "overwritten silently: pass --force to replace them",
                file=self.target,
            )

    def __enter__(self) -> Path:
        parent = self.target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the reports folder: {exc.strerror}", file=parent) from None
        self.tmp = parent / f".{self.target.name}.tmp-{uuid.uuid4().hex[:8]}"
        self.tmp.mkdir()
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        old = None
        if self.target.exists():
            old = self.target.parent / f".{self.target.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        logger.info("outputs written to %s", self.target)
        return False


@dataclass
class Manifest:
    """What a run read, with which software and settings, and how long each step took."""

    study_id: str
    wave: str
    seed: int
    study_hash: str
    study_file: str
    study_file_hash: str
    command: list[str] = field(default_factory=lambda: list(sys.argv))
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    model: dict = field(default_factory=dict)  # the frozen model a later wave was classified with
    skipped: dict[str, str] = field(default_factory=dict)  # step -> why the runner skipped it
    started: str = field(default_factory=lambda: _now())
    finished: str | None = None

    def add_input(self, path) -> None:
        self.inputs[str(path)] = file_sha256(path)

    @contextlib.contextmanager
    def step(self, name: str):
        """Time a step: ``with manifest.step("read"): ...``."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = round(time.perf_counter() - t0, 3)

    def write(self, folder: Path) -> Path:
        folder = Path(folder)
        self.outputs = {
            p.relative_to(folder).as_posix(): file_sha256(p)
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json"
        }
        self.finished = _now()
        doc = {
            "study": self.study_id,
            "wave": self.wave,
            "seed": self.seed,
            "study_definition": {
                "file": self.study_file,
                "content_sha256": self.study_hash,
                "file_sha256": self.study_file_hash,
            },
            "inputs_sha256": self.inputs,
            "outputs_sha256": self.outputs,
            "packages": package_versions(),
            "platform": platform.platform(),
            "command": self.command,
            "started": self.started,
            "finished": self.finished,
            "step_seconds": self.steps,
            "counts": self.counts,
            "skipped_steps": self.skipped,
        }
        if self.model:
            doc["model"] = self.model
        path = folder / "manifest.json"
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- Excel


def check_no_pii(frame: pd.DataFrame, pii, where: str = "") -> None:
    """Refuse to export a table holding a PII column (in its columns or index)."""
    names = {str(c) for c in frame.columns} | {str(n) for n in frame.index.names if n is not None}
    leaked = sorted(names & {str(p) for p in pii})
    if leaked:
        raise OutputError(
            f"refusing to export {where or 'a table'}: it holds personal data column(s) "
            f"{', '.join(leaked)} declared as pii in the study"
        )


_SHEET_BAD = re.compile(r"[\[\]\:\*\?\/\\]")


def sheet_name(name: str, used: set) -> str:
    """A valid, unique (case-insensitively, within ``used``) Excel sheet name for ``name``; adds it to ``used``."""
    base = _SHEET_BAD.sub("-", str(name))[:31] or "Sheet"
    out, i = base, 2
    while out.lower() in used:
        suffix = f" ({i})"
        out, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(out.lower())
    return out


_P_COLUMN = re.compile(r"^(p|p[ _-]?value|corrected p|p \(.*\)|.* p)$", re.I)


def _number_format(header) -> str:
    """Two decimals for figures, four for p-values (by the column's name)."""
    return "0.0000" if _P_COLUMN.match(str(header or "").strip()) else "#,##0.00"


def _shown(value, fmt) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}" if fmt == "0.0000" else f"{value:,.2f}"
    return str(value)


def write_workbook(
    path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    pii=(),
    notes: Mapping[str, str] | None = None,
    index: bool = True,
) -> Path:
    """Write tables to one .xlsx: bold frozen headers, sensible widths, one sheet each.

    Parameters
    ----------
    path : Path
    sheets : mapping of sheet name to DataFrame
        Written in order. Empty tables get a one-line "nothing found" note.
    pii : iterable of str
        The study's PII columns; a sheet holding one is refused (OutputError).
    notes : mapping of sheet name to str, optional
        A sentence written above the table (what it shows, how to read it).
    index : bool, default=True
        Write each frame's index (unnamed RangeIndexes are never written).
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    notes = dict(notes or {})
    path = Path(path)
    for name, frame in sheets.items():  # refuse before anything is written
        check_no_pii(frame, pii, f"sheet '{name}'")
    used: set = set()
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, frame in sheets.items():
            sheet = sheet_name(name, used)
            note = notes.get(name)
            if frame.empty:
                frame = pd.DataFrame({"": ["nothing found"]})
                write_index = False
            else:
                write_index = index and not (
                    isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
                )
            startrow = 2 if note else 0
            frame.to_excel(xw, sheet_name=sheet, index=write_index, startrow=startrow)
            ws = xw.sheets[sheet]
            if note:
                ws.cell(row=1, column=1, value=note).font = Font(italic=True, color="555555")
            hdr = startrow + 1
            for cell in ws[hdr]:
                cell.font = Font(bold=True)
                cell.fill = header_fill
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            n_index = frame.index.nlevels if write_index else 0
            ws.freeze_panes = ws.cell(row=hdr + 1, column=n_index + 1)
            for j, col in enumerate(ws.iter_cols(min_row=hdr, max_row=ws.max_row), start=1):
                fmt = _number_format(col[0].value)
                for c in col[1:]:
                    if isinstance(c.value, float) and c.number_format == "General":
                        c.number_format = fmt
                shown = [_shown(c.value, fmt) for c in col[:501] if c.value is not None]
                width = max((len(v) for v in shown), default=6)
                ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
    return path
