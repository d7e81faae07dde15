"""The adjusted Rand index of two labelings, without scikit-learn's per-call validation.

Written out because :func:`sklearn.metrics.adjusted_rand_score` spends most of its time
checking and re-encoding its inputs (``type_of_target``, ``np.unique`` twice, a sparse
contingency table): the start diagnostics call it for every finished start of every
candidate, which at 20,000 respondents cost more than the comparison itself. Same formula as
scikit-learn's (Hubert & Arabie 1985, through the pair confusion matrix), tested against it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adjusted_rand_score"]


def _codes(labels) -> tuple[np.ndarray, int]:
    a = np.asarray(labels)
    if a.dtype.kind in "iu" and a.size and a.min() >= 0 and a.max() < 4 * a.size + 64:
        return a.astype(np.int64, copy=False), int(a.max()) + 1
    uniq, inv = np.unique(a, return_inverse=True)
    return inv.astype(np.int64).ravel(), len(uniq)


def adjusted_rand_score(labels_true, labels_pred) -> float:
    """Adjusted Rand index (1 = identical partitions, about 0 = chance agreement).

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n,)
        Cluster labels (any values; their numbering does not matter).

    Returns
    -------
    float
        As :func:`sklearn.metrics.adjusted_rand_score` (1.0 for two partitions that agree on
        every pair, including the degenerate cases).
    """
    a, ka = _codes(labels_true)
    b, kb = _codes(labels_pred)
    if a.shape != b.shape:
        raise ValueError(f"labelings of different lengths: {a.shape[0]} and {b.shape[0]}")
    n = a.shape[0]
    table = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(np.float64)
    sum_squares = float((table**2).sum())
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    tp = sum_squares - n
    fp = float((cols**2).sum()) - sum_squares
    fn = float((rows**2).sum()) - sum_squares
    tn = float(n) ** 2 - fp - fn - sum_squares
    if fn == 0 and fp == 0:
        return 1.0
    return float(2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)))
