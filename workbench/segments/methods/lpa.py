"""Latent profile analysis (``'lpa'``): a Gaussian mixture of the continuous basis (factor
scores or z-scores; :class:`workbench.segments.LatentProfileModel`), the covariance structure
given or chosen by BIC (``covariance='auto'``, mclust's rule)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._covariance import covariance_by_bic
from .._gmm import GaussianData
from .._models import LatentProfileModel
from .._results import Segmentation
from ...files.modelcheck import finite, unusable
from .base import Basis, MethodFit, SegmentationMethod, register

__all__ = ["LatentProfiles", "gaussian_log_prob", "AUTO_STARTS"]

#: random starts per (structure, k) when ``covariance="auto"`` chooses the structure
AUTO_STARTS = 3
#: LPA on standardised items (discrete): a profile whose members all give one answer has no
#: variance on that item, and the likelihood runs off to infinity without a floor
ITEMS_REG_COVAR = 1e-2


class LatentProfiles(SegmentationMethod):
    """Latent profiles of the continuous basis. Frozen parameters: ``covariance``, ``measurement``,
    ``means`` (k, d), ``covariances`` and ``precisions_cholesky`` (scikit-learn's shapes),
    ``variances`` (k, d)."""

    name, short, long = "lpa", "LPA", "latent profile analysis"
    likelihood = soft = True

    @staticmethod
    def reg_covar(basis: Basis) -> float:
        return 1e-6 if basis.scores_given else ITEMS_REG_COVAR

    def estimator(self, k, settings, basis: Basis | None = None):
        return LatentProfileModel(k, covariance=settings.covariance, n_init=settings.n_init,
                                  init_iter=settings.init_iter, n_final=settings.n_final, max_iter=settings.max_iter,
                                  tol=settings.tol, reg_covar=self.reg_covar(basis), random_state=basis.random_state,
                                  progress=False)

    def fit(self, basis: Basis, settings, *, n_jobs: int = 1, progress: bool = False) -> MethodFit:
        out = MethodFit()
        if settings.covariance == "auto":
            # the structure is chosen with a few starts per (structure, k); the chosen one is then
            # fitted like any other candidate, with every start
            cont = basis.continuous
            used = cont.loc[cont.notna().any(axis=1)]
            w = None
            if basis.weights is not None:
                w = basis.weights.loc[used.index].to_numpy(dtype=float)
                w = w * (len(w) / w.sum())
            pick = min(settings.n_init, AUTO_STARTS)
            structure, _, table, _ = covariance_by_bic(
                used, list(settings.k_range), sample_weight=w, n_init=pick, init_iter=settings.init_iter, n_final=1,
                max_iter=settings.max_iter, tol=settings.tol, min_class_share=settings.min_class_share,
                reg_covar=self.reg_covar(basis), random_state=basis.random_state, n_jobs=n_jobs)
            fitted = [s for s in table.index if table.loc[s, [f"k={k}" for k in settings.k_range]].notna().any()]
            out.notes.append(f"LPA covariance '{structure}' chosen by BIC among {', '.join(fitted)} "
                             f"({pick} start(s) each; see the 'LPA covariance (BIC)' table)")
            out.tables["covariance_bic"] = table
            settings = settings.but(covariance=structure)
        out.settings["covariance"] = settings.covariance
        out.basis_note = basis.continuous_note + f"; covariance '{settings.covariance}'" + (
            "; variances regularised by 0.01 (the items are discrete)" if not basis.scores_given else "")
        frame = self.frame(basis)
        for k in settings.k_range:
            self.fit_one(out, k, frame, basis, settings, n_jobs=n_jobs, progress=progress)
        return out

    def fresh(self, frame, k, *, n_init, random_state, like=None):
        same = like is not None and like.method == self.name  # keep the frozen model's structure
        cov = like.parameters.get("covariance", "diag") if same else "diag"
        reg = float(like.settings.get("reg_covar", 1e-6) if same else ITEMS_REG_COVAR)
        est = LatentProfileModel(k, covariance=cov, reg_covar=reg, n_init=n_init, random_state=random_state,
                                 progress=False).fit(frame)
        return Segmentation.from_model(est, basis=f"{est.n_features_in_} continuous variables")

    def blrt_task(self, est, h0, frame: pd.DataFrame, settings) -> dict:
        used = frame.loc[est.posteriors_.index].to_numpy(dtype=float)
        w = None if est.sample_weight_ is None else np.asarray(est.sample_weight_, dtype=float)
        data = GaussianData.build(used, est.covariance, float(est.reg_covar), w, prior=est.prior)
        return dict(kind="lpa", data=data, params_k=est.params_, params_h0=h0.params_)

    def check(self, parameters, k, features, path) -> None:
        p, feats = parameters, list(features)
        means = finite(p.get("means"), path, "means")
        if means.shape != (k, len(feats)):
            raise unusable(path, f"means have shape {means.shape}, not ({k}, {len(feats)}) (segments x features)")
        cov = p.get("covariance")
        f = len(feats)
        shapes = {"full": (k, f, f), "tied": (f, f), "diag": (k, f), "spherical": (k,)}
        if cov is not None and cov not in shapes:
            raise unusable(path, f"covariance = {cov!r}; expected one of {', '.join(shapes)}")
        with_missing = str(p.get("measurement", "")).endswith("_nan")  # (k, features) variances whatever the type
        for key in ("covariances", "precisions_cholesky"):
            if key in p:
                arr = finite(p[key], path, key)
                want = (k, f) if with_missing and key == "covariances" else shapes.get(cov)
                if cov is not None and arr.shape != want:
                    raise unusable(path, f"{key} have shape {arr.shape}, not {want} as covariance '{cov}' with "
                                     f"k = {k} segments and {f} features needs")
                tied = str(cov) == "tied"
                if not tied and (arr.ndim == 0 or arr.shape[0] != k):
                    raise unusable(path, f"{key} have shape {arr.shape}; the first dimension must be k = {k}")
                if key == "covariances" and arr.ndim <= 2 and (cov != "tied" or with_missing) and (arr <= 0).any():
                    raise unusable(path, "a variance is zero or negative")
                if key == "covariances" and not with_missing and cov in ("full", "tied") and arr.ndim >= 2:
                    diag = np.diagonal(arr, axis1=-2, axis2=-1)
                    if (diag <= 0).any():
                        raise unusable(path, "a variance (a diagonal entry of a covariance matrix) is zero or negative")

    # ------------------------------------------------------------------ the frozen model
    def freeze(self, est) -> dict:
        mp = est.measurement_parameters()
        params = dict(covariance=est.covariance, measurement=est._measurement,
                      means=np.asarray(mp["means"], dtype=float),
                      covariances=np.asarray(mp["covariances"], dtype=float),
                      variances=est.variances().to_numpy().T.copy())
        if "precisions_cholesky" in mp:
            params["precisions_cholesky"] = np.asarray(mp["precisions_cholesky"], dtype=float)
        return params

    def log_joint(self, parameters, X, shares, features) -> np.ndarray:
        return gaussian_log_prob(X, parameters) + np.log(shares)

    def profiles(self, parameters, features) -> np.ndarray:
        return np.asarray(parameters["means"]).T


register(LatentProfiles())


def gaussian_log_prob(X: np.ndarray, p: dict) -> np.ndarray:
    """log f(x | profile) as StepMix / scikit-learn compute it; a partly missing row uses
    its observed variables only (the marginal of the profile's Gaussian)."""
    cov_type, measurement = p["covariance"], str(p["measurement"])
    means = np.asarray(p["means"], dtype=float)
    n, dim = X.shape
    k = means.shape[0]
    out = np.empty((n, k))
    obs = ~np.isnan(X)
    complete = obs.all(axis=1)
    if measurement.endswith("_nan"):  # StepMix's GaussianNan likelihood (diagonal)
        cov = np.asarray(p["covariances"], dtype=float)
        for c in range(k):
            diff = np.nan_to_num(X - means[c].reshape(1, -1))
            ll_diff = ((diff**2) * (1 / cov[c]).reshape(1, -1)).sum(axis=1)
            pi_cov = np.where(obs, 2 * np.pi * np.tile(cov[c], (n, 1)), 1)
            out[:, c] = -0.5 * (np.log(pi_cov).sum(axis=1) + ll_diff)
        return out
    if complete.any():  # scikit-learn's _estimate_log_gaussian_prob
        Xc = X[complete]
        pc = np.asarray(p["precisions_cholesky"], dtype=float)
        if cov_type == "full":
            log_det = np.sum(np.log(pc.reshape(k, -1)[:, :: dim + 1]), axis=1)
            lp = np.empty((len(Xc), k))
            for c in range(k):
                y = np.dot(Xc, pc[c]) - np.dot(means[c], pc[c])
                lp[:, c] = np.sum(np.square(y), axis=1)
        elif cov_type == "tied":
            log_det = np.sum(np.log(np.diag(pc)))
            lp = np.empty((len(Xc), k))
            for c in range(k):
                y = np.dot(Xc, pc) - np.dot(means[c], pc)
                lp[:, c] = np.sum(np.square(y), axis=1)
        elif cov_type == "diag":
            log_det = np.sum(np.log(pc), axis=1)
            prec = pc**2
            lp = np.sum((means**2 * prec), 1) - 2.0 * np.dot(Xc, (means * prec).T) + np.dot(Xc**2, prec.T)
        else:
            log_det = dim * np.log(pc)
            prec = pc**2
            lp = (np.sum(means**2, 1) * prec - 2 * np.dot(Xc, means.T * prec)
                  + np.outer(np.einsum("ij,ij->i", Xc, Xc), prec))
        out[complete] = -0.5 * (dim * np.log(2 * np.pi) + lp) + log_det
    partial = np.flatnonzero(~complete)
    if len(partial):
        if cov_type in ("diag", "spherical"):
            var = np.asarray(p["variances"], dtype=float)  # (k, d)
            Xp, op = X[partial], obs[partial]
            diff = np.nan_to_num(Xp[:, None, :] - means[None, :, :])
            terms = np.where(op[:, None, :], np.log(2 * np.pi * var)[None, :, :] + diff**2 / var[None, :, :], 0.0)
            out[partial] = -0.5 * terms.sum(axis=2)
        else:  # tied / full: the marginal Gaussian of the observed variables
            cov = np.asarray(p["covariances"], dtype=float)
            covs = [cov] * k if cov_type == "tied" else list(cov)
            for i in partial:
                o = np.flatnonzero(obs[i])
                for c in range(k):
                    s = covs[c][np.ix_(o, o)]
                    diff = X[i, o] - means[c, o]
                    _, logdet = np.linalg.slogdet(s)
                    out[i, c] = -0.5 * (len(o) * np.log(2 * np.pi) + logdet + diff @ np.linalg.solve(s, diff))
    return out
