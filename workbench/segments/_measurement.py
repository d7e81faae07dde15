"""The measurement part of the joint latent class models, written once.

The multilevel model (:mod:`._multilevel`: respondent classes within account classes) and the
latent transition model (:mod:`._lta`: segments over waves) put a structure *above* the
segments; below it both measure each segment by the answers exactly as the single-level latent
class model does. This module is that measurement, for both:

* :class:`Categorical`: coded answers, nominal or ordinal items, in :mod:`._lca`'s layout and
  with its M-step (nominal: weighted counts; ordinal: the adjacent-category logit's Newton
  steps from the current thresholds and locations);
* :class:`Gaussian`: continuous scores, one Gaussian per segment with a diagonal covariance
  (missing values drop out of a row's density); used by the transition model's
  ``measurement='gaussian'``.

A measurement is any object with ``size`` (length of its parameter vector ``θ``),
``n_parameters`` (free parameters, the segment shares left out), ``logf(θ) -> (rows, k)``
(``log f(y_i | segment)``), ``mstep(R, θ_prev) -> θ`` (from weighted posteriors; it must not
change ``θ_prev``), ``normalise(θ)`` (back onto the parameter space after a SQUAREM
extrapolation), ``random(rng)`` (a random start), ``permute(θ, order)`` and
``from_probabilities(...)`` (θ from given parameters, e.g. a frozen model's).
"""

from __future__ import annotations

import numpy as np

from ._lca import LCAData, _EM as _LCAEM, _ordinal_newton, permute, random_start

__all__ = ["Categorical", "Gaussian", "VAR_FLOOR"]

#: Variances are kept at or above this share of the item's overall variance.
VAR_FLOOR = 1e-6


class Categorical:
    """Coded answers of ``k`` classes, nominal or ordinal items, :mod:`._lca`'s layout.

    The vector θ is :mod:`._lca`'s (its first ``k`` entries, the class shares, are unused: the
    joint model holds the shares). Build from an :class:`LCAData` or with :meth:`from_codes`.
    """

    def __init__(self, data: LCAData, k: int):
        self.data = data
        self.k = k
        self.em = _LCAEM(data, k)
        self.lay = self.em.lay
        self.size = self.lay.size
        self.n_parameters = int(data.n_parameters(k) - (k - 1))

    @classmethod
    def from_codes(cls, codes, n_cats, ordinal, k) -> "Categorical":
        return cls(LCAData.from_codes(codes, n_cats, ordinal), k)

    def logf(self, th):
        return self.data.Y @ self.lay.log_probs(th).T

    def mstep(self, R, th_prev):
        # a copy: the ordinal M-step starts its Newton steps from the thresholds and locations given
        return self.em.mstep(R, th_prev.copy())

    def normalise(self, th):
        return self.lay.normalise(th)

    def random(self, rng):
        """poLCA's random answer probabilities (:func:`._lca.random_start`)."""
        return random_start(self.data, self.k, rng)

    def from_probabilities(self, probs):
        """θ from per-column (C, k) answer probabilities (ordinal items fitted to them)."""
        k, lay = self.k, self.lay
        th = np.zeros(lay.size)
        P = np.vstack([np.clip(p, 1e-12, None) / np.clip(p, 1e-12, None).sum(axis=0, keepdims=True)
                       for p in probs])  # (total categories, k)
        if lay.n_nom:
            th[k:k + lay.n_nom] = np.log(P[lay.nom_cols].T).ravel()
        for (C, items, cols), (ts, bs) in zip(lay.groups, lay.slices):
            N = P[cols.ravel()].reshape(len(items), C, k).transpose(0, 2, 1) * 1000.0
            tau, beta = _ordinal_newton(N, np.zeros((len(items), C)), np.zeros((len(items), k)), 30)
            th[ts], th[bs] = tau[:, 1:].ravel(), beta.ravel()
        return lay.normalise(th)

    def probabilities(self, th):
        """(k, total categories) P(answer | class)."""
        return np.exp(self.lay.log_probs(th))

    def permute(self, th, order):
        return permute(self.data, self.k, th, order)


class Gaussian:
    """Continuous scores, one Gaussian per segment with a diagonal covariance (missing values
    drop out of a row's density). θ is ``[means (k × d), log variances (k × d)]``."""

    def __init__(self, X, k):
        self.X = np.asarray(X, dtype=float)
        self.obs = ~np.isnan(self.X)
        self.X0 = np.where(self.obs, self.X, 0.0)
        self.k = k
        self.d = self.X.shape[1]
        self.size = 2 * k * self.d
        self.n_parameters = self.size
        var = np.nanvar(self.X, axis=0)
        self.floor = np.maximum(var, 1e-12) * VAR_FLOOR

    def unpack(self, th):
        k, d = self.k, self.d
        return th[:k * d].reshape(k, d), th[k * d:].reshape(k, d)  # means, log variances

    def logf(self, th):
        mu, lv = self.unpack(th)
        var = np.exp(lv)
        q = (self.X0 ** 2) @ (1 / var).T - 2 * self.X0 @ (mu / var).T + self.obs @ (mu ** 2 / var).T
        return -0.5 * (q + self.obs @ (lv + np.log(2 * np.pi)).T)

    def mstep(self, R, th_prev):
        mu_prev, lv_prev = self.unpack(th_prev)
        W = self.obs.T.astype(float) @ R  # (d, k) weight of each observed value
        S1 = self.X0.T @ R
        S2 = (self.X0 ** 2).T @ R
        ok = W > 1e-10
        mu = np.where(ok, S1 / np.where(ok, W, 1), mu_prev.T)
        var = np.where(ok, S2 / np.where(ok, W, 1) - mu ** 2, np.exp(lv_prev.T))
        var = np.maximum(var, self.floor[:, None])
        return np.concatenate([mu.T.ravel(), np.log(var.T).ravel()])

    def normalise(self, th):
        mu, lv = self.unpack(th)
        return np.concatenate([mu.ravel(), np.maximum(lv, np.log(self.floor)[None, :]).ravel()])

    def random(self, rng):
        """k rows drawn as centres; every row to its nearest; one M-step."""
        n = self.X.shape[0]
        rows = np.flatnonzero(self.obs.any(axis=1))
        pick = rng.choice(rows, size=self.k, replace=False)
        R = np.zeros((n, self.k))
        mu0 = np.where(self.obs[pick], self.X0[pick], np.nanmean(self.X, axis=0)[None, :])
        d2 = np.stack([np.where(self.obs, (self.X0 - m) ** 2, 0).sum(axis=1) for m in mu0], axis=1)
        R[np.arange(n), d2.argmin(axis=1)] = 1.0
        R[~self.obs.any(axis=1)] = 0.0
        return self.mstep(R, np.concatenate([mu0.ravel(), np.zeros(self.k * self.d)]))

    def from_probabilities(self, params):
        """θ from ``(means, variances)``, each (k, d)."""
        means, variances = params
        return self.normalise(np.concatenate([np.asarray(means, float).ravel(),
                                              np.log(np.asarray(variances, float)).ravel()]))

    def permute(self, th, order):
        mu, lv = self.unpack(th)
        return np.concatenate([mu[order].ravel(), lv[order].ravel()])
