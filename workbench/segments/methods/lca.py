"""Latent class analysis (``'lca'``): the answer codes, nominal or ordinal items, missing answers
in the likelihood (:class:`workbench.segments.LatentClassModel`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from ...core.stats import logsumexp

from .._lca import LCAData
from .._models import LatentClassModel
from ...files.modelcheck import finite, probabilities, unusable
from .base import Basis, SegmentationMethod, register

__all__ = ["LatentClasses"]

_CLIP = 1e-15  # StepMix clips item-response probabilities to [1e-15, 1 - 1e-15]


def code_number(v):
    """An answer code as JSON keeps it: a whole number as int, else float."""
    f = float(v)
    return int(f) if f.is_integer() else f


def ordinal_log_probs(spec: dict) -> np.ndarray:
    """(codes, k) log P(code | class) of an ordinal item from its thresholds τ and class
    locations β: ``τ_r + β_c s_r`` normalised over the codes, ``s_r = 0..C-1`` (adjacent-category logit)."""
    tau = np.asarray(spec["thresholds"], dtype=float)  # (C,), tau[0] = 0
    beta = np.asarray(spec["locations"], dtype=float)  # (k,)
    eta = tau[:, None] + np.arange(len(tau))[:, None] * beta[None, :]
    return np.maximum(eta - logsumexp(eta, axis=0, keepdims=True), np.log(_CLIP))


class LatentClasses(SegmentationMethod):
    """Latent classes of the coded answers. Frozen parameters: ``probabilities`` — per item the
    answer ``codes`` and ``values`` (codes × classes), with ``thresholds`` and ``locations``
    for an ordinal item."""

    name, short, long = "lca", "LCA", "latent class analysis"
    basis = "coded"
    likelihood = soft = adds_starts = True

    def estimator(self, k, settings, basis: Basis | None = None):
        return LatentClassModel(k, measurement=settings.measurement, n_init=settings.n_init,
                                init_iter=settings.init_iter, n_final=settings.n_final, max_iter=settings.max_iter,
                                tol=settings.tol, random_state=settings.random_state if basis is None else basis.random_state,
                                progress=False, max_starts=settings.max_starts)

    def blrt_task(self, est, h0, frame: pd.DataFrame, settings) -> dict:
        enc = est.encoding_
        used = frame.loc[est.posteriors_.index]
        ordinal = np.array([est.measurement_[c] == "ordinal" for c in enc.columns])
        data = LCAData.from_codes(enc.codes(used), [len(c) for c in enc.categories], ordinal)
        if est.sample_weight_ is not None:
            data = dataclasses.replace(data, weights=np.asarray(est.sample_weight_, dtype=float), weighted=True)
        return dict(data=data, theta_k=est.theta_, theta_h0=h0.theta_, n_starts=int(settings.blrt_starts))

    def check(self, parameters, k, features, path) -> None:
        p, feats = parameters, list(features)
        probs = p.get("probabilities") or {}
        missing = [f for f in feats if f not in probs]
        if missing:
            raise unusable(path, f"no answer probabilities for feature(s) {', '.join(missing[:5])}")
        for item in feats:
            codes = finite(probs[item]["codes"], path, f"the codes of {item}")
            vals = finite(probs[item]["values"], path, f"the probabilities of {item}")
            if vals.shape != (len(codes), k):
                raise unusable(path, f"the probabilities of {item} have shape {vals.shape}, not ({len(codes)}, {k}) "
                                 "(answer codes x segments)")
            probabilities(vals, path, f"the probabilities of {item}", axis=0)

    # ------------------------------------------------------------------ the frozen model
    def freeze(self, est) -> dict:
        enc = est.encoding_
        pis = np.asarray(est.probabilities_, dtype=float)  # (k, all items' codes)
        probs, start = {}, 0
        for j, (item, cats) in enumerate(zip(enc.columns, enc.categories)):
            block = pis[:, start:start + len(cats)]  # (k, codes)
            start += len(cats)
            probs[item] = {"codes": [code_number(c) for c in cats], "values": block.T.copy()}  # codes × classes
            if j in est.ordinal_params_:  # ordinal item: thresholds and locations, the probabilities follow
                par = est.ordinal_params_[j]
                probs[item].update(thresholds=np.asarray(par["thresholds"], dtype=float),
                                   locations=np.asarray(par["locations"], dtype=float))
        return {"probabilities": probs}

    def item_codes(self, est) -> dict:
        enc = est.encoding_
        return {item: [code_number(c) for c in cats] for item, cats in zip(enc.columns, enc.categories)}

    def log_joint(self, parameters, X, shares, features) -> np.ndarray:
        cols, logp = [], []
        for j, item in enumerate(features):
            spec = parameters["probabilities"][item]
            codes = np.asarray(spec["codes"], dtype=float)
            onehot = (X[:, j][:, None] == codes[None, :]).astype(float)  # NaN rows stay all zero
            cols.append(onehot)
            logp.append(ordinal_log_probs(spec) if "thresholds" in spec else
                        np.log(np.clip(np.asarray(spec["values"], dtype=float), _CLIP, 1 - _CLIP)))
        return np.hstack(cols) @ np.vstack(logp) + np.log(shares)

    def profiles(self, parameters, features) -> np.ndarray:
        rows = []
        for item in features:
            spec = parameters["probabilities"][item]
            v = np.asarray(spec["values"], dtype=float)
            v = v / v.sum(axis=0, keepdims=True)
            rows.append(np.asarray(spec["codes"], dtype=float) @ v)
        return np.vstack(rows)

    def to_json(self, parameters) -> dict:
        return {"probabilities": {i: {key: v[key] for key in ("codes", "values", "thresholds", "locations") if key in v}
                                  for i, v in parameters["probabilities"].items()}}

    def from_json(self, raw) -> dict:
        return {"probabilities": {i: {"codes": [code_number(c) for c in v["codes"]],
                                      "values": np.asarray(v["values"], dtype=float),
                                      **{key: np.asarray(v[key], dtype=float) for key in ("thresholds", "locations")
                                         if key in v}}
                                  for i, v in raw["probabilities"].items()}}


register(LatentClasses())
