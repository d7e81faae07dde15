"""The Excel typing tool: the golden questions' model as a workbook of plain formulas.

Plain formulas only (no macros, no array formulas, no defined names), so Excel, LibreOffice
and Google Sheets compute the same segment as :meth:`TypingTool.predict
<workbench.waves.golden.TypingTool.predict>`: each score is intercept + Σ coefficient × answer
(the item mean when blank), the segment the first highest score (INDEX/MATCH on MAX, as
numpy's argmax), the probability the softmax of the scores.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Mapping

from ..core.errors import OutputError
from ..core.provenance import package_versions
from ..files.jsonplain import plain
from ..core.measures import SHARE_FORMAT
from ..files.outputs import harden_workbook

__all__ = ["write_typing_tool"]

logger = logging.getLogger(__name__)

_NAVY, _BLUE, _PALE, _INPUT, _RESULT, _GREY = "1F3864", "2F5597", "DCE6F1", "FFF2CC", "E2EFDA", "7F7F7F"


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="BFBFBF")
    return {
        "title": Font(name="Calibri", size=16, bold=True, color=_NAVY),
        "subtitle": Font(name="Calibri", size=10, italic=True, color=_GREY),
        "header_font": Font(name="Calibri", bold=True, color="FFFFFF"),
        "header_fill": PatternFill("solid", fgColor=_BLUE),
        "section": Font(name="Calibri", size=12, bold=True, color=_NAVY),
        "bold": Font(name="Calibri", bold=True),
        "input_fill": PatternFill("solid", fgColor=_INPUT),
        "result_fill": PatternFill("solid", fgColor=_RESULT),
        "pale_fill": PatternFill("solid", fgColor=_PALE),
        "result_font": Font(name="Calibri", size=14, bold=True, color="375623"),
        "note_font": Font(name="Calibri", size=10, italic=True, color="C00000"),
        "grey_font": Font(name="Calibri", size=10, color=_GREY),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center", vertical="center"),
        "top": Alignment(vertical="top"),
        "center_left": Alignment(horizontal="left", vertical="center"),
        "wrap_center": Alignment(wrap_text=True, vertical="center"),
        "input_font": Font(name="Calibri", size=12, bold=True),
    }


def _header(ws, row, col, values, st):
    for j, v in enumerate(values):
        c = ws.cell(row=row, column=col + j, value=v)
        c.font, c.fill, c.alignment, c.border = st["header_font"], st["header_fill"], st["wrap"], st["border"]


def _code_number(code) -> str:
    return str(int(code)) if float(code).is_integer() else repr(float(code))


def _allowed_test(ref: str, codes: Mapping | None) -> str | None:
    """A formula that is TRUE when the answer in ``ref`` is not an allowed code."""
    if not codes:
        return None
    return f'AND({ref}<>"",NOT(OR(' + ",".join(f"{ref}={_code_number(c)}" for c in codes) + ")))"


def _validation(codes: Mapping | None, what: str):
    from openpyxl.worksheet.datavalidation import DataValidation

    if not codes:
        return DataValidation(type="decimal", operator="between", formula1="-1E+300", formula2="1E+300",
                              allow_blank=True, showErrorMessage=True, errorTitle="Not a number",
                              error=f"{what}: type a number")
    listed = ",".join(_code_number(c) for c in codes)
    if len(listed) > 250:  # Excel's limit on an inline list
        return None
    return DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True, showErrorMessage=True,
                          errorTitle="Not an answer code",
                          error=f"{what}: choose one of {listed} (see the answer options)"[:250],
                          showInputMessage=False)


def _fit_page(ws, orientation: str) -> None:
    """Print one page wide."""
    ws.page_setup.orientation = orientation
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _protect(ws):
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # people may still widen columns and rows
    ws.protection.formatRows = False


def write_typing_tool(tool, path: Path, *, title, names: dict, codes: dict, batch_rows: int) -> Path:
    """Write ``tool`` (a :class:`~workbench.waves.golden.TypingTool`) as the Excel workbook ``path``."""
    from openpyxl import Workbook
    from openpyxl.styles import Protection
    from openpyxl.utils import get_column_letter as L

    st = _styles()
    qs, segs = list(tool.questions), list(tool.segments)
    m, k = len(qs), len(segs)
    prov = tool.provenance
    if title is None:
        bits = [str(prov[x]) for x in ("study_name", "study") if prov.get(x)][:1]
        if prov.get("wave"):
            bits.append(f"wave {prov['wave']}")
        title = "Segment typing tool" + (f" - {', '.join(bits)}" if bits else "")
    unlocked = Protection(locked=False)
    wb = Workbook()
    first_seg_col = 4  # D: the Model sheet's first segment column
    lay = SimpleNamespace(st=st, tool=tool, qs=qs, segs=segs, m=m, k=k, names=names, codes=codes, title=title,
                          unlocked=unlocked, first_seg_col=first_seg_col,
                          seg_col={s: L(first_seg_col + i) for i, s in enumerate(segs)},
                          int_row=5, q_row={q: 6 + i for i, q in enumerate(qs)}, batch_rows=batch_rows, prov=prov)
    ws_t = wb.active
    ws_t.title = "Type a customer"
    ws_b = wb.create_sheet("Batch")
    ws_m = wb.create_sheet("Model")
    ws_a = wb.create_sheet("About")
    _model_sheet(ws_m, lay)  # the coefficients the other sheets' formulas reference
    _type_sheet(ws_t, lay)
    _batch_sheet(ws_b, lay)
    _about_sheet(ws_a, lay)
    wb.active = 0
    # names, labels and titles from the study or personas.yaml are text, never formulas (issue 14)
    harden_workbook(wb, texts={str(title), *map(str, names.values()), *map(str, tool.question_labels.values()),
                               *map(str, qs), *(str(lab) for qc in codes.values() for lab in (qc or {}).values())})
    try:
        wb.save(path)
    except OSError as exc:
        raise OutputError(f"cannot write the typing tool: {exc.strerror or exc}", file=path) from None
    logger.debug("typing tool written to %s", path)
    return path


def _finish(ws, orientation: str) -> None:
    """No grid lines, fitted to the page, protected (only the input cells stay editable)."""
    ws.sheet_view.showGridLines = False
    _fit_page(ws, orientation)
    _protect(ws)


def _model_ref(ref_col: str, row: int) -> str:
    """An absolute reference to a cell of the Model sheet."""
    return f"Model!${ref_col}${row}"


def _model_sheet(ws, lay: SimpleNamespace) -> None:
    """The Model sheet: intercepts, coefficients and average answers, which the other sheets reference."""
    st, tool, qs, segs, m, k = lay.st, lay.tool, lay.qs, lay.segs, lay.m, lay.k
    names, seg_col, int_row, q_row = lay.names, lay.seg_col, lay.int_row, lay.q_row

    first_seg_col = lay.first_seg_col
    ws["A1"] = "Model: what the formulas compute with"
    ws["A1"].font = st["title"]
    ws["A2"] = ("Score of a segment = intercept + Σ coefficient × answer (a blank answer counts as the average "
                  "answer in column C). Probability = EXP(score) / Σ EXP(all scores). The segment with the highest "
                  "score is the customer's segment. Do not edit: the other sheets read these cells.")
    ws["A2"].font, ws["A2"].alignment = st["subtitle"], st["wrap"]
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(first_seg_col + k - 1, 6))
    ws.row_dimensions[2].height = 42
    _header(ws, 4, 1, ["Question", "Label", "Average answer (used when blank)"] + [names[s] for s in segs], st)
    ws.cell(row=3, column=first_seg_col - 1, value="segment code →").font = st["grey_font"]
    for i, s in enumerate(segs):
        c = ws.cell(row=3, column=first_seg_col + i, value=plain(s))
        c.font, c.alignment = st["grey_font"], st["center"]
    coef = tool.coefficients
    ws.cell(row=int_row, column=1, value="(intercept)").font = st["bold"]
    ws.cell(row=int_row, column=2, value="constant of each segment's score").font = st["grey_font"]
    for i, s in enumerate(segs):
        ws.cell(row=int_row, column=first_seg_col + i, value=float(coef.iloc[0, i])).number_format = "0.000000"
    for q in qs:
        r = q_row[q]
        ws.cell(row=r, column=1, value=str(q)).font = st["bold"]
        ws.cell(row=r, column=2, value=tool.question_labels.get(q, str(q))).alignment = st["wrap"]
        ws.cell(row=r, column=3, value=float(tool.item_means[q])).number_format = "0.000"
        for i, s in enumerate(segs):
            ws.cell(row=r, column=first_seg_col + i, value=float(coef.loc[q, s])).number_format = "0.000000"
    for r in range(int_row, int_row + m + 1):
        for c in range(1, first_seg_col + k):
            ws.cell(row=r, column=c).border = st["border"]
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 44
    ws.column_dimensions["C"].width = 16
    for s in segs:
        ws.column_dimensions[seg_col[s]].width = max(14, min(30, len(names[s]) + 3))
    ws.freeze_panes = "D5"
    _finish(ws, "landscape")


def _type_sheet(ws, lay: SimpleNamespace) -> None:
    """The 'Type a customer' sheet: one customer's answers in, the segment and its probability out."""
    from openpyxl.formatting.rule import DataBarRule

    st, tool, qs, segs, m, k = lay.st, lay.tool, lay.qs, lay.segs, lay.m, lay.k
    names, codes, seg_col, int_row, q_row, unlocked = lay.names, lay.codes, lay.seg_col, lay.int_row, lay.q_row, lay.unlocked
    title = lay.title
    # rows: title, instructions, result, note; the segments' table; then the questions
    s0 = 8  # first segment row
    seg_rows = {s: s0 + i for i, s in enumerate(segs)}
    last_s = s0 + k - 1
    r0 = last_s + 3  # first question row
    rows_q = {q: r0 + i for i, q in enumerate(qs)}
    last_q = r0 + m - 1
    ans = f"$D${r0}:$D${last_q}"
    used = f"$E${r0}:$E${last_q}"
    scores = f"$D${s0}:$D${last_s}"
    ws["A1"] = title
    ws["A1"].font = st["title"]
    ws.merge_cells("A1:F1")
    ws["A2"] = ("Type the customer's answer to each question in the yellow cells below (pick a code from the list). "
                "The segment and its probability update at once. Leave a question blank if the answer is unknown: "
                "its average answer is used, and the result is less certain.")
    ws["A2"].font, ws["A2"].alignment = st["subtitle"], st["wrap"]
    ws.merge_cells("A2:F2")
    ws.row_dimensions[2].height = 28
    ws["A4"] = "Most likely segment"
    ws["A4"].font, ws["A4"].alignment = st["section"], st["center_left"]
    ws.merge_cells("A4:B4")
    ws["C4"] = (f'=IF(COUNT({ans})=0,"(answer the questions)",'
                f"INDEX($B${s0}:$B${last_s},MATCH(MAX({scores}),{scores},0)))")
    ws["D4"] = "Probability"
    ws["D4"].font, ws["D4"].alignment = st["bold"], st["center"]
    ws["E4"] = f'=IF(COUNT({ans})=0,"",MAX($C${s0}:$C${last_s}))'
    ws["E4"].number_format = "0%"
    for ref in ("C4", "E4"):
        ws[ref].font, ws[ref].fill, ws[ref].alignment, ws[ref].border = (st["result_font"], st["result_fill"],
                                                                         st["center"], st["border"])
    ws.row_dimensions[4].height = 32
    ws["A5"] = (f'=IF(COUNT({ans})=0,"",IF(COUNTBLANK({ans})>0,COUNTBLANK({ans})&" of {m} questions not answered: '
                f'their average answers are used, so the result is less certain.","All {m} questions answered."))')
    ws["A5"].font = st["note_font"]
    ws.merge_cells("A5:F5")
    _header(ws, s0 - 1, 2, ["Segment", "Probability", "Score"], st)
    exps = "+".join(f"EXP($D${seg_rows[s]}-MAX({scores}))" for s in segs)
    for s in segs:
        r, col = seg_rows[s], seg_col[s]
        ws.cell(row=r, column=2, value=names[s]).font = st["bold"]
        ws.cell(row=r, column=3, value=f"=EXP(D{r}-MAX({scores}))/({exps})").number_format = SHARE_FORMAT
        ws.cell(row=r, column=4, value=f"={_model_ref(col, int_row)}+SUMPRODUCT(Model!${col}${int_row + 1}:${col}$"
                                         f"{int_row + m},{used})").number_format = "0.00"
        ws.cell(row=r, column=4).font = st["grey_font"]
        for c in range(2, 5):
            ws.cell(row=r, column=c).border = st["border"]
        ws.cell(row=r, column=2).alignment = st["center_left"]
        ws.row_dimensions[r].height = 18
    ws.conditional_formatting.add(f"C{s0}:C{last_s}",
                                  DataBarRule(start_type="num", start_value=0, end_type="num", end_value=1,
                                              color="70AD47"))
    _header(ws, r0 - 1, 1, ["#", "Question", "Answer options", "Answer", "Value used", "Note"], st)
    for i, q in enumerate(qs):
        r = rows_q[q]
        qc = codes.get(q) or {}
        ws.cell(row=r, column=1, value=i + 1).alignment = st["center"]
        ws.cell(row=r, column=2, value=tool.question_labels.get(q, str(q))).alignment = st["wrap_center"]
        opts = "\n".join(f"{_code_number(c)} = {lab}" for c, lab in qc.items()) if qc else "a number"
        ws.cell(row=r, column=3, value=opts).alignment = st["wrap"]
        ws.cell(row=r, column=3).font = st["grey_font"]
        cin = ws.cell(row=r, column=4)
        cin.fill, cin.protection, cin.alignment, cin.font = st["input_fill"], unlocked, st["center"], st["input_font"]
        ws.cell(row=r, column=5, value=f'=IF(D{r}="",{_model_ref("C", q_row[q])},D{r})').number_format = "0.0#"
        ws.cell(row=r, column=5).font, ws.cell(row=r, column=5).alignment = st["grey_font"], st["center"]
        bad = _allowed_test(f"D{r}", qc)
        note = f'IF({bad},"Not one of the answer codes: check","")' if bad else '""'
        ws.cell(row=r, column=6, value=f'=IF(D{r}="","Not answered: the average answer is used",{note})')
        ws.cell(row=r, column=6).font, ws.cell(row=r, column=6).alignment = st["note_font"], st["wrap_center"]
        ws.row_dimensions[r].height = max(20, 12.5 * max(len(qc), 1) + 4)
        dv = _validation(qc, f"Question {i + 1}")
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"D{r}")
        for c in range(1, 7):
            ws.cell(row=r, column=c).border = st["border"]
    for col, width in zip("ABCDEF", (5, 46, 28, 16, 11, 34)):
        ws.column_dimensions[col].width = width
    _finish(ws, "portrait")


def _batch_sheet(ws, lay: SimpleNamespace) -> None:
    """The Batch sheet: one customer per row, the segment and checks beside the answers."""
    from openpyxl.utils import get_column_letter as L

    st, tool, qs, segs, m, k = lay.st, lay.tool, lay.qs, lay.segs, lay.m, lay.k
    names, codes, seg_col, int_row, q_row, unlocked = lay.names, lay.codes, lay.seg_col, lay.int_row, lay.q_row, lay.unlocked
    title, batch_rows = lay.title, lay.batch_rows
    hr, b0 = 4, 5
    b_last = b0 + batch_rows - 1
    q_col = {q: L(2 + i) for i, q in enumerate(qs)}
    c_seg, c_prob, c_skip, c_check = (L(2 + m + j) for j in range(4))
    p_col = {s: L(6 + m + i) for i, s in enumerate(segs)}
    s_col = {s: L(6 + m + k + i) for i, s in enumerate(segs)}
    ws["A1"] = f"{title}: many customers at once"
    ws["A1"].font = st["title"]
    ws["A2"] = (f"Paste one customer per row from row {b0}: an ID in column A and the answers to the {m} questions "
                f"in columns B to {q_col[qs[-1]]} (answer codes, blank if unknown). The segment appears in column "
                f"{c_seg}. Up to {batch_rows} rows.")
    ws["A2"].font, ws["A2"].alignment = st["subtitle"], st["wrap"]
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=min(2 + m + 3, 12))
    ws.row_dimensions[2].height = 30
    heads = ["ID"] + [f"{q}\n{tool.question_labels.get(q, q)}" for q in qs] + \
        ["Segment", "Probability", "Unanswered", "Check"] + [f"P({names[s]})" for s in segs] + \
        [f"Score: {names[s]}" for s in segs]
    _header(ws, hr, 1, heads, st)
    ws.row_dimensions[hr].height = 60
    seg_names_range = f"Model!${seg_col[segs[0]]}$4:${seg_col[segs[-1]]}$4"
    for i, q in enumerate(qs):
        dv = _validation(codes.get(q), f"{q}")
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{q_col[q]}{b0}:{q_col[q]}{b_last}")
    for r in range(b0, b_last + 1):
        a_rng = f"$B{r}:${q_col[qs[-1]]}{r}"
        sc_rng = f"${s_col[segs[0]]}{r}:${s_col[segs[-1]]}{r}"
        ws.cell(row=r, column=1).protection = unlocked
        ws.cell(row=r, column=1).fill = st["input_fill"]
        for q in qs:
            cell = ws[f"{q_col[q]}{r}"]
            cell.protection, cell.fill = unlocked, st["input_fill"]
        for s in segs:
            col = seg_col[s]
            terms = "+".join(f'{_model_ref(col, q_row[q])}*IF(${q_col[q]}{r}="",{_model_ref("C", q_row[q])},${q_col[q]}{r})'
                             for q in qs)
            ws[f"{s_col[s]}{r}"] = f'=IF(COUNT({a_rng})=0,"",{_model_ref(col, int_row)}+{terms})'
            ws[f"{s_col[s]}{r}"].number_format = "0.00"
        exps = "+".join(f"EXP(${s_col[s]}{r}-MAX({sc_rng}))" for s in segs)
        for s in segs:
            ws[f"{p_col[s]}{r}"] = f'=IF(${c_seg}{r}="","",EXP(${s_col[s]}{r}-MAX({sc_rng}))/({exps}))'
            ws[f"{p_col[s]}{r}"].number_format = SHARE_FORMAT
        ws[f"{c_seg}{r}"] = f'=IF(COUNT({a_rng})=0,"",INDEX({seg_names_range},MATCH(MAX({sc_rng}),{sc_rng},0)))'
        ws[f"{c_seg}{r}"].font = st["bold"]
        ws[f"{c_prob}{r}"] = (f'=IF(${c_seg}{r}="","",MAX(${p_col[segs[0]]}{r}:${p_col[segs[-1]]}{r}))')
        ws[f"{c_prob}{r}"].number_format = "0%"
        ws[f"{c_skip}{r}"] = f'=IF(${c_seg}{r}="","",COUNTBLANK({a_rng}))'
        bads = [_allowed_test(f"${q_col[q]}{r}", codes.get(q)) for q in qs]
        bads = [f"IF({b},1,0)" for b in bads if b]
        if bads:
            ws[f"{c_check}{r}"] = (f'=IF(${c_seg}{r}="","",IF({"+".join(bads)}>0,"an answer is not an answer code",'
                                   f'IF(${c_skip}{r}>0,"averages used for blanks","")))')
        else:
            ws[f"{c_check}{r}"] = f'=IF(${c_seg}{r}="","",IF(${c_skip}{r}>0,"averages used for blanks",""))'
        ws[f"{c_check}{r}"].font = st["note_font"]
    ws.column_dimensions["A"].width = 14
    for q in qs:
        ws.column_dimensions[q_col[q]].width = 12
    ws.column_dimensions[c_seg].width = max(18, min(32, max(len(n) for n in names.values()) + 3))
    ws.column_dimensions[c_prob].width = 11
    ws.column_dimensions[c_skip].width = 13
    ws.column_dimensions[c_check].width = 28
    for s in segs:
        ws.column_dimensions[p_col[s]].width = 15
    ws.column_dimensions.group(s_col[segs[0]], s_col[segs[-1]], hidden=True, outline_level=1)
    ws.freeze_panes = f"B{b0}"
    from openpyxl.styles import PatternFill

    out_fill = PatternFill("solid", fgColor="548235")
    for j in range(2 + m, 6 + m + k):
        ws.cell(row=hr, column=j).fill = out_fill
    _fit_page(ws, "landscape")
    ws.print_title_rows = f"{hr}:{hr}"
    _protect(ws)
    ws.protection.formatCells = True


def _about_sheet(ws, lay: SimpleNamespace) -> None:
    """The About sheet: what the tool reproduces, its accuracy, agreement, confusion and selection path."""
    st, tool, segs, m, k, names = lay.st, lay.tool, lay.segs, lay.m, lay.k, lay.names
    title, prov = lay.title, lay.prov
    ws["A1"] = title
    ws["A1"].font = st["title"]
    version = package_versions(("jtbd-workbench",), python=False)["jtbd-workbench"]
    what = ", ".join(f"{k_} {v}" for k_, v in prov.items()) or "the segmentation it was fitted on"
    facts = [
        ("What this is", f"A typing tool: {m} golden question(s) that place a customer in one of {k} segments."),
        ("Reproduces", what),
        ("Cross-validated accuracy",
         f"{tool.accuracy:.1%} of respondents typed into their own segment (± {tool.accuracy_sd:.1%} over "
         f"{tool.cv} folds)"),
        ("Baseline", f"{tool.baseline_accuracy:.1%}: always answering the largest segment"),
        ("Respondents", f"{tool.n:,}" + (" (weighted)" if tool.weighted else "")),
        ("Model", "multinomial logistic regression on the answer codes; coefficients on the Model sheet"),
        ("Created", f"{tool.created} with workbench {version}"),
        ("How to use: one customer", "Sheet 'Type a customer': type the answers into the yellow cells; the "
                                     "segment and its probability appear at the top."),
        ("How to use: many customers", "Sheet 'Batch': paste IDs and answer codes from row 5; each row shows its "
                                       "segment, probability and checks."),
        ("Blank answers", "A blank answer counts as the average answer; the result is then less certain."),
        ("Same result everywhere", "The workbench's classify command computes exactly the same segment from "
                                   "the same answers (model.json)."),
    ]
    for i, (a, b) in enumerate(facts):
        r = 3 + i
        ws.cell(row=r, column=1, value=a).font = st["bold"]
        ws.cell(row=r, column=1).alignment = st["top"]
        ws.cell(row=r, column=2, value=b).alignment = st["wrap"]
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=7)
        ws.row_dimensions[r].height = 30 if len(b) > 80 else 16
    r = 3 + len(facts) + 1
    ws.cell(row=r, column=1, value="Agreement by segment (cross-validated)").font = st["section"]
    r += 1
    _header(ws, r, 1, ["Segment", "Name", "Respondents", "Share", "Typed correctly", "Precision"], st)
    ag = tool.agreement_by_segment
    for s in segs:
        r += 1
        row = ag.loc[s] if s in ag.index else None
        vals = [plain(s), names[s]] + ([int(row["n"]), float(row["share"]), float(row["recall"]),
                                         plain(row["precision"])] if row is not None else [None] * 4)
        for j, v in enumerate(vals):
            c = ws.cell(row=r, column=1 + j, value=v)
            c.border = st["border"]
            if j >= 3 and v is not None:
                c.number_format = SHARE_FORMAT
            if j == 0:
                c.alignment = st["center"]
    r += 2
    ws.cell(row=r, column=1, value="Confusion matrix (respondents; rows: segment, columns: typed as)").font = \
        st["section"]
    r += 1
    _header(ws, r, 1, ["Segment"] + [names[s] for s in segs], st)
    for i, s in enumerate(segs):
        r += 1
        ws.cell(row=r, column=1, value=names[s]).font = st["bold"]
        ws.cell(row=r, column=1).border = st["border"]
        for j in range(k):
            c = ws.cell(row=r, column=2 + j, value=int(tool.confusion.iat[i, j]))
            c.border = st["border"]
            if i == j:
                c.fill, c.font = st["result_fill"], st["bold"]
    r += 2
    ws.cell(row=r, column=1, value="Selection path: accuracy as questions are added").font = st["section"]
    r += 1
    _header(ws, r, 1, ["Step", "Question", "Label", "Accuracy", "sd", "Gain", "In the tool"], st)
    for rec in tool.path.itertuples(index=False):
        r += 1
        vals = [rec.step, rec.question, rec.label, rec.accuracy, rec.sd, rec.gain, "yes" if rec.chosen else ""]
        for j, v in enumerate(vals):
            c = ws.cell(row=r, column=1 + j, value=plain(v))
            c.border = st["border"]
            if 3 <= j <= 5:
                c.number_format = SHARE_FORMAT
            if j in (0, 6):
                c.alignment = st["center"]
            if rec.chosen:
                c.fill = st["pale_fill"]
    for col, width in zip("ABCDEFG", (30, 22, 40, 13, 15, 12, 12)):
        ws.column_dimensions[col].width = width
    _finish(ws, "portrait")
