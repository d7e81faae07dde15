"""Account classes frozen as plain numbers: the ``accounts`` section of ``model.json``, the
account class of a customer from its respondents' segments, and account-class sizes on a later
wave.

The accounts step fits a multilevel latent class model (:mod:`workbench.segments._multilevel`):
account classes ``m`` with shares ``ω_m`` and, within each, a mix ``π_{t|m}`` of the respondent
segments. A later wave, the whole customer base and a warehouse do not refit it: they place an
account from the segments its respondents were classified into (by the frozen segment model,
the typing tool, or the warehouse's own segment column), with the model's own numbers:

``score_m = log ω_m + Σ_{i ∈ account} log π_{s_i|m}``, ``P(m | segments) = softmax(score)``.

This is the multilevel model's account posterior when each respondent's segment is known
(rather than inferred from the answers); on the fitted wave :attr:`AccountModel.agreement` says
how often it gives the class the full model gave. A respondent whose segment the model does not
know (none, or one the model never had) is left out; a mix probability is floored at
:data:`FLOOR` so that one unexpected respondent cannot rule an account class out. The same
numbers compile to one SQL query (:func:`workbench.waves.accounts_sql.account_sql`).

The section is plain JSON (``attachments.accounts`` of model.json), checked field by field on
load (:meth:`AccountModel.from_dict`: a damaged entry is named by its key path).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.errors import DataError
from ..files.jsonplain import check_format, plain
from ..core.stats import holm, two_proportion_ztest
from .base import BaseModel

__all__ = [
    "ACCOUNTS_KEY",
    "FLOOR",
    "FORMAT",
    "FORMAT_VERSION",
    "AccountModel",
    "AccountTracking",
    "account_columns",
    "check_section",
    "track_accounts",
]

FORMAT = "workbench-account-model"
FORMAT_VERSION = 1
#: The key of model.json's ``attachments`` that holds the section.
ACCOUNTS_KEY = "accounts"
#: Smallest mix probability used when scoring (log 1e-6 = -13.8 per unexpected respondent).
FLOOR = 1e-6
_WHERE = "attachments.accounts"


def _bad(key: str, what: str) -> DataError:
    return DataError(f"the model file's {_WHERE}.{key} {what}; write the model again with `workbench run` (do not "
                     "edit model.json by hand)")


def _numbers(doc: Mapping, key: str, shape: tuple) -> np.ndarray:
    raw = doc.get(key)
    try:
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise _bad(key, "is not a table of numbers") from None
    if arr.shape != shape:
        raise _bad(key, f"has shape {arr.shape}, expected {shape}")
    if not np.isfinite(arr).all() or (arr < 0).any() or (arr > 1 + 1e-9).any():
        raise _bad(key, "holds a value that is not a probability")
    return arr


@dataclass(frozen=True)
class AccountModel:
    """The account classes of a fitted wave, as plain numbers.

    Attributes
    ----------
    segments : tuple of int
        The respondent segments, in the order of :attr:`mix`'s columns.
    segment_names : dict of int to str
    shares : ndarray (M,)
        ``ω``: the account classes' shares of accounts (the multilevel model's estimate).
    mix : ndarray (M, T)
        ``π_{t|m}``: the mix of respondent segments within each account class.
    types : tuple of str
        One description per account class ("consensus: A", "split: A vs B", "mixed: …").
    wave : str
        The wave the account classes were fitted on.
    fitted_counts : tuple of int
        Accounts per class on the fitted wave by :meth:`classify` (the rule a later wave uses,
        so that sizes compare like with like).
    agreement : float or None
        Share of the fitted wave's accounts that :meth:`classify` (segments only) puts in the
        class the full model (answers) gave.
    base_model : dict or None
        The whole-base model of the account classes (:class:`workbench.waves.base.BaseModel`
        data, its "segments" the account classes): customers without survey answers.
    """

    segments: tuple
    segment_names: dict
    shares: np.ndarray = field(repr=False)
    mix: np.ndarray = field(repr=False)
    types: tuple
    wave: str
    fitted_counts: tuple = ()
    agreement: float | None = None
    base_model: dict | None = field(default=None, repr=False)

    @property
    def n_classes(self) -> int:
        return len(self.shares)

    @classmethod
    def from_accounts(cls, acc, *, wave: str, labels: pd.Series, customers: pd.Series) -> AccountModel:
        """Freeze the accounts step's result (:class:`workbench.segments._accounts.AccountSegments`).

        ``labels`` (segment per respondent) and ``customers`` (customer id per respondent) give
        :attr:`fitted_counts` and :attr:`agreement` on the fitted wave.
        """
        model = acc.selection.model
        segs = tuple(int(s) for s in acc.segment_names)
        types = tuple(str(t) for t in acc.classes.sort_values("account_class")["type"])
        frozen = cls(segments=segs, segment_names={int(s): str(n) for s, n in acc.segment_names.items()},
                     shares=np.asarray(model.account_shares_, dtype=float),
                     mix=np.asarray(model.class_mix_, dtype=float), types=types, wave=str(wave))
        placed = frozen.classify(customers, labels)
        counts = placed["account_class"].value_counts().reindex(range(1, frozen.n_classes + 1), fill_value=0)
        full = acc.accounts["account_class"].reindex(placed.index)
        agree = float((placed["account_class"] == full).mean()) if len(placed) else None
        return cls(**{**frozen.__dict__, "fitted_counts": tuple(int(c) for c in counts), "agreement": agree})

    # ------------------------------------------------------------------ scoring
    def log_mix(self) -> np.ndarray:
        """``log max(π, FLOOR)``, (M, T): the per-respondent terms of the score."""
        return np.log(np.maximum(self.mix, FLOOR))

    def scores(self, customers: pd.Series, segments: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
        """Per account: the score of every account class (accounts × M) and its respondents
        counted (those with a segment the model knows)."""
        seg = pd.Series(segments).dropna()
        ids = pd.Series(customers).dropna().astype(str)
        both = seg.index.intersection(ids.index)
        seg, ids = seg.loc[both], ids.loc[both]
        pos = {s: j for j, s in enumerate(self.segments)}
        col = seg.map(lambda s: pos.get(int(s)) if pd.notna(s) else None)
        known = col.notna()
        ids, col = ids[known], col[known].astype(int)
        counts = pd.crosstab(ids.to_numpy(), col.to_numpy()).reindex(columns=range(len(self.segments)), fill_value=0)
        sc = counts.to_numpy(dtype=float) @ self.log_mix().T + np.log(np.maximum(self.shares, FLOOR))[None, :]
        index = pd.Index(counts.index.astype(str), name="customer")
        return (pd.DataFrame(sc, index=index, columns=range(1, self.n_classes + 1)),
                pd.Series(counts.sum(axis=1).to_numpy(dtype=int), index=index))

    def predict_proba(self, customers: pd.Series, segments: pd.Series) -> pd.DataFrame:
        """P(account class | the respondents' segments), accounts × M."""
        sc, _ = self.scores(customers, segments)
        e = np.exp(sc.to_numpy() - sc.to_numpy().max(axis=1, keepdims=True))
        return pd.DataFrame(e / e.sum(axis=1, keepdims=True), index=sc.index, columns=sc.columns)

    def classify(self, customers: pd.Series, segments: pd.Series) -> pd.DataFrame:
        """One row per account (customer id): ``account_class`` (the highest score; the first
        on a tie), ``account_type``, ``account_probability`` and ``respondents``."""
        post = self.predict_proba(customers, segments)
        _, n = self.scores(customers, segments)
        cls_ = post.to_numpy().argmax(axis=1) + 1 if len(post) else np.array([], dtype=int)
        return pd.DataFrame({"account_class": cls_.astype(int),
                             "account_type": [self.types[c - 1] for c in cls_],
                             "account_probability": post.to_numpy().max(axis=1) if len(post) else [],
                             "respondents": n.reindex(post.index).to_numpy()}, index=post.index)

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict:
        """The section as plain JSON-ready data."""
        return plain({
            "format": FORMAT, "format_version": FORMAT_VERSION, "wave": self.wave,
            "segments": list(self.segments), "segment_names": {str(s): n for s, n in self.segment_names.items()},
            "shares": self.shares, "mix": self.mix, "types": list(self.types),
            "fitted_counts": list(self.fitted_counts), "agreement": self.agreement, "base_model": self.base_model,
        })

    @classmethod
    def from_dict(cls, doc) -> AccountModel:
        """Rebuild the section, checking every field (a damaged one is named by its key path).

        Raises
        ------
        DataError
            Not an account model, a newer format, or a field of the wrong kind or shape
            (shares or a class's mix not summing to 1, a type per class missing, ...).
        """
        check_format(doc, FORMAT, FORMAT_VERSION, what=f"the model file's {_WHERE}", key="format_version",
                     advice="update the workbench to load it")
        segs = doc.get("segments")
        if not isinstance(segs, list) or not segs or any(isinstance(s, bool) or not isinstance(s, int) for s in segs) \
                or len(set(segs)) != len(segs):
            raise _bad("segments", f"is {segs!r}, not a list of distinct segment numbers")
        types = doc.get("types")
        shares_raw = doc.get("shares")
        M = len(shares_raw) if isinstance(shares_raw, list) else -1
        if M < 1:
            raise _bad("shares", "is not a list of account-class shares")
        shares = _numbers(doc, "shares", (M,))
        if abs(shares.sum() - 1) > 1e-6:
            raise _bad("shares", f"sum to {shares.sum():.6g}, not 1")
        mix = _numbers(doc, "mix", (M, len(segs)))
        bad_row = np.flatnonzero(np.abs(mix.sum(axis=1) - 1) > 1e-6)
        if len(bad_row):
            raise _bad(f"mix[{bad_row[0]}]", f"sums to {mix[bad_row[0]].sum():.6g}, not 1")
        if not isinstance(types, list) or len(types) != M or not all(isinstance(t, str) and t for t in types):
            raise _bad("types", f"is {types!r}, not one description per account class ({M})")
        names = doc.get("segment_names")
        if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
            raise _bad("segment_names", "is not a table of segment names")
        try:
            names = {int(k): v for k, v in names.items()}
        except ValueError:
            raise _bad("segment_names", "has a key that is not a segment number") from None
        unknown = sorted(set(names) - set(segs))
        if unknown:
            raise _bad("segment_names", f"names segment {unknown[0]}, which the account model does not have")
        counts = doc.get("fitted_counts", [])
        if not isinstance(counts, list) or (counts and len(counts) != M) \
                or any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts):
            raise _bad("fitted_counts", f"is {counts!r}, not a count of accounts per account class ({M})")
        agree = doc.get("agreement")
        if agree is not None and (isinstance(agree, bool) or not isinstance(agree, (int, float))
                                  or not math.isfinite(agree) or not 0 <= agree <= 1):
            raise _bad("agreement", f"is {agree!r}, not a share")
        wave = doc.get("wave")
        if not isinstance(wave, str) or not wave:
            raise _bad("wave", f"is {wave!r}, not the wave the account classes were fitted on")
        base = doc.get("base_model")
        if base is not None:
            if not isinstance(base, dict):
                raise _bad("base_model", f"is {type(base).__name__}, not a whole-base model")
            try:
                bm = BaseModel.from_dict(base)
            except DataError as exc:
                raise DataError(f"the model file's {_WHERE}.base_model: {exc.message}") from None
            extra = sorted(set(int(s) for s in bm.segments) - set(range(1, M + 1)))
            if extra:
                raise _bad("base_model", f"places customers in account class {extra[0]}, which the model does not have")
        return cls(segments=tuple(segs), segment_names=names, shares=shares, mix=mix, types=tuple(types),
                   wave=wave, fitted_counts=tuple(counts), agreement=None if agree is None else float(agree),
                   base_model=base)


def account_columns(model: AccountModel, surveyed: pd.DataFrame, features: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """The account columns of customer_segments.csv, indexed by customer id (text).

    ``surveyed`` (per customer id: ``account_class``, ``account_type``, ``account_probability``)
    places the surveyed accounts (``account_source`` 'survey'); with ``features`` (one row per
    customer of the base) and a whole-base account model that beats guessing, every other
    customer is placed by it ('model', its probability). Others get no account class.
    """
    cols = ["account_class", "account_type", "account_probability"]
    out = surveyed[cols].copy()
    out.index = out.index.astype(str)
    out["account_source"] = "survey"
    base = BaseModel.from_dict(model.base_model) if model.base_model else None
    if features is not None and base is not None and base.refused is None:
        rest = features.loc[~features.index.astype(str).isin(out.index)]
        if len(rest):
            placed = base.classify(rest[list(base.features)])
            cls_ = placed["segment"].astype(int)
            extra = pd.DataFrame({"account_class": cls_.to_numpy(),
                                  "account_type": [model.types[c - 1] for c in cls_],
                                  "account_probability": placed["probability"].to_numpy(),
                                  "account_source": "model"}, index=rest.index.astype(str))
            out = pd.concat([out, extra])
    out["account_class"] = out["account_class"].astype("Int64")
    return out


# --------------------------------------------------------------------------- a later wave


@dataclass(frozen=True)
class AccountTracking:
    """A later wave's accounts placed with the frozen account classes.

    Attributes
    ----------
    model : AccountModel
    accounts : DataFrame
        Per customer id: ``account_class``, ``account_type``, ``account_probability``,
        ``respondents``.
    sizes : DataFrame
        Per account class: ``account_class``, ``type``, ``accounts`` and ``share`` this wave,
        ``accounts_fitted`` and ``share_fitted`` (the fitted wave, same rule), ``change``
        (points of share), ``p`` (two-proportion z test) and ``p_holm`` (Holm over the classes).
    n_customers, n_several : int
        Customers surveyed this wave, and those with several respondents.
    """

    model: AccountModel
    accounts: pd.DataFrame = field(repr=False)
    sizes: pd.DataFrame = field(repr=False)
    n_customers: int = 0
    n_several: int = 0

    def summary(self) -> pd.DataFrame:
        return self.sizes


def track_accounts(model: AccountModel, customers: pd.Series, segments: pd.Series) -> AccountTracking:
    """Place this wave's accounts in the frozen account classes and compare their sizes with
    the fitted wave's (the same rule on both waves)."""
    placed = model.classify(customers, segments)
    counts = placed["account_class"].value_counts().reindex(range(1, model.n_classes + 1), fill_value=0)
    n_now = int(counts.sum())
    before = np.asarray(model.fitted_counts or [0] * model.n_classes, dtype=float)
    n_before = float(before.sum())
    share_now = counts.to_numpy(dtype=float) / max(n_now, 1)
    share_before = before / n_before if n_before else np.full(model.n_classes, np.nan)
    _, p = two_proportion_ztest(share_now, n_now, share_before, n_before)
    sizes = pd.DataFrame({"account_class": range(1, model.n_classes + 1), "type": list(model.types),
                          "accounts": counts.to_numpy(dtype=int), "share": share_now,
                          "accounts_fitted": before.astype(int), "share_fitted": share_before,
                          "change": share_now - share_before, "p": p, "p_holm": holm(p)})
    per = pd.Series(customers).dropna().astype(str).value_counts()
    return AccountTracking(model, placed, sizes, len(per), int((per > 1).sum()))


# --------------------------------------------------------------------------- the hook of model.json


def check_section(attachments: Mapping, k: int, path=None) -> AccountModel | None:
    """model.json's accounts section checked on load (``waves.model.load_model``): rebuilt field
    by field, its segments those of the ``k``-segment model; None when the file has none."""
    doc = attachments.get(ACCOUNTS_KEY) if isinstance(attachments, Mapping) else None
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise DataError(f"the model file's {_WHERE} is {type(doc).__name__}, not the account classes a workbench run "
                        "writes; write the model again with `workbench run`", file=path)
    try:
        model = AccountModel.from_dict(doc)
    except DataError as exc:
        raise DataError(exc.message, file=path) from None
    outside = [s for s in model.segments if not 1 <= s <= k]
    if outside:
        raise DataError(f"the model file's {_WHERE}.segments names segment {outside[0]}, but the model has {k} "
                        "segments; write the model again with `workbench run`", file=path)
    return model
