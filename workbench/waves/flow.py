"""Where a wave's model and earlier results are found, and the tracking result.

Plain functions on paths and tables, used by the steps (``workbench.steps``) and the CLI;
nothing here knows the flow of a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.errors import StudyError
from ..files.safeids import report_folder
from ..study import Study
from .model import SegmentModel, load_model
from .refit import RefitAdvice
from .tracking import ProfileDrift, SizeChanges

__all__ = ["report_folder", "resolve_model", "load_frozen", "respondent_segments", "read_segments",
           "WaveTracking", "MODEL_FILE", "SEGMENTS_FILE", "TRENDS_FILE"]

MODEL_FILE = "model.json"
SEGMENTS_FILE = "respondent_segments.csv"
#: The deck's trend slides as plain data, so that ``workbench deck`` re-renders them too.
TRENDS_FILE = "deck_trends.json"



def resolve_model(study: Study, wave: str, reports, model=None, refit: bool = False) -> Path | None:
    """The model file a wave is classified with, or None when the wave fits its own.

    Parameters
    ----------
    study : Study
    wave : str
    reports : path
        The reports root.
    model : str or path, optional
        A model file, a report folder holding one, or the id of the wave whose model to use.
        Default: the latest earlier wave (in the study's order) whose reports hold one.
    refit : bool, default=False
        Fit this wave afresh instead.

    Raises
    ------
    StudyError
        Both ``model`` and ``refit``; a named model that does not exist; a later wave
        without any earlier model.
    """
    if model is not None and refit:
        raise StudyError("choose either a model to classify with (--model) or a fresh fit (--refit), not both")
    if not study.spec.segmentation.basis:
        return None
    if model is not None:
        path = Path(str(model))
        if path.is_dir():
            path = path / MODEL_FILE
        if path.is_file():
            return path
        ids = [w.id for w in study.waves]
        if str(model) in ids:
            path = report_folder(study, str(model), reports) / MODEL_FILE
            if path.is_file():
                return path
            raise StudyError(
                f"wave {model} has no model file ({path} does not exist): run that wave first "
                f"(workbench run {study.root} --wave {model}), or fit this wave with --refit"
            )
        raise StudyError(
            f"--model {model}: no such model file, report folder or wave (the study's waves are: {', '.join(ids)})"
        )
    if refit:
        return None
    ids = [w.id for w in study.waves]
    earlier = ids[: ids.index(wave)]
    if not earlier:
        return None
    for w in reversed(earlier):
        path = report_folder(study, w, reports) / MODEL_FILE
        if path.is_file():
            return path
    folders = ", ".join(str(report_folder(study, w, reports)) for w in earlier)
    raise StudyError(
        f"wave {wave} comes after wave(s) {', '.join(earlier)}, but no model file was found in {folders}: run "
        f"wave {earlier[0]} first (workbench run {study.root} --wave {earlier[0]}), name a model with --model, "
        "or fit this wave afresh with --refit"
    )



def load_frozen(path: Path, study: Study) -> SegmentModel:
    """Load a model file and check it against the study (a clear error listing what changed)."""
    return load_model(path, study=study)


def respondent_segments(labels: pd.Series, posteriors: pd.DataFrame | None, *, names: dict, weights=None,
                        uncertain_below: float, index_name: str) -> pd.DataFrame:
    """The table written as ``respondent_segments.csv``: one row per clean respondent."""
    seg = pd.Series(labels, dtype="Int64")
    out = pd.DataFrame({"segment": seg})
    out["name"] = [names.get(int(s), "") if pd.notna(s) else "" for s in seg]
    if posteriors is not None and len(posteriors.columns):
        post = posteriors.reindex(seg.index)
        out["probability"] = post.max(axis=1).to_numpy()
        out["uncertain"] = (out["probability"] < uncertain_below) & out["segment"].notna()
        for c in post.columns:
            out[f"p_{int(c)}"] = post[c].to_numpy()
    if weights is not None:
        out["weight"] = pd.Series(weights).reindex(seg.index).to_numpy()
    out.index.name = index_name
    return out


def read_segments(path: Path) -> pd.DataFrame:
    """An earlier wave's ``respondent_segments.csv`` (ids as text, segments as integers)."""
    tab = pd.read_csv(path, index_col=0, encoding="utf-8", dtype={0: str})
    tab.index = tab.index.astype(str)
    tab["segment"] = tab["segment"].astype("Int64")
    return tab



@dataclass(frozen=True)
class WaveTracking:
    """A classified wave compared with the earlier waves of the same model.

    Attributes
    ----------
    wave, model_wave : str
        This wave and the wave the frozen model was fitted on.
    sizes : DataFrame
        Segment shares per wave with confidence intervals (wave, segment, name, n, share,
        ci_low, ci_high).
    changes : SizeChanges or None
        This wave against the previous one (None when there is no earlier classified wave).
    drift : ProfileDrift or None
        Which indicators moved within each segment since the previous wave.
    confirmation : DataFrame
        The fitted wave's factor structure confirmed on this wave (fit indices per battery).
    advice : RefitAdvice
        Whether a re-fit is due, with every check.
    movements : list of str
        Plain-language lines for the deck's "key movements" slide.
    """

    wave: str
    model_wave: str
    sizes: pd.DataFrame
    changes: SizeChanges | None
    drift: ProfileDrift | None
    confirmation: pd.DataFrame
    advice: RefitAdvice
    movements: tuple

    def summary(self) -> pd.DataFrame:
        """Sizes of this wave and the one before, side by side, with the change."""
        wide = self.sizes.pivot_table(index=["segment", "name"], columns="wave", values="share", sort=False)
        return wide

    def __str__(self) -> str:
        lines = [f"Wave {self.wave} tracked against the wave {self.model_wave} model:"]
        lines += [f"  {m}" for m in self.movements]
        lines.append(f"  {self.advice.message}")
        return "\n".join(lines)


