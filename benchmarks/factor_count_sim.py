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

Block ``hier`` (``--block hier``; batteries numbered from 1000, same output file, column
``design``): structures the issue's design lacks and published ability / health batteries
have, a general factor beside group factors.  Three kinds, equally often: *bifactor* (a general
factor and 3-6 group factors; general loadings within .3-.7, group loadings within .3-.6),
*higher-order* (3-6 group factors loading .6-.9 on one second-order factor; item loadings
within .4-.8) and *correlated* (2-6 factors, equal correlations .5, .6 or .7; loadings within
.4-.8); 3-8 items per group factor, 5-7 answer categories (Pearson, as the study step would
use) so that the block stays cheap, n 150-2,000 log-uniform.  The known count is the number of
group factors (what the published batteries document: e.g. Bechtoldt's six, Reise's five).

Block ``strong`` (``--block strong``; batteries numbered from 2000, ``factor_count_sim_strong.csv``): a strong
general factor (bifactor, general loadings .5-.7, group loadings .2-.5) or factors correlated .5-.8
(:func:`design_strong`, with its references).  ``--nest``: the next eigenvalue sufficiency test
(:func:`workbench.factors.rules.nest`) for every Pearson battery of the three files, into
``factor_count_sim_nest.csv`` (data regenerated from the battery's seed); the third round ran
``--block strong --n 60`` and then ``--nest --n 3000``.

``--extra``: the cheap rules added later (empirical Kaiser criterion, parallel analysis
against the mean; :func:`workbench.factors.count.cheap_rules`) for batteries written before
they existed, into ``factor_count_sim_extra.csv`` (the data are regenerated from the
battery's seed; only the correlation and the parallel analysis are recomputed).

Usage::

    python benchmarks/factor_count_sim.py --n 300 --seed 2025            # about an hour on one core
    python benchmarks/factor_count_sim.py --n 300 --cd                   # with comparison data (many hours)
    python benchmarks/factor_count_sim.py --n 20 --out /tmp/sim.csv      # a quick look

Resumable: batteries already in the output file are skipped, so an interrupted run is
continued by the same command, and ranges (``--start 200 --n 300``) can run side by side
into the same file (one appended line per battery; the ``hier`` block into
``factor_count_sim_hier.csv``). Every battery has its own seed
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

from workbench.factors.count import cheap_rules, count_rules, parallel_analysis  # noqa: E402
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


HIER_START = 1000


def design_hier(g: np.random.Generator) -> dict:
    kind = str(g.choice(["bifactor", "higher-order", "correlated"]))
    k = int(g.integers(3, 7)) if kind != "correlated" else int(g.integers(2, 7))
    per = g.integers(3, 9, k)
    low = g.uniform(0.4, 0.6)
    high = min(low + g.uniform(0.1, 0.3), 0.8)
    spec = {"kind": kind, "k": k, "p": int(per.sum()), "items_per_factor": per.tolist(), "loadings": (round(low, 2), round(high, 2)),
            "categories": int(g.integers(5, 8)), "n": int(round(np.exp(g.uniform(np.log(150), np.log(2000)))))}
    if kind == "bifactor":
        glow = g.uniform(0.3, 0.55)
        spec["general"] = (round(glow, 2), round(min(glow + g.uniform(0.05, 0.2), 0.7), 2))
        glow = g.uniform(0.3, 0.45)
        spec["loadings"] = (round(glow, 2), round(min(glow + g.uniform(0.05, 0.15), 0.6), 2))
        spec["phi"] = 0.0
    elif kind == "higher-order":
        spec["second"] = g.uniform(0.6, 0.9, k).round(2).tolist()
        spec["phi"] = round(float(np.mean(np.outer(spec["second"], spec["second"])[np.triu_indices(k, 1)])), 2)
    else:
        spec["phi"] = float(g.choice([0.5, 0.6, 0.7]))
    return spec


def simulate_hier(spec: dict, g: np.random.Generator) -> pd.DataFrame:
    """Answers from a bifactor, higher-order or highly correlated structure (``design_hier``)."""
    k, per, n = spec["k"], spec["items_per_factor"], spec["n"]
    p = sum(per)
    lam = np.zeros((p, k))
    row = 0
    for f, m in enumerate(per):
        lam[row:row + m, f] = g.uniform(*spec["loadings"], m)
        row += m
    if spec["kind"] == "bifactor":
        lam = np.column_stack([g.uniform(*spec["general"], p), lam])
        cor = np.eye(k + 1)
    elif spec["kind"] == "higher-order":
        b = np.asarray(spec["second"])
        cor = np.outer(b, b)
        np.fill_diagonal(cor, 1)
    else:
        cor = np.full((k, k), spec["phi"])
        np.fill_diagonal(cor, 1)
    z = g.multivariate_normal(np.zeros(len(cor)), cor, n) @ lam.T
    uniq = np.sqrt(np.clip(1 - np.einsum("ij,jk,ik->i", lam, cor, lam), 0.05, None))
    z = z + g.standard_normal((n, p)) * uniq
    out = np.empty_like(z)
    for j in range(p):
        cuts = np.sort(g.normal(g.uniform(-0.7, 0.7), 1.0, spec["categories"] - 1))
        out[:, j] = np.searchsorted(cuts, z[:, j]) + 1
    frame = pd.DataFrame(out, columns=[f"q{j + 1:03d}" for j in range(p)])
    return frame.loc[:, frame.nunique() > 1]


STRONG_START = 2000


def design_strong(g: np.random.Generator) -> dict:
    """Block ``strong`` (third round): a *strong* general factor or factors correlated up to .8.

    From the literature, not from the public batteries: bifactor structures whose general factor
    explains most of the common variance (general loadings .5-.7, group loadings .2-.5: explained
    common variance of the general factor about .55-.8, the range Reise, Scheines, Widaman &
    Haviland, 2013, Educ. Psychol. Meas. 73(1), call "strong"), and correlated factors at .5, .6,
    .7 or .8 (Golino et al., 2020, Psychol. Methods 25(3) go to .7; Auerswald & Moshagen, 2019,
    Psychol. Methods 24(4) to .5; .8 extends them, the range of correlated ability factors);
    item loadings .4-.8; 3-8 items per group factor; 5-7 categories (Pearson); n 150-2,000.
    """
    kind = str(g.choice(["strong bifactor", "correlated .5-.8"]))
    k = int(g.integers(3, 7)) if kind == "strong bifactor" else int(g.integers(2, 7))
    per = g.integers(3, 9, k)
    spec = {"kind": kind, "k": k, "p": int(per.sum()), "items_per_factor": per.tolist(),
            "categories": int(g.integers(5, 8)), "n": int(round(np.exp(g.uniform(np.log(150), np.log(2000)))))}
    if kind == "strong bifactor":
        glow = g.uniform(0.5, 0.6)
        spec["general"] = (round(glow, 2), round(min(glow + g.uniform(0.05, 0.15), 0.7), 2))
        low = g.uniform(0.2, 0.35)
        spec["loadings"] = (round(low, 2), round(min(low + g.uniform(0.05, 0.15), 0.5), 2))
        spec["phi"] = 0.0
    else:
        low = g.uniform(0.4, 0.6)
        spec["loadings"] = (round(low, 2), round(min(low + g.uniform(0.1, 0.3), 0.8), 2))
        spec["phi"] = float(g.choice([0.5, 0.6, 0.7, 0.8]))
    return spec


def simulate_strong(spec: dict, g: np.random.Generator) -> pd.DataFrame:
    kind = "bifactor" if spec["kind"] == "strong bifactor" else "correlated"
    return simulate_hier({**spec, "kind": kind}, g)


def battery_spec(i: int, seed: int) -> tuple[dict, pd.DataFrame]:
    """Battery ``i``'s design and answers (its own seed ``[seed, i]``), whichever block it is in."""
    g = np.random.default_rng([seed, i])
    if i >= STRONG_START:
        spec = design_strong(g)
        return spec, simulate_strong(spec, g)
    if i >= HIER_START:
        spec = design_hier(g)
        return spec, simulate_hier(spec, g)
    spec = design(g)
    return spec, simulate(spec, g)


def run_nest(args) -> None:
    """NEST (:func:`workbench.factors.rules.nest`) for every Pearson battery of the three result files, into
    ``factor_count_sim_nest.csv`` (the data regenerated from the battery's seed, the correlation
    recomputed as the study step would choose it)."""
    from workbench.factors.correlation import correlation_matrix
    from workbench.factors.rules import nest

    res = ROOT / "benchmarks" / "results"
    ids = []
    for name in ("factor_count_sim.csv", "factor_count_sim_hier.csv", "factor_count_sim_strong.csv"):
        if (res / name).exists():
            ids += pd.read_csv(res / name)["battery"].tolist()
    out = res / "factor_count_sim_nest.csv"
    have = set(pd.read_csv(out)["battery"]) if out.exists() else set()
    for i in sorted(set(ids) - have):
        if not args.start <= i < args.start + args.n:
            continue
        t = time.time()
        spec, data = battery_spec(i, args.seed)
        corr = correlation_for(spec["categories"])
        if corr != "pearson":  # NEST's reference data are continuous: not for polychoric / tetrachoric (as EFAtools)
            continue
        r = correlation_matrix(data, correlation=corr).matrix.to_numpy()
        row = {"battery": i, "NEST": nest(r, len(data), random_state=i)[0], "seconds": round(time.time() - t, 1)}
        pd.DataFrame([row]).to_csv(out, mode="a", header=not out.exists() or out.stat().st_size == 0, index=False)
        print(row, flush=True)


def run_extra(args) -> None:
    """EKC and PA mean for the issue-design batteries of the main file (see the module docstring)."""
    main_rows = pd.read_csv(args.out)
    out = Path(args.out).with_name("factor_count_sim_extra.csv")
    have = set(pd.read_csv(out)["battery"]) if out.exists() else set()
    for i in sorted(set(main_rows["battery"]) - have):
        if i >= HIER_START or not args.start <= i < args.n:
            continue
        g = np.random.default_rng([args.seed, i])
        spec = design(g)
        data = simulate(spec, g)
        corr = correlation_for(spec["categories"])
        from workbench.factors.correlation import correlation_matrix

        # exactly as count_rules: parallel analysis on the checked (smoothed) correlation, the rest on the raw one
        count = parallel_analysis(data, correlation=corr, n_iter=20, random_state=i, progress_bar=False)
        r = correlation_matrix(data, correlation=corr, check=False).matrix.to_numpy()
        row = {"battery": i, **cheap_rules(count, r), "PA check": int(count.table.at["parallel analysis (factors)", "factors"])}
        pd.DataFrame([row]).to_csv(out, mode="a", header=not out.exists() or out.stat().st_size == 0, index=False)
        print(row, flush=True)


def correlation_for(categories: int) -> str:
    return "tetrachoric" if categories == 2 else ("polychoric" if categories <= 4 else "pearson")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=240, help="simulated batteries")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--start", type=int, default=0, help="first battery (to split a run)")
    ap.add_argument("--cd", action="store_true", help="also comparison data (slow: 10-60 s a battery)")
    ap.add_argument("--block", choices=["issue", "hier", "strong"], default="issue",
                    help="issue: the issue's design (batteries 0..); hier: general / highly correlated factors (1000..); "
                         "strong: a strong general factor, factors correlated .5-.8 (2000..)")
    ap.add_argument("--nest", action="store_true", help="only NEST, for every battery already run (any block)")
    ap.add_argument("--extra", action="store_true", help="only the cheap rules for issue-design batteries already run")
    ap.add_argument("--out", default=None, help="default: benchmarks/results/factor_count_sim.csv, "
                                                "factor_count_sim_hier.csv for --block hier")
    args = ap.parse_args(argv)
    if args.out is None:
        name = {"hier": "factor_count_sim_hier.csv", "strong": "factor_count_sim_strong.csv"}.get(args.block, "")
        name = name if not args.extra and name else "factor_count_sim.csv"
        args.out = str(ROOT / "benchmarks" / "results" / name)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = pd.read_csv(out) if out.exists() else pd.DataFrame()
    have = set(done["battery"]) if len(done) else set()
    warnings.simplefilter("ignore")
    if args.extra:
        run_extra(args)
        return 0
    if args.nest:
        run_nest(args)
        return 0
    first = {"hier": HIER_START, "strong": STRONG_START}.get(args.block, 0)
    for i in range(first + args.start, first + args.n):
        if i in have:
            continue
        spec, data = battery_spec(i, args.seed)
        t = time.time()
        corr = correlation_for(spec["categories"])
        counts, r = count_rules(data, correlation=corr, random_state=i, cd=args.cd)
        ok = solution_checks(r, k_max=9)
        row = {"battery": i, "design": spec.get("kind", "issue"), **{key: spec[key] for key in ("k", "p", "phi", "categories", "n")},
               "loadings": f"{spec['loadings'][0]:.2f}-{spec['loadings'][1]:.2f}", "correlation": corr,
               **counts, "general": f"{spec['general'][0]:.2f}-{spec['general'][1]:.2f}" if "general" in spec else "", "ok": "".join("1" if v else "0" for v in ok), "seconds": round(time.time() - t, 1)}
        pd.DataFrame([row]).to_csv(out, mode="a", header=not out.exists() or out.stat().st_size == 0, index=False)
        print(f"{i}: k={spec['k']} p={spec['p']} n={spec['n']} c={spec['categories']} -> "
              + " ".join(f"{a}={b}" for a, b in counts.items()) + f" ({row['seconds']}s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
