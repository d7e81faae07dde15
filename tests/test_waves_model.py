"""The frozen segment model: exact reproduction, round trips, partial answers, refusals."""

from __future__ import annotations

import json
import re
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from workbench import load_study, segments
from workbench.core.errors import DataError, StudyError, WorkbenchWarning
from workbench.factors import efa
from workbench.waves import SegmentModel, codebook, load_model

ITEMS = [f"need_{i:02d}" for i in range(1, 13)]  # named like the demo's basis items


def _codebook(items=ITEMS):
    return {c: {"label": f"Behov {c} – æøå", "block": "needs", "scale": "agree5", "type": "likert",
                "codes": {i: str(i) for i in range(1, 6)}, "missing": {98: "Ved ikke"}} for c in items}


@pytest.fixture(scope="module")
def planted():
    """Three planted segments on three item groups, 8 % of answers missing, a few empty rows."""
    rng = np.random.default_rng(11)
    n = 450
    cls = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    centre = np.array([[1.3, 0.0, -1.0], [-1.0, 1.3, 0.0], [0.0, -1.0, 1.3]])
    f = centre[cls][:, np.repeat([0, 1, 2], 4)] + rng.normal(0, 0.8, (n, 12))
    X = np.clip(np.round(f + 3), 1, 5)
    df = pd.DataFrame(X, columns=ITEMS, index=pd.Index([f"R{i:04d}" for i in range(n)], name="resp_id"))
    df = df.mask(rng.random(df.shape) < 0.08)
    df.iloc[:3] = np.nan  # respondents without a single basis answer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)
        grid = segments.candidates(df, [3], methods=["lca", "lpa", "kmeans", "ward"], n_init=3, random_state=3,
                                   progress=False)
        fa = efa(df, 3, random_state=3, progress_bar=False)
        scores = fa.scores(df)
        scores.columns = [f"needs: {c}" for c in scores.columns]
        fgrid = segments.candidates(df, [3], methods=["lpa", "kmeans", "ward"], scores=scores, n_init=3,
                                    random_state=3, progress=False)
    return {"data": df, "grid": grid, "fa": fa, "scores": scores, "fgrid": fgrid}


def _freeze(sol, data, **kw):
    kw.setdefault("codebook", _codebook())
    return SegmentModel.from_segmentation(sol, basis_items=ITEMS, study_id="demo", study_hash="abc", wave="1",
                                          names={1: "Prisjægere", 2: "Digitale", 3: "Rådgivning"}, data=data, **kw)


def _reference_basis(method, data, scores=None):
    """The basis the segmentation saw, built the way workbench.segments.candidates builds it."""
    if method == "lca":
        return data
    cont = segments.standardise(data) if scores is None else scores
    if method == "lpa":
        return cont
    return cont.fillna(0.0 if scores is None else cont.mean())


@pytest.mark.parametrize("method", ["lca", "lpa", "kmeans", "ward"])
def test_round_trip_reproduces_the_segmentation_on_items(planted, method, tmp_path):
    df, sol = planted["data"], planted["grid"][(method, 3)]
    model = load_model(_freeze(sol, df).save(tmp_path))
    ref = sol.predict_proba(_reference_basis(method, df))
    ours = model.predict_proba(df)
    answered = df.notna().any(axis=1)
    partial = answered & df.isna().any(axis=1)
    assert partial.sum() > 100  # the comparison covers respondents with partial answers
    np.testing.assert_allclose(ours[answered].to_numpy(), ref[answered].to_numpy(), rtol=0, atol=1e-10)
    labels = model.classify(df).labels
    assert (labels[answered] == sol.predict(_reference_basis(method, df))[answered]).all()
    assert labels[~answered].isna().all() and ours[~answered].isna().all().all()


@pytest.mark.parametrize("method", ["lpa", "kmeans", "ward"])
def test_round_trip_reproduces_the_segmentation_on_factor_scores(planted, method, tmp_path):
    df, sol, scores = planted["data"], planted["fgrid"][(method, 3)], planted["scores"]
    model = load_model(_freeze(sol, df, factors={"needs": planted["fa"]}).save(tmp_path / "m.json"))
    assert [f.battery for f in model.factors] == ["needs"]
    ref = sol.predict_proba(_reference_basis(method, df, scores))
    answered = df.notna().any(axis=1)
    np.testing.assert_allclose(model.predict_proba(df)[answered].to_numpy(), ref[answered].to_numpy(), atol=1e-10)
    # the factor scores themselves are recomputed exactly
    np.testing.assert_allclose(model._continuous(df).to_numpy(), scores.to_numpy(), atol=1e-12)


def test_lpa_with_full_covariance_reproduced(planted):
    df, scores = planted["data"], planted["scores"]
    complete = scores.notna().all(axis=1)
    for cov in ("full", "tied", "spherical"):
        sol = segments.lpa(scores[complete], 3, covariance=cov, n_init=3, random_state=1, progress=False)
        model = SegmentModel.from_dict(json.loads(_freeze(sol, df, factors={"needs": planted["fa"]}).to_json()))
        np.testing.assert_allclose(model.predict_proba(df)[complete].to_numpy(),
                                   sol.predict_proba(scores[complete]).to_numpy(), atol=1e-10)


def test_unseen_code_is_treated_as_missing_and_counted(planted):
    df, sol = planted["data"], planted["grid"][("lca", 3)]
    model = _freeze(sol, df)
    new = df.iloc[10:20].copy()
    who = new.index[2]
    new.loc[who, "need_04"] = 7  # never seen when fitting
    as_missing = new.copy()
    as_missing.loc[who, "need_04"] = np.nan
    out = model.classify(new)
    np.testing.assert_allclose(out.posteriors.to_numpy(), model.predict_proba(as_missing).to_numpy(), atol=1e-15)
    assert out.unseen_codes == {"need_04": {7: 1}}
    assert out.table.loc[who, "unseen"] == 1 and out.table["unseen"].sum() == 1
    assert out.table.loc[who, "answered"] == as_missing.loc[who].notna().sum()


def test_classification_table_and_counts(planted):
    df, sol = planted["data"], planted["grid"][("lca", 3)]
    model = _freeze(sol, df, uncertain_below=0.9)
    out = model.classify(df)
    t = out.table
    assert list(t.columns[:6]) == ["segment", "name", "probability", "uncertain", "answered", "unseen"]
    assert str(t["segment"].dtype) == "Int64"
    assert out.n == len(df) and out.n_unclassified == 3 and out.n_classified == len(df) - 3
    assert out.n_uncertain == int((t["probability"] < 0.9).sum()) > 0
    assert out.n_partial == int((df.notna().any(axis=1) & df.isna().any(axis=1)).sum())
    assert t.loc[t["segment"] == 2, "name"].eq("Digitale").all()
    np.testing.assert_allclose(t[["p_1", "p_2", "p_3"]].dropna().sum(axis=1), 1.0)
    assert "classified" in out.summary().index


def test_model_file_is_plain_sorted_utf8_json_and_stable(planted, tmp_path):
    df, sol = planted["data"], planted["grid"][("lca", 3)]
    model = _freeze(sol, df, attachments={"notes": {"items": ["need_01"], "coef": [0.5]}})
    path = model.save(tmp_path / "model.json")
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    assert "Prisjægere" in text and "æøå" in text  # written as UTF-8, not \u escapes
    d = json.loads(text)
    assert d["format"] == "workbench-segment-model" and d["study"] == {"id": "demo", "hash": "abc"}
    assert list(d) == sorted(d)
    # the packages it was fitted with (issue 23: StepMix is the tests' reference, never used to fit)
    assert {"scikit-learn", "numpy", "scipy", "jtbd-workbench"} <= set(d["versions"]) and "stepmix" not in d["versions"]
    again = _freeze(sol, df, attachments={"notes": {"items": ["need_01"], "coef": [0.5]}})
    assert again.to_json().encode("utf-8") == raw  # same inputs, same file
    loaded = load_model(tmp_path)
    assert loaded.attachments == {"notes": {"items": ["need_01"], "coef": [0.5]}}
    assert loaded.save(tmp_path / "again.json").read_bytes() == raw  # floats round-trip exactly
    assert np.array_equal(loaded.shares, model.shares)


def test_bad_model_files_are_refused(planted, tmp_path):
    (tmp_path / "a.json").write_text('{"format": "workbench-segment-model", "format_ver', encoding="utf-8")
    with pytest.raises(DataError, match=r"not valid JSON \(line 1"):
        load_model(tmp_path / "a.json")
    (tmp_path / "b.json").write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(DataError, match="not a workbench segment model"):
        load_model(tmp_path / "b.json")
    d = _freeze(planted["grid"][("lca", 3)], planted["data"]).to_dict()
    (tmp_path / "c.json").write_text(json.dumps({**d, "format_version": 99}), encoding="utf-8")
    with pytest.raises(DataError, match="format version 99, newer than this workbench reads"):
        load_model(tmp_path / "c.json")
    del d["parameters"]
    (tmp_path / "d.json").write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(DataError, match="damaged \\(missing entry 'parameters'\\)") as err:
        load_model(tmp_path / "d.json")
    assert err.value.file.endswith("d.json")
    with pytest.raises(DataError, match="model file not found"):
        load_model(tmp_path / "none")


def test_missing_basis_item_in_new_data_is_named(planted):
    model = _freeze(planted["grid"][("lca", 3)], planted["data"])
    with pytest.raises(DataError, match="lack the basis item\\(s\\) need_05"):
        model.classify(planted["data"].drop(columns="need_05"))


@pytest.fixture()
def study_copy(demo_study, tmp_path):
    """A copy of the demo study definition (data folders linked) to edit."""
    folder = tmp_path / "demo"
    folder.mkdir()
    shutil.copy(demo_study / "study.yaml", folder / "study.yaml")
    for sub in ("waves", "behaviour"):
        (folder / sub).symlink_to(demo_study / sub)
    return folder


def test_changed_study_is_refused_with_every_change(planted, study_copy, tmp_path):
    study = load_study(study_copy)
    sol = planted["grid"][("lca", 3)]
    model = _freeze(sol, planted["data"], codebook=codebook(study, ITEMS))
    path = model.save(tmp_path / "model.json")
    assert load_model(path, study).basis_items == tuple(ITEMS)  # unchanged study: accepted
    text = (study_copy / "study.yaml").read_text(encoding="utf-8")
    text = re.sub(r"\n\s*- \{id: need_03,[^\n]*", "", text)  # drop a basis item
    text = text.replace("3: Neither, 4: Agree, 5: Strongly agree}",
                        "3: Neutral, 4: Agree, 5: Strongly agree, 6: Weet niet}")  # relabel and add a code
    text = text.replace("label: Technical advice,", "label: Technical guidance,")
    (study_copy / "study.yaml").write_text(text, encoding="utf-8")
    changed = load_study(study_copy)
    with pytest.raises(StudyError, match="basis questions changed since the model was fitted on wave 1") as err:
        load_model(path, changed)
    problems = err.value.problems
    assert "column need_03 missing from the study" in problems
    assert "need_01: codes changed: added 6 'Weet niet'; relabelled 3 'Neither' now 'Neutral'" in problems
    assert "need_11: label changed from 'Technical advice' to 'Technical guidance'" in problems
    assert len(problems) == 1 + 11 + 1  # every remaining item's scale changed, one label, one dropped item
    assert err.value.file.endswith("model.json")


def test_model_of_another_study_is_refused(planted, study_copy, tmp_path):
    study = load_study(study_copy)
    model = SegmentModel.from_segmentation(planted["grid"][("lca", 3)], basis_items=ITEMS,
                                           codebook=codebook(study, ITEMS), study_id="other", study_hash="x", wave="1")
    path = model.save(tmp_path / "m.json")
    with pytest.raises(StudyError, match="belongs to study 'other', not 'demo'"):
        load_model(path, study)


def test_demo_lca_reproduced_and_round_trips(demo_run, tmp_path):
    from workbench.waves import codebook as make_codebook

    seg = demo_run.candidates[demo_run.scorecard.recommended]
    study = demo_run.study
    items = list(seg.model.feature_names_in_)
    model = SegmentModel.from_segmentation(seg, basis_items=items, factors=demo_run.factors,
                                           codebook=make_codebook(study, items), study_id=study.id,
                                           study_hash=study.hash, wave="1", data=demo_run.clean.data,
                                           sample_weight=demo_run.clean.weights)
    loaded = load_model(model.save(tmp_path), study)
    data = demo_run.clean.data
    np.testing.assert_allclose(loaded.predict_proba(data).dropna().to_numpy(),
                               seg.predict_proba(data[items]).dropna().to_numpy(), atol=1e-10)
    labels = loaded.classify(data).labels
    assert labels.dropna().equals(seg.labels.dropna().astype("Int64").rename("segment"))
    assert {f.battery for f in loaded.factors} == set(demo_run.factors)  # kept for the CFA of a new wave
