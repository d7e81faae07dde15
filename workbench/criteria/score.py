"""Scoring one candidate on the relevant / operational / describable checks (:class:`CandidateScore`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.measures import p_text
from ..core.summary import Summarised, Summary, SummaryTable
from ..describe.alignment import align_labels, sort_segments
from ..segments.methods import has_likelihood
from ..core.errors import AnalysisError
from ..describe.profiles import SegmentProfiles, profile
from ..study import CriteriaSpec
from .candidates import CRITERIA, FAIL, NOT_MEASURED, PASS, relative_entropy
from ..waves.golden import TYPING_TOLERANCE, TypingTool, select_golden_questions
from .checks import kpi_tests, profile_distances

#: A latent class candidate whose largest bivariate residual exceeds this gets a note on its
#: entropy check (Latent GOLD users read a residual above 10 as strong local dependence).
STRONG_LOCAL_DEPENDENCE = 10.0


# --------------------------------------------------------------------------- scoring one candidate


def _check(criterion, check, status, value, threshold, sentence) -> dict:
    return {"criterion": criterion, "check": check, "status": status, "value": value, "threshold": threshold,
            "sentence": sentence}


def _fmt_p(p: float) -> str:
    """'p < 0.001' / 'p = 0.23': the deliverables' one rule for a p-value (:func:`workbench.core.measures.p_text`)."""
    text = p_text(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _list(items, n=4) -> str:
    items = list(map(str, items))
    if len(items) <= n:
        return ", ".join(items)
    return ", ".join(items[:n]) + f" and {len(items) - n} more"


@dataclass(frozen=True, eq=False)
class CandidateScore(Summarised):
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
    typing : TypingTool or None
        The typing tool built for this candidate (:func:`workbench.waves.golden.select_golden_questions`):
        the recommended candidate's is the one the model step ships.
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
    typing: TypingTool | None = field(repr=False)
    profiles: SegmentProfiles = field(repr=False)
    dropped: dict = field(default_factory=dict, repr=False)

    def summarise(self) -> Summary:
        """The verdict per criterion and the checks with their sentences."""
        head = f"{self.name} (k={self.k}): " + ", ".join(f"{c} {self.status(c)}" for c in CRITERIA)
        return Summary(self.name, [head], [SummaryTable(self.checks, index=False)])

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

def _replication_check(cand) -> dict | None:
    """'best fit replicated' for a latent class / profile candidate that ran more than one
    start to the end (Mplus: "the best loglikelihood value was not replicated"): the same
    rule as the fit table's 'not replicated' status (fewer than 2 finished starts reached
    the best log-likelihood, after any added starts). None when it cannot be judged."""
    reached = getattr(cand, "best_ll_replicated", None)
    finished = getattr(cand, "n_final_starts", None)
    if not has_likelihood(getattr(cand, "method", None)) or reached is None or finished is None or finished <= 1:
        return None
    run = int(getattr(cand, "n_starts", 0) or finished)
    added = int(getattr(cand, "starts_added", 0) or 0)
    runs = f"{run} random starts" + (f", {added} of them added because it was not" if added else "")
    if reached >= 2:
        return _check("operational", "best fit replicated", PASS, float(reached), "≥ 2 starts",
                      f"The best fit was reached by {reached} of {finished} finished starts ({runs}): it is not a "
                      "chance local maximum.")
    return _check("operational", "best fit replicated", FAIL, float(reached), "≥ 2 starts",
                  f"The best fit was reached by only {reached} of {finished} finished starts ({runs}): it may be a "
                  "chance local maximum, so these segments may not come back when the model is fitted again; run "
                  "more random starts (segmentation.n_init, max_starts) before relying on it.")


def _relevant_checks(lab, kpis, spec: CriteriaSpec):
    """The KPI tests and the *relevant* check: ``(tests, [check])``."""
    checks = []
    if kpis is None or kpis.shape[1] == 0:
        tests = kpi_tests(lab, pd.DataFrame(index=lab.index))
        checks.append(_check("relevant", "KPIs differ", NOT_MEASURED, np.nan, "",
                             "Relevant cannot be judged: no behavioural measure (no ERP data, no survey "
                             "question of kind 'behaviour', no KPI declared in criteria.kpis)."))
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
            lead = "None of the" if diff.empty else f"Only {len(diff)} of"
            checks.append(_check("relevant", "KPIs differ", FAIL, float(len(diff)), thr,
                                 f"{lead} {len(tested)} KPIs differ between "
                                 f"the segments (needed {needed}); "
                                 f"the largest effect is {best['kpi']} ({best['effect']} {best['effect size']:.2f}, "
                                 f"{_fmt_p(best['p_adj'])}): the segments are not connected to the behaviour the "
                                 "business wants to understand."))
    return tests, checks


def _assignment_checks(cand, lab, spec: CriteriaSpec) -> list[dict]:
    """The *operational* checks of how clearly and stably respondents are assigned: classification
    entropy (with a note on strong local dependence) and bootstrap stability."""
    checks = []
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
    if (bvr is not None and len(bvr) and bvr["bvr"].iloc[0] > STRONG_LOCAL_DEPENDENCE
            and checks[-1]["check"] == "classification entropy"):
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
    return checks


def _distance_check(responses, basis, lab, spec: CriteriaSpec):
    """The profile distances and the *distinct profiles* check: ``(distances, check)``."""
    dist = profile_distances(responses.data[basis], lab) if basis else pd.DataFrame(columns=["segment a", "segment b", "distance"])
    if dist.empty:
        check = _check("operational", "distinct profiles", NOT_MEASURED, np.nan, f"≥ {spec.min_profile_distance}",
                             "Not measured: no basis items to compare the segments on.")
    else:
        close = dist[dist["distance"] < spec.min_profile_distance]
        dmin = float(dist["distance"].iloc[0])
        a, b = dist["segment a"].iloc[0], dist["segment b"].iloc[0]
        if close.empty:
            check = _check("operational", "distinct profiles", PASS, dmin, f"≥ {spec.min_profile_distance} sd",
                                 f"Every pair of segments differs on the basis items; the closest pair ({a} and {b}) "
                                 f"is {dmin:.2f} sd apart.")
        else:
            pairs = [f"{a_}/{b_}" for a_, b_ in zip(close["segment a"], close["segment b"])]
            check = _check("operational", "distinct profiles", FAIL, dmin, f"≥ {spec.min_profile_distance} sd",
                                 f"{len(close)} pair(s) of segments are nearly the same on the basis items "
                                 f"({_list(pairs)}; closest {a} and {b}, {dmin:.2f} sd apart, needed "
                                 f"{spec.min_profile_distance}): merge them or choose fewer segments.")
    return dist, check


def _typing_check(responses, basis, lab, spec: CriteriaSpec, weights, random_state):
    """The *typing model* check on the one typing tool (:func:`select_golden_questions`): ``(tool, check)``."""
    typing = None
    thr = f"≥ {spec.typing_min_accuracy:.0%} with ≤ {spec.typing_max_questions} questions"
    if not basis:
        check = _check("describable", "typing model", NOT_MEASURED, np.nan, thr,
                             "Not measured: no basis items to build a typing model on.")
    else:
        try:
            typing = select_golden_questions(
                responses.data[basis], lab, max_questions=spec.typing_max_questions, cv=spec.typing_cv_folds,
                sample_weight=None if weights is None else weights.reindex(lab.index), random_state=random_state,
                tolerance=TYPING_TOLERANCE)
        except AnalysisError as exc:
            check = _check("describable", "typing model", FAIL, np.nan, thr,
                                 f"No typing model could be validated: {exc}.")
        else:
            ok = typing.accuracy >= spec.typing_min_accuracy
            nq = len(typing.questions)
            check = _check(
                "describable", "typing model", PASS if ok else FAIL, typing.accuracy, thr,
                f"A typing model on {nq} question{'s' if nq != 1 else ''} ({_list(typing.questions, 5)}) assigns {typing.accuracy:.0%} of "
                f"respondents to their segment ({typing.cv}-fold cross-validated)"
                + ("." if ok else f", below the {spec.typing_min_accuracy:.0%} needed: the segments cannot be "
                                  "recognised reliably from a short questionnaire."))
    return typing, check


def score_candidate(cand, responses, kpis, basis, spec: CriteriaSpec, min_n: int, weights, random_state) -> CandidateScore:
    name = str(cand.name)
    al = align_labels(responses.data.index, cand.labels, what=f"labels of {name!r}")
    lab = al.labels
    segs = sort_segments(lab)
    k = len(segs)
    if k < 2:
        raise AnalysisError(f"candidate {name!r} has {k} segment(s) among the respondents; a segmentation needs at least two")
    declared_k = getattr(cand, "k", k)

    # ----- relevant
    tests, checks = _relevant_checks(lab, kpis, spec)

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
    checks += _assignment_checks(cand, lab, spec)
    replicated = _replication_check(cand)
    if replicated is not None:
        checks.append(replicated)
    dist, check = _distance_check(responses, basis, lab, spec)
    checks.append(check)

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
    typing, check = _typing_check(responses, basis, lab, spec, weights, random_state)
    checks.append(check)
    sizes_t = pd.DataFrame({"n": sizes.astype(int), "share": shares.round(4)})
    sizes_t.index.name = "segment"
    return CandidateScore(
        name=name, k=k, checks=pd.DataFrame(checks), kpi_tests=tests, distances=dist, sizes=sizes_t, traits=traits,
        typing=typing, profiles=prof,
        dropped={"labels without response": al.labels_without_response,
                 "responses without label": al.responses_without_label},
    )
