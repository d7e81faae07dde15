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

import datetime as _dt
import importlib.resources
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pyreadstat
import yaml

from .errors import OutputError, WorkbenchError

__all__ = [
    "generate_demo",
    "DemoSummary",
    "SEGMENTS",
    "DIMENSIONS",
    "GENERATOR_VERSION",
]

logger = logging.getLogger(__name__)

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


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class DemoSummary:
    """What ``generate_demo`` wrote.

    Attributes
    ----------
    folder : Path
        The study folder.
    files : tuple of Path
        Every file written, relative to ``folder``.
    n_customers : int
        Customers in the customer master.
    n_respondents : dict of str to int
        Distinct respondents per wave id (duplicate submissions not counted).
    n_rows : dict of str to int
        Rows in each wave's response file (duplicate submissions counted).
    n_order_lines : int
        Lines in the transactions file, returns included.
    seed : int
        The seed everything was drawn from.
    seconds : float
        Wall time of the generation.
    """

    folder: Path
    files: tuple[Path, ...]
    n_customers: int
    n_respondents: dict[str, int]
    n_rows: dict[str, int]
    n_order_lines: int
    seed: int
    seconds: float = field(compare=False)

    def __str__(self) -> str:
        waves = ", ".join(
            f"wave {w}: {n} respondents ({self.n_rows[w]} rows)" for w, n in self.n_respondents.items()
        )
        lines = [
            f"Demo study in {self.folder} (seed {self.seed}, {self.seconds:.1f} s)",
            f"  {self.n_customers} customers, {self.n_order_lines} order lines",
            f"  {waves}",
            "  files: " + ", ".join(str(f) for f in self.files),
        ]
        return "\n".join(lines)


# --------------------------------------------------------------------------- the definition


@dataclass(frozen=True)
class _Definition:
    """What the generator needs from the packaged study definition (plain values)."""

    raw: bytes
    doc: dict
    columns: list[dict]  # every survey column in file order: id, block, kind, text, scale, ...
    respondent_id: str
    customer_id: str
    pii: list[str]
    waves: list[dict]
    transactions: dict
    customers_file: str

    def of_kind(self, kind: str) -> list[dict]:
        return [c for c in self.columns if c["kind"] == kind]

    def column(self, col_id: str) -> dict:
        for c in self.columns:
            if c["id"] == col_id:
                return c
        raise KeyError(col_id)


def _definition() -> _Definition:
    """Read the packaged demo study definition into plain dicts."""
    raw = (importlib.resources.files("workbench") / "resources" / _RESOURCE).read_bytes()
    doc = yaml.safe_load(raw.decode("utf-8"))
    scales = doc.get("scales") or {}

    def scale(ref) -> dict:
        if isinstance(ref, dict):
            return ref
        if ref in scales:
            return scales[ref]
        return {"type": ref}

    columns = []
    for bname, block in doc["blocks"].items():
        kind = block["kind"]
        if kind == "outcomes":
            for o in block["outcomes"]:
                for role, key in (("importance", "importance_scale"), ("satisfaction", "satisfaction_scale")):
                    columns.append(
                        {
                            "id": o.get(role) or f"{o['id']}_{role[:3]}",
                            "block": bname,
                            "kind": kind,
                            "text": o["text"],
                            "label": f"{o.get('label') or o['text']} ({role})",
                            "scale": scale(block.get(key, block.get("scale"))),
                            "outcome": o["id"],
                            "role": role,
                        }
                    )
            continue
        for q in block["questions"]:
            columns.append(
                {
                    "id": q["id"],
                    "block": bname,
                    "kind": kind,
                    "text": q["text"],
                    "label": q.get("label") or q["text"],
                    "scale": scale(q.get("scale", block.get("scale"))),
                    "reverse": bool(q.get("reverse", False)),
                    "force": q.get("force"),
                }
            )
    beh = doc["behaviour"]
    return _Definition(
        raw=raw,
        doc=doc,
        columns=columns,
        respondent_id=doc["respondent_id"],
        customer_id=doc["customer_id"],
        pii=list(doc.get("pii") or []),
        waves=list(doc["waves"]),
        transactions=beh["transactions"],
        customers_file=beh["customers"]["file"],
    )


@dataclass(frozen=True)
class _Item:
    """One segmentation-basis item and how it is generated."""

    id: str
    dimension: int  # index into DIMENSIONS
    sign: int  # -1 for reverse-keyed items
    loading: float
    cuts: np.ndarray  # four cut points on the standardised response


@dataclass(frozen=True)
class _Plan:
    """Everything derived once from the definition before any respondent is drawn."""

    items: list[_Item]
    outcomes: list[str]  # outcome ids in file order
    importance: list[str]
    satisfaction: list[str]
    firmographics: dict[str, str]  # role in the generator -> column id
    verbatims: list[str]
    duration: str
    codes: dict[str, list[int]]  # coded column -> valid codes
    missing: dict[str, list[int]]  # coded column -> missing codes
    dont_know: dict[str, float]  # column with a missing code -> share answering the first one
    countries: list[tuple[int, str, str, str, tuple]]  # code, label, ISO, language, regions
    channels: list[str]  # transaction channel values, in order_method code order
    window: tuple[np.datetime64, np.datetime64]  # first and last day of the transactions
    wave_dates: list[dict]


def _plan(d: _Definition, rng: np.random.Generator) -> _Plan:
    """Map the study's columns onto the planted structure; draw loadings and item shifts."""
    needs = d.of_kind("needs")
    n_needs = len(NEEDS_DIMENSIONS) * ITEMS_PER_DIMENSION
    if len(needs) != n_needs:
        raise WorkbenchError(
            f"the demo generator plants {n_needs} needs items ({ITEMS_PER_DIMENSION} per "
            f"dimension) but the demo study has {len(needs)}; update SEGMENT_MEANS with the study"
        )
    assignment = [(c, i // ITEMS_PER_DIMENSION) for i, c in enumerate(needs)]
    for kind in ("motivations", "barriers"):
        for c in d.of_kind(kind):
            if c.get("force") not in FORCE_DIMENSIONS:
                raise WorkbenchError(f"{c['id']}: a {kind} item needs a force of {', '.join(FORCE_DIMENSIONS)}")
            assignment.append((c, DIMENSIONS.index(c["force"])))
    counts = np.bincount([dim for _, dim in assignment], minlength=len(DIMENSIONS))
    if np.any(counts != ITEMS_PER_DIMENSION):
        raise WorkbenchError(
            f"each planted dimension needs {ITEMS_PER_DIMENSION} items; the demo study gives "
            + ", ".join(f"{n} {k}" for k, n in zip(DIMENSIONS, counts))
        )
    # Cut points on the response standardised with the wave-1 population moments, so
    # that wave 2 is cut on the same scale and segment shifts show in the answers.
    shares = np.asarray(SHARES_WAVE1)
    dim_mean = shares @ SEGMENT_MEANS
    dim_var = shares @ (SEGMENT_MEANS - dim_mean) ** 2 + WITHIN_SD**2
    base = NormalDist().inv_cdf
    base_cuts = np.array([base(p) for p in np.cumsum(LIKERT_BASE)[:-1]])
    loadings = rng.uniform(*LOADING_RANGE, size=len(assignment))
    offsets = rng.uniform(*ITEM_OFFSET_RANGE, size=len(assignment))
    items = []
    for (c, dim), lam, off in zip(assignment, loadings, offsets):
        sign = -1 if c.get("reverse") else 1
        mean = sign * lam * dim_mean[dim]
        sd = float(np.sqrt(lam**2 * dim_var[dim] + ITEM_NOISE_SD**2))
        items.append(_Item(c["id"], dim, sign, float(lam), mean + sd * (base_cuts + off)))
    # keep file order for the output
    order = {c["id"]: i for i, c in enumerate(d.columns)}
    items.sort(key=lambda it: order[it.id])

    outcome_cols = d.of_kind("outcomes")
    outcomes = list(dict.fromkeys(c["outcome"] for c in outcome_cols))
    if len(outcomes) != OUTCOME_IMPORTANCE.shape[0]:
        raise WorkbenchError(
            f"the demo generator plants {OUTCOME_IMPORTANCE.shape[0]} outcomes but the study has {len(outcomes)}"
        )
    firmo = {c["id"]: c for c in d.of_kind("firmographics")}
    roles = {"size": "size_band", "industry": "industry", "country": "country",
             "order_method": "order_method", "maturity": "digital_maturity", "role": "role"}
    missing_roles = [v for v in roles.values() if v not in firmo]
    if missing_roles:
        raise WorkbenchError(f"the demo study lacks firmographic columns {missing_roles}")
    codes, missing = {}, {}
    for c in d.columns:
        sc = c["scale"]
        if sc.get("codes"):
            codes[c["id"]] = sorted(int(k) for k in sc["codes"])
            missing[c["id"]] = sorted(int(k) for k in (sc.get("missing") or {}))
    # "don't know" is common on some items (ERP integration, sustainability...), rare elsewhere
    with_missing = [c for c in codes if missing[c]]
    prone = rng.random(len(with_missing)) < DONT_KNOW_PRONE_ITEMS
    high = DONT_KNOW_SHARE / DONT_KNOW_PRONE_ITEMS * 0.9
    dont_know = {
        c: float(rng.uniform(0.7 * high, 1.3 * high)) if p else DONT_KNOW_SHARE * 0.1
        for c, p in zip(with_missing, prone)
    }
    country_scale = firmo["country"]["scale"]["codes"]
    countries = []
    for code in sorted(country_scale):
        iso, lang, regions = _COUNTRY_INFO[country_scale[code]]
        countries.append((int(code), country_scale[code], iso, lang, regions))
    channels = list(d.transactions["channels"].values())
    if len(channels) != len(codes[roles["order_method"]]):
        raise WorkbenchError("the transactions channels must match the order_method codes one to one")
    waves = []
    for w in d.waves:
        waves.append(
            {
                "id": str(w["id"]),
                "file": w["files"][0],
                "start": np.datetime64(w["fieldwork_start"], "D"),
                "end": np.datetime64(w["fieldwork_end"], "D"),
                "reference": np.datetime64(w.get("reference_date") or w["fieldwork_end"], "D"),
            }
        )
    last = max(w["reference"] for w in waves)
    last_date = last.astype(_dt.date)
    first = np.datetime64(_dt.date(last_date.year - 2, last_date.month, last_date.day), "D") + 1
    return _Plan(
        items=items,
        outcomes=outcomes,
        importance=[c["id"] for c in outcome_cols if c["role"] == "importance"],
        satisfaction=[c["id"] for c in outcome_cols if c["role"] == "satisfaction"],
        firmographics=dict(roles),
        verbatims=[c["id"] for c in d.of_kind("verbatims")],
        duration=d.doc["quality"]["duration"],
        codes=codes,
        missing=missing,
        dont_know=dont_know,
        countries=countries,
        channels=channels,
        window=(first, last),
        wave_dates=waves,
    )


# --------------------------------------------------------------------------- small helpers


def _draw(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per element of ``rows`` from ``probs[rows]``; 0-based."""
    cum = np.cumsum(probs, axis=1)
    cum = cum / cum[:, -1:]
    u = rng.random(len(rows))
    return np.minimum((u[:, None] > cum[rows]).sum(axis=1), probs.shape[1] - 1)


def _largest_remainder(shares, n: int) -> np.ndarray:
    """Integer counts summing to ``n`` as close as possible to ``shares * n``."""
    raw = np.asarray(shares, dtype=float) * n
    counts = np.floor(raw).astype(int)
    short = n - counts.sum()
    if short > 0:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def _weekday(rng: np.random.Generator, days: np.ndarray, start: np.datetime64, last: int) -> np.ndarray:
    """Move day offsets falling on a weekend to a random weekday of the same week in [0, last]."""
    dow = (days + start.astype("datetime64[D]").astype(int) + 3) % 7  # Monday 0; 1970-01-01 was a Thursday
    weekday = days - dow + rng.integers(0, 5, size=len(days))
    out = np.where(dow >= 5, weekday, days)
    out = np.where(out > last, out - 7, out)
    out = np.where(out < 0, out + 7, out)
    return out


def _ascii(text: str) -> str:
    """Fold Nordic / Dutch letters for e-mail addresses."""
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ö": "o", "ä": "a", "ü": "u",
                           "é": "e", "ĳ": "ij", "Ĳ": "ij", " ": "", "'": "", "&": "", ".": "", "/": ""})
    return text.lower().translate(table)


# --------------------------------------------------------------------------- names and text

def _load_text() -> dict:
    """The name and verbatim banks (resources/demo_text.yaml); 'NO' stays Norway."""
    from .study import _Loader

    raw = (importlib.resources.files("workbench") / "resources" / "demo_text.yaml").read_text(encoding="utf-8")
    return yaml.load(raw, Loader=_Loader)


_TEXT = _load_text()
_COMPANY_STEMS = _TEXT["company_stems"]
# Trades by industry, in the order of the study's industry codes: installers and
# construction, manufacturing, retail, facility services (public buyers are named apart).
_COMPANY_TRADES = _TEXT["company_trades"]
# Public buyers: [name, index of its region in _COUNTRY_INFO], and their departments.
_PUBLIC_BUYERS = _TEXT["public_buyers"]
_COMPANY_FORMS = _TEXT["company_forms"]
_FIRST_NAMES = _TEXT["first_names"]
_LAST_NAMES = _TEXT["last_names"]
_TLD = _TEXT["tld"]
# Verbatims: per language, per segment theme (1..5), what they rely on us for ("job")
# and what we could do better ("improve").
_VERBATIMS = _TEXT["verbatims"]
_VERBATIM_OPENERS = _TEXT["verbatim_openers"]
_VERBATIM_PII = _TEXT["verbatim_pii"]
_VERBATIM_JUNK = _TEXT["verbatim_junk"]


def _phone(rng: np.random.Generator, iso: str) -> str:
    d = rng.integers(0, 10, size=10)
    s = "".join(str(x) for x in d)
    if iso == "DK":
        return f"+45 {2 + d[0] % 8}{s[1]} {s[2:4]} {s[4:6]} {s[6:8]}"
    if iso == "SE":
        return f"+46 7{d[0] % 4} {s[1:4]} {s[4:6]} {s[6:8]}"
    if iso == "NO":
        return f"+47 {4 + d[0] % 6}{s[1:3]} {s[3:5]} {s[5:8]}"
    if iso == "NL":
        return f"+31 6 {s[0:4]} {s[4:8]}"
    return f"+32 4{7 + d[0] % 3}{s[1]} {s[2:4]} {s[4:6]} {s[6:8]}"


def _verbatim(rng: np.random.Generator, lang: str, theme: int, question: str) -> str:
    """One open answer: one or two themed sentences, lightly varied."""
    bank = _VERBATIMS[lang][theme][question]
    first, second = rng.choice(len(bank), size=2, replace=False)
    text = bank[first]
    if rng.random() < 0.3:
        text += " " + bank[second]
    if rng.random() < 0.1:
        opener = _VERBATIM_OPENERS[lang][rng.integers(len(_VERBATIM_OPENERS[lang]))]
        text = opener + text[0].lower() + text[1:]
    if rng.random() < 0.15:
        text = text[0].lower() + text[1:]
    if rng.random() < 0.2 and text.endswith("."):
        text = text[:-1]
    if lang == "nl" and rng.random() < 0.2:
        # some devices compose the Dutch digraph into the single letter ĳ
        text = text.replace("ij", "ĳ").replace("IJ", "Ĳ")
    return text


# --------------------------------------------------------------------------- customer base


@dataclass(frozen=True)
class _Base:
    """The hidden customer base (arrays indexed by customer)."""

    ids: np.ndarray
    seg1: np.ndarray  # segment at wave 1 (1..5)
    seg2: np.ndarray  # segment at wave 2
    migration_day: np.ndarray  # day offset in the transaction window; -1 when not migrating
    country: np.ndarray  # 0-based index into plan.countries
    size: np.ndarray  # 0-based index into the size_band codes
    industry: np.ndarray  # 0-based
    region: np.ndarray  # 0-based index into the country's regions
    channel1: np.ndarray  # usual channel at wave 1, 0-based
    channel2: np.ndarray  # usual channel at wave 2
    maturity_noise: np.ndarray
    account_manager: np.ndarray
    status: np.ndarray
    first_order: np.ndarray  # datetime64[D]
    lapse_day: np.ndarray  # last possible order day (offset), for lapsed customers
    activity: np.ndarray  # order-rate multiplier
    traits: np.ndarray  # (n, len(DIMENSIONS)) stable within-segment position
    names: list[str]
    contacts: list[list[tuple[str, str, str]]]  # two contacts per customer: (name, email, phone)


def _customer_base(rng: np.random.Generator, plan: _Plan, n: int) -> _Base:
    counts = _largest_remainder(SHARES_WAVE1, n)
    seg1 = rng.permutation(np.repeat(np.arange(1, 6), counts))
    # migration between the waves: exact numbers from each source segment
    seg2 = seg1.copy()
    moved = np.zeros(n, dtype=bool)
    for (src, dst), share in MIGRATION.items():
        k = int(round(share * n))
        pool = np.flatnonzero((seg1 == src) & ~moved)
        pick = rng.choice(pool, size=min(k, len(pool)), replace=False)
        seg2[pick] = dst
        moved[pick] = True
    first, last = plan.window
    n_days = int((last - first).astype(int)) + 1
    w1_ref = plan.wave_dates[0]["reference"]
    w2_start = plan.wave_dates[-1]["start"]
    lo = int((w1_ref - first).astype(int)) + 1
    hi = int((w2_start - first).astype(int)) - 7
    migration_day = np.where(moved, rng.integers(lo, hi, size=n), -1)

    s1 = seg1 - 1
    country = _draw(rng, COUNTRY_MIX, s1)
    size = _draw(rng, SIZE_MIX, s1)
    industry = _draw(rng, INDUSTRY_MIX, s1)
    public = industry == len(_COMPANY_TRADES["DK"])  # the last industry code: public sector
    size[public] = np.maximum(size[public], 2)  # a municipality is not a one-man firm
    region = rng.choice(len(_REGION_WEIGHTS), size=n, p=_REGION_WEIGHTS)
    channel1 = _draw(rng, CHANNEL_MIX, s1)
    redraw = _draw(rng, CHANNEL_MIX, seg2 - 1)
    channel2 = np.where(moved, redraw, channel1)
    maturity_noise = rng.normal(0, 0.6, size=n)
    am_p = np.clip(ACCOUNT_MANAGER_RATE[s1] + 0.08 * (size - 1), 0, 0.95)
    account_manager = (rng.random(n) < am_p).astype(int)
    status = _draw(rng, STATUS_MIX, s1)

    # first order date: long-standing customers before the window, new ones inside it
    old_lo = np.datetime64("2004-01-05")
    old_span = int((first - old_lo).astype(int)) - 30
    old = old_lo + rng.integers(0, old_span, size=n)
    new_day = _weekday(rng, rng.integers(0, n_days - 60, size=n), first, n_days - 1)
    inside = (status == _NEW) | (status == _ONE_TIME)
    first_order = np.where(inside, first + new_day, old).astype("datetime64[D]")
    lapse_day = np.where(status == _LAPSED, rng.integers(45, n_days - 91, size=n), n_days - 1)
    activity = rng.gamma(2.0, 0.5, size=n)
    traits = rng.standard_normal((n, len(DIMENSIONS)))

    ids = np.array([f"C{100001 + i}" for i in range(n)])
    names, contacts = [], []
    stem_i = rng.integers(0, 1 << 30, size=(n, 4))
    for i in range(n):
        iso = plan.countries[country[i]][2]
        a, b, c, e = stem_i[i]
        if industry[i] < len(_COMPANY_TRADES[iso]):
            stems, forms = _COMPANY_STEMS[iso], _COMPANY_FORMS[iso]
            trades = _COMPANY_TRADES[iso][industry[i]]
            stem = stems[a % len(stems)]
            if e % 5 == 0:
                stem = f"{stem} & {stems[(a // 7 + 1 + e // 5) % len(stems)]}"
            trade = trades[b % len(trades)]
            name = f"{stem} {trade} {forms[c % len(forms)]}"
            domain = f"{_ascii(stem)}-{_ascii(trade)}.{_TLD[iso]}"
        else:
            buyers, departments = _PUBLIC_BUYERS[iso]
            buyer, region[i] = buyers[a % len(buyers)]
            name = f"{buyer}, {departments[b % len(departments)]}"
            domain = f"{_ascii(buyer)}.{_TLD[iso]}"
        names.append(name)
        people = []
        for _ in range(2):
            fn = _FIRST_NAMES[iso][rng.integers(len(_FIRST_NAMES[iso]))]
            ln = _LAST_NAMES[iso][rng.integers(len(_LAST_NAMES[iso]))]
            local = f"{_ascii(fn)}.{_ascii(ln)}" if rng.random() < 0.7 else f"{_ascii(fn)[0]}{_ascii(ln)}"
            people.append((f"{fn} {ln}", f"{local}@{domain}", _phone(rng, iso)))
        contacts.append(people)
    return _Base(
        ids=ids, seg1=seg1, seg2=seg2, migration_day=migration_day, country=country, size=size,
        industry=industry, region=region, channel1=channel1, channel2=channel2,
        maturity_noise=maturity_noise, account_manager=account_manager, status=status,
        first_order=first_order, lapse_day=lapse_day, activity=activity, traits=traits,
        names=names, contacts=contacts,
    )


def _customers_frame(base: _Base, plan: _Plan, d: _Definition) -> pd.DataFrame:
    firmo = {c["id"]: c["scale"]["codes"] for c in d.of_kind("firmographics")}
    size_codes = plan.codes[plan.firmographics["size"]]
    ind_codes = plan.codes[plan.firmographics["industry"]]
    size_labels = np.array([firmo[plan.firmographics["size"]][c] for c in size_codes])
    ind_labels = np.array([firmo[plan.firmographics["industry"]][c] for c in ind_codes])
    iso = np.array([c[2] for c in plan.countries])
    regions = [c[4] for c in plan.countries]
    return pd.DataFrame(
        {
            "customer_id": base.ids,
            "customer_name": base.names,
            "country": iso[base.country],
            "size_band": size_labels[base.size],
            "industry": ind_labels[base.industry],
            "region": [regions[c][r] for c, r in zip(base.country, base.region)],
            "first_order_date": np.datetime_as_string(base.first_order, unit="D"),
            "account_manager": base.account_manager,
        }
    )


# --------------------------------------------------------------------------- survey waves


def _sample_wave1(rng, base: _Base, plan: _Plan, n: int) -> np.ndarray:
    frame = base.first_order <= plan.wave_dates[0]["start"]
    return _stratified(rng, base.seg1, frame, _largest_remainder(SHARES_WAVE1, n))


def _stratified(rng, seg: np.ndarray, frame: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Customers drawn per segment to hit ``targets``; shortfalls filled at random."""
    picked = []
    for k, t in enumerate(targets, start=1):
        pool = np.flatnonzero(frame & (seg == k))
        picked.append(rng.choice(pool, size=min(int(t), len(pool)), replace=False))
    chosen = np.concatenate(picked)
    short = int(targets.sum()) - len(chosen)
    if short > 0:
        rest = np.setdiff1d(np.flatnonzero(frame), chosen)
        chosen = np.concatenate([chosen, rng.choice(rest, size=min(short, len(rest)), replace=False)])
    return rng.permutation(chosen)


def _sample_wave2(rng, base: _Base, plan: _Plan, n: int, wave1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    frame = base.first_order <= plan.wave_dates[-1]["start"]
    frame[wave1] = False
    n_re = int(round(REINTERVIEW_SHARE * len(wave1)))
    n_re = max(n_re, n - int(frame.sum()))  # small bases: re-interview more
    n_re = min(n_re, len(wave1), n)
    again = rng.choice(wave1, size=n_re, replace=False)
    shares2 = np.bincount(base.seg2, minlength=6)[1:] / len(base.seg2)
    targets = _largest_remainder(shares2, n) - np.bincount(base.seg2[again], minlength=6)[1:]
    targets = np.maximum(targets, 0)
    # scale the new interviews to n - n_re while keeping the segment targets' proportions
    targets = _largest_remainder(targets / max(targets.sum(), 1), n - n_re)
    new = _stratified(rng, base.seg2, frame, targets)
    members = rng.permutation(np.concatenate([again, new]))
    return members, np.isin(members, again)


@dataclass
class _Wave:
    """One wave's response table (before writing) and its truth table."""

    frame: pd.DataFrame
    truth: pd.DataFrame
    n_respondents: int


def _survey_wave(
    rng: np.random.Generator,
    d: _Definition,
    plan: _Plan,
    base: _Base,
    members: np.ndarray,
    wave_no: int,
    reinterview: np.ndarray,
) -> _Wave:
    n = len(members)
    wave = plan.wave_dates[wave_no - 1]
    seg = (base.seg1 if wave_no == 1 else base.seg2)[members]
    s0 = seg - 1
    cols: dict[str, np.ndarray] = {}

    # latent dimension scores: segment mean + stable trait + this interview's noise
    rho = TRAIT_STABILITY
    noise = rng.standard_normal((n, len(DIMENSIONS)))
    scores = SEGMENT_MEANS[s0] + WITHIN_SD * (rho * base.traits[members] + np.sqrt(1 - rho**2) * noise)
    basis_ids = [it.id for it in plan.items]
    for it in plan.items:
        y = it.sign * it.loading * scores[:, it.dimension] + ITEM_NOISE_SD * rng.standard_normal(n)
        cols[it.id] = 1.0 + (y[:, None] > it.cuts[None, :]).sum(axis=1)

    # JTBD outcomes
    general_imp = rng.normal(0, 0.35, size=n)
    general_sat = rng.normal(0, 0.35, size=n)
    for o, (imp, sat) in enumerate(zip(plan.importance, plan.satisfaction)):
        li = OUTCOME_IMPORTANCE[o, s0] + general_imp + rng.normal(0, 0.75, size=n)
        ls = OUTCOME_SATISFACTION[o, s0] + general_sat + rng.normal(0, 0.8, size=n)
        cols[imp] = np.clip(np.rint(li), 1, 5)
        cols[sat] = np.clip(np.rint(ls), 1, 5)

    # firmographics, consistent with the customer master
    f = plan.firmographics
    size = base.size[members].copy()
    slip = rng.random(n) < 0.08
    size[slip] = np.clip(size[slip] + rng.choice([-1, 1], size=slip.sum()), 0, 3)
    industry = base.industry[members].copy()
    slip = rng.random(n) < 0.06
    industry[slip] = rng.integers(0, INDUSTRY_MIX.shape[1], size=slip.sum())
    usual = (base.channel1 if wave_no == 1 else base.channel2)[members]
    channel = usual.copy()
    slip = rng.random(n) < 0.10
    channel[slip] = _draw(rng, CHANNEL_MIX, s0[slip])
    maturity = (
        MATURITY_BY_CHANNEL[usual] + MATURITY_SEGMENT_SHIFT[s0] + base.maturity_noise[members]
        + rng.normal(0, 0.3, size=n)
    )
    codes = plan.codes
    cols[f["size"]] = np.asarray(codes[f["size"]], dtype=float)[size]
    cols[f["industry"]] = np.asarray(codes[f["industry"]], dtype=float)[industry]
    cols[f["country"]] = np.asarray(codes[f["country"]], dtype=float)[base.country[members]]
    cols[f["order_method"]] = np.asarray(codes[f["order_method"]], dtype=float)[channel]
    cols[f["maturity"]] = np.clip(np.rint(maturity), 1, 5)
    cols[f["role"]] = np.asarray(codes[f["role"]], dtype=float)[_draw(rng, ROLE_MIX, s0)]

    # interview length and quality problems, disjoint groups of respondents
    duration = np.exp(rng.normal(np.log(DURATION_MEDIAN_SEC), 0.35, size=n))
    duration = np.maximum(duration, 0.45 * DURATION_MEDIAN_SEC)
    order = rng.permutation(n)
    n_speed = int(round(SPEEDER_SHARE * n))
    n_straight = int(round(STRAIGHTLINER_SHARE * n))
    n_break = min(int(rng.integers(5, 10)), max(n // 100, 2))
    n_oor = int(rng.integers(2, 5)) if wave_no == 1 else 0
    n_dup = int(rng.integers(2, 4)) if wave_no == 1 else 0
    cut = np.cumsum([n_speed, n_straight, n_break, n_oor, n_dup])
    speeders, straight, breakoff, oor, dups = np.split(order[: cut[-1]], cut[:-1])

    grids = basis_ids + plan.importance + plan.satisfaction
    for c in grids:
        valid = np.asarray(codes[c], dtype=float)
        cols[c][speeders] = rng.choice(valid, size=len(speeders))
    duration[speeders] = DURATION_MEDIAN_SEC * rng.uniform(0.12, 0.28, size=len(speeders))
    flat_basis = rng.choice([2.0, 3.0, 4.0, 4.0, 5.0], size=len(straight))
    flat_imp = rng.choice([3.0, 4.0, 5.0], size=len(straight))
    flat_sat = rng.choice([3.0, 4.0], size=len(straight))
    for c in basis_ids:
        cols[c][straight] = flat_basis
    for c in plan.importance:
        cols[c][straight] = flat_imp
    for c in plan.satisfaction:
        cols[c][straight] = flat_sat
    duration[straight] = DURATION_MEDIAN_SEC * rng.uniform(0.42, 0.7, size=len(straight))

    # item nonresponse, don't know, not applicable (not for speeders / straightliners)
    open_rows = ~np.isin(np.arange(n), np.concatenate([speeders, straight]))
    propensity = ITEM_BLANK_SHARE * rng.gamma(ITEM_BLANK_SKEW, 1 / ITEM_BLANK_SKEW, size=n)
    propensity = np.minimum(propensity, 0.25)  # only break-offs miss more than half
    dk_habit = rng.gamma(ITEM_BLANK_SKEW, 1 / ITEM_BLANK_SKEW, size=n)  # some say "don't know" a lot
    for c in grids + [f["size"], f["industry"], f["order_method"], f["maturity"], f["role"]]:
        u = rng.random(n)
        rate = propensity if c in grids else propensity / 3
        blank = open_rows & (u < rate)
        miss = plan.missing.get(c, [])
        if miss:
            dk = open_rows & ~blank & (u > 1 - np.minimum(plan.dont_know[c] * dk_habit, 0.5))
            cols[c][dk] = miss[0]
        if len(miss) > 1 and c in plan.satisfaction:
            o = plan.satisfaction.index(c)
            na = open_rows & ~blank & (rng.random(n) < OUTCOME_NOT_APPLICABLE[o, s0])
            cols[c][na] = miss[1]
        cols[c][blank] = np.nan

    # verbatims in the respondent's language, themed by segment, some with contact details
    lang = np.array([plan.countries[c][3] for c in base.country[members]])
    contact_pick = np.zeros(n, dtype=int)
    if wave_no > 1:
        contact_pick = (rng.random(n) < 0.2).astype(int)  # some re-interviews reach someone else
    contacts = [base.contacts[m][k] for m, k in zip(members, contact_pick)]
    texts = {v: [] for v in plan.verbatims}
    pii_in_text = np.zeros(n, dtype=bool)
    speeder_set = set(speeders.tolist())
    for i in range(n):
        for j, v in enumerate(plan.verbatims):
            question = "job" if j == 0 else "improve"
            if i in speeder_set:
                junk = _VERBATIM_JUNK[lang[i]]
                texts[v].append("" if rng.random() < 0.5 else junk[rng.integers(len(junk))])
                continue
            if rng.random() < VERBATIM_BLANK_SHARE:
                texts[v].append("")
                continue
            theme = int(seg[i]) if rng.random() < 0.85 else int(rng.integers(1, 6))
            text = _verbatim(rng, lang[i], theme, question)
            if rng.random() < VERBATIM_PII_SHARE:
                template = _VERBATIM_PII[lang[i]][rng.integers(2)]
                name, email, phone = contacts[i]
                text = f"{text.rstrip('.')}. {template.format(phone=phone, email=email)}"
                pii_in_text[i] = True
            texts[v].append(text)

    # break-offs: everything from a point in the questionnaire on is blank
    asked = [c["id"] for c in d.columns if c["id"] != plan.duration]
    for i in breakoff:
        stop = int(rng.integers(int(0.1 * len(asked)), int(0.35 * len(asked))))
        for c in asked[stop:]:
            if c in texts:
                texts[c][i] = ""
            else:
                cols[c][i] = np.nan
        duration[i] = max(duration[i] * rng.uniform(0.5, 0.8), 0.4 * DURATION_MEDIAN_SEC)

    # out-of-range codes (a 6 or 7 on a five-point item)
    oor_items = [""] * n
    for i in oor:
        c = basis_ids[int(rng.integers(len(basis_ids)))]
        cols[c][i] = float(rng.choice([6, 7]))
        oor_items[i] = f"{c}={int(cols[c][i])}"

    # durations: whole seconds, some with a decimal (as the survey tool exports them)
    whole = rng.random(n) < 0.8
    duration = np.where(whole, np.rint(duration), np.round(duration, 1))
    cols[plan.duration] = duration

    rid = d.respondent_id
    data = {rid: [f"W{wave['id']}-{i + 1:05d}" for i in range(n)], d.customer_id: base.ids[members]}
    for c in d.columns:
        data[c["id"]] = texts[c["id"]] if c["id"] in texts else cols[c["id"]]
    pii_values = {"contact_name": 0, "contact_email": 1, "contact_phone": 2}
    for p in d.pii:
        k = pii_values.get(p)
        data[p] = [contacts[i][k] if k is not None else "" for i in range(n)]
    frame = pd.DataFrame(data)

    truth = pd.DataFrame({rid: data[rid], d.customer_id: data[d.customer_id], "segment": seg,
                          "segment_name": np.asarray(SEGMENTS)[s0]})
    for k, name in enumerate(DIMENSIONS):
        truth[f"f_{name}"] = scores[:, k]
    truth["speeder"] = np.isin(np.arange(n), speeders).astype(int)
    truth["straightliner"] = np.isin(np.arange(n), straight).astype(int)
    truth["breakoff"] = np.isin(np.arange(n), breakoff).astype(int)
    truth["out_of_range"] = np.isin(np.arange(n), oor).astype(int)
    truth["out_of_range_items"] = oor_items
    truth["duplicate"] = 0
    truth["submission"] = 1
    truth["verbatim_pii"] = pii_in_text.astype(int)
    truth["reinterview"] = reinterview.astype(int)

    # duplicate submissions: a later re-submission with a few answers changed
    if n_dup:
        copies = frame.iloc[dups].copy()
        tcopies = truth.iloc[dups].copy()
        for r in range(len(dups)):
            for c in rng.choice(basis_ids, size=int(rng.integers(3, 7)), replace=False):
                v = copies.iat[r, copies.columns.get_loc(c)]
                if not np.isnan(v) and v <= 5:
                    copies.iat[r, copies.columns.get_loc(c)] = float(np.clip(v + rng.choice([-1, 1]), 1, 5))
            copies.iat[r, copies.columns.get_loc(plan.duration)] = float(
                np.rint(DURATION_MEDIAN_SEC * max(np.exp(rng.normal(-0.2, 0.3)), 0.45))
            )
        tcopies["submission"] = 2
        truth.loc[truth.index[dups], "duplicate"] = 1
        tcopies["duplicate"] = 1
        positions = list(range(n))
        for r, i in enumerate(dups):
            at = positions.index(i) + 1
            positions.insert(int(rng.integers(at, len(positions) + 1)), n + r)
        frame = pd.concat([frame, copies], ignore_index=True).iloc[positions].reset_index(drop=True)
        truth = pd.concat([truth, tcopies], ignore_index=True).iloc[positions].reset_index(drop=True)
    truth.insert(0, "file_row", np.arange(2, len(truth) + 2))
    return _Wave(frame=frame, truth=truth, n_respondents=n)


# --------------------------------------------------------------------------- behaviour


def _transactions(rng: np.random.Generator, base: _Base, plan: _Plan, d: _Definition) -> pd.DataFrame:
    """Two years of order lines up to the last wave's reference date, vectorised."""
    first, last = plan.window
    n_days = int((last - first).astype(int)) + 1
    n = len(base.ids)
    inside = (base.status == _NEW) | (base.status == _ONE_TIME)
    start = np.where(inside, (base.first_order - first).astype(int), 0)
    end = np.where(base.status == _LAPSED, base.lapse_day, n_days - 1)
    span_years = (end - start + 1) / 365.25
    rate = ORDERS_PER_YEAR[base.seg1 - 1] * ORDER_RATE_BY_SIZE[base.size] * base.activity
    n_orders = rng.poisson(rate * span_years)
    n_orders = np.where(inside | (base.status == _LAPSED), np.maximum(n_orders, 1), n_orders)
    n_orders[base.status == _ONE_TIME] = 1
    n_orders[base.status == _DORMANT] = 0

    cust = np.repeat(np.arange(n), n_orders)
    day = start[cust] + np.floor(rng.random(len(cust)) * (end - start + 1)[cust]).astype(int)
    # new and one-time customers place their first order on their first order date
    first_of = np.r_[0, np.cumsum(n_orders)[:-1]][n_orders > 0]
    is_first = np.zeros(len(cust), dtype=bool)
    is_first[first_of] = True
    day = np.where(is_first & inside[cust], start[cust], day)
    day = _weekday(rng, day, first, n_days - 1)
    # quieter summer holidays and Christmas
    dates = first + day
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    holiday = (month == 7) | ((month == 12) & (dom > 20)) | ((month == 1) & (dom < 3))
    keep = ~holiday | (rng.random(len(cust)) < 0.45) | (is_first & inside[cust])
    cust, day = cust[keep], day[keep]
    n_ord = len(cust)

    # the segment in force on the order date (migrating customers change on their day)
    migrated = (base.migration_day[cust] >= 0) & (day >= base.migration_day[cust])
    seg_eff = np.where(migrated, base.seg2[cust], base.seg1[cust]) - 1
    usual = np.where(migrated, base.channel2[cust], base.channel1[cust])
    channel = np.where(rng.random(n_ord) < PRIMARY_CHANNEL_SHARE, usual, _draw(rng, CHANNEL_MIX, seg_eff))
    n_lines = 1 + rng.poisson(EXTRA_LINES[seg_eff])
    size = base.size[cust]

    # order-level costs to serve: fixed parts weigh most on small orders
    delivery = (DELIVERY_PER_ORDER + DELIVERY_PER_LINE * n_lines) * np.exp(rng.normal(0, 0.15, n_ord))
    handling = (HANDLING_PER_ORDER[channel] + HANDLING_PER_LINE * n_lines) * np.exp(rng.normal(0, 0.1, n_ord))

    # lines
    o = np.repeat(np.arange(n_ord), n_lines)
    n_ln = len(o)
    category = _draw(rng, CATEGORY_MIX, seg_eff[o])
    q_mean = QUANTITY_MEAN[category] * QUANTITY_BY_SEGMENT[seg_eff[o]] * QUANTITY_BY_SIZE[size[o]]
    quantity = rng.geometric(1.0 / np.maximum(q_mean, 1.0))
    unit = UNIT_PRICE_EUR[category] * np.exp(rng.normal(0, 0.6, n_ln))
    discount = DISCOUNT_BY_SIZE[size[o]] + DISCOUNT_PRICE_SEGMENT * (seg_eff[o] == 1)
    unit_net = np.round(unit * (1 - discount), 2)
    unit_net = np.maximum(unit_net, 0.05)
    value = np.round(quantity * unit_net, 2)
    line_delivery = np.round(delivery[o] / n_lines[o], 2)
    line_handling = np.round(handling[o] / n_lines[o], 2)

    # returns: a line sent back later, its own order with a negative value
    ret = rng.random(n_ln) < RETURN_RATE[seg_eff[o]]
    r_day = day[o][ret] + 2 + rng.geometric(1 / 10, size=ret.sum())
    ok = r_day <= n_days - 1
    src = np.flatnonzero(ret)[ok]
    r_day = _weekday(rng, r_day[ok], first, n_days - 1)
    r_qty = np.where(rng.random(len(src)) < 0.7, quantity[src],
                     np.maximum(1, np.floor(quantity[src] * rng.uniform(0.2, 0.9, len(src)))).astype(int))

    # all lines: (day, customer, order key, kind) -> order ids in date order
    line_cust = np.r_[cust[o], cust[o][src]]
    line_day = np.r_[day[o], r_day]
    order_key = np.r_[o, n_ord + np.arange(len(src))]
    line_no = np.r_[np.arange(n_ln) - np.r_[0, np.cumsum(n_lines)[:-1]][o], np.zeros(len(src), dtype=int)]
    sort = np.lexsort((line_no, order_key, line_cust, line_day))
    key_sorted = order_key[sort]
    new_order = np.r_[True, key_sorted[1:] != key_sorted[:-1]]
    order_id = 5_000_000 + np.cumsum(new_order)

    chan_names = np.asarray(plan.channels)
    cat_names = np.asarray(CATEGORIES)
    frame = pd.DataFrame(
        {
            "customer_id": base.ids[line_cust[sort]],
            "order_id": order_id,
            "date": np.datetime_as_string((first + line_day[sort]).astype("datetime64[D]"), unit="D"),
            "value": np.r_[value, -np.round(r_qty * unit_net[src], 2)][sort],
            "channel": chan_names[np.r_[channel[o], channel[o][src]][sort]],
            "quantity": np.r_[quantity, -r_qty][sort],
            "delivery_cost": np.r_[line_delivery, np.zeros(len(src))][sort],
            "handling_cost": np.r_[line_handling, np.full(len(src), RETURN_HANDLING_EUR)][sort],
            "category": cat_names[np.r_[category, category[src]][sort]],
        }
    )
    mapping = d.transactions["columns"]
    return frame.rename(columns=mapping)[list(mapping.values())]


# --------------------------------------------------------------------------- writing


def _write_csv_danish(frame: pd.DataFrame, path: Path, plan: _Plan) -> None:
    """Semicolon-separated, decimal comma, UTF-8 with BOM, CRLF: as Danish Excel saves it."""
    out = frame.copy()
    for c in out.columns:
        if c in plan.codes:
            out[c] = out[c].astype("Int64")
    dur = out[plan.duration]
    out[plan.duration] = [
        "" if np.isnan(v) else (f"{int(v)}" if v == int(v) else f"{v:.1f}".replace(".", ","))
        for v in dur
    ]
    out.to_csv(path, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n", na_rep="")


def _write_sav(frame: pd.DataFrame, path: Path, d: _Definition, plan: _Plan, stamp: np.datetime64) -> None:
    """SPSS file with variable labels (question texts) and value labels (scales)."""
    out = frame.copy()
    labels, values, measure = {}, {}, {}
    names = {d.respondent_id: "Respondent id", d.customer_id: "Customer number"}
    names.update({"contact_name": "Contact name", "contact_email": "Contact e-mail", "contact_phone": "Contact phone"})
    for c in out.columns:
        if c in names or c in d.pii:
            labels[c] = names.get(c, c)
            continue
        col = d.column(c)
        labels[c] = f"{col['text']} ({col['role']})" if col.get("role") else col["text"]
        sc = col["scale"]
        if sc.get("codes"):
            allc = {**sc["codes"], **(sc.get("missing") or {})}
            values[c] = {float(k): str(v) for k, v in sorted(allc.items())}
            measure[c] = "nominal" if sc["type"] == "nominal" else "ordinal"
            out[c] = out[c].astype(float)
        elif sc["type"] == "numeric":
            measure[c] = "scale"
            out[c] = out[c].astype(float)
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].fillna("").astype(str)
            measure.setdefault(c, "nominal")
    pyreadstat.write_sav(out, str(path), column_labels=labels, variable_value_labels=values,
                         variable_measure=measure)
    _fix_sav_timestamp(path, stamp)


def _fix_sav_timestamp(path: Path, stamp: np.datetime64) -> None:
    """Overwrite the creation date and time in the SAV header with a fixed value.

    ReadStat stamps the file with the current time (header bytes 92-109, ``dd mmm yy``
    and ``hh:mm:ss``); a fixed stamp keeps two runs with one seed byte-identical.
    """
    day = stamp.astype(_dt.date)
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[day.month - 1]
    date = f"{day.day:02d} {month} {day.year % 100:02d}".encode("ascii")
    raw = bytearray(path.read_bytes())
    if raw[:4] != b"$FL2" or len(date) != 9:
        logger.warning("unexpected SPSS header in %s; its timestamp is left as written", path)
        return
    raw[92:101] = date
    raw[101:109] = b"17:00:00"
    path.write_bytes(bytes(raw))


def _truth_json(plan: _Plan, base: _Base, waves: list[_Wave], seed: int, n_customers: int,
                n_respondents: int, n_lines: int) -> dict:
    def shares(seg) -> dict:
        counts = np.bincount(seg, minlength=6)[1:]
        return {name: round(float(c / counts.sum()), 4) for name, c in zip(SEGMENTS, counts)}

    items = {}
    for it in plan.items:
        items.setdefault(DIMENSIONS[it.dimension], []).append(
            {"item": it.id, "loading": round(it.sign * it.loading, 4), "reverse": it.sign < 0}
        )
    flows = np.zeros((5, 5), dtype=int)
    np.add.at(flows, (base.seg1 - 1, base.seg2 - 1), 1)
    return {
        "generator": "workbench.demo",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "n_customers": n_customers,
        "n_respondents": n_respondents,
        "n_order_lines": n_lines,
        "segments": {str(k): name for k, name in enumerate(SEGMENTS, start=1)},
        "shares": {
            "planted_wave1": dict(zip(SEGMENTS, SHARES_WAVE1)),
            "customers_wave1": shares(base.seg1),
            "customers_wave2": shares(base.seg2),
            "respondents_wave1": shares(waves[0].truth.loc[waves[0].truth["submission"] == 1, "segment"].to_numpy()),
            "respondents_wave2": shares(waves[1].truth["segment"].to_numpy()),
        },
        "migration": {
            "planted": [{"from": SEGMENTS[a - 1], "to": SEGMENTS[b - 1], "share": s} for (a, b), s in MIGRATION.items()],
            "customers_from_to": {SEGMENTS[a]: {SEGMENTS[b]: int(flows[a, b]) for b in range(5)} for a in range(5)},
        },
        "factors": {
            "dimensions": list(DIMENSIONS),
            "blocks": {"needs": list(NEEDS_DIMENSIONS), "motivations": ["push", "pull"], "barriers": ["anxiety", "habit"]},
            "items": items,
            "segment_means": {
                SEGMENTS[k]: {dim: float(SEGMENT_MEANS[k, j]) for j, dim in enumerate(DIMENSIONS)} for k in range(5)
            },
            "within_segment_sd": WITHIN_SD,
            "item_noise_sd": ITEM_NOISE_SD,
            "trait_stability_across_waves": TRAIT_STABILITY,
        },
        "outcomes": {
            oid: {
                "importance": {SEGMENTS[k]: float(OUTCOME_IMPORTANCE[o, k]) for k in range(5)},
                "satisfaction": {SEGMENTS[k]: float(OUTCOME_SATISFACTION[o, k]) for k in range(5)},
            }
            for o, oid in enumerate(plan.outcomes)
        },
        "quality": {
            f"wave{w}": {
                flag: int(waves[w - 1].truth[flag].sum())
                for flag in ("speeder", "straightliner", "breakoff", "out_of_range", "verbatim_pii")
            }
            | {"duplicate_submissions": int((waves[w - 1].truth["submission"] == 2).sum())}
            for w in (1, 2)
        },
        "customer_status": {
            name: int((base.status == k).sum()) for k, name in enumerate(_STATUS_NAMES)
        },
    }


def _truth_customers(base: _Base) -> pd.DataFrame:
    names = np.asarray(SEGMENTS)
    return pd.DataFrame(
        {
            "customer_id": base.ids,
            "segment_wave1": base.seg1,
            "segment_name_wave1": names[base.seg1 - 1],
            "segment_wave2": base.seg2,
            "segment_name_wave2": names[base.seg2 - 1],
            "migrated": (base.migration_day >= 0).astype(int),
            "status": np.asarray(_STATUS_NAMES)[base.status],
        }
    )


# --------------------------------------------------------------------------- the entry point


def generate_demo(out_dir, *, seed=20261123, n_customers=4000, n_respondents=1500, force=False) -> DemoSummary:
    """Write the synthetic demo study into a study folder.

    Parameters
    ----------
    out_dir : str or Path
        The study folder to write (created if missing).
    seed : int, default=20261123
        Seed of the single ``numpy.random.Generator`` everything is drawn from; the
        same seed writes byte-identical files.
    n_customers : int, default=4000
        Customers in the customer base (respondents and non-respondents).
    n_respondents : int, default=1500
        Completed interviews per wave (wave 1 adds 2-3 duplicate submissions).
    force : bool, default=False
        Overwrite the demo's files when they already exist in ``out_dir``; other files
        in the folder are left alone.

    Returns
    -------
    DemoSummary
        The files written and their sizes in customers, respondents and order lines.

    Raises
    ------
    OutputError
        If ``out_dir`` already holds demo files and ``force`` is false.
    WorkbenchError
        If the sizes asked for cannot be drawn (e.g. more respondents than customers).

    Notes
    -----
    Files are written to a temporary sibling folder and moved into place only when all
    of them are complete, so a failed run leaves no half-written study.

    Examples
    --------
    >>> summary = generate_demo("surveys/demo")  # doctest: +SKIP
    >>> print(summary)  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    for name, value, low in (("n_customers", n_customers, 200), ("n_respondents", n_respondents, 100)):
        if not isinstance(value, (int, np.integer)) or value < low:
            raise WorkbenchError(f"{name} must be a whole number of at least {low}, got {value!r}")
    if n_respondents > n_customers // 2:
        raise WorkbenchError(
            f"n_respondents ({n_respondents}) must be at most half of n_customers ({n_customers}) "
            "so that wave 2 can interview new customers; ask for more customers"
        )
    d = _definition()
    wave_files = [w["files"][0] for w in d.waves]
    targets = [Path("study.yaml"), *map(Path, wave_files), Path(d.transactions["file"]),
               Path(d.customers_file), Path("truth/customers.csv")]
    targets += [Path(f"truth/respondents_wave{w['id']}.csv") for w in d.waves] + [Path("truth/truth.json")]
    existing = [str(t) for t in targets if (out_dir / t).exists()]
    if existing and not force:
        raise OutputError(
            f"the folder already holds demo files ({', '.join(existing[:3])}"
            f"{', ...' if len(existing) > 3 else ''}); pass force=True (--force) to overwrite them",
            file=out_dir,
        )

    rng_plan, rng_base, rng_sample, rng_w1, rng_w2, rng_tx = np.random.default_rng(seed).spawn(6)
    plan = _plan(d, rng_plan)
    if len(plan.wave_dates) != 2:
        raise WorkbenchError("the demo generator writes exactly two waves")
    base = _customer_base(rng_base, plan, n_customers)
    members1 = _sample_wave1(rng_sample, base, plan, n_respondents)
    members2, again = _sample_wave2(rng_sample, base, plan, n_respondents, members1)
    waves = [
        _survey_wave(rng_w1, d, plan, base, members1, 1, np.zeros(len(members1), dtype=bool)),
        _survey_wave(rng_w2, d, plan, base, members2, 2, again),
    ]
    tx = _transactions(rng_tx, base, plan, d)
    logger.debug("drawn in %.2f s", time.perf_counter() - t0)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        for t in targets:
            (tmp / t).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "study.yaml").write_bytes(d.raw)
        for w, wave, spec in zip(wave_files, waves, plan.wave_dates):
            suffix = Path(w).suffix.lower()
            if suffix == ".csv":
                _write_csv_danish(wave.frame, tmp / w, plan)
            elif suffix == ".sav":
                _write_sav(wave.frame, tmp / w, d, plan, spec["end"])
            else:
                raise WorkbenchError(f"the demo generator writes .csv or .sav wave files, not {w}")
        tx.to_csv(tmp / d.transactions["file"], index=False, float_format="%.2f", lineterminator="\n")
        _customers_frame(base, plan, d).to_csv(tmp / d.customers_file, index=False, lineterminator="\n")
        _truth_customers(base).to_csv(tmp / "truth/customers.csv", index=False, lineterminator="\n")
        for w, wave in zip(d.waves, waves):
            wave.truth.to_csv(tmp / f"truth/respondents_wave{w['id']}.csv", index=False,
                              float_format="%.6f", lineterminator="\n")
        truth = _truth_json(plan, base, waves, seed, n_customers, n_respondents, len(tx))
        (tmp / "truth/truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        if not out_dir.exists():
            os.replace(tmp, out_dir)
        else:
            for t in targets:
                (out_dir / t).parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp / t, out_dir / t)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)

    seconds = time.perf_counter() - t0
    summary = DemoSummary(
        folder=out_dir,
        files=tuple(targets),
        n_customers=n_customers,
        n_respondents={w["id"]: wave.n_respondents for w, wave in zip(plan.wave_dates, waves)},
        n_rows={w["id"]: len(wave.frame) for w, wave in zip(plan.wave_dates, waves)},
        n_order_lines=len(tx),
        seed=seed,
        seconds=seconds,
    )
    logger.debug("demo study written to %s in %.1f s (%d order lines)", out_dir, seconds, len(tx))
    return summary
