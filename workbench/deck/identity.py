"""Which study and wave a workbench deck belongs to, and which of its texts name a client.

``deck --update`` refuses a deck made for another study (issue 24): the deck's keywords
(``workbench; study=...; wave=...``) and title carry the study, and :func:`texts_naming` lists
every text (shapes, groups, tables, chart titles, notes) that still names the other client.
"""

from __future__ import annotations

import re

__all__ = ["deck_study", "deck_wave", "texts_naming", "walk_shapes"]


def walk_shapes(shapes):
    """Every shape of ``shapes``, the shapes inside groups too (owned shapes may be grouped)."""
    for shp in shapes:
        yield shp
        if shp.shape_type is not None and int(shp.shape_type) == 6:  # a group: owned shapes may be grouped
            yield from walk_shapes(shp.shapes)



def deck_study(prs) -> tuple[str | None, str | None]:
    """``(study id, study name)`` a workbench deck was made for: the id from its keywords
    (``workbench; study=...; wave=...``), the name from its title (``<name>: personas, wave W``)."""
    cp = prs.core_properties
    m = re.search(r"(?:^|;)\s*study=([^;]+)", cp.keywords or "")
    t = re.match(r"^(.*): personas, wave [^:]*$", cp.title or "")
    return (m.group(1).strip() if m else None), (t.group(1).strip() if t and t.group(1).strip() else None)


def texts_naming(prs, words) -> list[str]:
    """``slide N: text`` for every text of ``prs`` (shapes, groups, tables, chart titles, notes)
    that holds one of ``words`` (case-insensitive)."""
    words = [w.casefold() for w in words if w and len(w) >= 2]
    out = []

    def hit(text):
        return text and any(w in text.casefold() for w in words)

    for i, slide in enumerate(prs.slides, start=1):
        texts = []
        for shp in walk_shapes(slide.shapes):
            if shp.has_text_frame:  # every python-pptx shape (BaseShape) answers has_*
                texts.append(shp.text_frame.text)
            if shp.has_table:
                texts.extend(c.text for row in shp.table.rows for c in row.cells)
            if shp.has_chart and shp.chart.has_title:
                texts.append(shp.chart.chart_title.text_frame.text)
        if slide.has_notes_slide:
            texts.append(slide.notes_slide.notes_text_frame.text if slide.notes_slide.notes_text_frame else "")
        out += [f"slide {i}: {' '.join(t.split())[:90]}" for t in texts if hit(t)]
    return out


def deck_wave(prs) -> str | None:
    """The wave a workbench deck was made for (its keywords: ``workbench; study=...; wave=...``)."""
    m = re.search(r"(?:^|;)\s*wave=([^;]+)", prs.core_properties.keywords or "")
    return m.group(1).strip() if m else None
