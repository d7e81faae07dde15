"""Segment profiles: who is in each segment, compared with the total and with the rest.

:func:`profile` takes the survey answers, a segment label per respondent and optionally
weights and behavioural KPIs, and returns :class:`SegmentProfiles`: for every block of the
study (needs, motivations, barriers, outcomes, firmographics, ...) and for behaviour, one
row per *measure* and segment, the way market-research tables show them.

Measures
--------
The study's scale type decides which measures a question gets:

===========  ================================================================
likert       mean, and the top-box % (the scale's ``top_box`` highest codes)
ordinal      mean, and the % of each category
nominal      the % of each category
binary       the % giving the highest code ("Yes"; "% selected" for a select-all-that-apply option)
numeric      mean
text         not profiled (verbatims are quoted by :mod:`workbench.describe.personas`)
===========  ================================================================

Behaviour columns (a DataFrame of KPIs indexed by respondent id) are profiled the same
way: numbers by their mean, booleans by the % true, anything else by category %.
Percentages are of the respondents who answered (don't know and blanks are not in the base).

Index and significance
----------------------
``index = 100 × segment value / total value`` (100 = average; 120 = 20 % above).
Each segment is tested against *the rest of the sample* (everyone labelled but not in the
segment): a two-proportion z-test with pooled variance for percentages (the column
proportion test of market-research tables) and Welch's unequal-variance t-test for means.
p-values are corrected for multiple testing within each block (all measures × segments of
the block form one family; Holm by default, see ``correction`` and
:func:`workbench.core.stats.correct_pvalues`). A significant difference is shown as an arrow:
``▲`` above the rest, ``▼`` below.

Weights
-------
With weights, values are weighted means and shares. Tests use the *effective* sample size
of each group, Kish's ``n_eff = (Σw)² / Σw²``, in place of n: a weighted share ``p`` has
standard error ``sqrt(p (1 - p) / n_eff)``, and a weighted mean has variance
``Σw (x - m)² / Σw × n_eff / (n_eff - 1)``. Without weights ``n_eff = n`` and the tests are
exactly the textbook ones (:func:`statsmodels.stats.proportion.proportions_ztest`,
:func:`scipy.stats.ttest_ind` with ``equal_var=False``).

Segments with fewer respondents than ``min_segment_n`` (the study's ``min_segment_n``)
are flagged ``suppressed``: they are computed and kept, but client tables leave them out
with a note (see :meth:`SegmentProfiles.to_excel`).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .alignment import align_labels, align_weights, sort_segments
from ..core.errors import AnalysisError, WorkbenchWarning
from ..core.measures import column_label, measure
from ..core.stats import CORRECTIONS, correct_pvalues, holm, two_proportion_ztest, weighted_stats, welch_ttest
from ..core.summary import Summarised, Summary, SummaryTable

__all__ = ["profile", "SegmentProfiles", "align_labels", "weighted_stats", "correct_pvalues", "holm", "UP", "DOWN",
           "BEHAVIOUR"]

logger = logging.getLogger(__name__)

UP, DOWN = "▲", "▼"
#: Block name under which behavioural KPIs are profiled.
BEHAVIOUR = "behaviour"
#: Study block kinds that are not profiled by default.
SKIPPED_KINDS = ("verbatims", "screening")
#: The measure of an option of a "select all that apply" block: the share who ticked it.
SELECTED = "% selected"


# --------------------------------------------------------------------------- measures


def _measures_for_column(col) -> list[tuple[dict, object]]:
    """(description, how to compute the per-respondent value) for one study column."""
    s = col.scale
    base = {"block": col.block, "kind": col.kind, "variable": col.id, "label": col.label}
    out = []
    if s.type == "likert":
        out.append(({**base, "measure": "mean", "category": "", "stat": "mean", "trait": False}, "mean"))
        top = sorted(s.codes)[-s.top_box:]
        out.append(({**base, "measure": f"top-{s.top_box} box %", "category": "", "stat": "share", "trait": True}, ("in", top)))
    elif s.type == "ordinal":
        out.append(({**base, "measure": "mean", "category": "", "stat": "mean", "trait": True}, "mean"))
        for code, lab in s.codes.items():
            out.append(({**base, "measure": f"% {lab}", "category": lab, "stat": "share", "trait": True}, ("in", [code])))
    elif s.type == "nominal":
        for code, lab in s.codes.items():
            out.append(({**base, "measure": f"% {lab}", "category": lab, "stat": "share", "trait": True}, ("in", [code])))
    elif s.type == "binary":
        # the question (or the option of a select-all-that-apply block) is the trait, never the
        # answer label: "Web developer", not "Valgt" (issue 30)
        code = max(s.codes)
        measure = SELECTED if getattr(col, "multi_select", False) else f"% {s.codes[code]}"
        out.append(({**base, "measure": measure, "category": "", "stat": "share", "trait": True}, ("in", [code])))
    elif s.type == "numeric":
        out.append(({**base, "measure": "mean", "category": "", "stat": "mean", "trait": True}, "mean"))
    return out


def _column_values(series: pd.Series, how) -> np.ndarray:
    x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    if how == "mean":
        return x
    _, codes = how
    return np.where(np.isnan(x), np.nan, np.isin(x, codes).astype(float))


def _behaviour_measures(behaviour: pd.DataFrame, index: pd.Index, max_categories: int, pii) -> tuple[list, list]:
    """Measures and value vectors for behavioural KPIs aligned to ``index``."""
    if not isinstance(behaviour, pd.DataFrame):
        raise AnalysisError(f"behaviour must be a DataFrame of KPIs indexed by respondent id, got {type(behaviour).__name__}")
    if not behaviour.index.is_unique:
        dup = behaviour.index[behaviour.index.duplicated()][0]
        raise AnalysisError(f"behaviour: respondent id {dup!r} occurs more than once; give one row per respondent")
    beh = behaviour.copy()
    beh.index = beh.index.astype(str)
    beh = beh.reindex(index.astype(str))
    if beh.notna().to_numpy().sum() == 0 and len(behaviour.columns):
        raise AnalysisError(
            "behaviour: no row is indexed by a profiled respondent id (behaviour ids: "
            f"{', '.join(map(str, behaviour.index[:3]))} ...); index the KPIs by respondent id, not customer id"
        )
    descs, vals = [], []
    base = {"block": BEHAVIOUR, "kind": BEHAVIOUR}
    for c in beh.columns:
        if str(c) in pii:
            warnings.warn(
                f"behaviour column '{c}' is declared as personal data (pii) in the study and is not profiled",
                WorkbenchWarning,
                stacklevel=3,
            )
            continue
        s = beh[c]
        m = measure(c)
        label = m.label if m is not None else column_label(c)  # never a bare identifier in a chart row
        nonnull = s.dropna()
        if pd.api.types.is_bool_dtype(s) or (
            s.dtype == object and len(nonnull) and nonnull.map(lambda v: isinstance(v, (bool, np.bool_))).all()
        ):
            vals.append(np.where(s.isna(), np.nan, s.map(lambda v: float(v) if pd.notna(v) else np.nan)))
            descs.append({**base, "variable": str(c), "label": label, "measure": "% true", "category": "true", "stat": "share", "trait": True})
        elif pd.api.types.is_numeric_dtype(s):
            vals.append(s.to_numpy(dtype=float))
            descs.append({**base, "variable": str(c), "label": label, "measure": "mean", "category": "", "stat": "mean", "trait": True})
        else:
            cats = list(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype) else sort_segments(s.dropna())
            if len(cats) > max_categories:
                logger.info("behaviour column %s has %d categories (> %d) and is not profiled", c, len(cats), max_categories)
                continue
            for cat in cats:
                vals.append(np.where(s.isna(), np.nan, (s == cat).astype(float)))
                descs.append({**base, "variable": str(c), "label": label, "measure": f"% {cat}", "category": str(cat), "stat": "share", "trait": True})
    return descs, vals


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class SegmentProfiles(Summarised):
    """Profiles of one segmentation: segment × measure tables with index and significance.

    Attributes
    ----------
    table : DataFrame
        Tidy: one row per measure and segment. Columns ``block``, ``kind``, ``variable``,
        ``label`` (the study's short label), ``measure`` ('mean', 'top-2 box %',
        '% <category>'), ``category``, ``stat`` ('mean' or 'share'), ``trait`` (whether
        the measure can describe a segment: all but the means of likert items, whose top-box
        % says the same), ``segment``, ``n`` (answers), ``base`` (sum of weights), ``n_eff``,
        ``value`` (mean, or % for shares), ``total``, ``rest`` (value among everyone
        else), ``index`` (100 × value / total), ``p_value``, ``p_adj`` (corrected within the
        block), ``significant`` and ``sig`` ('▲', '▼' or '').
    totals : DataFrame
        One row per measure: its total value, n, base and n_eff.
    segments : DataFrame
        Indexed by segment: ``n``, ``weighted n``, ``share %`` (weighted) and
        ``suppressed`` (n below ``min_segment_n``).
    membership : Series
        The segment of every profiled respondent (respondent id index).
    alignment : dict
        Labels given, respondents read, dropped on each side, profiled.
    weighted : bool
        Whether weights were used (tests then use effective n).
    alpha, correction, min_segment_n
        The settings used.
    study_id, wave : str
        Provenance, from the responses.
    """

    table: pd.DataFrame = field(repr=False)
    totals: pd.DataFrame = field(repr=False)
    segments: pd.DataFrame = field(repr=False)
    membership: pd.Series = field(repr=False)
    alignment: dict
    weighted: bool
    alpha: float
    correction: str
    min_segment_n: int
    study_id: str = ""
    wave: str = ""

    # ---------------------------------------------------------------- views

    @property
    def n(self) -> int:
        """Respondents profiled."""
        return int(self.alignment["profiled"])

    @property
    def labels(self) -> list:
        """The segment labels, in order."""
        return list(self.segments.index)

    @property
    def blocks(self) -> list[str]:
        """Profiled blocks, in study order (behaviour last)."""
        return list(dict.fromkeys(self.table["block"]))

    @property
    def suppressed(self) -> list:
        """Segments below ``min_segment_n``."""
        return [s for s, x in self.segments["suppressed"].items() if x]

    def traits(self, segment=None, *, min_gap: float = 20.0, alpha: float | None = None, blocks=None,
               direction: str = "both") -> pd.DataFrame:
        """Distinguishing traits: significant measures with an index far from 100.

        Parameters
        ----------
        segment : label, optional
            One segment; default: all.
        min_gap : float, default=20
            Smallest ``|index - 100|`` (20: index at or above 120, or at or below 80).
        alpha : float, optional
            Significance level for the corrected p-values; default: the profile's alpha.
        blocks : list of str, optional
            Restrict to these blocks.
        direction : {'both', 'above', 'below'}, default='both'

        Returns
        -------
        DataFrame
            Rows of :attr:`table` (trait measures only: see its ``trait`` column), sorted
            by segment and by distance from 100, largest first.
        """
        alpha = self.alpha if alpha is None else alpha
        t = self.table[self.table["trait"]]
        if segment is not None:
            t = t[t["segment"] == segment]
        if blocks is not None:
            t = t[t["block"].isin(list(blocks))]
        gap = (t["index"] - 100).abs()
        keep = (t["p_adj"] < alpha) & (gap >= min_gap) & t["index"].notna()
        if direction == "above":
            keep &= t["index"] > 100
        elif direction == "below":
            keep &= t["index"] < 100
        elif direction != "both":
            raise ValueError(f"direction must be 'both', 'above' or 'below', got {direction!r}")
        out = t[keep].assign(_gap=gap[keep], _order=t.loc[keep, "segment"].map({s: i for i, s in enumerate(self.labels)}))
        out = out.sort_values(["_order", "_gap"], ascending=[True, False], kind="stable")
        return out.drop(columns=["_gap", "_order"]).reset_index(drop=True)

    def block_table(self, block: str, what: str = "value", *, include_suppressed: bool = True) -> pd.DataFrame:
        """One block as segments side by side.

        Parameters
        ----------
        block : str
        what : {'value', 'index', 'sig', 'p_adj', 'n', 'letters'}, default='value'
        include_suppressed : bool, default=True

        Returns
        -------
        DataFrame
            Indexed by (variable, label, measure); one column per segment (and ``Total``
            first for values and n).
        """
        if block not in self.blocks:
            raise KeyError(f"no block {block!r} in the profiles; blocks: {', '.join(self.blocks)}")
        if what not in ("value", "index", "sig", "p_adj", "n", "letters"):
            raise ValueError(f"what must be one of value, index, sig, p_adj, n, letters; got {what!r}")
        t = self.table[self.table["block"] == block]
        segs = [s for s in self.labels if include_suppressed or not self.segments.loc[s, "suppressed"]]
        keys = ["variable", "label", "measure"]
        order = list(dict.fromkeys(zip(*(t[k] for k in keys))))
        wide = t.pivot(index=keys, columns="segment", values=what)
        wide = wide.reindex(index=pd.MultiIndex.from_tuples(order, names=keys), columns=segs)
        wide.columns = [str(c) for c in wide.columns]
        if what in ("value", "n"):
            tot = self.totals[self.totals["block"] == block].set_index(keys)[what if what == "n" else "value"]
            wide.insert(0, "Total", tot.reindex(wide.index).to_numpy())
        wide.columns.name = None
        return wide

    def summary(self) -> pd.DataFrame:
        """One row per segment: size, suppression, and its strongest traits.

        Returns
        -------
        DataFrame
            Indexed by segment: ``n``, ``weighted n``, ``share %``, ``suppressed``,
            ``traits`` (number of distinguishing traits, index gap ≥ 20 and significant)
            and ``top traits`` (the three strongest, e.g. '▲ ERP integration top-2 box %
            (index 182)').
        """
        out = self.segments.copy()
        tr = self.traits()
        out["traits"] = [int((tr["segment"] == s).sum()) for s in out.index]
        out["top traits"] = [
            "; ".join(
                f"{r.sig} {r.label} {r.measure} (index {r.index:.0f})" for r in tr[tr["segment"] == s].head(3).itertuples()
            )
            for s in out.index
        ]
        return out

    # ---------------------------------------------------------------- charts

    def plot(self, block: str | None = None, *, traits_only: bool = True, max_rows: int = 30, ax=None):
        """Heatmap of indices: measures × segments, blue below 100, red above.

        Parameters
        ----------
        block : str, optional
            One block; default: every block.
        traits_only : bool, default=True
            Only trait measures (top-box %, category %, numeric means).
        max_rows : int, default=30
            Keep the measures that vary most across segments.
        ax : matplotlib Axes, optional

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.colors import TwoSlopeNorm

        t = self.table
        if block is not None:
            t = t[t["block"] == block]
        if traits_only:
            t = t[t["trait"]]
        t = t.assign(row=t["label"] + " · " + t["measure"])
        wide = t.pivot_table(index="row", columns="segment", values="index", sort=False)
        wide = wide.reindex(columns=self.labels)
        spread = (wide - 100).abs().max(axis=1).sort_values(ascending=False)
        wide = wide.loc[spread.index[:max_rows]]
        sig = t.pivot_table(index="row", columns="segment", values="sig", aggfunc="first", sort=False).reindex(
            index=wide.index, columns=self.labels
        )
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(1.1 * len(self.labels) + 4.5, 0.3 * len(wide) + 1.6), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        vals = wide.to_numpy(dtype=float)
        hi = max(float(np.nanmax(vals, initial=101)), 101.0)
        lo = min(float(np.nanmin(vals, initial=99)), 99.0)
        im = ax.imshow(np.clip(vals, lo, hi), cmap="RdBu_r", norm=TwoSlopeNorm(100, lo, hi), aspect="auto")
        ax.set_xticks(range(len(self.labels)), [f"{s}\n(n={int(self.segments.loc[s, 'n'])})" for s in self.labels])
        ax.set_yticks(range(len(wide)), list(wide.index), fontsize=8)
        norm = im.norm
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                if np.isfinite(vals[i, j]):
                    mark = sig.iat[i, j] if isinstance(sig.iat[i, j], str) else ""
                    dark = abs(float(norm(np.clip(vals[i, j], lo, hi))) - 0.5) > 0.35
                    ax.text(j, i, f"{vals[i, j]:.0f}{mark}", ha="center", va="center", fontsize=7,
                            color="white" if dark else "black")
        ax.set_title(f"Index vs total{' - ' + block if block else ''} (100 = average; ▲▼ significant vs rest)")
        fig.colorbar(im, ax=ax, shrink=0.6, label="index")
        return fig

    # ---------------------------------------------------------------- outputs

    def tables(self, *, include_suppressed: bool = False, names: dict | None = None
               ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
        """The workbook's sheets and their notes: overview, traits, then one per block.

        ``names`` (segment → persona name) puts the persona's name beside each segment number:
        a column 'Name' in the overview and traits, '1: <name> (n=…)' over a block's columns."""
        names = {str(k): str(v) for k, v in (names or {}).items()}
        shown = [s for s in self.labels if include_suppressed or not self.segments.loc[s, "suppressed"]]
        hidden = [s for s in self.labels if s not in shown]
        weighting = (
            "weighted; tests use the effective sample size (Kish)" if self.weighted else "unweighted"
        )
        hide_note = (
            f" Not shown: segment(s) {', '.join(map(str, hidden))} with fewer than {self.min_segment_n} "
            "respondents (the study's min_segment_n)." if hidden else ""
        )
        overview = self.summary().loc[shown] if shown else self.summary().iloc[:0]
        overview.index = overview.index.map(str)
        overview.index.name = "segment"
        if names:
            overview.insert(0, "name", [names.get(str(x), "") for x in overview.index])
        sheets = {"Overview": overview}
        notes = {
            "Overview": f"{self.n:,} respondents, {weighting}. Traits: index ≥ 120 or ≤ 80 and "
            f"significant against the rest ({self.correction}-corrected, α = {self.alpha}).{hide_note}"
        }
        tr = self.traits()
        tr = tr[tr["segment"].isin(shown)]
        sheets["Traits"] = tr[["segment", "block", "variable", "label", "measure", "value", "total", "index", "sig", "p_adj"]].assign(
            segment=lambda d: d["segment"].map(str)
        ).reset_index(drop=True)
        if names:
            sheets["Traits"].insert(1, "name", sheets["Traits"]["segment"].map(lambda x: names.get(x, "")))
        notes["Traits"] = "Distinguishing traits per segment, strongest first; values are % or means." + hide_note
        for block in self.blocks:
            sheets[block] = self._block_sheet(block, shown, names)
            order = ", ".join(f"{chr(ord('A') + i)} = segment {s}" for i, s in enumerate(shown[:26]))
            notes[block] = (
                "Values are % of those answering (means where marked); ▲ / ▼ significantly above / below the "
                f"rest of the sample ({self.correction}-corrected within this sheet, α = {self.alpha}; "
                f"{weighting}); letters: significantly above the segment with that letter ({order}; pairwise "
                "z-tests of shares and Welch t-tests of means, Holm-corrected per row); index = segment / total × "
                "100." + hide_note
            )
        return sheets, notes

    def _block_sheet(self, block: str, shown: list, names: dict | None = None) -> pd.DataFrame:
        val = self.block_table(block, "value").round(2)
        n = self.segments["n"]
        cols = {"Total": val["Total"]}
        sig = self.block_table(block, "sig")
        letters = self.block_table(block, "letters") if "letters" in self.table.columns else None
        col_letter = {str(s): chr(ord("A") + i) for i, s in enumerate(shown) if i < 26}
        head = {s: f"{s}: {names[str(s)]}" if names and names.get(str(s)) else str(s) for s in shown}
        for s in shown:  # each arrow right beside the value it qualifies (as a Q / Displayr export)
            cols[f"{head[s]} (n={int(n[s])})"] = val[str(s)]
            mark = sig[str(s)].fillna("")
            if letters is not None:  # and the column letters of the segments it is significantly above
                lt = letters[str(s)].map(lambda v: "".join(sorted(col_letter[x] for x in str(v).split()
                                                                  if x in col_letter)) if isinstance(v, str) else "")
                mark = [f"{a} {b}".strip() for a, b in zip(mark, lt)]
            cols[f"{head[s]} sig"] = mark
        idx = self.block_table(block, "index").round(0)
        for s in shown:
            cols[f"{head[s]} index"] = idx[str(s)]
        out = pd.DataFrame(cols, index=val.index)
        return out

    def to_excel(self, path, *, pii=(), include_suppressed: bool = False, currency: str | None = None,
                 labels=None, names: dict | None = None) -> Path:
        """Write ``profiles.xlsx``: overview, traits and one sheet per block, formatted.

        Each block sheet shows values (Total and each segment), the significance arrows
        and the indices; value cells are green / red where the segment is significantly
        above / below the rest, and index cells carry a red-white-green colour scale
        (50-100-150). Headers are frozen.

        Parameters
        ----------
        path : str or Path
            A file, or a folder to write ``profiles.xlsx`` into.
        pii : iterable of str
            The study's PII columns; a table holding one is refused.
        include_suppressed : bool, default=False
            Show segments below ``min_segment_n`` (for internal use only; client tables
            leave them out, with a note).
        names : dict, optional
            Segment → persona name, written beside each segment number (as the deck names them).

        Returns
        -------
        Path
        """
        from openpyxl import load_workbook
        from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
        from openpyxl.styles import Font, PatternFill
        from openpyxl.utils import get_column_letter

        from ..files.outputs import sheet_name, write_workbook

        path = Path(path)
        if path.is_dir():
            path = path / "profiles.xlsx"
        sheets, notes = self.tables(include_suppressed=include_suppressed, names=names)
        write_workbook(path, sheets, pii=tuple(pii), notes=notes, currency=currency, labels=labels)
        wb = load_workbook(path)
        used: set = set()
        names = {name: sheet_name(name, used) for name in sheets}
        green, red = PatternFill("solid", bgColor="C6EFCE"), PatternFill("solid", bgColor="FFC7CE")
        for name in self.blocks:
            frame = sheets[name]
            if frame.empty:
                continue
            ws = wb[names[name]]
            first, last = 4, 3 + len(frame)  # note on row 1, header on row 3
            n_idx = frame.index.nlevels
            cols = list(frame.columns)
            for j, c in enumerate(cols):
                letter = get_column_letter(n_idx + j + 1)
                rng = f"{letter}{first}:{letter}{last}"
                if c.endswith(" index"):
                    ws.conditional_formatting.add(
                        rng,
                        ColorScaleRule(start_type="num", start_value=50, start_color="F8696B", mid_type="num",
                                       mid_value=100, mid_color="FFFFFF", end_type="num", end_value=150,
                                       end_color="63BE7B"),
                    )
                elif " (n=" in c:
                    seg = c.rsplit(" (n=", 1)[0]
                    sig_letter = get_column_letter(n_idx + cols.index(f"{seg} sig") + 1)
                    ws.conditional_formatting.add(  # the arrow leads the cell ('▲ BC')
                        rng, FormulaRule(formula=[f'LEFT(${sig_letter}{first},1)="{UP}"'], fill=green,
                                         font=Font(color="006100"))
                    )
                    ws.conditional_formatting.add(
                        rng, FormulaRule(formula=[f'LEFT(${sig_letter}{first},1)="{DOWN}"'], fill=red,
                                         font=Font(color="9C0006"))
                    )
            ws.freeze_panes = ws.cell(row=first, column=n_idx + 1)
        wb.save(path)
        logger.debug("profiles written to %s", path)
        return path

    # ---------------------------------------------------------------- display

    def _head(self) -> str:
        w = "weighted" if self.weighted else "unweighted"
        src = f"{self.study_id} wave {self.wave}: " if self.study_id else ""
        return f"Segment profiles, {src}{len(self.labels)} segments, {self.n:,} respondents ({w})"

    def summarise(self) -> Summary:
        """The headline, the ids the alignment dropped, and one row per segment (size, suppression,
        strongest traits)."""
        lines = [self._head()]
        a = self.alignment
        if a["labels without response"] or a["responses without label"]:
            lines.append(
                f"dropped: {a['labels without response']:,} labelled ids not among the responses, "
                f"{a['responses without label']:,} respondents without a label"
            )
        return Summary("Segment profiles", lines, [SummaryTable(self.summary(), digits=1)])

    def __repr__(self) -> str:
        return f"SegmentProfiles(segments={len(self.labels)}, n={self.n}, weighted={self.weighted})"


# --------------------------------------------------------------------------- profile()


def _column_letters(stats: list, share: np.ndarray, segs: list, alpha: float) -> list[str]:
    """Per segment and measure (the table's row order), the segments it is significantly above in
    a pairwise test, as space-separated labels ('2 3'): the column letters of market-research
    tables (Q, Displayr).  Each pair is tested as the arrows are (two-proportion z-test for
    shares, Welch's t-test for means, effective n with weights); the p-values of one measure's
    pairs are Holm-corrected together (k segments: k(k-1)/2 tests per row)."""
    k = len(segs)
    m = len(share)
    pairs = [(g, h) for g in range(k) for h in range(g + 1, k)]
    if not pairs:
        return [""] * (k * m)
    P = np.empty((len(pairs), m))
    for i, (g, h) in enumerate(pairs):
        a, b = stats[g], stats[h]
        with np.errstate(invalid="ignore", divide="ignore"):
            P[i] = np.where(share, two_proportion_ztest(a["mean"], a["n_eff"], b["mean"], b["n_eff"])[1],
                            welch_ttest(a["mean"], a["var"], a["n_eff"], b["mean"], b["var"], b["n_eff"])[1])
    adj = np.full_like(P, np.nan)
    for j in range(m):
        ok = np.isfinite(P[:, j])
        if ok.any():
            adj[ok, j] = holm(P[ok, j])
    out = [[[] for _ in range(m)] for _ in range(k)]
    for i, (g, h) in enumerate(pairs):
        sig = np.isfinite(adj[i]) & (adj[i] < alpha)
        for j in np.flatnonzero(sig):
            hi, lo = (g, h) if stats[g]["mean"][j] > stats[h]["mean"][j] else (h, g)
            out[hi][j].append(lo)
    return [" ".join(str(segs[x]) for x in sorted(out[g][j])) for g in range(k) for j in range(m)]


def _profile_measures(responses, index, blocks, behaviour, max_categories) -> tuple[list, list]:
    """The measures profiled (descriptions) and their values for the respondents ``index``: every
    coded or numeric question of the chosen blocks (no PII), then the behavioural measures not
    already asked as questions."""
    data = responses.data
    pii = {str(c) for c in getattr(getattr(responses, "pii", None), "columns", [])}
    cols = [
        c for c in responses.columns.values()
        if c.id in data.columns and c.id not in pii
        and (c.block in blocks if blocks is not None else c.kind not in SKIPPED_KINDS)
    ]
    if blocks is not None:
        unknown = [b for b in blocks if b not in {c.block for c in responses.columns.values()}]
        if unknown:
            raise AnalysisError(f"no block(s) {', '.join(unknown)} in the study; its blocks: "
                                f"{', '.join(dict.fromkeys(c.block for c in responses.columns.values()))}")
    descs, vals = [], []
    sub = data.loc[index]
    for c in cols:
        for d, how in _measures_for_column(c):
            descs.append(d)
            vals.append(_column_values(sub[c.id], how))
    if behaviour is not None:
        # survey questions of kind behaviour may be among the KPIs: profiled once, as questions
        behaviour = behaviour[[c for c in behaviour.columns if c not in {col.id for col in cols}]]
        bd, bv = _behaviour_measures(behaviour, index, max_categories, pii)
        descs += bd
        vals += bv
    return descs, vals


def _against_the_rest(V, w, code, segs, meas, share, tot, scale) -> tuple[pd.DataFrame, list]:
    """Each segment against the rest of the respondents, every measure: value, total, rest,
    index and the p-value (two-proportion z-test for shares, Welch's t-test for means, effective
    n). Returns (the long table, each segment's weighted statistics)."""
    rows = []
    per_segment = []
    for g, s in enumerate(segs):
        inside = code == g
        a, b = weighted_stats(V[inside], w[inside]), weighted_stats(V[~inside], w[~inside])
        per_segment.append(a)
        p = np.where(
            share,
            two_proportion_ztest(a["mean"], a["n_eff"], b["mean"], b["n_eff"])[1],
            welch_ttest(a["mean"], a["var"], a["n_eff"], b["mean"], b["var"], b["n_eff"])[1],
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            idx = np.where(tot["mean"] != 0, 100 * a["mean"] / tot["mean"], np.nan)
        part = meas.copy()
        part["segment"] = [s] * len(meas)
        part["n"] = a["n"].astype(int)
        part["base"] = a["base"]
        part["n_eff"] = a["n_eff"]
        part["value"] = a["mean"] * scale
        part["total"] = tot["mean"] * scale
        part["rest"] = b["mean"] * scale
        part["index"] = idx
        part["p_value"] = p
        rows.append(part)
    return pd.concat(rows, ignore_index=True), per_segment


def _segment_sizes(code, w, segs, min_segment_n) -> pd.DataFrame:
    """Per segment: n, weighted n, share % and whether it is suppressed (below ``min_segment_n``)."""
    sizes = pd.Series(code).value_counts().reindex(range(len(segs)), fill_value=0).to_numpy()
    wsizes = np.array([w[code == g].sum() for g in range(len(segs))])
    return pd.DataFrame(
        {
            "n": sizes.astype(int),
            "weighted n": np.round(wsizes, 1),
            "share %": np.round(100 * wsizes / wsizes.sum(), 1),
            "suppressed": sizes < min_segment_n,
        },
        index=pd.Index(segs, name="segment"),
    )


def profile(
    responses,
    labels: pd.Series,
    *,
    weights: pd.Series | None = None,
    behaviour: pd.DataFrame | None = None,
    blocks=None,
    alpha: float = 0.05,
    correction: str = "holm",
    min_segment_n: int = 30,
    max_categories: int = 20,
) -> SegmentProfiles:
    """Profile a segmentation: every block, every segment, against the total and the rest.

    Parameters
    ----------
    responses : Responses
        Clean responses (``.data`` indexed by respondent id, ``.columns`` the study's
        metadata). Only the columns described in ``.columns`` are profiled; PII never is.
    labels : Series
        Segment label per respondent id. Ids not among the responses, and respondents
        without a label, are dropped (counted in ``alignment``).
    weights : Series, optional
        Weight per respondent id (e.g. ``responses.weights``); every profiled respondent
        needs a positive weight. Tests then use the effective sample size.
    behaviour : DataFrame, optional
        KPIs per respondent id (numeric, boolean or categorical columns), profiled as the
        block ``'behaviour'``. Respondents without behaviour are left out of its bases.
    blocks : list of str, optional
        Study blocks to profile; default: all but verbatims and screening.
    alpha : float, default=0.05
        Significance level for the arrows.
    correction : {'holm', 'fdr_bh', 'bonferroni', 'none'}, default='holm'
        Multiple-testing correction, applied within each block.
    min_segment_n : int, default=30
        Segments with fewer respondents are flagged ``suppressed``.
    max_categories : int, default=20
        Categorical behaviour columns with more categories are skipped (ids, names).

    Returns
    -------
    SegmentProfiles

    Raises
    ------
    AnalysisError
        No overlap between labels and responses, fewer than two segments, bad weights.
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}; got {correction!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    data = responses.data
    al = align_labels(data.index, labels)
    lab = al.labels
    segs = sort_segments(lab)
    if len(segs) < 2:
        raise AnalysisError(f"profiling needs at least two segments; the labels hold {len(segs)} ({segs})")
    index = lab.index
    w = align_weights(weights, index)
    code = lab.map({s: i for i, s in enumerate(segs)}).to_numpy(dtype=int)

    descs, vals = _profile_measures(responses, index, blocks, behaviour, max_categories)
    if not descs:
        raise AnalysisError("nothing to profile: no coded or numeric question in the chosen blocks")
    V = np.column_stack(vals)
    meas = pd.DataFrame(descs)
    share = (meas["stat"] == "share").to_numpy()

    tot = weighted_stats(V, w)
    scale = np.where(share, 100.0, 1.0)
    table, per_segment = _against_the_rest(V, w, code, segs, meas, share, tot, scale)
    table["letters"] = _column_letters(per_segment, share, segs, alpha)
    table["p_adj"] = np.nan
    for block, grp in table.groupby("block", sort=False):
        table.loc[grp.index, "p_adj"] = correct_pvalues(grp["p_value"].to_numpy(dtype=float), correction)
    table["significant"] = table["p_adj"] < alpha
    table["sig"] = np.where(
        table["significant"], np.where(table["value"] > table["rest"], UP, DOWN), ""
    )
    totals = meas.copy()
    totals["n"] = tot["n"].astype(int)
    totals["base"] = tot["base"]
    totals["n_eff"] = tot["n_eff"]
    totals["value"] = tot["mean"] * scale

    segments = _segment_sizes(code, w, segs, min_segment_n)
    small = segments.index[segments["suppressed"]].tolist()
    if small:
        logger.info("segments %s have fewer than %d respondents: suppressed in client tables", small, min_segment_n)
    alignment = {
        "labels": al.n_labels,
        "responses": al.n_responses,
        "labels without response": al.labels_without_response,
        "responses without label": al.responses_without_label,
        "profiled": al.n,
    }
    return SegmentProfiles(
        table=table,
        totals=totals,
        segments=segments,
        membership=lab.rename("segment"),
        alignment=alignment,
        weighted=weights is not None,
        alpha=alpha,
        correction=correction,
        min_segment_n=int(min_segment_n),
        study_id=str(getattr(responses, "study_id", "")),
        wave=str(getattr(responses, "wave", "")),
    )
