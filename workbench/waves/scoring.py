"""Scoring from the model file's plain numbers: factor scores and Gaussian likelihoods.

Kept apart from :mod:`workbench.waves.model` so each stays readable; everything here is
numpy on numbers read from the model file, reproducing what ``workbench.factors`` and
``workbench.segments`` (StepMix, scikit-learn) compute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError
from ..files.jsonplain import plain
from ..segments.methods.lpa import gaussian_log_prob  # the latent profile method's own scoring

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
