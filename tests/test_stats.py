"""The small statistics of workbench.core.stats against the libraries they stand in for."""

import numpy as np
import pytest
from scipy import special
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from workbench.core import stats


def test_wilson_interval_matches_statsmodels():
    counts = np.array([0, 1, 17, 60, 119, 120])
    lo, hi = stats.wilson_interval(counts / 120, 120)
    ref_lo, ref_hi = proportion_confint(counts, 120, alpha=0.05, method="wilson")
    np.testing.assert_allclose(lo, ref_lo, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hi, ref_hi, rtol=1e-12, atol=1e-15)
    lo90, hi90 = stats.wilson_interval(0.3, 57.4, confidence=0.9)  # a Kish n need not be whole
    ref = proportion_confint(0.3 * 57.4, 57.4, alpha=0.1, method="wilson")
    assert (float(lo90), float(hi90)) == pytest.approx(ref, rel=1e-12)


def test_holm_and_bh_match_multipletests_and_skip_nan():
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(0, 0.05, 8), rng.uniform(0, 1, 30), [0.02, 0.02]])  # with ties
    np.testing.assert_allclose(stats.holm(p), multipletests(p, method="holm")[1], rtol=1e-15)
    np.testing.assert_allclose(stats.benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1], rtol=1e-15)
    with_nan = np.insert(p, [0, 5], np.nan)
    for method, func in (("holm", stats.holm), ("fdr_bh", stats.benjamini_hochberg)):
        out = stats.correct_pvalues(with_nan, method)
        assert np.isnan(out[[0, 6]]).all()
        np.testing.assert_array_equal(np.delete(out, [0, 6]), func(p))
    np.testing.assert_allclose(stats.correct_pvalues(with_nan, "bonferroni")[1:3],
                               multipletests(p, method="bonferroni")[1][:2])
    assert np.isnan(stats.correct_pvalues([np.nan, np.nan])).all()


def test_two_proportion_ztest_matches_statsmodels_elementwise():
    n1, n2 = np.array([50, 200, 31]), np.array([80, 150, 40])
    x1, x2 = np.array([20, 130, 4]), np.array([45, 60, 9])
    z, p = stats.two_proportion_ztest(x1 / n1, n1, x2 / n2, n2)
    for i in range(3):
        ref_z, ref_p = proportions_ztest([x1[i], x2[i]], [n1[i], n2[i]])
        assert z[i] == pytest.approx(ref_z, rel=1e-12)
        assert p[i] == pytest.approx(ref_p, rel=1e-12)
    z, p = stats.two_proportion_ztest([0.0, 0.3], [10, 0.5], [0.0, 0.4], [12, 9])
    assert np.isnan(z[0]) and p[0] == 1.0  # both groups all 0: no difference
    assert np.isnan(z[1]) and np.isnan(p[1])  # a group of fewer than one respondent


def test_welch_ttest_matches_scipy_from_stats_and_raw_data():
    rng = np.random.default_rng(5)
    a, b = rng.normal(3, 1, 40), rng.normal(3.4, 2, 25)
    m1, v1, m2, v2 = a.mean(), a.var(ddof=1), b.mean(), b.var(ddof=1)
    t, p = stats.welch_ttest(m1, v1, 40, m2, v2, 25)
    ref = sps.ttest_ind_from_stats(m1, np.sqrt(v1), 40, m2, np.sqrt(v2), 25, equal_var=False)
    assert float(t) == pytest.approx(ref.statistic, rel=1e-12)
    assert float(p) == pytest.approx(ref.pvalue, rel=1e-12)
    assert float(p) == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-12)
    _, p = stats.welch_ttest(np.array([2.0, 2.0]), np.array([0.0, 1.0]), np.array([5, 1]),
                             np.array([2.0, 3.0]), np.array([0.0, 1.0]), np.array([5, 9]))
    assert p[0] == 1.0 and np.isnan(p[1])  # constant equal groups; a group of one


def test_kish_effective_n_and_design_effect():
    w = np.array([1.0, 1.0, 2.0, 4.0, np.nan])
    assert stats.effective_n(w) == pytest.approx(64 / 22)
    assert stats.design_effect(w) == pytest.approx(4 * 22 / 64)
    assert stats.effective_n(np.ones(7)) == pytest.approx(7)
    assert np.isnan(stats.effective_n([])) and np.isnan(stats.effective_n([0.0, 0.0]))
    s = stats.weighted_stats(np.array([[1.0], [2.0], [np.nan], [4.0]]), w[:4])
    assert s["n_eff"][0] == pytest.approx(stats.effective_n([1.0, 1.0, 4.0]))
    assert s["mean"][0] == pytest.approx(np.average([1, 2, 4], weights=[1, 1, 4]))


def test_softmax_is_scipys_and_rows_sum_to_one():
    s = np.array([[1.0, 0.5, -3.0], [800.0, 799.0, 0.0]])  # a large score must not overflow
    np.testing.assert_array_equal(stats.softmax(s), special.softmax(s, axis=1))
    np.testing.assert_allclose(stats.softmax(s).sum(axis=1), 1.0)


def test_logsumexp_is_scipys_on_large_small_and_infinite_values():
    rng = np.random.default_rng(4)
    x = np.vstack([rng.normal(size=(50, 6)) * 30, [[800.0, 799.0, -np.inf, 0, 1, 2]],
                   [[-np.inf] * 6], [[-1e300, -1e300, -5, -np.inf, 3, 3]]])
    for axis in (0, 1):
        for keep in (False, True):
            np.testing.assert_allclose(stats.logsumexp(x, axis=axis, keepdims=keep),
                                       special.logsumexp(x, axis=axis, keepdims=keep), rtol=1e-13, atol=0)
    assert stats.logsumexp(x, axis=1)[-2] == -np.inf  # a row of -inf: -inf, as scipy (not NaN)
    cube = rng.normal(size=(3, 4, 5))
    np.testing.assert_allclose(stats.logsumexp(cube, axis=2), special.logsumexp(cube, axis=2), rtol=1e-13)


def test_row_max_and_row_sum_are_numpys_bit_for_bit():
    """The E-steps' column-by-column row maximum and row sum give numpy's ``max`` / ``sum`` along
    rows exactly (same additions in the same order), so the fits' numbers do not move: widths 1
    to 11 (the column loop up to 7, numpy's own sum above), tall and short, C and Fortran order,
    magnitudes 1e-8 to 1e8 where the order of additions shows, -inf and NaN."""
    rng = np.random.default_rng(3)
    for k in range(1, 12):
        for n in (1, 2, 7, 9, 33, 1000, 4097):
            for order in "CF":
                x = np.asarray(rng.standard_normal((n, k)) * 10.0 ** rng.integers(-8, 9, (n, k)), order=order)
                x[rng.random((n, k)) < 0.05] = -np.inf
                x[rng.random((n, k)) < 0.01] = np.nan
                assert np.array_equal(stats.row_sum(x), x.sum(axis=1, keepdims=True), equal_nan=True), (k, n, order)
                assert np.array_equal(stats.row_max(x), x.max(axis=1, keepdims=True), equal_nan=True), (k, n, order)
                with np.errstate(all="ignore"):  # exp of 1e8: inf, in both
                    m = np.max(x, axis=1, keepdims=True)
                    m = np.where(np.isfinite(m), m, 0.0)
                    ref = np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)) + m
                    assert np.array_equal(stats.logsumexp(x, axis=1, keepdims=True), ref, equal_nan=True)
    cube = rng.normal(size=(40, 3, 5)) * 30  # (n, M, T) of the multilevel E-step, along its last axis
    cube[0, 0] = -np.inf
    for keep in (False, True):
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.max(cube, axis=2, keepdims=True)
            m = np.where(np.isfinite(m), m, 0.0)
            ref = np.log(np.sum(np.exp(cube - m), axis=2, keepdims=True)) + m
        assert np.array_equal(stats.logsumexp(cube, axis=2, keepdims=keep), ref if keep else ref[..., 0])
        assert np.array_equal(stats.logsumexp(cube[:, 0], axis=-1, keepdims=keep), (ref if keep else ref[..., 0])[:, 0])


def test_mlogit_fit_matches_sklearn_multinomial_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(11)
    x = rng.normal(size=(300, 3))
    y = np.argmax(x @ rng.normal(size=(3, 4)) + rng.gumbel(size=(300, 4)), axis=1)
    w = rng.uniform(0.5, 2.0, 300)
    b, converged = stats.mlogit_fit(x, y, w, C=0.5)
    assert converged
    ref = LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000).fit(x, y, sample_weight=w)
    np.testing.assert_allclose(b[1:], ref.coef_.T, atol=1e-6)
    np.testing.assert_allclose(b[0], ref.intercept_ - ref.intercept_.mean(), atol=1e-6)
    start = stats.mlogit_fit(x[:, :2], y, w, C=0.5)[0]
    warm, _ = stats.mlogit_fit(x, y, w, C=0.5, start=np.vstack([start, np.zeros((1, 4))]))
    np.testing.assert_allclose(warm, b, atol=1e-5)  # the same optimum from a warm start


def test_mlogit_fit_with_soft_targets_is_the_fit_on_split_rows():
    """Soft targets (posterior shares) weigh each row's classes: the same fit as each row repeated
    once per class with the share as its weight (the latent-class covariate M-step, issue 23)."""
    rng = np.random.default_rng(5)
    n, k = 300, 3
    x = rng.normal(size=(n, 2))
    r = rng.dirichlet(np.ones(k), size=n)
    w = rng.uniform(0.5, 2.0, n)
    soft, ok = stats.mlogit_fit(x, r, w, C=2.0)
    hard, ok2 = stats.mlogit_fit(np.repeat(x, k, axis=0), np.tile(np.arange(k), n), (w[:, None] * r).ravel(), C=2.0)
    assert ok and ok2
    np.testing.assert_allclose(soft, hard, atol=1e-8)


def _reference_newton_step(Z, R, beta):
    """One Newton-Raphson step of ``max Σ_ic R_ic log P(c | z_i)`` written out with class 1 as
    the reference (its coefficients stay 0): the covariate model's step before issue 23 moved
    it onto ``stats.mlogit_fit``."""
    from scipy.special import logsumexp

    D, k = Z.shape[1], R.shape[1]
    eta = Z @ beta.T
    P = np.exp(eta - logsumexp(eta, axis=1, keepdims=True))
    wi = R.sum(axis=1)
    G = (Z.T @ (R - wi[:, None] * P))[:, 1:].T.reshape(-1)
    H = np.empty((k - 1, D, k - 1, D))
    for a in range(1, k):
        for b in range(1, k):
            H[a - 1, :, b - 1, :] = (Z.T * (wi * P[:, a] * ((a == b) - P[:, b]))) @ Z
    step = np.linalg.lstsq(H.reshape((k - 1) * D, (k - 1) * D), G, rcond=None)[0]
    out = beta.copy()
    out[1:] += step.reshape(k - 1, D)
    return out


def test_one_unpenalised_newton_step_is_the_newton_step_written_out():
    """``max_iter=1, C=inf`` (the three-step covariate model's M-step, segments._structural) is one
    Newton step: same probabilities after the step as the step written out with a reference class,
    from zero and from a warm start, whatever the parametrisation (centred here, reference class there)."""
    from scipy.special import softmax as sm

    rng = np.random.default_rng(8)
    n, k = 400, 3
    z = rng.normal(size=(n, 2))
    za = np.column_stack([np.ones(n), z])
    r = sm(z @ rng.normal(size=(2, k)) + rng.normal(size=(n, k)), axis=1) * rng.uniform(0.5, 2, n)[:, None]
    beta = np.zeros((k, 3))
    b = np.zeros((3, k))
    for _ in range(3):  # each step from the last one's coefficients, as the EM's M-steps
        b, _ = stats.mlogit_fit(z, r, np.ones(n), C=np.inf, start=b, tol=0.0, max_iter=1)
        beta = _reference_newton_step(za, r, beta)
        np.testing.assert_allclose(sm(za @ b, axis=1), sm(za @ beta.T, axis=1), atol=1e-8)
