"""What the slides say, read from :class:`~workbench.deck.data.DeckData`: which personas are
shown, the profile rows of a chart, KPI values as shown, channel and tier mixes, drafted
"how to win them" lines.

KPI labels and number formats come from :mod:`workbench.core.measures` (imported directly: it
is a registry of plain data that knows neither the study nor any result, and keeping the
labels out of ``deck_data.json`` lets decks saved by earlier runs re-render unchanged).
Which KPIs the tiles and the matrix show is the deck's own choice (:data:`TILE_KPIS`,
:data:`MATRIX_KPIS`).
"""

from __future__ import annotations

import re

import pandas as pd

from dataclasses import replace

from ..core.measures import measure, round_shares
from ..describe.persona_names import DRAFT_TEXTS, item_shape
from ..describe.personas import SELECTED, reach_channel, whole_mix, with_answer
from .data import DeckData
from .quotes import guess_language
from .texts import words

__all__ = ["shown_personas", "suppressed_note", "chart_rows", "sig_text", "kpi_value", "kpi_label", "item_label", "measure_words", "without_figures", "series_name", "kpi_scale",
           "format_kpi", "mix_rows", "whole_shares", "value_shares", "VALUE_SHARES", "segment_implications", "criteria_status", "base_mix", "base_value", "how_to_win", "BEHAVIOUR", "TILE_KPIS", "MATRIX_KPIS", "TIER_ORDER",
           "MAX_CHART_ITEMS"]

MAX_CHART_ITEMS = 8
#: The profile block of behavioural KPIs (``workbench.describe.profiles.BEHAVIOUR``, as saved in deck_data.json).
BEHAVIOUR = "behaviour"
#: KPI tiles of a persona's behaviour slide, in order.
TILE_KPIS = ("cost_to_serve", "lapsed", "revenue", "frequency")
#: Behaviour rows of the segment comparison matrix, in order.
MATRIX_KPIS = ("revenue", "frequency", "cost_to_serve", "lapsed", "digital_share")
TIER_ORDER = ("gold", "silver", "bronze", "no purchases")


def shown_personas(data: DeckData, personas) -> tuple[list, list]:
    """Personas to show (not suppressed here nor in the data) and those suppressed."""
    sup = {str(s) for s in data.suppressed}
    shown, hidden = [], []
    for p in personas:
        (hidden if p.suppressed or str(p.segment) in sup else shown).append(p)
    return shown, hidden


def whole_shares(personas) -> list:
    """The personas with their shares rounded once to whole percent that add up to 100
    (:func:`workbench.core.measures.round_shares`): every slide and chart shows these."""
    items = list(personas)
    whole = round_shares([p.share for p in items])
    return [replace(p, share=float(w)) for p, w in zip(items, whole)]


def segment_implications(data: DeckData, shown) -> dict:
    """Per shown persona: size, value, largest opportunity, how to reach them and a priority.

    ``{segment: {"share", "value" (revenue per customer, or None), "opportunity" (label,
    score) or None, "channel" (name, % of the segment) or None, "attractiveness",
    "priority"}}``.  Attractiveness = size × value × opportunity: the segment's share of
    respondents (0-1) × its revenue per customer relative to the average (1 without
    behaviour data) × its largest JTBD opportunity score relative to 10 (1 without
    outcomes); priority 1 is the most attractive.  Documented on the slide.
    """
    out = {}
    for p in shown:
        rev = kpi_value(data, p.segment, "revenue")
        o = data.opportunities
        opp = None
        if len(o):
            mine = o[o["segment"].astype(str) == str(p.segment)].sort_values(["opportunity", "label"],
                                                                             ascending=[False, True], kind="stable")
            if len(mine):
                opp = (str(mine["label"].iloc[0]), float(mine["opportunity"].iloc[0]))
        reach = reach_channel(data.profile, p.segment)
        channel = (reach["channel"], reach["share"]) if reach is not None else None
        value_ratio = rev[0] / rev[1] if rev is not None and rev[1] else 1.0
        opp_ratio = opp[1] / 10.0 if opp is not None else 1.0
        out[p.segment] = {"share": float(p.share), "value": rev, "opportunity": opp, "channel": channel,
                          "attractiveness": float(p.share) / 100.0 * value_ratio * opp_ratio}
    ranked = sorted(out, key=lambda s: (-out[s]["attractiveness"], str(s)))
    for i, s in enumerate(ranked, start=1):
        out[s]["priority"] = i
    return out


#: The value measures whose share per segment goes next to its size: (measure, as English slides say it;
#: other languages: the texts' ``value.<measure>``).
VALUE_SHARES = (("revenue", "revenue"), ("cost_to_serve", "cost to serve"))


def value_shares(data: DeckData) -> dict:
    """Each segment's share of the surveyed customers' revenue (and of their cost to serve):
    ``{measure: {segment: whole %}}`` for the measures the study has.

    A segment's total is its weighted share of respondents × its mean per customer; shares
    are rounded once (:func:`round_shares`) over every segment, suppressed ones included, so
    they add up to 100.
    """
    out: dict = {}
    seg = data.segments
    if not len(seg):
        return out
    for var, _ in VALUE_SHARES:
        totals = {}
        for r in seg.itertuples(index=False):
            rows = data.rows(r.segment, block=BEHAVIOUR, variable=var)
            rows = rows[rows["stat"] == "mean"]
            if len(rows) and pd.notna(rows["value"].iloc[0]):
                share = seg.loc[seg["segment"].astype(str) == str(r.segment), "share %"].iloc[0]
                totals[str(r.segment)] = float(share) * float(rows["value"].iloc[0])
        if len(totals) == len(seg) and sum(totals.values()) > 0:
            whole = round_shares(list(totals.values()))
            out[var] = dict(zip(totals, whole))
    return out


def criteria_status(data: DeckData) -> str:
    """One status line when the recommended segmentation fails a criterion ('' when it passes all)."""
    card = data.scorecard
    if not card or not len(card.get("checks", [])):
        return ""
    c = card["checks"]
    failed = c[c["status"].astype(str) == "fail"]
    if not len(failed):
        return ""
    w = words(data.language)
    crits = list(dict.fromkeys(str(x) for x in failed["criterion"]))
    named = w.join(w(f"criterion.{c}") if w.has(f"criterion.{c}") else c for c in crits)
    head = w("status_many" if len(crits) > 1 else "status", criteria=named)
    # the check's own sentence is English (the criteria room's): said on an English deck only
    first = str(failed["sentence"].iloc[0]) if "sentence" in failed.columns and w.language == "en" else ""
    return f"{head} {first}".strip()


def suppressed_note(hidden, min_n, language="en") -> str:
    if not hidden:
        return ""
    w = words(language)
    names = ", ".join(w("not_shown_item", segment=p.segment, n=w.n(p.n)) for p in hidden)
    return w("not_shown", names=names, min_n=w.n(min_n))


def chart_rows(data: DeckData, segment, max_items=MAX_CHART_ITEMS) -> pd.DataFrame:
    """Needs, motivations and barriers of a segment furthest from the total (index 100)."""
    t = data.rows(segment)
    if not len(t):
        return t
    t = t[t["trait"].astype(bool) & t["kind"].isin(["needs", "motivations", "barriers"]) & t["index"].notna()]
    t = t.assign(_gap=(t["index"] - 100).abs()).sort_values(["_gap", "variable"], ascending=[False, True],
                                                              kind="stable")
    return t.head(max_items).sort_values("index", kind="stable").drop(columns="_gap")


def item_label(r) -> str:
    """A profile row's item as a slide names it: its label, and for one answer of a question with
    several ('% Too little') that answer too ('Spending on parks: Too little'), so that two rows of
    one question never read alike on a chart, in the matrix or in a drafted line."""
    label = str(r["label"])
    cat = r["category"] if "category" in r else ""
    if isinstance(cat, str) and cat and cat.lower() != "true" and r.get("block") != BEHAVIOUR:
        return with_answer(label, cat)
    return label


_TOP_BOX = re.compile(r"top-(\d+) box %")


def measure_words(measure, w) -> str:
    """A profile row's measure as the deck's language says it ('top-2 box %' → 'top-2-boks %',
    '% selected' → '% der valgte det'); a level's share ('% Too little', the study's own words)
    as it is."""
    m = str(measure)
    if m == "mean":
        return w("measure.mean")
    if m == SELECTED:
        return w("measure.selected")
    top = _TOP_BOX.fullmatch(m)
    return w("measure.top_box", n=top.group(1)) if top else m


def without_figures(text) -> str:
    """A persona's drafted item without its figures ('Price (52 % vs 40 %)' → 'Price', 'selected X:
    95 % vs 47 %' → 'selected X', 'Y: 3.4 vs 2.9 …' → 'Y'), for a card or a summary line."""
    item = re.split(r" \((?=[-+]?\d)|: (?=[-+]?\d)", str(text))[0]
    for said in _SELECTED_WORDS:  # 'selected X' (a ticked option): the option's own words
        if item.startswith(said):
            rest = item[len(said):]
            return rest[:1].upper() + rest[1:]
    return item


#: How a persona draft begins a ticked option in each language ('selected ', 'valgte ').
_SELECTED_WORDS = tuple({t["selected"].split("{label}")[0] for t in DRAFT_TEXTS.values()} - {""})


def series_name(name, limit: int = 60) -> str:
    """A chart series' (legend's) name: whole up to ``limit`` characters, else cut at a word and
    ending in '…' (never mid-word and silently, 'who care about minorities' read '… minorities')."""
    text = str(name)
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def sig_text(v) -> str:
    return v if isinstance(v, str) else ""


def kpi_value(data: DeckData, segment, var) -> tuple[float, float, str] | None:
    """(segment value, total value, significance arrow) of a behavioural KPI as shown (shares in %)."""
    r = data.rows(segment, block=BEHAVIOUR, variable=var)
    if not len(r):
        return None
    if var == "lapsed":
        r = r[r["category"].astype(str).str.lower().isin(["true", "1", "yes"])]
    else:
        r = r[r["stat"] == "mean"]
    if not len(r) or pd.isna(r["value"].iloc[0]):
        return None
    scale = kpi_scale(var)
    return float(r["value"].iloc[0]) * scale, float(r["total"].iloc[0]) * scale, sig_text(r["sig"].iloc[0])


def kpi_label(var, language="en") -> str:
    """A KPI's label as it reads on slides, in the deck's language (:mod:`workbench.deck.texts`;
    :mod:`workbench.core.measures`' label otherwise; the column name for an unknown column)."""
    m = measure(var)
    return words(language).kpi(var, m.label if m is not None else str(var))


def kpi_scale(var) -> float:
    """100 for a KPI held as a 0-1 share and shown in %, else 1."""
    m = measure(var)
    return 100.0 if m is not None and m.percent else 1.0


def format_kpi(var, value, currency: str | None = None, language="en") -> str:
    """A KPI value as shown, with its unit, in the deck's language ('6,314 DKK', '176 days';
    '6.314 DKK', '176 dage'; :meth:`Measure.with_unit`'s rule; one decimal for a column the
    registry does not know)."""
    w = words(language)
    m = measure(var)
    if m is None:
        return w.n(value, 1)
    text = w.fmt(m.fmt, value) if value is not None else ""
    if not text:
        return text
    if m.unit == "currency":
        return f"{text} {currency}" if currency else text
    if m.unit in ("days", "orders", "units"):
        return f"{text} {w('unit.' + m.unit)}"
    return text


def mix_rows(data: DeckData, segment, var) -> pd.DataFrame:
    """A segment's mix of a behavioural category (channel, RFM tier), with ``shown`` and
    ``shown_total``: the whole percentages every chart label, text and note shows
    (:func:`workbench.describe.personas.whole_mix`: rounded once, adding up as the mix does)."""
    r = data.rows(segment, block=BEHAVIOUR, variable=var)
    r = r[r["stat"] == "share"]
    r = r.assign(shown=whole_mix(r["value"]), shown_total=whole_mix(r["total"]))
    if var == "rfm_tier":
        order = {c: i for i, c in enumerate(TIER_ORDER)}
        r = r.assign(_o=r["category"].map(lambda c: order.get(str(c).lower(), 99))).sort_values("_o", kind="stable")
    return r


def how_to_win(data: DeckData, p) -> tuple[list[str], bool]:
    """The persona's ``how_to_win`` lines, or lines drafted from its data; (lines, drafted)."""
    given = p.extra.get("how_to_win") if isinstance(p.extra, dict) else None
    if given:
        return ([given] if isinstance(given, str) else [str(x) for x in given]), False
    w = words(data.language)
    lines = []
    u = data.underserved_outcomes(p.segment)
    if len(u):
        r = u.iloc[0]
        lines.append(w("win.solve", outcome=r["label"], imp=w.n(r["importance"], 1), sat=w.n(r["satisfaction"], 1),
                       score=w.n(r["opportunity"], 1)))
    t = data.rows(p.segment)
    if len(t):
        t = t[t["trait"].astype(bool) & (t["sig"] == "▲") & t["index"].notna()]
        for kind, verb, say in (("needs", "win.lead", "win.speak"), ("barriers", "win.worry", "win.answer")):
            k = t[t["kind"] == kind].sort_values("index", ascending=False, kind="stable")
            if len(k):
                r = k.iloc[0]
                label = item_label(r)
                # a statement is quoted (persona_names: the same rule as the names); a ticked option is a choice
                what = w("win.chose", label=label[:1].upper() + label[1:]) if r["measure"] == SELECTED else \
                    w(verb, label=label) if item_shape(label, data.language) == "phrase" else \
                    w(say, label=label[:1].upper() + label[1:])
                lines.append(w("win.figures", what=what, value=w.n(r["value"]), total=w.n(r["total"])))
        if not lines:  # nothing it over-values: what not to lead with (its most under-valued need)
            low = data.rows(p.segment)
            low = low[low["trait"].astype(bool) & (low["sig"] == "▼") & (low["kind"] == "needs") & low["index"].notna()]
            if len(low):
                r = low.sort_values("index", kind="stable").iloc[0]
                lines.append(w("win.figures", what=w("win.not_lead", label=item_label(r)), value=w.n(r["value"]),
                               total=w.n(r["total"])))
    reach = reach_channel(data.profile, p.segment)
    if reach is not None:
        base = base_mix(data, "dominant_channel")
        total = base.get(reach["channel"], 0) if base else reach["total"]
        lines.append(w("win.reach_base" if base else "win.reach", channel=reach["channel"], pct=reach["share"],
                       total=total))
    return lines, True


def base_mix(data: DeckData, var) -> dict:
    """The whole customer base's mix of a category (``{category: whole %}``, rounded once by
    :func:`whole_mix`), from the customer base (ERP) when the run had behaviour data; {} without."""
    mixes = (data.base or {}).get("mixes", {}) if isinstance(data.base, dict) else {}
    mix = mixes.get(var) or {}
    if not mix:
        return {}
    return dict(zip(mix, whole_mix(list(mix.values()))))


def base_value(data: DeckData, var) -> float | None:
    """The customer base's (ERP) value of a KPI as shown (mean; lapsed and shares in %), None without."""
    means = (data.base or {}).get("means", {}) if isinstance(data.base, dict) else {}
    v = means.get(var)
    return None if v is None else float(v) * kpi_scale(var)


#: Language names for quote tags (codes as in study.yaml; others are shown as their code).
LANGUAGE_NAMES = {"da": "Danish", "sv": "Swedish", "nb": "Norwegian", "nn": "Norwegian", "no": "Norwegian",
                  "nl": "Dutch", "nl-BE": "Flemish", "fi": "Finnish", "is": "Icelandic", "de": "German", "fr": "French",
                  "en": "English", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "pl": "Polish",
                  "et": "Estonian", "lv": "Latvian", "lt": "Lithuanian", "cs": "Czech"}


def language_name(code, deck_language="en") -> str:
    """A language's name in the deck's language ('sv' → 'Swedish', on a Danish deck 'svensk')."""
    code = str(code or "")
    w = words(deck_language)
    for c in (code, code.split("-")[0]):
        if w.has(f"lang.{c}"):
            return w(f"lang.{c}")
    return LANGUAGE_NAMES.get(code) or LANGUAGE_NAMES.get(code.split("-")[0]) or code


def quote_language(quote: dict, deck_language: str = "en") -> str | None:
    """The name of a quote's language ('Swedish') when it is not the deck's; None for a quote in
    the deck's language or of unknown language."""
    lang = quote_code(quote, deck_language)
    return language_name(lang, deck_language) if lang else None


#: Languages read alike: a guess (not a declared language) between them is not said.
_ALIKE = ({"da", "nb"},)


def quote_code(quote: dict, deck_language: str = "en") -> str | None:
    """The code of a quote's language when it is not the deck's: the study's (``language``), else
    read off its words (:func:`workbench.deck.quotes.guess_language`, only when one language
    clearly leads); None for a quote in the deck's language or of unknown language."""
    deck = str(deck_language or "en").split("-")[0]
    lang = quote.get("language")
    guessed = not lang
    if guessed:
        lang = guess_language(quote.get("text", ""))
    if not lang or str(lang).split("-")[0] == deck:
        return None
    if guessed and any({str(lang), deck} <= pair for pair in _ALIKE):
        return None
    return str(lang)


def quote_translation(quote: dict, deck_language: str = "en") -> str | None:
    """The translation shown under a quote in another language, when the study (a translation
    column) or personas.yaml (``translation:``) gives one."""
    if quote_language(quote, deck_language) is None:
        return None
    tr = str(quote.get("translation") or "").strip()
    return tr or None
