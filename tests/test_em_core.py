"""The one EM core (segments/_em.py) and the start schedule's stage 1 on a subsample."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.segments import _em, _engine, _lca
from workbench.segments._engine import MixtureProblem, fit_mixtures, start_seeds


def _codes(seed, n, items, cats, shares):
    rng = np.random.default_rng(seed)
    k = len(shares)
    probs = rng.dirichlet(np.full(cats, 0.7), size=(k, items))
    z = rng.choice(k, size=n, p=shares)
    return (rng.random((n, items, 1)) > np.cumsum(probs[z], axis=2)).sum(axis=2).clip(max=cats - 1)


def _polished_once(grid) -> int:
    """Continued starts that reached a maximum of the subsample another start reached are that
    start's polished fit (same log-likelihood and classification); returns how many."""
    copies = [s for s in grid.starts if "polished once with start" in s.reason]
    for c in copies:
        rep = grid.starts[int(c.reason.split("with start ")[1].split(":")[0])]
        assert rep.start != c.start and rep.loglik == c.loglik and np.array_equal(rep.labels, c.labels)
        assert not c.subsample and c.reaches_best == rep.reaches_best
    return len(copies)


def test_ordinal_m_step_leaves_the_previous_parameters_alone():
    """The ordinal items' Newton steps start from theta_prev; they used to write the new class
    locations into it (a view), so SQUAREM's r = th1 - th0 saw a changed th0."""
    codes = _codes(3, 300, 4, 4, [0.6, 0.4])
    data = _lca.LCAData.from_codes(codes, [4] * 4, ordinal=[True, True, False, True])
    th = _lca.random_start(data, 2, np.random.default_rng(1))
    em = _lca._EM(data, 2)
    _, R = em.estep(th)
    before = th.copy()
    new = em.mstep(R, th)
    np.testing.assert_array_equal(th, before)
    assert not np.allclose(new, before)


class _Toy:
    """A two-component univariate normal mixture with known variances (a family for the core)."""

    def __init__(self, x):
        self.x, self.wsum = x, float(len(x))

    def estep(self, p):
        mu, pi = p
        logf = -0.5 * (self.x[:, None] - mu) ** 2 + np.log(pi)
        m = logf.max(axis=1, keepdims=True)
        s = np.exp(logf - m).sum(axis=1, keepdims=True)
        return float((np.log(s) + m).sum() - 0.5 * len(self.x) * np.log(2 * np.pi)), np.exp(logf - m) / s

    def mstep(self, R, p=None):
        return (R.T @ self.x) / R.sum(axis=0), R.mean(axis=0)


def test_the_convergence_rule_is_on_the_mean_log_likelihood_and_the_fit_is_the_last_m_step():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 1, 300), rng.normal(2, 1, 200)])
    fam = _Toy(x)
    fit = _em.run(fam, (np.array([-0.5, 0.5]), np.array([0.5, 0.5])), max_iter=500, tol=1e-9)
    assert fit.converged
    ll, R = fam.estep(fit.params)
    assert fit.loglik == pytest.approx(ll, abs=1e-12)  # the log-likelihood is at the returned parameters
    # one more iteration moves the mean log-likelihood by less than tol (the rule), and the
    # previous E-step's mean is kept to continue
    assert abs(fam.estep(fam.mstep(R))[0] / 500 - ll / 500) < 1e-9
    assert abs(ll / 500 - fit.last_mean) < 1e-9
    # the same run cut in two ends where the uninterrupted one does
    part = _em.run(fam, (np.array([-0.5, 0.5]), np.array([0.5, 0.5])), max_iter=5, tol=1e-9)
    rest = _em.run(fam, part.params, max_iter=495, tol=1e-9, last_mean=part.last_mean)
    assert part.n_iter + rest.n_iter == fit.n_iter and rest.loglik == pytest.approx(fit.loglik, abs=1e-12)


def test_large_latent_class_problems_rank_starts_on_a_subsample(monkeypatch):
    """Above STAGE1_MAX_N respondents stage 1 runs on a fixed subsample; only the continued
    starts are finished, on every respondent, and they reach the all-data schedule's best."""
    codes = _codes(5, 900, 8, 4, [0.5, 0.3, 0.2])
    data = _lca.LCAData.from_codes(codes, [4] * 8)

    def problem(d):
        return MixtureProblem(key=("lca", 3), k=3, measurement="nominal", weights=None,
                              seeds=tuple(start_seeds(1, "lca", 3, 12)), lca=d)

    full = fit_mixtures([problem(data)], init_iter=5, progress=False)[0]
    monkeypatch.setattr(_engine, "STAGE1_MAX_N", 300)
    data2 = _lca.LCAData.from_codes(codes, [4] * 8)
    sub = fit_mixtures([problem(data2)], init_iter=5, progress=False)[0]
    assert _engine.stage1_data(data2).n == 300
    stage1 = [s for s in sub.starts if s.subsample]
    assert len(stage1) == 12 - 3 and all(s.labels is None and "subsample of 300" in s.reason for s in stage1)
    assert sub.n_final == 3 and all(s.stage == 2 and not s.subsample for s in sub.starts if s.reaches_best)
    assert sub.best.loglik == pytest.approx(full.best.loglik, abs=0.01)
    assert _polished_once(sub) >= 1 and sub.replicated == sum(s.reaches_best for s in sub.starts)


def test_large_latent_profile_problems_rank_random_starts_on_a_subsample(monkeypatch):
    """Latent profiles as latent classes: random starts rank on the subsample, the continued
    ones are polished on everyone (their log-likelihood is the full data's), deterministic
    starts run on everyone, and the best is the all-data schedule's."""
    from workbench.segments import _gmm

    rng = np.random.default_rng(11)
    centres = np.array([[0, 0, 0, 0], [2.5, 0, 1, -1], [0, 2.5, -1, 1]])
    z = rng.choice(3, size=900, p=[0.5, 0.3, 0.2])
    X = centres[z] + rng.normal(size=(900, 4))

    def problem(d):
        return MixtureProblem(key=("lpa", 3), k=3, measurement="gaussian", weights=None,
                              seeds=tuple(start_seeds(1, "lpa", 3, 12)), gauss=d,
                              deterministic=_gmm.DETERMINISTIC_STARTS)

    full = fit_mixtures([problem(_gmm.GaussianData.build(X))], init_iter=5, progress=False)[0]
    monkeypatch.setattr(_engine, "STAGE1_MAX_N", 300)
    data2 = _gmm.GaussianData.build(X)
    sub = fit_mixtures([problem(data2)], init_iter=5, progress=False)[0]
    assert _engine.stage1_data(data2).n == 300 and _engine.stage1_data(data2).d == 4
    stage1 = [s for s in sub.starts if s.subsample]
    assert len(stage1) == 12 - 3 and all(s.labels is None and "subsample of 300" in s.reason for s in stage1)
    assert all(not s.subsample for s in sub.starts if s.init != "random")  # deterministic: everyone
    assert not sub.best.subsample and len(sub.best.labels) == 900
    assert sub.best.loglik == pytest.approx(_gmm.estep(data2, sub.best.params)[0], abs=1e-6)
    assert sub.best.loglik == pytest.approx(full.best.loglik, abs=0.01)
    assert _polished_once(sub) >= 1
