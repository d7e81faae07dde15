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
