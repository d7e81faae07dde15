"""The feature rules, once: SQL text (DuckDB dialect) that every engine runs.

:func:`lines_sql`, :func:`orders_sql` and :func:`feature_sql` write the rules of
:mod:`workbench.behaviour` as plain SQL over two relations, ``orders`` (one row per
customer, order and status) and ``master`` (customer id, first order date). DuckDB runs
the text as it is; other engines run it through SQLGlot (:mod:`workbench.behaviour.engines`),
so the SQL keeps to what both dialects share: explicit column lists (no ``* EXCLUDE`` /
``* REPLACE``), ``CASE`` instead of list indexing, named parameters (``$ref``) for dates.
"""

from __future__ import annotations

import datetime as _dt
import re

import pandas as pd

from ..study import BehaviourSpec, TransactionsSource

TIERS = ("gold", "silver", "bronze", "no purchases")
#: The type money and quantities are summed in: a fixed-point decimal, so a sum does not
#: depend on the order the lines are added in (doubles summed by parallel threads or
#: Spark executors differ in the last bits from run to run). Values are rounded to 1e-6
#: once, per line; every sum is exact; features are DOUBLE again after the sums.
MONEY = "DECIMAL(38, 6)"
COST_TIERS = ("low", "medium", "high")


def channel_slug(name: str) -> str:
    """Feature-name form of a channel name: ``"Field sales"`` -> ``"field_sales"``."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", str(name).strip().lower()).strip("_")
    return slug or "channel"


def sql_literal(value) -> str:
    """A SQL string literal (study settings only; file paths are always bound)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'



def _months_before(day: _dt.date, months: int) -> _dt.date:
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def _tier_cuts(spec: BehaviourSpec) -> tuple[float, float]:
    t, b = spec.rfm.tiers, spec.rfm.bins
    if t.rule == "score_sum":
        return (t.gold if t.gold is not None else (12 if b == 5 else round(2.4 * b)),
                t.silver if t.silver is not None else (8 if b == 5 else round(1.6 * b)))
    return (t.gold if t.gold is not None else 0.5, t.silver if t.silver is not None else 0.8)


def settings_table(spec: BehaviourSpec, as_of, channels, digital) -> pd.DataFrame:
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


def lines_sql(tx: TransactionsSource, roles, channels, scan: str, as_of) -> tuple[str, dict]:
    """The typed, projected order lines (one pass over the file)."""
    c = {r: sql_ident(col) for r, col in roles.items()}
    cid = f"trim(CAST({c['customer_id']} AS VARCHAR))"
    oid = f"CAST({c['order_id']} AS VARCHAR)" if "order_id" in roles else f"CAST({c['date']} AS VARCHAR)"
    if channels:
        raw = f"trim(CAST({c['channel']} AS VARCHAR))"
        idx = {name: i for i, name in enumerate(channels)}
        whens = [f"WHEN {sql_literal(code)} THEN {idx[name]}" for code, name in tx.channels.items()]
        whens += [f"WHEN {sql_literal(name)} THEN {i}" for name, i in idx.items() if name not in tx.channels]
        ch = f"CASE {raw} {' '.join(whens)} END"
        ch_raw = raw
    else:
        ch, ch_raw = "0", "NULL"
    cost_parts = [f"coalesce({c[r]}, 0)" for r in ("delivery_cost", "handling_cost") if r in roles]
    cost = " + ".join(cost_parts) if cost_parts else "0"
    qty = c["quantity"] if "quantity" in roles else "NULL"
    cur = f"trim(CAST({c['currency']} AS VARCHAR))" if "currency" in roles else "NULL"
    if "status" in roles and tx.cancelled:
        cancelled = f"coalesce(trim(CAST({c['status']} AS VARCHAR)) IN ({', '.join(sql_literal(v) for v in tx.cancelled)}), false)"
    else:
        cancelled = "false"
    sql = (
        f"SELECT {cid} AS cid, {oid} AS oid, {c['date']} AS d, {c['value']} AS v, "
        f"{ch} AS ch, {ch_raw} AS ch_raw, CAST({cost} AS DOUBLE) AS cost, CAST({qty} AS DOUBLE) AS qty, "
        f"{cur} AS cur, {cancelled} AS cancelled FROM {scan}"
    )
    return sql, {}


def orders_sql(lines: str) -> str:
    """One row per (customer, order, status): sums and counters, in one pass over the file.

    ``status`` 0 = used, 1 = dated after the reference date, 2 = cancelled. Plain
    aggregates only (filtered aggregates cost twice as much on ten million lines). An
    order's channel is the channel its lines name (if they differ: the first in study order).
    Money and quantities are added up as :data:`MONEY` (exact: the same sums whatever order
    the threads or executors add the lines in).
    """
    return f"""
SELECT cid, oid, CASE WHEN cancelled THEN 2 WHEN d > $ref THEN 1 ELSE 0 END AS status,
  min(d) AS d, sum(CAST(greatest(v, 0) AS {MONEY})) AS gross, sum(CAST(greatest(-v, 0) AS {MONEY})) AS returned,
  sum(CAST(cost AS {MONEY})) AS cost, sum(CAST(qty AS {MONEY})) AS units, min(ch) AS ch,
  count(*) AS n_lines, count(d) AS n_date, count(v) AS n_value, count(ch) AS n_channel,
  min(cur) AS cur_min, max(cur) AS cur_max
FROM ({lines})
GROUP BY cid, oid, CASE WHEN cancelled THEN 2 WHEN d > $ref THEN 1 ELSE 0 END"""



def check_lines_sql() -> str:
    """Counts over ``orders`` for the checks: lines, blank ids, dates, values, channels,
    currencies, cancelled, after the reference date, return orders."""
    return (
        "SELECT sum(n_lines), coalesce(sum(n_lines) FILTER (WHERE cid IS NULL OR cid = ''), 0), "
        "sum(n_lines - n_date), sum(n_lines - n_value), sum(n_lines - n_channel), count(DISTINCT cur_min), "
        "coalesce(bool_or(cur_min <> cur_max), false), coalesce(sum(n_lines) FILTER (WHERE status = 2), 0), "
        "coalesce(sum(n_lines) FILTER (WHERE status = 1), 0), "
        "count(*) FILTER (WHERE status = 0 AND returned > 0 AND gross = 0) FROM orders"
    )


def _tier_sql(spec: BehaviourSpec, scored: str, gold, silver) -> tuple[str, str]:
    """The RFM tier expression and the window columns it needs: by the sum of the R, F and M
    scores, or by the customers' cumulative share of revenue (``rfm.tiers.rule``)."""
    if spec.rfm.tiers.rule == "score_sum":
        tier = (
            f"CASE WHEN r_score IS NULL THEN 'no purchases' WHEN r_score + f_score + m_score >= {float(gold)} THEN 'gold' "
            f"WHEN r_score + f_score + m_score >= {float(silver)} THEN 'silver' ELSE 'bronze' END"
        )
        return tier, ""
    tier_cols = (
        f",\n    sum(pos_rev) OVER (PARTITION BY {scored} ORDER BY pos_rev DESC RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
        f" - sum(pos_rev) OVER (PARTITION BY {scored}, pos_rev) AS rev_above"
        f",\n    sum(pos_rev) OVER (PARTITION BY {scored}) AS rev_total"
    )
    tier = (
        f"CASE WHEN r_score IS NULL THEN 'no purchases' WHEN pos_rev > 0 AND rev_above < {float(gold)} * rev_total THEN 'gold' "
        f"WHEN pos_rev > 0 AND rev_above < {float(silver)} * rev_total THEN 'silver' ELSE 'bronze' END"
    )
    return tier, tier_cols


def _cost_tier_sql(spec: BehaviourSpec) -> str:
    """The cost-to-serve tier expression: tertiles of the measure, or the study's thresholds."""
    cs = spec.cost_to_serve
    measure = "cost_share" if cs.measure == "share_of_revenue" else "cost_per_order"
    if cs.rule == "tertiles":
        tertile = (f"(3 * (row_number() OVER (PARTITION BY {measure} IS NOT NULL ORDER BY round({measure}, 9), cid)"
                   f" - 1)) // count(*) OVER (PARTITION BY {measure} IS NOT NULL)")
        return (f"CASE WHEN {measure} IS NULL THEN NULL WHEN {tertile} = 0 THEN 'low' "
                f"WHEN {tertile} = 1 THEN 'medium' ELSE 'high' END")
    t1, t2 = (float(x) for x in cs.thresholds)
    return (f"CASE WHEN {measure} IS NULL THEN NULL WHEN {measure} < {t1} THEN 'low' "
            f"WHEN {measure} < {t2} THEN 'medium' ELSE 'high' END")


def _channel_sql(channels, digital) -> tuple[str, str, str]:
    """Per channel the orders' and revenue's shares (columns), the dominant channel and the
    digital share of orders (expressions)."""
    k = len(channels)
    shares = "".join(
        f",\n    CASE WHEN frequency > 0 THEN n_ch{i} / frequency END AS {sql_ident('orders_share_' + channel_slug(ch))}"
        f",\n    CASE WHEN revenue > 0 THEN r_ch{i} / revenue END AS {sql_ident('revenue_share_' + channel_slug(ch))}"
        for i, ch in enumerate(channels)
    )
    dig_idx = [channels.index(d) for d in digital]
    if not k:
        return shares, "CAST(NULL AS VARCHAR)", "CAST(NULL AS DOUBLE)"

    # channel i wins when it beats every other on (purchases, revenue, study order)
    def beats(i, j):
        return (f"(n_ch{i} > n_ch{j} OR (n_ch{i} = n_ch{j} AND (r_ch{i} > r_ch{j} OR "
                f"(r_ch{i} = r_ch{j} AND {int(i < j)} = 1))))")

    whens = " ".join(
        f"WHEN {' AND '.join([beats(i, j) for j in range(k) if j != i] or ['true'])} THEN {sql_literal(channels[i])}"
        for i in range(k)
    )
    digital_sql = (f"CASE WHEN frequency > 0 THEN ({' + '.join(f'n_ch{i}' for i in dig_idx) or '0'}) / frequency END"
                   if dig_idx else "CAST(NULL AS DOUBLE)")
    return shares, f"CASE WHEN frequency = 0 THEN NULL {whens} END", digital_sql


def feature_sql(spec: BehaviourSpec, channels, digital, as_of, *, has_master: bool, has_quantity: bool):
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
        else "(SELECT CAST(NULL AS VARCHAR) AS cid, CAST(NULL AS DATE) AS first_order WHERE false) m "
        "RIGHT JOIN cust c ON m.cid = c.cid"
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
    tier, tier_cols = _tier_sql(spec, scored, gold, silver)
    cost_tier = _cost_tier_sql(spec)
    shares, dom_sql, digital_sql = _channel_sql(channels, digital)

    sums = ["frequency", "revenue", "gross_revenue", "returns_value", "cost_to_serve", "revenue_recent",
            "revenue_previous"] + (["units"] if has_quantity else [])
    per_channel = [f"{x}_ch{i}" for i in range(k) for x in ("n", "r")]
    cust_cols = ", ".join(f"c.{x}" for x in ["first_purchase", "last_purchase"] + sums + per_channel)
    counts = {"frequency"} | {f"n_ch{i}" for i in range(k)}
    as_double = lambda x: x if x in counts else f"CAST({x} AS DOUBLE)"  # noqa: E731 - exact sums back to DOUBLE
    filled_cols = ", ".join([f"coalesce({as_double(x)}, 0) AS {x}" for x in sums if x != "units"]
                            + ([f"{as_double('units')} AS units"] if has_quantity else [])
                            + [f"{as_double(x)} AS {x}" for x in per_channel])
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
    m.first_order AS master_first_order, {cust_cols}
  FROM {base_join}
  WHERE c.cid IS NOT NULL OR m.first_order IS NULL OR m.first_order <= $ref
),
filled AS (
  SELECT cid, in_master, in_transactions, master_first_order, first_purchase, last_purchase,
    {filled_cols}
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
    CAST(round(greatest(revenue, 0), 6) AS {MONEY}) AS pos_rev
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

