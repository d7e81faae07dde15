"""Benchmark: the latent transition model, the workbench against R's depmixS4.

A generated panel (``segments._lta.simulate_panel``): 5,000 respondents × 2 waves × 24
five-category items, 5 segments with planted transitions (0.8 stay). Fitted with k = 5 by

* ``workbench, 1 start``: :class:`LatentTransitionModel` with ``n_init=1`` (one random start
  to convergence: the same work as one depmixS4 fit);
* ``workbench, default`` (``--schedule``): the default schedule (10 starts in two stages);
* ``depmixS4``: one ``fit(depmix(...), emcontrol = em.control(random.start = TRUE))`` per start
  in R (built from source into ``/work/rlib``: tests/data/lta/README.md), timed inside R
  around the call (``system.time``), so R's start-up and reading the CSV are not counted.

Prints one row per engine: wall and CPU seconds, log-likelihood, EM iterations. Usage::

    python benchmarks/lta.py                  # needs Rscript and depmixS4 in /work/rlib
    python benchmarks/lta.py --no-r           # the workbench rows only
    python benchmarks/lta.py --respondents 1000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.segments._lta import LatentTransitionModel, simulate_panel

R_SCRIPT = """
suppressPackageStartupMessages(library(depmixS4))
d <- read.csv("{csv}")
Y <- paste0("q", 1:{items})
for (q in Y) d[[q]] <- factor(d[[q]], levels = 1:5)
mod <- depmix(lapply(Y, function(q) as.formula(paste(q, "~ 1"))), data = d, nstates = {k},
              family = rep(list(multinomial("identity")), {items}), ntimes = as.numeric(table(d$respondent)))
set.seed(1)
st <- system.time(f <- fit(mod, emcontrol = em.control(random.start = TRUE, tol = 1e-8), verbose = FALSE))
cat(sprintf("%.3f %.3f %.6f\\n", st[["elapsed"]], st[["user.self"]] + st[["sys.self"]], as.numeric(logLik(f))))
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--respondents", type=int, default=5000)
    ap.add_argument("--items", type=int, default=24)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--schedule", action="store_true", help="also the default start schedule (10 starts)")
    args = ap.parse_args(argv)
    k = args.k
    A = np.full((k, k), 0.2 / (k - 1)) + np.eye(k) * (0.8 - 0.2 / (k - 1))
    waves, truth = simulate_panel(args.respondents, n_items=args.items, n_categories=5, initial=np.ones(k) / k,
                                  transitions=A, separation=0.5, random_state=2030)
    print(f"{args.respondents:,} panel respondents × 2 waves × {args.items} items (5 categories), k = {k}")
    rows = []
    runs = [("workbench, 1 start", 1)] + ([("workbench, default (10 starts)", 10)] if args.schedule else [])
    for label, n_init in runs:
        t, c = time.perf_counter(), time.process_time()
        m = LatentTransitionModel(k, n_init=n_init, random_state=1).fit(waves)
        rows.append((label, time.perf_counter() - t, time.process_time() - c, m.loglik_, m.n_iter_))
    if not args.no_r:
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "panel.csv"
            long = pd.concat([f.reindex(truth.index).assign(wave=t + 1).reset_index() for t, f in enumerate(waves)])
            long.sort_values(["respondent", "wave"], kind="stable").to_csv(csv, index=False, na_rep="NA",
                                                                           float_format="%.0f")
            script = Path(tmp) / "fit.R"
            script.write_text(R_SCRIPT.format(csv=csv, items=args.items, k=k))
            env = {**os.environ, "R_LIBS": "/work/rlib"}
            res = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, env=env, check=True)
            t, c, ll = res.stdout.split()[-3:]
            rows.append(("depmixS4 1.5-1 (R), 1 start", float(t), float(c), float(ll), -1))
    print(f"| {'engine':<32} | {'wall s':>7} | {'CPU s':>7} | {'log-likelihood':>15} | iterations |")
    print(f"|{'-' * 34}|{'-' * 9}:|{'-' * 9}:|{'-' * 17}:|-----------:|")
    for label, t, c, ll, it in rows:
        print(f"| {label:<32} | {t:7.1f} | {c:7.1f} | {ll:15.3f} | {it if it >= 0 else '':>10} |")
    if not args.no_r:
        print(f"R / workbench 1 start: {rows[-1][2] / rows[0][2]:.1f}x the CPU time; "
              f"LL difference {rows[0][3] - rows[-1][3]:+.2e}")


if __name__ == "__main__":
    main()
