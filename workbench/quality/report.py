"""The quality report: what every check found, the exclusions, and writing them (xlsx, markdown)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import DataError
from ..data.readers import Responses
from ..core.summary import Summarised, Summary, SummaryTable

logger = logging.getLogger(__name__)


#: The checks, in the order they are reported.
CHECKS = (
    "duplicates",
    "out of range",
    "straightliners",
    "speeders",
    "missing (respondents)",
    "missing (items)",
    "columns",
)


_RESPONDENT_COLS = ["respondent", "file", "row"]
TABLE_COLUMNS = {
    "duplicates": _RESPONDENT_COLS[:1] + ["occurrence", "file", "row", "kept"],
    "out_of_range": _RESPONDENT_COLS + ["column", "value", "expected", "action"],
    "straightliners": _RESPONDENT_COLS + ["grids", "count", "flagged"],
    "speeders": _RESPONDENT_COLS + ["duration", "median", "threshold", "ratio"],
    "missing_respondents": _RESPONDENT_COLS + ["items", "missing", "don't know", "share", "flagged"],
    "missing_items": [
        "item", "block", "label", "n", "missing", "blank", "don't know",
        "missing share", "don't know share", "flagged",
    ],
    "columns": ["column", "issue", "file", "detail"],
    "exclusions": _RESPONDENT_COLS + ["reasons", "excluded"],
    "summary": ["check", "action", "threshold", "flagged", "excluded", "description"],
}

_SHEETS = {
    "Summary": ("summary", "One row per check: what it looks for, the threshold the study sets, "
                "how many respondent rows it flagged and how many it excluded."),
    "Exclusions": ("exclusions", "Every respondent row a check flagged or excluded, with all "
                   "its reasons; rows with excluded = TRUE are left out of the analysis."),
    "Duplicates": ("duplicates", "Respondent ids found on more than one row, each occurrence "
                   "with its file and row and whether it was kept."),
    "Out of range": ("out_of_range", "Answers whose code is not on the question's scale; "
                     "they are blanked, and the respondent is excluded when the study says so."),
    "Straightliners": ("straightliners", "Respondents who gave the same answer to every item "
                       "of a grid; flagged = at or above the study's number of grids."),
    "Speeders": ("speeders", "Respondents faster than the study's share of the median "
                 "interview duration (ratio = duration / median)."),
    "Missing by respondent": ("missing_respondents", "Per respondent row: analysed questions, "
                              "how many are blank or 'don't know', and the share; flagged = "
                              "above the study's limit."),
    "Missing by item": ("missing_items", "Per analysed question: share missing (blank or a "
                        "missing code) and share 'don't know'; items are reported, never dropped."),
    "Columns": ("columns", "Columns in the file the study does not declare, declared columns "
                "this wave did not ask, and SPSS value labels that differ from the study."),
}


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True, eq=False)
class QualityReport(Summarised):
    """The outcome of :func:`check_quality`: one tidy table per check, and the exclusions.

    Respondent-level tables identify a row by ``respondent``, ``file`` (relative to the
    study folder when it lies below it) and ``row`` (as a spreadsheet shows it), and are
    sorted by file and row.

    Attributes
    ----------
    study_id, wave : str
        Which study and wave were checked.
    n_in : int
        Respondent rows read (duplicate occurrences counted).
    n_out : int
        Respondent rows kept: ``n_in`` minus the excluded rows (see ``n_excluded``).
    checks : DataFrame
        The summary table (see :meth:`summary`).
    duplicates : DataFrame
        respondent, occurrence (1, 2, ... in file order), file, row, kept.
    out_of_range : DataFrame
        respondent, file, row, column, value, expected, action.
    straightliners : DataFrame
        Respondent rows straightlining at least one grid: grids (names), count, and
        flagged (count at or above ``min_grids``).
    speeders : DataFrame
        Speeders only: respondent, file, row, duration, median, threshold, ratio.
    missing_respondents : DataFrame
        Every respondent row: items, missing, don't know, share, flagged.
    missing_items : DataFrame
        Every analysed question: n, missing, blank, don't know, their shares, flagged.
    columns : DataFrame
        column, issue ('unexpected', 'not asked', 'label mismatch'), file, detail.
    exclusions : DataFrame
        One row per respondent row any check flagged or excluded: respondent, file,
        row, reasons (joined by '; '), excluded.
    settings : dict
        The study's ``quality:`` section as applied.
    pii : tuple of str
        The study's PII columns (refused by :meth:`to_excel`).
    """

    study_id: str
    wave: str
    n_in: int
    n_out: int
    checks: pd.DataFrame = field(repr=False)
    duplicates: pd.DataFrame = field(repr=False)
    out_of_range: pd.DataFrame = field(repr=False)
    straightliners: pd.DataFrame = field(repr=False)
    speeders: pd.DataFrame = field(repr=False)
    missing_respondents: pd.DataFrame = field(repr=False)
    missing_items: pd.DataFrame = field(repr=False)
    columns: pd.DataFrame = field(repr=False)
    exclusions: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict, repr=False)
    pii: tuple = ()
    _drop: frozenset = field(default=frozenset(), repr=False)

    # ---------------------------------------------------------------- counts and views

    @property
    def n_excluded(self) -> int:
        """Respondent rows excluded (``n_in - n_out``)."""
        return self.n_in - self.n_out

    def summary(self) -> pd.DataFrame:
        """One row per check.

        Returns
        -------
        DataFrame
            Columns ``check``, ``action`` (what was done: exclude, flag, report, the
            duplicates / out-of-range policy, or 'not run'), ``threshold``, ``flagged``
            (respondent rows the check found; items for 'missing (items)', columns for
            'columns'), ``excluded`` (respondent rows it excluded) and ``description``
            (one plain sentence).  A row excluded by two checks counts under both.
        """
        return self.checks.copy()

    def apply(self, responses: Responses) -> Responses:
        """The clean Responses: every excluded row removed.

        Parameters
        ----------
        responses : Responses
            The Responses this report was computed from.

        Returns
        -------
        Responses
            Without the excluded rows (dropped duplicate occurrences included), so the
            index is unique; its ``out_of_range`` table keeps the kept rows only.

        Raises
        ------
        ValueError
            When ``responses`` is not the data the report was computed from.
        DataError
            When respondent ids would still repeat (cannot happen for the data the
            report was computed from).
        """
        if (responses.study_id, str(responses.wave), responses.n) != (self.study_id, self.wave, self.n_in):
            raise ValueError(
                f"this quality report is for study {self.study_id!r} wave {self.wave} with "
                f"{self.n_in:,} rows, but the responses are study {responses.study_id!r} wave "
                f"{responses.wave} with {responses.n:,} rows; run check_quality on these responses"
            )
        prov = responses.provenance
        keys = list(zip(responses.data.index.astype(str), prov["file"].astype(str), prov["row"].astype(int)))
        keep = np.array([k not in self._drop for k in keys], dtype=bool)
        if int((~keep).sum()) != self.n_excluded:
            raise ValueError(
                "the responses' rows do not match the rows this quality report was computed "
                "from (files or rows differ); run check_quality on these responses"
            )
        clean = responses.subset(keep)
        if not clean.data.index.is_unique:
            dup = clean.data.index[clean.data.index.duplicated()][0]
            raise DataError(f"respondent id {dup!r} still occurs more than once after the exclusions")
        oor = responses.out_of_range
        if len(oor):
            kept = {(str(r), str(f), int(w)) for r, f, w in keys if (r, f, w) not in self._drop}
            mask = [(str(r), str(f), int(w)) in kept for r, f, w in zip(oor["respondent"], oor["file"], oor["row"])]
            oor = oor[np.asarray(mask, dtype=bool)].reset_index(drop=True)
        clean = dataclasses.replace(clean, out_of_range=oor)
        logger.debug("quality: kept %d of %d respondent rows", clean.n, responses.n)
        return clean

    # ---------------------------------------------------------------- outputs

    def tables(self) -> dict[str, pd.DataFrame]:
        """The workbook's sheets, in order: sheet name to table."""
        out = {}
        for sheet, (attr, _note) in _SHEETS.items():
            out[sheet] = self.summary() if attr == "summary" else getattr(self, attr).copy()
        return out

    def to_excel(self, path, *, pii=None, labels=None) -> Path:
        """Write ``quality.xlsx``: the summary and one sheet per table, each with a note.

        Parameters
        ----------
        path : str or Path
            A file, or a folder to write ``quality.xlsx`` into.
        pii : iterable of str, optional
            PII column names to refuse; default: the study's ``pii`` list.  No table
            holds personal data (the respondent id is not PII); this is the safeguard.

        Returns
        -------
        Path
            The file written.
        """
        from ..files.outputs import write_workbook

        path = Path(path)
        if path.is_dir():
            path = path / "quality.xlsx"
        pii = tuple(self.pii if pii is None else pii)
        notes = {sheet: note for sheet, (_attr, note) in _SHEETS.items()}
        written = write_workbook(path, self.tables(), pii=pii, notes=notes, index=False, labels=labels)
        logger.debug("quality report written to %s", written)
        return written

    def plot(self, ax=None):
        """Horizontal bars: respondent rows flagged and excluded per check.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw into this Axes; by default a new Figure is made (no pyplot state).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.ticker import MaxNLocator

        table = self.checks[~self.checks["check"].isin(["missing (items)", "columns"])]
        table = table.iloc[::-1]
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(7, 0.55 * len(table) + 1.4), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        y = np.arange(len(table))
        h = 0.38
        flagged = table["flagged"].to_numpy(dtype=float)
        excluded = table["excluded"].to_numpy(dtype=float)
        ax.barh(y + h / 2, flagged, height=h, label="flagged", color="#9DB9D9")
        ax.barh(y - h / 2, excluded, height=h, label="excluded", color="#C0504D")
        labels = [c if a != "not run" else f"{c} (not run)" for c, a in zip(table["check"], table["action"])]
        ax.set_yticks(y, labels)
        ax.set_xlabel("respondent rows")
        ax.set_title(f"Quality checks, {self.study_id} wave {self.wave}: {self.n_out:,} of {self.n_in:,} kept")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.4 / max(len(table), 1)), ncols=2, frameon=False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        top = max(float(np.nanmax(flagged, initial=0)), float(np.nanmax(excluded, initial=0)), 1.0)
        ax.set_xlim(0, top * 1.15)
        for yy, v in zip(y + h / 2, flagged):
            ax.text(v, yy, f" {int(v):,}", va="center", fontsize=8)
        for yy, v in zip(y - h / 2, excluded):
            ax.text(v, yy, f" {int(v):,}", va="center", fontsize=8)
        return fig

    def headline(self) -> str:
        """``"1,512 respondents read, 1,447 kept, 65 excluded (speeders 30, ...)"``."""
        parts = [
            f"{_short_check(c)} {int(x):,}"
            for c, x in zip(self.checks["check"], self.checks["excluded"])
            if x > 0
        ]
        text = f"{self.n_in:,} respondents read, {self.n_out:,} kept, {self.n_excluded:,} excluded"
        return text + (f" ({', '.join(parts)})" if parts else "")

    def summarise(self) -> Summary:
        """The lines of :meth:`text` and the table of checks."""
        return Summary(f"Quality report, wave {self.wave}", self._lines(), [SummaryTable(self.summary(), index=False)])

    def text(self) -> str:
        """What the run summary and ``workbench validate`` print: the headline, the respondents
        flagged only, and what to look up in quality.xlsx."""
        return "\n".join(self._lines())

    def _lines(self) -> list[str]:
        lines = [self.headline()]
        flags = [
            f"{_short_check(c)} {int(f - x):,}"
            for c, a, f, x in zip(self.checks["check"], self.checks["action"], self.checks["flagged"], self.checks["excluded"])
            if c not in ("missing (items)", "columns") and f > x and a not in ("keep_first", "keep_last", "exclude_all")
        ]
        if flags:
            lines.append(f"flagged only (not excluded by that check): {', '.join(flags)}")
        notes = []
        items = self.checks.loc[self.checks["check"] == "missing (items)", "flagged"]
        if len(items) and int(items.iloc[0]):
            notes.append(f"{int(items.iloc[0])} question(s) with many missing answers")
        if len(self.columns):
            notes.append(f"{len(self.columns)} column note(s)")
        if notes:
            lines.append("see quality.xlsx: " + ", ".join(notes))
        return lines

    def __repr__(self) -> str:
        return (
            f"QualityReport(study={self.study_id!r}, wave={self.wave!r}, n_in={self.n_in}, "
            f"n_out={self.n_out}, excluded={self.n_excluded})"
        )


def _short_check(check: str) -> str:
    return {"missing (respondents)": "missing answers"}.get(check, check)
