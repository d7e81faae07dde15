"""Step ``classification`` (later waves): every respondent into the segments of the frozen
model (with posterior probabilities and an uncertain flag); nothing is fitted or written here
(the ``model`` step writes respondent_segments.csv and customer_segments.csv)."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd

from ..criteria import LabelCandidate
from ..core.errors import AnalysisError
from ..files.outputs import file_sha256
from .context import Output, Step, WaveContext

__all__ = ["classification", "STEP"]

logger = logging.getLogger(__name__)


def classification(ctx: WaveContext) -> Output:
    """Every kept respondent of a later wave into the frozen segments (nothing is written)."""
    model, clean = ctx.loaded_model, ctx.weighted
    threshold = ctx.study.spec.segmentation.uncertain_below
    if threshold != model.uncertain_below:  # the study's current threshold wins over the one frozen with the model
        model = dataclasses.replace(model, uncertain_below=threshold)
    # questions of the basis this wave did not ask are missing answers for everyone: the
    # model classifies from the questions that were asked
    not_asked = [c for c in model.basis_items if c not in clean.data.columns or c in set(clean.missing_columns)]
    if len(not_asked) == len(model.basis_items):
        raise AnalysisError(f"wave {ctx.wave} asked none of the {len(not_asked)} questions the wave {model.wave} "
                            "segmentation is based on; it cannot be classified", file=ctx.study.path)
    if not_asked:
        logger.warning("segments: wave %s did not ask %s of the segmentation questions (%s); respondents are "
                       "classified from the other %d", ctx.wave, len(not_asked), ", ".join(not_asked),
                       len(model.basis_items) - len(not_asked))
    data = clean.data.reindex(columns=list(model.basis_items))
    data[not_asked] = np.nan
    cls = model.classify(data)
    tab = cls.table
    labels = tab["segment"].dropna().astype(int)
    post = tab[[f"p_{j}" for j in range(1, model.k + 1)]]
    post.columns = pd.RangeIndex(1, model.k + 1, name="segment")
    classified = LabelCandidate(name=f"wave {model.wave} model ({model.method} k={model.k})", labels=labels,
                                posteriors=post.loc[labels.index])
    n_unc = int(tab["uncertain"].sum())
    note = (f"Respondents of wave {ctx.wave} were classified with the segmentation fitted on wave "
                      f"{model.wave} ({model.method} k={model.k}), frozen in model.json: {len(labels):,} classified, "
                      f"{n_unc:,} uncertain (largest probability below {model.uncertain_below:.2f}).")
    logger.info("segments: %d respondents classified with the wave %s model (%d uncertain, %d without answers)",
                len(labels), model.wave, n_unc, int(tab["segment"].isna().sum()))
    return Output({"frozen": model, "classification": cls, "classified": classified, "model_note": note},
                  counts={"classified": int(len(labels)), "uncertain": n_unc,
                          "unclassified": int(tab["segment"].isna().sum())},
                  model_file={"file": str(ctx.model_path), "sha256": file_sha256(ctx.model_path),
                              "fitted_on_wave": model.wave})


def _applies(ctx: WaveContext) -> str | None:
    if not ctx.study.spec.segmentation.basis:
        return "the study names no segmentation basis (segmentation.basis)"
    if ctx.loaded_model is None:
        return "this wave fits its own segmentation (no earlier model file)"
    return None


STEP = Step("classification", classification, needs=("weighted", "loaded_model", "model_path"),
            gives=("frozen", "classification", "classified", "model_note"), applies=_applies,
            what="classifying the respondents with the frozen model")
