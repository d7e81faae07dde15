"""Readers: every supported format gives the same Responses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from conftest import MINI_ROWS, MINI_STUDY, write_mini
from workbench.core.errors import DataError
from workbench.data.readers import read_responses
from workbench.study import load_study

EXPECTED_N1 = [1.0, 5.0, 4.0, 2.0]


def _read(folder, wave="1"):
    return read_responses(load_study(folder), wave)


def _study_with_file(name, extra=""):
    return MINI_STUDY.replace("files: [w1.csv]", f"files: [{name}]{extra}")


def test_plain_csv(mini):
    r = _read(mini)
    assert r.n == 4 and list(r.data.index) == ["r1", "r2", "r3", "r4"]
    assert r.data["n1"].tolist() == EXPECTED_N1
    assert np.isnan(r.data.loc["r3", "n2"]) and r.special.loc["r3", "n2"] == 98
    assert r.data.loc["r2", "why"] == "Hurtig levering, også på lørdag"
    assert "email" not in r.data and r.pii.loc["r1", "email"] == "a@b.dk"
    assert r.data["kunde"].tolist() == ["C1", "C2", "C3", "C4"]
    assert r.provenance.loc["r4", "row"] == 5


def test_semicolon_decimal_comma_with_bom(tmp_path):
    rows = [list(r) for r in MINI_ROWS]
    rows[1][8] = "300,5"
    folder = write_mini(tmp_path / "s", rows=rows, delimiter=";", encoding="utf-8-sig")
    assert (folder / "w1.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    r = _read(folder)
    assert r.data.loc["r1", "secs"] == 300.5
    assert r.data["n1"].tolist() == EXPECTED_N1
    assert r.data.loc["r3", "why"] == "Rådgivningen er guld værd"


def test_tab_separated(tmp_path):
    r = _read(write_mini(tmp_path / "s", delimiter="\t"))
    assert r.data["n1"].tolist() == EXPECTED_N1


def test_xlsx_with_numbers_and_text(tmp_path):
    folder = write_mini(tmp_path / "s", study=_study_with_file("w1.xlsx"))
    frame = pd.DataFrame(MINI_ROWS[1:], columns=MINI_ROWS[0])
    for c in ("n1", "n2", "size", "eksport", "secs"):
        frame[c] = pd.to_numeric(frame[c])
    frame.to_excel(folder / "w1.xlsx", index=False)
    r = _read(folder)
    assert r.data["n1"].tolist() == EXPECTED_N1
    assert r.data.loc["r2", "why"] == "Hurtig levering, også på lørdag"
    assert r.provenance.loc["r2", "row"] == 3 and r.formats == ["xlsx"]


def test_spss_with_labels(tmp_path):
    folder = write_mini(tmp_path / "s", study=_study_with_file("w1.sav"))
    frame = pd.DataFrame(MINI_ROWS[1:], columns=MINI_ROWS[0])
    for c in ("n1", "n2", "n3", "size", "eksport", "secs"):
        frame[c] = pd.to_numeric(frame[c])
    pyreadstat.write_sav(
        frame, str(folder / "w1.sav"),
        column_labels={"n1": "Lave priser"},
        variable_value_labels={"n1": {1: "Helt uenig", 5: "Helt enig"}, "size": {1: "Små", 4: "Kæmpe"}},
    )
    r = _read(folder)
    assert r.data["n1"].tolist() == EXPECTED_N1
    assert r.special.loc["r3", "n2"] == 98
    assert r.data.loc["r3", "why"] == "Rådgivningen er guld værd"
    assert r.provenance.loc["r4", "row"] == 4  # SPSS: case number
    # code 4 'Kæmpe' is labelled in the file but not on the study's size scale
    mism = r.label_mismatches
    assert mism[["column", "code", "label in file"]].values.tolist() == [["size", 4, "Kæmpe"]]


def test_qualtrics_export_with_choice_text(tmp_path):
    header = MINI_ROWS[0] + ["StartDate", "IPAddress"]
    texts = ["Respondent", "Kunde", "Lave priser", "Hurtig levering", "Rådgivning", "Størrelse", "Eksport", "Hvorfor", "Varighed", "E-mail", "Start Date", "IP Address"]
    ids = ['{"ImportId":"%s"}' % h for h in header]
    body = [r + ["2026-01-06 10:00:00", "10.0.0.1"] for r in MINI_ROWS[1:]]
    body[0][2] = "Helt uenig"  # choice text instead of the code 1
    folder = write_mini(tmp_path / "s", rows=[header, texts, ids] + body)
    r = _read(folder)
    assert r.formats == ["qualtrics"]
    assert r.data["n1"].tolist() == EXPECTED_N1
    assert r.provenance.loc["r1", "row"] == 4  # header, question texts, import ids, then data
    assert r.unexpected_columns == []  # Qualtrics' own metadata columns are known


def test_several_files_per_wave_are_stacked(tmp_path):
    folder = write_mini(tmp_path / "s", study=_study_with_file("dk.csv, se.csv"), rows=MINI_ROWS[:3], name="dk.csv")
    write_mini(folder, study=_study_with_file("dk.csv, se.csv"), rows=[MINI_ROWS[0]] + MINI_ROWS[3:], name="se.csv")
    r = _read(folder)
    assert r.n == 4
    assert r.provenance["file"].str.endswith("se.csv").tolist() == [False, False, True, True]
    assert r.provenance["row"].tolist() == [2, 3, 2, 3]


def test_unexpected_columns_are_reported_not_fatal(tmp_path):
    rows = [r + [x] for r, x in zip(MINI_ROWS, ["panel_source", "a", "b", "c", "d"])]
    r = _read(write_mini(tmp_path / "s", rows=rows))
    assert r.unexpected_columns == ["panel_source"] and "panel_source" not in r.data


def test_trailing_empty_lines_are_not_respondents(tmp_path):
    rows = MINI_ROWS + [[""] * len(MINI_ROWS[0])] * 2
    r = _read(write_mini(tmp_path / "s", rows=rows, delimiter=";"))
    assert r.n == 4


def test_not_asked_columns_are_allowed_and_empty(tmp_path):
    study = MINI_STUDY.replace("fieldwork_end: 2026-01-30", "fieldwork_end: 2026-01-30\n    not_asked: [eksport]")
    rows = [[c for j, c in enumerate(r) if j != 6] for r in MINI_ROWS]
    r = _read(write_mini(tmp_path / "s", study=study, rows=rows))
    assert r.data["eksport"].isna().all() and r.missing_columns == ["eksport"]


def test_labelled_view_uses_study_labels(mini):
    lab = _read(mini).labelled("size")
    assert lab.tolist() == ["Små", "Mellem", "Store", "Små"] and lab.cat.ordered


def test_weights_must_be_positive(tmp_path):
    study = MINI_STUDY.replace("seed: 7", "seed: 7\nweight: w")
    rows = [r + [w] for r, w in zip(MINI_ROWS, ["w", "1.2", "0.8", "1", "0"])]
    with pytest.raises(DataError, match=r"w1\.csv, row 5, column 'w': the weight must be a positive number, found '0'"):
        _read(write_mini(tmp_path / "s", study=study, rows=rows))


def test_declared_legacy_encoding_is_read(tmp_path):
    study = MINI_STUDY.replace("files: [w1.csv]", "files: [w1.csv]\n    encoding: cp1252")
    r = _read(write_mini(tmp_path / "s", study=study, encoding="cp1252", delimiter=";"))
    assert r.data.loc["r1", "why"] == "Gode priser på rør"


def test_named_xlsx_sheet(tmp_path):
    folder = write_mini(tmp_path / "s", study=_study_with_file("w1.xlsx", "\n    sheet: Svar"))
    frame = pd.DataFrame(MINI_ROWS[1:], columns=MINI_ROWS[0])
    with pd.ExcelWriter(folder / "w1.xlsx") as xw:
        pd.DataFrame({"note": ["Eksporteret fra Qualtrics"]}).to_excel(xw, sheet_name="Om", index=False)
        frame.to_excel(xw, sheet_name="Svar", index=False)
    assert _read(folder).data["n1"].tolist() == EXPECTED_N1
    folder2 = write_mini(tmp_path / "t", study=_study_with_file("w1.xlsx", "\n    sheet: Answers"))
    frame.to_excel(folder2 / "w1.xlsx", index=False, sheet_name="Svar")
    with pytest.raises(DataError, match=r"w1\.xlsx: no sheet 'Answers' in the workbook; its sheets are: Svar"):
        _read(folder2)
