"""The typing tool's "Type an account" sheet (issue 29): the buying-centre type of an account
from the segments of its respondents (typed with the tool one by one), by formulas only.

The sheet computes :meth:`workbench.waves.accounts_model.AccountModel.classify`: per account
class ``score = LN(share) + Σ_segments COUNTIF(respondents, segment) × LN(mix)`` (the logs
written as numbers, the mix floored as in the model), probabilities by the stable softmax, the
type with the highest score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .accounts_model import FLOOR, AccountModel

__all__ = ["MAX_RESPONDENTS", "SHEET", "add_account_sheet"]

SHEET = "Type an account"
#: Input rows: respondents of one account.
MAX_RESPONDENTS = 8


def add_account_sheet(path: Path, model: AccountModel, *, names: dict | None = None) -> Path:
    """Add the sheet to the typing tool workbook at ``path`` (written by ``TypingTool.to_excel``)."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter as L
    from openpyxl.worksheet.datavalidation import DataValidation

    names = {**model.segment_names, **(names or {})}
    wb = load_workbook(path)
    ws = wb.create_sheet(SHEET, index=1)
    bold, grey = Font(bold=True), Font(color="808080", size=9)
    title = Font(bold=True, size=14)
    fill = PatternFill("solid", fgColor="FFF2CC")
    result = PatternFill("solid", fgColor="E2EFDA")
    segs, M = list(model.segments), model.n_classes
    ws["A1"] = "Type an account: its buying-centre type from its respondents' segments"
    ws["A1"].font = title
    ws["A2"] = ("Type each respondent of the account with the 'Type a customer' sheet, then enter their segment codes "
                "below (one per row, up to %d). The account's type and its probability update at once." % MAX_RESPONDENTS)
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:F2")
    ws.row_dimensions[2].height = 30
    # segment codes and names
    ws["A4"] = "Segment codes"
    ws["A4"].font = bold
    for j, s in enumerate(segs):
        ws.cell(row=5 + j, column=1, value=int(s))
        ws.cell(row=5 + j, column=2, value=str(names.get(s, f"Segment {s}")))
    r_in = 5 + len(segs) + 1
    ws.cell(row=r_in, column=1, value="Respondent").font = bold
    ws.cell(row=r_in, column=2, value="Segment code").font = bold
    inputs = f"$B${r_in + 1}:$B${r_in + MAX_RESPONDENTS}"
    dv = DataValidation(type="list", formula1='"' + ",".join(str(int(s)) for s in segs) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle="Segment code",
                        error="Enter one of the segment codes listed above.")
    ws.add_data_validation(dv)
    for i in range(MAX_RESPONDENTS):
        c = ws.cell(row=r_in + 1 + i, column=2)
        c.fill, c.protection = fill, Protection(locked=False)
        dv.add(c.coordinate)
        ws.cell(row=r_in + 1 + i, column=1, value=i + 1)
    # the model: log shares and log mixes
    r_m = r_in + MAX_RESPONDENTS + 2
    ws.cell(row=r_m, column=1, value="Account class").font = bold
    ws.cell(row=r_m, column=2, value="Type").font = bold
    ws.cell(row=r_m, column=3, value="Probability").font = bold
    ws.cell(row=r_m, column=4, value="Score").font = bold
    ws.cell(row=r_m, column=5, value="LN(share)").font = grey
    first = 6
    for j, s in enumerate(segs):
        ws.cell(row=r_m - 1, column=first + j, value=int(s)).font = grey
        ws.cell(row=r_m, column=first + j, value=f"LN(mix) {names.get(s, s)}").font = grey
    codes = f"${L(first)}${r_m - 1}:${L(first + len(segs) - 1)}${r_m - 1}"
    lm = np.log(np.maximum(model.mix, FLOOR))
    lw = np.log(np.maximum(model.shares, FLOOR))
    rows = range(r_m + 1, r_m + 1 + M)
    scores = f"$D${r_m + 1}:$D${r_m + M}"
    exps = "+".join(f"EXP($D${r}-MAX({scores}))" for r in rows)
    for m, r in enumerate(rows):
        ws.cell(row=r, column=1, value=m + 1)
        ws.cell(row=r, column=2, value=model.types[m])
        ws.cell(row=r, column=5, value=float(lw[m])).number_format = "0.000000"
        for j in range(len(segs)):
            ws.cell(row=r, column=first + j, value=float(lm[m, j])).number_format = "0.000000"
        row_logs = f"${L(first)}${r}:${L(first + len(segs) - 1)}${r}"
        ws.cell(row=r, column=4, value=f"=E{r}+SUMPRODUCT(COUNTIF({inputs},{codes}),{row_logs})").number_format = "0.00"
        ws.cell(row=r, column=3, value=f"=EXP(D{r}-MAX({scores}))/({exps})").number_format = "0%"
    # the result
    r_res = r_m + M + 2
    ws.cell(row=r_res, column=1, value="Buying-centre type").font = bold
    ws.cell(row=r_res, column=3, value=f'=IF(COUNT({inputs})=0,"(enter segment codes)",'
                                       f"INDEX($B${r_m + 1}:$B${r_m + M},MATCH(MAX({scores}),{scores},0)))")
    ws.cell(row=r_res, column=5, value=f'=IF(COUNT({inputs})=0,"",MAX($C${r_m + 1}:$C${r_m + M}))').number_format = "0%"
    for col in (3, 5):
        ws.cell(row=r_res, column=col).fill = result
        ws.cell(row=r_res, column=col).font = Font(bold=True, size=12)
    ws.cell(row=r_res + 1, column=1, value=(
        "Score = LN(share) + for each respondent LN(mix of its segment) in the account class; probability = "
        "EXP(score) / sum of EXP(scores). Fitted on wave %s; agrees with the full model for %s of its accounts."
        % (model.wave, "n/a" if model.agreement is None else f"{100 * model.agreement:.0f} %"))).font = grey
    for col, width in zip("ABCDE", (14, 44, 12, 10, 10)):
        ws.column_dimensions[col].width = width
    ws.protection.sheet = True
    wb.save(path)
    return path
