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

from ..core.errors import DataError

__all__ = ["DEFAULT_MIN_MATCH_SHARE", "check_join", "check_transaction_values", "value_rules"]

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


def value_rules(roles: dict) -> list[tuple[str, str, str]]:
    """The impossible transaction values both engines refuse, for the roles a study maps:
    ``(role, kind, message)``, kind one of 'not finite', 'negative', 'negative on a positive
    line', 'implausible date'. Each engine writes the SQL for a kind in its dialect
    (:func:`check_transaction_values` for DuckDB, ``behaviour.spark._check_values``)."""
    rules = [(r, "not finite", f"the {r.replace('_', ' ')} is not a finite number")
             for r in ("value", "quantity", "delivery_cost", "handling_cost") if r in roles]
    rules += [(r, "negative", f"a negative {r.replace('_', ' ')}: costs are zero or more")
              for r in ("delivery_cost", "handling_cost") if r in roles]
    if "quantity" in roles:
        rules.append(("quantity", "negative on a positive line", "a negative quantity on a line with a positive "
                      "value: a return is a line with a negative value; fix the sign of one of them"))
    if "date" in roles:
        rules.append(("date", "implausible date", "not a plausible order date (before 1900 or after 2200); check "
                      "the date format declared for the transactions"))
    return rules


def check_transaction_values(con, f, roles: dict, *, scan: str, params: dict, first_row_where, ident) -> None:
    """Refuse impossible values in the transactions (see the module notes), first row named.

    ``scan`` / ``params`` read the file with its numbers and dates typed (one parallel pass
    counts every kind of problem); only a problem found is then looked up row by row with
    ``first_row_where(f, con, condition, column)`` (SQL over the file's columns as text).
    """
    def num_text(col):
        text = f"trim(CAST({ident(col)} AS VARCHAR))"
        if getattr(f, "decimal", ".") == ",":
            text = f"replace({text}, ',', '.')"
        return f"TRY_CAST({text} AS DOUBLE)"

    conds = {  # rule kind -> (SQL over the typed scan, SQL over the text rows), per role
        "not finite": lambda r: (f"NOT isfinite({ident(roles[r])})",
                                 f"coalesce(NOT isfinite({num_text(roles[r])}), false)"),
        "negative": lambda r: (f"{ident(roles[r])} < 0", f"coalesce({num_text(roles[r])} < 0, false)"),
        "negative on a positive line": lambda r: (
            f"{ident(roles[r])} < 0 AND {ident(roles['value'])} > 0",
            f"coalesce({num_text(roles[r])} < 0 AND {num_text(roles['value'])} > 0, false)"),
        "implausible date": lambda r: (f"year({ident(roles[r])}) < 1900 OR year({ident(roles[r])}) > 2200", None),
    }
    tests = [(r, *conds[kind](r), what) for r, kind, what in value_rules(roles)]
    if not tests:
        return
    counts = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {t[1]})" for t in tests) + f" FROM {scan}",
                         params).fetchone()
    for (role, _typed, text_cond, what), n in zip(tests, counts):
        if not n:
            continue
        col = roles[role]
        if text_cond is None:  # dates: find the line through the typed scan's order
            bad = con.execute(f"SELECT min({ident(col)}) FILTER (WHERE year({ident(col)}) < 1900), "
                              f"max({ident(col)}) FILTER (WHERE year({ident(col)}) > 2200) FROM {scan}",
                              params).fetchone()
            day = bad[0] or bad[1]
            text_cond = f"CAST({ident(col)} AS VARCHAR) LIKE '%{day.year:04d}%'"
        row, value = first_row_where(f, con, text_cond, col)
        raise DataError(f"{what} (found {value!r}; {n:,} such line{'s' if n != 1 else ''})", file=f.path, row=row,
                        column=col)

