"""Persona drafts, scrubbed verbatims and a personas.yaml whose edits survive re-runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import re

import pytest
from workbench.files import safeyaml

from workbench.core.errors import StudyError
from workbench.describe.opportunities import opportunities
from workbench.describe.personas import draft_personas, load_personas, merge_personas, personas_path, scrub
from workbench.describe.profiles import profile
from workbench.quality import check_quality
from workbench.data.readers import read_responses
from workbench.study import load_study

# --------------------------------------------------------------------------- scrubbing


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ring gerne til mig på +45 21 34 56 78.", "Ring gerne til mig på [phone]."),
        ("Ring mig gärna på 070-123 45 67, tack", "Ring mig gärna på [phone], tack"),
        ("Bel me gerust op +31 6 1234 5678.", "Bel me gerust op [phone]."),
        ("Ring meg på +47 412 34 567", "Ring meg på [phone]"),
        ("Bel 0032 470 12 34 56 of (020) 123 4567", "Bel [phone] of [phone]"),
        ("Skriv til søren.østergård@grossist-æø.dk, tak", "Skriv til [e-mail], tak"),
        ("Mejla åsa.lindqvist+order@bygg.se eller ring 08-123 456 78", "Mejla [e-mail] eller ring [phone]"),
        ("mail jan.de.vries@bouwgroep.nl", "mail [e-mail]"),
    ],
)
def test_scrub_removes_nordic_and_dutch_contact_details(text, expected):
    assert scrub(text) == expected


def test_scrub_leaves_dates_amounts_and_short_numbers():
    text = "Levering 31.03.2026 (eller 2026-03-31), inden 24 timer, ordre 5000001, 1.250,00 kr, 2-3 dage"
    assert scrub(text) == text


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo(demo_study):
    study = load_study(demo_study)
    responses = read_responses(study, "1")
    clean = check_quality(responses, study).apply(responses)
    truth = pd.read_csv(demo_study / "truth" / "respondents_wave1.csv", dtype={"resp_id": str})
    truth = truth.drop_duplicates("resp_id", keep="last").set_index("resp_id")
    planted = truth["segment"].reindex(clean.data.index)
    prof = profile(clean, planted, min_segment_n=study.spec.min_segment_n)
    opp = opportunities(clean, planted)
    return study, clean, truth, planted, prof, opp


def test_drafts_describe_the_planted_segments(demo):
    study, clean, truth, planted, prof, opp = demo
    drafts = draft_personas(prof, clean, opportunities=opp, random_state=1)
    assert [p.segment for p in drafts] == [1, 2, 3, 4, 5]
    names = [p.name for p in drafts]
    assert len(set(names)) == 5
    digital = drafts.for_segment(1)
    # the name reads as people: who they are, and the most distinctive need they value
    who, _, wants = digital.name.partition(" who value ")
    assert who and wants, digital.name
    assert any(wants.startswith(w) for w in ("live stock and prices", "order any time", "ERP integration")), wants
    assert " & " not in digital.name
    assert "Fast repeat orders (opportunity" in digital.underserved[0]
    assert any("Technical advice" in n for n in drafts.for_segment(3).needs)
    n1 = int(prof.segments.set_index("segment").loc[1, "n"]) if "segment" in prof.segments.columns else int(prof.segments["n"].iloc[0])
    assert re.match(rf"\d+ % of respondents \(n={n1:,}\)", digital.description), digital.description
    for p in drafts:
        assert 2 <= len(p.quotes) <= 3
        for q in p.quotes:
            assert planted[q["respondent"]] == p.segment  # quoted from its own members
            assert clean.data.at[q["respondent"], q["question"]].strip() == q["text"] or "[" in q["text"]
    again = draft_personas(prof, clean, opportunities=opp, random_state=1)
    assert [p.quotes for p in again] == [p.quotes for p in drafts]


def test_quotes_come_from_the_most_certain_members_and_are_scrubbed(demo):
    study, clean, truth, planted, prof, opp = demo
    # make the respondents who wrote contact details into their answers the most certain members
    leaky = truth.index[truth["verbatim_pii"] == 1].intersection(clean.data.index)
    post = pd.DataFrame(0.5, index=clean.data.index, columns=[1, 2, 3, 4, 5])
    for rid in leaky:
        post.loc[rid, planted[rid]] = 0.99
    drafts = draft_personas(prof, clean, posteriors=post, n_quotes=3)
    quoted = [q for p in drafts for q in p.quotes]
    assert {q["respondent"] for q in quoted} <= set(leaky)
    pii = clean.pii.loc[[q["respondent"] for q in quoted]]
    texts = " ".join(q["text"] for q in quoted)
    assert "[phone]" in texts or "[e-mail]" in texts
    for value in pii[["contact_email", "contact_phone"]].to_numpy().ravel():
        assert str(value) not in texts
    assert "@" not in texts


def test_suppressed_segments_are_flagged(demo):
    study, clean, truth, planted, prof, opp = demo
    least = int(prof.segments["n"].min()) + 1  # the smallest planted segment falls below the study's minimum
    small = profile(clean, planted, min_segment_n=least)
    drafts = draft_personas(small, clean)
    flagged = [n < least for n in small.segments["n"]]
    assert [p.suppressed for p in drafts] == flagged and sum(flagged) == 1
    kept = [p.segment for p, f in zip(drafts, flagged) if not f]
    assert drafts.summary(include_suppressed=False)["segment"].tolist() == kept
    # the one renderer (workbench.core.summary): the count first; the table says which are suppressed
    assert str(drafts).startswith("5 personas") and "suppressed" in str(drafts)
    assert all(p.name in drafts._repr_html_() for p in drafts)
    assert str(small).startswith("Segment profiles, ") and "suppressed" in small._repr_html_()


def test_an_edited_name_follows_its_segment_when_labels_are_permuted(demo, tmp_path):
    study, clean, truth, planted, prof, opp = demo
    path = tmp_path / "personas.yaml"
    first = merge_personas(draft_personas(prof, clean, opportunities=opp, random_state=1), path)
    assert first.matches["new"].all()
    text = path.read_text(encoding="utf-8")
    assert "\\u" not in text and any(ch in text for ch in "æøåöĳ")  # readable UTF-8, not escapes

    # the consultant renames the installers' persona and rewrites a quote list
    doc = safeyaml.safe_load(text)
    installers = next(p for p in doc["personas"] if p["segment"] == 3)
    installers["name"] = "Bjørn, the installer who phones his rep"
    installers["notes"] = "Interview Bjørn in Aarhus"
    path.write_text(safeyaml.dump(doc), encoding="utf-8")

    # re-run with the segments numbered differently
    permute = {1: 4, 2: 5, 3: 1, 4: 2, 5: 3}
    relabelled = planted.map(permute)
    prof2 = profile(clean, relabelled, min_segment_n=study.spec.min_segment_n)
    second = merge_personas(draft_personas(prof2, clean, opportunities=opportunities(clean, relabelled),
                                           random_state=2), path)
    bjorn = second.for_segment(1)  # the installers are segment 1 now
    assert bjorn.name == "Bjørn, the installer who phones his rep"
    assert bjorn.id == installers["id"]
    assert bjorn.edited == ("name",)
    assert bjorn.extra == {"notes": "Interview Bjørn in Aarhus"}
    # untouched fields are re-drafted: new quotes (another seed) from the new segment 1
    assert bjorn.quotes != tuple(installers["quotes"])
    assert all(relabelled[q["respondent"]] == 1 for q in bjorn.quotes)
    # every persona keeps its id through the permutation; none is new
    ids_before = {p.segment: p.id for p in first}
    assert {p.segment: p.id for p in second} == {permute[s]: i for s, i in ids_before.items()}
    assert not second.matches["new"].any() and second.matches["distance"].max() < 0.1
    # and the edit is still detected on a third run
    third = merge_personas(draft_personas(prof2, clean, random_state=3), path)
    assert third.for_segment(1).name == "Bjørn, the installer who phones his rep"
    reread = load_personas(path)
    assert next(p for p in reread["personas"] if p["id"] == installers["id"])["edited"] == ["name"]


def test_segments_that_no_longer_exist_keep_their_personas_as_unmatched(demo, tmp_path):
    study, clean, truth, planted, prof, opp = demo
    path = tmp_path / "personas.yaml"
    merge_personas(draft_personas(prof, clean, random_state=1), path)
    rng = np.random.default_rng(5)
    noise = pd.Series(rng.integers(1, 4, clean.n), index=clean.data.index)
    merged = merge_personas(draft_personas(profile(clean, noise), clean, random_state=1), path)
    assert merged.matches["new"].all()  # random segments resemble no planted persona
    assert len(merged.unmatched) == 5
    assert {p.id for p in merged} == {"P6", "P7", "P8"}
    doc = safeyaml.safe_load(path.read_text(encoding="utf-8"))
    assert len(doc["unmatched"]) == 5 and all(u["segment"] is None for u in doc["unmatched"])


def test_broken_personas_yaml_is_a_clear_error(tmp_path):
    path = tmp_path / "personas.yaml"
    path.write_text("personas:\n  - id: P1\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(StudyError, match="personas.yaml is not valid YAML"):
        load_personas(path)


def test_personas_live_beside_the_study(demo):
    study = demo[0]
    assert personas_path(study) == study.root / "personas.yaml"


# --------------------------------------------------------------------------- a consultant's edits (re-rendering)


def test_apply_persona_edits_takes_the_texts_and_keeps_the_numbers(demo, tmp_path):
    from workbench.describe.personas import apply_persona_edits

    study, clean, truth, planted, prof, opp = demo
    path = tmp_path / "personas.yaml"
    run = merge_personas(draft_personas(prof, clean, opportunities=opp, random_state=1), path)
    doc = safeyaml.safe_load(path.read_text(encoding="utf-8"))
    doc["personas"][1]["name"] = "Åsa, indkøberen fra Växjö"
    doc["personas"][1]["how_to_win"] = ["Ring før kl. 9"]
    doc["personas"][1]["size"]["n"] = 1  # numbers are the run's, whatever the file says
    path.write_text(safeyaml.dump(doc), encoding="utf-8")
    edited = apply_persona_edits(run, path)
    p = list(edited)[1]
    assert p.name == "Åsa, indkøberen fra Växjö" and p.edited == ("name",)
    assert p.extra["how_to_win"] == ["Ring før kl. 9"] and p.n == list(run)[1].n
    assert [q.edited for q in edited][:1] == [()]  # the others untouched
    assert edited.path == path and edited.study_id == run.study_id


def test_apply_persona_edits_names_persona_key_and_line(demo, tmp_path):
    from workbench.describe.personas import apply_persona_edits, yaml_key_lines

    study, clean, truth, planted, prof, opp = demo
    path = tmp_path / "personas.yaml"
    run = merge_personas(draft_personas(prof, clean, random_state=1), path)
    lines = path.read_text(encoding="utf-8").splitlines()
    where = yaml_key_lines(path)
    row = where[(0, "needs")]
    assert lines[row - 1].lstrip().startswith("needs:")
    lines[row - 1] = lines[row - 1].split("needs:")[0] + "needs: just one text"
    # drop the list items that followed the key, so the file stays valid YAML
    k = row
    while k < len(lines) and lines[k].lstrip().startswith("- "):
        k += 1
    path.write_text("\n".join(lines[:row] + lines[k:]) + "\n", encoding="utf-8")
    first = list(run)[0].id
    with pytest.raises(StudyError, match=f"persona {first}: 'needs' must be a list") as exc:
        apply_persona_edits(run, path)
    assert exc.value.row == row and exc.value.column == "needs"
    with pytest.raises(StudyError, match="personas.yaml not found"):
        apply_persona_edits(run, tmp_path / "missing.yaml")


def test_a_persona_named_no_and_a_quote_yes_survive_a_run_and_a_rerun(demo, tmp_path):
    """Issue 23: personas.yaml is written and read with one YAML library (ruamel, YAML 1.2), so the
    words YAML 1.1 takes for booleans stay text through a run and a re-run."""
    study, clean, truth, planted, prof, opp = demo
    path = tmp_path / "personas.yaml"
    drafts = draft_personas(prof, clean, opportunities=opp, random_state=1)
    merge_personas(drafts, path)
    doc = safeyaml.safe_load(path.read_text(encoding="utf-8"))
    doc["personas"][0]["name"] = "No"
    doc["personas"][0]["quotes"] = [{"text": "yes"}, {"text": "off"}]
    doc["personas"][1]["description"] = "n"
    # as a consultant types it: the words unquoted
    text = safeyaml.dump(doc).replace("'No'", "No").replace("'yes'", "yes").replace("'off'", "off").replace("'n'", "n")
    assert "name: No\n" in text and "text: yes\n" in text
    path.write_text(text, encoding="utf-8")
    for _ in range(2):  # the run that reads the edit, and a re-run that reads the file the run wrote back
        merged = merge_personas(drafts, path)
        first, second = merged.personas[0], merged.personas[1]
        assert first.name == "No" and [q["text"] for q in first.quotes] == ["yes", "off"]
        assert second.description == "n" and "name" in first.edited and "quotes" in first.edited
    written = path.read_text(encoding="utf-8")
    assert "name: 'No'" in written and "text: 'yes'" in written  # quoted: a YAML 1.1 reader sees text too
    assert safeyaml.safe_load(written)["personas"][0]["name"] == "No"
