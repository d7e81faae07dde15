"""Benchmark: the writers' time grows linearly with the rows (issue 30, item 8).

Every workbook a client gets goes through :func:`workbench.files.outputs.write_workbook` and every
CSV through :func:`workbench.files.outputs.write_csv`. This writes tables shaped like the large
ones of a run (one row per customer or respondent: a zero-padded id, a two-level index of
segment and id as the distal-outcome and profile sheets have, amounts, shares, a p-value,
labels and codes) at 1×, 4× and 16× a base number of rows, each in a child process, and
prints the seconds, the microseconds per cell and the ratio of time per row against 1× in
the same run. A linear writer keeps that ratio near 1 (openpyxl's per-cell cost is
constant); a quadratic one (openpyxl's merged MultiIndex cells, which issue 30 found in
a 20,000-respondent run) shows ratios of about 4 and 16.

CPU seconds of the child are printed beside the wall time: on a shared machine they are
the steadier measure, and the ratios are computed from them.

Usage::

    python benchmarks/writers.py                 # 5,000 / 20,000 / 80,000 rows
    python benchmarks/writers.py --rows 2000 --sizes 1 4 16
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
import pandas as pd
from workbench.files.outputs import write_csv, write_workbook

rows, folder = int(sys.argv[1]), Path(sys.argv[2])
rng = np.random.default_rng(7)
seg = rng.integers(1, 7, rows)
frame = pd.DataFrame({
    "revenue_12m": rng.gamma(2.0, 5000.0, rows).round(2),
    "orders_12m": rng.poisson(12, rows).astype(float),
    "share_online": rng.random(rows),
    "p_value": rng.random(rows),
    "dominant_channel": rng.choice(["web", "phone", "rep", "edi"], rows),
    "size_band": rng.choice(["1-9", "10-49", "50-249", "250+"], rows),
    "note": rng.choice(["", "lapsed", "new this year"], rows),
    "margin": rng.normal(0.3, 0.1, rows),
})
frame.index = pd.MultiIndex.from_arrays([seg, [f"{i:07d}" for i in range(rows)]], names=["segment", "customer"])
frame = frame.sort_index()
out = {}
t, c = time.perf_counter(), time.process_time()
write_workbook(folder / "table.xlsx", {"customers": frame, "by segment": frame.groupby(level=0).mean(numeric_only=True)},
               notes={"customers": "One row per customer."}, currency="EUR")
out["xlsx"] = {"wall": time.perf_counter() - t, "cpu": time.process_time() - c}
t, c = time.perf_counter(), time.process_time()
write_csv(frame.reset_index(), folder / "table.csv")
out["csv"] = {"wall": time.perf_counter() - t, "cpu": time.process_time() - c}
out["cells"] = int(frame.size + frame.index.nlevels * len(frame))
out["peak MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=5000, help="rows at 1×")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16])
    args = ap.parse_args(argv)
    res = {}
    with tempfile.TemporaryDirectory(prefix="writers-bench-") as tmp:
        for f in args.sizes:
            rows = args.rows * f
            done = subprocess.run([sys.executable, "-c", CHILD, str(rows), tmp], check=True, capture_output=True, text=True)
            res[f] = {"rows": rows, **json.loads(done.stdout.strip().splitlines()[-1])}
            print(f"{f}×: {rows:,} rows written", file=sys.stderr, flush=True)
    first = res[args.sizes[0]]
    head = ["", *[f"{f}×" for f in res]]
    table = [["rows", *[f"{r['rows']:,}" for r in res.values()]],
             ["cells", *[f"{r['cells']:,}" for r in res.values()]]]
    for w in ("xlsx", "csv"):
        table += [[f"{w}: wall (s)", *[f"{r[w]['wall']:.2f}" for r in res.values()]],
                  [f"{w}: CPU (s)", *[f"{r[w]['cpu']:.2f}" for r in res.values()]],
                  [f"{w}: CPU µs per cell", *[f"{1e6 * r[w]['cpu'] / r['cells']:.1f}" for r in res.values()]],
                  [f"{w}: CPU per row vs 1×", *[f"{(r[w]['cpu'] / r['rows']) / (first[w]['cpu'] / first['rows']):.2f}"
                                                for r in res.values()]]]
    table += [["peak memory (MB)", *[f"{r['peak MB']:,.0f}" for r in res.values()]]]
    width = [max(len(str(row[j])) for row in [head, *table]) for j in range(len(head))]
    for row in [head, *table]:
        print("  ".join(str(v).ljust(width[0]) if j == 0 else str(v).rjust(width[j]) for j, v in enumerate(row)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
