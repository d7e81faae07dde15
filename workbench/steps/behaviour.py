"""Step ``behaviour``: customer features as of the wave's date (DuckDB over the files),
joined to the kept respondents, with raking weights when the study declares ``weighting:``;
``behaviour.xlsx``."""

from __future__ import annotations

from ..behaviour import compute_behaviour
from .context import Output, Step, WaveContext


def _applies(ctx: WaveContext) -> str | None:
    return "study declares no behaviour data" if ctx.study.spec.behaviour is None else None


def behaviour(ctx: WaveContext) -> Output:
    """Features, the join's match report and (when declared) the raking result."""
    result = compute_behaviour(ctx.study, ctx.wave, ctx.clean)
    pii = ctx.study.pii
    return Output({"behaviour": result}, lambda folder: result.to_excel(folder / "behaviour.xlsx", pii=pii))


STEP = Step("behaviour", behaviour, needs=("clean",), gives=("behaviour",), applies=_applies,
            what="computing behavioural features and the join")
