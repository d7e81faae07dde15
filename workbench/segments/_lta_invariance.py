"""Measurement invariance of the latent transition model over waves: full (every item means
the same at every wave), partial (items freed one at a time by LR test) and free
(:class:`InvarianceTest`, :func:`invariance_test`). The models are nested column layouts of
:class:`._lta.LatentTransitionModel`; each freed model starts from the current one's segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from ..core.errors import AnalysisError
from ._em import run as run_em
from ._lta import LatentTransitionModel

__all__ = ["InvarianceTest", "invariance_test"]


@dataclass(frozen=True)
class InvarianceTest:
    """Full, partial and free measurement invariance over waves.

    ``table``: one row per model (full, each step freeing one item, free): log-likelihood,
    parameters, BIC, the LR test against the model before (chi-square, df, p) and the item freed.
    ``freed``: the items whose parameters drifted (freed in the partial model), in order.
    ``level``: 'full' (no item drifted), 'partial' (some, fewer than half) or 'none' (half or
    more, or the free model beats the partial one by BIC): the segments changed meaning. Half
    is the bar because drift on many items can be absorbed by relabelling segments (the
    transitions then look like a permutation): the invariant items must anchor the segments.
    ``models``: {'full', 'partial', 'free'} -> fitted :class:`LatentTransitionModel`.
    """

    table: pd.DataFrame
    freed: tuple
    level: str
    models: dict
    alpha: float

    @property
    def model(self) -> LatentTransitionModel:
        """The model to read the transitions from (partial when items drifted)."""
        return self.models["partial"] if self.level != "full" else self.models["full"]

    @property
    def readable(self) -> bool:
        return self.level in ("full", "partial")


def _warm(waves, k, invariance, base: LatentTransitionModel, kw, sample_weight, covariates):
    """A model with other freed items and its start: the base model's segments (its posteriors
    turned into parameters by M-steps) — nested models compared from the same solution.
    Returns (model, problem, θ0, log-likelihood at θ0, build parts)."""
    m = LatentTransitionModel(k, invariance=invariance, n_init=1, **kw)
    m._check_params()
    prob, ids, present, cols, layout, zcols = m._build(waves, sample_weight, covariates)
    ld, tp, _ = base._prob.unpack(base.theta_)
    R = (base._gamma * prob.w[None, :, None]).reshape(prob.T * prob.n, k)
    # the emission M-step from scratch (ordinal items: thresholds from the margins, then Newton steps)
    e = prob.em.mstep(R, prob.em.random(np.random.default_rng(0)))
    for _ in range(5):
        e = prob.em.mstep(R, e)
    th0 = prob.normalise(np.concatenate([ld, tp, e]))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ll0 = prob.forward_backward(th0, need_xi=False)[0]
    return m, prob, th0, ll0, (ids, present, cols, layout, zcols)


def _fit_warm(waves, k, invariance, base: LatentTransitionModel, kw, sample_weight, covariates, start):
    """:func:`_warm`'s model fitted by EM from its start."""
    m, prob, th0, _, (ids, present, cols, layout, zcols) = _warm(waves, k, invariance, base, kw, sample_weight,
                                                                 covariates)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"), threadpool_limits(limits=1):
        fit = run_em(prob, th0, max_iter=m.max_iter, tol=m.tol, accelerate=True)
    th, ll, it, conv = fit.params, fit.loglik, fit.n_iter, fit.converged
    m._prob, m._cols, m._layout, m._zcols, m._start = prob, cols, layout, zcols, start
    m.ids_, m.present_ = ids, present
    m._set(th)
    m.converged_, m.n_iter_ = conv, it
    m.replicated_ = 1
    m.starts_ = pd.DataFrame([{"start": 0, "kind": "nested", "stage": 2, "n_iter": it, "loglik": ll,
                               "converged": conv, "best": True}])
    m.n_parameters_ = (k - 1) + (prob.tsize if prob.Z is not None else prob.P * k * (k - 1)) + prob.em.n_parameters
    m.n_interviews_ = base.n_interviews_
    m.bic_ = -2 * m.loglik_ + m.n_parameters_ * np.log(prob.n)
    m.aic_ = -2 * m.loglik_ + 2 * m.n_parameters_
    return m


def invariance_test(waves, n_classes, *, sample_weight=None, covariates=None, start=None, alpha=0.05,
                    criterion="lr", max_freed=None, random_state=None, **params) -> InvarianceTest:
    """Full invariance against partial (items freed one at a time) and free.

    Starting from the fully invariant model, every still-invariant item is freed in turn (at
    every later wave) with the segments held at the current model's (one M-step: a lower bound
    of its LR statistic, as a score test screens); the item that gains most is fitted by EM and
    freed when its LR test is significant at ``alpha`` (Holm-adjusted over the items screened
    at that step) and, with ``criterion='bic'``, when it also lowers BIC. Repeated until no item qualifies or
    ``max_freed`` items are freed. Each freed model starts from the current model's segments,
    so the nested models are compared from the same solution.

    ``params`` go to :class:`LatentTransitionModel` (measurement, transitions, n_init, ...).
    """
    if criterion not in ("lr", "bic"):
        raise AnalysisError(f"criterion must be 'lr' or 'bic', got {criterion!r}")
    k = int(n_classes)
    kw = {key: v for key, v in params.items() if key not in ("n_init", "init_iter", "n_final")}
    full = LatentTransitionModel(k, invariance="full", random_state=random_state, **params).fit(
        waves, sample_weight=sample_weight, covariates=covariates, start=start)
    cols = list(full._cols)
    rows = [{"model": "full", "freed": "", "loglik": full.loglik_, "parameters": full.n_parameters_,
             "bic": full.bic_, "chi2": np.nan, "df": np.nan, "p": np.nan}]
    current, freed = full, []
    limit = len(cols) if max_freed is None else int(max_freed)
    while len(freed) < limit:
        # screening: each still-invariant item freed with the segments held (one M-step from the
        # current posteriors: a lower bound of its LR statistic); the best one is then fitted by EM
        trials = [(_warm(waves, k, freed + [c], current, kw, sample_weight, covariates)[3], c)
                  for c in cols if c not in freed]
        if not trials:
            break
        _, c = max(trials, key=lambda r: r[0])
        m = _fit_warm(waves, k, freed + [c], current, kw, sample_weight, covariates, start)
        chi2 = max(2 * (m.loglik_ - current.loglik_), 0.0)
        df = m.n_parameters_ - current.n_parameters_
        p = float(stats.chi2.sf(chi2, df))
        p_holm = min(1.0, p * len(trials))
        if p_holm > alpha or (criterion == "bic" and m.bic_ >= current.bic_):
            break
        freed.append(c)
        rows.append({"model": f"partial {len(freed)}", "freed": c, "loglik": m.loglik_,
                     "parameters": m.n_parameters_, "bic": m.bic_, "chi2": chi2, "df": df, "p": p_holm})
        current = m
    free = current if len(freed) == len(cols) else _fit_warm(waves, k, cols, current, kw, sample_weight, covariates,
                                                             start)
    chi2 = max(2 * (free.loglik_ - current.loglik_), 0.0)
    df = free.n_parameters_ - current.n_parameters_
    rows.append({"model": "free", "freed": "every item", "loglik": free.loglik_, "parameters": free.n_parameters_,
                 "bic": free.bic_, "chi2": chi2 if df > 0 else np.nan, "df": df if df > 0 else np.nan,
                 "p": float(stats.chi2.sf(chi2, df)) if df > 0 else np.nan})
    if not freed:
        level = "full"
    elif len(freed) >= len(cols) / 2 or free.bic_ < current.bic_:
        level = "none"
    else:
        level = "partial"
    return InvarianceTest(pd.DataFrame(rows), tuple(freed), level, {"full": full, "partial": current, "free": free},
                          float(alpha))
