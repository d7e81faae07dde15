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
from typing import Literal

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


#: Roles a transactions file's columns can play (``transactions.columns`` maps role -> column).
TRANSACTION_ROLES = (
    "customer_id", "order_id", "date", "value", "channel", "quantity", "delivery_cost",
    "handling_cost", "category", "status", "currency",
)
TRANSACTION_REQUIRED = ("customer_id", "date", "value")
#: Behaviour features that can be raking variables besides the customer master's attributes.
BEHAVIOUR_CATEGORIES = ("rfm_tier", "cost_tier", "dominant_channel", "lapsed", "active")


def _check_date_format(v: str) -> str:
    if v.upper() == "ISO":
        return "ISO"
    if "%" not in v:
        raise ValueError(
            f"date format {v!r} is neither 'ISO' nor a strftime pattern such as '%d-%m-%Y' "
            "(Danish/Dutch exports) or '%Y%m%d'"
        )
    missing = [d for d, opts in (("day", "de"), ("month", "mbB"), ("year", "Yy"))
               if not any(f"%{o}" in v for o in opts)]
    if missing:
        raise ValueError(f"date format {v!r} has no {' or '.join(missing)} (e.g. '%d-%m-%Y')")
    return v


class _FileSource(BaseModel):
    """Reading options shared by the transactions file and the customer master."""

    model_config = _STRICT
    file: str
    format: Literal["auto", "csv", "parquet"] = "auto"
    delimiter: str | None = None
    decimal: Literal[".", ","] = "."
    date_format: str = "ISO"

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v):
        return _check_date_format(v)

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, v):
        if v is not None and len(v) != 1:
            raise ValueError(f"a delimiter is one character, got {v!r}")
        return v


class TransactionsSource(_FileSource):
    """The order lines: one row per line, columns mapped to roles.

    ``columns`` maps a role (:data:`TRANSACTION_ROLES`) to the file's column name;
    ``customer_id``, ``date`` and ``value`` are required. Without ``order_id`` every
    customer-day is one order. ``channels`` maps a code in the file to a channel name
    (several codes may share a name; a value equal to a channel name is that channel).
    ``cancelled`` lists the values of the ``status`` column that mark a cancelled order
    line (dropped and counted). ``returns``: ``net`` (negative lines reduce revenue) or
    ``exclude`` (negative lines are ignored for revenue; still counted as returns).
    """

    file: str | None = None  # a file, or ``table``: a table of the Spark session (engine: spark)
    table: str | None = None
    columns: dict[str, str]
    channels: dict[str, str] = Field(default_factory=dict)
    currency: str | None = None
    cancelled: list[str] = Field(default_factory=list)
    returns: Literal["net", "exclude"] = "net"

    @field_validator("columns")
    @classmethod
    def _columns(cls, v):
        bad = [r for r in v if r not in TRANSACTION_ROLES]
        if bad:
            raise ValueError(_unknown("column role", bad[0], TRANSACTION_ROLES))
        missing = [r for r in TRANSACTION_REQUIRED if r not in v]
        if missing:
            raise ValueError(f"the transactions need columns for {', '.join(missing)} (role: column name in the file)")
        return v

    @field_validator("channels", mode="before")
    @classmethod
    def _channels(cls, v):
        if isinstance(v, dict):
            return {str(k): str(x) for k, x in v.items()}
        return v


class CustomersSource(_FileSource):
    """The customer master: one row per customer of the base.

    ``columns`` maps an attribute name to the master's column; an attribute named like a
    coded survey question (``size_band``, ``country``) is matched to that question's
    labels (case-insensitive; codes also accepted), after ``values`` recodes the master's
    own values (e.g. ISO country codes to labels). ``first_order`` names the column with
    the customer's first order date (tenure is measured from it when given).
    """

    key: str = "customer_id"
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    first_order: str | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _values(cls, v):
        if isinstance(v, dict):
            return {str(k): ({str(a): str(b) for a, b in m.items()} if isinstance(m, dict) else m)
                    for k, m in v.items()}
        return v


class RfmTierSpec(BaseModel):
    """How RFM tiers are assigned.

    ``score_sum`` (default): gold if R + F + M >= ``gold`` (default 12 with five bins),
    silver if >= ``silver`` (default 8), else bronze. ``revenue_share``: customers ranked
    by revenue; gold while the revenue of the customers strictly above them is below
    ``gold`` (default 0.5) of the total, silver below ``silver`` (default 0.8), else bronze
    (equal revenues always share a tier).
    """

    model_config = _STRICT
    rule: Literal["score_sum", "revenue_share"] = "score_sum"
    gold: float | None = None
    silver: float | None = None


class RfmSpec(BaseModel):
    model_config = _STRICT
    bins: int = Field(5, ge=2, le=10)
    ties: Literal["rank", "equal"] = "rank"
    tiers: RfmTierSpec = Field(default_factory=RfmTierSpec)


class CostToServeSpec(BaseModel):
    """Cost-to-serve tiers: ``measure`` split into low / medium / high by ``rule``
    (``tertiles`` of the customers with orders, ties by rank; or fixed ``thresholds``
    [low/medium, medium/high], a value on a threshold going to the higher tier)."""

    model_config = _STRICT
    measure: Literal["share_of_revenue", "per_order"] = "share_of_revenue"
    rule: Literal["tertiles", "thresholds"] = "tertiles"
    thresholds: list[float] | None = None


class DigitalSpec(BaseModel):
    """Which channels are digital, and the survey question on digital maturity.

    The indicator is ``declared_weight`` x the answer rescaled to 0-1 plus the rest x the
    observed digital share of orders; either part alone when the other is missing."""

    model_config = _STRICT
    channels: list[str] = Field(default_factory=list)
    question: str | None = None
    declared_weight: float = Field(0.5, ge=0, le=1)


class SparkSpec(BaseModel):
    """Where the Spark engine runs: ``master`` (default ``local[2]``; e.g. ``spark://host:7077``,
    ``yarn``) and extra Spark ``config`` (``spark.executor.memory: 8g``). A session passed
    in from a notebook (``compute_behaviour(..., spark=spark)``) takes precedence."""

    model_config = _STRICT
    master: str | None = None
    config: dict[str, str] = Field(default_factory=dict)


class BehaviourSpec(BaseModel):
    """The behaviour section: sources, windows and feature rules (see workbench.behaviour)."""

    model_config = _STRICT
    key: str | None = None
    transactions: TransactionsSource
    customers: CustomersSource | None = None
    window_months: int = Field(12, ge=1, le=120)
    trend_months: int = Field(6, ge=1, le=60)
    lapsed_days: int = Field(90, ge=1)
    rfm: RfmSpec = Field(default_factory=RfmSpec)
    cost_to_serve: CostToServeSpec = Field(default_factory=CostToServeSpec)
    digital: DigitalSpec = Field(default_factory=DigitalSpec)
    #: where the feature SQL runs: ``duckdb`` (embedded, default) or ``spark`` (see
    #: workbench.behaviour.engines); ``spark`` settings only with ``engine: spark``.
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark: SparkSpec | None = None


class TrimSpec(BaseModel):
    model_config = _STRICT
    lower: float | None = Field(0.3, gt=0)
    upper: float | None = Field(3.0, gt=0)


class WeightingSpec(BaseModel):
    """Raking the clean respondents to the customer base (see workbench.weighting).

    ``variables`` are customer-base attributes (the master's ``columns``) or behaviour
    categories (``rfm_tier``, ``cost_tier``, ``dominant_channel``, ``lapsed``, ``active``).
    ``population``: ``all`` customers of the base or only ``active`` ones (an order in
    the window). Weights are trimmed to [``lower``, ``upper``] times the mean weight.
    """

    model_config = _STRICT
    variables: list[str]
    population: Literal["all", "active"] = "all"
    trim: TrimSpec = Field(default_factory=TrimSpec)
    max_iter: int = Field(100, ge=1)
    tolerance: float = Field(1e-6, gt=0)

    @field_validator("variables")
    @classmethod
    def _variables(cls, v):
        if not v:
            raise ValueError("weighting needs at least one raking variable")
        return v


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


SEGMENTATION_METHODS = ("lca", "lpa", "kmeans", "ward")
LPA_COVARIANCES = ("diag", "spherical", "tied", "full")


class SegmentationChoice(BaseModel):
    """The consultant's pinned candidate, e.g. ``choice: {method: lca, k: 5}``."""

    model_config = _STRICT
    method: Literal["lca", "lpa", "kmeans", "ward"]
    k: int = Field(ge=1, le=20)


class SegmentationSpec(BaseModel):
    """The segmentation plan (``segmentation:``); see :mod:`workbench.segments`.

    ``basis``
        Blocks whose coded items are segmented (latent class analysis); latent profiles,
        k-means and Ward use the blocks' factor scores when the factor step ran, else
        the standardised items. An empty basis skips the segmentation step.
    ``methods``
        Any of lca, lpa, kmeans, ward.
    ``k_min``, ``k_max``
        The range of segment counts fitted for every method (at most 20).
    ``n_init``
        Random starts per model (the best log-likelihood wins).
    ``bootstrap_reps``, ``stability``
        Refits per candidate for the stability check, ``bootstrap`` or ``split-half``
        (0 = not measured).
    ``covariance``
        LPA covariance structure: diag (default), spherical, tied, full.
    ``covariates``
        Columns or blocks (e.g. ``[firmographics]``) whose answers are covariates of
        segment membership (bias-adjusted three-step model).
    ``distal``
        Behavioural KPIs profiled per segment with the bias-adjusted three-step model;
        leave out for every KPI the behaviour step provides, ``[]`` for none.
    ``choice``
        A pinned candidate, e.g. ``{method: lca, k: 5}``.
    ``min_class_share``
        Candidates whose smallest segment is below this share are flagged.
    ``uncertain_below``
        Later waves: a respondent whose largest membership probability under the frozen
        model is below this is flagged uncertain (default 0.6).
    ``golden_questions``
        Most questions the typing tool may use (default 10).
    """

    model_config = _STRICT
    basis: list[str] = Field(default_factory=list)
    methods: list[Literal["lca", "lpa", "kmeans", "ward"]] = Field(default_factory=lambda: ["lca", "lpa", "kmeans"])
    k_min: int = Field(2, ge=1, le=20)
    k_max: int = Field(8, ge=1, le=20)
    n_init: int = Field(10, ge=1, le=1000)
    bootstrap_reps: int = Field(0, ge=0, le=1000)
    stability: Literal["bootstrap", "split-half"] = "bootstrap"
    covariance: Literal["diag", "spherical", "tied", "full"] = "diag"
    covariates: list[str] = Field(default_factory=list)
    distal: list[str] | None = None
    choice: SegmentationChoice | None = None
    min_class_share: float = Field(0.05, ge=0, lt=0.5)
    uncertain_below: float = Field(0.6, gt=0, lt=1)
    golden_questions: int = Field(10, ge=1, le=50)

    @field_validator("methods")
    @classmethod
    def _methods(cls, v):
        if not v:
            raise ValueError(f"name at least one method ({', '.join(SEGMENTATION_METHODS)})")
        dup = sorted({m for m in v if v.count(m) > 1})
        if dup:
            raise ValueError(f"method(s) {', '.join(dup)} listed twice")
        return v


class CriteriaSpec(BaseModel):
    """Thresholds of the relevant / operational / describable scorecard and of JTBD flags.

    Every key is optional; the defaults below apply when the study says nothing
    (``criteria:`` may be left out). See :mod:`workbench.criteria` for how each is used.

    Relevant (segments differ in behaviour)
        ``kpis`` (list of KPI column names to test; default: every KPI given),
        ``numeric_test`` ('kruskal' (default: robust to skewed revenue) or 'anova'),
        ``min_eta2`` (0.06, a medium effect for numbers: eta² of the one-way ANOVA, or
        eta²_H = (H - k + 1) / (n - k) for Kruskal-Wallis), ``min_cramers_v`` (0.15 for
        categories), ``min_relevant_share`` (0.5: at least half the KPIs must differ
        significantly with at least that effect) and ``min_relevant_kpis`` (1).
    Operational (a number of segments a business can act on)
        ``k_min`` (3), ``k_max`` (8), ``min_share`` (0.05 of the sample for the smallest
        segment), ``min_segment_n`` (default: the study's ``min_segment_n``),
        ``min_entropy`` (0.7, relative entropy of the classification),
        ``min_stability`` (0.7, mean adjusted Rand index over bootstrap refits) and
        ``min_profile_distance`` (0.3: the root-mean-square difference, in standard
        deviations, between any two segments' mean profiles on the basis items).
    Describable (each segment can be told apart and recognised)
        ``min_traits`` (3 distinguishing traits per segment), ``trait_index_gap`` (20: an
        index at or above 120 or at or below 80, and significant), ``typing_max_questions``
        (10), ``typing_min_accuracy`` (0.8, cross-validated) and ``typing_cv_folds`` (5).
    Common
        ``alpha`` (0.05), ``correction`` ('holm' or 'fdr_bh', for KPI tests and profile
        arrows), ``pin`` (name of a candidate to choose whatever the ranking says).
    JTBD opportunities
        ``underserved`` (10: opportunity score at or above which an outcome is
        underserved) and ``overserved_gap`` (1: satisfaction above importance by at least
        this, on the 0-10 scale).
    """

    model_config = _STRICT
    alpha: float = Field(0.05, gt=0, lt=1)
    correction: Literal["holm", "fdr_bh"] = "holm"
    pin: str | None = None
    # relevant
    kpis: list[str] = Field(default_factory=list)
    numeric_test: Literal["kruskal", "anova"] = "kruskal"
    min_eta2: float = Field(0.06, ge=0, le=1)
    min_cramers_v: float = Field(0.15, ge=0, le=1)
    min_relevant_share: float = Field(0.5, ge=0, le=1)
    min_relevant_kpis: int = Field(1, ge=0)
    # operational
    k_min: int = Field(3, ge=1)
    k_max: int = Field(8, ge=1)
    min_share: float = Field(0.05, ge=0, lt=1)
    min_segment_n: int | None = Field(None, ge=1)
    min_entropy: float = Field(0.7, ge=0, le=1)
    min_stability: float = Field(0.7, ge=-1, le=1)
    min_profile_distance: float = Field(0.3, ge=0)
    # describable
    min_traits: int = Field(3, ge=0)
    trait_index_gap: float = Field(20.0, ge=0)
    typing_max_questions: int = Field(10, ge=1)
    typing_min_accuracy: float = Field(0.8, ge=0, le=1)
    typing_cv_folds: int = Field(5, ge=2)
    # JTBD opportunities
    underserved: float = Field(10.0, ge=0, le=20)
    overserved_gap: float = Field(1.0, ge=0, le=10)


class DeckSpec(BaseModel):
    """The ``deck:`` section: how ``personas.pptx`` looks.  Every key is optional.

    ``template`` (a ``.pptx`` whose slide masters, layouts, theme colours and fonts are
    used; path relative to the study folder; default: the workbench's neutral 16:9
    template), ``title`` (title slide; default: the study's name), ``subtitle`` (second
    line of the title slide; default 'Customer personas'), ``date`` (date on the title
    slide; default: the wave's fieldwork end), ``max_items`` (bars per persona chart, 3-15;
    default 8) and ``colours`` (segment colours in segment order as hex, e.g.
    ``["#1F5F99", "#D55E00"]``; default: the template's accent colours).
    """

    model_config = _STRICT
    template: str | None = None
    title: str | None = None
    subtitle: str | None = None
    date: _dt.date | None = None
    max_items: int = Field(8, ge=3, le=15)
    colours: list[str] | None = None

    @field_validator("template")
    @classmethod
    def _template(cls, v):
        if v is not None and not v.lower().endswith(".pptx"):
            raise ValueError(f"the template must be a .pptx file (save .potx / .ppt templates as .pptx), got '{v}'")
        return v

    @field_validator("colours")
    @classmethod
    def _colours(cls, v):
        if v is None:
            return v
        bad = [c for c in v if not re.fullmatch(r"#?[0-9A-Fa-f]{6}", str(c))]
        if bad:
            raise ValueError(f"colours must be hex RGB like '#1F5F99'; not: {', '.join(map(str, bad))}")
        if not v:
            raise ValueError("name at least one colour, or leave colours out")
        return v


FACTOR_METHODS = ("minres", "ml", "pa", "principal")
FACTOR_ROTATIONS = ("oblimin", "quartimin", "geomin", "promax", "varimax", "none")
FACTOR_BLOCK_KINDS = ("needs", "motivations", "barriers")


class FactorBatterySpec(BaseModel):
    """One battery to factor analyse: which blocks, how many factors, how, and the names.

    ``names`` maps a marker item to the consultant's name for the factor that item loads
    most on (robust to the factors coming out in another order); unnamed factors keep the
    name suggested from their top-loading items.
    """

    model_config = _STRICT
    blocks: list[str] | None = None  # default: the block with the battery's name
    n_factors: int | Literal["auto"] = "auto"
    method: Literal["minres", "ml", "pa", "principal"] = "minres"
    rotation: Literal["oblimin", "quartimin", "geomin", "promax", "varimax", "none"] = "oblimin"
    correlation: Literal["pearson", "polychoric"] = "pearson"
    missing: Literal["pairwise", "listwise"] = "pairwise"
    names: dict[str, str] = Field(default_factory=dict)
    cut: float = Field(0.3, ge=0, lt=1)

    @field_validator("n_factors")
    @classmethod
    def _n_factors(cls, v):
        if isinstance(v, int) and v < 1:
            raise ValueError(f"n_factors must be at least 1 or 'auto', got {v}")
        return v


class ParallelSpec(BaseModel):
    model_config = _STRICT
    percentile: float = Field(95, gt=0, lt=100)
    iterations: int = Field(20, ge=1, le=1000)


class FactorsSpec(BaseModel):
    """The ``factors:`` section.  Without ``batteries``, every block of kind needs,
    motivations or barriers is analysed on its own with the defaults."""

    model_config = _STRICT
    run: bool = True
    batteries: dict[str, FactorBatterySpec] | None = None
    parallel: ParallelSpec = Field(default_factory=ParallelSpec)

    def resolved(self, spec: "StudySpec") -> dict[str, FactorBatterySpec]:
        """Battery name to its settings, with defaults and block lists filled in."""
        if not self.run:
            return {}
        if self.batteries is None:
            return {name: FactorBatterySpec(blocks=[name]) for name, b in spec.blocks.items()
                    if b.kind in FACTOR_BLOCK_KINDS}
        return {name: b if b.blocks is not None else b.model_copy(update={"blocks": [name]})
                for name, b in self.batteries.items()}


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
    weighting: WeightingSpec | None = None
    segmentation: SegmentationSpec = Field(default_factory=SegmentationSpec)
    criteria: CriteriaSpec = Field(default_factory=CriteriaSpec)
    deck: DeckSpec = Field(default_factory=DeckSpec)
    factors: FactorsSpec = Field(default_factory=FactorsSpec)


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

    # deck template
    tpl = _get(_get(data, "deck"), "template")
    if isinstance(tpl, str) and tpl.lower().endswith(".pptx") and not (root / tpl).exists():
        problems.append((("deck", "template"), f"deck template not found: {root / tpl} (paths are relative to the study folder)"))

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
        elif isinstance(key, str) and isinstance(cid, str) and key != cid:
            problems.append((("behaviour", "key"), f"join key '{key}' differs from customer_id '{cid}'; the survey's customer id column is the join key: drop behaviour.key or make them equal"))
        elif key is None and not isinstance(cid, str):
            problems.append((("behaviour",), "behaviour needs a join key: set customer_id: (the survey column holding the customer number)"))
        tx = _get(beh, "transactions")
        tcols = _get(tx, "columns", {}) or {}
        chans = _get(tx, "channels", {}) or {}
        names = [str(n) for n in chans.values()] if isinstance(chans, dict) else []
        if isinstance(tx, dict) and isinstance(tcols, dict):
            if chans and "channel" not in tcols:
                problems.append((("behaviour", "transactions", "channels"), "channels are declared but no column has the role 'channel' under transactions.columns"))
            if "channel" in tcols and not chans:
                problems.append((("behaviour", "transactions", "channels"), "the channel column needs its codes: channels: {code in the file: channel name}"))
            if _get(tx, "cancelled") and "status" not in tcols:
                problems.append((("behaviour", "transactions", "cancelled"), "cancelled markers need a column with the role 'status' under transactions.columns"))
            if "currency" in tcols and not _get(tx, "currency"):
                problems.append((("behaviour", "transactions", "currency"), "a currency column is mapped: declare the expected currency (e.g. currency: EUR)"))
            if isinstance(chans, dict):
                for code, name in chans.items():
                    if str(code) in names and str(name) != str(code):
                        problems.append((("behaviour", "transactions", "channels", code), f"code '{code}' is also the name of another channel; a value in the file must mean one channel"))
        if isinstance(tx, dict):
            engine = _get(beh, "engine", "duckdb")
            if _get(tx, "file") is None and _get(tx, "table") is None:
                problems.append((("behaviour", "transactions"), "give the transactions as file: (CSV or Parquet) or, with engine: spark, as table:"))
            elif _get(tx, "file") is not None and _get(tx, "table") is not None:
                problems.append((("behaviour", "transactions", "table"), "give file: or table:, not both"))
            elif _get(tx, "table") is not None and engine != "spark":
                problems.append((("behaviour", "transactions", "table"), "a table is read by the Spark engine: add engine: spark under behaviour, or give file:"))
            if _get(beh, "spark") is not None and engine != "spark":
                problems.append((("behaviour", "spark"), "spark: settings are used only with engine: spark"))
        dig = _get(beh, "digital", {}) or {}
        for i, c in enumerate(_get(dig, "channels", []) or []):
            if names and str(c) not in names:
                problems.append((("behaviour", "digital", "channels", i), _unknown("channel", c, list(dict.fromkeys(names)))))
        dq = _get(dig, "question")
        if isinstance(dq, str) and dq not in seen_cols:
            problems.append((("behaviour", "digital", "question"), f"'{dq}' is not a declared question"))
        tiers = _get(_get(beh, "rfm", {}), "tiers", {}) or {}
        g, s = _get(tiers, "gold"), _get(tiers, "silver")
        if isinstance(g, (int, float)) and isinstance(s, (int, float)):
            if _get(tiers, "rule", "score_sum") == "score_sum" and s > g:
                problems.append((("behaviour", "rfm", "tiers", "silver"), f"silver ({s}) is above gold ({g}); gold needs the higher score"))
            if _get(tiers, "rule") == "revenue_share" and not 0 < g < s <= 1:
                problems.append((("behaviour", "rfm", "tiers"), f"revenue shares must satisfy 0 < gold ({g}) < silver ({s}) <= 1"))
        cts = _get(beh, "cost_to_serve", {}) or {}
        th = _get(cts, "thresholds")
        if _get(cts, "rule") == "thresholds":
            if not (isinstance(th, list) and len(th) == 2 and all(isinstance(x, (int, float)) for x in th) and th[0] < th[1]):
                problems.append((("behaviour", "cost_to_serve", "thresholds"), f"rule 'thresholds' needs two increasing numbers [low/medium, medium/high], got {th!r}"))
        elif th is not None:
            problems.append((("behaviour", "cost_to_serve", "thresholds"), "thresholds are used only with rule: thresholds"))
        cust = _get(beh, "customers", {}) or {}
        ccols = _get(cust, "columns", {}) or {}
        for attr in (_get(cust, "values", {}) or {}):
            if isinstance(ccols, dict) and attr not in ccols:
                problems.append((("behaviour", "customers", "values", attr), f"'{attr}' is not an attribute under customers.columns"))

    # weighting
    wt = _get(data, "weighting")
    if isinstance(wt, dict):
        if not isinstance(beh, dict):
            problems.append((("weighting",), "weighting rakes respondents to the customer base: it needs a behaviour: section"))
        else:
            ccols = _get(_get(beh, "customers", {}), "columns", {}) or {}
            known = [str(a) for a in ccols] + list(BEHAVIOUR_CATEGORIES)
            for i, v in enumerate(_get(wt, "variables", []) or []):
                if v not in known:
                    problems.append((("weighting", "variables", i), _unknown("raking variable", v, known) + " (customer-master attributes are declared under behaviour.customers.columns)"))
        trim = _get(wt, "trim", {}) or {}
        lo, hi = _get(trim, "lower"), _get(trim, "upper")
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and not lo < 1 < hi:
            problems.append((("weighting", "trim"), f"trim bounds are relative to the mean weight: need lower < 1 < upper, got {lo} and {hi}"))

    # segmentation plan
    problems += _segmentation_checks(data, blocks if isinstance(blocks, dict) else {}, scales, seen_cols)

    # criteria: the scorecard's k range
    crit = _get(data, "criteria", {}) or {}
    ck_min, ck_max = _get(crit, "k_min", 3), _get(crit, "k_max", 8)
    if isinstance(ck_min, int) and isinstance(ck_max, int) and ck_min > ck_max:
        which = "k_max" if isinstance(crit, dict) and "k_max" in crit else "k_min"
        default = "" if isinstance(crit, dict) and "k_max" in crit else ", the default"
        problems.append((("criteria", which), f"k_max ({ck_max}{default}) is below k_min ({ck_min})"))
    problems += _factor_checks(data, blocks if isinstance(blocks, dict) else {}, scales)
    return problems


def _factor_checks(data: dict, blocks: dict, scales) -> list[tuple[tuple, str]]:
    """The ``factors:`` section against the blocks it names."""
    problems = []
    fac = _get(data, "factors")
    bats = _get(fac, "batteries")
    if not isinstance(bats, dict):
        return problems
    seen: dict[str, str] = {}
    for bname, bat in bats.items():
        if not isinstance(bat, dict):
            continue
        loc = ("factors", "batteries", bname)
        bl = bat.get("blocks", [bname] if bname in blocks else None)
        if bl is None:
            problems.append((loc + ("blocks",), f"battery '{bname}' is not a block name: list its blocks, e.g. blocks: [{next(iter(blocks), 'needs')}]"))
            continue
        if not isinstance(bl, list):
            continue
        items = []
        for i, b in enumerate(bl):
            bloc = loc + ("blocks", i) if "blocks" in bat else loc
            if b not in blocks:
                problems.append((bloc, _unknown("block", b, list(blocks))))
                continue
            blk = blocks[b] if isinstance(blocks[b], dict) else {}
            if blk.get("kind") in ("outcomes", "verbatims", "screening"):
                problems.append((bloc, f"block '{b}' is of kind {blk.get('kind')}; factor analysis takes rating batteries (needs, motivations, barriers)"))
                continue
            if b in seen:
                problems.append((bloc, f"block '{b}' is already analysed in battery '{seen[b]}'"))
            seen[b] = bname
            for q in blk.get("questions") or []:
                if not isinstance(q, dict) or not isinstance(q.get("id"), str):
                    continue
                st = _scale_type_raw(q.get("scale", blk.get("scale")), scales)
                if st in ("nominal", "text"):
                    problems.append((bloc, f"question '{q['id']}' has a {st} scale; factor analysis needs rated (likert, ordinal or numeric) items"))
                items.append(q["id"])
        n = bat.get("n_factors")
        if isinstance(n, int) and not isinstance(n, bool) and items:
            p = len(items)
            top = 0
            while (p - (top + 1)) ** 2 - (p + top + 1) >= 0:
                top += 1
            if n > top:
                problems.append((loc + ("n_factors",), f"{n} factors cannot be identified from the battery's {p} items (at most {top}); lower n_factors or use auto"))
        names = bat.get("names")
        if isinstance(names, dict):
            used = {}
            for item, nm in names.items():
                if items and item not in items:
                    problems.append((loc + ("names", item), f"'{item}' is not an item of this battery ({', '.join(items[:5])}{', ...' if len(items) > 5 else ''}); key each name by an item of the factor it names"))
                if nm in used:
                    problems.append((loc + ("names", item), f"the name '{nm}' is already given via '{used[nm]}'; factor names must be unique"))
                used[nm] = item
    return problems


def _segmentation_checks(data: dict, blocks: dict, scales, seen_cols: dict) -> list[tuple[tuple, str]]:
    """Cross-references of the ``segmentation:`` plan (lenient on a broken structure)."""
    problems: list[tuple[tuple, str]] = []
    seg = _get(data, "segmentation", {}) or {}
    if not isinstance(seg, dict):
        return problems
    unusable = ("verbatims", "screening")

    def coded_questions(bname) -> list[str]:
        block = blocks.get(bname)
        if not isinstance(block, dict):
            return []
        if block.get("kind") == "outcomes":
            return [o.get("id") for o in block.get("outcomes") or [] if isinstance(o, dict)]
        out = []
        for q in block.get("questions") or []:
            if isinstance(q, dict):
                st = _scale_type_raw(q.get("scale", block.get("scale")), scales)
                if st in CODED_TYPES or st is None:
                    out.append(q.get("id"))
        return out

    basis = _get(seg, "basis", []) or []
    for i, b in enumerate(basis if isinstance(basis, list) else []):
        loc = ("segmentation", "basis", i)
        if not isinstance(b, str):
            continue
        if b not in blocks:
            problems.append((loc, _unknown("block", b, list(blocks))))
        elif basis.index(b) != i:
            problems.append((loc, f"block '{b}' is listed twice"))
        elif isinstance(blocks[b], dict) and blocks[b].get("kind") in unusable:
            problems.append((loc, f"block '{b}' is of kind '{blocks[b].get('kind')}', which cannot be a segmentation "
                                  "basis; use blocks of coded answers (needs, motivations, barriers, ...)"))
        elif not coded_questions(b):
            problems.append((loc, f"block '{b}' has no coded (likert, ordinal, nominal or binary) questions to segment on"))
    k_min, k_max = seg.get("k_min", 2), seg.get("k_max", 8)
    if isinstance(k_min, int) and isinstance(k_max, int) and k_min > k_max:
        which = "k_max" if "k_max" in seg else "k_min"
        problems.append((("segmentation", which), f"k_max ({k_max}) is below k_min ({k_min})"))
    covs = _get(seg, "covariates", []) or []
    basis_cols = {c for b in basis if isinstance(b, str) for c in coded_questions(b)}
    for i, c in enumerate(covs if isinstance(covs, list) else []):
        loc = ("segmentation", "covariates", i)
        if not isinstance(c, str):
            continue
        if c in blocks:
            if isinstance(blocks[c], dict) and blocks[c].get("kind") in unusable:
                problems.append((loc, f"block '{c}' is of kind '{blocks[c].get('kind')}'; covariates must be coded "
                                      "answers or numbers (e.g. the firmographics block)"))
            elif c in basis:
                problems.append((loc, f"block '{c}' is in the basis; a covariate must not also be segmented on"))
            continue
        if c not in seen_cols:
            problems.append((loc, _unknown("covariate (a column or block)", c, list(blocks) + list(seen_cols))))
            continue
        if c in basis_cols:
            problems.append((loc, f"'{c}' is a basis item; a covariate must not also be segmented on"))
        where = seen_cols[c]
        if len(where) > 3 and where[0] == "blocks" and where[2] == "questions":
            block = blocks.get(where[1], {})
            q = (block.get("questions") or [])[where[3]]
            st = _scale_type_raw(q.get("scale", block.get("scale")), scales) if isinstance(q, dict) else None
            if st == "text":
                problems.append((loc, f"'{c}' is a text question; covariates must be coded answers or numbers"))
    distal = seg.get("distal")
    if isinstance(distal, list):
        for i, d in enumerate(distal):
            if isinstance(d, str) and distal.index(d) != i:
                problems.append((("segmentation", "distal", i), f"KPI '{d}' is listed twice"))
    choice = seg.get("choice")
    if isinstance(choice, dict):
        methods = seg.get("methods", ["lca", "lpa", "kmeans"])
        m, k = choice.get("method"), choice.get("k")
        if isinstance(methods, list) and isinstance(m, str) and m in SEGMENTATION_METHODS and m not in methods:
            problems.append((("segmentation", "choice", "method"),
                             f"the pinned method '{m}' is not among the methods fitted ({', '.join(map(str, methods))})"))
        if isinstance(k, int) and isinstance(k_min, int) and isinstance(k_max, int) and not k_min <= k <= k_max:
            problems.append((("segmentation", "choice", "k"),
                             f"the pinned k={k} is outside the range fitted (k_min {k_min} to k_max {k_max})"))
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
