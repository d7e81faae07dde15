"""The basis questions as a model file remembers them, and what changed since.

A model file keeps, for every basis column, its label, block, scale and answer codes
(:func:`codebook`). Loading the model against the current study compares that with the
study's definition (:func:`codebook_changes`): a question dropped, a code added, removed
or relabelled, a label or scale changed would silently misclassify respondents, so each
change is listed and the model refused — unless the study declares that only the wording
changed (``segmentation.reworded``: same codes, same meaning), which keeps tracking.
"""

from __future__ import annotations

from ..core.errors import StudyError

__all__ = ["codebook", "codebook_changes", "normalise_codebook"]


def codebook(study, columns) -> dict:
    """The study's definition of ``columns``, as plain data.

    Parameters
    ----------
    study : Study
    columns : iterable of str
        Survey column ids (e.g. a model's basis items).

    Returns
    -------
    dict
        ``{column: {"label", "block", "scale", "type", "codes": {code: label},
        "missing": {code: label}}}``; codes as in the study (whole numbers).

    Raises
    ------
    StudyError
        A column the study does not declare (named, with the study file).
    """
    out = {}
    unknown = [c for c in columns if c not in study.columns]
    if unknown:
        raise StudyError(f"the study does not declare the column(s) {', '.join(unknown)}", file=study.path)
    for c in columns:
        col = study.columns[c]
        out[str(c)] = {
            "label": str(col.label),
            "block": str(col.block),
            "scale": str(col.scale.name),
            "type": str(col.scale.type),
            "codes": {_code(k): str(v) for k, v in col.scale.codes.items()},
            "missing": {_code(k): str(v) for k, v in col.scale.missing.items()},
        }
    return out


def _code(key):
    """A code as stored: whole numbers as int (JSON keys come back as text)."""
    if isinstance(key, bool):
        return int(key)
    if isinstance(key, int):
        return key
    if isinstance(key, float) and key.is_integer():
        return int(key)
    text = str(key).strip()
    try:
        return int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            return text
        return int(f) if f.is_integer() else text


def normalise_codebook(book: dict) -> dict:
    """``book`` with every code key as :func:`codebook` writes it (int where whole)."""
    out = {}
    for col, entry in (book or {}).items():
        e = dict(entry)
        for part in ("codes", "missing"):
            e[part] = {_code(k): str(v) for k, v in (entry.get(part) or {}).items()}
        out[str(col)] = e
    return out


def _fmt_codes(codes: dict) -> str:
    return ", ".join(f"{k} '{v}'" for k, v in codes.items())


def codebook_changes(stored: dict, current: dict, *, reworded=()) -> list[str]:
    """Every difference between a model's codebook and the study's, in plain words.

    Parameters
    ----------
    stored : dict
        The codebook saved with the model.
    current : dict
        :func:`codebook` of the current study for the same columns (columns the study no
        longer declares are simply absent).
    reworded : collection of str
        Columns whose wording the study declares changed without their meaning
        (``segmentation.reworded``): a new label, new answer labels on the same codes, or
        a renamed scale of the same type are not changes for them. Codes added or removed,
        another scale type or block, or a dropped column still are.

    Returns
    -------
    list of str
        E.g. ``"column N_3 missing from the study"``, ``"N_5: codes changed: added 6
        'Weet niet', removed 5"``, ``"N_2: label changed from 'A' to 'B'"``; empty when
        nothing that matters for classification changed.
    """
    stored, current = normalise_codebook(stored), normalise_codebook(current)
    out = []
    for col, old in stored.items():
        new = current.get(col)
        if new is None:
            out.append(f"column {col} missing from the study")
            continue
        words = col in reworded
        if old.get("label") != new.get("label") and not words:
            out.append(f"{col}: label changed from {old.get('label')!r} to {new.get('label')!r}")
        if old.get("block") != new.get("block"):
            out.append(f"{col}: block changed from {old.get('block')!r} to {new.get('block')!r}")
        if old.get("type") != new.get("type") or (old.get("scale") != new.get("scale") and not words):
            out.append(f"{col}: scale changed from {old.get('scale')!r} ({old.get('type')}) to "
                       f"{new.get('scale')!r} ({new.get('type')})")
        for part, what in (("codes", "codes"), ("missing", "missing codes")):
            a, b = old.get(part, {}), new.get(part, {})
            if a == b:
                continue
            bits = []
            added = {k: v for k, v in b.items() if k not in a}
            removed = [k for k in a if k not in b]
            relabelled = [f"{k} '{a[k]}' now '{b[k]}'" for k in a if k in b and a[k] != b[k]]
            if words and not added and not removed:
                continue  # same codes, new wording: declared as such
            if added:
                bits.append(f"added {_fmt_codes(added)}")
            if removed:
                bits.append(f"removed {', '.join(map(str, removed))}")
            if relabelled:
                bits.append(f"relabelled {', '.join(relabelled)}")
            out.append(f"{col}: {what} changed: {'; '.join(bits)}")
    return out
