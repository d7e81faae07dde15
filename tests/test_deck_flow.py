"""The persona deck's new slides, client templates, hygiene, `workbench deck` and a LibreOffice render."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.opc.constants import RELATIONSHIP_TYPE as RT

from workbench.deck import DeckTrends, render_pngs
from workbench.core.measures import candidate_label, round_shares
from workbench.describe.personas import whole_mix
from workbench.steps.deck_data import build_deck


def _kw(run):
    return {"quality": run.quality, "factors": run.factors, "segments": run.candidates, "behaviour": run.behaviour}


@pytest.fixture(scope="module")
def deck_path(demo_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("deckflow") / "personas.pptx"
    build_deck(demo_run.study, demo_run.scorecard, demo_run.profiles, demo_run.opportunities, demo_run.personas,
               wave=demo_run.wave, **_kw(demo_run)).save(str(path))
    return path


@pytest.fixture(scope="module")
def deck(deck_path):
    return Presentation(str(deck_path))


def _title(slide) -> str:
    return next((s.text_frame.text for s in slide.shapes if s.has_text_frame and s.text_frame.text), "")


def _slide(prs, start: str):
    return next(s for s in prs.slides if _title(s).startswith(start))


def _texts(slide) -> str:
    out = []
    for shp in slide.shapes:
        if shp.has_text_frame:
            out.append(shp.text_frame.text)
        if shp.has_table:
            out += [c.text for row in shp.table.rows for c in row.cells]
    return "\n".join(out)


def _shown(run):
    return [p for p in run.personas if not p.suppressed]


# ----------------------------------------------------------------------------- slides


def test_comparison_matrix_is_a_native_table_with_profile_indices_and_colours(deck, demo_run):
    slide = _slide(deck, "How the segments differ")
    table = next(sh.table for sh in slide.shapes if sh.has_table)
    shown = _shown(demo_run)
    # each segment's column carries its letter, the letters in the cells name the columns
    letter = {p.segment: chr(ord("A") + i) for i, p in enumerate(shown)}
    assert [c.text for c in table.rows[0].cells][2:] == [f"{p.name} ({letter[p.segment]})" for p in shown]
    t = demo_run.profiles.table
    lettered = 0
    groups, checked = set(), 0
    for row in list(table.rows)[1:]:
        cells = [c.text for c in row.cells]
        groups.add(cells[0])
        hit = t[(t["label"] == cells[1]) & t["trait"] & t["kind"].isin(["needs", "motivations", "barriers"])]
        if not len(hit):
            continue
        for j, p in enumerate(shown):
            r = hit[hit["segment"] == p.segment].iloc[0]
            # 'index ▲ BC': the profile's index, its arrow, the columns it is significantly above
            parts = cells[2 + j].split()
            assert parts[0] == f"{r['index']:.0f}"
            rest = parts[1:]
            if r["sig"] in ("▲", "▼"):
                assert rest[:1] == [r["sig"]], (cells[1], p.name, cells[2 + j])
                rest = rest[1:]
            above = r["letters"].split() if isinstance(r["letters"], str) else []
            want = "".join(sorted(letter[q.segment] for q in shown if str(q.segment) in above))
            assert "".join(rest) == want, (cells[1], p.name, cells[2 + j], r["letters"])
            lettered += bool(want)
            fill = row.cells[2 + j].fill
            coloured = str(fill.fore_color.rgb) not in ("FFFFFF",)
            assert coloured == (r["sig"] in ("▲", "▼")), (cells[1], p.name)
            checked += 1
    assert checked >= 5 * 4 and lettered
    assert {"Needs", "Behaviour", "Opportunity"} <= groups
    opp = demo_run.opportunities.table
    row = next(r for r in list(table.rows)[1:] if r.cells[0].text == "Opportunity")
    label = row.cells[1].text
    want = opp[(opp["label"] == label) & (opp["segment"] == shown[0].segment)]["opportunity"].iloc[0]
    assert row.cells[2].text == f"{want:.1f}"


def test_behaviour_slide_per_persona_with_native_mix_charts_tiles_and_how_to_win(deck, demo_run):
    t = demo_run.profiles.table
    for p in _shown(demo_run):
        slide = _slide(deck, f"{p.name}: behaviour")
        charts = {sh.chart.chart_title.text_frame.text: sh.chart for sh in slide.shapes if sh.has_chart}
        tiers = charts["RFM tier mix (% of customers)"]
        assert tiers.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
        cats = list(tiers.plots[0].categories)
        tier_rows = t[(t["segment"] == p.segment) & (t["variable"] == "rfm_tier") & (t["stat"] == "share")]
        whole = dict(zip(tier_rows["category"], whole_mix(tier_rows["value"])))  # the mixes' one rounding rule
        for cat, v in zip(cats, tiers.plots[0].series[0].values):
            assert v == whole[cat]
        assert "Main ordering channel in the order history (% of customers)" in charts
        text = _texts(slide)
        lapsed = t[(t["segment"] == p.segment) & (t["variable"] == "lapsed") & (t["category"] == "true")]["value"].iloc[0]
        assert f"{lapsed:.0f}\u00a0%" in text and "Lapsed customers" in text and "Cost to serve" in text
        top = demo_run.opportunities.underserved_outcomes(p.segment)
        if len(top):
            assert f"{top['label'].iloc[0]}: opportunity {top['opportunity'].iloc[0]:.1f}" in text
        assert "How to win them" in text
        assert "how_to_win" in slide.notes_slide.notes_text_frame.text  # drafted lines say how to replace them


def test_how_to_win_lines_from_the_persona_file_replace_the_drafts(demo_run):
    import dataclasses

    ps = demo_run.personas
    first = list(ps)[0]
    lines = ["Gør genbestilling til ét klik i webshoppen.", "Vis lagerstatus i Växjö og på Ærø live."]
    changed = dataclasses.replace(ps, personas=(dataclasses.replace(first, extra={"how_to_win": lines}),)
                                  + tuple(list(ps)[1:]))
    prs = build_deck(demo_run.study, demo_run.scorecard, demo_run.profiles, demo_run.opportunities, changed,
                     wave=demo_run.wave)
    text = _texts(_slide(prs, f"{first.name}: behaviour"))
    assert all(line in text for line in lines) and "Solve “" not in text


def test_appendix_method_factors_and_fit_table(deck, demo_run):
    q = demo_run.quality
    method = _texts(_slide(deck, "Appendix: method and quality"))
    assert f"{q.n_in:,} respondents read, {q.n_out:,} kept, {q.n_excluded:,} excluded" in method
    assert "Straightliners" in method  # a table row name begins with a capital (issue 32)
    deff = demo_run.behaviour.weighting.diagnostics["design effect"]
    assert "Weighting: raked to the customer base on" in method and f"(design effect {deff:.2f})" in method
    factors = _texts(_slide(deck, "Appendix: factor solution"))
    for res in demo_run.factors.values():
        assert all(name in factors for name in res.names)
    fit = _slide(deck, "Appendix: candidate segmentations")
    table = next(sh.table for sh in fit.shapes if sh.has_table)
    cands = [r.cells[0].text for r in list(table.rows)[1:]]
    rec = candidate_label(demo_run.scorecard.recommended)  # 'LCA, 5 segments', not the id
    assert rec in cands
    ft = demo_run.candidates.fit_table.set_index("candidate")
    row = next(r for r in list(table.rows)[1:] if r.cells[0].text == rec)
    assert row.cells[2].text == f"{ft.loc[demo_run.scorecard.recommended, 'bic']:,.0f}"


def test_without_scorecard_the_appendix_names_the_model(demo_run):
    note = "Respondents were classified with the segmentation model of wave 1 (lca k=5)."
    prs = build_deck(demo_run.study, None, demo_run.profiles, demo_run.opportunities, demo_run.personas,
                     wave=demo_run.wave, model_note=note)
    last = prs.slides[len(prs.slides) - 1]
    assert _title(last) == "Appendix: how respondents were classified"
    assert note.replace("(lca k=5)", "(LCA, 5 segments)") in _texts(last) and not [s for s in last.shapes if s.has_table]
    assert not [s for s in prs.slides if _title(s).startswith("Appendix: choosing")]


def test_trend_slides_from_hand_made_trends(demo_run):
    shown = _shown(demo_run)
    rows = []
    for w, shift in (("1", 0.0), ("2", 2.0)):
        for i, p in enumerate(shown):
            share = p.share + (shift if i == 0 else -shift / (len(shown) - 1))
            rows.append({"wave": w, "segment": p.segment, "name": p.name, "n": p.n, "share": share,
                         "ci_low": share - 2, "ci_high": share + 2})
    trends = DeckTrends(sizes=pd.DataFrame(rows), movements=[f"{shown[0].name} grew by 2.0 points."],
                        refit="Keep classifying with the wave 1 model; no segment moved beyond its interval; "
                              "stability: adjusted Rand index 0.91 against a fresh lca k=5 fit of wave 2.")
    prs = build_deck(demo_run.study, demo_run.scorecard, demo_run.profiles, demo_run.opportunities, demo_run.personas,
                     wave=demo_run.wave, trends=trends)
    slide = _slide(prs, "Segment sizes over waves")
    chart = next(sh.chart for sh in slide.shapes if sh.has_chart)
    assert chart.chart_type == XL_CHART_TYPE.LINE_MARKERS
    assert list(chart.plots[0].categories) == ["Wave 1", "Wave 2"]
    series = list(chart.plots[0].series)
    assert [s.name for s in series] == [p.name for p in shown]
    # each wave's shares as whole percentages adding up to 100 (the sizes slides' rounding rule)
    by_wave = {w: dict(zip([r["segment"] for r in rows if r["wave"] == w],
                           round_shares([r["share"] for r in rows if r["wave"] == w]))) for w in ("1", "2")}
    assert series[0].values == (float(by_wave["1"][shown[0].segment]), float(by_wave["2"][shown[0].segment]))
    assert sum(s.values[1] for s in series) == 100
    assert str(series[0].format.line.color.rgb) == "1F5F99" and str(series[1].format.line.color.rgb) == "D55E00"
    moves = _texts(_slide(prs, "Key movements"))
    assert "grew by 2.0 points" in moves and "Keep classifying" in moves
    # the re-fit advice in client words: the model token written out, on the slide and in its notes
    notes = _slide(prs, "Key movements").notes_slide.notes_text_frame.text
    assert "a fresh LCA, 5 segments fit" in moves and "a fresh LCA, 5 segments fit" in notes
    assert "k=5" not in moves and "k=5" not in notes
    with pytest.raises(Exception, match="ci_low"):
        DeckTrends(sizes=pd.DataFrame(rows).drop(columns="ci_low"))


# ----------------------------------------------------------------------------- templates


def _client_template(path: Path) -> Path:
    """A client template: renamed layouts, Georgia fonts, a red first accent, and an example slide."""
    from lxml import etree

    prs = Presentation()
    prs.slide_width, prs.slide_height = 12192000, 6858000
    for lay in prs.slide_layouts:
        lay.name = "Kunde " + lay.name
    ex = prs.slides.add_slide(prs.slide_layouts[0])
    ex.shapes.title.text = "TEMPLATE EXAMPLE SLIDE"
    theme = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(theme.blob)
    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    for latin in root.iter(f"{a}latin"):
        latin.set("typeface", "Georgia")
    acc = root.find(f".//{a}clrScheme/{a}accent1")
    acc.remove(acc[0])
    etree.SubElement(acc, f"{a}srgbClr", val="A00000")
    theme._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    prs.save(str(path))
    return path


def test_client_template_layouts_fonts_and_colours_are_used(demo_run, tmp_path):
    tpl = _client_template(tmp_path / "kunde.pptx")
    prs = build_deck(demo_run.study, demo_run.scorecard, demo_run.profiles, demo_run.opportunities, demo_run.personas,
                     wave=demo_run.wave, template=tpl)
    names = {lay.name for lay in prs.slide_layouts}
    assert all(s.slide_layout.name in names and s.slide_layout.name.startswith("Kunde ") for s in prs.slides)
    assert prs.slides[0].slide_layout.name == "Kunde Title Slide"
    assert {s.slide_layout.name for s in list(prs.slides)[1:]} == {"Kunde Title Only"}
    assert "TEMPLATE EXAMPLE SLIDE" not in "\n".join(_title(s) for s in prs.slides)
    persona = _shown(demo_run)[0]
    slide = _slide(prs, persona.name)
    assert slide.shapes.title is not None and slide.shapes.title.text_frame.text == persona.name  # the placeholder
    runs = [r for sh in slide.shapes if sh.has_text_frame for para in sh.text_frame.paragraphs for r in para.runs]
    assert {r.font.name for r in runs} == {"Georgia"}
    bar = next(sh.chart for sh in slide.shapes if sh.has_chart).plots[0].series[0]
    assert str(bar.format.fill.fore_color.rgb) == "A00000"  # segment 1 takes the template's first accent


def test_study_deck_section_is_strict_and_checks_the_template(demo_study, tmp_path):
    from workbench.core.errors import StudyError
    from workbench.study import load_study

    folder = tmp_path / "study"
    folder.mkdir()
    text = (demo_study / "study.yaml").read_text(encoding="utf-8")
    for name in ("waves", "behaviour"):
        os.symlink(demo_study / name, folder / name)
    base = re.sub(r"(?m)^deck:.*\n(?:[ ]+.*\n)*", "", text)
    (folder / "study.yaml").write_text(base + 'deck:\n  template: brand/kunde.pptx\n  colours: ["#12AB34", "red"]\n'
                                       "  max_item: 6\n", encoding="utf-8")
    with pytest.raises(StudyError) as err:
        load_study(folder)
    msg = "\n".join(err.value.problems)
    line = len(base.splitlines()) + 2
    assert f"line {line}, deck.template: deck template not found" in msg
    assert "deck.colours: colours must be hex RGB like '#1F5F99'; not: red" in msg and "deck.max_item: unknown key" in msg
    _client_template((folder / "brand").mkdir() or folder / "brand" / "kunde.pptx")
    (folder / "study.yaml").write_text(base + "deck:\n  template: brand/kunde.pptx\n  title: Kundeprofiler\n",
                                       encoding="utf-8")
    study = load_study(folder)
    assert study.spec.deck.template == "brand/kunde.pptx" and study.spec.deck.max_items == 8


# ----------------------------------------------------------------------------- hygiene


def test_numbers_on_slides_agree_with_profiles_xlsx(deck, demo_run):
    overview = pd.read_excel(demo_run.folder / "profiles.xlsx", sheet_name="Overview", header=2)
    sizes = next(sh.chart for s in deck.slides for sh in s.shapes
                 if sh.has_chart and sh.chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED).plots[0]
    # one rounding rule: whole percent by largest remainder (workbench.core.measures.round_shares)
    assert list(sizes.series[0].values) == [float(x) for x in round_shares(overview["Share %"])]
    assert [str(c) for c in sizes.categories] == [f"{p.name} (n={int(n):,})" for p, n in
                                                  zip(_shown(demo_run), overview["n"])]
    traits = pd.read_excel(demo_run.folder / "profiles.xlsx", sheet_name="Traits", header=2)
    checked = 0
    for slide, p in zip([s for s in deck.slides if any(sh.has_chart and sh.chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
                                                       for sh in s.shapes)], _shown(demo_run)):
        plot = next(sh.chart for sh in slide.shapes if sh.has_chart).plots[0]
        for cat, v in zip(plot.categories, plot.series[0].values):
            label = re.sub(r" \((need|motivation|barrier)\)$", "", str(cat))  # 'Label (need)' on the chart
            ref = traits[(traits["Segment"] == p.segment) & (traits["Label"] == label)]
            if len(ref):
                assert v == pytest.approx(float(ref["Index (100 = average)"].iloc[0]), rel=1e-9)
                checked += 1
    assert checked >= 15


def _xml_text(path) -> dict:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()
                if n.endswith(".xml") or n.endswith(".rels") and not n.startswith("docProps/")}


def test_no_pii_in_any_part_of_the_pptx(deck_path, demo_run):
    xml = "\n".join(_xml_text(deck_path).values())
    with zipfile.ZipFile(deck_path) as z:  # the charts' embedded workbooks too
        for n in z.namelist():
            if n.endswith(".xlsx"):
                with zipfile.ZipFile(z.open(n)) as wb:
                    xml += "\n".join(wb.read(m).decode("utf-8") for m in wb.namelist() if m.endswith(".xml"))
    values = {str(v).strip() for v in demo_run.responses.pii.to_numpy().ravel() if len(str(v).strip()) > 3}
    values -= {"nan", "None"}
    assert len(values) > 1000
    assert sorted(v for v in values if v in xml) == []
    assert not re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", xml)
    for col in demo_run.study.pii:
        assert f">{col}<" not in xml


def test_same_inputs_give_identical_slide_xml(demo_run, tmp_path, deck_path):
    again = tmp_path / "again.pptx"
    build_deck(demo_run.study, demo_run.scorecard, demo_run.profiles, demo_run.opportunities, demo_run.personas,
               wave=demo_run.wave, **_kw(demo_run)).save(str(again))
    a, b = _xml_text(deck_path), _xml_text(again)
    assert a.keys() == b.keys() and len([n for n in a if n.startswith("ppt/slides/slide")]) > 10
    assert [n for n in a if a[n] != b[n]] == []


# ----------------------------------------------------------------------------- workbench deck


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def report_copy(demo_run, demo_study, tmp_path):
    study = tmp_path / "demo"
    shutil.copytree(demo_study, study, ignore=shutil.ignore_patterns("waves", "behaviour", "truth"))
    for name in ("waves", "behaviour"):
        os.symlink(demo_study / name, study / name)
    shutil.copy(demo_run.folder / "personas.yaml", study / "personas.yaml")
    reports = tmp_path / "reports"
    shutil.copytree(demo_run.folder, reports / demo_run.study.id / demo_run.wave)
    return study, reports


def _cli(*args):
    code = ("import sys; from workbench.cli import main; rc = main(sys.argv[1:]); "
            "heavy = [m for m in ('workbench.segments', 'stepmix', 'workbench.factors', 'sklearn') if m in sys.modules]; "
            "print('HEAVY', heavy, file=sys.stderr); sys.exit(rc)")
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, timeout=120)


def test_workbench_deck_rerenders_with_the_edited_name_and_touches_nothing_else(report_copy, demo_run):
    study, reports = report_copy
    folder = reports / demo_run.study.id / demo_run.wave
    before = {p.name: _sha(p) for p in folder.iterdir() if p.is_file()}
    old = list(demo_run.personas)[0].name
    new = "Digitale døgnkunder på Ærø og i Växjö"
    text = (study / "personas.yaml").read_text(encoding="utf-8")
    (study / "personas.yaml").write_text(text.replace(f"name: {old}\n", f"name: {new}\n", 1), encoding="utf-8")
    res = _cli("deck", study, "--wave", demo_run.wave, "--reports", reports)
    assert res.returncode == 0, res.stderr
    assert "HEAVY []" in res.stderr  # nothing was re-fitted: no segmentation or factor code even imported
    after = {p.name: _sha(p) for p in folder.iterdir() if p.is_file()}
    assert {n for n in before if before[n] != after.get(n)} == {"personas.pptx", "personas.yaml", "manifest.json"}
    assert set(after) == set(before)
    prs = Presentation(str(folder / "personas.pptx"))
    titles = [_title(s) for s in prs.slides]
    assert new in titles and old not in titles
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["outputs_sha256"]["personas.pptx"] == after["personas.pptx"]
    assert man["rerenders"][-1]["edited"] == {list(demo_run.personas)[0].id: ["name"]}


def test_an_earlier_wave_s_deck_is_re_rendered_only_with_force_and_from_its_own_personas(report_copy, demo_run):
    """Once wave 2 has run, the study's personas.yaml holds wave 2's personas: re-rendering wave
    1's deck is refused without --force (an earlier wave's outputs are never replaced unasked)
    and, with it, uses wave 1's own personas.yaml, which stays as it was."""
    study, reports = report_copy
    folder = reports / demo_run.study.id / demo_run.wave
    later = folder.parent / "2"
    later.mkdir()
    (later / "manifest.json").write_text("{}", encoding="utf-8")  # a run of wave 2 since
    old = list(demo_run.personas)[0].name
    text = (study / "personas.yaml").read_text(encoding="utf-8")
    (study / "personas.yaml").write_text(text.replace(f"name: {old}\n", "name: Named after wave 2\n", 1), encoding="utf-8")
    before = {p.name: _sha(p) for p in folder.iterdir() if p.is_file()}
    res = _cli("deck", study, "--wave", demo_run.wave, "--reports", reports)
    assert res.returncode == 2, res.stderr
    line = [x for x in res.stderr.splitlines() if x.startswith("error:")][0]
    assert "wave 1 is an earlier wave: wave 2 has run since" in line and "--force" in line
    assert {p.name: _sha(p) for p in folder.iterdir() if p.is_file()} == before  # nothing written
    res = _cli("deck", study, "--wave", demo_run.wave, "--reports", reports, "--force")
    assert res.returncode == 0, res.stderr
    titles = [_title(s) for s in Presentation(str(folder / "personas.pptx")).slides]
    assert old in titles and "Named after wave 2" not in titles
    assert _sha(folder / "personas.yaml") == before["personas.yaml"]


def test_workbench_deck_without_edits_reproduces_the_run_deck(report_copy, demo_run):
    study, reports = report_copy
    folder = reports / demo_run.study.id / demo_run.wave
    original = _xml_text(folder / "personas.pptx")
    from workbench.deck.rerender import rerender_deck

    rerender_deck(study, demo_run.wave, reports=reports)
    again = _xml_text(folder / "personas.pptx")
    assert [n for n in original if original[n] != again.get(n)] == []


def test_workbench_deck_bad_input_is_one_clear_message(report_copy, demo_run, tmp_path):
    study, reports = report_copy
    res = _cli("deck", study, "--wave", demo_run.wave, "--reports", tmp_path / "nowhere")
    assert res.returncode == 2 and "no report folder for wave 1" in res.stderr and "Traceback" not in res.stderr
    text = (study / "personas.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("  name: "))
    lines[i] = "  name: [not, a, name]"
    (study / "personas.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = _cli("deck", study, "--wave", demo_run.wave, "--reports", reports)
    assert res.returncode == 2, res.stderr
    assert "personas.yaml" in res.stderr and f"row {i + 1}" in res.stderr.replace("line", "row") \
        and "'name' must be text" in res.stderr


# ----------------------------------------------------------------------------- LibreOffice


needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"),
                                   reason="LibreOffice (soffice) is not installed; in CI (CI set) this test must run")


@needs_soffice
def test_libreoffice_renders_every_slide_names_and_keeps_text_on_the_page(deck_path, deck, demo_run, tmp_path):
    from workbench.deck import pptx_to_pdf

    pdf = pptx_to_pdf(deck_path, tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == len(deck.slides)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for p in _shown(demo_run):
        assert p.name in flat
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox, flags=re.S)
    assert len(pages) == len(deck.slides)
    words = 0
    for w, h, body in pages:
        for x0, y0, x1, y1 in re.findall(r'xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)"', body):
            words += 1
            assert float(x0) >= 0 and float(y0) >= 0 and float(x1) <= float(w) + 0.5 and float(y1) <= float(h) + 0.5
    assert words > 1000
    # for a person to look at after `make test`: reports/test-renders/deck/ (git ignores reports/)
    looked_at = Path(__file__).resolve().parents[1] / "reports" / "test-renders" / "deck"
    pngs = render_pngs(deck_path, looked_at, pages=[2, 4, 5, 6])
    from PIL import Image

    assert [p.name for p in pngs] == ["slide-02.png", "slide-04.png", "slide-05.png", "slide-06.png"]
    assert all(Image.open(p).size[0] == 1280 for p in pngs)
