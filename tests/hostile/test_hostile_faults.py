"""Faults of the machine and hostile edits that must end as one named error, never exit 3 (issue 24).

Groups: the file system (a file, /dev/null or a 300-byte name as --reports; a read-only
reports root; a full disk; the atomic writer), leftovers (symlinked or misshapen lock, temp
and old paths), ids portable to Windows and macOS, study-plan values, a small sample, text
no workbook or deck can hold, YAML 1.1 words in personas.yaml.  Plan values, ids and
characters are also drawn at random from a fixed seed (hypothesis is not installed): the
property is the exit code and the message, whatever the value.

File-system faults are real where the suite runs as root (a 64 KiB tmpfs for a full disk, a
read-only tmpfs for a read-only root); elsewhere a patched writer raises the same OSError.
The mini study (no segmentation) runs in this process in well under a second.
"""

from __future__ import annotations

import errno
import json
import os
import random
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import MINI_ROWS, MINI_STUDY, write_mini
from hostile_helpers import assert_named_error, cli, snapshot
from test_hostile_fast import box  # noqa: F401 - the same work area: the mini study, reports, a victim folder

RNG_SEED = 20261207


def _run(capsys, study, reports, *extra, wave="1"):
    return cli(capsys, ["-q", "run", study, "--wave", wave, "--reports", reports, *extra])


def _no_leftovers(root: Path) -> list[str]:
    """Temporary folders, locks and temp files the workbench might have left below ``root``."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            if ".tmp-" in n or ".old-" in n or n.endswith(".lock") or n.endswith(".tmp"):
                out.append(os.path.join(dirpath, n))
    return out


# --------------------------------------------------------------------------- mounts (root only)


@pytest.fixture
def mount():
    """``mount(path, options)`` -> True when a tmpfs was mounted there (root only); unmounted after."""
    done = []

    def _mount(path: Path, options: str) -> bool:
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return False
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
        if r.returncode == 0:
            done.append(path)
        return r.returncode == 0

    yield _mount
    for p in reversed(done):
        subprocess.run(["umount", "-l", str(p)], capture_output=True)


def _remount_ro(path: Path) -> bool:
    return subprocess.run(["mount", "-o", "remount,ro", str(path)], capture_output=True).returncode == 0


# --------------------------------------------------------------------------- 1. the file system

NOT_A_FOLDER = {
    "a_file": lambda b: _touch(b["root"] / "afile"),
    "below_a_file": lambda b: _touch(b["root"] / "afile") / "sub",
    "dev_null": lambda b: Path("/dev/null"),
    "name_300_bytes": lambda b: b["root"] / ("x" * 300),
}


def _touch(p: Path) -> Path:
    p.write_text("a file", encoding="utf-8")
    return p


@pytest.mark.parametrize("case", sorted(NOT_A_FOLDER))
def test_reports_root_that_cannot_be_a_folder(capsys, box, case):
    reports = NOT_A_FOLDER[case](box)
    before = snapshot(box["root"])
    code, err = _run(capsys, box["study"], reports)
    msg = assert_named_error(code, err, "cannot create the lock", "--reports")
    assert ("not a directory" in msg.lower()) or ("too long" in msg.lower())
    assert snapshot(box["root"]) == before  # nothing half-written, no lock, no empty folders


def test_read_only_reports_root(capsys, box, mount, monkeypatch):
    reports = box["root"] / "ro"
    if mount(reports, "size=1m") and _remount_ro(reports):
        pass
    else:  # not root: the lock's open raises what a read-only file system raises
        real_open = os.open

        def ro_open(path, flags, *a, **k):
            if str(path).endswith(".lock"):
                raise OSError(errno.EROFS, "Read-only file system", str(path))
            return real_open(path, flags, *a, **k)

        monkeypatch.setattr(os, "open", ro_open)
        reports.mkdir(exist_ok=True)
    code, err = _run(capsys, box["study"], reports)
    assert_named_error(code, err, "read-only", "choose a writable folder")
    assert _no_leftovers(box["root"]) == []


def test_read_only_reports_root_with_force(capsys, box, mount):
    reports = box["root"] / "ro"
    if not mount(reports, "size=2m"):
        pytest.skip("needs root to mount a tmpfs")
    assert _run(capsys, box["study"], reports)[0] == 0
    before = snapshot(reports)
    assert _remount_ro(reports)
    code, err = _run(capsys, box["study"], reports, "--force")
    assert_named_error(code, err, "read-only")
    assert snapshot(reports) == before  # the previous outputs are untouched


def test_full_disk_leaves_nothing_and_releases_the_lock(capsys, box, mount, monkeypatch):
    reports = box["root"] / "tiny"
    if not mount(reports, "size=8k"):  # two pages: the lock fits, the 12 KiB quality workbook does not
        from workbench.files.outputs import Manifest

        def full(self, folder):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(Manifest, "write", full)
    study = box["study"]
    code, err = _run(capsys, study, reports)
    assert_named_error(code, err, "No space left on device", "free some space")
    assert _no_leftovers(reports) == [] and not (reports / "mini" / "1").exists()
    monkeypatch.undo()
    if os.path.ismount(reports):  # the lock was released: with room again, the same run goes through
        subprocess.run(["mount", "-o", "remount,size=4m", str(reports)], check=True)
        assert _run(capsys, study, reports)[0] == 0


ATOMIC_TARGETS = ["symlink_to_outside", "dangling_symlink", "folder", "dev_null", "read_only", "full"]


@pytest.mark.parametrize("case", ATOMIC_TARGETS)
def test_atomic_writer_never_writes_through_or_half(box, mount, monkeypatch, case):
    from workbench.core.errors import OutputError
    from workbench.files.fileio import atomic_write_bytes

    folder = box["root"] / "w"
    folder.mkdir()
    target = folder / "personas.yaml"
    data = b"x" * 1000
    if case == "symlink_to_outside":
        target.symlink_to(box["victim"] / "precious.txt")
    elif case == "dangling_symlink":
        target.symlink_to(box["victim"] / "nothing-here")
    elif case == "folder":
        target.mkdir()
    elif case == "dev_null":
        target = Path("/dev/null")
    elif case == "read_only":
        if not (mount(folder, "size=64k") and _remount_ro(folder)):
            monkeypatch.setattr("tempfile.mkstemp", _raiser(errno.EROFS, "Read-only file system"))
    elif case == "full":
        if mount(folder, "size=64k"):
            data = b"x" * 200_000
        else:
            monkeypatch.setattr(os, "fsync", _raiser(errno.ENOSPC, "No space left on device"))
    before = snapshot(box["root"])
    with pytest.raises(OutputError) as exc:
        atomic_write_bytes(target, data, what="the personas file")
    assert str(target.name) in str(exc.value) or "personas" in str(exc.value)
    assert snapshot(box["root"]) == before  # no temp file, the link and its target untouched
    assert (box["victim"] / "precious.txt").read_text(encoding="utf-8") == "do not touch"


def _raiser(err, text):
    def f(*a, **k):
        raise OSError(err, text)
    return f


# --------------------------------------------------------------------------- 3. leftovers never trusted


def test_old_leftover_symlink_is_never_put_in_place(capsys, box):
    victim = box["victim"] / "their-folder"
    victim.mkdir()
    (victim / "manifest.json").write_text(json.dumps({"study": "mini", "wave": "1"}), encoding="utf-8")
    study_dir = box["reports"] / "mini"
    study_dir.mkdir(parents=True)
    (study_dir / ".1.old-999999999-deadbeef").symlink_to(victim, target_is_directory=True)
    (study_dir / ".1.tmp-999999999-deadbeef").symlink_to(box["victim"], target_is_directory=True)
    code, err = _run(capsys, box["study"], box["reports"])
    assert code == 0, err
    assert not (study_dir / "1").is_symlink() and (study_dir / "1" / "manifest.json").is_file()
    assert sorted(p.name for p in study_dir.iterdir()) == ["1"]
    assert sorted(p.name for p in victim.iterdir()) == ["manifest.json"]
    assert (box["victim"] / "precious.txt").is_file()


def test_old_leftover_that_is_not_ours_is_not_put_in_place(capsys, box):
    study_dir = box["reports"] / "mini"
    old = study_dir / ".1.old-999999999-cafecafe"
    old.mkdir(parents=True)
    (old / "notes.txt").write_text("someone's", encoding="utf-8")
    code, err = _run(capsys, box["study"], box["reports"])
    assert code == 0, err
    assert (study_dir / "1" / "manifest.json").is_file() and not (study_dir / "1" / "notes.txt").exists()
    assert (old / "notes.txt").is_file()  # left where it was, named in a warning, never deleted unseen


def test_report_folder_that_is_a_symlink_is_refused(capsys, box):
    (box["reports"] / "mini").mkdir(parents=True)
    (box["reports"] / "mini" / "1").symlink_to(box["victim"], target_is_directory=True)
    code, err = _run(capsys, box["study"], box["reports"], "--force")
    assert_named_error(code, err)
    assert sorted(p.name for p in box["victim"].iterdir()) == ["precious.txt"]


LOCK_KINDS = ["dangling_symlink", "symlink_to_a_file", "empty_folder", "huge_pid", "older_than_any_run"]


@pytest.mark.parametrize("kind", LOCK_KINDS)
def test_misshapen_or_stale_lock_is_cleared(capsys, box, kind):
    lock = box["reports"] / "mini" / ".1.lock"
    lock.parent.mkdir(parents=True)
    if kind == "dangling_symlink":
        lock.symlink_to(box["root"] / "gone")
    elif kind == "symlink_to_a_file":
        lock.symlink_to(box["victim"] / "precious.txt")
    elif kind == "empty_folder":
        lock.mkdir()
    elif kind == "huge_pid":
        lock.write_text(json.dumps({"pid": 2**70, "host": socket.gethostname(), "started": "x"}), encoding="utf-8")
    else:
        lock.write_text(json.dumps({"pid": 1, "host": "another-host", "started": "2020-01-01"}), encoding="utf-8")
        old = time.time() - 25 * 3600
        os.utime(lock, (old, old))
    code, err = _run(capsys, box["study"], box["reports"])
    assert code == 0, err
    assert not os.path.lexists(lock)
    assert (box["victim"] / "precious.txt").read_text(encoding="utf-8") == "do not touch"


def test_lock_folder_with_contents_is_refused_by_name(capsys, box):
    lock = box["reports"] / "mini" / ".1.lock"
    lock.mkdir(parents=True)
    (lock / "x").write_text("x", encoding="utf-8")
    code, err = _run(capsys, box["study"], box["reports"])
    assert_named_error(code, err, "is a folder with contents", ".1.lock")


# --------------------------------------------------------------------------- 4. ids portable to Windows and macOS

PORTABLE_BAD = ["COM\u00b9", "LPT\u00b2", "com3", "COM0", "lpt9.txt", "Con.backup", "nul.tar.gz", "demo.", "1.",
                "1.tmp-1-deadbeef", "w.old-7-cafecafe", "x.lock"]


def _random_bad_ids(n: int) -> list[str]:
    """Reserved names with random case and suffixes, and random ids with a trailing dot."""
    rng = random.Random(RNG_SEED)
    out = []
    letters = "abcdefghijklmnopqrstuvwxyzæøå0123456789"
    for _ in range(n):
        base = rng.choice(["con", "prn", "aux", "nul"] + [f"{p}{d}" for p in ("com", "lpt") for d in "0123456789¹²³"])
        base = "".join(c.upper() if rng.random() < 0.5 else c for c in base)
        suffix = "".join(rng.choice(letters) for _ in range(rng.randint(1, 5)))
        out.append(rng.choice([base, f"{base}.{suffix}"]))
        out.append("".join(rng.choice(letters) for _ in range(rng.randint(1, 12))) + ".")
    return out


@pytest.mark.parametrize("bad", PORTABLE_BAD + _random_bad_ids(6))
def test_unportable_wave_id_is_refused_with_the_rule(capsys, box, bad):
    (box["study"] / "study.yaml").write_text(MINI_STUDY.replace('- id: "1"', f"- id: {json.dumps(bad)}"),
                                             encoding="utf-8")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    msg = assert_named_error(code, err, "wave id", "not a safe name")
    assert any(rule in msg for rule in ("Windows reserves", "Windows drops", "temporary or lock names"))


def test_good_ids_stay_accepted():
    from workbench.files.safeids import id_problem

    rng = random.Random(RNG_SEED)
    letters = "abcdefghijklmnopqrstuvwxyzæøåÆØÅäöüß0123456789"
    for _ in range(300):
        v = rng.choice(letters[:-10]) + "".join(rng.choice(letters + "._-") for _ in range(rng.randint(0, 20)))
        v = v.rstrip(".")
        if ".." in v or v.split(".")[0].casefold() in {"con", "prn", "aux", "nul"} or ".tmp-" in v or ".old-" in v \
                or v.endswith(".lock") or v[:3].casefold() in ("com", "lpt") and len(v.split(".")[0]) == 4:
            continue
        assert id_problem(v) is None, v


def test_waves_differing_only_in_case_are_refused(capsys, box):
    text = MINI_STUDY.replace('  - id: "1"\n    files: [w1.csv]',
                              '  - id: "a"\n    files: [w1.csv]\n  - id: "A"\n    files: [w1.csv]')
    (box["study"] / "study.yaml").write_text(text, encoding="utf-8")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    assert_named_error(code, err, "differ only in upper/lower case", "waves[1].id")


@pytest.mark.parametrize("raw, needle", [("true", "a boolean"), ("1.10", "a number"), ("no", None)])
def test_wave_id_yaml_reads_as_another_type(capsys, box, raw, needle):
    (box["study"] / "study.yaml").write_text(MINI_STUDY.replace('- id: "1"', f"- id: {raw}"), encoding="utf-8")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    if needle is None:  # YAML 1.2 words: 'no' is the text "no"
        assert code == 0, err
    else:
        assert_named_error(code, err, needle, "quotes")


# --------------------------------------------------------------------------- study-plan values


def _random_out_of_range_seeds(n):
    rng = random.Random(RNG_SEED)
    return [-rng.randint(1, 2**70) for _ in range(n)] + [2**32 + rng.randint(0, 2**70) for _ in range(n)]


@pytest.mark.parametrize("seed", ["-5", str(2**64), "true", "1.5", '"7"', *map(str, _random_out_of_range_seeds(3))])
def test_seed_out_of_bounds_is_refused_by_validate(capsys, box, seed):
    (box["study"] / "study.yaml").write_text(MINI_STUDY.replace("seed: 7", f"seed: {seed}"), encoding="utf-8")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    assert_named_error(code, err, "seed")


@pytest.mark.parametrize("seed", [0, 1, 2**32 - 1, 123456789])
def test_seed_in_bounds_is_accepted(capsys, box, seed):
    (box["study"] / "study.yaml").write_text(MINI_STUDY.replace("seed: 7", f"seed: {seed}"), encoding="utf-8")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    assert code == 0, err


def _random_bad_dates(n):
    rng = random.Random(RNG_SEED + 1)
    years = [rng.randint(1, 1899) for _ in range(n)] + [rng.randint(2200, 9999) for _ in range(n)] + [2262, 1]
    return [f"{y:04d}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}" for y in years]


@pytest.mark.parametrize("date", _random_bad_dates(2))
@pytest.mark.parametrize("key", ["fieldwork_start", "fieldwork_end"])
def test_dates_out_of_range_are_refused_with_the_key_path(capsys, box, date, key):
    text = MINI_STUDY.replace(f"{key}: 2026-01-{'05' if key == 'fieldwork_start' else '30'}", f"{key}: {date}")
    (box["study"] / "study.yaml").write_text(text, encoding="utf-8")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    assert_named_error(code, err, f"waves[0].{key}", "outside 1900-2199")


@pytest.mark.parametrize("key", ["weight", "customer_id"])
def test_a_pii_column_cannot_be_the_weight_or_customer_column(capsys, box, key):
    text = MINI_STUDY.replace("customer_id: kunde\n", "") + f"{key}: email\n"
    (box["study"] / "study.yaml").write_text(text, encoding="utf-8")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    assert_named_error(code, err, "declared as pii", f"{key}:" if False else key)


def test_small_sample_is_refused_naming_the_minimum(capsys, box):
    text = MINI_STUDY.replace("seed: 7\n", "seed: 7\nmin_segment_n: 30\nsegmentation:\n  basis: [needs]\n")
    (box["study"] / "study.yaml").write_text(text, encoding="utf-8")
    code, err = cli(capsys, ["validate", box["study"]])
    assert_named_error(code, err, "respondent(s) kept after the quality checks is too few for a segmentation",
                       "at least 60 needed", "min_segment_n")


# --------------------------------------------------------------------------- text no workbook or deck can hold

BAD_CHARS = ["\ufffe", "\uffff", "\x85", "\x9f", "\x0b", "\x7f"]


@pytest.mark.parametrize("ch", BAD_CHARS)
def test_unshowable_character_in_an_answer_is_replaced_and_named(capsys, box, ch):
    from openpyxl import load_workbook

    rows = [list(r) for r in MINI_ROWS]
    rows[2][7] = f"Hurtig{ch}levering"
    study = write_mini(box["root"] / "m2", rows=rows)
    code, err = cli(capsys, ["run", study, "--wave", "1", "--reports", box["reports"]])  # warnings shown
    assert code == 0, err
    assert "w1.csv, row 3, column 'why'" in err and f"U+{ord(ch):04X}" in err
    wb = load_workbook(box["reports"] / "mini" / "1" / "quality.xlsx")
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(ch in t for t in texts)


@pytest.mark.parametrize("ch", ["\ufffe", "\x85"])
def test_unshowable_character_in_a_respondent_id_is_refused(capsys, box, ch):
    rows = [list(r) for r in MINI_ROWS]
    rows[3][0] = f"r{ch}3"
    study = write_mini(box["root"] / "m2", rows=rows)
    code, err = _run(capsys, study, box["reports"])
    assert_named_error(code, err, "row 4", f"U+{ord(ch):04X}", "respondent id")


@pytest.mark.parametrize("escape", ["\\uFFFE", "\\uFFFF", "\\x85", "\\udc80", "\\N"])
def test_unshowable_character_in_study_yaml_is_refused_with_its_line(capsys, box, escape):
    text = MINI_STUDY.replace('text: "Lave priser"', f'text: "Lave{escape} priser"')
    (box["study"] / "study.yaml").write_text(text, encoding="utf-8")
    code, err = cli(capsys, ["validate", box["study"], "--definition-only"])
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "Lave" in ln)
    assert_named_error(code, err, f"line {line}:", "workbooks and decks cannot show")


def test_clean_frame_removes_every_unshowable_character():
    """Property: random texts with unshowable characters planted come back without any, same length,
    the rest unchanged; the report names the first row and the count."""
    import pandas as pd

    from workbench.files.cleantext import UNSHOWABLE, clean_frame

    rng = random.Random(RNG_SEED)
    bad = "".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), *range(0x7F, 0xA0), 0xD800, 0xDBFF,
                                   0xDC00, 0xDFFF, 0xFFFE, 0xFFFF])
    good = "abcæøå 12,.\t\n€—“”😀\u2028\ufffd"
    for _ in range(40):
        vals = ["".join(rng.choice(good + (bad if rng.random() < 0.3 else "")) for _ in range(rng.randint(0, 30)))
                for _ in range(8)]
        frame = pd.DataFrame({"t": vals, "n": range(8)}, index=[f"r{i}" for i in range(8)])
        out, found = clean_frame(frame)
        dirty = [i for i, v in enumerate(vals) if UNSHOWABLE.search(v)]
        assert all(not UNSHOWABLE.search(v) and len(v) == len(o) for v, o in zip(out["t"], vals))
        assert [v for i, v in enumerate(out["t"]) if i not in dirty] == [v for i, v in enumerate(vals) if i not in dirty]
        assert (found == []) == (dirty == []) and (not found or (found[0][1] == f"r{dirty[0]}" and found[0][3] == len(dirty)))


# --------------------------------------------------------------------------- one YAML reading for personas.yaml

PERSONAS_1_1 = """\
# my notes stay
study: mini
wave: '1'
personas:
- id: P1   # the price hunter
  segment: 1
  name: No
  description: off
  quotes: [yes, "No", n]
  locked: false
unmatched: []
"""


def test_persona_named_no_and_quote_yes_stay_text_through_the_round_trip(tmp_path):
    import yaml

    from workbench.describe.personas import load_personas, round_trip_yaml

    path = tmp_path / "personas.yaml"
    path.write_text(PERSONAS_1_1, encoding="utf-8")
    p = load_personas(path)["personas"][0]
    assert (p["name"], p["description"], p["quotes"], p["locked"]) == ("No", "off", ["yes", "No", "n"], False)
    fresh = yaml.safe_dump({"study": "mini", "wave": "1", "personas": [dict(p)], "unmatched": []}, sort_keys=False)
    out = round_trip_yaml(PERSONAS_1_1, fresh)
    assert "# my notes stay" in out and "# the price hunter" in out
    path.write_text(out, encoding="utf-8")
    again = load_personas(path)["personas"][0]
    assert (again["name"], again["quotes"]) == ("No", ["yes", "No", "n"])
    assert yaml.safe_load(out)["personas"][0]["name"] == "No"  # quoted: a YAML 1.1 reader sees text too


@pytest.mark.parametrize("edit, needle", [("need_01: 2.5", "profile value need_01: 'high' is not a number"),
                                          ("segment: 1", "segment 'one' is not a segment number"),
                                          ("locked: false", "locked: 'yes' must be true or false")])
def test_personas_bookkeeping_is_checked_with_its_line(tmp_path, edit, needle):
    from workbench.core.errors import StudyError
    from workbench.describe.personas import load_personas

    text = PERSONAS_1_1.replace("  locked: false\n", "  locked: false\n  profile:\n    need_01: 2.5\n")
    bad = {"need_01: 2.5": "need_01: high", "segment: 1": "segment: one", "locked: false": "locked: yes"}[edit]
    path = tmp_path / "personas.yaml"
    path.write_text(text.replace(edit, bad), encoding="utf-8")
    with pytest.raises(StudyError, match=needle) as exc:
        load_personas(path)
    assert exc.value.row == next(i for i, ln in enumerate(text.replace(edit, bad).splitlines(), 1) if bad in ln)


# --------------------------------------------------------------------------- the JSON bound


def test_json_depth_is_measured_without_recursion():
    from workbench.core.errors import DataError
    from workbench.files.jsonplain import MAX_JSON_DEPTH, bounded_loads, json_depth

    assert json_depth('{"a": "[[[[", "b": [[1], {"c": []}]}') == 4  # brackets in texts do not count
    assert json_depth("[" * 200_000 + "]" * 200_000) > MAX_JSON_DEPTH
    with pytest.raises(DataError, match="more than 64 levels deep"):
        bounded_loads('{"x": ' + "[" * 200_000 + "]" * 200_000 + "}", what="the model file")
    assert bounded_loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
