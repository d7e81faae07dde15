"""workbench.segments: exactness against published output, recovery, determinism, bad input."""

from __future__ import annotations

import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal
from sklearn.metrics import adjusted_rand_score

matplotlib.use("Agg")

from workbench import segments  # noqa: E402
from workbench.core.errors import AnalysisError  # noqa: E402
from workbench.segments import SegmentationConvergenceWarning, SegmentationWarning  # noqa: E402

from stepmix_reference import lca_as_stepmix  # noqa: E402


def expand(table, columns):
    """Respondent rows from a frequency table [(answers..., count)]."""
    rows = [r[:-1] for r in table for _ in range(r[-1])]
    return pd.DataFrame(rows, columns=columns, index=[f"r{i}" for i in range(len(rows))]).astype(float)


# Anti-religious speech items, General Social Survey 1987, as the pattern frequencies and the
# poLCA output printed by D. L. Oberski, "Anti-religious speech", Latent class analysis course
# (https://daob.github.io/latent-class-analysis/antireli.html):
#   poLCA(cbind(Y1, Y2, Y3) ~ 1, data = antireli, nclass = 2)
#   Estimated class population shares 0.3795 0.6205; maximum log-likelihood: -2795.376;
#   AIC(2): 5604.751; BIC(2): 5642.873; number of observations 1713.
ANTIRELI = [(1, 1, 1, 696), (2, 1, 1, 34), (1, 2, 1, 275), (2, 2, 1, 125),
            (1, 1, 2, 68), (2, 1, 2, 19), (1, 2, 2, 130), (2, 2, 2, 366)]

# Pleural thickening data (Dayton 1998, Latent Class Scaling Analysis, Table 3.1), as printed
# with LEM and Mplus output by UCLA IDRE "Textbook examples: Latent Class Scaling Analysis by
# C. Mitchell Dayton" (https://stats.oarc.ucla.edu/mplus/examples/lc-scaling-analysis/
# latent-class-scaling-analysis-by-c-mitchell-dayton, and .../stat/lem/examples/
# lc_scaling_analysis/lem.htm): LEM "dat [1513 23 59 12 21 19 11 34]" (last variable changes
# fastest). LEM: Log-likelihood = -891.14280, class proportions 0.9455 0.0545. Mplus: H0 value
# -891.143, 7 free parameters, AIC 1796.286, BIC 1834.321, Sample-Size Adjusted BIC 1812.083,
# Entropy 0.949.
PLEURAL = [(1, 1, 1, 1513), (1, 1, 2, 23), (1, 2, 1, 59), (1, 2, 2, 12),
           (2, 1, 1, 21), (2, 1, 2, 19), (2, 2, 1, 11), (2, 2, 2, 34)]


def planted_lca(n=600, k=3, items=8, missing=0.2, seed=0, cats=4):
    """Coded answers from a latent class model with well separated classes."""
    rng = np.random.default_rng(seed)
    shares = np.array([0.5, 0.3, 0.2])[:k]
    probs = rng.dirichlet(np.full(cats, 0.3), size=(k, items))
    z = rng.choice(k, size=n, p=shares / shares.sum())
    u = rng.random((n, items, 1))
    x = (u > probs[z].cumsum(axis=2)).sum(axis=2).clip(max=cats - 1) + 1.0
    x[rng.random((n, items)) < missing] = np.nan
    frame = pd.DataFrame(x, columns=[f"q{j + 1}" for j in range(items)], index=[f"id{i:04d}" for i in range(n)])
    return frame, pd.Series(z, index=frame.index)


def planted_profiles(n=450, seed=0):
    rng = np.random.default_rng(seed)
    means = np.array([[0, 0, 0, 0], [4, 4, 0, 0], [0, 4, 4, 4]], dtype=float)
    z = rng.choice(3, size=n, p=[0.45, 0.35, 0.2])
    x = means[z] + rng.normal(size=(n, 4))
    return pd.DataFrame(x, columns=list("abcd"), index=[f"p{i}" for i in range(n)]), pd.Series(z)


# --------------------------------------------------------------------------- exactness


def test_lca_matches_published_polca_output():
    data = expand(ANTIRELI, ["Y1", "Y2", "Y3"])
    sol = segments.lca(data, 2, n_init=5, random_state=3, progress=False)
    assert sol.n == 1713
    assert sol.loglik == pytest.approx(-2795.376, abs=0.01)
    assert sorted(sol.shares) == pytest.approx([0.3795, 0.6205], abs=0.005)
    assert sol.n_parameters == 7
    assert sol.aic == pytest.approx(5604.751, abs=0.01)
    assert sol.bic == pytest.approx(5642.873, abs=0.01)


def test_fit_indices_match_published_lem_and_mplus_output():
    data = expand(PLEURAL, ["A", "B", "C"])
    sol = segments.lca(data, 2, n_init=5, random_state=1, progress=False)
    assert sol.loglik == pytest.approx(-891.14280, abs=0.01)
    assert list(sol.shares) == pytest.approx([0.9455, 0.0545], abs=0.005)
    assert sol.n_parameters == 7
    assert sol.aic == pytest.approx(1796.286, abs=0.01)
    assert sol.bic == pytest.approx(1834.321, abs=0.01)
    assert sol.sabic == pytest.approx(1812.083, abs=0.01)
    assert sol.entropy == pytest.approx(0.949, abs=0.001)
    # LEM's item-response probabilities of the small class: P(A=2) 0.7490, P(B=2) 0.6434, P(C=2) 0.7650
    rp = sol.response_probabilities()
    assert [rp.loc[(v, 2.0), 2] for v in "ABC"] == pytest.approx([0.7490, 0.6434, 0.7650], abs=0.001)


def test_sabic_is_sclove_not_stepmix():
    """StepMix 3.0.0's sabic() uses ln(n(n+2)/24); SABIC is -2LL + p ln((n+2)/24)."""
    data = expand(PLEURAL, ["A", "B", "C"])
    sol = segments.lca(data, 2, n_init=2, random_state=1, progress=False)
    n, p = 1692, 7
    assert sol.sabic == pytest.approx(-2 * sol.loglik + p * math.log((n + 2) / 24), rel=1e-12)
    X = sol.model.encoding_.transform(data)
    assert lca_as_stepmix(sol.model).sabic(X) == pytest.approx(-2 * sol.loglik + p * math.log(n * (n + 2) / 24), rel=1e-9)
    assert sol.caic == pytest.approx(-2 * sol.loglik + p * (math.log(n) + 1), rel=1e-12)


def test_weights_count_like_repeated_respondents():
    """A pattern table with weights = counts gives the shares of the expanded data."""
    full = segments.lca(expand(ANTIRELI, ["Y1", "Y2", "Y3"]), 2, n_init=4, random_state=2, progress=False)
    table = pd.DataFrame([r[:3] for r in ANTIRELI], columns=["Y1", "Y2", "Y3"]).astype(float)
    counts = np.array([r[3] for r in ANTIRELI], dtype=float)
    weighted = segments.lca(table, 2, n_init=4, random_state=2, sample_weight=counts, progress=False)
    assert list(weighted.shares) == pytest.approx(list(full.shares), abs=1e-4)
    # weights are normalised to mean 1, so the log-likelihood is on the 8-row scale
    assert weighted.loglik * counts.sum() / len(counts) == pytest.approx(full.loglik, abs=0.01)
    assert weighted.weighted and not full.weighted


@pytest.mark.parametrize("cov,missing,weighted", [
    ("diag", False, False), ("diag", True, True), ("spherical", False, True), ("spherical", True, False),
    ("tied", False, False), ("full", False, False), ("full", False, True),
])
def test_profile_em_runs_stepmix_s_iterations(cov, missing, weighted):
    """From the same seed the package's Gaussian EM runs StepMix's iterations: the same
    number of them, the same log-likelihood and posteriors (missing values and weights too)."""
    from stepmix.stepmix import StepMix

    from workbench.segments import _gmm

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (150, 3)), rng.normal(2, 0.7, (100, 3))])
    if missing:
        X[rng.random(X.shape) < 0.15] = np.nan
    w = rng.uniform(0.5, 2, len(X)) if weighted else None
    reg = 0.0 if missing else 1e-6  # StepMix's *_nan models have no reg_covar
    sm = StepMix(n_components=3, measurement=f"gaussian_{cov}" + ("_nan" if missing else ""), n_init=1, max_iter=300,
                 abs_tol=1e-8, rel_tol=0.0, random_state=5, progress_bar=0, verbose=0,
                 measurement_params={} if missing else {"reg_covar": reg})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm.fit(X, sample_weight=w)
    ll_sm = sm.score(X, sample_weight=w) * (len(X) if w is None else w.sum())
    data = _gmm.GaussianData.build(X, cov, reg, w)
    fit = _gmm.fit_start(data, _gmm.random_start(data, 3, 5), max_iter=300, tol=1e-8)
    assert fit.n_iter == sm.n_iter_
    assert fit.loglik == pytest.approx(ll_sm, abs=1e-8)
    assert np.abs(_gmm.posteriors(data, fit.params) - sm.predict_proba(X)).max() < 1e-10
    # and a start continued where it stopped ends where the uninterrupted one does
    part = _gmm.fit_start(data, _gmm.random_start(data, 3, 5), max_iter=7, tol=1e-8)
    rest = _gmm.fit_start(data, part.params, max_iter=300 - 7, tol=1e-8, last_mean=part.last_mean)
    assert part.n_iter + rest.n_iter == fit.n_iter and rest.loglik == pytest.approx(fit.loglik, abs=1e-9)


def test_weighted_tied_profiles_pool_the_weighted_scatter():
    """With weights the tied matrix is Σ_ic w_i r_ic (x_i - μ_c)(x_i - μ_c)' / Σ w (StepMix's,
    from scikit-learn's formula, subtracts weighted means from an unweighted X'X), and
    integer weights fit like repeated respondents."""
    from workbench.segments import _gmm

    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(0, 1, (120, 3)), rng.normal(2.5, 0.8, (80, 3))])
    w = rng.integers(1, 4, len(X)).astype(float)
    data = _gmm.GaussianData.build(X, "tied", 1e-6, w)
    fit = _gmm.fit_start(data, _gmm.random_start(data, 2, 1), max_iter=2000, tol=1e-13)
    R = _gmm.posteriors(data, fit.params) * w[:, None]
    mu = R.T @ X / R.sum(axis=0)[:, None]
    pooled = sum((R[:, c] * (X - mu[c]).T) @ (X - mu[c]) for c in range(2)) / w.sum() + 1e-6 * np.eye(3)
    assert np.abs(fit.params["covariances"] - pooled).max() < 1e-8
    rep = _gmm.GaussianData.build(np.repeat(X, w.astype(int), axis=0), "tied", 1e-6)
    rfit = _gmm.fit_start(rep, fit.params, max_iter=2000, tol=1e-13)
    assert rfit.loglik == pytest.approx(fit.loglik, abs=1e-6)
    assert np.abs(rfit.params["covariances"] - fit.params["covariances"]).max() < 1e-6


# --------------------------------------------------------------------------- recovery and missing answers


def test_lca_recovers_planted_classes_with_missing_answers_in_the_likelihood():
    data, truth = planted_lca()
    assert data.notna().all(axis=1).mean() < 0.3  # most respondents miss some answers
    sol = segments.lca(data, 3, n_init=4, random_state=0, progress=False)
    assert sol.n == len(data)  # nobody dropped for missing answers
    assert sol.labels.notna().all()
    assert adjusted_rand_score(truth, sol.labels.astype(int)) > 0.9
    assert sol.model._measurement == "lca-nominal"
    assert list(sol.shares) == sorted(sol.shares, reverse=True)  # segment 1 is the largest
    assert sol.posteriors.sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert 0.8 < sol.entropy <= 1.0
    # tidy parameters keep the input's names and codes; probabilities sum to 1 per item and class
    p = sol.parameters
    rp = p[p["parameter"] == "response_probability"]
    assert set(rp["variable"]) == set(data.columns)
    assert rp.groupby(["variable", "class"])["value"].sum().to_numpy() == pytest.approx(1.0)
    assert p.loc[p["parameter"] == "class_share", "value"].to_numpy() == pytest.approx(sol.shares.to_numpy())


def test_predict_new_respondents_and_missing_answers():
    data, truth = planted_lca(n=500, missing=0.0, seed=1)
    sol = segments.lca(data, 3, n_init=3, random_state=0, progress=False)
    assert sol.model._measurement == "lca-nominal"  # complete data: every item nominal
    assert (sol.predict(data) == sol.labels).all()
    new = data.iloc[:20].copy()
    new.iloc[:10, :3] = np.nan  # missing answers in new data: scored on the answered items
    new.iloc[15] = np.nan  # no answers at all: no segment
    out = segments.classify(sol, new)
    assert out["segment"].isna().sum() == 1 and pd.isna(out["segment"].iloc[15])
    assert (out.loc[new.index[10:15], "segment"] == sol.labels.loc[new.index[10:15]]).all()
    # the posterior of a respondent with missing answers equals an independent computation
    rp = sol.model.response_probabilities().set_index(["variable", "category", "class"])["value"]
    row = new.iloc[0]
    logp = np.log(sol.shares.to_numpy()).copy()
    for c in range(3):
        logp[c] += sum(np.log(rp[(v, row[v], c + 1)]) for v in data.columns if not pd.isna(row[v]))
    post = np.exp(logp - logp.max())
    post /= post.sum()
    assert out.iloc[0][["p1", "p2", "p3"]].to_numpy(dtype=float) == pytest.approx(post, abs=1e-9)
    with pytest.raises(AnalysisError, match=r"item 'q1' has the answer 9 .* never saw"):
        sol.predict(data.assign(q1=9.0))


def test_lpa_recovers_profiles_and_loglik_is_exact_for_integer_input():
    data, truth = planted_profiles()
    for cov in ("diag", "full"):
        sol = segments.lpa(data, 3, covariance=cov, n_init=4, random_state=0, progress=False)
        assert adjusted_rand_score(truth, sol.labels.astype(int)) > 0.95
    # integer input is converted to float: the likelihood is the mixture density's, exactly
    ints = (data * 3).round().astype(int)
    sol = segments.lpa(ints, 3, covariance="full", n_init=3, random_state=0, progress=False)
    params = sol.model.measurement_parameters()
    dens = sum(sol.shares.iloc[c] * multivariate_normal(params["means"][c], params["covariances"][c]).pdf(ints)
               for c in range(3))
    assert sol.loglik == pytest.approx(np.log(dens).sum(), abs=1e-6)
    assert sol.n_parameters == 2 + 3 * 4 + 3 * 10


def test_lpa_missing_values_and_collapse_guard():
    data, truth = planted_profiles(seed=2)
    holes = data.copy()
    holes.iloc[::7, 1] = np.nan
    sol = segments.lpa(holes, 3, n_init=3, random_state=0, progress=False)
    assert sol.model._measurement == "gaussian_diag_nan"
    assert adjusted_rand_score(truth, sol.labels.astype(int)) > 0.9
    with pytest.raises(AnalysisError, match=r"missing values, which covariance='full' cannot handle"):
        segments.lpa(holes, 3, covariance="full", progress=False)
    # a handful of identical respondents invite a profile that collapses onto them
    rng = np.random.default_rng(5)
    blob = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    spike = pd.DataFrame([[0.3, -0.2]] * 5, columns=["a", "b"])
    other = pd.DataFrame(rng.normal(loc=4, size=(100, 2)), columns=["a", "b"])
    both = pd.concat([blob, spike, other], ignore_index=True)
    sol = segments.lpa(both, 3, covariance="full", n_init=20, min_class_share=0.05, random_state=4, progress=False)
    bad = sol.starts[sol.starts["status"] == "degenerate"]
    assert len(bad) > 0 and (sol.starts.loc[sol.starts["best"], "status"] == "ok").all()
    assert sol.smallest_share >= 0.05 and np.isfinite(sol.loglik)


def test_kmeans_and_ward_baselines():
    data, truth = planted_profiles(seed=3)
    km = segments.kmeans(data, 3, n_init=5, random_state=0)
    wd = segments.ward(data, 3)
    for sol in (km, wd):
        assert adjusted_rand_score(truth, sol.labels.astype(int)) > 0.95
        assert math.isnan(sol.loglik) and math.isnan(sol.bic)
        assert sol.entropy == 1.0
    assert (km.predict(data) == km.labels).all()  # k-means partitions are nearest-centroid partitions
    assert adjusted_rand_score(wd.labels.astype(int), wd.predict(data).astype(int)) > 0.95  # Ward's nearly are
    w = pd.Series(np.where(truth.to_numpy() == 2, 3.0, 1.0), index=data.index)
    kw = segments.kmeans(data, 3, n_init=5, random_state=0, sample_weight=w)
    # the weighted shares count the up-weighted profile three times
    assert kw.shares.max() == pytest.approx((truth == 2).sum() * 3 / w.sum(), abs=0.01)
    with pytest.raises(AnalysisError, match="needs complete data"):
        segments.kmeans(data.mask(data > 5), 3)


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_labels_and_numbers():
    data, _ = planted_lca(n=400, seed=6)
    a = segments.lca(data, 3, n_init=4, random_state=11, progress=False)
    b = segments.lca(data, 3, n_init=4, random_state=11, progress=False)
    est = segments.LatentClassModel(3, n_init=4, random_state=11, progress=False)
    first = est.fit(data).labels_.copy()
    second = est.fit(data).labels_
    assert (a.labels == b.labels).all() and (first == second).all() and (first == a.labels).all()
    assert a.loglik == b.loglik
    assert a.starts["seed"].tolist() == b.starts["seed"].tolist()
    par = segments.lca(data, 3, n_init=4, random_state=11, n_jobs=2, progress=False)
    assert (par.labels == a.labels).all()
    assert par.loglik == pytest.approx(a.loglik, abs=1e-8)
    other = segments.lca(data, 3, n_init=4, random_state=12, progress=False)
    assert other.starts["seed"].tolist() != a.starts["seed"].tolist()


# --------------------------------------------------------------------------- bad input


def test_bad_input_messages():
    data = expand(PLEURAL, ["A", "B", "C"])
    with pytest.raises(AnalysisError, match=r"4 classes need 15 parameters, more than the 7 .* not identified"):
        segments.lca(data, 4, progress=False)
    with pytest.raises(AnalysisError, match=r"fewer classes than respondents"):
        segments.lca(data.iloc[[0, 1595, 1658]], 4, progress=False)
    with pytest.raises(AnalysisError, match=r"item 'B' has only the answer 1: an item with one category"):
        segments.lca(data.assign(B=1.0), 2, progress=False)
    with pytest.raises(AnalysisError, match=r"item 'A' holds the value 1.5, which is not an answer code"):
        segments.lca(data.assign(A=data["A"] * 1.5), 2, progress=False)
    with pytest.raises(AnalysisError, match=r"column 'C' is not numeric \(e.g. 'yes'"):
        segments.lca(data.assign(C="yes"), 2, progress=False)
    with pytest.raises(AnalysisError, match="no respondent answered any basis variable"):
        segments.lca(data * np.nan, 2, progress=False)
    with pytest.raises(AnalysisError, match=r"weight of respondent r0 is -1; weights must be finite and not negative"):
        segments.lca(data, 2, sample_weight=np.r_[-1.0, np.ones(len(data) - 1)], progress=False)
    with pytest.raises(AnalysisError, match="unknown method"):
        segments.candidates(data, [2], methods=["lca", "gmm"])


def test_respondents_without_answers_are_set_aside_with_a_warning():
    data, _ = planted_lca(n=300, seed=7)
    data.iloc[[3, 10]] = np.nan
    with pytest.warns(SegmentationWarning, match=r"2 respondent\(s\) answered none of the 8 basis variables \(id0003, id0010\)"):
        sol = segments.lca(data, 3, n_init=2, random_state=0, progress=False)
    assert sol.n == 298 and sol.labels.isna().sum() == 2 and len(sol.labels) == 300


def test_non_convergence_warns_and_the_fit_table_says_which_runs_failed():
    data, _ = planted_lca(n=300, seed=8)
    with pytest.warns(SegmentationConvergenceWarning, match="stopped at max_iter=3 .* try a larger max_iter"):
        sol = segments.lca(data, 3, n_init=2, max_iter=3, random_state=0, progress=False)
    assert not sol.converged
    small = expand(PLEURAL, ["A", "B", "C"])
    with pytest.warns(SegmentationWarning, match=r"lca k=4: failed"):
        grid = segments.candidates(small, [1, 2, 4], methods=["lca"], n_init=2, random_state=0, progress=False)
    ft = grid.fit_table.set_index("candidate")
    assert ft.loc["lca k=4", "status"] == "failed"
    assert "not identified" in ft.loc["lca k=4", "message"]
    assert ft.loc["lca k=2", "status"] == "ok" and ft.loc["lca k=2", "lowest_bic"]
    assert [s.name for s in grid] == ["lca k=1", "lca k=2"]
    with pytest.warns(SegmentationConvergenceWarning, match=r"lca k=3: not converged"):
        grid = segments.candidates(data, [3], methods=["lca"], n_init=2, max_iter=3, random_state=0, progress=False)
    assert grid.fit_table.loc[0, "status"] == "not converged"
    assert "not converged" in grid.fit_table.loc[0, "flags"]


# --------------------------------------------------------------------------- candidates, stability, structural


def test_candidates_fit_table_stability_and_outputs(tmp_path):
    from workbench.files.outputs import write_workbook

    data, truth = planted_lca(n=500, seed=9)
    grid = segments.candidates(data, range(2, 5), methods=["lca", "lpa", "kmeans", "ward"], n_init=3,
                               n_bootstrap=3, random_state=5, progress=False)
    ft = grid.fit_table
    assert list(ft.columns) == segments.FIT_COLUMNS
    assert len(ft) == 12 and ft["status"].isin(["ok", "not replicated"]).all()
    # 'not replicated' exactly where fewer than 2 of several finished starts reached the best
    model_based = ft[ft["method"].isin(["lca", "lpa"])]
    lonely = (model_based["best_ll_replicated"] < 2) & (model_based["n_final_starts"] > 1)
    assert ((model_based["status"] == "not replicated") == lonely).all()
    assert (ft.loc[ft["method"] == "lca", "status"] == "ok").all()
    lca = ft[ft["method"] == "lca"].set_index("k")
    assert lca["bic"].idxmin() == 3 and lca.loc[3, "lowest_bic"]
    assert grid.best("bic", "lca").k == 3
    assert lca.loc[3, "stability_mean"] > 0.9 and lca.loc[3, "stability_mean"] >= lca.loc[2, "stability_mean"]
    assert grid[("lca", 3)].stability == pytest.approx(lca.loc[3, "stability_mean"])
    assert len(grid.stability[("lca", 3)].reps) == 3
    assert "standardised basis items" in grid.bases["lpa"] and "no factor scores" in grid.bases["kmeans"]
    labels = grid.labels()
    assert list(labels.columns[:3]) == ["lca_2", "lca_3", "lca_4"] and labels.index.equals(data.index)
    sheets, notes = grid.to_sheets({"q1": "Question one"})
    assert {"fit", "class sizes", "profiles", "item-response probabilities", "stability", "starts", "about"} <= set(sheets)
    write_workbook(tmp_path / "segments.xlsx", sheets, notes=notes)
    assert pd.read_excel(tmp_path / "segments.xlsx", sheet_name="Fit", skiprows=2).shape[0] == 12
    fig = grid.plot_fit()
    assert fig.axes and grid.plot_profiles("lca", 3).axes
    assert "lca k=3" in str(grid) and "lca k=3" in grid._repr_html_() and "<table" in grid._repr_html_()
    assert "BIC" in str(grid[("lca", 3)]) and grid[("lca", 3)].summary().loc["segments (k)", "value"] == 3


def test_split_half_stability_is_seeded():
    data, _ = planted_lca(n=400, seed=10)
    sol = segments.lca(data, 3, n_init=3, random_state=1, progress=False)
    a = segments.stability(sol, data, n_reps=2, kind="split-half", random_state=3, progress=False)
    b = segments.stability(sol, data, n_reps=2, kind="split-half", random_state=3, progress=False)
    assert len(a.reps) == 4 and set(a.reps["half"]) == {"A", "B"}
    assert a.reps["ari"].tolist() == b.reps["ari"].tolist()
    assert a.mean > 0.9 and a.reps["n_fit"].tolist() == [200, 200, 200, 200]
    with pytest.raises(AnalysisError, match="unknown stability kind 'jackknife'"):
        segments.stability(sol, data, kind="jackknife")


def planted_distal(n=3000, seed=11):
    """Two overlapping classes, a binary and a numeric outcome, a binary covariate."""
    rng = np.random.default_rng(seed)
    z_cov = rng.random(n) < 0.5
    p2 = np.where(z_cov, 0.7, 0.3)  # P(class 2 | covariate)
    c = (rng.random(n) < p2).astype(int)
    p_item = np.array([[0.75] * 6, [0.25] * 6])
    x = (rng.random((n, 6)) < p_item[c]).astype(float) + 1
    idx = [f"d{i}" for i in range(n)]
    data = pd.DataFrame(x, columns=[f"i{j}" for j in range(6)], index=idx)
    gold = rng.random(n) < np.where(c == 1, 0.8, 0.2)
    spend = rng.normal(np.where(c == 1, 10.0, 0.0), 2.0)
    outcomes = pd.DataFrame({"gold": gold, "spend": spend}, index=idx)
    return data, c, outcomes, pd.DataFrame({"big": z_cov.astype(int)}, index=idx)


def test_distal_outcomes_and_covariates_are_bias_adjusted():
    data, c, outcomes, cov = planted_distal()
    sol = segments.lca(data, 2, n_init=3, random_state=0, progress=False)
    assert 0.3 < sol.entropy < 0.7  # classification is uncertain: modal profiles are attenuated
    second = 1 if np.mean(sol.labels.to_numpy() - 1 == c) < 0.5 else 2  # segment holding class 1
    first = 3 - second
    dist = segments.distal_outcomes(sol, data, outcomes)
    t = dist.table.set_index(["outcome", "level", "segment"])
    adj, mod = t.loc[("gold", "True", second), "adjusted"], t.loc[("gold", "True", second), "modal"]
    assert abs(adj - 0.8) < 0.05 and abs(mod - 0.8) > abs(adj - 0.8)
    assert abs(t.loc[("gold", "True", first), "adjusted"] - 0.2) < 0.05
    assert abs(t.loc[("spend", "mean", second), "adjusted"] - 10) < 0.5
    assert abs(t.loc[("spend", "mean", second), "modal"] - 10) > abs(t.loc[("spend", "mean", second), "adjusted"] - 10)
    eff = segments.covariate_effects(sol, data, cov)
    sh = eff.shares.set_index(["covariate", "level", "segment"])["adjusted"]
    assert sh[("big", "1", second)] == pytest.approx(0.7, abs=0.06)
    assert sh[("big", "0", second)] == pytest.approx(0.3, abs=0.06)
    # labels that travel with the covariates frame name the rows of the notebook table
    assert list(eff.wide().index) == [("big", "0"), ("big", "1")]
    cov.attrs.update(labels={"big": "Company size"}, levels={"big": {"0": "Small", "1": "Large"}})
    named = segments.covariate_effects(sol, data, cov)
    assert list(named.wide().index) == [("Company size", "Small"), ("Company size", "Large")]
    assert named.wide().to_numpy() == pytest.approx(eff.wide().to_numpy())
    assert list(named.wide(labelled=False).index) == [("big", "0"), ("big", "1")]
    with pytest.raises(AnalysisError, match="hard partition"):
        segments.distal_outcomes(segments.kmeans(segments.standardise(data), 2, random_state=0), data, outcomes)


def test_categorical_distal_on_cells_is_the_respondent_level_em_and_the_likelihood_maximum(monkeypatch):
    """A category outcome's EM runs on the (modal segment, level) cells: the same estimates as
    the EM over every respondent (to 1e-10), and the maximum of the weighted three-step
    likelihood Σ_i w_i log Σ_c P(c) D[c, s_i] π_c(y_i), maximised here with scipy."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    from workbench.segments import _structural
    from workbench.segments._structural import classification_error_matrix

    data, c, outcomes, _ = planted_distal(n=1500, seed=5)
    weights = pd.Series(np.random.default_rng(2).uniform(0.5, 2, len(data)), index=data.index)
    sol = segments.lca(data, 2, n_init=3, random_state=0, progress=False, sample_weight=weights)
    tier = np.where(outcomes["gold"], "gold", np.where(outcomes["spend"] > 5, "silver", "bronze"))
    frame = pd.DataFrame({"tier": tier}, index=data.index)
    frame.iloc[::17, 0] = None  # respondents without the outcome do not count for it
    cells = segments.distal_outcomes(sol, data, frame).table
    monkeypatch.setattr(_structural._Structural, "cells", lambda self, modal: self)
    full = segments.distal_outcomes(sol, data, frame).table
    np.testing.assert_allclose(cells["adjusted"], full["adjusted"], rtol=0, atol=1e-10)
    known = frame["tier"].notna().to_numpy()
    post = sol.posteriors.to_numpy()
    w = sol.weights[known]
    logD = np.log(classification_error_matrix(post, sol.weights))[:, post.argmax(axis=1)].T[known]
    levels = sorted(set(tier))
    y = pd.Series(frame["tier"][known]).map({lv: i for i, lv in enumerate(levels)}).to_numpy()
    log_pi = np.log(sol.shares.to_numpy())

    def nll(theta):
        lp = theta.reshape(2, 3) - logsumexp(theta.reshape(2, 3), axis=1, keepdims=True)
        return -w @ logsumexp(log_pi + logD + lp[:, y].T, axis=1)

    ref = minimize(nll, np.zeros(6), method="BFGS", options={"gtol": 1e-9}).x.reshape(2, 3)
    ref = np.exp(ref - logsumexp(ref, axis=1, keepdims=True))
    got = cells.pivot_table(index="segment", columns="level", values="adjusted")[levels].to_numpy()
    np.testing.assert_allclose(got, ref, atol=1e-4)


def test_three_step_estimates_are_stepmix_s_and_maximise_the_weighted_likelihood():
    """The bias-adjusted estimates equal StepMix's (unweighted; StepMix's covariate Newton
    step ignores weights) and maximise the three-step likelihood
    Σ_i w_i log Σ_c P(c | z_i) D[c, s_i] f(y_i | c), maximised here with scipy."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp
    from stepmix.stepmix import StepMix

    from workbench.segments._structural import classification_error_matrix

    data, c, outcomes, cov = planted_distal(n=1500, seed=3)
    for weights in (None, pd.Series(np.random.default_rng(1).uniform(0.5, 2, len(data)), index=data.index)):
        sol = segments.lca(data, 2, n_init=3, random_state=0, progress=False, sample_weight=weights)
        post = sol.posteriors.to_numpy()
        w = np.ones(len(post)) if sol.weights is None else sol.weights
        logD = np.log(classification_error_matrix(post, sol.weights))[:, post.argmax(axis=1)].T  # (n, k)
        log_pi = np.log(sol.shares.to_numpy())
        y = outcomes["spend"].to_numpy()

        def nll_distal(t):
            mu, sd = t[:2], np.exp(t[2:])
            logf = -0.5 * np.log(2 * np.pi * sd**2) - 0.5 * ((y[:, None] - mu) / sd) ** 2
            return -w @ logsumexp(log_pi + logD + logf, axis=1)

        ref = minimize(nll_distal, np.array([0.0, 5.0, 0.0, 0.0]), method="BFGS", options={"gtol": 1e-9}).x
        t = segments.distal_outcomes(sol, data, outcomes[["spend"]]).table.set_index("segment")["adjusted"]
        assert sorted(t.to_numpy()) == pytest.approx(sorted(ref[:2]), abs=1e-4)
        z = cov["big"].to_numpy(dtype=float)

        def nll_cov(b):
            eta = np.column_stack([np.zeros(len(z)), b[0] + b[1] * z])
            return -w @ logsumexp(eta - logsumexp(eta, axis=1, keepdims=True) + logD, axis=1)

        refb = minimize(nll_cov, np.zeros(2), method="BFGS", options={"gtol": 1e-9}).x
        eff = segments.covariate_effects(sol, data, cov)
        assert eff.converged
        assert eff.coefficients["log_odds"].to_numpy() == pytest.approx(refb, abs=1e-4)
        if weights is None:  # StepMix's own three-step ML from its own measurement model
            X = sol.model.encoding_.transform(data)
            sm = StepMix(n_components=2, measurement="categorical", n_steps=3, correction="ML", structural="covariate",
                         structural_params={"method": "newton-raphson", "max_iter": 1}, n_init=3, max_iter=2000,
                         abs_tol=1e-10, random_state=0, progress_bar=0, verbose=0,
                         measurement_params=dict(integer_codes=False, max_n_outcomes=2, total_outcomes=12))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sm.fit(X, z[:, None])
            beta = np.asarray(sm.get_parameters()["structural"]["beta"])
            order = np.argsort(-np.asarray(sm.weights_))  # StepMix's classes, largest first as the workbench's
            sm_odds = beta[order[1]] - beta[order[0]]
            assert eff.coefficients["log_odds"].to_numpy() == pytest.approx(sm_odds, abs=1e-3)


def test_a_distal_outcome_with_a_spike_of_zeros_gets_means_from_one_pooled_variance():
    """Zero spend for most of one segment pulled that segment's normal onto the spike (variance
    to zero, NaN estimates in the demo's workbook): the outcome is refitted with one variance for
    every segment, listed as such, and its means are scipy's maximum of that likelihood."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    from workbench.segments._structural import classification_error_matrix

    data, c, _, _ = planted_distal(n=1500, seed=3)
    sol = segments.lca(data, 2, n_init=3, random_state=0, progress=False)
    rng = np.random.default_rng(4)
    spend = np.where(rng.random(len(c)) < np.where(c == 1, 0.2, 0.7), 0.0, rng.lognormal(3, 1, len(c)))
    score = np.clip(np.round(rng.normal(np.where(c == 1, 4.2, 3), 0.8)), 1, 5)
    dist = segments.distal_outcomes(sol, data, pd.DataFrame({"spend": spend, "score": score}, index=data.index))
    assert dist.pooled == ("spend",) and dist.table["adjusted"].notna().all()
    assert any("one variance for every segment" in n and "spend" in n for n in dist.summarise().notes)
    post = sol.posteriors.to_numpy()
    logD = np.log(classification_error_matrix(post, None))[:, post.argmax(axis=1)].T
    log_pi = np.log(sol.shares.to_numpy())

    def nll(t):  # two means, one log standard deviation
        logf = -0.5 * np.log(2 * np.pi) - t[2] - 0.5 * ((spend[:, None] - t[:2]) / np.exp(t[2])) ** 2
        return -logsumexp(log_pi + logD + logf, axis=1).sum()

    ref = minimize(nll, np.array([spend.mean(), spend.mean(), np.log(spend.std())]), method="BFGS",
                   options={"gtol": 1e-8}).x
    got = dist.table.query("outcome == 'spend'").sort_values("segment")["adjusted"].to_numpy()
    np.testing.assert_allclose(got, ref[:2], rtol=1e-4)
