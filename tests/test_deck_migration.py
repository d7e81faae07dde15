"""The deck's migration slides from plain data (deck/slides_migration.py): the colour-coded
matrix (darker = larger share, the stayers bold), per segment stayed / came from / went to,
and the 'segments changed meaning' slide when the transitions cannot be read."""

import pandas as pd

from workbench.deck.data import DeckTrends
from workbench.deck.layout import DEFAULT_TEMPLATE, PALETTE, Canvas, luminance, segment_colours
from workbench.deck.render import open_template

MIG = {"from_wave": "1", "to_wave": "2", "n_panel": 475, "readable": True, "message": "91% stayed.",
       "segments": [[1, "Webshop buyers"], [2, "Price hunters"], [3, "Advice seekers"]],
       "matrix": [[100, 0, 0], [4, 90, 6], [27, 0, 73]],
       "per_segment": [{"segment": 1, "stayed": 100, "came_from": [["Advice seekers", 17]], "went_to": []},
                       {"segment": 2, "stayed": 90, "came_from": [], "went_to": [["Advice seekers", 6]]},
                       {"segment": 3, "stayed": 73, "came_from": [], "went_to": [["Webshop buyers", 27]]}],
       "drift": []}
SIZES = pd.DataFrame([{"wave": "1", "segment": 1, "name": "x", "n": 1, "share": 100.0, "ci_low": 99.0,
                       "ci_high": 100.0}])


def _deck(mig):
    from workbench.deck.slides_migration import migration_slides

    prs = open_template(DEFAULT_TEMPLATE)
    d = Canvas(prs, footer="test", palette=PALETTE)
    trends = DeckTrends.from_dict(DeckTrends(sizes=SIZES, migration=mig).to_dict())  # the saved round trip
    migration_slides(d, trends, segment_colours([1, 2, 3], PALETTE), {})
    return prs


def _table(slide):
    return next(sh.table for sh in slide.shapes if sh.has_table)


def test_matrix_is_colour_coded_and_per_segment_table_agrees():
    prs = _deck(MIG)
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles == ["Where did each segment's customers go?", "Stayed, came from, went to"]
    t = _table(prs.slides[0])
    assert [t.cell(0, j).text for j in range(4)] == ["Wave 1 → wave 2", "Webshop buyers", "Price hunters",
                                                    "Advice seekers"]
    assert [t.cell(3, j).text for j in range(1, 4)] == ["27\u00a0%", "0\u00a0%", "73\u00a0%"]
    lum = {v: luminance(str(t.cell(i + 1, j + 1).fill.fore_color.rgb))
           for i, row in enumerate(MIG["matrix"]) for j, v in enumerate(row)}
    assert lum[100] < lum[73] < lum[27] < lum[6] < lum[0] == 1.0  # darker = larger share
    assert t.cell(3, 3).text_frame.paragraphs[0].runs[0].font.bold  # the stayers
    assert not t.cell(3, 1).text_frame.paragraphs[0].runs[0].font.bold
    t2 = _table(prs.slides[1])
    # stayed on the second slide is the matrix's diagonal: one value for one fact
    assert [t2.cell(i, 1).text for i in (1, 2, 3)] == ["100\u00a0%", "90\u00a0%", "73\u00a0%"]
    assert t2.cell(3, 3).text == "Webshop buyers 27\u00a0%" and t2.cell(2, 2).text == "hardly anyone"


def test_changed_meaning_says_so_and_shows_no_matrix():
    mig = {k: v for k, v in MIG.items() if k not in ("matrix", "per_segment")}
    mig.update(readable=False, drift=["'Fast delivery' is answered higher within the same segments"])
    prs = _deck(mig)
    assert len(prs.slides) == 1
    s = prs.slides[0]
    assert not any(sh.has_table for sh in s.shapes)
    text = " ".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
    assert "The segments changed meaning between the waves" in text and "re-fitting" in text
    assert "(rows)" not in text
    assert "Fast delivery" in s.notes_slide.notes_text_frame.text  # the drifted items: for the consultant
