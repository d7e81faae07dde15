"""Compare two decks the way a client sees them (issue 26): per workbench-owned shape, its text,
its fill, each table cell's text and fill (the significance shading and arrows), each chart's
categories, series values, data-point fills, data-label number format and value-axis scale;
and each slide's speaker notes.

``deck_differences(a, b)`` lists every difference as 'slide key / shape key: what' (empty when
the decks show the same); used by test_deck_update (an unedited wave-1 deck updated to wave 2
equals wave 2's own deck)."""

from __future__ import annotations

from lxml import etree
from pptx.oxml.ns import qn

from workbench.deck.update import owned_shapes, slide_key


def _xml(el) -> str:
    return "" if el is None else etree.tostring(el).decode()


def _fill(el) -> str:
    """The solid / no fill of a shape's spPr or a cell's tcPr, as XML ('' when inherited)."""
    if el is None:
        return ""
    for tag in ("a:solidFill", "a:noFill", "a:gradFill", "a:pattFill"):
        f = el.find(qn(tag))
        if f is not None:
            return _xml(f)
    return ""


def shape_view(shp) -> dict:
    """What a client sees of one shape, as comparable plain values."""
    out = {}
    if shp.has_chart:
        chart = shp.chart
        plot = chart.plots[0]
        out["categories"] = [str(c) for c in plot.categories]
        out["series"] = [(s.name, list(s.values)) for s in plot.series]
        sers = chart._chartSpace.findall(".//" + qn("c:ser"))
        out["point fills"] = [[_xml(p) for p in s.findall(qn("c:dPt"))] for s in sers]
        out["labels"] = [_xml(el) for el in chart._chartSpace.iter(qn("c:dLbls"))]
        out["axis"] = [_xml(el) for el in chart._chartSpace.iter(qn("c:scaling"))]
        out["intervals"] = [_xml(el) for el in chart._chartSpace.iter(qn("c:errBars"))]
        out["title"] = chart.chart_title.text_frame.text if chart.has_title else ""
    elif shp.has_table:
        out["cells"] = [[(c.text, _fill(c._tc.find(qn("a:tcPr")))) for c in row.cells] for row in shp.table.rows]
    else:
        if shp.has_text_frame:
            out["text"] = shp.text_frame.text
        out["fill"] = _fill(shp._element.find(qn("p:spPr")))
    return out


def deck_view(prs) -> dict:
    """(slide key, shape key) -> :func:`shape_view` for every owned shape; (slide key, 'notes') -> notes."""
    out = {}
    for s in prs.slides:
        key = slide_key(s)
        if key is None:
            continue
        for skey, shp in owned_shapes(s).items():
            if skey.startswith("page-"):
                continue
            out[key, skey] = shape_view(shp)
        if s.has_notes_slide:
            out[key, "notes"] = {"text": s.notes_slide.notes_text_frame.text}
    return out


def deck_differences(a, b, *, skip=()) -> list[str]:
    """Every difference between two decks' owned shapes and notes ('' keys in ``skip`` left out)."""
    va, vb = deck_view(a), deck_view(b)
    diffs = []
    for key in sorted(set(va) | set(vb)):
        if key[0] in skip:
            continue
        if key not in va or key not in vb:
            diffs.append(f"{key[0]} / {key[1]}: only in {'the second' if key not in va else 'the first'} deck")
            continue
        for what in sorted(set(va[key]) | set(vb[key])):
            if va[key].get(what) != vb[key].get(what):
                diffs.append(f"{key[0]} / {key[1]}: {what} differs")
    return diffs
