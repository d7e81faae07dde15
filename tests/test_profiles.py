"""Segment profiles: numbers against hand computations, tests against scipy / statsmodels, the workbook."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from conftest import write_mini
from workbench.core.errors import AnalysisError, WorkbenchWarning
from workbench.describe.profiles import DOWN, UP, correct_pvalues, profile, weighted_stats
from workbench.quality import check_quality
from workbench.data.readers import read_responses
from workbench.study import load_study

HEADER = ["rid", "kunde", "n1", "n2", "n3", "size", "eksport", "why", "secs", "email"]
# n1..n3 on agree5 (top-2 box = codes 4 and 5; 98 = don't know), size ordinal 1-3, eksport binary
ANSWERS = {
    #      n1  n2  n3 size eksport
    "r1": (5, 4, 1, 1, 1),
    "r2": (4, 4, 2, 2, 0),
    "r3": (3, 4, 2, 3, 1),
    "r4": (2, 4, 1, 1, 1),
    "r5": (1, 4, 2, 2, 0),
    "r6": (4, 1, 5, 3, 0),
    "r7": (4, 2, 4, 1, 0),
    "r8": (5, 3, 5, 2, 1),
    "r9": (2, 5, 4, 3, 1),
    "r10": (98, 5, 5, 1, 0),
}
LABELS = pd.Series({f"r{i}": ("A" if i <= 5 else "B") for i in range(1, 11)})
WEIGHTS = pd.Series([1, 2, 1, 1, 3, 1, 1, 2, 1, 1], index=[f"r{i}" for i in range(1, 11)], dtype=float)


@pytest.fixture
def mini_responses(tmp_path):
    rows = [HEADER] + [
        [rid, f"C{rid}", *(str(v) for v in a[:3]), str(a[3]), str(a[4]), "fint nok", "300", f"{rid}@x.dk"]
        for rid, a in ANSWERS.items()
    ]
    study = load_study(write_mini(tmp_path / "mini", rows=rows))
    return read_responses(study, "1")


def row(p, variable, measure, segment):
    t = p.table
    hit = t[(t["variable"] == variable) & (t["measure"] == measure) & (t["segment"] == segment)]
    assert len(hit) == 1, (variable, measure, segment)
    return hit.iloc[0]


# --------------------------------------------------------------------------- numbers by hand


def test_weighted_top2_box_and_index_by_hand(mini_responses):
    p = profile(mini_responses, LABELS, weights=WEIGHTS, min_segment_n=1)
    # n1 top-2 box in A: r1 (w1) and r2 (w2) of weights 1+2+1+1+3 = 8 -> 3/8
    # in B: r6, r7, r8 (w 1+1+2) of r6..r9 (r10 answered "don't know": out of the base) -> 4/5
    a, b = row(p, "n1", "top-2 box %", "A"), row(p, "n1", "top-2 box %", "B")
    assert a["value"] == pytest.approx(100 * 3 / 8)
    assert b["value"] == pytest.approx(100 * 4 / 5)
    assert a["total"] == pytest.approx(100 * 7 / 13)
    assert a["index"] == pytest.approx(100 * (3 / 8) / (7 / 13))
    assert b["index"] == pytest.approx(100 * (4 / 5) / (7 / 13))
    assert (a["n"], b["n"]) == (5, 4)
    assert a["base"] == 8 and b["base"] == 5
    # effective n (Kish): (sum w)^2 / sum w^2
    assert a["n_eff"] == pytest.approx(64 / 16)
    assert b["n_eff"] == pytest.approx(25 / 7)
    # weighted mean of n1 in A: (5*1 + 4*2 + 3*1 + 2*1 + 1*3) / 8
    assert row(p, "n1", "mean", "A")["value"] == pytest.approx(21 / 8)


def test_weighted_z_test_uses_effective_n(mini_responses):
    p = profile(mini_responses, LABELS, weights=WEIGHTS, min_segment_n=1)
    a = row(p, "n1", "top-2 box %", "A")
    p1, n1, p2, n2 = 3 / 8, 4.0, 4 / 5, 25 / 7
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    assert a["p_value"] == pytest.approx(2 * (1 - stats.norm.cdf(abs(z))))
    assert a["rest"] == pytest.approx(80.0)


def test_unweighted_tests_match_statsmodels_and_scipy(mini_responses):
    p = profile(mini_responses, LABELS, min_segment_n=1)
    # column-proportion test of n2 top-2 box: A 5 of 5, B 2 of 5
    a = row(p, "n2", "top-2 box %", "A")
    _, expected = proportions_ztest([5, 2], [5, 5])
    assert a["p_value"] == pytest.approx(expected)
    # Welch t-test on the mean of n3: A (1,2,2,1,2) against B (5,4,5,4,5)
    m = row(p, "n3", "mean", "A")
    ref = stats.ttest_ind([1, 2, 2, 1, 2], [5, 4, 5, 4, 5], equal_var=False)
    assert m["p_value"] == pytest.approx(ref.pvalue)
    assert m["value"] == pytest.approx(1.6) and m["total"] == pytest.approx(3.1)
    assert m["sig"] == DOWN and row(p, "n3", "mean", "B")["sig"] == UP


def test_holm_correction_within_each_block(mini_responses):
    p = profile(mini_responses, LABELS, min_segment_n=1)
    needs = p.table[p.table["block"] == "needs"]
    raw = needs["p_value"].dropna().to_numpy()
    # Holm by hand: sorted p times (m - rank), running maximum, capped at 1
    order = np.argsort(raw)
    m = len(raw)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * raw[i]))
        adj[i] = running
    np.testing.assert_allclose(needs["p_adj"].dropna().to_numpy(), adj)
    # the firmographics block is its own family: its smallest p is multiplied by its own size
    firmo = p.table[p.table["block"] == "firmo"].dropna(subset=["p_value"])
    assert firmo["p_adj"].min() == pytest.approx(min(1.0, firmo["p_value"].min() * len(firmo)))
    # Holm is computed in the package (statsmodels' Holm calls gc.collect each time): same numbers
    rng = np.random.default_rng(0)
    p_values = np.concatenate([rng.uniform(0, 0.05, 20), rng.uniform(0, 1, 30), [np.nan]])
    np.testing.assert_allclose(correct_pvalues(p_values, "holm")[:-1], multipletests(p_values[:-1], method="holm")[1])
    assert np.isnan(correct_pvalues(p_values)[-1])
    bh = profile(mini_responses, LABELS, min_segment_n=1, correction="fdr_bh").table
    needs_bh = bh[bh["block"] == "needs"].dropna(subset=["p_value"])
    np.testing.assert_allclose(needs_bh["p_adj"], multipletests(needs_bh["p_value"], method="fdr_bh")[1])
    none = profile(mini_responses, LABELS, min_segment_n=1, correction="none")
    np.testing.assert_allclose(none.table["p_adj"].dropna(), none.table["p_value"].dropna())


def test_measures_per_scale_type_and_category_shares(mini_responses):
    p = profile(mini_responses, LABELS, min_segment_n=1)
    measures = p.table.drop_duplicates(["variable", "measure"]).groupby("variable")["measure"].apply(list).to_dict()
    assert measures["n1"] == ["mean", "top-2 box %"]  # likert
    assert measures["size"] == ["mean", "% Små", "% Mellem", "% Store"]  # ordinal: mean and categories
    assert measures["eksport"] == ["% Yes"]  # binary: the highest code
    assert "why" not in measures and "secs" not in measures  # verbatims and screening are not profiled
    # size in B: r6 3, r7 1, r8 2, r9 3, r10 1 -> Store 2 of 5
    assert row(p, "size", "% Store", "B")["value"] == pytest.approx(40.0)
    assert row(p, "eksport", "% Yes", "A")["value"] == pytest.approx(60.0)
    wide = p.block_table("needs")
    assert list(wide.columns) == ["Total", "A", "B"]
    assert wide.loc[("n1", "Lave priser", "top-2 box %"), "Total"] == pytest.approx(100 * 5 / 9)


def test_behaviour_kpis_numeric_and_categorical(mini_responses):
    beh = pd.DataFrame(
        {"revenue": [10.0, 20, 30, 40, np.nan, 100, 200, 300, 400, 500],
         "tier": ["lo", "lo", "hi", "lo", "lo", "hi", "hi", "hi", None, "hi"],
         "lapsed": [True, False, False, False, False, False, False, True, False, False]},
        index=[f"r{i}" for i in range(1, 11)],
    )
    p = profile(mini_responses, LABELS, behaviour=beh, min_segment_n=1)
    rev = row(p, "revenue", "mean", "A")
    assert rev["block"] == "behaviour"
    assert rev["value"] == pytest.approx(25.0) and rev["n"] == 4  # r5 has no behaviour
    assert rev["total"] == pytest.approx(1600 / 9)
    assert row(p, "tier", "% hi", "B")["value"] == pytest.approx(100.0)
    assert row(p, "tier", "% hi", "A")["value"] == pytest.approx(20.0)
    assert row(p, "lapsed", "% true", "B")["value"] == pytest.approx(20.0)


def test_behaviour_heatmap_rows_are_labels(mini_responses):
    """The notebook's behaviour index heatmap names its rows by the measure registry's labels;
    a column the registry does not know reads as words, never as its identifier."""
    from workbench.core.measures import MEASURES

    beh = pd.DataFrame({"revenue": [10.0, 20, 30, 40, 50, 100, 200, 300, 400, 500],
                        "days_to_pay": [5.0, 8, 9, 30, 31, 2, 3, 4, 40, 50]},
                       index=[f"r{i}" for i in range(1, 11)])
    p = profile(mini_responses, LABELS, behaviour=beh, min_segment_n=1)
    fig = p.plot("behaviour")
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert f"{MEASURES['revenue'].label} · mean" in rows
    assert "Days to pay · mean" in rows
    assert not any("_" in r for r in rows)


def test_weighted_stats_helper_against_numpy():
    x = np.array([[1.0, np.nan], [2.0, 4.0], [4.0, 6.0]])
    w = np.array([1.0, 1.0, 2.0])
    s = weighted_stats(x, w)
    assert s["mean"][0] == pytest.approx(np.average([1, 2, 4], weights=[1, 1, 2]))
    assert s["mean"][1] == pytest.approx(np.average([4, 6], weights=[1, 2]))
    u = weighted_stats(x, np.ones(3))
    assert u["var"][0] == pytest.approx(np.var([1, 2, 4], ddof=1))
    assert u["n_eff"][1] == pytest.approx(2)


# --------------------------------------------------------------------------- alignment, suppression, errors


def test_labels_are_aligned_and_drops_counted(mini_responses):
    labels = LABELS.drop("r10")
    labels["zz"] = "A"  # an id that is not a respondent
    p = profile(mini_responses, labels, min_segment_n=1)
    assert p.alignment["profiled"] == 9
    assert p.alignment["labels without response"] == 1
    assert p.alignment["responses without label"] == 1
    assert "r10" not in p.membership.index
    assert "1 labelled ids not among the responses" in str(p)


def test_label_problems_are_clear_errors(mini_responses):
    with pytest.raises(AnalysisError, match="none of the 3 ids in the labels is a respondent id"):
        profile(mini_responses, pd.Series([1, 2, 1], index=[0, 1, 2]))
    with pytest.raises(AnalysisError, match="at least two segments"):
        profile(mini_responses, pd.Series("A", index=LABELS.index))
    with pytest.raises(AnalysisError, match="must be a pandas Series"):
        profile(mini_responses, list(LABELS))
    bad = WEIGHTS.copy()
    bad["r3"] = 0
    with pytest.raises(AnalysisError, match="weight of respondent 'r3' is 0.0"):
        profile(mini_responses, LABELS, weights=bad)


def test_small_segments_are_suppressed_in_client_tables(mini_responses, tmp_path):
    labels = LABELS.copy()
    labels[["r9", "r10"]] = "C"
    p = profile(mini_responses, labels, min_segment_n=3)
    assert p.suppressed == ["C"]
    assert p.segments.loc["C", "n"] == 2
    path = p.to_excel(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Needs"]
    header = [c.value for c in ws[3]]
    assert any(str(h).startswith("A (n=5)") for h in header)
    assert not any(str(h).startswith("C (") or str(h).startswith("C ") for h in header if h)
    assert "Not shown: segment(s) C with fewer than 3 respondents" in ws["A1"].value
    inner = p.to_excel(tmp_path / "internal.xlsx", include_suppressed=True)
    assert any(str(h).startswith("C (n=2)") for h in [c.value for c in openpyxl.load_workbook(inner)["Needs"][3]])


def test_profiles_xlsx_is_formatted_and_refuses_pii(mini_responses, tmp_path):
    p = profile(mini_responses, LABELS, min_segment_n=1)
    path = p.to_excel(tmp_path / "profiles.xlsx", pii=["email"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Overview", "Traits", "Needs", "Firmo"]
    ws = wb["Needs"]
    assert ws.freeze_panes == "D4"  # three index columns, note + header above
    header = [c.value for c in ws[3]]
    # labels next to codes, each significance arrow beside the value it qualifies
    assert header[:8] == ["Code", "Label", "Measure", "Total", "A (n=5)", "A sig", "B (n=5)", "B sig"]
    assert "A index" in header
    # no merged cells: a filtered sheet keeps every row's code and label
    assert not ws.merged_cells.ranges
    assert all(ws.cell(r, 1).value and ws.cell(r, 2).value for r in range(4, ws.max_row + 1))
    rules = {r.type for rng in ws.conditional_formatting for r in rng.rules}
    assert {"colorScale", "expression"} <= rules
    # the Total of n1's top-2 box: 5 of 9 who answered
    cells = {(ws.cell(r, 1).value or prev, ws.cell(r, 3).value): r for r, prev in _filled(ws)}
    assert ws.cell(cells[("n1", "top-2 box %")], 4).value == pytest.approx(round(100 * 5 / 9, 2))
    assert "email" not in {c.value for c in ws[3]}
    # a behaviour column that is declared PII is never profiled
    beh = pd.DataFrame({"email": ["a"] * 10, "orders": range(10)}, index=LABELS.index)
    with pytest.warns(WorkbenchWarning, match="'email' is declared as personal data"):
        p2 = profile(mini_responses, LABELS, behaviour=beh, min_segment_n=1)
    assert "email" not in set(p2.table["variable"])


def _filled(ws):
    """(row, the variable of the merged cell above) for each data row of a block sheet."""
    prev = None
    for r in range(4, ws.max_row + 1):
        prev = ws.cell(r, 1).value or prev
        yield r, prev


# --------------------------------------------------------------------------- the demo study


@pytest.fixture(scope="module")
def demo(demo_study):
    study = load_study(demo_study)
    responses = read_responses(study, "1")
    clean = check_quality(responses, study).apply(responses)
    truth = pd.read_csv(demo_study / "truth" / "respondents_wave1.csv", dtype={"resp_id": str})
    planted = truth.drop_duplicates("resp_id", keep="last").set_index("resp_id")["segment"]
    return study, clean, planted


def test_demo_planted_segments_show_their_planted_traits(demo):
    study, clean, planted = demo
    p = profile(clean, planted, min_segment_n=study.spec.min_segment_n)
    assert p.alignment["labels without response"] == len(planted) - clean.n  # excluded respondents dropped
    top = {s: set(p.traits(s, direction="above", blocks=["needs"]).head(3)["variable"]) for s in p.labels}
    # needs are planted three per dimension: price 01-03, delivery 04-06, digital 07-09, advice 10-11
    assert top[1] <= {"need_07", "need_08", "need_09"}  # digital self-servers
    assert top[2] <= {"need_01", "need_02", "need_03"}  # price-driven buyers
    assert {"need_10", "need_11"} <= top[3]  # relationship-reliant installers (need_12 is reverse-keyed)
    below = p.traits(3, direction="below", blocks=["needs"])
    assert "need_12" in set(below["variable"])
    assert top[4] <= {"need_04", "need_05", "need_06"}  # reliability-critical producers
    assert not p.suppressed


def test_demo_random_labels_have_almost_no_significant_differences(demo):
    study, clean, planted = demo
    rng = np.random.default_rng(7)
    noise = pd.Series(rng.integers(1, 6, clean.n), index=clean.data.index)
    p = profile(clean, noise)
    assert p.table["significant"].mean() < 0.01
    assert p.traits().empty
    real = profile(clean, planted)
    assert real.table["significant"].mean() > 0.4


def test_column_letters_match_pairwise_statsmodels_and_scipy_with_holm():
    """Issue 26: the column letters of the comparison tables. Three segments, a share and a mean
    with planted differences: a segment's letters are those of the segments it is significantly
    above, by the two-proportion z-test / Welch's t-test of each pair, Holm over the row's pairs."""
    from workbench.describe.profiles import _column_letters

    rng = np.random.default_rng(5)
    sizes = {"1": 60, "2": 80, "3": 100}
    share = {"1": 0.7, "2": 0.45, "3": 0.4}
    mean = {"1": 3.0, "2": 3.3, "3": 4.1}
    data = {s: (rng.random(n) < share[s], rng.normal(mean[s], 1.0, n)) for s, n in sizes.items()}
    segs = list(sizes)
    st = [weighted_stats(np.column_stack([data[s][0].astype(float), data[s][1]]), np.ones(sizes[s])) for s in segs]
    got = _column_letters(st, np.array([True, False]), segs, 0.05)
    pairs = [(a, b) for i, a in enumerate(segs) for b in segs[i + 1:]]
    for j, kind in enumerate(("share", "mean")):
        if kind == "share":
            p = [proportions_ztest([data[a][0].sum(), data[b][0].sum()], [sizes[a], sizes[b]])[1] for a, b in pairs]
            m = {s: data[s][0].mean() for s in segs}
        else:
            p = [stats.ttest_ind(data[a][1], data[b][1], equal_var=False).pvalue for a, b in pairs]
            m = {s: data[s][1].mean() for s in segs}
        adj = multipletests(p, method="holm")[1]
        want = {s: [] for s in segs}
        for (a, b), q in zip(pairs, adj):
            if q < 0.05:
                hi, lo = (a, b) if m[a] > m[b] else (b, a)
                want[hi].append(lo)
        for g, s in enumerate(segs):
            assert got[g * 2 + j] == " ".join(sorted(want[s])), (kind, s)
    assert got[0] == "2 3" and got[5] == "1 2"  # planted: 1 above both on the share, 3 above both on the mean
