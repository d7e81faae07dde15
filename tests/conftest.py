"""Shared fixtures: a small hand-made study to break in many ways, and the demo study."""

from __future__ import annotations

import csv
import io
import os
import textwrap
from pathlib import Path

import pytest


def _blas_threads_per_worker() -> None:
    """Under ``pytest -n N`` each worker gets its share of the cores for BLAS / OpenMP threads
    (the worker's own numpy through threadpoolctl, its subprocesses, the CLI runs and notebook
    kernels, through the environment). Left alone, two workers on two cores run four OpenBLAS
    threads that spin while they wait for each other: small matrix products (the three-step's
    Newton step) ran 40 times slower with two workers than with one thread each."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    if workers < 2:
        return
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = threads
    from threadpoolctl import threadpool_limits

    threadpool_limits(int(threads))


_blas_threads_per_worker()

MINI_STUDY = textwrap.dedent(
    """\
    study:
      name: "Mini: grossist i Århus"
      id: mini
      language: da
    respondent_id: rid
    customer_id: kunde
    seed: 7
    pii: [email]
    waves:
      - id: "1"
        files: [w1.csv]
        fieldwork_start: 2026-01-05
        fieldwork_end: 2026-01-30
    scales:
      agree5:
        type: likert
        codes: {1: Helt uenig, 2: Uenig, 3: Hverken eller, 4: Enig, 5: Helt enig}
        missing: {98: Ved ikke}
      size:
        type: ordinal
        codes: {1: Små, 2: Mellem, 3: Store}
    blocks:
      needs:
        kind: needs
        scale: agree5
        questions:
          - {id: n1, text: "Lave priser"}
          - {id: n2, text: "Hurtig levering"}
          - {id: n3, text: "Personlig rådgivning", reverse: true}
      firmo:
        kind: firmographics
        questions:
          - {id: size, text: "Størrelse", scale: size}
          - {id: eksport, text: "Eksporterer I?", scale: binary}
      open:
        kind: verbatims
        scale: text
        questions:
          - {id: why, text: "Hvorfor køber I hos os?"}
      screening:
        kind: screening
        questions:
          - {id: secs, text: "Varighed", scale: numeric}
    quality:
      duration: secs
      straightliners: {action: flag, min_items: 3}
    """
)

MINI_ROWS = [
    ["rid", "kunde", "n1", "n2", "n3", "size", "eksport", "why", "secs", "email"],
    ["r1", "C1", "1", "2", "3", "1", "0", "Gode priser på rør", "300", "a@b.dk"],
    ["r2", "C2", "5", "5", "5", "2", "1", "Hurtig levering, også på lørdag", "410", "c@d.se"],
    ["r3", "C3", "4", "98", "2", "3", "1", "Rådgivningen er guld værd", "380", ""],
    ["r4", "C4", "2", "3", "", "1", "0", "", "20", "e@f.nl"],
]


def write_mini(folder: Path, *, study: str = MINI_STUDY, rows=None, delimiter=",", name="w1.csv",
               encoding="utf-8") -> Path:
    """Write the mini study (optionally altered) into ``folder`` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(study, encoding="utf-8")
    rows = MINI_ROWS if rows is None else rows
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    (folder / name).write_bytes(buf.getvalue().encode(encoding))
    return folder


@pytest.fixture
def mini(tmp_path):
    return write_mini(tmp_path / "mini")


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory):
    """The full demo study, generated once per test session (deterministic)."""
    from workbench.demo import generate_demo

    folder = tmp_path_factory.mktemp("demo") / "demo"
    generate_demo(folder)
    return folder


@pytest.fixture(scope="session")
def demo_run(demo_study, tmp_path_factory):
    """Wave 1 of the demo study run end to end once per session (every step)."""
    from workbench.pipeline import run_wave

    return run_wave(demo_study, "1", reports=tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="session")
def demo_wave2(demo_run):
    """Wave 2 of the demo, classified with wave 1's frozen model (same reports root as
    ``demo_run``) and tracked against wave 1."""
    from workbench.pipeline import run_wave

    return run_wave(demo_run.study, "2", reports=demo_run.folder.parents[1])


@pytest.fixture(scope="session")
def gallery_flows(tmp_path_factory):
    """The gallery studies (tests/gallery/build.py), each built once per session and run as a
    consultant runs it (validate, every wave, the deck with PNGs: tests/gallery/flow.py);
    ``gallery_flows(name)`` gives its :class:`flow.Flow`. Shared by test_gallery and
    test_notebooks, so a study is built and run once."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "gallery"))
    import build
    from flow import run_flow

    root = tmp_path_factory.mktemp("gallery")
    cache = {}

    def get(name):
        if name not in cache:
            study = build.build(name, root)
            cache[name] = run_flow(study, root / f"reports_{name}")
        return cache[name]

    return get


# --------------------------------------------------------------------------- scheduling on workers
#: Session fixtures that are expensive to build: every test module that uses one (by argument or
#: through ``request.getfixturevalue``) runs on the same xdist worker, so each is built once per
#: ``make test`` rather than once per worker (the notebooks' tests are two modules for that:
#: test_notebooks on the gallery, test_notebooks_demo on the demo). The modules that start a local
#: Spark session (``local_spark``, tests/spark_support.py) join the demo's worker, which starts one
#: for test_sql_export: one JVM per ``make test`` instead of up to three (15-25 s each).
_SHARED_GROUPS = (("gallery_flows", "gallery"), ("demo_wave2", "demo"), ("demo_run", "demo"),
                  ("local_spark", "demo"))

#: Seconds a unit of work takes under ``make test`` (rounded, from its ``--durations``), for the
#: order units start in: the longest first, so that no long unit starts last while the other worker
#: idles (longest processing time first). Units not listed count 0.3 s a test.
_UNIT_SECONDS = {"demo": 640, "gallery": 560, "test_study_shapes.py": 225, "test_lca_optimum.py": 30,
                 "test_hostile_run.py": 40}


def _module_group(path: Path, cache: dict) -> str:
    if path not in cache:
        text = path.read_text(encoding="utf-8")
        cache[path] = next((group for name, group in _SHARED_GROUPS if name in text), path.name)
    return cache[path]


def pytest_xdist_make_scheduler(config, log):
    """Under ``pytest -n 2 --dist loadgroup`` (``make test``) a module's tests stay together on
    one worker (as ``--dist loadfile``), and the modules sharing the demo run or the gallery
    studies form one unit each (see ``_SHARED_GROUPS``), so each session fixture is built once;
    the units start longest first (``_UNIT_SECONDS``).

    A scheduler rather than ``xdist_group`` marks: pytest-xdist 3.8 groups marked tests by
    suffixing ``item._nodeid``, which pytest 9 no longer reads (node ids live in ``item._id``), so
    the marks grouped nothing and every worker built the demo and each gallery study again."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    root, cache = Path(str(config.rootpath)), {}

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _module_group(root / nodeid.split("::")[0], cache)

        def _assign_work_unit(self, node) -> None:
            # the longest unit waiting goes next (xdist would take them by number of tests)
            scope = max(self.workqueue, key=lambda s: _UNIT_SECONDS.get(s, 0.3 * len(self.workqueue[s])))
            self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return SharedFixtureScheduling(config, log)
