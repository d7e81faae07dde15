"""Latent profile models against mclust (R): the EEE update, mclust's maximum, no singular profile.

References (``Rscript tests/data/make_mclust_lpa.R``, mclust 6.0.0): ``tests/data/mclust_lpa.csv``
(``set.seed(1); mclustBIC(X, G = 1:9)``, log-likelihood = (BIC + npar ln n) / 2) and
``tests/data/mclust_lpa_params.json`` (``Mclust(X, G, modelNames = m)``'s parameters). The whole
structure × k table is ``docs/lpa_mclust.md`` (``benchmarks/lpa_mclust.py``); these tests take the
cases the random-responsibility starts got wrong: symmetric saddles of tied (EEE) fits, iris VVV,3,
and singular full (VVV) profiles accepted with a log-likelihood above mclust's.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from lpa_reference import DATA, load, mclust_table
from workbench.segments import LatentProfileModel, _gmm

PARAMS = json.loads((DATA / "mclust_lpa_params.json").read_text(encoding="utf-8"))
REF = mclust_table().set_index(["data", "model", "G"])


def _mclust_params(key):
    p = PARAMS[key]
    sigma = np.asarray(p["sigma"], dtype=float)  # (d, d, G)
    return {"shares": np.asarray(p["pro"], dtype=float), "means": np.asarray(p["mean"], dtype=float).T,
            "covariances": np.moveaxis(sigma, 2, 0)}


def _fit(name, structure, k, n_init=10):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LatentProfileModel(k, covariance=structure, n_init=n_init, min_class_share=0.0, reg_covar=0.0,
                                  random_state=1, progress=False).fit(load(name))


@pytest.mark.parametrize("key,data", [("faithful_EEE_3", "faithful"), ("thyroid_EEE_2", "thyroid"),
                                      ("diabetes_EEE_7", "diabetes")])
def test_tied_update_is_mclusts_eee(key, data):
    """mclust's EEE estimates are a fixed point of our tied E- and M-step (one shared matrix,
    the pooled within-profile scatter over n), and give mclust's log-likelihood."""
    ref = _mclust_params(key)
    p = PARAMS[key]
    gauss = _gmm.GaussianData.build(load(data).to_numpy(), "tied", 0.0)
    theirs = {"shares": ref["shares"], "means": ref["means"], "covariances": ref["covariances"][0]}
    assert np.allclose(ref["covariances"], ref["covariances"][:1])  # EEE: one matrix
    ll, post = _gmm.estep(gauss, theirs)
    assert ll == pytest.approx(p["estep_loglik"], abs=1e-8)  # mclust's estep() at its estimates
    # mclust reports the log-likelihood of the E-step before its last M-step (it stops when that
    # changes by less than 1e-5 relative), so the one at its final estimates is a little higher
    assert p["loglik"] - 1e-6 <= ll <= p["loglik"] + 0.01
    ours = _gmm.mstep(gauss, post)  # against mclust's mstep() from the same posteriors
    sigma = np.moveaxis(np.asarray(p["mstep_sigma"], dtype=float), 2, 0)
    assert np.abs(ours["shares"] - np.asarray(p["mstep_pro"])).max() < 1e-10
    assert np.abs(ours["means"] - np.asarray(p["mstep_mean"]).T).max() < 1e-8 * np.abs(ours["means"]).max()
    assert np.abs(ours["covariances"] - sigma[0]).max() < 1e-8 * np.abs(sigma).max()


@pytest.mark.parametrize("data,structure,k", [
    ("thyroid", "tied", 2),    # random starts: two identical profiles of 107.5, 134.5 below mclust
    ("diabetes", "tied", 7),   # three identical profiles
    ("iris", "full", 3),       # reached by 1 random start in 200
    ("bfi_scales", "diag", 7),  # 19-65 below mclust at k = 7-9
])
def test_reaches_mclusts_maximum(data, structure, k):
    m = _fit(data, structure, k, n_init=3 if data == "bfi_scales" else 10)
    ref = REF.loc[(data, {"spherical": "VII", "diag": "VVI", "tied": "EEE", "full": "VVV"}[structure], k)]
    assert m.loglik_ >= ref["loglik"] - 0.01
    bic = 2 * m.loglik_ - m.n_parameters_ * np.log(len(load(data)))
    assert m.n_parameters_ == ref["npar"] and bic >= ref["bic"] - 0.02
    assert _gmm.duplicate_profiles(_gmm.GaussianData.build(load(data).to_numpy(), structure, 0.0), m.params_) is None


@pytest.mark.parametrize("data,k", [("diabetes", 6), ("iris", 6)])
def test_singular_full_profiles_are_refused(data, k):
    """A full-covariance profile of at most d respondents (or a covariance with an eigenvalue
    below 1e-6 of the data's) is refused: the start is marked degenerate and never chosen.
    Before, these fits were returned 3-85 log-likelihood units above mclust's, on singular profiles."""
    m = _fit(data, "full", k)
    d = m.n_features_in_
    bad = m.starts_[m.starts_["status"] == "degenerate"]
    assert len(bad) and bad["note"].str.contains("singular").all()
    assert not m.starts_.loc[m.starts_["best"], "status"].eq("degenerate").any()
    sizes = m.posteriors_.sum(axis=0).to_numpy()
    assert sizes.min() > d
    X = load(data).to_numpy()
    S = np.cov(X, rowvar=False)
    for Sc in m.params_["covariances"]:
        assert np.linalg.eigvals(np.linalg.solve(S, Sc)).real.min() >= _gmm.SINGULAR_RATIO
    ref = REF.loc[(data, "VVV", k), "loglik"]
    assert m.loglik_ >= ref - 0.01  # not below mclust's non-singular fit either


def test_conjugate_prior_is_mclusts():
    """``prior='mclust'``: mclust's ``defaultPrior`` and its VVV M-step (posterior modes) from the same
    posteriors, and a fit that reaches mclust's (``tests/data/make_mclust_prior.R``)."""
    ref = json.loads((DATA / "mclust_prior.json").read_text(encoding="utf-8"))
    X = load("faithful")
    gauss = _gmm.GaussianData.build(X.to_numpy(), "full", 0.0, prior="mclust")
    pr = gauss.prior
    assert pr["shrinkage"] == ref["prior"]["shrinkage"] and pr["dof"] == ref["prior"]["dof"]
    assert np.allclose(pr["mean"], ref["prior"]["mean"], rtol=1e-12)
    assert np.allclose(pr["scale"] / 3 ** (2 / 2), ref["prior"]["scale"], rtol=1e-12)  # G = 3, d = 2
    theirs = {"shares": np.asarray(ref["pro"]), "means": np.asarray(ref["mean"]).T,
              "covariances": np.moveaxis(np.asarray(ref["sigma"]), 2, 0)}
    ll, post = _gmm.estep(gauss, theirs)
    assert ll == pytest.approx(ref["estep_loglik"], abs=1e-8)
    ours = _gmm.mstep(gauss, post)
    assert np.abs(ours["means"] - np.asarray(ref["mstep_mean"]).T).max() < 1e-10
    assert np.abs(ours["covariances"] - np.moveaxis(np.asarray(ref["mstep_sigma"]), 2, 0)).max() < 1e-10
    assert np.abs(ours["shares"] - np.asarray(ref["mstep_pro"])).max() < 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LatentProfileModel(3, covariance="full", prior="mclust", n_init=2, min_class_share=0.0, reg_covar=0.0,
                               random_state=1, progress=False).fit(X)
    assert m.loglik_ >= ref["loglik"] - 0.01
    with pytest.raises(Exception, match="covariance='full' only"):
        LatentProfileModel(2, covariance="diag", prior="mclust", progress=False).fit(X)


def test_mclusts_bfi_vvi_6_is_not_converged():
    """bfi scales VVI,6 is the one cell where every start of ours stays below mclust (10.8): from
    mclust's own start (its VVV hierarchical clustering of a 2,000 subset, cut at 6) our EM,
    stopped by mclust's rule (relative change below 1e-5), lands on mclust's log-likelihood;
    run on, one profile's variance collapses and the likelihood runs off to infinity: mclust's
    figure is a point on the way to a singular fit, not a maximum (refused here as singular)."""
    ref = json.loads((DATA / "mclust_bfi_hc_start.json").read_text(encoding="utf-8"))
    X = load("bfi_scales").to_numpy()
    sub = np.asarray(ref["subset"]) - 1
    start = _gmm.hard_start(_gmm.GaussianData.build(X[sub], "diag", 0.0), np.asarray(ref["class_6"]) - 1, 6)
    data = _gmm.GaussianData.build(X, "diag", 0.0)
    params, prev, stopped = start, None, None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(400):
            ll, R = _gmm.estep(data, params)
            if stopped is None and prev is not None and abs(ll - prev) / abs(ll) < 1e-5:
                stopped = ll
            if not np.isfinite(ll):
                break
            prev, params = ll, _gmm.mstep(data, R)
    assert stopped == pytest.approx(ref["loglik_vvi_6"], abs=0.01)
    assert not np.isfinite(ll) or np.asarray(params["covariances"]).min() < 1e-8
