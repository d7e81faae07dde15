"""Per-customer features as of a reference date: :func:`customer_features`."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import duckdb
import pandas as pd

from ..core.errors import DataError
from ..data.joincheck import check_transaction_values
from ..study import BehaviourSpec, Column, TransactionsSource
from .rules import feature_sql, lines_sql, orders_sql, settings_table, sql_ident
from .sources import (
    check_lines, connect, conversion_error, first_line, first_row_where, load_master, open_source, require_columns,
    scan_sql,
)
from .spark import spark_features
from .table import CustomerFeatures, finish_table, sources_table

logger = logging.getLogger("workbench.behaviour")


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
    if spark is not None or spec.engine == "spark":
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
    con = connect(threads, memory_limit)
    try:
        f = open_source(tx, root, "transactions", con)
        require_columns(f, roles, "behaviour.transactions.columns")
        typed = {roles["date"]: "DATE", roles["value"]: "DOUBLE"}
        for r in ("quantity", "delivery_cost", "handling_cost"):
            if r in roles:
                typed[roles[r]] = "DOUBLE"
        scan, params = scan_sql(f, typed)
        lines, lparams = lines_sql(tx, roles, channels, scan, as_of)
        try:
            # inf/NaN and impossible values (negative costs, ...), the first bad row named; before
            # the orders, whose exact DECIMAL sums cannot hold an infinite value
            check_transaction_values(con, f, roles, scan=scan, params=params, first_row_where=first_row_where,
                                     ident=sql_ident)
            con.execute(f"CREATE TEMP TABLE orders AS {orders_sql(lines)}", params | lparams | {"ref": as_of})
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            raise conversion_error(exc, f, con, typed, roles) from None
        except duckdb.OutOfMemoryException as exc:
            raise DataError(
                f"DuckDB ran out of memory reading the transactions ({first_line(exc)}); raise "
                "memory_limit or free memory", file=f.path,
            ) from None
        counts = check_lines(con, f, tx, roles, channels, scan, params)

        master, m_attrs, m_counts, later = None, pd.DataFrame(), {}, ()
        if spec.customers is not None:
            master, m_attrs, m_counts, later = load_master(con, spec.customers, root, as_of,
                                                            survey_columns or {}, threads)
        sql, qparams = feature_sql(spec, channels, digital, as_of, has_master=master is not None,
                                    has_quantity="quantity" in roles)
        table = con.execute(sql, qparams).df()
    finally:
        con.close()

    table = finish_table(table, spec, channels, m_attrs)
    lines = pd.DataFrame(
        [(k, v) for k, v in (counts | m_counts).items()], columns=["what", "n"]
    ).set_index("what")
    sources = sources_table(("transactions", str(f.path), f.format, f.path.stat().st_size), spec, root,
                            hash_sources)
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
        settings=settings_table(spec, as_of, channels, digital),
        later_customers=tuple(later),
        seconds=seconds,
    )
