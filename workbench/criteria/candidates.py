"""What a candidate segmentation is (:class:`Candidate`), :class:`LabelCandidate` for plain labels,
and the classification entropy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

CRITERIA = ("relevant", "operational", "describable")
#: Categorical KPI columns with more categories than this (ids, names) are not tested.
MAX_KPI_CATEGORIES = 20
PASS, FAIL, NOT_MEASURED = "pass", "fail", "not measured"
BASIS_KINDS = ("needs", "motivations", "barriers")


# --------------------------------------------------------------------------- candidates


@runtime_checkable
class Candidate(Protocol):
    """What the scorecard needs from a candidate segmentation.

    Required: ``name`` (str), ``k`` (int) and ``labels`` (Series of segment labels indexed
    by respondent id). Optional, read with ``getattr``: ``entropy`` (float 0-1),
    ``stability`` (float, mean bootstrap ARI) and ``posteriors`` (DataFrame, respondents ×
    segments). A missing optional attribute makes its check 'not measured'.
    """

    name: str
    k: int
    labels: pd.Series


@dataclass(frozen=True, eq=False)
class LabelCandidate:
    """A candidate made from plain labels (a planted truth, a hand-made split, an import).

    Parameters
    ----------
    name : str
    labels : Series
        Segment label per respondent id.
    entropy, stability : float, optional
    posteriors : DataFrame, optional
    """

    name: str
    labels: pd.Series = field(repr=False)
    entropy: float | None = None
    stability: float | None = None
    posteriors: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def k(self) -> int:
        return int(self.labels.dropna().nunique())


def relative_entropy(posteriors) -> float:
    """Relative entropy of a classification, 1 = every respondent certainly in one segment.

    ``E = 1 - Σ_i Σ_k (-p_ik ln p_ik) / (n ln K)`` (Ramaswamy et al. 1993), the statistic
    Mplus and StepMix report.

    Parameters
    ----------
    posteriors : array-like of shape (n, K)
        Membership probabilities; rows sum to 1.

    Returns
    -------
    float
    """
    p = np.asarray(posteriors, dtype=float)
    n, k = p.shape
    if k < 2:
        return 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return float(1 - terms.sum() / (n * np.log(k)))
