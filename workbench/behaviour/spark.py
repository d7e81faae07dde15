"""The Spark engine: the same feature SQL, translated by SQLGlot, on a Spark session.

``behaviour: {engine: spark}`` in the study (or a session passed in from a notebook)
computes the features with Apache Spark: in local mode on one machine (the default,
``local[2]``) or on a cluster (``spark: {master: spark://host:7077}``, ``yarn``, or the
session of a Databricks notebook). The transactions are a Parquet file or folder
(``transactions.file``) or a table of the session's catalog (``transactions.table``). The
customer master, one row per customer, is read on the driver by DuckDB as for the
embedded engine (with the same checks) and handed to Spark.

Every rule is the DuckDB SQL of :mod:`workbench.behaviour.rules`, translated with
:func:`~workbench.behaviour.engines.transpile`: no rule is written twice. Bad input is
refused with a message naming the source and column (Spark does not know row numbers; the
DuckDB engine on an extract names the row).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd

from ..core.errors import DataError, StudyError
from ..data.joincheck import value_rules
from ..study import BehaviourSpec, TransactionsSource
from .engines import transpile
from .rules import check_lines_sql, feature_sql, lines_sql, orders_sql, settings_table, sql_ident, sql_literal
from .sources import connect, load_master
from .table import CustomerFeatures, finish_table, sources_table

logger = logging.getLogger("workbench.behaviour")

#: Working relations in the Spark session (temporary views, prefixed so that they do not
#: shadow a user's tables).
VIEWS = {"orders": "wb_behaviour_orders", "master": "wb_behaviour_master", "source": "wb_behaviour_source",
         "typed": "wb_behaviour_typed"}

_JAVA_HINT = ("the Spark engine needs Java 17 or later (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; "
              "`make test` installs it) and the Spark extra (pip install '.[spark]'); or set "
              "behaviour.engine: duckdb")


def spark_session(spec: BehaviourSpec | None = None, session=None):
    """The session to run on: ``session`` if given, else one built from ``spec.spark``.

    A new local session uses ``local[2]``, the UTC time zone, 8 shuffle partitions and no
    web UI; ``spark.config`` entries override these.
    """
    if session is not None:
        return session
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise StudyError("behaviour.engine is spark but pyspark is not installed: " + _JAVA_HINT) from None
    cfg = spec.spark if spec is not None and spec.spark is not None else None
    master = (cfg.master if cfg is not None else None) or "local[2]"
    builder = SparkSession.builder.master(master).appName("workbench-behaviour")
    settings = {"spark.sql.session.timeZone": "UTC", "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.execution.arrow.pyspark.enabled": "true"}
    if master.startswith("local"):
        settings["spark.sql.shuffle.partitions"] = "8"
    settings.update(cfg.config if cfg is not None else {})
    for k, v in settings.items():
        builder = builder.config(k, v)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - pyspark raises its own runtime errors when Java is missing
        raise StudyError(f"cannot start Spark ({type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}); "
                         + _JAVA_HINT) from None


def _source(spark, tx: TransactionsSource, root: Path):
    """The transactions as a Spark DataFrame, and how to name them in messages."""
    if tx.table:
        try:
            return spark.table(tx.table), f"table {tx.table}", None
        except Exception as exc:  # noqa: BLE001 - AnalysisException: table not found
            raise DataError(f"the Spark session has no table '{tx.table}' (behaviour.transactions.table): "
                            f"{str(exc).strip().splitlines()[0][:200]}") from None
    path = Path(tx.file)
    path = path if path.is_absolute() else Path(root) / path
    if not path.exists():
        raise DataError("the transactions file is not there; check behaviour: in study.yaml", file=path)
    fmt = tx.format
    if fmt == "auto":
        fmt = "parquet" if path.is_dir() or path.suffix.lower() in (".parquet", ".pq") else "csv"
    if fmt != "parquet":
        raise DataError("the Spark engine reads Parquet (a file or a folder of files) or a table; convert the "
                        "CSV to Parquet (e.g. DuckDB: COPY (SELECT * FROM 'file.csv') TO 'file.parquet') or use "
                        "engine: duckdb", file=path)
    return spark.read.parquet(str(path)), str(path), path


def _typed_scan(df, typed: dict[str, str], date_format: str) -> str:
    """DuckDB-dialect SELECT over the source view with the mapped columns typed.

    Text dates are parsed with the declared format; unparseable cells become NULL here and
    are refused by :func:`_check_cells`.
    """
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    exprs = []
    for c in df.columns:
        t, q = typed.get(c), sql_ident(c)
        if t == "DATE" and types[c] == "string":
            e = (f"TRY_CAST(trim({q}) AS DATE)" if date_format == "ISO"
                 else f"CAST(try_strptime(trim({q}), {sql_literal(date_format)}) AS DATE)")
        elif t == "DOUBLE" and types[c] == "string":
            e = f"TRY_CAST(trim({q}) AS DOUBLE)"
        elif t:
            e = f"CAST({q} AS {t})"
        else:
            e = q
        exprs.append(f"{e} AS {q}")
    return f"(SELECT {', '.join(exprs)} FROM source)"


def _check_cells(spark, df, typed: dict[str, str], roles: dict[str, str], what: str, date_format: str) -> None:
    """Refuse a text cell that is not a date / number, naming the column and a value (one
    pass over the source for every typed column)."""
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    text = [(c, t) for c, t in typed.items() if types.get(c) == "string"]
    if not text:
        return
    parts = []
    for i, (column, t) in enumerate(text):
        q = sql_ident(column)
        test = (f"TRY_CAST(trim({q}) AS {t})" if t == "DOUBLE" or date_format == "ISO"
                else f"try_strptime(trim({q}), {sql_literal(date_format)})")
        bad = f"{q} IS NOT NULL AND trim({q}) <> '' AND {test} IS NULL"
        parts.append(f"sum(CASE WHEN {bad} THEN 1 ELSE 0 END) AS n{i}, min(CASE WHEN {bad} THEN {q} END) AS x{i}")
    row = spark.sql(transpile(f"SELECT {', '.join(parts)} FROM source", {}, "spark",
                              tables={"source": VIEWS["source"]})).first()
    for i, (column, t) in enumerate(text):
        n, example = row[f"n{i}"], row[f"x{i}"]
        if n:
            role = next((r for r, c in roles.items() if c == column), None)
            want = ("a date in " + ("YYYY-MM-DD (ISO)" if date_format == "ISO" else f"format {date_format}")
                    if t == "DATE" else "a number")
            raise DataError(f"found '{example}' where {want} is expected ({role}) in {n} line(s) of {what}; "
                            "fix the cells or declare date_format:", column=column)


def _check_values(spark, df, typed: dict[str, str], roles: dict[str, str], what: str, path, date_format: str) -> None:
    """Refuse impossible values as the DuckDB engine does (:func:`workbench.data.joincheck.check_transaction_values`):
    a value, quantity or cost that is not a finite number (NaN, ±inf), a negative cost, a
    negative quantity on a line with a positive value, an order date before 1900 or after
    2200; one pass over the typed lines, the message naming the column, how many lines and
    an example customer (a Spark table has no file rows to name)."""
    spark.sql(transpile(_typed_scan(df, typed, date_format).strip()[1:-1], {}, "spark",
                        tables={"source": VIEWS["source"]})).createOrReplaceTempView(VIEWS["typed"])
    q, cid = (lambda r: f"`{roles[r].replace('`', '``')}`"), f"`{roles['customer_id'].replace('`', '``')}`"
    conds = {  # rule kind (joincheck.value_rules) -> Spark SQL condition
        "not finite": lambda r: f"(isnan({q(r)}) OR abs({q(r)}) = CAST('Infinity' AS DOUBLE))",
        "negative": lambda r: f"{q(r)} < 0",
        "negative on a positive line": lambda r: f"({q(r)} < 0 AND {q('value')} > 0)",
        "implausible date": lambda r: f"(year({q(r)}) < 1900 OR year({q(r)}) > 2200)",
    }
    tests = [(r, conds[kind](r), message) for r, kind, message in value_rules(roles)]
    parts = [f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END) AS n{i}, min(CASE WHEN {cond} THEN CAST({cid} AS STRING) END) "
             f"AS c{i}, min(CASE WHEN {cond} THEN CAST({q(role)} AS STRING) END) AS x{i}"
             for i, (role, cond, _) in enumerate(tests)]
    row = spark.sql(f"SELECT {', '.join(parts)} FROM {VIEWS['typed']}").first()
    for i, (role, _cond, message) in enumerate(tests):
        if row[f"n{i}"]:
            raise DataError(f"{message}: '{row[f'x{i}']}' in {row[f'n{i}']} line(s) of {what} (e.g. customer "
                            f"{row[f'c{i}']})", file=path, column=roles[role])


def _check(spark, tx: TransactionsSource, roles, channels, what: str, path) -> dict[str, int]:
    row = spark.sql(transpile(check_lines_sql(), {}, "spark", tables={"orders": VIEWS["orders"]})).first()
    n, no_id, no_date, no_value, bad_ch, n_cur, mixed_cur, cancelled, after, returns = (
        x if isinstance(x, bool) else int(x or 0) for x in row)
    file = path

    def fail(message, role):
        raise DataError(message, file=file, column=roles[role])

    if not n:
        raise DataError(f"the transactions ({what}) have no lines", file=file)
    if no_id:
        fail(f"{no_id} line(s) without a customer id in {what}; every order line needs the customer it belongs to",
             "customer_id")
    for count, role in ((no_date, "date"), (no_value, "value")):
        if count:
            fail(f"an empty {role} in {count} line(s) of {what}; every order line needs one", role)
    if channels and bad_ch:
        known = list(tx.channels) + [c for c in channels if c not in tx.channels]
        fail(f"{bad_ch} line(s) of {what} have a channel code not declared (declared codes are "
             f"{', '.join(known)}): add it under behaviour.transactions.channels", "channel")
    if "currency" in roles:
        first = spark.sql(f"SELECT min(cur_min) FROM {VIEWS['orders']}").first()[0]
        if n_cur > 1 or mixed_cur or first != tx.currency:
            fail(f"the transactions ({what}) hold another currency than the declared {tx.currency}: values in "
                 "different currencies cannot be added up; convert them to one currency before the analysis",
                 "currency")
    return {
        "lines read": n,
        "cancelled lines (dropped)": cancelled,
        "lines after the reference date (not seen)": after,
        "return orders (negative lines only)": returns,
        "lines used": n - cancelled - after,
    }


def spark_features(spec: BehaviourSpec, root, as_of, *, survey_columns=None, session=None, hash_sources=False):
    """Per-customer features with Spark; the arguments and result of
    :func:`~workbench.behaviour.features.customer_features`."""
    t0 = time.perf_counter()
    as_of = pd.Timestamp(as_of).date()
    root = Path(root)
    tx = spec.transactions
    roles = dict(tx.columns)
    channels = tuple(dict.fromkeys(tx.channels.values())) if "channel" in roles else ()
    digital = [c for c in spec.digital.channels if c in channels]
    spark = spark_session(spec, session)
    df, what, path = _source(spark, tx, root)
    missing = [(r, c) for r, c in roles.items() if c not in df.columns]
    if missing:
        role, col = missing[0]
        cols = ", ".join(df.columns[:15]) + (" ..." if len(df.columns) > 15 else "")
        raise DataError(f"the transactions ({what}) have no column '{col}' (mapped as {role} under "
                        f"behaviour.transactions.columns); their columns are: {cols}", file=path, column=col)
    typed = {roles["date"]: "DATE", roles["value"]: "DOUBLE"}
    for r in ("quantity", "delivery_cost", "handling_cost"):
        if r in roles:
            typed[roles[r]] = "DOUBLE"
    df.createOrReplaceTempView(VIEWS["source"])
    _check_cells(spark, df, typed, roles, what, tx.date_format)
    _check_values(spark, df, typed, roles, what, path, tx.date_format)  # issue 14's checks, as the DuckDB engine
    lines, _ = lines_sql(tx, roles, channels, _typed_scan(df, typed, tx.date_format), as_of)
    orders = spark.sql(transpile(orders_sql(lines), {"ref": as_of}, "spark", tables={"source": VIEWS["source"]}))
    orders = orders.persist()
    orders.createOrReplaceTempView(VIEWS["orders"])
    try:
        counts = _check(spark, tx, roles, channels, what, path)
        m_attrs, m_counts, later, has_master = pd.DataFrame(), {}, (), False
        if spec.customers is not None:
            con = connect(2, "1GB")
            try:
                _, m_attrs, m_counts, later = load_master(con, spec.customers, root, as_of, survey_columns or {}, 2)
                master = con.execute("SELECT cid, first_order FROM master").df()
            finally:
                con.close()
            master["first_order"] = pd.to_datetime(master["first_order"]).dt.date
            spark.createDataFrame(master, schema="cid string, first_order date") \
                .createOrReplaceTempView(VIEWS["master"])
            has_master = True
        sql, params = feature_sql(spec, channels, digital, as_of, has_master=has_master,
                                   has_quantity="quantity" in roles)
        spark_sql = transpile(sql, params, "spark", tables={"orders": VIEWS["orders"], "master": VIEWS["master"]})
        table = spark.sql(spark_sql).toPandas()
    finally:
        orders.unpersist()
    for c in ("first_order", "last_purchase"):  # dates as DuckDB returns them
        table[c] = pd.to_datetime(table[c]).astype("datetime64[us]")
    table = finish_table(table.sort_values("customer_id", kind="stable").reset_index(drop=True), spec, channels, m_attrs)
    lines_t = pd.DataFrame(list((counts | m_counts).items()), columns=["what", "n"]).set_index("what")
    sources = sources_table(("transactions", what, "table" if tx.table else "parquet", _size(path)), spec, root,
                            hash_sources)
    settings = settings_table(spec, as_of, channels, digital)
    settings.loc["engine"] = f"Spark {spark.version} ({spark.sparkContext.master}), SQL translated by SQLGlot"
    seconds = time.perf_counter() - t0
    logger.info("behaviour (Spark): %d customers from %d lines as of %s in %.1f s", len(table),
                counts["lines read"], as_of, seconds)
    return CustomerFeatures(table=table, lines=lines_t, as_of=as_of, channels=channels, sql=spark_sql,
                            sources=sources, settings=settings, later_customers=tuple(later), seconds=seconds)


def _size(path) -> int:
    if path is None:
        return 0
    path = Path(path)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
