"""Stability of a segmentation: refit on resampled respondents, compare classifications.

A segmentation worth acting on does not hinge on who happened to be interviewed. Each
replicate refits the same method and k on a resample of the respondents (from fresh
random starts, so a different solution *can* be found), classifies the full sample with
the refitted model, and compares that classification with the full-sample one by the
adjusted Rand index (ARI; Hubert & Arabie 1985: 1 = identical partitions, 0 = chance
agreement; label numbering does not matter).

``bootstrap``
    Respondents drawn with replacement, n of n (weights travel with the respondent).
``split-half``
    The sample split at random into two halves; each half is fitted and both are
    compared with the full-sample solution (two rows per replicate).

Above :data:`MAX_REFIT_N` respondents (5,000) each refit is fitted on a resample of that many
(bootstrap: drawn with replacement; split-half: two disjoint halves of at most that many): the
m-out-of-n bootstrap (Bickel, Götze & van Zwet 1997), so the refits of a 20,000-respondent
wave cost what they cost at 5,000 instead of growing with the sample. The full sample is still
classified by every refit. The ARI is then the stability of a 5,000-respondent fit, a cautious
(lower) figure for the larger sample; at or below 5,000 respondents nothing changes.

As a rule of thumb ARI above 0.8 is a stable partition, 0.65-0.8 moderately stable and
below 0.65 unstable (Steinley 2004's guidance for the ARI).
"""

from __future__ import annotations

import inspect
import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits
from ..progress import bar as progress_bar

from ..errors import AnalysisError, WorkbenchWarning
from ._data import as_numeric_frame
from ._engine import seed_int, show_progress

__all__ = ["Stability", "stability", "stability_of_many", "KINDS"]

logger = logging.getLogger(__name__)

KINDS = ("bootstrap", "split-half")
#: Refits are fitted on at most this many respondents (see the module notes).
MAX_REFIT_N = 5000


@dataclass(frozen=True, eq=False)
class Stability:
    """Refit agreement of one candidate.

    Attributes
    ----------
    candidate : str
    kind : {'bootstrap', 'split-half'}
    reps : DataFrame
        One row per refit: ``rep``, ``half`` (split-half), ``n_fit``, ``ari`` with the
        full-sample classification, ``status`` and ``note``.
    random_state : int
    """

    candidate: str
    kind: str
    reps: pd.DataFrame = field(repr=False)
    random_state: int | None = None

    @property
    def ok(self) -> pd.Series:
        return self.reps.loc[self.reps["status"] == "ok", "ari"]

    @property
    def mean(self) -> float:
        """Mean ARI over the successful refits."""
        return float(self.ok.mean()) if len(self.ok) else float("nan")

    @property
    def median(self) -> float:
        return float(self.ok.median()) if len(self.ok) else float("nan")

    @property
    def p05(self) -> float:
        """5th percentile of the ARI (a pessimistic stability)."""
        return float(self.ok.quantile(0.05)) if len(self.ok) else float("nan")

    @property
    def n_failed(self) -> int:
        return int((self.reps["status"] != "ok").sum())

    def summary(self) -> pd.DataFrame:
        """Mean, median, 5th percentile and number of refits, in one row."""
        return pd.DataFrame([{
            "candidate": self.candidate, "kind": self.kind, "refits": int(len(self.reps)),
            "failed": self.n_failed, "ari_mean": self.mean, "ari_median": self.median, "ari_p05": self.p05,
        }]).set_index("candidate")

    def __str__(self) -> str:
        return (f"{self.kind} stability of {self.candidate}: mean ARI {self.mean:.3f} (median {self.median:.3f}, "
                f"5th percentile {self.p05:.3f}) over {len(self.ok)} refits")

    def _repr_html_(self) -> str:
        return self.summary().to_html(float_format=lambda v: f"{v:.3f}")


def _mask_unseen(est, frame: pd.DataFrame) -> pd.DataFrame:
    """Answer codes a resample happened not to contain carry no information for its model:
    classify the full sample on the other answers."""
    cats = getattr(est, "categories_", None)
    if not cats:
        return frame
    return frame.apply(lambda col: col.where(col.isin(cats[col.name]) | col.isna()) if col.name in cats else col)


def _refit(template, frame: pd.DataFrame, weights, rows: np.ndarray, seed: int, full_labels: pd.Series,
           rep: int, half) -> dict:
    est = clone(template)
    params = {k: v for k, v in dict(random_state=seed, progress=False, n_jobs=1).items() if k in est.get_params()}
    est.set_params(**params)
    sample = frame.iloc[rows].reset_index(drop=True)
    w = None if weights is None else weights[rows]
    out = {"rep": rep, "half": half, "n_fit": len(rows)}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", WorkbenchWarning)
            if "sample_weight" in inspect.signature(est.fit).parameters:
                est.fit(sample, sample_weight=w)
            else:
                est.fit(sample)
        pred = est.predict(_mask_unseen(est, frame))
    except AnalysisError as exc:
        return {**out, "ari": float("nan"), "status": "failed", "note": str(exc)[:300]}
    ok = full_labels.notna() & pred.notna()
    ari = adjusted_rand_score(full_labels[ok].astype(int), pred[ok].astype(int))
    note = "; ".join(sorted({str(w.message).split(";")[0] for w in caught}))[:300]
    return {**out, "ari": float(ari), "status": "ok", "note": note}


def stability(solution, data, *, n_reps: int = 20, kind: str = "bootstrap", n_init: int = 3, random_state=None,
              n_jobs: int = 1, progress: bool = True) -> Stability:
    """Bootstrap or split-half stability of one fitted segmentation.

    Parameters
    ----------
    solution : Segmentation
        The full-sample solution (its estimator settings are reused).
    data : DataFrame
        The basis it was fitted on (same respondents and columns).
    n_reps : int, default=20
        Bootstrap samples, or random splits (each giving two refits).
    kind : {'bootstrap', 'split-half'}, default='bootstrap'
    n_init : int, default=3
        Random starts per refit (fewer than the full fit: each refit is a check, not a
        search for the best solution).
    random_state : int, numpy Generator or None
    n_jobs : int, default=1
    progress : bool, default=True

    Returns
    -------
    Stability

    Raises
    ------
    AnalysisError
        Unknown kind, too few replicates, or data that do not match the solution.
    """
    [out] = stability_of_many([(solution, data)], n_reps=n_reps, kind=kind, n_init=n_init,
                              random_state=random_state, n_jobs=n_jobs, progress=progress)
    return out


def stability_of_many(items, *, n_reps: int = 20, kind: str = "bootstrap", n_init: int = 3, random_state=None,
                      n_jobs: int = 1, progress: bool = True) -> list[Stability]:
    """:func:`stability` of several solutions, their refits pooled over the workers.

    Parameters
    ----------
    items : list of (Segmentation, DataFrame)
        Each solution with the basis it was fitted on.

    Returns
    -------
    list of Stability, in the order of ``items``.
    """
    if kind not in KINDS:
        raise AnalysisError(f"unknown stability kind {kind!r}; expected one of {', '.join(KINDS)}")
    if isinstance(n_reps, bool) or not isinstance(n_reps, (int, np.integer)) or n_reps < 1:
        raise AnalysisError(f"n_reps must be a whole number of at least 1, got {n_reps!r}")
    base = seed_int(random_state)
    tasks, owners = [], []
    for i, (solution, data) in enumerate(items):
        for task in _plan(solution, data, n_reps, kind, n_init, base):
            tasks.append(task)
            owners.append(i)
    bar = progress_bar(total=len(tasks), desc="stability refits", unit="refit", enabled=show_progress(progress))
    rows = []
    try:
        if n_jobs == 1:
            with threadpool_limits(limits=1):
                for task in tasks:
                    rows.append(_refit(*task))
                    bar.update(1)
        else:
            for res in Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_refit)(*t) for t in tasks):
                rows.append(res)
                bar.update(1)
    finally:
        bar.close()
    out = []
    for i, (solution, _) in enumerate(items):
        mine = [r for r, o in zip(rows, owners) if o == i]
        reps = pd.DataFrame(mine, columns=["rep", "half", "n_fit", "ari", "status", "note"])
        if kind == "bootstrap":
            reps = reps.drop(columns="half")
        out.append(Stability(candidate=solution.name, kind=kind, reps=reps, random_state=base))
    return out


def _plan(solution, data, n_reps, kind, n_init, base) -> list[tuple]:
    """The refit tasks of one solution: (template, basis, weights, rows, seed, labels, rep, half)."""
    frame = as_numeric_frame(data, "basis")
    full = solution.labels.reindex(frame.index)
    if full.notna().sum() == 0:
        raise AnalysisError(f"the data's respondents are not those {solution.name} was fitted on")
    used = frame.loc[full.notna()]
    full = full.loc[used.index]
    weights = None
    if solution.weights is not None:
        weights = pd.Series(solution.weights, index=solution.posteriors.index).reindex(used.index).to_numpy()
    template = clone(solution.model)
    if "n_init" in template.get_params():
        template.set_params(n_init=int(n_init))
    if "n_final" in template.get_params():  # a refit checks, it does not hunt for the best solution
        template.set_params(n_final=1)
    if "max_starts" in template.get_params():  # ... nor adds starts
        template.set_params(max_starts=int(n_init))
    rng = np.random.default_rng(np.random.SeedSequence(base, spawn_key=(7, solution.k)))
    n = len(used)
    m = min(n, MAX_REFIT_N)  # the m-out-of-n bootstrap above MAX_REFIT_N (identical draws below it)
    tasks = []
    for r in range(n_reps):
        seed = int(rng.integers(2**32 - 1))
        if kind == "bootstrap":
            tasks.append((template, used, weights, np.sort(rng.integers(0, n, size=m)), seed, full, r + 1, None))
        else:
            perm = rng.permutation(n)
            half = min(n // 2, m)
            tasks.append((template, used, weights, np.sort(perm[:half]), seed, full, r + 1, "A"))
            tasks.append((template, used, weights, np.sort(perm[half:2 * half] if half < n // 2 else perm[half:]),
                          seed ^ 0x5A5A5A5A, full, r + 1, "B"))
    return tasks
