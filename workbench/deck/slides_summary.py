"""The opening slides: title, executive summary, segment sizes, the trend slides of later
waves and the segment comparison matrix."""

from __future__ import annotations

import math
import re

import pandas as pd
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches, Pt

from .content import (BEHAVIOUR, MATRIX_KPIS, VALUE_SHARES, value_shares, criteria_status, format_kpi, kpi_label, kpi_scale, segment_implications,
                      sig_text, suppressed_note)
from ..measures import round_shares
from .data import DeckData, DeckTrends
from .slides_appendix import client_text
from .layout import (HIGH1, HIGH2, LOW1, LOW2, MUTED, PAD_X, PAD_Y, TINT, TITLE_TYPES, UNDER_FILL, WHITE, Box, Canvas,
                     estimate_lines, fill_cell, fit_font_size, label_values, new_chart_data, placeholder_type, shorten,
                     text_height)

__all__ = ["title_slide", "summary_slides", "sizes_slide", "trend_slides", "matrix_slides", "matrix_rows"]


def title_slide(d: Canvas, data: DeckData, shown, options):
    s = d.slide(d.title_layout, key="title")
    title = options.get("title") or data.study_name
    label = data.wave_label
    wave = data.wave
    sub = label if label.lower().startswith(f"wave {wave}".lower()) else f"Wave {wave}" + (f": {label}" if label else "")
    line2 = f"{options.get('subtitle') or 'Customer personas'} · {data.date}"
    ph_title = next((ph for ph in s.placeholders if placeholder_type(ph) in TITLE_TYPES), None)
    ph_sub = next((ph for ph in s.placeholders if placeholder_type(ph) == PP_PLACEHOLDER.SUBTITLE), None)
    w = d.W - 2 * d.margin
    tbox = Box(int(ph_title.left), int(ph_title.top), int(ph_title.width), int(ph_title.height)) if ph_title is not None \
        else Box(d.margin, int(Inches(2.2)), w, int(Inches(1.6)))
    if ph_title is not None:
        ph_title.left, ph_title.top, ph_title.width, ph_title.height = tbox.left, tbox.top, tbox.width, tbox.height
        ph_title.text_frame.clear()
    d.text(s, tbox, [title], max_pt=40, min_pt=20, bold=True, colour=d.head, font=d.major, shape=ph_title,
           align=PP_ALIGN.LEFT)
    sbox = Box(int(ph_sub.left), int(ph_sub.top), int(ph_sub.width), int(ph_sub.height)) if ph_sub is not None \
        else Box(d.margin, tbox.top + tbox.height + int(Inches(0.1)), w, int(Inches(1.1)))
    if ph_sub is not None:
        ph_sub.left, ph_sub.top, ph_sub.width, ph_sub.height = sbox.left, sbox.top, sbox.width, sbox.height
        ph_sub.text_frame.clear()
    d.text(s, sbox, [sub, line2], max_pt=22, min_pt=12, colour=MUTED, shape=ph_sub, align=PP_ALIGN.LEFT,
           anchor=MSO_ANCHOR.TOP)
    d.notes(s, [f"Study: {data.study_name}, wave {wave}.", f"Deck date: {data.date}.",
                f"Personas shown: {len(shown)}; respondents profiled: n={data.total_n:,}."],
            consultant=[f"Study id {data.study_id}."])


def summary_slides(d: Canvas, data, shown, hidden, colours):
    """Executive summary: one line per persona; continues on further slides when long."""
    box_w = d.width - int(Inches(0.4))
    status = criteria_status(data)
    top0, bottom = d.top + (int(Inches(0.55)) if status else 0), d.bottom - int(Inches(0.75))
    imp = segment_implications(data, shown)
    values = value_shares(data)
    lines = []
    for p in sorted(shown, key=lambda q: imp[q.segment]["priority"]):
        x = imp[p.segment]
        val = "".join(f", {shares[str(p.segment)]} % of {dict(VALUE_SHARES)[v]}" for v, shares in values.items())
        parts = [f"Priority {x['priority']}: {p.name} — {p.share:.0f} % of respondents (n={p.n:,}){val}"]
        if x["value"] is not None:
            parts.append(f"{kpi_label('revenue').lower()} {format_kpi('revenue', x['value'][0], data.currency)} "
                         f"(all: {format_kpi('revenue', x['value'][1], data.currency)})")
        if x["opportunity"] is not None:
            parts.append(f"largest opportunity: {x['opportunity'][0]} ({x['opportunity'][1]:.1f} of 20)")
        if x["channel"] is not None:
            parts.append(f"reach them via {x['channel'][0]} ({x['channel'][1]:.0f} % have it as main channel)")
        line = " · ".join(parts) + "."
        if text_height(line, box_w, 12) > Inches(1.0):  # one line each: a long line is cut
            line = shorten(line, box_w, Inches(1.0), 12)
        lines.append((p, line))
    pages, cur, used = [], [], 0
    for p, line in lines:
        size_min = text_height(line, box_w, 12)
        if cur and used + size_min + Inches(0.1) > bottom - top0:
            pages.append(cur)
            cur, used = [], 0
        cur.append((p, line))
        used += size_min + Inches(0.1)
    pages.append(cur)
    for k, page in enumerate(pages):
        s = d.slide(key=f"summary-{k + 1}")
        d.title(s, "Executive summary" + (" (continued)" if k else ""),
                subtitle=f"{len(shown)} customer segments, n={data.total_n:,} respondents, in order of priority")
        if status:
            d.text(s, Box(d.margin, d.top, d.width, int(Inches(0.5))), [status], max_pt=14, min_pt=10, bold=True,
                   colour=RGBColor(0xC0, 0x39, 0x2B))
        slot = int((bottom - top0) / max(len(page), 1))
        sizes = [fit_font_size(line, box_w, slot - Inches(0.15), max_pt=18, min_pt=12) or 12.0 for _, line in page]
        size = min(sizes)
        y = top0
        for p, line in page:
            h = text_height(line, box_w, size)
            d.rect(s, Box(d.margin, y + int(Inches(0.06)), int(Inches(0.22)), int(Inches(0.22))), colours[p.segment])
            d.text(s, Box(d.margin + int(Inches(0.4)), y, box_w, h), [line], size=size)
            y += h + int(Inches(0.15))
        how = priority_rule(imp)
        foot = [how] + ([suppressed_note(hidden, data.min_segment_n)] if k == len(pages) - 1 and hidden else [])
        d.text(s, Box(d.margin, d.bottom - int(Inches(0.7)), d.width, int(Inches(0.65))), foot, max_pt=11, min_pt=9,
               italic=True, colour=MUTED)
        d.notes(s, [f"{p.id} segment {p.segment}: {p.name}; n={p.n}, share {p.share:.0f} %." for p, _ in page]
                + ([suppressed_note(hidden, data.min_segment_n)] if hidden else []))


def priority_rule(imp: dict) -> str:
    """The footnote saying how the priority was ranked, naming only the factors this study has
    (no revenue without behaviour data, no opportunity score without JTBD outcomes)."""
    names, terms = ["size"], ["share of respondents"]
    if any(x["value"] is not None for x in imp.values()):
        names.append("value")
        terms.append("revenue per customer relative to the average")
    if any(x["opportunity"] is not None for x in imp.values()):
        names.append("opportunity")
        terms.append("largest opportunity score relative to 10")
    if len(names) == 1:
        return "Priority = size (share of respondents): the study has neither revenue nor JTBD outcomes to weigh it by."
    return f"Priority = attractiveness = {' × '.join(names)}: {' × '.join(terms)}."


def sizes_slide(d: Canvas, data, shown, hidden, colours):
    shown = sorted(shown, key=lambda p: (-float(p.share), -int(p.n), str(p.segment)))  # "in order of size", as it says
    values = value_shares(data)
    s = d.slide(key="sizes")
    sub = "Share of respondents (weighted), segments in order of size"
    if values:
        sub += "; beside it each segment's share of " + " and of ".join(
            dict(VALUE_SHARES)[v] for v in values) + " (surveyed customers)"
    d.title(s, "Segment sizes" + (" and value" if values else ""), subtitle=sub)
    bottom = d.bottom - (int(Inches(0.5)) if hidden else 0)
    box = Box(d.margin, d.top, d.width, bottom - d.top)
    base = f"Base: {data.total_n:,} respondents placed in a segment" + (", weighted" if data.weighting else "")
    if values:
        base += "; revenue and cost to serve: the surveyed customers' order history"
    box = d.footnote(s, box, base + ".")
    chart_data = new_chart_data('0"%"')
    chart_data.categories = [f"{p.name} (n={p.n:,})" for p in shown]
    chart_data.add_series("Share of respondents (%)", [float(p.share) for p in shown])
    for var, shares in values.items():
        chart_data.add_series(f"Share of {dict(VALUE_SHARES)[var]} (%)", [float(shares[str(p.segment)]) for p in shown])
    legend = XL_LEGEND_POSITION.BOTTOM if values else False
    chart = d.chart(s, XL_CHART_TYPE.COLUMN_CLUSTERED, box, chart_data, size=12, legend=legend).chart
    chart.has_title = False  # the slide's title says it (no automatic title from the series name)
    plot = chart.plots[0]
    plot.gap_width = 50 if not values else 40
    plot.vary_by_categories = False
    label_values(plot, '0"%"', 14 if not values else 11, bold=True)
    for i, p in enumerate(shown):
        pt = plot.series[0].points[i]
        pt.format.fill.solid()
        pt.format.fill.fore_color.rgb = colours[p.segment]
    for series, grey in zip(list(plot.series)[1:], (RGBColor(0x7F, 0x7F, 0x7F), RGBColor(0xBF, 0xBF, 0xBF))):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = grey
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.minimum_scale = 0  # hidden axis from zero: bar heights compare as the shares do
    chart.value_axis.visible = False
    chart.category_axis.tick_labels.font.size = Pt(11)
    if hidden:
        d.text(s, Box(d.margin, d.bottom - int(Inches(0.45)), d.width, int(Inches(0.4))),
               [suppressed_note(hidden, data.min_segment_n)], max_pt=12, min_pt=9, italic=True, colour=MUTED)
    notes = []
    for p in shown:
        row = data.seg_row(p.segment)
        wn = f", weighted n={float(row['weighted n']):,.0f}" if row is not None and row.get("weighted n") is not None else ""
        val = "".join(f", {shares[str(p.segment)]} % of {dict(VALUE_SHARES)[v]}" for v, shares in values.items())
        notes.append(f"{p.name}: n={p.n:,}{wn}, {p.share:.0f} % of respondents{val}.")
    d.notes(s, notes + ([suppressed_note(hidden, data.min_segment_n)] if hidden else []))


def error_bars(series, plus, minus, colour) -> None:
    """Custom vertical error bars on a line series (python-pptx has no API for them): ``plus`` /
    ``minus`` per point, drawn thin in the series' colour."""
    from lxml import etree
    from pptx.oxml.ns import qn

    def lit(tag, values):
        el = etree.SubElement(bars, qn(tag))
        num = etree.SubElement(el, qn("c:numLit"))
        etree.SubElement(num, qn("c:formatCode")).text = "General"
        etree.SubElement(num, qn("c:ptCount")).set("val", str(len(values)))
        for i, v in enumerate(values):
            pt = etree.SubElement(num, qn("c:pt"))
            pt.set("idx", str(i))
            etree.SubElement(pt, qn("c:v")).text = repr(float(round(v, 3)))

    ser = series._element
    bars = etree.Element(qn("c:errBars"))
    etree.SubElement(bars, qn("c:errDir")).set("val", "y")
    etree.SubElement(bars, qn("c:errBarType")).set("val", "both")
    etree.SubElement(bars, qn("c:errValType")).set("val", "cust")
    etree.SubElement(bars, qn("c:noEndCap")).set("val", "0")
    lit("c:plus", plus)
    lit("c:minus", minus)
    sp = etree.SubElement(bars, qn("c:spPr"))
    ln = etree.SubElement(sp, qn("a:ln"))
    ln.set("w", "12700")
    fill = etree.SubElement(etree.SubElement(ln, qn("a:solidFill")), qn("a:srgbClr"))
    fill.set("val", str(colour))
    anchor = next((c for c in ser if c.tag in {qn(t) for t in ("c:cat", "c:val", "c:smooth", "c:extLst")}), None)
    if anchor is not None:
        anchor.addprevious(bars)
    else:
        ser.append(bars)


def trend_slides(d: Canvas, trends: DeckTrends, colours, names):
    sz = trends.sizes.copy()
    sz["wave"] = sz["wave"].astype(str)
    # one rounding rule: each wave's shares as whole percentages adding up to 100 (round_shares),
    # the same numbers the labels, the notes and the sizes slide show
    sz["whole"] = 0
    for w, idx in sz.groupby("wave", sort=False).groups.items():
        sz.loc[idx, "whole"] = round_shares(sz.loc[idx, "share"].tolist())
    waves = list(dict.fromkeys(str(w) for w in sz["wave"]))
    segs = list(dict.fromkeys(sz["segment"]))
    s = d.slide(key="trend-sizes")
    d.title(s, "Segment sizes over waves", subtitle="Share of respondents per wave (%), one line per segment; "
                                                    "bars: 95 % confidence intervals")
    chart_data = new_chart_data('0"%"')
    chart_data.categories = [f"Wave {w}" for w in waves]
    extra = [x for x in segs if x not in colours]
    cols = dict(colours)
    for i, x in enumerate(extra):
        cols[x] = RGBColor.from_string(d.palette[(len(colours) + i) % len(d.palette)])
    notes = []
    for seg in segs:
        rows = sz[sz["segment"] == seg]
        name = str(names.get(seg) or rows["name"].iloc[-1])
        by_wave = {str(r.wave): r for r in rows.itertuples()}
        chart_data.add_series(name[:60], [float(by_wave[w].whole) if w in by_wave else None for w in waves])
        for w in waves:
            if w in by_wave:
                r = by_wave[w]
                notes.append(f"Wave {w}, segment {seg} {name}: n={int(r.n):,}, share {int(r.whole)} % "
                             f"(95 % confidence interval {float(r.ci_low):.0f}-{float(r.ci_high):.0f} %).")
    box = Box(d.margin, d.top, d.width, d.bottom - d.top)
    chart = d.chart(s, XL_CHART_TYPE.LINE_MARKERS, box, chart_data, legend=XL_LEGEND_POSITION.RIGHT).chart
    chart.value_axis.has_major_gridlines = True
    chart.value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE0, 0xE0, 0xE0)
    chart.value_axis.tick_labels.number_format = '0"%"'
    chart.value_axis.tick_labels.number_format_is_linked = False
    plot = chart.plots[0]
    label_values(plot, '0"%"', 10)
    for series, seg in zip(plot.series, segs):
        series.format.line.color.rgb = cols[seg]
        series.format.line.width = Pt(2.5)
        series.smooth = False
        series.marker.style = XL_MARKER_STYLE.CIRCLE
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = cols[seg]
        series.marker.format.line.color.rgb = cols[seg]
        rows = sz[sz["segment"] == seg]
        by_wave = {str(r.wave): r for r in rows.itertuples()}
        shown_pts = [by_wave.get(w) for w in waves]
        if all(r is not None and pd.notna(r.ci_low) and pd.notna(r.ci_high) for r in shown_pts):
            error_bars(series, [max(0.0, float(r.ci_high) - float(r.whole)) for r in shown_pts],
                       [max(0.0, float(r.whole) - float(r.ci_low)) for r in shown_pts], cols[seg])
    d.notes(s, notes)

    s2 = d.slide(key="trend-movements")
    d.title(s2, "Key movements", subtitle=f"Wave {waves[0]} to wave {waves[-1]}" if waves else None)
    whole = {}
    for seg in segs:
        rows = sz[sz["segment"] == seg]
        by_wave = {str(r.wave): int(r.whole) for r in rows.itertuples()}
        whole[str(names.get(seg) or rows["name"].iloc[-1])] = by_wave
    said = [client_movement(m, whole, waves) for m in trends.movements]
    paras = [(m, {"bullet": True}) for m, _ in said] or ["No segment moved beyond its confidence interval."]
    box = Box(d.margin, d.top, d.width, d.bottom - d.top - (int(Inches(1.4)) if trends.refit else 0))
    d.text(s2, box, paras, max_pt=20, min_pt=11, space_pt=8)
    refit = client_text(trends.refit) if trends.refit else ""  # 'a fresh lca k=2 fit' → 'a fresh LCA, 2 segments fit'
    if refit:
        rb = Box(d.margin, d.bottom - int(Inches(1.3)), d.width, int(Inches(1.2)))
        d.rect(s2, rb, TINT)
        d.text(s2, Box(rb.left + int(Inches(0.15)), rb.top, rb.width - int(Inches(0.3)), rb.height),
               [("Refit or keep the model?", {"bold": True}), refit], max_pt=16, min_pt=10,
               anchor=MSO_ANCHOR.MIDDLE)
    d.notes(s2, [m for m, _ in said] + ([f"Refit advice: {refit}"] if refit else []),
            consultant=[m for _, m in said])



_STAT_PART = re.compile(r"\bp ?[=<]|chi-square|\bdf \d|\bd = |Holm|correction")
_MOVE = re.compile(r"^(?P<name>.+?) (?P<verb>grew|shrank) from [\d.]+ ?% to [\d.]+ ?%(?: \([+−-]?[\d.]+ points?\))?")
_LONG = re.compile(r"(?<![\w.])\d+\.\d{2,}\b")


def client_movement(text: str, whole: dict, waves) -> tuple[str, str]:
    """(client sentence, consultant note) of one movement the tracking step wrote: test
    statistics go to the consultant's notes ('differs' becomes 'differs significantly'), a
    segment's sizes are the whole shares of the sizes slides (one value per segment and wave),
    long decimals are rounded."""
    original = str(text)
    significant = False

    def parens(m):
        nonlocal significant
        parts = [x.strip() for x in m.group(1).split(",")]
        keep = [x for x in parts if not _STAT_PART.search(x)]
        significant = significant or len(keep) < len(parts)
        return f" ({', '.join(keep)})" if keep else ""

    out = re.sub(r"\s*\(([^()]*)\)", parens, original)
    m = _MOVE.match(out)
    if m and m.group("name") in whole and len(waves) >= 2:
        w = whole[m.group("name")]
        a, b = w.get(waves[-2], w.get(waves[0])), w.get(waves[-1])
        if a is not None and b is not None:
            out = f"{m.group('name')} {m.group('verb')} from {a} % to {b} % ({b - a:+d} points)" + out[m.end():]
    out = _LONG.sub(lambda x: f"{float(x.group(0)):,.0f}" if float(x.group(0)) >= 100 else f"{float(x.group(0)):.1f}",
                    out)
    if significant and " differs" in out and "significantly" not in out:
        out = out.replace(" differs", " differs significantly", 1)
    return out.strip(), original


def index_fill(index, sig):
    if pd.isna(index) or sig not in ("▲", "▼"):
        return None
    if sig == "▲":
        return HIGH2 if index >= 120 else HIGH1
    return LOW2 if index <= 80 else LOW1


def matrix_rows(data: DeckData, shown, max_items: int) -> list[tuple[str, str, str, dict]]:
    """(group, row label, notes label, {segment: (text, fill, note)}) for the comparison matrix."""
    out = []
    t = data.profile
    if len(t):
        segs = {str(p.segment) for p in shown}
        cand = t[t["trait"].astype(bool) & t["kind"].isin(["needs", "motivations", "barriers"]) & t["index"].notna()
                 & t["segment"].astype(str).isin(segs)]
        picked: list = []
        per_seg = max(1, math.ceil(max_items / max(len(shown), 1)))
        for p in shown:  # each segment's strongest significant highs first
            c = cand[(cand["segment"].astype(str) == str(p.segment)) & (cand["sig"] == "▲")]
            c = c.sort_values(["index", "variable"], ascending=[False, True], kind="stable")
            for v in c["variable"]:
                if v not in picked:
                    picked.append(v)
                    if sum(1 for x in picked if x in set(c["variable"])) >= per_seg:
                        break
        picked = picked[:min(max_items, 6)]
        order = {"needs": 0, "motivations": 1, "barriers": 2}
        kinds = {v: cand.loc[cand["variable"] == v, "kind"].iloc[0] for v in picked}
        pos = {v: i for i, v in enumerate(picked)}
        picked.sort(key=lambda v: (order[kinds[v]], pos[v]))
        for v in picked:
            rows = cand[cand["variable"] == v]
            r0 = rows.iloc[0]
            cells = {}
            for p in shown:
                r = rows[rows["segment"].astype(str) == str(p.segment)]
                if len(r):
                    r = r.iloc[0]
                    cells[p.segment] = (f"{r['index']:.0f}{' ' + r['sig'] if sig_text(r['sig']) else ''}",
                                        index_fill(r["index"], sig_text(r["sig"])),
                                        f"{r['value']:.1f} vs {r['total']:.1f}, index {r['index']:.0f}")
            out.append((kinds[v].capitalize(), str(r0["label"]), f"{r0['label']} ({r0['measure']})", cells))
        for var in MATRIX_KPIS:
            cells = {}
            label = None
            for p in shown:
                r = data.rows(p.segment, block=BEHAVIOUR, variable=var)
                r = r[r["category"].astype(str).str.lower().isin(["true", "1", "yes"])] if var == "lapsed" else \
                    r[r["stat"] == "mean"]
                if len(r) and pd.notna(r["index"].iloc[0]):
                    r = r.iloc[0]
                    scale = kpi_scale(var)
                    cells[p.segment] = (f"{r['index']:.0f}{' ' + r['sig'] if sig_text(r['sig']) else ''}",
                                        index_fill(r["index"], sig_text(r["sig"])),
                                        f"{format_kpi(var, r['value'] * scale, data.currency)} vs {format_kpi(var, r['total'] * scale, data.currency)}")
                    label = f"{kpi_label(var)} (all: {format_kpi(var, r['total'] * scale, data.currency)})"
            if cells:
                out.append(("Behaviour", label, kpi_label(var), cells))
    o = data.opportunities
    if len(o):
        segs = [str(p.segment) for p in shown]
        o = o[o["segment"].astype(str).isin(segs)]
        top = (o.groupby("label", sort=False)["opportunity"].max().sort_values(ascending=False, kind="stable")
               .head(3))
        for label in top.index:
            cells = {}
            for p in shown:
                r = o[(o["label"] == label) & (o["segment"].astype(str) == str(p.segment))]
                if len(r):
                    r = r.iloc[0]
                    cells[p.segment] = (f"{r['opportunity']:.1f}", UNDER_FILL if bool(r["underserved"]) else None,
                                        f"importance {r['importance']:.1f}, satisfaction {r['satisfaction']:.1f}")
            out.append(("Opportunity", str(label), f"{label} (opportunity score)", cells))
    return out


def matrix_subtitle(rows) -> str:
    """What the matrix shows, naming only the row groups it has (no opportunity scores for a
    study without outcomes, no behaviour without behavioural measures)."""
    groups = list(dict.fromkeys(g for g, *_ in rows))
    indexed = [g.lower() for g in groups if g != "Opportunity"]
    parts = []
    if indexed:
        names = indexed[0] if len(indexed) == 1 else ", ".join(indexed[:-1]) + " and " + indexed[-1]
        parts.append(f"Index vs total (100 = average) for {names}")
    if "Opportunity" in groups:
        parts.append("JTBD opportunity scores")
    return "; ".join(parts)


def matrix_slides(d: Canvas, data, shown, colours, max_items):
    rows = matrix_rows(data, shown, max_items)
    if not rows or not shown:
        return
    k = len(shown)
    group_w, label_w = int(Inches(1.05)), int(Inches(3.45))  # room for the unit: "(all: 9,811 EUR)"
    seg_w = int((d.width - group_w - label_w) / k)
    legend_h = int(Inches(0.45))
    head_h = int(Inches(0.75))
    row_h = int(Inches(0.28))
    per_page = max(1, int((d.bottom - d.top - legend_h - head_h) / row_h))
    names = [p.name for p in shown]
    head_pt = min(fit_font_size(n, seg_w - int(Inches(0.1)) + 2 * PAD_X, head_h - int(Inches(0.04)) + 2 * PAD_Y,
                                max_pt=11, min_pt=7) or 7.0 for n in names)
    body_pt = 10.0
    for start in range(0, len(rows), per_page):
        chunk = rows[start:start + per_page]
        s = d.slide(key=f"matrix-{start // per_page + 1}")
        d.title(s, "How the segments differ" + (" (continued)" if start else ""),
                subtitle=matrix_subtitle(rows))
        n_rows = len(chunk) + 1
        gf = s.shapes.add_table(n_rows, 2 + k, d.margin, d.top, group_w + label_w + seg_w * k, head_h + row_h * len(chunk))
        d.own(s, gf, "table")
        table = gf.table
        tbl_pr = gf._element.graphic.graphicData.tbl.tblPr
        tbl_pr.set("bandRow", "0")
        tbl_pr.set("firstRow", "1")
        table.columns[0].width, table.columns[1].width = group_w, label_w
        for j in range(k):
            table.columns[2 + j].width = seg_w
        table.rows[0].height = head_h
        fill_cell(table.cell(0, 0), "", size=body_pt, font=d.minor, colour=d.dark, fill=WHITE)
        fill_cell(table.cell(0, 1), "", size=body_pt, font=d.minor, colour=d.dark, fill=WHITE)
        for j, p in enumerate(shown):
            fill_cell(table.cell(0, 2 + j), p.name, size=head_pt, font=d.minor, colour=WHITE, bold=True,
                  fill=colours[p.segment], align=PP_ALIGN.CENTER)
        last_group = None
        notes = []
        for i, (group, label, note_label, cells) in enumerate(chunk, start=1):
            table.rows[i].height = row_h
            fill_cell(table.cell(i, 0), group if group != last_group else "", size=body_pt, font=d.minor, colour=MUTED,
                  bold=True, fill=WHITE)
            last_group = group
            lab = label if estimate_lines(label, label_w, body_pt) == 1 else shorten(label, label_w, text_height(
                "x", label_w, body_pt), body_pt)
            fill_cell(table.cell(i, 1), lab, size=body_pt, font=d.minor, colour=d.dark, fill=WHITE)
            parts = []
            for j, p in enumerate(shown):
                text, fill, note = cells.get(p.segment, ("", None, ""))
                fill_cell(table.cell(i, 2 + j), text, size=body_pt, font=d.minor, colour=d.dark, fill=fill or WHITE,
                      align=PP_ALIGN.CENTER)
                if note:
                    parts.append(f"{p.name}: {note}")
            notes.append(f"{group} · {note_label}: " + "; ".join(parts))
        ly = d.top + head_h + row_h * len(chunk) + int(Inches(0.1))
        legend = "Shaded: significantly above (orange; dark ≥ 120) or below (blue; dark ≤ 80) the rest of the sample, ▲ / ▼."
        if any(g == "Opportunity" for g, *_ in rows):  # only where the matrix shows opportunity scores
            legend += (" Opportunity (0-20) = importance + max(importance − satisfaction, 0), both on 0-10 scales; "
                       f"purple ≥ {data.underserved:g}: underserved.")
        d.text(s, Box(d.margin, ly, d.width, legend_h), [legend], max_pt=10, min_pt=9, colour=MUTED)
        d.notes(s, notes)
