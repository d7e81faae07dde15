"""Raking respondents to the customer base, with trimming, design effect and effective n.

Because the customer master and the transactions cover every customer, the base's
distribution on a few variables (e.g. size band, country and RFM tier) is *known*, and
respondents can be weighted so that their weighted distribution matches it.

Raking (iterative proportional fitting, Deming & Stephan 1940): starting from the base
weights (the survey's design weights, else 1), each pass multiplies the weights of every
category of every variable in turn by ``target share / weighted sample share``; after each
pass the weights are trimmed to ``[lower, upper] x`` their mean (the "IPF with trimming"
of e.g. the ANES raking procedure); passes repeat until every weighted margin is within
``tolerance`` of its target (converged) or ``max_iter`` passes have run (a
:class:`RakingWarning` then says how far off the margins are).

Reported: Kish's design effect of unequal weights ``deff = n Σw² / (Σw)²`` (= 1 + CV²) and
effective sample size ``n_eff = (Σw)² / Σw² = n / deff``, the weight range, how many weights
sit on a trimming bound, and every margin before and after weighting.

Respondents with a missing value on a raking variable cannot be raked: they keep their
base weight (rescaled like everyone's) and are counted. A population category without any
respondent cannot be reached: it is dropped from that variable's targets (the others
rescaled to 100 %) with a :class:`RakingWarning` suggesting to merge categories.
Weights are scaled to mean 1 over the respondents.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError, WorkbenchWarning
from ..core.stats import design_effect, effective_n
from ..core.summary import Summarised, Summary, SummaryTable

__all__ = ["rake", "RakingResult", "RakingWarning", "design_effect", "effective_n", "rake_to_base"]

logger = logging.getLogger(__name__)


class RakingWarning(WorkbenchWarning):
    """Raking did not converge, or a target category had no respondent."""


@dataclass(frozen=True)
class RakingResult(Summarised):
    """Raking weights and how well they reproduce the population.

    Attributes
    ----------
    weights : Series
        One weight per respondent (index as the sample), mean 1.
    margins : DataFrame
        Indexed by (variable, category): population %, sample % (base weights) and
        weighted %, with the respondents in each category.
    diagnostics : Series
        n, raked n, not raked (missing values), iterations, converged, largest margin
        error, design effect, effective n, min / max weight, weights trimmed, bounds.
    variables : tuple of str
    """

    weights: pd.Series
    margins: pd.DataFrame
    diagnostics: pd.Series
    variables: tuple[str, ...]

    @property
    def design_effect(self) -> float:
        return float(self.diagnostics["design effect"])

    @property
    def effective_n(self) -> float:
        return float(self.diagnostics["effective n"])

    @property
    def converged(self) -> bool:
        return bool(self.diagnostics["converged"])

    def summary(self) -> pd.DataFrame:
        """The diagnostics as a one-column table."""
        return self.diagnostics.to_frame("value").rename_axis("measure")

    def sheets(self) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
        sheets = {"Weighting": self.summary(), "Weight margins": self.margins}
        notes = {
            "Weighting": "Raking to the customer base: design effect = n Σw² / (Σw)², effective n = (Σw)² / Σw².",
            "Weight margins": "Population %, unweighted sample % and weighted % for every raking variable.",
        }
        return sheets, notes

    def plot_weights(self):
        """Histogram of the weights with the trimming bounds.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.5, 4))  # not pyplot: shown once in a notebook
        ax = fig.subplots()
        ax.hist(self.weights.dropna(), bins=40, color="#4C72B0")
        for b in ("lower bound", "upper bound"):
            v = self.diagnostics.get(b)
            if v is not None and not pd.isna(v):
                ax.axvline(float(v), color="#C44E52", ls="--")
        ax.set_xlabel("weight (mean 1)")
        ax.set_ylabel("respondents")
        ax.set_title(f"Raking weights: deff {self.design_effect:.2f}, effective n {self.effective_n:,.0f}")
        fig.tight_layout()
        return fig

    def summarise(self) -> Summary:
        """The one line of :meth:`text` and the margins (population, sample and weighted %)."""
        return Summary("Raking", [self.text()], [SummaryTable(self.margins)])

    def text(self, labels: dict | None = None) -> str:
        """One line on the raking; ``labels`` maps a variable to how it reads (default: its name)."""
        d = self.diagnostics
        names = [str((labels or {}).get(v) or v) for v in self.variables]
        return (f"Raking on {', '.join(names)}: n {int(d['n']):,}, effective n {d['effective n']:,.0f}, "
                f"design effect {d['design effect']:.2f}, weights {d['min weight']:.2f}-{d['max weight']:.2f}, "
                f"{'converged' if d['converged'] else 'NOT converged'} after {int(d['iterations'])} passes")

    def __repr__(self) -> str:
        return f"RakingResult(variables={self.variables}, n={int(self.diagnostics['n'])}, deff={self.design_effect:.3f})"


def _trim(w: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    """Clip to [lo, hi] x the mean, repeating until the bounds hold for the clipped
    weights' own mean (clipping moves the mean)."""
    for _ in range(100):
        m = w.mean()
        a, b = (lo * m if lo is not None else -np.inf), (hi * m if hi is not None else np.inf)
        if w.min() >= a * (1 - 1e-12) and w.max() <= b * (1 + 1e-12):
            break
        w = np.clip(w, a, b)
    return w


def _clean_targets(targets: Mapping[str, object]) -> dict[str, pd.Series]:
    out = {}
    for var, t in targets.items():
        s = pd.Series(t, dtype=float) if not isinstance(t, pd.Series) else t.astype(float)
        s.index = s.index.map(str)
        s = s.groupby(level=0, sort=False).sum()
        if (s < 0).any() or not np.isfinite(s).all():
            raise AnalysisError(f"targets for '{var}' must be non-negative counts or shares")
        if s.sum() <= 0:
            raise AnalysisError(f"targets for '{var}' add up to zero")
        out[var] = s / s.sum()
    return out


def rake(
    sample: pd.DataFrame,
    targets: Mapping[str, object],
    *,
    base_weights=None,
    trim: tuple[float | None, float | None] | None = (0.3, 3.0),
    max_iter: int = 100,
    tolerance: float = 1e-6,
) -> RakingResult:
    """Rake a sample to known population margins.

    Parameters
    ----------
    sample : DataFrame
        One row per respondent, one column per raking variable (categories; compared
        as text, so ``2`` and ``"2"`` are the same category).
    targets : mapping of str to Series or dict
        For each variable, the population counts or shares by category.
    base_weights : Series or array, optional
        Starting (design) weights, aligned with ``sample``. Default: 1.
    trim : (lower, upper) or None, default=(0.3, 3.0)
        Bounds relative to the mean weight, applied after every pass; None or a None
        bound: no trimming on that side.
    max_iter : int, default=100
        Passes over all variables.
    tolerance : float, default=1e-6
        Largest absolute difference between a weighted and a target share (as a
        proportion) at which raking stops.

    Returns
    -------
    RakingResult

    Raises
    ------
    AnalysisError
        A variable missing from the sample, bad targets, or no respondent to rake.
    """
    variables = tuple(targets)
    missing = [v for v in variables if v not in sample.columns]
    if missing:
        raise AnalysisError(f"the sample has no column for raking variable(s) {', '.join(missing)}")
    tgt = _clean_targets(targets)
    n = len(sample)
    if base_weights is None:
        base = np.ones(n)
    else:
        base = np.asarray(base_weights.reindex(sample.index) if isinstance(base_weights, pd.Series) else base_weights,
                          dtype=float)
        if np.isnan(base).any() or (base <= 0).any():
            raise AnalysisError("base weights must be positive numbers for every respondent")
    values, ok = _rakeable(sample, variables, tgt)
    codes = {}
    for v in variables:
        cats = list(tgt[v].index)
        codes[v] = (pd.Categorical(values[v][ok], categories=cats).codes, tgt[v].to_numpy())
    lo, hi = (trim or (None, None))
    w, iterations, converged, err = _rake_passes(base[ok] / base[ok].mean(), [codes[v] for v in variables], lo, hi,
                                                 max_iter, tolerance)
    if not converged:
        warnings.warn(
            f"raking did not converge in {max_iter} passes (largest margin error {100 * err:.3f} points); the "
            "trimming bounds may be too tight for these targets: widen weighting.trim or merge categories",
            RakingWarning, stacklevel=2,
        )
    # unraked respondents keep their base weight relative to the raked ones' base mean
    full = np.empty(n)
    full[ok] = w * base[ok].mean()
    full[~ok] = base[~ok]
    full = full / full.mean()
    weights = pd.Series(full, index=sample.index, name="weight")
    m = full[ok].mean()
    n_trim = 0
    if lo is not None:
        n_trim += int(np.isclose(full[ok], lo * m, rtol=1e-6).sum())
    if hi is not None:
        n_trim += int(np.isclose(full[ok], hi * m, rtol=1e-6).sum())

    margins = _margins(variables, tgt, {v: values[v][ok] for v in variables}, base[ok], full[ok])
    diag = pd.Series({
        "n": n,
        "raked": int(ok.sum()),
        "not raked (missing values)": int((~ok).sum()),
        "iterations": iterations,
        "converged": converged,
        "largest margin error (points)": round(100 * err, 6),
        "design effect": design_effect(full),
        "effective n": effective_n(full),
        "min weight": float(full.min()),
        "max weight": float(full.max()),
        "weights on a trimming bound": n_trim,
        "lower bound": lo * m if lo is not None else np.nan,
        "upper bound": hi * m if hi is not None else np.nan,
    }, dtype=object)
    logger.info("raking on %s: deff %.3f, n_eff %.0f, %s", ", ".join(variables), diag["design effect"],
                diag["effective n"], "converged" if converged else "not converged")
    return RakingResult(weights=weights, margins=margins, diagnostics=diag, variables=variables)


def _rakeable(sample: pd.DataFrame, variables, tgt: dict) -> tuple[dict, np.ndarray]:
    """Each variable's values as text, and which respondents can be raked (a value on every
    variable, in a category the population has). A respondent in a category the population does
    not have is not raked, and a population category without any respondent is dropped from
    ``tgt`` (the others rescaled), each with a :class:`RakingWarning` (pointing at ``rake``'s
    caller). Returns (values by variable, mask of the raked respondents)."""
    values = {v: sample[v].map(lambda x: None if pd.isna(x) else str(x)) for v in variables}
    for v in variables:
        unknown = values[v].notna() & ~values[v].isin(tgt[v].index)
        if unknown.any():
            cats = sorted(values[v][unknown].unique())
            warnings.warn(
                f"{int(unknown.sum())} respondent(s) have {v} = {', '.join(cats)}, which the population does not "
                "have; they are not raked (check the categories match)", RakingWarning, stacklevel=3,
            )
            values[v] = values[v].where(~unknown, None)
    ok = np.ones(len(sample), dtype=bool)
    for v in variables:
        ok &= values[v].notna().to_numpy()
    if not ok.any():
        raise AnalysisError("no respondent has a value on every raking variable")
    for v in variables:
        present = set(values[v][ok].unique())
        empty = [c for c in tgt[v].index if c not in present and tgt[v][c] > 0]
        if empty:
            warnings.warn(
                f"no respondent in {v} = {', '.join(empty)} ({100 * tgt[v][empty].sum():.1f} % of the population); "
                "dropped from the targets and the other categories rescaled: merge small categories",
                RakingWarning, stacklevel=3,
            )
            t = tgt[v].drop(empty)
            tgt[v] = t / t.sum()
    return values, ok


def _rake_passes(w: np.ndarray, codes: list, lo, hi, max_iter: int, tolerance: float):
    """Iterative proportional fitting: each pass scales the weights to every variable's target
    shares in turn (``codes``: per variable, each raked respondent's category position and the
    target shares), then trims them to ``[lo, hi]`` × the mean. Stops when no weighted share is
    further than ``tolerance`` from its target. Returns (weights, passes, converged, largest error)."""
    iterations, converged, err = 0, False, np.inf
    for iterations in range(1, max_iter + 1):
        for c, t in codes:
            sums = np.bincount(c, weights=w, minlength=len(t))
            share = sums / w.sum()
            factor = np.divide(t, share, out=np.ones_like(t), where=share > 0)
            w = w * factor[c]
        if lo is not None or hi is not None:
            w = _trim(w, lo, hi)
        err = max(float(np.max(np.abs(np.bincount(c, weights=w, minlength=len(t)) / w.sum() - t))) for c, t in codes)
        if err < tolerance:
            converged = True
            break
    return w, iterations, converged, err


def _margins(variables, tgt: dict, values: dict, base: np.ndarray, full: np.ndarray) -> pd.DataFrame:
    """Per variable and category of the raked respondents: respondents, population %, sample %
    (base weights) and weighted %."""
    rows = []
    for v in variables:
        cats = list(tgt[v].index)
        vals = values[v]
        cnt = vals.value_counts().reindex(cats).fillna(0)
        bw = pd.Series(base, index=vals.index).groupby(vals.to_numpy()).sum().reindex(cats).fillna(0)
        ww = pd.Series(full, index=vals.index).groupby(vals.to_numpy()).sum().reindex(cats).fillna(0)
        for c in cats:
            rows.append({
                "variable": v, "category": c, "respondents": int(cnt[c]),
                "population %": 100 * tgt[v][c],
                "sample %": 100 * bw[c] / bw.sum(),
                "weighted %": 100 * ww[c] / ww.sum(),
            })
    return pd.DataFrame(rows).set_index(["variable", "category"]).round(3)


def _as_text(s: pd.Series) -> pd.Series:
    def conv(x):
        if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)):
            return None
        if isinstance(x, (bool, np.bool_)):
            return "yes" if x else "no"
        return str(x)

    return s.astype(object).map(conv)


def rake_to_base(behaviour, spec, *, survey: pd.DataFrame, columns, base_weights=None) -> RakingResult:
    """Rake the respondents of a :class:`~workbench.behaviour.Behaviour` to its customer base.

    Population margins come from ``behaviour.customers`` (all customers, or the active
    ones with ``population: active``; customers missing a variable are left out of that
    margin). A respondent's value comes from its customer's record; where that is missing
    and the variable is a coded survey question, from the respondent's own answer.

    Parameters
    ----------
    behaviour : Behaviour
    spec : WeightingSpec
        The study's ``weighting:`` section.
    survey : DataFrame
        The respondents' answers (same index as ``behaviour.respondents``).
    columns : dict of str to Column
        The study's survey columns (to label coded answers).
    base_weights : Series, optional
        Design weights to start from.

    Returns
    -------
    RakingResult
    """
    base = behaviour.customers
    if spec.population == "active":
        base = base[base["active"]]
    resp = behaviour.respondents
    targets, sample = {}, pd.DataFrame(index=resp.index)
    for v in spec.variables:
        if v not in base:
            raise AnalysisError(f"raking variable '{v}' is not a feature of the customer base")
        counts = _as_text(base[v]).value_counts()
        if isinstance(base[v].dtype, pd.CategoricalDtype):  # keep the categories' order
            order = [str(c) for c in base[v].cat.categories if str(c) in counts.index]
            counts = counts.reindex(order + [c for c in counts.index if c not in order])
        targets[v] = counts
        values = _as_text(resp[v])
        col = columns.get(v)
        if col is not None and col.scale.coded and v in survey:
            answered = survey[v].map(lambda x: col.scale.codes.get(int(x)) if pd.notna(x) else None)
            values = values.where(values.notna(), answered)
        sample[v] = values
    trim = (spec.trim.lower, spec.trim.upper)
    return rake(sample, targets, base_weights=base_weights, trim=trim, max_iter=spec.max_iter,
                tolerance=spec.tolerance)
