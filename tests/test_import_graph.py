"""The import graph of ``workbench``, read with ``ast``: no cycle, and the room rules of
docs/design.md (cli -> pipeline -> steps -> rooms; rooms never import steps, pipeline or
cli; steps never import the runner; the floor packages ``core``, ``files``, ``data``,
``describe`` and the study and statistics rooms import only what is below them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "workbench"

def _modules(root: Path = PKG) -> dict[str, Path]:
    out = {}
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph(root: Path = PKG) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (anywhere in the file, at any depth)."""
    mods = _modules(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        package = mod if is_pkg else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                targets = [stem]
                targets += [f"{stem}.{a.name}" for a in node.names if f"{stem}.{a.name}" in mods]
            for t in targets:
                while t and t not in mods:  # `import workbench.x.y` of a name inside a module
                    t = t.rpartition(".")[0]
                if t and t != mod and t in mods:
                    graph[mod].add(t)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


#: Packages that group small modules by concern (issue 23): a module in them is a room of its own
#: (``describe.profiles``), so that a rule can allow ``describe.personas`` and refuse ``describe.profiles``.
GROUPING = ("core", "files", "data", "describe")


def _room(mod: str) -> str:
    parts = mod.split(".")
    if len(parts) > 2 and parts[1] in GROUPING:
        return f"{parts[1]}.{parts[2]}"
    return parts[1] if len(parts) > 1 else "workbench"


#: The floor of the package, bottom up: what each of these rooms may import besides itself (its
#: package's other modules). ``workbench`` is the package's ``__init__`` (``__version__``).
FLOOR = {
    "core": (),
    "files": ("core",),
    "study": ("core", "files"),
    "data": ("core", "files", "study"),
    "describe": ("core", "files"),
    "factors": ("core", "files", "workbench"),
    "segments": ("core", "files", "workbench"),
}

#: What the deck may not import: it renders its own plain data (the study's template and colours,
#: personas and their names, the files and core utilities are allowed; result classes are not).
DECK_REFUSES = ("criteria", "segments", "factors", "waves", "behaviour", "quality", "data", "describe.profiles",
                "describe.opportunities", "describe.alignment", "describe.suppression")


#: The runner and the modules beside it that run steps: validation (``workbench validate``) and the
#: notebook helpers (issue 23: they left the runner's module, at the runner's level).
RUNNER_LEVEL = ("steps", "pipeline", "validation", "notebook", "cli")


def rule_breaks(graph: dict[str, set[str]]) -> list[str]:
    """Imports that go against the rooms' rules, one line each."""
    bad = []
    for mod, deps in sorted(graph.items()):
        room = _room(mod)
        package = room.split(".")[0]
        for dep in sorted(deps):
            target = _room(dep)
            below = target.split(".")[0]
            if package in FLOOR and below != package and below not in FLOOR[package]:
                allowed = ", ".join(FLOOR[package]) or "nothing else of the package"
                bad.append(f"{mod} imports {dep}: {package} imports only {allowed}")
            elif room in ("steps",) and target in RUNNER_LEVEL[1:]:
                bad.append(f"{mod} imports {dep}: a step never imports the runner")
            elif mod == "workbench.__main__" and dep == "workbench.cli":
                continue  # `python -m workbench` is the CLI's other door
            elif room not in RUNNER_LEVEL and target in RUNNER_LEVEL:
                bad.append(f"{mod} imports {dep}: a room never imports steps, the runner or the CLI")
            elif room == "cli" and target == "steps":
                bad.append(f"{mod} imports {dep}: the CLI goes through the pipeline")
            elif room == "deck" and (target in DECK_REFUSES or below in DECK_REFUSES):
                bad.append(f"{mod} imports {dep}: the deck renders its own plain data only")
    return bad


def test_the_graph_sees_relative_and_absolute_imports(tmp_path):
    pkg = tmp_path / "workbench"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("from .sub import b\n", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "b.py").write_text("def f():\n    import workbench.a\n", encoding="utf-8")
    (pkg / "c.py").write_text("from . import a\nfrom .pipeline import x\n", encoding="utf-8")
    (pkg / "pipeline.py").write_text("", encoding="utf-8")
    g = import_graph(pkg)
    assert g["workbench.a"] == {"workbench.sub", "workbench.sub.b"}
    assert g["workbench.sub.b"] == {"workbench.a"}
    assert find_cycles(g) == [["workbench.a", "workbench.sub.b"]]  # a function-level import counts too
    assert rule_breaks(g) == ["workbench.c imports workbench.pipeline: a room never imports steps, the runner or the CLI"]


def test_the_rules_see_a_floor_module_importing_upwards_and_the_deck_importing_results():
    graph = {
        "workbench.core.x": {"workbench.segments", "workbench.core.y"},
        "workbench.core.y": set(),
        "workbench.files.z": {"workbench.core.y"},
        "workbench.segments": {"workbench.files.z"},
        "workbench.describe.profiles": set(),
        "workbench.describe.personas": {"workbench.describe.profiles"},
        "workbench.deck.a": {"workbench.describe.personas", "workbench.files.z"},
        "workbench.deck.b": {"workbench.describe.profiles"},
        "workbench.deck.c": {"workbench.data.readers"},
        "workbench.data.readers": {"workbench.describe.profiles"},
    }
    assert rule_breaks(graph) == [
        "workbench.core.x imports workbench.segments: core imports only nothing else of the package",
        "workbench.data.readers imports workbench.describe.profiles: data imports only core, files, study",
        "workbench.deck.b imports workbench.describe.profiles: the deck renders its own plain data only",
        "workbench.deck.c imports workbench.data.readers: the deck renders its own plain data only",
    ]


def test_no_import_cycle():
    cycles = find_cycles(import_graph())
    assert cycles == [], f"import cycles: {cycles}"


def test_rooms_import_downwards_only():
    assert rule_breaks(import_graph()) == []


@pytest.mark.parametrize("module", ["pipeline.py", *sorted(p.name for p in (PKG / "steps").glob("*.py"))])
def test_runner_and_steps_import_at_the_top(module):
    """No function-level imports in the runner and the steps (they existed to dodge cycles)."""
    path = PKG / module if module == "pipeline.py" else PKG / "steps" / module
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = [f"line {n.lineno}" for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert inner == [], f"{module}: imports inside functions at {', '.join(inner)}"


def test_the_latent_class_engine_loads_without_the_study_schema():
    """``import workbench.segments`` (a library user's latent classes, the segments benchmark)
    loads neither pydantic nor YAML: the memory the benchmark compares with bare StepMix."""
    import subprocess
    import sys

    code = ("import sys, workbench.segments; "
            "print(' '.join(m for m in ('pydantic', 'yaml', 'matplotlib', 'workbench.study') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
    from workbench import Study, load_study  # still there, on first use

    assert callable(load_study) and Study.__name__ == "Study"
