"""Segment migration slides (step ``migration``, plain data in ``DeckTrends.migration``):
"Where did each segment's customers go?" — a colour-coded matrix of the panel's moves, the
darker the cell the larger the share — and per segment "stayed / came from / went to"."""

from __future__ import annotations

from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from .data import DeckTrends
from .texts import Words
from .layout import DARK, WHITE, Box, Canvas, fill_cell, luminance

__all__ = ["migration_slides"]

BASE = (0x1F, 0x5A, 0x96)  # the matrix's colour at 100 %


def _shade(pct: float) -> RGBColor:
    """White at 0 %, BASE at 100 % (a square-root ramp: small moves stay visible)."""
    t = max(0.0, min(1.0, pct / 100.0)) ** 0.5
    return RGBColor(*(int(round(255 + (b - 255) * t)) for b in BASE))


def _text_on(fill: RGBColor) -> RGBColor:
    return WHITE if luminance(str(fill)) < 0.35 else DARK


def _pct(w: Words, v) -> str:
    """A whole share kept with its % sign ('27\u00a0%'); empty when the step gave none."""
    return "" if v is None or v == "" else f"{w.n(v)}\u00a0%"


def migration_slides(d: Canvas, trends: DeckTrends, colours, names):
    mig = trends.migration
    if not mig:
        return
    w = d.w
    a, b = mig["from_wave"], mig["to_wave"]
    segs = [(int(s), str(names.get(int(s)) or n)) for s, n in mig["segments"]]
    s = d.slide(key="migration")
    panel = w("mig.panel", n=w.n(mig["n_panel"]), a=a, b=b)
    d.title(s, w("mig.title"), subtitle=w("mig.sub", panel=panel, a=a, b=b) if mig.get("readable") else panel)
    if not mig.get("readable"):
        d.text(s, Box(d.margin, d.top, d.width, d.bottom - d.top),
               [(w("mig.changed_head"), {"bold": True}), w("mig.changed")], max_pt=20, min_pt=12, space_pt=8)
        d.notes(s, [mig.get("message", "")], consultant=list(mig.get("drift", ())))
        return
    M = mig["matrix"]
    k = len(segs)
    box = Box(d.margin, d.top, d.width, d.bottom - d.top - int(Inches(0.5)))
    row_h = int(min(Inches(0.75), (box.height) / (k + 1)))
    gf = s.shapes.add_table(k + 1, k + 1, box.left, box.top, box.width, row_h * (k + 1))
    d.own(s, gf, "table")
    table = gf.table
    first = int(box.width * 0.26)
    table.columns[0].width = first
    for j in range(1, k + 1):
        table.columns[j].width = int((box.width - first) / k)
    fill_cell(table.cell(0, 0), w("mig.corner", a=a, b=b), size=12, font=d.minor, colour=WHITE, bold=True,
              fill=d.head)
    for j, (seg, name) in enumerate(segs, start=1):
        fill_cell(table.cell(0, j), name, size=11, font=d.minor, colour=WHITE, bold=True, fill=d.head,
                  align=PP_ALIGN.CENTER)
    notes = []
    for i, (seg, name) in enumerate(segs, start=1):
        table.rows[i].height = row_h
        fill_cell(table.cell(i, 0), name, size=12, font=d.minor, colour=colours.get(seg, DARK), bold=True, fill=WHITE)
        for j in range(1, k + 1):
            v = M[i - 1][j - 1]
            fill = _shade(v)
            fill_cell(table.cell(i, j), f"{w.n(v)} %", size=14, font=d.minor, colour=_text_on(fill), bold=(i == j),
                      fill=fill, align=PP_ALIGN.CENTER)
        moves = [f"{segs[j][1]} {w.n(M[i - 1][j])} %" for j in range(k) if j != i - 1 and M[i - 1][j] >= 1]
        stayed = w.n(M[i - 1][i - 1])
        notes.append(w("mig.notes_moved", name=name, pct=stayed, moves=", ".join(moves)) if moves
                     else w("mig.notes_stayed", name=name, pct=stayed))
    d.footnote(s, Box(d.margin, d.bottom - int(Inches(0.45)), d.width, int(Inches(0.45))), w("mig.footnote"))
    d.notes(s, notes, consultant=[w("mig.consultant"), mig.get("message", "")])

    s2 = d.slide(key="migration-personas")
    d.title(s2, w("mig2.title"), subtitle=w("mig2.sub", a=a, b=b))
    gf = s2.shapes.add_table(k + 1, 4, d.margin, d.top, d.width, int(Inches(0.6)) * (k + 1))
    d.own(s2, gf, "table")
    t2 = gf.table
    widths = [0.28, 0.14, 0.29, 0.29]
    for j, width in enumerate(widths):
        t2.columns[j].width = int(d.width * width)
    for j, h in enumerate((w("mig2.col_segment"), w("mig2.col_stayed"), w("mig2.col_came", b=b),
                           w("mig2.col_went", a=a))):
        fill_cell(t2.cell(0, j), h, size=12, font=d.minor, colour=WHITE, bold=True, fill=d.head)
    per = {int(p["segment"]): p for p in mig.get("per_segment", [])}
    lines = []
    for i, (seg, name) in enumerate(segs, start=1):
        p = per.get(seg, {})
        came = ", ".join(f"{n} {_pct(w, v)}" for n, v in p.get("came_from", [])) or w("mig2.nobody")
        went = ", ".join(f"{n} {_pct(w, v)}" for n, v in p.get("went_to", [])) or w("mig2.nobody")
        stayed = "" if p.get("stayed") in (None, "") else w.n(p["stayed"])
        fill = WHITE if i % 2 else RGBColor(0xF1, 0xF4, 0xF7)
        fill_cell(t2.cell(i, 0), name, size=12, font=d.minor, colour=colours.get(seg, DARK), bold=True, fill=fill)
        fill_cell(t2.cell(i, 1), f"{stayed} %", size=12, font=d.minor, colour=DARK, fill=fill,
                  align=PP_ALIGN.CENTER)
        fill_cell(t2.cell(i, 2), came, size=12, font=d.minor, colour=DARK, fill=fill)
        fill_cell(t2.cell(i, 3), went, size=12, font=d.minor, colour=DARK, fill=fill)
        lines.append(w("mig2.notes", name=name, stayed=stayed, came=came, went=went))
    d.notes(s2, lines)
