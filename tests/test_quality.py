"""Quality checks: every expected number below is worked out by hand from the rows written."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from conftest import MINI_STUDY, write_mini
from workbench.core.errors import DataError, OutputError, WorkbenchWarning
from workbench.quality import CHECKS, QualityReport, check_quality, grids
from workbench.data.readers import read_responses
from workbench.study import load_study

HEADER = ["rid", "kunde", "n1", "n2", "n3", "size", "eksport", "why", "secs", "email"]
BASE_QUALITY = """\
  duration: secs
  duplicates: keep_last
  straightliners: {action: flag, min_items: 3}
"""


def resp(rid, n=(3, 4, 2), *, size=1, eksport=0, secs=300, why="", email="x@y.dk"):
    """One CSV row of the mini study; answers as given ('' = blank)."""
    return [rid, f"C-{rid}", *(str(v) for v in n), str(size), str(eksport), why, str(secs), email]


def study_text(quality=BASE_QUALITY, *, files="[w1.csv]", wave_extra="", blocks_extra=""):
    head, _ = MINI_STUDY.split("quality:\n")
    head = head.replace("    files: [w1.csv]\n", f"    files: {files}\n{wave_extra}")
    if blocks_extra:
        head = head.replace("  open:\n", blocks_extra + "  open:\n")
    return head + "quality:\n" + quality


def build(tmp_path, rows, quality=BASE_QUALITY, *, header=HEADER, **study_kw):
    folder = write_mini(tmp_path / "s", study=study_text(quality, **study_kw), rows=[header, *rows])
    study = load_study(folder)
    return study, read_responses(study, "1")


def run(tmp_path, rows, quality=BASE_QUALITY, **kw):
    study, responses = build(tmp_path, rows, quality, **kw)
    return responses, check_quality(responses, study)


def summary_row(report: QualityReport, check: str) -> pd.Series:
    s = report.summary()
    return s.loc[s["check"] == check].iloc[0]


# --------------------------------------------------------------------------- duplicates

# r2 is on file rows 3 and 5 (the header is row 1); its answers differ between the two
DUP_ROWS = [
    resp("r1", (3, 4, 2)),
    resp("r2", (2, 2, 4)),
    resp("r3", (5, 4, 3)),
    resp("r2", (5, 4, 5)),
    resp("r4", (1, 3, 2)),
]


def test_duplicates_keep_last_keeps_the_later_row(tmp_path):
    responses, report = run(tmp_path, DUP_ROWS)
    expected = pd.DataFrame(
        {"respondent": ["r2", "r2"], "occurrence": [1, 2], "file": ["w1.csv", "w1.csv"], "row": [3, 5],
         "kept": [False, True]}
    )
    pd.testing.assert_frame_equal(report.duplicates.reset_index(drop=True), expected, check_dtype=False)
    ex = report.exclusions
    assert ex[["respondent", "row"]].values.tolist() == [["r2", 3]]
    assert ex["reasons"].tolist() == ["duplicate id (kept the later submission)"]
    assert ex["excluded"].tolist() == [True]
    assert (report.n_in, report.n_out, report.n_excluded) == (5, 4, 1)

    clean = report.apply(responses)
    assert clean.data.index.is_unique
    assert clean.n == 4
    assert list(clean.data.index) == ["r1", "r3", "r2", "r4"]
    assert clean.data.loc["r2", "n1"] == 5  # the later submission's answer
    assert clean.provenance.loc["r2", "row"] == 5
    assert responses.n == 5  # the raw data are untouched


def test_duplicates_keep_first_keeps_the_earlier_row(tmp_path):
    responses, report = run(tmp_path, DUP_ROWS, BASE_QUALITY.replace("keep_last", "keep_first"))
    assert report.duplicates["kept"].tolist() == [True, False]
    assert report.exclusions[["row", "reasons"]].values.tolist() == [
        [5, "duplicate id (kept the earlier submission)"]
    ]
    clean = report.apply(responses)
    assert clean.data.index.is_unique and clean.n == 4
    assert clean.data.loc["r2", "n1"] == 2


def test_duplicates_exclude_all_drops_every_occurrence(tmp_path):
    responses, report = run(tmp_path, DUP_ROWS, BASE_QUALITY.replace("keep_last", "exclude_all"))
    assert report.duplicates["kept"].tolist() == [False, False]
    assert report.exclusions["row"].tolist() == [3, 5]
    assert set(report.exclusions["reasons"]) == {"duplicate id (all occurrences excluded)"}
    row = summary_row(report, "duplicates")
    assert (row["flagged"], row["excluded"]) == (2, 2)
    clean = report.apply(responses)
    assert "r2" not in clean.data.index and clean.n == 3


def test_duplicates_three_occurrences_keep_last(tmp_path):
    rows = DUP_ROWS + [resp("r2", (1, 1, 2))]  # r2 now on rows 3, 5 and 7
    responses, report = run(tmp_path, rows)
    assert report.duplicates["occurrence"].tolist() == [1, 2, 3]
    assert report.duplicates["kept"].tolist() == [False, False, True]
    assert report.exclusions["row"].tolist() == [3, 5]
    clean = report.apply(responses)
    assert clean.data.loc["r2", "n1"] == 1 and clean.n == 4


def test_duplicates_error_names_the_id_and_both_rows(tmp_path):
    study, responses = build(tmp_path, DUP_ROWS, "  duration: secs\n")  # default policy: error
    with pytest.raises(DataError, match=r"respondent id 'r2' occurs 2 times: rows 3 and 5 of w1\.csv") as info:
        check_quality(responses, study)
    assert info.value.row == 3
    assert info.value.column == "rid"


def test_duplicates_error_across_two_files(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "w2.csv").write_text(
        ",".join(HEADER) + "\n" + ",".join(resp("r2", (1, 2, 3))) + "\n", encoding="utf-8"
    )
    write_mini(folder, study=study_text("  duration: secs\n", files="[w1.csv, w2.csv]"),
               rows=[HEADER, resp("r1"), resp("r2", (2, 3, 4))])
    study = load_study(folder)
    responses = read_responses(study, "1")
    with pytest.raises(DataError, match=r"'r2' occurs 2 times: w1\.csv row 3 and w2\.csv row 2"):
        check_quality(responses, study)


def test_ids_that_are_digit_strings_stay_distinct(tmp_path):
    rows = [resp("007", (3, 4, 2)), resp("7", (2, 3, 4)), resp("007", (5, 4, 4)), resp("0070", (1, 2, 2))]
    responses, report = run(tmp_path, rows)
    assert report.duplicates["respondent"].tolist() == ["007", "007"]
    assert report.exclusions["respondent"].tolist() == ["007"]
    assert report.exclusions["row"].tolist() == [2]
    clean = report.apply(responses)
    assert sorted(clean.data.index) == ["007", "0070", "7"]
    assert clean.data.loc["007", "n1"] == 5


# --------------------------------------------------------------------------- straightliners

SL_ROWS = [
    resp("r1", (3, 4, 2)),
    resp("r2", (5, 5, 5)),  # planted straightliner
    resp("r3", (4, 4, 3)),  # one varying answer
    resp("r4", (4, 4, 98)),  # 2 of 3 answered (98 = don't know)
    resp("r5", (2, 2, "")),  # 2 of 3 answered (blank)
]


def test_planted_straightliner_is_found_and_a_varying_one_is_not(tmp_path):
    _, report = run(tmp_path, SL_ROWS)
    sl = report.straightliners
    assert sl["respondent"].tolist() == ["r2"]
    assert sl[["grids", "count", "flagged"]].values.tolist() == [["needs", 1, True]]
    assert report.exclusions[["respondent", "reasons", "excluded"]].values.tolist() == [
        ["r2", "straightlined needs (flagged only)", False]
    ]
    row = summary_row(report, "straightliners")
    assert (row["action"], row["flagged"], row["excluded"]) == ("flag", 1, 0)
    assert report.n_out == 5


def test_straightliners_answered_share_threshold(tmp_path):
    # 0.8 x 3 items = 2.4 -> 3 answers needed (r4, r5 have 2); 0.6 x 3 = 1.8 -> 2 answers
    quality = BASE_QUALITY.replace("min_items: 3}", "min_items: 3, min_answered_share: 0.6}")
    _, report = run(tmp_path, SL_ROWS, quality)
    assert report.straightliners["respondent"].tolist() == ["r2", "r4", "r5"]
    assert math.ceil(0.6 * 3) == 2 and math.ceil(0.8 * 3) == 3


def test_straightliners_exclude_action_and_min_grids(tmp_path):
    quality = BASE_QUALITY.replace("action: flag", "action: exclude")
    responses, report = run(tmp_path, SL_ROWS, quality)
    assert report.exclusions[["respondent", "reasons", "excluded"]].values.tolist() == [
        ["r2", "straightlined needs", True]
    ]
    assert "r2" not in report.apply(responses).data.index

    # with one grid in the study, min_grids: 2 can never be reached: listed, not flagged
    quality = BASE_QUALITY.replace("min_items: 3}", "min_items: 3, min_grids: 2}")
    _, report = run(tmp_path / "b", SL_ROWS, quality)
    assert report.straightliners["flagged"].tolist() == [False]
    assert report.exclusions.empty


def test_no_likert_grid_means_not_run(tmp_path):
    # the needs block has 3 items, fewer than min_items: 4
    _, report = run(tmp_path, SL_ROWS, BASE_QUALITY.replace("min_items: 3", "min_items: 4"))
    row = summary_row(report, "straightliners")
    assert row["action"] == "not run"
    assert row["description"].startswith("not run (no grid of at least 4 items")
    assert report.straightliners.empty


OUTCOMES_BLOCK = """\
  jobs:
    kind: outcomes
    importance_scale: agree5
    satisfaction_scale: agree5
    outcomes:
      - {id: o1, text: "Få varer hurtigt"}
      - {id: o2, text: "Undgå fejl"}
      - {id: o3, text: "Find den rigtige vare"}
"""
OUT_COLS = ["o1_imp", "o1_sat", "o2_imp", "o2_sat", "o3_imp", "o3_sat"]


def test_outcomes_importance_and_satisfaction_are_separate_grids(tmp_path):
    header = HEADER + OUT_COLS
    rows = [
        resp("r1", (3, 4, 2)) + ["4", "2", "4", "3", "4", "1"],  # importance all 4: one grid
        resp("r2", (5, 5, 5)) + ["5", "5", "5", "5", "5", "5"],  # three grids
        resp("r3", (2, 3, 4)) + ["4", "4", "5", "4", "3", "4"],  # satisfaction all 4; importance varies
    ]
    quality = BASE_QUALITY.replace("min_items: 3}", "min_items: 3, min_grids: 2}")
    study, responses = build(tmp_path, rows, quality, header=header, blocks_extra=OUTCOMES_BLOCK)
    assert grids(study.columns, min_items=3) == {
        "needs": ["n1", "n2", "n3"],
        "jobs (importance)": ["o1_imp", "o2_imp", "o3_imp"],
        "jobs (satisfaction)": ["o1_sat", "o2_sat", "o3_sat"],
    }
    report = check_quality(responses, study)
    sl = report.straightliners
    assert sl["respondent"].tolist() == ["r1", "r2", "r3"]
    assert sl["grids"].tolist() == [
        "jobs (importance)", "needs, jobs (importance), jobs (satisfaction)", "jobs (satisfaction)"
    ]
    assert sl["count"].tolist() == [1, 3, 1]
    assert sl["flagged"].tolist() == [False, True, False]


# --------------------------------------------------------------------------- speeders


def test_speeder_threshold_is_ratio_times_median(tmp_path):
    # durations 20, 150, 300, 300, 400: median 300; ratio 0.5 -> threshold 150 (not below it)
    secs = {"r1": 300, "r2": 150, "r3": 400, "r4": 20, "r5": 300}
    rows = [resp(r, (1 + i % 4, 2, 3 + i % 2), secs=s) for i, (r, s) in enumerate(secs.items())]
    quality = BASE_QUALITY + "  speeders: {action: flag, ratio_to_median: 0.5}\n"
    _, report = run(tmp_path, rows, quality)
    median = float(np.median(list(secs.values())))
    assert median == 300
    sp = report.speeders
    assert sp["respondent"].tolist() == ["r4"]  # r2 sits exactly on the threshold: not a speeder
    assert sp["median"].tolist() == [300]
    assert sp["threshold"].tolist() == [0.5 * median]
    assert sp["ratio"].tolist() == [pytest.approx(20 / 300)]
    assert report.exclusions[["respondent", "reasons", "excluded"]].values.tolist() == [
        ["r4", "speeder: 20, threshold 150 (flagged only)", False]
    ]


def test_speeders_default_ratio_and_exclusion(tmp_path):
    # durations 300, 410, 380, 20: median (300 + 380) / 2 = 340; threshold 340 / 3
    rows = [resp("r1", secs=300), resp("r2", (1, 2, 3), secs=410), resp("r3", (2, 4, 5), secs=380),
            resp("r4", (5, 4, 1), secs=20)]
    responses, report = run(tmp_path, rows)
    assert report.speeders["threshold"].tolist() == [pytest.approx(340 / 3)]
    assert report.exclusions["reasons"].tolist() == ["speeder: 20, threshold 113.3"]
    assert report.apply(responses).n == 3


def test_zero_and_blank_durations_are_not_judged(tmp_path):
    # usable: 300, 400, 500, 600 -> median 450, threshold 150; 0 and blank are not speeders
    rows = [resp("r1", secs=0), resp("r2", (1, 2, 3), secs=""), resp("r3", (2, 4, 5), secs=300),
            resp("r4", (5, 4, 1), secs=400), resp("r5", (2, 1, 3), secs=500), resp("r6", (3, 3, 4), secs=600)]
    study, responses = build(tmp_path, rows)
    with pytest.warns(WorkbenchWarning, match=r"2 respondent rows have no usable duration in 'secs' \(1 blank, 1 zero"):
        report = check_quality(responses, study)
    assert report.speeders.empty
    row = summary_row(report, "speeders")
    assert "450" in row["threshold"] and "150" in row["threshold"]
    assert "2 rows without a usable duration were not checked" in row["description"]


def test_no_duration_column_declared(tmp_path):
    quality = "  duplicates: keep_last\n  straightliners: {action: flag, min_items: 3}\n"
    _, report = run(tmp_path, [resp("r1", secs=1), resp("r2", (1, 2, 3), secs=500)], quality)
    row = summary_row(report, "speeders")
    assert row["action"] == "not run"
    assert row["description"] == "not run (no duration column declared)"
    assert report.speeders.empty


# --------------------------------------------------------------------------- missing

MISSING_ROWS = [
    resp("r1", (3, 4, 2), size=1, eksport=0, why="Gode priser"),
    resp("r2", (4, 98, ""), size=2, eksport=1),
    resp("r3", (98, 98, 98), size="", eksport=0),
    resp("r4", ("", "", ""), size="", eksport="", why="Kun fritekst"),  # nothing analysed answered
]
MISSING_QUALITY = BASE_QUALITY + "  missing: {action: exclude, max_respondent_share: 0.5, max_item_share: 0.3}\n"


def test_missing_shares_by_respondent_and_item(tmp_path):
    responses, report = run(tmp_path, MISSING_ROWS, MISSING_QUALITY)
    # analysed: n1, n2, n3 (needs), size, eksport (firmographics); not why (verbatim), secs (screening)
    mr = report.missing_respondents
    assert mr["items"].tolist() == [5, 5, 5, 5]
    assert mr["missing"].tolist() == [0, 2, 4, 5]
    assert mr["don't know"].tolist() == [0, 1, 3, 0]
    assert mr["share"].tolist() == [0, 2 / 5, 4 / 5, 1.0]
    assert mr["flagged"].tolist() == [False, False, True, True]

    mi = report.missing_items.set_index("item")
    assert list(mi.index) == ["n1", "n2", "n3", "size", "eksport"]
    assert mi["missing share"].tolist() == [2 / 4, 3 / 4, 3 / 4, 2 / 4, 1 / 4]
    assert mi["don't know share"].tolist() == [1 / 4, 2 / 4, 1 / 4, 0, 0]
    assert mi["blank"].tolist() == [1, 1, 2, 2, 1]
    assert mi["flagged"].tolist() == [True, True, True, True, False]

    assert report.exclusions[["respondent", "reasons"]].values.tolist() == [
        ["r3", "80% of answers missing, limit 50%"],
        ["r4", "100% of answers missing, limit 50%"],
    ]
    clean = report.apply(responses)
    assert list(clean.data.index) == ["r1", "r2"]
    assert summary_row(report, "missing (items)")[["flagged", "excluded"]].tolist() == [4, 0]


def test_not_asked_columns_do_not_count_as_missing_and_are_listed(tmp_path):
    header = [h for h in HEADER if h != "eksport"] + ["extra"]
    rows = [[*r[:6], *r[7:], "x"] for r in MISSING_ROWS]  # drop eksport, add an undeclared column
    _, report = run(tmp_path, rows, MISSING_QUALITY, header=header,
                    wave_extra="    not_asked: [eksport]\n")
    assert report.missing_items["item"].tolist() == ["n1", "n2", "n3", "size"]
    assert report.missing_respondents["missing"].tolist() == [0, 2, 4, 4]
    assert report.missing_respondents["share"].tolist() == [0, 2 / 4, 1.0, 1.0]
    assert report.columns[["column", "issue"]].values.tolist() == [["extra", "unexpected"], ["eksport", "not asked"]]


def test_spss_label_mismatch_is_listed(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    folder = tmp_path / "s"
    folder.mkdir()
    frame = pd.DataFrame({
        "rid": ["r1", "r2"], "kunde": ["C1", "C2"], "n1": [1.0, 5.0], "n2": [2.0, 3.0], "n3": [3.0, 4.0],
        "size": [1.0, 2.0], "eksport": [0.0, 1.0], "why": ["a", "b"], "secs": [300.0, 310.0],
        "email": ["a@b.dk", "c@d.se"],
    })
    labels = {1.0: "Helt uenig", 2.0: "Uenig", 3.0: "Hverken eller", 4.0: "Enig", 5.0: "Meget enig"}
    pyreadstat.write_sav(frame, str(folder / "w1.sav"), variable_value_labels={"n1": labels})
    (folder / "study.yaml").write_text(study_text(files="[w1.sav]"), encoding="utf-8")
    study = load_study(folder)
    report = check_quality(read_responses(study, "1"), study)
    assert report.columns.values.tolist() == [
        ["n1", "label mismatch", "w1.sav", "code 5: the file says 'Meget enig', the study says 'Helt enig'"]
    ]


# --------------------------------------------------------------------------- out of range

OOR_ROWS = [resp("r1", (3, 4, 2)), resp("r2", (7, 4, 2)), resp("r3", (2, 3, 5))]


def test_out_of_range_set_missing_only_flags(tmp_path):
    responses, report = run(tmp_path, OOR_ROWS, BASE_QUALITY + "  out_of_range: set_missing\n")
    oor = report.out_of_range
    assert oor[["respondent", "row", "column", "value", "action"]].values.tolist() == [
        ["r2", 3, "n1", 7, "set to missing"]
    ]
    assert report.exclusions[["respondent", "reasons", "excluded"]].values.tolist() == [
        ["r2", "out-of-range code n1=7 set to missing (flagged only)", False]
    ]
    clean = report.apply(responses)
    assert clean.n == 3 and np.isnan(clean.data.loc["r2", "n1"])


def test_out_of_range_exclude_drops_the_respondent(tmp_path):
    responses, report = run(tmp_path, OOR_ROWS, BASE_QUALITY + "  out_of_range: exclude\n")
    assert report.exclusions[["respondent", "reasons", "excluded"]].values.tolist() == [
        ["r2", "out-of-range code n1=7", True]
    ]
    row = summary_row(report, "out of range")
    assert (row["action"], row["flagged"], row["excluded"]) == ("exclude", 1, 1)
    clean = report.apply(responses)
    assert list(clean.data.index) == ["r1", "r3"]
    assert clean.out_of_range.empty  # the excluded row's cell goes with it


# --------------------------------------------------------------------------- exclusions, apply


MERGE_ROWS = [
    resp("r1", (3, 4, 2)),
    resp("r2", (5, 5, 5)),  # straightliner (flag), and an earlier duplicate (excluded)
    resp("r3", (2, 3, 4)),
    resp("r2", (4, 3, 5)),
    resp("r5", ("", "", ""), size="", eksport="", secs=20),  # speeder and all missing
]


def test_exclusions_merge_reasons_one_row_per_respondent_row(tmp_path):
    responses, report = run(tmp_path, MERGE_ROWS, MISSING_QUALITY)
    # durations 300, 300, 300, 300, 20: median 300, threshold 100
    ex = report.exclusions
    assert ex[["respondent", "row"]].values.tolist() == [["r2", 3], ["r5", 6]]
    assert ex["reasons"].tolist() == [
        "duplicate id (kept the later submission); straightlined needs (flagged only)",
        "speeder: 20, threshold 100; 100% of answers missing, limit 50%",
    ]
    assert ex["excluded"].tolist() == [True, True]
    s = report.summary().set_index("check")
    assert s.loc["speeders", "excluded"] == 1 and s.loc["missing (respondents)", "excluded"] == 1
    assert report.text() == (  # what the run summary and `workbench validate` print
        "5 respondents read, 3 kept, 2 excluded (duplicates 1, speeders 1, missing answers 1)\n"
        "flagged only (not excluded by that check): straightliners 1"
    )
    table = str(report).split(report.text() + "\n", 1)[1]  # print(report): the lines, then the checks
    assert table.split()[:2] == ["check", "action"] and "speeders" in table
    clean = report.apply(responses)
    assert clean.data.index.is_unique
    assert list(clean.data.index) == ["r1", "r3", "r2"]
    assert clean.n == report.n_out == report.n_in - ex["excluded"].sum()
    assert len(clean.pii) == len(clean.provenance) == len(clean.special) == 3


def test_apply_refuses_other_responses(tmp_path):
    responses, report = run(tmp_path, MERGE_ROWS, MISSING_QUALITY)
    with pytest.raises(ValueError, match="run check_quality on these responses"):
        report.apply(responses.subset(np.arange(responses.n) < 3))


def test_report_is_deterministic_and_tidy(tmp_path):
    study, responses = build(tmp_path, MERGE_ROWS, MISSING_QUALITY)
    a, b = check_quality(responses, study), check_quality(responses, study)
    for name in ("duplicates", "out_of_range", "straightliners", "speeders", "missing_respondents",
                 "missing_items", "columns", "exclusions"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    s = a.summary()
    assert s.columns.tolist() == ["check", "action", "threshold", "flagged", "excluded", "description"]
    assert s["check"].tolist() == list(CHECKS)
    assert all(isinstance(d, str) and d for d in s["description"])
    for table in (a.exclusions, a.missing_respondents):
        assert table["row"].is_monotonic_increasing
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.n_in = 0  # frozen
    assert "<table" in a._repr_html_()


def test_plot_returns_a_figure(tmp_path):
    from matplotlib.figure import Figure

    _, report = run(tmp_path, MERGE_ROWS, MISSING_QUALITY)
    fig = report.plot()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "duplicates"
    other = Figure()
    ax2 = other.add_subplot()
    assert report.plot(ax=ax2) is other


# --------------------------------------------------------------------------- Excel


SHEETS = ["Summary", "Exclusions", "Duplicates", "Out of range", "Straightliners", "Speeders",
          "Missing by respondent", "Missing by item", "Columns"]


def test_to_excel_writes_every_sheet_without_pii_and_keeps_utf8(tmp_path):
    rows = [r[:] for r in MERGE_ROWS]
    rows[4][0] = "ærø-7"  # the speeder's id
    rows[0][HEADER.index("email")] = "søren@å.dk"
    rows.append(resp("007", (1, 2, 4)))
    _, report = run(tmp_path, rows, MISSING_QUALITY)
    out = tmp_path / "out"
    out.mkdir()
    path = report.to_excel(out)
    assert path == out / "quality.xlsx"

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        note = ws.cell(row=1, column=1).value
        assert isinstance(note, str) and note.endswith("."), ws.title
        values = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
        assert "email" not in values, ws.title
        assert not any("@" in v for v in values), ws.title

    # headers as a client reads them (workbench.core.measures.column_label)
    ex = pd.read_excel(path, sheet_name="Exclusions", skiprows=2, dtype={"Respondent": str})
    assert ex["Respondent"].tolist() == ["r2", "ærø-7"]
    assert "speeder: 20, threshold 100" in ex["Reasons"].iloc[1]
    items = pd.read_excel(path, sheet_name="Missing by item", skiprows=2)
    assert "Personlig rådgivning" in items["Label"].tolist()
    resp_sheet = pd.read_excel(path, sheet_name="Missing by respondent", skiprows=2, dtype={"Respondent": str})
    assert "007" in resp_sheet["Respondent"].tolist()
    summary = pd.read_excel(path, sheet_name="Summary", skiprows=2)
    assert summary["Check"].tolist() == list(CHECKS)
    empty = pd.read_excel(path, sheet_name="Out of range", skiprows=2)
    assert empty.iloc[0, 0] == "nothing found"


def test_to_excel_refuses_a_pii_column(tmp_path):
    _, report = run(tmp_path, MERGE_ROWS, MISSING_QUALITY)
    assert report.pii == ("email",)
    with pytest.raises(OutputError, match="reasons"):
        report.to_excel(tmp_path / "q.xlsx", pii=["reasons"])


def test_workbook_with_personal_data_is_refused_before_writing(tmp_path):
    import pandas as pd

    from workbench.core.errors import OutputError
    from workbench.files.outputs import write_workbook

    frame = pd.DataFrame({"resp": ["r1"], "email": ["a@b.dk"]})
    with pytest.raises(OutputError, match=r"sheet 'Leak'.*personal data column\(s\) email"):
        write_workbook(tmp_path / "x.xlsx", {"Fine": frame[["resp"]], "Leak": frame}, pii=["email"])
    assert not (tmp_path / "x.xlsx").exists()


def test_a_table_of_means_and_percents_formats_each_row_by_its_measure(tmp_path):
    """Profiles hold a mean and a top-2 box % in one column: the % rows read "54.8 %", the mean
    rows keep two decimals; an index column and a count never become percents; a 0-1 share
    column reads in the same style ("26.9 %")."""
    import openpyxl
    import pandas as pd

    from workbench.files.outputs import write_workbook

    frame = pd.DataFrame({
        "label": ["Low prices", "Low prices", "Company size"], "measure": ["mean", "top-2 box %", "% 1-9 employees"],
        "total": [3.5123, 54.75, 24.27], "segment 1": [2.78, 26.87, 15.29], "index": [79.2, 49.1, 63.0],
        "n": [380.0, 380.0, 371.0], "1: Price index": [79.0, 49.0, 63.0], "share": [0.2691, 0.2691, 0.2691]})
    write_workbook(tmp_path / "t.xlsx", {"Needs": frame.set_index(["label", "measure"])})
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["Needs"]
    heads = [c.value for c in ws[1]]
    fmt = {h: [ws.cell(row=r, column=heads.index(h) + 1).number_format for r in (2, 3, 4)] for h in heads}
    assert fmt["Total"] == fmt["Segment 1"] == ["#,##0.00", '0.0" %"', '0.0" %"']
    assert not any("%" in "".join(fmt[h]) for h in ("Index (100 = average)", "n", "1: Price index"))
    assert fmt["Share"] == ["0.0 %"] * 3
    # an interval in the unit of its estimate: a share's bounds in %, a mean's with decimals
    sizes = pd.DataFrame({"segment": [1, 2], "share": [0.2687, 0.2163], "ci_low": [0.248, 0.197], "ci_high": [0.29, 0.237],
                          "mean": [3.51, 3.2], "low": [3.4, 3.1], "high": [3.6, 3.3], "probability": [0.97, 0.02],
                          "se": [0.01, 0.005], "p_permutation": [0.05, 0.0004]})
    write_workbook(tmp_path / "s.xlsx", {"Sizes": sizes})
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["Sizes"]
    got = {c.value: ws.cell(row=2, column=c.column).number_format for c in ws[1]}
    assert got["Share"] == got["Ci low"] == got["Ci high"] == got["Probability"] == got["Se"] == "0.0 %"
    assert got["Mean"] == got["Low"] == got["High"] == "#,##0.00"
    assert got["P permutation"] == '[<0.001]"< 0.001";0.0000'
    # distal outcomes: a category level's share in % (0-1), a mean with decimals
    distal = pd.DataFrame({"outcome": ["rfm_tier", "rfm_tier", "revenue"], "level": ["gold", "silver", "mean"],
                           "segment": [1, 1, 1], "adjusted": [0.1421, 0.3312, 9794.38], "n": [1983, 1983, 1983]})
    write_workbook(tmp_path / "d.xlsx", {"Distal": distal})
    ws = openpyxl.load_workbook(tmp_path / "d.xlsx")["Distal"]
    col = [c.value for c in ws[1]].index("Adjusted") + 1
    assert [ws.cell(row=r, column=col).number_format for r in (2, 3, 4)] == ["0.0 %", "0.0 %", "#,##0.00"]


def test_workbook_figures_get_readable_number_formats(tmp_path):
    import openpyxl
    import pandas as pd

    from workbench.files.outputs import write_workbook

    frame = pd.DataFrame({"label": ["Lave priser"], "share %": [85.37620216670413], "p": [0.000123], "n": [380]})
    write_workbook(tmp_path / "t.xlsx", {"Tabel": frame})
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["Tabel"]
    # a share in % with a % sign, a p-value as 0.0000 or "< 0.001" (issue 17), a count as is
    assert [c.number_format for c in ws[2]] == ["General", '0.0" %"', '[<0.001]"< 0.001";0.0000', "General"]
    assert [c.value for c in ws[1]] == ["Label", "Share %", "P-value", "n"]
    assert ws.auto_filter.ref == "A1:D2"
    assert ws[2][1].value == 85.37620216670413  # the value itself is not rounded away
    assert ws.freeze_panes == "A2"
