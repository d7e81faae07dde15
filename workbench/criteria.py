"""Is the segmentation any good? The relevant / operational / describable scorecard.

A good segmentation meets three requirements at least. It is **relevant**: the segments
differ in the behaviour the business wants to understand. It is **operational**: not so
many segments that each cannot get its own treatment, not so few or so alike that they
barely differ, and stable enough to act on. It is **describable**: each segment can be told
apart by a few traits and recognised with a short questionnaire. :func:`score_candidates`
measures the three for every candidate segmentation and recommends one.

Candidates
----------
A candidate is any object with (a small protocol, see :class:`Candidate`):

``name`` : str
    How the scorecard calls it, e.g. ``"lca k=5"``; unique among the candidates.
``k`` : int
    Number of segments.
``labels`` : Series
    Segment label per respondent id.

and optionally ``entropy`` (relative entropy of the classification, 0-1),
``stability`` (mean adjusted Rand index over bootstrap refits) and ``posteriors``
(DataFrame of membership probabilities, respondents × segments; used for the entropy
when ``entropy`` is absent). When the posteriors are all 0 or 1 (k-means, Ward) the
entropy is 1 by construction and the check is 'not measured'. :class:`LabelCandidate`
makes a candidate from plain labels; :class:`workbench.segments` results fit the protocol
as they are.

**A check that cannot be measured is neutral.** When a candidate gives no entropy (or
posteriors), no stability, or no KPIs are given, the check's status is ``'not measured'``
with a sentence saying what is missing: it neither passes nor fails the criterion, so a
planted or hand-made labelling can pass on what can be measured. The ranking puts a
candidate with unmeasured checks below an otherwise equal one that was measured.

The checks (thresholds: :class:`workbench.study.CriteriaSpec`, the study's ``criteria:``)
-----------------------------------------------------------------------------------------
Relevant
    *KPIs differ*: each behavioural KPI is tested across segments: numbers with
    Kruskal-Wallis (effect size eta²_H = (H - k + 1) / (n - k), Tomczak & Tomczak 2014) or
    one-way ANOVA (eta² = SS_between / SS_total); categories (and booleans) with the
    chi-square test of the segment × category table (effect size Cramér's V =
    sqrt(chi² / (n (min(r, c) - 1)))). p-values are corrected over the KPIs (Holm or
    Benjamini-Hochberg). A KPI *differs* when its corrected p-value is below ``alpha`` and
    its effect reaches ``min_eta2`` / ``min_cramers_v``; the check passes when at least
    ``max(min_relevant_kpis, ceil(min_relevant_share × KPIs tested))`` differ.
Operational
    *number of segments* within ``[k_min, k_max]``; *smallest segment* at least
    ``min_share`` of the sample and ``min_segment_n`` respondents; *classification
    entropy* at least ``min_entropy``; *bootstrap stability* at least ``min_stability``;
    *distinct profiles*: every pair of segments at least ``min_profile_distance`` apart,
    the distance being the root-mean-square difference of the two segments' mean
    profiles on the basis items, each item standardised over the sample (so 0.3 means the
    segments differ by 0.3 standard deviations on a typical item).
Describable
    *traits per segment*: every segment has at least ``min_traits`` distinguishing traits
    in :mod:`workbench.profiles` (an index at least ``trait_index_gap`` away from 100 and
    significantly different from the rest of the sample, corrected within the block);
    *typing model*: a multinomial logistic regression on at most
    ``typing_max_questions`` basis items reproduces membership with a cross-validated
    accuracy of at least ``typing_min_accuracy``. Items are chosen by forward stepwise
    selection on Wilks' lambda (the classical stepwise discriminant analysis of typing
    tools), *inside* each training fold, so the accuracy is not flattered by the
    selection; folds are stratified and seeded.

KPI tests and the typing model are unweighted (they are about the sample's customers and
a respondent-level classifier); traits use the weights when given.
"""

from __future__ import annotations

import html
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from scipy import stats

from .errors import AnalysisError
from .profiles import SegmentProfiles, _sort_segments, align_labels, correct_pvalues, profile
from .study import CriteriaSpec

__all__ = [
    "Candidate",
    "LabelCandidate",
    "score_candidates",
    "Scorecard",
    "CandidateScore",
    "TypingModel",
    "fit_typing_model",
    "kpi_tests",
    "relative_entropy",
    "profile_distances",
    "study_basis",
    "score_study",
    "CRITERIA",
]

logger = logging.getLogger(__name__)

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


# --------------------------------------------------------------------------- relevant


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


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
        if _is_categorical(s):
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
            groups = [x[(g == s_).to_numpy()] for s_ in _sort_segments(g)]
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
    segs = _sort_segments(labels)
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
        model = _typing_pipeline().fit(xv[train][:, cols], y[train])
        accs.append(float((model.predict(xv[test][:, cols]) == y[test]).mean()))
    med = np.nanmedian(xv, axis=0)
    cols = _wilks_forward(np.where(np.isnan(xv), med, xv), y, max_questions)
    questions = [x.columns[j] for j in cols]
    model = _typing_pipeline().fit(x[questions], y)
    return TypingModel(questions=questions, accuracy=float(np.mean(accs)), fold_accuracy=accs, folds=n_splits,
                       model=model, random_state=random_state)


# --------------------------------------------------------------------------- scoring one candidate


def _check(criterion, check, status, value, threshold, sentence) -> dict:
    return {"criterion": criterion, "check": check, "status": status, "value": value, "threshold": threshold,
            "sentence": sentence}


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _list(items, n=4) -> str:
    items = list(map(str, items))
    if len(items) <= n:
        return ", ".join(items)
    return ", ".join(items[:n]) + f" and {len(items) - n} more"


@dataclass(frozen=True, eq=False)
class CandidateScore:
    """The scorecard of one candidate.

    Attributes
    ----------
    name : str
    k : int
    checks : DataFrame
        One row per check: ``criterion``, ``check``, ``status`` ('pass', 'fail' or
        'not measured'), ``value`` (the figure), ``threshold`` (as text) and ``sentence``.
    kpi_tests : DataFrame
        See :func:`kpi_tests` (empty without KPIs).
    distances : DataFrame
        See :func:`profile_distances`.
    sizes : DataFrame
        Per segment: ``n`` and ``share``.
    traits : DataFrame
        Per segment: ``traits`` (count) and ``top traits``.
    typing : TypingModel or None
    profiles : SegmentProfiles
    dropped : dict
        Respondents dropped when aligning the labels to the responses.
    """

    name: str
    k: int
    checks: pd.DataFrame = field(repr=False)
    kpi_tests: pd.DataFrame = field(repr=False)
    distances: pd.DataFrame = field(repr=False)
    sizes: pd.DataFrame = field(repr=False)
    traits: pd.DataFrame = field(repr=False)
    typing: TypingModel | None = field(repr=False)
    profiles: SegmentProfiles = field(repr=False)
    dropped: dict = field(default_factory=dict, repr=False)

    def status(self, criterion: str) -> str:
        """'pass' when every measured check passes, 'fail' when one fails, 'not measured' when none ran."""
        if criterion not in CRITERIA:
            raise KeyError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
        s = self.checks.loc[self.checks["criterion"] == criterion, "status"]
        if (s == FAIL).any():
            return FAIL
        if (s == PASS).any():
            return PASS
        return NOT_MEASURED

    @property
    def relevant(self) -> str:
        return self.status("relevant")

    @property
    def operational(self) -> str:
        return self.status("operational")

    @property
    def describable(self) -> str:
        return self.status("describable")

    @property
    def passes_all(self) -> bool:
        return all(self.status(c) == PASS for c in CRITERIA)

    def failures(self) -> pd.DataFrame:
        """The failed checks."""
        return self.checks[self.checks["status"] == FAIL].reset_index(drop=True)

    def explain(self) -> str:
        """One paragraph: the verdict per criterion with the sentences of the checks."""
        lines = [f"{self.name} (k={self.k}):"]
        for c in CRITERIA:
            lines.append(f"  {c}: {self.status(c).upper()}")
            for r in self.checks[self.checks["criterion"] == c].itertuples():
                lines.append(f"    - [{r.status}] {r.sentence}")
        return "\n".join(lines)

    def summary(self) -> pd.DataFrame:
        return self.checks.copy()

    def __str__(self) -> str:
        return self.explain()

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self.name)}</b> (k={self.k}): " + ", ".join(
            f"{c} {self.status(c)}" for c in CRITERIA) + "</p>"
        return head + self.checks.to_html(index=False, escape=True)


def _score_one(cand, responses, kpis, basis, spec: CriteriaSpec, min_n: int, weights, random_state) -> CandidateScore:
    name = str(cand.name)
    al = align_labels(responses.data.index, cand.labels, what=f"labels of {name!r}")
    lab = al.labels
    segs = _sort_segments(lab)
    k = len(segs)
    if k < 2:
        raise AnalysisError(f"candidate {name!r} has {k} segment(s) among the respondents; a segmentation needs at least two")
    declared_k = getattr(cand, "k", k)
    checks = []

    # ----- relevant
    if kpis is None or kpis.shape[1] == 0:
        tests = kpi_tests(lab, pd.DataFrame(index=lab.index))
        checks.append(_check("relevant", "KPIs differ", NOT_MEASURED, np.nan, "",
                             "Not measured: no behavioural KPIs were given, so it is unknown whether the "
                             "segments differ in behaviour."))
    else:
        tests = kpi_tests(lab, kpis, numeric_test=spec.numeric_test, correction=spec.correction, alpha=spec.alpha,
                          min_eta2=spec.min_eta2, min_cramers_v=spec.min_cramers_v)
        tested = tests[tests["p_value"].notna()]
        needed = max(spec.min_relevant_kpis, math.ceil(spec.min_relevant_share * len(tested)))
        diff = tests[tests["differs"]]
        effects = "; ".join(f"{r['kpi']} {r['effect']} {r['effect size']:.2f}" for _, r in tests.iterrows())
        thr = f"≥ {needed} of {len(tested)} KPIs (eta² ≥ {spec.min_eta2}, V ≥ {spec.min_cramers_v}, α = {spec.alpha})"
        if len(tested) == 0:
            checks.append(_check("relevant", "KPIs differ", NOT_MEASURED, np.nan, thr,
                                 "Not measured: no KPI varies among the labelled respondents."))
        elif len(diff) >= needed:
            checks.append(_check("relevant", "KPIs differ", PASS, float(len(diff)), thr,
                                 f"{len(diff)} of {len(tested)} KPIs differ between the segments with a large enough "
                                 f"effect ({effects})."))
        else:
            best = tested.sort_values("effect size", ascending=False).iloc[0]
            checks.append(_check("relevant", "KPIs differ", FAIL, float(len(diff)), thr,
                                 f"Only {len(diff)} of {len(tested)} KPIs differ between the segments (needed {needed}); "
                                 f"the largest effect is {best['kpi']} ({best['effect']} {best['effect size']:.2f}, "
                                 f"{_fmt_p(best['p_adj'])}): the segments are not connected to the behaviour the "
                                 "business wants to understand."))

    # ----- operational
    sizes = lab.value_counts().reindex(segs)
    shares = sizes / sizes.sum()
    k_ok = spec.k_min <= k <= spec.k_max
    checks.append(_check(
        "operational", "number of segments", PASS if k_ok else FAIL, float(k), f"{spec.k_min}-{spec.k_max}",
        f"{k} segments is within the workable range of {spec.k_min} to {spec.k_max}." if k_ok else
        f"{k} segments is {'more' if k > spec.k_max else 'fewer'} than the workable range of {spec.k_min} to "
        f"{spec.k_max}: {'too many for each to get its own treatment' if k > spec.k_max else 'too few to differentiate'}."
        + (f" (The candidate declares k={declared_k}.)" if declared_k != k else "")))
    smallest = shares.idxmin()
    small_ok = shares.min() >= spec.min_share and sizes.min() >= min_n
    too_small = [s for s in segs if shares[s] < spec.min_share or sizes[s] < min_n]
    checks.append(_check(
        "operational", "smallest segment", PASS if small_ok else FAIL, float(shares.min()),
        f"≥ {spec.min_share:.0%} and n ≥ {min_n}",
        f"The smallest segment ({smallest}) holds {shares.min():.1%} of the sample (n={int(sizes.min())}), above the "
        f"minimum of {spec.min_share:.0%} and n={min_n}." if small_ok else
        f"Segment(s) {_list(too_small)} are too small to act on: the smallest ({smallest}) holds {shares.min():.1%} "
        f"(n={int(sizes.min())}); needed at least {spec.min_share:.0%} and n={min_n}."))
    entropy = getattr(cand, "entropy", None)
    post = getattr(cand, "posteriors", None)
    source = "given"
    hard = post is not None and len(post) and np.isin(np.asarray(post, dtype=float), (0.0, 1.0)).all()
    if hard:
        checks.append(_check("operational", "classification entropy", NOT_MEASURED, np.nan, f"≥ {spec.min_entropy}",
                             "Not measured: a hard partition (k-means, Ward) has entropy 1 by construction, which "
                             "says nothing about how clearly respondents belong; see the stability check."))
        entropy = None
    elif entropy is None and post is not None:
        pa = pd.DataFrame(post)
        pa.index = pa.index.astype(str)
        pa = pa.reindex(lab.index.astype(str)).dropna()
        entropy, source = relative_entropy(pa.to_numpy()), "from the posteriors"
    if hard:
        pass
    elif entropy is None or not np.isfinite(entropy):
        checks.append(_check("operational", "classification entropy", NOT_MEASURED, np.nan, f"≥ {spec.min_entropy}",
                             "Not measured: the candidate gives no entropy or posterior probabilities "
                             "(e.g. hard labels)."))
    else:
        ok = entropy >= spec.min_entropy
        checks.append(_check("operational", "classification entropy", PASS if ok else FAIL, float(entropy),
                             f"≥ {spec.min_entropy}",
                             f"Relative entropy {entropy:.2f} ({source}): respondents are "
                             + ("clearly assigned." if ok else
                                f"not clearly assigned (needed {spec.min_entropy}); many sit between segments.")))
    bvr = getattr(cand, "bivariate_residuals", None)  # latent classes: strong local dependence is noted, not scored
    if bvr is not None and len(bvr) and bvr["bvr"].iloc[0] > 10 and checks[-1]["check"] == "classification entropy":
        checks[-1]["sentence"] += (f" Note: strong local dependence (bivariate residual {bvr['bvr'].iloc[0]:.1f} for "
                                   f"{bvr['item_1'].iloc[0]} & {bvr['item_2'].iloc[0]}): those items stay related "
                                   "within segments, so the classification leans on them more than the model assumes.")
    stability = getattr(cand, "stability", None)
    if stability is None or not np.isfinite(stability):
        checks.append(_check("operational", "bootstrap stability", NOT_MEASURED, np.nan, f"≥ {spec.min_stability}",
                             "Not measured: the candidate gives no bootstrap stability."))
    else:
        ok = stability >= spec.min_stability
        checks.append(_check("operational", "bootstrap stability", PASS if ok else FAIL, float(stability),
                             f"≥ {spec.min_stability}",
                             f"Mean bootstrap adjusted Rand index {stability:.2f}: "
                             + ("the segments come back when the sample is redrawn." if ok else
                                f"the segments change when the sample is redrawn (needed {spec.min_stability}).")))
    dist = profile_distances(responses.data[basis], lab) if basis else pd.DataFrame(columns=["segment a", "segment b", "distance"])
    if dist.empty:
        checks.append(_check("operational", "distinct profiles", NOT_MEASURED, np.nan, f"≥ {spec.min_profile_distance}",
                             "Not measured: no basis items to compare the segments on."))
    else:
        close = dist[dist["distance"] < spec.min_profile_distance]
        dmin = float(dist["distance"].iloc[0])
        a, b = dist["segment a"].iloc[0], dist["segment b"].iloc[0]
        if close.empty:
            checks.append(_check("operational", "distinct profiles", PASS, dmin, f"≥ {spec.min_profile_distance} sd",
                                 f"Every pair of segments differs on the basis items; the closest pair ({a} and {b}) "
                                 f"is {dmin:.2f} sd apart."))
        else:
            pairs = [f"{a_}/{b_}" for a_, b_ in zip(close["segment a"], close["segment b"])]
            checks.append(_check("operational", "distinct profiles", FAIL, dmin, f"≥ {spec.min_profile_distance} sd",
                                 f"{len(close)} pair(s) of segments are nearly the same on the basis items "
                                 f"({_list(pairs)}; closest {a} and {b}, {dmin:.2f} sd apart, needed "
                                 f"{spec.min_profile_distance}): merge them or choose fewer segments."))

    # ----- describable
    prof = profile(responses, lab, weights=weights, behaviour=kpis, alpha=spec.alpha, correction=spec.correction,
                   min_segment_n=min_n)
    tr = prof.traits(min_gap=spec.trait_index_gap)
    counts = pd.Series({s: int((tr["segment"] == s).sum()) for s in segs})
    traits = pd.DataFrame({
        "traits": counts,
        "top traits": [
            "; ".join(f"{r.sig} {r.label} {r.measure} ({r.index:.0f})" for r in tr[tr["segment"] == s].head(3).itertuples())
            for s in segs
        ],
    })
    traits.index.name = "segment"
    few = counts[counts < spec.min_traits]
    thr = f"≥ {spec.min_traits} per segment (index ≥ {100 + spec.trait_index_gap:g} or ≤ {100 - spec.trait_index_gap:g}, significant)"
    if few.empty:
        checks.append(_check("describable", "traits per segment", PASS, float(counts.min()), thr,
                             f"Every segment has at least {int(counts.min())} distinguishing traits "
                             f"(segment {counts.idxmin()} has the fewest)."))
    else:
        checks.append(_check("describable", "traits per segment", FAIL, float(counts.min()), thr,
                             f"{len(few)} of {k} segments have fewer than {spec.min_traits} distinguishing traits "
                             f"({_list(f'{s}: {c}' for s, c in few.items())}): they cannot be described as "
                             "recognisable groups of people."))
    typing = None
    thr = f"≥ {spec.typing_min_accuracy:.0%} with ≤ {spec.typing_max_questions} questions"
    if not basis:
        checks.append(_check("describable", "typing model", NOT_MEASURED, np.nan, thr,
                             "Not measured: no basis items to build a typing model on."))
    else:
        try:
            typing = fit_typing_model(responses.data[basis], lab, max_questions=spec.typing_max_questions,
                                      folds=spec.typing_cv_folds, random_state=random_state)
        except AnalysisError as exc:
            checks.append(_check("describable", "typing model", FAIL, np.nan, thr,
                                 f"No typing model could be validated: {exc}."))
        else:
            ok = typing.accuracy >= spec.typing_min_accuracy
            nq = len(typing.questions)
            checks.append(_check(
                "describable", "typing model", PASS if ok else FAIL, typing.accuracy, thr,
                f"A typing model on {nq} questions ({_list(typing.questions, 5)}) assigns {typing.accuracy:.0%} of "
                f"respondents to their segment ({typing.folds}-fold cross-validated)"
                + ("." if ok else f", below the {spec.typing_min_accuracy:.0%} needed: the segments cannot be "
                                  "recognised reliably from a short questionnaire.")))
    sizes_t = pd.DataFrame({"n": sizes.astype(int), "share": shares.round(4)})
    sizes_t.index.name = "segment"
    return CandidateScore(
        name=name, k=k, checks=pd.DataFrame(checks), kpi_tests=tests, distances=dist, sizes=sizes_t, traits=traits,
        typing=typing, profiles=prof,
        dropped={"labels without response": al.labels_without_response,
                 "responses without label": al.responses_without_label},
    )


# --------------------------------------------------------------------------- the scorecard


@dataclass(frozen=True, eq=False)
class Scorecard:
    """Every candidate's checks, their ranking and the recommendation.

    Attributes
    ----------
    scores : list of CandidateScore
        In rank order.
    ranking : DataFrame
        One row per candidate (rank order): ``rank``, ``candidate``, ``k``, ``relevant``,
        ``operational``, ``describable``, ``criteria passed``, ``checks failed``,
        ``not measured``, ``typing accuracy``, ``closest profiles``.
    recommended : str
        The candidate to use: the pinned one when the study pins one, else rank 1.
    pinned : bool
    reason : str
        Why, in plain words.
    settings : dict
        The thresholds applied (``CriteriaSpec`` as a dict, with the resolved ``min_segment_n``).
    random_state : int or None
    """

    scores: list = field(repr=False)
    ranking: pd.DataFrame = field(repr=False)
    recommended: str
    pinned: bool
    reason: str
    settings: dict = field(repr=False)
    random_state: Any = None
    study_id: str = ""
    wave: str = ""

    def __getitem__(self, name: str) -> CandidateScore:
        for s in self.scores:
            if s.name == name:
                return s
        raise KeyError(f"no candidate {name!r}; candidates: {', '.join(s.name for s in self.scores)}")

    @property
    def best(self) -> CandidateScore:
        """The recommended candidate's score."""
        return self[self.recommended]

    @property
    def checks(self) -> pd.DataFrame:
        """Every check of every candidate, tidy, in rank order."""
        return pd.concat([s.checks.assign(candidate=s.name) for s in self.scores], ignore_index=True)[
            ["candidate", "criterion", "check", "status", "value", "threshold", "sentence"]]

    def summary(self) -> pd.DataFrame:
        """The ranking table."""
        return self.ranking.copy()

    # ---------------------------------------------------------------- outputs

    def tables(self) -> dict[str, pd.DataFrame]:
        kpi = [s.kpi_tests.assign(candidate=s.name) for s in self.scores if len(s.kpi_tests)]
        dist = [s.distances.assign(candidate=s.name) for s in self.scores if len(s.distances)]
        typing = pd.DataFrame([
            {"candidate": s.name, "questions": ", ".join(s.typing.questions) if s.typing else "",
             "accuracy": s.typing.accuracy if s.typing else np.nan, "folds": s.typing.folds if s.typing else np.nan}
            for s in self.scores])
        traits = pd.concat([s.traits.reset_index().assign(candidate=s.name) for s in self.scores], ignore_index=True)
        traits["segment"] = traits["segment"].map(str)
        sizes = pd.concat([s.sizes.reset_index().assign(candidate=s.name) for s in self.scores], ignore_index=True)
        sizes["segment"] = sizes["segment"].map(str)

        def front(df):
            return df[["candidate"] + [c for c in df.columns if c != "candidate"]]

        return {
            "Ranking": self.ranking,
            "Checks": self.checks,
            "KPI tests": front(pd.concat(kpi, ignore_index=True)) if kpi else pd.DataFrame(),
            "Segment sizes": front(sizes),
            "Traits": front(traits),
            "Profile distances": front(pd.concat(dist, ignore_index=True)).assign(
                **{"segment a": lambda d: d["segment a"].map(str), "segment b": lambda d: d["segment b"].map(str)})
            if dist else pd.DataFrame(),
            "Typing models": typing,
            "Settings": pd.DataFrame({"setting": list(self.settings), "value": [str(v) for v in self.settings.values()]}),
        }

    def to_excel(self, path, *, pii=()) -> Path:
        """Write ``scorecard.xlsx``: ranking, every check (pass green, fail red), details, settings."""
        from openpyxl import load_workbook
        from openpyxl.formatting.rule import CellIsRule
        from openpyxl.styles import Font, PatternFill

        from .outputs import write_workbook

        path = Path(path)
        if path.is_dir():
            path = path / "scorecard.xlsx"
        notes = {
            "Ranking": self.reason,
            "Checks": "Every check of every candidate: pass / fail / not measured, the figure, the threshold and why.",
            "KPI tests": "Each behavioural KPI across segments; differs = corrected p below alpha and effect at or above the threshold.",
            "Profile distances": "Root-mean-square difference of segment mean profiles on the standardised basis items (sd units).",
            "Typing models": "Questions chosen by stepwise Wilks' lambda inside each fold; cross-validated accuracy.",
        }
        write_workbook(path, self.tables(), pii=tuple(pii), notes=notes, index=False)
        wb = load_workbook(path)
        green = PatternFill("solid", bgColor="C6EFCE")
        red = PatternFill("solid", bgColor="FFC7CE")
        grey = PatternFill("solid", bgColor="EDEDED")
        for sheet in ("Ranking", "Checks"):
            ws = wb[sheet]
            rng = f"A3:{ws.cell(row=ws.max_row, column=ws.max_column).coordinate}"
            ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{PASS}"'], fill=green,
                                                          font=Font(color="006100")))
            ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{FAIL}"'], fill=red,
                                                          font=Font(color="9C0006")))
            ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{NOT_MEASURED}"'], fill=grey))
        wb.save(path)
        return path

    def markdown(self) -> str:
        """The scorecard as a readable Markdown document."""
        src = f" - {self.study_id} wave {self.wave}" if self.study_id else ""
        out = [f"# Segmentation scorecard{src}", "", f"**Recommendation: {self.recommended}.** {self.reason}", "",
               "A good segmentation is *relevant* (segments differ in behaviour), *operational* (a workable number "
               "of distinct, stable, large enough segments) and *describable* (each segment has distinguishing traits "
               "and can be recognised with a short questionnaire).", "", "## Ranking", ""]
        rank = self.ranking.copy()
        rank["typing accuracy"] = rank["typing accuracy"].map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
        rank["closest profiles"] = rank["closest profiles"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
        out += _md_table(rank)
        for s in self.scores:
            out += ["", f"## {s.name} (k={s.k})", "",
                    " · ".join(f"{c}: **{s.status(c)}**" for c in CRITERIA), ""]
            chk = s.checks.copy()
            chk["value"] = chk["value"].map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
            out += _md_table(chk[["criterion", "check", "status", "value", "threshold", "sentence"]])
        out += ["", "## Thresholds", "", "Set under `criteria:` in study.yaml; defaults are documented in "
                "`workbench.study.CriteriaSpec`.", ""]
        out += _md_table(pd.DataFrame({"setting": list(self.settings), "value": [str(v) for v in self.settings.values()]}))
        return "\n".join(out) + "\n"

    def to_markdown(self, path) -> Path:
        """Write ``scorecard.md`` (UTF-8)."""
        path = Path(path)
        if path.is_dir():
            path = path / "scorecard.md"
        path.write_text(self.markdown(), encoding="utf-8")
        return path

    def plot(self, ax=None):
        """Candidates × checks as a grid: green pass, red fail, grey not measured.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.colors import ListedColormap

        chk = self.checks
        names = [s.name for s in self.scores]
        cols = list(dict.fromkeys(zip(chk["criterion"], chk["check"])))
        code = {PASS: 2, NOT_MEASURED: 1, FAIL: 0}
        grid = np.full((len(names), len(cols)), np.nan)
        for r in chk.itertuples():
            grid[names.index(r.candidate), cols.index((r.criterion, r.check))] = code[r.status]
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(1.0 * len(cols) + 3, 0.5 * len(names) + 2.2), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        ax.imshow(grid, cmap=ListedColormap(["#F4A6A6", "#DDDDDD", "#A9D8A9"]), vmin=0, vmax=2, aspect="auto")
        ax.set_xticks(range(len(cols)), [f"{c}\n{k}" for c, k in cols], rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(names)), [f"{n}{'  ◀ recommended' if n == self.recommended else ''}" for n in names])
        for i in range(len(names)):
            for j in range(len(cols)):
                if np.isfinite(grid[i, j]):
                    ax.text(j, i, {2: "pass", 1: "n/m", 0: "fail"}[int(grid[i, j])], ha="center", va="center", fontsize=8)
        ax.set_title("Scorecard: relevant / operational / describable")
        return fig

    # ---------------------------------------------------------------- display

    def __str__(self) -> str:
        lines = [f"Scorecard of {len(self.scores)} candidate(s): recommended {self.recommended}", self.reason, ""]
        lines += [s.explain() for s in self.scores]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Scorecard(candidates={len(self.scores)}, recommended={self.recommended!r}, pinned={self.pinned})"

    def _repr_html_(self) -> str:
        return (f"<p><b>Scorecard</b>: recommended <b>{html.escape(self.recommended)}</b>. "
                f"{html.escape(self.reason)}</p>" + self.ranking.to_html(index=False, escape=True))


def _md_cell(v) -> str:
    s = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    return s.replace("|", "\\|").replace("\n", " ")


def _md_table(df: pd.DataFrame) -> list[str]:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    return lines


def _rank(scores: list[CandidateScore]) -> pd.DataFrame:
    rows = []
    for s in scores:
        st = s.checks["status"]
        rows.append({
            "candidate": s.name, "k": s.k, **{c: s.status(c) for c in CRITERIA},
            "criteria passed": sum(s.status(c) == PASS for c in CRITERIA),
            "checks failed": int((st == FAIL).sum()), "not measured": int((st == NOT_MEASURED).sum()),
            "typing accuracy": s.typing.accuracy if s.typing else np.nan,
            "closest profiles": float(s.distances["distance"].iloc[0]) if len(s.distances) else np.nan,
        })
    t = pd.DataFrame(rows)
    t["_acc"] = t["typing accuracy"].fillna(0)
    t["_dist"] = t["closest profiles"].fillna(0)
    t = t.sort_values(["criteria passed", "checks failed", "not measured", "_acc", "_dist"],
                      ascending=[False, True, True, False, False], kind="stable").drop(columns=["_acc", "_dist"])
    t.insert(0, "rank", range(1, len(t) + 1))
    return t.reset_index(drop=True)


def _reason(ranking: pd.DataFrame, scores: dict, recommended: str, pinned: bool) -> str:
    top = ranking.iloc[0]
    best = scores[top["candidate"]]
    if pinned:
        s = scores[recommended]
        verdict = ", ".join(f"{c} {s.status(c)}" for c in CRITERIA)
        alt = f"; the ranking alone would have recommended {top['candidate']}" if top["candidate"] != recommended else ""
        return f"{recommended} is pinned in the study (criteria.pin) and is used whatever the ranking ({verdict}){alt}."
    fails = best.failures()
    why_fail = "; ".join(f"{r.criterion}: {r.sentence}" for r in fails.itertuples())
    if best.passes_all:
        text = f"{best.name} passes all three criteria (relevant, operational, describable)"
        others = ranking.iloc[1:][ranking.iloc[1:]["criteria passed"] == 3]
        if len(others):
            runner = others.iloc[0]
            text += f"; {runner['candidate']} also does, but ranks lower"
            if runner["not measured"] > top["not measured"]:
                text += f" ({int(runner['not measured'])} check(s) not measured against {int(top['not measured'])})"
            elif best.typing is not None and not pd.isna(runner["typing accuracy"]):
                text += (f" (typing accuracy {runner['typing accuracy']:.0%} against {best.typing.accuracy:.0%}, "
                         f"closest profiles {runner['closest profiles']:.2f} against {top['closest profiles']:.2f} sd)")
        nm = best.checks[best.checks["status"] == NOT_MEASURED]
        if len(nm):
            text += f". Not measured for it: {', '.join(nm['check'])}"
        return text + "."
    passed = [c for c in CRITERIA if best.status(c) == PASS]
    return (f"No candidate passes all three criteria; {best.name} comes closest"
            + (f" (passes {', '.join(passed)})" if passed else "") + (f". It fails {why_fail}" if why_fail else "") + ".")


def study_basis(study) -> list[str]:
    """The study's segmentation-basis items (coded columns of ``segmentation.basis`` blocks).

    Falls back to the coded items of the needs, motivations and barriers blocks when the
    study names no basis.
    """
    blocks = list(study.spec.segmentation.basis)
    cols = study.columns.values()
    if blocks:
        return [c.id for c in cols if c.block in blocks and c.scale.coded]
    return [c.id for c in cols if c.kind in BASIS_KINDS and c.scale.coded]


def score_candidates(
    candidates,
    responses,
    *,
    kpis: pd.DataFrame | None = None,
    basis: list[str] | None = None,
    criteria: CriteriaSpec | dict | None = None,
    weights: pd.Series | None = None,
    min_segment_n: int = 30,
    random_state=None,
) -> Scorecard:
    """Score candidate segmentations as relevant, operational and describable; recommend one.

    Parameters
    ----------
    candidates : iterable of Candidate
        Objects with ``name``, ``k``, ``labels`` (see :class:`Candidate`); names unique.
    responses : Responses
        Clean responses, for profiles (traits), profile distances and the typing model.
    kpis : DataFrame, optional
        Behavioural KPIs indexed by respondent id (numeric and categorical columns).
        Without them the relevance check is 'not measured'.
    basis : list of str, optional
        The segmentation-basis items (for distances and the typing model); default: the
        coded items of the needs, motivations and barriers blocks (see :func:`study_basis`
        for the study's own basis).
    criteria : CriteriaSpec or dict, optional
        Thresholds; default: the documented defaults (pass ``study.spec.criteria``).
    weights : Series, optional
        Respondent weights for the profiles (traits).
    min_segment_n : int, default=30
        The study's ``min_segment_n``; used unless ``criteria.min_segment_n`` is set.
    random_state : int, numpy Generator or None
        Seeds the cross-validation folds (pass the study's seed).

    Returns
    -------
    Scorecard

    Raises
    ------
    AnalysisError
        No candidates, duplicate names, a candidate without name / k / labels, a pinned
        candidate that is not among them, or KPIs named in ``criteria.kpis`` that are not given.
    """
    spec = criteria if isinstance(criteria, CriteriaSpec) else CriteriaSpec(**(criteria or {}))
    cands = list(candidates)
    if not cands:
        raise AnalysisError("no candidate segmentations to score; fit some first (workbench.segments)")
    for c in cands:
        if not isinstance(c, Candidate):
            missing = [a for a in ("name", "k", "labels") if not hasattr(c, a)]
            raise AnalysisError(
                f"{type(c).__name__} is not a candidate segmentation: it lacks {', '.join(missing)}; "
                "wrap plain labels with workbench.criteria.LabelCandidate(name, labels)"
            )
    names = [str(c.name) for c in cands]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise AnalysisError(f"candidate names must be unique; {', '.join(dup)} occur more than once")
    if spec.pin is not None and spec.pin not in names:
        raise AnalysisError(
            f"the study pins candidate '{spec.pin}' (criteria.pin), but the candidates are: {', '.join(names)}; "
            "fix the name or remove the pin"
        )
    if kpis is not None:
        if not isinstance(kpis, pd.DataFrame):
            raise AnalysisError(f"kpis must be a DataFrame indexed by respondent id, got {type(kpis).__name__}")
        pii = {str(c) for c in getattr(getattr(responses, "pii", None), "columns", [])}
        usable = []
        for c in kpis.columns:
            s = kpis[c]
            if str(c) in pii:
                continue
            if pd.api.types.is_datetime64_any_dtype(s) or (_is_categorical(s) and s.nunique() > MAX_KPI_CATEGORIES):
                logger.info("KPI column %s is not a KPI (dates, ids or more than %d categories): not tested",
                            c, MAX_KPI_CATEGORIES)
                continue
            usable.append(c)
        named = set(spec.kpis)
        kpis = kpis[[c for c in kpis.columns if c in usable or c in named]]
        if spec.kpis:
            unknown = [k for k in spec.kpis if k not in kpis.columns]
            if unknown:
                raise AnalysisError(
                    f"criteria.kpis names {', '.join(unknown)}, which the behaviour KPIs do not hold; "
                    f"available: {', '.join(map(str, kpis.columns))}"
                )
            kpis = kpis[list(spec.kpis)]
    if basis is None:
        basis = [c.id for c in responses.columns.values() if c.kind in BASIS_KINDS and c.scale.coded]
    unknown = [b for b in basis if b not in responses.data.columns]
    if unknown:
        raise AnalysisError(f"basis item(s) {', '.join(unknown)} are not in the responses")
    min_n = spec.min_segment_n if spec.min_segment_n is not None else int(min_segment_n)
    if isinstance(random_state, np.random.Generator):
        random_state = int(random_state.integers(2**31 - 1))
    scores = []
    for c in cands:
        logger.info("scoring candidate %s", c.name)
        scores.append(_score_one(c, responses, kpis, list(basis), spec, min_n, weights, random_state))
    by_name = {s.name: s for s in scores}
    ranking = _rank(scores)
    ordered = [by_name[n] for n in ranking["candidate"]]
    pinned = spec.pin is not None
    recommended = spec.pin if pinned else str(ranking["candidate"].iloc[0])
    reason = _reason(ranking, by_name, recommended, pinned)
    settings = {**spec.model_dump(), "min_segment_n": min_n, "basis items": len(basis)}
    return Scorecard(scores=ordered, ranking=ranking, recommended=recommended, pinned=pinned, reason=reason,
                     settings=settings, random_state=random_state,
                     study_id=str(getattr(responses, "study_id", "")), wave=str(getattr(responses, "wave", "")))


def score_study(study, responses, candidates, *, kpis: pd.DataFrame | None = None,
                weights: pd.Series | None = None) -> Scorecard:
    """:func:`score_candidates` with everything the study decides filled in.

    The basis items (:func:`study_basis`), the thresholds (``criteria:``), the study's
    ``min_segment_n``, its seed, and the responses' weights unless ``weights`` is given.

    Parameters
    ----------
    study : Study
    responses : Responses
        The wave's clean responses.
    candidates : iterable of Candidate
    kpis : DataFrame, optional
        Behavioural KPIs per respondent id.
    weights : Series, optional
        Default: ``responses.weights`` (None when the study declares no weight).

    Returns
    -------
    Scorecard
    """
    return score_candidates(
        candidates, responses, kpis=kpis, basis=study_basis(study), criteria=study.spec.criteria,
        weights=responses.weights if weights is None else weights, min_segment_n=study.spec.min_segment_n,
        random_state=study.seed,
    )
