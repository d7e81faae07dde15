"""One exception family for everything the workbench refuses to do.

Every error carries a message and, where known, the file, row and column it is
about, so the CLI can print one line that tells a consultant where to look.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "WorkbenchError",
    "StudyError",
    "DataError",
    "OutputError",
    "AnalysisError",
    "WorkbenchWarning",
]


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose.

    Parameters
    ----------
    message : str
        What was found, what was expected and what to try.
    file : str or Path, optional
        The file the problem is in.
    row : int, optional
        The row as a person sees it when opening the file (spreadsheet rows:
        the header is row 1; for SPSS files, the case number).
    column : str, optional
        The column (variable) name.
    problems : list of str, optional
        When several problems are reported at once (study validation), each one.
    """

    def __init__(self, message, *, file=None, row=None, column=None, problems=None):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.problems = list(problems or [])

    def location(self) -> str:
        """``file, row R, column 'C'`` for the parts that are known."""
        parts = []
        if self.file is not None:
            parts.append(_short(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        head = f"{where}: {self.message}" if where else self.message
        if self.problems:
            return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        return head


class StudyError(WorkbenchError):
    """The study definition (study.yaml) is malformed or inconsistent."""


class DataError(WorkbenchError):
    """A data file does not match the study or cannot be read."""


class OutputError(WorkbenchError):
    """Outputs cannot be written (e.g. they exist and ``--force`` was not given)."""


class AnalysisError(WorkbenchError):
    """The data cannot support the requested analysis."""


class WorkbenchWarning(UserWarning):
    """Something was done that the consultant should know about."""


def _short(path) -> str:
    """Show a path relative to the working folder when it lies below it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)
