"""The appendix: how to recognise the segments, method and quality, the factor solution,
the candidates' fit table, and the scorecard (or which frozen model classified the wave)."""

from __future__ import annotations

import math
import re

import pandas as pd
from pptx.dml.color import RGBColor
from pptx.util import Inches

from ..measures import METHOD_NAMES, candidate_label, column_label, p_text, readable
from .data import DeckData
from .layout import TINT, WHITE, Box, Canvas, add_table, estimate_lines, fill_cell, shorten, text_height

__all__ = ["recognise_slide", "method_slide", "factor_slide", "fit_slide", "scorecard_slide", "model_slide"]


_FILE_REF = re.compile(r",?\s*(?:frozen |saved |written )?in [\w-]+\.(?:json|xlsx|csv|yaml)\b")


def client_text(text) -> str:
    """A sentence of the run as the client reads it: candidate ids and setting codes in words
    (:func:`readable`), references to the workbench's files left out ('frozen in model.json')."""
    return _FILE_REF.sub("", readable(str(text or "")))


#: Covariance structures of a latent profile model, in words (sklearn's names).
COVARIANCE_WORDS = {"diag": "each score its own variance, scores unrelated", "full": "scores may be related",
                    "spherical": "one variance for all scores", "tied": "one shared covariance for all segments"}


def method_slide(d: Canvas, data: DeckData, shown, hidden):
    s = d.slide(key="method")
    d.title(s, "Appendix: method and quality", subtitle="Sample, exclusions, weighting and how the segments were found")
    q = data.quality
    lines = []
    if q:
        lines.append((f"Sample: {q['read']:,} respondents read, {q['kept']:,} kept, {q['excluded']:,} excluded "
                      "(quality checks on the right).", {"bullet": True}))
    lines.append((f"Weighting: {data.weighting}." if data.weighting else "Unweighted: every respondent counts once.",
                  {"bullet": True}))
    if data.scorecard is not None and not data.model_note:
        rk = data.scorecard["ranking"]
        lines.append((f"Segmentation: {candidate_label(data.scorecard['recommended'])} chosen from {len(rk)} candidate "
                      f"segmentations{' (pinned in study.yaml)' if data.scorecard['pinned'] else ''}.", {"bullet": True}))
    if data.model_note:
        lines.append((client_text(data.model_note), {"bullet": True}))
    if data.skipped:
        lines.append(("Not in this run: " + "; ".join(f"{k} ({readable(v)})" for k, v in data.skipped.items()) + ".",
                      {"bullet": True}))
    method_detail = []
    for method, basis in data.bases.items():
        # the covariance structure is a method detail: in the consultant's notes, in words
        cov = re.search(r";?\s*covariance '(\w+)'", basis)
        if cov:
            basis = basis.replace(cov.group(0), "")
            method_detail.append(f"{METHOD_NAMES.get(method, method)} covariance within segments: "
                                 f"{COVARIANCE_WORDS.get(cov.group(1), cov.group(1))} ({cov.group(1)}).")
        lines.append((f"{METHOD_NAMES.get(method, method)}: {readable(basis)}", {"bullet": True}))
    lines.append((f"Profiles: index = segment ÷ total × 100; ▲ / ▼ = significantly above / below the rest of the "
                  f"sample; segments below n={data.min_segment_n} are not shown"
                  + (f" ({len(hidden)} suppressed)." if hidden else "."), {"bullet": True}))
    left_w = int(d.width * 0.45)
    d.text(s, Box(d.margin, d.top, left_w, d.bottom - d.top), lines, max_pt=14, min_pt=10, space_pt=6)
    notes = [str(q.get("headline", ""))] if q else []
    if q and len(q.get("checks", [])):
        checks = q["checks"]
        right_l = d.margin + left_w + int(Inches(0.3))
        frame = checks[[c for c in ("check", "action", "flagged", "excluded") if c in checks.columns]]
        frame = frame.assign(**{c: frame[c].map(lambda v: readable(column_label(v)) if isinstance(v, str) else v)
                                for c in ("check", "action") if c in frame.columns})
        add_table(d, s, Box(right_l, d.top, d.W - d.margin - right_l, 0), frame, [3, 2.4, 1.2, 1.2], size=11,
               formats={"flagged": lambda v: f"{int(v):,}", "excluded": lambda v: f"{int(v):,}"})
        thresholds = checks["threshold"] if "threshold" in checks.columns else pd.Series("", index=checks.index)
        detail = [f"{readable(column_label(r.check))}: {readable(r.action)}, threshold {t}, flagged {r.flagged}, "
                  f"excluded {r.excluded}" for r, t in zip(checks.itertuples(), thresholds)]
    else:
        detail = []
    if data.weighting:
        notes.append(f"Weighting: {data.weighting}")
    d.notes(s, [readable(n) for n in notes] or ["No quality report in this run."], consultant=method_detail + detail)


def factor_slide(d: Canvas, data: DeckData):
    f = data.factors
    if not len(f):
        return
    s = d.slide(key="factors")
    d.title(s, "Appendix: factor solution", subtitle="Factors per battery, their items, variance explained and "
                                                     "reliability (Cronbach's alpha)")
    frame = f.rename(columns={"battery": "battery", "variance %": "% variance"})
    frame = frame[["battery", "factor", "items", "% variance", "alpha"]]
    max_rows = int((d.bottom - d.top) / Inches(0.3)) - 1
    items_w = d.width * 0.45
    shown = frame.assign(items=[t if estimate_lines(t, int(items_w), 10) == 1 else shorten(t, int(items_w), text_height(
        "x", int(items_w), 10), 10) for t in frame["items"]]).head(max_rows)
    add_table(d, s, Box(d.margin, d.top, d.width, 0), shown, [1.4, 2.4, 4.5, 1.0, 0.8], size=10,
           formats={"% variance": lambda v: f"{v:.1f}", "alpha": lambda v: f"{v:.2f}"})
    d.notes(s, list(data.factor_notes) + [f"{r.battery} / {r.factor}: {r.items}" for r in f.itertuples()])


def fit_slide(d: Canvas, data: DeckData):
    ft = data.fit
    if not len(ft):
        return
    s = d.slide(key="fit")
    d.title(s, "Appendix: candidate segmentations", subtitle="Fit of every candidate (BIC: lower is better; "
                                                             "entropy and stability: higher is better)")
    cols = {"candidate": "candidate", "k": "k", "bic": "BIC", "entropy": "entropy", "smallest_share": "smallest segment",
            "stability_mean": "stability", "starts": "starts at best", "blrt_p": "BLRT p", "max_bvr": "largest BVR",
            "status": "status"}
    ft = ft.assign(starts=[_starts_text(r) for r in ft.to_dict("records")]) if "starts" in ft.columns else ft
    if "blrt_p" in ft.columns:
        ft = ft.assign(blrt_p=[_blrt_text(r) for r in ft.to_dict("records")])
    frame = ft[[c for c in cols if c in ft.columns]].rename(columns=cols)
    widths = {"candidate": 1.6, "k": 0.4, "BIC": 1.1, "entropy": 0.9, "smallest segment": 1.2, "stability": 0.9,
              "starts at best": 1.0, "BLRT p": 0.8, "largest BVR": 0.9, "status": 0.9}
    max_rows = int((d.bottom - d.top) / Inches(0.27)) - 1
    rec = data.scorecard["recommended"] if data.scorecard else None
    if len(frame) > max_rows:
        keep = frame.head(max_rows - 1)
        if rec is not None and rec not in set(keep["candidate"]):
            keep = pd.concat([keep, frame[frame["candidate"] == rec]])
        frame = keep
    hl = {i for i, c in enumerate(frame["candidate"]) if c == rec}
    add_table(d, s, Box(d.margin, d.top, int(d.width * 0.8), 0), frame.reset_index(drop=True),
           [widths[c] for c in frame.columns], size=10, highlight=hl, row_h=Inches(0.27),
           formats={"candidate": candidate_label, "k": lambda v: f"{int(v)}", "BIC": lambda v: f"{v:,.0f}", "entropy": lambda v: f"{v:.2f}",
                    "smallest segment": lambda v: f"{v:.1%}", "stability": lambda v: f"{v:.2f}",
                    "BLRT p": str, "largest BVR": lambda v: f"{v:.1f}"})
    side = d.margin + int(d.width * 0.82)
    d.text(s, Box(side, d.top, d.W - d.margin - side, int(Inches(4.0))),
           [("Recommended: " + candidate_label(rec), {"bold": True}) if rec else "No scorecard in this run.",
            "Highlighted. BIC is not defined for k-means; its entropy is 1 by construction.",
            "Starts at best: random starts reaching the best fit (+ added). BLRT p at most 0.05: k segments "
            "fit better than k-1 (\u2264: the smallest p the draws allow). "
            "BVR above 10: two items stay related within segments."],
           max_pt=12, min_pt=9)
    present = [c for c in ("status", "bic", "entropy", "smallest_share", "stability_mean", "starts", "ll_gap",
                           "blrt_p", "blrt_reps", "blrt_p_floor", "max_bvr", "max_bvr_pair", "flags") if c in ft.columns]
    d.notes(s, ["The table compares every candidate segmentation; the highlighted one is recommended."],
            consultant=[f"{candidate_label(name)}: " + ", ".join(f"{_NOTE_NAMES.get(c, c)} {_note_value(v)}"
                                                                 for c, v in zip(present, values)
                                                                 if not (v is None or (isinstance(v, float) and not math.isfinite(v)) or v == ""))
                        for name, values in zip(ft["candidate"], ft[present].itertuples(index=False))])


def _note_value(v) -> str:
    """A fit value in the notes: 4 significant digits (thousands separated), never full precision."""
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"
    return readable(str(v))


def _blrt_text(row: dict) -> str:
    """The BLRT p-value with its floor: '\u2264 0.01' when no draw reached the observed ratio
    (the p-value is then the smallest the draws allow), else the value; '' without a test."""
    p, floor = row.get("blrt_p"), row.get("blrt_p_floor")
    if p is None or (isinstance(p, float) and not math.isfinite(p)):
        return ""
    if floor is not None and isinstance(floor, float) and math.isfinite(floor) and p <= floor + 1e-12:
        return f"\u2264 {p_text(p)}"
    return p_text(p)


#: Readable names of the fit table's columns in the fit slide's notes.
_NOTE_NAMES = {"bic": "BIC", "smallest_share": "smallest segment", "stability_mean": "stability",
               "starts": "starts at best", "ll_gap": "log-likelihood gap to the next distinct maximum", "blrt_p": "BLRT p",
               "blrt_reps": "BLRT draws", "blrt_p_floor": "BLRT p floor", "max_bvr": "largest bivariate residual", "max_bvr_pair": "between"}


def _starts_text(row: dict) -> str:
    """'3/3', '2/12 (+10)' with added starts; empty for k-means / Ward or without the column."""
    starts = row.get("starts")
    if not isinstance(starts, str) or not starts or row.get("method") in ("kmeans", "ward"):
        return ""
    added = row.get("starts_added")
    return f"{starts} (+{int(added)})" if isinstance(added, (int, float)) and math.isfinite(added) and added else starts


def scorecard_slide(d: Canvas, data: DeckData, max_rows=10):
    card = data.scorecard
    s = d.slide(key="scorecard")
    frozen = bool(data.model_note)  # a later wave: the frozen segmentation re-checked, no candidates compared
    if frozen:
        d.title(s, "Appendix: the segmentation re-checked on this wave",
                subtitle=f"Relevant · operational · describable, on wave {data.wave}'s respondents")
    else:
        d.title(s, "Appendix: choosing the segmentation",
                subtitle="Relevant · operational · describable, for each candidate")
    cols = ["rank", "candidate", "k", "relevant", "operational", "describable", "typing accuracy"]
    rk = card["ranking"]
    shown = rk.head(max_rows)
    rows = len(shown) + 1
    row_h = int(Inches(0.34))
    tbl_w = int(Inches(8.4)) if d.W > Inches(11) else int(d.width * 0.62)
    gf = s.shapes.add_table(rows, len(cols), d.margin, d.top, tbl_w, row_h * rows)
    d.own(s, gf, "table")
    table = gf.table
    status_colour = {"pass": RGBColor(0x1B, 0x7F, 0x3B), "fail": RGBColor(0xC0, 0x39, 0x2B)}
    for j, c in enumerate(cols):
        fill_cell(table.cell(0, j), c, size=11, font=d.minor, colour=WHITE, bold=True, fill=d.head)
    for i, r in enumerate(shown.to_dict("records"), start=1):
        rec = r["candidate"] == card["recommended"]
        for j, c in enumerate(cols):
            v = r.get(c)
            if c == "typing accuracy" and v is not None and pd.notna(v):
                txt = f"{v:.0%}"
            elif c in ("rank", "k") and v is not None and pd.notna(v):
                txt = f"{int(v)}"
            elif c == "candidate":
                txt = readable(candidate_label(v))
            else:
                txt = "" if v is None or pd.isna(v) else str(v)
            fill_cell(table.cell(i, j), txt, size=10, font=d.minor, colour=status_colour.get(txt, d.dark), bold=rec,
                  fill=RGBColor(0xE3, 0xEE, 0xF7) if rec else (TINT if i % 2 == 0 else WHITE))
    rl = d.margin + tbl_w + int(Inches(0.3))
    rbox = Box(rl, d.top, d.W - d.margin - rl, d.bottom - d.top)
    more = f" Showing the top {len(shown)} of {len(rk)} candidates." if len(rk) > len(shown) else ""
    if frozen:
        d.text(s, rbox, [("Kept from the fitted wave", {"bold": True}), client_text(data.model_note),
                         client_text(card["reason"])],
               max_pt=16, min_pt=10)
    else:
        d.text(s, rbox, [("Recommended: " + candidate_label(card["recommended"]), {"bold": True}),
                         readable(card["reason"]) + more], max_pt=16, min_pt=10)
    notes = [f"Recommended: {readable(candidate_label(card['recommended']))}{' (pinned)' if card['pinned'] else ''}. "
             f"{readable(card['reason'])}"]
    checks = [f"[{r.status}] {r.criterion} / {readable(r.check)}: value {r.value:.3g}, threshold {r.threshold}"
              for r in card["checks"].itertuples()]
    d.notes(s, notes, consultant=checks)


def recognise_slide(d: Canvas, data: DeckData):
    """How to recognise the segments outside the survey: the golden questions and the CRM."""
    r = data.recognise
    s = d.slide(key="recognise")
    placed = bool(r.get("customers")) and not r.get("base_refused")
    d.title(s, "How to recognise the segments", subtitle="Golden questions for new contacts" + (
        "; a segment for every customer in the CRM" if placed else ""))
    gap = int(Inches(0.4))
    half = (d.width - gap) // 2
    qs = list(r.get("questions") or [])
    acc, base = r.get("accuracy"), r.get("baseline")
    left = [(f"{len(qs)} golden question{'s' if len(qs) != 1 else ''}", {"bold": True})]
    left += [(f"{i}. {q}", {}) for i, q in enumerate(qs, start=1)]
    if acc is not None:
        left.append((f"Answered together, they put {acc:.0%} of respondents in their own segment (cross-validated; "
                     f"guessing the largest segment: {base:.0%}). The typing tool delivered with this deck computes "
                     "the segment as the answers are typed in.", {}))
    if r.get("typing_refused"):
        left.append((f"Not recommended for typing new contacts: its {r['typing_refused']}.", {"bold": True}))
    crm = bool(r.get("customers") or r.get("base_refused") or r.get("base_accuracy") is not None)
    d.text(s, Box(d.margin, d.top, half if crm else d.width, d.bottom - d.top), left, max_pt=16, min_pt=10)
    if not crm:  # no customer base: no empty "every customer in the CRM" panel
        notes = [f"Golden questions (fitted on wave {r.get('fitted_wave', data.wave)}): " + "; ".join(qs)]
        if acc is not None:
            notes.append(f"Typing accuracy {acc:.0%} (guessing the largest segment: {base:.0%}).")
        d.notes(s, notes, consultant=["typing_tool.xlsx is the typing tool."])
        return
    right = Box(d.margin + half + gap, d.top, half, d.bottom - d.top)
    d.rect(s, right, TINT)
    lines = [("Every customer in the CRM", {"bold": True})]
    if r.get("customers"):
        lines.append((f"{r['customers']:,} customers of the base have a segment: {r['from_survey']:,} from their "
                      f"survey answers, {r['from_model']:,} placed from behaviour and firmographics "
                      f"({r.get('confident', 0):,} of them confidently).", {}))
    if r.get("base_refused"):
        lines.append((f"Customers without survey answers are not placed: behaviour does not predict the segments "
                      f"well enough (the model's {r['base_refused']}).", {}))
    elif r.get("base_accuracy") is not None:
        lines.append((f"The placement puts {r['base_accuracy']:.0%} of respondents in their own segment "
                      f"(cross-validated; guessing the largest segment: {r['base_baseline']:.0%}), so treat "
                      "model-placed customers as likely, not certain, members.", {}))
    if placed:
        lines.append(("The customer list delivered with this deck holds the segment, its source and the "
                      "probability per customer.", {}))
    pad = int(Inches(0.2))
    d.text(s, Box(right.left + pad, right.top + pad, right.width - 2 * pad, right.height - 2 * pad), lines,
           max_pt=16, min_pt=10)
    notes = [f"Golden questions (fitted on wave {r.get('fitted_wave', data.wave)}): " + "; ".join(qs)]
    if acc is not None:
        notes.append(f"Typing accuracy {acc:.0%} (guessing the largest segment: {base:.0%}).")
    if r.get("customers"):
        pct = (lambda v: f"{float(v):.0%}" if v is not None else "not computed")
        notes.append(f"Customers {r['customers']:,}: {r['from_survey']:,} from the survey, {r['from_model']:,} placed "
                     f"by the model, {r.get('confident', 0):,} confidently; placement accuracy "
                     f"{pct(r.get('base_accuracy'))} (guessing: {pct(r.get('base_baseline'))}).")
    files = ["typing_tool.xlsx is the typing tool."] + (["customer_segments.csv holds the segment per customer."]
                                                        if placed else [])
    d.notes(s, notes, consultant=files)


def model_slide(d: Canvas, data: DeckData):
    s = d.slide(key="model")
    d.title(s, "Appendix: how respondents were classified")
    note = client_text(data.model_note) if data.model_note else ("No candidate comparison in this run: the respondents were classified with a saved "
                               "segmentation model.")
    d.text(s, Box(d.margin, d.top, d.width, int(Inches(2.0))), [note], max_pt=18, min_pt=11)
    d.notes(s, [note])
