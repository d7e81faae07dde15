"""Writes the generated studies multilevLCA is run on (see README.md).

    PYTHONPATH=. python tests/data/multilevlca/generate.py
"""
from pathlib import Path

from workbench.segments._multilevel import simulate_accounts

HERE = Path(__file__).parent

for name, seed, missing in [("gen_complete", 29, 0.0), ("gen_missing", 290, 0.06)]:
    X, accounts, truth = simulate_accounts(300, n_items=8, n_categories=3, missing=missing, random_state=seed)
    out = (X - 1).astype("Int64")  # multilevLCA wants codes 0..C-1
    out.insert(0, "id_high", accounts.str[1:].astype(int))
    out = out.join(truth)
    out.to_csv(HERE / f"{name}.csv")
