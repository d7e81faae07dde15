"""Each step on its own, on small hand-made inputs (the demo runs live in conftest.py)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pandas as pd

from workbench import pipeline
from workbench.steps import behaviour, classification, quality, read, segments, tracking, weighting
from workbench.steps.context import Output
from workbench.study import load_study


def _ctx(mini, *names):
    ctx = pipeline.new_context(load_study(mini), "1")
    pipeline.run_steps(ctx, names)
    return ctx


def test_read_gives_the_responses_and_nothing_else(mini):
    ctx = _ctx(mini)
    out = read.read(ctx)
    assert isinstance(out, Output) and set(out.values) == {"responses"} and out.write is None
    assert out.values["responses"].n == 4


def test_quality_gives_the_report_and_kept_respondents_and_writes_quality_xlsx(mini, tmp_path):
    ctx = _ctx(mini, "read")
    out = quality.quality(ctx)
    assert set(out.values) == {"quality", "clean"}
    assert out.values["clean"].n == 3  # r4 answered in 20 seconds
    assert ctx.clean is None, "the step returns its values; the runner stores them"
    out.write(tmp_path)
    assert (tmp_path / "quality.xlsx").is_file()
    assert out.counts == {"respondents_read": 4, "respondents_kept": 3}  # for the runner to record
    assert ctx.manifest.counts == {}, "a step never writes into the runner's manifest"


def test_behaviour_applies_only_to_studies_with_behaviour_data(mini):
    ctx = _ctx(mini)
    assert behaviour.STEP.applies(ctx) == "study declares no behaviour data"


def test_weighting_attaches_weights_without_touching_clean(mini):
    ctx = _ctx(mini, "read", "quality")
    assert weighting.weighting(ctx).values["weighted"] is ctx.clean  # no behaviour: unweighted
    w = pd.Series({"r1": 0.5, "r2": 1.5, "r3": 1.0, "x9": 7.0})
    ctx2 = dataclasses.replace(ctx, behaviour=SimpleNamespace(weighting=SimpleNamespace(weights=w)))
    weighted = weighting.weighting(ctx2).values["weighted"]
    assert weighted.weights.tolist() == [0.5, 1.5, 1.0]
    assert list(weighted.weights.index) == list(ctx.clean.data.index)
    assert ctx.clean.weights is None, "clean stays as the quality step gave it"
    assert weighted.data is ctx.clean.data


def test_segments_and_classification_say_why_a_study_or_wave_has_no_such_step(mini):
    ctx = _ctx(mini)
    assert segments.STEP.applies(ctx) == "the study names no segmentation basis (segmentation.basis)"
    assert classification.STEP.applies(ctx) == "the study names no segmentation basis (segmentation.basis)"
    assert tracking.STEP.applies(ctx).startswith("no earlier model")
    spec = ctx.study.spec.model_copy(update={"segmentation": ctx.study.spec.segmentation.model_copy(
        update={"basis": ["needs"]})})
    with_basis = dataclasses.replace(ctx, study=dataclasses.replace(ctx.study, spec=spec))
    assert segments.STEP.applies(with_basis) is None
    assert classification.STEP.applies(with_basis) == "this wave fits its own segmentation (no earlier model file)"
    later = dataclasses.replace(with_basis, loaded_model=object())
    assert segments.STEP.applies(later) == "a later wave: classified with the frozen model, nothing fitted"
    assert classification.STEP.applies(later) is None and tracking.STEP.applies(later) is None


def test_measures_whose_transaction_columns_are_missing_are_not_computed():
    gone = behaviour.not_computed({"customer_id": "k", "date": "d", "value": "v"})
    assert gone["cost_to_serve"] == "no delivery_cost or handling_cost column in the transactions"
    assert {"cost_tier", "digital_share", "dominant_channel", "units", "orders_share_*"} <= set(gone)
    assert "revenue" not in gone and "frequency" not in gone
    assert behaviour.not_computed({"customer_id": "k", "date": "d", "value": "v", "channel": "c", "quantity": "q",
                                   "delivery_cost": "x"}) == {}
    frame = pd.DataFrame(columns=["revenue", "cost_to_serve", "orders_share_web", "units"])
    assert list(behaviour._drop(frame, gone).columns) == ["revenue"]
