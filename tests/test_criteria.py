"""The relevant / operational / describable scorecard: planted truth passes, bad candidates fail for the right reason."""

from __future__ import annotations

import math
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy import stats

from workbench.criteria import (
    FAIL,
    NOT_MEASURED,
    PASS,
    LabelCandidate,
    kpi_tests,
    profile_distances,
    relative_entropy,
    score_candidates,
    study_basis,
)
from workbench.core.errors import AnalysisError, StudyError
from workbench.quality import check_quality
from workbench.data.readers import read_responses
from workbench.study import CriteriaSpec, load_study


def demo_kpis(folder, clean) -> pd.DataFrame:
    """Per-respondent KPIs from the demo's order lines: revenue, orders, share of Webshop + EDI orders."""
    tx = pd.read_csv(folder / "behaviour" / "transactions.csv")
    orders = tx.groupby(["customer_id", "order_id"]).agg(value=("net_value_eur", "sum"), channel=("channel", "first"))
    orders = orders.reset_index()
    per_customer = orders.groupby("customer_id").agg(
        revenue=("value", "sum"), orders=("order_id", "nunique"),
        digital_share=("channel", lambda s: s.isin(["Webshop", "EDI"]).mean()),
    )
    kpis = clean.data[["customer_id"]].join(per_customer, on="customer_id").drop(columns="customer_id")
    kpis["main_channel"] = clean.data[["customer_id"]].join(
        orders.groupby("customer_id")["channel"].agg(lambda s: s.value_counts().index[0]), on="customer_id"
    )["channel"]
    return kpis


@pytest.fixture(scope="module")
def demo(demo_study):
    study = load_study(demo_study)
    responses = read_responses(study, "1")
    clean = check_quality(responses, study).apply(responses)
    truth = pd.read_csv(demo_study / "truth" / "respondents_wave1.csv", dtype={"resp_id": str})
    planted = truth.drop_duplicates("resp_id", keep="last").set_index("resp_id")["segment"]
    return study, clean, planted, demo_kpis(demo_study, clean)


def bad_candidates(planted: pd.Series, index: pd.Index):
    rng = np.random.default_rng(11)
    noise = pd.Series(rng.integers(1, 6, len(index)), index=index)
    # twelve segments: each planted segment cut at random into 2 or 3 pieces
    lab = planted.reindex(index)
    pieces = {1: 3, 2: 3, 3: 2, 4: 2, 5: 2}
    split = pd.Series([f"{s}{'abc'[rng.integers(pieces[s])]}" for s in lab], index=index)
    return LabelCandidate("noise k=5", noise), LabelCandidate("split k=12", split)


@pytest.fixture(scope="module")
def card(demo):
    study, clean, planted, kpis = demo
    noise, split = bad_candidates(planted, clean.data.index)
    cands = [noise, LabelCandidate("planted k=5", planted), split]
    return score_candidates(cands, clean, kpis=kpis, basis=study_basis(study), criteria=study.spec.criteria,
                            min_segment_n=study.spec.min_segment_n, random_state=study.seed)


def check(score, name):
    c = score.checks.set_index("check").loc[name]
    return c["status"], c["sentence"], c["value"]


# --------------------------------------------------------------------------- the demo


def test_planted_segmentation_passes_all_three_and_is_recommended(card):
    assert card.recommended == "planted k=5" and not card.pinned
    s = card["planted k=5"]
    assert (s.relevant, s.operational, s.describable) == (PASS, PASS, PASS)
    assert list(card.ranking["candidate"]) == ["planted k=5", "split k=12", "noise k=5"]
    assert "planted k=5 passes all three criteria" in card.reason
    # hard labels: entropy and stability cannot be measured, and say so
    assert check(s, "classification entropy")[0] == NOT_MEASURED
    assert "no entropy or posterior" in check(s, "classification entropy")[1]
    assert check(s, "KPIs differ")[2] == 4  # revenue, orders, digital share, main channel
    assert check(s, "typing model")[2] >= 0.8
    assert len(s.typing.questions) <= 10


def test_noise_fails_relevant_and_describable_with_the_right_explanation(card):
    s = card["noise k=5"]
    assert s.relevant == FAIL
    status, sentence, value = check(s, "KPIs differ")
    assert value == 0 and "not connected to the behaviour" in sentence
    assert s.describable == FAIL
    assert "cannot be described" in check(s, "traits per segment")[1]
    assert check(s, "typing model")[0] == FAIL
    # it has a workable number of large segments, but they are all alike
    assert check(s, "number of segments")[0] == PASS
    assert check(s, "smallest segment")[0] == PASS
    assert check(s, "distinct profiles")[0] == FAIL


def test_twelve_segments_fail_operational_with_the_right_explanation(card):
    s = card["split k=12"]
    assert s.operational == FAIL
    status, sentence, value = check(s, "number of segments")
    assert status == FAIL and value == 12 and "more than the workable range of 3 to 8" in sentence
    status, sentence, _ = check(s, "distinct profiles")
    assert status == FAIL and "nearly the same" in sentence
    assert s.relevant == PASS  # the pieces inherit the planted behaviour differences


def test_kpi_tests_by_hand(demo):
    _, _, planted, kpis = demo
    t = kpi_tests(planted, kpis).set_index("kpi")
    x = kpis["revenue"].dropna()
    g = planted.reindex(x.index)
    groups = [x[g == s].to_numpy() for s in sorted(g.unique())]
    h, p = stats.kruskal(*groups)
    n, k = len(x), len(groups)
    assert t.loc["revenue", "statistic"] == pytest.approx(h)
    assert t.loc["revenue", "effect size"] == pytest.approx((h - k + 1) / (n - k))
    assert t.loc["revenue", "p_value"] == pytest.approx(p)
    assert t.loc["main_channel", "type"] == "category"
    # Holm over four KPIs: the smallest p-value is multiplied by 4
    assert t["p_adj"].min() == pytest.approx(min(1, 4 * t["p_value"].min()))


def test_eta_squared_and_cramers_v_by_hand():
    labels = pd.Series(["a", "a", "a", "b", "b", "b"], index=list("123456"))
    kpis = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 9], "c": ["u", "u", "v", "v", "v", "v"]}, index=list("123456"))
    t = kpi_tests(labels, kpis, numeric_test="anova").set_index("kpi")
    # eta² = SS_between / SS_total: means 2 and 6, grand mean 4
    ss_between = 3 * (2 - 4) ** 2 + 3 * (6 - 4) ** 2
    ss_total = sum((v - 4) ** 2 for v in [1, 2, 3, 4, 5, 9])
    assert t.loc["x", "effect size"] == pytest.approx(ss_between / ss_total)
    assert t.loc["x", "p_value"] == pytest.approx(stats.f_oneway([1, 2, 3], [4, 5, 9]).pvalue)
    # 2 x 2 table a: (u 2, v 1), b: (u 0, v 3): chi² by hand, V = sqrt(chi² / n)
    expected = np.array([[1, 2], [1, 2]])
    observed = np.array([[2, 1], [0, 3]])
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert t.loc["c", "statistic"] == pytest.approx(chi2)
    assert t.loc["c", "effect size"] == pytest.approx(math.sqrt(chi2 / 6))


def test_relative_entropy_by_hand():
    assert relative_entropy([[1.0, 0.0], [0.0, 1.0]]) == pytest.approx(1.0)
    # one certain respondent, one at 50/50: 1 - ln 2 / (2 ln 2)
    assert relative_entropy([[1.0, 0.0], [0.5, 0.5]]) == pytest.approx(0.5)


def test_profile_distance_by_hand():
    data = pd.DataFrame({"q1": [1.0, 1, 3, 3], "q2": [2.0, 2, 2, 4]}, index=list("abcd"))
    labels = pd.Series([1, 1, 2, 2], index=list("abcd"))
    d = profile_distances(data, labels)
    sd1, sd2 = np.std([1, 1, 3, 3], ddof=1), np.std([2, 2, 2, 4], ddof=1)
    expected = math.sqrt(((2 / sd1) ** 2 + (1 / sd2) ** 2) / 2)
    assert d["distance"].iloc[0] == pytest.approx(expected)


def test_entropy_stability_and_posteriors_are_checked(demo):
    study, clean, planted, kpis = demo
    lab = planted.reindex(clean.data.index)
    post = pd.get_dummies(lab).astype(float) * 0.6 + 0.1  # 0.7 on the own segment, 0.1 elsewhere
    fuzzy = LabelCandidate("fuzzy", lab, posteriors=post, stability=0.4)
    hard = LabelCandidate("hard", lab, posteriors=pd.get_dummies(lab).astype(float), entropy=1.0)
    card = score_candidates([fuzzy, hard], clean, kpis=None, basis=study_basis(study)[:8], random_state=1,
                            criteria={"min_entropy": 0.7})
    status, sentence, _ = check(card["hard"], "classification entropy")
    assert status == NOT_MEASURED and "hard partition" in sentence
    s = card["fuzzy"]
    status, sentence, value = check(s, "classification entropy")
    assert value == pytest.approx(relative_entropy(post.to_numpy()))
    assert status == FAIL and "not clearly assigned" in sentence and "from the posteriors" in sentence
    status, sentence, _ = check(s, "bootstrap stability")
    assert status == FAIL and "change when the sample is redrawn" in sentence
    assert s.relevant == NOT_MEASURED and "cannot be judged: no behavioural measure" in check(s, "KPIs differ")[1]


def test_pinned_candidate_overrides_the_ranking(demo):
    study, clean, planted, kpis = demo
    noise, _ = bad_candidates(planted, clean.data.index)
    cands = [LabelCandidate("planted", planted), noise]
    with_ids = kpis[["revenue"]].assign(customer=clean.data["customer_id"], first_order=pd.Timestamp("2020-01-01"))
    card = score_candidates(cands, clean, kpis=with_ids, basis=study_basis(study)[:6], random_state=1,
                            criteria=CriteriaSpec(pin="noise k=5"))
    assert list(card["planted"].kpi_tests["kpi"]) == ["revenue"]  # ids and dates are not KPIs
    assert card.recommended == "noise k=5" and card.pinned
    assert "pinned in the study" in card.reason and "would have recommended planted" in card.reason
    with pytest.raises(AnalysisError, match="pins candidate 'lca k=4'.*candidates are: planted, noise k=5"):
        score_candidates(cands, clean, criteria={"pin": "lca k=4"})
    with pytest.raises(AnalysisError, match="names must be unique"):
        score_candidates([cands[0], cands[0]], clean)
    with pytest.raises(AnalysisError, match="list is not a candidate segmentation: it lacks name, k, labels"):
        score_candidates([list(planted)], clean)


def test_the_describable_check_judges_the_typing_tool_that_is_shipped(demo):
    """One typing tool (issue 23): the scorecard's typing check is select_golden_questions' tool,
    seeded, and its accuracy is the check's value."""
    import warnings

    from workbench.core.errors import WorkbenchWarning
    from workbench.waves.golden import TYPING_TOLERANCE, select_golden_questions

    study, clean, planted, _ = demo
    basis = study_basis(study)
    card = score_candidates([LabelCandidate(name="planted", labels=planted)], clean, basis=basis, random_state=3)
    tool = card["planted"].typing
    again = select_golden_questions(clean.data[basis], planted, random_state=3, tolerance=TYPING_TOLERANCE,
                                    max_questions=card["planted"].typing.path["step"].max())
    assert tool.questions == again.questions and tool.accuracy == again.accuracy
    check = card["planted"].checks.set_index("check").loc["typing model"]
    assert check["value"] == tool.accuracy and f"{tool.cv}-fold" in check["sentence"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)  # skipped answers are typed with the item means
        pred = tool.predict(clean.data)
    assert (pred == planted.reindex(clean.data.index)).mean() >= tool.accuracy - 0.05


def test_scorecard_files(card, tmp_path):
    xlsx = card.to_excel(tmp_path)
    assert xlsx.name == "scorecard.xlsx"
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[:2] == ["Ranking", "Checks"]
    ws = wb["Checks"]
    statuses = {c.value for c in ws["D"][3:]}
    assert statuses == {PASS, FAIL, NOT_MEASURED}
    assert ws.conditional_formatting
    md = card.to_markdown(tmp_path).read_text(encoding="utf-8")
    assert md.startswith("# Segmentation scorecard")
    assert "**Recommendation: planted k=5.**" in md
    assert "| 1 | planted k=5 | 5 | pass | pass | pass |" in md
    assert "more than the workable range" in md


# --------------------------------------------------------------------------- the study's criteria section


def test_criteria_section_is_strict_and_documented(demo_study, tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    for part in ("waves", "behaviour"):
        (folder / part).symlink_to(demo_study / part, target_is_directory=True)
    base = (demo_study / "study.yaml").read_text(encoding="utf-8")
    assert "\ncriteria:" not in base
    study = load_study(_write(folder, base + "criteria:\n  typing_min_accuracy: 0.9\n  pin: lca k=5\n"))
    assert study.spec.criteria.typing_min_accuracy == 0.9 and study.spec.criteria.k_max == 8
    assert study.spec.criteria.pin == "lca k=5"
    assert load_study(_write(folder, base)).spec.criteria == CriteriaSpec()
    with pytest.raises(StudyError) as err:
        load_study(_write(folder, base + "criteria:\n  min_entropie: 0.8\n  k_min: 9\n  alpha: 2\n"))
    problems = "\n".join(err.value.problems)
    assert "criteria.min_entropie: unknown key" in problems
    assert "criteria.k_min: k_max (8, the default) is below k_min (9)" in problems
    assert "criteria.alpha: Input should be less than 1" in problems


def _write(folder, text):
    (folder / "study.yaml").write_text(text, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- the pipeline step


def test_pipeline_step_scores_profiles_and_drafts_personas(demo, demo_study, tmp_path):
    from types import SimpleNamespace

    from workbench import pipeline
    from workbench.steps.context import Skip
    from workbench.steps.criteria import criteria

    _, _, planted, kpis = demo
    folder = tmp_path / "demo"
    folder.mkdir()
    for part in ("waves", "behaviour"):
        (folder / part).symlink_to(demo_study / part, target_is_directory=True)
    (folder / "study.yaml").write_text((demo_study / "study.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    study = load_study(folder)
    ctx = pipeline.new_context(study, "1")
    pipeline.run_steps(ctx, ["read", "quality", "weighting"])
    assert criteria(ctx) == Skip("no candidate segmentations to score")
    # what the behaviour and segments steps leave: KPIs per respondent and candidates
    ctx.behaviour = SimpleNamespace(respondents=kpis.rename(columns={"orders": "frequency"}))
    noise, _ = bad_candidates(planted, ctx.clean.data.index)
    ctx.candidates = [noise, LabelCandidate("planted", planted)]
    writers = pipeline.run_steps(ctx, ["criteria", "opportunities", "personas"])
    assert ctx.scorecard.recommended == "planted"
    assert list(ctx.scorecard.best.kpi_tests["kpi"]) == ["revenue", "frequency", "digital_share"]
    assert "revenue" in set(ctx.profiles.table["variable"])
    out = tmp_path / "out"
    out.mkdir()
    for write in writers:
        write(out)
    assert sorted(p.name for p in out.iterdir()) == [
        "opportunities.xlsx", "personas.yaml", "profiles.xlsx", "scorecard.md", "scorecard.xlsx"]
    assert (folder / "personas.yaml").read_text(encoding="utf-8") == (out / "personas.yaml").read_text(encoding="utf-8")
    assert ctx.manifest.counts["personas"] == 5


def test_a_relevance_failure_with_no_kpi_differing_says_none_and_p_by_the_deliverables_rule():
    """Segments independent of every KPI: the sentence (which an English deck's status line shows)
    says 'None of the 2 KPIs', not 'Only 0 of 2', and its p-value follows the one rule of every
    deliverable (core.measures.p_text: two decimals from 0.01), so the slide and the scorecard
    workbook read alike."""
    from workbench.core.measures import p_text
    from workbench.criteria.score import _relevant_checks

    g = np.random.default_rng(3)
    lab = pd.Series(g.integers(0, 3, 600), name="segment")
    kpis = pd.DataFrame({"revenue": g.gamma(2.0, 100.0, 600), "channel": g.choice(["edi", "web"], 600)})
    tests, checks = _relevant_checks(lab, kpis, CriteriaSpec())
    sentence = checks[0]["sentence"]
    assert checks[0]["status"] == "fail" and sentence.startswith("None of the 2 KPIs differ"), sentence
    best = tests.sort_values("effect size", ascending=False).iloc[0]
    assert f"p = {p_text(best['p_adj'])})" in sentence and p_text(best["p_adj"]).count(".") == 1


def test_when_no_candidate_passes_the_reason_reads_as_one_text(demo):
    """The scorecard's reason strings each failing check's sentence as a clause ('…; describable: a
    typing model on …'): no '.;' nor '..' where a sentence ended, one full stop at the end, and
    'question' in the singular for one question."""
    study, clean, planted, kpis = demo
    noise, split = bad_candidates(planted, clean.data.index)
    card = score_candidates([noise, split], clean, kpis=kpis, basis=study_basis(study), criteria=study.spec.criteria,
                            min_segment_n=study.spec.min_segment_n, random_state=study.seed)
    reason = card.reason
    assert reason.startswith("No candidate passes all three criteria") and "It fails" in reason, reason
    assert ".;" not in reason and ".." not in reason and reason.endswith(".") and not reason.endswith(".."), reason
    assert re.search(r"describable: a typing model on \d+ questions?", reason), reason
    assert not re.search(r"\b1 questions\b", reason)
