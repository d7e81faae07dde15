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

Wall time and CPU time (of the child and its worker processes, which are shut down and
reaped before it is read) are measured inside each child around the fitting; on a shared
machine the CPU time is the steadier measure of the work. Memory, each engine in a fresh
child process (interpreter and imports included):

* ``peak RSS, largest process``: the largest maximum resident set size of any one process of
  the engine (``os.wait4``: the child and the worker processes it waited for);
* ``peak PSS, all processes``: the peak of the engine's total proportional set size, summed
  over the child and its worker processes (``/proc/<pid>/smaps_rollup``, sampled every 0.25 s;
  shared pages are divided among the processes sharing them, so nothing counts twice). The
  workbench runs its starts in threads of one process, bare StepMix in two joblib worker
  processes besides the parent, so this is the memory each engine takes from the machine;
* ``data memory``: the largest process's peak minus the same interpreter's resident size after
  the engine's imports alone (what the data and the fitting add).

The script checks that the engines reach the same best log-likelihoods.

Usage::

    python benchmarks/segments.py                     # 20,000 × 40, k = 2..8, 10 starts
    python benchmarks/segments.py --n 5000 --items 20 # a quick run
    python benchmarks/segments.py --naive             # also StepMix's plain multi-start (slow)
    python benchmarks/segments.py --kmax 5            # k = 2..5 only (a busy machine)
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


def _cpu() -> float:
    """CPU seconds of this process and of the worker processes it has reaped."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _stop_workers() -> None:
    """Shut joblib's worker processes down and reap them, so their CPU time counts."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


def run_workbench(codes: np.ndarray) -> dict:
    import warnings

    import pandas as pd

    from workbench import segments

    data = pd.DataFrame(codes.astype(float), columns=[f"q{j + 1:02d}" for j in range(codes.shape[1])])
    t0, c0 = time.perf_counter(), _cpu()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = segments.candidates(data, KS, methods=["lca"], n_init=N_INIT, init_iter=INIT_ITER,
                                   max_iter=MAX_ITER, tol=TOL, random_state=SEED, n_jobs=2, progress=False,
                                   blrt_reps=0, max_starts=N_INIT)
    secs, cpu = time.perf_counter() - t0, _cpu() - c0
    ft = grid.fit_table.set_index("k")
    return {"seconds": secs, "cpu": cpu, "loglik": {int(k): float(ft.loc[k, "loglik"]) for k in KS},
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

    t0, c0 = time.perf_counter(), _cpu()
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
    _stop_workers()
    cpu = _cpu() - c0
    best = {k: max(final[k] or [f for f in first if f[0] == k], key=lambda f: f[2]) for k in KS}
    return {"seconds": secs, "cpu": cpu, "loglik": {k: best[k][2] for k in KS}, "converged": {k: best[k][3] for k in KS}}


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

    t0, c0 = time.perf_counter(), _cpu()
    out = Parallel(n_jobs=2)(delayed(_naive_k)(codes.astype(float), k) for k in sorted(KS, reverse=True))
    secs = time.perf_counter() - t0
    _stop_workers()
    cpu = _cpu() - c0
    return {"seconds": secs, "cpu": cpu, "loglik": {k: ll for k, ll, _ in out}, "converged": {k: c for k, _, c in out}}


ENGINES = {"workbench": run_workbench, "stepmix": run_stepmix, "stepmix-naive": run_naive}


# --------------------------------------------------------------------------- parent


IMPORTS = {"workbench": "from workbench import segments",
           "stepmix": "from joblib import Parallel, delayed; from stepmix.stepmix import StepMix",
           "stepmix-naive": "from joblib import Parallel, delayed; from stepmix.stepmix import StepMix"}


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_pss_mb(pid: int) -> float:
    todo, seen, total = [pid], set(), 0
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _pss_kib(p)
        todo += _children(p)
    return total / 1024


def _baseline_mb(engine: str) -> float:
    """Peak resident size of a fresh interpreter after the engine's imports alone."""
    code = f"import resource; {IMPORTS[engine]}; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout) / 1024


def child(engine: str, data: Path, out: Path) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", engine, "--data", str(data), "--out", str(out),
                             "--kmax", str(KS[-1])])
    peak_pss = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak_pss = max(peak_pss, _tree_pss_mb(proc.pid))
        time.sleep(0.25)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"engine {engine} failed (status {status})")
    res = json.loads(out.read_text())
    res["whole"] = wall
    res["peak_mb"] = usage.ru_maxrss / 1024  # KiB on Linux; the largest of the child and its waited-for workers
    res["pss_mb"] = peak_pss
    res["base_mb"] = _baseline_mb(engine)
    return res


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--items", type=int, default=40)
    ap.add_argument("--naive", action="store_true", help="also run StepMix's plain multi-start (slow)")
    ap.add_argument("--kmax", type=int, default=8, help="largest k of the grid (default 8: k = 2..8)")
    ap.add_argument("--child")
    ap.add_argument("--data")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    KS[:] = list(range(2, args.kmax + 1))
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
    print("| engine | fit (s) | fit CPU (s) | whole process (s) | peak RSS, largest process (MB) "
          "| peak PSS, all processes (MB) | imports alone (MB) | data memory (MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for e in engines:
        r = res[e]
        r["data_mb"] = r["peak_mb"] - r["base_mb"]
        print(f"| {e} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['whole']:.1f} | {r['peak_mb']:.0f} | {r['pss_mb']:.0f} "
              f"| {r['base_mb']:.0f} | {r['data_mb']:.0f} |")

    def ratio(a, b):
        cols = ("seconds", "cpu", "whole", "peak_mb", "pss_mb", "base_mb", "data_mb")
        return " | ".join(f"{a[c] / b[c]:.2f}x" for c in cols)

    print(f"| workbench / stepmix | {ratio(wb, bare)} |")
    if "stepmix-naive" in res:
        print(f"| stepmix-naive / workbench | {ratio(res['stepmix-naive'], wb)} |")
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
