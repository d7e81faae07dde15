"""Later waves in the flow: the model file written on wave 1, wave 2 classified with it,
tracked against wave 1, the standalone scorer, and the whole customer base."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main

pytestmark = pytest.mark.slow


def _truth_map(study_root, wave, segments: pd.Series) -> dict:
    """Model segment -> planted segment name, by majority among the wave's respondents."""
    truth = pd.read_csv(study_root / "truth" / f"respondents_wave{wave}.csv", dtype={"resp_id": str})
    truth = truth.drop_duplicates("resp_id").set_index("resp_id")["segment_name"]
    both = pd.concat([segments.rename("model"), truth.rename("truth")], axis=1, join="inner").dropna()
    return both.groupby("model")["truth"].agg(lambda s: s.value_counts().index[0]).to_dict()


def test_wave1_writes_model_typing_tool_and_whole_base(demo_run):
    folder = demo_run.folder
    for name in ("model.json", "typing_tool.xlsx", "respondent_segments.csv", "customer_segments.csv"):
        assert (folder / name).is_file(), name
    doc = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert doc["wave"] == "1" and doc["study"]["hash"] == demo_run.study.hash
    assert {"typing_tool", "base_model"} <= set(doc["attachments"])
    assert doc["factors"], "the factor solutions are kept, to be confirmed on later waves"
    assert b"pickle" not in (folder / "model.json").read_bytes()
    # every customer of the base gets a segment; a surveyed customer has its respondent's survey
    # segment, and one with several respondents (colleagues, B2B) that of its most certain respondent
    cust = pd.read_csv(folder / "customer_segments.csv", dtype=str).set_index(demo_run.behaviour.key)
    base = demo_run.behaviour.customers
    assert set(cust.index) == set(base.index.astype(str))
    assert cust["segment"].notna().all()
    resp = pd.read_csv(folder / "respondent_segments.csv", dtype={0: str}, index_col=0)
    ids = demo_run.behaviour.respondents[demo_run.behaviour.key].reindex(resp.index).dropna().astype(str)
    survey = cust.loc[ids.to_numpy()]
    assert (survey["source"] == "survey").all()
    frame = resp.loc[ids.index, ["segment", "probability"]].assign(customer=ids.to_numpy())
    most_certain = frame.loc[frame.groupby("customer", sort=False)["probability"].idxmax(), ["customer", "segment"]]
    want = most_certain.set_index("customer")["segment"]
    assert (cust.loc[want.index, "segment"].astype(int) == want).all()
    several = frame.groupby("customer")["segment"].agg(["size", "nunique"])
    assert (several["size"] > 1).any() and (several["size"] == 1).any()  # both kinds of customer in the demo
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["counts"]["customers_with_disagreeing_respondents"] == int((several["nunique"] > 1).sum())


def test_wave2_is_classified_with_the_wave1_model(demo_run, demo_wave2):
    folder = demo_wave2.folder
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["model"]["fitted_on_wave"] == "1"
    assert str(demo_run.folder / "model.json") in man["inputs_sha256"]
    assert not (folder / "model.json").exists()  # the model belongs to the wave it was fitted on
    # wave 1's outputs are untouched by wave 2's run: every file still has the hash its manifest recorded
    from workbench.files.outputs import file_sha256

    man1 = json.loads((demo_run.folder / "manifest.json").read_text(encoding="utf-8"))
    assert man1["outputs_sha256"] and all(file_sha256(demo_run.folder / f) == h
                                          for f, h in man1["outputs_sha256"].items())
    seg = pd.read_csv(folder / "respondent_segments.csv", index_col=0, dtype={0: str})
    assert {"segment", "name", "probability", "uncertain"} <= set(seg.columns)
    assert seg["segment"].notna().mean() > 0.99
    # the frozen segments are the planted ones on the new wave too
    mapping = _truth_map(demo_run.study.root, 2, seg["segment"])
    assert len(set(mapping.values())) == len(mapping) == 5
    # uncertain is exactly "largest probability below the study's threshold"
    thr = demo_run.study.spec.segmentation.uncertain_below
    assert (seg["uncertain"] == (seg["probability"] < thr)).all()


def test_tracking_finds_the_planted_shifts_and_no_false_alarms(demo_run, demo_wave2):
    tr = demo_wave2.tracking
    seg = pd.read_csv(demo_wave2.folder / "respondent_segments.csv", index_col=0, dtype={0: str})["segment"]
    mapping = _truth_map(demo_run.study.root, 2, seg)
    ch = tr.changes.table.reset_index()
    ch["truth"] = ch["segment"].map(mapping)
    row = ch.set_index("truth")
    assert row.loc["Digital self-servers", "significant"] and row.loc["Digital self-servers", "change_points"] > 0
    assert row.loc["Relationship-reliant installers", "significant"]
    assert row.loc["Relationship-reliant installers", "change_points"] < 0
    for unchanged in ("Reliability-critical producers", "Occasional small buyers"):
        assert not row.loc[unchanged, "significant"], unchanged
    book = pd.ExcelFile(demo_wave2.folder / "tracking.xlsx")
    assert {"Sizes", "Size changes", "Profile drift", "Re-fit checks"} <= set(book.sheet_names)
    # the same segments in wave 1's file and wave 2's table: sizes add to one per wave
    sizes = tr.sizes
    assert set(sizes["wave"].astype(str)) == {"1", "2"}
    assert np.allclose(sizes.groupby("wave")["share"].sum(), 1.0)


def test_changed_study_is_refused_with_the_list_of_changes(demo_run, tmp_path, capsys):
    study = tmp_path / "demo"
    shutil.copytree(demo_run.study.root, study, ignore=shutil.ignore_patterns("truth"))
    model = json.loads((demo_run.folder / "model.json").read_text(encoding="utf-8"))
    items = model["basis_items"]
    text = (study / "study.yaml").read_text(encoding="utf-8")
    old = "codes: {1: Strongly disagree, 2: Disagree, 3: Neither, 4: Agree, 5: Strongly agree}"
    assert old in text
    (study / "study.yaml").write_text(text.replace(old, old.replace("3: Neither", "3: Neutral"), 1), encoding="utf-8")
    code = main(["run", str(study), "--wave", "2", "--reports", str(tmp_path / "reports"),
                 "--model", str(demo_run.folder / "model.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert items[0] in err and "'Neither' now 'Neutral'" in err and "Traceback" not in err
    assert not (tmp_path / "reports").exists()


def test_later_wave_without_an_earlier_model_says_what_to_do(demo_study, tmp_path, capsys):
    code = main(["run", str(demo_study), "--wave", "2", "--reports", str(tmp_path / "reports")])
    err = capsys.readouterr().err
    assert code == 2
    assert "run wave 1 first" in err and "--refit" in err
    assert not (tmp_path / "reports").exists()


def test_classify_command_reproduces_the_run(demo_run, demo_wave2, tmp_path, capsys):
    """The standalone scorer on wave 2's answers gives the run's classification."""
    model = demo_run.folder / "model.json"
    doc = json.loads(model.read_text(encoding="utf-8"))
    items = doc["basis_items"]
    data = demo_wave2.clean.data[items]
    answers = tmp_path / "answers.csv"
    data.to_csv(answers, encoding="utf-8")
    out = tmp_path / "segments.csv"
    assert main(["classify", str(answers), "--model", str(model), "-o", str(out)]) == 0
    got = pd.read_csv(out, index_col=0, dtype={0: str})
    run = pd.read_csv(demo_wave2.folder / "respondent_segments.csv", index_col=0, dtype={0: str})
    assert (got["segment"].to_numpy() == run.loc[got.index, "segment"].to_numpy()).all()
    assert np.allclose(got["probability"], run.loc[got.index, "probability"])
    # only the golden questions: the typing tool
    golden = doc["attachments"]["typing_tool"]["questions"]
    short = tmp_path / "golden.csv"
    data[golden].dropna().to_csv(short, sep=";", encoding="utf-8-sig")
    out2 = tmp_path / "typed.csv"
    assert main(["classify", str(short), "--model", str(model), "-o", str(out2)]) == 0
    assert "typing" in capsys.readouterr().err
    typed = pd.read_csv(out2, index_col=0, dtype={0: str})
    agree = (typed["segment"].to_numpy() == run.loc[typed.index, "segment"].to_numpy()).mean()
    assert agree > 0.7  # the typing tool reproduces most memberships on a new wave
    # a bad cell is named by row and column
    bad = data.head(5).copy().astype(object)
    bad.iloc[3, 2] = "agree"
    bad_file = tmp_path / "bad.csv"
    bad.to_csv(bad_file, encoding="utf-8")
    assert main(["classify", str(bad_file), "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert "row 5" in err and items[2] in err and "'agree'" in err


def test_classify_command_places_customers_from_their_features(demo_run, tmp_path):
    """The whole-base scorer of the model file, on a CSV of customer features, agrees with
    the run's customer_segments.csv for the customers it placed by model."""
    from workbench.waves.base import BaseModel

    model = demo_run.folder / "model.json"
    base = BaseModel.from_dict(json.loads(model.read_text(encoding="utf-8"))["attachments"]["base_model"])
    feats = demo_run.behaviour.customers[list(base.features)]
    feats.index = feats.index.astype(str)
    run = pd.read_csv(demo_run.folder / "customer_segments.csv", dtype={0: str}, index_col=0)
    placed = run.index[run["source"] == "model"][:200]
    answers = tmp_path / "customers.csv"
    feats.loc[placed].to_csv(answers, encoding="utf-8")
    out = tmp_path / "placed.csv"
    assert main(["classify", str(answers), "--model", str(model), "--using", "base", "-o", str(out)]) == 0
    got = pd.read_csv(out, index_col=0, dtype={0: str})
    assert list(got.index) == list(placed)
    assert (got["segment"].to_numpy() == run.loc[placed, "segment"].to_numpy()).all()
    assert np.allclose(got["probability"], run.loc[placed, "probability"])


def test_a_question_the_new_wave_did_not_ask_is_a_missing_answer(demo_run, demo_wave2, tmp_path, caplog):
    """A later wave that drops one segmentation question (``not_asked``) is still classified
    with the frozen model, from the questions it did ask."""
    import logging

    from workbench.pipeline import run_wave

    study = tmp_path / "demo"
    shutil.copytree(demo_run.study.root, study, ignore=shutil.ignore_patterns("truth"))
    items = json.loads((demo_run.folder / "model.json").read_text(encoding="utf-8"))["basis_items"]
    dropped = items[0]  # need_01, also the marker item naming a factor of the needs battery
    text = (study / "study.yaml").read_text(encoding="utf-8")
    anchor = "    reference_date: 2026-09-30\n"
    assert anchor in text
    (study / "study.yaml").write_text(text.replace(anchor, anchor + f"    not_asked: [{dropped}]\n", 1),
                                      encoding="utf-8")
    import pyreadstat

    sav = study / "waves" / "2" / "responses.sav"
    frame, meta = pyreadstat.read_sav(str(sav))
    keep = [c for c in frame.columns if c != dropped]
    pyreadstat.write_sav(frame[keep], str(sav),
                         column_labels={c: meta.column_names_to_labels.get(c) for c in keep},
                         variable_value_labels={c: v for c, v in meta.variable_value_labels.items() if c in keep})
    with caplog.at_level(logging.WARNING, logger="workbench"):
        run = run_wave(study, "2", reports=tmp_path / "reports", model=demo_run.folder / "model.json")
    assert any("did not ask 1 of the segmentation questions" in r.getMessage() and dropped in r.getMessage()
               for r in caplog.records)
    assert any("marker item(s) need_01 not asked in wave 2" in r.getMessage() for r in caplog.records)
    got = run.classification.table
    assert got["segment"].notna().all()
    assert (got["answered"] <= len(run.model.basis_items) - 1).all()
    full = demo_wave2.classification.table["segment"]
    agree = (got["segment"] == full.reindex(got.index)).mean()
    assert agree > 0.9  # one question fewer moves few respondents


def test_deck_says_how_to_recognise_the_segments(demo_run):
    """The deck's recognition slide shows the model's golden questions and the numbers of
    model.json and customer_segments.csv."""
    from pptx import Presentation

    prs = Presentation(str(demo_run.folder / "personas.pptx"))
    slide = next(s for s in prs.slides if any(sh.has_text_frame and sh.text_frame.text == "How to recognise the segments"
                                              for sh in s.shapes))
    text = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
    doc = json.loads((demo_run.folder / "model.json").read_text(encoding="utf-8"))
    tool = doc["attachments"]["typing_tool"]
    labels = [demo_run.study.columns[q].label for q in tool["questions"]]
    assert all(f"{i}. {lab}" in text for i, lab in enumerate(labels, start=1))
    assert f"put {100 * tool['accuracy']:.0f}\u00a0% of respondents" in text  # '92 %' held together (U+00A0)
    cust = pd.read_csv(demo_run.folder / "customer_segments.csv", dtype=str)
    n_model = int((cust["source"] == "model").sum())
    assert f"{len(cust):,} customers" in text and f"{n_model:,} placed from behaviour" in text
