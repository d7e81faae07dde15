"""Input checks and encodings shared by the segmentation methods.

Everything a method needs from a plain data frame: numeric columns, respondent weights
normalised to mean 1, respondents without a single answer set aside (they cannot be
classified), and for latent class analysis the answer codes of each item turned into
StepMix's one-hot layout with missing answers kept missing.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError, WorkbenchWarning

__all__ = [
    "SegmentationWarning",
    "SegmentationConvergenceWarning",
    "as_numeric_frame",
    "prepare_weights",
    "split_unanswered",
    "CategoricalEncoding",
    "standardise",
]

logger = logging.getLogger(__name__)


class SegmentationWarning(WorkbenchWarning):
    """Something about the segmentation the consultant should know (respondents set aside,
    a class smaller than the plan allows, a setting that was ignored)."""


class SegmentationConvergenceWarning(SegmentationWarning):
    """The best start of a fit stopped at ``max_iter`` before the log-likelihood settled.

    Try a larger ``max_iter``, more starts (``n_init``) or fewer classes; the fit table marks
    the run as not converged.
    """


def as_numeric_frame(data, what: str = "data") -> pd.DataFrame:
    """``data`` as a float DataFrame with unique index and string column names.

    Parameters
    ----------
    data : DataFrame or 2-D array
    what : str
        How the error messages call the input.

    Raises
    ------
    AnalysisError
        Not 2-D, empty, repeated respondent ids or column names, or a column that is not
        numeric (named, with an example value).
    """
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if isinstance(data, pd.DataFrame):
        frame = data
    else:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise AnalysisError(f"{what} must be a table (respondents × variables); got an array of shape {arr.shape}")
        frame = pd.DataFrame(arr, columns=[f"x{i + 1}" for i in range(arr.shape[1])])
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise AnalysisError(f"{what} is empty ({frame.shape[0]} respondents × {frame.shape[1]} variables)")
    cols = [str(c) for c in frame.columns]
    dup_cols = sorted({c for c in cols if cols.count(c) > 1})
    if dup_cols:
        raise AnalysisError(f"{what} has repeated column name(s) {', '.join(dup_cols)}; each variable once")
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique()[:5]
        raise AnalysisError(
            f"{what} has repeated respondent ids ({', '.join(map(str, dup))}); each respondent must appear once "
            "(run the quality checks, which resolve duplicates)"
        )
    out = {}
    for c, name in zip(frame.columns, cols):
        s = frame[c]
        if pd.api.types.is_bool_dtype(s):
            out[name] = s.astype(float)
            continue
        if not pd.api.types.is_numeric_dtype(s):
            conv = pd.to_numeric(s, errors="coerce")
            bad = s[conv.isna() & s.notna()]
            if len(bad):
                raise AnalysisError(
                    f"{what} column '{name}' is not numeric (e.g. {bad.iloc[0]!r} for respondent {bad.index[0]}); "
                    "segmentation bases must be coded answers or scores"
                )
            s = conv
        out[name] = s.astype(float)
    frame = pd.DataFrame(out, index=frame.index)
    arr = frame.to_numpy()
    if np.isinf(arr).any():
        col = frame.columns[np.isinf(arr).any(axis=0)][0]
        raise AnalysisError(f"{what} column '{col}' holds an infinite value; use NaN for missing answers")
    return frame


def prepare_weights(sample_weight, index: pd.Index) -> np.ndarray | None:
    """Respondent weights aligned to ``index`` and normalised to mean 1.

    Survey weights are rescaled so they sum to the number of respondents: the
    log-likelihood, BIC and class shares then refer to the sample, as Latent GOLD and Mplus
    treat sampling weights, and a weight of 2 counts a respondent twice relative to the
    average respondent.

    Parameters
    ----------
    sample_weight : Series, array-like or None
        A Series is matched to ``index`` by respondent id; an array by position.
    index : Index
        The respondents to weight.

    Returns
    -------
    ndarray or None

    Raises
    ------
    AnalysisError
        Missing, negative or non-finite weights, or weights that sum to zero.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, pd.Series):
        missing = index.difference(sample_weight.index)
        if len(missing):
            raise AnalysisError(
                f"{len(missing)} respondent(s) have no weight (e.g. {missing[0]}); the weights must cover every "
                "respondent in the basis"
            )
        w = pd.to_numeric(sample_weight.loc[index], errors="coerce").to_numpy(dtype=float)
    else:
        w = np.asarray(sample_weight, dtype=float).ravel()
        if len(w) != len(index):
            raise AnalysisError(f"{len(w)} weights given for {len(index)} respondents; give one weight per respondent")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise AnalysisError(
            f"weight of respondent {index[i]} is {w[i]:g}; weights must be finite and not negative"
        )
    if w.sum() <= 0:
        raise AnalysisError("the weights sum to zero; at least one respondent needs a positive weight")
    return w * (len(w) / w.sum())


def split_unanswered(frame: pd.DataFrame, what: str = "basis") -> tuple[pd.DataFrame, pd.Index]:
    """Set aside respondents who answered none of the basis variables.

    They carry no information about their segment, so they are not fitted and get no label
    (their label is missing). A :class:`SegmentationWarning` says how many and who.

    Raises
    ------
    AnalysisError
        When nobody answered anything.
    """
    empty = frame.isna().all(axis=1).to_numpy()
    if empty.all():
        raise AnalysisError(f"no respondent answered any {what} variable; nothing to segment")
    if empty.any():
        ids = frame.index[empty]
        shown = ", ".join(map(str, ids[:5])) + (" ..." if len(ids) > 5 else "")
        warnings.warn(
            f"{len(ids)} respondent(s) answered none of the {frame.shape[1]} {what} variables ({shown}); "
            "they are left out of the fit and get no segment label",
            SegmentationWarning,
            stacklevel=3,
        )
    if not empty.any():  # everyone answered something: no copy of the basis
        return frame, frame.index[empty]
    return frame.loc[~empty], frame.index[empty]


def standardise(frame: pd.DataFrame, sample_weight=None) -> pd.DataFrame:
    """Z-scores per column (weighted mean and standard deviation), missing kept missing.

    Raises
    ------
    AnalysisError
        A column without variation (it cannot separate segments).
    """
    w = np.ones(len(frame)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    out = {}
    for c in frame.columns:
        x = frame[c].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        if ok.sum() < 2:
            raise AnalysisError(f"column '{c}' has fewer than two answers; drop it from the basis")
        m = np.average(x[ok], weights=w[ok])
        sd = np.sqrt(np.average((x[ok] - m) ** 2, weights=w[ok]))
        if not sd > 0:
            raise AnalysisError(
                f"column '{c}' has the same value ({m:g}) for everyone who answered; it cannot separate segments, "
                "drop it from the basis"
            )
        out[c] = (x - m) / sd
    return pd.DataFrame(out, index=frame.index)


@dataclass(frozen=True)
class CategoricalEncoding:
    """The answer codes of categorical items and their one-hot layout for StepMix.

    Attributes
    ----------
    columns : tuple of str
        The items, in input order.
    categories : tuple of tuple of float
        The codes observed for each item when fitting, sorted (e.g. ``(1.0, ..., 5.0)``).
    """

    columns: tuple
    categories: tuple

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> "CategoricalEncoding":
        """Learn each item's codes.

        Raises
        ------
        AnalysisError
            A code that is not a whole number, or an item with fewer than two distinct
            answers (named, with what was found and what to do).
        """
        cats = []
        for c in frame.columns:
            x = frame[c].to_numpy(dtype=float)
            x = x[~np.isnan(x)]
            frac = x != np.round(x)
            if frac.any():
                raise AnalysisError(
                    f"item '{c}' holds the value {x[frac][0]:g}, which is not an answer code; latent class analysis "
                    "needs coded answers (whole numbers). Use lpa() for continuous scores"
                )
            values = np.unique(x)
            if len(values) < 2:
                found = "no answers" if len(values) == 0 else f"only the answer {values[0]:g}"
                raise AnalysisError(
                    f"item '{c}' has {found}: an item with one category cannot separate segments; drop it from "
                    "the basis"
                )
            cats.append(tuple(float(v) for v in values))
        return cls(columns=tuple(map(str, frame.columns)), categories=tuple(cats))

    @property
    def max_categories(self) -> int:
        return max(len(c) for c in self.categories)

    @property
    def total_categories(self) -> int:
        return sum(len(c) for c in self.categories)

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Category positions (n, items): 0 for the lowest code of an item, -1 where missing.

        Raises
        ------
        AnalysisError
            Missing items, or a code the model never saw when it was fitted.
        """
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise AnalysisError(f"the data lack the basis item(s) {', '.join(missing)} the model was fitted on")
        out = np.full((len(frame), len(self.columns)), -1, dtype=np.int16)
        for j, (c, cats) in enumerate(zip(self.columns, self.categories)):
            x = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
            obs = ~np.isnan(x)
            pos = np.searchsorted(cats, x[obs])
            pos = np.clip(pos, 0, len(cats) - 1)
            known = np.asarray(cats)[pos] == x[obs]
            if not known.all():
                bad = x[obs][~known][0]
                who = frame.index[np.flatnonzero(obs)[~known][0]]
                raise AnalysisError(
                    f"item '{c}' has the answer {bad:g} (respondent {who}), which the model never saw when it was "
                    f"fitted (codes {', '.join(f'{v:g}' for v in cats)}); refit with these answers or set them missing"
                )
            out[np.flatnonzero(obs), j] = pos
        return out

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """One-hot array of shape (n, items × max_categories) in StepMix's layout; a missing
        answer's block is NaN (see :meth:`codes` for the errors)."""
        codes = self.codes(frame)
        n, width = len(frame), self.max_categories
        out = np.zeros((n, len(self.columns) * width))
        for j in range(len(self.columns)):
            obs = codes[:, j] >= 0
            out[np.flatnonzero(obs), j * width + codes[obs, j]] = 1.0
            out[~obs, j * width:(j + 1) * width] = np.nan
        return out

    def cells(self) -> float:
        """log10 of the number of possible answer patterns (the contingency table's cells)."""
        return float(sum(np.log10(len(c)) for c in self.categories))
