"""The account classes as SQL (``workbench export-sql --using accounts``, issue 29): the frozen
:class:`~workbench.waves.accounts_model.AccountModel` compiled into one query over a table of
respondents' segments, written in DuckDB SQL and translated by SQLGlot like the other scorers
(:mod:`workbench.waves.sql`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core.errors import DataError
from .accounts_model import ACCOUNTS_KEY, FLOOR, AccountModel
from .sql import _argmax, _expsum, _n, _named, _q, _s, _softmax, _table, _translate, _model_attachments

__all__ = ["account_sql", "export_account_sql"]


def account_sql(model, *, table: str = "respondent_segments", id_column: str = "customer_id",
                segment_column: str = "segment", dialect: str = "duckdb", pretty: bool = True) -> str:
    """The account classes as one query over a table of respondents' segments (one row per
    respondent: its customer id and segment, e.g. the typing tool's output joined to the CRM).

    Computes what :meth:`AccountModel.classify` computes: per account the score of every class
    (``log ω_m`` plus, per respondent, ``log π`` of its segment; a segment the model does not
    know adds nothing and is not counted), the stable softmax, the class with the highest
    score (the first on a tie). Columns: ``id_column``, ``account_class``, ``account_type``,
    ``account_probability``, ``respondents`` and ``p_account_<m>``.
    """
    if isinstance(model, Mapping):
        model = AccountModel.from_dict(model)
    M = model.n_classes
    lm = model.log_mix()
    lw = np.log(np.maximum(model.shares, FLOOR))
    seg = f"TRY_CAST({_q(segment_column)} AS DOUBLE)"  # "2", 2 and "2.0" are segment 2
    known = " OR ".join(f"{seg} = {int(s)}" for s in model.segments)
    terms = []
    for m in range(M):
        # every literal a DOUBLE: a long decimal literal is a DECIMAL in DuckDB, and sums of DECIMALs
        # compared with their GREATEST would not find the maximum
        case = "CASE " + " ".join(f"WHEN {seg} = {int(s)} THEN CAST({_n(lm[m, j])} AS DOUBLE)"
                                  for j, s in enumerate(model.segments)) + " ELSE CAST(0 AS DOUBLE) END"
        terms.append(f"CAST({_n(lw[m])} AS DOUBLE) + SUM({case}) AS s{m + 1}")
    expsum = _expsum(M)
    cls_case, type_case = _argmax(m + 1 for m in range(M)), _argmax(_s(t) for t in model.types)
    sql = f"""WITH wb_s AS (
  SELECT CAST({_q(id_column)} AS VARCHAR) AS wb_id, SUM(CASE WHEN {known} THEN 1 ELSE 0 END) AS wb_n,
    {', '.join(terms)}
  FROM {_table(table)}
  WHERE {_q(id_column)} IS NOT NULL AND ({known})
  GROUP BY CAST({_q(id_column)} AS VARCHAR)
),
{_softmax(M)}
SELECT wb_id AS {_q(id_column)}, {cls_case} AS account_class, {type_case} AS account_type,
  1 / ({expsum}) AS account_probability, wb_n AS respondents,
  {', '.join(f'e{m + 1} / ({expsum}) AS p_account_{m + 1}' for m in range(M))}
FROM wb_e"""
    return _translate(sql, dialect, pretty)


def export_account_sql(model_path, *, dialect: str = "duckdb", table: str | None = None,
                       id_column: str | None = None, pretty: bool = True) -> str:
    """``workbench export-sql --using accounts``: the account classes of a ``model.json`` as SQL
    over a table of respondents' segments (default ``respondent_segments`` with ``customer_id``
    and ``segment``).

    Raises
    ------
    DataError
        The file is not a model (checked field by field, the accounts section included, by
        :func:`workbench.waves.model.load_model`), or holds no account classes.
    """
    path, att = _model_attachments(model_path)
    if ACCOUNTS_KEY not in att:
        raise DataError("the model file holds no account classes (its wave had too few customers with several "
                        "respondents, or one account class); use --using base or typing", file=path)
    with _named(path):
        return account_sql(att[ACCOUNTS_KEY], table=table or "respondent_segments",
                           id_column=id_column or "customer_id", dialect=dialect, pretty=pretty)
