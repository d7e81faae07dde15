"""The slide "Do the segments predict next year?": what each segment's customers did in the
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
from .layout import MUTED, Box, Canvas, label_values, new_chart_data

__all__ = ["forward_slide", "lift_lines"]

_OUTCOME = {"lapsed": "Who stops buying", "channel_switch": "Who changes channel",
            "revenue_change": "How much revenue grows or shrinks"}
_SCALE = {"AUC": "(0.5 = a coin toss, 1 = a perfect prediction)", "R²": "(share of the differences explained)"}


def lift_lines(forward: dict) -> list[str]:
    """One sentence per outcome: the order history alone against history + segment."""
    lift = forward.get("lift")
    if lift is None or len(lift) == 0:
        return []
    lines = []
    for r in lift.to_dict("records"):
        if r.get("baseline") is None or pd.isna(r.get("baseline")):
            continue
        what = _OUTCOME.get(r["outcome"], str(r["outcome"]))
        verdict = "the segments add to the prediction" if r["status"] == "pass" else "the segments add nothing sure"
        if r["metric"] == "R²":  # as the share of the differences explained, never below 0
            lines.append(f"{what}: the order history alone explains {max(r['baseline'], 0):.0%} of the differences "
                         f"between customers, with the segment {max(r['with segments'], 0):.0%} — {verdict}.")
        else:
            lines.append(f"{what}: prediction score {r['baseline']:.2f} from the order history alone, "
                         f"{r['with segments']:.2f} with the segment {_SCALE.get(r['metric'], '')} — {verdict}.")
    return lines


def forward_slide(d: Canvas, data: DeckData, names: dict, colours: dict):
    """The slide, when the run measured the months after the survey."""
    fw = data.forward
    s = d.slide(key="forward")
    months = int(fw["horizon"])
    d.title(s, "Do the segments predict next year?",
            subtitle=f"What each segment's customers did in the {months} months after the survey")
    seg = fw["segments"]
    left_w = int(d.width * 0.56)
    box = Box(d.margin, d.top, left_w, d.bottom - d.top - int(Inches(0.45)))  # above the footnote
    chart_data = new_chart_data('0"%"')
    chart_data.categories = [str(names.get(str(x), f"Segment {x}")) for x in seg["segment"]]
    chart_data.add_series("Stopped buying (%)", [round(float(v), 1) for v in seg["lapsed %"]])
    if "switched %" in seg and seg["switched %"].notna().any():
        chart_data.add_series("Changed main channel (%)", [round(float(v), 1) if pd.notna(v) else None
                                                           for v in seg["switched %"]])
    two = len(chart_data) > 1  # one series needs no legend: the chart title names it
    chart = d.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, box, chart_data, size=11,
                    legend=XL_LEGEND_POSITION.BOTTOM if two else False).chart
    plot = chart.plots[0]
    plot.gap_width = 60
    label_values(plot, '0"%"', 11)
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0, 100  # shares: bars from zero, to scale
    chart.value_axis.visible = False
    chart.category_axis.tick_labels.font.size = Pt(11)
    chart.category_axis.reverse_order = True
    rl = d.margin + left_w + int(Inches(0.3))
    rbox = Box(rl, d.top, d.W - d.margin - rl, d.bottom - d.top)
    verdict = {"pass": "Yes — beyond what the order history already tells",
               "fail": "Not beyond what the order history already tells",
               "not measured": "Not measured yet"}.get(fw["status"], "")
    paras = [(verdict, {"bold": True}), fw["headline"]] + lift_lines(fw)
    d.text(s, rbox, paras, max_pt=16, min_pt=10)
    d.text(s, Box(d.margin, d.bottom - int(Inches(0.35)), d.width, int(Inches(0.3))),
           ["Shares are corrected for respondents whose segment is uncertain where the model allows it."],
           max_pt=10, min_pt=8, italic=True, colour=MUTED)
    notes = [f"Horizon: {months} months after the reference date; outcomes of the respondents' customers."]
    for r in seg.to_dict("records"):
        notes.append(f"Segment {r['segment']}: stopped buying {r['lapsed %']:.1f} %"
                     + (f", changed channel {r['switched %']:.1f} %" if pd.notna(r.get("switched %")) else "")
                     + f" (n={int(r['n'])}).")
    lift = fw.get("lift")
    if lift is not None:
        for r in lift.to_dict("records"):
            if pd.notna(r.get("baseline")):
                notes.append(f"{_OUTCOME.get(r['outcome'], r['outcome'])}: {r['metric']} {r['baseline']:.3f} → "
                             f"{r['with segments']:.3f} "
                             f"(gain interval {r['low']:+.3f} to {r['high']:+.3f}), {r['status']}.")
    d.notes(s, notes)
