"""Golden questions: the few survey questions that reproduce segment membership.

A segmentation is only useful after the study if new customers can be placed in it. The
typing tool asks a handful of the survey's questions ("golden questions") and computes the
segment with a multinomial logistic regression on the answers as numbers, so the same
arithmetic runs in Python (:meth:`TypingTool.predict`, ``workbench classify``) and in an
Excel workbook built of plain formulas (:meth:`TypingTool.to_excel`).

Selection (:func:`select_golden_questions`)
-------------------------------------------
Forward stepwise: start with no question; at each step add the question whose model has
the highest cross-validated accuracy (stratified K-fold, seeded; ties go to the lower
cross-validated log-loss, then to the earlier column). The path runs to ``max_questions``
so a consultant can see what each further question buys; the tool keeps the *smallest*
set: it stops before the first question that improves the accuracy by less than
``tolerance``.

Model
-----
For segment k the score is ``a_k + Σ_j b_kj x_j`` with x_j the answer to question j (its
item mean when skipped); the probability is the softmax of the scores and the segment is
the one with the highest score. It is fitted as sklearn's ``LogisticRegression`` (L2
penalty ``1 / (2C) Σ b²`` on standardised answers, symmetric multinomial, unpenalised
intercepts), solved by Newton's method here because the selection needs about a thousand
small fits; the coefficients are then rescaled to the answers' own scale, so the formulas
need no standardisation step.

The cross-validated accuracy of the chosen set is measured on the same folds that chose
it, so it is slightly optimistic for sets picked among many candidates; the accuracy of a
fixed set of questions (``candidates=[...]``, ``n_questions=``) is not. In small samples a
question unrelated to the segments can, by chance, gain a point of accuracy (in
simulations with 20 five-point items: about half the time with 1,200 respondents, never
with 3,000): with fewer than ~2,000 respondents, consider ``tolerance=0.01``.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import AnalysisError, DataError, OutputError, WorkbenchWarning

__all__ = ["select_golden_questions", "TypingTool", "PATH_COLUMNS"]

logger = logging.getLogger(__name__)

#: Columns of :attr:`TypingTool.path`.
PATH_COLUMNS = ["step", "question", "label", "accuracy", "sd", "gain", "log_loss", "chosen"]

FORMAT = "workbench.typing_tool"
FORMAT_VERSION = 1


# --------------------------------------------------------------------------- the multinomial fit


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _mlogit_fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, *, C: float = 1.0, start: np.ndarray | None = None,
                tol: float = 1e-10, max_iter: int = 100) -> tuple[np.ndarray, bool]:
    """L2-penalised multinomial logistic regression by Newton's method.

    Minimises ``-Σ_i w_i log p_i,y_i + 1 / (2C) Σ_kj b_kj²`` (intercepts unpenalised), the
    objective of sklearn's ``LogisticRegression(C=C)`` with a multinomial loss.

    Parameters
    ----------
    x : ndarray (n, p)
    y : ndarray (n,) of int
        Class index 0..K-1.
    w : ndarray (n,)
        Sample weights.
    C : float
    start : ndarray (p + 1, K), optional
        Warm start (row 0: intercepts).

    Returns
    -------
    coef : ndarray (p + 1, K)
        Row 0 the intercepts (centred to sum to zero), then one row per column of ``x``.
    converged : bool
    """
    n, p = x.shape
    k = int(y.max()) + 1 if start is None else start.shape[1]
    k = max(k, 2)
    xa = np.empty((n, p + 1))
    xa[:, 0] = 1.0
    xa[:, 1:] = x
    d = p + 1
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    b = np.zeros((d, k)) if start is None else np.array(start, dtype=float)
    pen = np.full(d, 1.0 / C)
    pen[0] = 0.0
    pen_vec = np.tile(pen, k)
    keep = np.ones(k * d, dtype=bool)
    keep[(k - 1) * d] = False  # the last intercept is fixed: softmax is invariant to a common shift
    sw = np.sqrt(w)
    wsum = float(w.sum())

    def objective(coef):
        s = xa @ coef
        m = s.max(axis=1, keepdims=True)
        lse = np.log(np.exp(s - m).sum(axis=1)) + m[:, 0]
        return float(w @ (lse - s[np.arange(n), y])) + 0.5 * float((pen[:, None] * coef**2).sum())

    obj = objective(b)
    converged = False
    for _ in range(max_iter):
        prob = _softmax(xa @ b)
        grad = (xa.T @ (w[:, None] * (prob - onehot)) + b * pen[:, None]).T.ravel()
        q = ((sw[:, None] * prob)[:, :, None] * xa[:, None, :]).reshape(n, k * d)
        hess = -(q.T @ q)
        wp = w[:, None] * prob
        for c in range(k):
            hess[c * d:(c + 1) * d, c * d:(c + 1) * d] += (xa * wp[:, c:c + 1]).T @ xa
        hess[np.diag_indices_from(hess)] += pen_vec + 1e-12 * wsum
        step = np.zeros(k * d)
        try:
            step[keep] = np.linalg.solve(hess[np.ix_(keep, keep)], grad[keep])
        except np.linalg.LinAlgError:
            step[keep] = np.linalg.lstsq(hess[np.ix_(keep, keep)], grad[keep], rcond=None)[0]
        decrement = float(grad[keep] @ step[keep])
        if decrement < tol * max(wsum, 1.0):
            converged = True
            break
        step_m = step.reshape(k, d).T
        t = 1.0
        while True:  # backtracking: Newton steps on separable data can overshoot
            trial = b - t * step_m
            new = objective(trial)
            if new <= obj - 1e-4 * t * decrement or t < 1e-8:
                break
            t *= 0.5
        b, obj = trial, new
    b[0] -= b[0].mean()
    return b, converged


def _one_blas_thread(func):
    """Run ``func`` with BLAS limited to one thread.

    The fits here are thousands of products of small matrices; on a busy machine OpenBLAS's
    threads spin against each other and make them ten times slower, never faster.
    """
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


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


def _seed(random_state):
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return None if random_state is None else int(random_state)
    raise AnalysisError(f"random_state must be an int, a numpy Generator or None, not {type(random_state).__name__}")


def _plain(value):
    """A JSON-able scalar: numpy numbers to Python, NaN to None."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if math.isnan(v) else v
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _numeric_frame(frame: pd.DataFrame, columns, what: str) -> pd.DataFrame:
    """``frame[columns]`` as floats; a DataError naming the first non-numeric cell."""
    out = {}
    for c in columns:
        s = frame[c]
        if isinstance(s, pd.DataFrame):
            raise DataError(f"{what} has the column '{c}' more than once", column=str(c))
        if pd.api.types.is_bool_dtype(s):
            out[c] = s.astype(float)
            continue
        if pd.api.types.is_numeric_dtype(s):
            out[c] = s.astype("Float64").astype(float) if not pd.api.types.is_float_dtype(s) else s.astype(float)
            continue
        num = pd.to_numeric(s.replace("", np.nan) if s.dtype == object else s, errors="coerce")
        bad = num.isna() & s.notna() & (s.astype(str).str.strip() != "")
        if bad.any():
            idx = bad.idxmax()
            raise DataError(
                f"{what}: the answer {s[idx]!r} of respondent {idx!r} is not a number; golden questions are "
                "scored from answer codes (numbers) - recode the column or drop it from the candidates",
                column=str(c),
            )
        out[c] = num.astype(float)
    return pd.DataFrame(out, index=frame.index)


def _weights(sample_weight, index: pd.Index, full_index: pd.Index) -> np.ndarray:
    if sample_weight is None:
        return np.ones(len(index))
    if isinstance(sample_weight, pd.Series):
        w = sample_weight.reindex(index)
        if w.isna().any():
            raise DataError(f"sample_weight has no weight for respondent {w.index[w.isna()][0]!r}")
        w = w.to_numpy(dtype=float)
    else:
        arr = np.asarray(sample_weight, dtype=float)
        if arr.shape != (len(full_index),):
            raise DataError(f"sample_weight has {arr.size} values for {len(full_index)} respondents")
        w = pd.Series(arr, index=full_index).reindex(index).to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise DataError("sample_weight must be finite, non-negative and not all zero")
    return w / w.mean()


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
    x = _numeric_frame(answers.loc[index], candidates, "answers")
    w = _weights(sample_weight, index, answers.index)
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
        b, _ = _mlogit_fit(ztr[:, cols], ytr, wtr, C=C, start=start)
        s = b[0] + zte[:, cols] @ b[1:]
        prob = _softmax(s.copy())
        accs.append(float(wte @ (s.argmax(axis=1) == yte)) / float(wte.sum()))
        losses.append(float(-(wte @ np.log(np.clip(prob[np.arange(len(yte)), yte], 1e-300, None))) / wte.sum()))
        oof[test] = s
        coefs.append(b)
    return np.array(accs), float(np.mean(losses)), oof, coefs


@_one_blas_thread
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
    rs = _seed(random_state)
    if int(max_questions) < 1:
        raise AnalysisError(f"max_questions must be at least 1, got {max_questions}")
    if not tolerance >= 0:
        raise AnalysisError(f"tolerance must be zero or positive, got {tolerance}")
    if not C > 0:
        raise AnalysisError(f"C must be positive, got {C}")
    x, seg, w = _align(answers, segments, sample_weight, candidates)
    answered = x.notna().any()
    varying = x.nunique() > 1
    usable = [c for c in x.columns if answered[c] and varying[c]]
    dropped = [c for c in x.columns if c not in usable]
    if dropped:
        logger.info("golden questions: left out %s (no answers or one answer only)", ", ".join(map(str, dropped)))
    if not usable:
        raise AnalysisError("no candidate question has two or more different answers; nothing to type segments with")
    x = x[usable]
    classes = sorted(seg.unique().tolist(), key=lambda v: (str(type(v)), v))
    if len(classes) < 2:
        raise AnalysisError("a typing tool needs at least two segments; the segments hold one")
    y = pd.Categorical(seg, categories=classes).codes.astype(int)
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
    folds = _Folds(xv, y, w, splits)
    k = len(classes)
    labels = {str(q): str(v) for q, v in (labels or {}).items()}
    n_max = min(int(max_questions), len(usable))
    chosen: list[int] = []
    starts = None
    rows, oofs = [], []
    for step in range(1, n_max + 1):
        best = None
        for j in range(len(usable)):
            if j in chosen:
                continue
            accs, loss, oof, coefs = _cv_fit(folds, chosen + [j], starts, k, C)
            key = (-round(float(accs.mean()), 10), loss, j)
            if best is None or key < best[0]:
                best = (key, j, accs, loss, oof, coefs)
        _, j, accs, loss, oof, coefs = best
        chosen.append(j)
        starts = coefs
        prev = rows[-1]["accuracy"] if rows else float(w @ (y == counts.argmax())) / float(w.sum())
        rows.append({"step": step, "question": usable[j], "label": labels.get(str(usable[j]), str(usable[j])),
                     "accuracy": float(accs.mean()), "sd": float(accs.std(ddof=1)) if len(accs) > 1 else 0.0,
                     "gain": float(accs.mean()) - prev, "log_loss": loss})
        oofs.append(oof)
        logger.debug("golden questions: step %d adds %s (cv accuracy %.3f)", step, usable[j], accs.mean())
    path = pd.DataFrame(rows)
    if n_questions is not None:
        if not 1 <= int(n_questions) <= len(path):
            raise AnalysisError(f"n_questions must lie between 1 and {len(path)} (the path's length), "
                                f"got {n_questions}")
        size = int(n_questions)
    else:
        size = len(path)
        for s in range(1, len(path)):
            if path.loc[s, "gain"] < tolerance:  # row s is step s + 1
                size = s
                break
    path["chosen"] = path["step"] <= size
    path = path[PATH_COLUMNS]
    questions = [usable[j] for j in chosen[:size]]
    cols = chosen[:size]

    # the tool: fitted on everyone, rescaled to the answers' own scale
    xq = xv[:, cols]
    means = _nanmean_w(xq, w)
    filled = np.where(np.isnan(xq), means, xq)
    mu, sd = _weighted_mean_sd(filled, w)
    b, converged = _mlogit_fit((filled - mu) / sd, y, w, C=C)
    if not converged:
        warnings.warn("the typing tool's logistic regression did not converge in 100 Newton steps; its "
                      "coefficients may be inaccurate: try a smaller C", WorkbenchWarning, stacklevel=2)
    slopes = b[1:] / sd[:, None]  # questions × segments
    intercept = b[0] - mu @ slopes
    coef = pd.DataFrame(np.vstack([intercept, slopes]), index=["(intercept)"] + questions, columns=classes)
    coef.index.name = "term"
    coef.columns.name = "segment"

    # cross-validated agreement of the chosen set
    oof = oofs[size - 1]
    pred = oof.argmax(axis=1)
    confusion = pd.DataFrame(np.zeros((k, k), dtype=int), index=classes, columns=classes)
    for a, p_ in zip(y, pred):
        confusion.iat[a, p_] += 1
    confusion.index.name = "segment"
    confusion.columns.name = "typed as"
    seg_names = {c: str((names or {}).get(c, f"Segment {c}")) for c in classes}
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
    agreement = pd.DataFrame(agree).set_index("segment")
    acc = path.loc[size - 1]
    tool = TypingTool(
        questions=tuple(questions),
        question_labels={q: labels.get(str(q), str(q)) for q in questions},
        segments=tuple(_plain(c) for c in classes),
        segment_names={_plain(c): seg_names[c] for c in classes},
        coefficients=coef.rename(columns=_plain),
        item_means=pd.Series(means, index=questions, name="mean"),
        scaling=pd.DataFrame({"mean": mu, "sd": sd}, index=pd.Index(questions, name="question")),
        path=path,
        accuracy=float(acc["accuracy"]),
        accuracy_sd=float(acc["sd"]),
        baseline_accuracy=float(w[y == counts.argmax()].sum() / w.sum()),
        confusion=confusion.rename(index=_plain, columns=_plain),
        agreement_by_segment=agreement.rename(index=_plain),
        n=int(len(y)),
        cv=n_splits,
        C=float(C),
        tolerance=float(tolerance),
        random_state=rs,
        weighted=sample_weight is not None,
        codes=_norm_codes(codes, questions),
        provenance=dict(provenance or {}),
        created=_dt.date.today().isoformat(),
    )
    logger.info("golden questions: %d question(s) type %.1f%% of respondents correctly (cross-validated; "
                "largest segment %.1f%%)", size, 100 * tool.accuracy, 100 * tool.baseline_accuracy)
    return tool


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
class TypingTool:
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

    # ---------------------------------------------------------------- scoring

    def _answers(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"answers must be a DataFrame with the golden questions, not {type(frame).__name__}")
        missing = [q for q in self.questions if q not in frame.columns]
        if missing:
            raise DataError(
                f"the answers lack the golden question(s) {', '.join(map(str, missing))}; the typing tool needs "
                f"{', '.join(map(str, self.questions))}", column=str(missing[0]),
            )
        x = _numeric_frame(frame, list(self.questions), "answers").to_numpy(dtype=float)
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
        return pd.DataFrame(_softmax(s.to_numpy()), index=s.index, columns=s.columns)

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """The segment of every row (the highest score); ``<NA>`` for rows with no golden answer.

        A row that skipped some golden questions is scored with the item means of those and
        a :class:`~workbench.errors.WorkbenchWarning` says how many rows; :meth:`classify`
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
        prob = _softmax(scores.copy())
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
        qs = ", ".join(map(str, self.questions))
        rows = [
            ("golden questions", len(self.questions)),
            ("questions", qs),
            ("cross-validated accuracy", round(self.accuracy, 4)),
            ("accuracy sd over folds", round(self.accuracy_sd, 4)),
            ("largest segment (baseline)", round(self.baseline_accuracy, 4)),
            ("segments", len(self.segments)),
            ("respondents", self.n),
            ("folds", self.cv),
            ("weighted", self.weighted),
            ("tolerance", self.tolerance),
            ("C (inverse penalty)", self.C),
            ("random_state", self.random_state),
            ("created", self.created),
        ]
        rows += [(str(k), v) for k, v in self.provenance.items()]
        return pd.DataFrame(rows, columns=["measure", "value"]).set_index("measure")

    def __str__(self) -> str:
        return (f"Typing tool: {len(self.questions)} golden question(s) ({', '.join(map(str, self.questions))}) "
                f"type {self.accuracy:.1%} of {self.n:,} respondents into their segment ({self.cv}-fold "
                f"cross-validated; always guessing the largest segment: {self.baseline_accuracy:.1%})")

    def _repr_html_(self) -> str:
        import html

        return (f"<p><b>Typing tool</b> {html.escape(str(self))}</p>" + self.path._repr_html_()
                + self.agreement_by_segment._repr_html_())

    # ---------------------------------------------------------------- plain data

    def to_dict(self) -> dict:
        """The tool as plain JSON-able data (numbers, strings, lists)."""
        c = self.coefficients
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "questions": [str(q) for q in self.questions],
            "question_labels": [self.question_labels.get(q, str(q)) for q in self.questions],
            "segments": [_plain(s) for s in self.segments],
            "segment_names": [self.segment_names[s] for s in self.segments],
            "intercepts": [float(v) for v in c.iloc[0]],
            "coefficients": [[float(v) for v in c.iloc[1:][s]] for s in c.columns],
            "item_means": [float(v) for v in self.item_means],
            "scaling": {"mean": [float(v) for v in self.scaling["mean"]], "sd": [float(v) for v in self.scaling["sd"]]},
            "accuracy": self.accuracy,
            "accuracy_sd": self.accuracy_sd,
            "baseline_accuracy": self.baseline_accuracy,
            "path": [{k: _plain(v) for k, v in r.items()} for r in self.path.to_dict("records")],
            "confusion": [[int(v) for v in row] for row in self.confusion.to_numpy()],
            "agreement_by_segment": [{k: _plain(v) for k, v in r.items()}
                                     for r in self.agreement_by_segment.reset_index().to_dict("records")],
            "n": self.n,
            "cv": self.cv,
            "C": self.C,
            "tolerance": self.tolerance,
            "random_state": self.random_state,
            "weighted": self.weighted,
            "codes": {q: [[_plain(k), v] for k, v in m.items()] for q, m in self.codes.items()},
            "provenance": {str(k): _plain(v) for k, v in self.provenance.items()},
            "created": self.created,
        }

    @classmethod
    def from_dict(cls, doc: Mapping) -> "TypingTool":
        """Rebuild a tool from :meth:`to_dict`'s output (e.g. read from model.json).

        Raises
        ------
        DataError
            Not a typing tool, a newer format, or a missing / inconsistent entry (named).
        """
        if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
            got = doc.get("format") if isinstance(doc, Mapping) else type(doc).__name__
            raise DataError(f"not a typing tool (format {got!r}, expected {FORMAT!r})")
        if int(doc.get("version", 0)) > FORMAT_VERSION:
            raise DataError(f"the typing tool has format version {doc['version']}; this workbench reads up to "
                            f"{FORMAT_VERSION}: update the workbench")
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
        return _write_typing_tool(self, Path(path), title=title, names=seg_names, codes=all_codes,
                                 batch_rows=int(batch_rows))


# --------------------------------------------------------------------------- the Excel workbook
# Plain formulas only (no macros, no array formulas, no defined names), so Excel, LibreOffice
# and Google Sheets compute the same segment as TypingTool.predict: each score is
# intercept + Σ coefficient × answer (the item mean when blank), the segment the first highest
# score (INDEX/MATCH on MAX, as numpy's argmax), the probability the softmax of the scores.

_NAVY, _BLUE, _PALE, _INPUT, _RESULT, _GREY = "1F3864", "2F5597", "DCE6F1", "FFF2CC", "E2EFDA", "7F7F7F"


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="BFBFBF")
    return {
        "title": Font(name="Calibri", size=16, bold=True, color=_NAVY),
        "subtitle": Font(name="Calibri", size=10, italic=True, color=_GREY),
        "header_font": Font(name="Calibri", bold=True, color="FFFFFF"),
        "header_fill": PatternFill("solid", fgColor=_BLUE),
        "section": Font(name="Calibri", size=12, bold=True, color=_NAVY),
        "bold": Font(name="Calibri", bold=True),
        "input_fill": PatternFill("solid", fgColor=_INPUT),
        "result_fill": PatternFill("solid", fgColor=_RESULT),
        "pale_fill": PatternFill("solid", fgColor=_PALE),
        "result_font": Font(name="Calibri", size=14, bold=True, color="375623"),
        "note_font": Font(name="Calibri", size=10, italic=True, color="C00000"),
        "grey_font": Font(name="Calibri", size=10, color=_GREY),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center", vertical="center"),
        "top": Alignment(vertical="top"),
        "center_left": Alignment(horizontal="left", vertical="center"),
        "wrap_center": Alignment(wrap_text=True, vertical="center"),
        "input_font": Font(name="Calibri", size=12, bold=True),
    }


def _header(ws, row, col, values, st):
    for j, v in enumerate(values):
        c = ws.cell(row=row, column=col + j, value=v)
        c.font, c.fill, c.alignment, c.border = st["header_font"], st["header_fill"], st["wrap"], st["border"]


def _code_number(code) -> str:
    return str(int(code)) if float(code).is_integer() else repr(float(code))


def _allowed_test(ref: str, codes: Mapping | None) -> str | None:
    """A formula that is TRUE when the answer in ``ref`` is not an allowed code."""
    if not codes:
        return None
    return f'AND({ref}<>"",NOT(OR(' + ",".join(f"{ref}={_code_number(c)}" for c in codes) + ")))"


def _validation(codes: Mapping | None, what: str):
    from openpyxl.worksheet.datavalidation import DataValidation

    if not codes:
        return DataValidation(type="decimal", operator="between", formula1="-1E+300", formula2="1E+300",
                              allow_blank=True, showErrorMessage=True, errorTitle="Not a number",
                              error=f"{what}: type a number")
    listed = ",".join(_code_number(c) for c in codes)
    if len(listed) > 250:  # Excel's limit on an inline list
        return None
    return DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True, showErrorMessage=True,
                          errorTitle="Not an answer code",
                          error=f"{what}: choose one of {listed} (see the answer options)"[:250],
                          showInputMessage=False)


def _fit_page(ws, orientation: str) -> None:
    """Print one page wide."""
    ws.page_setup.orientation = orientation
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _protect(ws):
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # people may still widen columns and rows
    ws.protection.formatRows = False


def _write_typing_tool(tool: TypingTool, path: Path, *, title, names: dict, codes: dict, batch_rows: int) -> Path:
    from openpyxl import Workbook
    from openpyxl.formatting.rule import DataBarRule
    from openpyxl.styles import Protection
    from openpyxl.utils import get_column_letter as L

    st = _styles()
    qs, segs = list(tool.questions), list(tool.segments)
    m, k = len(qs), len(segs)
    prov = tool.provenance
    if title is None:
        bits = [str(prov[x]) for x in ("study_name", "study") if prov.get(x)][:1]
        if prov.get("wave"):
            bits.append(f"wave {prov['wave']}")
        title = "Segment typing tool" + (f" - {', '.join(bits)}" if bits else "")
    unlocked = Protection(locked=False)
    wb = Workbook()

    # ---------------------------------------------------------------- Model (referenced by the others)
    ws_t = wb.active
    ws_t.title = "Type a customer"
    ws_b = wb.create_sheet("Batch")
    ws_m = wb.create_sheet("Model")
    ws_a = wb.create_sheet("About")

    first_seg_col = 4  # D
    seg_col = {s: L(first_seg_col + i) for i, s in enumerate(segs)}
    int_row, q_row = 5, {q: 6 + i for i, q in enumerate(qs)}
    ws_m["A1"] = "Model: what the formulas compute with"
    ws_m["A1"].font = st["title"]
    ws_m["A2"] = ("Score of a segment = intercept + Σ coefficient × answer (a blank answer counts as the average "
                  "answer in column C). Probability = EXP(score) / Σ EXP(all scores). The segment with the highest "
                  "score is the customer's segment. Do not edit: the other sheets read these cells.")
    ws_m["A2"].font, ws_m["A2"].alignment = st["subtitle"], st["wrap"]
    ws_m.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(first_seg_col + k - 1, 6))
    ws_m.row_dimensions[2].height = 42
    _header(ws_m, 4, 1, ["Question", "Label", "Average answer (used when blank)"] + [names[s] for s in segs], st)
    ws_m.cell(row=3, column=first_seg_col - 1, value="segment code →").font = st["grey_font"]
    for i, s in enumerate(segs):
        c = ws_m.cell(row=3, column=first_seg_col + i, value=_plain(s))
        c.font, c.alignment = st["grey_font"], st["center"]
    coef = tool.coefficients
    ws_m.cell(row=int_row, column=1, value="(intercept)").font = st["bold"]
    ws_m.cell(row=int_row, column=2, value="constant of each segment's score").font = st["grey_font"]
    for i, s in enumerate(segs):
        ws_m.cell(row=int_row, column=first_seg_col + i, value=float(coef.iloc[0, i])).number_format = "0.000000"
    for q in qs:
        r = q_row[q]
        ws_m.cell(row=r, column=1, value=str(q)).font = st["bold"]
        ws_m.cell(row=r, column=2, value=tool.question_labels.get(q, str(q))).alignment = st["wrap"]
        ws_m.cell(row=r, column=3, value=float(tool.item_means[q])).number_format = "0.000"
        for i, s in enumerate(segs):
            ws_m.cell(row=r, column=first_seg_col + i, value=float(coef.loc[q, s])).number_format = "0.000000"
    for r in range(int_row, int_row + m + 1):
        for c in range(1, first_seg_col + k):
            ws_m.cell(row=r, column=c).border = st["border"]
    ws_m.column_dimensions["A"].width = 16
    ws_m.column_dimensions["B"].width = 44
    ws_m.column_dimensions["C"].width = 16
    for s in segs:
        ws_m.column_dimensions[seg_col[s]].width = max(14, min(30, len(names[s]) + 3))
    ws_m.freeze_panes = "D5"
    ws_m.sheet_view.showGridLines = False
    _fit_page(ws_m, "landscape")
    _protect(ws_m)

    def model(ref_col: str, row: int) -> str:
        return f"Model!${ref_col}${row}"

    # ---------------------------------------------------------------- Type a customer
    # rows: title, instructions, result, note; the segments' table; then the questions
    ws = ws_t
    s0 = 8  # first segment row
    seg_rows = {s: s0 + i for i, s in enumerate(segs)}
    last_s = s0 + k - 1
    r0 = last_s + 3  # first question row
    rows_q = {q: r0 + i for i, q in enumerate(qs)}
    last_q = r0 + m - 1
    ans = f"$D${r0}:$D${last_q}"
    used = f"$E${r0}:$E${last_q}"
    scores = f"$D${s0}:$D${last_s}"
    ws["A1"] = title
    ws["A1"].font = st["title"]
    ws.merge_cells("A1:F1")
    ws["A2"] = ("Type the customer's answer to each question in the yellow cells below (pick a code from the list). "
                "The segment and its probability update at once. Leave a question blank if the answer is unknown: "
                "its average answer is used, and the result is less certain.")
    ws["A2"].font, ws["A2"].alignment = st["subtitle"], st["wrap"]
    ws.merge_cells("A2:F2")
    ws.row_dimensions[2].height = 28
    ws["A4"] = "Most likely segment"
    ws["A4"].font, ws["A4"].alignment = st["section"], st["center_left"]
    ws.merge_cells("A4:B4")
    ws["C4"] = (f'=IF(COUNT({ans})=0,"(answer the questions)",'
                f"INDEX($B${s0}:$B${last_s},MATCH(MAX({scores}),{scores},0)))")
    ws["D4"] = "Probability"
    ws["D4"].font, ws["D4"].alignment = st["bold"], st["center"]
    ws["E4"] = f'=IF(COUNT({ans})=0,"",MAX($C${s0}:$C${last_s}))'
    ws["E4"].number_format = "0%"
    for ref in ("C4", "E4"):
        ws[ref].font, ws[ref].fill, ws[ref].alignment, ws[ref].border = (st["result_font"], st["result_fill"],
                                                                         st["center"], st["border"])
    ws.row_dimensions[4].height = 32
    ws["A5"] = (f'=IF(COUNT({ans})=0,"",IF(COUNTBLANK({ans})>0,COUNTBLANK({ans})&" of {m} questions not answered: '
                f'their average answers are used, so the result is less certain.","All {m} questions answered."))')
    ws["A5"].font = st["note_font"]
    ws.merge_cells("A5:F5")
    _header(ws, s0 - 1, 2, ["Segment", "Probability", "Score"], st)
    exps = "+".join(f"EXP($D${seg_rows[s]}-MAX({scores}))" for s in segs)
    for s in segs:
        r, col = seg_rows[s], seg_col[s]
        ws.cell(row=r, column=2, value=names[s]).font = st["bold"]
        ws.cell(row=r, column=3, value=f"=EXP(D{r}-MAX({scores}))/({exps})").number_format = "0.0%"
        ws.cell(row=r, column=4, value=f"={model(col, int_row)}+SUMPRODUCT(Model!${col}${int_row + 1}:${col}$"
                                         f"{int_row + m},{used})").number_format = "0.00"
        ws.cell(row=r, column=4).font = st["grey_font"]
        for c in range(2, 5):
            ws.cell(row=r, column=c).border = st["border"]
        ws.cell(row=r, column=2).alignment = st["center_left"]
        ws.row_dimensions[r].height = 18
    ws.conditional_formatting.add(f"C{s0}:C{last_s}",
                                  DataBarRule(start_type="num", start_value=0, end_type="num", end_value=1,
                                              color="70AD47"))
    _header(ws, r0 - 1, 1, ["#", "Question", "Answer options", "Answer", "Value used", "Note"], st)
    for i, q in enumerate(qs):
        r = rows_q[q]
        qc = codes.get(q) or {}
        ws.cell(row=r, column=1, value=i + 1).alignment = st["center"]
        ws.cell(row=r, column=2, value=tool.question_labels.get(q, str(q))).alignment = st["wrap_center"]
        opts = "\n".join(f"{_code_number(c)} = {lab}" for c, lab in qc.items()) if qc else "a number"
        ws.cell(row=r, column=3, value=opts).alignment = st["wrap"]
        ws.cell(row=r, column=3).font = st["grey_font"]
        cin = ws.cell(row=r, column=4)
        cin.fill, cin.protection, cin.alignment, cin.font = st["input_fill"], unlocked, st["center"], st["input_font"]
        ws.cell(row=r, column=5, value=f'=IF(D{r}="",{model("C", q_row[q])},D{r})').number_format = "0.0#"
        ws.cell(row=r, column=5).font, ws.cell(row=r, column=5).alignment = st["grey_font"], st["center"]
        bad = _allowed_test(f"D{r}", qc)
        note = f'IF({bad},"Not one of the answer codes: check","")' if bad else '""'
        ws.cell(row=r, column=6, value=f'=IF(D{r}="","Not answered: the average answer is used",{note})')
        ws.cell(row=r, column=6).font, ws.cell(row=r, column=6).alignment = st["note_font"], st["wrap_center"]
        ws.row_dimensions[r].height = max(20, 12.5 * max(len(qc), 1) + 4)
        dv = _validation(qc, f"Question {i + 1}")
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"D{r}")
        for c in range(1, 7):
            ws.cell(row=r, column=c).border = st["border"]
    for col, width in zip("ABCDEF", (5, 46, 28, 16, 11, 34)):
        ws.column_dimensions[col].width = width
    ws.sheet_view.showGridLines = False
    _fit_page(ws, "portrait")
    _protect(ws)

    # ---------------------------------------------------------------- Batch
    ws = ws_b
    hr, b0 = 4, 5
    b_last = b0 + batch_rows - 1
    q_col = {q: L(2 + i) for i, q in enumerate(qs)}
    c_seg, c_prob, c_skip, c_check = (L(2 + m + j) for j in range(4))
    p_col = {s: L(6 + m + i) for i, s in enumerate(segs)}
    s_col = {s: L(6 + m + k + i) for i, s in enumerate(segs)}
    ws["A1"] = f"{title}: many customers at once"
    ws["A1"].font = st["title"]
    ws["A2"] = (f"Paste one customer per row from row {b0}: an ID in column A and the answers to the {m} questions "
                f"in columns B to {q_col[qs[-1]]} (answer codes, blank if unknown). The segment appears in column "
                f"{c_seg}. Up to {batch_rows} rows.")
    ws["A2"].font, ws["A2"].alignment = st["subtitle"], st["wrap"]
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=min(2 + m + 3, 12))
    ws.row_dimensions[2].height = 30
    heads = ["ID"] + [f"{q}\n{tool.question_labels.get(q, q)}" for q in qs] + \
        ["Segment", "Probability", "Unanswered", "Check"] + [f"P({names[s]})" for s in segs] + \
        [f"Score: {names[s]}" for s in segs]
    _header(ws, hr, 1, heads, st)
    ws.row_dimensions[hr].height = 60
    seg_names_range = f"Model!${seg_col[segs[0]]}$4:${seg_col[segs[-1]]}$4"
    for i, q in enumerate(qs):
        dv = _validation(codes.get(q), f"{q}")
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{q_col[q]}{b0}:{q_col[q]}{b_last}")
    for r in range(b0, b_last + 1):
        a_rng = f"$B{r}:${q_col[qs[-1]]}{r}"
        sc_rng = f"${s_col[segs[0]]}{r}:${s_col[segs[-1]]}{r}"
        ws.cell(row=r, column=1).protection = unlocked
        ws.cell(row=r, column=1).fill = st["input_fill"]
        for q in qs:
            cell = ws[f"{q_col[q]}{r}"]
            cell.protection, cell.fill = unlocked, st["input_fill"]
        for s in segs:
            col = seg_col[s]
            terms = "+".join(f'{model(col, q_row[q])}*IF(${q_col[q]}{r}="",{model("C", q_row[q])},${q_col[q]}{r})'
                             for q in qs)
            ws[f"{s_col[s]}{r}"] = f'=IF(COUNT({a_rng})=0,"",{model(col, int_row)}+{terms})'
            ws[f"{s_col[s]}{r}"].number_format = "0.00"
        exps = "+".join(f"EXP(${s_col[s]}{r}-MAX({sc_rng}))" for s in segs)
        for s in segs:
            ws[f"{p_col[s]}{r}"] = f'=IF(${c_seg}{r}="","",EXP(${s_col[s]}{r}-MAX({sc_rng}))/({exps}))'
            ws[f"{p_col[s]}{r}"].number_format = "0.0%"
        ws[f"{c_seg}{r}"] = f'=IF(COUNT({a_rng})=0,"",INDEX({seg_names_range},MATCH(MAX({sc_rng}),{sc_rng},0)))'
        ws[f"{c_seg}{r}"].font = st["bold"]
        ws[f"{c_prob}{r}"] = (f'=IF(${c_seg}{r}="","",MAX(${p_col[segs[0]]}{r}:${p_col[segs[-1]]}{r}))')
        ws[f"{c_prob}{r}"].number_format = "0%"
        ws[f"{c_skip}{r}"] = f'=IF(${c_seg}{r}="","",COUNTBLANK({a_rng}))'
        bads = [_allowed_test(f"${q_col[q]}{r}", codes.get(q)) for q in qs]
        bads = [f"IF({b},1,0)" for b in bads if b]
        if bads:
            ws[f"{c_check}{r}"] = (f'=IF(${c_seg}{r}="","",IF({"+".join(bads)}>0,"an answer is not an answer code",'
                                   f'IF(${c_skip}{r}>0,"averages used for blanks","")))')
        else:
            ws[f"{c_check}{r}"] = f'=IF(${c_seg}{r}="","",IF(${c_skip}{r}>0,"averages used for blanks",""))'
        ws[f"{c_check}{r}"].font = st["note_font"]
    ws.column_dimensions["A"].width = 14
    for q in qs:
        ws.column_dimensions[q_col[q]].width = 12
    ws.column_dimensions[c_seg].width = max(18, min(32, max(len(n) for n in names.values()) + 3))
    ws.column_dimensions[c_prob].width = 11
    ws.column_dimensions[c_skip].width = 13
    ws.column_dimensions[c_check].width = 28
    for s in segs:
        ws.column_dimensions[p_col[s]].width = 15
    ws.column_dimensions.group(s_col[segs[0]], s_col[segs[-1]], hidden=True, outline_level=1)
    ws.freeze_panes = f"B{b0}"
    from openpyxl.styles import PatternFill

    out_fill = PatternFill("solid", fgColor="548235")
    for j in range(2 + m, 6 + m + k):
        ws.cell(row=hr, column=j).fill = out_fill
    _fit_page(ws, "landscape")
    ws.print_title_rows = f"{hr}:{hr}"
    _protect(ws)
    ws.protection.formatCells = True

    # ---------------------------------------------------------------- About
    ws = ws_a
    ws["A1"] = title
    ws["A1"].font = st["title"]
    try:
        from importlib import metadata

        version = metadata.version("jtbd-workbench")
    except Exception:  # noqa: BLE001 - the version is decoration only
        version = "unknown"
    what = ", ".join(f"{k_} {v}" for k_, v in prov.items()) or "the segmentation it was fitted on"
    facts = [
        ("What this is", f"A typing tool: {m} golden question(s) that place a customer in one of {k} segments."),
        ("Reproduces", what),
        ("Cross-validated accuracy",
         f"{tool.accuracy:.1%} of respondents typed into their own segment (± {tool.accuracy_sd:.1%} over "
         f"{tool.cv} folds)"),
        ("Baseline", f"{tool.baseline_accuracy:.1%}: always answering the largest segment"),
        ("Respondents", f"{tool.n:,}" + (" (weighted)" if tool.weighted else "")),
        ("Model", "multinomial logistic regression on the answer codes; coefficients on the Model sheet"),
        ("Created", f"{tool.created} with workbench {version}"),
        ("How to use: one customer", "Sheet 'Type a customer': type the answers into the yellow cells; the "
                                     "segment and its probability appear at the top."),
        ("How to use: many customers", "Sheet 'Batch': paste IDs and answer codes from row 5; each row shows its "
                                       "segment, probability and checks."),
        ("Blank answers", "A blank answer counts as the average answer; the result is then less certain."),
        ("Same result everywhere", "The workbench's classify command computes exactly the same segment from "
                                   "the same answers (model.json)."),
    ]
    for i, (a, b) in enumerate(facts):
        r = 3 + i
        ws.cell(row=r, column=1, value=a).font = st["bold"]
        ws.cell(row=r, column=1).alignment = st["top"]
        ws.cell(row=r, column=2, value=b).alignment = st["wrap"]
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=7)
        ws.row_dimensions[r].height = 30 if len(b) > 80 else 16
    r = 3 + len(facts) + 1
    ws.cell(row=r, column=1, value="Agreement by segment (cross-validated)").font = st["section"]
    r += 1
    _header(ws, r, 1, ["Segment", "Name", "Respondents", "Share", "Typed correctly", "Precision"], st)
    ag = tool.agreement_by_segment
    for s in segs:
        r += 1
        row = ag.loc[s] if s in ag.index else None
        vals = [_plain(s), names[s]] + ([int(row["n"]), float(row["share"]), float(row["recall"]),
                                         _plain(row["precision"])] if row is not None else [None] * 4)
        for j, v in enumerate(vals):
            c = ws.cell(row=r, column=1 + j, value=v)
            c.border = st["border"]
            if j >= 3 and v is not None:
                c.number_format = "0.0%"
            if j == 0:
                c.alignment = st["center"]
    r += 2
    ws.cell(row=r, column=1, value="Confusion matrix (respondents; rows: segment, columns: typed as)").font = \
        st["section"]
    r += 1
    _header(ws, r, 1, ["Segment"] + [names[s] for s in segs], st)
    for i, s in enumerate(segs):
        r += 1
        ws.cell(row=r, column=1, value=names[s]).font = st["bold"]
        ws.cell(row=r, column=1).border = st["border"]
        for j in range(k):
            c = ws.cell(row=r, column=2 + j, value=int(tool.confusion.iat[i, j]))
            c.border = st["border"]
            if i == j:
                c.fill, c.font = st["result_fill"], st["bold"]
    r += 2
    ws.cell(row=r, column=1, value="Selection path: accuracy as questions are added").font = st["section"]
    r += 1
    _header(ws, r, 1, ["Step", "Question", "Label", "Accuracy", "sd", "Gain", "In the tool"], st)
    for rec in tool.path.itertuples(index=False):
        r += 1
        vals = [rec.step, rec.question, rec.label, rec.accuracy, rec.sd, rec.gain, "yes" if rec.chosen else ""]
        for j, v in enumerate(vals):
            c = ws.cell(row=r, column=1 + j, value=_plain(v))
            c.border = st["border"]
            if 3 <= j <= 5:
                c.number_format = "0.0%"
            if j in (0, 6):
                c.alignment = st["center"]
            if rec.chosen:
                c.fill = st["pale_fill"]
    for col, width in zip("ABCDEFG", (30, 22, 40, 13, 15, 12, 12)):
        ws.column_dimensions[col].width = width
    ws.sheet_view.showGridLines = False
    _fit_page(ws, "portrait")
    _protect(ws)

    wb.active = 0
    from ..outputs import harden_workbook  # issue 14: names and labels are text, never formulas

    harden_workbook(wb, texts={str(title), *map(str, names.values()), *map(str, tool.question_labels.values()),
                               *map(str, qs), *(str(lab) for qc in codes.values() for lab in (qc or {}).values())})
    try:
        wb.save(path)
    except OSError as exc:
        raise OutputError(f"cannot write the typing tool: {exc.strerror or exc}", file=path) from None
    logger.debug("typing tool written to %s", path)
    return path
