"""The slide "Do the segments predict next year?" (or "… the next 6 months?", as the horizon
measured): what each segment's customers did in the
months after the survey (a native chart) and whether knowing the segment predicts it better
than the order history alone, in words a client reads.

Reads only :attr:`DeckData.forward` (plain data, built by the deck step from the forward
relevance of the chosen segmentation): ``horizon`` (months), ``status`` (pass / fail /
not measured), ``headline`` (the verdict sentence), ``segments`` (a table: ``segment``,
``lapsed %``, ``switched %``, ``n``) and ``lift`` (a table: ``outcome``, ``metric``,
``baseline``, ``with segments``, ``low``, ``high``, ``status``).
"""

from __future__ import annotations

import pandas as pd
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.util import Inches, Pt

from .data import DeckData
from .texts import PCT, Words, words
from .layout import MUTED, Box, Canvas, label_values, new_chart_data

__all__ = ["forward_slide", "lift_lines", "forward_title"]

_OUTCOME_KEYS = {"lapsed": "fwd.out_lapsed", "channel_switch": "fwd.out_switch", "revenue_change": "fwd.out_revenue"}


def lift_lines(forward: dict, w: Words | None = None) -> list[str]:
    """One sentence per outcome: the order history alone against history + segment."""
    w = w or words("en")
    lift = forward.get("lift")
    if lift is None or len(lift) == 0:
        return []
    lines = []
    for r in lift.to_dict("records"):
        if r.get("baseline") is None or pd.isna(r.get("baseline")):
            continue
        key = _OUTCOME_KEYS.get(r["outcome"])
        what = w(key) if key else str(r["outcome"])
        verdict = w("fwd.adds" if r["status"] == "pass" else "fwd.adds_nothing")
        if r["metric"] == "R²":  # as the share of the differences explained, never below 0
            lines.append(_r2_line(r, what, verdict, w))
        else:
            lines.append(w("fwd.auc", what=what, base=w.n(r["baseline"], 2), with_=w.n(r["with segments"], 2),
                           verdict=verdict))
    return lines


def _r2_line(r: dict, what: str, verdict: str, w: Words) -> str:
    """An R² outcome in words: the share of the differences between customers explained, by the
    order history alone and with the segment. Where the segment adds nothing that shows (a gain
    at or below zero, or one that rounds away and is not sure), it says so plainly rather than
    'explains 0 % … with the segment 0 %'."""
    base, with_ = 100 * max(float(r["baseline"]), 0.0), 100 * max(float(r["with segments"]), 0.0)
    shown = w.n(base) != w.n(with_)
    if with_ <= base or (not shown and r["status"] != "pass"):
        return w("fwd.r2_nothing", what=what, base=w.n(base)) if w.n(base) != w.n(0) else w("fwd.r2_none", what=what)
    decimals = 0 if shown else 1  # a sure gain below half a point still reads as a gain
    return w("fwd.r2", what=what, base=w.n(base, decimals), with_=w.n(with_, decimals), verdict=verdict)


def _headline(fw: dict, w: Words) -> str:
    """The verdict sentence in the deck's language: which outcomes the segment predicts better."""
    lift = fw.get("lift")
    if lift is None or not len(lift):
        return ""
    ok = [w(_OUTCOME_KEYS[o]).lower() for o, st in zip(lift["outcome"], lift["status"])
          if st == "pass" and o in _OUTCOME_KEYS]
    if ok:
        return w("fwd.headline", outcomes=w.join(ok))
    months = int(fw["horizon"])
    return w("fwd.headline_not") if months == 12 else w("fwd.headline_not_months", months=months)


def forward_title(fw: dict, w: Words) -> str:
    """'Do the segments predict next year?' for a 12-month horizon, else '… the next 6 months?'."""
    months = int(fw["horizon"])
    return w("fwd.title") if months == 12 else w("fwd.title_months", months=months)


def forward_slide(d: Canvas, data: DeckData, names: dict, colours: dict):
    """The slide, when the run measured the months after the survey."""
    fw = data.forward
    s = d.slide(key="forward")
    w = d.w
    months = int(fw["horizon"])
    d.title(s, forward_title(fw, w), subtitle=w("fwd.sub", months=months))
    seg = fw["segments"]
    left_w = int(d.width * 0.56)
    box = Box(d.margin, d.top, left_w, d.bottom - d.top - int(Inches(0.45)))  # above the footnote
    chart_data = new_chart_data(PCT)
    # A bar chart draws its first category and first series nearest the axis' origin, at the
    # bottom; PowerPoint and LibreOffice list the legend from the top bar down only when the
    # category axis is not reversed. So the segments go in bottom-up and "stopped buying", the
    # first in the legend, is the last series: the first segment on top, the legend in bar order.
    bars = seg.iloc[::-1]
    chart_data.categories = [str(names.get(str(x), w("segment_n", segment=x))) for x in bars["segment"]]
    # whole percentages: the label shows the value the chart stores (the one rounding rule)
    if "switched %" in bars and bars["switched %"].notna().any():
        chart_data.add_series(w("fwd.switched"), [float(round(float(v))) if pd.notna(v) else None
                                                  for v in bars["switched %"]])
    chart_data.add_series(w("fwd.lapsed"), [float(round(float(v))) for v in bars["lapsed %"]])
    two = len(chart_data) > 1  # one series needs no legend: the chart title names it
    chart = d.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, box, chart_data, size=11,
                    legend=XL_LEGEND_POSITION.BOTTOM if two else False).chart
    plot = chart.plots[0]
    plot.gap_width = 60
    label_values(plot, PCT, 11)
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0, 100  # shares: bars from zero, to scale
    chart.value_axis.visible = False
    chart.category_axis.tick_labels.font.size = Pt(11)
    rl = d.margin + left_w + int(Inches(0.3))
    rbox = Box(rl, d.top, d.W - d.margin - rl, d.bottom - d.top)
    verdict = {"pass": w("fwd.pass"), "fail": w("fwd.fail"), "not measured": w("fwd.not_measured")}.get(fw["status"], "")
    # the criteria room's headline is English: another language says the verdict from the lift table
    headline = fw["headline"] if w.language == "en" else _headline(fw, w)
    paras = [(verdict, {"bold": True})] + ([headline] if headline else []) + lift_lines(fw, w)
    d.text(s, rbox, paras, max_pt=16, min_pt=10)
    d.text(s, Box(d.margin, d.bottom - int(Inches(0.35)), d.width, int(Inches(0.3))),
           [w("fwd.corrected")],
           max_pt=10, min_pt=8, italic=True, colour=MUTED)
    notes = [w("fwd.notes", months=months)]
    for r in seg.to_dict("records"):
        name = w("segment_n", segment=r["segment"])
        switched = r.get("switched %")
        notes.append(w("fwd.notes_segment", name=name, lapsed=w.n(r["lapsed %"], 1), n=int(r["n"])) if pd.isna(switched)
                     else w("fwd.notes_segment_switch", name=name, lapsed=w.n(r["lapsed %"], 1),
                            switched=w.n(switched, 1), n=int(r["n"])))
    lift = fw.get("lift")
    if lift is not None:
        status = {"pass": w("card.pass"), "fail": w("card.fail"), "not measured": w("card.not measured")}
        for r in lift.to_dict("records"):
            if pd.notna(r.get("baseline")):
                key = _OUTCOME_KEYS.get(r["outcome"])
                notes.append(w("fwd.notes_lift", what=w(key) if key else str(r["outcome"]), metric=r["metric"],
                               base=w.n(r["baseline"], 3), with_=w.n(r["with segments"], 3),
                               low=w.n(r["low"], 3, sign=True), high=w.n(r["high"], 3, sign=True),
                               status=status.get(r["status"], r["status"])))
    d.notes(s, notes)
