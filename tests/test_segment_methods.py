"""Segmentation methods as a registry (issue 23, item 1) and the study's plan as the library's
default (item 5): a method defined here, registered by name, runs a whole wave — fitted,
frozen into model.json, read back, a later wave classified with it, the deck built."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest

from workbench import segments
from workbench.core.errors import AnalysisError, StudyError
from workbench.files.modelcheck import finite, unusable
from workbench.pipeline import run_until, run_wave
from workbench.segments.methods import PartitionEstimator, SegmentationMethod, get_method, register, unregister
from workbench.steps.segments import study_settings
from workbench.study import load_study
from workbench.study.spec import SegmentationSpec, StudySpec
from workbench.waves import load_model


# --------------------------------------------------------------------------- a method defined in the test

class SumScoreSplit(PartitionEstimator):
    """k equal-sized groups of the summed basis (lowest sums in group 0)."""

    def partition(self, X, k, sample_weight, random_state):
        order = np.argsort(X.sum(axis=1), kind="stable")
        labels = np.empty(len(X), dtype=int)
        labels[order] = np.arange(len(X)) * k // len(X)
        return labels


class SumScoreMethod(SegmentationMethod):
    """Fitted by summed-score groups; a later respondent goes to the centre nearest in
    city-block distance (not k-means' rule, so the frozen scoring is this method's own)."""

    name, short, long = "sumsplit", "Sum split", "summed-score split"
    complete = True

    def estimator(self, k, settings, basis=None):
        return SumScoreSplit(k, random_state=settings.random_state)

    def freeze(self, est):
        return {"centres": np.asarray(est.centroids_, dtype=float)}

    def log_joint(self, parameters, X, shares, features):
        return -np.abs(X[:, None, :] - parameters["centres"][None, :, :]).sum(axis=2)

    def profiles(self, parameters, features):
        return parameters["centres"].T

    def from_json(self, raw):
        return {"centres": np.asarray(raw["centres"], dtype=float)}

    def check(self, parameters, k, features, path):
        if finite(parameters.get("centres"), path, "centres").shape != (k, len(features)):
            raise unusable(path, "centres are not segments x features")


@pytest.fixture
def sumsplit():
    method = register(SumScoreMethod())
    yield method
    unregister(method.name)


ITEMS = ["price", "speed", "service", "range"]
STUDY = textwrap.dedent("""\
    study: {name: Registry, id: registry}
    respondent_id: rid
    seed: 11
    waves:
      - {id: "1", files: [w1.csv]}
      - {id: "2", files: [w2.csv]}
    scales:
      five: {type: likert, codes: {1: Very poor, 2: Poor, 3: Fair, 4: Good, 5: Very good}}
    blocks:
      needs:
        kind: needs
        scale: five
        questions:
          - {id: price, text: Price}
          - {id: speed, text: Delivery speed}
          - {id: service, text: Service}
          - {id: range, text: Product range}
    segmentation:
      basis: [needs]
      methods: [sumsplit]
      k_min: 2
      k_max: 3
      choice: {method: sumsplit, k: 2}
    """)


def _write_study(folder):
    rng = np.random.default_rng(23)
    for w in ("1", "2"):
        seg = rng.integers(0, 2, 160)
        x = np.clip(np.round(3 + np.where(seg[:, None] == 0, 1.3, -1.3) * np.array([1, 1, 1, -1])
                             + rng.normal(0, 0.7, (160, 4))), 1, 5).astype(int)
        frame = pd.DataFrame(x, columns=ITEMS)
        frame.insert(0, "rid", [f"{w}-{i}" for i in range(160)])
        frame.to_csv(folder / f"w{w}.csv", index=False)
    (folder / "study.yaml").write_text(STUDY, encoding="utf-8")
    return folder


def test_a_registered_method_runs_a_whole_wave(tmp_path, sumsplit):
    study = _write_study(tmp_path)
    reports = tmp_path / "reports"
    first = run_wave(study, "1", reports=reports)
    folder = first.folder
    # fitted: the fit table has the method's rows, likelihood columns blank (no likelihood)
    fit = pd.read_excel(folder / "segments.xlsx", sheet_name="Fit", header=None).astype(str)
    header = fit.index[fit.eq("Candidate").any(axis=1)][0]
    fit = fit.iloc[header + 1:].set_axis(fit.iloc[header], axis=1)
    assert list(fit["Candidate"]) == ["Sum split, 2 segments", "Sum split, 3 segments"]
    assert fit["Status"].eq("ok").all() and fit[[c for c in fit.columns if c.startswith("BIC")]].eq("nan").all().all()
    # model.json: the method's own parameters, read back through the method
    doc = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert doc["method"] == "sumsplit" and doc["k"] == 2 and doc["format_version"] == 1
    assert np.asarray(doc["parameters"]["centres"]).shape == (2, len(doc["features"]))
    model = load_model(folder, first.study)
    assert model.method_object is sumsplit
    # the frozen model classifies the fitted wave as the method's rule says (nearest centre, city-block)
    answers = pd.read_csv(study / "w1.csv", index_col="rid")
    X = model.basis(answers).to_numpy()
    by_hand = np.abs(X[:, None, :] - np.asarray(doc["parameters"]["centres"])[None]).sum(axis=2).argmin(axis=1) + 1
    assert (model.predict(answers).to_numpy() == by_hand).all()
    # the deck is built, naming the method as a client reads it
    assert (folder / "personas.pptx").stat().st_size > 10_000
    deck = json.loads((folder / "deck_data.json").read_text(encoding="utf-8"))
    assert "Sum split, 2 segments" in json.dumps(deck, ensure_ascii=False)
    # a later wave is classified with it by the runner (in memory: the steps up to classification)
    ctx = run_until(study, "2", "classification", reports=reports)
    assert ctx.loaded_model.method == "sumsplit" and ctx.candidates is None
    later = pd.read_csv(study / "w2.csv", index_col="rid").loc[ctx.classification.table.index]
    X2 = model.basis(later).to_numpy()
    nearest = np.abs(X2[:, None, :] - np.asarray(doc["parameters"]["centres"])[None]).sum(axis=2).argmin(axis=1) + 1
    assert (ctx.classification.labels.to_numpy() == nearest).all()
    assert ctx.classification.n_classified == len(later) == 160


def test_an_unregistered_method_in_the_study_is_named(tmp_path):
    study = load_study(_write_study(tmp_path))  # sumsplit is not registered here
    with pytest.raises(StudyError, match=r"segmentation.methods names sumsplit, which is not a segmentation method; "
                                         r"the methods are lca, lpa, kmeans, ward"):
        study_settings(study, ITEMS)


def test_the_registry_refuses_a_second_method_of_one_name():
    with pytest.raises(ValueError, match="'kmeans' is already registered"):
        register(get_method("kmeans"))
    with pytest.raises(AnalysisError, match="unknown segmentation method 'gmm'; expected one of lca, lpa, kmeans, ward"):
        get_method("gmm")


# --------------------------------------------------------------------------- the study's plan is the default

def test_library_defaults_are_the_study_plans_defaults():
    plan, lib = SegmentationSpec(), segments.SegmentSettings()
    same = {"methods": "methods", "n_init": "n_init", "covariance": "covariance",
            "min_class_share": "min_class_share", "bootstrap_reps": "n_bootstrap", "stability": "stability_kind",
            "max_starts": "max_starts", "blrt_reps": "blrt_reps", "blrt_for": "blrt_for"}
    for spec_name, lib_name in same.items():
        assert tuple(np.atleast_1d(getattr(plan, spec_name))) == tuple(np.atleast_1d(getattr(lib, lib_name))), spec_name
    assert lib.k_range == tuple(range(plan.k_min, plan.k_max + 1))
    assert plan.choice is None and lib.choice is None
    study_fields = {f: m.default for f, m in StudySpec.model_fields.items()}
    assert lib.min_segment_n == study_fields["min_segment_n"] and lib.random_state == study_fields["seed"]
    # the structural models of the step: each method's lowest-BIC candidate and the pinned one
    assert lib.structural_candidates == "best"


def test_settings_changes_keep_everything_else():
    base = segments.SegmentSettings(covariance="diag", measurement={"a": "ordinal"}, choice=("lca", 3))
    out = base.but(n_init=None, k_max=5, methods=["lca", "kmeans"])
    assert out.k_range == (2, 3, 4, 5) and out.methods == ("lca", "kmeans") and out.n_init == 50
    assert (out.covariance, out.measurement, out.choice) == ("diag", {"a": "ordinal"}, ("lca", 3))
    with pytest.raises(TypeError, match="unknown segmentation setting"):
        base.but(covarance="full")
