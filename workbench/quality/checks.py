"""The data-quality checks, run on a wave's raw responses as the study's ``quality:`` section says."""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import DataError, WorkbenchWarning
from ..data.readers import Responses
from ..study import Column, Study
from .report import QualityReport, TABLE_COLUMNS

logger = logging.getLogger(__name__)


#: Block kinds whose questions count for the missing-answers check.
ANALYSED_KINDS = ("needs", "motivations", "barriers", "outcomes", "firmographics")


_GRID_TYPES = ("likert", "ordinal")
_EPS = 1e-9


# --------------------------------------------------------------------------- the checks


def check_quality(responses: Responses, study: Study) -> QualityReport:
    """Run every quality check and decide the exclusions the study's ``quality:`` asks for.

    Parameters
    ----------
    responses : Responses
        The raw responses as :func:`~workbench.data.readers.read_responses` returned them
        (duplicate ids still in).
    study : Study
        The study they were read with; its ``quality:`` section sets the policies.

    Returns
    -------
    QualityReport
        Tables per check, the exclusions, and :meth:`QualityReport.apply` to drop them.

    Raises
    ------
    DataError
        ``duplicates: error`` and a respondent id occurs more than once (naming the id,
        file and rows of its occurrences); ``out_of_range: error`` and the responses hold
        out-of-range codes (the reader normally raises this first).
    ValueError
        ``responses`` were read with another study.

    Warns
    -----
    WorkbenchWarning
        Durations that are blank, zero or negative (those respondents are not judged).
    """
    if responses.study_id != study.id:
        raise ValueError(
            f"the responses were read with study {responses.study_id!r}, not {study.id!r}"
        )
    q = study.spec.quality
    ctx = _Context.build(responses, study)
    found = _Findings()

    dup_table, dup_row = _check_duplicates(ctx, q.duplicates, found)
    oor_table, oor_row = _check_out_of_range(ctx, q.out_of_range, found)
    sl_table, sl_row = _check_straightliners(ctx, q.straightliners, found)
    sp_table, sp_row = _check_speeders(ctx, q.duration, q.speeders, found)
    mr_table, mi_table, mr_row, mi_row = _check_missing(ctx, q.missing, found)
    col_table, col_row = _check_columns(ctx, q.unexpected_columns)

    summary = pd.DataFrame(
        [dup_row, oor_row, sl_row, sp_row, mr_row, mi_row, col_row], columns=TABLE_COLUMNS["summary"]
    )
    summary["flagged"] = summary["flagged"].astype(int)
    summary["excluded"] = summary["excluded"].astype(int)

    exclusions = found.table(ctx)
    excluded_pos = found.excluded_positions()
    drop = frozenset(
        (ctx.ids[i], ctx.files_full[i], int(ctx.rows[i])) for i in excluded_pos
    )
    n_out = ctx.n - len(excluded_pos)
    report = QualityReport(
        study_id=study.id,
        wave=str(responses.wave),
        n_in=ctx.n,
        n_out=n_out,
        checks=summary,
        duplicates=dup_table,
        out_of_range=oor_table,
        straightliners=sl_table,
        speeders=sp_table,
        missing_respondents=mr_table,
        missing_items=mi_table,
        columns=col_table,
        exclusions=exclusions,
        settings=q.model_dump(mode="json"),
        pii=tuple(study.pii),
        _drop=drop,
    )
    logger.debug("quality: %s", report.headline())
    return report


@dataclass
class _Context:
    """Positional views of the responses every check shares."""

    responses: Responses
    study: Study
    n: int
    ids: np.ndarray  # str
    files_full: np.ndarray  # str, as in provenance
    files: np.ndarray  # str, relative to the study folder where possible
    rows: np.ndarray  # int
    asked: list[str]  # question columns this wave asked, study order

    @classmethod
    def build(cls, responses: Responses, study: Study) -> "_Context":
        prov = responses.provenance
        files_full = prov["file"].astype(str).to_numpy()
        rel = {f: _display_path(f, study.root) for f in dict.fromkeys(files_full)}
        not_asked = set(responses.missing_columns)
        asked = [c for c in responses.columns if c not in not_asked and c in responses.data.columns]
        return cls(
            responses=responses,
            study=study,
            n=responses.n,
            ids=responses.data.index.astype(str).to_numpy(),
            files_full=files_full,
            files=np.array([rel[f] for f in files_full], dtype=object),
            rows=prov["row"].to_numpy(dtype=int),
            asked=asked,
        )

    def who(self, pos) -> pd.DataFrame:
        """respondent, file, row for these positions."""
        pos = np.asarray(pos, dtype=int)
        return pd.DataFrame(
            {"respondent": self.ids[pos], "file": self.files[pos], "row": self.rows[pos]}
        )

    def position_of(self, file, row) -> int | None:
        hit = np.flatnonzero((self.files_full == str(file)) & (self.rows == int(row)))
        return int(hit[0]) if len(hit) else None


def _display_path(file: str, root: Path) -> str:
    p = Path(file)
    try:
        return p.resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return str(p)


class _Findings:
    """Reasons per respondent row, in check order; which rows are excluded."""

    def __init__(self):
        self.reasons: dict[int, list[str]] = {}
        self.exclude: set[int] = set()

    def add(self, pos: int, reason: str, *, exclude: bool) -> None:
        self.reasons.setdefault(int(pos), []).append(reason if exclude else f"{reason} (flagged only)")
        if exclude:
            self.exclude.add(int(pos))

    def excluded_positions(self) -> list[int]:
        return sorted(self.exclude)

    def table(self, ctx: _Context) -> pd.DataFrame:
        pos = sorted(self.reasons)
        out = ctx.who(pos)
        out["reasons"] = ["; ".join(self.reasons[p]) for p in pos]
        out["excluded"] = np.array([p in self.exclude for p in pos], dtype=bool)
        return out[TABLE_COLUMNS["exclusions"]]


def _row(check, action, threshold, flagged, excluded, description) -> dict:
    return {
        "check": check,
        "action": action,
        "threshold": threshold,
        "flagged": int(flagged),
        "excluded": int(excluded),
        "description": description,
    }


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _fmt(x: float) -> str:
    return f"{x:,.1f}".rstrip("0").rstrip(".") if not float(x).is_integer() else f"{int(x):,}"


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS[name]})


# ---- duplicates


_DUP_REASONS = {
    "keep_first": "duplicate id (kept the earlier submission)",
    "keep_last": "duplicate id (kept the later submission)",
    "exclude_all": "duplicate id (all occurrences excluded)",
}


def _check_duplicates(ctx: _Context, policy: str, found: _Findings):
    ids = pd.Series(ctx.ids)
    dup_mask = ids.duplicated(keep=False).to_numpy()
    pos = np.flatnonzero(dup_mask)
    if len(pos) == 0:
        row = _row("duplicates", policy, "each respondent id once", 0, 0, "Every respondent id occurs once.")
        return _empty("duplicates"), row
    groups: dict[str, list[int]] = {}
    for p in pos:
        groups.setdefault(ctx.ids[p], []).append(int(p))
    if policy == "error":
        first_id = ctx.ids[pos[0]]
        occ = groups[first_id]
        where = _occurrences_text(ctx, occ)
        others = len(groups) - 1
        more = f" ({_plural(others, 'more id')} occur more than once)" if others else ""
        raise DataError(
            f"respondent id {first_id!r} occurs {len(occ)} times: {where}{more}; remove the "
            "extra rows, or set quality.duplicates: keep_first, keep_last or exclude_all",
            file=ctx.files_full[occ[0]],
            row=int(ctx.rows[occ[0]]),
            column=ctx.study.respondent_id,
        )
    kept_pos = set()
    if policy == "keep_first":
        kept_pos = {occ[0] for occ in groups.values()}
    elif policy == "keep_last":
        kept_pos = {occ[-1] for occ in groups.values()}
    occurrence = {}
    for occ in groups.values():
        for k, p in enumerate(occ, start=1):
            occurrence[p] = k
    table = ctx.who(pos)
    table["occurrence"] = [occurrence[int(p)] for p in pos]
    table["kept"] = np.array([int(p) in kept_pos for p in pos], dtype=bool)
    table = table[TABLE_COLUMNS["duplicates"]]
    n_excl = 0
    for p in pos:
        if int(p) not in kept_pos:
            found.add(int(p), _DUP_REASONS[policy], exclude=True)
            n_excl += 1
    kept_word = {"keep_first": "kept the earliest row of each", "keep_last": "kept the latest row of each",
                 "exclude_all": "excluded every occurrence"}[policy]
    desc = (
        f"{_plural(len(groups), 'respondent id')} {'occurs' if len(groups) == 1 else 'occur'} on more than one row "
        f"({_plural(len(pos), 'row')}); {kept_word}, so {_plural(n_excl, 'row')} "
        f"{'is' if n_excl == 1 else 'are'} excluded."
    )
    return table, _row("duplicates", policy, "each respondent id once", len(pos), n_excl, desc)


def _occurrences_text(ctx: _Context, occ: list[int]) -> str:
    files = [ctx.files[p] for p in occ]
    if len(set(files)) == 1:
        rows = [str(int(ctx.rows[p])) for p in occ]
        return f"rows {', '.join(rows[:-1])} and {rows[-1]} of {files[0]}"
    parts = [f"{ctx.files[p]} row {int(ctx.rows[p])}" for p in occ]
    return ", ".join(parts[:-1]) + f" and {parts[-1]}"


# ---- out of range


def _check_out_of_range(ctx: _Context, policy: str, found: _Findings):
    oor = ctx.responses.out_of_range
    threshold = "codes on the question's scale"
    if oor is None or len(oor) == 0:
        return _empty("out_of_range"), _row(
            "out of range", policy, threshold, 0, 0, "Every answer is a code on its question's scale."
        )
    if policy == "error":
        first = oor.iloc[0]
        raise DataError(
            f"code {first['value']!r} is not on the scale ({first['expected']}) "
            f"({len(oor)} such cell(s) in all); fix the data, or set quality.out_of_range: "
            "set_missing or exclude",
            file=first["file"],
            row=int(first["row"]),
            column=first["column"],
        )
    order = {c: i for i, c in enumerate(ctx.responses.columns)}
    positions = []
    for f, r in zip(oor["file"], oor["row"]):
        p = ctx.position_of(f, r)
        if p is None:
            raise DataError(
                "an out-of-range cell refers to a row that is not in the responses",
                file=f, row=int(r),
            )
        positions.append(p)
    table = ctx.who(positions)
    table["column"] = oor["column"].astype(str).to_numpy()
    table["value"] = oor["value"].to_numpy()
    table["expected"] = oor["expected"].astype(str).to_numpy()
    table["action"] = "set to missing" if policy == "set_missing" else "set to missing, respondent excluded"
    table["_pos"] = positions
    table["_col"] = [order.get(c, len(order)) for c in table["column"]]
    table = table.sort_values(["_pos", "_col"], kind="mergesort").reset_index(drop=True)
    exclude = policy == "exclude"
    for p, sub in table.groupby("_pos", sort=True):
        cells = ", ".join(f"{c}={_show_value(v)}" for c, v in zip(sub["column"], sub["value"]))
        word = "code" if len(sub) == 1 else "codes"
        reason = f"out-of-range {word} {cells}" + ("" if exclude else " set to missing")
        found.add(int(p), reason, exclude=exclude)
    n_resp = table["_pos"].nunique()
    table = table.drop(columns=["_pos", "_col"])[TABLE_COLUMNS["out_of_range"]]
    if exclude:
        desc = (f"{_plural(len(table), 'answer')} had a code not on the scale; they were blanked "
                f"and their {_plural(n_resp, 'respondent row')} excluded.")
    else:
        desc = (f"{_plural(len(table), 'answer')} from {_plural(n_resp, 'respondent row')} had a "
                "code not on the scale and were set to missing.")
    return table, _row("out of range", policy, threshold, n_resp, n_resp if exclude else 0, desc)


def _show_value(v) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return str(int(f)) if f.is_integer() else str(f)


# ---- straightliners


def grids(columns: dict[str, Column], *, min_items: int, exclude=()) -> dict[str, list[str]]:
    """The study's grids: name to columns.

    A grid is a block's questions on one likert or ordinal scale (an outcomes block's
    importance and satisfaction items form separate grids), with at least ``min_items``
    items asked.

    Parameters
    ----------
    columns : dict of str to Column
    min_items : int
    exclude : iterable of str
        Columns to leave out (questions the wave did not ask).

    Returns
    -------
    dict of str to list of str
        In study order.  Named by block; ``"block (importance)"`` /
        ``"block (satisfaction)"`` for outcomes; ``"block (scale)"`` when a block holds
        grids on several scales.
    """
    exclude = set(exclude)
    groups: dict[tuple, list[str]] = {}
    for cid, col in columns.items():
        if cid in exclude or col.scale.type not in _GRID_TYPES:
            continue
        scale_key = (col.scale.name, col.scale.type, tuple(sorted(col.scale.codes)))
        groups.setdefault((col.block, col.role, scale_key), []).append(cid)
    per_block: dict[str, int] = {}
    for block, role, _ in groups:
        if role is None:
            per_block[block] = per_block.get(block, 0) + 1
    out = {}
    for (block, role, scale_key), cols in groups.items():
        if len(cols) < min_items:
            continue
        if role is not None:
            name = f"{block} ({role})"
        elif per_block[block] > 1:
            name = f"{block} ({scale_key[0]})"
        else:
            name = block
        out[name] = cols
    return out


def _check_straightliners(ctx: _Context, spec, found: _Findings):
    action = spec.action
    threshold = (
        f">= {_plural(spec.min_grids, 'grid')} of >= {spec.min_items} items, "
        f">= {spec.min_answered_share:.0%} answered"
    )
    gr = grids(ctx.responses.columns, min_items=spec.min_items, exclude=ctx.responses.missing_columns)
    if not gr:
        desc = (f"not run (no grid of at least {spec.min_items} items on one likert or ordinal "
                "scale in the study)")
        logger.debug("straightliners: %s", desc)
        return _empty("straightliners"), _row("straightliners", "not run", threshold, 0, 0, desc)
    hits: dict[int, list[str]] = {}
    data = ctx.responses.data
    for name, cols in gr.items():
        values = data[cols].to_numpy(dtype=float)
        answered = ~np.isnan(values)
        n_answered = answered.sum(axis=1)
        need = max(2, math.ceil(spec.min_answered_share * len(cols) - _EPS))
        lo = np.nanmin(np.where(answered, values, np.inf), axis=1)
        hi = np.nanmax(np.where(answered, values, -np.inf), axis=1)
        same = (n_answered >= need) & (lo == hi)
        for p in np.flatnonzero(same):
            hits.setdefault(int(p), []).append(name)
    pos = sorted(hits)
    table = ctx.who(pos)
    table["grids"] = [", ".join(hits[p]) for p in pos]
    table["count"] = np.array([len(hits[p]) for p in pos], dtype=int)
    table["flagged"] = (table["count"] >= spec.min_grids).to_numpy(dtype=bool)
    table = table[TABLE_COLUMNS["straightliners"]]
    exclude = action == "exclude"
    n_flag = 0
    for p, g, f in zip(pos, table["grids"], table["flagged"]):
        if f:
            found.add(p, f"straightlined {g}", exclude=exclude)
            n_flag += 1
    verb = "excluded" if exclude else "flagged"
    desc = (
        f"Checked {_plural(len(gr), 'grid')} ({', '.join(gr)}); {_plural(n_flag, 'respondent row')} "
        f"gave one answer throughout at least {_plural(spec.min_grids, 'grid')} and "
        f"{'was' if n_flag == 1 else 'were'} {verb}."
    )
    return table, _row("straightliners", action, threshold, n_flag, n_flag if exclude else 0, desc)


# ---- speeders


def _check_speeders(ctx: _Context, duration: str | None, spec, found: _Findings):
    ratio = spec.ratio_to_median
    threshold = f"< {ratio:.2f} × median duration"
    if not duration:
        desc = "not run (no duration column declared)"
        return _empty("speeders"), _row("speeders", "not run", threshold, 0, 0, desc)
    if duration not in ctx.asked:
        desc = f"not run (the duration column '{duration}' is not in this wave's data)"
        return _empty("speeders"), _row("speeders", "not run", threshold, 0, 0, desc)
    d = pd.to_numeric(ctx.responses.data[duration], errors="coerce").to_numpy(dtype=float)
    usable = np.isfinite(d) & (d > 0)
    n_bad = int((~usable).sum())
    if n_bad:
        n_blank = int(np.isnan(d).sum())
        warnings.warn(
            f"{_plural(n_bad, 'respondent row')} have no usable duration in '{duration}' "
            f"({n_blank} blank, {n_bad - n_blank} zero or negative); they were not checked "
            "for speeding and do not count towards the median",
            WorkbenchWarning,
            stacklevel=3,
        )
    if not usable.any():
        desc = f"not run (no usable durations in '{duration}')"
        return _empty("speeders"), _row("speeders", "not run", threshold, 0, 0, desc)
    median = float(np.median(d[usable]))
    cut = ratio * median
    unit = ctx.responses.columns[duration].scale.unit
    u = f" {unit}" if unit else ""
    fast = usable & (d < cut)
    pos = np.flatnonzero(fast)
    table = ctx.who(pos)
    table["duration"] = d[pos]
    table["median"] = median
    table["threshold"] = cut
    table["ratio"] = d[pos] / median
    table = table[TABLE_COLUMNS["speeders"]]
    exclude = spec.action == "exclude"
    for p in pos:
        found.add(int(p), f"speeder: {_fmt(d[p])}{u}, threshold {_fmt(round(cut, 1))}{u}", exclude=exclude)
    verb = "excluded" if exclude else "flagged"
    unchecked = f" {_plural(n_bad, 'row')} without a usable duration {'was' if n_bad == 1 else 'were'} not checked." if n_bad else ""
    desc = (
        f"{_plural(len(pos), 'respondent row')} took less than {ratio:.2f} × the median duration "
        f"({_fmt(round(median, 1))}{u}, so under {_fmt(round(cut, 1))}{u}) and {'was' if len(pos) == 1 else 'were'} "
        f"{verb}.{unchecked}"
    )
    threshold = f"< {ratio:.2f} × median {_fmt(round(median, 1))}{u} = {_fmt(round(cut, 1))}{u}"
    return table, _row("speeders", spec.action, threshold, len(pos), len(pos) if exclude else 0, desc)


# ---- missing


def _check_missing(ctx: _Context, spec, found: _Findings):
    cols = [c for c in ctx.asked if ctx.responses.columns[c].kind in ANALYSED_KINDS]
    r_thr = f"> {spec.max_respondent_share:.0%} of analysed questions missing"
    i_thr = f"> {spec.max_item_share:.0%} missing"
    if not cols:
        desc = "not run (the study has no analysed questions: needs, motivations, barriers, outcomes, firmographics)"
        return (
            _empty("missing_respondents"), _empty("missing_items"),
            _row("missing (respondents)", "not run", r_thr, 0, 0, desc),
            _row("missing (items)", "not run", i_thr, 0, 0, desc),
        )
    data = ctx.responses.data[cols]
    missing = data.isna().to_numpy()
    special = ctx.responses.special
    dk = np.zeros_like(missing)
    for j, c in enumerate(cols):
        if c in special.columns:
            dk[:, j] = special[c].notna().to_numpy()
    k = len(cols)
    per_resp = missing.sum(axis=1)
    share = per_resp / k
    flagged = share > spec.max_respondent_share + _EPS
    mr = ctx.who(np.arange(ctx.n))
    mr["items"] = k
    mr["missing"] = per_resp.astype(int)
    mr["don't know"] = dk.sum(axis=1).astype(int)
    mr["share"] = share
    mr["flagged"] = flagged
    mr = mr[TABLE_COLUMNS["missing_respondents"]]
    exclude = spec.action == "exclude"
    for p in np.flatnonzero(flagged):
        found.add(int(p), f"{share[p]:.0%} of answers missing, limit {spec.max_respondent_share:.0%}", exclude=exclude)
    n_flag = int(flagged.sum())
    verb = "excluded" if exclude else "flagged"
    r_desc = (
        f"{_plural(n_flag, 'respondent row')} left more than {spec.max_respondent_share:.0%} of the "
        f"{k} analysed questions blank or 'don't know' and {'was' if n_flag == 1 else 'were'} {verb}."
    )
    r_row = _row("missing (respondents)", spec.action, r_thr, n_flag, n_flag if exclude else 0, r_desc)

    n = max(ctx.n, 1)
    miss_n = missing.sum(axis=0)
    dk_n = dk.sum(axis=0)
    mi = pd.DataFrame(
        {
            "item": cols,
            "block": [ctx.responses.columns[c].block for c in cols],
            "label": [ctx.responses.columns[c].label for c in cols],
            "n": ctx.n,
            "missing": miss_n.astype(int),
            "blank": (miss_n - dk_n).astype(int),
            "don't know": dk_n.astype(int),
            "missing share": miss_n / n,
            "don't know share": dk_n / n,
        }
    )
    mi["flagged"] = (mi["missing share"] > spec.max_item_share + _EPS).to_numpy(dtype=bool)
    mi = mi[TABLE_COLUMNS["missing_items"]]
    n_items = int(mi["flagged"].sum())
    worst = ""
    if n_items:
        top = mi[mi["flagged"]].sort_values("missing share", ascending=False, kind="mergesort").iloc[0]
        worst = f" (most: {top['item']}, {top['missing share']:.0%})"
    i_desc = (
        f"{_plural(n_items, 'question')} of {k} {'has' if n_items == 1 else 'have'} more than "
        f"{spec.max_item_share:.0%} missing answers{worst}; questions are reported, never dropped."
    )
    i_row = _row("missing (items)", "report", i_thr, n_items, 0, i_desc)
    return mr, mi, r_row, i_row


# ---- columns


def _check_columns(ctx: _Context, policy: str):
    r = ctx.responses
    files = list(dict.fromkeys(ctx.files)) if ctx.n else []
    in_files = ", ".join(files)
    rows = []
    for c in r.unexpected_columns:
        rows.append({"column": c, "issue": "unexpected", "file": in_files,
                     "detail": "in the file but not declared in the study; not read"})
    for c in r.missing_columns:
        rows.append({"column": c, "issue": "not asked", "file": "",
                     "detail": "declared in the study, listed under the wave's not_asked; left blank"})
    lm = r.label_mismatches
    if lm is not None and len(lm):
        for _, m in lm.iterrows():
            ours = m["label in study"]
            ours = f"'{ours}'" if isinstance(ours, str) and ours else "no such code"
            rows.append({"column": m["column"], "issue": "label mismatch", "file": _display_path(str(m["file"]), ctx.study.root),
                         "detail": f"code {m['code']}: the file says '{m['label in file']}', the study says {ours}"})
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS["columns"]) if rows else _empty("columns")
    counts = table["issue"].value_counts() if len(table) else pd.Series(dtype=int)
    parts = [
        _plural(int(counts.get("unexpected", 0)), "unexpected column"),
        _plural(int(counts.get("not asked", 0)), "column") + " not asked",
        _plural(int(counts.get("label mismatch", 0)), "SPSS label mismatch", "SPSS label mismatches"),
    ]
    desc = "Found " + ", ".join(parts) + "; reported only, no respondent is excluded."
    return table, _row("columns", "report", f"unexpected columns: {policy}", len(table), 0, desc)
