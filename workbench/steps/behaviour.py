"""Step ``behaviour``: customer features as of the wave's date (DuckDB over the files),
joined to the kept respondents, with raking weights when the study declares ``weighting:``;
``behaviour.xlsx``."""

from __future__ import annotations

import dataclasses
import logging

from ..behaviour import compute_behaviour
from .context import Output, Step, WaveContext

logger = logging.getLogger(__name__)

#: Measures a transaction column (role) makes possible: without any of the roles, the
#: measures are not computed (not shown as 0): ``(roles, measure names, column prefixes)``.
NEEDS_ROLES = (
    (("delivery_cost", "handling_cost"), ("cost_to_serve", "cost_per_order", "cost_share", "cost_tier"), ()),
    (("channel",), ("dominant_channel", "digital_share"), ("orders_share_", "revenue_share_")),
    (("quantity",), ("units",), ()),
)


def not_computed(roles) -> dict[str, str]:
    """Measures the study's transaction columns cannot give: measure (or prefix*) -> why."""
    out = {}
    for needs, names, prefixes in NEEDS_ROLES:
        if not any(r in roles for r in needs):
            why = f"no {' or '.join(needs)} column in the transactions"
            out.update({n: why for n in names})
            out.update({f"{p}*": why for p in prefixes})
    return out


def _drop(frame, gone):
    if frame is None:
        return frame
    drop = [c for c in frame.columns if c in gone or any(str(c).startswith(g[:-1]) for g in gone if g.endswith("*"))]
    return frame.drop(columns=drop) if drop else frame


def _applies(ctx: WaveContext) -> str | None:
    return "study declares no behaviour data" if ctx.study.spec.behaviour is None else None


def behaviour(ctx: WaveContext) -> Output:
    """Features, the join's match report and (when declared) the raking result."""
    result = compute_behaviour(ctx.study, ctx.wave, ctx.clean)
    tx = ctx.study.spec.behaviour.transactions
    gone = not_computed(dict(tx.columns)) if tx is not None else {}
    parts = {}
    if gone:
        result = dataclasses.replace(
            result, customers=_drop(result.customers, gone), respondents=_drop(result.respondents, gone),
            features=dataclasses.replace(result.features, table=_drop(result.features.table, gone)))
        for why in dict.fromkeys(gone.values()):
            names = ", ".join(m for m, w in gone.items() if w == why)
            logger.info("skipped: behaviour measures %s: %s", names, why)
            parts[f"measures {names}"] = why
    pii = ctx.study.pii
    return Output({"behaviour": result}, lambda folder: result.to_excel(folder / "behaviour.xlsx", pii=pii,
                                                                                currency=ctx.study.currency,
                                                                                labels=ctx.study.column_labels()),
                  skipped=parts)


STEP = Step("behaviour", behaviour, needs=("clean",), gives=("behaviour",), applies=_applies,
            what="computing behavioural features and the join")
