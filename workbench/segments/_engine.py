"""Random starts for mixture models, in two stages, on one or both cores.

Latent class and latent profile models are fitted by EM from random starting values, and
EM finds the local maximum nearest its start; so each model is fitted from several starts
and the one with the highest log-likelihood is kept. Following Mplus (``STARTS = n_init
n_final``) and Latent GOLD (random sets × iterations), the starts run in two stages:

1. every start runs at most ``init_iter`` EM iterations (most starts of a well-identified
   model converge within these);
2. the ``n_final`` best starts that have not converged yet (by default a quarter of the
   starts, at least 2, as Mplus keeps) are run on to convergence or ``max_iter``.

Both kinds of model run on the package's one EM core (:func:`._em.run`, one convergence
rule) with their family's E- and M-step: latent classes on :mod:`._lca` (poLCA's random
response-probability starts, SQUAREM acceleration), latent profiles on :mod:`._gmm` (StepMix's
random responsibilities, plain EM: the same iterations as StepMix). A latent class or profile
problem of more than :data:`STAGE1_MAX_N` respondents runs its random starts' stage 1 on a fixed
subsample of that many, and its continued starts climb to convergence there before they are
polished on everyone (latent profiles' deterministic starts run on everyone throughout).
Stage 2 continues a start from the parameters where stage 1 left it. The joint models
(multilevel latent classes, latent transitions) run the same two stages on one problem each
(:func:`fit_joint`). No StepMix object is
built here (StepMix is the reference in the tests). Each start has its own seed, drawn from
``numpy.random.SeedSequence(random_state, spawn_key=(method, k))``: results do not depend
on ``n_jobs`` or on the order the starts run in. Jobs for all models of a grid are pooled,
so both cores stay busy across k.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np
from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits

from ..core.errors import AnalysisError
from ..core.progress import bar as progress_bar
from ..core.provenance import seed_int
from ._ari import adjusted_rand_score
from ._data import SegmentationConvergenceWarning
from ._em import run as run_em
from ._gmm import (
    deterministic_start as gmm_deterministic_start,
    duplicate_profiles as gmm_duplicate_profiles,
    fit_start as gmm_fit_start,
    hard_start as gmm_hard_start,
    posteriors as gmm_posteriors,
    random_start as gmm_random_start,
    singular_profiles as gmm_singular_profiles,
    split_partitions as gmm_split_partitions,
    variances as gmm_variances,
)
from ._lca import fit_start as lca_fit_start, posteriors as lca_posteriors, random_start as lca_random_start

__all__ = ["MixtureProblem", "StartFit", "GridFit", "fit_mixtures", "add_starts", "seed_int", "show_progress",
           "default_n_final", "summarise", "REPLICATION_TOL", "REPLICATION_ARI", "STAGE1_MAX_N", "JointStart",
           "fit_joint"]

#: Two starts reach the same maximum when their log-likelihoods differ by at most this many
#: log-likelihood units (absolute, whatever the sample size: a relative 1e-4 was 0.27 units at
#: n = 1,202 and counted a different classification 0.23 below as the same maximum; 0.01 is
#: poLCA's printed precision, and starts that converged to one maximum under the EM tolerance
#: still differ by up to ~0.003 on gss82) ...
REPLICATION_TOL = 0.01
#: ... and they classify the respondents alike: adjusted Rand index with the best at least this.
REPLICATION_ARI = 0.99

logger = logging.getLogger(__name__)

METHOD_CODES = {"lca": 1, "lpa": 2, "kmeans": 3, "ward": 4}


def start_seeds(base: int, method: str, k: int, n: int) -> list[int]:
    """``n`` independent seeds for the starts of one (method, k); the first ``m`` of
    ``start_seeds(..., n)`` are those of ``start_seeds(..., m)`` (added starts extend the list)."""
    ss = np.random.SeedSequence(entropy=base, spawn_key=(METHOD_CODES.get(method, 0), int(k)))
    return [int(s) for s in ss.generate_state(n)]


#: Latent class and profile problems with more respondents than this run stage 1 (the many short random starts) on
#: a fixed random subsample of this many respondents; the ``n_final`` best starts are then
#: continued on every respondent to convergence. Stage 1 only ranks the starts, and a ranking
#: after ``init_iter`` iterations does not need every respondent, while it costs in proportion
#: to them (a 20,000-respondent wave paid four times the work for the same ranking). The same
#: bound as the stability refits' (``_stability.MAX_REFIT_N``); at or below it nothing changes.
STAGE1_MAX_N = 5000


def stage1_data(data):
    """The data of stage 1 (latent classes' :class:`._lca.LCAData` or latent profiles'
    :class:`._gmm.GaussianData`): ``data`` itself, or its fixed subsample of
    :data:`STAGE1_MAX_N` respondents (the same rows for every k and start; weights kept)."""
    if data.n <= STAGE1_MAX_N:
        return data
    cached = data.__dict__.get("_stage1")
    if cached is None:
        rows = np.sort(np.random.default_rng(20_000).choice(data.n, STAGE1_MAX_N, replace=False))
        rows_of = {"Y": data.Y[rows]} if hasattr(data, "Y") else {"X": data.X[rows]}
        cached = dataclasses.replace(data, weights=data.weights[rows], **rows_of)
        object.__setattr__(data, "_stage1", cached)
    return cached


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where ``tqdm.auto`` draws a widget bar)."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and getattr(shell, "kernel", None) is not None


def default_n_final(n_init: int, n_final=None) -> int:
    """Starts continued in stage 2: ``n_final``, or a quarter of the starts (at least 2), as Mplus."""
    if n_final is not None:
        return int(n_final)
    return max(2, int(np.ceil(n_init / 4)))


def show_progress(progress: bool) -> bool:
    """Progress bars only when asked for and when someone is watching: a terminal or a notebook."""
    if not progress:
        return False
    return in_notebook() or (sys.stderr is not None and hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


@dataclass(frozen=True)
class MixtureProblem:
    """One mixture model to fit from several starts.

    ``lca`` holds the answers in the layout of :mod:`._lca` (latent classes), ``gauss`` the
    scores in the layout of :mod:`._gmm` (latent profiles; its weights are the problem's);
    ``weights`` are normalised to mean 1 or None. ``var_floor`` marks a Gaussian start as
    degenerate when a class's variance on some variable falls below that share of the
    variable's variance.
    """

    key: tuple
    k: int
    measurement: str
    weights: np.ndarray | None = field(repr=False)
    seeds: tuple
    max_iter: int = 1000
    tol: float = 1e-8
    min_class_share: float = 0.0
    var_floor: float | None = None
    covariance: str | None = None
    lca: object = field(default=None, repr=False)
    gauss: object = field(default=None, repr=False)
    #: deterministic starts run beside the random seeds (latent profiles: ``_gmm.DETERMINISTIC_STARTS``),
    #: always continued to convergence
    deterministic: tuple = ()


@dataclass
class StartFit:
    """One start's outcome."""

    start: int
    seed: int
    stage: int
    params: dict | None  # latent profiles: shares, means, covariances (see ._gmm)
    loglik: float
    converged: bool
    n_iter: int
    smallest_share: float
    status: str  # 'ok', 'degenerate', 'failed'
    reason: str = ""
    labels: np.ndarray | None = None
    ari: float = float("nan")
    theta: np.ndarray | None = None
    last_mean: float = -np.inf  # latent profiles: mean log-likelihood of the last E-step (to continue)
    init: str = "random"  # 'random', a deterministic start's name, or 'split' (a saddle broken)
    reaches_best: bool = False  # finished, within REPLICATION_TOL of the best and ARI >= REPLICATION_ARI
    #: stage 1 ran on the subsample of a large problem (see STAGE1_MAX_N): the
    #: log-likelihood is the subsample's, and the start is finished only if stage 2 continued it
    subsample: bool = False


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


def _on_subsample(problem: MixtureProblem, data, max_iter: int, stage: int, climb: bool) -> bool:
    """Does this run of a start use the subsample? Stage 1's short runs of a large problem, and
    stage 2's climb (``climb``): a continued start first climbs to convergence on the
    subsample (a quarter of the work per iteration at 20,000), then is polished on everyone
    from there, which needs a few iterations instead of the whole climb."""
    return (climb or (stage == 1 and max_iter < problem.max_iter)) and stage1_data(data) is not data


def _budget(max_iter: int, done: int, climb: bool) -> int:
    """Iterations this run of a start may take: what is left of ``max_iter`` after the ``done``
    ones, half of it for the climb on the subsample (the polish on everyone keeps the rest)."""
    return max(1, (max_iter - done) // 2 if climb else max_iter - done)


def _fit_lca_start(problem: MixtureProblem, start: int, seed: int, max_iter: int, stage: int,
                   resume: StartFit | None = None, climb: bool = False) -> StartFit:
    data, k = problem.lca, problem.k
    sub = _on_subsample(problem, data, max_iter, stage, climb)
    if sub:
        data = stage1_data(data)
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            if resume is None:
                theta0, last, done = lca_random_start(data, k, np.random.default_rng(seed)), -np.inf, 0
            else:
                theta0, done, last = resume.theta, resume.n_iter, resume.last_mean
                if resume.subsample and not sub:  # on everyone now: its first iteration judged afresh
                    last = -np.inf
            fit = lca_fit_start(data, k, theta0, max_iter=_budget(max_iter, done, climb), tol=problem.tol,
                                last_mean=last)
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
    labels = post.argmax(axis=1).astype(np.int16) if status == "ok" and not sub else None
    if sub and status == "ok":
        reason = f"stage {stage} on a subsample of {data.n:,} respondents (its log-likelihood)"
    return StartFit(start, seed, stage, None, float(fit.loglik), bool(fit.converged), done + int(fit.n_iter),
                    float(shares.min()), status, reason, labels, theta=fit.theta, last_mean=float(fit.last_mean),
                    subsample=sub)


def _fit_lpa_start(problem: MixtureProblem, start: int, seed, max_iter: int, stage: int,
                   resume: StartFit | None = None, climb: bool = False) -> StartFit:
    """One latent profile start: ``seed`` an int (random responsibilities), the name of a
    deterministic start (:data:`._gmm.DETERMINISTIC_STARTS`) or a hard partition (an array:
    a symmetric saddle split, see :func:`_break_saddles`)."""
    data, k = problem.gauss, problem.k
    init = "random"
    if isinstance(seed, str):
        init = seed
    elif isinstance(seed, np.ndarray):
        init = "split"
    if resume is not None:
        init = resume.init
    shown_seed = int(seed) if init == "random" else None
    # as latent classes: random starts of a large problem run on the subsample until polished
    sub = init == "random" and _on_subsample(problem, data, max_iter, stage, climb)
    if sub:
        data = stage1_data(data)
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            if resume is not None:
                params0, last, done = resume.params, resume.last_mean, resume.n_iter
                if resume.subsample and not sub:  # on everyone now: its first iteration judged afresh
                    last = -np.inf
            elif init == "random":
                params0, last, done = gmm_random_start(data, k, seed), -np.inf, 0
            elif init == "split":
                params0, last, done = gmm_hard_start(data, seed, k), -np.inf, 0
            else:
                params0, last, done = gmm_deterministic_start(data, k, seed), -np.inf, 0
            fit = gmm_fit_start(data, params0, max_iter=_budget(max_iter, done, climb), tol=problem.tol,
                                last_mean=last)
            post = gmm_posteriors(data, fit.params)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
        return StartFit(start, shown_seed, stage, None, float("nan"), False, 0, float("nan"), "failed",
                        f"a profile's covariance is not positive definite ({exc})", init=init)
    shares = np.asarray(fit.params["shares"], dtype=float)
    status, reason = "ok", ""
    if not np.isfinite(fit.loglik) or not np.all(np.isfinite(post)):
        status, reason = "degenerate", "the log-likelihood is not finite (a class collapsed onto a few points)"
    elif shares.min() < problem.min_class_share:
        status, reason = "degenerate", (
            f"smallest class holds {shares.min():.1%}, below the minimum class share {problem.min_class_share:.1%}"
        )
    else:
        singular = gmm_singular_profiles(data, fit.params, post)
        if singular:
            status, reason = "degenerate", singular
        elif problem.var_floor is not None:
            var = gmm_variances(fit.params, data.covariance, data.d)
            total = np.nanvar(data.X, axis=0)
            if np.any(var < problem.var_floor * np.where(total > 0, total, 1.0)):
                status, reason = "degenerate", "a class's variance collapsed to nearly zero on some variable"
    labels = post.argmax(axis=1).astype(np.int16) if status == "ok" and not sub else None
    if sub and status == "ok":
        reason = f"stage {stage} on a subsample of {data.n:,} respondents (its log-likelihood)"
    return StartFit(start, shown_seed, stage, fit.params, float(fit.loglik), bool(fit.converged), done + int(fit.n_iter),
                    float(shares.min()), status, reason, labels, last_mean=float(fit.last_mean), init=init,
                    subsample=sub)


def _fit_start(problem: MixtureProblem, start: int, seed: int, max_iter: int, stage: int,
               resume: StartFit | None = None, climb: bool = False) -> StartFit:
    if problem.lca is not None:
        return _fit_lca_start(problem, start, seed, max_iter, stage, resume, climb)
    return _fit_lpa_start(problem, start, seed, max_iter, stage, resume, climb)


def _subsample_labels(problem: MixtureProblem, fit: StartFit) -> np.ndarray:
    """A start's classification of the subsample, at the parameters where it stopped there."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if problem.lca is not None:
            return lca_posteriors(stage1_data(problem.lca), problem.k, fit.theta).argmax(axis=1)
        return gmm_posteriors(stage1_data(problem.gauss), fit.params).argmax(axis=1)


def _continue(jobs, n_jobs: int, progress: bool, replication_tol: float = REPLICATION_TOL) -> list[StartFit]:
    """Stage 2: every job continued to convergence; the results in the jobs' order.

    A start that ran stage 1 on the subsample climbs to convergence there first. Starts that
    reach the same maximum of the subsample (log-likelihoods within ``replication_tol``,
    classifications of the subsample with adjusted Rand index at least :data:`REPLICATION_ARI`)
    are then polished on everyone once, from the best of them: the others are that polished
    fit under their own start and seed (they replicate it), as polishing each from the same
    point would end at the same maximum at the same cost.
    """
    jobs = list(jobs)
    climbs = [i for i, j in enumerate(jobs) if j[5].subsample]
    out: list = [None] * len(jobs)
    climbed = _run([(*jobs[i], True) for i in climbs], n_jobs, progress, "final starts (subsample)")
    polish, same = [], {}  # polish jobs; job index -> index of the climbed start polished for it
    reps: dict = {}  # problem id -> [(job index, log-likelihood, labels)]
    for i, r in sorted(zip(climbs, climbed), key=lambda t: -t[1].loglik if np.isfinite(t[1].loglik) else np.inf):
        p = jobs[i][0]
        if r.status != "ok":
            out[i] = r
            continue
        labels = _subsample_labels(p, r)
        for j, ll, lab in reps.setdefault(id(p), []):
            if abs(r.loglik - ll) <= replication_tol and adjusted_rand_score(lab, labels) >= REPLICATION_ARI:
                same[i] = j
                break
        else:
            reps[id(p)].append((i, r.loglik, labels))
            polish.append(i)
            jobs[i] = (*jobs[i][:5], r)
    climbing = set(climbs)
    direct = [i for i in range(len(jobs)) if i not in climbing] + polish
    for i, r in zip(direct, _run([jobs[i] for i in direct], n_jobs, progress, "final starts")):
        out[i] = r
    for i, j in same.items():
        out[i] = dataclasses.replace(out[j], start=jobs[i][1], seed=jobs[i][2],
                                     reason=f"polished once with start {jobs[j][1]}: the same maximum of the subsample")
    return out


def _run(jobs, n_jobs: int, progress: bool, desc: str) -> list[StartFit]:
    """Run the starts in threads (numpy releases the GIL in the matrix products, and threads
    share the data instead of copying them into worker processes)."""
    if not jobs:
        return []
    bar = progress_bar(total=len(jobs), desc=desc, unit="start", enabled=show_progress(progress))
    out: list = [None] * len(jobs)
    workers = 1 if n_jobs == 1 else int(effective_n_jobs(n_jobs))
    try:
        # one BLAS thread per start: these matrices are small, and threads fighting over two
        # cores (or with other processes) make EM several times slower
        with threadpool_limits(limits=1):
            if workers == 1 or len(jobs) < 2:
                for i, job in enumerate(jobs):
                    out[i] = _fit_start(*job)
                    bar.update(1)
            else:
                # the larger models first, so no core waits at the end for the longest start alone
                order = sorted(range(len(jobs)), key=lambda i: -jobs[i][0].k)
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    futures = {pool.submit(_fit_start, *jobs[i]): i for i in order}
                    for fut in as_completed(futures):
                        out[futures[fut]] = fut.result()
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
        Threads running starts side by side (joblib's count: -1 = every core); 1 runs them one after the other.
    progress : bool
        tqdm bar over the starts (only on a terminal).
    replication_tol : float
        A start reaches the best when its log-likelihood is at most this many units below
        (absolute, default 0.01) and it classifies alike (ARI >= 0.99; see :func:`summarise`).
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
        if not done:  # deterministic starts after the random ones (their start numbers follow the seeds')
            stage1 += [(p, len(p.seeds) + j, name, limit, 1) for j, name in enumerate(p.deterministic)]
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
        open_ = [s for s in starts[done:]
                 if s.status == "ok" and (not s.converged or s.subsample) and s.init == "random"]
        open_.sort(key=lambda s: -s.loglik)
        want = default_n_final(len(p.seeds) - done, n_final) if done else final_count(p)
        chosen = open_[:want] + [s for s in starts[done:] if s.status == "ok" and not s.converged and s.init != "random"]
        stage2 += [(p, s.start, s.seed, p.max_iter, 2, s) for s in chosen]
    results2 = _continue(stage2, n_jobs, progress, replication_tol)
    for (p, start, *_), r in zip(stage2, results2):
        by_problem[id(p)][start] = r

    def finished(p, starts):
        final = [s for s in starts if s.status == "ok" and not s.subsample
                 and (s.converged or s.stage >= 2 or not two_stage(p))]
        # nothing finished: the best stopped start
        return final or [s for s in starts if s.status == "ok" and not s.subsample]

    # a best latent profile solution with two identical profiles is a symmetric saddle point of EM:
    # merge the pair, split another profile in two, and run EM on from there (at most two rounds)
    for _round in range(2):
        stage3 = []
        for p in problems:
            if p.gauss is None:
                continue
            starts = by_problem[id(p)]
            final = finished(p, starts)
            if not final:
                continue
            best = max(final, key=lambda s: (s.loglik, -s.start))
            pair = gmm_duplicate_profiles(p.gauss, best.params)
            if pair is None:
                continue
            with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
                parts = gmm_split_partitions(p.gauss, best.params, pair)
            n0 = len(starts)
            stage3 += [(p, n0 + j, lab, p.max_iter, 3) for j, lab in enumerate(parts)]
            starts.extend([None] * len(parts))
        if not stage3:
            break
        logger.info("symmetric saddle (two identical profiles) broken by %d split start(s)", len(stage3))
        for (p, start, *_), r in zip(stage3, _run(stage3, n_jobs, progress, "split starts")):
            by_problem[id(p)][start] = r

    return [summarise(p, by_problem[id(p)], finished(p, by_problem[id(p)]), replication_tol) for p in problems]


def summarise(p: MixtureProblem, starts: list, final: list, replication_tol: float = REPLICATION_TOL) -> GridFit:
    """The best of the finished starts and how far it is trustworthy.

    A finished start *reaches the best* when its log-likelihood is within ``replication_tol``
    (absolute) of the best and it classifies the respondents as the best does (adjusted Rand
    index at least :data:`REPLICATION_ARI`): a start 0.2 below on another classification is a
    different local maximum, whatever the sample size. ``ll_gap`` is the distance to the best
    of the other (distinct) maxima.
    """
    if not final:
        return GridFit(p, starts, None)
    best = max(final, key=lambda s: (s.loglik, -s.start))
    for s in starts:
        if s is not None:
            s.reaches_best = False
            if s.labels is not None and s is not best:
                s.ari = adjusted_rand_score(best.labels, s.labels)

    def same(s):
        if s is best:
            return True
        if abs(s.loglik - best.loglik) > replication_tol:
            return False
        return best.labels is None or s.labels is None or s.ari >= REPLICATION_ARI

    reached = [s for s in final if same(s)]
    for s in reached:
        s.reaches_best = True
    rest = [s.loglik for s in final if not same(s)]
    others = [s for s in final if s is not best and s.labels is not None]
    agreement = float(np.mean([s.ari for s in others])) if others else float("nan")
    return GridFit(p, starts, best, len(reached), len(final), agreement,
                   ll_gap=float(best.loglik - max(rest)) if rest else float("nan"),
                   ll_range=float(best.loglik - min(s.loglik for s in final)))


#: An LCA candidate whose best log-likelihood fewer than this share of its finished starts
#: reached has a rugged likelihood (many local maxima): more starts are run while they improve it.
RUGGED_SHARE = 0.5
#: A batch of added starts "improves" the best log-likelihood by more than this (poLCA's precision
#: of a best log-likelihood in the issue's comparison).
IMPROVES = 0.01


def add_starts(grids, base, n_init, max_starts, init_iter, n_final, n_jobs, progress):
    """More starts, in batches of ``n_init``, for the LCA problems whose best log-likelihood is
    not trustworthy yet, up to ``max_starts`` starts in all (default ``4 × n_init``).

    A batch is added while (a) no second start reached the best (Mplus: "the best
    loglikelihood value was not replicated"), or (b) the likelihood is rugged (fewer than
    :data:`RUGGED_SHARE` of the finished starts reached the best) and the last batch, if any,
    still improved the best by more than :data:`IMPROVES`. (b) is what a many-start search
    needs on real data: on the demo's 24 items at k = 6, 50 starts stop 2.6 points below the
    best a 50-start poLCA-style search reaches, where the best is rare but replicated
    (``benchmarks/lca_optimum.py``).
    """
    cap = int(max_starts) if max_starts is not None else 4 * int(n_init)
    added: dict = {}
    before: dict = {}  # problem key -> best log-likelihood before its latest added batch
    grids = list(grids)

    def wants_more(g) -> bool:
        if g.problem.lca is None or g.best is None or len(g.starts) >= cap:
            return False
        if g.replicated < 2:
            return True
        key = g.problem.key
        if key in before and g.best.loglik <= before[key] + IMPROVES:
            return False  # the last batch found nothing better
        return g.replicated < RUGGED_SHARE * max(g.n_final, 1)

    while True:
        todo = [(i, g) for i, g in enumerate(grids) if wants_more(g)]
        if not todo:
            return grids, added
        problems, previous = [], {}
        for _, g in todo:
            p = g.problem
            total = min(cap, len(g.starts) + int(n_init))
            problems.append(dataclasses.replace(p, seeds=tuple(start_seeds(base, p.key[0], p.k, total))))
            previous[p.key] = g.starts
            before[p.key] = g.best.loglik
        logger.info("best log-likelihood not replicated or rare for %s: adding starts",
                    ", ".join(f"{p.key[0]} k={p.k}" for p in problems))
        for (i, g), new in zip(todo, fit_mixtures(problems, init_iter=init_iter, n_final=n_final, n_jobs=n_jobs,
                                                   progress=progress, previous=previous)):
            added[g.problem.key] = added.get(g.problem.key, 0) + len(new.starts) - len(g.starts)
            grids[i] = new


# --------------------------------------------------------------------------- joint models
@dataclass
class JointStart:
    """One start of a joint model (:mod:`._multilevel`, :mod:`._lta`): its seed and kind, the
    parameters and log-likelihood where it stopped, and the mean log-likelihood of its last
    E-step before them (stage 2 continues from there, :func:`._em.run`'s ``last_mean``)."""

    start: int
    seed: int
    kind: str
    theta: np.ndarray = field(repr=False)
    loglik: float
    n_iter: int
    converged: bool
    last_mean: float = -np.inf
    stage: int = 1


def fit_joint(family, seeds, make_start, *, init_iter: int, n_final, max_iter: int, tol: float, what: str):
    """The two-stage schedule of one joint latent class model, every start on :func:`._em.run`.

    The models above the segments (respondent classes within account classes, segments over
    waves) are one problem each, not a grid: their starts run here, one after the other, with
    the schedule and replication rule of the latent class grids. Stage 1 runs every start for
    at most ``init_iter`` iterations (SQUAREM-accelerated); stage 2 continues the
    :func:`default_n_final` best starts that have not converged, from where they stopped, to
    convergence or ``max_iter`` iterations in all. Starts that converged in stage 1 or were
    continued are finished; the best is the finished start of highest log-likelihood (the
    earlier on a tie), and a finished start replicates it within :data:`REPLICATION_TOL`
    (absolute).

    Parameters
    ----------
    family : the model's E- and M-step for :func:`._em.run` (``wsum``, ``estep``, ``mstep``,
        ``normalise``)
    seeds : list of int
    make_start : callable ``(i, rng) -> (θ, kind)``
        Start ``i``'s parameters from its own generator (``np.random.default_rng(seeds[i])``).
    what : str
        The model in messages, e.g. "the latent transition model (k=3)".

    Returns
    -------
    (list of JointStart, the best JointStart, number of finished starts replicating it)

    Raises
    ------
    AnalysisError
        No start reached a finite log-likelihood.
    """
    n_cont = default_n_final(len(seeds), n_final)
    two_stage = init_iter < max_iter and n_cont < len(seeds)
    limit = init_iter if two_stage else max_iter
    starts = []
    for i, s in enumerate(seeds):
        th0, kind = make_start(i, np.random.default_rng(s))
        fit = run_em(family, th0, max_iter=limit, tol=tol, accelerate=True)
        starts.append(JointStart(i, s, kind, fit.params, fit.loglik, fit.n_iter, fit.converged, fit.last_mean))
    if two_stage:
        open_ = sorted([s for s in starts if not s.converged and np.isfinite(s.loglik)], key=lambda s: -s.loglik)
        for s in open_[:n_cont]:
            fit = run_em(family, s.theta, max_iter=max_iter - s.n_iter, tol=tol, accelerate=True,
                         last_mean=s.last_mean)
            s.theta, s.loglik, s.n_iter, s.converged, s.last_mean, s.stage = (
                fit.params, fit.loglik, s.n_iter + fit.n_iter, fit.converged, fit.last_mean, 2)
    final = [s for s in starts if np.isfinite(s.loglik) and (s.converged or s.stage == 2 or not two_stage)]
    if not final:
        raise AnalysisError(f"no start of {what} reached a finite log-likelihood")
    best = max(final, key=lambda s: (s.loglik, -s.start))
    replicated = int(sum(abs(s.loglik - best.loglik) <= REPLICATION_TOL for s in final))
    if not best.converged:
        warnings.warn(f"{what} did not converge in {max_iter} iterations; raise max_iter",
                      SegmentationConvergenceWarning, stacklevel=3)
    return starts, best, replicated
