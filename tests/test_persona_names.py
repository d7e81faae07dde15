"""Persona names that read as people, in the study's language, on any item wording (issue 26,
deliverable 3): templates for noun phrases, statements and reverse-keyed items, one table of
words per language, and a check against forbidden shapes on every gallery study's items."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from workbench.describe.persona_names import (NAME_TEXTS, forbidden_shapes, item_shape, name_language, persona_name,
                                     persona_name_less)

sys.path.insert(0, str(Path(__file__).parent / "gallery"))


@pytest.mark.parametrize("label, language, shape", [
    ("Live stock and prices", "en", "phrase"),
    ("No advice needed", "en", "statement"),            # a negation
    ("I find it hard to approach others", "en", "statement"),  # a pronoun
    ("Gets along easily", "en", "statement"),  # a verb first
    ("Delivery is always late", "en", "statement"),     # a copula
    ("får let venner", "da", "statement"),              # a verb first
    ("Jeg har svært ved at nærme mig andre", "da", "statement"),
    ("Hurtig levering", "da", "phrase"),
    ("Inga dolda avgifter", "sv", "statement"),
    ("Snabb leverans", "sv", "phrase"),
])
def test_item_shapes(label, language, shape):
    assert item_shape(label, language) == shape


def test_reverse_keyed_items_are_quoted_never_valued():
    name = persona_name(items=[("Quiet evenings", "needs", True)], language="en")
    assert name == "Customers who say “Quiet evenings”"


def test_names_of_the_issue_read_as_people():
    assert persona_name(items=[("No advice needed", "needs", False)], channel="Phone") == \
        "Phone buyers who say “No advice needed”"
    assert persona_name(items=[("får let venner", "motivations", False)], language="da") == \
        "Kunder, der siger: »Får let venner«"
    assert persona_name(items=[("Hurtig levering", "needs", False), ("Lave priser", "needs", False)], channel="EDI",
                        language="da", depth=2) == "EDI-kunder, der værdsætter hurtig levering og lave priser"
    assert persona_name(items=[("Switching costs", "barriers", False)], category="Retail") == \
        "Retail customers held back by switching costs"


def test_a_segment_set_apart_only_by_what_it_values_less_is_named_by_it():
    """ESS's second segment sits below average on every item and above on none: "Segment 2" was
    its name; now what it says or values less."""
    assert persona_name_less(items=[("Innvandring er bra for økonomien", "needs", False)], language="nb") == \
        "Kunder som sjeldnere sier «Innvandring er bra for økonomien»"
    assert persona_name_less(items=[("Low net prices", "needs", False), ("Fast delivery", "needs", False)],
                             channel="Phone", depth=2) == "Phone buyers who care less about low net prices and fast delivery"
    assert persona_name_less(items=[("Lave priser", "needs", False)], language="da") == \
        "Kunder, der lægger mindre vægt på lave priser"
    assert persona_name_less(items=[], language="da") == ""


def test_the_check_finds_forbidden_shapes():
    assert forbidden_shapes("Customers who value no advice needed")
    assert forbidden_shapes("Customers who value I find it hard", "en")
    assert forbidden_shapes("Kunder, der værdsætter får let venner", "da")
    assert forbidden_shapes("Customers who value får let venner", "da")  # English words in a Danish deck
    assert forbidden_shapes("Kunder, der siger: »«", "da")
    assert forbidden_shapes("Webshop buyers who value live stock and prices") == []


def test_every_language_row_has_every_template():
    keys = set(NAME_TEXTS["en"])
    for lang, row in NAME_TEXTS.items():
        assert set(row) == keys, lang
    assert name_language("da-DK") == "da" and name_language("xx") == "en"


def _gallery_items(tmp_path):
    """(study, language, [(label, kind, reverse)]) of every gallery study, read from its study.yaml
    (cdnow_intkeys, slow to build for its order history, asks the BFI items build.py gives it)."""
    import build
    from workbench.files import safeyaml

    for name in build.GALLERY:
        if name == "cdnow_intkeys":
            items = [(label, "needs", rev) for label, rev in build.BFI_ITEMS.values()]
            yield name, "da", items
            continue
        doc = safeyaml.safe_load((build.build(name, tmp_path) / "study.yaml").read_text(encoding="utf-8"))
        lang = str((doc.get("study") or {}).get("language") or "en")
        items = []
        for block in (doc.get("blocks") or {}).values():
            if block.get("kind") in ("needs", "motivations", "barriers"):
                items += [(str(q.get("text") or q["id"]), block["kind"], bool(q.get("reverse", False)))
                          for q in block.get("questions") or []]
        yield name, lang, items


def test_names_on_every_gallery_study_have_no_forbidden_shape(tmp_path):
    """Every need, motivation and barrier of every gallery study, as the item a name is drafted
    from (alone, before and after the study's first item, with and without a channel), in the
    study's language."""
    checked, langs = 0, set()
    for name, lang, items in _gallery_items(tmp_path):
        langs.add(name_language(lang))
        for item in items:
            for seq in ([item], [item] + items[:1], [items[0], item]):
                for channel in (None, "Webshop"):
                    drafted = persona_name(items=seq, channel=channel, language=lang, depth=2)
                    assert drafted and forbidden_shapes(drafted, lang) == [], (name, drafted)
                    less = persona_name_less(items=seq, channel=channel, language=lang, depth=2)
                    assert less and forbidden_shapes(less, lang) == [], (name, less)
                    checked += 1
    assert checked > 100 and {"en", "da"} <= langs


def test_items_in_another_language_than_the_deck_are_read_as_statements():
    """Danish statements in an English deck (bfi_forces) are quoted, not 'valued'."""
    assert item_shape("Ved hvordan man fanger folk", "en") == "statement"
    assert forbidden_shapes("Customers who value ved hvordan man fanger folk", "en")


def test_two_segments_apart_on_one_question_with_several_answers_are_named_by_their_answers():
    """ANES (anes_qualtrics): both segments stood out on 'Party identification', one at 'Strong
    Democrat', the other at 'Strong Republican', and were drafted 'Customers who value party
    identification' and '... (2)'. A trait that is one answer of a need with several answers
    names the segment by what it says, question and answer as the charts write them; a
    top-box or a yes/no trait (no answer category) keeps its label."""
    from workbench.describe.personas import _people_name

    def trait(category, measure, stat="share", label="Party identification", variable="PID"):
        return {"variable": variable, "label": label, "kind": "needs", "block": "needs", "stat": stat,
                "category": category, "measure": measure}

    used: set = set()
    first = _people_name([trait("Strong Democrat", "% Strong Democrat")], used)
    used.add(first)
    second = _people_name([trait("Strong Republican", "% Strong Republican")], used)
    assert first == "Customers who say “Party identification: Strong Democrat”"
    assert second == "Customers who say “Party identification: Strong Republican”"
    assert forbidden_shapes(first, "en") == []
    danish = _people_name([trait("Meget vigtigt", "% Meget vigtigt", label="Hvad betyder mest?")], set(), language="da")
    assert danish == "Kunder, der siger: »Hvad betyder mest: Meget vigtigt«"
    top = _people_name([trait("", "top-2 box %", label="Live stock and prices", variable="need_01")], set())
    assert top == "Customers who value live stock and prices"
    yes = _people_name([trait("", "% Yes", label="Uses EDI", variable="edi")], set())
    assert "Yes" not in yes
