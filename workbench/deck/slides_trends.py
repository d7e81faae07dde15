"""The trend slides of a later wave: segment sizes over waves (lines with 95 % intervals, from
zero, the latest wave labelled) and the key movements with the re-fit advice, in the deck's
language: worded from the tracking step's movements as data (:attr:`DeckTrends.moves`); trends
saved before those were recorded have their English sentences said again from their parts."""

from __future__ import annotations

import math
import re

import pandas as pd
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.enum.text import MSO_ANCHOR
from pptx.util import Inches, Pt

from ..core.language import figure_pair, number
from ..core.measures import MEASURES, round_shares
from .data import DeckData, DeckTrends
from .texts import NBSP, PCT, measure_of_label
from .content import series_name
from .layout import TINT, Box, Canvas, new_chart_data
from .slides_appendix import client_text

__all__ = ["trend_slides", "move_words", "client_movement", "refit_text", "error_bars"]


def error_bars(series, plus, minus, colour) -> None:
    """Custom vertical error bars on a line series (python-pptx has no API for them): ``plus`` /
    ``minus`` per point, drawn thin in the series' colour."""
    from lxml import etree
    from pptx.oxml.ns import qn

    def lit(tag, values):
        el = etree.SubElement(bars, qn(tag))
        num = etree.SubElement(el, qn("c:numLit"))
        etree.SubElement(num, qn("c:formatCode")).text = "General"
        etree.SubElement(num, qn("c:ptCount")).set("val", str(len(values)))
        for i, v in enumerate(values):
            pt = etree.SubElement(num, qn("c:pt"))
            pt.set("idx", str(i))
            etree.SubElement(pt, qn("c:v")).text = repr(float(round(v, 3)))

    ser = series._element
    bars = etree.Element(qn("c:errBars"))
    etree.SubElement(bars, qn("c:errDir")).set("val", "y")
    etree.SubElement(bars, qn("c:errBarType")).set("val", "both")
    etree.SubElement(bars, qn("c:errValType")).set("val", "cust")
    etree.SubElement(bars, qn("c:noEndCap")).set("val", "0")
    lit("c:plus", plus)
    lit("c:minus", minus)
    sp = etree.SubElement(bars, qn("c:spPr"))
    ln = etree.SubElement(sp, qn("a:ln"))
    ln.set("w", "12700")
    fill = etree.SubElement(etree.SubElement(ln, qn("a:solidFill")), qn("a:srgbClr"))
    fill.set("val", str(colour))
    anchor = next((c for c in ser if c.tag in {qn(t) for t in ("c:cat", "c:val", "c:smooth", "c:extLst")}), None)
    if anchor is not None:
        anchor.addprevious(bars)
    else:
        ser.append(bars)


def trend_slides(d: Canvas, trends: DeckTrends, colours, names, data: DeckData | None = None):
    w = d.w
    sz = trends.sizes.copy()
    sz["wave"] = sz["wave"].astype(str)
    # one rounding rule: each wave's shares as whole percentages adding up to 100 (round_shares),
    # the same numbers the labels, the notes and the sizes slide show
    sz["whole"] = 0
    for _, idx in sz.groupby("wave", sort=False).groups.items():
        sz.loc[idx, "whole"] = round_shares(sz.loc[idx, "share"].tolist())
    waves = list(dict.fromkeys(str(x) for x in sz["wave"]))
    segs = list(dict.fromkeys(sz["segment"]))
    s = d.slide(key="trend-sizes")
    d.title(s, w("trend.title"), subtitle=w("trend.sub"))
    chart_data = new_chart_data(PCT)
    chart_data.categories = [w("Wave", wave=x) for x in waves]
    extra = [x for x in segs if x not in colours]
    cols = dict(colours)
    for i, x in enumerate(extra):
        cols[x] = RGBColor.from_string(d.palette[(len(colours) + i) % len(d.palette)])
    notes = []
    for seg in segs:
        rows = sz[sz["segment"] == seg]
        name = str(names.get(seg) or rows["name"].iloc[-1])
        by_wave = {str(r.wave): r for r in rows.itertuples()}
        chart_data.add_series(series_name(name), [float(by_wave[x].whole) if x in by_wave else None for x in waves])
        for x in waves:
            if x in by_wave:
                r = by_wave[x]
                notes.append(w("trend.notes", wave=x, segment=seg, name=name, n=w.n(int(r.n)), pct=int(r.whole),
                               low=w.n(float(r.ci_low)), high=w.n(float(r.ci_high))))
    box = Box(d.margin, d.top, d.width, d.bottom - d.top)
    chart = d.chart(s, XL_CHART_TYPE.LINE_MARKERS, box, chart_data, legend=XL_LEGEND_POSITION.RIGHT).chart
    chart.value_axis.has_major_gridlines = True
    chart.value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE0, 0xE0, 0xE0)
    chart.value_axis.tick_labels.number_format = PCT
    chart.value_axis.tick_labels.number_format_is_linked = False
    # shares from zero (issue 30): a move of 4 points is not drawn as a fall off a cliff
    top = max([float(x) for x in sz["ci_high"].dropna()] + [float(x) for x in sz["whole"]] + [10.0])
    chart.value_axis.minimum_scale = 0
    chart.value_axis.maximum_scale = float(min(100, math.ceil(top / 10) * 10))
    plot = chart.plots[0]
    for series, seg in zip(plot.series, segs):
        series.format.line.color.rgb = cols[seg]
        series.format.line.width = Pt(2.5)
        series.smooth = False
        series.marker.style = XL_MARKER_STYLE.CIRCLE
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = cols[seg]
        series.marker.format.line.color.rgb = cols[seg]
        rows = sz[sz["segment"] == seg]
        by_wave = {str(r.wave): r for r in rows.itertuples()}
        shown_pts = [by_wave.get(x) for x in waves]
        # the latest wave's share labelled at the line's end (labels on every wave sit on each other)
        last = max((i for i, r in enumerate(shown_pts) if r is not None), default=None)
        if last is not None:
            dl = series.points[last].data_label
            dl.has_text_frame = False
            dl.number_format, dl.number_format_is_linked = PCT, False
            dl.show_value = True
            dl.position = XL_LABEL_POSITION.RIGHT
            dl.font.size, dl.font.bold = Pt(10), True
            dl.font.color.rgb = cols[seg]
        if all(r is not None and pd.notna(r.ci_low) and pd.notna(r.ci_high) for r in shown_pts):
            error_bars(series, [max(0.0, float(r.ci_high) - float(r.whole)) for r in shown_pts],
                       [max(0.0, float(r.whole) - float(r.ci_low)) for r in shown_pts], cols[seg])
    d.notes(s, notes)

    s2 = d.slide(key="trend-movements")
    d.title(s2, w("moves.title"), subtitle=w("moves.sub", first=waves[-2] if len(waves) > 1 else waves[0],
                                                              last=waves[-1]) if waves else None)
    # the movements compare the last wave with the one before it (the tracking step's tests): so does the subtitle
    whole = {}
    for seg in segs:
        rows = sz[sz["segment"] == seg]
        by_wave = {str(r.wave): int(r.whole) for r in rows.itertuples()}
        whole[str(names.get(seg) or rows["name"].iloc[-1])] = by_wave
    if trends.moves and len(trends.moves) == len(trends.movements):  # the movements as data: worded here
        said = [(move_words(mv, whole, waves, w), str(m)) for mv, m in zip(trends.moves, trends.movements)]
    else:  # trends saved before the moves were recorded: the sentences said again from their parts
        said = [client_movement(m, whole, waves, w) for m in trends.movements]
    paras = [(m, {"bullet": True}) for m, _ in said if m] or [w("moves.none")]
    box = Box(d.margin, d.top, d.width, d.bottom - d.top - (int(Inches(1.4)) if trends.refit else 0))
    d.text(s2, box, paras, max_pt=20, min_pt=11, space_pt=8)
    # 'a fresh lca k=2 fit' → 'a fresh LCA, 2 segments fit'; another language: the verdict in its words
    refit = refit_text(trends.refit, w, data.wave if data is not None else (waves[-1] if waves else ""))
    if refit:
        rb = Box(d.margin, d.bottom - int(Inches(1.3)), d.width, int(Inches(1.2)))
        d.rect(s2, rb, TINT)
        d.text(s2, Box(rb.left + int(Inches(0.15)), rb.top, rb.width - int(Inches(0.3)), rb.height),
               [(w("refit.title"), {"bold": True}), refit], max_pt=16, min_pt=10,
               anchor=MSO_ANCHOR.MIDDLE)
    d.notes(s2, [m for m, _ in said if m] + ([w("refit.notes", text=refit)] if refit else []),
            consultant=[m for _, m in said] + ([trends.refit] if trends.refit and w.language != "en" else []))


_REFIT_OK = re.compile(r"^The (\d+) frozen segments still describe")


def refit_text(advice: str, w, wave) -> str:
    """The re-fit advice as the client reads it: in English the tracking step's sentence in client
    words; in another language its verdict (re-fit / watch / keep) in that language (the reasons,
    English sentences of the tracking step, go to the consultant's notes)."""
    advice = str(advice or "")
    if not advice:
        return ""
    if w.language == "en":
        return client_text(advice)
    if advice.startswith("Re-fit"):
        return w("refit.due", wave=wave)
    if advice.startswith("No re-fit needed"):
        return w("refit.watch", wave=wave)
    m = _REFIT_OK.match(advice)
    return w("refit.ok", wave=wave, k=m.group(1) if m else "") if m else ""



_STAT_PART = re.compile(r"\bp ?[=<]|chi-square|\bdf \d|\bd = |Holm|correction")
_MOVE = re.compile(r"^(?P<name>.+?) (?P<verb>grew|shrank) from [\d.]+ ?% to [\d.]+ ?%(?: \([+−-]?[\d.]+ points?\))?")
_LONG = re.compile(r"(?<![\w.])\d+\.\d{2,}\b")


_NO_CHANGE = re.compile(r"^No segment's share changed significantly between wave (\S+) and wave (\S+?)\.?$")
_DRIFT = re.compile(r"^(?P<name>.+?): (?:the share answering '(?P<level>.+?)' to )?(?P<label>.+?) (?P<verb>rose|fell) "
                    r"from (?P<a>-?[\d.,]+ ?%?) to (?P<b>-?[\d.,]+ ?%?)")


def client_movement(text: str, whole: dict, waves, w=None) -> tuple[str, str]:
    """(client sentence, consultant note) of one movement the tracking step wrote: test
    statistics go to the consultant's notes ('differs' becomes 'differs significantly'), a
    segment's sizes are the whole shares of the sizes slides (one value per segment and wave),
    long decimals are rounded.  In another language than English the sentence is said again in
    that language from its parts ('' for a sentence of unknown shape: the notes keep it)."""
    original = str(text)
    if w is not None and (w.language != "en" or _DRIFT.match(original)):
        # a profile movement is said from its parts in every language (one rounding rule)
        return _movement_in(original, whole, waves, w), original
    significant = False

    def parens(m):
        nonlocal significant
        parts = [x.strip() for x in m.group(1).split(",")]
        keep = [x for x in parts if not _STAT_PART.search(x)]
        significant = significant or len(keep) < len(parts)
        return f" ({', '.join(keep)})" if keep else ""

    out = re.sub(r"\s*\(([^()]*)\)", parens, original)
    m = _MOVE.match(out)
    if m and m.group("name") in whole and len(waves) >= 2:
        sizes = whole[m.group("name")]
        a, b = sizes.get(waves[-2], sizes.get(waves[0])), sizes.get(waves[-1])
        if a is not None and b is not None:
            out = f"{m.group('name')} {m.group('verb')} from {a} % to {b} % ({b - a:+d} points)" + out[m.end():]
    out = _LONG.sub(lambda x: number(float(x.group(0)), 0 if float(x.group(0)) >= 100 else 1), out)
    if significant and " differs" in out and "significantly" not in out:
        out = out.replace(" differs", " differs significantly", 1)
    return out.strip(), original


def move_words(move: dict, whole: dict, waves, w) -> str:
    """One movement of the tracking step (a :attr:`DeckTrends.moves` record) in the deck's language,
    '' for a record of unknown kind. A segment's sizes are the whole shares of the sizes slide (one
    value per segment and wave); an indicator's two values follow the one rule of a figure beside
    another (:func:`workbench.core.language.figure_pair`): a behaviour measure with its declared
    decimals, shares whole per cent, a decimal more while the two read alike (up to the rule's cap, or
    to what a sentence read back held: ``most``); its label in the deck's language. Test statistics stay in the consultant's notes (the English sentence)."""
    kind = move.get("kind")
    if kind == "size":
        name, a, b = str(move["name"]), None, None
        if name in whole and len(waves) >= 2:
            ww = whole[name]
            a, b = ww.get(waves[-2], ww.get(waves[0])), ww.get(waves[-1])
        if a is None or b is None:
            if move.get("before") is None or move.get("after") is None:
                return ""
            a, b = round(100 * float(move["before"])), round(100 * float(move["after"]))
        return w("moves.grew" if move.get("up") else "moves.shrank", name=name, a=a, b=b, diff=f"{b - a:+d}") + "."
    if kind == "size_none":
        return w("moves.no_change", first=move["before_wave"], last=move["after_wave"])
    if kind == "distribution":
        return w("moves.all_differs" if move.get("differs") else "moves.all_same")
    if kind == "drift_none":
        return w("moves.no_drift")
    if kind != "drift":
        return ""
    pct = move.get("measure") in ("share", "proportion")
    var = str(move.get("indicator") or "")
    fixed = re.search(r"\.(\d)f", MEASURES[var].fmt) if var in MEASURES else None
    decimals = int(fixed.group(1)) if fixed else None
    x, y = (100 * float(move["before"]), 100 * float(move["after"])) if pct else (move["before"], move["after"])
    # records carry full precision (figure_pair's own cap); a sentence read back holds what it wrote
    most = {"most": max(int(move["most"]), decimals or 0)} if move.get("most") is not None else {}
    a, b = figure_pair(x, y, w.language, percent=pct, decimals=None if pct else decimals, **most)
    a, b = (f"{a}{NBSP}%", f"{b}{NBSP}%") if pct else (a, b)
    share = move.get("measure") == "share"
    key = ("moves.share_" if share else "moves.") + ("rose" if move.get("up") else "fell")
    label = w.kpi(var, str(move["label"])) if var in MEASURES else str(move["label"])
    return w(key, name=move["name"], label=label, level=move.get("level") or "", a=a, b=b) + "."


def _movement_in(text: str, whole: dict, waves, w) -> str:
    """One tracking sentence of trends saved before the moves were recorded, read back into its
    record and worded by :func:`move_words`; '' when its shape is unknown."""
    record = _move_of(text)
    return move_words(record, whole, waves, w) if record else ""


def _move_of(text: str) -> dict | None:
    """The :attr:`DeckTrends.moves` record of one of the tracking step's English sentences (the
    numbers as it wrote them: per cents with one decimal, means with two), or None."""
    m = _MOVE.match(text)
    if m:
        nums = re.findall(r"([\d.]+) ?%", m.group(0))
        before, after = (float(nums[0]) / 100, float(nums[1]) / 100) if len(nums) >= 2 else (None, None)
        return {"kind": "size", "name": m.group("name"), "before": before, "after": after, "up": m.group("verb") == "grew"}
    m = _NO_CHANGE.match(text)
    if m:
        return {"kind": "size_none", "before_wave": m.group(1), "after_wave": m.group(2)}
    if text.startswith("The size distribution as a whole"):
        return {"kind": "distribution", "differs": "does not differ" not in text}
    if text.startswith("No indicator moved"):
        return {"kind": "drift_none"}
    m = _DRIFT.match(text)
    if not m:
        return None
    a, b = (x.strip() for x in (m.group("a"), m.group("b")))
    pct = a.endswith("%") or b.endswith("%")
    try:
        x, y = (float(t.rstrip("%").strip().replace(",", "")) / (100 if pct else 1) for t in (a, b))
    except ValueError:
        return None
    share = m.group("level") is not None
    held = max(len(t.rstrip("%").strip().split(".")[1]) if "." in t else 0 for t in (a, b))
    return {"kind": "drift", "most": held, "name": m.group("name"), "indicator": measure_of_label(m.group("label")) or "",
            "label": m.group("label"), "level": m.group("level"),
            "measure": "share" if share else "proportion" if pct else "mean", "before": x, "after": y,
            "up": m.group("verb") == "rose"}
