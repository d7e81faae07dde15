"""The synthetic demo study: files, formats, determinism and the planted truth."""

from __future__ import annotations

import csv
import importlib.resources
import io
import json

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from workbench import demo
from workbench.demo.generate import DEFAULT_INTERVIEWED
from workbench.demo import DIMENSIONS, SEGMENTS, SHARES_WAVE1, DemoSummary, generate_demo
from workbench.core.errors import OutputError, WorkbenchError
from workbench.study import load_study

SMALL = {"n_customers": 600, "n_respondents": 250}
BASIS_FLAGS = ["speeder", "straightliner", "breakoff", "out_of_range"]


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory):
    """The full-size demo study with the default seed, generated once."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    summary = generate_demo(folder)
    return folder, summary


@pytest.fixture(scope="session")
def small_twins(tmp_path_factory):
    """Two small studies with one seed and one with another seed."""
    root = tmp_path_factory.mktemp("twins")
    a = generate_demo(root / "a", seed=7, **SMALL).folder
    b = generate_demo(root / "b", seed=7, **SMALL).folder
    c = generate_demo(root / "c", seed=8, **SMALL).folder
    return a, b, c


@pytest.fixture(scope="session")
def wave1(demo_study):
    folder, _ = demo_study
    df = pd.read_csv(folder / "waves/1/responses.csv", sep=";", decimal=",", encoding="utf-8-sig")
    truth = pd.read_csv(folder / "truth/respondents_wave1.csv", keep_default_na=False)
    return df, truth


@pytest.fixture(scope="session")
def wave2(demo_study):
    folder, _ = demo_study
    df, meta = pyreadstat.read_sav(folder / "waves/2/responses.sav")
    truth = pd.read_csv(folder / "truth/respondents_wave2.csv", keep_default_na=False)
    return df, meta, truth


@pytest.fixture(scope="session")
def truth_json(demo_study):
    folder, _ = demo_study
    return json.loads((folder / "truth/truth.json").read_text(encoding="utf-8"))


def _clean(df, truth):
    keep = (truth[BASIS_FLAGS].sum(axis=1) == 0) & (truth["duplicate"] == 0)
    return df[keep.to_numpy()].reset_index(drop=True), truth[keep.to_numpy()].reset_index(drop=True)


def _basis_items(truth_json):
    return {it["item"]: dim for dim, items in truth_json["factors"]["items"].items() for it in items}


# --------------------------------------------------------------------------- files


def test_files_written_and_summary(demo_study):
    folder, summary = demo_study
    assert isinstance(summary, DemoSummary)
    for f in summary.files:
        assert (folder / f).is_file(), f
    assert summary.n_customers == 4000
    colleagues = {w: int(pd.read_csv(folder / f"truth/respondents_wave{w}.csv").query("submission == 1")["colleague"]
                         .sum()) for w in ("1", "2")}  # buying centres (issue 29): more respondents than customers
    n = DEFAULT_INTERVIEWED
    assert 0.2 * n <= colleagues["1"] <= 0.5 * n and 0.2 * n <= colleagues["2"] <= 0.5 * n
    assert summary.n_respondents == {"1": n + colleagues["1"], "2": n + colleagues["2"]}
    assert 2 <= summary.n_rows["1"] - summary.n_respondents["1"] <= 3  # two or three duplicate submissions
    assert summary.n_rows["2"] == summary.n_respondents["2"]
    assert 200_000 <= summary.n_order_lines <= 500_000
    assert summary.seconds > 0  # recorded; speed is measured in benchmarks/, not asserted here
    text = str(summary)
    assert "4000 customers" in text and f"wave 1: {summary.n_respondents['1']} respondents" in text
    # no temporary folder left next to the study
    assert [p.name for p in folder.parent.iterdir()] == ["demo"]


def test_study_yaml_is_the_packaged_definition_and_loads(demo_study):
    folder, _ = demo_study
    packaged = (importlib.resources.files("workbench") / "resources" / "demo_study.yaml").read_bytes()
    assert (folder / "study.yaml").read_bytes() == packaged
    study = load_study(folder)
    assert study.id == "demo"


def test_response_columns_match_the_study(demo_study, wave1, wave2):
    folder, _ = demo_study
    expected = load_study(folder).expected_columns()
    assert list(wave1[0].columns) == expected
    assert list(wave2[0].columns) == expected
    for pii in ("contact_name", "contact_email", "contact_phone"):
        assert wave1[0][pii].notna().all()
        assert (wave2[0][pii] != "").all()
    assert wave1[0]["contact_email"].str.contains("@").all()


def test_truth_lives_apart_from_the_data(demo_study, wave1, wave2, transactions):
    folder, summary = demo_study
    truth = [f for f in summary.files if "truth" in f.parts]
    assert truth and all(f.parts[0] == "truth" for f in truth)
    assert not any("truth" in f.parts for f in summary.files if f.parts[0] in ("waves", "behaviour"))
    customers = pd.read_csv(folder / "behaviour/customers.csv", keep_default_na=False)
    for frame in (wave1[0], wave2[0], transactions, customers):
        assert not any("segment" in c or c.startswith("f_") for c in frame.columns)


# --------------------------------------------------------------------------- formats


def test_wave1_csv_is_danish_excel(demo_study):
    folder, _ = demo_study
    raw = (folder / "waves/1/responses.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].split(b"\r\n", 1)[0].decode("utf-8")
    assert header.startswith("resp_id;customer_id;need_01;")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert {len(r) for r in rows} == {len(rows[0])}
    durations = [r[rows[0].index("duration_sec")] for r in rows[1:]]
    assert any(";" in v for r in rows for v in r)  # quoted semicolons in verbatims
    assert any("," in d for d in durations)  # decimal comma
    assert all("." not in d for d in durations)
    assert any(d.isdigit() for d in durations)  # whole seconds written without decimals


def test_sav_has_labels(wave2):
    df, meta, _ = wave2
    labels = dict(zip(meta.column_names, meta.column_labels))
    assert labels["need_01"] == "Competitive net prices are decisive for where we buy"
    assert meta.variable_value_labels["need_01"][98.0] == "Don't know"
    assert meta.variable_value_labels["out_01_sat"][99.0] == "Not applicable"
    assert meta.variable_value_labels["country"][3.0] == "Norway"
    assert df["verbatim_job"].dtype == object


@pytest.mark.parametrize("wave", ["1", "2"])
def test_special_characters_survive(wave, wave1, wave2):
    df = wave1[0] if wave == "1" else wave2[0]
    text = " ".join(df["verbatim_job"].fillna("")) + " " + " ".join(df["verbatim_improve"].fillna(""))
    for ch in "æøåöä":
        assert ch in text, ch
    assert "ĳ" in text and "ij" in text
    # the language follows the country
    no = df[df["country"] == 3]["verbatim_improve"].fillna("")
    assert no.str.contains("ikke|for|å", regex=True).mean() > 0.5
    nl = df[df["country"].isin([4, 5])]["verbatim_job"].fillna("")
    assert nl.str.contains(" de | het | we | wij | ons ", regex=True).mean() > 0.3


def test_some_verbatims_hold_contact_details(wave1):
    df, truth = wave1
    text = df["verbatim_job"].fillna("") + " " + df["verbatim_improve"].fillna("")
    has_pii = text.str.contains(r"@|\+\d\d ", regex=True)
    assert has_pii.sum() >= 20
    assert (has_pii.to_numpy() <= truth["verbatim_pii"].astype(bool).to_numpy()).all()
    blank = df["verbatim_job"].isna().mean()
    assert 0.10 < blank < 0.25


def test_customer_master(demo_study, wave1):
    folder, _ = demo_study
    raw = (folder / "behaviour/customers.csv").read_text(encoding="utf-8")
    assert ",NO," in raw  # Norway as a plain string
    cm = pd.read_csv(folder / "behaviour/customers.csv", keep_default_na=False)
    assert list(cm.columns) == ["customer_id", "customer_name", "country", "size_band", "industry",
                                "region", "first_order_date", "account_manager"]
    assert len(cm) == 4000 and cm["customer_id"].is_unique
    assert set(cm["country"]) == {"DK", "SE", "NO", "NL", "BE"}
    assert set(cm["account_manager"]) == {0, 1}
    names = " ".join(cm["customer_name"])
    for ch in "æøåöĳ":
        assert ch in names, ch
    assert set(wave1[0]["customer_id"]) <= set(cm["customer_id"])
    # the survey's country matches the master's
    merged = wave1[0][["customer_id", "country"]].dropna().merge(cm[["customer_id", "country"]], on="customer_id")
    iso = {1: "DK", 2: "SE", 3: "NO", 4: "NL", 5: "BE"}
    assert (merged["country_x"].map(iso) == merged["country_y"]).all()


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_files(small_twins):
    a, b, _ = small_twins
    for f in sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file()):
        if f.suffix == ".sav":
            da, ma = pyreadstat.read_sav(a / f)
            db, mb = pyreadstat.read_sav(b / f)
            pd.testing.assert_frame_equal(da, db)
            assert ma.variable_value_labels == mb.variable_value_labels
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_different_seed_gives_different_data(small_twins):
    a, _, c = small_twins
    for f in ("waves/1/responses.csv", "behaviour/transactions.csv", "truth/customers.csv"):
        assert (a / f).read_bytes() != (c / f).read_bytes(), f
    da, _ = pyreadstat.read_sav(a / "waves/2/responses.sav")
    dc, _ = pyreadstat.read_sav(c / "waves/2/responses.sav")
    assert not da.equals(dc)


# --------------------------------------------------------------------------- planted truth


def test_wave1_segment_shares(wave1, truth_json):
    _, truth = wave1
    first = truth[(truth["submission"] == 1) & (truth["colleague"] == 0)]  # the customers' own respondents
    assert first["resp_id"].is_unique
    shares = first["segment"].value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(shares.to_numpy(), SHARES_WAVE1, atol=0.01)
    assert list(truth_json["segments"].values()) == list(SEGMENTS)
    assert truth_json["shares"]["respondents_wave1"] == pytest.approx(dict(zip(SEGMENTS, SHARES_WAVE1)), abs=0.01)


def test_wave2_shares_shift_as_planted(wave1, wave2, truth_json, demo_study):
    s1 = wave1[1].query("submission == 1 and colleague == 0")["segment"].value_counts(normalize=True).sort_index()
    s2 = wave2[2].query("colleague == 0")["segment"].value_counts(normalize=True).sort_index()
    shift = (s2 - s1) * 100
    assert 4 <= shift[1] <= 8  # digital self-servers grow
    assert -7 <= shift[3] <= -3  # relationship-reliant installers shrink
    assert all(abs(shift[k]) <= 2 for k in (2, 4, 5))
    # implemented by customers migrating, recorded per customer
    folder, _ = demo_study
    tc = pd.read_csv(folder / "truth/customers.csv")
    moved = tc[tc["migrated"] == 1]
    assert (moved["segment_wave1"] != moved["segment_wave2"]).all()
    assert ((moved["segment_wave1"] == 3) & (moved["segment_wave2"] == 1)).sum() == 200
    assert truth_json["shares"]["customers_wave2"]["Digital self-servers"] == pytest.approx(0.32, abs=0.001)


def test_wave2_reinterviews_a_third_of_wave1(wave1, wave2):
    c1 = set(wave1[0]["customer_id"])
    own = (wave2[2]["colleague"] == 0).to_numpy()  # colleagues (issue 29) are new people of the same customers
    c2 = wave2[0]["customer_id"][own]
    again = c2.isin(c1)
    assert again.sum() == pytest.approx(0.35 * DEFAULT_INTERVIEWED, abs=5)
    assert (wave2[2]["reinterview"][own].astype(bool) == again).all()
    assert wave2[0]["resp_id"].str.match(r"^W2-\d{5}$").all()


def test_planted_factor_structure(wave1, truth_json):
    df, truth = _clean(*wave1)
    dims = _basis_items(truth_json)
    items = list(dims)
    assert len(items) == 24 and set(dims.values()) == set(DIMENSIONS)
    x = df[items].where(df[items] <= 5)
    r = x.corr().abs()
    within = [r.loc[a, b] for i, a in enumerate(items) for b in items[i + 1:] if dims[a] == dims[b]]
    between = [r.loc[a, b] for i, a in enumerate(items) for b in items[i + 1:] if dims[a] != dims[b]]
    assert min(within) > 0.35
    assert np.mean(within) > 2.5 * np.mean(between)
    assert np.mean(within) > max(between)
    raw = x.corr()
    assert raw.loc["need_12", "need_10"] < -0.3 and raw.loc["need_12", "need_11"] < -0.3
    assert [it["item"] for it in truth_json["factors"]["items"]["advice"]] == ["need_10", "need_11", "need_12"]
    assert truth_json["factors"]["items"]["advice"][2]["loading"] < 0
    assert [it["item"] for it in truth_json["factors"]["items"]["habit"]] == ["bar_04", "bar_05", "bar_06"]


def test_planted_scores_drive_the_answers(wave1, truth_json):
    df, truth = _clean(*wave1)
    for dim, items in truth_json["factors"]["items"].items():
        for it in items:
            x = df[it["item"]].where(df[it["item"]] <= 5)
            r = x.corr(truth[f"f_{dim}"])
            assert np.sign(r) == np.sign(it["loading"]) and abs(r) > 0.5, (dim, it["item"], r)


def test_segments_differ_on_the_basis(wave1):
    df, truth = _clean(*wave1)
    needs = ["need_01", "need_04", "need_07", "need_10"]
    means = df[needs].where(df[needs] <= 5).assign(segment=truth["segment"]).groupby("segment").mean()
    # each segment owns one needs dimension
    assert means["need_07"].idxmax() == 1
    assert means["need_01"].idxmax() == 2
    assert means["need_10"].idxmax() == 3
    assert means["need_04"].idxmax() == 4


def test_likert_answers_look_real(wave1):
    df, _ = _clean(*wave1)
    for c in ("need_01", "mot_04", "bar_06", "out_03_imp"):
        share = df[c][df[c] <= 5].value_counts(normalize=True)
        assert set(share.index) == {1, 2, 3, 4, 5}
        assert share.max() < 0.5


def test_jtbd_outcomes_follow_segments(wave1):
    df, truth = _clean(*wave1)
    out = [c for c in df.columns if c.startswith("out_")]
    valid = df[out].where(df[out] <= 5)
    g = valid.assign(segment=truth["segment"]).groupby("segment")
    imp, sat = g["out_01_imp"].mean(), g["out_01_sat"].mean()
    assert imp.idxmax() == 1 and sat.idxmin() == 1  # digital: fast repeat orders, unsatisfied
    assert g["out_08_imp"].mean().idxmax() == 3  # installers: quick technical answers
    assert g["out_04_imp"].mean().idxmax() == 4  # producers: error-free orders


def test_firmographics_follow_segments(wave1):
    df, truth = _clean(*wave1)
    df = df.assign(segment=truth["segment"])
    producers = df[df["segment"] == 4]
    assert (producers["industry"] == 2).mean() > 0.6  # manufacturing
    assert (producers["order_method"] == 1).mean() > 0.45  # EDI
    assert producers["size_band"].mean() > df["size_band"].mean()
    assert (df[df["segment"] == 3]["industry"] == 1).mean() > 0.6  # installers


# --------------------------------------------------------------------------- quality problems


def test_quality_problems_in_wave1(wave1):
    df, truth = wave1
    dup = df["resp_id"].duplicated(keep=False)
    assert 4 <= dup.sum() <= 6
    assert df["resp_id"].duplicated().sum() == (truth["submission"] == 2).sum()
    # the re-submission comes later in the file
    for rid in df.loc[dup, "resp_id"].unique():
        rows = truth.index[truth["resp_id"] == rid]
        assert list(truth.loc[rows, "submission"]) == [1, 2]
    coded = [c for c in df.columns if c.startswith(("need_", "mot_", "bar_"))]
    n_oor = int(df[coded].isin([6, 7]).sum().sum())
    assert 2 <= n_oor <= 4 and truth["out_of_range"].sum() == n_oor
    median = df["duration_sec"].median()
    speed = truth["speeder"] == 1
    assert 0.015 < speed.mean() < 0.025
    assert (df.loc[speed.to_numpy(), "duration_sec"] < median / 3).all()
    assert (df.loc[~speed.to_numpy(), "duration_sec"] >= median / 3).all()
    assert 450 < median < 750
    straight = (truth["straightliner"] == 1).to_numpy()
    assert 0.015 < straight.mean() < 0.025
    assert (df.loc[straight, coded].nunique(axis=1) == 1).all()
    assert (df.loc[~straight, [c for c in coded if c.startswith("need_")]].nunique(axis=1) > 1).mean() > 0.97
    grid = [c for c in df.columns if c.startswith(("need_", "mot_", "bar_", "out_"))]
    x = df[grid]
    assert 0.02 < x.isna().mean().mean() < 0.05
    assert 0.01 < (x == 98).mean().mean() < 0.03
    sat = [c for c in grid if c.endswith("_sat")]
    assert (df[sat] == 99).sum().sum() > 20
    half = x.isna().mean(axis=1) > 0.5
    assert 3 <= half.sum() <= 18  # the customers' own respondents' break-offs and their colleagues' (issue 29)
    assert (half.to_numpy() == truth["breakoff"].astype(bool).to_numpy()).all()


def test_wave2_has_no_duplicates_or_stray_codes(wave2):
    df, _, truth = wave2
    assert df["resp_id"].is_unique
    coded = [c for c in df.columns if c.startswith(("need_", "mot_", "bar_"))]
    assert not df[coded].isin([6, 7]).any().any()
    assert truth["speeder"].sum() > 15 and truth["straightliner"].sum() > 15


# --------------------------------------------------------------------------- behaviour


@pytest.fixture(scope="session")
def transactions(demo_study):
    folder, _ = demo_study
    return pd.read_csv(folder / "behaviour/transactions.csv", keep_default_na=False)


def test_transactions_format_and_span(demo_study, transactions):
    folder, _ = demo_study
    mapping = load_study(folder).spec.behaviour.transactions
    assert list(transactions.columns) == list(mapping.columns.values())
    assert set(transactions["channel"]) == set(mapping.channels.values())
    dates = pd.to_datetime(transactions["order_date"], format="%Y-%m-%d")
    assert dates.min() <= pd.Timestamp("2024-10-07") and dates.min() >= pd.Timestamp("2024-10-01")
    assert dates.max() <= pd.Timestamp("2026-09-30") and dates.max() >= pd.Timestamp("2026-09-24")
    assert (dates.dt.dayofweek < 5).all()
    assert set(transactions["category"]) == set(demo.CATEGORIES)


def test_transactions_contain_returns(transactions):
    ret = transactions["net_value_eur"] < 0
    assert 0.02 <= ret.mean() <= 0.03
    assert (transactions.loc[ret, "quantity"] < 0).all()
    assert not set(transactions.loc[ret, "order_id"]) & set(transactions.loc[~ret, "order_id"])


def test_behaviour_follows_segments(demo_study, transactions):
    folder, _ = demo_study
    tc = pd.read_csv(folder / "truth/customers.csv")
    tx = transactions.merge(tc[["customer_id", "segment_wave1", "migrated"]], on="customer_id")
    tx = tx[(tx["net_value_eur"] > 0) & (tx["migrated"] == 0)]
    orders = tx.groupby(["segment_wave1", "order_id"]).agg(value=("net_value_eur", "sum"), channel=("channel", "first"))
    value = orders.groupby(level=0)["value"].mean()
    assert value.idxmax() == 4  # producers buy big
    per_customer = orders.groupby(level=0).size() / tc["segment_wave1"].value_counts()
    assert per_customer.idxmin() == 5  # occasional small buyers are rare
    digital = orders.reset_index().groupby("segment_wave1")["channel"].apply(lambda s: s.isin(["EDI", "Webshop"]).mean())
    assert digital[1] > 0.8 and digital[3] < 0.35
    # cost to serve is highest for the occasional buyers
    costs = tx.groupby("segment_wave1")[["delivery_cost_eur", "handling_cost_eur", "net_value_eur"]].sum()
    cts = (costs["delivery_cost_eur"] + costs["handling_cost_eur"]) / costs["net_value_eur"]
    assert cts.idxmax() == 5
    # some lapsed customers, some who bought once, some with no orders at all
    last = pd.to_datetime(transactions.groupby("customer_id")["order_date"].max())
    assert (last < pd.Timestamp("2026-07-02")).sum() > 100
    assert (transactions[transactions["net_value_eur"] > 0].groupby("customer_id")["order_id"].nunique() == 1).sum() > 50
    assert 0 < 4000 - transactions["customer_id"].nunique() < 300


# --------------------------------------------------------------------------- writing safely


def test_existing_folder_needs_force(tmp_path):
    folder = tmp_path / "study"
    generate_demo(folder, **SMALL)
    before = (folder / "waves/1/responses.csv").read_bytes()
    with pytest.raises(OutputError, match=r"already holds demo files .*pass force=True \(--force\)"):
        generate_demo(folder, seed=99, **SMALL)
    assert (folder / "waves/1/responses.csv").read_bytes() == before
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    generate_demo(folder, seed=99, force=True, **SMALL)
    assert (folder / "waves/1/responses.csv").read_bytes() != before
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


def test_failed_generation_leaves_nothing(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    from workbench.demo import generate as generator  # the module whose generate_demo writes the files

    monkeypatch.setattr(generator, "_write_sav", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        generate_demo(tmp_path / "study", **SMALL)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_customers": 50}, "n_customers must be a whole number of at least 200"),
        ({"n_respondents": 2.5}, "n_respondents must be a whole number"),
        ({"n_customers": 1000, "n_respondents": 600}, r"at most half of n_customers \(1000\)"),
    ],
)
def test_bad_sizes(tmp_path, kwargs, match):
    with pytest.raises(WorkbenchError, match=match):
        generate_demo(tmp_path / "study", **kwargs)
    assert not (tmp_path / "study").exists()


def test_planted_buying_centres(demo_study, wave1, truth_json):
    """Issue 29: a quarter of the interviewed customers have colleagues answering too; each such
    account is of a planted buying-centre type, and its colleagues' segments follow the type's mix."""
    from workbench.demo.accounts import ACCOUNT_MIX, ACCOUNT_TYPES

    folder, _ = demo_study
    df, truth = wave1
    acc = pd.read_csv(folder / "truth/accounts_wave1.csv")
    per = df.drop_duplicates("resp_id")["customer_id"].value_counts()
    several = set(per.index[per > 1])
    assert several == set(acc["customer_id"])
    assert 0.2 <= len(several) / len(per) <= 0.3
    assert (per.reindex(acc["customer_id"]).to_numpy() == acc["respondents"].to_numpy()).all()
    col = truth[(truth["colleague"] == 1) & (truth["submission"] == 1)].merge(acc, on="customer_id")
    for m, t in enumerate(ACCOUNT_TYPES, start=1):
        mix = col.loc[col["account_class"] == m, "segment"].value_counts(normalize=True).reindex(range(1, 6),
                                                                                                  fill_value=0)
        np.testing.assert_allclose(mix.to_numpy(), ACCOUNT_MIX[m - 1], atol=0.1)
        assert truth_json["accounts"]["wave1"]["accounts"][t] == int((acc["account_class"] == m).sum())
