"""Polychoric and tetrachoric correlations as ``psych::polychoric`` / ``psych::tetrachoric`` compute them.

Both assume a standard bivariate normal variable behind each pair of items, cut into the
observed answer categories at thresholds, and estimate in two steps (Olsson, 1979): the
thresholds first, then for each pair the correlation that maximises the likelihood of the
pair's contingency table.  The rules below are psych's (version 2.2.9, ``R/polychoric.R``
and ``R/tetrachor.R``), so that the numbers agree with R to about 1e-4 (psych's
``optimize`` stops at a tolerance of 1.2e-4; the search here goes to 1e-7).

Binary items (tetrachoric, every item has two answers)
    Thresholds ``qnorm(share answering the lower code)`` over everybody who answered the
    item; the 2x2 table of the respondents who answered both.  **Sparse tables:** a table
    with an empty cell has ``correct`` (0.5) added to each empty cell (the classical
    continuity correction, psych's ``correct=.5``): an empty cell otherwise drives the
    estimate to +-1.

Ordinal items with the same answer codes (polychoric, psych's ``global=TRUE``)
    Thresholds of each item from its own answer distribution over the common range of codes
    (a code nobody chose gives a repeated threshold, i.e. an empty category); empty cells
    of a pair's table simply add nothing to the likelihood (psych adds no correction here).

Ordinal items whose highest codes differ (psych's ``global=FALSE``)
    Each pair on its own: rows and columns nobody answered are dropped, ``correct / n``
    (0.5 of a respondent) is added to each remaining empty cell, and the thresholds come
    from the margins of that table.

Items with two answers mixed with longer scales are handled as the last case (psych's
``polychoric`` does the same).  The matrix is smoothed as ``psych::cor.smooth`` does when it
is not positive definite (see :func:`workbench.factors.correlation.correlation_matrix`).

Speed: all pairs are estimated at once.  The likelihoods of every pair are evaluated
together (bivariate normal probabilities by Genz's (2004) algorithm, vectorised over the
pairs' correlations) inside one golden-section search, so 25 items take well under a
second and 100 items a few seconds.

Survey weights (psych's ``weight=``): thresholds from weighted shares, tables of weights.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from ..core.errors import AnalysisError
from ._common import as_frame

__all__ = ["ordinal_correlations", "tetrachoric", "MAX_CATEGORIES"]

#: psych::polychoric's ``max.cat`` is 8; rating scales up to 10 points are accepted here.
MAX_CATEGORIES = 10

# Gauss-Legendre nodes on [-1, 1] (20 points), as in Genz's bvnu
_W = np.array([0.01761400713915212, 0.04060142980038694, 0.06267204833410906, 0.08327674157670475,
               0.1019301198172404, 0.1181945319615184, 0.1316886384491766, 0.1420961093183821,
               0.1491729864726037, 0.1527533871307259])
_X = np.array([0.9931285991850949, 0.9639719272779138, 0.9122344282513259, 0.8391169718222188,
               0.7463319064601508, 0.6360536807265150, 0.5108670019508271, 0.3737060887154196,
               0.2277858511416451, 0.07652652113349733])
_W20 = np.concatenate([_W, _W])
_X20 = np.concatenate([1 - _X, 1 + _X])


def bvn_upper(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for standard bivariate normals, vectorised over ``h``, ``k`` **and** ``r``.

    Genz (2004), "Numerical computation of rectangular bivariate and trivariate normal and t
    probabilities", Statistics and Computing 14: the 20-point Gauss-Legendre rule of the
    Drezner-Wesolowsky integral for ``|r| < .925`` and Genz's expansion otherwise (the
    branches of :func:`workbench.factors.correlation.bivariate_normal_cdf`, which takes a
    scalar ``r``; written again here because every pair has its own ``r``).
    """
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(r, float))
    h = np.clip(h, -40, 40)
    k = np.clip(k, -40, 40)
    out = np.empty(h.shape)
    tp = 2 * math.pi
    low = np.abs(r) < 0.925
    if low.any():
        hl, kl, rl = h[low], k[low], r[low]
        hk = hl * kl
        hs = (hl * hl + kl * kl) / 2
        asr = np.arcsin(rl) / 2
        sn = np.sin(asr[:, None] * _X20[None, :])
        terms = np.exp((sn * hk[:, None] - hs[:, None]) / (1 - sn ** 2))
        out[low] = (terms @ _W20) * asr / tp + special.ndtr(-hl) * special.ndtr(-kl)
    high = ~low
    if high.any():
        hh, kk, rr = h[high], k[high], r[high]
        kk = np.where(rr < 0, -kk, kk)
        hk = hh * kk
        as_ = (1 - rr) * (1 + rr)
        a = np.sqrt(np.maximum(as_, 0))
        bs = (hh - kk) ** 2
        c = (4 - hk) / 8
        d = (12 - hk) / 80
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            asr = -(bs / as_ + hk) / 2
            bvn = np.where(asr > -100, a * np.exp(asr) * (1 - c * (bs - as_) * (1 - d * bs) / 3 + c * d * as_ ** 2), 0)
            b = np.sqrt(bs)
            sp = math.sqrt(tp) * special.ndtr(-b / a)
            bvn = np.where(hk > -100, bvn - np.exp(-hk / 2) * sp * b * (1 - c * bs * (1 - d * bs) / 3), bvn)
            a2 = a / 2
            xs = (a2[:, None] * _X20[None, :]) ** 2
            asr2 = -(bs[:, None] / xs + hk[:, None]) / 2
            sp2 = 1 + c[:, None] * xs * (1 + 5 * d[:, None] * xs)
            rs = np.sqrt(1 - xs)
            ep = np.exp(-(hk[:, None] / 2) * xs / (1 + rs) ** 2) / rs
            inner = np.where(asr2 > -100, np.exp(np.maximum(asr2, -700)) * (sp2 - ep), 0.0)
            bvn = (a2 * (inner @ _W20) - bvn) / tp
            bvn = np.where(as_ <= 0, 0.0, bvn)  # |r| = 1
        pos = bvn + special.ndtr(-np.maximum(hh, kk))
        lowp = np.where(hh < 0, special.ndtr(kk) - special.ndtr(hh), special.ndtr(-hh) - special.ndtr(-kk))
        neg = np.where(hh >= kk, -bvn, np.maximum(lowp, 0) - bvn)
        out[high] = np.where(rr > 0, pos, neg)
    return np.clip(out, 0, 1)


def _cell_probabilities(tx: np.ndarray, ty: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Cell probabilities of every pair: ``tx`` (m, a+1), ``ty`` (m, b+1) cut points incl. +-inf."""
    m, a1, b1 = len(rho), tx.shape[1], ty.shape[1]
    hi, ki = tx[:, 1:-1], ty[:, 1:-1]          # the bivariate CDF is only needed at the inner cut points
    H = np.broadcast_to(hi[:, :, None], (m, a1 - 2, b1 - 2))
    K = np.broadcast_to(ki[:, None, :], H.shape)
    R = np.broadcast_to(rho[:, None, None], H.shape)
    F = np.zeros((m, a1, b1))                   # P(X <= h, Y <= k); 0 on the -inf edges
    F[:, 1:-1, 1:-1] = bvn_upper(-H.ravel(), -K.ravel(), R.ravel()).reshape(H.shape)
    F[:, -1, 1:-1] = special.ndtr(ki)
    F[:, 1:-1, -1] = special.ndtr(hi)
    F[:, -1, -1] = 1.0
    return F[:, 1:, 1:] - F[:, :-1, 1:] - F[:, 1:, :-1] + F[:, :-1, :-1]


def _negll(tables: np.ndarray, tx: np.ndarray, ty: np.ndarray, rho: np.ndarray) -> np.ndarray:
    P = _cell_probabilities(tx, ty, rho)
    ok = (tables > 0) & (P > 0)   # psych: cells with P <= 0 are left out
    return -np.where(ok, tables * np.log(np.where(ok, P, 1.0)), 0.0).sum(axis=(1, 2))


def _ml_rho(tables: np.ndarray, tx: np.ndarray, ty: np.ndarray, tol: float = 1e-7, chunk: int = 400) -> np.ndarray:
    """The correlation maximising each pair's likelihood: one golden-section search for all pairs on [-1, 1]."""
    out = np.empty(len(tables))
    g = (math.sqrt(5) - 1) / 2
    for s in range(0, len(tables), chunk):
        tb, a1, b1 = tables[s:s + chunk], tx[s:s + chunk], ty[s:s + chunk]
        lo = np.full(len(tb), -1.0)
        hi = np.full(len(tb), 1.0)
        c = hi - g * (hi - lo)
        d = lo + g * (hi - lo)
        fc, fd = _negll(tb, a1, b1, c), _negll(tb, a1, b1, d)
        while (hi - lo).max() > tol:
            left = fc < fd
            hi = np.where(left, d, hi)
            lo = np.where(left, lo, c)
            new = np.where(left, hi - g * (hi - lo), lo + g * (hi - lo))
            fnew = _negll(tb, a1, b1, new)
            c, d, fc, fd = (np.where(left, new, d), np.where(left, c, new),
                            np.where(left, fnew, fd), np.where(left, fc, fnew))
        out[s:s + chunk] = (lo + hi) / 2
    return out


def _codes(frame: pd.DataFrame) -> dict:
    """Check the answers are ordered integer codes with few categories; the codes of each item."""
    cats = {}
    for col in frame.columns:
        c = np.unique(frame[col].dropna().to_numpy())
        if len(c) > MAX_CATEGORIES:
            raise AnalysisError(
                f"item {col!r} has {len(c)} distinct answers; polychoric correlations are for "
                f"ordinal rating items with few categories (up to {MAX_CATEGORIES}, typically "
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
    return cats


def _cuts(shares: np.ndarray) -> np.ndarray:
    """Cut points (with -inf, +inf) from category shares."""
    cum = np.minimum(np.cumsum(shares)[:-1], 1.0)
    return np.concatenate([[-np.inf], special.ndtri(cum), [np.inf]])


def ordinal_correlations(data, *, correct: float = 0.5, weights=None) -> tuple[pd.DataFrame, dict]:
    """Polychoric (or, for two-answer items, tetrachoric) correlations as psych computes them.

    Parameters
    ----------
    data : DataFrame
        Items coded as ordered integers (e.g. 1-5, or 0/1), missing as NaN.
    correct : float, default=0.5
        Continuity correction for empty cells (psych's ``correct``; 0 for none), applied as
        described in the module notes.
    weights : array-like, optional
        One non-negative weight per respondent.

    Returns
    -------
    matrix : DataFrame
        Items x items (not yet smoothed); NaN where a pair cannot be estimated (an item
        that does not vary among the pair's respondents).
    info : dict
        ``kind`` ('tetrachoric' or 'polychoric'), ``rule`` ('global' or 'pairwise'
        thresholds), ``corrected`` (number of pairs with empty cells corrected) and
        ``thresholds`` (item to its cut points).
    """
    frame = as_frame(data)
    cats = _codes(frame)
    cols = list(frame.columns)
    p = len(cols)
    arr = frame.to_numpy(dtype=float)
    n = len(frame)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    binary = all(len(c) == 2 for c in cats.values())
    if binary:
        # psych::tetrachoric: each item shifted to 0/1 by its own minimum
        top = np.array([cats[c][-1] for c in cols])
        codes = np.where(np.isnan(arr), -1, arr == top[None, :]).astype(int)
        ncat = 2
        glob = True
    else:
        lo = min(c[0] for c in cats.values())
        tops = {c[-1] for c in cats.values()}
        glob = len(tops) == 1            # psych: the same highest code for every item
        ncat = int(max(tops) - lo + 1)
        codes = np.where(np.isnan(arr), -1, arr - lo).astype(int)
    answered = codes >= 0
    # thresholds from each item's own (weighted) answer shares
    thr = np.empty((p, ncat + 1))
    for j in range(p):
        share = np.bincount(codes[answered[:, j], j], weights=w[answered[:, j]], minlength=ncat)
        thr[j] = _cuts(share / share.sum())
    iu, ju = np.triu_indices(p, 1)
    m = len(iu)
    tables = np.zeros((m, ncat, ncat))
    for t, (i, j) in enumerate(zip(iu, ju)):
        ok = answered[:, i] & answered[:, j]
        tables[t] = np.bincount(codes[ok, i] * ncat + codes[ok, j], weights=w[ok],
                                minlength=ncat * ncat).reshape(ncat, ncat)
    tx, ty = thr[iu].copy(), thr[ju].copy()
    usable = np.ones(m, dtype=bool)
    corrected = 0
    if binary:
        empty = (tables == 0).any(axis=(1, 2)) & (tables.sum(axis=(1, 2)) > 1)
        if correct > 0 and empty.any():
            tables[empty] = np.where(tables[empty] == 0, correct, tables[empty])
            corrected = int(empty.sum())
        usable = (tables.sum(axis=2) > 0).sum(axis=1).astype(bool) & (tables.sum(axis=(1, 2)) > 0)
    elif glob:
        tot = tables.sum(axis=(1, 2), keepdims=True)
        usable = tot.ravel() > 0
        tables = tables / np.where(tot > 0, tot, 1)
    else:
        # each pair on its own: drop empty rows / columns, correct empty cells, thresholds from the margins
        size = np.zeros(m, dtype=int)
        for t in range(m):
            tab = tables[t]
            tot = tab.sum()
            rows, colz = tab.sum(axis=1) > 0, tab.sum(axis=0) > 0
            sub = tab[np.ix_(rows, colz)] / max(tot, 1)
            if min(sub.shape) < 2 or tot == 0:
                usable[t] = False
                continue
            if correct > 0 and (sub == 0).any():
                sub = np.where(sub == 0, correct / tot, sub)
                corrected += 1
            a, b = sub.shape
            tables[t] = 0
            tables[t, :a, :b] = sub
            tx[t] = np.inf
            ty[t] = np.inf
            tx[t, : a + 1] = _cuts(sub.sum(axis=1))
            ty[t, : b + 1] = _cuts(sub.sum(axis=0))
            tx[t, a] = ty[t, b] = np.inf
            size[t] = a
    # a pair where one item never varies among the pair's respondents has no correlation
    marg_r = (tables.sum(axis=2) > 0).sum(axis=1)
    marg_c = (tables.sum(axis=1) > 0).sum(axis=1)
    usable &= (marg_r >= 2) & (marg_c >= 2)
    rho = np.full(m, np.nan)
    if usable.any():
        rho[usable] = _ml_rho(tables[usable], tx[usable], ty[usable])
    out = np.eye(p)
    out[iu, ju] = rho
    out[ju, iu] = rho
    info = {"kind": "tetrachoric" if binary else "polychoric", "rule": "global" if glob else "pairwise",
            "corrected": corrected, "thresholds": {c: thr[j, 1:-1] for j, c in enumerate(cols)}}
    return pd.DataFrame(out, index=cols, columns=cols), info


def tetrachoric(data, *, correct: float = 0.5, weights=None) -> pd.DataFrame:
    """Tetrachoric correlations of binary (two-answer) items, as ``psych::tetrachoric(x)$rho`` before smoothing.

    Raises
    ------
    AnalysisError
        An item with more (or fewer) than two distinct answers.
    """
    frame = as_frame(data)
    for col in frame.columns:
        k = frame[col].dropna().nunique()
        if k != 2:
            raise AnalysisError(f"item {col!r} has {k} distinct answer(s); tetrachoric correlations are for "
                                "binary (yes/no) items: use correlation='polychoric' for rating items",
                                column=col)
    return ordinal_correlations(frame, correct=correct, weights=weights)[0]
