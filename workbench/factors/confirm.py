"""Confirmatory factor analysis: does an earlier wave's factor structure hold in a new wave?

The model is the simple structure a consultant reads off an exploratory solution: each
factor measured by its items (:meth:`EFAResult.scales`), factors allowed to correlate,
every item with its own unique variance.  It is fitted by maximum likelihood to the
covariance matrix of the new wave's complete answers (listwise, lavaan's default), with
factor variances fixed to 1 (``std.lv = TRUE``; the fit is the same as with lavaan's
default marker items).

Fit statistics follow lavaan's definitions (``likelihood = "normal"``, sample covariance
with divisor N):

* chi-square ``= N * F_ML``, ``F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p``, on
  ``p(p+1)/2 - q`` df;
* the baseline (independence) model fits only the variances;
* ``CFI = 1 - max(chi2 - df, 0) / max(chi2 - df, chi2_b - df_b, 0)`` (Bentler, 1990);
* ``TLI = (chi2_b/df_b - chi2/df) / (chi2_b/df_b - 1)`` (Tucker & Lewis, 1973);
* ``RMSEA = sqrt(max(chi2 - df, 0) / (df * N))`` with a 90% interval from the noncentral
  chi-square (Steiger, 1990);
* ``SRMR`` = root mean square of ``(s_ij - sigma_ij) / sqrt(s_ii s_jj)`` over the lower
  triangle with the diagonal (Bentler, 1995; lavaan's ``srmr``).

The verdict uses Hu & Bentler's (1999) cut-offs: good when CFI >= .95, RMSEA <= .06 and
SRMR <= .08; acceptable when CFI >= .90, RMSEA <= .08 and SRMR <= .10; poor otherwise.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..core.errors import AnalysisError, DataError, WorkbenchWarning
from ..core.summary import Summarised, Summary, SummaryTable
from ._common import as_frame, check_items, now, package_version

__all__ = ["cfa", "CFAResult", "fit_statistics"]


@dataclass(frozen=True)
class CFAResult(Summarised):
    """A fitted confirmatory factor model and its fit.

    Attributes
    ----------
    fit : Series
        ``chi-square``, ``df``, ``p``, ``CFI``, ``TLI``, ``RMSEA`` (with ``RMSEA lower`` /
        ``RMSEA upper``, 90%), ``SRMR``, ``baseline chi-square``, ``baseline df``,
        ``loglik``, ``loglik unrestricted``, ``n``.
    loadings : DataFrame
        One row per (factor, item): ``estimate`` (unstandardised, factor variance 1),
        ``marker scaled`` (as lavaan reports with the first item fixed to 1) and
        ``standardized``.
    factor_correlations : DataFrame
    residual_variances : Series
    verdict : str
        'good', 'acceptable' or 'poor' (Hu & Bentler, 1999).
    model : dict
        Factor name to items.
    """

    fit: pd.Series = field(repr=False)
    loadings: pd.DataFrame = field(repr=False)
    factor_correlations: pd.DataFrame = field(repr=False)
    residual_variances: pd.Series = field(repr=False)
    factor_variances_marker: pd.Series = field(repr=False)
    verdict: str
    model: dict = field(repr=False)
    n_obs: int = 0
    converged: bool = True
    created: str = field(default_factory=now, repr=False)
    version: str = field(default_factory=package_version, repr=False)

    @property
    def holds(self) -> bool:
        """True when the structure fits at least acceptably."""
        return self.verdict in ("good", "acceptable")

    def summarise(self) -> Summary:
        """The fit line with its verdict, the fit statistics against their cut-offs, and the loadings."""
        f = self.fit
        line = (f"CFA: chi2({int(f['df'])}) = {f['chi-square']:.3f}, CFI = {f['CFI']:.3f}, TLI = {f['TLI']:.3f}, "
                f"RMSEA = {f['RMSEA']:.3f}, SRMR = {f['SRMR']:.3f} (n = {int(f['n'])}): the structure fit is "
                f"{self.verdict}")
        return Summary("Confirmatory factor analysis", [line], [SummaryTable(self.summary()),
                                                                SummaryTable(self.loadings, title="loadings")])

    def summary(self) -> pd.DataFrame:
        """The fit statistics with the cut-off each is read against."""
        f = self.fit
        rows = [
            ("chi-square", f["chi-square"], f"df = {int(f['df'])}, p = {f['p']:.3g}"),
            ("CFI", f["CFI"], ">= .95 good, >= .90 acceptable"),
            ("TLI", f["TLI"], ">= .95 good, >= .90 acceptable"),
            ("RMSEA", f["RMSEA"], f"90% CI {f['RMSEA lower']:.3f}-{f['RMSEA upper']:.3f}; <= .06 good, <= .08 acceptable"),
            ("SRMR", f["SRMR"], "<= .08 good, <= .10 acceptable"),
            ("respondents", f["n"], "complete answers (listwise)"),
        ]
        return pd.DataFrame(rows, columns=["statistic", "value", "reading"]).set_index("statistic")

def _sigma(lam, phi, theta):
    return lam @ phi @ lam.T + np.diag(theta)


def fit_statistics(s: np.ndarray, sigma: np.ndarray, n_obs: int, n_free: int) -> dict:
    """lavaan's ML fit statistics for a model-implied ``sigma`` against ``s`` (divisor N)."""
    p = s.shape[0]
    _, logdet_s = np.linalg.slogdet(s)
    _, logdet_sig = np.linalg.slogdet(sigma)
    f_ml = logdet_sig + np.trace(np.linalg.solve(sigma, s)) - logdet_s - p
    chisq = max(n_obs * f_ml, 0.0)
    df = p * (p + 1) // 2 - n_free
    chisq_b = n_obs * (np.log(np.diag(s)).sum() - logdet_s)
    df_b = p * (p - 1) // 2
    denom = max(chisq - df, chisq_b - df_b, 0.0)
    cfi = 1.0 if denom == 0 else 1 - max(chisq - df, 0.0) / denom
    tli = ((chisq_b / df_b) - (chisq / df)) / ((chisq_b / df_b) - 1) if df > 0 else float("nan")
    rmsea = math.sqrt(max(chisq - df, 0.0) / (df * n_obs)) if df > 0 else float("nan")
    lo, hi = _rmsea_ci(chisq, df, n_obs)
    d = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(d, d)
    il = np.tril_indices(p)
    srmr = math.sqrt(float((resid[il] ** 2).mean()))
    const = p * math.log(2 * math.pi)
    loglik = -n_obs / 2 * (const + logdet_sig + np.trace(np.linalg.solve(sigma, s)))
    loglik1 = -n_obs / 2 * (const + logdet_s + p)
    return {
        "chi-square": chisq, "df": df, "p": float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        "CFI": cfi, "TLI": tli, "RMSEA": rmsea, "RMSEA lower": lo, "RMSEA upper": hi, "SRMR": srmr,
        "baseline chi-square": chisq_b, "baseline df": df_b, "loglik": loglik, "loglik unrestricted": loglik1,
        "n": n_obs,
    }


def _rmsea_ci(chisq: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    if df <= 0:
        return float("nan"), float("nan")
    upper_p, lower_p = (1 + level) / 2, (1 - level) / 2

    def lam_for(prob):
        f = lambda lam: stats.ncx2.cdf(chisq, df, lam) - prob if lam > 0 else stats.chi2.cdf(chisq, df) - prob
        if f(0) < 0:
            return 0.0
        hi = max(chisq, 1.0)
        while f(hi) > 0:
            hi *= 2
        return optimize.brentq(f, 0, hi, xtol=1e-10)

    lo = lam_for(upper_p)
    hi = lam_for(lower_p)
    return math.sqrt(lo / (n * df)), math.sqrt(hi / (n * df))


def _model_answers(data, model: Mapping[str, Sequence[str]]) -> tuple[dict, list, pd.DataFrame]:
    """The model as ``{factor: [items]}`` (text), its items in order and the respondents who
    answered every one of them; a model or data :func:`cfa` cannot fit is refused."""
    model = {str(f): [str(i) for i in its] for f, its in model.items()}
    if not model:
        raise AnalysisError("the confirmatory model is empty: give factor name -> items")
    for f, its in model.items():
        if len(its) < 2:
            raise AnalysisError(f"factor {f!r} has {len(its)} item(s); a factor needs at least two "
                                "(three for it to be identified on its own)")
    items = list(dict.fromkeys(i for its in model.values() for i in its))
    missing_cols = [i for i in items if i not in data.columns]
    if missing_cols:
        raise DataError(f"the new wave lacks item(s) {', '.join(map(repr, missing_cols))} of the confirmatory model",
                        column=missing_cols[0])
    frame = as_frame(data[items]).dropna()
    check_items(frame)
    return model, items, frame


def _loadings_table(model: dict, items: list, lam: np.ndarray, std: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """The loadings (estimate, scaled to each factor's first item, standardized) indexed by
    factor and item, and each factor's variance under marker scaling."""
    rows = []
    marker_var = {}
    for j, f in enumerate(model):
        first = items.index(model[f][0])
        for it in model[f]:
            i = items.index(it)
            rows.append({"factor": f, "item": it, "estimate": lam[i, j], "marker scaled": lam[i, j] / lam[first, j],
                         "standardized": std[i, j]})
        marker_var[f] = lam[first, j] ** 2
    return pd.DataFrame(rows).set_index(["factor", "item"]), marker_var


def cfa(data, model: Mapping[str, Sequence[str]], *, max_iter: int = 5000) -> CFAResult:
    """Fit a confirmatory factor model (factors measured by their items) and test its fit.

    Parameters
    ----------
    data : DataFrame
        The new wave's answers (respondents x items; other columns are ignored).
        Respondents with a missing answer on a model item are left out (listwise).
    model : mapping of str to list of str
        Factor name to its items, e.g. ``EFAResult.scales()`` of the earlier wave, or
        ``{"visual": ["x1", "x2", "x3"], ...}``.  Each factor needs at least two items and
        the model at least three in total.
    max_iter : int, default=5000

    Returns
    -------
    CFAResult

    Raises
    ------
    DataError
        An item of the model is not in the data.
    AnalysisError
        Too few items or respondents, or a model with no degrees of freedom.
    """
    model, items, frame = _model_answers(data, model)
    n, p = frame.shape
    if n <= p:
        raise AnalysisError(f"{n} respondent(s) with every model item answered for {p} items; need more respondents")
    x = frame.to_numpy()
    s = np.cov(x, rowvar=False, bias=True)
    factors = list(model)
    k = len(factors)
    pattern = np.zeros((p, k), dtype=bool)
    for j, f in enumerate(factors):
        for it in model[f]:
            pattern[items.index(it), j] = True
    li = np.argwhere(pattern)
    pairs = [(a, b) for a in range(k) for b in range(a)]
    n_free = len(li) + len(pairs) + p
    if p * (p + 1) // 2 - n_free < 0:
        raise AnalysisError(f"the model has more parameters ({n_free}) than the {p} items' covariances "
                            f"({p * (p + 1) // 2}); it is not identified: use more items per factor")
    sd = np.sqrt(np.diag(s))
    logdet_s = np.linalg.slogdet(s)[1]

    def unpack(v):
        lam = np.zeros((p, k))
        lam[li[:, 0], li[:, 1]] = v[:len(li)]
        phi = np.eye(k)
        for m, (a, b) in enumerate(pairs):
            phi[a, b] = phi[b, a] = v[len(li) + m]
        theta = v[len(li) + len(pairs):]
        return lam, phi, theta

    def objective(v):
        lam, phi, theta = unpack(v)
        sig = _sigma(lam, phi, theta)
        try:
            c = np.linalg.cholesky(sig)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(v)
        inv = np.linalg.inv(sig)
        f = 2 * np.log(np.diag(c)).sum() + np.trace(inv @ s) - logdet_s - p
        g = inv @ (sig - s) @ inv
        dlam = 2 * g @ lam @ phi
        dphi = 2 * lam.T @ g @ lam
        grad = np.concatenate([dlam[li[:, 0], li[:, 1]], [dphi[a, b] for a, b in pairs], np.diag(g)])
        return f, grad

    start = np.concatenate([0.7 * sd[li[:, 0]], np.zeros(len(pairs)), 0.5 * np.diag(s)])
    bounds = [(None, None)] * len(li) + [(-0.999, 0.999)] * len(pairs) + [(1e-6 * v, None) for v in np.diag(s)]
    res = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-10})
    # L-BFGS-B may stop with "ABNORMAL" line-search exits at machine precision: judge
    # convergence by the gradient (the ML fit function is scale-free, so 1e-5 is tight)
    converged = bool(res.success) or float(np.abs(objective(res.x)[1]).max()) < 1e-5
    if not converged:
        warnings.warn(f"the confirmatory model did not converge ({res.message}); the fit statistics may be off",
                      WorkbenchWarning, stacklevel=2)
    lam, phi, theta = unpack(res.x)
    # sign: each factor's loadings positive on balance
    signs = np.sign(lam.sum(axis=0))
    signs[signs == 0] = 1
    lam = lam * signs
    phi = phi * np.outer(signs, signs)
    sig = _sigma(lam, phi, theta)
    fit = fit_statistics(s, sig, n, n_free)
    loadings, marker_var = _loadings_table(model, items, lam, lam / np.sqrt(np.diag(sig))[:, None])
    heywood = [items[i] for i in range(p) if theta[i] <= 1e-5 * s[i, i]]
    if heywood:
        warnings.warn(f"Heywood case in the confirmatory model: item(s) {', '.join(heywood)} have a unique "
                      "variance of zero", WorkbenchWarning, stacklevel=2)
    good = fit["CFI"] >= 0.95 and fit["RMSEA"] <= 0.06 and fit["SRMR"] <= 0.08
    ok = fit["CFI"] >= 0.90 and fit["RMSEA"] <= 0.08 and fit["SRMR"] <= 0.10
    return CFAResult(
        fit=pd.Series(fit, name="fit"), loadings=loadings,
        factor_correlations=pd.DataFrame(phi, index=factors, columns=factors),
        residual_variances=pd.Series(theta, index=items, name="residual variance"),
        factor_variances_marker=pd.Series(marker_var, name="factor variance (marker scaling)"),
        verdict="good" if good else ("acceptable" if ok else "poor"), model=model, n_obs=n, converged=converged,
    )
