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
from dataclasses import dataclass

__all__ = ["Measure", "MEASURES", "CORE_KPIS", "BOOKKEEPING", "NOT_FEATURES", "UNITS", "DIRECTIONS", "measure", "labels", "is_measure"]

#: The units a measure can have (see the module docstring).
UNITS = ("currency", "days", "orders", "units", "share", "flag", "score", "index", "scale", "category")
#: Which way is better: a higher value, a lower one, or neither.
DIRECTIONS = ("higher", "lower", "neutral")

#: Excel number formats per unit (for writers that format measure columns).
_EXCEL = {"currency": "#,##0", "days": "#,##0", "orders": "#,##0.0", "units": "#,##0", "share": "0.0%",
          "flag": "0%", "score": "0", "index": "+0.00;-0.00;0.00", "scale": "0.00", "category": "@"}


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

#: Columns of the behaviour join that are bookkeeping (how a respondent met the customer
#: base), never KPIs to profile or segment by.
BOOKKEEPING: tuple[str, ...] = ("match", "duplicate_key", "in_master", "in_transactions")
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
