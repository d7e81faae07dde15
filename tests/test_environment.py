"""The set-up contract: pinned dependencies agree, and the known-fragile combination works."""

from __future__ import annotations

import re
import tomllib
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
from workbench.files import safeyaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(lines):
    out = {}
    for line in lines:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def test_environment_yml_declares_the_same_pins_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    py = _pins(declared)
    env = safeyaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda = _pins(pip_section)
    assert py, "no pins found in pyproject.toml"
    only_py = {k: v for k, v in py.items() if conda.get(k) != v}
    only_env = {k: v for k, v in conda.items() if py.get(k) != v}
    assert not only_py and not only_env, (
        f"pyproject.toml and environment.yml disagree: pyproject {only_py}, environment.yml {only_env}"
    )
    assert "-e ." in pip_section
    assert any(str(d).startswith("python=3.11") for d in env["dependencies"])


def test_every_direct_dependency_is_pinned_and_installed_at_its_pin():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for req in project["dependencies"]:
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", req.split(";")[0].strip())
        assert m, f"dependency not pinned exactly: {req}"
        assert metadata.version(m.group(1)) == m.group(2), f"{m.group(1)} installed at a different version"


def test_constraints_agree_with_pyproject():
    cons = _pins((ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    for name, version in _pins(declared).items():  # the extras too: ruff, stepmix, papermill (issue 23)
        assert cons.get(name) == version, f"constraints.txt pins {name}=={cons.get(name)}, pyproject {version}"


def test_test_and_notebook_tools_are_not_runtime_dependencies():
    """stepmix (the tests' LCA reference), papermill (executing notebooks), ruff and PyYAML are
    extras, and nothing in the package imports them (issue 23)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _pins(project["dependencies"])
    extras = _pins(sum(project["optional-dependencies"].values(), []))
    for name in ("stepmix", "papermill", "ruff", "pyyaml"):
        assert name not in runtime and name in extras, name
    imports = re.compile(r"^\s*(?:import|from)\s+(stepmix|papermill|ruff|yaml)\b", re.M)
    found = [f"{p.relative_to(ROOT)}: {m.group(1)}" for p in (ROOT / "workbench").rglob("*.py")
             for m in imports.finditer(p.read_text(encoding="utf-8"))]
    assert not found, found


def test_factor_analyzer_fits_with_the_installed_scikit_learn():
    # factor-analyzer 0.5.1 breaks with scikit-learn >= 1.8 ("check_array() got an
    # unexpected keyword argument 'force_all_finite'"): this fit fails on such an upgrade.
    from factor_analyzer import FactorAnalyzer

    rng = np.random.default_rng(1)
    f = rng.normal(size=(500, 2))
    load = np.array([[0.8, 0], [0.7, 0], [0.75, 0], [0, 0.8], [0, 0.7], [0, 0.75]])
    x = f @ load.T + rng.normal(scale=0.5, size=(500, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        fa = FactorAnalyzer(n_factors=2, rotation="varimax").fit(x)
    big = np.abs(fa.loadings_) > 0.5
    # each planted factor's three items load together on one factor
    assert big[:3].all(axis=0).sum() == 1 and big[3:].all(axis=0).sum() == 1
    assert (np.abs(fa.loadings_).max(axis=1) > 0.6).all()


def test_progress_bars_in_jupyter_are_widgets():
    """tqdm.auto (the workbench's progress bars) draws Jupyter widgets only with ipywidgets;
    without it every notebook prints 'TqdmWarning: IProgress not found' and falls back to text."""
    import tqdm.notebook

    assert tqdm.notebook.IProgress is not None
