"""Draw the whole deck from plain data: :func:`render_deck` opens the template, picks the
palette and calls the slide builders in order."""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pptx import Presentation
from pptx.dml.color import RGBColor

from ..core.errors import OutputError
from .content import MAX_CHART_ITEMS, shown_personas, whole_shares
from .data import DeckData, DeckTrends
from .texts import words
from .layout import DARK, DEFAULT_TEMPLATE, PALETTE, SLIDE_HEIGHT, SLIDE_WIDTH, Canvas, readable, segment_colours, theme_of
from .slides_accounts import accounts_slide
from .slides_migration import migration_slides
from .slides_forward import forward_slide
from .slides_appendix import factor_slide, fit_slide, method_slide, model_slide, recognise_slide, scorecard_slide
from .slides_overview import agenda_slide, findings_slide, glance_slide, recommendations_slide
from .slides_persona import persona_slides
from .slides_summary import matrix_slides, sizes_slide, summary_slides, title_slide
from .slides_trends import trend_slides

if TYPE_CHECKING:  # the study is read for its deck: settings and folder only
    from ..describe.personas import Personas
    from ..study import Study

__all__ = ["render_deck", "deck_options", "template_path", "open_template"]

logger = logging.getLogger("workbench.deck")


def deck_options(study: Study | None, options) -> dict:
    """The study's ``deck:`` settings as a dict, merged with ``options`` (which win when not None)."""
    base = study.spec.deck.model_dump() if study is not None else {}
    base.update({k: v for k, v in (options or {}).items() if v is not None})
    return base


def template_path(study: Study | None, template, opts) -> Path:
    """The template to open: ``template``, else the ``deck.template`` setting (relative to the
    study folder), else :data:`~workbench.deck.layout.DEFAULT_TEMPLATE`."""
    if template is not None:
        return Path(template)
    t = opts.get("template")
    if t:
        root = Path(study.root) if study is not None else Path(".")
        return root / t
    return DEFAULT_TEMPLATE


def open_pptx(path: Path, what: str, hint: str = ""):
    """``path`` as a python-pptx presentation, or one OutputError naming the file: ``what`` is
    how the message names it ('the deck template'), ``hint`` what to do about a bad file."""
    if not Path(path).is_file():
        raise OutputError(f"{what} does not exist: {path}", file=path)
    try:
        return Presentation(str(path))
    except Exception as exc:  # noqa: BLE001 - python-pptx raises many kinds on a bad file
        raise OutputError(f"{what} is not a PowerPoint .pptx file python-pptx can open ({type(exc).__name__}: "
                          f"{exc}){'; ' + hint if hint else ''}", file=path) from None


def open_template(path: Path):
    """The template as a presentation without its own example slides."""
    if not path.exists():
        raise OutputError(f"deck template not found: {path}", file=path)
    prs = open_pptx(path, "the deck template", "save it as .pptx (not .potx or .ppt)")
    for sld_id in list(prs.slides._sldIdLst):  # a template's own example slides are not part of the deck
        prs.part.drop_rel(sld_id.rId)
        prs.slides._sldIdLst.remove(sld_id)
    return prs


def render_deck(data: DeckData, personas: Personas, *, template=None, options: dict | None = None,
                trends: DeckTrends | None = None, study: Study | None = None):
    """Draw the deck from plain data and personas.

    Parameters
    ----------
    data : DeckData
    personas : Personas
    template : path, optional
        A ``.pptx`` whose masters, layouts, theme colours and fonts are used (its slides are
        dropped).  Default: the study's ``deck.template``, else :data:`DEFAULT_TEMPLATE`.
    options : dict, optional
        Deck settings overriding the study's ``deck:`` section (``title``, ``subtitle``,
        ``max_items``, ``colours``).
    trends : DeckTrends, optional
        Adds 'Segment sizes over waves' and 'Key movements' after the segment sizes.
    study : Study, optional
        For its ``deck:`` settings and folder (template paths are relative to it).

    Returns
    -------
    pptx.presentation.Presentation
    """
    opts = deck_options(study, options)
    if study is not None and len(data.factors) and "battery" in data.factors.columns:
        # a battery as the client reads it: its block's label (deck data saved before it said so)
        blocks = {k: b.label for k, b in study.spec.blocks.items()}
        data = replace(data, factors=data.factors.assign(
            battery=[blocks.get(str(x)) or str(x) for x in data.factors["battery"]]))
    path = template_path(study, template, opts)
    prs = open_template(path)
    if (prs.slide_width, prs.slide_height) != (SLIDE_WIDTH, SLIDE_HEIGHT):
        logger.warning("deck: template slide size %s × %s EMU is not 16:9 (%s × %s); the layout adapts but may "
                       "look cramped", prs.slide_width, prs.slide_height, SLIDE_WIDTH, SLIDE_HEIGHT)
    theme = theme_of(prs)
    if opts.get("colours"):
        palette = tuple(str(c).lstrip("#").upper() for c in opts["colours"])
    elif path != DEFAULT_TEMPLATE and theme["colours"]:
        accents = [theme["colours"][f"accent{i}"] for i in range(1, 7) if f"accent{i}" in theme["colours"]]
        palette = tuple(readable(a) for a in accents) + tuple(c for c in PALETTE if c not in accents)
    else:
        palette = PALETTE
    title = opts.get("title") or data.study_name
    w = words(data.language)
    d = Canvas(prs, footer=w("footer", title=title, wave=data.wave, date=w.date(data.date)), palette=palette, w=w)
    labels = list(data.labels) or [p.segment for p in personas]
    colours = segment_colours(labels, palette)
    for p in personas:
        colours.setdefault(p.segment, RGBColor.from_string(palette[len(colours) % len(palette)]))
    personas = whole_shares(personas)
    shown, hidden = shown_personas(data, personas)
    if hidden:
        logger.info("deck: %d segment(s) suppressed (n < %d): %s", len(hidden), data.min_segment_n,
                    ", ".join(str(p.segment) for p in hidden))
    max_items = int(opts.get("max_items") or MAX_CHART_ITEMS)

    title_slide(d, data, shown, opts)
    agenda_slide(d, data, shown, trends)
    findings_slide(d, data, shown)
    summary_slides(d, data, shown, hidden, colours)
    glance_slide(d, data, shown, colours)
    sizes_slide(d, data, shown, hidden, colours)
    accounts_slide(d, data)
    if trends is not None:
        trend_slides(d, trends, colours, {p.segment: p.name for p in personas}, data)
        migration_slides(d, trends, colours, {p.segment: p.name for p in personas})
    matrix_slides(d, data, shown, colours, max_items)
    if data.forward:  # a key message for the client: in the body, before the personas
        forward_slide(d, data, {str(p.segment): p.name for p in personas}, colours)
    for p in shown:
        persona_slides(d, data, p, colours.get(p.segment, DARK), opts)
    recommendations_slide(d, data, shown, colours)
    if data.recognise:
        recognise_slide(d, data)
    method_slide(d, data, shown, hidden)
    factor_slide(d, data)
    fit_slide(d, data)
    if data.scorecard is not None:
        scorecard_slide(d, data)
    else:
        model_slide(d, data)

    cp = prs.core_properties
    cp.title = f"{data.study_name}: personas, wave {data.wave}"
    cp.subject = "Customer personas"
    cp.author = cp.last_modified_by = "workbench"
    stamp = _dt.datetime.combine(_dt.date.fromisoformat(data.date), _dt.time(0, 0))
    cp.created = cp.modified = stamp
    cp.last_printed = stamp
    cp.revision = 1
    cp.keywords = f"workbench; study={data.study_id}; wave={data.wave}"  # which wave made it: deck --update
    logger.info("deck: %d slides, %d personas", len(prs.slides), len(shown))
    return prs
