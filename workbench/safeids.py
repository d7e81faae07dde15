"""Ids are names, not paths: the study and wave ids that name report folders.

A study id and a wave id each become one folder name under the reports root
(``<reports>/<study>/<wave>/``), so they are checked against :data:`ID_PATTERN` when the
study is loaded and again, with the resolved path, before anything is written or removed.

The rule (also in the README, "Limits and safety"):

- 1 to 64 characters: letters (any script, so ``æøå``, ``ö``, ``ĳ`` are fine), digits,
  ``.``, ``_`` and ``-``;
- the first character is a letter or a digit (so no ``.hidden``, no ``-flag``);
- no ``..`` anywhere (never a parent folder), no ``/`` or ``\\``, no spaces or control
  characters, and not a name Windows reserves (``CON``, ``NUL``, ``COM1``, ...).

:func:`inside` is the second line of defence: whatever the ids, a path the workbench is
about to write or remove must resolve (symlinks followed) to a place inside the root.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .errors import OutputError, StudyError

__all__ = ["ID_PATTERN", "ID_RULE", "id_problem", "check_id", "inside", "report_path", "report_folder"]

#: The documented pattern for study and wave ids (Unicode letters allowed: ``\w`` minus ``_`` first).
ID_PATTERN = re.compile(r"^[^\W_][\w.\-]{0,63}$")
#: How the rule reads in an error message.
ID_RULE = ("1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..' "
           "(it names a folder under the reports root, so it cannot be a path)")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def id_problem(value, what: str = "id") -> str | None:
    """Why ``value`` is not a usable study or wave id, or None when it is."""
    if not isinstance(value, str):
        return f"{what} {value!r} must be text"
    v = unicodedata.normalize("NFC", value)
    if v != value:
        return f"{what} {value!r} is not in Unicode NFC form; retype it"
    if not ID_PATTERN.match(v) or ".." in v or v.split(".")[0].lower() in _RESERVED:
        shown = v if len(v) <= 70 else v[:67] + "..."
        return f"{what} {shown!r} is not a safe name: use {ID_RULE}"
    return None


def check_id(value, what: str = "id", *, file=None) -> str:
    """Return ``value`` when it is a safe id; a :class:`StudyError` otherwise."""
    problem = id_problem(value, what)
    if problem:
        raise StudyError(problem, file=file)
    return value


def inside(root, path, *, what: str = "output") -> Path:
    """``path`` resolved, after checking it lies strictly inside ``root`` (symlinks followed).

    Raises
    ------
    OutputError
        The resolved path is the root itself or outside it.
    """
    root_r = Path(root).resolve()
    path_r = Path(path).resolve()
    if path_r == root_r or root_r not in path_r.parents:
        raise OutputError(
            f"refusing to write the {what} at {path}: it resolves to {path_r}, outside the reports root "
            f"{root_r} (is a folder below it a symbolic link?)",
            file=path,
        )
    return path_r


def report_path(reports_root, study_id: str, wave_id: str) -> Path:
    """``<reports_root>/<study_id>/<wave_id>``, both ids checked and the result inside the root."""
    check_id(study_id, "study id")
    check_id(str(wave_id), "wave id")
    target = Path(reports_root) / study_id / str(wave_id)
    inside(reports_root, target, what=f"report folder of wave {wave_id}")
    return target


def report_folder(study, wave, reports_root) -> Path:
    """``<reports_root>/<study id>/<wave id>`` of a loaded study (:func:`report_path`); the one
    definition behind the runner, ``workbench deck`` and the model look-up of later waves."""
    return report_path(reports_root, study.id, str(wave))
