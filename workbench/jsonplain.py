"""Plain data for JSON files: numpy numbers to Python, arrays to lists, NaN and inf to None.

One converter for every file the workbench writes as JSON (``model.json``, the typing tool,
the base model, the deck's ``deck_data.json``) and for cells written from numpy values; dates
as ISO text.
"""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np
import pandas as pd

__all__ = ["plain"]


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
    :class:`~workbench.errors.DataError`) naming ``what`` and ``file`` otherwise.
    """
    from .errors import DataError

    error = error or DataError
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise error(f"this is not {what} (format {got!r}, expected {fmt!r})", file=file)
    version = doc.get(key)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise error(f"{what} has no valid {key} ({version!r}; a whole number is expected): write it again with the "
                    "workbench", file=file)
    if version > newest or (exact and version != newest):
        raise error(f"{what} has {key} {version}, this workbench reads {'' if exact else 'up to '}{newest}; {advice}",
                    file=file)
    return version
