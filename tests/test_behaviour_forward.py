"""Forward outcomes (what customers did after a wave's reference date): a hand computation on
the small study, horizons the data do not cover skipped with the months missing, the
outcomes' "before" half equal to the behaviour features at the same date (demo history),
no leakage of post-date lines into any feature, and the same numbers on Spark."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from spark_support import local_spark, spark_missing

from test_behaviour import LINES, REF, write_study
from workbench.behaviour import customer_features
from workbench.behaviour.forward import forward_outcomes, horizon_coverage
from workbench.study import load_study

EARLY = dt.date(2025, 12, 31)


@pytest.fixture
def small(tmp_path):
    folder = write_study(tmp_path / "beh")
    return folder, load_study(folder).spec.behaviour


def test_outcomes_by_hand_on_the_small_study(small):
    folder, spec = small
    fw = forward_outcomes(spec, folder, EARLY, horizons=(3, 6))
    assert fw.horizons == (3,) and fw.data_end == dt.date(2026, 4, 5)
    assert fw.skipped == ("6-month horizon (to 2026-06-30) skipped: the transactions end on 2026-04-05, "
                          "3 months missing",)
    t = fw.horizon(3)
    # customers who bought on or before 2025-12-31: A, B, C (D's first order is in February, F's in March)
    assert list(t.index) == ["A", "B", "C"]
    a = t.loc["A"]
    # after (2025-12-31, 2026-03-31]: order o1 (150, webshop, cost 10) and return r1 (-50, cost 3): one purchase
    assert (a["orders"], a["lapsed"], a["revenue"], a["cost"]) == (1, False, 100.0, 13.0)
    # before (2025-09-30, 2025-12-31]: o2 (200 by phone, cost 10)
    assert (a["revenue_before"], a["revenue_change"], a["cost_before"], a["cost_change"]) == (200.0, -100.0, 10.0, 3.0)
    assert (a["channel_before"], a["channel_after"], bool(a["channel_switch"])) == ("Phone", "Webshop", True)
    b = t.loc["B"]  # bought by EDI in November, nothing since: lapsed, no channel after, no switch known
    assert (b["orders"], b["lapsed"], b["revenue_change"]) == (0, True, -500.0)
    assert b["channel_before"] == "EDI" and pd.isna(b["channel_after"]) and pd.isna(b["channel_switch"])
    assert t.loc["C", "lapsed"] and t.loc["C", "revenue_before"] == 0.0
    s = fw.summary()
    assert s.loc[3, "customers"] == 3 and s.loc[3, "lapsed"] == pytest.approx(2 / 3)
    with pytest.raises(KeyError, match=r"the 6-month horizon is not covered; covered: 3 \(6-month horizon"):
        fw.horizon(6)


def test_no_horizon_covered_at_the_end_of_the_data(small):
    folder, spec = small
    fw = forward_outcomes(spec, folder, REF)
    assert fw.horizons == () and fw.table.empty
    assert fw.skipped == (
        "6-month horizon (to 2026-09-30) skipped: the transactions end on 2026-04-05, 6 months missing",
        "12-month horizon (to 2027-03-31) skipped: the transactions end on 2026-04-05, 12 months missing")


@pytest.mark.parametrize("end, h, missing", [
    (dt.date(2026, 9, 26), 6, None),  # within the week of slack: covered
    (dt.date(2026, 9, 20), 6, 1),
    (dt.date(2026, 6, 30), 6, 3),
    (dt.date(2027, 3, 31), 12, None),
    (dt.date(2026, 3, 1), 6, 6),  # nothing after the reference date
])
def test_coverage_counts_the_missing_months(end, h, missing):
    covered, skipped = horizon_coverage(REF, end, (h,))
    if missing is None:
        assert covered == (h,) and skipped == ()
    else:
        assert covered == () and skipped[0].endswith(f"{missing} month{'s' if missing > 1 else ''} missing")


def test_a_post_date_line_changes_outcomes_and_never_a_feature(tmp_path):
    """No leakage: one line dated after the reference date is changed (and one added); every
    feature as of the reference date stays identical, the forward outcomes move."""
    study = load_study(write_study(tmp_path / "a"))
    spec = study.spec.behaviour
    changed = [ln if ln[1] != "o8" else ("D", "o8", "2026-04-05", 5000, "E", 5, 5, "", 1) for ln in LINES]
    changed.append(("A", "o10", "2026-04-02", 70, "T", 1, 1, "", 1))
    other = write_study(tmp_path / "b", lines=changed)
    before = customer_features(spec, tmp_path / "a", REF, survey_columns=study.columns).table
    after = customer_features(spec, other, REF, survey_columns=study.columns).table
    pd.testing.assert_frame_equal(before, after)
    fa = forward_outcomes(spec, tmp_path / "a", EARLY, horizons=(3,), slack_days=0).table
    fb = forward_outcomes(spec, other, EARLY, horizons=(3,), slack_days=0).table
    assert fa.equals(fb)  # both lines are after 2026-03-31, outside the 3-month horizon from 2025-12-31
    ga = forward_outcomes(spec, tmp_path / "a", dt.date(2026, 3, 5), horizons=(1,)).table
    gb = forward_outcomes(spec, other, dt.date(2026, 3, 5), horizons=(1,)).table
    # (2026-03-05, 2026-04-05]: A's return of -50, plus the added order of 70; D's changed order
    assert ga.loc[("A", 1), "revenue"] == -50.0 and gb.loc[("A", 1), "revenue"] == 20.0
    assert ga.loc[("D", 1), "revenue"] == 999.0 and gb.loc[("D", 1), "revenue"] == 5000.0
    assert ga.loc[("D", 1), "channel_after"] == "Webshop" and gb.loc[("D", 1), "channel_after"] == "EDI"


def test_the_before_half_equals_the_features_at_the_same_date(demo_study):
    """On the demo history: the outcomes before (ref - 6 months, ref] are the features with a
    6-month window at the reference date (revenue, revenue_recent, cost to serve, dominant
    channel), those after (ref, ref + 6 months] the features at the horizon's end; the
    customers are the features' customers with a purchase."""
    study = load_study(demo_study)
    spec = study.spec.behaviour
    as_of = study.wave("1").date
    fw = forward_outcomes(spec, demo_study, as_of)
    assert fw.horizons == (6,) and "12-month horizon" in fw.skipped[0] and "6 months missing" in fw.skipped[0]
    # mid-month, so that six months back from the horizon's end is the reference date again
    as_of = dt.date(2026, 3, 15)
    t = forward_outcomes(spec, demo_study, as_of, horizons=(6,)).horizon(6)
    assert len(t) > 2000
    short = spec.model_copy(update={"window_months": 6})
    feats = customer_features(short, demo_study, as_of, survey_columns=study.columns).table
    bought = feats[feats["last_purchase"].notna()]
    assert set(t.index) == set(bought.index)
    f = bought.reindex(t.index)
    np.testing.assert_allclose(t["revenue_before"], f["revenue"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(t["revenue_before"], f["revenue_recent"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(t["cost_before"], f["cost_to_serve"], rtol=0, atol=1e-6)
    assert (t["channel_before"].astype(object).where(t["channel_before"].notna(), None).tolist()
            == f["dominant_channel"].astype(object).where(f["dominant_channel"].notna(), None).tolist())
    # the after half: features as of the horizon's end, 6-month window, are the outcomes after
    end = dt.date(2026, 9, 15)
    later = customer_features(short, demo_study, end, survey_columns=study.columns).table.reindex(t.index)
    np.testing.assert_allclose(t["revenue"], later["revenue"].fillna(0), rtol=0, atol=1e-6)
    assert (t["orders"].to_numpy() == later["frequency"].fillna(0).to_numpy()).all()
    assert (t["lapsed"] == (later["frequency"].fillna(0) == 0)).all()


@pytest.mark.slow
@pytest.mark.skipif(spark_missing() is not None, reason=str(spark_missing()))
def test_spark_runs_the_same_outcome_sql(small, tmp_path):
    from test_spark_behaviour import on_spark, to_parquet

    folder, spec = small
    duck = forward_outcomes(spec, folder, dt.date(2026, 1, 15), horizons=(2, 12))
    pq = to_parquet(folder / "tx.csv", tmp_path / "tx.parquet")
    sp = forward_outcomes(on_spark(spec, pq), folder, dt.date(2026, 1, 15), horizons=(2, 12), spark=local_spark())
    assert duck.horizons == sp.horizons == (2,) and duck.skipped == sp.skipped and duck.data_end == sp.data_end
    assert len(duck.table) == 3 and "$" not in sp.sql and "CAST('2026-03-15' AS DATE)" in sp.sql
    pd.testing.assert_frame_equal(duck.table, sp.table)


def _with_horizons(value: str) -> str:
    from test_behaviour import STUDY

    line = next(x for x in STUDY.splitlines() if x.strip().startswith("lapsed_days:"))
    indent = line[: len(line) - len(line.lstrip())]
    return STUDY.replace(line, f"{line}\n{indent}forward_horizons: {value}", 1)


@pytest.mark.parametrize("value, message", [
    ("[0, 12]", "whole months from 1 to 60, not 0"),
    ("[]", "at least one horizon"),
    ("[6, 6]", "lists a horizon twice"),
])
def test_study_forward_horizons_are_checked_with_their_key_path(tmp_path, value, message):
    from workbench.core.errors import StudyError

    folder = write_study(tmp_path / "h", study=_with_horizons(value))
    with pytest.raises(StudyError, match="forward_horizons") as info:
        load_study(folder)
    assert message in str(info.value)


def test_study_forward_horizons_reach_the_outcomes(tmp_path):
    folder = write_study(tmp_path / "h", study=_with_horizons("[3, 1]"))
    spec = load_study(folder).spec.behaviour
    assert spec.forward_horizons == [1, 3]
    fw = forward_outcomes(spec, folder, EARLY, horizons=tuple(spec.forward_horizons))
    assert fw.horizons == (1, 3) and fw.skipped == ()
