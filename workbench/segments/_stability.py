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

Latent class and latent profile refits start from the full-sample solution (a warm start)
and from ``n_init - 1`` random starts (:func:`_warm_refit`); the refit keeps the start with the
highest log-likelihood on the resample. The full-sample solution is the best of the full
search (50 or more random starts, for profiles also the hierarchical and k-means++ starts):
a refit from a few random starts alone stops in poorer local maxima the full search would
not keep, so its ARI measured the weakness of a three-start search besides the sampling
variation; from the warm start the refit finds at least the resample's maximum near the
full-sample one, and a random start that climbs higher on the resample still wins (so a
different solution *can* be found). The random starts run ``init_iter`` EM iterations first;
one is continued to convergence only when it is already above the warm start's maximum.
The profiles' deterministic starts (two Ward trees of up to 4,000 respondents each, most of
a refit's time) are not run: the warm start stands in for them. K-means and Ward refits run
as the full fit does.

As a rule of thumb ARI above 0.8 is a stable partition, 0.65-0.8 moderately stable and
below 0.65 unstable (Steinley 2004's guidance for the ARI).
"""

from __future__ import annotations

import copy
import dataclasses
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
from ..core.progress import bar as progress_bar

from ..core.errors import AnalysisError, WorkbenchWarning
from ..core.summary import Summarised, Summary, SummaryTable
from ._data import as_numeric_frame
from ._engine import seed_int, show_progress
from ._gmm import (
    GaussianData,
    fit_start as gmm_fit_start,
    posteriors as gmm_posteriors,
    random_start as gmm_random_start,
    singular_profiles as gmm_singular_profiles,
)
from ._lca import fit_start as lca_fit_start, random_start as lca_random_start

__all__ = ["Stability", "stability", "stability_of_many", "KINDS"]

logger = logging.getLogger(__name__)

KINDS = ("bootstrap", "split-half")
#: Refits are fitted on at most this many respondents (see the module notes).
MAX_REFIT_N = 5000


@dataclass(frozen=True, eq=False)
class Stability(Summarised):
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

    def summarise(self) -> Summary:
        """The headline (mean, median and 5th percentile ARI) and the one-row table."""
        return Summary(f"Stability of {self.candidate}", [
            f"{self.kind} stability of {self.candidate}: mean ARI {self.mean:.3f} (median {self.median:.3f}, "
            f"5th percentile {self.p05:.3f}) over {len(self.ok)} refits"], [SummaryTable(self.summary())])


def _mask_unseen(est, frame: pd.DataFrame) -> pd.DataFrame:
    """Answer codes a resample happened not to contain carry no information for its model:
    classify the full sample on the other answers."""
    cats = getattr(est, "categories_", None)
    if not cats:
        return frame
    return frame.apply(lambda col: col.where(col.isin(cats[col.name]) | col.isna()) if col.name in cats else col)


def _warm_refit(model, sample: pd.DataFrame, w, seed: int, n_random: int):
    """A latent class / profile model refitted on ``sample`` from the full-sample solution
    ``model`` (warm start) and ``n_random`` random starts (see the module notes); a copy of
    ``model`` with the refitted parameters (its ``predict`` classifies the full sample).

    Raises
    ------
    AnalysisError
        No start gave an admissible solution (finite log-likelihood, every class at least
        ``min_class_share``, no singular profile).
    """
    k, rng = int(model.n_classes_), np.random.default_rng(seed)
    wn = None if w is None else np.asarray(w, dtype=float) * (len(w) / float(np.sum(w)))
    init_iter, max_iter, tol = int(model.init_iter), int(model.max_iter), float(model.tol)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if hasattr(model, "theta_"):  # latent classes: the full model's coding of the answers
            data = model._data(sample)
            if wn is not None:
                data = dataclasses.replace(data, weights=wn, weighted=True)
            warm = model.theta_

            def run(theta, iters):
                f = lca_fit_start(data, k, theta, max_iter=iters, tol=tol)
                return f, f.theta, np.exp(f.theta[:k]), ""

            def random():
                return lca_random_start(data, k, rng)
        else:  # latent profiles
            data = GaussianData.build(sample.to_numpy(dtype=float), model.covariance, float(model.reg_covar), wn,
                                      prior=model.prior)
            warm = model.params_

            def run(params, iters):
                f = gmm_fit_start(data, params, max_iter=iters, tol=tol)
                post = gmm_posteriors(data, f.params)
                return f, f.params, np.asarray(f.params["shares"], dtype=float), \
                    gmm_singular_profiles(data, f.params, post)

            def random():
                return gmm_random_start(data, k, int(rng.integers(2**32 - 1)))

        def admissible(res) -> bool:
            f, _, shares, singular = res
            return bool(np.isfinite(f.loglik) and shares.min() >= model.min_class_share and not singular)

        best = run(warm, max_iter)
        best = best if admissible(best) else None
        for _ in range(int(n_random)):
            short = run(random(), init_iter)  # the engine's first stage
            if not admissible(short) or (best is not None and short[0].loglik <= best[0].loglik):
                continue
            done = short if short[0].converged else run(short[1], max(1, max_iter - short[0].n_iter))
            if admissible(done) and (best is None or done[0].loglik > best[0].loglik):
                best = done
    if best is None:
        raise AnalysisError(f"no start of the {k}-class refit gave an admissible solution")
    est = copy.copy(model)
    if hasattr(model, "theta_"):
        est.theta_ = best[1]
    else:
        est.params_ = best[1]
    return est


def _refit(template, frame: pd.DataFrame, weights, rows: np.ndarray, seed: int, full_labels: pd.Series,
           rep: int, half, warm=None) -> dict:
    sample = frame.iloc[rows].reset_index(drop=True)
    w = None if weights is None else weights[rows]
    out = {"rep": rep, "half": half, "n_fit": len(rows)}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", WorkbenchWarning)
            if warm is not None:
                est = _warm_refit(warm, sample, w, seed, template.get_params()["n_init"] - 1)
            else:
                est = clone(template)
                params = {k: v for k, v in dict(random_state=seed, progress=False, n_jobs=1).items()
                          if k in est.get_params()}
                est.set_params(**params)
                if "sample_weight" in inspect.signature(est.fit).parameters:
                    est.fit(sample, sample_weight=w)
                else:
                    est.fit(sample)
        pred = est.predict(frame if warm is not None else _mask_unseen(est, frame))
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
        Starts per refit (fewer than the full fit: each refit is a check, not a search for
        the best solution). Latent class / profile refits: the full-sample solution and
        ``n_init - 1`` random starts; k-means: ``n_init`` random starts.
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


#: Fitted attributes a warm refit does not use (left out of the model sent to the workers).
_NOT_SENT = ("posteriors_", "labels_", "starts_", "bivariate_residuals_", "sample_weight_", "excluded_")


def _plan(solution, data, n_reps, kind, n_init, base) -> list[tuple]:
    """The refit tasks of one solution: (template, basis, weights, rows, seed, labels, rep, half, warm)."""
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
    # latent classes / profiles: refits warm-started from the full-sample solution (module notes)
    warm = None
    if hasattr(solution.model, "theta_") or hasattr(solution.model, "params_"):
        # what a refit and its predict need, without the per-respondent tables that every task
        # would otherwise carry to its worker (20,000 posteriors, labels, weights)
        warm = copy.copy(solution.model)
        for name in _NOT_SENT:
            warm.__dict__.pop(name, None)
    rng = np.random.default_rng(np.random.SeedSequence(base, spawn_key=(7, solution.k)))
    n = len(used)
    m = min(n, MAX_REFIT_N)  # the m-out-of-n bootstrap above MAX_REFIT_N (identical draws below it)
    tasks = []
    for r in range(n_reps):
        seed = int(rng.integers(2**32 - 1))
        if kind == "bootstrap":
            tasks.append((template, used, weights, np.sort(rng.integers(0, n, size=m)), seed, full, r + 1, None, warm))
        else:
            perm = rng.permutation(n)
            half = min(n // 2, m)
            tasks.append((template, used, weights, np.sort(perm[:half]), seed, full, r + 1, "A", warm))
            tasks.append((template, used, weights, np.sort(perm[half:2 * half] if half < n // 2 else perm[half:]),
                          seed ^ 0x5A5A5A5A, full, r + 1, "B", warm))
    return tasks
