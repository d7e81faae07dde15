"""The deck's inputs as plain data: :class:`DeckData`, :class:`DeckTrends` and the personas
saved with them, and their JSON round trip (``deck_data.json``, ``deck_trends.json``).

Nothing here knows a result class: :func:`workbench.steps.deck_data.deck_data` reads a
run's results into a :class:`DeckData`; a saved ``deck_data.json`` reads back into the
same object (:meth:`DeckData.load`), so a deck re-rendered by ``workbench deck`` equals the
run's.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import OutputError
from ..files.jsonplain import check_format, plain
from ..describe.personas import Persona, Personas, apply_persona_edits

__all__ = ["DeckData", "DeckTrends", "load_trends", "rerender_inputs", "frame_to_json", "frame_from_json",
           "persona_dict", "persona_fields", "PROFILE_COLUMNS", "DECK_DATA", "DECK_DATA_VERSION", "TRENDS_FILE"]

#: The plain-data inputs of the deck, saved beside personas.pptx.
DECK_DATA = "deck_data.json"
DECK_DATA_VERSION = 1
#: A later wave's trend slides, saved beside deck_data.json.
TRENDS_FILE = "deck_trends.json"


def frame_to_json(df: pd.DataFrame | None) -> dict:
    if df is None or not len(df.columns):
        return {"columns": [], "rows": []}
    return {"columns": [str(c) for c in df.columns], "rows": [[plain(v) for v in row] for row in df.itertuples(index=False)]}


def frame_from_json(d: dict | None) -> pd.DataFrame:
    d = d or {"columns": [], "rows": []}
    return pd.DataFrame(d["rows"], columns=d["columns"])


PROFILE_COLUMNS = ["block", "kind", "variable", "label", "measure", "category", "stat", "trait", "segment", "n",
                   "value", "total", "index", "p_adj", "sig", "letters"]


@dataclass(frozen=True)
class DeckTrends:
    """Wave-to-wave trends for the two trend slides (issue 8 fills these in).

    Attributes
    ----------
    sizes : DataFrame
        One row per wave and segment: ``wave``, ``segment``, ``name``, ``n``, ``share`` (%),
        ``ci_low``, ``ci_high`` (% bounds of the share's confidence interval).
    movements : tuple of str
        One sentence per notable movement, most important first (the tracking step's English: the
        consultant's notes).
    moves : tuple of dict
        The same movements as plain data, one per sentence (:attr:`workbench.waves.tracking.SizeChanges.moves`,
        :attr:`~workbench.waves.tracking.ProfileDrift.moves`): the slide words them in the deck's language
        under one rounding rule. Empty in trends saved before they were recorded (the slide then
        reads the sentences).
    refit : str
        Advice on whether to refit the segmentation or keep classifying with the frozen model.
    migration : dict or None
        Who moved where (step ``migration``), plain data for the migration slides: ``from_wave``,
        ``to_wave``, ``n_panel``, ``readable``, ``message``, ``segments`` ([number, name]),
        ``matrix`` (whole % of each row segment going to each column segment) and per segment
        ``stayed``, ``came_from``, ``went_to`` (whole % and names).
    """

    sizes: pd.DataFrame
    movements: tuple = ()
    moves: tuple = ()
    refit: str = ""
    migration: dict | None = None

    def __post_init__(self):
        need = {"wave", "segment", "name", "n", "share", "ci_low", "ci_high"}
        missing = need - set(self.sizes.columns)
        if missing:
            raise OutputError(f"DeckTrends.sizes lacks the column(s) {', '.join(sorted(missing))}; "
                              f"it needs {', '.join(sorted(need))}")
        object.__setattr__(self, "movements", tuple(self.movements))
        object.__setattr__(self, "moves", tuple(self.moves))

    def to_dict(self) -> dict:
        """Plain JSON-ready data (saved beside deck_data.json so ``workbench deck`` keeps the trends)."""
        sizes = self.sizes[["wave", "segment", "name", "n", "share", "ci_low", "ci_high"]].copy()
        sizes["wave"] = sizes["wave"].astype(str)
        return {"sizes": json.loads(sizes.to_json(orient="records", force_ascii=False)),
                "movements": list(self.movements), "moves": [dict(m) for m in self.moves], "refit": self.refit, "migration": self.migration}

    @classmethod
    def from_dict(cls, d: dict) -> "DeckTrends":
        return cls(sizes=pd.DataFrame(d["sizes"], columns=["wave", "segment", "name", "n", "share", "ci_low", "ci_high"]),
                   movements=tuple(d.get("movements", ())), moves=tuple(d.get("moves") or ()), refit=str(d.get("refit", "")),
                   migration=d.get("migration") if isinstance(d.get("migration"), dict) else None)


def load_trends(folder) -> "DeckTrends | None":
    """A later wave's trend slides saved by its run (``deck_trends.json``), or None."""
    path = Path(folder) / TRENDS_FILE
    if not path.is_file():
        return None
    return DeckTrends.from_dict(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True, eq=False)
class DeckData:
    """What the deck shows, as plain data: tables and numbers, no respondents, no PII.

    Built by :func:`workbench.steps.deck_data.deck_data` in a run, saved as ``deck_data.json`` (:meth:`save`) and
    read back by ``workbench deck`` (:meth:`load`); rendering from either gives the same deck.

    Attributes
    ----------
    study_id, study_name, wave, wave_label : str
    date : str
        ISO date shown on the title slide (the wave's fieldwork end, else the run's date).
    min_segment_n : int
    labels : tuple
        Every segment label of the chosen segmentation, suppressed ones included.
    total_n : int
    segments : DataFrame
        ``segment``, ``n``, ``weighted n``, ``share %``, ``suppressed``.
    profile : DataFrame
        The profile table (:attr:`SegmentProfiles.table`), columns :data:`PROFILE_COLUMNS`.
    opportunities : DataFrame
        JTBD opportunity scores per segment and outcome (empty without outcomes).
    underserved : float
        Opportunity score from which an outcome counts as underserved.
    scorecard : dict or None
        ``recommended``, ``pinned``, ``reason``, ``ranking`` and ``checks`` (DataFrames).
    fit : DataFrame
        Fit table of the candidate segmentations.
    bases : dict
        What each segmentation method segmented.
    quality : dict
        ``read``, ``kept``, ``excluded``, ``headline`` and ``checks`` (DataFrame).
    weighting : str
        The weighting room's line on the raking, in English, for the consultant's notes ('' when
        unweighted).
    weighting_figures : dict or None
        The raking's figures for the client's slide, worded in the deck's language:
        ``variables`` (labels), ``n``, ``effective_n``, ``design_effect``, ``min_weight``,
        ``max_weight``, ``converged``; None when unweighted or in a deck saved before it was
        recorded (the slide then says only that the respondents are weighted).
    factors : DataFrame
        ``battery``, ``factor``, ``items``, ``variance %``, ``alpha``.
    factor_notes : tuple of str
        One headline per battery.
    model_note : str or None
        For a wave classified with a frozen model: which wave's model.
    recognise : dict or None
        How the segments are recognised outside the survey: ``questions`` (golden
        question labels, in order), ``accuracy`` and ``baseline`` of the typing tool,
        ``fitted_wave``, and for the whole customer base ``customers``, ``from_survey``,
        ``from_model``, ``confident``, ``base_accuracy`` and ``base_baseline``; ``typing_refused``
        / ``base_refused``: why the typing tool is not recommended / non-respondents are not placed.
    skipped : dict
        Step name -> why the run skipped it (the method slide lists them).
    language : str
        The deck's language (study.yaml ``study: language``): quotes in another language are
        tagged with theirs and shown with their translation when there is one.
    fieldwork : str
        The wave's fieldwork dates as shown ('1 September – 2 October 2026'; '' without them).
    currency : str
        The study's currency code for amounts ('' when it declares none; decks saved
        before it was recorded re-render without it).
    """

    study_id: str
    study_name: str
    wave: str
    wave_label: str
    date: str
    min_segment_n: int
    labels: tuple
    total_n: int
    segments: pd.DataFrame = field(repr=False)
    profile: pd.DataFrame = field(repr=False)
    opportunities: pd.DataFrame = field(repr=False)
    underserved: float = 10.0
    scorecard: dict | None = field(default=None, repr=False)
    fit: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    bases: dict = field(default_factory=dict, repr=False)
    quality: dict = field(default_factory=dict, repr=False)
    weighting: str = ""
    weighting_figures: dict | None = field(default=None, repr=False)
    factors: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    factor_notes: tuple = ()
    model_note: str | None = None
    recognise: dict | None = field(default=None, repr=False)
    currency: str = ""
    language: str = "en"
    skipped: dict = field(default_factory=dict, repr=False)  # step -> why it was skipped in the run
    fieldwork: str = ""  # the wave's fieldwork dates as the agenda shows them ('' when the study gives none)
    #: account classes (step accounts): n_customers, n_several, segments [(segment, name)], value_label,
    #: classes (table: type, accounts, share, mix_<segment>, value), types (per class, the accounts room's
    #: kind and segments: {"kind": "consensus" | "split" | "mixed" | "one", "segments": [...]}) and rule
    #: (its thresholds, for the notes); None without them
    accounts: dict | None = field(default=None, repr=False)
    #: "Do the segments predict next year?" (:mod:`workbench.deck.slides_forward`), or None
    forward: dict | None = field(default=None, repr=False)
    #: the whole customer base (ERP) of the wave, for "all customers": ``n``, ``means`` {measure: mean
    #: (shares 0-1)}, ``mixes`` {measure: {category: % of customers}}; None without behaviour data
    base: dict | None = field(default=None, repr=False)
    #: the wave's fieldwork dates (ISO), so each language writes them its way ('' without)
    fieldwork_start: str = ""
    fieldwork_end: str = ""

    # ------------------------------------------------------------------ plain data
    def to_dict(self) -> dict:
        """The data as JSON-ready dicts and lists (tables as ``{'columns', 'rows'}``)."""
        card = None
        if self.scorecard is not None:
            card = {**self.scorecard, "ranking": frame_to_json(self.scorecard["ranking"]),
                    "checks": frame_to_json(self.scorecard["checks"])}
        q = dict(self.quality)
        if "checks" in q:
            q["checks"] = frame_to_json(q["checks"])
        return {
            "study_id": self.study_id, "study_name": self.study_name, "wave": self.wave, "wave_label": self.wave_label,
            "date": self.date, "min_segment_n": self.min_segment_n, "labels": plain(list(self.labels)),
            "total_n": self.total_n, "segments": frame_to_json(self.segments), "profile": frame_to_json(self.profile),
            "opportunities": frame_to_json(self.opportunities), "underserved": self.underserved, "scorecard": card,
            "fit": frame_to_json(self.fit), "bases": dict(self.bases), "quality": q, "weighting": self.weighting,
            "weighting_figures": self.weighting_figures,
            "factors": frame_to_json(self.factors), "factor_notes": list(self.factor_notes),
            "model_note": self.model_note, "recognise": self.recognise, "currency": self.currency,
            "language": self.language,
            "skipped": dict(self.skipped), "fieldwork": self.fieldwork, "accounts": self.accounts,
            "base": self.base, "fieldwork_start": self.fieldwork_start, "fieldwork_end": self.fieldwork_end,
            "forward": None if self.forward is None else {
                **self.forward, "segments": frame_to_json(self.forward["segments"]),
                "lift": frame_to_json(self.forward["lift"])},
        }

    @classmethod
    def from_dict(cls, d: dict) -> "DeckData":
        card = d.get("scorecard")
        if card is not None:
            card = {**card, "ranking": frame_from_json(card.get("ranking")), "checks": frame_from_json(card.get("checks"))}
        q = dict(d.get("quality") or {})
        if "checks" in q:
            q["checks"] = frame_from_json(q["checks"])
        return cls(
            study_id=d["study_id"], study_name=d["study_name"], wave=str(d["wave"]), wave_label=d.get("wave_label", ""),
            date=d["date"], min_segment_n=int(d["min_segment_n"]), labels=tuple(d.get("labels") or ()),
            total_n=int(d.get("total_n") or 0), segments=frame_from_json(d.get("segments")),
            profile=frame_from_json(d.get("profile")), opportunities=frame_from_json(d.get("opportunities")),
            underserved=float(d.get("underserved", 10.0)), scorecard=card, fit=frame_from_json(d.get("fit")),
            bases=dict(d.get("bases") or {}), quality=q, weighting=d.get("weighting") or "",
            weighting_figures=d.get("weighting_figures") or None,
            factors=frame_from_json(d.get("factors")), factor_notes=tuple(d.get("factor_notes") or ()),
            model_note=d.get("model_note"), recognise=d.get("recognise"), currency=d.get("currency") or "",
            language=d.get("language") or "en",
            skipped=dict(d.get("skipped") or {}), fieldwork=str(d.get("fieldwork") or ""), accounts=d.get("accounts"),
            base=d.get("base"), fieldwork_start=str(d.get("fieldwork_start") or ""),
            fieldwork_end=str(d.get("fieldwork_end") or ""),
            forward=None if not d.get("forward") else {
                **d["forward"], "segments": frame_from_json(d["forward"].get("segments")),
                "lift": frame_from_json(d["forward"].get("lift"))},
        )

    def save(self, path, personas: Personas) -> Path:
        """Write ``deck_data.json``: this data and the personas as the run merged them (UTF-8)."""
        path = Path(path)
        doc = {"format": "workbench deck data", "version": DECK_DATA_VERSION, "data": self.to_dict(),
               "personas": [persona_dict(p) for p in personas]}
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path) -> tuple["DeckData", Personas]:
        """Read a ``deck_data.json``; returns the data and the personas saved with it.

        Raises
        ------
        OutputError
            The file is missing, not JSON or not deck data.
        """
        path = Path(path)
        if not path.exists():
            raise OutputError(f"no deck data found ({path.name} missing): run `workbench run` for this wave first "
                              "(runs made before the deck could be re-rendered need one more run)", file=path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise OutputError(f"{path.name} is not valid JSON ({exc}); re-run the wave", file=path) from None
        check_format(doc, "workbench deck data", DECK_DATA_VERSION, what=f"{path.name} (workbench deck data)", file=path,
                     exact=True, error=OutputError, advice="re-run the wave")
        data = cls.from_dict(doc["data"])
        ps = tuple(Persona(**persona_fields(p)) for p in doc.get("personas") or [])
        return data, Personas(personas=ps, study_id=data.study_id, wave=data.wave)

    # ------------------------------------------------------------------ helpers
    def seg_row(self, segment) -> dict | None:
        s = self.segments
        if not len(s):
            return None
        hit = s[s["segment"].astype(str) == str(segment)]
        return hit.iloc[0].to_dict() if len(hit) else None

    @property
    def suppressed(self) -> list:
        s = self.segments
        return list(s.loc[s["suppressed"].astype(bool), "segment"]) if len(s) else []

    def rows(self, segment=None, **eq) -> pd.DataFrame:
        """Profile rows of a segment (or all) with column == value filters."""
        t = self.profile
        if not len(t):
            return t
        m = np.ones(len(t), dtype=bool)
        if segment is not None:
            m &= (t["segment"].astype(str) == str(segment)).to_numpy()
        for k, v in eq.items():
            m &= (t[k] == v).to_numpy()
        return t[m]

    def underserved_outcomes(self, segment) -> pd.DataFrame:
        o = self.opportunities
        if not len(o):
            return o
        o = o[(o["segment"].astype(str) == str(segment)) & o["underserved"].astype(bool)]
        return o.sort_values(["opportunity", "label"], ascending=[False, True], kind="stable")

    def summary(self) -> pd.DataFrame:
        """One row per segment: n, share, suppressed (the deck's sizes)."""
        return self.segments.copy()


PERSONA_KEYS = ("id", "segment", "name", "description", "needs", "motivations", "barriers", "behaviours",
                 "underserved", "quotes", "n", "share", "suppressed", "profile", "edited", "locked", "draft_hashes",
                 "extra")


def persona_dict(p) -> dict:
    fields = dataclasses.asdict(p)
    out = {}
    for k in PERSONA_KEYS:
        v = fields[k]
        out[k] = [dict(q) for q in v] if k == "quotes" else plain(list(v) if isinstance(v, tuple) else v)
    return out


def persona_fields(d: dict) -> dict:
    out = {k: d[k] for k in PERSONA_KEYS if k in d}
    for k in ("needs", "motivations", "barriers", "behaviours", "underserved", "edited"):
        out[k] = tuple(out.get(k) or ())
    out["quotes"] = tuple(dict(q) for q in out.get("quotes") or ())
    return out



def rerender_inputs(folder, personas_yaml) -> tuple[DeckData, Personas]:
    """The saved deck data of a report folder and its personas with the consultant's edits applied.

    Returns
    -------
    (DeckData, Personas)
    """
    data, personas = DeckData.load(Path(folder) / DECK_DATA)
    return data, apply_persona_edits(personas, personas_yaml)
