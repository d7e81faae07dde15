"""Trends between waves: segment sizes with intervals, which sizes changed, which profiles drifted.

Statistics, following the usual survey-tracking practice:

* Segment shares get Wilson score intervals (Wilson 1927; recommended over the Wald
  interval by Brown, Cai & DasGupta 2001). Weighted shares use Kish's effective sample
  size ``n_eff = (Σ w)² / Σ w²`` in place of n (Kish 1965).
* A change in one segment's share is a two-proportion z-test with the pooled share
  (the same as a 2 × 2 chi-square without continuity correction), on effective sample
  sizes; the p-values of the k segments are Holm-adjusted (Holm 1979). The size
  distribution as a whole is tested with a chi-square test of the waves × segments table.
  The waves are treated as independent samples; re-interviewed respondents make the test
  conservative (they make the two shares positively correlated).
* Profile drift compares each indicator within each segment between the waves: Welch's
  t-test and Cohen's d (pooled sd) for numeric indicators, per level a two-proportion
  z-test and Cohen's h (``2 asin √p₂ - 2 asin √p₁``) for categorical ones; p-values are
  adjusted over all tests (Benjamini-Hochberg by default, or Holm), and an indicator has
  *moved* when the adjusted p is below ``alpha`` and the effect reaches ``min_effect``
  (0.2, Cohen's "small").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..core.errors import AnalysisError
from ..core.stats import benjamini_hochberg, effective_n, holm, is_categorical, two_proportion_ztest, welch_ttest, wilson_interval
from ..core.summary import Summarised, Summary, SummaryTable

__all__ = ["segment_sizes", "size_changes", "SizeChanges", "profile_drift", "ProfileDrift", "wilson_interval",
           "holm", "benjamini_hochberg"]

SIZE_COLUMNS = ["wave", "segment", "name", "n", "share", "ci_low", "ci_high", "n_total", "n_effective"]


# --------------------------------------------------------------------------- helpers


def _weight_series(weights, index) -> pd.Series:
    """Weights aligned to ``index`` (1 where none are given); negative or missing weights refused."""
    if weights is None:
        return pd.Series(1.0, index=index)
    w = pd.Series(weights, dtype=float).reindex(index)
    if w.isna().any() or (w < 0).any():
        bad = w.index[w.isna() | (w < 0)][0]
        raise AnalysisError(f"respondent {bad!r} has a missing or negative weight ({w.get(bad)}); weights must be "
                            ">= 0 for every respondent compared")
    return w


def _weighted_rows(s, col, xb, xa, wb, wa, names, labels, categorical) -> list[dict]:
    """Drift rows of one segment and indicator with survey weights (Kish effective n)."""
    base = {"segment": s, "name": names.get(s, f"Segment {s}"), "indicator": col, "label": str(labels.get(col, col)),
            "n_before": len(xb), "n_after": len(xa)}
    nb, na = effective_n(wb), effective_n(wa)
    rows = []
    if categorical:
        sb, sa = xb.astype(str).to_numpy(), xa.astype(str).to_numpy()
        for lev in sorted(set(sb) | set(sa)):
            p1 = float(np.sum(wb * (sb == lev)) / np.sum(wb)) if nb > 0 else float("nan")
            p2 = float(np.sum(wa * (sa == lev)) / np.sum(wa)) if na > 0 else float("nan")
            z, p = _share_test(p1, nb, p2, na) if nb > 0 and na > 0 else (np.nan, np.nan)
            h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1)) if nb > 0 and na > 0 else np.nan
            rows.append({**base, "level": lev, "kind": "share", "before": p1, "after": p2, "difference": p2 - p1,
                         "effect": h, "p": p})
        return rows
    x1, x2 = xb.to_numpy(dtype=float), xa.to_numpy(dtype=float)
    m1 = float(np.average(x1, weights=wb)) if nb > 0 else float("nan")
    m2 = float(np.average(x2, weights=wa)) if na > 0 else float("nan")
    d = p = float("nan")
    if nb > 1 and na > 1:
        v1 = float(np.average((x1 - m1) ** 2, weights=wb)) * nb / (nb - 1)
        v2 = float(np.average((x2 - m2) ** 2, weights=wa)) * na / (na - 1)
        pooled = math.sqrt(((nb - 1) * v1 + (na - 1) * v2) / (nb + na - 2))
        se2 = v1 / nb + v2 / na
        if pooled > 0 and se2 > 0:
            d = (m2 - m1) / pooled
            p = float(welch_ttest(m2, v2, na, m1, v1, nb)[1])
    rows.append({**base, "level": None, "kind": _mean_kind(x1, x2), "before": m1, "after": m2,
                 "difference": m2 - m1, "effect": d, "p": p})
    return rows


def _share_test(p_before, n_before, p_after, n_after) -> tuple[float, float]:
    """z (after minus before) and two-sided p of a change in share; NaN when the pooled share is 0 or 1."""
    z, p = two_proportion_ztest(p_after, n_after, p_before, n_before)
    z, p = float(z), float(p)
    return (z, p) if math.isfinite(z) else (float("nan"), float("nan"))


def _mean_kind(before, after) -> str:
    """'proportion' for an indicator coded 0/1 (ticked, lapsed: its mean is a share, said in
    percent), else 'mean'."""
    values = np.concatenate([np.asarray(before, dtype=float), np.asarray(after, dtype=float)])
    values = values[~np.isnan(values)]
    return "proportion" if len(values) and np.isin(values, (0.0, 1.0)).all() else "mean"


def _pct(x) -> str:
    return f"{100 * x:.1f}%"


def _size_sentence(m: dict) -> str:
    """A :attr:`SizeChanges.moves` record as the tracking step's English sentence."""
    if m["kind"] == "size":
        verb = "grew" if m["up"] else "shrank"
        return (f"{m['name']} {verb} from {_pct(m['before'])} to {_pct(m['after'])} "
                f"({m['points']:+.1f} points, p = {m['p']:.3g} after Holm's correction).")
    if m["kind"] == "size_none":
        return f"No segment's share changed significantly between wave {m['before_wave']} and wave {m['after_wave']}."
    verdict = "differs" if m["differs"] else "does not differ significantly"
    return f"The size distribution as a whole {verdict} (chi-square {m['chi2']:.1f}, df {m['df']}, p = {m['p']:.3g})."


def _drift_sentence(m: dict) -> str:
    """A :attr:`ProfileDrift.moves` record as the tracking step's English sentence."""
    if m["kind"] == "drift_none":
        return (f"No indicator moved in any segment ({m['n_tests']} tests, {m['method']}-adjusted at "
                f"{m['alpha']:g}, effect at least {m['min_effect']:g}).")
    verb = "rose" if m["up"] else "fell"
    if m["measure"] == "share":
        return (f"{m['name']}: the share answering '{m['level']}' to {m['label']} {verb} from {_pct(m['before'])} to "
                f"{_pct(m['after'])} (h = {m['effect']:+.2f}).")
    if m["measure"] == "proportion":
        return f"{m['name']}: {m['label']} {verb} from {_pct(m['before'])} to {_pct(m['after'])} (d = {m['effect']:+.2f})."
    return f"{m['name']}: {m['label']} {verb} from {m['before']:.2f} to {m['after']:.2f} (d = {m['effect']:+.2f})."


# --------------------------------------------------------------------------- sizes


def segment_sizes(labels_by_wave: dict, weights_by_wave: dict | None = None, names=None,
                  confidence: float = 0.95) -> pd.DataFrame:
    """Segment sizes per wave with Wilson confidence intervals.

    Parameters
    ----------
    labels_by_wave : dict of str to Series
        Wave to each respondent's segment (``<NA>`` / NaN: not classified, left out).
    weights_by_wave : dict of str to Series, optional
        Wave to respondent weights (indexed like the labels); shares are then weighted
        and the intervals use Kish's effective sample size.
    names : dict of int to str, optional
    confidence : float, default=0.95

    Returns
    -------
    DataFrame
        Columns ``wave``, ``segment``, ``name``, ``n`` (respondents), ``share``,
        ``ci_low``, ``ci_high``, ``n_total`` (classified respondents) and ``n_effective``.

    Raises
    ------
    AnalysisError
        A wave without classified respondents, or weights missing for some respondent.
    """
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence must lie between 0 and 1, got {confidence!r}")
    names = {int(k): str(v) for k, v in (names or {}).items()}
    cleaned = {}
    for wave, lab in labels_by_wave.items():
        lab = pd.Series(lab)
        lab = lab[lab.notna()].astype(int)
        if lab.empty:
            raise AnalysisError(f"wave {wave} has no classified respondent")
        cleaned[str(wave)] = lab
    segs = sorted(set(names) | {int(s) for lab in cleaned.values() for s in lab.unique()})
    rows = []
    for wave, lab in cleaned.items():
        w = None if not weights_by_wave or weights_by_wave.get(wave) is None else pd.Series(weights_by_wave[wave])
        if w is None:
            wv = np.ones(len(lab))
        else:
            wv = pd.to_numeric(w.reindex(lab.index), errors="coerce").to_numpy(dtype=float)
            if np.isnan(wv).any() or (wv < 0).any():
                who = lab.index[np.isnan(wv) | (wv < 0)][0]
                raise AnalysisError(f"wave {wave}: respondent {who} has no valid weight; give every classified "
                                    "respondent a weight of zero or more")
        n_eff = effective_n(wv)
        total = wv.sum()
        for s in segs:
            members = (lab == s).to_numpy()
            share = float(wv[members].sum() / total)
            lo, hi = wilson_interval(share, n_eff, confidence)
            rows.append({"wave": wave, "segment": s, "name": names.get(s, f"Segment {s}"), "n": int(members.sum()),
                         "share": share, "ci_low": float(lo), "ci_high": float(hi), "n_total": len(lab),
                         "n_effective": float(n_eff)})
    return pd.DataFrame(rows, columns=SIZE_COLUMNS)


@dataclass(frozen=True, eq=False)
class SizeChanges(Summarised):
    """Which segments grew or shrank between two waves.

    Attributes
    ----------
    table : DataFrame
        Per segment: ``name``, ``share_before``, ``share_after``, ``change_points``
        (percentage points), ``z``, ``p``, ``p_holm``, ``significant``, ``direction``
        ('up', 'down' or '—' when not significant).
    before, after : str
        The waves compared.
    chi2, df, p : float
        Chi-square test that the size distribution is the same in both waves.
    n_before, n_after : float
        Effective sample sizes.
    alpha : float
    """

    table: pd.DataFrame = field(repr=False)
    before: str
    after: str
    chi2: float
    df: int
    p: float
    n_before: float
    n_after: float
    alpha: float = 0.05

    @property
    def significant(self) -> pd.DataFrame:
        """The segments whose share changed significantly (Holm-adjusted)."""
        return self.table[self.table["significant"]]

    @property
    def moves(self) -> list[dict]:
        """The changes as plain data, one per sentence of :attr:`messages` (same order): per
        significant change ``kind`` 'size', ``segment``, ``name``, ``before`` / ``after`` (shares
        0-1), ``points``, ``p`` (Holm) and ``up``; else one ``kind`` 'size_none' with the two waves; then
        ``kind`` 'distribution' with ``differs``, ``chi2``, ``df`` and ``p``. The deck words them
        in its language (:mod:`workbench.deck.slides_trends`)."""
        out = [{"kind": "size", "segment": str(seg), "name": str(r["name"]), "before": float(r["share_before"]),
                "after": float(r["share_after"]), "points": float(r["change_points"]), "p": float(r["p_holm"]),
                "up": r["direction"] == "up"}
               for seg, r in self.significant.iterrows()]
        if not out:
            out.append({"kind": "size_none", "before_wave": str(self.before), "after_wave": str(self.after)})
        out.append({"kind": "distribution", "differs": bool(self.p < self.alpha), "chi2": float(self.chi2),
                    "df": int(self.df), "p": float(self.p)})
        return out

    @property
    def messages(self) -> list[str]:
        """One plain sentence per significant change, and one on the distribution as a whole."""
        return [_size_sentence(m) for m in self.moves]

    def summary(self) -> pd.DataFrame:
        """The per-segment table with the overall test as a last row."""
        out = self.table[["name", "share_before", "share_after", "change_points", "p_holm", "direction"]].copy()
        out.loc["all"] = ["size distribution (chi-square)", np.nan, np.nan, np.nan, self.p,
                          "changed" if self.p < self.alpha else "—"]
        return out

    def summarise(self) -> Summary:
        """The changes in sentences and the per-segment table with the overall test."""
        return Summary(f"Segment sizes, wave {self.before} → {self.after}",
                       [f"Segment sizes, wave {self.before} → {self.after}:", *(f"  {m}" for m in self.messages)],
                       [SummaryTable(self.summary())])


def size_changes(sizes: pd.DataFrame, before, after, alpha: float = 0.05) -> SizeChanges:
    """Test which segments' shares changed between two waves.

    Parameters
    ----------
    sizes : DataFrame
        From :func:`segment_sizes` (holding both waves).
    before, after : str
        The waves to compare.
    alpha : float, default=0.05
        Significance level for the Holm-adjusted p-values.

    Returns
    -------
    SizeChanges
    """
    before, after = str(before), str(after)
    waves = set(sizes["wave"].astype(str))
    for w in (before, after):
        if w not in waves:
            raise AnalysisError(f"wave {w} is not in the sizes table (waves: {', '.join(sorted(waves))})")
    a = sizes[sizes["wave"].astype(str) == before].set_index("segment")
    b = sizes[sizes["wave"].astype(str) == after].set_index("segment")
    segs = sorted(set(a.index) | set(b.index))
    n1, n2 = float(a["n_effective"].iloc[0]), float(b["n_effective"].iloc[0])
    rows = []
    for s in segs:
        p1 = float(a["share"].get(s, 0.0))
        p2 = float(b["share"].get(s, 0.0))
        z, p = _share_test(p1, n1, p2, n2)
        name = b["name"].get(s, a["name"].get(s, f"Segment {s}"))
        rows.append({"segment": s, "name": name, "share_before": p1, "share_after": p2,
                     "change_points": 100 * (p2 - p1), "z": z, "p": p})
    table = pd.DataFrame(rows).set_index("segment")
    table["p_holm"] = holm(table["p"].to_numpy())
    table["significant"] = table["p_holm"] < alpha
    table["direction"] = np.where(~table["significant"], "—", np.where(table["change_points"] > 0, "up", "down"))
    counts = np.vstack([table["share_before"].to_numpy() * n1, table["share_after"].to_numpy() * n2])
    counts = counts[:, counts.sum(axis=0) > 0]
    if counts.shape[1] >= 2:
        chi2, p_all, dof, _ = stats.chi2_contingency(counts, correction=False)
    else:
        chi2, p_all, dof = 0.0, 1.0, 0
    return SizeChanges(table=table, before=before, after=after, chi2=float(chi2), df=int(dof), p=float(p_all),
                       n_before=n1, n_after=n2, alpha=alpha)


# --------------------------------------------------------------------------- profile drift

DRIFT_COLUMNS = ["segment", "name", "indicator", "label", "level", "kind", "n_before", "n_after", "before",
                 "after", "difference", "effect", "p", "p_adjusted", "moved", "direction"]


@dataclass(frozen=True, eq=False)
class ProfileDrift(Summarised):
    """Which indicators moved within each segment between two waves.

    Attributes
    ----------
    table : DataFrame
        One row per segment × indicator (× level for categorical indicators), sorted with
        the moved ones first and by size of effect; columns :data:`DRIFT_COLUMNS`
        (``kind`` is 'share' for a level of a categorical indicator, 'proportion' for an
        indicator coded 0/1, else 'mean'; ``effect`` is Cohen's d for means and proportions,
        Cohen's h for shares).
    alpha, min_effect : float
    adjust : str
        'fdr_bh' or 'holm'.
    n_tests : int
    """

    table: pd.DataFrame = field(repr=False)
    alpha: float = 0.05
    min_effect: float = 0.2
    adjust: str = "fdr_bh"
    n_tests: int = 0

    @property
    def moved(self) -> pd.DataFrame:
        return self.table[self.table["moved"]]

    @property
    def moves(self) -> list[dict]:
        """The moved indicators as plain data, one per sentence of :attr:`messages`: ``kind``
        'drift', ``name`` (segment), ``indicator``, ``label``, ``level`` (the answer of a 'share'),
        ``measure`` ('share', 'proportion' or 'mean'), ``before``, ``after`` (shares 0-1 for a
        share or proportion), ``effect`` and ``up``; or one ``kind`` 'drift_none' with the tests made."""
        out = [{"kind": "drift", "name": str(r.name), "indicator": str(r.indicator), "label": str(r.label),
                "level": None if r.kind != "share" else str(r.level), "measure": str(r.kind),
                "before": float(r.before), "after": float(r.after), "effect": float(r.effect),
                "up": bool(r.difference > 0)}
               for r in self.moved.itertuples()]
        if not out:
            out.append({"kind": "drift_none", "n_tests": int(self.n_tests), "alpha": float(self.alpha),
                        "min_effect": float(self.min_effect),
                        "method": "Benjamini-Hochberg" if self.adjust == "fdr_bh" else "Holm"})
        return out

    @property
    def messages(self) -> list[str]:
        """One plain sentence per moved indicator (or one saying nothing moved)."""
        return [_drift_sentence(m) for m in self.moves]

    def summary(self) -> pd.DataFrame:
        """The moved indicators (all rows when none moved is not useful: then an empty table)."""
        return self.moved[["name", "label", "level", "before", "after", "effect", "p_adjusted"]]

    def summarise(self) -> Summary:
        """The moves in sentences and the table of moved indicators."""
        return Summary("Profile drift", ["Profile drift:", *(f"  {m}" for m in self.messages)],
                       [SummaryTable(self.summary())])


def profile_drift(data_before: pd.DataFrame, data_after: pd.DataFrame, labels_before: pd.Series,
                  labels_after: pd.Series, columns, labels=None, alpha: float = 0.05, *, names=None,
                  min_effect: float = 0.2, adjust: str = "fdr_bh", categorical=(), weights_before=None,
                  weights_after=None, percent=()) -> ProfileDrift:
    """Compare each indicator within each segment between two waves.

    Parameters
    ----------
    data_before, data_after : DataFrame
        The waves' respondents × indicators (answers, KPIs).
    labels_before, labels_after : Series
        Each respondent's segment in that wave (unclassified respondents are left out).
    columns : list of str
        The indicators to compare.
    labels : dict of str to str, optional
        Indicator labels for the table and messages.
    alpha : float, default=0.05
    names : dict of int to str, optional
        Segment names.
    min_effect : float, default=0.2
        Smallest |d| or |h| that counts as movement.
    adjust : {'fdr_bh', 'holm'}, default='fdr_bh'
    categorical : list of str, optional
        Numeric columns to treat as categories (text and boolean columns always are).
    percent : list of str, optional
        Numeric columns holding 0-1 shares (a behaviour measure such as the digital share of
        orders): their rows are of kind 'proportion' and their movements said in percent, as
        columns coded 0/1 always are.
    weights_before, weights_after : Series, optional
        Survey weights per respondent. Means and shares are then weighted and the tests
        use Kish's effective sample size n_eff = (Σw)² / Σw² in place of n (variances with
        the reliability correction n_eff / (n_eff - 1)); with all weights equal this is the
        unweighted test.

    Returns
    -------
    ProfileDrift
    """
    if adjust not in ("fdr_bh", "holm"):
        raise AnalysisError(f"adjust must be 'fdr_bh' or 'holm', got {adjust!r}")
    columns = list(columns)
    for what, frame in (("before", data_before), ("after", data_after)):
        lack = [c for c in columns if c not in frame.columns]
        if lack:
            raise AnalysisError(f"the {what} wave's data lack the indicator(s) {', '.join(lack)}", column=lack[0])
    labels = labels or {}
    names = {int(k): str(v) for k, v in (names or {}).items()}
    lb = pd.Series(labels_before).dropna().astype(int)
    la = pd.Series(labels_after).dropna().astype(int)
    segs = sorted(set(lb.unique()) | set(la.unique()))
    cat = set(categorical or ())
    rows = []
    weighted = weights_before is not None or weights_after is not None
    wb_all = _weight_series(weights_before, data_before.index)
    wa_all = _weight_series(weights_after, data_after.index)
    for s in segs:
        ib, ia = lb.index[lb == s], la.index[la == s]
        for col in columns:
            xb = data_before[col].reindex(ib).dropna()
            xa = data_after[col].reindex(ia).dropna()
            if weighted:
                rows += _weighted_rows(s, col, xb, xa, wb_all.reindex(xb.index).to_numpy(dtype=float),
                                       wa_all.reindex(xa.index).to_numpy(dtype=float), names, labels,
                                       col in cat or is_categorical(data_before[col]) or is_categorical(data_after[col]))
                continue
            base = {"segment": s, "name": names.get(s, f"Segment {s}"), "indicator": col,
                    "label": str(labels.get(col, col)), "n_before": len(xb), "n_after": len(xa)}
            if col in cat or is_categorical(data_before[col]) or is_categorical(data_after[col]):
                levels = sorted(set(xb.astype(str)) | set(xa.astype(str)))
                for lev in levels:
                    p1 = float((xb.astype(str) == lev).mean()) if len(xb) else float("nan")
                    p2 = float((xa.astype(str) == lev).mean()) if len(xa) else float("nan")
                    z, p = _share_test(p1, len(xb), p2, len(xa)) if len(xb) and len(xa) else (np.nan, np.nan)
                    h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1)) if len(xb) and len(xa) else np.nan
                    rows.append({**base, "level": lev, "kind": "share", "before": p1, "after": p2,
                                 "difference": p2 - p1, "effect": h, "p": p})
                continue
            xb, xa = xb.astype(float), xa.astype(float)
            m1 = float(xb.mean()) if len(xb) else float("nan")
            m2 = float(xa.mean()) if len(xa) else float("nan")
            d = p = float("nan")
            if len(xb) >= 2 and len(xa) >= 2:
                v1, v2 = xb.var(ddof=1), xa.var(ddof=1)
                pooled = math.sqrt(((len(xb) - 1) * v1 + (len(xa) - 1) * v2) / (len(xb) + len(xa) - 2))
                if pooled > 0:
                    d = (m2 - m1) / pooled
                    p = float(stats.ttest_ind(xa, xb, equal_var=False).pvalue)
            rows.append({**base, "level": None, "kind": _mean_kind(xb, xa), "before": m1, "after": m2,
                         "difference": m2 - m1, "effect": d, "p": p})
    table = pd.DataFrame(rows, columns=[c for c in DRIFT_COLUMNS if c not in ("p_adjusted", "moved", "direction")])
    table.loc[table["indicator"].isin(list(percent)) & (table["kind"] == "mean"), "kind"] = "proportion"
    pv = table["p"].to_numpy(dtype=float) if len(table) else np.array([])
    table["p_adjusted"] = benjamini_hochberg(pv) if adjust == "fdr_bh" else holm(pv)
    table["moved"] = (table["p_adjusted"] < alpha) & (table["effect"].abs() >= min_effect)
    table["direction"] = np.where(~table["moved"], "—", np.where(table["difference"] > 0, "up", "down"))
    table = table.assign(_abs=table["effect"].abs()).sort_values(["moved", "_abs"], ascending=[False, False],
                                                                 kind="stable", na_position="last")
    table = table.drop(columns="_abs").reset_index(drop=True)[DRIFT_COLUMNS]
    return ProfileDrift(table=table, alpha=alpha, min_effect=min_effect, adjust=adjust,
                        n_tests=int(np.isfinite(pv).sum()))
