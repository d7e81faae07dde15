"""Correlation matrices for factor analysis: Pearson (pairwise or listwise) and polychoric.

Missing answers
---------------
``missing='pairwise'`` (the default, as R's ``psych``): each correlation uses every
respondent who answered both items, so a respondent who skipped one question still counts
for all the others.  ``missing='listwise'`` keeps only respondents who answered every item.
"Don't know" codes are already missing (NaN) in the study's responses, so they are left
out, never averaged in as a number.

Polychoric and tetrachoric correlations
---------------------------------------
For 4-7 point rating items the Pearson correlation of the codes understates the
correlation of the continuous attitudes behind them, and for yes/no items it is bounded by
the items' shares.  ``correlation='polychoric'`` estimates polychoric correlations (for
items with two answers: tetrachoric ones), exactly as ``psych::polychoric`` /
``psych::tetrachoric`` do: two-step maximum likelihood (Olsson, 1979), 0.5 added to empty
cells of sparse tables where psych adds it (``correct=.5``), see
:mod:`workbench.factors.ordinal`.  ``correlation='tetrachoric'`` is the same but refuses
items that are not binary.  A matrix that is not positive definite (possible with pairwise
or polychoric estimates) is smoothed as ``psych::cor.smooth`` does, with a warning.

Which correlation fits the items: :func:`suggest_correlation` (binary items tetrachoric,
ordinal rating items with at most 10 codes polychoric, else Pearson) - what
``correlation='auto'`` uses.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError, DataError, WorkbenchWarning
from ._common import (
    CORRELATION_CHOICES,
    MISSING,
    as_frame,
    check_choice,
    check_items,
    check_respondents,
    collinear_items,
    singular_error,
)
from .ordinal import MAX_CATEGORIES, ordinal_correlations, tetrachoric

__all__ = ["correlation_matrix", "polychoric", "polychoric_pair", "tetrachoric", "bivariate_normal_cdf",
           "CorrelationInfo", "smooth_correlation", "suggest_correlation"]

MAX_POLY_CATEGORIES = MAX_CATEGORIES


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
    kind : {'pearson', 'polychoric', 'tetrachoric'}
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
    correlation : {'pearson', 'polychoric', 'tetrachoric', 'auto'}, default='pearson'
        'polychoric' gives tetrachoric correlations when every item has two answers;
        'auto' chooses with :func:`suggest_correlation`.
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
    check_choice("correlation", correlation, CORRELATION_CHOICES)
    check_choice("missing", missing, MISSING)
    frame = as_frame(data)
    if correlation == "auto":
        correlation = suggest_correlation(frame)
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
        if correlation == "tetrachoric":
            mat = tetrachoric(frame).to_numpy()
        else:
            poly, how = ordinal_correlations(frame)
            mat = poly.to_numpy()
            correlation = how["kind"]
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

def bivariate_normal_cdf(h, k, r: float) -> np.ndarray:
    """P(X <= h, Y <= k) for a standard bivariate normal with correlation ``r``.

    Vectorised over ``h`` and ``k``; infinite limits are allowed.  Genz's (2004)
    Gauss-Legendre algorithm (as in R's ``mvtnorm`` and MATLAB's ``bvnl``), accurate to
    about 1e-15.
    """
    from .ordinal import bvn_upper

    h = np.asarray(h, dtype=float)
    k = np.asarray(k, dtype=float)
    return bvn_upper(-h, -k, np.full(np.broadcast(h, k).shape, float(r)))


def suggest_correlation(data) -> str:
    """The correlation that fits the items: 'tetrachoric' when every item has two answers,
    'polychoric' when every item has integer codes with at most 10 distinct answers (a
    rating scale), else 'pearson'."""
    frame = as_frame(data)
    counts = []
    for col in frame.columns:
        vals = frame[col].dropna().unique()
        if len(vals) > MAX_CATEGORIES or not np.allclose(vals, np.round(vals)):
            return "pearson"
        counts.append(len(vals))
    if counts and all(c == 2 for c in counts):
        return "tetrachoric"
    return "polychoric"


def polychoric_pair(x, y) -> float:
    """The polychoric (tetrachoric for two binary items) correlation of two items, as ``psych``."""
    frame = pd.DataFrame({"x": np.asarray(x, dtype=float), "y": np.asarray(y, dtype=float)})
    if frame["x"].nunique() < 2 or frame["y"].nunique() < 2:
        return float("nan")
    return float(ordinal_correlations(frame)[0].iat[0, 1])


def polychoric(data, *, correct: float = 0.5) -> pd.DataFrame:
    """Polychoric correlation matrix of ordinal items (pairwise complete answers), before smoothing.

    ``psych::polychoric(x)$rho`` (tetrachoric correlations when every item is binary); see
    :mod:`workbench.factors.ordinal` for the rules, including ``correct`` for empty cells.

    Parameters
    ----------
    data : DataFrame
        Items coded as ordered numbers (e.g. 1-5), missing as NaN.
    correct : float, default=0.5

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
    return ordinal_correlations(data, correct=correct)[0]
