"""Multilevel latent classes: respondent classes within account classes (Vermunt 2003).

In a B2B study several people answer for one customer (buyer, technician, finance). The
nonparametric multilevel latent class model (Vermunt 2003, "Multilevel latent class
models", Sociological Methodology 33; the model of Latent GOLD Advanced and of R's
multilevLCA, Lyrvall et al. 2025) gives each account ``j`` one of ``M`` account classes and,
within it, each respondent ``i`` one of ``T`` respondent classes:

``P(y_j) = Σ_m ω_m Π_{i ∈ j} Σ_t π_{t|m} Π_k P(y_ik | t)``

``ω_m`` are the account-class shares, ``π_{t|m}`` the mix of respondent classes in an
account of class ``m`` (a "consensus" account class has one dominant respondent class, a
"split" one two), and ``P(y | t)`` the respondent classes' answer probabilities, the same in
every account class (as multilevLCA and Latent GOLD's default). Items are nominal or ordinal
exactly as in :mod:`._lca` (whose layout and M-step are reused).

EM with the upward–downward algorithm
-------------------------------------
Upward: ``f_it = P(y_i | t)``; ``a_im = log Σ_t π_{t|m} f_it`` per respondent;
``log L_j(m) = log ω_m + Σ_{i ∈ j} w_i a_im`` per account; ``P(m | y_j)`` normalises it.
Downward: ``P(m, t | y_j) = P(m | y_j) π_{t|m} f_it / exp(a_im)`` for each respondent. The
M-step sums these: ``ω ∝ Σ_j v_j P(m | y_j)``, ``π_{t|m} ∝ Σ_i w_i v_j P(m, t | ·)`` and the
item parameters from ``Σ_m w_i v_j P(m, t | ·)`` (the single-level M-step of :mod:`._lca`, through
the measurement shared with the transition model, :class:`._measurement.Categorical`). The
iteration is the package's one EM loop (:func:`._em.run`): SQUAREM-accelerated, falling back
on the plain EM step whenever an extrapolation lowers the log-likelihood, converged when the
mean log-likelihood per account (account weights summing to J) changes by less than ``tol``.

Weights are pseudo-likelihood weights (Asparouhov 2006): a respondent weight ``w_i`` raises
the respondent's contribution to that power within the account, scaled to sum to the
account's number of respondents (Pfeffermann et al. 1998; Mplus' and Latent GOLD's default
scaling of within weights: the fit does not depend on the weights' scale, and a weight
says who counts more within the account); an account weight ``v_j`` (mean 1 over accounts)
multiplies the account's log-likelihood (a weight of 2 counts the account twice).
Missing answers drop out of a respondent's likelihood (full information); a respondent
without any answer carries no information and is classified from the account.

Model choice, as multilevLCA reports it: with ``p = T Σ_k (C_k - 1) + M (T - 1) + (M - 1)``
free parameters (nominal items; an ordinal item has ``C - 1 + T - 1``), the respondent-level
``BIC_low = -2 LL + p ln n`` (n respondents) and the account-level ``BIC_high = -2 LL + p ln J``
(J accounts). The number of account classes is chosen by ``BIC_high`` with ``T`` fixed, as
the second step of multilevLCA's sequential selection (Lukočienė, Varriale & Vermunt 2010).

Starts follow the package's schedule (:func:`._engine.fit_joint`): ``n_init`` seeded starts, a
short first stage of ``init_iter`` iterations, the best quarter continued to convergence,
replication of the best log-likelihood counted within ``REPLICATION_TOL`` (absolute). Start 0 is
multilevLCA's start (a single-level LCA, account means of its posteriors grouped by
k-means); the others draw poLCA's random answer probabilities and random class mixes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from ..core.errors import AnalysisError
from ._data import CategoricalEncoding, as_numeric_frame, prepare_weights
from ._engine import fit_joint, seed_int, start_seeds
from ._lca import LCAData, _EM as _LCAEM, _lse, fit_start as lca_fit_start, random_start as lca_random_start
from ._measurement import Categorical

__all__ = ["MultilevelLatentClass", "AccountClassSelection", "select_account_classes", "multilevel_parameters",
           "simulate_accounts"]

logger = logging.getLogger(__name__)

MEASUREMENTS = ("nominal", "ordinal")


def multilevel_parameters(data: LCAData, n_classes: int, n_account_classes: int) -> int:
    """Free parameters: the respondent classes' answer parameters, ``M (T - 1)`` class mixes
    and ``M - 1`` account-class shares (multilevLCA's count for nominal items)."""
    T, M = int(n_classes), int(n_account_classes)
    return int(data.n_parameters(T) - (T - 1) + M * (T - 1) + (M - 1))


class _Problem:
    """One (data, accounts, T, M) model: the packed parameter vector, the E- and M-steps for
    the package's one EM loop (:func:`._em.run`).

    The vector is ``[log ω (M), log π (M×T), item θ of ._lca (its T shares unused)]``; the
    item part is the shared measurement (:class:`._measurement.Categorical`).
    """

    def __init__(self, data: LCAData, group: np.ndarray, n_groups: int, group_weight: np.ndarray, T: int, M: int):
        self.data, self.T, self.M = data, T, M
        self.items = Categorical(data, T)
        self.lay = self.items.lay
        n = data.n
        self.G = sparse.csr_array((np.ones(n), (group, np.arange(n))), shape=(n_groups, n))
        self.group = group
        self.v = group_weight  # (J,)
        self.vi = group_weight[group]  # account weight of each respondent
        self.w = data.weights
        self.size = M + M * T + self.lay.size
        self.wsum = float(group_weight.sum())

    def unpack(self, th):
        M, T = self.M, self.T
        return th[:M], th[M:M + M * T].reshape(M, T), th[M + M * T:]

    def pack(self, log_omega, log_pi, item):
        return np.concatenate([log_omega, log_pi.ravel(), item])

    def normalise(self, th):
        lo, lp, item = self.unpack(th)
        lo = np.maximum(lo - _lse(lo), -700.0)
        lp = np.maximum(lp - _lse(lp, axis=1, keepdims=True), -700.0)
        return self.pack(lo, lp, self.items.normalise(item))

    def upward_downward(self, th):
        """Log-likelihood, account posteriors (J, M), joint posteriors (n, M, T)."""
        lo, lp, item = self.unpack(th)
        logf = self.items.logf(item)  # (n, T)
        joint = lp[None, :, :] + logf[:, None, :]  # (n, M, T)
        a = _lse(joint, axis=2)  # (n, M)
        acc = self.G @ (a * self.w[:, None]) + lo  # (J, M)
        llj = _lse(acc, axis=1)
        ll = float(self.v @ llj)
        pw = np.exp(acc - llj[:, None])  # (J, M)
        q = np.exp(joint - a[:, :, None]) * pw[self.group][:, :, None]  # (n, M, T)
        return ll, pw, q

    def estep(self, th):
        ll, pw, q = self.upward_downward(th)
        return ll, (pw, q)

    def mstep(self, posteriors, th_prev):
        pw, q = posteriors
        _, _, item_prev = self.unpack(th_prev)
        om = self.v @ pw
        lo = np.log(np.maximum(om, 1e-300) / om.sum())
        wq = q * (self.w * self.vi)[:, None, None]
        pi = wq.sum(axis=0)
        lp = np.log(np.maximum(pi, 1e-300) / pi.sum(axis=1, keepdims=True))
        item = self.items.mstep(wq.sum(axis=1), item_prev)
        return self.normalise(self.pack(lo, lp, item))


def _random_theta(prob: _Problem, rng: np.random.Generator):
    """poLCA's random answer probabilities (via ._lca.random_start), random class mixes
    (flat Dirichlet), equal account-class shares."""
    item = prob.items.random(rng)
    lp = np.log(rng.dirichlet(np.ones(prob.T), size=prob.M))
    lo = np.full(prob.M, -np.log(prob.M))
    return prob.normalise(prob.pack(lo, lp, item))


def _informed_theta(prob: _Problem, n_groups: int, rng: np.random.Generator, single=None):
    """multilevLCA's start: a single-level LCA; each account's mean posterior; k-means of these
    means into M groups; ω from the groups' sizes and π from the cross-table of the groups with
    the respondents' modal classes (1e-4 for an empty cell)."""
    data, T, M = prob.data, prob.T, prob.M
    if single is None:
        best = None
        for _ in range(5):
            th = lca_random_start(data, T, rng)
            fit = lca_fit_start(data, T, th, max_iter=1000, tol=1e-8)
            if best is None or fit.loglik > best.loglik:
                best = fit
        single = best.theta
    em = _LCAEM(data, T)
    _, R = em.estep(single)
    R = R / np.maximum(R.sum(axis=1, keepdims=True), 1e-300)
    counts = np.bincount(prob.group, minlength=n_groups).astype(float)
    means = (prob.G @ R) / counts[:, None]
    if M == 1:
        lab = np.zeros(n_groups, dtype=int)
    else:
        km = KMeans(n_clusters=M, n_init=10, random_state=int(rng.integers(2**31 - 1))).fit(means)
        lab = km.labels_
    om = np.bincount(lab, minlength=M).astype(float)
    tab = np.full((M, T), 0.0)
    np.add.at(tab, (lab[prob.group], R.argmax(axis=1)), 1.0)
    tab = np.where(tab > 0, tab, 1e-4)
    lp = np.log(tab / tab.sum(axis=1, keepdims=True))
    lo = np.log(np.maximum(om, 1e-4) / om.sum())
    return prob.normalise(prob.pack(lo, lp, single))


class MultilevelLatentClass:
    """Respondent latent classes within account latent classes (nonparametric multilevel LCA).

    Parameters
    ----------
    n_classes : int, default=3
        Respondent-level classes ``T`` (the segments).
    n_account_classes : int, default=2
        Account-level classes ``M`` (buying-centre types).
    measurement : {'nominal', 'ordinal'} or dict of item to one of them, default='nominal'
        As :class:`~workbench.segments.LatentClassModel`.
    n_init : int, default=20
        Starts (start 0 is multilevLCA's informed start, the others random).
    init_iter : int, default=50
        EM iterations of every start in the first stage.
    n_final : int or None, default=None
        Starts continued to convergence (None: a quarter, at least 2).
    max_iter : int, default=5000
    tol : float, default=1e-8
        EM stops when the mean log-likelihood per account changes by less than this.
    single_level : ndarray or None, default=None
        Parameters of a fitted ``T``-class single-level model in :mod:`._lca`'s layout (a
        :class:`~workbench.segments.LatentClassModel`'s ``theta_``) for the informed start;
        None fits one.
    random_state : int, numpy Generator or None

    Attributes
    ----------
    account_shares_ : ndarray (M,)
        ω, largest first (account class 1 is the largest).
    class_mix_ : ndarray (M, T)
        π_{t|m}: the mix of respondent classes within each account class.
    class_shares_ : ndarray (T,)
        Marginal respondent-class shares ``Σ_m ω_m π_{t|m}``, largest first.
    probabilities_ : ndarray (T, total categories)
        P(answer | respondent class), item after item.
    loglik_, n_parameters_, n_respondents_, n_accounts_ : float, int, int, int
    bic_low_, bic_high_, aic_ : float
        multilevLCA's ``BIClow`` (ln n respondents), ``BIChigh`` (ln J accounts) and AIC.
    replicated_ : int
        Finished starts reaching the best log-likelihood (within ``REPLICATION_TOL``, absolute).
    starts_ : DataFrame
        Every start: seed, kind, stage, iterations, log-likelihood, convergence.
    converged_, n_iter_ : bool, int
    account_posteriors_ : DataFrame (accounts × M)
    respondent_posteriors_ : DataFrame (respondents × T)
        Respondent classes given the account's answers, summed over account classes.
    theta_ : ndarray
        Packed parameters (see :class:`_Problem`).
    """

    def __init__(self, n_classes=3, n_account_classes=2, *, measurement="nominal", n_init=20, init_iter=50,
                 n_final=None, max_iter=5000, tol=1e-8, single_level=None, random_state=None):
        self.n_classes = n_classes
        self.n_account_classes = n_account_classes
        self.measurement = measurement
        self.n_init = n_init
        self.init_iter = init_iter
        self.n_final = n_final
        self.max_iter = max_iter
        self.tol = tol
        self.single_level = single_level
        self.random_state = random_state

    # ------------------------------------------------------------------ input
    def _check_params(self):
        for name in ("n_classes", "n_account_classes", "n_init", "init_iter", "max_iter"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise AnalysisError(f"{name} must be a positive whole number, got {v!r}")
        if not (isinstance(self.tol, (int, float)) and self.tol > 0):
            raise AnalysisError(f"tol must be a positive number, got {self.tol!r}")

    def _measurement(self, columns):
        m = self.measurement
        if isinstance(m, str):
            if m not in MEASUREMENTS:
                raise AnalysisError(f"unknown measurement {m!r}; expected one of {', '.join(MEASUREMENTS)}")
            return {c: m for c in columns}
        if not isinstance(m, dict):
            raise AnalysisError(f"measurement must be 'nominal', 'ordinal' or a dict of item to one of them, got {m!r}")
        unknown = [str(c) for c in m if str(c) not in set(columns)]
        if unknown:
            raise AnalysisError(f"measurement names item(s) {', '.join(unknown)} that are not in the basis")
        out = {c: m.get(c, "nominal") for c in columns}
        bad = [c for c, v in out.items() if v not in MEASUREMENTS]
        if bad:
            raise AnalysisError(f"measurement of item '{bad[0]}' is {out[bad[0]]!r}; expected one of "
                                f"{', '.join(MEASUREMENTS)}")
        return out

    def _prepare(self, X, groups, sample_weight=None, group_weight=None, *, fitting: bool):
        frame = as_numeric_frame(X, "basis")
        if isinstance(groups, pd.Series):  # matched by respondent id
            g = groups.reindex(frame.index)
        else:
            arr = np.asarray(groups, dtype=object).ravel()
            if len(arr) != len(frame):
                raise AnalysisError(f"{len(arr)} account ids given for {len(frame)} respondents; give one per "
                                    "respondent")
            g = pd.Series(arr, index=frame.index)
        if g.isna().any():
            who = g.index[g.isna().to_numpy()][0]
            raise AnalysisError(f"respondent {who} has no account id; every respondent needs the account they "
                                "answer for")
        if fitting:
            self.encoding_ = CategoricalEncoding.fit(frame)
            self.measurement_ = self._measurement(list(self.encoding_.columns))
        ordinal = np.array([self.measurement_[c] == "ordinal" for c in self.encoding_.columns])
        codes, uniq = pd.factorize(g, sort=True)
        w = prepare_weights(sample_weight, frame.index)
        if w is not None:  # scaled to sum to the account's number of respondents (Pfeffermann et al. 1998)
            wsum = np.bincount(codes, weights=w, minlength=len(uniq))
            if (wsum <= 0).any():
                raise AnalysisError(f"the respondents of account {uniq[int(np.argmax(wsum <= 0))]} all have weight "
                                    "0; give at least one of them a positive weight or leave the account out")
            w = w * np.bincount(codes, minlength=len(uniq))[codes] / wsum[codes]
        data = LCAData.from_codes(self.encoding_.codes(frame), [len(c) for c in self.encoding_.categories], ordinal,
                                  w)
        if group_weight is None:
            v = np.ones(len(uniq))
        else:
            gw = group_weight if isinstance(group_weight, pd.Series) else pd.Series(np.asarray(group_weight), index=uniq)
            missing = [u for u in uniq if u not in gw.index]
            if missing:
                raise AnalysisError(f"account {missing[0]} has no account weight; the account weights must cover "
                                    "every account")
            v = prepare_weights(gw.loc[uniq].to_numpy(dtype=float), pd.Index(uniq))
        return frame, data, codes.astype(np.int64), pd.Index(uniq, name=g.name), v

    # ------------------------------------------------------------------ fit
    def fit(self, X, groups, sample_weight=None, group_weight=None):
        """Fit to coded answers of respondents grouped in accounts.

        Parameters
        ----------
        X : DataFrame
            Respondents × items, answer codes (whole numbers), NaN for missing answers.
        groups : Series or array-like
            The account each respondent answers for (aligned by index when a Series).
        sample_weight : Series or array-like, optional
            Respondent weights (scaled to sum to each account's number of respondents).
        group_weight : Series (by account id) or array-like (in sorted account order), optional
            Account weights (normalised to mean 1).

        Returns
        -------
        self

        Raises
        ------
        AnalysisError
            Bad codes or weights, a respondent without an account, or more parameters than
            the data identify.
        """
        self._check_params()
        frame, data, group, accounts, v = self._prepare(X, groups, sample_weight, group_weight, fitting=True)
        T, M = int(self.n_classes), int(self.n_account_classes)
        J = len(accounts)
        if M > J:
            raise AnalysisError(f"{M} account classes for {J} accounts: there must be fewer account classes than "
                                "accounts")
        p = multilevel_parameters(data, T, M)
        if p >= data.n:
            raise AnalysisError(f"{T} respondent classes within {M} account classes need {p} parameters, but there "
                                f"are only {data.n} respondents; use fewer classes")
        prob = _Problem(data, group, J, v, T, M)
        seeds = start_seeds(seed_int(self.random_state), "multilevel", T * 100 + M, int(self.n_init))

        def make_start(i, rng):
            if i == 0:
                return _informed_theta(prob, J, rng, self.single_level), "multilevLCA"
            return _random_theta(prob, rng), "random"

        # one BLAS / OpenMP thread: the matrices are small and threads fighting over cores are slower
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"), \
                threadpool_limits(limits=1):
            starts, best, self.replicated_ = fit_joint(
                prob, seeds, make_start, init_iter=self.init_iter, n_final=self.n_final, max_iter=self.max_iter,
                tol=self.tol, what=f"the multilevel latent class model (T={T}, M={M})")
        self.starts_ = pd.DataFrame([{"start": s.start, "seed": s.seed, "kind": s.kind, "stage": s.stage,
                                      "n_iter": s.n_iter, "loglik": s.loglik, "converged": s.converged,
                                      "best": s is best} for s in starts])
        self._prob = prob
        th = self._ordered(prob, best.theta)
        self.theta_ = th
        ll, pw, q = prob.upward_downward(th)
        self.loglik_ = ll
        self.converged_, self.n_iter_ = best.converged, best.n_iter
        self.n_classes_, self.n_account_classes_ = T, M
        self.n_respondents_, self.n_accounts_ = data.n, J
        self.n_parameters_ = p
        self.bic_low_ = -2 * ll + p * np.log(data.n)
        self.bic_high_ = -2 * ll + p * np.log(J)
        self.aic_ = -2 * ll + 2 * p
        lo, lp, item = prob.unpack(th)
        self.account_shares_ = np.exp(lo)
        self.class_mix_ = np.exp(lp)
        self.class_shares_ = self.account_shares_ @ self.class_mix_
        self.probabilities_ = prob.items.probabilities(item)
        self.accounts_ = accounts
        self.account_posteriors_ = pd.DataFrame(pw, index=accounts, columns=range(1, M + 1))
        self.respondent_posteriors_ = pd.DataFrame(q.sum(axis=1), index=frame.index, columns=range(1, T + 1))
        return self

    @staticmethod
    def _ordered(prob: _Problem, th):
        """Account classes by share, respondent classes by marginal share (largest first)."""
        lo, lp, item = prob.unpack(th)
        om = np.exp(lo)
        mo = np.argsort(-om, kind="stable")
        marg = om @ np.exp(lp)
        to = np.argsort(-marg, kind="stable")
        return prob.pack(lo[mo], lp[mo][:, to], prob.items.permute(item, to))

    def relabel(self, order):
        """The respondent classes in ``order`` (e.g. matched to a single-level segmentation);
        returns self."""
        order = np.asarray(order)
        if sorted(order.tolist()) != list(range(self.n_classes_)):
            raise AnalysisError(f"order must be a permutation of 0..{self.n_classes_ - 1}, got {order.tolist()}")
        lo, lp, item = self._prob.unpack(self.theta_)
        self.theta_ = self._prob.pack(lo, lp[:, order], self._prob.items.permute(item, order))
        self.class_mix_ = self.class_mix_[:, order]
        self.class_shares_ = self.class_shares_[order]
        self.probabilities_ = self.probabilities_[order]
        rp = self.respondent_posteriors_.to_numpy()[:, order]
        self.respondent_posteriors_ = pd.DataFrame(rp, index=self.respondent_posteriors_.index,
                                                   columns=range(1, self.n_classes_ + 1))
        return self

    def match_to(self, probabilities) -> np.ndarray:
        """The order of this model's respondent classes that best matches the classes of another
        model's answer probabilities ``(T, total categories)`` (Hungarian matching on squared
        differences)."""
        P = np.asarray(probabilities)
        cost = ((self.probabilities_[:, None, :] - P[None, :, :]) ** 2).sum(axis=2)
        rows, cols = linear_sum_assignment(cost)
        order = np.empty(self.n_classes_, dtype=int)
        order[cols] = rows
        return order

    # ------------------------------------------------------------------ results
    def _check_fitted(self):
        if not hasattr(self, "theta_"):
            raise AnalysisError("the multilevel model is not fitted yet; call fit() first")

    def predict_accounts(self, X, groups, sample_weight=None) -> pd.DataFrame:
        """Account-class posteriors of (new) accounts, accounts × M."""
        self._check_fitted()
        frame, data, group, accounts, v = self._prepare(X, groups, sample_weight, None, fitting=False)
        prob = _Problem(data, group, len(accounts), v, self.n_classes_, self.n_account_classes_)
        with np.errstate(divide="ignore", under="ignore"):
            _, pw, _ = prob.upward_downward(self.theta_)
        return pd.DataFrame(pw, index=accounts, columns=range(1, self.n_account_classes_ + 1))

    def response_probabilities(self) -> pd.DataFrame:
        """P(answer | respondent class), tidy: variable, category, class, value."""
        self._check_fitted()
        rows, t = [], 0
        for item, cats in zip(self.encoding_.columns, self.encoding_.categories):
            for r, code in enumerate(cats):
                for c in range(self.n_classes_):
                    rows.append((item, code, c + 1, float(self.probabilities_[c, t + r])))
            t += len(cats)
        return pd.DataFrame(rows, columns=["variable", "category", "class", "value"])

    def summary(self) -> pd.DataFrame:
        """The fit as multilevLCA prints it: one row of figures."""
        self._check_fitted()
        return pd.DataFrame([{
            "respondent classes": self.n_classes_, "account classes": self.n_account_classes_,
            "respondents": self.n_respondents_, "accounts": self.n_accounts_, "log-likelihood": self.loglik_,
            "parameters": self.n_parameters_, "BIC (respondents)": self.bic_low_, "BIC (accounts)": self.bic_high_,
            "AIC": self.aic_, "starts": len(self.starts_), "replicated": self.replicated_,
            "converged": self.converged_}])


@dataclass(frozen=True)
class AccountClassSelection:
    """Models with 1..max account classes (respondent classes fixed) and the one BIC chose.

    ``fit_table`` has one row per number of account classes (log-likelihood, parameters,
    BIC_low, BIC_high, AIC, replicated starts); ``chosen`` is the row with the lowest
    BIC_high (multilevLCA's step 2); ``models`` maps M to the fitted model.
    """

    fit_table: pd.DataFrame
    chosen: int
    models: dict

    @property
    def model(self) -> MultilevelLatentClass:
        return self.models[self.chosen]


def select_account_classes(X, groups, n_classes, account_classes=range(1, 5), *, sample_weight=None,
                           group_weight=None, random_state=None, stop_when_worse=False,
                           **params) -> AccountClassSelection:
    """Fit ``M`` in ``account_classes`` with ``T = n_classes`` and choose ``M`` by the account-level
    BIC (ties: the fewer classes). ``params`` go to :class:`MultilevelLatentClass`.

    M = 1 is the single-level latent class model (every account the same mix). With
    ``stop_when_worse``, the search stops at the first M whose BIC_high is above the best so
    far (the flow's setting: BIC over M rises once the data support no more classes)."""
    rows, models = [], {}
    base = seed_int(random_state)
    single = params.pop("single_level", None)
    for M in account_classes:
        m = MultilevelLatentClass(n_classes, M, single_level=single, random_state=base, **params)
        try:
            m.fit(X, groups, sample_weight=sample_weight, group_weight=group_weight)
        except AnalysisError as exc:
            if M == min(account_classes):
                raise
            logger.info("multilevel model with %d account classes not fitted: %s", M, exc)
            break
        if single is None and M == 1:  # the single-level fit is start 0 of every larger M
            single = m._prob.unpack(m.theta_)[2]
        models[M] = m
        rows.append({"account_classes": M, "loglik": m.loglik_, "parameters": m.n_parameters_,
                     "bic_low": m.bic_low_, "bic_high": m.bic_high_, "aic": m.aic_,
                     "replicated": m.replicated_, "starts": len(m.starts_), "converged": m.converged_})
        if stop_when_worse and len(rows) > 1 and m.bic_high_ > min(r["bic_high"] for r in rows[:-1]):
            break
    table = pd.DataFrame(rows)
    chosen = int(table.loc[table["bic_high"].idxmin(), "account_classes"])
    return AccountClassSelection(table, chosen, models)


def simulate_accounts(n_accounts=300, *, n_items=10, n_categories=3, class_mix=None, account_shares=None,
                      min_respondents=1, max_respondents=4, separation=0.7, missing=0.0, random_state=None):
    """A generated multilevel study: accounts with 1–4 respondents, planted account classes.

    Parameters
    ----------
    class_mix : array (M, T), default: two consensus types and one split type of 3 classes
        π_{t|m}, the planted buying-centre types.
    account_shares : array (M,), default equal
    separation : float
        Each respondent class prefers one answer per item with this probability (the rest
        share the remainder evenly); the preferred answers differ between classes.
    missing : float
        Share of answers set missing at random.

    Returns
    -------
    answers : DataFrame (respondents × items ``q1..``), codes 1..C, NaN where missing
    accounts : Series of account ids (``A0001``...), by respondent
    truth : DataFrame with columns ``account_class`` and ``respondent_class`` (1-based), by respondent
    """
    rng = np.random.default_rng(random_state)
    mix = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.45, 0.1, 0.45]]) if class_mix is None \
        else np.asarray(class_mix, dtype=float)
    M, T = mix.shape
    om = np.full(M, 1 / M) if account_shares is None else np.asarray(account_shares, dtype=float)
    C = int(n_categories)
    probs = np.full((T, n_items, C), (1 - separation) / (C - 1))
    for t in range(T):
        for k in range(n_items):
            probs[t, k, (t + k * (t + 1)) % C] = separation
    acc_class = rng.choice(M, size=n_accounts, p=om / om.sum())
    sizes = rng.integers(min_respondents, max_respondents + 1, size=n_accounts)
    group = np.repeat(np.arange(n_accounts), sizes)
    m = acc_class[group]
    t = np.array([rng.choice(T, p=mix[mm]) for mm in m])
    u = rng.random((len(t), n_items, 1))
    codes = (u > np.cumsum(probs[t], axis=2)).sum(axis=2) + 1.0
    codes[rng.random(codes.shape) < missing] = np.nan
    idx = pd.Index([f"R{i + 1:05d}" for i in range(len(t))], name="respondent")
    answers = pd.DataFrame(codes, index=idx, columns=[f"q{k + 1}" for k in range(n_items)])
    accounts = pd.Series([f"A{j + 1:04d}" for j in group], index=idx, name="account")
    truth = pd.DataFrame({"account_class": m + 1, "respondent_class": t + 1}, index=idx)
    return answers, accounts, truth
