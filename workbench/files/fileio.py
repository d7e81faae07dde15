"""Files written whole, and faults of the machine told as one line (issues 23 and 24).

One atomic writer for every file the workbench writes outside a report folder's swap
(model.json, personas.yaml, ``classify -o``, ``export-sql -o``, a re-rendered deck, the
manifest's re-render record): :func:`atomic_write_bytes` writes a temporary file created
with ``O_EXCL`` beside the target (never through a symlink left there), flushes it to disk
and moves it into place with :func:`os.replace`; on any failure the temporary file is
removed and the target is untouched.  A target that is a symbolic link or a folder is
refused: the workbench never writes through a link it did not make.

:func:`file_error` turns an :class:`OSError` that is the machine's, not the data's (a
read-only file system, a full disk, a path through a file, a name too long, no permission)
into an :class:`~workbench.core.errors.OutputError` naming the path and what to do.  The CLI
uses it as its last line of defence, so no such fault ends as an internal error.

"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from ..core.errors import OutputError

__all__ = ["atomic_write_bytes", "atomic_write_text", "file_error", "is_machine_fault",
           "refuse_link_or_folder"]

#: errno values that describe the machine or the place, never a bug in the workbench.
_ADVICE = {
    errno.EROFS: "the file system is read-only: choose a writable folder (e.g. --reports in your home folder)",
    errno.ENOSPC: "the disk is full: free some space or choose another folder, then run again",
    errno.EDQUOT: "your disk quota is used up: free some space or choose another folder, then run again",
    errno.EFBIG: "the file is larger than this file system allows: choose another folder",
    errno.ENOTDIR: "a part of this path is a file, not a folder: give a folder path",
    errno.EISDIR: "this path is a folder where a file is expected: give a file name",
    errno.ENAMETOOLONG: "the path or one of its names is too long for this file system: choose a shorter path",
    errno.EACCES: "permission denied: choose a folder you may write to, or ask for write access",
    errno.EPERM: "the operation is not permitted here (an immutable file or a protected folder): choose "
                 "another folder",
    errno.ELOOP: "the path runs through a loop of symbolic links: give a real folder",
    errno.EEXIST: "something already stands at this path: move it away and run again",
    errno.EMLINK: "the folder holds too many entries: choose another folder",
    errno.ENXIO: "this path is a device, not a file: give a file or folder path",
    errno.EXDEV: "the temporary file and the target lie on different file systems: write the target elsewhere",
    errno.EBUSY: "the path is in use (a mount point?): choose another folder",
    errno.ETXTBSY: "the file is in use: close the program using it and run again",
}


def is_machine_fault(exc: BaseException) -> bool:
    """Whether ``exc`` is an :class:`OSError` about the machine or a path (see :data:`_ADVICE`)."""
    return isinstance(exc, OSError) and exc.errno in _ADVICE


def file_error(exc: OSError, path=None, *, doing: str = "write", name_given: bool = False) -> OutputError:
    """One line for a file-system fault: what could not be done, where, why, and what to do.

    ``path`` names the place when the error does not (a full disk reports no file name), or
    always with ``name_given`` (the error names a temporary file the user never sees).
    """
    where = path if (name_given and path is not None) or exc.filename is None else exc.filename
    shown = str(where) if where is not None else "the output"
    if len(shown) > 160:
        shown = shown[:80] + "..." + shown[-60:]
    advice = _ADVICE.get(exc.errno, "check the path and the free space, then run again")
    why = exc.strerror or type(exc).__name__
    return OutputError(f"cannot {doing} {shown}: {why}; {advice}", file=None)


def refuse_link_or_folder(path, what: str = "the output") -> Path:
    """``path`` when it is absent or a plain file; an :class:`OutputError` when it is a symbolic
    link (dangling or not) or a folder or another kind of file — never written through."""
    path = Path(path)
    if path.is_symlink():
        raise OutputError(f"{what} {path} is a symbolic link; the workbench never writes through a link: "
                          "remove it (or give another path) and run again", file=path)
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise OutputError(f"{what} {path} is {kind}; give a file path (or move it away) and run again", file=path)
    return path


def atomic_write_bytes(path, data: bytes, *, what: str = "the output") -> Path:
    """Write ``data`` to ``path`` whole or not at all (see the module notes); returns ``path``.

    Raises
    ------
    OutputError
        ``path`` is a symbolic link or a folder, or the machine refused (read-only, full, ...):
        the temporary file is removed and ``path`` left as it was.
    """
    path = Path(path)
    refuse_link_or_folder(path, what)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.", suffix=".tmp")
    except OSError as exc:
        raise file_error(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            with contextlib.suppress(OSError):
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if is_machine_fault(exc):
            raise file_error(exc, path) from None
        raise
    return path


def atomic_write_text(path, text: str, *, encoding: str = "utf-8", what: str = "the output") -> Path:
    """:func:`atomic_write_bytes` of ``text`` encoded (no newline translation)."""
    return atomic_write_bytes(path, text.encode(encoding), what=what)
