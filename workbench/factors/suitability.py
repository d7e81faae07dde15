"""Is a battery suitable for factor analysis?  KMO / MSA and Bartlett's test of sphericity.

KMO (Kaiser-Meyer-Olkin) compares the items' correlations with their partial correlations
(the anti-image): ``MSA = sum r^2 / (sum r^2 + sum q^2)`` over the off-diagonal elements,
with ``Q`` the anti-image correlations from the inverse correlation matrix (Kaiser & Rice,
1974, the formula of ``psych::KMO`` and SPSS).  Per item the same sums run over the item's
column.  Kaiser's (1974) words: >= .90 marvelous, .80s meritorious, .70s middling, .60s
mediocre, .50s miserable, < .50 unacceptable.  Items with MSA < .50 are flagged.

Bartlett's test asks whether the correlation matrix could be an identity matrix:
``chi2 = -(n - 1 - (2p + 5) / 6) * ln|R|`` on ``p(p - 1) / 2`` df (Bartlett, 1951; as
``psych::cortest.bartlett``, with ``n`` the number of respondent rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..core.summary import Summarised, Summary, SummaryTable
from ._common import (
    as_frame,
    is_correlation_matrix,
    now,
    package_version,
)
from .correlation import CorrelationInfo, correlation_matrix

__all__ = ["suitability", "Suitability", "kmo_verdict", "kmo", "bartlett"]

_VERDICTS = ((0.9, "marvelous"), (0.8, "meritorious"), (0.7, "middling"), (0.6, "mediocre"),
             (0.5, "miserable"), (-np.inf, "unacceptable"))


def kmo_verdict(value: float) -> str:
    """Kaiser's (1974) word for a KMO / MSA value."""
    for cut, word in _VERDICTS:
        if value >= cut:
            return word
    return "unacceptable"


def kmo(corr) -> tuple[float, pd.Series]:
    """Overall KMO and per-item MSA of a correlation matrix (``psych::KMO``)."""
    r = np.asarray(corr, dtype=float)
    q = np.linalg.inv(r)
    d = np.sqrt(np.diag(q))
    q = q / np.outer(d, d)
    r0 = r.copy()
    np.fill_diagonal(r0, 0)
    np.fill_diagonal(q, 0)
    r2 = (r0 ** 2).sum(axis=0)
    q2 = (q ** 2).sum(axis=0)
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    names = corr.columns if isinstance(corr, pd.DataFrame) else range(r.shape[0])
    return overall, pd.Series(r2 / (r2 + q2), index=names, name="MSA")


def bartlett(corr, n_obs: int) -> tuple[float, int, float]:
    """Bartlett's test of sphericity: chi-square, df, p-value."""
    r = np.asarray(corr, dtype=float)
    p = r.shape[0]
    sign, logdet = np.linalg.slogdet(r)
    chi2 = -(n_obs - 1 - (2 * p + 5) / 6) * logdet
    df = p * (p - 1) // 2
    return float(chi2), int(df), float(stats.chi2.sf(chi2, df))


@dataclass(frozen=True)
class Suitability(Summarised):
    """KMO, per-item MSA and Bartlett's test for one battery.

    Attributes
    ----------
    kmo : float
        Overall measure of sampling adequacy.
    verdict : str
        Kaiser's word for it ("meritorious", ...).
    items : DataFrame
        Per item: ``MSA``, ``verdict``, ``flagged`` (MSA < .50).
    bartlett_chi2, bartlett_df, bartlett_p : float, int, float
    n_obs : int
    correlation, missing : str
        How the correlations were computed.
    """

    kmo: float
    verdict: str
    items: pd.DataFrame = field(repr=False)
    bartlett_chi2: float
    bartlett_df: int
    bartlett_p: float
    n_obs: int
    correlation: str = "pearson"
    missing: str = "pairwise"
    created: str = field(default_factory=now, repr=False)
    version: str = field(default_factory=package_version, repr=False)

    def summarise(self) -> Summary:
        """KMO with its verdict, Bartlett's test, the items below MSA .50 and the per-item table."""
        head = (f"KMO = {self.kmo:.3f} ({self.verdict}); Bartlett chi2({self.bartlett_df}) = "
                f"{self.bartlett_chi2:.2f}, p = {self.bartlett_p:.3g}; n = {self.n_obs}")
        flagged = [f"items with MSA < .50: {', '.join(self.flagged)}"] if self.flagged else []
        return Summary("Suitability for factor analysis", [head, *flagged], [SummaryTable(self.items)])

    @property
    def flagged(self) -> list[str]:
        """Items with MSA below .50."""
        return list(self.items.index[self.items["flagged"]])

    def summary(self) -> pd.DataFrame:
        """One row per statistic: KMO, Bartlett chi-square, df, p, n and flagged items."""
        rows = [
            ("KMO (overall MSA)", round(self.kmo, 3), self.verdict),
            ("Bartlett chi-square", round(self.bartlett_chi2, 2), f"df = {self.bartlett_df}"),
            ("Bartlett p-value", self.bartlett_p,
             "correlated enough to factor" if self.bartlett_p < 0.05 else "cannot reject an identity matrix"),
            ("respondents", self.n_obs, f"{self.missing} {self.correlation} correlations"),
            ("items with MSA < .50", len(self.flagged), ", ".join(self.flagged) or "none"),
        ]
        return pd.DataFrame(rows, columns=["statistic", "value", "reading"]).set_index("statistic")

def suitability(data, *, correlation: str = "pearson", missing: str = "pairwise", n_obs: int | None = None,
                _info: CorrelationInfo | None = None) -> Suitability:
    """KMO (overall and per item) and Bartlett's test of sphericity.

    Parameters
    ----------
    data : DataFrame
        Respondents x items (missing answers NaN), or a correlation matrix (square, same
        labels on both axes, unit diagonal) together with ``n_obs``.
    correlation : {'pearson', 'polychoric', 'tetrachoric', 'auto'}, default='pearson'
    missing : {'pairwise', 'listwise'}, default='pairwise'
        Pairwise, as ``psych``: each correlation uses everybody who answered both items.
    n_obs : int, optional
        Respondents behind a correlation matrix (required for Bartlett's test then).

    Returns
    -------
    Suitability

    Examples
    --------
    >>> s = suitability(items)          # doctest: +SKIP
    >>> s.kmo, s.verdict, s.flagged     # doctest: +SKIP
    (0.846, 'meritorious', [])
    """
    if _info is None:
        if is_correlation_matrix(data):
            if n_obs is None:
                raise ValueError("a correlation matrix was given: pass n_obs (the respondents behind it)")
            mat = data.astype(float)
            mat.index = mat.columns = [str(c) for c in mat.columns]
            info = CorrelationInfo(matrix=mat, n_obs=int(n_obs), pair_n=mat * 0 + n_obs,
                                   kind="given", missing="given")
        else:
            info = correlation_matrix(as_frame(data), correlation=correlation, missing=missing)
    else:
        info = _info
    overall, msa = kmo(info.matrix)
    chi2, df, p = bartlett(info.matrix, info.n_obs)
    items = pd.DataFrame({
        "MSA": msa,
        "verdict": [kmo_verdict(v) for v in msa],
        "flagged": msa < 0.5,
    })
    items.index.name = "item"
    return Suitability(
        kmo=overall, verdict=kmo_verdict(overall), items=items, bartlett_chi2=chi2, bartlett_df=df,
        bartlett_p=p, n_obs=info.n_obs, correlation=info.kind, missing=info.missing,
    )
