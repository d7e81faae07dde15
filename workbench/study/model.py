"""The resolved study: scales, columns and the :class:`Study` every step reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import StudyError
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
    labels: dict = field(default_factory=dict)  # language -> code -> label (ScaleSpec.labels)

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
    # verbatims: language of the answers (fixed, or per respondent from another column) and
    # the column holding their translation (see QuestionSpec)
    language: str | None = None
    language_from: str | None = None
    language_map: tuple = ()  # (code, language) pairs
    translation: str | None = None
    multi_select: bool = False  # an option of a "select all that apply" block (BlockSpec.multi_select)


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

    def column_labels(self) -> dict[str, str]:
        """Column id -> its short label (the question text when it has none), for client tables."""
        return {cid: (c.label or c.text or cid) for cid, c in self.columns.items()}

    def text_labels(self) -> dict[str, str]:
        """Column id -> label for ids that cannot be ordinary words (they hold '_' or a digit):
        what :func:`workbench.files.outputs.in_words` replaces in free text ('the largest effect is
        eu_stemme' → '… is Stemme ved EU-valget'); an id such as ``region`` stays a word."""
        from ..core.measures import not_a_word

        return {cid: lab for cid, lab in self.column_labels().items() if not_a_word(cid)}

    def code_labels(self, column: str) -> dict[str, str]:
        """Code (as text: '2') -> its label on the column's scale ('10-49 employees'); {} for an uncoded column."""
        col = self.columns.get(column)
        if col is None:
            return {}
        return {_code_text(k): str(v) for k, v in (col.scale.codes or {}).items()}

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Every column the study declares as a key — respondent id, customer id, the behaviour
        join key, the customer master's key and the transactions' customer and order columns —
        whatever they are called: keys are never measures (see :func:`workbench.core.measures.is_key`)."""
        s = self.spec
        keys = [s.respondent_id, s.customer_id]
        if s.behaviour is not None:
            keys.append(s.behaviour.key)
            if s.behaviour.customers is not None:
                keys.append(s.behaviour.customers.key)
            cols = s.behaviour.transactions.columns
            keys += [cols.get("customer_id"), cols.get("order_id")]
        return tuple(dict.fromkeys(k for k in keys if k))

    @property
    def currency(self) -> str | None:
        """The currency code of the order values (``behaviour.transactions.currency``), or None."""
        b = self.spec.behaviour
        return b.transactions.currency if b is not None and b.transactions is not None else None

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
        return [self.root / f for f in self.wave(wave_id).file_names]

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



def _code_text(code) -> str:
    """A scale code as it reads in a table: 2 and 2.0 as '2'."""
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)
