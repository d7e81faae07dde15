"""Keys are never measures, whatever their names (issue 30): the study's customer key, the
respondent id and a key the master carries as an attribute never become a KPI, a distal outcome
of the three-step or a feature of the whole-base model."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from workbench.behaviour.match import match_respondents
from workbench.core.errors import AnalysisError
from workbench.core.measures import is_key
from workbench.steps.criteria import criteria_kpis
from workbench.steps.model import _base_features
from workbench.steps.segments import segmentation_inputs
from workbench.study import load_study

STEMS = ("kunde", "Account", "cust", "Debitor", "klant", "client", "Customer", "acct", "")
SUFFIXES = ("nr", "No", "_no", "_id", "Id", "_Nr", "nummer", "Key", "_ref", "number")


def _key_names(rng, n=6):
    names = {"id", "kundenr", "AccountNo"}
    while len(names) < n + 3:
        stem, suf = rng.choice(STEMS), rng.choice(SUFFIXES)
        if stem or suf.lstrip("_"):
            names.add((stem + suf).lstrip("_") or "id")
    return sorted(names)


def _key_values(rng, n, kind):
    nums = rng.choice(np.arange(100_000, 999_999), n, replace=False)
    if kind == "padded":
        return [f"{v:09d}" for v in nums]  # '000123456'
    if kind == "alnum":
        return [f"C{v:07d}" for v in nums]
    return [int(v) for v in nums]


def _study(tmp_path, rid, cid):
    (tmp_path / "r.csv").write_text("x\n1\n", encoding="utf-8")
    (tmp_path / "tx.csv").write_text("x\n1\n", encoding="utf-8")
    (tmp_path / "study.yaml").write_text(textwrap.dedent(f"""\
        study: {{name: Keys, id: keys}}
        respondent_id: "{rid}"
        customer_id: "{cid}"
        waves:
          - {{id: "1", files: [r.csv], fieldwork_end: 2026-03-01}}
        scales:
          five: {{type: likert, codes: {{1: a, 2: b, 3: c, 4: d, 5: e}}}}
        blocks:
          needs:
            kind: needs
            scale: five
            questions:
              - {{id: q1, text: Q1}}
              - {{id: q2, text: Q2}}
              - {{id: q3, text: Q3}}
        behaviour:
          transactions:
            file: tx.csv
            columns: {{customer_id: "{cid}", date: dato, value: beløb}}
        segmentation: {{basis: [needs], methods: [kmeans], k_min: 2, k_max: 2}}
        """), encoding="utf-8")
    return load_study(tmp_path / "study.yaml")


@pytest.mark.parametrize("seed", range(4))
def test_generated_key_names_never_become_measures(tmp_path, seed):
    rng = np.random.default_rng(seed)
    names = _key_names(rng)
    rid, cid = names[0], names[1]
    kind = ("padded", "alnum", "int", "padded")[seed]
    n, n_cust = 60, 120
    study = _study(tmp_path, rid, cid)
    cust_ids = [str(v) for v in _key_values(rng, n_cust, kind)]
    customers = pd.DataFrame({
        "recency_days": rng.integers(1, 300, n_cust).astype(float),
        "frequency": rng.integers(1, 9, n_cust),
        "monetary": rng.gamma(2, 300, n_cust),
        "rfm_tier": pd.Categorical(rng.choice(["gold", "silver", "bronze"], n_cust)),
        "in_transactions": True,
        "last_purchase": pd.Timestamp("2026-01-01"),
        # a master mapping its own key as an attribute, under another generated key name
        names[2]: cust_ids,
    }, index=pd.Index(cust_ids, name="customer_id"))
    answers = pd.DataFrame(rng.integers(1, 6, (n, 3)).astype(float), columns=["q1", "q2", "q3"],
                           index=pd.Index([f"{i:04d}" for i in range(n)], name=rid))
    answers.insert(0, cid, rng.choice(cust_ids, n, replace=False))
    resp, _, _ = match_respondents(customers, answers, cid)
    assert (resp["match"] == "matched").all()
    ctx = SimpleNamespace(study=study, wave="1", factors=None,
                          weighted=SimpleNamespace(data=answers, missing_columns=[], weights=None),
                          clean=None, behaviour=SimpleNamespace(respondents=resp, key=cid, customers=customers))
    distal = segmentation_inputs(ctx)["distal"]
    measures = {"recency_days", "frequency", "monetary", "rfm_tier"}
    assert set(distal.columns) == measures, f"keys {names[:3]} ({kind}): {sorted(distal.columns)}"
    for name in names:  # every generated key name is a key once the study declares it or its values identify
        assert is_key(name, keys=study.key_columns) or is_key(name, cust_ids)
    assert not any(is_key(m, customers[m], keys=study.key_columns) for m in measures)
    feats, numeric, categorical = _base_features(ctx)
    assert set(numeric + categorical) <= measures | {"in_transactions"}
    assert names[2] not in feats.columns
    # naming a key as a KPI or a distal outcome is refused with the reason
    plan = study.spec.segmentation.model_copy(update={"distal": [cid]})
    ctx.study = SimpleNamespace(**{a: getattr(study, a) for a in ("columns", "seed", "path", "key_columns")},
                                spec=study.spec.model_copy(update={"segmentation": plan}))
    with pytest.raises(AnalysisError, match="a key identifies customers and is never a distal outcome"):
        segmentation_inputs(ctx)
    crit = study.spec.criteria.model_copy(update={"kpis": ["customer_id"]})
    ctx.study.spec = study.spec.model_copy(update={"criteria": crit})
    with pytest.raises(AnalysisError, match="is never a KPI"):
        criteria_kpis(ctx)


def test_what_is_not_a_key_stays_a_measure():
    rng = np.random.default_rng(5)
    assert not is_key("monetary", rng.gamma(2, 300, 100))                 # distinct but not whole numbers
    assert not is_key("frequency", rng.integers(1, 9, 100))               # whole numbers, repeated
    assert not is_key("orders", np.arange(100))                           # distinct whole numbers, not a key name
    assert not is_key("region", [f"{i % 5:02d}" for i in range(100)])     # zero-padded codes, few distinct
    assert not is_key("tier", ["gold", "silver"] * 30)
    assert is_key("orders", np.arange(100), keys=("orders",))             # declared: a key whatever it holds
    assert is_key("Kundenummer", np.arange(100))
    assert is_key("account", [f"C{i // 2:05d}" for i in range(100)])     # two respondents per account
    assert is_key("kundenr", [i // 2 for i in range(100)])
    assert not is_key("frequency", np.arange(100) // 2)                   # a registered measure is never a key
