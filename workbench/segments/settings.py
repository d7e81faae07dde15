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
    """How candidate segmentations are fitted (see :func:`workbench.segments.candidates` for
    each setting's meaning). Defaults are the study plan's defaults.

    Attributes
    ----------
    k_range : tuple of int, default=(2, ..., 8)
        The study's ``k_min`` .. ``k_max``.
    methods : tuple of str, default=('lca', 'lpa', 'kmeans')
        Registered method names (:func:`workbench.segments.methods.method_names`).
    n_init : int, default=50
    init_iter, n_final, max_iter, tol : default=50, None, 1000, 1e-8
    covariance : {'auto', 'diag', 'spherical', 'tied', 'full'}, default='auto'
    min_class_share : float, default=0.05
    min_segment_n : int, default=30
        The study's ``min_segment_n``.
    n_bootstrap : int, default=0
        The study's ``bootstrap_reps``.
    stability_kind : {'bootstrap', 'split-half'}, default='bootstrap'
        The study's ``stability``.
    stability_n_init : int, default=3
    choice : (method, k) or None
    structural_candidates : {'all', 'best'}, default='best'
    random_state : int or None, default=20240101
        The study's ``seed``.
    measurement : {'nominal', 'ordinal'} or dict of item to one of them, default='nominal'
    max_starts : int or None, default=None (4 × n_init)
    blrt_reps, blrt_stop_after : int or None, default=None
        None = automatic: :func:`~workbench.segments._blrt.blrt_draws` (99 draws up to 5,000
        respondents, 19 above) and the exceedances at which that count's test is decided
        (:func:`~workbench.segments._blrt.blrt_stop_after`: 5 for 99, 2 for 19).
    blrt_starts : int, default=0
    blrt_for : {'bic', 'all'}, default='bic'
    blrt_methods : tuple of str, default=('lca',)
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
