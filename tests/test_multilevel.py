"""Multilevel latent classes (segments._multilevel): planted account classes recovered, the
single-level model at M = 1, weights as repeated respondents, BIC as multilevLCA counts it,
seeds, errors. The comparison with R's multilevLCA is in test_multilevel_reference.py."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from workbench import segments
from workbench.core.errors import AnalysisError
from workbench.segments._multilevel import MultilevelLatentClass, select_account_classes, simulate_accounts

PLANTED = [[0.95, 0.05, 0.0], [0.05, 0.95, 0.0], [0.5, 0.0, 0.5]]  # two consensus types, one split type


@pytest.fixture(scope="module")
def planted():
    X, accounts, truth = simulate_accounts(240, n_items=8, class_mix=PLANTED, min_respondents=2, max_respondents=4,
                                           separation=0.8, random_state=5)
    sel = select_account_classes(X, accounts, 3, range(1, 5), random_state=3, n_init=4)
    return X, accounts, truth, sel


def test_planted_account_classes_recovered(planted):
    X, accounts, truth, sel = planted
    assert sel.chosen == 3  # BIC_high: lowest at the planted number of buying-centre types
    table = sel.fit_table.set_index("account_classes")
    assert table["bic_high"].idxmin() == 3 and table.loc[3, "bic_high"] < table.loc[2, "bic_high"]
    m = sel.model
    resp_truth = truth["respondent_class"].to_numpy()
    resp_fit = m.respondent_posteriors_.to_numpy().argmax(axis=1) + 1
    assert adjusted_rand_score(resp_truth, resp_fit) > 0.9
    # match respondent classes, then account classes, to the planted ones and compare the mixes
    tab = pd.crosstab(resp_fit, resp_truth).reindex(index=range(1, 4), columns=range(1, 4), fill_value=0).to_numpy()
    _, t_of = linear_sum_assignment(-tab)  # fitted class i is planted class t_of[i]
    mix = np.zeros((3, 3))
    mix[:, t_of] = m.class_mix_
    cost = ((mix[:, None, :] - np.asarray(PLANTED)[None]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    assert np.abs(mix[rows] - np.asarray(PLANTED)[cols]).max() < 0.12
    acc_truth = truth.groupby(accounts)["account_class"].first().loc[m.account_posteriors_.index]
    # accounts of two respondents of one class cannot always tell "consensus" from "split": not 1.0
    assert adjusted_rand_score(acc_truth, m.account_posteriors_.to_numpy().argmax(axis=1)) > 0.55


def test_bic_as_multilevlca_counts_it(planted):
    X, accounts, truth, sel = planted
    m = sel.models[3]
    # T Σ(C - 1) + M (T - 1) + (M - 1) = 3 * 8 * 2 + 3 * 2 + 2
    assert m.n_parameters_ == 56
    assert m.bic_low_ == pytest.approx(-2 * m.loglik_ + 56 * np.log(len(X)))
    assert m.bic_high_ == pytest.approx(-2 * m.loglik_ + 56 * np.log(accounts.nunique()))
    assert m.replicated_ >= 2 and m.converged_
    assert np.isclose(m.account_shares_.sum(), 1) and np.allclose(m.class_mix_.sum(axis=1), 1)
    assert list(m.account_shares_) == sorted(m.account_shares_, reverse=True)


def test_one_account_class_is_the_single_level_model(planted):
    X, accounts, truth, sel = planted
    single = segments.lca(X, 3, n_init=10, random_state=1, progress=False)
    assert sel.models[1].loglik_ == pytest.approx(single.loglik, abs=1e-4)


def _brute_force_loglik(m, X, accounts, w):
    """Σ_j log Σ_m ω_m Π_i (Σ_t π_t|m Π_k P(y_ik|t))^w_i, by loops over accounts and respondents."""
    P = m.response_probabilities().set_index(["variable", "category", "class"])["value"]
    total = 0.0
    for acc, members in X.groupby(accounts):
        per_m = np.log(m.account_shares_).copy()
        for rid, row in members.iterrows():
            f = np.ones(m.n_classes_)
            for item, code in row.dropna().items():
                f *= [P[(item, float(code), t + 1)] for t in range(m.n_classes_)]
            per_m += w[rid] * np.log(m.class_mix_ @ f)
        total += np.log(np.exp(per_m).sum())
    return total


def test_weights_and_missing_answers_in_the_likelihood():
    X, accounts, _ = simulate_accounts(40, n_items=5, missing=0.15, random_state=2)
    w = pd.Series(np.random.default_rng(0).uniform(0.5, 3, len(X)), index=X.index)
    m = MultilevelLatentClass(2, 2, n_init=3, random_state=4).fit(X, accounts, sample_weight=w)
    scaled = w * accounts.map(accounts.value_counts()) / w.groupby(accounts).transform("sum")
    assert m.loglik_ == pytest.approx(_brute_force_loglik(m, X, accounts, scaled), abs=1e-8)
    # the weights' scale does not matter (scaled within each account) ...
    other = w * accounts.map(lambda a: 1 + int(a[1:]) % 3)
    m2 = MultilevelLatentClass(2, 2, n_init=3, random_state=4).fit(X, accounts, sample_weight=other)
    assert m2.loglik_ == pytest.approx(m.loglik_, abs=1e-6)
    # ... and an account weight of 2 is the account answered twice
    dup_ids = X.index[accounts == "A0003"]
    dup = pd.concat([X, X.loc[dup_ids].rename(lambda i: i + "b")])
    dup_acc = pd.concat([accounts, accounts.loc[dup_ids].rename(lambda i: i + "b").map(lambda a: "A9999")])
    a = MultilevelLatentClass(2, 2, n_init=6, random_state=4, tol=1e-12).fit(dup, dup_acc)
    v = pd.Series(1.0, index=sorted(accounts.unique()))
    v["A0003"] = 2.0
    b = MultilevelLatentClass(2, 2, n_init=6, random_state=4, tol=1e-12).fit(X, accounts, group_weight=v)
    J = len(v)
    assert b.loglik_ == pytest.approx(a.loglik_ * J / (J + 1), abs=1e-4)  # account weights: mean 1
    assert np.allclose(a.class_mix_, b.class_mix_, atol=1e-3)
    assert np.allclose(a.probabilities_, b.probabilities_, atol=1e-3)


def test_same_seed_same_fit_and_missing_answers():
    X, accounts, _ = simulate_accounts(80, n_items=6, missing=0.1, random_state=8)
    a = MultilevelLatentClass(3, 2, n_init=4, random_state=11).fit(X, accounts)
    b = MultilevelLatentClass(3, 2, n_init=4, random_state=11).fit(X, accounts)
    assert a.loglik_ == b.loglik_ and np.array_equal(a.theta_, b.theta_)
    assert np.isfinite(a.loglik_) and a.respondent_posteriors_.notna().all().all()
    post = a.predict_accounts(X, accounts)
    assert np.allclose(post.to_numpy(), a.account_posteriors_.to_numpy())


def test_errors_name_the_problem():
    X, accounts, _ = simulate_accounts(20, n_items=4, random_state=1)
    acc = accounts.copy()
    acc.iloc[3] = None
    with pytest.raises(AnalysisError, match=r"respondent R00004 has no account id"):
        MultilevelLatentClass(2, 2, n_init=2).fit(X, acc)
    with pytest.raises(AnalysisError, match=r"25 account classes for 20 accounts"):
        MultilevelLatentClass(2, 25, n_init=2).fit(X, accounts)
    with pytest.raises(AnalysisError, match=r"n_account_classes must be a positive whole number, got 0"):
        MultilevelLatentClass(2, 0).fit(X, accounts)


def test_ordinal_items_at_one_account_class_are_the_packages_ordinal_lca():
    X, accounts, _ = simulate_accounts(120, n_items=6, n_categories=4, random_state=9)
    single = segments.lca(X, 2, measurement="ordinal", n_init=10, random_state=1, progress=False, tol=1e-11,
                          max_iter=20000)
    m = MultilevelLatentClass(2, 1, measurement="ordinal", n_init=6, random_state=2, tol=1e-10).fit(X, accounts)
    assert m.loglik_ == pytest.approx(single.loglik, abs=1e-4)
    # adjacent-category logit: C - 1 thresholds + T - 1 locations per item, T - 1 class shares
    assert m.n_parameters_ == 6 * (3 + 1) + 1


def test_account_ids_by_position_must_cover_every_respondent():
    X, accounts, _ = simulate_accounts(20, n_items=4, random_state=1)
    with pytest.raises(AnalysisError, match=r"3 account ids given for \d+ respondents; give one per respondent"):
        MultilevelLatentClass(2, 2, n_init=2).fit(X, ["A", "B", "C"])
    short = accounts.iloc[1:]  # a Series is matched by respondent id: the first respondent has none
    with pytest.raises(AnalysisError, match=r"respondent R00001 has no account id"):
        MultilevelLatentClass(2, 2, n_init=2).fit(X, short)
