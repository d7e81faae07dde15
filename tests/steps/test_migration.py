"""Step ``migration`` on the demo's wave 2 (session fixture ``demo_wave2``): the panel of
re-interviewed customers is found by the customer key and counted, the planted moves between
segments (demo/constants.py MIGRATION) are recovered, and the results reach tracking.xlsx,
the re-fit advice, the run summary and the deck's data."""

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from scipy.optimize import linear_sum_assignment

from workbench.steps.migration import panel_line


def _truth(study_folder, wave):
    return pd.read_csv(study_folder / "truth" / f"respondents_wave{wave}.csv", dtype={"customer_id": str})


def planted_vs_estimated(run):
    """(estimated matrix in the planted numbering, the planted panel's true transitions, panel customers)."""
    ctx = run.context
    mig = ctx.migration
    folder = run.study.path.parent
    t1, t2 = _truth(folder, 1), _truth(folder, 2)
    cls = ctx.classification.table
    rid = run.study.spec.respondent_id
    t2i = t2.set_index(rid)
    # the model's segments matched to the planted ones on wave 2's classification
    both = cls.index.intersection(t2i.index)
    tab = pd.crosstab(cls.loc[both, "segment"].astype(int), t2i.loc[both, "segment"])
    r, c = linear_sum_assignment(-tab.to_numpy())
    to_truth = {int(tab.index[i]): int(tab.columns[j]) for i, j in zip(r, c)}
    # the panel: customers interviewed once in each wave and kept by the quality checks in both
    # (a submission sent twice under one respondent id is one interview: the quality checks keep one)
    keep1 = set(ctx.earlier(mig.waves[0]).weighted.data.index.astype(str))
    keep2 = set(ctx.weighted.data.index.astype(str))
    a = t1[t1[rid].isin(keep1)].drop_duplicates(rid).drop_duplicates("customer_id", keep=False)
    b = t2[t2[rid].isin(keep2)].drop_duplicates(rid).drop_duplicates("customer_id", keep=False)
    pan = a.merge(b, on="customer_id", suffixes=("_1", "_2"))
    true = pd.crosstab(pan["segment_1"], pan["segment_2"], normalize="index")
    M = mig.matrix()
    est = pd.DataFrame(0.0, index=true.index, columns=true.index)
    for i in M.index:
        for j in M.columns:
            if to_truth.get(int(i)) in est.index and to_truth.get(int(j)) in est.columns:
                est.loc[to_truth[int(i)], to_truth[int(j)]] = M.loc[i, j]
    return est, true.reindex(index=est.index, columns=est.columns, fill_value=0.0), pan


def test_demo_panel_found_and_planted_moves_recovered(demo_wave2):
    ctx = demo_wave2.context
    assert "migration" not in demo_wave2.skipped, demo_wave2.skipped.get("migration")
    mig = ctx.migration
    est, true, pan = planted_vs_estimated(demo_wave2)
    assert ctx.manifest.counts["panel_wave_1_to_2"] == len(pan) == mig.n_panel
    assert "Panel (answered in two waves): wave 1 → 2:" in str(demo_wave2)
    assert mig.readable
    # the planted move: installers (3) to digital self-servers (1); everyone else mostly stays
    assert est.loc[3, 1] == pytest.approx(true.loc[3, 1], abs=0.1) and est.loc[3, 1] > 0.1
    assert np.abs(np.diag(est) - np.diag(true)).max() < 0.12


def test_demo_migration_reaches_tracking_advice_and_deck(demo_wave2):
    ctx = demo_wave2.context
    mig = ctx.migration
    wb = load_workbook(demo_wave2.folder / "tracking.xlsx", read_only=True)
    assert {"Migration - Panel", "Migration - Invariance"} <= set(wb.sheetnames)
    assert ("Migration - Transitions" in wb.sheetnames) == mig.readable
    checks = ctx.tracking.advice.table.set_index("check")
    assert checks.loc["measurement invariance (panel)", "status"] == {"full": "ok", "partial": "warn",
                                                                       "none": "due"}[mig.level]
    deck = ctx.trends.migration
    assert deck["n_panel"] == mig.n_panel and deck["readable"] == mig.readable
    if mig.readable:
        assert all(sum(row) == 100 for row in deck["matrix"])


def test_panel_line():
    assert panel_line({"panel_wave_1_to_2": 525, "panel_wave_2024_1_to_2024_2": 3}) == \
        "Panel (answered in two waves): wave 1 → 2: 525, wave 2024_1 → 2024_2: 3"
    assert panel_line({"customers_surveyed": 4}) is None


def test_no_panel_skips_with_the_reason_and_counts():
    from types import SimpleNamespace as NS

    from workbench.steps.context import Skip
    from workbench.steps.migration import migration

    def wave(ids, cust):
        return NS(data=pd.DataFrame({"cust": cust, "q1": 1.0}, index=pd.Index(ids, name="rid")), weights=None)

    w1 = wave(["a1", "a2", "a3"], ["C1", "C2", "C3"])
    w2 = wave(["b1", "b2"], ["C1", "C3"])
    spec = NS(panel=NS(key="respondent", alpha=0.05, bootstrap_reps=0), customer_id="cust")
    ctx = NS(study=NS(spec=spec, waves=[NS(id="1"), NS(id="2")]), frozen=NS(wave="1", method="lca"), wave="2",
             weighted=w2, earlier=lambda w: NS(weighted=w1), manifest=NS(counts={}))
    out = migration(ctx)
    assert isinstance(out, Skip)
    assert out.reason == "0 respondents answered in two waves (linked by respondent id); transitions need at least 30"
    assert out.counts == {"panel_wave_1_to_2": 0}
    assert ctx.manifest.counts == {}  # the step returns its counts; the runner records them
    # 35 ids numbered from 1 in both waves, no panel declared: counted, nothing estimated
    ctx.earlier = lambda w: NS(weighted=wave([str(i) for i in range(1, 41)], ["X"] * 40))
    ctx.weighted = wave([str(i) for i in range(1, 36)], ["Y"] * 35)
    spec.panel.key = None
    out = migration(ctx)
    assert out.reason.startswith("35 respondent ids appear in two waves, but the study declares no panel: set "
                                 "panel: {key: respondent} if they are the same people")
    assert out.counts == {"panel_wave_1_to_2": 35}
    ctx.earlier, ctx.weighted = (lambda w: NS(weighted=w1)), w2
    spec.panel.key = "customer"  # the same interviews linked by the customer key: 2 re-interviewed accounts
    out = migration(ctx)
    assert out.reason.startswith("2 respondents answered in two waves (linked by customer key 'cust')")
    assert out.counts == {"panel_wave_1_to_2": 2}
