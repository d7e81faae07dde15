"""The schema of study.yaml: pydantic models of every section, and the names they allow.

Every model is strict (unknown keys are errors) and frozen. Cross-references the schema
cannot see (a block named in ``segmentation.basis`` exists, ...) are checked in
:mod:`workbench.study.checks`.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ..core.provenance import SEED_MAX
from ..files.safeids import id_problem

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


#: Dates a study may name (fieldwork, reference date, deck date): behaviour is measured in days
#: from them with pandas, whose timestamps end in 2262, and no survey predates 1900.
DATE_RANGE = (_dt.date(1900, 1, 1), _dt.date(2199, 12, 31))


def sane_date(v):
    """``v`` when it is None or a date within :data:`DATE_RANGE`; a ValueError naming the range."""
    if v is not None and not DATE_RANGE[0] <= v <= DATE_RANGE[1]:
        raise ValueError(f"the date {v.isoformat()} is outside {DATE_RANGE[0].year}-{DATE_RANGE[1].year}; "
                         "check the year (dates are written YYYY-MM-DD)")
    return v


def unknown_message(what, value, allowed) -> str:
    """The message for a value not in ``allowed``, with the closest allowed one as a hint."""
    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what} '{value}'{hint}; expected one of {', '.join(allowed)}"


# --------------------------------------------------------------------------- models

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


#: A language code: ISO 639-1/2 with an optional region ('da', 'nb', 'nl-BE').
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")

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
    #: the codes' labels in other languages, for files whose answers are written as text in
    #: another language (two markets in one wave): ``labels: {sv: {1: Mycket missnöjd, ...}}``
    labels: dict[str, dict[int, str]] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _type(cls, v):
        if v not in SCALE_TYPES:
            raise ValueError(unknown_message("scale type", v, SCALE_TYPES))
        return v

    @field_validator("labels")
    @classmethod
    def _labels(cls, v, info):
        known = set(info.data.get("codes") or {}) | set(info.data.get("missing") or {})
        for lang, labels in v.items():
            if not LANGUAGE_CODE.match(lang):
                raise ValueError(f"labels are keyed by a language code such as 'sv' or 'nl-BE', got {lang!r}")
            extra = sorted(c for c in labels if c not in known)
            if extra:
                raise ValueError(f"labels for {lang} name code(s) {', '.join(map(str, extra))} that the scale does not "
                                 f"have (its codes: {', '.join(map(str, sorted(known))) or 'none'})")
        return v



class QuestionSpec(BaseModel):
    model_config = _STRICT
    id: str
    text: str
    label: str | None = None
    scale: str | ScaleSpec | None = None
    reverse: bool = False
    force: str | None = None
    # open questions (verbatims): the language of the answers - one for the question
    # (``language: da``), or per respondent from another column (``language_from: country``,
    # its codes mapped by ``language_map: {1: da, 2: sv}``, or holding language codes) - and a
    # column holding their translation into the study's language (``translation:``)
    language: str | None = None
    language_from: str | None = None
    language_map: dict[str, str] | None = None
    translation: str | None = None

    @field_validator("language")
    @classmethod
    def _language(cls, v):
        if v is not None and not LANGUAGE_CODE.match(v):
            raise ValueError(f"language must be a language code such as 'en', 'da' or 'nl-BE', got {v!r}")
        return v

    @field_validator("language_map", mode="before")
    @classmethod
    def _language_map(cls, v):
        if v is None:
            return v
        if not isinstance(v, dict):
            raise ValueError("language_map maps the codes of the language_from column to language codes, "
                             "e.g. {1: da, 2: sv}")
        bad = [f"{k}: {x}" for k, x in v.items() if not (isinstance(x, str) and LANGUAGE_CODE.match(x))]
        if bad:
            raise ValueError(f"language_map values must be language codes such as 'da'; not: {', '.join(bad)}")
        return {str(k): x for k, x in v.items()}

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
            raise ValueError(unknown_message("force of progress", v, FORCES))
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
    #: "select all that apply": each question is one option, ticked (the option's label, 1 or
    #: the scale's label of 1) or not (blank or 0); read as binary items 0/1, blanks as "not
    #: selected" (validate says how many). The scale, when given, is binary (its labels name
    #: the two states, e.g. {0: Ikke valgt, 1: Valgt}).
    multi_select: bool = False

    @field_validator("kind")
    @classmethod
    def _kind(cls, v):
        if v not in BLOCK_KINDS:
            raise ValueError(unknown_message("block kind", v, BLOCK_KINDS))
        return v


class StudyInfo(BaseModel):
    model_config = _STRICT
    name: str
    id: str | None = None
    client: str | None = None
    language: str = "en"
    languages: list[str] = Field(default_factory=list)
    description: str | None = None

    @field_validator("id")
    @classmethod
    def _safe_id(cls, v):  # the id names a report folder, so it cannot be a path (issue 14)
        if v is not None and (problem := id_problem(v, "study id")):
            raise ValueError(problem)
        return v


#: Formats a response file can be read as (``format:`` on a wave or a file; see workbench.data.readers).
RESPONSE_FORMATS = ("auto", "csv", "xlsx", "sav", "qualtrics", "surveymonkey")


def _check_language(v):
    if v is not None and not LANGUAGE_CODE.match(v):
        raise ValueError(f"language must be a language code such as 'en', 'da' or 'nl-BE', got {v!r}")
    return v


class FileSpec(BaseModel):
    """One response file of a wave with reading options of its own (``files: [{file: se.xlsx,
    language: sv, header_row: 3}]``); an option left out is the wave's."""

    model_config = _STRICT
    file: str
    format: Literal["auto", "csv", "xlsx", "sav", "qualtrics", "surveymonkey"] | None = None
    delimiter: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    header_row: int | None = Field(None, ge=1)
    language: str | None = None

    @field_validator("language")
    @classmethod
    def _language(cls, v):
        return _check_language(v)


class WaveSpec(BaseModel):
    model_config = _STRICT
    id: str
    label: str | None = None
    files: list[str | FileSpec]
    fieldwork_start: _dt.date | None = None
    fieldwork_end: _dt.date | None = None
    reference_date: _dt.date | None = None
    format: Literal["auto", "csv", "xlsx", "sav", "qualtrics", "surveymonkey"] = "auto"
    delimiter: str | None = None
    decimal: str | None = None
    encoding: str = "utf-8"
    sheet: str | int | None = None
    #: the row holding the column names (1 = the first row) when a title block sits above it;
    #: default: found (the first row naming the respondent id), and said in the log and by validate
    header_row: int | None = Field(None, ge=1)
    #: the language the answers are written in, when they are label text in another language
    #: than the study's (the scale's ``labels:`` for that language are used)
    language: str | None = None
    not_asked: list[str] = Field(default_factory=list)

    @field_validator("language")
    @classmethod
    def _language(cls, v):
        return _check_language(v)

    @property
    def file_names(self) -> list[str]:
        """The response files, as paths relative to the study folder."""
        return [f.file if isinstance(f, FileSpec) else f for f in self.files]

    def file_spec(self, name: str) -> "FileSpec | None":
        """The per-file reading options of file ``name``, or None when it has none."""
        return next((f for f in self.files if isinstance(f, FileSpec) and f.file == name), None)

    @field_validator("id", mode="before")
    @classmethod
    def _id_str(cls, v):
        if isinstance(v, bool) or isinstance(v, float) or v is None:  # issue 24: never silently a text
            raise ValueError(f"the wave id {v!r} is read by YAML as {'a boolean' if isinstance(v, bool) else 'a number' if isinstance(v, float) else 'empty'}"
                             "; write it in quotes (e.g. id: \"1.10\")")
        return str(v) if isinstance(v, int) else v

    @field_validator("id")
    @classmethod
    def _safe_id(cls, v):  # the id names a report folder, so it cannot be a path (issue 14)
        if problem := id_problem(v, "wave id"):
            raise ValueError(problem)
        return v

    @field_validator("files")
    @classmethod
    def _files(cls, v):
        if not v:
            raise ValueError("a wave needs at least one response file")
        return v

    @field_validator("fieldwork_start", "fieldwork_end", "reference_date")
    @classmethod
    def _dates(cls, v):
        return sane_date(v)

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
            raise ValueError(unknown_message("column role", bad[0], TRANSACTION_ROLES))
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


#: The forward outcomes' horizons in months when the study names none: the study's default and
#: ``behaviour.forward.forward_outcomes``'s (one home).
FORWARD_HORIZONS = (6, 12)


class BehaviourSpec(BaseModel):
    """The behaviour section: sources, windows and feature rules (see workbench.behaviour)."""

    model_config = _STRICT
    key: str | None = None
    transactions: TransactionsSource
    customers: CustomersSource | None = None
    window_months: int = Field(12, ge=1, le=120)
    trend_months: int = Field(6, ge=1, le=60)
    lapsed_days: int = Field(90, ge=1)
    #: months after the wave's reference date over which the forward outcomes (lapsed, revenue
    #: change, channel switch, cost change) are measured; the candidates are judged on the
    #: longest one the transactions cover (workbench.steps.forward)
    forward_horizons: list[int] = Field(default_factory=lambda: list(FORWARD_HORIZONS))
    rfm: RfmSpec = Field(default_factory=RfmSpec)
    cost_to_serve: CostToServeSpec = Field(default_factory=CostToServeSpec)
    digital: DigitalSpec = Field(default_factory=DigitalSpec)
    #: where the feature SQL runs: ``duckdb`` (embedded, default) or ``spark`` (see
    #: workbench.behaviour.engines); ``spark`` settings only with ``engine: spark``.
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark: SparkSpec | None = None
    #: least share of respondents the join must match (None: workbench.data.joincheck's default, 0.5)
    min_match_share: float | None = Field(None, ge=0, le=1)

    @field_validator("forward_horizons")
    @classmethod
    def _horizons(cls, v):
        if not v:
            raise ValueError("forward_horizons needs at least one horizon in months, e.g. [6, 12]")
        bad = [h for h in v if not 1 <= h <= 60]
        if bad:
            raise ValueError(f"forward_horizons must be whole months from 1 to 60, not {bad[0]}")
        if len(set(v)) != len(v):
            raise ValueError("forward_horizons lists a horizon twice")
        return sorted(v)


class TrimSpec(BaseModel):
    model_config = _STRICT
    lower: float | None = Field(0.3, gt=0)
    upper: float | None = Field(3.0, gt=0)


class WeightingSpec(BaseModel):
    """Raking the clean respondents to the customer base (see workbench.data.weighting).

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


#: The built-in segmentation methods; a method registered with ``workbench.segments.register`` may be
#: named too (``segmentation.methods`` holds method names; the segments step checks them against the
#: registry, and ``workbench validate`` with it).
SEGMENTATION_METHODS = ("lca", "lpa", "kmeans", "ward")
#: What a method name looks like (the registry's keys are lower-case identifiers).
METHOD_NAME = r"^[a-z][a-z0-9_]*$"
LPA_COVARIANCES = ("diag", "spherical", "tied", "full")


class SegmentationChoice(BaseModel):
    """The consultant's pinned candidate, e.g. ``choice: {method: lca, k: 5}``."""

    model_config = _STRICT
    method: str = Field(pattern=METHOD_NAME)  # a registered method (checked by the segments step)
    k: int = Field(ge=1, le=20)


class SegmentationSpec(BaseModel):
    """The segmentation plan (``segmentation:``); see :mod:`workbench.segments`.

    ``basis``
        Blocks whose coded items are segmented (latent class analysis); latent profiles,
        k-means and Ward use the blocks' factor scores when the factor step ran, else
        the standardised items. An empty basis skips the segmentation step.
    ``methods``
        Any of lca, lpa, kmeans, ward, or a method registered with
        ``workbench.segments.register`` (checked against the registry when the wave is run).
    ``k_min``, ``k_max``
        The range of segment counts fitted for every method (at most 20).
    ``n_init``
        Random starts per model (the best log-likelihood wins; default 50: fewer miss the
        best fit on real data, see ``benchmarks/lca_optimum.py``).
    ``bootstrap_reps``, ``stability``
        Refits per candidate for the stability check, ``bootstrap`` or ``split-half``
        (0 = not measured).
    ``covariance``
        LPA covariance structure: auto (default: spherical, diag, tied and full fitted at every
        k with a few starts, the lowest BIC kept as mclust chooses; tied and full only when no
        respondent has missing values; the BIC table is in segments.xlsx), or one of diag,
        spherical, tied, full.
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
    ``measurement``
        Basis blocks whose items latent class analysis models as ordinal (Latent GOLD's
        adjacent-category restriction), e.g. ``{needs: ordinal}``; others stay nominal.
    ``max_starts``
        LCA: when fewer than 2 starts reach a candidate's best log-likelihood, or fewer
        than half and added starts still improve it, starts are added up to this many in
        all (default ``4 × n_init``).
    ``blrt_reps``, ``blrt_for``
        LCA: bootstrap likelihood-ratio test of k against k-1 classes with at most this
        many draws (0 = no test), for the two candidates around the lowest BIC (``bic``, the
        default) or for every k (``all``, slower). The rule: p at most 0.05 = k fits better.
        The smallest p-value B draws can give is 1/(B+1), shown as the floor. Left out: 99
        draws (floor 0.01, so a p-value near 0.05 is decided), stopping once 5 draws reach
        the observed ratio (after about 5/p draws where p is clearly above 0.05); above 5,000
        respondents 19 (floor 0.05, an exact 5 % Monte-Carlo test: "at most 0.05" when no
        draw reaches the observed ratio), stopping at the 2nd.
    ``reworded``
        Later waves: basis questions (or blocks) whose wording changed since the model was
        fitted but not their meaning — a new label, new answer labels on the same codes. The
        model keeps classifying them (tracking goes on); codes added or removed still refuse it.
    """

    model_config = _STRICT
    basis: list[str] = Field(default_factory=list)
    methods: list[Annotated[str, StringConstraints(pattern=METHOD_NAME)]] = Field(
        default_factory=lambda: ["lca", "lpa", "kmeans"])
    k_min: int = Field(2, ge=1, le=20)
    k_max: int = Field(8, ge=1, le=20)
    n_init: int = Field(50, ge=1, le=1000)
    bootstrap_reps: int = Field(0, ge=0, le=1000)
    stability: Literal["bootstrap", "split-half"] = "bootstrap"
    covariance: Literal["auto", "diag", "spherical", "tied", "full"] = "auto"
    covariates: list[str] = Field(default_factory=list)
    distal: list[str] | None = None
    choice: SegmentationChoice | None = None
    min_class_share: float = Field(0.05, ge=0, lt=0.5)
    uncertain_below: float = Field(0.6, gt=0, lt=1)
    golden_questions: int = Field(10, ge=1, le=50)
    measurement: dict[str, Literal["nominal", "ordinal"]] = Field(default_factory=dict)
    max_starts: int | None = Field(None, ge=1, le=10000)
    blrt_reps: int | None = Field(None, ge=0, le=1000)
    blrt_for: Literal["bic", "all"] = "bic"
    reworded: list[str] = Field(default_factory=list)

    @field_validator("measurement")
    @classmethod
    def _measurement(cls, v, info):
        unknown = [b for b in v if b not in (info.data.get("basis") or [])]
        if unknown:
            raise ValueError(f"measurement names block(s) {', '.join(unknown)} that are not in the basis "
                             f"({', '.join(info.data.get('basis') or []) or 'empty'})")
        return v

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

    @field_validator("date")
    @classmethod
    def _date(cls, v):
        return sane_date(v)

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
    # auto: tetrachoric for binary items, polychoric for ordinal ones, else Pearson (steps/factors.py)
    correlation: Literal["auto", "pearson", "polychoric", "tetrachoric"] = "auto"
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


class PanelSpec(BaseModel):
    """Who was interviewed in more than one wave (``panel:``), for segment migration.

    ``key``
        ``respondent``: the same respondent id in two waves is the same person; ``customer``:
        re-interviewed accounts, linked by the study's ``customer_id`` (a customer with several
        respondents in a wave is not linked in that wave: it stays in the likelihood as a
        one-wave respondent). Not set (the default): respondent ids found in two waves are
        counted, but nothing is estimated (many survey tools number each wave's interviews
        from 1, so a shared id need not be the same person).
    ``bootstrap_reps``
        Bootstrap replicates of the transition intervals (default 50; 0 = none).
    ``alpha``
        Level of the invariance tests (one item freed at a time, Holm-adjusted; default 0.05).
    """

    model_config = _STRICT
    key: Literal["respondent", "customer"] | None = None
    bootstrap_reps: int = Field(50, ge=0, le=2000, strict=True)
    alpha: float = Field(0.05, gt=0, lt=0.5)


class StudySpec(BaseModel):
    model_config = _STRICT
    study: StudyInfo
    respondent_id: str
    customer_id: str | None = None
    weight: str | None = None
    seed: int = Field(20240101, ge=0, le=SEED_MAX, strict=True)  # the bounds every estimator accepts (provenance.SEED_MAX)
    min_segment_n: int = Field(30, ge=1, le=1_000_000, strict=True)
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
    panel: PanelSpec = Field(default_factory=PanelSpec)

