"""Ids are names, not paths: the study and wave ids that name report folders.

A study id and a wave id each become one folder name under the reports root
(``<reports>/<study>/<wave>/``), so they are checked against :data:`ID_PATTERN` when the
study is loaded and again, with the resolved path, before anything is written or removed.

The rule (also in the README, "Limits and safety"):

- 1 to 64 characters: letters (any script, so ``æøå``, ``ö``, ``ĳ`` are fine), digits,
  ``.``, ``_`` and ``-``;
- the first character is a letter or a digit (so no ``.hidden``, no ``-flag``);
- no ``..`` anywhere (never a parent folder), no ``/`` or ``\\``, no spaces or control
  characters, and not a name Windows reserves (``CON``, ``NUL``, ``COM1``, ``COM¹``, ``LPT²``
  ..., with any suffix: ``nul.txt``);
- portable to Windows and macOS (issue 24): no trailing ``.`` (Windows drops it, so ``demo.``
  and ``demo`` would be one folder), not the shape of the run's own temporary and lock names
  (``1.tmp-1-deadbeef``, ``x.old-…``, ``x.lock``); and two waves of a study may not differ
  only in upper/lower case (:func:`id_key`; one folder on both systems).

:func:`inside` is the second line of defence: whatever the ids, a path the workbench is
about to write or remove must resolve (symlinks followed) to a place inside the root.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..core.errors import OutputError, StudyError

__all__ = ["ID_PATTERN", "ID_RULE", "id_problem", "check_id", "inside", "report_path", "report_folder", "id_key"]

#: The documented pattern for study and wave ids (Unicode letters allowed: ``\w`` minus ``_`` first).
ID_PATTERN = re.compile(r"^[^\W_][\w.\-]{0,63}$")
#: How the rule reads in an error message.
ID_RULE = ("1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..' "
           "(it names a folder under the reports root, so it cannot be a path)")
_RESERVED = {"con", "prn", "aux", "nul", "conin$", "conout$", "clock$",
             *(f"{p}{d}" for p in ("com", "lpt") for d in "0123456789\u00b9\u00b2\u00b3")}
#: The run's own temporary, old-output and lock names (workbench.files.outputs, workbench.files.locking).
_OWN_NAMES = re.compile(r"\.(tmp|old)-|\.lock$", re.I)


def id_key(value: str) -> str:
    """The folder an id names on a case-insensitive file system (Windows, macOS): ids with one key clash."""
    return unicodedata.normalize("NFC", str(value)).casefold()


def id_problem(value, what: str = "id") -> str | None:
    """Why ``value`` is not a usable study or wave id, or None when it is."""
    if not isinstance(value, str):
        return f"{what} {value!r} must be text"
    v = unicodedata.normalize("NFC", value)
    if v != value:
        return f"{what} {value!r} is not in Unicode NFC form; retype it"
    shown = v if len(v) <= 70 else v[:67] + "..."
    if not ID_PATTERN.match(v) or ".." in v:
        return f"{what} {shown!r} is not a safe name: use {ID_RULE}"
    if v.split(".")[0].casefold() in _RESERVED:
        return (f"{what} {shown!r} is not a safe name: it is a name Windows reserves for a device (CON, PRN, AUX, NUL, COM0-9, LPT0-9, also "
                "with superscript digits and with any suffix such as '.txt'); choose another name")
    if v.endswith("."):
        return f"{what} {shown!r} is not a safe name: it ends with '.', which Windows drops (two folders would become one); remove the dot"
    if _OWN_NAMES.search(v):
        return (f"{what} {shown!r} is not a safe name: it has the shape of the workbench's own temporary or lock names ('.tmp-', '.old-', "
                "'.lock'); choose another name")
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
