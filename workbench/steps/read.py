"""Step ``read``: the wave's response files into :class:`~workbench.data.readers.Responses`.

Text is cleaned here, at the boundary (issue 24): a character no workbook or deck can hold
(:data:`workbench.files.cleantext.UNSHOWABLE`) in an answer is replaced by U+FFFD with a warning
naming file, row and column; in a respondent id it is an error naming them.
"""

from __future__ import annotations

import dataclasses
import logging

from ..files.cleantext import clean_frame, describe, first_unshowable
from ..core.errors import DataError
from ..data.readers import Responses, read_responses
from .context import Output, Step, WaveContext

logger = logging.getLogger(__name__)


def read(ctx: WaveContext) -> Output:
    """Read the wave's response files (nothing is written)."""
    return Output({"responses": clean_responses(read_responses(ctx.study, ctx.wave))})


def _where(responses: Responses, rid) -> tuple[str | None, int | None]:
    prov = responses.provenance
    try:
        rec = prov.loc[rid]
        rec = rec.iloc[0] if hasattr(rec, "iloc") and getattr(rec, "ndim", 1) > 1 else rec
        return str(rec["file"]), int(rec["row"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None, None


def clean_responses(responses: Responses) -> Responses:
    """``responses`` with unshowable characters replaced in text answers (a warning per column naming
    file, first row and column); an unshowable character in a respondent id is a :class:`DataError`."""
    for rid in responses.data.index:
        ch = first_unshowable(rid)
        if ch:
            file, row = _where(responses, rid)
            raise DataError(f"the respondent id holds the character {describe(ch)}, which workbooks and decks cannot "
                            "hold; correct the id in the file", file=file, row=row,
                            column=responses.data.index.name)
    data, found = clean_frame(responses.data)
    for column, rid, ch, cells in found:
        file, row = _where(responses, rid)
        where = ", ".join(x for x in (file, f"row {row}" if row else None, f"column '{column}'") if x)
        logger.warning("%s: the text holds %s, which workbooks and decks cannot hold; replaced by U+FFFD in %d "
                       "cell(s) of this column", where, describe(ch), cells)
    return responses if data is responses.data else dataclasses.replace(responses, data=data)


STEP = Step("read", read, gives=("responses",), what="reading responses")
