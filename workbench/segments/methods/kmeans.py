"""k-means (``'kmeans'``) on the continuous basis, missing values filled; a hard partition
classified by the nearest centroid (:class:`workbench.segments.KMeansModel`)."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from .._models import KMeansModel
from .._results import Segmentation
from ...files.modelcheck import finite, unusable
from .base import Basis, SegmentationMethod, register

__all__ = ["KMeans", "CentroidMethod"]


class CentroidMethod(SegmentationMethod):
    """A hard partition of the (filled) continuous basis, classified by the nearest centroid.
    Frozen parameters: ``centroids`` (k, d); the frozen model also keeps each variable's fill
    value."""

    complete = True

    def fit_one(self, out, k, frame, basis, settings, *, n_jobs=1, progress=False) -> None:
        with threadpool_limits(limits=1):  # one thread: the same centroids on every machine
            super().fit_one(out, k, frame, basis, settings, n_jobs=n_jobs, progress=progress)

    def freeze(self, est) -> dict:
        return {"centroids": np.asarray(est.centroids_, dtype=float)}

    def log_joint(self, parameters, X, shares, features) -> np.ndarray:
        # minus half the squared distance: the log-likelihood of unit-variance spherical clusters, up to a constant
        d = ((X[:, None, :] - np.asarray(parameters["centroids"])[None, :, :]) ** 2).sum(axis=2)
        return -0.5 * d

    def profiles(self, parameters, features) -> np.ndarray:
        return np.asarray(parameters["centroids"]).T

    def from_json(self, raw) -> dict:
        return {"centroids": np.asarray(raw["centroids"], dtype=float)}

    def check(self, parameters, k, features, path) -> None:
        p, feats = parameters, list(features)
        cent = finite(p.get("centroids"), path, "centroids")
        if cent.shape != (k, len(feats)):
            raise unusable(path, f"centroids have shape {cent.shape}, not ({k}, {len(feats)}) (segments x features)")


class KMeans(CentroidMethod):
    name, short, long = "kmeans", "k-means", "k-means"

    def estimator(self, k, settings, basis: Basis | None = None):
        return KMeansModel(k, n_init=settings.n_init,
                           random_state=settings.random_state if basis is None else basis.random_state)

    def fresh(self, frame, k, *, n_init, random_state, like=None):
        est = KMeansModel(k, n_init=n_init, random_state=random_state).fit(frame)
        return Segmentation.from_model(est, basis=f"{est.n_features_in_} continuous variables")


register(KMeans())
