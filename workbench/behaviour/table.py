"""The features table: :class:`CustomerFeatures` (what every engine returns) and the pandas
dtypes the engines' raw result is given (:func:`finish_table`)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .rules import COST_TIERS, TIERS

if TYPE_CHECKING:
    from ..study import BehaviourSpec


@dataclass(frozen=True)
class CustomerFeatures:
    """Per-customer behaviour as of a reference date (the output of
    :func:`~workbench.behaviour.features.customer_features`, whichever engine ran it).

    Attributes
    ----------
    table : DataFrame
        One row per customer of the base, indexed by customer id (see the module docstring
        for every column).
    lines : DataFrame
        What was read: lines, cancelled, after the reference date, return orders, ...
    as_of : datetime.date
        The reference date.
    channels : tuple of str
        Channel names in study order.
    sql : str
        The feature query (DuckDB SQL over the ``lines`` and ``master`` relations).
    sources : DataFrame
        The files read (role, path, format, bytes).
    settings : DataFrame
        The rules used (windows, tie handling, tier rule, cost tiers), for the record.
    later_customers : tuple of str
        Master customers whose first order is after the reference date (not in the base).
    seconds : float
        Wall time of the computation.
    """

    table: pd.DataFrame
    lines: pd.DataFrame
    as_of: _dt.date
    channels: tuple[str, ...]
    sql: str
    sources: pd.DataFrame
    settings: pd.DataFrame
    later_customers: tuple[str, ...] = ()
    seconds: float = field(compare=False, default=0.0)


def finish_table(table: pd.DataFrame, spec: BehaviourSpec, channels, m_attrs: pd.DataFrame) -> pd.DataFrame:
    """pandas dtypes, categories and the master's attributes."""
    t = table.set_index("customer_id")
    t.index = t.index.astype(str)
    t.index.name = "customer_id"
    for c in ("first_order", "last_purchase"):
        t[c] = pd.to_datetime(t[c])
    for c in ("tenure_days", "recency_days", "r_score", "f_score", "m_score", "rfm_total"):
        t[c] = t[c].astype("Int64")
    t["frequency"] = t["frequency"].astype("int64")
    for c in ("in_master", "in_transactions", "active"):
        t[c] = t[c].astype(bool)
    t["lapsed"] = t["lapsed"].astype("boolean")
    t["rfm_tier"] = pd.Categorical(t["rfm_tier"], categories=list(TIERS), ordered=True)
    t["cost_tier"] = pd.Categorical(t["cost_tier"], categories=list(COST_TIERS), ordered=True)
    if channels:
        t["dominant_channel"] = pd.Categorical(t["dominant_channel"], categories=list(channels))
    else:
        t = t.drop(columns=["dominant_channel", "digital_share"])
    if not m_attrs.empty or len(m_attrs.columns):
        attrs = m_attrs.reindex(t.index)
        t = pd.concat([attrs, t], axis=1)
    return t


def sources_table(transactions: tuple, spec, root, hash_sources: bool) -> pd.DataFrame:
    """The sources a run read (``transactions`` = (source, file, format, bytes)) plus the
    customer master when the study has one; with ``hash_sources`` each file's SHA-256
    (blank for a table of a Spark catalog)."""
    rows = [transactions]
    if spec.customers is not None:
        mp = Path(spec.customers.file)
        mp = mp if mp.is_absolute() else Path(root) / mp
        rows.append(("customer master", str(mp), "parquet" if mp.suffix.lower() in (".parquet", ".pq") else "csv",
                     mp.stat().st_size))
    sources = pd.DataFrame(rows, columns=["source", "file", "format", "bytes"]).set_index("source")
    if hash_sources:
        from ..files.outputs import file_sha256

        sources["sha256"] = [file_sha256(p) if Path(p).is_file() else "" for p in sources["file"]]
    return sources
