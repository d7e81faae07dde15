"""Hostile input that must fail fast, before anything is fitted (issue 14).

Every case asserts the exit code, the one-line message (no traceback) and that nothing
was written or deleted outside the reports folder.  The CLI runs in this process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import MINI_ROWS, MINI_STUDY, write_mini
from hostile_helpers import assert_named_error, cli, snapshot


@pytest.fixture
def box(tmp_path):
    """A work area: the mini study, a reports root, and a 'victim' folder beside them."""
    study = write_mini(tmp_path / "mini")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("do not touch", encoding="utf-8")
    reports = tmp_path / "reports"
    return {"root": tmp_path, "study": study, "reports": reports, "victim": victim}


def _outside_unchanged(box, before):
    after = snapshot(box["root"], skip=box["reports"])
    assert after == before, {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
                             if before.get(k) != after.get(k)}


def _run(capsys, box, *extra, wave="1"):
    before = snapshot(box["root"], skip=box["reports"])
    code, err = cli(capsys, ["-q", "run", box["study"], "--wave", wave, "--reports", box["reports"], *extra])
    return code, err, before


# --------------------------------------------------------------------------- 1. ids are names, not paths

BAD_STUDY_IDS = ["../../x", "/etc", "a/b", "..", ".hidden", "-flag", "con", "x" * 65, "two words", "tab\tid",
                 "a\\b", "nul.txt"]


@pytest.mark.parametrize("bad", BAD_STUDY_IDS)
def test_unsafe_study_id_is_refused(capsys, box, bad):
    (box["study"] / "study.yaml").write_text(MINI_STUDY.replace("id: mini", f"id: {json.dumps(bad)}"),
                                             encoding="utf-8")
    code, err, before = _run(capsys, box)
    assert_named_error(code, err, "study id", "not a safe name")
    _outside_unchanged(box, before)
    assert not box["reports"].exists()


BAD_WAVE_IDS = ["../evil", "/tmp/evil", "..", "a/../../b", ".1", "w 1", "aux", "1" * 65]


@pytest.mark.parametrize("bad", BAD_WAVE_IDS)
def test_unsafe_wave_id_is_refused(capsys, box, bad):
    (box["study"] / "study.yaml").write_text(MINI_STUDY.replace('- id: "1"', f"- id: {json.dumps(bad)}"),
                                             encoding="utf-8")
    code, err, before = _run(capsys, box, wave=bad)
    assert_named_error(code, err, "wave id", "not a safe name")
    _outside_unchanged(box, before)
    assert not box["reports"].exists()


def test_unicode_ids_are_names(capsys, box):
    (box["study"] / "study.yaml").write_text(
        MINI_STUDY.replace("id: mini", "id: kundeår-ø").replace('- id: "1"', '- id: "bølge.1"'), encoding="utf-8")
    code, err = cli(capsys, ["-q", "run", box["study"], "--wave", "bølge.1", "--reports", box["reports"]])
    assert code == 0, err
    assert (box["reports"] / "kundeår-ø" / "bølge.1" / "manifest.json").is_file()


def test_study_folder_name_that_is_not_an_id(capsys, box):
    bad = box["root"] / "my study"
    write_mini(bad, study=MINI_STUDY.replace("  id: mini\n", ""))
    code, err = cli(capsys, ["validate", bad, "--definition-only"])
    assert_named_error(code, err, "study folder's name", "study: id")


def test_reports_below_a_symlink_out_of_the_root_is_refused(capsys, box):
    box["reports"].mkdir()
    os.symlink(box["victim"], box["reports"] / "mini")
    code, err, before = _run(capsys, box)
    assert_named_error(code, err, "outside the reports root")
    _outside_unchanged(box, before)
    assert sorted(p.name for p in box["victim"].iterdir()) == ["precious.txt"]


def test_force_never_replaces_a_folder_we_did_not_write(capsys, box):
    target = box["reports"] / "mini" / "1"
    target.mkdir(parents=True)
    (target / "precious.txt").write_text("mine", encoding="utf-8")
    code, err, before = _run(capsys, box, "--force")
    assert_named_error(code, err, "replaces only a report folder the workbench wrote", "manifest.json")
    assert (target / "precious.txt").read_text(encoding="utf-8") == "mine"
    _outside_unchanged(box, before)


def test_force_refuses_a_manifest_of_another_wave(capsys, box):
    target = box["reports"] / "mini" / "1"
    target.mkdir(parents=True)
    (target / "manifest.json").write_text(json.dumps({"study": "other", "wave": "9", "outputs_sha256": {}}),
                                          encoding="utf-8")
    code, err, _ = _run(capsys, box, "--force")
    assert_named_error(code, err, "belongs to study 'other' wave '9'")
    assert (target / "manifest.json").exists()


def test_force_refuses_our_folder_with_a_foreign_file(capsys, box):
    code, err, _ = _run(capsys, box)
    assert code == 0, err
    target = box["reports"] / "mini" / "1"
    (target / "notes.docx").write_bytes(b"consultant's notes")
    code, err, _ = _run(capsys, box, "--force")
    assert_named_error(code, err, "did not write", "notes.docx")
    assert (target / "notes.docx").exists() and (target / "quality.xlsx").exists()


def test_force_replaces_our_own_folder(capsys, box):
    assert _run(capsys, box)[0] == 0
    code, err, before = _run(capsys, box, "--force")
    assert code == 0, err
    _outside_unchanged(box, before)


def test_leftovers_of_a_killed_run_are_removed_and_never_outputs(capsys, box):
    study_dir = box["reports"] / "mini"
    study_dir.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    tmp = study_dir / f".1.tmp-{dead.pid}-deadbeef"
    tmp.mkdir()
    (tmp / "quality.xlsx").write_bytes(b"half a workbook")
    legacy = study_dir / ".1.tmp-0a1b2c3d"  # written before pids were recorded
    legacy.mkdir()
    code, err = cli(capsys, ["validate", box["study"]])
    assert code == 0 and "error" not in err  # a leftover is no wave of the study
    code, err, _ = _run(capsys, box)
    assert code == 0, err
    assert sorted(p.name for p in study_dir.iterdir()) == ["1"]


def test_leftover_of_a_live_run_is_kept(box):
    from workbench.files.outputs import clear_leftovers

    target = box["reports"] / "mini" / "1"
    target.parent.mkdir(parents=True)
    live = target.parent / f".1.tmp-{os.getppid()}-cafecafe"
    live.mkdir()
    assert clear_leftovers(target) == []
    assert live.is_dir()


def test_killed_between_the_two_renames_puts_the_old_outputs_back(capsys, box):
    assert _run(capsys, box)[0] == 0
    target = box["reports"] / "mini" / "1"
    old = target.parent / ".1.old-999999999-feedface"
    os.replace(target, old)
    code, err, _ = _run(capsys, box)  # the old outputs come back, then --force is needed as usual
    assert_named_error(code, err, "pass --force")
    assert (target / "manifest.json").is_file() and not old.exists()


# --------------------------------------------------------------------------- 4. one run per wave


def _hold_lock(target: Path):
    code = ("import sys, time; from workbench.files.locking import WaveLock; l = WaveLock(sys.argv[1]).__enter__(); "
            "print('held', flush=True); time.sleep(60)")
    p = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_second_run_is_refused_naming_the_holder_and_a_killed_holder_is_cleared(capsys, box):
    target = box["reports"] / "mini" / "1"
    holder = _hold_lock(target)
    try:
        code, err, before = _run(capsys, box)
        assert_named_error(code, err, "another run of study mini wave 1", f"pid {holder.pid}", socket.gethostname(),
                           "running since")
        assert not target.exists()
        _outside_unchanged(box, before)
    finally:
        holder.kill()
        holder.wait()
    code, err, _ = _run(capsys, box)  # the holder was killed: its lock is stale
    assert code == 0, err
    assert not (target.parent / ".1.lock").exists()


def test_lock_from_another_host_is_not_judged_stale(capsys, box):
    lock = box["reports"] / "mini" / ".1.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere.example", "started": "2026-01-01T00:00:00+00:00"}),
                    encoding="utf-8")
    code, err, _ = _run(capsys, box)
    assert_named_error(code, err, "elsewhere.example", "delete")
    assert lock.exists()


def test_stale_lock_with_a_dead_pid_is_cleared(capsys, box):
    lock = box["reports"] / "mini" / ".1.lock"
    lock.parent.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": "x"}), encoding="utf-8")
    code, err, _ = _run(capsys, box)
    assert code == 0, err
    assert not lock.exists()


# --------------------------------------------------------------------------- 2. bounded YAML


def _study_yaml_case(capsys, box, text, *needles):
    (box["study"] / "study.yaml").write_text(text, encoding="utf-8")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    return assert_named_error(code, err, *needles)


def test_deep_nesting_is_refused(capsys, box):
    _study_yaml_case(capsys, box, MINI_STUDY + "extra: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 64")


def test_deep_mapping_nesting_is_refused(capsys, box):
    deep = "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "v\n"
    _study_yaml_case(capsys, box, MINI_STUDY + deep, "nested more than 64", "line")


def test_alias_bomb_is_refused_fast(capsys, box):
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(ord("b"), ord("j")):
        prev = chr(i - 1)
        bomb += f"{chr(i)}: &{chr(i)} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    t0 = time.perf_counter()
    _study_yaml_case(capsys, box, MINI_STUDY + bomb, "expands to more than", "aliases")
    assert time.perf_counter() - t0 < 5


def test_self_referring_alias_is_refused(capsys, box):
    _study_yaml_case(capsys, box, MINI_STUDY + "loop: &x [1, *x]\n", "refers to its own anchor")


def test_control_character_in_a_label_is_refused(capsys, box):
    _study_yaml_case(capsys, box, MINI_STUDY.replace('name: "Mini: grossist i Århus"', 'name: "Mini\\x01"'),
                     "U+0001", "line 2")


def test_huge_study_file_is_refused_unread(capsys, box):
    with open(box["study"] / "study.yaml", "wb") as fh:
        fh.write(MINI_STUDY.encode())
        fh.write(b"#" * 6_000_000 + b"\n")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    assert_named_error(code, err, "above the limit")


def test_study_file_that_is_a_folder(capsys, box):
    (box["study"] / "study.yaml").unlink()
    (box["study"] / "study.yaml").mkdir()
    code, err = cli(capsys, ["validate", box["study"] / "study.yaml"])
    assert code == 2 and "Traceback" not in err and "error:" in err


def test_study_file_that_is_a_fifo(capsys, box):
    (box["study"] / "study.yaml").unlink()
    os.mkfifo(box["study"] / "study.yaml")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    assert_named_error(code, err, "named pipe")


def test_study_file_in_utf16_is_named(capsys, box):
    (box["study"] / "study.yaml").write_bytes(MINI_STUDY.encode("utf-16"))
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    msg = assert_named_error(code, err, "UTF-16")
    assert "1252" not in msg


# --------------------------------------------------------------------------- personas.yaml


def _personas(tmp_path, text):
    p = tmp_path / "personas.yaml"
    p.write_text(text, encoding="utf-8")
    return p


GOOD_PERSONAS = """\
study: mini
wave: '1'
personas:
- id: P1
  segment: 1
  name: Prisjægeren
  description: Køber på pris
- id: P2
  segment: 2
  name: Den travle
  description: Vil have det hurtigt
unmatched: []
"""


def test_personas_unclosed_quote_points_at_the_edit(tmp_path):
    from workbench.core.errors import StudyError
    from workbench.describe.personas import load_personas

    p = _personas(tmp_path, GOOD_PERSONAS.replace("name: Prisjægeren", 'name: "Prisjægeren'))
    with pytest.raises(StudyError) as exc:
        load_personas(p)
    assert exc.value.row == 6, str(exc.value)  # the line of the edit, not the last line (13)
    assert "not closed" in str(exc.value)


def test_personas_duplicate_key_is_refused(tmp_path):
    from workbench.core.errors import StudyError
    from workbench.describe.personas import load_personas

    p = _personas(tmp_path, GOOD_PERSONAS.replace("  name: Den travle\n", "  name: Den travle\n  name: Travl\n"))
    with pytest.raises(StudyError, match=r"personas\[1\]\.name appears twice") as exc:
        load_personas(p)
    assert exc.value.row == 11


def test_personas_control_character_is_refused_with_its_line(tmp_path):
    from workbench.core.errors import StudyError
    from workbench.describe.personas import load_personas

    p = _personas(tmp_path, GOOD_PERSONAS.replace("name: Den travle", 'name: "Den\\x01travle"'))
    with pytest.raises(StudyError, match="U\\+0001") as exc:
        load_personas(p)
    assert exc.value.row == 10


def test_personas_alias_bomb_is_refused(tmp_path):
    from workbench.core.errors import StudyError
    from workbench.describe.personas import load_personas

    bomb = 'x0: &x0 ["a","a","a","a","a","a","a","a","a","a"]\n'
    for i in range(1, 9):
        bomb += f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 10) + "]\n"
    with pytest.raises(StudyError, match="expands to more than"):
        load_personas(_personas(tmp_path, GOOD_PERSONAS + bomb))


def test_personas_save_is_atomic(tmp_path, monkeypatch):
    from workbench.describe.personas import Personas

    p = _personas(tmp_path, GOOD_PERSONAS)
    original = p.read_bytes()

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    from workbench.core.errors import OutputError

    with pytest.raises(OutputError, match=r"personas.yaml: No space left on device; the disk is full"):
        Personas(personas=(), study_id="mini", wave="1").save(p)
    assert p.read_bytes() == original
    assert sorted(x.name for x in tmp_path.iterdir()) == ["personas.yaml"]  # no temporary file left


# --------------------------------------------------------------------------- response files


def _wave_file(box, name):
    text = MINI_STUDY.replace("files: [w1.csv]", f"files: [{json.dumps(str(name))}]")
    (box["study"] / "study.yaml").write_text(text, encoding="utf-8")


def _validate(capsys, box, *needles):
    before = snapshot(box["root"], skip=box["reports"])
    code, err = cli(capsys, ["validate", box["study"]])
    msg = assert_named_error(code, err, *needles)
    _outside_unchanged(box, before)
    return msg


def test_response_file_that_is_a_folder(capsys, box):
    (box["study"] / "w1.csv").unlink()
    (box["study"] / "w1.csv").mkdir()
    _validate(capsys, box, "is a folder")


def test_response_file_that_is_a_fifo(capsys, box):
    (box["study"] / "w1.csv").unlink()
    os.mkfifo(box["study"] / "w1.csv")
    _validate(capsys, box, "named pipe")


def test_response_file_that_is_dev_zero(capsys, box):
    _wave_file(box, "/dev/zero")
    _validate(capsys, box, "a device")


def test_response_file_symlink_to_dev_zero(capsys, box):
    (box["study"] / "w1.csv").unlink()
    os.symlink("/dev/zero", box["study"] / "w1.csv")
    _validate(capsys, box, "a device")


def test_response_file_above_the_size_limit(capsys, box, monkeypatch):
    from workbench.files import limits

    monkeypatch.setitem(limits.LIMITS, "responses", limits.Limit(100, 5000, 1_000_000))
    _validate(capsys, box, "above the limit of")


def test_hundred_thousand_extra_columns_fail_fast(capsys, box):
    rows = [r + [f"x{i}" if n == 0 else "1" for i in range(100_000)] for n, r in enumerate(MINI_ROWS)]
    write_mini(box["study"], rows=rows)
    t0 = time.perf_counter()
    _validate(capsys, box, "100,010 columns", "limit of 5,000")
    assert time.perf_counter() - t0 < 10


def test_a_line_longer_than_the_limit(capsys, box):
    rows = [list(r) for r in MINI_ROWS]
    rows[2][7] = "x" * 1_200_000
    write_mini(box["study"], rows=rows)
    msg = _validate(capsys, box, "longer than 1,000,000 characters")
    assert "row 3" in msg


def test_utf16_response_file_is_told_utf16(capsys, box):
    write_mini(box["study"], encoding="utf-16")
    msg = _validate(capsys, box, "UTF-16", "CSV UTF-8")
    assert "1252" not in msg


def test_double_bom_gives_clean_column_names(capsys, box):
    path = box["study"] / "w1.csv"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + path.read_bytes())
    from workbench.data.readers import read_table

    table = read_table(path)
    assert table.header[0] == "rid"
    code, err = cli(capsys, ["validate", box["study"]])
    assert code == 0, err


def test_unclosed_quote_names_its_row(capsys, box):
    path = box["study"] / "w1.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("Rådgivningen", '"Rådgivningen', 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    msg = _validate(capsys, box, "row 4", "never closed")
    assert "w1.csv" in msg


def test_nul_byte_in_the_csv_names_its_row(capsys, box):
    path = box["study"] / "w1.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("Rådgivningen", "Råd\x00givningen")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _validate(capsys, box, "row 4")


# --------------------------------------------------------------------------- 3. formula injection: the one rule


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_safe_text_neutralises_formula_starts(text):
    from workbench.files.outputs import safe_text

    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("value", ["Prisjægeren", "C001", "", "1=1", None, -3.5, 7, float("nan")])
def test_safe_text_leaves_other_values(value):
    from workbench.files.outputs import safe_text

    out = safe_text(value)
    assert out is value or (out != out and value != value)


def test_write_csv_keeps_negative_numbers_and_neutralises_text(tmp_path):
    import pandas as pd

    from workbench.files.outputs import write_csv

    frame = pd.DataFrame({"delta": [-1.5, 2.0], "name": ["-minus", "ok"], "n": [-3, 4]},
                         index=pd.Index(["=cmd|' /C calc'!A0", "r2"], name="rid"))
    text = write_csv(frame, tmp_path / "x.csv").read_text(encoding="utf-8").splitlines()
    assert text[1] == "'=cmd|' /C calc'!A0,-1.5,'-minus,-3"
    assert text[2] == "r2,2.0,ok,4"


def test_write_workbook_writes_text_as_text(tmp_path):
    import pandas as pd
    from openpyxl import load_workbook

    from workbench.files.outputs import write_workbook

    bad = '=HYPERLINK("http://evil.example","y")'
    frame = pd.DataFrame({bad: [bad, -2.5]}, index=pd.Index([bad, "r2"], name="id"))
    write_workbook(tmp_path / "t.xlsx", {"S": frame}, notes={"S": bad})
    cells = [c for row in load_workbook(tmp_path / "t.xlsx")["S"].iter_rows() for c in row if c.value is not None]
    assert [c for c in cells if c.data_type == "f"] == []
    assert sum(c.value == bad for c in cells) == 4  # note, header, index, cell: the text kept as it is
    assert any(c.value == -2.5 and c.data_type == "n" for c in cells)


def test_chart_workbook_holds_text_as_text():
    import io
    import zipfile

    from openpyxl import load_workbook
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    from workbench.files.outputs import SafeCategoryChartData

    bad = '=HYPERLINK("http://evil.example","y")'

    def formulas(cls):
        prs = Presentation()
        data = cls()
        data.categories = [bad, "ok"]
        data.add_series(bad, (1.0, 2.0))
        prs.slides.add_slide(prs.slide_layouts[6]).shapes.add_chart(
            XL_CHART_TYPE.COLUMN_CLUSTERED, 0, 0, Inches(4), Inches(3), data)
        buf = io.BytesIO()
        prs.save(buf)
        z = zipfile.ZipFile(buf)
        [name] = [n for n in z.namelist() if n.endswith(".xlsx")]
        ws = load_workbook(io.BytesIO(z.read(name))).active
        return [c.value for row in ws.iter_rows() for c in row if c.data_type == "f"]

    assert formulas(CategoryChartData)  # python-pptx's own class: the text becomes a live formula
    assert formulas(SafeCategoryChartData) == []


# --------------------------------------------------------------------------- the CLI's last line


def test_errors_are_one_line_for_a_missing_study(capsys, tmp_path):
    code, err = cli(capsys, ["run", tmp_path / "nope", "--wave", "1"])
    assert_named_error(code, err, "not found")


def test_control_characters_in_a_text_cell_do_not_break_a_workbook(tmp_path):
    import pandas as pd
    from openpyxl import load_workbook

    from workbench.files.outputs import write_workbook

    frame = pd.DataFrame({"why": ["bell\x07here", "ok"], "n": [1, 2]})
    write_workbook(tmp_path / "t.xlsx", {"S": frame})
    values = [c.value for row in load_workbook(tmp_path / "t.xlsx")["S"].iter_rows() for c in row]
    assert "bell\ufffdhere" in values
