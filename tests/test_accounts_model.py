"""The frozen account classes (waves/accounts_model.py): the class from the respondents'
segments against a hand computation and the full model, model.json's accounts section read
back field by field, the SQL against the Python scorer, and a later wave's sizes."""

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportions_ztest

from workbench.core.errors import DataError
from workbench.segments._accounts import account_segments
from workbench.segments._multilevel import simulate_accounts
from workbench.waves.accounts_model import AccountModel, account_columns, track_accounts
from workbench.waves.accounts_sql import account_sql

PLANTED = [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.45, 0.1, 0.45]]


@pytest.fixture(scope="module")
def fitted():
    X, accounts, truth = simulate_accounts(300, n_items=8, class_mix=PLANTED, min_respondents=1, max_respondents=4,
                                           separation=0.8, random_state=11)
    labels = truth["respondent_class"]
    acc = account_segments(X, accounts, labels, names={1: "Price", 2: "Advice", 3: "Speed"}, random_state=2,
                           n_init=4, account_classes=(3,))
    model = AccountModel.from_accounts(acc, wave="1", labels=labels, customers=accounts)
    return acc, model, accounts, labels, truth


def test_class_from_segments_is_the_hand_computed_posterior(fitted):
    _, model, accounts, labels, _ = fitted
    post = model.predict_proba(accounts, labels)
    j = post.index[7]
    segs = labels[accounts == j].to_numpy()
    score = np.log(model.shares) + np.array([sum(np.log(max(model.mix[m, s - 1], 1e-6)) for s in segs)
                                             for m in range(model.n_classes)])
    want = np.exp(score - score.max()) / np.exp(score - score.max()).sum()
    np.testing.assert_allclose(post.loc[j].to_numpy(), want, rtol=1e-12)
    placed = model.classify(accounts, labels)
    assert placed.loc[j, "respondents"] == len(segs)
    assert placed.loc[j, "account_class"] == int(np.argmax(want)) + 1


def test_rule_agrees_with_the_full_model_and_recovers_the_planted_classes(fitted):
    _, model, accounts, labels, truth = fitted
    assert model.agreement > 0.9  # segments known exactly: the rule is the model's posterior without answers
    assert sum(model.fitted_counts) == 300
    placed = model.classify(accounts, labels)
    planted = truth.groupby(accounts)["account_class"].first().reindex(placed.index)
    several = placed["respondents"] > 1
    tab = pd.crosstab(planted[several], placed.loc[several, "account_class"])
    assert tab.max(axis=1).sum() / tab.to_numpy().sum() > 0.85  # each planted type mostly in one class


def test_round_trip_through_plain_json(fitted):
    _, model, accounts, labels, _ = fitted
    back = AccountModel.from_dict(json.loads(json.dumps(model.to_dict())))
    pd.testing.assert_frame_equal(back.classify(accounts, labels), model.classify(accounts, labels))
    assert back.types == model.types and back.fitted_counts == model.fitted_counts


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["mix"][1].__setitem__(0, d["mix"][1][0] + 0.2), r"attachments\.accounts\.mix\[1\] sums to"),
    (lambda d: d["types"].pop(), r"attachments\.accounts\.types is .*not one description per account class \(3\)"),
    (lambda d: d.__setitem__("shares", [0.5, 0.5, 0.5]), r"attachments\.accounts\.shares sum to 1\.5"),
    (lambda d: d.__setitem__("segments", [1, 1, 2]), r"attachments\.accounts\.segments is \[1, 1, 2\]"),
    (lambda d: d.__setitem__("fitted_counts", [1, -2, 3]), r"attachments\.accounts\.fitted_counts"),
    (lambda d: d["segment_names"].__setitem__("7", "x"), r"names segment 7"),
    (lambda d: d.__setitem__("format_version", 9), r"format version 9, newer"),
])
def test_a_damaged_section_is_named_by_its_key(fitted, edit, message):
    d = json.loads(json.dumps(fitted[1].to_dict()))
    edit(d)
    with pytest.raises(DataError, match=message):
        AccountModel.from_dict(d)


def test_sql_gives_what_python_gives(fitted):
    duckdb = pytest.importorskip("duckdb")
    _, model, accounts, labels, _ = fitted
    seg = labels.astype(object).copy()
    seg.iloc[:3] = None  # no segment: left out
    seg.iloc[3] = 9  # a segment the model never had: left out
    rows = pd.DataFrame({"customer_id": accounts.to_numpy(), "segment": seg.to_numpy()})
    con = duckdb.connect()
    con.register("respondent_segments", rows)
    got = con.execute(account_sql(model)).df().set_index("customer_id").sort_index()
    py = model.classify(accounts, pd.to_numeric(seg, errors="coerce").where(lambda s: s != 9))
    post = model.predict_proba(accounts, pd.to_numeric(seg, errors="coerce").where(lambda s: s != 9))
    py = py.reindex(got.index)
    assert (got["account_class"].to_numpy() == py["account_class"].to_numpy()).all()
    assert (got["account_type"].to_numpy() == py["account_type"].to_numpy()).all()
    assert (got["respondents"].to_numpy() == py["respondents"].to_numpy()).all()
    np.testing.assert_allclose(got[[f"p_account_{m}" for m in (1, 2, 3)]].to_numpy(),
                               post.reindex(got.index).to_numpy(), rtol=1e-12)
    assert "GROUP BY" in account_sql(model, dialect="spark")


def test_later_wave_sizes_against_the_fitted_wave(fitted):
    _, model, _, _, _ = fitted
    _, accounts, truth = simulate_accounts(400, n_items=8, class_mix=PLANTED, account_shares=[0.85, 0.075, 0.075],
                                           min_respondents=1, max_respondents=4, random_state=4)
    tr = track_accounts(model, accounts, truth["respondent_class"])
    sizes = tr.sizes.set_index("account_class")
    assert sizes["accounts"].sum() == 400 and tr.n_several == int((accounts.value_counts() > 1).sum())
    assert (sizes["accounts_fitted"].to_numpy() == np.asarray(model.fitted_counts)).all()
    for m in sizes.index:
        _, p = proportions_ztest([sizes.loc[m, "accounts"], sizes.loc[m, "accounts_fitted"]],
                                 [400, sum(model.fitted_counts)])
        assert sizes.loc[m, "p"] == pytest.approx(p, rel=1e-9)
    # planted: 85 % of accounts in the first type (a third when fitted); its class grows, significantly
    grown = sizes["change"].idxmax()
    assert sizes.loc[grown, "type"] == "consensus: Price"
    assert sizes.loc[grown, "change"] > 0.15 and sizes.loc[grown, "p_holm"] < 0.001


def test_account_columns_survey_first(fitted):
    acc, model, _, _, _ = fitted
    cols = account_columns(model, acc.accounts)
    assert (cols["account_source"] == "survey").all()
    assert cols["account_class"].dtype == "Int64" and len(cols) == len(acc.accounts)


def test_typing_tool_account_sheet_computes_the_python_class(fitted, tmp_path):
    """The "Type an account" sheet recalculated by LibreOffice = AccountModel.classify."""
    import openpyxl
    from test_waves_golden import _recalculate

    from workbench.waves.accounts_excel import MAX_RESPONDENTS, add_account_sheet

    _, model, accounts, labels, _ = fitted
    path = tmp_path / "typing_tool.xlsx"
    openpyxl.Workbook().save(path)
    picks = [a for a in accounts.value_counts().index if 2 <= (accounts == a).sum() <= MAX_RESPONDENTS][:3]
    for _ in picks:
        add_account_sheet(path, model)
    wb = openpyxl.load_workbook(path)
    sheets = [ws for ws in wb.worksheets if ws.title.startswith("Type an account")]
    r_in = 5 + len(model.segments) + 1
    for ws, a in zip(sheets, picks):
        ws.protection.sheet = False
        for i, s in enumerate(labels[accounts == a]):
            ws.cell(row=r_in + 1 + i, column=2, value=int(s))
    wb.save(path)
    got = openpyxl.load_workbook(_recalculate(path, tmp_path), data_only=True)
    want = model.classify(accounts, labels)
    post = model.predict_proba(accounts, labels)
    r_m = r_in + MAX_RESPONDENTS + 2
    for ws, a in zip([got[ws.title] for ws in sheets], picks):
        assert ws.cell(row=r_m + model.n_classes + 2, column=3).value == want.loc[a, "account_type"]
        probs = [ws.cell(row=r_m + 1 + m, column=3).value for m in range(model.n_classes)]
        np.testing.assert_allclose(probs, post.loc[a].to_numpy(), rtol=1e-9)


def test_model_file_carries_the_section_and_refuses_it_damaged(fitted, tmp_path):
    """model.json's attachments.accounts is read back by load_model, which names the file and
    the key path of a damaged field (so classify, run --model and export-sql never see it)."""
    import dataclasses

    from workbench import segments
    from workbench.waves import SegmentModel, load_model

    _, model, accounts, labels, _ = fitted
    X = pd.DataFrame({"q1": labels.to_numpy() * 1.0, "q2": (labels.to_numpy() % 2) * 1.0}, index=labels.index)
    sol = segments.candidates(X, [3], methods=["kmeans"], random_state=1, progress=False)[("kmeans", 3)]
    codebook = {c: {"label": c, "block": "needs", "scale": "s", "type": "numeric", "codes": {}, "missing": {}}
                for c in X.columns}
    seg = SegmentModel.from_segmentation(sol, basis_items=list(X.columns), codebook=codebook, study_id="demo",
                                         study_hash="abc", wave="1", data=X)
    good = dataclasses.replace(seg, attachments={"accounts": model.to_dict()})
    back = load_model(good.save(tmp_path / "model.json"))
    assert AccountModel.from_dict(back.attachments["accounts"]).classify(accounts, labels).equals(
        model.classify(accounts, labels))
    bad = model.to_dict()
    bad["segments"], bad["segment_names"] = [1, 2, 7], {}
    path = dataclasses.replace(seg, attachments={"accounts": bad}).save(tmp_path / "bad.json")
    with pytest.raises(DataError, match=r"attachments\.accounts\.segments names segment 7, but the model has 3") as e:
        load_model(path)
    assert e.value.file is not None and "bad.json" in str(e.value.file)
