"""The segmentation estimators: latent classes, latent profiles, k-means and Ward.

They follow scikit-learn's conventions (``__init__`` stores parameters, ``fit`` returns the
estimator, fitted attributes end in ``_``, ``sample_weight=``, ``random_state``), with two
deliberate differences that keep respondent ids attached: :meth:`predict` returns a Series
of segment numbers (1 = the largest segment, ``<NA>`` for a respondent with no answers)
indexed like the input, and :meth:`predict_proba` a DataFrame with one column per segment.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import warnings

import numpy as np
import pandas as pd
from ..core.stats import logsumexp
from sklearn.base import BaseEstimator
from sklearn.cluster import AgglomerativeClustering, KMeans

from ._ari import adjusted_rand_score
from ..core.errors import AnalysisError
from ._data import (
    CategoricalEncoding,
    SegmentationConvergenceWarning,
    as_numeric_frame,
    prepare_weights,
    split_unanswered,
)
from ._lca import (
    LCAData,
    bivariate_residuals as lca_bivariate_residuals,
    parameters as lca_parameters,
    permute as lca_permute,
    posteriors as lca_posteriors,
)
from ._gmm import (
    DETERMINISTIC_STARTS,
    GaussianData,
    measurement_parameters as gmm_measurement_parameters,
    n_parameters as gmm_n_parameters,
    permute as gmm_permute,
    posteriors as gmm_posteriors,
    variances as gmm_variances,
)
from ._lca_se import polca_standard_errors
from ._engine import GridFit, MixtureProblem, add_starts, fit_mixtures, seed_int, start_seeds

__all__ = ["LatentClassModel", "LatentProfileModel", "KMeansModel", "WardModel", "COVARIANCES", "MEASUREMENTS"]

logger = logging.getLogger(__name__)

#: Covariance structures of latent profile models (as in scikit-learn's GaussianMixture).
COVARIANCES = ("diag", "spherical", "tied", "full")
#: How a latent class model treats an item: free answer probabilities, or Latent GOLD's
#: adjacent-category ordinal restriction.
MEASUREMENTS = ("nominal", "ordinal")
#: Ward's method keeps an n × n distance structure; beyond this many respondents use k-means.
WARD_MAX_N = 15000


def _check_k(k, name="n_classes") -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise AnalysisError(f"{name} must be a whole number of at least 1, got {k!r}")
    return int(k)


def _check_pos_int(value, name, minimum=1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


class _Segmenter(BaseEstimator):
    """Shared fitted-state helpers (ordering by size, labels, prediction wrappers)."""

    _method = "segments"

    # -- prediction --------------------------------------------------------------------
    def predict_proba(self, X) -> pd.DataFrame:
        """Membership probabilities of each respondent (rows) for each segment (columns 1..k).

        Parameters
        ----------
        X : DataFrame or 2-D array
            The basis variables the model was fitted on (other columns are ignored).

        Returns
        -------
        DataFrame
            Index of ``X``; a respondent without any answer gets a row of NaN.
        """
        self._check_fitted()
        frame = self._select(X)
        empty = frame.isna().all(axis=1).to_numpy()
        proba = np.full((len(frame), self.n_classes_), np.nan)
        if (~empty).any():
            proba[~empty] = self._proba(frame.loc[~empty])
        return pd.DataFrame(proba, index=frame.index, columns=pd.RangeIndex(1, self.n_classes_ + 1, name="segment"))

    def predict(self, X) -> pd.Series:
        """Segment number (1 = largest segment) of each respondent, ``<NA>`` without answers."""
        proba = self.predict_proba(X)
        lab = pd.Series(pd.array([pd.NA] * len(proba), dtype="Int64"), index=proba.index, name="segment")
        ok = proba.notna().all(axis=1)
        lab[ok] = proba[ok].to_numpy().argmax(axis=1) + 1
        return lab

    def _select(self, X) -> pd.DataFrame:
        frame = as_numeric_frame(X, "data")
        missing = [c for c in self.feature_names_in_ if c not in frame.columns]
        if missing:
            raise AnalysisError(
                f"the data lack the basis variable(s) {', '.join(missing)} the model was fitted on"
            )
        return frame[self.feature_names_in_]

    def _check_fitted(self):
        if not hasattr(self, "n_classes_"):
            raise AnalysisError(f"this {type(self).__name__} is not fitted yet; call fit(data) first")

    # -- shared fitting steps ------------------------------------------------------------
    def _prepare_input(self, X, sample_weight):
        frame = as_numeric_frame(X, "data")
        w_all = prepare_weights(sample_weight, frame.index)
        used, excluded = split_unanswered(frame)
        w = None
        if w_all is not None:
            keep = ~frame.index.isin(excluded)
            w = w_all[keep]
            if w.sum() <= 0:
                raise AnalysisError("the respondents with answers all have weight zero")
            w = w * (len(w) / w.sum())
        self.feature_names_in_ = list(frame.columns)
        self.n_features_in_ = frame.shape[1]
        return frame, used, excluded, w

    def _finish_labels(self, full_index, used_index, posteriors: np.ndarray):
        k = posteriors.shape[1]
        self.posteriors_ = pd.DataFrame(posteriors, index=used_index,
                                        columns=pd.RangeIndex(1, k + 1, name="segment"))
        lab = pd.Series(pd.array([pd.NA] * len(full_index), dtype="Int64"), index=full_index, name="segment")
        lab.loc[used_index] = posteriors.argmax(axis=1) + 1
        self.labels_ = lab


class _MixtureModel(_Segmenter):
    """Mixture models fitted by the package's own EM from random starts (see ``_engine``)."""

    def _fit_problem(self, problem_args: dict, used, excluded, w, full_index):
        k = _check_k(self.n_classes)
        n_init = _check_pos_int(self.n_init, "n_init")
        init_iter = _check_pos_int(self.init_iter, "init_iter")
        n_final = None if self.n_final is None else _check_pos_int(self.n_final, "n_final")
        max_iter = _check_pos_int(self.max_iter, "max_iter")
        if not (isinstance(self.tol, (int, float)) and self.tol > 0):
            raise ValueError(f"tol must be a positive number, got {self.tol!r}")
        base = seed_int(self.random_state)
        problem = MixtureProblem(
            key=(self._method, k), k=k, seeds=tuple(start_seeds(base, self._method, k, n_init)),
            weights=w, max_iter=max_iter, tol=float(self.tol), **problem_args,
        )
        [grid] = fit_mixtures([problem], init_iter=init_iter, n_final=n_final, n_jobs=self.n_jobs,
                              progress=self.progress)
        added = 0
        if self._method == "lca":  # batches of more starts while the best is not replicated, or rare and improving
            max_starts = getattr(self, "max_starts", None)
            [grid], more = add_starts([grid], base, n_init, max_starts, init_iter, n_final, self.n_jobs, self.progress)
            added = int(more.get(problem.key, 0))
        self._set_from_grid(grid, used, excluded, w, full_index, base)
        self.starts_added_ = added
        return self

    def _set_from_grid(self, grid: GridFit, used, excluded, w, full_index, base_seed):
        p = grid.problem
        k = p.k
        self.starts_ = _starts_table(grid)
        if grid.best is None:
            reasons = sorted({s.reason for s in grid.starts if s.reason}) or ["no start finished"]
            raise AnalysisError(
                f"{self._method.upper()} with {k} classes failed in all {len(grid.starts)} starts ("
                + "; ".join(reasons)[:400]
                + "); try fewer classes, more starts (n_init) or, for profiles, a larger min_class_share guard "
                "or another covariance structure"
            )
        if p.lca is not None:
            theta = grid.best.theta
            order = np.argsort(-np.exp(theta[:k]), kind="stable")
            self.theta_ = lca_permute(p.lca, k, theta, order)
            params = lca_parameters(p.lca, k, self.theta_)
            self.shares_ = params["shares"] / params["shares"].sum()
            self.probabilities_ = params["probs"]
            self.ordinal_params_ = params["ordinal"]
            self.n_parameters_ = int(p.lca.n_parameters(k))
            with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
                post = lca_posteriors(p.lca, k, self.theta_)
                bvr = lca_bivariate_residuals(p.lca, k, self.theta_) if len(p.lca.n_cats) > 1 else None
            self.bivariate_residuals_ = _bvr_table(bvr, list(self.encoding_.columns))
        else:
            shares = np.asarray(grid.best.params["shares"], dtype=float)
            order = np.argsort(-shares, kind="stable")
            self.params_ = gmm_permute(grid.best.params, p.gauss.covariance, order)
            self.shares_ = np.asarray(self.params_["shares"], dtype=float)
            self.n_parameters_ = gmm_n_parameters(k, p.gauss.d, p.gauss.covariance)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
                post = gmm_posteriors(p.gauss, self.params_)
        self.n_classes_ = k
        self.loglik_ = float(grid.best.loglik)
        self.n_samples_ = int(len(used))
        self.converged_ = bool(grid.best.converged)
        self.n_iter_ = int(grid.best.n_iter)
        self.best_ll_replicated_ = int(grid.replicated)
        self.n_final_starts_ = int(grid.n_final)
        self.start_agreement_ = float(grid.agreement)
        self.ll_gap_ = float(grid.ll_gap)
        self.ll_range_ = float(grid.ll_range)
        self.n_starts_ = int(len(grid.starts))
        self.random_seed_ = int(base_seed)
        self.sample_weight_ = w
        self.excluded_ = excluded
        self._measurement = p.measurement
        self._finish_labels(full_index, used.index, post)
        if not self.converged_:
            warnings.warn(
                f"{self._method.upper()} with {k} classes: the best start stopped at max_iter={p.max_iter} "
                "before the log-likelihood settled; try a larger max_iter, more starts or fewer classes",
                SegmentationConvergenceWarning,
                stacklevel=4,
            )


def _normalise(log_joint: np.ndarray) -> np.ndarray:
    """Posterior probabilities from log P(x, class) (rows normalised with log-sum-exp)."""
    return np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))


def _bvr_table(bvr, names) -> pd.DataFrame:
    """Bivariate residuals as a long table, largest first: ``item_1``, ``item_2``, ``bvr``."""
    rows = []
    if bvr is not None:
        J = len(names)
        for i in range(J):
            for j in range(i + 1, J):
                if np.isfinite(bvr[i, j]):
                    rows.append((names[i], names[j], float(bvr[i, j])))
    out = pd.DataFrame(rows, columns=["item_1", "item_2", "bvr"])
    return out.sort_values("bvr", ascending=False, kind="stable").reset_index(drop=True)


def _starts_table(grid: GridFit) -> pd.DataFrame:
    rows = []
    for s in grid.starts:
        if s is None:
            continue
        rows.append({
            "start": s.start + 1, "seed": s.seed, "stage": s.stage, "iterations": s.n_iter,
            "loglik": s.loglik, "converged": s.converged, "smallest_share": s.smallest_share,
            "status": s.status, "best": s is grid.best, "init": s.init,
            "ari_with_best": 1.0 if s is grid.best else s.ari, "reaches_best": s.reaches_best, "note": s.reason,
        })
    return pd.DataFrame(rows)


class LatentClassModel(_MixtureModel):
    """Latent class analysis of categorical or ordinal answers (the package's own EM).

    Each segment (latent class) has its own distribution of the answers to every item;
    within a segment the items are independent (local independence). An item is
    ``nominal`` (a free probability of every answer per class, as poLCA) or ``ordinal``
    (Latent GOLD's adjacent-category logit: one location per class and item plus the
    item's thresholds; see :mod:`workbench.segments._lca`). Missing answers are handled in
    the likelihood (full information: a respondent's likelihood uses the items they
    answered), never by dropping respondents; respondents without a single answer are set
    aside with a :class:`SegmentationWarning`.

    Starts are poLCA's random response probabilities; EM is accelerated with SQUAREM and
    judged converged on the log-likelihood.

    Parameters
    ----------
    n_classes : int, default=2
    measurement : {'nominal', 'ordinal'} or dict of item to one of them, default='nominal'
        How the items are modelled; a dict names items (others stay nominal).
    n_init : int, default=50
        Random starts; the highest log-likelihood wins (see ``init_iter`` / ``n_final``).
        50 because fewer miss the best log-likelihood on real data: on the demo's 24
        items, 10 starts stopped 30 and 63 points short at k = 2 and 3, and 8 starts left a
        latent profile model 87 points short (``benchmarks/lca_optimum.py``); 50 cost the
        demo's segments step 3.5 s more.
    init_iter : int, default=50
        EM iterations every start gets in the first stage.
    n_final : int or None, default=None
        Best unconverged starts run on to convergence in the second stage (Mplus'
        ``STARTS = n_init n_final``); None = a quarter of the starts, at least 2.
    max_starts : int or None, default=None
        Batches of ``n_init`` more starts are run while no second start reached the best
        log-likelihood, or fewer than half did and the last batch still improved it, up to
        this many starts in all (None = ``4 × n_init``; ``n_init`` = never add). See
        :func:`~workbench.segments._engine.add_starts`; ``starts_added_`` says how many.
    max_iter : int, default=1000
    tol : float, default=1e-8
        EM stops when the average log-likelihood per respondent improves by less than
        this (the total by less than n × tol).
    min_class_share : float, default=0.0
        Starts whose smallest class is below this share are rejected as degenerate.
    random_state : int, numpy Generator or None
    n_jobs : int, default=1
        Threads running the starts side by side (results do not depend on it).
    progress : bool, default=True
        Show a progress bar over the starts (only on a terminal).

    Attributes
    ----------
    shares_ : ndarray of shape (n_classes,)
        Estimated class shares, largest first (segment 1 is the largest).
    loglik_, n_parameters_, n_samples_ : float, int, int
    converged_, n_iter_ : bool, int
        Of the best start.
    starts_ : DataFrame
        Every start: seed, stage, iterations, log-likelihood, status, agreement with the best.
    best_ll_replicated_ : int
        Finished starts that reached the best solution: log-likelihood within 0.01 of the best
        (absolute) and the same classification (adjusted Rand index with the best at least 0.99);
        ``starts_["reaches_best"]`` marks them. ``ll_gap_`` is the distance to the next distinct
        maximum (the best of the other finished starts).
    ll_gap_, ll_range_ : float
        Best log-likelihood minus the best of the finished starts that did not reach it
        (NaN when all did), and minus the worst finished start.
    start_agreement_ : float
        Mean adjusted Rand index between the best start's classification and the other
        finished starts'.
    categories_ : dict of str to list of float
        The answer codes of each item.
    measurement_ : dict of str to str
        'nominal' or 'ordinal' per item.
    probabilities_ : ndarray (n_classes, total categories)
        P(answer | class), item after item (the codes of ``categories_``).
    ordinal_params_ : dict of int to dict
        Thresholds and locations of each ordinal item (by item position).
    bivariate_residuals_ : DataFrame
        Latent GOLD's bivariate residual of every item pair, largest first.
    labels_ : Series (Int64)
        Segment of each fitted respondent (``<NA>`` for those without answers).
    posteriors_ : DataFrame
        Membership probabilities of the respondents with answers.
    """

    _method = "lca"

    def __init__(self, n_classes=2, *, measurement="nominal", n_init=50, init_iter=50, n_final=None, max_iter=1000,
                 tol=1e-8, min_class_share=0.0, random_state=None, n_jobs=1, progress=True, max_starts=None):
        self.n_classes = n_classes
        self.measurement = measurement
        self.max_starts = max_starts
        self.n_init = n_init
        self.init_iter = init_iter
        self.n_final = n_final
        self.max_iter = max_iter
        self.tol = tol
        self.min_class_share = min_class_share
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    def fit(self, X, y=None, sample_weight=None):
        """Fit the model to coded answers.

        Parameters
        ----------
        X : DataFrame or 2-D array
            Respondents × items, answer codes (whole numbers), NaN for missing answers.
        y : ignored
        sample_weight : Series or array-like, optional
            Survey weights (normalised to mean 1).

        Returns
        -------
        self

        Raises
        ------
        AnalysisError
            Non-numeric or non-integer codes, an item with one category, no answers at all,
            an unknown measurement, more classes than the data can identify, or every start
            failing.
        """
        frame, used, excluded, w = self._prepare_input(X, sample_weight)
        args = self._problem_args(used)
        if w is not None:
            args["lca"] = dataclasses.replace(args["lca"], weights=np.asarray(w, dtype=float), weighted=True)
        return self._fit_problem(args, used, excluded, w, frame.index)

    def _item_measurement(self, columns) -> dict:
        m = self.measurement
        if isinstance(m, str):
            if m not in MEASUREMENTS:
                raise AnalysisError(f"unknown measurement {m!r}; expected one of {', '.join(MEASUREMENTS)} "
                                    "(or a dict of item to one of them)")
            return {c: m for c in columns}
        if not isinstance(m, dict):
            raise AnalysisError(f"measurement must be 'nominal', 'ordinal' or a dict of item to one of them, got {m!r}")
        unknown = [str(c) for c in m if str(c) not in set(columns)]
        if unknown:
            raise AnalysisError(f"measurement names item(s) {', '.join(unknown)} that are not in the basis")
        bad = {str(c): v for c, v in m.items() if v not in MEASUREMENTS}
        if bad:
            c, v = next(iter(bad.items()))
            raise AnalysisError(f"measurement of item '{c}' is {v!r}; expected one of {', '.join(MEASUREMENTS)}")
        given = {str(c): v for c, v in m.items()}
        return {c: given.get(c, "nominal") for c in columns}

    def _problem_args(self, used: pd.DataFrame, cache: dict | None = None) -> dict:
        k = _check_k(self.n_classes)
        cache = {} if cache is None else cache
        if "encoding" not in cache:
            cache["encoding"] = CategoricalEncoding.fit(used)
        enc = cache["encoding"]
        self.encoding_ = enc
        self.categories_ = {c: list(v) for c, v in zip(enc.columns, enc.categories)}
        self.measurement_ = self._item_measurement(list(enc.columns))
        ordinal = np.array([self.measurement_[c] == "ordinal" for c in enc.columns])
        n = len(used)
        key = ("lca_data", tuple(ordinal))
        if key not in cache:  # one copy shared by every k of a grid
            if "codes" not in cache:
                cache["codes"] = enc.codes(used)
            cache[key] = LCAData.from_codes(cache["codes"], [len(c) for c in enc.categories], ordinal)
        data = cache[key]
        p = data.n_parameters(k)
        if k > n:
            raise AnalysisError(f"{k} classes for {n} respondents: there must be fewer classes than respondents")
        if p >= n:
            raise AnalysisError(
                f"{k} classes need {p} parameters, but there are only {n} respondents; that is more than the "
                "data support: use fewer classes (or more respondents)"
            )
        if math.log10(p + 1) > enc.cells():
            raise AnalysisError(
                f"{k} classes need {p} parameters, more than the {round(10 ** enc.cells()) - 1} the "
                f"{len(enc.columns)} items' answer patterns can identify; the model is not identified: use fewer "
                "classes or more items"
            )
        kinds = set(self.measurement_.values())
        return dict(measurement="lca-" + ("mixed" if len(kinds) > 1 else kinds.pop()), lca=data,
                    min_class_share=float(self.min_class_share))

    def _data(self, frame: pd.DataFrame) -> "LCAData":
        ordinal = np.array([self.measurement_[c] == "ordinal" for c in self.encoding_.columns])
        return LCAData.from_codes(self.encoding_.codes(frame), [len(c) for c in self.encoding_.categories],
                                       ordinal)

    def _proba(self, frame: pd.DataFrame) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
            return lca_posteriors(self._data(frame), self.n_classes_, self.theta_)

    def response_probabilities(self) -> pd.DataFrame:
        """Item-response probabilities, tidy: one row per item, answer code and class.

        Returns
        -------
        DataFrame
            Columns ``variable``, ``category`` (the answer code as in the input), ``class``
            (1..k) and ``value`` (P(answer | class)).
        """
        self._check_fitted()
        P = self.probabilities_
        rows = []
        t = 0
        for item, cats in zip(self.encoding_.columns, self.encoding_.categories):
            block = P[:, t:t + len(cats)]
            block = block / block.sum(axis=1, keepdims=True)
            for r, code in enumerate(cats):
                for c in range(self.n_classes_):
                    rows.append((item, code, c + 1, float(block[c, r])))
            t += len(cats)
        return pd.DataFrame(rows, columns=["variable", "category", "class", "value"])

    def ordinal_parameters(self) -> pd.DataFrame:
        """Thresholds and class locations of the ordinal items (empty without any).

        Returns
        -------
        DataFrame
            Columns ``variable``, ``parameter`` ('threshold' or 'location'), ``index``
            (category position 1..C-1 for thresholds, class 1..k for locations), ``value``.
            ``log P(r | c) = τ_r + β_c s_r - A_c`` with ``s_r = 0..C-1``, ``τ_0 = 0``, ``Σ β_c = 0``.
        """
        self._check_fitted()
        rows = []
        for j, par in sorted(self.ordinal_params_.items()):
            item = self.encoding_.columns[j]
            for r, v in enumerate(par["thresholds"][1:], start=1):
                rows.append((item, "threshold", r, float(v)))
            for c, v in enumerate(par["locations"], start=1):
                rows.append((item, "location", c, float(v)))
        return pd.DataFrame(rows, columns=["variable", "parameter", "index", "value"])

    def standard_errors(self, X) -> pd.DataFrame:
        """Standard errors of the class shares and response probabilities, as poLCA's ``calc.se``.

        The outer product of the respondents' scores in the log-odds parameterisation,
        generalised-inverted, carried to the probabilities by the delta method (see
        :mod:`workbench.segments._lca_se`; checked against poLCA on its example data).

        Parameters
        ----------
        X : DataFrame
            The answers the model was fitted on (respondents without any answer are ignored).

        Returns
        -------
        DataFrame
            Columns ``parameter`` ('class_share' or 'response_probability'), ``variable``,
            ``category`` (the answer code), ``class`` (1..k), ``value``, ``se``.

        Raises
        ------
        AnalysisError
            Ordinal items (poLCA's standard errors are for free answer probabilities).
        """
        self._check_fitted()
        ordinal = [c for c, m in self.measurement_.items() if m == "ordinal"]
        if ordinal:
            raise AnalysisError(
                f"standard errors are computed for nominal items only (as poLCA's), but {', '.join(ordinal)} "
                "is ordinal; refit with measurement='nominal' to get them"
            )
        frame = self._select(X)
        used = frame.loc[self.posteriors_.index]
        codes = self.encoding_.codes(used)
        k = self.n_classes_
        probs, t = [], 0
        for cats in self.encoding_.categories:
            block = np.asarray(self.probabilities_[:, t:t + len(cats)], dtype=float)
            probs.append(block / block.sum(axis=1, keepdims=True))
            t += len(cats)
        se_p, se_s = polca_standard_errors(codes, probs, np.asarray(self.shares_, dtype=float),
                                           self.posteriors_.to_numpy(), self.sample_weight_)
        rows = [("class_share", "", np.nan, c + 1, float(self.shares_[c]), float(se_s[c])) for c in range(k)]
        for j, (item, cats) in enumerate(zip(self.encoding_.columns, self.encoding_.categories)):
            for c in range(k):
                for r, code in enumerate(cats):
                    rows.append(("response_probability", item, code, c + 1, float(probs[j][c, r]), float(se_p[j][c, r])))
        return pd.DataFrame(rows, columns=["parameter", "variable", "category", "class", "value", "se"])

    def class_means(self) -> pd.DataFrame:
        """Expected answer code of each item in each class (items × classes)."""
        rp = self.response_probabilities()
        rp["wv"] = rp["category"] * rp["value"]
        wide = rp.groupby(["variable", "class"], sort=False)["wv"].sum().unstack("class")
        return wide.loc[list(self.encoding_.columns)]


class LatentProfileModel(_MixtureModel):
    """Latent profile analysis: a Gaussian mixture on continuous bases (e.g. factor scores).

    Fitted by the package's own vectorised EM (:mod:`workbench.segments._gmm`): from the same
    seed it runs StepMix's iterations (``StepMix(measurement="gaussian_<covariance>")``) and
    reaches the same log-likelihood; the tests compare the two.

    Parameters
    ----------
    n_classes : int, default=2
    covariance : {'diag', 'spherical', 'tied', 'full'}, default='diag'
        Within-profile covariance: 'diag' (own variances, no covariances; the usual LPA and
        Latent GOLD's default), 'spherical' (one variance per profile), 'tied' (one full
        covariance matrix shared by all profiles), 'full' (own full covariance matrix).
        Missing values are handled in the likelihood for 'diag' and 'spherical' only.
    n_init, init_iter, n_final, max_iter, tol, random_state, n_jobs, progress
        As for :class:`LatentClassModel`.
    min_class_share : float, default=0.02
        Guard against the degenerate solutions free Gaussian mixtures find at larger k (a
        profile collapsing onto a few respondents with an inflated likelihood): starts
        whose smallest profile is below this share, or whose variance on some variable
        collapses below 1e-4 of the variable's variance, are rejected.
    reg_covar : float, default=1e-6
        Added to the variances in every M-step (as scikit-learn's ``GaussianMixture``
        does); raise it (e.g. 0.01 on standardised items) when profiles collapse onto
        respondents with identical answers.
    prior : {None, 'mclust'}, default=None
        'mclust': the conjugate prior of mclust's ``priorControl()`` (Fraley & Raftery 2007:
        shrinkage 0.01 of the means towards the data's mean, an inverse-Wishart with d + 2
        degrees of freedom and scale the data's covariance / k^(2/d)), so the M-step gives
        posterior modes that keep small profiles' covariances away from singularity;
        ``covariance='full'`` only (mclust's VVV; checked against mclust's ``mstep``). The
        reported log-likelihood is the likelihood at those estimates, as mclust's.
        Singular profiles are refused with or without it.

    Attributes
    ----------
    As :class:`LatentClassModel`, and ``means_`` (DataFrame, variables × profiles).
    """

    _method = "lpa"

    def __init__(self, n_classes=2, *, covariance="diag", n_init=50, init_iter=50, n_final=2, max_iter=1000,
                 tol=1e-8, min_class_share=0.02, reg_covar=1e-6, prior=None, random_state=None, n_jobs=1,
                 progress=True):
        self.n_classes = n_classes
        self.covariance = covariance
        self.prior = prior
        self.n_init = n_init
        self.init_iter = init_iter
        self.n_final = n_final
        self.max_iter = max_iter
        self.tol = tol
        self.min_class_share = min_class_share
        self.reg_covar = reg_covar
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    def fit(self, X, y=None, sample_weight=None):
        """Fit the profiles to continuous scores (converted to float; NaN = missing).

        Returns
        -------
        self

        Raises
        ------
        AnalysisError
            Missing values with a covariance structure that cannot handle them, more
            profiles than the data support, or every start degenerate.
        """
        frame, used, excluded, w = self._prepare_input(X, sample_weight)
        return self._fit_problem(self._problem_args(used, weights=w), used, excluded, w, frame.index)

    def _problem_args(self, used: pd.DataFrame, cache: dict | None = None, weights=None) -> dict:
        k = _check_k(self.n_classes)
        if self.covariance not in COVARIANCES:
            raise AnalysisError(f"unknown covariance structure {self.covariance!r}; expected one of {', '.join(COVARIANCES)}")
        X = used.to_numpy(dtype=float)  # always float: Gaussian likelihoods of integer arrays come out wrong
        n, d = X.shape
        has_missing = bool(np.isnan(X).any())
        if has_missing and self.covariance in ("tied", "full"):
            n_inc = int(np.isnan(X).any(axis=1).sum())
            raise AnalysisError(
                f"{n_inc} respondent(s) have missing values, which covariance='{self.covariance}' cannot handle in "
                "the likelihood; use covariance='diag' or 'spherical', or impute the scores first"
            )
        p = gmm_n_parameters(k, d, self.covariance)
        distinct = len(np.unique(np.nan_to_num(X, nan=np.inf), axis=0))
        if k > distinct:
            raise AnalysisError(f"{k} profiles but only {distinct} distinct respondents' scores; use fewer profiles")
        if p >= n:
            raise AnalysisError(
                f"{k} profiles with covariance='{self.covariance}' need {p} parameters, but there are only {n} "
                "respondents; that is more than the data support: use fewer profiles or a simpler covariance"
            )
        if self.prior not in (None, "mclust"):
            raise AnalysisError(f"prior must be None or 'mclust', got {self.prior!r}")
        if self.prior is not None and self.covariance != "full":
            raise AnalysisError(f"prior='mclust' is offered for covariance='full' only, not {self.covariance!r}")
        measurement = f"gaussian_{self.covariance}" + ("_nan" if has_missing else "")
        cache = {} if cache is None else cache
        key = ("gauss", self.covariance, float(self.reg_covar), self.prior)
        if key not in cache:  # one copy shared by every k of a grid
            cache[key] = GaussianData.build(X, self.covariance, float(self.reg_covar),
                                            None if weights is None else np.asarray(weights, dtype=float),
                                            prior=self.prior)
        gauss = cache[key]
        return dict(measurement=measurement, gauss=gauss, min_class_share=float(self.min_class_share), var_floor=1e-4,
                    covariance=self.covariance, deterministic=DETERMINISTIC_STARTS)

    def _set_from_grid(self, grid, used, excluded, w, full_index, base_seed):
        super()._set_from_grid(grid, used, excluded, w, full_index, base_seed)
        self.means_ = pd.DataFrame(np.asarray(self.params_["means"]).T, index=self.feature_names_in_,
                                   columns=pd.RangeIndex(1, self.n_classes_ + 1, name="segment"))

    def measurement_parameters(self) -> dict:
        """Means and covariances in StepMix's layout of the same model (what saved models keep).

        Returns
        -------
        dict
            ``means`` (k, d) and ``covariances``: (k, d) variances for the models fitted with
            missing values, else scikit-learn's shapes (diag (k, d), spherical (k,), tied
            (d, d), full (k, d, d)) with ``precisions_cholesky``.
        """
        self._check_fitted()
        return gmm_measurement_parameters(self.params_, self.covariance, not self._measurement.endswith("_nan"))

    def _proba(self, frame: pd.DataFrame) -> np.ndarray:
        X = frame.to_numpy(dtype=float)
        cov = self.covariance
        if np.isnan(X).any() and cov in ("tied", "full"):
            raise AnalysisError(
                f"the profiles were fitted with covariance='{cov}', which cannot classify "
                "respondents with missing values; impute them or refit with covariance='diag'"
            )
        data = GaussianData.build(X, cov, float(self.reg_covar))
        with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
            return gmm_posteriors(data, self.params_)

    def variances(self) -> pd.DataFrame:
        """Within-profile variances (variables × profiles)."""
        self._check_fitted()
        var = gmm_variances(self.params_, self.covariance, self.n_features_in_)
        return pd.DataFrame(var.T, index=self.feature_names_in_,
                            columns=pd.RangeIndex(1, self.n_classes_ + 1, name="segment"))

    def class_means(self) -> pd.DataFrame:
        """Profile means (variables × profiles)."""
        self._check_fitted()
        return self.means_.copy()


class _CentroidModel(_Segmenter):
    """Hard-partition baselines; prediction assigns the nearest (weighted) centroid."""

    def _complete(self, used: pd.DataFrame) -> np.ndarray:
        X = used.to_numpy(dtype=float)
        if np.isnan(X).any():
            n_inc = int(np.isnan(X).any(axis=1).sum())
            raise AnalysisError(
                f"{type(self).__name__.replace('Model', '')} needs complete data, but {n_inc} respondent(s) have "
                "missing values; impute them (candidates() uses the item mean of standardised items) or use lca()/lpa()"
            )
        return X

    def _finish(self, X, raw_labels, used, excluded, w, full_index, k):
        weights = np.ones(len(X)) if w is None else w
        sizes = np.bincount(raw_labels, weights=weights, minlength=k)
        order = np.argsort(-sizes, kind="stable")
        remap = np.empty(k, dtype=int)
        remap[order] = np.arange(k)
        lab = remap[raw_labels]
        self.centroids_ = np.vstack([np.average(X[lab == c], axis=0, weights=weights[lab == c]) for c in range(k)])
        self.n_classes_ = k
        self.shares_ = sizes[order] / sizes.sum()
        self.n_samples_ = int(len(X))
        self.sample_weight_ = w
        self.excluded_ = excluded
        self.inertia_ = float(np.sum(weights * ((X - self.centroids_[lab]) ** 2).sum(axis=1)))
        self.loglik_ = float("nan")
        self.n_parameters_ = int(k * X.shape[1])
        self.converged_ = True
        post = np.zeros((len(X), k))
        post[np.arange(len(X)), lab] = 1.0
        self._finish_labels(full_index, used.index, post)

    def _proba(self, frame: pd.DataFrame) -> np.ndarray:
        X = frame.to_numpy(dtype=float)
        if np.isnan(X).any():
            raise AnalysisError(
                f"{type(self).__name__.replace('Model', '')} cannot classify respondents with missing values; impute them"
            )
        d = ((X[:, None, :] - self.centroids_[None, :, :]) ** 2).sum(axis=2)
        out = np.zeros_like(d)
        out[np.arange(len(X)), d.argmin(axis=1)] = 1.0
        return out

    def class_means(self) -> pd.DataFrame:
        """Centroids (variables × segments)."""
        self._check_fitted()
        return pd.DataFrame(self.centroids_.T, index=self.feature_names_in_,
                            columns=pd.RangeIndex(1, self.n_classes_ + 1, name="segment"))


class KMeansModel(_CentroidModel):
    """k-means clustering (scikit-learn) from several seeded starts, lowest inertia kept.

    Parameters
    ----------
    n_classes : int, default=2
    n_init : int, default=10
    max_iter : int, default=300
    random_state : int, numpy Generator or None

    Attributes
    ----------
    centroids_, inertia_, shares_, labels_, posteriors_ (0/1), starts_, start_agreement_
    """

    _method = "kmeans"

    def __init__(self, n_classes=2, *, n_init=10, max_iter=300, random_state=None):
        self.n_classes = n_classes
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y=None, sample_weight=None):
        """Cluster complete continuous data (standardise it first).

        Returns
        -------
        self
        """
        frame, used, excluded, w = self._prepare_input(X, sample_weight)
        k = _check_k(self.n_classes)
        n_init = _check_pos_int(self.n_init, "n_init")
        Xc = self._complete(used)
        distinct = len(np.unique(Xc, axis=0))
        if k > distinct:
            raise AnalysisError(f"{k} clusters but only {distinct} distinct respondents; use fewer clusters")
        base = seed_int(self.random_state)
        fits = []
        for i, seed in enumerate(start_seeds(base, "kmeans", k, n_init)):
            km = KMeans(n_clusters=k, n_init=1, max_iter=self.max_iter, random_state=seed % (2**32 - 1))
            km.fit(Xc, sample_weight=w)
            fits.append((i, seed, km))
        best = min(fits, key=lambda t: (t[2].inertia_, t[0]))
        self.starts_ = pd.DataFrame([
            {"start": i + 1, "seed": s, "stage": 1, "iterations": km.n_iter_, "inertia": float(km.inertia_),
             "best": km is best[2], "ari_with_best": adjusted_rand_score(best[2].labels_, km.labels_),
             "status": "ok", "note": ""}
            for i, s, km in fits
        ])
        others = self.starts_.loc[~self.starts_["best"], "ari_with_best"]
        self.start_agreement_ = float(others.mean()) if len(others) else float("nan")
        tol = 1e-6 * max(1.0, best[2].inertia_)
        self.best_ll_replicated_ = int((abs(self.starts_["inertia"] - best[2].inertia_) <= tol).sum())
        self.n_final_starts_ = n_init
        self.n_iter_ = int(best[2].n_iter_)
        self.random_seed_ = base
        self._finish(Xc, best[2].labels_, used, excluded, w, frame.index, k)
        return self


class WardModel(_CentroidModel):
    """Ward's hierarchical clustering (scikit-learn), cut at ``n_classes``.

    Ward's method is deterministic and takes no weights (a respondent counts once).
    Respondents are classified later by their nearest segment centroid.
    """

    _method = "ward"

    def __init__(self, n_classes=2):
        self.n_classes = n_classes

    def fit(self, X, y=None):
        """Cluster complete continuous data (standardise it first).

        Returns
        -------
        self
        """
        frame, used, excluded, w = self._prepare_input(X, None)
        k = _check_k(self.n_classes)
        Xc = self._complete(used)
        if len(Xc) > WARD_MAX_N:
            raise AnalysisError(
                f"Ward's method keeps all {len(Xc):,} × {len(Xc):,} pairwise distances, too many for this machine "
                f"(limit {WARD_MAX_N:,} respondents); use kmeans() for samples this large"
            )
        distinct = len(np.unique(Xc, axis=0))
        if k > distinct:
            raise AnalysisError(f"{k} clusters but only {distinct} distinct respondents; use fewer clusters")
        labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(Xc)
        self.starts_ = pd.DataFrame([{"start": 1, "seed": None, "stage": 1, "iterations": 0, "best": True,
                                      "ari_with_best": 1.0, "status": "ok", "note": "deterministic"}])
        self.start_agreement_ = float("nan")
        self.best_ll_replicated_ = 1
        self.n_final_starts_ = 1
        self.n_iter_ = 0
        self.random_seed_ = None
        self._finish(Xc, labels, used, excluded, None, frame.index, k)
        return self
