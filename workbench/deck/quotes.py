"""Which language a quote is in when the study does not say.

A quote's language normally comes from the study (``language:`` or ``language_from:`` on the open
question, :mod:`workbench.describe.personas`), and the persona slide tags a quote in another language than
the deck's ('(Danish)'). A study that declares neither would show a Danish verbatim on an English
deck without a word; :func:`guess_language` reads the language off the quote's own short words
(articles, pronouns, negations, conjunctions: words every sentence has and each language spells
its own way) so that the tag is still there.

Why a word count and not a detector library: the deck speaks six languages at most here, the
quotes are short sentences, and a wrong tag is worse than none, so the guess answers only when
one language clearly leads and says nothing otherwise (Danish and Norwegian, written alike, are
told apart only by the words that differ). No dependency is added for it.
"""

from __future__ import annotations

import re

__all__ = ["guess_language", "FUNCTION_WORDS"]

#: Short words by language: each word counts for every language that lists it, shared equally.
FUNCTION_WORDS = {
    "en": "the and is are was to of we you they it that this with for not our your their very always but have has "
          "be been from they're we're don't can't too what when there would could should just".split(),
    "da": "og ikke jeg vi det er at til med på de har meget godt altid men kan som en et af for jer os vores "
          "hvis noget nogle når skal skulle uden også være bliver blev hurtigt nemt ofte mere gør svært hvad".split(),
    "nb": "og ikke jeg vi det er at til med på de har veldig godt alltid men kan som en et av for dere oss vår "
          "hvis noe noen når skal skulle uten også være blir ble raskt enkelt ofte å mer gjør vanskelig hva".split(),
    "sv": "och inte jag vi det är att till med på de har mycket bra alltid men kan som en ett av för er oss vår "
          "om något några när ska skulle utan också vara blir blev snabbt enkelt ofta mer gör svårt vad".split(),
    "nl": "en niet ik wij we het is dat te met op de heeft zeer goed altijd maar kan die een van voor jullie ons "
          "onze als iets wanneer moet zonder ook zijn wordt werd snel vaak dus bij naar".split(),
    "de": "und nicht ich wir das ist zu mit auf die der hat sehr gut immer aber kann ein eine von für ihr uns "
          "unsere wenn etwas wann muss ohne auch sein wird wurde schnell oft".split(),
}

_WEIGHT: dict = {}
for _lang, _words in FUNCTION_WORDS.items():
    for _w in set(_words):
        _WEIGHT.setdefault(_w, []).append(_lang)

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def guess_language(text, *, min_score: float = 1.5, margin: float = 1.5) -> str | None:
    """The language code ('da', 'en', 'sv', 'nb', 'nl', 'de') a short text is written in, or None
    when no language clearly leads (its score at least ``min_score`` and ``margin`` times the
    next one's): a word shared by k languages adds 1/k to each."""
    scores = dict.fromkeys(FUNCTION_WORDS, 0.0)
    for word in _WORD.findall(str(text or "").lower()):
        langs = _WEIGHT.get(word)
        if langs:
            for lang in langs:
                scores[lang] += 1.0 / len(langs)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < min_score or top < margin * second:
        return None
    return best
