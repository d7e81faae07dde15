"""``validate`` predicts ``run`` for a later wave (issue 30): the model an earlier wave froze is
loaded and checked against the study exactly as ``run`` loads it; a wording-only change
declared under ``segmentation.reworded`` keeps tracking, a changed code still refuses it."""

from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

from workbench import segments
from workbench.cli import main
from workbench.core.errors import StudyError, WorkbenchWarning
from workbench.pipeline import _context
from workbench.validation import validate
from workbench.data.readers import read_responses
from workbench.files.safeids import report_folder
from workbench.study import load_study
from workbench.waves import SegmentModel, codebook

ITEMS = ["price", "speed", "service", "range"]
STUDY = textwrap.dedent("""\
    study: {name: Tracking, id: tracking}
    respondent_id: rid
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
      methods: [kmeans]
      k_min: 2
      k_max: 2
    """)


@pytest.fixture
def fitted(tmp_path):
    """Wave 1 frozen into reports/tracking/1/model.json as run writes it (a k-means fit)."""
    rng = np.random.default_rng(4)
    for w in ("1", "2"):
        seg = rng.integers(0, 2, 80)
        x = np.clip(np.round(3 + np.where(seg[:, None] == 0, 1.2, -1.2) * np.array([1, 1, -1, -1])
                             + rng.normal(0, 0.7, (80, 4))), 1, 5).astype(int)
        frame = pd.DataFrame(x, columns=ITEMS)
        frame.insert(0, "rid", [f"{w}-{i}" for i in range(80)])
        frame.to_csv(tmp_path / f"w{w}.csv", index=False)
    (tmp_path / "study.yaml").write_text(STUDY, encoding="utf-8")
    study = load_study(tmp_path / "study.yaml")
    data = read_responses(study, "1").data[ITEMS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)
        grid = segments.candidates(data, [2], methods=["kmeans"], n_init=2, random_state=1, progress=False)
    model = SegmentModel.from_segmentation(grid[("kmeans", 2)], basis_items=ITEMS, codebook=codebook(study, ITEMS),
                                           study_id=study.id, study_hash=study.hash, wave="1", data=data)
    reports = tmp_path / "reports"
    model.save(report_folder(study, "1", reports) / "model.json")
    return tmp_path, reports


def _edit(folder, old, new):
    text = (folder / "study.yaml").read_text(encoding="utf-8")
    assert old in text
    (folder / "study.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return load_study(folder / "study.yaml")


def _run_error(study, reports):
    """What run raises for wave 2: its context resolves and loads the model the same way."""
    with pytest.raises(StudyError) as err:
        _context(study, "2", reports)
    return err.value


def test_validate_checks_a_later_wave_against_its_model_as_run_does(fitted):
    folder, reports = fitted
    details = validate(load_study(folder / "study.yaml"), ["2"], details=True, reports=reports)[0][3]
    assert "classified with the model" in details["model"] and "model.json" in details["model"]
    # no model under another reports root yet: validate says it cannot check, and does not fail
    alone = validate(load_study(folder / "study.yaml"), ["2"], details=True, reports=folder / "elsewhere")[0][3]
    assert "no model file is under" in alone["model"] and "wave 1" in alone["model"]
    # a relabelled code: run refuses the model, and so does validate, with the same message and changes
    study = _edit(folder, "3: Fair", "3: Neither good nor poor")
    ran = _run_error(study, reports)
    with pytest.raises(StudyError) as err:
        validate(study, ["2"], reports=reports)
    assert str(err.value) == str(ran) and err.value.problems == ran.problems
    assert any("relabelled 3 'Fair' now 'Neither good nor poor'" in p for p in ran.problems)
    assert "segmentation.reworded" in str(ran)


def test_a_declared_wording_change_keeps_tracking_and_a_new_code_does_not(fitted):
    folder, reports = fitted
    _edit(folder, "3: Fair", "3: Neither good nor poor")
    study = _edit(folder, "{id: speed, text: Delivery speed}", "{id: speed, text: Speed of delivery}")
    assert len(_run_error(study, reports).problems) == 5  # four items on the relabelled scale, one label
    study = _edit(folder, "  k_max: 2\n", "  k_max: 2\n  reworded: [needs]\n")
    ctx = _context(study, "2", reports)  # run accepts the model
    assert ctx.loaded_model is not None and ctx.loaded_model.wave == "1"
    details = validate(study, ["2"], details=True, reports=reports)[0][3]
    assert "classified with the model" in details["model"]
    # a code added is a change of meaning: refused even when declared reworded
    study = _edit(folder, "5: Very good}", "5: Very good, 6: Excellent}")
    assert any("added 6 'Excellent'" in p for p in _run_error(study, reports).problems)
    with pytest.raises(StudyError, match="basis questions changed"):
        validate(study, ["2"], reports=reports)
    # an unknown name under reworded is a study error naming the key
    with pytest.raises(StudyError) as err:
        _edit(folder, "reworded: [needs]", "reworded: [neds]")
    assert any("segmentation.reworded[0]" in p and "did you mean 'needs'" in p for p in err.value.problems)


def test_validate_command_prints_the_model_a_later_wave_uses(fitted, capsys):
    folder, reports = fitted
    assert main(["validate", str(folder), "--reports", str(reports)]) == 0
    out = capsys.readouterr().out
    assert "wave 2:" in out and "classified with the model" in out
