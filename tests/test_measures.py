"""The registry of behavioural measures (workbench.core.measures)."""

from __future__ import annotations

import re

import pytest

from workbench import behaviour
from workbench.core import measures
from workbench.deck.content import MATRIX_KPIS, TILE_KPIS, format_kpi, kpi_label, kpi_scale
from workbench.core.measures import BOOKKEEPING, CORE_KPIS, MEASURES, NOT_FEATURES, Measure, labels, measure


def _documented_features() -> set[str]:
    """The feature names of the table in workbench.behaviour's module docstring."""
    doc = behaviour.__doc__
    table = doc.split("==================  ")[1]  # between the table's rules
    names = set()
    for line in doc[doc.index(table):].splitlines()[1:]:
        if line.startswith("====="):
            break
        head = line[:20].strip()
        names |= {n.strip() for n in re.split(r"[,/]", head) if n.strip()}
    names |= set(re.findall(r"``(\w+)``", doc))  # secondary columns named in the text
    return names


def test_every_customer_feature_of_the_demo_has_a_measure_or_is_bookkeeping(demo_run):
    cust = demo_run.behaviour.customers
    pii = {c.lower() for c in demo_run.study.pii}
    unknown = [c for c in cust.columns
               if measure(c) is None and c not in NOT_FEATURES and c != demo_run.behaviour.key
               and c.lower() not in pii and c not in ("last_purchase", "customer_id")
               and c not in demo_run.study.spec.behaviour.customers.columns]
    assert not unknown, f"behaviour columns without a measure: {unknown}"
    shares = [c for c in cust.columns if c.startswith(("orders_share_", "revenue_share_"))]
    assert shares and all(measure(c).percent for c in shares)


def test_registry_covers_the_documented_features():
    names = _documented_features()
    for n in ("revenue", "frequency", "recency_days", "aov", "rfm_tier", "lapsed", "trend", "cost_to_serve",
              "digital_share", "return_rate", "cost_tier", "units", "tenure_days"):
        assert n in names  # the docstring parser reads the table
        assert n in MEASURES


def test_core_kpis_are_the_kpi_measures_in_test_order():
    assert CORE_KPIS == ("revenue", "frequency", "recency_days", "aov", "rfm_tier", "lapsed", "cost_to_serve",
                         "dominant_channel", "digital_share", "return_rate")
    assert all(MEASURES[k].kpi for k in CORE_KPIS) and sum(m.kpi for m in MEASURES.values()) == len(CORE_KPIS)
    assert set(BOOKKEEPING) < set(NOT_FEATURES) and not set(NOT_FEATURES) & set(MEASURES)


def test_directions_read_as_the_business_reads_them():
    assert MEASURES["revenue"].direction == "higher" and MEASURES["recency_days"].direction == "lower"
    assert MEASURES["lapsed"].direction == "lower" and MEASURES["cost_to_serve"].direction == "lower"
    assert MEASURES["digital_share"].direction == "neutral"


def test_units_formats_and_currency():
    rev = MEASURES["revenue"]
    assert rev.unit_label("DKK") == "DKK" and rev.unit_label(None) == "currency"
    assert rev.format(1234567.4) == "1,234,567" and rev.format(float("nan")) == ""
    assert MEASURES["return_rate"].percent and not MEASURES["lapsed"].percent  # a flag is already a % of customers
    assert MEASURES["digital_share"].unit_label() == "%" and MEASURES["rfm_tier"].excel_format == "@"
    with pytest.raises(ValueError, match="measure x: unit 'euro' is not one of currency, days"):
        Measure("x", "X", "euro", "{}")
    with pytest.raises(ValueError, match="direction 'up' is not one of higher, lower, neutral"):
        Measure("x", "X", "days", "{}", direction="up")


def test_channel_share_families_and_labels():
    m = measure("orders_share_web_shop")
    assert m.label == "Share of orders via web shop" and m.unit == "share"
    assert measure("revenue_share_") is None and measure("customer_name") is None
    cols = ["revenue", "rfm_tier", "q1_speed", "orders_share_eds"]
    assert labels(cols) == {"revenue": "Revenue per customer", "rfm_tier": "RFM tier",
                            "orders_share_eds": "Share of orders via eds"}
    assert labels(cols, categories=False) == {"revenue": "Revenue per customer",
                                              "orders_share_eds": "Share of orders via eds"}
    assert measures.is_measure("aov") and not measures.is_measure("q1_speed")


def test_the_deck_shows_measures_with_the_registry_labels_and_formats():
    for var in set(TILE_KPIS) | set(MATRIX_KPIS):
        m = MEASURES[var]
        assert kpi_label(var) == m.label
        shown = format_kpi(var, 1234.56)  # the registry's format, then its unit
        assert shown.startswith(m.format(1234.56))
        assert shown.endswith(f" {m.unit}") if m.unit in ("days", "orders", "units") else shown == m.format(1234.56)
        assert kpi_scale(var) == (100.0 if m.unit == "share" else 1.0)
    # one decimal for unknown columns, rounded half away from zero as the workbook cell shows it
    assert format_kpi("not_a_measure", 2.25) == "2.3"
