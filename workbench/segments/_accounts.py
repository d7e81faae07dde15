"""Account segments: buying-centre types from a multilevel latent class model, described by
their mix of respondent segments, and the per-account table a CRM takes.

When to use it: only when enough customers have several respondents
(:data:`MIN_SEVERAL_SHARE` of the surveyed customers and at least :data:`MIN_SEVERAL_N`
of them); otherwise the multilevel model has nothing to learn the mixes from, and the
rule of one respondent per customer (the most certain respondent's segment) stays.

How an account class is described (:func:`describe_mix`): "consensus: <segment>" when one
respondent segment holds at least :data:`CONSENSUS_SHARE` of the class's respondents;
"split: <a> vs <b>" when the two largest together hold at least :data:`SPLIT_SHARE` (each at
least :data:`SPLIT_MIN`); otherwise "mixed: <a>, <b>, ...".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ._multilevel import AccountClassSelection, select_account_classes

__all__ = ["AccountSegments", "account_segments", "describe_mix", "mix_type", "type_data", "several_respondents",
           "MIN_SEVERAL_SHARE", "MIN_SEVERAL_N", "ONE_TYPE", "CONSENSUS_SHARE", "SPLIT_SHARE", "SPLIT_MIN", "TYPE_RULE"]

#: Account classes are fitted only when at least this share of the surveyed customers have
#: several respondents ...
MIN_SEVERAL_SHARE = 0.2
#: ... and at least this many customers have several respondents.
MIN_SEVERAL_N = 30
#: One respondent segment with at least this share of an account class's respondents: "consensus".
CONSENSUS_SHARE = 0.7
#: The two largest segments together at least this share (each at least SPLIT_MIN): "split".
SPLIT_SHARE = 0.7
SPLIT_MIN = 0.2
#: The type when the account-level BIC chooses one account class.
ONE_TYPE = "one type: accounts do not differ in their mix of segments beyond chance"


def several_respondents(customers: pd.Series) -> tuple[int, int]:
    """(customers surveyed, customers with several respondents) from a customer id per respondent."""
    counts = customers.dropna().value_counts()
    return int(len(counts)), int((counts > 1).sum())


#: The rule's thresholds as plain data, for the deck's notes (which word the rule, never apply it).
TYPE_RULE = {"consensus": CONSENSUS_SHARE, "split": SPLIT_SHARE, "each": SPLIT_MIN}


def mix_type(mix) -> tuple[str, list[int]]:
    """The buying-centre type of one mix of respondent segments (see the module's rule): its kind,
    'consensus', 'split' or 'mixed', and the positions in ``mix`` of the segments that make it,
    largest first."""
    mix = np.asarray(mix, dtype=float)
    order = np.argsort(-mix, kind="stable")
    a, b = order[0], order[1] if len(order) > 1 else order[0]
    if mix[a] >= CONSENSUS_SHARE or len(mix) == 1:
        return "consensus", [int(a)]
    if mix[a] + mix[b] >= SPLIT_SHARE and mix[b] >= SPLIT_MIN:
        return "split", [int(a), int(b)]
    return "mixed", [int(i) for i in order if mix[i] >= 0.1]


def describe_mix(mix, names) -> str:
    """The buying-centre type of one mix of respondent segments, in the workbooks' words
    ('consensus: A', 'split: A vs B', 'mixed: A, B, C')."""
    kind, at = mix_type(mix)
    return f"{kind}: " + (" vs " if kind == "split" else ", ").join(str(names[i]) for i in at)


def type_data(mixes, segments) -> list[dict]:
    """Each account class's type as plain data for the deck, which words it in its language:
    ``{"kind": "consensus" | "split" | "mixed", "segments": [segment, ...]}`` per row of ``mixes``
    (one mix per class, columns in the order of ``segments``), largest segment first;
    ``{"kind": "one", "segments": []}`` when there is one class (:data:`ONE_TYPE`)."""
    mixes = np.atleast_2d(np.asarray(mixes, dtype=float))
    if len(mixes) == 1:
        return [{"kind": "one", "segments": []}]
    out = []
    for mix in mixes:
        kind, at = mix_type(mix)
        out.append({"kind": kind, "segments": [int(segments[i]) for i in at]})
    return out


@dataclass(frozen=True)
class AccountSegments:
    """Account classes of one wave.

    Attributes
    ----------
    n_customers, n_several : int
        Customers surveyed, and those with several respondents.
    selection : AccountClassSelection
        The multilevel models with 1..4 account classes and the BIC_high choice.
    classes : DataFrame
        One row per account class: ``account_class``, ``type`` (consensus / split / mixed),
        ``accounts``, ``share`` (of accounts), ``respondents``, the mix of respondent segments
        (one column per segment, ``mix_<segment>``) and ``value`` (mean per account, when given).
    accounts : DataFrame
        One row per account (indexed by customer id): ``account_class``, ``account_type``,
        ``account_probability``, ``respondents``, ``segment_rule`` (the most certain
        respondent's segment, the comparison).
    segment_names : dict of int to str
    """

    n_customers: int
    n_several: int
    selection: AccountClassSelection = field(repr=False)
    classes: pd.DataFrame = field(repr=False)
    accounts: pd.DataFrame = field(repr=False)
    segment_names: dict = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return self.selection.chosen

    def summary(self) -> pd.DataFrame:
        return self.selection.fit_table


def account_segments(data: pd.DataFrame, customers: pd.Series, labels: pd.Series, *, names=None,
                     sample_weight=None, value: pd.Series | None = None, rule: pd.Series | None = None,
                     account_classes=range(1, 5), random_state=None, n_init=10, measurement="nominal",
                     single_level=None) -> AccountSegments:
    """Fit account classes on the segmentation basis with ``T`` = the segments of ``labels``.

    Parameters
    ----------
    data : DataFrame
        Coded basis answers, by respondent.
    customers : Series
        Customer id per respondent (respondents without one are left out).
    labels : Series
        The chosen segmentation's segment (1..k) per respondent: the multilevel model's
        respondent classes are matched to these segments (Hungarian matching on the
        cross-table), so "consensus: <segment>" names the study's segments.
    names : dict of int to str, optional
        Segment names (persona names); default "Segment <s>".
    value : Series, optional
        A value per customer id (e.g. revenue) averaged per account class.
    rule : Series, optional
        Today's one-segment-per-customer rule, by customer id, kept as the comparison.
    """
    ids = customers.dropna().astype(str)
    used = data.loc[data.index.intersection(ids.index)]
    used = used[used.notna().any(axis=1)]
    groups = ids.loc[used.index]
    n_customers, n_several = several_respondents(groups)
    lab = pd.Series(labels).reindex(used.index)
    segs = sorted(int(s) for s in lab.dropna().unique())
    k = len(segs)
    w = None if sample_weight is None else pd.Series(sample_weight).reindex(used.index).fillna(0.0)
    sel = select_account_classes(used, groups, k, account_classes, sample_weight=w, random_state=random_state,
                                 n_init=n_init, measurement=measurement, single_level=single_level,
                                 stop_when_worse=True)
    names = {s: (names or {}).get(s) or f"Segment {s}" for s in segs}
    for m in sel.models.values():  # respondent classes in the order of the segments
        fitted = m.respondent_posteriors_.to_numpy().argmax(axis=1)
        tab = pd.crosstab(fitted, lab.to_numpy()).reindex(index=range(k), columns=segs, fill_value=0).to_numpy()
        rows, cols = linear_sum_assignment(-tab)
        order = np.empty(k, dtype=int)
        order[cols] = rows
        m.relabel(order)
    model = sel.model
    seg_names = [names[s] for s in segs]
    post = model.account_posteriors_
    acc_class = post.to_numpy().argmax(axis=1) + 1
    types = {c + 1: describe_mix(model.class_mix_[c], seg_names) for c in range(model.n_account_classes_)}
    if model.n_account_classes_ == 1:
        types = {1: ONE_TYPE}
    per = groups.value_counts()
    accounts = pd.DataFrame({"account_class": acc_class, "account_type": [types[c] for c in acc_class],
                             "account_probability": post.to_numpy().max(axis=1),
                             "respondents": per.reindex(post.index).to_numpy()}, index=post.index)
    accounts.index.name = "customer"
    if rule is not None:
        accounts["segment_rule"] = pd.Series(rule).reindex(accounts.index).astype("Int64")
    rows = []
    for c in range(model.n_account_classes_):
        members = accounts.index[accounts["account_class"] == c + 1]
        row = {"account_class": c + 1, "type": types[c + 1], "accounts": len(members),
               "share": float(model.account_shares_[c]), "respondents": int(accounts.loc[members, "respondents"].sum())}
        for s, mix in zip(segs, model.class_mix_[c]):
            row[f"mix_{s}"] = float(mix)
        if value is not None:
            v = pd.to_numeric(pd.Series(value).reindex(members), errors="coerce")
            row["value"] = float(v.mean()) if v.notna().any() else float("nan")
        rows.append(row)
    return AccountSegments(n_customers, n_several, sel, pd.DataFrame(rows), accounts, dict(names))
