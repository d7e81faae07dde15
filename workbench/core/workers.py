"""Parallel workers that do not outlive their parent.

The segment fits run their starts in joblib's loky worker processes.  When the parent is
killed (kill -9, an out-of-memory kill, a closed terminal) loky's workers notice only
when they next talk to it, which can take minutes, holding memory and files in
``/dev/shm``.  :func:`bounded_workers` configures joblib so that every worker starts a
watchdog thread: it checks twice a second whether the process that started it is still
its parent, and ends the worker at once when it is not.

The CLI wraps every command in it; a notebook may too::

    with bounded_workers():
        candidates(..., n_jobs=-1)
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

__all__ = ["bounded_workers", "watch_parent"]

#: Seconds between the watchdog's checks.
POLL_SECONDS = 0.5


def watch_parent(parent_pid: int, poll: float = POLL_SECONDS) -> None:
    """Worker initializer: end this process as soon as ``parent_pid`` is no longer its parent."""

    def watch():
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)  # the parent is gone: nothing will read our results
            time.sleep(poll)

    threading.Thread(target=watch, name="workbench-parent-watch", daemon=True).start()


@contextlib.contextmanager
def bounded_workers():
    """joblib's loky backend with the :func:`watch_parent` initializer, for the ``with`` block."""
    from joblib import parallel_config

    with parallel_config(backend="loky", initializer=watch_parent, initargs=(os.getpid(),)):
        yield
