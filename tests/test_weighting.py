"""Raking: against an independent IPF library (ipfn) and a hand-rolled IPF, against
post-stratification where raking must equal it, Kish's formulas by hand, trimming, and the
problems a consultant must hear about."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.core.errors import AnalysisError
from workbench.data.weighting import RakingWarning, design_effect, effective_n, rake

# 3 size bands x 2 countries, unequal cells (sample counts)
CELLS = {("small", "DK"): 30, ("small", "SE"): 10, ("mid", "DK"): 25, ("mid", "SE"): 15,
         ("large", "DK"): 5, ("large", "SE"): 15}
SIZE = {"small": 0.5, "mid": 0.3, "large": 0.2}
COUNTRY = {"DK": 0.4, "SE": 0.6}


def sample_frame() -> pd.DataFrame:
    rows = [(s, c) for (s, c), n in CELLS.items() for _ in range(n)]
    return pd.DataFrame(rows, columns=["size", "country"], index=[f"r{i:03d}" for i in range(len(rows))])


def hand_ipf(sample: pd.DataFrame, targets: dict, passes: int = 500) -> pd.Series:
    """Textbook IPF, one respondent at a time (deliberately naive)."""
    w = {i: 1.0 for i in sample.index}
    for _ in range(passes):
        for var, tgt in targets.items():
            total = sum(w.values())
            for cat, share in tgt.items():
                members = [i for i in sample.index if sample.at[i, var] == cat]
                current = sum(w[i] for i in members) / total
                for i in members:
                    w[i] *= share / current
    s = pd.Series(w)
    return s / s.mean()


def test_raking_matches_the_ipfn_library():
    from ipfn import ipfn

    sample = sample_frame()
    sizes, countries = list(SIZE), list(COUNTRY)
    seed = np.array([[CELLS[(s, c)] for c in countries] for s in sizes], dtype=float)
    n = seed.sum()
    fitted = ipfn.ipfn(seed.copy(), [np.array([SIZE[s] * n for s in sizes]), np.array([COUNTRY[c] * n for c in countries])],
                       [[0], [1]], convergence_rate=1e-12, max_iteration=5000).iteration()
    cell_weight = {(s, c): fitted[i, j] / seed[i, j] for (i, s), (j, c) in itertools.product(enumerate(sizes), enumerate(countries))}
    expected = sample.apply(lambda r: cell_weight[(r["size"], r["country"])], axis=1)
    res = rake(sample, {"size": SIZE, "country": COUNTRY}, trim=None, tolerance=1e-12, max_iter=1000)
    np.testing.assert_allclose(res.weights, expected / expected.mean(), rtol=1e-8)
    assert res.converged


def test_raking_matches_a_hand_rolled_ipf_and_hits_the_margins():
    sample = sample_frame()
    res = rake(sample, {"size": SIZE, "country": COUNTRY}, trim=None, tolerance=1e-12, max_iter=1000)
    np.testing.assert_allclose(res.weights, hand_ipf(sample, {"size": SIZE, "country": COUNTRY}), rtol=1e-8)
    m = res.margins
    np.testing.assert_allclose(m["weighted %"], m["population %"], atol=1e-3)
    assert m.loc[("size", "small"), "sample %"] == pytest.approx(40.0)
    assert m.loc[("size", "small"), "respondents"] == 40


def test_one_variable_is_post_stratification():
    sample = sample_frame()
    res = rake(sample, {"size": SIZE}, trim=None)
    share = sample["size"].value_counts(normalize=True)
    expected = sample["size"].map(lambda s: SIZE[s] / share[s])
    np.testing.assert_allclose(res.weights, expected / expected.mean())
    assert res.diagnostics["iterations"] == 1


def test_kish_design_effect_and_effective_n_by_hand():
    w = [1, 1, 2, 4]
    # n Σw² / (Σw)² = 4 * 22 / 64; (Σw)² / Σw² = 64 / 22
    assert design_effect(w) == pytest.approx(4 * 22 / 64)
    assert effective_n(w) == pytest.approx(64 / 22)
    res = rake(sample_frame(), {"size": SIZE, "country": COUNTRY}, trim=None)
    d = res.diagnostics
    assert d["design effect"] == pytest.approx(len(res.weights) * (res.weights**2).sum() / res.weights.sum() ** 2)
    assert d["effective n"] == pytest.approx(d["n"] / d["design effect"])


def test_counts_and_shares_are_the_same_targets():
    sample = sample_frame()
    a = rake(sample, {"size": SIZE, "country": COUNTRY})
    b = rake(sample, {"size": {k: 1000 * v for k, v in SIZE.items()}, "country": pd.Series(COUNTRY) * 7})
    pd.testing.assert_series_equal(a.weights, b.weights)


def test_trimming_keeps_weights_within_the_bounds():
    sample = sample_frame()
    free = rake(sample, {"size": SIZE, "country": COUNTRY}, trim=None)
    assert free.weights.max() > 1.8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RakingWarning)
        res = rake(sample, {"size": SIZE, "country": COUNTRY}, trim=(0.5, 1.8), max_iter=300)
    bounds = res.diagnostics
    assert res.weights.max() <= bounds["upper bound"] * (1 + 1e-9)
    assert res.weights.min() >= bounds["lower bound"] * (1 - 1e-9)
    assert bounds["weights on a trimming bound"] > 0
    assert res.design_effect < free.design_effect


def test_too_tight_trimming_warns_that_raking_did_not_converge():
    with pytest.warns(RakingWarning, match=r"raking did not converge in 20 passes \(largest margin error"):
        res = rake(sample_frame(), {"size": SIZE, "country": COUNTRY}, trim=(0.9, 1.1), max_iter=20)
    assert not res.converged


def test_a_population_category_without_respondents_is_dropped_with_a_warning():
    sample = sample_frame()
    targets = {"size": {**SIZE, "huge": 0.1}, "country": COUNTRY}
    with pytest.warns(RakingWarning, match=r"no respondent in size = huge \(9.1 % of the population\)"):
        res = rake(sample, targets, trim=None, tolerance=1e-10, max_iter=500)
    assert ("size", "huge") not in res.margins.index
    assert res.margins.loc[("size", "small"), "population %"] == pytest.approx(50 / 1.0, rel=1e-9)


def test_respondents_with_missing_values_keep_their_base_weight():
    sample = sample_frame()
    sample.loc[sample.index[:3], "country"] = None
    res = rake(sample, {"size": SIZE, "country": COUNTRY}, trim=None, tolerance=1e-10, max_iter=500)
    assert res.diagnostics["not raked (missing values)"] == 3
    raked = res.weights.iloc[3:]
    # an unraked respondent sits at the mean of the raked ones (base weights all 1)
    assert res.weights.iloc[0] == pytest.approx(raked.mean())
    assert res.weights.mean() == pytest.approx(1)


def test_base_weights_are_the_starting_point():
    sample = sample_frame()
    base = pd.Series(np.where(sample["country"] == "DK", 2.0, 1.0), index=sample.index)
    res = rake(sample, {"size": SIZE}, base_weights=base, trim=None)
    # post-stratification on size from base weights: w = base * target / weighted share
    wshare = base.groupby(sample["size"]).sum() / base.sum()
    expected = base * sample["size"].map(lambda s: SIZE[s] / wshare[s])
    np.testing.assert_allclose(res.weights, expected / expected.mean())
    assert res.margins.loc[("size", "small"), "sample %"] == pytest.approx(100 * wshare["small"])


def test_same_input_same_weights():
    a = rake(sample_frame(), {"size": SIZE, "country": COUNTRY})
    b = rake(sample_frame(), {"size": SIZE, "country": COUNTRY})
    pd.testing.assert_series_equal(a.weights, b.weights)
    pd.testing.assert_frame_equal(a.margins, b.margins)


def test_bad_requests_are_refused():
    with pytest.raises(AnalysisError, match=r"no column for raking variable\(s\) tier"):
        rake(sample_frame(), {"tier": {"gold": 1}})
    with pytest.raises(AnalysisError, match=r"targets for 'size' must be non-negative"):
        rake(sample_frame(), {"size": {"small": -1, "mid": 2}})
    with pytest.raises(AnalysisError, match=r"base weights must be positive"):
        rake(sample_frame(), {"size": SIZE}, base_weights=np.zeros(100))


def test_result_shows_itself():
    res = rake(sample_frame(), {"size": SIZE, "country": COUNTRY})
    assert str(res).startswith("Raking on size, country: n 100, effective n")
    assert "<table" in res._repr_html_()
    assert list(res.summary().columns) == ["value"]
    fig = res.plot_weights()
    assert fig.axes and fig.axes[0].get_title().startswith("Raking weights")
