"""Per persona: a profile slide (quote, who they are, needs / motivations / barriers, a
native index-vs-total chart), a behaviour slide (RFM tier and channel mix, KPI tiles,
underserved outcomes, how to win them) and continuation slides when lists do not fit."""

from __future__ import annotations

import math

import pandas as pd
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches, Pt

from .content import (MAX_CHART_ITEMS, TILE_KPIS, base_mix, base_value, chart_rows, format_kpi, how_to_win, item_label, kpi_label, measure_words, series_name,
                      kpi_value, language_name, mix_rows, quote_code, quote_language, quote_translation, sig_text)
from ..core.measures import measure
from .texts import PCT, words
from .data import DeckData
from ..core.measures import p_text
from .layout import (GREY, MUTED, TINT, Box, Canvas, fill_series, fit_font_size, joined, label_values, new_chart_data,
                     shorten, text_height)

__all__ = ["persona_slides", "behaviour_slide", "split_sections"]


def persona_sections(p, w=None) -> list[tuple[str, list[str]]]:
    w = w or words("en")
    # a bullet begins with a capital as the client reads it ('valgte ugift …' → 'Valgte ugift …')
    return [(h, [str(i)[:1].upper() + str(i)[1:] for i in items]) for h, items in (
        (w("persona.needs"), p.needs), (w("persona.motivations"), p.motivations), (w("persona.barriers"), p.barriers))
        if items]


def section_paragraphs(sections) -> list:
    out = []
    for head, items in sections:
        out.append((head, {"bold": True}))
        out += [(i, {"bullet": True}) for i in items]
    return out


def split_sections(sections, box: Box, min_pt: float) -> tuple[list, list]:
    """The sections that fit ``box`` at ``min_pt`` (item by item) and the rest."""
    fit, rest = [], []
    for head, items in sections:
        if rest:
            rest.append((head, items))
            continue
        kept = []
        for j, it in enumerate(items):
            trial = fit + [(head, kept + [it])]
            full = joined(section_paragraphs(trial))
            if text_height(full, box.width, min_pt, space_pt=2.0) > box.height:
                if kept:
                    fit.append((head, kept))
                rest.append((head, items[j:]))
                break
            kept.append(it)
        else:
            fit.append((head, kept))
    return fit, rest


def persona_chart(d: Canvas, slide, box: Box, rows: pd.DataFrame, colour: RGBColor, name: str):
    w = d.w
    chart_data = new_chart_data("0")
    # the kind of each item ('(need)') only where the chart mixes kinds
    kinds = len(set(rows["kind"].astype(str))) > 1
    chart_data.categories = [item_label(r) + (f" ({w('kind.' + r['kind']) if w.has('kind.' + str(r['kind'])) else r['kind']})"
                                              if kinds else "") for _, r in rows.iterrows()]
    chart_data.add_series(series_name(name) or w("segment_n", segment=""), [float(v) for v in rows["index"]])
    present = [k for k in ("needs", "motivations", "barriers") if k in set(rows["kind"].astype(str))]
    title = w("persona.chart_title", kinds=", ".join(w(f"group.{k}").lower() for k in present))
    gf = d.chart(slide, XL_CHART_TYPE.BAR_CLUSTERED, box, chart_data, legend=False, title=title)
    chart = gf.chart
    plot = chart.plots[0]
    plot.gap_width = 50
    label_values(plot, "0", 10)
    fill_series(plot, (colour,))
    # the bars start at the reference line: the category axis crosses the value axis at 100
    chart.value_axis.crosses_at = 100.0
    # the axis always shows 100 (the reference) and every bar on its side of it
    idx = [float(v) for v in rows["index"]]
    # an index near 0 keeps room left of 0 for its label (else it sits on the item names); the
    # axis labels no negative index (the number format's negative section is empty)
    chart.value_axis.minimum_scale = float(math.floor((min(idx + [100.0]) - 10) / 50) * 50)
    chart.value_axis.tick_labels.number_format = '0;;0'
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.maximum_scale = math.ceil((max(idx + [100.0]) + 10) / 50) * 50
    chart.value_axis.major_unit = 50  # ticks on round numbers, 100 among them
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.tick_labels.font.size = Pt(10)
    cat = chart.category_axis
    cat.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    cat.tick_labels.font.size = Pt(11)
    cat.format.line.color.rgb = RGBColor(0x33, 0x33, 0x33)
    cat.format.line.width = Pt(1.5)
    return gf


def mix_chart(d: Canvas, slide, box: Box, rows: pd.DataFrame, colour, name, title, *, base: bool = False):
    """A segment's mix against all customers: the customer base's mix (``base``: the rows'
    ``shown_total`` then holds it) or, without a customer base, all surveyed customers."""
    w = d.w
    chart_data = new_chart_data(PCT)
    chart_data.categories = [w.tier(c) for c in rows["category"]]
    # the whole percentages the labels, texts and notes show (content.mix_rows): rounded once
    chart_data.add_series(series_name(name) or "Segment", [float(v) for v in rows["shown"]])
    chart_data.add_series(w("behaviour.all_series_erp" if base else "behaviour.all_series"),
                          [float(v) for v in rows["shown_total"]])
    gf = d.chart(slide, XL_CHART_TYPE.COLUMN_CLUSTERED, box, chart_data, legend=XL_LEGEND_POSITION.BOTTOM,
                 legend_pt=10, title=title)
    chart = gf.chart
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.overlap = -5
    label_values(plot, PCT, 10)
    fill_series(plot, (colour, GREY))
    chart.value_axis.minimum_scale = 0  # shares from zero: bar heights compare as the numbers do
    chart.value_axis.visible = False
    chart.value_axis.has_major_gridlines = False
    chart.category_axis.tick_labels.font.size = Pt(11)
    return gf


def persona_slides(d: Canvas, data: DeckData, p, colour: RGBColor, options):
    """A profile slide and a behaviour slide per persona, and continuation slides for long lists."""
    s = d.slide(key=f"persona-{p.segment}")
    w = d.w
    sub = w("persona_sub", pct=f"{p.share:.0f}", n=w.n(p.n), segment=p.segment)
    d.rect(s, Box(0, 0, int(Inches(0.18)), d.H), colour)
    d.title(s, p.name, colour, subtitle=sub)
    left_w = int(d.width * 0.47)
    right_l = d.margin + left_w + int(Inches(0.35))
    right_w = d.W - d.margin - right_l
    y = d.top
    bottom = d.bottom
    first = next((q for q in p.quotes if q.get("text")), None)
    quote = str(first.get("text", "")).strip() if first else ""
    quote = quote[:1].upper() + quote[1:]  # a quote begins with a capital, as the client reads it
    if quote:
        # a quote in another language than the deck's says which, and shows its translation when
        # the study or personas.yaml gives one (the box grows for it; without one it keeps its size)
        lang = quote_language(first, data.language)
        tag = f" ({lang})" if lang else ""
        translation = quote_translation(first, data.language)
        q = w("quote", text=quote) + tag  # in the language's quotation marks ('»…«' in Danish)
        if fit_font_size(q, left_w, Inches(1.15), max_pt=16, min_pt=12) is None:
            q = w("quote", text=shorten(quote, left_w, Inches(0.85 if tag else 1.05), 12)) + tag
        size = fit_font_size(q, left_w, Inches(1.15), max_pt=16, min_pt=12) or 12.0
        height = text_height(q, left_w, size)
        paras = [q]
        if translation:
            tr = w("persona.in_language", language=language_name(data.language, data.language), text=translation)
            if text_height(tr, left_w, 11.0) > Inches(0.75):
                tr = shorten(tr, left_w, Inches(0.7), 11.0)
            paras.append((tr, {"italic": False, "size": 11.0, "colour": MUTED}))
            height += text_height(tr, left_w, 11.0, space_pt=4.0)
        qbox = Box(d.margin, y, left_w, min(height, int(Inches(1.95 if translation else 1.15))))
        d.rect(s, Box(d.margin - int(Inches(0.12)), y, int(Inches(0.06)), qbox.height), colour)
        d.text(s, qbox, paras, size=size, italic=True, colour=colour)
        y += qbox.height + int(Inches(0.15))
    who_max = int(Inches(2.0))
    head = (w("persona.who"), {"bold": True})
    who = [head, p.description] + [(b, {"bullet": True}) for b in p.behaviours]
    more: list = []  # what moves to a continuation slide
    if fit_font_size(joined(who), left_w, who_max, min_pt=11, space_pt=3.0) is None and p.behaviours:
        who, more = [head, p.description], [(w("persona.who"), list(p.behaviours))]
    if fit_font_size(joined(who), left_w, who_max, min_pt=11, space_pt=3.0) is None:
        who = [head, shorten(p.description, left_w, who_max, 11, space_pt=3.0, prefix=[head])]
        more = [(w("persona.who"), [p.description] + list(p.behaviours))]
    size = fit_font_size(joined(who), left_w, who_max, max_pt=13, min_pt=11, space_pt=3.0) or 11.0
    wbox = Box(d.margin, y, left_w, min(text_height(joined(who), left_w, size, space_pt=3.0), who_max))
    d.text(s, wbox, who, size=size, space_pt=3.0)
    y += wbox.height + int(Inches(0.15))
    lbox = Box(d.margin, y, left_w, bottom - y)
    # without behaviour data and with at most one line on how to win them, that line joins the
    # persona's own slide: no slide holding a single bullet, no empty behaviour panel
    merged = _merged_win(data, p)
    fit, rest = split_sections(persona_sections(p, w) + ([(w("persona.win"), merged)] if merged else []), lbox, 11)
    if fit:
        d.text(s, lbox, section_paragraphs(fit), max_pt=14, min_pt=11, space_pt=2.0)
    rows = chart_rows(data, p.segment, int(options.get("max_items") or MAX_CHART_ITEMS))
    if len(rows):
        measures = sorted(set(measure_words(m, w) for m in rows["measure"]))
        cbox = d.footnote(s, Box(right_l, d.top, right_w, bottom - d.top),
                          w("persona.base", n=w.n(p.n), total=w.n(data.total_n), measures=" / ".join(measures)))
        persona_chart(d, s, cbox, rows, colour, p.name)
    rest = more + rest
    notes = [f"{p.name}: {w('pct_respondents_n', pct=f'{p.share:.0f}', n=w.n(p.n))}."]
    notes += [w("persona.notes_item", label=item_label(r), kind=w("kind." + r.kind) if w.has("kind." + str(r.kind)) else r.kind,
                value=w.n(r.value), total=w.n(r.total), measure=measure_words(r.measure, w), index=w.n(r['index']),
                sig=" " + r.sig if sig_text(r.sig) else "") for _, r in rows.iloc[::-1].iterrows()]
    detail = [f"{p.id}, segment {p.segment}."]
    detail += [f"{r.label}: adjusted p {p_text(r.p_adj)} (Holm)" for _, r in rows.iloc[::-1].iterrows()
               if pd.notna(r.p_adj)]
    detail += [f"Quote from question {q.get('question', '')}" + (f", in {language_name(q['language'])}"
               if q.get("language") else (f", read as {language_name(quote_code(q, data.language))} (the study "
                                          "declares no language for it)" if quote_code(q, data.language) else ""))
               + "." for q in p.quotes[:1] if q.get("text")]
    d.notes(s, notes, consultant=detail)
    if not merged:
        behaviour_slide(d, data, p, colour, rest_sections=[])
    k = 1
    while rest:
        k += 1
        c = d.slide(key=f"persona-{p.segment}-{k}")
        d.rect(c, Box(0, 0, int(Inches(0.18)), d.H), colour)
        d.title(c, w("continued", title=p.name), colour,
                subtitle=w("persona_sub_short", pct=f"{p.share:.0f}", n=w.n(p.n)))
        box = Box(d.margin, d.top, d.width, d.bottom - d.top)
        fit, rest = split_sections(rest, box, 11)
        if not fit:  # a single item longer than a whole slide: shown at the smallest size
            fit, rest = rest[:1], rest[1:]
        d.text(c, box, section_paragraphs(fit), max_pt=16, min_pt=11, space_pt=2.0)
        d.notes(c, [w("persona.notes_continued", name=p.name, k=k, items=sum(len(i) for _, i in fit))])


def _against_base(data: DeckData, rows: pd.DataFrame, var) -> tuple[pd.DataFrame, bool]:
    """A segment's mix rows with ``shown_total`` from the customer base (ERP) when the run had one
    (True), else as they are: all surveyed customers (False)."""
    mix = base_mix(data, var)
    if not len(rows) or not mix:
        return rows, False
    return rows.assign(shown_total=[int(mix.get(str(c), 0)) for c in rows["category"]]), True


def _tile_unit(var, data: DeckData, w) -> str:
    """The label under a KPI tile's figure, with its unit ('Revenue per customer (EUR)'; no unit
    placeholder without a currency)."""
    m = measure(var)
    label = kpi_label(var, data.language)
    if m is None:
        return label
    if m.unit == "currency":
        return f"{label} ({data.currency})" if data.currency else label
    if m.unit in ("days", "orders", "units"):
        return f"{label} ({w('unit.' + m.unit)})"
    if m.unit == "flag":
        return f"{label} ({w('unit.customers_pct')})"
    if m.unit == "share":
        return f"{label} (%)"
    return label


def has_behaviour(data: DeckData, p) -> bool:
    """Whether the segment has behavioural data to chart (tier mix, channel mix or KPI tiles)."""
    return bool(len(mix_rows(data, p.segment, "rfm_tier")) or len(mix_rows(data, p.segment, "dominant_channel"))
                or any(kpi_value(data, p.segment, v) is not None for v in TILE_KPIS))


def _merged_win(data: DeckData, p) -> list:
    """The how-to-win lines that go on the persona slide itself (no behaviour, no underserved
    outcome, one line at most); [] when the persona gets its own how-to-win slide."""
    if has_behaviour(data, p) or len(data.underserved_outcomes(p.segment)) or p.underserved:
        return []
    win, _ = how_to_win(data, p)
    return list(win) if len(win) == 1 else []


def behaviour_slide(d: Canvas, data: DeckData, p, colour, rest_sections):
    """Behaviour (RFM tier mix, channel mix, KPI tiles), underserved outcomes, how to win them."""
    tiers = mix_rows(data, p.segment, "rfm_tier")
    channels = mix_rows(data, p.segment, "dominant_channel")
    kpis = [(v, kpi_value(data, p.segment, v)) for v in TILE_KPIS]
    kpis = [(v, x) for v, x in kpis if x is not None]
    under = data.underserved_outcomes(p.segment)
    win, drafted = how_to_win(data, p)
    if not (len(tiers) or len(channels) or kpis or len(under) or win or p.underserved):
        return
    s = d.slide(key=f"behaviour-{p.segment}")
    w = d.w
    lang = data.language
    d.rect(s, Box(0, 0, int(Inches(0.18)), d.H), colour)
    behaviour = bool(len(tiers) or len(channels) or kpis)
    if behaviour:
        d.title(s, w("behaviour.title", name=p.name), colour,
                subtitle=w("behaviour.sub", pct=f"{p.share:.0f}", n=w.n(p.n)))
        left_w = int(d.width * 0.46)
        right_l = d.margin + left_w + int(Inches(0.35))
    else:  # no behaviour: the outcomes and how to win them use the whole slide
        d.title(s, w("behaviour.title_win", name=p.name), colour,
                subtitle=w("persona_sub_short", pct=f"{p.share:.0f}", n=w.n(p.n)))
        left_w = 0
        right_l = d.margin
    right_w = d.W - d.margin - right_l
    # "all customers" is the customer base (ERP) where the run had one, else all surveyed customers
    tiers, base_t = _against_base(data, tiers, "rfm_tier")
    channels, base_c = _against_base(data, channels, "dominant_channel")
    charts = [(t, title, b) for t, title, b in ((tiers, w("behaviour.tiers"), base_t),
                                                (channels, w("behaviour.channels"), base_c)) if len(t)]
    gap = int(Inches(0.15))
    notes = [f"{p.name}: {w('pct_respondents_n', pct=f'{p.share:.0f}', n=w.n(p.n))}."]
    detail = []
    if charts:
        d.footnote(s, Box(d.margin, d.top, left_w, d.bottom - d.top),
                   w("behaviour.base_erp" if any(b for *_, b in charts) else "behaviour.base"))
        h = int((d.bottom - d.top - int(Inches(0.3)) - gap * (len(charts) - 1)) / len(charts))
        for i, (rows, title, b) in enumerate(charts):
            mix_chart(d, s, Box(d.margin, d.top + i * (h + gap), left_w, h), rows, colour, p.name, title, base=b)
            notes.append(w("behaviour.notes_mix", title=title, items="; ".join(
                f"{w.tier(r.category)} {r.shown} % / {r.shown_total} %{' ' + r.sig if sig_text(r.sig) else ''}"
                for r in rows.itertuples())))
    y = d.top
    if kpis:
        tile_gap = int(Inches(0.12))
        tw = int((right_w - tile_gap * (len(kpis) - 1)) / len(kpis))
        th = int(Inches(1.15))
        for i, (var, (val, tot, sig)) in enumerate(kpis):
            box = Box(right_l + i * (tw + tile_gap), y, tw, th)
            shp = d.rect(s, box, TINT)
            label = kpi_label(var, lang)
            unit = _tile_unit(var, data, w)  # the unit under the figure: "Revenue per customer (EUR)"
            arrow = f" {sig}" if sig else ""
            lab_pt = fit_font_size(unit, tw, int(Inches(0.45)), max_pt=11, min_pt=8) or 8.0
            m = measure(var)
            shown = w.fmt(m.fmt, val) if m is not None else format_kpi(var, val, language=lang)
            base = base_value(data, var)  # all customers: the customer base where there is one
            all_text = w("tile.all_base" if base is not None else "tile.all_survey",
                         value=format_kpi(var, base if base is not None else tot, data.currency, lang))
            d.text(s, box, [(shown + arrow, {"bold": True, "colour": colour, "size": 20}),
                            (unit, {"size": lab_pt}), (all_text, {"colour": MUTED, "size": 9})],
                   size=20, space_pt=1.0, shape=shp, align=PP_ALIGN.CENTER, anchor=MSO_ANCHOR.MIDDLE)
            notes.append(w("behaviour.notes_kpi", label=label, value=format_kpi(var, val, data.currency, lang),
                           total=format_kpi(var, tot, data.currency, lang), sig=arrow))
        y += th + int(Inches(0.2))
    items = [w("behaviour.under_item", label=r["label"], score=w.n(r["opportunity"], 1), imp=w.n(r["importance"], 1),
               sat=w.n(r["satisfaction"], 1)) for _, r in under.head(4).iterrows()] or list(p.underserved)[:4]
    avail = d.bottom - y
    ubox_h = int(avail * 0.42) if items else 0
    if items:
        ubox = Box(right_l, y, right_w, ubox_h)
        paras = [(w("behaviour.underserved"), {"bold": True})] + [(t, {"bullet": True}) for t in items]
        while len(paras) > 2 and fit_font_size(joined(paras), ubox.width, ubox.height, min_pt=11, space_pt=2) is None:
            paras = paras[:-1]
        d.text(s, ubox, paras, max_pt=14, min_pt=11, space_pt=2.0)
        notes += [w("behaviour.notes_under", label=r["label"], imp=w.n(r["importance"], 1),
                    sat=w.n(r["satisfaction"], 1), score=w.n(r["opportunity"], 1)) for _, r in under.iterrows()]
        y += ubox_h + int(Inches(0.1))
    if win:
        wbox = Box(right_l, y, right_w, d.bottom - y)
        d.rect(s, wbox, TINT)
        inner = Box(wbox.left + int(Inches(0.1)), wbox.top + int(Inches(0.05)), wbox.width - int(Inches(0.2)),
                     wbox.height - int(Inches(0.1)))
        paras = [(w("persona.win"), {"bold": True, "colour": colour})] + [(t, {"bullet": True}) for t in win]
        while len(paras) > 2 and fit_font_size(joined(paras), inner.width, inner.height, min_pt=11, space_pt=3) is None:
            paras = paras[:-1]
        d.text(s, inner, paras, max_pt=14, min_pt=11, space_pt=3.0)
        notes.append(w("behaviour.notes_win", text=" ".join(win)))
        detail.append("How to win them was drafted from the data: add how_to_win: to this persona in personas.yaml "
                      "to replace it." if drafted else "How to win them comes from personas.yaml.")
    d.notes(s, notes, consultant=[f"{p.id}, segment {p.segment}."] + detail)
