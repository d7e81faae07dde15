"""workbench.factors on synthetic data: properties, scores, names, polychoric, bad input.

(The comparisons with published R output are in test_factors_reference.py.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

import workbench.factors as wf
from workbench.core.errors import AnalysisError, DataError, WorkbenchWarning

LOAD = np.array([[0.8, 0], [0.7, 0], [0.75, 0], [0.65, 0], [0, 0.8], [0, 0.7], [0, 0.75], [0, 0.6]])


def planted(n=600, seed=3, phi=0.3, likert=True):
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal([0, 0], [[1, phi], [phi, 1]], size=n)
    x = f @ LOAD.T + rng.normal(size=(n, 8)) * np.sqrt(1 - (LOAD ** 2).sum(axis=1))
    if likert:
        x = np.clip(np.round(x * 1.1 + 3), 1, 5)
    cols = [f"q{i + 1}" for i in range(8)]
    return pd.DataFrame(x, columns=cols, index=[f"r{i}" for i in range(n)]), pd.DataFrame(f, columns=["F1", "F2"])


LABELS = {"q1": "Low prices", "q2": "Rebates", "q3": "Terms", "q4": "Discounts",
          "q5": "Fast delivery", "q6": "Tracking", "q7": "Complete orders", "q8": "Next day"}


@pytest.fixture(scope="module")
def items():
    return planted()


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("method", ["minres", "ml", "pa", "principal"])
@pytest.mark.parametrize("rotation", ["oblimin", "quartimin", "geomin", "promax", "varimax", "none"])
def test_every_method_and_rotation_recovers_the_planted_structure(items, method, rotation):
    data, _ = items
    res = wf.efa(data, 2, method=method, rotation=rotation, labels=LABELS)
    prim = res.primary
    if rotation != "none":
        assert prim[["q1", "q2", "q3", "q4"]].nunique() == 1 and prim[["q5", "q6", "q7", "q8"]].nunique() == 1
        assert prim["q1"] != prim["q5"]
    # communalities are the rotation-invariant diag(L Phi L'), as psych
    phi = res.factor_correlations.to_numpy() if res.factor_correlations is not None else np.eye(2)
    lam = res.loadings.to_numpy()
    assert np.allclose(res.communalities, np.diag(lam @ phi @ lam.T), atol=1e-6)
    assert np.allclose(res.structure, lam @ phi)
    assert (res.factor_correlations is not None) == (rotation in ("oblimin", "quartimin", "geomin", "promax"))
    ss = res.variance["SS loadings"].to_numpy()
    assert np.allclose(ss, np.diag(phi @ lam.T @ lam)) and (np.diff(ss) <= 1e-12).all()
    assert (res.loadings.sum() > 0).all()  # each factor signed so its loadings sum positive


def test_rotation_does_not_change_communalities(items):
    data, _ = items
    base = wf.efa(data, 2, rotation="none").communalities
    for rotation in ("varimax", "promax", "oblimin", "geomin"):
        assert np.allclose(wf.efa(data, 2, rotation=rotation).communalities, base)


def test_oblique_factor_correlation_is_recovered(items):
    data, _ = items
    res = wf.efa(data, 2)
    assert res.factor_correlations.iloc[0, 1] == pytest.approx(0.3, abs=0.1)


def test_correlation_matrix_input_gives_the_same_solution(items):
    data, _ = items
    res = wf.efa(data, 2)
    again = wf.efa(data.corr(), 2, n_obs=len(data))
    assert np.allclose(res.loadings, again.loadings, atol=1e-6)
    assert again.fit["chi-square"] == pytest.approx(res.fit["chi-square"])
    with pytest.raises(AnalysisError, match="correlation matrix: scores need the raw answers"):
        again.scores(data)


def test_pairwise_is_the_default_and_listwise_drops_incomplete_respondents(items):
    data, _ = items
    holes = data.copy()
    holes.iloc[::7, 0] = np.nan
    holes.iloc[::11, 5] = np.nan
    pair = wf.efa(holes, 2)
    lw = wf.efa(holes, 2, missing="listwise")
    assert pair.missing == "pairwise" and pair.n_obs == len(holes)
    assert lw.n_obs == len(holes.dropna())
    assert pair.correlation.loc["q1", "q2"] == pytest.approx(holes[["q1", "q2"]].dropna().corr().iloc[0, 1])


# --------------------------------------------------------------------------- summary and names


def test_summary_is_sorted_blanked_and_flags_cross_loadings(items):
    data, _ = items
    extra = data.copy()
    extra["q9"] = (data["q1"] + data["q5"]) / 2 + np.random.default_rng(0).normal(scale=0.6, size=len(data))
    res = wf.efa(extra, 2, labels=LABELS, cut=0.3)
    s = res.summary()
    f1, f2 = res.names
    first = [i for i in s.index if res.primary[i] == f1]
    assert list(s.index[: len(first)]) == first  # grouped by factor, in factor order
    assert list(s.loc[first, f1].abs()) == sorted(s.loc[first, f1].abs(), reverse=True)
    vals = s[[f1, f2]].to_numpy(dtype=float)
    assert (np.isnan(vals) | (np.abs(vals) >= 0.3)).all()
    assert s.loc["q9", "cross-loading"] != ""
    assert s.loc["q1", "cross-loading"] == ""
    assert s.loc["q1", "label"] == "Low prices"
    assert {"h2", "u2", "complexity"} <= set(s.columns)
    text = str(res)
    assert "Low prices" in text and "factor correlations" in text
    assert "<table" in res._repr_html_()


def test_names_are_suggested_from_labels_and_can_be_overridden(items):
    data, _ = items
    res = wf.efa(data, 2, labels=LABELS)
    price = {"Low prices", "Rebates", "Terms", "Discounts"}
    delivery = {"Fast delivery", "Tracking", "Complete orders", "Next day"}
    parts = [set(n.split(" / ")) for n in res.suggested_names]
    assert sorted(len(p & price) for p in parts) == [0, 2] and sorted(len(p & delivery) for p in parts) == [0, 2]
    assert res.names == res.suggested_names
    named = wf.efa(data, 2, labels=LABELS, names={"q6": "Delivery", "q2": "Price"})
    assert named.names[named.loadings.columns.get_loc(named.primary["q2"])] == "Price"
    assert set(named.names) == {"Price", "Delivery"}
    assert list(named.scores(data).columns) == named.names
    listed = wf.efa(data, 2, names=["A", "B"])
    assert listed.names == ["A", "B"]
    with pytest.raises(AnalysisError, match="item 'q99', which is not in this battery"):
        wf.efa(data, 2, names={"q99": "X"})
    with pytest.warns(wf.FactorWarning, match="both mark the same factor.*named 'X'"):
        same = wf.efa(data, 2, names={"q1": "X", "q2": "Y"})  # data-dependent: named after the first marker
    assert "X" in same.names and "Y" not in same.names
    with pytest.raises(AnalysisError, match=r"3 factor name\(s\) given for 2 factors"):
        wf.efa(data, 2, names=["A", "B", "C"])
    with pytest.raises(AnalysisError, match="factor name 'A' is used twice"):
        wf.efa(data, 2, names=["A", "A"])


# --------------------------------------------------------------------------- scores


def test_regression_scores_equal_psych_weights_on_complete_data(items):
    data, _ = items
    res = wf.efa(data, 2)
    z = (data - data.mean()) / data.std(ddof=1)
    w = np.linalg.solve(res.correlation.to_numpy(), res.structure.to_numpy())
    assert np.allclose(res.scores(data).to_numpy(), z.to_numpy() @ w)


def test_scores_track_the_planted_factors_and_tolerate_missing_answers(items):
    data, truth = items
    res = wf.efa(data, 2, names={"q1": "price", "q5": "delivery"})
    holes = data.copy()
    holes.iloc[0, [0, 1]] = np.nan
    holes.iloc[1, :] = np.nan
    holes.iloc[2, 4:] = np.nan
    sc = res.scores(holes)
    assert sc.index.equals(holes.index) and list(sc.columns) == ["price", "delivery"]
    assert sc.iloc[0].notna().all() and sc.iloc[1].isna().all() and sc.iloc[2].notna().all()
    full = res.scores(data)
    assert np.corrcoef(full["price"], truth["F1"])[0, 1] > 0.85
    assert np.corrcoef(full["delivery"], truth["F2"])[0, 1] > 0.85
    # a respondent missing two items is scored from the items answered: the regression of
    # the factors on those items, not on imputed values
    o = [2, 3, 4, 5, 6, 7]
    z = ((data.iloc[0] - res.means) / res.sds).to_numpy()[o]
    w = np.linalg.solve(res.correlation.to_numpy()[np.ix_(o, o)], res.structure.to_numpy()[o])
    assert np.allclose(sc.iloc[0].to_numpy(), z @ w)
    assert abs(sc.iloc[0]["price"] - full.iloc[0]["price"]) < 1.5
    # a later wave without one of the items is refused with the item named
    with pytest.raises(DataError, match="'q3'"):
        res.scores(data.drop(columns="q3"))


def test_bartlett_scores_are_conditionally_unbiased(items):
    data, _ = items
    res = wf.efa(data, 2, rotation="varimax")
    lam = res.loadings.to_numpy()
    psi = res.uniquenesses.to_numpy()
    w = (lam / psi[:, None]) @ np.linalg.inv(lam.T @ (lam / psi[:, None]))
    assert np.allclose(w.T @ lam, np.eye(2))
    z = ((data - res.means) / res.sds).to_numpy()
    assert np.allclose(res.scores(data, method="bartlett").to_numpy(), z @ w)


# --------------------------------------------------------------------------- counts, suitability


def test_parallel_analysis_finds_two_factors_and_is_reproducible(items):
    data, _ = items
    a = wf.parallel_analysis(data, random_state=42, progress_bar=False)
    b = wf.parallel_analysis(data, random_state=42, progress_bar=False)
    assert a.recommended == 2
    pd.testing.assert_frame_equal(a.eigenvalues, b.eigenvalues)
    c = wf.parallel_analysis(data, random_state=np.random.default_rng(42), progress_bar=False)
    assert np.allclose(a.eigenvalues, c.eigenvalues)
    assert {"Kaiser (eigenvalue > 1)", "Velicer MAP", "scree: optimal coordinates"} <= set(a.table.index)
    assert a.table.loc["Velicer MAP", "factors"] == 2
    fig = a.plot()
    assert fig.axes and fig.axes[0].get_ylabel() == "eigenvalue"
    auto = wf.efa(data, "auto", random_state=42, progress_bar=False)
    assert auto.n_factors == 2 and auto.factor_count is not None
    poly = wf.parallel_analysis(data, correlation="polychoric", n_iter=3, random_state=1, progress_bar=False)
    assert poly.kind == "simulate" and poly.recommended == 2  # psych simulates normal data for any correlation
    shuffled = wf.parallel_analysis(data, correlation="polychoric", kind="resample", n_iter=3, random_state=1,
                                    progress_bar=False)
    assert shuffled.kind == "resample" and shuffled.recommended == 2


def test_kmo_and_bartlett_against_hand_computation(items):
    data, _ = items
    s = wf.suitability(data)
    r = data.corr().to_numpy()
    inv = np.linalg.inv(r)
    partial = -inv / np.sqrt(np.outer(np.diag(inv), np.diag(inv)))
    off = ~np.eye(8, dtype=bool)
    assert s.kmo == pytest.approx((r[off] ** 2).sum() / ((r[off] ** 2).sum() + (partial[off] ** 2).sum()))
    n, p = data.shape
    assert s.bartlett_chi2 == pytest.approx(-(n - 1 - (2 * p + 5) / 6) * np.log(np.linalg.det(r)))
    assert s.bartlett_df == 28
    assert wf.kmo_verdict(0.91) == "marvelous" and wf.kmo_verdict(0.45) == "unacceptable"
    assert "statistic" == s.summary().index.name


def test_items_with_low_msa_are_flagged(items):
    data, _ = items
    noisy = data.copy()
    rng = np.random.default_rng(5)
    # a difference score: large partial correlations with q1 and q2, small plain ones
    noisy["junk"] = data["q1"] - data["q2"] + rng.normal(scale=0.5, size=len(data))
    s = wf.suitability(noisy)
    assert "junk" in s.flagged and "q5" not in s.flagged
    assert s.items.loc["junk", "verdict"] == "unacceptable"


# --------------------------------------------------------------------------- reliability


def test_alpha_hand_computation_and_reverse_keys(items):
    data, _ = items
    sub = data[["q1", "q2", "q3", "q4"]]
    c = sub.cov().to_numpy()
    k = 4
    assert wf.cronbach_alpha(sub) == pytest.approx(k / (k - 1) * (1 - np.trace(c) / c.sum()))
    rev = sub.copy()
    rev["q2"] = 6 - rev["q2"]
    assert wf.cronbach_alpha(rev, reverse=["q2"]) == pytest.approx(wf.cronbach_alpha(sub))
    assert wf.cronbach_alpha(rev) < wf.cronbach_alpha(sub) - 0.2
    res = wf.efa(rev.join(data[["q5", "q6", "q7", "q8"]]), 2, reverse=["q2"])
    scales = res.reliability.scales
    assert scales["alpha"].min() > 0.6
    assert "q2" in " ".join(scales["reversed"])


def test_omega_equals_standardised_alpha_for_equal_loadings():
    rng = np.random.default_rng(11)
    f = rng.normal(size=20000)
    x = pd.DataFrame({f"i{j}": 0.7 * f + np.sqrt(0.51) * rng.normal(size=f.size) for j in range(5)})
    assert wf.omega_total(x) == pytest.approx(wf.cronbach_alpha(x, standardized=True), abs=0.002)
    # congeneric items: omega = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)) with the planted loadings
    lam = np.array([0.9, 0.8, 0.6, 0.4])
    y = pd.DataFrame({f"j{j}": lam[j] * f + np.sqrt(1 - lam[j] ** 2) * rng.normal(size=f.size) for j in range(4)})
    true = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam ** 2).sum())
    assert wf.omega_total(y) == pytest.approx(true, abs=0.01)


# --------------------------------------------------------------------------- polychoric


def test_bivariate_normal_cdf_agrees_with_scipy():
    rng = np.random.default_rng(2)
    for r in (-0.97, -0.5, -0.1, 0.2, 0.6, 0.8, 0.95):
        h, k = rng.normal(size=5) * 1.5, rng.normal(size=5) * 1.5
        ref = [multivariate_normal([0, 0], [[1, r], [r, 1]]).cdf([a, b]) for a, b in zip(h, k)]
        assert np.allclose(wf.bivariate_normal_cdf(h, k, r), ref, atol=1e-7)


@pytest.mark.parametrize("rho", [0.6, -0.35])
def test_polychoric_recovers_the_latent_correlation(rho):
    # independent check: bivariate normal data with a known correlation, cut into 5 categories
    rng = np.random.default_rng(7)
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=4000)
    x = np.digitize(z[:, 0], [-1.5, -0.5, 0.4, 1.2]) + 1
    y = np.digitize(z[:, 1], [-1.0, 0.0, 0.7, 1.6]) + 1
    est = wf.polychoric_pair(x, y)
    assert est == pytest.approx(rho, abs=0.035)
    assert abs(np.corrcoef(x, y)[0, 1]) < abs(rho) - 0.02  # Pearson of the codes is attenuated


def test_polychoric_efa_gives_higher_loadings_than_pearson(items):
    data, _ = items
    pear = wf.efa(data, 2)
    poly = wf.efa(data, 2, correlation="polychoric")
    assert poly.correlation_type == "polychoric"
    assert poly.communalities.mean() > pear.communalities.mean()
    with pytest.raises(AnalysisError, match="distinct answers; polychoric"):
        wf.polychoric(pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30.0) % 5, "c": np.arange(30.0) % 3}))


# --------------------------------------------------------------------------- bad input


def test_constant_item_is_named(items):
    data, _ = items
    bad = data.assign(q9=4.0)
    with pytest.raises(AnalysisError, match=r"constant item\(s\): 'q9' \(always 4\)"):
        wf.efa(bad, 2)


def test_fewer_respondents_than_items(items):
    data, _ = items
    with pytest.raises(AnalysisError, match="6 respondent.*for 8 items: there must be more respondents than items"):
        wf.efa(data.iloc[:6], 1)


def test_singular_matrix_names_the_collinear_items(items):
    data, _ = items
    bad = data.assign(total=data["q1"] + data["q2"])
    with pytest.raises(AnalysisError, match="singular.*'q1'.*'q2'.*'total'|singular.*'total'"):
        wf.efa(bad, 2)


def test_too_many_factors_says_how_many_are_possible(items):
    data, _ = items
    with pytest.raises(AnalysisError, match="5 factors cannot be identified from 8 items: 8 items identify at most 4"):
        wf.efa(data, 5)
    with pytest.raises(AnalysisError, match="at least one factor"):
        wf.efa(data, 0)


def test_text_and_empty_columns_and_bad_options(items):
    data, _ = items
    with pytest.raises(DataError, match="item 'q1' holds text"):
        wf.efa(data.assign(q1="agree"), 2)
    with pytest.raises(AnalysisError, match="'q9' have no answers at all"):
        wf.efa(data.assign(q9=np.nan), 2)
    with pytest.raises(ValueError, match="rotation='oblimax' is not supported"):
        wf.efa(data, 2, rotation="oblimax")
    split = data.copy()
    split.loc[split.index[:300], "q8"] = np.nan
    split.loc[split.index[300:], "q7"] = np.nan
    with pytest.raises(AnalysisError, match="'q7' and 'q8' were answered together by only 0"):
        wf.efa(split, 2)


def test_heywood_case_warns():
    r = pd.DataFrame([[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]], index=list("abc"), columns=list("abc"))
    with pytest.warns(WorkbenchWarning, match="Heywood case: item\\(s\\) 'a'"):
        res = wf.efa(r, 1, n_obs=200)
    assert any("Heywood" in n for n in res.notes)


def test_same_inputs_same_result(items):
    data, _ = items
    a = wf.efa(data, "auto", random_state=3, progress_bar=False)
    b = wf.efa(data, "auto", random_state=3, progress_bar=False)
    pd.testing.assert_frame_equal(a.loadings, b.loadings)
    pd.testing.assert_frame_equal(a.factor_count.eigenvalues, b.factor_count.eigenvalues)


def test_cfa_of_the_planted_structure_holds_on_a_new_sample():
    wave1, _ = planted(seed=1)
    wave2, _ = planted(seed=2, likert=False)
    res = wf.efa(wave1, 2, names={"q1": "price", "q5": "delivery"})
    model = res.scales()
    assert model == {"price": ["q1", "q3", "q2", "q4"], "delivery": ["q5", "q7", "q6", "q8"]} or \
        set(map(frozenset, model.values())) == {frozenset(["q1", "q2", "q3", "q4"]), frozenset(["q5", "q6", "q7", "q8"])}
    fit = wf.cfa(wave2, model)
    assert fit.holds and fit.verdict == "good"
    wrong = wf.cfa(wave2, {"a": ["q1", "q2", "q5", "q6"], "b": ["q3", "q4", "q7", "q8"]})
    assert not wrong.holds and wrong.fit["RMSEA"] > fit.fit["RMSEA"]
    with pytest.raises(DataError, match="lacks item\\(s\\) 'zz'"):
        wf.cfa(wave2, {"a": ["q1", "q2", "zz"]})
    with pytest.raises(AnalysisError, match="factor 'a' has 1 item"):
        wf.cfa(wave2, {"a": ["q1"], "b": ["q2", "q3", "q4"]})


def test_factor_analyzer_works_with_a_scikit_learn_without_force_all_finite(items, monkeypatch):
    # scikit-learn 1.8 renamed check_array's force_all_finite to ensure_all_finite, which
    # breaks factor-analyzer 0.5.1's fit; simulate that scikit-learn and fit through the shim
    import factor_analyzer.factor_analyzer as fam
    import sklearn.utils
    from sklearn.utils import check_array as real

    def new_check_array(array, *, ensure_all_finite=True, **kwargs):
        assert "force_all_finite" not in kwargs
        return real(array, ensure_all_finite=ensure_all_finite, **kwargs)

    monkeypatch.setattr(sklearn.utils, "check_array", new_check_array)
    monkeypatch.setattr(fam, "check_array", new_check_array)
    data, _ = items
    res = wf.efa(data, 2)
    assert res.n_factors == 2 and fam.check_array is new_check_array
