"""The whole customer base: a segment for every customer, from behaviour and firmographics.

Only the respondents have survey answers, but the client's CRM wants a segment for every
customer. :func:`fit_base_model` learns the respondents' segments from what the CRM knows
about every customer (behavioural features such as recency, frequency, revenue and channel
mix, and firmographics such as industry and size), :func:`segment_customer_base` then gives
each customer of the base a segment: the survey segment for respondents, the model's
otherwise, with its probability.

Model
-----
A multinomial logistic regression (L2 penalty ``1 / (2C) Σ b²``, as sklearn's
``LogisticRegression``; solved by Newton's method, see :mod:`workbench.waves.golden`) on

* numeric features: ``log1p`` when the feature is non-negative and right-skewed (skewness
  above 1 among the respondents: money and counts), missing values set to the median,
  standardised;
* categorical features: one indicator per level seen at least ``min_level_count`` times,
  and an ``other/missing`` level that also takes rarer levels, missing values and levels
  first seen at prediction time.

Its fitted state is plain numbers (medians, means, sds, levels, coefficients), so it is
saved as JSON (:meth:`BaseModel.to_dict`). Its accuracy is cross-validated on the
respondents (stratified folds, seeded; the preprocessing is refitted inside each fold) and
reported next to the *baseline*, the accuracy of always answering the largest segment, so
the gain is honest: behaviour usually predicts needs-based segments far less well than
the golden questions do.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..core.summary import Summarised, Summary, SummaryTable
from ..core.errors import AnalysisError, DataError, OutputError, WorkbenchWarning
from ..files.jsonplain import check_format, plain, rebuild
from ..core.stats import mlogit_fit, one_blas_thread, softmax
from .inputs import not_better_than_guessing, random_seed, sample_weights, summary_frame

__all__ = ["fit_base_model", "BaseModel", "segment_customer_base", "OTHER"]

logger = logging.getLogger(__name__)

#: The level that takes missing values, rare levels and levels never seen in fitting.
OTHER = "other/missing"

FORMAT = "workbench.base_model"
FORMAT_VERSION = 1


# --------------------------------------------------------------------------- preprocessing


def _as_float(s: pd.Series, column) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float).to_numpy()
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("Float64").astype(float).to_numpy() if not pd.api.types.is_float_dtype(s) \
            else s.to_numpy(dtype=float)
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna() & s.notna()
    if bad.any():
        idx = bad.idxmax()
        raise DataError(f"the numeric feature has the value {s[idx]!r} for {idx!r}, which is not a number; "
                        "declare the column categorical or fix the value", column=str(column))
    return num.to_numpy(dtype=float)


def _as_text(s: pd.Series) -> np.ndarray:
    """Category values as text (``None`` when missing); 1.0 and 1 are the same level."""
    out = np.empty(len(s), dtype=object)
    for i, v in enumerate(s.astype(object).to_numpy()):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
            out[i] = None
        elif isinstance(v, (float, np.floating)) and float(v).is_integer():
            out[i] = str(int(v))
        else:
            out[i] = str(v)
    return out


def _skew(x: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(x)
    x, w = x[ok], w[ok]
    if len(x) < 3:
        return 0.0
    m = (w @ x) / w.sum()
    v = (w @ (x - m) ** 2) / w.sum()
    if v <= 0:
        return 0.0
    return float((w @ (x - m) ** 3) / w.sum() / v**1.5)


@dataclass(frozen=True)
class _Prep:
    """Fitted preprocessing: numeric transforms and categorical levels."""

    numeric: tuple
    log: tuple
    median: tuple
    mean: tuple
    sd: tuple
    categorical: tuple
    levels: tuple  # of tuples, one per categorical feature, OTHER last

    @property
    def terms(self) -> list[str]:
        out = [f"log1p({c})" if lg else str(c) for c, lg in zip(self.numeric, self.log)]
        for c, lv in zip(self.categorical, self.levels):
            out += [f"{c} = {v}" for v in lv]
        return out

    @classmethod
    def fit(cls, frame: pd.DataFrame, numeric, categorical, w: np.ndarray, min_level_count: int) -> "_Prep":
        logs, meds, means, sds = [], [], [], []
        for c in numeric:
            x = _as_float(frame[c], c)
            ok = ~np.isnan(x)
            lg = bool(ok.any() and np.nanmin(x) >= 0 and _skew(x, w) > 1.0)
            if lg:
                x = np.log1p(x)
            med = float(np.nanmedian(x)) if ok.any() else 0.0
            x = np.where(np.isnan(x), med, x)
            mu = float((w @ x) / w.sum())
            sd = float(np.sqrt((w @ (x - mu) ** 2) / w.sum()))
            logs.append(lg)
            meds.append(med)
            means.append(mu)
            sds.append(sd if sd > 1e-12 else 1.0)
        levels = []
        for c in categorical:
            counts = Counter(v for v in _as_text(frame[c]) if v is not None)
            kept = sorted((v for v, n in counts.items() if n >= min_level_count and v != OTHER), key=str)
            levels.append(tuple(kept) + (OTHER,))
        return cls(tuple(numeric), tuple(logs), tuple(meds), tuple(means), tuple(sds), tuple(categorical),
                   tuple(levels))

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        n = len(frame)
        cols = []
        for c, lg, med, mu, sd in zip(self.numeric, self.log, self.median, self.mean, self.sd):
            x = _as_float(frame[c], c)
            if lg:
                x = np.log1p(np.clip(x, 0, None))  # a negative value (a net return) counts as zero
            x = np.where(np.isnan(x), med, x)
            cols.append(((x - mu) / sd)[:, None])
        for c, lv in zip(self.categorical, self.levels):
            pos = {v: i for i, v in enumerate(lv)}
            idx = np.array([pos.get(v, len(lv) - 1) if v is not None else len(lv) - 1 for v in _as_text(frame[c])],
                           dtype=int)
            block = np.zeros((n, len(lv)))
            block[np.arange(n), idx] = 1.0
            cols.append(block)
        return np.hstack(cols) if cols else np.zeros((n, 0))

    def table(self) -> pd.DataFrame:
        rows = [{"feature": c, "kind": "numeric", "transform": "log1p" if lg else "", "median": med, "mean": mu,
                 "sd": sd, "levels": ""}
                for c, lg, med, mu, sd in zip(self.numeric, self.log, self.median, self.mean, self.sd)]
        rows += [{"feature": c, "kind": "categorical", "transform": "one-hot", "median": np.nan, "mean": np.nan,
                  "sd": np.nan, "levels": ", ".join(lv)} for c, lv in zip(self.categorical, self.levels)]
        return pd.DataFrame(rows).set_index("feature")


def _split_columns(features: pd.DataFrame, numeric, categorical):
    if numeric is None and categorical is None:
        numeric, categorical, skipped = [], [], []
        for c in features.columns:
            s = features[c]
            if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
                skipped.append(c)
            elif pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
                categorical.append(c)
            else:
                numeric.append(c)
        if skipped:
            logger.info("base model: date columns left out: %s", ", ".join(map(str, skipped)))
    else:
        numeric, categorical = list(numeric or []), list(categorical or [])
        unknown = [c for c in numeric + categorical if c not in features.columns]
        if unknown:
            raise DataError(f"the features lack the column(s) {', '.join(map(str, unknown))} named as "
                            f"{'numeric' if unknown[0] in numeric else 'categorical'}", column=str(unknown[0]))
        both = sorted(set(numeric) & set(categorical), key=str)
        if both:
            raise DataError(f"{', '.join(map(str, both))} named both numeric and categorical", column=str(both[0]))
    if not numeric and not categorical:
        raise AnalysisError("the base model has no features: give numeric and/or categorical columns")
    return numeric, categorical


# --------------------------------------------------------------------------- fit


@one_blas_thread
def _base_inputs(features, segments, numeric, categorical):
    """The respondents with a segment and at least one feature, checked: (their feature frame,
    the segments without missing ones, numeric and categorical features, the number left out
    for lack of any feature)."""
    if not isinstance(features, pd.DataFrame):
        raise DataError(f"features must be a DataFrame, not {type(features).__name__}")
    if not isinstance(segments, pd.Series):
        segments = pd.Series(np.asarray(segments), index=features.index)
    if features.index.has_duplicates or segments.index.has_duplicates:
        which = "features" if features.index.has_duplicates else "segments"
        idx = (features if which == "features" else segments).index
        raise DataError(f"{which} has the id {idx[idx.duplicated()][0]!r} more than once; give one row per respondent")
    numeric, categorical = _split_columns(features, numeric, categorical)
    seg = segments.dropna()
    index = features.index[features.index.isin(seg.index)]
    if len(index) == 0:
        raise DataError("features and segments share no id; index both by the respondent id "
                        f"(features: {list(features.index[:3])}, segments: {list(segments.index[:3])})")
    frame = features.loc[index, numeric + categorical]
    has_any = frame.notna().any(axis=1).to_numpy()
    n_without = int((~has_any).sum())
    if n_without:
        logger.info("base model: %d respondent(s) without any feature left out", n_without)
    return frame[has_any], seg, numeric, categorical, n_without


def _cross_validated(frame, y, w, k, *, numeric, categorical, C, min_level_count, n_splits, rs):
    """Out-of-fold scores (n, k) and each fold's weighted accuracy: stratified folds, the
    preparation (medians, scales, levels) and the logit fitted on each training part alone."""
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros((len(y), k))
    accs = []
    for train, test in StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=rs).split(np.zeros(len(y)), y):
        prep = _Prep.fit(frame.iloc[train], numeric, categorical, w[train], min_level_count)
        b, _ = mlogit_fit(prep.transform(frame.iloc[train]), y[train], w[train], C=C,
                           start=np.zeros((len(prep.terms) + 1, k)))
        s = b[0] + prep.transform(frame.iloc[test]) @ b[1:]
        oof[test] = s
        accs.append(float(w[test] @ (s.argmax(axis=1) == y[test]) / w[test].sum()))
    return oof, accs


def _agreement(codes, seg_names, y, pred, w) -> pd.DataFrame:
    """Per segment: name, respondents, weighted share, recall and precision of the out-of-fold
    predictions ``pred``."""
    rows = []
    for i, c in enumerate(codes):
        inseg, hit = y == i, pred == i
        rows.append({"segment": c, "name": seg_names[c], "n": int(inseg.sum()),
                     "share": float(w[inseg].sum() / w.sum()),
                     "recall": float(w[inseg & hit].sum() / w[inseg].sum()),
                     "precision": float(w[inseg & hit].sum() / w[hit].sum()) if hit.any() else float("nan")})
    return pd.DataFrame(rows).set_index("segment")


def fit_base_model(
    features: pd.DataFrame,
    segments: pd.Series,
    *,
    numeric: list | None = None,
    categorical: list | None = None,
    sample_weight=None,
    cv: int = 5,
    random_state=None,
    C: float = 1.0,
    min_level_count: int = 5,
    min_probability: float = 0.5,
    names: Mapping | None = None,
    provenance: Mapping | None = None,
) -> "BaseModel":
    """Learn the respondents' segments from their customers' behaviour and firmographics.

    Parameters
    ----------
    features : DataFrame
        One row per respondent (same index as ``segments``): the behavioural features and
        firmographics of the respondent's customer, as the CRM holds them for everyone.
        Rows with every feature missing (respondents without behaviour) are left out.
    segments : Series
        Each respondent's survey segment.
    numeric, categorical : list of str, optional
        The features to use. Default: numeric columns (not booleans) are numeric; text,
        category and boolean columns categorical; date columns are left out.
    sample_weight : Series or array-like, optional
        Respondent weights (e.g. raking to the base), normalised to mean 1.
    cv : int, default=5
        Stratified folds for the accuracy (fewer if the smallest segment is smaller).
    random_state : int, numpy Generator or None
        Seeds the folds.
    C : float, default=1.0
        Inverse L2 penalty on the standardised features (as in sklearn).
    min_level_count : int, default=5
        A category level seen fewer times among the respondents joins ``other/missing``.
    min_probability : float, default=0.5
        :meth:`BaseModel.classify` flags a customer as ``confident`` at or above it.
    names : mapping of segment to str, optional
        Segment names, for the summary and the CRM table.
    provenance : mapping, optional
        Study, wave, segmentation, as for the typing tool.

    Returns
    -------
    BaseModel

    Raises
    ------
    DataError
        Unknown feature columns, ids that do not match, a non-numeric value in a numeric feature.
    AnalysisError
        Fewer than two segments, a segment with one respondent, no features.
    """
    rs = random_seed(random_state)
    if not C > 0:
        raise AnalysisError(f"C must be positive, got {C}")
    frame, seg, numeric, categorical, n_without = _base_inputs(features, segments, numeric, categorical)
    index = frame.index
    w = sample_weights(sample_weight, index, features.index)
    classes = sorted(seg.unique().tolist(), key=lambda v: (str(type(v)), v))
    if len(classes) < 2:
        raise AnalysisError("a base model needs at least two segments; the segments hold one")
    y = pd.Categorical(seg.reindex(index), categories=classes).codes.astype(int)
    counts = np.bincount(y, minlength=len(classes))
    n_splits = int(min(cv, counts.min()))
    if n_splits < 2:
        raise AnalysisError(f"segment {classes[int(counts.argmin())]!r} has {int(counts.min())} respondent(s) with "
                            "features; cross-validating the base model needs at least two per segment")
    k = len(classes)
    oof, accs = _cross_validated(frame, y, w, k, numeric=numeric, categorical=categorical, C=C,
                                 min_level_count=min_level_count, n_splits=n_splits, rs=rs)
    prep = _Prep.fit(frame, numeric, categorical, w, min_level_count)
    b, converged = mlogit_fit(prep.transform(frame), y, w, C=C, start=np.zeros((len(prep.terms) + 1, k)))
    if not converged:
        warnings.warn("the base model's logistic regression did not converge in 100 Newton steps; try a smaller C",
                      WorkbenchWarning, stacklevel=2)
    codes = [plain(c) for c in classes]
    coef = pd.DataFrame(b, index=["(intercept)"] + prep.terms, columns=codes)
    coef.index.name, coef.columns.name = "term", "segment"
    pred = oof.argmax(axis=1)
    confusion = pd.DataFrame(np.zeros((k, k), dtype=int), index=codes, columns=codes)
    for a, p_ in zip(y, pred):
        confusion.iat[a, p_] += 1
    confusion.index.name, confusion.columns.name = "segment", "predicted"
    seg_names = {c: str((names or {}).get(c, f"Segment {c}")) for c in codes}
    model = BaseModel(
        prep=prep,
        segments=tuple(codes),
        segment_names=seg_names,
        coefficients=coef,
        accuracy=float(np.mean(accs)),
        accuracy_sd=float(np.std(accs, ddof=1)),
        baseline_accuracy=float(w[y == counts.argmax()].sum() / w.sum()),
        confusion=confusion,
        agreement_by_segment=_agreement(codes, seg_names, y, pred, w),
        n=int(len(y)),
        n_without_features=n_without,
        cv=n_splits,
        C=float(C),
        min_level_count=int(min_level_count),
        min_probability=float(min_probability),
        random_state=rs,
        weighted=sample_weight is not None,
        provenance=dict(provenance or {}),
        created=_dt.date.today().isoformat(),
    )
    logger.info("base model: %.1f%% of %d respondents placed in their segment from behaviour (cross-validated; "
                "largest segment %.1f%%)", 100 * model.accuracy, model.n, 100 * model.baseline_accuracy)
    return model


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True, eq=False)
class BaseModel(Summarised):
    """A segment for customers without survey answers, from behaviour and firmographics.

    Attributes
    ----------
    segments : tuple
        Segment labels, in the order of the coefficient columns.
    segment_names : dict
    coefficients : DataFrame
        Indexed by term (``(intercept)``, each numeric feature, possibly as ``log1p(...)``,
        standardised; ``feature = level`` indicators), one column per segment.
    accuracy, accuracy_sd : float
        Cross-validated accuracy on the respondents (mean and sd over folds).
    baseline_accuracy : float
        The accuracy of always answering the largest segment.
    confusion : DataFrame
        Cross-validated: segment (rows) × predicted (columns), respondents.
    agreement_by_segment : DataFrame
        Per segment: name, n, share, recall and precision (cross-validated).
    n : int
        Respondents fitted on; ``n_without_features`` those left out for lack of features.
    cv : int
    C, min_probability : float
    min_level_count : int
    random_state, weighted, provenance, created
        Settings and provenance.
    """

    prep: _Prep = field(repr=False)
    segments: tuple
    segment_names: dict
    coefficients: pd.DataFrame = field(repr=False)
    accuracy: float
    accuracy_sd: float
    baseline_accuracy: float
    confusion: pd.DataFrame = field(repr=False)
    agreement_by_segment: pd.DataFrame = field(repr=False)
    n: int
    n_without_features: int = 0
    cv: int = 5
    C: float = 1.0
    min_level_count: int = 5
    min_probability: float = 0.5
    random_state: Any = None
    weighted: bool = False
    provenance: dict = field(default_factory=dict, repr=False)
    created: str = ""

    def summarise(self) -> Summary:
        """The accuracy sentence and the agreement by segment."""
        line = (f"Base model: behaviour and firmographics place {self.accuracy:.1%} of {self.n:,} respondents in "
                f"their survey segment ({self.cv}-fold cross-validated; always guessing the largest segment: "
                f"{self.baseline_accuracy:.1%})")
        return Summary("Base model", [line], [SummaryTable(self.agreement_by_segment, title="agreement by segment")])

    @property
    def refused(self) -> str | None:
        """Why customers without survey answers are not placed by this model (it does not
        beat guessing the largest segment by a clear, cross-validated margin:
        :func:`workbench.waves.inputs.not_better_than_guessing`), or None."""
        return not_better_than_guessing(self.accuracy, self.baseline_accuracy, self.accuracy_sd, self.cv)

    @property
    def numeric(self) -> list[str]:
        return list(self.prep.numeric)

    @property
    def categorical(self) -> list[str]:
        return list(self.prep.categorical)

    @property
    def features(self) -> list[str]:
        """Every input column the model needs."""
        return self.numeric + self.categorical

    @property
    def preprocessing(self) -> pd.DataFrame:
        """Per feature: kind, transform, median, mean, sd (numeric) or levels (categorical)."""
        return self.prep.table()

    # ---------------------------------------------------------------- scoring

    def _design(self, features: pd.DataFrame) -> np.ndarray:
        if not isinstance(features, pd.DataFrame):
            raise DataError(f"features must be a DataFrame, not {type(features).__name__}")
        missing = [c for c in self.features if c not in features.columns]
        if missing:
            raise DataError(f"the features lack the column(s) {', '.join(map(str, missing))}, which the base model "
                            "was fitted on", column=str(missing[0]))
        return self.prep.transform(features)

    def decision_function(self, features: pd.DataFrame) -> pd.DataFrame:
        """Each segment's linear score."""
        c = self.coefficients.to_numpy(dtype=float)
        return pd.DataFrame(c[0] + self._design(features) @ c[1:], index=features.index, columns=list(self.segments))

    def predict_proba(self, features: pd.DataFrame) -> pd.DataFrame:
        """Membership probabilities, one column per segment."""
        s = self.decision_function(features)
        return pd.DataFrame(softmax(s.to_numpy()), index=s.index, columns=s.columns)

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """The most probable segment of each row."""
        return self.classify(features)["segment"]

    def classify(self, features: pd.DataFrame) -> pd.DataFrame:
        """Segment, its probability and whether that reaches ``min_probability``.

        Returns
        -------
        DataFrame
            ``segment``, ``probability``, ``confident`` (bool), indexed like ``features``.
        """
        p = self.predict_proba(features).to_numpy()
        best = p.argmax(axis=1)
        seg = pd.Series([self.segments[i] for i in best], index=features.index, name="segment")
        if all(isinstance(s, int) for s in self.segments):
            seg = seg.astype("Int64")
        prob = p[np.arange(len(best)), best]
        return pd.DataFrame({"segment": seg, "probability": prob, "confident": prob >= self.min_probability},
                            index=features.index)

    # ---------------------------------------------------------------- reporting

    def summary(self) -> pd.DataFrame:
        """Headline numbers: accuracy against the baseline, features, settings."""
        return summary_frame(self, [], [
            ("gain over the baseline (points)", round(100 * (self.accuracy - self.baseline_accuracy), 1)),
            ("places customers without survey answers",
             "no: " + self.refused if self.refused else "yes: beats guessing by a clear margin"),
            ("respondents fitted", self.n),
            ("respondents without features", self.n_without_features),
            ("segments", len(self.segments)),
            ("numeric features", ", ".join(map(str, self.numeric))),
            ("categorical features", ", ".join(map(str, self.categorical))),
        ], [("confident at probability", self.min_probability)])

    # ---------------------------------------------------------------- plain data

    def to_dict(self) -> dict:
        """The model as plain JSON-able data."""
        p = self.prep
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "segments": list(self.segments),
            "segment_names": [self.segment_names[s] for s in self.segments],
            "numeric": [{"feature": str(c), "log1p": bool(lg), "median": float(md), "mean": float(mu), "sd": float(sd)}
                        for c, lg, md, mu, sd in zip(p.numeric, p.log, p.median, p.mean, p.sd)],
            "categorical": [{"feature": str(c), "levels": list(lv)} for c, lv in zip(p.categorical, p.levels)],
            "terms": list(self.coefficients.index),
            "intercepts": [float(v) for v in self.coefficients.iloc[0]],
            "coefficients": [[float(v) for v in self.coefficients.iloc[1:][s]] for s in self.coefficients.columns],
            "accuracy": self.accuracy,
            "accuracy_sd": self.accuracy_sd,
            "baseline_accuracy": self.baseline_accuracy,
            "confusion": [[int(v) for v in row] for row in self.confusion.to_numpy()],
            "agreement_by_segment": [{k: plain(v) for k, v in r.items()}
                                     for r in self.agreement_by_segment.reset_index().to_dict("records")],
            "n": self.n,
            "n_without_features": self.n_without_features,
            "cv": self.cv,
            "C": self.C,
            "min_level_count": self.min_level_count,
            "min_probability": self.min_probability,
            "random_state": self.random_state,
            "weighted": self.weighted,
            "provenance": {str(k): plain(v) for k, v in self.provenance.items()},
            "created": self.created,
        }

    @classmethod
    def from_dict(cls, doc: Mapping) -> "BaseModel":
        """:meth:`_from_dict`, a malformed entry named (:func:`workbench.files.jsonplain.rebuild`)."""
        return rebuild(cls._from_dict, doc, "the whole-base model")

    @classmethod
    def _from_dict(cls, doc: Mapping) -> "BaseModel":
        """Rebuild a model from :meth:`to_dict`'s output.

        Raises
        ------
        DataError
            Not a base model, a newer format, or coefficients that do not match the features.
        """
        check_format(dict(doc) if isinstance(doc, Mapping) else doc, FORMAT, FORMAT_VERSION, what="the whole-base model")
        try:
            num, cat = doc["numeric"], doc["categorical"]
            prep = _Prep(
                numeric=tuple(d["feature"] for d in num), log=tuple(bool(d["log1p"]) for d in num),
                median=tuple(float(d["median"]) for d in num), mean=tuple(float(d["mean"]) for d in num),
                sd=tuple(float(d["sd"]) for d in num), categorical=tuple(d["feature"] for d in cat),
                levels=tuple(tuple(d["levels"]) for d in cat),
            )
            segs = list(doc["segments"])
            coefs = np.asarray(doc["coefficients"], dtype=float)
            intercepts = np.asarray(doc["intercepts"], dtype=float)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"the base model is incomplete or malformed ({exc})") from None
        terms = prep.terms
        if coefs.shape != (len(segs), len(terms)) or intercepts.shape != (len(segs),):
            raise DataError(f"the base model's coefficients do not match its {len(terms)} terms and "
                            f"{len(segs)} segments")
        coef = pd.DataFrame(np.vstack([intercepts, coefs.T]), index=["(intercept)"] + terms, columns=segs)
        coef.index.name, coef.columns.name = "term", "segment"
        conf = pd.DataFrame(doc.get("confusion") or np.zeros((len(segs), len(segs)), dtype=int),
                            index=segs, columns=segs)
        conf.index.name, conf.columns.name = "segment", "predicted"
        agree = pd.DataFrame(doc.get("agreement_by_segment") or [])
        if len(agree):
            agree = agree.set_index("segment")
        return cls(
            prep=prep, segments=tuple(segs), segment_names=dict(zip(segs, doc.get("segment_names") or segs)),
            coefficients=coef, accuracy=float(doc.get("accuracy") or np.nan),
            accuracy_sd=float(doc.get("accuracy_sd") or np.nan),
            baseline_accuracy=float(doc.get("baseline_accuracy") or np.nan), confusion=conf,
            agreement_by_segment=agree, n=int(doc.get("n") or 0),
            n_without_features=int(doc.get("n_without_features") or 0), cv=int(doc.get("cv") or 0),
            C=float(doc.get("C", 1.0)), min_level_count=int(doc.get("min_level_count", 5)),
            min_probability=float(doc.get("min_probability", 0.5)), random_state=doc.get("random_state"),
            weighted=bool(doc.get("weighted", False)), provenance=dict(doc.get("provenance") or {}),
            created=str(doc.get("created") or ""),
        )


# --------------------------------------------------------------------------- the CRM table


def segment_customer_base(customers: pd.DataFrame, respondent_segments: pd.Series, model: BaseModel, *,
                          names: Mapping | None = None, pii=()) -> pd.DataFrame:
    """A segment for every customer of the base: the survey's for respondents, the model's otherwise.

    Parameters
    ----------
    customers : DataFrame
        One row per customer of the base, indexed by customer id, holding the model's
        feature columns (only those are read).
    respondent_segments : Series
        Survey segment per respondent's customer, indexed by **customer id**. A customer
        with several respondents gets their most common segment (ties: the first), with a
        warning. Customers not in the base are left out (logged).
    model : BaseModel
    names : mapping of segment to str, optional
        Adds a ``name`` column (default: the model's segment names).
    pii : iterable of str
        The study's PII columns: refused in the output (and as model features).

    Returns
    -------
    DataFrame
        Indexed like ``customers``: ``segment``, ``name``, ``source`` ('survey' or
        'model'), ``probability`` (the model's probability of the segment; empty for survey
        segments, which are not estimates) and ``confident`` (survey: True; model: the
        probability reaches the model's ``min_probability``).

    Raises
    ------
    DataError
        The customers lack a feature the model needs, or have duplicate ids.
    OutputError
        A PII column would reach the table.
    """
    from ..files.outputs import check_no_pii

    pii = [str(p) for p in pii]
    leaked = sorted(set(map(str, model.features)) & set(pii))
    if leaked:
        raise OutputError(f"refusing to segment the base: the model uses personal data column(s) "
                          f"{', '.join(leaked)} declared as pii in the study")
    if not isinstance(customers, pd.DataFrame):
        raise DataError(f"customers must be a DataFrame, not {type(customers).__name__}")
    if customers.index.has_duplicates:
        raise DataError(f"the customer base has the customer id {customers.index[customers.index.duplicated()][0]!r} "
                        "more than once")
    out = model.classify(customers)
    out["source"] = "model"
    rs = respondent_segments.dropna()
    if rs.index.has_duplicates:
        groups = rs.groupby(level=0, sort=False)
        conflicts = int((groups.nunique() > 1).sum())
        if conflicts:
            warnings.warn(f"{conflicts} customer(s) have respondents in different segments; each gets its "
                          "respondents' most common segment", WorkbenchWarning, stacklevel=2)
        rs = groups.agg(lambda s: s.value_counts(sort=True).index[0] if s.nunique() > 1 else s.iloc[0])
    outside = rs.index[~rs.index.isin(customers.index)]
    if len(outside):
        logger.info("segment_customer_base: %d respondent customer(s) are not in the base and are left out "
                    "(e.g. %s)", len(outside), ", ".join(map(str, outside[:3])))
    rs = rs[rs.index.isin(customers.index)]
    survey = out.index.isin(rs.index)
    seg = out["segment"].astype(object)
    seg[survey] = rs.reindex(out.index[survey]).to_numpy()
    if all(isinstance(s, (int, np.integer)) for s in seg):
        seg = seg.astype("Int64")
    out["segment"] = seg
    out.loc[survey, "source"] = "survey"
    out["probability"] = out["probability"].where(~survey, np.nan)
    out["confident"] = out["confident"] | survey
    seg_names = dict(model.segment_names)
    seg_names.update(names or {})
    out.insert(1, "name", out["segment"].map(lambda s: seg_names.get(plain(s)) if not pd.isna(s) else None))
    out = out[["segment", "name", "source", "probability", "confident"]]
    check_no_pii(out, pii, "the customer-base segments")
    logger.info("segment_customer_base: %d customers, %d from the survey, %d from the model (%d confident)",
                len(out), int(survey.sum()), int((~survey).sum()), int(out.loc[~survey, "confident"].sum()))
    return out
