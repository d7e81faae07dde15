"""Golden questions and the typing tool: planted structure, exactness, Excel = Python."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import time
import uuid
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from workbench.core.errors import AnalysisError, DataError, OutputError, WorkbenchWarning
from workbench.core.stats import mlogit_fit
from workbench.waves.golden import PATH_COLUMNS, TypingTool, select_golden_questions

# --------------------------------------------------------------------------- planted data
# 20 five-point items; three (q05, q12, q18) carry the segment, each in its own order of
# segment means, so every one of them adds information; the rest are pure noise.
SIGNAL = {"q05": (2.0, 3.2, 4.2), "q12": (2.2, 4.2, 3.0), "q18": (4.0, 2.4, 3.4)}
SD = 0.9


def _code_probs(mu):
    cuts = np.array([-np.inf, 1.5, 2.5, 3.5, 4.5, np.inf])
    return np.diff(norm.cdf((cuts - mu) / SD))


def planted(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    seg = rng.integers(0, 3, n)
    cols = [f"q{j + 1:02d}" for j in range(20)]
    x = pd.DataFrame(np.clip(np.rint(3 + SD * rng.normal(size=(n, 20))), 1, 5), columns=cols,
                     index=pd.Index([f"R{i:05d}" for i in range(n)], name="rid"))
    for q, mus in SIGNAL.items():
        x[q] = np.clip(np.rint(np.array(mus)[seg] + SD * rng.normal(size=n)), 1, 5)
    return x, pd.Series(seg + 1, index=x.index, name="segment")


def bayes_rate() -> float:
    """Exact accuracy of the Bayes classifier: Σ over answer patterns of max_k π_k P(pattern | k)."""
    probs = {q: np.array([_code_probs(m) for m in mus]) for q, mus in SIGNAL.items()}
    total = 0.0
    for pattern in itertools.product(range(5), repeat=3):
        lik = np.full(3, 1 / 3)
        for q, c in zip(SIGNAL, pattern):
            lik = lik * probs[q][:, c]
        total += lik.max()
    return total


@pytest.fixture(scope="module")
def planted_tool():
    x, y = planted()
    return x, y, select_golden_questions(x, y, max_questions=5, random_state=11)


def test_planted_signal_items_are_chosen_and_selection_stops(planted_tool):
    x, y, tool = planted_tool
    assert set(tool.questions) == set(SIGNAL)  # exactly the three, nothing else
    assert list(tool.path["question"][:3]) == list(tool.questions)
    assert list(tool.path.columns) == PATH_COLUMNS
    assert len(tool.path) == 5  # the whole path is reported, beyond the chosen size
    assert tool.path["chosen"].tolist() == [True, True, True, False, False]
    assert tool.path.loc[3, "gain"] < tool.tolerance <= tool.path.loc[2, "gain"]
    bayes = bayes_rate()
    assert 0.78 < bayes < 0.84
    assert abs(tool.accuracy - bayes) < 0.02
    assert tool.baseline_accuracy == pytest.approx(y.value_counts(normalize=True).max())
    # the confusion matrix is of cross-validated predictions of every respondent
    assert tool.confusion.to_numpy().sum() == len(x)
    assert np.trace(tool.confusion.to_numpy()) / len(x) == pytest.approx(tool.accuracy, abs=0.01)
    assert set(tool.agreement_by_segment.columns) >= {"name", "n", "recall", "precision"}


def test_same_seed_same_selection_and_coefficients(planted_tool):
    x, y, tool = planted_tool
    again = select_golden_questions(x, y, max_questions=5, random_state=11)
    assert again.questions == tool.questions
    pd.testing.assert_frame_equal(again.coefficients, tool.coefficients, check_exact=True)
    pd.testing.assert_frame_equal(again.path, tool.path, check_exact=True)


def test_n_questions_overrides_the_stopping_rule(planted_tool):
    x, y, tool = planted_tool
    two = select_golden_questions(x, y, max_questions=3, n_questions=2, random_state=11)
    assert two.questions == tool.questions[:2]
    assert two.accuracy == pytest.approx(tool.path.loc[1, "accuracy"])
    with pytest.raises(AnalysisError, match="n_questions must lie between 1 and 3"):
        select_golden_questions(x, y, max_questions=3, n_questions=4, random_state=11)


def test_newton_solver_matches_sklearn():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    n = 600
    y = rng.integers(0, 4, n)
    x = rng.normal(size=(n, 5)) + np.eye(4)[y] @ rng.normal(size=(4, 5))
    w = rng.uniform(0.2, 3.0, n)
    b, converged = mlogit_fit(x, y, w, C=0.3)
    assert converged
    ref = LogisticRegression(C=0.3, tol=1e-12, max_iter=5000).fit(x, y, sample_weight=w)
    np.testing.assert_allclose(b[1:].T, ref.coef_, atol=2e-5)
    s = b[0] + x @ b[1:]
    p = np.exp(s - s.max(axis=1, keepdims=True))
    np.testing.assert_allclose(p / p.sum(axis=1, keepdims=True), ref.predict_proba(x), atol=2e-6)


def test_python_scorer_matches_sklearn_on_the_same_answers(planted_tool):
    """The tool's raw-scale formulas = sklearn's pipeline (mean imputation, scaling, logit)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y, tool = planted_tool
    q = list(tool.questions)
    holed = x[q].copy()
    holed.iloc[::7, 0] = np.nan  # skipped answers go to the item mean in both
    filled = holed.fillna(holed.mean())
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-12, max_iter=5000)).fit(filled, y)
    tool2 = select_golden_questions(holed, y, candidates=q, max_questions=3, n_questions=3, random_state=11)
    assert tool2.item_means.to_dict() == pytest.approx(holed.mean().to_dict())
    with pytest.warns(WorkbenchWarning, match="skipped golden question"):
        pred = tool2.predict(holed)
    np.testing.assert_allclose(tool2.predict_proba(holed).to_numpy(), ref.predict_proba(filled), atol=1e-5)
    assert (pred.to_numpy() == ref.predict(filled)).mean() > 0.999


def test_round_trip_through_json_gives_identical_predictions(planted_tool):
    x, y, tool = planted_tool
    doc = json.loads(json.dumps(tool.to_dict(), allow_nan=False))
    back = TypingTool.from_dict(doc)
    assert back.questions == tool.questions and back.segments == tool.segments
    pd.testing.assert_frame_equal(back.predict_proba(x), tool.predict_proba(x), check_exact=True)
    pd.testing.assert_frame_equal(back.path, tool.path, check_dtype=False)
    assert back.accuracy == tool.accuracy
    assert (back.confusion.to_numpy() == tool.confusion.to_numpy()).all()
    with pytest.raises(DataError, match="not the typing tool"):
        TypingTool.from_dict({"format": "something else"})


def test_skipped_answers_are_flagged_and_missing_columns_named(planted_tool):
    x, y, tool = planted_tool
    rows = x[list(tool.questions)].head(3).copy()
    rows.iloc[0, 1] = np.nan
    rows.iloc[2, :] = np.nan
    out = tool.classify(rows)
    assert out["skipped"].tolist() == [1, 0, 3]
    assert out["skipped_questions"].iloc[0] == tool.questions[1]
    assert pd.isna(out["segment"].iloc[2])  # nothing answered: no segment
    filled = rows.iloc[[0]].fillna(tool.item_means)
    assert tool.predict_proba(rows.iloc[[0]]).equals(tool.predict_proba(filled))
    with pytest.raises(DataError, match=f"lack the golden question.*{tool.questions[2]}"):
        tool.predict(rows.drop(columns=tool.questions[2]))
    bad = rows.astype(object)
    bad.iloc[1, 0] = "four"
    with pytest.raises(DataError, match="'four'.*not a number") as err:
        tool.predict(bad)
    assert err.value.column == tool.questions[0]


def test_bad_input_is_refused_with_a_clear_message():
    x, y = planted(n=60, seed=1)
    with pytest.raises(AnalysisError, match="at least two segments"):
        select_golden_questions(x, pd.Series(1, index=x.index))
    one = y.copy()
    one.iloc[0] = 9
    with pytest.raises(AnalysisError, match="segment 9 has 1 respondent"):
        select_golden_questions(x, one)
    with pytest.raises(DataError, match="share no respondent id"):
        select_golden_questions(x, y.set_axis([f"other{i}" for i in range(len(y))]))
    with pytest.raises(DataError, match="q99 are not columns"):
        select_golden_questions(x, y, candidates=["q01", "q99"])


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo_tool(demo_run):
    from workbench.criteria import study_basis

    study = demo_run.study
    membership = demo_run.profiles.membership
    basis = [c for c in study_basis(study) if c in demo_run.clean.data.columns]
    codes = {c: study.columns[c].scale.codes for c in basis}
    labels = {c: study.columns[c].label for c in basis}
    names = {s: n for s, n in zip(sorted(membership.unique()),
                                  ["Prisjægeren", "Den digitale indkøber", "Rådgivningssøgeren", "Bekvemmelig",
                                   "Loyale ĳsselmeer-kunder", "Sjette", "Syvende", "Ottende"])}
    t0 = time.perf_counter()
    tool = select_golden_questions(demo_run.clean.data[basis], membership, random_state=study.seed, labels=labels,
                                   codes=codes, names=names,
                                   provenance={"study": study.id, "wave": demo_run.wave, "segmentation": "chosen"})
    return tool, demo_run.clean.data.loc[membership.index], time.perf_counter() - t0


def test_demo_typing_tool_beats_the_largest_segment(demo_tool):
    tool, answers, _ = demo_tool
    assert 1 <= len(tool.questions) <= 10
    assert tool.accuracy >= tool.baseline_accuracy + 0.3
    assert tool.accuracy > 0.75
    summary = tool.summary()["value"]
    assert summary["cross-validated accuracy"] == round(tool.accuracy, 4)
    assert "typing tool" in str(tool).lower()


def _soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def _recalculate(path, tmp_path):
    """Open the workbook in LibreOffice headless (private profile, recalculate on load), save a copy."""
    exe = _soffice()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is needed in CI to check the Excel typing tool")
        pytest.skip("LibreOffice (soffice) is not installed; the Excel typing tool is not recalculated")
    profile = tmp_path / f"lo-profile-{uuid.uuid4().hex[:8]}"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    out = tmp_path / "recalculated"
    out.mkdir()
    subprocess.run([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--calc", "--convert-to", "xlsx",
                    "--outdir", str(out), str(path)], check=True, capture_output=True, timeout=180)
    return out / path.name


def test_excel_typing_tool_computes_the_python_segment(demo_tool, tmp_path):
    import openpyxl

    tool, answers, _ = demo_tool
    q = list(tool.questions)
    path = tool.to_excel(tmp_path / "typing_tool.xlsx", batch_rows=60)
    sample = answers[q].iloc[::37].head(30).copy()
    sample.iloc[3, 0] = np.nan  # a skipped question: the item mean, in both
    sample.iloc[5, :2] = np.nan
    sample.iloc[7, :] = np.nan  # nothing answered: no segment, in both
    wb = openpyxl.load_workbook(path)
    batch = wb["Batch"]
    for i, (rid, row) in enumerate(sample.iterrows()):
        batch.cell(row=5 + i, column=1, value=str(rid))
        for j, v in enumerate(row):
            if not pd.isna(v):
                batch.cell(row=5 + i, column=2 + j, value=float(v))
    typed = wb["Type a customer"]
    first_q = 8 + len(tool.segments) + 2
    one = sample.iloc[[5]]
    for j, v in enumerate(one.iloc[0]):
        if not pd.isna(v):
            typed.cell(row=first_q + j, column=4, value=int(v))
    wb.save(path)

    done = _recalculate(path, tmp_path)
    with warnings.catch_warnings():  # LibreOffice's data-bar extension, which openpyxl does not read
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(done, data_only=True)
    batch = wb["Batch"]
    m, k = len(q), len(tool.segments)
    got_seg = [batch.cell(row=5 + i, column=2 + m).value for i in range(len(sample))]
    got_p = [batch.cell(row=5 + i, column=3 + m).value for i in range(len(sample))]
    got_probs = np.array([[batch.cell(row=5 + i, column=6 + m + c).value or np.nan for c in range(k)]
                          for i in range(len(sample))], dtype=float)
    assert any(v not in (None, "") for v in got_seg), "LibreOffice did not recalculate the formulas"
    out = tool.classify(sample)
    want = [tool.segment_names[s] if not pd.isna(s) else None for s in out["segment"]]
    assert [v if v != "" else None for v in got_seg] == want
    answered = out["segment"].notna().to_numpy()
    np.testing.assert_allclose(np.array(got_p, dtype=object)[answered].astype(float),
                               out["probability"].to_numpy()[answered], atol=1e-9)
    np.testing.assert_allclose(got_probs[answered], tool.predict_proba(sample).to_numpy()[answered], atol=1e-9)
    # the one-customer sheet
    typed = wb["Type a customer"]
    assert typed["C4"].value == tool.segment_names[out["segment"].iloc[5]]
    assert typed["E4"].value == pytest.approx(out["probability"].iloc[5], abs=1e-9)
    assert typed["A5"].value.startswith(f"{out['skipped'].iloc[5]} of {m} questions not answered")


def test_excel_workbook_is_built_for_people(demo_tool, tmp_path):
    import openpyxl

    tool, _, _ = demo_tool
    path = tool.to_excel(tmp_path / "tool.xlsx", title="Typeværktøj – Grossisten", batch_rows=20)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Type a customer", "Batch", "Model", "About"]
    typed = wb["Type a customer"]
    assert typed["A1"].value == "Typeværktøj – Grossisten"
    first_q = 8 + len(tool.segments) + 2
    dv = typed.data_validations.dataValidation
    assert len(dv) == len(tool.questions) and all(v.type == "list" for v in dv)
    assert dv[0].formula1 == '"1,2,3,4,5"'
    assert typed.cell(row=first_q, column=4).protection.locked is False  # input cell
    assert typed.cell(row=first_q, column=5).protection.locked is True  # formula cell
    assert typed.protection.sheet
    assert typed.cell(row=first_q, column=3).value.startswith("1 = ")  # answer codes with their labels
    model = wb["Model"]
    assert model.cell(row=5, column=4).value == pytest.approx(tool.coefficients.iloc[0, 0])
    names = [model.cell(row=4, column=4 + i).value for i in range(len(tool.segments))]
    assert names == [tool.segment_names[s] for s in tool.segments]
    assert "Rådgivningssøgeren" in names and any("ĳ" in n for n in names)
    about = " ".join(str(c.value) for row in wb["About"].iter_rows() for c in row if c.value is not None)
    assert f"{tool.accuracy:.1%}" in about and "wave 1" in about
    import zipfile

    assert not any("vba" in n.lower() for n in zipfile.ZipFile(path).namelist())  # no macros
    with pytest.raises(OutputError, match="personal data"):
        tool.to_excel(tmp_path / "x.xlsx", pii=[tool.questions[0]])


def test_typing_tool_selects_the_full_path(demo_tool):
    """24 items, 10 steps, 5 folds on ~1,400 respondents (its time is reported, not asserted:
    speed is measured by benchmarks, never by a timed test)."""
    tool, answers, seconds = demo_tool
    assert len(tool.path) == 10
    assert seconds > 0
