"""Loading a study: read the YAML, validate it, report every problem with its line, resolve columns."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pydantic

from ..core.errors import StudyError
from ..files.safeids import id_problem
from .checks import path_str, semantic_checks
from .model import Column, Scale, Study
from .spec import ScaleSpec, StudySpec
from .yamlio import read_yaml

__all__ = ["load_study", "resolve_columns", "resolve_scale"]

# --------------------------------------------------------------------------- loading


def load_study(path) -> Study:
    """Read and validate a study definition.

    Parameters
    ----------
    path : str or Path
        A study folder (holding ``study.yaml``) or the YAML file itself.

    Returns
    -------
    Study

    Raises
    ------
    StudyError
        Listing every problem found, each with its line and key path.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    elif not path.exists() and path.suffix not in (".yaml", ".yml"):
        raise StudyError(f"study folder not found: {path}")
    data, text, lines, dups = read_yaml(path)
    problems: list[tuple[tuple, str]] = []
    for p, _line in dups:
        problems.append((p, "this key appears twice in the same mapping; the second would silently win"))

    spec = None
    try:
        spec = StudySpec.model_validate(data)
    except pydantic.ValidationError as exc:
        for err in exc.errors():
            problems.append((_clean_loc(err["loc"]), _message(err)))

    problems += semantic_checks(data, path.parent)
    if spec is not None and spec.study.id is None:  # the folder name becomes the study id (issue 14)
        if problem := id_problem(path.parent.resolve().name, "study id (the study folder's name)"):
            problems.append((("study", "id"), problem + "; or set study: id: explicitly"))
    if problems:
        rendered = _render(problems, lines, path)
        n = len(rendered)
        raise StudyError(
            f"{n} problem{'s' if n != 1 else ''} in the study definition",
            file=path,
            problems=rendered,
        )
    columns = resolve_columns(spec)
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return Study(
        spec=spec,
        path=path,
        columns=columns,
        hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        file_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        raw=data,
    )


def _clean_loc(loc) -> tuple:
    # pydantic adds union branch names ('str', 'ScaleSpec') to locations: drop them
    return tuple(p for p in loc if p not in ("str", "ScaleSpec", "function-after[_id_str(), str]"))


def _message(err) -> str:
    t, msg, inp = err["type"], err["msg"], err.get("input")
    if t == "missing":
        return "required key is missing"
    if t == "extra_forbidden":
        return f"unknown key (value {_show(inp)}); check the spelling against surveys/README.md"
    if t == "value_error":
        return msg.removeprefix("Value error, ")
    if t in ("literal_error", "enum"):
        return f"got {_show(inp)}; {msg.lower().replace('input should be', 'expected')}"
    if t.endswith("_type") or t.endswith("_parsing"):
        return f"got {_show(inp)}; {msg.lower().replace('input should be', 'expected')}"
    return f"{msg} (got {_show(inp)})"


def _show(v) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _render(problems, lines, path: Path) -> list[str]:
    out = []
    seen = set()
    for loc, msg in problems:
        key = (loc, msg)
        if key in seen:
            continue
        seen.add(key)
        line = None
        for cut in range(len(loc), -1, -1):
            if loc[:cut] in lines:
                line = lines[loc[:cut]]
                break
        where = f"line {line}, " if line else ""
        out.append((line or 0, f"{where}{path_str(loc)}: {msg}"))
    out.sort(key=lambda t: t[0])
    return [m for _, m in out]


#: The scale of a "select all that apply" option when its block names none.
_MULTI_SELECT = ScaleSpec(type="binary", codes={0: "Not selected", 1: "Selected"})

_BUILTIN = {
    "numeric": ScaleSpec(type="numeric"),
    "text": ScaleSpec(type="text"),
    "binary": ScaleSpec(type="binary", codes={0: "No", 1: "Yes"}),
}


def resolve_scale(ref, spec: StudySpec, fallback=None) -> Scale:
    ref = ref if ref is not None else fallback
    if isinstance(ref, ScaleSpec):
        name, s = ref.type, ref
    elif ref in spec.scales:
        name, s = ref, spec.scales[ref]
    else:
        name, s = ref, _BUILTIN[ref]
    codes = dict(s.codes)
    if s.type == "binary" and not codes:
        codes = {0: "No", 1: "Yes"}
    return Scale(
        name=name,
        type=s.type,
        codes=codes,
        missing=dict(s.missing),
        min=s.min,
        max=s.max,
        top_box=s.top_box,
        unit=s.unit,
        labels={lang: dict(lab) for lang, lab in s.labels.items()},
    )


def resolve_columns(spec: StudySpec) -> dict[str, Column]:
    cols: dict[str, Column] = {}
    for bname, b in spec.blocks.items():
        if b.kind == "outcomes":
            for o in b.outcomes:
                label = o.label or o.text
                cols[o.importance_column] = Column(
                    id=o.importance_column, block=bname, kind=b.kind, text=o.text,
                    label=f"{label} (importance)",
                    scale=resolve_scale(b.importance_scale, spec, b.scale),
                    outcome=o.id, role="importance",
                )
                cols[o.satisfaction_column] = Column(
                    id=o.satisfaction_column, block=bname, kind=b.kind, text=o.text,
                    label=f"{label} (satisfaction)",
                    scale=resolve_scale(b.satisfaction_scale, spec, b.scale),
                    outcome=o.id, role="satisfaction",
                )
            continue
        for q in b.questions:
            fallback = b.scale if b.scale is not None or not b.multi_select else _MULTI_SELECT
            cols[q.id] = Column(
                id=q.id, block=bname, kind=b.kind, text=q.text, label=q.label or q.text,
                scale=resolve_scale(q.scale, spec, fallback), multi_select=b.multi_select,
                reverse=q.reverse, force=q.force, language=q.language, language_from=q.language_from,
                language_map=tuple((q.language_map or {}).items()), translation=q.translation,
            )
    return cols
