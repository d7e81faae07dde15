"""Is the frozen segmentation still good enough for a new wave, or is a re-fit due?

:func:`refit_check` runs five kinds of check and says, in one sentence, whether to re-fit:

classification quality
    Mean largest membership probability and relative entropy on the new wave against the
    fitted wave, and the share of uncertain respondents. Latent class / profile models only
    (k-means and Ward assign hard).
model fit
    The mean log-likelihood per respondent on the new wave against what the fitted wave
    leads one to expect out of sample: ``(LL - p) / n``, the in-sample mean corrected for
    the optimism of fitting ``p`` parameters (Akaike's bias correction; the in-sample mean
    alone would flag every new wave). The drop is tested one-sided with the two waves'
    per-respondent spreads (``z = drop / √(s₁²/n₁ + s₂²/n₂)``) and must also be large
    enough to matter (in units of the per-respondent standard deviation), so a large
    wave does not flag a trivial drop. k-means / Ward: half the squared distance to the
    nearest centroid, uncorrected.
stability
    Adjusted Rand index between the frozen classification and a fresh fit with the same
    k on the new wave, against the fitted wave's own bootstrap stability: a random
    resample of the same population gives an ARI from the fitted wave's own bootstrap
    distribution, so the new wave is flagged only when its ARI lies below that
    distribution (one-sided, ``z = (mean - ARI) / sd`` with the bootstrap sd widened by
    ``sqrt(n_fitted / n_new)`` for a smaller new wave) *and* the drop from the fitted
    wave's mean is large enough to matter (0.10 watch, 0.20 re-fit). An ARI of at least
    .80 is stable whatever the fitted wave's. Without the bootstrap spread (model files
    written before it was kept) the drop alone decides, and without any fitted-wave
    stability the absolute bands (< .65 unstable) do.
factor structure
    The fitted wave's factor structure confirmed on the new wave (:func:`workbench.factors.cfa`)
    and compared with the same CFA on the fitted wave (kept in the model file): the
    misfit per respondent and df (``RMSEA**2``, whose estimate ``(chi2 - df) / (N df)``
    has the sampling variance ``2 (df + 2 lambda) / (N df)**2`` of a noncentral
    chi-square with noncentrality ``lambda``) must be significantly larger on the new
    wave (one-sided, ``fit_alpha``) *and* the change large enough to matter: CFI down or
    RMSEA up by at least Chen's (2007) invariance bars (.010 / .015: watch; twice
    that: re-fit). A structure that fitted the fitted wave poorly and fits a resample of
    it equally poorly is no change. Without the fitted wave's CFA the absolute cut-offs
    apply (CFI >= .90 and RMSEA <= .08, Hu & Bentler 1999's 'acceptable').
emerging segment
    A fresh fit with k + 1 segments on the new wave: when it beats k by BIC, its segments
    are matched to the frozen ones by profile (Hungarian matching on standardised
    profiles), and the unmatched one is far from every frozen segment (at least half the
    distance between the two closest frozen segments) and holds at least the minimum
    share, a new segment is emerging.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from ..core.errors import AnalysisError, DataError, WorkbenchWarning
from ..segments.methods import get_method
from ..core.summary import Summarised, Summary, SummaryTable

__all__ = ["refit_check", "RefitAdvice", "RefitThresholds", "compare_factor_fit", "factor_fit_reference",
           "misfit_variance"]

logger = logging.getLogger(__name__)

CHECK_COLUMNS = ["check", "value", "reference", "threshold", "status", "explanation"]


@dataclass(frozen=True)
class RefitThresholds:
    """When a check warns or says a re-fit is due (defaults as in the module notes)."""

    certainty_warn: float = 0.05
    certainty_due: float = 0.10
    entropy_warn: float = 0.05
    entropy_due: float = 0.10
    uncertain_warn: float = 0.10
    uncertain_due: float = 0.20
    fit_alpha: float = 0.01
    fit_effect_warn: float = 0.10
    fit_effect_due: float = 0.20
    ari_warn: float = 0.80
    ari_due: float = 0.65
    ari_alpha: float = 0.01
    ari_drop_warn: float = 0.10
    ari_drop_due: float = 0.20
    cfi_min: float = 0.90
    rmsea_max: float = 0.08
    cfi_drop_warn: float = 0.010
    cfi_drop_due: float = 0.020
    rmsea_rise_warn: float = 0.015
    rmsea_rise_due: float = 0.030
    new_segment_share: float = 0.05
    new_segment_distance: float = 0.5


@dataclass(frozen=True, eq=False)
class RefitAdvice(Summarised):
    """The re-fit checks of one new wave.

    Attributes
    ----------
    table : DataFrame
        One row per check: ``check``, ``value`` (new wave), ``reference`` (fitted wave or
        bar), ``threshold``, ``status`` ('ok', 'warn', 'due' or 'n/a'), ``explanation``.
    due : bool
    reasons : list of str
        Why a re-fit is due (empty when it is not).
    warnings : list of str
        What to watch.
    message : str
        One sentence for the deck.
    emerging : dict or None
        The emerging segment (share, nearest frozen segment, distinguishing variables).
    """

    table: pd.DataFrame = field(repr=False)
    due: bool
    reasons: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    message: str = ""
    emerging: dict | None = None
    model: str = ""
    wave: str = ""

    def summary(self) -> pd.DataFrame:
        return self.table.set_index("check")

    def summarise(self) -> Summary:
        """The verdict, one line per check (status, check, why) and the checks' figures."""
        lines = [self.message, *(f"  [{r.status:>4}] {r.check}: {r.explanation}" for r in self.table.itertuples())]
        figures = self.summary().drop(columns="explanation", errors="ignore")
        return Summary("Re-fit checks", lines, [SummaryTable(figures)])


def _status(bad: float, warn: float, due: float) -> str:
    """'due' / 'warn' / 'ok' for a deterioration ``bad`` (larger is worse)."""
    if not math.isfinite(bad):
        return "n/a"
    return "due" if bad >= due else "warn" if bad >= warn else "ok"


def _rel_entropy(post: np.ndarray, k: int) -> float:
    if k < 2 or not len(post):
        return 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(post > 0, -post * np.log(post), 0.0)
    return float(1 - plogp.sum() / (len(post) * math.log(k)))


def _fit_fresh(model, data, k, method, n_init, random_state):
    """A fresh segmentation of the new wave by ``method`` (a registered name), on the basis the
    frozen model rebuilds for it (warnings logged)."""
    m = get_method(method)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WorkbenchWarning)
        sol = m.fresh(_fresh_basis(model, data, m), k, n_init=n_init, random_state=random_state, like=model)
    for w in caught:
        logger.info("refit check, fresh %s k=%d: %s", method, k, w.message)
    return sol


def _fresh_basis(model, data, m) -> pd.DataFrame:
    """The new wave's basis as method ``m`` fits it: the coded items, the continuous basis, or
    the continuous basis filled as the frozen model fills it (respondents with any value)."""
    if m.basis == "coded":
        return model.basis(data)
    cont = model._continuous(model._items(data)[0])
    if not m.complete:
        return cont
    filled = cont.fillna(pd.Series(model.fill)) if model.fill else cont.fillna(0.0)
    return filled[cont.notna().any(axis=1)]


def _certainty_checks(model, post, soft: bool, th, add) -> None:
    """Classification quality of the new wave against the fitted wave's: mean largest membership
    probability, relative entropy, share of uncertain respondents (``add`` takes each row)."""
    diag, k = model.diagnostics, model.k
    if soft:
        pmax = float(post.max(axis=1).mean())
        ref = diag.get("mean_max_posterior")
        drop = (ref - pmax) if ref is not None else float("nan")
        add("classification certainty", pmax, ref, f"drop < {th.certainty_warn:g} (due at {th.certainty_due:g})",
            _status(drop, th.certainty_warn, th.certainty_due),
            f"mean largest membership probability {pmax:.3f} against {ref:.3f} on the fitted wave" if ref is not None
            else f"mean largest membership probability {pmax:.3f}")
        ent = _rel_entropy(post, k)
        ref = diag.get("entropy")
        drop = (ref - ent) if ref is not None else float("nan")
        add("relative entropy", ent, ref, f"drop < {th.entropy_warn:g} (due at {th.entropy_due:g})",
            _status(drop, th.entropy_warn, th.entropy_due),
            f"{ent:.3f} against {ref:.3f} on the fitted wave" if ref is not None else f"{ent:.3f}")
        unc = float((post.max(axis=1) < model.uncertain_below).mean())
        ref = diag.get("share_uncertain")
        rise = (unc - ref) if ref is not None else float("nan")
        add("uncertain respondents", unc, ref, f"rise < {th.uncertain_warn:g} (due at {th.uncertain_due:g})",
            _status(rise, th.uncertain_warn, th.uncertain_due),
            f"{unc:.1%} below probability {model.uncertain_below:g}" + (f", against {ref:.1%} on the fitted wave"
                                                                         if ref is not None else ""))
    else:
        add("classification certainty", np.nan, np.nan, "", "n/a", f"{model.method} assigns hard; not applicable")

def _fit_check(model, data_new, soft: bool, th, add) -> None:
    """Model fit: the new wave's mean per-respondent log-likelihood (k-means / Ward: minus half
    the squared distance) against the fitted wave's, one-sided z test and effect in sds."""
    diag = model.diagnostics
    ll = model.loglik_per_respondent(data_new).dropna()
    n_fit = diag.get("n") or 0
    if soft and diag.get("loglik") is not None and n_fit:
        ref = (diag["loglik"] - diag["n_parameters"]) / n_fit
        what = "mean log-likelihood per respondent"
    elif diag.get("mean_sq_distance") is not None:
        ref = -0.5 * diag["mean_sq_distance"]
        what = "minus half the mean squared distance to the nearest centroid"
    else:
        ref = None
    if ref is not None and len(ll) > 1:
        mean_new, sd_new = float(ll.mean()), float(ll.std(ddof=1))
        sd_ref = diag.get("loglik_sd") or sd_new
        drop = ref - mean_new
        se = math.sqrt(sd_ref**2 / n_fit + sd_new**2 / len(ll))
        z = drop / se if se > 0 else float("nan")
        p = float(stats.norm.sf(z)) if math.isfinite(z) else float("nan")
        effect = drop / sd_ref if sd_ref > 0 else float("nan")
        status = ("ok" if not (p < th.fit_alpha) else _status(effect, th.fit_effect_warn, th.fit_effect_due))
        add("model fit", mean_new, ref, f"drop significant at {th.fit_alpha:g} and >= {th.fit_effect_warn:g} sd "
            f"(due at {th.fit_effect_due:g} sd)", status,
            f"{what} {mean_new:.3f} against {ref:.3f} expected from the fitted wave (drop {effect:+.2f} sd, "
            f"one-sided p = {p:.3g})")
    else:
        add("model fit", np.nan, np.nan, "", "n/a", "no fitted-wave likelihood to compare with")

def _factor_checks(model, data_new, cfa_results, cfa_reference, wave: str, th, add) -> None:
    """The factor structures confirmed on the new wave (CFA fitted here when not given), each
    compared with the fitted wave's CFA, or with the absolute cut-offs when that is unknown."""
    diag = model.diagnostics
    if cfa_results is None and model.factors:
        from ..factors import cfa

        cfa_results = {}
        for fs in model.factors:
            scales = {f: its for f, its in fs.scales.items() if len(its) >= 2}
            try:
                cfa_results[fs.battery] = cfa(data_new, scales)
            except (AnalysisError, DataError) as exc:
                add(f"factor structure: {fs.battery}", np.nan, np.nan, "", "warn",
                    f"the structure could not be confirmed: {exc.message}")
    references = dict(diag.get("factor_fit") or {})
    references.update(cfa_reference or {})
    for name, res in (cfa_results or {}).items():
        f = res.fit
        ref = references.get(name)
        cfi = _fit_value(f, "CFI")
        why = _fit_not_measurable(f, wave) or (_fit_not_measurable(ref, "the fitted wave") if ref is not None else None)
        if why:  # e.g. a just-identified structure (3 items on one factor): no fit to test, not a reason to re-fit
            add(f"factor structure: {name}", cfi, np.nan if ref is None else _fit_value(ref, "CFI"), "", "n/a",
                f"not measurable: {why}")
            continue
        if ref is None:  # no CFA of the fitted wave to compare with: the absolute cut-offs
            cfi, tli, rmsea, srmr = (float(f[x]) for x in ("CFI", "TLI", "RMSEA", "SRMR"))
            ok = cfi >= th.cfi_min and rmsea <= th.rmsea_max
            add(f"factor structure: {name}", cfi, th.cfi_min, f"CFI >= {th.cfi_min:g}, RMSEA <= {th.rmsea_max:g}",
                "ok" if ok else "due", f"CFI {cfi:.3f}, TLI {tli:.3f}, RMSEA {rmsea:.3f}, SRMR {srmr:.3f} "
                f"(n = {int(f['n'])}); the fitted wave's own fit is not known, so the usual cut-offs apply")
            continue
        cmp = compare_factor_fit(ref, factor_fit_reference(res, data_new), th)
        add(f"factor structure: {name}", cfi, _fit_value(ref, "CFI"),
            f"misfit up significantly at {th.fit_alpha:g} and CFI down >= {th.cfi_drop_warn:g} or RMSEA up >= "
            f"{th.rmsea_rise_warn:g} (due at {th.cfi_drop_due:g} / {th.rmsea_rise_due:g})", cmp["status"],
            cmp["explanation"])


def refit_check(model, data_new: pd.DataFrame, *, labels_fresh: pd.Series | None = None, cfa_results=None,
                cfa_reference=None, fresh=None, fresh_next=None, thresholds: RefitThresholds | dict | None = None, emerging: bool = True,
                wave=None, n_init: int = 5, random_state=None) -> RefitAdvice:
    """Check whether a frozen segmentation still fits a new wave.

    Parameters
    ----------
    model : SegmentModel
    data_new : DataFrame
        The new wave's clean answers (at least the basis items; the factor items for the CFA).
    labels_fresh : Series, optional
        Segments of a fresh fit with the same k on the new wave (else fitted here).
    cfa_results : dict of str to CFAResult, optional
        The factor structure confirmed on the new wave (else fitted here for every factor
        solution the model keeps).
    cfa_reference : dict of str to dict, optional
        The same CFA on the fitted wave (:func:`factor_fit_reference`), per battery; by
        default what the model file keeps (``diagnostics['factor_fit']``).
    fresh, fresh_next : Segmentation, optional
        Fresh fits of the new wave with k and k + 1 segments (else fitted here with the
        model's method; for k-means / Ward the emerging-segment check uses latent profiles).
    thresholds : RefitThresholds or dict, optional
    emerging : bool, default=True
        Run the emerging-segment check (two fresh fits).
    wave : str, optional
        The new wave's id, for the message.
    n_init : int, default=5
        Random starts of the fresh fits.
    random_state : int, optional
        Seed of the fresh fits (use the study's seed).

    Returns
    -------
    RefitAdvice
    """
    th = thresholds if isinstance(thresholds, RefitThresholds) else RefitThresholds()
    if isinstance(thresholds, dict):
        known = {f.name for f in fields(RefitThresholds)}
        bad = sorted(set(thresholds) - known)
        if bad:
            raise AnalysisError(f"unknown threshold(s) {', '.join(bad)}; known: {', '.join(sorted(known))}")
        th = replace(th, **thresholds)
    wave = "the new wave" if wave is None else f"wave {wave}"
    diag = model.diagnostics
    k = model.k
    rows = []

    def add(check, value, reference, threshold, status, explanation):
        rows.append({"check": check, "value": value, "reference": reference, "threshold": threshold,
                     "status": status, "explanation": explanation})

    cls = model.classify(data_new)
    classified = cls.table["segment"].notna().to_numpy()
    post = cls.posteriors.to_numpy()[classified]
    if not classified.any():
        raise AnalysisError(f"nobody in {wave} answered any basis item; nothing to check")
    soft = get_method(model.method).soft
    _certainty_checks(model, post, soft, th, add)
    _fit_check(model, data_new, soft, th, add)
    # ------------------------------------------------------------ stability
    frozen = cls.labels
    if labels_fresh is None:
        try:
            if fresh is None:
                fresh = _fit_fresh(model, data_new, k, model.method, n_init, random_state)
            labels_fresh = fresh.labels
        except AnalysisError as exc:
            add("stability", np.nan, np.nan, "", "warn", f"a fresh {model.method} k={k} fit failed: {exc.message}")
            labels_fresh = None
    if labels_fresh is not None:
        both = pd.concat([frozen.rename("a"), pd.Series(labels_fresh).rename("b")], axis=1, join="inner").dropna()
        ari = float(adjusted_rand_score(both["a"].astype(int), both["b"].astype(int))) if len(both) else float("nan")
        add("stability", ari, diag.get("stability"), *_stability_judgement(ari, diag, len(both), th),
            f"a fresh fit of {wave} ({model.method} k={k}) agrees with the frozen classification at an adjusted "
            f"Rand index of {ari:.2f} (1 = the same segments)" + _stability_context(ari, diag, len(both), th))
    _factor_checks(model, data_new, cfa_results, cfa_reference, wave, th, add)
    # ------------------------------------------------------------ emerging segment
    found = None
    if emerging:
        found = _emerging(model, data_new, cls, fresh, fresh_next, th, n_init, random_state, add)
    table = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    reasons = [_reason(r) for r in table[table["status"] == "due"].itertuples()]
    watch = [_reason(r) for r in table[table["status"] == "warn"].itertuples()]
    if found is not None:
        reasons = [found["sentence"] if r.startswith("emerging segment") else r for r in reasons]
    if reasons:
        message = f"Re-fit the segmentation: {'; '.join(reasons)}."
    elif watch:
        message = f"No re-fit needed for {wave} yet, but watch: {'; '.join(watch)}."
    else:
        message = f"The {k} frozen segments still describe {wave} well: no re-fit needed."
    return RefitAdvice(table=table, due=bool(reasons), reasons=reasons, warnings=watch, message=message,
                       emerging=found, model=model.name, wave=wave)


FIT_KEYS = ("chi-square", "df", "n", "CFI", "TLI", "RMSEA", "SRMR")


def _fit_value(fit, key: str) -> float:
    """``fit[key]`` as a float; NaN when absent or None (a NaN read back from a model file)."""
    v = fit.get(key) if hasattr(fit, "get") else None
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _fit_not_measurable(fit, where: str) -> str | None:
    """Why the CFA fit on ``where`` cannot be compared (None when it can): a just-identified
    structure (0 degrees of freedom, e.g. 3 items on one factor) has no RMSEA or TLI, and a
    fit without CFI or RMSEA cannot be judged."""
    df = _fit_value(fit, "df")
    if not df > 0:
        return (f"the structure has no degrees of freedom on {where} (as many free parameters as variances and "
                "covariances of its items), so its fit cannot be tested; more items per factor make it testable")
    lack = [k for k in ("CFI", "RMSEA") if not math.isfinite(_fit_value(fit, k))]
    if lack:
        return f"the {' and '.join(lack)} of the structure could not be computed on {where}"
    return None


def factor_fit_reference(res, data: pd.DataFrame | None = None) -> dict:
    """The numbers of a :class:`~workbench.factors.CFAResult` the re-fit check compares a
    new wave with (chi-square, df, n, CFI, TLI, RMSEA, SRMR) as plain floats, and with the
    answers it was fitted on the sampling variance of its misfit (``misfit_var``, see
    :func:`misfit_variance`)."""
    out = {k: float(res.fit[k]) for k in FIT_KEYS}
    if data is not None:
        v = misfit_variance(res, data)
        if math.isfinite(v):
            out["misfit_var"] = v
    return out


def misfit_variance(res, data: pd.DataFrame) -> float:
    """Sampling variance of the misfit ``RMSEA**2 = (chi2 - df) / (N df)`` of a CFA.

    Written out because no library gives it: the normal-theory noncentral chi-square
    variance ``2 (df + 2 lambda)`` understates the spread of a clearly misspecified model
    on real (non-normal, coded) answers. Instead the delta method on the ML discrepancy
    ``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p`` at the estimates (its derivative
    with respect to ``S`` is ``Sigma^-1 - S^-1``; the parameters' own derivative is zero
    at the optimum) with the answers' own fourth moments (Browne 1984's asymptotically
    distribution-free covariance of ``S``): ``Var(F) = Var_i(d_i' A d_i) / N`` with
    ``A = Sigma^-1 - S^-1`` and ``d_i`` the centred answers, plus the central chi-square's
    ``2 df / N**2`` (the only term left when the model holds exactly).
    NaN when the items are not in ``data``.
    """
    items = list(res.residual_variances.index)
    if any(i not in data.columns for i in items):
        return float("nan")
    x = data[items].apply(pd.to_numeric, errors="coerce").dropna().to_numpy(dtype=float)
    n = len(x)
    df = float(res.fit["df"])
    if n <= len(items) or not df > 0:
        return float("nan")
    factors = list(res.factor_correlations.index)
    lam = np.zeros((len(items), len(factors)))
    for (f, item), row in res.loadings.iterrows():
        lam[items.index(item), factors.index(f)] = row["estimate"]
    sigma = lam @ res.factor_correlations.to_numpy() @ lam.T + np.diag(res.residual_variances.to_numpy())
    d = x - x.mean(axis=0)
    s = d.T @ d / n
    a = np.linalg.inv(sigma) - np.linalg.inv(s)
    q = np.einsum("ij,jk,ik->i", d, a, d)
    var_f = float(q.var()) / n + 2 * df / n**2
    return var_f / df**2


def _misfit(fit) -> tuple[float, float]:
    """``RMSEA**2`` estimated as ``max(chi2 - df, 0) / (N df)`` and its sampling variance:
    ``misfit_var`` when given (:func:`misfit_variance`), else the normal-theory noncentral
    chi-square's ``2 (df + 2 lambda) / (N df)**2`` with ``lambda = max(chi2 - df, 0)``."""
    chi2, df, n = float(fit["chi-square"]), float(fit["df"]), float(fit["n"])
    if not (df > 0 and n > 0):
        return float("nan"), float("nan")
    lam = max(chi2 - df, 0.0)
    var = fit.get("misfit_var") if hasattr(fit, "get") else None
    if var is None or not math.isfinite(float(var)):
        var = 2 * (df + 2 * lam) / (n * df) ** 2
    return lam / (n * df), float(var)


def compare_factor_fit(reference, new, thresholds: RefitThresholds | None = None) -> dict:
    """Is the new wave's CFA fit worse than the fitted wave's beyond sampling error?

    Parameters
    ----------
    reference, new : mapping
        ``chi-square``, ``df``, ``n``, ``CFI``, ``RMSEA`` of the fitted wave's and the new
        wave's CFA of the same structure (a ``CFAResult.fit`` or :func:`factor_fit_reference`,
        whose ``misfit_var`` is used when present).

    Returns
    -------
    dict
        ``z``, ``p`` (one-sided: misfit per respondent and df larger on the new wave),
        ``cfi_drop``, ``rmsea_rise``, ``status`` ('ok', 'warn', 'due'; 'n/a' with the reason
        when either fit cannot be tested, e.g. a just-identified structure) and ``explanation``.
    """
    th = thresholds or RefitThresholds()
    why = _fit_not_measurable(reference, "the fitted wave") or _fit_not_measurable(new, "the new wave")
    if why:
        nan = float("nan")
        return {"z": nan, "p": nan, "cfi_drop": _fit_value(reference, "CFI") - _fit_value(new, "CFI"),
                "rmsea_rise": nan, "status": "n/a", "explanation": f"not measurable: {why}"}
    m_ref, v_ref = _misfit(reference)
    m_new, v_new = _misfit(new)
    se = math.sqrt(v_ref + v_new) if math.isfinite(v_ref + v_new) else float("nan")
    z = (m_new - m_ref) / se if se > 0 else float("nan")
    p = float(stats.norm.sf(z)) if math.isfinite(z) else float("nan")
    cfi_drop = float(reference["CFI"]) - float(new["CFI"])
    rmsea_rise = float(new["RMSEA"]) - float(reference["RMSEA"])
    if not (p < th.fit_alpha):
        status = "ok"
    elif cfi_drop >= th.cfi_drop_due or rmsea_rise >= th.rmsea_rise_due:
        status = "due"
    elif cfi_drop >= th.cfi_drop_warn or rmsea_rise >= th.rmsea_rise_warn:
        status = "warn"
    else:
        status = "ok"
    explanation = (f"CFI {float(new['CFI']):.3f} and RMSEA {float(new['RMSEA']):.3f} (n = {int(new['n'])}) against "
                   f"{float(reference['CFI']):.3f} and {float(reference['RMSEA']):.3f} on the fitted wave (n = "
                   f"{int(reference['n'])}); misfit " + ("larger" if z > 0 else "not larger") +
                   f" than the fitted wave's (one-sided p = {p:.3g})")
    if status == "ok" and p < th.fit_alpha:
        explanation += ", but by too little to matter"
    return {"z": z, "p": p, "cfi_drop": cfi_drop, "rmsea_rise": rmsea_rise, "status": status,
            "explanation": explanation}


def _stability_spread(diag: dict, n_new: int) -> tuple[float, float]:
    """The fitted wave's mean bootstrap ARI and the sd a new wave of ``n_new`` respondents'
    single ARI would have if it were a resample of the same population (NaN when unknown)."""
    ref = diag.get("stability")
    sd = diag.get("stability_sd")
    if ref is None or sd is None or not math.isfinite(float(sd)):
        return (float("nan") if ref is None else float(ref)), float("nan")
    n_fit = diag.get("n") or n_new
    widen = math.sqrt(max(1.0, n_fit / n_new)) if n_new else 1.0
    return float(ref), float(sd) * widen


def _stability_judgement(ari: float, diag: dict, n_new: int, th: RefitThresholds) -> tuple[str, str]:
    """(threshold text, status) of the stability check (see the module notes)."""
    if not math.isfinite(ari):
        return "", "n/a"
    ref, sd = _stability_spread(diag, n_new)
    if not math.isfinite(ref):  # no fitted-wave stability: the absolute bands
        return (f">= {th.ari_warn:g} (due below {th.ari_due:g})",
                "due" if ari < th.ari_due else "warn" if ari < th.ari_warn else "ok")
    text = (f"below the fitted wave's spread (one-sided {th.ari_alpha:g}) and >= {th.ari_drop_warn:g} under its mean "
            f"(due at {th.ari_drop_due:g}); >= {th.ari_warn:g} always ok")
    drop = ref - ari
    if ari >= th.ari_warn:
        return text, "ok"
    if math.isfinite(sd):
        z = drop / max(sd, 1e-9)
        if not (stats.norm.sf(z) < th.ari_alpha):
            return text, "ok"
    return text, _status(drop, th.ari_drop_warn, th.ari_drop_due)


def _stability_context(ari: float, diag: dict, n_new: int, th: RefitThresholds) -> str:
    ref, sd = _stability_spread(diag, n_new)
    if not math.isfinite(ref) or not math.isfinite(ari):
        return ""
    out = f"; the fitted wave's own bootstrap stability was {ref:.2f}"
    if math.isfinite(sd):
        z = (ref - ari) / max(sd, 1e-9)
        out += f" (sd {sd:.2f} at this wave's size; one-sided p = {float(stats.norm.sf(z)):.3g})"
    return out


def _reason(r) -> str:
    return f"{r.check}: {r.explanation}"


def _emerging(model, data_new, cls, fresh, fresh_next, th, n_init, random_state, add):
    k = model.k
    # a method without a likelihood has no BIC to compare k with k + 1: latent profiles stand in
    method = model.method if get_method(model.method).likelihood else "lpa"
    try:
        base = fresh if (fresh is not None and fresh.method == method) else _fit_fresh(
            model, data_new, k, method, n_init, random_state)
        nxt = fresh_next if fresh_next is not None else _fit_fresh(model, data_new, k + 1, method, n_init,
                                                                   random_state)
    except AnalysisError as exc:
        add("emerging segment", np.nan, np.nan, "", "warn", f"fresh fits with k and k + 1 failed: {exc.message}")
        return None
    if not nxt.bic < base.bic:
        add("emerging segment", nxt.bic - base.bic, 0.0, "BIC(k+1) < BIC(k)", "ok",
            f"{k + 1} segments do not fit {method} better than {k} by BIC ({nxt.bic:,.1f} against {base.bic:,.1f})")
        return None
    frozen = model.profiles()
    fresh_prof = nxt.profile()
    fresh_prof.index = [str(i) for i in fresh_prof.index]
    frozen = frozen.loc[[v for v in frozen.index if v in fresh_prof.index]]
    fresh_prof = fresh_prof.loc[frozen.index]
    scale = (model.basis(data_new)[list(frozen.index)].std(ddof=0) if get_method(model.method).basis == "coded"
             else model._continuous(model._items(data_new)[0])[list(frozen.index)].std(ddof=0))
    scale = scale.replace(0, np.nan).fillna(1.0).to_numpy()
    a = fresh_prof.to_numpy().T / scale  # (k+1, d)
    b = frozen.to_numpy().T / scale  # (k, d)
    dist = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).mean(axis=2))
    rows, cols = linear_sum_assignment(dist)
    extra = int(sorted(set(range(k + 1)) - set(rows))[0])
    nearest = int(np.argmin(dist[extra]))
    d_extra = float(dist[extra, nearest])
    pair = np.sqrt(((b[:, None, :] - b[None, :, :]) ** 2).mean(axis=2))
    d_min = float(pair[np.triu_indices(k, 1)].min()) if k > 1 else float("inf")
    share = float(nxt.shares.iloc[extra])
    name = model.names.get(nearest + 1, f"Segment {nearest + 1}")
    far = d_extra >= th.new_segment_distance * d_min
    big = share >= th.new_segment_share
    detail = (f"k + 1 beats k by BIC ({nxt.bic:,.1f} against {base.bic:,.1f}); the extra segment ({share:.0%}) lies "
              f"{d_extra:.2f} sd from its nearest frozen segment ({name}); the two closest frozen segments are "
              f"{d_min:.2f} sd apart")
    if not (far and big):
        add("emerging segment", share, th.new_segment_share, f"share >= {th.new_segment_share:g} and distance >= "
            f"{th.new_segment_distance:g} × closest pair", "ok",
            detail + ("; it splits an existing segment" if not far else "; it is too small to act on"))
        return None
    diff = a[extra] - b[nearest]
    order = np.argsort(-np.abs(diff))[:3]
    labels = {c: model.codebook.get(c, {}).get("label", c) for c in frozen.index}
    traits = [f"{'higher' if diff[i] > 0 else 'lower'} on {labels.get(frozen.index[i], frozen.index[i])}"
              for i in order]
    sentence = (f"a new segment of about {share:.0%} is emerging, resembling {name} but {', '.join(traits)}")
    add("emerging segment", share, th.new_segment_share, f"share >= {th.new_segment_share:g} and distance >= "
        f"{th.new_segment_distance:g} × closest pair", "due", detail)
    return {"share": share, "nearest": nearest + 1, "nearest_name": name, "distance": d_extra,
            "closest_pair": d_min, "traits": traits, "sentence": sentence}
