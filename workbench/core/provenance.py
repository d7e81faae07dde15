"""Provenance written once (issue 23): when, with which software, from which seed.

- :func:`utc_now` — the one time stamp of manifests, model files, results and locks;
- :func:`package_versions` — the one collector of package versions (a manifest records
  :data:`PACKAGES`; a result or a model file asks for the few it depends on);
- :func:`check_random_state` / :func:`seed_int` — the one seed normaliser, as scikit-learn's
  ``check_random_state``: ``None`` (fresh entropy), an int in ``[0, SEED_MAX]``, or a numpy
  ``Generator`` / ``RandomState`` (one number is drawn from it).  The study schema enforces the
  same bounds on ``seed:`` (:data:`SEED_MAX`), so a seed ``validate`` accepts is one every
  estimator accepts.

It imports only the standard library, numpy and :mod:`workbench.core.errors`.
"""

from __future__ import annotations

import datetime as _dt
import platform
from importlib import metadata

import numpy as np

from .errors import AnalysisError

__all__ = ["utc_now", "package_versions", "PACKAGES", "SEED_MAX", "SEED_RULE", "seed_problem", "seed_int",
           "check_random_state"]

#: What a run's manifest records.
PACKAGES = (
    "jtbd-workbench", "numpy", "pandas", "scipy", "scikit-learn", "factor-analyzer",
    "statsmodels", "python-pptx", "pyreadstat", "openpyxl", "duckdb",
    "pydantic", "ruamel.yaml",
)

#: The largest seed (numpy's legacy ``RandomState`` and scikit-learn accept 0 .. 2**32 - 1).
SEED_MAX = 2**32 - 1
SEED_RULE = f"a whole number from 0 to {SEED_MAX:,} (2**32 - 1)"


def utc_now() -> str:
    """The current UTC time as ISO 8601 to the second (``2026-03-31T09:12:00+00:00``)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def package_versions(names=PACKAGES, *, python: bool = True) -> dict[str, str]:
    """``{package: version}`` for ``names`` (``"not installed"`` for a missing one), with the
    Python version first when ``python``."""
    out = {"python": platform.python_version()} if python else {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def seed_problem(value) -> str | None:
    """Why ``value`` is not a usable int seed (None when it is)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return f"the seed {value!r} is not {SEED_RULE}"
    if not 0 <= int(value) <= SEED_MAX:
        return f"the seed {int(value)} is out of range: use {SEED_RULE}"
    return None


def seed_int(random_state, *, none: str = "draw") -> int | None:
    """An int seed in ``[0, SEED_MAX]`` from ``random_state``.

    Parameters
    ----------
    random_state : None, int, numpy Generator or RandomState
        An int is checked and returned; a generator gives one draw (so two calls give two
        seeds); None gives fresh entropy (``none='draw'``) or stays None (``none='keep'``,
        for estimators whose own default is wanted).

    Raises
    ------
    AnalysisError
        A negative or too large int, or another type.
    """
    if random_state is None:
        return None if none == "keep" else int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(SEED_MAX))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(SEED_MAX))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if problem := seed_problem(random_state):
            raise AnalysisError(f"random_state: {problem}")
        return int(random_state)
    raise AnalysisError(f"random_state must be None, an int or a numpy Generator, not {type(random_state).__name__}")


def check_random_state(random_state) -> np.random.Generator:
    """A numpy ``Generator`` from ``random_state`` (a Generator is returned as it is)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    return np.random.default_rng(seed_int(random_state))
