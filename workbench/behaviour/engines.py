"""Where the feature SQL runs.

The rules are written once, as DuckDB SQL (:mod:`workbench.behaviour.rules`). DuckDB, the
embedded default, runs that text as it is. Any other engine gets the same text translated
by `SQLGlot <https://sqlglot.com>`_: :func:`transpile` parses the DuckDB SQL, puts the
bound parameters (``$ref``, ``$win``, ...) in as typed literals, renames the working
relations if asked, and writes the target dialect (``spark``; the whole-base scoring of
:mod:`workbench.waves.sql` uses the same route for Snowflake and BigQuery).

Why SQLGlot rather than Ibis: with one SQL text the DuckDB path is the query it always
was (same plan, same speed, same numbers), the Spark query is visible and reviewable
(:attr:`CustomerFeatures.sql`), and no second, expression-level definition of the rules
has to be kept in step with the first. Ibis would rebuild every rule as Python
expressions and compile them for each backend, including DuckDB, so the embedded path
itself would change.

Ties in quantile scores are broken inside the SQL, identically on every engine: a score
is ``1 + floor(bins * (row_number() - 1) / n)`` over a *total* order (the measure, then
the other two measures, then the customer id; money compared rounded to 1e-6 so that sums
added up in a different order on another engine tie alike), and cost tertiles order by
the measure rounded to 1e-9, then the customer id. String order is binary (UTF-8 bytes)
on DuckDB and on Spark alike.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping

__all__ = ["ENGINES", "transpile"]

#: The engines that compute the behavioural features.
ENGINES = ("duckdb", "spark")


def _literal(value):
    from sqlglot import exp

    if isinstance(value, _dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(repr(value))
    return exp.Literal.string(str(value))


def transpile(sql: str, params: Mapping | None = None, dialect: str = "spark", *,
              tables: Mapping[str, str] | None = None, pretty: bool = False) -> str:
    """The DuckDB query ``sql`` in another SQL dialect.

    Parameters
    ----------
    sql : str
        One query in DuckDB SQL, with ``$name`` parameters.
    params : mapping, optional
        Values of the parameters (dates, numbers, strings), written in as literals.
    dialect : str, default='spark'
        A SQLGlot dialect (``spark``, ``databricks``, ``snowflake``, ``bigquery``, ...).
    tables : mapping of str to str, optional
        Unqualified table names to replace (e.g. ``{"orders": "wb_orders"}``).
    pretty : bool, default=False

    Returns
    -------
    str
    """
    import sqlglot
    from sqlglot import exp

    params = dict(params or {})
    tables = dict(tables or {})
    tree = sqlglot.parse_one(sql, read="duckdb")

    def fix(node):
        if isinstance(node, (exp.Placeholder, exp.Parameter)):
            name = node.name
            if name not in params:
                raise KeyError(f"no value for the SQL parameter ${name}")
            return _literal(params[name])
        if isinstance(node, exp.Anonymous) and node.name.lower() == "try_strptime" and dialect != "duckdb":
            # DuckDB's try_strptime (NULL when the text is no date in the format): SQLGlot
            # writes strptime with the format translated (Spark: to_timestamp with a Java
            # pattern); its safe form is the try_ variant of that function
            parsed = exp.StrToTime(this=fix(node.expressions[0].copy()), format=node.expressions[1].copy())
            return sqlglot.parse_one("TRY_" + parsed.sql(dialect=dialect), read=dialect)
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name in tables:
            node = node.copy()
            node.set("this", exp.to_identifier(tables[node.name]))
        return node

    return tree.transform(fix).sql(dialect=dialect, pretty=pretty)
