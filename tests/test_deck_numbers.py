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
from workbench.core.measures import round_shares
from workbench.describe.personas import reach_channel


def _rx(w, key: str, **groups) -> re.Pattern:
    """A text of the deck's language table as a regex: each named placeholder becomes its group
    (other placeholders match any short text), the rest literal; case-insensitive."""
    from workbench.deck.texts import placeholders

    marks = {}
    values = {}
    for i, name in enumerate(sorted(placeholders(w.table[key]))):
        marks[name] = f"\x01{i}\x01"
        values[name] = marks[name]
    text = re.escape(w(key, **values)).replace(r"\ ", r"\s")  # '87 %' is written with U+00A0
    for name, mark in marks.items():
        text = text.replace(re.escape(mark), groups.get(name, r".{0,40}?"))
    return re.compile(text, re.I)


_NUM = r"(\d+)"


def _facts(prs, names: dict, language="en") -> dict:
    """(segment, measure) -> {value: [where]} for every figure the slides state about a segment,
    read with the deck's own texts in its language (workbench.deck.texts)."""
    from workbench.deck.texts import words

    w = words(language)
    found: dict = defaultdict(lambda: defaultdict(list))
    name_rx = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    share_rx = _rx(w, "pct_respondents", pct=_NUM)
    rev_rx = _rx(w, "glance.of_value", pct=_NUM, what=re.escape(w("value.revenue")))
    chan_rx = [_rx(w, k, channel=r"([\w ]+?)", pct=_NUM) for k in ("summary.reach", "glance.reach_line", "win.reach",
                                                                     "win.reach_base")]

    def owner(text, pos):
        """The persona named last before ``pos`` in ``text`` (None when none is)."""
        hits = [m for m in name_rx.finditer(text) if m.start() < pos]
        return names[hits[-1].group(0)] if hits else None

    for i, text in _slide_texts(prs):
        for m in share_rx.finditer(text):
            seg = owner(text, m.start())
            if seg is not None:
                found[seg, "share"][int(m.group(1))].append(f"slide {i}")
        for m in rev_rx.finditer(text):
            seg = owner(text, m.start())
            if seg is not None:
                found[seg, "revenue share"][int(m.group(1))].append(f"slide {i}")
        for rx in chan_rx:
            for m in rx.finditer(text):
                seg = owner(text, m.start())
                if seg is not None:
                    found[seg, "channel"][(m.group(1), int(m.group(2)))].append(f"slide {i}")
    for i, s in enumerate(prs.slides, start=1):
        key = slide_key(s)
        shapes = owned_shapes(s)
        if key and key.startswith("persona-") and "subtitle-1" in shapes:
            seg = key.split("-")[1]
            m = share_rx.match(shapes["subtitle-1"].text_frame.text)
            if m:
                found[seg, "share"][int(m.group(1))].append(f"slide {i} subtitle")
        if key == "glance":
            card = None
            for skey in sorted((k for k in shapes if k.startswith("text-")), key=lambda k: int(k.split("-")[1])):
                text = shapes[skey].text_frame.text if shapes[skey].has_text_frame else ""
                if text in names:
                    card = names[text]
                elif card is not None and text:
                    for m in share_rx.finditer(text):
                        found[card, "share"][int(m.group(1))].append(f"slide {i} glance")
                    for m in rev_rx.finditer(text):
                        found[card, "revenue share"][int(m.group(1))].append(f"slide {i} glance")
                    for rx in chan_rx:
                        for m in rx.finditer(text):
                            found[card, "channel"][(m.group(1), int(m.group(2)))].append(f"slide {i} glance")
        if key == "sizes":
            chart = shapes["chart-1"].chart
            cats = [str(c).split(" (n=")[0] for c in chart.plots[0].categories]
            series_names = {w("sizes.series"): "share",
                            w("sizes.series_value", what=w("value.revenue")): "revenue share"}
            for series in chart.plots[0].series:
                measure = series_names.get(series.name)
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
                for rx in chan_rx[2:]:
                    m = rx.search(shp.text_frame.text)
                    if m:
                        seg = key.split("-")[1]
                        found[seg, f"channel {m.group(1)}"][int(m.group(2))].append(f"slide {i} how to win")
    return found


def check_numbers(prs, names: dict, rows: dict, share_col: str, profile_table, language="en", *, min_places=4):
    """Every segment × measure has one value on the slides, and a segment's share is the
    workbook's under the one rounding rule; the channel to reach them is reach_channel's."""
    facts = _facts(prs, names, language)
    for (seg, measure), values in facts.items():
        assert len(values) == 1, f"segment {seg}, {measure}: {dict(values)}"
    whole = dict(zip(rows, round_shares([rows[s][share_col] for s in rows])))
    for seg in names.values():
        places = facts[seg, "share"]
        assert sum(len(v) for v in places.values()) >= min_places, (seg, dict(places))
        assert list(places) == [whole[seg]], seg
        reach = reach_channel(profile_table, seg)
        stated = facts[seg, "channel"]
        if reach is None:
            assert not stated, (seg, dict(stated))
            continue
        assert stated and list(stated) == [(reach["channel"], reach["share"])], (seg, dict(stated))
        assert list(facts[seg, f"channel {reach['channel']}"]) == [reach["share"]]
    return facts


@pytest.mark.parametrize("which", ["demo_run", "demo_wave2"])
def test_one_value_per_segment_and_measure_and_it_is_the_workbooks(which, request):
    run = request.getfixturevalue(which)
    prs = Presentation(str(run.folder / "personas.pptx"))
    names = {p.name: str(p.segment) for p in run.personas if not p.suppressed}
    rows, heads = _overview(run)
    share_col = next(h for h in heads if h and h.lower().startswith("share"))
    # one value per segment × measure; shares (summary, glance, sizes, persona) as the workbook's
    facts = check_numbers(prs, names, rows, share_col, run.profiles.table)
    for seg in names.values():
        assert facts[seg, "channel"], seg  # the demo has a channel for every segment
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
