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

from .content import VALUE_SHARES, segment_implications, value_shares
from .data import DeckData
from .layout import TINT, WHITE, Box, Canvas, fit_font_size, shorten, text_height

__all__ = ["agenda_slide", "glance_slide", "study_facts", "agenda_items", "findings_slide", "key_findings",
           "recommendations_slide"]


def study_facts(data: DeckData) -> list[str]:
    """Fieldwork, sample and base as the client reads them (only the facts the data holds)."""
    out = []
    if data.fieldwork:
        out.append(f"Fieldwork: {data.fieldwork}")
    q = data.quality
    if q and q.get("read"):
        out.append(f"Sample: {int(q['read']):,} respondents; {int(q['kept']):,} kept after quality checks")
    if data.total_n:
        out.append(f"Base: {data.total_n:,} respondents placed in a segment"
                   + (" (weighted to the customer base)" if data.weighting else ""))
    return out


def agenda_items(data: DeckData, shown, trends) -> list[str]:
    items = ["Key findings", "Executive summary", "The segments at a glance", "Segment sizes"]
    if trends is not None:
        items.append("Changes since the last wave")
    items.append("How the segments differ")
    items.append(f"The {len(shown)} personas: who they are, their behaviour and how to win them" if shown
                 else "The personas")
    items.append("Recommendations")
    if data.recognise:
        items.append("How to recognise the segments")
    items.append("Appendix: method, quality and model choice")
    return items


def agenda_slide(d: Canvas, data: DeckData, shown, trends):
    s = d.slide(key="agenda")
    d.title(s, "Agenda and the study")
    facts = study_facts(data)
    left_w = int(d.width * (0.55 if facts else 1.0))
    items = agenda_items(data, shown, trends)
    d.text(s, Box(d.margin, d.top, left_w, d.bottom - d.top),
           [(f"{i}. {t}", {}) for i, t in enumerate(items, start=1)], max_pt=20, min_pt=11, space_pt=8)
    if facts:
        right_l = d.margin + left_w + int(Inches(0.4))
        width = d.W - d.margin - right_l
        paras = [("About the study", {"bold": True})] + [(f, {"bullet": True}) for f in facts]
        text = "\n".join(t for t, _ in paras)
        height = min(text_height(text, width - int(Inches(0.4)), 16, space_pt=6) + int(Inches(0.4)), d.bottom - d.top)
        box = Box(right_l, d.top, width, height)
        d.rect(s, box, TINT)
        inner = Box(box.left + int(Inches(0.2)), box.top + int(Inches(0.15)), box.width - int(Inches(0.4)),
                    box.height - int(Inches(0.3)))
        d.text(s, inner, paras, max_pt=16, min_pt=10, space_pt=6)
    d.notes(s, ["The agenda lists only the sections this deck has."] + facts)


def glance_lines(data: DeckData, p, imp: dict, values: dict) -> list[str]:
    """The lines of one persona's at-a-glance card, each only when there is data for it."""
    x = imp[p.segment]
    lines = [f"{p.share:.0f} % of respondents (n={p.n:,})"]
    for var, shares in values.items():
        lines.append(f"{shares[str(p.segment)]} % of {dict(VALUE_SHARES)[var]}")
    if p.needs:
        need = str(p.needs[0]).split(" (")[0]
        lines.append(f"Needs most: {need}")
    if x["opportunity"] is not None:
        lines.append(f"Largest opportunity: {x['opportunity'][0]}")
    if x["channel"] is not None:
        lines.append(f"Reach them via {x['channel'][0]} ({x['channel'][1]} %)")
    lines.append(f"Priority {x['priority']} of {len(imp)}")
    return lines


def glance_slide(d: Canvas, data: DeckData, shown, colours):
    """One card per persona, in order of priority: size, value, what they need, how to reach them."""
    if not shown:
        return
    imp = segment_implications(data, shown)
    values = value_shares(data)
    order = sorted(shown, key=lambda q: imp[q.segment]["priority"])
    s = d.slide(key="glance")
    parts = ["size"] + (["value"] if values else []) + (["need"] if any(p.needs for p in order) else []) \
        + (["opportunity"] if any(imp[p.segment]["opportunity"] for p in order) else []) \
        + (["how to reach them"] if any(imp[p.segment]["channel"] for p in order) else [])
    d.title(s, "The segments at a glance",
            subtitle="In order of priority: " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1
                                                 else parts[0]))
    k = len(order)
    gap = int(Inches(0.15))
    w = int((d.width - gap * (k - 1)) / k)
    head_h = int(Inches(1.0))
    notes = []
    for i, p in enumerate(order):
        left = d.margin + i * (w + gap)
        colour = colours.get(p.segment, RGBColor(0x33, 0x33, 0x33))
        head = d.rect(s, Box(left, d.top, w, head_h), colour)
        name = p.name
        size = fit_font_size(name, w - int(Inches(0.1)), head_h - int(Inches(0.1)), max_pt=16, min_pt=9)
        if size is None:
            name, size = shorten(name, w - int(Inches(0.1)), head_h - int(Inches(0.1)), 9), 9.0
        d.text(s, Box(left, d.top, w, head_h), [name], size=size, bold=True, colour=WHITE, shape=head,
               align=PP_ALIGN.CENTER, anchor=MSO_ANCHOR.MIDDLE)
        lines = glance_lines(data, p, imp, values)
        tallest = max(text_height("\n".join(glance_lines(data, q, imp, values)), w - int(Inches(0.16)), 14, space_pt=6)
                      for q in order) + int(Inches(0.4))
        body = Box(left, d.top + head_h, w, min(d.bottom - d.top - head_h, tallest))
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


def key_findings(data: DeckData, shown) -> list[str]:
    """Findings stated as action titles (the sentence says what it means), most important first;
    each only when the study has the data for it."""
    if not shown:
        return []
    imp = segment_implications(data, shown)
    values = value_shares(data)
    order = sorted(shown, key=lambda q: imp[q.segment]["priority"])
    out = []
    top = order[0]
    x = imp[top.segment]
    rev = values.get("revenue", {})
    if rev:
        most = max(shown, key=lambda q: (rev.get(str(q.segment), 0), -float(q.share)))
        out.append(f"Protect {most.name}: {most.share:.0f} % of respondents bring {rev[str(most.segment)]} % of "
                   "revenue.")
    if x["opportunity"] is not None:
        out.append(f"Win {top.name} first by solving “{x['opportunity'][0]}”: their largest opportunity "
                   f"({x['opportunity'][1]:.1f} of 20).")
    elif top is not order[-1] or len(order) == 1:
        out.append(f"Start with {top.name}: priority 1 of {len(order)} ({top.share:.0f} % of respondents).")
    largest = max(shown, key=lambda q: (float(q.share), str(q.segment)))
    if largest is not top:
        out.append(f"{largest.name} is the largest segment ({largest.share:.0f} % of respondents).")
    chans = [imp[p.segment]["channel"][0] for p in shown if imp[p.segment]["channel"] is not None]
    if chans:
        common = max(dict.fromkeys(chans), key=chans.count)
        k = chans.count(common)
        if k > 1:
            out.append(f"Use {common} to reach {k} of the {len(shown)} segments: it is their most common main "
                       "ordering channel.")
    return out[:5]


def findings_slide(d: Canvas, data: DeckData, shown):
    """Key findings: the slide's title is the first finding (an action title), the rest below."""
    found = key_findings(data, shown)
    if not found:
        return
    s = d.slide(key="findings")
    title = found[0].rstrip(".")
    d.title(s, title, subtitle="Key findings")
    d.text(s, Box(d.margin, d.top, d.width, d.bottom - d.top), [(f, {"bullet": True}) for f in found],
           max_pt=22, min_pt=12, space_pt=12)
    d.notes(s, ["Key findings, most important first; the title states the first."] + found)


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
    d.title(s, "Recommendations", subtitle="One first move per segment, in order of priority")
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
