"""Input checks and small helpers shared by the factor-analysis modules.

Everything here turns a consultant's data frame into a clean numeric matrix or refuses it
with a :class:`~workbench.core.errors.AnalysisError` / :class:`~workbench.core.errors.DataError`
that names the item (column) at fault and says what to try.
"""

from __future__ import annotations

import logging
from typing import Mapping

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError, DataError
from ..core.provenance import check_random_state, utc_now

logger = logging.getLogger("workbench.factors")

MISSING = ("pairwise", "listwise")
CORRELATIONS = ("pearson", "polychoric", "tetrachoric")
#: what a caller may ask for: a correlation, or "auto" (chosen from the answers, see correlation.suggest_correlation)
CORRELATION_CHOICES = CORRELATIONS + ("auto",)


now = utc_now  # the one time stamp (workbench.core.provenance)


def package_version() -> str:
    from .. import __version__

    return __version__


def check_choice(name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not supported; expected one of {', '.join(map(repr, allowed))}")
    return value


def as_frame(data, what: str = "data") -> pd.DataFrame:
    """A float DataFrame of the items; non-numeric columns are a DataError naming them."""
    if isinstance(data, pd.Series):
        raise DataError(f"{what} is a single column ({data.name!r}); factor analysis needs several items")
    if not isinstance(data, pd.DataFrame):
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise DataError(f"{what} must be a table (respondents x items), got an array of shape {arr.shape}")
        data = pd.DataFrame(arr, columns=[f"item{i + 1}" for i in range(arr.shape[1])])
    if data.shape[1] == 0:
        raise DataError(f"{what} has no columns; pass the items (one column per question) to analyse")
    if not data.columns.is_unique:
        dup = data.columns[data.columns.duplicated()][0]
        raise DataError(f"column {dup!r} occurs twice in {what}; each item must be one column", column=str(dup))
    out = {}
    for col in data.columns:
        s = data[col]
        if pd.api.types.is_bool_dtype(s):
            s = s.astype(float)
        if not (pd.api.types.is_numeric_dtype(s) or s.isna().all()):
            bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
            example = bad.iloc[0] if len(bad) else s.iloc[0]
            raise DataError(
                f"item {col!r} holds text ({example!r}), not numeric answers; pass coded answers "
                "(e.g. 1-5), with 'don't know' as missing",
                column=str(col),
            )
        out[col] = pd.to_numeric(s, errors="coerce").astype(float)
    frame = pd.DataFrame(out, index=data.index)
    frame.columns = [str(c) for c in frame.columns]
    return frame


def is_correlation_matrix(data) -> bool:
    """True when ``data`` is a square, symmetric frame with matching labels and a unit diagonal."""
    if not isinstance(data, pd.DataFrame) or data.shape[0] != data.shape[1] or data.shape[0] < 2:
        return False
    if [str(i) for i in data.index] != [str(c) for c in data.columns]:
        return False
    try:
        arr = data.to_numpy(dtype=float)
    except (TypeError, ValueError):
        return False
    if not np.isfinite(arr).all():
        return False
    return bool(np.allclose(np.diag(arr), 1.0, atol=1e-8) and np.allclose(arr, arr.T, atol=1e-8)
                and np.abs(arr).max() <= 1 + 1e-8)


def check_items(frame: pd.DataFrame, *, min_items: int = 3) -> None:
    """Refuse items that cannot be factor analysed: empty, constant, too few."""
    if frame.shape[1] < min_items:
        raise AnalysisError(
            f"only {frame.shape[1]} item(s) ({', '.join(map(repr, frame.columns))}); factor analysis "
            f"needs at least {min_items} items"
        )
    empty = [c for c in frame.columns if frame[c].notna().sum() == 0]
    if empty:
        raise AnalysisError(
            f"item(s) {', '.join(map(repr, empty))} have no answers at all; drop them or check the "
            "column mapping",
            column=empty[0],
        )
    constant = []
    for c in frame.columns:
        vals = frame[c].dropna().unique()
        if len(vals) < 2:
            constant.append((c, vals[0]))
    if constant:
        shown = ", ".join(f"{c!r} (always {_num(v)})" for c, v in constant)
        raise AnalysisError(
            f"constant item(s): {shown}; an item everybody answers the same way has no variance "
            "and cannot correlate with anything: drop it from the battery",
            column=constant[0][0],
        )


def _num(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:g}"


def check_respondents(n: int, p: int, where: str = "") -> None:
    if n <= p:
        raise AnalysisError(
            f"{n} respondent(s){where} for {p} items: there must be more respondents than items "
            f"(a stable solution wants at least 5-10 per item, here {5 * p}-{10 * p}); "
            "use fewer items or more respondents"
        )


def max_factors(p: int) -> int:
    """The most common factors ``p`` items identify: ((p-k)^2 - (p+k)) / 2 >= 0."""
    k = 0
    while ((p - (k + 1)) ** 2 - (p + k + 1)) >= 0:
        k += 1
    return k


def check_n_factors(n_factors, p: int) -> int:
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)):
        raise ValueError(f"n_factors must be a whole number or 'auto', got {n_factors!r}")
    n_factors = int(n_factors)
    if n_factors < 1:
        raise AnalysisError(f"n_factors={n_factors}: at least one factor is needed")
    top = max_factors(p)
    if n_factors > top:
        raise AnalysisError(
            f"{n_factors} factors cannot be identified from {p} items: {p} items identify at most "
            f"{top} common factor(s) (the model needs ((p-k)^2 - (p+k))/2 >= 0 degrees of freedom); "
            f"ask for at most {top} factors, or add items"
        )
    return n_factors


def collinear_items(corr: np.ndarray, names: list[str], tol: float = 1e-8) -> list[str] | None:
    """The items that make a correlation matrix singular, or None when it is not."""
    vals, vecs = np.linalg.eigh(corr)
    if vals[0] > tol * max(1.0, vals[-1]):
        return None
    v = vecs[:, 0]
    idx = np.flatnonzero(np.abs(v) > 0.1 * np.abs(v).max())
    return [names[i] for i in idx]


def singular_error(items: list[str]) -> AnalysisError:
    shown = ", ".join(map(repr, items))
    return AnalysisError(
        f"the correlation matrix is singular: item(s) {shown} are (close to) an exact linear "
        "combination of each other (e.g. a duplicated question, or items that sum to a total); "
        "drop one of them and run again"
    )


def progress(iterable, *, total: int, desc: str, enabled: bool):
    """tqdm over ``iterable`` when enabled and someone watches: stderr is a terminal or a Jupyter kernel runs."""
    from ..core.progress import bar, watching  # a text bar that finishes in JupyterLab too

    if not enabled or not watching():
        return iterable
    return _bar_over(iterable, bar(total=total, desc=desc))


def _bar_over(iterable, pbar):
    with pbar:
        for x in iterable:
            yield x
            pbar.update(1)


rng = check_random_state  # the one seed normaliser (workbench.core.provenance)


def name_map(mapping: Mapping | None) -> dict:
    return dict(mapping or {})
