"""Ward's hierarchical clustering (``'ward'``) on the continuous basis, missing values filled,
unweighted; classified later by the nearest centroid (:class:`workbench.segments.WardModel`)."""

from __future__ import annotations

from .._models import WardModel
from .._results import Segmentation
from .base import Basis, register
from .kmeans import CentroidMethod

__all__ = ["Ward"]


class Ward(CentroidMethod):
    name, short, long = "ward", "Ward", "Ward clustering"
    weighted = False

    def basis_note(self, basis: Basis, settings) -> str:
        note = basis.continuous_note + ("; missing values set to the mean" if basis.n_filled else "")
        return note + ("; unweighted (Ward's method takes no weights)" if basis.weights is not None else "")

    def estimator(self, k, settings, basis: Basis | None = None):
        return WardModel(k)

    def fresh(self, frame, k, *, n_init, random_state, like=None):
        return Segmentation.from_model(WardModel(k).fit(frame), basis=f"{frame.shape[1]} continuous variables")


register(Ward())
