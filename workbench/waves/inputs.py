"""Input checks shared by the golden questions and the base model: answers as numbers,
sample weights aligned to the respondents, a seed from ``random_state``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.errors import DataError
from ..core.provenance import seed_int

__all__ = ["numeric_frame", "random_seed", "sample_weights", "not_better_than_guessing", "MIN_GAIN",
           "summary_frame"]

#: The least gain (accuracy points over always guessing the largest segment) for which a
#: typing tool is recommended and the whole-base model places customers.
MIN_GAIN = 0.05


def not_better_than_guessing(accuracy: float, baseline: float, sd: float, folds: int) -> str | None:
    """Why a cross-validated classifier does not beat guessing the largest segment by a
    clear margin, or None when it does.

    The rule (documented in surveys/README.md): the cross-validated accuracy must exceed
    the baseline (the largest segment's share) by at least :data:`MIN_GAIN` (5 points)
    **and** by at least twice the standard error of the cross-validated accuracy
    (``sd / sqrt(folds)``, sd over the folds).
    """
    gain = float(accuracy) - float(baseline)
    se = float(sd) / (max(int(folds), 1) ** 0.5) if sd == sd else 0.0  # NaN sd: no margin from it
    need = max(MIN_GAIN, 2 * se)
    if gain >= need:
        return None
    return (f"cross-validated accuracy {accuracy:.1%} does not beat guessing the largest segment ({baseline:.1%}) "
            f"by the required {100 * need:.1f} points (at least {100 * MIN_GAIN:.0f} points and twice the "
            f"standard error over {folds} folds)")


def summary_frame(model, head: list, middle: list, settings: list = ()) -> pd.DataFrame:
    """The headline table of a cross-validated classifier (the whole-base model, the typing tool).

    ``head`` rows come first, then the accuracy against the baseline and whether the model is
    used (:func:`not_better_than_guessing`'s verdict, kept in ``model.refused``), then
    ``middle``, the fit settings (``settings`` after ``C``) and ``model.provenance``.
    """
    rows = list(head) + [
        ("cross-validated accuracy", round(model.accuracy, 4)),
        ("accuracy sd over folds", round(model.accuracy_sd, 4)),
        ("largest segment (baseline)", round(model.baseline_accuracy, 4)),
    ]
    rows += list(middle) + [("folds", model.cv), ("weighted", model.weighted)]
    rows += [("C (inverse penalty)", model.C)] + list(settings)
    rows += [("random_state", model.random_state), ("created", model.created)]
    rows += [(str(k), v) for k, v in model.provenance.items()]
    return pd.DataFrame(rows, columns=["measure", "value"]).set_index("measure")


def random_seed(random_state):
    """An int seed (or None, the estimator's own default) from an int, a numpy Generator or None
    (:func:`workbench.core.provenance.seed_int`, the one seed normaliser)."""
    return seed_int(random_state, none="keep")


def numeric_frame(frame: pd.DataFrame, columns, what: str) -> pd.DataFrame:
    """``frame[columns]`` as floats; a DataError naming the first non-numeric cell."""
    out = {}
    for c in columns:
        s = frame[c]
        if isinstance(s, pd.DataFrame):
            raise DataError(f"{what} has the column '{c}' more than once", column=str(c))
        if pd.api.types.is_bool_dtype(s):
            out[c] = s.astype(float)
            continue
        if pd.api.types.is_numeric_dtype(s):
            out[c] = s.astype("Float64").astype(float) if not pd.api.types.is_float_dtype(s) else s.astype(float)
            continue
        num = pd.to_numeric(s.replace("", np.nan) if s.dtype == object else s, errors="coerce")
        bad = num.isna() & s.notna() & (s.astype(str).str.strip() != "")
        if bad.any():
            idx = bad.idxmax()
            raise DataError(
                f"{what}: the answer {s[idx]!r} of respondent {idx!r} is not a number; golden questions are "
                "scored from answer codes (numbers) - recode the column or drop it from the candidates",
                column=str(c),
            )
        out[c] = num.astype(float)
    return pd.DataFrame(out, index=frame.index)


def sample_weights(sample_weight, index: pd.Index, full_index: pd.Index) -> np.ndarray:
    """Weights of the respondents ``index`` (a Series by id, or an array over ``full_index``), mean 1."""
    if sample_weight is None:
        return np.ones(len(index))
    if isinstance(sample_weight, pd.Series):
        w = sample_weight.reindex(index)
        if w.isna().any():
            raise DataError(f"sample_weight has no weight for respondent {w.index[w.isna()][0]!r}")
        w = w.to_numpy(dtype=float)
    else:
        arr = np.asarray(sample_weight, dtype=float)
        if arr.shape != (len(full_index),):
            raise DataError(f"sample_weight has {arr.size} values for {len(full_index)} respondents")
        w = pd.Series(arr, index=full_index).reindex(index).to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise DataError("sample_weight must be finite, non-negative and not all zero")
    return w / w.mean()

