"""Comparison data, Hull, EGA, NEST and the combined ``auto`` count on planted structures (small and fast).

The accuracy of every rule on 480 simulated and 33 public batteries is in docs/factor_count.md
(benchmarks/factor_count_sim.py, scripts/factor_count_tables.py); these tests only check that
each rule recovers a clear planted structure and that the decision is explained in words.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench.factors as wf
from workbench.factors.count import combined_count, count_sentence
from workbench.factors.rules import comparison_data, ega, hull, walktrap

DATA = Path(__file__).parent / "data"


def planted(k: int, per: int, loading: float, phi: float) -> np.ndarray:
    lam = np.zeros((k * per, k))
    for f in range(k):
        lam[f * per:(f + 1) * per, f] = loading
    cor = np.full((k, k), phi)
    np.fill_diagonal(cor, 1)
    r = lam @ cor @ lam.T
    np.fill_diagonal(r, 1)
    return r


def sample(r: np.ndarray, n: int, seed: int) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    x = g.multivariate_normal(np.zeros(len(r)), r, n)
    return pd.DataFrame(np.clip(np.round(x * 1.2 + 3), 1, 5), columns=[f"q{j}" for j in range(len(r))])


def test_walktrap_finds_planted_communities():
    a = np.zeros((9, 9))
    for b in range(3):
        a[b * 3:(b + 1) * 3, b * 3:(b + 1) * 3] = 0.4
    a[2, 3] = a[3, 2] = 0.05  # a weak bridge
    np.fill_diagonal(a, 0)
    labels = walktrap(a)
    assert len(set(labels)) == 3
    assert all(len(set(labels[b * 3:(b + 1) * 3])) == 1 for b in range(3))


@pytest.mark.parametrize("k, per, loading, phi", [(1, 6, 0.6, 0.0), (3, 4, 0.65, 0.3), (5, 4, 0.6, 0.2)])
def test_hull_and_ega_recover_planted_counts(k, per, loading, phi):
    r = planted(k, per, loading, phi)
    x = sample(r, 800, seed=k)
    obs = x.corr().to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert hull(obs, 800, k_max=k + 2)[0] == k
        assert ega(obs, 800)[0] == k


def test_comparison_data_matches_the_authors_r_code():
    """Holzinger-Swineford x1-x9 against RGenData (Ruscio's own code; tests/data/make_comparison_data_reference.R,
    500 samples per k there, 100 here): the same count, the mean RMSR of the eigenvalues per k within 5 %."""
    ref = json.loads((DATA / "comparison_data_reference.json").read_text(encoding="utf-8"))["hs9"]
    x = pd.read_csv(DATA / "comparison_data" / "hs9.csv")
    count, table = comparison_data(x, random_state=3, n_samples=100)
    assert count == ref["count"] == 3
    assert list(table.index) == [1, 2, 3, 4]
    np.testing.assert_allclose(table["RMSR eigenvalues"], ref["rmsr"], rtol=0.05)
    assert table.loc[3, "p vs k-1"] < 0.3 and not table.loc[4, "p vs k-1"] < 0.3


def test_the_combined_count_is_the_middle_vote_lowered_for_weak_factors():
    votes = {"PA": 4, "PA mean": 6, "PA components": 6, "MAP": 5, "Hull": 6, "EGA": 5, "NEST": 7, "CD": 7}
    k, why = combined_count(votes)  # PA mean, EGA and NEST vote: 6, 5, 7
    assert k == 6 and "middle" in why and "1 of 3 rules" in why
    assert combined_count(votes, ok=[True] * 5 + [False])[0] == 5
    # no NEST (polychoric / tetrachoric correlations): the larger of the two others
    assert combined_count({"PA mean": 3, "EGA": 2, "PA": 1})[0] == 3


def test_auto_explains_the_count_in_one_line():
    x = sample(planted(3, 4, 0.65, 0.3), 600, seed=4)
    res = wf.efa(x, "auto", n_iter=5, random_state=2, progress_bar=False)
    assert res.n_factors == 3
    t = res.factor_count.table
    assert {"Hull method", "exploratory graph analysis", "next eigenvalue sufficiency test"} <= set(t.index)
    votes = {k: int(t.at[row, "factors"]) for k, row in (("PA mean", "parallel analysis (factors, mean)"),
                                                          ("EGA", "exploratory graph analysis"),
                                                          ("NEST", "next eigenvalue sufficiency test"))}
    assert res.factor_count.decision.iloc[0]["factors"] == combined_count(votes)[0]  # auto starts from these three
    line = res.count_sentence()
    assert line.startswith("3 factors: ") and "parallel analysis" in line and "\n" not in line
    fixed = wf.efa(x, 2)
    assert fixed.count_sentence() == ""
    assert count_sentence(res.factor_count, 2).startswith("2 factors")
    binary = (x >= 4).astype(float)  # tetrachoric correlations: NEST's continuous reference does not apply
    tet = wf.efa(binary, "auto", correlation="tetrachoric", n_iter=5, random_state=2, progress_bar=False)
    assert "next eigenvalue sufficiency test" not in tet.factor_count.table.index
    assert "next-eigenvalue" not in tet.count_sentence()


def test_empirical_kaiser_reference_values_and_planted_structures():
    """EKC (Braeken & van Assen, 2017): the j-th reference is max(1, (1 + sqrt(p/n))^2 (p - sum of the earlier
    eigenvalues) / (p - j + 1)); checked against that formula written out for a 4-item matrix, then on planted
    structures (population matrices, so a large n recovers k) and on independent items (0 factors)."""
    from workbench.factors.rules import empirical_kaiser

    r = np.array([[1, .6, .5, .1], [.6, 1, .4, .1], [.5, .4, 1, .2], [.1, .1, .2, 1]])
    ev = np.sort(np.linalg.eigvalsh(r))[::-1]
    n = 100
    mp = (1 + (4 / n) ** 0.5) ** 2
    expected = [max(1, mp * 4 / 4), max(1, mp * (4 - ev[0]) / 3), max(1, mp * (4 - ev[0] - ev[1]) / 2),
                max(1, mp * (4 - ev[:3].sum()) / 1)]
    k, ref = empirical_kaiser(r, n)
    assert np.allclose(ref, expected) and k == int((ev > ref).cumprod().sum()) == 1
    for kk, phi in [(2, 0.3), (4, 0.2)]:
        assert empirical_kaiser(planted(kk, 5, 0.7, phi), 1000)[0] == kk
    x = np.random.default_rng(3).standard_normal((500, 12))
    assert empirical_kaiser(np.corrcoef(x, rowvar=False), 500)[0] == 0


def test_nest_reference_eigenvalues_and_planted_structures():
    """NEST (Achim, 2017): the Wishart-drawn reference correlations have the eigenvalue distribution of correlations of
    simulated normal samples (mean and 95th percentile within .01); four factors correlated .7, where the first
    eigenvalue dwarfs the rest, are recovered from a sample; independent items give 0 factors."""
    from workbench.factors.rules import _wishart_correlations, nest

    g = np.random.default_rng(5)
    s = planted(2, 3, 0.6, 0.4)
    np.fill_diagonal(s, 1)
    drawn = _wishart_correlations(s, 150, 1500, g)
    direct = np.array([np.sort(np.linalg.eigvalsh(np.corrcoef(g.multivariate_normal(np.zeros(6), s, 150),
                                                               rowvar=False)))[::-1] for _ in range(1500)])
    np.testing.assert_allclose(drawn.mean(axis=0), direct.mean(axis=0), atol=0.01)
    np.testing.assert_allclose(np.quantile(drawn, 0.95, axis=0), np.quantile(direct, 0.95, axis=0), atol=0.03)
    x = sample(planted(4, 6, 0.6, 0.7), 600, seed=7)
    count, table = nest(x.corr().to_numpy(), 600, random_state=1)
    assert count == 4 and list(table.index) == [1, 2, 3, 4, 5]
    assert (table["observed"] > table["reference"]).tolist() == [True] * 4 + [False]
    noise = np.random.default_rng(3).standard_normal((400, 12))
    assert nest(np.corrcoef(noise, rowvar=False), 400, random_state=1)[0] == 0
