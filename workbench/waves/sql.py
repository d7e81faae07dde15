"""A frozen scorer as one SQL query: segments computed where the data lives.

:func:`base_model_sql` compiles the whole-base model (:class:`~workbench.waves.base.BaseModel`)
and :func:`typing_tool_sql` the typing tool (:class:`~workbench.waves.golden.TypingTool`)
into a single ``SELECT`` over a table of feature columns (customers) or answers
(respondents). The query computes what the Python scorers compute, step by step:

1. each input as a number: numeric features ``log1p`` where the model says so (a negative
   value counts as zero), missing values replaced by the median (typing tool: the item
   mean), standardised; categorical features one 0/1 indicator per level, with
   ``other/missing`` taking missing values and levels not seen in fitting;
2. the linear predictor of every segment, ``s_k = b_0k + Σ_j b_jk x_j``;
3. softmax probabilities computed stably: ``p_k = exp(s_k - max s) / Σ exp(s_j - max s)``;
4. the segment with the highest score (the first on a tie, as ``numpy.argmax``), its
   name and probability (and for the base model whether it reaches the model's
   ``min_probability``).

The query is written once in DuckDB SQL and translated by SQLGlot to the target dialect
(``duckdb``, ``spark``, ``snowflake``, ``bigquery``, or any other SQLGlot dialect). Column
and table names are quoted only when they need it, so that a warehouse's own case rules
apply (Snowflake folds unquoted names to upper case).
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping
from pathlib import Path

from ..core.errors import DataError
from .model import load_model

__all__ = ["DIALECTS", "base_model_sql", "typing_tool_sql", "export_sql"]

#: Dialects the CLI offers (any SQLGlot dialect name works from Python).
DIALECTS = ("duckdb", "spark", "snowflake", "bigquery")

OTHER = "other/missing"
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
# words that cannot stand unquoted as column names in some dialect
_RESERVED = {"all", "and", "as", "between", "by", "case", "cast", "create", "cross", "current", "default", "desc",
             "distinct", "else", "end", "exists", "false", "for", "from", "full", "group", "having", "in", "inner",
             "interval", "is", "join", "left", "like", "limit", "natural", "not", "null", "of", "on", "or", "order",
             "outer", "qualify", "right", "rows", "select", "set", "table", "then", "to", "true", "union", "using",
             "when", "where", "window", "with", "segment", "name", "probability", "count", "date", "values"}


def _q(name) -> str:
    """An identifier, quoted (DuckDB style) only when it must be."""
    name = str(name)
    if _PLAIN.match(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def _s(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _n(value: float) -> str:
    """A float literal that round-trips exactly (17 significant digits)."""
    v = float(value)
    if not math.isfinite(v):
        raise DataError(f"the model holds a non-finite number ({v}); refit it")
    return repr(v) if "e" not in repr(v) else f"{v:.17g}"


def _seg_literal(seg) -> str:
    return str(int(seg)) if isinstance(seg, (int,)) and not isinstance(seg, bool) else _s(seg)


def _table(table: str) -> str:
    return ".".join(_q(p) for p in str(table).split("."))


def _out_names(segments) -> list[str]:
    names = [f"p_{re.sub(r'[^0-9a-zA-Z]+', '_', str(s)).strip('_').lower() or 'segment'}" for s in segments]
    if len(set(names)) < len(names):
        names = [f"p_{i + 1}" for i in range(len(segments))]
    return names


def _level_test(text: str, level: str, boolean: bool) -> str:
    """SQL true when the column (as text) is ``level`` (booleans: any case; numbers: 1 = 1.0)."""
    if boolean:
        return f"lower({text}) = {_s(level.lower())}"
    if re.fullmatch(r"-?\d+", level):
        return f"({text} = {_s(level)} OR TRY_CAST({text} AS DOUBLE) = {level})"
    return f"{text} = {_s(level)}"


# ----------------------------------------------------------------- the scaffolding every scorer's query shares
# A scorer's query computes one score per class, ``s1..sk``, in a CTE ``wb_s``; the parts below
# turn them into the stable softmax and the class of the highest score. The base model, the
# typing tool and the account classes (:mod:`workbench.waves.accounts_sql`) use them.

def _softmax(k: int) -> str:
    """The CTEs after ``wb_s``: ``wb_m`` adds the row's highest score ``wb_max``, ``wb_e`` the
    exponentials ``e1..ek`` of the scores less it (no overflow, however large the scores)."""
    sc = [f"s{i + 1}" for i in range(k)]
    return f"""wb_m AS (
  SELECT *, GREATEST({', '.join(sc)}) AS wb_max
  FROM wb_s
),
wb_e AS (
  SELECT *, {', '.join(f'EXP({sc[i]} - wb_max) AS e{i + 1}' for i in range(k))}
  FROM wb_m
)"""


def _expsum(k: int) -> str:
    """``e1 + ... + ek``: the softmax's denominator (the probability of class i is ``ei / (it)``)."""
    return " + ".join(f"e{i + 1}" for i in range(k))


def _argmax(values) -> str:
    """``CASE``: the value of the class whose score is the row's highest (the first on a tie, as
    ``numpy.argmax``); ``values`` are SQL literals, one per class."""
    return "CASE " + " ".join(f"WHEN s{i + 1} = wb_max THEN {v}" for i, v in enumerate(values)) + " END"


def _model_attachments(model_path) -> tuple[Path, dict]:
    """The scorers of a ``model.json`` (a folder: its ``model.json``), the whole file checked
    field by field before any of it is compiled (:func:`workbench.waves.model.load_model`,
    workbench.files.modelcheck, issue 24; it also names a missing file). Returns (the file's path, for
    the scorers' errors, and its attachments)."""
    path = Path(model_path)
    path = path / "model.json" if path.is_dir() else path
    return path, load_model(path).attachments


def _scores_query(id_column: str, table: str, inputs: list[tuple[str, str]], intercepts, coefficients,
                  segments, names, extra_select: list[str], extra_after: list[str], where: str | None) -> str:
    """The common tail: inputs -> scores -> stable softmax -> segment."""
    k = len(segments)
    sc = [f"s{i + 1}" for i in range(k)]
    terms = []
    for i in range(k):
        parts = [_n(intercepts[i])] + [f"{_n(coefficients[i][j])} * {alias}" for j, (alias, _) in enumerate(inputs)]
        terms.append(" + ".join(parts) + f" AS {sc[i]}")
    inner = ", ".join([f"{_q(id_column)} AS wb_id"] + [f"{expr} AS {alias}" for alias, expr in inputs] + extra_select)
    keep = ", ".join(["wb_id"] + [e.split(" AS ")[-1] for e in extra_select])
    p_names = _out_names(segments)
    seg_case, name_case = _argmax(_seg_literal(s) for s in segments), _argmax(_s(nm) for nm in names)
    expsum = _expsum(k)
    return f"""WITH wb_x AS (
  SELECT {inner}
  FROM {_table(table)}{f' WHERE {where}' if where else ''}
),
wb_s AS (
  SELECT {keep}, {', '.join(terms)}
  FROM wb_x
),
{_softmax(k)}
SELECT wb_id AS {_q(id_column)}, {seg_case} AS segment, {name_case} AS name,
  1 / ({expsum}) AS probability{''.join(', ' + e for e in extra_after)},
  {', '.join(f'e{i + 1} / ({expsum}) AS {p_names[i]}' for i in range(k))},
  {', '.join(f'{sc[i]} AS {p_names[i].replace("p_", "score_", 1)}' for i in range(k))}
FROM wb_e"""


def _translate(sql: str, dialect: str, pretty: bool) -> str:
    import sqlglot

    try:
        return sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=pretty)[0]
    except (ValueError, KeyError) as exc:  # unknown dialect
        raise DataError(f"unknown SQL dialect {dialect!r} ({exc}); use one of {', '.join(DIALECTS)}") from None


def base_model_sql(model, *, table: str = "customers", id_column: str = "customer_id", dialect: str = "duckdb",
                   pretty: bool = True) -> str:
    """The whole-base model as one query over a customer table.

    Parameters
    ----------
    model : BaseModel or dict
        The model, or its ``to_dict()`` form (``model.json``'s ``attachments.base_model``).
    table : str, default='customers'
        The table (or view) with one row per customer and the model's feature columns;
        may be qualified (``crm.segments.features``).
    id_column : str, default='customer_id'
    dialect : str, default='duckdb'
    pretty : bool, default=True

    Returns
    -------
    str
        The query; columns ``id_column``, ``segment``, ``name``, ``probability``,
        ``confident``, ``p_<segment>`` (each segment's probability) and ``score_<segment>``
        (its linear predictor).
    """
    from .base import BaseModel

    if isinstance(model, Mapping):
        model = BaseModel.from_dict(model)
    p = model.prep
    inputs: list[tuple[str, str]] = []
    for j, (c, lg, med, mu, sd) in enumerate(zip(p.numeric, p.log, p.median, p.mean, p.sd)):
        x = f"CAST({_q(c)} AS DOUBLE)"
        val = f"LN(1 + CASE WHEN {x} < 0 THEN 0 ELSE {x} END)" if lg else x
        inputs.append((f"x{j + 1}", f"(CASE WHEN {x} IS NULL THEN {_n(med)} ELSE {val} END - {_n(mu)}) / {_n(sd)}"))
    for c, levels in zip(p.categorical, p.levels):
        text = f"CAST({_q(c)} AS VARCHAR)"
        kept = [lv for lv in levels if lv != OTHER]
        boolean = bool(kept) and {lv.lower() for lv in kept} <= {"true", "false"}
        for lv in kept:
            inputs.append((f"x{len(inputs) + 1}", f"CASE WHEN {_level_test(text, lv, boolean)} THEN 1 ELSE 0 END"))
        if kept:
            any_kept = " OR ".join(f"({_level_test(text, lv, boolean)})" for lv in kept)
            inputs.append((f"x{len(inputs) + 1}", f"CASE WHEN {text} IS NOT NULL AND ({any_kept}) THEN 0 ELSE 1 END"))
        else:
            inputs.append((f"x{len(inputs) + 1}", "1"))
    coef = model.coefficients.to_numpy(dtype=float)
    segments = list(model.segments)
    names = [model.segment_names.get(s, f"Segment {s}") for s in segments]
    sql = _scores_query(id_column, table, inputs, coef[0], coef[1:].T.tolist(), segments, names, [],
                        [f"1 / ({_expsum(len(segments))}) >= {_n(model.min_probability)} AS confident"], None)
    return _translate(sql, dialect, pretty)


def typing_tool_sql(tool, *, table: str = "respondents", id_column: str = "respondent_id", dialect: str = "duckdb",
                    pretty: bool = True) -> str:
    """The typing tool as one query over a table of answers to the golden questions.

    A skipped question is scored with its item mean; a row that answered none of them
    gets no segment (``NULL``), as :meth:`TypingTool.classify`. Columns: ``id_column``,
    ``segment``, ``name``, ``probability``, ``skipped`` (questions skipped),
    ``p_<segment>`` and ``score_<segment>``.
    """
    from .golden import TypingTool

    if isinstance(tool, Mapping):
        tool = TypingTool.from_dict(tool)
    qs = list(tool.questions)
    means = tool.item_means.to_numpy(dtype=float)
    inputs = []
    for j, q in enumerate(qs):
        x = f"CAST({_q(q)} AS DOUBLE)"
        inputs.append((f"x{j + 1}", f"CASE WHEN {x} IS NULL THEN {_n(means[j])} ELSE {x} END"))
    skipped = " + ".join(f"CASE WHEN {_q(q)} IS NULL THEN 1 ELSE 0 END" for q in qs)
    coef = tool.coefficients.to_numpy(dtype=float)
    segments = list(tool.segments)
    names = [tool.segment_names.get(s, f"Segment {s}") for s in segments]
    sql = _scores_query(id_column, table, inputs, coef[0], coef[1:].T.tolist(), segments, names,
                        [f"{skipped} AS wb_skipped"], ["wb_skipped AS skipped"], None)
    # no golden answer at all: no segment (the scores would be the item means' segment)
    n = len(qs)
    sql = f"SELECT {_q(id_column)}, CASE WHEN skipped < {n} THEN segment END AS segment, " \
          f"CASE WHEN skipped < {n} THEN name END AS name, CASE WHEN skipped < {n} THEN probability END AS probability, " \
          f"skipped, {', '.join(_out_names(segments))}, " \
          f"{', '.join(p.replace('p_', 'score_', 1) for p in _out_names(segments))} FROM ({sql}) AS wb_scored"
    return _translate(sql, dialect, pretty)


def export_sql(model_path, *, dialect: str = "duckdb", using: str = "base", table: str | None = None,
               id_column: str | None = None, pretty: bool = True) -> str:
    """The SQL of the base model (``using='base'``) or the typing tool (``'typing'``) of a
    ``model.json`` written by ``workbench run``.

    Raises
    ------
    DataError
        The file is not a model, or holds no such scorer.
    """
    path, att = _model_attachments(model_path)
    if not isinstance(att, dict):
        raise DataError("not a workbench model file (no attachments with the scorers)", file=path)
    for key in ("base_model", "typing_tool"):
        if key in att and not isinstance(att[key], dict):
            raise DataError(f"the model file's attachments.{key} is {type(att[key]).__name__}, not the scorer a "
                            "workbench run writes; write the model again with `workbench run`", file=path)
    if using == "base":
        if "base_model" not in att:
            raise DataError("the model file holds no whole-base model (the study has no behaviour:); "
                            "use --using typing for the typing tool", file=path)
        with _named(path):
            return base_model_sql(att["base_model"], table=table or "customers",
                                  id_column=id_column or "customer_id", dialect=dialect, pretty=pretty)
    if using == "typing":
        if "typing_tool" not in att:
            raise DataError("the model file holds no typing tool", file=path)
        with _named(path):
            return typing_tool_sql(att["typing_tool"], table=table or "respondents",
                                   id_column=id_column or "respondent_id", dialect=dialect, pretty=pretty)
    raise DataError(f"--using must be base or typing, got {using!r}")


@contextlib.contextmanager
def _named(path):
    """A scorer's DataError names the model file it came from."""
    try:
        yield
    except DataError as exc:
        if exc.file is None:
            raise DataError(exc.message, file=path) from None
        raise
