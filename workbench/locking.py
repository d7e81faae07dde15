"""One run per wave at a time: a lock file per study and wave.

``<reports>/<study>/.<wave>.lock`` is created with ``O_CREAT | O_EXCL`` (atomic on local
file systems) and holds the pid, host, start time and command of the run that holds it.
A second run of the same wave is refused, naming the holder.  A lock left by a run that
was killed (same host, pid no longer running) is stale: it is removed and the new run
goes ahead, with a warning.  A lock from another host is never judged stale (its pid
means nothing here): it is refused with the advice to delete it once that run is over.

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
import sys
from pathlib import Path

from .errors import OutputError
from .outputs import pid_alive

__all__ = ["WaveLock", "lock_path", "read_lock"]

logger = logging.getLogger(__name__)


def lock_path(target: Path) -> Path:
    """``<reports>/<study>/.<wave>.lock`` beside the wave's report folder."""
    target = Path(target)
    return target.parent / f".{target.name}.lock"


def read_lock(path: Path) -> dict | None:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        return doc if isinstance(doc, dict) else {}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError):
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
        self._made = [p for p in (self.path.parent, *self.path.parent.parents) if not p.exists()]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                if self._clear_if_stale():
                    continue
                raise self._refusal() from None
            doc = {"pid": os.getpid(), "host": socket.gethostname(),
                   "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                   "command": " ".join(sys.argv)[:500]}
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(doc) + "\n")
            self._held = True
            return self
        raise self._refusal()

    def __exit__(self, *exc) -> bool:
        if self._held:
            doc = read_lock(self.path)
            if doc is not None and doc.get("pid") == os.getpid():
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            self._held = False
            for folder in self._made:  # innermost first: a failed run leaves no empty folders
                try:
                    folder.rmdir()
                except OSError:
                    break
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
        else:
            if doc.get("host") != socket.gethostname():
                return False
            pid = doc.get("pid")
            if isinstance(pid, int) and pid_alive(pid) and pid != os.getpid():
                return False
        logger.warning("removed a stale lock %s (run pid %s started %s is gone)", self.path,
                       (doc or {}).get("pid", "?"), (doc or {}).get("started", "?"))
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        return True

    def _refusal(self) -> OutputError:
        doc = read_lock(self.path) or {}
        who = (f"pid {doc.get('pid', '?')} on {doc.get('host', '?')}, running since {doc.get('started', '?')}"
               if doc else "a run that is just starting")
        return OutputError(
            f"another run of {self.what} is in progress ({who}); wait for it to finish. If it was stopped and "
            f"the lock remains, delete {self.path}",
            file=self.path,
        )
