"""The join of respondents to customers, and the match report."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core.errors import DataError

#: What happened to each respondent in the join, in report order.
MATCH_STATUSES = (
    "matched",
    "in customer base, no purchases",
    "customer only after the reference date",
    "customer id not in the customer base",
    "no customer id",
)


def match_respondents(
    customers: pd.DataFrame,
    survey: pd.DataFrame,
    key: str,
    *,
    later_customers=(),
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Join respondents to customers on the survey's customer-id column.

    Parameters
    ----------
    customers : DataFrame
        Customer features indexed by customer id (``CustomerFeatures.table``).
    survey : DataFrame
        The respondents, indexed by respondent id, holding ``key``.
    key : str
        The survey column with the customer id.
    later_customers : iterable of str
        Customer ids known to the master that first ordered after the reference date.

    Returns
    -------
    respondents : DataFrame
        Indexed like ``survey``: ``customer_id``, ``match`` (one of :data:`MATCH_STATUSES`),
        ``duplicate_key`` and every customer feature (NaN where there is no behaviour).
    match : DataFrame
        The match report: respondents by status, duplicate keys, and the customers by
        whether they were surveyed (the non-respondents are kept for later steps).
    unmatched : DataFrame
        Every respondent not matched, with the reason; and every duplicated key.
    """
    if key not in survey.columns:
        raise DataError(f"the survey has no customer-id column '{key}' to join behaviour on", column=key)
    raw = survey[key]
    ids = raw.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                  else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip()))
    ids = ids.where(ids != "", None)
    later = set(map(str, later_customers))
    in_base = ids.isin(customers.index)
    purchases = customers["last_purchase"].notna() if "last_purchase" in customers else customers["in_transactions"]
    has_orders = ids.map(purchases.astype(object)).eq(True) & in_base
    status = np.select(
        [ids.isna(), has_orders, in_base, ids.isin(later)],
        [MATCH_STATUSES[4], MATCH_STATUSES[0], MATCH_STATUSES[1], MATCH_STATUSES[2]],
        default=MATCH_STATUSES[3],
    )
    dup = ids.notna() & ids.duplicated(keep=False)
    feats = customers.reindex(ids.where(in_base).to_numpy())
    feats.index = survey.index
    head = pd.DataFrame(
        {"customer_id": ids.to_numpy(),
         "match": pd.Categorical(status, categories=list(MATCH_STATUSES)),
         "duplicate_key": dup.to_numpy()},
        index=survey.index,
    )
    respondents = pd.concat([head, feats], axis=1)
    for c in customers.columns:  # keep categories and nullable types through the reindex
        if isinstance(customers[c].dtype, pd.CategoricalDtype):
            respondents[c] = pd.Categorical(respondents[c], categories=customers[c].cat.categories,
                                            ordered=customers[c].cat.ordered)

    n_resp = len(survey)
    rows = []
    counts = pd.Series(status).value_counts()
    notes = {
        MATCH_STATUSES[0]: "features from their orders",
        MATCH_STATUSES[1]: "kept; behaviour features show no orders (frequency 0)",
        MATCH_STATUSES[2]: "kept without behaviour: not yet a customer on the reference date",
        MATCH_STATUSES[3]: "kept without behaviour: check the customer number in the survey",
        MATCH_STATUSES[4]: "kept without behaviour: the survey row has no customer number",
    }
    for s in MATCH_STATUSES:
        n = int(counts.get(s, 0))
        rows.append(("respondents", s, n, n / n_resp if n_resp else np.nan, notes[s]))
    n_dup = int(dup.sum())
    rows.append(("respondents", "sharing a customer id with another respondent", n_dup,
                 n_dup / n_resp if n_resp else np.nan,
                 "kept, both flagged duplicate_key; customer features repeat for each"))
    n_cust = len(customers)
    surveyed = customers.index.isin(ids.dropna().unique())
    rows.append(("customers", "in the customer base", n_cust, 1.0 if n_cust else np.nan,
                 "every customer is kept for classifying the whole base"))
    rows.append(("customers", "surveyed (respondents)", int(surveyed.sum()),
                 surveyed.mean() if n_cust else np.nan, "joined to their answers"))
    rows.append(("customers", "not surveyed (non-respondents)", int((~surveyed).sum()),
                 (~surveyed).mean() if n_cust else np.nan, "behaviour without survey: kept"))
    if "in_master" in customers:
        nm = int((~customers["in_master"]).sum())
        if customers["in_master"].any():
            rows.append(("customers", "with orders but not in the customer master", nm,
                         nm / n_cust if n_cust else np.nan, "kept; master attributes missing"))
    match = pd.DataFrame(rows, columns=["group", "status", "n", "share", "what happens"])

    un = head[(head["match"] != MATCH_STATUSES[0]) | head["duplicate_key"]].copy()
    un["reason"] = np.where(un["duplicate_key"] & (un["match"] == MATCH_STATUSES[0]),
                            "customer id shared with another respondent", un["match"].astype(str))
    unmatched = un[["customer_id", "reason", "duplicate_key"]]
    return respondents, match, unmatched
