"""Segment migration slides (step ``migration``, plain data in ``DeckTrends.migration``):
"Where did each segment's customers go?" — a colour-coded matrix of the panel's moves, the
darker the cell the larger the share — and per segment "stayed / came from / went to"."""

from __future__ import annotations

from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from .data import DeckTrends
from .layout import DARK, WHITE, Box, Canvas, fill_cell, luminance

__all__ = ["migration_slides"]

BASE = (0x1F, 0x5A, 0x96)  # the matrix's colour at 100 %


def _shade(pct: float) -> RGBColor:
    """White at 0 %, BASE at 100 % (a square-root ramp: small moves stay visible)."""
    t = max(0.0, min(1.0, pct / 100.0)) ** 0.5
    return RGBColor(*(int(round(255 + (b - 255) * t)) for b in BASE))


def _text_on(fill: RGBColor) -> RGBColor:
    return WHITE if luminance(str(fill)) < 0.35 else DARK


def migration_slides(d: Canvas, trends: DeckTrends, colours, names):
    mig = trends.migration
    if not mig:
        return
    a, b = mig["from_wave"], mig["to_wave"]
    segs = [(int(s), str(names.get(int(s)) or n)) for s, n in mig["segments"]]
    s = d.slide(key="migration")
    panel = f"{mig['n_panel']:,} customers interviewed in wave {a} and wave {b}"
    d.title(s, "Where did each segment's customers go?",
            subtitle=f"{panel}: of each segment in wave {a} (rows), the share in each segment in wave {b} (columns)"
            if mig.get("readable") else panel)
    if not mig.get("readable"):
        d.text(s, Box(d.margin, d.top, d.width, d.bottom - d.top),
               [("The segments changed meaning between the waves", {"bold": True}),
                "Customers of the same segment answer some questions differently now, so a move between segments "
                "cannot be told apart from a change in what the segments stand for. We advise re-fitting the "
                "segmentation before reading who moved where."], max_pt=20, min_pt=12, space_pt=8)
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
    fill_cell(table.cell(0, 0), f"Wave {a} → wave {b}", size=12, font=d.minor, colour=WHITE, bold=True, fill=d.head)
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
            fill_cell(table.cell(i, j), f"{v} %", size=14, font=d.minor, colour=_text_on(fill), bold=(i == j),
                      fill=fill, align=PP_ALIGN.CENTER)
        moves = [f"{segs[j][1]} {M[i - 1][j]} %" for j in range(k) if j != i - 1 and M[i - 1][j] >= 1]
        notes.append(f"{name}: {M[i - 1][i - 1]} % stayed" + (f"; moved to {', '.join(moves)}." if moves else "."))
    d.footnote(s, Box(d.margin, d.bottom - int(Inches(0.45)), d.width, int(Inches(0.45))),
               "Diagonal (bold): customers who stayed in their segment. Shares corrected for the uncertainty of "
               "assigning a customer to a segment; each row adds up to 100 %.")
    d.notes(s, notes, consultant=["Latent transition model of the panel (segments started from the frozen model, "
                                  "measurement invariance tested first); tracking.xlsx has the intervals and the "
                                  "naive cross-table.", mig.get("message", "")])

    s2 = d.slide(key="migration-personas")
    d.title(s2, "Stayed, came from, went to", subtitle=f"Customers interviewed in wave {a} and wave {b}, per segment")
    gf = s2.shapes.add_table(k + 1, 4, d.margin, d.top, d.width, int(Inches(0.6)) * (k + 1))
    d.own(s2, gf, "table")
    t2 = gf.table
    widths = [0.28, 0.14, 0.29, 0.29]
    for j, w in enumerate(widths):
        t2.columns[j].width = int(d.width * w)
    for j, h in enumerate(("Segment", "Stayed", f"Came from (share of wave {b})",
                           f"Went to (share of wave {a})")):
        fill_cell(t2.cell(0, j), h, size=12, font=d.minor, colour=WHITE, bold=True, fill=d.head)
    per = {int(p["segment"]): p for p in mig.get("per_segment", [])}
    lines = []
    for i, (seg, name) in enumerate(segs, start=1):
        p = per.get(seg, {})
        came = ", ".join(f"{n} {v}\u00a0%" for n, v in p.get("came_from", [])) or "hardly anyone"
        went = ", ".join(f"{n} {v}\u00a0%" for n, v in p.get("went_to", [])) or "hardly anyone"
        fill = WHITE if i % 2 else RGBColor(0xF1, 0xF4, 0xF7)
        fill_cell(t2.cell(i, 0), name, size=12, font=d.minor, colour=colours.get(seg, DARK), bold=True, fill=fill)
        fill_cell(t2.cell(i, 1), f"{p.get('stayed', '')} %", size=12, font=d.minor, colour=DARK, fill=fill,
                  align=PP_ALIGN.CENTER)
        fill_cell(t2.cell(i, 2), came, size=12, font=d.minor, colour=DARK, fill=fill)
        fill_cell(t2.cell(i, 3), went, size=12, font=d.minor, colour=DARK, fill=fill)
        lines.append(f"{name}: stayed {p.get('stayed', '')} %; came from {came}; went to {went}.")
    d.notes(s2, lines)
