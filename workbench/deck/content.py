"""What the slides say, read from :class:`~workbench.deck.data.DeckData`: which personas are
shown, the profile rows of a chart, KPI values as shown, channel and tier mixes, drafted
"how to win them" lines.

KPI labels and number formats come from :mod:`workbench.measures` (imported directly: it
is a registry of plain data that knows neither the study nor any result, and keeping the
labels out of ``deck_data.json`` lets decks saved by earlier runs re-render unchanged).
Which KPIs the tiles and the matrix show is the deck's own choice (:data:`TILE_KPIS`,
:data:`MATRIX_KPIS`).
"""

from __future__ import annotations

import pandas as pd

from ..measures import measure
from .data import DeckData

__all__ = ["shown_personas", "suppressed_note", "chart_rows", "sig_text", "kpi_value", "kpi_label", "kpi_scale",
           "format_kpi", "mix_rows", "how_to_win", "BEHAVIOUR", "TILE_KPIS", "MATRIX_KPIS", "TIER_ORDER",
           "MAX_CHART_ITEMS"]

MAX_CHART_ITEMS = 8
#: The profile block of behavioural KPIs (``workbench.profiles.BEHAVIOUR``, as saved in deck_data.json).
BEHAVIOUR = "behaviour"
#: KPI tiles of a persona's behaviour slide, in order.
TILE_KPIS = ("cost_to_serve", "lapsed", "revenue", "frequency")
#: Behaviour rows of the segment comparison matrix, in order.
MATRIX_KPIS = ("revenue", "frequency", "cost_to_serve", "lapsed", "digital_share")
TIER_ORDER = ("gold", "silver", "bronze", "no purchases")


def shown_personas(data: DeckData, personas) -> tuple[list, list]:
    """Personas to show (not suppressed here nor in the data) and those suppressed."""
    sup = {str(s) for s in data.suppressed}
    shown, hidden = [], []
    for p in personas:
        (hidden if p.suppressed or str(p.segment) in sup else shown).append(p)
    return shown, hidden


def suppressed_note(hidden, min_n) -> str:
    if not hidden:
        return ""
    names = ", ".join(f"segment {p.segment} (n={p.n})" for p in hidden)
    return f"Not shown: {names}, below the minimum of n={min_n} for reporting."


def chart_rows(data: DeckData, segment, max_items=MAX_CHART_ITEMS) -> pd.DataFrame:
    """Needs, motivations and barriers of a segment furthest from the total (index 100)."""
    t = data.rows(segment)
    if not len(t):
        return t
    t = t[t["trait"].astype(bool) & t["kind"].isin(["needs", "motivations", "barriers"]) & t["index"].notna()]
    t = t.assign(_gap=(t["index"] - 100).abs()).sort_values(["_gap", "variable"], ascending=[False, True],
                                                              kind="stable")
    return t.head(max_items).sort_values("index", kind="stable").drop(columns="_gap")


def sig_text(v) -> str:
    return v if isinstance(v, str) else ""


def kpi_value(data: DeckData, segment, var) -> tuple[float, float, str] | None:
    """(segment value, total value, significance arrow) of a behavioural KPI as shown (shares in %)."""
    r = data.rows(segment, block=BEHAVIOUR, variable=var)
    if not len(r):
        return None
    if var == "lapsed":
        r = r[r["category"].astype(str).str.lower().isin(["true", "1", "yes"])]
    else:
        r = r[r["stat"] == "mean"]
    if not len(r) or pd.isna(r["value"].iloc[0]):
        return None
    scale = kpi_scale(var)
    return float(r["value"].iloc[0]) * scale, float(r["total"].iloc[0]) * scale, sig_text(r["sig"].iloc[0])


def kpi_label(var) -> str:
    """A KPI's label as it reads on slides (:mod:`workbench.measures`; the column name otherwise)."""
    m = measure(var)
    return m.label if m is not None else str(var)


def kpi_scale(var) -> float:
    """100 for a KPI held as a 0-1 share and shown in %, else 1."""
    m = measure(var)
    return 100.0 if m is not None and m.percent else 1.0


def format_kpi(var, value) -> str:
    """A KPI value as shown (its measure's format; one decimal for a column the registry does not know)."""
    m = measure(var)
    return (m.fmt if m is not None else "{:,.1f}").format(value)


def mix_rows(data: DeckData, segment, var) -> pd.DataFrame:
    r = data.rows(segment, block=BEHAVIOUR, variable=var)
    r = r[r["stat"] == "share"]
    if var == "rfm_tier":
        order = {c: i for i, c in enumerate(TIER_ORDER)}
        r = r.assign(_o=r["category"].map(lambda c: order.get(str(c).lower(), 99))).sort_values("_o", kind="stable")
    return r


def how_to_win(data: DeckData, p) -> tuple[list[str], bool]:
    """The persona's ``how_to_win`` lines, or lines drafted from its data; (lines, drafted)."""
    given = p.extra.get("how_to_win") if isinstance(p.extra, dict) else None
    if given:
        return ([given] if isinstance(given, str) else [str(x) for x in given]), False
    lines = []
    u = data.underserved_outcomes(p.segment)
    if len(u):
        r = u.iloc[0]
        lines.append(f"Solve “{r['label']}” first: importance {r['importance']:.1f} but satisfaction "
                     f"{r['satisfaction']:.1f} (opportunity {r['opportunity']:.1f}).")
    t = data.rows(p.segment)
    if len(t):
        t = t[t["trait"].astype(bool) & (t["sig"] == "▲") & t["index"].notna()]
        for kind, verb in (("needs", "Lead with"), ("barriers", "Take away the worry:")):
            k = t[t["kind"] == kind].sort_values("index", ascending=False, kind="stable")
            if len(k):
                r = k.iloc[0]
                lines.append(f"{verb} {r['label']} ({r['value']:.0f} % vs {r['total']:.0f} % of all customers).")
        ch = t[(t["block"] == BEHAVIOUR) & (t["variable"] == "dominant_channel")].sort_values("index", ascending=False,
                                                                                            kind="stable")
        if len(ch):
            r = ch.iloc[0]
            lines.append(f"Reach them through {r['category']}: their main channel for {r['value']:.0f} % "
                         f"(vs {r['total']:.0f} %).")
    return lines, True
