"""JTBD opportunity scores and forces of progress, against hand computations."""

from __future__ import annotations

import dataclasses
import textwrap

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench.core.errors import AnalysisError
from workbench.describe.opportunities import opportunities, opportunity_score
from workbench.quality import check_quality
from workbench.data.readers import read_responses
from workbench.study import load_study

STUDY = textwrap.dedent(
    """\
    study: {name: "Ugens job", id: jobs}
    respondent_id: rid
    waves:
      - {id: "1", files: [w1.csv]}
    scales:
      imp5:
        type: likert
        codes: {1: Ikke vigtigt, 2: Lidt, 3: Noget, 4: Meget, 5: Afgørende}
        missing: {98: Ved ikke}
      sat5:
        type: likert
        codes: {1: Meget utilfreds, 2: Utilfreds, 3: Hverken eller, 4: Tilfreds, 5: Meget tilfreds}
        missing: {98: Ved ikke, 99: Ikke relevant}
      agree5:
        type: likert
        codes: {1: Helt uenig, 2: Uenig, 3: Hverken eller, 4: Enig, 5: Helt enig}
    blocks:
      mot:
        kind: motivations
        scale: agree5
        questions:
          - {id: m1, text: "Det tager for lang tid", force: push}
          - {id: m2, text: "Det nye lokker", force: pull}
      bar:
        kind: barriers
        scale: agree5
        questions:
          - {id: b1, text: "Vi er bange for fejl", force: anxiety}
          - {id: b2, text: "Vi plejer at ringe", force: habit}
          - {id: b3, text: "Det har vi altid gjort", force: habit}
      out:
        kind: outcomes
        importance_scale: imp5
        satisfaction_scale: sat5
        outcomes:
          - {id: o1, label: Hurtig genbestilling, text: "Minimér tiden til en genbestilling"}
          - {id: o2, label: Nem returnering, text: "Minimér besværet ved returnering"}
    """
)
COLUMNS = ["rid", "m1", "m2", "b1", "b2", "b3", "o1_imp", "o1_sat", "o2_imp", "o2_sat"]
ROWS = [
    # rid   m1 m2 b1 b2 b3 o1i o1s o2i o2s
    ["r1", 5, 1, 2, 4, 5, 5, 1, 2, 5],
    ["r2", 4, 2, 2, 4, 4, 4, 2, 1, 4],
    ["r3", 5, 1, 1, 5, 2, 5, 4, 2, 5],
    ["r4", 4, 3, 2, 2, 4, 4, 1, 5, 4],
    ["r5", 2, 5, 4, 1, 1, 5, 5, 4, 4],
    ["r6", 1, 4, 5, 1, 2, 4, 2, 1, 2],
    ["r7", 2, 5, 4, 2, 1, 4, 99, 2, 5],
    ["r8", 1, 4, 5, 1, 1, 3, 5, 3, 4],
    ["r9", 3, 5, 4, 2, 2, 98, 4, 1, 1],
    ["r10", 2, 4, 5, 1, 4, 2, 2, 4, 5],
]
LABELS = pd.Series(["X"] * 4 + ["Y"] * 6, index=[r[0] for r in ROWS])


@pytest.fixture
def jobs(tmp_path):
    folder = tmp_path / "jobs"
    folder.mkdir()
    (folder / "study.yaml").write_text(STUDY, encoding="utf-8")
    lines = [",".join(COLUMNS)] + [",".join(map(str, r)) for r in ROWS]
    (folder / "w1.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_responses(load_study(folder), "1")


def get(o, segment, outcome):
    t = o.table
    return t[(t["segment"] == segment) & (t["outcome"] == outcome)].iloc[0]


def test_opportunity_formula():
    assert opportunity_score(8.0, 3.0) == 13.0
    assert opportunity_score(4.0, 7.0) == 4.0  # no negative gap
    np.testing.assert_allclose(opportunity_score([6, 9], [6, 2]), [6, 16])


def test_total_and_segment_scores_by_hand(jobs):
    o = opportunities(jobs, LABELS, min_segment_n=1)
    # o1 importance top-2 (4, 5): r1-r7 yes, r8 (3) no, r9 don't know (out), r10 (2) no -> 7 of 9
    # o1 satisfaction top-2: r3, r5, r8, r9 of 9 answering (r7: not applicable) -> 4 of 9
    tot = get(o, "Total", "o1")
    assert tot["importance"] == pytest.approx(70 / 9)
    assert tot["satisfaction"] == pytest.approx(40 / 9)
    assert tot["opportunity"] == pytest.approx(70 / 9 + 30 / 9)  # 11.1
    assert tot["underserved"] and not tot["overserved"]
    assert (tot["n importance"], tot["n satisfaction"]) == (9, 9)
    # o2 importance: r4, r5, r10 of 10 -> 3.0; satisfaction: all but r6, r9 -> 8.0: overserved
    o2 = get(o, "Total", "o2")
    assert (o2["importance"], o2["satisfaction"], o2["opportunity"]) == pytest.approx((3.0, 8.0, 3.0))
    assert o2["overserved"] and not o2["underserved"]
    # segment X (r1-r4): o1 importance 4 of 4 = 10; satisfaction r3 only = 2.5 -> 10 + 7.5
    x = get(o, "X", "o1")
    assert (x["importance"], x["satisfaction"], x["opportunity"]) == pytest.approx((10.0, 2.5, 17.5))
    # segment Y (r5-r10): o1 importance r5, r6, r7 of 5 answering = 6; satisfaction r5, r8, r9 of 5 = 6
    y = get(o, "Y", "o1")
    assert (y["importance"], y["satisfaction"], y["opportunity"]) == pytest.approx((6.0, 6.0, 6.0))
    assert not y["underserved"]
    assert list(o.underserved_outcomes("X")["outcome"]) == ["o1"]
    assert x["label"] == "Hurtig genbestilling"
    assert list(o.summary().columns) == ["Total", "X", "Y"]


def test_weighted_scores_and_study_thresholds(jobs):
    w = pd.Series([3.0, 1, 1, 1, 1, 1, 1, 1, 1, 1], index=LABELS.index)
    o = opportunities(jobs, LABELS, weights=w, underserved=15, overserved_gap=6, min_segment_n=1)
    # o1 satisfaction in X weighted: r3 (w1) of r1 (w3), r2, r3, r4 -> 1/6
    x = get(o, "X", "o1")
    assert x["satisfaction"] == pytest.approx(10 / 6)
    assert x["opportunity"] == pytest.approx(10 + 10 - 10 / 6)
    assert x["underserved"]  # 18.3 >= 15
    tot = get(o, "Total", "o1")
    # importance: r1 (w3) .. r7 yes = 9 of weight 11 (r9 out)
    assert tot["importance"] == pytest.approx(90 / 11)
    assert not tot["underserved"]  # below the study's threshold of 15
    assert not get(o, "Total", "o2")["overserved"]  # gap 5 < 6
    assert o.weighted


def test_forces_of_progress_by_hand(jobs):
    o = opportunities(jobs, LABELS, min_segment_n=1)
    f = o.forces.set_index(["segment", "force"])
    # push = m1 only: top-2 in X r1-r4 all -> 100 %; total 4 of 10 -> 40 %
    assert f.loc[("X", "push"), "top-box %"] == pytest.approx(100.0)
    assert f.loc[("Total", "push"), "top-box %"] == pytest.approx(40.0)
    assert f.loc[("X", "push"), "index"] == pytest.approx(250.0)
    # habit = mean over b2 (X: r1, r2, r3 -> 75 %) and b3 (X: r1, r2, r4 -> 75 %)
    assert f.loc[("X", "habit"), "top-box %"] == pytest.approx(75.0)
    assert f.loc[("X", "habit"), "mean"] == pytest.approx(np.mean([np.mean([4, 4, 5, 2]), np.mean([5, 4, 2, 4])]))
    assert f.loc[("Y", "anxiety"), "side"] == "against change"
    assert list(o.forces_table().index) == ["push", "pull", "anxiety", "habit"]


def test_opportunities_xlsx_leaves_small_segments_out(jobs, tmp_path):
    import openpyxl

    o = opportunities(jobs, LABELS, min_segment_n=5)
    assert o.segments.loc["X", "suppressed"] and not o.segments.loc["Y", "suppressed"]
    wb = openpyxl.load_workbook(o.to_excel(tmp_path))
    assert wb.sheetnames == ["Opportunity scores", "Outcomes", "Forces"]
    ws = wb["Opportunity scores"]
    assert [c.value for c in ws[3]] == ["Label", "Total", "Y"]
    assert "Not shown: segment(s) X" in ws["A1"].value
    assert "X" not in {c.value for c in wb["Outcomes"]["A"][3:]}


def test_charts_are_figures(jobs):
    o = opportunities(jobs, LABELS, min_segment_n=1)
    fig = o.plot_landscape("X")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    points = [c for c in ax.collections if c.get_offsets().shape[0] == 2]
    np.testing.assert_allclose(sorted(points[0].get_offsets()[:, 0]), sorted([10.0, 0.0 + 2.5]))
    assert ax.get_xlim() == (0, 10)
    assert isinstance(o.plot_forces(), Figure)


def test_a_study_without_outcomes_is_a_clear_error(jobs):
    jobs_without = dataclasses.replace(jobs, columns={k: v for k, v in jobs.columns.items() if v.kind != "outcomes"})
    with pytest.raises(AnalysisError, match="no JTBD outcome with both an importance and a satisfaction"):
        opportunities(jobs_without)


def test_demo_planted_opportunities(demo_study):
    study = load_study(demo_study)
    responses = read_responses(study, "1")
    clean = check_quality(responses, study).apply(responses)
    truth = pd.read_csv(demo_study / "truth" / "respondents_wave1.csv", dtype={"resp_id": str})
    planted = truth.drop_duplicates("resp_id", keep="last").set_index("resp_id")["segment"]
    o = opportunities(clean, planted)
    # planted: digital self-servers find fast repeat orders important (4.6) and are unhappy (2.3);
    # reliability-critical producers the same for error-free orders (4.8 vs 2.4)
    assert o.for_segment(1)["outcome"].iloc[0] == "out_01"
    assert o.for_segment(4)["outcome"].iloc[0] == "out_04"
    assert "out_08" in set(o.underserved_outcomes(3)["outcome"])  # quick technical answers for installers
    # forces: occasional small buyers feel no push (planted -1.5) and most anxiety (+1.1)
    push = o.forces_table("top-box %").loc["push"]
    assert push.idxmin() == "5"
    assert o.forces_table("top-box %").loc["anxiety"].drop("Total").idxmax() == "5"


def test_landscape_labels_never_cover_each_other(jobs):
    """Issue 26 (notebooks): twelve outcomes at almost one point still get labels that do not
    overlap (boxes measured with the figure's renderer)."""
    o = opportunities(jobs, LABELS, min_segment_n=1)
    rows = [{"segment": "X", "outcome": f"o{i}", "label": f"Outcome number {i} with a long label",
             "importance": 6.0 + 0.05 * i, "satisfaction": 4.0 + 0.04 * (i % 3), "opportunity": 8.0 + 0.1 * i,
             "underserved": False, "overserved": False} for i in range(12)]
    table = pd.concat([o.table[o.table["segment"] != "X"], pd.DataFrame(rows)], ignore_index=True)
    fig = dataclasses.replace(o, table=table).plot_landscape("X")
    ax = fig.axes[0]
    fig.canvas.draw()  # as shown: positions and layout final
    renderer = fig.canvas.get_renderer()
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]  # the label, not its leader line
    assert len(boxes) == 12
    assert not [(i, j) for i in range(12) for j in range(i + 1, 12) if boxes[i].overlaps(boxes[j])]
