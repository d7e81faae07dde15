"""scripts/compare_reports.py: two reports folders compared cell by cell (issue 12's
"behaviour unchanged" check) finds planted differences and ignores only what it lists."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "compare_reports.py"
spec = importlib.util.spec_from_file_location("compare_reports", SCRIPT)
compare_reports = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare_reports)


def _pptx(path: Path, *, title="Fem segmenter: Århus", values=(31.2, 24.0, 44.8), cell="n=1 435") -> None:
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = title
    data = CategoryChartData()
    data.categories = ["Pris", "Levering", "Rådgivning"]
    data.add_series("Share", values)
    slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(1), Inches(2), Inches(4), Inches(3), data)
    table = slide.shapes.add_table(2, 2, Inches(5), Inches(2), Inches(3), Inches(1)).table
    table.cell(0, 0).text, table.cell(1, 1).text = "segment", cell
    prs.save(str(path))


def _folder(root: Path, *, xlsx=0.4127, csv_cell="2", json_n=1435, stamp="2026-12-01T20:53:22+00:00",
            **pptx) -> Path:
    wave = root / "demo" / "1"
    wave.mkdir(parents=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sizes"
    ws.append(["segment", "share", "run at"])
    ws.append(["Øko", xlsx, stamp])
    wb.create_sheet("about").append(["created", stamp])
    wb.save(wave / "profiles.xlsx")
    (wave / "respondent_segments.csv").write_text(f"resp_id,segment\nR1,{csv_cell}\nR2,1\n", encoding="utf-8")
    (wave / "manifest.json").write_text(json.dumps({
        "started": stamp, "step_seconds": {"read": 1.0 if stamp.endswith("22+00:00") else 9.9},
        "packages": {"numpy": "2.4.6" if stamp.endswith("22+00:00") else "9.9"},
        "inputs_sha256": {f"{root}/surveys/demo/w1.csv": "abc"}, "counts": {"respondents_kept": json_n}}),
        encoding="utf-8")
    (wave / "scorecard.md").write_text("# Scorecard\nlca k=5 recommended\n", encoding="utf-8")
    _pptx(wave / "personas.pptx", **pptx)
    return root


def test_identical_folders_and_ignored_stamps_give_no_difference(tmp_path):
    a = _folder(tmp_path / "a")
    b = _folder(tmp_path / "b", stamp="2026-12-02T08:00:01+00:00")  # other run time, durations, versions, paths
    assert compare_reports.compare_folders(a, b) == []
    assert compare_reports.main([str(a), str(b)]) == 0


@pytest.mark.parametrize("change, expected", [
    ({"xlsx": 0.4128}, "demo/1/profiles.xlsx [Sizes] B2: 0.4127 -> 0.4128"),
    ({"csv_cell": "3"}, "demo/1/respondent_segments.csv row 2 col 2: '2' -> '3'"),
    ({"json_n": 1436}, "demo/1/manifest.json/counts/respondents_kept: 1435 -> 1436"),
    ({"title": "Fem segmenter: Aarhus"}, "demo/1/personas.pptx slide 1 shape 1 (Title 1) text: "
                                         "'Fem segmenter: Århus' -> 'Fem segmenter: Aarhus'"),
    ({"values": (31.2, 24.1, 44.8)}, "chart plot 1 series 'Share': (31.2, 24.0, 44.8) -> (31.2, 24.1, 44.8)"),
    ({"cell": "n=1 436"}, "table r2c2: 'n=1 435' -> 'n=1 436'"),
])
def test_a_planted_difference_is_found_and_named(tmp_path, change, expected):
    a = _folder(tmp_path / "a")
    b = _folder(tmp_path / "b", **change)
    diffs = compare_reports.compare_folders(a, b)
    assert len(diffs) == 1 and expected in diffs[0], diffs


def test_missing_files_and_bytes_count_and_the_command_exits_non_zero(tmp_path):
    a = _folder(tmp_path / "a")
    b = tmp_path / "b"
    shutil.copytree(a, b)
    (b / "demo" / "1" / "scorecard.md").write_text("# Scorecard\nlca k=4 recommended\n", encoding="utf-8")
    (b / "demo" / "1" / "respondent_segments.csv").unlink()
    (b / "demo" / "1" / "extra.json").write_text("{}", encoding="utf-8")
    assert compare_reports.compare_folders(a, b) == [
        "demo/1/respondent_segments.csv: only in BEFORE", "demo/1/extra.json: only in AFTER",
        "demo/1/scorecard.md: contents differ"]
    res = subprocess.run([sys.executable, str(SCRIPT), str(a), str(b)], capture_output=True, text=True)
    assert res.returncode == 1 and "scorecard.md: contents differ" in res.stdout
    assert "3 difference(s)" in res.stderr
    res = subprocess.run([sys.executable, str(SCRIPT), str(a), str(tmp_path / "nope")], capture_output=True, text=True)
    assert res.returncode == 2 and "is not a folder" in res.stderr
