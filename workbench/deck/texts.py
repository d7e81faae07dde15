"""Every text the deck writes, in one table per language, and numbers as each language writes them.

The deck speaks the study's declared language (``study: language:`` in study.yaml, saved in
``DeckData.language``): each slide builder asks :func:`words` for a :class:`Words` of that
language and writes ``w("summary.title")`` or ``w("sizes.base", n=w.n(1234))`` instead of an
English literal; numbers go through :meth:`Words.n` (thousands separator and decimal comma as
the language writes them: 1,234.5 · 1.234,5 · 1 234,5).

To add a text you must add its key to *every* table (``workbench/deck/lang/en.py``, ``da.py``,
``sv.py``, ``nb.py``, ``nl.py``) with the same ``{placeholders}``; ``tests/test_deck_language.py`` fails on a key or a
placeholder missing in one language.  To add a language you must add its table to
:data:`TEXTS` with every key of ``EN`` and its number style to :data:`NUMBER_STYLE`; a study in
a language without a table gets the English deck (with a log line).

The texts are written as a consultant of that market would write them, not word for word from
the English: Danish "kunder" and "respondenter", Swedish "kunder" and "svarande", Norwegian
(bokmål) "kunder" and "respondenter", Dutch "klanten" and "respondenten".
"""

from __future__ import annotations

import logging
import re
import string

from ..core.language import MEASURE_LABELS, NUMBER_STYLE as _NUMBERS, language_code, number
from ..core.measures import MEASURES as _MEASURES
from .lang import da as _da, en as _en, nb as _nb, nl as _nl, sv as _sv

__all__ = ["words", "Words", "TEXTS", "NUMBER_STYLE", "deck_language", "keep_units", "NBSP"]

logger = logging.getLogger("workbench.deck")

#: The tables, one per language (``workbench/deck/lang/<code>.py``).
EN, DA, SV, NB, NL = _en.TABLE, _da.TABLE, _sv.TABLE, _nb.TABLE, _nl.TABLE

#: Every language the deck speaks (add a table here, see the module docstring).
TEXTS = {"en": EN, "da": DA, "sv": SV, "nb": NB, "nl": NL}

#: Month names for dates on slides ('7. september 2026').
MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
           "november", "december"),
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december"),
    "nb": ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "desember"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
}

#: How each language writes a day and its month ('7 September', '7. september').
DAY_STYLE = {"en": "{d} {m}", "da": "{d}. {m}", "sv": "{d} {m}", "nb": "{d}. {m}", "nl": "{d} {m}"}
#: (thousands separator, decimal mark) per language (:data:`workbench.core.language.NUMBER_STYLE`).
NUMBER_STYLE = _NUMBERS


def deck_language(language) -> str:
    """The table a study language uses ('da-DK' → 'da', 'no' → 'nb'; unknown → 'en')."""
    code = language_code(language)
    return code if code in TEXTS else "en"


class Words:
    """The texts and number style of one language: ``w(key, **values)``, ``w.n(1234.5, 1)``."""

    def __init__(self, language="en"):
        self.language = deck_language(language)
        self.table = TEXTS[self.language]
        self.thousands, self.decimal = NUMBER_STYLE[self.language]
        self.day = DAY_STYLE[self.language]

    def __call__(self, key: str, **values) -> str:
        return self.table[key].format(**values)

    def has(self, key: str) -> bool:
        return key in self.table

    def n(self, value, decimals: int = 0, *, sign: bool = False) -> str:
        """A number as the language writes it: thousands grouped, the decimal mark, rounded half
        away from zero as Excel and PowerPoint do ('1.234,5' in Danish; :func:`workbench.core.language.number`)."""
        return number(value, decimals, self.language, sign=sign)

    def pct(self, value, decimals: int = 0) -> str:
        """A percentage with its sign kept on the number's line ('87\u00a0%', :data:`NBSP`)."""
        return f"{self.n(value, decimals)}{NBSP}%"

    def join(self, items) -> str:
        items = [str(x) for x in items]
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {self('and')} " + items[-1]

    def date(self, iso) -> str:
        """An ISO date as the language writes it ('7. september 2026'); the text unchanged if not a date."""
        import datetime as _dt

        try:
            d = _dt.date.fromisoformat(str(iso))
        except ValueError:
            return str(iso)
        return self.day.format(d=d.day, m=MONTHS[self.language][d.month - 1]) + f" {d.year}"

    def dates(self, start, end) -> str:
        """A fieldwork period ('7. september – 2. oktober 2026')."""
        import datetime as _dt

        try:
            a, b = _dt.date.fromisoformat(str(start)), _dt.date.fromisoformat(str(end))
        except ValueError:
            return ""
        first = self.day.format(d=a.day, m=MONTHS[self.language][a.month - 1]) + (f" {a.year}" if a.year != b.year
                                                                                  else "")
        return f"{first} – {self.date(end)}"

    def kpi(self, var, fallback: str) -> str:
        """A measure's label in this language (:data:`EN`'s ``kpi.*``), else ``fallback``."""
        if self.language == "en":
            return fallback
        return MEASURE_LABELS.get(self.language, {}).get(str(var), fallback)

    def kpi_of_label(self, label) -> str:
        """A measure named by its English label ('Days since last order', as the tracking and
        behaviour rooms write it in their sentences) in this language ('Dagen sinds laatste order');
        any other text unchanged."""
        text = str(label)
        if self.language == "en":
            return text
        var = measure_of_label(text)
        return self.kpi(var, text) if var else text

    def tier(self, category) -> str:
        return self.table.get(f"tier.{str(category).lower()}", str(category))

    def fmt(self, pattern: str, value) -> str:
        """A value in a :mod:`workbench.core.measures` pattern ('{:,.1f}', '{:.0f} %', '{:+.2f}', '{}') in
        this language's number style."""
        m = re.fullmatch(r"\{:(\+?)(,?)\.(\d)f\}( %)?", pattern)
        if m is None:
            return pattern.format(value)
        return number(value, int(m.group(3)), self.language, sign=bool(m.group(1)), grouping=bool(m.group(2))) + \
            (m.group(4) or "")


#: Each measure's English label (lower case) → its name (:data:`workbench.core.measures.MEASURES`).
_BY_LABEL = {m.label.lower(): name for name, m in _MEASURES.items()}


def measure_of_label(label) -> str | None:
    """The measure an English label names ('Days since last order' → 'recency_days'), else None."""
    return _BY_LABEL.get(str(label).strip().lower())


def placeholders(text: str) -> set:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def words(language="en") -> Words:
    """The :class:`Words` of a study language (English for a language without a table, logged)."""
    w = Words(language)
    if w.language == "en" and language_code(language) != "en":
        logger.info("deck: no texts for language %r: the deck is in English", language)
    return w


#: The heading of the speaker notes' part for the consultant in English (``'notes.consultant'``).
CONSULTANT_NOTES = "For the consultant (not for the client):"


def split_notes(text: str) -> tuple[str, str]:
    """(client part, consultant part) of a slide's speaker notes: the consultant section starts at
    its heading in any of the deck's languages (``'notes.consultant'``, :data:`CONSULTANT_NOTES`
    in English); (text, '') when there is none."""
    text = str(text or "")
    at = [(text.find(h), h) for h in {t["notes.consultant"] for t in TEXTS.values()} if h in text]
    if not at:
        return text, ""
    i, h = min(at)
    return text[:i], text[i + len(h):]


#: The space between a number and its unit on a slide: U+00A0, so that a line never breaks
#: between '87' and '%' (or '38,295' and 'EUR').
NBSP = "\u00a0"

#: A plain space between a number and a '%' or a currency code ('EUR', 'DKK').
_UNIT_GAP = re.compile(r"(?<=\d) (?=%|[A-Z]{3}(?!\w))")


def keep_units(text) -> str:
    """``text`` with :data:`NBSP` between every number and its '%' or currency code ('87 %' →
    '87\u00a0%'), so PowerPoint never puts the unit alone at the start of a line. The one rule,
    applied where text enters the deck (:class:`workbench.deck.layout.Canvas` text boxes, titles,
    notes and chart titles; :func:`workbench.deck.layout.fill_cell`), so the language tables and
    the slide builders may write a plain space."""
    return _UNIT_GAP.sub(NBSP, str(text))


#: The number format of every percentage a chart shows (data labels, axes): whole percents with
#: the non-breaking space the deck's text writes ('9\u00a0%', :meth:`workbench.deck.texts.Words.pct`),
#: so a label and the sentence beside it read alike and never break.
PCT = '0"' + NBSP + '%"'
