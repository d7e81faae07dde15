"""The measurements behind the checks: KPI tests (relevant) and profile distances (operational).
The describable check's typing tool is :func:`workbench.waves.golden.select_golden_questions`."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..describe.alignment import sort_segments
from ..core.stats import correct_pvalues, is_categorical


# --------------------------------------------------------------------------- relevant


def kpi_tests(labels: pd.Series, kpis: pd.DataFrame, *, numeric_test: str = "kruskal", correction: str = "holm",
              alpha: float = 0.05, min_eta2: float = 0.06, min_cramers_v: float = 0.15) -> pd.DataFrame:
    """Test each KPI across segments, with effect sizes and multiple-testing correction.

    Parameters
    ----------
    labels : Series
        Segment per respondent id.
    kpis : DataFrame
        KPIs per respondent id; numeric columns are numbers, everything else (and
        booleans) categories.
    numeric_test : {'kruskal', 'anova'}, default='kruskal'
    correction : {'holm', 'fdr_bh'}, default='holm'
    alpha, min_eta2, min_cramers_v : float
        A KPI ``differs`` when ``p_adj < alpha`` and its effect reaches the threshold.

    Returns
    -------
    DataFrame
        One row per KPI: ``kpi``, ``type`` ('number' / 'category'), ``test``, ``n``,
        ``statistic``, ``df``, ``p_value``, ``p_adj``, ``effect`` ('eta²', 'eta²_H' or
        "Cramér's V"), ``effect size``, ``threshold``, ``differs``.
    """
    kp = kpis.copy()
    kp.index = kp.index.astype(str)
    lab = labels.dropna()
    lab.index = lab.index.astype(str)
    kp = kp.reindex(lab.index)
    rows = []
    for c in kp.columns:
        s = kp[c]
        ok = s.notna()
        y, g = s[ok], lab[ok]
        row = {"kpi": str(c), "n": int(ok.sum())}
        if is_categorical(s):
            tab = pd.crosstab(g, y.astype(str))
            tab = tab.loc[tab.sum(axis=1) > 0, tab.sum(axis=0) > 0]
            row.update(type="category", test="chi-square", effect="Cramér's V", threshold=min_cramers_v)
            if min(tab.shape) < 2:
                row.update(statistic=np.nan, df=np.nan, p_value=np.nan, **{"effect size": 0.0})
            else:
                chi2, p, dof, _ = stats.chi2_contingency(tab.to_numpy(), correction=False)
                v = math.sqrt(chi2 / (tab.to_numpy().sum() * (min(tab.shape) - 1)))
                row.update(statistic=chi2, df=float(dof), p_value=p, **{"effect size": v})
        else:
            x = y.to_numpy(dtype=float)
            groups = [x[(g == s_).to_numpy()] for s_ in sort_segments(g)]
            groups = [a for a in groups if len(a)]
            k, n = len(groups), len(x)
            row.update(type="number", threshold=min_eta2)
            if k < 2 or np.nanstd(x) == 0:
                row.update(test=numeric_test, effect="eta²", statistic=np.nan, df=np.nan, p_value=np.nan,
                           **{"effect size": 0.0})
            elif numeric_test == "kruskal":
                h, p = stats.kruskal(*groups)
                row.update(test="Kruskal-Wallis", effect="eta²_H", statistic=h, df=float(k - 1), p_value=p,
                           **{"effect size": max((h - k + 1) / (n - k), 0.0)})
            elif numeric_test == "anova":
                f, p = stats.f_oneway(*groups)
                grand = x.mean()
                ssb = sum(len(a) * (a.mean() - grand) ** 2 for a in groups)
                sst = ((x - grand) ** 2).sum()
                row.update(test="ANOVA", effect="eta²", statistic=f, df=float(k - 1), p_value=p,
                           **{"effect size": ssb / sst})
            else:
                raise ValueError(f"numeric_test must be 'kruskal' or 'anova', got {numeric_test!r}")
        rows.append(row)
    cols = ["kpi", "type", "test", "n", "statistic", "df", "p_value", "p_adj", "effect", "effect size", "threshold", "differs"]
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["p_adj"] = np.nan
    ok = out["p_value"].notna().to_numpy()
    if ok.any():
        out.loc[ok, "p_adj"] = correct_pvalues(out.loc[ok, "p_value"].to_numpy(dtype=float), correction)
    out["differs"] = (out["p_adj"] < alpha) & (out["effect size"] >= out["threshold"])
    return out[cols]


# --------------------------------------------------------------------------- operational


def profile_distances(data: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Root-mean-square distance between segment mean profiles on standardised items.

    Each item is standardised over everyone labelled (mean 0, sd 1; missing answers are
    left out of the means); the distance between two segments is
    ``sqrt(mean over items of (mean_a - mean_b)²)``, in standard deviations.

    Returns
    -------
    DataFrame
        One row per pair: ``segment a``, ``segment b``, ``distance``; closest first.
    """
    x = data.loc[labels.index].astype(float)
    sd = x.std()
    x = (x - x.mean()) / sd.where(sd > 0)
    x = x.loc[:, sd > 0]
    means = x.groupby(labels.to_numpy()).mean()
    segs = sort_segments(labels)
    means = means.reindex(segs)
    rows = []
    for i, a in enumerate(segs):
        for b in segs[i + 1:]:
            d = float(np.sqrt(np.nanmean((means.loc[a] - means.loc[b]) ** 2)))
            rows.append({"segment a": a, "segment b": b, "distance": d})
    return pd.DataFrame(rows, columns=["segment a", "segment b", "distance"]).sort_values(
        "distance", kind="stable").reset_index(drop=True)
