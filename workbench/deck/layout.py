"""Geometry, colours, text fitting and the template's theme and layouts: the drawing
primitives every slide builder uses (:class:`Canvas`, :class:`Box`, :func:`fit_font_size`).

Text fits by construction: every text box gets a font size chosen from its text length
(:func:`fit_font_size`, a conservative estimate of wrapped lines); builders move list
sections that do not fit at the smallest size to a continuation slide.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.util import Emu, Inches, Pt

from ..outputs import SafeCategoryChartData
from .texts import Words, keep_units, words

__all__ = ["Canvas", "Box", "segment_colours", "estimate_lines", "text_height", "fit_font_size", "joined", "shorten",
           "theme_of", "readable", "luminance", "placeholder_type", "pick_layouts", "fill_cell", "add_table",
           "label_values", "fill_series", "new_chart_data", "PALETTE", "SLIDE_WIDTH", "SLIDE_HEIGHT", "DEFAULT_TEMPLATE",
           "TITLE_TYPES", "OWNED_PREFIX", "owned_name", "parse_owned", "safe_key"]

logger = logging.getLogger("workbench.deck")

#: Segment colours, in segment order; colour-blind-friendly (Okabe-Ito based, darkened for white text).
PALETTE = ("1F5F99", "D55E00", "117A65", "B8860B", "7B3F8C", "0072B2", "A23B72", "4D7C0F", "8C564B", "37474F")
GREY = RGBColor(0xA6, 0xA6, 0xA6)
DARK = RGBColor(0x26, 0x32, 0x38)
MUTED = RGBColor(0x5F, 0x6B, 0x73)
TINT = RGBColor(0xF1, 0xF4, 0xF7)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
#: Matrix cell fills: significantly above (strong, mild), below (mild, strong); ColorBrewer RdBu.
HIGH2, HIGH1, LOW1, LOW2 = (RGBColor.from_string(c) for c in ("F4A582", "FDDBC7", "D1E5F0", "92C5DE"))
#: Underserved outcomes: purple, a hue no other cell uses (orange = above, blue = below average).
UNDER_FILL = RGBColor.from_string("D8C3E6")
FONT = "Arial"

SLIDE_WIDTH = Emu(12192000)  # 13.333 in: 16:9, as PowerPoint makes it
SLIDE_HEIGHT = Emu(6858000)  # 7.5 in
MARGIN = Inches(0.5)
DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "resources" / "deck_template.pptx"

#: Average glyph width as a share of the font size; deliberately wide (Arial averages ~0.5)
#: so that accented Nordic / Dutch text and capitals still fit.
CHAR_WIDTH = 0.56
WORD_CHAR_WIDTH = 0.52  # a single long (lower-case) word's glyph width: narrower than CHAR_WIDTH's mix
LINE_HEIGHT = 1.22
PAD_X = Inches(0.1)  # python-pptx's default text-frame insets
PAD_Y = Inches(0.05)


def segment_colours(labels, palette=PALETTE) -> dict:
    """One colour per segment label, by position, stable across every slide.

    Parameters
    ----------
    labels : sequence
        All segment labels of the segmentation, suppressed ones included, so that a
        segment's colour does not depend on which others are shown.
    palette : sequence of hex str, default=PALETTE
        Colours in segment order (the template's accents or ``deck.colours``); cycled.

    Returns
    -------
    dict
        Label → :class:`pptx.dml.color.RGBColor`.
    """
    return {s: RGBColor.from_string(palette[i % len(palette)]) for i, s in enumerate(labels)}


#: A word as a line breaks it: a non-breaking space (U+00A0, '87\u00a0%') holds its parts together.
_WORD = re.compile(r"[^ \t\n\r\f\v]+")


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
        for word in _WORD.findall(para):
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
    # first sizes at which every word fits a line ('betjeningsomkostningerne' unbroken), then any
    longest = max((len(word) for word in _WORD.findall(text)), default=0)
    usable_pt = max((width_emu - 2 * PAD_X) / 12700, 1.0)
    for whole_words in (True, False):
        size = float(max_pt)
        while size >= min_pt:
            if (not whole_words or longest * WORD_CHAR_WIDTH * size <= usable_pt) and \
                    text_height(text, width_emu, size, space_pt=space_pt) <= height_emu:
                return size
            size -= 1
    return None


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int


def joined(paragraphs) -> str:
    """The text of paragraphs (str or (str, options)) as laid out, bullets included."""
    paras = [(p, {}) if isinstance(p, str) else p for p in paragraphs]
    return "\n".join(("• " if o.get("bullet") else "") + t for t, o in paras)


def shorten(text: str, width: int, height: int, size: float, *, space_pt: float = 0.0, prefix=()) -> str:
    """``text`` cut at a word boundary (ending in '…') so that ``prefix`` + it fits at ``size``."""
    cut: list = []
    for w in text.split():
        trial = joined(list(prefix) + [" ".join(cut + [w]) + " …"])
        if text_height(trial, width, size, space_pt=space_pt) > height:
            break
        cut.append(w)
    return " ".join(cut) + " …"


# ============================================================================ theme and layouts


def theme_of(prs) -> dict:
    """Theme colours (slot → hex) and fonts ('major', 'minor') of the first slide master."""
    from lxml import etree

    out: dict = {"colours": {}, "major": FONT, "minor": FONT}
    try:
        part = prs.slide_master.part.part_related_by(RT.THEME)
        root = etree.fromstring(part.blob)
    except (KeyError, etree.XMLSyntaxError):
        return out
    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    scheme = root.find(f".//{a}clrScheme")
    if scheme is not None:
        for slot in scheme:
            el = slot[0] if len(slot) else None
            if el is None:
                continue
            val = el.get("val") if el.tag == f"{a}srgbClr" else el.get("lastClr")
            if val:
                out["colours"][slot.tag.replace(a, "")] = val.upper()
    for which, key in (("majorFont", "major"), ("minorFont", "minor")):
        latin = root.find(f".//{a}fontScheme/{a}{which}/{a}latin")
        if latin is not None and latin.get("typeface") and not latin.get("typeface").startswith("+"):
            out[key] = latin.get("typeface")
    return out


def luminance(hexval: str) -> float:
    r, g, b = (int(hexval[i:i + 2], 16) / 255 for i in (0, 2, 4))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def readable(hexval: str) -> str:
    """The colour darkened until white text on it and it as text on white are readable (contrast ≥ 3)."""
    r, g, b = (int(hexval[i:i + 2], 16) for i in (0, 2, 4))
    for _ in range(20):
        h = f"{r:02X}{g:02X}{b:02X}"
        if (1.05) / (luminance(h) + 0.05) >= 3.0:
            return h
        r, g, b = int(r * 0.85), int(g * 0.85), int(b * 0.85)
    return f"{r:02X}{g:02X}{b:02X}"


def placeholder_type(ph):
    try:
        return ph.placeholder_format.type
    except ValueError:  # pragma: no cover - not a placeholder
        return None


TITLE_TYPES = (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)
FOOTER_TYPES = (PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER)


def pick_layouts(prs):
    """(title layout, content layout, blank layout) of a template, chosen by placeholders."""
    lays = list(prs.slide_layouts)

    def kinds(lay):
        return [placeholder_type(ph) for ph in lay.placeholders if placeholder_type(ph) not in FOOTER_TYPES]

    title = next((lay for lay in lays if PP_PLACEHOLDER.CENTER_TITLE in kinds(lay)), None)
    title_only = [lay for lay in lays if kinds(lay) == [PP_PLACEHOLDER.TITLE]]
    named = [lay for lay in title_only if lay.name.lower().replace(" ", "") in ("titleonly", "onlytitle")]
    content = (named or title_only or [lay for lay in lays if PP_PLACEHOLDER.TITLE in kinds(lay)] or [None])[0]
    blank = min(lays, key=lambda lay: len(kinds(lay))) if lays else None
    return title or content, content, blank


class Canvas:
    """The presentation being drawn and its geometry, fonts and colours."""

    def __init__(self, prs, *, footer: str, palette, w: Words | None = None):
        self.prs = prs
        self.w = w if w is not None else words("en")  # texts and numbers in the deck's language
        self.W, self.H = int(prs.slide_width), int(prs.slide_height)
        theme = theme_of(prs)
        self.major, self.minor = theme["major"], theme["minor"]
        tc = theme["colours"]
        self.dark = RGBColor.from_string(tc["dk1"]) if tc.get("dk1") and luminance(tc["dk1"]) < 0.2 else DARK
        self.head = RGBColor.from_string(tc["dk2"]) if tc.get("dk2") and luminance(tc["dk2"]) < 0.2 else self.dark
        self.palette = palette
        self.title_layout, self.content_layout, self.blank_layout = pick_layouts(prs)
        self.footer = footer
        self.margin = int(MARGIN)
        tph = None
        if self.content_layout is not None:
            tph = next((ph for ph in self.content_layout.placeholders if placeholder_type(ph) in TITLE_TYPES), None)
        if tph is not None and tph.top is not None and tph.top + tph.height < self.H / 3:
            self.title_box = Box(int(tph.left), int(tph.top), int(tph.width), int(tph.height))
        else:
            self.title_box = Box(self.margin, int(Inches(0.3)), self.W - 2 * self.margin, int(Inches(0.8)))
        tb = self.title_box
        self.sub_box = Box(tb.left, tb.top + tb.height + int(Inches(0.02)), tb.width, int(Inches(0.4)))
        self.top = self.sub_box.top + self.sub_box.height + int(Inches(0.15))
        self.bottom = self.H - int(Inches(0.5))
        self.width = self.W - 2 * self.margin
        self._keys: dict[int, tuple[str, dict]] = {}  # slide id -> (slide key, shapes drawn per kind)

    # ------------------------------------------------------------------ primitives
    def slide(self, layout=None, *, key: str | None = None):
        """A new slide; ``key`` names it for :func:`owned_name` (stable across waves: 'summary-1',
        'persona-3'), default ``slide-<n>``."""
        layout = layout or self.content_layout or self.blank_layout
        s = self.prs.slides.add_slide(layout)
        keep = TITLE_TYPES + ((PP_PLACEHOLDER.SUBTITLE,) if layout is self.title_layout else ())
        for ph in list(s.placeholders):  # unused placeholders would show "Click to add text"
            if placeholder_type(ph) not in keep:
                ph._element.getparent().remove(ph._element)
        key = safe_key(key or f"slide-{len(self.prs.slides)}")
        self._keys[s.slide_id] = (key, {})
        s._element.cSld.set("name", f"{OWNED_PREFIX}{key}")
        return s

    def own(self, slide, shape, kind: str):
        """Mark ``shape`` as drawn by the workbench: its name becomes ``wb:<slide key>:<kind>-<n>``
        (the n-th shape of that kind on the slide), which ``workbench deck --update`` finds
        again in a deck the consultant edited.  Returns the shape."""
        key, counts = self._keys.setdefault(slide.slide_id, (f"slide-{slide.slide_id}", {}))
        counts[kind] = counts.get(kind, 0) + 1
        shape.name = owned_name(key, f"{kind}-{counts[kind]}")
        return shape

    def text(self, slide, box: Box, paragraphs, *, max_pt=18, min_pt=10, bold=False, italic=False, colour=None,
             align=PP_ALIGN.LEFT, space_pt=4.0, size=None, font=None, shape=None, anchor=None, kind=None):
        """A text box whose font size is set from its text; returns the size used.

        ``paragraphs`` is a list of str or of (str, dict) with per-paragraph ``bold`` /
        ``colour`` / ``bullet`` / ``size``.  Text that does not fit at ``min_pt`` is an error of
        the caller (which splits first); here it is shrunk to ``min_pt`` and logged.
        """
        paras = [(p, {}) if isinstance(p, str) else p for p in paragraphs]
        full = joined(paras)
        if size is None:
            size = fit_font_size(full, box.width, box.height, max_pt=max_pt, min_pt=min_pt, space_pt=space_pt)
            if size is None:
                logger.warning("deck: text does not fit its box at %s pt: %.60s…", min_pt, full)
                size = float(min_pt)
        tb = shape if shape is not None else slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
        self.own(slide, tb, kind or "text")
        tf = tb.text_frame
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.NONE
        if anchor is not None:
            tf.vertical_anchor = anchor
        for i, (t, o) in enumerate(paras):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.alignment = align
            if i:
                p.space_before = Pt(space_pt)
            run = p.add_run()
            run.text = ("• " if o.get("bullet") else "") + keep_units(t)
            f = run.font
            f.name = font or self.minor
            f.size = Pt(o.get("size", size))
            f.bold = o.get("bold", bold)
            f.italic = o.get("italic", italic)
            f.color.rgb = o.get("colour", colour or self.dark)
        return size

    def rect(self, slide, box: Box, colour: RGBColor):
        shp = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, box.left, box.top, box.width, box.height)
        self.own(slide, shp, "shape")
        shp.fill.solid()
        shp.fill.fore_color.rgb = colour
        shp.line.fill.background()
        shp.shadow.inherit = False
        return shp

    def title(self, slide, text: str, colour: RGBColor | None = None, *, subtitle: str | None = None):
        """The slide title in the layout's title placeholder (or a text box), fitted; and a subtitle."""
        colour = colour or self.head
        ph = slide.shapes.title
        tb = self.title_box
        if ph is not None:
            ph.left, ph.top, ph.width, ph.height = tb.left, tb.top, tb.width, tb.height
            ph.text_frame.clear()
        self.text(slide, tb, [text], max_pt=30, min_pt=14, bold=True, colour=colour, font=self.major, shape=ph,
                  anchor=MSO_ANCHOR.BOTTOM if ph is not None else None, kind="title")
        if subtitle:
            self.text(slide, self.sub_box, [subtitle], max_pt=16, min_pt=10, colour=MUTED, kind="subtitle")
        self.add_footer(slide)

    def add_footer(self, slide):
        n = len(self.prs.slides)
        y = self.H - int(Inches(0.42))
        self.text(slide, Box(self.margin, y, self.W - 2 * self.margin - int(Inches(1.0)), int(Inches(0.3))),
                  [self.footer], size=9, colour=MUTED, kind="footer")
        self.text(slide, Box(self.W - self.margin - int(Inches(0.9)), y, int(Inches(0.9)), int(Inches(0.3))),
                  [str(n)], size=9, colour=MUTED, align=PP_ALIGN.RIGHT, kind="page")

    def footnote(self, slide, box: Box, text: str) -> Box:
        """A base / question footnote under a chart: written in the bottom 0.3 in of ``box``;
        returns the box left for the chart."""
        h = max(int(Inches(0.3)), int(text_height(text, box.width, 9)))
        self.text(slide, Box(box.left, box.top + box.height - h, box.width, h), [text], size=9, colour=MUTED,
                  kind="footnote")
        return Box(box.left, box.top, box.width, box.height - h)

    def notes(self, slide, lines, consultant=()):
        """Speaker notes: ``lines`` for the client's ears, then (when given) under the deck language's
        'notes.consultant' heading the method details and file names, to be read, not presented."""
        text = "\n".join(str(x) for x in lines)
        if consultant:
            text += ("\n\n" if text else "") + self.w("notes.consultant") + "\n" + "\n".join(str(x) for x in consultant)
        slide.notes_slide.notes_text_frame.text = keep_units(text)

    def chart_fonts(self, chart, size=10):
        chart.font.name = self.minor
        chart.font.size = Pt(size)
        chart.font.color.rgb = self.dark

    def chart(self, slide, kind, box: Box, chart_data, *, size: float = 11, legend=None, legend_pt: float | None = None,
              title: str | None = None):
        """A native chart filling ``box``, in the theme's body font at ``size`` pt.

        ``legend``: an ``XL_LEGEND_POSITION`` (kept out of the plot area), ``False`` for
        none, None to leave python-pptx's default; ``title``: a bold 13 pt chart title.
        ``chart_data`` comes from :func:`new_chart_data`, so that the chart's embedded workbook
        holds persona names and labels as text, never as formulas.
        """
        if not isinstance(chart_data, SafeCategoryChartData):
            raise TypeError("Canvas.chart takes chart data made by workbench.deck.layout.new_chart_data()")
        gf = slide.shapes.add_chart(kind, box.left, box.top, box.width, box.height, chart_data)
        self.own(slide, gf, "chart")
        chart = gf.chart
        self.chart_fonts(chart, size)
        if legend is False:
            chart.has_legend = False
        elif legend is not None:
            chart.has_legend = True
            chart.legend.position = legend
            chart.legend.include_in_layout = False
            if legend_pt is not None:
                chart.legend.font.size = Pt(legend_pt)
        if title is not None:
            chart.has_title = True
            chart.chart_title.text_frame.text = keep_units(title)
            tfont = chart.chart_title.text_frame.paragraphs[0].runs[0].font
            tfont.size, tfont.bold, tfont.name = Pt(13), True, self.minor
        return gf


#: Names of the slides and shapes the workbench draws begin with this (``wb:summary-1:chart-1``).
OWNED_PREFIX = "wb:"


def safe_key(key) -> str:
    """A slide key as it goes into a shape name: no ':' (the separator) and no spaces."""
    return re.sub(r"[\s:]+", "_", str(key)).strip("_") or "slide"


def owned_name(slide_key: str, shape_key: str) -> str:
    """``wb:<slide key>:<shape key>``: the name of a shape the workbench owns."""
    return f"{OWNED_PREFIX}{safe_key(slide_key)}:{shape_key}"


def parse_owned(name) -> tuple[str, str] | None:
    """(slide key, shape key) of an owned shape's name, None for any other name."""
    name = str(name or "")
    if not name.startswith(OWNED_PREFIX):
        return None
    parts = name[len(OWNED_PREFIX):].split(":")
    return (parts[0], parts[1]) if len(parts) == 2 and parts[0] and parts[1] else None


def new_chart_data(number_format: str) -> SafeCategoryChartData:
    """Empty category chart data for :meth:`Canvas.chart`: python-pptx's ``CategoryChartData``
    whose embedded workbook writes a text beginning with '=' as text (issue 14,
    :func:`workbench.outputs.harden_workbook`'s rule for charts)."""
    return SafeCategoryChartData(number_format=number_format)


def label_values(plot, number_format: str, size: float, *, bold: bool | None = None) -> None:
    """Data labels on every point of ``plot``, in ``number_format`` at ``size`` pt."""
    plot.has_data_labels = True
    plot.data_labels.number_format = number_format
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.size = Pt(size)
    if bold is not None:
        plot.data_labels.font.bold = bold


def fill_series(plot, colours) -> None:
    """Solid fills of the plot's series, in order."""
    for series, fill in zip(plot.series, colours):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = fill


def fill_cell(cell, text, *, size, font, colour, bold=False, fill=None, align=PP_ALIGN.LEFT):
    cell.text = keep_units(text)
    para = cell.text_frame.paragraphs[0]
    para.alignment = align
    cell.text_frame.word_wrap = True
    cell.margin_left = cell.margin_right = Inches(0.05)
    cell.margin_top = cell.margin_bottom = Inches(0.02)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    f = para.runs[0].font if para.runs else para.font
    f.size, f.name, f.bold = Pt(size), font, bold
    f.color.rgb = colour
    if fill is None:
        cell.fill.background()
    else:
        cell.fill.solid()
        cell.fill.fore_color.rgb = fill


def add_table(d: Canvas, slide, box: Box, frame: pd.DataFrame, widths, *, size=10, highlight=None, formats=None,
           row_h=Inches(0.3)):
    """A native table of ``frame`` (header row first); ``highlight``: row positions to tint."""
    formats = formats or {}
    n_rows = len(frame) + 1
    row_h = int(row_h)
    gf = slide.shapes.add_table(n_rows, len(frame.columns), box.left, box.top, box.width, row_h * n_rows)
    d.own(slide, gf, "table")
    table = gf.table
    total = sum(widths)
    for j, w in enumerate(widths):
        table.columns[j].width = int(box.width * w / total)
    for j, c in enumerate(frame.columns):
        fill_cell(table.cell(0, j), str(c), size=size, font=d.minor, colour=WHITE, bold=True, fill=d.head)
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        table.rows[i].height = row_h
        hl = highlight is not None and (i - 1) in highlight
        for j, (c, v) in enumerate(zip(frame.columns, row)):
            fmt = formats.get(c)
            txt = "" if v is None or (isinstance(v, float) and not math.isfinite(v)) else (fmt(v) if fmt else str(v))
            fill_cell(table.cell(i, j), txt, size=size, font=d.minor, colour=d.dark, bold=hl,
                  fill=RGBColor(0xE3, 0xEE, 0xF7) if hl else (TINT if i % 2 == 0 else WHITE),
                  align=PP_ALIGN.RIGHT if fmt else PP_ALIGN.LEFT)
    return gf
