"""Transactions into per-customer behaviour, joined to the survey.

The client's order lines (CSV or Parquet, columns mapped in ``study.yaml`` under
``behaviour.transactions``) and optional customer master (``behaviour.customers``) are
read by DuckDB *directly from the files*: every feature below is one SQL query over the
lines, so tens of millions of lines are handled in modest memory on a laptop, and the
same query (:attr:`CustomerFeatures.sql`) can be pointed at a warehouse later. Survey
data stays in pandas; only the small per-customer table comes back from DuckDB.

Features, per customer, as of a reference date (the wave's ``reference_date``, else the
end of its fieldwork; lines dated after it are not seen, so a later wave sees later
behaviour). "Window" = the ``window_months`` (default 12) up to and including the
reference date.

==================  ===========================================================================
order               the lines sharing an order id (without an order-id column: one customer-day)
purchase            every order except a *return*: an order made only of negative lines
                    (zero-value orders, e.g. free replacements, are purchases)
recency_days        days from the last purchase to the reference date (any time before it)
frequency           purchases in the window
revenue             value of the window's orders: positive lines minus returned value
                    (``returns: net``, default) or positive lines only (``returns: exclude``)
gross_revenue       positive lines in the window; ``returns_value`` the negative lines (as a
                    positive amount); ``return_rate`` = returns_value / gross_revenue
aov                 revenue / frequency (average order value)
tenure_days         days since the first order: the earlier of the master's first order date
                    (``customers.first_order``) and the first purchase in the file
revenue_recent      revenue in the last ``trend_months`` (default 6); ``revenue_previous`` the
                    ``trend_months`` before; ``trend`` = (recent - previous) /
                    (abs(recent) + abs(previous)), from -1 (stopped buying) to +1 (new buyer)
r/f/m_score         quantile scores 1..bins (default 5; 5 = most recent / most frequent /
                    highest revenue) among customers with any purchase before the reference
                    date, as ``1 + floor(bins * (position - 1) / n)`` with ``position`` the
                    customer's place in ascending order. **Ties** (half the customers may
                    have bought once, where ``pandas.qcut`` fails with "bin edges must be
                    unique"): with ``ties: rank`` (default) equal values are ordered by the
                    other two measures and then by customer id, so the scores are equal-sized
                    quantiles; with ``ties: equal`` equal values share the lowest position
                    (``rank()``), so equal customers share a score and bins may be unequal
rfm_total, rfm_tier  R + F + M, and the tier: ``score_sum`` rule (default) gold if total >=
                    ``gold`` (default 12 for 5 bins, 2.4 x bins otherwise), silver if >=
                    ``silver`` (default 8, 1.6 x bins), else bronze; ``revenue_share`` rule:
                    ranked by revenue, gold while the revenue of customers strictly above is
                    below ``gold`` (0.5) of the total, silver below ``silver`` (0.8), else
                    bronze (equal revenues share a tier). No purchase at all: "no purchases"
lapsed              no purchase for more than ``lapsed_days`` (default 90) days; ``active``:
                    a purchase in the window
orders_share_<ch>,  share of the window's purchases and revenue by channel (channels as the
revenue_share_<ch>  study names them; an order's channel is the one its lines name, the
                    first in study order if they differ)
dominant_channel    the channel with most purchases (ties: more revenue, then study order)
digital_share       share of purchases through the study's ``digital.channels``
cost_to_serve       delivery + handling cost of the window's orders and returns;
                    ``cost_per_order`` per purchase; ``cost_share`` as a share of revenue
cost_tier           low / medium / high on ``cost_to_serve.measure``: tertiles (ties by rank:
                    value, then customer id) or fixed ``thresholds`` (a value on a threshold
                    goes up)
units               quantity in the window, net of returned units (when a quantity is mapped)
digital_maturity    respondents only: ``declared_weight`` x the survey's digital-maturity
                    answer rescaled to 0-1 + the rest x ``digital_share``; either part alone
                    when the other is missing (``digital_declared`` is the rescaled answer)
==================  ===========================================================================

Cancelled lines (``status`` in ``cancelled``) are dropped and counted. The customer base
is the master's customers whose first order date is not after the reference date, plus
every customer with lines up to the reference date (those missing from the master are
flagged ``in_master = False``); nothing is dropped without being counted in the match
report.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import html
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from .errors import DataError, StudyError, WorkbenchError
from .study import BehaviourSpec, Column, CustomersSource, Study, TransactionsSource

__all__ = [
    "CustomerFeatures",
    "Behaviour",
    "customer_features",
    "match_respondents",
    "compute_behaviour",
    "channel_slug",
    "TIERS",
    "COST_TIERS",
    "MATCH_STATUSES",
]

logger = logging.getLogger(__name__)

TIERS = ("gold", "silver", "bronze", "no purchases")
COST_TIERS = ("low", "medium", "high")
#: What happened to each respondent in the join, in report order.
MATCH_STATUSES = (
    "matched",
    "in customer base, no purchases",
    "customer only after the reference date",
    "customer id not in the customer base",
    "no customer id",
)
_TYPE_WORDS = {"DATE": "a date", "DOUBLE": "a number"}


def channel_slug(name: str) -> str:
    """Feature-name form of a channel name: ``"Field sales"`` -> ``"field_sales"``."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", str(name).strip().lower()).strip("_")
    return slug or "channel"


def _lit(value) -> str:
    """A SQL string literal (study settings only; file paths are always bound)."""
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _connect(threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar=false")  # no progress bars on stderr in a notebook or the CLI
    con.execute(f"SET threads={int(threads)}")
    con.execute(f"SET memory_limit={_lit(memory_limit)}")
    con.execute("SET preserve_insertion_order=true")
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


def _open(src, root: Path, what: str, con) -> _File:
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
        raise DataError(f"the {what} file cannot be read: {_first_line(exc)}", file=path) from None
    header = [r[0] for r in rows]
    return _File(path, fmt, header, {r[0]: r[1] for r in rows}, src.delimiter, src.decimal, src.date_format, what)


def _first_line(exc) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _require_columns(f: _File, wanted: dict[str, str], where: str) -> None:
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


def _scan(f: _File, typed: dict[str, str]) -> tuple[str, dict]:
    """SQL for reading ``f`` with ``typed`` columns (name -> DATE/DOUBLE/VARCHAR) typed.

    Returns the FROM-clause text and its bound parameters; the select list uses the
    file's own column names. Dates are parsed with the declared format.
    """
    params: dict[str, Any] = {"path": str(f.path)}
    if f.format == "csv":
        cols = "{" + ", ".join(f"{_lit(c)}: {_lit(typed.get(c, 'VARCHAR'))}" for c in f.header) + "}"
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
                e = f"CAST({_ident(c)} AS DATE)"
            else:
                e = f"CAST(strptime({_ident(c)}, $datefmt) AS DATE)"
                params["datefmt"] = f.date_format
        elif t:
            e = f"CAST({_ident(c)} AS {t})"
        else:
            e = _ident(c)
        exprs.append(f"{e} AS {_ident(c)}")
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


def _conversion_error(exc: duckdb.Error, f: _File, con, typed: dict[str, str], roles: dict[str, str]) -> DataError:
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
    return DataError(f"the {f.what} file cannot be read: {_first_line(exc)}", file=f.path)


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
            "columns={" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in f.header) + "}))",
            params,
        )
    return "(SELECT file_row_number + 1 AS __row, * FROM read_parquet($path, file_row_number=true))", params


def _first_bad_cell(f: _File, con, typed: dict[str, str]):
    con.execute("SET threads=1")  # row numbers in file order
    src, base_params = _numbered(f)
    best = None
    for column, t in typed.items():
        c = _ident(column)
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


def _first_row_where(f: _File, con, condition: str, column: str, extra: dict | None = None):
    """(row, value) of the first line meeting ``condition`` (SQL over the text columns)."""
    con.execute("SET threads=1")
    src, params = _numbered(f)
    row = con.execute(
        f"SELECT __row, CAST({_ident(column)} AS VARCHAR) FROM {src} WHERE {condition} ORDER BY __row LIMIT 1",
        params | (extra or {}),
    ).fetchone()
    return (int(row[0]), row[1]) if row else (None, None)


# --------------------------------------------------------------------------- features


@dataclass(frozen=True)
class CustomerFeatures:
    """Per-customer behaviour as of a reference date (the output of :func:`customer_features`).

    Attributes
    ----------
    table : DataFrame
        One row per customer of the base, indexed by customer id (see the module docstring
        for every column).
    lines : DataFrame
        What was read: lines, cancelled, after the reference date, return orders, ...
    as_of : datetime.date
        The reference date.
    channels : tuple of str
        Channel names in study order.
    sql : str
        The feature query (DuckDB SQL over the ``lines`` and ``master`` relations).
    sources : DataFrame
        The files read (role, path, format, bytes).
    settings : DataFrame
        The rules used (windows, tie handling, tier rule, cost tiers), for the record.
    later_customers : tuple of str
        Master customers whose first order is after the reference date (not in the base).
    seconds : float
        Wall time of the computation.
    """

    table: pd.DataFrame
    lines: pd.DataFrame
    as_of: _dt.date
    channels: tuple[str, ...]
    sql: str
    sources: pd.DataFrame
    settings: pd.DataFrame
    later_customers: tuple[str, ...] = ()
    seconds: float = field(compare=False, default=0.0)


def _months_before(day: _dt.date, months: int) -> _dt.date:
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def _tier_cuts(spec: BehaviourSpec) -> tuple[float, float]:
    t, b = spec.rfm.tiers, spec.rfm.bins
    if t.rule == "score_sum":
        return (t.gold if t.gold is not None else (12 if b == 5 else round(2.4 * b)),
                t.silver if t.silver is not None else (8 if b == 5 else round(1.6 * b)))
    return (t.gold if t.gold is not None else 0.5, t.silver if t.silver is not None else 0.8)


def _settings_table(spec: BehaviourSpec, as_of, channels, digital) -> pd.DataFrame:
    gold, silver = _tier_cuts(spec)
    tx = spec.transactions
    rows = [
        ("reference date", str(as_of)),
        ("window", f"{spec.window_months} months up to and including the reference date"),
        ("trend", f"last {spec.trend_months} months vs the {spec.trend_months} before"),
        ("lapsed", f"no purchase for more than {spec.lapsed_days} days"),
        ("RFM scores", f"{spec.rfm.bins} quantile bins; ties: {spec.rfm.ties}"
         + (" (broken by the other two measures, then customer id)" if spec.rfm.ties == "rank"
            else " (equal values share a score)")),
        ("RFM tiers", f"rule {spec.rfm.tiers.rule}: gold {gold}, silver {silver}"),
        ("cost-to-serve tiers", f"{spec.cost_to_serve.measure} by {spec.cost_to_serve.rule}"
         + (f" {spec.cost_to_serve.thresholds}" if spec.cost_to_serve.thresholds else "")),
        ("returns", "netted from revenue" if tx.returns == "net" else "excluded from revenue"),
        ("cancelled markers", ", ".join(tx.cancelled) or "none"),
        ("channels", ", ".join(channels) or "none mapped"),
        ("digital channels", ", ".join(digital) or "none"),
        ("date format", tx.date_format),
        ("currency", tx.currency or "not declared"),
    ]
    return pd.DataFrame(rows, columns=["setting", "value"]).set_index("setting")


def customer_features(
    spec: BehaviourSpec,
    root,
    as_of,
    *,
    survey_columns: dict[str, Column] | None = None,
    threads: int = 2,
    memory_limit: str = "1GB",
    hash_sources: bool = False,
) -> CustomerFeatures:
    """Compute every behaviour feature for every customer of the base, with DuckDB.

    Parameters
    ----------
    spec : BehaviourSpec
        The study's ``behaviour:`` section (sources, windows, rules).
    root : path
        Folder the source paths are relative to (the study folder).
    as_of : date or str
        Reference date; lines after it are not read into any feature.
    survey_columns : dict of str to Column, optional
        The study's survey columns: a master attribute named like a coded question is
        matched to that question's labels.
    threads : int, default=2
        DuckDB threads.
    memory_limit : str, default='1GB'
        DuckDB memory limit; larger intermediate results spill to a temporary folder.
    hash_sources : bool, default=False
        Record each source file's SHA-256 in ``sources`` (reads the files once more).

    Returns
    -------
    CustomerFeatures

    Raises
    ------
    DataError
        A missing file or mapped column, an unparseable date or number, a blank customer
        id, an unknown channel code, more than one currency, duplicate customers in the
        master, or a master value that matches no label: naming file, row and column.
    """
    import time

    t0 = time.perf_counter()
    as_of = pd.Timestamp(as_of).date()
    root = Path(root)
    tx: TransactionsSource = spec.transactions
    roles = dict(tx.columns)
    channels = tuple(dict.fromkeys(tx.channels.values())) if "channel" in roles else ()
    digital = [c for c in spec.digital.channels if c in channels]
    con = _connect(threads, memory_limit)
    try:
        from .limits import check_input  # issue 14: size, file type, columns and line length first

        _tx_path = Path(tx.file) if Path(tx.file).is_absolute() else root / tx.file
        if _tx_path.exists():
            check_input(_tx_path, "transactions", text=not _tx_path.suffix.lower() in (".parquet", ".pq", ".gz"),
                        delimiter=tx.delimiter)
        f = _open(tx, root, "transactions", con)
        _require_columns(f, roles, "behaviour.transactions.columns")
        typed = {roles["date"]: "DATE", roles["value"]: "DOUBLE"}
        for r in ("quantity", "delivery_cost", "handling_cost"):
            if r in roles:
                typed[roles[r]] = "DOUBLE"
        scan, params = _scan(f, typed)
        lines_sql, lparams = _lines_sql(tx, roles, channels, scan, as_of)
        try:
            con.execute(f"CREATE TEMP TABLE orders AS {_orders_sql(lines_sql)}", params | lparams | {"ref": as_of})
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            raise _conversion_error(exc, f, con, typed, roles) from None
        except duckdb.OutOfMemoryException as exc:
            raise DataError(
                f"DuckDB ran out of memory reading the transactions ({_first_line(exc)}); raise "
                "memory_limit or free memory", file=f.path,
            ) from None
        counts = _check_lines(con, f, tx, roles, channels, scan, params)
        from .joincheck import check_transaction_values  # issue 14: inf/NaN and impossible values

        check_transaction_values(con, f, roles, scan=scan, params=params, first_row_where=_first_row_where,
                                 ident=_ident)

        master, m_attrs, m_counts, later = None, pd.DataFrame(), {}, ()
        if spec.customers is not None:
            master, m_attrs, m_counts, later = _load_master(con, spec.customers, root, as_of,
                                                            survey_columns or {}, threads)
        sql, qparams = _feature_sql(spec, channels, digital, as_of, has_master=master is not None,
                                    has_quantity="quantity" in roles)
        table = con.execute(sql, qparams).df()
    finally:
        con.close()

    table = _finish(table, spec, channels, m_attrs)
    lines = pd.DataFrame(
        [(k, v) for k, v in (counts | m_counts).items()], columns=["what", "n"]
    ).set_index("what")
    sources = [("transactions", str(f.path), f.format, f.path.stat().st_size)]
    if spec.customers is not None:
        mp = Path(spec.customers.file)
        mp = mp if mp.is_absolute() else root / mp
        sources.append(("customer master", str(mp), "parquet" if mp.suffix.lower() in (".parquet", ".pq") else "csv",
                        mp.stat().st_size))
    sources = pd.DataFrame(sources, columns=["source", "file", "format", "bytes"]).set_index("source")
    if hash_sources:
        from .outputs import file_sha256

        sources["sha256"] = [file_sha256(p) for p in sources["file"]]
    seconds = time.perf_counter() - t0
    logger.info("behaviour: %d customers from %d lines as of %s in %.1f s", len(table),
                counts["lines read"], as_of, seconds)
    return CustomerFeatures(
        table=table,
        lines=lines,
        as_of=as_of,
        channels=channels,
        sql=sql,
        sources=sources,
        settings=_settings_table(spec, as_of, channels, digital),
        later_customers=tuple(later),
        seconds=seconds,
    )


def _lines_sql(tx: TransactionsSource, roles, channels, scan: str, as_of) -> tuple[str, dict]:
    """The typed, projected order lines (one pass over the file)."""
    c = {r: _ident(col) for r, col in roles.items()}
    cid = f"trim(CAST({c['customer_id']} AS VARCHAR))"
    oid = f"CAST({c['order_id']} AS VARCHAR)" if "order_id" in roles else f"CAST({c['date']} AS VARCHAR)"
    if channels:
        raw = f"trim(CAST({c['channel']} AS VARCHAR))"
        idx = {name: i for i, name in enumerate(channels)}
        whens = [f"WHEN {_lit(code)} THEN {idx[name]}" for code, name in tx.channels.items()]
        whens += [f"WHEN {_lit(name)} THEN {i}" for name, i in idx.items() if name not in tx.channels]
        ch = f"CASE {raw} {' '.join(whens)} END"
        ch_raw = raw
    else:
        ch, ch_raw = "0", "NULL"
    cost_parts = [f"coalesce({c[r]}, 0)" for r in ("delivery_cost", "handling_cost") if r in roles]
    cost = " + ".join(cost_parts) if cost_parts else "0"
    qty = c["quantity"] if "quantity" in roles else "NULL"
    cur = f"trim(CAST({c['currency']} AS VARCHAR))" if "currency" in roles else "NULL"
    if "status" in roles and tx.cancelled:
        cancelled = f"coalesce(trim(CAST({c['status']} AS VARCHAR)) IN ({', '.join(_lit(v) for v in tx.cancelled)}), false)"
    else:
        cancelled = "false"
    sql = (
        f"SELECT {cid} AS cid, {oid} AS oid, {c['date']} AS d, {c['value']} AS v, "
        f"{ch} AS ch, {ch_raw} AS ch_raw, CAST({cost} AS DOUBLE) AS cost, CAST({qty} AS DOUBLE) AS qty, "
        f"{cur} AS cur, {cancelled} AS cancelled FROM {scan}"
    )
    return sql, {}


def _orders_sql(lines_sql: str) -> str:
    """One row per (customer, order, status): sums and counters, in one pass over the file.

    ``status`` 0 = used, 1 = dated after the reference date, 2 = cancelled. Plain
    aggregates only (filtered aggregates cost twice as much on ten million lines). An
    order's channel is the channel its lines name (if they differ: the first in study order).
    """
    return f"""
SELECT cid, oid, CASE WHEN cancelled THEN 2 WHEN d > $ref THEN 1 ELSE 0 END AS status,
  min(d) AS d, sum(greatest(v, 0)) AS gross, sum(greatest(-v, 0)) AS returned,
  sum(cost) AS cost, sum(qty) AS units, min(ch) AS ch,
  count(*) AS n_lines, count(d) AS n_date, count(v) AS n_value, count(ch) AS n_channel,
  min(cur) AS cur_min, max(cur) AS cur_max
FROM ({lines_sql})
GROUP BY ALL"""


def _check_lines(con, f: _File, tx: TransactionsSource, roles, channels, scan: str, params: dict) -> dict[str, int]:
    """Refuse bad lines (naming the first one); count what is set aside."""
    n, no_id, no_date, no_value, bad_ch, n_cur, mixed_cur, cancelled, after, returns = con.execute(
        "SELECT sum(n_lines), coalesce(sum(n_lines) FILTER (WHERE cid IS NULL OR cid = ''), 0), "
        "sum(n_lines - n_date), sum(n_lines - n_value), sum(n_lines - n_channel), count(DISTINCT cur_min), "
        "coalesce(bool_or(cur_min <> cur_max), false), coalesce(sum(n_lines) FILTER (WHERE status = 2), 0), "
        "coalesce(sum(n_lines) FILTER (WHERE status = 1), 0), "
        "count(*) FILTER (WHERE status = 0 AND returned > 0 AND gross = 0) FROM orders"
    ).fetchone()
    if not n:
        raise DataError(f"the {f.what} file has no lines", file=f.path)
    col = dict(roles)
    if no_id:
        row, _ = _first_row_where(f, con, f"{_ident(col['customer_id'])} IS NULL OR trim({_ident(col['customer_id'])}) = ''",
                                  col["customer_id"])
        raise DataError(
            f"a line without a customer id ({no_id} such line{'s' if no_id > 1 else ''}); every order line "
            "needs the customer it belongs to: fix the export", file=f.path, row=row, column=col["customer_id"],
        )
    for count, role in ((no_date, "date"), (no_value, "value")):
        if count:
            row, _ = _first_row_where(f, con, f"{_ident(col[role])} IS NULL OR trim({_ident(col[role])}) = ''", col[role])
            raise DataError(
                f"an empty {role} ({count} such line{'s' if count > 1 else ''}); every order line needs one",
                file=f.path, row=row, column=col[role],
            )
    if channels and bad_ch:
        known = list(tx.channels) + [n_ for n_ in channels if n_ not in tx.channels]
        cond = f"coalesce(trim({_ident(col['channel'])}), '') NOT IN ({', '.join(_lit(k) for k in known)})"
        row, value = _first_row_where(f, con, cond, col["channel"])
        others = [r[0] for r in con.execute(
            f"SELECT DISTINCT coalesce(trim(CAST({_ident(col['channel'])} AS VARCHAR)), '') AS c FROM {scan} "
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
            c = _ident(col["currency"])
            found = [r[0] for r in con.execute(
                f"SELECT coalesce(trim(CAST({c} AS VARCHAR)), '') FROM {scan} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 5",
                params).fetchall()]
            cond = f"coalesce(trim({c}), '') <> $want"
            row, value = _first_row_where(f, con, cond, col["currency"], {"want": want})
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


def _load_master(con, src: CustomersSource, root: Path, as_of, survey_columns, threads: int):
    """Read the customer master into the temp table ``master`` and map its attributes."""
    from .limits import check_input  # issue 14: size, file type, columns and line length first

    _m_path = Path(src.file) if Path(src.file).is_absolute() else Path(root) / src.file
    if _m_path.exists():
        check_input(_m_path, "customer master", text=not _m_path.suffix.lower() in (".parquet", ".pq", ".gz"),
                    delimiter=src.delimiter)
    f = _open(src, root, "customer master", con)
    wanted = {"key": src.key} | {a: c for a, c in src.columns.items()}
    if src.first_order:
        wanted["first_order"] = src.first_order
    _require_columns(f, wanted, "behaviour.customers")
    typed = {src.first_order: "DATE"} if src.first_order else {}
    scan, params = _scan(f, typed)
    key = _ident(src.key)
    first = _ident(src.first_order) if src.first_order else "CAST(NULL AS DATE)"
    attrs = [a for a in src.columns]
    sel = ", ".join([f"CAST({_ident(src.columns[a])} AS VARCHAR) AS {_ident('attr_' + a)}" for a in attrs])
    con.execute("SET threads=1")  # row numbers in file order
    try:
        frame = con.execute(
            f"SELECT row_number() OVER () AS __n, trim(CAST({key} AS VARCHAR)) AS cid, {first} AS first_order"
            + (f", {sel}" if sel else "") + f" FROM {scan}",
            params,
        ).df()
    except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
        raise _conversion_error(exc, f, con, typed, {"first_order": src.first_order or ""}) from None
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


def _feature_sql(spec: BehaviourSpec, channels, digital, as_of, *, has_master: bool, has_quantity: bool):
    """The one feature query over ``lines`` (and ``master``)."""
    win = _months_before(as_of, spec.window_months)
    recent = _months_before(as_of, spec.trend_months)
    prev = _months_before(as_of, 2 * spec.trend_months)
    params = {"ref": as_of, "win": win, "recent": recent, "prev": prev}
    rev = "gross - returned" if spec.transactions.returns == "net" else "gross"
    b = spec.rfm.bins
    gold, silver = _tier_cuts(spec)
    k = len(channels)
    ch_aggs = "".join(
        f",\n    count(*) FILTER (WHERE purchase AND in_win AND ch = {i}) AS n_ch{i}"
        f",\n    coalesce(sum(rev) FILTER (WHERE in_win AND ch = {i}), 0) AS r_ch{i}"
        for i in range(k)
    )
    units = ",\n    coalesce(sum(units) FILTER (WHERE in_win), 0) AS units" if has_quantity else ""
    base_join = (
        "master m FULL OUTER JOIN cust c ON m.cid = c.cid" if has_master
        else "(SELECT NULL::VARCHAR AS cid, NULL::DATE AS first_order WHERE false) m RIGHT JOIN cust c ON m.cid = c.cid"
    )
    pos = "row_number()" if spec.rfm.ties == "rank" else "rank()"
    tie = spec.rfm.ties == "rank"
    # money is compared rounded to 1e-6, so sums added up in a different order tie alike
    r_order = "last_purchase" + (", frequency, round(revenue, 6), cid" if tie else "")
    f_order = "frequency" + (", round(revenue, 6), last_purchase, cid" if tie else "")
    m_order = "round(revenue, 6)" + (", frequency, last_purchase, cid" if tie else "")
    scored = "(last_purchase IS NOT NULL)"
    score = lambda order: (  # noqa: E731
        f"CASE WHEN {scored} THEN 1 + ({b} * ({pos} OVER (PARTITION BY {scored} ORDER BY {order}) - 1)) "
        f"// count(*) OVER (PARTITION BY {scored}) END"
    )
    if spec.rfm.tiers.rule == "score_sum":
        tier = (
            f"CASE WHEN r_score IS NULL THEN 'no purchases' WHEN r_score + f_score + m_score >= {float(gold)} THEN 'gold' "
            f"WHEN r_score + f_score + m_score >= {float(silver)} THEN 'silver' ELSE 'bronze' END"
        )
        tier_cols = ""
    else:
        tier_cols = (
            f",\n    sum(pos_rev) OVER (PARTITION BY {scored} ORDER BY pos_rev DESC RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
            f" - sum(pos_rev) OVER (PARTITION BY {scored}, pos_rev) AS rev_above"
            f",\n    sum(pos_rev) OVER (PARTITION BY {scored}) AS rev_total"
        )
        tier = (
            f"CASE WHEN r_score IS NULL THEN 'no purchases' WHEN pos_rev > 0 AND rev_above < {float(gold)} * rev_total THEN 'gold' "
            f"WHEN pos_rev > 0 AND rev_above < {float(silver)} * rev_total THEN 'silver' ELSE 'bronze' END"
        )
    cs = spec.cost_to_serve
    measure = "cost_share" if cs.measure == "share_of_revenue" else "cost_per_order"
    if cs.rule == "tertiles":
        cost_tier = (
            f"CASE WHEN {measure} IS NOT NULL THEN ['low', 'medium', 'high'][1 + (3 * (row_number() OVER "
            f"(PARTITION BY {measure} IS NOT NULL ORDER BY round({measure}, 9), cid) - 1)) // count(*) OVER "
            f"(PARTITION BY {measure} IS NOT NULL)] END"
        )
    else:
        t1, t2 = (float(x) for x in cs.thresholds)
        cost_tier = (f"CASE WHEN {measure} IS NULL THEN NULL WHEN {measure} < {t1} THEN 'low' "
                     f"WHEN {measure} < {t2} THEN 'medium' ELSE 'high' END")
    shares = "".join(
        f",\n    CASE WHEN frequency > 0 THEN n_ch{i} / frequency END AS {_ident('orders_share_' + channel_slug(ch))}"
        f",\n    CASE WHEN revenue > 0 THEN r_ch{i} / revenue END AS {_ident('revenue_share_' + channel_slug(ch))}"
        for i, ch in enumerate(channels)
    )
    dig_idx = [channels.index(d) for d in digital]
    if k:
        # channel i wins when it beats every other on (purchases, revenue, study order)
        def beats(i, j):
            return (f"(n_ch{i} > n_ch{j} OR (n_ch{i} = n_ch{j} AND (r_ch{i} > r_ch{j} OR "
                    f"(r_ch{i} = r_ch{j} AND {int(i < j)} = 1))))")

        whens = " ".join(
            f"WHEN {' AND '.join([beats(i, j) for j in range(k) if j != i] or ['true'])} THEN {_lit(channels[i])}"
            for i in range(k)
        )
        dom_sql = f"CASE WHEN frequency = 0 THEN NULL {whens} END"
        digital_sql = (f"CASE WHEN frequency > 0 THEN ({' + '.join(f'n_ch{i}' for i in dig_idx) or '0'}) / frequency END"
                       if dig_idx else "CAST(NULL AS DOUBLE)")
    else:
        dom_sql, digital_sql = "CAST(NULL AS VARCHAR)", "CAST(NULL AS DOUBLE)"

    sql = f"""
WITH o AS (
  SELECT cid, oid, d, gross, returned, cost, units, ch,
    (gross > 0 OR returned = 0) AS purchase, {rev} AS rev, d > $win AS in_win
  FROM orders WHERE status = 0 AND d IS NOT NULL
),
cust AS (
  SELECT cid,
    min(d) FILTER (WHERE purchase) AS first_purchase,
    max(d) FILTER (WHERE purchase) AS last_purchase,
    count(*) FILTER (WHERE purchase AND in_win) AS frequency,
    coalesce(sum(rev) FILTER (WHERE in_win), 0) AS revenue,
    coalesce(sum(gross) FILTER (WHERE in_win), 0) AS gross_revenue,
    coalesce(sum(returned) FILTER (WHERE in_win), 0) AS returns_value,
    coalesce(sum(cost) FILTER (WHERE in_win), 0) AS cost_to_serve,
    coalesce(sum(rev) FILTER (WHERE d > $recent), 0) AS revenue_recent,
    coalesce(sum(rev) FILTER (WHERE d > $prev AND d <= $recent), 0) AS revenue_previous{units}{ch_aggs}
  FROM o GROUP BY cid
),
base AS (
  SELECT coalesce(m.cid, c.cid) AS cid, m.cid IS NOT NULL AS in_master, c.cid IS NOT NULL AS in_transactions,
    m.first_order AS master_first_order, c.* EXCLUDE (cid)
  FROM {base_join}
  WHERE c.cid IS NOT NULL OR m.first_order IS NULL OR m.first_order <= $ref
),
filled AS (
  SELECT * REPLACE (
      coalesce(frequency, 0) AS frequency, coalesce(revenue, 0) AS revenue,
      coalesce(gross_revenue, 0) AS gross_revenue, coalesce(returns_value, 0) AS returns_value,
      coalesce(cost_to_serve, 0) AS cost_to_serve, coalesce(revenue_recent, 0) AS revenue_recent,
      coalesce(revenue_previous, 0) AS revenue_previous)
  FROM base
),
feat AS (
  SELECT *,
    date_diff('day', last_purchase, $ref) AS recency_days,
    date_diff('day', least(master_first_order, first_purchase), $ref) AS tenure_days,
    CASE WHEN frequency > 0 THEN revenue / frequency END AS aov,
    CASE WHEN gross_revenue > 0 THEN returns_value / gross_revenue END AS return_rate,
    CASE WHEN revenue_recent <> 0 OR revenue_previous <> 0
         THEN (revenue_recent - revenue_previous) / (abs(revenue_recent) + abs(revenue_previous)) END AS trend,
    CASE WHEN frequency > 0 THEN cost_to_serve / frequency END AS cost_per_order,
    CASE WHEN revenue > 0 THEN cost_to_serve / revenue END AS cost_share,
    round(greatest(revenue, 0), 6) AS pos_rev
  FROM filled
),
scored AS (
  SELECT *,
    {score(r_order)} AS r_score,
    {score(f_order)} AS f_score,
    {score(m_order)} AS m_score{tier_cols}
  FROM feat
)
SELECT cid AS customer_id, in_master, in_transactions,
  least(master_first_order, first_purchase) AS first_order, last_purchase,
  tenure_days, recency_days, frequency, revenue, aov, gross_revenue, returns_value, return_rate,
  {"units, " if has_quantity else ""}revenue_recent, revenue_previous, trend,
  r_score, f_score, m_score, r_score + f_score + m_score AS rfm_total,
  {tier} AS rfm_tier,
  CASE WHEN last_purchase IS NOT NULL THEN recency_days > {int(spec.lapsed_days)} END AS lapsed,
  frequency > 0 AS active{shares},
  {dom_sql} AS dominant_channel,
  {digital_sql} AS digital_share,
  cost_to_serve, cost_per_order, cost_share,
  {cost_tier} AS cost_tier
FROM scored
ORDER BY customer_id
"""
    return sql, params


def _finish(table: pd.DataFrame, spec: BehaviourSpec, channels, m_attrs: pd.DataFrame) -> pd.DataFrame:
    """pandas dtypes, categories and the master's attributes."""
    t = table.set_index("customer_id")
    t.index = t.index.astype(str)
    t.index.name = "customer_id"
    for c in ("first_order", "last_purchase"):
        t[c] = pd.to_datetime(t[c])
    for c in ("tenure_days", "recency_days", "r_score", "f_score", "m_score", "rfm_total"):
        t[c] = t[c].astype("Int64")
    t["frequency"] = t["frequency"].astype("int64")
    for c in ("in_master", "in_transactions", "active"):
        t[c] = t[c].astype(bool)
    t["lapsed"] = t["lapsed"].astype("boolean")
    t["rfm_tier"] = pd.Categorical(t["rfm_tier"], categories=list(TIERS), ordered=True)
    t["cost_tier"] = pd.Categorical(t["cost_tier"], categories=list(COST_TIERS), ordered=True)
    if channels:
        t["dominant_channel"] = pd.Categorical(t["dominant_channel"], categories=list(channels))
    else:
        t = t.drop(columns=["dominant_channel", "digital_share"])
    if not m_attrs.empty or len(m_attrs.columns):
        attrs = m_attrs.reindex(t.index)
        t = pd.concat([attrs, t], axis=1)
    return t


# --------------------------------------------------------------------------- the join


def match_respondents(
    customers: pd.DataFrame,
    survey: pd.DataFrame,
    key: str,
    *,
    later_customers=(),
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Join respondents to customers on the survey's customer-id column.

    Parameters
    ----------
    customers : DataFrame
        Customer features indexed by customer id (``CustomerFeatures.table``).
    survey : DataFrame
        The respondents, indexed by respondent id, holding ``key``.
    key : str
        The survey column with the customer id.
    later_customers : iterable of str
        Customer ids known to the master that first ordered after the reference date.

    Returns
    -------
    respondents : DataFrame
        Indexed like ``survey``: ``customer_id``, ``match`` (one of :data:`MATCH_STATUSES`),
        ``duplicate_key`` and every customer feature (NaN where there is no behaviour).
    match : DataFrame
        The match report: respondents by status, duplicate keys, and the customers by
        whether they were surveyed (the non-respondents are kept for later steps).
    unmatched : DataFrame
        Every respondent not matched, with the reason; and every duplicated key.
    """
    if key not in survey.columns:
        raise DataError(f"the survey has no customer-id column '{key}' to join behaviour on", column=key)
    raw = survey[key]
    ids = raw.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                  else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()))
    ids = ids.where(ids != "", None)
    later = set(map(str, later_customers))
    in_base = ids.isin(customers.index)
    purchases = customers["last_purchase"].notna() if "last_purchase" in customers else customers["in_transactions"]
    has_orders = ids.map(purchases.astype(object)).eq(True) & in_base
    status = np.select(
        [ids.isna(), has_orders, in_base, ids.isin(later)],
        [MATCH_STATUSES[4], MATCH_STATUSES[0], MATCH_STATUSES[1], MATCH_STATUSES[2]],
        default=MATCH_STATUSES[3],
    )
    dup = ids.notna() & ids.duplicated(keep=False)
    feats = customers.reindex(ids.where(in_base).to_numpy())
    feats.index = survey.index
    head = pd.DataFrame(
        {"customer_id": ids.to_numpy(),
         "match": pd.Categorical(status, categories=list(MATCH_STATUSES)),
         "duplicate_key": dup.to_numpy()},
        index=survey.index,
    )
    respondents = pd.concat([head, feats], axis=1)
    for c in customers.columns:  # keep categories and nullable types through the reindex
        if isinstance(customers[c].dtype, pd.CategoricalDtype):
            respondents[c] = pd.Categorical(respondents[c], categories=customers[c].cat.categories,
                                            ordered=customers[c].cat.ordered)

    n_resp = len(survey)
    rows = []
    counts = pd.Series(status).value_counts()
    notes = {
        MATCH_STATUSES[0]: "features from their orders",
        MATCH_STATUSES[1]: "kept; behaviour features show no orders (frequency 0)",
        MATCH_STATUSES[2]: "kept without behaviour: not yet a customer on the reference date",
        MATCH_STATUSES[3]: "kept without behaviour: check the customer number in the survey",
        MATCH_STATUSES[4]: "kept without behaviour: the survey row has no customer number",
    }
    for s in MATCH_STATUSES:
        n = int(counts.get(s, 0))
        rows.append(("respondents", s, n, n / n_resp if n_resp else np.nan, notes[s]))
    n_dup = int(dup.sum())
    rows.append(("respondents", "sharing a customer id with another respondent", n_dup,
                 n_dup / n_resp if n_resp else np.nan,
                 "kept, both flagged duplicate_key; customer features repeat for each"))
    n_cust = len(customers)
    surveyed = customers.index.isin(ids.dropna().unique())
    rows.append(("customers", "in the customer base", n_cust, 1.0 if n_cust else np.nan,
                 "every customer is kept for classifying the whole base"))
    rows.append(("customers", "surveyed (respondents)", int(surveyed.sum()),
                 surveyed.mean() if n_cust else np.nan, "joined to their answers"))
    rows.append(("customers", "not surveyed (non-respondents)", int((~surveyed).sum()),
                 (~surveyed).mean() if n_cust else np.nan, "behaviour without survey: kept"))
    if "in_master" in customers:
        nm = int((~customers["in_master"]).sum())
        if customers["in_master"].any():
            rows.append(("customers", "with orders but not in the customer master", nm,
                         nm / n_cust if n_cust else np.nan, "kept; master attributes missing"))
    match = pd.DataFrame(rows, columns=["group", "status", "n", "share", "what happens"])

    un = head[(head["match"] != MATCH_STATUSES[0]) | head["duplicate_key"]].copy()
    un["reason"] = np.where(un["duplicate_key"] & (un["match"] == MATCH_STATUSES[0]),
                            "customer id shared with another respondent", un["match"].astype(str))
    unmatched = un[["customer_id", "reason", "duplicate_key"]]
    return respondents, match, unmatched


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Behaviour:
    """Behavioural features of a wave's customer base, joined to its respondents.

    Attributes
    ----------
    customers : DataFrame
        One row per customer of the base, indexed by customer id: every feature.
    respondents : DataFrame
        The clean respondents (same index as the survey data): customer id, match status,
        duplicate flag, every customer feature (NaN where no behaviour) and the
        digital-maturity indicator.
    match : DataFrame
        The match report (group, status, n, share, what happens).
    unmatched : DataFrame
        Respondents without behaviour, with the reason, and duplicated keys.
    lines : DataFrame
        Lines read, cancelled, after the reference date, returns, used.
    features : CustomerFeatures
        The DuckDB computation (SQL, sources, settings).
    study_id, wave : str
    as_of : date
    key : str
        The survey column joined on.
    lapsed_days : int
        The lapsed threshold (days without a purchase).
    weighting : RakingResult or None
        Raking of the respondents to the customer base, when the study declares it.
    """

    customers: pd.DataFrame
    respondents: pd.DataFrame
    match: pd.DataFrame
    unmatched: pd.DataFrame
    lines: pd.DataFrame
    features: CustomerFeatures
    study_id: str
    wave: str
    as_of: _dt.date
    key: str
    lapsed_days: int = 90
    weighting: Any = None

    @property
    def channels(self) -> tuple[str, ...]:
        return self.features.channels

    # ---- tables
    def feature_summary(self) -> pd.DataFrame:
        """Numeric features of the base and of the matched respondents: n, mean, quartiles."""
        num = [c for c in self.customers.columns
               if pd.api.types.is_numeric_dtype(self.customers[c]) and not pd.api.types.is_bool_dtype(self.customers[c])]
        rows = []
        matched = self.respondents[self.respondents["match"] == MATCH_STATUSES[0]]
        for c in num:
            for who, frame in (("customer base", self.customers), ("respondents (matched)", matched)):
                s = pd.to_numeric(frame[c], errors="coerce").astype(float).dropna()
                rows.append({"feature": c, "who": who, "n": len(s),
                             "mean": s.mean() if len(s) else np.nan,
                             "p25": s.quantile(0.25) if len(s) else np.nan,
                             "median": s.median() if len(s) else np.nan,
                             "p75": s.quantile(0.75) if len(s) else np.nan})
        return pd.DataFrame(rows).set_index(["feature", "who"]).round(4)

    def distribution(self, column: str) -> pd.DataFrame:
        """Share of the customer base, the respondents and (when weighted) the weighted
        respondents in each category of ``column`` (e.g. ``rfm_tier``, ``lapsed``)."""
        if column not in self.customers:
            raise WorkbenchError(f"no behaviour feature '{column}'; features: {', '.join(self.customers.columns)}")
        base = self.customers[column]
        cats = list(base.cat.categories) if isinstance(base.dtype, pd.CategoricalDtype) else sorted(base.dropna().unique(), key=str)
        resp = self.respondents[column]
        out = pd.DataFrame(index=pd.Index(cats, name=column))
        out["customers"] = base.value_counts().reindex(cats).fillna(0).astype(int)
        out["customers %"] = 100 * out["customers"] / max(base.notna().sum(), 1)
        out["respondents"] = resp.value_counts().reindex(cats).fillna(0).astype(int)
        out["respondents %"] = 100 * out["respondents"] / max(resp.notna().sum(), 1)
        if self.weighting is not None:
            w = self.weighting.weights.reindex(self.respondents.index)
            ws = w.groupby(resp.astype(object)).sum().reindex(cats).fillna(0)
            out["weighted respondents %"] = 100 * ws / max(w[resp.notna()].sum(), 1e-300)
        return out.round(2)

    def tier_distribution(self) -> pd.DataFrame:
        """RFM tiers by lapsed flag for the base, plus tier shares for the respondents."""
        return self.distribution("rfm_tier")

    def channel_mix(self) -> pd.DataFrame:
        """Mean share of orders and of revenue by channel (active customers), and the
        share of customers for whom each channel is dominant."""
        act = self.customers[self.customers["active"]]
        rows = []
        for ch in self.channels:
            s = channel_slug(ch)
            rows.append({
                "channel": ch,
                "orders share (mean)": act[f"orders_share_{s}"].mean(),
                "revenue share (mean)": act[f"revenue_share_{s}"].mean(),
                "dominant for % of customers": 100 * (act["dominant_channel"] == ch).mean() if len(act) else np.nan,
                "dominant for % of respondents": 100 * (
                    self.respondents.loc[self.respondents["active"].fillna(False).astype(bool), "dominant_channel"] == ch
                ).mean(),
            })
        return pd.DataFrame(rows).set_index("channel").round(4) if rows else pd.DataFrame()

    def summary(self) -> pd.DataFrame:
        """One table: the headline numbers of the base and the join."""
        c = self.customers
        n_match = int((self.respondents["match"] == MATCH_STATUSES[0]).sum())
        rows = [
            ("reference date", str(self.as_of)),
            ("customers in the base", len(c)),
            ("active (a purchase in the window)", int(c["active"].sum())),
            ("lapsed", int(c["lapsed"].fillna(False).sum())),
            ("bought exactly once in the window", int((c["frequency"] == 1).sum())),
            ("respondents", len(self.respondents)),
            ("respondents matched to behaviour", n_match),
            ("median recency (days)", c["recency_days"].median()),
            ("median frequency (active)", c.loc[c["active"], "frequency"].median()),
            ("total revenue in the window", round(float(c["revenue"].sum()), 2)),
            ("order lines used", int(self.lines.loc["lines used", "n"])),
        ]
        for t in TIERS[:3]:
            rows.append((f"{t} customers", int((c["rfm_tier"] == t).sum())))
        if self.weighting is not None:
            d = self.weighting.diagnostics
            rows += [("design effect (weights)", d["design effect"]), ("effective n", d["effective n"])]
        return pd.DataFrame(rows, columns=["measure", "value"]).set_index("measure")

    # ---- charts
    def plot_distributions(self):
        """RFM tiers, recency, frequency and channel mix of the base vs the respondents.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=(11, 7.5))  # not pyplot: shown once in a notebook
        axes = fig.subplots(2, 2)
        tiers = self.tier_distribution()
        cols = [c for c in ("customers %", "respondents %", "weighted respondents %") if c in tiers]
        tiers[cols].plot.bar(ax=axes[0, 0], rot=0)
        axes[0, 0].set_title("RFM tier (% of customers / respondents)")
        axes[0, 0].set_xlabel("")
        rec = self.customers["recency_days"].dropna().astype(float)
        axes[0, 1].hist(rec, bins=40, color="#4C72B0")
        axes[0, 1].axvline(self.lapsed_days, color="#C44E52", ls="--", label=f"lapsed: > {self.lapsed_days} days")
        axes[0, 1].set_title("Days since last purchase (customer base)")
        axes[0, 1].legend()
        freq = self.customers.loc[self.customers["active"], "frequency"].astype(float)
        axes[1, 0].hist(freq.clip(upper=freq.quantile(0.99) if len(freq) else 1), bins=40, color="#55A868")
        axes[1, 0].set_title("Purchases in the window (active customers, top 1 % clipped)")
        mix = self.channel_mix()
        if not mix.empty:
            mix[["orders share (mean)", "revenue share (mean)"]].plot.barh(ax=axes[1, 1])
            axes[1, 1].set_title("Channel mix (mean share, active customers)")
        else:
            axes[1, 1].axis("off")
        fig.suptitle(f"Behaviour as of {self.as_of} — {self.study_id}, wave {self.wave}")
        fig.tight_layout()
        return fig

    def plot_rfm(self):
        """Mean revenue by recency and frequency score (the classic RFM grid).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        c = self.customers.dropna(subset=["r_score", "f_score"])
        grid = c.pivot_table(index="r_score", columns="f_score", values="revenue", aggfunc="mean", observed=True)
        fig = Figure(figsize=(6.5, 5))
        ax = fig.add_subplot()
        im = ax.imshow(grid.to_numpy(dtype=float), origin="lower", cmap="viridis", aspect="auto")
        ax.set_xticks(range(grid.shape[1]), [str(x) for x in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [str(x) for x in grid.index])
        ax.set_xlabel("F score (5 = most purchases)")
        ax.set_ylabel("R score (5 = most recent)")
        ax.set_title("Mean revenue in the window by R and F score")
        fig.colorbar(im, ax=ax, label="revenue")
        fig.tight_layout()
        return fig

    # ---- output
    def sheets(self) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
        """The tables of ``behaviour.xlsx`` with a note for each."""
        sheets = {
            "Summary": self.summary(),
            "Match report": self.match,
            "Unmatched respondents": self.unmatched,
            "Feature summary": self.feature_summary(),
            "RFM tiers": self.tier_distribution(),
            "Lapsed": self.distribution("lapsed"),
            "Channel mix": self.channel_mix(),
        }
        if "cost_tier" in self.customers:  # not computed without cost columns
            sheets["Cost-to-serve tiers"] = self.distribution("cost_tier")
        if "dominant_channel" in self.customers:
            sheets["Dominant channel"] = self.distribution("dominant_channel")
        sheets["Respondent features"] = self.respondents
        sheets["Lines"] = self.lines
        sheets["Settings"] = self.features.settings
        sheets["Sources"] = self.features.sources
        notes = {
            "Summary": f"Behaviour as of {self.as_of} (the wave's reference date); lines after it are not used.",
            "Match report": "Every respondent and every customer, by what happened in the join: nothing unmatched is dropped.",
            "Unmatched respondents": "Respondents without behaviour, and customer ids shared by several respondents.",
            "Feature summary": "Numeric features: customer base vs matched respondents.",
            "RFM tiers": "Share of the base and of the respondents in each RFM tier (rule in Settings).",
            "Channel mix": "Mean share of purchases and revenue by channel among active customers.",
            "Respondent features": "Every behaviour feature per clean respondent (empty where no behaviour).",
            "Settings": "The rules the features were computed with (from study.yaml, behaviour:).",
        }
        if self.weighting is not None:
            ws, wn = self.weighting.sheets()
            sheets.update(ws)
            notes.update(wn)
        return sheets, notes

    def to_excel(self, path, *, pii=()) -> Path:
        """Write ``behaviour.xlsx`` (refuses PII columns)."""
        from .outputs import write_workbook

        sheets, notes = self.sheets()
        return write_workbook(path, sheets, pii=pii, notes=notes)

    def __str__(self) -> str:
        s = self.summary()["value"]
        n_match = s["respondents matched to behaviour"]
        text = (f"Behaviour {self.study_id} wave {self.wave} as of {self.as_of}: {s['customers in the base']:,} "
                f"customers ({s['active (a purchase in the window)']:,} active, {s['lapsed']:,} lapsed); "
                f"{n_match:,} of {len(self.respondents):,} respondents matched")
        if self.weighting is not None:
            text += "\n" + str(self.weighting)
        return text

    def __repr__(self) -> str:
        return (f"Behaviour(study={self.study_id!r}, wave={self.wave!r}, as_of={self.as_of}, "
                f"customers={len(self.customers)}, respondents={len(self.respondents)})")

    def _repr_html_(self) -> str:
        head = f"<p><b>Behaviour</b> {html.escape(self.study_id)} wave {html.escape(self.wave)} as of {self.as_of}</p>"
        return head + self.summary()._repr_html_() + self.match._repr_html_()


# --------------------------------------------------------------------------- study-aware entry


def _digital_maturity(respondents: pd.DataFrame, survey: pd.DataFrame, spec: BehaviourSpec,
                      columns: dict[str, Column]) -> pd.DataFrame:
    d = spec.digital
    declared = pd.Series(np.nan, index=respondents.index)
    if d.question and d.question in survey.columns:
        codes = sorted(columns[d.question].scale.codes) if d.question in columns else []
        if len(codes) >= 2:
            lo, hi = codes[0], codes[-1]
            declared = ((pd.to_numeric(survey[d.question], errors="coerce") - lo) / (hi - lo)).clip(0, 1)
    observed = respondents["digital_share"] if "digital_share" in respondents else pd.Series(np.nan, index=respondents.index)
    observed = observed.astype(float)
    w = d.declared_weight
    both = w * declared + (1 - w) * observed
    maturity = both.where(declared.notna() & observed.notna(), declared.fillna(observed))
    out = respondents.copy()
    out["digital_declared"] = declared.to_numpy()
    out["digital_maturity"] = maturity.to_numpy()
    return out


def compute_behaviour(
    study: Study,
    wave,
    respondents=None,
    *,
    threads: int = 2,
    memory_limit: str = "1GB",
    weight: bool = True,
) -> Behaviour:
    """Features of the study's customer base as of the wave's date, joined to respondents.

    Parameters
    ----------
    study : Study
        A study with a ``behaviour:`` section.
    wave : str or int
        The wave id; behaviour is measured as of its ``reference_date`` (else the end
        of fieldwork).
    respondents : Responses or DataFrame, optional
        The clean respondents (``Responses`` or its ``.data``), holding the study's
        customer-id column. Default: read and quality-check the wave.
    threads, memory_limit
        DuckDB settings.
    weight : bool, default=True
        Rake the respondents to the base when the study declares ``weighting:``.

    Returns
    -------
    Behaviour
    """
    from .readers import Responses

    spec = study.spec.behaviour
    if spec is None:
        raise StudyError("the study has no behaviour: section", file=study.path)
    w = study.wave(wave)
    if w.date is None:
        raise StudyError(
            f"wave '{w.id}' has neither reference_date nor fieldwork_end; behaviour is measured as of "
            "that date: add reference_date: to the wave", file=study.path,
        )
    key = spec.key or study.spec.customer_id
    base_weights = None
    if respondents is None:
        from .quality import check_quality
        from .readers import read_responses

        resp = read_responses(study, w.id)
        respondents = check_quality(resp, study).apply(resp)
    if isinstance(respondents, Responses):
        base_weights = respondents.weights
        survey = respondents.data
    else:
        survey = respondents
    feats = customer_features(spec, study.root, w.date, survey_columns=study.columns,
                              threads=threads, memory_limit=memory_limit, hash_sources=True)
    resp, match, unmatched = match_respondents(
        feats.table, survey, key,
        later_customers=[c for c in feats.later_customers if c not in feats.table.index],
    )
    from .joincheck import check_join  # issue 14: a join that matches too few stops with counts and examples

    check_join(resp, feats.table, key, min_share=spec.min_match_share, study_file=study.path,
               source_file=study.root / spec.transactions.file)
    resp = _digital_maturity(resp, survey, spec, study.columns)
    result = Behaviour(
        customers=feats.table, respondents=resp, match=match, unmatched=unmatched, lines=feats.lines,
        features=feats, study_id=study.id, wave=w.id, as_of=feats.as_of, key=key, lapsed_days=spec.lapsed_days,
    )
    if weight and study.spec.weighting is not None:
        from .weighting import rake_to_base

        # several respondents of one customer (B2B accounts) share that customer's place in the
        # sample: each starts from 1 / (respondents of its customer), so every customer counts once
        cid = resp["customer_id"]
        share = cid.map(cid.value_counts()).where(cid.notna(), 1).astype(float)
        if (share > 1).any():
            start = 1.0 / share
            base_weights = start if base_weights is None else base_weights.reindex(resp.index) * start
        raking = rake_to_base(result, study.spec.weighting, survey=survey, columns=study.columns,
                              base_weights=base_weights)
        result = dataclasses.replace(result, weighting=raking)
    return result
