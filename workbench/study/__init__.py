"""The study definition: codebook and analysis plan in one human-written file.

``surveys/<study>/study.yaml`` is parsed and validated here.  Validation reports
*every* problem at once, each with its key path and line in the file, e.g.::

    study.yaml line 41, blocks.needs.questions[3].scale: unknown scale type 'likret' ...

The format is documented with a complete example in ``surveys/README.md``.

Modules: :mod:`~workbench.study.spec` (the pydantic schema of every section),
:mod:`~workbench.study.model` (the resolved :class:`Study`, :class:`Column`, :class:`Scale`),
:mod:`~workbench.study.yamlio` (the YAML loader), :mod:`~workbench.study.checks`
(cross-references the schema cannot see) and :mod:`~workbench.study.load` (:func:`load_study`).
Every public name is importable from ``workbench.study``.
"""

from .checks import path_str, semantic_checks
from .load import load_study, resolve_columns, resolve_scale
from .model import Column, Scale, Study
from .spec import (
    BEHAVIOUR_CATEGORIES,
    BLOCK_KINDS,
    CODED_TYPES,
    FACTOR_BLOCK_KINDS,
    FACTOR_METHODS,
    FACTOR_ROTATIONS,
    FORCES,
    LPA_COVARIANCES,
    SCALE_TYPES,
    SEGMENTATION_METHODS,
    TRANSACTION_REQUIRED,
    TRANSACTION_ROLES,
    BehaviourSpec,
    BlockSpec,
    CheckSpec,
    CostToServeSpec,
    CriteriaSpec,
    CustomersSource,
    DeckSpec,
    DigitalSpec,
    FactorBatterySpec,
    FactorsSpec,
    MissingSpec,
    OutcomeSpec,
    ParallelSpec,
    QualitySpec,
    QuestionSpec,
    RfmSpec,
    RfmTierSpec,
    ScaleSpec,
    SegmentationChoice,
    SegmentationSpec,
    SparkSpec,
    SpeederSpec,
    StraightlinerSpec,
    StudyInfo,
    StudySpec,
    TransactionsSource,
    TrimSpec,
    unknown_message,
    WaveSpec,
    WeightingSpec,
)
from .yamlio import read_yaml, text_line_of_byte

__all__ = [
    "Study",
    "Scale",
    "Column",
    "load_study",
    "SCALE_TYPES",
    "BLOCK_KINDS",
]
