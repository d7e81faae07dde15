"""Persona drafts per segment, and the hand-edited ``personas.yaml`` that survives re-runs.

:func:`draft_personas` writes a first draft for every segment from its profile
(:class:`workbench.describe.profiles.SegmentProfiles`) and, when given, its JTBD opportunities
(:class:`workbench.describe.opportunities.Opportunities`): a name built from its most distinctive
traits, a one-line description, the top needs, motivations, barriers, behaviours and
underserved outcomes, and two or three verbatims in the respondent's own words.

Verbatims
---------
Quotes are taken from the respondents most certainly in the segment when membership
probabilities (``posteriors``) are given, otherwise from a seeded random order of its
members. They are never translated. E-mail addresses and phone numbers are removed by
:func:`scrub` (replaced by ``[e-mail]`` / ``[phone]``): a phone number is a run of at least
8 digits, optionally starting with ``+`` or ``00``, separated by at most two spaces,
hyphens, dots, slashes or parentheses (``+45 21 34 56 78``, ``070-123 45 67``,
``+31 6 1234 5678``, ``0032 470 12 34 56``); dates such as ``31.03.2026`` or
``2026-03-31`` are left alone. A long amount written with spaces (``12 500 000``) is also
removed: the scrubber errs on the side of privacy.

personas.yaml
-------------
:func:`merge_personas` saves the drafts to ``surveys/<study>/personas.yaml`` (UTF-8, block
YAML a consultant can edit) and, when the file exists, keeps the consultant's work:

* Every persona carries ``draft_hashes``: a short hash of each field *as the workbench last
  drafted it*. A field whose text no longer matches its hash was edited by hand and is
  kept on every re-run (and listed under ``edited:``); fields left alone are re-drafted.
  ``locked: true`` on a persona keeps all of its texts. Keys the workbench does not know
  (``notes:``, ``owner:``) are kept as they are.
* Personas are matched to the new segments by *profile*, not by segment number: each
  persona stores its segment's mean answers (``profile:``), and the new segments are
  assigned to the stored personas with the Hungarian algorithm
  (:func:`scipy.optimize.linear_sum_assignment`) on the root-mean-square difference of
  those means. A pair further apart than ``max_distance`` (scale points) is not a match:
  the segment gets a fresh persona and the old one moves to ``unmatched:`` (kept, so no
  edit is ever lost).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..files import safeyaml
from ..core.errors import AnalysisError, StudyError
from ..core.measures import measure, round_shares
from ..files.fileio import atomic_write_text, file_error
from ..core.language import figure_pair, measure_label_in, number
from .persona_names import DRAFT_TEXTS, NAME_TEXTS, lower_first, name_language, persona_name, persona_name_less
from ..core.provenance import check_random_state
from .profiles import BEHAVIOUR, SELECTED, SegmentProfiles
from ..core.summary import Summarised, Summary, SummaryTable

#: A language code of a quote ('da', 'nl-BE'), as study.yaml's ``language:`` (workbench.study.spec).
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")

__all__ = [
    "Persona",
    "Personas",
    "draft_personas",
    "merge_personas",
    "load_personas",
    "scrub",
    "personas_path",
    "apply_persona_edits",
    "yaml_key_lines",
    "EDITABLE",
]

logger = logging.getLogger(__name__)

#: Fields a consultant edits; their edits are kept across re-runs.
EDITABLE = ("name", "description", "needs", "motivations", "barriers", "behaviours", "underserved", "quotes")
_LIST_KINDS = {"needs": ("needs",), "motivations": ("motivations",), "barriers": ("barriers",),
               "behaviours": (BEHAVIOUR, "firmographics", "demographics")}
_SIGNATURE_KINDS = ("needs", "motivations", "barriers", "outcomes")

# --------------------------------------------------------------------------- scrubbing

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
_PHONE = re.compile(r"(?<![\w+(])\(?(?:\+|00)?\d(?:[ \t\-./()]{0,2}\d){6,16}(?![\w])")
_DATE = re.compile(r"^(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})$")


def scrub(text: str) -> str:
    """Remove e-mail addresses and phone numbers from a verbatim.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        The text with ``[e-mail]`` and ``[phone]`` in their place.

    Examples
    --------
    >>> scrub("Ring til mig på +45 21 34 56 78 eller skriv til jens@grossist.dk")
    'Ring til mig på [phone] eller skriv til [e-mail]'
    """
    if not isinstance(text, str):
        return text
    out = _EMAIL.sub("[e-mail]", text)

    def phone(m):
        s = m.group(0)
        if _DATE.match(s) or sum(ch.isdigit() for ch in s) < 8:
            return s
        return "[phone]"

    return _PHONE.sub(phone, out)


# --------------------------------------------------------------------------- personas


def _native(v):
    if isinstance(v, np.generic):
        return v.item()
    return v


def _hash(value) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Persona:
    """One persona: the draft (or the consultant's edited text) for one segment.

    Attributes
    ----------
    id : str
        Stable id ('P1', 'P2', ...), kept across re-runs; not the segment number.
    segment : label
        The segment it describes in this run.
    name, description : str
    needs, motivations, barriers, behaviours, underserved : tuple of str
    quotes : tuple of dict
        ``text`` (scrubbed, untranslated), ``question``, ``respondent``.
    n : int
    share : float
        % of the (weighted) sample.
    suppressed : bool
        Below the study's ``min_segment_n``: left out of client deliverables.
    profile : dict
        Mean answer per item (the signature personas are matched by).
    edited : tuple of str
        Fields kept from the consultant's edits.
    locked : bool
    extra : dict
        Keys a consultant added that the workbench does not use; kept as they are.
    """

    id: str
    segment: Any
    name: str
    description: str
    needs: tuple = ()
    motivations: tuple = ()
    barriers: tuple = ()
    behaviours: tuple = ()
    underserved: tuple = ()
    quotes: tuple = ()
    n: int = 0
    share: float = 0.0
    suppressed: bool = False
    profile: dict = field(default_factory=dict, repr=False)
    edited: tuple = ()
    locked: bool = False
    draft_hashes: dict = field(default_factory=dict, repr=False)
    extra: dict = field(default_factory=dict, repr=False)

    def field_value(self, name: str):
        """A field as written to YAML and hashed: lists for tuples, quotes as dicts."""
        return _hashable(name, getattr(self, name))

    def to_dict(self) -> dict:
        d = {"id": self.id, "segment": _native(self.segment), "name": self.name, "description": self.description,
             "size": {"n": int(self.n), "share": round(float(self.share), 1)}, "suppressed": bool(self.suppressed)}
        for f in EDITABLE[2:]:
            d[f] = self.field_value(f)
        if self.locked:
            d["locked"] = True
        d["edited"] = list(self.edited)
        d.update(self.extra)
        d["draft_hashes"] = dict(self.draft_hashes)
        d["profile"] = {k: round(float(v), 3) for k, v in self.profile.items()}
        return d


def whole_mix(values) -> list[int]:
    """Whole percentages of a mix (a channel or tier mix of one group) that add up to the mix's
    own rounded total (100 when it is complete): the one rounding rule of mixes, so that a chart
    label, the text beside it and the notes show the same number (:func:`round_shares`)."""
    vals = [float(v) if v is not None and np.isfinite(float(v)) else 0.0 for v in values]
    total = int(round(sum(vals)))
    return round_shares(vals, total) if total > 0 else [0 for _ in vals]


def reach_channel(table: pd.DataFrame, segment) -> dict | None:
    """The one rule for "the channel to reach them", used by persona names, the executive
    summary and the persona slides: the segment's most common main ordering channel (largest
    share of its customers; ties by name).

    ``table`` is a profile table (:attr:`SegmentProfiles.table` or the deck's copy of it).
    Returns ``{"channel", "share", "total", "over"}``: the channel, its whole share of the
    segment and of all customers (%, by :func:`whole_mix`) and whether the segment uses it
    significantly more than the rest (then a name may say "<channel> buyers"); None without
    channel data.
    """
    if table is None or not len(table) or "variable" not in table.columns:
        return None
    t = table[(table["block"] == BEHAVIOUR) & (table["variable"] == "dominant_channel") & (table["stat"] == "share")
              & (table["segment"].astype(str) == str(segment))]
    t = t[t["category"].astype(str).str.len() > 0]
    if not len(t) or t["value"].isna().all():
        return None
    seg = whole_mix(t["value"])
    tot = whole_mix(t["total"])
    order = sorted(range(len(t)), key=lambda i: (-float(np.nan_to_num(t["value"].iloc[i])), str(t["category"].iloc[i])))
    i = order[0]
    r = t.iloc[i]
    over = bool(r.get("sig") == "▲") and float(r.get("index") or 0) > 100
    return {"channel": str(r["category"]), "share": int(seg[i]), "total": int(tot[i]), "over": over}


def with_answer(label, answer) -> str:
    """An item and one of its answers as the persona texts and the deck write them ('Industry:
    Retail'); a question's own '?' or ':' is not doubled ('Which party did you vote for: Labour')."""
    return f"{str(label).rstrip().rstrip('?:').rstrip()}: {answer}"


def _trait_text(r, *, short: bool, language="en") -> str:
    """A trait as a short label ('Manufacturing') or with its figures ('Industry: Manufacturing (45 % vs 15 %)'),
    in the study's language (:data:`workbench.describe.persona_names.DRAFT_TEXTS`; behaviour measures by
    :data:`workbench.core.language.MEASURE_LABELS`)."""
    t = DRAFT_TEXTS[name_language(language)]
    lab = measure_label_in(r["variable"], language, r["label"]) if r["block"] == BEHAVIOUR else r["label"]
    num = (lambda v, d=0: number(v, d, language))
    if r["stat"] == "share":
        label = r["category"] if r["category"] and r["block"] != BEHAVIOUR and r["category"] != "true" else lab
        if r["category"] and r["block"] == BEHAVIOUR and r["category"] != "true":
            label = with_answer(lab, r["category"])
        elif r["category"] and r["category"] != "true" and r.get("kind") in ("needs", "motivations", "barriers"):
            # one answer of a rated item: the answer alone ('Too little') says nothing without the item
            label = f"{lab} ({lower_first(str(r['category']))})"
        if short:
            return label
        if r.get("measure") == SELECTED:  # an option of a select-all-that-apply block
            return t["selected"].format(label=lower_first(str(lab)), value=num(r["value"]), total=num(r["total"]))
        head = with_answer(lab, r["category"]) if r["category"] and r["category"] != "true" else lab
        # a behaviour figure says its base (all respondents), as the deck's tiles say theirs (the customer base)
        return t["share_all" if r["block"] == BEHAVIOUR else "share"].format(head=head, value=num(r["value"]),
                                                                             total=num(r["total"]))
    if short:
        label = lab
        if len(label) > 1 and label[1].islower():
            label = label[0].lower() + label[1:]
        if name_language(language) != "en":  # "over gennemsnittet på omsætning pr. kunde": the direction is said
            return label
        return f"{'High' if r['index'] > 100 else 'Low'} {label}"
    # the one rule of a figure beside another (language.figure_pair, as the deck's movements say
    # them); a behaviour measure with its declared decimals, as the deck's tiles and matrix show it
    m = measure(r["variable"]) if r["block"] == BEHAVIOUR else None
    fixed = re.search(r"\.(\d)f", m.fmt) if m is not None else None
    scale, unit = (100.0, " %") if m is not None and m.percent else (1.0, "")
    value, total = figure_pair(float(r["value"]) * scale, float(r["total"]) * scale, language,
                               decimals=int(fixed.group(1)) if fixed else None)
    return t["mean"].format(label=lab, value=value + unit, total=total + unit)


def _traits_of(profiles: SegmentProfiles, segment, kinds, direction, min_gap, n):
    tr = profiles.traits(segment, min_gap=min_gap, direction=direction)
    tr = tr[tr["kind"].isin(kinds)]
    return [r for _, r in tr.head(n).iterrows()]


def _signature(profiles: SegmentProfiles, segment) -> dict:
    t = profiles.table
    t = t[(t["segment"] == segment) & (t["stat"] == "mean") & t["kind"].isin(_SIGNATURE_KINDS)]
    return {str(v): float(x) for v, x in zip(t["variable"], t["value"]) if np.isfinite(x)}


def _people_name(traits, used: set, channel: dict | None = None, *, language="en", reverse=()) -> str:
    """A persona name that reads as people, in the study's language
    (:func:`workbench.describe.persona_names.persona_name`: templates for noun phrases, statements and
    reverse-keyed items).

    Who: the channel to reach them (:func:`reach_channel`) when the segment uses it more than
    the rest ("Webshop buyers"), else its most distinctive firmographic category ("Retail
    customers": where the business is, or what it does; a person's gender or age is no place a
    customer is in: "Kunder i Mand" was drafted from a demographic), else "Customers"; what: its
    most distinctive need or motivation (then the next ones while the name is taken), else its
    barrier.  Drafts, to be renamed in personas.yaml.
    """
    chan = channel["channel"] if channel is not None and channel["over"] else None
    category = None
    if chan is None:
        for r in traits:
            if r["kind"] == "firmographics" and r["stat"] == "share" and r["category"] \
                    and r["category"] != "true" and len(str(r["category"]).split()) <= 2:
                category = str(r["category"])
                break
    rev = {str(x) for x in reverse}
    said = [r for r in traits if r["kind"] in ("needs", "motivations")]
    if said and said[0].get("measure") == SELECTED:  # options ticked are not values: "who selected ..."
        items = list(dict.fromkeys((str(r["label"]), "selected", False) for r in said if r.get("measure") == SELECTED))
    else:
        items = list(dict.fromkeys(_name_item(r, rev) for r in traits if r["kind"] in ("needs", "motivations", "barriers")))
    return _first_unused((persona_name(items=items, channel=chan, category=category, language=language, depth=depth)
                          for depth in range(1, len(items) + 2)), used)


def _name_item(r, rev: set) -> tuple:
    """(label, kind, reversed) of a trait for the name: one answer of a need or motive with several
    answers is named with its answer, as the charts name it ('Party identification: Strong
    Democrat', :func:`with_answer`), of kind 'answer' (what they say; the question alone named two
    opposite segments alike, 'Customers who value party identification' and '... (2)'); other
    traits by their label."""
    category = str(r.get("category") or "")
    if r["stat"] == "share" and category and category != "true" and str(r.get("measure") or "").startswith("%") \
            and r["kind"] in ("needs", "motivations"):
        return with_answer(r["label"], category), "answer", False
    return str(r["label"]), str(r["kind"]), str(r["variable"]) in rev


def _less_name(below, used: set, *, language="en", reverse=()) -> str:
    """The name of a segment nothing sets above the rest: what it values or says less
    (:func:`workbench.describe.persona_names.persona_name_less`); '' without below-average items."""
    rev = {str(x) for x in reverse}
    items = list(dict.fromkeys((str(r["label"]), "selected" if r.get("measure") == SELECTED else str(r["kind"]),
                                str(r["variable"]) in rev) for r in below))
    return _first_unused((persona_name_less(items=items, language=language, depth=depth)
                          for depth in range(1, len(items) + 2)), used)


def _first_unused(names, used: set) -> str:
    """The first of ``names`` (drafts naming ever more items) no other persona has, else the first."""
    first = ""
    for name in names:
        first = first or name
        if name not in used:
            return name
    return first


def _language(column, row) -> str | None:
    """The language of one answer to ``column`` (see QuestionSpec: ``language`` / ``language_from``)."""
    if column.language:
        return column.language
    if not column.language_from or column.language_from not in row.index:
        return None
    v = row[column.language_from]
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return None
    key = str(int(v)) if isinstance(v, (int, float, np.integer, np.floating)) and float(v).is_integer() else str(v).strip()
    mapping = dict(column.language_map)
    if mapping:
        return mapping.get(key)
    return key.lower() if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z]{2,4})?", key) else None


def _quotes(responses, members: pd.Index, order: pd.Index, n_quotes: int) -> list[dict]:
    spec = {c.id: c for c in responses.columns.values()}
    translations = {c.translation for c in spec.values() if c.translation}
    cols = [c.id for c in spec.values() if c.kind == "verbatims" and c.id in responses.data.columns
            and c.id not in translations]  # a translation column is quoted with its original
    if not cols or n_quotes <= 0:
        return []
    extra = [x for c in cols for x in (spec[c].language_from, spec[c].translation)
             if x and x in responses.data.columns and x not in cols]
    data = responses.data.loc[members, cols + list(dict.fromkeys(extra))]
    out, seen = [], set()  # seen: normalised sentences already quoted (no near-duplicates)
    for rid in order:
        if len(out) >= n_quotes:
            break
        # rotate the questions so the quotes cover more than one
        for q in cols[len(out) % len(cols):] + cols[: len(out) % len(cols)]:
            text = data.at[rid, q]
            if not isinstance(text, str):
                continue
            text = scrub(text.strip())
            sentences = _sentences(text)
            if len(text) < 20 or len(text.split()) < 4 or sentences & seen:
                continue
            seen |= sentences
            quote = {"text": text, "question": q, "respondent": str(rid)}
            lang = _language(spec[q], data.loc[rid])
            if lang:
                quote["language"] = lang
            tr = spec[q].translation
            if tr and tr in data.columns and isinstance(data.at[rid, tr], str) and data.at[rid, tr].strip():
                quote["translation"] = scrub(data.at[rid, tr].strip())
            out.append(quote)
            break
    return out


def _sentences(text: str) -> set:
    """Normalised sentences of a text (lower case, ĳ as ij, letters and digits only)."""
    text = text.lower().replace("ĳ", "ij")
    parts = re.split(r"[.!?]+\s*", text)
    return {re.sub(r"[^\w]+", " ", p).strip() for p in parts if re.sub(r"[^\w]+", "", p)}


def draft_personas(
    profiles: SegmentProfiles,
    responses=None,
    *,
    opportunities=None,
    posteriors: pd.DataFrame | None = None,
    n_quotes: int = 3,
    n_items: int = 3,
    min_gap: float = 20.0,
    random_state=None,
    language: str = "en",
    reverse=(),
) -> "Personas":
    """Draft one persona per segment.

    Parameters
    ----------
    profiles : SegmentProfiles
        The chosen segmentation's profiles (:func:`workbench.describe.profiles.profile`).
    responses : Responses, optional
        For verbatims (blocks of kind 'verbatims'); without it personas have no quotes.
    opportunities : Opportunities, optional
        For the underserved outcomes of each segment.
    posteriors : DataFrame, optional
        Membership probabilities (respondent id × segment, columns named like the
        segments); quotes then come from the most certain members.
    n_quotes : int, default=3
    n_items : int, default=3
        Entries per list (needs, motivations, barriers, behaviours, underserved).
    min_gap : float, default=20
        Distinguishing traits: ``|index - 100|`` at least this, and significant.
    random_state : int, numpy Generator or None
        Seeds the order quotes are drawn in when there are no posteriors.
    language : str, default='en'
        The study's language: the names' words (:mod:`workbench.describe.persona_names`).
    reverse : iterable of str
        Reverse-keyed items (their wording is quoted in a name, never "valued").

    Returns
    -------
    Personas
    """
    rng = check_random_state(random_state)  # the one seed normaliser
    personas = []
    used_names: set = set()
    whole = dict(zip(profiles.labels, round_shares([profiles.segments.loc[s, "share %"] for s in profiles.labels])))
    for i, seg in enumerate(profiles.labels):
        size = profiles.segments.loc[seg]
        above_all = _traits_of(profiles, seg, ("needs", "motivations", "barriers", "firmographics", "demographics",
                                               BEHAVIOUR, "outcomes"), "above", min_gap, 50)
        # names come from what people said first (needs, motivations, barriers), then who they are
        name_pool = [r for kinds in (("needs", "motivations"), ("barriers",), ("firmographics", "demographics"),
                                     (BEHAVIOUR,))
                     for r in above_all if r["kind"] in kinds]
        shorts = list(dict.fromkeys(_trait_text(r, short=True, language=language) for r in name_pool))
        t = DRAFT_TEXTS[name_language(language)]
        name = (_people_name(above_all, used_names, reach_channel(profiles.table, seg), language=language,
                             reverse=reverse)
                or _less_name(_traits_of(profiles, seg, ("needs", "motivations", "barriers"), "below", min_gap, 5),
                              used_names, language=language, reverse=reverse)
                or NAME_TEXTS[name_language(language)]["segment"].format(segment=seg))
        if name in used_names:
            name = f"{name} ({seg})"
        used_names.add(name)

        lists = {key: tuple(_trait_text(r, short=False, language=language)
                            for r in _traits_of(profiles, seg, kinds, "above", min_gap, n_items))
                 for key, kinds in _LIST_KINDS.items()}
        under: tuple = ()
        top_outcome = ""
        if opportunities is not None and seg in list(opportunities.segments.index):
            u = opportunities.underserved_outcomes(seg).head(n_items)
            under = tuple(t["opportunity"].format(label=r.label, score=number(r.opportunity, 1, language))
                          for r in u.itertuples())
            if len(u):
                top_outcome = t["unmet"].format(label=u["label"].iloc[0])
        below = [_trait_text(r, short=True, language=language)
                 for r in _traits_of(profiles, seg, ("needs", "motivations", "barriers"), "below", min_gap, 2)]
        desc = t["size"].format(pct=whole[seg], n=number(int(size["n"]), 0, language))
        if shorts:
            desc += t["above"].format(items=_join(shorts[:3], language))
            desc += t["below"].format(items=_join(below, language)) if below else "."
        elif below:  # set apart only by what it values less
            desc += t["below_only"].format(items=_join(below, language))
        desc += top_outcome

        quotes: list = []
        if responses is not None:
            members = profiles.membership.index[profiles.membership == seg]
            if posteriors is not None:
                col = _posterior_column(posteriors, seg)
                p = pd.Series(posteriors[col].to_numpy(dtype=float), index=posteriors.index.astype(str))
                p = p.reindex(members.astype(str))
                order = members[np.argsort(-p.fillna(-1).to_numpy(), kind="stable")]
            else:
                order = members[rng.permutation(len(members))]
            quotes = _quotes(responses, members, order, n_quotes)
        p = Persona(
            id=f"P{i + 1}", segment=seg, name=name, description=desc, needs=lists["needs"],
            motivations=lists["motivations"], barriers=lists["barriers"], behaviours=lists["behaviours"],
            underserved=under, quotes=tuple(quotes), n=int(size["n"]), share=float(size["share %"]),
            suppressed=bool(size["suppressed"]), profile=_signature(profiles, seg),
        )
        personas.append(replace(p, draft_hashes={f: _hash(p.field_value(f)) for f in EDITABLE}))
    seed = random_state if isinstance(random_state, (int, np.integer)) else None
    return Personas(personas=tuple(personas), study_id=profiles.study_id, wave=profiles.wave, random_state=seed)


def _posterior_column(posteriors: pd.DataFrame, seg):
    if seg in posteriors.columns:
        return seg
    by_str = {str(c): c for c in posteriors.columns}
    if str(seg) in by_str:
        return by_str[str(seg)]
    raise AnalysisError(
        f"the posteriors have no column for segment {seg!r}; their columns are {', '.join(map(str, posteriors.columns))} "
        "(name them like the segment labels)"
    )


def _join(items, language="en") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + NAME_TEXTS[name_language(language)]["and"] + items[-1]


# --------------------------------------------------------------------------- the set


@dataclass(frozen=True, eq=False)
class Personas(Summarised):
    """The personas of one run.

    Attributes
    ----------
    personas : tuple of Persona
        One per segment, in segment order.
    unmatched : tuple of dict
        Personas from an earlier ``personas.yaml`` that match no segment now (kept as written).
    matches : DataFrame
        After :func:`merge_personas`: per segment, the persona id it got, the distance to
        the stored profile and whether it is new.
    path : Path or None
        The file merged with.
    random_state : int or None
        The seed quotes were drawn with (None: from posteriors, or unseeded).
    """

    personas: tuple
    study_id: str = ""
    wave: str = ""
    random_state: Any = None
    unmatched: tuple = ()
    matches: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    path: Path | None = None

    def __iter__(self):
        return iter(self.personas)

    def __len__(self) -> int:
        return len(self.personas)

    def for_segment(self, segment) -> Persona:
        for p in self.personas:
            if p.segment == segment or str(p.segment) == str(segment):
                return p
        raise KeyError(f"no persona for segment {segment!r}")

    def summary(self, *, include_suppressed: bool = True) -> pd.DataFrame:
        """One row per persona: id, segment, name, size, suppressed, edited, description."""
        rows = [{"id": p.id, "segment": p.segment, "name": p.name, "n": p.n, "share %": p.share,
                 "suppressed": p.suppressed, "edited": ", ".join(p.edited), "description": p.description}
                for p in self.personas if include_suppressed or not p.suppressed]
        return pd.DataFrame(rows, columns=["id", "segment", "name", "n", "share %", "suppressed", "edited", "description"])

    def to_yaml(self) -> str:
        """The personas.yaml text (UTF-8, comments on how to edit it at the top)."""
        doc = {"study": self.study_id, "wave": self.wave, "personas": [p.to_dict() for p in self.personas],
               "unmatched": [dict(u) for u in self.unmatched]}
        head = (
            "# Persona drafts written by the workbench. Edit names, descriptions, lists and quotes freely:\n"
            "# your edits are kept on every re-run (detected by draft_hashes) and follow their segment by\n"
            "# profile, not by segment number. 'locked: true' keeps all texts of a persona. Leave\n"
            "# draft_hashes and profile as they are. Personas under 'unmatched' fit no current segment.\n"
        )
        return head + safeyaml.dump(doc)

    def save(self, path) -> Path:
        """Write the YAML file (UTF-8), atomically: a consultant's file is never left half-written;
        an existing file keeps its comments (see :func:`round_trip_yaml`)."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise file_error(exc, path.parent, doing="create the folder") from None
        previous = path.read_text(encoding="utf-8-sig") if path.is_file() and not path.is_symlink() else None
        return atomic_write_text(path, round_trip_yaml(previous, self.to_yaml()), what="the personas file")

    def summarise(self) -> Summary:
        """The count, each persona's first quotes, and one row per persona."""
        lines = [f"{len(self.personas)} personas{f' ({self.study_id} wave {self.wave})' if self.study_id else ''}"]
        lines += [f"  {p.id}: «{q['text']}»" for p in self.personas for q in p.quotes[:2]]
        return Summary("Personas", lines, [SummaryTable(self.summary(), index=False, digits=1)])

    def __repr__(self) -> str:
        return f"Personas(n={len(self.personas)}, unmatched={len(self.unmatched)})"


# --------------------------------------------------------------------------- personas.yaml


def _update_node(node, new):
    """Make the ruamel round-trip ``node`` hold ``new`` (plain data), keeping the comments of kept keys.

    Mappings are updated key by key (keys gone from ``new`` are dropped, new keys added at
    the end); lists of mappings with an ``id`` are matched by id, so a comment on a persona
    stays with that persona when the order changes; anything else is replaced.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap) and isinstance(new, dict):
        for k in [k for k in node if k not in new]:
            del node[k]
        for k, v in new.items():
            if k in node:
                node[k] = _update_node(node[k], v)
            else:
                node[k] = v
        return node
    if isinstance(node, CommentedSeq) and isinstance(new, list):
        if all(isinstance(x, dict) and "id" in x for x in new) and all(isinstance(x, CommentedMap) for x in node):
            by_id = {str(x.get("id")): x for x in node}
            items = [_update_node(by_id[str(x["id"])], x) if str(x["id"]) in by_id else x for x in new]
        elif len(node) == len(new):
            items = [_update_node(a, b) for a, b in zip(node, new)]
        else:
            return new
        comments = {i: node.ca.items[i] for i in list(node.ca.items) if i < len(items)}
        node.clear()
        node.extend(items)
        node.ca.items.clear()
        node.ca.items.update(comments)
        return node
    return new


def round_trip_yaml(previous: str | None, fresh: str) -> str:
    """``fresh`` YAML text written over ``previous`` so that the consultant's comments survive.

    ``previous`` is the file as it was (None: no file): its comments (``# ...``) on keys and
    personas that are still there are kept, with ruamel.yaml's round-trip loader; the
    values are ``fresh``'s. A previous file ruamel cannot read gives ``fresh`` unchanged.
    """
    if not previous or not previous.strip():
        return fresh
    try:  # issue 14: ruamel only sees a document the bounded loader accepts (no alias bombs, no deep nesting)
        safeyaml.load(previous, what="personas.yaml")
    except StudyError:
        return fresh
    try:
        doc = safeyaml.round_trip_load(previous)
    except safeyaml.YAMLError:
        return fresh
    new = safeyaml.safe_load(fresh)
    if not isinstance(doc, dict) or not isinstance(new, dict):
        return fresh
    return safeyaml.dump(_update_node(doc, new))


def personas_path(study) -> Path:
    """``surveys/<study>/personas.yaml``: beside the study's study.yaml."""
    return Path(study.root) / "personas.yaml"


def load_personas(path) -> dict:
    """Read a personas.yaml; ``{'personas': [...], 'unmatched': [...]}`` (empty lists if absent).

    Raises
    ------
    StudyError
        The file is not valid YAML or not the expected structure, with the line.
    """
    path = Path(path)
    if not path.exists():
        return {"personas": [], "unmatched": []}
    # bounded (size, depth, aliases), duplicate keys refused, the line where the edit broke
    text = safeyaml.read_text(path, what="personas.yaml")
    try:
        doc, _node = safeyaml.load(text, file=path, what="personas.yaml")
    except StudyError as exc:
        raise StudyError(exc.message + "; fix the edit or delete the file to start from fresh drafts",
                         file=path, row=exc.row) from None
    doc = doc or {}
    if not isinstance(doc, dict) or not isinstance(doc.get("personas", []), list):
        raise StudyError("personas.yaml must hold a 'personas:' list of personas", file=path)
    items = [p for p in doc.get("personas") or [] if isinstance(p, dict)]
    unmatched = [p for p in doc.get("unmatched") or [] if isinstance(p, dict)]
    for i, p in enumerate(items + unmatched):
        if "id" not in p:
            raise StudyError(f"persona number {i + 1} has no id: (keep the ids the workbench wrote)", file=path)
    _check_bookkeeping(doc, path, _node)
    return {"personas": items, "unmatched": unmatched}


def _check_bookkeeping(doc: dict, path: Path, node) -> None:
    """The entries the workbench keeps for itself (``profile``, ``segment``, ``locked``,
    ``draft_hashes``) have their types, checked field by field with the line (issue 24: a
    profile value 'high' where a number is)."""
    lines = safeyaml.node_lines(node) if node is not None else {}
    for part in ("personas", "unmatched"):
        for i, p in enumerate(doc.get(part) or []):
            if not isinstance(p, dict):
                continue
            where = f"persona {p.get('id', i + 1)!s}"

            def bad(key, sub, what):
                row = lines.get((part, i, key, sub)) if sub is not None else lines.get((part, i, key))
                raise StudyError(f"{where}: {what}; the workbench keeps this entry for itself: restore it or delete "
                                 "the file to start from fresh drafts", file=path, row=row)

            prof = p.get("profile")
            if prof is not None and not isinstance(prof, dict):
                bad("profile", None, "'profile' must map questions to numbers")
            for k, v in (prof or {}).items():
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf")):
                    bad("profile", k, f"profile value {k}: {v!r} is not a number")
            seg = p.get("segment")
            if seg is not None and (isinstance(seg, bool) or not isinstance(seg, int)):
                bad("segment", None, f"segment {seg!r} is not a segment number")
            if "locked" in p and not isinstance(p["locked"], bool):
                bad("locked", None, f"locked: {p['locked']!r} must be true or false")
            hashes = p.get("draft_hashes")
            if hashes is not None and not isinstance(hashes, dict):
                bad("draft_hashes", None, "'draft_hashes' must be a mapping")


def _distance(a: dict, b: dict) -> float:
    keys = [k for k in a if k in b]
    if not keys:
        return np.inf
    d = np.array([float(a[k]) - float(b[k]) for k in keys])
    return float(np.sqrt(np.mean(d**2)))


_KNOWN = set(EDITABLE) | {"id", "segment", "size", "suppressed", "edited", "locked", "draft_hashes", "profile"}


def _hashable(field_name: str, v):
    """A field's value as hashed in draft_hashes (lists, not tuples; quotes as dicts)."""
    if field_name == "quotes":
        return [dict(q) for q in v]
    return list(v) if isinstance(v, tuple) else v


def _as_value(field_name: str, v):
    if field_name in ("name", "description"):
        return "" if v is None else str(v)
    if field_name == "quotes":
        return tuple(dict(q) if isinstance(q, dict) else {"text": str(q)} for q in (v or []))
    return tuple(str(x) for x in (v or []))


def merge_personas(drafts: Personas, path, *, max_distance: float = 0.35, save: bool = True) -> Personas:
    """Merge fresh drafts with a consultant-edited personas.yaml and write it back.

    Parameters
    ----------
    drafts : Personas
        From :func:`draft_personas`.
    path : str or Path
        The personas.yaml (``personas_path(study)``); created when missing.
    max_distance : float, default=0.35
        Largest root-mean-square difference of mean answers (scale points) at which a
        stored persona still counts as the same segment. On the demo study the same
        planted segment lies 0.06-0.08 apart between waves, two planted segments at
        least 0.84, two planted segments merged into one 0.39 from either, and random
        segments 0.49 or more from every planted one.
    save : bool, default=True
        Write the merged file.

    Returns
    -------
    Personas
        The merged personas (stored ids and edited fields kept) with ``matches``.
    """
    from scipy.optimize import linear_sum_assignment

    path = Path(path)
    stored = load_personas(path)
    other_wave = _stored_wave(path) not in (None, str(drafts.wave))
    old = stored["personas"] + stored["unmatched"]
    new = list(drafts.personas)
    cost = np.full((len(new), len(old)), np.inf)
    for i, p in enumerate(new):
        for j, o in enumerate(old):
            cost[i, j] = _distance(p.profile, o.get("profile") or {})
    pairs = {}
    if len(new) and len(old):
        big = 1e6
        c = np.where(np.isfinite(cost) & (cost <= max_distance), cost, big)
        rows, cols = linear_sum_assignment(c)
        pairs = {i: j for i, j in zip(rows, cols) if c[i, j] < big}
    used_ids = {str(o["id"]) for o in old}
    next_id = 1
    merged, match_rows = [], []
    for i, p in enumerate(new):
        if i in pairs:
            o = old[pairs[i]]
            q = _apply_edits(p, o, keep_name=other_wave)
            match_rows.append({"segment": p.segment, "persona": q.id, "distance": round(float(cost[i, pairs[i]]), 3),
                               "new": False, "edited": ", ".join(q.edited)})
        else:
            while f"P{next_id}" in used_ids:
                next_id += 1
            q = replace(p, id=f"P{next_id}")
            used_ids.add(q.id)
            d = float(cost[i].min()) if len(old) else np.nan
            match_rows.append({"segment": p.segment, "persona": q.id, "distance": round(d, 3) if np.isfinite(d) else np.nan,
                               "new": True, "edited": ""})
        merged.append(q)
    matched_old = set(pairs.values())
    unmatched = tuple({**o, "segment": None} for j, o in enumerate(old) if j not in matched_old)
    if unmatched:
        logger.info("%d stored persona(s) match no current segment; kept under 'unmatched'", len(unmatched))
    out = Personas(personas=tuple(merged), study_id=drafts.study_id, wave=drafts.wave,
                   random_state=drafts.random_state, unmatched=unmatched,
                   matches=pd.DataFrame(match_rows, columns=["segment", "persona", "distance", "new", "edited"]),
                   path=path)
    if save:
        out.save(path)
    return out


def _stored_wave(path: Path) -> str | None:
    """The wave a personas.yaml was last written for (None: no file or no wave)."""
    if not path.exists():
        return None
    try:
        doc = safeyaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except safeyaml.YAMLError:
        return None
    w = doc.get("wave") if isinstance(doc, dict) else None
    return None if w is None else str(w)


def _apply_edits(draft: Persona, stored: dict, *, keep_name: bool = False) -> Persona:
    """``draft`` with the consultant's edits of ``stored``; ``keep_name``: a later wave keeps the
    stored drafted name too (a persona keeps its name across waves unless renamed)."""
    hashes = stored.get("draft_hashes") or {}
    locked = bool(stored.get("locked", False))
    if keep_name and isinstance(stored.get("name"), str) and stored["name"].strip() and "name" not in (
            [f for f in EDITABLE if f in stored and hashes.get(f) is not None
             and _hash(_hashable(f, _as_value(f, stored[f]))) != hashes.get(f)]):
        name = stored["name"].strip()
        draft = replace(draft, name=name, draft_hashes={**draft.draft_hashes, "name": _hash(_hashable("name", name))})
    draft = _keep_quote(draft, stored)  # the quote the deck showed stays (this wave or an earlier one)
    values, edited = {}, []
    for f in EDITABLE:
        if f not in stored:
            continue
        current = _as_value(f, stored[f])
        was_drafted = hashes.get(f)
        if locked or was_drafted is None or _hash(_hashable(f, current)) != was_drafted:
            values[f] = current
            edited.append(f)
    extra = {k: v for k, v in stored.items() if k not in _KNOWN}
    return replace(draft, id=str(stored["id"]), edited=tuple(edited), locked=locked, extra=extra, **values)


def _keep_quote(draft: Persona, stored: dict) -> Persona:
    """A later wave keeps the persona's quote: the earlier wave's first quote (the one the deck
    shows) stays first, this wave's drafts follow (issue 26: one persona, one quote across waves).
    It no longer fits, and this wave's quotes are used, when the persona did not match (a new
    segment: never called) or the stored quote is empty; quotes the consultant edited are kept by
    :func:`_apply_edits` anyway."""
    quotes = _as_value("quotes", stored.get("quotes"))
    first = next((q for q in quotes if str(q.get("text", "")).strip()), None)
    if first is None:
        return draft
    text = str(first["text"]).strip()
    rest = [q for q in draft.quotes if str(q.get("text", "")).strip() != text]
    kept = tuple([dict(first)] + rest[: max(len(draft.quotes), 1) - 1])
    return replace(draft, quotes=kept, draft_hashes={**draft.draft_hashes, "quotes": _hash(_hashable("quotes", kept))})


# --------------------------------------------------------------------------- a consultant's edits, for re-rendering


def yaml_key_lines(path) -> dict:
    """Line of each persona and of its keys in a personas.yaml: ``{(index, key): line}``.

    ``(index, None)`` is the line where persona number ``index`` (0-based) starts; lines are
    1-based. An unreadable file gives ``{}`` (:func:`load_personas` reports its error).
    """
    out: dict = {}
    try:
        node = safeyaml.compose(Path(path).read_text(encoding="utf-8-sig"))
    except safeyaml.YAMLError:
        return out
    if not isinstance(node, safeyaml.MappingNode):
        return out
    for k, v in node.value:
        if k.value == "personas" and isinstance(v, safeyaml.SequenceNode):
            for i, item in enumerate(v.value):
                out[(i, None)] = item.start_mark.line + 1
                if isinstance(item, safeyaml.MappingNode):
                    for kk, vv in item.value:
                        out[(i, kk.value)] = kk.start_mark.line + 1
    return out


def apply_persona_edits(personas: Personas, path) -> Personas:
    """The run's personas with the texts of a consultant-edited ``personas.yaml``.

    Personas are matched by ``id`` (the ids the workbench wrote); the editable fields found
    in the file replace the run's text, numbers (n, share, suppression) stay the run's.
    ``how_to_win`` and other added keys travel in ``extra``. Used to re-render the deck
    (``workbench deck``) without re-fitting anything.

    Raises
    ------
    StudyError
        The file is missing or not valid YAML, or a field has the wrong type, naming the
        persona, key and line.
    """
    path = Path(path)
    if not path.exists():
        raise StudyError("personas.yaml not found; `workbench run` writes it beside study.yaml", file=path)
    doc = load_personas(path)
    lines = yaml_key_lines(path)
    by_id = {}
    for i, entry in enumerate(doc["personas"]):
        by_id[str(entry["id"])] = (i, entry)
    out = []
    for p in personas:
        if p.id not in by_id:
            logger.warning("deck: persona %s (segment %s) is not in %s; its text from the run is used", p.id, p.segment,
                           path.name)
            out.append(p)
            continue
        i, entry = by_id[p.id]
        values = {}
        for f in EDITABLE:
            if f not in entry:
                continue
            v = entry[f]
            where = lines.get((i, f)) or lines.get((i, None))
            if f in ("name", "description"):
                if v is None or isinstance(v, (dict, list)):
                    raise StudyError(f"persona {p.id}: '{f}' must be text, got {type(v).__name__}", file=path, row=where,
                                     column=f)
                values[f] = str(v).strip() if f == "name" else str(v)
            elif f == "quotes":
                if v is not None and not isinstance(v, list):
                    raise StudyError(f"persona {p.id}: 'quotes' must be a list of quotes (- text: ...)", file=path,
                                     row=where, column=f)
                qs = []
                for q in v or []:
                    if isinstance(q, dict) and isinstance(q.get("text", ""), str):
                        lang, tr = q.get("language"), q.get("translation")
                        if lang is not None and not (isinstance(lang, str) and LANGUAGE_CODE.match(lang)):
                            raise StudyError(f"persona {p.id}: a quote's language must be a language code such as "
                                             f"'da' or 'nl-BE', got {lang!r}", file=path, row=where, column="language")
                        if tr is not None and not isinstance(tr, str):
                            raise StudyError(f"persona {p.id}: a quote's translation must be text, got "
                                             f"{type(tr).__name__}", file=path, row=where, column="translation")
                        qs.append(dict(q))
                    elif isinstance(q, str):
                        qs.append({"text": q})
                    else:
                        raise StudyError(f"persona {p.id}: each quote must be text or a mapping with 'text:'",
                                         file=path, row=where, column=f)
                values[f] = tuple(qs)
            else:
                if v is not None and not isinstance(v, list):
                    raise StudyError(f"persona {p.id}: '{f}' must be a list (one '- item' per line), got "
                                     f"{type(v).__name__}", file=path, row=where, column=f)
                if any(isinstance(x, (dict, list)) for x in v or []):
                    raise StudyError(f"persona {p.id}: '{f}' must be a list of texts", file=path, row=where, column=f)
                values[f] = tuple(str(x) for x in v or [])
        if "name" in values and not values["name"]:
            raise StudyError(f"persona {p.id}: 'name' is empty; give the persona a name", file=path,
                             row=lines.get((i, "name")), column="name")
        win = entry.get("how_to_win")
        if win is not None and not (isinstance(win, (str, list)) and all(isinstance(x, str) for x in (
                win if isinstance(win, list) else [win]))):
            raise StudyError(f"persona {p.id}: 'how_to_win' must be a list of texts", file=path,
                             row=lines.get((i, "how_to_win")), column="how_to_win")
        extra = {k: v for k, v in entry.items() if k not in _KNOWN}
        q = replace(p, **values, extra=extra, locked=bool(entry.get("locked", False)))
        edited = tuple(f for f in EDITABLE if p.draft_hashes.get(f) and _hash(_hashable(f, getattr(q, f))) != p.draft_hashes[f])
        out.append(replace(q, edited=edited))
    return Personas(personas=tuple(out), study_id=personas.study_id, wave=personas.wave,
                    random_state=personas.random_state, unmatched=tuple(doc["unmatched"]), path=path)
