"""Quotes tagged with their language and shown with a translation (issue 17, deliverable 4).

The study declares the language of an open question's answers (``language:``, or per
respondent ``language_from:`` with ``language_map:``) and a column holding translations
(``translation:``); a consultant may add or correct a translation in personas.yaml.
"""

from __future__ import annotations

import pandas as pd
import pytest
from workbench.files import safeyaml

from conftest import MINI_ROWS, MINI_STUDY, write_mini
from workbench.deck.content import quote_language, quote_translation
from workbench.core.errors import StudyError
from workbench.describe.personas import apply_persona_edits, draft_personas, merge_personas
from workbench.describe.profiles import profile
from workbench.quality import check_quality
from workbench.data.readers import read_responses
from workbench.study import load_study

WHY = '      - {id: why, text: "Hvorfor køber I hos os?"}'
TRANSLATED = ('      - {id: why, text: "Hvorfor køber I hos os?", language: da, translation: why_en}\n'
              '      - {id: why_en, text: "Why do you buy from us? (translation)"}')
EN = ["why_en", "Good prices on pipes and fittings", "Fast delivery, on Saturdays too", "The advice is worth gold to us", ""]


def _mini(tmp_path, study=None, rows=None):
    study = study if study is not None else MINI_STUDY.replace(WHY, TRANSLATED).replace("language: da", "language: en", 1)
    rows = rows if rows is not None else [r[:8] + [x] + r[8:] for r, x in zip(MINI_ROWS, EN)]
    return write_mini(tmp_path / "m", study=study, rows=rows)


def _drafts(folder):
    study = load_study(folder)
    resp = read_responses(study, "1")
    labels = pd.Series([1, 1, 2, 2], index=resp.data.index)
    return study, resp, draft_personas(profile(resp, labels, min_segment_n=1), resp, random_state=1)


def test_quotes_carry_their_language_and_the_same_respondents_translation(tmp_path):
    study, resp, drafts = _drafts(_mini(tmp_path))
    quotes = [q for p in drafts for q in p.quotes]
    assert quotes
    for q in quotes:
        assert q["question"] == "why"  # the translation column is not quoted on its own
        assert q["language"] == "da"
        assert q["translation"] == resp.data.at[q["respondent"], "why_en"]
    assert quote_language(quotes[0], study.spec.study.language) == "Danish"
    assert quote_translation(quotes[0], study.spec.study.language) == quotes[0]["translation"]


def test_quote_language_and_translation():
    sv = {"text": "Att vi ser lagersaldo.", "language": "sv", "translation": "That we see stock."}
    assert (quote_language(sv, "en"), quote_translation(sv, "en")) == ("Swedish", "That we see stock.")
    assert (quote_language({"text": "Snel leveren.", "language": "nl-BE"}, "en"), quote_translation({"text": "x"}, "en")) \
        == ("Flemish", None)
    assert quote_language({"text": "Fast delivery.", "language": "en"}, "en") is None
    assert quote_language({"text": "Hurtig levering.", "language": "da", "translation": "Fast."}, "da") is None
    assert quote_translation({"text": "Hurtig levering.", "language": "da", "translation": "Fast."}, "da") is None
    assert quote_language({"text": "No language known."}, "en") is None


def test_language_per_respondent_from_the_country(demo_study):
    """The demo declares language_from: country with a language map; every quote's language is its author's."""
    study = load_study(demo_study)
    raw = read_responses(study, "1")
    resp = check_quality(raw, study).apply(raw)
    mapping = dict(study.columns["verbatim_job"].language_map)
    labels = pd.Series(1 + (resp.data["country"].fillna(1).astype(int) % 2), index=resp.data.index)
    drafts = draft_personas(profile(resp, labels, min_segment_n=1), resp, random_state=2, n_quotes=5)
    quotes = [q for p in drafts for q in p.quotes]
    assert quotes
    for q in quotes:
        country = resp.data.at[q["respondent"], "country"]
        assert q["language"] == mapping[str(int(country))]
    assert len({q["language"] for q in quotes}) >= 2


@pytest.mark.parametrize("edit, message", [
    ("language_from: land", "blocks.open.questions[0].language_from: 'land' is not a declared question"),
    ("language_from: size, language_map: {1: da, 7: sv}", "questions[0].language_map: 7 is not a code of 'size' (its codes: 1, 2, 3)"),
    ("language: dansk", "language must be a language code"),
    ("language_map: {1: da}", "questions[0].language_map: needs language_from:"),
    ("language: da, language_from: size", "give either language: (one for every answer) or language_from:"),
    ("translation: why", "questions[0].translation: a question cannot be its own translation"),
])
def test_bad_language_declarations_are_clear_errors(tmp_path, edit, message):
    study = MINI_STUDY.replace(WHY, '      - {id: why, text: "Hvorfor køber I hos os?", ' + edit + "}")
    with pytest.raises(StudyError) as info:
        load_study(write_mini(tmp_path / "s", study=study))
    assert message in str(info.value)


def test_language_on_a_rating_question_is_refused(tmp_path):
    study = MINI_STUDY.replace('{id: n2, text: "Hurtig levering"}', '{id: n2, text: "Hurtig levering", translation: why}')
    with pytest.raises(StudyError, match=r"blocks\.needs\.questions\[1\]\.translation: only open questions \(a block of "
                                         r"kind 'verbatims'\) have a translation, not questions of 'needs'"):
        load_study(write_mini(tmp_path / "s", study=study))


def test_a_translation_added_in_personas_yaml_is_shown_and_checked(tmp_path):
    folder = _mini(tmp_path, study=MINI_STUDY.replace("language: da", "language: en", 1)
                   .replace(WHY, '      - {id: why, text: "Hvorfor køber I hos os?", language: da}'),
                   rows=MINI_ROWS)
    study, resp, drafts = _drafts(folder)
    path = tmp_path / "personas.yaml"
    run = merge_personas(drafts, path)
    first = run.personas[0].quotes[0]
    assert (quote_language(first, "en"), quote_translation(first, "en")) == ("Danish", None)
    doc = safeyaml.safe_load(path.read_text(encoding="utf-8"))
    doc["personas"][0]["quotes"][0]["translation"] = "Fast delivery, on Saturdays too"
    path.write_text(safeyaml.dump(doc), encoding="utf-8")
    edited = apply_persona_edits(run, path)
    assert quote_translation(edited.personas[0].quotes[0], "en") == "Fast delivery, on Saturdays too"
    doc["personas"][0]["quotes"][0]["language"] = "Danish"
    path.write_text(safeyaml.dump(doc), encoding="utf-8")
    with pytest.raises(StudyError, match=f"persona {run.personas[0].id}: a quote's language must be a language code"):
        apply_persona_edits(run, path)


def test_one_persona_keeps_one_quote_across_waves(tmp_path):
    """Issue 26: wave 2's deck shows the quote wave 1's deck showed (first), this wave's quotes
    after it; a segment that matches no stored persona gets this wave's quotes."""
    from dataclasses import replace

    from workbench.describe.personas import EDITABLE, Persona, Personas, _hash, merge_personas

    def persona(pid, seg, quote, profile):
        p = Persona(id=pid, segment=seg, name=f"Name {seg}", description="d", quotes=({"text": quote, "question": "q"},),
                    profile=profile)
        return replace(p, draft_hashes={f: _hash(p.field_value(f)) for f in EDITABLE})

    path = tmp_path / "personas.yaml"
    Personas(personas=(persona("P1", 1, "The wave 1 quote of segment one.", {"a": 1.0, "b": 2.0}),),
             study_id="s", wave="1").save(path)
    wave2 = Personas(personas=(persona("P1", 1, "A fresh wave 2 quote, segment one.", {"a": 1.05, "b": 2.0}),
                               persona("P2", 2, "A quote of a new segment two.", {"a": 4.0, "b": 4.0})),
                     study_id="s", wave="2")
    merged = merge_personas(wave2, path, save=True)
    kept, new = merged.for_segment(1), merged.for_segment(2)
    assert [q["text"] for q in kept.quotes] == ["The wave 1 quote of segment one."]
    assert "quotes" not in kept.edited  # kept as the workbench's draft, not as a consultant's edit
    assert [q["text"] for q in new.quotes] == ["A quote of a new segment two."]
    # a re-run of wave 2 keeps it too
    again = merge_personas(wave2, path, save=False)
    assert again.for_segment(1).quotes[0]["text"] == "The wave 1 quote of segment one."
