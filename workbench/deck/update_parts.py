"""Parts of ``workbench deck --update`` (:mod:`workbench.deck.update`): this wave's numbers put
into a text the consultant rewrote (:func:`merge_numbers`), the three-way rule for fills, data
labels, point colours, axis scales and intervals (what the workbench encodes from data besides
values and text), and the red "Review before sending" tag (:func:`mark`)."""

from __future__ import annotations

import copy
import logging
import re

from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.parts.chart import ChartPart
from pptx.parts.embeddedpackage import EmbeddedXlsxPart

__all__ = ["NUMBER", "merge_numbers", "copy_slide", "move_slide", "three_way_cell_fill", "three_way_children", "three_way_one", "mark",
           "REVIEW_PREFIX", "add_shape"]


logger = logging.getLogger("workbench.deck")


def _xml(el) -> bytes | None:
    from lxml import etree

    return None if el is None else etree.tostring(el)


def _text(tf) -> str:
    return "\n".join("".join(r.text for r in p.runs) for p in tf.paragraphs)


#: A number as the workbench writes it: 1,435 · 26 · 6.0 · −3 (not part of a word such as 'k5').
NUMBER = re.compile(r"(?<![\w.])[-−]?\d[\d,]*(?:\.\d+)?(?![\w]|[.,]\d)")
_TOKENS = re.compile(r"[-−]?\d[\d,]*(?:\.\d+)?|\w+|[^\w\s]")


def _number_map(base: str, new: str) -> tuple[dict, set]:
    """The earlier wave's numbers mapped to this wave's, read by aligning the two texts the
    workbench wrote word by word (difflib): ``({old: new}, ambiguous)`` where ``ambiguous``
    holds old numbers that became two different numbers or could not be aligned."""
    import difflib

    bt, nt = _TOKENS.findall(base), _TOKENS.findall(new)
    isnum = (lambda t: NUMBER.fullmatch(t) is not None)
    pairs: list[tuple[str, str]] = []
    unaligned: set = set()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=bt, b=nt, autojunk=False).get_opcodes():
        if op == "equal":
            pairs += [(t, t) for t in bt[i1:i2] if isnum(t)]
        elif op == "replace" and i2 - i1 == j2 - j1 and all(isnum(a) == isnum(b) for a, b in zip(bt[i1:i2], nt[j1:j2])):
            pairs += [(a, b) for a, b in zip(bt[i1:i2], nt[j1:j2]) if isnum(a)]
        else:
            unaligned |= {t for t in bt[i1:i2] if isnum(t)}
    out: dict = {}
    ambiguous = set(unaligned)
    for a, b in pairs:
        if out.setdefault(a, b) != b:
            ambiguous.add(a)
    return {a: b for a, b in out.items() if a not in ambiguous}, ambiguous


def merge_numbers(edited_tf, base_text: str, new_text: str) -> bool:
    """Put this wave's numbers into a text the consultant rewrote: every number of the
    earlier wave's text still in the edited text becomes this wave's (run by run, so the
    wording and formatting are theirs).  True when every number of the edited text was
    accounted for; False when one could not be (a number they typed, or one the two waves'
    texts do not align on): the text then needs a review."""
    mapping, ambiguous = _number_map(base_text, new_text)
    ok = True
    for p in edited_tf.paragraphs:
        for r in p.runs:
            def swap(m):
                nonlocal ok
                tok = m.group(0)
                if tok in mapping:
                    return mapping[tok]
                ok = False
                return tok
            r.text = NUMBER.sub(swap, r.text)
    return ok and not any(NUMBER.fullmatch(t) and t in ambiguous for t in _TOKENS.findall(_text(edited_tf)))


_CELL_FILLS = ("a:noFill", "a:solidFill", "a:gradFill", "a:blipFill", "a:pattFill", "a:grpFill")


def _cell_fill(cell):
    tc_pr = cell._tc.find(qn("a:tcPr"))
    if tc_pr is None:
        return None
    return next((el for el in tc_pr if el.tag in {qn(t) for t in _CELL_FILLS}), None)


def three_way_cell_fill(ec, bc, nc, report) -> None:
    """A table cell's fill (the significance shading) follows this wave unless the consultant changed it."""
    e, n = _cell_fill(ec), _cell_fill(nc)
    b = _cell_fill(bc) if bc is not None else None
    if _xml(e) == _xml(n) or (bc is not None and _xml(e) != _xml(b)):
        return
    tc_pr = ec._tc.get_or_add_tcPr()
    if e is not None:
        tc_pr.remove(e)
    if n is not None:
        tc_pr.append(copy.deepcopy(n))  # a fill comes after the cell's borders (lnL ... lnBlToTr)
    report.fills += 1


def three_way_children(e_parent, b_parent, n_parent, tags, before, report) -> None:
    """The children ``tags`` of an element (all of them, as one group) follow ``n_parent``
    unless the consultant changed them (they differ from ``b_parent``'s); inserted before the
    first of ``before`` (the schema's order)."""
    q = [qn(t) for t in tags]
    group = (lambda parent: [] if parent is None else [c for c in parent if c.tag in q])
    e, n = group(e_parent), group(n_parent)
    as_xml = (lambda els: [_xml(x) for x in els])
    if as_xml(e) == as_xml(n) or (b_parent is not None and as_xml(e) != as_xml(group(b_parent))):
        return
    for el in e:
        e_parent.remove(el)
    anchor = next((c for c in e_parent if c.tag in {qn(t) for t in before}), None)
    for el in n:
        el = copy.deepcopy(el)
        if anchor is not None:
            anchor.addprevious(el)
        else:
            e_parent.append(el)
    report.fills += 1


def three_way_one(e_parent, b_parent, n_parent, tag, report) -> None:
    """One child ``tag`` follows ``n_parent``'s, in place, unless the consultant changed it."""
    e, n = e_parent.find(qn(tag)), n_parent.find(qn(tag))
    b = b_parent.find(qn(tag)) if b_parent is not None else None
    if e is None or n is None or _xml(e) == _xml(n) or (b_parent is not None and _xml(e) != _xml(b)):
        return
    e.addprevious(copy.deepcopy(n))
    e_parent.remove(e)
    report.fills += 1


#: Names of the review tags an update puts on slides (not owned: a next update leaves them).
REVIEW_PREFIX = "wb-review"


def mark(slide, shape, why: str) -> None:
    """A visible red "Review" tag on ``slide`` at the top-right corner of ``shape`` (of the
    slide for notes and whole slides), saying what to check; named ``wb-review-<n>``."""
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Emu, Inches, Pt

    n = sum(1 for s in slide.shapes if str(s.name).startswith(REVIEW_PREFIX))
    w, h = int(Inches(2.6)), int(Inches(0.5))
    sw = slide.part.package.presentation_part.presentation.slide_width
    if shape is not None:
        left, top = int(shape.left) + int(shape.width) - w, int(shape.top)
    else:
        left, top = int(sw) - w - int(Inches(0.2)), int(Inches(0.1))
    left, top = max(0, min(left, int(sw) - w)), max(0, top + n * h if shape is None else top)
    tag = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Emu(left), Emu(top), Emu(w), Emu(h))
    tag.name = f"{REVIEW_PREFIX}-{n + 1}"
    tag.fill.solid()
    tag.fill.fore_color.rgb = RGBColor(0xC0, 0x39, 0x2B)
    tag.line.fill.background()
    tf = tag.text_frame
    tf.word_wrap = True
    tf.text = f"Review before sending: {why}"
    for r in tf.paragraphs[0].runs:
        r.font.size, r.font.bold = Pt(9), True
        r.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)


def copy_slide(src, prs):
    """A copy of ``src`` (a slide of another presentation) appended to ``prs``: shapes, charts
    (with their workbooks) and notes."""
    layout = next((lay for lay in prs.slide_layouts if lay.name == src.slide_layout.name), None)
    if layout is None:
        layout = prs.slide_layouts[min(1, len(prs.slide_layouts) - 1)]
    dst = prs.slides.add_slide(layout)
    for ph in list(dst.placeholders):
        ph._element.getparent().remove(ph._element)
    dst._element.cSld.set("name", src._element.cSld.get("name") or "")
    tree = dst.shapes._spTree
    package = prs.part.package
    for shp in src.shapes:
        el = copy.deepcopy(shp._element)
        tree.append(el)
        if shp.has_chart:
            chart_part = src.part.related_part(shp._element.chart_rId)
            xlsx = chart_part.chart_workbook.xlsx_part
            chart_part.partname = package.next_partname(ChartPart.partname_template)
            if xlsx is not None:
                xlsx.partname = package.next_partname(EmbeddedXlsxPart.partname_template)
            rid = dst.part.relate_to(chart_part, RT.CHART)
            el.xpath(".//c:chart")[0].set(qn("r:id"), rid)
        elif el.xpath(".//@r:embed | .//@r:link | .//@r:id"):
            logger.warning("deck update: a picture or link on slide %r is not copied", src._element.cSld.get("name"))
            tree.remove(el)
    if src.has_notes_slide:
        dst.notes_slide.notes_text_frame.text = src.notes_slide.notes_text_frame.text
    return dst


def move_slide(prs, slide, position: int) -> None:
    lst = prs.slides._sldIdLst
    for el in lst:
        if el.rId and prs.part.related_part(el.rId) is slide.part:
            lst.remove(el)
            lst.insert(position, el)
            return


def add_shape(slide, shape) -> bool:
    """Put a copy of ``shape`` (a shape of this wave's deck) on ``slide`` of the edited deck, at
    this wave's position: only a top-level shape holding no linked part (a text box, a table,
    an autoshape; not a chart or picture, whose parts live in the other package). Returns
    whether it was put in."""
    el = shape._element
    if el.getparent() is not shape.part.slide.shapes._spTree:
        return False  # inside a group: its position is relative to the group's
    if el.xpath(".//@r:id | .//@r:embed | .//@r:link"):
        return False
    tree = slide.shapes._spTree
    ext = tree.find(qn("p:extLst"))
    if ext is not None:
        ext.addprevious(copy.deepcopy(el))
    else:
        tree.append(copy.deepcopy(el))
    return True
