"""Plain data for JSON files: numpy numbers to Python, arrays to lists, NaN and inf to None.

One converter for every file the workbench writes as JSON (``model.json``, the typing tool,
the base model, the deck's ``deck_data.json``) and for cells written from numpy values; dates
as ISO text.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re

import numpy as np
import pandas as pd

__all__ = ["plain", "check_format", "bounded_loads", "json_depth", "MAX_JSON_DEPTH", "rebuild"]


def plain(obj):
    """``obj`` as JSON-ready plain data (arrays to lists, NaN / inf to None, keys to str)."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if obj is None or isinstance(obj, str):
        return obj
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, (_dt.date, _dt.datetime, pd.Timestamp)):
        return obj.isoformat()
    return str(obj)


def check_format(doc, fmt: str, newest: int, *, what: str, file=None, key: str = "version", exact: bool = False,
                 error=None, advice: str = "update the workbench to read it"):
    """The one format / version check of every JSON file the workbench reads back (model.json,
    its typing tool and whole-base model, deck_data.json, deck_trends.json).

    ``doc`` must be a mapping whose ``"format"`` is ``fmt`` and whose ``key`` (``"version"`` or
    ``"format_version"``) is a whole number from 1 to ``newest`` (exactly ``newest`` with
    ``exact``).  Returns the version; raises ``error`` (default
    :class:`~workbench.core.errors.DataError`) naming ``what`` and ``file`` otherwise.
    """
    from ..core.errors import DataError

    error = error or DataError
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise error(f"this is not {what} (format {got!r}, expected {fmt!r})", file=file)
    version = doc.get(key)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise error(f"{what} has no valid {key} ({version!r}; a whole number is expected): write it again with the "
                    "workbench", file=file)
    if version > newest or (exact and version != newest):
        age = "newer" if version > newest else "older"
        raise error(f"{what} has {key.replace('_', ' ')} {version}, {age} than this workbench reads ({newest}); "
                    f"{advice}", file=file)
    return version


#: Deepest nesting of arrays and objects a JSON file of the workbench may have (model.json needs 6).
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_JSON_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """How deeply ``text``'s arrays and objects nest (brackets inside strings ignored), counted
    without recursion, so a file of 200,000 nested arrays is measured, not parsed."""
    brackets = _JSON_NOT_BRACKET.sub("", _JSON_STRING.sub('""', text))
    depth = deepest = 0
    for ch in brackets:
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        else:
            depth -= 1
    return deepest


def bounded_loads(text: str, *, file=None, what: str = "the file", error=None, **kwargs):
    """``json.loads(text)`` after refusing nesting deeper than :data:`MAX_JSON_DEPTH` (the parser
    would hit Python's recursion limit); invalid JSON raises ``error`` (default DataError) naming
    the line."""
    from ..core.errors import DataError

    error = error or DataError
    if json_depth(text) > MAX_JSON_DEPTH:
        raise error(f"{what} nests arrays or objects more than {MAX_JSON_DEPTH} levels deep, which no file the "
                    "workbench writes does; write it again with the workbench", file=file)
    try:
        return json.loads(text, **kwargs)
    except json.JSONDecodeError as exc:
        raise error(f"{what} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); it may be "
                    "truncated or edited by hand: write it again with the workbench", file=file) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise error(f"{what} nests too deeply to read", file=file) from None


def rebuild(build, doc, what: str):
    """``build(doc)``, any malformed entry of a saved scorer (a text where numbers are, a list one
    short, null where a list is) a :class:`~workbench.core.errors.DataError` naming ``what`` (issue 24)."""
    from ..core.errors import DataError

    try:
        return build(doc)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        detail = f"missing entry {exc}" if isinstance(exc, KeyError) else (str(exc).splitlines() or [""])[0][:200]
        raise DataError(f"{what} is incomplete or malformed ({detail}); write the model again with `workbench run`") \
            from None
