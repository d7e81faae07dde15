"""Latent transitions: who moved between segments from one wave to the next.

A latent transition model (a hidden Markov model of a panel; Collins & Lanza 2010, Vermunt's
latent Markov model in Latent GOLD, R's depmixS4 and LMest) follows the respondents answering
in two or more waves. Respondent ``i`` is in segment ``s_t`` at wave ``t``; the waves' answers
are independent given the segments, and the segments form a Markov chain:

``P(y_i) = Σ_{s_1..s_T} δ_{s_1} Π_{t≥2} τ^{(t)}_{s_{t-1} s_t} Π_t f_t(y_it | s_t)``

``δ`` are the first wave's segment shares, ``τ^{(t)}`` the transition matrix from wave ``t-1``
to ``t`` (one per pair of waves, or one for all, ``transitions='stationary'`` as depmixS4's
default) and ``f_t`` the measurement model: latent classes of coded answers (nominal or
ordinal items exactly as :mod:`._lca`, whose layout and M-step are reused) or latent profiles
(Gaussian, diagonal covariances). A wave the respondent did not answer contributes 1 to the
product, so a respondent interviewed once stays in the likelihood (full information, as
depmixS4's missing responses); an unanswered item drops out as in :mod:`._lca`.

Measurement invariance is a column layout: an invariant item is one set of parameters shared
by all waves; an item *freed* at the later waves is a separate column per wave (answers of the
other waves missing), so the same M-step estimates it per wave. ``invariance='full'`` shares
every item, ``'free'`` frees every item, a list frees those items (partial invariance).
:func:`._lta_invariance.invariance_test` compares them (LR test and BIC, one item freed at a time).

EM (Baum-Welch) with the forward–backward algorithm in logs, vectorised over respondents:
``log α_t = log f_t + lse_i(log α_{t-1,i} + log τ_ij)``, ``log β_t`` backwards, posteriors
``γ_t ∝ α_t β_t`` and pair posteriors ``ξ_t(i, j) ∝ α_{t-1,i} τ_ij f_t(j) β_t(j)``. M-step:
``δ ∝ Σ w γ_1``, ``τ ∝ Σ w ξ`` (row-normalised), the item parameters from the stacked
``w γ_t`` (:mod:`._lca`'s M-step, through the measurement shared with the multilevel model,
:mod:`._measurement`). With covariates the transitions are multinomial logits per
origin segment (the first destination segment the reference, as depmixS4's ``transition=~x``),
updated by two Newton steps with step-halving (a generalised EM step; :func:`workbench.core.stats.mlogit_fit`). The iteration is the
package's one EM loop (:func:`._em.run`): SQUAREM-accelerated, falling back on the plain step when an
extrapolation lowers the log-likelihood, converged when the mean log-likelihood per
respondent changes by less than ``tol``. Weights ``w_i`` multiply each respondent's
log-likelihood (pseudo-likelihood, as :mod:`._lca`).

Starts: start 0 is the frozen wave-1 model (its answer probabilities and shares; transitions
0.8 on the diagonal), the others poLCA's random answer probabilities with random
transitions; the package's two-stage schedule (:func:`._engine.fit_joint`: a short first stage,
the best quarter continued to convergence, replication counted within ``REPLICATION_TOL``). Segments
are then matched to the frozen model by their answer probabilities (Hungarian matching), so
segment 3 of the transition table is segment 3 of the model file.

Intervals: a nonparametric bootstrap over respondents (each replicate restarted from the
estimate: no label switching), standard errors and 95 % percentile intervals of every
transition probability. The naive table classifies each wave alone (modal segment under the
same measurement model, the wave's own shares) and cross-tabulates the panel: the gap to the
model's transitions is what classification error does to a cross-table.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from threadpoolctl import threadpool_limits

from ..core.errors import AnalysisError
from ..core.stats import mlogit_fit
from ._data import CategoricalEncoding
from ._em import run as run_em
from ._engine import fit_joint, seed_int, start_seeds
from ._lca import _lse
from ._measurement import Categorical, Gaussian

__all__ = ["LatentTransitionModel", "simulate_panel", "panel_frames"]

logger = logging.getLogger(__name__)

MEASUREMENTS = ("nominal", "ordinal", "gaussian")


# --------------------------------------------------------------------------- the problem
class _Problem:
    """One fit: vector ``[log δ (k), transition parameters, emission θ]``; the E- and M-step
    for the package's one EM loop (:func:`._em.run`). The emission is a shared measurement
    (:mod:`._measurement`: :class:`~._measurement.Categorical` or :class:`~._measurement.Gaussian`)."""

    def __init__(self, emission, n, n_waves, k, weights, stationary, Z):
        self.em, self.n, self.T, self.k = emission, n, n_waves, k
        self.w = weights
        self.P = 1 if stationary or n_waves < 2 else n_waves - 1  # transition sets
        self.Z = Z  # (n, p) covariates with an intercept, or None
        self.p = 0 if Z is None else Z.shape[1]
        self.tsize = self.P * k * k if Z is None else self.P * k * self.p * (k - 1)
        self.size = k + self.tsize + emission.size
        self.wsum = float(weights.sum())

    def unpack(self, th):
        k = self.k
        return th[:k], th[k:k + self.tsize], th[k + self.tsize:]

    def log_trans(self, tp):
        """(P, k, k) log transitions, or (P, n, k, k) with covariates."""
        k = self.k
        if self.Z is None:
            return tp.reshape(self.P, k, k)
        B = tp.reshape(self.P, k, self.p, k - 1)
        eta = np.einsum("np,akpj->ankj", self.Z, B)  # (P, n, k, k-1)
        eta = np.concatenate([np.zeros(eta.shape[:-1] + (1,)), eta], axis=-1)
        return eta - _lse(eta, axis=-1, keepdims=True)

    def normalise(self, th):
        ld, tp, e = self.unpack(th)
        ld = np.maximum(ld - _lse(ld), -700.0)
        if self.Z is None:
            lt = tp.reshape(self.P, self.k, self.k)
            tp = np.maximum(lt - _lse(lt, axis=2, keepdims=True), -700.0).ravel()
        else:
            tp = np.clip(tp, -30, 30)
        return np.concatenate([ld, tp, self.em.normalise(e)])

    def forward_backward(self, th, need_xi=True):
        """Log-likelihood, posteriors γ (T, n, k), pair posteriors ξ (T-1, n, k, k) and each
        respondent's log-likelihood."""
        ld, tp, e = self.unpack(th)
        n, T, k = self.n, self.T, self.k
        logf = np.asarray(self.em.logf(e)).reshape(T, n, k)
        LT = self.log_trans(tp)
        la = np.empty((T, n, k))
        la[0] = ld + logf[0]
        for t in range(1, T):
            A = LT[min(t - 1, self.P - 1)]
            la[t] = logf[t] + _lse(la[t - 1][:, :, None] + A, axis=1)
        lb = np.zeros((T, n, k))
        for t in range(T - 2, -1, -1):
            A = LT[min(t, self.P - 1)]
            lb[t] = _lse(A + (logf[t + 1] + lb[t + 1])[:, None, :], axis=2)
        lli = _lse(la[-1], axis=1)
        ll = float(self.w @ lli)
        gamma = np.exp(la + lb - lli[None, :, None])
        xi = None
        if need_xi and T > 1:
            xi = np.empty((T - 1, n, k, k))
            for t in range(1, T):
                A = LT[min(t - 1, self.P - 1)]
                xi[t - 1] = np.exp(la[t - 1][:, :, None] + A + (logf[t] + lb[t])[:, None, :] - lli[:, None, None])
        return ll, gamma, xi, lli

    def estep(self, th):
        ll, gamma, xi, _ = self.forward_backward(th)
        return ll, (gamma, xi)

    def mstep(self, posteriors, th_prev):
        gamma, xi = posteriors
        _, tp_prev, e_prev = self.unpack(th_prev)
        w = self.w
        d = w @ gamma[0]
        ld = np.log(np.maximum(d, 1e-300) / d.sum())
        k = self.k
        if xi is None:
            tp = tp_prev
        elif self.Z is None:
            S = np.einsum("n,tnij->tij", w, xi)
            if self.P == 1:
                S = S.sum(axis=0, keepdims=True)
            tp = np.log(np.maximum(S, 1e-300) / np.maximum(S.sum(axis=2, keepdims=True), 1e-300)).ravel()
        else:
            B = tp_prev.reshape(self.P, k, self.p, k - 1).copy()
            for a in range(self.P):
                X = xi[a] if self.P > 1 else xi.sum(axis=0)
                for i in range(k):
                    B[a, i] = _logit_steps(self.Z, X[:, i, :] * w[:, None], B[a, i])
            tp = B.ravel()
        R = (gamma * w[None, :, None]).reshape(self.T * self.n, k)
        e = self.em.mstep(R, e_prev)
        return self.normalise(np.concatenate([ld, tp, e]))


def _logit_steps(Z, Y, B, steps=2):
    """Two Newton steps (step-halving) of the transitions' multinomial logit from one origin
    segment, maximising ``Σ_n Σ_j Y_nj log softmax(Z B)_j`` (Y the weighted pair posteriors
    (n, k)), by the package's one multinomial-logit solver :func:`workbench.core.stats.mlogit_fit`.
    ``Z`` (n, p) holds the intercept first; ``B`` (p, k-1) are the log-odds against the first
    destination segment (depmixS4's parametrisation), in and out."""
    start = np.concatenate([np.zeros((Z.shape[1], 1)), B], axis=1)
    coef, _ = mlogit_fit(Z[:, 1:], Y, np.ones(len(Y)), C=np.inf, start=start, tol=0.0, max_iter=steps)
    return np.clip(coef[:, 1:] - coef[:, :1], -30, 30)


# --------------------------------------------------------------------------- data
def panel_frames(waves) -> tuple[list, pd.Index, list]:
    """The waves' frames aligned on the union of their ids (a wave's absent respondents all
    missing). Returns (aligned frames, ids, per-wave presence masks)."""
    if not isinstance(waves, (list, tuple)) or len(waves) < 2:
        raise AnalysisError("a latent transition model needs the answers of two or more waves (a list of frames, "
                            "one per wave, indexed by the panel id)")
    cols = list(waves[0].columns)
    for t, f in enumerate(waves):
        if not isinstance(f, pd.DataFrame):
            raise AnalysisError(f"wave {t + 1} is not a DataFrame of respondents × items")
        if list(f.columns) != cols:
            raise AnalysisError(f"wave {t + 1} has the items {list(f.columns)[:5]}..., wave 1 {cols[:5]}...; every "
                                "wave needs the same basis items in the same order")
        if f.index.has_duplicates:
            raise AnalysisError(f"panel id {f.index[f.index.duplicated()][0]} appears twice in wave {t + 1}; each "
                                "respondent must appear once per wave")
    ids = waves[0].index
    for f in waves[1:]:
        ids = ids.union(f.index, sort=False)
    aligned = [f.reindex(ids) for f in waves]
    present = [ids.isin(f.index) & f.reindex(ids).notna().any(axis=1).to_numpy() for f in waves]
    return aligned, ids, present


# --------------------------------------------------------------------------- the estimator
class LatentTransitionModel:
    """Segments over waves with transitions between them (latent transition analysis).

    Parameters
    ----------
    n_classes : int, default=3
        Segments ``k`` (the same at every wave).
    measurement : {'nominal', 'ordinal', 'gaussian'} or dict of item to 'nominal'/'ordinal', default='nominal'
        Coded answers as :class:`~workbench.segments.LatentClassModel`, or continuous scores
        (Gaussian profiles with diagonal covariances).
    invariance : {'full', 'free'} or list of items, default='full'
        Item parameters shared by all waves ('full'), each wave its own ('free'), or the
        listed items freed at every wave (partial invariance).
    transitions : {'wave', 'stationary'}, default='wave'
        One transition matrix per pair of consecutive waves, or one for all (depmixS4's model).
    n_init : int, default=10
        Starts (start 0 the given ``start`` parameters when there are any).
    init_iter : int, default=30
    n_final : int or None, default=None
    max_iter : int, default=3000
    tol : float, default=1e-8
        EM stops when the mean log-likelihood per respondent changes by less than this.
    random_state : int, numpy Generator or None

    Attributes
    ----------
    initial_ : ndarray (k,)
        δ: the first wave's segment shares.
    transitions_ : ndarray (P, k, k)
        τ (rows: from, columns: to); with covariates, the mean over respondents.
    coefficients_ : ndarray or None
        Multinomial-logit coefficients (P, k from, p covariates incl. intercept, k - 1 to).
    shares_ : ndarray (T, k)
        Segment shares per wave implied by the model.
    loglik_, n_parameters_, bic_, aic_ : float, int, float, float
    posteriors_ : list of DataFrame
        P(segment at wave t | all answers), respondents × k.
    """

    def __init__(self, n_classes=3, *, measurement="nominal", invariance="full", transitions="wave", n_init=10,
                 init_iter=30, n_final=None, max_iter=3000, tol=1e-8, random_state=None):
        self.n_classes = n_classes
        self.measurement = measurement
        self.invariance = invariance
        self.transitions = transitions
        self.n_init = n_init
        self.init_iter = init_iter
        self.n_final = n_final
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # ------------------------------------------------------------------ input
    def _check_params(self):
        for name in ("n_classes", "n_init", "init_iter", "max_iter"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise AnalysisError(f"{name} must be a positive whole number, got {v!r}")
        if self.transitions not in ("wave", "stationary"):
            raise AnalysisError(f"transitions must be 'wave' or 'stationary', got {self.transitions!r}")

    def _freed(self, columns) -> list:
        inv = self.invariance
        if isinstance(inv, str):
            if inv not in ("full", "free"):
                raise AnalysisError(f"invariance must be 'full', 'free' or a list of items, got {inv!r}")
            return [] if inv == "full" else list(columns)
        unknown = [str(c) for c in inv if str(c) not in set(columns)]
        if unknown:
            raise AnalysisError(f"invariance frees item(s) {', '.join(unknown)} that are not in the basis")
        return [c for c in columns if c in set(map(str, inv))]

    def _build(self, waves, sample_weight, covariates):
        aligned, ids, present = panel_frames(waves)
        T = len(aligned)
        cols = [str(c) for c in aligned[0].columns]
        freed = self._freed(cols)
        k = int(self.n_classes)
        gaussian = self.measurement == "gaussian"
        # the stacked layout: invariant items one column, freed items one column per wave
        layout = []  # (name, item, wave or None)
        for c in cols:
            if c in freed:
                layout += [(f"{c} @ wave {t + 1}", c, t) for t in range(T)]
            else:
                layout.append((c, c, None))
        if gaussian:
            X = np.full((T * len(ids), len(layout)), np.nan)
            for t, f in enumerate(aligned):
                vals = f.to_numpy(dtype=float)
                for j, (_, item, wt) in enumerate(layout):
                    if wt is None or wt == t:
                        X[t * len(ids):(t + 1) * len(ids), j] = vals[:, cols.index(item)]
            emission = Gaussian(X, k)
            self.encoding_ = None
        else:
            self.encoding_ = CategoricalEncoding.fit(pd.concat(aligned, axis=0, ignore_index=True))
            meas = self.measurement
            if isinstance(meas, str):
                if meas not in ("nominal", "ordinal"):
                    raise AnalysisError(f"unknown measurement {meas!r}; expected one of {', '.join(MEASUREMENTS)}")
                meas = {c: meas for c in cols}
            ordinal_item = {c: meas.get(c, "nominal") == "ordinal" for c in cols}
            codes_w = [self.encoding_.codes(f.set_axis(cols, axis=1)) for f in aligned]
            codes = np.full((T * len(ids), len(layout)), -1, dtype=np.int32)
            for t in range(T):
                for j, (_, item, wt) in enumerate(layout):
                    if wt is None or wt == t:
                        codes[t * len(ids):(t + 1) * len(ids), j] = codes_w[t][:, cols.index(item)]
            ncat = [len(self.encoding_.categories[cols.index(item)]) for _, item, _ in layout]
            emission = Categorical.from_codes(codes, ncat, [ordinal_item[item] for _, item, _ in layout], k)
        w = np.ones(len(ids))
        if sample_weight is not None:
            sw = sample_weight.reindex(ids) if isinstance(sample_weight, pd.Series) else \
                pd.Series(np.asarray(sample_weight, dtype=float), index=ids)
            if sw.isna().any() or (sw < 0).any():
                raise AnalysisError(f"respondent {sw.index[(sw.isna() | (sw < 0)).to_numpy()][0]} has no valid "
                                    "weight; give every panel respondent a weight of 0 or more")
            w = sw.to_numpy(dtype=float)
            w = w * len(w) / w.sum()
        Z, zcols = None, []
        if covariates is not None:
            cov = covariates.reindex(ids) if isinstance(covariates, pd.DataFrame) else None
            if cov is None:
                raise AnalysisError("covariates must be a DataFrame indexed by the panel id")
            cov = cov.apply(pd.to_numeric, errors="coerce")
            if cov.isna().any().any():
                bad = cov.isna().any(axis=1)
                raise AnalysisError(f"respondent {cov.index[bad.to_numpy()][0]} lacks a covariate value (or holds "
                                    "text); give every panel respondent a number for each covariate")
            Z = np.column_stack([np.ones(len(ids)), cov.to_numpy(dtype=float)])
            zcols = ["(intercept)"] + [str(c) for c in cov.columns]
        prob = _Problem(emission, len(ids), T, k, w, self.transitions == "stationary", Z)
        return prob, ids, present, cols, layout, zcols

    def _start_theta(self, prob, cols, layout, start):
        """θ from given parameters: ``{'shares': (k,), 'probabilities': {item: (C, k)}}`` or
        ``{'shares', 'means': (k, d), 'variances': (k, d)}``, transitions 0.8 on the diagonal."""
        k = prob.k
        sh = np.asarray(start["shares"], dtype=float)
        ld = np.log(np.maximum(sh, 1e-6) / np.maximum(sh, 1e-6).sum())
        if isinstance(prob.em, Gaussian):
            means = np.asarray(start["means"], dtype=float)
            var = np.asarray(start["variances"], dtype=float)
            idx = [cols.index(item) for _, item, _ in layout]
            e = prob.em.from_probabilities((means[:, idx], var[:, idx]))
        else:
            probs = []
            for _, item, _ in layout:
                p = np.asarray(start["probabilities"][item], dtype=float)
                cats = self.encoding_.categories[cols.index(item)]
                if p.shape[0] != len(cats):
                    raise AnalysisError(f"the start's probabilities of item '{item}' have {p.shape[0]} codes, the "
                                        f"data {len(cats)}; give one row per answer code")
                probs.append(p)
            e = prob.em.from_probabilities(probs)
        return prob.normalise(np.concatenate([ld, self._trans_start(prob, np.full((k, k), 0.2 / max(k - 1, 1))
                                                                    + np.eye(k) * (0.8 - 0.2 / max(k - 1, 1))), e]))

    @staticmethod
    def _trans_start(prob, M):
        k = prob.k
        if prob.Z is None:
            return np.tile(np.log(M).ravel(), prob.P)
        B = np.zeros((prob.P, k, prob.p, k - 1))
        L = np.log(M)
        B[:, :, 0, :] = (L[:, 1:] - L[:, :1])[None]
        return B.ravel()

    def fit(self, waves, *, sample_weight=None, covariates=None, start=None):
        """Fit to the answers of two or more waves.

        Parameters
        ----------
        waves : list of DataFrame
            One frame per wave (respondents × the same items), indexed by the panel id (the
            same respondent has the same index in every wave they answered). Coded answers
            (latent classes) or scores (``measurement='gaussian'``); NaN where missing.
        sample_weight : Series by panel id, optional
            Respondent weights (normalised to mean 1).
        covariates : DataFrame by panel id, optional
            Numeric covariates of the transitions (multinomial logit per origin segment).
        start : dict, optional
            The frozen model's parameters: ``shares`` and ``probabilities`` (item -> codes × k)
            or ``means`` / ``variances`` (k × items). Start 0; the segments are matched to it.

        Returns
        -------
        self
        """
        self._check_params()
        prob, ids, present, cols, layout, zcols = self._build(waves, sample_weight, covariates)
        k, T = prob.k, prob.T
        n_eff = int(sum(p.sum() for p in present))
        p_free = (k - 1) + (prob.tsize if prob.Z is not None else prob.P * k * (k - 1)) + prob.em.n_parameters
        if p_free >= n_eff:
            raise AnalysisError(f"{k} segments over {T} waves need {p_free} parameters, but there are only {n_eff} "
                                "interviews; use fewer segments or items")
        seeds = start_seeds(seed_int(self.random_state), "lta", k, int(self.n_init))

        def make_start(i, rng):
            if i == 0 and start is not None:
                return self._start_theta(prob, cols, layout, start), "frozen model"
            M = rng.dirichlet(np.ones(k), size=k) * 0.5 + np.eye(k) * 0.5
            ld = np.log(rng.dirichlet(np.ones(k) * 5))
            return prob.normalise(np.concatenate([ld, self._trans_start(prob, M), prob.em.random(rng)])), "random"

        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"), \
                threadpool_limits(limits=1):
            starts, best, self.replicated_ = fit_joint(
                prob, seeds, make_start, init_iter=self.init_iter, n_final=self.n_final, max_iter=self.max_iter,
                tol=self.tol, what=f"the latent transition model (k={k})")
        self.starts_ = pd.DataFrame([{"start": s.start, "kind": s.kind, "stage": s.stage, "n_iter": s.n_iter,
                                      "loglik": s.loglik, "converged": s.converged, "best": s is best}
                                     for s in starts])
        self._prob, self._cols, self._layout, self._zcols, self._start = prob, cols, layout, zcols, start
        self.ids_, self.present_ = ids, present
        th = best.theta
        if start is not None and best.kind != "frozen model":
            th = self._permuted(th, self._match(th, prob, cols, layout, start))
        elif start is None:
            th = self._permuted(th, np.argsort(-np.exp(prob.unpack(th)[0]), kind="stable"))
        self._set(th)
        self.converged_, self.n_iter_ = best.converged, best.n_iter
        self.n_parameters_ = p_free
        self.n_interviews_ = n_eff
        self.bic_ = -2 * self.loglik_ + p_free * np.log(prob.n)
        self.aic_ = -2 * self.loglik_ + 2 * p_free
        return self

    def _match(self, th, prob, cols, layout, start):
        """Order of the fitted segments that best matches the start's (Hungarian matching)."""
        ref = self._start_theta(prob, cols, layout, start)
        if isinstance(prob.em, Gaussian):
            a, _ = prob.em.unpack(prob.unpack(th)[2])
            b, _ = prob.em.unpack(prob.unpack(ref)[2])
        else:
            a = prob.em.probabilities(prob.unpack(th)[2])
            b = prob.em.probabilities(prob.unpack(ref)[2])
        cost = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
        rows, c = linear_sum_assignment(cost)
        order = np.empty(prob.k, dtype=int)
        order[c] = rows
        return order

    def _permuted(self, th, order):
        prob = self._prob
        ld, tp, e = prob.unpack(th)
        k = prob.k
        if prob.Z is None:
            tp = tp.reshape(prob.P, k, k)[:, order][:, :, order].ravel()
        else:  # re-express with the new reference category through the probabilities is not linear: refit
            B = tp.reshape(prob.P, k, prob.p, k - 1)
            full = np.concatenate([np.zeros(B.shape[:-1] + (1,)), B], axis=-1)[:, order][:, :, :, order]
            tp = (full[..., 1:] - full[..., :1]).ravel()
        return np.concatenate([ld[order], tp, prob.em.permute(e, order)])

    def _set(self, th):
        prob = self._prob
        self.theta_ = th
        ll, gamma, xi, lli = prob.forward_backward(th)
        self.loglik_ = ll
        ld, tp, _ = prob.unpack(th)
        k, T = prob.k, prob.T
        self.initial_ = np.exp(ld)
        LT = np.exp(prob.log_trans(tp))
        if prob.Z is None:
            self.transitions_ = LT
            self.coefficients_ = None
        else:
            self.transitions_ = LT.mean(axis=1)
            self.coefficients_ = tp.reshape(prob.P, k, prob.p, k - 1)
        shares = [self.initial_]
        for t in range(1, T):
            A = LT[min(t - 1, prob.P - 1)]
            shares.append(shares[-1] @ A if prob.Z is None else np.mean(
                np.einsum("nk,nkj->nj", np.tile(shares[-1], (prob.n, 1)), A), axis=0))
        self.shares_ = np.vstack(shares)
        cols = pd.RangeIndex(1, k + 1, name="segment")
        self.posteriors_ = [pd.DataFrame(gamma[t], index=self.ids_, columns=cols) for t in range(T)]
        self._gamma, self._xi, self._lli = gamma, xi, lli
        self.n_classes_, self.n_waves_, self.n_respondents_ = k, T, prob.n

    # ------------------------------------------------------------------ results
    def _check_fitted(self):
        if not hasattr(self, "theta_"):
            raise AnalysisError("the latent transition model is not fitted yet; call fit() first")

    def transition_table(self, pair: int = 1) -> pd.DataFrame:
        """τ from wave ``pair`` to ``pair + 1`` (1-based), rows: from, columns: to."""
        self._check_fitted()
        P = self.transitions_[min(pair - 1, len(self.transitions_) - 1)]
        idx = pd.RangeIndex(1, self.n_classes_ + 1)
        return pd.DataFrame(P, index=idx.rename("from"), columns=idx.rename("to"))

    def stayers(self, pair: int = 1) -> pd.DataFrame:
        """Per segment of wave ``pair``: the share staying (τ_ii), and the panel's overall share
        of stayers ``Σ_i P(s_t = i) τ_ii`` in the row 'all'."""
        P = self.transition_table(pair)
        sh = self.shares_[pair - 1]
        out = pd.DataFrame({"share_at_start": sh, "stayed": np.diag(P.to_numpy())}, index=P.index.rename("segment"))
        out.loc["all"] = [1.0, float(sh @ np.diag(P.to_numpy()))]
        return out

    def modal(self, wave: int) -> pd.Series:
        """Segment of each panel respondent at ``wave`` (1-based) given all their answers
        (Int64, NA when they did not answer that wave)."""
        g = self.posteriors_[wave - 1]
        out = pd.Series(g.to_numpy().argmax(axis=1) + 1, index=g.index, dtype="Int64")
        out[~self.present_[wave - 1]] = pd.NA
        return out

    def wave_posteriors(self, wave: int) -> pd.DataFrame:
        """P(segment | this wave's answers only), under the fitted measurement model and the
        wave's own segment shares: each wave classified alone."""
        self._check_fitted()
        prob = self._prob
        logf = np.asarray(prob.em.logf(prob.unpack(self.theta_)[2])).reshape(prob.T, prob.n, prob.k)[wave - 1]
        L = logf + np.log(np.maximum(self.shares_[wave - 1], 1e-300))
        P = np.exp(L - _lse(L, axis=1, keepdims=True))
        return pd.DataFrame(P, index=self.ids_, columns=pd.RangeIndex(1, prob.k + 1, name="segment"))

    def naive_table(self, pair: int = 1, *, normalise=True) -> pd.DataFrame:
        """Cross-table of each wave's own modal segment among respondents answering both waves
        (row shares when ``normalise``, weighted counts otherwise)."""
        a, b = pair - 1, pair
        both = self.present_[a] & self.present_[b]
        s0 = self.wave_posteriors(a + 1).to_numpy()[both].argmax(axis=1)
        s1 = self.wave_posteriors(b + 1).to_numpy()[both].argmax(axis=1)
        k = self.n_classes_
        tab = np.zeros((k, k))
        np.add.at(tab, (s0, s1), self._prob.w[both])
        if normalise:
            tab = tab / np.maximum(tab.sum(axis=1, keepdims=True), 1e-300)
        idx = pd.RangeIndex(1, k + 1)
        return pd.DataFrame(tab, index=idx.rename("from"), columns=idx.rename("to"))

    def flows(self, pair: int = 1) -> pd.DataFrame:
        """Expected number of panel respondents (answering both waves, weighted) moving from
        each segment to each other: Σ w ξ."""
        self._check_fitted()
        both = self.present_[pair - 1] & self.present_[pair]
        xi = self._xi[pair - 1][both]
        tab = np.einsum("n,nij->ij", self._prob.w[both], xi)
        idx = pd.RangeIndex(1, self.n_classes_ + 1)
        return pd.DataFrame(tab, index=idx.rename("from"), columns=idx.rename("to"))

    def item_parameters(self) -> pd.DataFrame:
        """Tidy: column (item, or 'item @ wave t' when freed), item, wave ('all' when shared),
        category / statistic, segment, value."""
        self._check_fitted()
        prob = self._prob
        e = prob.unpack(self.theta_)[2]
        rows = []
        if isinstance(prob.em, Gaussian):
            mu, lv = prob.em.unpack(e)
            for j, (name, item, wt) in enumerate(self._layout):
                for c in range(prob.k):
                    rows.append((name, item, "all" if wt is None else str(wt + 1), "mean", c + 1, float(mu[c, j])))
                    rows.append((name, item, "all" if wt is None else str(wt + 1), "variance", c + 1,
                                 float(np.exp(lv[c, j]))))
        else:
            P = prob.em.probabilities(e)
            off = prob.em.data.offsets
            cols = self._cols
            for j, (name, item, wt) in enumerate(self._layout):
                cats = self.encoding_.categories[cols.index(item)]
                for r, code in enumerate(cats):
                    for c in range(prob.k):
                        rows.append((name, item, "all" if wt is None else str(wt + 1), code, c + 1,
                                     float(P[c, off[j] + r])))
        return pd.DataFrame(rows, columns=["column", "item", "wave", "category", "segment", "value"])

    def bootstrap(self, n_boot: int = 50, *, random_state=None, max_iter: int = 500) -> pd.DataFrame:
        """Nonparametric bootstrap over respondents: each replicate reweights the respondents by
        multinomial counts and runs EM from the estimate. Returns per transition (pair, from,
        to): estimate, standard error, 2.5 % and 97.5 % percentiles."""
        self._check_fitted()
        prob = self._prob
        rng = np.random.default_rng(seed_int(random_state if random_state is not None else self.random_state))
        draws = []
        w0 = prob.w
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"), \
                threadpool_limits(limits=1):
            for _ in range(int(n_boot)):
                counts = rng.multinomial(prob.n, np.full(prob.n, 1 / prob.n)).astype(float)
                bp = _Problem(prob.em, prob.n, prob.T, prob.k, w0 * counts, prob.P == 1 and prob.T > 2, prob.Z)
                th = run_em(bp, self.theta_, max_iter=max_iter, tol=1e-6, accelerate=True).params
                LT = np.exp(bp.log_trans(bp.unpack(th)[1]))
                draws.append(LT if prob.Z is None else LT.mean(axis=1))
        D = np.stack(draws)  # (B, P, k, k)
        rows = []
        for a in range(D.shape[1]):
            for i in range(prob.k):
                for j in range(prob.k):
                    d = D[:, a, i, j]
                    rows.append({"pair": a + 1, "from": i + 1, "to": j + 1,
                                 "probability": float(self.transitions_[a, i, j]), "se": float(d.std(ddof=1)),
                                 "low": float(np.quantile(d, 0.025)), "high": float(np.quantile(d, 0.975))})
        self.bootstrap_ = pd.DataFrame(rows)
        self.n_boot_ = int(n_boot)
        return self.bootstrap_

    def summary(self) -> pd.DataFrame:
        """One row: segments, waves, respondents, interviews, log-likelihood, parameters, BIC."""
        self._check_fitted()
        inv = self.invariance if isinstance(self.invariance, str) else f"partial ({len(self.invariance)} freed)"
        return pd.DataFrame([{"segments": self.n_classes_, "waves": self.n_waves_,
                              "respondents": self.n_respondents_, "interviews": self.n_interviews_,
                              "in every wave": int(np.logical_and.reduce(self.present_).sum()),
                              "invariance": inv, "log-likelihood": self.loglik_, "parameters": self.n_parameters_,
                              "BIC": self.bic_, "AIC": self.aic_, "starts": len(self.starts_),
                              "replicated": self.replicated_, "converged": self.converged_}])


# --------------------------------------------------------------------------- generated panels
def simulate_panel(n=1000, *, n_waves=2, n_items=10, n_categories=3, initial=None, transitions=None,
                   separation=0.75, drift=None, only_one=0.0, covariate_effect=None, random_state=None):
    """A generated panel with planted segments and transitions.

    Parameters
    ----------
    initial : array (k,), default (0.4, 0.35, 0.25)
    transitions : array (k, k), default 0.8 stay, the rest spread
    separation : float
        Each segment prefers one answer per item with this probability.
    drift : dict of item index to int, optional
        Items whose preferred answer shifts by this many codes at the later waves (a
        measurement change, for the invariance test).
    only_one : float
        Share of respondents answering only one wave (half the first, half a later one).
    covariate_effect : float, optional
        A standard normal covariate ``x`` raising the log-odds of moving to the last segment by
        this much per unit (from every segment).

    Returns
    -------
    waves : list of DataFrame (respondents × ``q1..``), indexed ``P00001``...
    truth : DataFrame of the planted segment per wave (columns ``wave 1``...), and ``x``
    """
    rng = np.random.default_rng(random_state)
    d = np.array([0.4, 0.35, 0.25]) if initial is None else np.asarray(initial, float)
    k = len(d)
    A = (np.full((k, k), 0.2 / (k - 1)) + np.eye(k) * (0.8 - 0.2 / (k - 1))) if transitions is None \
        else np.asarray(transitions, float)
    C = int(n_categories)
    x = rng.standard_normal(n)
    s = np.empty((n_waves, n), dtype=int)
    s[0] = rng.choice(k, size=n, p=d / d.sum())
    for t in range(1, n_waves):
        for i in range(n):
            row = np.log(A[s[t - 1, i]])
            if covariate_effect:
                row = row.copy()
                row[-1] += covariate_effect * x[i]
            p = np.exp(row - row.max())
            s[t, i] = rng.choice(k, p=p / p.sum())
    idx = pd.Index([f"P{i + 1:05d}" for i in range(n)], name="respondent")
    frames = []
    absent = np.zeros((n_waves, n), dtype=bool)
    one = rng.random(n) < only_one
    which = rng.integers(0, n_waves, size=n)
    for t in range(n_waves):
        absent[t] = one & (which != t)
    for t in range(n_waves):
        probs = np.full((k, n_items, C), (1 - separation) / (C - 1))
        for c in range(k):
            for j in range(n_items):
                shift = (drift or {}).get(j, 0) if t > 0 else 0
                probs[c, j, (c + j * (c + 1) + shift) % C] = separation
        u = rng.random((n, n_items, 1))
        codes = (u > np.cumsum(probs[s[t]], axis=2)).sum(axis=2) + 1.0
        f = pd.DataFrame(codes, index=idx, columns=[f"q{j + 1}" for j in range(n_items)])
        frames.append(f[~absent[t]])
    truth = pd.DataFrame({f"wave {t + 1}": s[t] + 1 for t in range(n_waves)}, index=idx)
    truth["x"] = x
    for t in range(n_waves):
        truth.loc[absent[t], f"wave {t + 1}"] = 0
    return frames, truth
