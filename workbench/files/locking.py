"""One run per wave at a time: a lock file per study and wave.

``<reports>/<study>/.<wave>.lock`` is created with ``O_CREAT | O_EXCL`` (atomic on local
file systems) and holds the pid, host, start time and command of the run that holds it.
A second run of the same wave is refused, naming the holder.  A lock left by a run that
was killed (same host, pid no longer running) is stale: it is removed and the new run
goes ahead, with a warning.  A lock from another host is never judged stale (its pid
means nothing here): it is refused with the advice to delete it once that run is over,
until it is older than :data:`MAX_RUN_HOURS` (no run takes that long), when it is broken with
a warning too.  A lock path that is a symbolic link (dangling or not) is removed, never
followed; one that is a folder is removed when empty and refused otherwise (issue 24).
A reports root the machine will not write to (read-only, full, a file, a name too long) is
refused here, before anything is read or fitted, in one line naming the path.

The lock is held from before the report folder is checked until the outputs are moved
into place (or the run fails); leaving the ``with`` block removes it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import socket
import stat
import sys
from pathlib import Path

from ..core.errors import OutputError
from .fileio import file_error
from ..core.provenance import utc_now
from .outputs import pid_alive

__all__ = ["WaveLock", "lock_path", "read_lock", "MAX_RUN_HOURS"]

logger = logging.getLogger(__name__)

#: No run or re-render of one wave takes this long: a lock older than this is stale wherever it came from.
MAX_RUN_HOURS = 24


def lock_path(target: Path) -> Path:
    """``<reports>/<study>/.<wave>.lock`` beside the wave's report folder."""
    target = Path(target)
    return target.parent / f".{target.name}.lock"


def read_lock(path: Path) -> dict | None:
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        return {}  # a link or a folder is never read (WaveLock removes or refuses it)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return doc if isinstance(doc, dict) else {}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return {}  # unreadable: being written right now, or damaged


class WaveLock:
    """``with WaveLock(target): ...`` holds the lock of the wave whose report folder is ``target``.

    Raises
    ------
    OutputError
        Another run of the wave holds the lock (its pid, host and start time named).
    """

    def __init__(self, target, *, what: str = "this wave"):
        self.target = Path(target)
        self.path = lock_path(self.target)
        self.what = what
        self._held = False

    def __enter__(self) -> "WaveLock":
        # folders made only for the lock are removed again if the run leaves them empty
        try:
            self._made = [p for p in (self.path.parent, *self.path.parent.parents) if not p.exists()]
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._machine(exc, self.path.parent) from None
        for _attempt in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
            except FileExistsError:
                if self._clear_wrong_kind() or self._clear_if_stale():
                    continue
                raise self._refusal() from None
            except OSError as exc:
                self._remove_made()
                raise self._machine(exc, self.path) from None
            doc = {"pid": os.getpid(), "host": socket.gethostname(), "started": utc_now(),
                   "command": " ".join(sys.argv)[:500]}
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(json.dumps(doc) + "\n")
            except OSError as exc:  # a full disk: the empty lock is not left behind
                with contextlib.suppress(OSError):
                    self.path.unlink()
                self._remove_made()
                raise self._machine(exc, self.path) from None
            self._held = True
            return self
        raise self._refusal()

    def _machine(self, exc: OSError, path: Path) -> OutputError:
        err = file_error(exc, path, doing="create the lock of " + self.what + " at")
        return OutputError(err.message + " (the reports root must be a folder the workbench may write to: "
                           "check --reports)", file=None)

    def _remove_made(self) -> None:
        for folder in self._made:  # innermost first: a failed run leaves no empty folders
            try:
                folder.rmdir()
            except OSError:
                break

    def _clear_wrong_kind(self) -> bool:
        """A lock path that is a symbolic link is removed (never followed), an empty folder
        likewise; a folder with contents is refused. True when something was removed."""
        p = self.path
        if p.is_symlink():
            p.unlink(missing_ok=True)
            logger.warning("removed %s: a wave lock is a file the workbench writes, never a symbolic link", p)
            return True
        if p.is_dir():
            try:
                p.rmdir()
            except OSError:
                raise OutputError(f"the wave lock {p} is a folder with contents, not a lock file; move it away and "
                                  "run again", file=p) from None
            logger.warning("removed %s: an empty folder where the wave lock goes", p)
            return True
        if p.exists() and not stat.S_ISREG(p.stat().st_mode):
            raise OutputError(f"the wave lock {p} is not a regular file; remove it and run again", file=p)
        return False

    def __exit__(self, *exc) -> bool:
        if self._held:
            doc = read_lock(self.path)
            if doc is not None and doc.get("pid") == os.getpid():
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            self._held = False
            self._remove_made()
        return False

    def _clear_if_stale(self) -> bool:
        doc = read_lock(self.path)
        if doc is None:
            return True  # removed meanwhile: try again
        if not doc:  # unreadable: judge by age (a writer needs milliseconds)
            try:
                age = _dt.datetime.now().timestamp() - self.path.stat().st_mtime
            except FileNotFoundError:
                return True
            if age < 10:
                return False
        elif self._older_than_any_run():
            logger.warning("removed a stale lock %s: run pid %s on %s started %s, more than %d hours ago (no run "
                           "takes that long)", self.path, doc.get("pid", "?"), doc.get("host", "?"),
                           doc.get("started", "?"), MAX_RUN_HOURS)
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return True
        else:
            if doc.get("host") != socket.gethostname():
                return False
            pid = doc.get("pid")
            if isinstance(pid, int) and not isinstance(pid, bool) and pid_alive(pid) and pid != os.getpid():
                return False
        logger.warning("removed a stale lock %s (run pid %s started %s is gone)", self.path,
                       (doc or {}).get("pid", "?"), (doc or {}).get("started", "?"))
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        return True

    def _older_than_any_run(self) -> bool:
        try:
            age = _dt.datetime.now().timestamp() - self.path.stat().st_mtime
        except OSError:
            return False
        return age > MAX_RUN_HOURS * 3600

    def _refusal(self) -> OutputError:
        doc = read_lock(self.path) or {}
        who = (f"pid {doc.get('pid', '?')} on {doc.get('host', '?')}, running since {doc.get('started', '?')}"
               if doc else "a run that is just starting")
        return OutputError(
            f"another run of {self.what} is in progress ({who}); wait for it to finish. If it was stopped and "
            f"the lock remains, delete {self.path}",
            file=self.path,
        )
