"""Simulation study for the number-of-factors rules and the combined ``auto`` decision (issue 25).

Each simulated battery has a known number of factors k (1-8), items per factor drawn so that
the battery has 5-100 items (at least 3 per factor), loadings drawn per item from a range
within .3-.8, equal factor correlations 0-.5, answers cut into 2-7 categories at
item-specific thresholds, and n respondents (150-5,000, log-uniform).  Every rule of
:func:`workbench.factors.count.count_rules` is applied on the correlation the study step would
use (tetrachoric for 2 categories, polychoric for 3-4, Pearson for 5-7; see
``workbench.steps.factors.battery_correlation`` and docs/factor_count.md), plus, for every k
the items identify up to 9, whether the rotated k-factor solution has a weak factor or a
Heywood case (what ``auto``'s last step checks).  One row per battery is written to
``benchmarks/results/factor_count_sim.csv``; ``scripts/factor_count_tables.py`` turns it into
the accuracy tables of ``docs/factor_count.md``.

Usage::

    python benchmarks/factor_count_sim.py --n 300 --seed 2025            # about an hour on one core
    python benchmarks/factor_count_sim.py --n 300 --cd                   # with comparison data (many hours)
    python benchmarks/factor_count_sim.py --n 20 --out /tmp/sim.csv      # a quick look

Resumable: batteries already in the output file are skipped, so an interrupted run is
continued by the same command, and ranges (``--start 200 --n 300``) can run side by side
into the same file (one appended line per battery). Every battery has its own seed
(``[seed, battery]``), so the rows do not depend on the order or the split.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.factors.count import count_rules  # noqa: E402
from workbench.factors.efa import solution_checks  # noqa: E402


def design(g: np.random.Generator) -> dict:
    k = int(g.integers(1, 9))
    lo_items = max(5, 3 * k)
    p = int(np.clip(round(np.exp(g.uniform(np.log(lo_items), np.log(100)))), lo_items, 100))
    base = np.full(k, 3)
    extra = p - 3 * k
    if extra > 0:
        base += g.multinomial(extra, np.full(k, 1 / k))
    low = g.uniform(0.3, 0.6)
    high = min(low + g.uniform(0.1, 0.3), 0.8)
    phi = float(g.choice([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])) if k > 1 else 0.0
    cats = int(g.integers(2, 8))
    n = int(round(np.exp(g.uniform(np.log(150), np.log(5000)))))
    return {"k": k, "p": int(base.sum()), "items_per_factor": base.tolist(), "loadings": (round(low, 2), round(high, 2)),
            "phi": phi, "categories": cats, "n": n}


def simulate(spec: dict, g: np.random.Generator) -> pd.DataFrame:
    k, per = spec["k"], spec["items_per_factor"]
    p = sum(per)
    lam = np.zeros((p, k))
    row = 0
    for f, m in enumerate(per):
        lam[row:row + m, f] = g.uniform(*spec["loadings"], m)
        row += m
    cor = np.full((k, k), spec["phi"])
    np.fill_diagonal(cor, 1)
    z = g.multivariate_normal(np.zeros(k), cor, spec["n"]) @ lam.T
    uniq = np.sqrt(np.clip(1 - np.einsum("ij,jk,ik->i", lam, cor, lam), 0.05, None))
    z = z + g.standard_normal((spec["n"], p)) * uniq
    out = np.empty_like(z)
    c = spec["categories"]
    for j in range(p):
        if c == 2:
            cuts = np.array([g.uniform(-1.0, 1.0)])
        else:
            cuts = np.sort(g.normal(g.uniform(-0.7, 0.7), 1.0, c - 1))
        out[:, j] = np.searchsorted(cuts, z[:, j]) + 1
    frame = pd.DataFrame(out, columns=[f"q{j + 1:03d}" for j in range(p)])
    # an item nobody varied on cannot be analysed (happens with few respondents and extreme cuts)
    return frame.loc[:, frame.nunique() > 1]


def correlation_for(categories: int) -> str:
    return "tetrachoric" if categories == 2 else ("polychoric" if categories <= 4 else "pearson")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=240, help="simulated batteries")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--start", type=int, default=0, help="first battery (to split a run)")
    ap.add_argument("--cd", action="store_true", help="also comparison data (slow: 10-60 s a battery)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "factor_count_sim.csv"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = pd.read_csv(out) if out.exists() else pd.DataFrame()
    have = set(done["battery"]) if len(done) else set()
    warnings.simplefilter("ignore")
    for i in range(args.start, args.n):
        if i in have:
            continue
        g = np.random.default_rng([args.seed, i])
        spec = design(g)
        data = simulate(spec, g)
        t = time.time()
        corr = correlation_for(spec["categories"])
        counts, r = count_rules(data, correlation=corr, random_state=i, cd=args.cd)
        ok = solution_checks(r, k_max=9)
        row = {"battery": i, **{key: spec[key] for key in ("k", "p", "phi", "categories", "n")},
               "loadings": f"{spec['loadings'][0]:.2f}-{spec['loadings'][1]:.2f}", "correlation": corr,
               **counts, "ok": "".join("1" if v else "0" for v in ok), "seconds": round(time.time() - t, 1)}
        pd.DataFrame([row]).to_csv(out, mode="a", header=not out.exists() or out.stat().st_size == 0, index=False)
        print(f"{i}: k={spec['k']} p={spec['p']} n={spec['n']} c={spec['categories']} -> "
              + " ".join(f"{a}={b}" for a, b in counts.items()) + f" ({row['seconds']}s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
