"""Extracting unrotated factors from a correlation matrix (shared by efa, count, reliability).

One module so that :mod:`efa` (which needs reliability and the factor count) and
:mod:`reliability` (omega needs a one-factor minres solution) do not import each other.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

from .correlation import smooth_correlation

__all__ = ["extract", "minres", "principal_axes", "smc", "sklearn_compat"]


def minres(corr: np.ndarray, k: int, notes: dict | None = None) -> np.ndarray:
    """Minimum residual factors exactly as ``psych::fa(fm="minres")`` finds them.

    psych minimises the sum of squared off-diagonal residuals over the uniquenesses
    ``Psi`` with L-BFGS-B (start ``1 - SMC``, bounds ``[.005, 1]``, ``parscale = .01``,
    R's ``optim`` defaults: ``factr = 1e7``, ``lmm = 5``, ``maxit = 100``) and the analytic
    gradient ``diag(L L' + Psi - R)``; the loadings are the leading eigenvectors of
    ``R - Psi`` scaled by the square roots of their eigenvalues.  The same optimiser
    settings here (scipy wraps the same L-BFGS-B code) give psych's numbers, also on random
    data where the optimum is flat (parallel analysis).
    """
    from scipy import optimize

    r = np.asarray(corr, dtype=float)
    p = r.shape[0]
    tiny = 100 * np.finfo(float).eps
    low = np.tril_indices(p, -1)

    def loadings_of(psi):
        s = r.copy()
        np.fill_diagonal(s, 1 - psi)
        vals, vecs = np.linalg.eigh(s)
        vals, vecs = vals[::-1][:k], vecs[:, ::-1][:, :k]
        return vecs * np.sqrt(np.where(vals < np.finfo(float).eps, tiny, vals))

    def fn(x):
        lam = loadings_of(x * 0.01)
        res = (r - lam @ lam.T)[low]
        return float(res @ res)

    def gr(x):
        psi = x * 0.01
        s = r - np.diag(psi)
        vals, vecs = np.linalg.eigh(s)
        vals, vecs = vals[::-1][:k], vecs[:, ::-1][:, :k]
        lam = vecs * np.sqrt(np.maximum(vals, 0))
        return np.diag(lam @ lam.T + np.diag(psi) - r) * 0.01

    start = np.diag(r) - smc(r)
    upper = max(float(smc(r).max()), 1.0)
    res = optimize.minimize(fn, start / 0.01, jac=gr, method="L-BFGS-B",
                            bounds=[(0.005 / 0.01, upper / 0.01)] * p,
                            options={"ftol": 1e7 * np.finfo(float).eps, "gtol": 0.0, "maxcor": 5, "maxiter": 100})
    psi = res.x * 0.01
    s = r.copy()
    np.fill_diagonal(s, np.diag(r) - psi)  # psych's FAout.wls
    vals, vecs = np.linalg.eigh(s)
    vals, vecs = vals[::-1][:k], vecs[:, ::-1][:, :k]
    if notes is not None and not res.success and res.nit >= 100:
        notes["converged"] = False
        notes["message"] = f"minres stopped after {res.nit} iterations: {res.message}"
    return vecs * np.sqrt(np.maximum(vals, 0))


def smc(corr: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)`` (smoothed first if R is not PD)."""
    r = np.asarray(corr, dtype=float)
    try:
        inv = np.linalg.inv(r)
        if np.linalg.eigvalsh(r)[0] <= 0:
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(smooth_correlation(r))
    return np.clip(1 - 1 / np.diag(inv), 0, 1)



@contextlib.contextmanager
def sklearn_compat():
    """factor-analyzer 0.5.1 calls ``check_array(force_all_finite=...)``, which scikit-learn
    1.8 removed (renamed ``ensure_all_finite``; fixed upstream, unreleased).  With such a
    scikit-learn, map the keyword for the duration of the call; otherwise do nothing."""
    import inspect

    import factor_analyzer.factor_analyzer as fam
    from sklearn.utils import check_array

    if "force_all_finite" in inspect.signature(check_array).parameters:
        yield
        return

    def shim(*args, force_all_finite=True, **kwargs):
        return check_array(*args, ensure_all_finite=force_all_finite, **kwargs)

    original = fam.check_array
    fam.check_array = shim
    try:
        yield
    finally:
        fam.check_array = original


def extract(corr: np.ndarray, k: int, method: str) -> tuple[np.ndarray, dict]:
    """Unrotated loadings (p x k) of a correlation matrix and convergence notes.

    Parameters
    ----------
    corr : ndarray
        Correlation matrix (p x p).
    k : int
        Number of factors.
    method : {'minres', 'ml', 'pa', 'principal'}
        Minimum residual or maximum likelihood (factor-analyzer, SMC start), iterated
        principal axes (``psych::fa(fm="pa")``), or principal components.

    Returns
    -------
    loadings : ndarray
    notes : dict
        ``converged`` (bool) and, when it did not, ``message``.
    """
    notes: dict = {}
    if method == "minres":
        loadings = minres(corr, k, notes)
    elif method == "ml":
        from factor_analyzer import FactorAnalyzer

        fa = FactorAnalyzer(n_factors=k, rotation=None, method=method, is_corr_matrix=True,
                            use_smc=True, bounds=(0.005, 1))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with sklearn_compat():
                fa.fit(corr.copy())
        for w in caught:
            msg = str(w.message)
            if "converge" in msg.lower():
                notes["converged"] = False
                notes["message"] = msg
        loadings = np.asarray(fa.loadings_, dtype=float).reshape(corr.shape[0], k)
    elif method == "pa":
        loadings = principal_axes(corr, k, notes)
    elif method == "principal":
        vals, vecs = np.linalg.eigh(corr)
        order = np.argsort(vals)[::-1][:k]
        loadings = vecs[:, order] * np.sqrt(np.maximum(vals[order], 0))
    else:  # pragma: no cover - checked by the caller
        raise ValueError(method)
    notes.setdefault("converged", True)
    return loadings, notes


def principal_axes(corr: np.ndarray, k: int, notes: dict, min_err: float = 0.001, max_iter: int = 50) -> np.ndarray:
    """Iterated principal axes exactly as ``psych::fa(fm="pa")``: SMC start, stop when the
    summed communality changes by less than ``min_err``."""
    r = corr.copy()
    h2 = smc(corr)
    comm = h2.sum()
    np.fill_diagonal(r, h2)
    for i in range(max_iter):
        vals, vecs = np.linalg.eigh(r)
        order = np.argsort(vals)[::-1][:k]
        loadings = vecs[:, order] * np.sqrt(np.maximum(vals[order], 0))
        new = (loadings ** 2).sum(axis=1)
        comm1 = new.sum()
        np.fill_diagonal(r, new)
        err = abs(comm - comm1)
        comm = comm1
        if err < min_err:
            notes["iterations"] = i + 1
            return loadings
    notes["converged"] = False
    notes["message"] = f"principal axes did not converge in {max_iter} iterations"
    return loadings
