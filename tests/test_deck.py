"""The persona deck: built from the demo run, re-opened with python-pptx and checked."""

from __future__ import annotations

import dataclasses
import logging
import re

import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Pt

from workbench.deck import PALETTE
from workbench.core.measures import candidate_label, round_shares
from workbench.steps.deck_data import build_deck, write_deck

FIXED_SLIDES = 12  # title, agenda, key findings, summary, at a glance, sizes, matrix, recommendations;
#                   appendix: method, factors, fit table, scorecard
PER_PERSONA = 2  # profile and behaviour


def _write(run, path, personas=None, **kw):
    kw = {"quality": run.quality, "factors": run.factors, "segments": run.candidates, "behaviour": run.behaviour, **kw}
    return write_deck(path, run.study, run.scorecard, run.profiles, run.opportunities,
                      run.personas if personas is None else personas, wave=run.wave, **kw)


@pytest.fixture(scope="module")
def deck(demo_run, tmp_path_factory):
    path = _write(demo_run, tmp_path_factory.mktemp("deck") / "personas.pptx")
    return Presentation(str(path))


def _texts(prs) -> list[str]:
    """Every piece of text in the deck: shapes, tables, chart categories and series, notes."""
    out = []
    for slide in prs.slides:
        for shp in slide.shapes:
            if shp.has_text_frame:
                out.append(shp.text_frame.text)
            if shp.has_table:
                out += [c.text for row in shp.table.rows for c in row.cells]
            if shp.has_chart:
                plot = shp.chart.plots[0]
                out += [str(c) for c in plot.categories] + [s.name for s in plot.series]
        if slide.has_notes_slide:
            out.append(slide.notes_slide.notes_text_frame.text)
    return out


def _title_of(slide) -> str:
    boxes = [s for s in slide.shapes if s.has_text_frame and s.text_frame.text]
    return boxes[0].text_frame.text if boxes else ""


def _persona_slides(prs):
    return [s for s in prs.slides if any(sh.has_chart and sh.chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
                                         for sh in s.shapes)]


def test_slide_count_and_every_persona_name(deck, demo_run):
    shown = [p for p in demo_run.personas if not p.suppressed]
    assert len(shown) == 5
    titles = [_title_of(s) for s in deck.slides]
    assert not [t for t in titles if "(continued)" in t]
    assert len(deck.slides) == FIXED_SLIDES + PER_PERSONA * len(shown)
    assert titles[0] == demo_run.study.name
    for p in shown:
        assert p.name in titles
    every = "\n".join(_texts(deck))
    # wave and its fieldwork end (2026-03-27) on the title slide, the date as English writes it
    assert "Wave 1" in every and "27 March 2026" in every and "2026-03-27" not in every


def test_persona_charts_are_native_and_equal_profile_indices(deck, demo_run):
    t = demo_run.profiles.table
    slides = _persona_slides(deck)
    assert len(slides) == 5
    for slide, p in zip(slides, [p for p in demo_run.personas if not p.suppressed]):
        assert _title_of(slide) == p.name
        charts = [sh for sh in slide.shapes if sh.has_chart]
        assert len(charts) == 1 and not [sh for sh in slide.shapes if sh.shape_type == 13]  # no pictures
        plot = charts[0].chart.plots[0]
        cats = list(plot.categories)
        assert 3 <= len(cats) <= 8
        assert len(plot.series) == 1  # no grey "Total = 100" bars: the axis line at 100 is the reference
        seg_vals = plot.series[0].values
        xml = charts[0].chart._chartSpace.xml
        assert re.search(r'<c:catAx>.*<c:crossesAt val="100(\.0)?"/>.*</c:catAx>', xml, re.S)
        for cat, v in zip(cats, seg_vals):
            # 'Label (need)': the item's kind as the deck's English table names it
            label, kind = re.fullmatch(r"(.*) \((need|motivation|barrier)\)", cat).groups()
            kind += "s"  # the profile's kinds: needs, motivations, barriers
            row = t[(t["segment"] == p.segment) & (t["label"] == label) & (t["kind"] == kind) & t["trait"]]
            assert len(row) == 1, cat
            assert v == pytest.approx(float(row["index"].iloc[0]), abs=1e-9)
        assert max(abs(v - 100) for v in seg_vals) >= 20  # the most distinguishing items are shown


def test_size_chart_and_segment_colours_agree(deck, demo_run):
    segs = demo_run.profiles.segments
    size_chart = next(sh.chart for s in deck.slides for sh in s.shapes
                      if sh.has_chart and sh.chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED)
    series = size_chart.plots[0].series[0]
    # one rounding rule: whole percent by largest remainder, adding up to 100 (as on every slide),
    # in order of size as the slide says
    whole = dict(zip(segs.index, round_shares(segs["share %"])))
    order = sorted(segs.index, key=lambda s: (-whole[s], -int(segs.loc[s, "n"]), str(s)))
    assert series.values == tuple(float(whole[s]) for s in order)
    assert sum(series.values) == 100
    assert list(series.values) == sorted(series.values, reverse=True)
    for i, slide in enumerate(_persona_slides(deck)):
        colour = str(PALETTE[i])
        assert str(series.points[order.index(list(segs.index)[i])].format.fill.fore_color.rgb) == colour
        bar = next(sh.chart for sh in slide.shapes if sh.has_chart).plots[0].series[0]
        assert str(bar.format.fill.fore_color.rgb) == colour
        assert str(bar.format.fill.fore_color.rgb) != str(PALETTE[(i + 1) % len(PALETTE)])


def test_scorecard_slide_and_speaker_notes(deck, demo_run):
    card = demo_run.scorecard
    last = deck.slides[len(deck.slides) - 1]
    table = next(sh.table for sh in last.shapes if sh.has_table)
    header = [c.text for c in table.rows[0].cells]
    assert header[3:6] == ["Relevant", "Operational", "Describable"]  # headers and cells begin with a capital (issue 32)
    first = [c.text for c in table.rows[1].cells]
    label = candidate_label(card.ranking["candidate"].iloc[0])
    assert first[1] == label[:1].upper() + label[1:] and first[3] == card.ranking["relevant"].iloc[0].capitalize()
    for slide in deck.slides:
        assert slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip()
    p = next(iter(demo_run.personas))
    whole = round_shares([q.share for q in demo_run.personas])[0]  # the one rounding rule of the deck
    notes = _persona_slides(deck)[0].notes_slide.notes_text_frame.text
    assert f"(n={p.n:,})" in notes and f"{whole:.0f}\u00a0% of respondents" in notes and "index" in notes


def _estimated_height_pt(paras, width_pt: float) -> float:
    """Independent, plain estimate: half-em average glyphs, 1.2 line spacing, per paragraph and its size."""
    total = 0.0
    for text, size in paras:
        per_line = max(int(width_pt / (0.5 * size)), 1)
        total += max(1, -(-len(text) // per_line)) * size * 1.2
    return total


def _assert_fits(prs):
    width, height = prs.slide_width, prs.slide_height
    checked = 0
    for i, slide in enumerate(prs.slides):
        for shp in slide.shapes:
            assert shp.left >= 0 and shp.top >= 0, (i, shp.name)
            assert shp.left + shp.width <= width and shp.top + shp.height <= height, (i, shp.name)
            if shp.has_text_frame and shp.text_frame.text:
                sizes = {r.font.size for para in shp.text_frame.paragraphs for r in para.runs}
                assert None not in sizes and min(sizes) >= Pt(9)
                paras = [(para.text, max(r.font.size for r in para.runs) / 12700) for para in shp.text_frame.paragraphs
                         if para.runs]
                usable = (shp.width - 2 * 91440) / 12700
                est = _estimated_height_pt(paras, usable)
                assert est <= shp.height / 12700, (i, shp.text_frame.text[:60], est, shp.height / 12700)
                checked += 1
    return checked


def test_no_text_outside_the_slide_or_its_box(deck):
    assert _assert_fits(deck) > 30


def test_same_inputs_identical_slides(demo_run, tmp_path):
    a = Presentation(str(_write(demo_run, tmp_path / "a.pptx")))
    b = Presentation(str(_write(demo_run, tmp_path / "b.pptx")))
    assert len(a.slides) == len(b.slides)
    for sa, sb in zip(a.slides, b.slides):
        assert sa.part.blob == sb.part.blob
        assert sa.notes_slide.notes_text_frame.text == sb.notes_slide.notes_text_frame.text
    assert _texts(a) == _texts(b)


def test_no_pii_anywhere(deck, demo_run):
    every = "\n".join(_texts(deck))
    values = {str(v).strip() for v in demo_run.responses.pii.to_numpy().ravel() if str(v).strip() not in ("", "nan")}
    assert len(values) > 1000
    leaked = sorted(v for v in values if v in every)
    assert leaked == []
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", every)  # no e-mail address at all


def test_suppressed_segment_left_out_with_a_note(demo_run, tmp_path):
    ps = demo_run.personas
    small = list(ps)[-1]
    changed = dataclasses.replace(ps, personas=tuple(dataclasses.replace(p, suppressed=True) if p is small else p
                                                     for p in ps))
    prs = Presentation(str(_write(demo_run, tmp_path / "s.pptx", personas=changed)))
    assert len(prs.slides) == FIXED_SLIDES + PER_PERSONA * (len(ps) - 1)
    titles = [_title_of(s) for s in prs.slides]
    assert small.name not in titles
    every = "\n".join(_texts(prs))
    assert f"Not shown: segment {small.segment} (n={small.n})" in every
    assert small.name not in [str(c) for s in prs.slides for sh in s.shapes if sh.has_chart
                              for c in sh.chart.plots[0].categories]


def test_long_nordic_text_shrinks_or_continues(demo_run, tmp_path, caplog):
    ps = demo_run.personas
    first = list(ps)[0]
    long_items = tuple(f"Hurtig levering af reservedele til værkstedet i Ærøskøbing, også lørdag ({i}): "
                       f"Växjö-kunder önskar ĳzersterke leveringsbetrouwbaarheid" for i in range(12))
    name = "Store, erfarne grossister i Øresundsregionen med fokus på bæredygtighed og ĳzerwaren " * 2
    description = "Beskrivelse: " + "kunderne på Ærø og i Göteborg " * 60
    quote = {"text": "Vi ønsker at bestille døgnet rundt, også når sælgeren er på ferie. " * 8, "question": "q"}
    big = dataclasses.replace(first, name=name.strip(), needs=long_items, barriers=long_items,
                              description=description.strip(), quotes=(quote,))
    changed = dataclasses.replace(ps, personas=(big,) + tuple(list(ps)[1:]))
    with caplog.at_level(logging.WARNING, logger="workbench.deck"):
        prs = Presentation(str(_write(demo_run, tmp_path / "long.pptx", personas=changed)))
    assert not [r for r in caplog.records if "does not fit" in r.getMessage()]
    titles = [_title_of(s) for s in prs.slides]
    cont = [t for t in titles if t.endswith("(continued)")]
    assert cont and all(t.startswith(name.strip()) for t in cont)
    assert len(prs.slides) == FIXED_SLIDES + PER_PERSONA * len(ps) + len(cont)
    every = "\n".join(_texts(prs))
    for item in long_items:  # nothing dropped: each item is on the persona slide or a continuation
        assert every.count(item) >= 2
    assert "Ærøskøbing" in every and "ĳzersterke" in every and "Växjö" in every
    assert description.strip() in every  # in full on a continuation slide
    assert any(t.startswith("“Vi ønsker") and t.endswith(" …”") for t in _texts(prs))  # verbatim shortened
    _assert_fits(prs)


def test_build_deck_returns_presentation_with_16_9_slides(demo_run):
    prs = build_deck(demo_run.study, demo_run.scorecard, demo_run.profiles, demo_run.opportunities,
                     demo_run.personas, wave=demo_run.wave)
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)
    assert prs.core_properties.title.startswith(demo_run.study.name)
