"""The small statistics every report uses, each written once.

* :func:`wilson_interval` - Wilson score interval of a share (Wilson 1927), with a
  (Kish effective) n that need not be whole.
* :func:`holm`, :func:`benjamini_hochberg`, :func:`correct_pvalues` - multiple-testing
  adjustment (Holm 1979; Benjamini & Hochberg 1995); NaN stays NaN and is not counted.
* :func:`two_proportion_ztest` - pooled two-proportion z test, element-wise.
* :func:`welch_ttest` - Welch's unequal-variance t test from group summaries, element-wise.
* :func:`effective_n`, :func:`design_effect`, :func:`weighted_stats` - Kish's effective
  sample size and design effect of unequal weights (Kish 1965), weighted means and variances.
* :func:`softmax`, :func:`mlogit_fit` - class probabilities from scores, and the
  L2-penalised multinomial logit the golden questions and the base model fit.
* :func:`logsumexp` - ``log Σ exp`` along an axis, for the E-steps' inner loops.

Each is backed by the library that has it (``scipy``, ``statsmodels``) where the library
does the job; the hand-written ones say why in a comment and ``tests/test_stats.py``
checks every one against the library (or scikit-learn for the logit).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

# scipy.stats / scipy.special are imported where used: this module is on the deck's re-rendering
# path (workbench deck), which computes no statistic and saves a second of imports without them

__all__ = ["wilson_interval", "holm", "benjamini_hochberg", "correct_pvalues", "CORRECTIONS",
           "two_proportion_ztest", "welch_ttest", "effective_n", "design_effect", "weighted_stats",
           "softmax", "logsumexp", "row_max", "row_sum", "mlogit_fit", "one_blas_thread", "is_categorical"]

#: Multiple-testing corrections :func:`correct_pvalues` accepts.
CORRECTIONS = ("holm", "fdr_bh", "bonferroni", "none")


# --------------------------------------------------------------------------- intervals


def wilson_interval(share, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a share ``share`` observed on ``n`` (effective) respondents.

    ``(p + z²/2n ± z √(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` (Wilson 1927), clipped to [0, 1].

    The formula of ``statsmodels.stats.proportion.proportion_confint(method="wilson")``,
    written out because that function takes a count, not a share: with a weighted share
    and a Kish effective n the count ``share × n`` is not whole and the round trip
    ``share × n / n`` moves the last bit of the share. ``tests/test_stats.py`` checks the two
    agree.
    """
    from scipy import stats

    p = np.asarray(share, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


# --------------------------------------------------------------------------- multiple testing


def _finite_order(p: np.ndarray) -> np.ndarray:
    """Positions of the non-NaN p-values, smallest first (stable)."""
    ok = np.flatnonzero(~np.isnan(p))
    return ok[np.argsort(p[ok], kind="stable")]


def holm(p) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979); NaN stays NaN and is not counted.

    ``p_(i) adj = max_{j <= i} min(1, (m - j + 1) p_(j))`` over the sorted p-values, as
    ``statsmodels.stats.multitest.multipletests(method="holm")``. Written out because
    statsmodels' Holm branch calls ``gc.collect()`` on every call (about 70 ms with a full
    heap, a second per profile); ``tests/test_stats.py`` checks the two agree.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    order = _finite_order(p)
    m = len(order)
    if m:
        out[order] = np.minimum(np.maximum.accumulate((m - np.arange(m)) * p[order]), 1.0)
    return out


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate); NaN stays NaN, not counted.

    ``p_(i) adj = min_{j >= i} min(1, p_(j) m / j)``, as ``multipletests(method="fdr_bh")``;
    written out for the same reason as :func:`holm` (one code path for NaN). The products
    ``p m / j`` can differ from statsmodels' ``p / (j / m)`` in the last bit;
    ``tests/test_stats.py`` checks the two agree to 1e-15.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    order = _finite_order(p)
    m = len(order)
    if m:
        ranked = p[order] * m / np.arange(1, m + 1)
        out[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return out


def correct_pvalues(p, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple testing; NaN stays NaN and is not counted.

    Parameters
    ----------
    p : array-like
    method : {'holm', 'fdr_bh', 'bonferroni', 'none'}, default='holm'
        :func:`holm`, :func:`benjamini_hochberg`, otherwise
        :func:`statsmodels.stats.multitest.multipletests`.
    """
    p = np.asarray(p, dtype=float)
    if method == "holm":
        return holm(p)
    if method == "fdr_bh":
        return benjamini_hochberg(p)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if not ok.any():
        return out
    if method == "none":
        out[ok] = p[ok]
    else:
        from statsmodels.stats.multitest import multipletests

        out[ok] = multipletests(p[ok], method=method)[1]
    return out


# --------------------------------------------------------------------------- tests of two groups


def two_proportion_ztest(p1, n1, p2, n2) -> tuple[np.ndarray, np.ndarray]:
    """Pooled two-proportion z test of shares ``p1`` on ``n1`` and ``p2`` on ``n2``, element-wise.

    Returns ``(z, p)`` with ``z = (p1 - p2) / se`` and the two-sided p. Where a group has
    ``n < 1`` both are NaN; where the pooled share is 0 or 1 (``se == 0``: both groups
    all 0 or all 1) ``z`` is NaN and ``p`` is 1.

    ``statsmodels.stats.proportion.proportions_ztest`` computes the same test one pair at a
    time from counts; written out to run over thousands of cells at once and on shares with
    a Kish effective n (not whole counts). ``tests/test_stats.py`` checks the two agree.
    """
    from scipy import stats

    p1, n1, p2, n2 = (np.asarray(a, dtype=float) for a in (p1, n1, p2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (p1 - p2) / se
        p = 2 * stats.norm.sf(np.abs(z))
    flat = (se == 0) & np.isfinite(p1) & np.isfinite(p2)
    z = np.where(flat, np.nan, z)
    p = np.where(flat, 1.0, p)
    small = (n1 < 1) | (n2 < 1)
    return np.where(small, np.nan, z), np.where(small, np.nan, p)


def welch_ttest(m1, v1, n1, m2, v2, n2) -> tuple[np.ndarray, np.ndarray]:
    """Welch's unequal-variance t test from group means, variances and sizes, element-wise.

    Returns ``(t, p)``: ``t = (m1 - m2) / √(v1/n1 + v2/n2)`` with the Welch-Satterthwaite
    degrees of freedom and the two-sided p. NaN where a group has ``n < 2``; where both
    variances are 0 and the means equal, ``p`` is 1.

    The test of ``scipy.stats.ttest_ind_from_stats(equal_var=False)``, written out because
    that function takes standard deviations: passing ``√v`` squares them back and moves
    the last bit of every p-value the reports print. ``tests/test_stats.py`` checks the
    two agree.
    """
    from scipy import stats

    m1, v1, n1, m2, v2, n2 = (np.asarray(a, dtype=float) for a in (m1, v1, n1, m2, v2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b = v1 / n1, v2 / n2
        se = np.sqrt(a + b)
        t = (m1 - m2) / se
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
        p = 2 * stats.t.sf(np.abs(t), df)
    p = np.where((se == 0) & (m1 == m2), 1.0, p)
    small = (n1 < 2) | (n2 < 2)
    return np.where(small, np.nan, t), np.where(small, np.nan, p)


# --------------------------------------------------------------------------- weights


def effective_n(weights) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²``; NaN weights ignored, NaN when no weight is positive."""
    w = np.asarray(weights, dtype=float)
    w = w[~np.isnan(w)]
    ss = float(np.sum(w**2))
    return float(np.sum(w) ** 2 / ss) if ss > 0 else np.nan


def design_effect(weights) -> float:
    """Kish's design effect of unequal weighting: ``n Σw² / (Σw)²`` (= 1 + CV²); NaN weights ignored.

    Parameters
    ----------
    weights : array-like of float
        Non-negative weights.
    """
    w = np.asarray(weights, dtype=float)
    w = w[~np.isnan(w)]
    return float(len(w) * np.sum(w**2) / np.sum(w) ** 2) if len(w) else np.nan


def weighted_stats(values: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Column-wise weighted n, base, effective n, mean and variance, ignoring NaN.

    Parameters
    ----------
    values : ndarray of shape (n, m)
    weights : ndarray of shape (n,)

    Returns
    -------
    dict
        ``n`` (answers), ``base`` (Σw), ``n_eff`` (Kish: (Σw)²/Σw²), ``mean`` (Σwx/Σw) and
        ``var`` (Σw(x-m)²/Σw × n_eff/(n_eff-1); the sample variance when unweighted),
        each of shape (m,). Empty columns give NaN.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    valid = ~np.isnan(values)
    w = np.where(valid, np.asarray(weights, dtype=float)[:, None], 0.0)
    x = np.where(valid, values, 0.0)
    base = w.sum(axis=0)
    sw2 = (w**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w * x).sum(axis=0) / base
        n_eff = base**2 / sw2
        dev = np.where(valid, x - mean, 0.0)
        var = (w * dev**2).sum(axis=0) / base * n_eff / (n_eff - 1)
    return {"n": valid.sum(axis=0), "base": base, "n_eff": n_eff, "mean": mean, "var": var}


# --------------------------------------------------------------------------- multinomial logit


def logsumexp(x: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """``log Σ exp(x)`` along ``axis``, shifted by the maximum: :func:`scipy.special.logsumexp`
    without weights or signs.

    Written out because the E-steps call it thousands of times on (n, k) arrays, where
    scipy's array-API dispatch costs three to four times the arithmetic (scipy 1.17: 4 ms
    against 1 ms on 2,000 × 5). A slice that is all ``-inf`` gives ``-inf`` as scipy's does;
    ``tests/test_stats.py`` checks the two agree.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim >= 2 and axis in (-1, x.ndim - 1) and x.size:  # the E-steps' case: along the classes, as rows
        flat = x.reshape(-1, x.shape[-1])
        m = np.where(np.isfinite(m := row_max(flat)), m, 0.0)
        with np.errstate(divide="ignore"):
            out = (np.log(row_sum(np.exp(flat - m))) + m).reshape(x.shape[:-1] + (1,))
        return out if keepdims else out[..., 0]
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


#: Widest row :func:`row_sum` adds column by column: up to 7 terms numpy's ``sum`` adds left to
#: right (from 8 on it switches to its unrolled pairwise sum, whose order the loop would not keep).
_ROW_SUM_COLUMNS = 7


def row_max(x: np.ndarray) -> np.ndarray:
    """``x.max(axis=1, keepdims=True)`` of a 2-D array, computed column by column.

    Written out because numpy reduces a tall, narrow array (respondents × classes) one short
    row at a time: on 2,000 × 5 the column loop is five times faster. A maximum is exact in any
    order (NaN propagates as in ``max``), so the result is ``x.max`` bit for bit;
    ``tests/test_stats.py`` checks it.
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] == 0 or x.shape[0] == 0:
        return x.max(axis=1, keepdims=True)
    out = x[:, 0].copy()
    for c in range(1, x.shape[1]):
        np.maximum(out, x[:, c], out=out)
    return out[:, None]


def row_sum(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=1, keepdims=True)`` of a 2-D array, bit for bit.

    Up to seven columns (the classes of a segmentation) numpy adds a row's terms left to right,
    one row at a time; the same additions column by column are four times faster on 2,000 × 5.
    Wider arrays go to numpy (its pairwise sum adds in another order). ``tests/test_stats.py``
    checks both against ``x.sum``.
    """
    x = np.asarray(x)
    if x.ndim != 2 or not 0 < x.shape[1] <= _ROW_SUM_COLUMNS or x.dtype != np.float64:
        return x.sum(axis=1, keepdims=True)
    out = x[:, 0].copy()
    for c in range(1, x.shape[1]):
        out += x[:, c]
    return out[:, None]


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a (n, k) array of scores: ``exp(s - max) / Σ exp(s - max)``."""
    from scipy import special

    return special.softmax(scores, axis=1)


def mlogit_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, *, C: float = 1.0, start: np.ndarray | None = None,
               tol: float = 1e-10, max_iter: int = 100) -> tuple[np.ndarray, bool]:
    """L2-penalised multinomial logistic regression by Newton's method: the one multinomial-logit
    solver of the workbench (the typing tool, the whole-base model; issue 23).

    Minimises ``-Σ_i w_i log p_i,y_i + 1 / (2C) Σ_kj b_kj²`` (intercepts unpenalised), the
    objective of sklearn's ``LogisticRegression(C=C)`` with a multinomial loss. With soft
    targets (``y`` an (n, K) matrix, e.g. posterior class probabilities) it minimises
    ``-Σ_i w_i Σ_c y_ic log p_ic``: the M-step of a latent class model with covariates
    (``C=np.inf``: no penalty; ``max_iter=1``: one Newton step from ``start``).

    Written out because the golden-question selection needs about a thousand small fits,
    each warm-started from the previous step's coefficients: sklearn's solvers are several
    times slower on such tiny problems and take no warm start for a grown design matrix.
    ``tests/test_stats.py`` checks the coefficients against sklearn's.

    Parameters
    ----------
    x : ndarray (n, p)
    y : ndarray (n,) of int, or (n, K) of non-negative weights
        Class index 0..K-1, or soft targets (rows need not sum to one: a row's sum scales
        its weight).
    w : ndarray (n,)
        Sample weights.
    C : float
    start : ndarray (p + 1, K), optional
        Warm start (row 0: intercepts).

    Returns
    -------
    coef : ndarray (p + 1, K)
        Row 0 the intercepts (centred to sum to zero), then one row per column of ``x``.
    converged : bool
    """
    n, p = x.shape
    y = np.asarray(y)
    soft = y.ndim == 2
    if soft:  # soft targets: each row's total weight times its target shares
        k = y.shape[1]
        total = y.sum(axis=1)
        onehot = np.divide(y, total[:, None], out=np.zeros_like(y, dtype=float), where=total[:, None] > 0)
        w = np.asarray(w, dtype=float) * total
    else:
        k = int(y.max()) + 1 if start is None else start.shape[1]
        k = max(k, 2)
    xa = np.empty((n, p + 1))
    xa[:, 0] = 1.0
    xa[:, 1:] = x
    d = p + 1
    if not soft:
        onehot = np.zeros((n, k))
        onehot[np.arange(n), y] = 1.0
    b = np.zeros((d, k)) if start is None else np.array(start, dtype=float)
    pen = np.full(d, 1.0 / C)
    pen[0] = 0.0
    pen_vec = np.tile(pen, k)
    keep = np.ones(k * d, dtype=bool)
    keep[(k - 1) * d] = False  # the last intercept is fixed: softmax is invariant to a common shift
    sw = np.sqrt(w)
    wsum = float(w.sum())

    def objective(coef):
        s = xa @ coef
        m = s.max(axis=1, keepdims=True)
        lse = np.log(np.exp(s - m).sum(axis=1)) + m[:, 0]
        fit = (w @ (lse - (onehot * s).sum(axis=1))) if soft else (w @ (lse - s[np.arange(n), y]))
        return float(fit) + 0.5 * float((pen[:, None] * coef**2).sum())

    obj = objective(b)
    converged = False
    for _ in range(max_iter):
        prob = softmax(xa @ b)
        grad = (xa.T @ (w[:, None] * (prob - onehot)) + b * pen[:, None]).T.ravel()
        q = ((sw[:, None] * prob)[:, :, None] * xa[:, None, :]).reshape(n, k * d)
        hess = -(q.T @ q)
        wp = w[:, None] * prob
        for c in range(k):
            hess[c * d:(c + 1) * d, c * d:(c + 1) * d] += (xa * wp[:, c:c + 1]).T @ xa
        hess[np.diag_indices_from(hess)] += pen_vec + 1e-12 * wsum
        step = np.zeros(k * d)
        try:
            step[keep] = np.linalg.solve(hess[np.ix_(keep, keep)], grad[keep])
        except np.linalg.LinAlgError:
            step[keep] = np.linalg.lstsq(hess[np.ix_(keep, keep)], grad[keep], rcond=None)[0]
        decrement = float(grad[keep] @ step[keep])
        if decrement < tol * max(wsum, 1.0):
            converged = True
            break
        step_m = step.reshape(k, d).T
        t = 1.0
        while True:  # backtracking: Newton steps on separable data can overshoot
            trial = b - t * step_m
            new = objective(trial)
            if new <= obj - 1e-4 * t * decrement or t < 1e-8:
                break
            t *= 0.5
        b, obj = trial, new
    b[0] -= b[0].mean()
    return b, converged


def one_blas_thread(func):
    """Run ``func`` with BLAS limited to one thread.

    The logit fits are thousands of products of small matrices; on a busy machine
    OpenBLAS's threads spin against each other and make them ten times slower, never faster.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


def is_categorical(s: pd.Series) -> bool:
    """A variable tested as categories (text, categorical or boolean), not as numbers."""
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
