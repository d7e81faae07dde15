"""Benchmark: one wave of the demo study through ``workbench run`` at 1×, 4× and 16× its size.

The demo study (``workbench demo``: 4,000 customers, 1,500 interviewed customers (about 2,000 respondents) a wave, 44 rating items,
about 330,000 order lines) is generated at each size with customers and respondents multiplied
by the factor (16× = 64,000 customers, 24,000 respondents, about 5.3 million order lines), and
wave 1 (the wave a segmentation is fitted on: every step but tracking) is run as a consultant
runs it, ``workbench run <study> --wave 1``, in a child process. It prints, per size:

* the seconds of every step and of the writers, from the run's own ``manifest.json``
  (``step_seconds``: what the runner timed);
* the wall time of the whole command (interpreter start and imports included);
* peak memory: the largest resident set size of the command's process tree (the child and any
  worker processes, sampled every 0.2 s, and the child's own maximum from ``os.wait4``).

Wall times on a shared machine are inflated by the other processes; the CPU seconds of the
child (user + system, from ``os.wait4``) are printed beside them as the steadier measure.

The table is printed after each size (and saved as ``results.json`` in the data folder), so
a long 16× run shows the smaller sizes first.

Ratios against the first size of the same run close the table: CPU seconds per respondent
(1.00 = the run grows linearly with the wave) and the segments step's share of the run.

Usage::

    python benchmarks/wave.py                      # 1×, 4× and 16×
    python benchmarks/wave.py --sizes 1 --custom 15000:30000   # 1× and issue 30's wave (~20,000 respondents)
    python benchmarks/wave.py --sizes 1 4          # the quick part
    python benchmarks/wave.py --data /tmp/bench    # keep / reuse the generated studies
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

#: The demo's default size (workbench.demo.generate_demo).
BASE_CUSTOMERS, BASE_RESPONDENTS = 4000, 1500  # interviewed customers; ~2,000 respondents with colleagues


def _tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(d))
        rss[int(d)] = int(fields[21]) * page
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "workbench.cli", *map(str, args)]


def generate(folder: Path, factor, respondents: int | None = None, customers: int | None = None) -> Path:
    """The demo study at ``factor`` × its size, or of ``respondents`` and ``customers`` (reused
    when already there)."""
    study = folder / (f"demo_x{factor}" if respondents is None else f"demo_{respondents}_{customers}")
    if (study / "study.yaml").is_file() and (study / "waves").is_dir():
        return study
    respondents = BASE_RESPONDENTS * factor if respondents is None else respondents
    customers = BASE_CUSTOMERS * factor if customers is None else customers
    subprocess.run(_cli("demo", study, "--customers", customers, "--respondents", respondents, "--force"),
                   check=True, stdout=subprocess.DEVNULL)
    return study


def measure(study: Path, reports: Path) -> dict:
    """``workbench run <study> --wave 1`` in a child: wall and CPU seconds, peak memory, step seconds."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(_cli("run", study, "--wave", "1", "--reports", reports, "--force"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    err = proc.stderr.read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"workbench run {study} failed (exit {code}):\n{err[-3000:]}")
    manifests = sorted(reports.glob("*/1/manifest.json"))
    manifest = json.loads(manifests[0].read_text(encoding="utf-8")) if manifests else {}
    return {"wall s": wall, "cpu s": usage.ru_utime + usage.ru_stime,
            "peak MB": max(peak, usage.ru_maxrss * 1024) / 2**20, "steps": manifest.get("step_seconds", {}),
            "respondents kept": manifest.get("counts", {}).get("respondents_kept")}


def table(results: dict[int, dict], sizes: dict[int, dict]) -> str:
    """Steps × sizes: seconds per step, then the totals and peak memory."""
    steps = list(dict.fromkeys(s for r in results.values() for s in r["steps"]))
    head = ["", *[f if isinstance(f, str) else f"{f}×" for f in results]]
    kept = {f: r.get("respondents kept") or sizes[f]["respondents"] for f, r in results.items()}
    rows = [["interviewed customers", *[f"{sizes[f]['respondents']:,}" for f in results]],
            ["respondents kept", *[f"{kept[f]:,}" for f in results]],
            ["customers", *[f"{sizes[f]['customers']:,}" for f in results]],
            ["order lines", *[f"{sizes[f]['lines']:,}" for f in results]]]
    rows += [[f"{s} (s)", *[f"{r['steps'].get(s, float('nan')):.1f}" for r in results.values()]] for s in steps]
    rows += [["whole run, wall (s)", *[f"{r['wall s']:.1f}" for r in results.values()]],
             ["whole run, CPU (s)", *[f"{r['cpu s']:.1f}" for r in results.values()]],
             ["peak memory (MB)", *[f"{r['peak MB']:,.0f}" for r in results.values()]]]
    first = next(iter(results))
    per = {f: r["cpu s"] / kept[f] for f, r in results.items()}
    rows += [["CPU per respondent vs first", *[f"{per[f] / per[first]:.2f}" for f in results]],
             ["segments share of steps", *[f"{r['steps'].get('segments', 0) / max(sum(r['steps'].values()), 1e-9):.0%}"
                                           for r in results.values()]]]
    width = [max(len(str(row[j])) for row in [head, *rows]) for j in range(len(head))]
    fmt = lambda row: "  ".join(str(v).ljust(width[0]) if j == 0 else str(v).rjust(width[j]) for j, v in enumerate(row))
    return "\n".join([fmt(head), *map(fmt, rows)])


def _lines(study: Path) -> int:
    tx = study / "behaviour" / "transactions.csv"
    with open(tx, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16], help="multiples of the demo size")
    ap.add_argument("--custom", nargs="*", default=[], metavar="RESPONDENTS:CUSTOMERS",
                    help="further sizes, e.g. 20000:40000 (the demo needs at least twice as many customers)")
    ap.add_argument("--data", type=Path, help="folder for the generated studies and reports (default: temporary)")
    args = ap.parse_args(argv)
    tmp = None
    if args.data is None:
        tmp = tempfile.TemporaryDirectory(prefix="wave-bench-")
        args.data = Path(tmp.name)
    args.data.mkdir(parents=True, exist_ok=True)
    results, sizes = {}, {}
    runs = [(f, None, None) for f in args.sizes]
    runs += [(f"{int(r):,} resp.", int(r), int(c)) for r, c in (x.split(":") for x in args.custom)]
    for f, resp, cust in runs:
        study = generate(args.data, f, resp, cust)
        sizes[f] = {"respondents": resp or BASE_RESPONDENTS * f, "customers": cust or BASE_CUSTOMERS * f,
                    "lines": _lines(study)}
        name = f if isinstance(f, str) else f"{f}×"
        print(f"{name}: {sizes[f]['respondents']:,} interviewed customers, {sizes[f]['customers']:,} customers, "
              f"{sizes[f]['lines']:,} order lines: running wave 1 ...", file=sys.stderr, flush=True)
        results[f] = measure(study, args.data / (f"reports_x{f}" if resp is None else f"reports_{resp}"))
        print(f"{name}: {results[f]['wall s']:.0f} s, peak {results[f]['peak MB']:,.0f} MB", file=sys.stderr, flush=True)
        print(table(results, sizes) + "\n", flush=True)  # the table so far: a long 16× run shows 1× and 4× first
        (args.data / "results.json").write_text(json.dumps({"sizes": sizes, "results": results}, indent=1),
                                                encoding="utf-8")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
