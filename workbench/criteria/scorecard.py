"""The scorecard of every candidate, its ranking and recommendation (:func:`score_candidates`, :func:`score_study`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.summary import Summarised, Summary, SummaryTable
from ..core.errors import AnalysisError
from ..study import CriteriaSpec
from .candidates import BASIS_KINDS, CRITERIA, Candidate, FAIL, MAX_KPI_CATEGORIES, NOT_MEASURED, PASS
from ..core.stats import is_categorical
from .score import CandidateScore, score_candidate

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the scorecard


@dataclass(frozen=True, eq=False)
class Scorecard(Summarised):
    """Every candidate's checks, their ranking and the recommendation.

    Attributes
    ----------
    scores : list of CandidateScore
        In rank order.
    ranking : DataFrame
        One row per candidate (rank order): ``rank``, ``candidate``, ``k``, ``relevant``,
        ``operational``, ``describable``, ``criteria passed``, ``checks failed``,
        ``not measured``, ``typing accuracy``, ``closest profiles``.
    recommended : str
        The candidate to use: the pinned one when the study pins one, else rank 1.
    pinned : bool
    reason : str
        Why, in plain words.
    settings : dict
        The thresholds applied (``CriteriaSpec`` as a dict, with the resolved ``min_segment_n``).
    random_state : int or None
    """

    scores: list = field(repr=False)
    ranking: pd.DataFrame = field(repr=False)
    recommended: str
    pinned: bool
    reason: str
    settings: dict = field(repr=False)
    random_state: Any = None
    study_id: str = ""
    wave: str = ""
    #: more sheets for scorecard.xlsx (the forward relevance, :func:`workbench.criteria.forward.with_forward`)
    extra_tables: dict = field(default_factory=dict, repr=False)

    def summarise(self) -> Summary:
        """The recommendation with its reason, and the ranking of the candidates."""
        return Summary("Scorecard", [f"Scorecard of {len(self.scores)} candidate(s): recommended {self.recommended}",
                                     self.reason], [SummaryTable(self.ranking, index=False)])

    def __getitem__(self, name: str) -> CandidateScore:
        for s in self.scores:
            if s.name == name:
                return s
        raise KeyError(f"no candidate {name!r}; candidates: {', '.join(s.name for s in self.scores)}")

    @property
    def best(self) -> CandidateScore:
        """The recommended candidate's score."""
        return self[self.recommended]

    @property
    def checks(self) -> pd.DataFrame:
        """Every check of every candidate, tidy, in rank order."""
        return pd.concat([s.checks.assign(candidate=s.name) for s in self.scores], ignore_index=True)[
            ["candidate", "criterion", "check", "status", "value", "threshold", "sentence"]]

    def summary(self) -> pd.DataFrame:
        """The ranking table."""
        return self.ranking.copy()

    # ---------------------------------------------------------------- outputs

    def tables(self) -> dict[str, pd.DataFrame]:
        kpi = [s.kpi_tests.assign(candidate=s.name) for s in self.scores if len(s.kpi_tests)]
        dist = [s.distances.assign(candidate=s.name) for s in self.scores if len(s.distances)]
        typing = pd.DataFrame([
            {"candidate": s.name, "questions": ", ".join(s.typing.questions) if s.typing else "",
             "accuracy": s.typing.accuracy if s.typing else np.nan, "folds": s.typing.cv if s.typing else np.nan}
            for s in self.scores])
        traits = pd.concat([s.traits.reset_index().assign(candidate=s.name) for s in self.scores], ignore_index=True)
        traits["segment"] = traits["segment"].map(str)
        sizes = pd.concat([s.sizes.reset_index().assign(candidate=s.name) for s in self.scores], ignore_index=True)
        sizes["segment"] = sizes["segment"].map(str)

        def front(df):
            return df[["candidate"] + [c for c in df.columns if c != "candidate"]]

        return {
            "Ranking": self.ranking,
            "Checks": self.checks,
            "KPI tests": front(pd.concat(kpi, ignore_index=True)) if kpi else pd.DataFrame(),
            "Segment sizes": front(sizes),
            "Traits": front(traits),
            "Profile distances": front(pd.concat(dist, ignore_index=True)).assign(
                **{"segment a": lambda d: d["segment a"].map(str), "segment b": lambda d: d["segment b"].map(str)})
            if dist else pd.DataFrame(),
            "Typing models": typing,
            "Settings": pd.DataFrame({"setting": list(self.settings), "value": [str(v) for v in self.settings.values()]}),
            **self.extra_tables,
        }

    def to_excel(self, path, *, pii=(), labels=None, currency=None) -> Path:
        """Write ``scorecard.xlsx``: ranking, every check (pass green, fail red), details, settings."""
        from openpyxl import load_workbook
        from openpyxl.formatting.rule import CellIsRule
        from openpyxl.styles import Font, PatternFill

        from ..files.outputs import write_workbook

        path = Path(path)
        if path.is_dir():
            path = path / "scorecard.xlsx"
        notes = {
            "Ranking": self.reason,
            "Checks": "Every check of every candidate: pass / fail / not measured, the figure, the threshold and why.",
            "KPI tests": "Each behavioural KPI across segments; differs = corrected p below alpha and effect at or above the threshold.",
            "Profile distances": "Root-mean-square difference of segment mean profiles on the standardised basis items (sd units).",
            "Typing models": "Questions chosen by stepwise Wilks' lambda inside each fold; cross-validated accuracy.",
        }
        write_workbook(path, self.tables(), pii=tuple(pii), notes=notes, index=False, labels=labels, currency=currency)
        wb = load_workbook(path)
        green = PatternFill("solid", bgColor="C6EFCE")
        red = PatternFill("solid", bgColor="FFC7CE")
        grey = PatternFill("solid", bgColor="EDEDED")
        for sheet in ("Ranking", "Checks"):
            ws = wb[sheet]
            rng = f"A3:{ws.cell(row=ws.max_row, column=ws.max_column).coordinate}"
            ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{PASS}"'], fill=green,
                                                          font=Font(color="006100")))
            ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{FAIL}"'], fill=red,
                                                          font=Font(color="9C0006")))
            ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{NOT_MEASURED}"'], fill=grey))
        wb.save(path)
        return path

    def markdown(self) -> str:
        """The scorecard as a readable Markdown document."""
        src = f" - {self.study_id} wave {self.wave}" if self.study_id else ""
        out = [f"# Segmentation scorecard{src}", "", f"**Recommendation: {self.recommended}.** {self.reason}", "",
               "A good segmentation is *relevant* (segments differ in behaviour), *operational* (a workable number "
               "of distinct, stable, large enough segments) and *describable* (each segment has distinguishing traits "
               "and can be recognised with a short questionnaire).", "", "## Ranking", ""]
        rank = self.ranking.copy()
        rank["typing accuracy"] = rank["typing accuracy"].map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
        rank["closest profiles"] = rank["closest profiles"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
        out += _md_table(rank)
        for s in self.scores:
            out += ["", f"## {s.name} (k={s.k})", "",
                    " · ".join(f"{c}: **{s.status(c)}**" for c in CRITERIA), ""]
            chk = s.checks.copy()
            chk["value"] = chk["value"].map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
            out += _md_table(chk[["criterion", "check", "status", "value", "threshold", "sentence"]])
        out += ["", "## Thresholds", "", "Set under `criteria:` in study.yaml; defaults are documented in "
                "`workbench.study.CriteriaSpec`.", ""]
        out += _md_table(pd.DataFrame({"setting": list(self.settings), "value": [str(v) for v in self.settings.values()]}))
        return "\n".join(out) + "\n"

    def to_markdown(self, path) -> Path:
        """Write ``scorecard.md`` (UTF-8)."""
        path = Path(path)
        if path.is_dir():
            path = path / "scorecard.md"
        path.write_text(self.markdown(), encoding="utf-8")
        return path

    def plot(self, ax=None):
        """Candidates × checks as a grid: green pass, red fail, grey not measured.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.colors import ListedColormap

        chk = self.checks
        names = [s.name for s in self.scores]
        cols = list(dict.fromkeys(zip(chk["criterion"], chk["check"])))
        code = {PASS: 2, NOT_MEASURED: 1, FAIL: 0}
        grid = np.full((len(names), len(cols)), np.nan)
        for r in chk.itertuples():
            grid[names.index(r.candidate), cols.index((r.criterion, r.check))] = code[r.status]
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(1.0 * len(cols) + 3, 0.5 * len(names) + 2.2), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        ax.imshow(grid, cmap=ListedColormap(["#F4A6A6", "#DDDDDD", "#A9D8A9"]), vmin=0, vmax=2, aspect="auto")
        ax.set_xticks(range(len(cols)), [f"{c}\n{k}" for c, k in cols], rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(names)), [f"{n}{'  ◀ recommended' if n == self.recommended else ''}" for n in names])
        for i in range(len(names)):
            for j in range(len(cols)):
                if np.isfinite(grid[i, j]):
                    ax.text(j, i, {2: "pass", 1: "n/m", 0: "fail"}[int(grid[i, j])], ha="center", va="center", fontsize=8)
        ax.set_title("Scorecard: relevant / operational / describable")
        return fig

    # ---------------------------------------------------------------- display

    def __repr__(self) -> str:
        return f"Scorecard(candidates={len(self.scores)}, recommended={self.recommended!r}, pinned={self.pinned})"

def _md_cell(v) -> str:
    s = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    return s.replace("|", "\\|").replace("\n", " ")


def _md_table(df: pd.DataFrame) -> list[str]:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    return lines


def _rank(scores: list[CandidateScore]) -> pd.DataFrame:
    rows = []
    for s in scores:
        st = s.checks["status"]
        rows.append({
            "candidate": s.name, "k": s.k, **{c: s.status(c) for c in CRITERIA},
            "criteria passed": sum(s.status(c) == PASS for c in CRITERIA),
            "checks failed": int((st == FAIL).sum()), "not measured": int((st == NOT_MEASURED).sum()),
            "typing accuracy": s.typing.accuracy if s.typing else np.nan,
            "closest profiles": float(s.distances["distance"].iloc[0]) if len(s.distances) else np.nan,
        })
    t = pd.DataFrame(rows)
    t["_acc"] = t["typing accuracy"].fillna(0)
    t["_dist"] = t["closest profiles"].fillna(0)
    t = t.sort_values(["criteria passed", "checks failed", "not measured", "_acc", "_dist"],
                      ascending=[False, True, True, False, False], kind="stable").drop(columns=["_acc", "_dist"])
    t.insert(0, "rank", range(1, len(t) + 1))
    return t.reset_index(drop=True)


def _reason(ranking: pd.DataFrame, scores: dict, recommended: str, pinned: bool) -> str:
    top = ranking.iloc[0]
    best = scores[top["candidate"]]
    if pinned:
        s = scores[recommended]
        verdict = ", ".join(f"{c} {s.status(c)}" for c in CRITERIA)
        alt = f"; the ranking alone would have recommended {top['candidate']}" if top["candidate"] != recommended else ""
        return (f"{recommended} is pinned in the study (criteria.pin) and is used whatever the ranking ({verdict}){alt}."
                + _not_replicated(s))
    fails = best.failures()
    why_fail = "; ".join(f"{r.criterion}: {_clause(r.sentence)}" for r in fails.itertuples())
    if best.passes_all:
        text = f"{best.name} passes all three criteria (relevant, operational, describable)"
        others = ranking.iloc[1:][ranking.iloc[1:]["criteria passed"] == 3]
        if len(others):
            runner = others.iloc[0]
            text += f"; {runner['candidate']} also does, but ranks lower"
            if runner["not measured"] > top["not measured"]:
                text += f" ({int(runner['not measured'])} check(s) not measured against {int(top['not measured'])})"
            elif best.typing is not None and not pd.isna(runner["typing accuracy"]):
                text += (f" (typing accuracy {runner['typing accuracy']:.0%} against {best.typing.accuracy:.0%}, "
                         f"closest profiles {runner['closest profiles']:.2f} against {top['closest profiles']:.2f} sd)")
        nm = best.checks[best.checks["status"] == NOT_MEASURED]
        if len(nm):
            text += f". Not measured for it: {', '.join(nm['check'])}"
        return text + "."
    passed = [c for c in CRITERIA if best.status(c) == PASS]
    if _not_replicated(best):  # said first: a reviewer reads this before anything else
        why_fail = "; ".join(f"{r.criterion}: {_clause(r.sentence)}" for r in fails.itertuples()
                             if r.check != "best fit replicated")
        return (f"No candidate passes all three criteria; {best.name} comes closest"
                + (f" (passes {', '.join(passed)})" if passed else "") + "." + _not_replicated(best)
                + (f" It also fails {why_fail}." if why_fail else ""))
    return (f"No candidate passes all three criteria; {best.name} comes closest"
            + (f" (passes {', '.join(passed)})" if passed else "") + (f". It fails {why_fail}" if why_fail else "") + ".")


def _clause(sentence) -> str:
    """A check's sentence as a clause of a longer one: without its closing full stop (so that
    'understand.; describable' and '..' cannot arise), an opening article or quantifier in lower case
    ('A typing model' -> 'a typing model'; a name or an acronym stays)."""
    text = str(sentence).strip().rstrip(".")
    return text[0].lower() + text[1:] if text.split(" ", 1)[0] in _ARTICLES else text


#: Sentence openings that read as a clause in lower case.
_ARTICLES = {"A", "An", "The", "No", "None", "Only", "Not", "Too", "One"}


def _not_replicated(score) -> str:
    """The caveat of a recommendation whose best log-likelihood was not replicated ('' when it was)."""
    rows = score.checks[(score.checks["check"] == "best fit replicated") & (score.checks["status"] == FAIL)]
    if not len(rows):
        return ""
    return (f" Caution: its best fit was not replicated. {rows['sentence'].iloc[0]}")


def study_basis(study) -> list[str]:
    """The study's segmentation-basis items (coded columns of ``segmentation.basis`` blocks).

    Falls back to the coded items of the needs, motivations and barriers blocks when the
    study names no basis.
    """
    blocks = list(study.spec.segmentation.basis)
    cols = study.columns.values()
    if blocks:
        return [c.id for c in cols if c.block in blocks and c.scale.coded]
    return [c.id for c in cols if c.kind in BASIS_KINDS and c.scale.coded]


def score_candidates(
    candidates,
    responses,
    *,
    kpis: pd.DataFrame | None = None,
    basis: list[str] | None = None,
    criteria: CriteriaSpec | dict | None = None,
    weights: pd.Series | None = None,
    min_segment_n: int = 30,
    random_state=None,
) -> Scorecard:
    """Score candidate segmentations as relevant, operational and describable; recommend one.

    Parameters
    ----------
    candidates : iterable of Candidate
        Objects with ``name``, ``k``, ``labels`` (see :class:`Candidate`); names unique.
    responses : Responses
        Clean responses, for profiles (traits), profile distances and the typing model.
    kpis : DataFrame, optional
        Behavioural KPIs indexed by respondent id (numeric and categorical columns).
        Without them the relevance check is 'not measured'.
    basis : list of str, optional
        The segmentation-basis items (for distances and the typing model); default: the
        coded items of the needs, motivations and barriers blocks (see :func:`study_basis`
        for the study's own basis).
    criteria : CriteriaSpec or dict, optional
        Thresholds; default: the documented defaults (pass ``study.spec.criteria``).
    weights : Series, optional
        Respondent weights for the profiles (traits).
    min_segment_n : int, default=30
        The study's ``min_segment_n``; used unless ``criteria.min_segment_n`` is set.
    random_state : int, numpy Generator or None
        Seeds the cross-validation folds (pass the study's seed).

    Returns
    -------
    Scorecard

    Raises
    ------
    AnalysisError
        No candidates, duplicate names, a candidate without name / k / labels, a pinned
        candidate that is not among them, or KPIs named in ``criteria.kpis`` that are not given.
    """
    spec = criteria if isinstance(criteria, CriteriaSpec) else CriteriaSpec(**(criteria or {}))
    cands = list(candidates)
    if not cands:
        raise AnalysisError("no candidate segmentations to score; fit some first (workbench.segments)")
    for c in cands:
        if not isinstance(c, Candidate):
            missing = [a for a in ("name", "k", "labels") if not hasattr(c, a)]
            raise AnalysisError(
                f"{type(c).__name__} is not a candidate segmentation: it lacks {', '.join(missing)}; "
                "wrap plain labels with workbench.criteria.LabelCandidate(name, labels)"
            )
    names = [str(c.name) for c in cands]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise AnalysisError(f"candidate names must be unique; {', '.join(dup)} occur more than once")
    if spec.pin is not None and spec.pin not in names:
        raise AnalysisError(
            f"the study pins candidate '{spec.pin}' (criteria.pin), but the candidates are: {', '.join(names)}; "
            "fix the name or remove the pin"
        )
    if kpis is not None:
        if not isinstance(kpis, pd.DataFrame):
            raise AnalysisError(f"kpis must be a DataFrame indexed by respondent id, got {type(kpis).__name__}")
        pii = {str(c) for c in getattr(getattr(responses, "pii", None), "columns", [])}
        usable = []
        for c in kpis.columns:
            s = kpis[c]
            if str(c) in pii:
                continue
            if pd.api.types.is_datetime64_any_dtype(s) or (is_categorical(s) and s.nunique() > MAX_KPI_CATEGORIES):
                logger.info("KPI column %s is not a KPI (dates, ids or more than %d categories): not tested",
                            c, MAX_KPI_CATEGORIES)
                continue
            usable.append(c)
        named = set(spec.kpis)
        kpis = kpis[[c for c in kpis.columns if c in usable or c in named]]
        if spec.kpis:
            unknown = [k for k in spec.kpis if k not in kpis.columns]
            if unknown:
                raise AnalysisError(
                    f"criteria.kpis names {', '.join(unknown)}, which the behaviour KPIs do not hold; "
                    f"available: {', '.join(map(str, kpis.columns))}"
                )
            kpis = kpis[list(spec.kpis)]
    if basis is None:
        basis = [c.id for c in responses.columns.values() if c.kind in BASIS_KINDS and c.scale.coded]
    unknown = [b for b in basis if b not in responses.data.columns]
    if unknown:
        raise AnalysisError(f"basis item(s) {', '.join(unknown)} are not in the responses")
    min_n = spec.min_segment_n if spec.min_segment_n is not None else int(min_segment_n)
    if isinstance(random_state, np.random.Generator):
        random_state = int(random_state.integers(2**31 - 1))
    scores = []
    for c in cands:
        logger.info("scoring candidate %s", c.name)
        scores.append(score_candidate(c, responses, kpis, list(basis), spec, min_n, weights, random_state))
    by_name = {s.name: s for s in scores}
    ranking = _rank(scores)
    ordered = [by_name[n] for n in ranking["candidate"]]
    pinned = spec.pin is not None
    recommended = spec.pin if pinned else str(ranking["candidate"].iloc[0])
    reason = _reason(ranking, by_name, recommended, pinned)
    settings = {**spec.model_dump(), "min_segment_n": min_n, "basis items": len(basis)}
    return Scorecard(scores=ordered, ranking=ranking, recommended=recommended, pinned=pinned, reason=reason,
                     settings=settings, random_state=random_state,
                     study_id=str(getattr(responses, "study_id", "")), wave=str(getattr(responses, "wave", "")))


def score_study(study, responses, candidates, *, kpis: pd.DataFrame | None = None,
                weights: pd.Series | None = None) -> Scorecard:
    """:func:`score_candidates` with everything the study decides filled in.

    The basis items (:func:`study_basis`), the thresholds (``criteria:``), the study's
    ``min_segment_n``, its seed, and the responses' weights unless ``weights`` is given.

    Parameters
    ----------
    study : Study
    responses : Responses
        The wave's clean responses.
    candidates : iterable of Candidate
    kpis : DataFrame, optional
        Behavioural KPIs per respondent id.
    weights : Series, optional
        Default: ``responses.weights`` (None when the study declares no weight).

    Returns
    -------
    Scorecard
    """
    return score_candidates(
        candidates, responses, kpis=kpis, basis=study_basis(study), criteria=study.spec.criteria,
        weights=responses.weights if weights is None else weights, min_segment_n=study.spec.min_segment_n,
        random_state=study.seed,
    )
