"""Golden questions: the few survey questions that reproduce segment membership.

A segmentation is only useful after the study if new customers can be placed in it. The
typing tool asks a handful of the survey's questions ("golden questions") and computes the
segment with a multinomial logistic regression on the answers as numbers, so the same
arithmetic runs in Python (:meth:`TypingTool.predict`, ``workbench classify``) and in an
Excel workbook built of plain formulas (:meth:`TypingTool.to_excel`).

This is the one typing tool of the workbench (issue 23): the scorecard's *describable* check
judges every candidate segmentation by the tool this function builds for it, the model step
ships the recommended candidate's tool in ``typing_tool.xlsx`` and ``model.json``, and the
deck quotes its accuracy.

Selection (:func:`select_golden_questions`)
-------------------------------------------
Forward stepwise discriminant analysis: start with no question; at each step add the
question that most lowers Wilks' lambda ``det(W) / det(T)`` (within-segment over total
scatter, weighted, skipped answers at the item mean) of the questions chosen so far: the
classical stepwise selection of typing tools, and cheap enough to build a tool for every
candidate segmentation. The path runs to ``max_questions`` so a consultant can see what each
further question buys, each step with the cross-validated accuracy of the logit model on
the questions so far (stratified K-fold, seeded); the tool keeps the *smallest* set: it
stops before the first question that improves the accuracy by less than ``tolerance``.

Model
-----
For segment k the score is ``a_k + Σ_j b_kj x_j`` with x_j the answer to question j (its
item mean when skipped); the probability is the softmax of the scores and the segment is
the one with the highest score. It is fitted as sklearn's ``LogisticRegression`` (L2
penalty ``1 / (2C) Σ b²`` on standardised answers, symmetric multinomial, unpenalised
intercepts), solved by Newton's method here because the selection needs about a thousand
small fits; the coefficients are then rescaled to the answers' own scale, so the formulas
need no standardisation step.

The order of the questions is chosen on every respondent and the accuracies are
cross-validated along that order, so the accuracy of the chosen set is slightly optimistic
for sets picked among many candidates; the accuracy of a fixed set of questions
(``candidates=[...]``, ``n_questions=``) is not. In small samples a
question unrelated to the segments can, by chance, gain a point of accuracy (in
simulations with 20 five-point items: about half the time with 1,200 respondents, never
with 3,000): with fewer than ~2,000 respondents, consider ``tolerance=0.01``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..core.summary import Summarised, Summary, SummaryTable
from ..core.errors import AnalysisError, DataError, OutputError, WorkbenchWarning
from ..files.jsonplain import check_format, plain, rebuild
from ..core.stats import mlogit_fit, one_blas_thread, softmax
from .inputs import not_better_than_guessing, numeric_frame, random_seed, sample_weights, summary_frame
from .typing_excel import write_typing_tool

__all__ = ["select_golden_questions", "TypingTool", "PATH_COLUMNS", "TYPING_TOLERANCE"]

logger = logging.getLogger(__name__)

#: Columns of :attr:`TypingTool.path`.
PATH_COLUMNS = ["step", "question", "label", "accuracy", "sd", "gain", "log_loss", "chosen"]

#: The stopping rule of the typing tool the scorecard judges and the model step ships: a further
#: question must add at least one percentage point of cross-validated accuracy.
TYPING_TOLERANCE = 0.01

FORMAT = "workbench.typing_tool"
FORMAT_VERSION = 1


# --------------------------------------------------------------------------- helpers


def _weighted_mean_sd(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (weights as frequencies; sd 1 for constants)."""
    mean = (w @ x) / w.sum()
    var = (w @ (x - mean) ** 2) / w.sum()
    sd = np.sqrt(var)
    sd[~(sd > 1e-12)] = 1.0
    return mean, sd


def _nanmean_w(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean of each column over its answered rows."""
    ok = ~np.isnan(x)
    ww = ok * w[:, None]
    tot = ww.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (np.where(ok, x, 0.0) * ww).sum(axis=0) / np.where(tot > 0, tot, 1.0), np.nan)


# --------------------------------------------------------------------------- input checks


def _align(answers, segments, sample_weight, candidates):
    if not isinstance(answers, pd.DataFrame):
        raise DataError(f"answers must be a DataFrame (respondents × questions), not {type(answers).__name__}")
    if not isinstance(segments, pd.Series):
        segments = pd.Series(np.asarray(segments), index=answers.index)
    if segments.index.has_duplicates:
        dup = segments.index[segments.index.duplicated()][0]
        raise DataError(f"segments has respondent {dup!r} more than once; give one segment per respondent")
    if answers.index.has_duplicates:
        dup = answers.index[answers.index.duplicated()][0]
        raise DataError(f"answers has respondent {dup!r} more than once; give one row per respondent")
    seg = segments.dropna()
    index = answers.index[answers.index.isin(seg.index)]
    if len(index) == 0:
        raise DataError(
            "answers and segments share no respondent id; both must be indexed by the respondent id "
            f"(answers: {list(answers.index[:3])}, segments: {list(segments.index[:3])})"
        )
    if candidates is None:
        candidates = list(answers.columns)
    else:
        candidates = list(candidates)
        unknown = [c for c in candidates if c not in answers.columns]
        if unknown:
            raise DataError(f"candidate question(s) {', '.join(map(str, unknown))} are not columns of the answers",
                            column=str(unknown[0]))
    x = numeric_frame(answers.loc[index], candidates, "answers")
    w = sample_weights(sample_weight, index, answers.index)
    return x, seg.reindex(index), w


# --------------------------------------------------------------------------- selection


class _Folds:
    """Per fold: imputed and standardised candidate columns (train stats only)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, splits):
        self.parts = []
        for train, test in splits:
            means = _nanmean_w(x[train], w[train])
            xtr = np.where(np.isnan(x[train]), means, x[train])
            xte = np.where(np.isnan(x[test]), means, x[test])
            mu, sd = _weighted_mean_sd(xtr, w[train])
            self.parts.append(((xtr - mu) / sd, y[train], w[train], (xte - mu) / sd, y[test], w[test], test))


def _wilks_forward(x: np.ndarray, y: np.ndarray, w: np.ndarray, n_max: int) -> list[int]:
    """Forward stepwise selection of columns minimising Wilks' lambda det(W) / det(T) (weighted scatter)."""
    mean = (w @ x) / w.sum()
    xc = x - mean
    total = (xc * w[:, None]).T @ xc
    within = np.zeros_like(total)
    for g in np.unique(y):
        m = y == g
        xg = x[m] - (w[m] @ x[m]) / w[m].sum()
        within += (xg * w[m][:, None]).T @ xg
    usable = [j for j in range(x.shape[1]) if total[j, j] > 0]
    # a tiny ridge relative to each item's spread: an item that separates the segments
    # perfectly (a binary option ticked by one segment only) has no within-segment variance;
    # it is the best item, not one to skip (issue 30: typing on select-all-that-apply items)
    ridge = 1e-6 * np.diag(np.diag(total))
    total, within = total + ridge, within + ridge
    chosen: list[int] = []
    while len(chosen) < min(n_max, len(usable)):
        best, best_j = np.inf, None
        for j in usable:
            if j in chosen:
                continue
            cols = [*chosen, j]
            sign_w, logdet_w = np.linalg.slogdet(within[np.ix_(cols, cols)])
            sign_t, logdet_t = np.linalg.slogdet(total[np.ix_(cols, cols)])
            if sign_w <= 0 or sign_t <= 0:
                continue
            lam = logdet_w - logdet_t
            if lam < best:
                best, best_j = lam, j
        if best_j is None:
            break
        chosen.append(best_j)
    return chosen


def _cv_fit(folds: _Folds, cols: list[int], starts, k: int, C: float):
    """Cross-validate one column set; returns (fold accuracies, mean log-loss, out-of-fold scores, coefs)."""
    accs, losses, coefs = [], [], []
    n = sum(len(p[6]) for p in folds.parts)
    oof = np.zeros((n, k))
    for f, (ztr, ytr, wtr, zte, yte, wte, test) in enumerate(folds.parts):
        start = None
        if starts is not None:
            prev = starts[f]
            start = np.vstack([prev, np.zeros((len(cols) + 1 - prev.shape[0], k))])
        b, _ = mlogit_fit(ztr[:, cols], ytr, wtr, C=C, start=start)
        s = b[0] + zte[:, cols] @ b[1:]
        prob = softmax(s.copy())
        accs.append(float(wte @ (s.argmax(axis=1) == yte)) / float(wte.sum()))
        losses.append(float(-(wte @ np.log(np.clip(prob[np.arange(len(yte)), yte], 1e-300, None))) / wte.sum()))
        oof[test] = s
        coefs.append(b)
    return np.array(accs), float(np.mean(losses)), oof, coefs


@one_blas_thread
def select_golden_questions(
    answers: pd.DataFrame,
    segments: pd.Series,
    *,
    max_questions: int = 10,
    sample_weight=None,
    cv: int = 5,
    random_state=None,
    labels: Mapping | None = None,
    candidates: list | None = None,
    tolerance: float = 0.005,
    n_questions: int | None = None,
    names: Mapping | None = None,
    codes: Mapping | None = None,
    C: float = 1.0,
    provenance: Mapping | None = None,
) -> "TypingTool":
    """Choose the smallest set of golden questions that reproduces segment membership.

    Parameters
    ----------
    answers : DataFrame
        Respondents × candidate questions (answer codes as numbers, NaN when skipped),
        indexed by respondent id.
    segments : Series
        The segment of each respondent (same index; respondents without one are left out).
    max_questions : int, default=10
        Length of the selection path (and the largest tool).
    sample_weight : Series or array-like, optional
        Respondent weights (Series aligned by id, or an array in the order of ``answers``);
        used in the fit, the item means and the accuracies. Normalised to mean 1.
    cv : int, default=5
        Stratified folds (fewer when the smallest segment has fewer respondents).
    random_state : int, numpy Generator or None
        Seeds the folds; the same seed gives the same selection and coefficients.
    labels : mapping of question to str, optional
        Question labels for the path, the summary and the Excel tool.
    candidates : list of str, optional
        The questions to choose from (default: every column of ``answers``).
    tolerance : float, default=0.005
        Stop before the first question that adds less than this to the cross-validated
        accuracy (0.005 = half a percentage point).
    n_questions : int, optional
        Keep exactly this many questions of the path instead (a consultant's choice).
    names : mapping of segment to str, optional
        Segment names (e.g. persona names); default 'Segment <label>'.
    codes : mapping of question to {code: label}, optional
        Allowed answers, shown in the Excel tool and used for its input lists.
    C : float, default=1.0
        Inverse L2 penalty strength on the standardised answers (as in sklearn).
    provenance : mapping, optional
        What the tool reproduces, e.g. ``{"study": "demo", "wave": "1", "segmentation":
        "lca-5"}``; kept in the model file and shown in the workbook.

    Returns
    -------
    TypingTool

    Raises
    ------
    DataError
        Answers not numeric, ids that do not match, bad weights or unknown candidates.
    AnalysisError
        Fewer than two segments, a segment with a single respondent, no usable question.
    """
    rs = random_seed(random_state)
    _check_settings(max_questions, tolerance, C)
    x, y, w, classes, usable = _prepare(answers, segments, sample_weight, candidates)
    counts = np.bincount(y, minlength=len(classes))
    n_splits = int(min(cv, counts.min()))
    if n_splits < 2:
        small = classes[int(counts.argmin())]
        raise AnalysisError(
            f"segment {small!r} has {int(counts.min())} respondent(s); cross-validating a typing tool needs at "
            "least two per segment"
        )
    if n_splits < cv:
        logger.info("golden questions: %d folds instead of %d (smallest segment: %d)", n_splits, cv, counts.min())
    from sklearn.model_selection import StratifiedKFold

    splits = list(StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=rs).split(np.zeros(len(y)), y))
    xv = x.to_numpy(dtype=float)
    labels = {str(q): str(v) for q, v in (labels or {}).items()}
    path, chosen, oofs = _selection_path(xv, y, w, usable, _Folds(xv, y, w, splits), labels,
                                         n_max=min(int(max_questions), len(usable)), C=C)
    size = _chosen_size(path, n_questions, tolerance)
    path["chosen"] = path["step"] <= size
    path = path[PATH_COLUMNS]
    questions = [usable[j] for j in chosen[:size]]
    coef, means, mu, sd = _final_fit(xv[:, chosen[:size]], y, w, questions, classes, C)
    seg_names = {c: str((names or {}).get(c, f"Segment {c}")) for c in classes}
    confusion, agreement = _agreement(oofs[size - 1].argmax(axis=1), y, w, classes, seg_names)
    acc = path.loc[size - 1]
    tool = TypingTool(
        questions=tuple(questions),
        question_labels={q: labels.get(str(q), str(q)) for q in questions},
        segments=tuple(plain(c) for c in classes),
        segment_names={plain(c): seg_names[c] for c in classes},
        coefficients=coef.rename(columns=plain),
        item_means=pd.Series(means, index=questions, name="mean"),
        scaling=pd.DataFrame({"mean": mu, "sd": sd}, index=pd.Index(questions, name="question")),
        path=path,
        accuracy=float(acc["accuracy"]),
        accuracy_sd=float(acc["sd"]),
        baseline_accuracy=float(w[y == counts.argmax()].sum() / w.sum()),
        confusion=confusion.rename(index=plain, columns=plain),
        agreement_by_segment=agreement.rename(index=plain),
        n=int(len(y)), cv=n_splits, C=float(C), tolerance=float(tolerance),
        random_state=rs,
        weighted=sample_weight is not None,
        codes=_norm_codes(codes, questions),
        provenance=dict(provenance or {}),
        created=_dt.date.today().isoformat(),
    )
    logger.info("golden questions: %d question(s) type %.1f%% of respondents correctly (cross-validated; "
                "largest segment %.1f%%)", size, 100 * tool.accuracy, 100 * tool.baseline_accuracy)
    return tool


def _check_settings(max_questions, tolerance, C) -> None:
    if int(max_questions) < 1:
        raise AnalysisError(f"max_questions must be at least 1, got {max_questions}")
    if not tolerance >= 0:
        raise AnalysisError(f"tolerance must be zero or positive, got {tolerance}")
    if not C > 0:
        raise AnalysisError(f"C must be positive, got {C}")


def _chosen_size(path: pd.DataFrame, n_questions, tolerance: float) -> int:
    """How many questions of the path the tool keeps: ``n_questions``, or up to the first that adds
    less than ``tolerance`` of accuracy."""
    if n_questions is not None:
        if not 1 <= int(n_questions) <= len(path):
            raise AnalysisError(f"n_questions must lie between 1 and {len(path)} (the path's length), "
                                f"got {n_questions}")
        return int(n_questions)
    for s in range(1, len(path)):
        if path.loc[s, "gain"] < tolerance:  # row s is step s + 1
            return s
    return len(path)


def _prepare(answers, segments, sample_weight, candidates):
    """The usable candidate answers (answered, two or more values), segment codes, weights and classes."""
    x, seg, w = _align(answers, segments, sample_weight, candidates)
    answered = x.notna().any()
    varying = x.nunique() > 1
    usable = [c for c in x.columns if answered[c] and varying[c]]
    dropped = [c for c in x.columns if c not in usable]
    if dropped:
        logger.info("golden questions: left out %s (no answers or one answer only)", ", ".join(map(str, dropped)))
    if not usable:
        raise AnalysisError("no candidate question has two or more different answers; nothing to type segments with")
    classes = sorted(seg.unique().tolist(), key=lambda v: (str(type(v)), v))
    if len(classes) < 2:
        raise AnalysisError("a typing tool needs at least two segments; the segments hold one")
    y = pd.Categorical(seg, categories=classes).codes.astype(int)
    return x[usable], y, w, classes, usable


def _selection_path(xv, y, w, usable, folds: _Folds, labels: dict, *, n_max: int, C: float):
    """The questions in Wilks' order with the cross-validated accuracy of each nested set:
    ``(path, chosen column indices, out-of-fold scores per step)``."""
    k = int(y.max()) + 1
    counts = np.bincount(y, minlength=k)
    order = _wilks_forward(np.where(np.isnan(xv), _nanmean_w(xv, w), xv), y, w, n_max)
    if not order:
        raise AnalysisError("no candidate question varies within the respondents, so no question can tell the "
                            "segments apart")
    chosen: list[int] = []
    starts = None
    rows, oofs = [], []
    for step, j in enumerate(order, start=1):
        chosen.append(j)
        accs, loss, oof, starts = _cv_fit(folds, chosen, starts, k, C)
        prev = rows[-1]["accuracy"] if rows else float(w @ (y == counts.argmax())) / float(w.sum())
        rows.append({"step": step, "question": usable[j], "label": labels.get(str(usable[j]), str(usable[j])),
                     "accuracy": float(accs.mean()), "sd": float(accs.std(ddof=1)) if len(accs) > 1 else 0.0,
                     "gain": float(accs.mean()) - prev, "log_loss": loss})
        oofs.append(oof)
        logger.debug("golden questions: step %d adds %s (cv accuracy %.3f)", step, usable[j], accs.mean())
    return pd.DataFrame(rows), chosen, oofs


def _final_fit(xq: np.ndarray, y, w, questions: list, classes: list, C: float):
    """The tool fitted on everyone, rescaled to the answers' own scale: ``(coefficients, item means, mu, sd)``."""
    means = _nanmean_w(xq, w)
    filled = np.where(np.isnan(xq), means, xq)
    mu, sd = _weighted_mean_sd(filled, w)
    b, converged = mlogit_fit((filled - mu) / sd, y, w, C=C)
    if not converged:
        warnings.warn("the typing tool's logistic regression did not converge in 100 Newton steps; its "
                      "coefficients may be inaccurate: try a smaller C", WorkbenchWarning, stacklevel=3)
    slopes = b[1:] / sd[:, None]  # questions × segments
    intercept = b[0] - mu @ slopes
    coef = pd.DataFrame(np.vstack([intercept, slopes]), index=["(intercept)", *questions], columns=classes)
    coef.index.name = "term"
    coef.columns.name = "segment"
    return coef, means, mu, sd


def _agreement(pred: np.ndarray, y, w, classes: list, seg_names: dict):
    """Cross-validated confusion matrix and recall / precision per segment of the chosen set."""
    k = len(classes)
    counts = np.bincount(np.asarray(y, dtype=np.int64) * k + np.asarray(pred, dtype=np.int64), minlength=k * k)
    confusion = pd.DataFrame(counts.reshape(k, k), index=classes, columns=classes)
    confusion.index.name = "segment"
    confusion.columns.name = "typed as"
    agree = []
    for i, c in enumerate(classes):
        inseg = y == i
        typed = pred == i
        agree.append({
            "segment": c, "name": seg_names[c], "n": int(inseg.sum()),
            "share": float(w[inseg].sum() / w.sum()),
            "recall": float(w[inseg & typed].sum() / w[inseg].sum()),
            "precision": float(w[inseg & typed].sum() / w[typed].sum()) if typed.any() else float("nan"),
        })
    return confusion, pd.DataFrame(agree).set_index("segment")


def _norm_codes(codes, questions) -> dict:
    """``{question: {code: label}}`` for the golden questions; codes as numbers."""
    out = {}
    for q in questions:
        m = (codes or {}).get(q)
        if not m:
            continue
        norm = {}
        for code, label in dict(m).items():
            try:
                num = float(code)
            except (TypeError, ValueError):
                raise DataError(f"the answer code {code!r} of question '{q}' is not a number", column=str(q)) from None
            norm[int(num) if num.is_integer() else num] = str(label)
        out[q] = dict(sorted(norm.items()))
    return out


# --------------------------------------------------------------------------- the tool


@dataclass(frozen=True, eq=False)
class TypingTool(Summarised):
    """A short questionnaire that computes a respondent's segment.

    Attributes
    ----------
    questions : tuple of str
        The golden questions, in the order they were chosen.
    question_labels : dict
        Question → label.
    segments : tuple
        The segment labels, in the order of the coefficient columns.
    segment_names : dict
        Segment → name.
    coefficients : DataFrame
        Indexed by term (``(intercept)``, then each question), one column per segment: the
        score of segment k is ``intercept_k + Σ_j coefficient_jk × answer_j`` on the answers'
        own scale.
    item_means : Series
        The answer used for a skipped question (its mean in the fitting sample).
    scaling : DataFrame
        ``mean`` and ``sd`` per question: the standardisation the penalised fit used (already
        folded into the coefficients; for reference).
    path : DataFrame
        The selection path (:data:`PATH_COLUMNS`): step, question added, its label, the
        cross-validated accuracy and its sd over folds, the gain over the previous step, the
        log-loss, and whether the question is in the tool.
    accuracy, accuracy_sd : float
        Cross-validated accuracy of the tool's questions (mean and sd over folds).
    baseline_accuracy : float
        The accuracy of always answering the largest segment.
    confusion : DataFrame
        Cross-validated confusion matrix: segment (rows) × typed as (columns), respondents.
    agreement_by_segment : DataFrame
        Per segment: name, n, share, recall (share of its members typed correctly) and
        precision (share of those typed into it who belong to it), cross-validated.
    n, cv : int
        Respondents and folds.
    C, tolerance : float
    random_state : int or None
    weighted : bool
    codes : dict
        Question → {code: label}: the allowed answers (may be empty).
    provenance : dict
        What the tool reproduces (study, wave, segmentation, ...).
    created : str
        ISO date of the fit.
    """

    questions: tuple
    question_labels: dict
    segments: tuple
    segment_names: dict
    coefficients: pd.DataFrame = field(repr=False)
    item_means: pd.Series = field(repr=False)
    scaling: pd.DataFrame = field(repr=False)
    path: pd.DataFrame = field(repr=False)
    accuracy: float
    accuracy_sd: float
    baseline_accuracy: float
    confusion: pd.DataFrame = field(repr=False)
    agreement_by_segment: pd.DataFrame = field(repr=False)
    n: int
    cv: int
    C: float = 1.0
    tolerance: float = 0.005
    random_state: Any = None
    weighted: bool = False
    codes: dict = field(default_factory=dict, repr=False)
    provenance: dict = field(default_factory=dict, repr=False)
    created: str = ""

    def summarise(self) -> Summary:
        """The accuracy sentence, the selection path and the agreement by segment."""
        line = (f"Typing tool: {len(self.questions)} golden question(s) ({', '.join(map(str, self.questions))}) "
                f"type {self.accuracy:.1%} of {self.n:,} respondents into their segment ({self.cv}-fold "
                f"cross-validated; always guessing the largest segment: {self.baseline_accuracy:.1%})")
        return Summary("Typing tool", [line], [SummaryTable(self.path, title="selection path", index=False),
                                              SummaryTable(self.agreement_by_segment, title="agreement by segment")])

    def relabelled(self, *, labels: Mapping | None = None, names: Mapping | None = None,
                   codes: Mapping | None = None, provenance: Mapping | None = None) -> "TypingTool":
        """The same tool (questions, coefficients, accuracies) with question labels, segment names,
        answer codes and provenance for the client: the scorecard builds the tool on bare data, the
        model step ships it with the study's texts."""
        qlabels = {q: str((labels or {}).get(q, self.question_labels.get(q, q))) for q in self.questions}
        path = self.path.copy()
        path["label"] = [str((labels or {}).get(q, lab)) for q, lab in zip(path["question"], path["label"])]
        seg_names = {c: str((names or {}).get(c, self.segment_names.get(c))) for c in self.segments}
        agreement = self.agreement_by_segment.copy()
        agreement["name"] = [seg_names[c] for c in agreement.index]
        return dataclasses.replace(
            self, question_labels=qlabels, path=path, segment_names=seg_names, agreement_by_segment=agreement,
            codes=_norm_codes(codes, list(self.questions)) if codes is not None else self.codes,
            provenance=dict(provenance) if provenance is not None else self.provenance)

    # ---------------------------------------------------------------- scoring

    @property
    def refused(self) -> str | None:
        """Why the typing tool is not recommended (it does not beat guessing the largest
        segment by a clear, cross-validated margin:
        :func:`workbench.waves.inputs.not_better_than_guessing`), or None."""
        return not_better_than_guessing(self.accuracy, self.baseline_accuracy, self.accuracy_sd, self.cv)

    def _answers(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"answers must be a DataFrame with the golden questions, not {type(frame).__name__}")
        missing = [q for q in self.questions if q not in frame.columns]
        if missing:
            raise DataError(
                f"the answers lack the golden question(s) {', '.join(map(str, missing))}; the typing tool needs "
                f"{', '.join(map(str, self.questions))}", column=str(missing[0]),
            )
        x = numeric_frame(frame, list(self.questions), "answers").to_numpy(dtype=float)
        skipped = np.isnan(x)
        return np.where(skipped, self.item_means.to_numpy(dtype=float), x), skipped

    def decision_function(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each segment's score (intercept + Σ coefficient × answer) for every row."""
        x, _ = self._answers(frame)
        c = self.coefficients.to_numpy(dtype=float)
        return pd.DataFrame(c[0] + x @ c[1:], index=frame.index, columns=list(self.segments))

    def predict_proba(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Membership probabilities (softmax of the scores), one column per segment.

        Skipped questions are scored with the item mean (see :meth:`classify` for flags).
        """
        s = self.decision_function(frame)
        return pd.DataFrame(softmax(s.to_numpy()), index=s.index, columns=s.columns)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """The segment of every row (the highest score); ``<NA>`` for rows with no golden answer.

        A row that skipped some golden questions is scored with the item means of those and
        a :class:`~workbench.core.errors.WorkbenchWarning` says how many rows; :meth:`classify`
        flags them one by one.

        Raises
        ------
        DataError
            A golden question missing from ``frame`` (named), or an answer that is not a number.
        """
        out = self.classify(frame)
        partial = int(((out["skipped"] > 0) & out["segment"].notna()).sum())
        if partial:
            warnings.warn(f"{partial} row(s) skipped golden question(s) and were typed with the item means; "
                          "TypingTool.classify() flags them", WorkbenchWarning, stacklevel=2)
        return out["segment"]

    def classify(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Segment, name, probability and skipped-question flags for every row.

        Returns
        -------
        DataFrame
            ``segment`` (``<NA>`` when no golden question was answered), ``name``,
            ``probability`` (of that segment), ``skipped`` (number of golden questions
            skipped, scored with the item mean) and ``skipped_questions``.
        """
        x, skipped = self._answers(frame)
        c = self.coefficients.to_numpy(dtype=float)
        scores = c[0] + x @ c[1:]
        prob = softmax(scores.copy())
        best = scores.argmax(axis=1)
        none = skipped.all(axis=1)
        seg = pd.Series([self.segments[i] for i in best], index=frame.index, name="segment")
        if all(isinstance(s, int) for s in self.segments):
            seg = seg.astype("Int64")
        else:
            seg = seg.astype(object)
        seg[none] = pd.NA
        names = seg.map(lambda s: self.segment_names.get(s) if not pd.isna(s) else None)
        qs = np.array(self.questions, dtype=object)
        return pd.DataFrame({
            "segment": seg,
            "name": names,
            "probability": np.where(none, np.nan, prob[np.arange(len(best)), best]),
            "skipped": skipped.sum(axis=1).astype(int),
            "skipped_questions": [", ".join(map(str, qs[m])) for m in skipped],
        }, index=frame.index)

    # ---------------------------------------------------------------- reporting

    def summary(self) -> pd.DataFrame:
        """The headline numbers: questions, accuracy against the baseline, fit settings."""
        head = [("golden questions", len(self.questions)), ("questions", ", ".join(map(str, self.questions)))]
        return summary_frame(self, head, [
            ("recommended", "no: " + self.refused if self.refused else "yes: beats guessing by a clear margin"),
            ("segments", len(self.segments)),
            ("respondents", self.n),
        ], [("tolerance", self.tolerance)])

    # ---------------------------------------------------------------- plain data

    def to_dict(self) -> dict:
        """The tool as plain JSON-able data (numbers, strings, lists)."""
        c = self.coefficients
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "questions": [str(q) for q in self.questions],
            "question_labels": [self.question_labels.get(q, str(q)) for q in self.questions],
            "segments": [plain(s) for s in self.segments],
            "segment_names": [self.segment_names[s] for s in self.segments],
            "intercepts": [float(v) for v in c.iloc[0]],
            "coefficients": [[float(v) for v in c.iloc[1:][s]] for s in c.columns],
            "item_means": [float(v) for v in self.item_means],
            "scaling": {"mean": [float(v) for v in self.scaling["mean"]], "sd": [float(v) for v in self.scaling["sd"]]},
            "accuracy": self.accuracy,
            "accuracy_sd": self.accuracy_sd,
            "baseline_accuracy": self.baseline_accuracy,
            "path": [{k: plain(v) for k, v in r.items()} for r in self.path.to_dict("records")],
            "confusion": [[int(v) for v in row] for row in self.confusion.to_numpy()],
            "agreement_by_segment": [{k: plain(v) for k, v in r.items()}
                                     for r in self.agreement_by_segment.reset_index().to_dict("records")],
            "n": self.n,
            "cv": self.cv,
            "C": self.C,
            "tolerance": self.tolerance,
            "random_state": self.random_state,
            "weighted": self.weighted,
            "codes": {q: [[plain(k), v] for k, v in m.items()] for q, m in self.codes.items()},
            "provenance": {str(k): plain(v) for k, v in self.provenance.items()},
            "created": self.created,
        }

    @classmethod
    def from_dict(cls, doc: Mapping) -> "TypingTool":
        """:meth:`_from_dict`, a malformed entry named (:func:`workbench.files.jsonplain.rebuild`)."""
        return rebuild(cls._from_dict, doc, "the typing tool")

    @classmethod
    def _from_dict(cls, doc: Mapping) -> "TypingTool":
        """Rebuild a tool from :meth:`to_dict`'s output (e.g. read from model.json).

        Raises
        ------
        DataError
            Not a typing tool, a newer format, or a missing / inconsistent entry (named).
        """
        check_format(dict(doc) if isinstance(doc, Mapping) else doc, FORMAT, FORMAT_VERSION, what="the typing tool")
        need = ["questions", "segments", "segment_names", "intercepts", "coefficients", "item_means"]
        absent = [k for k in need if k not in doc]
        if absent:
            raise DataError(f"the typing tool lacks {', '.join(absent)}")
        qs = [str(q) for q in doc["questions"]]
        segs = list(doc["segments"])
        coefs = np.asarray(doc["coefficients"], dtype=float)
        if coefs.shape != (len(segs), len(qs)) or len(doc["intercepts"]) != len(segs) \
                or len(doc["item_means"]) != len(qs):
            raise DataError(f"the typing tool's coefficients do not match its {len(qs)} questions and "
                            f"{len(segs)} segments")
        coef = pd.DataFrame(np.vstack([np.asarray(doc["intercepts"], dtype=float), coefs.T]),
                            index=["(intercept)"] + qs, columns=segs)
        coef.index.name, coef.columns.name = "term", "segment"
        sc = doc.get("scaling") or {"mean": [np.nan] * len(qs), "sd": [np.nan] * len(qs)}
        if not all(isinstance(q, str) for q in qs):
            raise DataError("the typing tool's questions must be a list of column names")
        for key in ("mean", "sd"):
            if not isinstance(sc.get(key), list) or len(sc[key]) != len(qs):
                got = len(sc[key]) if isinstance(sc.get(key), list) else type(sc.get(key)).__name__
                raise DataError(f"the typing tool's scaling {key} has {got} value(s) for {len(qs)} question(s); write "
                                "the model again with `workbench run`")
        path = pd.DataFrame(doc.get("path") or [], columns=PATH_COLUMNS)
        agree = pd.DataFrame(doc.get("agreement_by_segment") or [])
        if len(agree):
            agree = agree.set_index("segment")
        conf = pd.DataFrame(doc.get("confusion") or np.zeros((len(segs), len(segs)), dtype=int),
                            index=segs, columns=segs)
        conf.index.name, conf.columns.name = "segment", "typed as"
        return cls(
            questions=tuple(qs),
            question_labels=dict(zip(qs, doc.get("question_labels") or qs)),
            segments=tuple(segs),
            segment_names=dict(zip(segs, doc["segment_names"])),
            coefficients=coef,
            item_means=pd.Series(np.asarray(doc["item_means"], dtype=float), index=qs, name="mean"),
            scaling=pd.DataFrame({"mean": np.asarray(sc["mean"], dtype=float), "sd": np.asarray(sc["sd"], dtype=float)},
                                 index=pd.Index(qs, name="question")),
            path=path,
            accuracy=float(doc.get("accuracy") or np.nan),
            accuracy_sd=float(doc.get("accuracy_sd") or np.nan),
            baseline_accuracy=float(doc.get("baseline_accuracy") or np.nan),
            confusion=conf,
            agreement_by_segment=agree,
            n=int(doc.get("n") or 0),
            cv=int(doc.get("cv") or 0),
            C=float(doc.get("C", 1.0)),
            tolerance=float(doc.get("tolerance", 0.005)),
            random_state=doc.get("random_state"),
            weighted=bool(doc.get("weighted", False)),
            codes={q: {k: v for k, v in pairs} for q, pairs in (doc.get("codes") or {}).items()},
            provenance=dict(doc.get("provenance") or {}),
            created=str(doc.get("created") or ""),
        )

    # ---------------------------------------------------------------- Excel

    def to_excel(self, path, *, title: str | None = None, names: Mapping | None = None,
                 codes: Mapping | None = None, batch_rows: int = 500, pii=()) -> Path:
        """Write the Excel typing tool: formulas only, no macros.

        Sheets: *Type a customer* (one input cell per golden question with a list of the
        allowed codes; scores, probabilities and the segment computed by formulas), *Batch*
        (paste ids and answers, one respondent a row), *Model* (the coefficients the
        formulas use) and *About* (accuracy, what it reproduces, how to use it).

        Parameters
        ----------
        path : Path
            The .xlsx file to write.
        title : str, optional
            Shown on every sheet (default: the study and wave from ``provenance``).
        names : mapping of segment to str, optional
            Segment names (default: :attr:`segment_names`).
        codes : mapping of question to {code: label}, optional
            Allowed answers (default: :attr:`codes`).
        batch_rows : int, default=500
            Rows with formulas on the Batch sheet.
        pii : iterable of str
            The study's PII columns: a golden question among them is refused.

        Raises
        ------
        OutputError
            A golden question is a PII column, or the file cannot be written.
        """
        leaked = sorted(set(map(str, self.questions)) & set(map(str, pii)))
        if leaked:
            raise OutputError(f"refusing to write the typing tool: golden question(s) {', '.join(leaked)} are "
                              "personal data declared as pii in the study")
        seg_names = {s: str((names or {}).get(s, self.segment_names.get(s, f"Segment {s}"))) for s in self.segments}
        all_codes = dict(self.codes)
        if codes:
            all_codes.update(_norm_codes(codes, self.questions))
        return write_typing_tool(self, Path(path), title=title, names=seg_names, codes=all_codes,
                                 batch_rows=int(batch_rows))
