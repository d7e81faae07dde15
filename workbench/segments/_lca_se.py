"""Standard errors of latent class parameters, as poLCA's ``calc.se`` computes them.

poLCA (Linzer & Lewis 2011, ``poLCA.se``) takes the information matrix as the outer product of
the respondents' score vectors (the empirical information, a consistent estimate of the observed
one at the maximum) in the log-odds parameterisation, inverts it with a generalised inverse, and
carries it to the probabilities by the delta method:

* scores of the response log-odds (class ``r``, item ``j``, category ``k >= 2`` against the first):
  ``P(r | y_i) (y_ijk - p_jrk)``, zero where the answer is missing;
* scores of the share log-ratios (class ``r >= 2`` against class 1): ``P(r | y_i) - π_r``;
* ``Var(p_jr.) = J V J'`` with ``J = diag(p) - p p'`` (its first column dropped), and
  ``Var(π) = J_π V_β J_π'`` with ``J_π`` the columns ``r >= 2`` of ``diag(π) - π π'``.

Written out because neither statsmodels nor StepMix computes these; the test compares it with
poLCA's own figures (``tests/data/polca_reference.json``). With weights, each respondent's outer
product counts with their weight (frequency weights; poLCA has none).
"""

from __future__ import annotations

import numpy as np

__all__ = ["polca_standard_errors"]


def polca_standard_errors(codes: np.ndarray, probs: list, shares: np.ndarray, post: np.ndarray,
                          weights: np.ndarray | None = None) -> tuple[list, np.ndarray]:
    """poLCA's standard errors of the response probabilities and class shares.

    Parameters
    ----------
    codes : ndarray (n, J) of int
        Category positions 0..K_j-1, -1 where missing.
    probs : list of ndarray (k, K_j)
        Response probabilities of each item.
    shares : ndarray (k,)
    post : ndarray (n, k)
        Posterior class probabilities at these estimates.
    weights : ndarray (n,), optional

    Returns
    -------
    se_probs : list of ndarray (k, K_j)
    se_shares : ndarray (k,)
    """
    codes = np.asarray(codes)
    n, J = codes.shape
    k = len(shares)
    cols = []
    for r in range(k):
        for j in range(J):
            K = probs[j].shape[1]
            y = np.zeros((n, K))
            ok = codes[:, j] >= 0
            y[np.flatnonzero(ok), codes[ok, j]] = 1.0
            s = post[:, [r]] * (y[:, 1:] - probs[j][r, 1:])
            s[~ok] = 0.0
            cols.append(s)
    n_lo = sum(c.shape[1] for c in cols)
    cols += [(post[:, r] - shares[r])[:, None] for r in range(1, k)]
    S = np.hstack(cols)
    if weights is not None:
        S = S * np.sqrt(np.asarray(weights, dtype=float))[:, None]
    V = np.linalg.pinv(S.T @ S)  # poLCA: MASS::ginv
    V_lo = V[:n_lo, :n_lo]
    blocks = []
    for r in range(k):
        for j in range(J):
            p = probs[j][r]
            Jsub = np.diag(p) - np.outer(p, p)
            blocks.append(Jsub[:, 1:])
    rows = sum(b.shape[0] for b in blocks)
    Jac = np.zeros((rows, n_lo))
    rp = cp = 0
    for b in blocks:
        Jac[rp:rp + b.shape[0], cp:cp + b.shape[1]] = b
        rp += b.shape[0]
        cp += b.shape[1]
    se_vec = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", Jac, V_lo, Jac), 0.0))
    se_probs = [np.empty((k, probs[j].shape[1])) for j in range(J)]
    pos = 0
    for r in range(k):
        for j in range(J):
            K = probs[j].shape[1]
            se_probs[j][r] = se_vec[pos:pos + K]
            pos += K
    if k > 1:
        V_b = V[n_lo:, n_lo:]
        ptp = np.diag(shares) - np.outer(shares, shares)
        Jm = ptp[:, 1:]
        se_shares = np.sqrt(np.maximum(np.diag(Jm @ V_b @ Jm.T), 0.0))
    else:
        se_shares = np.zeros(1)
    return se_probs, se_shares
