"""Frozen scorers compiled to SQL (workbench.waves.sql, `workbench export-sql`): the DuckDB
and Spark queries give the Python scorers' segments on every demo customer / respondent and
their probabilities to 1e-9; the Snowflake and BigQuery queries parse with SQLGlot; the
command writes the file and refuses bad input in one line."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlglot
from spark_support import local_spark, spark_missing

from workbench.cli import main
from workbench.waves.base import BaseModel
from workbench.waves.golden import TypingTool
from workbench.waves.sql import DIALECTS, base_model_sql, typing_tool_sql


@pytest.fixture(scope="module")
def scorers(demo_run):
    att = json.loads((demo_run.folder / "model.json").read_text(encoding="utf-8"))["attachments"]
    return BaseModel.from_dict(att["base_model"]), TypingTool.from_dict(att["typing_tool"]), att


@pytest.fixture(scope="module")
def customers(demo_run, scorers):
    """The demo's customer base as a warehouse would hold it: plain text, numbers, booleans."""
    base, _, _ = scorers
    t = demo_run.behaviour.customers[base.features].copy()
    for c in t.columns:
        if isinstance(t[c].dtype, pd.CategoricalDtype):
            t[c] = t[c].astype(object).where(t[c].notna(), None)
    t.index.name = "customer_id"
    return t.reset_index()


@pytest.fixture(scope="module")
def answers(demo_run, scorers):
    """Respondents' golden answers, with planted gaps: some skipped questions, one row with none."""
    _, tool, _ = scorers
    a = demo_run.clean.data[list(tool.questions)].astype(float).copy()
    rng = np.random.default_rng(5)
    a = a.mask(rng.random(a.shape) < 0.1)
    a.iloc[0] = np.nan
    a.index.name = "respondent_id"
    return a.reset_index()


def check_base(result: pd.DataFrame, customers: pd.DataFrame, base: BaseModel):
    result = result.set_index("customer_id").loc[customers["customer_id"]]
    py = base.classify(customers.set_index("customer_id"))
    proba = base.predict_proba(customers.set_index("customer_id"))
    assert (result["segment"].astype(int).to_numpy() == py["segment"].astype(int).to_numpy()).all()
    np.testing.assert_allclose(result["probability"].to_numpy(float), py["probability"].to_numpy(), rtol=0, atol=1e-9)
    p_cols = [c for c in result.columns if c.startswith("p_")]
    np.testing.assert_allclose(result[p_cols].to_numpy(float), proba.to_numpy(), rtol=0, atol=1e-9)
    assert (result["confident"].astype(bool).to_numpy() == py["confident"].to_numpy()).all()
    names = result["name"].tolist()
    assert names == [base.segment_names[s] for s in py["segment"].astype(int)]


def check_typing(result: pd.DataFrame, answers: pd.DataFrame, tool: TypingTool):
    result = result.set_index("respondent_id").loc[answers["respondent_id"]]
    py = tool.classify(answers.set_index("respondent_id"))
    assert result["segment"].isna().tolist() == py["segment"].isna().tolist() and py["segment"].isna().sum() == 1
    ok = py["segment"].notna().to_numpy()
    assert (result["segment"][ok].astype(int).to_numpy() == py["segment"][ok].astype(int).to_numpy()).all()
    np.testing.assert_allclose(result["probability"][ok].to_numpy(float), py["probability"][ok].to_numpy(),
                               rtol=0, atol=1e-9)
    assert (result["skipped"].astype(int).to_numpy() == py["skipped"].to_numpy()).all()
    p_cols = [c for c in result.columns if c.startswith("p_")]
    np.testing.assert_allclose(result[p_cols][ok].to_numpy(float), tool.predict_proba(answers.set_index(
        "respondent_id")).to_numpy()[ok], rtol=0, atol=1e-9)


@pytest.mark.slow
def test_duckdb_query_scores_every_demo_customer_as_the_python_model(scorers, customers):
    base, _, _ = scorers
    assert base.numeric and base.categorical  # logs, medians, booleans and text levels are all exercised
    assert any(base.prep.log) and {"lapsed", "active"} & set(base.categorical)
    con = duckdb.connect()
    con.register("customers", customers)
    result = con.execute(base_model_sql(base, dialect="duckdb")).df()
    assert len(result) == len(customers) > 3800
    check_base(result, customers, base)
    # the segment differs between customers: the query is not answering one segment for all
    assert result["segment"].nunique() >= 3


@pytest.mark.slow
def test_duckdb_typing_query_matches_the_typing_tool(scorers, answers):
    _, tool, _ = scorers
    con = duckdb.connect()
    con.register("respondents", answers)
    check_typing(con.execute(typing_tool_sql(tool, dialect="duckdb")).df(), answers, tool)


@pytest.mark.slow
@pytest.mark.skipif(spark_missing() is not None, reason=str(spark_missing()))
def test_spark_queries_score_as_the_python_scorers(scorers, customers, answers):
    base, tool, _ = scorers
    spark = local_spark()
    spark.createDataFrame(customers).createOrReplaceTempView("crm_customers")
    result = spark.sql(base_model_sql(base, table="crm_customers", dialect="spark")).toPandas()
    check_base(result, customers, base)
    spark.createDataFrame(answers).createOrReplaceTempView("survey_answers")
    check_typing(spark.sql(typing_tool_sql(tool, table="survey_answers", dialect="spark")).toPandas(), answers, tool)


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["snowflake", "bigquery"])
def test_warehouse_dialects_parse(scorers, dialect):
    base, tool, _ = scorers
    for sql in (base_model_sql(base, table="crm.segments.customers", dialect=dialect),
                typing_tool_sql(tool, dialect=dialect)):
        tree = sqlglot.parse_one(sql, read=dialect)
        assert isinstance(tree, sqlglot.exp.Select)
        # the softmax survives transpilation: exp() of the scores less their row maximum
        # (Snowflake spells it GREATEST_IGNORE_NULLS; the scores are never NULL)
        assert tree.find(sqlglot.exp.Exp) is not None and tree.find(sqlglot.exp.Greatest) is not None


def test_softmax_is_stable_for_huge_scores():
    # scores of 800 overflow exp() unless the maximum is subtracted first
    doc = {"format": "workbench.typing_tool", "version": 1, "questions": ["q1"], "segments": [1, 2],
           "segment_names": ["Eins", "Zwei"], "intercepts": [0.0, 0.0], "coefficients": [[100.0], [99.0]],
           "item_means": [3.0]}
    tool = TypingTool.from_dict(doc)
    frame = pd.DataFrame({"respondent_id": ["a", "b"], "q1": [8.0, -8.0]})
    con = duckdb.connect()
    con.register("respondents", frame)
    out = con.execute(typing_tool_sql(tool)).df().set_index("respondent_id")
    assert out.loc["a", "segment"] == 1 and out.loc["b", "segment"] == 2
    assert out.loc["a", "probability"] == pytest.approx(1 / (1 + np.exp(-8)), abs=1e-12)
    assert out.loc["a", "name"] == "Eins"


@pytest.mark.slow
def test_export_sql_command_writes_each_dialect(demo_run, tmp_path, capsys):
    model = demo_run.folder / "model.json"
    for dialect in DIALECTS:
        out = tmp_path / f"score_{dialect}.sql"
        assert main(["export-sql", "--model", str(model), "--dialect", dialect, "-o", str(out)]) == 0
        sql = out.read_text(encoding="utf-8")
        assert sql.rstrip().endswith(";")
        sqlglot.parse_one(sql.rstrip().rstrip(";"), read=dialect)
    assert main(["export-sql", "--model", str(model), "--dialect", "duckdb", "-o", str(out)]) == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert main(["export-sql", "--model", str(model), "--dialect", "klingon"]) == 2
    assert "unknown SQL dialect 'klingon'" in capsys.readouterr().err
    assert main(["export-sql", "--model", str(tmp_path / "nope.json")]) == 2
    assert "model file not found" in capsys.readouterr().err
