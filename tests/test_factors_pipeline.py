"""The factors step on the demo study: planted dimensions recovered, names from the study,
factors.xlsx written, and the study's ``factors:`` section validated."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest

from workbench.core.errors import StudyError
from workbench.pipeline import new_context, run_steps
from workbench.study import load_study

from conftest import MINI_STUDY, write_mini


@pytest.fixture(scope="module")
def factor_run(demo_study, tmp_path_factory):
    study = load_study(demo_study)
    ctx = new_context(study, "1")
    writers = run_steps(ctx, ["read", "quality", "weighting", "factors"])
    out = tmp_path_factory.mktemp("factor_reports")
    writers[-1](out)  # the factors step's writer (quality's comes first)
    return ctx, out / "factors.xlsx"


def test_each_planted_dimension_loads_on_one_factor(factor_run, demo_study):
    ctx, _ = factor_run
    truth = json.loads((demo_study / "truth" / "truth.json").read_text(encoding="utf-8"))["factors"]
    assert set(ctx.factors) == {"needs", "motivations", "barriers"}
    for block, dims in truth["blocks"].items():
        res = ctx.factors[block]
        assert res.n_factors == len(dims)  # parallel analysis found the planted number
        used = set()
        for dim in dims:
            items = [it["item"] for it in truth["items"][dim]]
            load = res.loadings.loc[items]
            strong = (load.abs() >= 0.5).all(axis=0)
            assert strong.sum() == 1, f"{dim}: {items} do not load >= .5 together on one factor\n{load.round(2)}"
            factor = strong.idxmax()
            assert factor not in used
            used.add(factor)
            # the reverse-keyed item (need_12) loads negatively, as planted
            for it in truth["items"][dim]:
                assert np.sign(load.at[it["item"], factor]) == np.sign(it["loading"])


def test_study_names_reach_the_factors_and_scores(factor_run, demo_study):
    ctx, _ = factor_run
    needs = ctx.factors["needs"]
    assert needs.names[list(needs.loadings.columns).index(needs.primary["need_04"])] == "Delivery reliability"
    assert set(needs.names) == {"Price and terms", "Delivery reliability", "Digital self-service",
                                "Advice and relationship"}
    data = ctx.clean.data
    scores = needs.scores(data)
    assert scores.index.equals(data.index) and list(scores.columns) == needs.names
    # respondents with a missing (or "don't know") need item still get scores
    partial = data[needs.items].isna().any(axis=1) & data[needs.items].notna().any(axis=1)
    assert partial.sum() > 0 and scores[partial].notna().all().all()
    truth = pd.read_csv(demo_study / "truth" / "respondents_wave1.csv", dtype={"resp_id": str})
    truth = truth.drop_duplicates("resp_id", keep="last").set_index("resp_id").loc[data.index]
    planted = {"Price and terms": "f_price", "Delivery reliability": "f_delivery",
               "Digital self-service": "f_digital", "Advice and relationship": "f_advice"}
    for name, col in planted.items():
        assert np.corrcoef(scores[name], truth[col])[0, 1] > 0.7, name


def test_reliability_uses_the_study_reverse_keys(factor_run):
    ctx, _ = factor_run
    rel = ctx.factors["needs"].reliability
    advice = [s for s in rel.scales.index if "need_12" in rel.scales.at[s, "reversed"]]
    assert advice == ["Advice and relationship"]
    assert rel.items.loc[("Advice and relationship", "need_12"), "key"] == -1
    assert (rel.scales["alpha"] > 0.6).all()


def test_factors_workbook_has_every_table(factor_run):
    _, path = factor_run
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Suitability", "Item adequacy", "Factor count", "Loadings needs", "Loadings motivations",
                             "Loadings barriers", "Variance", "Reliability", "Reliability items", "Factor correlations"]
    load = pd.read_excel(path, sheet_name="Loadings needs", header=2, index_col=0)
    assert "Delivery reliability" in load.columns and "Label" in load.columns
    vals = load[["Price and terms", "Delivery reliability"]].to_numpy(dtype=float)
    assert (np.isnan(vals) | (np.abs(vals) >= 0.3)).all()  # blanked below the cut
    suit = pd.read_excel(path, sheet_name="Suitability", header=2)
    assert list(suit["Battery"]) == ["needs", "motivations", "barriers"] and (suit["KMO"] > 0.6).all()
    text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "@" not in text  # no contact data


STUDY_WITH_FACTORS = MINI_STUDY + """\
factors:
  batteries:
    needs:
      n_factors: 1
      rotation: varimx
      names: {n9: Price}
    extra:
      blocks: [firmo, nope]
"""


def test_factor_section_problems_are_reported_with_key_paths(tmp_path):
    write_mini(tmp_path, study=STUDY_WITH_FACTORS)
    with pytest.raises(StudyError) as exc:
        load_study(tmp_path)
    text = str(exc.value)
    assert "factors.batteries.needs.rotation: got 'varimx'" in text
    assert "factors.batteries.needs.names.n9: 'n9' is not an item of this battery" in text
    assert "factors.batteries.extra.blocks[1]: unknown block 'nope'" in text
    assert "factors.batteries.extra.blocks[0]: question 'eksport'" not in text  # binary is fine
    assert "line " in text


def test_factor_section_n_factors_checked_against_the_items(tmp_path):
    write_mini(tmp_path, study=MINI_STUDY + "factors:\n  batteries:\n    needs: {n_factors: 2}\n")
    with pytest.raises(StudyError, match="2 factors cannot be identified from the battery's 3 items"):
        load_study(tmp_path)
    write_mini(tmp_path, study=MINI_STUDY + "factors:\n  batteries:\n    needs: {n_factors: 1, method: ml}\n")
    spec = load_study(tmp_path).spec
    bat = spec.factors.resolved(spec)["needs"]
    assert bat.blocks == ["needs"] and bat.method == "ml" and bat.missing == "pairwise"


def test_default_batteries_are_the_needs_motivations_and_barriers_blocks(demo_study):
    spec = load_study(demo_study).spec
    assert list(spec.factors.model_copy(update={"batteries": None}).resolved(spec)) == ["needs", "motivations", "barriers"]
    assert spec.factors.model_copy(update={"run": False}).resolved(spec) == {}


def test_factors_step_weights_the_correlations(demo_study):
    """With survey weights on the clean data, the step's correlations are the weighted ones
    (checked against numpy's aweights on the complete answers)."""
    import dataclasses

    from workbench.factors import correlation_matrix

    study = load_study(demo_study)
    ctx = new_context(study, "1")
    run_steps(ctx, ["read", "quality"])
    g = np.random.default_rng(8)
    w = pd.Series(g.uniform(0.3, 3.0, len(ctx.clean.data)), index=ctx.clean.data.index)
    ctx.weighted = dataclasses.replace(ctx.clean, weights=w)  # as the weighting step gives raking weights
    run_steps(ctx, ["factors"])
    res = ctx.factors["motivations"]
    items = res.items
    data = ctx.weighted.data[items].astype(float)
    ref = correlation_matrix(data, weights=w).matrix
    np.testing.assert_allclose(res.correlation.to_numpy(), ref.to_numpy(), atol=1e-12)
    assert np.abs(res.correlation.to_numpy() - data.corr().to_numpy()).max() > 1e-4  # weighting changed them
    complete = data.dropna()
    c = np.cov(complete.to_numpy(), rowvar=False, aweights=w[complete.index].to_numpy())
    if len(complete) == len(data):  # no missing answers: the pairwise weighted r is np.cov(aweights=...)
        np.testing.assert_allclose(res.correlation.to_numpy(), c / np.sqrt(np.outer(np.diag(c), np.diag(c))),
                                   atol=1e-12)
    assert res.n_factors == 2  # the planted motivations structure survives the weights


def test_factor_count_sheet_shows_the_auto_decision(factor_run):
    _, path = factor_run
    fc = pd.read_excel(path, sheet_name="Factor count", header=2)
    needs = fc[fc["Battery"] == "needs"]
    assert "auto: decision" in set(needs["Criterion"])
    kept = needs[needs["Criterion"].astype(str).str.startswith("auto: 4 factor(s) kept")]
    assert len(kept) == 1 and bool(kept["Used"].iloc[0])
    assert bool(needs.loc[needs["Criterion"] == "auto: decision", "Used"].iloc[0])
    why = needs.iloc[0]  # first, one client-readable line: which rules agreed and why this number
    assert why["Criterion"] == "why this number of factors" and str(why["Note"]).startswith("4 factors: ")
    assert "parallel analysis" in why["Note"] and {"Hull method", "exploratory graph analysis"} <= set(needs["Criterion"])


def test_deck_notes_say_which_rules_agreed(factor_run):
    """The factor slide's notes (deck data's factor_notes) carry the same one line per battery as the workbook."""
    from workbench.steps.deck_data import _factor_rows

    ctx, _ = factor_run
    _, notes = _factor_rows(ctx.factors)
    line = next(n for n in notes if n.startswith("needs: 4 factors: "))
    assert line == f"needs: {ctx.factors['needs'].count_sentence()}"
    assert "parallel analysis" in line and "\n" not in line and "auto" not in line


def test_a_negative_alpha_never_reaches_the_slide(factor_run):
    """Keyed in the factor's direction alpha is rarely negative, but if it is, the slide's cell stays empty (the
    workbook keeps the value)."""
    import dataclasses

    from workbench.steps.deck_data import _factor_rows

    ctx, _ = factor_run
    res = ctx.factors["needs"]
    scales = res.reliability.scales.copy()
    first = scales.index[0]
    scales.loc[first, "alpha"] = -0.2
    bad = dataclasses.replace(res, reliability=dataclasses.replace(res.reliability, scales=scales))
    rows, _ = _factor_rows({"needs": bad})
    alpha = {r["factor"]: r["alpha"] for r in rows}
    assert np.isnan(alpha[str(first)])
    assert len(alpha) == 4 and all(v > 0 for f, v in alpha.items() if f != str(first))
