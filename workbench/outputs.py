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
from .measures import column_label, is_identifier, measure, readable, setting_words

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
    "pydantic", "pyyaml", "ruamel.yaml",
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
    base = base[0].upper() + base[1:]  # one style: every sheet name starts with a capital ('needs' → 'Needs')
    out, i = base, 2
    while out.lower() in used:
        suffix = f" ({i})"
        out, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(out.lower())
    return out


_P_COLUMN = re.compile(r"^(p|p[ _-]?value|p[ _-]?adj|adjusted p[ _-]?value|corrected p|p \(.*\)|.* p)$", re.I)
#: p-values: four decimals, and "< 0.001" below 0.001 (an Excel conditional number format).
P_FORMAT = '[<0.001]"< 0.001";0.0000'
_SHARE_COLUMN = re.compile(r"(^|[ _])(share|rate|accuracy|agreement)($|[ _])", re.I)
_PERCENT_COLUMN = re.compile(r"(%|\bpercent\b)", re.I)


def _number_format(header, values=(), currency: str | None = None) -> str:
    """The Excel number format of a column, by its name (before labelling) and its values.

    p-values as 0.0000 or "< 0.001"; a measure in its unit (:mod:`workbench.measures`:
    amounts with the study's currency, 0-1 shares in %); a column named as a 0-1 share
    (share, rate, accuracy) whose values lie in 0-1 in %; a column already in % ("share %")
    with a % sign; other figures with two decimals.
    """
    h = str(header or "").strip()
    if _P_COLUMN.match(h):
        return P_FORMAT
    m = measure(h)
    if m is not None and m.unit != "category":
        if m.unit == "currency" and currency:
            return f'{m.excel_format} "{currency}"'
        return m.excel_format
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v]
    if _PERCENT_COLUMN.search(h):
        return '0.0" %"'
    if _SHARE_COLUMN.search(h) and nums and all(0 <= v <= 1 for v in nums):
        return "0.0%"
    return "#,##0.00"


def _shown(value, fmt) -> str:
    if isinstance(value, float):
        if fmt == P_FORMAT:
            return "< 0.001" if value < 0.001 else f"{value:.4f}"
        if fmt.endswith("%"):
            return f"{100 * value:.1f}%"
        return f"{value:,.2f}"
    return str(value)


def _header(name: str, currency: str | None) -> str:
    """A header as labelled, with a capital first letter ('reasons' → 'Reasons'; 'n' stays)."""
    text = column_label(name, currency=currency)
    return text[0].upper() + text[1:] if len(text) > 1 and text[0].islower() and text[1] != " " else text


_TOKEN = re.compile(r"(?<![\w./@-])([A-Za-z][\w]*)(?![\w-])(?!\.(?:xlsx|csv|yaml|json|pptx|md)\b)")


def _code_label(v: str, labels: Mapping[str, str], currency) -> str | None:
    if v in labels:
        return str(labels[v])
    if measure(v) is not None or is_identifier(v):
        return column_label(v, currency=currency)
    return None


def _in_words(text: str, labels: Mapping[str, str], currency) -> str:
    """Free text with every code in it (a declared column id, a measure, a snake_case name) as its label."""
    text = readable(setting_words(text))

    def one(m):
        tok = m.group(1)
        if tok in labels or measure(tok) is not None or is_identifier(tok):
            return _code_label(tok, labels, currency) or tok
        return tok
    return _TOKEN.sub(one, text)


def client_frame(frame: pd.DataFrame, currency: str | None = None, labels: Mapping[str, str] | None = None
                 ) -> pd.DataFrame:
    """``frame`` as a client reads it (issue 17: labels next to codes).

    Identifiers in headers and index names are replaced by their labels
    (:func:`workbench.measures.column_label`); a text column holding codes (declared column
    ids in ``labels``, measure names, snake_case names) keeps them under "<header> (code)"
    with a label column beside it; codes inside other text are written as their labels.
    """
    labels = dict(labels or {})
    out = frame.copy()
    for pos, c in reversed(list(enumerate(out.columns))):
        s = out[c]
        if s.dtype != object or not isinstance(c, str):
            continue
        vals = [v for v in s.dropna().unique() if isinstance(v, str)]
        codes = [v for v in vals if _code_label(v, labels, currency) is not None and " " not in v]
        if vals and len(codes) == len(vals) and any(v in labels or measure(v) or is_identifier(v) for v in vals):
            out.insert(pos + 1, f"{c} label" if c != "variable" else "label_", s.map(
                lambda v: _code_label(v, labels, currency) if isinstance(v, str) else v))
            has_label = "label" in out.columns and c == "variable"
            if has_label:
                out = out.drop(columns="label_")
            out = out.rename(columns={c: "Code" if c == "variable" else f"{_header(c, currency)} (code)"})
            if "label_" in out.columns:
                out = out.rename(columns={"label_": "label"})
    out.columns = [c if isinstance(c, str) and (c == "Code" or c.endswith(" (code)")) else
                   (_header(c, currency) if isinstance(c, str) else c) for c in out.columns]
    if isinstance(out.index, pd.MultiIndex):
        out.index = out.index.set_names([column_label(n) if isinstance(n, str) else n for n in out.index.names])
    else:
        if isinstance(out.index.name, str):
            out.index.name = column_label(out.index.name)
        if out.index.dtype == object:
            out.index = pd.Index([column_label(v, currency=currency) if isinstance(v, str) and (is_identifier(v) or measure(v))
                                  else v for v in out.index], name=out.index.name)
    for c in out.columns:
        if c != "Code" and not str(c).endswith(" (code)") and out[c].dtype == object:
            out[c] = out[c].map(lambda v: _in_words(v, labels, currency) if isinstance(v, str) else v)
    if out.index.dtype == object and not isinstance(out.index, pd.MultiIndex):
        out.index = pd.Index([_in_words(v, labels, currency) if isinstance(v, str) else v for v in out.index],
                             name=out.index.name)
    return out


def write_workbook(
    path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    pii=(),
    notes: Mapping[str, str] | None = None,
    index: bool = True,
    currency: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Write tables to one .xlsx: bold frozen headers, sensible widths, one sheet each.

    Every workbook a client gets is written here, so they all read the same way: headers
    and codes as labels (:func:`client_frame`), number formats by column (:func:`_number_format`:
    shares in %, p-values as 0.0000 or "< 0.001", amounts in the study's currency) and an
    autofilter on every table.

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
    currency : str, optional
        The study's currency code (``behaviour.transactions.currency``) for amount columns.
    labels : mapping, optional
        The study's column labels (:meth:`Study.column_labels`): codes shown beside them.
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
            raw_headers = ([None] * (frame.index.nlevels if write_index else 0)) + list(frame.columns)
            frame = client_frame(frame, currency, labels)
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
            if ws.max_row > hdr:
                ws.auto_filter.ref = f"{get_column_letter(1)}{hdr}:{get_column_letter(ws.max_column)}{ws.max_row}"
            for j, col in enumerate(ws.iter_cols(min_row=hdr, max_row=ws.max_row), start=1):
                raw = raw_headers[j - 1] if j - 1 < len(raw_headers) and raw_headers[j - 1] is not None else col[0].value
                fmt = _number_format(raw, [c.value for c in col[1:200]], currency)
                for c in col[1:]:
                    if isinstance(c.value, float) and c.number_format == "General":
                        c.number_format = fmt
                shown = [_shown(c.value, fmt) for c in col[:501] if c.value is not None]
                width = max((len(v) for v in shown), default=6)
                ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
    return path
