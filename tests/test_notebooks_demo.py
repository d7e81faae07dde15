"""The notebooks run headless against the demo (on gallery studies: test_notebooks.py). A module
of its own so that it runs on the worker that holds the session's demo run (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_executes_headless_against_the_demo(path, demo_study, tmp_path, request):
    import papermill as pm

    out = tmp_path / path.name
    parameters = {"study": str(demo_study), "wave": "1"}
    if path.name.startswith(("04_", "05_")):  # the fitting notebooks: the planted k and its neighbours
        parameters.update(k_min=4, k_max=6, blrt_reps=19)  # the notebooks run, not the p-values
    if path.name.startswith("06_"):  # the deck notebook re-renders the session's demo run: no refit
        parameters.update(reports=str(request.getfixturevalue("demo_run").folder.parents[1]), slides=str(tmp_path))
    if path.name.startswith("07_"):  # tracking: wave 2 against the session's wave-1 model
        parameters.update(wave="2", reports=str(request.getfixturevalue("demo_wave2").folder.parents[1]))
    pm.execute_notebook(
        str(path), str(out),
        parameters=parameters,
        kernel_name="python3", cwd=str(path.parent), progress_bar=False, log_output=False,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook shows at least one chart"
