"""Last wave's deck, as the consultant edited it, refreshed with this wave's numbers.

``workbench deck STUDY --wave 2 --update edited-wave-1.pptx`` (issue 17).  Three decks
meet here, all python-pptx presentations:

``edited``
    the deck the consultant worked on (made by the workbench for an earlier wave, then
    moved, recoloured, annotated, extended in PowerPoint);
``base``
    what the workbench wrote for that earlier wave, re-rendered from its saved deck data;
``new``
    what the workbench writes for this wave.

Every shape the workbench draws is named ``wb:<slide key>:<shape key>``
(:meth:`workbench.deck.layout.Canvas.own`), so a slide and its shapes are found again
wherever the consultant moved them.  Per owned shape, a three-way rule:

- **text** (text boxes, titles, table cells, chart titles, notes): where the edited text
  is still the base text, it becomes the new text, run by run, so fonts, colours and sizes
  the consultant set are kept (when this wave's text has other paragraphs or runs - a third
  motivation - it is written as the workbench formats it, except for the paragraphs and runs
  whose formatting the consultant changed, which keep theirs by position, and listed in
  :attr:`UpdateReport.relaid`); where the consultant rewrote it, the wording is kept and the
  shape is listed in :attr:`UpdateReport.kept` (its numbers are theirs to check);
- **native charts**: each series keeps its formatting (fill, line, markers, data labels,
  the consultant's colours), and takes the new wave's name, categories and values -
  references and cached values - from a chart python-pptx wrote for the new wave, whose
  embedded workbook replaces the old one, so the chart's XML caches and its workbook agree
  by construction.  (python-pptx's ``replace_data`` is not used: it re-writes the series
  from chart data and is known to drop formatting and leave number formats stale.)
- **tables** of the same shape are refreshed cell by cell (as text); a table whose rows or
  columns changed is replaced by the new wave's table at the edited position and size.

Slides the consultant added and shapes they drew are not touched; owned slides or shapes
they deleted stay deleted.  Slides the new wave has and the earlier one had not (the
trend slides of a second wave) are copied in after their predecessor.  Page numbers are
set to each slide's place in the updated deck.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field

from pptx.oxml.ns import qn

from .identity import deck_study, deck_wave, texts_naming, walk_shapes as _walk
from .layout import OWNED_PREFIX, parse_owned
from .update_parts import (REVIEW_PREFIX, add_shape, copy_slide, mark, merge_numbers, move_slide,
                           three_way_cell_fill, three_way_children, three_way_one)

__all__ = ["UpdateReport", "update_presentation", "owned_shapes", "slide_key", "deck_wave", "deck_study", "texts_naming"]

logger = logging.getLogger("workbench.deck")


@dataclass
class UpdateReport:
    """What an update did, slide by slide (slide numbers are the updated deck's)."""

    refreshed: int = 0
    charts: int = 0
    tables: int = 0
    kept: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    new_parts: list[str] = field(default_factory=list)  # shapes this wave adds to a slide the edited deck has
    not_found: list[str] = field(default_factory=list)
    earlier_only: list[str] = field(default_factory=list)
    relaid: list[str] = field(default_factory=list)
    other_study: list[str] = field(default_factory=list)  # texts naming another study's client (issue 24)
    merged: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    fills: int = 0

    def review_list(self) -> str:
        """The short "review before sending" list: one line per slide (number and title)
        carrying a review marker, '' when there is nothing to review."""
        if not self.review:
            return ""
        return "\n".join(["Review before sending (marked on the slides with a red “Review” tag):"]
                         + [f"  {line}" for line in self.review])

    def summary(self) -> str:
        """What the update did, in a few words, then the review list (no internal keys)."""
        parts = [f"{self.refreshed} texts, {self.charts} charts and {self.tables} tables refreshed"]
        if self.other_study:
            parts.append(f"WARNING: {len(self.other_study)} texts still name the other study's client, check and "
                         "rewrite each: " + "; ".join(self.other_study))
        if self.added:
            parts.append(f"{len(self.added)} slides this wave has added")
        if self.new_parts:
            parts.append(f"{len(self.new_parts)} parts this wave adds to a slide put in")
        if self.merged:
            parts.append(f"{len(self.merged)} texts you rewrote kept, with this wave's numbers put in")
        if self.kept:
            parts.append(f"{len(self.kept)} texts you rewrote kept as they are")
        if self.relaid:
            parts.append(f"{len(self.relaid)} texts with other lines this wave rewritten, keeping your formatting")
        if self.not_found:
            parts.append(f"{len(self.not_found)} parts you deleted left out")
        if self.earlier_only:
            parts.append(f"{len(self.earlier_only)} slides this wave's deck does not have, kept as they were")
        text = "; ".join(parts) + "."
        return text + ("\n" + self.review_list() if self.review else "")


# --------------------------------------------------------------------------- finding owned shapes


def owned_shapes(slide) -> dict[str, object]:
    """Shape key -> shape for every shape on ``slide`` named by the workbench (in groups too)."""
    out = {}
    for shp in _walk(slide.shapes):
        parsed = parse_owned(shp.name)
        if parsed is not None and parsed[1] not in out:
            out[parsed[1]] = shp
    return out


def slide_key(slide) -> str | None:
    """The workbench's key of a slide: from its owned shapes' names (the most common key),
    else from the slide's own name; None for a slide the consultant made."""
    counts: dict[str, int] = {}
    for shp in _walk(slide.shapes):
        parsed = parse_owned(shp.name)
        if parsed is not None:
            counts[parsed[0]] = counts.get(parsed[0], 0) + 1
    if counts:
        return max(counts, key=lambda k: (counts[k], k))
    name = slide._element.cSld.get("name") or ""
    if name.startswith(OWNED_PREFIX) and name[len(OWNED_PREFIX):]:
        return name[len(OWNED_PREFIX):]
    return None


def _index(prs) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in prs.slides:
        k = slide_key(s)
        if k is not None:
            out.setdefault(k, []).append(s)
    return out


# --------------------------------------------------------------------------- text


def _paras(tf) -> list[list[str]]:
    return [[r.text for r in p.runs] for p in tf.paragraphs]


def _text(tf) -> str:
    return "\n".join("".join(p) for p in _paras(tf))


def _xml(el) -> bytes | None:
    from lxml import etree

    return None if el is None else etree.tostring(el)


def _restyled(edited_tf, base_tf) -> tuple[dict, dict]:
    """The paragraph and run properties the consultant changed: ``({i: pPr}, {(i, j): rPr})``
    where the edited deck's differ from what the workbench wrote (``base_tf``)."""
    paras, runs = {}, {}
    if base_tf is None:
        return paras, runs
    e_ps, b_ps = edited_tf._txBody.findall(qn("a:p")), base_tf._txBody.findall(qn("a:p"))
    for i, (ep, bp) in enumerate(zip(e_ps, b_ps)):
        if _xml(ep.find(qn("a:pPr"))) != _xml(bp.find(qn("a:pPr"))) and ep.find(qn("a:pPr")) is not None:
            paras[i] = ep.find(qn("a:pPr"))
        for j, (er, br) in enumerate(zip(ep.findall(qn("a:r")), bp.findall(qn("a:r")))):
            if _xml(er.find(qn("a:rPr"))) != _xml(br.find(qn("a:rPr"))) and er.find(qn("a:rPr")) is not None:
                runs[i, j] = er.find(qn("a:rPr"))
    return paras, runs


def _set_text(edited_tf, new_tf, base_tf=None) -> bool:
    """``edited_tf`` takes ``new_tf``'s text: run by run where both have the same runs (the
    consultant's run formatting stays; True), else the new paragraphs, as the workbench
    formats them, replace the old (False: this wave's text has other paragraphs or runs),
    keeping the paragraph and run formatting the consultant changed (by position, against
    what the workbench wrote for the earlier wave, ``base_tf``)."""
    e, n = _paras(edited_tf), _paras(new_tf)
    if [len(p) for p in e] == [len(p) for p in n]:
        for ep, np_ in zip(edited_tf.paragraphs, new_tf.paragraphs):
            for er, nr in zip(ep.runs, np_.runs):
                er.text = nr.text
        return True
    paras, runs = _restyled(edited_tf, base_tf)
    body = edited_tf._txBody
    for p in body.findall(qn("a:p")):
        body.remove(p)
    for i, p in enumerate(new_tf._txBody.findall(qn("a:p"))):
        p = copy.deepcopy(p)
        if i in paras:
            old = p.find(qn("a:pPr"))
            if old is not None:
                p.remove(old)
            p.insert(0, copy.deepcopy(paras[i]))
        for j, r in enumerate(p.findall(qn("a:r"))):
            if (i, j) in runs:
                old = r.find(qn("a:rPr"))
                if old is not None:
                    r.remove(old)
                r.insert(0, copy.deepcopy(runs[i, j]))
        body.append(p)
    return False


def _same_words(a: str, b: str) -> bool:
    """Two texts alike but for the space between a number and its unit: a deck written before
    units were held to their number (U+00A0, :func:`workbench.deck.texts.keep_units`) is unedited."""
    return a.replace("\u00a0", " ") == b.replace("\u00a0", " ")


def _three_way_text(edited_tf, base_tf, new_tf, where: str, report: UpdateReport) -> str | None:
    """Refresh one text; returns 'review' when it needs the consultant's eye, else None."""
    e, n = _text(edited_tf), _text(new_tf)
    if e == n:
        return None
    if base_tf is not None and not _same_words(e, _text(base_tf)):
        b = _text(base_tf)
        if b == n:  # the workbench's text did not change: nothing to merge
            report.kept.append(where)
            return None
        if merge_numbers(edited_tf, b, n):
            report.merged.append(where)
            return None
        report.kept.append(where)
        return "review"
    if not _set_text(edited_tf, new_tf, base_tf):
        report.relaid.append(where)
    report.refreshed += 1
    return None


def _fill(shape):
    sp_pr = shape._element.find(qn("p:spPr"))
    return None if sp_pr is None else sp_pr.find(qn("a:solidFill"))


def _three_way_fill(edited, base, new, report: UpdateReport) -> None:
    """A shape's solid fill (a segment's colour swatch) follows the new deck unless the consultant recoloured it."""
    from lxml import etree

    e, n = _fill(edited), _fill(new)
    b = _fill(base) if base is not None else None
    text = (lambda el: None if el is None else etree.tostring(el))
    if n is None or text(e) == text(n) or (b is not None and text(e) != text(b)) or e is None:
        return
    e.addprevious(copy.deepcopy(n))
    e.getparent().remove(e)
    report.refreshed += 1


# --------------------------------------------------------------------------- charts


_SER_PARTS = ("c:tx", "c:cat", "c:val")


def _series(chart) -> list:
    plot_area = chart._chartSpace.chart.plotArea
    return plot_area.findall(".//" + qn("c:ser"))


def _refresh_chart(edited_gf, base_gf, new_gf, where: str, report: UpdateReport) -> bool:
    """The edited chart's series take the new chart's names, categories and values (with their
    caches), keep their own formatting; the new chart's embedded workbook replaces the old."""
    ec, nc = edited_gf.chart, new_gf.chart
    e_ser, n_ser = _series(ec), _series(nc)
    if not n_ser:
        return False
    while len(e_ser) < len(n_ser):  # a series more this wave: formatted like the last one
        clone = copy.deepcopy(e_ser[-1])
        e_ser[-1].addnext(clone)
        e_ser.append(clone)
    for extra in e_ser[len(n_ser):]:
        extra.getparent().remove(extra)
    e_ser = e_ser[:len(n_ser)]
    for i, (es, ns) in enumerate(zip(e_ser, n_ser)):
        for tag in ("c:idx", "c:order"):
            el = es.find(qn(tag))
            if el is not None:
                el.set("val", str(i))
        for tag in _SER_PARTS:
            new_el, old_el = ns.find(qn(tag)), es.find(qn(tag))
            if new_el is None:
                if old_el is not None:
                    es.remove(old_el)
                continue
            new_el = copy.deepcopy(new_el)
            if old_el is not None:
                old_el.addprevious(new_el)
                es.remove(old_el)
            else:  # c:cat and c:val come after formatting and labels, c:tx right after c:order
                anchor = es.find(qn("c:order")) if tag == "c:tx" else None
                if anchor is not None:
                    anchor.addnext(new_el)
                else:
                    ext = es.find(qn("c:smooth"))
                    ext = ext if ext is not None else es.find(qn("c:extLst"))  # (an lxml element without children is falsy)
                    if ext is not None:
                        ext.addprevious(new_el)
                    else:
                        es.append(new_el)
    # what the workbench encodes from data beside the values - each data point's fill (a
    # segment's colour, which moves with the sort order), data labels and their number format,
    # the value axis' scale - follows this wave unless the consultant changed it
    b_ser = _series(base_gf.chart) if base_gf is not None and base_gf.has_chart else []
    for i, (es, ns) in enumerate(zip(e_ser, n_ser)):
        bs = b_ser[i] if i < len(b_ser) else None
        for tags, before in ((("c:dPt",), ("c:dLbls", "c:trendline", "c:errBars", "c:cat", "c:val", "c:smooth", "c:extLst")),
                             (("c:dLbls",), ("c:trendline", "c:errBars", "c:cat", "c:val", "c:smooth", "c:extLst")),
                             (("c:errBars",), ("c:cat", "c:val", "c:smooth", "c:extLst"))):  # intervals
            three_way_children(es, bs, ns, tags, before, report)
    e_plots, n_plots = ec._chartSpace.chart.plotArea, nc._chartSpace.chart.plotArea
    b_plots = base_gf.chart._chartSpace.chart.plotArea if base_gf is not None and base_gf.has_chart else None
    kinds = (lambda area: [] if area is None else [c for c in area if str(c.tag).endswith("Chart")])
    e_k, n_k, b_k = kinds(e_plots), kinds(n_plots), kinds(b_plots)
    for i, (e_el, n_el) in enumerate(zip(e_k, n_k)):  # plot-level data labels (label_values)
        b_el = b_k[i] if i < len(b_k) and b_k[i].tag == e_el.tag else None
        if e_el.tag == n_el.tag:
            three_way_one(e_el, b_el, n_el, "c:dLbls", report)
    for ax in ("c:valAx",):
        e_ax, n_ax = e_plots.find(qn(ax)), n_plots.find(qn(ax))
        b_ax = b_plots.find(qn(ax)) if b_plots is not None else None
        if e_ax is not None and n_ax is not None:
            for tag in ("c:scaling", "c:numFmt"):
                three_way_one(e_ax, b_ax, n_ax, tag, report)
    # the workbook behind the chart: the new wave's (the caches above were written from it)
    blob = nc.part.chart_workbook.xlsx_part.blob
    ec.part.chart_workbook.update_from_xlsx_blob(blob)
    review = False
    if nc.has_title and ec.has_title:
        base_title = base_gf.chart.chart_title.text_frame if base_gf is not None and base_gf.chart.has_title else None
        review = bool(_three_way_text(ec.chart_title.text_frame, base_title, nc.chart_title.text_frame,
                                      where + " (chart title)", report))
    report.charts += 1
    return review


# --------------------------------------------------------------------------- tables


def _refresh_table(edited_gf, base_gf, new_gf, where: str, report: UpdateReport) -> list[str]:
    """Refresh a table; returns the cells that need a review."""
    et, nt = edited_gf.table, new_gf.table
    bt = base_gf.table if base_gf is not None and base_gf.has_table else None
    same = (len(et.rows), len(et.columns)) == (len(nt.rows), len(nt.columns))
    review = []
    if same:
        base_same = bt is not None and (len(bt.rows), len(bt.columns)) == (len(et.rows), len(et.columns))
        for i in range(len(nt.rows)):
            for j in range(len(nt.columns)):
                ec, nc = et.cell(i, j), nt.cell(i, j)
                bc = bt.cell(i, j) if base_same else None
                cell = f"{where} cell {i + 1},{j + 1}"
                if _three_way_text(ec.text_frame, bc.text_frame if bc is not None else None, nc.text_frame, cell,
                                   report):
                    review.append(cell)
                three_way_cell_fill(ec, bc, nc, report)
    else:  # rows or columns changed: this wave's table, where the consultant put the old one
        x, y, cx = edited_gf.left, edited_gf.top, edited_gf.width
        scale = cx / new_gf.width if new_gf.width else 1.0
        new_tbl = copy.deepcopy(new_gf._element.graphic.graphicData.tbl)
        for gc in new_tbl.tblGrid.findall(qn("a:gridCol")):
            gc.set("w", str(int(int(gc.get("w")) * scale)))
        gd = edited_gf._element.graphic.graphicData
        gd.remove(gd.tbl)
        gd.append(new_tbl)
        edited_gf.left, edited_gf.top, edited_gf.width, edited_gf.height = x, y, cx, new_gf.height
    report.tables += 1
    return review


# --------------------------------------------------------------------------- slides


def _slide_title(slide) -> str:
    shp = slide.shapes.title
    if shp is None:
        shp = next((s for k, s in owned_shapes(slide).items() if k.startswith("title-")), None)
    text = shp.text_frame.text.strip() if shp is not None and shp.has_text_frame else ""
    return text.replace("\n", " ")[:80] or "untitled"


def update_presentation(edited, base, new) -> UpdateReport:
    """Refresh ``edited`` in place with ``new``'s numbers (see the module docstring).

    Parameters
    ----------
    edited, base, new : pptx.presentation.Presentation
        The consultant's deck, what the workbench wrote for its wave, what it writes for this one.

    Returns
    -------
    UpdateReport
    """
    report = UpdateReport()
    e_idx, b_idx, n_idx = _index(edited), _index(base), _index(new)
    new_keys = list(n_idx)
    for pos, key in enumerate(new_keys):
        n_slide = n_idx[key][0]
        b_slide = b_idx.get(key, [None])[0]
        if key not in e_idx:
            if b_slide is not None:  # the consultant deleted it
                report.not_found.append(f"slide {key}")
                continue
            copy_ = copy_slide(n_slide, edited)
            prev = next((k for k in reversed(new_keys[:pos]) if k in e_idx), None)
            if prev is not None:
                after = e_idx[prev][-1]
                where = list(edited.slides).index(after) + 1
                move_slide(edited, copy_, where)
            e_idx[key] = [copy_]
            report.added.append(key)
            continue
        n_shapes = owned_shapes(n_slide)
        b_shapes = owned_shapes(b_slide) if b_slide is not None else {}
        for e_slide in e_idx[key]:
            e_shapes = owned_shapes(e_slide)
            marks: list = []  # (shape or None for the notes, what to check)
            for skey, ns in n_shapes.items():
                es = e_shapes.get(skey)
                where = f"{key} {skey}"
                if es is None:
                    if skey in b_shapes:  # the consultant deleted it: it stays deleted
                        report.not_found.append(where)
                    elif add_shape(e_slide, ns):  # this wave draws more here (a second recommendation)
                        report.new_parts.append(where)
                    else:
                        marks.append((None, "this wave adds a chart or picture here that could not be put in: "
                                            "take it from this wave's own deck"))
                    continue
                bs = b_shapes.get(skey)
                if ns.has_chart and es.has_chart:
                    if _refresh_chart(es, bs, ns, where, report):
                        marks.append((es, "chart title rewritten by you: its numbers are the earlier wave's"))
                elif ns.has_table and es.has_table:
                    cells = _refresh_table(es, bs, ns, where, report)
                    if cells:
                        marks.append((es, f"{len(cells)} table cell(s) rewritten by you keep the earlier wave's numbers"))
                elif ns.has_text_frame and es.has_text_frame:
                    if skey.startswith("page-"):
                        continue
                    # a swatch's, and a text box's, fill (the glance cards' headers take the segment's colour)
                    _three_way_fill(es, bs, ns, report)
                    if _three_way_text(es.text_frame, bs.text_frame if bs is not None and bs.has_text_frame else None,
                                       ns.text_frame, where, report):
                        marks.append((es, "text rewritten by you: some numbers could not be refreshed"))
            if n_slide.has_notes_slide:
                b_notes = b_slide.notes_slide.notes_text_frame if b_slide is not None and b_slide.has_notes_slide else None
                if _three_way_text(e_slide.notes_slide.notes_text_frame, b_notes, n_slide.notes_slide.notes_text_frame,
                                   f"{key} notes", report):
                    marks.append((None, "speaker notes rewritten by you: some numbers could not be refreshed"))
            grouped: dict = {}
            for shape, why in marks:
                grouped.setdefault(id(shape), (shape, []))[1].append(why)
            for shape, whys in grouped.values():
                mark(e_slide, shape, "; ".join(dict.fromkeys(whys)))
    report.earlier_only = [k for k in e_idx if k not in n_idx]
    for k in report.earlier_only:
        for e_slide in e_idx[k]:
            mark(e_slide, None, "this wave's deck has no such slide: it still shows the earlier wave")
    for no, s in enumerate(edited.slides, start=1):  # page numbers: the slide's place in this deck
        for skey, shp in owned_shapes(s).items():
            if skey.startswith("page-") and shp.has_text_frame and shp.text_frame.text.strip().isdigit():
                runs = [r for p in shp.text_frame.paragraphs for r in p.runs]
                if runs:
                    runs[0].text = str(no)
                    for r in runs[1:]:
                        r.text = ""
        whys = [shp.text_frame.text for shp in s.shapes if str(shp.name).startswith(REVIEW_PREFIX)]
        if whys:
            report.review.append(f"slide {no} “{_slide_title(s)}”: " + "; ".join(
                dict.fromkeys(w.split(": ", 1)[-1] for w in whys)))
    logger.debug("deck update: %s", report.summary())  # the command prints the summary once
    return report
