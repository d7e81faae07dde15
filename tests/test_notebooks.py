"""Notebooks: thin, parameterised, committed without outputs, and they run headless on gallery
studies of other shapes (tests/gallery/build.py; on the demo: test_notebooks_demo.py)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

#: Gallery studies the notebooks run on besides the demo, of different shape: ``bfi_needs`` has
#: no behaviour data, a six-point personality battery as the basis (too many items for any latent
#: class model: only k-means fits), demographics and no JTBD outcomes; ``accounts_multi`` has
#: behaviour with string keys and several respondents per account, transactions without
#: channels, costs or quantities, firmographics and a plan of latent classes only.
GALLERY_STUDIES = {"bfi_needs": {"behaviour": False}, "accounts_multi": {"behaviour": True}}

#: Lines a notebook prints where a study has no such part, by study and notebook number.
ABSENT_LINES = {
    ("bfi_needs", "02"): ["no behaviour data in this study: study declares no behaviour data"],
    ("bfi_needs", "04"): ["no latent profile solution", "no behaviour by segment: "],
    ("bfi_needs", "05"): ["no behavioural KPI in this study: ", "no JTBD opportunities in this study: "],
    ("bfi_needs", "07"): ["no whole-base model in the model fitted on wave 1: no behaviour data"],
    ("accounts_multi", "02"): ["no channel column in the transactions"],
    ("accounts_multi", "05"): ["no JTBD opportunities in this study: "],
}


def test_there_are_notebooks():
    assert any(nb.name == "01_data_and_quality.ipynb" for nb in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs_and_parameterised(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "strip outputs"
    assert "parameters" in code[0]["metadata"].get("tags", []), "first code cell must be tagged 'parameters'"
    first = "".join(code[0]["source"])
    assert "study =" in first and "wave =" in first
    # thin: no function or class definitions in a notebook
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in "".join(c["source"]).splitlines())


def _execute(path: Path, out: Path, parameters: dict):
    import papermill as pm

    pm.execute_notebook(str(path), str(out), parameters=parameters, kernel_name="python3", cwd=str(path.parent),
                        progress_bar=False, log_output=False)
    nb = nbformat.read(out, as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _text(outputs) -> str:
    return "\n".join(o.get("text", "") if o.get("output_type") == "stream" else o.get("data", {}).get("text/plain", "")
                     for o in outputs)


@pytest.fixture(scope="module")
def gallery(gallery_flows):
    """Each gallery study and its reports root, built and run once per session with the CLI
    (tests/conftest.py: gallery_flows, shared with test_gallery)."""
    def get(name):
        f = gallery_flows(name)
        assert all(s.rc == 0 for s in f.runs.values()), {w: s.err[-2000:] for w, s in f.runs.items() if s.rc}
        return f.study, f.reports

    return get


@pytest.mark.slow
@pytest.mark.parametrize("name", list(GALLERY_STUDIES))
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_executes_on_gallery_studies_of_other_shapes(path, name, gallery, tmp_path):
    """Wave 1 once per study (07 tracks wave 2): no error, a chart where the study has the part
    the notebook charts, and one line naming what the study lacks."""
    study, reports = gallery(name)
    number = path.name[:2]
    parameters = {"study": str(study), "wave": "1"}
    if number in ("04", "05"):  # the notebooks run, not the p-values: the BLRT at 19 draws
        parameters.update(blrt_reps=19)
    if number == "06":
        parameters.update(reports=str(reports), slides=str(tmp_path))
    if number == "07":
        parameters.update(wave="2", reports=str(reports))
    outputs = _execute(path, tmp_path / path.name, parameters)
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, f"{path.name} on {name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    charts = any("image/png" in o.get("data", {}) for o in outputs)
    if number == "02" and not GALLERY_STUDIES[name]["behaviour"]:
        assert not charts  # nothing to chart: one line says so
    else:
        assert charts, f"{path.name} on {name} shows no chart"
    text = _text(outputs)
    for line in ABSENT_LINES.get((name, number), []):
        assert line in text, f"{path.name} on {name} does not say {line!r}"
    assert "Traceback" not in text
