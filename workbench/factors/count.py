"""How many factors?  Parallel analysis, Kaiser, scree and Velicer's MAP side by side.

Parallel analysis (Horn, 1965) compares the observed eigenvalues with those of random data
of the same size: factors are kept while the observed eigenvalue exceeds the chosen
percentile (default 95th) of the random ones.  Two kinds of eigenvalues are reported, as in
``psych::fa.parallel``: of the correlation matrix (principal components) and of the reduced
matrix with squared multiple correlations on the diagonal (common factors, which is what a
factor analysis extracts).  The random data are either simulated normal data of the same
size (``kind='simulate'``, for Pearson correlations) or the observed answers with each
item's column shuffled independently (``kind='resample'``: keeps every item's distribution
and missing answers; the default for polychoric correlations, which need category codes),
and they get the same correlation type and missing-value handling as the real data.

Kaiser's rule keeps components with eigenvalue > 1 (it over-extracts with many items; shown
for reference).  The scree is read automatically with the optimal-coordinates and
acceleration-factor rules (Raiche et al., 2013).  Velicer's (1976) minimum average partial
(MAP) keeps the number of components after which the average squared partial correlation is
smallest.  The recommendation is the parallel-analysis count for common factors, bounded by
what the items can identify.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import WorkbenchWarning
from ._common import (
    as_frame,
    check_choice,
    format_table,
    max_factors,
    now,
    package_version,
    progress,
    render_html,
    rng,
)
from .correlation import CorrelationInfo, correlation_matrix, smooth_correlation

__all__ = ["parallel_analysis", "FactorCount", "map_test", "smc"]


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


def _eigen_pair(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pc = np.sort(np.linalg.eigvalsh(corr))[::-1]
    reduced = corr.copy()
    np.fill_diagonal(reduced, smc(corr))
    fa = np.sort(np.linalg.eigvalsh(reduced))[::-1]
    return pc, fa


def map_test(corr) -> pd.Series:
    """Velicer's MAP: average squared partial correlation after removing 0, 1, ... components."""
    r = np.asarray(corr, dtype=float)
    p = r.shape[0]
    vals, vecs = np.linalg.eigh(r)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    out = []
    for m in range(p - 1):
        if m == 0:
            partial = r
        else:
            a = vecs[:, :m] * np.sqrt(np.maximum(vals[:m], 0))
            c = r - a @ a.T
            d = np.sqrt(np.clip(np.diag(c), 1e-12, None))
            partial = c / np.outer(d, d)
        out.append(((partial ** 2).sum() - p) / (p * (p - 1)))
    return pd.Series(out, index=pd.RangeIndex(0, p - 1, name="components removed"), name="MAP")


def _leading_above(obs: np.ndarray, ref: np.ndarray) -> int:
    above = obs > ref
    return int(np.argmin(above)) if not above.all() else len(obs)


def _optimal_coordinates(ev: np.ndarray) -> int:
    p = len(ev)
    n = 0
    for i in range(p - 2):  # 0-based position i, predicted from i+1 and the last
        slope = (ev[-1] - ev[i + 1]) / (p - 1 - (i + 1))
        pred = ev[i + 1] - slope
        if ev[i] >= pred and ev[i] >= 1:
            n = i + 1
        else:
            break
    return n


def _acceleration_factor(ev: np.ndarray) -> int:
    if len(ev) < 3:
        return 1
    af = ev[2:] - 2 * ev[1:-1] + ev[:-2]  # at positions 1..p-2 (0-based)
    return int(np.argmax(af))  # elbow at 0-based position argmax+1: keep the ones before it


@dataclass(frozen=True)
class FactorCount:
    """How many factors the data support, by several criteria.

    Attributes
    ----------
    table : DataFrame
        One row per criterion: ``factors`` suggested and a ``note``.
    eigenvalues : DataFrame
        Per position 1..p: observed and random (percentile) eigenvalues, for components
        (``observed PC``, ``random PC``) and common factors (``observed FA``, ``random FA``).
    map : Series
        Velicer's MAP values.
    recommended : int
    percentile, n_iter, kind : provenance of the parallel analysis
    random_state : str
        The seed as given (repr).
    """

    table: pd.DataFrame = field(repr=False)
    eigenvalues: pd.DataFrame = field(repr=False)
    map: pd.Series = field(repr=False)
    recommended: int
    percentile: float
    n_iter: int
    kind: str
    n_obs: int
    correlation: str = "pearson"
    missing: str = "pairwise"
    random_state: str = "None"
    created: str = field(default_factory=now, repr=False)
    version: str = field(default_factory=package_version, repr=False)

    def summary(self) -> pd.DataFrame:
        """The criteria side by side (one row each) with the recommendation marked."""
        out = self.table.copy()
        out["recommended"] = out.index == "parallel analysis (factors)"
        return out

    def plot(self, ax=None, *, title: str | None = None):
        """Scree plot with the parallel-analysis reference lines.

        Returns
        -------
        matplotlib.figure.Figure
        """
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(7, 4.2), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        ev = self.eigenvalues
        x = ev.index.to_numpy()
        ax.plot(x, ev["observed FA"], "o-", color="#1F4E79", label="factors: observed")
        ax.plot(x, ev["random FA"], "--", color="#1F4E79", alpha=0.7,
                label=f"factors: random data ({self.percentile:g}th pct)")
        ax.plot(x, ev["observed PC"], "s-", color="#C0504D", ms=4, alpha=0.8, label="components: observed")
        ax.plot(x, ev["random PC"], ":", color="#C0504D", alpha=0.8, label="components: random data")
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.axvline(self.recommended, color="#2E7D32", lw=1, alpha=0.6)
        ax.annotate(f"recommended: {self.recommended}", (self.recommended, ax.get_ylim()[1]),
                    xytext=(4, -14), textcoords="offset points", color="#2E7D32", fontsize=9)
        ax.set_xticks(x)
        ax.set_xlabel("factor / component")
        ax.set_ylabel("eigenvalue")
        ax.set_title(title or "Scree plot and parallel analysis")
        ax.legend(fontsize=8, frameon=False)
        return fig

    def __str__(self) -> str:
        return f"Number of factors: {self.recommended} recommended (parallel analysis)\n" + format_table(self.table)

    def _repr_html_(self) -> str:
        return render_html("How many factors", [f"recommended: {self.recommended} (parallel analysis, "
                                                f"{self.percentile:g}th percentile of {self.n_iter} random data sets)"],
                           self.table)


def parallel_analysis(data, *, percentile: float = 95, n_iter: int = 20, kind: str | None = None,
                      correlation: str = "pearson", missing: str = "pairwise", random_state=None,
                      progress_bar: bool = True, _info: CorrelationInfo | None = None) -> FactorCount:
    """Parallel analysis, Kaiser, scree and MAP for the number of factors.

    Parameters
    ----------
    data : DataFrame
        Respondents x items, missing answers NaN.
    percentile : float, default=95
        Percentile of the random eigenvalues an observed one must exceed.
    n_iter : int, default=20
        Random data sets (``psych::fa.parallel`` uses 20).
    kind : {'simulate', 'resample'}, optional
        Random normal data, or the observed answers shuffled within each item.  Default:
        'simulate' for Pearson, 'resample' for polychoric correlations.
    correlation : {'pearson', 'polychoric'}, default='pearson'
    missing : {'pairwise', 'listwise'}, default='pairwise'
    random_state : int or numpy.random.Generator, optional
        Same seed, same result.
    progress_bar : bool, default=True
        Show a progress bar on a terminal.

    Returns
    -------
    FactorCount
    """
    frame = as_frame(data)
    kind = kind or ("resample" if correlation == "polychoric" else "simulate")
    check_choice("kind", kind, ("simulate", "resample"))
    if not 0 < percentile < 100:
        raise ValueError(f"percentile must be between 0 and 100, got {percentile}")
    if n_iter < 1:
        raise ValueError(f"n_iter must be at least 1, got {n_iter}")
    info = _info or correlation_matrix(frame, correlation=correlation, missing=missing)
    work = frame.dropna() if missing == "listwise" else frame
    r = info.matrix.to_numpy()
    p = r.shape[0]
    obs_pc, obs_fa = _eigen_pair(r)
    gen = rng(random_state)
    rand_pc = np.empty((n_iter, p))
    rand_fa = np.empty((n_iter, p))
    arr = work.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)  # smoothing random matrices is expected
        for it in progress(range(n_iter), total=n_iter, desc="parallel analysis", enabled=progress_bar):
            if kind == "simulate":
                sim = gen.standard_normal(arr.shape)
                sim[np.isnan(arr)] = np.nan
            else:
                sim = np.column_stack([gen.permutation(arr[:, j]) for j in range(p)])
            sim_frame = pd.DataFrame(sim, columns=frame.columns)
            if correlation == "pearson" and missing == "pairwise" and not np.isnan(sim).any():
                rr = np.corrcoef(sim, rowvar=False)
            else:
                rr = correlation_matrix(sim_frame, correlation=correlation, missing=missing,
                                        check=False).matrix.to_numpy()
            rand_pc[it], rand_fa[it] = _eigen_pair(rr)
    ref_pc = np.percentile(rand_pc, percentile, axis=0)
    ref_fa = np.percentile(rand_fa, percentile, axis=0)
    n_fa = _leading_above(obs_fa, ref_fa)
    n_pc = _leading_above(obs_pc, ref_pc)
    kaiser = int((obs_pc > 1).sum())
    maps = map_test(r)
    n_map = int(maps.idxmin())
    top = max_factors(p)
    recommended = int(min(max(n_fa, 1), max(top, 1)))
    rows = [
        ("parallel analysis (factors)", n_fa,
         f"eigenvalues of the reduced correlation matrix above the {percentile:g}th percentile of "
         f"{n_iter} {'simulated' if kind == 'simulate' else 'shuffled'} data sets"),
        ("parallel analysis (components)", n_pc, "the same for principal components"),
        ("Kaiser (eigenvalue > 1)", kaiser, "tends to over-extract when there are many items"),
        ("scree: optimal coordinates", _optimal_coordinates(obs_pc),
         "eigenvalues above the line projected from the later ones (Raiche et al., 2013)"),
        ("scree: acceleration factor", _acceleration_factor(obs_pc),
         "the elbow where the slope changes most; often 1 when one factor dominates"),
        ("Velicer MAP", n_map, "minimum average squared partial correlation"),
    ]
    table = pd.DataFrame(rows, columns=["criterion", "factors", "note"]).set_index("criterion")
    if recommended != n_fa:
        table.loc["parallel analysis (factors)", "note"] += f"; bounded to {recommended} (identifiable, at least 1)"
    eig = pd.DataFrame({"observed PC": obs_pc, "random PC": ref_pc, "observed FA": obs_fa, "random FA": ref_fa},
                       index=pd.RangeIndex(1, p + 1, name="position"))
    return FactorCount(
        table=table, eigenvalues=eig, map=maps, recommended=recommended, percentile=float(percentile),
        n_iter=int(n_iter), kind=kind, n_obs=info.n_obs, correlation=info.kind, missing=info.missing,
        random_state=repr(random_state) if not isinstance(random_state, np.random.Generator) else "Generator",
    )
