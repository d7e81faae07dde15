"""Random starts for mixture models, in two stages, on one or both cores.

Latent class and latent profile models are fitted by EM from random starting values, and
EM finds the local maximum nearest its start; so each model is fitted from several starts
and the one with the highest log-likelihood is kept. Following Mplus (``STARTS = n_init
n_final``) and Latent GOLD (random sets × iterations), the starts run in two stages:

1. every start runs at most ``init_iter`` EM iterations (most starts of a well-identified
   model converge within these);
2. the ``n_final`` best starts that have not converged yet (by default a quarter of the
   starts, at least 2, as Mplus keeps) are run on to convergence or ``max_iter``.

Latent class models run on the package's own EM (:mod:`._lca`: poLCA's random
response-probability starts, SQUAREM acceleration), and stage 2 continues a start from
the parameters where stage 1 left it. Latent profile models are StepMix fits with
``n_init=1``; stage 2 reruns the seed with the larger limit. Each start has its own seed, drawn from
``numpy.random.SeedSequence(random_state, spawn_key=(method, k))``: results do not depend
on ``n_jobs`` or on the order the starts run in. Jobs for all models of a grid are pooled,
so both cores stay busy across k.
"""

from __future__ import annotations

import logging
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score
from stepmix.emission.gaussian import GaussianDiagNan, GaussianSphericalNan
from stepmix.stepmix import StepMix
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from ._lca import fit_start as lca_fit_start, posteriors as lca_posteriors, random_start as lca_random_start

__all__ = ["MixtureProblem", "StartFit", "GridFit", "fit_mixtures", "seed_int", "show_progress", "variances",
           "default_n_final", "REPLICATION_TOL"]

#: Two starts reach the same maximum when their log-likelihoods differ by at most this, relative.
REPLICATION_TOL = 1e-4

logger = logging.getLogger(__name__)

METHOD_CODES = {"lca": 1, "lpa": 2, "kmeans": 3, "ward": 4}


def seed_int(random_state) -> int:
    """An int seed from ``random_state`` (int, numpy Generator or None = fresh entropy)."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**32 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**32 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, got {random_state}")
        return int(random_state)
    raise TypeError(f"random_state must be an int, a numpy Generator or None, got {type(random_state).__name__}")


def start_seeds(base: int, method: str, k: int, n: int) -> list[int]:
    """``n`` independent seeds for the starts of one (method, k); the first ``m`` of
    ``start_seeds(..., n)`` are those of ``start_seeds(..., m)`` (added starts extend the list)."""
    ss = np.random.SeedSequence(entropy=base, spawn_key=(METHOD_CODES.get(method, 0), int(k)))
    return [int(s) for s in ss.generate_state(n)]


def default_n_final(n_init: int, n_final=None) -> int:
    """Starts continued in stage 2: ``n_final``, or a quarter of the starts (at least 2), as Mplus."""
    if n_final is not None:
        return int(n_final)
    return max(2, int(np.ceil(n_init / 4)))


def show_progress(progress: bool) -> bool:
    """Progress bars only when asked for and when someone is watching a terminal."""
    return bool(progress) and sys.stderr is not None and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


@dataclass(frozen=True)
class MixtureProblem:
    """One mixture model to fit from several starts.

    ``X`` is in StepMix's layout (latent profiles) and ``lca`` the answers in the layout of
    :mod:`._lca` (latent classes); ``weights`` are normalised to mean 1 or None. ``var_floor`` marks a Gaussian start as degenerate when
    a class's variance on some variable falls below that share of the variable's variance.
    """

    key: tuple
    k: int
    measurement: str
    measurement_params: dict
    X: np.ndarray = field(repr=False)
    weights: np.ndarray | None = field(repr=False)
    seeds: tuple
    max_iter: int = 1000
    tol: float = 1e-8
    min_class_share: float = 0.0
    var_floor: float | None = None
    covariance: str | None = None
    lca: object = field(default=None, repr=False)


@dataclass
class StartFit:
    """One start's outcome."""

    start: int
    seed: int
    stage: int
    model: StepMix | None
    loglik: float
    converged: bool
    n_iter: int
    smallest_share: float
    status: str  # 'ok', 'degenerate', 'failed'
    reason: str = ""
    labels: np.ndarray | None = None
    ari: float = float("nan")
    theta: np.ndarray | None = None


@dataclass
class GridFit:
    """All starts of one problem and the chosen best."""

    problem: MixtureProblem
    starts: list
    best: StartFit | None
    replicated: int = 0
    n_final: int = 0
    agreement: float = float("nan")
    ll_gap: float = float("nan")
    ll_range: float = float("nan")


class VectorisedGaussianDiagNan(GaussianDiagNan):
    """StepMix's diagonal Gaussian model with missing values, with a vectorised E-step and
    ``reg_covar``.

    StepMix 3.0.0 computes each class's log-density in a loop that tiles the variances
    over all respondents; this computes the same sum over the observed variables,
    ``-1/2 Σ_d o_id [ln(2π σ²_cd) + (x_id - μ_cd)² / σ²_cd]``, as matrix products. The
    values are identical up to rounding (tests compare the two). ``reg_covar`` is added to
    the variances in the M-step, as scikit-learn does for complete data (0 = StepMix's model).
    """

    def __init__(self, reg_covar=0.0, **kwargs):
        super().__init__(**kwargs)
        self.reg_covar = reg_covar

    def _compute_cov(self, X, resp, resp_sums):
        return super()._compute_cov(X, resp, resp_sums) + self.reg_covar

    def log_likelihood(self, X):
        observed = ~np.isnan(X)
        o = observed.astype(float)
        xz = np.where(observed, X, 0.0)
        mu = np.asarray(self.parameters["means"], dtype=float)  # (k, d)
        var = np.asarray(self.parameters["covariances"], dtype=float)  # (k, d)
        prec = 1.0 / var
        quad = (xz**2) @ prec.T - 2.0 * xz @ (mu * prec).T + o @ (mu**2 * prec).T
        return -0.5 * (o @ np.log(2 * np.pi * var).T + quad)


class RegularisedGaussianSphericalNan(GaussianSphericalNan):
    """StepMix's spherical Gaussian model with missing values, with ``reg_covar`` added to
    the variances in the M-step (0 = StepMix's model)."""

    def __init__(self, reg_covar=0.0, **kwargs):
        super().__init__(**kwargs)
        self.reg_covar = reg_covar

    def _compute_cov(self, X, resp, resp_sums):
        return super()._compute_cov(X, resp, resp_sums) + self.reg_covar


def _stepmix(problem: MixtureProblem, seed: int, max_iter: int) -> StepMix:
    model = StepMix(
        n_components=problem.k,
        measurement=problem.measurement,
        measurement_params=dict(problem.measurement_params),
        n_init=1,
        max_iter=int(max_iter),
        abs_tol=problem.tol,
        rel_tol=0.0,
        random_state=seed,
        progress_bar=0,
        verbose=0,
    )
    # StepMix builds its measurement model only when it has none yet
    if problem.measurement == "gaussian_diag_nan":
        model._mm = VectorisedGaussianDiagNan(n_components=problem.k, random_state=None,
                                              **problem.measurement_params)
    elif problem.measurement == "gaussian_spherical_nan":
        model._mm = RegularisedGaussianSphericalNan(n_components=problem.k, random_state=None,
                                                    **problem.measurement_params)
    return model


def _fit_lca_start(problem: MixtureProblem, start: int, seed: int, max_iter: int, stage: int,
                   resume: StartFit | None = None) -> StartFit:
    data, k = problem.lca, problem.k
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            if resume is None:
                theta0, ll0, done = lca_random_start(data, k, np.random.default_rng(seed)), None, 0
            else:
                theta0, ll0, done = resume.theta, resume.loglik, resume.n_iter
            fit = lca_fit_start(data, k, theta0, max_iter=max(1, max_iter - done), tol=problem.tol)
            post = lca_posteriors(data, k, fit.theta)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
        return StartFit(start, seed, stage, None, float("nan"), False, 0, float("nan"), "failed", str(exc))
    shares = np.exp(fit.theta[:k])
    status, reason = "ok", ""
    if not np.isfinite(fit.loglik) or not np.all(np.isfinite(post)):
        status, reason = "degenerate", "the log-likelihood is not finite"
    elif shares.min() < problem.min_class_share:
        status, reason = "degenerate", (
            f"smallest class holds {shares.min():.1%}, below the minimum class share {problem.min_class_share:.1%}"
        )
    labels = post.argmax(axis=1).astype(np.int16) if status == "ok" else None
    return StartFit(start, seed, stage, None, float(fit.loglik), bool(fit.converged), done + int(fit.n_iter),
                    float(shares.min()), status, reason, labels, theta=fit.theta)


def _fit_start(problem: MixtureProblem, start: int, seed: int, max_iter: int, stage: int,
               resume: StartFit | None = None) -> StartFit:
    if problem.lca is not None:
        return _fit_lca_start(problem, start, seed, max_iter, stage, resume)
    model = _stepmix(problem, seed, max_iter)
    try:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            model.fit(problem.X, sample_weight=problem.weights)
            resp = model.predict_proba(problem.X)
            avg = model.score(problem.X, sample_weight=problem.weights)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
        return StartFit(start, seed, stage, None, float("nan"), False, 0, float("nan"), "failed", str(exc))
    n = len(problem.X) if problem.weights is None else float(problem.weights.sum())
    loglik = float(avg) * n
    shares = np.asarray(model.weights_, dtype=float)
    status, reason = "ok", ""
    if not np.isfinite(loglik) or not np.all(np.isfinite(resp)):
        status, reason = "degenerate", "the log-likelihood is not finite (a class collapsed onto a few points)"
    elif shares.min() < problem.min_class_share:
        status, reason = "degenerate", (
            f"smallest class holds {shares.min():.1%}, below the minimum class share {problem.min_class_share:.1%}"
        )
    elif problem.var_floor is not None:
        cov = np.asarray(model.get_parameters()["measurement"]["covariances"], dtype=float)
        var = variances(cov, problem.covariance, problem.k, problem.X.shape[1])
        total = np.nanvar(problem.X, axis=0)
        if np.any(var < problem.var_floor * np.where(total > 0, total, 1.0)):
            status, reason = "degenerate", "a class's variance collapsed to nearly zero on some variable"
    labels = resp.argmax(axis=1).astype(np.int16) if status == "ok" else None
    return StartFit(start, seed, stage, model, loglik, bool(model.converged_), int(getattr(model, "n_iter_", 0)),
                    float(shares.min()), status, reason, labels)


def variances(cov: np.ndarray, covariance: str | None, k: int, d: int) -> np.ndarray:
    """Per-class variances, shape (k or 1, d), from StepMix's covariance parameter."""
    if covariance == "full":  # (k, d, d)
        return np.stack([np.diag(c) for c in cov])
    if covariance == "tied":  # (d, d)
        return np.diag(cov)[None, :]
    if cov.ndim == 1:  # spherical without missing values: one variance per class
        return np.repeat(cov.reshape(-1, 1), d, axis=1)
    return cov  # diag, and the *_nan models: (k, d)


def _run(jobs, n_jobs: int, progress: bool, desc: str) -> list[StartFit]:
    """Run the starts; latent class starts in threads (numpy releases the GIL in the matrix
    products, and threads share the answers instead of copying them into worker processes),
    StepMix starts in joblib worker processes."""
    if not jobs:
        return []
    bar = tqdm(total=len(jobs), desc=desc, unit="start", disable=not show_progress(progress), leave=False)
    out: list = [None] * len(jobs)
    workers = 1 if n_jobs == 1 else int(effective_n_jobs(n_jobs))
    lca = [i for i, a in enumerate(jobs) if a[0].lca is not None]
    other = [i for i, a in enumerate(jobs) if a[0].lca is None]
    try:
        # one BLAS thread per start: these matrices are small, and threads fighting over two
        # cores (or with other processes) make EM several times slower
        with threadpool_limits(limits=1):
            if workers == 1 or len(lca) < 2:
                for i in lca:
                    out[i] = _fit_start(*jobs[i])
                    bar.update(1)
            else:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    futures = {pool.submit(_fit_start, *jobs[i]): i for i in lca}
                    for fut in as_completed(futures):
                        out[futures[fut]] = fut.result()
                        bar.update(1)
            if workers == 1:
                for i in other:
                    out[i] = _fit_start(*jobs[i])
                    bar.update(1)
        if workers > 1 and other:
            gen = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_fit_start)(*jobs[i]) for i in other)
            for i, res in zip(other, gen):
                out[i] = res
                bar.update(1)
    finally:
        bar.close()
    return out


def fit_mixtures(problems: list[MixtureProblem], *, init_iter: int = 50, n_final: int | None = None, n_jobs: int = 1,
                 progress: bool = True, replication_tol: float = REPLICATION_TOL,
                 previous: dict | None = None) -> list[GridFit]:
    """Fit every problem from its seeds (two stages, pooled across problems).

    Parameters
    ----------
    problems : list of MixtureProblem
    init_iter : int
        Iteration limit of stage 1; ``init_iter >= max_iter`` or ``n_final >= n_init`` runs
        every start to convergence in one stage.
    n_final : int or None
        Starts continued in stage 2 (None: a quarter of the starts, at least 2).
    n_jobs : int
        Worker processes (joblib); 1 runs in this process.
    progress : bool
        tqdm bar over the starts (only on a terminal).
    replication_tol : float
        Two starts reach the same maximum when their log-likelihoods differ by at most
        this, relative to the best (default 1e-4).
    previous : dict of key to list of StartFit, optional
        Starts already run for a problem (its first seeds): only the new seeds are run and
        the result covers all of them (used when starts are added).

    Returns
    -------
    list of GridFit, in the order of ``problems``.
    """
    previous = previous or {}

    def final_count(p):
        return default_n_final(len(p.seeds), n_final)

    def two_stage(p):
        return init_iter < p.max_iter and final_count(p) < len(p.seeds)

    stage1 = []
    for p in problems:
        limit = init_iter if two_stage(p) else p.max_iter
        done = len(previous.get(p.key, []))
        stage1 += [(p, i, s, limit, 1) for i, s in enumerate(p.seeds) if i >= done]
    results = _run(stage1, n_jobs, progress, "segment starts")
    by_problem: dict[int, list[StartFit]] = {id(p): list(previous.get(p.key, [])) for p in problems}
    for (p, *_), r in zip(stage1, results):
        by_problem[id(p)].append(r)

    stage2 = []
    for p in problems:
        if not two_stage(p):
            continue
        starts = by_problem[id(p)]
        done = len(previous.get(p.key, []))
        open_ = [s for s in starts[done:] if s.status == "ok" and not s.converged]
        open_.sort(key=lambda s: -s.loglik)
        want = default_n_final(len(p.seeds) - done, n_final) if done else final_count(p)
        stage2 += [(p, s.start, s.seed, p.max_iter, 2, s if p.lca is not None else None) for s in open_[:want]]
    results2 = _run(stage2, n_jobs, progress, "final starts")
    for (p, start, *_), r in zip(stage2, results2):
        by_problem[id(p)][start] = r

    out = []
    for p in problems:
        starts = by_problem[id(p)]
        final = [s for s in starts if s.status == "ok" and (s.converged or s.stage == 2 or not two_stage(p))]
        if not final:  # nothing finished: fall back on the best stopped start rather than nothing
            final = [s for s in starts if s.status == "ok"]
        if not final:
            out.append(GridFit(p, starts, None))
            continue
        best = max(final, key=lambda s: (s.loglik, -s.start))
        tol = replication_tol * abs(best.loglik) + 1e-9
        same = [s for s in final if abs(s.loglik - best.loglik) <= tol]
        rest = [s.loglik for s in final if abs(s.loglik - best.loglik) > tol]
        others = [s for s in final if s is not best and s.labels is not None]
        agreement = (float(np.mean([adjusted_rand_score(best.labels, s.labels) for s in others]))
                     if others else float("nan"))
        for s in starts:
            if s.labels is not None and s is not best:
                s.ari = adjusted_rand_score(best.labels, s.labels)
        out.append(GridFit(p, starts, best, len(same), len(final), agreement,
                           ll_gap=float(best.loglik - max(rest)) if rest else float("nan"),
                           ll_range=float(best.loglik - min(s.loglik for s in final))))
    return out
