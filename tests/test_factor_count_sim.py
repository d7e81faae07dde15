"""The committed simulation study (benchmarks/results/factor_count_sim.csv) chose the rule ``auto`` implements.

No simulation runs here: the table's decisions are recomputed from the committed counts
(scripts/factor_count_tables.py, which also writes docs/factor_count.md).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
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
def sim():
    return pd.read_csv(ROOT / "benchmarks" / "results" / "factor_count_sim.csv")


def test_the_simulation_is_complete(sim):
    assert sorted(sim["battery"]) == list(range(300))
    assert set(sim["k"]) == set(range(1, 9)) and sim["categories"].between(2, 7).all()
    assert sim["n"].between(150, 5000).all() and sim["p"].between(5, 100).all()


def test_auto_is_the_simulations_best_combination_and_beats_every_single_rule(tables, sim):
    best = tables.chosen_on_simulation(sim)
    voters, upper = tables.CANDIDATES[best]
    assert set(voters) == set(count.VOTERS)
    if len(voters) % 2 == 0:
        assert upper == (count.MIDDLE == "upper")
    acc = tables.accuracy(sim, "k")["right"]
    assert acc["auto"] == acc[best]
    singles = [k for k in tables.SINGLE if k in acc.index]
    assert len(singles) >= 7 and all(acc["auto"] > acc[k] for k in singles)
