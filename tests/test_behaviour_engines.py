"""The engine choice in study.yaml, and the one SQL definition translated for Spark (no Java
needed here: the Spark runs are in test_spark_behaviour.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot

from test_behaviour import REF, STUDY, write_study
from workbench.behaviour.engines import transpile
from workbench.behaviour.rules import feature_sql, lines_sql, orders_sql
from workbench.core.errors import StudyError
from workbench.study import load_study


@pytest.mark.parametrize("old, new, message", [
    ("  transactions:\n    file: tx.csv\n", "  transactions:\n    table: erp.lines\n",
     r"behaviour.transactions.table: a table is read by the Spark engine: add engine: spark"),
    ("  transactions:\n    file: tx.csv\n", "  transactions:\n    file: tx.csv\n    table: erp.lines\n",
     r"behaviour.transactions.table: give file: or table:, not both"),
    ("  window_months: 12\n", "  window_months: 12\n  spark: {master: \"local[1]\"}\n",
     r"behaviour.spark: spark: settings are used only with engine: spark"),
    ("  window_months: 12\n", "  window_months: 12\n  engine: flink\n",
     r"behaviour.engine"),
])
def test_engine_settings_are_validated_with_key_paths(tmp_path, old, new, message):
    assert old in STUDY
    folder = write_study(tmp_path / "beh", study=STUDY.replace(old, new))
    with pytest.raises(StudyError, match=message):
        load_study(folder)


def test_a_spark_study_with_a_table_loads(tmp_path):
    text = STUDY.replace("  transactions:\n    file: tx.csv\n",
                         "  engine: spark\n  spark: {master: \"local[1]\"}\n"
                         "  transactions:\n    table: erp.lines\n")
    spec = load_study(write_study(tmp_path / "beh", study=text)).spec.behaviour
    assert spec.engine == "spark" and spec.transactions.table == "erp.lines" and spec.transactions.file is None
    assert spec.spark.master == "local[1]"


def test_the_feature_query_translates_to_spark_with_dates_as_literals(tmp_path):
    spec = load_study(write_study(tmp_path / "beh")).spec.behaviour
    channels = ("Webshop", "Phone", "EDI")
    sql, params = feature_sql(spec, channels, ["EDI", "Webshop"], REF, has_master=True, has_quantity=True)
    spark = transpile(sql, params, "spark", tables={"orders": "wb_orders", "master": "wb_master"})
    tree = sqlglot.parse_one(spark, read="spark")
    tables = {t.name for t in tree.find_all(sqlglot.exp.Table)}
    assert {"wb_orders", "wb_master"} <= tables and "orders" not in tables
    assert "$" not in spark and "CAST('2026-03-31' AS DATE)" in spark and "CAST('2025-09-30' AS DATE)" in spark
    assert " DIV " in spark  # integer division of the quantile positions, as DuckDB's //
    # DuckDB-only constructs are absent from the one definition itself
    for construct in ("EXCLUDE", "REPLACE", "GROUP BY ALL", "::", "['low'"):
        assert construct not in sql
    lines, _ = lines_sql(spec.transactions, dict(spec.transactions.columns), channels, "src", REF)
    orders = transpile(orders_sql(lines), {"ref": REF}, "spark")
    assert "GROUP BY cid, oid, CASE WHEN cancelled THEN 2" in orders
    with pytest.raises(KeyError, match=r"no value for the SQL parameter \$ref"):
        transpile(orders_sql(lines), {}, "spark")
    assert dt.date(2025, 9, 30).isoformat() == str(params["recent"])


def test_features_are_bit_identical_whatever_the_threads(demo_study):
    """Same inputs, same numbers: money is summed as an exact decimal, so the features do not
    depend on how DuckDB's threads split the lines (doubles summed in parallel differ in the
    last bits from run to run). Compared bit for bit, not to a tolerance."""
    import numpy as np
    import pandas as pd

    from workbench.behaviour import customer_features

    study = load_study(demo_study)
    spec, as_of = study.spec.behaviour, study.wave("1").date
    runs = [customer_features(spec, demo_study, as_of, survey_columns=study.columns, threads=t).table
            for t in (1, 4, 4, 2)]
    first = runs[0]
    floats = [c for c in first.columns if pd.api.types.is_float_dtype(first[c])]
    assert {"revenue", "aov", "trend", "cost_share", "return_rate"} <= set(floats)
    for other in runs[1:]:
        assert other.index.equals(first.index)
        for c in first.columns:
            if c in floats:
                a, b = first[c].to_numpy(float), other[c].to_numpy(float)
                assert np.array_equal(a.view(np.int64), b.view(np.int64)), c  # NaN included, bit for bit
            else:
                assert first[c].astype(object).where(first[c].notna(), None).tolist() == \
                    other[c].astype(object).where(other[c].notna(), None).tolist(), c
