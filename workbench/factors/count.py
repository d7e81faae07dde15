"""How many factors?  Parallel analysis, Kaiser, scree, Velicer's MAP, and the ``auto`` decision.

Parallel analysis (Horn, 1965) is ``psych::fa.parallel(fa="fa", fm="minres")``: the observed
eigenvalues are those of the correlation matrix with the communalities of a one-factor
minres solution on its diagonal (``psych::fa()$values``), the random ones the same for
``n_iter`` (20) data sets of independent normal variables of the same size; factors are
kept while the observed eigenvalue exceeds the 95th percentile of the random ones
(psych's ``quant=.95``).  The components version uses the plain correlation matrix.
``kind='resample'`` instead shuffles each item's observed answers (keeps the items'
distributions and missing answers; psych computes it too, but counts with the simulation).

Kaiser's rule keeps components with eigenvalue > 1 (it over-extracts with many items; shown
for reference).  The scree is read with nFactors' optimal-coordinates and acceleration-factor
rules (Raiche et al., 2013, Methodology 9(1)).  Velicer's (1976) minimum average partial
(MAP) keeps the number of components (1 to 8, as ``psych::VSS(n=8)``) after which the
average squared partial correlation is smallest.

The Hull method, exploratory graph analysis and comparison data are in
:mod:`workbench.factors.rules`; :func:`add_rules` adds them to a count's table.

Parallel analysis on the reduced matrix over-extracts on real batteries (6 on the 25
``psych::bfi`` items, 2-3 on a single five-item scale); MAP under-extracts well-separated
structures (2 on Holzinger-Swineford's three).  :func:`choose_n_factors` is the ``auto``
decision: the middle count of the voting rules (:data:`VOTERS`, :func:`combined_count`),
lowered while a factor has fewer than three salient items or an item is a Heywood case
(references in its docstring).  The voters and the way they are combined were chosen on a
simulation study and checked on public batteries, some held aside: docs/factor_count.md.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError, WorkbenchWarning
from ..core.summary import Summarised, Summary, SummaryTable
from ._common import (
    as_frame,
    check_choice,
    is_correlation_matrix,
    max_factors,
    now,
    package_version,
    progress,
    rng,
)
from .correlation import CorrelationInfo, correlation_matrix
from .extraction import extract, smc

__all__ = ["parallel_analysis", "FactorCount", "map_test", "smc", "fa_values", "choose_n_factors",
           "solution_problems", "AUTO_RULE", "add_rules", "combined_count", "count_rules", "cheap_rules", "RULES", "VOTERS",
           "count_sentence"]


def fa_values(corr: np.ndarray, n_factors: int = 1) -> np.ndarray:
    """Eigenvalues of the common-factor solution as ``psych::fa(...)$values`` gives them.

    The correlation matrix with the communalities of an ``n_factors`` minres solution on
    its diagonal (``fm="minres"``; ``psych::fa.parallel`` uses one factor), sorted
    descending.
    """
    load, _ = extract(np.asarray(corr, dtype=float), n_factors, "minres")
    reduced = np.array(corr, dtype=float)
    np.fill_diagonal(reduced, (load ** 2).sum(axis=1))
    return np.sort(np.linalg.eigvalsh(reduced))[::-1]


def _eigen_pair(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pc = np.sort(np.linalg.eigvalsh(corr))[::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a non-converged 1-factor fit on random data is harmless here
        fa = fa_values(corr, 1)
    return pc, fa


MAP_MAX = 8  # psych::VSS's n: MAP is searched over 1..8 components (fewer with fewer items)


def map_test(corr, n_max: int | None = MAP_MAX) -> pd.Series:
    """Velicer's MAP: average squared partial correlation after removing 0, 1, ..., ``n_max`` components.

    As ``psych::VSS(n=8)$map`` (whose values are those for 1..8 components): at most
    ``p - 1`` components are removed; ``n_max=None`` goes all the way.  The value for 0
    (the plain correlations) is shown for reference; the MAP count is the minimum over
    1..``n_max``.
    """
    r = np.asarray(corr, dtype=float)
    p = r.shape[0]
    vals, vecs = np.linalg.eigh(r)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    top = p - 1 if n_max is None else min(int(n_max), p - 1)
    out = []
    for m in range(top + 1):
        if m == 0:
            partial = r
        else:
            a = vecs[:, :m] * np.sqrt(np.maximum(vals[:m], 0))
            c = r - a @ a.T
            d = np.sqrt(np.clip(np.diag(c), 1e-12, None))
            partial = c / np.outer(d, d)
        out.append(((partial ** 2).sum() - p) / (p * (p - 1)))
    return pd.Series(out, index=pd.RangeIndex(0, top + 1, name="components removed"), name="MAP")


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
    """nFactors::nScree's acceleration factor: the second difference at j (among those whose
    predecessor has an eigenvalue >= 1) is largest at the elbow; keep the j - 1 before it."""
    p = len(ev)
    if p < 3:
        return 1
    af = np.full(p, np.nan)
    for j in range(1, p - 1):  # 0-based; R's j = j + 1
        if ev[j - 1] >= 1:
            af[j] = ev[j + 1] - 2 * ev[j] + ev[j - 1]
    if np.isnan(af).all():
        return 1
    return int(np.nanargmax(af))  # R: which(af == max) - 1 with 1-based j


@dataclass(frozen=True)
class FactorCount(Summarised):
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
    decision : DataFrame or None
        With ``n_factors='auto'``: one row per number of factors tried (``factors``,
        ``verdict``, ``reason``), from parallel analysis down to the one kept (see
        :func:`choose_n_factors`).
    rule : str
        What ``recommended`` is: the parallel-analysis count, or the decision of
        :func:`choose_n_factors`.
    given : str
        Without ``decision`` (the number of factors was given): why, in words for the
        count sentence (the study asks; or, on a later wave, the fitted wave's count).
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
    decision: pd.DataFrame | None = field(default=None, repr=False)
    rule: str = "parallel analysis (factors)"
    given: str = "as the study asks"
    created: str = field(default_factory=now, repr=False)
    version: str = field(default_factory=package_version, repr=False)

    def summarise(self) -> Summary:
        """The recommendation with its rule, the criteria per number of factors, and the decision table."""
        line = (f"Number of factors: {self.recommended} recommended ({self.rule}; parallel analysis against the "
                f"{self.percentile:g}th percentile of {self.n_iter} random data sets)")
        tables = [SummaryTable(self.table)]
        if self.decision is not None:
            tables.append(SummaryTable(self.decision, title="Decision"))
        return Summary("How many factors", [line], tables)

    def summary(self) -> pd.DataFrame:
        """The criteria side by side (one row each) with the recommendation marked."""
        out = self.table.copy()
        out["recommended"] = out.index == self.rule
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

def parallel_analysis(data, *, percentile: float = 95, n_iter: int = 20, kind: str | None = None,
                      correlation: str = "pearson", missing: str = "pairwise", n_obs: int | None = None,
                      weights=None, random_state=None, progress_bar: bool = True,
                      _info: CorrelationInfo | None = None) -> FactorCount:
    """Parallel analysis, Kaiser, scree and MAP for the number of factors.

    Parallel analysis is ``psych::fa.parallel(x, fa="fa", fm="minres")`` (and ``fa="pc"``
    for components): the observed eigenvalues are those of the correlation matrix with the
    communalities of a one-factor minres solution on the diagonal (``psych::fa()$values``);
    the random ones are the same eigenvalues of ``n_iter`` data sets of independent normal
    variables of the same size; the count is the number of leading observed eigenvalues
    above the ``percentile`` of the random ones (psych's ``quant=.95``).

    Parameters
    ----------
    data : DataFrame
        Respondents x items, missing answers NaN; or a correlation matrix with ``n_obs``.
    percentile : float, default=95
        Percentile of the random eigenvalues an observed one must exceed.
    n_iter : int, default=20
        Random data sets (``psych::fa.parallel`` uses 20).
    kind : {'simulate', 'resample'}, default='simulate'
        Random normal data (psych's count), or the observed answers shuffled within each
        item (keeps every item's distribution and missing answers; raw data only).
    correlation : {'pearson', 'polychoric', 'tetrachoric', 'auto'}, default='pearson'
    missing : {'pairwise', 'listwise'}, default='pairwise'
    n_obs : int, optional
        Respondents behind a correlation matrix given as ``data``.
    weights : array-like, optional
        Survey weights: the observed correlations are weighted and the random data sets
        have Kish's effective number of respondents.
    random_state : int or numpy.random.Generator, optional
        Same seed, same result.
    progress_bar : bool, default=True
        Show a progress bar on a terminal.

    Returns
    -------
    FactorCount
    """
    kind = kind or "simulate"
    check_choice("kind", kind, ("simulate", "resample"))
    if not 0 < percentile < 100:
        raise ValueError(f"percentile must be between 0 and 100, got {percentile}")
    if n_iter < 1:
        raise ValueError(f"n_iter must be at least 1, got {n_iter}")
    if is_correlation_matrix(data):
        if not n_obs:
            raise AnalysisError("a correlation matrix was given without n_obs: parallel analysis simulates data "
                                "of the same size, so give the number of respondents (n_obs=...)")
        if kind == "resample":
            raise AnalysisError("kind='resample' shuffles the respondents' answers; a correlation matrix has none: "
                                "use kind='simulate'")
        mat = data.astype(float)
        mat.index = mat.columns = [str(c) for c in mat.columns]
        info = _info or CorrelationInfo(matrix=mat, n_obs=int(n_obs), pair_n=mat * 0 + int(n_obs), kind="given",
                                        missing="given", effective_n=float(n_obs))
        frame = None
    else:
        frame = as_frame(data)
        info = _info or correlation_matrix(frame, correlation=correlation, missing=missing, weights=weights)
    r = info.matrix.to_numpy()
    p = r.shape[0]
    obs_pc, obs_fa = _eigen_pair(r)
    n_sim = int(round(info.effective_n)) if info.weighted else int(info.n_obs)
    gen = rng(random_state)
    rand_pc = np.empty((n_iter, p))
    rand_fa = np.empty((n_iter, p))
    arr = None
    if kind == "resample":
        work = frame.dropna() if missing == "listwise" else frame
        arr = work.to_numpy()
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):  # small matrices: 1 thread is faster
        warnings.simplefilter("ignore", WorkbenchWarning)  # smoothing random matrices is expected
        for it in progress(range(n_iter), total=n_iter, desc="parallel analysis", enabled=progress_bar):
            if kind == "simulate":  # psych: rnorm(nsub * nvariables), Pearson, complete
                rr = np.corrcoef(gen.standard_normal((n_sim, p)), rowvar=False)
            else:
                sim = np.column_stack([gen.permutation(arr[:, j]) for j in range(p)])
                rr = correlation_matrix(pd.DataFrame(sim, columns=frame.columns), correlation=correlation,
                                        missing=missing, check=False).matrix.to_numpy()
            rand_pc[it], rand_fa[it] = _eigen_pair(rr)
    ref_pc = np.percentile(rand_pc, percentile, axis=0)  # R's quantile(type=7)
    ref_fa = np.percentile(rand_fa, percentile, axis=0)
    n_fa = _leading_above(obs_fa, ref_fa)
    n_pc = _leading_above(obs_pc, ref_pc)
    kaiser = int((obs_pc > 1).sum())
    maps = map_test(r)
    n_map = int(maps.iloc[1:].idxmin()) if len(maps) > 1 else 1  # psych::VSS: the minimum over 1..8 components
    top = max_factors(p)
    recommended = int(min(max(n_fa, 1), max(top, 1)))
    what = "simulated normal" if kind == "simulate" else "shuffled"
    rows = [
        ("parallel analysis (factors)", n_fa,
         f"psych::fa.parallel(fa='fa', fm='minres'): eigenvalues with one-factor minres communalities above the "
         f"{percentile:g}th percentile of {n_iter} {what} data sets (Horn, 1965)"),
        ("parallel analysis (components)", n_pc,
         "the same for principal components (psych::fa.parallel(fa='pc'))"),
        ("Kaiser (eigenvalue > 1)", kaiser, "components with eigenvalue > 1 (Kaiser, 1960); over-extracts with "
                                            "many items"),
        ("scree: optimal coordinates", _optimal_coordinates(obs_pc),
         "eigenvalues above the line projected from the later ones (Raiche et al., 2013; nFactors::nScree noc)"),
        ("scree: acceleration factor", _acceleration_factor(obs_pc),
         "the elbow where the slope changes most (Raiche et al., 2013; nFactors::nScree naf); often 1"),
        ("Velicer MAP", n_map, "minimum average squared partial correlation over 1-8 components (Velicer, 1976; "
                               "psych::VSS(n=8) map)"),
    ]
    table = pd.DataFrame(rows, columns=["criterion", "factors", "note"]).set_index("criterion")
    if recommended != n_fa:
        table.loc["parallel analysis (factors)", "note"] += f"; bounded to {recommended} (identifiable, at least 1)"
    eig = pd.DataFrame({"observed PC": obs_pc, "random PC": ref_pc, "observed FA": obs_fa, "random FA": ref_fa,
                        "random PC mean": rand_pc.mean(axis=0), "random FA mean": rand_fa.mean(axis=0)},
                       index=pd.RangeIndex(1, p + 1, name="position"))
    return FactorCount(
        table=table, eigenvalues=eig, map=maps, recommended=recommended, percentile=float(percentile),
        n_iter=int(n_iter), kind=kind, n_obs=info.n_obs, correlation=info.kind, missing=info.missing,
        random_state=repr(random_state) if not isinstance(random_state, np.random.Generator) else "Generator",
    )


AUTO_RULE = ("the middle count of parallel analysis for factors against the mean, exploratory graph analysis and the "
             "next eigenvalue sufficiency test (Pearson correlations only; without it the larger of the other two), "
             "at least 3 salient items per factor, no Heywood case")

#: the rows of the count table that vote, by rule
VOTE_ROWS = {"PA": "parallel analysis (factors)", "PA components": "parallel analysis (components)",
             "MAP": "Velicer MAP", "Hull": "Hull method",
             "EGA": "exploratory graph analysis", "EKC": "empirical Kaiser criterion",
             "PA mean": "parallel analysis (factors, mean)", "NEST": "next eigenvalue sufficiency test"}


def table_votes(table: pd.DataFrame) -> dict:
    """The voters' counts in a count table (:data:`VOTERS` only; rules not in it do not vote)."""
    return {k: int(table.at[row, "factors"]) for k, row in VOTE_ROWS.items() if row in table.index and k in VOTERS}


def add_rules(count: "FactorCount", corr: np.ndarray, *, data: pd.DataFrame | None = None,
              comparison: bool = False, random_state=None) -> "FactorCount":
    """``count`` with the Hull, EGA, empirical Kaiser, parallel-analysis-against-the-mean and (Pearson correlations)
    NEST rows added, and with ``comparison=True`` (raw data only)
    comparison data (see :mod:`workbench.factors.rules`; CD simulates a population per count
    tried and takes 10-30 s on a 25-item battery, so it is asked for, not run by default)."""
    from threadpoolctl import threadpool_limits

    from .rules import comparison_data, ega, hull, nest

    table = count.table.copy()
    n = int(round(count.n_obs))
    n_pc = int(table.at["parallel analysis (components)", "factors"])
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        table.loc["Hull method"] = {"factors": hull(corr, n, k_max=max(n_pc + 1, 2))[0],
                                    "note": "the elbow of fit (CFI) against parameters on the convex hull of the "
                                            "1..PA+1 factor solutions (Lorenzo-Seva, Timmerman & Kiers, 2011)"}
        table.loc["exploratory graph analysis"] = {
            "factors": ega(corr, n)[0],
            "note": "communities (walktrap) of the items' partial-correlation network (EBIC graphical lasso; Golino "
                    "& Epskamp, 2017)"}
        cheap = cheap_rules(count, corr)
        table.loc["empirical Kaiser criterion"] = {
            "factors": cheap["EKC"],
            "note": "eigenvalues above 1 corrected for sampling and for the variance earlier factors explain (Braeken "
                    "& van Assen, 2017; EFAtools efa_ekc)"}
        table.loc["parallel analysis (factors, mean)"] = {
            "factors": cheap["PA mean"],
            "note": "parallel analysis for factors against the mean of the random eigenvalues (psych::fa.parallel "
                    "without quant)"}
        if count.correlation == "pearson":  # continuous reference data: not for polychoric / tetrachoric (EFAtools)
            table.loc["next eigenvalue sufficiency test"] = {
                "factors": nest(corr, n, random_state=random_state)[0],
                "note": "factors added while the next eigenvalue exceeds what the model with the factors so far "
                        "gives in samples of this size (Achim, 2017; EFAtools efa_nest)"}
        if comparison and data is not None:
            complete = data.dropna()
            if len(complete) >= max(50, 2 * data.shape[1]):
                table.loc["comparison data"] = {
                    "factors": comparison_data(complete, random_state=random_state)[0],
                    "note": "factors added while simulated data with one more factor reproduce the eigenvalues "
                            "better (Ruscio & Roche, 2012; complete answers)"}
    return dataclasses.replace(count, table=table)


def solution_problems(loadings: pd.DataFrame, communalities: pd.Series, *, cut: float = 0.3,
                      min_items: int = 3) -> tuple[dict, list]:
    """What makes a rotated solution hard to use: weak factors and Heywood cases.

    Returns
    -------
    weak : dict
        Factor to the items that load on it saliently (``|loading| >= cut`` and it is the
        item's largest loading), for factors with fewer than ``min_items`` of them.
    heywood : list
        Items with a communality of .995 or more (uniqueness about 0 or negative).
    """
    primary = loadings.abs().idxmax(axis=1)
    top = loadings.abs().max(axis=1)
    weak = {}
    for f in loadings.columns:
        items = [i for i in loadings.index if primary[i] == f and top[i] >= cut]
        if len(items) < min_items:
            weak[f] = items
    heywood = [i for i in communalities.index if communalities[i] >= 0.995]
    return weak, heywood


def choose_n_factors(count: FactorCount, solution, *, cut: float = 0.3, min_items: int = 3) -> FactorCount:
    """The ``n_factors='auto'`` decision: the middle count of the rules, then no weak factor and no Heywood case.

    Start from the median of the counts of psych's parallel analysis for common factors
    against the mean of the random eigenvalues (Horn, 1965), exploratory graph analysis and
    the next eigenvalue sufficiency test (Achim, 2017; Pearson correlations only, so with
    polychoric or tetrachoric correlations the larger of the other two) (:data:`VOTERS`),
    as far as ``count.table`` has them (:func:`add_rules`; :func:`combined_count`;
    chosen on the simulation study of docs/factor_count.md; at least 1, at most what the
    items identify).  With parallel analysis alone, the start is its count.  Parallel analysis on the reduced matrix is known to
    over-extract on real batteries (e.g. 6 on the 25 Big Five items of ``psych::bfi``;
    Crawford et al., 2010, Educ. Psychol. Meas. 70(6); Revelle's own warning in
    ``?fa.parallel``), typically by adding a minor factor defined by two items (reverse
    keyed or similarly worded) or a factor absorbed by one item (a Heywood case).  So a
    solution is kept only when every factor has at least ``min_items`` salient items
    (its largest loading, ``|loading| >= cut``: a factor with fewer is weak and does not
    replicate, Velicer & Fava, 1998, Psychol. Methods 3(2); Costello & Osborne, 2005,
    PARE 10(7)) and no item has a communality of 1 or more (an improper solution; Kolenikov
    & Bollen, 2012).  Otherwise one factor fewer is tried, down to one.

    Parameters
    ----------
    count : FactorCount
        From :func:`parallel_analysis`.
    solution : callable
        ``solution(k) -> (loadings DataFrame, communalities Series)``: the rotated
        ``k``-factor solution, as :func:`~workbench.factors.efa` would report it.
    cut : float, default=0.3
        A salient loading.
    min_items : int, default=3

    Returns
    -------
    FactorCount
        ``count`` with ``recommended``, ``decision`` (one row per count tried) and ``rule``.
    """
    pa = int(count.table.at["parallel analysis (factors)", "factors"])
    p = len(count.eigenvalues)
    top = max(max_factors(p), 1)
    votes = table_votes(count.table)
    first, why = combined_count(votes)
    start = min(max(first, 1), top)
    rows = []
    if len(votes) > 1:
        rows.append((first, "start", why))
    if pa < 1 and first <= 1:
        rows.append((0, "raised to 1", "parallel analysis finds no factor above random data: the items hardly "
                                       "correlate; one factor is fitted so that the battery can still be described"))
    elif start < first:
        rows.append((first, "not identifiable", f"{p} items identify at most {top} common factor(s)"))
    chosen = 1
    for k in range(start, 0, -1):
        loadings, h2 = solution(k)
        weak, heywood = solution_problems(loadings, h2, cut=cut, min_items=min_items)
        problems = []
        for f, items in weak.items():
            shown = ", ".join(map(str, items)) if items else "none"
            problems.append(f"factor {f} has {len(items)} salient item(s) ({shown}), fewer than {min_items}")
        if heywood:
            problems.append(f"Heywood case: {', '.join(map(str, heywood))} (communality >= 1)")
        if not problems:
            rows.append((k, "kept", f"every factor has at least {min_items} items loading >= {cut:g} on it, "
                                    "no Heywood case"))
            chosen = k
            break
        if k == 1:
            rows.append((1, "kept (last resort)", "; ".join(problems) + "; one factor is the simplest description"))
            chosen = 1
            break
        rows.append((k, "rejected", "; ".join(problems) + f": try {k - 1}"))
    decision = pd.DataFrame(rows, columns=["factors", "verdict", "reason"])
    table = count.table.copy()
    table.loc["auto: decision"] = {"factors": chosen, "note": AUTO_RULE + f": {decision.iloc[-1]['reason']}"}
    if len(votes) > 1:
        table.loc["auto: decision", "note"] = AUTO_RULE + f": {why}; {decision.iloc[-1]['reason']}"
    return dataclasses.replace(count, table=table, recommended=int(chosen), decision=decision,
                               rule="auto: decision")


# --------------------------------------------------------------------------- every rule at once

RULES = ("PA", "PA components", "Kaiser", "OC", "AF", "MAP", "Hull", "EGA", "CD", "EKC", "PA mean", "NEST")


def count_rules(data, *, correlation: str = "pearson", missing: str = "pairwise", n_obs: int | None = None,
                n_iter: int = 20, random_state=None, cd: bool = True) -> tuple[dict, np.ndarray]:
    """Every counting rule on one battery: the parallel-analysis table's rules, Hull, EGA and CD.

    Returns
    -------
    counts : dict
        Rule (see :data:`RULES`) to its count (CD is None for a correlation matrix, or when
        ``cd=False``).
    corr : ndarray
        The correlation matrix analysed.
    """
    from .rules import comparison_data, ega, hull, nest

    count = parallel_analysis(data, correlation=correlation, missing=missing, n_obs=n_obs, n_iter=n_iter,
                              random_state=random_state, progress_bar=False)
    t = count.table["factors"]
    if is_correlation_matrix(data):
        corr = data.to_numpy(dtype=float)
        frame = None
    else:
        frame = as_frame(data)
        corr = correlation_matrix(frame, correlation=correlation, missing=missing, check=False).matrix.to_numpy()
    n = int(count.n_obs)
    out = {"PA": int(t["parallel analysis (factors)"]), "PA components": int(t["parallel analysis (components)"]),
           "Kaiser": int(t["Kaiser (eigenvalue > 1)"]), "OC": int(t["scree: optimal coordinates"]),
           "AF": int(t["scree: acceleration factor"]), "MAP": int(t["Velicer MAP"])}
    out["Hull"] = hull(corr, n, k_max=max(out["PA components"] + 1, 2))[0]
    out["EGA"] = ega(corr, n)[0]
    out.update(cheap_rules(count, corr))
    out["NEST"] = nest(corr, n, random_state=random_state)[0] if count.correlation == "pearson" else None
    out["CD"] = None
    if cd and frame is not None:
        out["CD"] = comparison_data(frame, random_state=random_state)[0]
    return out, corr


def cheap_rules(count: FactorCount, corr: np.ndarray) -> dict:
    """The rules computed from a parallel analysis' eigenvalues alone: the empirical Kaiser criterion
    (``EKC``, :func:`workbench.factors.rules.empirical_kaiser`) and parallel analysis for factors
    against the *mean* of the random eigenvalues (``PA mean``: ``psych::fa.parallel``'s default
    when ``quant`` is not given; the 95th percentile is ``PA``)."""
    from .rules import empirical_kaiser

    e = count.eigenvalues
    return {"EKC": empirical_kaiser(corr, int(count.n_obs))[0],
            "PA mean": _leading_above(e["observed FA"].to_numpy(), e["random FA mean"].to_numpy())}


# --------------------------------------------------------------------------- the combined decision

#: the rules whose counts ``auto`` combines (each votes when it could be computed)
VOTERS = ("PA mean", "EGA", "NEST")
#: with an even number of votes: take the upper of the two middle counts ("upper") or the lower
MIDDLE = "upper"
VOTER_NAMES = {"PA": "parallel analysis of factors", "PA components": "parallel analysis of components",
               "MAP": "Velicer's MAP", "Hull": "the Hull method",
               "EGA": "exploratory graph analysis", "CD": "comparison data",
               "EKC": "the empirical Kaiser criterion", "PA mean": "parallel analysis against the mean",
               "NEST": "the next-eigenvalue test"}


def combined_count(counts: dict, ok: list[bool] | None = None) -> tuple[int, str]:
    """The count ``auto`` starts from: the median of the voting rules' counts (:data:`VOTERS`; with
    an even number of votes the :data:`MIDDLE` one of the two in the middle), chosen on the
    simulation study of docs/factor_count.md.  Comparison data is shown but does not vote (too
    slow to be part of the simulation).

    Parameters
    ----------
    counts : dict
        Rule name (:data:`VOTERS`) to its count, or None when not computed.
    ok : list of bool, optional
        ``ok[k-1]``: the k-factor solution has no weak factor and no Heywood case; the count
        is then lowered to the largest such k (as :func:`choose_n_factors` does).

    Returns
    -------
    k : int
    why : str
        One sentence a client can follow.
    """
    votes = {k: int(counts[k]) for k in VOTERS if counts.get(k) is not None}
    vals = sorted(max(v, 1) for v in votes.values())
    k = (vals[len(vals) // 2] if MIDDLE == "upper" else vals[(len(vals) - 1) // 2]) if vals else 1
    agree = [VOTER_NAMES[r] for r, v in votes.items() if max(v, 1) == k]
    start = k
    if ok is not None:
        k = max(1, min(k, len(ok)))
        while k > 1 and not ok[k - 1]:
            k -= 1
    why = (f"{len(agree)} of {len(votes)} rules ({', '.join(agree)}) point to {start}; the middle of their "
           f"counts ({', '.join(str(v) for v in vals)}) is taken")
    if k != start:
        why += f", lowered to {k} because a larger solution had a factor with fewer than three clear items"
    return int(k), why


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def count_sentence(count: FactorCount, n_factors: int) -> str:
    """One line a client can follow: which rules agreed on the number of factors, and why it was chosen.

    E.g. "5 factors: parallel analysis, Velicer's MAP and exploratory graph analysis agree on 5
    (the Hull method: 6); 6 was tried first, but one of its factors had fewer than three
    clearly loading items."
    """
    votes = {k: max(int(v), 1) for k, v in table_votes(count.table).items()}
    plural = "s" if n_factors != 1 else ""
    out = f"{n_factors} factor{plural}"
    if count.decision is None:
        out += f" {count.given}"
    agree = [VOTER_NAMES[k] for k, v in votes.items() if v == n_factors]
    other = [f"{VOTER_NAMES[k]}: {v}" for k, v in votes.items() if v != n_factors]
    if agree:
        out += f": {_join(agree)} {'agree on' if len(agree) > 1 else 'points to'} {n_factors}"
    else:
        out += ": no counting rule gives exactly this number"
    if other:
        out += f" ({'; '.join(other)})"
    if count.decision is not None:
        rejected = count.decision.loc[count.decision["verdict"] == "rejected", "factors"]
        if len(rejected):
            out += (f"; {int(rejected.max())} was tried first, but a factor had fewer than three clearly loading "
                    "items or an item was fully absorbed by one factor")
        elif n_factors not in votes.values() or len(set(votes.values())) > 1:
            out += "; the middle of the rules' counts is taken"
    return out + "."
