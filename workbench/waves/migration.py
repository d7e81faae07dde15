"""Who moved where: segment migration of a panel between waves, under a tested measurement.

A later wave is classified with the frozen model; when some respondents (or re-interviewed
accounts) answered in two or more waves, :func:`migration` follows them with the latent
transition model of :mod:`workbench.segments._lta` on the segmentation's own basis (latent
classes on the coded items, latent profiles on the scores), started from the frozen model:

1. **Panel.** :func:`panel_ids` links each wave's respondents by respondent id or by the
   study's customer key; :func:`pair_counts` counts them per pair of waves.
2. **Invariance first.** Full invariance (every item means the same at every wave) against
   partial (items freed one at a time by LR test) and free; the items that drifted are named
   in words (:func:`drift_sentences`).
3. **Transitions** (with bootstrap intervals), stayers and the naive cross-table of each
   wave's modal segment — read only under full or partial invariance; otherwise the message
   says the segments changed meaning and a re-fit is advised (:func:`with_invariance` adds it
   to the re-fit advice of :mod:`workbench.waves.refit`).

k-means and Ward segmentations have no measurement model (no probabilities of answers): their
migration is not estimated (the reason is given).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ..core.stats import logsumexp

from ..core.errors import AnalysisError
from ..core.measures import round_shares
from ..segments._lta_invariance import invariance_test
from .refit import RefitAdvice

__all__ = ["Migration", "migration", "panel_ids", "pair_counts", "with_invariance", "drift_sentences",
           "MIN_PANEL", "frozen_start"]

logger = logging.getLogger(__name__)

#: Fewest respondents in two waves for transitions to be estimated.
MIN_PANEL = 30


def panel_ids(data: pd.DataFrame, key: str | None) -> tuple[pd.Series, int]:
    """Panel id (text) of each respondent of a wave: the respondent id (``key`` None) or the
    customer key's value. A customer with several respondents in the wave is not linked
    (they keep their own respondent ids). Returns (ids by respondent, customers not linked)."""
    rid = pd.Series(data.index.astype(str), index=data.index)
    if key is None:
        return rid, 0
    if key not in data.columns:
        raise AnalysisError(f"the panel key '{key}' is not a column of the wave's answers", column=key)
    cust = data[key].astype("string").str.strip()
    cust = cust.where(cust.notna() & (cust != ""))
    counts = cust.value_counts()
    several = cust.map(counts).fillna(0) > 1
    out = ("C:" + cust).where(cust.notna() & ~several, "R:" + rid)
    return out.astype(str), int(cust[several].nunique())


def pair_counts(ids: dict) -> pd.DataFrame:
    """Respondents present in both waves of every pair (``ids``: wave -> panel ids)."""
    waves = list(ids)
    rows = []
    for i, a in enumerate(waves):
        for b in waves[i + 1:]:
            rows.append({"from wave": a, "to wave": b, "in both": int(len(set(ids[a]) & set(ids[b]))),
                         f"in wave {a}": len(ids[a]), "in the later wave": len(ids[b])})
    return pd.DataFrame(rows)


def frozen_start(model) -> tuple[dict, object]:
    """The frozen model as the transition model's start: (start parameters, measurement)."""
    p = model.parameters
    if model.method == "lca":
        probs, meas = {}, {}
        for item in model.features:
            spec = p["probabilities"][item]
            codes = [float(c) for c in spec["codes"]]
            if "thresholds" in spec:
                tau = np.asarray(spec["thresholds"], dtype=float)
                beta = np.asarray(spec["locations"], dtype=float)
                eta = tau[:, None] + np.arange(len(tau))[:, None] * beta[None, :]
                v = np.exp(eta - logsumexp(eta, axis=0, keepdims=True))
                meas[item] = "ordinal"
            else:
                v = np.asarray(spec["values"], dtype=float)
                meas[item] = "nominal"
            probs[item] = pd.DataFrame(v, index=codes)
        return {"shares": np.asarray(model.shares, dtype=float), "probabilities": probs}, meas
    if model.method == "lpa":
        means = np.asarray(p["means"], dtype=float)
        k, d = means.shape
        cov = np.asarray(p["covariances"], dtype=float)
        kind = "diag" if str(p.get("measurement", "")).endswith("_nan") else p["covariance"]
        if kind == "diag":
            var = cov.reshape(k, d)
        elif kind == "spherical":
            var = np.repeat(cov.reshape(k, 1), d, axis=1)
        elif kind == "tied":
            var = np.tile(np.diag(cov.reshape(d, d)), (k, 1))
        else:
            var = np.stack([np.diag(c) for c in cov.reshape(k, d, d)])
        return {"shares": np.asarray(model.shares, dtype=float), "means": means, "variances": var}, "gaussian"
    raise AnalysisError(f"a {model.method} segmentation has no measurement model (no answer probabilities): "
                        "segment migration needs latent classes or latent profiles")


def _start_for(start: dict, frames: list) -> dict:
    """The frozen probabilities on the codes the panel's answers hold (others dropped, renormalised)."""
    if "probabilities" not in start:
        return start
    seen = pd.concat(frames, axis=0)
    out = {}
    for item, tab in start["probabilities"].items():
        codes = sorted(float(c) for c in seen[item].dropna().unique())
        v = tab.reindex(codes).fillna(1e-6).to_numpy()
        out[item] = v / v.sum(axis=0, keepdims=True)
    return {"shares": start["shares"], "probabilities": out}


@dataclass(frozen=True)
class Migration:
    """Segment migration between two waves of a panel (see the module notes).

    Attributes
    ----------
    waves : tuple of str
        The waves followed (the fitted wave first).
    counts : DataFrame
        Panel respondents per pair of waves.
    invariance : DataFrame
        Full, each partial step and free: log-likelihood, parameters, BIC, LR test, item freed.
    level : {'full', 'partial', 'none'}
    drifted : tuple of str
        Items whose answers mean something else at the later wave.
    drift : tuple of str
        One sentence per drifted item.
    transitions : DataFrame
        Long: from, to (segment numbers), probability, se, low, high, expected movers (the
        panel's weighted count), naive (the cross-table of modal segments, row share).
    stayers : DataFrame
        Per segment: share at the first wave, stayed (model), stayed (naive); 'all' last.
    movers : DataFrame
        Per segment: panel respondents at each wave, stayed, came from (largest source),
        went to (largest destination), net.
    movers_value : DataFrame or None
        Share of movers by customer value (revenue tier), when behaviour is known.
    message : str
        One sentence: what moved, or why the transitions are not read.
    names : dict
    """

    waves: tuple
    counts: pd.DataFrame
    invariance: pd.DataFrame
    level: str
    drifted: tuple
    drift: tuple
    transitions: pd.DataFrame
    stayers: pd.DataFrame
    movers: pd.DataFrame
    movers_value: pd.DataFrame | None
    message: str
    names: dict = field(default_factory=dict)
    n_panel: int = 0
    n_boot: int = 0
    model: object = field(default=None, repr=False, compare=False)

    @property
    def readable(self) -> bool:
        return self.level in ("full", "partial")

    def matrix(self, column: str = "probability") -> pd.DataFrame:
        """Transitions as a from × to matrix."""
        return self.transitions.pivot(index="from", columns="to", values=column)

    def tables(self) -> dict:
        """Sheets for tracking.xlsx."""
        out = {"Panel": self.counts, "Invariance": self.invariance}
        if self.readable:
            out["Transitions"] = self.transitions
            out["Movers by segment"] = self.movers
            if self.movers_value is not None:
                out["Movers by value"] = self.movers_value
        return out

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"value": pd.Series({
            "waves": " → ".join(self.waves), "panel respondents": self.n_panel, "invariance": self.level,
            "items drifted": ", ".join(self.drifted) or "none", "message": self.message}, dtype=object)})


def drift_sentences(test, labels: dict | None = None, names: dict | None = None, top: int = 1) -> list[str]:
    """One sentence per freed item: where, in which segment, the answers moved most (the
    expected answer code, fitted wave vs later wave)."""
    labels, names = labels or {}, names or {}
    m = test.models["partial"]
    if not test.freed:
        return []
    pars = m.item_parameters()
    out = []
    for item in test.freed:
        sub = pars[pars["item"] == item]
        if (sub["category"] == "mean").any():  # Gaussian: the profile means
            mean = sub[sub["category"] == "mean"].pivot(index="segment", columns="wave", values="value")
        else:
            sub = sub.assign(x=sub["category"].astype(float) * sub["value"])
            mean = sub.groupby(["segment", "wave"])["x"].sum().unstack("wave")
        waves = sorted(mean.columns, key=lambda w: int(w))
        delta = mean[waves[-1]] - mean[waves[0]]
        seg = int(delta.abs().idxmax())
        who = names.get(seg) or f"segment {seg}"
        direction = "higher" if delta[seg] > 0 else "lower"
        out.append(f"'{labels.get(item, item)}' is answered {direction} within the same segments at the later wave "
                   f"(most in {who}: {mean.loc[seg, waves[0]]:.1f} → {mean.loc[seg, waves[-1]]:.1f}): it no longer "
                   "means what it meant when the segments were fitted")
    return out


def _movers(model, names, pair=1) -> pd.DataFrame:
    flows = model.flows(pair)
    k = len(flows)
    rows = []
    for s in range(1, k + 1):
        out_ = flows.loc[s].drop(s)
        in_ = flows[s].drop(s)
        rows.append({"segment": s, "name": names.get(s, ""), "at first wave": float(flows.loc[s].sum()),
                     "at later wave": float(flows[s].sum()), "stayed": float(flows.loc[s, s]),
                     "stayed share": float(flows.loc[s, s] / max(flows.loc[s].sum(), 1e-12)),
                     # the largest destination / source, blank when under half a respondent moved
                     "went to": names.get(int(out_.idxmax()), f"segment {int(out_.idxmax())}")
                     if len(out_) and out_.max() >= 0.5 else "",
                     "went to (n)": float(out_.max()) if len(out_) else 0.0,
                     "came from": names.get(int(in_.idxmax()), f"segment {int(in_.idxmax())}")
                     if len(in_) and in_.max() >= 0.5 else "",
                     "came from (n)": float(in_.max()) if len(in_) else 0.0,
                     "net": float(flows[s].sum() - flows.loc[s].sum())})
    return pd.DataFrame(rows)


def _movers_value(model, value: pd.Series | None, pair=1) -> pd.DataFrame | None:
    """Share of the panel that moved (1 - P(same segment)), by value tier."""
    if value is None:
        return None
    both = model.present_[pair - 1] & model.present_[pair]
    ids = model.ids_[both]
    xi = model._xi[pair - 1][both]
    moved = 1 - np.einsum("nii->n", xi)
    v = value.reindex(ids)
    if v.notna().sum() < 3:
        return None
    frame = pd.DataFrame({"tier": v.to_numpy(), "moved": moved, "w": model._prob.w[both]}).dropna()
    g = frame.groupby("tier", observed=True)
    out = pd.DataFrame({"panel respondents": g.size(),
                        "moved": g.apply(lambda d: float((d["moved"] * d["w"]).sum() / d["w"].sum()),
                                         include_groups=False)})
    return out.reset_index()


def migration(model, frames: dict, ids: dict, *, weights: dict | None = None, value: pd.Series | None = None,
              names: dict | None = None, labels: dict | None = None, alpha: float = 0.05, bootstrap_reps: int = 50,
              n_init: int = 5, random_state=None) -> Migration:
    """Segment migration of the panel from the model's wave to the last of ``frames``.

    Parameters
    ----------
    model : SegmentModel
        The frozen model (LCA or LPA).
    frames : dict of wave -> DataFrame
        Each wave's answers (respondents × survey columns, indexed by respondent id), in wave
        order, the model's fitted wave first.
    ids : dict of wave -> Series
        Panel id of each respondent (:func:`panel_ids`).
    weights : dict of wave -> Series, optional
        Survey weights by respondent; a panel respondent takes the latest wave's.
    value : Series by panel id, optional
        A customer-value tier for the movers-by-value table.

    Raises
    ------
    AnalysisError
        A k-means / Ward model, or fewer than :data:`MIN_PANEL` respondents in two waves.
    """
    names = dict(names or model.names)
    start, meas = frozen_start(model)
    waves = list(frames)
    counts = pair_counts({w: ids[w] for w in waves})
    n_panel = int(counts["in both"].max()) if len(counts) else 0
    if n_panel < MIN_PANEL:
        raise AnalysisError(f"only {n_panel} respondents answered in two waves; transitions need at least {MIN_PANEL}")
    basis = []
    for w in waves:
        b = model.basis(frames[w])
        b.index = ids[w].reindex(b.index).to_numpy()
        basis.append(b[~b.index.duplicated()])
    start = _start_for(start, basis)
    sw = None
    if weights:
        parts = []
        for w in waves:
            if weights.get(w) is not None:
                s = weights[w].copy()
                s.index = ids[w].reindex(s.index).to_numpy()
                parts.append(s[~s.index.duplicated()])
        if parts:
            sw = parts[-1]
            for s in parts[-2::-1]:
                sw = sw.combine_first(s)
    test = invariance_test(basis, model.k, sample_weight=sw, start=start, alpha=alpha, measurement=meas,
                           n_init=n_init, random_state=random_state)
    level = test.level
    drift = drift_sentences(test, labels, names)
    m = test.model
    pair = len(waves) - 1  # the last pair: the wave before this one to this one
    if bootstrap_reps:
        boot = m.bootstrap(bootstrap_reps, random_state=random_state)
        boot = boot[boot["pair"] == pair]
    else:
        boot = None
    P = m.transition_table(pair)
    naive = m.naive_table(pair)
    flows = m.flows(pair)
    rows = []
    for i in P.index:
        for j in P.columns:
            r = {"from": int(i), "from name": names.get(int(i), ""), "to": int(j), "to name": names.get(int(j), ""),
                 "probability": float(P.loc[i, j]), "se": np.nan, "low": np.nan, "high": np.nan,
                 "expected movers": float(flows.loc[i, j]), "naive": float(naive.loc[i, j])}
            if boot is not None:
                b = boot[(boot["from"] == i) & (boot["to"] == j)].iloc[0]
                r.update(se=float(b["se"]), low=float(b["low"]), high=float(b["high"]))
            rows.append(r)
    trans = pd.DataFrame(rows)
    st = m.stayers(pair)
    st["stayed (naive)"] = list(np.diag(naive.to_numpy())) + [float(
        (np.diag(naive.to_numpy()) * st["share_at_start"].iloc[:-1].to_numpy()).sum())]
    movers = _movers(m, names, pair)
    if level == "none":
        message = (f"The segments changed meaning between wave {waves[0]} and wave {waves[-1]} "
                   f"({len(test.freed)} of {len(model.features)} items answered differently within the same "
                   "segments): who moved where cannot be read; re-fit the segmentation.")
    else:
        off = trans[trans["from"] != trans["to"]].sort_values("expected movers", ascending=False).iloc[0]
        stay = float(st.loc["all", "stayed"])
        message = (f"{stay:.0%} of the panel stayed in their segment from wave {waves[-2]} to wave {waves[-1]}; the "
                   f"largest move: {off['probability']:.0%} of {off['from name'] or 'segment ' + str(off['from'])} "
                   f"went to {off['to name'] or 'segment ' + str(off['to'])}.")
        if level == "partial":
            message += f" Read under partial invariance ({', '.join(test.freed)} freed)."
    return Migration(waves=tuple(waves), counts=counts, invariance=test.table, level=level,
                     drifted=tuple(test.freed), drift=tuple(drift), transitions=trans, stayers=st.reset_index(),
                     movers=movers, movers_value=_movers_value(m, value, pair), message=message, names=names,
                     n_panel=n_panel, n_boot=int(bootstrap_reps), model=m)


def with_invariance(advice: RefitAdvice, mig: Migration) -> RefitAdvice:
    """The re-fit advice with the panel's measurement-invariance check added: 'due' when the
    segments changed meaning (no partial invariance), 'warn' when items drifted."""
    status = {"full": "ok", "partial": "warn", "none": "due"}[mig.level]
    expl = ("every item means the same at both waves (full invariance)" if mig.level == "full" else
            "; ".join(mig.drift) or f"items drifted: {', '.join(mig.drifted)}")
    row = {c: None for c in advice.table.columns}
    row.update({"check": "measurement invariance (panel)", "value": len(mig.drifted),
                "reference": len(mig.invariance) and 0, "threshold": "fewer than half the items freed",
                "status": status, "explanation": expl})
    table = pd.concat([advice.table, pd.DataFrame([row])], ignore_index=True)
    reasons, warns = list(advice.reasons), list(advice.warnings)
    if status == "due":
        reasons.append("the segments changed meaning between the waves (measurement not invariant)")
    elif status == "warn":
        warns.append(f"{len(mig.drifted)} item(s) answered differently within the same segments")
    if reasons:
        message = f"Re-fit the segmentation: {'; '.join(reasons)}."
    elif warns:
        message = f"No re-fit needed for {advice.wave} yet, but watch: {'; '.join(warns)}."
    else:
        message = advice.message
    return dataclasses.replace(advice, table=table, due=bool(reasons), reasons=reasons, warnings=warns,
                               message=message)


def deck_migration(mig: Migration, names: dict | None = None) -> dict:
    """Plain data for the deck's migration slides (whole per cents, names in client words)."""
    names = {**mig.names, **(names or {})}
    M = mig.matrix()
    segs = [int(s) for s in M.index]
    seg_names = [[s, names.get(s) or f"Segment {s}"] for s in segs]
    out = {"from_wave": str(mig.waves[-2]), "to_wave": str(mig.waves[-1]), "n_panel": int(mig.n_panel),
           "readable": bool(mig.readable), "message": mig.message, "segments": seg_names,
           "drift": list(mig.drift)}
    if not mig.readable:
        return out
    out["matrix"] = [[int(v) for v in round_shares(M.loc[s].to_numpy())] for s in segs]
    flows = mig.transitions.pivot(index="from", columns="to", values="expected movers")
    per = []
    for s in segs:
        inflow = flows[s].drop(s)
        total_in = float(flows[s].sum())
        # stayed: the matrix's own (rounded) diagonal, so the two slides show one value
        per.append({"segment": s, "stayed": out["matrix"][segs.index(s)][segs.index(s)],
                    "came_from": [[names.get(int(f)) or f"Segment {f}", int(round(100 * v / total_in))]
                                  for f, v in inflow.sort_values(ascending=False).items()
                                  if total_in > 0 and v / total_in >= 0.02][:2],
                    "went_to": [[names.get(int(t)) or f"Segment {t}", int(round(100 * v))]
                                for t, v in M.loc[s].drop(s).sort_values(ascending=False).items() if v >= 0.02][:2]})
    out["per_segment"] = per
    return out
