"""Tracking between waves: sizes, size changes, profile drift, the re-fit check, the demo's planted shifts."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.optimize import linear_sum_assignment
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from workbench import segments
from workbench.core.errors import AnalysisError, WorkbenchWarning
from workbench.waves import (
    SegmentModel,
    codebook,
    profile_drift,
    refit_check,
    segment_sizes,
    size_changes,
)
from workbench.waves.tracking import benjamini_hochberg, holm


def _labels(counts, prefix):
    lab = np.repeat(np.arange(1, len(counts) + 1), counts)
    return pd.Series(pd.array(lab, dtype="Int64"), index=[f"{prefix}{i}" for i in range(len(lab))])


# --------------------------------------------------------------------------- sizes


def test_wilson_intervals_match_statsmodels_and_a_hand_computation():
    lab = _labels([120, 60, 20], "a")
    lab.iloc[:5] = pd.NA  # unclassified respondents do not count
    sizes = segment_sizes({"1": lab}, names={1: "Ét", 2: "To", 3: "Tre"})
    counts = np.array([115, 60, 20])
    lo, hi = proportion_confint(counts, 195, alpha=0.05, method="wilson")
    np.testing.assert_allclose(sizes["ci_low"], lo, atol=1e-12)
    np.testing.assert_allclose(sizes["ci_high"], hi, atol=1e-12)
    # by hand for segment 3: p = 20/195, z = 1.959964
    p, n, z = 20 / 195, 195, 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert sizes.loc[2, "ci_low"] == pytest.approx(centre - half, abs=1e-12)
    assert list(sizes["name"]) == ["Ét", "To", "Tre"] and list(sizes["n"]) == [115, 60, 20]


def test_weighted_shares_use_kish_effective_n():
    lab = _labels([3, 2], "w")
    w = pd.Series([1.0, 1.0, 2.0, 1.0, 3.0], index=lab.index)
    sizes = segment_sizes({"1": lab}, {"1": w})
    n_eff = w.sum() ** 2 / (w**2).sum()
    assert sizes["n_effective"].iloc[0] == pytest.approx(n_eff)
    assert sizes.loc[0, "share"] == pytest.approx(4 / 8)
    lo, hi = proportion_confint(0.5 * n_eff, n_eff, method="wilson")
    assert (sizes.loc[0, "ci_low"], sizes.loc[0, "ci_high"]) == pytest.approx((lo, hi))
    with pytest.raises(AnalysisError, match="respondent w4 has no valid weight"):
        segment_sizes({"1": lab}, {"1": w.iloc[:4]})


def test_size_changes_against_statsmodels_and_scipy():
    before = _labels([300, 250, 250, 200], "b")
    after = _labels([380, 250, 170, 200], "a")
    sizes = segment_sizes({"1": before, "2": after})
    ch = size_changes(sizes, "1", "2")
    for s, (c1, c2) in enumerate([(300, 380), (250, 250), (250, 170), (200, 200)], start=1):
        z, p = proportions_ztest([c2, c1], [1000, 1000])
        assert ch.table.loc[s, "z"] == pytest.approx(z) and ch.table.loc[s, "p"] == pytest.approx(p)
    np.testing.assert_allclose(ch.table["p_holm"], multipletests(ch.table["p"], method="holm")[1])
    chi2, p, dof, _ = stats.chi2_contingency([[300, 250, 250, 200], [380, 250, 170, 200]], correction=False)
    assert (ch.chi2, ch.p, ch.df) == (pytest.approx(chi2), pytest.approx(p), dof)
    assert list(ch.table["direction"]) == ["up", "—", "down", "—"]
    assert ch.table.loc[1, "change_points"] == pytest.approx(8.0)
    assert any("Segment 1 grew from 30.0% to 38.0%" in m for m in ch.messages)
    with pytest.raises(AnalysisError, match="wave 3 is not in the sizes table"):
        size_changes(sizes, "1", "3")


def test_multiple_testing_adjustments_match_statsmodels():
    p = np.random.default_rng(0).random(30) ** 3
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1])
    np.testing.assert_allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1])


# --------------------------------------------------------------------------- drift


def _drift_data(rng, n, shift=0.0):
    lab = pd.Series(rng.choice([1, 2, 3], size=n), index=[f"r{rng.integers(1e12)}_{i}" for i in range(n)])
    data = pd.DataFrame(rng.normal(0, 1, (n, 8)), index=lab.index, columns=[f"x{i}" for i in range(8)])
    data["channel"] = rng.choice(["web", "phone", "edi"], size=n, p=[0.4, 0.4, 0.2])
    data.loc[lab == 2, "x3"] += shift
    return data, lab


def test_profile_drift_recovers_a_planted_shift():
    rng = np.random.default_rng(4)
    b, lb = _drift_data(rng, 900)
    a, la = _drift_data(rng, 900, shift=0.6)
    drift = profile_drift(b, a, lb, la, [f"x{i}" for i in range(8)] + ["channel"], labels={"x3": "Bestiller på nettet"},
                          names={2: "Digitale kunder"})
    moved = drift.moved
    assert len(moved) == 1
    row = moved.iloc[0]
    assert (row["segment"], row["indicator"], row["direction"]) == (2, "x3", "up")
    sub_b, sub_a = b.loc[lb == 2, "x3"], a.loc[la == 2, "x3"]
    assert row["p"] == pytest.approx(stats.ttest_ind(sub_a, sub_b, equal_var=False).pvalue)
    assert drift.table.iloc[0]["indicator"] == "x3"  # moved rows first
    assert drift.messages[0].startswith("Digitale kunder: Bestiller på nettet rose from")
    assert set(drift.table.loc[drift.table["indicator"] == "channel", "kind"]) == {"share"}


def test_profile_drift_says_a_0_1_indicator_in_percent():
    """A ticked/lapsed indicator coded 0/1 is a share: its movement reads '30.0% to 60.0%', not
    '0.30 to 0.60' (the deck read 'rose from 0.3 to 0.6'); a 1-5 rating stays a mean."""
    rng = np.random.default_rng(11)
    n = 600
    lb, la = pd.Series(rng.integers(1, 3, n)), pd.Series(rng.integers(1, 3, n))
    b = pd.DataFrame({"ticked": (rng.random(n) < 0.3).astype(int), "rating": rng.integers(1, 6, n).astype(float)})
    a = pd.DataFrame({"ticked": (rng.random(n) < np.where(la == 1, 0.6, 0.3)).astype(int),
                      "rating": rng.integers(1, 6, n) + np.where(la == 2, 1.0, 0.0)})
    a["rating"] = a["rating"].clip(1, 5)
    for weights in (None, pd.Series(1.0, index=a.index)):
        drift = profile_drift(b, a, lb, la, ["ticked", "rating"], labels={"ticked": "Live stock", "rating": "Price"},
                              names={1: "Field sales", 2: "Webshop"}, weights_before=weights,
                              weights_after=weights)
        kinds = drift.table.drop_duplicates("indicator").set_index("indicator")["kind"]
        assert kinds.to_dict() == {"ticked": "proportion", "rating": "mean"}
        said = {m.split(":")[0] + ":" + m.split(":")[1].split(" rose")[0]: m for m in drift.messages}
        share = said["Field sales: Live stock"]
        before = b.loc[lb == 1, "ticked"].mean()
        after = a.loc[la == 1, "ticked"].mean()
        assert f"from {100 * before:.1f}% to {100 * after:.1f}%" in share
        assert any(m.startswith("Webshop: Price rose from ") and "%" not in m.split("(")[0] for m in drift.messages)
    # a 0-1 share that is not coded 0/1 (the digital share of orders) is said in percent when named
    b["digital"], a["digital"] = rng.beta(8, 2, n), rng.beta(2, 8, n)
    drift = profile_drift(b, a, lb, la, ["digital"], labels={"digital": "Digital share"}, percent=["digital"])
    assert set(drift.table["kind"]) == {"proportion"}
    assert all(re.search(r"fell from \d+\.\d% to \d+\.\d%", m) for m in drift.messages), drift.messages


def test_weighted_profile_drift_matches_statsmodels_with_kish_n():
    """Weighted drift = statsmodels' weighted Welch test with the weights rescaled to sum to
    Kish's effective n (an independent implementation); unit weights = the unweighted test."""
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    rng = np.random.default_rng(11)
    n = 400
    before = pd.DataFrame({"x": rng.normal(3.0, 1.0, n), "c": rng.choice(["EDI", "webshop"], n)},
                          index=[f"b{i}" for i in range(n)])
    after = pd.DataFrame({"x": rng.normal(3.3, 1.0, n), "c": rng.choice(["EDI", "webshop"], n, p=[0.35, 0.65])},
                         index=[f"a{i}" for i in range(n)])
    lb = pd.Series(1, index=before.index)
    la = pd.Series(1, index=after.index)
    wb = pd.Series(rng.uniform(0.3, 2.5, n), index=before.index)
    wa = pd.Series(rng.uniform(0.3, 2.5, n), index=after.index)
    got = profile_drift(before, after, lb, la, ["x", "c"], weights_before=wb, weights_after=wa).table
    row = got[got["indicator"] == "x"].iloc[0]
    kish = lambda w: w.sum() ** 2 / (w**2).sum()
    sb = DescrStatsW(before["x"], weights=wb * kish(wb) / wb.sum())
    sa = DescrStatsW(after["x"], weights=wa * kish(wa) / wa.sum())
    t, p, _ = CompareMeans(sa, sb).ttest_ind(usevar="unequal")
    assert row["before"] == pytest.approx(np.average(before["x"], weights=wb), rel=1e-12)
    assert row["p"] == pytest.approx(p, rel=1e-9)
    share = got[(got["indicator"] == "c") & (got["level"] == "webshop")].iloc[0]
    p1 = np.average(before["c"] == "webshop", weights=wb)
    p2 = np.average(after["c"] == "webshop", weights=wa)
    z, pz = proportions_ztest([p2 * kish(wa), p1 * kish(wb)], [kish(wa), kish(wb)])
    assert share["after"] == pytest.approx(p2) and share["p"] == pytest.approx(pz, rel=1e-9)
    # unit weights give exactly the unweighted test
    ones_b, ones_a = pd.Series(1.0, index=before.index), pd.Series(1.0, index=after.index)
    unit = profile_drift(before, after, lb, la, ["x"], weights_before=ones_b, weights_after=ones_a).table
    plain = profile_drift(before, after, lb, la, ["x"]).table
    assert unit["p"].iloc[0] == pytest.approx(plain["p"].iloc[0], rel=1e-10)
    assert unit["effect"].iloc[0] == pytest.approx(plain["effect"].iloc[0], rel=1e-10)
    with pytest.raises(AnalysisError, match="negative weight"):
        profile_drift(before, after, lb, la, ["x"], weights_before=-wb, weights_after=wa)


def test_profile_drift_controls_false_alarms_in_null_data():
    rng = np.random.default_rng(9)
    runs, alarms = 60, 0
    for _ in range(runs):
        b, lb = _drift_data(rng, 300)
        a, la = _drift_data(rng, 300)
        drift = profile_drift(b, a, lb, la, [f"x{i}" for i in range(8)], min_effect=0.0)
        alarms += bool(drift.moved.shape[0])
    # Benjamini-Hochberg under the complete null controls the chance of any alarm at alpha = 0.05
    assert alarms / runs <= 0.12


# --------------------------------------------------------------------------- re-fit check

ITEMS = [f"q{i:02d}" for i in range(1, 13)]
_HI, _LO, _MID = [0.7, 0.2, 0.1], [0.1, 0.2, 0.7], [0.2, 0.6, 0.2]


def _profile(high):
    return [_HI if j in high else _LO for j in range(12)]


PROFILES = [_profile(range(0, 4)), _profile(range(4, 8)), _profile(range(8, 12)), [_MID] * 12]


def _lca_draw(rng, n, shares):
    c = rng.choice(len(shares), size=n, p=shares)
    X = np.empty((n, 12))
    for j in range(12):
        for cl in range(len(shares)):
            m = c == cl
            X[m, j] = rng.choice([1, 2, 3], size=m.sum(), p=PROFILES[cl][j])
    return pd.DataFrame(X, columns=ITEMS, index=[f"r{rng.integers(1e12)}_{i}" for i in range(n)])


@pytest.fixture(scope="module")
def frozen():
    rng = np.random.default_rng(5)
    d1 = _lca_draw(rng, 600, [0.45, 0.35, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)
        sol = segments.lca(d1, 3, n_init=5, random_state=1, progress=False)
    cb = {c: {"label": f"item {c}", "block": "needs", "scale": "s", "type": "likert", "codes": {1: "a", 2: "b", 3: "c"},
              "missing": {}} for c in ITEMS}
    model = SegmentModel.from_segmentation(sol, basis_items=ITEMS, codebook=cb, study_id="s", study_hash="h",
                                           wave="1", data=d1, names={1: "Store", 2: "Mellem", 3: "Små"})
    return model, rng


def test_refit_not_due_on_data_from_the_same_model(frozen):
    model, _ = frozen
    rng = np.random.default_rng(21)
    adv = refit_check(model, _lca_draw(rng, 600, [0.45, 0.35, 0.2]), random_state=1, wave="2")
    assert not adv.due, adv.message
    assert adv.reasons == []
    assert set(adv.table["check"]) >= {"classification certainty", "relative entropy", "uncertain respondents",
                                       "model fit", "stability", "emerging segment"}
    assert "no re-fit needed" in adv.message or "watch" in adv.message


def test_refit_due_when_a_new_segment_emerges(frozen):
    model, _ = frozen
    rng = np.random.default_rng(22)
    adv = refit_check(model, _lca_draw(rng, 600, [0.35, 0.25, 0.15, 0.25]), random_state=1, wave="2")
    assert adv.due
    st = adv.table.set_index("check")["status"]
    assert st["emerging segment"] == "due" and st["model fit"] == "due"
    assert adv.emerging["share"] == pytest.approx(0.25, abs=0.07)
    assert "a new segment of about" in adv.message and adv.message.startswith("Re-fit the segmentation")


def test_refit_thresholds_are_checked(frozen):
    with pytest.raises(AnalysisError, match="unknown threshold\\(s\\) cfi"):
        refit_check(frozen[0], _lca_draw(np.random.default_rng(1), 50, [1.0, 0, 0, 0]), thresholds={"cfi": 0.9})


# --------------------------------------------------------------------------- the demo's planted shifts


def test_demo_wave2_planted_size_shifts_detected(demo_run):
    from workbench.quality import check_quality
    from workbench.data.readers import read_responses

    study = demo_run.study
    seg = demo_run.candidates.choice or demo_run.candidates[demo_run.scorecard.recommended]
    plan = study.spec.segmentation
    clean1 = demo_run.clean
    items = [c.id for c in study.columns.values() if c.block in plan.basis and c.scale.coded
             and c.id in clean1.data.columns and c.id not in set(clean1.missing_columns)]
    model = SegmentModel.from_segmentation(seg, basis_items=items, factors=demo_run.factors,
                                           codebook=codebook(study, items), study_id=study.id, study_hash=study.hash,
                                           wave="1", data=clean1.data, sample_weight=clean1.weights)
    responses = read_responses(study, "2")
    clean2 = check_quality(responses, study).apply(responses)
    w1, w2 = model.classify(clean1.data), model.classify(clean2.data)
    assert w2.n_classified > 1300
    # match the frozen segments to the planted ones on wave 1 (Hungarian on the overlap)
    truth = pd.read_csv(study.root / "truth" / "respondents_wave1.csv").drop_duplicates("resp_id")
    truth = truth.set_index("resp_id")["segment_name"]
    tab = pd.crosstab(w1.labels.dropna().astype(int), truth.reindex(w1.labels.dropna().index))
    rows, cols = linear_sum_assignment(-tab.to_numpy())
    planted = {int(tab.index[r]): tab.columns[c] for r, c in zip(rows, cols)}
    sizes = segment_sizes({"1": w1.labels, "2": w2.labels}, names=planted)
    ch = size_changes(sizes, "1", "2").table.set_index("name")
    assert ch.loc["Digital self-servers", "direction"] == "up"
    assert ch.loc["Relationship-reliant installers", "direction"] == "down"
    assert not ch.loc["Reliability-critical producers", "significant"]
    assert not ch.loc["Occasional small buyers", "significant"]
