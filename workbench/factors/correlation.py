"""Correlation matrices for factor analysis: Pearson (pairwise or listwise) and polychoric.

Missing answers
---------------
``missing='pairwise'`` (the default, as R's ``psych``): each correlation uses every
respondent who answered both items, so a respondent who skipped one question still counts
for all the others.  ``missing='listwise'`` keeps only respondents who answered every item.
"Don't know" codes are already missing (NaN) in the study's responses, so they are left
out, never averaged in as a number.

Polychoric correlations
-----------------------
For 4-7 point rating items the Pearson correlation of the codes understates the
correlation of the continuous attitudes behind them.  The polychoric correlation assumes a
bivariate normal variable behind each pair of items, cut into the observed categories at
thresholds.  It is estimated in the usual two steps (Olsson, 1979): the thresholds of each
item from its own answer distribution (``qnorm`` of the cumulative shares, over everybody
who answered that item), then, for each pair, the correlation that maximises the
likelihood of the pair's contingency table, found by a bounded one-dimensional search.
Bivariate normal probabilities use Genz's (2004) algorithm.  No continuity correction is
added to empty cells (``psych::polychoric`` adds 0.5 by default; ``polycor::polychor`` adds
none).  A matrix that is not positive definite (possible with pairwise estimates) is
smoothed as ``psych::cor.smooth`` does, with a warning.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from ..errors import AnalysisError, DataError, WorkbenchWarning
from ._common import (
    CORRELATIONS,
    MISSING,
    as_frame,
    check_choice,
    check_items,
    check_respondents,
    collinear_items,
    singular_error,
)

__all__ = ["correlation_matrix", "polychoric", "polychoric_pair", "bivariate_normal_cdf", "CorrelationInfo",
           "smooth_correlation"]

MAX_POLY_CATEGORIES = 10


@dataclass(frozen=True)
class CorrelationInfo:
    """A correlation matrix and how it was computed.

    Attributes
    ----------
    matrix : DataFrame
        Items x items.
    n_obs : int
        Respondents the statistics refer to: all rows (pairwise, as ``psych`` counts them)
        or the complete rows (listwise).
    pair_n : DataFrame
        Respondents behind each correlation.
    kind : {'pearson', 'polychoric'}
    missing : {'pairwise', 'listwise'}
    smoothed : bool
        True when the matrix was not positive definite and was smoothed.
    weighted : bool
        True when the correlations are weighted by survey weights.
    effective_n : float
        Kish's effective number of respondents ``(sum w)^2 / sum w^2`` of the rows
        counted in ``n_obs`` (equal to ``n_obs`` without weights).
    """

    matrix: pd.DataFrame
    n_obs: int
    pair_n: pd.DataFrame
    kind: str
    missing: str
    smoothed: bool = False
    weighted: bool = False
    effective_n: float = float("nan")


def weighted_correlation(frame: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
    """Pairwise weighted Pearson correlations.

    For each pair of items, the respondents who answered both count with their weight:
    weighted means, variances and the covariance are taken over that pair's respondents
    (the weighted analogue of ``pandas.DataFrame.corr``'s pairwise deletion; with complete
    data it equals ``np.cov(x, aweights=w)`` scaled to a correlation).
    """
    x = frame.to_numpy(dtype=float)
    w = np.asarray(weights, dtype=float)
    m = (~np.isnan(x)).astype(float)
    x0 = np.where(np.isnan(x), 0.0, x)
    mw = m * w[:, None]
    sw = mw.T @ m                       # sum of weights of the pair's respondents
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = ((x0 * w[:, None]).T @ m) / sw          # [i, j]: mean of i among those answering j
        sq = ((x0 ** 2 * w[:, None]).T @ m) / sw
        var = sq - mean ** 2
        cross = ((x0 * w[:, None]).T @ x0) / sw
        cov = cross - mean * mean.T
        out = cov / np.sqrt(var * var.T)
    return out


def correlation_matrix(data, *, correlation: str = "pearson", missing: str = "pairwise",
                       check: bool = True, weights=None) -> CorrelationInfo:
    """Correlations of the items, with missing answers handled as asked.

    Parameters
    ----------
    data : DataFrame
        Respondents x items, numeric codes, missing answers as NaN.
    correlation : {'pearson', 'polychoric'}, default='pearson'
    missing : {'pairwise', 'listwise'}, default='pairwise'
    check : bool, default=True
        Refuse constant or empty items, too few respondents and singular matrices.
    weights : array-like or Series, optional
        Survey weights, one per respondent (a Series is aligned on ``data``'s index).
        Pearson correlations only; see :func:`weighted_correlation`.

    Returns
    -------
    CorrelationInfo

    Raises
    ------
    AnalysisError
        Constant or empty items, fewer respondents than items, a pair of items nobody
        answered together, or a singular matrix (naming the items involved).
    """
    check_choice("correlation", correlation, CORRELATIONS)
    check_choice("missing", missing, MISSING)
    frame = as_frame(data)
    w = None
    if weights is not None:
        w = _check_weights(weights, frame)
        if correlation != "pearson":
            raise AnalysisError("survey weights are supported with correlation='pearson' only (weighted "
                                "polychoric correlations are not implemented); use Pearson correlations or "
                                "analyse unweighted")
    if check:
        check_items(frame)
    if missing == "listwise":
        keep = frame.notna().all(axis=1).to_numpy()
        if w is not None:
            w = w[keep]
        complete = frame.dropna()
        if check:
            check_respondents(len(complete), frame.shape[1], " with every item answered (listwise)")
        frame = complete
        n_obs = len(frame)
    else:
        n_obs = len(frame)  # psych counts every row when correlations are pairwise
        if check:
            check_respondents(int(frame.notna().any(axis=1).sum()), frame.shape[1])
    mask = frame.notna().to_numpy(dtype=float)
    pair_n = pd.DataFrame(mask.T @ mask, index=frame.columns, columns=frame.columns).astype(int)
    few = np.argwhere(np.triu(pair_n.to_numpy() < 3, 1))
    if len(few):
        i, j = few[0]
        raise AnalysisError(
            f"items {frame.columns[i]!r} and {frame.columns[j]!r} were answered together by only "
            f"{pair_n.iat[i, j]} respondent(s); their correlation cannot be estimated (was one of "
            "them asked of a different subgroup?): analyse them separately or use missing='listwise'",
            column=frame.columns[i],
        )
    if w is not None:
        mat = weighted_correlation(frame, w)
    elif correlation == "pearson":
        mat = frame.corr(method="pearson", min_periods=3).to_numpy()
    else:
        mat = polychoric(frame).to_numpy()
    bad = np.argwhere(~np.isfinite(mat))
    if len(bad):
        i, j = bad[0]
        raise AnalysisError(
            f"the correlation of {frame.columns[i]!r} and {frame.columns[j]!r} cannot be computed: "
            "among the respondents who answered both, one of them never varies; drop it or use "
            "missing='listwise'",
            column=frame.columns[i],
        )
    mat = (mat + mat.T) / 2
    np.fill_diagonal(mat, 1.0)
    names = list(frame.columns)
    smoothed = False
    if check:
        items = collinear_items(mat, names)
        vals = np.linalg.eigvalsh(mat)
        if items is not None and vals[0] > -1e-8:
            raise singular_error(items)
        if vals[0] <= np.finfo(float).eps:
            # pairwise (or polychoric) estimates need not be mutually consistent
            warnings.warn(
                f"the {missing} {correlation} correlation matrix is not positive definite (smallest "
                f"eigenvalue {vals[0]:.3g}); it was smoothed as psych::cor.smooth does. Consider "
                "missing='listwise' or dropping items with many missing answers",
                WorkbenchWarning,
                stacklevel=2,
            )
            mat = smooth_correlation(mat)
            smoothed = True
    if w is None:
        eff = float(n_obs)
    else:
        answered = frame.notna().any(axis=1).to_numpy()
        eff = float(w[answered].sum() ** 2 / (w[answered] ** 2).sum())
    return CorrelationInfo(
        matrix=pd.DataFrame(mat, index=names, columns=names),
        n_obs=int(n_obs), pair_n=pair_n, kind=correlation, missing=missing, smoothed=smoothed,
        weighted=w is not None, effective_n=eff,
    )


def _check_weights(weights, frame: pd.DataFrame) -> np.ndarray:
    """Weights as a float array aligned with ``frame``'s rows; bad ones are a DataError naming the row."""
    if isinstance(weights, pd.Series):
        missing = frame.index.difference(weights.index)
        if len(missing):
            raise DataError(f"no survey weight for respondent {missing[0]!r} (and {len(missing) - 1} more); "
                            "give a weight for every row of the data", row=str(missing[0]))
        weights = weights.reindex(frame.index)
    w = np.asarray(weights, dtype=float).ravel()
    if len(w) != len(frame):
        raise DataError(f"{len(w)} survey weight(s) for {len(frame)} respondents; give one weight per row")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if len(bad):
        raise DataError(f"survey weight of respondent {frame.index[bad[0]]!r} is {float(w[bad[0]])!r}; weights must be "
                        "finite and not negative", row=str(frame.index[bad[0]]))
    if w.sum() <= 0:
        raise DataError("the survey weights sum to zero; give positive weights")
    return w


def smooth_correlation(mat: np.ndarray, eig_tol: float = 1e-12) -> np.ndarray:
    """``psych::cor.smooth``: raise tiny or negative eigenvalues, rescale, back to correlations."""
    vals, vecs = np.linalg.eigh(mat)
    vals = np.where(vals < eig_tol, 100 * eig_tol, vals)
    vals = vals * len(vals) / vals.sum()
    out = (vecs * vals) @ vecs.T
    d = np.sqrt(np.diag(out))
    out = out / np.outer(d, d)
    np.fill_diagonal(out, 1.0)
    return out


# --------------------------------------------------------------------------- polychoric

_GL = {
    6: (np.array([0.1713244923791705, 0.3607615730481384, 0.4679139345726904]),
        np.array([0.9324695142031522, 0.6612093864662647, 0.2386191860831970])),
    12: (np.array([0.04717533638651177, 0.1069393259953183, 0.1600783285433464,
                   0.2031674267230659, 0.2334925365383547, 0.2491470458134029]),
         np.array([0.9815606342467191, 0.9041172563704750, 0.7699026741943050,
                   0.5873179542866171, 0.3678314989981802, 0.1252334085114692])),
    20: (np.array([0.01761400713915212, 0.04060142980038694, 0.06267204833410906,
                   0.08327674157670475, 0.1019301198172404, 0.1181945319615184,
                   0.1316886384491766, 0.1420961093183821, 0.1491729864726037,
                   0.1527533871307259]),
         np.array([0.9931285991850949, 0.9639719272779138, 0.9122344282513259,
                   0.8391169718222188, 0.7463319064601508, 0.6360536807265150,
                   0.5108670019508271, 0.3737060887154196, 0.2277858511416451,
                   0.07652652113349733])),
}


def _phi(x):
    return special.ndtr(x)


def _bvn_upper(h: np.ndarray, k: np.ndarray, r: float) -> np.ndarray:
    """P(X > h, Y > k) for a standard bivariate normal with correlation r (Genz, 2004)."""
    h = np.asarray(h, dtype=float)
    k = np.asarray(k, dtype=float)
    if r == 0:
        return _phi(-h) * _phi(-k)
    tp = 2 * math.pi
    ng = 6 if abs(r) < 0.3 else (12 if abs(r) < 0.75 else 20)
    w, x = _GL[ng]
    w = np.concatenate([w, w])
    x = np.concatenate([1 - x, 1 + x])
    hk = h * k
    if abs(r) < 0.925:
        hs = (h * h + k * k) / 2
        asr = math.asin(r) / 2
        sn = np.sin(asr * x)  # (m,)
        terms = np.exp((sn[None, :] * hk[..., None] - hs[..., None]) / (1 - sn[None, :] ** 2))
        bvn = terms @ w
        return np.clip(bvn * asr / tp + _phi(-h) * _phi(-k), 0, 1)
    if r < 0:
        k = -k
        hk = -hk
    bvn = np.zeros_like(h)
    if abs(r) < 1:
        as_ = (1 - r) * (1 + r)
        a = math.sqrt(as_)
        bs = (h - k) ** 2
        asr = -(bs / as_ + hk) / 2
        c = (4 - hk) / 8
        d = (12 - hk) / 80
        with np.errstate(over="ignore", under="ignore"):
            bvn = np.where(asr > -100, a * np.exp(asr) * (1 - c * (bs - as_) * (1 - d * bs) / 3 + c * d * as_ ** 2), 0.0)
            b = np.sqrt(bs)
            sp = math.sqrt(tp) * _phi(-b / a)
            bvn = np.where(hk > -100, bvn - np.exp(-hk / 2) * sp * b * (1 - c * bs * (1 - d * bs) / 3), bvn)
            a2 = a / 2
            xs = (a2 * x) ** 2  # (m,)
            asr2 = -(bs[..., None] / xs[None, :] + hk[..., None]) / 2
            sp2 = 1 + c[..., None] * xs[None, :] * (1 + 5 * d[..., None] * xs[None, :])
            rs = np.sqrt(1 - xs)
            ep = np.exp(-(hk[..., None] / 2) * xs[None, :] / (1 + rs[None, :]) ** 2) / rs[None, :]
            inner = np.where(asr2 > -100, np.exp(np.maximum(asr2, -700)) * (sp2 - ep), 0.0)
            bvn = (a2 * (inner @ w) - bvn) / tp
    if r > 0:
        bvn = bvn + _phi(-np.maximum(h, k))
    else:
        low = np.where(h < 0, _phi(k) - _phi(h), _phi(-h) - _phi(-k))
        bvn = np.where(h >= k, -bvn, low - bvn)
    return np.clip(bvn, 0, 1)


def bivariate_normal_cdf(h, k, r: float) -> np.ndarray:
    """P(X <= h, Y <= k) for a standard bivariate normal with correlation ``r``.

    Vectorised over ``h`` and ``k``; infinite limits are allowed.  Genz's (2004)
    Gauss-Legendre algorithm (as in R's ``mvtnorm`` and MATLAB's ``bvnl``), accurate to
    about 1e-15.
    """
    h = np.clip(np.asarray(h, dtype=float), -40, 40)
    k = np.clip(np.asarray(k, dtype=float), -40, 40)
    return _bvn_upper(-h, -k, float(r))


def _thresholds(codes: np.ndarray, categories: np.ndarray) -> np.ndarray:
    counts = np.array([(codes == c).sum() for c in categories], dtype=float)
    cum = np.cumsum(counts)[:-1] / counts.sum()
    return special.ndtri(cum)


def _pair_table(x: np.ndarray, y: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    ok = ~(np.isnan(x) | np.isnan(y))
    xi = np.searchsorted(cx, x[ok])
    yi = np.searchsorted(cy, y[ok])
    table = np.zeros((len(cx), len(cy)))
    np.add.at(table, (xi, yi), 1)
    return table


def _rho_ml(table: np.ndarray, tx: np.ndarray, ty: np.ndarray) -> float:
    bx = np.concatenate([[-np.inf], tx, [np.inf]])
    by = np.concatenate([[-np.inf], ty, [np.inf]])
    H, K = np.meshgrid(bx, by, indexing="ij")
    nz = table > 0

    def negll(rho):
        F = bivariate_normal_cdf(H, K, rho)
        P = F[1:, 1:] - F[:-1, 1:] - F[1:, :-1] + F[:-1, :-1]
        return -float(np.sum(table[nz] * np.log(np.maximum(P[nz], 1e-300))))

    res = optimize.minimize_scalar(negll, bounds=(-0.9999, 0.9999), method="bounded",
                                   options={"xatol": 1e-9})
    return float(res.x)


def polychoric_pair(x, y) -> float:
    """The polychoric correlation of two ordinal items (two-step ML, see module notes)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    cx = np.unique(x[~np.isnan(x)])
    cy = np.unique(y[~np.isnan(y)])
    if len(cx) < 2 or len(cy) < 2:
        return float("nan")
    table = _pair_table(x, y, cx, cy)
    return _rho_ml(table, _thresholds(x[~np.isnan(x)], cx), _thresholds(y[~np.isnan(y)], cy))


def polychoric(data) -> pd.DataFrame:
    """Polychoric correlation matrix of ordinal items (pairwise complete answers).

    Parameters
    ----------
    data : DataFrame
        Items coded as ordered numbers (e.g. 1-5), missing as NaN.

    Returns
    -------
    DataFrame
        Items x items.

    Raises
    ------
    AnalysisError
        An item with more than 10 distinct answers (not an ordinal rating), or with
        non-integer codes.
    """
    frame = as_frame(data)
    cats, thr = {}, {}
    for col in frame.columns:
        vals = frame[col].dropna().to_numpy()
        c = np.unique(vals)
        if len(c) > MAX_POLY_CATEGORIES:
            raise AnalysisError(
                f"item {col!r} has {len(c)} distinct answers; polychoric correlations are for "
                f"ordinal rating items with few categories (up to {MAX_POLY_CATEGORIES}, typically "
                "4-7 points): use correlation='pearson' for this battery",
                column=col,
            )
        if not np.allclose(c, np.round(c)):
            raise AnalysisError(
                f"item {col!r} holds non-integer answers (e.g. {c[~np.isclose(c, np.round(c))][0]:g}); "
                "polychoric correlations need ordered category codes: use correlation='pearson'",
                column=col,
            )
        cats[col] = c
        thr[col] = _thresholds(vals, c) if len(c) >= 2 else np.array([])
    cols = list(frame.columns)
    p = len(cols)
    out = np.eye(p)
    arr = frame.to_numpy()
    for i in range(p):
        for j in range(i + 1, p):
            if len(cats[cols[i]]) < 2 or len(cats[cols[j]]) < 2:
                r = float("nan")
            else:
                table = _pair_table(arr[:, i], arr[:, j], cats[cols[i]], cats[cols[j]])
                r = _rho_ml(table, thr[cols[i]], thr[cols[j]])
            out[i, j] = out[j, i] = r
    return pd.DataFrame(out, index=cols, columns=cols)
