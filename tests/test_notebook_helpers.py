"""The functions the notebooks call instead of logic of their own (workbench.pipeline and the
result classes): the study plan's settings with a notebook's overrides, the solution shown
first, and the one line that says why a part of a study is absent."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from conftest import MINI_STUDY, write_mini
from workbench import notebook, pipeline
from workbench.behaviour import Behaviour
from workbench.files.outputs import client_frame
from workbench.segments import Candidates, SegmentSettings
from workbench.study import load_study
from workbench.waves.golden import TypingTool, select_golden_questions

PLAN = {"settings": SegmentSettings(k_range=range(2, 8), methods=("lca", "lpa", "kmeans"), n_init=8, n_bootstrap=4,
                                    covariance="diag", min_class_share=0.1, choice=("lca", 3), blrt_for="all")}


# --------------------------------------------------------------------------- the plan with a notebook's overrides

def test_none_keeps_the_study_plans_settings():
    assert notebook.plan_settings(PLAN) == PLAN["settings"]
    assert notebook.plan_settings(PLAN, methods=None, k_min=None, n_init=None) == PLAN["settings"]


def test_a_notebook_overrides_only_what_it_names():
    out = notebook.plan_settings(PLAN, methods=["kmeans"], k_max=4, n_init=3)
    assert (out.methods, out.k_range, out.n_init, out.n_bootstrap) == (("kmeans",), (2, 3, 4), 3, 4)
    # everything else stays the plan's (issue 23: notebooks fitted a different analysis)
    assert (out.covariance, out.min_class_share, out.blrt_for) == ("diag", 0.1, "all")
    assert out.choice is None  # the plan pins lca k=3, which this notebook does not fit
    assert notebook.plan_settings(PLAN, k_min=3, n_bootstrap=0).k_range == (3, 4, 5, 6, 7)
    assert notebook.plan_settings(PLAN, k_min=3).choice == ("lca", 3)


@pytest.mark.parametrize("overrides, message", [
    ({"methods": ["lca", "gmm"]}, "methods must be some of lca, lpa, kmeans, ward; got lca, gmm"),
    ({"methods": []}, "got none"),
    ({"k_min": 5, "k_max": 3}, "k_min=5, k_max=3"),
    ({"k_min": 0}, "at least 1"),
])
def test_overrides_the_fit_cannot_use_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        notebook.plan_settings(PLAN, **overrides)


# --------------------------------------------------------------------------- the solution a notebook shows first

def _solution(method, k, bic=np.nan, stability=None):
    return SimpleNamespace(method=method, k=k, bic=bic, stability=stability, name=f"{method} k={k}",
                           column=f"{method}_{k}")


def _candidates(*sols, distal=None, covariates=None):
    return Candidates(solutions={(s.method, s.k): s for s in sols}, fit_table=pd.DataFrame(), distal=distal or {},
                      covariates=covariates or {})


def test_the_leading_solution_is_the_lowest_bic_latent_class_one():
    grid = _candidates(_solution("lca", 2, 900.0), _solution("lca", 3, 850.0), _solution("lpa", 2, 700.0),
                       _solution("kmeans", 2, stability=0.9))
    assert grid.methods == ["lca", "lpa", "kmeans"]
    assert grid.leading().name == "lca k=3"
    assert grid.leading(methods=("lpa", "lca")).name == "lpa k=2"


def test_without_latent_classes_latent_profiles_lead_and_without_both_the_most_stable_kmeans():
    assert _candidates(_solution("lpa", 2, 700.0), _solution("lpa", 3, 650.0)).leading().name == "lpa k=3"
    grid = _candidates(_solution("kmeans", 2, stability=0.6), _solution("kmeans", 3, stability=0.8))
    assert grid.methods == ["kmeans"] and grid.leading().name == "kmeans k=3"
    # no bootstrap refits: no stability to compare, the smallest k
    assert _candidates(_solution("kmeans", 3), _solution("kmeans", 2)).leading().name == "kmeans k=2"
    assert _candidates().leading() is None and _candidates().methods == []


# --------------------------------------------------------------------------- why a part is absent

def test_absent_says_why_a_step_gave_nothing(mini):
    ctx = pipeline.run_until(mini, "1", "weighting")
    assert notebook.absent(ctx, "clean") is None
    assert (notebook.absent(ctx, "behaviour", "no behaviour data in this study")
            == "no behaviour data in this study: study declares no behaviour data")
    assert notebook.absent(ctx, "factors") == "no factors: step factors was not run"
    assert notebook.absent(ctx, "customer_segments") == "no customer segments: step model was not run"
    ctx.manifest.steps["factors"] = 0.1
    assert notebook.absent(ctx, "factors") == "no factors: step factors gave none"
    with pytest.raises(KeyError, match="no context field 'behavior'"):
        notebook.absent(ctx, "behavior")


def test_absent_writes_the_runners_reason_in_words(mini):
    ctx = pipeline.run_until(mini, "1", "opportunities")
    assert notebook.absent(ctx, "opportunities", "no JTBD opportunities in this study") == (
        "no JTBD opportunities in this study: the study has no JTBD outcomes block (no outcome with an importance "
        "and a satisfaction question)")
    ctx = pipeline.run_until(mini, "1", "tracking")
    assert notebook.absent(ctx, "tracking", "no tracking for wave 1").startswith("no tracking for wave 1: ")


def test_kpis_absent_names_both_missing_sources_and_is_quiet_with_survey_behaviour(tmp_path):
    ctx = pipeline.run_until(write_mini(tmp_path / "plain"), "1", "weighting")
    assert notebook.kpis_absent(ctx) == (
        "no behavioural KPI in this study: no behaviour data: study declares no behaviour data, and no survey "
        "question is of kind behaviour; the scorecard cannot judge whether the segments are relevant")
    study = MINI_STUDY.replace("  firmo:\n    kind: firmographics", "  firmo:\n    kind: behaviour")
    assert study != MINI_STUDY
    ctx = pipeline.run_until(write_mini(tmp_path / "survey_behaviour", study=study), "1", "weighting")
    assert notebook.criteria_kpis(ctx) is not None and notebook.kpis_absent(ctx) is None


def test_measures_the_transaction_columns_cannot_give_are_listed_by_label():
    tx = SimpleNamespace(columns={"customer_id": "kunde", "date": "dato", "value": "beløb", "quantity": "antal"})
    ctx = SimpleNamespace(study=SimpleNamespace(spec=SimpleNamespace(behaviour=SimpleNamespace(transactions=tx))),
                          behaviour=object())
    gone = notebook.skipped_measures(ctx)
    assert list(gone.columns) == ["why not computed"] and gone.index.name == "measure"
    assert gone.loc["Cost-to-serve tier", "why not computed"] == (
        "no Delivery cost or Handling cost column in the transactions")
    assert gone.loc["Share of orders via each channel (%)", "why not computed"] == "no channel column in the transactions"
    assert not any("Units" in m for m in gone.index)  # the quantity column is there
    assert not any("_" in m for m in gone.index)  # labels, not codes
    ctx.behaviour = None
    assert notebook.skipped_measures(ctx).empty


def test_structural_estimates_absent_for_hard_partitions_studies_without_behaviour_and_plans_without_covariates(mini):
    ctx = pipeline.run_until(mini, "1", "weighting")
    lca, kmeans = _solution("lca", 3, 800.0), _solution("kmeans", 3)
    grid = _candidates(lca, kmeans, distal={("lca", 3): object()})
    assert notebook.structural_absent(ctx, grid, lca, "distal") is None
    assert notebook.structural_absent(ctx, grid, kmeans, "distal") == (
        "no behaviour by segment: the bias-adjusted estimates need a latent class or latent profile model, and the "
        "solution looked at is k-means, 3 segments")
    assert notebook.structural_absent(ctx, grid, None) == "no behaviour by segment: no candidate segmentation was fitted"
    assert notebook.structural_absent(ctx, _candidates(lca), lca) == (
        "no behaviour by segment: this study has no behaviour data: study declares no behaviour data")
    assert notebook.structural_absent(ctx, grid, lca, "covariates") == (
        "no covariates of membership: the study plan names no covariates (segmentation.covariates)")
    with pytest.raises(ValueError, match="part must be"):
        notebook.structural_absent(ctx, grid, lca, "outcomes")


# --------------------------------------------------------------------------- profile blocks, behaviour views

def test_profiled_blocks_are_grouped_from_the_study_not_from_demo_names(tmp_path):
    study = load_study(write_mini(tmp_path / "mini", study=MINI_STUDY + "segmentation:\n  basis: [needs]\n"))
    profiles = SimpleNamespace(blocks=["needs", "firmo", "behaviour"])
    assert notebook.profile_groups(study, profiles) == {
        "basis": ["needs"], "behaviour": ["behaviour"], "outcomes": [], "describing": ["firmo"]}
    # a survey question named as a KPI puts its block with the behaviour
    kpis = pd.DataFrame({"eksport": [0, 1]})
    assert notebook.profile_groups(study, SimpleNamespace(blocks=["needs", "firmo"]), kpis) == {
        "basis": ["needs"], "behaviour": ["firmo"], "outcomes": [], "describing": []}


def _behaviour(customers, respondents):
    empty = pd.DataFrame()
    return Behaviour(customers=customers, respondents=respondents, match=empty, unmatched=empty, lines=empty,
                     features=None, study_id="s", wave="1", as_of=None, key="kunde")


def test_behaviour_lists_the_category_features_and_kpis_the_data_gave():
    customers = pd.DataFrame({"revenue": [1.0, 2.0], "active": [True, False], "rfm_tier": ["gold", "bronze"],
                              "lapsed": [False, True], "recency_days": [3, 400]})
    respondents = pd.DataFrame({"customer_id": ["C1", "C2"], "match": ["matched", "matched"], "duplicate_key": False,
                                "recency_days": [3, 400], "rfm_tier": ["gold", "bronze"], "revenue": [1.0, 2.0],
                                "trend": [0.1, -0.2]})
    beh = _behaviour(customers, respondents)
    assert beh.categories() == ["rfm_tier", "lapsed", "active"]  # no cost tier, no channel: not computed
    assert list(beh.respondent_kpis().columns) == ["customer_id", "match", "revenue", "recency_days", "rfm_tier"]


# --------------------------------------------------------------------------- model attachments

def _typing_tool() -> TypingTool:
    rng = np.random.default_rng(3)
    seg = pd.Series(rng.integers(1, 3, 120), index=[f"r{i}" for i in range(120)])
    answers = pd.DataFrame({"q1": np.where(seg == 1, 1, 5) + rng.integers(0, 2, 120), "q2": rng.integers(1, 6, 120)},
                           index=seg.index).astype(float)
    return select_golden_questions(answers, seg, max_questions=2, random_state=0)


def test_model_attachments_as_objects_and_why_one_is_missing(tmp_path):
    study = load_study(write_mini(tmp_path / "mini"))
    tool = _typing_tool()
    model = SimpleNamespace(attachments={"typing_tool": tool.to_dict()}, wave="1")
    got = notebook.model_attachment(model, "typing_tool")
    assert isinstance(got, TypingTool) and got.questions == tool.questions
    assert notebook.attachment_absent(study, model, "typing_tool", reports=tmp_path / "reports") is None
    assert notebook.model_attachment(model, "base_model") is None
    # without the fit wave's manifest: the general reason
    assert notebook.attachment_absent(study, model, "base_model", reports=tmp_path / "reports") == (
        "no whole-base model in the model fitted on wave 1: the fit wave's behaviour data held no feature to place "
        "customers with")
    folder = tmp_path / "reports" / "mini" / "1"
    folder.mkdir(parents=True)
    manifest = {"skipped_steps": {"behaviour": "study declares no behaviour data"}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert notebook.attachment_absent(study, model, "base_model", reports=tmp_path / "reports") == (
        "no whole-base model in the model fitted on wave 1: no behaviour data to place customers with (study "
        "declares no behaviour data)")
    manifest["skipped_steps"]["whole-base model"] = "too few respondents with behaviour in segment 2"
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert notebook.attachment_absent(study, model, "base_model", reports=tmp_path / "reports").endswith(
        ": too few respondents with behaviour in segment 2")
    empty = SimpleNamespace(attachments={}, wave="1")
    assert notebook.attachment_absent(study, empty, "typing_tool", reports=tmp_path / "reports") == (
        "no typing tool in the model fitted on wave 1: the model file was saved without one (run the fit wave again "
        "to add it)")
    with pytest.raises(KeyError, match="no model attachment 'golden'"):
        notebook.model_attachment(model, "golden")


# --------------------------------------------------------------------------- labels in notebook tables

def test_a_label_column_written_beside_codes_is_not_rewritten():
    frame = pd.DataFrame({"kpi": ["vote", "revenue"], "p_value": [0.1, 0.2]})
    out = client_frame(frame, "EUR", {"vote": "Whom did you vote for?"})
    assert list(out.columns) == ["Kpi (code)", "Kpi label", "P-value"]
    # the label holds the id 'vote' as a word: it stays as written
    assert list(out["Kpi label"]) == ["Whom did you vote for?", "Revenue per customer (EUR)"]
