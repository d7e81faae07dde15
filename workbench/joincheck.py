"""Joins that say so: the survey-to-behaviour join and the transaction values, checked.

A join that silently matches nothing turns every behavioural result into noise, so
:func:`check_join` stops ``validate`` and ``run`` when

- fewer than ``behaviour.min_match_share`` of the respondents (default
  :data:`DEFAULT_MIN_MATCH_SHARE`, i.e. half) match a customer of the behaviour data; a
  study may lower it explicitly (``behaviour: {min_match_share: 0.2}``), 0 turns the
  check off; or
- the keys are of different kinds: the survey's unmatched ids are numbers while the
  behaviour data's ids are not (``123`` against ``C000123``), or the other way round —
  whatever the threshold, since no such join can be right;

with the counts and examples of unmatched keys on both sides.

:func:`check_transaction_values` refuses impossible values in the transactions, naming
the first row and column: a value, quantity or cost that is not a finite number (``inf``,
``NaN``), a negative delivery or handling cost, a negative quantity on a line with a
positive value (returns are lines with a negative value), and a date before 1900 or after
2200.  Unparseable dates and numbers are already named by the behaviour reader.
"""

from __future__ import annotations

import logging

import pandas as pd

from .errors import DataError

__all__ = ["DEFAULT_MIN_MATCH_SHARE", "check_join", "check_transaction_values", "validate_behaviour"]

logger = logging.getLogger(__name__)

#: Least share of respondents that must match a customer (a study may set ``behaviour.min_match_share``).
DEFAULT_MIN_MATCH_SHARE = 0.5
_EXAMPLES = 5


def _digits(ids) -> float:
    s = pd.Series(list(ids), dtype=object).dropna().astype(str).str.strip()
    s = s[s != ""]
    return float(s.str.fullmatch(r"[+-]?\d+(\.0+)?").mean()) if len(s) else float("nan")


def _show(values) -> str:
    vals = [str(v) for v in values][:_EXAMPLES]
    return ", ".join(repr(v if len(v) <= 30 else v[:27] + "...") for v in vals) or "none"


def check_join(respondents: pd.DataFrame, customers: pd.DataFrame, key: str, *, min_share: float | None,
               study_file=None, source_file=None) -> None:
    """Stop when the join matched too few respondents or the key kinds differ.

    Parameters
    ----------
    respondents : DataFrame
        From ``match_respondents``: ``customer_id`` and ``match`` per respondent.
    customers : DataFrame
        The customer base, indexed by customer id.
    key : str
        The survey column joined on.
    min_share : float or None
        The least matched share (None: :data:`DEFAULT_MIN_MATCH_SHARE`).
    """
    min_share = DEFAULT_MIN_MATCH_SHARE if min_share is None else float(min_share)
    n = len(respondents)
    if n == 0:
        return
    ids = respondents["customer_id"]
    in_base = ids.isin(customers.index)
    matched = int(in_base.sum())
    with_key = int(ids.notna().sum())
    unmatched = ids[ids.notna() & ~in_base].drop_duplicates()
    base_ids = pd.Index(customers.index).astype(str)
    d_survey, d_base = _digits(unmatched), _digits(base_ids[:2000])
    kinds_differ = (len(unmatched) >= 3 and len(base_ids) >= 3
                    and ((d_survey >= 0.9 and d_base <= 0.1) or (d_survey <= 0.1 and d_base >= 0.9)))
    share = matched / n
    if not kinds_differ and share >= min_share:
        return
    counts = (f"{matched:,} of {n:,} respondents ({100 * share:.1f} %) match a customer of the behaviour data; "
              f"{with_key - matched:,} have a customer id that is not there, {n - with_key:,} have none. "
              f"Unmatched survey ids (column '{key}'): {_show(unmatched)}; ids in the behaviour data: "
              f"{_show(base_ids)}")
    if kinds_differ:
        survey_kind, base_kind = ("numbers", "not numbers") if d_survey >= 0.9 else ("not numbers", "numbers")
        raise DataError(
            f"the survey's customer ids are {survey_kind} but the behaviour data's ids are {base_kind}, so the join "
            f"cannot be right: {counts}. Make both sides the same kind of id (e.g. the same prefix and zero padding)",
            file=source_file, column=key)
    raise DataError(
        f"the survey-to-behaviour join matched too few respondents: {counts}. At least {100 * min_share:.0f} % must "
        "match (behaviour.min_match_share); fix the ids, or lower min_match_share in study.yaml if this is expected",
        file=source_file or study_file, column=key)


def check_transaction_values(con, f, roles: dict, *, first_row_where, ident) -> None:
    """Refuse impossible values in the transactions (see the module notes), first row named.

    ``con`` is the DuckDB connection holding the ``orders`` table, ``f`` the transactions
    file; ``first_row_where(f, con, condition, column)`` and ``ident(name)`` are the
    behaviour reader's helpers (the condition is SQL over the file's columns as text).
    """
    def num(col):
        text = f"trim(CAST({ident(col)} AS VARCHAR))"
        if getattr(f, "decimal", ".") == ",":
            text = f"replace({text}, ',', '.')"
        return f"TRY_CAST({text} AS DOUBLE)"

    # cheap detection on the aggregated orders first; the file is searched only for a found problem
    gross_bad, cost_bad, units_bad, neg_cost, neg_qty = con.execute(
        "SELECT count(*) FILTER (WHERE NOT isfinite(gross) OR NOT isfinite(returned)), "
        "count(*) FILTER (WHERE NOT isfinite(cost)), "
        "count(*) FILTER (WHERE units IS NOT NULL AND NOT isfinite(units)), "
        "count(*) FILTER (WHERE cost < 0), "
        "count(*) FILTER (WHERE units < 0 AND returned = 0 AND gross > 0) FROM orders").fetchone()
    checks = []
    if gross_bad:
        checks.append(("value", "not_finite"))
    if cost_bad:
        checks += [(r, "not_finite") for r in ("delivery_cost", "handling_cost")]
    if units_bad:
        checks.append(("quantity", "not_finite"))
    if neg_cost:
        checks += [(r, "negative") for r in ("delivery_cost", "handling_cost")]
    if neg_qty:
        checks.append(("quantity", "negative_sale"))
    for role, kind in checks:
        if role not in roles:
            continue
        col = roles[role]
        if kind == "not_finite":
            cond = f"coalesce(NOT isfinite({num(col)}), false)"
            what = f"the {role.replace('_', ' ')} is not a finite number"
        elif kind == "negative":
            cond = f"coalesce({num(col)} < 0, false)"
            what = f"a negative {role.replace('_', ' ')}: costs are zero or more"
        else:
            cond = f"coalesce({num(col)} < 0 AND {num(roles['value'])} > 0, false)"
            what = ("a negative quantity on a line with a positive value: a return is a line with a negative value; "
                    "fix the sign of one of them")
        row, value = first_row_where(f, con, cond, col)
        if row is not None:
            raise DataError(f"{what} (found {value!r})", file=f.path, row=row, column=col)
    if "date" in roles:
        lo, hi = con.execute("SELECT min(d), max(d) FROM orders").fetchone()
        if lo is not None and (lo.year < 1900 or hi.year > 2200):
            col = roles["date"]
            bad = lo if lo.year < 1900 else hi
            row, value = first_row_where(f, con, f"trim(CAST({ident(col)} AS VARCHAR)) <> '' AND "
                                         f"CAST({ident(col)} AS VARCHAR) LIKE '%{bad.year:04d}%'", col)
            raise DataError(f"the date {value or bad}' is not a plausible order date (before 1900 or after 2200); check "
                            "the date format declared for the transactions", file=f.path, row=row, column=col)


def validate_behaviour(study, wave, clean) -> str | None:
    """For ``workbench validate``: read the behaviour files as a run would and check the join
    (the same checks, the same errors); a one-line summary, or None without ``behaviour:``."""
    if study.spec.behaviour is None:
        return None
    from .behaviour import compute_behaviour

    w = study.wave(wave)
    if w.date is None:
        return None
    beh = compute_behaviour(study, w.id, respondents=clean, weight=False)
    resp = beh.respondents
    matched = int(resp["customer_id"].isin(beh.customers.index).sum())
    return (f"behaviour as of {beh.as_of}: {len(beh.customers):,} customers, {matched:,} of {len(resp):,} "
            f"respondents matched")
