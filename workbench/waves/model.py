"""A chosen segmentation frozen as plain numbers: the model file, and classifying a new wave.

:class:`SegmentModel` holds everything needed to put a respondent of a later wave into
the segments of the wave the model was fitted on, without StepMix or scikit-learn objects:
the answer codes and item-response probabilities (latent classes), the profile means and
covariances (latent profiles) or centroids (k-means, Ward), and, when the segmentation
ran on factor scores, the scoring numbers of each factor solution and the mean and
standard deviation each leftover item was z-scored with. Prediction is numpy and
reproduces :meth:`workbench.segments.Segmentation.predict_proba` to rounding error.

The basis is rebuilt from the raw survey columns exactly as
:func:`workbench.pipeline.segmentation_inputs` and :func:`workbench.segments.candidates`
build it:

* LCA: the coded basis items; missing answers drop out of the likelihood.
* LPA / k-means / Ward with factor solutions: the factor scores of every solution whose
  items all lie in the basis (columns ``"<battery>: <factor>"``, scored from the items a
  respondent answered, as :meth:`EFAResult.scores` does), then the other basis items as
  (weighted) z-scores; without factor solutions, every basis item as a z-score.
* k-means / Ward cannot leave a value missing: a missing z-score becomes 0 (the item
  mean) and a missing factor score the mean it had on the fitted wave, as ``candidates``
  did when fitting.

An answer code the model never saw when it was fitted is treated as missing, and counted.
Files are JSON (UTF-8, sorted keys, floats written so they read back exactly); never pickle.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from ..core.errors import AnalysisError, DataError, StudyError
from ..factors import cfa
from ..files.fileio import atomic_write_text, file_error
from ..core.provenance import package_versions
from ..files.jsonplain import check_format, plain
from ..files.limits import LIMITS, check_file
from ..files.modelcheck import check_model, check_model_dict, check_model_text
from ..segments.methods import get_method, method_names, registered
from .scoring import FactorScoring, code_number, float_array, standardisation_table
from .codebook import codebook_changes, normalise_codebook
from .refit import factor_fit_reference

__all__ = ["SegmentModel", "Classification", "FactorScoring", "load_model", "standardisation_table",
           "FORMAT", "FORMAT_VERSION"]

logger = logging.getLogger(__name__)

FORMAT = "workbench-segment-model"
FORMAT_VERSION = 1  # unchanged by the method registry: the built-in methods' parameters are written as before


# --------------------------------------------------------------------------- classification result


@dataclass(frozen=True, eq=False)
class Classification:
    """A wave classified with a frozen model.

    Attributes
    ----------
    table : DataFrame
        One row per respondent: ``segment`` (Int64, ``<NA>`` without basis answers),
        ``name``, ``probability`` (largest posterior), ``uncertain`` (probability below the
        model's ``uncertain_below``), ``answered`` (basis items answered), ``unseen``
        (answers with a code the model never saw, treated as missing), ``p_1`` .. ``p_k``.
    n, n_classified, n_unclassified, n_uncertain, n_partial : int
        Respondents given; classified; without any basis answer; uncertain; classified
        from part of the basis.
    unseen_codes : dict of str to dict
        Per item, each unseen code and how often it was given.
    uncertain_below : float
    model : str
        Which model classified them (method, k, fitted wave).
    """

    table: pd.DataFrame = field(repr=False)
    n: int
    n_classified: int
    n_unclassified: int
    n_uncertain: int
    n_partial: int
    unseen_codes: dict = field(default_factory=dict, repr=False)
    uncertain_below: float = 0.6
    model: str = ""
    names: dict = field(default_factory=dict, repr=False)

    @property
    def labels(self) -> pd.Series:
        """The segment of every respondent (Int64)."""
        return self.table["segment"]

    @property
    def posteriors(self) -> pd.DataFrame:
        """Membership probabilities (columns 1..k)."""
        cols = [c for c in self.table.columns if str(c).startswith("p_")]
        out = self.table[cols].copy()
        out.columns = pd.RangeIndex(1, len(cols) + 1, name="segment")
        return out

    def sizes(self) -> pd.DataFrame:
        """Respondents per segment (modal assignment): ``name``, ``n``, ``share``, ``uncertain``."""
        lab = self.labels.dropna().astype(int)
        k = len(self.names)
        n = lab.value_counts().reindex(range(1, k + 1), fill_value=0)
        unc = self.table.loc[self.table["uncertain"]].groupby("segment").size().reindex(range(1, k + 1), fill_value=0)
        return pd.DataFrame({"name": [self.names.get(c, f"Segment {c}") for c in n.index], "n": n.to_numpy(),
                             "share": (n / max(n.sum(), 1)).to_numpy(), "uncertain": unc.to_numpy()},
                            index=pd.RangeIndex(1, k + 1, name="segment"))

    def summary(self) -> pd.DataFrame:
        """Counts and segment sizes in one table (column ``value``)."""
        head = {"model": self.model, "respondents": self.n, "classified": self.n_classified,
                "not classified (no basis answer)": self.n_unclassified,
                f"uncertain (probability < {self.uncertain_below:g})": self.n_uncertain,
                "classified from part of the basis": self.n_partial,
                "answers with unseen codes (treated as missing)": int(sum(sum(v.values())
                                                                          for v in self.unseen_codes.values()))}
        for c, row in self.sizes().iterrows():
            head[f"segment {c} ({row['name']})"] = f"{row['n']} ({row['share']:.1%})"
        return pd.DataFrame({"value": pd.Series(head, dtype=object)})

    def __str__(self) -> str:
        s = self.summary()["value"]
        return "\n".join([f"Classification of {self.n} respondents"] + [f"  {k:<48} {v}" for k, v in s.items()])


# --------------------------------------------------------------------------- the model


def _versions(seg_versions: dict) -> dict:
    out = dict(seg_versions or {})
    out.update(package_versions(("jtbd-workbench", "scipy"), python=False))
    return dict(sorted(out.items()))


def fitted_factor_fit(scorings, data: pd.DataFrame) -> dict:
    """The fitted wave's CFA of each factor solution's structure (what a later wave's re-fit
    check compares its own CFA with): battery to chi-square, df, n, CFI, TLI, RMSEA, SRMR.
    A structure that cannot be fitted on the fitted wave is left out (logged)."""
    out = {}
    for fs in scorings:
        scales = {f: [i for i in its if i in data.columns] for f, its in fs.scales.items()}
        scales = {f: its for f, its in scales.items() if len(its) >= 2}
        if not scales:
            continue
        try:
            out[fs.battery] = factor_fit_reference(cfa(data, scales), data)
        except (AnalysisError, DataError) as exc:
            logger.info("model: the factor structure of %s was not confirmed on the fitted wave: %s", fs.battery, exc)
    return out


def _z_scores(name: str, rest: list, standardisation, data, sample_weight) -> dict:
    """``{item: (mean, sd)}`` of the items that entered a continuous basis as z-scores: from
    ``standardisation`` (columns ``mean``, ``sd``) or the fitted wave's ``data``."""
    if standardisation is None:
        if data is None:
            raise AnalysisError(
                f"{name} segments z-scored items ({', '.join(rest[:4])}{' ...' if len(rest) > 4 else ''}): "
                "give the fitted wave's data (data=) or their means and sds (standardisation=)")
        standardisation = standardisation_table(data[rest], sample_weight)
    missing = [c for c in rest if c not in standardisation.index]
    if missing:
        raise AnalysisError(f"standardisation lacks the item(s) {', '.join(missing)}")
    return {c: (float(standardisation.at[c, "mean"]), float(standardisation.at[c, "sd"])) for c in rest}


def _with_data_diagnostics(model, data: pd.DataFrame):
    """``model`` with what only the fitted wave's answers give: the spread of the per-respondent
    log-likelihood (``loglik_sd``) and the fit of its factor solutions (``factor_fit``)."""
    diag = dict(model.diagnostics)
    fit = model.loglik_per_respondent(data).dropna()
    if len(fit) > 1:
        diag["loglik_sd"] = float(fit.std(ddof=1))
    factor_fit = fitted_factor_fit(model.factors, data)
    if factor_fit:
        diag["factor_fit"] = factor_fit
    return dataclasses.replace(model, diagnostics=diag)


def _fit_diagnostics(seg, method, uncertain_below: float) -> dict:
    """The fitted wave's figures a later wave is compared with (model.json's ``diagnostics``):
    n, log-likelihood, certainty of the classification, entropy, BIC, stability and its spread
    over the refits, mean squared distance (k-means / Ward); ``loglik_sd`` is added from data."""
    post = seg.posteriors.to_numpy()
    w = np.ones(len(post)) if seg.weights is None else np.asarray(seg.weights, dtype=float)
    pmax = post.max(axis=1) if len(post) else np.array([np.nan])
    refits = getattr(seg, "stability_refits", ())
    return {
        "n": int(seg.n), "loglik": float(seg.loglik), "n_parameters": int(seg.n_parameters),
        "mean_loglik": float(seg.loglik / seg.n) if method.likelihood else None,
        "mean_max_posterior": float(np.average(pmax, weights=w)) if len(post) else None,
        "share_uncertain": float(np.average(pmax < uncertain_below, weights=w)) if len(post) else None,
        "entropy": float(seg.entropy), "bic": float(seg.bic) if method.likelihood else None,
        "stability": None if seg.stability is None else float(seg.stability),
        "stability_sd": float(np.std(refits, ddof=1)) if len(refits) > 1 else None,
        "stability_refits": len(refits) or None,
        "mean_sq_distance": float(seg.inertia / seg.n) if not method.likelihood else None,
        "loglik_sd": None,
    }


@dataclass(frozen=True, eq=False)
class SegmentModel:
    """A fitted segmentation frozen as plain numbers (see the module notes).

    Build it with :meth:`from_segmentation`, write it with :meth:`save`, read it with
    :func:`load_model`. Segments are numbered as in the fitted segmentation (1 = largest).

    Attributes
    ----------
    method : {'lca', 'lpa', 'kmeans', 'ward'}
    k : int
    basis_items : tuple of str
        The raw survey columns the basis is built from.
    features : tuple of str
        The model's own variables (the items for LCA; factor-score and z-score columns otherwise).
    names : dict of int to str
    shares : ndarray
        Fitted segment shares.
    parameters : dict
        Method-specific arrays: ``probabilities`` (per item: codes × classes, LCA),
        ``means`` / ``covariances`` / ``precisions_cholesky`` / ``variances`` (LPA),
        ``centroids`` (k-means, Ward).
    item_codes : dict of str to list
        The answer codes each basis item had when fitting (others are treated as missing).
    factors : tuple of FactorScoring
        The factor solutions whose items all lie in the basis: they score the continuous
        basis (LPA / k-means / Ward); an LCA model keeps them for the re-fit check's CFA.
    standardisation : dict of str to (mean, sd)
        Items entering a continuous basis as z-scores.
    fill : dict of str to float or None
        k-means / Ward: the value a missing basis variable is replaced with.
    codebook : dict
        The basis items' labels, scales and codes (see :func:`workbench.waves.codebook`).
    study_id, study_hash, wave, fitted : str
    versions : dict
    uncertain_below : float
        A respondent whose largest membership probability is below this is 'uncertain'.
    diagnostics : dict
        The fitted wave's numbers the re-fit check compares with (``n``, ``loglik``,
        ``n_parameters``, ``mean_loglik``, ``loglik_sd``, ``mean_max_posterior``,
        ``share_uncertain``, ``entropy``, ``bic``, ``stability``, ``stability_sd`` and
        ``stability_refits`` (the spread of the bootstrap ARIs), ``mean_sq_distance``, and
        ``factor_fit``: the fitted wave's CFA of each factor solution, see
        :func:`fitted_factor_fit`).
    settings : dict
        The estimator's settings (method options, seed).
    attachments : dict of str to dict
        Free-form plain data kept on round trip (e.g. the typing tool).
    """

    method: str
    k: int
    basis_items: tuple
    features: tuple
    names: dict
    shares: np.ndarray = field(repr=False)
    parameters: dict = field(repr=False)
    item_codes: dict = field(repr=False)
    codebook: dict = field(repr=False)
    study_id: str
    study_hash: str
    wave: str
    fitted: str = ""
    versions: dict = field(default_factory=dict, repr=False)
    factors: tuple = field(default=(), repr=False)
    standardisation: dict = field(default_factory=dict, repr=False)
    fill: dict | None = field(default=None, repr=False)
    uncertain_below: float = 0.6
    diagnostics: dict = field(default_factory=dict, repr=False)
    settings: dict = field(default_factory=dict, repr=False)
    attachments: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_segmentation(cls, seg, *, basis_items, factors=None, standardisation=None, codebook: dict,
                          study_id: str, study_hash: str, wave, names=None, uncertain_below: float = 0.6,
                          data: pd.DataFrame | None = None, sample_weight=None, fill_values=None,
                          attachments=None) -> "SegmentModel":
        """Freeze a fitted :class:`~workbench.segments.Segmentation`.

        Parameters
        ----------
        seg : Segmentation
            From :func:`workbench.segments.candidates` (or ``lca`` / ``lpa`` / ``kmeans`` / ``ward``).
        basis_items : list of str
            The raw survey columns the basis was built from (the coded items).
        factors : dict of str to EFAResult, optional
            The factor solutions (battery name to solution); those whose items all lie in
            ``basis_items`` made the continuous basis, as in the pipeline. Kept for LCA
            too: the re-fit check confirms their structure on a new wave.
        standardisation : DataFrame, optional
            Mean and sd (columns ``mean``, ``sd``) of the items that entered a continuous
            basis as z-scores; computed from ``data`` when not given.
        codebook : dict
            :func:`workbench.waves.codebook` of the study for ``basis_items``.
        study_id, study_hash : str
        wave : str
            The wave the segmentation was fitted on.
        names : dict of int to str, optional
            Segment names (default "Segment 1" ...).
        uncertain_below : float, default=0.6
        data : DataFrame, optional
            The fitted wave's answers (at least ``basis_items``). Gives the z-score means
            and sds (with ``sample_weight``), k-means / Ward fill values, the answer codes
            seen when fitting and the spread of the per-respondent fit; recommended.
        sample_weight : Series, optional
            The weights the segmentation was fitted with (for the z-scores).
        fill_values : Series, optional
            k-means / Ward on factor scores without ``data``: each variable's fill value.
        attachments : dict, optional

        Raises
        ------
        AnalysisError
            The segmentation lacks its fitted estimator, or the rebuilt basis does not
            have the variables it was fitted on (the message names them).
        """
        method = get_method(seg.method)  # AnalysisError naming the registered methods
        est = seg.model
        if est is None or not hasattr(est, "feature_names_in_"):
            raise AnalysisError(f"{seg.name} carries no fitted estimator; freeze a segmentation from workbench.segments")
        basis_items = [str(c) for c in basis_items]
        fitted_features = [str(c) for c in est.feature_names_in_]
        if data is not None:
            lack = [c for c in basis_items if c not in data.columns]
            if lack:
                raise DataError(f"the fitted wave's data lack the basis item(s) {', '.join(lack)}", column=lack[0])
        k = int(seg.k)
        scorings: list[FactorScoring] = []
        std: dict = {}
        fill = None
        for name, res in (factors or {}).items():  # as the pipeline: solutions whose items all lie in the basis
            items = set(getattr(res, "items", []))
            if items and items <= set(basis_items):
                scorings.append(FactorScoring.from_efa(name, res))
        params = method.freeze(est)
        if method.basis == "coded":
            if set(fitted_features) - set(basis_items):
                extra = sorted(set(fitted_features) - set(basis_items))
                raise AnalysisError(f"{seg.name} was fitted on {', '.join(extra)}, which basis_items does not list")
            features = fitted_features
            item_codes = method.item_codes(est)
            if item_codes is None:
                item_codes = _item_codes(basis_items, data, codebook)
        else:
            covered = {i for s in scorings for i in s.items}
            rest = [c for c in basis_items if c not in covered]
            if rest:
                std = _z_scores(seg.name, rest, standardisation, data, sample_weight)
            features = [c for s in scorings for c in s.columns] + rest
            if features != fitted_features:
                raise AnalysisError(
                    f"{seg.name} was fitted on {', '.join(fitted_features[:6])}{' ...' if len(fitted_features) > 6 else ''}"
                    f", but the basis rebuilt from basis_items and factors has {', '.join(features[:6])}"
                    f"{' ...' if len(features) > 6 else ''}; pass the factor solutions and basis items the "
                    "segmentation was fitted with (factor-score columns are named '<battery>: <factor>')")
            item_codes = _item_codes(basis_items, data, codebook)
            if method.complete:  # the value each missing variable is replaced with, as when fitting
                if not scorings:
                    fill = {c: 0.0 for c in features}
                elif fill_values is not None:
                    fill = {c: float(pd.Series(fill_values)[c]) for c in features}
                elif data is not None:
                    model0 = cls._bare(seg.method, k, basis_items, features, scorings, std, item_codes)
                    cont = model0._continuous(model0._items(data)[0])
                    fill = {c: float(v) for c, v in cont.mean().items()}
                else:
                    raise AnalysisError(f"{seg.name} filled missing factor scores with their means: give the fitted "
                                        "wave's data (data=) or fill_values=")
        names = {int(c): str(n) for c, n in (names or {}).items()}
        names = {c: names.get(c, f"Segment {c}") for c in range(1, k + 1)}
        diag = _fit_diagnostics(seg, method, uncertain_below)
        model = cls(
            method=seg.method, k=k, basis_items=tuple(basis_items), features=tuple(features), names=names,
            shares=np.asarray(seg.shares.to_numpy(), dtype=float), parameters=params, item_codes=item_codes,
            codebook=normalise_codebook({c: codebook[c] for c in basis_items if c in codebook}),
            study_id=str(study_id), study_hash=str(study_hash), wave=str(wave), fitted=str(seg.fitted),
            versions=_versions(seg.versions), factors=tuple(scorings), standardisation=std, fill=fill,
            uncertain_below=float(uncertain_below), diagnostics=diag,
            settings=plain({**(seg.settings or {}), "random_state": seg.random_state, "basis": seg.basis,
                             "weighted": seg.weighted}),
            attachments=dict(attachments or {}),
        )
        missing_cb = [c for c in basis_items if c not in codebook]
        if missing_cb:
            raise AnalysisError(f"the codebook lacks the basis item(s) {', '.join(missing_cb)}; build it with "
                                "workbench.waves.codebook(study, basis_items)")
        return model if data is None else _with_data_diagnostics(model, data)

    @classmethod
    def _bare(cls, method, k, basis_items, features, scorings, std, item_codes) -> "SegmentModel":
        return cls(method=method, k=k, basis_items=tuple(basis_items), features=tuple(features), names={},
                   shares=np.ones(k) / k, parameters={}, item_codes=item_codes, codebook={}, study_id="",
                   study_hash="", wave="", factors=tuple(scorings), standardisation=std)

    # ------------------------------------------------------------------ naming
    @property
    def method_object(self):
        """The registered :class:`~workbench.segments.methods.SegmentationMethod` of ``method``."""
        return get_method(self.method)

    @property
    def name(self) -> str:
        return f"{self.method} k={self.k} (wave {self.wave})"

    def __repr__(self) -> str:
        return (f"SegmentModel({self.method} k={self.k}, {len(self.basis_items)} basis items, study "
                f"{self.study_id!r}, wave {self.wave!r})")

    def summary(self) -> pd.DataFrame:
        """Provenance, basis and fitted segment shares (column ``value``)."""
        head = {"method": self.method, "segments (k)": self.k, "study": self.study_id,
                "study definition hash": self.study_hash[:12], "fitted on wave": self.wave, "fitted (UTC)": self.fitted,
                "basis items": len(self.basis_items), "model variables": len(self.features),
                "factor solutions": ", ".join(f.battery for f in self.factors) or "none",
                "uncertain below": self.uncertain_below}
        head.update({f"diagnostic {k}": v for k, v in self.diagnostics.items()
                     if v is not None and not isinstance(v, dict)})
        for battery, f in (self.diagnostics.get("factor_fit") or {}).items():
            cfi, rmsea = (float("nan") if f.get(x) is None else float(f[x]) for x in ("CFI", "RMSEA"))
            head[f"diagnostic factor fit {battery}"] = (f"CFI {cfi:.3f}, RMSEA {rmsea:.3f} (n = {int(f['n'])})"
                                                      if math.isfinite(rmsea) else
                                                      f"CFI {cfi:.3f}, RMSEA not defined (n = {int(f['n'])})")
        for c, s in zip(range(1, self.k + 1), self.shares):
            head[f"segment {c} ({self.names.get(c, '')})"] = f"{s:.1%}"
        return pd.DataFrame({"value": pd.Series(head, dtype=object)})

    # ------------------------------------------------------------------ the basis
    def _items(self, data: pd.DataFrame):
        """The basis items as floats, unseen codes set missing: (frame, unseen mask)."""
        if not isinstance(data, pd.DataFrame):
            raise DataError("data must be a DataFrame of respondents × survey columns")
        lack = [c for c in self.basis_items if c not in data.columns]
        if lack:
            raise DataError(f"the data lack the basis item(s) {', '.join(lack)} the model was fitted on",
                            column=lack[0])
        if data.index.has_duplicates:
            dup = data.index[data.index.duplicated()][0]
            raise DataError(f"respondent {dup} appears more than once; each respondent must appear once")
        out, unseen = {}, {}
        for c in self.basis_items:
            s = data[c]
            x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            bad = np.isnan(x) & s.notna().to_numpy()
            if bad.any():
                i = int(np.argmax(bad))
                raise DataError(f"basis item '{c}' holds {s.iloc[i]!r} (respondent {data.index[i]}), not an answer "
                                "code", column=c)
            codes = self.item_codes.get(c)
            mask = np.zeros(len(x), dtype=bool)
            if codes:
                obs = ~np.isnan(x)
                mask[obs] = ~np.isin(x[obs], np.asarray(codes, dtype=float))
                x = np.where(mask, np.nan, x)
            out[c], unseen[c] = x, mask
        return pd.DataFrame(out, index=data.index), pd.DataFrame(unseen, index=data.index)

    def _continuous(self, items: pd.DataFrame) -> pd.DataFrame:
        parts = {}
        for fs in self.factors:
            sc = fs.scores(items[list(fs.items)].to_numpy(dtype=float))
            for j, col in enumerate(fs.columns):
                parts[col] = sc[:, j]
        for c, (m, sd) in self.standardisation.items():
            parts[c] = (items[c].to_numpy(dtype=float) - m) / sd
        return pd.DataFrame(parts, index=items.index)[list(self.features)]

    def basis(self, data: pd.DataFrame) -> pd.DataFrame:
        """The model's variables for ``data`` (coded items for LCA; factor scores and
        z-scores otherwise; k-means / Ward with missing values filled as when fitting)."""
        items, _ = self._items(data)
        if self.method_object.basis == "coded":
            return items[list(self.features)]
        cont = self._continuous(items)
        if self.fill is not None:
            cont = cont.fillna(pd.Series(self.fill))
        return cont

    # ------------------------------------------------------------------ prediction
    def _log_joint(self, X: np.ndarray) -> np.ndarray:
        """log P(x, segment) of complete-or-partial rows (each with at least one value): the method's own scoring."""
        return self.method_object.log_joint(self.parameters, X, self.shares, list(self.features))

    def _predict(self, data: pd.DataFrame):
        items, unseen = self._items(data)
        answered = items.notna().sum(axis=1)
        coded = self.method_object.basis == "coded"
        if coded:  # only the modelled items carry information
            answered_model = items[list(self.features)].notna().sum(axis=1)
        else:
            answered_model = answered
        X = self.basis(data).to_numpy(dtype=float) if not coded else items[list(self.features)].to_numpy()
        has = (answered_model > 0).to_numpy()
        lj = np.full((len(X), self.k), np.nan)
        if has.any():
            lj[has] = self._log_joint(X[has])
        return lj, has, answered, unseen

    def predict_proba(self, data: pd.DataFrame) -> pd.DataFrame:
        """Membership probabilities of each respondent (columns 1..k; a NaN row without answers).

        Hard methods (k-means, Ward) give 0/1 (nearest centroid).
        """
        lj, has, _, _ = self._predict(data)
        return pd.DataFrame(self._posterior(lj, has), index=data.index,
                            columns=pd.RangeIndex(1, self.k + 1, name="segment"))

    def _posterior(self, lj, has) -> np.ndarray:
        out = np.full(lj.shape, np.nan)
        if has.any():
            out[has] = self.method_object.posterior(lj[has])
        return out

    def predict(self, data: pd.DataFrame) -> pd.Series:
        """Segment of each respondent (Int64, ``<NA>`` without basis answers)."""
        return self.classify(data).labels

    def loglik_per_respondent(self, data: pd.DataFrame) -> pd.Series:
        """Each respondent's log-likelihood under the model, ``log Σ_c π_c f(x | c)``
        (answered items only; NaN without answers). For k-means and Ward: minus half the
        squared distance to the nearest centroid (the log-likelihood of unit-variance
        spherical clusters, up to a constant)."""
        lj, has, _, _ = self._predict(data)
        out = np.full(len(lj), np.nan)
        if has.any():
            out[has] = self.method_object.loglik(lj[has])
        return pd.Series(out, index=data.index, name="loglik")

    def classify(self, data: pd.DataFrame) -> Classification:
        """Assign every respondent of ``data`` to a segment.

        Parameters
        ----------
        data : DataFrame
            Respondents × survey columns holding at least the basis items (the wave's
            clean responses); missing answers NaN.

        Returns
        -------
        Classification

        Raises
        ------
        DataError
            A basis item is missing from ``data`` or holds text.
        """
        lj, has, answered, unseen = self._predict(data)
        post = self._posterior(lj, has)
        seg = pd.array([pd.NA] * len(post), dtype="Int64")
        prob = np.full(len(post), np.nan)
        if has.any():
            seg[has] = post[has].argmax(axis=1) + 1
            prob[has] = post[has].max(axis=1)
        table = pd.DataFrame({"segment": seg}, index=data.index)
        table["name"] = [self.names.get(int(s), "") if not pd.isna(s) else "" for s in seg]
        table["probability"] = prob
        table["uncertain"] = has & (prob < self.uncertain_below)
        table["answered"] = answered.astype(int).to_numpy()
        table["unseen"] = unseen.sum(axis=1).astype(int).to_numpy()
        for c in range(self.k):
            table[f"p_{c + 1}"] = post[:, c]
        counts = {}
        for c in unseen.columns:
            if unseen[c].any():
                vals = pd.to_numeric(data.loc[unseen[c].to_numpy(), c], errors="coerce")
                counts[c] = {code_number(v): int(n) for v, n in vals.value_counts().sort_index().items()}
        if counts:
            logger.warning("classify: %d answer(s) with codes the model never saw were treated as missing (%s)",
                           sum(sum(v.values()) for v in counts.values()), ", ".join(counts))
        return Classification(
            table=table, n=len(table), n_classified=int(has.sum()), n_unclassified=int((~has).sum()),
            n_uncertain=int(table["uncertain"].sum()),
            n_partial=int((has & (answered.to_numpy() < len(self.basis_items))).sum()),
            unseen_codes=counts, uncertain_below=self.uncertain_below, model=self.name, names=dict(self.names),
        )

    # ------------------------------------------------------------------ profiles
    def profiles(self) -> pd.DataFrame:
        """Each segment's expected value of every model variable (variables × segments):
        expected answer code (LCA), profile mean (LPA) or centroid."""
        seg = pd.RangeIndex(1, self.k + 1, name="segment")
        return pd.DataFrame(self.method_object.profiles(self.parameters, list(self.features)),
                            index=list(self.features), columns=seg)

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict:
        """The model as plain JSON-ready data."""
        params = self.method_object.to_json(dict(self.parameters))
        return plain({
            "format": FORMAT, "format_version": FORMAT_VERSION, "method": self.method, "k": self.k,
            "study": {"id": self.study_id, "hash": self.study_hash}, "wave": self.wave, "fitted": self.fitted,
            "versions": self.versions, "basis_items": list(self.basis_items), "features": list(self.features),
            "names": {str(c): n for c, n in self.names.items()}, "shares": self.shares, "parameters": params,
            "item_codes": self.item_codes, "codebook": self.codebook,
            "factors": [f.to_dict() for f in self.factors],
            "standardisation": {c: {"mean": m, "sd": s} for c, (m, s) in self.standardisation.items()},
            "fill": self.fill, "uncertain_below": self.uncertain_below, "diagnostics": self.diagnostics,
            "settings": self.settings, "attachments": self.attachments,
        })

    @classmethod
    def from_dict(cls, d: dict, *, source=None) -> "SegmentModel":
        """Rebuild a model from :meth:`to_dict`'s data.

        Raises
        ------
        DataError
            Not a workbench segment model, a newer format, or a malformed entry (``source``
            names the file).
        """
        check_format(d, FORMAT, FORMAT_VERSION, what="a workbench segment model", file=source, key="format_version",
                     advice="update the workbench to load it, or give the model.json a workbench run wrote")
        try:
            method = d["method"]
            if not registered(method):
                raise ValueError(f"unknown method {method!r}; the registered methods are {', '.join(method_names())}")
            params = get_method(method).from_json(d["parameters"])
            return cls(
                method=method, k=int(d["k"]), basis_items=tuple(d["basis_items"]), features=tuple(d["features"]),
                names={int(c): str(n) for c, n in d["names"].items()}, shares=float_array(d["shares"]), parameters=params,
                item_codes={c: (None if v is None else [code_number(x) for x in v]) for c, v in d["item_codes"].items()},
                codebook=normalise_codebook(d["codebook"]), study_id=str(d["study"]["id"]),
                study_hash=str(d["study"]["hash"]), wave=str(d["wave"]), fitted=str(d.get("fitted", "")),
                versions=dict(d.get("versions") or {}),
                factors=tuple(FactorScoring.from_dict(f) for f in d.get("factors") or []),
                standardisation={c: (float(v["mean"]), float(v["sd"])) for c, v in (d.get("standardisation") or {}).items()},
                fill=None if d.get("fill") is None else {c: float(v) for c, v in d["fill"].items()},
                uncertain_below=float(d.get("uncertain_below", 0.6)), diagnostics=dict(d.get("diagnostics") or {}),
                settings=dict(d.get("settings") or {}), attachments=dict(d.get("attachments") or {}),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            what = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
            raise DataError(f"the segment model file is damaged ({what}); write it again with workbench",
                            file=source) from None

    def to_json(self) -> str:
        """The model file's text (sorted keys, two-space indents, UTF-8 characters kept)."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def save(self, path) -> Path:
        """Write the model as JSON (``path``, or ``path/model.json`` for a folder), atomically.

        Returns
        -------
        Path
            The file written.
        """
        path = Path(path)
        if path.is_dir():
            path = path / "model.json"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise file_error(exc, path.parent, doing="create the folder") from None
        atomic_write_text(path, self.to_json(), what="the model file")
        logger.debug("model: %s written to %s", self.name, path)
        return path


def _item_codes(basis_items, data, codebook) -> dict:
    """The answer codes of each basis item on the fitted wave (from ``data``, else the codebook)."""
    if data is not None:
        return {c: sorted({code_number(v) for v in pd.to_numeric(data[c], errors="coerce").dropna().unique()})
                for c in basis_items}
    return {c: sorted(code_number(v) for v in codebook.get(c, {}).get("codes", {})) or None for c in basis_items}


def reworded_columns(study) -> set[str]:
    """The columns ``segmentation.reworded`` names, directly or by their block."""
    names = set(study.spec.segmentation.reworded)
    return {c for c, col in study.columns.items() if c in names or col.block in names}


def _check_scorers(model: "SegmentModel", path) -> None:
    """The typing tool and whole-base model attached to a model file, rebuilt once on load so that a
    malformed entry is named here, not met by ``classify``, ``run --model`` or ``export-sql`` (issue 24)."""
    from .accounts_model import check_section as check_accounts_section
    from .base import BaseModel
    from .golden import TypingTool

    for key, cls in (("typing_tool", TypingTool), ("base_model", BaseModel)):
        att = model.attachments.get(key)
        if att is None:
            continue
        if not isinstance(att, dict):
            raise DataError(f"the model file's attachments.{key} is {type(att).__name__}, not the scorer a workbench "
                            "run writes; write the model again with `workbench run`", file=path)
        try:
            cls.from_dict(att)
        except DataError as exc:
            raise DataError(exc.message, file=path) from None
    check_accounts_section(model.attachments, model.k, path)  # account classes (issue 29)


def load_model(path, study=None) -> SegmentModel:
    """Read a model file, and check it against the current study.

    Parameters
    ----------
    path : str or Path
        ``model.json`` or the report folder holding it.
    study : Study, optional
        When given, the model's study id must match and its codebook must equal the
        study's definition of the basis items.

    Returns
    -------
    SegmentModel

    Raises
    ------
    DataError
        The file is missing, not JSON, not a workbench model, from a newer workbench, or damaged.
    StudyError
        The model belongs to another study, or the basis questions changed: every change
        is listed (``problems``), the file named.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "model.json"
    if not path.exists():
        raise DataError("model file not found; a workbench run writes model.json into the wave's report folder",
                        file=path)
    check_file(path, max_bytes=LIMITS["model"].max_bytes, what="model file")  # bounded, validated before use
    try:
        d = check_model_text(path.read_text(encoding="utf-8"), path)
    except UnicodeDecodeError:
        raise DataError("the model file is not UTF-8 text; give the model.json a workbench run wrote", file=path) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"the model file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                        "it may be truncated or edited by hand; write it again with workbench", file=path) from None
    check_model_dict(d, path)
    model = SegmentModel.from_dict(d, source=path)
    check_model(model, path)
    _check_scorers(model, path)
    if study is not None:
        from .codebook import codebook as _codebook

        if model.study_id != study.id:
            raise StudyError(f"the model belongs to study {model.study_id!r}, not {study.id!r}; use the model of "
                             "this study", file=path)
        current = _codebook(study, [c for c in model.basis_items if c in study.columns])
        reworded = reworded_columns(study)
        changes = codebook_changes(model.codebook, current, reworded=reworded)
        if changes:
            n = len(changes)
            raise StudyError(
                f"the study's basis questions changed since the model was fitted on wave {model.wave} "
                f"({n} change{'s' if n != 1 else ''}); classifying with it would misplace respondents: re-fit the "
                "segmentation, or undo the changes; if only the wording changed (same codes, same meaning), list "
                "those questions or their blocks under segmentation.reworded: to keep tracking",
                file=path, problems=changes)
        accepted = codebook_changes(model.codebook, current) if reworded else []
        for line in accepted:
            logger.info("model: %s (accepted: segmentation.reworded says only the wording changed)", line)
        if model.study_hash != study.hash:
            logger.info("model: the study definition changed since wave %s was fitted, but not its basis questions",
                        model.wave)
    return model
