"""The re-fit check judged against the fitted wave's own fit and stability (issue 30, item 4):
a random resample of the same population is not flagged, a planted change still is."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench import factors, segments
from workbench.core.errors import WorkbenchWarning
from workbench.factors import cfa
from workbench.waves import RefitThresholds, SegmentModel, refit_check
from workbench.waves.refit import _misfit, _stability_judgement, compare_factor_fit, factor_fit_reference, misfit_variance

sys.path.insert(0, str(Path(__file__).parent / "gallery"))
from build import BFI_ITEMS, _rdata, _two_waves  # noqa: E402  (tests/gallery/build.py)

# --------------------------------------------------------------------------- the statistics


def test_misfit_variance_without_data_is_the_noncentral_chi_square_variance():
    fit = {"chi-square": 412.0, "df": 100, "n": 800}
    m, v = _misfit(fit)
    lam = 412.0 - 100
    assert m == pytest.approx(lam / (800 * 100))
    assert np.sqrt(m) == pytest.approx(np.sqrt(lam / (100 * 800)))  # = lavaan's RMSEA
    # Var(chi2) of a noncentral chi-square with df and noncentrality lambda, scaled by (N df)^-2
    assert v == pytest.approx(stats.ncx2.var(100, lam) / (800 * 100) ** 2)


def _two_factor(rng, n, cross=0.0):
    """Six items, two correlated factors; ``cross`` moves x3 onto the second factor."""
    f = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], size=n)
    lam = np.array([[0.8, 0], [0.7, 0], [0.7 - cross, cross], [0, 0.8], [0, 0.7], [0, 0.6]])
    x = f @ lam.T + rng.normal(0, 0.6, size=(n, 6))
    return pd.DataFrame(x, columns=[f"x{i}" for i in range(1, 7)])


SCALES = {"A": ["x1", "x2", "x3"], "B": ["x4", "x5", "x6"]}


def test_factor_structure_resamples_are_not_flagged_and_a_moved_item_is():
    rng = np.random.default_rng(3)
    ref = factor_fit_reference(cfa(_two_factor(rng, 600), SCALES))
    statuses = [compare_factor_fit(ref, cfa(_two_factor(rng, 600), SCALES).fit)["status"] for _ in range(12)]
    assert statuses.count("due") == 0 and statuses.count("warn") <= 1
    moved = compare_factor_fit(ref, cfa(_two_factor(rng, 600, cross=0.7), SCALES).fit)
    assert moved["status"] == "due" and moved["p"] < 1e-6 and moved["cfi_drop"] > 0.02
    # a structure that fitted poorly already (x3 loads on both factors, the model has it on one):
    # the same poor fit on a resample is no change
    rng = np.random.default_rng(8)
    d1, d2 = _two_factor(rng, 600, cross=0.5), _two_factor(rng, 600, cross=0.5)
    ref_poor = factor_fit_reference(cfa(d1, SCALES), d1)
    new_poor = cfa(d2, SCALES)
    assert new_poor.fit["CFI"] < 0.90 and new_poor.fit["RMSEA"] > 0.08  # the absolute cut-offs would say re-fit
    assert compare_factor_fit(ref_poor, factor_fit_reference(new_poor, d2))["status"] == "ok"


def test_a_just_identified_structure_is_not_measurable_not_a_crash_nor_a_refit():
    """Three items on one factor have 0 degrees of freedom: no RMSEA or TLI (None once the
    model file is read back). The comparison says 'not measurable' with the reason."""
    import json

    rng = np.random.default_rng(4)
    three = {"A": ["x1", "x2", "x3"]}
    d1, d2 = _two_factor(rng, 300), _two_factor(rng, 300)
    fit1 = factor_fit_reference(cfa(d1, three), d1)
    assert fit1["df"] == 0 and np.isnan(fit1["RMSEA"])
    back = json.loads(json.dumps({k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in fit1.items()}))
    out = compare_factor_fit(back, cfa(d2, three).fit)
    assert out["status"] == "n/a" and out["explanation"].startswith("not measurable: the structure has no degrees")
    # a testable structure against a reference whose RMSEA was lost: not measurable, named
    ref = factor_fit_reference(cfa(d1, SCALES), d1)
    ref["RMSEA"] = None
    out = compare_factor_fit(ref, cfa(d2, SCALES).fit)
    assert out["status"] == "n/a" and "RMSEA" in out["explanation"] and "fitted wave" in out["explanation"]


def test_misfit_variance_matches_monte_carlo_on_a_misspecified_model():
    """The delta-method (distribution-free) variance of RMSEA**2 against its spread over 20
    independent samples of a model that does not hold (x3 cross-loads)."""
    rng = np.random.default_rng(11)
    est, var = [], []
    for _ in range(20):
        d = _two_factor(rng, 600, cross=0.5)
        ref = factor_fit_reference(cfa(d, SCALES), d)
        m, v = _misfit(ref)
        est.append(m)
        var.append(v)
    mc_sd, pred_sd = float(np.std(est, ddof=1)), float(np.sqrt(np.mean(var)))
    assert 0.7 < pred_sd / mc_sd < 1.5, (pred_sd, mc_sd)
    ref = cfa(d, SCALES)
    assert misfit_variance(ref, d) == pytest.approx(factor_fit_reference(ref, d)["misfit_var"])
    assert np.isnan(misfit_variance(ref, d.drop(columns="x6")))


def test_stability_is_judged_against_the_fitted_waves_own_spread():
    th = RefitThresholds()
    # issue 30: the fitted wave's own stability was 0.708; a resample's 0.62 is within its spread
    diag = {"stability": 0.708, "stability_sd": 0.07, "n": 1000}
    assert _stability_judgement(0.62, diag, 1000, th)[1] == "ok"
    assert _stability_judgement(0.30, diag, 1000, th)[1] == "due"
    assert _stability_judgement(0.53, {"stability": 0.708, "stability_sd": 0.03, "n": 1000}, 1000, th)[1] == "warn"
    # a smaller new wave has a wider spread: the same ARI is not significant there
    assert _stability_judgement(0.50, {"stability": 0.708, "stability_sd": 0.06, "n": 2000}, 2000, th)[1] == "due"
    assert _stability_judgement(0.50, {"stability": 0.708, "stability_sd": 0.06, "n": 2000}, 200, th)[1] == "ok"
    # no spread kept (older model files): the drop from the fitted wave's mean alone; none at all: absolute bands
    assert _stability_judgement(0.62, {"stability": 0.708}, 1000, th)[1] == "ok"
    assert _stability_judgement(0.45, {"stability": 0.708}, 1000, th)[1] == "due"
    assert _stability_judgement(0.62, {}, 1000, th)[1] == "due"
    assert _stability_judgement(0.85, {"stability": 0.99, "stability_sd": 0.005}, 1000, th)[1] == "ok"


# --------------------------------------------------------------------------- generated latent classes

ITEMS = [f"q{i:02d}" for i in range(1, 13)]
_HI, _LO = [0.7, 0.2, 0.1], [0.1, 0.2, 0.7]
PROFILES = [[_HI if j in range(a, a + 4) else _LO for j in range(12)] for a in (0, 4, 8)]


def _draw(rng, n, shares=(0.45, 0.35, 0.2)):
    c = rng.choice(3, size=n, p=shares)
    X = np.empty((n, 12))
    for j in range(12):
        for cl in range(3):
            m = c == cl
            X[m, j] = rng.choice([1, 2, 3], size=m.sum(), p=PROFILES[cl][j])
    return pd.DataFrame(X, columns=ITEMS, index=[f"r{rng.integers(1e12)}_{i}" for i in range(n)])


def _freeze(data, k, items, codes, factor_solutions=None, reps=8):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)
        sol = segments.lca(data, k, n_init=5, random_state=1, progress=False)
        st = segments.stability(sol, data, n_reps=reps, random_state=1, progress=False)
    sol = sol.with_stability(st.mean, st.ok.to_list())
    cb = {c: {"label": c, "block": "needs", "scale": "s", "type": "likert", "codes": {i: str(i) for i in codes},
              "missing": {}} for c in items}
    return SegmentModel.from_segmentation(sol, basis_items=items, factors=factor_solutions, codebook=cb,
                                          study_id="s", study_hash="h", wave="1", data=data), st


def test_generated_resample_not_flagged_and_a_destroyed_structure_is():
    rng = np.random.default_rng(5)
    model, st = _freeze(_draw(rng, 600), 3, ITEMS, (1, 2, 3))
    assert model.diagnostics["stability_refits"] == len(st.ok)
    assert model.diagnostics["stability_sd"] == pytest.approx(st.ok.std(ddof=1))
    same = refit_check(model, _draw(np.random.default_rng(6), 600), random_state=1, wave="2", emerging=False)
    assert not same.due, same.message
    # planted: the segments no longer exist (answers drawn independently per item)
    rng = np.random.default_rng(7)
    flat = _draw(rng, 600)
    flat = pd.DataFrame({c: rng.permutation(flat[c].to_numpy()) for c in flat}, index=flat.index)
    changed = refit_check(model, flat, random_state=1, wave="2", emerging=False)
    st_row = changed.table.set_index("check").loc["stability"]
    assert st_row["status"] == "due" and changed.due
    assert "the fitted wave's own bootstrap stability" in st_row["explanation"]


# --------------------------------------------------------------------------- a public-data gallery study


@pytest.fixture(scope="module")
def bfi_halves():
    """psych::bfi (the gallery's bfi_needs data) split into two random halves of 700; wave 1's
    five-factor EFA and three latent classes frozen with their bootstrap stability."""
    items = list(BFI_ITEMS)
    df = _rdata("psych", "bfi")[items].dropna()
    a, b = _two_waves(df, 700, 30)
    a.index, b.index = [f"a{i}" for i in range(len(a))], [f"b{i}" for i in range(len(b))]
    efa = factors.efa(a, 5, progress_bar=False)
    model, _ = _freeze(a, 3, items, range(1, 7), {"needs": efa})
    return model, b


def test_gallery_second_half_is_not_flagged(bfi_halves, tmp_path):
    from workbench.waves import load_model

    model, b = bfi_halves
    loaded = load_model(model.save(tmp_path / "model.json"))  # the model file keeps the fitted wave's numbers
    assert loaded.diagnostics["factor_fit"]["needs"] == pytest.approx(model.diagnostics["factor_fit"]["needs"])
    assert loaded.diagnostics["stability_sd"] == pytest.approx(model.diagnostics["stability_sd"])
    model = loaded
    ref = model.diagnostics["factor_fit"]["needs"]
    adv = refit_check(model, b, random_state=1, wave="2")
    rows = adv.table.set_index("check")
    assert not adv.due, adv.message
    assert rows.loc["factor structure: needs", "status"] == "ok"
    assert rows.loc["stability", "status"] == "ok"
    # the absolute cut-offs would have called for a re-fit: Big Five items fit a simple structure
    # poorly (CFI well under .90) on both halves alike
    assert rows.loc["factor structure: needs", "value"] < 0.90 and ref["CFI"] < 0.90
    assert rows.loc["factor structure: needs", "reference"] == pytest.approx(ref["CFI"])


def test_gallery_planted_changes_are_flagged(bfi_halves):
    model, b = bfi_halves
    # planted: three neuroticism and three extraversion items trade places (the questionnaire changed)
    swap = {"N1": "E1", "N2": "E2", "N3": "E3", "E1": "N1", "E2": "N2", "E3": "N3"}
    adv = refit_check(model, b.rename(columns=swap), random_state=1, wave="2", emerging=False)
    row = adv.table.set_index("check").loc["factor structure: needs"]
    assert row["status"] == "due" and adv.due
    assert any(r.startswith("factor structure: needs") for r in adv.reasons)
