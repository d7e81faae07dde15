"""Study definition: loading, resolving scales, and reporting every problem at once."""

from __future__ import annotations

import re

import pytest

from conftest import MINI_STUDY, write_mini
from workbench.core.errors import StudyError
from workbench.study import load_study


def test_mini_study_loads_and_resolves_columns(mini):
    s = load_study(mini)
    assert s.id == "mini" and s.name == "Mini: grossist i Århus"
    assert list(s.columns) == ["n1", "n2", "n3", "size", "eksport", "why", "secs"]
    assert s.columns["n3"].reverse is True
    assert s.columns["n1"].scale.codes[5] == "Helt enig"
    assert s.columns["n1"].scale.missing == {98: "Ved ikke"}
    assert s.columns["eksport"].scale.codes == {0: "No", 1: "Yes"}
    assert s.columns["secs"].scale.type == "numeric"
    assert s.expected_columns() == ["rid", "kunde", "n1", "n2", "n3", "size", "eksport", "why", "secs", "email"]
    assert s.wave("1").fieldwork_end.isoformat() == "2026-01-30"


def test_three_mistakes_are_reported_together_with_key_paths(tmp_path):
    bad = (
        MINI_STUDY.replace('{id: n2, text: "Hurtig levering"}', '{id: n2, text: "Hurtig levering", scale: likret}')
        .replace("files: [w1.csv]", "files: [w9.csv]")
        .replace("kind: firmographics", "kind: firmographic")
    )
    folder = write_mini(tmp_path / "s", study=bad)
    with pytest.raises(StudyError) as info:
        load_study(folder)
    text = str(info.value)
    assert "3 problems in the study definition" in text
    assert "blocks.needs.questions[1].scale: unknown scale type 'likret' (did you mean 'likert'?)" in text
    assert re.search(r"line 1\d, waves\[0\]\.files\[0\]: response file not found: .*w9\.csv", text)
    assert "blocks.firmo.kind: unknown block kind 'firmographic' (did you mean 'firmographics'?)" in text
    assert len(info.value.problems) == 3


def test_problem_lines_point_into_the_file(tmp_path):
    bad = MINI_STUDY.replace("reverse: true", "revers: true")
    folder = write_mini(tmp_path / "s", study=bad)
    with pytest.raises(StudyError) as info:
        load_study(folder)
    (problem,) = info.value.problems
    line = next(i for i, l in enumerate(bad.splitlines(), 1) if "revers:" in l)
    assert problem.startswith(f"line {line}, blocks.needs.questions[2].revers: unknown key")


def test_malformed_yaml_names_line_and_column(tmp_path):
    bad = MINI_STUDY.replace("respondent_id: rid", "respondent_id: [rid")
    folder = write_mini(tmp_path / "s", study=bad)
    with pytest.raises(StudyError, match=r"study\.yaml: line \d+, column \d+: malformed YAML"):
        load_study(folder)


def test_duplicate_keys_are_problems_not_silently_overwritten(tmp_path):
    bad = MINI_STUDY.replace("seed: 7", "seed: 7\nseed: 8")
    folder = write_mini(tmp_path / "s", study=bad)
    with pytest.raises(StudyError, match=r"line 8, seed: this key appears twice"):
        load_study(folder)


def test_norway_stays_a_country_code(tmp_path):
    study = MINI_STUDY.replace(
        "codes: {1: Små, 2: Mellem, 3: Store}", "codes: {1: DK, 2: SE, 3: NO}"
    )
    s = load_study(write_mini(tmp_path / "s", study=study))
    assert s.columns["size"].scale.codes[3] == "NO"


def test_hash_ignores_comments_and_layout_but_not_content(tmp_path):
    a = load_study(write_mini(tmp_path / "a"))
    b = load_study(write_mini(tmp_path / "b", study="# a comment\n" + MINI_STUDY))
    c = load_study(write_mini(tmp_path / "c", study=MINI_STUDY.replace("Lave priser", "Lave nettopriser")))
    assert a.hash == b.hash and a.file_hash != b.file_hash
    assert a.hash != c.hash


def test_cross_references_are_checked(tmp_path):
    bad = (
        MINI_STUDY.replace("duration: secs", "duration: seconds")
        .replace("pii: [email]", "pii: [email, n1]")
        .replace("{id: n2, text: \"Hurtig levering\"}", "{id: n1, text: \"Hurtig levering\"}")
    )
    folder = write_mini(tmp_path / "s", study=bad)
    with pytest.raises(StudyError) as info:
        load_study(folder)
    text = str(info.value)
    assert "quality.duration: duration column 'seconds' is not a declared question" in text
    assert "pii[1]: 'n1' is declared as a question" in text
    assert "blocks.needs.questions[1].id: column 'n1' is already declared at blocks.needs.questions[0].id" in text


def test_unknown_wave_lists_the_known_ones(mini):
    with pytest.raises(StudyError, match=r"no wave '7' in the study; its waves are: 1"):
        load_study(mini).wave(7)


def test_the_demo_definition_is_valid(tmp_path):
    from importlib import resources

    text = resources.files("workbench").joinpath("resources/demo_study.yaml").read_text(encoding="utf-8")
    folder = tmp_path / "demo"
    for rel in ("waves/1/responses.csv", "waves/2/responses.sav", "behaviour/transactions.csv", "behaviour/customers.csv"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(b"")
    (folder / "study.yaml").write_text(text, encoding="utf-8")
    s = load_study(folder)
    kinds = {}
    for c in s.columns.values():
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    assert kinds["needs"] >= 12 and kinds["motivations"] >= 6 and kinds["barriers"] >= 6
    assert kinds["outcomes"] >= 20  # >= 10 outcomes, importance and satisfaction each
    assert {c.force for c in s.columns.values() if c.kind in ("motivations", "barriers")} == {
        "push", "pull", "anxiety", "habit"
    }


def test_the_documented_example_is_a_valid_study(tmp_path):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "surveys" / "README.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    folder = tmp_path / "acme"
    for rel in ("waves/1/responses.csv", "behaviour/transactions.csv", "behaviour/customers.csv"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(b"")
    (folder / "study.yaml").write_text(example, encoding="utf-8")
    s = load_study(folder)
    assert s.id == "acme"
    assert s.columns["out_01_imp"].scale.name == "important5" and "out_02_imp" not in s.columns
    assert s.columns["q12_2"].outcome == "out_02" and s.columns["q12_2"].role == "importance"
    assert s.columns["q13_2"].role == "satisfaction"
    assert s.columns["employees"].scale.type == "numeric"
    assert s.columns["country"].scale.codes[3] == "NO"
