"""Survey and Jobs-to-be-Done segmentation workbench.

The flow of one wave (see docs/design.md): :mod:`workbench.study` (the study definition),
:mod:`workbench.data.readers` (responses), :mod:`workbench.quality` (checks and exclusions),
:mod:`workbench.files.outputs` (report folders, manifests) and :mod:`workbench.pipeline`
(one wave end to end, as ``workbench run`` does it).
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("jtbd-workbench")
except _metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"

from .core.errors import AnalysisError, DataError, OutputError, StudyError, WorkbenchError  # noqa: E402


def __getattr__(name):
    """``Study`` and ``load_study`` on first use: ``import workbench.segments`` (a library
    user's latent classes, the segments benchmark) does not load the study schema
    (pydantic, YAML), 13 MB of a process's memory."""
    if name in ("Study", "load_study"):
        from . import study

        return getattr(study, name)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")

__all__ = [
    "__version__",
    "WorkbenchError",
    "StudyError",
    "DataError",
    "OutputError",
    "AnalysisError",
    "Study",
    "load_study",
]
