"""The `workbench` command: bad input gets one clear message, exit 2, no traceback,
and nothing written; good input gets a whole report folder with a manifest."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import MINI_ROWS, MINI_STUDY, write_mini
from workbench import cli


def run_cli(*args, cwd=None):
    """Run main() in-process; return (exit code, stdout, stderr)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def rows_with(row, col, value):
    rows = [list(r) for r in MINI_ROWS]
    rows[row][MINI_ROWS[0].index(col)] = value
    return rows


# Each case: (id, how to break the mini study, regex the message must match).
def _malformed_yaml(f):
    write_mini(f, study=MINI_STUDY.replace("respondent_id: rid", "respondent_id: [rid"))


def _no_study_file(f):
    write_mini(f)
    (f / "study.yaml").unlink()


def _empty_study(f):
    write_mini(f, study="# nothing yet\n")


def _bad_scale(f):
    write_mini(f, study=MINI_STUDY.replace('{id: n1, text: "Lave priser"}', '{id: n1, text: "Lave priser", scale: likret}'))


def _missing_wave_file(f):
    write_mini(f)
    (f / "w1.csv").unlink()


def _unknown_column(f):
    rows = [list(r) for r in MINI_ROWS]
    rows[0][MINI_ROWS[0].index("n2")] = "N_2"
    write_mini(f, rows=rows)


def _text_in_numeric(f):
    write_mini(f, rows=rows_with(3, "secs", "fast"))


def _text_in_coded(f):
    write_mini(f, rows=rows_with(2, "n1", "meget enig"))


def _code_out_of_range(f):
    write_mini(f, rows=rows_with(4, "n2", "7"))


def _duplicate_ids(f):
    write_mini(f, rows=rows_with(4, "rid", "r2"))


def _empty_file(f):
    write_mini(f)
    (f / "w1.csv").write_bytes(b"")


def _header_only(f):
    write_mini(f, rows=MINI_ROWS[:1])


def _wrong_encoding(f):
    write_mini(f, encoding="cp1252")


def _ragged_row(f):
    rows = [list(r) for r in MINI_ROWS]
    rows[2] = rows[2] + ["extra"]
    write_mini(f, rows=rows)


def _blank_id(f):
    write_mini(f, rows=rows_with(3, "rid", ""))


def _duplicate_header(f):
    rows = [list(r) for r in MINI_ROWS]
    rows[0][MINI_ROWS[0].index("n3")] = "n1"
    write_mini(f, rows=rows)


def _not_an_xlsx(f):
    write_mini(f, study=MINI_STUDY.replace("files: [w1.csv]", "files: [w1.xlsx]"), name="w1.xlsx")


def _unknown_extension(f):
    write_mini(f, study=MINI_STUDY.replace("files: [w1.csv]", "files: [w1.json]"), name="w1.json")


def _corrupt_sav(f):
    write_mini(f, study=MINI_STUDY.replace("files: [w1.csv]", "files: [w1.sav]"), name="w1.sav")


def _decimal_comma_in_comma_file(f):
    write_mini(f, rows=rows_with(1, "secs", "300,5"))


BAD_INPUTS = [
    ("malformed-yaml", _malformed_yaml, r"study\.yaml: line \d+, column \d+: malformed YAML"),
    ("no-study-file", _no_study_file, r"study\.yaml: study file not found"),
    ("empty-study", _empty_study, r"the study file is empty"),
    ("unknown-scale", _bad_scale, r"blocks\.needs\.questions\[0\]\.scale: unknown scale type 'likret'"),
    ("missing-wave-file", _missing_wave_file, r"waves\[0\]\.files\[0\]: response file not found: .*w1\.csv"),
    ("unknown-column", _unknown_column, r"w1\.csv, row 1, column 'n2': 1 column\(s\) the study declares are missing from the file: n2 \(the file has 'N_2'\)"),
    ("text-in-numeric", _text_in_numeric, r"w1\.csv, row 4, column 'secs': found 'fast' where a number is expected"),
    ("text-in-coded", _text_in_coded, r"w1\.csv, row 3, column 'n1': found 'meget enig' where a code \(1-5; missing codes 98\) or its label is expected"),
    ("code-out-of-range", _code_out_of_range, r"w1\.csv, row 5, column 'n2': code 7 is not on the scale \(1-5; missing codes 98\)"),
    ("duplicate-ids", _duplicate_ids, r"w1\.csv.*row 3, column 'rid': respondent id 'r2' occurs 2 times: rows 3 and 5 of w1\.csv"),
    ("empty-file", _empty_file, r"w1\.csv: the file is empty"),
    ("header-only", _header_only, r"w1\.csv: the file has a header row but no respondents"),
    ("wrong-encoding", _wrong_encoding, r"w1\.csv, row 2: the file is not valid UTF-8: byte 0xe5 \(in Windows-1252 that byte is 'å'\)\. Re-export it as 'CSV UTF-8'"),
    ("ragged-row", _ragged_row, r"w1\.csv, row 3: this row has 11 cells but the header has 10"),
    ("blank-id", _blank_id, r"w1\.csv, row 4, column 'rid': the respondent id is blank"),
    ("duplicate-header", _duplicate_header, r"w1\.csv, row 1, column 'n1': the header names column 'n1' twice \(columns 3 and 5\)"),
    ("not-an-xlsx", _not_an_xlsx, r"w1\.xlsx: cannot read the workbook .*is it really an \.xlsx file\?"),
    ("unknown-extension", _unknown_extension, r"w1\.json: cannot tell the format of 'w1\.json'"),
    ("corrupt-sav", _corrupt_sav, r"w1\.sav: cannot read the SPSS file"),
    ("decimal-comma", _decimal_comma_in_comma_file, r"row 2, column 'secs': found '300,5' where a number is expected.*set decimal: ',' on the wave"),
]


@pytest.mark.parametrize("name,breaker,message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_one_clear_message_and_writes_nothing(tmp_path, name, breaker, message):
    folder = tmp_path / "mini"
    folder.mkdir()
    breaker(folder)
    reports = tmp_path / "reports"
    code, out, err = run_cli("run", folder, "--wave", "1", "--reports", reports)
    assert code == 2, (out, err)
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert "Traceback" not in err
    import re

    assert re.search(message, err[err.index("error: "):], flags=re.S), err
    assert not reports.exists(), "a failed run must not write anything under reports/"


def test_unknown_wave(mini, tmp_path):
    code, _, err = run_cli("run", mini, "--wave", "9", "--reports", tmp_path / "r")
    assert code == 2 and "no wave '9' in the study; its waves are: 1" in err


def test_validate_prints_all_three_mistakes(tmp_path):
    bad = (
        MINI_STUDY.replace('{id: n2, text: "Hurtig levering"}', '{id: n2, text: "Hurtig levering", scale: likret}')
        .replace("files: [w1.csv]", "files: [w9.csv]")
        .replace("reverse: true", "revers: true")
    )
    folder = write_mini(tmp_path / "s", study=bad)
    code, _, err = run_cli("validate", folder)
    assert code == 2
    assert "3 problems in the study definition" in err
    for path in ("blocks.needs.questions[1].scale", "waves[0].files[0]", "blocks.needs.questions[2].revers"):
        assert f"{path}: " in err


def test_validate_good_study(mini):
    code, out, err = run_cli("validate", mini)
    assert code == 0, err
    assert "wave 1: 4 respondents read" in out and out.rstrip().endswith("consistent")


def test_run_writes_whole_folder_and_refuses_to_overwrite(mini, tmp_path):
    reports = tmp_path / "reports"
    code, out, err = run_cli("run", mini, "--wave", "1", "--reports", reports)
    assert code == 0, err
    target = reports / "mini" / "1"
    names = sorted(p.name for p in target.iterdir())
    assert {"manifest.json", "quality.xlsx"} <= set(names)
    man = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert man["seed"] == 7 and man["wave"] == "1"
    assert len(man["study_definition"]["content_sha256"]) == 64
    assert list(man["inputs_sha256"]) == [str(mini / "w1.csv")]
    assert man["packages"]["scikit-learn"] == "1.7.2" and "python" in man["packages"]
    assert {"read", "quality", "write"} <= set(man["step_seconds"])
    assert set(man["outputs_sha256"]) == set(names) - {"manifest.json"}
    first = (target / "manifest.json").read_bytes()

    code, _, err = run_cli("run", mini, "--wave", "1", "--reports", reports)
    assert code == 2 and "already holds this wave's outputs" in err and "--force" in err
    assert (target / "manifest.json").read_bytes() == first

    code, _, err = run_cli("run", mini, "--wave", "1", "--reports", reports, "--force")
    assert code == 0, err
    assert [p.name for p in (reports / "mini").iterdir()] == ["1"], "no temporary folder left behind"


def test_failure_while_writing_keeps_previous_outputs(mini, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    assert run_cli("run", mini, "--wave", "1", "--reports", reports)[0] == 0
    before = (reports / "mini" / "1" / "manifest.json").read_bytes()
    from workbench import quality

    def boom(self, path, **kw):
        path.write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(quality.QualityReport, "to_excel", boom)
    code, _, err = run_cli("run", mini, "--wave", "1", "--reports", reports, "--force")
    assert code == 3 and "internal error: OSError: disk full" in err and "Traceback" not in err
    assert (reports / "mini" / "1" / "manifest.json").read_bytes() == before
    assert [p.name for p in (reports / "mini").iterdir()] == ["1"]


def test_pii_never_reaches_the_report(mini, tmp_path):
    import openpyxl

    reports = tmp_path / "reports"
    assert run_cli("run", mini, "--wave", "1", "--reports", reports)[0] == 0
    wb = openpyxl.load_workbook(reports / "mini" / "1" / "quality.xlsx")
    cells = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None}
    assert not cells & {"email", "a@b.dk", "c@d.se", "e@f.nl"}


def test_every_command_has_help():
    for cmd in ([], ["validate"], ["run"], ["demo"]):
        proc = subprocess.run(
            [sys.executable, "-m", "workbench.cli", *cmd, "--help"], capture_output=True, text=True
        )
        assert proc.returncode == 0 and "usage: workbench" in proc.stdout


def test_console_script_exit_code_and_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "validate", str(tmp_path / "nowhere")],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_warnings_print_as_one_line_without_source_path(monkeypatch, capsys):
    import logging
    import warnings

    from workbench import cli

    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    root = logging.getLogger("workbench")
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "propagate", root.propagate)
    monkeypatch.setattr(root, "level", root.level)
    cli._setup_logging(False, False)
    warnings.showwarning(UserWarning("Heywood case on 'E3':\n  the solution is improper"), UserWarning,
                         "/somewhere/workbench/factors/efa.py", 184, line="res = efa(data, ...)")
    logging.getLogger("workbench.steps.model").warning("model: the typing tool is not recommended")
    err = capsys.readouterr().err.splitlines()
    assert err == ["warning: factors: Heywood case on 'E3': the solution is improper",
                   "warning: model: the typing tool is not recommended"]
    # a module of a package grouping small modules is named itself, not its package
    assert cli._warning_area("/somewhere/workbench/describe/profiles.py") == "profiles"
    assert cli._warning_area("/somewhere/workbench/core.py") == "core"
    cli._setup_logging(True, False)  # --quiet: errors only
    warnings.showwarning(UserWarning("hidden"), UserWarning, "/x/workbench/factors/efa.py", 1)
    assert capsys.readouterr().err == ""
    assert cli._parser().parse_args(["--verbose", "validate", "x"]).verbose
