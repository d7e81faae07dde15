"""Candidate segmentations: latent classes, latent profiles, k-means and Ward, with fit and stability.

Consultants compare several segmentations before choosing one; every candidate here comes
with the numbers a reviewer expects from Latent GOLD or poLCA, and the same seed gives the
same segments.

Methods (each returns a :class:`Segmentation`)
----------------------------------------------
:func:`lca`
    Latent class analysis of coded answers (nominal or ordinal items; missing answers
    handled in the likelihood; poLCA's random starts, SQUAREM-accelerated EM). Reaches
    poLCA's maximum likelihood; reports how many starts replicated it.
:func:`lpa`
    Latent profile analysis of continuous bases such as factor scores (Gaussian mixture,
    covariance 'diag', 'spherical', 'tied' or 'full'), guarded against collapsing profiles.
:func:`kmeans`, :func:`ward`
    Baselines on the same (standardised) bases.

Methods are a registry (:mod:`workbench.segments.methods`: one module per method, one
protocol, :func:`register` for a new one); the settings of a fit are one
:class:`SegmentSettings` whose defaults are the study plan's.

Over a range of k: :func:`candidates` fits every method and k, and returns
:class:`Candidates` with the fit table (log-likelihood, parameters, AIC, BIC, SABIC, CAIC,
entropy, smallest segment, convergence, best-of-starts agreement, stability). Then:

* :func:`stability` - bootstrap or split-half refits, adjusted Rand index with the full sample;
* :func:`distal_outcomes` - bias-adjusted segment means / shares of behavioural KPIs;
* :func:`covariate_effects` - firmographics as covariates of membership (three-step ML).

Segments are numbered by size: 1 is the largest. Fit indices (Segmentation properties):

=========  ======================================  =======================
AIC        -2 LL + 2 p                             Akaike 1974
BIC        -2 LL + p ln n                          Schwarz 1978
SABIC      -2 LL + p ln((n + 2) / 24)              Sclove 1987
CAIC       -2 LL + p (ln n + 1)                    Bozdogan 1987
entropy    1 - Σ Σ -p ln p / (n ln k)              Ramaswamy et al. 1993
=========  ======================================  =======================

Examples
--------
>>> from workbench import segments                                   # doctest: +SKIP
>>> sol = segments.lca(answers, 5, n_init=10, random_state=1)          # doctest: +SKIP
>>> sol.bic, sol.entropy, sol.shares                                   # doctest: +SKIP
>>> grid = segments.candidates(answers, range(2, 9), methods=["lca", "kmeans"], random_state=1)  # doctest: +SKIP
>>> grid.fit_table                                                     # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ._covariance import MCLUST_NAMES, covariance_by_bic
from ._candidates import FIT_COLUMNS, METHODS, Candidates, candidates
from ._data import SegmentationConvergenceWarning, SegmentationWarning, standardise
from ._blrt import bootstrap_lrt
from ._models import COVARIANCES, MEASUREMENTS, KMeansModel, LatentClassModel, LatentProfileModel, WardModel
from ._results import Segmentation
from . import methods
from .methods import SegmentationMethod, get_method, method_names, register
from .settings import SegmentSettings
from ._stability import Stability, stability
from ._structural import (
    CovariateEffects,
    DistalOutcomes,
    classification_error_matrix,
    covariate_effects,
    distal_outcomes,
)

__all__ = [
    "lca", "lpa", "kmeans", "ward", "candidates", "stability", "distal_outcomes", "covariate_effects",
    "classify", "Segmentation", "Candidates", "Stability", "DistalOutcomes", "CovariateEffects",
    "LatentClassModel", "LatentProfileModel", "KMeansModel", "WardModel", "SegmentationWarning",
    "SegmentationConvergenceWarning", "METHODS", "COVARIANCES", "FIT_COLUMNS", "standardise",
    "classification_error_matrix", "MEASUREMENTS", "bootstrap_lrt", "covariance_by_bic", "MCLUST_NAMES",
    "SegmentSettings", "SegmentationMethod", "methods", "get_method", "method_names", "register",
]


def lca(data, n_classes, *, measurement="nominal", n_init=50, init_iter=50, n_final=None, max_iter=1000, tol=1e-8,
        min_class_share=0.0, sample_weight=None, random_state=None, n_jobs=1, progress=True,
        max_starts=None) -> Segmentation:
    """Latent class analysis of coded answers.

    Parameters
    ----------
    data : DataFrame
        Respondents × items, answer codes (whole numbers), NaN for missing answers.
    n_classes : int
    measurement : {'nominal', 'ordinal'} or dict of item to one of them, default='nominal'
        Free answer probabilities per class, or Latent GOLD's ordinal (adjacent-category
        logit) restriction, for all items or per item.
    n_init, init_iter, n_final, max_iter, tol, min_class_share, random_state, n_jobs, progress, max_starts
        See :class:`LatentClassModel` (``max_starts``: batches of more starts while the best
        log-likelihood is not replicated, or rare and still improving).
    sample_weight : Series or array-like, optional

    Returns
    -------
    Segmentation
        ``.loglik``, ``.n_parameters``, ``.aic``, ``.bic``, ``.sabic``, ``.caic``,
        ``.entropy``, ``.shares``, ``.labels``, ``.posteriors``,
        ``.response_probabilities()``, ``.predict(new_data)``.

    Raises
    ------
    AnalysisError
        Bad codes, an item with one category, nobody answering, more classes than the data
        can identify, or every start failing.
    """
    model = LatentClassModel(n_classes, measurement=measurement, n_init=n_init, init_iter=init_iter, n_final=n_final, max_iter=max_iter,
                             tol=tol, min_class_share=min_class_share, random_state=random_state, n_jobs=n_jobs,
                             progress=progress, max_starts=max_starts).fit(data, sample_weight=sample_weight)
    return Segmentation.from_model(model, basis=f"{model.n_features_in_} items (coded answers)")


def lpa(data, n_profiles, *, covariance="diag", n_init=50, init_iter=50, n_final=2, max_iter=1000, tol=1e-8,
        min_class_share=0.02, reg_covar=1e-6, prior=None, sample_weight=None, random_state=None, n_jobs=1,
        progress=True) -> Segmentation:
    """Latent profile analysis (Gaussian mixture) of continuous scores.

    Parameters
    ----------
    data : DataFrame
        Respondents × continuous variables (e.g. factor scores); converted to float.
    n_profiles : int
    covariance : {'auto', 'diag', 'spherical', 'tied', 'full'}, default='diag'
        'auto' fits every structure with ``n_profiles`` profiles and keeps the lowest BIC,
        as mclust does (see :func:`covariance_by_bic`); the BIC per structure is in the
        returned segmentation's ``notes``.
    min_class_share, reg_covar
        Guards against collapsing profiles (see :class:`LatentProfileModel`).
    prior : {None, 'mclust'}, default=None
        mclust's conjugate prior (``priorControl()``) for ``covariance='full'``.

    Returns
    -------
    Segmentation
    """
    if covariance == "auto":
        frame = pd.DataFrame(data).astype(float)
        structure, _, table, fits = covariance_by_bic(
            frame, [n_profiles], sample_weight=sample_weight, n_init=n_init, init_iter=init_iter, n_final=n_final,
            max_iter=max_iter, tol=tol, min_class_share=min_class_share, reg_covar=reg_covar,
            random_state=random_state, n_jobs=n_jobs)
        seg = fits[(structure, n_profiles)]
        shown = ", ".join(f"{s} {v:.1f}" for s, v in table[f"k={n_profiles}"].dropna().items())
        return dataclasses.replace(seg, notes=tuple(seg.notes) + (f"covariance '{structure}' by BIC ({shown})",))
    model = LatentProfileModel(n_profiles, covariance=covariance, n_init=n_init, init_iter=init_iter,
                               n_final=n_final, max_iter=max_iter, tol=tol, min_class_share=min_class_share,
                               reg_covar=reg_covar, prior=prior, random_state=random_state, n_jobs=n_jobs,
                               progress=progress).fit(data, sample_weight=sample_weight)
    return Segmentation.from_model(model, basis=f"{model.n_features_in_} continuous variables")


def kmeans(data, n_clusters, *, n_init=10, max_iter=300, sample_weight=None, random_state=None) -> Segmentation:
    """k-means on complete continuous data (standardise items first; see :func:`standardise`)."""
    model = KMeansModel(n_clusters, n_init=n_init, max_iter=max_iter, random_state=random_state)
    model.fit(data, sample_weight=sample_weight)
    return Segmentation.from_model(model, basis=f"{model.n_features_in_} continuous variables")


def ward(data, n_clusters) -> Segmentation:
    """Ward's hierarchical clustering on complete continuous data (unweighted)."""
    model = WardModel(n_clusters).fit(data)
    return Segmentation.from_model(model, basis=f"{model.n_features_in_} continuous variables")


def classify(solution: Segmentation, new_data) -> pd.DataFrame:
    """Classify new respondents with a fitted segmentation.

    Returns
    -------
    DataFrame
        ``segment`` (1..k, ``<NA>`` without answers), the membership probabilities
        (columns ``p1``..``pk``) and ``certainty`` (the largest probability).
    """
    proba = solution.predict_proba(new_data)
    out = proba.add_prefix("p")
    out.insert(0, "segment", solution.predict(new_data))
    out["certainty"] = proba.max(axis=1)
    return out
