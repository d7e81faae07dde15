"""Reading the source files with DuckDB: formats, typed scans, and bad input named by
file, row and column; the checks on the lines and the customer master."""

from __future__ import annotations

import difflib
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ..core.errors import DataError
from ..files.limits import check_input
from ..study import Column, CustomersSource, TransactionsSource
from .rules import check_lines_sql, sql_ident, sql_literal

_TYPE_WORDS = {"DATE": "a date", "DOUBLE": "a number"}


def connect(threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    try:  # no progress bars on stderr in the CLI or a notebook
        con.execute("SET enable_progress_bar=false")
    except duckdb.Error:  # in Jupyter without ipywidgets DuckDB refuses to touch the setting (and draws no bar)
        pass
    con.execute(f"SET threads={int(threads)}")
    con.execute(f"SET memory_limit={sql_literal(memory_limit)}")
    con.execute("SET preserve_insertion_order=true")
    # spill out-of-core work (a history larger than the memory limit) to the system's
    # temporary folder, not to a '.tmp' folder in the working directory
    con.execute(f"SET temp_directory={sql_literal(str(Path(tempfile.gettempdir()) / 'workbench-duckdb'))}")
    return con


# --------------------------------------------------------------------------- reading files


@dataclass
class _File:
    """One source file as DuckDB reads it."""

    path: Path
    format: str  # 'csv' or 'parquet'
    header: list[str]
    types: dict[str, str]
    delimiter: str | None
    decimal: str
    date_format: str
    what: str  # 'transactions' / 'customer master'

    def row_word(self) -> str:
        return "row" if self.format == "csv" else "record"


def open_source(src, root: Path, what: str, con) -> _File:
    path = Path(src.file)
    path = path if path.is_absolute() else Path(root) / path
    if not path.exists():
        raise DataError(f"the {what} file is not there; check behaviour: in study.yaml", file=path)
    fmt = src.format
    if fmt == "auto":
        suffix = path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            fmt = "parquet"
        elif suffix in (".csv", ".txt", ".tsv", ".gz"):
            fmt = "csv"
        else:
            raise DataError(
                f"cannot tell the format of '{path.name}' from its extension; use .csv or .parquet, "
                "or set format: csv / parquet on the source",
                file=path,
            )
    # size, file type, column count and line length first (workbench.files.limits), before DuckDB reads it
    check_input(path, what, text=fmt == "csv" and path.suffix.lower() != ".gz", delimiter=src.delimiter)
    try:
        if fmt == "csv":
            opts = ", delim=$delim" if src.delimiter else ""
            params = {"path": str(path)} | ({"delim": src.delimiter} if src.delimiter else {})
            rows = con.execute(
                f"DESCRIBE SELECT * FROM read_csv($path, header=true, all_varchar=true{opts})", params
            ).fetchall()
        else:
            rows = con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()
    except duckdb.Error as exc:
        raise DataError(f"the {what} file cannot be read: {first_line(exc)}", file=path) from None
    header = [r[0] for r in rows]
    return _File(path, fmt, header, {r[0]: r[1] for r in rows}, src.delimiter, src.decimal, src.date_format, what)


def first_line(exc) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def require_columns(f: _File, wanted: dict[str, str], where: str) -> None:
    """Every mapped column must be in the file: else name it and the file's columns."""
    for role, col in wanted.items():
        if col not in f.header:
            close = difflib.get_close_matches(col, f.header, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            cols = ", ".join(f.header[:15]) + (" ..." if len(f.header) > 15 else "")
            raise DataError(
                f"the {f.what} file has no column '{col}' (mapped as {role} under {where}){hint}; "
                f"its columns are: {cols}",
                file=f.path,
                column=col,
            )


def scan_sql(f: _File, typed: dict[str, str]) -> tuple[str, dict]:
    """SQL for reading ``f`` with ``typed`` columns (name -> DATE/DOUBLE/VARCHAR) typed.

    Returns the FROM-clause text and its bound parameters; the select list uses the
    file's own column names. Dates are parsed with the declared format.
    """
    params: dict[str, Any] = {"path": str(f.path)}
    if f.format == "csv":
        cols = "{" + ", ".join(f"{sql_literal(c)}: {sql_literal(typed.get(c, 'VARCHAR'))}" for c in f.header) + "}"
        opts = [f"columns={cols}", "header=true", "auto_detect=false", "quote='\"'", "escape='\"'"]
        opts.append("delim=$delim")
        params["delim"] = f.delimiter or _sniff_delimiter(f.path)
        if f.decimal != ".":
            opts.append("decimal_separator=$dec")
            params["dec"] = f.decimal
        if f.date_format != "ISO":
            opts.append("dateformat=$datefmt")
            params["datefmt"] = f.date_format
        return f"read_csv($path, {', '.join(opts)})", params
    # parquet: cast in a sub-select so the outer query sees the same names and types
    exprs = []
    for c in f.header:
        t = typed.get(c)
        src_type = f.types.get(c, "")
        if t == "DATE" and src_type.upper().startswith("VARCHAR"):
            if f.date_format == "ISO":
                e = f"CAST({sql_ident(c)} AS DATE)"
            else:
                e = f"CAST(strptime({sql_ident(c)}, $datefmt) AS DATE)"
                params["datefmt"] = f.date_format
        elif t:
            e = f"CAST({sql_ident(c)} AS {t})"
        else:
            e = sql_ident(c)
        exprs.append(f"{e} AS {sql_ident(c)}")
    return f"(SELECT {', '.join(exprs)} FROM read_parquet($path))", params


def _sniff_delimiter(path: Path) -> str:
    with open(path, "rb") as fh:
        first = fh.readline().decode("utf-8", errors="replace")
    counts = {d: first.count(d) for d in ",;\t|"}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COLUMN = re.compile(r'converting column "((?:[^"]|"")*)"')
_VALUE = re.compile(r'Could not convert string "((?:[^"\\]|\\.)*)" to \'?(\w+)')


def conversion_error(exc: duckdb.Error, f: _File, con, typed: dict[str, str], roles: dict[str, str]) -> DataError:
    """Turn a DuckDB conversion failure into a DataError naming file, row and column."""
    text = str(exc)
    line, col, val = _LINE.search(text), _COLUMN.search(text), _VALUE.search(text)
    if line and col:
        column = col.group(1).replace('""', '"')
        value = val.group(1) if val else None
        return _bad_cell(f, int(line.group(1)), column, value, typed.get(column, "VARCHAR"), roles)
    # Parquet casts (and anything else) do not say where: find the first bad cell ourselves.
    found = _first_bad_cell(f, con, typed)
    if found is not None:
        row, column, value = found
        return _bad_cell(f, row, column, value, typed[column], roles)
    return DataError(f"the {f.what} file cannot be read: {first_line(exc)}", file=f.path)


def _bad_cell(f: _File, row: int, column: str, value, sql_type: str, roles: dict[str, str]) -> DataError:
    role = next((r for r, c in roles.items() if c == column), None)
    want = _TYPE_WORDS.get(sql_type, sql_type.lower())
    if sql_type == "DATE":
        fmt = "YYYY-MM-DD (ISO)" if f.date_format == "ISO" else f"format {f.date_format}"
        want = f"a date in {fmt}"
        fix = "fix the cell or declare the file's date_format: (e.g. \"%d-%m-%Y\")"
    elif sql_type == "DOUBLE":
        want = "a number" + (" with decimal comma" if f.decimal == "," else "")
        fix = "fix the cell" + ("" if f.decimal == "," else ", or declare decimal: \",\" if the file uses decimal commas")
    else:
        fix = "fix the cell"
    shown = "an empty cell" if value in (None, "") else f"'{value}'"
    return DataError(
        f"found {shown} where {want} is expected" + (f" ({role})" if role else "") + f"; {fix}",
        file=f.path,
        row=row,
        column=column,
    )


def _numbered(f: _File) -> tuple[str, dict]:
    """All columns as text with the row number a person sees (CSV: header is row 1)."""
    params: dict[str, Any] = {"path": str(f.path)}
    if f.format == "csv":
        params["delim"] = f.delimiter or _sniff_delimiter(f.path)
        return (
            "(SELECT row_number() OVER () + 1 AS __row, * FROM read_csv($path, header=true, "
            "all_varchar=true, auto_detect=false, delim=$delim, quote='\"', escape='\"', "
            "columns={" + ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in f.header) + "}))",
            params,
        )
    return "(SELECT file_row_number + 1 AS __row, * FROM read_parquet($path, file_row_number=true))", params


def _first_bad_cell(f: _File, con, typed: dict[str, str]):
    con.execute("SET threads=1")  # row numbers in file order
    src, base_params = _numbered(f)
    best = None
    for column, t in typed.items():
        c = sql_ident(column)
        params = dict(base_params)
        if t == "DATE":
            if f.format == "csv" or f.types.get(column, "").upper().startswith("VARCHAR"):
                text = f"CAST({c} AS VARCHAR)"
                test = (f"try_strptime({text}, $datefmt)" if f.date_format != "ISO" else f"TRY_CAST({text} AS DATE)")
                if f.date_format != "ISO":
                    params = params | {"datefmt": f.date_format}
            else:
                text, test = f"CAST({c} AS VARCHAR)", f"TRY_CAST({c} AS DATE)"
        elif t == "DOUBLE":
            text = f"CAST({c} AS VARCHAR)"
            conv = f"replace({text}, ',', '.')" if f.decimal == "," else text
            test = f"TRY_CAST({conv} AS DOUBLE)"
        else:
            continue
        row = con.execute(
            f"SELECT __row, {text} FROM {src} WHERE {c} IS NOT NULL AND trim({text}) <> '' AND {test} IS NULL "
            "ORDER BY __row LIMIT 1",
            params,
        ).fetchone()
        if row is not None and (best is None or row[0] < best[0]):
            best = (int(row[0]), column, row[1])
    return best


def first_row_where(f: _File, con, condition: str, column: str, extra: dict | None = None):
    """(row, value) of the first line meeting ``condition`` (SQL over the text columns)."""
    con.execute("SET threads=1")
    src, params = _numbered(f)
    row = con.execute(
        f"SELECT __row, CAST({sql_ident(column)} AS VARCHAR) FROM {src} WHERE {condition} ORDER BY __row LIMIT 1",
        params | (extra or {}),
    ).fetchone()
    return (int(row[0]), row[1]) if row else (None, None)


def check_lines(con, f: _File, tx: TransactionsSource, roles, channels, scan: str, params: dict) -> dict[str, int]:
    """Refuse bad lines (naming the first one); count what is set aside."""
    n, no_id, no_date, no_value, bad_ch, n_cur, mixed_cur, cancelled, after, returns = con.execute(
        check_lines_sql()
    ).fetchone()
    if not n:
        raise DataError(f"the {f.what} file has no lines", file=f.path)
    col = dict(roles)
    if no_id:
        row, _ = first_row_where(f, con, f"{sql_ident(col['customer_id'])} IS NULL OR trim({sql_ident(col['customer_id'])}) = ''",
                                  col["customer_id"])
        raise DataError(
            f"a line without a customer id ({no_id} such line{'s' if no_id > 1 else ''}); every order line "
            "needs the customer it belongs to: fix the export", file=f.path, row=row, column=col["customer_id"],
        )
    for count, role in ((no_date, "date"), (no_value, "value")):
        if count:
            row, _ = first_row_where(f, con, f"{sql_ident(col[role])} IS NULL OR trim({sql_ident(col[role])}) = ''", col[role])
            raise DataError(
                f"an empty {role} ({count} such line{'s' if count > 1 else ''}); every order line needs one",
                file=f.path, row=row, column=col[role],
            )
    if channels and bad_ch:
        known = list(tx.channels) + [n_ for n_ in channels if n_ not in tx.channels]
        cond = f"coalesce(trim({sql_ident(col['channel'])}), '') NOT IN ({', '.join(sql_literal(k) for k in known)})"
        row, value = first_row_where(f, con, cond, col["channel"])
        others = [r[0] for r in con.execute(
            f"SELECT DISTINCT coalesce(trim(CAST({sql_ident(col['channel'])} AS VARCHAR)), '') AS c FROM {scan} "
            f"WHERE {cond} ORDER BY 1 LIMIT 6", params).fetchall()]
        raise DataError(
            f"unknown channel code '{value or ''}' ({bad_ch} line{'s' if bad_ch > 1 else ''}; codes not declared: "
            f"{', '.join(repr(o) for o in others)}); declared codes are {', '.join(known)}: add it under "
            "behaviour.transactions.channels (code in the file: channel name)",
            file=f.path, row=row, column=col["channel"],
        )
    if "currency" in roles:
        want = tx.currency
        first = con.execute("SELECT min(cur_min) FROM orders").fetchone()[0]
        if n_cur > 1 or mixed_cur or first != want:
            c = sql_ident(col["currency"])
            found = [r[0] for r in con.execute(
                f"SELECT coalesce(trim(CAST({c} AS VARCHAR)), '') FROM {scan} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 5",
                params).fetchall()]
            cond = f"coalesce(trim({c}), '') <> $want"
            row, value = first_row_where(f, con, cond, col["currency"], {"want": want})
            raise DataError(
                f"found currency '{value or ''}' where {want} is declared; the file holds "
                f"{len(found)} currencies ({', '.join(str(x) for x in found)}): values in different currencies "
                "cannot be added up; convert them to one currency before the analysis",
                file=f.path, row=row, column=col["currency"],
            )
    return {
        "lines read": int(n),
        "cancelled lines (dropped)": int(cancelled),
        "lines after the reference date (not seen)": int(after),
        "return orders (negative lines only)": int(returns),
        "lines used": int(n - cancelled - after),
    }


def load_master(con, src: CustomersSource, root: Path, as_of, survey_columns, threads: int):
    """Read the customer master into the temp table ``master`` and map its attributes."""
    f = open_source(src, root, "customer master", con)
    wanted = {"key": src.key} | {a: c for a, c in src.columns.items()}
    if src.first_order:
        wanted["first_order"] = src.first_order
    require_columns(f, wanted, "behaviour.customers")
    typed = {src.first_order: "DATE"} if src.first_order else {}
    scan, params = scan_sql(f, typed)
    key = sql_ident(src.key)
    first = sql_ident(src.first_order) if src.first_order else "CAST(NULL AS DATE)"
    attrs = [a for a in src.columns]
    sel = ", ".join([f"CAST({sql_ident(src.columns[a])} AS VARCHAR) AS {sql_ident('attr_' + a)}" for a in attrs])
    con.execute("SET threads=1")  # row numbers in file order
    try:
        frame = con.execute(
            f"SELECT row_number() OVER () AS __n, trim(CAST({key} AS VARCHAR)) AS cid, {first} AS first_order"
            + (f", {sel}" if sel else "") + f" FROM {scan}",
            params,
        ).df()
    except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
        raise conversion_error(exc, f, con, typed, {"first_order": src.first_order or ""}) from None
    finally:
        con.execute(f"SET threads={int(threads)}")
    offset = 1 if f.format == "csv" else 0  # CSV rows as a spreadsheet shows them
    frame["__row"] = frame["__n"] + offset
    blank = frame["cid"].isna() | (frame["cid"] == "")
    if blank.any():
        raise DataError(
            f"a customer without an id ({int(blank.sum())} such rows); every customer in the master needs one",
            file=f.path, row=int(frame.loc[blank, "__row"].iloc[0]), column=src.key,
        )
    dup = frame["cid"].duplicated(keep=False)
    if dup.any():
        first_dup = frame.loc[dup, "cid"].iloc[0]
        rows = frame.loc[frame["cid"] == first_dup, "__row"].tolist()
        raise DataError(
            f"customer '{first_dup}' appears {len(rows)} times (rows {', '.join(map(str, rows[:5]))}); "
            f"{int(dup.sum())} rows share an id: a customer master has one row per customer",
            file=f.path, row=int(rows[1]), column=src.key,
        )
    mapped = pd.DataFrame(index=pd.Index(frame["cid"].to_numpy(), name="customer_id"))
    for a in attrs:
        mapped[a] = _map_attribute(frame, "attr_" + a, a, src, survey_columns.get(a), f)
    con.register("master_df", frame[["cid", "first_order"]])
    con.execute("CREATE TEMP TABLE master AS SELECT cid, CAST(first_order AS DATE) AS first_order FROM master_df")
    con.unregister("master_df")
    is_later = (pd.to_datetime(frame["first_order"]) > pd.Timestamp(as_of)).to_numpy()
    counts = {"customers in the master": len(frame),
              "master customers first ordering after the reference date": int(is_later.sum())}
    return f, mapped, counts, frame.loc[is_later, "cid"].tolist()


def _map_attribute(frame, col, attr, src: CustomersSource, column: Column | None, f: _File) -> pd.Series:
    """Master values -> the survey's labels (via ``values``, then labels or codes)."""
    raw = frame[col]
    recode = src.values.get(attr, {})
    vals = raw.map(lambda v: recode.get(v.strip(), v.strip()) if isinstance(v, str) else v)
    if column is None or not column.scale.coded:
        return pd.Series(vals.to_numpy(), index=frame["cid"].to_numpy(), dtype=object)
    codes = column.scale.codes
    by_label = {str(lbl).casefold(): lbl for lbl in codes.values()}
    by_code = {str(k): lbl for k, lbl in codes.items()}

    def to_label(v):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v == "":
            return None
        return by_label.get(str(v).casefold()) or by_code.get(str(v))

    out = vals.map(to_label)
    bad = out.isna() & vals.notna() & (vals.astype(str) != "")
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        value = raw.iloc[i]
        labels = ", ".join(str(x) for x in codes.values())
        raise DataError(
            f"found '{value}' where a label of the survey question '{attr}' is expected ({labels}); "
            f"map the master's values under behaviour.customers.values.{attr} (e.g. {{{value}: ...}})",
            file=f.path, row=int(frame["__row"].iloc[i]), column=src.columns[attr],
        )
    ordered = column.scale.type in ("likert", "ordinal")
    return pd.Series(pd.Categorical(out, categories=list(codes.values()), ordered=ordered),
                     index=frame["cid"].to_numpy())
