"""Step ``weighting``: the kept respondents with their survey weights.

Every analysis after it reads ``weighted``: the respondents of ``clean`` carrying the
raking weights of the behaviour step when the study declares ``weighting:``, else
``clean`` itself (unweighted). ``clean`` is left as the quality step gave it.
"""

from __future__ import annotations

import dataclasses

from .context import Output, Step, WaveContext


def weighting(ctx: WaveContext) -> Output:
    """``clean`` with the raking weights (when there are any)."""
    raking = ctx.behaviour.weighting if ctx.behaviour is not None else None
    if raking is None:
        return Output({"weighted": ctx.clean})
    weights = raking.weights.reindex(ctx.clean.data.index)
    return Output({"weighted": dataclasses.replace(ctx.clean, weights=weights)})


STEP = Step("weighting", weighting, needs=("clean",), uses=("behaviour",), gives=("weighted",),
            what="attaching survey weights")
