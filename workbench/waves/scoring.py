"""Scoring from the model file's plain numbers: factor scores and Gaussian likelihoods.

Kept apart from :mod:`workbench.waves.model` so each stays readable; everything here is
numpy on numbers read from the model file, reproducing what ``workbench.factors`` and
``workbench.segments`` (StepMix, scikit-learn) compute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from ..jsonplain import plain

__all__ = ["FactorScoring", "standardisation_table", "gaussian_log_prob", "float_array", "code_number"]


# --------------------------------------------------------------------------- helpers


def float_array(value) -> np.ndarray:
    """A list read from the model file as floats."""
    return np.array(value, dtype=float)  # None (a NaN written out) reads back as NaN


def standardisation_table(data: pd.DataFrame, sample_weight=None) -> pd.DataFrame:
    """Mean and standard deviation of each column as :func:`workbench.segments.standardise`
    computes them (weighted, divisor n, answered values only).

    Returns
    -------
    DataFrame
        Index = column, columns ``mean`` and ``sd``.
    """
    w = np.ones(len(data)) if sample_weight is None else np.asarray(
        pd.Series(sample_weight).reindex(data.index).to_numpy() if isinstance(sample_weight, pd.Series)
        else sample_weight, dtype=float)
    rows = {}
    for c in data.columns:
        x = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float)
        ok = ~np.isnan(x)
        if ok.sum() < 2:
            raise AnalysisError(f"column '{c}' has fewer than two answers; it cannot be standardised", column=str(c))
        m = np.average(x[ok], weights=w[ok])
        sd = np.sqrt(np.average((x[ok] - m) ** 2, weights=w[ok]))
        rows[str(c)] = (float(m), float(sd))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "sd"])


# --------------------------------------------------------------------------- factor scoring


@dataclass(frozen=True)
class FactorScoring:
    """One factor solution's scoring numbers (regression scores, as ``EFAResult.scores``).

    Attributes
    ----------
    battery : str
        The solution's name (the pipeline's battery); score columns are ``"<battery>: <factor>"``.
    items, names : tuple of str
    means, sds : ndarray
        Item means and standard deviations the answers are standardised with.
    correlation, structure, loadings : ndarray
    uniquenesses : ndarray
    scales : dict of str to list of str
        Factor to its items (``EFAResult.scales()``): the structure a new wave's CFA tests.
    """

    battery: str
    items: tuple
    names: tuple
    means: np.ndarray = field(repr=False)
    sds: np.ndarray = field(repr=False)
    correlation: np.ndarray = field(repr=False)
    structure: np.ndarray = field(repr=False)
    loadings: np.ndarray = field(repr=False)
    uniquenesses: np.ndarray = field(repr=False)
    scales: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_efa(cls, battery: str, res) -> "FactorScoring":
        """The scoring numbers of an :class:`~workbench.factors.EFAResult`."""
        if res.means is None or res.sds is None:
            raise AnalysisError(f"factor solution '{battery}' was fitted on a correlation matrix and cannot score "
                                "respondents; fit it on the answers")
        items = list(res.items)
        return cls(
            battery=str(battery), items=tuple(items), names=tuple(map(str, res.names)),
            means=res.means.loc[items].to_numpy(dtype=float), sds=res.sds.loc[items].to_numpy(dtype=float),
            correlation=res.correlation.loc[items, items].to_numpy(dtype=float),
            structure=res.structure.loc[items].to_numpy(dtype=float),
            loadings=res.loadings.loc[items].to_numpy(dtype=float),
            uniquenesses=res.uniquenesses.loc[items].to_numpy(dtype=float),
            scales={str(f): list(map(str, v)) for f, v in res.scales().items()},
        )

    @property
    def columns(self) -> list[str]:
        return [f"{self.battery}: {n}" for n in self.names]

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Regression factor scores of answers ``x`` (respondents × ``items``), from the
        items each respondent answered; NaN for a respondent who answered none."""
        z = (x - self.means) / self.sds
        obs = ~np.isnan(z)
        out = np.full((len(x), len(self.names)), np.nan)
        if len(x) == 0:
            return out
        patterns, inverse = np.unique(obs, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        for pi, pattern in enumerate(patterns):
            rows = np.flatnonzero(inverse == pi)
            o = np.flatnonzero(pattern)
            if len(o) == 0:
                continue
            w = np.linalg.solve(self.correlation[np.ix_(o, o)], self.structure[o])
            out[rows] = z[np.ix_(rows, o)] @ w
        return out

    def to_dict(self) -> dict:
        return plain({
            "battery": self.battery, "items": list(self.items), "names": list(self.names), "means": self.means,
            "sds": self.sds, "correlation": self.correlation, "structure": self.structure,
            "loadings": self.loadings, "uniquenesses": self.uniquenesses, "scales": self.scales,
        })

    @classmethod
    def from_dict(cls, d: dict) -> "FactorScoring":
        return cls(battery=d["battery"], items=tuple(d["items"]), names=tuple(d["names"]), means=float_array(d["means"]),
                   sds=float_array(d["sds"]), correlation=float_array(d["correlation"]), structure=float_array(d["structure"]),
                   loadings=float_array(d["loadings"]), uniquenesses=float_array(d["uniquenesses"]),
                   scales={k: list(v) for k, v in (d.get("scales") or {}).items()})


def code_number(v):
    """A code as int when whole, else float."""
    f = float(v)
    return int(f) if f.is_integer() else f


def gaussian_log_prob(X: np.ndarray, p: dict) -> np.ndarray:
    """log f(x | profile) as StepMix / scikit-learn compute it; a partly missing row uses
    its observed variables only (the marginal of the profile's Gaussian)."""
    cov_type, measurement = p["covariance"], str(p["measurement"])
    means = np.asarray(p["means"], dtype=float)
    n, dim = X.shape
    k = means.shape[0]
    out = np.empty((n, k))
    obs = ~np.isnan(X)
    complete = obs.all(axis=1)
    if measurement.endswith("_nan"):  # StepMix's GaussianNan likelihood (diagonal)
        cov = np.asarray(p["covariances"], dtype=float)
        for c in range(k):
            diff = np.nan_to_num(X - means[c].reshape(1, -1))
            ll_diff = ((diff**2) * (1 / cov[c]).reshape(1, -1)).sum(axis=1)
            pi_cov = np.where(obs, 2 * np.pi * np.tile(cov[c], (n, 1)), 1)
            out[:, c] = -0.5 * (np.log(pi_cov).sum(axis=1) + ll_diff)
        return out
    if complete.any():  # scikit-learn's _estimate_log_gaussian_prob
        Xc = X[complete]
        pc = np.asarray(p["precisions_cholesky"], dtype=float)
        if cov_type == "full":
            log_det = np.sum(np.log(pc.reshape(k, -1)[:, :: dim + 1]), axis=1)
            lp = np.empty((len(Xc), k))
            for c in range(k):
                y = np.dot(Xc, pc[c]) - np.dot(means[c], pc[c])
                lp[:, c] = np.sum(np.square(y), axis=1)
        elif cov_type == "tied":
            log_det = np.sum(np.log(np.diag(pc)))
            lp = np.empty((len(Xc), k))
            for c in range(k):
                y = np.dot(Xc, pc) - np.dot(means[c], pc)
                lp[:, c] = np.sum(np.square(y), axis=1)
        elif cov_type == "diag":
            log_det = np.sum(np.log(pc), axis=1)
            prec = pc**2
            lp = np.sum((means**2 * prec), 1) - 2.0 * np.dot(Xc, (means * prec).T) + np.dot(Xc**2, prec.T)
        else:
            log_det = dim * np.log(pc)
            prec = pc**2
            lp = (np.sum(means**2, 1) * prec - 2 * np.dot(Xc, means.T * prec)
                  + np.outer(np.einsum("ij,ij->i", Xc, Xc), prec))
        out[complete] = -0.5 * (dim * np.log(2 * np.pi) + lp) + log_det
    partial = np.flatnonzero(~complete)
    if len(partial):
        if cov_type in ("diag", "spherical"):
            var = np.asarray(p["variances"], dtype=float)  # (k, d)
            Xp, op = X[partial], obs[partial]
            diff = np.nan_to_num(Xp[:, None, :] - means[None, :, :])
            terms = np.where(op[:, None, :], np.log(2 * np.pi * var)[None, :, :] + diff**2 / var[None, :, :], 0.0)
            out[partial] = -0.5 * terms.sum(axis=2)
        else:  # tied / full: the marginal Gaussian of the observed variables
            cov = np.asarray(p["covariances"], dtype=float)
            covs = [cov] * k if cov_type == "tied" else list(cov)
            for i in partial:
                o = np.flatnonzero(obs[i])
                for c in range(k):
                    s = covs[c][np.ix_(o, o)]
                    diff = X[i, o] - means[c, o]
                    _, logdet = np.linalg.slogdet(s)
                    out[i, c] = -0.5 * (len(o) * np.log(2 * np.pi) + logdet + diff @ np.linalg.solve(s, diff))
    return out
