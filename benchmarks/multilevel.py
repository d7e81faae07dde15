"""Benchmark: multilevel latent classes, the workbench against R's multilevLCA.

A generated study (``segments._multilevel.simulate_accounts``): 3,000 accounts × 1-4
respondents (about 7,500) × 24 five-category items, 3 respondent classes within 3 planted
account classes. Fitted with T = 3, M = 3 by

* ``workbench, 1 start``: :class:`MultilevelLatentClass` with ``n_init=1`` (multilevLCA's
  informed start only: the same work as R's one fit);
* ``workbench, default`` (``--schedule``): the default schedule (20 starts in two stages,
  replication count);
* ``multilevLCA``: ``multiLCA(d, Y, 3, "id_high", 3, verbose = FALSE, maxIter = 1e5)`` in
  R (built from source into ``/work/rlib``: tests/data/multilevlca/README.md), timed inside R
  around the call (``system.time``), so R's start-up and reading the CSV are not counted.

Prints one row per engine: wall and CPU seconds (CPU: the steadier measure on a shared
machine), log-likelihood, BIC_high, EM iterations of the best start. Usage::

    python benchmarks/multilevel.py                 # needs Rscript and multilevLCA in /work/rlib
    python benchmarks/multilevel.py --no-r          # the workbench rows only
    python benchmarks/multilevel.py --accounts 500  # a smaller study
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from workbench.segments._multilevel import MultilevelLatentClass, simulate_accounts

R_SCRIPT = """
suppressPackageStartupMessages(library(multilevLCA))
d <- read.csv("{csv}")
Y <- paste0("q", 1:{items})
st <- system.time(fit <- multiLCA(d, Y, 3, "id_high", 3, verbose = FALSE, maxIter = 1e5))
cat(sprintf("%.3f %.3f %.6f %.6f %d\\n", st[["elapsed"]], st[["user.self"]] + st[["sys.self"]],
            tail(fit$LLKSeries, 1), fit$BIChigh, length(fit$LLKSeries)))
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=3000)
    ap.add_argument("--items", type=int, default=24)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--schedule", action="store_true", help="also the default start schedule (20 starts)")
    args = ap.parse_args(argv)
    mix = [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.45, 0.05, 0.5]]
    X, accounts, _ = simulate_accounts(args.accounts, n_items=args.items, n_categories=5, class_mix=mix,
                                       separation=0.5, random_state=2029)
    print(f"{args.accounts:,} accounts, {len(X):,} respondents, {args.items} items (5 categories)")
    rows = []
    runs = [("workbench, 1 start (multilevLCA's)", 1)] + ([("workbench, default (20 starts)", 20)] if args.schedule else [])
    for label, n_init in runs:
        t, c = time.perf_counter(), time.process_time()
        m = MultilevelLatentClass(3, 3, n_init=n_init, random_state=1).fit(X, accounts)
        rows.append((label, time.perf_counter() - t, time.process_time() - c, m.loglik_, m.bic_high_, m.n_iter_))
    if not args.no_r:
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "study.csv"
            out = (X - 1).astype("Int64")
            out.insert(0, "id_high", accounts.str[1:].astype(int))
            out.to_csv(csv, index=False)
            script = Path(tmp) / "fit.R"
            script.write_text(R_SCRIPT.format(csv=csv, items=args.items))
            env = {**os.environ, "R_LIBS": "/work/rlib"}
            res = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, env=env, check=True)
            t, c, ll, bic, it = res.stdout.split()
            rows.append(("multilevLCA 2.1.2 (R)", float(t), float(c), float(ll), float(bic), int(it)))
    print(f"| {'engine':<36} | {'wall s':>7} | {'CPU s':>7} | {'log-likelihood':>15} | {'BIC_high':>12} | iterations |")
    print(f"|{'-' * 38}|{'-' * 9}:|{'-' * 9}:|{'-' * 17}:|{'-' * 14}:|-----------:|")
    for label, t, c, ll, bic, it in rows:
        print(f"| {label:<36} | {t:7.1f} | {c:7.1f} | {ll:15.3f} | {bic:12.3f} | {it:10d} |")
    if not args.no_r:
        print(f"workbench 1 start / R: {rows[0][2] / rows[-1][2]:.2f}x the CPU time; "
              f"LL difference {rows[0][3] - rows[-1][3]:+.2e}")
    return np.nan


if __name__ == "__main__":
    main()
