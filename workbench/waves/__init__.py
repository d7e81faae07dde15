"""Later waves: the frozen segmentation model, classifying a new wave, trends and drift.

* :class:`SegmentModel` - a chosen segmentation (and the factor solutions it used) frozen as
  plain numbers; :meth:`SegmentModel.save` writes ``model.json``, :func:`load_model` reads it
  back and refuses it when the study's basis questions or codes changed (:func:`codebook`).
* :meth:`SegmentModel.classify` - every respondent of a new wave into the frozen segments,
  with membership probabilities and an 'uncertain' flag (:class:`Classification`).
* :func:`segment_sizes`, :func:`size_changes` - segment sizes per wave with Wilson
  intervals, and which changed significantly (:class:`SizeChanges`).
* :func:`profile_drift` - which indicators moved within each segment (:class:`ProfileDrift`).
* :func:`refit_check` - is the frozen model still good enough, or is a re-fit due
  (:class:`RefitAdvice`)?
"""

from .codebook import codebook, codebook_changes
from .model import FORMAT, FORMAT_VERSION, Classification, FactorScoring, SegmentModel, load_model, standardisation_table
from .refit import RefitAdvice, RefitThresholds, refit_check
from .tracking import ProfileDrift, SizeChanges, profile_drift, segment_sizes, size_changes, wilson_interval

__all__ = [
    "SegmentModel", "Classification", "FactorScoring", "load_model", "codebook", "codebook_changes",
    "standardisation_table", "FORMAT", "FORMAT_VERSION", "segment_sizes", "size_changes", "SizeChanges",
    "profile_drift", "ProfileDrift", "wilson_interval", "refit_check", "RefitAdvice", "RefitThresholds",
]
