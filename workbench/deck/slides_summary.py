"""The opening slides: title, executive summary, segment sizes, the trend slides of later
waves and the segment comparison matrix."""

from __future__ import annotations

import math

import pandas as pd
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches, Pt

from .content import (BEHAVIOUR, MATRIX_KPIS, base_value, value_shares, criteria_status, format_kpi, item_label, kpi_label,
                      kpi_scale, measure_words, segment_implications, without_figures, sig_text, suppressed_note)
from .data import DeckData
from .texts import PCT, TEXTS, words
from .layout import (HIGH1, HIGH2, LOW1, LOW2, MUTED, PAD_X, PAD_Y, TITLE_TYPES, UNDER_FILL, WHITE, Box, Canvas,
                     estimate_lines, fill_cell, fit_font_size, label_values, new_chart_data, placeholder_type, shorten,
                     text_height)

__all__ = ["title_slide", "summary_slides", "sizes_slide", "matrix_slides", "matrix_rows"]


def _says_the_wave(label: str, wave) -> bool:
    """Whether a wave's name (the study's own text) already says which wave it is, in any language
    the deck speaks ('Wave 2, autumn 2026', 'Bølge 2 – efterår'): the deck then adds no prefix of
    its own ('Bølge 2: Wave 2, ...')."""
    text = label.strip().lower()
    for table in TEXTS.values():
        head = table["wave"].format(wave=wave).lower()
        if text.startswith(head) and not text[len(head):len(head) + 1].isdigit():
            return True
    return False


def title_slide(d: Canvas, data: DeckData, shown, options):
    s = d.slide(d.title_layout, key="title")
    title = options.get("title") or data.study_name
    w = d.w
    label = data.wave_label
    wave = data.wave
    sub = label if _says_the_wave(label, wave) else (
        w("title.wave_label", wave=wave, label=label) if label else w("Wave", wave=wave))
    line2 = f"{options.get('subtitle') or w('title.subtitle')} · {w.date(data.date)}"
    ph_title = next((ph for ph in s.placeholders if placeholder_type(ph) in TITLE_TYPES), None)
    ph_sub = next((ph for ph in s.placeholders if placeholder_type(ph) == PP_PLACEHOLDER.SUBTITLE), None)
    width = d.W - 2 * d.margin
    tbox = Box(int(ph_title.left), int(ph_title.top), int(ph_title.width), int(ph_title.height)) if ph_title is not None \
        else Box(d.margin, int(Inches(2.2)), width, int(Inches(1.6)))
    if ph_title is not None:
        ph_title.left, ph_title.top, ph_title.width, ph_title.height = tbox.left, tbox.top, tbox.width, tbox.height
        ph_title.text_frame.clear()
    d.text(s, tbox, [title], max_pt=40, min_pt=20, bold=True, colour=d.head, font=d.major, shape=ph_title,
           align=PP_ALIGN.LEFT)
    sbox = Box(int(ph_sub.left), int(ph_sub.top), int(ph_sub.width), int(ph_sub.height)) if ph_sub is not None \
        else Box(d.margin, tbox.top + tbox.height + int(Inches(0.1)), width, int(Inches(1.1)))
    if ph_sub is not None:
        ph_sub.left, ph_sub.top, ph_sub.width, ph_sub.height = sbox.left, sbox.top, sbox.width, sbox.height
        ph_sub.text_frame.clear()
    d.text(s, sbox, [sub, line2], max_pt=22, min_pt=12, colour=MUTED, shape=ph_sub, align=PP_ALIGN.LEFT,
           anchor=MSO_ANCHOR.TOP)
    d.notes(s, [w("title.notes1", study=data.study_name, wave=wave), w("title.notes2", date=w.date(data.date)),
                w("title.notes3", k=len(shown), n=w.n(data.total_n))],
            consultant=[f"Study id {data.study_id}."])


def summary_slides(d: Canvas, data, shown, hidden, colours):
    """Executive summary: one line per persona; continues on further slides when long."""
    w = d.w
    box_w = d.width - int(Inches(0.4))
    status = criteria_status(data)
    top0, bottom = d.top + (int(Inches(0.55)) if status else 0), d.bottom - int(Inches(0.75))
    imp = segment_implications(data, shown)
    values = value_shares(data)
    lines = []
    base_said = False  # "(all customers: …)" once, on the first line with a revenue figure
    for p in sorted(shown, key=lambda q: imp[q.segment]["priority"]):
        x = imp[p.segment]
        val = "".join(w("summary.value_part", pct=shares[str(p.segment)], what=w(f"value.{v}"))
                      for v, shares in values.items())
        parts = [w("summary.line", priority=x["priority"], name=p.name, pct=f"{p.share:.0f}", n=w.n(p.n), value=val)]
        if x["value"] is not None:
            lang = data.language
            base = base_value(data, "revenue")  # "all customers": the customer base, where there is one
            key = "summary.revenue_short" if base_said else (
                "summary.revenue" if base is not None else "summary.revenue_survey")
            base_said = True
            parts.append(w(key, label=kpi_label("revenue", lang).lower(),
                           value=format_kpi("revenue", x["value"][0], data.currency, lang),
                           total=format_kpi("revenue", base if base is not None else x["value"][1], data.currency,
                                            lang)))
        if x["opportunity"] is not None:
            parts.append(w("summary.opportunity", outcome=x["opportunity"][0], score=w.n(x["opportunity"][1], 1)))
        elif p.needs:  # without outcomes: what sets them apart most (the at-a-glance card's need)
            parts.append(w("summary.need", need=without_figures(p.needs[0])))
        if x["channel"] is not None:
            parts.append(w("summary.reach", channel=x["channel"][0], pct=f"{x['channel'][1]:.0f}"))
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
        title = w("summary.title")
        d.title(s, w("continued", title=title) if k else title,
                subtitle=w("summary.sub", k=len(shown), n=w.n(data.total_n)))
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
        how = priority_rule(imp, w)
        foot = [how] + ([suppressed_note(hidden, data.min_segment_n, data.language)] if k == len(pages) - 1 and hidden
                        else [])
        d.text(s, Box(d.margin, d.bottom - int(Inches(0.7)), d.width, int(Inches(0.65))), foot, max_pt=11, min_pt=9,
               italic=True, colour=MUTED)
        d.notes(s, [w("summary.notes", segment=p.segment, name=p.name, n=w.n(p.n), pct=f"{p.share:.0f}")
                    for p, _ in page] + ([suppressed_note(hidden, data.min_segment_n, data.language)] if hidden else []),
                consultant=[f"{p.id}: segment {p.segment}." for p, _ in page])


def priority_rule(imp: dict, w=None) -> str:
    """The footnote saying how the priority was ranked, naming only the factors this study has
    (no revenue without behaviour data, no opportunity score without JTBD outcomes)."""
    w = w or words("en")
    keys = ["size"]
    if any(x["value"] is not None for x in imp.values()):
        keys.append("value")
    if any(x["opportunity"] is not None for x in imp.values()):
        keys.append("opportunity")
    if len(keys) == 1:
        return w("priority.size_only")
    return w("priority.rule", names=" × ".join(w(f"priority.{k}") for k in keys),
             terms=" × ".join(w(f"priority.{k}_term") for k in keys))


def sizes_slide(d: Canvas, data, shown, hidden, colours):
    shown = sorted(shown, key=lambda p: (-float(p.share), -int(p.n), str(p.segment)))  # "in order of size", as it says
    values = value_shares(data)
    w = d.w
    s = d.slide(key="sizes")
    sub = w("sizes.sub" if data.weighting else "sizes.sub_unweighted")
    if values:
        sub += w("sizes.sub_value", what=w.join(w(f"value.{v}") for v in values))
    d.title(s, w("sizes.title_value" if values else "sizes.title"), subtitle=sub)
    bottom = d.bottom - (int(Inches(0.5)) if hidden else 0)
    box = Box(d.margin, d.top, d.width, bottom - d.top)
    base = w("sizes.base_weighted" if data.weighting else "sizes.base", n=w.n(data.total_n))
    if values:
        base += w("sizes.base_value", what=w.join(w(f"value.{v}") for v in values))  # only the measures shown
    box = d.footnote(s, box, base + ".")
    chart_data = new_chart_data(PCT)
    chart_data.categories = [f"{p.name} (n={w.n(p.n)})" for p in shown]
    chart_data.add_series(w("sizes.series"), [float(p.share) for p in shown])
    for var, shares in values.items():
        chart_data.add_series(w("sizes.series_value", what=w(f"value.{var}")), [float(shares[str(p.segment)])
                                                                              for p in shown])
    legend = XL_LEGEND_POSITION.BOTTOM if values else False
    chart = d.chart(s, XL_CHART_TYPE.COLUMN_CLUSTERED, box, chart_data, size=12, legend=legend).chart
    chart.has_title = False  # the slide's title says it (no automatic title from the series name)
    plot = chart.plots[0]
    plot.gap_width = 50 if not values else 40
    plot.vary_by_categories = False
    label_values(plot, PCT, 14 if not values else 11, bold=True)
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
               [suppressed_note(hidden, data.min_segment_n, data.language)], max_pt=12, min_pt=9, italic=True,
               colour=MUTED)
    notes = []
    for p in shown:
        row = data.seg_row(p.segment)
        wn = w("sizes.weighted_n", n=w.n(float(row["weighted n"]))) if row is not None and \
            row.get("weighted n") is not None else ""
        val = "".join(w("summary.value_part", pct=shares[str(p.segment)], what=w(f"value.{v}"))
                      for v, shares in values.items())
        notes.append(w("sizes.notes", name=p.name, n=w.n(p.n), wn=wn, pct=f"{p.share:.0f}", value=val))
    d.notes(s, notes + ([suppressed_note(hidden, data.min_segment_n, data.language)] if hidden else []))


def index_fill(index, sig):
    if pd.isna(index) or sig not in ("▲", "▼"):
        return None
    if sig == "▲":
        return HIGH2 if index >= 120 else HIGH1
    return LOW2 if index <= 80 else LOW1


def letters_of(shown) -> dict:
    """The column letter of each shown segment (A, B, …, in the order of the matrix' columns)."""
    return {str(p.segment): chr(ord("A") + i) for i, p in enumerate(shown) if i < 26}


def cell_letters(row, letters: dict) -> str:
    """The letters of the shown segments this cell's segment is significantly above ('BC'); the
    profile's ``letters`` column names segments (e.g. '2 3'), translated to the columns' letters."""
    v = row.get("letters")  # a profile row (pandas Series)
    if not isinstance(v, str) or not v.strip():
        return ""
    return "".join(sorted(letters[x] for x in v.split() if x in letters))


def matrix_rows(data: DeckData, shown, max_items: int) -> list[tuple[str, str, str, dict]]:
    """(group, row label, notes label, {segment: (text, fill, note)}) for the comparison matrix.

    A cell reads 'index ▲ BC': the index vs the total, the arrow when the segment differs
    significantly from the rest of the sample, and the letters of the segments (columns) it is
    significantly above (pairwise tests, Holm-corrected per row: :func:`workbench.describe.profiles.profile`)."""
    w = words(data.language)
    lang = data.language
    letters = letters_of(shown)
    out = []
    t = data.profile
    if len(t):
        segs = {str(p.segment) for p in shown}
        cand = t[t["trait"].astype(bool) & t["kind"].isin(["needs", "motivations", "barriers"]) & t["index"].notna()
                 & t["segment"].astype(str).isin(segs)]
        # a row is one item: a question's variable and, for a question with several answers shown
        # ('% Too little', '% Too much'), the answer (each its own row, named by content.item_label)
        cand = cand.assign(_item=list(zip(cand["variable"].astype(str), cand["category"].fillna("").astype(str))))
        picked: list = []
        per_seg = max(1, math.ceil(max_items / max(len(shown), 1)))
        for p in shown:  # each segment's strongest significant highs first
            c = cand[(cand["segment"].astype(str) == str(p.segment)) & (cand["sig"] == "▲")]
            c = c.sort_values(["index", "variable"], ascending=[False, True], kind="stable")
            for v in c["_item"]:
                if v not in picked:
                    picked.append(v)
                    if sum(1 for x in picked if x in set(c["_item"])) >= per_seg:
                        break
        picked = picked[:min(max_items, 6)]
        order = {"needs": 0, "motivations": 1, "barriers": 2}
        kinds = {v: cand.loc[cand["_item"] == v, "kind"].iloc[0] for v in picked}
        pos = {v: i for i, v in enumerate(picked)}
        picked.sort(key=lambda v: (order[kinds[v]], pos[v]))
        for v in picked:
            rows = cand[cand["_item"] == v]
            r0 = rows.iloc[0]
            cells = {}
            for p in shown:
                r = rows[rows["segment"].astype(str) == str(p.segment)]
                if len(r):
                    r = r.iloc[0]
                    lt = cell_letters(r, letters)
                    cells[p.segment] = (f"{w.n(r['index'])}{' ' + r['sig'] if sig_text(r['sig']) else ''}"
                                        f"{' ' + lt if lt else ''}",
                                        index_fill(r["index"], sig_text(r["sig"])),
                                        w("matrix.note_value", value=w.n(r["value"], 1), total=w.n(r["total"], 1),
                                          index=w.n(r['index'])))
            out.append((w(f"group.{kinds[v]}"), item_label(r0), f"{item_label(r0)} ({measure_words(r0['measure'], w)})", cells))
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
                    lt = cell_letters(r, letters)
                    cells[p.segment] = (f"{w.n(r['index'])}{' ' + r['sig'] if sig_text(r['sig']) else ''}"
                                        f"{' ' + lt if lt else ''}",
                                        index_fill(r["index"], sig_text(r["sig"])),
                                        f"{format_kpi(var, r['value'] * scale, data.currency, lang)} vs "
                                        f"{format_kpi(var, r['total'] * scale, data.currency, lang)}")
                    # the index is against the respondents: so is the figure beside the label
                    label = w("matrix.all_label_survey", label=kpi_label(var, lang),
                              value=format_kpi(var, r["total"] * scale, data.currency, lang))
            if cells:
                out.append((w("group.behaviour"), label, kpi_label(var, lang), cells))
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
                    cells[p.segment] = (w.n(r["opportunity"], 1), UNDER_FILL if bool(r["underserved"]) else None,
                                        w("matrix.note_opportunity", imp=w.n(r["importance"], 1),
                                          sat=w.n(r["satisfaction"], 1)))
            out.append((w("group.opportunity"), str(label), w("matrix.note_label_opportunity", label=label), cells))
    return out


def matrix_subtitle(rows, w=None) -> str:
    """What the matrix shows, naming only the row groups it has (no opportunity scores for a
    study without outcomes, no behaviour without behavioural measures)."""
    w = w or words("en")
    groups = list(dict.fromkeys(g for g, *_ in rows))
    opp = w("group.opportunity")
    indexed = [g.lower() for g in groups if g != opp]
    parts = []
    if indexed:
        parts.append(w("matrix.sub_index", groups=w.join(indexed)))
    if opp in groups:
        parts.append(w("matrix.sub_opportunity"))
    return "; ".join(parts)


def row_label(label: str, width: int, size: float, smallest: float = 8.0) -> tuple[str, float]:
    """A matrix row's name on one line: whole at ``size``, else whole at a smaller size down to
    ``smallest``, else cut; an item with its answer ('Spending on parks: Too little') keeps the
    answer and cuts the question ('Spending on pa…: Too little'), as the answer is what differs."""
    for pt in (size, size - 1, smallest):
        if pt >= smallest and estimate_lines(label, width, pt) == 1:
            return label, pt
    head, sep, tail = label.rpartition(": ")
    if sep and estimate_lines(f"… {sep}{tail}", width, smallest) == 1:
        words_ = head.split()
        while words_ and estimate_lines(" ".join(words_) + "…" + sep + tail, width, smallest) > 1:
            words_.pop()
        if words_:
            return " ".join(words_) + "…" + sep + tail, smallest
    return shorten(label, width, text_height("x", width, smallest), smallest), smallest


def letters_note(data: DeckData, rows, w) -> str:
    """The footnote of the column letters: which test and which correction (only when a cell has letters)."""
    if not any(any(len(text.split()) > (2 if "▲" in text or "▼" in text else 1) for text, *_ in cells.values())
               for *_, cells in rows):
        return ""
    t = data.profile
    stats = set(t.loc[t["trait"].astype(bool), "stat"].astype(str)) if len(t) and "stat" in t.columns else set()
    test = "matrix.test_both" if {"share", "mean"} <= stats else ("matrix.test_z" if "share" in stats else
                                                                   "matrix.test_t")
    return " " + w("matrix.letters", test=w(test), correction=w("matrix.correction"))


def matrix_slides(d: Canvas, data, shown, colours, max_items):
    rows = matrix_rows(data, shown, max_items)
    if not rows or not shown:
        return
    k = len(shown)
    group_w, label_w = int(Inches(1.05)), int(Inches(3.45))  # room for the unit: "(all: 9,811 EUR)"
    seg_w = int((d.width - group_w - label_w) / k)
    legend_h = int(Inches(0.65))  # the shading legend and the letters footnote
    head_h = int(Inches(0.75))
    row_h = int(Inches(0.28))
    per_page = max(1, int((d.bottom - d.top - legend_h - head_h) / row_h))
    w = d.w
    letters = letters_of(shown)
    names = [w("letters.head", name=p.name, letter=letters.get(str(p.segment), "")) for p in shown]
    head_pt = min(fit_font_size(n, seg_w - int(Inches(0.1)) + 2 * PAD_X, head_h - int(Inches(0.04)) + 2 * PAD_Y,
                                max_pt=11, min_pt=7) or 7.0 for n in names)
    body_pt = 10.0
    for start in range(0, len(rows), per_page):
        chunk = rows[start:start + per_page]
        s = d.slide(key=f"matrix-{start // per_page + 1}")
        title = w("matrix.title")
        d.title(s, w("continued", title=title) if start else title, subtitle=matrix_subtitle(rows, w))
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
            fill_cell(table.cell(0, 2 + j), names[j], size=head_pt, font=d.minor, colour=WHITE, bold=True,
                  fill=colours[p.segment], align=PP_ALIGN.CENTER)
        last_group = None
        notes = []
        for i, (group, label, note_label, cells) in enumerate(chunk, start=1):
            table.rows[i].height = row_h
            fill_cell(table.cell(i, 0), group if group != last_group else "", size=body_pt, font=d.minor, colour=MUTED,
                  bold=True, fill=WHITE)
            last_group = group
            lab, lab_pt = row_label(label, label_w, body_pt)
            fill_cell(table.cell(i, 1), lab, size=lab_pt, font=d.minor, colour=d.dark, fill=WHITE)
            parts = []
            for j, p in enumerate(shown):
                text, fill, note = cells.get(p.segment, ("", None, ""))
                fill_cell(table.cell(i, 2 + j), text, size=body_pt, font=d.minor, colour=d.dark, fill=fill or WHITE,
                      align=PP_ALIGN.CENTER)
                if note:
                    parts.append(f"{p.name}: {note}")
            notes.append(f"{group} · {note_label}: " + "; ".join(parts))
        ly = d.top + head_h + row_h * len(chunk) + int(Inches(0.1))
        legend = w("matrix.legend") + letters_note(data, rows, w)
        if any(g == w("group.behaviour") for g, *_ in rows):  # '(total: …)' beside a behaviour row: which base
            legend += w("matrix.legend_total")
        if any(g == w("group.opportunity") for g, *_ in rows):  # only where the matrix shows opportunity scores
            legend += w("matrix.legend_opportunity", limit=w.n(data.underserved, 0 if float(data.underserved).is_integer()
                                                                else 1))
        d.text(s, Box(d.margin, ly, d.width, legend_h), [legend], max_pt=10, min_pt=9, colour=MUTED)
        d.notes(s, notes)
