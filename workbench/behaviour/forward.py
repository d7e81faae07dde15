"""What customers did *after* a wave's reference date: :func:`forward_outcomes`.

The features of :mod:`workbench.behaviour` look back from the reference date; a segmentation
fitted on them (and on the survey) is *relevant* when it also tells what the customers do
next. When the transactions extend past the reference date (the data were refreshed, or a
later wave is run), each customer who bought on or before the reference date gets, per
declared horizon ``h`` months (default 6 and 12):

=====================  =====================================================================
orders                 purchases in (ref, ref + h]  (a purchase as for the features: every
                       order except a return-only order)
lapsed                 no purchase in (ref, ref + h]
revenue                value of the orders in (ref, ref + h] (returns netted or excluded as
                       the study says); ``revenue_before`` the same over (ref - h, ref]
revenue_change         revenue - revenue_before (the same length before and after)
channel_before/after   the main channel of the purchases in (ref - h, ref] / (ref, ref + h]
                       (most purchases; ties: more revenue, then study order), as the
                       feature ``dominant_channel`` is chosen
channel_switch         the main channel after differs from the one before (customers who
                       bought in both periods; else missing)
cost, cost_before,     cost to serve (delivery + handling) after / before and its change,
cost_change            when the study maps a cost column
=====================  =====================================================================

One SQL text (DuckDB dialect) over the same ``orders`` relation the features are computed
from (:func:`workbench.behaviour.rules.orders_sql`); DuckDB runs it as it is, Spark through
SQLGlot (:func:`workbench.behaviour.engines.transpile`). Lines after the reference date
reach only these outcomes, never a feature: the features' query reads ``status = 0`` (on
or before the reference date) only, and a test changes a post-date line to prove it.

A horizon the data do not cover yet (the last dated line is more than ``slack_days`` before
the horizon's end) is skipped, with the reason: how many months are missing.
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ..core.errors import DataError
from ..study import BehaviourSpec
from ..study.spec import FORWARD_HORIZONS
from .engines import transpile
from .rules import MONEY, lines_sql, orders_sql, sql_literal
from .sources import connect, conversion_error, first_line, open_source, require_columns, scan_sql
from .spark import VIEWS, _source, _typed_scan, spark_session

__all__ = ["ForwardOutcomes", "forward_outcomes", "forward_sql", "horizon_coverage", "OUTCOMES"]

logger = logging.getLogger("workbench.behaviour")

#: The outcome columns of :attr:`ForwardOutcomes.table` (cost ones only with a mapped cost).
OUTCOMES = ("orders", "lapsed", "revenue", "revenue_before", "revenue_change", "channel_before", "channel_after",
            "channel_switch", "cost", "cost_before", "cost_change")


def _add_months(day: _dt.date, months: int) -> _dt.date:
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


def horizon_coverage(as_of: _dt.date, data_end: _dt.date | None, horizons, slack_days: int = 7):
    """Which horizons the data cover: ``(covered, skipped)``.

    A horizon of ``h`` months is covered when the last dated line is no more than
    ``slack_days`` before ``as_of + h months``; otherwise it is skipped with a sentence
    naming how many months are missing (the least m with ``data_end + m months`` reaching
    the horizon's end, less the slack).
    """
    covered, skipped = [], []
    for h in horizons:
        end = _add_months(as_of, int(h))
        if data_end is not None and (end - data_end).days <= slack_days:
            covered.append(int(h))
            continue
        if data_end is None or data_end <= as_of:
            missing = int(h)
            seen = "no line is dated after the reference date"
        else:
            missing = next(m for m in range(1, int(h) + 1)
                           if (end - _add_months(data_end, m)).days <= slack_days)
            seen = f"the transactions end on {data_end.isoformat()}"
        skipped.append(f"{h}-month horizon (to {end.isoformat()}) skipped: {seen}, "
                       f"{missing} month{'s' if missing != 1 else ''} missing")
    return tuple(covered), tuple(skipped)


def _main_channel(prefix: str, k: int, channels) -> str:
    """CASE choosing the main channel from ``n_{prefix}{i}`` / ``r_{prefix}{i}`` (the
    rule of the feature ``dominant_channel``)."""
    if not k:
        return "CAST(NULL AS VARCHAR)"

    def beats(i, j):
        return (f"(n_{prefix}{i} > n_{prefix}{j} OR (n_{prefix}{i} = n_{prefix}{j} AND (r_{prefix}{i} > r_{prefix}{j} "
                f"OR (r_{prefix}{i} = r_{prefix}{j} AND {int(i < j)} = 1))))")

    total = " + ".join(f"n_{prefix}{i}" for i in range(k))
    whens = " ".join(
        f"WHEN {' AND '.join([beats(i, j) for j in range(k) if j != i] or ['true'])} THEN {sql_literal(channels[i])}"
        for i in range(k))
    return f"CASE WHEN {total} = 0 THEN NULL {whens} END"


def forward_sql(spec: BehaviourSpec, channels, as_of, horizons, *, has_cost: bool) -> tuple[str, dict]:
    """The one outcome query over ``orders`` (all statuses but cancelled), DuckDB dialect.

    Returns the SQL and its parameters (``$ref``, ``$a<h>`` the end of horizon h,
    ``$b<h>`` its start before the reference date).
    """
    params: dict = {"ref": as_of}
    rev = "gross - returned" if spec.transactions.returns == "net" else "gross"
    k = len(channels)
    aggs, cols = [], []
    for h in horizons:
        params[f"a{h}"], params[f"b{h}"] = _add_months(as_of, h), _add_months(as_of, -h)
        after, before = f"d > $ref AND d <= $a{h}", f"d > $b{h} AND d <= $ref"
        aggs += [f"count(*) FILTER (WHERE purchase AND {after}) AS orders_{h}",
                 f"coalesce(sum(rev) FILTER (WHERE {after}), 0) AS revenue_{h}",
                 f"coalesce(sum(rev) FILTER (WHERE {before}), 0) AS revenue_before_{h}"]
        if has_cost:
            aggs += [f"coalesce(sum(cost) FILTER (WHERE {after}), 0) AS cost_{h}",
                     f"coalesce(sum(cost) FILTER (WHERE {before}), 0) AS cost_before_{h}"]
        for tag, cond in (("a", after), ("b", before)):
            aggs += [x for i in range(k) for x in (
                f"count(*) FILTER (WHERE purchase AND ch = {i} AND {cond}) AS n_{tag}{h}_{i}",
                f"coalesce(sum(rev) FILTER (WHERE ch = {i} AND {cond}), 0) AS r_{tag}{h}_{i}")]
        before_ch, after_ch = _main_channel(f"b{h}_", k, channels), _main_channel(f"a{h}_", k, channels)
        cols += [f"{h} AS h{h}", f"orders_{h}", f"orders_{h} = 0 AS lapsed_{h}",
                 f"CAST(revenue_{h} AS DOUBLE) AS revenue_{h}", f"CAST(revenue_before_{h} AS DOUBLE) AS revenue_before_{h}",
                 f"CAST(revenue_{h} - revenue_before_{h} AS DOUBLE) AS revenue_change_{h}",
                 f"{before_ch} AS channel_before_{h}", f"{after_ch} AS channel_after_{h}",
                 f"CASE WHEN ({before_ch}) IS NULL OR ({after_ch}) IS NULL THEN NULL "
                 f"ELSE ({before_ch}) <> ({after_ch}) END AS channel_switch_{h}"]
        if has_cost:
            cols += [f"CAST(cost_{h} AS DOUBLE) AS cost_{h}", f"CAST(cost_before_{h} AS DOUBLE) AS cost_before_{h}",
                     f"CAST(cost_{h} - cost_before_{h} AS DOUBLE) AS cost_change_{h}"]
    agg_text = ",\n    ".join(aggs)
    col_text = ",\n  ".join(cols)
    sql = f"""
WITH o AS (
  SELECT cid, d, CAST(cost AS {MONEY}) AS cost, ch, (gross > 0 OR returned = 0) AS purchase, {rev} AS rev
  FROM orders WHERE status < 2 AND d IS NOT NULL
),
agg AS (
  SELECT cid,
    count(*) FILTER (WHERE purchase AND d <= $ref) AS bought_before,
    {agg_text}
  FROM o GROUP BY cid
)
SELECT cid AS customer_id,
  {col_text}
FROM agg
WHERE bought_before > 0
ORDER BY customer_id
"""
    return sql, params


@dataclass(frozen=True)
class ForwardOutcomes:
    """What each customer did after the reference date, per covered horizon.

    Attributes
    ----------
    table : DataFrame
        Tidy: one row per customer (who bought on or before the reference date) and covered
        horizon, indexed by (``customer_id``, ``horizon`` in months); columns of
        :data:`OUTCOMES` (cost ones only when a cost column is mapped).
    as_of : datetime.date
        The reference date.
    data_end : datetime.date or None
        The last dated (not cancelled) line of the transactions.
    horizons : tuple of int
        The covered horizons (months).
    skipped : tuple of str
        Each horizon the data do not cover yet, with how many months are missing.
    sql : str
        The outcome query as run (DuckDB SQL, or its Spark translation).
    """

    table: pd.DataFrame = field(repr=False)
    as_of: _dt.date
    data_end: _dt.date | None
    horizons: tuple[int, ...]
    skipped: tuple[str, ...] = ()
    sql: str = field(default="", repr=False)
    seconds: float = field(compare=False, default=0.0)

    def horizon(self, months: int) -> pd.DataFrame:
        """The outcomes over one horizon, one row per customer."""
        if months not in self.horizons:
            raise KeyError(f"the {months}-month horizon is not covered; covered: "
                           f"{', '.join(map(str, self.horizons)) or 'none'}"
                           + (f" ({'; '.join(self.skipped)})" if self.skipped else ""))
        return self.table.xs(months, level="horizon")

    def summary(self) -> pd.DataFrame:
        """Per horizon: customers, lapsed share, mean revenue and change, switch share."""
        t = self.table
        if t.empty:
            return pd.DataFrame(columns=["customers", "lapsed", "revenue", "revenue_change", "channel_switch"])
        g = t.groupby(level="horizon")
        out = pd.DataFrame({"customers": g.size(), "lapsed": g["lapsed"].mean(), "revenue": g["revenue"].mean(),
                            "revenue_change": g["revenue_change"].mean(),
                            "channel_switch": g["channel_switch"].apply(lambda s: s.dropna().astype(float).mean())})
        if "cost_change" in t:
            out["cost_change"] = g["cost_change"].mean()
        return out


def _tidy(wide: pd.DataFrame, horizons, has_cost: bool, channels) -> pd.DataFrame:
    names = [c for c in OUTCOMES if has_cost or not c.startswith("cost")]
    parts = []
    for h in horizons:
        part = wide[["customer_id"] + [f"{c}_{h}" for c in names]].copy()
        part.columns = ["customer_id"] + names
        part.insert(1, "horizon", int(h))
        parts.append(part)
    if parts:
        t = pd.concat(parts, ignore_index=True)
    else:
        t = pd.DataFrame(columns=["customer_id", "horizon"] + names)
    t["customer_id"] = t["customer_id"].astype(str)
    t["horizon"] = t["horizon"].astype("int64")
    t["orders"] = t["orders"].astype("int64")
    t["lapsed"] = t["lapsed"].astype(bool)
    t["channel_switch"] = t["channel_switch"].astype("boolean")
    for c in ("channel_before", "channel_after"):
        t[c] = pd.Categorical(t[c], categories=list(channels)) if channels else pd.Series(pd.NA, index=t.index,
                                                                                          dtype=object)
    for c in names:
        if c.startswith(("revenue", "cost")):
            t[c] = t[c].astype(float)
    return t.set_index(["customer_id", "horizon"]).sort_index()


def _roles(spec: BehaviourSpec):
    tx = spec.transactions
    roles = dict(tx.columns)
    channels = tuple(dict.fromkeys(tx.channels.values())) if "channel" in roles else ()
    typed = {roles["date"]: "DATE", roles["value"]: "DOUBLE"}
    for r in ("quantity", "delivery_cost", "handling_cost"):
        if r in roles:
            typed[roles[r]] = "DOUBLE"
    has_cost = any(r in roles for r in ("delivery_cost", "handling_cost"))
    return tx, roles, channels, typed, has_cost


def forward_outcomes(spec: BehaviourSpec, root, as_of, *, horizons=FORWARD_HORIZONS, slack_days: int = 7,
                     threads: int = 2, memory_limit: str = "1GB", spark=None) -> ForwardOutcomes:
    """Per-customer outcomes after ``as_of`` over each horizon the data cover.

    Parameters
    ----------
    spec : BehaviourSpec
        The study's ``behaviour:`` section.
    root : path
        Folder the source paths are relative to (the study folder).
    as_of : date or str
        The wave's reference date.
    horizons : sequence of int, default=:data:`workbench.study.spec.FORWARD_HORIZONS`
        Months after the reference date (the study's default, 6 and 12).
    slack_days : int, default=7
        A horizon counts as covered when the last line is at most this many days before
        its end (an export cut a few days short).
    threads, memory_limit
        DuckDB settings.
    spark : pyspark.sql.SparkSession, optional
        Run on this session (as :func:`~workbench.behaviour.customer_features`); by
        default ``spec.engine`` chooses.

    Returns
    -------
    ForwardOutcomes
    """
    t0 = time.perf_counter()
    as_of = pd.Timestamp(as_of).date()
    horizons = tuple(sorted({int(h) for h in horizons}))
    if not horizons or min(horizons) < 1:
        raise ValueError(f"horizons must be whole months of at least 1, got {horizons!r}")
    tx, roles, channels, typed, has_cost = _roles(spec)
    if spark is not None or spec.engine == "spark":
        return _forward_spark(spec, Path(root), as_of, horizons, slack_days, spark, t0)
    if tx.file is None:
        raise DataError("the DuckDB engine reads a transactions file: give behaviour.transactions.file, or "
                        "engine: spark for a table")
    con = connect(threads, memory_limit)
    try:
        f = open_source(tx, Path(root), "transactions", con)
        require_columns(f, roles, "behaviour.transactions.columns")
        scan, params = scan_sql(f, typed)
        lines, _ = lines_sql(tx, roles, channels, scan, as_of)
        try:
            con.execute(f"CREATE TEMP TABLE orders AS {orders_sql(lines)}", params | {"ref": as_of})
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            raise conversion_error(exc, f, con, typed, roles) from None
        except duckdb.OutOfMemoryException as exc:
            raise DataError(f"DuckDB ran out of memory reading the transactions ({first_line(exc)}); raise "
                            "memory_limit or free memory", file=f.path) from None
        data_end = con.execute("SELECT max(d) FROM orders WHERE status < 2").fetchone()[0]
        covered, skipped = horizon_coverage(as_of, data_end, horizons, slack_days)
        sql, qparams = forward_sql(spec, channels, as_of, covered, has_cost=has_cost)
        wide = con.execute(sql, qparams).df() if covered else pd.DataFrame({"customer_id": []})
    finally:
        con.close()
    return _result(wide, covered, skipped, has_cost, channels, as_of, data_end, sql, t0)


def _result(wide, covered, skipped, has_cost, channels, as_of, data_end, sql, t0) -> ForwardOutcomes:
    table = _tidy(wide, covered, has_cost, channels)
    seconds = time.perf_counter() - t0
    for s in skipped:
        logger.info("forward outcomes: %s", s)
    logger.info("forward outcomes: %d customers over %s months after %s in %.1f s",
                table.index.get_level_values(0).nunique(), ", ".join(map(str, covered)) or "no", as_of, seconds)
    return ForwardOutcomes(table=table, as_of=as_of, data_end=pd.Timestamp(data_end).date() if data_end else None,
                           horizons=covered, skipped=skipped, sql=sql, seconds=seconds)


def _forward_spark(spec, root, as_of, horizons, slack_days, session, t0) -> ForwardOutcomes:
    """The same query on Spark (the orders relation as the Spark feature engine builds it)."""
    tx, roles, channels, typed, has_cost = _roles(spec)
    spark = spark_session(spec, session)
    df, what, path = _source(spark, tx, root)
    missing = [(r, c) for r, c in roles.items() if c not in df.columns]
    if missing:
        role, col = missing[0]
        raise DataError(f"the transactions ({what}) have no column '{col}' (mapped as {role} under "
                        "behaviour.transactions.columns)", file=path, column=col)
    df.createOrReplaceTempView(VIEWS["source"])
    lines, _ = lines_sql(tx, roles, channels, _typed_scan(df, typed, tx.date_format), as_of)
    orders = spark.sql(transpile(orders_sql(lines), {"ref": as_of}, "spark", tables={"source": VIEWS["source"]}))
    orders = orders.persist()
    orders.createOrReplaceTempView(VIEWS["orders"])
    try:
        data_end = spark.sql(f"SELECT max(d) FROM {VIEWS['orders']} WHERE status < 2").first()[0]
        covered, skipped = horizon_coverage(as_of, data_end, horizons, slack_days)
        sql, params = forward_sql(spec, channels, as_of, covered, has_cost=has_cost)
        spark_sql = transpile(sql, params, "spark", tables={"orders": VIEWS["orders"]})
        wide = spark.sql(spark_sql).toPandas() if covered else pd.DataFrame({"customer_id": []})
    finally:
        orders.unpersist()
    return _result(wide, covered, skipped, has_cost, channels, as_of, data_end, spark_sql if covered else "", t0)
