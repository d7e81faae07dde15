"""Hostile input against a real run (issue 14): one small demo study (150 respondents, k-means
only, two starts) is generated and run once per session with every respondent id a formula;
the cases below read its outputs or break copies of its files."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from hostile_helpers import ROOT, assert_named_error, cli, run_subprocess, snapshot

EVIL = '=HYPERLINK("http://evil.example/{}","y")'


def _small_plan(text: str) -> str:
    text = re.sub(r"methods: \[.*\]", "methods: [kmeans]", text, count=1)
    text = re.sub(r"k_max: \d+", "k_max: 5", text, count=1)
    text = re.sub(r"n_init: \d+", "n_init: 2", text, count=1)
    return re.sub(r"bootstrap_reps: \d+", "bootstrap_reps: 2", text, count=1)


@pytest.fixture(scope="session")
def hostile_study(tmp_path_factory):
    """The small demo study, every wave-1 respondent id a live-looking formula."""
    from workbench.demo import generate_demo

    folder = tmp_path_factory.mktemp("hostile") / "hd"
    generate_demo(folder, n_customers=400, n_respondents=150)
    study = folder / "study.yaml"
    text = _small_plan(study.read_text(encoding="utf-8"))
    # the planted ids hold commas: the delimiter is declared rather than sniffed
    text = text.replace("    files: [waves/1/responses.csv]", '    delimiter: ";"\n    files: [waves/1/responses.csv]', 1)
    study.write_text(text, encoding="utf-8")
    path = folder / "waves" / "1" / "responses.csv"
    raw = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw, newline=""), delimiter=";"))
    for i, r in enumerate(rows[1:], start=1):
        r[0] = EVIL.format(i) if i > 3 else r[0]  # the first rows keep theirs (duplicates planted there)
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    return folder


@pytest.fixture(scope="session")
def hostile_run(hostile_study, tmp_path_factory):
    from workbench.pipeline import run_wave
    from workbench.core.workers import bounded_workers

    reports = tmp_path_factory.mktemp("hostile_reports")
    with bounded_workers():
        run = run_wave(hostile_study, "1", reports=reports)
    return run


@pytest.fixture
def study_copy(hostile_study, tmp_path):
    dst = tmp_path / "hd"
    shutil.copytree(hostile_study, dst, ignore=shutil.ignore_patterns("truth"))
    return dst


# --------------------------------------------------------------------------- 3. formula injection in the outputs


def _cells(path):
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    yield ws.title, c


def test_no_workbook_holds_a_planted_formula(hostile_run):
    seen = 0
    for path in sorted(hostile_run.folder.glob("*.xlsx")):
        for sheet, c in _cells(path):
            if isinstance(c.value, str) and "evil.example" in c.value:
                assert c.data_type == "s", (path.name, sheet, c.coordinate)
                seen += 1
    assert seen >= 10  # the ids reached quality.xlsx and behaviour.xlsx as text


def test_typing_tool_keeps_its_own_formulas(hostile_run):
    n = sum(c.data_type == "f" for _, c in _cells(hostile_run.folder / "typing_tool.xlsx"))
    assert n > 20


@pytest.mark.parametrize("name", ["respondent_segments.csv", "segment_labels.csv"])
def test_csv_ids_are_neutralised(hostile_run, name):
    rows = list(csv.reader(io.StringIO((hostile_run.folder / name).read_text(encoding="utf-8"))))
    ids = [r[0] for r in rows[1:]]
    evil = [i for i in ids if "evil.example" in i]
    assert len(evil) > 100 and all(i.startswith("'=HYPERLINK(") for i in evil)
    assert not any(i.startswith("=") for i in ids)


# --------------------------------------------------------------------------- 7. suppression everywhere


def test_run_has_suppressed_segments(hostile_run):
    assert hostile_run.profiles.suppressed, "the fixture must hide at least one segment"
    assert len(hostile_run.profiles.suppressed) < len(hostile_run.profiles.labels)


def test_typing_tool_does_not_name_suppressed_segments(hostile_run):
    from workbench.describe.suppression import NOT_ASSIGNED

    names = {int(p.segment): p.name for p in hostile_run.personas if p.segment is not None}
    hidden = {names[int(s)] for s in hostile_run.profiles.suppressed if int(s) in names}
    shown = {names[int(s)] for s in hostile_run.profiles.labels if int(s) in names} - hidden
    texts = {c.value for _, c in _cells(hostile_run.folder / "typing_tool.xlsx") if isinstance(c.value, str)}
    assert NOT_ASSIGNED in texts
    assert not hidden & texts, hidden & texts
    assert shown & texts


def test_customer_base_places_nobody_in_a_suppressed_segment(hostile_run):
    import pandas as pd

    from workbench.describe.suppression import NOT_ASSIGNED

    tab = pd.read_csv(hostile_run.folder / "customer_segments.csv", dtype={"segment": "Int64"})
    hidden = {int(s) for s in hostile_run.profiles.suppressed}
    assert not tab["segment"].dropna().astype(int).isin(hidden).any()
    na = tab["name"].eq(NOT_ASSIGNED)
    assert na.sum() > 0 and tab.loc[na, "segment"].isna().all() and not tab.loc[na, "confident"].any()
    assert tab["segment"].notna().sum() > 0


# --------------------------------------------------------------------------- the deck: charts and personas.yaml


def _copy_run(hostile_run, hostile_study, tmp_path):
    study = tmp_path / "hd"
    shutil.copytree(hostile_study, study, ignore=shutil.ignore_patterns("truth"))
    reports = tmp_path / "reports"
    shutil.copytree(hostile_run.folder.parents[1], reports)
    shutil.copy(hostile_run.folder / "personas.yaml", study / "personas.yaml")
    return study, reports


def test_persona_name_formula_is_text_in_the_deck_charts(capsys, hostile_run, hostile_study, tmp_path):
    from openpyxl import load_workbook

    study, reports = _copy_run(hostile_run, hostile_study, tmp_path)
    p = study / "personas.yaml"
    text = p.read_text(encoding="utf-8")
    first = re.search(r"^  name: (.*)$", text, re.M)
    p.write_text(text[: first.start(1)] + json.dumps(EVIL.format("p")) + text[first.end(1):], encoding="utf-8")
    code, err = cli(capsys, ["-q", "deck", study, "--wave", "1", "--reports", reports])
    assert code == 0, err
    z = zipfile.ZipFile(reports / "demo" / "1" / "personas.pptx")
    books = [n for n in z.namelist() if n.endswith(".xlsx")]
    assert books
    found = 0
    for n in books:
        ws = load_workbook(io.BytesIO(z.read(n))).active
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (n, c.coordinate, c.value)
                found += isinstance(c.value, str) and "evil.example" in c.value
    assert found >= 1


def test_deck_holds_the_wave_lock_while_rendering(capsys, hostile_run, hostile_study, tmp_path, monkeypatch):
    """`workbench deck` holds the wave's lock for the whole re-render (another process taking
    the lock of that wave meanwhile, as a run does, is refused), and leaves no lock behind."""
    import socket

    import workbench.deck.rerender as rerender

    study, reports = _copy_run(hostile_run, hostile_study, tmp_path)
    folder = reports / "demo" / "1"
    lock = folder.parent / ".1.lock"
    seen = {}
    real = rerender.render_deck
    code = ("import sys; from workbench.files.locking import WaveLock\n"
            "try:\n    WaveLock(sys.argv[1], what='wave 1').__enter__()\n"
            "except Exception as exc:\n    print(exc); sys.exit(3)\n")

    def render_while_another_process_tries(*args, **kwargs):
        seen["lock"] = json.loads(lock.read_text(encoding="utf-8"))
        seen["other"] = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True,
                                       timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        return real(*args, **kwargs)

    monkeypatch.setattr(rerender, "render_deck", render_while_another_process_tries)
    rc, err = cli(capsys, ["-q", "deck", study, "--wave", "1", "--reports", reports])
    assert rc == 0, err
    assert seen["lock"]["pid"] == os.getpid() and seen["lock"]["host"] == socket.gethostname()
    assert seen["other"].returncode == 3, seen["other"].stderr
    assert "in progress" in seen["other"].stdout and f"pid {os.getpid()}" in seen["other"].stdout
    assert not lock.exists()


def test_deck_is_refused_while_a_run_holds_the_lock(capsys, hostile_run, hostile_study, tmp_path):
    study, reports = _copy_run(hostile_run, hostile_study, tmp_path)
    before = (reports / "demo" / "1" / "personas.pptx").read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = reports / "demo" / ".1.lock"
        lock.write_text(json.dumps({"pid": holder.pid, "host": __import__("socket").gethostname(),
                                    "started": "2026-01-01T00:00:00+00:00"}), encoding="utf-8")
        code, err = cli(capsys, ["-q", "deck", study, "--wave", "1", "--reports", reports])
        assert_named_error(code, err, "in progress", f"pid {holder.pid}")
        assert (reports / "demo" / "1" / "personas.pptx").read_bytes() == before
        assert lock.exists()  # another run's lock is never removed
    finally:
        holder.kill()
        holder.wait()


def test_broken_personas_yaml_names_the_edited_line(capsys, hostile_run, hostile_study, tmp_path):
    study, reports = _copy_run(hostile_run, hostile_study, tmp_path)
    p = study / "personas.yaml"
    lines = p.read_text(encoding="utf-8").splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith("  name: "))
    lines[i] = '  name: "Unclosed'
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = (reports / "demo" / "1" / "personas.pptx").read_bytes()
    code, err = cli(capsys, ["-q", "deck", study, "--wave", "1", "--reports", reports])
    assert_named_error(code, err, f"row {i + 1}", "not closed")
    assert (reports / "demo" / "1" / "personas.pptx").read_bytes() == before


def test_duplicate_key_in_personas_yaml_stops_the_deck(capsys, hostile_run, hostile_study, tmp_path):
    study, reports = _copy_run(hostile_run, hostile_study, tmp_path)
    p = study / "personas.yaml"
    text = p.read_text(encoding="utf-8")
    first = re.search(r"^  name: .*$", text, re.M)
    p.write_text(text[: first.end()] + "\n  name: Second name" + text[first.end():], encoding="utf-8")
    code, err = cli(capsys, ["-q", "deck", study, "--wave", "1", "--reports", reports])
    assert_named_error(code, err, "appears twice")


# --------------------------------------------------------------------------- 6. models checked on load


def _model(hostile_run, tmp_path, edit) -> Path:
    d = json.loads((hostile_run.folder / "model.json").read_text(encoding="utf-8"))
    text = edit(d)
    path = tmp_path / "model.json"
    path.write_text(text if isinstance(text, str) else json.dumps(d), encoding="utf-8")
    return path


def _answers(hostile_run, tmp_path, first_id="a1", value="3") -> Path:
    tool = hostile_run.model.attachments["typing_tool"]
    qs = list(tool["questions"])
    path = tmp_path / "answers.csv"
    path.write_text(",".join(["id", *qs]) + "\n" + f"{first_id}," + ",".join([value] * len(qs)) + "\n"
                    + "a2," + ",".join(["2"] * len(qs)) + "\n", encoding="utf-8")
    return path


def _classify(capsys, model, answers, *extra):
    return cli(capsys, ["-q", "classify", answers, "--model", model, *extra])


def _set(path_keys, value):
    def edit(d):
        o = d
        for k in path_keys[:-1]:
            o = o[k]
        o[path_keys[-1]] = value
    return edit


MODEL_CASES = {
    "nan_share": (lambda d: json.dumps(d).replace('"shares": [', '"shares": [NaN, ', 1), "NaN (line"),
    "infinity": (lambda d: json.dumps(d).replace('"uncertain_below": ', '"uncertain_below": Infinity, "x": ', 1),
                 "Infinity"),
    "k_500": (_set(["k"], 500), "k = 500"),
    "k_zero": (_set(["k"], 0), "k = 0"),
    "k_text": (_set(["k"], "3"), "k = '3'"),
    "huge_array": (_set(["shares"], [0.1] * 3_000_000), "above the limit"),
    "shares_sum": (lambda d: d["shares"].__setitem__(0, d["shares"][0] + 0.5), "does not sum to 1"),
    "negative_share": (lambda d: d["shares"].__setitem__(0, -0.2), "outside [0, 1]"),
    "short_shares": (lambda d: d["shares"].pop(), "shares has"),
    "centroids_shape": (lambda d: d["parameters"]["centroids"].pop(), "centroids have shape"),
    "centroid_text": (lambda d: d["parameters"]["centroids"][0].__setitem__(0, "x"), "damaged"),
    "names_beyond_k": (lambda d: d["names"].__setitem__("99", "Ghost"), "names for segment(s) [99]"),
    "uncertain_above_1": (_set(["uncertain_below"], 7.0), "uncertain_below = 7.0"),
    "features_not_names": (_set(["features"], [1, 2]), "list of column names"),
}


@pytest.mark.parametrize("case", sorted(MODEL_CASES))
def test_damaged_model_is_a_named_error(capsys, hostile_run, tmp_path, case):
    edit, needle = MODEL_CASES[case]
    model = _model(hostile_run, tmp_path, edit)
    answers = _answers(hostile_run, tmp_path)
    before = snapshot(tmp_path)
    code, err = _classify(capsys, model, answers)
    assert_named_error(code, err, needle, "model.json")
    assert snapshot(tmp_path) == before


def test_model_file_that_is_a_fifo(capsys, hostile_run, tmp_path):
    os.mkfifo(tmp_path / "model.json")
    code, err = _classify(capsys, tmp_path / "model.json", _answers(hostile_run, tmp_path))
    assert_named_error(code, err, "named pipe")


def test_classify_refuses_to_overwrite_its_model(capsys, hostile_run, tmp_path):
    model = tmp_path / "model.json"
    shutil.copy(hostile_run.folder / "model.json", model)
    before = model.read_bytes()
    code, err = _classify(capsys, model, _answers(hostile_run, tmp_path), "-o", model, "--force")
    assert_named_error(code, err, "is the model file this command reads")
    assert model.read_bytes() == before


def test_classify_refuses_to_overwrite_its_answers(capsys, hostile_run, tmp_path):
    answers = _answers(hostile_run, tmp_path)
    before = answers.read_bytes()
    code, err = _classify(capsys, hostile_run.folder / "model.json", answers, "-o", answers, "--force")
    assert_named_error(code, err, "is the answers file")
    assert answers.read_bytes() == before


def test_classify_output_neutralises_a_formula_id(capsys, hostile_run, tmp_path):
    answers = _answers(hostile_run, tmp_path, first_id="=cmd|' /C calc'!A0")
    out = tmp_path / "out.csv"
    code, err = _classify(capsys, hostile_run.folder / "model.json", answers, "-o", out)
    assert code == 0, err
    first = out.read_text(encoding="utf-8").splitlines()[1]
    assert first.startswith("\"'=cmd|") or first.startswith("'=cmd|"), first


@pytest.mark.parametrize("value", ["inf", "nan", "-Infinity"])
def test_classify_refuses_non_finite_answers(capsys, hostile_run, tmp_path, value):
    code, err = _classify(capsys, hostile_run.folder / "model.json", _answers(hostile_run, tmp_path, value=value))
    assert_named_error(code, err, "row 2", "is not a number")


# --------------------------------------------------------------------------- 8. joins that say so


def _validate(capsys, study, *needles, code_expected=2):
    before = snapshot(study)
    code, err = cli(capsys, ["-q", "validate", study, "--wave", "1"])
    assert snapshot(study) == before
    if code_expected == 0:
        assert code == 0, err
        return err
    return assert_named_error(code, err, *needles)


def _rewrite(path: Path, fn, delimiter=","):
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    rows = fn(rows)
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))


def test_numeric_ids_against_c_ids_stop_the_join(capsys, study_copy):
    for name in ("transactions.csv", "customers.csv"):
        _rewrite(study_copy / "behaviour" / name,
                 lambda rows: [rows[0]] + [[r[0].lstrip("C"), *r[1:]] for r in rows[1:]])
    msg = _validate(capsys, study_copy, "are numbers", "not numbers", "unmatched survey ids", "'C1")
    assert "0 of" in msg


def test_low_match_share_stops_and_a_study_may_lower_it(capsys, study_copy):
    resp = study_copy / "waves" / "1" / "responses.csv"
    _rewrite(resp, lambda rows: [rows[0]] + [[r[0], (f"C9{i:05d}" if i % 4 else r[1]), *r[2:]]
                                             for i, r in enumerate(rows[1:])], delimiter=";")
    _validate(capsys, study_copy, "matched too few", "min_match_share", "'C9")
    y = study_copy / "study.yaml"
    y.write_text(y.read_text(encoding="utf-8").replace("  key: customer_id ", "  min_match_share: 0.1\n  key: customer_id ",
                                                        1), encoding="utf-8")
    out = _validate(capsys, study_copy, code_expected=0)
    assert "Traceback" not in out


@pytest.mark.parametrize("column,value,needle", [
    ("net_value_eur", "inf", "not a finite number"),
    ("net_value_eur", "NaN", "not a finite number"),
    ("quantity", "nan", "not a finite number"),
    ("delivery_cost_eur", "-5.00", "negative delivery cost"),
    ("handling_cost_eur", "Infinity", "not a finite number"),
    ("quantity", "-3", "negative quantity on a line with a positive value"),
    ("order_date", "1066-10-14", "not a plausible order date"),
])
def test_impossible_transaction_values_name_row_and_column(capsys, study_copy, column, value, needle):
    path = study_copy / "behaviour" / "transactions.csv"
    target = {}

    def edit(rows):
        j = rows[0].index(column)
        k = rows[0].index("net_value_eur")
        i = next(i for i, r in enumerate(rows[1:], start=1) if i > 40 and float(r[k]) > 0)
        rows[i][j] = value
        target["row"] = i + 1
        return rows

    _rewrite(path, edit)
    _validate(capsys, study_copy, needle, f"row {target['row']}", f"column '{column}'")


def test_transactions_that_are_a_folder(capsys, study_copy):
    path = study_copy / "behaviour" / "transactions.csv"
    path.unlink()
    path.mkdir()
    _validate(capsys, study_copy, "is a folder")


def test_transactions_with_too_many_columns(capsys, study_copy):
    _rewrite(study_copy / "behaviour" / "transactions.csv",
             lambda rows: [r + [f"x{i}" if n == 0 else "" for i in range(300)] for n, r in enumerate(rows)])
    _validate(capsys, study_copy, "columns, above the limit of 200")


def test_validate_reads_the_behaviour_files(capsys, study_copy):
    code, err = cli(capsys, ["validate", study_copy, "--wave", "1"])
    assert code == 0, err


# --------------------------------------------------------------------------- memory caps and kill -9 (subprocesses)


def test_alias_bomb_under_a_memory_cap(tmp_path):
    from conftest import MINI_STUDY, write_mini

    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(ord("b"), ord("j")):
        bomb += f"{chr(i)}: &{chr(i)} [" + ",".join([f"*{chr(i - 1)}"] * 9) + "]\n"
    write_mini(tmp_path / "mini", study=MINI_STUDY + bomb)
    p = run_subprocess(["validate", "mini"], cwd=tmp_path, memory_mb=1500, timeout=120)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr and "expands to more than" in p.stderr


def test_dev_zero_response_file_under_a_memory_cap(tmp_path):
    from conftest import MINI_STUDY, write_mini

    write_mini(tmp_path / "mini", study=MINI_STUDY.replace("files: [w1.csv]", 'files: ["/dev/zero"]\n    format: csv'))
    p = run_subprocess(["validate", "mini"], cwd=tmp_path, memory_mb=1500, timeout=120)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr and "a device" in p.stderr


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
def test_kill_during_compute_leaves_no_worker_and_no_output(study_copy, tmp_path):
    reports = tmp_path / "reports"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "-q", "run", str(study_copy), "--wave", "1",
                             "--reports", str(reports)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.time() + 240
    try:
        while time.time() < deadline and proc.poll() is None:
            kids = _children(proc.pid)
            if kids:
                time.sleep(1.0)  # let the pool start all its workers
                workers = _children(proc.pid)
                break
            time.sleep(0.2)
        assert workers, "the run never started parallel workers"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        t0 = time.time()
        while time.time() - t0 < 10 and any(_alive(w) for w in workers):
            time.sleep(0.25)
        survivors = [w for w in workers if _alive(w)]
        assert survivors == [], f"workers outlived their parent: {survivors}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in workers:
            try:
                os.kill(w, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    assert not (reports / "demo" / "1").exists()


# --------------------------------------------------------------------------- issue 24: model files, other studies, PII


def _deep(d):
    return json.dumps(d).replace('"shares": ', '"deep": ' + "[" * 200_000 + "]" * 200_000 + ', "shares": ', 1)


def _tool(edit):
    def f(d):
        edit(d["attachments"]["typing_tool"])
    return f


ISSUE24_MODEL_CASES = {
    "nested_200000": (_deep, "more than 64 levels deep"),
    "base_model_text": (lambda d: d["attachments"].__setitem__("base_model", "a text"), "attachments.base_model is str"),
    "typing_questions_null": (_tool(lambda t: t.__setitem__("questions", None)), "typing tool is incomplete"),
    "scaling_one_short": (_tool(lambda t: t["scaling"]["mean"].pop()), "scaling mean has"),
    "typing_version_text": (_tool(lambda t: t.__setitem__("version", "x")), "no valid version"),
    "format_version_bool": (_set(["format_version"], True), "no valid format_version"),
    "coefficients_text": (_tool(lambda t: t["coefficients"][0].__setitem__(0, "high")), "typing tool"),
}


@pytest.mark.parametrize("command", ["classify", "export-sql base", "export-sql typing"])
@pytest.mark.parametrize("case", sorted(ISSUE24_MODEL_CASES))
def test_tampered_model_is_named_before_use(capsys, hostile_run, tmp_path, case, command):
    edit, needle = ISSUE24_MODEL_CASES[case]
    model = _model(hostile_run, tmp_path, edit)
    if command == "classify":
        code, err = _classify(capsys, model, _answers(hostile_run, tmp_path))
    else:
        code, err = cli(capsys, ["-q", "export-sql", "--model", model, "--using", command.split()[1]])
    assert_named_error(code, err, needle, "model.json")


def _leaves(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(obj, list) and obj:
        yield from _leaves(obj[0], path + (0,))
        if len(obj) > 1:
            yield from _leaves(obj[-1], path + (len(obj) - 1,))
    else:
        yield path


HOSTILE_VALUES = [None, "high", -1, 1e308, -1e308, [], {}, [[[]]], True, "NaN", 10**30, "", [None], {"a": None}]


def test_random_model_mutations_never_end_in_an_internal_error(capsys, hostile_run, tmp_path):
    """Property (seeded, 25 draws): one entry of model.json anywhere replaced by a hostile value;
    classify and export-sql either work or name the problem (exit 2), never exit 3."""
    import random

    base = json.loads((hostile_run.folder / "model.json").read_text(encoding="utf-8"))
    used = {"k", "shares", "names", "parameters", "features", "basis_items", "standardisation", "uncertain_below",
            "attachments", "item_codes", "format_version"}  # what classifying and compiling read
    paths = sorted({p for p in _leaves(base) if p and p[0] in used}, key=repr)
    rng = random.Random(24)
    answers = _answers(hostile_run, tmp_path)
    codes = {}
    for i in range(25):
        d = json.loads(json.dumps(base))
        path, value = rng.choice(paths), rng.choice(HOSTILE_VALUES)
        o = d
        for k in path[:-1]:
            o = o[k]
        if path:
            o[path[-1]] = value
        p = tmp_path / f"m{i}.json"
        p.write_text(json.dumps(d), encoding="utf-8")
        for args in (["-q", "classify", answers, "--model", p], ["-q", "export-sql", "--model", p, "--using", "typing"]):
            code, err = cli(capsys, args)
            assert code in (0, 2) and "internal error" not in err and "Traceback" not in err, (path, value, err)
            codes[code] = codes.get(code, 0) + 1
    assert codes.get(2, 0) >= 10, codes  # not vacuous: many draws meet a named error


def test_lpa_covariances_of_the_wrong_shape_are_named():
    from types import SimpleNamespace

    import numpy as np

    from workbench.core.errors import DataError
    from workbench.files.modelcheck import check_model
    from workbench.segments.methods import get_method

    k, f = 3, 4
    good = {"full": np.stack([np.eye(f)] * k), "tied": np.eye(f), "diag": np.ones((k, f)), "spherical": np.ones(k)}
    for cov, arr in good.items():
        for other, wrong in good.items():
            m = SimpleNamespace(k=k, features=[f"x{i}" for i in range(f)], shares=np.full(k, 1 / k), method="lpa",
                                method_object=get_method("lpa"),
                                parameters={"covariance": cov, "means": np.zeros((k, f)), "covariances": wrong},
                                names={}, uncertain_below=0.6, standardisation={}, attachments={})
            if other == cov:
                check_model(m, "model.json")
            else:
                with pytest.raises(DataError, match=f"covariances have shape .* as covariance '{cov}'"):
                    check_model(m, "model.json")


def _as_other_study(src: Path, dst: Path, name="ACME Supply: customer needs and segments") -> int:
    """The deck of ``src`` re-labelled as another client's: keywords, title and every text naming the study."""
    from pptx import Presentation

    prs = Presentation(str(src))
    cp = prs.core_properties
    own = re.match(r"^(.*): personas, wave", cp.title).group(1)
    cp.keywords = re.sub(r"study=[^;]+", "study=acme", cp.keywords)
    cp.title = cp.title.replace(own, name)
    n = 0
    for slide in prs.slides:
        for shp in slide.shapes:
            if shp.has_text_frame:
                for para in shp.text_frame.paragraphs:
                    for run in para.runs:
                        if own in run.text:
                            run.text = run.text.replace(own, name)
                            n += 1
    prs.save(str(dst))
    return n


def test_deck_of_another_study_is_refused_and_allowed_only_with_every_text_listed(capsys, hostile_run, hostile_study,
                                                                                 tmp_path):
    study, reports = _copy_run(hostile_run, hostile_study, tmp_path)
    edited = tmp_path / "acme-edited.pptx"
    n = _as_other_study(reports / "demo" / "1" / "personas.pptx", edited)
    assert n >= 2
    out = tmp_path / "updated.pptx"
    code, err = cli(capsys, ["-q", "deck", study, "--wave", "1", "--reports", reports, "--update", edited, "-o", out])
    assert_named_error(code, err, "made for study 'acme'", "ACME Supply", "--allow-other-study")
    assert not out.exists()
    capsys.readouterr()
    code = main_out = None
    from workbench.cli import main

    code = main(["-q", "deck", str(study), "--wave", "1", "--reports", str(reports), "--update", str(edited), "-o",
                 str(out), "--allow-other-study"])
    main_out = capsys.readouterr().out
    assert code == 0 and out.is_file()
    listed = re.search(r"WARNING: (\d+) texts still name the other study's client", main_out)
    assert listed and int(listed.group(1)) >= n, main_out


@pytest.mark.parametrize("with_study", [False, True])
def test_classify_refuses_a_pii_column_as_the_id(capsys, hostile_run, hostile_study, tmp_path, with_study):
    tool = hostile_run.model.attachments["typing_tool"]
    qs = list(tool["questions"])
    answers = tmp_path / "answers.csv"
    answers.write_text(",".join(["id", "contact_email", *qs]) + "\n" + "a1,ann@example.com," + ",".join(["3"] * len(qs))
                       + "\n", encoding="utf-8")
    extra = ["--study", hostile_study] if with_study else []
    code, err = _classify(capsys, hostile_run.folder / "model.json", answers, "--id", "contact_email", *extra)
    assert_named_error(code, err, "declared as personal data", "contact_email")
    code, err = _classify(capsys, hostile_run.folder / "model.json", answers, *extra)  # a pseudonymous id is fine
    assert code == 0, err


def test_deck_into_a_read_only_report_folder(capsys, hostile_run, hostile_study, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a read-only tmpfs")
    study, reports = _copy_run(hostile_run, hostile_study, tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(ro)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        shutil.copytree(reports, ro / "reports")
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        code, err = cli(capsys, ["-q", "deck", study, "--wave", "1", "--reports", ro / "reports"])
        assert_named_error(code, err, "read-only")
    finally:
        subprocess.run(["umount", "-l", str(ro)], capture_output=True)
