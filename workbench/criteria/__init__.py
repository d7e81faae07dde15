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
    in :mod:`workbench.describe.profiles` (an index at least ``trait_index_gap`` away from 100 and
    significantly different from the rest of the sample, corrected within the block);
    *typing model*: the typing tool (:func:`workbench.waves.golden.select_golden_questions`,
    the one the model step ships in ``typing_tool.xlsx``: issue 23) on at most
    ``typing_max_questions`` basis items (and the plan's ``golden_questions``) reproduces
    membership with a cross-validated accuracy of at least ``typing_min_accuracy``. Items
    are chosen by forward stepwise selection on Wilks' lambda (the classical stepwise
    discriminant analysis of typing tools) and the smallest set within one point of
    accuracy is kept; folds are stratified and seeded.

KPI tests are unweighted (they are about the sample's customers); traits and the typing
tool use the weights when given.

Modules: :mod:`~workbench.criteria.candidates` (the protocol, :class:`LabelCandidate`,
the entropy), :mod:`~workbench.criteria.checks` (KPI tests, profile distances),
:mod:`~workbench.criteria.score` (one candidate) and
:mod:`~workbench.criteria.scorecard` (all candidates, ranked). Every public name is
importable from ``workbench.criteria``.
"""

from .candidates import (BASIS_KINDS, CRITERIA, FAIL, MAX_KPI_CATEGORIES, NOT_MEASURED, PASS, Candidate,
                         LabelCandidate, relative_entropy)
from .checks import kpi_tests, profile_distances
from .score import CandidateScore
from .scorecard import Scorecard, score_candidates, score_study, study_basis

__all__ = [
    "Candidate",
    "LabelCandidate",
    "score_candidates",
    "Scorecard",
    "CandidateScore",
    "kpi_tests",
    "relative_entropy",
    "profile_distances",
    "study_basis",
    "score_study",
    "CRITERIA",
]
