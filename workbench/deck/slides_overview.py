"""The agency's opening pages: an agenda with the study's fieldwork, sample and base, and an
"at a glance" page of every persona with its size and value.

Each is left out when it has nothing to show: the agenda names only the sections the deck
has, the study box only the facts the data holds, the at-a-glance cards only the lines a
persona has data for (no revenue without behaviour, no opportunity without outcomes).
"""

from __future__ import annotations

from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches

from ..describe.persona_names import NAME_TEXTS, name_language
from .content import item_label, segment_implications, value_shares, without_figures
from .data import DeckData
from .slides_accounts import has_accounts
from .slides_forward import forward_title
from .texts import words
from .layout import TINT, WHITE, Box, Canvas, fit_font_size, shorten, text_height

__all__ = ["agenda_slide", "glance_slide", "study_facts", "agenda_items", "findings_slide", "key_findings",
           "recommendations_slide"]


def study_facts(data: DeckData) -> list[str]:
    """Fieldwork, sample and base as the client reads them (only the facts the data holds)."""
    w = words(data.language)
    out = []
    dates = w.dates(data.fieldwork_start, data.fieldwork_end) if data.fieldwork_start and data.fieldwork_end else ""
    if dates or (data.fieldwork and w.language == "en"):
        out.append(w("fact.fieldwork", dates=dates or data.fieldwork))
    elif data.fieldwork_end:
        out.append(w("fact.fieldwork", dates=w.date(data.fieldwork_end)))
    q = data.quality
    if q and q.get("read"):
        out.append(w("fact.sample", read=w.n(int(q["read"])), kept=w.n(int(q["kept"]))))
    if data.total_n:
        out.append(w("fact.base", n=w.n(data.total_n)) + (w("fact.weighted") if data.weighting else ""))
    return out


def agenda_items(data: DeckData, shown, trends) -> list[str]:
    w = words(data.language)
    # the sizes slide by its own title ("Segment sizes and value" where the study has value data)
    items = [w("agenda.findings"), w("agenda.summary"), w("agenda.glance"),
             w("sizes.title_value" if value_shares(data) else "sizes.title")]
    if has_accounts(data):
        items.append(w("acc.title"))
    if trends is not None:
        items.append(w("agenda.trends"))
        if trends.migration:
            items.append(w("agenda.migration"))
    items.append(w("agenda.matrix"))
    if data.forward:
        items.append(forward_title(data.forward, w))
    items.append(w("agenda.personas", k=len(shown)) if shown else w("agenda.personas0"))
    items.append(w("agenda.recommendations"))
    if data.recognise:
        items.append(w("agenda.recognise"))
    items.append(w("agenda.appendix"))
    return items


def agenda_slide(d: Canvas, data: DeckData, shown, trends):
    s = d.slide(key="agenda")
    w = d.w
    d.title(s, w("agenda.title"))
    facts = study_facts(data)
    left_w = int(d.width * (0.55 if facts else 1.0))
    items = agenda_items(data, shown, trends)
    d.text(s, Box(d.margin, d.top, left_w, d.bottom - d.top),
           [(f"{i}. {t}", {}) for i, t in enumerate(items, start=1)], max_pt=20, min_pt=11, space_pt=8)
    if facts:
        right_l = d.margin + left_w + int(Inches(0.4))
        width = d.W - d.margin - right_l
        paras = [(w("agenda.about"), {"bold": True})] + [(f, {"bullet": True}) for f in facts]
        text = "\n".join(t for t, _ in paras)
        height = min(text_height(text, width - int(Inches(0.4)), 16, space_pt=6) + int(Inches(0.4)), d.bottom - d.top)
        box = Box(right_l, d.top, width, height)
        d.rect(s, box, TINT)
        inner = Box(box.left + int(Inches(0.2)), box.top + int(Inches(0.15)), box.width - int(Inches(0.4)),
                    box.height - int(Inches(0.3)))
        d.text(s, inner, paras, max_pt=16, min_pt=10, space_pt=6)
    d.notes(s, [w("agenda.notes")] + facts)


def glance_lines(data: DeckData, p, imp: dict, values: dict) -> list[str]:
    """The lines of one persona's at-a-glance card, each only when there is data for it."""
    w = words(data.language)
    x = imp[p.segment]
    lines = [w("pct_respondents_n", pct=f"{p.share:.0f}", n=w.n(p.n))]
    for var, shares in values.items():
        lines.append(w("glance.of_value", pct=shares[str(p.segment)], what=w(f"value.{var}")))
    if p.needs:
        need = without_figures(p.needs[0])
        lines.append(w("glance.needs", need=need))
    if x["opportunity"] is not None:
        lines.append(w("glance.opportunity_line", outcome=x["opportunity"][0]))
    if x["channel"] is not None:
        lines.append(w("glance.reach_line", channel=x["channel"][0], pct=x["channel"][1]))
    lines.append(w("glance.priority", priority=x["priority"], k=len(imp)))
    return lines


def glance_slide(d: Canvas, data: DeckData, shown, colours):
    """One card per persona, in order of priority: size, value, what they need, how to reach them."""
    if not shown:
        return
    imp = segment_implications(data, shown)
    values = value_shares(data)
    order = sorted(shown, key=lambda q: imp[q.segment]["priority"])
    s = d.slide(key="glance")
    w = d.w
    parts = ["size"] + (["value"] if values else []) + (["need"] if any(p.needs for p in order) else []) \
        + (["opportunity"] if any(imp[p.segment]["opportunity"] for p in order) else []) \
        + (["reach"] if any(imp[p.segment]["channel"] for p in order) else [])
    d.title(s, w("glance.title"), subtitle=w("glance.sub", parts=w.join(w(f"glance.{x}") for x in parts)))
    k = len(order)
    gap = int(Inches(0.15))
    cw = int((d.width - gap * (k - 1)) / k)
    head_h = int(Inches(1.0))
    notes = []
    for i, p in enumerate(order):
        left = d.margin + i * (cw + gap)
        colour = colours.get(p.segment, RGBColor(0x33, 0x33, 0x33))
        head = d.rect(s, Box(left, d.top, cw, head_h), colour)
        name = p.name
        size = fit_font_size(name, cw - int(Inches(0.1)), head_h - int(Inches(0.1)), max_pt=16, min_pt=9)
        if size is None:
            name, size = shorten(name, cw - int(Inches(0.1)), head_h - int(Inches(0.1)), 9), 9.0
        d.text(s, Box(left, d.top, cw, head_h), [name], size=size, bold=True, colour=WHITE, shape=head,
               align=PP_ALIGN.CENTER, anchor=MSO_ANCHOR.MIDDLE)
        lines = glance_lines(data, p, imp, values)
        tallest = max(text_height("\n".join(glance_lines(data, q, imp, values)), cw - int(Inches(0.16)), 14, space_pt=6)
                      for q in order) + int(Inches(0.4))
        body = Box(left, d.top + head_h, cw, min(d.bottom - d.top - head_h, tallest))
        d.rect(s, body, TINT)
        paras = [(lines[0], {"bold": True})] + [(t, {}) for t in lines[1:]]
        inner = Box(body.left + int(Inches(0.08)), body.top + int(Inches(0.1)), body.width - int(Inches(0.16)),
                    body.height - int(Inches(0.2)))
        pt = fit_font_size("\n".join(lines), inner.width, inner.height, max_pt=14, min_pt=9, space_pt=6) or 9.0
        if text_height("\n".join(lines), inner.width, pt, space_pt=6) > inner.height:
            paras = paras[:-1]
        d.text(s, inner, paras, size=pt, space_pt=6, colour=None)
        notes.append(f"{p.name}: " + "; ".join(lines) + ".")
    d.notes(s, notes)


def in_sentence(name, language) -> str:
    """A persona name inside a sentence: a name that begins with the generic word for customers
    ('Kunder, der …', 'Customers who …') is a description, written in lower case after a verb
    ('Begynd med kunder, der …'); a name of its own ('EDI buyers …', 'Grossister på Ærø') as it is."""
    name = str(name)
    generic = NAME_TEXTS[name_language(language)]["customers"]
    if name.split(" ", 1)[0].rstrip(",") == generic and generic[1:2].islower():
        return generic[:1].lower() + name[1:]
    return name


def key_findings(data: DeckData, shown) -> list[str]:
    """Findings stated as action titles (the sentence says what it means), most important first;
    each only when the study has the data for it."""
    if not shown:
        return []
    imp = segment_implications(data, shown)
    values = value_shares(data)
    order = sorted(shown, key=lambda q: imp[q.segment]["priority"])
    w = words(data.language)
    out = []
    top = order[0]
    x = imp[top.segment]
    rev = values.get("revenue", {})
    if rev:
        most = max(shown, key=lambda q: (rev.get(str(q.segment), 0), -float(q.share)))
        out.append(w("findings.protect", name=in_sentence(most.name, data.language), pct=f"{most.share:.0f}", rev=rev[str(most.segment)]))
    if x["opportunity"] is not None:
        out.append(w("findings.win", name=in_sentence(top.name, data.language), outcome=x["opportunity"][0], score=w.n(x["opportunity"][1], 1)))
    elif top is not order[-1] or len(order) == 1:
        out.append(w("findings.start", name=in_sentence(top.name, data.language), k=len(order), pct=f"{top.share:.0f}"))
    largest = max(shown, key=lambda q: (float(q.share), str(q.segment)))
    if largest is not top:
        out.append(w("findings.largest", name=largest.name, pct=f"{largest.share:.0f}"))
    chans = [imp[p.segment]["channel"][0] for p in shown if imp[p.segment]["channel"] is not None]
    if chans:
        common = max(dict.fromkeys(chans), key=chans.count)
        k = chans.count(common)
        if k > 1:
            out.append(w("findings.channel", channel=common, k=k, total=len(shown)))
    for p in order:  # what sets each segment apart most: its strongest significant need or motivation
        if len(out) >= 5:
            break
        t = data.rows(p.segment)
        t = t[t["trait"].astype(bool) & (t["sig"] == "▲") & t["kind"].isin(["needs", "motivations"])
              & t["index"].notna()] if len(t) else t
        if len(t):  # one the name does not already say
            t = t[[str(x).casefold() not in str(p.name).casefold() for x in t["label"]]]
        if len(t):
            r = t.sort_values("index", ascending=False, kind="stable").iloc[0]
            fmt = (lambda v: w.pct(v)) if r.get("stat") == "share" else (lambda v: w.n(v, 1))
            out.append(w("findings.need", name=p.name, label=item_label(r), value=fmt(r["value"]), total=fmt(r["total"])))
    return out[:5]


def findings_slide(d: Canvas, data: DeckData, shown):
    """Key findings: the slide's title is the first finding (an action title), the rest below."""
    found = key_findings(data, shown)
    if not found:
        return
    s = d.slide(key="findings")
    title = found[0].rstrip(".")
    d.title(s, title, subtitle=d.w("findings.sub"))
    body = found[1:] if len(found) > 1 else found  # the title states the first: the body supports it
    d.text(s, Box(d.margin, d.top, d.width, d.bottom - d.top), [(f, {"bullet": True}) for f in body],
           max_pt=22, min_pt=12, space_pt=12)
    d.notes(s, [d.w("findings.notes")] + found)


def recommendations_slide(d: Canvas, data: DeckData, shown, colours):
    """What to do, across segments in order of priority: each persona's first how-to-win line."""
    from .content import how_to_win

    if not shown:
        return
    imp = segment_implications(data, shown)
    rows = []
    for p in sorted(shown, key=lambda q: imp[q.segment]["priority"]):
        win, _ = how_to_win(data, p)
        if win:
            rows.append((p, win[0]))
    if not rows:
        return
    s = d.slide(key="recommendations")
    d.title(s, d.w("rec.title"), subtitle=d.w("rec.sub"))
    slot = int((d.bottom - d.top) / max(len(rows), 1))
    box_w = d.width - int(Inches(0.4))
    texts = [f"{p.name}: {line}" for p, line in rows]
    size = min(fit_font_size(t, box_w, slot - int(Inches(0.1)), max_pt=18, min_pt=10) or 10.0 for t in texts)
    y = d.top
    for (p, _), t in zip(rows, texts):
        d.rect(s, Box(d.margin, y + int(Inches(0.06)), int(Inches(0.22)), int(Inches(0.22))), colours[p.segment])
        h = min(text_height(t, box_w, size), slot)
        d.text(s, Box(d.margin + int(Inches(0.4)), y, box_w, h), [t], size=size)
        y += h + int(Inches(0.12))
    d.notes(s, texts)
