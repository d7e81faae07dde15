"""Benchmark: the latent-class fit of a large wave (k = 2..8), as the segments step runs it.

Generates ``n`` respondents × ``items`` five-point items from ``planted`` latent classes
(class shares 30/25/20/15/10 %, every class its own answer distribution per item, 2 % of the
answers missing at random) and fits latent classes at every k of ``--k`` exactly as
:func:`workbench.segments.candidates` does (one pooled job list over k, then the added
batches of starts): ``segments._engine.fit_mixtures`` + ``add_starts`` with the candidates'
defaults (50 random starts, their start schedule, ``max_starts`` = 4 × 50). It prints per k
the best log-likelihood, the starts run, the replication count and the EM iterations, and the
wall and CPU time of the whole grid (on a shared machine the CPU time and the iterations are
the measure), and appends one row to ``benchmarks/results/lca_scale.csv`` (label, n, items, k
range, seconds, best log-likelihood per k), so a change of the EM or of its start schedule
is measured before and after on the same data.

Usage::

    python benchmarks/lca_scale.py --label before            # 20,000 × 40, k = 2..8
    python benchmarks/lca_scale.py --n 5000 --k 2 4 --label quick
    python benchmarks/lca_scale.py --k 6 6 --first-pass --label k6   # one k, the first 50 starts
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.segments._engine import MixtureProblem, add_starts, fit_mixtures, start_seeds  # noqa: E402
from workbench.segments._models import LatentClassModel  # noqa: E402


def generate(n: int, items: int, planted: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shares = np.array([30, 25, 20, 15, 10, 8, 6, 4][:planted], dtype=float)
    shares /= shares.sum()
    z = rng.choice(planted, size=n, p=shares)
    probs = rng.dirichlet(np.full(5, 0.8), size=(planted, items))  # (class, item, category)
    cum = probs.cumsum(axis=2)[z]  # (n, items, 5)
    codes = (rng.random((n, items, 1)) > cum).sum(axis=2) + 1
    frame = pd.DataFrame(codes.astype(float), columns=[f"q{j + 1:02d}" for j in range(items)],
                         index=pd.RangeIndex(n, name="respondent"))
    frame = frame.mask(rng.random(frame.shape) < 0.02)
    return frame


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--items", type=int, default=40)
    ap.add_argument("--planted", type=int, default=5)
    ap.add_argument("--k", type=int, nargs=2, default=(2, 8), metavar=("FROM", "TO"))
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--label", default="")
    ap.add_argument("--n-init", type=int, default=50, help="random starts (the candidates' default: 50)")
    ap.add_argument("--first-pass", action="store_true", help="the first 50 starts only (no added batches)")
    args = ap.parse_args(argv)
    frame = generate(args.n, args.items, args.planted)
    ks = list(range(args.k[0], args.k[1] + 1))
    base, n_init = 1, args.n_init
    problems = []
    t0, c0 = time.perf_counter(), time.process_time()
    cache: dict = {}
    for k in ks:
        est = LatentClassModel(k, random_state=base, progress=False)
        est.feature_names_in_, est.n_features_in_ = list(frame.columns), frame.shape[1]
        a = est._problem_args(frame, cache)
        problems.append(MixtureProblem(key=("lca", k), k=k, seeds=tuple(start_seeds(base, "lca", k, n_init)),
                                       weights=None, max_iter=1000, tol=1e-8, **a))
    grids = fit_mixtures(problems, n_jobs=args.n_jobs, progress=False)
    t1 = time.perf_counter()
    grids, added = (grids, {}) if args.first_pass else add_starts(grids, base, n_init, None, 50, None, args.n_jobs,
                                                                   False)
    t2, c2 = time.perf_counter(), time.process_time()
    lls, iters = {}, 0
    for g in grids:
        it = sum(s.n_iter for s in g.starts if s is not None)
        iters += it
        print(f"k={g.problem.k}: LL {g.best.loglik:.2f}, starts {len(g.starts)} (added {added.get(g.problem.key, 0)}),"
              f" reached {g.replicated}/{g.n_final}, EM iterations {it}", flush=True)
        lls[g.problem.k] = round(g.best.loglik, 2)
    print(f"total {t2 - t0:.1f} s wall, {c2 - c0:.1f} s CPU (first pass {t1 - t0:.1f} s, added starts {t2 - t1:.1f} s),"
          f" {iters} EM iterations")
    out = ROOT / "benchmarks" / "results" / "lca_scale.csv"
    new = not out.exists()
    with out.open("a", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["label", "n", "items", "k", "n_init", "first_pass_only", "n_jobs", "seconds", "cpu_seconds",
                        "em_iterations", "first_pass", "added_starts", "best_loglik"])
        w.writerow([args.label, args.n, args.items, f"{ks[0]}-{ks[-1]}", n_init, args.first_pass, args.n_jobs,
                    round(t2 - t0, 1),
                    round(c2 - c0, 1), iters,
                    round(t1 - t0, 1), sum(added.values()), " ".join(f"k{k}:{v}" for k, v in lls.items())])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
