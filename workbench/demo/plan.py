"""The demo's study definition, its item plan, sampling helpers and the verbatim texts."""

from __future__ import annotations

import datetime as _dt
import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist

import numpy as np

from ..files.safeyaml import safe_load as yaml_load
from ..core.errors import WorkbenchError
from .constants import (
    DIMENSIONS, DONT_KNOW_PRONE_ITEMS, DONT_KNOW_SHARE, FORCE_DIMENSIONS, ITEMS_PER_DIMENSION,
    ITEM_NOISE_SD, ITEM_OFFSET_RANGE, LIKERT_BASE, LOADING_RANGE, NEEDS_DIMENSIONS, OUTCOME_IMPORTANCE,
    SEGMENT_MEANS, SHARES_WAVE1, WITHIN_SD, _COUNTRY_INFO, _RESOURCE,
)


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
    doc = yaml_load(raw.decode("utf-8"))
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
    raw = (importlib.resources.files("workbench") / "resources" / "demo_text.yaml").read_text(encoding="utf-8")
    return yaml_load(raw)


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

