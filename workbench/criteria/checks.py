"""The measurements behind the checks: KPI tests (relevant), profile distances (operational)
and the typing model (describable)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..alignment import sort_segments
from ..errors import AnalysisError
from ..stats import correct_pvalues, is_categorical


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


# --------------------------------------------------------------------------- describable: typing model


def _wilks_forward(x: np.ndarray, y: np.ndarray, n_max: int) -> list[int]:
    """Forward stepwise selection of columns minimising Wilks' lambda det(W) / det(T)."""
    x = x - x.mean(axis=0)
    total = x.T @ x
    within = np.zeros_like(total)
    for g in np.unique(y):
        xg = x[y == g]
        xg = xg - xg.mean(axis=0)
        within += xg.T @ xg
    usable = [j for j in range(x.shape[1]) if total[j, j] > 0]
    # a tiny ridge relative to each item's spread: an item that separates the segments
    # perfectly (a binary option ticked by one segment only) has no within-segment variance;
    # it is the best item, not one to skip (issue 30: typing on select-all-that-apply items)
    ridge = 1e-6 * np.diag(np.diag(total))
    total, within = total + ridge, within + ridge
    chosen: list[int] = []
    while len(chosen) < min(n_max, len(usable)):
        best, best_j = np.inf, None
        for j in usable:
            if j in chosen:
                continue
            s = chosen + [j]
            sign_w, logdet_w = np.linalg.slogdet(within[np.ix_(s, s)])
            sign_t, logdet_t = np.linalg.slogdet(total[np.ix_(s, s)])
            if sign_w <= 0 or sign_t <= 0:
                continue
            lam = logdet_w - logdet_t
            if lam < best:
                best, best_j = lam, j
        if best_j is None:
            break
        chosen.append(best_j)
    return chosen


def _typing_pipeline():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # newton-cholesky: the same L2-penalised multinomial fit as lbfgs, about ten times faster at this size
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                         LogisticRegression(solver="newton-cholesky", max_iter=500))


@dataclass(frozen=True, eq=False)
class TypingModel:
    """A short questionnaire that assigns respondents to segments.

    Attributes
    ----------
    questions : list of str
        The chosen items, in the order they were selected.
    accuracy : float
        Mean cross-validated accuracy (selection repeated inside each training fold).
    fold_accuracy : list of float
    folds : int
    model : sklearn Pipeline
        Median imputation, standardisation and multinomial logistic regression, fitted on
        every respondent with the ``questions``.
    random_state : int or None
    """

    questions: list
    accuracy: float
    fold_accuracy: list
    folds: int
    model: Any = field(repr=False)
    random_state: Any = None

    def predict(self, data: pd.DataFrame) -> pd.Series:
        """Segment of each row of ``data`` (which must hold the ``questions``)."""
        missing = [q for q in self.questions if q not in data.columns]
        if missing:
            raise AnalysisError(f"the typing model needs the question(s) {', '.join(missing)}, which the data lack")
        return pd.Series(self.model.predict(data[self.questions].astype(float)), index=data.index, name="segment")


def fit_typing_model(data: pd.DataFrame, labels: pd.Series, *, max_questions: int = 10, folds: int = 5,
                     random_state=None) -> TypingModel:
    """Choose at most ``max_questions`` items and measure how well they recover the segments.

    Parameters
    ----------
    data : DataFrame
        Candidate items (numeric), indexed by respondent id.
    labels : Series
        Segment per respondent id (aligned by id).
    max_questions : int, default=10
    folds : int, default=5
        Stratified folds (fewer when the smallest segment is smaller than this).
    random_state : int, numpy Generator or None

    Returns
    -------
    TypingModel

    Raises
    ------
    AnalysisError
        Fewer than two segments, or a segment with fewer than two respondents.
    """
    from sklearn.model_selection import StratifiedKFold

    lab = labels.dropna()
    x = data.reindex(lab.index).astype(float)
    y = lab.astype(str).to_numpy() if lab.dtype == object else lab.to_numpy()
    counts = pd.Series(y).value_counts()
    if len(counts) < 2:
        raise AnalysisError("a typing model needs at least two segments")
    n_splits = int(min(folds, counts.min()))
    if n_splits < 2:
        raise AnalysisError(
            f"segment {counts.idxmin()!r} has {int(counts.min())} respondent(s); a cross-validated typing model "
            "needs at least two per segment"
        )
    if isinstance(random_state, np.random.Generator):
        random_state = int(random_state.integers(2**31 - 1))
    cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    xv = x.to_numpy()
    accs = []
    for train, test in cv.split(xv, y):
        med = np.nanmedian(xv[train], axis=0)
        filled = np.where(np.isnan(xv[train]), med, xv[train])
        cols = _wilks_forward(filled, y[train], max_questions)
        if not cols:
            raise AnalysisError("no item varies between the respondents of a cross-validation fold, so no question "
                                "can tell the segments apart")
        model = _typing_pipeline().fit(xv[train][:, cols], y[train])
        accs.append(float((model.predict(xv[test][:, cols]) == y[test]).mean()))
    med = np.nanmedian(xv, axis=0)
    cols = _wilks_forward(np.where(np.isnan(xv), med, xv), y, max_questions)
    if not cols:
        raise AnalysisError("no item varies between the respondents, so no question can tell the segments apart")
    questions = [x.columns[j] for j in cols]
    model = _typing_pipeline().fit(x[questions], y)
    return TypingModel(questions=questions, accuracy=float(np.mean(accs)), fold_accuracy=accs, folds=n_splits,
                       model=model, random_state=random_state)
