"""The forward step on the demo (session fixtures, no new run): wave 1's outcomes over the
covered horizon, the 12-month one skipped with the months missing, the planted churn of
segment 2 recovered as forward relevance of the recommended segmentation, the forward line
in the scorecard and scorecard.xlsx, and the deck slide "Do the segments predict next year?";
wave 2 (nothing after its date yet) skips the step with the reason."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
from pptx import Presentation

from workbench.criteria import PASS


def _title(slide) -> str:
    return next((sh.text_frame.text for sh in slide.shapes if sh.has_text_frame and sh.text_frame.text), "")


def test_wave1_forward_outcomes_and_the_planted_churn(demo_run):
    ctx = demo_run.context
    fw, rel = ctx.forward, ctx.forward_relevance
    assert fw.horizons == (6,) and fw.as_of.isoformat() == "2026-03-31"
    assert fw.skipped == ("12-month horizon (to 2027-03-31) skipped: the transactions end on 2026-09-30, "
                          "6 months missing",)
    man = json.loads((demo_run.folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["skipped_steps"]["forward outcomes, 12-month horizon"].endswith("6 months missing")
    # planted: half of segment 2's regular customers stop buying after wave 1 (truth: respondents_wave1.csv)
    truth = pd.read_csv(demo_run.study.root / "truth" / "respondents_wave1.csv", dtype={"resp_id": str})
    seg = truth.drop_duplicates("resp_id", keep="last").set_index("resp_id")["segment"]
    out = fw.horizon(6).reindex(ctx.behaviour.respondents["customer_id"].astype(str).to_numpy())
    lapsed = pd.Series(out["lapsed"].to_numpy(), index=ctx.behaviour.respondents.index).dropna().astype(float)
    by_seg = lapsed.groupby(seg.reindex(lapsed.index)).mean()
    assert by_seg[2] > by_seg[[1, 3, 4]].max() + 0.1  # segment 5 (occasional buyers) lapses by its history
    best = rel.verdict(ctx.scorecard.recommended)
    assert best["status"] == PASS and "who stops buying" in best["sentence"]
    lift = rel.lift.set_index(["candidate", "outcome"]).loc[(ctx.scorecard.recommended, "lapsed")]
    assert lift["low"] > 0 and lift["p_permutation"] <= 0.05
    d = rel.differences.query("candidate == @ctx.scorecard.recommended and outcome == 'lapsed'")
    assert (d["method"] == "bias-adjusted three-step ML").all() and d["adjusted"].between(0, 1).all()


def test_the_forward_line_in_the_scorecard_and_its_workbook(demo_run):
    card = demo_run.scorecard
    lines = card.checks[card.checks["check"] == "forward"]
    assert set(lines["candidate"]) == {s.name for s in card.scores}
    assert (lines["criterion"] == "relevant").all()
    assert card.best.checks.query("check == 'forward'")["status"].iloc[0] == PASS
    wb = openpyxl.load_workbook(demo_run.folder / "scorecard.xlsx", read_only=True)
    assert {"Forward", "Forward lift", "Forward by segment", "Forward tests", "Forward outcomes"} <= set(wb.sheetnames)


def test_the_deck_slide_do_the_segments_predict_next_year(demo_run):
    prs = Presentation(str(demo_run.folder / "personas.pptx"))
    # the title follows the horizon measured: the demo's 6 months (12 would say "next year")
    slide = next(s for s in prs.slides if _title(s) == "Do the segments predict the next 6 months?")
    charts = [sh for sh in slide.shapes if sh.has_chart]
    assert len(charts) == 1
    series = [s.name for s in charts[0].chart.plots[0].series]
    # fed in the bars' order on the horizontal chart (drawn bottom-up), so the legend reads as the bars
    assert series[-1] == "Stopped buying (%)" and "Changed main channel (%)" in series
    text = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
    assert "Knowing a customer's segment predicts who stops buying in the 6 months" in text
    assert "from the order history alone" in text
    for token in ("lapsed", "channel_switch", "revenue_change", "AUC", "_"):
        assert token not in text
    data = json.loads((demo_run.folder / "deck_data.json").read_text(encoding="utf-8"))
    assert data["data"]["forward"]["horizon"] == 6 and data["data"]["forward"]["status"] == PASS


def test_wave2_judges_wave1s_segments_on_the_months_since(demo_wave2):
    """Nothing after wave 2's date yet; but wave 1's segments (its frozen model) are judged on
    the six months from wave 1 to wave 2: the planted churn makes them predict who stopped."""
    assert demo_wave2.skipped["forward outcomes"] == (
        "no forward outcomes yet: 6-month horizon (to 2027-03-30) skipped: no line is dated after the reference "
        "date, 6 months missing; 12-month horizon (to 2027-09-30) skipped: no line is dated after the reference "
        "date, 12 months missing")
    since = demo_wave2.context.forward_since
    assert since.horizon == 6 and since.verdict("wave 1 segments")["status"] == PASS
    lapse = since.lift.set_index("outcome").loc["lapsed"]
    assert lapse["low"] > 0 and lapse["p_permutation"] <= 0.05
    wb = openpyxl.load_workbook(demo_wave2.folder / "tracking.xlsx", read_only=True)
    assert {"Since - verdict", "Since - lift", "Since - by segment"} <= set(wb.sheetnames)
