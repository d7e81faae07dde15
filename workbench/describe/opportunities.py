"""Jobs-to-be-Done opportunities and the forces of progress, for the total and per segment.

Opportunity scores (outcome-driven innovation)
----------------------------------------------
Each outcome of an ``outcomes`` block is asked twice: how important it is and how
satisfied the customer is with how it is done today (study columns with
``Column.outcome`` = the outcome id and ``Column.role`` = 'importance' / 'satisfaction').
Both are summarised as top-box shares (the % choosing the scale's ``top_box`` highest
codes, of those answering) and put on a 0-10 scale (share × 10)::

    opportunity = importance + max(importance - satisfaction, 0)

An outcome is **underserved** when its opportunity is at least ``underserved`` (10 by
default: e.g. 70 % find it important and only 40 % are satisfied, 7 + 3 = 10), and
**overserved** when satisfaction exceeds importance by at least ``overserved_gap`` points
on the 0-10 scale (1 by default: 10 percentage points more satisfied than find it
important). With weights, shares are weighted.

Forces of progress
------------------
Motivations and barriers carry a ``force:`` in the study: push (the pain of the present),
pull (the attraction of the new), anxiety (fear of the new) and habit (comfort with the
present). :attr:`Opportunities.forces` summarises each force per segment as the mean
top-box share of its items, with the mean score and an index vs total.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.summary import Summarised, Summary, SummaryTable
from ..core.errors import AnalysisError
from .alignment import align_labels, align_weights, sort_segments

__all__ = ["opportunities", "outcome_pairs", "Opportunities", "opportunity_score", "FORCE_ORDER"]

logger = logging.getLogger(__name__)

TOTAL = "Total"
FORCE_ORDER = ("push", "pull", "anxiety", "habit")
_FORCE_SIDE = {"push": "for change", "pull": "for change", "anxiety": "against change", "habit": "against change"}


#: Offsets (points) tried for a point's label, nearest first; then further out with a leader line.
_LABEL_OFFSETS = [(dx * (4 + 8 * min(ring, 2)), (3 + 10 * ring) if up else -(11 + 10 * ring))
                  for ring in range(16) for dx in (1, -1) for up in (True, False)]


def place_labels(ax, points, texts, *, fontsize: float = 7) -> list:
    """Annotate ``points`` with ``texts`` so that no label overlaps another (or leaves the axes,
    where it can avoid it): each label takes the first of :data:`_LABEL_OFFSETS` whose box is
    free, measured with the figure's renderer; labels placed away from their point get a thin
    leader line.  Returns the annotations, in the order given (most important first)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    placed, out = [], []
    for (x, y), text in zip(points, texts):
        best = None
        for dx, dy in _LABEL_OFFSETS:
            ann = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                              ha="left" if dx >= 0 else "right", va="bottom" if dy >= 0 else "top")
            box = ann.get_window_extent(renderer).expanded(1.02, 1.1)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(b) for b in placed):
                best = (ann, box, (dx, dy))
                break
            ann.remove()
        if best is None:  # nowhere free: the last offset, drawn anyway
            dx, dy = _LABEL_OFFSETS[-1]
            ann = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                              ha="left" if dx >= 0 else "right", va="bottom" if dy >= 0 else "top")
            best = (ann, ann.get_window_extent(renderer), (dx, dy))
        ann, box, (dx, dy) = best
        if abs(dx) > 4:  # away from its point: redrawn with a thin leader line
            ann.remove()
            ann = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                              ha="left" if dx >= 0 else "right", va="bottom" if dy >= 0 else "top",
                              arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.5, "shrinkA": 0, "shrinkB": 2})
        placed.append(box)
        out.append(ann)
    return out


def opportunity_score(importance, satisfaction):
    """``importance + max(importance - satisfaction, 0)`` on the 0-10 scale.

    Parameters
    ----------
    importance, satisfaction : float or array-like
        Top-box shares × 10 (0-10).

    Returns
    -------
    float or ndarray
    """
    imp = np.asarray(importance, dtype=float)
    sat = np.asarray(satisfaction, dtype=float)
    out = imp + np.maximum(imp - sat, 0.0)
    return float(out) if out.ndim == 0 else out


def _top_box_share(values: np.ndarray, top: list, w: np.ndarray) -> tuple[float, int]:
    ok = ~np.isnan(values)
    if not ok.any():
        return np.nan, 0
    hit = np.isin(values[ok], top).astype(float)
    return float((w[ok] * hit).sum() / w[ok].sum()), int(ok.sum())


@dataclass(frozen=True, eq=False)
class Opportunities(Summarised):
    """JTBD opportunity scores and forces of progress.

    Attributes
    ----------
    table : DataFrame
        One row per segment ('Total' first) and outcome: ``segment``, ``outcome`` (id),
        ``label``, ``importance`` and ``satisfaction`` (top-box share × 10), ``opportunity``,
        ``underserved``, ``overserved``, ``n importance``, ``n satisfaction``, ``rank``
        (1 = biggest opportunity within the segment).
    forces : DataFrame
        One row per segment ('Total' first) and force: ``segment``, ``force``, ``side``
        ('for change' / 'against change'), ``items``, ``top-box %`` (mean over the
        force's items), ``mean`` (mean score), ``index`` (top-box % vs total × 100).
        Empty when the study declares no forces.
    segments : DataFrame
        Indexed by segment: ``n`` and ``suppressed``.
    underserved, overserved_gap : float
        The thresholds used.
    weighted : bool
    study_id, wave : str
    """

    table: pd.DataFrame = field(repr=False)
    forces: pd.DataFrame = field(repr=False)
    segments: pd.DataFrame = field(repr=False)
    underserved: float
    overserved_gap: float
    weighted: bool
    study_id: str = ""
    wave: str = ""

    def summarise(self) -> Summary:
        """The headline, each segment's underserved outcomes, and the opportunity table."""
        lines = [self._head()]
        for seg in self.segments.index:
            u = self.underserved_outcomes(seg)
            if len(u):
                lines.append(f"  {seg}: " + "; ".join(f"{r.label} {r.opportunity:.1f}" for r in u.itertuples()))
        return Summary("Opportunities", lines, [SummaryTable(self.summary(), digits=1)])

    @property
    def labels(self) -> list:
        """Segment labels (without 'Total')."""
        return [s for s in self.segments.index if s != TOTAL]

    def for_segment(self, segment=TOTAL) -> pd.DataFrame:
        """The outcomes of one segment (default: the total), biggest opportunity first."""
        t = self.table[self.table["segment"] == segment]
        if t.empty:
            raise KeyError(f"no segment {segment!r}; segments: {', '.join(map(str, self.segments.index))}")
        return t.sort_values("opportunity", ascending=False).reset_index(drop=True)

    def underserved_outcomes(self, segment=TOTAL) -> pd.DataFrame:
        """Underserved outcomes of a segment, biggest opportunity first."""
        t = self.for_segment(segment)
        return t[t["underserved"]].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Outcomes × segments: the opportunity score (Total first), outcomes by total score."""
        wide = self.table.pivot(index="label", columns="segment", values="opportunity")
        wide = wide.reindex(columns=list(self.segments.index))
        wide = wide.sort_values(TOTAL, ascending=False)
        wide.columns = [str(c) for c in wide.columns]
        wide.columns.name = None
        return wide.round(1)

    def forces_table(self, value: str = "top-box %") -> pd.DataFrame:
        """Forces × segments (``value``: 'top-box %', 'mean' or 'index')."""
        if self.forces.empty:
            return pd.DataFrame()
        wide = self.forces.pivot(index="force", columns="segment", values=value)
        wide = wide.reindex(index=[f for f in FORCE_ORDER if f in wide.index], columns=list(self.segments.index))
        wide.columns = [str(c) for c in wide.columns]
        wide.columns.name = None
        return wide

    # ---------------------------------------------------------------- outputs

    def tables(self, *, include_suppressed: bool = False, names: dict | None = None
               ) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
        """The sheets of ``opportunities.xlsx`` and their notes; ``names`` (segment → persona name)
        puts each persona's name beside its segment number."""
        names = {str(k): str(v) for k, v in (names or {}).items()}
        hidden = [s for s in self.labels if self.segments.loc[s, "suppressed"]] if not include_suppressed else []
        hide = (f" Not shown: segment(s) {', '.join(map(str, hidden))} below the study's min_segment_n."
                if hidden else "")
        scores = self.summary().drop(columns=[str(s) for s in hidden])
        table = self.table[~self.table["segment"].isin(hidden)].assign(segment=lambda d: d["segment"].map(str))
        forces = self.forces[~self.forces["segment"].isin(hidden)].assign(segment=lambda d: d["segment"].map(str))
        if names:
            scores = scores.rename(columns={c: f"{c}: {names[c]}" for c in scores.columns if names.get(c)})
            table.insert(list(table.columns).index("segment") + 1, "name", table["segment"].map(lambda x: names.get(x, "")))
            if "segment" in forces.columns:
                forces.insert(list(forces.columns).index("segment") + 1, "name",
                              forces["segment"].map(lambda x: names.get(x, "")))
        sheets = {"Opportunity scores": scores, "Outcomes": table, "Forces": forces}
        notes = {
            "Opportunity scores": f"Opportunity = importance + max(importance - satisfaction, 0), top-box shares x 10; "
                                  f">= {self.underserved:g} is underserved.{hide}",
            "Outcomes": f"Per segment and outcome; overserved when satisfaction exceeds importance by "
                        f">= {self.overserved_gap:g}.{hide}",
            "Forces": f"Forces of progress: mean top-box % of each force's items; index vs total.{hide}",
        }
        return sheets, notes

    def to_excel(self, path, *, pii=(), include_suppressed: bool = False, labels=None, names: dict | None = None) -> Path:
        """Write ``opportunities.xlsx`` (scores, every outcome per segment, forces).

        Parameters
        ----------
        path : str or Path
            A file, or a folder to write ``opportunities.xlsx`` into.
        pii : iterable of str
        include_suppressed : bool, default=False
            Client tables leave segments below ``min_segment_n`` out, with a note.

        Returns
        -------
        Path
        """
        from ..files.outputs import write_workbook

        path = Path(path)
        if path.is_dir():
            path = path / "opportunities.xlsx"
        sheets, notes = self.tables(include_suppressed=include_suppressed, names=names)
        return write_workbook(path, sheets, pii=tuple(pii), notes=notes, labels=labels)

    # ---------------------------------------------------------------- charts

    def plot_landscape(self, segment=TOTAL, *, ax=None, annotate: bool = True):
        """The opportunity landscape: importance (x) against satisfaction (y), 0-10.

        The underserved zone (opportunity ≥ the threshold) is shaded red, the overserved
        zone (satisfaction ≥ importance + gap) grey.

        Parameters
        ----------
        segment : label, default='Total'
        ax : matplotlib Axes, optional
        annotate : bool, default=True
            Write each outcome's label next to its point.

        Returns
        -------
        matplotlib.figure.Figure
        """
        t = self.for_segment(segment)
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(7.5, 6.5), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        u = self.underserved
        # imp + max(imp - sat, 0) >= u  <=>  sat <= 2 imp - u (imp >= u / 2) or imp >= u (any sat)
        x = np.linspace(0, 10, 201)
        bound = np.where(x >= u, 10.0, np.clip(2 * x - u, 0, 10))
        ax.fill_between(x, 0, bound, where=bound > 0, color="#F4B6B6", alpha=0.6, lw=0, label=f"underserved (opportunity ≥ {u:g})")
        g = self.overserved_gap
        ax.fill_between(x, np.clip(x + g, 0, 10), 10, where=x + g <= 10, color="#D9D9D9", alpha=0.6, lw=0,
                        label=f"overserved (satisfaction ≥ importance + {g:g})")
        ax.plot([0, 10], [0, 10], color="#999999", lw=0.8, ls="--")
        colours = np.where(t["underserved"], "#C0504D", np.where(t["overserved"], "#7F7F7F", "#4F81BD"))
        ax.scatter(t["importance"], t["satisfaction"], c=list(colours), s=45, zorder=3, edgecolor="white")
        if annotate:  # labels placed so that none covers another (notebooks, issue 26)
            order = t.sort_values(["opportunity", "label"], ascending=[False, True], kind="stable")
            place_labels(ax, [(r.importance, r.satisfaction) for r in order.itertuples()],
                         [f"{r.label} ({r.opportunity:.1f})" for r in order.itertuples()], fontsize=7)
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        ax.set_xlabel("importance (top-box share × 10)")
        ax.set_ylabel("satisfaction (top-box share × 10)")
        n = int(self.segments.loc[segment, "n"])
        ax.set_title(f"Opportunity landscape - {segment} (n={n:,})")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        return fig

    def plot_forces(self, *, ax=None):
        """Grouped bars: top-box % of each force of progress per segment.

        Returns
        -------
        matplotlib.figure.Figure
        """
        wide = self.forces_table("top-box %")
        if wide.empty:
            raise AnalysisError("the study declares no forces of progress (force: on motivations and barriers)")
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(1.4 * len(wide.columns) + 3, 4.5), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        colours = {"push": "#4F81BD", "pull": "#9BBB59", "anxiety": "#C0504D", "habit": "#8064A2"}
        x = np.arange(len(wide.columns))
        width = 0.8 / len(wide.index)
        for i, force in enumerate(wide.index):
            ax.bar(x + (i - (len(wide.index) - 1) / 2) * width, wide.loc[force], width, label=force,
                   color=colours.get(force))
        ax.set_xticks(x, list(wide.columns))
        ax.set_ylabel("top-box % (mean over the force's items)")
        ax.set_title("Forces of progress: push and pull for change, anxiety and habit against")
        ax.legend(ncols=len(wide.index), fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.08))
        return fig

    # ---------------------------------------------------------------- display

    def _head(self) -> str:
        src = f"{self.study_id} wave {self.wave}: " if self.study_id else ""
        n_out = self.table["outcome"].nunique()
        tot = self.table[self.table["segment"] == TOTAL]
        return (
            f"JTBD opportunities, {src}{n_out} outcomes, {len(self.labels)} segments; "
            f"{int(tot['underserved'].sum())} underserved and {int(tot['overserved'].sum())} overserved in total"
        )

    def __repr__(self) -> str:
        return f"Opportunities(outcomes={self.table['outcome'].nunique()}, segments={len(self.labels)})"

def outcome_pairs(columns, present=None) -> dict[str, dict]:
    """The JTBD outcomes with both an importance and a satisfaction column: outcome id ->
    ``{"importance": Column, "satisfaction": Column}`` (columns not in ``present``, when
    given, left out). Empty when the study has no outcomes block."""
    present = None if present is None else set(present)
    pairs: dict[str, dict] = {}
    for c in columns:
        if c.kind == "outcomes" and c.outcome and c.role in ("importance", "satisfaction") \
                and (present is None or c.id in present):
            pairs.setdefault(c.outcome, {})[c.role] = c
    return {o: p for o, p in pairs.items() if len(p) == 2}


def opportunities(
    responses,
    labels: pd.Series | None = None,
    *,
    weights: pd.Series | None = None,
    underserved: float = 10.0,
    overserved_gap: float = 1.0,
    min_segment_n: int = 30,
) -> Opportunities:
    """Opportunity scores per outcome and forces of progress, total and per segment.

    Parameters
    ----------
    responses : Responses
        Answers with the study's metadata (outcome pairs: ``Column.kind == 'outcomes'``,
        ``Column.outcome`` and ``Column.role``; forces: ``Column.force``).
    labels : Series, optional
        Segment label per respondent id (aligned as in :func:`workbench.describe.profiles.profile`).
        Without labels only the total is computed.
    weights : Series, optional
        Weight per respondent id.
    underserved : float, default=10
        Opportunity score at or above which an outcome is underserved.
    overserved_gap : float, default=1
        Satisfaction minus importance (0-10 scale) at or above which it is overserved.
    min_segment_n : int, default=30
        Segments with fewer respondents are flagged ``suppressed``.

    Returns
    -------
    Opportunities

    Raises
    ------
    AnalysisError
        The study has no outcome with both an importance and a satisfaction column.
    """
    data = responses.data
    if labels is not None:
        al = align_labels(data.index, labels)
        lab = al.labels
        segs = sort_segments(lab)
    else:
        lab = pd.Series("all", index=data.index)
        segs = []
    index = lab.index
    w = align_weights(weights, index)
    sub = data.loc[index]

    pairs = outcome_pairs(responses.columns.values(), data.columns)
    if not pairs:
        raise AnalysisError(
            "no JTBD outcome with both an importance and a satisfaction column in the responses; "
            "declare a block of kind 'outcomes' with outcomes: in the study"
        )
    groups = [(TOTAL, np.ones(len(index), dtype=bool))] + [(s, (lab == s).to_numpy()) for s in segs]
    rows = []
    for seg, mask in groups:
        for oid, p in pairs.items():
            imp_col, sat_col = p["importance"], p["satisfaction"]
            imp, n_imp = _top_box_share(sub[imp_col.id].to_numpy(dtype=float)[mask],
                                        sorted(imp_col.scale.codes)[-imp_col.scale.top_box:], w[mask])
            sat, n_sat = _top_box_share(sub[sat_col.id].to_numpy(dtype=float)[mask],
                                        sorted(sat_col.scale.codes)[-sat_col.scale.top_box:], w[mask])
            label = imp_col.label.removesuffix(" (importance)")
            rows.append({"segment": seg, "outcome": oid, "label": label, "importance": 10 * imp,
                         "satisfaction": 10 * sat, "n importance": n_imp, "n satisfaction": n_sat})
    table = pd.DataFrame(rows)
    table["opportunity"] = opportunity_score(table["importance"], table["satisfaction"])
    table["underserved"] = table["opportunity"] >= underserved
    table["overserved"] = (table["satisfaction"] - table["importance"]) >= overserved_gap
    table["rank"] = table.groupby("segment", sort=False)["opportunity"].rank(ascending=False, method="min").astype(int)
    table = table[["segment", "outcome", "label", "importance", "satisfaction", "opportunity", "underserved",
                   "overserved", "n importance", "n satisfaction", "rank"]]

    forces = _forces(responses, sub, groups, w)
    sizes = {TOTAL: len(index), **{s: int((lab == s).sum()) for s in segs}}
    segments = pd.DataFrame(
        {"n": pd.Series(sizes), "suppressed": pd.Series({k: (k != TOTAL and v < min_segment_n) for k, v in sizes.items()})}
    )
    segments.index.name = "segment"
    return Opportunities(
        table=table,
        forces=forces,
        segments=segments,
        underserved=float(underserved),
        overserved_gap=float(overserved_gap),
        weighted=weights is not None,
        study_id=str(getattr(responses, "study_id", "")),
        wave=str(getattr(responses, "wave", "")),
    )


def _forces(responses, sub: pd.DataFrame, groups, w: np.ndarray) -> pd.DataFrame:
    by_force: dict[str, list] = {}
    for c in responses.columns.values():
        if c.force and c.id in sub.columns and c.scale.coded:
            by_force.setdefault(c.force, []).append(c)
    cols = ["segment", "force", "side", "items", "top-box %", "mean", "index"]
    if not by_force:
        return pd.DataFrame(columns=cols)
    rows = []
    for seg, mask in groups:
        for force in [f for f in FORCE_ORDER if f in by_force] + [f for f in by_force if f not in FORCE_ORDER]:
            items = by_force[force]
            shares, means = [], []
            for c in items:
                x = sub[c.id].to_numpy(dtype=float)[mask]
                share, _ = _top_box_share(x, sorted(c.scale.codes)[-c.scale.top_box:], w[mask])
                ok = ~np.isnan(x)
                shares.append(share)
                means.append(float((w[mask][ok] * x[ok]).sum() / w[mask][ok].sum()) if ok.any() else np.nan)
            rows.append({"segment": seg, "force": force, "side": _FORCE_SIDE.get(force, ""),
                         "items": ", ".join(c.id for c in items), "top-box %": 100 * float(np.nanmean(shares)),
                         "mean": float(np.nanmean(means))})
    out = pd.DataFrame(rows)
    total = out[out["segment"] == TOTAL].set_index("force")["top-box %"]
    out["index"] = 100 * out["top-box %"] / out["force"].map(total)
    return out[cols]
