"""The working state of one wave's run, and what a step is.

Every field of :class:`WaveContext` is given by exactly one step (or by the runner before the
first step) and read by the steps that declare it in their ``needs`` / ``uses``.  A step
never changes a value another step gave: it returns its own values in an :class:`Output`
and the runner stores them.  See ``docs/design.md`` ("To add a step you must...").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Union

import pandas as pd

from ..behaviour import Behaviour
from ..behaviour.forward import ForwardOutcomes
from ..criteria import LabelCandidate, Scorecard
from ..criteria.forward import ForwardRelevance
from ..deck import DeckTrends
from ..factors import EFAResult
from ..describe.opportunities import Opportunities
from ..files.outputs import Manifest
from ..describe.personas import Personas
from ..describe.profiles import SegmentProfiles
from ..quality import QualityReport
from ..data.readers import Responses
from ..segments import Candidates, Segmentation
from ..segments._accounts import AccountSegments
from ..study import Study
from ..waves import Classification, SegmentModel
from ..waves.accounts_model import AccountModel, AccountTracking
from ..waves.flow import WaveTracking
from ..waves.migration import Migration

__all__ = ["WaveContext", "Step", "Output", "Skip", "Writer", "FIELDS", "RUNNER_FIELDS"]

#: A function that writes a step's files into the (temporary) report folder.  It must not
#: touch the context: everything it writes is computed before it is returned.
Writer = Callable[[Path], None]

#: A candidate segmentation the scorecard can judge: fitted (``Segmentation``) or made of
#: plain labels (a classified wave, a planted truth).
Candidate = Union[Segmentation, LabelCandidate]


@dataclass
class WaveContext:
    """What the steps of one wave's run gave, for the steps after them.

    The first seven fields are set by the runner; every other field by the one step whose
    ``gives`` names it (``None`` until then, and for good when that step was skipped).
    """

    # --- set by the runner
    study: Study
    wave: str
    manifest: Manifest
    reports: Path | None = None  # the reports root (earlier waves' outputs are found there)
    loaded_model: SegmentModel | None = None  # later waves: the model file they are classified with
    model_path: Path | None = None
    #: an earlier wave read, checked, joined and weighted again (nothing fitted): ``earlier("1")``
    earlier: Callable[[str], "WaveContext"] | None = None
    # --- read, quality, behaviour, weighting
    responses: Responses | None = None
    quality: QualityReport | None = None
    clean: Responses | None = None  # respondents kept by the quality checks (no weights)
    behaviour: Behaviour | None = None  # per-customer features, the join, raking (if declared)
    weighted: Responses | None = None  # ``clean`` with survey weights when the study declares them
    # --- factors, segments or classification
    factors: dict[str, EFAResult] | None = None  # factor solution per battery
    #: fit waves: the candidate segmentations fitted (or hand-made candidates, in a notebook or test)
    candidates: Candidates | list[Candidate] | None = None
    frozen: SegmentModel | None = None  # classified waves: the model used (the study's threshold)
    classification: Classification | None = None  # classified waves: every respondent's segment
    classified: LabelCandidate | None = None  # classified waves: the classification as a candidate
    model_note: str | None = None  # classified waves: which model classified the respondents
    forward: ForwardOutcomes | None = None  # what the customers did after the reference date
    forward_relevance: ForwardRelevance | None = None  # whether each candidate predicts it beyond the ERP
    forward_since: ForwardRelevance | None = None  # later waves: did the fitted wave's segments predict the months since
    # --- criteria, profiles, opportunities, personas
    scorecard: Scorecard | None = None
    chosen: Candidate | None = None  # the recommended (or pinned) candidate
    profiles: SegmentProfiles | None = None
    opportunities: Opportunities | None = None
    personas: Personas | None = None  # drafts merged with the consultant's edits
    accounts: AccountSegments | None = None  # account classes, when several respondents answer per customer
    account_model: AccountModel | None = None  # the account classes frozen (fit wave) or loaded (classified wave)
    account_tracking: AccountTracking | None = None  # classified waves: accounts placed with the frozen classes
    # --- model, tracking
    fitted_model: SegmentModel | None = None  # fit waves: the model written as model.json
    respondent_segments: pd.DataFrame | None = None  # respondent_segments.csv
    customer_segments: pd.DataFrame | None = None  # a segment for every customer (customer_segments.csv)
    migration: Migration | None = None  # classified waves with a panel: who moved between segments
    tracking: WaveTracking | None = None  # classified waves: sizes, changes, drift, re-fit advice
    trends: DeckTrends | None = None  # classified waves: the deck's trend slides
    # --- deck
    slides: int | None = None  # number of slides of personas.pptx

    @property
    def model(self) -> SegmentModel | None:
        """The segmentation model of this wave: the frozen one used, or the one fitted."""
        return self.frozen or self.loaded_model or self.fitted_model


#: The fields the runner sets before the first step.
RUNNER_FIELDS = ("study", "wave", "manifest", "reports", "loaded_model", "model_path", "earlier")
#: Every field a step may need, use or give.
FIELDS = tuple(f.name for f in dataclasses.fields(WaveContext))


@dataclass(frozen=True)
class Output:
    """What a step returns: its values (by field name), the writer of its files, and what the
    runner records in the manifest for it: ``counts`` (``{name: number}``), ``skipped`` (parts of
    the step left out, ``{part: why}``) and ``model_file`` (the model file a classified wave used).
    A step never writes into the runner's manifest itself."""

    values: dict = field(default_factory=dict)
    write: Writer | None = None
    counts: dict = field(default_factory=dict)
    skipped: dict = field(default_factory=dict)
    model_file: dict | None = None


@dataclass(frozen=True)
class Skip:
    """What a step returns when, having looked, it has nothing to do (with the reason, and the
    counts it made before it knew)."""

    reason: str
    counts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One step of a wave: a function of the context and its declarations.

    Parameters
    ----------
    name : str
        Unique; ``run_until(study, wave, name)`` stops after it.
    run : callable
        ``run(ctx) -> Output | Skip``; reads only the fields it declares.
    needs : tuple of str
        Fields that must be given (not None); a missing one skips the step, with the reason.
    gives : tuple of str
        Fields the step sets; no other step gives them.
    uses : tuple of str
        Fields read when some step gave them (they order the flow, but do not skip it).
    applies : callable, optional
        ``applies(ctx) -> str | None``: why the study (or this wave) cannot have the step, or
        None. Checked before ``run``; only runner fields and needs may be consulted.
    what : str
        One line for the progress log.
    """

    name: str
    run: Callable[[WaveContext], Union[Output, Skip]]
    needs: tuple[str, ...] = ()
    gives: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    applies: Callable[[WaveContext], Union[str, None]] | None = None
    what: str = ""
