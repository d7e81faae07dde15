"""Candidate segmentations over a range of k and methods, with the fit table a reviewer reads."""

from __future__ import annotations

import dataclasses
import html
import logging
import warnings
from dataclasses import dataclass, field

import pandas as pd
from threadpoolctl import threadpool_limits

from ..errors import AnalysisError, WorkbenchWarning
from ._data import (
    SegmentationConvergenceWarning,
    SegmentationWarning,
    as_numeric_frame,
    prepare_weights,
    split_unanswered,
    standardise,
)
from ._blrt import bootstrap_many
from ._covariance import covariance_by_bic
from ._engine import MixtureProblem, add_starts, fit_mixtures, seed_int, start_seeds
from ._models import COVARIANCES, KMeansModel, LatentClassModel, LatentProfileModel, WardModel
from ..provenance import utc_now
from ._results import METHOD_NAMES, Segmentation, fit_versions
from ._stability import KINDS, stability_of_many
from ._structural import covariate_effects, distal_outcomes

__all__ = ["Candidates", "candidates", "METHODS", "FIT_COLUMNS"]

logger = logging.getLogger(__name__)

METHODS = ("lca", "lpa", "kmeans", "ward")
#: A bivariate residual above this (the 5 % point of chi-square with 1 df) points to local dependence.
BVR_LIMIT = 3.84
#: Above this the fit table flags strong local dependence (Latent GOLD users read BVR > 10 as strong).
STRONG_BVR = 10.0
#: Fit-table status of a candidate whose best log-likelihood fewer than 2 starts reached, even
#: after the added starts (Mplus: "the best loglikelihood value was not replicated").
NOT_REPLICATED = "not replicated"
#: Bivariate residuals listed per candidate in segments.xlsx.
BVR_SHOWN = 10
#: random starts per (structure, k) when ``covariance="auto"`` chooses the LPA structure
AUTO_STARTS = 3
FIT_COLUMNS = [
    "candidate", "method", "k", "status", "loglik", "n_parameters", "aic", "bic", "sabic", "caic", "icl_bic",
    "entropy", "classification_error", "inertia", "smallest_share", "smallest_n", "converged", "starts",
    "best_ll_replicated", "n_final_starts", "ll_gap", "ll_range", "n_starts", "starts_added", "start_agreement",
    "blrt_p", "blrt_reps", "blrt_p_floor", "max_bvr", "max_bvr_pair", "n_bvr_over_3_84", "stability_mean", "stability_p05",
    "lowest_bic", "flags", "message",
]


@dataclass(frozen=True, eq=False, repr=False)
class Candidates:
    """Every candidate segmentation of a basis, with the fit table and diagnostics.

    Iterating yields the successful :class:`Segmentation` objects (what
    :func:`workbench.criteria.score_candidates` takes); index with ``("lca", 5)``,
    ``"lca k=5"`` or ``"lca_5"``.

    Attributes
    ----------
    solutions : dict of (method, k) to Segmentation
    fit_table : DataFrame
        One row per method and k, failed runs included (``status`` and ``message`` say what
        happened: 'ok', 'failed', 'not converged', or 'not replicated' when fewer than 2
        starts reached the best log-likelihood even after the added starts). Columns: see
        :data:`FIT_COLUMNS`.
    stability : dict of (method, k) to Stability
    distal : dict of (method, k) to DistalOutcomes
    covariates : dict of (method, k) to CovariateEffects
    bases : dict of str to str
        What each method segmented (items, standardised items, factor scores).
    chosen : (method, k) or None
        The pinned choice, when the plan names one.
    n : int
        Respondents given.
    weighted : bool
    random_state : int
    settings : dict
    fitted : str
    versions : dict
    notes : tuple of str
    covariance_bic : DataFrame or None
        With ``covariance='auto'``: BIC per LPA covariance structure and k (mclust's table;
        lower is better) and the structure chosen.
    """

    solutions: dict = field(repr=False)
    fit_table: pd.DataFrame = field(repr=False)
    stability: dict = field(default_factory=dict, repr=False)
    distal: dict = field(default_factory=dict, repr=False)
    covariates: dict = field(default_factory=dict, repr=False)
    bases: dict = field(default_factory=dict)
    chosen: tuple | None = None
    n: int = 0
    weighted: bool = False
    random_state: int | None = None
    settings: dict = field(default_factory=dict, repr=False)
    fitted: str = ""
    versions: dict = field(default_factory=dict, repr=False)
    notes: tuple = ()
    covariance_bic: pd.DataFrame | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        kinds = ", ".join(f"{m} k={min(k for mm, k in self.solutions if mm == m)}..{max(k for mm, k in self.solutions if mm == m)}"
                          for m in dict.fromkeys(m for m, _ in self.solutions))
        return f"Candidates({len(self.solutions)} fitted: {kinds or 'none'}; n={self.n})"

    # ------------------------------------------------------------------ access
    def __iter__(self):
        return iter(self.solutions.values())

    def __len__(self) -> int:
        return len(self.solutions)

    def __contains__(self, key) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    def __getitem__(self, key) -> Segmentation:
        if isinstance(key, tuple):
            method, k = key
            return self.solutions[(method, int(k))]
        for sol in self.solutions.values():
            if key in (sol.name, sol.column):
                return sol
        raise KeyError(f"no candidate {key!r}; the candidates are {', '.join(s.name for s in self)}")

    def best(self, criterion: str = "bic", method: str = "lca") -> Segmentation:
        """The candidate of ``method`` with the lowest ``criterion`` (or highest, for entropy
        and stability)."""
        sols = [s for s in self if s.method == method]
        if not sols:
            raise AnalysisError(f"no successful {method} candidate to choose from")
        if criterion in ("entropy", "stability"):
            return max(sols, key=lambda s: (getattr(s, criterion) or float("-inf"), -s.k))
        return min(sols, key=lambda s: (getattr(s, criterion), s.k))

    @property
    def methods(self) -> list[str]:
        """The methods with at least one successful candidate, in the order they were fitted."""
        return list(dict.fromkeys(s.method for s in self))

    def leading(self, criterion: str = "bic", methods=("lca", "lpa")) -> Segmentation | None:
        """The candidate a notebook shows first: the :meth:`best` by ``criterion`` of the
        first of ``methods`` (model-based) with a successful candidate; when none of them
        has one, the most stable hard partition (k-means, then Ward; the smallest k when
        there were no bootstrap refits).

        So the lowest-BIC latent class solution, or the latent profile one when the plan
        fits no latent classes or every latent class candidate failed (a basis with more
        parameters than respondents, for one), or k-means when the plan fits nothing else.

        Parameters
        ----------
        criterion : str, default='bic'
            As for :meth:`best`, for the model-based methods.
        methods : sequence of str, default=('lca', 'lpa')
            The model-based methods in order of preference.

        Returns
        -------
        Segmentation or None
            None only when no candidate was fitted at all.
        """
        fitted = self.methods
        for m in methods:
            if m in fitted:
                return self.best(criterion, m)
        for m in ("kmeans", "ward"):
            if m in fitted:
                return self.best("stability", m)
        return None

    @property
    def choice(self) -> Segmentation | None:
        """The pinned candidate (``chosen``), when there is one and it was fitted."""
        if self.chosen is None:
            return None
        return self.solutions.get(tuple(self.chosen))

    # ------------------------------------------------------------------ tables
    def labels(self) -> pd.DataFrame:
        """Segment label of every respondent for every candidate (one column each, Int64)."""
        if not self.solutions:
            return pd.DataFrame()
        return pd.concat([s.labels.rename(s.column) for s in self], axis=1)

    def class_sizes(self) -> pd.DataFrame:
        """Size of each segment of each candidate (long table)."""
        frames = [s.class_sizes().assign(candidate=s.name) for s in self]
        if not frames:
            return pd.DataFrame()
        out = pd.concat(frames).reset_index()
        return out.set_index(["candidate", "segment"])

    def profiles(self) -> pd.DataFrame:
        """Mean of each basis variable per segment, every candidate: (candidate, variable) × segment."""
        frames = []
        for s in self:
            prof = s.profile()
            prof.index.name = "variable"
            frames.append(prof.assign(candidate=s.name).reset_index().set_index(["candidate", "variable"]))
        return pd.concat(frames) if frames else pd.DataFrame()

    def response_probabilities(self) -> pd.DataFrame:
        """LCA item-response probabilities of every LCA candidate: (candidate, variable, category) × segment."""
        frames = []
        for s in self:
            if s.method == "lca":
                rp = s.response_probabilities()
                frames.append(rp.assign(candidate=s.name).reset_index().set_index(["candidate", "variable",
                                                                                     "category"]))
        return pd.concat(frames) if frames else pd.DataFrame()

    def stability_table(self) -> pd.DataFrame:
        """Stability summary per candidate."""
        frames = [st.summary() for st in self.stability.values()]
        return pd.concat(frames) if frames else pd.DataFrame()

    def summary(self) -> pd.DataFrame:
        """The fit table's main columns, one row per method and k."""
        cols = ["status", "loglik", "n_parameters", "bic", "sabic", "aic", "caic", "entropy", "smallest_share",
                "smallest_n", "starts", "stability_mean", "flags"]
        return self.fit_table.set_index("candidate")[cols]

    def __str__(self) -> str:
        ok = len(self.solutions)
        lines = [f"{ok} candidate segmentation(s) of {self.n} respondents ({', '.join(self.bases)})"]
        for m, b in self.bases.items():
            lines.append(f"  {m}: {b}")
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            lines.append(self.summary().to_string(float_format=lambda v: f"{v:,.3f}"))
        if self.chosen:
            lines.append(f"chosen: {self.chosen[0]} k={self.chosen[1]}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = html.escape(f"{len(self.solutions)} candidate segmentations of {self.n} respondents")
        bases = "".join(f"<li>{html.escape(m)}: {html.escape(b)}</li>" for m, b in self.bases.items())
        return (f"<h4>{head}</h4><ul>{bases}</ul>"
                + self.summary().to_html(float_format=lambda v: f"{v:,.3f}", na_rep=""))

    # ------------------------------------------------------------------ plots
    def plot_fit(self, criteria=("bic", "sabic", "aic", "caic"), methods=None):
        """Information criteria by k for each model-based method, and k-means' elbow.

        Lower is better; the lowest BIC of each method is marked.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        ft = self.fit_table[self.fit_table["status"] != "failed"]
        methods = [m for m in (methods or METHODS) if m in set(ft["method"])]
        model_based = [m for m in methods if m in ("lca", "lpa")]
        hard = [m for m in methods if m in ("kmeans", "ward")]
        panels = len(model_based) + (1 if hard else 0)
        if panels == 0:
            raise AnalysisError("no successful candidate to plot")
        fig = Figure(figsize=(5.2 * panels, 3.8))  # not pyplot: shown once in a notebook
        axes = fig.subplots(1, panels, squeeze=False)
        for ax, m in zip(axes[0], model_based):
            sub = ft[ft["method"] == m].sort_values("k")
            for crit in criteria:
                ax.plot(sub["k"], sub[crit], marker="o", label=crit.upper())
            best = sub.loc[sub["bic"].idxmin()]
            ax.axvline(best["k"], color="grey", ls=":", lw=1)
            ax.annotate(f"lowest BIC: k={int(best['k'])}", (best["k"], best["bic"]), textcoords="offset points",
                        xytext=(6, 8), fontsize=8)
            ax.set_title(METHOD_NAMES[m], fontsize=10)
            ax.set_xlabel("number of segments (k)")
            ax.set_ylabel("information criterion (lower is better)")
            ax.set_xticks(sorted(sub["k"].unique()))
            ax.legend(fontsize=8)
        if hard:
            ax = axes[0][-1]
            for m in hard:
                sub = ft[ft["method"] == m].sort_values("k")
                ax.plot(sub["k"], sub["inertia"], marker="o", label=METHOD_NAMES[m])
            ax.set_title("within-segment sum of squares (elbow)", fontsize=10)
            ax.set_xlabel("number of segments (k)")
            ax.set_xticks(sorted(ft[ft["method"].isin(hard)]["k"].unique()))
            ax.legend(fontsize=8)
        fig.tight_layout()
        return fig

    def plot_profiles(self, method: str, k: int, **kwargs):
        """Profile heatmap of one candidate (see :meth:`Segmentation.plot_profiles`)."""
        return self[(method, k)].plot_profiles(**kwargs)

    # ------------------------------------------------------------------ export
    def to_sheets(self, labels=None) -> tuple[dict, dict]:
        """Tables for ``segments.xlsx`` and a note for each sheet.

        Parameters
        ----------
        labels : mapping of column to text, optional
            Variable labels added to the profile sheets.

        Returns
        -------
        (dict of str to DataFrame, dict of str to str)
        """
        sheets, notes = {}, {}
        ft = fit_by_likelihood(self.fit_table).set_index("candidate")
        sheets["fit"] = ft
        notes["fit"] = ("One row per method and number of segments. Log-likelihood, AIC, BIC, SABIC, CAIC and ICL-BIC "
                        "are in one column per likelihood (latent classes: the probability of the coded answers; "
                        "latent profiles: the density of the scores): they are on different scales, so compare them "
                        "within a column only. Lower AIC / BIC / SABIC / CAIC is better; "
                        "entropy near 1 = crisp classification; starts = finished starts reaching the best "
                        "log-likelihood (within 0.01 of it and classifying the respondents alike, adjusted Rand index at least "
                        "0.99; status 'not replicated' and the flags say 'best log-likelihood "
                        "not replicated' when fewer than 2 did, even after adding starts), the log-likelihood gap = how far the "
                        "next distinct maximum (the best start not reaching the best) stopped below it; the BLRT p-value = bootstrap likelihood-ratio test of k against k-1 "
                        "segments (BLRT draws; p at most 0.05 = k fits better than k-1; BLRT p floor = the smallest p-value "
                        "the draws can give, 1/(draws+1): a p-value at the floor means no draw reached the observed ratio); the largest bivariate residual "
                        "(local dependence between two items; above 3.84 notable, above 10 strong); "
                        "stability = mean adjusted Rand index over refits.")
        bvr = [s.bivariate_residuals.head(BVR_SHOWN).assign(candidate=s.name) for s in self
               if s.method == "lca" and s.bivariate_residuals is not None and len(s.bivariate_residuals)]
        if bvr:
            sheets["bivariate residuals"] = pd.concat(bvr).reset_index(drop=True).set_index(["candidate", "item_1",
                                                                                             "item_2"])
            notes["bivariate residuals"] = (f"The {BVR_SHOWN} largest bivariate residuals of every LCA candidate "
                                            "(Latent GOLD: Pearson chi-square of the two items' table against the "
                                            "model, per degree of freedom). Above 3.84 the two items are more "
                                            "related within segments than the model allows.")
        sizes = self.class_sizes()
        if not sizes.empty:
            sheets["class sizes"] = sizes
            notes["class sizes"] = ("Share = estimated share; n / assigned share = respondents assigned to the segment; "
                                    "average membership probability = how sure their assignment is on average "
                                    "(above 0.8 = well separated).")
        prof = self.profiles()
        if not prof.empty:
            if labels:
                prof.insert(0, "label", [labels.get(v, "") for v in prof.index.get_level_values("variable")])
            sheets["profiles"] = prof
            notes["profiles"] = ("Mean of each basis variable per segment (LCA: expected answer code; LPA: profile "
                                 "mean; k-means / Ward: centroid on the standardised basis).")
        rp = self.response_probabilities()
        if not rp.empty:
            if labels:
                rp.insert(0, "label", [labels.get(v, "") for v in rp.index.get_level_values("variable")])
            sheets["item-response probabilities"] = rp
            notes["item-response probabilities"] = "P(answer | segment) for every LCA candidate."
        st = self.stability_table()
        sheets["stability"] = st
        notes["stability"] = ("Refits on resampled respondents compared with the full-sample segmentation by the "
                              "adjusted Rand index (1 = identical; above 0.8 stable, below 0.65 unstable).")
        if self.distal:
            sheets["distal outcomes"] = pd.concat(
                [d.table.assign(candidate=d.candidate) for d in self.distal.values()]
            ).set_index(["candidate", "outcome", "level", "segment"])
            notes["distal outcomes"] = ("Segment means / shares of behavioural KPIs: 'adjusted' = bias-adjusted "
                                        "three-step ML (Vermunt 2010), 'modal' = from modal assignment.")
        if self.covariates:
            sheets["covariates"] = pd.concat(
                [c.shares.assign(candidate=c.candidate) for c in self.covariates.values()]
            ).set_index(["candidate", "covariate", "level", "segment"])
            notes["covariates"] = ("Segment shares within each covariate level, from a multinomial logit of "
                                   "membership on the covariates (bias-adjusted three-step ML).")
            sheets["covariate coefficients"] = pd.concat(
                [c.coefficients.assign(candidate=c.candidate) for c in self.covariates.values()]
            ).set_index(["candidate", "term", "segment"])
            notes["covariate coefficients"] = "Log-odds of each segment against segment 1 (the largest)."
        if self.covariance_bic is not None:
            sheets["LPA covariance (BIC)"] = self.covariance_bic
            notes["LPA covariance (BIC)"] = ("BIC (-2 LL + p ln n, lower is better; mclust's BIC with the sign flipped) of "
                                             "every latent profile covariance structure at every k (a few random starts "
                                             "each); the structure with the lowest BIC is used for the LPA candidates "
                                             "(mclust's rule), fitted with every start.")
        starts = [s.starts.assign(candidate=s.name) for s in self]
        if starts:
            sheets["starts"] = pd.concat(starts).set_index(["candidate", "start"])
            notes["starts"] = "Every random start of every candidate: the diagnostics behind 'starts' in the fit table."
        about = {"respondents": self.n, "weighted": self.weighted, "random_state": self.random_state,
                 "fitted (UTC)": self.fitted, "chosen": f"{self.chosen[0]} k={self.chosen[1]}" if self.chosen else ""}
        about.update({f"basis ({m})": b for m, b in self.bases.items()})
        about.update({f"setting {k}": str(v) for k, v in self.settings.items()})
        about.update({f"version {k}": v for k, v in self.versions.items()})
        about.update({f"note {i + 1}": n for i, n in enumerate(self.notes)})
        sheets["about"] = pd.DataFrame({"value": pd.Series(about, dtype=object)})
        notes["about"] = "How these candidates were made."
        return sheets, notes


#: Fit statistics that are only comparable between candidates of one likelihood.
LIKELIHOOD_COLUMNS = ("loglik", "aic", "bic", "sabic", "caic", "icl_bic", "lowest_bic")
#: Methods with a likelihood, each its own family (latent classes model the coded answers,
#: latent profiles the density of the scores: their log-likelihoods are on different scales).
LIKELIHOOD_FAMILIES = ("lca", "lpa")


def fit_by_likelihood(fit_table: pd.DataFrame) -> pd.DataFrame:
    """The fit table with each likelihood-based statistic in one column per likelihood family.

    A latent class BIC (on the coded answers) and a latent profile BIC (on factor scores)
    are not comparable, so ``bic`` becomes ``bic_lca`` and ``bic_lpa`` (each filled for its
    own candidates only, in the place of ``bic``), and so for ``loglik``, ``aic``,
    ``sabic``, ``caic``, ``icl_bic`` and ``lowest_bic``; k-means and Ward have none.
    """
    ft = fit_table.copy()
    fams = [m for m in LIKELIHOOD_FAMILIES if (ft["method"] == m).any()] or ["lca"]
    for c in LIKELIHOOD_COLUMNS:
        if c not in ft.columns:
            continue
        at = ft.columns.get_loc(c)
        for j, m in enumerate(fams):
            col = ft[c].where(ft["method"] == m)
            if c == "lowest_bic":
                col = col.astype("boolean")
            ft.insert(at + 1 + j, f"{c}_{m}", col)
        ft = ft.drop(columns=c)
    return ft


def _basis_note(frame: pd.DataFrame, kind: str) -> str:
    return f"{frame.shape[1]} {kind}"


def candidates(
    data,
    k_range=range(2, 9),
    methods=("lca",),
    *,
    scores=None,
    n_init: int = 50,
    init_iter: int = 50,
    n_final: int | None = None,
    max_iter: int = 1000,
    tol: float = 1e-8,
    covariance: str = "diag",
    min_class_share: float = 0.05,
    min_segment_n: int = 0,
    sample_weight=None,
    n_bootstrap: int = 0,
    stability_kind: str = "bootstrap",
    stability_n_init: int = 3,
    covariates: pd.DataFrame | None = None,
    distal: pd.DataFrame | None = None,
    choice=None,
    structural_candidates: str = "all",
    random_state=None,
    n_jobs: int = 1,
    progress: bool = True,
    measurement="nominal",
    max_starts: int | None = None,
    blrt_reps: int = 19,
    blrt_stop_after: int = 5,
    blrt_starts: int = 0,
    blrt_for: str = "all",
    blrt_methods=("lca",),
) -> Candidates:
    """Fit candidate segmentations for every method and number of segments.

    Parameters
    ----------
    data : DataFrame
        The categorical basis: respondents × items, coded answers, NaN missing (what LCA
        segments).
    k_range : iterable of int, default=range(2, 9)
    methods : iterable of {'lca', 'lpa', 'kmeans', 'ward'}, default=('lca',)
    scores : DataFrame, optional
        A continuous basis for LPA, k-means and Ward (e.g. factor scores). Without it they
        segment the standardised ``data`` (z-scores; LPA keeps missing answers missing,
        k-means and Ward replace them by the item mean, 0), as ``bases`` records.
    n_init, init_iter, n_final, max_iter, tol
        Random starts (see :class:`LatentClassModel`); ``n_init`` also for k-means.
    covariance : {'auto', 'diag', 'spherical', 'tied', 'full'}, default='diag'
        LPA covariance structure; 'auto' fits all four at every k (at most
        ``AUTO_STARTS`` random starts each, one final run; 'tied' and 'full' not when a
        respondent has missing values) and uses the one with the lowest BIC over all k
        (mclust's rule), with the table in ``covariance_bic``; the LPA candidates are then
        fitted with that structure and ``n_init`` starts.
    min_class_share : float, default=0.05
        Candidates whose smallest segment is below this share are flagged in the fit table.
    min_segment_n : int, default=0
        Candidates whose smallest segment has fewer respondents are flagged.
    sample_weight : Series or array-like, optional
        Survey weights (Ward's method ignores them and says so).
    n_bootstrap : int, default=0
        Stability refits per candidate (0 = stability not measured).
    stability_kind : {'bootstrap', 'split-half'}, default='bootstrap'
    stability_n_init : int, default=3
    covariates : DataFrame, optional
        Covariates of membership (e.g. firmographics), indexed by respondent id; fitted for
        every LCA / LPA candidate.
    distal : DataFrame, optional
        Distal outcomes (e.g. behavioural KPIs), indexed by respondent id.
    choice : (method, k), optional
        The consultant's pinned candidate.
    structural_candidates : {'all', 'best'}, default='all'
        Which LCA / LPA candidates get distal outcomes and covariates: every one, or the
        pinned choice and each method's lowest-BIC candidate.
    random_state : int, numpy Generator or None
    n_jobs : int, default=1
        Threads for the latent class / profile starts, worker processes (joblib) for the
        stability refits; -1 = all cores. Results do not depend on it.
    progress : bool, default=True
    measurement : {'nominal', 'ordinal'} or dict of item to one of them, default='nominal'
        How LCA models the items (see :class:`LatentClassModel`).
    max_starts : int, optional
        When fewer than 2 finished starts of an LCA candidate reach its best log-likelihood,
        or fewer than half of them and added starts still improve it, ``n_init`` more
        starts are run, until neither holds or this many starts ran (default
        ``4 × n_init``; the fit table's ``starts_added`` and ``flags`` say so; see
        :func:`~workbench.segments._engine.add_starts`).
    blrt_reps, blrt_stop_after, blrt_starts : int, default=19, 5, 0
        Bootstrap likelihood-ratio test of every candidate of ``blrt_methods`` against one class
        fewer (Mplus TECH14; mclust's ``mclustBootstrapLRT`` for profiles): at most ``blrt_reps``
        draws, stopping once ``blrt_stop_after`` of them reach the observed ratio (the p-value
        is then clearly above 0.05); ``blrt_starts`` random starts per LCA draw besides the
        observed estimates and a split of the largest class. ``blrt_reps=0`` = no test. The
        rule: p at most 0.05 = k fits better. The floor, the smallest p-value the draws can
        give, is 1/(blrt_reps + 1) and shown as ``blrt_p_floor`` in the fit table: 19 draws
        (the default) give 0.05, an exact 5 % Monte-Carlo test that says "at most 0.05" when
        no draw reaches the observed ratio; 99 (floor 0.01) decide p-values near 0.05 finely.
    blrt_methods : iterable of {'lca', 'lpa'}, default=('lca',)
        Which model-based methods get the test; 'lpa' draws Gaussian samples (tied and full
        covariances make each draw's EM slow, hence opt-in).
    blrt_for : {'all', 'bic'}, default='all'
        Which LCA candidates get the test: every one, or only the two around the lowest
        BIC (that k against k-1, and k+1 against k), which is what a choice of k needs and
        costs two tests instead of one per k.

    Returns
    -------
    Candidates

    Raises
    ------
    AnalysisError
        Bad arguments or a basis nothing can be fitted on. A single (method, k) that fails
        does not raise: its fit-table row says why.
    """
    methods = tuple(methods)
    if blrt_for not in ("all", "bic"):
        raise ValueError(f"blrt_for must be 'all' or 'bic', not {blrt_for!r}")
    if not set(blrt_methods) <= {"lca", "lpa"}:
        raise ValueError(f"blrt_methods must name 'lca' and / or 'lpa', not {list(blrt_methods)!r}")
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise AnalysisError(f"unknown method(s) {', '.join(map(repr, bad)) or '(none given)'}; expected {', '.join(METHODS)}")
    if len(set(methods)) != len(methods):
        raise AnalysisError(f"methods repeat: {', '.join(methods)}")
    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 1:
        raise AnalysisError(f"k_range must hold whole numbers of at least 1, got {list(k_range)!r}")
    if covariance not in COVARIANCES + ("auto",):
        raise AnalysisError(f"unknown covariance structure {covariance!r}; expected one of {', '.join(COVARIANCES)}")
    if stability_kind not in KINDS:
        raise AnalysisError(f"unknown stability kind {stability_kind!r}; expected one of {', '.join(KINDS)}")
    if choice is not None:
        choice = (str(choice[0]), int(choice[1]))
        if choice[0] not in methods or choice[1] not in ks:
            raise AnalysisError(
                f"the pinned choice {choice[0]} k={choice[1]} is not among the candidates "
                f"(methods {', '.join(methods)}, k {ks[0]}-{ks[-1]})"
            )
    base = seed_int(random_state)
    frame = as_numeric_frame(data, "basis")
    w_full = prepare_weights(sample_weight, frame.index)
    w_series = None if w_full is None else pd.Series(w_full, index=frame.index)
    notes: list[str] = []
    bases: dict[str, str] = {}
    rows: dict[tuple, dict] = {}
    estimators: dict[tuple, object] = {}
    fitted_frames: dict[str, pd.DataFrame] = {}
    caught_all: list = []
    covariance_bic = None

    def fail(key, exc):
        rows[key] = {"status": "failed", "message": str(exc)}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WorkbenchWarning)
        # -------------------------------------------------------- model-based: one pooled job list
        problems, plan = [], []
        if "lca" in methods:
            used, excluded = split_unanswered(frame, "basis")
            w = _subset_weights(w_series, used.index)
            cache: dict = {}
            bases["lca"] = _basis_note(frame, "basis items (coded answers; missing answers in the likelihood)")
            fitted_frames["lca"] = frame
            for k in ks:
                est = LatentClassModel(k, measurement=measurement, n_init=n_init, init_iter=init_iter, n_final=n_final,
                                       max_iter=max_iter, tol=tol, random_state=base, progress=False)
                try:
                    est.feature_names_in_, est.n_features_in_ = list(frame.columns), frame.shape[1]
                    args = est._problem_args(used, cache)
                except AnalysisError as exc:
                    fail(("lca", k), exc)
                    continue
                if w is not None:
                    args["lca"] = dataclasses.replace(args["lca"], weights=w, weighted=True)
                problems.append(_problem(est, "lca", k, base, n_init, max_iter, tol, w, args))
                plan.append((("lca", k), est, used, excluded, w, frame.index))
        cont = None
        if any(m in methods for m in ("lpa", "kmeans", "ward")):
            cont, cont_note = _continuous_basis(frame, scores, w_series)
            fitted_frames["continuous"] = cont
        if "lpa" in methods:
            used_c, excluded_c = split_unanswered(cont, "continuous basis")
            wc = _subset_weights(w_series, used_c.index)
            # standardised items are discrete: a profile whose members all give the same answer has
            # no variance on that item, and the likelihood runs off to infinity without a floor
            reg = 1e-6 if scores is not None else 1e-2
            if covariance == "auto":
                # the structure is chosen with a few starts per (structure, k); the chosen one is
                # then fitted like any other candidate, with every start
                pick_starts = min(n_init, AUTO_STARTS)
                covariance, _, covariance_bic, _ = covariance_by_bic(
                    used_c, ks, sample_weight=wc, n_init=pick_starts, init_iter=init_iter, n_final=1,
                    max_iter=max_iter, tol=tol, min_class_share=min_class_share, reg_covar=reg, random_state=base,
                    n_jobs=n_jobs)
                fitted_s = [s for s in covariance_bic.index if covariance_bic.loc[s, [f"k={k}" for k in ks]].notna().any()]
                notes.append(f"LPA covariance '{covariance}' chosen by BIC among {', '.join(fitted_s)} "
                             f"({pick_starts} start(s) each; see the 'LPA covariance (BIC)' table)")
            lpa_cache: dict = {}
            bases["lpa"] = cont_note + f"; covariance '{covariance}'" + (
                "; variances regularised by 0.01 (the items are discrete)" if scores is None else "")
            for k in ks:
                est = LatentProfileModel(k, covariance=covariance, n_init=n_init, init_iter=init_iter, n_final=n_final,
                                         max_iter=max_iter, tol=tol, reg_covar=reg, random_state=base, progress=False)
                try:
                    est.feature_names_in_, est.n_features_in_ = list(cont.columns), cont.shape[1]
                    args = est._problem_args(used_c, lpa_cache, weights=wc)
                except AnalysisError as exc:
                    fail(("lpa", k), exc)
                    continue
                problems.append(_problem(est, "lpa", k, base, n_init, max_iter, tol, wc, args))
                plan.append((("lpa", k), est, used_c, excluded_c, wc, cont.index))
        logger.info("fitting %d latent class / profile model(s) from %d random starts each", len(problems), n_init)
        grids = fit_mixtures(problems, init_iter=init_iter, n_final=n_final, n_jobs=n_jobs, progress=progress)
        grids, added = add_starts(grids, base, n_init, max_starts, init_iter, n_final, n_jobs, progress)
        for (key, est, used_k, excluded_k, w_k, full_index), grid in zip(plan, grids):
            try:
                with warnings.catch_warnings(record=True) as conv:
                    warnings.simplefilter("always", WorkbenchWarning)
                    est._set_from_grid(grid, used_k, excluded_k, w_k, full_index, base)
                estimators[key] = est
                if any(issubclass(c.category, SegmentationConvergenceWarning) for c in conv):
                    rows[key] = {"status": "not converged",
                                 "message": f"best start stopped at max_iter={max_iter}; try a larger max_iter"}
            except AnalysisError as exc:
                fail(key, exc)
        # -------------------------------------------------------- hard partitions
        if "kmeans" in methods or "ward" in methods:
            filled = cont.fillna(0.0 if scores is None else cont.mean())
            n_filled = int(cont.isna().any(axis=1).sum())
            if n_filled:
                notes.append(f"k-means / Ward: {n_filled} respondent(s) with missing values got the "
                             f"{'item' if scores is None else 'variable'} mean in place of each missing value")
            for m in ("kmeans", "ward"):
                if m not in methods:
                    continue
                bases[m] = cont_note + ("; missing values set to the mean" if n_filled else "")
                if m == "ward" and w_full is not None:
                    bases[m] += "; unweighted (Ward's method takes no weights)"
                for k in ks:
                    try:
                        with threadpool_limits(limits=1):
                            est = (KMeansModel(k, n_init=n_init, random_state=base).fit(filled, sample_weight=w_series)
                                   if m == "kmeans" else WardModel(k).fit(filled))
                        estimators[(m, k)] = est
                    except AnalysisError as exc:
                        fail((m, k), exc)
        caught_all = list(caught)

    solutions = {}
    for m in methods:
        for k in ks:
            if (m, k) in estimators:
                solutions[(m, k)] = Segmentation.from_model(estimators[(m, k)], basis=bases.get(m, ""))
                if m == "lca":
                    solutions[(m, k)] = solutions[(m, k)].with_diagnostics(starts_added=added.get((m, k), 0))
    # ------------------------------------------------------------ bootstrap LRT (k against k - 1)
    if blrt_reps and blrt_reps > 0:
        tasks, keys = [], []
        for method in ("lca", "lpa"):
            if method not in methods or method not in tuple(blrt_methods):
                continue
            m_plan = {key: (est, p) for (key, est, *_), p in zip(plan, problems) if key[0] == method}
            fitted_m = {key[1]: sol.bic for key, sol in solutions.items() if key[0] == method}
            if blrt_for == "bic" and fitted_m:
                k_bic = min(fitted_m, key=fitted_m.get)
                m_plan = {key: v for key, v in m_plan.items() if key[1] in (k_bic, k_bic + 1)}
            for key, (est, prob) in m_plan.items():
                k = key[1]
                if key not in solutions or k < 2:
                    continue
                h0 = estimators.get((method, k - 1))
                if h0 is None:  # the grid's smallest k: fit k - 1 classes for the test
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore", WorkbenchWarning)
                            if method == "lca":
                                h0 = LatentClassModel(k - 1, measurement=measurement, n_init=n_init,
                                                      init_iter=init_iter, max_starts=max_starts, n_final=n_final,
                                                      max_iter=max_iter, tol=tol, random_state=base, progress=False)
                                h0.fit(fitted_frames["lca"], sample_weight=w_series)
                            else:
                                h0 = LatentProfileModel(k - 1, covariance=covariance, n_init=n_init,
                                                        init_iter=init_iter, n_final=n_final, max_iter=max_iter,
                                                        tol=tol, reg_covar=est.reg_covar, random_state=base,
                                                        progress=False)
                                h0.fit(fitted_frames["continuous"].loc[est.posteriors_.index], sample_weight=wc)
                    except AnalysisError as exc:
                        notes.append(f"bootstrap LRT of {method} k={k} not run: {exc}")
                        continue
                common = dict(k=k, ll_k=est.loglik_, ll_h0=h0.loglik_, max_reps=int(blrt_reps),
                              stop_after=int(blrt_stop_after), seed=start_seeds(base, method, 100 + k, 1)[0],
                              max_iter=min(max_iter, 200), tol=max(tol, 1e-6))
                if method == "lca":
                    tasks.append(dict(common, data=prob.lca, theta_k=est.theta_, theta_h0=h0.theta_,
                                      n_starts=int(blrt_starts)))
                else:
                    tasks.append(dict(common, kind="lpa", data=prob.gauss, params_k=est.params_,
                                      params_h0=h0.params_))
                keys.append(key)
        logger.info("bootstrap LRT: at most %d draws for each of %d LCA / LPA candidate(s)", blrt_reps, len(tasks))
        for key, res in zip(keys, bootstrap_many(tasks, n_jobs=n_jobs)):
            solutions[key] = solutions[key].with_diagnostics(blrt=res)
    # ------------------------------------------------------------ stability
    stab: dict = {}
    if n_bootstrap and n_bootstrap > 0 and solutions:
        logger.info("stability: %d %s refit(s) of each of %d candidate(s)", n_bootstrap, stability_kind, len(solutions))
        keys = list(solutions)
        items = [(solutions[key], fitted_frames["lca"] if key[0] == "lca"
                  else _hard_or_lpa_frame(key[0], fitted_frames, scores)) for key in keys]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", WorkbenchWarning)
            results = stability_of_many(items, n_reps=n_bootstrap, kind=stability_kind, n_init=stability_n_init,
                                        random_state=base, n_jobs=n_jobs, progress=progress)
        for key, st in zip(keys, results):
            stab[key] = st
            solutions[key] = solutions[key].with_stability(st.mean, st.ok.to_list())
    # ------------------------------------------------------------ distal outcomes and covariates
    if structural_candidates not in ("all", "best"):
        raise AnalysisError(f"structural_candidates must be 'all' or 'best', got {structural_candidates!r}")
    selected = set(solutions)
    if structural_candidates == "best":
        selected = {choice} if choice else set()
        for m in ("lca", "lpa"):
            sols = [s for key, s in solutions.items() if key[0] == m]
            if sols:
                selected.add((m, min(sols, key=lambda s: (s.bic, s.k)).k))
    dist, covs = {}, {}
    for key, sol in solutions.items():
        if key[0] not in ("lca", "lpa") or key not in selected:
            continue
        basis = fitted_frames["lca"] if key[0] == "lca" else fitted_frames["continuous"]
        if distal is not None and len(distal.columns):
            try:
                dist[key] = distal_outcomes(sol, basis, distal, errors="skip")
                for msg in dist[key].skipped:
                    notes.append(f"{sol.name}: {msg}")
            except AnalysisError as exc:
                notes.append(f"distal outcomes of {sol.name} not estimated: {exc}")
        if covariates is not None and len(covariates.columns):
            try:
                covs[key] = covariate_effects(sol, basis, covariates)
            except AnalysisError as exc:
                notes.append(f"covariates of {sol.name} not estimated: {exc}")

    fit_table = _fit_table(methods, ks, solutions, rows, stab, min_class_share, min_segment_n)
    if "lca" in methods and ft_note_needed(fit_table):
        notes.append("best log-likelihood not replicated for "
                     + ", ".join(fit_table.loc[fit_table["flags"].str.contains("not replicated"), "candidate"])
                     + f" even with {max_starts or 4 * n_init} starts: treat those candidates with caution")
    # one warning per kind of problem, naming the runs (not one per run)
    failed = fit_table[~fit_table["status"].isin(["ok", NOT_REPLICATED])]  # not replicated: the note above
    seen = set()
    for c in caught_all:
        if issubclass(c.category, SegmentationConvergenceWarning):
            continue
        msg = str(c.message)
        if msg not in seen:
            seen.add(msg)
            warnings.warn(msg, c.category, stacklevel=2)
    if len(failed):
        warnings.warn(
            "not every candidate fitted cleanly: "
            + "; ".join(f"{r.candidate}: {r.status}" for r in failed.itertuples())
            + " (the fit table's message column says why and what to try)",
            SegmentationConvergenceWarning if (failed["status"] == "not converged").all() else SegmentationWarning,
            stacklevel=2,
        )
    settings = dict(k_range=ks, methods=list(methods), structural_candidates=structural_candidates, n_init=n_init,
                    measurement=measurement, max_starts=max_starts, blrt_reps=blrt_reps, blrt_for=blrt_for, init_iter=init_iter, n_final=n_final,
                    max_iter=max_iter, tol=tol, covariance=covariance, min_class_share=min_class_share,
                    min_segment_n=min_segment_n, n_bootstrap=n_bootstrap, stability_kind=stability_kind,
                    stability_n_init=stability_n_init)
    return Candidates(
        solutions=solutions, fit_table=fit_table, stability=stab, distal=dist, covariates=covs, bases=bases,
        chosen=choice, n=len(frame), weighted=w_full is not None, random_state=base, settings=settings,
        fitted=utc_now(), versions=fit_versions(),
        notes=tuple(notes), covariance_bic=covariance_bic,
    )


def _problem(est, method, k, base, n_init, max_iter, tol, w, args):
    return MixtureProblem(key=(method, k), k=k, seeds=tuple(start_seeds(base, method, k, n_init)), weights=w,
                          max_iter=max_iter, tol=float(tol), **args)


def ft_note_needed(ft: pd.DataFrame) -> bool:
    return bool(ft["flags"].fillna("").str.contains("not replicated").any())


def _subset_weights(w_series, index):
    if w_series is None:
        return None
    w = w_series.loc[index].to_numpy(dtype=float)
    if w.sum() <= 0:
        raise AnalysisError("the respondents with answers all have weight zero")
    return w * (len(w) / w.sum())


def _continuous_basis(frame: pd.DataFrame, scores, w_series) -> tuple[pd.DataFrame, str]:
    if scores is not None:
        sc = as_numeric_frame(scores, "scores")
        missing = frame.index.difference(sc.index)
        if len(missing):
            raise AnalysisError(
                f"the scores lack {len(missing)} of the basis respondents (e.g. {missing[0]}); give scores for every "
                "respondent (NaN where they cannot be scored)"
            )
        sc = sc.loc[frame.index]
        return sc, f"{sc.shape[1]} scores ({', '.join(map(str, sc.columns[:6]))}{' ...' if sc.shape[1] > 6 else ''})"
    w = None if w_series is None else w_series.loc[frame.index].to_numpy()
    z = standardise(frame, w)
    return z, (f"{frame.shape[1]} standardised basis items (z-scores; no factor scores were given)")


def _hard_or_lpa_frame(method, fitted_frames, scores):
    cont = fitted_frames["continuous"]
    if method == "lpa":
        return cont
    return cont.fillna(0.0 if scores is None else cont.mean())


def _fit_table(methods, ks, solutions, rows, stab, min_share, min_n) -> pd.DataFrame:
    out = []
    for m in methods:
        for k in ks:
            key = (m, k)
            row = {"candidate": f"{m} k={k}", "method": m, "k": k, "status": "ok", "message": ""}
            row.update(rows.get(key, {}))
            sol = solutions.get(key)
            if sol is not None:
                fi = sol.fit_indices()
                row.update({c: fi[c] for c in ("loglik", "n_parameters", "aic", "bic", "sabic", "caic", "icl_bic",
                                               "entropy", "classification_error", "inertia")})
                if m in ("kmeans", "ward"):
                    for c in ("loglik", "n_parameters", "aic", "bic", "sabic", "caic", "icl_bic"):
                        row[c] = float("nan")
                row.update({
                    "smallest_share": sol.smallest_share, "smallest_n": sol.smallest_n, "converged": sol.converged,
                    "starts": f"{sol.best_ll_replicated}/{sol.n_final_starts}",
                    "best_ll_replicated": sol.best_ll_replicated, "n_final_starts": sol.n_final_starts,
                    "start_agreement": sol.start_agreement, "ll_gap": sol.ll_gap, "ll_range": sol.ll_range,
                    "n_starts": sol.n_starts, "starts_added": sol.starts_added,
                })
                if sol.blrt is not None:
                    row["blrt_p"], row["blrt_reps"] = sol.blrt.p_value, sol.blrt.replications
                    row["blrt_p_floor"] = sol.blrt.p_floor
                bvr = sol.bivariate_residuals
                if bvr is not None and len(bvr):
                    row["max_bvr"] = float(bvr["bvr"].iloc[0])
                    row["max_bvr_pair"] = f"{bvr['item_1'].iloc[0]} & {bvr['item_2'].iloc[0]}"
                    row["n_bvr_over_3_84"] = int((bvr["bvr"] > BVR_LIMIT).sum())
                flags = []
                if sol.smallest_share < min_share:
                    flags.append(f"smallest segment {sol.smallest_share:.1%} < {min_share:.0%}")
                if min_n and sol.smallest_n < min_n:
                    flags.append(f"smallest segment n={sol.smallest_n} < {min_n}")
                if m in ("lca", "lpa") and sol.n_final_starts > 1 and sol.best_ll_replicated < 2:
                    flags.append(f"best log-likelihood not replicated (in {sol.n_starts} starts): add starts")
                    if row["status"] == "ok":  # Mplus: THE BEST LOGLIKELIHOOD VALUE WAS NOT REPLICATED
                        row["status"] = NOT_REPLICATED
                        added = f", {sol.starts_added} of them added" if sol.starts_added else ""
                        row["message"] = (f"best log-likelihood not replicated: reached by {sol.best_ll_replicated} "
                                          f"of {sol.n_final_starts} finished starts ({sol.n_starts} starts{added}); "
                                          "the solution may be a local maximum: run more starts (n_init, "
                                          "max_starts) before trusting it")
                elif m == "lca" and sol.starts_added:
                    flags.append(f"best log-likelihood replicated and confirmed with {sol.starts_added} added starts")
                if m == "lca" and bvr is not None and len(bvr) and bvr["bvr"].iloc[0] > STRONG_BVR:
                    flags.append(f"strong local dependence: bivariate residual {bvr['bvr'].iloc[0]:.1f} for "
                                 f"{bvr['item_1'].iloc[0]} & {bvr['item_2'].iloc[0]}")
                if not sol.converged:
                    flags.append("not converged")
                row["flags"] = "; ".join(flags)
            st = stab.get(key)
            if st is not None:
                row["stability_mean"], row["stability_p05"] = st.mean, st.p05
            out.append(row)
    ft = pd.DataFrame(out).reindex(columns=FIT_COLUMNS)
    ft["lowest_bic"] = False
    for m in methods:
        sub = ft[(ft["method"] == m) & ft["bic"].notna()]
        if len(sub):
            ft.loc[sub["bic"].idxmin(), "lowest_bic"] = True
    ft["flags"] = ft["flags"].fillna("")
    ft["message"] = ft["message"].fillna("")
    return ft
