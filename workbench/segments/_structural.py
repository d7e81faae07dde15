"""Distal outcomes and covariates of segment membership, bias-adjusted (three-step ML).

Profiling segments by their *modal* assignment treats every respondent as certainly in
one segment, which blurs the differences between segments (a "gold tier share by
segment" computed that way is pulled towards the overall share, the more the less crisp
the classification). The bias-adjusted three-step approach (Vermunt 2010; Bakk, Tekle &
Vermunt 2013) keeps the measurement model fixed, takes the modal assignment W and its
classification-error matrix ``D[c, s] = P(W = s | X = c)`` (estimated from the posteriors),
and estimates the structural model by maximum likelihood with ``P(W | X)`` fixed at D.

The estimation is the model StepMix fits as ``StepMix(n_steps=3, correction='ML')``
(its ``em(..., freeze_measurement=True, log_emission_pm=...)``), run here by a small EM of
the package's own: respondent i's posterior is ``∝ P(c) D[c, s_i] f(y_i | c)`` with the
segment shares ``P(c)`` held at the measurement model's (as StepMix does with the
measurement frozen), and D computed here so that survey weights count (StepMix 3.0.0's
three-step path ignores ``sample_weight``). The tests compare the estimates with StepMix's.

* Distal outcomes: numbers get a mean (and variance) per segment (StepMix
  'continuous_nan'); booleans and categories a share of each level per segment
  ('categorical_nan'). Respondents missing the outcome do not count for it. A numeric
  outcome with a spike of equal values (zero spend for many, a 1-5 score) can pull one
  segment's normal onto the spike, where the variance goes to zero and the likelihood has no
  maximum (the estimates were NaN); such an outcome is refitted with one variance for every
  segment (Mplus's DU3STEP, Asparouhov & Muthén 2014), which always has one, and listed in
  :attr:`DistalOutcomes.pooled`. Both fits run SQUAREM on the one EM loop.
* Covariates: a multinomial logit of segment membership on the covariates (StepMix
  'covariate': ``P(c | z)`` replaces the shares, one Newton-Raphson step per M-step, by the
  package's one multinomial-logit solver :func:`workbench.core.stats.mlogit_fit`);
  categories enter as indicators (first level = reference), numbers as they are.
  Respondents missing a covariate are left out of that model. With weights the Newton
  step is the weighted one (StepMix's ignores the weights in the Hessian and gradient).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError
from ..core.stats import logsumexp, mlogit_fit
from ..core.summary import Summarised, Summary, SummaryTable
from ._em import run as run_em

__all__ = ["DistalOutcomes", "CovariateEffects", "distal_outcomes", "covariate_effects", "classification_error_matrix"]

logger = logging.getLogger(__name__)

METHOD_NOTE = ("bias-adjusted three-step ML (Vermunt 2010; Bakk, Tekle & Vermunt 2013), StepMix's structural "
               "model with the measurement model fixed")


def classification_error_matrix(posteriors: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """``D[c, s] = P(modal segment = s | true segment = c)``, estimated from the posteriors.

    ``D[c, s] = Σ_i w_i p_ic [s_i = s] / Σ_i w_i p_ic`` (Vermunt 2010, eq. 6; Bolck, Croon
    & Hagenaars 2004), with s_i the modal segment of respondent i.
    """
    p = np.asarray(posteriors, dtype=float)
    w = np.ones(len(p)) if weights is None else np.asarray(weights, dtype=float)
    modal = np.zeros_like(p)
    modal[np.arange(len(p)), p.argmax(axis=1)] = 1.0
    num = (p * w[:, None]).T @ modal
    return num / num.sum(axis=1, keepdims=True).clip(min=1e-300)


def _log_emission_pm(posteriors: np.ndarray, weights) -> np.ndarray:
    D = classification_error_matrix(posteriors, weights)
    modal = posteriors.argmax(axis=1)
    return np.log(np.clip(D, 1e-15, 1.0))[:, modal].T  # (n, k): log D[c, s_i]


def _check_model_based(solution, what: str):
    if solution.method not in ("lca", "lpa"):
        raise AnalysisError(
            f"{what} need a model-based segmentation (lca or lpa); {solution.name} is a hard partition: "
            "profile it by its labels instead"
        )


def _aligned(solution, frame: pd.DataFrame, what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise AnalysisError(f"{what} must be a DataFrame indexed by respondent id, got {type(frame).__name__}")
    idx = solution.posteriors.index
    common = idx.intersection(frame.index)
    if len(common) == 0:
        raise AnalysisError(
            f"none of the {what}' respondent ids match the {solution.n} respondents {solution.name} was fitted on "
            f"(e.g. {frame.index[0] if len(frame) else 'no rows'} against {idx[0]})"
        )
    if frame.index.has_duplicates:
        raise AnalysisError(f"the {what} have repeated respondent ids; one row per respondent")
    return frame.reindex(idx)


class _Structural:
    """The E- and M-step of the structural model with the measurement model fixed, for the
    package's one EM loop (:func:`._em.run`).

    E-step: respondent i's posterior ``∝ D[c, s_i] f(y_i | c)`` with ``f`` the outcome's
    density (times the fixed shares ``P(c)``) or the covariate logit's ``P(c | z_i)``;
    M-step: the weighted means / variances, level shares, or one Newton step of the logit.
    """

    def __init__(self, descriptor: str, y: np.ndarray, lepm: np.ndarray, w: np.ndarray, log_pi: np.ndarray):
        self.descriptor, self.y, self.lepm, self.w, self.log_pi = descriptor, y, lepm, w, log_pi
        self.wsum = float(w.sum())
        self.pooled = False  # a numeric outcome: one variance for every segment (see _structural_fit)
        if descriptor == "covariate":
            self.Z = np.column_stack([np.ones(len(y)), y])
        elif descriptor == "categorical_nan":
            L = int(np.nanmax(y)) + 1
            self.onehot = np.zeros((len(y), L))
            self.onehot[np.arange(len(y)), y[:, 0].astype(int)] = 1.0

    def cells(self, modal: np.ndarray) -> "_Structural":
        """The same categorical model on its distinct (modal segment, level) cells: a
        respondent's posterior depends on nothing else, so EM on the cells, each weighted by
        its respondents' total weight, runs the same iterations at the cost of at most k × L
        rows instead of n (exact up to the order of the sums)."""
        L = self.onehot.shape[1]
        key = modal.astype(np.int64) * L + self.y[:, 0].astype(np.int64)
        uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
        w = np.bincount(inv.ravel(), weights=self.w, minlength=len(uniq))
        out = _Structural.__new__(_Structural)
        out.descriptor, out.lepm, out.w, out.log_pi = self.descriptor, self.lepm[first], w, self.log_pi
        out.y = (uniq % L).astype(float)[:, None]
        out.wsum, out.pooled = self.wsum, self.pooled
        out.onehot = self.onehot[first]
        return out

    def mstep(self, R, params=None):
        y = self.y
        if self.descriptor == "continuous_nan":
            nk = R.sum(axis=0)
            mu = (R.T @ y[:, 0]) / nk
            ss = (R * (y[:, 0][:, None] - mu) ** 2).sum(axis=0)
            var = np.full(len(nk), ss.sum() / nk.sum()) if self.pooled else ss / nk
            return {"means": mu[:, None], "covariances": var[:, None]}
        if self.descriptor == "categorical_nan":
            return {"pis": np.clip((R.T @ self.onehot) / R.sum(axis=0)[:, None], 1e-15, 1 - 1e-15)}
        start = np.zeros((self.Z.shape[1], R.shape[1])) if params is None else params["beta"].T
        # one unpenalised Newton step of Σ_ic R_ic log P(c | z_i) from the current coefficients
        # (a generalised M-step, as StepMix's 'newton-raphson' with max_iter=1)
        coef, _ = mlogit_fit(self.y, R, np.ones(len(R)), C=np.inf, start=start, tol=0.0, max_iter=1)
        return {"beta": coef.T}

    def estep(self, params):
        y = self.y
        if self.descriptor == "continuous_nan":
            mu, var = params["means"][:, 0], params["covariances"][:, 0]
            log_f = -0.5 * (np.log(2 * np.pi * var)[None, :] + (y[:, 0][:, None] - mu) ** 2 / var[None, :])
            log_f += self.log_pi
        elif self.descriptor == "categorical_nan":
            log_f = self.onehot @ np.log(params["pis"]).T + self.log_pi
        else:
            eta = self.Z @ params["beta"].T
            log_f = np.log(np.clip(np.exp(eta - logsumexp(eta, axis=1, keepdims=True)), 1e-15, 1 - 1e-15))
        joint = self.lepm + log_f
        ll_i = logsumexp(joint, axis=1)
        return float(self.w @ ll_i), np.exp(joint - ll_i[:, None]) * self.w[:, None]


def _structural_fit(solution, Y: np.ndarray, descriptor, rows: np.ndarray, max_iter: int, tol: float = 1e-10):
    """EM of the structural model on ``rows`` with the measurement model fixed.

    ``descriptor``: 'continuous_nan' (Y: (m, 1) numbers), 'categorical_nan' (Y: (m, 1) level
    positions 0..L-1) or 'covariate' (Y: (m, p) design without the intercept). Starts from
    the measurement model's posteriors; stops by the package's one convergence rule (the
    weighted mean log-likelihood changes by less than ``tol``, :func:`._em.run`).

    Returns
    -------
    (dict of parameters, bool converged): ``means`` / ``covariances`` (k, 1), ``pis``
    (k, L) or ``beta`` (k, 1 + p; identified up to a common shift of the rows, so compare
    segments by differences of rows).
    """
    post = solution.posteriors.to_numpy()
    w_all = solution.weights
    lepm = _log_emission_pm(post, w_all)[rows]  # (m, k) log D[c, s_i]
    w = np.ones(len(rows)) if w_all is None else np.asarray(w_all, dtype=float)[rows]
    R = np.clip(post[rows], 1e-15, 1.0) * w[:, None]  # start: the measurement model's posteriors
    family = _Structural(descriptor, np.asarray(Y, dtype=float), lepm, w,
                         np.log(np.asarray(solution.shares, dtype=float)))
    with np.errstate(divide="ignore", invalid="ignore", under="ignore", over="ignore"):
        start = family.mstep(R)  # from every respondent's own posteriors
        if descriptor == "categorical_nan":  # then on the (modal segment, level) cells: the same EM
            family = family.cells(post[rows].argmax(axis=1))
        if descriptor != "categorical_nan":  # one flat vector: SQUAREM (categories on cells are cheap)
            flat = _Flat(family, start)
            try:
                fit = run_em(flat, flat.pack(start), max_iter=max(1, int(max_iter) - 1), tol=tol, accelerate=True)
                params = flat.unpack(fit.params)
                flat.check(params)
            except _Collapsed:
                # a segment's normal collapsed onto a spike of equal values (zero spend, a score of
                # 5): its likelihood has no maximum with a variance per segment. One variance for
                # every segment (Mplus's DU3STEP) has one; its means are the estimates.
                family.pooled = True
                fit = run_em(flat, flat.pack(family.mstep(R)), max_iter=max(1, int(max_iter) - 1), tol=tol,
                             accelerate=True)
                params = dict(flat.unpack(fit.params), pooled=True)
            return params, fit.converged
        fit = run_em(family, start, max_iter=max(1, int(max_iter) - 1), tol=tol)
    return fit.params, fit.converged


#: A segment's variance below this share of the outcome's variance has collapsed onto a spike.
COLLAPSED_VARIANCE = 1e-6


class _Collapsed(Exception):
    """A continuous outcome's variance per segment went to a degenerate point."""


class _Flat:
    """The structural model of a continuous outcome or of covariates with its parameters as
    one flat vector, for SQUAREM in the one EM loop (:func:`._em.run`): the same E- and M-step
    as :class:`_Structural`. A continuous outcome's vector is the k means, then the k log
    variances; the covariates' is the logit's coefficients. Any vector is a valid point (the
    variances are exponentials), so ``normalise`` has nothing to do. Plain EM took hundreds of
    iterations where segments overlap (the covariates' 146 a fit on the demo, a tenth of a
    20,000-respondent run for the outcomes); the maximum is the same."""

    def __init__(self, family: _Structural, params: dict):
        self.family, self.wsum = family, family.wsum
        self.shape = np.shape(params.get("beta", ()))
        if family.descriptor == "continuous_nan":
            y, w = family.y[:, 0], family.w
            self.floor = COLLAPSED_VARIANCE * float(np.average((y - np.average(y, weights=w)) ** 2, weights=w))

    def check(self, params: dict) -> None:
        """Raise :class:`_Collapsed` when a continuous outcome's estimates are not finite or a
        segment's variance (with one per segment) fell below :data:`COLLAPSED_VARIANCE` of the
        outcome's: checked after every M-step, so a collapse stops EM early."""
        if self.family.descriptor != "continuous_nan" or self.family.pooled:
            return
        var, mu = params["covariances"], params["means"]
        if not (np.all(np.isfinite(var)) and np.all(np.isfinite(mu))) or var.min() < self.floor:
            raise _Collapsed

    def pack(self, params: dict) -> np.ndarray:
        if "beta" in params:
            return np.asarray(params["beta"], dtype=float).ravel()
        return np.concatenate([params["means"][:, 0], np.log(params["covariances"][:, 0])])

    def unpack(self, theta: np.ndarray) -> dict:
        if self.family.descriptor == "covariate":
            return {"beta": theta.reshape(self.shape)}
        k = len(theta) // 2
        return {"means": theta[:k, None].copy(), "covariances": np.exp(theta[k:])[:, None]}

    def estep(self, theta):
        return self.family.estep(self.unpack(theta))

    def mstep(self, R, theta=None):
        params = self.family.mstep(R, None if theta is None else self.unpack(theta))
        self.check(params)
        return self.pack(params)

    @staticmethod
    def normalise(theta):
        return theta


@dataclass(frozen=True, eq=False)
class DistalOutcomes(Summarised):
    """Segment means and shares of outcomes measured outside the segmentation basis.

    Attributes
    ----------
    candidate : str
    table : DataFrame
        Tidy: ``outcome``, ``level`` (category, or ``'mean'`` for numbers), ``segment``,
        ``adjusted`` (bias-adjusted ML estimate), ``modal`` (estimate from modal
        assignment, for comparison), ``n`` (respondents with the outcome), ``converged``.
    method : str
    skipped : tuple of str
        Outcomes that could not be estimated, each with the reason (``errors='skip'``).
    pooled : tuple of str
        Numeric outcomes estimated with one variance for every segment: with a variance per
        segment, a segment collapsed onto a spike of equal values (zero spend, a top score),
        where that likelihood has no maximum.
    """

    candidate: str
    table: pd.DataFrame = field(repr=False)
    method: str = METHOD_NOTE
    skipped: tuple = ()
    pooled: tuple = ()

    def wide(self, which: str = "adjusted") -> pd.DataFrame:
        """(outcome, level) × segment table of the ``adjusted`` or ``modal`` estimates."""
        return self.table.pivot_table(index=["outcome", "level"], columns="segment", values=which, sort=False)

    def summary(self) -> pd.DataFrame:
        return self.wide("adjusted")

    def summarise(self) -> Summary:
        """The adjusted estimates per segment; outcomes left out, with why, as notes."""
        return Summary(f"Distal outcomes of {self.candidate}", [f"Distal outcomes of {self.candidate} ({self.method}):"],
                       [SummaryTable(self.wide())], notes=[f"not estimated: {s}" for s in self.skipped]
                       + ([f"one variance for every segment (a segment's values collapsed onto one value): "
                           f"{', '.join(self.pooled)}"] if self.pooled else []))


def distal_outcomes(solution, data, outcomes: pd.DataFrame, *, max_iter: int = 500,
                    errors: str = "raise") -> DistalOutcomes:
    """Bias-adjusted segment means / shares of distal outcomes (e.g. behavioural KPIs).

    Parameters
    ----------
    solution : Segmentation
        A latent class or profile solution.
    data : DataFrame
        The basis it was fitted on.
    outcomes : DataFrame
        Indexed by respondent id; numeric columns get means, boolean / categorical columns
        shares of each level. Respondents without an outcome value are left out for it.
    max_iter : int, default=500
    errors : {'raise', 'skip'}, default='raise'
        What an outcome that cannot be estimated (too few respondents know it, a single
        level) does: stop with an AnalysisError, or be left out and listed in ``skipped``.

    Returns
    -------
    DistalOutcomes

    Raises
    ------
    AnalysisError
        A hard-partition solution, no matching respondents, or an outcome nobody has.
    """
    _check_model_based(solution, "distal outcomes")
    out = _aligned(solution, outcomes, "outcomes")
    post = solution.posteriors.to_numpy()
    modal = post.argmax(axis=1) + 1
    w_all = np.ones(len(post)) if solution.weights is None else solution.weights
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
    _basis_frame(solution, data)
    rows, skipped, pooled = [], [], []
    for col in out.columns:
        try:
            new, one_variance = _one_distal(solution, out[col], col, modal, w_all, max_iter)
            rows += new
            if one_variance:
                pooled.append(str(col))
        except AnalysisError as exc:
            if errors == "raise":
                raise
            skipped.append(exc.message)
    if not rows:
        raise AnalysisError("no distal outcome could be estimated: " + "; ".join(skipped)[:500])
    table = pd.DataFrame(rows, columns=["outcome", "level", "segment", "adjusted", "modal", "n", "converged"])
    return DistalOutcomes(candidate=solution.name, table=table, skipped=tuple(skipped), pooled=tuple(pooled))


def _one_distal(solution, s: pd.Series, col, modal, w_all, max_iter) -> tuple[list, bool]:
    """The rows of one outcome (see :func:`distal_outcomes`), and whether a numeric outcome was
    estimated with one variance for every segment."""
    rows = []
    ok = s.notna().to_numpy()
    if ok.sum() < solution.k * 2:
        raise AnalysisError(
            f"outcome '{col}' is known for only {int(ok.sum())} of the {solution.n} respondents; too few to "
            "estimate it per segment"
        )
    categorical = pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s) \
        or isinstance(s.dtype, pd.CategoricalDtype)
    idx = np.flatnonzero(ok)
    if categorical:
        known = s.dropna()
        cats = list(known.astype("category").cat.categories) if not pd.api.types.is_bool_dtype(s) else [False, True]
        levels = [lv for lv in cats if (known == lv).any()]  # levels nobody has cannot be estimated
        codes = s.iloc[idx].map({lv: i for i, lv in enumerate(levels)}).to_numpy(dtype=float)
        if len(levels) < 2:
            raise AnalysisError(f"outcome '{col}' has one level ({levels[0]!r}) among these respondents")
        params, conv = _structural_fit(solution, codes.reshape(-1, 1), "categorical_nan", idx, max_iter)
        pis = np.asarray(params["pis"])  # (k, max_outcomes)
        for li, lv in enumerate(levels):
            for c in range(solution.k):
                members = modal[idx] == c + 1
                wm = w_all[idx][members]
                mod = float(np.average(codes[members] == li, weights=wm)) if members.any() else float("nan")
                rows.append((col, str(lv), c + 1, float(pis[c, li]), mod, int(len(idx)), conv))
    else:
        y = s.iloc[idx].to_numpy(dtype=float)
        if np.nanstd(y) == 0:
            raise AnalysisError(f"outcome '{col}' is {y[0]:g} for everyone who has it; nothing to compare across segments")
        params, conv = _structural_fit(solution, y.reshape(-1, 1), "continuous_nan", idx, max_iter)
        means = np.asarray(params["means"]).ravel()
        for c in range(solution.k):
            members = modal[idx] == c + 1
            mod = float(np.average(y[members], weights=w_all[idx][members])) if members.any() else float("nan")
            rows.append((col, "mean", c + 1, float(means[c]), mod, int(len(idx)), conv))
    return rows, bool(params.get("pooled"))


def _basis_frame(solution, data) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError("data must be the basis DataFrame the solution was fitted on")
    missing = solution.posteriors.index.difference(data.index)
    if len(missing):
        raise AnalysisError(f"the basis data lack {len(missing)} of the fitted respondents (e.g. {missing[0]})")
    return data


@dataclass(frozen=True, eq=False)
class CovariateEffects(Summarised):
    """How covariates (e.g. firmographics) predict segment membership.

    Attributes
    ----------
    candidate : str
    coefficients : DataFrame
        Tidy: ``term`` (``intercept``, a number, or ``column=level`` indicator), ``segment``
        (2..k) and ``log_odds`` of that segment against segment 1 (the largest).
    shares : DataFrame
        Tidy: ``covariate``, ``level``, ``segment``, ``adjusted`` (mean model-predicted
        membership probability of respondents at that level), ``modal`` (modal-assignment
        share), ``n``.
    n : int
        Respondents in the covariate model (those with every covariate known).
    converged : bool
    method : str
    """

    candidate: str
    coefficients: pd.DataFrame = field(repr=False)
    shares: pd.DataFrame = field(repr=False)
    n: int
    converged: bool
    method: str = METHOD_NOTE
    labels: dict = field(default_factory=dict, repr=False)
    level_labels: dict = field(default_factory=dict, repr=False)

    def wide(self, *, labelled: bool = True) -> pd.DataFrame:
        """(covariate, level) × segment table of the adjusted shares.

        ``labelled=True`` (default) names covariates and levels by the labels the covariates
        frame carried (``covariates.attrs['labels']``: column -> label, ``attrs['levels']``:
        column -> {code: label}; :func:`workbench.steps.segments.segmentation_inputs` sets
        them from the study), so a notebook shows 'Company size / 10-49 employees', not
        'size_band / 2'; ``labelled=False``: the codes.
        """
        t = self.shares
        if labelled and (self.labels or self.level_labels):
            t = t.assign(level=[self.level_labels.get(c, {}).get(str(lv), lv) for c, lv in zip(t["covariate"], t["level"])],
                         covariate=[self.labels.get(c, c) for c in t["covariate"]])
        return t.pivot_table(index=["covariate", "level"], columns="segment", values="adjusted", sort=False)

    def summary(self) -> pd.DataFrame:
        return self.wide()

    def summarise(self) -> Summary:
        """The adjusted membership shares by covariate level."""
        return Summary(f"Covariates of {self.candidate}", [f"Covariates of {self.candidate} (n={self.n}, {self.method}):"],
                       [SummaryTable(self.wide())])


def _design(cov: pd.DataFrame, max_levels: int = 12) -> tuple[pd.DataFrame, dict]:
    parts, levels = [], {}
    for col in cov.columns:
        s = cov[col]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if numeric and s.nunique() > max_levels:
            parts.append(s.astype(float).rename(col).to_frame())
            levels[col] = None
            continue
        cats = sorted(s.dropna().unique(), key=lambda v: (str(type(v)), v))
        if len(cats) < 2:
            raise AnalysisError(f"covariate '{col}' has a single value among these respondents; drop it")
        levels[col] = cats
        for lv in cats[1:]:
            lv_name = f"{lv:g}" if isinstance(lv, (float, np.floating)) else str(lv)
            parts.append((s == lv).astype(float).where(s.notna()).rename(f"{col}={lv_name}").to_frame())
    return pd.concat(parts, axis=1), levels


def covariate_effects(solution, data, covariates: pd.DataFrame, *, max_iter: int = 500) -> CovariateEffects:
    """Multinomial logit of segment membership on covariates, bias-adjusted (three-step ML).

    Parameters
    ----------
    solution : Segmentation
        A latent class or profile solution.
    data : DataFrame
        The basis it was fitted on.
    covariates : DataFrame
        Indexed by respondent id. Columns with at most 12 distinct values are categories
        (indicators against the first level); others are numbers.
    max_iter : int, default=500

    Returns
    -------
    CovariateEffects
    """
    _check_model_based(solution, "covariate effects")
    names = {str(k): str(v) for k, v in (covariates.attrs.get("labels") or {}).items()}
    level_names = {str(k): {str(c): str(lab) for c, lab in (v or {}).items()}
                   for k, v in (covariates.attrs.get("levels") or {}).items()}
    cov = _aligned(solution, covariates, "covariates")
    design, levels = _design(cov)
    ok = design.notna().all(axis=1).to_numpy()
    idx = np.flatnonzero(ok)
    if len(idx) < 10 * solution.k:
        raise AnalysisError(
            f"only {len(idx)} respondents have every covariate; too few for a covariate model of {solution.k} segments"
        )
    Z = design.iloc[idx].to_numpy(dtype=float)
    _basis_frame(solution, data)
    params, conv = _structural_fit(solution, Z, "covariate", idx, max_iter)
    beta = np.asarray(params["beta"])  # (k, 1 + p)
    terms = ["intercept"] + list(design.columns)
    coef_rows = []
    for c in range(1, solution.k):
        for t, name in enumerate(terms):
            coef_rows.append((name, c + 1, float(beta[c, t] - beta[0, t])))
    coefficients = pd.DataFrame(coef_rows, columns=["term", "segment", "log_odds"])
    logits = np.column_stack([np.ones(len(Z)), Z]) @ beta.T
    logits -= logits.max(axis=1, keepdims=True)
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    w = np.ones(solution.n) if solution.weights is None else solution.weights
    w = w[idx]
    modal = solution.posteriors.to_numpy().argmax(axis=1)[idx] + 1
    share_rows = []
    for col, lv_list in levels.items():
        s = cov[col].iloc[idx]
        groups = [(str(lv if not isinstance(lv, (float, np.floating)) else f"{lv:g}"), (s == lv).to_numpy())
                  for lv in lv_list] if lv_list is not None else \
            [("below median", (s < s.median()).to_numpy()), ("median or above", (s >= s.median()).to_numpy())]
        for name, mask in groups:
            if not mask.any():
                continue
            for c in range(solution.k):
                adj = float(np.average(prob[mask, c], weights=w[mask]))
                mod = float(np.average(modal[mask] == c + 1, weights=w[mask]))
                share_rows.append((col, name, c + 1, adj, mod, int(mask.sum())))
    shares = pd.DataFrame(share_rows, columns=["covariate", "level", "segment", "adjusted", "modal", "n"])
    return CovariateEffects(candidate=solution.name, coefficients=coefficients, shares=shares, n=int(len(idx)),
                            converged=conv, labels=names, level_labels=level_names)
