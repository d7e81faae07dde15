"""One renderer for results: a result declares *what* it shows once, :class:`Summary` says *how*.

As statsmodels' ``iolib/summary.py``: a result's :meth:`~Summarised.summarise` returns a
:class:`Summary` (a title, head lines, tables and numbered notes), and the one
:class:`Summary` renders it as text (the terminal, ``print(result)``), as HTML (notebooks,
``_repr_html_``) and as workbook sheets (:meth:`Summary.to_sheets`, for
:func:`workbench.files.outputs.write_workbook`). No result writes its own ``__str__`` /
``_repr_html_`` pair: it inherits them from :class:`Summarised`.

To show a new result: subclass :class:`Summarised` (before ``@dataclass``'s generated methods
matter: ``__str__`` and ``_repr_html_`` come from the mixin, ``__repr__`` stays the dataclass's
or the result's own) and write ``summarise(self) -> Summary``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Summary", "SummaryTable", "Summarised"]


@dataclass(frozen=True)
class SummaryTable:
    """One table of a summary: the frame, an optional caption, decimals for floats, and whether its
    index is shown."""

    frame: pd.DataFrame
    title: str | None = None
    digits: int = 3
    index: bool = True

    def as_text(self) -> str:
        with pd.option_context("display.width", 200, "display.max_columns", 50, "display.max_colwidth", 40):
            body = self.frame.to_string(na_rep="", index=self.index, float_format=lambda v: f"{v:.{self.digits}f}")
        return f"{self.title}:\n{body}" if self.title else body

    def as_html(self) -> str:
        head = f"<p>{html.escape(self.title)}</p>" if self.title else ""
        return head + self.frame.to_html(na_rep="", index=self.index, escape=True,
                                         float_format=lambda v: f"{v:.{self.digits}f}")


@dataclass(frozen=True)
class Summary:
    """What a result shows: ``title``, head ``lines`` (facts and sentences), ``tables`` and ``notes``.

    Parameters
    ----------
    title : str
        Shown in bold in HTML and as the first sheet's name in a workbook; not in the text,
        whose first line is the first of ``lines`` (the headline).
    lines : sequence of str
    tables : sequence of SummaryTable or DataFrame
    notes : sequence of str
        Shown as ``note: ...`` after the tables (text) or the head lines (HTML).
    """

    title: str
    lines: tuple = ()
    tables: tuple = ()
    notes: tuple = field(default=())

    def __post_init__(self):
        object.__setattr__(self, "lines", tuple(str(x) for x in self.lines))
        object.__setattr__(self, "notes", tuple(str(x) for x in self.notes))
        object.__setattr__(self, "tables", tuple(t if isinstance(t, SummaryTable) else SummaryTable(t)
                                                 for t in self.tables))

    def as_text(self) -> str:
        parts = [*self.lines, *(t.as_text() for t in self.tables), *(f"note: {n}" for n in self.notes)]
        return "\n".join(parts)

    def as_html(self) -> str:
        head = f"<p><b>{html.escape(self.title)}</b></p>"
        meta = "".join(f"<div>{html.escape(x)}</div>" for x in (*self.lines, *(f"note: {n}" for n in self.notes)))
        return head + meta + "".join(t.as_html() for t in self.tables)

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()

    def to_sheets(self) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
        """``(sheets, notes)`` for :func:`workbench.files.outputs.write_workbook`: one sheet per table (named by
        its title, the first by the summary's), the head lines and notes as the first sheet's note."""
        sheets: dict[str, pd.DataFrame] = {}
        for i, t in enumerate(self.tables):
            name = (t.title or (self.title if i == 0 else f"{self.title} {i + 1}"))[:31]
            sheets[name] = t.frame.reset_index() if t.index else t.frame
        note = " ".join([*self.lines, *(f"Note: {n}" for n in self.notes)])
        return sheets, ({next(iter(sheets)): note} if sheets and note else {})


class Summarised:
    """Mixin: ``print(result)`` and a notebook's display come from the result's :meth:`summarise`."""

    def summarise(self) -> Summary:  # pragma: no cover - every subclass writes its own
        raise NotImplementedError

    def __str__(self) -> str:
        return self.summarise().as_text()

    def _repr_html_(self) -> str:
        return self.summarise().as_html()
