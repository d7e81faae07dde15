"""The latent transition model against depmixS4 1.5-1 (figures committed in tests/data/lta/,
made by make_lta_reference.R on the panels make_lta_data.py writes; no R at test time)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from workbench.segments._lta import LatentTransitionModel

DATA = Path(__file__).parent / "data" / "lta"
REF = json.loads((DATA / "lta_reference.json").read_text())


def _waves(frame, id_col, wave_col, items):
    return [frame[frame[wave_col] == w].set_index(id_col)[items] for w in sorted(frame[wave_col].unique())]


def _match(model, ref, items):
    """Order of R's states matching ours, by the item probabilities."""
    ours = model.item_parameters()
    a = np.hstack([ours[ours["item"] == q].pivot(index="segment", columns="category", values="value").to_numpy()
                   for q in items])
    b = np.hstack([np.asarray(ref["items"][q], dtype=float) for q in items])
    rows, cols = linear_sum_assignment(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    return cols, a, b  # our segment rows[i] is R's state cols[i]


@pytest.fixture(scope="module")
def generated():
    g = pd.read_csv(DATA / "generated.csv")
    items = [f"q{j}" for j in range(1, 7)]
    m = LatentTransitionModel(3, n_init=6, tol=1e-10, random_state=1).fit(_waves(g, "respondent", "wave", items))
    return m, REF["generated"], items


def test_loglik_matches_depmixs4(generated):
    m, ref, _ = generated
    assert m.loglik_ == pytest.approx(ref["loglik"], abs=1e-4)
    assert m.n_parameters_ == ref["npar"]


def test_parameters_match_depmixs4(generated):
    m, ref, items = generated
    order, a, b = _match(m, ref, items)
    np.testing.assert_allclose(a, b[order], atol=1e-3)
    np.testing.assert_allclose(m.initial_, np.asarray(ref["initial"])[order], atol=1e-3)
    R = np.asarray(ref["transition"])[np.ix_(order, order)]
    np.testing.assert_allclose(m.transitions_[0], R, atol=1e-3)


def test_arthritis_four_occasions_stationary():
    a = pd.read_csv(DATA / "arthritis.csv")
    ref = REF["arthritis"]
    m = LatentTransitionModel(2, transitions="stationary", n_init=3, tol=1e-10, random_state=3).fit(
        _waves(a, "id", "time", ["y"]))
    assert m.loglik_ == pytest.approx(ref["loglik"], abs=1e-4)
    order, pa, pb = _match(m, ref, ["y"])
    np.testing.assert_allclose(pa, pb[order], atol=1e-3)
    np.testing.assert_allclose(m.transitions_[0], np.asarray(ref["transition"])[np.ix_(order, order)], atol=1e-3)
    # 18 missing answers and the occasions are kept: everyone counts, nobody is dropped
    assert m.n_respondents_ == 302 and m.n_interviews_ == 4 * 302 - 18


def test_covariate_on_transitions_matches_depmixs4():
    c = pd.read_csv(DATA / "covariate.csv")
    ref = REF["covariate"]
    items = [f"q{j}" for j in range(1, 6)]
    x = c.drop_duplicates("respondent").set_index("respondent")[["x"]]
    m = LatentTransitionModel(2, n_init=4, tol=1e-10, random_state=2).fit(
        _waves(c, "respondent", "wave", items), covariates=x)
    assert m.loglik_ == pytest.approx(ref["loglik"], abs=1e-4)
    order, pa, pb = _match(m, ref, items)
    np.testing.assert_allclose(pa, pb[order], atol=1e-3)
    # transition probabilities at every respondent's x, from R's coefficients (state 1 the reference)
    xs = np.asarray(ref["x"])[:: 2]
    Z = np.column_stack([np.ones(len(xs)), xs])
    for i_ours, i_r in enumerate(order):
        B = np.asarray(ref["coefficients"][i_r], dtype=float).reshape(2, -1)  # (p, k) with column 0 zero
        eta = Z @ B
        P_r = np.exp(eta - eta.max(axis=1, keepdims=True))
        P_r /= P_r.sum(axis=1, keepdims=True)
        eta_o = np.column_stack([np.zeros(len(xs)), Z @ m.coefficients_[0, i_ours]])
        P_o = np.exp(eta_o - eta_o.max(axis=1, keepdims=True))
        P_o /= P_o.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(P_o, P_r[:, order], atol=1e-3)
