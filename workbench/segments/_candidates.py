"""Candidate segmentations over a range of k and methods, with the fit table a reviewer reads."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import pandas as pd

from ..core.errors import AnalysisError, WorkbenchWarning
from ._data import (
    SegmentationConvergenceWarning,
    SegmentationWarning,
    as_numeric_frame,
    prepare_weights,
    standardise,
)
from ._blrt import blrt_draws, blrt_stop_after, bootstrap_many
from ._engine import seed_int, start_seeds
from ._models import COVARIANCES
from ..core.provenance import utc_now
from ..core.summary import Summarised, Summary, SummaryTable
from ._results import METHOD_NAMES, Segmentation, fit_versions
from .methods import Basis, get_method, method_names, registered
from .methods.lpa import AUTO_STARTS
from .settings import SegmentSettings
from ._stability import KINDS, stability_of_many
from ._structural import covariate_effects, distal_outcomes

__all__ = ["Candidates", "candidates", "METHODS", "FIT_COLUMNS", "AUTO_STARTS"]

logger = logging.getLogger(__name__)

#: The built-in methods (every registered one: :func:`workbench.segments.methods.method_names`).
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
FIT_COLUMNS = [
    "candidate", "method", "k", "status", "loglik", "n_parameters", "aic", "bic", "sabic", "caic", "icl_bic",
    "entropy", "classification_error", "inertia", "smallest_share", "smallest_n", "converged", "starts",
    "best_ll_replicated", "n_final_starts", "ll_gap", "ll_range", "n_starts", "starts_added", "start_agreement",
    "blrt_p", "blrt_reps", "blrt_p_floor", "max_bvr", "max_bvr_pair", "n_bvr_over_3_84", "stability_mean", "stability_p05",
    "lowest_bic", "flags", "message",
]


@dataclass(frozen=True, eq=False, repr=False)
class Candidates(Summarised):
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
        for m in fitted:  # the hard partitions, in the order fitted
            if not get_method(m).likelihood:
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
            if hasattr(s.model, "response_probabilities"):  # latent classes
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

    def summarise(self) -> Summary:
        """The candidates, each method's basis, the fit table's main columns and the chosen one."""
        lines = [f"{len(self.solutions)} candidate segmentation(s) of {self.n} respondents ({', '.join(self.bases)})",
                 *(f"  {m}: {b}" for m, b in self.bases.items())]
        notes = [f"chosen: {self.chosen[0]} k={self.chosen[1]}"] if self.chosen else []
        return Summary("Candidates", lines, [SummaryTable(self.summary())], notes=notes)

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
        methods = [m for m in (methods or method_names()) if m in set(ft["method"])]
        model_based = [m for m in methods if get_method(m).likelihood]
        hard = [m for m in methods if not get_method(m).likelihood]
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
            ax.set_title(METHOD_NAMES.get(m, m), fontsize=10)
            ax.set_xlabel("number of segments (k)")
            ax.set_ylabel("information criterion (lower is better)")
            ax.set_xticks(sorted(sub["k"].unique()))
            ax.legend(fontsize=8)
        if hard:
            ax = axes[0][-1]
            for m in hard:
                sub = ft[ft["method"] == m].sort_values("k")
                ax.plot(sub["k"], sub["inertia"], marker="o", label=METHOD_NAMES.get(m, m))
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
               if s.bivariate_residuals is not None and len(s.bivariate_residuals)]
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
            pooled: dict = {}  # outcome -> the candidates where it was estimated so
            for d in self.distal.values():
                for o in d.pooled:
                    pooled.setdefault(o, []).append(str(d.candidate))
            if pooled:
                notes["distal outcomes"] += (" Estimated with one variance for every segment (with a variance per "
                                             "segment one segment collapsed onto a single value): "
                                             + "; ".join(f"{o} ({' and '.join(c)})" for o, c in pooled.items()) + ".")
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
    fams = [m for m in method_names() if get_method(m).likelihood and (ft["method"] == m).any()] or ["lca"]
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


def candidates(
    data,
    k_range=None,
    methods=None,
    *,
    settings: SegmentSettings | None = None,
    scores=None,
    sample_weight=None,
    covariates: pd.DataFrame | None = None,
    distal: pd.DataFrame | None = None,
    n_jobs: int = 1,
    progress: bool = True,
    **overrides,
) -> Candidates:
    """Fit candidate segmentations for every method and number of segments.

    The settings are one :class:`~workbench.segments.SegmentSettings` (the study plan's
    defaults; the segments step builds it from the study and passes it whole); ``k_range``,
    ``methods`` and any setting given by keyword override it.

    Parameters
    ----------
    data : DataFrame
        The categorical basis: respondents × items, coded answers, NaN missing (what LCA
        segments).
    k_range : iterable of int, optional
        Default: the settings' (``range(2, 9)``).
    methods : iterable of str, optional
        Registered methods (:func:`workbench.segments.methods.method_names`: 'lca', 'lpa',
        'kmeans', 'ward' and any added); default: the settings' (``('lca', 'lpa', 'kmeans')``).
    settings : SegmentSettings, optional
        Every fitting setting at once (default: ``SegmentSettings()``, the study plan's defaults).
    scores : DataFrame, optional
        A continuous basis for the continuous methods (LPA, k-means, Ward; e.g. factor scores).
        Without it they segment the standardised ``data`` (z-scores; LPA keeps missing answers
        missing, k-means and Ward replace them by the item mean, 0), as ``bases`` records.
    sample_weight : Series or array-like, optional
        Survey weights (Ward's method ignores them and says so).
    covariates : DataFrame, optional
        Covariates of membership (e.g. firmographics), indexed by respondent id; fitted for
        the candidates of methods with a likelihood (LCA / LPA).
    distal : DataFrame, optional
        Distal outcomes (e.g. behavioural KPIs), indexed by respondent id.
    n_jobs : int, default=1
        Threads for the latent class / profile starts, worker processes (joblib) for the
        stability refits; -1 = all cores. Results do not depend on it.
    progress : bool, default=True
    **overrides
        Any :class:`SegmentSettings` field (its docstring says what each one does), e.g.
        ``n_init=10``, ``covariance='diag'``, ``n_bootstrap=20``, ``blrt_reps=0``, ``choice=('lca', 4)``.

    Returns
    -------
    Candidates

    Raises
    ------
    AnalysisError
        Bad arguments or a basis nothing can be fitted on. A single (method, k) that fails
        does not raise: its fit-table row says why.
    TypeError
        A keyword that is not a setting.
    """
    s = (settings if settings is not None else SegmentSettings()).but(k_range=k_range, methods=methods, **overrides)
    _check_settings(s)
    methods, ks, choice = s.methods, list(s.k_range), s.choice
    base = seed_int(s.random_state)
    frame = as_numeric_frame(data, "basis")
    w_full = prepare_weights(sample_weight, frame.index)
    w_series = None if w_full is None else pd.Series(w_full, index=frame.index)
    objs = {m: get_method(m) for m in methods}
    cont, cont_note = None, ""
    if any(o.basis == "continuous" for o in objs.values()):
        cont, cont_note = _continuous_basis(frame, scores, w_series)
    basis = Basis(coded=frame, continuous=cont, continuous_note=cont_note, scores_given=scores is not None,
                  weights=w_series, random_state=base)
    fits, notes, caught_all = _fit_methods(objs, basis, s, ks, scores, n_jobs, progress)
    bases = {m: fit.basis_note for m, fit in fits.items()}
    rows = {(m, k): row for m, fit in fits.items() for k, row in fit.rows.items()}
    estimators = {(m, k): est for m, fit in fits.items() for k, est in fit.estimators.items()}
    covariance_bic = next((fit.tables["covariance_bic"] for fit in reversed(fits.values())
                           if "covariance_bic" in fit.tables), None)
    solutions = {(m, k): Segmentation.from_model(estimators[(m, k)], basis=bases[m], method=m,
                                                 parameters=objs[m].parameters_table(estimators[(m, k)]))
                 for m in methods for k in ks if (m, k) in estimators}
    s = _bootstrap_lrts(s, len(frame), objs, fits, solutions, estimators, basis, notes, n_jobs)
    stab = _stability(s, objs, solutions, basis, base, n_jobs, progress)
    dist, covs = _distal_and_covariates(s, objs, solutions, basis, distal, covariates, notes)
    fit_table = _fit_table(objs, ks, solutions, rows, stab, s.min_class_share, s.min_segment_n)
    if any(o.adds_starts for o in objs.values()) and ft_note_needed(fit_table):
        notes.append("best log-likelihood not replicated for "
                     + ", ".join(fit_table.loc[fit_table["flags"].str.contains("not replicated"), "candidate"])
                     + f" even with {s.max_starts or 4 * s.n_init} starts: treat those candidates with caution")
    _warn_once(caught_all, fit_table)
    resolved = {key: v for fit in fits.values() for key, v in fit.settings.items()}
    settings_used = dict(k_range=ks, methods=list(methods), structural_candidates=s.structural_candidates,
                         n_init=s.n_init, measurement=s.measurement, max_starts=s.max_starts, blrt_reps=s.blrt_reps,
                         blrt_for=s.blrt_for, init_iter=s.init_iter, n_final=s.n_final, max_iter=s.max_iter, tol=s.tol,
                         covariance=resolved.get("covariance", s.covariance), min_class_share=s.min_class_share,
                         min_segment_n=s.min_segment_n, n_bootstrap=s.n_bootstrap, stability_kind=s.stability_kind,
                         stability_n_init=s.stability_n_init)
    return Candidates(
        solutions=solutions, fit_table=fit_table, stability=stab, distal=dist, covariates=covs, bases=bases,
        chosen=choice, n=len(frame), weighted=w_full is not None, random_state=base, settings=settings_used,
        fitted=utc_now(), versions=fit_versions(),
        notes=tuple(notes), covariance_bic=covariance_bic,
    )


def _check_settings(s: SegmentSettings) -> None:
    """Refuse settings :func:`candidates` cannot fit, before any work."""
    methods = s.methods
    if s.blrt_for not in ("all", "bic"):
        raise ValueError(f"blrt_for must be 'all' or 'bic', not {s.blrt_for!r}")
    with_lik = [m for m in method_names() if get_method(m).likelihood]
    if not set(s.blrt_methods) <= set(with_lik):
        raise ValueError(f"blrt_methods must name {' and / or '.join(map(repr, with_lik))}, not {list(s.blrt_methods)!r}")
    bad = [m for m in methods if not registered(m)]
    if bad or not methods:
        raise AnalysisError(f"unknown method(s) {', '.join(map(repr, bad)) or '(none given)'}; expected "
                            f"{', '.join(method_names())}")
    if len(set(methods)) != len(methods):
        raise AnalysisError(f"methods repeat: {', '.join(methods)}")
    ks = list(s.k_range)
    if s.covariance not in COVARIANCES + ("auto",):
        raise AnalysisError(f"unknown covariance structure {s.covariance!r}; expected one of {', '.join(COVARIANCES)}")
    if s.stability_kind not in KINDS:
        raise AnalysisError(f"unknown stability kind {s.stability_kind!r}; expected one of {', '.join(KINDS)}")
    if s.structural_candidates not in ("all", "best"):
        raise AnalysisError(f"structural_candidates must be 'all' or 'best', got {s.structural_candidates!r}")
    choice = s.choice
    if choice is not None and (choice[0] not in methods or choice[1] not in ks):
        raise AnalysisError(
            f"the pinned choice {choice[0]} k={choice[1]} is not among the candidates "
            f"(methods {', '.join(methods)}, k {ks[0]}-{ks[-1]})"
        )


def _fit_methods(objs: dict, basis: Basis, s: SegmentSettings, ks: list, scores, n_jobs: int, progress: bool):
    """Every method fitted over every k, in the order given: ``(fits by method, notes, the
    warnings they raised)`` (caught here, said once each by :func:`_warn_once`)."""
    notes: list[str] = []
    fits = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WorkbenchWarning)
        complete = [m for m in objs if objs[m].complete]
        for m, o in objs.items():
            if complete and m == complete[0] and basis.n_filled:
                notes.append(f"{' / '.join(objs[c].short for c in complete)}: {basis.n_filled} respondent(s) with "
                             f"missing values got the {'item' if scores is None else 'variable'} mean in place of "
                             "each missing value")
            logger.info("fitting %s (%s) for k = %s", o.long, m, ", ".join(map(str, ks)))
            fit = fits[m] = o.fit(basis, s, n_jobs=n_jobs, progress=progress)
            notes += fit.notes
    return fits, notes, list(caught)


def _bootstrap_lrts(s, n, objs, fits, solutions, estimators, basis, notes, n_jobs) -> SegmentSettings:
    """The bootstrap LRT (k against k - 1) of the candidates :func:`_blrt_tasks` names, written
    into ``solutions``; returns the settings with the number of draws and the stopping rule
    resolved (automatic: by the sample's size ``n``)."""
    if s.blrt_reps is None:  # automatic: by the sample's size
        s = s.but(blrt_reps=blrt_draws(n))
    if s.blrt_stop_after is None:  # where the test is decided for that many draws
        s = s.but(blrt_stop_after=blrt_stop_after(s.blrt_reps))
    if s.blrt_reps > 0:
        tasks, keys = _blrt_tasks(s, s.methods, objs, fits, solutions, estimators, basis, notes)
        logger.info("bootstrap LRT: at most %d draws for each of %d candidate(s)", s.blrt_reps, len(tasks))
        for key, res in zip(keys, bootstrap_many(tasks, n_jobs=n_jobs)):
            solutions[key] = solutions[key].with_diagnostics(blrt=res)
    return s


def _stability(s, objs, solutions, basis, base, n_jobs, progress) -> dict:
    """Refits of every candidate on resampled respondents (``n_bootstrap`` of them), written
    into ``solutions``; the :class:`Stability` by (method, k)."""
    stab: dict = {}
    if s.n_bootstrap and s.n_bootstrap > 0 and solutions:
        logger.info("stability: %d %s refit(s) of each of %d candidate(s)", s.n_bootstrap, s.stability_kind,
                    len(solutions))
        keys = list(solutions)
        items = [(solutions[key], objs[key[0]].frame(basis)) for key in keys]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", WorkbenchWarning)
            results = stability_of_many(items, n_reps=s.n_bootstrap, kind=s.stability_kind, n_init=s.stability_n_init,
                                        random_state=base, n_jobs=n_jobs, progress=progress)
        for key, st in zip(keys, results):
            stab[key] = st
            solutions[key] = solutions[key].with_stability(st.mean, st.ok.to_list())
    return stab


def _distal_and_covariates(s, objs, solutions, basis, distal, covariates, notes) -> tuple[dict, dict]:
    """Distal outcomes and covariate effects (bias-adjusted three-step) of the candidates with a
    likelihood that ``structural_candidates`` selects: every one, or the pinned choice and each
    method's lowest-BIC candidate. One that cannot be estimated is a note."""
    selected = set(solutions)
    if s.structural_candidates == "best":
        selected = {s.choice} if s.choice else set()
        for m in s.methods:
            sols = [sol for key, sol in solutions.items() if key[0] == m]
            if objs[m].likelihood and sols:
                selected.add((m, min(sols, key=lambda sol: (sol.bic, sol.k)).k))
    dist, covs = {}, {}
    for key, sol in solutions.items():
        if not objs[key[0]].likelihood or key not in selected:
            continue
        fitted_on = objs[key[0]].frame(basis)
        if distal is not None and len(distal.columns):
            try:
                dist[key] = distal_outcomes(sol, fitted_on, distal, errors="skip")
                for msg in dist[key].skipped:
                    notes.append(f"{sol.name}: {msg}")
            except AnalysisError as exc:
                notes.append(f"distal outcomes of {sol.name} not estimated: {exc}")
        if covariates is not None and len(covariates.columns):
            try:
                covs[key] = covariate_effects(sol, fitted_on, covariates)
            except AnalysisError as exc:
                notes.append(f"covariates of {sol.name} not estimated: {exc}")
    return dist, covs


def _warn_once(caught, fit_table: pd.DataFrame) -> None:
    """The fits' warnings said again, one per kind of problem naming the runs (not one per run),
    as made by :func:`candidates`' caller; convergence is said once for every candidate that
    did not fit cleanly."""
    failed = fit_table[~fit_table["status"].isin(["ok", NOT_REPLICATED])]  # not replicated: the note above
    seen = set()
    for c in caught:
        if issubclass(c.category, SegmentationConvergenceWarning):
            continue
        msg = str(c.message)
        if msg not in seen:
            seen.add(msg)
            warnings.warn(msg, c.category, stacklevel=3)
    if len(failed):
        warnings.warn(
            "not every candidate fitted cleanly: "
            + "; ".join(f"{r.candidate}: {r.status}" for r in failed.itertuples())
            + " (the fit table's message column says why and what to try)",
            SegmentationConvergenceWarning if (failed["status"] == "not converged").all() else SegmentationWarning,
            stacklevel=3,
        )


def _blrt_tasks(s, methods, objs, fits, solutions, estimators, basis, notes):
    """The bootstrap LRTs to run: for each method with a likelihood named in ``blrt_methods``,
    each fitted k (or the two around the lowest BIC) against k - 1."""
    tasks, keys = [], []
    for m in methods:
        o = objs[m]
        if not o.likelihood or m not in s.blrt_methods:
            continue
        ms = s.but(**fits[m].settings)  # as fitted (e.g. the covariance chosen by BIC)
        ks_m = [k for k in s.k_range if (m, k) in solutions]
        fitted_m = {k: solutions[(m, k)].bic for k in ks_m}
        if s.blrt_for == "bic" and fitted_m:
            k_bic = min(fitted_m, key=fitted_m.get)
            ks_m = [k for k in ks_m if k in (k_bic, k_bic + 1)]
        for k in ks_m:
            if k < 2:
                continue
            est = estimators[(m, k)]
            h0 = estimators.get((m, k - 1))
            if h0 is None:  # the grid's smallest k: fit k - 1 classes for the test
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", WorkbenchWarning)
                        h0 = o.estimator(k - 1, ms, basis)
                        h0.fit(o.frame(basis), sample_weight=basis.weights if o.weighted else None)
                except AnalysisError as exc:
                    notes.append(f"bootstrap LRT of {m} k={k} not run: {exc}")
                    continue
            task = o.blrt_task(est, h0, o.frame(basis), ms)
            if task is None:
                continue
            tasks.append(dict(task, k=k, ll_k=est.loglik_, ll_h0=h0.loglik_, max_reps=int(s.blrt_reps),
                              stop_after=int(s.blrt_stop_after), seed=start_seeds(basis.random_state, m, 100 + k, 1)[0],
                              max_iter=min(s.max_iter, 200), tol=max(s.tol, 1e-6)))
            keys.append((m, k))
    return tasks, keys


def ft_note_needed(ft: pd.DataFrame) -> bool:
    return bool(ft["flags"].fillna("").str.contains("not replicated").any())


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


def _fit_table(objs, ks, solutions, rows, stab, min_share, min_n) -> pd.DataFrame:
    out = []
    methods = list(objs)
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
                row = objs[m].fit_row(row)
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
                if objs[m].likelihood and sol.n_final_starts > 1 and sol.best_ll_replicated < 2:
                    flags.append(f"best log-likelihood not replicated (in {sol.n_starts} starts): add starts")
                    if row["status"] == "ok":  # Mplus: THE BEST LOGLIKELIHOOD VALUE WAS NOT REPLICATED
                        row["status"] = NOT_REPLICATED
                        added = f", {sol.starts_added} of them added" if sol.starts_added else ""
                        row["message"] = (f"best log-likelihood not replicated: reached by {sol.best_ll_replicated} "
                                          f"of {sol.n_final_starts} finished starts ({sol.n_starts} starts{added}); "
                                          "the solution may be a local maximum: run more starts (n_init, "
                                          "max_starts) before trusting it")
                elif sol.starts_added:
                    flags.append(f"best log-likelihood replicated and confirmed with {sol.starts_added} added starts")
                if bvr is not None and len(bvr) and bvr["bvr"].iloc[0] > STRONG_BVR:
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
