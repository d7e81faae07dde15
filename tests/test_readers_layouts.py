"""Real export layouts (issue 30) and the one reader registry (issue 23): SurveyMonkey's two
header rows, a title block above the header, several files per wave with answer text in two
languages; ``workbench classify`` reads what a wave reads."""

from __future__ import annotations

import csv
import io
import textwrap

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from workbench.core.errors import DataError
from workbench.data.readers import READERS, read_responses
from workbench.study import load_study
from workbench.waves.classify import read_answers

STUDY = textwrap.dedent("""\
    study: {{name: Layouts, id: layouts, language: en}}
    respondent_id: "{rid}"
    waves:
      - id: "1"
        files: {files}
    {wave_extra}
    scales:
      sat:
        type: likert
        codes: {{1: Very dissatisfied, 2: Dissatisfied, 3: Neutral, 4: Satisfied, 5: Very satisfied}}
        labels:
          sv: {{1: Mycket missnöjd, 2: Missnöjd, 3: Neutral, 4: Nöjd, 5: Mycket nöjd}}
          da: {{1: Meget utilfreds, 2: Utilfreds, 3: Neutral, 4: Tilfreds, 5: Meget tilfreds}}
    blocks:
      needs:
        kind: needs
        scale: sat
        questions:
          - {{id: overall, text: "How satisfied are you overall?"}}
          - {{id: price, text: "Price"}}
          - {{id: speed, text: "Delivery speed"}}
          - {{id: service, text: "Service"}}
    """)

CODES = np.array([[5, 4, 3, 2], [1, 2, 3, 4], [3, 3, 5, 1], [4, 5, 1, 2]], dtype=float)
EN = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neutral", 4: "Satisfied", 5: "Very satisfied"}
SV = {1: "Mycket missnöjd", 2: "Missnöjd", 3: "Neutral", 4: "Nöjd", 5: "Mycket nöjd"}
DA = {1: "Meget utilfreds", 2: "Utilfreds", 3: "Neutral", 4: "Tilfreds", 5: "Meget tilfreds"}


def _study(folder, files, rid="rid", wave_extra=""):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(STUDY.format(rid=rid, files=files, wave_extra=wave_extra), encoding="utf-8")
    return load_study(folder / "study.yaml")


def _csv(path, rows, encoding="utf-8"):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _surveymonkey_rows(labels=EN):
    head1 = ["Respondent ID", "Collector ID", "Start Date", "How satisfied are you overall?",
             "How satisfied are you with each of the following?", "", ""]
    head2 = ["", "", "", "Response", "Price", "Delivery speed", "Service"]
    body = [[f"11{i}", "4321", "03/02/2026", *[labels[int(c)] for c in row]] for i, row in enumerate(CODES)]
    return [head1, head2, *body]


def test_surveymonkey_two_header_rows_are_read_by_question_text(tmp_path):
    _csv(tmp_path / "sm.csv", _surveymonkey_rows())
    study = _study(tmp_path, "[sm.csv]", rid="Respondent ID")
    r = read_responses(study, "1")
    assert r.formats == ["surveymonkey"]
    np.testing.assert_array_equal(r.data[["overall", "price", "speed", "service"]].to_numpy(), CODES)
    assert list(r.data.index) == ["110", "111", "112", "113"]
    assert r.unexpected_columns == []  # SurveyMonkey's own columns are known
    assert r.provenance["row"].tolist() == [3, 4, 5, 6]


def test_surveymonkey_workbook_declared_with_a_title_block(tmp_path):
    rows = [["Customer survey 2026 - Sweden", None], [None, None], *_surveymonkey_rows(SV)]
    pd.DataFrame(rows).to_excel(tmp_path / "se.xlsx", header=False, index=False)
    study = _study(tmp_path, "[{file: se.xlsx, format: surveymonkey, language: sv}]", rid="Respondent ID")
    r = read_responses(study, "1")
    np.testing.assert_array_equal(r.data[["overall", "price", "speed", "service"]].to_numpy(), CODES)
    assert any("row 3" in n and "title block" in n for n in r.notes)


def _plain_rows(labels, prefix="r"):
    return [["rid", "overall", "price", "speed", "service"],
            *[[f"{prefix}{i}", *[labels[int(c)] for c in row]] for i, row in enumerate(CODES)]]


def test_title_block_is_found_and_said_or_declared(tmp_path):
    rows = [["Kundeundersøgelse 2026", None, None, None, None], ["Udtræk 3. marts", None, None, None, None],
            *_plain_rows(EN)]
    pd.DataFrame(rows).to_excel(tmp_path / "dk.xlsx", header=False, index=False)
    found = read_responses(_study(tmp_path, "[dk.xlsx]"), "1")
    np.testing.assert_array_equal(found.data[["overall", "price", "speed", "service"]].to_numpy(), CODES)
    note = " ".join(found.notes)
    assert "row 3" in note and "Kundeundersøgelse 2026" in note and "header_row: 3" in note
    assert found.provenance["row"].tolist() == [4, 5, 6, 7]
    declared = read_responses(_study(tmp_path, "[dk.xlsx]", wave_extra="    header_row: 3"), "1")
    assert declared.notes == () and declared.data.equals(found.data)
    with pytest.raises(DataError, match="header_row: 30 is past the end of the file"):
        read_responses(_study(tmp_path, "[dk.xlsx]", wave_extra="    header_row: 30"), "1")


def test_a_header_that_cannot_be_found_says_what_to_do(tmp_path):
    rows = [["Kundeundersøgelse 2026", "", "", "", ""], *_plain_rows(EN)[1:]]  # the names row is missing
    _csv(tmp_path / "t.csv", rows)
    with pytest.raises(DataError) as err:
        read_responses(_study(tmp_path, "[t.csv]"), "1")
    msg = str(err.value)
    assert "names only 1 of 5 columns ('Kundeundersøgelse 2026')" in msg
    assert "header_row:" in msg and "format: surveymonkey" in msg and "row 1" in msg


def test_two_markets_in_one_wave_answer_in_two_languages(tmp_path):
    _csv(tmp_path / "dk.csv", _plain_rows(DA, "dk"))
    _csv(tmp_path / "se.csv", _plain_rows(SV, "se"))
    both = "[{file: dk.csv, language: da}, {file: se.csv, language: sv}]"
    r = read_responses(_study(tmp_path, both), "1")
    np.testing.assert_array_equal(r.data[["overall", "price", "speed", "service"]].to_numpy(), np.vstack([CODES, CODES]))
    # without a declared language a text read in exactly one language is still read
    r2 = read_responses(_study(tmp_path, "[dk.csv, se.csv]"), "1")
    assert r2.data.equals(r.data)
    # a text the file's language does not have is named with what to do
    rows = _plain_rows(SV, "se")
    rows[2][2] = "Ganska nöjd"
    _csv(tmp_path / "se.csv", rows)
    with pytest.raises(DataError, match="'Ganska nöjd' where a code .* is expected; labels known in the study's language and da, sv: fix the answer"):
        read_responses(_study(tmp_path, "[dk.csv, se.csv]"), "1")


def test_registry_names_every_format_once():
    assert set(READERS) == {"csv", "qualtrics", "surveymonkey", "xlsx", "sav"}
    suffixes = [s for r in READERS.values() for s in r.suffixes]
    assert len(suffixes) == len(set(suffixes)) and {".csv", ".xlsx", ".sav"} <= set(suffixes)


def test_classify_reads_what_a_wave_reads(tmp_path):
    frame = pd.DataFrame({"id": ["a1", "a2", "a3"], "q1": [1, 2, 3], "note": ["Sø", "Æble", "Ål"]})
    frame.to_csv(tmp_path / "utf8.csv", index=False)
    frame.to_csv(tmp_path / "ansi.csv", index=False, sep=";", encoding="cp1252")
    frame.to_excel(tmp_path / "book.xlsx", index=False)
    pyreadstat.write_sav(frame, str(tmp_path / "spss.sav"))
    want = read_answers(tmp_path / "utf8.csv")
    assert want.loc["a3", "note"] == "Ål" and want["q1"].tolist() == ["1", "2", "3"]
    for name, kw in (("ansi.csv", {"encoding": "cp1252"}), ("book.xlsx", {}), ("spss.sav", {})):
        got = read_answers(tmp_path / name, **kw)
        pd.testing.assert_frame_equal(got, want, check_names=False)
    with pytest.raises(DataError, match=r"declare the encoding with --encoding \(e\.g\. cp1252\)"):
        read_answers(tmp_path / "ansi.csv")


MULTI = textwrap.dedent("""\
    study: {name: Roller, id: roller, language: da}
    respondent_id: rid
    waves:
      - {id: "1", files: [w1.csv]}
    scales:
      valgt: {type: binary, codes: {0: Ikke valgt, 1: Valgt}}
    blocks:
      roller:
        kind: needs
        multi_select: true
        scale: valgt
        questions:
          - {id: web, text: Webudvikler, label: Web developer}
          - {id: data, text: Dataanalytiker, label: Data analyst}
          - {id: ops, text: Drift, label: Operations}
          - {id: lead, text: Leder, label: Manager}
    """)


def test_select_all_that_apply_reads_ticks_and_blanks_and_says_how(tmp_path):
    (tmp_path / "study.yaml").write_text(MULTI, encoding="utf-8")
    rows = [["rid", "web", "data", "ops", "lead"],
            ["a", "Webudvikler", "", "", ""],             # the option's label where ticked, blank where not
            ["b", "1", "0", "1", "0"],                      # 1 / 0
            ["c", "Valgt", "Ikke valgt", "", "Leder"],      # the scale's labels, mixed
            ["d", "", "", "", ""]]                          # ticked none
    _csv(tmp_path / "w1.csv", rows)
    r = read_responses(load_study(tmp_path / "study.yaml"), "1")
    np.testing.assert_array_equal(r.data[["web", "data", "ops", "lead"]].to_numpy(),
                                  [[1, 0, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1], [0, 0, 0, 0]])
    assert r.notes == ("w1.csv: block roller (select all that apply, 4 options): 8 blank cells of 16 read as not "
                       "selected; 1 of 4 respondents ticked none of the options",)
    rows[2][3] = "Måske"
    _csv(tmp_path / "w1.csv", rows)
    with pytest.raises(DataError, match=r"row 3, column 'ops': found 'Måske' in an option of a select-all-that-apply "
                                        r"block; ticked is the option's label \('Operations'\), 1 or 'Valgt'"):
        read_responses(load_study(tmp_path / "study.yaml"), "1")


def test_a_multi_select_block_needs_a_binary_scale(tmp_path):
    from workbench.core.errors import StudyError

    (tmp_path / "study.yaml").write_text(MULTI.replace("valgt: {type: binary", "valgt: {type: nominal"),
                                         encoding="utf-8")
    (tmp_path / "w1.csv").write_text("rid\n", encoding="utf-8")
    with pytest.raises(StudyError) as err:
        load_study(tmp_path / "study.yaml")
    assert "its scale is binary" in "\n".join(err.value.problems)


def test_profiles_and_personas_speak_of_the_option_not_the_answer(tmp_path):
    from workbench.describe.personas import draft_personas
    from workbench.describe.profiles import profile

    (tmp_path / "study.yaml").write_text(MULTI, encoding="utf-8")
    rng = np.random.default_rng(3)
    n = 200
    seg = np.repeat([1, 2], n // 2)
    web = np.where(seg == 1, 1, rng.random(n) < 0.45).astype(int)       # segment 1: all web developers
    data = np.where(seg == 2, rng.random(n) < 0.9, rng.random(n) < 0.1).astype(int)
    rows = [["rid", "web", "data", "ops", "lead"]] + [
        [f"r{i}", "Webudvikler" if web[i] else "", "Dataanalytiker" if data[i] else "",
         "Drift" if rng.random() < 0.5 else "", ""] for i in range(n)]
    _csv(tmp_path / "w1.csv", rows)
    resp = read_responses(load_study(tmp_path / "study.yaml"), "1")
    labels = pd.Series(seg, index=resp.data.index)
    prof = profile(resp, labels, min_segment_n=10)
    personas = draft_personas(prof, random_state=1)
    p1 = next(p for p in personas if int(p.segment) == 1)
    text = " ".join([p1.name, p1.description, *[x for v in p1.lists.values() for x in v]]) if hasattr(p1, "lists") \
        else repr(p1)
    assert "Valgt" not in text
    total = 100 * web.mean()
    assert f"selected web developer: 100 % vs {total:.0f} %" in text  # the option in lower case after "selected"
    assert p1.name.startswith("Customers who selected web developer")


def test_select_all_that_apply_from_surveymonkey(tmp_path):
    """SurveyMonkey writes a tick-all-that-apply question as one column per option: the question
    text over the first, the options in row 2, the option where ticked and blank where not."""
    study = MULTI.replace("respondent_id: rid", 'respondent_id: "Respondent ID"')
    (tmp_path / "study.yaml").write_text(study, encoding="utf-8")
    rows = [["Respondent ID", "Collector ID", "Hvilke roller har du?", "", "", ""],
            ["", "", "Webudvikler", "Dataanalytiker", "Drift", "Leder"],
            ["901", "77", "Webudvikler", "", "Drift", ""],
            ["902", "77", "", "", "", ""],
            ["903", "77", "", "Dataanalytiker", "", "Leder"]]
    _csv(tmp_path / "w1.csv", rows)
    r = read_responses(load_study(tmp_path / "study.yaml"), "1")
    assert r.formats == ["surveymonkey"] and r.unexpected_columns == []
    np.testing.assert_array_equal(r.data[["web", "data", "ops", "lead"]].to_numpy(),
                                  [[1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 1]])
    assert "8 blank cells of 12 read as not selected; 1 of 3 respondents ticked none" in r.notes[0]
