"""The study definition: codebook and analysis plan in one human-written file.

``surveys/<study>/study.yaml`` is parsed and validated here.  Validation reports
*every* problem at once, each with its key path and line in the file, e.g.::

    study.yaml line 41, blocks.needs.questions[3].scale: unknown scale type 'likret' ...

The format is documented with a complete example in ``surveys/README.md``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import StudyError

__all__ = [
    "Study",
    "Scale",
    "Column",
    "load_study",
    "SCALE_TYPES",
    "BLOCK_KINDS",
]

SCALE_TYPES = ("likert", "ordinal", "nominal", "binary", "numeric", "text")
CODED_TYPES = ("likert", "ordinal", "nominal", "binary")
BLOCK_KINDS = (
    "needs",
    "motivations",
    "barriers",
    "outcomes",
    "firmographics",
    "demographics",
    "verbatims",
    "screening",
    "behaviour",
    "other",
)
FORCES = ("push", "pull", "anxiety", "habit")
# Column ids are the file's column names: anything printable without surrounding spaces
# (Qualtrics writes "Duration (in seconds)"), so no id is ever impossible to declare.
_ID = re.compile(r"^[^\s\x00-\x1f](?:[^\x00-\x1f]*[^\s\x00-\x1f])?$")


# --------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps 'NO' (Norway) and 'yes' as strings and finds duplicate keys.

    YAML 1.1 turns ``NO``, ``yes``, ``off`` into booleans, which silently breaks
    country codes in a Nordic study; only ``true`` / ``false`` are booleans here.
    """


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _node_lines(node, path=(), out=None, dups=None):
    """Map every key path to its line (1-based) and collect duplicate keys."""
    if out is None:
        out, dups = {}, []
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for knode, vnode in node.value:
            key = knode.value
            try:
                key = yaml.load(yaml.serialize(knode), Loader=_Loader)  # typed key (1 vs '1')
            except yaml.YAMLError:
                pass
            if key in seen:
                dups.append((path + (key,), knode.start_mark.line + 1))
            seen.add(key)
            _node_lines(vnode, path + (key,), out, dups)
            out[path + (key,)] = knode.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, path + (i,), out, dups)
    return out, dups


def _read_yaml(path: Path):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise StudyError(
            "study file not found; a study folder needs a study.yaml "
            "(see surveys/README.md, or run `workbench demo` for an example)",
            file=path,
        ) from None
    except UnicodeDecodeError as exc:
        line = text_line_of_byte(path.read_bytes(), exc.start)
        raise StudyError(
            f"not valid UTF-8 (byte {exc.start}, line {line}); save the file as UTF-8",
            file=path,
        ) from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise StudyError(
            f"{where}malformed YAML: {problem}"
            + (f" ({exc.context})" if getattr(exc, "context", None) else "")
            + "; check indentation and that text containing ':' or '#' is quoted",
            file=path,
        ) from None
    if node is None or data is None:
        raise StudyError("the study file is empty", file=path)
    if not isinstance(data, dict):
        raise StudyError("the study file must be a mapping of keys (study:, waves:, blocks:, ...)", file=path)
    lines, dups = _node_lines(node)
    return data, text, lines, dups


def text_line_of_byte(raw: bytes, offset: int) -> int:
    """1-based line number of a byte offset."""
    return raw[:offset].count(b"\n") + 1


# --------------------------------------------------------------------------- models

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ScaleSpec(BaseModel):
    """A scale: type, allowed codes with labels, missing codes."""

    model_config = _STRICT
    type: str
    codes: dict[int, str] = Field(default_factory=dict)
    missing: dict[int, str] = Field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    top_box: int = 2
    unit: str | None = None

    @field_validator("type")
    @classmethod
    def _type(cls, v):
        if v not in SCALE_TYPES:
            raise ValueError(_unknown("scale type", v, SCALE_TYPES))
        return v


class QuestionSpec(BaseModel):
    model_config = _STRICT
    id: str
    text: str
    label: str | None = None
    scale: str | ScaleSpec | None = None
    reverse: bool = False
    force: str | None = None
    language: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v):
        if not _ID.match(v):
            raise ValueError(
                f"{v!r} is not a usable column id: it must be the column name exactly as in "
                "the response file, without leading or trailing spaces"
            )
        return v

    @field_validator("force")
    @classmethod
    def _force(cls, v):
        if v is not None and v not in FORCES:
            raise ValueError(_unknown("force of progress", v, FORCES))
        return v


class OutcomeSpec(BaseModel):
    """A JTBD outcome asked twice: how important, how satisfied."""

    model_config = _STRICT
    id: str
    text: str
    label: str | None = None
    importance: str | None = None
    satisfaction: str | None = None

    @property
    def importance_column(self) -> str:
        return self.importance or f"{self.id}_imp"

    @property
    def satisfaction_column(self) -> str:
        return self.satisfaction or f"{self.id}_sat"


class BlockSpec(BaseModel):
    model_config = _STRICT
    kind: str
    label: str | None = None
    scale: str | ScaleSpec | None = None
    questions: list[QuestionSpec] = Field(default_factory=list)
    outcomes: list[OutcomeSpec] = Field(default_factory=list)
    importance_scale: str | ScaleSpec | None = None
    satisfaction_scale: str | ScaleSpec | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v):
        if v not in BLOCK_KINDS:
            raise ValueError(_unknown("block kind", v, BLOCK_KINDS))
        return v


class StudyInfo(BaseModel):
    model_config = _STRICT
    name: str
    id: str | None = None
    client: str | None = None
    language: str = "en"
    languages: list[str] = Field(default_factory=list)
    description: str | None = None


class WaveSpec(BaseModel):
    model_config = _STRICT
    id: str
    label: str | None = None
    files: list[str]
    fieldwork_start: _dt.date | None = None
    fieldwork_end: _dt.date | None = None
    reference_date: _dt.date | None = None
    format: Literal["auto", "csv", "xlsx", "sav", "qualtrics"] = "auto"
    delimiter: str | None = None
    decimal: str | None = None
    encoding: str = "utf-8"
    sheet: str | int | None = None
    not_asked: list[str] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id_str(cls, v):
        return str(v) if isinstance(v, int) else v

    @field_validator("files")
    @classmethod
    def _files(cls, v):
        if not v:
            raise ValueError("a wave needs at least one response file")
        return v

    @property
    def date(self) -> _dt.date | None:
        """The date behaviour is measured at: reference date, else end of fieldwork."""
        return self.reference_date or self.fieldwork_end


class TransactionsSource(BaseModel):
    model_config = _STRICT
    file: str
    columns: dict[str, str] = Field(default_factory=dict)
    date_format: str = "ISO"
    channels: dict[str, str] = Field(default_factory=dict)
    currency: str | None = None


class CustomersSource(BaseModel):
    model_config = _STRICT
    file: str
    key: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)


class BehaviourSpec(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    key: str
    transactions: TransactionsSource | None = None
    customers: CustomersSource | None = None


class CheckSpec(BaseModel):
    model_config = _STRICT
    action: Literal["exclude", "flag"] = "exclude"


class SpeederSpec(CheckSpec):
    ratio_to_median: float = Field(1 / 3, gt=0, lt=1)


class StraightlinerSpec(CheckSpec):
    min_items: int = Field(6, ge=3)
    min_grids: int = Field(1, ge=1)
    min_answered_share: float = Field(0.8, gt=0, le=1)


class MissingSpec(CheckSpec):
    action: Literal["exclude", "flag"] = "exclude"
    max_respondent_share: float = Field(0.5, gt=0, le=1)
    max_item_share: float = Field(0.3, gt=0, le=1)


class QualitySpec(BaseModel):
    model_config = _STRICT
    duration: str | None = None
    duplicates: Literal["error", "keep_first", "keep_last", "exclude_all"] = "error"
    out_of_range: Literal["error", "set_missing", "exclude"] = "error"
    unexpected_columns: Literal["report", "error"] = "report"
    speeders: SpeederSpec = Field(default_factory=SpeederSpec)
    straightliners: StraightlinerSpec = Field(default_factory=StraightlinerSpec)
    missing: MissingSpec = Field(default_factory=MissingSpec)


class SegmentationSpec(BaseModel):
    """Filled by the segmentation issue; accepted and kept now."""

    model_config = ConfigDict(extra="allow", frozen=True)
    basis: list[str] = Field(default_factory=list)
    methods: list[str] = Field(default_factory=lambda: ["lca", "lpa", "kmeans"])
    k_min: int = Field(2, ge=1)
    k_max: int = Field(8, ge=1)
    n_init: int = Field(10, ge=1)


class StudySpec(BaseModel):
    model_config = _STRICT
    study: StudyInfo
    respondent_id: str
    customer_id: str | None = None
    weight: str | None = None
    seed: int = 20240101
    min_segment_n: int = Field(30, ge=1)
    pii: list[str] = Field(default_factory=list)
    waves: list[WaveSpec]
    scales: dict[str, ScaleSpec] = Field(default_factory=dict)
    blocks: dict[str, BlockSpec]
    quality: QualitySpec = Field(default_factory=QualitySpec)
    behaviour: BehaviourSpec | None = None
    segmentation: SegmentationSpec = Field(default_factory=SegmentationSpec)
    criteria: dict[str, Any] = Field(default_factory=dict)
    deck: dict[str, Any] = Field(default_factory=dict)
    factors: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------- resolved study


@dataclass(frozen=True)
class Scale:
    """A resolved scale."""

    name: str
    type: str
    codes: dict[int, str]
    missing: dict[int, str]
    min: float | None = None
    max: float | None = None
    top_box: int = 2
    unit: str | None = None

    @property
    def coded(self) -> bool:
        return self.type in CODED_TYPES

    @property
    def numeric(self) -> bool:
        return self.type != "text"

    def label(self, code) -> str | None:
        return self.codes.get(code) or self.missing.get(code)


@dataclass(frozen=True)
class Column:
    """One survey column as the study defines it."""

    id: str
    block: str
    kind: str
    text: str
    label: str
    scale: Scale
    reverse: bool = False
    force: str | None = None
    outcome: str | None = None
    role: str | None = None  # 'importance' / 'satisfaction' for outcomes


@dataclass(frozen=True)
class Study:
    """A validated study definition.

    Attributes
    ----------
    spec : StudySpec
        The parsed file, as written (defaults filled in).
    path : Path
        The study.yaml file.
    columns : dict of str to Column
        Every survey column the study declares, in file order.
    hash : str
        SHA-256 of the definition's content (comments and layout do not count).
    """

    spec: StudySpec
    path: Path
    columns: dict[str, Column]
    hash: str
    file_hash: str
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def id(self) -> str:
        return self.spec.study.id or self.root.name

    @property
    def name(self) -> str:
        return self.spec.study.name

    @property
    def respondent_id(self) -> str:
        return self.spec.respondent_id

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def pii(self) -> list[str]:
        return list(self.spec.pii)

    @property
    def waves(self) -> list[WaveSpec]:
        return list(self.spec.waves)

    def wave(self, wave_id) -> WaveSpec:
        """The wave with this id; a clear error listing the waves otherwise."""
        wave_id = str(wave_id)
        for w in self.spec.waves:
            if w.id == wave_id:
                return w
        known = ", ".join(w.id for w in self.spec.waves)
        raise StudyError(
            f"no wave '{wave_id}' in the study; its waves are: {known}",
            file=self.path,
        )

    def wave_files(self, wave_id) -> list[Path]:
        return [self.root / f for f in self.wave(wave_id).files]

    def block_columns(self, block: str) -> list[str]:
        return [c.id for c in self.columns.values() if c.block == block]

    def blocks_of_kind(self, kind: str) -> list[str]:
        return [name for name, b in self.spec.blocks.items() if b.kind == kind]

    def expected_columns(self) -> list[str]:
        """Every column a response file should hold: id, questions, weight, PII."""
        cols = [self.respondent_id]
        if self.spec.customer_id and self.spec.customer_id not in cols:
            cols.append(self.spec.customer_id)
        cols += [c for c in self.columns if c not in cols]
        if self.spec.weight and self.spec.weight not in cols:
            cols.append(self.spec.weight)
        cols += [p for p in self.spec.pii if p not in cols]
        return cols

    def summary(self) -> str:
        kinds = {}
        for c in self.columns.values():
            kinds.setdefault(c.block, 0)
            kinds[c.block] += 1
        lines = [
            f"Study {self.id!r}: {self.name}",
            f"  waves: {', '.join(w.id for w in self.waves)}",
            "  blocks: " + ", ".join(f"{b} ({n})" for b, n in kinds.items()),
            f"  PII columns (never exported): {', '.join(self.pii) or 'none'}",
            f"  definition hash: {self.hash[:12]}",
        ]
        return "\n".join(lines)


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
    data, text, lines, dups = _read_yaml(path)
    problems: list[tuple[tuple, str]] = []
    for p, _line in dups:
        problems.append((p, "this key appears twice in the same mapping; the second would silently win"))

    spec = None
    try:
        spec = StudySpec.model_validate(data)
    except pydantic.ValidationError as exc:
        for err in exc.errors():
            problems.append((_clean_loc(err["loc"]), _message(err)))

    problems += _semantic_checks(data, path.parent)
    if problems:
        rendered = _render(problems, lines, path)
        n = len(rendered)
        raise StudyError(
            f"{n} problem{'s' if n != 1 else ''} in the study definition",
            file=path,
            problems=rendered,
        )
    columns = _resolve_columns(spec)
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


def _unknown(what, value, allowed) -> str:
    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what} '{value}'{hint}; expected one of {', '.join(allowed)}"


def _path_str(path: tuple) -> str:
    out = ""
    for p in path:
        if isinstance(p, int) and not isinstance(p, bool):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(top level)"


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
        out.append((line or 0, f"{where}{_path_str(loc)}: {msg}"))
    out.sort(key=lambda t: t[0])
    return [m for _, m in out]


def _get(d, key, default=None):
    return d.get(key, default) if isinstance(d, dict) else default


def _semantic_checks(data: dict, root: Path) -> list[tuple[tuple, str]]:
    """Cross-references that a schema cannot see. Works on the raw mapping, leniently,
    so it reports problems even when the structure has errors elsewhere."""
    problems = []
    scales = _get(data, "scales", {}) or {}
    scale_names = list(scales) if isinstance(scales, dict) else []
    blocks = _get(data, "blocks", {}) or {}
    seen_cols: dict[str, tuple] = {}

    def check_scale_ref(value, loc):
        if isinstance(value, str):
            if value not in scale_names and value not in SCALE_TYPES:
                close = difflib.get_close_matches(value, scale_names + list(SCALE_TYPES), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(
                    (
                        loc,
                        f"unknown scale type '{value}'{hint}; expected a scale defined under "
                        f"scales ({', '.join(scale_names) or 'none defined'}) or one of "
                        f"{', '.join(SCALE_TYPES)}",
                    )
                )
            elif value in ("likert", "ordinal", "nominal") and value not in scale_names:
                problems.append(
                    (loc, f"scale type '{value}' needs codes: define it under scales: with codes and labels")
                )

    def add_col(col, loc):
        if not isinstance(col, str):
            return
        if col in seen_cols:
            problems.append((loc, f"column '{col}' is already declared at {_path_str(seen_cols[col])}"))
        else:
            seen_cols[col] = loc

    rid = _get(data, "respondent_id")
    if isinstance(rid, str):
        add_col(rid, ("respondent_id",))
    cid = _get(data, "customer_id")
    if isinstance(cid, str) and cid != rid:
        add_col(cid, ("customer_id",))

    if isinstance(scales, dict):
        for name, sc in scales.items():
            if not isinstance(sc, dict):
                continue
            t = sc.get("type")
            codes = sc.get("codes") or {}
            missing = sc.get("missing") or {}
            loc = ("scales", name)
            if t in CODED_TYPES and t != "binary" and not codes:
                problems.append((loc + ("codes",), f"a {t} scale needs codes with labels, e.g. 1: Strongly disagree"))
            if t in ("likert", "ordinal") and codes and len(codes) < 2:
                problems.append((loc + ("codes",), "an ordered scale needs at least two codes"))
            if isinstance(codes, dict) and isinstance(missing, dict):
                both = set(codes) & set(missing)
                if both:
                    problems.append(
                        (loc + ("missing",), f"code(s) {sorted(both)} are both valid answers and missing codes")
                    )
            if t == "numeric" and codes:
                problems.append((loc + ("codes",), "a numeric scale has no codes; use min/max"))

    if isinstance(blocks, dict):
        if not blocks:
            problems.append((("blocks",), "the study declares no question blocks"))
        for bname, block in blocks.items():
            if not isinstance(block, dict):
                problems.append((("blocks", bname), "a block must be a mapping with kind: and questions:"))
                continue
            kind = block.get("kind")
            bloc = ("blocks", bname)
            if "scale" in block:
                check_scale_ref(block["scale"], bloc + ("scale",))
            qs = block.get("questions") or []
            if kind == "outcomes":
                for key in ("importance_scale", "satisfaction_scale"):
                    if key in block:
                        check_scale_ref(block[key], bloc + (key,))
                    elif not block.get("scale"):
                        problems.append((bloc + (key,), "an outcomes block needs importance_scale and satisfaction_scale"))
                outs = block.get("outcomes") or []
                if not outs:
                    problems.append((bloc + ("outcomes",), "an outcomes block needs a list of outcomes"))
                for i, o in enumerate(outs if isinstance(outs, list) else []):
                    if not isinstance(o, dict):
                        continue
                    oid = o.get("id")
                    for role in ("importance", "satisfaction"):
                        col = o.get(role) or (f"{oid}_{role[:3]}" if oid else None)
                        add_col(col, bloc + ("outcomes", i, role))
                if qs:
                    problems.append((bloc + ("questions",), "an outcomes block lists outcomes:, not questions:"))
            elif block.get("outcomes"):
                problems.append((bloc + ("outcomes",), f"outcomes: belongs in a block of kind 'outcomes', not '{kind}'"))
            if kind != "outcomes" and not qs:
                problems.append((bloc + ("questions",), "the block has no questions"))
            for i, q in enumerate(qs if isinstance(qs, list) else []):
                if not isinstance(q, dict):
                    continue
                qloc = bloc + ("questions", i)
                add_col(q.get("id"), qloc + ("id",))
                if "scale" in q:
                    check_scale_ref(q["scale"], qloc + ("scale",))
                elif "scale" not in block:
                    problems.append((qloc + ("scale",), "no scale: give the question a scale or its block a default scale"))
                if q.get("reverse") is True:
                    st = _scale_type_raw(q.get("scale", block.get("scale")), scales)
                    if st not in (None, "likert", "ordinal"):
                        problems.append((qloc + ("reverse",), f"only likert or ordinal items can be reverse-keyed (this one is {st})"))
                force = q.get("force")
                if force is not None and kind not in ("motivations", "barriers"):
                    problems.append((qloc + ("force",), "forces of progress belong to motivations (push, pull) or barriers (anxiety, habit)"))

    # PII and weight columns
    for i, p in enumerate(_get(data, "pii", []) or []):
        if isinstance(p, str) and p in seen_cols and p != rid:
            problems.append((("pii", i), f"'{p}' is declared as a question at {_path_str(seen_cols[p])}; PII columns are never analysed"))
        elif isinstance(p, str) and p == rid:
            problems.append((("pii", i), "the respondent id cannot be PII (it is how respondents are tracked); use a pseudonymous id"))
    weight = _get(data, "weight")
    if isinstance(weight, str) and weight in seen_cols:
        problems.append((("weight",), f"'{weight}' is already a question at {_path_str(seen_cols[weight])}"))

    # waves
    waves = _get(data, "waves", []) or []
    ids = set()
    for i, w in enumerate(waves if isinstance(waves, list) else []):
        if not isinstance(w, dict):
            continue
        wid = str(w.get("id"))
        if wid in ids:
            problems.append((("waves", i, "id"), f"wave id '{wid}' is used twice"))
        ids.add(wid)
        for j, f in enumerate(w.get("files") or []):
            if isinstance(f, str) and not (root / f).exists():
                problems.append(
                    (("waves", i, "files", j), f"response file not found: {root / f} (paths are relative to the study folder)")
                )
        for j, c in enumerate(w.get("not_asked") or []):
            if c not in seen_cols:
                problems.append((("waves", i, "not_asked", j), f"'{c}' is not a declared question"))
        fs, fe = w.get("fieldwork_start"), w.get("fieldwork_end")
        if isinstance(fs, _dt.date) and isinstance(fe, _dt.date) and fe < fs:
            problems.append((("waves", i, "fieldwork_end"), f"fieldwork ends ({fe}) before it starts ({fs})"))

    # quality
    q = _get(data, "quality", {}) or {}
    dur = _get(q, "duration")
    if isinstance(dur, str) and dur not in seen_cols:
        problems.append((("quality", "duration"), f"duration column '{dur}' is not a declared question; declare it (numeric) in a screening block"))
    elif isinstance(dur, str):
        dloc = seen_cols[dur]
        q = blocks[dloc[1]]["questions"][dloc[3]] if len(dloc) > 3 and dloc[2] == "questions" else {}
        st = _scale_type_raw(q.get("scale", blocks[dloc[1]].get("scale")), scales)
        if st not in (None, "numeric"):
            problems.append((("quality", "duration"), f"duration column '{dur}' has a {st} scale; it must be numeric (seconds)"))

    # behaviour
    beh = _get(data, "behaviour")
    if isinstance(beh, dict):
        for src in ("transactions", "customers"):
            f = _get(_get(beh, src), "file")
            if isinstance(f, str) and not (root / f).exists():
                problems.append(((("behaviour", src, "file")), f"behaviour file not found: {root / f}"))
        key = beh.get("key")
        if isinstance(key, str) and key not in seen_cols:
            problems.append((("behaviour", "key"), f"join key '{key}' is not a survey column; set customer_id: or declare it"))

    # segmentation basis
    seg = _get(data, "segmentation", {}) or {}
    for i, b in enumerate(_get(seg, "basis", []) or []):
        if isinstance(blocks, dict) and b not in blocks:
            problems.append((("segmentation", "basis", i), _unknown("block", b, list(blocks))))
    if isinstance(seg, dict) and isinstance(seg.get("k_min"), int) and isinstance(seg.get("k_max"), int):
        if seg["k_min"] > seg["k_max"]:
            problems.append((("segmentation", "k_max"), f"k_max ({seg['k_max']}) is below k_min ({seg['k_min']})"))
    return problems


def _scale_type_raw(value, scales):
    if isinstance(value, dict):
        return value.get("type")
    if isinstance(value, str):
        if isinstance(scales, dict) and isinstance(scales.get(value), dict):
            return scales[value].get("type")
        return value if value in SCALE_TYPES else None
    return None


_BUILTIN = {
    "numeric": ScaleSpec(type="numeric"),
    "text": ScaleSpec(type="text"),
    "binary": ScaleSpec(type="binary", codes={0: "No", 1: "Yes"}),
}


def _resolve_scale(ref, spec: StudySpec, fallback=None) -> Scale:
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
    )


def _resolve_columns(spec: StudySpec) -> dict[str, Column]:
    cols: dict[str, Column] = {}
    for bname, b in spec.blocks.items():
        if b.kind == "outcomes":
            for o in b.outcomes:
                label = o.label or o.text
                cols[o.importance_column] = Column(
                    id=o.importance_column, block=bname, kind=b.kind, text=o.text,
                    label=f"{label} (importance)",
                    scale=_resolve_scale(b.importance_scale, spec, b.scale),
                    outcome=o.id, role="importance",
                )
                cols[o.satisfaction_column] = Column(
                    id=o.satisfaction_column, block=bname, kind=b.kind, text=o.text,
                    label=f"{label} (satisfaction)",
                    scale=_resolve_scale(b.satisfaction_scale, spec, b.scale),
                    outcome=o.id, role="satisfaction",
                )
            continue
        for q in b.questions:
            cols[q.id] = Column(
                id=q.id, block=bname, kind=b.kind, text=q.text, label=q.label or q.text,
                scale=_resolve_scale(q.scale, spec, b.scale),
                reverse=q.reverse, force=q.force,
            )
    return cols
