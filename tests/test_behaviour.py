"""Behavioural features: every feature against a hand computation on a small table with
known answers, the real CDNOW transaction history (shipped in the `lifetimes` wheel)
against its published summary, bad input named by file/row/column, the join and match
report, and the step in the flow on the demo study."""

from __future__ import annotations

import datetime as dt
import textwrap
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.behaviour import (
    MATCH_STATUSES,
    compute_behaviour,
    customer_features,
    match_respondents,
)
from workbench.core.errors import DataError, StudyError
from workbench.study import BehaviourSpec, load_study

REF = dt.date(2026, 3, 31)

STUDY = textwrap.dedent(
    """\
    study: {name: "Mini: adfærd i Århus", id: beh}
    respondent_id: rid
    customer_id: kunde
    waves:
      - {id: "1", files: [w1.csv], fieldwork_start: 2026-03-02, fieldwork_end: 2026-03-27, reference_date: 2026-03-31}
    scales:
      land: {type: nominal, codes: {1: Danmark, 2: Sverige, 3: Norge}}
      size: {type: ordinal, codes: {1: Små, 2: Mellem, 3: Store}}
      modenhed: {type: ordinal, codes: {1: Papir, 2: Mail, 3: Webshop, 4: Webshop altid, 5: ERP}}
    blocks:
      firmo:
        kind: firmographics
        questions:
          - {id: land, text: Land, scale: land}
          - {id: size, text: Størrelse, scale: size}
          - {id: digital, text: "Hvor digitalt køber I?", scale: modenhed}
    behaviour:
      transactions:
        file: tx.csv
        columns: {customer_id: kunde_nr, order_id: ordre, date: dato, value: beløb, channel: kanal,
                  delivery_cost: fragt, handling_cost: håndtering, status: status, quantity: antal}
        date_format: ISO
        channels: {W: Webshop, T: Phone, E: EDI}
        cancelled: [X]
      customers:
        file: kunder.csv
        key: kunde_nr
        columns: {land: land, size: str}
        values: {land: {DK: Danmark, SE: Sverige, "NO": Norge}}
        first_order: første_ordre
      window_months: 12
      trend_months: 6
      lapsed_days: 90
      rfm: {bins: 5, ties: rank, tiers: {rule: score_sum, gold: 11, silver: 7}}
      cost_to_serve: {measure: share_of_revenue, rule: tertiles}
      digital: {channels: [EDI, Webshop], question: digital, declared_weight: 0.5}
    """
)

# customer, order, date, value, channel, delivery, handling, status, quantity
LINES = [
    ("A", "o1", "2026-03-01", 100, "W", 4, 1, "", 2),
    ("A", "o1", "2026-03-01", 50, "W", 4, 1, "", 1),
    ("A", "o2", "2025-12-15", 200, "T", 6, 4, "", 5),
    ("A", "o3", "2025-06-10", 80, "W", 4, 1, "", 1),
    ("A", "r1", "2026-03-10", -50, "W", 0, 3, "", -1),  # a return: its own order, negative
    ("B", "o4", "2025-11-20", 500, "E", 2, 1, "", 10),  # a single order
    ("C", "o5", "2024-12-01", 120, "W", 4, 1, "", 3),  # no order in the window
    ("D", "o6", "2026-02-01", 100, "T", 5, 5, "", 1),
    ("D", "o7", "2026-01-10", 300, "T", 5, 5, "X", 1),  # cancelled: dropped
    ("D", "o8", "2026-04-05", 999, "W", 5, 5, "", 1),  # after the reference date: not seen
    ("F", "o9", "2026-03-20", 100, "W", 4, 1, "", 2),  # not in the customer master
]
MASTER = [
    ("kunde_nr", "land", "str", "første_ordre"),
    ("A", "DK", "Mellem", "2020-01-15"),
    ("B", "SE", "små", "2025-11-20"),  # labels match case-insensitively
    ("C", "NO", "3", "2024-06-01"),  # a code is accepted too
    ("D", "DK", "Store", ""),
    ("E", "SE", "Små", "2023-05-05"),  # a customer without any order
    ("G", "NO", "Små", "2026-05-01"),  # first order after the reference date
]
RESPONDENTS = [
    ("rid", "kunde", "land", "size", "digital"),
    ("r1", "A", "1", "2", "5"),
    ("r2", "B", "2", "1", "1"),
    ("r3", "C", "3", "3", "3"),
    ("r4", "E", "2", "1", ""),
    ("r5", "G", "3", "1", "2"),
    ("r6", "Z999", "1", "1", "4"),
    ("r7", "", "1", "2", "4"),
    ("r8", "A", "1", "2", "4"),
    ("r9", "F", "2", "2", "2"),
]
TX_HEADER = ("kunde_nr", "ordre", "dato", "beløb", "kanal", "fragt", "håndtering", "status", "antal")


def _csv(rows, sep=","):
    return "\n".join(sep.join(str(c) for c in r) for r in rows) + "\n"


def write_study(folder: Path, *, study=STUDY, lines=LINES, master=MASTER, tx_text=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(study, encoding="utf-8")
    (folder / "tx.csv").write_text(tx_text if tx_text is not None else _csv([TX_HEADER, *lines]), encoding="utf-8")
    (folder / "kunder.csv").write_text(_csv(master), encoding="utf-8")
    (folder / "w1.csv").write_text(_csv(RESPONDENTS), encoding="utf-8")
    return folder


@pytest.fixture
def small(tmp_path):
    return write_study(tmp_path / "beh")


@pytest.fixture
def feats(small):
    study = load_study(small)
    return customer_features(study.spec.behaviour, small, REF, survey_columns=study.columns).table


def days(a: dt.date, b: dt.date = REF) -> int:
    return (b - a).days


# --------------------------------------------------------------------------- hand computation


def test_base_holds_every_customer_known_on_the_reference_date(feats):
    # G first orders after the reference date: not yet a customer; F has orders but no master row
    assert list(feats.index) == ["A", "B", "C", "D", "E", "F"]
    assert feats.loc["F", "in_master"] == False and feats.loc["E", "in_transactions"] == False  # noqa: E712
    assert feats.loc["A", "land"] == "Danmark" and feats.loc["C", "land"] == "Norge"
    assert feats.loc["B", "size"] == "Små" and feats.loc["C", "size"] == "Store"
    assert pd.isna(feats.loc["F", "land"])


def test_recency_frequency_monetary_by_hand(feats):
    a = feats.loc["A"]
    # purchases o1 (150), o2 (200), o3 (80); the return r1 (-50) is not a purchase
    assert a["frequency"] == 3
    assert a["gross_revenue"] == pytest.approx(430)
    assert a["returns_value"] == pytest.approx(50)
    assert a["revenue"] == pytest.approx(380)
    assert a["aov"] == pytest.approx(380 / 3)
    assert a["return_rate"] == pytest.approx(50 / 430)
    assert a["units"] == pytest.approx(2 + 1 + 5 + 1 - 1)
    assert a["recency_days"] == days(dt.date(2026, 3, 1))
    assert a["tenure_days"] == days(dt.date(2020, 1, 15))  # from the master's first order
    # trend: recent 6 months (after 2025-09-30) 150 + 200 - 50, previous 6 months 80
    assert a["revenue_recent"] == pytest.approx(300) and a["revenue_previous"] == pytest.approx(80)
    assert a["trend"] == pytest.approx((300 - 80) / (300 + 80))
    b = feats.loc["B"]  # a single order, more than 90 days ago
    assert (b["frequency"], b["revenue"], b["recency_days"]) == (1, 500, days(dt.date(2025, 11, 20)))
    assert b["lapsed"] == True and b["active"] == True  # noqa: E712
    assert b["trend"] == pytest.approx(1.0)  # everything in the last six months
    c = feats.loc["C"]  # no order in the window
    assert (c["frequency"], c["revenue"]) == (0, 0)
    assert c["recency_days"] == days(dt.date(2024, 12, 1)) and c["lapsed"] == True  # noqa: E712
    assert c["active"] == False and pd.isna(c["aov"]) and pd.isna(c["trend"])  # noqa: E712
    assert c["tenure_days"] == days(dt.date(2024, 6, 1))  # master's date is the earlier one
    d = feats.loc["D"]  # the cancelled order and the one after the reference date do not count
    assert (d["frequency"], d["revenue"], d["tenure_days"]) == (1, 100, days(dt.date(2026, 2, 1)))
    f = feats.loc["F"]  # not in the master: tenure from its first purchase
    assert f["tenure_days"] == days(dt.date(2026, 3, 20)) and f["recency_days"] == 11
    e = feats.loc["E"]  # in the master, never ordered
    assert e["frequency"] == 0 and pd.isna(e["recency_days"]) and pd.isna(e["lapsed"])
    assert e["tenure_days"] == days(dt.date(2023, 5, 5))


def test_rfm_scores_and_tiers_by_hand_with_ties_at_the_boundaries(feats):
    # five scored customers and five bins: a score is the position in ascending order.
    # R by last purchase: C, B, D, A, F.  F by frequency: C(0), then D, F, B all once:
    # ties broken by revenue (D, F 100 < B 500), then by last purchase (D before F); A(3).
    # M by revenue: C 0, D 100, F 100 (tie: same frequency, D bought earlier), A 380, B 500.
    want = {"A": (4, 5, 4), "B": (2, 4, 5), "C": (1, 1, 1), "D": (3, 2, 2), "F": (5, 3, 3)}
    for cid, (r, f, m) in want.items():
        assert tuple(feats.loc[cid, ["r_score", "f_score", "m_score"]]) == (r, f, m), cid
    # gold >= 11, silver >= 7: B and F sit exactly on the gold line, D on the silver line
    tiers = feats["rfm_tier"].astype(str).to_dict()
    assert tiers == {"A": "gold", "B": "gold", "C": "bronze", "D": "silver", "E": "no purchases", "F": "gold"}
    assert pd.isna(feats.loc["E", "r_score"])


def test_naive_quantile_binning_fails_on_these_ties_and_rank_ties_do_not(feats):
    scored = feats.dropna(subset=["r_score"])
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(scored["frequency"], 5, labels=False)
    assert sorted(scored["f_score"]) == [1, 2, 3, 4, 5]


def test_equal_ties_share_a_score(small):
    spec = load_study(small).spec.behaviour
    spec = spec.model_copy(update={"rfm": spec.rfm.model_copy(update={"ties": "equal"})})
    t = customer_features(spec, small, REF).table
    # frequencies C 0, B/D/F 1, A 3: the three tied customers share position 2 -> 1 + 5*1//5 = 2
    assert t.loc[["C", "B", "D", "F", "A"], "f_score"].tolist() == [1, 2, 2, 2, 5]
    assert t.loc[["C", "D", "F", "A", "B"], "m_score"].tolist() == [1, 2, 2, 4, 5]


def test_revenue_share_tiers_keep_equal_revenues_together(small):
    spec = load_study(small).spec.behaviour
    tiers = spec.rfm.tiers.model_copy(update={"rule": "revenue_share", "gold": 0.5, "silver": 0.9})
    spec = spec.model_copy(update={"rfm": spec.rfm.model_copy(update={"tiers": tiers})})
    t = customer_features(spec, small, REF).table["rfm_tier"].astype(str)
    # revenue B 500, A 380, D 100, F 100, C 0 (total 1080): above-B 0 and above-A 500 < 540 -> gold;
    # above D and F (equal) 880 < 972 -> both silver; C bronze
    assert t.to_dict() == {"A": "gold", "B": "gold", "C": "bronze", "D": "silver", "E": "no purchases", "F": "silver"}


def test_channel_mix_digital_share_and_cost_to_serve_by_hand(feats):
    a = feats.loc["A"]
    assert a["orders_share_webshop"] == pytest.approx(2 / 3) and a["orders_share_phone"] == pytest.approx(1 / 3)
    assert a["orders_share_edi"] == 0
    assert a["revenue_share_webshop"] == pytest.approx((150 - 50 + 80) / 380)
    assert a["revenue_share_phone"] == pytest.approx(200 / 380)
    assert a["dominant_channel"] == "Webshop" and a["digital_share"] == pytest.approx(2 / 3)
    assert feats.loc["B", "dominant_channel"] == "EDI" and feats.loc["B", "digital_share"] == 1
    assert feats.loc["D", "digital_share"] == 0 and pd.isna(feats.loc["C", "dominant_channel"])
    # costs: o1 2 x (4 + 1), o2 6 + 4, o3 4 + 1, return handling 3
    assert a["cost_to_serve"] == pytest.approx(28)
    assert a["cost_per_order"] == pytest.approx(28 / 3) and a["cost_share"] == pytest.approx(28 / 380)
    # cost shares: B 3/500, F 5/100, A 28/380, D 10/100 -> tertiles of four by rank: low, low, medium, high
    assert feats["cost_tier"].astype(str).to_dict() == {
        "A": "medium", "B": "low", "C": "nan", "D": "high", "E": "nan", "F": "low"}


def test_thresholds_rule_puts_a_value_on_a_threshold_in_the_higher_tier(small):
    spec = load_study(small).spec.behaviour
    cts = spec.cost_to_serve.model_copy(update={"rule": "thresholds", "thresholds": [0.05, 0.1]})
    t = customer_features(spec.model_copy(update={"cost_to_serve": cts}), small, REF).table
    assert t["cost_tier"].astype(str).to_dict() == {
        "A": "medium", "B": "low", "C": "nan", "D": "high", "E": "nan", "F": "medium"}


def test_returns_excluded_counts_gross_revenue(small):
    spec = load_study(small).spec.behaviour
    spec = spec.model_copy(update={"transactions": spec.transactions.model_copy(update={"returns": "exclude"})})
    a = customer_features(spec, small, REF).table.loc["A"]
    assert a["revenue"] == pytest.approx(430) and a["returns_value"] == pytest.approx(50)


def test_lines_report_counts_what_was_set_aside(small):
    study = load_study(small)
    lines = customer_features(study.spec.behaviour, small, REF).lines["n"]
    assert lines["lines read"] == 11
    assert lines["cancelled lines (dropped)"] == 1
    assert lines["lines after the reference date (not seen)"] == 1
    assert lines["return orders (negative lines only)"] == 1
    assert lines["lines used"] == 9
    assert lines["master customers first ordering after the reference date"] == 1


def test_a_later_reference_date_sees_later_behaviour(small):
    spec = load_study(small).spec.behaviour
    later = customer_features(spec, small, dt.date(2026, 4, 30)).table
    assert later.loc["D", "frequency"] == 2 and later.loc["D", "revenue"] == pytest.approx(1099)
    assert later.loc["D", "recency_days"] == 25


def test_danish_csv_and_parquet_give_identical_features(small, tmp_path, feats):
    # ';' separated, decimal comma, dates as dd-mm-yyyy
    rows = [TX_HEADER] + [
        (c, o, dt.date.fromisoformat(d).strftime("%d-%m-%Y"), str(float(v)).replace(".", ","), ch,
         str(float(dc)).replace(".", ","), str(float(hc)).replace(".", ","), s, q)
        for c, o, d, v, ch, dc, hc, s, q in LINES
    ]
    dk_study = STUDY.replace("date_format: ISO", 'date_format: "%d-%m-%Y"\n    delimiter: ";"\n    decimal: ","')
    dk = write_study(tmp_path / "dk", study=dk_study, tx_text=_csv(rows, ";"))
    s = load_study(dk)
    pd.testing.assert_frame_equal(customer_features(s.spec.behaviour, dk, REF, survey_columns=s.columns).table, feats)
    # parquet with the dates as text in the Danish format
    pq = tmp_path / "pq"
    write_study(pq, study=dk_study.replace("file: tx.csv", "file: tx.parquet"))
    frame = pd.read_csv(dk / "tx.csv", sep=";", decimal=",", dtype={"status": str}, keep_default_na=False)
    frame.to_parquet(pq / "tx.parquet", index=False)
    s = load_study(pq)
    pd.testing.assert_frame_equal(customer_features(s.spec.behaviour, pq, REF, survey_columns=s.columns).table, feats)


def test_same_input_same_numbers(small, feats):
    s = load_study(small)
    again = customer_features(s.spec.behaviour, small, REF, survey_columns=s.columns, threads=1)
    pd.testing.assert_frame_equal(again.table, feats)


# --------------------------------------------------------------------------- the join


def test_match_report_keeps_everyone_and_says_why(small):
    study = load_study(small)
    b = compute_behaviour(study, "1")
    r = b.respondents
    assert list(r.index) == [f"r{i}" for i in range(1, 10)]
    status = r["match"].astype(str).to_dict()
    assert status == {
        "r1": "matched", "r2": "matched", "r3": "matched", "r4": "in customer base, no purchases",
        "r5": "customer only after the reference date", "r6": "customer id not in the customer base",
        "r7": "no customer id", "r8": "matched", "r9": "matched",
    }
    assert r.loc[["r1", "r8"], "duplicate_key"].all() and not r.loc["r2", "duplicate_key"]
    assert r.loc["r1", "revenue"] == pytest.approx(380) and np.isnan(r.loc["r6", "revenue"])
    # the one renderer (workbench.core.summary): the headline, then the base's numbers and the match report
    assert str(b).splitlines()[0].endswith("; 5 of 9 respondents matched") and "\nJoin:\n" in str(b)
    assert "<p>Join</p>" in b._repr_html_() and "customer id not in the customer base" in b._repr_html_()
    m = b.match.set_index(["group", "status"])["n"]
    assert m[("respondents", "matched")] == 5
    assert m[("respondents", "sharing a customer id with another respondent")] == 2
    assert m[("customers", "in the customer base")] == 6
    assert m[("customers", "surveyed (respondents)")] == 5  # A, B, C, E, F
    assert m[("customers", "not surveyed (non-respondents)")] == 1  # D is kept
    assert m[("customers", "with orders but not in the customer master")] == 1
    assert set(b.unmatched.index) == {"r1", "r4", "r5", "r6", "r7", "r8"}
    assert len(b.customers) == 6  # the non-respondent D is not dropped


def test_digital_maturity_combines_declared_and_observed(small):
    r = compute_behaviour(load_study(small), "1").respondents
    # r1: answer 5 on 1..5 -> 1.0, observed 2/3 -> half of each
    assert r.loc["r1", "digital_maturity"] == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)
    # r2: answer 1 -> 0.0, observed EDI only -> 1.0
    assert r.loc["r2", "digital_maturity"] == pytest.approx(0.5)
    # r4: no answer and no purchases -> missing; r6: declared only (answer 4 -> 0.75)
    assert np.isnan(r.loc["r4", "digital_maturity"]) and r.loc["r6", "digital_maturity"] == pytest.approx(0.75)
    # r3: C bought nothing in the window (no observed share) -> declared only (3 -> 0.5)
    assert r.loc["r3", "digital_maturity"] == pytest.approx(0.5)


def test_match_respondents_on_plain_frames():
    customers = pd.DataFrame({"last_purchase": [pd.Timestamp("2026-01-01"), pd.NaT], "frequency": [2, 0]},
                             index=pd.Index(["1001", "1002"], name="customer_id"))
    survey = pd.DataFrame({"cid": [1001.0, 1002.0, np.nan]}, index=pd.Index(["a", "b", "c"], name="rid"))
    r, match, unmatched = match_respondents(customers, survey, "cid")
    assert r["match"].astype(str).tolist() == [MATCH_STATUSES[0], MATCH_STATUSES[1], MATCH_STATUSES[4]]
    assert r.loc["a", "frequency"] == 2 and list(unmatched.index) == ["b", "c"]


# --------------------------------------------------------------------------- bad input


def _bad(tmp_path, lines=None, study=STUDY, master=MASTER):
    return write_study(tmp_path / "bad", study=study, lines=lines or LINES, master=master)


def _features(folder):
    s = load_study(folder)
    return customer_features(s.spec.behaviour, folder, REF, survey_columns=s.columns)


def test_unparseable_date_names_file_row_and_column(tmp_path):
    lines = list(LINES)
    lines[5] = ("B", "o4", "2025-11-31", 500, "E", 2, 1, "", 10)
    with pytest.raises(DataError, match=r"tx.csv, row 7, column 'dato': found '2025-11-31' where a date in YYYY-MM-DD"):
        _features(_bad(tmp_path, lines))


def test_unparseable_date_in_parquet_names_the_record(tmp_path):
    folder = _bad(tmp_path, study=STUDY.replace("file: tx.csv", "file: tx.parquet"))
    frame = pd.DataFrame(LINES, columns=TX_HEADER).astype({"dato": str})
    frame.loc[3, "dato"] = "10/06/2025"
    frame.to_parquet(folder / "tx.parquet", index=False)
    with pytest.raises(DataError, match=r"tx.parquet, row 4, column 'dato': found '10/06/2025' where a date"):
        _features(folder)


def test_text_in_a_value_column(tmp_path):
    lines = list(LINES)
    lines[2] = ("A", "o2", "2025-12-15", "2OO", "T", 6, 4, "", 5)
    with pytest.raises(DataError, match=r"row 4, column 'beløb': found '2OO' where a number is expected \(value\)"):
        _features(_bad(tmp_path, lines))


def test_unknown_channel_code(tmp_path):
    lines = list(LINES)
    lines[6] = ("C", "o5", "2024-12-01", 120, "FAX", 4, 1, "", 3)
    with pytest.raises(DataError, match=r"row 8, column 'kanal': unknown channel code 'FAX' \(1 line;.*declared codes are W, T, E"):
        _features(_bad(tmp_path, lines))


def test_missing_customer_id(tmp_path):
    lines = list(LINES)
    lines[9] = ("", "o8", "2026-04-05", 999, "W", 5, 5, "", 1)
    with pytest.raises(DataError, match=r"tx.csv, row 11, column 'kunde_nr': a line without a customer id"):
        _features(_bad(tmp_path, lines))


def test_more_than_one_currency(tmp_path):
    study = STUDY.replace("status: status, quantity: antal}", "status: status, quantity: antal, currency: valuta}") \
        .replace("cancelled: [X]", "cancelled: [X]\n    currency: DKK")
    folder = write_study(tmp_path / "cur", study=study)
    rows = [TX_HEADER + ("valuta",)] + [line + ("DKK",) for line in LINES]
    rows[4] = rows[4][:-1] + ("EUR",)
    (folder / "tx.csv").write_text(_csv(rows), encoding="utf-8")
    with pytest.raises(DataError, match=r"row 5, column 'valuta': found currency 'EUR' where DKK is declared; the file holds 2 currencies"):
        _features(folder)


def test_file_without_the_mapped_column(tmp_path):
    folder = _bad(tmp_path)
    text = (folder / "tx.csv").read_text(encoding="utf-8").replace("beløb", "belob", 1)
    (folder / "tx.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"tx.csv, column 'beløb': the transactions file has no column 'beløb' \(mapped as value.*did you mean 'belob'"):
        _features(folder)


def test_master_value_without_a_label(tmp_path):
    master = list(MASTER)
    master[3] = ("C", "FI", "3", "2024-06-01")
    with pytest.raises(DataError, match=r"kunder.csv, row 4, column 'land': found 'FI' where a label of the survey question 'land'"):
        _features(_bad(tmp_path, master=master))


def test_master_with_a_duplicate_customer(tmp_path):
    master = list(MASTER) + [("B", "SE", "Små", "2025-11-20")]
    with pytest.raises(DataError, match=r"kunder.csv, row 8, column 'kunde_nr': customer 'B' appears 2 times \(rows 3, 8\)"):
        _features(_bad(tmp_path, master=master))


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("columns: {customer_id: kunde_nr,", "columns: {kunde: kunde_nr,",
         r"behaviour.transactions.columns: unknown column role 'kunde'"),
        ("date_format: ISO", "date_format: DD-MM-YYYY",
         r"behaviour.transactions.date_format: date format 'DD-MM-YYYY' is neither 'ISO' nor a strftime pattern"),
        ("channels: [EDI, Webshop]", "channels: [EDI, Web]",
         r"behaviour.digital.channels\[1\]: unknown channel 'Web' \(did you mean 'Webshop'\?\)"),
        ("gold: 11, silver: 7", "gold: 7, silver: 11", r"behaviour.rfm.tiers.silver: silver \(11\) is above gold \(7\)"),
        ("rule: tertiles}", "rule: thresholds}", r"behaviour.cost_to_serve.thresholds: rule 'thresholds' needs two"),
        ("lapsed_days: 90", "lapsed_days: 90\n  lapsed: 60", r"behaviour.lapsed: unknown key"),
        ("cancelled: [X]", "cancelled: [X]\n    returns: ignore", r"behaviour.transactions.returns: got 'ignore'"),
    ],
)
def test_behaviour_section_is_validated_with_key_paths(tmp_path, old, new, message):
    folder = write_study(tmp_path / "s", study=STUDY.replace(old, new))
    with pytest.raises(StudyError) as err:
        load_study(folder)
    assert any(__import__("re").search(message, p) for p in err.value.problems), err.value.problems


def test_weighting_needs_known_variables(tmp_path):
    folder = write_study(tmp_path / "w", study=STUDY + "weighting: {variables: [land, rfm_teir]}\n")
    with pytest.raises(StudyError) as err:
        load_study(folder)
    assert any("weighting.variables[1]: unknown raking variable 'rfm_teir' (did you mean 'rfm_tier'?)" in p
               for p in err.value.problems)


# --------------------------------------------------------------------------- real data: CDNOW


def _lifetimes_file(name: str) -> Path:
    dist = metadata.distribution("lifetimes")
    path = Path(dist.locate_file(f"lifetimes/datasets/{name}"))
    assert path.exists(), f"{name} is not in the installed lifetimes wheel"
    return path


def _cdnow_spec(file: str, window_months: int = 12) -> BehaviourSpec:
    return BehaviourSpec.model_validate({
        "transactions": {"file": file, "columns": {"customer_id": "id", "date": "date", "value": "value"},
                         "date_format": "%Y%m%d"},
        "window_months": window_months,
    })


@pytest.mark.slow
def test_cdnow_sample_reproduces_the_published_summary(tmp_path):
    """CDNOW (Fader, Hardie & Lee 2005): the 1/10 sample's 2,357 customers, calibration period
    1997-01-01..1997-09-30. The package's published summary gives, per customer, x = repeat
    purchases (same-day purchases are one), t_x = week of the last purchase and T = weeks
    observed, both from the first purchase. Without an order id, one customer-day is one
    order, so frequency = x + 1, recency and tenure give t_x and T."""
    raw = pd.read_csv(_lifetimes_file("CDNOW_sample.txt"), sep=r"\s+", header=None, dtype=str,
                      names=["master_id", "id", "date", "cds", "value"])
    raw["id"] = raw["id"].astype(int).astype(str)  # '0001' is customer 1 of the published summary
    raw.to_csv(tmp_path / "cdnow.csv", index=False)  # dates stay as written: yyyymmdd
    t = customer_features(_cdnow_spec("cdnow.csv"), tmp_path, "1997-09-30").table
    published = pd.read_csv(_lifetimes_file("cdnow_customers_summary_with_transactions.csv"), dtype={"ID": str})
    published = published.set_index("ID")
    assert len(t) == len(published) == 2357
    t = t.reindex(published.index)
    np.testing.assert_array_equal(t["frequency"] - 1, published["x"])
    np.testing.assert_allclose((t["tenure_days"] - t["recency_days"]).astype(float) / 7, published["t_x"], atol=0.0051)
    np.testing.assert_allclose(t["tenure_days"].astype(float) / 7, published["T"], atol=0.0051)
    # zbar: mean value of the repeat purchases, from an independent pandas computation of
    # the first day's value: (revenue - first day) / x
    cal = raw.assign(value=raw["value"].astype(float), date=pd.to_datetime(raw["date"], format="%Y%m%d"))
    cal = cal[cal["date"] <= "1997-09-30"]
    first_day = cal.groupby(["id", "date"])["value"].sum().groupby(level=0).first()
    rep = published["x"] > 0
    zbar = (t["revenue"] - first_day.reindex(t.index)) / published["x"]
    np.testing.assert_allclose(zbar[rep], published.loc[rep, "zbar"], atol=0.0051)


@pytest.mark.slow
def test_cdnow_master_where_most_customers_bought_once(tmp_path):
    """The full CDNOW history (69,659 lines, 23,570 customers): most customers bought once,
    where naive quintiles fail; rank ties give five equal-sized F quintiles, matching an
    independent numpy computation of the documented rule."""
    raw = pd.read_csv(_lifetimes_file("CDNOW_master.txt"), sep=r"\s+", header=0, dtype=str,
                      names=["id", "date", "cds", "value"])
    raw.to_parquet(tmp_path / "cdnow.parquet", index=False)
    # the whole 18 months of history in the window
    t = customer_features(_cdnow_spec("cdnow.parquet", 18), tmp_path, "1998-06-30").table
    assert len(t) == 23570 and len(raw) == 69659
    assert (t["frequency"] == 1).mean() > 0.5
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(t["frequency"], 5, labels=False)
    sizes = t["f_score"].value_counts().sort_index()
    assert list(sizes.index) == [1, 2, 3, 4, 5] and sizes.max() - sizes.min() <= 1
    # the documented rule, independently: order by (frequency, revenue, last purchase, id)
    order = np.lexsort((t.index.to_numpy(), t["last_purchase"].to_numpy(), t["revenue"].to_numpy(),
                        t["frequency"].to_numpy()))
    pos = np.empty(len(t), dtype=int)
    pos[order] = np.arange(1, len(t) + 1)
    np.testing.assert_array_equal(t["f_score"].to_numpy(dtype=int), 1 + (5 * (pos - 1)) // len(t))
    # monetary against pandas
    val = raw.assign(value=raw["value"].astype(float), date=pd.to_datetime(raw["date"], format="%Y%m%d"))
    rev = val.groupby("id")["value"].sum()
    np.testing.assert_allclose(t["revenue"].reindex(rev.index), rev, atol=1e-6)


# --------------------------------------------------------------------------- in the flow


# demo_run: the session fixture in conftest.py (wave 1 run end to end once)


@pytest.mark.slow
def test_demo_run_writes_behaviour_xlsx_and_weights_the_respondents(demo_run):
    run = demo_run
    b = run.behaviour
    assert (run.folder / "behaviour.xlsx").exists()
    sheets = pd.read_excel(run.folder / "behaviour.xlsx", sheet_name=None)
    for name in ("Summary", "Match report", "Feature summary", "RFM tiers", "Channel mix", "Weighting",
                 "Weight margins"):
        assert name in sheets, name
    assert b.respondents.index.equals(run.clean.data.index)
    assert b.customers.index.is_unique and len(b.customers) > 3800
    # the weights reach the weighted responses (clean stays unweighted), and reproduce the base's tier distribution
    assert run.clean.weights is None
    w = run.weighted.weights
    assert w is not None and w.index.equals(run.clean.data.index) and w.mean() == pytest.approx(1)
    tiers = b.tier_distribution()
    np.testing.assert_allclose(tiers["weighted respondents %"], tiers["customers %"], atol=0.01)
    assert 1 <= b.weighting.design_effect < 1.5 and b.weighting.converged


@pytest.mark.slow
def test_demo_behaviour_recovers_the_planted_customers(demo_run, demo_study):
    b = demo_run.behaviour
    truth = pd.read_csv(demo_study / "truth" / "customers.csv").set_index("customer_id")
    c = b.customers.join(truth, how="inner")
    # dormant customers never ordered in the two years: no purchases
    assert (c.loc[c["status"] == "dormant", "rfm_tier"] == "no purchases").all()
    # digital self-servers order digitally, relationship-reliant installers do not
    share = c.groupby("segment_name_wave1")["digital_share"].mean()
    assert share["Digital self-servers"] > 0.75 > 0.35 > share["Relationship-reliant installers"]
    # occasional small buyers are mostly bronze, reliability-critical producers mostly gold
    gold = c.groupby("segment_name_wave1")["rfm_tier"].apply(lambda s: (s == "gold").mean())
    assert gold["Reliability-critical producers"] > 0.5 > 0.1 > gold["Occasional small buyers"]
    assert b.match.set_index("status").loc["matched", "n"] > 0.9 * len(b.respondents)


def test_a_study_without_behaviour_has_no_behaviour_step(mini):
    from workbench.pipeline import new_context, run_steps

    ctx = new_context(load_study(mini), "1")
    run_steps(ctx, ["read", "quality", "behaviour", "weighting"])
    assert ctx.behaviour is None and ctx.weighted is ctx.clean
    assert ctx.manifest.skipped == {"behaviour": "study declares no behaviour data"}
