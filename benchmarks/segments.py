"""Benchmark: latent class analysis of 20,000 respondents × 40 five-point items, k = 2..8.

Generates answers from a planted five-class latent class model (seeded), then fits LCA for
every k in 2..8 from 10 random starts each, each engine in its own child process:

* ``workbench``: :func:`workbench.segments.candidates` (``methods=["lca"]``, ``n_jobs=2``)
  with its defaults: the package's own numpy EM (poLCA's random response-probability
  starts, SQUAREM acceleration), two stages (every start 50 EM iterations, then a quarter
  of the starts, here 3, continued to convergence from where they stopped), both cores
  (threads), plus everything a candidate carries (posteriors, labels ordered by size, fit
  indices, start agreement, bivariate residuals, tidy parameters). Added starts are capped
  at ``n_init`` and the bootstrap LRT is off (``blrt_reps=0``), so both engines do the
  same 10 starts per k;
* ``stepmix``: bare StepMix doing the same EM work: the same seeds, the same two-stage
  schedule (with StepMix's 2 final starts, one fewer than the workbench's), the same
  one-hot input and convergence settings, the same two joblib workers, and nothing else
  (best log-likelihood per k). The ratio of the two is the speed-up.
* ``stepmix-naive`` (``--naive``, slow): StepMix as its documentation shows it,
  ``StepMix(n_components=k, n_init=10, measurement="categorical")`` on integer codes, every
  start to convergence or ``max_iter``, the k's spread over two joblib workers.

Wall time is measured inside each child around the fitting; peak memory is the child's
maximum resident set size (``os.wait4``), interpreter and imports included. The script checks
that the engines reach the same best log-likelihoods.

Usage::

    python benchmarks/segments.py                     # 20,000 × 40, k = 2..8, 10 starts
    python benchmarks/segments.py --n 5000 --items 20 # a quick run
    python benchmarks/segments.py --naive             # also StepMix's plain multi-start (slow)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

KS = list(range(2, 9))
N_INIT, INIT_ITER, N_FINAL, MAX_ITER, TOL, SEED = 10, 50, 2, 1000, 1e-8, 20261123


def make_data(n: int, items: int, path: Path, seed: int = 7) -> None:
    """Five-point answers from five classes (30/25/20/15/10 %), cumulative-logit item profiles."""
    rng = np.random.default_rng(seed)
    k, cats = 5, 5
    shares = np.array([0.30, 0.25, 0.20, 0.15, 0.10])
    loc = rng.normal(0.0, 1.0, size=(k, items))
    cuts = np.array([-1.5, -0.5, 0.5, 1.5])
    cdf = 1 / (1 + np.exp(-(cuts[None, None, :] - loc[:, :, None]) * 1.2))
    probs = np.diff(np.concatenate([np.zeros((k, items, 1)), cdf, np.ones((k, items, 1))], axis=2), axis=2)
    z = rng.choice(k, size=n, p=shares)
    u = rng.random((n, items, 1))
    codes = (u > probs[z].cumsum(axis=2)).sum(axis=2).clip(max=cats - 1) + 1
    np.save(path, codes.astype(np.int8))


# --------------------------------------------------------------------------- engines (child side)


def run_workbench(codes: np.ndarray) -> dict:
    import warnings

    import pandas as pd

    from workbench import segments

    data = pd.DataFrame(codes.astype(float), columns=[f"q{j + 1:02d}" for j in range(codes.shape[1])])
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = segments.candidates(data, KS, methods=["lca"], n_init=N_INIT, init_iter=INIT_ITER,
                                   max_iter=MAX_ITER, tol=TOL, random_state=SEED, n_jobs=2, progress=False,
                                   blrt_reps=0, max_starts=N_INIT)
    secs = time.perf_counter() - t0
    ft = grid.fit_table.set_index("k")
    return {"seconds": secs, "loglik": {int(k): float(ft.loc[k, "loglik"]) for k in KS},
            "converged": {int(k): bool(ft.loc[k, "converged"]) for k in KS},
            "bic_k": int(grid.best("bic", "lca").k)}


def _one_hot(codes: np.ndarray) -> np.ndarray:
    n, j = codes.shape
    r = int(codes.max())
    x = np.zeros((n, j * r))
    for c in range(j):
        x[np.arange(n), c * r + codes[:, c] - 1] = 1.0
    return x


def _bare_start(x, k, seed, max_iter, r):
    import warnings

    from stepmix.stepmix import StepMix

    m = StepMix(n_components=k, measurement="categorical", n_init=1, max_iter=max_iter, abs_tol=TOL, rel_tol=0.0,
                random_state=seed, progress_bar=0,
                measurement_params=dict(integer_codes=False, max_n_outcomes=r, total_outcomes=x.shape[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(x)
    return k, seed, float(m.score(x) * len(x)), bool(m.converged_)


def run_stepmix(codes: np.ndarray) -> dict:
    """Bare StepMix on the workbench's schedule: same seeds, two stages, two workers."""
    from joblib import Parallel, delayed

    t0 = time.perf_counter()
    x = _one_hot(codes)
    r = int(codes.max())
    seeds = {k: [int(s) for s in np.random.SeedSequence(SEED, spawn_key=(1, k)).generate_state(N_INIT)] for k in KS}
    first = Parallel(n_jobs=2)(delayed(_bare_start)(x, k, s, INIT_ITER, r) for k in KS for s in seeds[k])
    final = {k: [] for k in KS}
    rerun = []
    for k in KS:
        starts = [f for f in first if f[0] == k]
        final[k] += [f for f in starts if f[3]]
        rerun += sorted((f for f in starts if not f[3]), key=lambda f: -f[2])[:N_FINAL]
    for f in Parallel(n_jobs=2)(delayed(_bare_start)(x, k, s, MAX_ITER, r) for k, s, _, _ in rerun):
        final[f[0]].append(f)
    secs = time.perf_counter() - t0
    best = {k: max(final[k] or [f for f in first if f[0] == k], key=lambda f: f[2]) for k in KS}
    return {"seconds": secs, "loglik": {k: best[k][2] for k in KS}, "converged": {k: best[k][3] for k in KS}}


def _naive_k(codes, k):
    import warnings

    from stepmix.stepmix import StepMix

    m = StepMix(n_components=k, measurement="categorical", n_init=N_INIT, max_iter=MAX_ITER, abs_tol=TOL,
                random_state=SEED, progress_bar=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(codes - 1.0)
    return k, float(m.score(codes - 1.0) * len(codes)), bool(m.converged_)


def run_naive(codes: np.ndarray) -> dict:
    from joblib import Parallel, delayed

    t0 = time.perf_counter()
    out = Parallel(n_jobs=2)(delayed(_naive_k)(codes.astype(float), k) for k in sorted(KS, reverse=True))
    secs = time.perf_counter() - t0
    return {"seconds": secs, "loglik": {k: ll for k, ll, _ in out}, "converged": {k: c for k, _, c in out}}


ENGINES = {"workbench": run_workbench, "stepmix": run_stepmix, "stepmix-naive": run_naive}


# --------------------------------------------------------------------------- parent


def child(engine: str, data: Path, out: Path) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", engine, "--data", str(data), "--out", str(out)])
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"engine {engine} failed (status {status})")
    res = json.loads(out.read_text())
    res["whole"] = wall
    res["peak_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return res


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--items", type=int, default=40)
    ap.add_argument("--naive", action="store_true", help="also run StepMix's plain multi-start (slow)")
    ap.add_argument("--child")
    ap.add_argument("--data")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    if args.child:
        codes = np.load(args.data).astype(np.int64)
        res = ENGINES[args.child](codes)
        Path(args.out).write_text(json.dumps(res))
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "codes.npy"
        make_data(args.n, args.items, data)
        print(f"{args.n:,} respondents × {args.items} five-point items, k = {KS[0]}..{KS[-1]}, {N_INIT} starts each, "
              f"2 cores", flush=True)
        engines = ["workbench", "stepmix"] + (["stepmix-naive"] if args.naive else [])
        res = {}
        for e in engines:
            res[e] = child(e, data, Path(tmp) / f"{e}.json")
            print(f"  {e}: {res[e]['seconds']:.1f} s", flush=True)
    wb, bare = res["workbench"], res["stepmix"]
    diff = max(abs(wb["loglik"][str(k)] - bare["loglik"][str(k)]) for k in KS)
    print()
    print("| engine | fit (s) | whole process (s) | peak memory (MB) |")
    print("|---|---:|---:|---:|")
    for e in engines:
        r = res[e]
        print(f"| {e} | {r['seconds']:.1f} | {r['whole']:.1f} | {r['peak_mb']:.0f} |")
    print(f"| workbench / stepmix | {wb['seconds'] / bare['seconds']:.2f}x | {wb['whole'] / bare['whole']:.2f}x "
          f"| {wb['peak_mb'] / bare['peak_mb']:.2f}x |")
    if "stepmix-naive" in res:
        nv = res["stepmix-naive"]
        print(f"| stepmix-naive / workbench | {nv['seconds'] / wb['seconds']:.2f}x | {nv['whole'] / wb['whole']:.2f}x "
              f"| {nv['peak_mb'] / wb['peak_mb']:.2f}x |")
    print()
    print("| k | workbench best LL | bare StepMix best LL | workbench - StepMix |")
    print("|---:|---:|---:|---:|")
    for k in KS:
        a, b = wb["loglik"][str(k)], bare["loglik"][str(k)]
        print(f"| {k} | {a:,.3f} | {b:,.3f} | {a - b:+.3f} |")
    print(f"best log-likelihood per k, workbench vs bare StepMix: largest absolute difference {diff:.2e}")
    print("workbench converged: " + ", ".join(f"k={k}: {wb['converged'][str(k)]}" for k in KS)
          + f"; BIC picks k={wb['bic_k']}")
    if "stepmix-naive" in res:
        nv = res["stepmix-naive"]
        print("naive StepMix best log-likelihood minus workbench's: "
              + ", ".join(f"k={k}: {nv['loglik'][str(k)] - wb['loglik'][str(k)]:+.2f}" for k in KS))


if __name__ == "__main__":
    main()
