"""One renderer for results (issue 23): a result declares its summary once and gets text, HTML
and workbook sheets from :class:`workbench.core.summary.Summary`."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workbench.core.summary import Summarised, Summary, SummaryTable

PKG = Path(__file__).resolve().parents[1] / "workbench"

#: Modules allowed their own __str__ / _repr_html_ (the list may only shrink): the renderer itself.
HAND_WRITTEN = {
    "core/summary.py",
}


@dataclass(frozen=True)
class _Fit(Summarised):
    n: int

    def summarise(self) -> Summary:
        table = pd.DataFrame({"estimate": [0.12345, 2.5]}, index=pd.Index(["a", "b<c"], name="term"))
        return Summary("A fit", [f"n = {self.n}"], [SummaryTable(table, title="estimates", digits=2)],
                       notes=["one note"])


def test_one_declaration_gives_text_html_and_sheets():
    fit = _Fit(7)
    assert str(fit) == "n = 7\nestimates:\n      estimate\nterm          \na         0.12\nb<c       2.50\nnote: one note"
    page = fit._repr_html_()
    assert page.startswith("<p><b>A fit</b></p><div>n = 7</div><div>note: one note</div><p>estimates</p><table")
    assert "b&lt;c" in page and "<td>0.12</td>" in page  # escaped, the table's decimals
    sheets, notes = fit.summarise().to_sheets()
    assert list(sheets) == ["estimates"] and list(sheets["estimates"].columns) == ["term", "estimate"]
    assert notes == {"estimates": "n = 7 Note: one note"}
    assert repr(fit) == "_Fit(n=7)"  # the dataclass's repr stays


def test_results_do_not_write_their_own_renderers():
    pairs = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).as_posix()
        if rel in HAND_WRITTEN:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
                if "_repr_html_" in names:
                    pairs.append(f"{rel}::{node.name}")
    assert not pairs, f"declare a summarise() with workbench.core.summary.Summary instead: {pairs}"
    stale = sorted(f for f in HAND_WRITTEN if "def _repr_html_" not in (PKG / f).read_text(encoding="utf-8"))
    assert not stale, f"converted already, remove from HAND_WRITTEN: {stale}"
