"""The segmentation-method protocol and the registry from plain names to methods.

A method is one object (:class:`SegmentationMethod`) that says how to fit it over a range of
k on the prepared basis, how a frozen model scores new answers with plain numbers, how its
parameters are saved to and read from ``model.json``, and how it is described (fit-table
row, parameters table). Everything else — :func:`workbench.segments.candidates`, the frozen
:class:`workbench.waves.SegmentModel`, the re-fit check, the deck data, the notebooks — asks
the method object (:func:`get_method`) instead of branching on its name.

To add a segmentation method you must
-------------------------------------
1. write a scikit-learn-style estimator (``__init__`` stores parameters, ``fit(X,
   sample_weight=None)`` returns self) whose fitted attributes are those
   :meth:`workbench.segments.Segmentation.from_model` reads (``n_classes_``, ``labels_``,
   ``posteriors_``, ``shares_``, ``loglik_``, ``n_parameters_``, ``n_samples_``, ``starts_``,
   ``converged_``, ``best_ll_replicated_``, ``n_final_starts_``, ``start_agreement_``,
   ``sample_weight_``, ``random_seed_``, ``feature_names_in_``) plus ``predict_proba`` and
   ``class_means()``; a hard partition can subclass :class:`PartitionEstimator` and write only
   ``partition``;
2. subclass :class:`SegmentationMethod`: set ``name`` (the study's ``segmentation.methods``
   word), ``short`` / ``long`` names, ``basis`` ('coded': the answer codes, or 'continuous':
   factor scores / z-scores), ``likelihood``, ``soft`` and ``complete``; write
   :meth:`~SegmentationMethod.estimator` (one k), :meth:`~SegmentationMethod.freeze` (fitted
   estimator to plain arrays), :meth:`~SegmentationMethod.log_joint` (the frozen scoring) and
   :meth:`~SegmentationMethod.profiles`; override ``to_json`` / ``from_json`` /
   ``check`` when the parameters are not plain arrays;
3. ``register(MyMethod())``. The study may then name it in ``segmentation.methods`` and
   ``segmentation.choice``; ``model.json`` stores ``method`` and the parameters ``to_json``
   gives, and loads them with ``from_json``.

The built-in methods are in ``lca.py``, ``lpa.py``, ``kmeans.py`` and ``ward.py`` beside
this file.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ...core.stats import logsumexp

from ...core.errors import AnalysisError, WorkbenchWarning
from ...core.measures import name_method
from .._data import SegmentationConvergenceWarning
from .._engine import seed_int
from .._models import _CentroidModel, _check_k
from .._results import METHOD_NAMES, Segmentation

__all__ = ["SegmentationMethod", "Basis", "MethodFit", "register", "get_method", "method_names", "registered",
           "has_likelihood", "PartitionEstimator"]

_REGISTRY: dict[str, "SegmentationMethod"] = {}


@dataclass(frozen=True, eq=False)
class Basis:
    """The basis every method of one :func:`~workbench.segments.candidates` call fits.

    Attributes
    ----------
    coded : DataFrame
        Respondents × basis items, answer codes (NaN missing).
    continuous : DataFrame or None
        Factor scores (and z-scored leftover items), or the z-scored items without scores.
    continuous_note : str
        What ``continuous`` is, for the fit table's ``bases``.
    scores_given : bool
        True when ``continuous`` holds factor scores given by the caller.
    weights : Series or None
        Survey weights of every respondent.
    random_state : int
    """

    coded: pd.DataFrame = field(repr=False)
    continuous: pd.DataFrame | None = field(repr=False)
    continuous_note: str = ""
    scores_given: bool = False
    weights: pd.Series | None = field(default=None, repr=False)
    random_state: int = 0

    @property
    def filled(self) -> pd.DataFrame:
        """The continuous basis with each missing value replaced (0, the item mean, for z-scores;
        the variable's mean for factor scores): what methods needing complete data fit."""
        cont = self.continuous
        return cont.fillna(0.0 if not self.scores_given else cont.mean())

    @property
    def n_filled(self) -> int:
        return int(self.continuous.isna().any(axis=1).sum())


@dataclass
class MethodFit:
    """What :meth:`SegmentationMethod.fit` returns.

    Attributes
    ----------
    estimators : dict of int to fitted estimator
    rows : dict of int to dict
        Fit-table entries of the k that failed or did not converge (``status``, ``message``).
    basis_note : str
        What this method segmented.
    notes : list of str
    settings : dict
        Settings the method resolved (e.g. ``covariance`` chosen by BIC).
    tables : dict of str to DataFrame
        Extra tables (e.g. ``covariance_bic``).
    """

    estimators: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    basis_note: str = ""
    notes: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)


class SegmentationMethod:
    """One segmentation method (see the module notes: "to add a segmentation method you must").

    Class attributes
    ----------------
    name : str
        The registry key and the study's word for it ('lca').
    short, long : str
        'LCA' (candidate labels, tables) and 'latent class analysis' (summaries, settings).
    basis : {'coded', 'continuous'}
        Segments the answer codes, or the continuous basis (factor scores / z-scores).
    likelihood : bool
        A statistical model with a likelihood: information criteria, the bootstrap LRT,
        replication of the best fit, bias-adjusted distal outcomes and covariates.
    soft : bool
        Membership probabilities (else a hard 0/1 assignment to the nearest segment).
    complete : bool
        Needs complete data: missing values are filled (:attr:`Basis.filled`), and a frozen
        model keeps the fill values.
    weighted : bool
        Takes survey weights (else the basis note says they were ignored).
    adds_starts : bool
        Runs batches of more starts while its best fit is not replicated (the fit table's
        note names ``max_starts``).
    """

    name: str = ""
    short: str = ""
    long: str = ""
    basis: str = "continuous"
    likelihood: bool = False
    soft: bool = False
    complete: bool = False
    weighted: bool = True
    adds_starts: bool = False

    def __repr__(self) -> str:
        return f"<segmentation method {self.name!r}: {self.long}>"

    # ------------------------------------------------------------------ fitting
    def frame(self, basis: Basis) -> pd.DataFrame:
        """The data this method fits (and refits for stability, and the three-step uses)."""
        if self.basis == "coded":
            return basis.coded
        return basis.filled if self.complete else basis.continuous

    def basis_note(self, basis: Basis, settings) -> str:
        """What this method segmented, in the fit table's ``bases``."""
        if self.basis == "coded":
            return f"{basis.coded.shape[1]} basis items (coded answers; missing answers in the likelihood)"
        note = basis.continuous_note
        if self.complete and basis.n_filled:
            note += "; missing values set to the mean"
        if not self.weighted and basis.weights is not None:
            note += f"; unweighted ({self.long[:1].upper() + self.long[1:]} takes no weights)"
        return note

    def estimator(self, k: int, settings, basis: Basis | None = None):
        """An unfitted estimator for ``k`` segments with ``settings`` (a :class:`SegmentSettings`)."""
        raise NotImplementedError(f"{type(self).__name__} must write estimator(k, settings, basis)")

    def fit(self, basis: Basis, settings, *, n_jobs: int = 1, progress: bool = False) -> MethodFit:
        """Fit every k of ``settings.k_range``; a k that fails is a fit-table row, not an error."""
        out = MethodFit(basis_note=self.basis_note(basis, settings))
        frame = self.frame(basis)
        for k in settings.k_range:
            self.fit_one(out, k, frame, basis, settings, n_jobs=n_jobs, progress=progress)
        return out

    def fit_one(self, out: MethodFit, k: int, frame, basis: Basis, settings, *, n_jobs=1, progress=False) -> None:
        """Fit one k into ``out`` (a failed or unconverged fit becomes a fit-table row)."""
        try:
            with warnings.catch_warnings(record=True) as conv:
                warnings.simplefilter("always", WorkbenchWarning)
                est = self.estimator(k, settings, basis)
                # threads and progress bars for this fit only: results do not depend on them, so the
                # fitted estimator keeps its own values (its get_params are the result's settings)
                run = {key: v for key, v in (("n_jobs", n_jobs), ("progress", progress)) if hasattr(est, key)}
                kept = {key: getattr(est, key) for key in run}
                est.set_params(**run)
                w = basis.weights if self.weighted else None
                est.fit(frame, sample_weight=w) if w is not None else est.fit(frame)
                est.set_params(**kept)
            for c in conv:  # anything but non-convergence is the caller's to report
                if not issubclass(c.category, SegmentationConvergenceWarning):
                    warnings.warn_explicit(c.message, c.category, c.filename, c.lineno)
            out.estimators[k] = est
            if any(issubclass(c.category, SegmentationConvergenceWarning) for c in conv):
                out.rows[k] = {"status": "not converged",
                               "message": f"best start stopped at max_iter={settings.max_iter}; try a larger max_iter"}
        except AnalysisError as exc:
            out.rows[k] = {"status": "failed", "message": str(exc)}

    def fresh(self, frame: pd.DataFrame, k: int, *, n_init: int, random_state, like=None):
        """A fresh fit of ``k`` segments on a later wave's basis (the re-fit check), as a
        :class:`~workbench.segments.Segmentation`. ``like``: the frozen model, whose settings
        (e.g. a covariance structure) a fresh fit of the same method keeps."""
        est = self.estimator(k, _FreshSettings(n_init=n_init, random_state=random_state, like=like), None)
        if hasattr(est, "progress"):
            est.set_params(progress=False)
        est.fit(frame)
        return Segmentation.from_model(est, basis=f"{frame.shape[1]} variables", method=self.name,
                                       parameters=self.parameters_table(est))

    def blrt_task(self, est, h0, frame: pd.DataFrame, settings) -> dict | None:
        """The data of a bootstrap likelihood-ratio test of ``est`` against ``h0`` (k - 1),
        for :func:`workbench.segments._blrt.bootstrap_many`; None when the method has none."""
        return None

    # ------------------------------------------------------------------ describing
    def parameters_table(self, est) -> pd.DataFrame | None:
        """Every estimate as one tidy table (``model``, ``parameter``, ``class``, ``variable``,
        ``category``, ``value``); None: the estimator's own description."""
        return None

    def fit_row(self, row: dict) -> dict:
        """The fit-table row of one candidate, as this method fills it (a method without a
        likelihood blanks the likelihood columns)."""
        if not self.likelihood:
            for c in ("loglik", "n_parameters", "aic", "bic", "sabic", "caic", "icl_bic"):
                row[c] = float("nan")
        return row

    # ------------------------------------------------------------------ the frozen model
    def freeze(self, est) -> dict:
        """The fitted estimator's parameters as plain numpy arrays / numbers / text."""
        raise NotImplementedError(f"{type(self).__name__} must write freeze(estimator)")

    def item_codes(self, est) -> dict | None:
        """The answer codes of each item when fitted (coded-basis methods); None: from the data."""
        return None

    def log_joint(self, parameters: dict, X: np.ndarray, shares: np.ndarray, features) -> np.ndarray:
        """log P(x, segment) of respondents with at least one value, shape (n, k). A hard method
        gives a score whose largest entry is the nearest segment."""
        raise NotImplementedError(f"{type(self).__name__} must write log_joint(parameters, X, shares, features)")

    def posterior(self, log_joint: np.ndarray) -> np.ndarray:
        """Membership probabilities from :meth:`log_joint` (soft: normalised; hard: 0/1)."""
        if self.soft:
            return np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))
        hard = np.zeros_like(log_joint)
        hard[np.arange(len(hard)), log_joint.argmax(axis=1)] = 1.0
        return hard

    def loglik(self, log_joint: np.ndarray) -> np.ndarray:
        """Each respondent's log-likelihood (hard methods: the score of the nearest segment)."""
        return logsumexp(log_joint, axis=1) if self.soft else log_joint.max(axis=1)

    def profiles(self, parameters: dict, features) -> np.ndarray:
        """Each segment's expected value of every model variable: (features, k)."""
        raise NotImplementedError(f"{type(self).__name__} must write profiles(parameters, features)")

    def to_json(self, parameters: dict) -> dict:
        """The parameters as ``model.json`` keeps them (arrays become lists on writing)."""
        return dict(parameters)

    def from_json(self, raw: dict) -> dict:
        """The parameters read back from ``model.json`` (lists to float arrays)."""
        return {k: (v if isinstance(v, str) else np.asarray(v, dtype=float)) for k, v in raw.items()}

    def check(self, parameters: dict, k: int, features, path) -> None:
        """Refuse loaded parameters that cannot score (shapes, finite numbers, probabilities):
        raise :func:`workbench.files.modelcheck.unusable` (path, what) — a DataError naming the file.
        Called on every load of ``model.json``; the default checks nothing."""


@dataclass(frozen=True)
class _FreshSettings:
    """The few settings a fresh re-fit check passes to :meth:`SegmentationMethod.estimator`."""

    n_init: int
    random_state: object
    like: object = None
    init_iter: int = 50
    n_final: int | None = None
    max_iter: int = 1000
    tol: float = 1e-8
    max_starts: int | None = None
    measurement: object = "nominal"
    covariance: str = "diag"
    min_class_share: float = 0.0
    fresh: bool = True


def register(method: SegmentationMethod, *, replace: bool = False) -> SegmentationMethod:
    """Add ``method`` to the registry under ``method.name``.

    Raises
    ------
    ValueError
        No name, a name already registered (unless ``replace``), or a basis other than
        'coded' / 'continuous'.
    """
    name = getattr(method, "name", "")
    if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
        raise ValueError(f"a segmentation method needs a lower-case identifier as its name, got {name!r}")
    if name in _REGISTRY and not replace:
        raise ValueError(f"a segmentation method {name!r} is already registered ({_REGISTRY[name]!r})")
    if method.basis not in ("coded", "continuous"):
        raise ValueError(f"method {name!r}: basis must be 'coded' or 'continuous', got {method.basis!r}")
    _REGISTRY[name] = method
    METHOD_NAMES[name] = method.long or name  # Segmentation summaries
    name_method(name, method.short or name, method.long or name)
    return method


def unregister(name: str) -> None:
    """Remove a method added by :func:`register` (tests)."""
    _REGISTRY.pop(name, None)


def get_method(name: str) -> SegmentationMethod:
    """The registered method called ``name``.

    Raises
    ------
    AnalysisError
        No such method; the message lists the registered ones.
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise AnalysisError(f"unknown segmentation method {name!r}; expected one of {', '.join(_REGISTRY)}") from None


def method_names() -> tuple[str, ...]:
    """The registered methods' names, built-ins first."""
    return tuple(_REGISTRY)


def registered(name) -> bool:
    return isinstance(name, str) and name in _REGISTRY


def has_likelihood(name) -> bool:
    """True for a registered method with a likelihood (LCA, LPA); False otherwise."""
    return registered(name) and _REGISTRY[name].likelihood


class PartitionEstimator(_CentroidModel):
    """Base for a hard-partition estimator: subclass it and write
    ``partition(X, k, sample_weight, random_state)`` returning a label 0..k-1 for every row of
    the complete array ``X``; :meth:`fit` orders the segments by size (1 = the largest),
    computes the (weighted) centroids and shares, and new rows are classified by the nearest
    centroid, as :class:`workbench.segments.KMeansModel` does.

    Parameters
    ----------
    n_classes : int, default=2
    random_state : int, numpy Generator or None
    """

    _method = "partition"

    def __init__(self, n_classes=2, *, random_state=None):
        self.n_classes = n_classes
        self.random_state = random_state

    def partition(self, X: np.ndarray, k: int, sample_weight, random_state: int) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must write partition(X, k, sample_weight, random_state)")

    def fit(self, X, y=None, sample_weight=None):
        """Partition complete continuous data.

        Raises
        ------
        AnalysisError
            Missing values, or a partition that is not k non-empty groups.
        """
        frame, used, excluded, w = self._prepare_input(X, sample_weight)
        k = _check_k(self.n_classes)
        Xc = self._complete(used)
        seed = seed_int(self.random_state)
        labels = np.asarray(self.partition(Xc, k, w, seed))
        if labels.shape != (len(Xc),) or not np.issubdtype(labels.dtype, np.integer):
            raise AnalysisError(f"{type(self).__name__}.partition must give one whole-number label per row")
        if len(Xc) and (labels.min() < 0 or labels.max() >= k or len(np.unique(labels)) < k):
            raise AnalysisError(f"{type(self).__name__} found {len(np.unique(labels))} non-empty segment(s), "
                                f"not {k}; use fewer segments")
        self.starts_ = pd.DataFrame([{"start": 1, "seed": seed, "stage": 1, "iterations": 0, "best": True,
                                      "ari_with_best": 1.0, "status": "ok", "note": ""}])
        self.start_agreement_ = float("nan")
        self.best_ll_replicated_ = 1
        self.n_final_starts_ = 1
        self.n_iter_ = 0
        self.random_seed_ = seed
        self._finish(Xc, labels.astype(int), used, excluded, w, frame.index, k)
        return self
