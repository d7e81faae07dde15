"""Generated study shapes (issue 13, deliverable 8): a seeded loop draws shapes from the demo
generator (tests/gallery/shapes.py: blocks present or absent, key names and integer keys,
behaviour full / without master / minimal columns / none, n from 150 to 3,000, missing-answer
rates) and runs each through ``workbench validate``, ``run`` for both waves and ``deck --png``.

Properties: validate and run agree (no shape passes validate and then fails run), exit codes
0 or 2 with a one-line error and no traceback, every written deck renders one PNG per slide.
The suite runs the small shapes; ``python tests/gallery/shapes.py`` style loops over more seeds
and what they found are in docs/gallery.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from pptx import Presentation

sys.path.insert(0, str(Path(__file__).parent / "gallery"))
from flow import SOURCE_LINE, first_error, run_flow  # noqa: E402
from shapes import Shape, draw_shape  # noqa: E402

pytestmark = pytest.mark.slow


#: seeds of the suite's shapes, drawn among n <= 400 so that the loop stays fast; each with the
#: xfail reasons the current code earns (phase B removes them as it fixes the root causes)
SMALL_N = (150, 250, 400)
SEEDS = {1: {}, 6: {}, 11: {}}


#: hand-picked shapes beside the drawn ones: minimal ERP columns with integer keys reaches the deck
#: (and its "Cost to serve 0" tile) on wave 1, then wave 2 stops on the factor names
PICKED = {
    21: (Shape(seed=21, n=250, outcomes=True, forces=True, behaviour="minimal", key_name="customer_id",
               key_int=True, missing=0.1), {}),
}
SEEDS.update({seed: x for seed, (_, x) in PICKED.items()})


def _shape(seed: int) -> Shape:
    return PICKED[seed][0] if seed in PICKED else draw_shape(seed, n_choices=SMALL_N)


def _cases(prop: str):
    return [pytest.param(seed, id=_shape(seed).name,
                         marks=[pytest.mark.xfail(strict=True, reason=x[prop])] if prop in x else [])
            for seed, x in SEEDS.items()]


def test_shapes_are_seeded_and_span_the_space():
    assert draw_shape(3) == draw_shape(3)
    shapes = [draw_shape(s) for s in range(1, 41)]
    assert {s.behaviour for s in shapes} == {"full", "no_master", "minimal", "none"}
    assert {s.outcomes for s in shapes} == {True, False} and {s.forces for s in shapes} == {True, False}
    assert {s.key_int for s in shapes} == {True, False} and len({s.key_name for s in shapes}) == 4
    assert min(s.n for s in shapes) == 150 and max(s.n for s in shapes) == 3000
    assert len({s.missing for s in shapes}) > 2


def test_written_shape_has_what_it_says(tmp_path):
    import pandas as pd
    import pyreadstat
    from workbench.files import safeyaml

    from shapes import write_shape

    shape = Shape(seed=3, n=150, outcomes=False, forces=False, behaviour="full", key_name="kundenr",
                  key_int=True, missing=0.1)
    folder = write_shape(shape, tmp_path / "s")
    spec = safeyaml.safe_load((folder / "study.yaml").read_text(encoding="utf-8"))
    assert set(spec["blocks"]) >= {"needs"} and not {"outcomes", "motivations", "barriers"} & set(spec["blocks"])
    assert spec["customer_id"] == "kundenr" == spec["behaviour"]["key"] == spec["behaviour"]["customers"]["key"]
    w1 = pd.read_csv(folder / "waves/1/responses.csv", sep=";", encoding="utf-8-sig")
    assert pd.api.types.is_integer_dtype(w1["kundenr"].dropna()) or w1["kundenr"].dropna().map(float.is_integer).all()
    assert not any(c.startswith(("out_", "mot_", "bar_")) for c in w1.columns)
    share = w1[[c for c in w1.columns if c.startswith("need_")]].isna().to_numpy().mean()
    assert 0.05 < share < 0.2
    w2, _ = pyreadstat.read_sav(str(folder / "waves/2/responses.sav"))
    assert "kundenr" in w2.columns and pd.api.types.is_numeric_dtype(w2["kundenr"])
    tx = pd.read_csv(folder / "behaviour/transactions.csv")
    assert pd.api.types.is_integer_dtype(tx["kundenr"])
    assert set(w1["kundenr"].dropna().astype(int)) & set(tx["kundenr"])


@pytest.fixture(scope="module")
def flows(tmp_path_factory):
    from shapes import write_shape

    root = tmp_path_factory.mktemp("shapes")
    cache = {}

    def get(seed):
        if seed not in cache:
            shape = _shape(seed)
            study = write_shape(shape, root / shape.name)
            cache[seed] = run_flow(study, root / f"reports-{seed}")
        return cache[seed]

    return get


@pytest.mark.parametrize("seed", _cases("agree"))
def test_validate_and_run_agree_without_tracebacks(flows, seed):
    f = flows(seed)
    for step in f.steps:
        assert not step.traceback, f"{step.args}: traceback\n{step.err[-2000:]}"
        assert step.rc in (0, 2), f"{step.args}: exit {step.rc}\n{step.err[-2000:]}"
    if f.validate.rc == 0:
        for w, step in f.runs.items():
            assert step.rc == 0, f"validate passed, run --wave {w} failed: {first_error(step)}"
    else:
        assert all(step.rc == 2 for step in f.runs.values())


@pytest.mark.parametrize("seed", _cases("deck"))
def test_every_written_deck_renders(flows, seed):
    f = flows(seed)
    assert f.decks and all(s.rc == 0 for s in f.runs.values()), {w: first_error(s) for w, s in f.runs.items() if s.rc}
    for w in f.runs:  # every wave's run wrote a deck; the last one is rendered to PNGs
        assert len(Presentation(str(f.folder(w) / "personas.pptx")).slides) >= 3
    for w, step in f.decks.items():
        assert step.rc == 0, first_error(step)
        folder = f.folder(w)
        prs = Presentation(str(folder / "personas.pptx"))
        assert len(sorted((folder / "slides").glob("slide-*.png"))) == len(prs.slides)


@pytest.mark.parametrize("seed", _cases("console"))
def test_console_has_no_source_paths(flows, seed):
    f = flows(seed)
    for step in f.steps:
        bad = [line for line in (step.err + step.out).splitlines() if SOURCE_LINE.search(line)]
        assert not bad, f"{step.args}: {bad[:2]}"


NOT_COMPUTED = {1: None, 6: None, 21: None}


@pytest.mark.parametrize("seed", [pytest.param(s, id=_shape(s).name,
                                               marks=[pytest.mark.xfail(strict=True, reason=r)] if r else [])
                                  for s, r in NOT_COMPUTED.items()])
def test_deck_shows_no_measure_that_was_not_computed(flows, seed):
    """Shapes with minimal transactions (customer, date, value): no cost, channel or quantity
    columns, so no slide may show a cost-to-serve figure."""
    f = flows(seed)
    assert _shape(seed).behaviour == "minimal"
    assert f.decks, {w: first_error(s) for w, s in f.runs.items() if s.rc}
    for w in f.runs:
        prs = Presentation(str(f.folder(w) / "personas.pptx"))
        for i, slide in enumerate(prs.slides, 1):
            text = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
            # the method slide's "Not in this run: …" line names the measures not computed; nothing else may
            shown = re.sub(r"Not in this run:[^\n]*", "", text)
            assert "Cost to serve" not in shown, f"wave {w}, slide {i}"
            if "Not in this run:" in text:
                assert "Cost to serve" in text, "the method slide says which measures were not computed"
