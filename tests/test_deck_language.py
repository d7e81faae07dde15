"""The deck speaks the study's declared language (issue 26, issue 30 item 7): one table of texts
per language, numbers and dates as the language writes them, and no English sentence the deck
writes itself on a deck in another language.  The LibreOffice check of a real Danish study is
in test_gallery.py (test_a_danish_study_deck_has_no_english_sentence)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from workbench.deck.texts import EN, TEXTS, placeholders, words
from workbench.core.language import number

#: English words that are no word of the other deck languages (as in test_gallery.py).
ENGLISH_WORDS = {"the", "of", "and", "with", "which", "their", "them", "they", "who", "than", "from", "this", "that",
                 "are", "were", "was", "each", "every", "only", "respondents", "customers", "above", "below",
                 "average", "share", "how", "what", "why", "not", "your", "these", "those", "would",
                 "should", "could", "other", "revenue", "wave", "none", "candidate", "chosen"}


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_every_language_has_every_text_with_its_placeholders(language):
    table = TEXTS[language]
    assert set(table) == set(EN), (set(EN) - set(table), set(table) - set(EN))
    wrong = [k for k in EN if placeholders(EN[k]) != placeholders(table[k])]
    assert wrong == []


@pytest.mark.parametrize("language", sorted(set(TEXTS) - {"en"}))
def test_no_text_of_another_language_is_left_english(language):
    """A text equal to the English one must be a term the language shares (BIC, k, status)."""
    same = [k for k in EN if TEXTS[language][k] == EN[k] and re.search(r"[a-z]{4,}", EN[k])
            and set(re.findall(r"[a-z]+", EN[k].lower())) & ENGLISH_WORDS]
    assert same == []


def test_a_wave_name_that_says_the_wave_is_not_prefixed():
    """The title slide adds 'Bølge 2: ' only to a wave name that does not already say the wave (in any language)."""
    from workbench.deck.slides_summary import _says_the_wave

    assert _says_the_wave("Bølge 2 – efterår 2026", "2") and _says_the_wave("Wave 2, autumn 2026", "2")
    assert _says_the_wave("meting 3", "3") and _says_the_wave("Våg 2 hösten", "2")
    assert not _says_the_wave("Wave 12", "1") and not _says_the_wave("Autumn 2026", "2")
    assert not _says_the_wave("Wave 1, spring", "2")


def test_numbers_and_dates_as_each_language_writes_them():
    assert number(1234567.891, 1, "en") == "1,234,567.9"
    assert number(1234567.891, 1, "da") == "1.234.567,9"
    assert number(1234.5, 1, "sv") == "1\u00a0234,5"
    assert number(1234.5, 0, "nl") == "1.235" and number(1234.5, 0, "nl-BE") == "1.235"
    # Excel's and PowerPoint's rounding (half away from zero), not Python's (half to even), so a
    # text agrees with the workbook cell and the chart label of the same value
    assert [number(v, d) for v, d in ((38294.5, 0), (2.5, 0), (-2.5, 0), (0.125, 2), (2.675, 2))] == \
        ["38,295", "3", "-3", "0.13", "2.68"]
    assert number(-0.4, 0) == "0" and number(-0.04, 1, "da") == "0,0"  # no minus zero
    assert number(-0.25, 2, "nb", sign=False) == "-0,25" and number(3, 1, "no", sign=True) == "+3,0"
    da = words("da-DK")
    assert da.language == "da" and da.date("2026-09-07") == "7. september 2026"
    assert da.dates("2026-09-07", "2026-10-02") == "7. september – 2. oktober 2026"
    assert words("en").dates("2025-12-30", "2026-01-02") == "30 December 2025 – 2 January 2026"
    assert da.fmt("{:,.1f}", 12345.67) == "12.345,7" and da.fmt("{:.0f} %", 45.4) == "45 %"
    assert da.join(["a", "b", "c"]) == "a, b og c"
    assert words("xx").language == "en"  # no table: English


def _deck_texts(prs) -> list[str]:
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
                if shp.chart.has_title:
                    out.append(shp.chart.chart_title.text_frame.text)
    return out


def test_the_demo_deck_in_danish_has_no_english_text_the_deck_wrote(demo_wave2):
    """The demo's wave-2 data (behaviour, outcomes, trends, the frozen model) drawn as a Danish
    deck: with the study's own words (labels, categories, persona texts, names) taken out, no
    text holds an English word; numbers carry the decimal comma."""
    from workbench.deck import load_trends, render_deck
    from workbench.deck.data import DeckData
    from workbench.describe.personas import draft_personas

    run = demo_wave2
    data, _ = DeckData.load(run.folder / "deck_data.json")
    data = dataclasses.replace(data, language="da")
    personas = draft_personas(run.profiles, opportunities=run.opportunities, language="da", random_state=1)
    prs = render_deck(data, personas, trends=load_trends(run.folder))
    study_words = set()
    for frame, cols in ((data.profile, ("label", "category", "measure")), (data.opportunities, ("label",))):
        for c in cols:
            if c in frame.columns:
                study_words |= {str(x) for x in frame[c].dropna() if str(x)}
    study_words |= {p.name for p in personas} | {str(q) for q in (data.recognise or {}).get("questions", [])}
    # the run's own persona names (personas.yaml, English in the demo) as the accounts and migration data carry them
    study_words |= {p.name for p in run.personas}
    study_words |= {data.study_name, data.wave_label}  # the wave's name as study.yaml declares it
    study_words |= {str(f) for f in data.factors.get("items", [])} | {str(f) for f in data.factors.get("factor", [])}
    study_words |= {str(f) for f in data.factors.get("battery", [])}
    bad = []
    for text in _deck_texts(prs):
        for w in sorted(study_words, key=len, reverse=True):
            if len(w) > 2:
                text = text.replace(w, " ")
        text = re.sub(r"[^,;:\n]*…", " ", text)  # a study label cut to fit its cell ('Track and …')
        hit = ENGLISH_WORDS & set(re.findall(r"[a-z]+", text.lower()))
        if hit:
            bad.append((sorted(hit), text[:120]))
    assert bad == []
    texts = "\n".join(_deck_texts(prs))
    # a wave name that already says the wave ('Wave 2, autumn 2026') gets no prefix of the deck's ('Bølge 2: ')
    assert data.wave_label in texts and f"Bølge 2: {data.wave_label}" not in texts
    assert "Bølge 2" in texts and "Segmenternes størrelse og værdi" in texts and re.search(r"\d+,\d", texts)


def _plain_data(language, **extra):
    """A DeckData with only what the migration, accounts and forward slides read."""
    import pandas as pd

    from workbench.deck.data import DeckData

    return DeckData(study_id="s", study_name="Studie", wave="2", wave_label="", date="2026-10-02", min_segment_n=30,
                    labels=(1, 2, 3), total_n=500, segments=pd.DataFrame(), profile=pd.DataFrame(),
                    opportunities=pd.DataFrame(), language=language, currency="DKK", **extra)


ACCOUNTS = {"n_customers": 1190, "n_several": 700, "segments": [[1, "Pris"], [2, "Rådgivning"], [3, "Webshop"]],
            "value_label": "Revenue", "fitted_wave": "1",
            # the types as the accounts step saves them (workbench.steps.deck._types): kind and segments
            "types": [{"kind": "consensus", "segments": [1]}, {"kind": "split", "segments": [1, 2]},
                      {"kind": "mixed", "segments": [1, 2, 3]}, {"kind": "one", "segments": []}],
            "rule": {"consensus": 0.7, "split": 0.7, "each": 0.2}}
ACCOUNT_CLASSES = {"account_class": [1, 2, 3, 4], "accounts": [400, 200, 60, 40],
                   "type": ["consensus: Pris", "split: Pris vs Rådgivning", "mixed: Pris, Rådgivning, Webshop",
                            "one type: accounts do not differ in their mix of segments beyond chance"],
                   "share_fitted": [0.55, 0.3, 0.1, 0.05], "mix_1": [0.9, 0.48, 0.4, 0.3],
                   "mix_2": [0.1, 0.52, 0.35, 0.3], "mix_3": [0.0, 0.0, 0.25, 0.4], "value": [1200.5, 5400.0, 800.0, 0.0]}


def _forward(months):
    import pandas as pd

    segs = pd.DataFrame({"segment": [1, 2, 3], "lapsed %": [12.34, 30.5, 8.0], "switched %": [4.5, None, 2.25],
                         "n": [200, 150, 150]})
    lift = pd.DataFrame({"outcome": ["lapsed", "channel_switch", "revenue_change"], "metric": ["AUC", "AUC", "R²"],
                         "baseline": [0.875, 0.74, -0.004], "with segments": [0.893, 0.75, 0.101],
                         "low": [0.001, -0.01, 0.02], "high": [0.035, 0.016, 0.2], "status": ["pass", "fail", "pass"]})
    return {"horizon": months, "status": "pass", "segments": segs, "lift": lift,
            "headline": f"Knowing a customer's segment predicts who stops buying in the {months} months after the "
                        "survey better than the order history alone."}


def _three_slides(language, months=6):
    """The migration, accounts and forward slides of one language, from plain data (no run)."""
    import pandas as pd

    from workbench.deck.data import DeckTrends, frame_to_json
    from workbench.deck.layout import DEFAULT_TEMPLATE, PALETTE, Canvas, segment_colours
    from workbench.deck.render import open_template
    from workbench.deck.slides_accounts import accounts_slide
    from workbench.deck.slides_forward import forward_slide
    from workbench.deck.slides_migration import migration_slides
    from test_deck_migration import MIG, SIZES

    names = {1: "Pris", 2: "Rådgivning", 3: "Webshop"}
    english = {n: names[s] for s, n in MIG["segments"]}
    mig = {**MIG, "n_panel": 4750, "message": "",
           "segments": [[s, names[s]] for s in (1, 2, 3)],
           "per_segment": [{**p, "came_from": [[names[3], 17]] if p["segment"] == 1 else p["came_from"],
                            "went_to": [[english[n], v] for n, v in p["went_to"]]} for p in MIG["per_segment"]]}
    data = _plain_data(language, accounts={**ACCOUNTS, "classes": frame_to_json(pd.DataFrame(ACCOUNT_CLASSES))},
                       forward=_forward(months))
    prs = open_template(DEFAULT_TEMPLATE)
    d = Canvas(prs, footer="Studie", palette=PALETTE, w=words(language))
    colours = segment_colours([1, 2, 3], PALETTE)
    migration_slides(d, DeckTrends(sizes=SIZES, migration=mig), colours, names)
    accounts_slide(d, data)
    forward_slide(d, data, {str(k): v for k, v in names.items()}, colours)
    changed = {**mig, "readable": False, "drift": []}
    migration_slides(d, DeckTrends(sizes=SIZES, migration=changed), colours, names)
    return prs, set(names.values())


def test_migration_accounts_and_forward_slides_in_danish_have_no_english_sentence():
    """The three slide modules written in parallel wrote English literals.  Drawn in Danish
    from plain data, with the segment names taken out, no text on the slides or in their
    notes holds an English word; types, numbers and the horizon are Danish."""
    prs, names = _three_slides("da")
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == ["Hvor gik hvert segments kunder hen?", "Blev, kom fra, gik til",
                      "Kundekonti: typer af købscentre", "Forudsiger segmenterne de næste 6 måneder?",
                      "Hvor gik hvert segments kunder hen?"]
    # the notes' consultant section has a Danish heading too (tests/scan_support.py splits on it)
    notes = [s.notes_slide.notes_text_frame.text for s in prs.slides]
    assert any("Til konsulenten (ikke til kunden):" in n for n in notes)
    assert not any("consultant" in n for n in notes)
    texts = _deck_texts(prs) + notes
    bad = []
    for text in texts:
        for n in names:
            text = text.replace(n, " ")
        hit = ENGLISH_WORDS & set(re.findall(r"[a-z]+", text.lower())) | (
            {"stayed", "went", "came", "consensus", "split", "mixed", "gain", "stopped", "hardly"}
            & set(re.findall(r"[a-z]+", text.lower())))
        if hit:
            bad.append((sorted(hit), text[:100]))
    assert bad == []
    cells = _deck_texts(prs)
    assert {"Enighed: Pris", "Delt: Pris mod Rådgivning", "Blandet: Pris, Rådgivning, Webshop",
            "Bølge 1 → bølge 2", "Pris 90\u00a0%, Rådgivning 10\u00a0%", "Andel i bølge 1", "Omsætning pr. konto (DKK)",
            "5.400", "Webshop 17\u00a0%", "næsten ingen", "Konti", "Andel af konti"} <= set(cells), set(cells)
    assert any(c.startswith("Én type: kontiene adskiller sig ikke") for c in cells)
    assert any(t.startswith("4.750 kunder interviewet i både bølge 1 og bølge 2: for hvert segment") for t in cells)
    notes = prs.slides[3].notes_slide.notes_text_frame.text
    assert "Segment 1: stoppede med at købe 12,3\u00a0%, skiftede kanal 4,5\u00a0% (n=200)." in notes
    assert "Segment 2: stoppede med at købe 30,5\u00a0% (n=150)." in notes
    assert "AUC 0,875 → 0,893 (interval for gevinsten +0,001 til +0,035), opfyldt." in notes
    body = " ".join(_deck_texts(_only(prs, 3)))
    assert "med segmentet 10\u00a0%" in body  # R² as a share of the differences explained, never below 0


def _only(prs, index):
    """A stand-in presentation holding one slide (for :func:`_deck_texts`)."""
    return type("One", (), {"slides": [prs.slides[index]]})()


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_forward_title_follows_the_horizon_in_every_language(language):
    from workbench.deck.slides_forward import forward_title

    w = words(language)
    six, year = forward_title({"horizon": 6}, w), forward_title({"horizon": 12}, w)
    assert w.n(6) in six and six != year and year == w("fwd.title")
    assert "6" not in year and "12" not in year  # a year says so in words
    if language == "en":
        assert (six, year) == ("Do the segments predict the next 6 months?", "Do the segments predict next year?")


def test_english_slides_keep_their_words_and_the_agenda_lists_them():
    import pandas as pd

    from workbench.deck.data import DeckTrends, frame_to_json
    from workbench.deck.slides_overview import agenda_items
    from test_deck_migration import MIG, SIZES

    prs, _ = _three_slides("en", months=12)
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[:4] == ["Where did each segment's customers go?", "Stayed, came from, went to",
                          "Accounts: buying-centre types", "Do the segments predict next year?"]
    cells = set(_deck_texts(prs))
    assert {"Consensus: Pris", "Split: Pris vs Rådgivning", "Revenue per account (DKK)", "5,400",
            "Share in wave 1"} <= cells
    for language in ("en", "da"):
        w = words(language)
        data = _plain_data(language, forward=_forward(6))
        items = agenda_items(data, [], DeckTrends(sizes=SIZES, migration=MIG))
        # the order of the deck: changes, migration, how the segments differ, the forward slide, the personas
        at = items.index(w("agenda.trends"))
        assert items[at:at + 4] == [w("agenda.trends"), w("agenda.migration"), w("agenda.matrix"),
                                    w("fwd.title_months", months=6)]
        assert w("agenda.personas0") == items[at + 4]
        assert w("agenda.migration") not in agenda_items(data, [], DeckTrends(sizes=SIZES))
        assert w("fwd.title_months", months=6) not in agenda_items(_plain_data(language), [], None)
        # the accounts slide, after the sizes, when the run has account classes
        assert w("acc.title") not in items
        classes = frame_to_json(pd.DataFrame(ACCOUNT_CLASSES))
        with_accounts = _plain_data(language, accounts={**ACCOUNTS, "classes": classes})
        listed = agenda_items(with_accounts, [], None)
        assert listed[listed.index(w("sizes.title")) + 1] == w("acc.title")


def test_the_deck_words_the_account_types_the_accounts_step_saves():
    """The accounts room decides a type (consensus / split / mixed, and its segments) and the
    step saves it as plain data; the deck only words it, with the segments' names in its
    language, whatever the names hold (' vs ', ' mod ')."""
    from workbench.deck.slides_accounts import type_text

    names = {1: "Pris vs kvalitet", 2: "Rådgivning mod alt", 7: "Webshop"}
    da, en = words("da"), words("en")
    assert type_text({"kind": "split", "segments": [2, 1]}, da, names) == "delt: Rådgivning mod alt mod Pris vs kvalitet"
    assert type_text({"kind": "consensus", "segments": [7]}, da, names) == "enighed: Webshop"
    assert type_text({"kind": "mixed", "segments": [7, 1, 2]}, en, names) == \
        "mixed: Webshop, Pris vs kvalitet, Rådgivning mod alt"
    assert type_text({"kind": "one", "segments": []}, da, names) == da("acc.one_type")
    assert type_text({"kind": "consensus", "segments": [4]}, en, names) == "consensus: " + en("segment_n", segment=4)
    # deck data saved before the types were plain data: the room's text, as it is
    assert type_text("consensus: Pris", da, names) == "consensus: Pris"
    # the rule's thresholds in the notes are the step's, not the deck's
    prs, _ = _three_slides("da")
    notes = prs.slides[2].notes_slide.notes_text_frame.text
    assert "mindst 70\u00a0%" in notes and "mindst 20\u00a0%" in notes


def _runs(prs):
    """Every text run of the slides (text boxes and table cells)."""
    for slide in prs.slides:
        for shp in slide.shapes:
            frames = [shp.text_frame] if shp.has_text_frame else []
            frames += [c.text_frame for row in shp.table.rows for c in row.cells] if shp.has_table else []
            for tf in frames:
                for p in tf.paragraphs:
                    yield from p.runs


def test_a_number_and_its_unit_stay_on_one_line():
    """'87 %' broke between '87' and '%' at a line end (the key-findings slide): every text the deck
    writes holds a number and its '%' or currency code together with U+00A0, the chart labels too."""
    from workbench.deck.texts import PCT, keep_units

    assert keep_units("87 % of 38,295 EUR; segment 2 of 5 (95 % interval 3-7 %)") == \
        "87\u00a0% of 38,295\u00a0EUR; segment 2 of 5 (95\u00a0% interval 3-7\u00a0%)"
    assert keep_units("Eur 5 Euro, 3 EURO") == "Eur 5 Euro, 3 EURO"  # a code is three capitals, no more
    assert PCT == '0"\u00a0%"'
    for language in ("en", "da"):
        prs, _ = _three_slides(language)
        texts = _deck_texts(prs) + [s.notes_slide.notes_text_frame.text for s in prs.slides]
        assert [t for t in texts if re.search(r"\d[ \t]%", t)] == []
        assert sum(t.count("\u00a0%") for t in texts) > 20


def test_a_deck_written_with_plain_spaces_before_units_updates_as_unedited():
    """A deck the workbench wrote before units were held to their number ('87 %' with a plain
    space) is not taken for a text the consultant rewrote: the update refreshes it."""
    from dataclasses import replace

    from workbench.deck.update import update_presentation

    reports = []
    for plain in (False, True):
        old, _ = _three_slides("en")
        if plain:
            assert sum("\u00a0" in r.text for r in _runs(old)) > 20
            for r in _runs(old):
                r.text = r.text.replace("\u00a0", " ")
        base, _ = _three_slides("en")
        new, _ = _three_slides("en", months=12)
        reports.append(update_presentation(old, base, new))
        assert old.slides[3].shapes.title.text == "Do the segments predict next year?"
        assert [r.text for r in _runs(old)] == [r.text for r in _runs(new)]
    # the same update as of the deck written with U+00A0: nothing taken for the consultant's words
    # (only more texts refreshed)
    assert replace(reports[1], refreshed=0) == replace(reports[0], refreshed=0) and reports[1].merged == []
    assert reports[1].refreshed > reports[0].refreshed


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_revenue_change_the_segments_do_not_predict_is_said_plainly(language):
    """The forward slide read "explains 0 % … with the segment 0 %" (the demo: R² −0.000 → −0.003):
    where the segments add nothing that shows, the line says so, in every deck language."""
    import pandas as pd

    from workbench.deck.slides_forward import lift_lines

    w = words(language)
    what = w("fwd.out_revenue")

    def line(base, with_, status):
        lift = pd.DataFrame({"outcome": ["revenue_change"], "metric": ["R²"], "baseline": [base],
                             "with segments": [with_], "low": [-0.01], "high": [0.01], "status": [status]})
        return lift_lines({"lift": lift}, w)[0]

    nothing = line(-0.0001, -0.003, "fail")
    assert nothing == w("fwd.r2_none", what=what) and w.pct(0) not in nothing
    assert line(0.12, 0.118, "fail") == w("fwd.r2_nothing", what=what, base=w.n(12))  # a loss: nothing added
    assert line(0.12, 0.1204, "fail") == w("fwd.r2_nothing", what=what, base=w.n(12))  # rounds away, not sure
    assert line(0.12, 0.2, "pass") == w("fwd.r2", what=what, base=w.n(12), with_=w.n(20), verdict=w("fwd.adds"))
    # a sure gain below half a point still reads as a gain, one decimal more
    assert line(0.12, 0.1234, "pass") == w("fwd.r2", what=what, base=w.n(12, 1), with_=w.n(12.3, 1),
                                           verdict=w("fwd.adds"))
    assert w("fwd.r2_nothing", what="X", base="5") != w("fwd.r2_none", what="X")


def test_the_forward_chart_legend_lists_the_series_in_the_order_of_the_bars():
    """The legend read "Changed main channel, Stopped buying" over bars in the other order: a bar
    chart's legend follows its bars from the top only on a category axis that is not reversed, where
    the top bar is the last category's last series."""
    prs, _ = _three_slides("en")
    chart = next(sh.chart for sh in prs.slides[3].shapes if sh.has_chart)
    plot = chart.plots[0]
    assert not chart.category_axis.reverse_order and chart.has_legend
    assert list(plot.categories)[::-1] == ["Pris", "Rådgivning", "Webshop"]  # the first segment on top
    # from the top of each bar group down, as the legend lists them
    assert [s.name for s in plot.series][::-1] == ["Stopped buying (%)", "Changed main channel (%)"]
    assert list(plot.series[-1].values)[::-1] == [12.0, 30.0, 8.0]  # stopped buying, segment by segment


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_every_text_quotes_in_the_language_s_own_marks(language):
    """A Danish key finding read 'skiller sig ud på “Gør tingene halvhjertet”' under a persona named
    'Kunder, der siger: »…«': one deck, one kind of quotation marks, the language's (``'quote'``)."""
    w = words(language)
    own = set(w("quote", text=""))
    used = {c for text in w.table.values() for c in str(text) if c in "“”„»«‘’‚\""}
    inner = {"‘", "’"} if language == "en" else {"’"}  # English quotes within a quote in ‘…’; ’ is an apostrophe
    assert used <= own | inner, sorted(used - own)


def test_the_method_slide_names_what_the_run_lacks_in_client_words():
    """The English method slide read "forward outcomes, 12-month horizon (12-month horizon (to …) skipped:
    …); classification (this wave fits its own segmentation (no earlier model file))" and the Danish
    one "migration": the parts the study lacks in the deck's words, nothing a first wave cannot have."""
    from workbench.deck.slides_appendix import skipped_for_client

    demo_w1 = {"classification": "this wave fits its own segmentation (no earlier model file)",
               "forward outcomes, 12-month horizon": "12-month horizon (to 2027-03-31) skipped: the transactions end "
                                                     "on 2026-09-30, 6 months missing",
               "migration": "no earlier model: the wave the segmentation is fitted on has no earlier wave to move from",
               "tracking": "no earlier model: the wave the segmentation is fitted on has nothing to be tracked against"}
    demo_w2 = {"segments": "a later wave: classified with the frozen model, nothing fitted",
               "forward outcomes": "no forward outcomes yet: 6-month horizon (to 2027-03-30) skipped: no line is dated "
                                   "after the reference date, 6 months missing; 12-month horizon (to 2027-09-30) skipped"}
    gallery_w2 = {"behaviour": "study declares no behaviour data", "forward": "study declares no behaviour data",
                  "opportunities": "the study has no JTBD outcomes block (no outcome with an importance and a "
                                   "satisfaction question)",
                  "migration": "0 respondents answered in two waves (linked by respondent id); transitions need at least 30",
                  "measures cost_to_serve, cost_per_order": "no delivery_cost or handling_cost column in the transactions"}
    en, da = words("en"), words("da")
    assert skipped_for_client(demo_w1, en) == ["next year's behaviour"]
    assert skipped_for_client(demo_w2, en) == ["behaviour in the next 6 months"]
    assert skipped_for_client(gallery_w2, en) == ["behaviour", "next year's behaviour", "opportunity scores",
                                                  "who moved between segments", "Cost to serve"]
    assert skipped_for_client(gallery_w2, da) == ["adfærd", "næste års adfærd", "mulighedsscorer",
                                                  "skift mellem segmenter", "Betjeningsomkostning"]
