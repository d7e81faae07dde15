"""Exploratory factor analysis with the numbers of R's ``psych::fa``.

Extraction is done by factor-analyzer (minres and ml, on the correlation matrix computed
here, so missing answers are handled pairwise as in ``psych`` instead of being imputed by
the median), by principal axes as ``psych::fa(fm="pa")`` iterates them, or as principal
components (``psych::principal``).  Rotations: varimax (R's ``stats::varimax``, Kaiser
normalised), promax (``psych::Promax``: varimax, then power 4), and the oblique GPA
rotations oblimin, quartimin and geomin (``GPArotation::oblimin``, ``quartimin``,
``geominQ``, delta .01; via factor-analyzer's rotator, unnormalised as GPArotation).

After rotation the factors are treated as ``psych::fa`` does, which is where
factor-analyzer 0.5.1 differs (see the issue's "known traps"):

* each factor is signed so that its loadings sum positive, and the factor correlations
  (``Phi``) are re-signed *and re-ordered* with it;
* factors are ordered by the variance they account for, ``diag(Phi L'L)``, i.e. the sum
  over items of pattern x structure loadings (for orthogonal rotations: the column sums of
  squared loadings);
* communalities are ``diag(L Phi L')`` (equal to the unrotated row sums of squares), and
  uniquenesses ``1 - h2``; "SS loadings" are ``diag(Phi L'L)``.

Factor scores
-------------
``regression`` (Thurstone): ``z W`` with ``W = R^-1 S`` (``S`` the structure matrix), the
``psych`` default; ``bartlett``: ``W = U^-2 L (L' U^-2 L)^-1``.  Answers are standardised
with the means and standard deviations of the data the model was fitted on, so later
waves are scored on the same scale.  A respondent with missing answers is scored from the
items they did answer: the weights are recomputed for their pattern of answered items
(for regression scores this is the best linear prediction of the factor from the answered
items).  Only a respondent who answered none of the items (or, for Bartlett scores, fewer
items than there are factors) gets no score (NaN).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..core.errors import AnalysisError, DataError, WorkbenchWarning
from ..core.summary import Summarised, Summary, SummaryTable
from ._common import (
    CORRELATION_CHOICES,
    MISSING,
    as_frame,
    check_choice,
    check_n_factors,
    collinear_items,
    is_correlation_matrix,
    logger,
    now,
    package_version,
    singular_error,
)
from .correlation import CorrelationInfo, correlation_matrix
from .count import FactorCount, add_rules, choose_n_factors, parallel_analysis, solution_problems
from ._common import max_factors
from .extraction import extract
from .reliability import Reliability, reliability
from .suitability import Suitability, suitability

__all__ = ["efa", "EFAResult", "METHODS", "ROTATIONS", "suggest_names", "solution_checks"]

METHODS = ("minres", "ml", "pa", "principal")
ROTATIONS = ("oblimin", "quartimin", "geomin", "promax", "varimax", "none")
OBLIQUE = ("oblimin", "quartimin", "geomin", "promax")
_PREFIX = {"minres": "MR", "ml": "ML", "pa": "PA", "principal": "RC"}


class FactorWarning(WorkbenchWarning):
    """Something in a factor solution needs the consultant's attention (Heywood case, ...)."""


# --------------------------------------------------------------------------- rotation


def _varimax(x: np.ndarray, normalize: bool = True, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """R's ``stats::varimax`` (Kaiser normalisation, same convergence rule)."""
    p, nc = x.shape
    sc = np.sqrt((x ** 2).sum(axis=1)) if normalize else np.ones(p)
    sc = np.where(sc > 0, sc, 1.0)
    xn = x / sc[:, None]
    tt = np.eye(nc)
    d = 0.0
    for _ in range(1000):
        z = xn @ tt
        b = xn.T @ (z ** 3 - z @ np.diag((z ** 2).sum(axis=0)) / p)
        u, s, vt = np.linalg.svd(b)
        tt = u @ vt
        dpast, d = d, s.sum()
        if d < dpast * (1 + eps):
            break
    return (xn @ tt) * sc[:, None], tt


def _promax(x: np.ndarray, m: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``psych::Promax``: varimax, target ``L |L|^(m-1)``, least-squares transform."""
    lv, tt = _varimax(x)
    q = lv * np.abs(lv) ** (m - 1)
    u = np.linalg.lstsq(lv, q, rcond=None)[0]
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u @ np.diag(np.sqrt(d))
    z = lv @ u
    u = tt @ u
    ui = np.linalg.inv(u)
    phi = ui @ ui.T
    return z, phi


def _rotate(loadings: np.ndarray, rotation: str) -> tuple[np.ndarray, np.ndarray | None]:
    k = loadings.shape[1]
    if rotation == "none" or k == 1:
        return loadings.copy(), None
    if rotation == "varimax":
        return _varimax(loadings)[0], None
    if rotation == "promax":
        return _promax(loadings)
    from factor_analyzer.rotator import Rotator

    name = {"geomin": "geomin_obl"}.get(rotation, rotation)
    rot = Rotator(method=name, normalize=False, max_iter=1000, tol=1e-5, delta=0.01)
    out = rot.fit_transform(loadings)
    return np.asarray(out, dtype=float), np.asarray(rot.phi_, dtype=float)


def _psych_order(loadings: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Sign factors so loadings sum positive; order them by diag(Phi L'L); Phi follows."""
    signs = np.sign(loadings.sum(axis=0))
    signs[signs == 0] = 1
    loadings = loadings * signs
    if phi is not None:
        phi = phi * np.outer(signs, signs)
        ss = np.diag(phi @ loadings.T @ loadings)
    else:
        ss = (loadings ** 2).sum(axis=0)
    order = np.argsort(-ss, kind="stable")
    loadings = loadings[:, order]
    if phi is not None:
        phi = phi[np.ix_(order, order)]
    return loadings, phi


# --------------------------------------------------------------------------- names


NAME_LENGTH = 40


def short_label(text: str, limit: int = NAME_LENGTH) -> str:
    """An item label cut to ``limit`` characters at a word boundary (with an ellipsis)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-/")
    return (cut or text[: limit - 1]) + "\u2026"


def suggest_names(loadings: pd.DataFrame, labels: Mapping[str, str] | None = None, *, n_top: int = 2,
                  limit: int = NAME_LENGTH) -> list[str]:
    """A name per factor from the short labels of its highest-loading items, e.g. "Low net prices / Volume rebates".

    Each item counts for the factor it loads most on; the factor's items with the highest
    *positive* loadings name it (factors are signed so that their loadings sum positive, so
    a factor always has one).  A name is never negated: when all of a factor's own items
    load negatively, the name comes from the items with the highest positive loadings on
    it.  Two labels are joined with " / " when they fit in ``limit`` (about 40) characters,
    else the top label alone is shortened to fit.  Names are made unique.
    """
    labels = dict(labels or {})
    primary = loadings.abs().idxmax(axis=1)
    names = []
    for f in loadings.columns:
        col = loadings.loc[primary == f, f]
        pos = col[col > 0].sort_values(ascending=False)
        if pos.empty:
            allpos = loadings[f][loadings[f] > 0].sort_values(ascending=False)
            pos = allpos if not allpos.empty else loadings[f].abs().sort_values(ascending=False)
        tops = [" ".join(str(labels.get(i, i)).split()) for i in pos.index[:n_top]]
        name = " / ".join(tops)
        if len(name) > limit:
            name = short_label(tops[0], limit)
        names.append(name)
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def _apply_names(loadings: pd.DataFrame, suggested: list[str], names) -> list[str]:
    if names is None:
        return list(suggested)
    k = loadings.shape[1]
    if isinstance(names, (list, tuple)):
        if len(names) != k:
            raise AnalysisError(f"{len(names)} factor name(s) given for {k} factors; give one name per factor "
                                "(in the order of the solution), or a mapping of marker item to name")
        out = [str(n) for n in names]
    elif isinstance(names, Mapping):
        out = list(suggested)
        primary = loadings.abs().idxmax(axis=1)
        taken: dict[str, str] = {}
        for item, name in names.items():
            item = str(item)
            if item not in loadings.index:
                raise AnalysisError(
                    f"factor name {name!r} is keyed to item {item!r}, which is not in this battery; "
                    f"use one of its items ({', '.join(loadings.index[:6])}, ...) as the marker",
                    column=item,
                )
            f = primary[item]
            j = list(loadings.columns).index(f)
            if f in taken:
                # which factor an item marks depends on the data, so a later wave must not stop on it
                warnings.warn(
                    f"items {taken[f]!r} and {item!r} both mark the same factor (they load most on the same one); "
                    f"it is named {out[j]!r} (from {taken[f]!r}), {name!r} is not used",
                    FactorWarning, stacklevel=3,
                )
                continue
            taken[f] = item
            out[j] = str(name)
    else:
        raise ValueError(f"names must be a list of names or a mapping of marker item to name, got {names!r}")
    if len(set(out)) != len(out):
        dup = [n for n in out if out.count(n) > 1][0]
        raise AnalysisError(f"factor name {dup!r} is used twice; factor names must be unique")
    return out


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class EFAResult(Summarised):
    """An exploratory factor solution, as ``psych::fa`` reports it.

    Attributes
    ----------
    loadings : DataFrame
        Pattern loadings, items x factors (columns are ``names``); factors ordered by the
        variance they account for and signed so that their loadings sum positive.
    structure : DataFrame
        Structure loadings (item-factor correlations), ``L Phi``.
    communalities, uniquenesses : Series
        ``h2 = diag(L Phi L')`` and ``u2 = 1 - h2``.
    complexity : Series
        Hofmann's item complexity ``(sum l^2)^2 / sum l^4``.
    variance : DataFrame
        Per factor: ``SS loadings``, ``Proportion Var``, ``Cumulative Var``,
        ``Proportion Explained``, ``Cumulative Proportion``.
    factor_correlations : DataFrame or None
        ``Phi`` for oblique rotations (promax, oblimin, quartimin, geomin), else None.
    names : list of str
        Factor names in column order (the consultant's where given, else suggested).
    suggested_names : list of str
        Names from each factor's top-loading item labels.
    correlation : DataFrame
        The correlation matrix analysed.
    eigenvalues : Series
        Eigenvalues of that matrix.
    fit : Series
        ``RMSR``, ``chi-square``, ``df``, ``p``, ``TLI``, ``RMSEA``, ``BIC`` as ``psych``
        (``factor.stats``, psych 2.2.9) computes them (chi-square statistics need the number
        of respondents): ``TLI = (F0/df0 - F/df) / (F0/df0 - 1/m)`` with ``F``, ``F0`` the
        objective functions of the model and the null model and ``m`` Bartlett's multiplier
        ``n - 1 - (2p + 5)/6 - 2k/3`` (not capped at 1); ``RMSEA = sqrt(max(chi2/(df n) -
        1/(n - 1), 0))``.
    suitability : Suitability
    factor_count : FactorCount or None
        When ``n_factors='auto'`` (parallel analysis etc.).
    reliability : Reliability or None
        Alpha and omega of each factor's items (raw data only).
    method, rotation, correlation_type, missing : str
    n_obs, n_factors : int
    cut : float
        Loadings below this are blanked in :meth:`summary`.
    labels : dict
        Item labels (texts) used for names and tables.
    means, sds : Series
        Item means and standard deviations used to standardise answers for scores.
    notes : tuple of str
        Warnings raised while fitting (Heywood cases, non-convergence, smoothing).
    """

    loadings: pd.DataFrame = field(repr=False)
    structure: pd.DataFrame = field(repr=False)
    communalities: pd.Series = field(repr=False)
    uniquenesses: pd.Series = field(repr=False)
    complexity: pd.Series = field(repr=False)
    variance: pd.DataFrame = field(repr=False)
    factor_correlations: pd.DataFrame | None = field(repr=False)
    names: list[str]
    suggested_names: list[str] = field(repr=False)
    correlation: pd.DataFrame = field(repr=False)
    eigenvalues: pd.Series = field(repr=False)
    fit: pd.Series = field(repr=False)
    suitability: Suitability = field(repr=False)
    factor_count: FactorCount | None = field(repr=False)
    reliability: Reliability | None = field(repr=False)
    method: str = "minres"
    rotation: str = "oblimin"
    correlation_type: str = "pearson"
    missing: str = "pairwise"
    n_obs: int = 0
    n_factors: int = 1
    cut: float = 0.3
    labels: dict = field(default_factory=dict, repr=False)
    means: pd.Series | None = field(default=None, repr=False)
    sds: pd.Series | None = field(default=None, repr=False)
    notes: tuple = field(default=(), repr=False)
    created: str = field(default_factory=now, repr=False)
    version: str = field(default_factory=package_version, repr=False)

    # ---------------------------------------------------------------- views

    @property
    def items(self) -> list[str]:
        return list(self.loadings.index)

    @property
    def primary(self) -> pd.Series:
        """The factor each item loads most on (by absolute pattern loading)."""
        return self.loadings.abs().idxmax(axis=1).rename("factor")

    def scales(self, cut: float | None = None) -> dict[str, list[str]]:
        """Factor name to the items whose primary loading reaches ``cut`` (default: ``self.cut``).

        This is the structure a confirmatory model of a later wave tests
        (see :func:`workbench.factors.cfa`).
        """
        cut = self.cut if cut is None else cut
        out = {}
        prim = self.primary
        for f in self.names:
            items = [i for i in self.items if prim[i] == f and abs(self.loadings.at[i, f]) >= cut]
            items.sort(key=lambda i: -abs(self.loadings.at[i, f]))
            out[f] = items
        return out

    def summary(self, cut: float | None = None) -> pd.DataFrame:
        """The sorted, blanked loadings table consultants put on a slide.

        Items are grouped by the factor they load most on (factors in order), and within a
        factor by the size of that loading; loadings below ``cut`` in absolute value are
        blank (NaN).  Columns: ``label`` (when item texts are known), one per factor,
        ``h2`` (communality), ``u2`` (uniqueness), ``complexity`` and ``cross-loading``
        (the other factors an item reaches ``cut`` on).
        """
        cut = self.cut if cut is None else cut
        prim = self.primary
        order = []
        for f in self.names:
            its = [i for i in self.items if prim[i] == f]
            order += sorted(its, key=lambda i: -abs(self.loadings.at[i, f]))
        load = self.loadings.loc[order]
        table = load.where(load.abs() >= cut)
        cross = [", ".join(f for f in self.names if f != prim[i] and abs(load.at[i, f]) >= cut) for i in order]
        out = pd.DataFrame(index=pd.Index(order, name="item"))
        if any(self.labels.get(i, i) != i for i in order):
            out["label"] = [self.labels.get(i, i) for i in order]
        out = pd.concat([out, table], axis=1)
        out["h2"] = self.communalities.loc[order]
        out["u2"] = self.uniquenesses.loc[order]
        out["complexity"] = self.complexity.loc[order]
        out["cross-loading"] = cross
        return out

    def headline(self) -> str:
        cum = self.variance["Cumulative Var"].iloc[-1]
        return (f"{self.n_factors} factor(s), {self.method} extraction, {self.rotation} rotation, "
                f"{self.missing} {self.correlation_type} correlations, n = {self.n_obs}; "
                f"{100 * cum:.1f}% of the variance; KMO {self.suitability.kmo:.2f} ({self.suitability.verdict})")

    def count_sentence(self) -> str:
        """Which counting rules agreed and why this many factors, in one client-readable line
        (:func:`~workbench.factors.count.count_sentence`); empty without a factor count."""
        if self.factor_count is None:
            return ""
        from .count import count_sentence

        return count_sentence(self.factor_count, self.n_factors)

    def summarise(self) -> Summary:
        """The headline, the loadings table, the variance explained, the factor correlations and the notes."""
        tables = [SummaryTable(self.summary()), SummaryTable(self.variance.T)]
        if self.factor_correlations is not None:
            tables.append(SummaryTable(self.factor_correlations, title="factor correlations", digits=2))
        return Summary("Exploratory factor analysis", [self.headline()], tables, self.notes)

    def __repr__(self) -> str:
        return (f"EFAResult(n_factors={self.n_factors}, method={self.method!r}, rotation={self.rotation!r}, "
                f"n_obs={self.n_obs}, names={self.names!r})")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The solution's tables by name (for a workbook)."""
        out = {"loadings": self.summary(), "variance": self.variance}
        if self.factor_correlations is not None:
            out["factor correlations"] = self.factor_correlations
        if self.reliability is not None:
            out["reliability"] = self.reliability.scales
            out["reliability items"] = self.reliability.items
        return out

    # ---------------------------------------------------------------- scores

    def scores(self, data: pd.DataFrame, method: str = "regression") -> pd.DataFrame:
        """Factor scores for respondents (this wave or a later one).

        Parameters
        ----------
        data : DataFrame
            Holds at least the analysed items (other columns are ignored); missing answers NaN.
        method : {'regression', 'bartlett'}, default='regression'

        Returns
        -------
        DataFrame
            Index = ``data``'s index, one column per factor (named as ``names``).  A
            respondent with missing answers is scored from the items they answered (see the
            module notes); one with no answers gets NaN.

        Raises
        ------
        DataError
            ``data`` lacks some of the analysed items.
        AnalysisError
            The solution was fitted on a correlation matrix (no item means to score with).
        """
        check_choice("method", method, ("regression", "bartlett"))
        if self.means is None or self.sds is None:
            raise AnalysisError("this solution was fitted on a correlation matrix: scores need the raw answers; "
                                "fit efa() on the respondents' data instead")
        missing_cols = [c for c in self.items if c not in data.columns]
        if missing_cols:
            raise DataError(
                f"cannot score: the data lack the analysed item(s) {', '.join(map(repr, missing_cols))}",
                column=missing_cols[0],
            )
        x = as_frame(data[self.items], "data")
        z = ((x - self.means) / self.sds).to_numpy()
        obs = ~np.isnan(z)
        r = self.correlation.to_numpy()
        s = self.structure.to_numpy()
        lam = self.loadings.to_numpy()
        psi = np.clip(self.uniquenesses.to_numpy(), 1e-6, None)
        k = lam.shape[1]
        out = np.full((len(x), k), np.nan)
        patterns, inverse = np.unique(obs, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        for pi, pattern in enumerate(patterns):
            rows = np.flatnonzero(inverse == pi)
            o = np.flatnonzero(pattern)
            if len(o) == 0 or (method == "bartlett" and len(o) < k):
                continue
            if method == "regression":
                w = np.linalg.solve(r[np.ix_(o, o)], s[o])
            else:
                lo = lam[o] / psi[o, None]
                w = lo @ np.linalg.inv(lam[o].T @ lo)
            out[rows] = z[np.ix_(rows, o)] @ w
        return pd.DataFrame(out, index=data.index, columns=list(self.names))

    # ---------------------------------------------------------------- charts

    def plot_loadings(self, ax=None, *, cut: float | None = None, title: str | None = None):
        """Heatmap of the sorted loadings (blanked ones shown faint).

        Returns
        -------
        matplotlib.figure.Figure
        """
        cut = self.cut if cut is None else cut
        table = self.summary(cut=0.0)
        vals = table[self.names].to_numpy(dtype=float)
        rows = [f"{i}  {self.labels.get(i, '')}"[:48] for i in table.index]
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(2.2 + 1.3 * len(self.names), 1.2 + 0.32 * len(rows)), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        im = ax.imshow(vals, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        for (i, j), v in np.ndenumerate(vals):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                    color=("black" if abs(v) >= cut else "#9A9A9A"), fontweight=("bold" if abs(v) >= cut else "normal"))
        ax.set_xticks(range(len(self.names)), [n if len(n) <= 28 else n[:26] + "..." for n in self.names],
                      rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        ax.set_title(title or f"Pattern loadings ({self.method}, {self.rotation})")
        fig.colorbar(im, ax=ax, shrink=0.6, label="loading")
        return fig


# --------------------------------------------------------------------------- fit statistics


def _fit_stats(r: np.ndarray, lam: np.ndarray, phi: np.ndarray, n_obs: int | None) -> pd.Series:
    p, k = lam.shape
    model = lam @ phi @ lam.T
    resid = r - model
    off = ~np.eye(p, dtype=bool)
    out = {"RMSR": float(np.sqrt((resid[off] ** 2).sum() / (p * (p - 1))))}
    dof = ((p - k) ** 2 - (p + k)) / 2
    out["df"] = dof
    m = model.copy()
    np.fill_diagonal(m, np.diag(r))
    try:
        mir = np.linalg.solve(m, r)
        sign, logdet = np.linalg.slogdet(mir)
        objective = float(np.trace(mir) - logdet - p)
    except np.linalg.LinAlgError:
        objective = float("nan")
    out["objective"] = objective
    if n_obs:
        chisq = max(objective * ((n_obs - 1) - (2 * p + 5) / 6 - (2 * k) / 3), 0.0)
        sign0, logdet0 = np.linalg.slogdet(r)
        obj0 = -logdet0
        dof0 = p * (p - 1) / 2
        chisq0 = obj0 * ((n_obs - 1) - (2 * p + 5) / 6)
        out["chi-square"] = chisq
        out["p"] = float(stats.chi2.sf(chisq, dof)) if dof > 0 else float("nan")
        if dof > 0:
            # psych::factor.stats (psych 2.2.9): Tucker-Lewis from the objective functions per
            # degree of freedom with Bartlett's multiplier; RMSEA with n (not n - 1) in the first term
            m0, mf = obj0 / dof0, objective / dof
            nm = (n_obs - 1) - (2 * p + 5) / 6 - (2 * k) / 3
            out["TLI"] = float((m0 - mf) / (m0 - 1 / nm))
            out["RMSEA"] = float(math.sqrt(max(chisq / (dof * n_obs) - 1 / (n_obs - 1), 0)))
            out["BIC"] = float(chisq - dof * math.log(n_obs))
        out["null chi-square"] = chisq0
        out["null df"] = dof0
    return pd.Series(out, name="fit")


# --------------------------------------------------------------------------- the call


def _note_and_warn(notes: list, msg: str, stacklevel: int = 3) -> None:
    """A problem of the solution: noted on the result and warned about (as made by the caller of
    :func:`efa`: ``stacklevel`` counts this function and the ones between it and :func:`efa`)."""
    notes.append(msg)
    warnings.warn(msg, FactorWarning, stacklevel=stacklevel)


def _improper_or_weak(load_df: pd.DataFrame, h2: np.ndarray, rotation: str, cut: float, notes: list) -> None:
    """Warn about Heywood cases (communality of 1 or more) and weak factors (fewer than three
    salient items) of the rotated solution ``load_df``."""
    items, k = list(load_df.index), load_df.shape[1]
    heywood = [items[i] for i in np.flatnonzero(h2 >= 0.995)]
    if heywood:
        _note_and_warn(notes, f"Heywood case: item(s) {', '.join(map(repr, heywood))} have a communality of 1 or more "
                              "(uniqueness <= 0); the solution is improper: try fewer factors, drop or merge the item, "
                              "or use method='minres'", stacklevel=4)
    weak, _ = solution_problems(load_df, pd.Series(h2, index=items), cut=cut)
    if weak and k > 1 and rotation != "none":  # unrotated factors are not meant to have simple structure
        shown = "; ".join(f"{f}: {', '.join(v) if v else 'no item'}" for f, v in weak.items())
        _note_and_warn(notes, f"weak factor(s) with fewer than 3 items loading >= {cut:g} on them ({shown}); such a "
                              f"factor rarely replicates: try {k - 1} factor(s) (n_factors='auto' does), or add items "
                              "that measure it", stacklevel=4)


def _correlations(data, correlation, missing, n_obs, weights, notes) -> tuple[pd.DataFrame | None, CorrelationInfo]:
    """The respondents' answers (None for a correlation matrix given as ``data``) and their
    correlations; a warning of the correlations is noted and passed on to :func:`efa`'s caller."""
    if is_correlation_matrix(data):
        mat = data.astype(float)
        mat.index = mat.columns = [str(c) for c in mat.columns]
        items = collinear_items(mat.to_numpy(), list(mat.columns))
        if items is not None:
            raise singular_error(items)
        if weights is not None:
            raise AnalysisError("survey weights need the respondents' answers; a correlation matrix was given "
                                "(weight it before, or pass the data)")
        return None, CorrelationInfo(matrix=mat, n_obs=int(n_obs or 0), pair_n=mat * 0 + (n_obs or 0),
                                     kind="given", missing="given", effective_n=float(n_obs or 0))
    frame = as_frame(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WorkbenchWarning)
        info = correlation_matrix(frame, correlation=correlation, missing=missing, weights=weights)
    for w in caught:
        notes.append(str(w.message))
        warnings.warn(w.message, w.category, stacklevel=3)
    return frame, info


def _count_factors(n_factors: str, frame, info: CorrelationInfo, *, method, rotation, correlation, missing, cut,
                   percentile, n_iter, random_state, progress_bar) -> FactorCount:
    """``n_factors='auto'``: parallel analysis and the other rules, decided by
    :func:`~workbench.factors.count.choose_n_factors` on the rotated solutions they suggest."""
    if n_factors != "auto":
        raise ValueError(f"n_factors must be a whole number or 'auto', got {n_factors!r}")
    if frame is None and not info.n_obs:
        raise AnalysisError("n_factors='auto' on a correlation matrix needs n_obs (parallel analysis simulates "
                            "data of the same size); give n_obs=, or a number of factors")
    r = info.matrix.to_numpy()
    count = parallel_analysis(frame if frame is not None else info.matrix, percentile=percentile,
                              n_iter=n_iter, correlation=correlation, missing=missing, n_obs=info.n_obs,
                              random_state=random_state, progress_bar=progress_bar, _info=info)
    count = add_rules(count, r, data=frame, random_state=random_state)

    def solution(k: int):
        raw_k, _ = extract(r, k, method)
        # judged on a rotated solution (oblimin when none is asked: unrotated factors have no simple structure)
        rot_k, _ = _psych_order(*_rotate(raw_k, rotation if rotation != "none" else "oblimin"))
        cols = [f"{_PREFIX[method]}{j + 1}" for j in range(k)]
        return (pd.DataFrame(rot_k, index=list(info.matrix.columns), columns=cols),
                pd.Series((raw_k ** 2).sum(axis=1), index=list(info.matrix.columns)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the counts tried are judged below, not warned about one by one
        count = choose_n_factors(count, solution, cut=cut)
    for _, row in count.decision.iterrows():
        logger.info("efa auto: %s factor(s): %s (%s)", row["factors"], row["verdict"], row["reason"])
    return count


def _variance_table(rotated: np.ndarray, phi_full: np.ndarray, final: list[str], p: int) -> pd.DataFrame:
    """Variance accounted for by each factor, as ``psych::fa`` prints it."""
    ss = np.diag(phi_full @ rotated.T @ rotated)
    return pd.DataFrame({
        "SS loadings": ss,
        "Proportion Var": ss / p,
        "Cumulative Var": np.cumsum(ss) / p,
        "Proportion Explained": ss / ss.sum(),
        "Cumulative Proportion": np.cumsum(ss) / ss.sum(),
    }, index=pd.Index(final, name="factor"))


def _item_moments(frame: pd.DataFrame, missing: str, weights) -> tuple[pd.Series, pd.Series]:
    """Item means and standard deviations for the scores (weighted when survey weights are given)."""
    used = frame.dropna() if missing == "listwise" else frame
    if weights is None:
        return used.mean(), used.std(ddof=1)
    # weighted item means and (frequency-weight) standard deviations, pairwise available
    w = pd.Series(np.asarray(weights.reindex(frame.index) if isinstance(weights, pd.Series) else weights,
                             dtype=float), index=frame.index).reindex(used.index)
    wm = used.notna().mul(w, axis=0)
    means = used.mul(w, axis=0).sum() / wm.sum()
    sds = np.sqrt(((used - means) ** 2).mul(w, axis=0).sum() / wm.sum())
    return means, sds


def _scale_reliability(frame: pd.DataFrame, load_df: pd.DataFrame, cut: float, reverse, notes: list) -> Reliability | None:
    """Reliability of each factor's scale (its items loading at least ``cut`` on it most), keyed by
    the sign of the loadings; a note where that differs from the study's reverse keys."""
    items = list(load_df.index)
    scales = {}
    prim = load_df.abs().idxmax(axis=1)
    keys_rev = set()  # keyed in the factor's direction: negatively loading items reversed
    for f in load_df.columns:
        its = [i for i in items if prim[i] == f and abs(load_df.at[i, f]) >= cut]
        if its:
            scales[f] = its
            keys_rev |= {i for i in its if load_df.at[i, f] < 0}
    if reverse is not None:
        scaled = {i for its in scales.values() for i in its}
        differ = sorted(i for i in scaled if (i in set(reverse)) != (i in keys_rev))
        if differ:
            notes.append("reliability keys follow the loadings, not the study's reverse keys, for "
                         + ", ".join(f"{i} ({'reversed' if i in keys_rev else 'not reversed'})" for i in differ))
    return reliability(frame, scales, reverse=keys_rev) if scales else None


def efa(data, n_factors=1, *, method: str = "minres", rotation: str = "oblimin", correlation: str = "pearson",
        missing: str = "pairwise", n_obs: int | None = None, labels: Mapping[str, str] | None = None,
        names: Sequence[str] | Mapping[str, str] | None = None, reverse: Sequence[str] | None = None,
        cut: float = 0.3, percentile: float = 95, n_iter: int = 20, random_state=None,
        progress_bar: bool = True, weights=None) -> EFAResult:
    """Exploratory factor analysis of a battery of items, as ``psych::fa`` does it.

    Parameters
    ----------
    data : DataFrame
        Respondents x items (numeric codes; missing and "don't know" as NaN).  A
        correlation matrix (square, same labels on both axes, unit diagonal) is accepted
        too, with ``n_obs``; scores and reliability then need raw data.
    n_factors : int or 'auto', default=1
        'auto' runs :func:`parallel_analysis` (with ``percentile``, ``n_iter`` and
        ``random_state``), the Hull method, EGA and comparison data
        (:func:`~workbench.factors.count.add_rules`) and decides with
        :func:`~workbench.factors.count.choose_n_factors`: the middle of their counts,
        lowered while a factor has fewer than three salient items or an item is a Heywood
        case.  The criteria and every count tried are in
        ``factor_count`` (``table``, ``decision``) and in the log.
    method : {'minres', 'ml', 'pa', 'principal'}, default='minres'
        Minimum residual, maximum likelihood, principal axes, or principal components.
    rotation : {'oblimin', 'quartimin', 'geomin', 'promax', 'varimax', 'none'}, default='oblimin'
    correlation : {'pearson', 'polychoric', 'tetrachoric', 'auto'}, default='pearson'
        Polychoric for 4-7 point rating items.
    missing : {'pairwise', 'listwise'}, default='pairwise'
        Pairwise (every respondent counts for each pair of items they answered) as ``psych``.
    n_obs : int, optional
        Respondents behind a correlation matrix given as ``data``.
    labels : mapping of item to text, optional
        Item labels for suggested factor names and tables.
    names : list of str or mapping of item to str, optional
        The consultant's factor names: one per factor in order, or keyed by a marker item
        (the factor that item loads most on gets the name).  Others keep suggested names.
    reverse : list of str, optional
        The study's reverse-keyed items.  Reliability always keys each factor's items by
        the sign of their loading on it (negatively loading items reversed, as
        ``psych::alpha(check.keys=TRUE)`` would); where that differs from ``reverse`` a
        note says so.
    cut : float, default=0.3
        Loadings below this are blanked in tables and do not define scales.
    percentile, n_iter, random_state, progress_bar
        Parallel analysis settings when ``n_factors='auto'``.
    weights : array-like or Series, optional
        Survey weights, one per respondent: correlations (and item means and standard
        deviations for scores) are weighted; Pearson correlations only.

    Returns
    -------
    EFAResult

    Raises
    ------
    AnalysisError
        Constant or empty items, fewer respondents than items, a singular correlation
        matrix, or more factors than the items can identify (the message says which).
    """
    check_choice("method", method, METHODS)
    check_choice("rotation", rotation, ROTATIONS)
    check_choice("correlation", correlation, CORRELATION_CHOICES)
    check_choice("missing", missing, MISSING)
    if not 0 <= cut < 1:
        raise ValueError(f"cut must be between 0 and 1, got {cut}")
    notes: list[str] = []
    frame, info = _correlations(data, correlation, missing, n_obs, weights, notes)
    r = info.matrix.to_numpy()
    p = r.shape[0]
    if p < 3:
        raise AnalysisError(f"only {p} items; factor analysis needs at least 3")
    suit = suitability(None, _info=info) if info.n_obs else _suitability_without_n(info)
    count = None
    if isinstance(n_factors, str):
        count = _count_factors(n_factors, frame, info, method=method, rotation=rotation, correlation=correlation,
                               missing=missing, cut=cut, percentile=percentile, n_iter=n_iter,
                               random_state=random_state, progress_bar=progress_bar)
        n_factors = count.recommended
    k = check_n_factors(n_factors, p)
    raw, conv = extract(r, k, method)
    if not conv.get("converged", True):
        _note_and_warn(notes, f"{method} extraction did not converge ({conv.get('message', '')}); the loadings may be "
                              "unstable: try method='ml' or 'pa', or fewer factors")
    rotated, phi = _rotate(raw, rotation)
    rotated, phi = _psych_order(rotated, phi)
    phi_full = phi if phi is not None else np.eye(k)
    items = list(info.matrix.columns)
    h2 = (raw ** 2).sum(axis=1)  # = diag(L Phi L') of the rotated solution, for every rotation
    load_df = pd.DataFrame(rotated, index=items, columns=[f"{_PREFIX[method]}{j + 1}" for j in range(k)])
    _improper_or_weak(load_df, h2, rotation, cut, notes)
    labels = {str(a): str(b) for a, b in (labels or {}).items()}
    suggested = suggest_names(load_df, labels)
    final = _apply_names(load_df, suggested, names)
    load_df.columns = final
    structure = pd.DataFrame(rotated @ phi_full, index=items, columns=final)
    variance = _variance_table(rotated, phi_full, final, p)
    complexity = (rotated ** 2).sum(axis=1) ** 2 / (rotated ** 4).sum(axis=1)
    fc = pd.DataFrame(phi, index=final, columns=final) if phi is not None else None
    fit = _fit_stats(r, rotated, phi_full, info.n_obs or None)
    means = sds = None
    rel = None
    if frame is not None:
        means, sds = _item_moments(frame, missing, weights)
        rel = _scale_reliability(frame, load_df, cut, reverse, notes)
    logger.info("efa: %d items, %d factor(s), %s/%s, n=%s", p, k, method, rotation, info.n_obs)
    return EFAResult(
        loadings=load_df, structure=structure,
        communalities=pd.Series(h2, index=items, name="h2"),
        uniquenesses=pd.Series(1 - h2, index=items, name="u2"),
        complexity=pd.Series(complexity, index=items, name="complexity"),
        variance=variance, factor_correlations=fc, names=final, suggested_names=suggested,
        correlation=info.matrix, eigenvalues=pd.Series(np.sort(np.linalg.eigvalsh(r))[::-1],
                                                       index=pd.RangeIndex(1, p + 1), name="eigenvalue"),
        fit=fit, suitability=suit, factor_count=count, reliability=rel, method=method, rotation=rotation,
        correlation_type=info.kind, missing=info.missing, n_obs=info.n_obs, n_factors=k, cut=cut,
        labels=labels, means=means, sds=sds, notes=tuple(notes),
    )


def solution_checks(corr, *, k_max: int = 9, method: str = "minres", rotation: str = "oblimin", cut: float = 0.3,
                    min_items: int = 3) -> list[bool]:
    """For k = 1 .. k_max (at most what the items identify): True when the rotated k-factor
    solution has no weak factor and no Heywood case (:func:`solution_problems`)."""
    r = np.asarray(corr, dtype=float)
    top = min(k_max, max(max_factors(r.shape[0]), 1))
    out = []
    for k in range(1, top + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw, _ = extract(r, k, method)
            rot, _ = _psych_order(*_rotate(raw, rotation))
        weak, heywood = solution_problems(pd.DataFrame(rot), pd.Series((raw ** 2).sum(axis=1)), cut=cut,
                                          min_items=min_items)
        out.append(not weak and not heywood)
    return out


def _suitability_without_n(info: CorrelationInfo) -> Suitability:
    from .suitability import kmo, kmo_verdict

    overall, msa = kmo(info.matrix)
    items = pd.DataFrame({"MSA": msa, "verdict": [kmo_verdict(v) for v in msa], "flagged": msa < 0.5})
    items.index.name = "item"
    return Suitability(kmo=overall, verdict=kmo_verdict(overall), items=items, bartlett_chi2=float("nan"),
                       bartlett_df=p_choose_2(info.matrix.shape[0]), bartlett_p=float("nan"), n_obs=0,
                       correlation=info.kind, missing=info.missing)


def p_choose_2(p: int) -> int:
    return p * (p - 1) // 2
