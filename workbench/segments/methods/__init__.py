"""Segmentation methods as a registry: one module per method, one protocol
(:class:`SegmentationMethod`), looked up by name (:func:`get_method`).

See :mod:`workbench.segments.methods.base` for the protocol and "to add a segmentation
method you must…"; ``lca``, ``lpa``, ``kmeans`` and ``ward`` are the built-in methods.
"""

from __future__ import annotations

from .base import (
    Basis,
    MethodFit,
    PartitionEstimator,
    SegmentationMethod,
    get_method,
    has_likelihood,
    method_names,
    register,
    registered,
    unregister,
)
from .lca import LatentClasses
from .lpa import LatentProfiles
from .kmeans import CentroidMethod, KMeans
from .ward import Ward

__all__ = ["SegmentationMethod", "Basis", "MethodFit", "PartitionEstimator", "register", "unregister", "get_method", "has_likelihood",
           "method_names", "registered", "LatentClasses", "LatentProfiles", "KMeans", "Ward", "CentroidMethod"]
