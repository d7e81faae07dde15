"""Build ``deck_template.pptx``, the neutral 16:9 template the persona deck uses by default.

Run from the repository root to regenerate the committed file (deterministic)::

    .venv/bin/python workbench/resources/make_template.py

It starts from python-pptx's blank template and makes it 16:9, sets a neutral theme
(charcoal text, navy headings, the deck's colour-blind-friendly segment palette as the
accent colours, Arial for headings and body so the deck looks the same in PowerPoint,
Keynote and LibreOffice), left-aligned bold titles, and a thin navy rule on the master.
Client templates need none of this: any ``.pptx`` works (see ``deck.template`` in
surveys/README.md).
"""

from __future__ import annotations

import copy
import io
import sys
import zipfile
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.util import Emu, Inches

A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
NS = {"a": A, "p": P}

WIDTH, HEIGHT = Emu(12192000), Emu(6858000)
FONT = "Arial"
SCHEME = {  # theme colour slots
    "dk1": "262F38", "lt1": "FFFFFF", "dk2": "1B365D", "lt2": "EEF1F4",
    "accent1": "1F5F99", "accent2": "D55E00", "accent3": "117A65", "accent4": "B8860B",
    "accent5": "7B3F8C", "accent6": "0072B2", "hlink": "0072B2", "folHlink": "7B3F8C",
}
OUT = Path(__file__).with_name("deck_template.pptx")


def _theme(blob: bytes) -> bytes:
    root = etree.fromstring(blob)
    scheme = root.find(".//a:clrScheme", NS)
    scheme.set("name", "Workbench")
    for slot, hexval in SCHEME.items():
        el = scheme.find(f"a:{slot}", NS)
        for child in list(el):
            el.remove(child)
        etree.SubElement(el, f"{{{A}}}srgbClr", val=hexval)
    fonts = root.find(".//a:fontScheme", NS)
    fonts.set("name", "Workbench")
    for which in ("majorFont", "minorFont"):
        fonts.find(f"a:{which}/a:latin", NS).set("typeface", FONT)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _scale_x(shapes, factor: float) -> None:
    for shp in shapes:
        if shp.left is not None and shp.width is not None:
            shp.left, shp.width = int(shp.left * factor), int(shp.width * factor)


def _title_style(master) -> None:
    lvl1 = master._element.find(".//p:txStyles/p:titleStyle/a:lvl1pPr", NS)
    lvl1.set("algn", "l")
    rpr = lvl1.find("a:defRPr", NS)
    rpr.set("sz", "3000")
    rpr.set("b", "1")
    fill = rpr.find("a:solidFill", NS)
    for child in list(fill):
        fill.remove(child)
    etree.SubElement(fill, f"{{{A}}}schemeClr", val="tx2")


def build(path: Path = OUT) -> Path:
    prs = Presentation()
    old_w = prs.slide_width
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    factor = WIDTH / old_w
    master = prs.slide_master
    _scale_x(master.placeholders, factor)
    for layout in prs.slide_layouts:
        _scale_x([ph for ph in layout.placeholders if ph._element.spPr.find(f"{{{A}}}xfrm") is not None], factor)
    for layout in prs.slide_layouts:
        for ph in layout.placeholders:
            t = ph.placeholder_format.type
            if layout.name == "Title Only" and ph.placeholder_format.idx == 0:
                ph.left, ph.top, ph.width, ph.height = Inches(0.5), Inches(0.3), WIDTH - Inches(1.0), Inches(0.8)
            if layout.name == "Title Slide" and str(t).startswith("CENTER_TITLE"):
                ph.left, ph.top, ph.width, ph.height = Inches(0.8), Inches(2.2), WIDTH - Inches(1.6), Inches(1.6)
            if layout.name == "Title Slide" and str(t).startswith("SUBTITLE"):
                ph.left, ph.top, ph.width, ph.height = Inches(0.8), Inches(3.9), WIDTH - Inches(1.6), Inches(1.2)
    _title_style(master)
    # a thin navy rule at the top of every slide, drawn on the master
    tmp = prs.slides.add_slide(prs.slide_layouts[6])
    rule = tmp.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, WIDTH, Inches(0.1))
    rule.fill.solid()
    rule.fill.fore_color.rgb = RGBColor.from_string(SCHEME["dk2"])
    rule.line.fill.background()
    rule.name = "Workbench rule"
    master.shapes._spTree.insert(2, copy.deepcopy(rule._element))
    rid = prs.slides._sldIdLst[-1].rId
    prs.part.drop_rel(rid)
    del prs.slides._sldIdLst[-1]
    theme = master.part.part_related_by(RT.THEME)
    theme._blob = _theme(theme.blob)
    cp = prs.core_properties
    cp.title, cp.author, cp.last_modified_by = "Workbench deck template", "workbench", "workbench"
    cp.revision = 1
    buf = io.BytesIO()
    prs.save(buf)
    path.write_bytes(_normalise(buf.getvalue()))
    return path


def _normalise(data: bytes) -> bytes:
    """Fixed zip timestamps and no leftover parts, so that rebuilding gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                root = etree.fromstring(blob)
                for el in root:
                    if el.tag.endswith(("created", "modified")):
                        el.text = "2026-01-01T00:00:00Z"
                blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zi = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, blob)
    return out.getvalue()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    build(target)
    sys.stdout.write(f"wrote {target}\n")
