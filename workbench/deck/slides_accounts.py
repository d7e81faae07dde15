"""The account-level slide: buying-centre types of customers with several respondents,
described by their mix of respondent segments ("consensus: …", "split: … vs …"), with their
share of accounts and value per account (from ``DeckData.accounts``, step ``accounts``)."""

from __future__ import annotations

import math

import pandas as pd
from pptx.util import Inches

from ..measures import round_shares
from .data import DeckData, frame_from_json
from .layout import Box, Canvas, add_table
from .texts import Words

__all__ = ["accounts_slide", "type_text"]

# The accounts room's rule and words (workbench.segments._accounts; the deck imports no result
# module, so they are repeated here and tests/test_deck_language.py checks they agree).
CONSENSUS_SHARE, SPLIT_SHARE, SPLIT_MIN = 0.7, 0.7, 0.2
ONE_TYPE = "one type: accounts do not differ in their mix of segments beyond chance"


def _mix_text(row, segments, w: Words) -> str:
    parts = [(name, row.get(f"mix_{seg}", 0.0)) for seg, name in segments]
    parts = sorted((p for p in parts if p[1] >= 0.05), key=lambda p: -p[1])
    return ", ".join(f"{name} {w.n(100 * v)}\u00a0%" for name, v in parts)  # the number and % kept together


def type_text(kind: str, w: Words, names=()) -> str:
    """A buying-centre type as the accounts room names it ('consensus: A', 'split: A vs B',
    'mixed: A, B', :data:`ONE_TYPE`) in the deck's language; another text unchanged."""
    kind = str(kind)
    if kind == ONE_TYPE:
        return w("acc.one_type")
    head, sep, rest = kind.partition(": ")
    if not sep:
        return kind
    if head == "consensus":
        return w("acc.consensus", name=rest)
    if head == "mixed":
        return w("acc.mixed", names=rest)
    if head == "split":
        # the segment names may hold ' vs ' themselves: split after a known name when one fits
        first = next((n for n in sorted(names, key=len, reverse=True) if rest.startswith(f"{n} vs ")), None)
        a, b = (first, rest[len(first) + 4:]) if first is not None else rest.partition(" vs ")[::2]
        return w("acc.split", a=a, b=b)
    return kind


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def accounts_slide(d: Canvas, data: DeckData):
    """One slide with a table per account class (nothing when the run has no account classes)."""
    acc = data.accounts
    if not acc:
        return
    classes = frame_from_json(acc.get("classes"))
    if classes.empty:
        return
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
        return "" if not math.isfinite(v) else f"{w.n(100 * v)} %"

    names = [n for _, n in segments]
    col_type, col_accounts, col_share = w("acc.col_type"), w("acc.col_accounts"), w("acc.col_share")
    rows = pd.DataFrame({
        col_type: [_capital(type_text(t, w, names)) for t in classes["type"]],
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
    d.notes(s, [w("acc.notes_groups"),
                w("acc.notes_rule", consensus=w.n(100 * CONSENSUS_SHARE), split=w.n(100 * SPLIT_SHARE),
                  each=w.n(100 * SPLIT_MIN)),
                *([w("acc.notes_fitted", wave=fitted)] if fitted else []),
                w("acc.notes_single")],
            consultant=[w("acc.consultant")])
