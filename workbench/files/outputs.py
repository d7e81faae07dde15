"""Report folders written whole, Excel workbooks people can read, and run manifests.

A run writes into a temporary folder beside its target and moves it into place only
when every step has succeeded, so ``reports/<study>/<wave>/`` is either the complete
previous output or the complete new one, never half of each.  An existing wave's
outputs are replaced only with ``force=True``.
"""

from __future__ import annotations

import contextlib
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
from pathlib import Path
from typing import Mapping

import pandas as pd

from ..core.errors import OutputError
from ..core.measures import (PERCENT_FORMAT, SHARE_FORMAT, column_label, is_identifier, measure, not_a_word, readable,
                       setting_words)
from .cleantext import UNSHOWABLE
from .fileio import atomic_write_bytes, atomic_write_text, file_error, is_machine_fault
from ..core.provenance import PACKAGES, package_versions, utc_now
from .safeids import inside

__all__ = [
    "ReportFolder",
    "Manifest",
    "write_workbook",
    "file_sha256",
    "package_versions",
    "check_no_pii",
    "safe_text",
    "safe_frame",
    "write_csv",
    "csv_text",
    "harden_workbook",
    "atomic_write_text",
    "clear_leftovers",
    "in_words",
]

logger = logging.getLogger(__name__)

def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class ReportFolder:
    """Write a wave's outputs into a temporary folder, then move them into place whole.

    Parameters
    ----------
    target : Path
        The final folder, e.g. ``reports/demo/1``.
    force : bool, default=False
        Replace an existing folder. Without it, an existing folder is an
        :class:`~workbench.core.errors.OutputError` raised *before* any work is done.

    Examples
    --------
    >>> with ReportFolder(Path("reports/demo/1"), force=True) as tmp:   # doctest: +SKIP
    ...     (tmp / "quality.xlsx").write_bytes(...)
    """

    def __init__(self, target, *, force: bool = False, root=None):
        self.target = Path(target)
        self.force = force
        # issue 14: every folder written or removed must lie inside the reports root
        self.root = Path(root) if root is not None else self.target.parent
        self.tmp: Path | None = None
        inside(self.root, self.target, what="report folder")
        try:
            self._check_target(force)
        except OSError as exc:
            raise file_error(exc, self.target, doing="read the report folder") from None

    def _check_target(self, force: bool) -> None:
        clear_leftovers(self.target)  # a killed run's temporary folders (its old outputs put back)
        if self.target.is_symlink():
            raise OutputError(f"{self.target} is a symbolic link, not a report folder the workbench wrote; remove "
                              "the link and run again", file=self.target)
        if self.target.exists() and not self.target.is_dir():
            raise OutputError(f"{self.target} exists and is not a folder; move it away first", file=self.target)
        if self.target.exists() and any(self.target.iterdir()):
            when = ""
            man = self.target / "manifest.json"
            if man.exists():
                try:
                    when = f" (written {json.loads(man.read_text(encoding='utf-8')).get('finished', '?')})"
                except (ValueError, OSError, AttributeError, RecursionError):
                    pass
            if not force:
                raise OutputError(
                    f"{self.target} already holds this wave's outputs{when}; they are never "
                    "overwritten silently: pass --force to replace them",
                    file=self.target,
                )
            ours_problem(self.target, raise_error=True)  # --force replaces only a folder we wrote

    def __enter__(self) -> Path:
        parent = self.target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise file_error(exc, parent, doing="create the reports folder") from None
        inside(self.root, parent / "x", what="report folder")  # symlinks created since __init__
        try:
            clear_leftovers(self.target)
            self.tmp = parent / f"{_TMP_PREFIX.format(name=self.target.name)}{os.getpid()}-{uuid.uuid4().hex[:8]}"
            self.tmp.mkdir()
        except OSError as exc:
            raise file_error(exc, parent, doing="write the outputs of wave " + self.target.name + " in",
                             name_given=True) from None
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if is_machine_fault(exc):  # a full disk while writing: nothing half-written is left
                raise file_error(exc, self.target, doing="write the outputs to", name_given=True) from None
            return False
        old = None
        try:
            if self.target.exists() or self.target.is_symlink():
                old = self.target.parent / f"{_OLD_PREFIX.format(name=self.target.name)}{os.getpid()}-{uuid.uuid4().hex[:8]}"
                os.replace(self.target, old)
            os.replace(self.tmp, self.target)
        except OSError as err:
            if old is not None and not os.path.lexists(self.target):
                with contextlib.suppress(OSError):
                    os.replace(old, self.target)  # the previous outputs stay in place
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise file_error(err, self.target, doing="move the outputs into place at", name_given=True) from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        logger.info("outputs written to %s", self.target)
        return False


# --------------------------------------------------------------------------- crash safety (issue 14)
# A run writes into ``.<wave>.tmp-<pid>-<random>`` beside its target and moves the old
# outputs to ``.<wave>.old-<pid>-<random>`` for the instant of the swap.  A run killed with
# kill -9 leaves these behind; the next run of that wave removes them when the pid that
# wrote them is gone (a leftover ``.old-`` folder is put back when the target is missing:
# the kill came between the two renames).  Their names start with '.', which no wave id
# may (workbench.files.safeids), so they are never mistaken for a wave's outputs.

_TMP_PREFIX = ".{name}.tmp-"
_OLD_PREFIX = ".{name}.old-"
#: Files a report folder may hold besides those its manifest lists (``workbench deck --png``).
_EXTRA_OK = re.compile(r"^(manifest\.json|slides/slide-\d+\.png|slides)$")


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (on this host)."""
    if pid <= 0 or pid > 2**22 * 1024:  # no system hands out a pid this large (a damaged lock)
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def _leftover_pid(name: str, prefix: str) -> int | None:
    rest = name[len(prefix):]
    head = rest.split("-", 1)[0]
    return int(head) if head.isdigit() else None  # older runs wrote no pid: treated as gone


def clear_leftovers(target: Path) -> list[Path]:
    """Remove the temporary folders a killed run of ``target`` left; return what was removed."""
    parent, name = target.parent, target.name
    removed = []
    if not parent.is_dir():
        return removed
    for prefix in (_OLD_PREFIX.format(name=name), _TMP_PREFIX.format(name=name)):
        for p in sorted(parent.glob(glob_escape(prefix) + "*")):
            if p.is_symlink():  # issue 24: never ours, never followed, never put in place
                p.unlink(missing_ok=True)
                logger.warning("removed %s: a symbolic link where a killed run's temporary folder would be", p)
                removed.append(p)
                continue
            pid = _leftover_pid(p.name, prefix)
            if pid is not None and pid != os.getpid() and pid_alive(pid):
                continue  # a run in progress (another lock holder would have been refused)
            if prefix.startswith(f".{name}.old-") and not os.path.lexists(target) and p.is_dir():
                problem = ours_problem(p, name=(parent.name, name))
                if problem is None:
                    os.replace(p, target)  # killed between the two renames: the old outputs come back
                    logger.warning("put back %s from %s, left by a run that was killed mid-swap", target, p.name)
                else:  # never trusted as the wave's outputs, never deleted unseen
                    logger.warning("left %s in place: it is not put back as wave %s's outputs because %s; look "
                                   "inside and delete it", p, name, problem)
                continue
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            logger.warning("removed %s, left behind by a run that was killed", p)
            removed.append(p)
    return removed


def glob_escape(text: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", text)


def ours_problem(folder: Path, *, raise_error: bool = False, name: tuple[str, str] | None = None) -> str | None:
    """Why ``folder`` is not a report folder the workbench wrote (None when it is).

    Ours means: a ``manifest.json`` with this folder's study and wave, listing every file
    the folder holds (the deck's slide images aside).  ``--force`` replaces nothing else.
    ``name`` = (study, wave) when the folder's own name is not the wave's (a leftover).
    """
    study_name, wave_name = name if name is not None else (folder.parent.name, folder.name)
    man = folder / "manifest.json"
    problem = None
    try:
        doc = json.loads(man.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        doc = None
        problem = "it holds no readable manifest.json written by the workbench"
    if doc is not None:
        listed = set((doc.get("outputs_sha256") or {}).keys()) if isinstance(doc.get("outputs_sha256"), dict) else set()
        if str(doc.get("wave")) != wave_name or str(doc.get("study")) != study_name:
            problem = (f"its manifest.json belongs to study {doc.get('study')!r} wave {doc.get('wave')!r}, "
                       f"not to {study_name!r} wave {wave_name!r}")
        else:
            files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir() or p.is_symlink()]
            unknown = sorted(f for f in files if f not in listed and not _EXTRA_OK.match(f))
            if unknown:
                problem = (f"it holds {len(unknown)} file(s) the workbench did not write "
                           f"({', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''})")
    if problem and raise_error:
        raise OutputError(f"--force replaces only a report folder the workbench wrote, and {folder} is not one: "
                          f"{problem}; move it away or choose another --reports folder", file=folder)
    return problem


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
    started: str = field(default_factory=lambda: utc_now())
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
        self.finished = utc_now()
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


_P_COLUMN = re.compile(r"^(p|p[ _-]?value|p[ _-]?adj|p[ _-]?permutation|adjusted p[ _-]?value|corrected p|p \(.*\)|.* p)$",
                       re.I)
#: p-values: four decimals, and "< 0.001" below 0.001 (an Excel conditional number format).
P_FORMAT = '[<0.001]"< 0.001";0.0000'
#: A column already in percent (0-100) reads as a 0-1 share does (PERCENT_FORMAT, SHARE_FORMAT:
#: one percent style, from workbench.core.measures). A table with a measure column (profiles: "mean",
#: "top-2 box %", "% Webshop") holds percents and means in one column: its rows decide.
_MEASURE_COLUMN = re.compile(r"^measure$", re.I)
#: Likewise a table with a level column (distal outcomes: a category's share, or "mean").
_LEVEL_COLUMN = re.compile(r"^level$", re.I)
#: Columns of such a table that never hold the row's measure (an index of 100 = average, counts).
_NOT_THE_MEASURE = re.compile(r"(^|[ _])(index|n|weighted n|count|respondents)$", re.I)
_SHARE_COLUMN = re.compile(r"(^|[ _])(share|rate|accuracy|agreement|probability)($|[ _])", re.I)
#: An interval's bounds and a standard error are in the unit of the estimate before them.
_BOUND_COLUMN = re.compile(r"^((ci|conf|confidence)[ _-]?)?(low|high|lower|upper|se|standard error)$", re.I)
_PERCENT_COLUMN = re.compile(r"(%|\bpercent\b)", re.I)


def _number_format(header, values=(), currency: str | None = None) -> str:
    """The Excel number format of a column, by its name (before labelling) and its values.

    p-values as 0.0000 or "< 0.001"; a measure in its unit (:mod:`workbench.core.measures`:
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
        return PERCENT_FORMAT
    if _SHARE_COLUMN.search(h) and nums and all(0 <= v <= 1 for v in nums):
        return SHARE_FORMAT
    if nums and all(float(v).is_integer() for v in nums):
        return "#,##0"  # counts and other whole numbers without decimals
    return "#,##0.00"


def _shown(value, fmt) -> str:
    """About what Excel shows for ``value`` in ``fmt`` (for the column widths)."""
    if isinstance(value, float):
        if fmt == P_FORMAT:
            return "< 0.001" if value < 0.001 else f"{value:.4f}"
        if fmt == PERCENT_FORMAT:
            return f"{value:.1f} %"
        if fmt.endswith("%"):
            return f"{100 * value:.1f} %"
        return f"{value:,.2f}"
    return str(value)


def _percent_rows(ws, hdr: int, raw_headers: list, formats: dict) -> None:
    """In a table with a measure column, the figures of a row whose measure is a percent
    ("top-2 box %", "% Webshop") get the percent style; means keep theirs. In a table with a
    level column, a category level's 0-1 shares get it; the "mean" rows keep theirs."""
    def column(pattern):
        return next((j for j, h in enumerate(raw_headers, start=1) if isinstance(h, str) and pattern.match(h.strip())),
                    None)

    j_measure, j_level = column(_MEASURE_COLUMN), column(_LEVEL_COLUMN)
    if j_measure is None and j_level is None:
        return
    cols = [j for j, fmt in formats.items() if fmt == "#,##0.00" and j not in (j_measure, j_level)
            and not _NOT_THE_MEASURE.search(str(raw_headers[j - 1] if j - 1 < len(raw_headers) else "") or "")]
    for r in range(hdr + 1, ws.max_row + 1):
        what = ws.cell(row=r, column=j_measure).value if j_measure else None
        level = ws.cell(row=r, column=j_level).value if j_level else None
        fmt = (PERCENT_FORMAT if isinstance(what, str) and _PERCENT_COLUMN.search(what) else
               SHARE_FORMAT if level is not None and str(level).strip().lower() != "mean" else None)
        if fmt is None:
            continue
        for j in cols:
            cell = ws.cell(row=r, column=j)
            if isinstance(cell.value, float) and (fmt != SHARE_FORMAT or 0 <= cell.value <= 1):
                cell.number_format = fmt


def _header(name: str, currency: str | None) -> str:
    """A header as labelled, with a capital first letter ('reasons' → 'Reasons'; 'n' stays)."""
    text = column_label(name, currency=currency)
    return text[0].upper() + text[1:] if len(text) > 1 and text[0].islower() and text[1] != " " else text


def _index_header(name, currency):
    if not isinstance(name, str):
        return name
    return "Variable" if name == "variable" else _header(name, currency)


#: measure names without '_' that are no English word, so are written out inside sentences too
_CODE_WORDS = frozenset({"aov"})
_TOKEN = re.compile(r"(?<![\w./@-])([A-Za-z][\w]*)(?![\w-])(?!\.(?:xlsx|csv|yaml|json|pptx|md)\b)")


def _code_label(v: str, labels: Mapping[str, str], currency) -> str | None:
    if v in labels:
        return str(labels[v])
    if measure(v) is not None or is_identifier(v):
        return column_label(v, currency=currency)
    return None


def in_words(text: str, labels: Mapping[str, str] | None = None, currency: str | None = None) -> str:
    """Free text with every code in it (a declared column id, a measure, a snake_case name) as its label.

    For text the workbench writes from its findings (a scorecard reason, a skipped step's
    reason, a sheet note) before a client reads it: 'the largest effect is rfm_tier' →
    'the largest effect is RFM tier'.
    """
    labels = labels or {}
    text = readable(setting_words(text))
    if _TOKEN.fullmatch(text.strip()):  # one code alone: any measure or declared id
        return _code_label(text.strip(), labels, currency) or text

    def one(m):  # inside a sentence a measure or column id that is a word ('revenue', 'vote') stays a word
        tok = m.group(1)
        if (tok in labels and not_a_word(tok)) or is_identifier(tok) or tok in _CODE_WORDS:
            return _code_label(tok, labels, currency) or tok
        return tok
    return _TOKEN.sub(one, text)


def client_frame(frame: pd.DataFrame, currency: str | None = None, labels: Mapping[str, str] | None = None
                 ) -> pd.DataFrame:
    """``frame`` as a client reads it (issue 17: labels next to codes).

    Identifiers in headers and index names are replaced by their labels
    (:func:`workbench.core.measures.column_label`); a text column holding codes (declared column
    ids in ``labels``, measure names, snake_case names) keeps them under "<header> (code)"
    with a label column beside it; codes inside other text are written as their labels.
    """
    labels = dict(labels or {})
    out = frame.copy()
    # a frame that already holds a label column needs no second one beside its codes
    labelled = any(isinstance(c, str) and c.lower() == "label" for c in out.columns)
    made = set()  # the label columns written here: already words, never rewritten (a label may hold an id as a word)
    raw = list(out.columns)  # each column's name before labelling (None: a label column written here)
    for pos, c in reversed(list(enumerate(out.columns))):
        s = out[c]
        if s.dtype != object or not isinstance(c, str):
            continue
        vals = [v for v in s.dropna().unique() if isinstance(v, str)]
        codes = [v for v in vals if _code_label(v, labels, currency) is not None and " " not in v]
        if vals and len(codes) == len(vals) and any(v in labels or measure(v) or is_identifier(v) for v in vals):
            if labelled:
                out = out.rename(columns={c: "Code" if c == "variable" else f"{_header(c, currency)} (code)"})
                continue
            out.insert(pos + 1, f"{c} label" if c != "variable" else "label_", s.map(
                lambda v: _code_label(v, labels, currency) if isinstance(v, str) else v))
            raw.insert(pos + 1, None)
            has_label = "label" in out.columns and c == "variable"
            if has_label:
                out = out.drop(columns="label_")
                del raw[pos + 1]
            out = out.rename(columns={c: "Code" if c == "variable" else f"{_header(c, currency)} (code)"})
            if "label_" in out.columns:
                out = out.rename(columns={"label_": "label"})
                made.add("label")
            elif c != "variable":
                made.add(f"{c} label")
    before = list(out.columns)
    out.columns = [c if isinstance(c, str) and (c == "Code" or c.endswith(" (code)")) else
                   (_header(c, currency) if isinstance(c, str) else c) for c in out.columns]
    made = {new for old, new in zip(before, out.columns) if old in made}
    if isinstance(out.index, pd.MultiIndex):
        if "label" in out.index.names:  # codes beside their labels: kept as codes, headed "Code"
            out.index = out.index.set_names([column_label(n) if isinstance(n, str) else n for n in out.index.names])
        else:  # index values are written as labels, so an index of codes is headed as what it holds
            out.index = out.index.set_names([_index_header(n, currency) for n in out.index.names])
            out.index = pd.MultiIndex.from_arrays(
                [[in_words(v, labels, currency) if isinstance(v, str) else v for v in out.index.get_level_values(i)]
                 for i in range(out.index.nlevels)], names=out.index.names)
    else:
        if isinstance(out.index.name, str):
            out.index.name = _header(out.index.name, currency)
        if out.index.dtype == object:
            out.index = pd.Index([column_label(v, currency=currency) if isinstance(v, str) and (is_identifier(v) or measure(v))
                                  else v for v in out.index], name=out.index.name)
    for c in out.columns:
        if c != "Code" and not str(c).endswith(" (code)") and c not in made and out[c].dtype == object:
            out[c] = out[c].map(lambda v: in_words(v, labels, currency) if isinstance(v, str) else v)
    if out.index.dtype == object and not isinstance(out.index, pd.MultiIndex):
        out.index = pd.Index([in_words(v, labels, currency) if isinstance(v, str) else v for v in out.index],
                             name=out.index.name)
    out.attrs["raw_columns"] = raw  # for the writer's number formats, which go by the technical name
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
            if note:  # in a sentence in_words writes out only ids that cannot be words ('region' stays)
                note = in_words(note, labels, currency)
            if frame.empty:
                frame = pd.DataFrame({"": ["nothing found"]})
                write_index = False
            else:
                write_index = index and not (
                    isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
                )
            startrow = 2 if note else 0
            frame = client_frame(frame, currency, labels)
            raw_headers = ([None] * (frame.index.nlevels if write_index else 0)) + frame.attrs.pop("raw_columns")
            frame = _xlsx_clean(frame)  # issue 14: control characters XML cannot hold
            # merge_cells=False: a MultiIndex label on every row (filters work) and no openpyxl
            # merged ranges, whose styling made a sheet's writing time grow with its merges
            # (issue 30: a 20,000-respondent run spent its time merging cells)
            frame.to_excel(xw, sheet_name=sheet, index=write_index, startrow=startrow, merge_cells=False)
            ws = xw.sheets[sheet]
            harden_sheet(ws)  # issue 14: text cells are text, never formulas
            if note:
                ws.cell(row=1, column=1, value=note).font = Font(italic=True, color="555555")
                ws.cell(row=1, column=1).data_type = "s"
            hdr = startrow + 1
            for cell in ws[hdr]:
                cell.font = Font(bold=True)
                cell.fill = header_fill
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            n_index = frame.index.nlevels if write_index else 0
            ws.freeze_panes = ws.cell(row=hdr + 1, column=n_index + 1)
            if ws.max_row > hdr:
                ws.auto_filter.ref = f"{get_column_letter(1)}{hdr}:{get_column_letter(ws.max_column)}{ws.max_row}"
            formats, raws = {}, []
            estimate = None  # the format of the last column that is not an interval bound
            for j, col in enumerate(ws.iter_cols(min_row=hdr, max_row=ws.max_row), start=1):
                raw = raw_headers[j - 1] if j - 1 < len(raw_headers) and raw_headers[j - 1] is not None else col[0].value
                raws.append(raw)
                fmt = _number_format(raw, [c.value for c in col[1:200]], currency)
                bound = bool(_BOUND_COLUMN.match(str(raw or "").strip()))
                if bound and estimate is not None and fmt == "#,##0.00":
                    fmt = estimate  # 0.248 beside a share of 26.9 % reads as 24.8 %
                elif not bound:
                    estimate = fmt
                formats[j] = fmt
                for c in col[1:]:
                    if isinstance(c.value, float) and c.number_format == "General":
                        c.number_format = fmt
                shown = [_shown(c.value, fmt) for c in col[:501] if c.value is not None]
                width = max((len(v) for v in shown), default=6)
                ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
            _percent_rows(ws, hdr, raws, formats)
    return path


# --------------------------------------------------------------------------- formula injection (issue 14)
# A cell a spreadsheet program opens is live when it begins with '=' (and, in CSV, with
# '+', '-', '@', tab or carriage return): a respondent id '=HYPERLINK(...)' would become a
# link or worse.  The rule lives here, once:
#   - CSV: text cells that begin with one of those characters get a leading single quote
#     (the OWASP rule); numbers are never touched, so -3.5 in a numeric column stays -3.5;
#   - xlsx: every text cell is written as a string, never as a formula (write_workbook does
#     this for every table; the typing tool and the deck's chart workbooks call
#     harden_workbook / SafeCategoryChartData).

#: First characters that make a CSV cell a formula in Excel, LibreOffice or Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Anything that is not a ``str`` (numbers, missing values, dates) is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`safe_text` applied to every text cell, column name and
    index label (numeric and boolean columns are left exactly as they are)."""
    out = frame.copy()
    for j, c in enumerate(out.columns):
        s = out.iloc[:, j]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out.isetitem(j, s.map(safe_text))
    out.columns = _safe_index(out.columns)
    out.index = _safe_index(out.index)
    return out


def _safe_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_safe_index(lev) for lev in index.levels])
    if index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
        return index.map(safe_text)
    return index


def write_csv(frame: pd.DataFrame, path, **kwargs) -> Path:
    """Write a deliverable CSV (UTF-8) with text cells neutralised (:func:`safe_text`)."""
    kwargs.setdefault("encoding", "utf-8")
    safe_frame(frame).to_csv(path, **kwargs)
    return Path(path)


def csv_text(frame: pd.DataFrame, **kwargs) -> str:
    """The CSV text :func:`write_csv` would write (for standard output)."""
    return safe_frame(frame).to_csv(**kwargs)


_XML_ILLEGAL = UNSHOWABLE  # the one set (workbench.files.cleantext); cleaned at the boundary, and here again


def _xlsx_text(value):
    if isinstance(value, str) and _XML_ILLEGAL.search(value):
        return _XML_ILLEGAL.sub("\ufffd", value)
    return value


def _xlsx_clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Control characters an xlsx cannot hold shown as U+FFFD (text cells, column names, index)."""
    def dirty(values) -> bool:
        return any(isinstance(v, str) and _XML_ILLEGAL.search(v) for v in values)

    cols = [j for j in range(frame.shape[1]) if frame.iloc[:, j].dtype == object and dirty(frame.iloc[:, j])]
    if not cols and not dirty(map(str, frame.columns)) and not dirty(map(str, frame.index)):
        return frame
    out = frame.copy()
    for j in cols:
        out.isetitem(j, out.iloc[:, j].map(_xlsx_text))
    if not isinstance(out.columns, pd.MultiIndex):
        out.columns = out.columns.map(_xlsx_text)
    if not isinstance(out.index, pd.MultiIndex):
        out.index = out.index.map(_xlsx_text)
    return out


def harden_sheet(ws, texts=None) -> int:
    """Turn formula cells of an openpyxl worksheet back into text; return how many.

    With ``texts=None`` every formula cell becomes text (tables written from data frames hold
    no formulas of ours).  With a set of ``texts`` (names, labels and titles that came from
    the study or personas.yaml), only cells whose value is one of them: the typing tool's own
    formulas stay formulas.
    """
    n = 0
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str) and (texts is None or cell.value in texts):
                cell.data_type = "s"
                n += 1
    return n


def harden_workbook(wb, texts=None) -> int:
    """:func:`harden_sheet` on every sheet of an openpyxl workbook."""
    return sum(harden_sheet(ws, texts) for ws in wb.worksheets)


def _safe_chart_data_class():
    """python-pptx's CategoryChartData whose embedded workbook writes text as text.

    python-pptx writes a chart's data with XlsxWriter, which by default turns a string
    beginning with '=' (a persona name, a category label) into a formula; its
    ``strings_to_formulas`` option off keeps it a string.
    """
    from contextlib import contextmanager

    from pptx.chart.data import CategoryChartData
    from pptx.chart.xlsx import CategoryWorkbookWriter
    from xlsxwriter import Workbook

    class _Writer(CategoryWorkbookWriter):
        @contextmanager
        def _open_worksheet(self, xlsx_file):
            workbook = Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False})
            worksheet = workbook.add_worksheet()
            yield workbook, worksheet
            workbook.close()

    class SafeCategoryChartData(CategoryChartData):
        @property
        def _workbook_writer(self):
            return _Writer(self)

    return SafeCategoryChartData


def __getattr__(name):  # SafeCategoryChartData built on first use (python-pptx imported lazily)
    if name == "SafeCategoryChartData":
        cls = _safe_chart_data_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)
