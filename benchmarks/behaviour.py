"""Benchmark: behavioural features for 10 million order lines / 200,000 customers.

Generates a transactions CSV shaped like the demo's (customer, order, date, value,
channel, quantity, delivery and handling cost, category; ~3 % return lines), then
computes every transaction feature twice, each engine in its own child process:

* ``workbench``: :func:`workbench.behaviour.customer_features` (DuckDB SQL over the file,
  2 threads, 1 GB memory limit);
* ``pandas``: a straightforward pandas baseline (``read_csv`` + ``groupby``) implementing
  the same documented rules.

It checks that the two agree on every feature, and prints wall time and peak memory
(the child's maximum resident set size, from ``os.wait4``'s resource usage, so each engine
is measured alone, interpreter and imports included) with their ratios.

Usage::

    python benchmarks/behaviour.py                    # 10M lines, 200k customers
    python benchmarks/behaviour.py --lines 1000000 --customers 20000   # a quick run
    python benchmarks/behaviour.py --data /tmp/bench  # keep / reuse the generated file
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REF = dt.date(2026, 3, 31)
CHANNELS = {"EDI": "EDI", "WEB": "Webshop", "TEL": "Phone", "REP": "Field sales"}
DIGITAL = ["EDI", "Webshop"]
CATEGORIES = np.array(["Electrical", "Plumbing", "HVAC", "Tools", "Fasteners", "Safety", "Consumables"])


def spec_dict(file: str) -> dict:
    return {
        "transactions": {
            "file": file,
            "columns": {"customer_id": "customer_id", "order_id": "order_id", "date": "order_date",
                        "value": "net_value_eur", "channel": "channel", "quantity": "quantity",
                        "delivery_cost": "delivery_cost_eur", "handling_cost": "handling_cost_eur",
                        "category": "category"},
            "channels": CHANNELS,
            "currency": "EUR",
        },
        "window_months": 12, "trend_months": 6, "lapsed_days": 90,
        "rfm": {"bins": 5, "ties": "rank", "tiers": {"rule": "score_sum", "gold": 12, "silver": 8}},
        "cost_to_serve": {"measure": "share_of_revenue", "rule": "tertiles"},
        "digital": {"channels": DIGITAL},
    }


# --------------------------------------------------------------------------- data


def generate(path: Path, n_lines: int, n_customers: int, seed: int = 7) -> None:
    """Order lines over three years up to REF, written with DuckDB (fast, deterministic)."""
    import duckdb

    rng = np.random.default_rng(seed)
    lines_per_order = 2.5
    n_orders = int(n_lines / lines_per_order)
    activity = rng.gamma(0.8, 1.0, n_customers)  # many small customers, a few big ones
    cust = rng.choice(n_customers, size=n_orders, p=activity / activity.sum())
    start = np.datetime64("2023-04-01")
    span = int((np.datetime64(REF) - start).astype(int)) + 40  # some lines after REF
    day = start + rng.integers(0, span, n_orders)
    channel = rng.choice(4, size=n_orders, p=[0.25, 0.4, 0.22, 0.13])
    n_ln = 1 + rng.poisson(lines_per_order - 1, n_orders)
    scale = n_lines / n_ln.sum()
    n_ln = np.maximum(1, np.round(n_ln * scale)).astype(int)
    o = np.repeat(np.arange(n_orders), n_ln)[:n_lines]
    m = len(o)
    qty = rng.geometric(0.2, m)
    value = np.round(qty * np.exp(rng.normal(3.0, 0.8, m)), 2)
    ret = rng.random(m) < 0.03
    value[ret] = -value[ret]
    qty[ret] = -qty[ret]
    order_id = o + 5_000_000
    order_id[ret] = 20_000_000 + np.flatnonzero(ret)  # a return is its own order
    codes = np.array(list(CHANNELS))
    frame = pd.DataFrame({
        "customer_id": np.char.add("C", (cust[o] + 100001).astype(str)),
        "order_id": order_id,
        "order_date": day[o].astype("datetime64[D]"),
        "net_value_eur": value,
        "channel": codes[channel[o]],
        "quantity": qty,
        "delivery_cost_eur": np.where(ret, 0.0, np.round(rng.uniform(0.5, 4, m), 2)),
        "handling_cost_eur": np.round(rng.uniform(0.3, 3, m), 2),
        "category": CATEGORIES[rng.integers(0, len(CATEGORIES), m)],
    })
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("COPY (SELECT * FROM frame) TO $p (HEADER, DELIMITER ',', DATEFORMAT '%Y-%m-%d')", {"p": str(path)})
    con.close()


# --------------------------------------------------------------------------- engines


def run_workbench(path: Path, out: Path) -> float:
    from workbench.behaviour import customer_features
    from workbench.study import BehaviourSpec

    spec = BehaviourSpec.model_validate(spec_dict(str(path)))
    t0 = time.perf_counter()
    feats = customer_features(spec, path.parent, REF, threads=2, memory_limit="1GB")
    seconds = time.perf_counter() - t0
    feats.table.to_parquet(out)
    return seconds


def _score(keys: list[np.ndarray], bins: int) -> np.ndarray:
    order = np.lexsort(keys[::-1])
    pos = np.empty(len(order), dtype=np.int64)
    pos[order] = np.arange(1, len(order) + 1)
    return 1 + (bins * (pos - 1)) // len(order)


def run_pandas(path: Path, out: Path) -> float:
    """The same rules, written the straightforward pandas way."""
    t0 = time.perf_counter()
    ref = pd.Timestamp(REF)
    win, recent, prev = (ref - pd.DateOffset(months=m) for m in (12, 6, 12))
    df = pd.read_csv(path, dtype={"customer_id": str, "order_id": str, "channel": str, "category": str},
                     parse_dates=["order_date"])
    df = df[df["order_date"] <= ref]
    names = list(dict.fromkeys(CHANNELS.values()))
    df["ch"] = df["channel"].map({c: names.index(n) for c, n in CHANNELS.items()})
    df["gross"] = df["net_value_eur"].clip(lower=0)
    df["returned"] = (-df["net_value_eur"]).clip(lower=0)
    df["cost"] = df["delivery_cost_eur"].fillna(0) + df["handling_cost_eur"].fillna(0)
    # an order's channel: the one its lines name (the first in study order if they differ)
    orders = df.groupby(["customer_id", "order_id"], sort=False).agg(
        d=("order_date", "min"), gross=("gross", "sum"), returned=("returned", "sum"),
        cost=("cost", "sum"), units=("quantity", "sum"), ch=("ch", "min"),
    ).reset_index()
    orders["purchase"] = (orders["gross"] > 0) | (orders["returned"] == 0)
    orders["rev"] = orders["gross"] - orders["returned"]
    orders["in_win"] = orders["d"] > win
    g = orders.groupby("customer_id")
    pur = orders[orders["purchase"]].groupby("customer_id")["d"]
    w = orders[orders["in_win"]]
    wg = w.groupby("customer_id")
    t = pd.DataFrame(index=pd.Index(sorted(orders["customer_id"].unique()), name="customer_id"))
    t["first_purchase"] = pur.min()
    t["last_purchase"] = pur.max()
    t["frequency"] = w[w["purchase"]].groupby("customer_id").size()
    t["revenue"] = wg["rev"].sum()
    t["gross_revenue"] = wg["gross"].sum()
    t["returns_value"] = wg["returned"].sum()
    t["cost_to_serve"] = wg["cost"].sum()
    t["units"] = wg["units"].sum()
    t["revenue_recent"] = orders[orders["d"] > recent].groupby("customer_id")["rev"].sum()
    t["revenue_previous"] = orders[(orders["d"] > prev) & (orders["d"] <= recent)].groupby("customer_id")["rev"].sum()
    for c in ("frequency", "revenue", "gross_revenue", "returns_value", "cost_to_serve", "units",
              "revenue_recent", "revenue_previous"):
        t[c] = t[c].fillna(0)
    del g
    t["recency_days"] = (ref - t["last_purchase"]).dt.days
    t["tenure_days"] = (ref - t["first_purchase"]).dt.days
    t["aov"] = (t["revenue"] / t["frequency"]).where(t["frequency"] > 0)
    t["return_rate"] = (t["returns_value"] / t["gross_revenue"]).where(t["gross_revenue"] > 0)
    both = t["revenue_recent"].abs() + t["revenue_previous"].abs()
    t["trend"] = ((t["revenue_recent"] - t["revenue_previous"]) / both).where(both > 0)
    t["cost_per_order"] = (t["cost_to_serve"] / t["frequency"]).where(t["frequency"] > 0)
    t["cost_share"] = (t["cost_to_serve"] / t["revenue"]).where(t["revenue"] > 0)
    s = t[t["last_purchase"].notna()]
    ids = s.index.to_numpy()
    lp = s["last_purchase"].to_numpy().astype("int64")
    rv = s["revenue"].round(6).to_numpy()  # money compared rounded to 1e-6
    t["r_score"] = pd.Series(_score([lp, s["frequency"].to_numpy(), rv, ids], 5), index=s.index)
    t["f_score"] = pd.Series(_score([s["frequency"].to_numpy(), rv, lp, ids], 5), index=s.index)
    t["m_score"] = pd.Series(_score([rv, s["frequency"].to_numpy(), lp, ids], 5), index=s.index)
    total = t["r_score"] + t["f_score"] + t["m_score"]
    t["rfm_tier"] = np.select([total.isna(), total >= 12, total >= 8], ["no purchases", "gold", "silver"], "bronze")
    t["lapsed"] = (t["recency_days"] > 90).where(t["last_purchase"].notna())
    pw = w[w["purchase"]]
    n_ch = pw.groupby(["customer_id", "ch"]).size().unstack(fill_value=0).reindex(t.index, fill_value=0)
    r_ch = w.groupby(["customer_id", "ch"])["rev"].sum().unstack(fill_value=0).reindex(t.index, fill_value=0)
    for i, name in enumerate(names):
        slug = name.lower().replace(" ", "_")
        n_i = n_ch[i] if i in n_ch else 0
        r_i = r_ch[i] if i in r_ch else 0
        t[f"orders_share_{slug}"] = (n_i / t["frequency"]).where(t["frequency"] > 0)
        t[f"revenue_share_{slug}"] = (r_i / t["revenue"]).where(t["revenue"] > 0)
    # dominant: most purchases, then revenue, then study order
    key = n_ch.stack().to_frame("n").join(r_ch.stack().to_frame("r")).reset_index()
    key = key[key["n"] > 0].sort_values(["customer_id", "n", "r", "ch"], ascending=[True, False, False, True])
    dom = key.drop_duplicates("customer_id").set_index("customer_id")["ch"]
    t["dominant_channel"] = dom.map(dict(enumerate(names)))
    dig = [names.index(d) for d in DIGITAL]
    t["digital_share"] = (n_ch[[i for i in dig if i in n_ch]].sum(axis=1) / t["frequency"]).where(t["frequency"] > 0)
    cs = t["cost_share"].dropna()
    order = np.lexsort((cs.index.to_numpy(), cs.round(9).to_numpy()))
    pos = np.empty(len(cs), dtype=np.int64)
    pos[order] = np.arange(1, len(cs) + 1)
    t["cost_tier"] = pd.Series(np.array(["low", "medium", "high"])[(3 * (pos - 1)) // len(cs)], index=cs.index)
    seconds = time.perf_counter() - t0
    t.to_parquet(out)
    return seconds


# --------------------------------------------------------------------------- harness


def child(engine: str, path: Path, out: Path) -> None:
    seconds = (run_workbench if engine == "workbench" else run_pandas)(path, out)
    print(json.dumps({"seconds": seconds}))


def measure(engine: str, path: Path, out: Path) -> dict:
    """Run one engine in a child process; wall time and the child's own peak RSS."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", engine, "--file", str(path), "--out", str(out)],
                            stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    stdout = proc.stdout.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{engine} failed (exit {proc.returncode})")
    inner = json.loads(stdout.strip().splitlines()[-1])["seconds"]
    return {"engine": engine, "compute s": inner, "process s": wall, "peak MB": usage.ru_maxrss / 1024}


def compare(a: pd.DataFrame, b: pd.DataFrame) -> list[tuple[str, float]]:
    """Largest difference per feature (0 = identical); raises if a feature is missing."""
    out = []
    b = b.reindex(a.index)
    for c in b.columns:
        if c in ("first_purchase",):
            continue
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
            xv, yv = pd.to_numeric(x, errors="coerce").astype(float), y.astype(float)
            same_nan = (xv.isna() == yv.isna()).all()
            diff = float(np.nanmax(np.abs(xv - yv))) if xv.notna().any() else 0.0
            out.append((c, diff if same_nan else np.inf))
        elif pd.api.types.is_datetime64_any_dtype(y):
            out.append((c, float((x != y)[y.notna() | x.notna()].sum())))
        else:
            xs = np.array([None if pd.isna(v) else str(v).lower() for v in x], dtype=object)
            ys = np.array([None if pd.isna(v) else str(v).lower() for v in y], dtype=object)
            out.append((c, float((xs != ys).sum())))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--data", type=Path, default=None, help="folder to keep the generated file in")
    ap.add_argument("--child", choices=["workbench", "pandas"], help=argparse.SUPPRESS)
    ap.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.generate:
        generate(args.generate, args.lines, args.customers)
        return 0
    if args.child:
        child(args.child, args.file, args.out)
        return 0
    folder = args.data or Path(tempfile.mkdtemp(prefix="bench-behaviour-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"transactions_{args.lines}_{args.customers}.csv"
    if not path.exists():
        # in a child process, so that this process stays small: a child inherits its
        # parent's peak RSS at fork, which would inflate the engines' measurements
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate", str(path), "--lines", str(args.lines),
                        "--customers", str(args.customers)], check=True)
        print(f"generated {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t0:.0f} s")
    results = [measure(e, path, folder / f"{e}.parquet") for e in ("workbench", "pandas")]
    wb = pd.read_parquet(folder / "workbench.parquet")
    pdf = pd.read_parquet(folder / "pandas.parquet")
    diffs = compare(wb, pdf)
    bad = [(c, d) for c, d in diffs if d > 1e-6]
    print(f"\n{args.lines:,} order lines, {len(wb):,} customers; features compared: {len(diffs)}; "
          + ("all agree (max difference {:.1e})".format(max(d for _, d in diffs)) if not bad else f"DISAGREE: {bad}"))
    table = pd.DataFrame(results).set_index("engine")
    ratio = table.loc["pandas"] / table.loc["workbench"]
    print("\n| engine | compute (s) | whole process (s) | peak memory (MB) |")
    print("|---|---:|---:|---:|")
    for e, r in table.iterrows():
        print(f"| {e} | {r['compute s']:.1f} | {r['process s']:.1f} | {r['peak MB']:.0f} |")
    print(f"| pandas / workbench | {ratio['compute s']:.1f}x | {ratio['process s']:.1f}x | {ratio['peak MB']:.1f}x |")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
