"""``workbench classify``: a CSV of answers (or customer features) scored with a model file."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import DataError
from ..data.readers import ReadOptions, cell_text, read_table
from .base import BaseModel
from .golden import TypingTool
from .model import load_model

__all__ = ["classify_file", "read_answers", "SCORERS"]

logger = logging.getLogger(__name__)


#: What ``workbench classify`` can score with: the full segmentation (all basis questions,
#: missing answers allowed), the typing tool (the golden questions) or the whole-base model
#: (behaviour and firmographics).
SCORERS = ("auto", "segmentation", "typing", "base")


def read_answers(path, *, id_column: str | None = None, encoding: str = "utf-8", sheet=None) -> pd.DataFrame:
    """A file of answers to classify: one row per respondent, the first column (or
    ``id_column``) the id. Read by the one reader registry a wave's files are read by
    (:data:`workbench.data.readers.READERS`): CSV (delimiter, BOM, ``encoding``), XLSX (``sheet``),
    SPSS ``.sav``, Qualtrics and SurveyMonkey exports, a title block above the header.

    Returns
    -------
    DataFrame
        Cells as text ('' where blank), indexed by the id; ``attrs['rows']`` the row of each
        respondent as the file shows it.

    Raises
    ------
    DataError
        The file is missing, empty, unreadable, has duplicate ids or is not a table.
    """
    path = Path(path)
    opts = ReadOptions(encoding=encoding, sheet=sheet, where="with --encoding")
    table = read_table(path, opts, expect=(id_column,) if id_column else (), kind="answers", what="answers file")
    header = list(table.header)
    dup = sorted({h for h in header if h and header.count(h) > 1})
    if dup:
        raise DataError(f"the header names column '{dup[0]}' twice", file=path, row=table.header_row, column=dup[0])
    cells = table.cells.copy()
    cells.columns = header
    frame = cells.apply(lambda col: col.map(cell_text)) if len(cells.columns) else cells
    frame = frame.loc[:, [h for h in header if h]]
    idc = id_column or frame.columns[0]
    if idc not in frame.columns:
        raise DataError(f"no id column {idc!r}; the file's columns are: {', '.join(frame.columns[:12])}", file=path)
    ids = frame[idc].str.strip()
    dup_ids = ids.duplicated().to_numpy()
    if dup_ids.any():
        pos = int(np.flatnonzero(dup_ids)[0])
        raise DataError(f"id {ids.iloc[pos]!r} appears more than once", file=path, row=int(table.rows[pos]), column=idc)
    frame = frame.drop(columns=[idc])
    frame.index = pd.Index(ids, name=idc)
    frame.attrs["rows"] = [int(r) for r in table.rows]
    return frame


def _numeric(frame: pd.DataFrame, columns, path) -> pd.DataFrame:
    out = {}
    rows = frame.attrs.get("rows")
    for c in columns:
        s = frame[c].str.strip().str.replace(",", ".", regex=False)
        num = pd.to_numeric(s.where(s != "", None), errors="coerce")
        bad = (num.isna() | ~np.isfinite(num.fillna(0))) & s.ne("") & s.notna()  # inf / nan are not answers
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            row = rows[pos] if rows else pos + 2
            raise DataError(f"{frame[c].iloc[pos]!r} is not a number", file=path, row=row, column=c)
        out[c] = num.astype(float)
    return pd.DataFrame(out, index=frame.index)


def classify_file(model_path, answers_path, *, using: str = "auto", id_column: str | None = None,
                  study=None, encoding: str = "utf-8", sheet=None) -> tuple[pd.DataFrame, str]:
    """Classify the respondents (or customers) of a CSV with a saved model file.

    Parameters
    ----------
    model_path : path
        A ``model.json`` written by ``workbench run``.
    answers_path : path
        CSV, XLSX, SPSS or a survey tool's export (:func:`read_answers`), one row per
        respondent; the id first (or ``id_column``).
    encoding, sheet
        A CSV's encoding (e.g. ``cp1252``), a workbook's sheet.
    using : {'auto', 'segmentation', 'typing', 'base'}, default='auto'
        ``auto``: the full segmentation when the file holds basis questions beyond the
        golden ones, else the typing tool when it holds every golden question, else the
        whole-base model when it holds its features.
    study : Study, optional
        When given, the model is checked against it (questions and codes unchanged).

    Returns
    -------
    (DataFrame, str)
        One row per id: segment, name, probability, uncertain (and p_1..p_k); the scorer used.
    """

    if using not in SCORERS:
        raise DataError(f"--using must be one of {', '.join(SCORERS)}, got {using!r}")
    model = load_model(model_path, study=study)
    pii = {str(c) for c in (model.settings.get("pii") or []) if isinstance(c, str)}
    pii |= {str(c) for c in (study.pii if study is not None else ())}
    if id_column is not None and str(id_column) in pii:  # refused before reading: no message quotes its values
        raise DataError(f"the id column '{id_column}' is declared as personal data (pii) in the study; the output "
                        "would carry it: use a pseudonymous id column (--id respondent_id or customer_id)",
                        file=answers_path, column=str(id_column))
    frame = read_answers(answers_path, id_column=id_column, encoding=encoding, sheet=sheet)
    if str(frame.index.name) in pii:  # issue 24: personal data never leaves in the output's id column
        raise DataError(f"the id column '{frame.index.name}' is declared as personal data (pii) in the study; the "
                        "output would carry it: use a pseudonymous id column (--id respondent_id or customer_id)",
                        file=answers_path, column=str(frame.index.name))
    cols = set(frame.columns)
    att = model.attachments
    tool = base = None
    if "typing_tool" in att:
        tool = TypingTool.from_dict(att["typing_tool"])
    if "base_model" in att:
        base = BaseModel.from_dict(att["base_model"])
    basis = [c for c in model.basis_items if c in cols]
    if using == "auto":
        golden = set(tool.questions) if tool is not None else set()
        if basis and (set(basis) - golden or tool is None):
            using = "segmentation"
        elif tool is not None and golden <= cols:
            using = "typing"
        elif base is not None and set(base.features) & cols:
            using = "base"
        elif basis:
            using = "segmentation"
        else:
            raise DataError(
                "the file holds none of the model's questions"
                + (f" (golden questions: {', '.join(tool.questions)})" if tool is not None else "")
                + f"; its columns are: {', '.join(list(frame.columns)[:12])}", file=answers_path,
            )
    names = {int(k): v for k, v in dict(model.names).items()}
    if using == "segmentation":
        if not basis:
            raise DataError(f"the file holds none of the segmentation's questions ({', '.join(model.basis_items[:8])}, "
                            "...)", file=answers_path)
        data = _numeric(frame, basis, answers_path)
        return model.classify(data.reindex(columns=model.basis_items)).table, using
    if using == "typing":
        if tool is None:
            raise DataError("this model file has no typing tool", file=model_path)
        missing = [q for q in tool.questions if q not in cols]
        if missing:
            raise DataError(f"the typing tool needs the golden question(s) {', '.join(missing)}, which the file lacks",
                            file=answers_path, column=missing[0])
        data = _numeric(frame, tool.questions, answers_path)
        proba = tool.predict_proba(data)
    else:
        if base is None:
            raise DataError("this model file has no whole-base model", file=model_path)
        have = [c for c in base.features if c in cols]
        if len(have) < len(base.features):
            logger.warning(
                "classify: the file holds %d of the whole-base model's %d features (%s); the others are filled with "
                "the customer base's typical value, so placements are weaker than the run's customer_segments.csv",
                len(have), len(base.features), ", ".join(have) or "none")
        feats = frame.reindex(columns=list(base.features))
        for c in base.numeric:
            if c in frame.columns:
                feats[c] = _numeric(frame, [c], answers_path)[c]
        proba = base.predict_proba(feats)
    proba.columns = [int(c) for c in proba.columns]
    seg = pd.Series(proba.to_numpy().argmax(axis=1) + 1, index=proba.index, dtype="Int64")
    out = pd.DataFrame({"segment": seg, "name": [names.get(int(s), "") for s in seg],
                        "probability": proba.max(axis=1).to_numpy()})
    out["uncertain"] = out["probability"] < model.uncertain_below
    for c in proba.columns:
        out[f"p_{c}"] = proba[c].to_numpy()
    return out, using


