"""One fact, one value, one rule (issue 26, deliverable 2), read off the demo's decks as a client
reads them: every segment × measure the slides state (share of respondents, share of revenue,
the channel to reach them and its share) has one value on every slide, chart labels included,
and that value is the workbook's under the one rounding rule (whole percent, shares adding to
100; mixes rounded once)."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from pptx import Presentation

from scan_support import _slide_texts, client_text_problems
from test_deliverables import _overview
from workbench.deck.update import owned_shapes, slide_key
from workbench.measures import round_shares
from workbench.personas import reach_channel


def _facts(prs, names: dict) -> dict:
    """(segment, measure) -> {value: [where]} for every figure the slides state about a segment."""
    found: dict = defaultdict(lambda: defaultdict(list))
    name_rx = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    for i, text in _slide_texts(prs):
        for m in re.finditer(rf"({name_rx})(?: \(continued\))?\s*(?:—|\n)\s*(?:Priority \d+ of \d+\n)?(\d+) % of "
                             r"respondents", text):
            found[names[m.group(1)], "share"][int(m.group(2))].append(f"slide {i}")
        for m in re.finditer(rf"({name_rx}) — \d+ % of respondents \(n=[\d,]+\), (\d+) % of revenue", text):
            found[names[m.group(1)], "revenue share"][int(m.group(2))].append(f"slide {i}")
        for m in re.finditer(rf"({name_rx}):? .*?reach them via ([\w ]+?) \((\d+) %", text):
            found[names[m.group(1)], "channel"][(m.group(2), int(m.group(3)))].append(f"slide {i}")
    for i, s in enumerate(prs.slides, start=1):
        key = slide_key(s)
        shapes = owned_shapes(s)
        if key and key.startswith("persona-") and "subtitle-1" in shapes:
            seg = key.split("-")[1]
            m = re.match(r"(\d+) % of respondents", shapes["subtitle-1"].text_frame.text)
            if m:
                found[seg, "share"][int(m.group(1))].append(f"slide {i} subtitle")
        if key == "glance":
            card = None
            for skey in sorted((k for k in shapes if k.startswith("text-")), key=lambda k: int(k.split("-")[1])):
                text = shapes[skey].text_frame.text if shapes[skey].has_text_frame else ""
                if text in names:
                    card = names[text]
                elif card is not None and text:
                    m = re.match(r"(\d+) % of respondents", text)
                    if m:
                        found[card, "share"][int(m.group(1))].append(f"slide {i} glance")
                    m = re.search(r"(\d+) % of revenue", text)
                    if m:
                        found[card, "revenue share"][int(m.group(1))].append(f"slide {i} glance")
                    m = re.search(r"Reach them via ([\w ]+?) \((\d+) %\)", text)
                    if m:
                        found[card, "channel"][(m.group(1), int(m.group(2)))].append(f"slide {i} glance")
        if key == "sizes":
            chart = shapes["chart-1"].chart
            cats = [str(c).split(" (n=")[0] for c in chart.plots[0].categories]
            for series in chart.plots[0].series:
                measure = {"Share of respondents (%)": "share", "Share of revenue (%)": "revenue share"}.get(series.name)
                for cat, v in zip(cats, series.values):
                    if measure:
                        found[names[cat], measure][int(v)].append(f"slide {i} chart label")
        if key and key.startswith("behaviour-") and "chart-2" in shapes:  # the channel mix chart
            seg = key.split("-")[1]
            plot = shapes["chart-2"].chart.plots[0]
            for cat, v in zip(plot.categories, plot.series[0].values):
                found[seg, f"channel {cat}"][int(v)].append(f"slide {i} chart label")
        for skey, shp in shapes.items():
            if key and key.startswith("behaviour-") and shp.has_text_frame:
                m = re.search(r"Reach them through ([\w ]+?): the main ordering channel of (\d+) %", shp.text_frame.text)
                if m:
                    seg = key.split("-")[1]
                    found[seg, "channel"][(m.group(1), int(m.group(2)))].append(f"slide {i} how to win")
                    found[seg, f"channel {m.group(1)}"][int(m.group(2))].append(f"slide {i} how to win")
    return found


@pytest.mark.parametrize("which", ["demo_run", "demo_wave2"])
def test_one_value_per_segment_and_measure_and_it_is_the_workbooks(which, request):
    run = request.getfixturevalue(which)
    prs = Presentation(str(run.folder / "personas.pptx"))
    names = {p.name: str(p.segment) for p in run.personas if not p.suppressed}
    facts = _facts(prs, names)
    # no two values for one segment × measure
    for (seg, measure), values in facts.items():
        assert len(values) == 1, f"segment {seg}, {measure}: {dict(values)}"
    # every segment's share stated in several places, and each as the workbook's under the rounding rule
    rows, heads = _overview(run)
    share_col = next(h for h in heads if h and h.lower().startswith("share"))
    whole = dict(zip(rows, round_shares([rows[s][share_col] for s in rows])))
    for seg in names.values():
        places = facts[seg, "share"]
        assert sum(len(v) for v in places.values()) >= 4, (seg, dict(places))  # summary, glance, sizes, persona
        assert list(places) == [whole[seg]], seg
        # the channel to reach them: one rule (the profile's mix, rounded once) everywhere it is named
        reach = reach_channel(run.profiles.table, seg)
        stated = facts[seg, "channel"]
        assert stated and list(stated) == [(reach["channel"], reach["share"])], (seg, dict(stated))
        assert list(facts[seg, f"channel {reach['channel']}"]) == [reach["share"]]
    # revenue shares add up to 100 over the segments (none suppressed in the demo)
    rev = {seg: next(iter(facts[seg, "revenue share"])) for seg in names.values()}
    assert sum(rev.values()) == 100


def test_the_reader_finds_a_second_value(demo_run, tmp_path):
    """Not vacuous: a persona subtitle changed by one point is found as a second value."""
    prs = Presentation(str(demo_run.folder / "personas.pptx"))
    names = {p.name: str(p.segment) for p in demo_run.personas if not p.suppressed}
    slide = next(s for s in prs.slides if slide_key(s) == "persona-1")
    run = owned_shapes(slide)["subtitle-1"].text_frame.paragraphs[0].runs[0]
    n = int(re.match(r"(\d+)", run.text).group(1))
    run.text = re.sub(r"^\d+", str(n + 1), run.text)
    assert len(_facts(prs, names)["1", "share"]) == 2


def test_no_internal_text_on_the_demo_slides_or_in_their_client_notes(demo_run, demo_wave2):
    for run in (demo_run, demo_wave2):
        from scan_support import _declared

        assert client_text_problems(Presentation(str(run.folder / "personas.pptx")), _declared(run.study)) == []
