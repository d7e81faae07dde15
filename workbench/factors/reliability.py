"""Reliability of the scales a factor solution suggests: Cronbach's alpha and McDonald's omega.

Cronbach's alpha (raw) is ``k/(k-1) * (1 - sum of item variances / variance of the sum)``,
from the item covariance matrix; standardised alpha uses the correlation matrix instead
(equal to the Spearman-Brown formula of the average inter-item correlation).  As in
``psych::alpha``, covariances and correlations are pairwise (everybody who answered both
items counts), so a respondent with a missing answer is not thrown away.  Reverse-keyed
items (``reverse=``, from the study's ``reverse: true``) enter with a negative key: their
covariances with the other items change sign, exactly as if the item were recoded
``min + max - x``.  Alpha-if-item-deleted and the corrected item-total correlation
(``r.drop``: the item against the sum of the others) are reported per item.

``check_keys=True`` keys the items as ``psych::alpha(check.keys=TRUE)`` does: an item whose
loading on the first principal component of the scale is negative (components signed so
that their loadings sum positive) is reversed.  :func:`~workbench.factors.efa` keys each
factor's items by the sign of their loading on that factor, so a scale's alpha is that of
the items as the factor orders them (negatively loading items reversed, listed in
``reversed``), never a negative alpha from unreversed items.

McDonald's omega total is ``psych::omega``'s ``omega.tot``: ``1 - sum of uniquenesses /
sum of the (keyed) correlation matrix``, the uniquenesses from a one-factor minres model of
the scale's items (the ``psych`` default) - the share of the scale score's variance that
the common factor accounts for.  It does not assume equal loadings, as alpha does; for
items with equal loadings the two coincide with standardised alpha.

Standardised alpha and the average inter-item correlation use ``cov2cor`` of the pairwise
covariance matrix, as ``psych::alpha`` does (with missing answers this differs slightly from
pairwise correlations); omega uses the pairwise correlations, as ``psych::omega``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..core.errors import AnalysisError
from ..core.summary import Summarised, Summary, SummaryTable
from ._common import as_frame, now, package_version
from .extraction import extract

__all__ = ["cronbach_alpha", "omega_total", "reliability", "Reliability", "pc_keys"]


def _keys(items: Sequence[str], reverse: Iterable[str]) -> np.ndarray:
    rev = set(reverse or ())
    return np.array([-1.0 if it in rev else 1.0 for it in items])


def k_ok(items) -> bool:
    return len(items) >= 2


def _alpha_from(c: np.ndarray) -> float:
    k = c.shape[0]
    total = c.sum()
    if k < 2 or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(c) / total))


def cronbach_alpha(data, *, reverse: Iterable[str] = (), standardized: bool = False) -> float:
    """Cronbach's alpha of the items in ``data`` (pairwise covariances, keyed by ``reverse``).

    Parameters
    ----------
    data : DataFrame
        Respondents x items of one scale.
    reverse : iterable of str
        Reverse-keyed items.
    standardized : bool, default=False
        Alpha from the correlation matrix instead of the covariance matrix.
    """
    frame = as_frame(data)
    keys = _keys(list(frame.columns), reverse)
    c = (frame.corr() if standardized else frame.cov()).to_numpy() * np.outer(keys, keys)
    return _alpha_from(c)


def _one_factor(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    load, _ = extract(corr, 1, "minres")
    load = load[:, 0]
    if load.sum() < 0:
        load = -load
    return load, 1 - load ** 2


def omega_total(data, *, reverse: Iterable[str] = ()) -> float:
    """McDonald's omega total of one scale from a one-factor minres model (>= 3 items)."""
    frame = as_frame(data)
    if frame.shape[1] < 3:
        return float("nan")
    keys = _keys(list(frame.columns), reverse)
    r = frame.corr().to_numpy() * np.outer(keys, keys)
    load, uniq = _one_factor(r)
    return float(1 - uniq.sum() / r.sum())


@dataclass(frozen=True)
class Reliability(Summarised):
    """Alpha and omega per scale, and per item statistics.

    Attributes
    ----------
    scales : DataFrame
        Per scale (factor): ``items``, ``n`` (respondents with any answer), ``alpha``
        (raw), ``std alpha``, ``omega total``, ``average r`` and the ``reversed`` items.
    items : DataFrame
        Per (scale, item): ``key`` (+1 / -1), ``r.drop`` (corrected item-total
        correlation), ``alpha if deleted`` and ``std alpha if deleted``.
    """

    scales: pd.DataFrame = field(repr=False)
    items: pd.DataFrame = field(repr=False)
    created: str = field(default_factory=now, repr=False)
    version: str = field(default_factory=package_version, repr=False)

    def summarise(self) -> Summary:
        """The reliability of each scale."""
        return Summary("Reliability", ["Reliability per scale"], [SummaryTable(self.scales)])

    def summary(self) -> pd.DataFrame:
        """The per-scale table."""
        return self.scales.copy()

def pc_keys(data) -> list[str]:
    """The items ``psych::alpha(check.keys=TRUE)`` reverses: negative loadings on the first
    principal component of their (pairwise) correlations, the component signed to sum positive."""
    frame = as_frame(data)
    vals, vecs = np.linalg.eigh(frame.corr().to_numpy())
    first = vecs[:, -1] * np.sign(vecs[:, -1].sum() or 1.0)
    return [c for c, v in zip(frame.columns, first) if v < 0]


def reliability(data, scales: Mapping[str, Sequence[str]], *, reverse: Iterable[str] = (),
                check_keys: bool = False) -> Reliability:
    """Cronbach's alpha (raw and standardised, if-item-deleted) and omega total per scale.

    Parameters
    ----------
    data : DataFrame
        Respondents x items; missing answers NaN.
    scales : mapping of str to list of str
        Scale (factor) name to its items.
    reverse : iterable of str
        Reverse-keyed items (from the study's ``reverse: true``).
    check_keys : bool, default=False
        Key each scale's items as ``psych::alpha(check.keys=TRUE)`` (see :func:`pc_keys`)
        instead of by ``reverse``.

    Returns
    -------
    Reliability

    Raises
    ------
    AnalysisError
        A scale names an item that is not in ``data``.
    """
    frame = as_frame(data)
    reverse = set(reverse or ())
    srows, irows = [], []
    for name, items in scales.items():
        items = [str(i) for i in items]
        unknown = [i for i in items if i not in frame.columns]
        if unknown:
            raise AnalysisError(f"scale {name!r} names item(s) {', '.join(map(repr, unknown))} that are not in the data",
                                column=unknown[0])
        sub = frame[items]
        keys = _keys(items, pc_keys(sub) if check_keys and k_ok(items) else reverse)
        k = len(items)
        cov = sub.cov().to_numpy() * np.outer(keys, keys)
        sd = np.sqrt(np.diag(cov))
        cor = cov / np.outer(sd, sd)  # psych::alpha: cov2cor of the pairwise covariances
        alpha = _alpha_from(cov) if k >= 2 else float("nan")
        std_alpha = _alpha_from(cor) if k >= 2 else float("nan")
        avg_r = float(cor[np.triu_indices(k, 1)].mean()) if k >= 2 else float("nan")
        omega = float("nan")
        if k >= 3:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pair = sub.corr().to_numpy() * np.outer(keys, keys)  # psych::omega: pairwise correlations
                load, uniq = _one_factor(pair)
            omega = float(1 - uniq.sum() / pair.sum())
        srows.append({
            "scale": name, "items": k, "n": int(sub.notna().any(axis=1).sum()), "alpha": alpha,
            "std alpha": std_alpha, "omega total": omega, "average r": avg_r,
            "reversed": ", ".join(i for i, key in zip(items, keys) if key < 0),
        })
        for j, item in enumerate(items):
            rest = [m for m in range(k) if m != j]
            if k >= 2:
                # item against the (keyed) sum of the other items, from the covariances
                var_rest = cov[np.ix_(rest, rest)].sum()
                cov_item_rest = cov[j, rest].sum()
                r_drop = cov_item_rest / np.sqrt(cov[j, j] * var_rest) if var_rest > 0 else float("nan")
            else:
                r_drop = float("nan")
            irows.append({
                "scale": name, "item": item, "key": int(keys[j]), "r.drop": float(r_drop),
                "alpha if deleted": _alpha_from(cov[np.ix_(rest, rest)]) if k >= 3 else float("nan"),
                "std alpha if deleted": _alpha_from(cor[np.ix_(rest, rest)]) if k >= 3 else float("nan"),
            })
    scales_df = pd.DataFrame(srows).set_index("scale") if srows else pd.DataFrame()
    items_df = pd.DataFrame(irows).set_index(["scale", "item"]) if irows else pd.DataFrame()
    return Reliability(scales=scales_df, items=items_df)
