"""The resolved study: scales, columns and the :class:`Study` every step reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import StudyError
from .spec import CODED_TYPES, StudySpec, WaveSpec

__all__ = ["Scale", "Column", "Study"]

# --------------------------------------------------------------------------- resolved study


@dataclass(frozen=True)


class Scale:
    """A resolved scale."""

    name: str
    type: str
    codes: dict[int, str]
    missing: dict[int, str]
    min: float | None = None
    max: float | None = None
    top_box: int = 2
    unit: str | None = None

    @property
    def coded(self) -> bool:
        return self.type in CODED_TYPES

    @property
    def numeric(self) -> bool:
        return self.type != "text"

    def label(self, code) -> str | None:
        return self.codes.get(code) or self.missing.get(code)


@dataclass(frozen=True)


class Column:
    """One survey column as the study defines it."""

    id: str
    block: str
    kind: str
    text: str
    label: str
    scale: Scale
    reverse: bool = False
    force: str | None = None
    outcome: str | None = None
    role: str | None = None  # 'importance' / 'satisfaction' for outcomes


@dataclass(frozen=True)


class Study:
    """A validated study definition.

    Attributes
    ----------
    spec : StudySpec
        The parsed file, as written (defaults filled in).
    path : Path
        The study.yaml file.
    columns : dict of str to Column
        Every survey column the study declares, in file order.
    hash : str
        SHA-256 of the definition's content (comments and layout do not count).
    """

    spec: StudySpec
    path: Path
    columns: dict[str, Column]
    hash: str
    file_hash: str
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def id(self) -> str:
        return self.spec.study.id or self.root.name

    @property
    def name(self) -> str:
        return self.spec.study.name

    @property
    def respondent_id(self) -> str:
        return self.spec.respondent_id

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def pii(self) -> list[str]:
        return list(self.spec.pii)

    @property
    def waves(self) -> list[WaveSpec]:
        return list(self.spec.waves)

    def wave(self, wave_id) -> WaveSpec:
        """The wave with this id; a clear error listing the waves otherwise."""
        wave_id = str(wave_id)
        for w in self.spec.waves:
            if w.id == wave_id:
                return w
        known = ", ".join(w.id for w in self.spec.waves)
        raise StudyError(
            f"no wave '{wave_id}' in the study; its waves are: {known}",
            file=self.path,
        )

    def wave_files(self, wave_id) -> list[Path]:
        return [self.root / f for f in self.wave(wave_id).files]

    def block_columns(self, block: str) -> list[str]:
        return [c.id for c in self.columns.values() if c.block == block]

    def blocks_of_kind(self, kind: str) -> list[str]:
        return [name for name, b in self.spec.blocks.items() if b.kind == kind]

    def expected_columns(self) -> list[str]:
        """Every column a response file should hold: id, questions, weight, PII."""
        cols = [self.respondent_id]
        if self.spec.customer_id and self.spec.customer_id not in cols:
            cols.append(self.spec.customer_id)
        cols += [c for c in self.columns if c not in cols]
        if self.spec.weight and self.spec.weight not in cols:
            cols.append(self.spec.weight)
        cols += [p for p in self.spec.pii if p not in cols]
        return cols

    def summary(self) -> str:
        kinds = {}
        for c in self.columns.values():
            kinds.setdefault(c.block, 0)
            kinds[c.block] += 1
        lines = [
            f"Study {self.id!r}: {self.name}",
            f"  waves: {', '.join(w.id for w in self.waves)}",
            "  blocks: " + ", ".join(f"{b} ({n})" for b, n in kinds.items()),
            f"  PII columns (never exported): {', '.join(self.pii) or 'none'}",
            f"  definition hash: {self.hash[:12]}",
        ]
        return "\n".join(lines)

