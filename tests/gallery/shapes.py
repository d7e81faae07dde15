"""Study shapes drawn from the demo generator: blocks present or absent, key names and types,
behaviour sources, n and missing-answer rates.

``draw_shape(seed)`` picks a shape with a seeded generator; ``write_shape(shape, folder)`` writes
the demo study for it (``workbench.demo.generate_demo`` with the shape's n) and then edits the
study the way a consultant would write a differently shaped one: blocks removed from the
definition and the files, the customer key renamed and retyped in the survey, the transactions
and the master, optional transaction columns dropped, answers blanked at random.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
from workbench.files import safeyaml

N_CHOICES = (150, 250, 400, 800, 1500, 3000)
#: key column names as consultants write them (SPSS names allow no hyphen or space: wave 2 is a .sav)
KEY_NAMES = ("customer_id", "cust_no", "kundenr", "Debitor_Nr")
BEHAVIOUR = ("full", "no_master", "minimal", "none")
OPTIONAL_TX = ("order_id", "channel", "quantity", "delivery_cost", "handling_cost", "category")


@dataclasses.dataclass(frozen=True)
class Shape:
    seed: int
    n: int
    outcomes: bool = True
    forces: bool = True          # motivations and barriers blocks
    behaviour: str = "full"      # full | no_master | minimal (customer, date, value only) | none
    key_name: str = "customer_id"
    key_int: bool = False        # integer customer numbers (C100083 -> 100083)
    missing: float = 0.0         # share of basis answers blanked at random
    verbatims: bool = True
    duration: bool = True

    @property
    def name(self) -> str:
        parts = [f"n{self.n}", "out" if self.outcomes else "no-out", "forces" if self.forces else "needs-only",
                 f"beh-{self.behaviour}", f"key-{self.key_name}{'-int' if self.key_int else ''}",
                 f"miss{int(round(100 * self.missing))}"]
        if not self.verbatims:
            parts.append("no-verb")
        if not self.duration:
            parts.append("no-dur")
        return f"s{self.seed}-" + "-".join(parts)


def draw_shape(seed: int, *, n_choices=N_CHOICES) -> Shape:
    """A random study shape; the same seed gives the same shape."""
    rng = np.random.default_rng(seed)
    return Shape(
        seed=seed,
        n=int(rng.choice(n_choices)),
        outcomes=bool(rng.random() < 0.5),
        forces=bool(rng.random() < 0.5),
        behaviour=str(rng.choice(BEHAVIOUR)),
        key_name=str(rng.choice(KEY_NAMES)),
        key_int=bool(rng.random() < 0.5),
        missing=float(rng.choice([0.0, 0.03, 0.1, 0.2])),
        verbatims=bool(rng.random() < 0.5),
        duration=bool(rng.random() < 0.7),
    )


def _drop_questions(spec: dict, blocks: list[str]) -> list[str]:
    cols = []
    for b in blocks:
        block = spec["blocks"].pop(b, None)
        if block is None:
            continue
        for q in block.get("questions", []):
            cols.append(q["id"])
        for o in block.get("outcomes", []):
            cols += [o.get("importance", f"{o['id']}_imp"), o.get("satisfaction", f"{o['id']}_sat")]
    return cols


def write_shape(shape: Shape, folder: Path) -> Path:
    """Write the study of ``shape`` into ``folder`` (created) and return the folder."""
    import pyreadstat

    from workbench.demo import generate_demo

    folder = Path(folder)
    generate_demo(folder, seed=shape.seed, n_customers=max(600, 2 * shape.n), n_respondents=shape.n)
    spec = safeyaml.safe_load((folder / "study.yaml").read_text(encoding="utf-8"))
    drop: list[str] = []
    if not shape.outcomes:
        drop += _drop_questions(spec, ["outcomes"])
    if not shape.forces:
        drop += _drop_questions(spec, ["motivations", "barriers"])
        spec["segmentation"]["basis"] = ["needs"]
        for b in ("motivations", "barriers"):
            spec.get("factors", {}).get("batteries", {}).pop(b, None)
    if not shape.verbatims:
        drop += _drop_questions(spec, ["verbatims"])
    if not shape.duration:
        drop += _drop_questions(spec, ["screening"])
        spec["quality"].pop("duration", None)
    key = shape.key_name
    beh = spec.get("behaviour")
    if shape.behaviour == "none":
        spec.pop("behaviour", None)
        spec.pop("weighting", None)
    elif beh is not None:
        beh["key"] = key
        beh["transactions"]["columns"]["customer_id"] = key
        if shape.behaviour in ("no_master", "minimal"):
            beh.pop("customers", None)
            spec.pop("weighting", None)
        else:
            beh["customers"]["key"] = key
        if shape.behaviour == "minimal":
            cols = beh["transactions"]["columns"]
            for role in OPTIONAL_TX:
                cols.pop(role, None)
            for k in ("channels", "currency"):
                beh["transactions"].pop(k, None)
            beh.pop("digital", None)
            beh.pop("cost_to_serve", None)
    spec["customer_id"] = key
    # fast segmentation settings: the shape, not the search, is under test
    seg = spec["segmentation"]
    seg.update({"methods": ["lca", "kmeans"], "k_min": 2, "k_max": 4, "n_init": 2, "bootstrap_reps": 0, "blrt_reps": 0,
                "golden_questions": 4, "distal": []})
    (folder / "study.yaml").write_text(safeyaml.dump(spec), encoding="utf-8")

    rng = np.random.default_rng(shape.seed + 1)
    basis = [q["id"] for b in seg["basis"] for q in spec["blocks"][b]["questions"]]

    def fix_key(s: pd.Series) -> pd.Series:
        if not shape.key_int:
            return s
        return s.map(lambda v: v if pd.isna(v) or v == "" else int(str(v).lstrip("C")))

    # wave 1: CSV with ';', decimal comma and BOM
    p1 = folder / "waves/1/responses.csv"
    w1 = pd.read_csv(p1, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    w1 = w1.drop(columns=[c for c in drop if c in w1.columns]).rename(columns={"customer_id": key})
    w1[key] = fix_key(w1[key].replace("", np.nan)).astype(object).where(w1[key] != "", "")
    if shape.missing:
        for c in basis:
            w1.loc[rng.random(len(w1)) < shape.missing, c] = ""
    w1.to_csv(p1, sep=";", index=False, encoding="utf-8-sig")
    # wave 2: SPSS with value labels
    p2 = folder / "waves/2/responses.sav"
    w2, meta = pyreadstat.read_sav(str(p2))
    w2 = w2.drop(columns=[c for c in drop if c in w2.columns])
    labels = {c: v for c, v in meta.variable_value_labels.items() if c in w2.columns}
    if shape.key_int:
        w2["customer_id"] = pd.to_numeric(w2["customer_id"].replace("", np.nan).str.lstrip("C"))
    w2 = w2.rename(columns={"customer_id": key})
    if shape.missing:
        for c in basis:
            w2.loc[rng.random(len(w2)) < shape.missing, c] = np.nan
    pyreadstat.write_sav(w2, str(p2), variable_value_labels=labels)
    # behaviour files
    if shape.behaviour == "none":
        for f in (folder / "behaviour").glob("*"):
            f.unlink()
    else:
        tx = pd.read_csv(folder / "behaviour/transactions.csv", dtype=str, keep_default_na=False)
        tx = tx.rename(columns={"customer_id": key})
        tx[key] = fix_key(tx[key])
        if shape.behaviour == "minimal":
            tx = tx[[key, "order_date", "net_value_eur"]]
        tx.to_csv(folder / "behaviour/transactions.csv", index=False)
        master = folder / "behaviour/customers.csv"
        if shape.behaviour == "full":
            m = pd.read_csv(master, dtype=str, keep_default_na=False).rename(columns={"customer_id": key})
            m[key] = fix_key(m[key])
            m.to_csv(master, index=False)
        else:
            master.unlink()
    return folder
