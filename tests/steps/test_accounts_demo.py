"""Account classes on the demo's planted buying centres, through the whole flow (a module of its
own so that it runs on the worker holding the session's demo run: tests/conftest.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest


def test_demo_buying_centres_through_the_flow(demo_run, demo_wave2):
    """The demo plants three buying-centre types (demo/accounts.py): wave 1 fits account classes,
    freezes them in model.json (read back field by field), puts them in customer_segments.csv
    (surveyed accounts and, by the whole-base account model, the rest) and on the deck; wave 2
    places its accounts in the frozen classes and compares their sizes; the SQL export gives
    the Python rule's classes."""
    duckdb = pytest.importorskip("duckdb")
    from workbench.waves import load_model
    from workbench.waves.accounts_model import AccountModel
    from workbench.waves.accounts_sql import export_account_sql

    root = demo_run.study.root
    folder, folder2 = demo_run.folder, demo_wave2.folder
    counts = json.loads((folder / "manifest.json").read_text())["counts"]
    assert counts["account_classes"] >= 2 and "accounts" not in demo_run.skipped
    model = load_model(folder / "model.json")
    frozen = AccountModel.from_dict(model.attachments["accounts"])
    assert frozen.agreement > 0.8
    # the planted types recovered: each planted type's accounts mostly in one account class
    planted = pd.read_csv(root / "truth" / "accounts_wave1.csv", dtype={"customer_id": str}).set_index("customer_id")
    acc = demo_run.context.accounts.accounts
    tab = pd.crosstab(planted["account_class"], acc["account_class"].reindex(planted.index))
    assert tab.max(axis=1).sum() / tab.to_numpy().sum() > 0.7
    cust = pd.read_csv(folder / "customer_segments.csv", dtype={"customer_id": str})
    assert {"account_class", "account_type", "account_probability", "account_source"} <= set(cust.columns)
    assert set(cust["account_source"].dropna()) <= {"survey", "model"}
    assert cust.loc[cust["account_source"] == "survey", "customer_id"].isin(acc.index).all()
    # wave 2: accounts placed with the frozen classes, sizes against wave 1
    assert (folder2 / "accounts.xlsx").exists()
    sizes = demo_wave2.context.account_tracking.sizes
    assert list(sizes["type"]) == list(frozen.types) and sizes["accounts_fitted"].tolist() == list(frozen.fitted_counts)
    # planted: installers migrate to digital self-service between the waves (demo/constants.py MIGRATION), so
    # the consensus-digital type grows
    grown = sizes.loc[sizes["change"].idxmax(), "type"]
    assert grown.startswith("consensus") and sizes["p_holm"].min() < 0.05
    tracked = demo_wave2.context.account_tracking.accounts
    # the SQL export over wave 2's respondent segments gives the same classes
    resp = pd.read_csv(folder2 / "respondent_segments.csv", dtype=str)
    answers = demo_wave2.context.weighted.data["customer_id"].astype(str)
    rows = pd.DataFrame({"customer_id": answers.reindex(resp["resp_id"]).to_numpy(), "segment": resp["segment"]})
    con = duckdb.connect()
    con.register("respondent_segments", rows)
    from workbench.cli import main

    out = folder2.parent / "accounts.sql"
    assert main(["export-sql", "--model", str(folder / "model.json"), "--using", "accounts", "-o", str(out)]) == 0
    assert out.read_text() == export_account_sql(folder / "model.json") + ";\n"
    got = con.execute(export_account_sql(folder / "model.json")).df().set_index("customer_id")
    assert (got["account_class"].reindex(tracked.index).to_numpy() == tracked["account_class"].to_numpy()).all()
    # the account slide on both waves' decks
    decks = [json.loads((f / "deck_data.json").read_text())["data"]["accounts"] for f in (folder, folder2)]
    assert [len(d["classes"]["rows"]) for d in decks] == [frozen.n_classes] * 2
    assert decks[1]["fitted_wave"] == "1" and "fitted_wave" not in decks[0]
    # each type as plain data the deck words (kind, segments): the same in both waves, and the frozen model's type
    assert decks[0]["types"] == decks[1]["types"] and decks[0]["rule"] == {"consensus": 0.7, "split": 0.7, "each": 0.2}
    names = {int(s): n for s, n in decks[0]["segments"]}
    assert [f"{t['kind']}: " + (" vs " if t["kind"] == "split" else ", ").join(names[s] for s in t["segments"])
            for t in decks[0]["types"]] == list(frozen.types)
