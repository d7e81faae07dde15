"""The Spark engine computes the same behavioural features as DuckDB (every feature to
1e-9, categories and counts exactly) from one SQL definition translated by SQLGlot: on the
demo's order history, on the hand-computed small study under every rule variant, from a
table of the session; and bad input is refused naming the column.

Skipped, with the reason, only where Java or pyspark is missing (`make test` installs both).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
from spark_support import local_spark, spark_missing

from test_behaviour import REF, write_study
from workbench.behaviour import customer_features
from workbench.core.errors import DataError
from workbench.study import load_study

pytestmark = pytest.mark.skipif(spark_missing() is not None, reason=str(spark_missing()))


@pytest.fixture(scope="module")
def spark():
    return local_spark()


def to_parquet(csv, out, *, as_text=True):
    """The CSV as Parquet written by DuckDB (text columns, as a raw export lands)."""
    duckdb.execute(f"COPY (SELECT * FROM read_csv($p, all_varchar={str(as_text).lower()}, header=true)) "
                   f"TO '{out}' (FORMAT parquet)", {"p": str(csv)})
    return out


def on_spark(spec, parquet=None, **update):
    tx = spec.transactions.model_copy(update={"file": str(parquet)} if parquet else {})
    return spec.model_copy(update={"transactions": tx, "engine": "spark"} | update)


def assert_same_features(a: pd.DataFrame, b: pd.DataFrame):
    assert list(a.columns) == list(b.columns)
    assert a.index.equals(b.index)
    for c in a.columns:
        x, y = a[c], b[c]
        assert str(x.dtype) == str(y.dtype), c
        if pd.api.types.is_float_dtype(x):
            assert (x.isna() == y.isna()).all(), c
            np.testing.assert_allclose(y.to_numpy(float), x.to_numpy(float), rtol=0, atol=1e-9, err_msg=c)
        else:
            assert x.astype(object).where(x.notna(), None).tolist() == y.astype(object).where(y.notna(), None).tolist(), c


@pytest.mark.slow
def test_spark_equals_duckdb_on_the_demo_history(demo_study, spark, tmp_path):
    study = load_study(demo_study)
    spec, as_of = study.spec.behaviour, study.wave("1").date
    duck = customer_features(spec, demo_study, as_of, survey_columns=study.columns)
    pq = to_parquet(demo_study / spec.transactions.file, tmp_path / "tx.parquet")
    sp = customer_features(on_spark(spec, pq), demo_study, as_of, survey_columns=study.columns, spark=spark)
    assert len(duck.table) > 3800 and duck.table["frequency"].gt(0).sum() > 2000
    assert_same_features(duck.table, sp.table)
    assert duck.lines.equals(sp.lines) and duck.later_customers == sp.later_customers
    # the quantile scores have exact, equal-sized bins on both engines (ties broken by a total order)
    scored = sp.table.dropna(subset=["r_score"])
    counts = scored["f_score"].value_counts()
    assert counts.max() - counts.min() <= 1
    assert "DIV" in sp.sql.upper() and "$" not in sp.sql and sp.settings.loc["engine", "value"].startswith("Spark")


RULES = {  # two Spark runs cover every rule variant (a Spark job is slow to start on 2 cores)
    "ties equal, revenue share tiers": lambda s: {"rfm": s.rfm.model_copy(update={
        "ties": "equal", "tiers": s.rfm.tiers.model_copy(update={"rule": "revenue_share", "gold": 0.5, "silver": 0.9})})},
    "cost thresholds per order, returns excluded, no master": lambda s: {
        "cost_to_serve": s.cost_to_serve.model_copy(update={"rule": "thresholds", "thresholds": [5.0, 10.0],
                                                            "measure": "per_order"}),
        "transactions": s.transactions.model_copy(update={"returns": "exclude"}), "customers": None},
}


@pytest.mark.parametrize("variant", list(RULES))
def test_spark_equals_duckdb_under_every_rule(variant, spark, tmp_path):
    folder = write_study(tmp_path / "beh")
    study = load_study(folder)
    spec = study.spec.behaviour
    spec = spec.model_copy(update=RULES[variant](spec))
    duck = customer_features(spec, folder, REF, survey_columns=study.columns)
    pq = to_parquet(folder / "tx.csv", tmp_path / "tx.parquet")
    sp = customer_features(on_spark(spec, pq), folder, REF, survey_columns=study.columns, spark=spark)
    assert_same_features(duck.table, sp.table)
    assert duck.lines.equals(sp.lines)
    if variant.startswith("ties equal"):  # the hand computations of tests/test_behaviour.py, on Spark
        assert sp.table.loc[["C", "B", "D", "F", "A"], "f_score"].tolist() == [1, 2, 2, 2, 5]
        assert sp.table["rfm_tier"].astype(str).to_dict() == {
            "A": "gold", "B": "gold", "C": "bronze", "D": "silver", "E": "no purchases", "F": "silver"}
    else:
        assert sp.table["cost_tier"].notna().sum() >= 4 and sp.table["cost_tier"].nunique() >= 2


def test_spark_reads_a_table_of_the_session_and_typed_parquet(spark, tmp_path):
    folder = write_study(tmp_path / "beh")
    study = load_study(folder)
    spec = study.spec.behaviour
    duck = customer_features(spec, folder, REF, survey_columns=study.columns).table
    pq = to_parquet(folder / "tx.csv", tmp_path / "typed.parquet", as_text=False)  # DATE and DOUBLE columns
    spark.read.parquet(str(pq)).createOrReplaceTempView("erp_order_lines")
    tx = spec.transactions.model_copy(update={"file": None, "table": "erp_order_lines"})
    sp = customer_features(spec.model_copy(update={"transactions": tx, "engine": "spark"}), folder, REF,
                           survey_columns=study.columns, spark=spark)
    assert_same_features(duck, sp.table)
    assert sp.sources.loc["transactions", "file"] == "table erp_order_lines"


def test_spark_refuses_a_text_date_naming_the_column(spark, tmp_path):
    folder = write_study(tmp_path / "beh")
    spec = load_study(folder).spec.behaviour
    text = (folder / "tx.csv").read_text(encoding="utf-8").replace("2025-12-15", "15.12.2025")
    (folder / "tx.csv").write_text(text, encoding="utf-8")
    pq = to_parquet(folder / "tx.csv", tmp_path / "tx.parquet")
    with pytest.raises(DataError, match=r"found '15.12.2025' where a date in YYYY-MM-DD \(ISO\) is expected "
                                        r"\(date\) in 1 line") as exc:
        customer_features(on_spark(spec, pq), folder, REF, spark=spark)
    assert exc.value.column == "dato"


def test_spark_reads_a_declared_date_format(spark, tmp_path):
    folder = write_study(tmp_path / "beh")
    study = load_study(folder)
    spec = study.spec.behaviour
    duck = customer_features(spec, folder, REF, survey_columns=study.columns).table
    frame = pd.read_csv(folder / "tx.csv", dtype=str, keep_default_na=False)
    frame["dato"] = pd.to_datetime(frame["dato"]).dt.strftime("%d-%m-%Y")
    frame.to_parquet(tmp_path / "dk.parquet")
    tx = spec.transactions.model_copy(update={"file": str(tmp_path / "dk.parquet"), "date_format": "%d-%m-%Y"})
    sp = customer_features(spec.model_copy(update={"transactions": tx, "engine": "spark"}), folder, REF,
                           survey_columns=study.columns, spark=spark).table
    assert_same_features(duck, sp)
    assert sp.loc["A", "last_purchase"] == pd.Timestamp(dt.date(2026, 3, 1))


@pytest.mark.parametrize("column,value,needle", [
    ("beløb", "inf", "the value is not a finite number: 'Infinity'"),
    ("antal", "NaN", "the quantity is not a finite number: 'NaN'"),
    ("fragt", "-5.00", "a negative delivery cost: costs are zero or more: '-5.0'"),
    ("håndtering", "-Infinity", "the handling cost is not a finite number"),
    ("antal", "-3", "a negative quantity on a line with a positive value"),
    ("dato", "1066-10-14", "not a plausible order date"),
])
def test_spark_refuses_impossible_values_as_duckdb_does(spark, tmp_path, column, value, needle):
    """Issue 14's value checks on the Spark engine: the same messages as DuckDB's, naming the
    column and an example customer (B's line is the one edited)."""
    folder = write_study(tmp_path / "beh")
    spec = load_study(folder).spec.behaviour
    frame = pd.read_csv(folder / "tx.csv", dtype=str, keep_default_na=False)
    frame.loc[frame["ordre"] == "o4", column] = value
    frame.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(DataError, match="line") as exc:
        customer_features(on_spark(spec, tmp_path / "bad.parquet"), folder, REF, spark=spark)
    assert needle in str(exc.value) and "customer B" in str(exc.value), str(exc.value)
    assert exc.value.column == column
    # and the DuckDB engine refuses the same file for the same reason
    tx = spec.transactions.model_copy(update={"file": str(tmp_path / "bad.parquet")})
    with pytest.raises(DataError) as duck:
        customer_features(spec.model_copy(update={"transactions": tx}), folder, REF)
    assert needle.split(":")[0] in str(duck.value) and duck.value.column == column
