"""Cross-references of study.yaml that a schema cannot see.

They work on the raw mapping, leniently, so they report problems even when the structure
has errors elsewhere; each problem is ``(key path, message)``.
"""

from __future__ import annotations

from pathlib import Path

import datetime as _dt
import difflib

from ..files.safeids import id_key
from .spec import BEHAVIOUR_CATEGORIES, CODED_TYPES, SCALE_TYPES, unknown_message

__all__ = ["semantic_checks", "path_str"]


def _get(d, key, default=None):
    return d.get(key, default) if isinstance(d, dict) else default


def semantic_checks(data: dict, root: Path) -> list[tuple[tuple, str]]:
    """Cross-references that a schema cannot see. Works on the raw mapping, leniently,
    so it reports problems even when the structure has errors elsewhere."""
    problems = []
    scales = _get(data, "scales", {}) or {}
    scale_names = list(scales) if isinstance(scales, dict) else []
    blocks = _get(data, "blocks", {}) or {}
    seen_cols: dict[str, tuple] = {}

    def check_scale_ref(value, loc):
        if isinstance(value, str):
            if value not in scale_names and value not in SCALE_TYPES:
                close = difflib.get_close_matches(value, scale_names + list(SCALE_TYPES), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(
                    (
                        loc,
                        f"unknown scale type '{value}'{hint}; expected a scale defined under "
                        f"scales ({', '.join(scale_names) or 'none defined'}) or one of "
                        f"{', '.join(SCALE_TYPES)}",
                    )
                )
            elif value in ("likert", "ordinal", "nominal") and value not in scale_names:
                problems.append(
                    (loc, f"scale type '{value}' needs codes: define it under scales: with codes and labels")
                )

    def add_col(col, loc):
        if not isinstance(col, str):
            return
        if col in seen_cols:
            problems.append((loc, f"column '{col}' is already declared at {path_str(seen_cols[col])}"))
        else:
            seen_cols[col] = loc

    rid = _get(data, "respondent_id")
    if isinstance(rid, str):
        add_col(rid, ("respondent_id",))
    cid = _get(data, "customer_id")
    if isinstance(cid, str) and cid != rid:
        add_col(cid, ("customer_id",))

    problems += _scale_checks(scales)

    if isinstance(blocks, dict):
        if not blocks:
            problems.append((("blocks",), "the study declares no question blocks"))
        for bname, block in blocks.items():
            if not isinstance(block, dict):
                problems.append((("blocks", bname), "a block must be a mapping with kind: and questions:"))
                continue
            kind = block.get("kind")
            bloc = ("blocks", bname)
            if "scale" in block:
                check_scale_ref(block["scale"], bloc + ("scale",))
            qs = block.get("questions") or []
            if kind == "outcomes":
                for key in ("importance_scale", "satisfaction_scale"):
                    if key in block:
                        check_scale_ref(block[key], bloc + (key,))
                    elif not block.get("scale"):
                        problems.append((bloc + (key,), "an outcomes block needs importance_scale and satisfaction_scale"))
                outs = block.get("outcomes") or []
                if not outs:
                    problems.append((bloc + ("outcomes",), "an outcomes block needs a list of outcomes"))
                for i, o in enumerate(outs if isinstance(outs, list) else []):
                    if not isinstance(o, dict):
                        continue
                    oid = o.get("id")
                    for role in ("importance", "satisfaction"):
                        col = o.get(role) or (f"{oid}_{role[:3]}" if oid else None)
                        add_col(col, bloc + ("outcomes", i, role))
                if qs:
                    problems.append((bloc + ("questions",), "an outcomes block lists outcomes:, not questions:"))
            elif block.get("outcomes"):
                problems.append((bloc + ("outcomes",), f"outcomes: belongs in a block of kind 'outcomes', not '{kind}'"))
            if kind != "outcomes" and not qs:
                problems.append((bloc + ("questions",), "the block has no questions"))
            for i, q in enumerate(qs if isinstance(qs, list) else []):
                if not isinstance(q, dict):
                    continue
                qloc = bloc + ("questions", i)
                add_col(q.get("id"), qloc + ("id",))
                if "scale" in q:
                    check_scale_ref(q["scale"], qloc + ("scale",))
                elif "scale" not in block and block.get("multi_select") is not True:
                    problems.append((qloc + ("scale",), "no scale: give the question a scale or its block a default scale"))
                if block.get("multi_select") is True:
                    st = _scale_type_raw(q.get("scale", block.get("scale")), scales)
                    if st not in (None, "binary"):
                        problems.append((qloc + ("scale",), f"an option of a multi_select block is ticked or not: its "
                                         f"scale is binary (e.g. {{0: Not selected, 1: Selected}}), not {st}"))
                if q.get("reverse") is True:
                    st = _scale_type_raw(q.get("scale", block.get("scale")), scales)
                    if st not in (None, "likert", "ordinal"):
                        problems.append((qloc + ("reverse",), f"only likert or ordinal items can be reverse-keyed (this one is {st})"))
                force = q.get("force")
                if force is not None and kind not in ("motivations", "barriers"):
                    problems.append((qloc + ("force",), "forces of progress belong to motivations (push, pull) or barriers (anxiety, habit)"))

    problems += _verbatim_checks(blocks, scales)
    problems += _column_role_checks(data, seen_cols, rid)
    problems += _wave_checks(data, root, seen_cols)
    problems += _quality_and_deck_checks(data, root, blocks, scales, seen_cols)
    problems += _behaviour_checks(data, root, seen_cols, cid)
    problems += _panel_checks(data, cid)

    # segmentation plan
    problems += _segmentation_checks(data, blocks if isinstance(blocks, dict) else {}, scales, seen_cols)

    problems += _criteria_checks(data)
    problems += _factor_checks(data, blocks if isinstance(blocks, dict) else {}, scales)
    return problems




def _scale_checks(scales) -> list[tuple[tuple, str]]:
    """Each scale's codes: present where coded, at least two where ordered, apart from the missing codes."""
    problems = []
    if isinstance(scales, dict):
        for name, sc in scales.items():
            if not isinstance(sc, dict):
                continue
            t = sc.get("type")
            codes = sc.get("codes") or {}
            missing = sc.get("missing") or {}
            loc = ("scales", name)
            if t in CODED_TYPES and t != "binary" and not codes:
                problems.append((loc + ("codes",), f"a {t} scale needs codes with labels, e.g. 1: Strongly disagree"))
            if t in ("likert", "ordinal") and codes and len(codes) < 2:
                problems.append((loc + ("codes",), "an ordered scale needs at least two codes"))
            if isinstance(codes, dict) and isinstance(missing, dict):
                both = set(codes) & set(missing)
                if both:
                    problems.append(
                        (loc + ("missing",), f"code(s) {sorted(both)} are both valid answers and missing codes")
                    )
            if t == "numeric" and codes:
                problems.append((loc + ("codes",), "a numeric scale has no codes; use min/max"))
    return problems


def _criteria_checks(data: dict) -> list[tuple[tuple, str]]:
    """The scorecard's k range."""
    problems = []
    crit = _get(data, "criteria", {}) or {}
    ck_min, ck_max = _get(crit, "k_min", 3), _get(crit, "k_max", 8)
    if isinstance(ck_min, int) and isinstance(ck_max, int) and ck_min > ck_max:
        which = "k_max" if isinstance(crit, dict) and "k_max" in crit else "k_min"
        default = "" if isinstance(crit, dict) and "k_max" in crit else ", the default"
        problems.append((("criteria", which), f"k_max ({ck_max}{default}) is below k_min ({ck_min})"))
    return problems


def _verbatim_checks(blocks, scales) -> list[tuple[tuple, str]]:
    """Open questions: language sources, language maps and translation columns name declared questions."""
    problems = []
    # verbatims: language sources and translation columns name declared questions
    qscale = {}
    for bname, block in (blocks.items() if isinstance(blocks, dict) else []):
        if isinstance(block, dict):
            for q in block.get("questions") or []:
                if isinstance(q, dict) and isinstance(q.get("id"), str):
                    qscale[q["id"]] = q.get("scale", block.get("scale"))
    for bname, block in (blocks.items() if isinstance(blocks, dict) else []):
        if not isinstance(block, dict):
            continue
        for i, q in enumerate(block.get("questions") or []):
            if not isinstance(q, dict):
                continue
            qloc = ("blocks", bname, "questions", i)
            keys = [k for k in ("language", "language_from", "language_map", "translation") if k in q]
            if keys and block.get("kind") != "verbatims":
                problems.append((qloc + (keys[0],), f"only open questions (a block of kind 'verbatims') have a "
                                                    f"{keys[0]}, not questions of '{block.get('kind')}'"))
                continue
            for key in ("language_from", "translation"):
                ref = q.get(key)
                if isinstance(ref, str) and ref not in qscale:
                    close = difflib.get_close_matches(ref, list(qscale), n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    problems.append((qloc + (key,), f"'{ref}' is not a declared question{hint}"))
                elif isinstance(ref, str) and ref == q.get("id"):
                    problems.append((qloc + (key,), f"a question cannot be its own {key.replace('_', ' ')}"))
            if "language" in q and "language_from" in q:
                problems.append((qloc + ("language",), "give either language: (one for every answer) or "
                                                       "language_from: (per respondent), not both"))
            if "language_map" in q and "language_from" not in q:
                problems.append((qloc + ("language_map",), "needs language_from: (the column whose codes it maps "
                                                           "to languages)"))
            lmap, src = q.get("language_map"), q.get("language_from")
            if isinstance(lmap, dict) and isinstance(src, str) and src in qscale:
                sc = qscale[src]
                sc = scales.get(sc) if isinstance(sc, str) and isinstance(scales, dict) else sc
                codes = sc.get("codes") if isinstance(sc, dict) else None
                if isinstance(codes, dict):
                    known = {str(c) for c in codes}
                    unknown = [str(c) for c in lmap if str(c) not in known]
                    if unknown:
                        problems.append((qloc + ("language_map",), f"{', '.join(unknown)} "
                                         f"{'is not a code' if len(unknown) == 1 else 'are not codes'} of '{src}' "
                                         f"(its codes: {', '.join(sorted(known))})"))
    return problems


def _column_role_checks(data: dict, seen_cols: dict, rid) -> list[tuple[tuple, str]]:
    """PII, weight and customer-id columns: not questions, not personal data where analysed."""
    problems = []
    # PII and weight columns
    for i, p in enumerate(_get(data, "pii", []) or []):
        if isinstance(p, str) and p in seen_cols and p != rid:
            problems.append((("pii", i), f"'{p}' is declared as a question at {path_str(seen_cols[p])}; PII columns are never analysed"))
        elif isinstance(p, str) and p == rid:
            problems.append((("pii", i), "the respondent id cannot be PII (it is how respondents are tracked); use a pseudonymous id"))
    weight = _get(data, "weight")
    if isinstance(weight, str) and weight in seen_cols:
        problems.append((("weight",), f"'{weight}' is already a question at {path_str(seen_cols[weight])}"))
    pii_cols = [p for p in (_get(data, "pii", []) or []) if isinstance(p, str)]
    for key, col in (("weight", weight), ("customer_id", _get(data, "customer_id"))):
        if isinstance(col, str) and col in pii_cols:
            problems.append(((key,), f"'{col}' is declared as pii (personal data, never read into an analysis); it "
                                     f"cannot be the {key.replace('_', ' ')} column: remove it from pii or name "
                                     "another column"))
    return problems


def _wave_checks(data: dict, root: Path, seen_cols: dict) -> list[tuple[tuple, str]]:
    """Waves: unique ids (also without case), files that exist, declared not_asked questions, fieldwork dates."""
    problems = []
    # waves
    waves = _get(data, "waves", []) or []
    ids = {}
    for i, w in enumerate(waves if isinstance(waves, list) else []):
        if not isinstance(w, dict):
            continue
        wid = str(w.get("id"))
        if wid in ids:
            problems.append((("waves", i, "id"), f"wave id '{wid}' is used twice"))
        elif id_key(wid) in {id_key(x) for x in ids}:  # one folder on Windows and macOS (issue 24)
            other = next(x for x in ids if id_key(x) == id_key(wid))
            problems.append((("waves", i, "id"), f"wave ids '{other}' and '{wid}' differ only in upper/lower case: "
                                                 "Windows and macOS would write both into one folder; rename one"))
        ids[wid] = i
        for j, f in enumerate(w.get("files") or []):
            if isinstance(f, dict):  # a file with its own reading options: {file: ..., language: ...}
                f = f.get("file")
            if isinstance(f, str) and not (root / f).exists():
                problems.append(
                    (("waves", i, "files", j), f"response file not found: {root / f} (paths are relative to the study folder)")
                )
        for j, c in enumerate(w.get("not_asked") or []):
            if c not in seen_cols:
                problems.append((("waves", i, "not_asked", j), f"'{c}' is not a declared question"))
        fs, fe = w.get("fieldwork_start"), w.get("fieldwork_end")
        if isinstance(fs, _dt.date) and isinstance(fe, _dt.date) and fe < fs:
            problems.append((("waves", i, "fieldwork_end"), f"fieldwork ends ({fe}) before it starts ({fs})"))
    return problems


def _quality_and_deck_checks(data: dict, root: Path, blocks, scales, seen_cols: dict) -> list[tuple[tuple, str]]:
    """The quality section's duration column and the deck template file."""
    problems = []
    # quality
    q = _get(data, "quality", {}) or {}
    dur = _get(q, "duration")
    if isinstance(dur, str) and dur not in seen_cols:
        problems.append((("quality", "duration"), f"duration column '{dur}' is not a declared question; declare it (numeric) in a screening block"))
    elif isinstance(dur, str):
        dloc = seen_cols[dur]
        q = blocks[dloc[1]]["questions"][dloc[3]] if len(dloc) > 3 and dloc[2] == "questions" else {}
        st = _scale_type_raw(q.get("scale", blocks[dloc[1]].get("scale")), scales)
        if st not in (None, "numeric"):
            problems.append((("quality", "duration"), f"duration column '{dur}' has a {st} scale; it must be numeric (seconds)"))

    # deck template
    tpl = _get(_get(data, "deck"), "template")
    if isinstance(tpl, str) and tpl.lower().endswith(".pptx") and not (root / tpl).exists():
        problems.append((("deck", "template"), f"deck template not found: {root / tpl} (paths are relative to the study folder)"))
    return problems


def _panel_checks(data: dict, cid) -> list[tuple[tuple, str]]:
    """The panel section: linking re-interviewed accounts by the customer id needs one."""
    panel = _get(data, "panel")
    if isinstance(panel, dict) and panel.get("key") == "customer" and not isinstance(cid, str):
        return [(("panel", "key"), "panel key 'customer' links re-interviewed accounts by the customer id, but "
                 "the study names no customer_id: set customer_id: or use key: respondent")]
    return []


def _behaviour_checks(data: dict, root: Path, seen_cols: dict, cid) -> list[tuple[tuple, str]]:
    """The behaviour section (files, join key, columns) and the weighting that rakes to it."""
    problems = []
    # behaviour
    beh = _get(data, "behaviour")
    if isinstance(beh, dict):
        for src in ("transactions", "customers"):
            f = _get(_get(beh, src), "file")
            if isinstance(f, str) and not (root / f).exists():
                problems.append(((("behaviour", src, "file")), f"behaviour file not found: {root / f}"))
        key = beh.get("key")
        if isinstance(key, str) and key not in seen_cols:
            problems.append((("behaviour", "key"), f"join key '{key}' is not a survey column; set customer_id: or declare it"))
        elif isinstance(key, str) and isinstance(cid, str) and key != cid:
            problems.append((("behaviour", "key"), f"join key '{key}' differs from customer_id '{cid}'; the survey's customer id column is the join key: drop behaviour.key or make them equal"))
        elif key is None and not isinstance(cid, str):
            problems.append((("behaviour",), "behaviour needs a join key: set customer_id: (the survey column holding the customer number)"))
        tx = _get(beh, "transactions")
        tcols = _get(tx, "columns", {}) or {}
        chans = _get(tx, "channels", {}) or {}
        names = [str(n) for n in chans.values()] if isinstance(chans, dict) else []
        if isinstance(tx, dict) and isinstance(tcols, dict):
            if chans and "channel" not in tcols:
                problems.append((("behaviour", "transactions", "channels"), "channels are declared but no column has the role 'channel' under transactions.columns"))
            if "channel" in tcols and not chans:
                problems.append((("behaviour", "transactions", "channels"), "the channel column needs its codes: channels: {code in the file: channel name}"))
            if _get(tx, "cancelled") and "status" not in tcols:
                problems.append((("behaviour", "transactions", "cancelled"), "cancelled markers need a column with the role 'status' under transactions.columns"))
            if "currency" in tcols and not _get(tx, "currency"):
                problems.append((("behaviour", "transactions", "currency"), "a currency column is mapped: declare the expected currency (e.g. currency: EUR)"))
            if isinstance(chans, dict):
                for code, name in chans.items():
                    if str(code) in names and str(name) != str(code):
                        problems.append((("behaviour", "transactions", "channels", code), f"code '{code}' is also the name of another channel; a value in the file must mean one channel"))
        if isinstance(tx, dict):
            engine = _get(beh, "engine", "duckdb")
            if _get(tx, "file") is None and _get(tx, "table") is None:
                problems.append((("behaviour", "transactions"), "give the transactions as file: (CSV or Parquet) or, with engine: spark, as table:"))
            elif _get(tx, "file") is not None and _get(tx, "table") is not None:
                problems.append((("behaviour", "transactions", "table"), "give file: or table:, not both"))
            elif _get(tx, "table") is not None and engine != "spark":
                problems.append((("behaviour", "transactions", "table"), "a table is read by the Spark engine: add engine: spark under behaviour, or give file:"))
            if _get(beh, "spark") is not None and engine != "spark":
                problems.append((("behaviour", "spark"), "spark: settings are used only with engine: spark"))
        dig = _get(beh, "digital", {}) or {}
        for i, c in enumerate(_get(dig, "channels", []) or []):
            if names and str(c) not in names:
                problems.append((("behaviour", "digital", "channels", i), unknown_message("channel", c, list(dict.fromkeys(names)))))
        dq = _get(dig, "question")
        if isinstance(dq, str) and dq not in seen_cols:
            problems.append((("behaviour", "digital", "question"), f"'{dq}' is not a declared question"))
        tiers = _get(_get(beh, "rfm", {}), "tiers", {}) or {}
        g, s = _get(tiers, "gold"), _get(tiers, "silver")
        if isinstance(g, (int, float)) and isinstance(s, (int, float)):
            if _get(tiers, "rule", "score_sum") == "score_sum" and s > g:
                problems.append((("behaviour", "rfm", "tiers", "silver"), f"silver ({s}) is above gold ({g}); gold needs the higher score"))
            if _get(tiers, "rule") == "revenue_share" and not 0 < g < s <= 1:
                problems.append((("behaviour", "rfm", "tiers"), f"revenue shares must satisfy 0 < gold ({g}) < silver ({s}) <= 1"))
        cts = _get(beh, "cost_to_serve", {}) or {}
        th = _get(cts, "thresholds")
        if _get(cts, "rule") == "thresholds":
            if not (isinstance(th, list) and len(th) == 2 and all(isinstance(x, (int, float)) for x in th) and th[0] < th[1]):
                problems.append((("behaviour", "cost_to_serve", "thresholds"), f"rule 'thresholds' needs two increasing numbers [low/medium, medium/high], got {th!r}"))
        elif th is not None:
            problems.append((("behaviour", "cost_to_serve", "thresholds"), "thresholds are used only with rule: thresholds"))
        cust = _get(beh, "customers", {}) or {}
        ccols = _get(cust, "columns", {}) or {}
        for attr in (_get(cust, "values", {}) or {}):
            if isinstance(ccols, dict) and attr not in ccols:
                problems.append((("behaviour", "customers", "values", attr), f"'{attr}' is not an attribute under customers.columns"))

    # weighting
    wt = _get(data, "weighting")
    if isinstance(wt, dict):
        if not isinstance(beh, dict):
            problems.append((("weighting",), "weighting rakes respondents to the customer base: it needs a behaviour: section"))
        else:
            ccols = _get(_get(beh, "customers", {}), "columns", {}) or {}
            known = [str(a) for a in ccols] + list(BEHAVIOUR_CATEGORIES)
            for i, v in enumerate(_get(wt, "variables", []) or []):
                if v not in known:
                    problems.append((("weighting", "variables", i), unknown_message("raking variable", v, known) + " (customer-master attributes are declared under behaviour.customers.columns)"))
        trim = _get(wt, "trim", {}) or {}
        lo, hi = _get(trim, "lower"), _get(trim, "upper")
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and not lo < 1 < hi:
            problems.append((("weighting", "trim"), f"trim bounds are relative to the mean weight: need lower < 1 < upper, got {lo} and {hi}"))
    return problems


def _factor_checks(data: dict, blocks: dict, scales) -> list[tuple[tuple, str]]:
    """The ``factors:`` section against the blocks it names."""
    problems = []
    fac = _get(data, "factors")
    bats = _get(fac, "batteries")
    if not isinstance(bats, dict):
        return problems
    seen: dict[str, str] = {}
    for bname, bat in bats.items():
        if not isinstance(bat, dict):
            continue
        loc = ("factors", "batteries", bname)
        bl = bat.get("blocks", [bname] if bname in blocks else None)
        if bl is None:
            problems.append((loc + ("blocks",), f"battery '{bname}' is not a block name: list its blocks, e.g. blocks: [{next(iter(blocks), 'needs')}]"))
            continue
        if not isinstance(bl, list):
            continue
        items = []
        for i, b in enumerate(bl):
            bloc = loc + ("blocks", i) if "blocks" in bat else loc
            if b not in blocks:
                problems.append((bloc, unknown_message("block", b, list(blocks))))
                continue
            blk = blocks[b] if isinstance(blocks[b], dict) else {}
            if blk.get("kind") in ("outcomes", "verbatims", "screening"):
                problems.append((bloc, f"block '{b}' is of kind {blk.get('kind')}; factor analysis takes rating batteries (needs, motivations, barriers)"))
                continue
            if b in seen:
                problems.append((bloc, f"block '{b}' is already analysed in battery '{seen[b]}'"))
            seen[b] = bname
            for q in blk.get("questions") or []:
                if not isinstance(q, dict) or not isinstance(q.get("id"), str):
                    continue
                st = _scale_type_raw(q.get("scale", blk.get("scale")), scales)
                if st in ("nominal", "text"):
                    problems.append((bloc, f"question '{q['id']}' has a {st} scale; factor analysis needs rated (likert, ordinal or numeric) items"))
                items.append(q["id"])
        n = bat.get("n_factors")
        if isinstance(n, int) and not isinstance(n, bool) and items:
            p = len(items)
            top = 0
            while (p - (top + 1)) ** 2 - (p + top + 1) >= 0:
                top += 1
            if n > top:
                problems.append((loc + ("n_factors",), f"{n} factors cannot be identified from the battery's {p} items (at most {top}); lower n_factors or use auto"))
        names = bat.get("names")
        if isinstance(names, dict):
            used = {}
            for item, nm in names.items():
                if items and item not in items:
                    problems.append((loc + ("names", item), f"'{item}' is not an item of this battery ({', '.join(items[:5])}{', ...' if len(items) > 5 else ''}); key each name by an item of the factor it names"))
                if nm in used:
                    problems.append((loc + ("names", item), f"the name '{nm}' is already given via '{used[nm]}'; factor names must be unique"))
                used[nm] = item
    return problems


def _segmentation_checks(data: dict, blocks: dict, scales, seen_cols: dict) -> list[tuple[tuple, str]]:
    """Cross-references of the ``segmentation:`` plan (lenient on a broken structure)."""
    problems: list[tuple[tuple, str]] = []
    seg = _get(data, "segmentation", {}) or {}
    if not isinstance(seg, dict):
        return problems
    unusable = ("verbatims", "screening")

    def coded_questions(bname) -> list[str]:
        block = blocks.get(bname)
        if not isinstance(block, dict):
            return []
        if block.get("kind") == "outcomes":
            return [o.get("id") for o in block.get("outcomes") or [] if isinstance(o, dict)]
        out = []
        for q in block.get("questions") or []:
            if isinstance(q, dict):
                st = _scale_type_raw(q.get("scale", block.get("scale")), scales)
                if st in CODED_TYPES or st is None:
                    out.append(q.get("id"))
        return out

    basis = _get(seg, "basis", []) or []
    for i, b in enumerate(basis if isinstance(basis, list) else []):
        loc = ("segmentation", "basis", i)
        if not isinstance(b, str):
            continue
        if b not in blocks:
            problems.append((loc, unknown_message("block", b, list(blocks))))
        elif basis.index(b) != i:
            problems.append((loc, f"block '{b}' is listed twice"))
        elif isinstance(blocks[b], dict) and blocks[b].get("kind") in unusable:
            problems.append((loc, f"block '{b}' is of kind '{blocks[b].get('kind')}', which cannot be a segmentation "
                                  "basis; use blocks of coded answers (needs, motivations, barriers, ...)"))
        elif not coded_questions(b):
            problems.append((loc, f"block '{b}' has no coded (likert, ordinal, nominal or binary) questions to segment on"))
    k_min, k_max = seg.get("k_min", 2), seg.get("k_max", 8)
    if isinstance(k_min, int) and isinstance(k_max, int) and k_min > k_max:
        which = "k_max" if "k_max" in seg else "k_min"
        problems.append((("segmentation", which), f"k_max ({k_max}) is below k_min ({k_min})"))
    covs = _get(seg, "covariates", []) or []
    basis_cols = {c for b in basis if isinstance(b, str) for c in coded_questions(b)}
    for i, c in enumerate(covs if isinstance(covs, list) else []):
        loc = ("segmentation", "covariates", i)
        if not isinstance(c, str):
            continue
        if c in blocks:
            if isinstance(blocks[c], dict) and blocks[c].get("kind") in unusable:
                problems.append((loc, f"block '{c}' is of kind '{blocks[c].get('kind')}'; covariates must be coded "
                                      "answers or numbers (e.g. the firmographics block)"))
            elif c in basis:
                problems.append((loc, f"block '{c}' is in the basis; a covariate must not also be segmented on"))
            continue
        if c not in seen_cols:
            problems.append((loc, unknown_message("covariate (a column or block)", c, list(blocks) + list(seen_cols))))
            continue
        if c in basis_cols:
            problems.append((loc, f"'{c}' is a basis item; a covariate must not also be segmented on"))
        where = seen_cols[c]
        if len(where) > 3 and where[0] == "blocks" and where[2] == "questions":
            block = blocks.get(where[1], {})
            q = (block.get("questions") or [])[where[3]]
            st = _scale_type_raw(q.get("scale", block.get("scale")), scales) if isinstance(q, dict) else None
            if st == "text":
                problems.append((loc, f"'{c}' is a text question; covariates must be coded answers or numbers"))
    reworded = seg.get("reworded")
    for i, name in enumerate(reworded if isinstance(reworded, list) else []):
        if isinstance(name, str) and name not in seen_cols and name not in (blocks if isinstance(blocks, dict) else {}):
            problems.append((("segmentation", "reworded", i), unknown_message(
                "question or block (reworded)", name, list(blocks if isinstance(blocks, dict) else []) + list(seen_cols))))
    distal = seg.get("distal")
    if isinstance(distal, list):
        for i, d in enumerate(distal):
            if isinstance(d, str) and distal.index(d) != i:
                problems.append((("segmentation", "distal", i), f"KPI '{d}' is listed twice"))
    choice = seg.get("choice")
    if isinstance(choice, dict):
        methods = seg.get("methods", ["lca", "lpa", "kmeans"])
        m, k = choice.get("method"), choice.get("k")
        if isinstance(methods, list) and isinstance(m, str) and m not in methods:
            problems.append((("segmentation", "choice", "method"),
                             f"the pinned method '{m}' is not among the methods fitted ({', '.join(map(str, methods))})"))
        if isinstance(k, int) and isinstance(k_min, int) and isinstance(k_max, int) and not k_min <= k <= k_max:
            problems.append((("segmentation", "choice", "k"),
                             f"the pinned k={k} is outside the range fitted (k_min {k_min} to k_max {k_max})"))
    return problems


def _scale_type_raw(value, scales):
    if isinstance(value, dict):
        return value.get("type")
    if isinstance(value, str):
        if isinstance(scales, dict) and isinstance(scales.get(value), dict):
            return scales[value].get("type")
        return value if value in SCALE_TYPES else None
    return None


def path_str(path: tuple) -> str:
    """A key path as the messages write it: ``blocks.needs.questions[3].scale``."""
    out = ""
    for p in path:
        if isinstance(p, int) and not isinstance(p, bool):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(top level)"
