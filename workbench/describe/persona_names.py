"""Persona names that read as people, in the study's language, whatever the items say.

A drafted name has two parts: *who* (the channel they are reached through, when they use it
more than the rest, else a firmographic category, else "Customers") and *what* (the item that
sets them apart most).  An item's wording decides the template:

- a **noun phrase** ("Live stock and prices") follows "who value" ("Webshop buyers who value
  live stock and prices");
- a **statement** ("I find it hard to approach others", "Får let venner"), a negation ("No
  advice needed") or a **reverse-keyed** item is quoted: "Customers who say “No advice
  needed”" - never a pronoun, a verb or a negation after "who value";
- a barrier that is a noun phrase: "Customers held back by switching costs".

Every word the name adds comes from one table per language (:data:`NAME_TEXTS`: English,
Danish, Swedish, Norwegian, Dutch; another language falls back to English, with a warning at
the study's level left to validate).  To add a language you must add its row to
:data:`NAME_TEXTS` and its words to :data:`PRONOUNS`, :data:`NEGATIONS` and :data:`VERBS`.
"""

from __future__ import annotations

import re

__all__ = ["NAME_TEXTS", "DRAFT_TEXTS", "name_language", "item_shape", "persona_name", "persona_name_less", "lower_first",
           "forbidden_shapes"]

#: The words of a drafted name, per language.
NAME_TEXTS = {
    "en": {"customers": "Customers", "buyers": "{channel} buyers", "group": "{category} customers",
           "value": "{who} who value {what}", "say": "{who} who say “{what}”",
           "held_back": "{who} held back by {what}", "selected": "{who} who selected {what}", "selected_less": "{who} who rarely selected {what}", "less": "{who} who care less about {what}", "say_less": "{who} less likely to say “{what}”", "and": " and ", "segment": "Segment {segment}"},
    "da": {"customers": "Kunder", "buyers": "{channel}-kunder", "group": "Kunder i {category}",
           "value": "{who}, der værdsætter {what}", "say": "{who}, der siger: »{what}«",
           "held_back": "{who}, der holdes tilbage af {what}", "selected": "{who}, der valgte {what}", "selected_less": "{who}, der sjældent valgte {what}", "less": "{who}, der lægger mindre vægt på {what}", "say_less": "{who}, der sjældnere siger: »{what}«", "and": " og ", "segment": "Segment {segment}"},
    "sv": {"customers": "Kunder", "buyers": "{channel}-kunder", "group": "Kunder inom {category}",
           "value": "{who} som värdesätter {what}", "say": "{who} som säger ”{what}”",
           "held_back": "{who} som hålls tillbaka av {what}", "selected": "{who} som valde {what}", "selected_less": "{who} som sällan valde {what}", "less": "{who} som lägger mindre vikt vid {what}", "say_less": "{who} som mer sällan säger ”{what}”", "and": " och ", "segment": "Segment {segment}"},
    "nb": {"customers": "Kunder", "buyers": "{channel}-kunder", "group": "Kunder i {category}",
           "value": "{who} som verdsetter {what}", "say": "{who} som sier «{what}»",
           "held_back": "{who} som holdes tilbake av {what}", "selected": "{who} som valgte {what}", "selected_less": "{who} som sjelden valgte {what}", "less": "{who} som legger mindre vekt på {what}", "say_less": "{who} som sjeldnere sier «{what}»", "and": " og ", "segment": "Segment {segment}"},
    "nl": {"customers": "Klanten", "buyers": "{channel}-klanten", "group": "Klanten in {category}",
           "value": "{who} die {what} belangrijk vinden", "say": "{who} die zeggen: ‘{what}’",
           "held_back": "{who} die worden tegengehouden door {what}", "selected": "{who} die {what} kozen", "selected_less": "{who} die zelden {what} kozen", "less": "{who} die minder belang hechten aan {what}", "say_less": "{who} die minder vaak zeggen: ‘{what}’", "and": " en ", "segment": "Segment {segment}"},
}
NAME_TEXTS["no"] = NAME_TEXTS["nn"] = NAME_TEXTS["nb"]

#: The words of a drafted persona's description and lists (personas.yaml), per language: numbers
#: arrive written in the language's style (:func:`workbench.core.language.number`).
DRAFT_TEXTS = {
    "en": {"size": "{pct} % of respondents (n={n}).", "above": " Above average on {items}",
           "below": "; below average on {items}.", "below_only": " Below average on {items}.", "unmet": " Biggest unmet outcome: {label}.",
           "share": "{head} ({value} % vs {total} %)", "selected": "selected {label}: {value} % vs {total} %",
           "mean": "{label}: {value} vs {total} for all respondents",
           "share_all": "{head} ({value} % vs {total} % for all respondents)", "opportunity": "{label} (opportunity {score})"},
    "da": {"size": "{pct} % af respondenterne (n={n}).", "above": " Over gennemsnittet på {items}",
           "below": "; under gennemsnittet på {items}.", "below_only": " Under gennemsnittet på {items}.", "unmet": " Største udækkede behov: {label}.",
           "share": "{head} ({value} % mod {total} %)", "selected": "valgte {label}: {value} % mod {total} %",
           "mean": "{label}: {value} mod {total} for alle respondenter",
           "share_all": "{head} ({value} % mod {total} % for alle respondenter)", "opportunity": "{label} (mulighed {score})"},
    "sv": {"size": "{pct} % av de svarande (n={n}).", "above": " Över genomsnittet på {items}",
           "below": "; under genomsnittet på {items}.", "below_only": " Under genomsnittet på {items}.", "unmet": " Största ouppfyllda behov: {label}.",
           "share": "{head} ({value} % mot {total} %)", "selected": "valde {label}: {value} % mot {total} %",
           "mean": "{label}: {value} mot {total} för alla svarande",
           "share_all": "{head} ({value} % mot {total} % för alla svarande)", "opportunity": "{label} (möjlighet {score})"},
    "nb": {"size": "{pct} % av respondentene (n={n}).", "above": " Over gjennomsnittet på {items}",
           "below": "; under gjennomsnittet på {items}.", "below_only": " Under gjennomsnittet på {items}.", "unmet": " Største udekkede behov: {label}.",
           "share": "{head} ({value} % mot {total} %)", "selected": "valgte {label}: {value} % mot {total} %",
           "mean": "{label}: {value} mot {total} for alle respondenter",
           "share_all": "{head} ({value} % mot {total} % for alle respondenter)", "opportunity": "{label} (mulighet {score})"},
    "nl": {"size": "{pct} % van de respondenten (n={n}).", "above": " Bovengemiddeld op {items}",
           "below": "; ondergemiddeld op {items}.", "below_only": " Ondergemiddeld op {items}.", "unmet": " Grootste onvervulde behoefte: {label}.",
           "share": "{head} ({value} % tegen {total} %)", "selected": "koos {label}: {value} % tegen {total} %",
           "mean": "{label}: {value} tegen {total} voor alle respondenten",
           "share_all": "{head} ({value} % tegen {total} % voor alle respondenten)", "opportunity": "{label} (kans {score})"},
}
DRAFT_TEXTS["no"] = DRAFT_TEXTS["nn"] = DRAFT_TEXTS["nb"]

#: Words that make an item a statement when it starts with them (a pronoun) ...
PRONOUNS = {
    "en": {"i", "i'm", "i've", "we", "we're", "my", "our", "me", "it", "it's", "there", "they", "you", "one"},
    "da": {"jeg", "vi", "min", "mit", "mine", "vores", "mig", "os", "det", "der", "man", "de", "du"},
    "sv": {"jag", "vi", "min", "mitt", "mina", "vår", "vårt", "våra", "mig", "det", "man", "de", "du"},
    "nb": {"jeg", "vi", "min", "mitt", "mine", "vår", "vårt", "våre", "meg", "det", "man", "de", "du"},
    "nl": {"ik", "wij", "we", "mijn", "ons", "onze", "het", "men", "zij", "je", "jij"},
}
#: ... or hold a negation anywhere ...
NEGATIONS = {
    "en": {"no", "not", "never", "don't", "doesn't", "didn't", "without", "none", "nothing", "can't", "won't"},
    "da": {"ikke", "ingen", "intet", "aldrig", "uden"},
    "sv": {"inte", "ingen", "inget", "inga", "aldrig", "utan"},
    "nb": {"ikke", "ingen", "intet", "aldri", "uten"},
    "nl": {"niet", "geen", "nooit", "zonder", "niets"},
}
#: ... or start with (or hold, for the copulas) a finite verb.
VERBS = {
    "en": {"find", "finds", "have", "has", "am", "is", "are", "get", "gets", "like", "likes", "prefer", "prefers",
           "want", "wants", "need", "needs", "feel", "feels", "think", "thinks", "can", "will", "would", "make",
           "makes", "do", "does", "enjoy", "enjoys", "worry", "worries", "love", "loves", "hate", "hates"},
    "da": {"får", "er", "har", "kan", "vil", "synes", "føler", "bliver", "kommer", "gør", "skal", "finder", "elsker",
           "hader", "tror", "mener", "vælger", "foretrækker", "bruger", "savner", "ved", "tager", "spørger",
           "fortsætter", "taler", "spilder", "giver", "holder", "laver", "bekymrer", "handler", "køber"},
    "sv": {"får", "är", "har", "kan", "vill", "tycker", "känner", "blir", "kommer", "gör", "ska", "hittar",
           "älskar", "föredrar", "använder", "saknar"},
    "nb": {"får", "er", "har", "kan", "vil", "synes", "føler", "blir", "kommer", "gjør", "skal", "finner",
           "elsker", "foretrekker", "bruker", "savner"},
    "nl": {"heb", "heeft", "ben", "is", "zijn", "krijg", "krijgt", "vind", "vindt", "wil", "wilt", "kan", "kunnen",
           "voel", "voelt", "maak", "maakt", "houd", "hou", "gebruik", "mis"},
}
_COPULAS = {"en": {"is", "are", "am"}, "da": {"er"}, "sv": {"är"}, "nb": {"er"}, "nl": {"is", "zijn", "ben"}}
#: Items may be worded in another language than the deck's (Danish items in an English deck):
#: a word of any language's lists counts.
_ANY = {name: set().union(*table.values()) for name, table in
        (("pronouns", PRONOUNS), ("negations", NEGATIONS), ("verbs", VERBS), ("copulas", _COPULAS))}
_IMPERSONAL = {"det", "der", "de", "it", "there", "one", "het", "man", "men"}
#: Longest item label that still reads as a noun phrase after "who value".
MAX_PHRASE_WORDS = 6


def name_language(language) -> str:
    """The :data:`NAME_TEXTS` row of a study language ('da-DK' → 'da'; unknown → 'en')."""
    code = str(language or "en").split("-")[0].lower()
    return code if code in NAME_TEXTS else "en"


def _words(label: str) -> list[str]:
    return re.findall(r"[\w'’]+", str(label).lower().replace("’", "'"))


def item_shape(label: str, language="en", *, reverse: bool = False) -> str:
    """'phrase' (a noun phrase: it may follow "who value") or 'statement' (quoted) for an item label."""
    lang = name_language(language)
    words = _words(label)
    if reverse or not words:
        return "statement"
    first = words[0]
    if first in _ANY["pronouns"] or first in _ANY["verbs"]:
        return "statement"
    if any(w in _ANY["negations"] for w in words) or any(w in _ANY["copulas"] for w in words[1:]):
        return "statement"
    if any(w in _ANY["pronouns"] - _IMPERSONAL for w in words[1:]):
        return "statement"  # 'Grundig i mit arbejde': a personal statement, not a thing one values
    if lang in ("da", "sv", "nb") and len(words) > 1 and re.fullmatch(r"\w+[^e\W]er|\w+ar", first) \
            and first not in {"lavere", "bedre", "større", "flere", "færre", "hurtigere", "billigere"}:
        return "statement"  # a Scandinavian present tense first ('Tager styringen'), read as a statement
    if len(words) > MAX_PHRASE_WORDS:
        return "statement"
    return "phrase"


def lower_first(label: str) -> str:
    """'Low net prices' -> 'low net prices'; 'ERP integration' stays (an acronym)."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def _upper_first(label: str) -> str:
    return label[0].upper() + label[1:] if label else label


def persona_name_less(*, items, channel: str | None = None, category: str | None = None, language="en",
                      depth: int = 1) -> str:
    """A drafted name for a segment set apart only by what it values or says *less* than the
    rest (``items`` as for :func:`persona_name`, below average, most distinctive first):
    "Customers who care less about low prices", "… less likely to say “…”"; '' without items."""
    t = NAME_TEXTS[name_language(language)]
    who = (t["buyers"].format(channel=channel) if channel else
           t["group"].format(category=category) if category else t["customers"])
    ticked = [str(lab).strip() for lab, kind, _ in items if kind == "selected" and str(lab).strip()]
    if ticked:  # options of a "select all that apply" block: chosen less often, not "said" less
        return t["selected_less"].format(who=who, what=t["and"].join(lower_first(x) for x in ticked[:max(1, depth)]))
    items = [(str(lab).strip(), bool(rev)) for lab, kind, rev in items
             if str(lab).strip() and kind in ("needs", "motivations", "barriers")]
    if not items:
        return ""
    shapes = [item_shape(lab, language, reverse=rev) for lab, rev in items]
    if shapes[0] == "phrase":
        phrases = [lab for (lab, _), sh in zip(items, shapes) if sh == "phrase"][:max(1, depth)]
        return t["less"].format(who=who, what=t["and"].join(lower_first(x) for x in phrases))
    return t["say_less"].format(who=who, what=_upper_first(items[0][0].rstrip(".")))


def persona_name(*, items, channel: str | None = None, category: str | None = None, language="en",
                 depth: int = 1) -> str:
    """A drafted name: who (``channel`` they are reached through and over-use, else a firmographic
    ``category``, else "Customers") and what sets them apart, from ``items`` = (label, kind,
    reverse) with kind needs / motivations / barriers (or ``selected``: options ticked in a
    "select all that apply" block, named as choices; ``answer``: one answer of a need or motive
    with several, labelled with its answer, named as what they say), most distinctive first; ``depth``: how
    many noun phrases to join (a caller raises it while the name is taken).  '' when there is
    nothing to say."""
    t = NAME_TEXTS[name_language(language)]
    who = (t["buyers"].format(channel=channel) if channel else
           t["group"].format(category=category) if category else t["customers"])
    items = [(str(lab).strip(), kind, bool(rev)) for lab, kind, rev in items if str(lab).strip()]
    ticked = [lab for lab, kind, _ in items if kind == "selected"]
    if ticked:  # options of a "select all that apply" block are choices, not values: "who selected ..."
        return t["selected"].format(who=who, what=t["and"].join(lower_first(x) for x in ticked[:max(1, depth)]))
    wants = [(lab, rev, kind) for lab, kind, rev in items if kind in ("needs", "motivations", "answer")]
    if not wants and not items:
        return "" if who == t["customers"] else who
    if wants and wants[0][2] == "answer":  # one answer of a question with several: it is what they say
        return t["say"].format(who=who, what=_upper_first(wants[0][0].rstrip(".")))
    wants = [(lab, rev) for lab, rev, kind in wants if kind != "answer"]
    if wants:
        shapes = [item_shape(lab, language, reverse=rev) for lab, rev in wants]
        if shapes[0] == "phrase":
            phrases = [lab for (lab, _), sh in zip(wants, shapes) if sh == "phrase"][:max(1, depth)]
            return t["value"].format(who=who, what=t["and"].join(lower_first(x) for x in phrases))
        return t["say"].format(who=who, what=_upper_first(wants[0][0].rstrip(".")))
    lab, kind, rev = items[0]
    if item_shape(lab, language, reverse=rev) == "phrase":
        return t["held_back"].format(who=who, what=lower_first(lab))
    return t["say"].format(who=who, what=_upper_first(lab.rstrip(".")))


def forbidden_shapes(name: str, language="en") -> list[str]:
    """What is wrong with a name: a pronoun, verb or negation right after the "value" template's
    verb, a quote with nothing in it, or a word of another language's template."""
    lang = name_language(language)
    t = NAME_TEXTS[lang]
    out = []
    low = name.lower()
    pre, _, post = t["value"].partition("{what}")
    marker = pre.split("{who}")[-1].strip().lower()
    if marker and marker in low:
        after = _words(low.split(marker, 1)[1])
        if after and (after[0] in _ANY["pronouns"] or after[0] in _ANY["verbs"] or after[0] in _ANY["negations"]):
            out.append(f"'{after[0]}' after '{marker}'")
        if any(w in _ANY["negations"] for w in after):
            out.append("a negation after the 'value' template")
        if any(w in _ANY["pronouns"] - _IMPERSONAL for w in after):
            out.append("a personal pronoun after the 'value' template")
    if re.search(r"[“»”«‘]\s*[”«“»’]", name):
        out.append("an empty quote")
    for other, words in NAME_TEXTS.items():
        if name_language(other) == lang:
            continue
        for key in ("value", "held_back", "say"):
            w = words[key].replace("{who}", "").split("{what}")[0].strip(" ,:“”»«‘’")
            if w and len(w) > 4 and w.lower() not in t[key].lower() and f" {w.lower()} " in f" {low} ":
                out.append(f"'{w}' from the {other} template")
    return out
