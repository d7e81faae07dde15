"""The runner (workbench.pipeline): steps ordered from their declarations, declarations
checked, part of the flow run, steps the study cannot have skipped with the reason."""

from __future__ import annotations

import json

import pytest

from workbench import pipeline
from workbench.steps import STEPS, Output, Skip, Step
from workbench.steps.context import FIELDS, RUNNER_FIELDS
from workbench.study import load_study


def _step(name, needs=(), gives=(), uses=()):
    return Step(name, lambda ctx: Output(), needs=needs, gives=gives, uses=uses)


def test_the_flow_in_order_and_every_need_given_before_it_is_needed():
    order = [s.name for s in pipeline.ORDER]
    assert order == ["read", "quality", "behaviour", "weighting", "factors", "segments", "classification", "forward",
                     "criteria", "opportunities", "personas", "accounts", "model", "migration", "tracking", "deck"]
    given = set(RUNNER_FIELDS)
    for s in pipeline.ORDER:
        assert set(s.needs) <= given, f"{s.name} needs {set(s.needs) - given} before any step gives it"
        given |= set(s.gives)
    assert given <= set(FIELDS)
    # every field of the context is given by exactly one step or the runner
    assert sorted(given) == sorted(FIELDS)


def test_the_order_follows_the_declarations_not_the_listing():
    shuffled = tuple(reversed(STEPS))
    assert [s.name for s in pipeline.order_steps(shuffled)].index("read") == 0
    order = [s.name for s in pipeline.order_steps(shuffled)]
    for s in STEPS:  # each step after every step giving what it needs or uses
        for f in (*s.needs, *s.uses):
            giver = next((g.name for g in STEPS if f in g.gives), None)
            if giver is not None:
                assert order.index(giver) < order.index(s.name), (giver, s.name)


@pytest.mark.parametrize("steps, message", [
    ((_step("a", gives=("nonsense",)),), "step 'a' declares 'nonsense', which is not a WaveContext field"),
    ((_step("a", gives=("clean",)), _step("b", gives=("clean",))), "steps 'a' and 'b' both give 'clean'"),
    ((_step("a", gives=("clean",), needs=("responses",)), _step("b", gives=("responses",), needs=("clean",))),
     "the steps' declarations form a cycle: "),
    ((_step("a", needs=("quality",)),), "step 'a' needs 'quality', which no step gives"),
    ((_step("a", gives=("wave",)),), "step 'a' gives 'wave', which the runner sets"),
    ((_step("a"), _step("a")), "two steps are called a"),
])
def test_bad_declarations_are_refused_with_the_steps_named(steps, message):
    with pytest.raises(pipeline.StepDeclarationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        pipeline.order_steps(steps)


def test_a_step_giving_what_it_does_not_declare_is_stopped(mini, monkeypatch):
    ctx = pipeline.new_context(load_study(mini), "1")
    rogue = Step("read", lambda c: Output({"responses": None, "clean": None}), gives=("responses",))
    with pytest.raises(pipeline.StepDeclarationError, match="step 'read' gave clean, which it does not declare"):
        pipeline._execute(ctx, (rogue,))


def test_run_until_runs_only_what_the_step_depends_on(mini):
    ctx = pipeline.run_until(mini, "1", "quality")
    assert set(ctx.manifest.steps) == {"read", "quality"}
    assert ctx.clean.n == 3 and ctx.weighted is None and ctx.factors is None
    ctx = pipeline.run_until(mini, "1", "weighting")
    assert set(ctx.manifest.steps) == {"read", "quality", "weighting"}
    assert ctx.manifest.skipped == {"behaviour": "study declares no behaviour data"}
    with pytest.raises(KeyError, match="no step 'segmnts'"):
        pipeline.run_until(mini, "1", "segmnts")


def test_skipped_steps_and_their_reasons_reach_the_summary_and_manifest(mini, tmp_path):
    run = pipeline.run_wave(mini, "1", reports=tmp_path)
    expected = {
        "behaviour": "study declares no behaviour data",
        "factors": None, "segments": "the study names no segmentation basis (segmentation.basis)",
        "classification": "the study names no segmentation basis (segmentation.basis)",
        "forward": "study declares no behaviour data",
        "criteria": "no candidate segmentations to score",
        "opportunities": "the study has no JTBD outcomes block (no outcome with an importance and a satisfaction "
                         "question)",
        "personas": "needs profiles, which step criteria did not give (criteria: no candidate segmentations to score)",
        "accounts": "0 of 3 customers (0%) have several respondents; account classes need at least 20% and 30 such "
                    "customers (each customer takes its most certain respondent's segment)",
        "model": "no recommended segmentation to freeze",
        "migration": "no earlier model: the wave the segmentation is fitted on has no earlier wave to move from",
        "tracking": "no earlier model: the wave the segmentation is fitted on has nothing to be tracked against",
        "deck": "needs personas, which step personas did not give (criteria: no candidate segmentations to score)",
    }
    expected = {k: v for k, v in expected.items() if v is not None}
    assert run.skipped == expected
    man = json.loads((run.folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["skipped_steps"] == expected
    text = str(run)
    assert "Steps skipped:" in text and "  behaviour: study declares no behaviour data" in text
    assert sorted(p.name for p in run.files) == ["manifest.json", "quality.xlsx"]


def test_writers_leave_the_context_as_the_steps_gave_it(mini, tmp_path):
    ctx = pipeline.new_context(load_study(mini), "1")
    writers = pipeline.run_steps(ctx, [s.name for s in pipeline.ORDER])
    before = {f: id(getattr(ctx, f)) for f in FIELDS}
    counts = dict(ctx.manifest.counts)
    for write in writers:
        write(tmp_path)
    assert {f: id(getattr(ctx, f)) for f in FIELDS} == before
    assert ctx.manifest.counts == counts
    assert (tmp_path / "quality.xlsx").is_file()


def test_a_step_that_finds_nothing_to_do_is_recorded(mini):
    ctx = pipeline.new_context(load_study(mini), "1")
    step = Step("criteria", lambda c: Skip("nothing here"), needs=())
    writers, skipped = pipeline._execute(ctx, (step,))
    assert writers == [] and skipped == {"criteria": "nothing here"}


def test_the_runner_records_what_a_step_counted_and_left_out(mini):
    """Issue 23: a step returns its counts, the parts it left out and the model file it used; the
    runner (not the step) puts them in the manifest, in order after the step ran."""
    ctx = pipeline.new_context(load_study(mini), "1")
    gave = Step("criteria", lambda c: Output({}, counts={"scored": 3}, skipped={"forward relevance": "no baseline"},
                                            model_file={"file": "m.json"}), needs=())
    skip = Step("personas", lambda c: Skip("nothing to draft", counts={"looked_at": 2}), needs=())
    writers, skipped = pipeline._execute(ctx, (gave, skip))
    assert ctx.manifest.counts == {"scored": 3, "looked_at": 2}
    assert list(ctx.manifest.skipped.items()) == [("forward relevance", "no baseline"), ("personas", "nothing to draft")]
    assert skipped == {"personas": "nothing to draft"} and ctx.manifest.model == {"file": "m.json"}
