"""The identifier scan of the client deliverables (issue 17): no snake_case name or declared
column id shown as text on a slide, in a client workbook's sheet names, headers or cells.

Used by ``test_deliverables`` (the demo and a second generated study) and ``test_gallery``
(every gallery study)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
from pptx import Presentation

from workbench.core.measures import MEASURES

#: Workbooks a client gets (typing_tool.xlsx is a calculator with its own layout, model.xlsx included).
CLIENT_BOOKS = ("quality.xlsx", "behaviour.xlsx", "factors.xlsx", "segments.xlsx", "scorecard.xlsx", "profiles.xlsx",
                "opportunities.xlsx", "model.xlsx", "tracking.xlsx")
#: snake_case words; a file name (typing_tool.xlsx) is not an identifier shown as text.
SNAKE = re.compile(r"(?<![\w./@-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w-])(?!\.(?:xlsx|csv|yaml|json|pptx|md)\b)")


def _slide_texts(prs) -> list[tuple[int, str]]:
    """(slide number, text) of every shape, table cell, chart category and series name (not the notes)."""
    out = []
    for i, slide in enumerate(prs.slides, start=1):
        for shp in slide.shapes:
            if shp.has_text_frame:
                out.append((i, shp.text_frame.text))
            if shp.has_table:
                out += [(i, c.text) for row in shp.table.rows for c in row.cells]
            if shp.has_chart:
                plot = shp.chart.plots[0]
                out += [(i, str(c)) for c in plot.categories] + [(i, s.name) for s in plot.series]
    return out


#: What must not be in client text (slides and the client part of the speaker notes) besides
#: identifiers: file names, model tokens, the tool's setting values, floats at full precision.
CLIENT_TEXT_PATTERNS = {
    "file name": re.compile(r"\b[\w-]+\.(?:xlsx|csv|yaml|yml|json|pptx|md|py)\b"),
    "model token": re.compile(r"\b(?:lca|lpa|gmm)\s*k\s*=\s*\d|covariance\s*'|\bk=\d", re.I),
    "setting value": re.compile(r"\b(?:keep_last|keep_first|set_missing|drop_all|diag|spherical|tied)\b"),
    "full-precision number": re.compile(r"(?<![\w.])\d+\.\d{4,}\b"),
    "statistics jargon": re.compile(r"\bp_adj\b|\bdf \d|chi-square \d|Holm's correction"),
    "placeholder": re.compile(r"\(currency\)|\b1 golden questions\b"),
}


def client_notes(slide) -> str:
    """The client part of a slide's speaker notes (above the 'For the consultant' heading)."""
    from workbench.deck.texts import split_notes

    if not slide.has_notes_slide:
        return ""
    return split_notes(slide.notes_slide.notes_text_frame.text)[0]


def client_text_problems(prs, declared: set[str] = frozenset()) -> list[str]:
    """'slide n (where): what in text' for every identifier or internal pattern on a slide or in
    the client part of its notes."""
    out = []
    notes = [(i, client_notes(s)) for i, s in enumerate(prs.slides, start=1)]
    for where, items in (("slide", _slide_texts(prs)), ("notes", notes)):
        for i, text in items:
            for x in identifiers(text, declared):
                out.append(f"slide {i} ({where}): identifier {x} in {text[:80]!r}")
            for what, rx in CLIENT_TEXT_PATTERNS.items():
                for m in rx.finditer(str(text)):
                    out.append(f"slide {i} ({where}): {what} {m.group(0)!r} in {text[:80]!r}")
    return out


def _declared(study) -> set[str]:
    """Declared column ids and measure names that cannot be ordinary words (they hold _ or a digit)."""
    ids = set(study.columns) | set(MEASURES)
    return {i for i in ids if re.search(r"[_\d]", i)}


def identifiers(text: str, declared: set[str]) -> list[str]:
    found = SNAKE.findall(str(text))
    words = re.findall(r"[\w]+", str(text))
    return found + [w for w in words if w in declared and w not in found]


def _header_row(ws) -> int | None:
    ref = ws.auto_filter.ref
    return int(re.match(r"[A-Z]+(\d+)", ref).group(1)) if ref else None


def workbook_identifiers(path: Path, declared: set[str]) -> list[str]:
    """'book/sheet!cell: identifier' for every identifier in a sheet name, header or text cell.

    A column headed "Code" or "<header> (code)" holds codes beside their labels (labels next to codes) and is
    not read.
    """
    out = []
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for x in identifiers(ws.title, declared):
            out.append(f"{path.name}/{ws.title}: {x}")
        hdr = _header_row(ws)
        code_cols = set()
        if hdr:
            heads = [c.value for c in ws[hdr]]
            code_cols = {c.column for c in ws[hdr]
                         if isinstance(c.value, str) and (c.value == "Code" or c.value.endswith(" (code)"))}
            has_label = any(isinstance(h, str) and (h == "Label" or h.endswith(" label")) for h in heads)
            if code_cols and not has_label:  # codes are only allowed beside their labels
                out.append(f"{path.name}/{ws.title}: codes without a label column")
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.column not in code_cols:
                    for x in identifiers(c.value, declared):
                        out.append(f"{path.name}/{ws.title}!{c.coordinate}: {x} in {c.value[:60]!r}")
    return out


def scan_folder(folder: Path, study) -> list[str]:
    """Every identifier on the slides of ``folder/personas.pptx`` and in its client workbooks."""
    declared = _declared(study)
    bad = [f"personas.pptx {x}" for x in client_text_problems(Presentation(str(folder / "personas.pptx")), declared)]
    for name in CLIENT_BOOKS:
        if (folder / name).exists():
            bad += workbook_identifiers(folder / name, declared)
    return bad


def _scan(run) -> list[str]:
    return scan_folder(run.folder, run.study)
