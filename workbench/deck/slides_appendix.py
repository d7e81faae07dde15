"""The appendix: how to recognise the segments, method and quality, the factor solution,
the candidates' fit table, and the scorecard (or which frozen model classified the wave)."""

from __future__ import annotations

import math
import re

import pandas as pd
from pptx.dml.color import RGBColor
from pptx.util import Inches

from ..core.measures import METHOD_NAMES, candidate_label, column_label, measure_label, p_text, readable
from ..describe.persona_names import lower_first
from .data import DeckData
from .texts import Words
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


def candidate_words(candidate, w: Words) -> str:
    """A candidate as the client reads it in the deck's language ('lca_5' → 'LCA, 5 segments' /
    'LCA, 5 segmenter'; 'wave 1 model (kmeans k=2)' → 'model fra bølge 1 (k-means, 2 segmenter)')."""
    text = str(candidate)
    m = _WAVE_MODEL.fullmatch(text.strip())
    if m:
        return w("candidate.wave_model", wave=m.group(1), method=METHOD_NAMES.get(m.group(2), m.group(2)), k=m.group(3))
    m = _CANDIDATE_ID.fullmatch(text.strip())
    if m:
        return w("candidate", method=METHOD_NAMES[m.group(1)], k=m.group(2))
    return readable(text)


_WAVE_MODEL = re.compile(r"wave (\S+) model \((lca|lpa|kmeans|ward)(?:_| k=)(\d+)\)")
_CANDIDATE_ID = re.compile(r"(lca|lpa|kmeans|ward)(?:_| k=)(\d+)")
_FITTED_ON = re.compile(r"fitted on wave (\S+?)[ ,.(]")


#: Reasons for a skipped step that are no news to the client: a first wave has nothing to track
#: or to move from, and fits its own segmentation instead of classifying with an earlier one.
_NOT_NEWS = ("no earlier model", "this wave fits its own segmentation")


def skipped_for_client(skipped: dict, w: Words) -> list[str]:
    """The parts of the study a client is told this run lacks, in the deck's words ('next year's
    behaviour', 'tracking'); left out: steps that cannot apply to this wave (:data:`_NOT_NEWS`; the
    segments of a classified wave, the classification of a fitted one). The reasons, the rooms'
    English sentences, go to the consultant's notes."""
    out: list[str] = []
    for key, why in (skipped or {}).items():
        key, why = str(key), str(why)
        if key in ("segments", "classification") or why.startswith(_NOT_NEWS):
            continue
        if key.startswith("measures "):  # behaviour measures the transactions cannot give: the group's first
            # the behaviour room names them by their English labels ('Cost to serve, Units per customer')
            first = key[len("measures "):].split(", ")[0]
            name = w.kpi_of_label(w.kpi(first, measure_label(first)))
        elif key.startswith("forward"):  # 'forward outcomes, 12-month horizon', 'forward relevance'
            months = [int(m) for m in re.findall(r"(\d+)-month", key + " " + why)]
            name = w("step.forward") if not months or min(months) == 12 else w("step.forward_months",
                                                                                    months=min(months))
        else:
            name = w(f"step.{key}") if w.has(f"step.{key}") else w("step.other", step=key)
        if name not in out:
            out.append(name)
    return out



def weighting_line(fig: dict, w: Words) -> str:
    """The weighting on the method slide in the deck's language, from its figures (the raking's, or
    the study's survey weights' when ``kind`` is 'survey'): the raking variables, the effective
    sample size of n, the design effect and the weights' range to two decimals (Kish's design
    effect is read to two), and a warning when the raking did not converge."""
    names = [lower_first(w.kpi_of_label(v)) for v in fig.get("variables") or []]
    key = "method.weighted_survey" if fig.get("kind") == "survey" else "method.weighted_by"
    line = w(key, variables=w.join(names), n_eff=w.n(fig["effective_n"]), n=w.n(fig["n"]),
             deff=w.n(fig["design_effect"], 2), lo=w.n(fig["min_weight"], 2), hi=w.n(fig["max_weight"], 2))
    return line if fig.get("converged", True) else f"{line} {w('method.not_converged')}"


def method_slide(d: Canvas, data: DeckData, shown, hidden):
    s = d.slide(key="method")
    w = d.w
    en = w.language == "en"
    d.title(s, w("method.title"), subtitle=w("method.sub"))
    q = data.quality
    lines = []
    if q:
        lines.append((w("method.sample", read=w.n(q["read"]), kept=w.n(q["kept"]), excluded=w.n(q["excluded"])),
                      {"bullet": True}))
    if data.weighting_figures:
        lines.append((weighting_line(data.weighting_figures, w), {"bullet": True}))
    elif data.weighting:  # a deck saved before the figures were recorded: the room's sentence in English
        lines.append((f"Weighting: {data.weighting}." if en else w("method.weighted"), {"bullet": True}))
    else:
        lines.append((w("method.unweighted"), {"bullet": True}))
    if data.scorecard is not None and not data.model_note:
        rk = data.scorecard["ranking"]
        lines.append((w("method.chosen_pinned" if data.scorecard["pinned"] else "method.chosen",
                        candidate=candidate_words(data.scorecard["recommended"], w), k=len(rk)), {"bullet": True}))
    if data.model_note:
        m = _FITTED_ON.search(str(data.model_note) + " ")
        lines.append((client_text(data.model_note) if en else (w("method.frozen", wave=m.group(1)) if m
                                                               else w("method.frozen_any")), {"bullet": True}))
    said = skipped_for_client(data.skipped, w)
    if said:
        lines.append((w("method.skipped", steps=w.join(said)), {"bullet": True}))
    # why each part was skipped (the rooms' English reasons) is for the consultant
    method_detail = [f"Skipped: {k} ({v})" for k, v in data.skipped.items()] + ([] if en else (
        [f"Weighting: {data.weighting}", str(data.model_note or "")] if data.weighting else [str(data.model_note or "")]))
    for method, basis in data.bases.items():
        # the covariance structure is a method detail: in the consultant's notes, in words
        cov = re.search(r";?\s*covariance '(\w+)'", basis)
        if cov:
            basis = basis.replace(cov.group(0), "")
            method_detail.append(f"{METHOD_NAMES.get(method, method)} covariance within segments: "
                                 f"{COVARIANCE_WORDS.get(cov.group(1), cov.group(1))} ({cov.group(1)}).")
        if en:
            lines.append((f"{METHOD_NAMES.get(method, method)}: {readable(basis)}", {"bullet": True}))
        else:  # the basis sentence is the segments room's (English): its count of items in the deck's words
            method_detail.append(f"{METHOD_NAMES.get(method, method)}: {basis}")
            n_items = re.match(r"\s*(\d+)", basis)
            if n_items:
                lines.append((w("method.basis", method=METHOD_NAMES.get(method, method), items=n_items.group(1)),
                              {"bullet": True}))
    lines.append((w("method.profiles_hidden", min_n=data.min_segment_n, k=len(hidden)) if hidden else
                  w("method.profiles", min_n=data.min_segment_n), {"bullet": True}))
    left_w = int(d.width * 0.45)
    d.text(s, Box(d.margin, d.top, left_w, d.bottom - d.top), lines, max_pt=14, min_pt=10, space_pt=6)
    notes = [str(q.get("headline", ""))] if q else []
    if q and len(q.get("checks", [])):
        checks = q["checks"]
        right_l = d.margin + left_w + int(Inches(0.3))
        frame = checks[[c for c in ("check", "action", "flagged", "excluded") if c in checks.columns]]
        frame = frame.assign(**{c: frame[c].map(lambda v, c=c: _check_words(c, v, w)) for c in ("check", "action")
                                if c in frame.columns})
        names = {c: w(f"method.col_{c}") for c in frame.columns}
        frame = frame.rename(columns=names)
        add_table(d, s, Box(right_l, d.top, d.W - d.margin - right_l, 0), frame, [3, 2.4, 1.2, 1.2], size=11,
                  formats={names["flagged"]: lambda v: w.n(int(v)), names["excluded"]: lambda v: w.n(int(v))})
        thresholds = checks["threshold"] if "threshold" in checks.columns else pd.Series("", index=checks.index)
        detail = [f"{readable(column_label(r.check))}: {readable(r.action)}, threshold {t}, flagged {r.flagged}, "
                  f"excluded {r.excluded}" for r, t in zip(checks.itertuples(), thresholds)]
    else:
        detail = []
    if data.weighting and en:
        notes.append(f"Weighting: {data.weighting}")
    if not en:  # the quality room's headline is English: for the consultant
        detail = [readable(n) for n in notes] + detail
        notes = [x[0] for x in lines]
    d.notes(s, [readable(n) for n in notes] or [w("method.no_quality")], consultant=method_detail + detail)


def _check_words(column: str, value, w: Words):
    """A quality check's name or action in the deck's language (the English words otherwise)."""
    if not isinstance(value, str):
        return value
    key = f"{'check' if column == 'check' else 'action'}.{value}"
    return sentence_case(w(key) if w.has(key) else readable(column_label(value)))


def sentence_case(text) -> str:
    """A table cell or header as a slide writes it: its first letter a capital ('duplicates' →
    'Duplicates'), the rest as it is ('BLRT p', 'k-means')."""
    text = str(text)
    return text[:1].upper() + text[1:]


def factor_slide(d: Canvas, data: DeckData):
    f = data.factors
    if not len(f):
        return
    s = d.slide(key="factors")
    w = d.w
    d.title(s, w("factors.title"), subtitle=w("factors.sub"))
    frame = f.rename(columns={"variance %": "% variance"})
    frame = frame[["battery", "factor", "items", "% variance", "alpha"]]
    max_rows = int((d.bottom - d.top) / Inches(0.3)) - 1
    items_w = d.width * 0.36
    shown = frame.assign(items=[t if estimate_lines(t, int(items_w), 10) == 1 else shorten(t, int(items_w), text_height(
        "x", int(items_w), 10), 10) for t in frame["items"]]).head(max_rows)
    heads = {"battery": w("factors.col_battery"), "factor": w("factors.col_factor"), "items": w("factors.col_items"),
             "% variance": w("factors.col_variance"), "alpha": w("factors.col_alpha")}
    add_table(d, s, Box(d.margin, d.top, d.width, 0), shown.rename(columns=heads), [2.3, 2.4, 3.6, 1.0, 0.8], size=10,
              formats={heads["% variance"]: lambda v: w.n(v, 1), heads["alpha"]: lambda v: w.n(v, 2)})
    d.notes(s, list(data.factor_notes) + [f"{r.battery} / {r.factor}: {r.items}" for r in f.itertuples()])


def fit_slide(d: Canvas, data: DeckData):
    ft = data.fit
    if not len(ft):
        return
    s = d.slide(key="fit")
    w = d.w
    d.title(s, w("fit.title"), subtitle=w("fit.sub"))
    cols = {"candidate": "candidate", "k": "k", "bic": "BIC", "entropy": "entropy", "smallest_share": "smallest segment",
            "stability_mean": "stability", "starts": "starts at best", "blrt_p": "BLRT p", "max_bvr": "largest BVR",
            "status": "status"}
    heads = {"candidate": "candidate", "k": "k", "BIC": "bic", "entropy": "entropy", "smallest segment": "smallest",
             "stability": "stability", "starts at best": "starts", "BLRT p": "blrt", "largest BVR": "bvr",
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
    formats = {"candidate": lambda v: sentence_case(candidate_words(v, w)), "k": lambda v: f"{int(v)}",
               "BIC": lambda v: w.n(v), "entropy": lambda v: w.n(v, 2), "smallest segment": lambda v: w.pct(100 * v, 1),
               "stability": lambda v: w.n(v, 2), "BLRT p": lambda v: str(v).replace(".", w.decimal),
               "largest BVR": lambda v: w.n(v, 1), "status": lambda v: w(f"status.{v}") if w.has(f"status.{v}") else str(v)}
    names = {c: w(f"fit.col_{heads[c]}") for c in frame.columns}
    add_table(d, s, Box(d.margin, d.top, int(d.width * 0.8), 0), frame.reset_index(drop=True).rename(columns=names),
              [widths[c] for c in frame.columns], size=10, highlight=hl, row_h=Inches(0.27),
              formats={names[c]: f for c, f in formats.items() if c in names})
    side = d.margin + int(d.width * 0.82)
    d.text(s, Box(side, d.top, d.W - d.margin - side, int(Inches(4.0))),
           [(w("fit.recommended", candidate=candidate_words(rec, w)), {"bold": True}) if rec else w("fit.no_scorecard"),
            w("fit.side1"), w("fit.side2")],
           max_pt=12, min_pt=9)
    present = [c for c in ("status", "bic", "entropy", "smallest_share", "stability_mean", "starts", "ll_gap",
                           "blrt_p", "blrt_reps", "blrt_p_floor", "max_bvr", "max_bvr_pair", "flags") if c in ft.columns]
    d.notes(s, [w("fit.notes")],
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
    """'3/3', '2/12 (+10)' with added starts; empty for a method without a likelihood (k-means, Ward:
    no BIC in the row) or without the column."""
    starts = row.get("starts")
    bic = row.get("bic")
    if not isinstance(starts, str) or not starts or not (isinstance(bic, (int, float)) and math.isfinite(bic)):
        return ""
    added = row.get("starts_added")
    return f"{starts} (+{int(added)})" if isinstance(added, (int, float)) and math.isfinite(added) and added else starts


def scorecard_slide(d: Canvas, data: DeckData, max_rows=10):
    card = data.scorecard
    s = d.slide(key="scorecard")
    w = d.w
    en = w.language == "en"
    frozen = bool(data.model_note)  # a later wave: the frozen segmentation re-checked, no candidates compared
    if frozen:
        d.title(s, w("card.title_frozen"), subtitle=w("card.sub_frozen", wave=data.wave))
    else:
        d.title(s, w("card.title"), subtitle=w("card.sub"))
    cols = ["rank", "candidate", "k", "relevant", "operational", "describable", "typing accuracy"]
    col_keys = {"rank": "rank", "candidate": "candidate", "k": "k", "relevant": "relevant", "operational": "operational",
                "describable": "describable", "typing accuracy": "typing"}
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
        fill_cell(table.cell(0, j), w(f"card.col_{col_keys[c]}"), size=11, font=d.minor, colour=WHITE, bold=True,
                  fill=d.head)
    for i, r in enumerate(shown.to_dict("records"), start=1):
        rec = r["candidate"] == card["recommended"]
        for j, c in enumerate(cols):
            v = r.get(c)
            colour = d.dark
            if c == "typing accuracy" and v is not None and pd.notna(v):
                fv = float(str(v).rstrip("%")) / 100 if isinstance(v, str) else float(v)
                txt = w.pct(100 * fv)
            elif c in ("rank", "k") and v is not None and pd.notna(v):
                txt = f"{int(v)}"
            elif c == "candidate":
                txt = sentence_case(candidate_words(v, w))
            else:
                txt = "" if v is None or pd.isna(v) else str(v)
                colour = status_colour.get(txt, d.dark)
                txt = sentence_case(w(f"card.{txt}")) if txt in ("pass", "fail", "not measured") else txt
            fill_cell(table.cell(i, j), txt, size=10, font=d.minor, colour=colour, bold=rec,
                      fill=RGBColor(0xE3, 0xEE, 0xF7) if rec else (TINT if i % 2 == 0 else WHITE))
    rl = d.margin + tbl_w + int(Inches(0.3))
    rbox = Box(rl, d.top, d.W - d.margin - rl, d.bottom - d.top)
    more = w("card.top", k=len(shown), total=len(rk)) if len(rk) > len(shown) else ""
    if frozen:
        said = [sentence_case(client_text(data.model_note)), sentence_case(client_text(card["reason"]))] if en \
            else [card_reason(data, w)]
        d.text(s, rbox, [(w("card.kept"), {"bold": True})] + said, max_pt=16, min_pt=10)
    else:
        d.text(s, rbox, [(w("fit.recommended", candidate=candidate_words(card["recommended"], w)), {"bold": True}),
                         sentence_case(readable(card["reason"]) if en else card_reason(data, w)) + more],
               max_pt=16, min_pt=10)
    if en:
        notes = [f"Recommended: {readable(candidate_label(card['recommended']))}{' (pinned)' if card['pinned'] else ''}. "
                 f"{readable(card['reason'])}"]
    else:
        notes = [w("fit.recommended", candidate=candidate_words(card["recommended"], w)) + ". " + card_reason(data, w)]
    checks = [f"[{r.status}] {r.criterion} / {readable(r.check)}: value {r.value:.3g}, threshold {r.threshold}"
              for r in card["checks"].itertuples()] + ([] if en else [f"Reason: {readable(card['reason'])}"])
    d.notes(s, notes, consultant=checks)


def card_reason(data: DeckData, w: Words) -> str:
    """Why the recommended segmentation, in the deck's language, from the scorecard's statuses (the
    criteria room's reason is an English sentence: the consultant's notes keep it)."""
    card = data.scorecard
    rk = card["ranking"]
    r = rk[rk["candidate"].astype(str) == str(card["recommended"])]
    crits = ("relevant", "operational", "describable")
    status = {c: str(r[c].iloc[0]) for c in crits if len(r) and c in r.columns}
    passed = [w(f"criterion.{c}") for c in crits if status.get(c) == "pass"]
    failed = [w(f"criterion.{c}") for c in crits if status.get(c) == "fail"]
    if data.model_note:
        m = _FITTED_ON.search(str(data.model_note) + " ")
        verdict = w("card.fails_some", failed=w.join(failed)) if failed else w("card.passes_all")
        return w("card.recheck", wave=m.group(1) if m else "", verdict=verdict)
    if failed:
        return w("card.reason_fails", failed=w.join(failed))
    return w("card.reason", passed=w.join(passed)) if passed else ""


def recognise_slide(d: Canvas, data: DeckData):
    """How to recognise the segments outside the survey: the golden questions and the CRM."""
    r = data.recognise
    s = d.slide(key="recognise")
    w = d.w
    pc = (lambda v: f"{100 * float(v):.0f}")  # a 0-1 share as a whole percent (the one rounding rule)
    placed = bool(r.get("customers")) and not r.get("base_refused")
    d.title(s, w("rec.recognise_title"), subtitle=w("recognise.sub") + (w("recognise.sub_crm") if placed else ""))
    gap = int(Inches(0.4))
    half = (d.width - gap) // 2
    qs = list(r.get("questions") or [])
    acc, base = r.get("accuracy"), r.get("baseline")
    left = [(w("recognise.golden1") if len(qs) == 1 else w("recognise.golden", k=len(qs)), {"bold": True})]
    left += [(f"{i}. {q}", {}) for i, q in enumerate(qs, start=1)]
    if acc is not None:
        # the typing tool's own cross-validation, on the wave it was chosen on (the re-check table of a
        # later wave shows that wave's figure: two waves, two figures, each said with its wave)
        left.append((w("recognise.accuracy1" if len(qs) == 1 else "recognise.accuracy", acc=pc(acc), base=pc(base),
                       wave=r.get("fitted_wave", data.wave)), {}))
    if r.get("typing_refused"):  # its figures are the accuracy line's; the rule's sentence is the consultant's
        left.append((w("recognise.refused"), {"bold": True}))
    crm = bool(r.get("customers") or r.get("base_refused") or r.get("base_accuracy") is not None)
    d.text(s, Box(d.margin, d.top, half if crm else d.width, d.bottom - d.top), left, max_pt=16, min_pt=10)
    notes = [w("recognise.notes_golden", wave=r.get("fitted_wave", data.wave), questions="; ".join(qs))]
    if acc is not None:
        notes.append(w("recognise.notes_accuracy", acc=pc(acc), base=pc(base)))
    if not crm:  # no customer base: no empty "every customer in the CRM" panel
        d.notes(s, notes, consultant=["typing_tool.xlsx is the typing tool."] + _refusals(r))
        return
    right = Box(d.margin + half + gap, d.top, half, d.bottom - d.top)
    d.rect(s, right, TINT)
    lines = [(w("recognise.crm"), {"bold": True})]
    if r.get("customers") and not r.get("from_model") and r.get("from_survey") == r["customers"]:
        # none placed by the model: no '0 placed from behaviour (0 of them confidently)'
        lines.append((w("recognise.customers_survey", customers=w.n(r["customers"])), {}))
    elif r.get("customers"):
        lines.append((w("recognise.customers", customers=w.n(r["customers"]), survey=w.n(r["from_survey"]),
                        model=w.n(r["from_model"]), confident=w.n(r.get("confident", 0))), {}))
    if r.get("base_refused"):  # said from the figures (one rounding rule); the rule's English sentence: notes
        figures = r.get("base_accuracy") is not None and r.get("base_baseline") is not None
        lines.append((w("recognise.base_refused_figures", acc=pc(r["base_accuracy"]), base=pc(r["base_baseline"]))
                      if figures else w("recognise.base_refused"), {}))
    elif r.get("base_accuracy") is not None:
        lines.append((w("recognise.base_accuracy", acc=pc(r["base_accuracy"]), base=pc(r["base_baseline"])), {}))
    if placed:
        lines.append((w("recognise.list"), {}))
    pad = int(Inches(0.2))
    d.text(s, Box(right.left + pad, right.top + pad, right.width - 2 * pad, right.height - 2 * pad), lines,
           max_pt=16, min_pt=10)
    if r.get("customers"):
        pct = (lambda v: f"{float(v):.0%}" if v is not None else "not computed")
        notes.append(f"Customers {r['customers']:,}: {r['from_survey']:,} from the survey, {r['from_model']:,} placed "
                     f"by the model, {r.get('confident', 0):,} confidently; placement accuracy "
                     f"{pct(r.get('base_accuracy'))} (guessing: {pct(r.get('base_baseline'))}).")
    files = ["typing_tool.xlsx is the typing tool."] + (["customer_segments.csv holds the segment per customer."]
                                                        if placed else [])
    d.notes(s, notes, consultant=files + _refusals(r))


def _refusals(r: dict) -> list[str]:
    """Why the typing tool is not recommended / customers are not placed, in the rule's words
    (the consultant's notes; the slide says it from the figures)."""
    return ([f"Typing tool not recommended: {r['typing_refused']}."] if r.get("typing_refused") else []) + \
        ([f"Customers not placed: the whole-base model's {r['base_refused']}."] if r.get("base_refused") else [])


def model_slide(d: Canvas, data: DeckData):
    s = d.slide(key="model")
    w = d.w
    d.title(s, w("model.title"))
    m = _FITTED_ON.search(str(data.model_note or "") + " ")
    if w.language == "en":
        note = client_text(data.model_note) if data.model_note else w("model.none")
    else:
        note = w("method.frozen", wave=m.group(1)) if m else w("model.none")
    d.text(s, Box(d.margin, d.top, d.width, int(Inches(2.0))), [note], max_pt=18, min_pt=11)
    d.notes(s, [note])
