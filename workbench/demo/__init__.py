"""A deterministic synthetic demo study: two survey waves, behaviour, and the planted truth.

``generate_demo(folder)`` writes a complete study folder for the packaged study
definition (``workbench/resources/demo_study.yaml``): a B2B customer base of a
Nordic/Benelux technical wholesaler with five hidden segments, two survey waves in the
formats consultants receive them (a Danish-Excel CSV and an SPSS file), two years of
order lines, a customer master, and - apart from the data the analysis reads - the
ground truth under ``truth/`` that recovery tests compare against.

The planted structure
---------------------
* Five segments with unequal shares (26/22/20/18/14 % in wave 1). Between the waves
  customers migrate (installers to digital self-service above all), so wave 2 shows
  planted size shifts; each customer keeps ``segment_wave1`` and ``segment_wave2``.
* Eight latent dimensions behind the 24 segmentation-basis items, three items each:
  the twelve needs by position (price, delivery reliability, digital self-service,
  advice & relationship; reverse-keyed items load negatively) and the motivations and
  barriers by their ``force:`` in the study (push, pull, anxiety, habit). A respondent's
  dimension score is the segment mean plus noise; an item is ``loading * score + noise``
  cut into five ordered categories.
* JTBD outcomes whose importance and satisfaction depend on the segment, firmographics
  consistent with the customer master and the segment, verbatims in the respondent's
  language (Danish, Swedish, Norwegian bokmål, Dutch/Flemish), and the usual quality
  problems: speeders, straightliners, item nonresponse, don't-know and not-applicable
  codes, break-offs, and in wave 1 duplicate submissions and out-of-range codes.

Everything is drawn from one ``numpy.random.Generator`` seeded with ``seed`` (through
spawned child generators, one per part), so two runs with the same seed write
byte-identical files.
"""

from __future__ import annotations

from .constants import (
    ACCOUNT_MANAGER_RATE, CATEGORIES, CATEGORY_MIX, CHANNEL_MIX, COUNTRY_MIX, DELIVERY_PER_LINE,
    DELIVERY_PER_ORDER, DIMENSIONS, DISCOUNT_BY_SIZE, DISCOUNT_PRICE_SEGMENT, DONT_KNOW_PRONE_ITEMS,
    DONT_KNOW_SHARE, DURATION_MEDIAN_SEC, EXTRA_LINES, FORCE_DIMENSIONS, GENERATOR_VERSION,
    HANDLING_PER_LINE, HANDLING_PER_ORDER, INDUSTRY_MIX, ITEMS_PER_DIMENSION, ITEM_BLANK_SHARE,
    ITEM_BLANK_SKEW, ITEM_NOISE_SD, ITEM_OFFSET_RANGE, LIKERT_BASE, LOADING_RANGE, MATURITY_BY_CHANNEL,
    MATURITY_SEGMENT_SHIFT, MIGRATION, NEEDS_DIMENSIONS, ORDERS_PER_YEAR, ORDER_RATE_BY_SIZE,
    OUTCOME_IMPORTANCE, OUTCOME_NOT_APPLICABLE, OUTCOME_SATISFACTION, PRIMARY_CHANNEL_SHARE,
    QUANTITY_BY_SEGMENT, QUANTITY_BY_SIZE, QUANTITY_MEAN, REINTERVIEW_SHARE, RETURN_HANDLING_EUR,
    RETURN_RATE, ROLE_MIX, SEGMENTS, SEGMENT_MEANS, SHARES_WAVE1, SIZE_MIX, SPEEDER_SHARE, STATUS_MIX,
    STRAIGHTLINER_SHARE, TRAIT_STABILITY, UNIT_PRICE_EUR, VERBATIM_BLANK_SHARE, VERBATIM_PII_SHARE,
    WITHIN_SD,
)
from .generate import generate_demo
from .plan import DemoSummary

__all__ = [
    "generate_demo",
    "DemoSummary",
    "SEGMENTS",
    "DIMENSIONS",
    "GENERATOR_VERSION",
]

