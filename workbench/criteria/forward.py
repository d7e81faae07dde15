"""Relevant, tested forward: do the segments predict what customers do *next*, beyond what
the ERP already knows? (:func:`forward_relevance`)

The scorecard's *KPIs differ* check asks whether segments differ in behaviour on the
period the survey describes. A client asks more: will these segments tell who lapses,
grows, switches channel or gets expensive next year? Given the forward outcomes of
:mod:`workbench.behaviour.forward` (what each respondent's customer did in the months after
the wave's reference date), for every candidate:

Segment differences
    Per outcome and segment, the **bias-adjusted** mean or share (the package's three-step
    ML, :func:`workbench.segments.distal_outcomes`, for latent class / profile candidates;
    the modal assignment for hard partitions, said so in ``method``), beside the modal
    one. The tests and effect sizes are the scorecard's
    (:func:`~workbench.criteria.checks.kpi_tests`: Kruskal-Wallis eta²_H for numbers,
    chi-square Cramér's V for yes/no), on the modal assignment (under "no relation" the
    modal labels are as unrelated to the outcome as the true classes, so the test keeps its
    level; it is conservative when the classification is not crisp), Holm-corrected over the
    outcomes.
Incremental value
    A **behaviour-only baseline** (RFM tier, recency, frequency, revenue, main channel at
    the reference date: what the ERP already knows) against baseline + segment (one
    indicator per segment but the first). Lapse and channel switch: logistic regression,
    cross-validated AUC; revenue change: least squares, cross-validated R² and MAE. The
    folds are repeated, stratified for yes/no outcomes, the same for both models, and
    seeded. The *gain* is the mean over folds of (with segments - baseline); its interval
    is the corrected resampled t interval of Nadeau & Bengio (2003) (the fold variance
    inflated by ``1/J + n_test/n_train``, because folds share training rows).
Permutation check
    The segment labels are shuffled among the respondents ``n_permutations`` times and the
    gain recomputed with the same folds; ``p_permutation`` = (1 + shuffles with a gain at
    least the observed) / (1 + shuffles). A survey unrelated to behaviour gets gains that
    shuffled labels reach as often: "no forward relevance", not a lift from noise.

**The forward line** (the documented threshold): a candidate predicts the next months when,
for at least one outcome, the gain's interval lies above zero, ``p_permutation <= alpha``
and the gain reaches ``min_gain`` (0.01 AUC, 0.01 R²). It is measured only when at least
``min_respondents`` (default 100) respondents have forward outcomes and the yes/no outcome
has at least ``min_events`` (20) of each answer; otherwise the outcome is 'not measured' with
the reason.

Weights are not used: the question is whether a respondent-level classifier predicts that
respondent's customer.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

from ..core.measures import column_label
from ..core.summary import Summarised, Summary, SummaryTable
from ..describe.alignment import sort_segments
from ..core.errors import AnalysisError
from ..segments import distal_outcomes
from ..segments.methods import has_likelihood
from .candidates import FAIL, NOT_MEASURED, PASS
from .checks import kpi_tests
from .score import _check
from .scorecard import _rank, _reason

__all__ = ["ForwardRelevance", "forward_relevance", "BASELINE", "PREDICTED", "with_forward", "baseline_design",
           "cv_gain", "logistic_fit", "auc"]

logger = logging.getLogger(__name__)

#: The behaviour-only baseline: what the ERP knows at the reference date.
BASELINE = ("rfm_tier", "recency_days", "frequency", "revenue", "dominant_channel")
#: The outcomes the segments should predict beyond the baseline: (column, kind, metric).
PREDICTED = (("lapsed", "binary", "AUC"), ("channel_switch", "binary", "AUC"),
             ("revenue_change", "number", "R²"))
#: Outcomes compared across segments.
DESCRIBED = ("lapsed", "orders", "revenue", "revenue_change", "channel_switch", "cost_change")

MIN_GAIN = {"AUC": 0.01, "R²": 0.01}


def baseline_design(baseline: pd.DataFrame) -> pd.DataFrame:
    """The baseline as numbers: categories as indicators (first level left out), counts and
    money as log(1 + x) of their positive part (revenue is skewed), a missing number as the
    median with an indicator. Columns that do not vary are dropped."""
    cols = {}
    for c in baseline.columns:
        s = baseline[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_bool_dtype(s):
            d = pd.get_dummies(s.astype(object).where(s.notna(), "(missing)").astype(str), prefix=str(c),
                               drop_first=True, dtype=float)
            cols.update({k: d[k] for k in d.columns})
        else:
            x = pd.to_numeric(s, errors="coerce").astype(float)
            if c in ("frequency", "revenue", "recency_days"):
                x = np.sign(x) * np.log1p(np.abs(x))
            if x.isna().any():
                cols[f"{c} missing"] = x.isna().astype(float)
                x = x.fillna(x.median() if x.notna().any() else 0.0)
            cols[str(c)] = x
    out = pd.DataFrame(cols, index=baseline.index)
    return out.loc[:, out.std() > 0] if len(out) else out


def _segment_design(labels: pd.Series) -> np.ndarray:
    segs = sort_segments(labels)
    return np.column_stack([(labels == s).to_numpy(float) for s in segs[1:]]) if len(segs) > 1 else \
        np.zeros((len(labels), 0))


def _folds(y: np.ndarray, binary: bool, n_splits: int, n_repeats: int, seed: int):
    cv = (RepeatedStratifiedKFold if binary else RepeatedKFold)(n_splits=n_splits, n_repeats=n_repeats,
                                                                random_state=seed)
    return list(cv.split(np.zeros(len(y)), y if binary else None))


def _standardise(train: np.ndarray, test: np.ndarray):
    mu, sd = train.mean(axis=0), train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (train - mu) / sd, (test - mu) / sd


def logistic_fit(X: np.ndarray, y: np.ndarray, *, C: float = 1.0, max_iter: int = 100, tol: float = 1e-10):
    """L2-penalised logistic regression by Newton-Raphson: ``(intercept, coefficients)``.

    Minimises ``0.5 ||w||² + C Σ log-loss`` (the intercept not penalised), the objective of
    scikit-learn's ``LogisticRegression(C=C)``. Written out because the permutation check
    refits it thousands of times on a few thousand rows and a dozen columns, where
    scikit-learn's per-call validation costs more than the fit; the tests compare the
    coefficients with scikit-learn's.
    """
    n, p = X.shape
    Z = np.column_stack([np.ones(n), X])
    beta = np.zeros(p + 1)
    pen = np.r_[0.0, np.full(p, 1.0 / C)]
    for _ in range(max_iter):
        eta = Z @ beta
        mu = 0.5 * (1 + np.tanh(0.5 * eta))  # the logistic function without overflow
        g = Z.T @ (mu - y) + pen * beta
        H = (Z.T * (mu * (1 - mu))) @ Z + np.diag(pen + 1e-12)
        step = np.linalg.solve(H, g)
        beta -= step
        if np.max(np.abs(step)) < tol:
            break
    return beta[0], beta[1:]


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve as the Mann-Whitney statistic (ties count one half); the
    tests compare it with scikit-learn's ``roc_auc_score``."""
    r = stats.rankdata(score)
    pos = y.astype(bool)
    n1, n0 = pos.sum(), (~pos).sum()
    return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _scores(X: np.ndarray, y: np.ndarray, folds, binary: bool) -> np.ndarray:
    """Per fold: AUC (binary: logistic regression, C=1, standardised columns) or (R², MAE)
    (numbers: least squares), out of fold."""
    out = []
    for train, test in folds:
        a, b = _standardise(X[train], X[test])
        if binary:
            b0, w = logistic_fit(a, y[train])
            out.append((auc(y[test], b0 + b @ w), np.nan))
        else:
            coef = np.linalg.lstsq(np.column_stack([np.ones(len(a)), a]), y[train], rcond=None)[0]
            pred = coef[0] + b @ coef[1:]
            yt = y[test]
            out.append((1 - ((yt - pred) ** 2).sum() / ((yt - yt.mean()) ** 2).sum(), np.abs(yt - pred).mean()))
    return np.asarray(out)


def cv_gain(base: np.ndarray, seg: np.ndarray, y: np.ndarray, *, binary: bool, n_splits: int = 5,
            n_repeats: int = 2, n_permutations: int = 19, random_state: int = 0, alpha: float = 0.05,
            permute_above: float | None = None) -> dict:
    """Baseline vs baseline + segments, cross-validated, with an interval and a permutation p.

    ``permute_above``: run the permutations only when the gain's interval lies above zero
    and the gain reaches this (otherwise the segments fail anyway and ``p_permutation``
    is NaN): the shuffles cost ``n_permutations`` times the fit.

    Returns a dict: ``baseline``, ``with_segments``, ``gain`` (mean over folds, AUC or R²),
    ``low`` / ``high`` (Nadeau-Bengio corrected resampled t interval at 1 - alpha),
    ``mae_baseline`` / ``mae_with_segments`` (numbers), ``p_permutation``, ``folds``.
    """
    folds = _folds(y, binary, n_splits, n_repeats, random_state)
    b = _scores(base, y, folds, binary)
    w = _scores(np.column_stack([base, seg]), y, folds, binary)
    diff = w[:, 0] - b[:, 0]
    J = len(folds)
    n_test = np.mean([len(t) for _, t in folds])
    n_train = len(y) - n_test
    var = diff.var(ddof=1) * (1 / J + n_test / n_train) if J > 1 else np.nan
    half = stats.t.ppf(1 - alpha / 2, J - 1) * math.sqrt(var) if J > 1 and var > 0 else 0.0
    gain = float(diff.mean())
    if permute_above is not None and not (gain - half > 0 and gain >= permute_above):
        n_permutations = 0
    rng = np.random.default_rng(random_state)
    beats = 0
    for _ in range(int(n_permutations)):
        perm = seg[rng.permutation(len(seg))]
        wp = _scores(np.column_stack([base, perm]), y, folds, binary)
        beats += float((wp[:, 0] - b[:, 0]).mean()) >= gain
    return {"baseline": float(b[:, 0].mean()), "with_segments": float(w[:, 0].mean()), "gain": gain,
            "low": gain - half, "high": gain + half,
            "mae_baseline": float(np.nanmean(b[:, 1])) if not binary else np.nan,
            "mae_with_segments": float(np.nanmean(w[:, 1])) if not binary else np.nan,
            "p_permutation": (1 + beats) / (1 + int(n_permutations)) if n_permutations else np.nan, "folds": J}


@dataclass(frozen=True, eq=False)
class ForwardRelevance(Summarised):
    """Does each candidate predict the next months, beyond the ERP? (see the module docstring)

    Attributes
    ----------
    horizon : int
        Months after the reference date the outcomes cover.
    differences : DataFrame
        Tidy: ``candidate``, ``outcome``, ``level``, ``segment``, ``adjusted``, ``modal``,
        ``n`` (respondents with the outcome), ``segment n`` (of them, in the segment by modal
        assignment), ``method``.
    tests : DataFrame
        :func:`~workbench.criteria.checks.kpi_tests`'s columns per candidate and outcome
        (``kpi`` renamed ``outcome``).
    lift : DataFrame
        One row per candidate and predicted outcome: ``candidate``, ``outcome``, ``metric``,
        ``n``, ``events``, ``baseline``, ``with_segments``, ``gain``, ``low``, ``high``,
        ``mae_baseline``, ``mae_with_segments``, ``p_permutation``, ``folds``, ``status``
        (pass / fail / not measured), ``sentence``.
    verdicts : DataFrame
        One row per candidate: ``candidate``, ``status``, ``value`` (the largest gain that
        passes, else the largest gain), ``sentence`` (client words).
    settings : dict
    outcomes : DataFrame
        The forward outcomes per horizon (customers, lapsed share, mean revenue and change,
        switch share) and the horizons skipped, when the flow supplies them.
    """

    horizon: int
    differences: pd.DataFrame = field(repr=False)
    tests: pd.DataFrame = field(repr=False)
    lift: pd.DataFrame = field(repr=False)
    verdicts: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict, repr=False)
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def summarise(self) -> Summary:
        """Each candidate's forward relevance over the horizon."""
        return Summary(f"Forward relevance over {self.horizon} months",
                       [f"Forward relevance over {self.horizon} months:"], [SummaryTable(self.summary(), index=False)])

    def verdict(self, candidate: str) -> pd.Series:
        v = self.verdicts[self.verdicts["candidate"] == str(candidate)]
        if v.empty:
            raise KeyError(f"no candidate {candidate!r}; candidates: {', '.join(self.verdicts['candidate'])}")
        return v.iloc[0]

    def for_deck(self, candidate: str) -> dict | None:
        """Plain data for the deck's "Do the segments predict next year?" slide (see
        :mod:`workbench.deck.slides_forward`), or None when the candidate was not judged."""
        try:
            v = self.verdict(candidate)
        except KeyError:
            return None
        d = self.differences
        d = d[d["candidate"] == str(candidate)] if len(d) else d
        if d.empty:
            return None

        def share(outcome):
            rows = d[d["outcome"] == outcome].set_index("segment")
            value = rows["adjusted"].where(rows["adjusted"].notna(), rows["modal"])
            return (100 * value).clip(0, 100)

        lapsed = share("lapsed")
        seg = pd.DataFrame({"segment": lapsed.index.astype(str), "lapsed %": lapsed.to_numpy(float)})
        switched = share("channel_switch")
        seg["switched %"] = switched.reindex(lapsed.index).to_numpy(float) if len(switched) else float("nan")
        members = d[d["outcome"] == "lapsed"].set_index("segment")["segment n"]
        seg["n"] = members.reindex(lapsed.index).fillna(0).astype(int).to_numpy()
        lift = self.lift[self.lift["candidate"] == str(candidate)][
            ["outcome", "metric", "baseline", "with_segments", "low", "high", "status"]].rename(
            columns={"with_segments": "with segments"}).reset_index(drop=True)
        months = int(self.horizon)
        passed = self.lift[(self.lift["candidate"] == str(candidate)) & (self.lift["status"] == PASS)]
        if v["status"] == PASS:
            what = " and ".join(_WORDS.get(o, o) for o in passed["outcome"])
            headline = (f"Knowing a customer's segment predicts {what} in the {months} months after the survey "
                        "better than the order history alone.")
        elif v["status"] == FAIL:
            headline = (f"Knowing a customer's segment does not predict the {months} months after the survey better "
                        "than the order history alone: the segments describe needs, not what customers do next.")
        else:
            headline = f"Too few respondents' customers to judge the {months} months after the survey yet."
        return {"horizon": months, "status": str(v["status"]), "headline": headline,
                "segments": seg, "lift": lift}

    def summary(self) -> pd.DataFrame:
        return self.lift[["candidate", "outcome", "metric", "baseline", "with_segments", "gain", "low", "high",
                          "p_permutation", "status"]].copy()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets for scorecard.xlsx: the verdicts, the lift, the segment differences and tests,
        the outcomes per horizon and the settings."""
        sheets = {"Forward": self.verdicts, "Forward lift": self.lift, "Forward by segment": self.differences,
                  "Forward tests": self.tests}
        if len(self.outcomes):
            sheets["Forward outcomes"] = self.outcomes
        sheets["Forward settings"] = pd.DataFrame({"setting": list(self.settings),
                                                   "value": [str(v) for v in self.settings.values()]})
        return sheets

_WORDS = {"lapsed": "who stops buying", "channel_switch": "who changes channel", "revenue_change": "how revenue changes"}


def _verdict(name: str, rows: pd.DataFrame, horizon: int) -> dict:
    measured = rows[rows["status"] != NOT_MEASURED]
    if measured.empty:
        why = "; ".join(rows["sentence"]) if len(rows) else "no forward outcome"
        return {"candidate": name, "status": NOT_MEASURED, "value": np.nan,
                "sentence": f"Forward relevance not measured: {why}"}
    passed = measured[measured["status"] == PASS]
    if len(passed):
        best = passed.sort_values("gain", ascending=False).iloc[0]
        what = ", ".join(_WORDS.get(o, o) for o in passed["outcome"])
        return {"candidate": name, "status": PASS, "value": float(best["gain"]),
                "sentence": (f"The segments predict {what} in the {horizon} months after the survey beyond what the "
                             f"order history already tells ({best['metric']} {best['baseline']:.2f} → "
                             f"{best['with_segments']:.2f}).")}
    best = measured.sort_values("gain", ascending=False).iloc[0]
    return {"candidate": name, "status": FAIL, "value": float(best["gain"]),
            "sentence": (f"No forward relevance: over the {horizon} months after the survey the segments add nothing "
                         f"the order history does not already tell (best: {_WORDS.get(best['outcome'], best['outcome'])}, "
                         f"{best['metric']} {best['baseline']:.3f} → {best['with_segments']:.3f}, "
                         + (f"interval {best['low']:+.3f} to {best['high']:+.3f}" if np.isnan(best["p_permutation"])
                            else f"shuffled segments do as well in {best['p_permutation']:.0%} of shuffles")
                         + ").")}


def forward_relevance(candidates, outcomes: pd.DataFrame, baseline: pd.DataFrame, *, horizon: int,
                      data: pd.DataFrame | None = None, alpha: float = 0.05, min_gain=None,
                      min_respondents: int = 100, min_events: int = 20, n_splits: int = 5, n_repeats: int = 2,
                      n_permutations: int = 19, random_state=0, adjusted: bool = True,
                      permute_all: bool = False) -> ForwardRelevance:
    """Score every candidate's forward relevance (see the module docstring).

    Parameters
    ----------
    candidates : iterable of Candidate
        ``name`` and ``labels`` (Series by respondent id); latent class / profile solutions
        (:class:`workbench.segments.Segmentation`) also get bias-adjusted differences.
    outcomes : DataFrame
        Forward outcomes per respondent id over one horizon (the columns of
        :attr:`workbench.behaviour.forward.ForwardOutcomes.table`); respondents without
        (not customers before the reference date) are missing.
    baseline : DataFrame
        The ERP's features per respondent id at the reference date (:data:`BASELINE`, as
        far as present).
    horizon : int
        Months the outcomes cover (for the sentences).
    data : DataFrame, optional
        The basis the model-based candidates were fitted on (for the three-step).
    alpha, min_gain, min_respondents, min_events
        The forward line's threshold (``min_gain``: dict metric -> least gain, default
        :data:`MIN_GAIN`).
    n_splits, n_repeats, n_permutations, random_state
        Cross-validation and the permutation check (seeded: the same seed, the same result).
    adjusted : bool, default=True
        Bias-adjust the segment differences of model-based candidates.
    permute_all : bool, default=False
        Shuffle the segments for every outcome; by default only where the gain's interval
        lies above zero and the gain reaches ``min_gain`` (elsewhere the line fails whatever
        the shuffles say, and ``p_permutation`` is NaN).

    Returns
    -------
    ForwardRelevance
    """
    gains = dict(MIN_GAIN) | dict(min_gain or {})
    if isinstance(random_state, np.random.Generator):
        random_state = int(random_state.integers(2**31 - 1))
    seed = 0 if random_state is None else int(random_state)
    outcomes = outcomes.copy()
    outcomes.index = outcomes.index.astype(str)
    for c in outcomes.columns:  # yes/no outcomes with gaps (respondents without a purchase) as nullable booleans
        s = outcomes[c]
        if s.dtype == object and len(s.dropna()) and s.dropna().map(lambda v: isinstance(v, (bool, np.bool_))).all():
            outcomes[c] = s.astype("boolean")
    baseline = baseline.copy()
    baseline.index = baseline.index.astype(str)
    base_cols = [c for c in BASELINE if c in baseline.columns]
    if not base_cols:
        raise AnalysisError(f"the baseline has none of the ERP features {', '.join(BASELINE)}; forward relevance "
                            "is judged beyond them")
    diffs, tests, lifts, verdicts = [], [], [], []
    for cand in candidates:
        name = str(cand.name)
        labels = cand.labels.copy()
        labels.index = labels.index.astype(str)
        labels = labels.dropna()
        known = labels.index.intersection(outcomes.index)
        out = outcomes.reindex(known)
        described = [c for c in DESCRIBED if c in out.columns and out[c].notna().sum() >= 2]
        # segment differences: tests and effect sizes on the modal labels, adjusted means by the three-step
        if described and len(known):
            frame = out[described].copy()
            for c in frame.columns:
                if pd.api.types.is_bool_dtype(frame[c]) or isinstance(frame[c].dtype, pd.BooleanDtype):
                    frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
            t = kpi_tests(labels.reindex(known), frame, correction="holm", alpha=alpha)
            tests.append(t.rename(columns={"kpi": "outcome"}).assign(candidate=name))
            diffs.append(_differences(cand, name, labels, out[described], data, adjusted))
        rows = []
        for col, kind, metric in PREDICTED:
            rows.append(_lift(name, col, kind, metric, labels, out, baseline, base_cols, known, gains, alpha,
                              min_respondents, min_events, n_splits, n_repeats, n_permutations, seed,
                              permute_all))
        rows = pd.DataFrame(rows)
        lifts.append(rows)
        verdicts.append(_verdict(name, rows, horizon))
    lift = pd.concat(lifts, ignore_index=True) if lifts else pd.DataFrame()
    front = lambda d: d[["candidate"] + [c for c in d.columns if c != "candidate"]] if len(d) else d  # noqa: E731
    return ForwardRelevance(
        horizon=int(horizon),
        differences=front(pd.concat(diffs, ignore_index=True)) if diffs else pd.DataFrame(),
        tests=front(pd.concat(tests, ignore_index=True)) if tests else pd.DataFrame(),
        lift=lift, verdicts=pd.DataFrame(verdicts),
        settings={"horizon (months)": int(horizon), "alpha": alpha, "least gain": gains,
                  "least respondents": min_respondents, "least events": min_events, "folds": n_splits,
                  "repeats": n_repeats, "permutations": n_permutations, "seed": seed,
                  "baseline": ", ".join(base_cols)})


def _differences(cand, name, labels, out: pd.DataFrame, data, adjusted: bool) -> pd.DataFrame:
    modal_rows = []
    lab = labels.reindex(out.index)
    for c in out.columns:
        s = out[c]
        binary = pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.BooleanDtype)
        y = s.astype(float)
        for seg in sort_segments(lab):
            m = (lab == seg) & y.notna()
            modal_rows.append({"outcome": c, "level": "True" if binary else "mean", "segment": seg,
                               "modal": float(y[m].mean()) if m.any() else np.nan, "n": int(y.notna().sum()),
                               "segment n": int(m.sum())})
    table = pd.DataFrame(modal_rows)
    table["adjusted"] = np.nan
    method = "modal assignment"
    post = getattr(cand, "posteriors", None)
    if adjusted and data is not None and post is not None and has_likelihood(getattr(cand, "method", None)):
        frame = out.reindex(post.index.astype(str)).copy()
        frame.index = post.index
        for c in frame.columns:
            if pd.api.types.is_bool_dtype(frame[c]) or isinstance(frame[c].dtype, pd.BooleanDtype):
                frame[c] = frame[c].astype("boolean")
        try:
            d = distal_outcomes(cand, data, frame, errors="skip").table
        except AnalysisError as exc:
            logger.info("forward: %s: no bias-adjusted differences (%s)", name, exc.message)
        else:
            d = d[d["level"].isin(["mean", "True"])]
            key = {(r.outcome, r.level, r.segment): r.adjusted for r in d.itertuples()}
            table["adjusted"] = [key.get((r.outcome, r.level, r.segment), np.nan) for r in table.itertuples()]
            method = "bias-adjusted three-step ML"
    table["method"] = method
    table.insert(0, "candidate", name)
    table["segment"] = table["segment"].map(str)
    return table[["candidate", "outcome", "level", "segment", "adjusted", "modal", "n", "segment n", "method"]]


def _lift(name, col, kind, metric, labels, out, baseline, base_cols, known, gains, alpha, min_respondents,
          min_events, n_splits, n_repeats, n_permutations, seed, permute_all) -> dict:
    row = {"candidate": name, "outcome": col, "metric": metric}
    said = column_label(col).split(" (")[0]  # 'Lapsed customers', not the code 'lapsed'
    blank = {"n": 0, "events": np.nan, "baseline": np.nan, "with_segments": np.nan, "gain": np.nan, "low": np.nan,
             "high": np.nan, "mae_baseline": np.nan, "mae_with_segments": np.nan, "p_permutation": np.nan,
             "folds": 0}
    if col not in out.columns:
        return row | blank | {"status": NOT_MEASURED, "sentence": f"{said}: not in the forward outcomes"}
    y = out[col]
    ok = y.notna()
    idx = known[ok.to_numpy()]
    n = len(idx)
    binary = kind == "binary"
    yv = y[ok].astype(float).to_numpy()
    events = int(min(yv.sum(), n - yv.sum())) if binary else np.nan
    if n < min_respondents:
        return row | blank | {"n": n, "events": events, "status": NOT_MEASURED,
                              "sentence": f"{said}: {n} respondents with the outcome, fewer than {min_respondents}"}
    if binary and events < min_events:
        return row | blank | {"n": n, "events": events, "status": NOT_MEASURED,
                              "sentence": f"{said}: only {events} respondents on the rarer side, fewer than {min_events}"}
    if not binary and np.std(yv) == 0:
        return row | blank | {"n": n, "status": NOT_MEASURED, "sentence": f"{said}: the same for everyone"}
    X = baseline_design(baseline.reindex(idx)[base_cols]).to_numpy(float)
    S = _segment_design(labels.reindex(idx))
    res = cv_gain(X, S, yv, binary=binary, n_splits=n_splits, n_repeats=n_repeats, n_permutations=n_permutations,
                  random_state=seed, alpha=alpha, permute_above=None if permute_all else gains.get(metric, 0.0))
    least = gains.get(metric, 0.0)
    ok_gain = res["low"] > 0 and res["p_permutation"] <= alpha and res["gain"] >= least
    shuffled = ("shuffled segments not needed: the interval reaches zero or the gain is too small"
                if np.isnan(res["p_permutation"]) else f"shuffled segments reach it with p = {res['p_permutation']:.2f}")
    sentence = (f"{said}: {metric} {res['baseline']:.3f} with the order history alone, {res['with_segments']:.3f} "
                f"with the segments (gain {res['gain']:+.3f}, {1 - alpha:.0%} interval {res['low']:+.3f} to "
                f"{res['high']:+.3f}; {shuffled})")
    return row | res | {"n": n, "events": events, "status": PASS if ok_gain else FAIL, "sentence": sentence}


def with_forward(card, forward: ForwardRelevance):
    """The scorecard with a *forward* line in every candidate's relevant criterion.

    The line is the candidate's forward verdict (pass / fail / not measured, see the module
    docstring); the ranking and the reason are recomputed, so a candidate that predicts is
    preferred to an otherwise equal one that does not. A pinned candidate stays pinned.
    """
    scores = []
    for s in card.scores:
        try:
            v = forward.verdict(s.name)
        except KeyError:
            scores.append(s)
            continue
        thr = (f"gain interval > 0, permutation p ≤ {forward.settings.get('alpha', 0.05)}, gain ≥ "
               + ", ".join(f"{v_} {k}" for k, v_ in forward.settings.get("least gain", MIN_GAIN).items())
               + f" over {forward.horizon} months")
        line = pd.DataFrame([_check("relevant", "forward", v["status"], v["value"], thr, v["sentence"])])
        checks = s.checks[~((s.checks["criterion"] == "relevant") & (s.checks["check"] == "forward"))]
        last = checks.index[checks["criterion"] == "relevant"].max() if (checks["criterion"] == "relevant").any() else -1
        pos = list(checks.index).index(last) + 1 if last != -1 else 0
        checks = pd.concat([checks.iloc[:pos], line, checks.iloc[pos:]], ignore_index=True)
        scores.append(dataclasses.replace(s, checks=checks))
    by_name = {s.name: s for s in scores}
    ranking = _rank(scores)
    ordered = [by_name[n] for n in ranking["candidate"]]
    recommended = card.recommended if card.pinned else str(ranking["candidate"].iloc[0])
    return dataclasses.replace(card, scores=ordered, ranking=ranking, recommended=recommended,
                               reason=_reason(ranking, by_name, recommended, card.pinned),
                               extra_tables=card.extra_tables | forward.tables())
