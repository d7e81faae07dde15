"""One fitted segmentation as a result object: labels, posteriors, profiles and fit indices."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError
from ..core.provenance import package_versions, utc_now
from ..core.summary import Summarised, Summary, SummaryTable

__all__ = ["Segmentation", "METHOD_NAMES", "fit_versions"]

METHOD_NAMES = {
    "lca": "latent class analysis",
    "lpa": "latent profile analysis",
    "kmeans": "k-means",
    "ward": "Ward clustering",
}


#: The packages a segmentation is fitted with (StepMix is only the tests' reference, never used to fit).
FIT_PACKAGES = ("numpy", "pandas", "scikit-learn", "scipy")


def fit_versions() -> dict[str, str]:
    """Versions of :data:`FIT_PACKAGES` (:func:`workbench.core.provenance.package_versions`)."""
    return package_versions(FIT_PACKAGES, python=False)


_now = utc_now


def _plogp(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, -p * np.log(p), 0.0)


@dataclass(frozen=True, eq=False)
class Segmentation(Summarised):
    """One candidate segmentation: a method at one number of segments.

    Segments are numbered 1..k by size (1 = largest estimated share). Tables keep the
    input's respondent ids and column names.

    Attributes
    ----------
    method : {'lca', 'lpa', 'kmeans', 'ward'}
    k : int
    labels : Series (Int64)
        Modal segment of every respondent given (``<NA>``: no basis answers).
    posteriors : DataFrame
        Membership probabilities (respondents with answers × segments); 0/1 for k-means and Ward.
    shares : Series
        Estimated segment shares (model-based for LCA / LPA, weighted counts otherwise).
    loglik : float
        Maximum log-likelihood (weighted; NaN for k-means and Ward).
    n_parameters : int
        Free parameters (class shares included).
    n : int
        Respondents fitted (those with at least one answer).
    parameters : DataFrame
        Every estimate, tidy: ``model``, ``parameter``, ``class``, ``variable``, ``category``, ``value``.
    starts : DataFrame
        Every random start (log-likelihood or inertia, iterations, status, agreement with the best).
    converged : bool
    best_ll_replicated : int
        Finished starts that reached the best log-likelihood (inertia for k-means).
    n_final_starts : int
    start_agreement : float
        Mean adjusted Rand index of the other finished starts' classifications with the best one.
    basis : str
        What was segmented (e.g. "24 basis items (coded answers)").
    weighted : bool
    random_state : int or None
        The seed the starts were drawn from.
    settings : dict
        The estimator's parameters.
    fitted : str
        When (UTC, ISO 8601).
    versions : dict
    stability : float or None
        Mean adjusted Rand index over bootstrap / split-half refits, once measured
        (see :func:`workbench.segments.stability`).
    stability_refits : tuple of float
        The adjusted Rand index of every successful refit (their spread is what a later
        wave's re-fit check compares with).
    ll_gap, ll_range : float
        Best log-likelihood minus the best finished start that did not reach it (NaN when
        every finished start did), and minus the worst finished start.
    n_starts, starts_added : int
        Random starts run, and how many of them were added because the best
        log-likelihood was not replicated.
    blrt : BLRT or None
        Bootstrap likelihood-ratio test against one class fewer (LCA, in ``candidates``).
    bivariate_residuals : DataFrame or None
        LCA: Latent GOLD's bivariate residual of every item pair, largest first
        (``item_1``, ``item_2``, ``bvr``; above 3.84 = local dependence).
    notes : tuple of str
    model : estimator
        The fitted estimator (used by :meth:`predict`).
    """

    method: str
    k: int
    labels: pd.Series = field(repr=False)
    posteriors: pd.DataFrame = field(repr=False)
    shares: pd.Series = field(repr=False)
    loglik: float
    n_parameters: int
    n: int
    parameters: pd.DataFrame = field(repr=False)
    starts: pd.DataFrame = field(repr=False)
    converged: bool
    best_ll_replicated: int
    n_final_starts: int
    start_agreement: float
    basis: str = ""
    weighted: bool = False
    random_state: int | None = None
    settings: dict = field(default_factory=dict, repr=False)
    fitted: str = field(default_factory=_now)
    versions: dict = field(default_factory=fit_versions, repr=False)
    stability: float | None = None
    stability_refits: tuple = field(default=(), repr=False)
    notes: tuple = ()
    inertia: float = float("nan")
    weights: np.ndarray | None = field(default=None, repr=False)
    model: object = field(default=None, repr=False)
    ll_gap: float = float("nan")
    ll_range: float = float("nan")
    n_starts: int = 0
    starts_added: int = 0
    blrt: object = None
    bivariate_residuals: pd.DataFrame | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_model(cls, model, *, basis: str = "", notes=(), method: str | None = None,
                   parameters: pd.DataFrame | None = None) -> "Segmentation":
        """Wrap a fitted estimator (:class:`LatentClassModel`, :class:`LatentProfileModel`,
        :class:`KMeansModel`, :class:`WardModel`, or a registered method's estimator).

        ``method``: the registered method's name (default: the estimator's own);
        ``parameters``: its tidy parameters table (default: the built-in estimators' description)."""
        method = method or model._method
        k = model.n_classes_
        seg = pd.RangeIndex(1, k + 1, name="segment")
        labels = model.labels_.rename(f"{method}_{k}")
        shares = pd.Series(model.shares_, index=seg, name="share")
        params = _parameters(model, shares) if parameters is None else parameters
        return cls(
            method=method, k=k, labels=labels, posteriors=model.posteriors_, shares=shares,
            loglik=float(model.loglik_), n_parameters=int(model.n_parameters_), n=int(model.n_samples_),
            parameters=params, starts=model.starts_, converged=bool(model.converged_),
            best_ll_replicated=int(model.best_ll_replicated_), n_final_starts=int(model.n_final_starts_),
            start_agreement=float(model.start_agreement_), basis=basis,
            weighted=model.sample_weight_ is not None, random_state=model.random_seed_,
            settings=model.get_params(), notes=tuple(notes), inertia=float(getattr(model, "inertia_", float("nan"))),
            weights=model.sample_weight_, model=model, ll_gap=float(getattr(model, "ll_gap_", float("nan"))),
            ll_range=float(getattr(model, "ll_range_", float("nan"))), n_starts=int(len(model.starts_)),
            bivariate_residuals=getattr(model, "bivariate_residuals_", None),
            starts_added=int(getattr(model, "starts_added_", 0)),
        )

    def with_stability(self, value: float | None, refits=()) -> "Segmentation":
        """A copy with the stability measured (results are never changed in place);
        ``refits``: the ARI of every successful refit."""
        return dataclasses.replace(self, stability=value, stability_refits=tuple(float(v) for v in refits))

    def with_diagnostics(self, **values) -> "Segmentation":
        """A copy with ``blrt`` and / or ``starts_added`` set."""
        return dataclasses.replace(self, **values)

    @property
    def max_bvr(self) -> float:
        """The largest bivariate residual (NaN without them)."""
        b = self.bivariate_residuals
        return float(b["bvr"].iloc[0]) if b is not None and len(b) else float("nan")

    # ------------------------------------------------------------------ names
    @property
    def name(self) -> str:
        """``"lca k=5"``: how tables and the scorecard call this candidate."""
        return f"{self.method} k={self.k}"

    @property
    def column(self) -> str:
        """``"lca_5"``: the candidate's column in label files."""
        return f"{self.method}_{self.k}"

    # ------------------------------------------------------------------ fit indices
    @property
    def aic(self) -> float:
        """Akaike's information criterion, ``AIC = -2 LL + 2 p`` (Akaike 1974)."""
        return -2 * self.loglik + 2 * self.n_parameters

    @property
    def bic(self) -> float:
        """Bayesian information criterion, ``BIC = -2 LL + p ln n`` (Schwarz 1978)."""
        return -2 * self.loglik + self.n_parameters * math.log(self.n)

    @property
    def sabic(self) -> float:
        """Sample-size adjusted BIC, ``SABIC = -2 LL + p ln((n + 2) / 24)`` (Sclove 1987).

        Computed here: StepMix 3.0.0's ``sabic()`` uses ``ln(n (n + 2) / 24)``, which is wrong.
        """
        return -2 * self.loglik + self.n_parameters * math.log((self.n + 2) / 24)

    @property
    def caic(self) -> float:
        """Consistent AIC, ``CAIC = -2 LL + p (ln n + 1)`` (Bozdogan 1987)."""
        return -2 * self.loglik + self.n_parameters * (math.log(self.n) + 1)

    @property
    def classification_entropy(self) -> float:
        """``EN = Σ_i w_i Σ_c -p_ic ln p_ic``, the (weighted) entropy of the posteriors."""
        p = self.posteriors.to_numpy()
        w = np.ones(len(p)) if self.weights is None else self.weights
        return float((w * _plogp(p).sum(axis=1)).sum())

    @property
    def entropy(self) -> float:
        """Relative entropy, ``1 - EN / (n ln k)`` (Ramaswamy et al. 1993), 0-1, 1 = crisp.

        The statistic Mplus and StepMix call entropy; 1 for k = 1 and for hard partitions.
        """
        if self.k < 2:
            return 1.0
        return 1.0 - self.classification_entropy / (self.n * math.log(self.k))

    @property
    def icl_bic(self) -> float:
        """ICL-BIC, ``BIC + 2 EN`` (Biernacki, Celeux & Govaert 2000; McLachlan & Peel 2000)."""
        return self.bic + 2 * self.classification_entropy

    @property
    def classification_error(self) -> float:
        """Expected share misclassified by modal assignment, ``1 - Σ_i w_i max_c p_ic / n``
        (Latent GOLD's classification error; Vermunt & Magidson 2016)."""
        p = self.posteriors.to_numpy()
        w = np.ones(len(p)) if self.weights is None else self.weights
        return float(1 - (w * p.max(axis=1)).sum() / w.sum())

    @property
    def smallest_share(self) -> float:
        return float(self.shares.min())

    @property
    def smallest_n(self) -> int:
        """Respondents in the smallest segment by modal assignment (unweighted count)."""
        counts = self.labels.value_counts().reindex(range(1, self.k + 1), fill_value=0)
        return int(counts.min())

    def fit_indices(self) -> pd.Series:
        """Every fit index in one Series (what a row of the fit table shows)."""
        return pd.Series({
            "loglik": self.loglik, "n_parameters": self.n_parameters, "aic": self.aic, "bic": self.bic,
            "sabic": self.sabic, "caic": self.caic, "icl_bic": self.icl_bic, "entropy": self.entropy,
            "classification_error": self.classification_error, "inertia": self.inertia,
        }, name=self.name)

    # ------------------------------------------------------------------ tables
    def class_sizes(self) -> pd.DataFrame:
        """Size of each segment: estimated share, modal n and share, average posterior.

        ``avepp`` is the mean posterior probability of the assigned segment among its
        members (values above 0.8 mean the segment is well separated; Nagin 2005).
        """
        post = self.posteriors
        lab = self.labels.loc[post.index]
        w = pd.Series(np.ones(len(post)) if self.weights is None else self.weights, index=post.index)
        rows = []
        for c in range(1, self.k + 1):
            members = lab == c
            n_c = int(members.sum())
            rows.append({
                "segment": c, "share": float(self.shares.loc[c]), "n": n_c,
                "modal_share": float(w[members].sum() / w.sum()),
                "avepp": float(np.average(post.loc[members, c], weights=w[members])) if n_c else float("nan"),
            })
        return pd.DataFrame(rows).set_index("segment")

    def profile(self) -> pd.DataFrame:
        """Mean of each basis variable in each segment (variables × segments).

        LCA: the expected answer code; LPA: the profile means; k-means / Ward: centroids.
        """
        return self.model.class_means()

    def response_probabilities(self) -> pd.DataFrame:
        """LCA item-response probabilities, wide: (variable, category) × segment."""
        if not hasattr(self.model, "response_probabilities"):
            raise AnalysisError(f"{self.name} has no item-response probabilities; only latent class models do")
        rp = self.model.response_probabilities()
        return rp.pivot_table(index=["variable", "category"], columns="class", values="value", sort=False)

    def summary(self) -> pd.DataFrame:
        """The solution in one table: header facts, fit indices and segment sizes.

        Returns
        -------
        DataFrame
            One column ``value``, indexed by statistic.
        """
        head = {
            "method": METHOD_NAMES.get(self.method, self.method), "segments (k)": self.k, "respondents (n)": self.n,
            "weighted": self.weighted, "basis": self.basis, "fitted (UTC)": self.fitted,
            "log-likelihood": self.loglik, "parameters": self.n_parameters, "AIC": self.aic, "BIC": self.bic,
            "SABIC": self.sabic, "CAIC": self.caic, "relative entropy": self.entropy,
            "classification error": self.classification_error, "converged": self.converged,
            "starts at best": f"{self.best_ll_replicated}/{self.n_final_starts}",
            "log-likelihood gap to the next distinct maximum": self.ll_gap,
            "start agreement (ARI)": self.start_agreement,
            "stability (ARI)": self.stability if self.stability is not None else float("nan"),
        }
        if self.blrt is not None:
            head["BLRT p-value (k vs k-1)"] = self.blrt.p_value
            head["BLRT replications"] = self.blrt.replications
            head["BLRT p floor (smallest p the draws allow)"] = self.blrt.p_floor
        if self.bivariate_residuals is not None and len(self.bivariate_residuals):
            top = self.bivariate_residuals.iloc[0]
            head["largest bivariate residual"] = f"{top['bvr']:.2f} ({top['item_1']} & {top['item_2']})"
        if not np.isfinite(self.loglik):  # a hard partition (k-means, Ward): no likelihood
            for key in ("log-likelihood", "parameters", "AIC", "BIC", "SABIC", "CAIC"):
                head.pop(key)
            head["within-segment sum of squares"] = self.inertia
        for c, share in self.shares.items():
            head[f"segment {c} share"] = float(share)
        return pd.DataFrame({"value": pd.Series(head, dtype=object)})

    def summarise(self) -> Summary:
        """The headline (method, k, n, log-likelihood, BIC) and :meth:`summary`'s figures."""
        method = METHOD_NAMES.get(self.method, self.method).capitalize()
        head = f"{method}, {self.k} segments: n={self.n}" + (
            f", log-likelihood {self.loglik:,.3f}, BIC {self.bic:,.1f}" if not math.isnan(self.loglik) else "")
        shown = self.summary()["value"].map(
            lambda v: (f"{v:,.4f}" if abs(v) < 10 else f"{v:,.2f}") if isinstance(v, float) else v)
        return Summary(f"{method}, {self.k} segments (n = {self.n})", [head], [SummaryTable(shown.to_frame("value"))])

    def __repr__(self) -> str:
        return f"Segmentation({self.name}, n={self.n}, loglik={self.loglik:.3f})"

    # ------------------------------------------------------------------ use
    def predict(self, new_data) -> pd.Series:
        """Segment of new respondents (same basis columns), 1..k, ``<NA>`` without answers."""
        return self.model.predict(new_data).rename(self.column)

    def predict_proba(self, new_data) -> pd.DataFrame:
        """Membership probabilities of new respondents."""
        return self.model.predict_proba(new_data)

    # ------------------------------------------------------------------ plots
    def plot_profiles(self, *, labels=None, relative: bool = True, ax=None):
        """Heatmap of the segment profiles (variables × segments).

        Parameters
        ----------
        labels : mapping of column to text, optional
            Row labels (e.g. the study's item labels).
        relative : bool, default=True
            Show each segment's mean minus the sample mean (diverging colours), so what
            sets a segment apart stands out; False shows the means themselves.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        prof = self.profile()
        if relative:  # the sample mean is the share-weighted mean of the segment means
            prof = prof.sub(prof.to_numpy() @ self.shares.to_numpy(), axis=0)
        names = [str((labels or {}).get(v, v)) for v in prof.index]
        if ax is None:
            fig = Figure(figsize=(1.2 + 0.9 * self.k + 0.06 * max(map(len, names)), 0.8 + 0.28 * len(prof)))
            ax = fig.subplots()  # not pyplot: shown once in a notebook
        else:
            fig = ax.figure
        vals = prof.to_numpy()
        lim = float(np.nanmax(np.abs(vals))) or 1.0
        im = ax.imshow(vals, aspect="auto", cmap="RdBu_r" if relative else "viridis",
                       vmin=-lim if relative else None, vmax=lim if relative else None)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        ax.set_xticks(range(self.k), [f"{c}\n{s:.0%}" for c, s in self.shares.items()], fontsize=8)
        ax.set_xlabel("segment (share)")
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                dark = abs(vals[i, j]) > 0.6 * lim if relative else False
                ax.text(j, i, f"{vals[i, j]:+.1f}" if relative else f"{vals[i, j]:.1f}", ha="center",
                        va="center", fontsize=6.5, color="white" if dark else "black")
        what = "difference from the sample mean" if relative else "mean"
        ax.set_title(f"{self.name}: segment profiles ({what})", fontsize=10)
        fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
        fig.tight_layout()
        return fig


def _parameters(model, shares: pd.Series) -> pd.DataFrame:
    """Every estimate as one tidy table keeping the input's column names."""
    method = model._method
    rows = [("measurement", "class_share", int(c), None, np.nan, float(v)) for c, v in shares.items()]
    if method == "lca":
        rp = model.response_probabilities()
        rows += [("measurement", "response_probability", int(r["class"]), r["variable"], r["category"], r["value"])
                 for r in rp.to_dict("records")]
    elif method == "lpa":
        means, var = model.means_, model.variances()
        for v in means.index:
            for c in means.columns:
                rows.append(("measurement", "mean", int(c), v, np.nan, float(means.loc[v, c])))
                rows.append(("measurement", "variance", int(c), v, np.nan, float(var.loc[v, c])))
        if model.covariance in ("tied", "full") and not model._measurement.endswith("_nan"):
            cov = np.asarray(model.measurement_parameters()["covariances"], dtype=float)
            names = list(means.index)
            mats = [cov] * model.n_classes_ if model.covariance == "tied" else list(cov)
            for c, mat in enumerate(mats, start=1):
                for a in range(len(names)):
                    for b in range(a + 1, len(names)):
                        rows.append(("measurement", "covariance", c, f"{names[a]} | {names[b]}", np.nan,
                                     float(mat[a, b])))
    else:
        cent = model.class_means()
        for v in cent.index:
            for c in cent.columns:
                rows.append(("measurement", "centroid", int(c), v, np.nan, float(cent.loc[v, c])))
    return pd.DataFrame(rows, columns=["model", "parameter", "class", "variable", "category", "value"])
