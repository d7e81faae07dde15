"""What a client reads on the slides (issue 32): one rounding rule for a figure beside another,
wherever it is written; table headers that start with a capital; every "all …" figure saying its
base; a quote in another language than the deck's said to be so; measures and options in the
deck's language; legends and chart labels that are not cut or covered.

Fast: unit checks on the deck's parts, and the demo's decks of the session (tests/conftest.py)."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
from pptx import Presentation

from workbench.deck.texts import TEXTS, words

LANGUAGES = sorted(TEXTS)


# ----------------------------------------------------------------------------- one rounding rule
def _trait(value, total, variable="price", block="needs", label="Price"):
    return {"variable": variable, "label": label, "block": block, "stat": "mean", "category": "",
            "measure": "mean", "value": value, "total": total, "index": 100 * value / total}


#: (segment value, total) pairs where the two homes of the rule used to disagree ('9.5 to 12' in a
#: movement beside '9 vs 12' in a persona text) or where two values read alike at the rule's decimals
PAIRS = [(9.46, 12.3), (3.41, 2.94), (3.41, 3.44), (257.2, 121.4), (0.81, 0.84), (12.04, 12.4), (1234.5, 987.25),
         (0.8, 0.8049)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_figure_beside_another_reads_alike_in_a_persona_text_and_a_key_movement(language):
    """The persona draft ('Price: 3.4 vs 2.9 for all respondents') and the key-movements slide
    ('Price rose from 2.9 to 3.4') write the same two values with the same figures: one rule
    (language.figure_pair), one home."""
    from workbench.deck.slides_trends import client_movement
    from workbench.describe.personas import _trait_text

    w = words(language)
    num = r"(-?\d(?:[\d.,\u00a0]*\d)?)"
    for value, total in PAIRS:
        persona = _trait_text(_trait(value, total), short=False, language=language)
        p = re.search(num + r"\D+?" + num, persona.split(":", 1)[1])
        moved, _ = client_movement(f"Seg: Price rose from {total} to {value}", {}, ["1", "2"], w)
        m = re.search(num + r"\D+?" + num, moved.split(":", 1)[1])
        assert (p.group(1), p.group(2)) == (m.group(2), m.group(1)), (language, value, total, persona, moved)
        assert p.group(1) != p.group(2), persona  # never 'x vs x' for two values that differ


def test_a_behaviour_figure_keeps_its_measure_s_decimals_in_persona_text_and_movements():
    """'Orders per customer' is shown with one decimal by its tiles and the matrix; from 10 the
    general rule would drop it ('12 vs 9'): the persona text and the movement keep the measure's."""
    from workbench.deck.content import format_kpi
    from workbench.deck.slides_trends import client_movement
    from workbench.describe.personas import _trait_text

    persona = _trait_text(_trait(12.34, 9.46, "frequency", "behaviour", "Orders per customer"), short=False, language="en")
    assert persona == "Orders per customer: 12.3 vs 9.5 for all respondents"
    assert format_kpi("frequency", 12.34) == "12.3 orders" and format_kpi("frequency", 9.46) == "9.5 orders"
    moved, _ = client_movement("Seg: Orders per customer rose from 9.46 to 12.34", {}, ["1", "2"], words("da"))
    assert moved == "Seg: Ordrer pr. kunde steg fra 9,5 til 12,3."


# ----------------------------------------------------------------------------- headers
def _tables(prs):
    for i, slide in enumerate(prs.slides, start=1):
        for shp in slide.shapes:
            if shp.has_table:
                yield i, shp.table


def lowercase_headers(prs) -> list[str]:
    """'slide n: text' for every header cell (and first-column cell) of a table that starts with a
    lower-case letter."""
    out = []
    for i, table in _tables(prs):
        cells = [c.text for c in table.rows[0].cells] + [r.cells[0].text for r in list(table.rows)[1:]]
        out += [f"slide {i}: {t!r}" for t in cells if t[:1].islower()]
    return out


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_table_header_text_starts_with_a_capital(language):
    heads = {k: v for k, v in TEXTS[language].items() if ".col_" in k}
    assert heads and [k for k, v in heads.items() if v[:1].islower()] == []


def test_no_lowercase_header_in_any_table_of_the_demo_decks_in_every_language(demo_run, demo_wave2):
    """The demo's two decks as written, and wave 2's data drawn in every language (appendix
    tables, matrix, migration): no header and no row name begins in lower case; the reader is
    not vacuous (a lower-case header is found)."""
    from workbench.deck import load_trends, render_deck
    from workbench.deck.data import DeckData

    for run in (demo_run, demo_wave2):
        assert lowercase_headers(Presentation(str(run.folder / "personas.pptx"))) == []
    data, personas = DeckData.load(demo_wave2.folder / "deck_data.json")
    for language in ("da", "nl"):  # every language's header texts are checked above; two drawn here
        prs = render_deck(dataclasses.replace(data, language=language), personas, trends=load_trends(demo_wave2.folder))
        assert lowercase_headers(prs) == [], language
        if language == "da":
            _, table = next(_tables(prs))
            table.cell(0, 0).text = "kontrol"
            assert lowercase_headers(prs)


# ----------------------------------------------------------------------------- the base of "all"
def base_problems(prs, data) -> list[str]:
    """What a deck says about "all …" figures that a client cannot place: a behaviour figure of
    all respondents (the matrix's '(total: …)', a persona text's 'vs … for all respondents') with
    two values, a persona text that compares without naming its base ('on average'), a tile that
    names no base or shows another value than the customer base's, a matrix whose legend does not
    say what its totals are."""
    from workbench.deck.content import TILE_KPIS, base_value, format_kpi, kpi_label

    out = []
    w = words(data.language)
    texts = [shp.text_frame.text for s in prs.slides for shp in s.shapes if shp.has_text_frame]
    cells = [c.text for _, t in _tables(prs) for r in t.rows for c in r.cells]
    head = w("matrix.all_label_survey", label="\x00", value="\x01").split("\x01")[0]  # 'label (total: '
    total = re.escape(head).replace("\x00", "(.+?)").replace(r"\ ", " ") + r"(\d[\d,.]*)"
    respondents: dict = {}
    for c in cells:
        m = re.fullmatch(total + r".*", c.replace("\u00a0", " "))
        if m:
            respondents.setdefault(m.group(1), set()).add(m.group(2))
    if respondents and not any(w("matrix.legend_total").strip() in t for t in texts):
        out.append("the matrix shows totals without saying they are all respondents")
    mean = re.compile(r"(.+?): [\d,.]+(?: %)? vs ([\d,.]+)(?: %)? for all respondents")
    share = re.compile(r"(.+?) \([\d,.]+ % vs ([\d,.]+) % for all respondents\)")
    for t in texts:
        for line in t.replace("\u00a0", " ").splitlines():
            if re.search(r"\d vs [\d,.]+(?: %)? on average", line):
                out.append(f"no base named: {line!r}")
            for rx in (mean, share):
                m = rx.fullmatch(line.strip().lstrip("•").strip())
                if m and m.group(1) in respondents:
                    respondents[m.group(1)].add(m.group(2))
    out += [f"{label}: all respondents read {sorted(v)}" for label, v in respondents.items() if len(v) > 1]
    for var in TILE_KPIS:
        v = base_value(data, var)
        if v is None:
            continue
        said = w("tile.all_base", value=format_kpi(var, v, data.currency, data.language))
        if kpi_label(var, data.language) in " ".join(texts) and not any(said in t.replace("\u00a0", " ") for t in texts):
            out.append(f"no tile says {said!r}")
    if any(re.search(r"^all customers: ", t, re.M) for t in texts):
        out.append("a tile says 'all customers' without naming the customer base")
    return out


def test_every_all_figure_names_its_base_and_each_base_has_one_value(demo_wave2):
    """The demo has a customer base (ERP): the persona texts and the matrix compare with all
    respondents and say so, with one value per measure; the tiles compare with the customer base
    and say so. Not vacuous: a persona text changed to another total is found."""
    from workbench.deck.data import DeckData

    prs = Presentation(str(demo_wave2.folder / "personas.pptx"))
    data, _ = DeckData.load(demo_wave2.folder / "deck_data.json")
    assert base_problems(prs, data) == []
    # a behaviour line of a persona text with another respondents' total than the matrix's
    shp = next(shp for s in prs.slides for shp in s.shapes if shp.has_text_frame
               and re.search(r"\(\d+\s%\svs\s\d+\s%\sfor all respondents\)", shp.text_frame.text))
    run = next(r for p in shp.text_frame.paragraphs for r in p.runs if "for all respondents" in r.text)
    run.text = re.sub(r"vs (\d+)\s%", lambda m: f"vs {int(m.group(1)) + 1} %", run.text, count=1)
    assert any("all respondents read" in x for x in base_problems(prs, data))


# ----------------------------------------------------------------------------- quotes, measures, labels
def test_a_quote_in_another_language_is_said_to_be_so_without_a_declared_language():
    from workbench.deck.content import quote_language
    from workbench.deck.quotes import guess_language

    english = "Fast delivery, and they always call back when something is wrong with our order."
    danish = "Hurtig levering, og de ringer altid tilbage, når der er noget galt med ordren."
    dutch = "Wij bestellen bijna alles zelf in de webshop, vaak 's avonds, maar de zoekfunctie is niet goed."
    swedish = "Vi beställer nästan allt själva i webbutiken, men det är svårt att hitta rätt artikel."
    assert [guess_language(t) for t in (english, danish, dutch, swedish)] == ["en", "da", "nl", "sv"]
    assert quote_language({"text": english}, "da") == "engelsk"
    assert quote_language({"text": danish}, "en") == "Danish"
    assert quote_language({"text": danish}, "da") is None and quote_language({"text": english}, "en") is None
    # a guess between two languages written alike is not said; a declared language always is
    assert quote_language({"text": danish}, "nb") is None
    assert quote_language({"text": danish, "language": "da"}, "nb") == "dansk"
    assert guess_language("OK") is None and guess_language("") is None  # too short to say


def test_the_guess_never_names_a_wrong_language_on_the_demo_s_declared_quotes(demo_study):
    """The demo declares each verbatim's language (language_from: country): the guess, made
    without it, names no other language for any of them (it may say nothing)."""
    from workbench.deck.quotes import guess_language

    answers = pd.read_csv(demo_study / "waves" / "1" / "responses.csv", sep=";", encoding="utf-8-sig",
                          dtype=str, usecols=["country", "verbatim_job", "verbatim_improve"])
    codes = {"1": "da", "2": "sv", "3": "nb", "4": "nl", "5": "nl"}
    wrong, named = [], 0
    for r in answers.itertuples(index=False):
        for text in (r.verbatim_job, r.verbatim_improve):
            if isinstance(text, str) and text.strip():
                g = guess_language(text)
                named += g is not None
                if g is not None and g != codes[r.country]:
                    wrong.append((codes[r.country], g, text))
    assert wrong == [] and named > len(answers) / 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_measures_and_behaviour_labels_are_said_in_the_deck_s_language(language):
    from workbench.deck.content import measure_words
    from workbench.deck.slides_appendix import skipped_for_client
    from workbench.core.language import MEASURE_LABELS

    w = words(language)
    assert measure_words("% selected", w) == w("measure.selected") and "selected" not in w("measure.selected") or \
        language == "en"
    assert measure_words("top-2 box %", w) == w("measure.top_box", n=2)
    assert measure_words("% Too little", w) == "% Too little"  # a level: the study's own words
    said = skipped_for_client({"measures Cost to serve, Cost to serve per order": "no cost column",
                               "measures Units per customer": "no quantity column"}, w)
    if language != "en":
        assert said == [MEASURE_LABELS[language]["cost_to_serve"], MEASURE_LABELS[language]["units"]]
        moved = __import__("workbench.deck.slides_trends", fromlist=["x"]).client_movement(
            "Seg: Days since last order rose from 238.4 to 308.2", {}, ["1", "2"], w)[0]
        assert MEASURE_LABELS[language]["recency_days"] in moved and "Days" not in moved


def test_an_answer_of_a_question_with_several_is_named_with_its_answer():
    """Two rows of one question ('% Too little', '% Too much') read as two items, never twice the
    question's label (the persona chart showed 'Spending on education' twice)."""
    from workbench.deck.content import item_label

    rows = pd.DataFrame({"label": ["Spending on parks", "Spending on parks", "Export", "Lapsed customers"],
                         "category": ["Too little", "Too much", "", "true"],
                         "block": ["needs", "needs", "needs", "behaviour"]})
    assert [item_label(r) for _, r in rows.iterrows()] == ["Spending on parks: Too little", "Spending on parks: Too much",
                                                           "Export", "Lapsed customers"]


def test_a_long_legend_name_is_cut_at_a_word_with_an_ellipsis():
    from workbench.deck.content import series_name

    name = "Klanten die uitgaven aan positie van minderheden belangrijk vinden"
    cut = series_name(name)
    assert len(cut) <= 60 and cut.endswith("…") and name.startswith(cut[:-1]) and name[len(cut) - 1] == " "
    assert series_name("Price-driven buyers") == "Price-driven buyers"


def _profile(rows):
    cols = ["block", "kind", "variable", "label", "measure", "category", "stat", "trait", "segment", "n", "value",
            "total", "index", "p_adj", "sig", "letters"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_segment_that_over_values_nothing_still_gets_a_first_move(language):
    """gss_multiselect's larger segment is only below average: its recommendation was missing
    from the recommendations slide. It now says what not to lead with, with its figures; a
    segment above average on a need is still told to lead with it."""
    from workbench.deck.content import how_to_win
    from workbench.deck.data import DeckData
    from workbench.describe.personas import Persona

    profile = _profile([
        ("needs", "needs", "n1", "Unmarried", "% selected", "", "share", True, "1", 100, 2.0, 47.0, 4.0, 0.001, "▼", ""),
        ("needs", "needs", "n2", "Poor family", "% selected", "", "share", True, "1", 100, 16.0, 50.0, 32.0, 0.001, "▼", ""),
        ("needs", "needs", "n1", "Unmarried", "% selected", "", "share", True, "2", 90, 95.0, 47.0, 202.0, 0.001, "▲", ""),
    ])
    data = DeckData(study_id="s", study_name="S", wave="1", wave_label="", date="2026-10-02", min_segment_n=30,
                    labels=(1, 2), total_n=190, segments=pd.DataFrame(), profile=profile,
                    opportunities=pd.DataFrame(), language=language)
    w = words(language)
    p1, p2 = (Persona(id=f"p{s}", segment=s, name=f"Segment {s}", description="", share=50.0, n=100)
              for s in ("1", "2"))
    lines, drafted = how_to_win(data, p1)
    assert drafted and lines == [w("win.figures", what=w("win.not_lead", label="Unmarried"), value=w.n(2.0),
                                   total=w.n(47.0))]
    lines, _ = how_to_win(data, p2)
    assert len(lines) == 1 and w("win.not_lead", label="x").split("x")[0] not in lines[0]


def test_a_ticked_option_is_a_choice_in_how_to_win_them():
    """'Speak to “Unmarried”' read as if the option were a statement: a ticked option is said as a
    choice, with its figures."""
    from workbench.deck.content import how_to_win
    from workbench.deck.data import DeckData
    from workbench.describe.personas import Persona

    profile = _profile([("needs", "needs", "n1", "Unmarried", "% selected", "", "share", True, "1", 100, 95.0, 47.0,
                         202.0, 0.001, "▲", "")])
    data = DeckData(study_id="s", study_name="S", wave="1", wave_label="", date="2026-10-02", min_segment_n=30,
                    labels=(1,), total_n=100, segments=pd.DataFrame(), profile=profile, opportunities=pd.DataFrame(),
                    language="da")
    lines, _ = how_to_win(data, Persona(id="p1", segment="1", name="S1", description="", share=50.0, n=100))
    assert lines == ["Tag udgangspunkt i »Unmarried«: det valg, de langt oftere traf (95 % mod 47 % af alle respondenter)."]


def test_every_index_chart_shows_100_and_room_for_its_smallest_label(demo_run, demo_wave2):
    """Indices: the axis shows 100 (bars cross there) and reaches at least 10 below the smallest
    index, so a label of an index near 0 does not sit on the item names; no negative tick is
    labelled. Shares: every other bar or column chart starts at 0."""
    for run in (demo_run, demo_wave2):
        prs = Presentation(str(run.folder / "personas.pptx"))
        charts = [shp.chart for s in prs.slides for shp in s.shapes if shp.has_chart]
        indexed = [c for c in charts if c.value_axis.crosses_at == 100.0]
        assert indexed
        for c in indexed:
            lo, hi = c.value_axis.minimum_scale, c.value_axis.maximum_scale
            values = [v for v in c.plots[0].series[0].values]
            assert lo <= min(values) - 10 and lo < 100 < hi and hi >= max(values) + 10
            assert c.value_axis.tick_labels.number_format == "0;;0"
        for c in charts:
            if c not in indexed and c.chart_type in (57, 51):  # bar / column clustered
                assert c.value_axis.minimum_scale in (0, 0.0), c.chart_title.text_frame.text if c.has_title else ""


# ----------------------------------------------------------------------------- the weighting line
def test_the_weighting_line_is_in_the_deck_s_language_from_the_raking_s_figures(demo_wave2):
    """The method slide words the raking from its figures in every language: the design effect
    and the weights to two decimals (the room's English sentence had three: 'design effect
    1.004'), the effective n of n grouped, the raking variables by their labels; the English
    sentence stays in the notes. The figures are the raking's own (diagnostics), not re-read."""
    from workbench.deck import render_deck
    from workbench.deck.data import DeckData
    from workbench.deck.slides_appendix import weighting_line

    data, personas = DeckData.load(demo_wave2.folder / "deck_data.json")
    fig = data.weighting_figures
    diag = demo_wave2.behaviour.weighting.diagnostics
    assert fig["design_effect"] == pytest.approx(diag["design effect"]) and fig["n"] == int(diag["n"])
    for language in LANGUAGES:
        w = words(language)
        prs = render_deck(dataclasses.replace(data, language=language), personas)
        texts = [shp.text_frame.text for s in prs.slides for shp in s.shapes if shp.has_text_frame]
        line = weighting_line(fig, w)
        assert any(line in t for t in texts), language
        assert w.n(fig["design_effect"], 2) in line and w.n(fig["effective_n"]) in line
        assert not any("Raking on" in t or re.search(r"design effect \d[.,]\d{3}", t) for t in texts), language
        notes = [s.notes_slide.notes_text_frame.text for s in prs.slides if s.has_notes_slide]
        assert any("Raking on" in n for n in notes), language
    assert "did not fully converge" in weighting_line({**fig, "converged": False}, words("en"))


# ----------------------------------------------------------------------------- movements as data
def test_a_movement_is_worded_from_the_tracking_step_s_figures_whatever_its_label_says():
    """The key movements are the tracking step's records (``DeckTrends.moves``), worded in the
    deck's language: a label holding ': ' or ' rose from ' (which a sentence read back would split
    wrongly) comes through whole, a share is said in whole per cent and a behaviour measure with
    its declared decimals, a segment's size with the sizes slide's whole shares; a record of an
    unknown kind says nothing. The English sentence, with its statistics, stays in the notes."""
    from workbench.deck.slides_trends import move_words
    from workbench.waves.tracking import _drift_sentence, _size_sentence

    odd = "Q7: price rose from the list price"
    drift = {"kind": "drift", "name": "Segment A", "indicator": "q7", "label": odd, "level": None,
             "measure": "mean", "before": 3.412, "after": 3.448, "effect": 0.21, "up": True}
    share = {**drift, "label": "Delivery", "level": "Very important", "measure": "share", "before": 0.412,
             "after": 0.538}
    spend = {**drift, "indicator": "revenue", "label": "Revenue per customer", "before": 1234.5, "after": 987.25, "up": False}
    size = {"kind": "size", "segment": "1", "name": "Segment A", "before": 0.274, "after": 0.326, "points": 5.2,
            "p": 0.001, "up": True}
    whole = {"Segment A": {"1": 27, "2": 33}}
    for language in LANGUAGES:
        w = words(language)
        said = move_words(drift, whole, ["1", "2"], w)
        assert odd in said and w.n(3.41, 2) in said and w.n(3.45, 2) in said, (language, said)
        assert w.n(41) + "\u00a0%" in move_words(share, whole, ["1", "2"], w) and "Very important" in \
            move_words(share, whole, ["1", "2"], w)
        assert w.n(33) in move_words(size, whole, ["1", "2"], w) and w.n(32.6, 1) not in move_words(size, whole,
                                                                                                    ["1", "2"], w)
        assert move_words({"kind": "something new"}, whole, ["1", "2"], w) == ""
    # revenue per customer is declared whole ('{:,.0f}', as its tile and the matrix show it)
    assert "fell from 1,235 to 987." in move_words(spend, whole, ["1", "2"], words("en"))
    assert "faldt fra 1.235 til 987." in move_words(spend, whole, ["1", "2"], words("da"))
    assert "d = +0.21" in _drift_sentence(drift) and "p = 0.001" in _size_sentence(size)
