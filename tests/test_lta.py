"""Latent transition model (segments/_lta.py): planted transitions, one-wave respondents,
weights, invariance, seeds and errors — on small generated panels."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp

from workbench.core.errors import AnalysisError
from workbench.segments._lta import LatentTransitionModel, simulate_panel
from workbench.segments._lta_invariance import invariance_test

A = np.array([[0.85, 0.1, 0.05], [0.1, 0.7, 0.2], [0.05, 0.15, 0.8]])


@pytest.fixture(scope="module")
def panel():
    waves, truth = simulate_panel(900, n_items=6, transitions=A, separation=0.7, only_one=0.2, random_state=5)
    m = LatentTransitionModel(3, n_init=4, random_state=1).fit(waves)
    return waves, truth, m


def _order(m, truth):
    """Our segments matched to the planted ones by the wave-1 modal cross-table."""
    lab = m.modal(1).dropna().astype(int)
    t = truth.loc[lab.index, "wave 1"]
    tab = pd.crosstab(lab, t).reindex(index=[1, 2, 3], columns=[1, 2, 3], fill_value=0).to_numpy()
    from scipy.optimize import linear_sum_assignment
    r, c = linear_sum_assignment(-tab)
    return c  # our segment r[i] is planted c[i]


def test_planted_transitions_recovered_and_naive_table_biased(panel):
    waves, truth, m = panel
    order = _order(m, truth)
    inv = np.argsort(order)
    est = m.transitions_[0][np.ix_(inv, inv)]
    assert np.abs(est - A).max() < 0.08
    naive = m.naive_table().to_numpy()[np.ix_(inv, inv)]
    # classification error moves the naive cross-table off the diagonal: stayers under-counted
    assert np.abs(np.diag(est) - np.diag(A)).sum() < np.abs(np.diag(naive) - np.diag(A)).sum()
    assert (np.diag(naive) < np.diag(A)).sum() >= 2
    st = m.stayers()
    assert st.loc["all", "stayed"] == pytest.approx(float(m.shares_[0] @ np.diag(m.transitions_[0])))


def test_one_wave_respondents_stay_in_the_likelihood(panel):
    waves, truth, m = panel
    only2 = truth.index[(truth["wave 1"] == 0)]
    assert len(only2) > 50 and m.n_respondents_ == 900
    # a respondent seen only at wave 2: log Σ_j P(s_2 = j) f(y | j), by hand from the parameters
    r = only2[0]
    pars = m.item_parameters()
    y = waves[1].loc[r]
    logf = np.zeros(3)
    for q, v in y.items():
        p = pars[(pars["item"] == q) & (pars["category"] == float(v))].sort_values("segment")["value"].to_numpy()
        logf += np.log(p)
    i = list(m.ids_).index(r)
    assert m._lli[i] == pytest.approx(logsumexp(np.log(m.shares_[1]) + logf), abs=1e-8)


def test_weight_two_equals_a_duplicate():
    waves, _ = simulate_panel(200, n_items=4, random_state=3)
    w = pd.Series(1.0, index=waves[0].index.union(waves[1].index))
    w.iloc[:20] = 2.0
    dup = [pd.concat([f, f.loc[f.index.intersection(w.index[:20])].rename(index=lambda s: s + "b")]) for f in waves]
    a = LatentTransitionModel(3, n_init=3, random_state=0).fit(waves, sample_weight=w)
    b = LatentTransitionModel(3, n_init=3, random_state=0).fit(dup)
    # weights are normalised to mean 1: the weighted log-likelihood is the duplicated one scaled by n / Σw
    assert a.loglik_ * w.sum() / len(w) == pytest.approx(b.loglik_, abs=1e-4)
    np.testing.assert_allclose(a.transitions_, b.transitions_, atol=1e-4)


def test_invariance_finds_the_drifted_items():
    waves, _ = simulate_panel(700, n_items=6, separation=0.8, drift={0: 1, 3: 1}, random_state=7)
    test = invariance_test(waves, 3, n_init=3, random_state=1)
    assert set(test.freed) == {"q1", "q4"}
    assert test.level == "partial" and test.readable
    assert list(test.table["model"]) == ["full", "partial 1", "partial 2", "free"]
    clean, _ = simulate_panel(700, n_items=6, separation=0.8, random_state=7)
    t0 = invariance_test(clean, 3, n_init=3, random_state=1)
    assert t0.level == "full" and t0.freed == ()


def test_same_seed_same_fit_and_errors():
    waves, _ = simulate_panel(150, n_items=4, random_state=2)
    a = LatentTransitionModel(2, n_init=3, random_state=9).fit(waves)
    b = LatentTransitionModel(2, n_init=3, random_state=9).fit(waves)
    assert a.loglik_ == b.loglik_ and np.array_equal(a.transitions_, b.transitions_)
    with pytest.raises(AnalysisError, match="wave 2 has the items"):
        LatentTransitionModel(2).fit([waves[0], waves[1].drop(columns="q2")])
    with pytest.raises(AnalysisError, match="two or more waves"):
        LatentTransitionModel(2).fit([waves[0]])
    with pytest.raises(AnalysisError, match="invariance frees item"):
        LatentTransitionModel(2, invariance=["nope"]).fit(waves)


def test_gaussian_profiles_and_bootstrap():
    rng = np.random.default_rng(4)
    n = 400
    s1 = rng.choice(2, size=n, p=[0.6, 0.4])
    s2 = np.where(rng.random(n) < 0.8, s1, 1 - s1)
    mu = np.array([[0.0, 0.0, 0.0], [2.0, -2.0, 1.5]])
    idx = pd.Index([f"R{i}" for i in range(n)])
    waves = [pd.DataFrame(mu[s] + rng.standard_normal((n, 3)), index=idx, columns=["a", "b", "c"]) for s in (s1, s2)]
    m = LatentTransitionModel(2, measurement="gaussian", n_init=3, random_state=0).fit(waves)
    est = m.transitions_[0]
    if m.item_parameters().query("item == 'a' and category == 'mean' and segment == 1")["value"].iloc[0] > 1:
        est = est[::-1, ::-1]
    truth = pd.crosstab(s1, s2, normalize="index").to_numpy()
    assert np.abs(est - truth).max() < 0.05
    boot = m.bootstrap(20, random_state=1)
    assert ((boot["low"] <= boot["probability"] + 1e-9) & (boot["probability"] <= boot["high"] + 1e-9)).all()
    assert (boot["se"] > 0).all() and (boot["se"] < 0.1).all()
