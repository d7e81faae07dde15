"""One wave end to end on the demo study: the quality checks find what was planted,
nothing personal reaches the reports, and the same inputs give the same outputs."""

from __future__ import annotations

import json
import re

import openpyxl
import pandas as pd
import pytest

from workbench.pipeline import run_wave
from workbench.study import load_study


@pytest.fixture(scope="module")
def wave1(demo_run):
    return demo_run, demo_run.folder.parent.parent


def test_quality_finds_the_planted_bad_respondents(wave1, demo_study):
    run, _ = wave1
    truth = pd.read_csv(demo_study / "truth" / "respondents_wave1.csv", dtype={"resp_id": str})
    ex = run.quality.exclusions
    excluded = set(ex.loc[ex["excluded"], "respondent"])
    for flag in ("speeder", "straightliner", "breakoff"):
        planted = set(truth.loc[truth[flag] == 1, "resp_id"])
        assert planted, flag
        assert planted <= excluded, f"planted {flag}s not excluded: {sorted(planted - excluded)[:5]}"
    planted_bad = set(truth.loc[truth[["speeder", "straightliner", "breakoff"]].any(axis=1), "resp_id"])
    dup_ids = set(truth.loc[truth["duplicate"] == 1, "resp_id"])
    # every excluded respondent is a planted problem (duplicates keep one submission)
    assert excluded <= planted_bad | dup_ids
    assert run.clean.n == len(truth["resp_id"].unique()) - len(planted_bad)
    assert run.clean.data.index.is_unique


def test_duplicates_keep_the_later_submission(wave1, demo_study):
    run, _ = wave1
    truth = pd.read_csv(demo_study / "truth" / "respondents_wave1.csv", dtype={"resp_id": str})
    dups = truth[truth["duplicate"] == 1]
    assert len(dups) >= 2
    for rid, rows in dups.groupby("resp_id"):
        if rid in run.clean.data.index:
            last = rows.loc[rows["submission"].idxmax(), "file_row"]
            assert run.clean.provenance.loc[rid, "row"] == last


def test_report_folder_holds_no_personal_data(wave1):
    run, reports = wave1
    pii_values = {str(v) for v in run.responses.pii.stack().dropna() if str(v).strip()}
    assert len(pii_values) > 1000
    for path in run.folder.iterdir():
        if path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path, read_only=True)
            cells = {str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None}
            assert not cells & pii_values, f"{path.name} holds personal data"
            assert not cells & set(run.study.pii)
        elif path.suffix == ".pptx":
            from pptx import Presentation

            prs = Presentation(str(path))
            text = "\n".join([sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame]
                             + [s.notes_slide.notes_text_frame.text for s in prs.slides if s.has_notes_slide])
            assert not any(v in text for v in pii_values), f"{path.name} holds personal data"
        else:
            text = path.read_text(encoding="utf-8")
            assert not any(v in text for v in list(pii_values)[:500])


def test_manifest_records_inputs_versions_seed_and_hash(wave1, demo_study):
    run, _ = wave1
    man = json.loads((run.folder / "manifest.json").read_text(encoding="utf-8"))
    study = load_study(demo_study)
    assert man["seed"] == study.seed == 20261123
    assert man["study_definition"]["content_sha256"] == study.hash
    assert sorted(p.split("/")[-1] for p in man["inputs_sha256"]) == [
        "customers.csv", "responses.csv", "transactions.csv"
    ]
    assert all(len(h) == 64 for h in man["inputs_sha256"].values())
    # every interview of the file is read (the demo's size follows its generator: colleagues of an account, i29b)
    rows = pd.read_csv(demo_study / "waves" / "1" / "responses.csv", sep=";", dtype=str, encoding="utf-8-sig")
    assert man["counts"]["respondents_read"] == len(rows) > 1000
    assert man["counts"]["respondents_kept"] == run.clean.n
    assert {"read", "quality", "write"} <= set(man["step_seconds"])


def _untimed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the rows that hold a time stamp (when a model was saved)."""
    stamp = frame.astype(str).apply(lambda col: col.str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")).any(axis=1)
    return frame[~stamp].reset_index(drop=True)


def test_same_inputs_same_numbers(tmp_path):
    """Two runs of one wave with the same inputs and seed write the same numbers: every sheet of
    every workbook (but the sources and about sheets: paths and times), the label and customer
    files, the scorecard and the saved model. On a smaller generated study of its own (another
    seed and size than the demo), so that the check costs two small runs, not two demo runs."""
    from workbench.demo import generate_demo

    root = tmp_path / "study"
    generate_demo(root, seed=3, n_customers=700, n_respondents=320)
    path = root / "study.yaml"  # the demo's factor names fit its own factor counts, not this sample's
    text = re.sub(r"(?m)^(\s+)names: \{.*\}$", r"\1names: {}", path.read_text(encoding="utf-8"))
    # determinism needs no hunt for the optimum, nor a decided bootstrap LRT
    text = re.sub(r"(?m)^  n_init: .*$", "  n_init: 6\n  blrt_reps: 19", text)
    text = re.sub(r"(?m)^  k_max: .*$", "  k_max: 4", text)  # every method, at k the 402 respondents support
    path.write_text(text, encoding="utf-8")
    a_run = run_wave(root, "1", reports=tmp_path / "a")
    b_run = run_wave(root, "1", reports=tmp_path / "b")
    books = sorted(p.name for p in a_run.folder.glob("*.xlsx"))
    assert {"quality.xlsx", "behaviour.xlsx", "factors.xlsx", "segments.xlsx", "profiles.xlsx"} <= set(books)
    for book in books:
        a = pd.read_excel(a_run.folder / book, sheet_name=None)
        b = pd.read_excel(b_run.folder / book, sheet_name=None)
        assert a.keys() == b.keys()
        for name in a:
            if name.lower() in ("sources", "about"):  # file paths and timestamps differ by design
                continue
            pd.testing.assert_frame_equal(_untimed(a[name]), _untimed(b[name]), obj=f"{book}:{name}")
    for name in ("segment_labels.csv", "respondent_segments.csv", "customer_segments.csv", "scorecard.md"):
        if (a_run.folder / name).exists():
            assert (a_run.folder / name).read_bytes() == (b_run.folder / name).read_bytes(), name
    ma, mb = (json.loads((r.folder / "model.json").read_text(encoding="utf-8")) for r in (a_run, b_run))
    for m in (ma, mb):
        for part in (m, *(m.get("attachments") or {}).values()):  # when it was fitted / saved
            for stamp in ("created", "fitted", "manifest"):
                part.pop(stamp, None)
    assert ma == mb


def test_spss_wave_reads_like_the_csv_wave(demo_study):
    from workbench.validation import validate

    ((wave, responses, quality),) = validate(demo_study, ["2"])
    clean = quality.apply(responses)
    assert responses.formats == ["sav"]
    assert clean.data["need_01"].dropna().isin([1, 2, 3, 4, 5]).all()
    verbatims = " ".join(clean.data["verbatim_job"].dropna())
    assert any(ch in verbatims for ch in "æøå") and "ö" in verbatims


def test_the_flow_recommends_the_planted_segmentation(wave1, demo_study):
    from sklearn.metrics import adjusted_rand_score

    run, _ = wave1
    card = run.scorecard
    best = card.best
    assert best.k == 5, card.reason
    assert best.passes_all, best.checks.to_string()
    truth = pd.read_csv(demo_study / "truth" / "respondents_wave1.csv", dtype={"resp_id": str})
    truth = truth.drop_duplicates("resp_id", keep="last").set_index("resp_id")["segment"]
    chosen = next(c for c in run.candidates if c.name == best.name).labels.dropna()
    assert adjusted_rand_score(truth.reindex(chosen.index), chosen) >= 0.8
    # the labels file the consultant gets holds the same assignment
    column = best.name.replace(" k=", "_")
    written = pd.read_csv(run.folder / "segment_labels.csv", dtype=str).set_index(run.study.respondent_id)[column]
    assert (written.reindex(chosen.index).astype(int) == chosen.astype(int)).all()
    # the personas the client will see describe five segments, each with quotes free of PII
    assert len(run.personas) == 5
