"""Parametric bootstrap likelihood-ratio test of k against k - 1 latent classes (Mplus TECH14).

The likelihood ratio of nested mixtures has no chi-square distribution (the k-class model
reaches the (k-1)-class one on the boundary), so its distribution under k - 1 classes is
simulated: answers are drawn from the fitted (k-1)-class model (same respondents, their
missing answers kept missing, their weights kept), both models are fitted to each draw, and
the p-value is the share of draws whose ratio reaches the observed one,
``p = (1 + #{LR_b >= LR}) / (1 + B)`` (McLachlan 1987; Nylund, Asparouhov & Muthén 2007).

Each draw's (k-1)-class fit starts from the generating parameters (Mplus ``LRTSTARTS 0 0``),
the k-class fit from the observed k-class estimates, from the generating model with its
largest class split in two, and from ``n_starts`` random starts (none by default, to keep
the test cheap; Mplus draws 20). Draws stop early (sequential Monte Carlo test, Besag & Clifford
1991) once ``stop_after`` ratios have reached the observed one: the p-value is then
``stop_after / b`` and clearly above any usual level.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from joblib import effective_n_jobs
from threadpoolctl import threadpool_limits

from ._lca import (
    LCAData,
    fit_start as lca_fit_start,
    random_start as lca_random_start,
    simulate as lca_simulate,
    split_largest as lca_split_largest,
)

__all__ = ["BLRT", "bootstrap_lrt"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BLRT:
    """One bootstrap likelihood-ratio test: ``lr`` = 2 (LL_k - LL_k-1), ``p_value``,
    ``replications`` run (``stopped_early`` when the sequential rule ended them)."""

    k: int
    lr: float
    p_value: float
    replications: int
    exceed: int
    stopped_early: bool


def _best(data, k, thetas, rng, n_random, max_iter, tol):
    best = -np.inf
    starts = list(thetas) + [lca_random_start(data, k, rng) for _ in range(n_random)]
    for th in starts:
        f = lca_fit_start(data, k, th, max_iter=max_iter, tol=tol)
        best = max(best, f.loglik)
    return best


def bootstrap_lrt(data: "LCAData", k: int, theta_k: np.ndarray, ll_k: float, theta_h0: np.ndarray,
                  ll_h0: float, *, max_reps: int = 19, stop_after: int = 5, n_starts: int = 0, seed: int = 0,
                  max_iter: int = 200, tol: float = 1e-6) -> BLRT:
    """Bootstrap LRT of ``k`` classes (``theta_k``, ``ll_k``) against ``k - 1`` (``theta_h0``).

    Parameters
    ----------
    data : LCAData
        The answers both models were fitted to.
    max_reps : int, default=19
        Most draws (the smallest reachable p-value is ``1 / (max_reps + 1)``, 0.05 by default).
    stop_after : int, default=5
        Stop once this many draws reach the observed ratio.
    n_starts : int, default=0
        Random starts of each draw's k-class fit (besides the observed estimates).
    seed : int
    max_iter, tol
        EM limits of the draws' fits (looser than the real fit's: the ratio needs a few
        decimals, not eight).

    Returns
    -------
    BLRT
    """
    lr = max(0.0, 2.0 * (ll_k - ll_h0))
    rng = np.random.default_rng(seed)
    exceed = b = 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        while b < max_reps:
            codes = lca_simulate(data, k - 1, theta_h0, rng)
            sim = data.with_codes(codes)
            l0 = _best(sim, k - 1, [theta_h0], rng, 0, max_iter, tol)
            l1 = _best(sim, k, [theta_k, lca_split_largest(sim, k - 1, theta_h0, rng)], rng, n_starts, max_iter,
                       tol)
            b += 1
            if 2.0 * (max(l1, l0) - l0) >= lr - 1e-9 * abs(ll_k):
                exceed += 1
                if exceed >= stop_after:
                    return BLRT(k, lr, exceed / b, b, exceed, b < max_reps)
    return BLRT(k, lr, (1 + exceed) / (1 + b), b, exceed, False)


def bootstrap_many(tasks: list[dict], n_jobs: int = 1) -> list[BLRT]:
    """:func:`bootstrap_lrt` of several candidates, spread over the workers."""
    if not tasks:
        return []
    with threadpool_limits(limits=1):
        if n_jobs == 1 or len(tasks) == 1:
            return [bootstrap_lrt(**t) for t in tasks]
        # threads: numpy releases the GIL in the matrix products, and the answers are shared
        with ThreadPoolExecutor(max_workers=int(effective_n_jobs(n_jobs))) as pool:
            return list(pool.map(lambda t: bootstrap_lrt(**t), tasks))
