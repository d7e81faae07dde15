"""Step ``accounts``: when it runs (several respondents per customer), what it says when it
does not, the account types (consensus / split) on planted buying centres, and the columns
it adds to customer_segments.csv (the gallery's accounts_multi study, run once per session)."""

import json

import numpy as np
import pandas as pd
import pytest

from workbench.segments._accounts import ONE_TYPE, account_segments, describe_mix, type_data
from workbench.segments._multilevel import simulate_accounts
from workbench.steps.accounts import too_few_several

PLANTED = [[0.95, 0.05, 0.0], [0.05, 0.95, 0.0], [0.5, 0.0, 0.5]]


def test_too_few_customers_with_several_respondents_is_said():
    assert too_few_several(300, 12) == ("12 of 300 customers (4%) have several respondents; account classes need at "
                                        "least 20% and 30 such customers (each customer takes its most certain "
                                        "respondent's segment)")
    assert "29 of 100" in too_few_several(100, 29)  # 29 %, but fewer than 30 customers
    assert too_few_several(100, 30) is None


def test_describe_mix():
    names = ["Price", "Advice", "Speed"]
    assert describe_mix([0.8, 0.1, 0.1], names) == "consensus: Price"
    assert describe_mix([0.45, 0.05, 0.5], names) == "split: Speed vs Price"
    assert describe_mix([0.36, 0.33, 0.31], names) == "mixed: Price, Advice, Speed"
    # the same rule as plain data for the deck: the kind and the segments (by number), largest first
    mixes = [[0.8, 0.1, 0.1], [0.45, 0.05, 0.5], [0.36, 0.33, 0.31], [0.6, 0.35, 0.05], [0.65, 0.18, 0.17]]
    assert type_data(mixes, [2, 5, 7]) == [{"kind": "consensus", "segments": [2]}, {"kind": "split", "segments": [7, 2]},
                                           {"kind": "mixed", "segments": [2, 5, 7]},
                                           {"kind": "split", "segments": [2, 5]}, {"kind": "mixed", "segments": [2, 5, 7]}]
    assert [describe_mix(m, names) for m in mixes[3:]] == ["split: Price vs Advice", "mixed: Price, Advice, Speed"]
    assert type_data([[0.5, 0.5]], [1, 2]) == [{"kind": "one", "segments": []}]  # one class: accounts do not differ


def test_planted_buying_centres_named_by_the_segments():
    X, accounts, truth = simulate_accounts(240, n_items=8, class_mix=PLANTED, min_respondents=2, max_respondents=4,
                                           separation=0.8, random_state=5)
    value = pd.Series(np.where(truth.groupby(accounts)["account_class"].first() == 3, 900.0, 100.0),
                      index=sorted(accounts.unique()))
    res = account_segments(X, accounts, truth["respondent_class"], names={1: "Price", 2: "Advice", 3: "Speed"},
                           value=value, random_state=3, n_init=4, account_classes=(3,))  # BIC: test_multilevel
    assert res.n_customers == 240 and res.n_several == 240
    assert res.n_classes == 3
    assert sorted(res.classes["type"]) == ["consensus: Advice", "consensus: Price", "split: Price vs Speed"]
    split = res.classes.set_index("type").loc["split: Price vs Speed"]
    assert split["value"] > 700  # the planted high-value type is the split one
    assert res.classes["accounts"].sum() == 240 and np.isclose(res.classes["share"].sum(), 1)
    assert set(res.accounts.columns) >= {"account_class", "account_type", "account_probability", "respondents"}


@pytest.fixture(scope="module")
def flow(gallery_flows):
    return gallery_flows("accounts_multi")


def test_accounts_in_the_flow_on_accounts_joined_at_random(flow):
    """accounts_multi gives each account 1-3 real GSS respondents drawn at random: the account
    level holds nothing, and the account-level BIC says so (one type)."""
    answers = pd.read_csv(flow.study / "waves" / "1" / "antwoorden.csv", dtype={"klantnummer": str})
    assert "with several respondents" in flow.validate.out
    folder = flow.folder("1")
    manifest = json.loads((folder / "manifest.json").read_text())
    counts = manifest["counts"]
    per = answers.loc[answers["respondent"].isin(pd.read_csv(folder / "respondent_segments.csv")["respondent"]),
                      "klantnummer"].value_counts()
    assert counts["customers_with_several_respondents"] == int((per > 1).sum())
    assert counts["account_classes"] == 1
    assert (folder / "accounts.xlsx").exists()
    cust = pd.read_csv(folder / "customer_segments.csv", dtype={"klantnummer": str})
    assert {"account_class", "account_type"} <= set(cust.columns)
    assert set(cust["account_type"].dropna()) == {ONE_TYPE}
    m2 = json.loads((flow.folder("2") / "manifest.json").read_text())
    assert "accounts" in m2["skipped_steps"]
    assert "holds no account classes" in m2["skipped_steps"]["accounts"]  # one type: nothing frozen


def test_export_sql_of_a_model_without_account_classes_is_refused(flow, capsys):
    from workbench.cli import main

    assert main(["export-sql", "--model", str(flow.folder("1") / "model.json"), "--using", "accounts"]) == 2
    assert "holds no account classes" in capsys.readouterr().err


def test_account_slide_from_plain_data(flow):
    """The deck's account slide from DeckData.accounts (a saved deck_data.json given account
    classes as the accounts step describes them): types, shares, the mix and the value."""
    from workbench.deck import render_deck
    from workbench.deck.data import DeckData, frame_to_json
    from workbench.steps.deck import _types

    data, personas = DeckData.load(flow.folder("1") / "deck_data.json")
    assert data.accounts is None  # one type on this study: no slide
    classes = pd.DataFrame({"account_class": [1, 2], "type": ["consensus: Price", "split: Price vs Advice"],
                            "accounts": [70, 30], "share": [0.69, 0.31], "mix_1": [0.9, 0.48], "mix_2": [0.1, 0.52],
                            "value": [1200.0, 5400.0]})
    acc = {"n_customers": 119, "n_several": 70, "segments": [[1, "Price"], [2, "Advice"]], "value_label": "Revenue",
           "classes": frame_to_json(classes), **_types(classes, [1, 2])}
    # survives the JSON round trip; drawn in English (the study is Dutch: tests/test_deck_language.py
    # checks the slide in another language)
    data = DeckData.from_dict({**data.to_dict(), "accounts": acc, "language": "en"})
    prs = render_deck(data, personas)
    titles = [s.shapes.title.text if s.shapes.title is not None else "" for s in prs.slides]
    assert titles.count("Accounts: buying-centre types") == 1
    slide = prs.slides[titles.index("Accounts: buying-centre types")]
    cells = [c.text for sh in slide.shapes if sh.has_table for r in sh.table.rows for c in r.cells]
    # the second type by the accounts room's rule on its mix: the larger segment first
    assert {"Consensus: Price", "Split: Advice vs Price", "70\u00a0%", "30\u00a0%", "Price 90\u00a0%, Advice 10\u00a0%",
            "Advice 52\u00a0%, Price 48\u00a0%", "5,400"} <= set(cells)
    assert "69\u00a0%" not in cells  # the share the counts give (70 of 100 accounts), not the model's estimate
    assert not any("mix_" in c or "0.69" in c for c in cells)  # nothing internal on the slide


def test_validate_says_how_many_customers_have_several_respondents(mini):
    from workbench.validation import validate

    (wave, _, _, details), = validate(mini, details=True)
    assert details["customers"] == "3 customers surveyed, 0 (0%) with several respondents"
    assert details["skipped"]["accounts"].startswith("0 of 3 customers (0%) have several respondents")
