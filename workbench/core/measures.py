"""One registry of the behavioural measures and KPIs: what each one is called, in which unit
it is counted, how a value is written, which way is better, and whether the scorecard
tests it.

Every column the behaviour step gives per customer (see :mod:`workbench.behaviour`, whose
module docstring defines how each one is computed) has one :class:`Measure` here; the
per-channel shares (``orders_share_<channel>``, ``revenue_share_<channel>``) are families
read by :func:`measure`.  The rooms that show or test measures read them from here:

* the criteria and profile steps: :data:`CORE_KPIS` (the KPIs tested when the study's
  ``criteria.kpis`` names none, in this order), :data:`BOOKKEEPING` (columns of the
  behaviour join that are never KPIs) and :data:`NOT_FEATURES` (nor features of the
  whole-base placement);
* tracking: :func:`labels` for the indicators of the profile-drift table;
* the deck: labels and number formats of the KPI tiles and matrix rows (the deck imports
  this module directly: it is plain data without study or result objects, and keeping the
  labels out of ``deck_data.json`` lets decks saved by earlier runs re-render unchanged).

Units
-----
``currency``  an amount in the study's currency (``behaviour.transactions.currency`` in
              study.yaml; :meth:`Measure.unit_label` writes the code, 'currency' when the
              study declares none); ``days``; ``orders``; ``units`` (quantity);
``share``     a 0-1 share of orders or revenue, shown in % (the value is multiplied by 100);
``flag``      a yes/no per customer, summarised as the % of customers for whom it holds;
``score``     a quantile score (1 = lowest, ``bins`` = highest) or their sum;
``index``     a signed ratio from -1 to +1 (the revenue trend);
``scale``     a 0-1 scale (digital maturity);
``category``  a category (tier, channel), summarised as shares of customers.

To add a measure: give the behaviour query its column, then a :class:`Measure` in
:data:`MEASURES` (in :data:`CORE_KPIS` order first when the scorecard should test it by
default) with its label, unit, format and direction; tests/test_measures.py checks that
every column the behaviour step gives the demo study's customers has one (or is
bookkeeping, a key or personal data).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["p_text", "Measure", "MEASURES", "CORE_KPIS", "BOOKKEEPING", "NOT_FEATURES", "UNITS", "DIRECTIONS", "measure", "labels", "is_measure",
           "COLUMN_LABELS", "SETTING_WORDS", "column_label", "setting_words", "is_identifier", "round_shares",
           "candidate_label", "readable", "not_a_word", "measure_label", "JOIN_KEY", "is_key", "SHARE_FORMAT",
           "PERCENT_FORMAT"]

#: The units a measure can have (see the module docstring).
UNITS = ("currency", "days", "orders", "units", "share", "flag", "score", "index", "scale", "category")
#: Which way is better: a higher value, a lower one, or neither.
DIRECTIONS = ("higher", "lower", "neutral")

#: The one percent style of every deliverable, as the deck writes "27 %": a space before the
#: sign. Excel formats for a 0-1 share (an unquoted % multiplies by 100) and for a figure
#: already in percent (0-100).
SHARE_FORMAT = "0.0 %"
PERCENT_FORMAT = '0.0" %"'
#: Excel number formats per unit (for writers that format measure columns).
_EXCEL = {"currency": "#,##0", "days": "#,##0", "orders": "#,##0.0", "units": "#,##0", "share": SHARE_FORMAT,
          "flag": "0 %", "score": "0", "index": "+0.00;-0.00;0.00", "scale": "0.00", "category": "@"}


@dataclass(frozen=True)
class Measure:
    """A behavioural measure as the workbench shows and tests it.

    Attributes
    ----------
    name : str
        Column name in the behaviour tables.
    label : str
        How it reads on slides and in tables ("Revenue per customer").
    unit : {'currency', 'days', 'orders', 'units', 'share', 'flag', 'score', 'index', 'scale', 'category'}
    fmt : str
        :meth:`str.format` pattern of a value as shown; for ``share`` and ``flag`` the
        value in % (``"{:.0f} %"``).
    direction : {'higher', 'lower', 'neutral'}
        Which way is better for the business.
    kpi : bool
        Tested by the scorecard (and profiled) when the study names no ``criteria.kpis``.
    """

    name: str
    label: str
    unit: str
    fmt: str
    direction: str = "neutral"
    kpi: bool = False

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"measure {self.name}: unit '{self.unit}' is not one of {', '.join(UNITS)}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"measure {self.name}: direction '{self.direction}' is not one of {', '.join(DIRECTIONS)}")

    @property
    def percent(self) -> bool:
        """True when values are 0-1 shares shown in % (multiplied by 100 before :meth:`format`)."""
        return self.unit == "share"

    @property
    def excel_format(self) -> str:
        """The Excel number format of the raw value (shares as 0.0 %)."""
        return _EXCEL[self.unit]

    def format(self, value) -> str:
        """``value`` as shown (already in % for shares and flags); '' for a missing value."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return ""
        return self.fmt.format(value)

    def with_unit(self, value, currency: str | None = None) -> str:
        """``value`` as shown with its unit: '6,314 DKK', '176 days', '4.2 orders', '12 %'."""
        text = self.format(value)
        if not text:
            return text
        if self.unit == "currency":
            return f"{text} {currency}" if currency else text
        if self.unit in ("days", "orders", "units"):
            return f"{text} {self.unit}"
        return text

    def unit_label(self, currency: str | None = None) -> str:
        """The unit as a reader sees it: the currency code for amounts ('currency' without one)."""
        if self.unit == "currency":
            return currency or "currency"
        return {"share": "%", "flag": "% of customers", "category": "% of customers"}.get(self.unit, self.unit)


def _m(name, label, unit, fmt, direction="neutral", kpi=False) -> Measure:
    return Measure(name=name, label=label, unit=unit, fmt=fmt, direction=direction, kpi=kpi)


#: Every measure, the scorecard's default KPIs first (in the order they are tested).
MEASURES: dict[str, Measure] = {m.name: m for m in (
    _m("revenue", "Revenue per customer", "currency", "{:,.0f}", "higher", kpi=True),
    _m("frequency", "Orders per customer", "orders", "{:,.1f}", "higher", kpi=True),
    _m("recency_days", "Days since last order", "days", "{:,.0f}", "lower", kpi=True),
    _m("aov", "Average order value", "currency", "{:,.0f}", "higher", kpi=True),
    _m("rfm_tier", "RFM tier", "category", "{}", "neutral", kpi=True),
    _m("lapsed", "Lapsed customers", "flag", "{:.0f} %", "lower", kpi=True),
    _m("cost_to_serve", "Cost to serve", "currency", "{:,.0f}", "lower", kpi=True),
    _m("dominant_channel", "Main ordering channel", "category", "{}", "neutral", kpi=True),
    _m("digital_share", "Digital share of orders", "share", "{:.0f} %", "neutral", kpi=True),
    _m("return_rate", "Return rate", "share", "{:.1f} %", "lower", kpi=True),
    _m("gross_revenue", "Gross revenue per customer", "currency", "{:,.0f}", "higher"),
    _m("returns_value", "Returned value", "currency", "{:,.0f}", "lower"),
    _m("tenure_days", "Days since first order", "days", "{:,.0f}", "neutral"),
    _m("revenue_recent", "Revenue, recent months", "currency", "{:,.0f}", "higher"),
    _m("revenue_previous", "Revenue, months before", "currency", "{:,.0f}", "higher"),
    _m("trend", "Revenue trend", "index", "{:+.2f}", "higher"),
    _m("r_score", "Recency score", "score", "{:.0f}", "higher"),
    _m("f_score", "Frequency score", "score", "{:.0f}", "higher"),
    _m("m_score", "Monetary score", "score", "{:.0f}", "higher"),
    _m("rfm_total", "RFM score", "score", "{:.0f}", "higher"),
    _m("active", "Active customers", "flag", "{:.0f} %", "higher"),
    _m("cost_per_order", "Cost to serve per order", "currency", "{:,.1f}", "lower"),
    _m("cost_share", "Cost to serve, share of revenue", "share", "{:.1f} %", "lower"),
    _m("cost_tier", "Cost-to-serve tier", "category", "{}", "neutral"),
    _m("units", "Units per customer", "units", "{:,.0f}", "higher"),
    _m("digital_maturity", "Digital maturity", "scale", "{:.2f}", "neutral"),
    _m("digital_declared", "Digital maturity (declared)", "scale", "{:.2f}", "neutral"),
)}

#: KPIs the scorecard tests when the study's ``criteria.kpis`` names none (those present).
CORE_KPIS: tuple[str, ...] = tuple(name for name, m in MEASURES.items() if m.kpi)

#: The behaviour join's own name for the customer key, whatever the survey calls it
#: (:func:`workbench.behaviour.match_respondents`).
JOIN_KEY = "customer_id"
#: Columns of the behaviour join that are bookkeeping (how a respondent met the customer
#: base, and the key it met it by), never KPIs to profile or segment by.
BOOKKEEPING: tuple[str, ...] = (JOIN_KEY, "match", "duplicate_key", "in_master", "in_transactions")
#: Columns of the customer tables that are not features to place customers with: the
#: bookkeeping, dates and contact details.
NOT_FEATURES: tuple[str, ...] = BOOKKEEPING + ("first_order", "last_order", "customer_name", "name", "email", "phone")

#: Per-channel families: prefix -> (label pattern, unit, format, direction).
_FAMILIES = {
    "orders_share_": ("Share of orders via {}", "share", "{:.0f} %", "neutral"),
    "revenue_share_": ("Share of revenue via {}", "share", "{:.0f} %", "neutral"),
}


def measure(name: str) -> Measure | None:
    """The measure of a behaviour column, or None for a column that is not one.

    Per-channel shares (``orders_share_web``) are read from their family; the channel is
    the column's slug (the study's channel name as :func:`workbench.behaviour.channel_slug`
    wrote it).
    """
    name = str(name)
    if name in MEASURES:
        return MEASURES[name]
    for prefix, (label, unit, fmt, direction) in _FAMILIES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return Measure(name=name, label=label.format(name[len(prefix):].replace("_", " ")), unit=unit, fmt=fmt,
                           direction=direction)
    return None


#: Column names that read as a key: ends in id / no / nr / number / key / code (``kundenr``,
#: ``AccountNo``, ``cust_id``, ``Debitor_Nr``).
_KEY_NAME = re.compile(r"(?:id|no|nr|num|number|nummer|key|code|ref)$", re.IGNORECASE)


def is_key(name, values=None, *, keys=()) -> bool:
    """True for a key column, which is never a measure (a KPI, distal outcome or feature).

    A key is the behaviour join's customer id (:data:`JOIN_KEY`), a column the study declares
    as a key (``keys``: its respondent id, customer id, the master's and the transactions'
    key columns), or — whatever its name, unless it is a registered measure — a column whose
    values identify rows: text with at least 20 distinct values making up at least half of the
    values (several respondents may share an account), mostly distinct digit strings with
    leading zeros (``0100002``), or mostly distinct whole numbers under a key-like name
    (``kundenr``, ``AccountNo``).
    """
    name = str(name)
    if name == JOIN_KEY or name in {str(k) for k in keys if k}:
        return True
    if values is None or measure(name) is not None:  # a registered measure is never a key
        return False
    vals = [v for v in values if not _blank(v)]
    if not vals:
        return False
    texts = [v for v in vals if isinstance(v, str)]
    if texts:
        padded = sum(1 for v in texts if len(v.strip()) > 1 and v.strip().isdigit() and v.strip()[0] == "0")
        if padded >= 0.05 * len(texts) and len(set(texts)) >= 0.5 * len(texts) and len(texts) >= 20:
            return True
        distinct = len(set(texts))  # ids shared by a few respondents (several per account) are still ids
        return len(texts) == len(vals) and distinct >= 20 and distinct >= 0.5 * len(texts)
    if len(vals) < 20 or not _KEY_NAME.search(name):
        return False
    try:
        whole = all(float(v).is_integer() for v in vals)
    except (TypeError, ValueError):
        return False
    return whole and len(set(float(v) for v in vals)) >= 0.5 * len(vals)


def _blank(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and not v.strip():
        return True
    try:
        return bool(v != v)  # pandas NA / NaT
    except (TypeError, ValueError):
        return False


def is_measure(name: str) -> bool:
    """True for a column this registry knows (a measure or a per-channel share)."""
    return measure(name) is not None


def labels(columns, *, categories: bool = True) -> dict[str, str]:
    """Column -> label for the columns that are measures (others left out).

    ``categories=False`` leaves out category measures (tier, channel), whose tables name
    the column and label the levels instead (the profile-drift table does so).
    """
    out = {}
    for c in columns:
        m = measure(c)
        if m is not None and (categories or m.unit != "category"):
            out[c] = m.label
    return out


# --------------------------------------------------------------------------- other columns and settings shown to a client
#
# The technical columns of the workbooks (fit statistics, scorecard checks, quality checks)
# and the study settings that reach a slide: each has a label here, so no identifier
# (``n_parameters``, ``keep_last``) is shown to a client.  :func:`column_label` is what the
# workbook writer (:func:`workbench.files.outputs.write_workbook`) and the deck use for a header.

#: Technical column -> label (workbook headers, deck tables).
COLUMN_LABELS: dict[str, str] = {
    "candidate": "Candidate", "method": "Method", "k": "Segments (k)", "status": "Status",
    "loglik": "Log-likelihood", "n_parameters": "Parameters", "aic": "AIC", "bic": "BIC", "sabic": "Sample-size adjusted BIC",
    "caic": "Consistent AIC", "icl_bic": "ICL-BIC (BIC + entropy penalty)", "entropy": "Entropy (0-1)",
    "classification_error": "Classification error", "inertia": "Within-segment sum of squares",
    "smallest_share": "Smallest segment share", "smallest_n": "Smallest segment (n)", "converged": "Converged",
    "starts": "Random starts", "best_ll_replicated": "Starts reaching the best fit", "n_final_starts": "Starts run to the end",
    "start_agreement": "Agreement between starts", "stability_mean": "Stability (mean adjusted Rand)",
    "stability_p05": "Stability (5th percentile)", "ari_mean": "Adjusted Rand, mean", "ari_median": "Adjusted Rand, median",
    "ari_p05": "Adjusted Rand, 5th percentile", "lowest_bic": "Lowest BIC", "flags": "Warnings", "message": "Message",
    "p_adj": "Adjusted p-value", "p_value": "p-value", "p": "p-value", "n_eff": "Effective n", "weighted_n": "Weighted n",
    "share": "Share", "variable": "Code", "label": "Label", "segment": "Segment", "block": "Block", "kind": "Kind",
    "measure": "Measure", "value": "Value", "total": "Total", "index": "Index (100 = average)", "sig": "Significance",
    "outcome": "Outcome", "importance": "Importance (0-10)", "satisfaction": "Satisfaction (0-10)",
    "opportunity": "Opportunity (0-20)", "underserved": "Underserved", "criterion": "Criterion", "check": "Check",
    "threshold": "Threshold", "sentence": "Finding", "respondent": "Respondent", "customer": "Customer",
    "posterior": "Membership probability", "probability": "Probability", "rank": "Rank", "passed": "Passed",
    "description": "Description", "action": "Action", "flagged": "Flagged", "excluded": "Excluded",
    # issue 15: replication, bootstrap LRT and local dependence in the fit table
    "ll_gap": "Log-likelihood gap to the next distinct maximum", "ll_range": "Log-likelihood range over starts",
    "n_starts": "Starts finished", "starts_added": "Starts added", "blrt_p": "BLRT p-value (k vs k-1)",
    "blrt_reps": "BLRT draws", "blrt_p_floor": "BLRT p floor (smallest p the draws allow)", "max_bvr": "Largest bivariate residual", "max_bvr_pair": "Items with the largest residual",
    "n_bvr_over_3_84": "Item pairs with a residual above 3.84", "item_1": "First item", "item_2": "Second item",
    "bvr": "Bivariate residual", "modal_share": "Assigned share", "avepp": "Average membership probability",
    "term": "Term", "n_factors": "Number of factors",
}

# issue 30: fit statistics of different likelihoods in separate columns (segments.fit_by_likelihood)
for _family, _what in (("lca", "latent classes, on the answers"), ("lpa", "latent profiles, on the scores")):
    for _c in ("loglik", "aic", "bic", "sabic", "caic", "icl_bic", "lowest_bic"):
        COLUMN_LABELS[f"{_c}_{_family}"] = f"{COLUMN_LABELS[_c]} ({_what})"
del _family, _what, _c

#: Study settings (policy codes) as words.
SETTING_WORDS: dict[str, str] = {
    "keep_first": "kept the first answer", "keep_last": "kept the last answer", "exclude_all": "excluded every copy",
    "set_missing": "set to missing", "not_run": "not run", "lca": "latent class analysis",
    "lpa": "latent profile analysis", "kmeans": "k-means", "ward": "Ward clustering",
}

#: How a candidate's method reads in its label ("LCA, 5 segments").
METHOD_NAMES = {"lca": "LCA", "lpa": "LPA", "kmeans": "k-means", "ward": "Ward"}
_CANDIDATE = __import__("re").compile(r"\b(lca|lpa|kmeans|ward)(?:_| k=)(\d+)\b")  # 'lca_5' and 'lca k=5'

_SETTING = __import__("re").compile(r"\b(" + "|".join(k for k in SETTING_WORDS if "_" in k) + r")\b")


def name_method(name: str, short: str, long: str) -> None:
    """Teach the labels a segmentation method's names: ``short`` in candidate labels ('LCA, 5
    segments'), ``long`` where a setting is written out. Called by
    :func:`workbench.segments.methods.register` for every method, built-in or added."""
    global _CANDIDATE
    METHOD_NAMES[name] = short
    SETTING_WORDS[name] = long
    names = "|".join(sorted(map(__import__("re").escape, METHOD_NAMES), key=len, reverse=True))
    _CANDIDATE = __import__("re").compile(rf"\b({names})(?:_| k=)(\d+)\b")


def candidate_label(candidate) -> str:
    """A candidate segmentation as a client reads it: ``lca_5`` or ``lca k=5`` → 'LCA, 5 segments' (other text unchanged)."""
    m = _CANDIDATE.fullmatch(str(candidate).strip())
    return f"{METHOD_NAMES[m.group(1)]}, {m.group(2)} segments" if m else str(candidate)


def readable(text) -> str:
    """Free text with candidate ids and policy codes written out ('lca_5 passes' → 'LCA, 5 segments passes')."""
    text = _CANDIDATE.sub(lambda m: f"{METHOD_NAMES[m.group(1)]}, {m.group(2)} segments", str(text))
    return _SETTING.sub(lambda m: SETTING_WORDS[m.group(1)], text)

#: Scales of the survey's rating columns, as a unit ("0-10 scale").
SCALE_UNITS = {"importance": "0-10 scale", "satisfaction": "0-10 scale", "opportunity": "0-20 scale"}

_IDENT = __import__("re").compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


_NOT_A_WORD = __import__("re").compile(r"[_\d]")


def not_a_word(name) -> bool:
    """True for a column id that cannot be a word of a sentence (it holds '_' or a digit:
    ``eu_stemme``, ``q7``); such ids are written as their labels inside free text, an id
    such as ``vote`` or ``region`` is left alone there (a label may hold it as a word)."""
    return bool(_NOT_A_WORD.search(str(name)))


def measure_label(name, *, unit: bool = False, currency: str | None = None) -> str:
    """The label of a measure name or of a group of measures (``orders_share_*``: 'Share of
    orders via each channel'); with ``unit`` as :func:`column_label` shows it; other names
    as :func:`column_label`."""
    name = str(name)
    if name.endswith("*"):
        name = name[:-1] + "each_channel"
    m = measure(name)
    if m is None or unit:
        return column_label(name, currency=currency)
    return m.label


def is_identifier(text) -> bool:
    """True for a snake_case identifier (``recency_days``, ``n_parameters``) shown as text."""
    return bool(_IDENT.match(str(text).strip()))


def column_label(name, *, currency: str | None = None) -> str:
    """The label of a column as a client reads it.

    A measure reads as its label with its unit ("Revenue per customer (DKK)", "Days since
    last order (days)"), a technical column as :data:`COLUMN_LABELS`, a setting as
    :data:`SETTING_WORDS`; any other snake_case name as words ("smallest_n" → "Smallest
    n"), so an identifier never reaches a client; other text is returned unchanged.
    """
    text = str(name)
    m = measure(text)
    if m is not None:
        unit = m.unit_label(currency)
        return m.label if m.unit in ("category", "score", "index", "scale") or unit in m.label else f"{m.label} ({unit})"
    if text in COLUMN_LABELS:
        return COLUMN_LABELS[text]
    if text in SETTING_WORDS:
        return SETTING_WORDS[text]
    if is_identifier(text):
        words = text.replace("_", " ")
        return words[0].upper() + words[1:]
    return text


def setting_words(value) -> str:
    """A study setting as words (``keep_last`` → 'kept the last answer'); other values unchanged."""
    return SETTING_WORDS.get(str(value), str(value))


# --------------------------------------------------------------------------- one rounding rule


def p_text(p) -> str:
    """A p-value as every deliverable shows it: '< 0.001', three decimals below 0.01, else two
    ('' for a missing value)."""
    try:
        p = float(p)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(p):
        return ""
    return "< 0.001" if p < 0.001 else (f"{p:.3f}" if p < 0.01 else f"{p:.2f}")



def round_shares(shares, total: int = 100) -> list[int]:
    """Whole-number shares that add up to ``total`` (largest remainder), in the given order.

    The one rounding rule of segment shares in every deliverable: the executive summary,
    the size chart, the persona slides and the persona descriptions all show these, so a
    segment is 26 % everywhere and the shares add up to 100 %.  ``shares`` are percentages
    (any scale: they are rescaled to ``total`` first); missing values count as 0.
    """
    vals = [float(v) if v is not None and math.isfinite(float(v)) else 0.0 for v in shares]
    s = sum(vals)
    if not vals or s <= 0:
        return [0 for _ in vals]
    exact = [v * total / s for v in vals]
    floors = [math.floor(x) for x in exact]
    left = total - sum(floors)
    order = sorted(range(len(vals)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors
