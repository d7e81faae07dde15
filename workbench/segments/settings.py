"""One settings object for fitting candidate segmentations: :class:`SegmentSettings`.

The study's plan (``segmentation:`` in study.yaml) is the library's default: every default
here is the default of :class:`workbench.study.spec.SegmentationSpec` (a test compares them),
so :func:`workbench.segments.candidates` called without settings fits what ``workbench
run`` fits for a study that says nothing. The segments step builds one object from the study
(:func:`workbench.steps.segments.segmentation_inputs`) and passes it whole; notebooks take
that object and change only what they say they change (:meth:`SegmentSettings.but`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..core.errors import AnalysisError

__all__ = ["SegmentSettings"]


def _ks(k_range) -> tuple:
    try:
        ks = tuple(sorted({int(k) for k in k_range}))
    except (TypeError, ValueError):
        raise AnalysisError(f"k_range must hold whole numbers of at least 1, got {k_range!r}") from None
    if not ks or ks[0] < 1:
        raise AnalysisError(f"k_range must hold whole numbers of at least 1, got {list(k_range)!r}")
    return ks


@dataclass(frozen=True)
class SegmentSettings:
    """How candidate segmentations are fitted (:func:`workbench.segments.candidates`). Defaults
    are the study plan's defaults.

    Attributes
    ----------
    k_range : tuple of int, default=(2, ..., 8)
        The study's ``k_min`` .. ``k_max``.
    methods : tuple of str, default=('lca', 'lpa', 'kmeans')
        Registered method names (:func:`workbench.segments.methods.method_names`).
    n_init, init_iter, n_final, max_iter, tol : default=50, 50, None, 1000, 1e-8
        Random starts (see :class:`~workbench.segments.LatentClassModel`); ``n_init`` also for k-means.
    covariance : {'auto', 'diag', 'spherical', 'tied', 'full'}, default='auto'
        LPA covariance structure; 'auto' fits all four at every k (at most
        ``AUTO_STARTS`` random starts each, one final run; 'tied' and 'full' not when a
        respondent has missing values) and uses the one with the lowest BIC over all k
        (mclust's rule), with the table in ``covariance_bic``; the LPA candidates are then
        fitted with that structure and ``n_init`` starts.
    min_class_share : float, default=0.05
        Candidates whose smallest segment is below this share are flagged in the fit table.
    min_segment_n : int, default=30
        The study's ``min_segment_n``: candidates whose smallest segment has fewer respondents
        are flagged.
    n_bootstrap : int, default=0
        The study's ``bootstrap_reps``: stability refits per candidate (0 = stability not measured).
    stability_kind : {'bootstrap', 'split-half'}, default='bootstrap'
        The study's ``stability``.
    stability_n_init : int, default=3
    choice : (method, k) or None
        The consultant's pinned candidate.
    structural_candidates : {'all', 'best'}, default='best'
        Which LCA / LPA candidates get distal outcomes and covariates: every one, or the
        pinned choice and each method's lowest-BIC candidate.
    random_state : int, numpy Generator or None, default=20240101
        The study's ``seed``.
    measurement : {'nominal', 'ordinal'} or dict of item to one of them, default='nominal'
        How LCA models the items (see :class:`~workbench.segments.LatentClassModel`).
    max_starts : int or None, default=None (4 × n_init)
        When fewer than 2 finished starts of an LCA candidate reach its best log-likelihood,
        or fewer than half of them and added starts still improve it, ``n_init`` more
        starts are run, until neither holds or this many starts ran (the fit table's
        ``starts_added`` and ``flags`` say so; see :func:`~workbench.segments._engine.add_starts`).
    blrt_reps, blrt_stop_after : int or None, default=None
        Bootstrap likelihood-ratio test of every candidate of ``blrt_methods`` against one
        class fewer (Mplus TECH14; mclust's ``mclustBootstrapLRT`` for profiles): at most
        ``blrt_reps`` draws, stopping once ``blrt_stop_after`` of them reach the observed
        ratio (the p-value is then clearly above 0.05). ``blrt_reps=0`` = no test. The
        rule: p at most 0.05 = k fits better. The floor, the smallest p-value the draws
        can give, is 1/(blrt_reps + 1) and shown as ``blrt_p_floor`` in the fit table.
        None = automatic: :func:`~workbench.segments._blrt.blrt_draws` (99 draws, floor 0.01,
        so a p-value near 0.05 is decided, up to 5,000 respondents; 19 above, floor 0.05: an
        exact 5 % Monte-Carlo test that says "at most 0.05" when no draw reaches the observed
        ratio) and the exceedances at which that count's test is decided
        (:func:`~workbench.segments._blrt.blrt_stop_after`: 5 for 99, after about 5/p draws
        where p is clearly above; 2 for 19).
    blrt_starts : int, default=0
        Random starts per LCA draw besides the observed estimates and a split of the
        largest class.
    blrt_for : {'bic', 'all'}, default='bic'
        Which candidates get the test: every one, or only the two around the lowest BIC
        (that k against k-1, and k+1 against k), which is what a choice of k needs and
        costs two tests instead of one per k.
    blrt_methods : tuple of str, default=('lca',)
        Which methods with a likelihood get the test; 'lpa' draws Gaussian samples (tied
        and full covariances make each draw's EM slow, hence opt-in).
    """

    k_range: tuple = tuple(range(2, 9))
    methods: tuple = ("lca", "lpa", "kmeans")
    n_init: int = 50
    init_iter: int = 50
    n_final: int | None = None
    max_iter: int = 1000
    tol: float = 1e-8
    covariance: str = "auto"
    min_class_share: float = 0.05
    min_segment_n: int = 30
    n_bootstrap: int = 0
    stability_kind: str = "bootstrap"
    stability_n_init: int = 3
    choice: tuple | None = None
    structural_candidates: str = "best"
    random_state: object = 20240101
    measurement: object = field(default="nominal", hash=False)
    max_starts: int | None = None
    blrt_reps: int | None = None
    blrt_stop_after: int | None = None
    blrt_starts: int = 0
    blrt_for: str = "bic"
    blrt_methods: tuple = ("lca",)

    def __post_init__(self):
        object.__setattr__(self, "k_range", _ks(self.k_range))
        methods = (self.methods,) if isinstance(self.methods, str) else tuple(self.methods)
        object.__setattr__(self, "methods", methods)
        object.__setattr__(self, "blrt_methods", tuple(self.blrt_methods))
        if self.choice is not None:
            try:
                object.__setattr__(self, "choice", (str(self.choice[0]), int(self.choice[1])))
            except (TypeError, ValueError, IndexError):
                raise AnalysisError(f"choice must be (method, k), got {self.choice!r}") from None

    def but(self, **changes) -> "SegmentSettings":
        """A copy with ``changes`` applied; a change given as None keeps this object's value
        (what a notebook's ``None: the plan's`` parameter means). ``k_min`` / ``k_max``
        change one end of ``k_range``.

        Raises
        ------
        TypeError
            A name that is not a setting (the message lists them).
        """
        changes = {k: v for k, v in changes.items() if v is not None}
        lo, hi = changes.pop("k_min", None), changes.pop("k_max", None)
        if lo is not None or hi is not None:
            ks = changes.get("k_range", self.k_range)
            lo = min(ks) if lo is None else int(lo)
            hi = max(ks) if hi is None else int(hi)
            if lo < 1 or hi < lo:
                raise AnalysisError(f"the range of k must run from at least 1 upwards; got k_min={lo}, k_max={hi}")
            changes["k_range"] = range(lo, hi + 1)
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise TypeError(f"unknown segmentation setting(s) {', '.join(unknown)}; the settings are "
                            f"{', '.join(sorted(names))}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        """The settings as a plain dict (field order)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
