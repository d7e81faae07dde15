"""Step ``quality``: the quality checks, the kept respondents and ``quality.xlsx``."""

from __future__ import annotations

from ..quality import check_quality
from .context import Output, Step, WaveContext


def quality(ctx: WaveContext) -> Output:
    """Check the responses; give the report and the respondents it keeps."""
    report = check_quality(ctx.responses, ctx.study)
    clean = report.apply(ctx.responses)
    pii = ctx.study.pii
    return Output({"quality": report, "clean": clean},
                  lambda folder: report.to_excel(folder / "quality.xlsx", pii=pii,
                                                                 labels=ctx.study.column_labels()),
                  counts={"respondents_read": ctx.responses.n, "respondents_kept": clean.n})


STEP = Step("quality", quality, needs=("responses",), gives=("quality", "clean"), what="checking data quality")
