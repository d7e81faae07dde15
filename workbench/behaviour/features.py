"""Per-customer features as of a reference date: :func:`customer_features`."""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import DataError
from ..study import BehaviourSpec, Column, TransactionsSource
from .rules import COST_TIERS, TIERS, _feature_sql, _lines_sql, _orders_sql, _settings_table
from .sources import _check_lines, _connect, _conversion_error, _first_line, _load_master, _open, _require_columns, _scan

logger = logging.getLogger("workbench.behaviour")


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



def customer_features(
    spec: BehaviourSpec,
    root,
    as_of,
    *,
    survey_columns: dict[str, Column] | None = None,
    threads: int = 2,
    memory_limit: str = "1GB",
    hash_sources: bool = False,
    spark=None,
) -> CustomerFeatures:
    """Compute every behaviour feature for every customer of the base (DuckDB, or Spark).

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
    spark : pyspark.sql.SparkSession, optional
        Run on this session (e.g. a cluster notebook's ``spark``) whatever ``spec.engine``
        says; by default ``spec.engine`` chooses (``duckdb``, or ``spark`` with
        ``spec.spark``'s master). See :mod:`workbench.behaviour.spark`.

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

    if spark is not None or spec.engine == "spark":
        from .spark import spark_features

        return spark_features(spec, root, as_of, survey_columns=survey_columns, session=spark,
                              hash_sources=hash_sources)
    if spec.transactions.file is None:
        raise DataError("the DuckDB engine reads a transactions file: give behaviour.transactions.file, or "
                        "engine: spark for a table")
    t0 = time.perf_counter()
    as_of = pd.Timestamp(as_of).date()
    root = Path(root)
    tx: TransactionsSource = spec.transactions
    roles = dict(tx.columns)
    channels = tuple(dict.fromkeys(tx.channels.values())) if "channel" in roles else ()
    digital = [c for c in spec.digital.channels if c in channels]
    con = _connect(threads, memory_limit)
    try:
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
        from ..outputs import file_sha256

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
