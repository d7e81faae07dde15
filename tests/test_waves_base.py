"""The whole customer base: planted behaviour recovered, unseen levels, the CRM table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.core.errors import DataError, OutputError, WorkbenchWarning
from workbench.waves.base import OTHER, BaseModel, fit_base_model, segment_customer_base

INDUSTRIES = ["Bygg & anlæg", "Detailhandel", "Zorg en welzijn", "Industri"]


def planted_base(n=1500, seed=0):
    """Customers in 3 segments: segment 2 spends more (log-normal revenue), segment 3 is
    mostly 'Bygg & anlæg'; a noise number and a noise category tied to nothing."""
    rng = np.random.default_rng(seed)
    seg = rng.integers(1, 4, n)
    revenue = np.exp(rng.normal(8 + 1.6 * (seg == 2), 0.8))
    p_other = np.array([0.1, 0.3, 0.3, 0.3])
    p_bygg = np.array([0.85, 0.05, 0.05, 0.05])
    industry = np.array([rng.choice(INDUSTRIES, p=p_bygg if s == 3 else p_other) for s in seg], dtype=object)
    frame = pd.DataFrame({
        "revenue": revenue,
        "noise": rng.normal(size=n),
        "industry": industry,
        "colour": rng.choice(["rød", "grøn", "blå"], n),
    }, index=pd.Index([f"C{i:05d}" for i in range(n)], name="customer_id"))
    frame.loc[frame.index[::50], "revenue"] = np.nan  # missing values are imputed
    frame.loc[frame.index[::40], "industry"] = None
    return frame, pd.Series(seg, index=frame.index, name="segment")


@pytest.fixture(scope="module")
def planted_model():
    x, y = planted_base()
    return x, y, fit_base_model(x, y, random_state=5)


def test_planted_features_are_recovered(planted_model):
    x, y, model = planted_model
    assert model.numeric == ["revenue", "noise"] and model.categorical == ["industry", "colour"]
    assert model.baseline_accuracy == pytest.approx(y.value_counts(normalize=True).max())
    assert model.accuracy > model.baseline_accuracy + 0.25
    pre = model.preprocessing
    assert pre.loc["revenue", "transform"] == "log1p" and pre.loc["noise", "transform"] == ""
    coef = model.coefficients
    # segment 2 spends more: its revenue coefficient is the largest, and positive
    rev = coef.loc["log1p(revenue)"]
    assert rev[2] > 0 and rev[2] == rev.max() and rev[1] < 0
    # segment 3 is the construction segment
    bygg = coef.loc["industry = Bygg & anlæg"]
    assert bygg[3] > 0 and bygg[3] == bygg.max()
    # the signal terms outweigh the noise terms
    assert coef.loc["noise"].abs().max() < 0.5 * rev.abs().max()
    assert model.agreement_by_segment.loc[3, "recall"] > 0.7
    assert model.confusion.to_numpy().sum() == model.n == len(x)


def test_unseen_and_missing_categories_go_to_other(planted_model):
    x, y, model = planted_model
    assert model.preprocessing.loc["industry", "levels"].endswith(OTHER)
    rows = x.head(3).copy()
    unseen, missing = rows.copy(), rows.copy()
    unseen["industry"] = "Ny branche, aldrig set"
    missing["industry"] = None
    pd.testing.assert_frame_equal(model.predict_proba(unseen), model.predict_proba(missing))
    assert model.predict(unseen).notna().all()
    out = model.classify(unseen)
    assert list(out.columns) == ["segment", "probability", "confident"]
    assert (out["confident"] == (out["probability"] >= model.min_probability)).all()


def test_scorer_matches_an_sklearn_pipeline():
    """Numeric features only (not skewed): median imputation, scaling, logistic regression."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(2)
    n = 800
    y = pd.Series(rng.integers(1, 5, n))
    x = pd.DataFrame({"a": rng.normal(size=n) + 0.8 * (y == 2), "b": rng.normal(size=n) - 0.6 * (y == 4),
                      "c": rng.uniform(-1, 1, n)})
    x.loc[::9, "a"] = np.nan
    model = fit_base_model(x, y, random_state=0, C=0.5)
    assert not model.preprocessing["transform"].eq("log1p").any()
    ref = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                        LogisticRegression(C=0.5, tol=1e-12, max_iter=5000)).fit(x, y)
    np.testing.assert_allclose(model.predict_proba(x).to_numpy(), ref.predict_proba(x), atol=1e-5)


def test_same_seed_and_json_round_trip_give_identical_predictions(planted_model):
    x, y, model = planted_model
    again = fit_base_model(x, y, random_state=5)
    pd.testing.assert_frame_equal(again.coefficients, model.coefficients, check_exact=True)
    assert again.accuracy == model.accuracy
    back = BaseModel.from_dict(json.loads(json.dumps(model.to_dict(), allow_nan=False, ensure_ascii=False)))
    pd.testing.assert_frame_equal(back.predict_proba(x), model.predict_proba(x), check_exact=True)
    assert back.accuracy == model.accuracy and back.segments == model.segments
    with pytest.raises(DataError, match="not the whole-base model"):
        BaseModel.from_dict({"format": "workbench.typing_tool"})


def test_missing_feature_and_bad_values_are_named(planted_model):
    x, y, model = planted_model
    with pytest.raises(DataError, match="lack the column.*revenue") as err:
        model.predict(x.drop(columns="revenue"))
    assert err.value.column == "revenue"
    with pytest.raises(DataError, match="lack the column.*size"):
        fit_base_model(x, y, numeric=["size"])
    bad = x.astype({"noise": object})
    bad.iloc[4, bad.columns.get_loc("noise")] = "mange"
    with pytest.raises(DataError, match="'mange'.*not a number"):
        fit_base_model(bad, y, numeric=["noise"], categorical=["industry"])


def test_customer_base_table(planted_model):
    x, y, model = planted_model
    respondents = y.iloc[:300]  # indexed by customer id
    crm = segment_customer_base(x, respondents, model)
    assert list(crm.columns) == ["segment", "name", "source", "probability", "confident"]
    assert crm.index.equals(x.index) and crm["segment"].notna().all()
    surveyed = crm.loc[respondents.index]
    assert (surveyed["source"] == "survey").all()
    assert (surveyed["segment"] == respondents).all()
    assert surveyed["probability"].isna().all()
    rest = crm.drop(respondents.index)
    assert (rest["source"] == "model").all()
    assert rest["segment"].tolist() == model.predict(x.drop(respondents.index)).tolist()
    # two respondents of one customer who disagree: warned, most common segment wins
    other = 1 if respondents.iloc[0] != 1 else 2
    dup = pd.concat([respondents, pd.Series([other, other], index=[respondents.index[0]] * 2)])
    with pytest.warns(WorkbenchWarning, match="1 customer.* respondents in different segments"):
        crm2 = segment_customer_base(x, dup, model)
    assert crm2.loc[respondents.index[0], "segment"] == other
    with pytest.raises(OutputError, match="personal data.*revenue"):
        segment_customer_base(x, respondents, model, pii=["revenue"])


def test_demo_every_customer_gets_a_segment(demo_run):
    beh, study = demo_run.behaviour, demo_run.study
    membership = demo_run.profiles.membership
    customers = beh.customers
    features = beh.respondents.loc[membership.index, list(customers.columns)]
    model = fit_base_model(features, membership, random_state=study.seed)
    assert model.accuracy > model.baseline_accuracy + 0.1
    assert "cross-validated accuracy" in model.summary().index
    by_customer = pd.Series(membership.to_numpy(), index=beh.respondents.loc[membership.index, beh.key].to_numpy())
    by_customer = by_customer[by_customer.index.notna()]
    # the demo's buying centres: several respondents of one customer in different segments, said once
    with pytest.warns(WorkbenchWarning, match=r"customer\(s\) have respondents in different segments"):
        crm = segment_customer_base(customers, by_customer, model, pii=study.pii)
    assert len(crm) == len(customers) and crm["segment"].notna().all()
    assert not set(study.pii) & set(crm.columns)
    inside = by_customer[by_customer.index.isin(customers.index)]
    inside = inside[~inside.index.duplicated(keep=False)]
    assert len(inside) > 0.5 * len(membership)
    assert (crm.loc[inside.index, "segment"] == inside).all()
    assert (crm.loc[inside.index, "source"] == "survey").all()
    assert (crm["source"] == "model").sum() == len(customers) - crm["source"].eq("survey").sum() > 0
