"""Suppression everywhere: segments below ``min_segment_n`` are not reported to the client.

The profiles, opportunities and the deck already leave such segments out of client
tables (:attr:`workbench.describe.profiles.SegmentProfiles.suppressed`).  The typing tool and the
whole customer base follow the same rule here:

- ``typing_tool.xlsx``: a suppressed segment is shown as :data:`NOT_ASSIGNED` instead of
  its name, so a customer the formulas place there reads "not assigned (segment too
  small to report)";
- ``customer_segments.csv``: a customer in a suppressed segment gets no segment (blank),
  the name :data:`NOT_ASSIGNED`, no probability and ``confident`` False; ``source`` still
  says whether the survey or the model placed them.

The numbers behind (``model.json``, ``respondent_segments.csv``, ``segments.xlsx``) keep
every segment: they are the analyst's record, and tracking compares sizes across waves.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

__all__ = ["NOT_ASSIGNED", "suppressed_segments", "suppress_names", "suppress_customers"]

logger = logging.getLogger(__name__)

#: What a customer in a suppressed segment gets instead of a segment name.
NOT_ASSIGNED = "not assigned (segment too small to report)"


def suppressed_segments(profiles, labels: pd.Series | None = None, min_segment_n: int = 0) -> set[int]:
    """Segments below the study's ``min_segment_n`` in this wave: from the profiles
    (:attr:`workbench.describe.profiles.SegmentProfiles.suppressed`) when the run computed them, else
    counted from ``labels`` (one segment per clean respondent)."""
    if profiles is not None:
        out = set()
        for s in profiles.suppressed:
            try:
                out.add(int(s))
            except (TypeError, ValueError):
                continue
        return out
    if labels is None:
        return set()
    sizes = pd.Series(labels).dropna().astype(int).value_counts()
    return {int(s) for s, n in sizes.items() if n < min_segment_n}


def suppress_names(names: dict, segments, suppressed: set[int]) -> dict:
    """Segment names with every suppressed segment shown as :data:`NOT_ASSIGNED`."""
    out = {s: names.get(s, f"Segment {s}") for s in segments}
    for s in segments:
        if int(s) in suppressed:
            out[s] = NOT_ASSIGNED
    return out


def suppress_customers(table: pd.DataFrame | None, suppressed: set[int]) -> pd.DataFrame | None:
    """``customer_segments.csv`` with customers of suppressed segments not assigned (see the notes)."""
    if table is None or not suppressed:
        return table
    out = table.copy()
    seg = pd.to_numeric(out["segment"], errors="coerce")
    hide = seg.isin(sorted(suppressed)).to_numpy()
    if not hide.any():
        return out
    out["segment"] = pd.array(np.where(hide, pd.NA, out["segment"].astype(object)), dtype="Int64")
    out["name"] = np.where(hide, NOT_ASSIGNED, out["name"].astype(object))
    if "probability" in out:
        out.loc[hide, "probability"] = np.nan
    if "confident" in out:
        out["confident"] = out["confident"].astype(bool) & ~hide
    for c in [c for c in out.columns if str(c).startswith("p_")]:
        try:
            if int(str(c)[2:]) in suppressed:
                out = out.drop(columns=c)
        except ValueError:
            continue
    logger.info("customer_segments: %d customer(s) in segment(s) %s below min_segment_n are not assigned",
                int(hide.sum()), sorted(suppressed))
    return out
