"""Forward relevance: the planted lift recovered and a planted null called "no forward
relevance"; AUC, R² and MAE equal to scikit-learn's on the same folds; the Newton logistic
regression equal to scikit-learn's; bias-adjusted segment shares against an independent
BCH computation; the forward line in the scorecard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from workbench import segments
from workbench.criteria import FAIL, NOT_MEASURED, PASS, LabelCandidate
from workbench.criteria.forward import (
    auc, baseline_design, cv_gain, forward_relevance, logistic_fit, with_forward,
)


def planted(n=600, *, lift=1.5, seed=1):
    """Respondents with an ERP history; segment 3 lapses more and segment 2 grows, beyond the
    history (``lift``); channel switching is tied to no segment (a planted null)."""
    rng = np.random.default_rng(seed)
    seg = rng.integers(1, 4, n)
    freq = rng.poisson(4, n)
    rec = rng.integers(1, 300, n)
    rev = np.round(freq * rng.gamma(2, 100, n), 2)
    idx = pd.Index([f"r{i}" for i in range(n)])
    base = pd.DataFrame({"rfm_tier": pd.Categorical(rng.choice(["gold", "silver", "bronze"], n)),
                         "recency_days": rec, "frequency": freq, "revenue": rev,
                         "dominant_channel": rng.choice(["Web", "Phone"], n)}, index=idx)
    eta = -1 + 0.004 * rec - 0.2 * freq + lift * (seg == 3)
    out = pd.DataFrame({"lapsed": rng.random(n) < 1 / (1 + np.exp(-eta)), "orders": freq,
                        "revenue_change": rng.normal(0, 100, n) + 80 * lift * (seg == 2),
                        "channel_switch": pd.array(rng.random(n) < 0.3, dtype="boolean")}, index=idx)
    return pd.Series(seg, index=idx), base, out


def test_planted_lift_is_recovered_and_noise_has_no_forward_relevance():
    labels, base, out = planted()
    noise = pd.Series(np.random.default_rng(5).integers(1, 5, len(labels)), index=labels.index)
    fr = forward_relevance([LabelCandidate("planted", labels), LabelCandidate("noise", noise)], out, base,
                           horizon=12, random_state=3)
    lift = fr.lift.set_index(["candidate", "outcome"])
    assert lift.loc[("planted", "lapsed"), "status"] == PASS and lift.loc[("planted", "lapsed"), "low"] > 0
    assert lift.loc[("planted", "revenue_change"), "status"] == PASS
    assert lift.loc[("planted", "revenue_change"), "gain"] > 0.15  # 80 × 1.5 on a third, sd 100: R² gain ≈ 0.28
    assert lift.loc[("planted", "channel_switch"), "status"] == FAIL  # the planted null
    assert (lift.loc["noise", "status"] == FAIL).all()
    assert fr.verdict("planted")["status"] == PASS and "who stops buying" in fr.verdict("planted")["sentence"]
    assert fr.verdict("noise")["sentence"].startswith("No forward relevance")
    # segment differences: effect sizes and Holm-corrected tests on the same outcomes
    t = fr.tests.set_index(["candidate", "outcome"])
    assert t.loc[("planted", "lapsed"), "differs"] and not t.loc[("noise", "lapsed"), "differs"]
    d = fr.differences.query("candidate == 'planted' and outcome == 'lapsed'").set_index("segment")
    assert d.loc["3", "modal"] > d.loc["1", "modal"] + 0.2 and (d["method"] == "modal assignment").all()
    # seeded: the same seed, the same numbers
    again = forward_relevance([LabelCandidate("planted", labels)], out, base, horizon=12, random_state=3)
    pd.testing.assert_frame_equal(again.lift, fr.lift[fr.lift["candidate"] == "planted"])


def test_an_unrelated_survey_gets_no_forward_relevance_even_when_every_shuffle_runs():
    labels, base, out = planted(lift=0.0, seed=2)
    fr = forward_relevance([LabelCandidate("survey", labels)], out, base, horizon=6, random_state=4,
                           permute_all=True)
    assert (fr.lift["status"] == FAIL).all() and fr.lift["p_permutation"].notna().all()
    assert fr.verdict("survey")["status"] == FAIL


def test_too_few_respondents_or_events_is_not_measured():
    labels, base, out = planted(n=80)
    fr = forward_relevance([LabelCandidate("small", labels)], out, base, horizon=6)
    assert (fr.lift["status"] == NOT_MEASURED).all()
    assert fr.verdict("small")["status"] == NOT_MEASURED
    assert "80 respondents with the outcome, fewer than 100" in fr.verdict("small")["sentence"]


def test_cross_validated_auc_r2_and_mae_equal_scikit_learn_on_the_same_folds():
    labels, base, out = planted(n=300)
    X = baseline_design(base).to_numpy(float)
    S = np.column_stack([(labels == s).to_numpy(float) for s in (2, 3)])
    y = out["lapsed"].to_numpy(float)
    res = cv_gain(X, S, y, binary=True, n_splits=5, n_repeats=2, n_permutations=0, random_state=7)
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=7)
    logit = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, tol=1e-10))
    ref_b = cross_val_score(logit, X, y, cv=cv, scoring="roc_auc").mean()
    ref_w = cross_val_score(logit, np.column_stack([X, S]), y, cv=cv, scoring="roc_auc").mean()
    assert res["baseline"] == pytest.approx(ref_b, abs=1e-6) and res["with_segments"] == pytest.approx(ref_w, abs=1e-6)
    yc = out["revenue_change"].to_numpy(float)
    res = cv_gain(X, S, yc, binary=False, n_permutations=0, random_state=7)
    cv = RepeatedKFold(n_splits=5, n_repeats=2, random_state=7)
    ols = make_pipeline(StandardScaler(), LinearRegression())
    assert res["with_segments"] == pytest.approx(
        cross_val_score(ols, np.column_stack([X, S]), yc, cv=cv, scoring="r2").mean(), abs=1e-9)
    assert res["mae_baseline"] == pytest.approx(
        -cross_val_score(ols, X, yc, cv=cv, scoring="neg_mean_absolute_error").mean(), abs=1e-9)


def test_newton_logistic_and_auc_equal_scikit_learn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (rng.random(400) < 1 / (1 + np.exp(-(X @ [1, -0.5, 0, 0.3, 2] + 0.4)))).astype(float)
    b0, w = logistic_fit(X, y, C=0.5)
    ref = LogisticRegression(C=0.5, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(w, ref.coef_[0], atol=1e-6)
    assert b0 == pytest.approx(ref.intercept_[0], abs=1e-6)
    score = np.round(X[:, 0], 1)  # with ties
    assert auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_bias_adjusted_shares_against_an_independent_bch_computation():
    """Two latent classes on six yes/no items with a fuzzy classification; a forward outcome
    tied to the true class. The three-step ML shares agree with BCH's (Bolck, Croon &
    Hagenaars 2004: weights from the inverse classification-error matrix, computed here from
    the posteriors), and lie further apart than the modal shares (which blur the difference)."""
    rng = np.random.default_rng(8)
    n = 800
    cls = rng.random(n) < 0.45
    p = np.where(cls[:, None], 0.7, 0.3)
    items = pd.DataFrame((rng.random((n, 6)) < p).astype(int) + 1, columns=[f"q{i}" for i in range(6)],
                         index=[f"r{i}" for i in range(n)])
    sol = segments.lca(items, 2, n_init=5, random_state=1, progress=False)
    lapse = pd.Series(rng.random(n) < np.where(cls, 0.6, 0.1), index=items.index)
    rec = rng.integers(1, 200, n)
    base = pd.DataFrame({"recency_days": rec, "frequency": rng.poisson(3, n)}, index=items.index)
    out = pd.DataFrame({"lapsed": lapse}, index=items.index)
    fr = forward_relevance([sol], out, base, horizon=6, data=items, random_state=1)
    d = fr.differences.set_index("segment")
    assert (d["method"] == "bias-adjusted three-step ML").all()
    post = sol.posteriors.to_numpy()
    modal = post.argmax(axis=1)
    D = np.array([[post[modal == s, c].sum() for s in range(2)] for c in range(2)])
    D = D / D.sum(axis=1, keepdims=True)  # D[c, s] = P(modal s | class c)
    W = np.linalg.inv(D)[modal]  # BCH weights w_ic = (D^-1)[s_i, c]
    y = lapse.to_numpy(float)
    bch = (W * y[:, None]).sum(axis=0) / W.sum(axis=0)
    np.testing.assert_allclose(d["adjusted"].to_numpy(), bch, atol=0.03)
    assert abs(bch[0] - bch[1]) > abs(d["modal"].iloc[0] - d["modal"].iloc[1])


def test_the_forward_line_joins_the_relevant_criterion_and_the_ranking(demo_run):
    card = demo_run.scorecard
    names = [s.name for s in card.scores][:2]
    verdicts = pd.DataFrame([
        {"candidate": names[0], "status": FAIL, "value": 0.0, "sentence": "No forward relevance: test."},
        {"candidate": names[1], "status": PASS, "value": 0.05, "sentence": "The segments predict test."}])
    from workbench.criteria.forward import ForwardRelevance

    fr = ForwardRelevance(horizon=6, differences=pd.DataFrame(), tests=pd.DataFrame(), lift=pd.DataFrame(),
                          verdicts=verdicts, settings={"alpha": 0.05})
    new = with_forward(card, fr)
    lines = new.checks[(new.checks["check"] == "forward")].set_index("candidate")
    assert lines.loc[names[0], "sentence"] == "No forward relevance: test."  # replaced, not added twice
    assert lines.loc[names[1], "sentence"] == "The segments predict test."
    assert new[names[0]].relevant == FAIL
    assert new[names[1]].checks.query("check == 'forward'")["status"].iloc[0] == PASS
    before = card[names[0]].checks.query("check == 'forward'")["sentence"].tolist()
    assert before != ["No forward relevance: test."]  # the run's scorecard is not changed


def test_yes_no_outcomes_with_gaps_are_shares_in_the_bias_adjusted_table():
    """Respondents whose customer had not bought by the reference date have no outcome: the
    yes/no column arrives as objects with gaps and is still a share (level 'True')."""
    rng = np.random.default_rng(3)
    n = 400
    cls = rng.random(n) < 0.5
    items = pd.DataFrame((rng.random((n, 5)) < np.where(cls[:, None], 0.8, 0.2)).astype(int) + 1,
                         columns=[f"q{i}" for i in range(5)], index=[f"r{i}" for i in range(n)])
    sol = segments.lca(items, 2, n_init=3, random_state=2, progress=False)
    lapsed = pd.Series(rng.random(n) < np.where(cls, 0.5, 0.1), index=items.index).astype(object)
    lapsed.iloc[:40] = np.nan
    base = pd.DataFrame({"frequency": rng.poisson(3, n)}, index=items.index)
    fr = forward_relevance([sol], pd.DataFrame({"lapsed": lapsed}), base, horizon=6, data=items, random_state=1)
    d = fr.differences
    assert (d["level"] == "True").all() and d["adjusted"].between(0, 1).all() and (d["n"] == n - 40).all()


def test_cdnow_fit_on_an_early_cut_outcomes_on_the_later_months(tmp_path):
    """Real data (CDNOW, shipped in lifetimes: 23,570 customers' purchases from January 1997 to
    June 1998): outcomes over the six months after 1997-12-20 against pandas, the 12-month
    horizon skipped (6 months missing); an unrelated survey (segments drawn at random, as the
    gallery's study joins answers to customers) has no forward relevance beyond the history."""
    import importlib.resources

    from workbench.behaviour import customer_features
    from workbench.behaviour.forward import forward_outcomes
    from workbench.study import BehaviourSpec

    path = importlib.resources.files("lifetimes") / "datasets" / "CDNOW_master.txt"
    cd = pd.read_csv(path, sep=r"\s+", header=0, names=["cust", "date", "cds", "dollars"], dtype={"cust": str})
    cd["date"] = pd.to_datetime(cd["date"].astype(str), format="%Y%m%d")
    cd.assign(date=cd["date"].dt.strftime("%Y-%m-%d")).to_csv(tmp_path / "tx.csv", index=False)
    spec = BehaviourSpec.model_validate({"transactions": {"file": "tx.csv", "columns": {
        "customer_id": "cust", "date": "date", "value": "dollars", "quantity": "cds"}}})
    ref = pd.Timestamp("1997-12-20")
    fw = forward_outcomes(spec, tmp_path, ref.date())
    assert fw.horizons == (6,) and fw.skipped[0].endswith("6 months missing")
    t = fw.horizon(6)
    before = cd[cd["date"] <= ref]
    after = cd[(cd["date"] > ref) & (cd["date"] <= ref + pd.DateOffset(months=6))]
    assert len(t) == before["cust"].nunique() == 23570
    rev = after.groupby("cust")["dollars"].sum().reindex(t.index, fill_value=0)
    np.testing.assert_allclose(t["revenue"], rev, atol=1e-6)
    lapsed = ~t.index.isin(after["cust"].unique())
    assert (t["lapsed"].to_numpy() == lapsed).all() and 0.7 < lapsed.mean() < 0.85
    prior = cd[(cd["date"] > ref - pd.DateOffset(months=6)) & (cd["date"] <= ref)]
    np.testing.assert_allclose(t["revenue_before"], prior.groupby("cust")["dollars"].sum().reindex(t.index, fill_value=0),
                               atol=1e-6)
    # 600 "respondents" with segments unrelated to what they buy
    feats = customer_features(spec, tmp_path, ref.date()).table
    rng = np.random.default_rng(27)
    who = pd.Index(rng.choice(t.index.to_numpy(), 600, replace=False))
    labels = pd.Series(rng.integers(1, 5, 600), index=who)
    fr = forward_relevance([LabelCandidate("unrelated survey", labels)], t.reindex(who), feats.reindex(who),
                           horizon=6, random_state=27, permute_all=True)
    assert fr.verdict("unrelated survey")["status"] == FAIL
    lift = fr.lift.set_index("outcome")
    assert lift.loc["lapsed", "baseline"] > 0.7  # the history alone predicts who stops buying
    assert lift.loc["channel_switch", "status"] == NOT_MEASURED  # CDNOW has no channel
