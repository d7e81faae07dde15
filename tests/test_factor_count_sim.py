"""The committed simulation study (benchmarks/results/factor_count_sim*.csv: the issue's design, the later cheap
rules for it, the hierarchical block, the strong-general-factor block, NEST on the Pearson batteries) chose the
rule ``auto`` implements.

No simulation runs here: the table's decisions are recomputed from the committed counts
(scripts/factor_count_tables.py, which also writes docs/factor_count.md).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from workbench.factors import count

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tables():
    spec = importlib.util.spec_from_file_location("factor_count_tables", ROOT / "scripts" / "factor_count_tables.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def sim(tables):
    return tables.load_sim()


def test_the_simulation_is_complete(sim, tables):
    issue = sim[sim["design"] == "issue"]
    assert sorted(issue["battery"]) == list(range(300))
    assert set(issue["k"]) == set(range(1, 9)) and issue["categories"].between(2, 7).all()
    assert issue["n"].between(150, 5000).all() and issue["p"].between(5, 100).all()
    hier = sim[sim["battery"].between(1000, 1999)]
    assert sorted(hier["battery"]) == list(range(1000, 1000 + len(hier))) and len(hier) >= 40
    assert set(hier["design"]) == {"bifactor", "higher-order", "correlated"}
    assert hier["k"].between(2, 6).all() and hier["phi"].max() >= 0.5
    strong = sim[sim["battery"] >= 2000]
    assert sorted(strong["battery"]) == list(range(2000, 2000 + len(strong))) and len(strong) >= 40
    assert set(strong["design"]) == {"strong bifactor", "correlated .5-.8"}
    assert strong.loc[strong["design"] == "correlated .5-.8", "phi"].max() == 0.8
    general = strong.loc[strong["design"] == "strong bifactor", "general"].str.split("-", expand=True).astype(float)
    assert (general[0] >= 0.5).all() and (general[1] <= 0.7).all()
    # every rule compared was run on the batteries the rule is chosen on; NEST on exactly the Pearson ones
    assert len(tables.complete(sim)) == len(sim) == 480
    assert (sim["NEST"].notna() == (sim["correlation"] == "pearson")).all()


def test_auto_is_the_simulations_best_combination_and_beats_every_single_rule(tables, sim):
    best = tables.chosen_on_simulation(sim)
    voters, upper, *lower = tables.CANDIDATES[best]
    assert set(voters) == set(count.VOTERS) and (lower or [True])[0]  # auto is lowered for weak factors
    if len(voters) % 2 == 0 or "NEST" in voters:  # without NEST (not Pearson) the votes are even
        assert (upper or "NEST" in voters) == (count.MIDDLE == "upper")
    acc = tables.accuracy(tables.complete(sim), "k")["right"]
    assert acc["auto"] == acc[best]
    singles = [k for k in tables.SINGLE if k in acc.index]
    assert len(singles) >= 7 and all(acc["auto"] > acc[k] for k in singles)


def test_the_fourth_held_out_set_is_the_pre_registered_list(tables):
    """The fourth held-out table covers exactly the pre-registered batteries (benchmarks/data/factor_count_held_out/
    batteries.csv), with their documented counts, and each battery's data file has the listed items and n."""
    import pandas as pd

    listing = pd.read_csv(tables.HELD_OUT / "batteries.csv")
    assert listing["battery"].is_unique and len(listing) >= 20
    batteries = tables.fourth_batteries()
    for r in listing.itertuples(index=False):
        x, n_obs, doc, which, corr, source = batteries[r.battery]
        assert x.shape[1] == r.items and (n_obs or len(x)) == r.n and doc == r.documented
        declared = {"binary": "tetrachoric", "correlation matrix": "given", "continuous": "pearson"}
        if r.answer not in declared:  # "ordinal k": 3-4 categories polychoric, 5 or more Pearson (the declared rule)
            declared[r.answer] = "polychoric" if int(r.answer.split()[-1]) <= 4 else "pearson"
        assert corr == declared[r.answer]
        if r.answer == "binary":
            assert (x.nunique() == 2).all()
    results = pd.read_csv(tables.RESULTS / "factor_count_public_fourth.csv")
    assert list(results["battery"]) == list(listing["battery"])
    assert (results["documented"].to_numpy() == listing["documented"].to_numpy()).all()
    assert (results["items"].to_numpy() == listing["items"].to_numpy()).all()
    assert (results["set"] == "fourth held-out").all()
