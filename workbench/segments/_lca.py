"""Latent class models of coded answers, fitted by a vectorised numpy EM with SQUAREM.

Why a hand-written EM (and not StepMix): the engine needs dispersed random starts
(poLCA's random response probabilities), a start continued where it stopped (stage 2 of
the two-stage schedule), acceleration, ordinal items and the diagnostics a reviewer asks
for (bivariate residuals, simulation for the bootstrap LRT) - none of which StepMix offers
through its public API. StepMix remains the reference in the tests.

The model
---------
Each of ``k`` classes has a share ``π_c``; within a class the items are independent. An
item is either

* ``nominal``: a free probability of every answer code per class (poLCA, StepMix
  ``categorical``), ``k (C - 1)`` parameters; or
* ``ordinal``: Latent GOLD's adjacent-category logit restriction,
  ``log P(y = r | c) = τ_r + β_c s_r - A_c`` with equidistant scores ``s_r = 0..C-1``,
  ``τ_0 = 0`` and ``Σ_c β_c = 0``: one location per class and item plus ``C - 1`` item
  thresholds, ``(C - 1) + (k - 1)`` parameters (for a binary item the same model as
  nominal).

Missing answers drop out of a respondent's likelihood (full information; the one-hot
row of a missing answer is all zero). Sample weights multiply each respondent's
log-likelihood (pseudo-likelihood, as Latent GOLD and Mplus use sampling weights).

EM
--
E-step ``log f(x_i | c) = Y_i · log P_c`` (one matrix product), M-step ``Y' R`` (one
more), both over all items at once. ``Y`` is the one-hot answer matrix kept sparse (one
non-zero per answer): a quarter of the memory of the dense matrix at five categories, and
faster products. Ordinal items' M-step is two Newton steps on the
expected counts (a generalised EM step; step-halving keeps it monotone), batched over
items. EM is accelerated with SQUAREM (Varadhan & Roland 2008, scheme S3) on the
unconstrained parameters (log shares, log probabilities, thresholds and locations), which
keeps EM's monotonicity by falling back on the plain EM step whenever an extrapolation
lowers the log-likelihood. The loop, SQUAREM and the convergence rule (the mean
log-likelihood per respondent changes by less than ``tol``) are the package's one EM core,
:func:`._em.run`; this module supplies the E- and M-step (:class:`_EM`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from ..core.stats import logsumexp as _lse  # the package's one log-sum-exp
from ..core.stats import row_max, row_sum
from ._em import run as run_em

__all__ = ["LCAData", "LCAFit", "fit_start", "random_start", "bivariate_residuals", "simulate"]

LOG_FLOOR = float(np.log(1e-15))  # probabilities are kept at or above 1e-15 (as StepMix clips them)
BETA_MAX = 15.0
TAU_MAX = 60.0


@dataclass(frozen=True, eq=False)
class LCAData:
    """Answers in the layout the EM uses.

    Attributes
    ----------
    Y : scipy.sparse.csr_array (n, T)
        One-hot answers, item after item (``T`` = all items' categories), no entry where missing.
    weights : ndarray (n,)
        Respondent weights (mean 1; ones when unweighted).
    n_cats : ndarray (J,)
    ordinal : ndarray of bool (J,)
    """

    Y: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    n_cats: np.ndarray
    ordinal: np.ndarray
    weighted: bool = False

    @classmethod
    def from_codes(cls, codes: np.ndarray, n_cats, ordinal=None, weights=None) -> "LCAData":
        """``codes``: (n, J) category positions 0..C_j-1, -1 for a missing answer."""
        codes = np.asarray(codes)
        n, J = codes.shape
        n_cats = np.asarray(n_cats, dtype=int)
        offsets = np.concatenate([[0], np.cumsum(n_cats)])
        obs = codes >= 0
        cols = codes.astype(np.int32)  # column of each answer, row-major: a respondent's answers in item order
        cols += offsets[:-1].astype(np.int32)
        cols = cols[obs] if not obs.all() else cols.ravel()
        indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(obs.sum(axis=1), out=indptr[1:])
        Y = sparse.csr_array((np.ones(len(cols)), cols, indptr), shape=(n, int(offsets[-1])))
        ordinal = np.zeros(J, dtype=bool) if ordinal is None else np.asarray(ordinal, dtype=bool)
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        return cls(Y=Y, weights=w, n_cats=n_cats, ordinal=ordinal, weighted=weights is not None)

    @property
    def n(self) -> int:
        return self.Y.shape[0]

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.n_cats)])

    @property
    def YT(self):
        """``Y.T`` as a row-compressed (CSR) array, built once: the M-step's ``Y.T @ R`` twice as
        fast as through the transposed view, with the same sums (each row's terms in
        respondent order either way)."""
        cached = self.__dict__.get("_YT")
        if cached is None:
            cached = self.Y.T.tocsr()
            object.__setattr__(self, "_YT", cached)
        return cached

    def codes(self) -> np.ndarray:
        """(n, J) category positions, -1 where missing (the inverse of :meth:`from_codes`)."""
        off = self.offsets
        J = len(self.n_cats)
        Y = self.Y
        if Y.nnz == self.n * J:  # every answer given: each row holds one column per item, in item order
            return Y.indices.reshape(self.n, J) - off[:-1].astype(np.int32)
        out = np.full((self.n, J), -1, dtype=np.int32)
        for a in range(0, self.n, 8192):  # in blocks of rows: the temporaries stay small
            b = min(self.n, a + 8192)
            lo, hi = Y.indptr[a], Y.indptr[b]
            cols = Y.indices[lo:hi]
            rows = np.repeat(np.arange(a, b), np.diff(Y.indptr[a:b + 1]))
            items = np.searchsorted(off, cols, side="right") - 1
            out[rows, items] = cols - off[items]
        return out

    def two_way(self) -> tuple[np.ndarray, np.ndarray]:
        """The weighted two-way tables of all item pairs, ``(T, T)`` (zero within an item), and
        the weighted number of respondents answering both items of each pair, ``(J, J)``
        (computed once, kept)."""
        cached = self.__dict__.get("_two_way")
        if cached is None:
            codes, w, off, C = self.codes(), self.weights, self.offsets, self.n_cats
            J = len(C)
            tab = np.zeros((int(off[-1]), int(off[-1])))
            pairs = np.zeros((J, J))
            for i in range(J):
                for j in range(i + 1, J):
                    both = (codes[:, i] >= 0) & (codes[:, j] >= 0)
                    cell = codes[both, i] * C[j] + codes[both, j]
                    t = np.bincount(cell, weights=w[both], minlength=C[i] * C[j]).reshape(C[i], C[j])
                    tab[off[i]:off[i + 1], off[j]:off[j + 1]] = t
                    tab[off[j]:off[j + 1], off[i]:off[i + 1]] = t.T
                    pairs[i, j] = pairs[j, i] = t.sum()
            cached = (tab, pairs)
            object.__setattr__(self, "_two_way", cached)
        return cached

    def with_codes(self, codes: np.ndarray) -> "LCAData":
        """The same items, ordinal flags and weights with other answers (simulation)."""
        return LCAData.from_codes(codes, self.n_cats, self.ordinal, None if not self.weighted else self.weights)

    def n_parameters(self, k: int) -> int:
        """Free parameters: ``k - 1`` shares, ``k (C - 1)`` per nominal item, ``C + k - 2`` per ordinal item."""
        nom = self.n_cats[~self.ordinal]
        ordn = self.n_cats[self.ordinal]
        return int((k - 1) + k * (nom - 1).sum() + ((ordn - 1) + (k - 1)).sum())


class _Layout:
    """Where each parameter lives in the flat vector SQUAREM extrapolates."""

    def __init__(self, data: LCAData, k: int):
        self.k = k
        self.data = data
        off = data.offsets
        self.off = off
        nom_items = np.flatnonzero(~data.ordinal)
        self.nom_cols = np.concatenate([np.arange(off[j], off[j + 1]) for j in nom_items]) if len(nom_items) else \
            np.zeros(0, dtype=int)
        # block starts of the nominal columns (for per-item normalisation with reduceat)
        sizes = data.n_cats[nom_items]
        self.nom_starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int) if len(sizes) else np.zeros(0, int)
        self.nom_sizes = sizes
        # ordinal items grouped by their number of categories (batched Newton steps)
        self.groups = []
        for C in sorted(set(data.n_cats[data.ordinal].tolist())):
            items = np.flatnonzero(data.ordinal & (data.n_cats == C))
            cols = np.stack([np.arange(off[j], off[j] + C) for j in items])  # (G, C)
            self.groups.append((C, items, cols))
        self.n_nom = len(self.nom_cols) * k
        size = k + self.n_nom
        self.slices = []
        for C, items, _ in self.groups:
            tau = slice(size, size + len(items) * (C - 1))
            size = tau.stop
            beta = slice(size, size + len(items) * k)
            size = beta.stop
            self.slices.append((tau, beta))
        self.size = size

    # -------------------------------------------------------------- vector <-> parameters
    def log_pi(self, theta):
        return theta[:self.k]

    def log_probs(self, theta) -> np.ndarray:
        """(k, T) log P(answer | class) of every column."""
        k = self.k
        out = np.empty((k, int(self.off[-1])))
        if self.n_nom:
            out[:, self.nom_cols] = theta[k:k + self.n_nom].reshape(k, -1)
        for (C, items, cols), (ts, bs) in zip(self.groups, self.slices):
            tau, beta = self.ordinal_params(theta, C, len(items), ts, bs)
            lp = _ordinal_logp(tau, beta)  # (G, k, C)
            out[:, cols.ravel()] = lp.transpose(1, 0, 2).reshape(k, -1)
        return out

    def ordinal_params(self, theta, C, G, ts, bs):
        tau = np.zeros((G, C))
        tau[:, 1:] = theta[ts].reshape(G, C - 1)
        beta = theta[bs].reshape(G, self.k)
        return tau, beta

    def normalise(self, theta) -> np.ndarray:
        """Back onto the parameter space after an extrapolation (probabilities sum to 1)."""
        k = self.k
        th = theta.copy()
        lp = th[:k]
        th[:k] = lp - _lse(lp)
        if self.n_nom:
            block = th[k:k + self.n_nom].reshape(k, -1)
            block = np.maximum(block, LOG_FLOOR - 5)
            rowmax = block.max(axis=1, keepdims=True)
            lse = np.log(np.add.reduceat(np.exp(block - rowmax), self.nom_starts, axis=1)) + rowmax
            block = block - np.repeat(lse, self.nom_sizes, axis=1)
            th[k:k + self.n_nom] = np.maximum(block, LOG_FLOOR).ravel()
        for (C, items, _), (ts, bs) in zip(self.groups, self.slices):
            G = len(items)
            tau = th[ts].reshape(G, C - 1)
            beta = th[bs].reshape(G, k)
            m = beta.mean(axis=1, keepdims=True)
            beta = np.clip(beta - m, -BETA_MAX, BETA_MAX)
            tau = np.clip(tau + m * np.arange(1, C)[None, :], -TAU_MAX, TAU_MAX)
            th[ts] = tau.ravel()
            th[bs] = beta.ravel()
        return th


def _ordinal_logp(tau, beta):
    """(G, k, C) log P(r | c) of the adjacent-category logit."""
    C = tau.shape[1]
    eta = tau[:, None, :] + beta[:, :, None] * np.arange(C)[None, None, :]
    return np.maximum(eta - _lse(eta, axis=2, keepdims=True), LOG_FLOOR)


def _ordinal_newton(N, tau, beta, steps):
    """Newton steps (with step-halving) maximising Σ N log P for a group of ordinal items.

    N : (G, k, C) expected counts; tau (G, C) with tau[:, 0] = 0; beta (G, k).
    """
    G, k, C = N.shape
    s = np.arange(C, dtype=float)
    Nc = N.sum(axis=2)  # (G, k)

    def q(t, b):
        eta = t[:, None, :] + b[:, :, None] * s
        return (N * (eta - _lse(eta, axis=2, keepdims=True))).sum(axis=(1, 2))

    D = C - 1 + k
    eye = np.eye(D)[None]
    for _ in range(steps):
        eta = tau[:, None, :] + beta[:, :, None] * s
        p = np.exp(eta - _lse(eta, axis=2, keepdims=True))  # (G, k, C)
        resid = N - Nc[:, :, None] * p
        g = np.concatenate([resid.sum(axis=1)[:, 1:], (resid * s).sum(axis=2)], axis=1)  # (G, D)
        es = (p * s).sum(axis=2)  # (G, k)
        info = np.zeros((G, D, D))
        pr = p[:, :, 1:]  # (G, k, C-1)
        info[:, :C - 1, :C - 1] = np.einsum("gk,gkr->gr", Nc, pr)[:, :, None] * np.eye(C - 1)[None] \
            - np.einsum("gk,gkr,gkq->grq", Nc, pr, pr)
        tb = Nc[:, :, None] * pr * (s[1:][None, None, :] - es[:, :, None])  # (G, k, C-1)
        info[:, :C - 1, C - 1:] = tb.transpose(0, 2, 1)
        info[:, C - 1:, :C - 1] = tb
        var = (p * s**2).sum(axis=2) - es**2
        info[:, C - 1:, C - 1:] = (Nc * var)[:, :, None] * np.eye(k)[None]
        scale = np.maximum(np.abs(np.diagonal(info, axis1=1, axis2=2)).max(axis=1), 1.0)
        step = np.linalg.solve(info + (1e-9 * scale)[:, None, None] * eye, g[:, :, None])[:, :, 0]
        q0 = q(tau, beta)
        lam = np.ones(G)
        for _ in range(8):
            nt = tau.copy()
            nt[:, 1:] = np.clip(tau[:, 1:] + lam[:, None] * step[:, :C - 1], -TAU_MAX, TAU_MAX)
            nb = np.clip(beta + lam[:, None] * step[:, C - 1:], -BETA_MAX, BETA_MAX)
            q1 = q(nt, nb)
            bad = ~(q1 >= q0 - 1e-12 * np.abs(q0))
            if not bad.any():
                break
            lam = np.where(bad, lam / 2, lam)
        ok = ~bad
        tau[ok], beta[ok] = nt[ok], nb[ok]
    return tau, beta


class _EM:
    """One (data, k) problem: the EM map and the log-likelihood."""

    def __init__(self, data: LCAData, k: int):
        self.data = data
        self.k = k
        self.lay = _Layout(data, k)
        self.wsum = float(data.weights.sum())
        self.normalise = self.lay.normalise

    def estep(self, theta):
        """Log-likelihood at ``theta`` and the weighted posteriors."""
        logP = self.lay.log_probs(theta)
        L = self.data.Y @ logP.T
        L += self.lay.log_pi(theta)
        m = row_max(L)
        L -= m
        np.exp(L, out=L)
        s = row_sum(L)
        ll = float(self.data.weights @ (np.log(s[:, 0]) + m[:, 0]))
        L /= s
        if self.data.weighted:
            L *= self.data.weights[:, None]
        return ll, L

    def mstep(self, R, theta_prev=None, newton_steps=2):
        k, lay = self.k, self.lay
        th = np.empty(lay.size)
        nk = R.sum(axis=0)
        th[:k] = np.log(np.maximum(nk, 1e-300) / nk.sum())
        N = self.data.YT @ R  # (T, k)
        if lay.n_nom:
            Nn = N[lay.nom_cols].T  # (k, Tn)
            den = np.add.reduceat(Nn, lay.nom_starts, axis=1)
            den_full = np.repeat(den, lay.nom_sizes, axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                prob = np.where(den_full > 0, Nn / den_full, 1.0 / np.repeat(lay.nom_sizes, lay.nom_sizes)[None, :])
            th[k:k + lay.n_nom] = np.maximum(np.log(np.maximum(prob, 1e-300)), LOG_FLOOR).ravel()
        for (C, items, cols), (ts, bs) in zip(lay.groups, lay.slices):
            G = len(items)
            Ng = N[cols.ravel()].reshape(G, C, k).transpose(0, 2, 1)  # (G, k, C)
            if theta_prev is None:  # from a random start: thresholds from the margins, no locations
                marg = Ng.sum(axis=1) + 0.5
                tau = np.log(marg / marg[:, :1])
                beta = np.zeros((G, k))
                steps = 25
            else:
                tau, beta = lay.ordinal_params(theta_prev, C, G, ts, bs)
                beta = beta.copy()  # a view of theta_prev, which the Newton steps must not change
                steps = newton_steps
            tau, beta = _ordinal_newton(Ng, tau, beta, steps)
            th[ts] = tau[:, 1:].ravel()
            th[bs] = beta.ravel()
        return lay.normalise(th)


@dataclass
class LCAFit:
    """One start's state: parameters, log-likelihood (at ``theta``), iterations, convergence."""

    theta: np.ndarray = field(repr=False)
    loglik: float
    n_iter: int
    converged: bool
    last_mean: float = -np.inf  # mean log-likelihood of the E-step before the last M-step (to continue)


def random_start(data: LCAData, k: int, rng: np.random.Generator) -> np.ndarray:
    """poLCA's starting values: random response probabilities (uniform draws normalised per
    class and item), equal class shares; one EM step turns them into model parameters
    (ordinal items: thresholds and locations fitted to the resulting expected counts)."""
    em = _EM(data, k)
    T = int(data.offsets[-1])
    u = rng.random((k, T))
    logP = np.empty((k, T))
    off = data.offsets
    for j in range(len(data.n_cats)):
        blk = u[:, off[j]:off[j + 1]]
        logP[:, off[j]:off[j + 1]] = np.log(blk / blk.sum(axis=1, keepdims=True))
    L = data.Y @ logP.T - np.log(k)
    L = np.exp(L - _lse(L, axis=1, keepdims=True)) * data.weights[:, None]
    return em.mstep(L, None)


def fit_start(data: LCAData, k: int, theta: np.ndarray, *, max_iter: int, tol: float = 1e-8,
              accelerate: bool = True, last_mean: float = -np.inf) -> LCAFit:
    """Run EM (SQUAREM-accelerated by default) from ``theta`` for at most ``max_iter`` EM
    steps, on the package's one EM loop (:func:`._em.run`: converged when the weighted mean
    log-likelihood per respondent changes by less than ``tol``)."""
    fit = run_em(_EM(data, k), theta, max_iter=max_iter, tol=tol, accelerate=accelerate, last_mean=last_mean)
    return LCAFit(fit.params, fit.loglik, fit.n_iter, fit.converged, last_mean=fit.last_mean)


def parameters(data: LCAData, k: int, theta: np.ndarray) -> dict:
    """Shares, (k, T) probabilities and, for ordinal items, thresholds and locations."""
    lay = _Layout(data, k)
    out = {"shares": np.exp(lay.log_pi(theta)), "probs": np.exp(lay.log_probs(theta)), "ordinal": {}}
    for (C, items, _), (ts, bs) in zip(lay.groups, lay.slices):
        tau, beta = lay.ordinal_params(theta, C, len(items), ts, bs)
        for g, j in enumerate(items):
            out["ordinal"][int(j)] = {"thresholds": tau[g].copy(), "locations": beta[g].copy()}
    return out


def permute(data: LCAData, k: int, theta: np.ndarray, order) -> np.ndarray:
    """``theta`` with the classes in ``order``."""
    lay = _Layout(data, k)
    order = np.asarray(order)
    th = theta.copy()
    th[:k] = theta[:k][order]
    if lay.n_nom:
        th[k:k + lay.n_nom] = theta[k:k + lay.n_nom].reshape(k, -1)[order].ravel()
    for (C, items, _), (ts, bs) in zip(lay.groups, lay.slices):
        th[bs] = theta[bs].reshape(len(items), k)[:, order].ravel()
    return th


def split_largest(data: LCAData, k: int, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A (k + 1)-class start from k-class parameters: the largest class split in two halves
    whose answer probabilities are perturbed in opposite directions (log scale, ±0.5)."""
    lay, new = _Layout(data, k), _Layout(data, k + 1)
    big = int(np.argmax(theta[:k]))
    order = list(range(k)) + [big]
    th = np.empty(new.size)
    th[:k + 1] = theta[:k][order]
    th[big] -= np.log(2)
    th[k] = th[big]
    if lay.n_nom:
        block = theta[k:k + lay.n_nom].reshape(k, -1)[order].copy()
        noise = rng.uniform(-0.5, 0.5, block.shape[1])
        block[big] += noise
        block[k] -= noise
        th[k + 1:k + 1 + new.n_nom] = block.ravel()
    for (C, items, _), (ts, bs), (ts2, bs2) in zip(lay.groups, lay.slices, new.slices):
        th[ts2] = theta[ts]
        beta = theta[bs].reshape(len(items), k)[:, order].copy()
        shift = rng.uniform(-0.5, 0.5, len(items))
        beta[:, big] += shift
        beta[:, k] -= shift
        th[bs2] = beta.ravel()
    return new.normalise(th)


def log_joint(data: LCAData, k: int, theta: np.ndarray) -> np.ndarray:
    """log P(x_i, c) (n, k)."""
    lay = _Layout(data, k)
    return data.Y @ lay.log_probs(theta).T + lay.log_pi(theta)


def posteriors(data: LCAData, k: int, theta: np.ndarray) -> np.ndarray:
    L = log_joint(data, k, theta)
    return np.exp(L - _lse(L, axis=1, keepdims=True))


def simulate(data: LCAData, k: int, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Answers drawn from the model, keeping each respondent's missing answers missing."""
    p = parameters(data, k, theta)
    n, off = data.n, data.offsets
    z = rng.choice(k, size=n, p=p["shares"] / p["shares"].sum())
    codes = data.codes()
    out = np.full_like(codes, -1)
    for j in range(len(data.n_cats)):
        cum = np.cumsum(p["probs"][:, off[j]:off[j + 1]], axis=1)[z]
        cum /= cum[:, -1:]
        draw = (rng.random((n, 1)) > cum).sum(axis=1)
        out[:, j] = np.where(codes[:, j] >= 0, np.minimum(draw, data.n_cats[j] - 1), -1)
    return out


def bivariate_residuals(data: LCAData, k: int, theta: np.ndarray) -> np.ndarray:
    """Latent GOLD's bivariate residuals: for every pair of items, the Pearson chi-square of
    the observed two-way table against the model's expected table, divided by its degrees
    of freedom ``(C_i - 1)(C_j - 1)``; among respondents answering both, weighted.

    Returns
    -------
    ndarray (J, J), symmetric, NaN on the diagonal. Values above 3.84 point to local dependence.
    """
    p = parameters(data, k, theta)
    P, pi = p["probs"], p["shares"]
    off = data.offsets
    J = len(data.n_cats)
    obs_tab, pair_n = data.two_way()
    joint = (P.T * pi) @ P  # (T, T): Σ_c π_c P(a|c) P(b|c)
    out = np.full((J, J), np.nan)
    for i in range(J):
        for j in range(i + 1, J):
            o = obs_tab[off[i]:off[i + 1], off[j]:off[j + 1]]
            e = joint[off[i]:off[i + 1], off[j]:off[j + 1]] * pair_n[i, j]
            if pair_n[i, j] <= 0:  # nobody answered both
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                chi = np.where(e > 0, (o - e) ** 2 / e, 0.0).sum()
            out[i, j] = out[j, i] = chi / ((data.n_cats[i] - 1) * (data.n_cats[j] - 1))
    return out
