"""The model step's customer-level outputs: the join's customer id (whatever the survey calls
its key), one segment per customer, and non-respondents placed only by an honest model."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from workbench.steps.model import _customer_table, _respondent_customers, one_per_customer
from workbench.waves.base import fit_base_model
from workbench.waves.inputs import not_better_than_guessing


def _ctx(n_customers=400, n_resp=240, signal=True, seed=0):
    rng = np.random.default_rng(seed)
    cust_ids = [f"{i:05d}" for i in range(1, n_customers + 1)]  # leading zeros: '00042'
    seg = pd.Series(rng.integers(1, 3, n_customers), index=cust_ids)
    x = seg.to_numpy() * 3.0 + rng.normal(0, 1, n_customers) if signal else rng.normal(0, 1, n_customers)
    customers = pd.DataFrame({"spend": x, "region": rng.choice(["n", "s"], n_customers)}, index=cust_ids)
    # integer respondent ids 1..n_resp that are ALSO valid customer numbers ('00001' is not 1):
    # the survey key is called 'kundenr', the join names it customer_id
    resp_ids = pd.Index(range(1, n_resp + 1))
    taken = rng.choice(n_customers, n_resp, replace=False)
    chosen = [cust_ids[i] for i in taken]
    respondents = pd.DataFrame({"kundenr": [int(c) for c in chosen], "customer_id": chosen}, index=resp_ids)
    labels = pd.Series(seg.loc[chosen].to_numpy(), index=resp_ids)
    ctx = SimpleNamespace(behaviour=SimpleNamespace(respondents=respondents, key="kundenr", customers=customers),
                          weighted=SimpleNamespace(data=pd.DataFrame(index=resp_ids)),
                          study=SimpleNamespace(pii=[], spec=SimpleNamespace(min_segment_n=0), key_columns=("kundenr",)),
                          personas=None, profiles=None, accounts=None, account_tracking=None)
    return ctx, labels, customers


def test_respondents_join_on_the_joins_customer_id_not_their_own_ids():
    ctx, labels, customers = _ctx()
    ids = _respondent_customers(ctx)
    assert list(ids) == list(ctx.behaviour.respondents["customer_id"])
    assert not ids.isin([str(i) for i in ctx.behaviour.respondents.index]).any()
    X = customers.reindex(ids.to_numpy())
    X.index = ids.index
    base = fit_base_model(X, labels, numeric=["spend"], categorical=["region"], random_state=1)
    assert base.accuracy > 0.9 and base.refused is None  # the planted behaviour is found
    table = _customer_table(ctx, base, labels, counts={})
    assert len(table) == len(customers)
    survey = table[table["source"] == "survey"]
    assert sorted(survey.index) == sorted(ids)  # '00042', never 42
    assert (survey["segment"].astype(int) == labels.set_axis(ids.to_numpy()).reindex(survey.index)).all()


def test_a_model_no_better_than_guessing_places_no_non_respondent():
    ctx, labels, customers = _ctx(signal=False, seed=3)
    ids = _respondent_customers(ctx)
    X = customers.reindex(ids.to_numpy())
    X.index = ids.index
    base = fit_base_model(X, labels, numeric=["spend"], categorical=["region"], random_state=1)
    assert base.refused is not None and "does not beat guessing" in base.refused
    table = _customer_table(ctx, base, labels, counts={})
    assert set(table["source"]) == {"survey"} and sorted(table.index) == sorted(ids)
    assert "places customers without survey answers" in base.summary().index
    assert str(base.summary().loc["places customers without survey answers", "value"]).startswith("no: ")


def test_the_threshold_needs_five_points_and_two_standard_errors():
    assert not_better_than_guessing(0.60, 0.50, 0.02, 5) is None
    assert not_better_than_guessing(0.54, 0.50, 0.0, 5) is not None  # below 5 points
    assert not_better_than_guessing(0.60, 0.50, 0.15, 5) is not None  # 2 SE = 13.4 points
    assert not_better_than_guessing(0.683, 0.704, 0.03, 5) is not None  # the example: worse than guessing


def test_several_respondents_per_customer_take_the_most_certain_one():
    customers = pd.Series({"r1": "00042", "r2": "00042", "r3": "00042", "r4": "42", "r5": "007"})
    labels = pd.Series({"r1": 1, "r2": 2, "r3": 2, "r4": 3, "r5": 1})
    certainty = pd.Series({"r1": 0.95, "r2": 0.6, "r3": 0.7, "r4": 0.5, "r5": np.nan})
    by, chosen, disagree = one_per_customer(customers, labels, certainty)
    assert by.to_dict() == {"00042": 1, "42": 3, "007": 1}  # '00042' and '42' are different customers
    assert list(chosen) == ["r1", "r4", "r5"] and disagree == 1
    by, chosen, _ = one_per_customer(customers, labels)  # no certainty: the first respondent
    assert by["00042"] == 1 and list(chosen) == ["r1", "r4", "r5"]


def test_relevant_without_erp_uses_survey_behaviour_questions_and_says_when_it_cannot_be_judged():
    from workbench.criteria import LabelCandidate, score_candidates
    from workbench.steps.criteria import criteria_kpis

    rng = np.random.default_rng(5)
    n = 300
    seg = pd.Series(rng.integers(1, 3, n), index=[f"r{i}" for i in range(n)])
    vote = np.where(rng.random(n) < np.where(seg == 1, 0.85, 0.15), 1, 2)  # planted: segment 1 votes 'yes'
    data = pd.DataFrame({"vote": vote, "q1": rng.integers(1, 6, n)}, index=seg.index)
    from workbench.data.readers import Responses
    from workbench.study.model import Column, Scale

    nominal = Scale("vote", "nominal", {1: "yes", 2: "no"}, {})
    likert = Scale("agree", "likert", {i: str(i) for i in range(1, 6)}, {}, 1, 5)
    columns = {"vote": Column("vote", "behaviour", "behaviour", "Voted?", "Voted", nominal),
               "q1": Column("q1", "needs", "needs", "Q1", "Q1", likert)}
    empty = pd.DataFrame(index=seg.index)
    responses = Responses(data, empty, empty, None, empty, columns, pd.DataFrame(), [], [], pd.DataFrame(), "s",
                          "1", [], [])
    study = SimpleNamespace(columns=columns, spec=SimpleNamespace(criteria=SimpleNamespace(kpis=[])), key_columns=())
    ctx = SimpleNamespace(study=study, weighted=responses, clean=responses, behaviour=None)
    kpis = criteria_kpis(ctx)
    assert list(kpis.columns) == ["vote"] and set(kpis["vote"]) == {"yes", "no"}  # nominal: tested as categories
    card = score_candidates([LabelCandidate("planted", seg)], responses, kpis=kpis, basis=["q1"], random_state=0)
    relevant = card.best.checks.set_index("criterion").loc["relevant"]
    assert relevant["status"] == "pass"
    columns["vote"] = Column("vote", "about", "demographics", "Voted?", "Voted", nominal)  # no behavioural measure
    assert criteria_kpis(ctx) is None
    card = score_candidates([LabelCandidate("planted", seg)], responses, kpis=None, basis=["q1"], random_state=0)
    assert "relevant cannot be judged: no behavioural measure" in card.best.checks.set_index(
        "criterion").loc["relevant", "sentence"].lower()
