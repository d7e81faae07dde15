"""Ordinal indicators (adjacent-category logit), checked against a generic ML fit and planted values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

from workbench import segments
from workbench.core.errors import WorkbenchWarning
from workbench.waves import SegmentModel, load_model


def ordinal_data(seed, n, n_items, n_cats, shares, missing=0.0):
    """Answers from the adjacent-category logit model; returns the frame and the planted values."""
    rng = np.random.default_rng(seed)
    k = len(shares)
    tau = np.concatenate([np.zeros((n_items, 1)), rng.normal(0.0, 0.7, (n_items, n_cats - 1))], axis=1)
    beta = np.linspace(-1.2, 1.2, k)[None, :] * rng.uniform(0.8, 1.4, (n_items, 1))
    beta -= beta.mean(axis=1, keepdims=True)
    eta = tau[:, None, :] + beta[:, :, None] * np.arange(n_cats)  # (items, k, C)
    p = np.exp(eta - logsumexp(eta, axis=2, keepdims=True))
    z = rng.choice(k, size=n, p=shares)
    u = rng.random((n, n_items, 1))
    codes = (u > np.cumsum(p[:, z].transpose(1, 0, 2), axis=2)).sum(axis=2).clip(max=n_cats - 1) + 1.0
    if missing:
        codes[rng.random(codes.shape) < missing] = np.nan
    frame = pd.DataFrame(codes, columns=[f"o{j + 1}" for j in range(n_items)])
    return frame, tau, beta, z


def generic_loglik(params, X, w, k, n_cats):
    """The same likelihood written plainly: shares by softmax, τ with τ_0 = 0, β free."""
    J = X.shape[1]
    a = np.concatenate([[0.0], params[:k - 1]])
    logpi = a - logsumexp(a)
    t = params[k - 1:k - 1 + J * (n_cats - 1)].reshape(J, n_cats - 1)
    b = params[k - 1 + J * (n_cats - 1):].reshape(J, k)
    ll = np.tile(logpi, (len(X), 1))
    for j in range(J):
        eta = np.concatenate([np.zeros(1), t[j]])[None, :] + b[j][:, None] * np.arange(n_cats)
        logp = eta - logsumexp(eta, axis=1, keepdims=True)  # (k, C)
        obs = ~np.isnan(X[:, j])
        ll[obs] += logp[:, X[obs, j].astype(int) - 1].T
    return float(w @ logsumexp(ll, axis=1))


def _fit(frame, k, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)
        return segments.lca(frame, k, measurement="ordinal", random_state=3, progress=False, **kw)


def test_ordinal_matches_a_generic_ml_fit_with_missing_answers_and_weights():
    frame, *_ = ordinal_data(1, 250, 4, 4, [0.6, 0.4], missing=0.08)
    w_raw = np.random.default_rng(2).uniform(0.5, 2.0, len(frame))
    w = w_raw * len(w_raw) / w_raw.sum()
    sol = _fit(frame, 2, n_init=20, sample_weight=pd.Series(w_raw, index=frame.index))
    X = frame.to_numpy()
    k, J, C = 2, 4, 4
    best = -np.inf
    rng = np.random.default_rng(5)
    for _ in range(3):  # scipy from random points of the same parameter space
        x0 = rng.normal(0, 1, (k - 1) + J * (C - 1) + J * k)
        res = minimize(lambda p: -generic_loglik(p, X, w, k, C), x0, method="BFGS",
                       options={"gtol": 1e-7, "maxiter": 5000})
        best = max(best, -res.fun)
    assert sol.loglik == pytest.approx(best, abs=1e-4)
    assert sol.n_parameters == (k - 1) + J * (C - 1) + J * (k - 1)


def test_binary_items_are_the_same_model_ordinal_or_nominal():
    frame, *_ = ordinal_data(2, 300, 6, 2, [0.5, 0.3, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)
        nom = segments.lca(frame, 3, n_init=10, random_state=1, progress=False)
    ordn = _fit(frame, 3, n_init=10)
    assert ordn.loglik == pytest.approx(nom.loglik, abs=1e-4)
    assert ordn.n_parameters == nom.n_parameters


def test_planted_thresholds_and_locations_are_recovered():
    frame, tau, beta, z = ordinal_data(3, 4000, 6, 5, [0.55, 0.45])
    sol = _fit(frame, 2, n_init=5)
    par = sol.model.ordinal_parameters()
    loc = par[par["parameter"] == "location"].pivot(index="variable", columns="index", values="value")
    thr = par[par["parameter"] == "threshold"].pivot(index="variable", columns="index", values="value")
    # segment 1 is the larger class: the planted class 0 (55 %)
    planted_loc = pd.DataFrame(beta, index=frame.columns, columns=[1, 2])
    np.testing.assert_allclose(loc.loc[frame.columns].to_numpy(), planted_loc.to_numpy(), atol=0.15)
    err = np.abs(thr.loc[frame.columns].to_numpy() - tau[:, 1:])
    assert err.mean() < 0.12 and err.max() < 0.4  # rare categories' thresholds carry larger sampling error
    assert abs(sol.shares.iloc[0] - 0.55) < 0.03
    assert (sol.labels.to_numpy() - 1 == z).mean() > 0.85


def test_ordinal_per_item_and_errors_name_the_item():
    frame, *_ = ordinal_data(4, 300, 4, 4, [0.6, 0.4])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)
        mixed = segments.lca(frame, 2, measurement={"o1": "ordinal", "o2": "ordinal"}, random_state=1,
                             progress=False)
        assert mixed.model.measurement_ == {"o1": "ordinal", "o2": "ordinal", "o3": "nominal", "o4": "nominal"}
        assert mixed.n_parameters == 1 + 2 * (3 + 1) + 2 * 2 * 3
        with pytest.raises(segments.AnalysisError if hasattr(segments, "AnalysisError") else Exception,
                           match="measurement of item 'o3' is 'interval'"):
            segments.lca(frame, 2, measurement={"o3": "interval"}, progress=False)
        with pytest.raises(Exception, match="not in the basis"):
            segments.lca(frame, 2, measurement={"nope": "ordinal"}, progress=False)


def test_ordinal_model_file_round_trip(tmp_path):
    frame, *_ = ordinal_data(5, 400, 5, 5, [0.5, 0.3, 0.2], missing=0.05)
    frame.index = pd.Index([f"R{i:04d}" for i in range(len(frame))], name="resp_id")
    sol = _fit(frame, 3, n_init=5)
    items = list(frame.columns)
    codebook = {c: {"label": f"Item {c} – æøå", "block": "needs", "scale": "agree5", "type": "likert",
                    "codes": {i: str(i) for i in range(1, 6)}, "missing": {}} for c in items}
    model = SegmentModel.from_segmentation(sol, basis_items=items, study_id="t", study_hash="h", wave="1",
                                           codebook=codebook, data=frame)
    loaded = load_model(model.save(tmp_path))
    spec = loaded.parameters["probabilities"]["o1"]
    assert "thresholds" in spec and "locations" in spec and len(spec["locations"]) == 3
    ours = loaded.predict_proba(frame)
    ref = sol.predict_proba(frame)
    ok = frame.notna().any(axis=1)
    np.testing.assert_allclose(ours[ok].to_numpy(), ref[ok].to_numpy(), rtol=0, atol=1e-10)
