"""Bounded input: what a file must be before the workbench parses it.

Every input file is checked here first, so a hostile or broken file ends as one named
error instead of exhausting memory or running for minutes:

- it is a regular file (a folder, a FIFO, ``/dev/zero`` or another device is refused,
  since reading one never ends or cannot succeed);
- it is no larger than the limit of its kind (:data:`LIMITS`);
- a text file's header row has no more columns, and no line is longer, than the limit.

The limits (also in the README, "Limits and safety"):

=================  ==========  ===========  ==================
file               bytes       columns      characters a line
=================  ==========  ===========  ==================
survey responses   500 MB      5,000        1,000,000
transactions       20 GB       200          100,000
customer master    2 GB        500          100,000
answers (classify) 500 MB      5,000        1,000,000
model.json         50 MB       -            -
study/personas     5 MB        -            -
=================  ==========  ===========  ==================

A study that truly needs more can raise a limit for one kind by editing :data:`LIMITS`
(``workbench.files.limits.LIMITS["responses"] = Limit(...)``) in a notebook; the CLI keeps them.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import DataError

__all__ = ["Limit", "LIMITS", "check_file", "check_text_shape", "check_input", "encoding_hint", "MAX_K",
           "MAX_MODEL_ITEMS", "MAX_MODEL_VALUES"]


@dataclass(frozen=True)
class Limit:
    """Largest file (bytes), header columns and line (characters) accepted for one kind of input."""

    max_bytes: int
    max_columns: int | None = None
    max_line: int | None = None


LIMITS: dict[str, Limit] = {
    "responses": Limit(500_000_000, 5_000, 1_000_000),
    "transactions": Limit(20_000_000_000, 200, 100_000),
    "customer master": Limit(2_000_000_000, 500, 100_000),
    "answers": Limit(500_000_000, 5_000, 1_000_000),
    "model": Limit(50_000_000),
    "yaml": Limit(5_000_000),
}

#: Most segments a model file may hold.
MAX_K = 30
#: Most basis items (and features) a model file may hold.
MAX_MODEL_ITEMS = 2_000
#: Most numbers in any one array of a model file.
MAX_MODEL_VALUES = 1_000_000

#: How many bytes of a text file are read to check its shape (the header row, long lines).
_SHAPE_SAMPLE = 4_000_000


def _mb(n: int) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e9 else f"{n / 1e6:,.1f} MB"


def check_file(path, *, max_bytes: int, what: str = "file", error=DataError) -> Path:
    """Refuse anything but an existing regular file of at most ``max_bytes``.

    Raises
    ------
    DataError (or ``error``)
        Not found, a folder, a FIFO / device / socket, or too large.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(f"the {what} is not there", file=path) from None
    except OSError as exc:
        raise error(f"the {what} cannot be opened: {exc.strerror}", file=path) from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"the {what} is a folder, not a file; name the file inside it", file=path)
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise error(f"the {what} is {kind}, not a regular file; save the data to a file and name that", file=path)
    if st.st_size > max_bytes:
        raise error(f"the {what} is {_mb(st.st_size)}, above the limit of {_mb(max_bytes)} for this kind of "
                    "file (see 'Limits and safety' in the README)", file=path)
    if not os.access(path, os.R_OK):
        raise error(f"the {what} cannot be read (permission denied)", file=path)
    return path


def encoding_hint(raw: bytes) -> str:
    """A hint naming UTF-16 / UTF-32 when the bytes look like it (else '')."""
    head = raw[:4096]
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "; it looks like UTF-32: save it as 'CSV UTF-8', or declare encoding: utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ("; it is UTF-16 (Excel's 'Unicode text' writes it): save it as 'CSV UTF-8', or declare "
                "encoding: utf-16 on the wave")
    if len(head) >= 16 and head.count(b"\x00") > len(head) // 4:
        return ("; it holds many zero bytes, as UTF-16 files do: save it as 'CSV UTF-8', or declare "
                "encoding: utf-16 on the wave")
    return ""


def check_text_shape(path, raw: bytes | None, *, limit: Limit, what: str = "file", delimiter: str | None = None,
                     error=DataError) -> None:
    """Check the longest line and the header row's columns in (a sample of) a text file.

    Counting is on bytes of the first :data:`_SHAPE_SAMPLE` bytes, so it costs nothing on a
    file of any size; a sample without a newline is a line longer than the sample.
    """
    path = Path(path)
    if raw is None:
        with open(path, "rb") as fh:
            raw = fh.read(_SHAPE_SAMPLE + 1)
    sample = raw[:_SHAPE_SAMPLE]
    if limit.max_line is not None:
        start, line_no = 0, 1
        while start < len(sample):
            end = sample.find(b"\n", start)
            stop = len(sample) if end < 0 else end
            if stop - start > limit.max_line:
                raise error(f"line {line_no} is longer than {limit.max_line:,} characters (the limit for a {what}); "
                            "is this really a table with one row per line?", file=path, row=line_no)
            if end < 0:
                break
            start, line_no = end + 1, line_no + 1
    if limit.max_columns is not None:
        end = sample.find(b"\n")
        first = sample if end < 0 else sample[:end]
        delims = [delimiter.encode()] if delimiter else [b",", b";", b"\t", b"|"]
        n = 1 + max(first.count(d) for d in delims)
        if n > limit.max_columns:
            raise error(f"the header row has {n:,} columns, above the limit of {limit.max_columns:,} for a {what}; "
                        "check the delimiter, or remove the columns the study does not use", file=path, row=1)


def check_input(path, kind: str, *, what: str | None = None, text: bool = True, delimiter: str | None = None,
                error=DataError) -> Path:
    """:func:`check_file` and, for text files, :func:`check_text_shape`, with the limits of ``kind``."""
    limit = LIMITS[kind]
    what = what or f"{kind} file"
    path = check_file(path, max_bytes=limit.max_bytes, what=what, error=error)
    if text:
        check_text_shape(path, None, limit=limit, what=what, delimiter=delimiter, error=error)
    return path
