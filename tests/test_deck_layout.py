"""The deck's drawing primitives (workbench.deck.layout): wrapped lines, font fitting, colours."""

from __future__ import annotations

import pytest
from pptx.util import Inches

from workbench.deck import PALETTE, estimate_lines, fit_font_size, segment_colours
from workbench.deck.layout import CHAR_WIDTH, LINE_HEIGHT, PAD_X, PAD_Y, luminance, readable, shorten, text_height


def _width_for(chars_per_line: int, size_pt: float) -> int:
    """A box width (EMU) holding exactly ``chars_per_line`` average glyphs at ``size_pt``."""
    return int(round((chars_per_line + 0.5) * CHAR_WIDTH * size_pt * 12700 + 2 * PAD_X))


def test_estimate_lines_wraps_words_greedily_like_a_hand_count():
    w = _width_for(10, 10)  # 10 glyphs a line
    assert estimate_lines("aaaa bbbb", w, 10) == 1  # 9 glyphs
    assert estimate_lines("aaaa bbbb cc", w, 10) == 2  # 12: "aaaa bbbb" / "cc"
    assert estimate_lines("a" * 25, w, 10) == 3  # a word longer than a line is broken: 10 + 10 + 5
    assert estimate_lines("aaaa\nbbbb\ncccc", w, 10) == 3  # each paragraph starts a line
    assert estimate_lines("æøåäö ĳÆØÅ", w, 10) == 1  # Nordic / Dutch letters are one glyph each


def test_text_height_and_fit_font_size_agree_with_the_formula():
    w = _width_for(40, 12)
    text = "Hurtig levering til værkstedet i Ærøskøbing, også lørdag og søndag, hele året rundt"
    lines = estimate_lines(text, w, 12)
    assert text_height(text, w, 12) == int(lines * 12 * LINE_HEIGHT * 12700 + 2 * PAD_Y)
    h = text_height(text, w, 12)
    size = fit_font_size(text, w, h, max_pt=20, min_pt=8)
    assert size is not None and size >= 12  # fits at 12 pt by construction
    assert text_height(text, w, size) <= h
    if size < 20:  # the largest whole size that fits: one point more does not
        assert text_height(text, w, size + 1) > h
    assert fit_font_size(text * 20, w, h, max_pt=20, min_pt=10) is None


def test_shorten_cuts_at_a_word_and_fits():
    w, size = int(Inches(3)), 12
    h = text_height("x", w, size)  # one line
    text = "Vi ønsker at bestille døgnet rundt, også når sælgeren er på ferie i Göteborg"
    cut = shorten(text, w, h, size)
    assert cut.endswith(" …") and text.startswith(cut[:-2])
    assert text_height(cut, w, size) <= h


def test_segment_colours_follow_the_labels_and_cycle_the_palette():
    labels = list(range(1, len(PALETTE) + 3))
    colours = segment_colours(labels)
    assert [str(colours[s]) for s in labels[:len(PALETTE)]] == list(PALETTE)
    assert str(colours[labels[-1]]) == PALETTE[1]  # cycled
    assert segment_colours(["b", "a"], ("112233", "445566")) == {"b": segment_colours(["b"], ("112233",))["b"],
                                                                 "a": segment_colours(["a"], ("445566",))["a"]}


@pytest.mark.parametrize("accent", ["FFC000", "70AD47", "5B9BD5", "FFFF00", "1F5F99"])
def test_readable_colours_reach_contrast_three_against_white(accent):
    out = readable(accent)
    # WCAG contrast of white text on the colour, computed here from the relative luminance
    assert (1.0 + 0.05) / (luminance(out) + 0.05) >= 3.0
    if (1.0 + 0.05) / (luminance(accent) + 0.05) >= 3.0:
        assert out == accent  # already readable: unchanged
