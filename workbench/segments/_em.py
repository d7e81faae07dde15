"""The one EM loop of the package: iteration, SQUAREM acceleration and the convergence rule.

Five model families run on it, each supplying its E- and M-step (the "hooks", as
scikit-learn's ``BaseMixture`` leaves ``_e_step`` / ``_m_step`` to its subclasses):

* latent classes (:mod:`._lca`): parameters are one flat vector (log shares, log answer
  probabilities, ordinal thresholds and locations), accelerated with SQUAREM;
* latent profiles (:mod:`._gmm`): a dict of shares, means and covariances, plain EM (the
  iterations StepMix / scikit-learn run, so the tests can compare them one for one);
* the bias-adjusted three-step (:mod:`._structural`): the structural model's parameters with
  the measurement model fixed, plain EM;
* multilevel latent classes (:mod:`._multilevel`, upward–downward) and latent transitions
  (:mod:`._lta`, forward–backward): a structure above the segments, which they measure through
  :mod:`._measurement`; one flat vector each, SQUAREM.

The start schedule (random starts in two stages, deterministic starts, replication of the
best log-likelihood) is :mod:`._engine`, which runs every start of a latent class or profile
model through :func:`run`, and the starts of the two joint models (:func:`._engine.fit_joint`).

A family is any object with

``wsum``
    the total weight (the number of respondents when unweighted);
``estep(params) -> (loglik, R)``
    the total (weighted) log-likelihood at ``params`` and the (weighted) posteriors;
``mstep(R, params) -> params``
    new parameters from the posteriors; ``params`` are the current ones (a generalised
    M-step such as the ordinal items' Newton steps starts from them; it must not change them);
``normalise(vector) -> vector``
    only for SQUAREM: a flat parameter vector back onto the parameter space after an
    extrapolation.

The convergence rule (one for every family)
-------------------------------------------
An iteration is an E-step and the M-step after it. A fit has converged when the weighted
mean log-likelihood per respondent (the total divided by the total weight) changes by less
than ``tol`` between two successive E-steps: StepMix's ``abs_tol`` rule, poLCA's ``tol`` on
the mean instead of the total, and independent of the sample size. The fit returned holds the
parameters of the last M-step and the log-likelihood at those parameters (one more E-step),
as StepMix, scikit-learn and poLCA return theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["EMFit", "run", "has_converged"]


@dataclass
class EMFit:
    """One run of EM: parameters, the log-likelihood at them, iterations, convergence.

    ``last_mean`` is the mean log-likelihood of the last E-step before the last M-step: a run
    continued from ``params`` with ``last_mean=`` judges its first iteration against it, as if
    it had never stopped (stage 2 of the start schedule).
    """

    params: object = field(repr=False)
    loglik: float
    n_iter: int
    converged: bool
    last_mean: float = -np.inf


def has_converged(mean: float, previous: float, tol: float) -> bool:
    """The convergence rule: the mean log-likelihood changed by less than ``tol``."""
    return bool(abs(mean - previous) < tol)


def run(family, params, *, max_iter: int, tol: float = 1e-8, accelerate: bool = False,
        last_mean: float = -np.inf) -> EMFit:
    """EM from ``params`` for at most ``max_iter`` iterations (E-step + M-step each).

    Parameters
    ----------
    family : object with ``wsum``, ``estep``, ``mstep`` (and ``normalise`` with ``accelerate``)
    params : the family's parameters (a flat ndarray with ``accelerate``)
    max_iter : int
    tol : float
        See the module's convergence rule.
    accelerate : bool
        SQUAREM (Varadhan & Roland 2008, scheme S3, steplength bounded and adapted): two EM
        steps, one extrapolation, one EM step from it; an extrapolation that lowers the
        log-likelihood is replaced by the plain EM step (EM's monotonicity is kept). Every EM
        step counts as an iteration; the last two iterations of the budget are plain EM.
    last_mean : float
        Mean log-likelihood of the E-step before ``params`` (continuing a run).
    """
    wsum = float(family.wsum)
    prev = float(last_mean)
    it = 0
    converged = False
    max_iter = int(max_iter)
    if not accelerate:
        for it in range(1, max_iter + 1):
            ll, R = family.estep(params)
            params = family.mstep(R, params)
            mean, previous, prev = ll / wsum, prev, ll / wsum
            if has_converged(mean, previous, tol):
                converged = True
                break
        ll, _ = family.estep(params)
        return EMFit(params, float(ll), it, converged, last_mean=prev)
    step_max = 1.0
    th0 = params
    while it < max_iter:
        ll0, R = family.estep(th0)
        th1 = family.mstep(R, th0)
        it += 1
        if has_converged(ll0 / wsum, prev, tol):
            prev, th0, converged = ll0 / wsum, th1, True
            break
        if max_iter - it < 2:  # no room left for a SQUAREM cycle (three EM steps): plain EM
            prev, th0 = ll0 / wsum, th1
            continue
        ll1, R = family.estep(th1)
        th2 = family.mstep(R, th1)
        it += 1
        if has_converged(ll1 / wsum, ll0 / wsum, tol):  # EM itself has stalled: done
            prev, th0, converged = ll1 / wsum, th2, True
            break
        r = th1 - th0
        v = th2 - th1 - r
        nv = float(np.sqrt(v @ v))
        if nv == 0:
            prev, th0, converged = ll1 / wsum, th2, True
            break
        alpha = -float(np.sqrt(r @ r)) / nv
        alpha = max(min(alpha, -1.0), -step_max)
        thp = family.normalise(th0 - 2 * alpha * r + alpha**2 * v)
        llp, R = family.estep(thp)
        if np.isfinite(llp) and llp >= ll1:
            th_new = family.mstep(R, thp)
            if alpha == -step_max:
                step_max *= 4
        else:  # the extrapolation went downhill: keep plain EM's progress (both steps count)
            llp, R = family.estep(th2)
            th_new = family.mstep(R, th2)
            step_max = max(1.0, step_max / 4)
            it += 1
        it += 1
        prev = max(ll1, llp) / wsum
        th0 = th_new
    ll, _ = family.estep(th0)
    return EMFit(th0, float(ll), it, converged, last_mean=prev)
