"""The account-level slide: buying-centre types of customers with several respondents,
described by their mix of respondent segments ("consensus: …", "split: … vs …"), with their
share of accounts and value per account (from ``DeckData.accounts``, step ``accounts``)."""

from __future__ import annotations

import math

import pandas as pd
from pptx.util import Inches

from ..core.measures import round_shares
from .data import DeckData, frame_from_json
from .layout import Box, Canvas, add_table
from .texts import Words

__all__ = ["accounts_slide", "has_accounts", "type_text"]


def _mix_text(row, segments, w: Words) -> str:
    parts = [(name, row.get(f"mix_{seg}", 0.0)) for seg, name in segments]
    parts = sorted((p for p in parts if p[1] >= 0.05), key=lambda p: -p[1])
    return ", ".join(f"{name} {w.pct(100 * v)}" for name, v in parts)


def type_text(kind, w: Words, names: dict) -> str:
    """A buying-centre type in the deck's language, from the plain data the accounts step saves
    (``{"kind": "consensus" | "split" | "mixed" | "one", "segments": [...]}``; the rule is the
    accounts room's, the deck only words it); ``names``: segment → name. A text (deck data saved
    before the types were plain data) is shown as it is."""
    if not isinstance(kind, dict):
        return str(kind)
    segs = [names.get(int(x), w("segment_n", segment=x)) for x in kind.get("segments", [])]
    what = kind.get("kind")
    if what == "one" or not segs:
        return w("acc.one_type")
    if what == "consensus":
        return w("acc.consensus", name=segs[0])
    if what == "split" and len(segs) == 2:
        return w("acc.split", a=segs[0], b=segs[1])
    return w("acc.mixed", names=", ".join(segs))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def has_accounts(data: DeckData) -> bool:
    """Whether the deck has the accounts slide (the run has account classes)."""
    return bool(data.accounts) and not frame_from_json(data.accounts.get("classes")).empty


def accounts_slide(d: Canvas, data: DeckData):
    """One slide with a table per account class (nothing when the run has no account classes)."""
    if not has_accounts(data):
        return
    acc = data.accounts
    classes = frame_from_json(acc.get("classes"))
    w = d.w
    segments = [(int(s), str(n)) for s, n in acc.get("segments", [])]
    s = d.slide(key="accounts")
    fitted = acc.get("fitted_wave")  # a later wave: accounts placed in the fitted wave's types
    d.title(s, w("acc.title"),
            subtitle=w("acc.sub", several=w.n(acc["n_several"]), customers=w.n(acc["n_customers"]),
                       how=w("acc.sub_fitted", wave=fitted) if fitted else w("acc.sub_grouped")))
    value_label = acc.get("value_label") or ""
    if value_label == "Revenue":  # the accounts room's word for the order history's revenue
        value_label = w("acc.revenue")

    def pct(v):
        return "" if not math.isfinite(v) else w.pct(100 * v)

    names = dict(segments)
    kinds = acc.get("types") or list(classes["type"])
    col_type, col_accounts, col_share = w("acc.col_type"), w("acc.col_accounts"), w("acc.col_share")
    rows = pd.DataFrame({
        col_type: [_capital(type_text(t, w, names)) for t in kinds],
        col_accounts: classes["accounts"].astype(int),
        # one fact, one value: the share the counts beside it give, whole % adding to 100
        col_share: [v / 100 for v in round_shares(classes["accounts"].astype(float))],
    })
    widths = [3.2, 1.1, 1.3]
    formats = {col_accounts: lambda v: w.n(int(v)), col_share: pct}
    if fitted and "share_fitted" in classes.columns:
        col = w("acc.col_share_wave", wave=fitted)
        rows[col] = [v / 100 for v in round_shares(classes["share_fitted"].astype(float))]
        widths.append(1.3)
        formats[col] = pct
    rows[w("acc.col_mix")] = [_mix_text(r, segments, w) for r in classes.to_dict("records")]
    widths.append(4.0 if not fitted else 3.3)
    if "value" in classes.columns and classes["value"].notna().any():
        cur = f" ({data.currency})" if data.currency else ""
        col = w("acc.col_value", label=value_label or w("acc.value"), currency=cur)
        rows[col] = classes["value"].astype(float)
        widths.append(1.6)
        formats[col] = lambda v: "" if not math.isfinite(v) else w.n(v)
    add_table(d, s, Box(d.margin, d.top, d.W - 2 * d.margin, 0), rows, widths, size=12, formats=formats,
              row_h=Inches(0.45))
    rule = acc.get("rule") or {}
    d.notes(s, [w("acc.notes_groups"),
                *([w("acc.notes_rule", consensus=w.n(100 * rule["consensus"]), split=w.n(100 * rule["split"]),
                     each=w.n(100 * rule["each"]))] if rule else []),
                *([w("acc.notes_fitted", wave=fitted)] if fitted else []),
                w("acc.notes_single")],
            consultant=[w("acc.consultant")])
