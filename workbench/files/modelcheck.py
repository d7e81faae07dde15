"""Models checked on load: a model.json is validated before any number of it is used.

A model file is JSON a person can open and edit, so before a row is classified with it,
:func:`check_model_text` and :func:`check_model` insist on (else a :class:`DataError`
naming the file and the entry):

- no ``NaN`` / ``Infinity`` anywhere (the workbench never writes them);
- ``k`` an integer from 1 to :data:`workbench.files.limits.MAX_K`; at most
  :data:`~workbench.files.limits.MAX_MODEL_ITEMS` basis items and features; no array longer
  than :data:`~workbench.files.limits.MAX_MODEL_VALUES` numbers;
- segment shares: k finite numbers in [0, 1] summing to 1;
- LCA: every feature has answer probabilities, codes × k, in [0, 1], each segment's
  column summing to 1; LPA: means k × features, (co)variances and precisions finite with
  their leading dimension k, variances positive; k-means / Ward: centroids k × features;
- segment names for segments 1..k only; ``uncertain_below`` in [0, 1];
  standardisation with finite means and positive standard deviations;
- the typing tool and whole-base model attached: finite coefficients, one column per
  segment.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..core.errors import DataError
from .jsonplain import bounded_loads
from .limits import MAX_K, MAX_MODEL_ITEMS, MAX_MODEL_VALUES

__all__ = ["check_model_text", "check_model_dict", "check_model", "unusable", "finite", "probabilities"]

_TOL = 1e-4


def _bad(path, what: str) -> DataError:
    return DataError(f"the model file is not usable: {what}; write it again with `workbench run` (do not edit "
                     "model.json by hand)", file=path)


def check_model_text(text: str, path) -> dict:
    """Parse model.json text refusing NaN / Infinity (with the line where one stands)."""

    def refuse(name):
        m = re.search(r"(?<![\w\"])-?(NaN|Infinity)(?![\w\"])", text)
        line = text[: m.start()].count("\n") + 1 if m else None
        raise _bad(path, f"it holds {name}{f' (line {line})' if line else ''}, where a model has only finite numbers")

    return bounded_loads(text, file=path, what="the model file", parse_constant=refuse)


def _longest_list(obj, limit: int, where: str = "") -> None:
    stack = [(obj, where)]
    while stack:
        o, w = stack.pop()
        if isinstance(o, list):
            if len(o) > limit:
                raise DataError(f"the model file is not usable: {w or 'an entry'} holds {len(o):,} values, above the "
                                f"limit of {limit:,}", file=None)
            stack.extend((v, w) for v in o if isinstance(v, (list, dict)))
        elif isinstance(o, dict):
            stack.extend((v, f"{w}.{k}" if w else str(k)) for k, v in o.items() if isinstance(v, (list, dict)))


def check_model_dict(d, path) -> None:
    """Checks on the raw JSON before the model is built: sizes and ``k``."""
    if not isinstance(d, dict) or d.get("format") != "workbench-segment-model":
        return  # from_dict names it as not a workbench model (or of a newer format)
    try:
        _longest_list(d, MAX_MODEL_VALUES)
    except DataError as exc:
        raise DataError(exc.message, file=path) from None
    k = d.get("k")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise _bad(path, f"k = {k!r}; the number of segments must be a whole number from 1 to {MAX_K}")
    for key in ("basis_items", "features"):
        v = d.get(key)
        if isinstance(v, list) and len(v) > MAX_MODEL_ITEMS:
            raise _bad(path, f"{key} lists {len(v):,} entries, above the limit of {MAX_MODEL_ITEMS:,}")
        if isinstance(v, list) and not all(isinstance(x, str) for x in v):
            raise _bad(path, f"{key} must be a list of column names")
    shares = d.get("shares")
    if not isinstance(shares, list) or len(shares) != k:
        raise _bad(path, f"shares has {len(shares) if isinstance(shares, list) else 'no'} value(s) for k = {k} segments")


def _finite(a, path, what: str) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        raise _bad(path, f"{what} is not a table of numbers") from None
    if arr.size > MAX_MODEL_VALUES:
        raise _bad(path, f"{what} holds {arr.size:,} numbers, above the limit of {MAX_MODEL_VALUES:,}")
    if not np.isfinite(arr).all():
        raise _bad(path, f"{what} holds a number that is not finite")
    return arr


def _probabilities(arr: np.ndarray, path, what: str, axis: int) -> None:
    if (arr < -_TOL).any() or (arr > 1 + _TOL).any():
        raise _bad(path, f"{what} holds a probability outside [0, 1]")
    sums = arr.sum(axis=axis)
    if not np.allclose(sums, 1.0, atol=_TOL * max(1, arr.shape[axis] if arr.ndim else 1)):
        raise _bad(path, f"{what} does not sum to 1 (sums {np.round(np.atleast_1d(sums)[:4], 4).tolist()})")


#: For the segmentation methods' own checks of their parameters (``SegmentationMethod.check``).
unusable, finite, probabilities = _bad, _finite, _probabilities


def check_model(model, path) -> None:
    """Checks on the built :class:`~workbench.waves.SegmentModel` (see the module notes)."""
    k, feats = model.k, list(model.features)
    shares = _finite(model.shares, path, "shares")
    if shares.shape != (k,):
        raise _bad(path, f"shares has shape {shares.shape}, not ({k},)")
    _probabilities(shares, path, "shares", axis=0)
    # the method's own parameters: SegmentationMethod.check (workbench.segments.methods) with the helpers below
    model.method_object.check(model.parameters, k, feats, path)
    bad_names = [c for c in model.names if not 1 <= int(c) <= k]
    if bad_names:
        raise _bad(path, f"names for segment(s) {bad_names[:5]} of a {k}-segment model")
    u = model.uncertain_below
    if not (isinstance(u, float) and math.isfinite(u) and 0 <= u <= 1):
        raise _bad(path, f"uncertain_below = {u!r}, not a probability")
    for c, (m, s) in model.standardisation.items():
        if not (math.isfinite(m) and math.isfinite(s) and s > 0):
            raise _bad(path, f"the standardisation of {c} (mean {m}, sd {s}) is not usable")
    for name in ("typing_tool", "base_model"):
        att = model.attachments.get(name)
        if isinstance(att, dict):
            _check_scorer(att, path, name, k)


def _check_scorer(att: dict, path, name: str, k: int) -> None:
    """A typing tool / whole-base model: finite numbers throughout, at most k segments."""
    stack = [(att, name)]
    while stack:
        o, w = stack.pop()
        if isinstance(o, dict):
            stack.extend((v, f"{w}.{key}") for key, v in o.items())
        elif isinstance(o, list):
            stack.extend((v, w) for v in o)
        elif isinstance(o, float) and not math.isfinite(o):
            raise _bad(path, f"{w} holds a number that is not finite")
    segs = att.get("segments")
    if isinstance(segs, list) and len(segs) > k:
        raise _bad(path, f"the {name.replace('_', ' ')} scores {len(segs)} segments, the model has {k}")
