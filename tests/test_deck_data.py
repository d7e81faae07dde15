"""The deck's plain data (workbench.deck.data) and the package's boundaries."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest

import workbench
from workbench.deck import DECK_DATA, DeckData, DeckTrends, load_trends, rerender_inputs
from workbench.core.errors import OutputError
from workbench.steps.deck_data import deck_data

DECK = Path(workbench.__file__).parent / "deck"
#: Rooms whose result classes the deck must not import (it renders plain data).
RESULT_MODULES = {"criteria", "profiles", "segments", "factors", "quality", "opportunities", "behaviour",
                  "weighting", "waves", "steps", "pipeline", "readers"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative: ..criteria -> workbench.criteria
                base = ["workbench", "deck"][: 3 - node.level] if node.level <= 2 else []
                mod = ".".join(base + ([mod] if mod else []))
            out.append(mod)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return out


def test_the_deck_package_imports_no_result_class_and_guesses_no_attribute():
    modules = sorted(DECK.glob("*.py"))
    assert {p.stem for p in modules} >= {"data", "layout", "render", "convert", "slides_summary", "slides_persona",
                                         "slides_appendix"}
    for path in modules:
        wb = [m for m in _imports(path) if m.startswith("workbench.")]
        bad = [m for m in wb if m.split(".")[1] in RESULT_MODULES]
        assert not bad, f"{path.name} imports {bad}"
        calls = [n.func.id for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
        assert "getattr" not in calls and "hasattr" not in calls, path.name
        assert len(path.read_text(encoding="utf-8").splitlines()) < 500, path.name


@pytest.fixture(scope="module")
def data(demo_run):
    return deck_data(demo_run.study, demo_run.scorecard, demo_run.profiles, demo_run.opportunities,
                     wave=demo_run.wave, quality=demo_run.quality, factors=demo_run.factors,
                     segments=demo_run.candidates, behaviour=demo_run.behaviour)


def test_deck_data_keeps_the_results_numbers_without_pii(data, demo_run):
    prof = demo_run.profiles
    assert data.total_n == prof.n and list(data.labels) == list(prof.labels)
    assert data.segments["n"].tolist() == prof.segments["n"].tolist()
    assert data.scorecard["recommended"] == demo_run.scorecard.recommended
    assert data.quality["kept"] == demo_run.quality.n_out
    assert not set(data.profile["variable"].astype(str)) & set(demo_run.study.pii)
    # the factor table: one row per factor of every battery
    assert len(data.factors) == sum(len(r.names) for r in demo_run.factors.values())


def test_deck_data_json_round_trip_is_exact(data, demo_run, tmp_path):
    path = data.save(tmp_path / DECK_DATA, demo_run.personas)
    back, personas = DeckData.load(path)
    assert back.to_dict() == data.to_dict()
    assert [p.id for p in personas] == [p.id for p in demo_run.personas]
    for a, b in zip(personas, demo_run.personas):
        assert (a.name, a.needs, a.quotes, a.n, a.share) == (b.name, b.needs, b.quotes, b.n, b.share)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == "workbench deck data" and doc["version"] == 1


def test_rerender_inputs_apply_the_persona_file(data, demo_run, tmp_path):
    data.save(tmp_path / DECK_DATA, demo_run.personas)
    demo_run.personas.save(tmp_path / "personas.yaml")
    text = (tmp_path / "personas.yaml").read_text(encoding="utf-8")
    first = list(demo_run.personas)[0]
    (tmp_path / "personas.yaml").write_text(text.replace(f"name: {first.name}", "name: Grossister på Ærø", 1),
                                            encoding="utf-8")
    back, personas = rerender_inputs(tmp_path, tmp_path / "personas.yaml")
    assert list(personas)[0].name == "Grossister på Ærø" and list(personas)[0].edited == ("name",)
    assert back.to_dict() == data.to_dict()


@pytest.mark.parametrize("content, message", [
    (None, "no deck data found"),
    ("{not json", "is not valid JSON"),
    ('{"format": "other"}', "this is not deck_data.json"),
    ('{"format": "workbench deck data", "version": 99}', "has version 99, newer than this workbench reads"),
])
def test_loading_bad_deck_data_names_the_file(tmp_path, content, message):
    path = tmp_path / DECK_DATA
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(OutputError, match=message):
        DeckData.load(path)


def test_deck_trends_check_their_columns_and_round_trip(tmp_path):
    with pytest.raises(OutputError, match="DeckTrends.sizes lacks the column.s. ci_high, ci_low"):
        DeckTrends(sizes=pd.DataFrame(columns=["wave", "segment", "name", "n", "share"]))
    sizes = pd.DataFrame({"wave": ["1", "2"], "segment": [1, 1], "name": ["Bygherrer i Växjö"] * 2, "n": [100, 90],
                          "share": [40.0, 37.5], "ci_low": [34.1, 31.6], "ci_high": [46.2, 43.8]})
    trends = DeckTrends(sizes=sizes, movements=["Segment 1 shrank"], refit="Keep the model.")
    (tmp_path / "deck_trends.json").write_text(json.dumps(trends.to_dict(), ensure_ascii=False), encoding="utf-8")
    back = load_trends(tmp_path)
    pd.testing.assert_frame_equal(back.sizes, sizes, check_dtype=False)
    assert back.movements == ("Segment 1 shrank",) and back.refit == "Keep the model."
    assert load_trends(tmp_path / "nowhere") is None
