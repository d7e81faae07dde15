"""Standard errors of latent class parameters against poLCA's ``calc.se`` (R).

Reference: ``tests/data/polca_reference.json`` from ``R_LIBS=/work/rlib Rscript
tests/data/make_polca_reference.R`` (poLCA 1.6.0.2: ``set.seed(1); poLCA(f, data, nclass = k,
nrep = 10, maxiter = 5000, tol = 1e-10, calc.se = TRUE)``), on poLCA's gss82, carcinoma and values.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lpa_reference import DATA
from workbench.segments import LatentClassModel
from workbench.segments._lca_se import polca_standard_errors

REF = json.loads((DATA / "polca_reference.json").read_text(encoding="utf-8"))
CASES = {"gss82_3": "polca_gss82.csv", "carcinoma_3": "polca_carcinoma.csv", "values_2": "polca_values.csv"}


def _posteriors(codes, probs, shares):
    logp = np.log(shares)[None, :] + sum(np.log(probs[j][:, codes[:, j]]).T for j in range(codes.shape[1]))
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    return p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("key", list(CASES))
def test_standard_errors_are_polcas_at_polcas_estimates(key):
    ref = REF[key]
    frame = pd.read_csv(DATA / CASES[key])[ref["items"]]
    codes = frame.to_numpy(dtype=int) - 1
    probs = [np.atleast_2d(np.asarray(ref["probs"][it], dtype=float)) for it in ref["items"]]
    shares = np.asarray(ref["P"], dtype=float)
    se_p, se_s = polca_standard_errors(codes, probs, shares, _posteriors(codes, probs, shares))
    for j, it in enumerate(ref["items"]):
        assert np.abs(se_p[j] - np.asarray(ref["probs_se"][it])).max() < 1e-6, it
    assert np.abs(se_s - np.asarray(ref["P_se"])).max() < 1e-6


def test_latent_class_model_reports_polcas_standard_errors():
    """The fitted model's standard errors are poLCA's on values (k = 2). (On gss82 k = 3 a response
    probability sits on the boundary, 1 - 3e-11: the information is near-singular and poLCA's
    generalised inverse gives share standard errors that depend on which class is the reference,
    so there the check is at poLCA's own estimates and class order, above.)"""
    ref = REF["values_2"]
    X = pd.read_csv(DATA / "polca_values.csv").astype(float)
    m = LatentClassModel(2, random_state=0, progress=False).fit(X)
    assert m.loglik_ == pytest.approx(ref["llik"], abs=1e-3)
    se = m.standard_errors(X)
    shares = se[se["parameter"] == "class_share"].sort_values("class")
    # match our classes (largest first) to poLCA's by share
    order = np.argsort(-np.asarray(ref["P"]))
    assert shares["value"].to_numpy() == pytest.approx(np.asarray(ref["P"])[order], abs=1e-4)
    assert shares["se"].to_numpy() == pytest.approx(np.asarray(ref["P_se"])[order], rel=1e-3)
    for item in ref["items"]:
        rp = se[(se["parameter"] == "response_probability") & (se["variable"] == item)]
        for c, r in enumerate(order, start=1):
            got = rp[rp["class"] == c].sort_values("category")["se"].to_numpy()
            assert got == pytest.approx(np.asarray(ref["probs_se"][item][r]), rel=1e-3, abs=1e-6), item
