"""Segmentation in the study flow: the plan in study.yaml, the pipeline step, and the demo's
planted segments."""

from __future__ import annotations

import dataclasses
import json
import warnings

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from conftest import MINI_STUDY, write_mini
from workbench import pipeline, segments
from workbench.core.errors import AnalysisError, StudyError
from workbench.steps import segments as segments_step
from workbench.study import SegmentationSpec, load_study


def context(study, wave="1"):
    return pipeline.new_context(study, wave)


def with_plan(study, **plan):
    spec = study.spec.model_copy(update={"segmentation": SegmentationSpec(**plan)})
    return dataclasses.replace(study, spec=spec)


def run_steps(ctx, names):
    return pipeline.run_steps(ctx, {"weighting", *names})


def truth_wave1(folder) -> pd.Series:
    t = pd.read_csv(folder / "truth" / "respondents_wave1.csv")
    return t.drop_duplicates("resp_id", keep="last").set_index("resp_id")["segment"]


# --------------------------------------------------------------------------- the plan in study.yaml


PLAN = """
segmentation:
  basis: [needs]
  methods: [lca, kmeans]
  k_min: 2
  k_max: 4
  n_init: 5
  bootstrap_reps: 10
  stability: split-half
  covariates: [firmo]
  distal: [revenue, rfm_tier]
  choice: {method: lca, k: 3}
  min_class_share: 0.1
"""


def test_a_complete_plan_loads(tmp_path):
    study = load_study(write_mini(tmp_path / "s", study=MINI_STUDY + PLAN))
    plan = study.spec.segmentation
    assert plan.methods == ["lca", "kmeans"] and plan.stability == "split-half"
    assert plan.choice.method == "lca" and plan.choice.k == 3
    assert plan.distal == ["revenue", "rfm_tier"] and plan.covariates == ["firmo"]
    assert load_study(write_mini(tmp_path / "m")).spec.segmentation.distal is None  # default: every KPI


@pytest.mark.parametrize("change, message", [
    ("basis: [needs]", "basis[0]: unknown block 'nedds' (did you mean 'needs'?)"),
    ("basis: [needs]", "basis[0]: block 'open' is of kind 'verbatims', which cannot be a segmentation basis"),
    ("methods: [lca, kmeans]", "methods: method(s) lca listed twice"),
    ("k_max: 4", "segmentation.k_max: k_max (1) is below k_min (2)"),
    ("covariates: [firmo]", "covariates[0]: unknown covariate (a column or block) 'size_band' (did you mean 'size'?)"),
    ("covariates: [firmo]", "covariates[0]: 'n1' is a basis item; a covariate must not also be segmented on"),
    ("choice: {method: lca, k: 3}", "choice.k: the pinned k=6 is outside the range fitted (k_min 2 to k_max 4)"),
    ("choice: {method: lca, k: 3}", "choice.method: the pinned method 'ward' is not among the methods fitted"),
    ("min_class_share: 0.1", "segmentation.clusters: unknown key"),
    ("min_class_share: 0.1", "measurement names block(s) firmo that are not in the basis (needs)"),
])
def test_plan_mistakes_are_reported_with_key_paths(tmp_path, change, message):
    replacement = {
        "unknown block": "basis: [nedds]", "verbatims": "basis: [open]", "got 'kmean'": "methods: [lca, kmean]",
        "listed twice": "methods: [lca, lca]", "below k_min": "k_max: 1", "size_band": "covariates: [size_band]",
        "basis item": "covariates: [n1]", "outside the range": "choice: {method: lca, k: 6}",
        "'ward'": "choice: {method: ward, k: 3}", "unknown key": "min_class_share: 0.1\n  clusters: 4",
        "not in the basis": "min_class_share: 0.1\n  measurement: {firmo: ordinal}",
    }
    new = next(v for key, v in replacement.items() if key in message)
    folder = write_mini(tmp_path / "s", study=MINI_STUDY + PLAN.replace(change, new))
    with pytest.raises(StudyError) as info:
        load_study(folder)
    assert any(message in p for p in info.value.problems), info.value.problems


def test_an_unregistered_method_is_named_with_the_registered_ones(tmp_path):
    """Method names are checked against the registry (issue 23: a method registered at run time
    is allowed), by the segments step and validate, not by the schema."""
    from workbench.steps.segments import study_settings

    folder = write_mini(tmp_path / "s", study=MINI_STUDY + PLAN.replace("methods: [lca, kmeans]", "methods: [lca, kmean]"))
    study = load_study(folder)
    with pytest.raises(StudyError, match=r"segmentation.methods names kmean, which is not a segmentation method; "
                                         r"the methods are .*kmeans"):
        study_settings(study, [])


# --------------------------------------------------------------------------- the pipeline step


def test_step_is_skipped_without_a_basis(mini):
    ctx = context(load_study(mini))
    run_steps(ctx, {"read", "quality", "segments"})
    assert ctx.manifest.skipped == {"segments": "the study names no segmentation basis (segmentation.basis)"}
    assert ctx.candidates is None


def test_step_without_factors_or_behaviour_writes_segments_and_labels(demo_study, tmp_path):
    study = with_plan(load_study(demo_study), basis=["needs", "motivations", "barriers"], methods=["lca", "kmeans"],
                      k_min=4, k_max=5, n_init=3, choice={"method": "lca", "k": 5},
                      blrt_reps=0)  # no bootstrap LRT: what is written, not the test (test_blrt_profiles)
    ctx = context(study)
    writers = run_steps(ctx, {"read", "quality", "segments"})
    assert ctx.factors is None and ctx.behaviour is None
    res = ctx.candidates
    assert isinstance(res, segments.Candidates) and len(res) == 4
    assert "no factor scores" in res.bases["kmeans"] and "coded answers" in res.bases["lca"]
    assert res.choice is res[("lca", 5)]
    for w in writers:
        w(tmp_path)
    labels = pd.read_csv(tmp_path / "segment_labels.csv")
    assert list(labels.columns) == ["resp_id", "segment", "lca_4", "lca_5", "kmeans_4", "kmeans_5"]
    assert not set(study.pii) & set(labels.columns)
    assert (labels.set_index("resp_id")["lca_5"] == res[("lca", 5)].labels).all()
    sheets = pd.ExcelFile(tmp_path / "segments.xlsx").sheet_names
    # the fit table first, then (LCA) the largest bivariate residuals, then sizes and profiles
    assert sheets[:5] == ["Fit", "Bivariate residuals", "Class sizes", "Profiles", "Item-response probabilities"]
    assert "About" in sheets


def test_step_uses_factor_scores_covariates_and_behaviour(demo_study, tmp_path):
    study = with_plan(load_study(demo_study), basis=["needs", "motivations", "barriers"], methods=["lca", "lpa"],
                      k_min=5, k_max=5, n_init=3, covariates=["firmographics"], distal=["revenue", "rfm_tier", "lapsed"],
                      blrt_reps=0)
    ctx = context(study)
    writers = run_steps(ctx, {"read", "quality", "behaviour", "factors", "segments"})
    res = ctx.candidates
    assert res.bases["lpa"].startswith("8 scores (needs: ")
    truth = truth_wave1(demo_study)
    for sol in res:
        assert adjusted_rand_score(truth.loc[sol.labels.index], sol.labels.astype(int)) > 0.8
    dist = res.distal[("lca", 5)].wide()
    assert set(dist.index.get_level_values("outcome")) == {"revenue", "rfm_tier", "lapsed"}
    tiers = dist.loc["rfm_tier"]
    assert tiers.sum(axis=0).to_numpy() == pytest.approx(1.0, abs=1e-6)  # shares of the tiers per segment
    assert ("firmographics" not in res.covariates[("lca", 5)].shares["covariate"].tolist()
            and "industry" in res.covariates[("lca", 5)].shares["covariate"].tolist())
    # the notebook's covariate table reads as labels: the study's question labels and code labels
    wide = res.covariates[("lca", 5)].wide()
    sizes = study.code_labels("size_band")
    assert study.columns["size_band"].label in wide.index.get_level_values(0)
    assert set(wide.loc[study.columns["size_band"].label].index) <= set(sizes.values())
    assert not any(c in wide.index.get_level_values(0) for c in ("size_band", "industry", "order_method"))
    for w in writers:
        w(tmp_path)
    assert {"Distal outcomes", "Covariates"} <= set(pd.ExcelFile(tmp_path / "segments.xlsx").sheet_names)
    bad = with_plan(study, basis=["needs"], methods=["lca"], k_min=2, k_max=2, n_init=1, distal=["gold_share"])
    ctx2 = dataclasses.replace(ctx, study=bad)
    with pytest.raises(AnalysisError, match=r"segmentation.distal names gold_share, which the behaviour step does not "
                                            r"provide; available KPIs: .*rfm_tier"):
        segments_step.segments(ctx2)


# --------------------------------------------------------------------------- the demo's planted segments


@pytest.mark.slow
def test_demo_planted_segments_recovered_and_bic_picks_them(demo_study):
    """Quality-checked wave 1 (speeders and straightliners excluded): BIC picks the planted k=5
    and the 5-class LCA recovers the planted segments."""
    study = load_study(demo_study)
    truth_k = len(json.loads((demo_study / "truth" / "truth.json").read_text())["segments"])
    ctx = context(study)
    run_steps(ctx, {"read", "quality"})
    basis = [c.id for c in study.columns.values() if c.block in study.spec.segmentation.basis]
    data = ctx.clean.data[basis]
    assert data.notna().all(axis=1).mean() < 0.5  # most respondents miss some answer: FIML, not listwise
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grid = segments.candidates(data, range(truth_k - 1, truth_k + 2), methods=["lca"], n_init=6, blrt_reps=0,
                                   random_state=study.seed, progress=False)  # BIC decides here, not the BLRT
    assert grid.best("bic", "lca").k == truth_k == 5
    sol = grid[("lca", truth_k)]
    assert sol.n == len(data)
    assert adjusted_rand_score(truth_wave1(demo_study).loc[sol.labels.index], sol.labels.astype(int)) >= 0.8
    assert sol.entropy > 0.9 and sol.best_ll_replicated >= 2
