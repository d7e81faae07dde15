"""The demo generator's planted parameters: segments, shares, item and behaviour rates."""

from __future__ import annotations


import numpy as np



GENERATOR_VERSION = "1.0.0"
_RESOURCE = "demo_study.yaml"

# --------------------------------------------------------------------------- planted truth

#: Segment names, numbered 1..5 in this order.
SEGMENTS = (
    "Digital self-servers",
    "Price-driven buyers",
    "Relationship-reliant installers",
    "Reliability-critical producers",
    "Occasional small buyers",
)
#: Share of the customer base in each segment at wave 1.
SHARES_WAVE1 = (0.26, 0.22, 0.20, 0.18, 0.14)
#: Customers migrating between the waves, as shares of the whole customer base:
#: (from segment, to segment) -> share. Net: digital +6, price -1, installers -5.
MIGRATION = {(3, 1): 0.05, (2, 1): 0.01, (2, 5): 0.01, (5, 2): 0.01}
#: Forward behaviour (issue 27): the share of each segment's regular, non-migrating customers
#: who stop buying within ``FORWARD_CHURN_DAYS`` after the first wave's reference date (price-
#: driven buyers lured away by a discounter), whatever their order history said. Planted in
#: segment 2 only: the other segments' forward behaviour is what their history predicts (the
#: planted null). Drawn from a random stream of its own, so every other draw is unchanged and
#: wave 1 (which sees no line after its reference date) is exactly as before.
FORWARD_CHURN = (0.0, 0.5, 0.0, 0.0, 0.0)
FORWARD_CHURN_DAYS = 60

#: The needs block, in file order, holds three items per dimension in this order.
NEEDS_DIMENSIONS = ("price", "delivery", "digital", "advice")
#: Motivations and barriers are assigned by their ``force:`` in the study definition.
FORCE_DIMENSIONS = ("push", "pull", "anxiety", "habit")
#: The eight planted dimensions behind the 24 segmentation-basis items.
DIMENSIONS = NEEDS_DIMENSIONS + FORCE_DIMENSIONS
ITEMS_PER_DIMENSION = 3

# Segment means on the dimensions (rows: segments 1..5; columns: DIMENSIONS). Each segment
# owns one needs dimension; the columns were chosen (numerically, then rounded) so that the
# dimensions correlate at most ~0.4 across respondents and every pair of segments is far
# apart, while the segment stories hold.
SEGMENT_MEANS = np.array(
    [
        #  price delivery digital advice push  pull  anxiety habit
        [-0.60, -0.30, 1.30, -0.40, 0.55, -0.50, -0.50, -0.40],  # digital self-servers
        [1.25, 0.15, -0.20, -0.30, -0.10, -0.85, -0.90, 0.85],  # price-driven buyers
        [-0.55, -0.60, -0.45, 1.30, 0.50, 0.50, 0.60, 0.45],  # relationship-reliant installers
        [0.20, 1.40, -0.25, -0.40, 0.55, 1.05, -0.20, -0.85],  # reliability-critical producers
        [0.20, -0.45, -0.20, -0.65, -1.50, -0.40, 1.10, -0.95],  # occasional small buyers
    ]
)
WITHIN_SD = 0.40  # sd of a dimension score within a segment
TRAIT_STABILITY = 0.7  # correlation of a customer's within-segment position across waves
ITEM_NOISE_SD = 0.65  # sd of an item's own noise around loading * score
LOADING_RANGE = (0.85, 1.0)
ITEM_OFFSET_RANGE = (-0.35, 0.35)  # item-specific shift of the Likert cut points
# Typical answer distribution of an agree item (codes 1..5) before the item shift.
LIKERT_BASE = (0.07, 0.16, 0.27, 0.32, 0.18)

# JTBD outcomes (rows: outcomes in file order; columns: segments 1..5), expected answers.
OUTCOME_IMPORTANCE = np.array(
    [
        [4.6, 3.6, 3.2, 4.0, 2.8],  # fast repeat orders
        [3.6, 3.2, 4.3, 4.7, 2.9],  # no stock-outs on site
        [3.8, 3.4, 3.9, 3.3, 3.5],  # find the right product
        [3.9, 3.5, 3.8, 4.8, 3.3],  # error-free orders
        [3.3, 4.6, 3.0, 3.2, 4.1],  # low freight cost
        [4.1, 3.7, 2.8, 4.2, 2.7],  # easy invoice matching
        [4.2, 3.0, 3.6, 4.4, 2.8],  # delivery visibility
        [2.6, 2.7, 4.7, 3.5, 3.3],  # quick technical answers
        [3.5, 3.6, 3.3, 3.4, 3.0],  # easy returns
        [3.2, 2.4, 2.8, 3.9, 2.3],  # document sustainability
    ]
)
OUTCOME_SATISFACTION = np.array(
    [
        [2.3, 3.3, 3.6, 3.2, 3.6],
        [3.5, 3.4, 2.9, 2.5, 3.6],
        [2.9, 3.3, 3.4, 3.5, 3.1],
        [3.5, 3.6, 3.5, 2.4, 3.7],
        [3.2, 2.4, 3.5, 3.5, 2.9],
        [2.6, 3.2, 3.5, 2.9, 3.4],
        [2.7, 3.3, 3.1, 2.6, 3.4],
        [3.6, 3.5, 2.4, 3.3, 3.2],
        [3.3, 3.2, 3.4, 3.3, 3.3],
        [2.8, 3.4, 3.2, 2.3, 3.4],
    ]
)
# Share answering "not applicable" on satisfaction (rows outcomes, columns segments).
OUTCOME_NOT_APPLICABLE = np.full((10, 5), 0.012)
OUTCOME_NOT_APPLICABLE[7, 0] = 0.12  # digital self-servers rarely ask technical questions
OUTCOME_NOT_APPLICABLE[8, :] = 0.06  # many never returned anything
OUTCOME_NOT_APPLICABLE[9, :] = 0.04

# Firmographics by segment (rows: segments; columns: codes in the study's order).
SIZE_MIX = np.array(
    [
        [0.15, 0.40, 0.30, 0.15],
        [0.30, 0.40, 0.20, 0.10],
        [0.40, 0.40, 0.15, 0.05],
        [0.02, 0.18, 0.45, 0.35],
        [0.65, 0.25, 0.08, 0.02],
    ]
)
INDUSTRY_MIX = np.array(
    [
        [0.25, 0.20, 0.30, 0.15, 0.10],
        [0.30, 0.15, 0.30, 0.15, 0.10],
        [0.75, 0.05, 0.05, 0.10, 0.05],
        [0.05, 0.75, 0.05, 0.05, 0.10],
        [0.25, 0.10, 0.15, 0.25, 0.25],
    ]
)
COUNTRY_MIX = np.array(
    [
        [0.25, 0.25, 0.15, 0.25, 0.10],
        [0.30, 0.25, 0.10, 0.20, 0.15],
        [0.35, 0.20, 0.20, 0.15, 0.10],
        [0.25, 0.30, 0.15, 0.20, 0.10],
        [0.30, 0.25, 0.15, 0.18, 0.12],
    ]
)
# Ordering channel mix; columns follow the order_method scale (EDI, Webshop, Phone, Field sales).
CHANNEL_MIX = np.array(
    [
        [0.35, 0.55, 0.07, 0.03],
        [0.10, 0.50, 0.32, 0.08],
        [0.03, 0.17, 0.40, 0.40],
        [0.62, 0.22, 0.09, 0.07],
        [0.02, 0.40, 0.45, 0.13],
    ]
)
ROLE_MIX = np.array(
    [
        [0.50, 0.25, 0.15, 0.10],
        [0.50, 0.30, 0.10, 0.10],
        [0.20, 0.50, 0.25, 0.05],
        [0.45, 0.05, 0.45, 0.05],
        [0.20, 0.60, 0.10, 0.10],
    ]
)
MATURITY_BY_CHANNEL = np.array([4.6, 3.6, 2.1, 2.0])
MATURITY_SEGMENT_SHIFT = np.array([0.4, 0.0, -0.3, 0.2, -0.4])
ACCOUNT_MANAGER_RATE = np.array([0.25, 0.20, 0.70, 0.80, 0.05])
# Customer status: regular, new (first order inside the two years), one-time buyer,
# lapsed (no order in the last 90+ days), dormant (no order in the two years at all).
STATUS_MIX = np.array(
    [
        [0.80, 0.12, 0.02, 0.05, 0.01],
        [0.72, 0.12, 0.03, 0.12, 0.01],
        [0.85, 0.07, 0.01, 0.06, 0.01],
        [0.88, 0.06, 0.00, 0.05, 0.01],
        [0.50, 0.15, 0.12, 0.18, 0.05],
    ]
)
_REGULAR, _NEW, _ONE_TIME, _LAPSED, _DORMANT = range(5)
_STATUS_NAMES = ("regular", "new", "one_time", "lapsed", "dormant")

# Behaviour.
ORDERS_PER_YEAR = np.array([18.0, 9.0, 12.0, 22.0, 2.5])
ORDER_RATE_BY_SIZE = np.array([0.6, 1.0, 1.5, 2.2])
EXTRA_LINES = np.array([1.3, 1.1, 1.8, 2.4, 0.5])  # lines per order = 1 + Poisson(this)
PRIMARY_CHANNEL_SHARE = 0.7
CATEGORIES = ("Electrical", "Plumbing", "HVAC", "Tools", "Fasteners", "Safety", "Consumables")
CATEGORY_MIX = np.array(
    [
        [0.26, 0.18, 0.10, 0.10, 0.14, 0.08, 0.14],
        [0.22, 0.20, 0.08, 0.12, 0.16, 0.08, 0.14],
        [0.30, 0.26, 0.22, 0.08, 0.07, 0.04, 0.03],
        [0.12, 0.06, 0.06, 0.14, 0.26, 0.14, 0.22],
        [0.22, 0.22, 0.06, 0.16, 0.14, 0.08, 0.12],
    ]
)
UNIT_PRICE_EUR = np.array([18.0, 24.0, 95.0, 45.0, 9.0, 14.0, 7.0])  # median per unit
QUANTITY_MEAN = np.array([6.0, 4.0, 1.6, 1.4, 14.0, 6.0, 12.0])
QUANTITY_BY_SEGMENT = np.array([1.0, 1.1, 0.9, 2.6, 0.6])
QUANTITY_BY_SIZE = np.array([0.7, 1.0, 1.3, 1.8])
DISCOUNT_BY_SIZE = np.array([0.04, 0.08, 0.12, 0.18])
DISCOUNT_PRICE_SEGMENT = 0.04
HANDLING_PER_ORDER = np.array([1.2, 2.5, 8.5, 19.0])  # by channel: EDI, Webshop, Phone, Field sales
HANDLING_PER_LINE = 0.9
DELIVERY_PER_ORDER = 6.5
DELIVERY_PER_LINE = 1.1
RETURN_RATE = np.array([0.024, 0.027, 0.028, 0.020, 0.045])
RETURN_HANDLING_EUR = 6.0

# Survey data quality.
SPEEDER_SHARE = 0.02
STRAIGHTLINER_SHARE = 0.02
ITEM_BLANK_SHARE = 0.03  # blanks overall; most respondents skip nothing, a few skip a lot
ITEM_BLANK_SKEW = 0.35  # gamma shape of a respondent's propensity to skip (smaller: more skewed)
DONT_KNOW_SHARE = 0.02  # overall; concentrated on the harder items
DONT_KNOW_PRONE_ITEMS = 0.4  # share of items where "don't know" is common
VERBATIM_BLANK_SHARE = 0.15
VERBATIM_PII_SHARE = 0.04
REINTERVIEW_SHARE = 0.35
DURATION_MEDIAN_SEC = 600.0

# Countries: the study's country codes by label, their ISO code, language and regions.
_COUNTRY_INFO = {
    "Denmark": ("DK", "da", ("Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland")),
    "Sweden": ("SE", "sv", ("Stockholm", "Västra Götaland", "Skåne", "Östergötland", "Norrland")),
    "Norway": ("NO", "nb", ("Oslo", "Viken", "Vestland", "Trøndelag", "Nord-Norge")),
    "Netherlands": ("NL", "nl", ("Noord-Holland", "Zuid-Holland", "Noord-Brabant", "Utrecht", "Gelderland")),
    "Belgium": ("BE", "nl", ("Antwerpen", "Oost-Vlaanderen", "West-Vlaanderen", "Vlaams-Brabant", "Limburg")),
}
_REGION_WEIGHTS = np.array([0.30, 0.22, 0.20, 0.15, 0.13])


