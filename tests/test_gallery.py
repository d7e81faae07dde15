"""The gallery: differently shaped studies from public data (tests/gallery/build.py) through every
wave and the deck, as a consultant runs them from the command line (issue 13, deliverable 7).

Each study is built once, then ``workbench validate``, ``workbench run`` for waves 1 and 2 and
``workbench deck --png`` run in subprocesses. The properties: validate predicts run (a study that
validates runs every wave; a study that does not validate does not run), exit codes 0 or 2 and no
traceback, every written deck renders in LibreOffice with one page per slide, customer-level
outputs where the study has behaviour, a clean console (no warning with a source path).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation

sys.path.insert(0, str(Path(__file__).parent / "gallery"))
from flow import SOURCE_LINE, first_error  # noqa: E402

pytestmark = pytest.mark.slow

NUMERIC = "validate rejects a numeric battery as the basis; nothing to render (by design so far)"

#: per study: whether it has ERP behaviour, whether it validates, and xfail reasons per property
#: (every root cause the gallery found is fixed; see docs/gallery.md)
GALLERY = {
    "bfi_needs": {"behaviour": False, "xfail": {}},
    "cdnow_intkeys": {"behaviour": True, "xfail": {}, "placeable": False},  # behaviour joined at random
    "anes_qualtrics": {"behaviour": False, "xfail": {}},
    "beps_sav": {"behaviour": False, "xfail": {}},
    # deck --update puts in the parts wave 2 adds to a slide (persona 2's 'Største behov' box, a second
    # recommendation and a summary line), which the updated wave-1 deck lacked before
    "ess_weights": {"behaviour": False, "xfail": {}},
    "accounts_multi": {"behaviour": True, "xfail": {}, "placeable": False},  # accounts joined at random
    "holzinger_numeric": {"behaviour": False, "valid": False, "xfail": {}},
    "bfi_forces": {"behaviour": False, "xfail": {}},
    # issue 30: two markets per wave (SurveyMonkey CSV in Danish, a workbook with a title block in Swedish)
    "markets_surveymonkey": {"behaviour": False, "xfail": {}},
    # issue 30: a select-all-that-apply battery in Danish over three waves (ticks as labels, then as 1)
    "gss_multiselect": {"behaviour": False, "xfail": {}},
}


def _cases(prop: str):
    out = []
    for name, info in GALLERY.items():
        if prop in ("deck", "update") and not info.get("valid", True):
            continue  # validate rejects it: no deck to render
        reason = info["xfail"].get(prop)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


@pytest.fixture(scope="module")
def flows(gallery_flows):
    """Each gallery study built and run once per session (tests/conftest.py: gallery_flows)."""
    return gallery_flows


@pytest.mark.parametrize("name", _cases("agree"))
def test_validate_predicts_run_with_clean_exit_codes(flows, name):
    f = flows(name)
    for step in f.steps:
        assert not step.traceback, f"{step.args}: traceback\n{step.err[-2000:]}"
        assert step.rc in (0, 2), f"{step.args}: exit {step.rc}\n{step.err[-2000:]}"
        if step.rc == 2:
            assert first_error(step).startswith("error:"), f"{step.args}: no one-line error\n{step.err[-2000:]}"
    if f.validate.rc == 0:
        for w, step in f.runs.items():
            assert step.rc == 0, f"validate passed, run --wave {w} failed: {first_error(step)}"
    else:
        assert all(step.rc == 2 for step in f.runs.values()), "validate failed but run went through"
        # the same problem stops both
        assert first_error(f.validate) == first_error(f.runs["1"])


@pytest.mark.parametrize("name", _cases("deck"))
def test_every_deck_renders_one_page_per_slide(flows, name):
    f = flows(name)
    assert f.validate.rc == 0, first_error(f.validate)
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice (soffice) is not installed: `make tools` installs it")
    assert all(s.rc == 0 for s in f.runs.values()), {w: first_error(s) for w, s in f.runs.items() if s.rc}
    for w in f.runs:  # every wave's run wrote a deck; the last one is rendered to PNGs
        assert len(Presentation(str(f.folder(w) / "personas.pptx")).slides) >= 3
    assert list(f.decks) == [list(f.runs)[-1]]
    for w, step in f.decks.items():
        assert step.rc == 0, first_error(step)
        folder = f.folder(w)
        prs = Presentation(str(folder / "personas.pptx"))
        pngs = sorted((folder / "slides").glob("slide-*.png"))
        assert len(pngs) == len(prs.slides)
    # no gallery study has JTBD outcomes or cost columns: the method slide says so, no slide shows them
    from workbench.deck.texts import words

    tx = words(_language(f))  # the deck's own words, in the study's language
    head = tx("method.skipped", steps="\x00").split("\x00")[0]
    opp = tx("step.opportunities")  # named in the client's words; the reason is in the consultant's notes
    markers = ("Cost to serve", "opportunity score", "Opportunity =", "Opportunity (0-20)", tx.kpi("cost_to_serve", ""),
               tx("matrix.sub_opportunity"), tx("group.opportunity") + " (0")
    for w in f.runs:
        texts = [" ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
                 for slide in Presentation(str(f.folder(w) / "personas.pptx")).slides]
        assert any(head in t and opp in t for t in texts), \
            f"wave {w}: the method slide does not list the skipped opportunities step"
        # the method slide's "Not in this run: …" line may name them as not computed; nothing else may
        said = [re.sub(re.escape(head) + r"[^\n]*", "", t) for t in texts]
        shown = [t for t in said if any(m and m in t for m in markers)]
        assert not shown, f"wave {w}: a measure the study does not have is shown: {shown[0]}"


@pytest.mark.parametrize("name", [pytest.param(n, marks=[pytest.mark.xfail(strict=True, reason=i["xfail"]["customers"])]
                                               if "customers" in i["xfail"] else [], id=n)
                                  for n, i in GALLERY.items() if i["behaviour"]])
def test_customer_level_outputs_where_the_study_has_behaviour(flows, name):
    f = flows(name)
    assert f.runs["1"].rc == 0, first_error(f.runs["1"])
    folder = f.folder("1")
    resp = pd.read_csv(folder / "respondent_segments.csv", dtype=str)
    assert len(resp) > 0
    cust = folder / "customer_segments.csv"
    assert cust.exists()
    table = pd.read_csv(cust, dtype=str)
    key = table.columns[0]
    assert not table[key].duplicated().any(), "one row per customer"
    if not GALLERY[name].get("placeable", True):
        # behaviour cannot predict segments it was joined to at random: no customer is placed by the model
        assert set(table["source"]) == {"survey"}, table["source"].value_counts().to_dict()
        sheet = pd.read_excel(folder / "model.xlsx", sheet_name="Whole-base model", header=None)
        assert "Does NOT place customers without survey answers" in str(sheet.iat[0, 0])


def test_export_layouts_are_read_and_said(flows):
    """Issue 30: SurveyMonkey's two header rows and a title block above a workbook's header are
    read in both waves; validate says which row held the Swedish file's column names (wave 1:
    found; wave 2: declared, so nothing to say); the answers' two languages give one scale."""
    f = flows("markets_surveymonkey")
    assert f.validate.rc == 0, first_error(f.validate)
    said = [line for line in f.validate.out.splitlines() if "title block" in line]
    assert len(said) == 1 and "se.xlsx: the column names were read from row 4" in said[0]
    for w in ("1", "2"):
        resp = pd.read_csv(f.folder(w) / "respondent_segments.csv", dtype=str)
        assert len(resp) >= 190  # both markets' respondents (a few straightliners may be excluded)
        assert resp.iloc[:, 0].str.startswith("114").all()


def test_select_all_that_apply_reaches_the_segmentation_and_speaks_of_the_options(flows):
    """Issue 30: blanks of a tick-all-that-apply battery are "not selected" (validate says how
    many), every respondent is kept, latent classes fit the binary options, and the personas
    name the option (in the study's Danish: "valgte …: 98 % mod 49 %"), never the answer label "Valgt"."""
    f = flows("gss_multiselect")
    assert f.validate.rc == 0, first_error(f.validate)
    blanks = [line for line in f.validate.out.splitlines() if "read as not selected" in line]
    assert len(blanks) == 3 and all("(select all that apply, 7 options)" in b for b in blanks)
    assert all(s.rc == 0 for s in f.runs.values()), {w: first_error(s) for w, s in f.runs.items()}
    text = (f.folder("1") / "personas.yaml").read_text(encoding="utf-8")
    # the persona drafts speak the study's language (da): "valgte <option>: 98 % mod 49 %"
    assert "Valgt" not in text and "valgte " in text
    assert re.search(r"valgte [^:\n]+: \d+ % mod \d+ %", text)
    fits = pd.read_excel(f.folder("1") / "segments.xlsx", sheet_name=None)
    assert any("lca" in str(v.to_numpy()).lower() for v in fits.values())
    for w in ("2", "3"):  # later waves are classified with wave 1's model
        assert len(pd.read_csv(f.folder(w) / "respondent_segments.csv", dtype=str)) == 220


@pytest.mark.parametrize("name", _cases("console"))
def test_console_has_no_source_paths(flows, name):
    f = flows(name)
    for step in f.steps:
        bad = [line for line in (step.err + step.out).splitlines() if SOURCE_LINE.search(line)]
        assert not bad, f"{step.args}: {bad[:2]}"


@pytest.mark.parametrize("name", _cases("deck"))
def test_no_identifier_on_a_slide_or_client_workbook(flows, name):
    """Issue 17's scan on every gallery study: labels, not column ids or snake_case names,
    on each wave's slides and client workbooks (other scales, languages and key names)."""
    from scan_support import scan_folder

    from workbench.study import load_study

    f = flows(name)
    study = load_study(f.study / "study.yaml")
    bad = [x for w in f.runs if f.runs[w].rc == 0 for x in scan_folder(f.folder(w), study)]
    assert bad == [], "\n".join(sorted(set(b.split(" in ")[0] + " in " + b.split(" in ", 1)[1][:160] for b in bad)))


# --------------------------------------------------------------------------- issue 26: any study, its language

#: English words that are no word of Danish, Swedish, Norwegian or Dutch: a line of a Nordic or
#: Dutch deck holding one is an English sentence the deck wrote (study labels are in the study's language).
ENGLISH_WORDS = {"the", "of", "and", "with", "which", "their", "them", "they", "who", "than", "from", "this", "that",
                 "are", "were", "was", "each", "every", "only", "respondents", "customers", "above", "below",
                 "average", "share", "how", "what", "why", "not", "your", "these", "those", "would",
                 "should", "could", "other", "revenue", "wave", "none", "candidate", "chosen"}


def english_lines(text: str) -> list[str]:
    """Lines of a deck's text holding an English word (:data:`ENGLISH_WORDS`)."""
    return [line.strip() for line in text.splitlines()
            if ENGLISH_WORDS & set(re.findall(r"[a-z]+", line.lower()))]


def test_the_english_word_check_finds_an_english_sentence():
    assert english_lines("Segmenternes størrelse\nShare of respondents (weighted)") == ["Share of respondents (weighted)"]
    assert english_lines("Kunder, der siger: »Får let venner«\n53 % af respondenterne (n=131)") == []


def _language(f) -> str:
    import yaml

    spec = yaml.safe_load((f.study / "study.yaml").read_text(encoding="utf-8"))
    return str((spec.get("study") or {}).get("language") or "en")


@pytest.mark.parametrize("name", _cases("deck"))
def test_the_method_slide_says_weighted_exactly_when_the_study_weights(flows, name):
    """A study with a ``weight:`` column (ess_weights: the ESS post-stratification weight) or
    ``weighting:`` (raking) has its method slide say so, with the design effect, in its language;
    a study with neither says every respondent counts once. (The deck said "unweighted" for
    ess_weights, whose every figure is weighted.)"""
    import yaml

    from workbench.deck.texts import words

    f = flows(name)
    spec = yaml.safe_load((f.study / "study.yaml").read_text(encoding="utf-8"))
    tx = words(_language(f))
    kind = "method.weighted_survey" if spec.get("weight") else "method.weighted_by" if spec.get("weighting") else None
    for w in f.runs:
        texts = [sh.text_frame.text for slide in Presentation(str(f.folder(w) / "personas.pptx")).slides
                 for sh in slide.shapes if sh.has_text_frame]
        said_unweighted = any(tx("method.unweighted") in t for t in texts)
        if kind is None:
            assert said_unweighted, f"wave {w}: the method slide does not say the study is unweighted"
            continue
        head = tx(kind, variables="\x00", n_eff="\x00", n="\x00", deff="\x00", lo="\x00", hi="\x00").split("\x00")[0]
        assert not said_unweighted and any(head in t for t in texts), f"wave {w}: weighting not said ({head!r})"


@pytest.mark.parametrize("name", [c for c in _cases("deck") if c.values[0] in ("bfi_needs", "markets_surveymonkey",
                                                                             "gss_multiselect")])
def test_a_danish_study_deck_has_no_english_sentence(flows, name):
    """The deck speaks the study's declared language: every slide of a Danish study's deck, as
    LibreOffice drew it (slides/deck.pdf, read with pdftotext), holds no English sentence."""
    import subprocess

    f = flows(name)
    assert _language(f) == "da"
    wave = next(iter(f.decks))
    pdf = f.folder(wave) / "slides" / "deck.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Bølge" in text or "bølge" in text
    assert english_lines(text) == []


@pytest.mark.parametrize("name", _cases("deck"))
def test_every_figure_on_the_slides_is_the_workbooks(flows, name):
    """Issue 26 on every gallery study: each segment × measure has one value on every slide (chart
    labels included) and a segment's share is profiles.xlsx's under the one rounding rule; the
    channel to reach them is one rule. Read in the deck's own language."""
    from test_deck_numbers import check_numbers
    from test_deliverables import _overview

    from workbench.deck.data import DeckData

    f = flows(name)
    checked = 0
    for wave, step in f.runs.items():
        folder = f.folder(wave)
        if step.rc != 0 or not (folder / "personas.pptx").is_file():
            continue
        data, personas = DeckData.load(folder / "deck_data.json")
        names = {p.name: str(p.segment) for p in personas if not p.suppressed and str(p.segment) not in
                 {str(x) for x in data.suppressed}}
        run = type("Run", (), {"folder": folder})
        rows, heads = _overview(run)
        share_col = next(h for h in heads if h and h.lower().startswith("share"))
        check_numbers(Presentation(str(folder / "personas.pptx")), names, rows, share_col, data.profile, data.language,
                      min_places=3)
        checked += 1
    assert checked


@pytest.mark.parametrize("name", _cases("update"))
def test_updating_the_unedited_first_deck_gives_the_last_wave_s_deck(flows, name, tmp_path):
    """Issue 26's deck comparison on every gallery study: the first wave's deck as the run wrote it,
    updated to the last wave (``deck --update``), equals the last wave's own deck in every text,
    fill, arrow, chart value and note; only the slides one of the two waves has are left out (the
    earlier wave's are kept, tagged for review)."""
    from deck_compare import deck_differences

    from workbench.deck.update import slide_key
    from workbench.deck.rerender import update_deck
    from workbench.study import load_study

    f = flows(name)
    waves = [w for w, s in f.runs.items() if s.rc == 0 and (f.folder(w) / "personas.pptx").is_file()]
    assert len(waves) >= 2, f"{name}: every gallery study has two waves with a deck"
    first, last = waves[0], waves[-1]
    src = tmp_path / f"wave-{first}.pptx"
    shutil.copy(f.folder(first) / "personas.pptx", src)
    fresh = Presentation(str(f.folder(last) / "personas.pptx"))
    out, report = update_deck(load_study(f.study / "study.yaml"), last, src, reports=f.reports)
    prs = Presentation(str(out))
    keys = lambda deck: {slide_key(s) for s in deck.slides} - {None}  # noqa: E731
    only_one = keys(prs) ^ keys(fresh)
    assert only_one <= keys(Presentation(str(src))), only_one  # none of the last wave's slides is missing
    assert deck_differences(prs, fresh, skip=tuple(only_one)) == []
    assert report.kept == [] and report.merged == []
