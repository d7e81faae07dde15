"""Survey response files into one :class:`Responses` object.

Supported (the one registry :data:`READERS`, ``{format: reader}``, used by ``run``,
``validate`` and ``classify``): CSV (delimiter sniffed; UTF-8 with or without BOM, or a
declared encoding; ``;`` with decimal comma as Danish and Dutch Excel write it), XLSX, SPSS
``.sav`` (variable and value labels via pyreadstat), Qualtrics exports (question-text and
import-id header rows) and SurveyMonkey exports (question text in row 1, "Response" or the
statements in row 2), as CSV or workbook; a title block above the header is found (the first
row naming the respondent id) or declared (``header_row:``). Label text is read in the
study's language or, per file, another language the scale has labels for.

Columns are matched to the study by name.  Every cell is converted by its question's
scale; a cell that cannot be read is a :class:`~workbench.core.errors.DataError` naming the
file, the row as a spreadsheet shows it, and the column.
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..core.summary import Summarised, Summary, SummaryTable
from ..core.errors import DataError
from ..study import Column, Study

__all__ = ["Responses", "read_responses", "read_table", "RawTable", "ReadOptions", "read_options", "Reader", "READERS",
           "register_reader", "cell_text"]

logger = logging.getLogger(__name__)

QUALTRICS_META = {
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
    "DistributionChannel", "UserLanguage",
}


# --------------------------------------------------------------------------- raw tables


@dataclass
class RawTable:
    """A file's cells before the study gives them meaning.

    ``cells`` holds strings or numbers (object dtype), one row per respondent;
    ``rows`` the row number a person sees when opening the file; ``texts`` the question
    text (and statement) of a column where the export carries one; ``notes`` what the
    reader decided that a consultant should know (the row the column names were read from).
    """

    path: Path
    format: str
    header: list[str]
    cells: pd.DataFrame
    rows: np.ndarray
    row_word: str = "row"
    decimal: str = "."
    texts: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    header_row: int = 1
    language: str | None = None
    notes: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # study column -> the file's column name


@dataclass(frozen=True)
class ReadOptions:
    """How to read one response file: the wave's options, overridden by the file's own
    (``files: [{file: ..., language: sv}]``). ``where`` says where a consultant sets them."""

    format: str = "auto"
    delimiter: str | None = None
    decimal: str | None = None
    encoding: str = "utf-8"
    sheet: str | int | None = None
    header_row: int | None = None
    language: str | None = None
    where: str = "on the wave"


def read_options(wave, name: str | None = None) -> ReadOptions:
    """The reading options of file ``name`` of ``wave`` (a :class:`~workbench.study.WaveSpec`)."""
    if wave is None:
        return ReadOptions()
    base = {k: getattr(wave, k, None) for k in ("format", "delimiter", "decimal", "encoding", "sheet",
                                                  "header_row", "language")}
    own = wave.file_spec(name) if name is not None and hasattr(wave, "file_spec") else None
    if own is not None:
        base.update({k: v for k, v in own.model_dump().items() if k != "file" and v is not None})
        base["where"] = f"on the wave's files: entry of {name}"
    base["format"] = base["format"] or "auto"
    base["encoding"] = base["encoding"] or "utf-8"
    return ReadOptions(**base)


@dataclass(frozen=True)
class Reader:
    """One input format: the file suffixes it is chosen by, and the function reading a file
    into a :class:`RawTable`. ``text``: a delimited text file (its shape is checked first)."""

    name: str
    suffixes: tuple[str, ...]
    read: Callable[[Path, ReadOptions, tuple], RawTable]
    text: bool = False


#: The one reader registry (issue 23): ``{format: Reader}``, used by ``run``, ``validate``
#: and ``classify`` through :func:`read_table`. To add a format you must write
#: ``read(path, options, expect) -> RawTable`` and register it here with its suffixes;
#: layouts found inside a grid of cells (Qualtrics, SurveyMonkey, a title block) are
#: :func:`_layout`'s, shared by every grid format.
READERS: dict[str, Reader] = {}


def register_reader(reader: Reader) -> Reader:
    """Add ``reader`` to :data:`READERS` (a later reader of the same name replaces it)."""
    READERS[reader.name] = reader
    return reader


def _detect_format(path: Path, declared: str) -> str:
    if declared != "auto":
        return declared
    suffix = path.suffix.lower()
    for reader in READERS.values():
        if suffix in reader.suffixes:
            return reader.name
    known = sorted({x for r in READERS.values() for x in r.suffixes})
    raise DataError(
        f"cannot tell the format of '{path.name}' from its extension; use {', '.join(known)}, "
        "or set format: on the wave",
        file=path,
    )


def _decode(path: Path, raw: bytes, encoding: str, where: str = "on the wave") -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        encoding = "utf-8"
    try:
        text = raw.decode(encoding)
        if text.startswith("\ufeff"):  # a second byte-order mark (a file saved twice with BOM)
            logger.warning("%s: more than one byte-order mark at the start; ignored", path.name)
            text = text.lstrip("\ufeff")
        nul = text.find("\x00")
        if nul >= 0:  # issue 14: a zero byte is damage (or a binary file), never an answer
            raise DataError("the file holds a zero byte (NUL): it is damaged or not a text file; re-export it",
                            file=path, row=text.count("\n", 0, nul) + 1)
        return text
    except UnicodeDecodeError as exc:
        from ..files.limits import encoding_hint

        hint = encoding_hint(raw)
        if hint:  # UTF-16 and friends: the cp1252 guess below would mislead
            raise DataError(f"the file is not valid {encoding.upper()}{hint}", file=path) from None
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.start + 1]
        guess = ""
        try:
            ch = bad.decode("cp1252")
            guess = f" (in Windows-1252 that byte is '{ch}')"
        except UnicodeDecodeError:
            pass
        how = "(e.g. encoding: cp1252)" if where == "on the wave" else "(e.g. cp1252)"
        raise DataError(
            f"the file is not valid {encoding.upper()}: byte 0x{bad.hex()}{guess}. "
            f"Re-export it as 'CSV UTF-8', or declare the encoding {where} {how}",
            file=path,
            row=line,
        ) from None
    except LookupError:
        raise DataError(f"unknown encoding '{encoding}' declared {where}", file=path) from None


def _sniff_delimiter(path: Path, text: str) -> str:
    lines = text.splitlines()
    sample = "\n".join(lines[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        # a title block above the header: count in the widest of the first lines
        counts = {d: max((ln.count(d) for ln in lines[:20]), default=0) for d in ",;\t|"}
        best = max(counts, key=counts.get)
        if counts[best] == 0:
            raise DataError(
                "cannot find the column delimiter (no ',', ';', tab or '|' in the header row)",
                file=path,
                row=1,
            ) from None
        return best


def _read_csv(path: Path, opts: ReadOptions, expect=()) -> RawTable:
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError("the file is empty", file=path)
    text = _decode(path, raw, opts.encoding, opts.where)
    delim = opts.delimiter or _sniff_delimiter(path, text)
    decimal = opts.decimal or ("," if delim == ";" else ".")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    records, last_line = [], 0
    try:
        for rec in reader:
            records.append(rec)
            last_line = reader.line_num
    except csv.Error as exc:  # the row is where the broken record starts (an unclosed quote: its line)
        start = last_line + 1
        quote = " (a quote opened there is never closed)" if "end of data" in str(exc) or "EOF" in str(exc) else ""
        raise DataError(f"the CSV cannot be parsed from this line on: {exc}{quote}", file=path, row=start) from None
    # drop fully-empty lines (';;;;' as Excel writes them)
    numbered = [(i + 1, r) for i, r in enumerate(records)]
    numbered = [(n, r) for n, r in numbered if any(c.strip() for c in r)]
    if not numbered:
        raise DataError("the file is empty", file=path)
    fmt = opts.format if opts.format in ("qualtrics", "surveymonkey") else "csv"
    table = _layout(path, fmt, numbered, opts, expect)
    width = len(table.header)
    for n, r in zip(table.rows, table.cells):
        if len(r) != width:
            raise DataError(
                f"this row has {len(r)} cells but the header{'' if table.header_row == 1 else f' (row {table.header_row})'} "
                f"has {width}; "
                f"check for a stray '{delim}' or an unclosed quote",
                file=path,
                row=int(n),
            )
    table.cells = pd.DataFrame(table.cells, dtype=object)
    table.decimal = decimal
    return table


def _is_qualtrics(cells) -> bool:
    firsts = [c.strip() for c in cells[:3] if isinstance(c, str) and c.strip()]
    return bool(firsts) and all(c.startswith('{"ImportId"') for c in firsts)


#: What SurveyMonkey writes in the second header row over a single-answer question.
SURVEYMONKEY_RESPONSE = ("response", "open-ended response")
#: SurveyMonkey's own columns (not questions of the study, never "unexpected").
SURVEYMONKEY_META = {
    "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
    "First Name", "Last Name", "Custom Data 1", "Custom Data",
}


def _is_surveymonkey(first, second) -> bool:
    """SurveyMonkey's second header row: blank under its own first column (a respondent's row
    always has an id there), and "Response" cells or options / statements under columns the
    first row leaves blank (the rest of a grid or a select-all-that-apply question)."""
    if not second or cell_text(second[0]) != "":
        return False
    if any(isinstance(c, str) and c.strip().lower() in SURVEYMONKEY_RESPONSE for c in second):
        return True
    first = [cell_text(c) for c in first] + [""] * max(0, len(second) - len(first))
    under_blank = sum(1 for j, c in enumerate(second) if j > 0 and not first[j] and cell_text(c))
    # a title block has one or two cells in a row; a header row names several columns
    return bool(first[0]) and sum(1 for t in first if t) >= 2 and under_blank >= 2


def cell_text(v) -> str:
    """A cell as text: '' for a blank, 3.0 as '3', surrounding spaces removed."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _find_header(numbered, opts: ReadOptions, expect) -> tuple[int, str | None]:
    """Index into ``numbered`` of the header row, and how it was found (None: the first row)."""
    if opts.header_row is not None:
        for i, (n, _) in enumerate(numbered):
            if n == opts.header_row:
                return i, "declared"
            if n > opts.header_row:
                break
        raise DataError(f"header_row: {opts.header_row} is {'empty' if opts.header_row <= numbered[-1][0] else 'past the end of the file'}; "
                        "set it to the row holding the column names", row=opts.header_row)
    names = {str(e).strip().casefold() for e in expect if e}
    rid = str(expect[0]).strip().casefold() if expect else None
    for i, (_, r) in enumerate(numbered[:30]):
        texts = [cell_text(c) for c in r]
        nxt = numbered[i + 1][1] if i + 1 < len(numbered) else []
        third = numbered[i + 2][1] if i + 2 < len(numbered) else []
        if i + 1 < len(numbered) and (_is_surveymonkey(r, nxt) or _is_qualtrics(third)):
            return i, None if i == 0 else "export"
        if rid and rid in {t.casefold() for t in texts}:
            return i, None if i == 0 else "respondent id"
        if names and i == 0 and sum(t.casefold() in names for t in texts) >= 2:
            return 0, None
    return 0, None


def _layout(path: Path, fmt: str, numbered, opts: ReadOptions, expect=()) -> RawTable:
    """The header row(s) of a grid of cells and the respondents below them: a plain header,
    a title block above it, Qualtrics' three rows, SurveyMonkey's two."""
    try:
        at, how = _find_header(numbered, opts, expect)
    except DataError as exc:
        raise DataError(exc.message, file=path, row=exc.row) from None
    header_no, header_cells = numbered[at]
    notes = []
    if how in ("respondent id", "export"):
        title = " ".join(t for t in (cell_text(c) for c in numbered[0][1]) if t)[:60]
        notes.append(f"{path.name}: the column names were read from row {header_no} (the rows above, "
                     f"beginning '{title}', are a title block); set header_row: {header_no} {opts.where} to say so")
        logger.info("%s", notes[-1])
    body = numbered[at + 1:]
    texts: dict[str, str] = {}
    header = [cell_text(h) for h in header_cells]
    if fmt in ("csv", "xlsx", "qualtrics") and len(body) >= 2 and _is_qualtrics(body[1][1]):
        fmt = "qualtrics"
        texts = {h: cell_text(t) for h, t in zip(header, body[0][1])}
        body = body[2:]
    elif fmt == "qualtrics":
        raise DataError(
            "declared as a Qualtrics export, but the third row does not hold the "
            '{"ImportId": ...} cells Qualtrics writes',
            file=path,
            row=header_no + 2,
        )
    elif body and (fmt == "surveymonkey" or _is_surveymonkey(header_cells, body[0][1])):
        header, texts = _surveymonkey_header(header_cells, body[0][1])
        fmt = "surveymonkey"
        body = body[1:]
    if not body:
        where = "" if header_no == 1 else f" (row {header_no})"
        raise DataError(f"the file has a header row{where} but no respondents", file=path)
    table = RawTable(path=path, format=fmt, header=header, cells=[r for _, r in body],
                     rows=np.array([n for n, _ in body]), texts=texts, header_row=header_no,
                     language=opts.language, notes=notes)
    return table


def _surveymonkey_header(first, second) -> tuple[list[str], dict[str, str]]:
    """SurveyMonkey's two header rows as one name per column.

    Row 1 holds the question text over the first column of each question (blank over the
    rest of a grid or a "select all that apply" list); row 2 holds "Response" /
    "Open-Ended Response" under a single-answer question, else the statement or option.
    A column is named by its question (single answer) or by its statement or option when
    that is unique in the file, else by "question - statement". ``texts`` holds the
    question text and statement, which the study's question texts are also matched to.
    """
    width = max(len(first), len(second))
    first = [cell_text(c) for c in first] + [""] * (width - len(first))
    second = [cell_text(c) for c in second] + [""] * (width - len(second))
    question, questions = "", []
    for q in first:
        question = q or question
        questions.append(question)
    statements = [s for s in second if s and s.lower() not in SURVEYMONKEY_RESPONSE]
    header, texts = [], {}
    for q, st in zip(questions, second):
        if not st or st.lower() in SURVEYMONKEY_RESPONSE:
            name = q
            texts[name] = q
        else:
            name = st if statements.count(st) == 1 and st not in first else f"{q} - {st}"
            texts[name] = f"{q} {st}"
        header.append(name)
    return header, texts


def _read_xlsx(path: Path, opts: ReadOptions, expect=()) -> RawTable:
    sheet = opts.sheet if opts.sheet is not None else 0
    try:
        frame = pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, engine="openpyxl")
    except ValueError as exc:
        if "Worksheet" in str(exc) or "not found" in str(exc):
            names = pd.ExcelFile(path, engine="openpyxl").sheet_names
            raise DataError(
                f"no sheet {sheet!r} in the workbook; its sheets are: {', '.join(names)}", file=path
            ) from None
        raise DataError(f"cannot read the workbook: {exc}", file=path) from None
    except Exception as exc:  # zip / xml errors from a damaged or mis-named file
        raise DataError(
            f"cannot read the workbook ({type(exc).__name__}: {exc}); is it really an .xlsx file?",
            file=path,
        ) from None
    rows = np.arange(1, len(frame) + 1)
    keep = frame.notna().any(axis=1).to_numpy()
    frame, rows = frame[keep], rows[keep]
    if frame.empty:
        raise DataError("the sheet is empty", file=path)
    numbered = list(zip(rows.tolist(), frame.to_numpy(dtype=object).tolist()))
    fmt = opts.format if opts.format in ("qualtrics", "surveymonkey") else "xlsx"
    table = _layout(path, fmt, numbered, opts, expect)
    table.cells = pd.DataFrame(table.cells, dtype=object).reset_index(drop=True)
    return table


def _read_sav(path: Path, opts: ReadOptions, expect=()) -> RawTable:
    import pyreadstat

    if path.stat().st_size == 0:
        raise DataError("the file is empty", file=path)
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise DataError(f"cannot read the SPSS file ({exc}); is it a valid .sav?", file=path) from None
    if frame.empty:
        raise DataError("the SPSS file holds no cases", file=path)
    labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    return RawTable(
        path=path,
        format="sav",
        header=list(frame.columns),
        cells=frame.astype(object).reset_index(drop=True),
        rows=np.arange(1, len(frame) + 1),
        row_word="case",
        texts=labels,
        value_labels=dict(meta.variable_value_labels or {}),
        language=opts.language,
    )


def _read_export(path: Path, opts: ReadOptions, expect=()) -> RawTable:
    """A Qualtrics or SurveyMonkey export, saved as CSV or as a workbook."""
    if path.suffix.lower() in READERS["xlsx"].suffixes:
        return _read_xlsx(path, opts, expect)
    return _read_csv(path, opts, expect)


register_reader(Reader("csv", (".csv", ".txt", ".tsv"), _read_csv, text=True))
register_reader(Reader("qualtrics", (), _read_export, text=True))
register_reader(Reader("surveymonkey", (), _read_export, text=True))
register_reader(Reader("xlsx", (".xlsx", ".xlsm"), _read_xlsx))
register_reader(Reader("sav", (".sav", ".zsav"), _read_sav))


def read_table(path, wave=None, *, expect=(), kind: str = "responses", what: str = "response file") -> RawTable:
    """Read one file of answers into a :class:`RawTable` (no study needed).

    Parameters
    ----------
    path : path
    wave : WaveSpec or ReadOptions, optional
        The wave (its reading options, with the file's own) or the options themselves.
    expect : sequence of str
        Column names the file should hold, the respondent id first: the header row is found
        below a title block as the first row naming the respondent id.
    kind, what : str
        The limits (:data:`workbench.files.limits.LIMITS`) and the words for the file in messages.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{what} not found", file=path)
    from ..files.limits import LIMITS, check_file, check_text_shape  # issue 14: file type, size, columns, lines first

    opts = wave if isinstance(wave, ReadOptions) else read_options(wave, _relative_name(wave, path))
    check_file(path, max_bytes=LIMITS[kind].max_bytes, what=what)
    fmt = _detect_format(path, opts.format)
    if fmt not in READERS:
        raise DataError(f"no reader for format '{fmt}'; formats: {', '.join(READERS)}", file=path)
    reader = READERS[fmt]
    if reader.text and path.suffix.lower() not in READERS["xlsx"].suffixes:
        check_text_shape(path, None, limit=LIMITS[kind], what=what, delimiter=opts.delimiter)
    return reader.read(path, opts, tuple(expect))


def _relative_name(wave, path: Path) -> str | None:
    if wave is None or not hasattr(wave, "file_names"):
        return None
    for name in wave.file_names:
        if Path(name).name == path.name and (path.as_posix().endswith(Path(name).as_posix())):
            return name
    return None


# --------------------------------------------------------------------------- Responses


@dataclass(frozen=True)
class Responses(Summarised):
    """Respondents × questions, with the study's metadata kept alongside.

    Attributes
    ----------
    data : DataFrame
        Indexed by respondent id.  Coded and numeric answers are floats, texts are
        strings; "don't know" and other missing codes are NaN here (see ``special``).
        Personal data never lives here.
    special : DataFrame
        The missing code a respondent gave (98 "don't know", ...) where they gave one,
        NaN elsewhere; same index, columns of scales that declare missing codes.
    pii : DataFrame
        The study's PII columns, kept apart so nothing exported can reach them.
    weights : Series or None
        The study's weight column, when declared.
    provenance : DataFrame
        ``file`` and ``row`` of every respondent (row as a spreadsheet shows it).
    columns : dict of str to Column
        The study's definition of every column in ``data``.
    out_of_range : DataFrame
        Cells whose code is not on the scale (respondent, column, value, file, row);
        blanked in ``data``.
    missing_columns, unexpected_columns : list of str
        Declared but not asked (wave's ``not_asked``); present in the file but not declared.
    label_mismatches : DataFrame
        SPSS value labels that disagree with the study's codes.
    """

    data: pd.DataFrame
    special: pd.DataFrame
    pii: pd.DataFrame
    weights: pd.Series | None
    provenance: pd.DataFrame
    columns: dict[str, Column]
    out_of_range: pd.DataFrame
    missing_columns: list[str]
    unexpected_columns: list[str]
    label_mismatches: pd.DataFrame
    study_id: str
    wave: str
    files: list[Path]
    formats: list[str]
    notes: tuple = ()

    @property
    def n(self) -> int:
        return len(self.data)

    def block(self, name: str) -> pd.DataFrame:
        """The answers of one block, columns in study order."""
        return self.data[[c for c, col in self.columns.items() if col.block == name]]

    def labelled(self, column: str) -> pd.Series:
        """A coded column with its value labels (ordered categorical for ordered scales)."""
        col = self.columns[column]
        codes = col.scale.codes
        values = self.data[column].map(lambda v: codes.get(int(v)) if pd.notna(v) else None)
        ordered = col.scale.type in ("likert", "ordinal")
        return pd.Series(
            pd.Categorical(values, categories=list(codes.values()), ordered=ordered),
            index=self.data.index,
            name=column,
        )

    def subset(self, mask) -> "Responses":
        """Responses keeping the rows where ``mask`` (aligned by position) is True."""
        mask = np.asarray(mask, dtype=bool)
        return Responses(
            data=self.data[mask],
            special=self.special[mask],
            pii=self.pii[mask],
            weights=None if self.weights is None else self.weights[mask],
            provenance=self.provenance[mask],
            columns=self.columns,
            out_of_range=self.out_of_range,
            missing_columns=self.missing_columns,
            unexpected_columns=self.unexpected_columns,
            label_mismatches=self.label_mismatches,
            study_id=self.study_id,
            wave=self.wave,
            files=self.files,
            formats=self.formats,
            notes=self.notes,
        )

    def summary(self) -> pd.DataFrame:
        """Per block: questions, answered share, don't-know share."""
        rows = []
        for block in dict.fromkeys(c.block for c in self.columns.values()):
            cols = [c for c, col in self.columns.items() if col.block == block]
            d = self.data[cols]
            sp = self.special[[c for c in cols if c in self.special]]
            rows.append(
                {
                    "block": block,
                    "questions": len(cols),
                    "answered %": round(100 * d.notna().to_numpy().mean(), 1),
                    "don't know / n.a. %": round(100 * sp.notna().to_numpy().sum() / max(d.size, 1), 1),
                }
            )
        return pd.DataFrame(rows).set_index("block")

    def summarise(self) -> Summary:
        """Who and what was read, and the per-question summary."""
        return Summary("Responses", [f"{self.study_id} wave {self.wave}: {self.n:,} respondents, "
                                     f"{len(self.columns)} questions"], [SummaryTable(self.summary())])

    def __str__(self) -> str:  # one line, as before: readers' objects appear in log lines
        return repr(self)

    def __repr__(self) -> str:
        return f"Responses(study={self.study_id!r}, wave={self.wave!r}, n={self.n}, questions={len(self.columns)})"


def read_responses(study: Study, wave) -> Responses:
    """Read a wave's response file(s) and check them against the study.

    Parameters
    ----------
    study : Study
    wave : str or int
        The wave id.

    Returns
    -------
    Responses
        Columns in study order. Respondents appear once per row of the files
        (duplicates are left for the quality checks to report).

    Raises
    ------
    DataError
        A missing or unreadable file, a declared column missing from the file, a text
        in a numeric column, a blank respondent id, or (when the study says
        ``out_of_range: error``) a code outside the scale, naming file, row and column.
    """
    w = study.wave(wave)
    parts, oor_parts, mismatch_parts, unexpected, formats, notes = [], [], [], [], [], []
    expect = study.expected_columns()
    for name in w.file_names:
        path = study.root / name
        logger.info("reading %s", path)
        table = read_table(path, read_options(w, name), expect=expect)
        formats.append(table.format)
        part, oor, mism, unexp = _conform(table, study, w)
        notes += table.notes
        parts.append(part)
        oor_parts.append(oor)
        mismatch_parts.append(mism)
        unexpected += [u for u in unexp if u not in unexpected]
    frame = pd.concat(parts, ignore_index=True)
    rid = study.respondent_id
    oor = pd.concat(oor_parts, ignore_index=True)
    if study.spec.quality.out_of_range == "error" and len(oor):
        first = oor.iloc[0]
        more = f" ({len(oor) - 1} more such cells)" if len(oor) > 1 else ""
        raise DataError(
            f"code {_fmt(first['value'])} is not on the scale ({first['expected']}){more}; fix the "
            "data, or set quality.out_of_range: set_missing (blank it) or exclude (drop the respondent)",
            file=first["file"],
            row=int(first["row"]),
            column=first["column"],
        )
    if study.spec.quality.unexpected_columns == "error" and unexpected:
        raise DataError(
            f"{len(unexpected)} column(s) in the file are not in the study: {', '.join(unexpected[:10])}"
            + (" ..." if len(unexpected) > 10 else "")
            + "; declare them or set quality.unexpected_columns: report",
            file=study.wave_files(w.id)[0],
        )
    index = pd.Index(frame[rid].astype(str), name=rid)
    qcols = [c for c in study.columns]
    data = frame[qcols].copy()
    data.index = index
    special_cols = [c for c in qcols if study.columns[c].scale.missing]
    special = frame[[f"__special__{c}" for c in special_cols]].copy()
    special.columns = special_cols
    special.index = index
    extra_ids = [c for c in (study.spec.customer_id,) if c and c != rid]
    for c in extra_ids:  # the customer id travels with the answers (it is not PII)
        data.insert(0, c, frame[c].to_numpy())
    pii = frame[[p for p in study.pii if p in frame]].copy()
    pii.index = index
    weights = None
    if study.spec.weight:
        weights = pd.Series(frame[study.spec.weight].to_numpy(dtype=float), index=index, name=study.spec.weight)
    prov = frame[["__file__", "__row__"]].rename(columns={"__file__": "file", "__row__": "row"})
    prov.index = index
    columns = {c: study.columns[c] for c in qcols}
    logger.info("read %d respondents × %d questions from %d file(s)", len(data), len(qcols), len(parts))
    return Responses(
        data=data,
        special=special,
        pii=pii,
        weights=weights,
        provenance=prov,
        columns=columns,
        out_of_range=oor,
        missing_columns=[c for c in w.not_asked if frame[c].isna().all()],
        unexpected_columns=unexpected,
        label_mismatches=pd.concat(mismatch_parts, ignore_index=True),
        study_id=study.id,
        wave=w.id,
        files=study.wave_files(w.id),
        formats=formats,
        notes=tuple(notes),
    )


def _conform(table: RawTable, study: Study, wave):
    """Match a raw table's columns to the study and convert every cell."""
    path = table.path
    header = table.header
    seen = {}
    for i, h in enumerate(header):
        if h == "":
            if table.cells.iloc[:, i].map(_blank).all():
                continue
            named = [x for x in header if x]
            why = (f"the header row (row {table.header_row}) names only {len(named)} of {len(header)} columns"
                   + (f" ('{named[0][:40]}')" if len(named) == 1 else ""))
            raise DataError(
                f"column {i + 1} has no name in the header row but holds data: {why}. If the column names are on "
                "another row (a title block above them), set header_row: to that row on the wave; a SurveyMonkey "
                "export (question text in row 1, 'Response' or the statements in row 2) is read with "
                "format: surveymonkey", file=path, row=table.header_row, column=f"column {i + 1}")
        if h in seen:
            raise DataError(
                f"the header names column '{h}' twice (columns {seen[h] + 1} and {i + 1})",
                file=path,
                row=_header_row(table),
                column=h,
            )
        seen[h] = i
    expected = study.expected_columns()
    declared_set = set(expected)
    not_asked = set(wave.not_asked)
    _match_by_text(table, study, seen, declared_set)
    missing = [c for c in expected if c not in seen and c not in not_asked]
    if study.spec.weight and study.spec.weight in missing:
        pass  # reported below with the others
    if missing:
        hints = []
        norm = {_norm(h): h for h in seen if h not in declared_set}
        for c in missing:
            close = norm.get(_norm(c)) or next(
                iter(difflib.get_close_matches(c, [h for h in seen if h not in declared_set], n=1)), None
            )
            hints.append(f"{c} (the file has '{close}')" if close else c)
        listed = ", ".join(hints[:12]) + (f" and {len(hints) - 12} more" if len(hints) > 12 else "")
        raise DataError(
            f"{len(missing)} column(s) the study declares are missing from the file: {listed}. "
            "Rename the columns, fix the study, or list questions this wave did not ask under "
            "the wave's not_asked:",
            file=path,
            row=_header_row(table),
            column=missing[0],
        )
    declared = set(expected)
    meta_ok = {"qualtrics": QUALTRICS_META, "surveymonkey": SURVEYMONKEY_META}.get(table.format, set())
    unexpected = [h for h in seen if h not in declared and h not in meta_ok]

    out = {}
    rows = table.rows
    rid = study.respondent_id
    ids = table.cells.iloc[:, seen[rid]].map(_text)
    blank = ids.isna().to_numpy()
    if blank.any():
        i = int(np.argmax(blank))
        raise DataError(
            f"the respondent id is blank ({int(blank.sum())} row(s) in all); every respondent needs an id",
            file=path,
            row=int(rows[i]),
            column=rid,
        )
    out[rid] = ids.astype(str).to_numpy()
    cid = study.spec.customer_id
    if cid and cid != rid:
        out[cid] = table.cells.iloc[:, seen[cid]].map(_text).to_numpy()
    oor_rows, mism_rows = [], []
    blanks: dict[str, np.ndarray] = {}
    for c, col in study.columns.items():
        if c not in seen:
            out[c] = np.full(len(rows), np.nan if col.scale.numeric else None, dtype=float if col.scale.numeric else object)
            if col.scale.missing:
                out[f"__special__{c}"] = np.full(len(rows), np.nan)
            continue
        raw = table.cells.iloc[:, seen[c]]
        if col.multi_select:
            blanks[c] = raw.map(_blank).to_numpy(dtype=bool)
        values, special, oor = _convert(raw, col, table, ids.to_numpy())
        out[c] = values
        if col.scale.missing:
            out[f"__special__{c}"] = special
        oor_rows += oor
        if table.value_labels.get(c) and col.scale.coded:
            known = set(col.scale.codes) | set(col.scale.missing)
            for code, label in table.value_labels[c].items():
                try:
                    code = int(float(code))
                except (TypeError, ValueError):
                    continue
                ours = col.scale.label(code)
                if code not in known or (ours and ours.strip().lower() != str(label).strip().lower()):
                    mism_rows.append(
                        {"file": str(path), "column": c, "code": code, "label in file": label, "label in study": ours}
                    )
    if study.spec.weight:
        out[study.spec.weight] = _weights(table, seen[study.spec.weight], study.spec.weight)
    for p in study.pii:
        out[p] = table.cells.iloc[:, seen[p]].map(_text).to_numpy() if p in seen else None
    out["__file__"] = str(path)
    out["__row__"] = rows
    frame = pd.DataFrame(out)
    oor = pd.DataFrame(oor_rows, columns=["respondent", "column", "value", "expected", "file", "row"])
    mism = pd.DataFrame(mism_rows, columns=["file", "column", "code", "label in file", "label in study"])
    table.notes += _blank_notes(table, study, blanks)
    return frame, oor, mism, unexpected


def _blank_notes(table: RawTable, study: Study, blanks: dict) -> list[str]:
    """How a file's blanks in "select all that apply" blocks were read, one line per block."""
    notes = []
    for block in dict.fromkeys(study.columns[c].block for c in blanks):
        cols = [c for c in blanks if study.columns[c].block == block]
        m = np.column_stack([blanks[c] for c in cols])
        none = int(m.all(axis=1).sum())
        notes.append(f"{table.path.name}: block {block} (select all that apply, {len(cols)} options): "
                     f"{int(m.sum()):,} blank cells of {m.size:,} read as not selected; {none:,} of {len(m):,} "
                     "respondents ticked none of the options")
        logger.info("%s", notes[-1])
    return notes


def _fmt(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else str(v)


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _header_row(table: RawTable) -> int:
    return int(table.header_row)


def _match_by_text(table: RawTable, study: Study, seen: dict, declared: set) -> None:
    """Exports that name columns by question text (SurveyMonkey; Qualtrics' text row): a
    declared column missing by name is found by its question text or label, when exactly one
    undeclared column of the file carries that text. ``seen`` gains the declared id."""
    if not table.texts:
        return
    free = [h for h in seen if h not in declared]
    by_text: dict[str, list[str]] = {}
    for h in free:
        for t in {h, table.texts.get(h, "")}:
            if t:
                by_text.setdefault(_norm_text(t), []).append(h)
    for cid, col in study.columns.items():
        if cid in seen:
            continue
        hits = {h for t in (col.text, col.label) if t for h in by_text.get(_norm_text(t), [])}
        if len(hits) == 1:
            h = hits.pop()
            if h in seen:
                seen[cid] = seen.pop(h)
                table.aliases[cid] = h
                logger.info("%s: column '%s' read as %s (its question text)", table.path.name, h, cid)


def _norm_text(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def _text(v):
    if _blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _to_number(series: pd.Series, decimal: str) -> tuple[pd.Series, np.ndarray]:
    """Strings and numbers to floats (NaN for blanks) and a mask of cells that are not numbers."""
    notnum = np.zeros(len(series), dtype=bool)
    out = np.full(len(series), np.nan)
    for i, v in enumerate(series.to_numpy(dtype=object)):
        if _blank(v):
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            out[i] = float(v)
            continue
        s = str(v).strip().replace("\u00a0", "").replace(" ", "")
        if decimal == "," and "," in s:
            s = s.replace(".", "").replace(",", ".")
        try:
            out[i] = float(s)
        except ValueError:
            notnum[i] = True
    return pd.Series(out, index=series.index), notnum


def _convert(raw: pd.Series, col: Column, table: RawTable, ids):
    """Convert one column; returns values, special codes and out-of-range records."""
    scale = col.scale
    n = len(raw)
    rows = table.rows
    if scale.type == "text":
        return raw.map(_text).to_numpy(dtype=object), np.full(n, np.nan), []
    if col.multi_select:
        return _convert_option(raw, col, table), np.full(n, np.nan), []
    nums, bad = _to_number(raw, table.decimal)
    if scale.coded and bad.any():
        # labels instead of codes (Qualtrics "choice text" exports, hand-typed Excel): map them
        lookup = _label_lookup(scale, table.language)
        mapped = raw[bad].map(lambda v: lookup.get(str(v).strip().lower()))
        found = mapped.notna().to_numpy()
        nums.iloc[np.flatnonzero(bad)[found]] = mapped[found].astype(float).to_numpy()
        bad = bad.copy()
        bad[np.flatnonzero(bad)[found]] = False
    if bad.any():
        idx = np.flatnonzero(bad)
        i = idx[0]
        expected = (
            f"a code ({_codes_text(scale)}) or its label" if scale.coded else "a number"
        )
        lang_hint = ""
        if scale.coded and not bad.all():
            langs = sorted(scale.labels)
            if table.language and table.language not in scale.labels:
                lang_hint = (f"; the file's language is {table.language}, but scale '{scale.name}' has no labels "
                             f"for it: add labels: {{{table.language}: {{code: label, ...}}}} to the scale")
            elif not table.language and not langs:
                lang_hint = (f"; if the file's answers are in another language, add that language's labels to "
                             f"scale '{scale.name}' (labels: {{sv: {{1: ..., 2: ...}}}}) and say the file's language "
                             "(files: [{file: ..., language: sv}])")
            else:
                lang_hint = (f"; labels known in the study's language{' and ' + ', '.join(langs) if langs else ''}: "
                             f"fix the answer, or add its label to scale '{scale.name}'")
        more = f"; {len(idx) - 1} more such cells in this column (rows {', '.join(str(int(rows[j])) for j in idx[1:6])}{' ...' if len(idx) > 6 else ''})" if len(idx) > 1 else ""
        hint = ""
        if scale.type == "numeric" and "," in str(raw.iloc[i]) and table.decimal == ".":
            hint = "; the file seems to use a decimal comma: set decimal: ',' on the wave"
        raise DataError(
            f"found {str(raw.iloc[i])!r} where {expected} is expected{more}{hint}{lang_hint}",
            file=table.path,
            row=int(rows[i]),
            column=col.id,
        )
    values = nums.to_numpy(dtype=float)
    special = np.full(n, np.nan)
    oor = []
    if scale.missing:
        is_special = np.isin(values, list(scale.missing))
        special[is_special] = values[is_special]
        values = np.where(is_special, np.nan, values)
    present = ~np.isnan(values)
    if scale.coded:
        ok = np.isin(values, list(scale.codes))
        out = present & ~ok
        expected = _codes_text(scale)
    else:
        lo = -np.inf if scale.min is None else scale.min
        hi = np.inf if scale.max is None else scale.max
        out = present & ((values < lo) | (values > hi))
        expected = f"between {scale.min if scale.min is not None else '-inf'} and {scale.max if scale.max is not None else 'inf'}"
    for j in np.flatnonzero(out):
        v = values[j]
        oor.append(
            {
                "respondent": ids[j],
                "column": col.id,
                "value": int(v) if float(v).is_integer() else float(v),
                "expected": expected,
                "file": str(table.path),
                "row": int(rows[j]),
            }
        )
    values = np.where(out, np.nan, values)
    return values, special, oor


def _convert_option(raw: pd.Series, col: Column, table: RawTable) -> np.ndarray:
    """One option of a "select all that apply" block as 0/1: ticked is the option's label (as
    the export writes it: the question text, label, or the file's column name), 1 or the
    scale's label of 1; unticked is blank, 0 or the scale's label of 0."""
    scale = col.scale
    on, off = max(scale.codes), min(scale.codes)
    lookup = _label_lookup(scale, table.language)
    for name in (col.text, col.label, col.id, _source_name(table, col.id)):
        if name:
            lookup.setdefault(str(name).strip().lower(), on)
    out = np.zeros(len(raw))
    bad = []
    for i, v in enumerate(raw.to_numpy(dtype=object)):
        if _blank(v):
            out[i] = off
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and float(v) in scale.codes:
            out[i] = float(v)
            continue
        t = str(v).strip()
        key = t.lower()
        if key in lookup:
            out[i] = lookup[key]
        elif t in ("0", "1") or t.replace(",", ".") in ("0.0", "1.0"):
            out[i] = float(t.replace(",", "."))
        else:
            bad.append(i)
    if bad:
        rows = table.rows
        more = f"; {len(bad) - 1} more such cells in this column" if len(bad) > 1 else ""
        raise DataError(
            f"found {str(raw.iloc[bad[0]])!r} in an option of a select-all-that-apply block; ticked is the option's "
            f"label ('{col.label}'), 1 or '{scale.codes[on]}', unticked is blank, 0 or '{scale.codes[off]}'{more}",
            file=table.path, row=int(rows[bad[0]]), column=col.id)
    return out


def _source_name(table: RawTable, cid: str) -> str | None:
    """The file's own name of a column read by its question text (SurveyMonkey), if any."""
    return table.aliases.get(cid)


def _label_lookup(scale, language: str | None) -> dict[str, int]:
    """Label text (case-insensitive) -> code: the file's language's labels first, then the
    study's; a file without a declared language also reads the labels of every language
    the scale has, as long as a text means one code only."""
    lookup: dict[str, int | None] = {}
    firm: set[str] = set()  # texts whose code is settled (the file's language, the study's)

    def add(labels: dict, settle: bool):
        for k, v in labels.items():
            key = str(v).strip().lower()
            if key in firm:
                continue
            if key in lookup and lookup[key] != k:
                lookup[key] = None  # one text, two codes in two languages: read only with the file's language
            else:
                lookup[key] = k
            if settle:
                firm.add(key)

    if language and language in scale.labels:
        add(scale.labels[language], True)
    add({**scale.codes, **scale.missing}, True)
    if not language:
        for lang in sorted(scale.labels):
            add(scale.labels[lang], False)
    return {k: v for k, v in lookup.items() if v is not None}


def _codes_text(scale) -> str:
    codes = sorted(scale.codes)
    if codes and codes == list(range(codes[0], codes[-1] + 1)) and len(codes) > 2:
        text = f"{codes[0]}-{codes[-1]}"
    else:
        text = ", ".join(str(c) for c in codes)
    if scale.missing:
        text += "; missing codes " + ", ".join(str(c) for c in sorted(scale.missing))
    return text


def _weights(table: RawTable, pos: int, name: str) -> np.ndarray:
    raw = table.cells.iloc[:, pos]
    nums, notnum = _to_number(raw, table.decimal)
    for i, v in enumerate(nums):
        if notnum[i] or np.isnan(v) or v <= 0:
            raise DataError(
                f"the weight must be a positive number, found {raw.iloc[i]!r}",
                file=table.path,
                row=int(table.rows[i]),
                column=name,
            )
    return nums.to_numpy(dtype=float)
