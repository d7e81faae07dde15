"""The deck speaks the study's declared language (issue 26, issue 30 item 7): one table of texts
per language, numbers and dates as the language writes them, and no English sentence the deck
writes itself on a deck in another language.  The LibreOffice check of a real Danish study is
in test_gallery.py (test_a_danish_study_deck_has_no_english_sentence)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from workbench.deck.texts import EN, TEXTS, placeholders, words
from workbench.language import number

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
    assert number(1234.5, 0, "nl") == "1.234" and number(1234.5, 0, "nl-BE") == "1.234"
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
    from workbench.personas import draft_personas

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
