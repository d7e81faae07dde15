"""Text cleaned at the boundary: characters a workbook or a deck cannot hold (issue 24).

Workbooks (.xlsx) and decks (.pptx) are XML, and XML 1.0 cannot hold every character a
file may bring: the C0 control characters other than tab, line feed and carriage return,
the non-characters U+FFFE and U+FFFF, and lone surrogates (U+D800-U+DFFF, which a broken
export or a ``\\udc80`` escape can produce).  PowerPoint also refuses to open a slide that
holds U+0085 (NEXT LINE) or another C1 control character (U+0080-U+009F), and U+007F.
:data:`UNSHOWABLE` is that set.

Where text enters the workbench it is checked once, so no writer ever meets such a
character:

- survey answers and respondent ids (step ``read``): :func:`clean_frame` replaces each such
  character by U+FFFD (the replacement character) and the step logs one warning per column
  naming the file, the first row and the column;
- study.yaml and personas.yaml (:mod:`workbench.files.safeyaml`): refused with the line, since a
  person typed them and can fix them;
- model files and deck data read back: their texts pass :func:`clean` before use.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["UNSHOWABLE", "REPLACEMENT", "clean", "first_unshowable", "clean_frame", "describe"]

#: Characters no workbook or deck can hold (see the module notes).
UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def describe(ch: str) -> str:
    """``U+FFFE`` for a character (the form used in messages)."""
    return f"U+{ord(ch):04X}"


def first_unshowable(text) -> str | None:
    """The first character of ``text`` no workbook or deck can hold, or None."""
    if not isinstance(text, str):
        return None
    m = UNSHOWABLE.search(text)
    return m.group() if m else None


def clean(text):
    """``text`` with every unshowable character replaced by U+FFFD (other values unchanged)."""
    if isinstance(text, str) and UNSHOWABLE.search(text):
        return UNSHOWABLE.sub(REPLACEMENT, text)
    return text


def clean_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[object, object, str, int]]]:
    """``frame`` with unshowable characters replaced in its text cells (ids in the index are
    the caller's to refuse: see :func:`first_unshowable`).

    Returns
    -------
    (DataFrame, list)
        The cleaned frame (``frame`` itself when nothing needed cleaning) and, per column
        that held one, ``(column, first index label, character, cells)``.
    """
    found = []
    out = frame
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        if col.dtype != object:
            continue
        hit = col.map(lambda v: isinstance(v, str) and UNSHOWABLE.search(v) is not None).to_numpy(dtype=bool)
        if hit.any():
            first = int(hit.argmax())
            found.append((frame.columns[j], frame.index[first], first_unshowable(col.iloc[first]), int(hit.sum())))
            if out is frame:
                out = frame.copy()
            out.isetitem(j, col.map(clean))
    return out, found
