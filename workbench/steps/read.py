"""Step ``read``: the wave's response files into :class:`~workbench.readers.Responses`."""

from __future__ import annotations

from ..readers import read_responses
from .context import Output, Step, WaveContext


def read(ctx: WaveContext) -> Output:
    """Read the wave's response files (nothing is written)."""
    return Output({"responses": read_responses(ctx.study, ctx.wave)})


STEP = Step("read", read, gives=("responses",), what="reading responses")
