"""Workbooks at scale (issue 30, item 8): no merged cells, so writing time grows with the rows."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd

from workbench.outputs import write_workbook


def test_multiindex_sheets_are_written_without_merged_cells(tmp_path):
    idx = pd.MultiIndex.from_product([["lca k=3", "lpa k=3"], [f"outcome {i}" for i in range(40)], [1, 2, 3]],
                                     names=["candidate", "outcome", "segment"])
    frame = pd.DataFrame({"mean": np.arange(len(idx), dtype=float)}, index=idx)
    path = write_workbook(tmp_path / "book.xlsx", {"Distal outcomes": frame}, notes={"Distal outcomes": "Means."})
    ws = openpyxl.load_workbook(path)["Distal outcomes"]
    # pandas' default merges every run of equal index labels: openpyxl styles each merged range,
    # so a 20,000-respondent run spent its time merging cells; every row carries its labels now
    assert not ws.merged_cells.ranges
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(rows) == len(frame)
    assert [r[:3] for r in rows[:4]] == [("lca k=3", "outcome 0", 1), ("lca k=3", "outcome 0", 2),
                                         ("lca k=3", "outcome 0", 3), ("lca k=3", "outcome 1", 1)]
    back = pd.read_excel(path, sheet_name="Distal outcomes", skiprows=2, index_col=[0, 1, 2])
    assert back.index.tolist() == frame.index.tolist()
