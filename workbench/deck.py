"""The persona deck: ``personas.pptx`` rendered with python-pptx from a run's results.

The deck is built from objects the pipeline already holds (the study, the
:class:`~workbench.criteria.Scorecard`, the chosen :class:`~workbench.profiles.SegmentProfiles`,
the :class:`~workbench.opportunities.Opportunities` and the :class:`~workbench.personas.Personas`);
it never reads files or the respondents' PII columns.

Slides, in order: title, executive summary, segment sizes (native chart), one slide per
persona that is not suppressed (plus continuation slides when its text does not fit), and the
relevant / operational / describable scorecard.  Every slide carries speaker notes with the
numbers behind it.  Each segment keeps one colour on every slide (:func:`segment_colours`).

Text fits by construction: every text box gets a font size chosen from its text length
(:func:`fit_font_size`, a conservative estimate of wrapped lines), and list sections that
do not fit at the smallest size move to a continuation slide.
"""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt

__all__ = ["build_deck", "write_deck", "segment_colours", "fit_font_size", "estimate_lines", "PALETTE",
           "SLIDE_WIDTH", "SLIDE_HEIGHT"]

logger = logging.getLogger(__name__)

#: Segment colours, in segment order; colour-blind-friendly (Okabe-Ito based, darkened for white text).
PALETTE = ("1F5F99", "D55E00", "117A65", "B8860B", "7B3F8C", "0072B2", "A23B72", "4D7C0F", "8C564B", "37474F")
GREY = RGBColor(0xA6, 0xA6, 0xA6)
DARK = RGBColor(0x26, 0x32, 0x38)
MUTED = RGBColor(0x5F, 0x6B, 0x73)
FONT = "Calibri"

SLIDE_WIDTH = Emu(12192000)  # 13.333 in: 16:9, as PowerPoint makes it
SLIDE_HEIGHT = Emu(6858000)  # 7.5 in
MARGIN = Inches(0.5)

#: Average glyph width as a share of the font size; deliberately wide (Calibri averages ~0.5)
#: so that accented Nordic / Dutch text and capitals still fit.
CHAR_WIDTH = 0.56
LINE_HEIGHT = 1.22
PAD_X = Inches(0.1)  # python-pptx's default text-frame insets
PAD_Y = Inches(0.05)
MAX_CHART_ITEMS = 8
UNDERSERVED = "Underserved outcomes"


def segment_colours(labels) -> dict:
    """One colour per segment label, by position, stable across every slide.

    Parameters
    ----------
    labels : sequence
        All segment labels of the segmentation, suppressed ones included, so that a
        segment's colour does not depend on which others are shown.

    Returns
    -------
    dict
        Label → :class:`pptx.dml.color.RGBColor`.
    """
    return {s: RGBColor.from_string(PALETTE[i % len(PALETTE)]) for i, s in enumerate(labels)}


def estimate_lines(text: str, width_emu: int, size_pt: float) -> int:
    """Lines ``text`` wraps into in a box ``width_emu`` wide at ``size_pt`` (conservative).

    Words are wrapped greedily at an average glyph width of ``CHAR_WIDTH`` × the font
    size; a word longer than a line is broken.  Each paragraph (``\\n``) starts a line.
    """
    usable_pt = max((width_emu - 2 * PAD_X) / 12700, 1.0)
    per_line = max(int(usable_pt / (CHAR_WIDTH * size_pt)), 1)
    lines = 0
    for para in text.split("\n"):
        cur = 0
        n = 1
        for word in para.split():
            w = len(word)
            if cur == 0:
                n += (w - 1) // per_line
                cur = w % per_line or per_line
            elif cur + 1 + w <= per_line:
                cur += 1 + w
            else:
                n += 1 + (w - 1) // per_line
                cur = w % per_line or per_line
        lines += n
    return lines


def text_height(text: str, width_emu: int, size_pt: float, *, space_pt: float = 0.0) -> int:
    """Estimated height (EMU) of ``text`` at ``size_pt``, with ``space_pt`` before each paragraph."""
    paras = text.count("\n") + 1
    pts = estimate_lines(text, width_emu, size_pt) * size_pt * LINE_HEIGHT + space_pt * (paras - 1)
    return int(pts * 12700 + 2 * PAD_Y)


def fit_font_size(text: str, width_emu: int, height_emu: int, *, max_pt: float = 18, min_pt: float = 10,
                  space_pt: float = 0.0) -> float | None:
    """Largest font size (whole points, ``max_pt`` down to ``min_pt``) at which ``text`` fits.

    Returns
    -------
    float or None
        None when the text does not fit even at ``min_pt``.
    """
    size = float(max_pt)
    while size >= min_pt:
        if text_height(text, width_emu, size, space_pt=space_pt) <= height_emu:
            return size
        size -= 1
    return None


@dataclass(frozen=True)
class _Box:
    left: int
    top: int
    width: int
    height: int


# ----------------------------------------------------------------------------- drawing


def _joined(paragraphs) -> str:
    """The text of paragraphs (str or (str, options)) as laid out, bullets included."""
    paras = [(p, {}) if isinstance(p, str) else p for p in paragraphs]
    return "\n".join(("• " if o.get("bullet") else "") + t for t, o in paras)


def _shorten(text: str, width: int, height: int, size: float, *, space_pt: float = 0.0, prefix=()) -> str:
    """``text`` cut at a word boundary (ending in '…') so that ``prefix`` + it fits at ``size``."""
    cut: list = []
    for w in text.split():
        trial = _joined(list(prefix) + [" ".join(cut + [w]) + " …"])
        if text_height(trial, width, size, space_pt=space_pt) > height:
            break
        cut.append(w)
    return " ".join(cut) + " …"


def _text(slide, box: _Box, paragraphs, *, max_pt=18, min_pt=10, bold=False, italic=False, colour=DARK,
          align=PP_ALIGN.LEFT, space_pt=4.0, size=None):
    """A text box whose font size is set from its text; returns the size used.

    ``paragraphs`` is a list of str or of (str, dict) with per-paragraph ``bold`` /
    ``colour`` / ``bullet``.  Text that does not fit at ``min_pt`` is an error of the caller
    (which splits first); here it is shrunk to ``min_pt`` and logged.
    """
    paras = [(p, {}) if isinstance(p, str) else p for p in paragraphs]
    full = _joined(paras)
    if size is None:
        size = fit_font_size(full, box.width, box.height, max_pt=max_pt, min_pt=min_pt, space_pt=space_pt)
        if size is None:
            logger.warning("deck: text does not fit its box at %s pt: %.60s…", min_pt, full)
            size = float(min_pt)
    tb = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
    tf = tb.text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    for i, (t, o) in enumerate(paras):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.alignment = align
        if i:
            p.space_before = Pt(space_pt)
        run = p.add_run()
        run.text = ("• " if o.get("bullet") else "") + t
        f = run.font
        f.name = FONT
        f.size = Pt(size)
        f.bold = o.get("bold", bold)
        f.italic = o.get("italic", italic)
        f.color.rgb = o.get("colour", colour)
    return size


def _rect(slide, box: _Box, colour: RGBColor):
    from pptx.enum.shapes import MSO_SHAPE

    shp = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, box.left, box.top, box.width, box.height)
    shp.fill.solid()
    shp.fill.fore_color.rgb = colour
    shp.line.fill.background()
    return shp


def _title(slide, text: str, colour: RGBColor = DARK, *, subtitle: str | None = None):
    _rect(slide, _Box(0, 0, SLIDE_WIDTH, Inches(0.12)), colour)
    width = SLIDE_WIDTH - 2 * MARGIN
    _text(slide, _Box(MARGIN, Inches(0.3), width, Inches(0.8)), [text], max_pt=30, min_pt=16, bold=True,
          colour=colour)
    if subtitle:
        _text(slide, _Box(MARGIN, Inches(1.1), width, Inches(0.45)), [subtitle], max_pt=16, min_pt=10,
              colour=MUTED)


def _notes(slide, lines):
    slide.notes_slide.notes_text_frame.text = "\n".join(lines)


def _blank(prs):
    """A slide on the layout with fewest placeholders (the 'Blank' layout of the default template)."""
    layout = min(prs.slide_layouts, key=lambda lay: len(lay.placeholders))
    return prs.slides.add_slide(layout)


# ----------------------------------------------------------------------------- content


def _shown(profiles, personas) -> tuple[list, list]:
    """Personas to show (not suppressed here nor in the profiles) and those suppressed."""
    sup_profile = set(profiles.suppressed) if profiles is not None else set()
    shown, hidden = [], []
    for p in personas:
        (hidden if p.suppressed or p.segment in sup_profile else shown).append(p)
    return shown, hidden


def _suppressed_note(hidden, min_n) -> str:
    if not hidden:
        return ""
    names = ", ".join(f"segment {p.segment} (n={p.n})" for p in hidden)
    return f"Not shown: {names}, below the minimum of n={min_n} for reporting."


def _chart_rows(profiles, segment) -> pd.DataFrame:
    """Needs, motivations and barriers of a segment furthest from the total (index 100)."""
    t = profiles.table
    t = t[(t["segment"] == segment) & t["trait"] & t["kind"].isin(["needs", "motivations", "barriers"])
          & t["index"].notna()]
    t = t.assign(_gap=(t["index"] - 100).abs()).sort_values(["_gap", "variable"], ascending=[False, True],
                                                              kind="stable")
    return t.head(MAX_CHART_ITEMS).sort_values("index", kind="stable").drop(columns="_gap")


def _persona_chart(slide, box: _Box, rows: pd.DataFrame, colour: RGBColor, name: str):
    data = CategoryChartData(number_format="0")
    data.categories = [f"{r.label} ({r.kind})" for r in rows.itertuples()]
    data.add_series(str(name)[:60] or "Segment", [float(v) for v in rows["index"]])
    data.add_series("Total = 100", [100.0] * len(rows))
    gf = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, box.left, box.top, box.width, box.height, data)
    chart = gf.chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(10)
    chart.font.name = FONT
    chart.font.size = Pt(10)
    chart.has_title = True
    chart.chart_title.text_frame.text = "Index vs total (100): needs, motivations, barriers"
    chart.chart_title.text_frame.paragraphs[0].runs[0].font.size = Pt(12)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.overlap = -10
    plot.has_data_labels = True
    plot.data_labels.number_format = "0"
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.size = Pt(9)
    for series, fill in zip(plot.series, (colour, GREY)):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = fill
    chart.value_axis.has_major_gridlines = False
    chart.value_axis.tick_labels.font.size = Pt(9)
    chart.category_axis.tick_labels.font.size = Pt(9)
    return gf


def _size_chart(slide, box: _Box, shown, colours):
    data = CategoryChartData(number_format='0.0"%"')
    data.categories = [p.name for p in shown]
    data.add_series("Share of respondents (%)", [round(float(p.share), 1) for p in shown])
    gf = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, box.left, box.top, box.width, box.height, data)
    chart = gf.chart
    chart.has_legend = False
    chart.font.name = FONT
    chart.font.size = Pt(11)
    plot = chart.plots[0]
    plot.gap_width = 50
    plot.vary_by_categories = False
    plot.has_data_labels = True
    plot.data_labels.number_format = '0"%"'
    plot.data_labels.number_format_is_linked = False
    for i, p in enumerate(shown):
        pt = plot.series[0].points[i]
        pt.format.fill.solid()
        pt.format.fill.fore_color.rgb = colours[p.segment]
    chart.value_axis.has_major_gridlines = False
    return gf


# ----------------------------------------------------------------------------- slides


def _title_slide(prs, study, wave, when, shown):
    s = _blank(prs)
    _rect(s, _Box(0, 0, SLIDE_WIDTH, Inches(0.35)), DARK)
    w = SLIDE_WIDTH - 2 * MARGIN
    _text(s, _Box(MARGIN, Inches(2.2), w, Inches(1.6)), [study.name], max_pt=40, min_pt=20, bold=True)
    label = getattr(study.wave(wave), "label", None) or ""
    sub = label if label.lower().startswith(f"wave {wave}".lower()) else f"Wave {wave}" + (f": {label}" if label else "")
    _text(s, _Box(MARGIN, Inches(3.9), w, Inches(0.6)), [sub], max_pt=22, min_pt=12, colour=MUTED)
    _text(s, _Box(MARGIN, Inches(4.5), w, Inches(0.5)), [f"Customer personas · {when.isoformat()}"], max_pt=16,
          min_pt=10, colour=MUTED)
    _notes(s, [f"Study: {study.name} ({study.id}), wave {wave}.", f"Deck date: {when.isoformat()}.",
               f"Personas shown: {len(shown)}."])


def _summary_slides(prs, shown, hidden, colours, min_n, total_n):
    """Executive summary: one line per persona; continues on further slides when long."""
    box_w = SLIDE_WIDTH - 2 * MARGIN - Inches(0.4)
    top0, bottom = Inches(1.7), SLIDE_HEIGHT - Inches(0.9)
    lines = []
    for p in shown:
        first = (p.description or "").split(". ")
        one = first[1] if len(first) > 1 and first[0].rstrip().endswith(f"n={p.n:,})") else first[0]
        line = f"{p.name} — {p.share:.0f} % (n={p.n:,}). {one.strip().rstrip('.')}."
        if text_height(line, box_w, 12) > Inches(1.0):  # one line each: a long description is cut
            line = _shorten(line, box_w, Inches(1.0), 12)
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
        s = _blank(prs)
        title = "Executive summary" + (" (continued)" if k else "")
        _title(s, title, subtitle=f"{len(shown)} customer segments, n={total_n:,} respondents")
        slot = int((bottom - top0) / max(len(page), 1))
        sizes = [fit_font_size(line, box_w, slot - Inches(0.1), max_pt=18, min_pt=12) or 12.0 for _, line in page]
        size = min(sizes)
        y = top0
        for p, line in page:
            h = text_height(line, box_w, size)
            _rect(s, _Box(MARGIN, y + Inches(0.08), Inches(0.22), Inches(0.22)), colours[p.segment])
            _text(s, _Box(MARGIN + Inches(0.4), y, box_w, h), [line], size=size)
            y += h + Inches(0.1)
        if k == len(pages) - 1 and hidden:
            _text(s, _Box(MARGIN, SLIDE_HEIGHT - Inches(0.8), SLIDE_WIDTH - 2 * MARGIN, Inches(0.5)),
                  [_suppressed_note(hidden, min_n)], max_pt=12, min_pt=9, italic=True, colour=MUTED)
        _notes(s, [f"{p.id} segment {p.segment}: {p.name}; n={p.n}, share {p.share:.1f} %." for p, _ in page]
               + ([_suppressed_note(hidden, min_n)] if hidden else []))


def _sizes_slide(prs, shown, hidden, colours, profiles, min_n):
    s = _blank(prs)
    _title(s, "Segment sizes", subtitle="Share of respondents (weighted), segments in order of size")
    box = _Box(MARGIN, Inches(1.7), SLIDE_WIDTH - 2 * MARGIN, Inches(4.9))
    _size_chart(s, box, shown, colours)
    if hidden:
        _text(s, _Box(MARGIN, SLIDE_HEIGHT - Inches(0.8), SLIDE_WIDTH - 2 * MARGIN, Inches(0.5)),
              [_suppressed_note(hidden, min_n)], max_pt=12, min_pt=9, italic=True, colour=MUTED)
    notes = []
    for p in shown:
        row = profiles.segments.loc[p.segment] if p.segment in profiles.segments.index else None
        wn = f", weighted n={float(row['weighted n']):.1f}" if row is not None else ""
        notes.append(f"Segment {p.segment} {p.name}: n={p.n}{wn}, share {p.share:.1f} %.")
    _notes(s, notes + ([_suppressed_note(hidden, min_n)] if hidden else []))


def _sections(p) -> list[tuple[str, list[str]]]:
    return [(h, list(items)) for h, items in (
        ("Top needs", p.needs), ("Motivations", p.motivations), ("Barriers", p.barriers),
        (UNDERSERVED, p.underserved)) if items]


def _paras(sections) -> list:
    out = []
    for head, items in sections:
        out.append((head, {"bold": True}))
        out += [(i, {"bullet": True}) for i in items]
    return out


def _split_sections(sections, box: _Box, min_pt: float) -> tuple[list, list]:
    """The sections that fit ``box`` at ``min_pt`` (item by item) and the rest."""
    fit, rest = [], []
    for head, items in sections:
        if rest:
            rest.append((head, items))
            continue
        kept = []
        for j, it in enumerate(items):
            trial = fit + [(head, kept + [it])]
            full = _joined(_paras(trial))
            if text_height(full, box.width, min_pt, space_pt=2.0) > box.height:
                if kept:
                    fit.append((head, kept))
                rest.append((head, items[j:]))
                break
            kept.append(it)
        else:
            fit.append((head, kept))
    return fit, rest


def _persona_slides(prs, p, profiles, opportunities, colour):
    """One slide per persona, and continuation slides for lists that do not fit."""
    s = _blank(prs)
    _title(s, p.name, colour, subtitle=f"{p.share:.0f} % of respondents · n={p.n:,} · segment {p.segment}")
    left_w = Inches(6.0)
    right_l = MARGIN + left_w + Inches(0.35)
    right_w = SLIDE_WIDTH - MARGIN - right_l
    y = Inches(1.7)
    bottom = SLIDE_HEIGHT - Inches(0.4)
    quote = next((q.get("text", "") for q in p.quotes if q.get("text")), "")
    if quote:
        q = f"“{quote}”"
        if fit_font_size(q, left_w, Inches(1.15), max_pt=16, min_pt=11) is None:
            q = "“" + _shorten(quote, left_w, Inches(1.05), 11) + "”"  # the verbatim stays readable
        size = fit_font_size(q, left_w, Inches(1.15), max_pt=16, min_pt=11) or 11.0
        qbox = _Box(MARGIN, y, left_w, min(text_height(q, left_w, size), Inches(1.15)))
        _rect(s, _Box(MARGIN - Inches(0.12), y, Inches(0.06), qbox.height), colour)
        _text(s, qbox, [q], size=size, italic=True, colour=colour)
        y += qbox.height + Inches(0.15)
    who_max = Inches(2.2)
    head = ("Who they are", {"bold": True})
    who = [head, p.description] + [(b, {"bullet": True}) for b in p.behaviours]
    more: list = []  # what moves to a continuation slide
    if fit_font_size(_joined(who), left_w, who_max, min_pt=10, space_pt=3.0) is None and p.behaviours:
        who, more = [head, p.description], [("Who they are", list(p.behaviours))]
    if fit_font_size(_joined(who), left_w, who_max, min_pt=10, space_pt=3.0) is None:
        who = [head, _shorten(p.description, left_w, who_max, 10, space_pt=3.0, prefix=[head])]
        more = [("Who they are", [p.description] + list(p.behaviours))]
    size = fit_font_size(_joined(who), left_w, who_max, max_pt=13, min_pt=10, space_pt=3.0) or 10.0
    wbox = _Box(MARGIN, y, left_w, min(text_height(_joined(who), left_w, size, space_pt=3.0), who_max))
    _text(s, wbox, who, size=size, space_pt=3.0)
    y += wbox.height + Inches(0.15)
    sections = _sections(p)
    lbox = _Box(MARGIN, y, left_w, bottom - y)
    fit, rest = _split_sections([x for x in sections if x[0] != UNDERSERVED], lbox, 10)
    if fit:
        _text(s, lbox, _paras(fit), max_pt=14, min_pt=10, space_pt=2.0)
    rows = _chart_rows(profiles, p.segment) if profiles is not None else pd.DataFrame()
    chart_h = Inches(3.7)
    if len(rows):
        _persona_chart(s, _Box(right_l, Inches(1.7), right_w, chart_h), rows, colour, p.name)
    ubox = _Box(right_l, Inches(1.7) + chart_h + Inches(0.15), right_w, bottom - Inches(1.7) - chart_h - Inches(0.15))
    ufit, urest = _split_sections([x for x in sections if x[0] == UNDERSERVED], ubox, 10)
    if ufit:
        _text(s, ubox, _paras(ufit), max_pt=14, min_pt=10, space_pt=2.0)
    rest = more + rest + urest
    notes = [f"{p.id}, segment {p.segment}: n={p.n}, share {p.share:.1f} %."]
    notes += [f"{r.label} ({r.kind}, {r.measure}): {r.value:.1f} vs total {r.total:.1f}, index {r['index']:.0f}"
              f"{' ' + r.sig if r.sig else ''}, p_adj={r.p_adj:.3g}" for _, r in rows.iloc[::-1].iterrows()]
    notes += [f"Quote from question {q.get('question', '')}." for q in p.quotes[:1] if q.get("text")]
    if opportunities is not None and p.segment in list(opportunities.segments.index):
        notes += [f"Underserved: {o.label}: importance {o.importance:.1f}, satisfaction {o.satisfaction:.1f}, "
                  f"opportunity {o.opportunity:.1f}" for o in opportunities.underserved_outcomes(p.segment).itertuples()]
    _notes(s, notes)
    k = 1
    while rest:
        k += 1
        c = _blank(prs)
        _title(c, f"{p.name} (continued)", colour, subtitle=f"{p.share:.0f} % of respondents · n={p.n:,}")
        box = _Box(MARGIN, Inches(1.7), SLIDE_WIDTH - 2 * MARGIN, SLIDE_HEIGHT - Inches(2.1))
        fit, rest = _split_sections(rest, box, 10)
        if not fit:  # a single item longer than a whole slide: shown at the smallest size
            fit, rest = rest[:1], rest[1:]
        _text(c, box, _paras(fit), max_pt=16, min_pt=10, space_pt=2.0)
        _notes(c, [f"{p.id} continued ({k}): {sum(len(i) for _, i in fit)} items."])


def _scorecard_slide(prs, scorecard, max_rows=10):
    s = _blank(prs)
    _title(s, "Choosing the segmentation", subtitle="Relevant · operational · describable, for each candidate")
    cols = ["rank", "candidate", "k", "relevant", "operational", "describable", "typing accuracy"]
    rk = scorecard.ranking
    shown = rk.head(max_rows)
    rows = len(shown) + 1
    top = Inches(1.7)
    row_h = Inches(0.34)
    tbl_h = row_h * rows
    gf = s.shapes.add_table(rows, len(cols), MARGIN, top, Inches(8.4), tbl_h)
    table = gf.table
    status_colour = {"pass": RGBColor(0x1B, 0x7F, 0x3B), "fail": RGBColor(0xC0, 0x39, 0x2B)}
    for j, c in enumerate(cols):
        cell = table.cell(0, j)
        cell.text = c
        f = cell.text_frame.paragraphs[0].runs[0].font
        f.size, f.bold, f.name = Pt(11), True, FONT
    for i, r in enumerate(shown.to_dict("records"), start=1):
        rec = r["candidate"] == scorecard.recommended
        for j, c in enumerate(cols):
            v = r.get(c)
            txt = f"{v:.0%}" if c == "typing accuracy" and pd.notna(v) else ("" if pd.isna(v) else str(v))
            cell = table.cell(i, j)
            cell.text = txt
            f = cell.text_frame.paragraphs[0].runs[0].font
            f.size, f.name, f.bold = Pt(10), FONT, rec
            if txt in status_colour:
                f.color.rgb = status_colour[txt]
            if rec:
                cell.fill.solid()
                cell.fill.fore_color.rgb = RGBColor(0xE3, 0xEE, 0xF7)
    rbox = _Box(MARGIN + Inches(8.7), top, SLIDE_WIDTH - 2 * MARGIN - Inches(8.7), Inches(4.6))
    more = f" Showing the top {len(shown)} of {len(rk)} candidates." if len(rk) > len(shown) else ""
    _text(s, rbox, [("Recommended: " + scorecard.recommended, {"bold": True}), scorecard.reason + more],
          max_pt=16, min_pt=10)
    best = scorecard.best
    notes = [f"Recommended {scorecard.recommended}{' (pinned)' if scorecard.pinned else ''}: {scorecard.reason}"]
    notes += [f"[{r.status}] {r.criterion} / {r.check}: value {r.value:.3g}, threshold {r.threshold}"
              for r in best.checks.itertuples()]
    _notes(s, notes)


# ----------------------------------------------------------------------------- public


def build_deck(study, scorecard, profiles, opportunities, personas, *, wave, template=None, date=None):
    """Build the persona deck in memory.

    Parameters
    ----------
    study : Study
        For the study's name and id, the wave's label and fieldwork dates, and
        ``min_segment_n``.  Its PII columns are never read.
    scorecard : Scorecard
        The relevant / operational / describable scorecard (:func:`workbench.criteria.score_candidates`).
    profiles : SegmentProfiles
        Profiles of the chosen segmentation; the persona charts plot its ``index`` column.
    opportunities : Opportunities or None
        JTBD opportunity scores: the importance, satisfaction and opportunity of each
        segment's underserved outcomes go into that persona's speaker notes.
    personas : Personas
        The personas (drafts merged with the consultant's edits); their quotes are already scrubbed.
    wave : str
        The wave id.
    template : path, optional
        A ``.pptx`` whose masters and theme are used; its slide size is kept.  Default:
        python-pptx's blank template at 16:9.
    date : datetime.date, optional
        The date on the title slide; default: the wave's fieldwork end, else today.

    Returns
    -------
    pptx.presentation.Presentation
    """
    prs = Presentation(str(template)) if template is not None else Presentation()
    if template is None:
        prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    elif (prs.slide_width, prs.slide_height) != (SLIDE_WIDTH, SLIDE_HEIGHT):
        logger.warning("deck: template slide size %s × %s EMU differs from 16:9; layout may not fit",
                       prs.slide_width, prs.slide_height)
    wave = str(wave)
    w = study.wave(wave)
    when = date or getattr(w, "fieldwork_end", None) or _dt.date.today()
    min_n = study.spec.min_segment_n
    labels = list(profiles.labels) if profiles is not None else [p.segment for p in personas]
    colours = segment_colours(labels)
    shown, hidden = _shown(profiles, personas)
    if hidden:
        logger.info("deck: %d segment(s) suppressed (n < %d): %s", len(hidden), min_n,
                    ", ".join(str(p.segment) for p in hidden))
    total_n = profiles.n if profiles is not None else sum(p.n for p in personas)

    _title_slide(prs, study, wave, when, shown)
    _summary_slides(prs, shown, hidden, colours, min_n, total_n)
    _sizes_slide(prs, shown, hidden, colours, profiles, min_n)
    for p in shown:
        _persona_slides(prs, p, profiles, opportunities, colours.get(p.segment, DARK))
    if scorecard is not None:
        _scorecard_slide(prs, scorecard)

    cp = prs.core_properties
    cp.title = f"{study.name}: personas, wave {wave}"
    cp.subject = "Customer personas"
    stamp = _dt.datetime.combine(when, _dt.time(0, 0))
    cp.created = cp.modified = stamp
    cp.last_printed = stamp
    cp.revision = 1
    logger.info("deck: %d slides, %d personas", len(prs.slides), len(shown))
    return prs


def write_deck(path, study, scorecard, profiles, opportunities, personas, *, wave, template=None,
               date=None) -> Path:
    """Build the deck (:func:`build_deck`) and save it to ``path``; returns the path."""
    path = Path(path)
    prs = build_deck(study, scorecard, profiles, opportunities, personas, wave=wave, template=template, date=date)
    prs.save(str(path))
    return path
