"""The persona deck: ``personas.pptx`` drawn with python-pptx from plain data.

The deck renders plain data only (:class:`DeckData`, :class:`DeckTrends` and the
:class:`~workbench.describe.personas.Personas`) and imports no result class: reading a run's results
(scorecard, profiles, opportunities, quality report, factor solutions, candidates,
weighting) into a :class:`DeckData` is the deck step's job
(:func:`workbench.steps.deck_data.deck_data`, with typed imports of those classes).  The
data is saved as ``deck_data.json`` in the report folder, so that ``workbench deck`` can
re-render the deck after a consultant edits ``personas.yaml`` without re-fitting anything
(:func:`rerender_inputs`; the editing itself is :func:`workbench.describe.personas.apply_persona_edits`).

Modules
-------
``data``             :class:`DeckData`, :class:`DeckTrends`, the personas saved with them, JSON round trip
``layout``           geometry, colours, text fitting, the template's theme and layouts (:class:`~.layout.Canvas`)
``content``          what the slides say, read from the data (KPI values and formats from :mod:`workbench.core.measures`)
``texts``, ``lang``  every text the deck writes, one table per language; numbers and dates per language
``slides_summary``   title, executive summary, segment sizes, the comparison matrix (with column letters)
``slides_trends``    segment sizes over waves, key movements and the re-fit advice
``slides_persona``   per persona: profile slide, behaviour slide, continuation slides
``slides_appendix``  recognising the segments, method and quality, factors, fit table, scorecard
``render``           :func:`render_deck`: the template, the palette, the slides in order
``convert``          LibreOffice / pdftoppm: :func:`pptx_to_pdf`, :func:`render_pngs`
``update``           :func:`update_presentation`: an edited deck of an earlier wave refreshed with this wave's
                     numbers (the shapes the workbench owns are named ``wb:<slide>:<shape>``)
``rerender``         ``workbench deck``: a saved wave's deck re-rendered or updated (holds the wave lock;
                     imports no statistics, as every module here)

Slides, in order
----------------
title; executive summary; segment sizes (native chart); segment sizes over waves and key
movements (when :class:`DeckTrends` are given); the segment comparison matrix (native table,
colour-coded indices); per persona a profile slide (headline verbatim, who they are, needs,
motivations and barriers, a native index-vs-total chart) and a behaviour slide (RFM tier and
channel mix as native charts, cost to serve, lapsed share, top underserved JTBD outcomes and
how to win them), plus continuation slides when text does not fit; appendix: how to
recognise the segments, method and quality, the factor solution, the fit table of
candidates, and the relevant / operational / describable scorecard (or, for a wave
classified with a frozen model, which model).  Every slide carries speaker notes with the
numbers behind it; each segment keeps one colour on every slide (:func:`segment_colours`).

Templates
---------
The study's ``deck.template`` (a ``.pptx``) supplies slide masters, layouts, theme colours
and fonts: titles go into the layouts' title placeholders, text uses the theme's fonts, and
segments take the theme's accent colours (unless ``deck.colours`` names them).  Without one
the neutral 16:9 ``workbench/resources/deck_template.pptx`` is used (built by
``workbench/resources/make_template.py``).

Text fits by construction: every text box gets a font size chosen from its text length
(:func:`fit_font_size`, a conservative estimate of wrapped lines), and list sections that
do not fit at the smallest size move to a continuation slide.
"""

from __future__ import annotations

from .convert import pptx_to_pdf, render_pngs
from .data import DECK_DATA, TRENDS_FILE, DeckData, DeckTrends, load_trends, rerender_inputs
from .layout import DEFAULT_TEMPLATE, PALETTE, SLIDE_HEIGHT, SLIDE_WIDTH, estimate_lines, fit_font_size, segment_colours
from .render import render_deck
from .update import UpdateReport, deck_wave, update_presentation

__all__ = ["render_deck", "DeckData", "DeckTrends", "load_trends", "rerender_inputs", "segment_colours",
           "fit_font_size", "estimate_lines", "render_pngs", "pptx_to_pdf", "PALETTE", "SLIDE_WIDTH", "SLIDE_HEIGHT",
           "DEFAULT_TEMPLATE", "DECK_DATA", "TRENDS_FILE", "update_presentation", "UpdateReport", "deck_wave"]

