"""The steps of one wave, each a function in its own module with what it needs and gives.

:data:`STEPS` lists them; :mod:`workbench.pipeline` orders them from their declarations
and runs all or part of them.  The steps are the study-aware glue: they decide which
columns of which wave the rooms (``factors``, ``segments``, ``criteria``, ``waves``,
``deck``...) get and which files they write.  See ``docs/design.md`` for the flow and
"To add a step you must...".
"""

from __future__ import annotations

from . import (accounts, behaviour, classification, criteria, deck, factors, forward, migration, model, quality, read,
               segments, tracking, weighting)
from .context import FIELDS, RUNNER_FIELDS, Output, Skip, Step, WaveContext, Writer

__all__ = ["STEPS", "Step", "Output", "Skip", "WaveContext", "Writer", "FIELDS", "RUNNER_FIELDS"]

#: Every step of a wave, in the order the runner prefers when the declarations leave a choice.
STEPS: tuple[Step, ...] = (
    read.STEP, quality.STEP, behaviour.STEP, weighting.STEP, factors.STEP, segments.STEP, classification.STEP,
    forward.STEP, criteria.STEP, criteria.OPPORTUNITIES, criteria.PERSONAS, accounts.STEP, model.STEP, migration.STEP,
    tracking.STEP, deck.STEP,
)
