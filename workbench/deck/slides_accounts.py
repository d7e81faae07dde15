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

__all__ = ["accounts_slide"]


def _mix_text(row, segments) -> str:
    parts = [(name, row.get(f"mix_{seg}", 0.0)) for seg, name in segments]
    parts = sorted((p for p in parts if p[1] >= 0.05), key=lambda p: -p[1])
    return ", ".join(f"{name} {100 * v:.0f}\u00a0%" for name, v in parts)  # the number and % kept together


def accounts_slide(d: Canvas, data: DeckData):
    """One slide with a table per account class (nothing when the run has no account classes)."""
    acc = data.accounts
    if not acc:
        return
    classes = frame_from_json(acc.get("classes"))
    if classes.empty:
        return
    segments = [(int(s), str(n)) for s, n in acc.get("segments", [])]
    s = d.slide(key="accounts")
    fitted = acc.get("fitted_wave")  # a later wave: accounts placed in the fitted wave's types
    d.title(s, "Accounts: buying-centre types",
            subtitle=f"{acc['n_several']:,} of {acc['n_customers']:,} surveyed customers have several respondents; "
                     + (f"all placed in the types found in wave {fitted} by their respondents' segments"
                        if fitted else "all grouped by their respondents' mix of segments"))
    value_label = acc.get("value_label") or ""

    def pct(v):
        return "" if not math.isfinite(v) else f"{100 * v:.0f} %"

    rows = pd.DataFrame({
        "Type": [str(t)[0].upper() + str(t)[1:] for t in classes["type"]],
        "Accounts": classes["accounts"].astype(int),
        # one fact, one value: the share the counts beside it give, whole % adding to 100
        "Share of accounts": [v / 100 for v in round_shares(classes["accounts"].astype(float))],
    })
    widths = [3.2, 1.1, 1.3]
    formats = {"Accounts": lambda v: f"{int(v):,}", "Share of accounts": pct}
    if fitted and "share_fitted" in classes.columns:
        col = f"Share in wave {fitted}"
        rows[col] = [v / 100 for v in round_shares(classes["share_fitted"].astype(float))]
        widths.append(1.3)
        formats[col] = pct
    rows["Respondents' segments"] = [_mix_text(r, segments) for r in classes.to_dict("records")]
    widths.append(4.0 if not fitted else 3.3)
    if "value" in classes.columns and classes["value"].notna().any():
        cur = f" ({data.currency})" if data.currency else ""
        col = f"{value_label or 'Value'} per account{cur}"
        rows[col] = classes["value"].astype(float)
        widths.append(1.6)
        formats[col] = lambda v: "" if not math.isfinite(v) else f"{v:,.0f}"
    add_table(d, s, Box(d.margin, d.top, d.W - 2 * d.margin, 0), rows, widths, size=12, formats=formats,
              row_h=Inches(0.45))
    d.notes(s, ["Accounts where several people answered are grouped by the mix of segments among their "
                "respondents: everyone alike (consensus), two camps (split), or a mix.",
                "Consensus: one segment holds at least 70 % of a type's respondents; split: two segments together at "
                "least 70 %, each at least 20 %.",
                *([f"This wave's accounts are placed in the types found in wave {fitted} from their respondents' "
                   "segments; the share in that wave is counted the same way."] if fitted else []),
                "Customers with one respondent keep that respondent's segment."],
            consultant=["Multilevel latent class model (respondent segments within account classes), the number of "
                        "account classes chosen by the account-level BIC; accounts.xlsx lists every account, "
                        "customer_segments.csv carries account_class and account_type, model.json the accounts "
                        "section (export-sql --using accounts)."])
