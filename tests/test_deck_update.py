"""``workbench deck STUDY --wave 2 --update edited-wave-1.pptx`` (issue 17, deliverable 5).

Wave 1's deck is edited as a consultant would (a chart moved, a series recoloured, a
slide added, notes edited, a subtitle rewritten, a shape drawn on a persona slide), then
updated to wave 2.  After the update: the edits are there; every chart, table and text the
workbench owns reads as wave 2's own deck and wave 2's workbooks; each chart's XML caches
equal its embedded workbook; LibreOffice renders the deck.
"""

from __future__ import annotations

import io
import re
import shutil

import openpyxl
import pytest
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from test_deliverables import _overview, _slide_texts
from workbench.cli import main
from workbench.deck.update import owned_shapes, slide_key
from workbench.core.measures import round_shares
from workbench.deck.rerender import update_deck

RECOLOUR = RGBColor(0xAA, 0x00, 0x55)
NOTE = "Consultant: ask the sales director about the phone buyers."
MY_SLIDE = "Our own recommendations (consultant's slide)"
MY_SUBTITLE = "Segment sizes, as we discussed on Tuesday"
MY_BOX = "Sticky note: check the channel mix with Anna"
MARK = RGBColor(0x00, 0x66, 0x33)  # the consultant's colour on the first line of every persona text


def _by_key(prs) -> dict:
    return {slide_key(s): s for s in prs.slides if slide_key(s) is not None}


def edit_wave_1(src, dst) -> dict:
    """Wave 1's deck edited by hand; returns what was done, to check afterwards."""
    prs = Presentation(str(src))
    slides = _by_key(prs)
    sizes = owned_shapes(slides["sizes"])
    chart = sizes["chart-1"]
    moved = (chart.left + int(Inches(0.7)), chart.top + int(Inches(0.3)))
    chart.left, chart.top = moved
    sizes["subtitle-1"].text_frame.paragraphs[0].runs[0].text = MY_SUBTITLE
    persona = owned_shapes(slides["persona-1"])
    series = persona["chart-1"].chart.plots[0].series[0]
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = RECOLOUR
    # a run of the title in bold italic red: formatting the update must keep
    title_run = owned_shapes(slides["summary-1"])["title-1"].text_frame.paragraphs[0].runs[0]
    title_run.font.italic = True
    title_run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    # the first run of every persona text box in the consultant's green: kept even where the
    # update relays a text (this wave's text has other paragraphs)
    for key, slide in slides.items():
        if key.startswith("persona-"):
            for skey, shp in owned_shapes(slide).items():
                if shp.has_text_frame and not skey.startswith(("page-", "title-")) and shp.text_frame.paragraphs[0].runs:
                    shp.text_frame.paragraphs[0].runs[0].font.color.rgb = MARK
    box = slides["behaviour-1"].shapes.add_textbox(Inches(9), Inches(6.2), Inches(3.5), Inches(0.5))
    box.text_frame.text = MY_BOX
    notes = slides["summary-1"].notes_slide.notes_text_frame
    notes.text = notes.text + "\n" + NOTE
    layout = prs.slides[1].slide_layout
    mine = prs.slides.add_slide(layout)
    for ph in list(mine.placeholders):
        ph._element.getparent().remove(ph._element)
    tb = mine.shapes.add_textbox(Inches(1), Inches(1), Inches(10), Inches(1))
    tb.text_frame.text = MY_SLIDE
    tb.text_frame.paragraphs[0].runs[0].font.size = Pt(28)
    # the consultant's slide goes right after the executive summary
    lst = prs.slides._sldIdLst
    after = [slide_key(x) for x in prs.slides].index("summary-1") + 1
    el = lst[-1]
    lst.remove(el)
    lst.insert(after, el)
    prs.save(str(dst))
    return {"moved": moved}


def chart_cache_matches_workbook(chart) -> list[str]:
    """Differences between a chart's cached names, categories and values and its embedded workbook."""
    wb = openpyxl.load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob))
    bad = []

    def cells(ref):
        sheet, rng = ref.split("!")
        ws = wb[sheet.strip("'")]
        rng = rng.replace("$", "")
        block = ws[rng]
        if not isinstance(block, tuple):
            return [block.value]
        flat = []
        for row in block:
            flat += list(row) if isinstance(row, tuple) else [row]
        return [c.value for c in flat]

    for ser in chart._chartSpace.findall(".//" + qn("c:ser")):
        for tag, cache in (("c:tx", "c:strCache"), ("c:cat", "c:strCache"), ("c:val", "c:numCache")):
            el = ser.find(qn(tag))
            if el is None:
                continue
            f = el.find(".//" + qn("c:f"))
            pts = el.findall(".//" + qn(cache) + "/" + qn("c:pt"))
            if f is None or not pts:
                bad.append(f"{tag}: no reference or cache")
                continue
            want = cells(f.text)
            got = [p.find(qn("c:v")).text for p in pts]
            if tag == "c:val":
                ok = len(want) == len(got) and all(abs(float(w) - float(g)) < 1e-9 for w, g in zip(want, got))
            else:
                ok = [str(w) for w in want] == got
            if not ok:
                bad.append(f"{tag} {f.text}: cache {got} vs workbook {want}")
    return bad


def _owned_view(prs) -> dict:
    """(slide key, shape key) -> text, table cells or chart values of every owned shape."""
    out = {}
    for s in prs.slides:
        key = slide_key(s)
        for skey, shp in owned_shapes(s).items():
            if skey.startswith("page-"):
                continue
            if shp.has_chart:
                out[key, skey] = [(ser.name, list(ser.values)) for ser in shp.chart.plots[0].series] + [
                    list(map(str, shp.chart.plots[0].categories))]
            elif shp.has_table:
                out[key, skey] = [[c.text for c in row.cells] for row in shp.table.rows]
            elif shp.has_text_frame:
                out[key, skey] = shp.text_frame.text
    return out


@pytest.fixture(scope="module")
def updated(demo_run, demo_wave2, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("update")
    edited = tmp / "wave-1 edited.pptx"
    done = edit_wave_1(demo_run.folder / "personas.pptx", edited)
    before = edited.read_bytes()
    out, report = update_deck(demo_run.study, "2", edited, reports=demo_run.folder.parents[1])
    assert edited.read_bytes() == before  # the consultant's file is not touched
    return out, report, done, edited


def test_the_consultants_edits_survive(updated):
    out, report, done, _ = updated
    prs = Presentation(str(out))
    slides = _by_key(prs)
    chart = owned_shapes(slides["sizes"])["chart-1"]
    assert (chart.left, chart.top) == done["moved"]
    assert owned_shapes(slides["sizes"])["subtitle-1"].text_frame.text == MY_SUBTITLE
    assert any(MY_SUBTITLE[:20] in k or k.startswith("sizes subtitle-1") for k in report.kept)
    series = owned_shapes(slides["persona-1"])["chart-1"].chart.plots[0].series[0]
    assert series.format.fill.fore_color.rgb == RECOLOUR
    run = owned_shapes(slides["summary-1"])["title-1"].text_frame.paragraphs[0].runs[0]
    assert run.font.italic is True and run.font.color.rgb == RGBColor(0xC0, 0x00, 0x00)
    assert any(sh.has_text_frame and sh.text_frame.text == MY_BOX for sh in slides["behaviour-1"].shapes)
    assert NOTE in slides["summary-1"].notes_slide.notes_text_frame.text
    order = [slide_key(s) or next(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in prs.slides]
    assert order.index(MY_SLIDE) == order.index("summary-1") + 1
    # page numbers follow the updated deck's order
    for i, s in enumerate(prs.slides, start=1):
        page = owned_shapes(s).get("page-1")
        if page is not None:
            assert page.text_frame.text == str(i)


def test_every_owned_number_is_wave_2s(updated, demo_wave2):
    """Every owned shape not rewritten by hand reads exactly as in wave 2's own deck; the
    trend slides wave 2 has and wave 1 had not are added."""
    out, report, _, _ = updated
    prs = Presentation(str(out))
    mine = _owned_view(prs)
    theirs = _owned_view(Presentation(str(demo_wave2.folder / "personas.pptx")))
    kept = {tuple(k.split(" ")[:2]) for k in report.kept}
    assert "trend-sizes" in report.added and "trend-movements" in report.added
    compared = 0
    for key, value in theirs.items():
        if key in mine and key not in kept:
            assert mine[key] == value, key
            compared += 1
    assert compared > 150
    # a text with other paragraphs this wave (a third motivation) is written as wave 2's deck formats it
    theirs_prs = _by_key(Presentation(str(demo_wave2.folder / "personas.pptx")))
    mine_prs = _by_key(prs)
    assert any(w.startswith("persona-") for w in report.relaid)
    for where in (w for w in report.relaid  # text boxes (not table cells, not speaker notes)
                  if len(w.split(" ")) == 2 and not w.endswith(" notes")):
        key, skey = where.split(" ")
        runs = [[(r.text, r.font.bold) for r in p.runs] for p in owned_shapes(mine_prs[key])[skey].text_frame.paragraphs]
        want = [[(r.text, r.font.bold) for r in p.runs] for p in owned_shapes(theirs_prs[key])[skey].text_frame.paragraphs]
        assert runs == want, where
        if key.startswith("persona-"):  # the consultant's colour survived the relaying
            first = owned_shapes(mine_prs[key])[skey].text_frame.paragraphs[0].runs[0]
            assert first.font.color.rgb == MARK, where
    # the slides say wave 2 (footer), but for those wave 2's deck has not (the fit of the
    # frozen model, wave 1's; "Do the segments predict next year?", whose months after wave 2
    # are not in the data yet), which are kept as they were and listed
    assert report.earlier_only == ["forward", "fit"]  # in deck order: forward is in the body
    assert all("wave 2" in v for (k, s), v in mine.items() if s == "footer-1" and k not in report.earlier_only)


def test_shares_on_the_updated_deck_match_wave_2s_workbook(updated, demo_wave2):
    out, *_ = updated
    rows, heads = _overview(demo_wave2)
    share_col = next(h for h in heads if h and h.lower().startswith("share"))
    whole = dict(zip(rows, round_shares([rows[s][share_col] for s in rows])))
    names = {p.name: str(p.segment) for p in demo_wave2.personas if not p.suppressed}
    prs = Presentation(str(out))
    seen = 0
    for i, text in _slide_texts(prs):
        for m in re.finditer(r"(?:Priority \d+: )?(.+?) — (\d+)\s% of respondents \(n=([\d,]+)\)", text):
            seg = names[m.group(1).strip()]
            assert int(m.group(2)) == whole[seg] and int(m.group(3).replace(",", "")) == rows[seg]["n"], (i, text)
            seen += 1
    assert seen >= len(names)
    size_chart = owned_shapes(_by_key(prs)["sizes"])["chart-1"].chart
    # in order of size, as the slide says (wave 2's order differs from wave 1's)
    by_size = sorted(names, key=lambda p: (-whole[names[p]], -rows[names[p]]["n"], names[p]))
    assert list(size_chart.plots[0].series[0].values) == [float(whole[names[p]]) for p in by_size]
    assert [str(c).split(" (n=")[0] for c in size_chart.plots[0].categories] == by_size


def test_chart_caches_equal_their_workbooks(updated):
    out, *_ = updated
    prs = Presentation(str(out))
    charts = [sh.chart for s in prs.slides for sh in s.shapes if sh.has_chart]
    assert len(charts) >= 12
    for chart in charts:
        assert chart_cache_matches_workbook(chart) == []


def test_the_check_finds_a_stale_cache(updated):
    """The cache check is not vacuous: a value changed in the XML only is found."""
    out, *_ = updated
    prs = Presentation(str(out))
    chart = owned_shapes(_by_key(prs)["sizes"])["chart-1"].chart
    pt = chart._chartSpace.find(".//" + qn("c:val") + "//" + qn("c:pt"))
    pt.find(qn("c:v")).text = "99.5"
    assert chart_cache_matches_workbook(chart)


def test_libreoffice_renders_the_updated_deck(updated, tmp_path):
    from workbench.deck.convert import pdf_pages, pptx_to_pdf

    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: `make test` installs it")
    out, *_ = updated
    pdf = pptx_to_pdf(out, tmp_path)
    assert pdf_pages(pdf) == len(Presentation(str(out)).slides)


def test_update_refuses_to_overwrite(updated, demo_run, capsys):
    out, _, _, edited = updated
    reports = str(demo_run.folder.parents[1])
    root = str(demo_run.study.root)
    assert main(["deck", root, "--wave", "2", "--reports", reports, "--update", str(edited), "-o", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["deck", root, "--wave", "2", "--reports", reports, "--update", str(edited), "-o", str(edited),
                 "--force"]) == 2
    assert "would replace the deck it is made from" in capsys.readouterr().err
    assert main(["deck", root, "--wave", "2", "--reports", reports, "--update", str(out.parent / "none.pptx")]) == 2
    assert "does not exist" in capsys.readouterr().err


# --------------------------------------------------------------------------- issue 26: everything refreshed


def test_updating_the_unedited_deck_gives_wave_2s_deck(demo_run, demo_wave2, tmp_path):
    """Every text, fill, arrow, data label, sort order and chart value of an unedited wave-1
    deck updated to wave 2 equals wave 2's own deck; only wave 1's extra slides remain, tagged
    (the fit of the frozen model, and "Do the segments predict next year?", whose months after
    wave 2 are not in the data yet)."""
    from deck_compare import deck_differences

    w1, w2 = Presentation(str(demo_run.folder / "personas.pptx")), Presentation(str(demo_wave2.folder / "personas.pptx"))
    before = deck_differences(w1, w2, skip=("fit", "trend-sizes", "trend-movements"))
    # not vacuous: the waves differ in the matrix shading, the size order and the chart values
    assert any(d.startswith("matrix-1 / table-1: cells") for d in before)
    assert any(d.startswith("sizes / chart-1: point fills") for d in before)
    assert any(d.startswith("sizes / chart-1: series") for d in before)
    src = tmp_path / "wave-1.pptx"
    shutil.copy(demo_run.folder / "personas.pptx", src)
    out, report = update_deck(demo_run.study, "2", src, reports=demo_run.folder.parents[1])
    prs = Presentation(str(out))
    assert deck_differences(prs, w2, skip=("fit", "forward")) == []
    assert report.kept == [] and report.merged == []
    # wave 1's fit and forward slides, which wave 2 has not, are kept with a visible tag and
    # listed by number and title
    numbers = {slide_key(s): i for i, s in enumerate(prs.slides, start=1)}
    for key in ("fit", "forward"):
        tags = [sh for sh in prs.slides[numbers[key] - 1].shapes if sh.name.startswith("wb-review")]
        assert len(tags) == 1 and "Review before sending" in tags[0].text_frame.text, key
    assert report.review == [f"slide {numbers['forward']} “Do the segments predict the next 6 months?”: this "
                             "wave's deck has no such slide: it still shows the earlier wave",
                             f"slide {numbers['fit']} “Appendix: candidate segmentations”: this wave's deck has "
                             "no such slide: it still shows the earlier wave"]
    assert all(r in report.summary() for r in report.review)


def test_a_rewritten_text_takes_wave_2s_numbers_or_is_tagged(demo_run, demo_wave2, tmp_path):
    """A text the consultant rewrote keeps their wording with wave 2's numbers put in; one whose
    numbers cannot all be located (a number they typed) keeps its text and gets a review tag;
    the review list is written beside the updated deck."""
    prs = Presentation(str(demo_run.folder / "personas.pptx"))
    slides = _by_key(prs)
    summary = owned_shapes(slides["summary-1"])
    line_key = next(k for k in sorted(summary) if k.startswith("text-") and "Priority 1:" in summary[k].text_frame.text)
    run = summary[line_key].text_frame.paragraphs[0].runs[0]
    run.text = "In short — " + run.text
    notes = slides["sizes"].notes_slide.notes_text_frame
    notes.text = notes.text + "\nDiscussed with the client on 3 March."
    src = tmp_path / "edited.pptx"
    prs.save(str(src))
    out, report = update_deck(demo_run.study, "2", src, reports=demo_run.folder.parents[1])
    new = _by_key(Presentation(str(out)))
    fresh = owned_shapes(_by_key(Presentation(str(demo_wave2.folder / "personas.pptx")))["summary-1"])
    got = owned_shapes(new["summary-1"])[line_key].text_frame.text
    assert f"summary-1 {line_key}" in report.merged
    assert got.startswith("In short — ")
    assert got[len("In short — "):] == fresh[line_key].text_frame.text or \
        re.findall(r"\d[\d,.]*", got) == re.findall(r"\d[\d,.]*", fresh[line_key].text_frame.text)
    # the notes: the typed date is not the workbench's, so the slide is tagged and listed
    assert "sizes notes" in report.kept
    sizes_no = next(i for i, s in enumerate(Presentation(str(out)).slides, start=1) if slide_key(s) == "sizes")
    assert any(line.startswith(f"slide {sizes_no} ") and "speaker notes" in line for line in report.review)
    assert any(sh.name.startswith("wb-review") for sh in new["sizes"].shapes)
    listed = out.with_name(out.stem + "-review.txt")
    assert listed.is_file() and f"slide {sizes_no} " in listed.read_text(encoding="utf-8")
