"""Segment labels and survey weights aligned to the respondents a table describes.

Shared by the profiles, the criteria scorecard and the opportunity maps: labels are
matched to respondents by id (as text), weights likewise; what was dropped is counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError

__all__ = ["Alignment", "align_labels", "align_weights", "sort_segments"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alignment:
    """How a labels Series met the respondents it describes."""

    labels: pd.Series  # the labels kept, indexed like the responses (response order)
    n_labels: int  # non-missing labels given
    n_responses: int  # respondents in the responses
    labels_without_response: int  # labelled ids not among the responses (dropped)
    responses_without_label: int  # respondents without a label (dropped)

    @property
    def n(self) -> int:
        return len(self.labels)

    def sentence(self) -> str:
        parts = [f"{self.n:,} respondents profiled"]
        if self.labels_without_response:
            parts.append(f"{self.labels_without_response:,} labelled ids not among the responses dropped")
        if self.responses_without_label:
            parts.append(f"{self.responses_without_label:,} respondents without a segment label dropped")
        return "; ".join(parts)


def sort_segments(values) -> list:
    """The distinct segment labels, sorted (as text when they do not compare)."""
    uniq = list(pd.unique(pd.Series(values)))
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def align_labels(index: pd.Index, labels, *, what: str = "labels") -> Alignment:
    """Align segment labels to a respondent index.

    Parameters
    ----------
    index : Index
        The respondents (``responses.data.index``).
    labels : Series
        Segment label per respondent id; may hold more or fewer ids than ``index``.
        Missing labels (NaN) count as unlabelled.
    what : str
        How to name the labels in messages.

    Returns
    -------
    Alignment
        The labels restricted to respondents that have both, in the order of ``index``,
        and how many were dropped on each side.

    Raises
    ------
    AnalysisError
        Labels that are not a Series, duplicate ids, or no overlap at all.
    """
    if not isinstance(labels, pd.Series):
        raise AnalysisError(
            f"{what} must be a pandas Series indexed by respondent id, got {type(labels).__name__}; "
            "e.g. pd.Series(labels, index=responses.data.index)"
        )
    lab = labels.dropna()
    if not lab.index.is_unique:
        dup = lab.index[lab.index.duplicated()][0]
        raise AnalysisError(f"{what}: respondent id {dup!r} has more than one label; give one label per respondent")
    idx_str = pd.Index(index.astype(str))
    lab_idx = pd.Index(lab.index.astype(str))
    lab = pd.Series(lab.to_numpy(), index=lab_idx, name=labels.name)
    common = idx_str.intersection(lab_idx, sort=False)
    if len(common) == 0:
        raise AnalysisError(
            f"none of the {len(lab):,} ids in the {what} is a respondent id of the responses "
            f"(responses: {', '.join(map(str, index[:3]))} ...; {what}: "
            f"{', '.join(map(str, lab.index[:3]))} ...); index the {what} by the respondent id"
        )
    keep = idx_str.isin(common)
    aligned = pd.Series(lab.reindex(idx_str[keep]).to_numpy(), index=index[keep], name=labels.name or "segment")
    out = Alignment(
        labels=aligned,
        n_labels=len(lab),
        n_responses=len(index),
        labels_without_response=len(lab) - len(common),
        responses_without_label=int((~keep).sum()),
    )
    if out.labels_without_response or out.responses_without_label:
        logger.info("%s: %s", what, out.sentence())
    return out


def align_weights(weights, index: pd.Index) -> np.ndarray:
    """Positive weights for ``index`` (ones when ``weights`` is None); an error naming a missing or bad one."""
    if weights is None:
        return np.ones(len(index))
    if not isinstance(weights, pd.Series):
        raise AnalysisError(f"weights must be a pandas Series indexed by respondent id, got {type(weights).__name__}")
    w = pd.Series(weights.to_numpy(dtype=float), index=weights.index.astype(str)).reindex(index.astype(str))
    if w.isna().any():
        missing = list(w.index[w.isna()][:3])
        raise AnalysisError(
            f"{int(w.isna().sum()):,} profiled respondent(s) have no weight (e.g. {', '.join(missing)}); "
            "give every respondent a positive weight"
        )
    if (w <= 0).any():
        bad = w[w <= 0].index[0]
        raise AnalysisError(f"the weight of respondent {bad!r} is {w[bad]}; weights must be positive")
    return w.to_numpy(dtype=float)
