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
    k on the new wave (bands as for bootstrap stability: >= .80 stable, < .65 unstable).
factor structure
    The fitted wave's factor structure confirmed on the new wave (:func:`workbench.factors.cfa`):
    CFI >= .90 and RMSEA <= .08 (Hu & Bentler 1999's 'acceptable').
emerging segment
    A fresh fit with k + 1 segments on the new wave: when it beats k by BIC, its segments
    are matched to the frozen ones by profile (Hungarian matching on standardised
    profiles), and the unmatched one is far from every frozen segment (at least half the
    distance between the two closest frozen segments) and holds at least the minimum
    share, a new segment is emerging.
"""

from __future__ import annotations

import html
import logging
import math
import warnings
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from ..errors import AnalysisError, DataError, WorkbenchWarning

__all__ = ["refit_check", "RefitAdvice", "RefitThresholds"]

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
    cfi_min: float = 0.90
    rmsea_max: float = 0.08
    new_segment_share: float = 0.05
    new_segment_distance: float = 0.5


@dataclass(frozen=True, eq=False)
class RefitAdvice:
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

    def __str__(self) -> str:
        lines = [self.message]
        for r in self.table.itertuples():
            lines.append(f"  [{r.status:>4}] {r.check}: {r.explanation}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(self.message)}</b></p>" + self.summary().to_html(na_rep="")


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
    """A fresh segmentation of the new wave with workbench.segments (warnings logged)."""
    from .. import segments

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WorkbenchWarning)
        if method == "lca":
            sol = segments.lca(model.basis(data), k, n_init=n_init, random_state=random_state, progress=False)
        else:
            cont = model._continuous(model._items(data)[0])
            if method == "lpa":
                cov = model.parameters.get("covariance", "diag") if model.method == "lpa" else "diag"
                reg = float(model.settings.get("reg_covar", 1e-6) if model.method == "lpa" else 1e-2)
                sol = segments.lpa(cont, k, covariance=cov, reg_covar=reg, n_init=n_init, random_state=random_state,
                                   progress=False)
            else:
                filled = cont.fillna(pd.Series(model.fill)) if model.fill else cont.fillna(0.0)
                filled = filled[cont.notna().any(axis=1)]
                sol = (segments.kmeans(filled, k, n_init=n_init, random_state=random_state) if method == "kmeans"
                       else segments.ward(filled, k))
    for w in caught:
        logger.info("refit check, fresh %s k=%d: %s", method, k, w.message)
    return sol


def refit_check(model, data_new: pd.DataFrame, *, labels_fresh: pd.Series | None = None, cfa_results=None,
                fresh=None, fresh_next=None, thresholds: RefitThresholds | dict | None = None, emerging: bool = True,
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
    soft = model.method in ("lca", "lpa")
    # ------------------------------------------------------------ classification quality
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
    # ------------------------------------------------------------ model fit
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
        status = "n/a" if not math.isfinite(ari) else ("due" if ari < th.ari_due else "warn" if ari < th.ari_warn
                                                       else "ok")
        add("stability", ari, diag.get("stability"), f">= {th.ari_warn:g} (due below {th.ari_due:g})", status,
            f"adjusted Rand index {ari:.2f} between the frozen classification and a fresh {model.method} k={k} fit of "
            f"{wave}")
    # ------------------------------------------------------------ factor structure
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
    for name, res in (cfa_results or {}).items():
        f = res.fit
        cfi, tli, rmsea, srmr = (float(f[x]) for x in ("CFI", "TLI", "RMSEA", "SRMR"))
        ok = cfi >= th.cfi_min and rmsea <= th.rmsea_max
        add(f"factor structure: {name}", cfi, th.cfi_min, f"CFI >= {th.cfi_min:g}, RMSEA <= {th.rmsea_max:g}",
            "ok" if ok else "due", f"CFI {cfi:.3f}, TLI {tli:.3f}, RMSEA {rmsea:.3f}, SRMR {srmr:.3f} (n = {int(f['n'])})")
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


def _reason(r) -> str:
    return f"{r.check}: {r.explanation}"


def _emerging(model, data_new, cls, fresh, fresh_next, th, n_init, random_state, add):
    k = model.k
    method = model.method if model.method in ("lca", "lpa") else "lpa"
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
    scale = (model.basis(data_new)[list(frozen.index)].std(ddof=0) if model.method == "lca"
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
