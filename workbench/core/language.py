"""How each language writes numbers and names the behavioural measures: a leaf shared by the
persona drafts (:mod:`workbench.describe.personas`) and the deck (:mod:`workbench.deck.texts`), so that a
Danish study's personas.yaml and its deck say '1.234,5' and 'Omsætning pr. kunde' alike.

To add a language you must add its number style to :data:`NUMBER_STYLE` and its measure labels
to :data:`MEASURE_LABELS` (a measure without one keeps :mod:`workbench.core.measures`' English label),
then its deck texts (:mod:`workbench.deck.texts`) and name words (:mod:`workbench.describe.persona_names`).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["NUMBER_STYLE", "MEASURE_LABELS", "language_code", "number", "figure_pair", "measure_label_in"]

#: (thousands separator, decimal mark) per language; U+00A0 keeps '1 234' on one line.
NUMBER_STYLE = {"en": (",", "."), "da": (".", ","), "sv": ("\u00a0", ","), "nb": ("\u00a0", ","), "nl": (".", ",")}

_ALIASES = {"no": "nb", "nn": "nb"}

#: Labels of the behavioural measures slides and persona texts show, per language.
MEASURE_LABELS = {
    "da": {"revenue": "Omsætning pr. kunde", "frequency": "Ordrer pr. kunde", "recency_days": "Dage siden sidste ordre",
           "aov": "Gennemsnitlig ordreværdi", "rfm_tier": "RFM-niveau", "lapsed": "Bortfaldne kunder",
           "cost_to_serve": "Betjeningsomkostning", "dominant_channel": "Primær bestillingskanal",
           "digital_share": "Digital andel af ordrer", "return_rate": "Returprocent", "active": "Aktive kunder",
           "tenure_days": "Dage siden første ordre", "units": "Enheder pr. kunde", "cost_tier": "Omkostningsniveau"},
    "sv": {"revenue": "Omsättning per kund", "frequency": "Order per kund", "recency_days": "Dagar sedan senaste order",
           "aov": "Genomsnittligt ordervärde", "rfm_tier": "RFM-nivå", "lapsed": "Förlorade kunder",
           "cost_to_serve": "Kostnad att betjäna", "dominant_channel": "Huvudsaklig beställningskanal",
           "digital_share": "Digital andel av order", "return_rate": "Returandel", "active": "Aktiva kunder",
           "tenure_days": "Dagar sedan första order", "units": "Enheter per kund", "cost_tier": "Kostnadsnivå"},
    "nb": {"revenue": "Omsetning per kunde", "frequency": "Ordrer per kunde", "recency_days": "Dager siden siste ordre",
           "aov": "Gjennomsnittlig ordreverdi", "rfm_tier": "RFM-nivå", "lapsed": "Tapte kunder",
           "cost_to_serve": "Betjeningskostnad", "dominant_channel": "Hovedkanal for bestilling",
           "digital_share": "Digital andel av ordrer", "return_rate": "Returandel", "active": "Aktive kunder",
           "tenure_days": "Dager siden første ordre", "units": "Enheter per kunde", "cost_tier": "Kostnadsnivå"},
    "nl": {"revenue": "Omzet per klant", "frequency": "Orders per klant", "recency_days": "Dagen sinds laatste order",
           "aov": "Gemiddelde orderwaarde", "rfm_tier": "RFM-niveau", "lapsed": "Afgehaakte klanten",
           "cost_to_serve": "Kosten om te bedienen", "dominant_channel": "Belangrijkste bestelkanaal",
           "digital_share": "Digitaal aandeel van orders", "return_rate": "Retourpercentage",
           "active": "Actieve klanten", "tenure_days": "Dagen sinds eerste order", "units": "Eenheden per klant",
           "cost_tier": "Kostenniveau"},
}


def language_code(language) -> str:
    """A study language as a table key ('da-DK' → 'da', 'no' → 'nb'; unknown → 'en')."""
    code = str(language or "en").lower()
    code = _ALIASES.get(code, code.split("-")[0])
    code = _ALIASES.get(code, code)
    return code if code in NUMBER_STYLE else "en"


def number(value, decimals: int = 0, language="en", *, sign: bool = False, grouping: bool = True) -> str:
    """A number as the language writes it: thousands grouped, its decimal mark ('1.234,5' in
    Danish, '1 234,5' in Swedish); '' for a missing value."""
    if value is None:
        return ""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return ""
    thousands, decimal = NUMBER_STYLE[language_code(language)]
    # Excel's and PowerPoint's rule, so that a text and the cell or chart label showing the same
    # value agree: the value to 15 significant digits, rounded half away from zero (Python's
    # format rounds 38,294.5 to even: 38,294 beside the workbook's 38,295).
    exact = Decimal(f"{v:.15g}").quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    exact = abs(exact) if exact == 0 else exact
    text = f"{exact:{'+' if sign else ''}{',' if grouping else ''}.{int(decimals)}f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def figure_pair(value, other, language="en", *, percent: bool = False, decimals: int | None = None,
                most: int = 3) -> tuple[str, str]:
    """Two figures said side by side ('3.4 vs 2.9', '257 vs 121', '51 % to 54 %') under the one
    rounding rule of every text the workbench writes (persona drafts, the deck's movements):
    a measure's own decimals where it declares them (``decimals``: the tiles and the matrix show
    it so, :mod:`workbench.core.measures`), else percents whole and other values without decimals
    from 10 (by the larger of the two) and one below; both with the same decimals, one more (up
    to ``most``) while the two would read alike. ``most`` also caps the decimals at what the
    source holds (a figure read back from a sentence). Returns the two numbers as the language
    writes them, without units."""
    a, b = float(value), float(other)
    d = decimals if decimals is not None else (0 if percent or max(abs(a), abs(b)) >= 10 else 1)
    d = min(d, most)
    while d < most and number(a, d, language) == number(b, d, language):
        d += 1
    return number(a, d, language), number(b, d, language)


def measure_label_in(name, language, fallback: str) -> str:
    """A measure's label in the language (``fallback``, the English label, when there is none)."""
    return MEASURE_LABELS.get(language_code(language), {}).get(str(name), fallback)
