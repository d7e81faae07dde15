"""Study-aware glue for the model file and later waves (the pipeline's wave steps).

A study's first wave (or a run with ``refit``) fits the segmentation; the ``model`` step
then freezes the recommended segmentation as ``model.json`` (plain JSON: the segment
parameters, the factor solution it used, the typing tool and the whole-base model) and
writes ``typing_tool.xlsx`` and ``customer_segments.csv`` (a segment for every customer of
the base, for the client's CRM).

A later wave is classified with the frozen model of the latest earlier wave that holds
one (or a named wave / file): the ``segments`` step assigns every respondent with
posterior probabilities and an uncertain flag, the scorecard re-checks the frozen
segmentation on the new wave, and the ``tracking`` step compares the wave with the earlier
ones (sizes with confidence intervals, significance of change, profile drift, the factor
structure confirmed, whether a re-fit is due) in ``tracking.xlsx`` and the deck's trend
slides.

The statistics live in :mod:`workbench.waves`; this module decides which columns of which
wave they get and which files they write.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import StudyError
from .pipeline import WaveContext, Writer, criteria_kpis, report_folder, segmentation_inputs
from .study import Study

__all__ = [
    "resolve_model", "load_frozen", "WaveTracking", "tracking_context", "classify_file", "step_model", "classify_wave", "step_tracking", "respondent_segments",
    "MODEL_FILE",
]

logger = logging.getLogger(__name__)

MODEL_FILE = "model.json"
SEGMENTS_FILE = "respondent_segments.csv"
#: The deck's trend slides as plain data, so that ``workbench deck`` re-renders them too.
TRENDS_FILE = "deck_trends.json"


# --------------------------------------------------------------------------- which model


def resolve_model(study: Study, wave: str, reports, model=None, refit: bool = False) -> Path | None:
    """The model file a wave is classified with, or None when the wave fits its own.

    Parameters
    ----------
    study : Study
    wave : str
    reports : path
        The reports root.
    model : str or path, optional
        A model file, a report folder holding one, or the id of the wave whose model to use.
        Default: the latest earlier wave (in the study's order) whose reports hold one.
    refit : bool, default=False
        Fit this wave afresh instead.

    Raises
    ------
    StudyError
        Both ``model`` and ``refit``; a named model that does not exist; a later wave
        without any earlier model.
    """
    if model is not None and refit:
        raise StudyError("choose either a model to classify with (--model) or a fresh fit (--refit), not both")
    if not study.spec.segmentation.basis:
        return None
    if model is not None:
        path = Path(str(model))
        if path.is_dir():
            path = path / MODEL_FILE
        if path.is_file():
            return path
        ids = [w.id for w in study.waves]
        if str(model) in ids:
            path = report_folder(study, str(model), reports) / MODEL_FILE
            if path.is_file():
                return path
            raise StudyError(
                f"wave {model} has no model file ({path} does not exist): run that wave first "
                f"(workbench run {study.root} --wave {model}), or fit this wave with --refit"
            )
        raise StudyError(
            f"--model {model}: no such model file, report folder or wave (the study's waves are: {', '.join(ids)})"
        )
    if refit:
        return None
    ids = [w.id for w in study.waves]
    earlier = ids[: ids.index(wave)]
    if not earlier:
        return None
    for w in reversed(earlier):
        path = report_folder(study, w, reports) / MODEL_FILE
        if path.is_file():
            return path
    folders = ", ".join(str(report_folder(study, w, reports)) for w in earlier)
    raise StudyError(
        f"wave {wave} comes after wave(s) {', '.join(earlier)}, but no model file was found in {folders}: run "
        f"wave {earlier[0]} first (workbench run {study.root} --wave {earlier[0]}), name a model with --model, "
        "or fit this wave afresh with --refit"
    )


def load_frozen(path: Path, study: Study):
    """Load a model file and check it against the study (a clear error listing what changed)."""
    from .waves import load_model

    return load_model(path, study=study)


# --------------------------------------------------------------------------- shared helpers


def _names(ctx: WaveContext) -> dict[int, str]:
    out = {}
    for p in ctx.personas or ():
        try:
            out[int(p.segment)] = p.name
        except (TypeError, ValueError):
            continue
    return out


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def respondent_segments(labels: pd.Series, posteriors: pd.DataFrame | None, *, names: dict, weights=None,
                        uncertain_below: float, index_name: str) -> pd.DataFrame:
    """The table written as ``respondent_segments.csv``: one row per clean respondent."""
    seg = pd.Series(labels, dtype="Int64")
    out = pd.DataFrame({"segment": seg})
    out["name"] = [names.get(int(s), "") if pd.notna(s) else "" for s in seg]
    if posteriors is not None and len(posteriors.columns):
        post = posteriors.reindex(seg.index)
        out["probability"] = post.max(axis=1).to_numpy()
        out["uncertain"] = (out["probability"] < uncertain_below) & out["segment"].notna()
        for c in post.columns:
            out[f"p_{int(c)}"] = post[c].to_numpy()
    if weights is not None:
        out["weight"] = pd.Series(weights).reindex(seg.index).to_numpy()
    out.index.name = index_name
    return out


def _read_segments(path: Path) -> pd.DataFrame:
    tab = pd.read_csv(path, index_col=0, encoding="utf-8", dtype={0: str})
    tab.index = tab.index.astype(str)
    tab["segment"] = tab["segment"].astype("Int64")
    return tab


def _base_features(ctx: WaveContext) -> tuple[pd.DataFrame | None, list[str], list[str]]:
    """Per-customer behaviour and firmographics for the whole-base model: the table and its
    numeric and categorical feature columns (bookkeeping, dates, ids and PII left out)."""
    beh = ctx.behaviour
    if beh is None or getattr(beh, "customers", None) is None:
        return None, [], []
    cust = beh.customers
    pii = {c.lower() for c in ctx.study.pii}
    skip = set(_NOT_FEATURES) | {beh.key}
    numeric, categorical = [], []
    for c in cust.columns:
        if c in skip or str(c).lower() in pii:
            continue
        s = cust[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            continue
        if pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.BooleanDtype):
            categorical.append(c)
        elif pd.api.types.is_numeric_dtype(s):
            if s.notna().sum() >= 10 and s.nunique() > 1:
                numeric.append(c)
        else:
            levels = s.dropna().nunique()
            if 1 < levels <= 20:
                categorical.append(c)
    feats = cust[numeric + categorical].copy()
    for c in categorical:
        feats[c] = feats[c].astype(object).where(feats[c].notna(), None).map(lambda v: None if v is None else str(v))
    for c in numeric:
        feats[c] = pd.to_numeric(feats[c], errors="coerce").astype(float)
    return feats, numeric, categorical


#: Columns of the behaviour tables that are bookkeeping, not features.
_NOT_FEATURES = ("match", "duplicate_key", "in_master", "in_transactions", "first_order", "last_order",
                 "customer_name", "name", "email", "phone")


def _respondent_customers(ctx: WaveContext) -> pd.Series:
    """Customer id per clean respondent (respondents without a customer left out)."""
    resp = ctx.behaviour.respondents
    key = ctx.behaviour.key
    ids = resp[key] if key in resp.columns else pd.Series(resp.index, index=resp.index)
    ids = ids.reindex(ctx.clean.data.index).dropna()
    return ids.astype(str)


def _customer_table(ctx: WaveContext, base_model, labels: pd.Series) -> pd.DataFrame | None:
    from .outputs import check_no_pii
    from .waves.base import segment_customer_base

    feats, _, _ = _base_features(ctx)
    if feats is None or base_model is None:
        return None
    feats = feats.copy()
    feats.index = feats.index.astype(str)
    cust = _respondent_customers(ctx)
    lab = labels.reindex(cust.index).dropna()
    by_customer = pd.Series(lab.to_numpy(), index=cust.loc[lab.index].to_numpy())
    by_customer = by_customer[~by_customer.index.duplicated(keep="first")]
    table = segment_customer_base(feats[list(base_model.features)], by_customer, base_model, names=_names(ctx) or None,
                                  pii=ctx.study.pii)
    table.index.name = ctx.behaviour.key
    check_no_pii(table, ctx.study.pii, "customer_segments.csv")
    from .suppression import suppress_customers, suppressed_segments  # issue 14: below min_segment_n

    return suppress_customers(table, suppressed_segments(ctx, labels))


# --------------------------------------------------------------------------- fit waves: the model step


def step_model(ctx: WaveContext) -> Writer | None:
    """Freeze the recommended segmentation as ``model.json`` with its typing tool and
    whole-base model; write ``typing_tool.xlsx``, ``customer_segments.csv`` and
    ``respondent_segments.csv``. A classified wave writes the last two with the frozen model."""
    if ctx.model is not None:
        return _classified_outputs(ctx)
    chosen = getattr(ctx, "chosen", None)
    if chosen is None or ctx.scorecard is None:
        logger.info("model: no recommended segmentation; model file skipped")
        return None
    from .segments import Segmentation
    from .waves import SegmentModel, codebook
    from .waves.base import fit_base_model
    from .waves.golden import select_golden_questions

    study, clean = ctx.study, ctx.clean
    plan = study.spec.segmentation
    names = _names(ctx)
    labels = pd.Series(chosen.labels).dropna().astype(int)
    posteriors = getattr(chosen, "posteriors", None)
    table = respondent_segments(labels.reindex(clean.data.index), posteriors, names=names, weights=clean.weights,
                                uncertain_below=plan.uncertain_below, index_name=study.respondent_id)
    if not isinstance(chosen, Segmentation):
        logger.info("model: the recommended candidate %s is not a fitted model; model file skipped", chosen.name)
        return _writer(ctx, table=table)
    basis = list(segmentation_inputs(ctx)["data"].columns)
    model = SegmentModel.from_segmentation(
        chosen, basis_items=basis, factors=ctx.factors or None, codebook=codebook(study, basis), study_id=study.id,
        study_hash=study.hash, wave=ctx.wave, names=names, uncertain_below=plan.uncertain_below,
        data=clean.data, sample_weight=clean.weights,
    )
    attachments = {}
    # the typing tool: golden questions from the basis
    item_labels = {c: study.columns[c].label for c in basis}
    codes = {c: _codes(study, c) for c in basis}
    provenance = {"study": study.id, "wave": ctx.wave, "segmentation": str(chosen.name)}
    tool = select_golden_questions(clean.data[basis].loc[labels.index], labels, max_questions=plan.golden_questions,
                                   sample_weight=None if clean.weights is None else clean.weights.reindex(labels.index),
                                   random_state=study.seed, labels=item_labels, names=names, codes=codes,
                                   tolerance=0.01, provenance=provenance)
    attachments["typing_tool"] = tool.to_dict()
    logger.info("model: typing tool with %d question(s), cross-validated accuracy %.1f %% (largest segment alone "
                "%.1f %%)", len(tool.questions), 100 * tool.accuracy, 100 * tool.baseline_accuracy)
    # the whole-base model on behaviour and firmographics
    base = None
    feats, numeric, categorical = _base_features(ctx)
    if feats is not None and (numeric or categorical):
        cust = _respondent_customers(ctx)
        lab = labels.reindex(cust.index).dropna().astype(int)
        X = feats.copy()
        X.index = X.index.astype(str)
        Xr = X.reindex(cust.loc[lab.index].to_numpy())
        Xr.index = lab.index
        base = fit_base_model(Xr, lab, numeric=numeric, categorical=categorical, random_state=study.seed,
                              names=names, provenance=provenance)
        attachments["base_model"] = base.to_dict()
        logger.info("model: whole-base model, accuracy on respondents %.1f %% (largest segment alone %.1f %%)",
                    100 * base.accuracy, 100 * base.baseline_accuracy)
    import dataclasses

    model = dataclasses.replace(model, attachments=attachments)
    ctx.model_fitted = model
    customers = _customer_table(ctx, base, labels) if base is not None else None
    title = f"{_study_title(study)} — typing tool (segments of wave {ctx.wave})"
    ctx.manifest.counts.update({"golden_questions": len(tool.questions)})
    pii = study.pii

    sheets, notes = _model_sheets(model, tool, base)
    from .suppression import suppress_names, suppressed_segments  # issue 14: the client's typing tool hides them

    tool_names = suppress_names(names, tool.segments, suppressed_segments(ctx, labels))

    def extra(folder: Path) -> None:
        from .outputs import write_workbook

        model.save(folder / MODEL_FILE)
        tool.to_excel(folder / "typing_tool.xlsx", title=title, names=tool_names, codes=codes, pii=pii)
        write_workbook(folder / "model.xlsx", sheets, pii=pii, notes=notes)

    return _writer(ctx, table=table, customers=customers, extra=extra)


def _model_sheets(model, tool, base) -> tuple[dict, dict]:
    """``model.xlsx``: what model.json holds and how well its scorers do, for the consultant."""
    sheets = {"Model": model.summary(), "Typing tool": tool.summary(), "Golden questions path": tool.path,
              "Typing tool confusion": tool.confusion, "Typing tool by segment": tool.agreement_by_segment}
    notes = {
        "Model": "The segmentation frozen in model.json: later waves are classified with it.",
        "Typing tool": "The golden questions and the typing tool's cross-validated accuracy.",
        "Golden questions path": "Forward selection: cross-validated accuracy as each question is added; 'chosen' "
                                 "marks the set used (adding more gained less than the tolerance).",
        "Typing tool confusion": "Cross-validated: rows = segment from the full model, columns = typing tool.",
        "Typing tool by segment": "Share of each segment's members the typing tool puts in their own segment.",
    }
    if base is not None:
        sheets.update({"Whole-base model": base.summary(), "Whole-base confusion": base.confusion,
                       "Whole-base by segment": base.agreement_by_segment, "Whole-base coefficients": base.coefficients})
        notes.update({
            "Whole-base model": "Places customers without survey answers from behaviour and firmographics; accuracy "
                                "cross-validated on respondents, against always guessing the largest segment.",
            "Whole-base confusion": "Cross-validated: rows = survey segment, columns = the model's.",
            "Whole-base by segment": "Share of each segment's respondents the model places in their own segment.",
            "Whole-base coefficients": "Multinomial logit coefficients on standardised features (one-hot levels).",
        })
    return sheets, notes


def _study_title(study: Study) -> str:
    meta = getattr(study.spec, "study", None)
    return str(getattr(meta, "title", None) or getattr(meta, "name", None) or study.id)


def _codes(study: Study, column: str) -> dict:
    return {k: str(v) for k, v in dict(study.columns[column].scale.codes).items()}


def recognise_summary(ctx: WaveContext) -> dict | None:
    """Numbers for the deck's "how to recognise the segments" slide, or None without a model:
    the golden questions and the typing tool's accuracy, and how this wave's whole customer
    base got its segments (survey or model) with the whole-base model's accuracy."""
    model = ctx.model if ctx.model is not None else ctx.model_fitted
    if model is None or "typing_tool" not in model.attachments:
        return None
    tool = model.attachments["typing_tool"]
    from .waves.golden import TypingTool

    tt = TypingTool.from_dict(tool)
    out = {"questions": [str(tt.question_labels.get(q, q)) for q in tt.questions], "accuracy": float(tt.accuracy),
           "baseline": float(tt.baseline_accuracy), "fitted_wave": str(model.wave)}
    cust = ctx.customer_segments
    if cust is not None and "base_model" in model.attachments:
        from .waves.base import BaseModel

        base = BaseModel.from_dict(model.attachments["base_model"])
        by_model = cust["source"].eq("model")
        out.update({"customers": int(len(cust)), "from_survey": int(cust["source"].eq("survey").sum()),
                    "from_model": int(by_model.sum()),
                    "confident": int(cust.loc[by_model, "confident"].astype(bool).sum()) if "confident" in cust else 0,
                    "base_accuracy": float(base.accuracy), "base_baseline": float(base.baseline_accuracy)})
    return out


def _writer(ctx: WaveContext, *, table: pd.DataFrame, customers: pd.DataFrame | None = None, extra=None) -> Writer:
    from .outputs import check_no_pii

    check_no_pii(table, ctx.study.pii, SEGMENTS_FILE)
    ctx.customer_segments = customers

    def write(folder: Path) -> None:
        from .outputs import write_csv  # issue 14: text cells neutralised against formula injection

        write_csv(table, folder / SEGMENTS_FILE)
        if customers is not None:
            write_csv(customers, folder / "customer_segments.csv")
        if extra is not None:
            extra(folder)

    return write


# --------------------------------------------------------------------------- later waves


def classify_wave(ctx: WaveContext) -> Writer | None:
    """The segments step of a later wave: every clean respondent into the frozen segments."""
    from .criteria import LabelCandidate

    import dataclasses

    model, clean = ctx.model, ctx.clean
    threshold = ctx.study.spec.segmentation.uncertain_below
    if threshold != model.uncertain_below:  # the study's current threshold wins over the one frozen with the model
        model = ctx.model = dataclasses.replace(model, uncertain_below=threshold)
    # questions of the basis this wave did not ask are missing answers for everyone: the
    # model classifies from the questions that were asked
    not_asked = [c for c in model.basis_items if c not in clean.data.columns or c in set(clean.missing_columns)]
    if len(not_asked) == len(model.basis_items):
        from .errors import AnalysisError

        raise AnalysisError(f"wave {ctx.wave} asked none of the {len(not_asked)} questions the wave {model.wave} "
                            "segmentation is based on; it cannot be classified", file=ctx.study.path)
    if not_asked:
        logger.warning("segments: wave %s did not ask %s of the segmentation questions (%s); respondents are "
                       "classified from the other %d", ctx.wave, len(not_asked), ", ".join(not_asked),
                       len(model.basis_items) - len(not_asked))
    data = clean.data.reindex(columns=list(model.basis_items))
    data[not_asked] = np.nan
    cls = model.classify(data)
    ctx.classification = cls
    tab = cls.table
    labels = tab["segment"].dropna().astype(int)
    post = tab[[f"p_{j}" for j in range(1, model.k + 1)]]
    post.columns = pd.RangeIndex(1, model.k + 1, name="segment")
    ctx.segments = [LabelCandidate(name=f"wave {model.wave} model ({model.method} k={model.k})", labels=labels,
                                   posteriors=post.loc[labels.index])]
    n_unc = int(tab["uncertain"].sum())
    ctx.manifest.counts.update({"classified": int(len(labels)), "uncertain": n_unc,
                                "unclassified": int(tab["segment"].isna().sum())})
    ctx.manifest.model = {"file": str(ctx.model_path), "sha256": _sha256(ctx.model_path),
                                   "fitted_on_wave": model.wave}
    ctx.model_note = (f"Respondents of wave {ctx.wave} were classified with the segmentation fitted on wave "
                      f"{model.wave} ({model.method} k={model.k}), frozen in model.json: {len(labels):,} classified, "
                      f"{n_unc:,} uncertain (largest probability below {model.uncertain_below:.2f}).")
    logger.info("segments: %d respondents classified with the wave %s model (%d uncertain, %d without answers)",
                len(labels), model.wave, n_unc, int(tab["segment"].isna().sum()))
    return None


def _classified_outputs(ctx: WaveContext) -> Writer:
    from .waves.base import BaseModel

    model, study = ctx.model, ctx.study
    tab = ctx.classification.table.copy()
    names = _names(ctx) or dict(model.names)
    tab["name"] = [names.get(int(s), "") if pd.notna(s) else "" for s in tab["segment"]]
    if ctx.clean.weights is not None:
        tab["weight"] = ctx.clean.weights.reindex(tab.index).to_numpy()
    tab.index.name = study.respondent_id
    customers = None
    if "base_model" in model.attachments and ctx.behaviour is not None:
        base = BaseModel.from_dict(model.attachments["base_model"])
        customers = _customer_table(ctx, base, tab["segment"].dropna().astype(int))
    return _writer(ctx, table=tab, customers=customers)


# --------------------------------------------------------------------------- tracking


@dataclass(frozen=True)
class WaveTracking:
    """A classified wave compared with the earlier waves of the same model.

    Attributes
    ----------
    wave, model_wave : str
        This wave and the wave the frozen model was fitted on.
    sizes : DataFrame
        Segment shares per wave with confidence intervals (wave, segment, name, n, share,
        ci_low, ci_high).
    changes : SizeChanges or None
        This wave against the previous one (None when there is no earlier classified wave).
    drift : ProfileDrift or None
        Which indicators moved within each segment since the previous wave.
    confirmation : DataFrame
        The fitted wave's factor structure confirmed on this wave (fit indices per battery).
    advice : RefitAdvice
        Whether a re-fit is due, with every check.
    movements : list of str
        Plain-language lines for the deck's "key movements" slide.
    """

    wave: str
    model_wave: str
    sizes: pd.DataFrame
    changes: Any
    drift: Any
    confirmation: pd.DataFrame
    advice: Any
    movements: tuple

    def summary(self) -> pd.DataFrame:
        """Sizes of this wave and the one before, side by side, with the change."""
        wide = self.sizes.pivot_table(index=["segment", "name"], columns="wave", values="share", sort=False)
        return wide

    def __str__(self) -> str:
        lines = [f"Wave {self.wave} tracked against the wave {self.model_wave} model:"]
        lines += [f"  {m}" for m in self.movements]
        lines.append(f"  {self.advice.message}")
        return "\n".join(lines)



def _earlier_segments(ctx: WaveContext, reports) -> dict[str, pd.DataFrame]:
    """``respondent_segments.csv`` of every earlier wave classified into the same segments."""
    out = {}
    ids = [w.id for w in ctx.study.waves]
    for w in ids[: ids.index(ctx.wave)]:
        folder = report_folder(ctx.study, w, reports)
        path = folder / SEGMENTS_FILE
        if not path.is_file():
            continue
        if w != ctx.model.wave:
            try:
                man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            used = man.get("model") or {}
            if used.get("fitted_on_wave") != ctx.model.wave:
                continue
        out[w] = _read_segments(path)
    return out


def _wave_data(ctx: WaveContext, wave: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """An earlier wave's clean answers and behavioural KPIs, read again (nothing is fitted)."""
    from .pipeline import STEPS, WaveContext as Ctx
    from .outputs import Manifest

    man = Manifest(study_id=ctx.study.id, wave=wave, seed=ctx.study.seed, study_hash=ctx.study.hash,
                   study_file=str(ctx.study.path), study_file_hash=ctx.study.file_hash)
    other = Ctx(study=ctx.study, wave=wave, manifest=man)
    for name, func, _ in STEPS:
        if name in ("read", "quality", "behaviour"):
            func(other)
    return other.clean.data, criteria_kpis(other)


def step_tracking(ctx: WaveContext) -> Writer | None:
    """Compare a classified wave with the earlier ones: sizes, changes, drift, the factor
    structure on the new wave and whether a re-fit is due; ``tracking.xlsx`` and the deck's
    trend slides."""
    if ctx.model is None or ctx.classification is None:
        return None
    from .factors import cfa
    from .outputs import write_workbook
    from .waves import profile_drift, refit_check, segment_sizes, size_changes

    study, model = ctx.study, ctx.model
    names = _names(ctx) or dict(model.names)
    earlier = _earlier_segments(ctx, ctx.reports)
    current = ctx.classification.table
    labels = {w: t["segment"] for w, t in earlier.items()}
    labels[ctx.wave] = current["segment"]
    weights = None
    if ctx.clean.weights is not None and all("weight" in t.columns for t in earlier.values()):
        weights = {w: t["weight"] for w, t in earlier.items()}
        weights[ctx.wave] = ctx.clean.weights.reindex(current.index)
    sizes = segment_sizes(labels, weights, names=names)
    sheets, notes = {"Sizes": sizes}, {"Sizes": "Segment shares per wave with 95 % Wilson intervals "
                                                 "(weighted: Kish effective n)."}
    movements, changes, drift = [], None, None
    if earlier:
        before = list(earlier)[-1]
        changes = size_changes(sizes, before, ctx.wave)
        sheets["Size changes"] = changes.table
        notes["Size changes"] = (f"Share of each segment in wave {before} and wave {ctx.wave}: change in points, "
                                 "two-proportion test, Holm-adjusted across segments.")
        movements += list(changes.messages)
        basis = [c for c in model.basis_items if c in ctx.clean.data.columns]
        data_before, kpis_before = _wave_data(ctx, before)
        kpis_after = criteria_kpis(ctx)
        cols_b = data_before.reindex(columns=basis)
        cols_a = ctx.clean.data.reindex(columns=basis)
        if kpis_before is not None and kpis_after is not None:
            common = [c for c in kpis_after.columns if c in kpis_before.columns]
            cols_b = cols_b.join(kpis_before[common])
            cols_a = cols_a.join(kpis_after[common])
        from .deck import KPI

        item_labels = {c: study.columns[c].label for c in basis if c in study.columns}
        item_labels.update({c: KPI[c][0] for c in cols_a.columns if c in KPI})
        # yes/no KPIs (lapsed) as shares, not as two complementary answer levels
        for frame in (cols_b, cols_a):
            for c in frame.columns:
                if frame[c].dtype == object and set(frame[c].dropna().unique()) <= {True, False}:
                    frame[c] = frame[c].map({True: 1.0, False: 0.0}).astype(float)
        lab_b = earlier[before]["segment"]
        lab_b.index = lab_b.index.astype(str)
        cols_b.index = cols_b.index.astype(str)
        w_b = w_a = None
        if weights is not None:  # weighted runs: weighted means and shares, Kish effective n in the tests
            w_b = weights[before].copy()
            w_b.index = w_b.index.astype(str)
            w_a = weights[ctx.wave]
        drift = profile_drift(cols_b, cols_a, lab_b, current["segment"], list(cols_a.columns), labels=item_labels,
                              names=names, weights_before=w_b, weights_after=w_a)
        sheets["Profile drift"] = drift.table
        notes["Profile drift"] = (f"Per segment and indicator: wave {before} vs wave {ctx.wave}; moved = significant "
                                  "after correction and at least a small effect.")
        movements += list(drift.messages)
    # the factor structure of the fitted wave, confirmed on this wave
    cfa_results, rows = {}, []
    for fs in model.factors:
        battery = fs.battery
        scales = {f: [i for i in its if i in ctx.clean.data.columns] for f, its in fs.scales.items()}
        scales = {f: its for f, its in scales.items() if len(its) >= 2}
        try:
            res = cfa(ctx.clean.data, scales)
        except Exception as exc:  # noqa: BLE001 - a battery that cannot be confirmed is reported, not fatal
            from .errors import WorkbenchError

            if not isinstance(exc, WorkbenchError):
                raise
            rows.append({"battery": battery, "note": exc.message})
            continue
        cfa_results[battery] = res
        rows.append({"battery": battery, "respondents": res.n_obs, **res.fit.to_dict(), "verdict": res.verdict})
    if rows:
        sheets["Factor confirmation"] = pd.DataFrame(rows)
        notes["Factor confirmation"] = (f"Wave {model.wave}'s factor structure fitted on wave {ctx.wave} (CFA): "
                                        "CFI/TLI >= .90 and RMSEA <= .08 are the usual bars.")
    basis_new = ctx.clean.data.reindex(columns=model.basis_items)
    advice = refit_check(model, basis_new, cfa_results=cfa_results, wave=ctx.wave, random_state=study.seed)
    sheets["Re-fit checks"] = advice.table
    notes["Re-fit checks"] = "Whether the frozen segmentation still holds on this wave; any 'due' means re-fit."
    cls = ctx.classification
    sheets["Classification"] = cls.summary()
    notes["Classification"] = (f"Respondents of wave {ctx.wave} classified with the wave {model.wave} model; "
                               f"uncertain = largest probability below {model.uncertain_below:.2f}.")
    ctx.tracking = WaveTracking(wave=ctx.wave, model_wave=model.wave, sizes=sizes, changes=changes, drift=drift,
                               confirmation=pd.DataFrame(rows), advice=advice, movements=tuple(movements))
    logger.info("tracking: %s", advice.message)
    ctx.trends = deck_trends(ctx)
    trends = ctx.trends.to_dict()
    pii = study.pii

    def write(folder: Path) -> None:
        write_workbook(folder / "tracking.xlsx", sheets, pii=pii, notes=notes)
        (folder / TRENDS_FILE).write_text(json.dumps(trends, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                          encoding="utf-8")

    return write


def deck_trends(ctx: WaveContext):
    """The deck's trend slides for a classified wave, or None."""
    tr = getattr(ctx, "tracking", None)
    if not tr:
        return None
    from .deck import DeckTrends

    sizes = tr.sizes.copy()
    for c in ("share", "ci_low", "ci_high"):  # the deck shows per cent
        sizes[c] = 100 * sizes[c].astype(float)
    sizes["wave"] = sizes["wave"].astype(str)
    return DeckTrends(sizes=sizes, movements=tuple(tr.movements), refit=tr.advice.message)


# --------------------------------------------------------------------------- the standalone scorer

#: What ``workbench classify`` can score with: the full segmentation (all basis questions,
#: missing answers allowed), the typing tool (the golden questions) or the whole-base model
#: (behaviour and firmographics).
SCORERS = ("auto", "segmentation", "typing", "base")


def read_answers(path, *, id_column: str | None = None) -> pd.DataFrame:
    """A CSV of answers to classify: one row per respondent, the first column (or
    ``id_column``) the id. Delimiter (``,`` ``;`` tab) and a UTF-8 BOM are detected.

    Raises
    ------
    DataError
        The file is missing, empty, has duplicate ids or is not a table.
    """
    import csv

    from .errors import DataError

    path = Path(path)
    if not path.exists():
        raise DataError(f"no such answers file: {path}", file=path)
    from .limits import check_input  # issue 14: size, file type, columns and line length first

    check_input(path, "answers", what="answers file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8 CSV", file=path) from None
    if not text.strip():
        raise DataError("the file is empty", file=path)
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    import io

    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise DataError(f"cannot read the file as a table: {exc}", file=path) from None
    if frame.empty:
        raise DataError("the file has a header but no rows", file=path)
    idc = id_column or frame.columns[0]
    if idc not in frame.columns:
        raise DataError(f"no id column {idc!r}; the file's columns are: {', '.join(frame.columns[:12])}", file=path)
    ids = frame[idc].str.strip()
    dup = ids[ids.duplicated()]
    if len(dup):
        row = int(dup.index[0]) + 2
        raise DataError(f"id {dup.iloc[0]!r} appears more than once", file=path, row=row, column=idc)
    frame = frame.drop(columns=[idc])
    frame.index = pd.Index(ids, name=idc)
    return frame


def _numeric(frame: pd.DataFrame, columns, path) -> pd.DataFrame:
    from .errors import DataError

    out = {}
    for c in columns:
        s = frame[c].str.strip().str.replace(",", ".", regex=False)
        num = pd.to_numeric(s.where(s != "", None), errors="coerce")
        bad = (num.isna() | ~np.isfinite(num.fillna(0))) & s.ne("") & s.notna()  # inf / nan are not answers
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{frame[c].iloc[pos]!r} is not a number", file=path, row=pos + 2, column=c)
        out[c] = num.astype(float)
    return pd.DataFrame(out, index=frame.index)


def classify_file(model_path, answers_path, *, using: str = "auto", id_column: str | None = None,
                  study=None) -> tuple[pd.DataFrame, str]:
    """Classify the respondents (or customers) of a CSV with a saved model file.

    Parameters
    ----------
    model_path : path
        A ``model.json`` written by ``workbench run``.
    answers_path : path
        CSV, one row per respondent; the id first (or ``id_column``).
    using : {'auto', 'segmentation', 'typing', 'base'}, default='auto'
        ``auto``: the full segmentation when the file holds basis questions beyond the
        golden ones, else the typing tool when it holds every golden question, else the
        whole-base model when it holds its features.
    study : Study, optional
        When given, the model is checked against it (questions and codes unchanged).

    Returns
    -------
    (DataFrame, str)
        One row per id: segment, name, probability, uncertain (and p_1..p_k); the scorer used.
    """
    from .errors import DataError
    from .waves import load_model

    if using not in SCORERS:
        raise DataError(f"--using must be one of {', '.join(SCORERS)}, got {using!r}")
    model = load_model(model_path, study=study)
    frame = read_answers(answers_path, id_column=id_column)
    cols = set(frame.columns)
    att = model.attachments
    tool = base = None
    if "typing_tool" in att:
        from .waves.golden import TypingTool

        tool = TypingTool.from_dict(att["typing_tool"])
    if "base_model" in att:
        from .waves.base import BaseModel

        base = BaseModel.from_dict(att["base_model"])
    basis = [c for c in model.basis_items if c in cols]
    if using == "auto":
        golden = set(tool.questions) if tool is not None else set()
        if basis and (set(basis) - golden or tool is None):
            using = "segmentation"
        elif tool is not None and golden <= cols:
            using = "typing"
        elif base is not None and set(base.features) & cols:
            using = "base"
        elif basis:
            using = "segmentation"
        else:
            raise DataError(
                "the file holds none of the model's questions"
                + (f" (golden questions: {', '.join(tool.questions)})" if tool is not None else "")
                + f"; its columns are: {', '.join(list(frame.columns)[:12])}", file=answers_path,
            )
    names = {int(k): v for k, v in dict(model.names).items()}
    if using == "segmentation":
        if not basis:
            raise DataError(f"the file holds none of the segmentation's questions ({', '.join(model.basis_items[:8])}, "
                            "...)", file=answers_path)
        data = _numeric(frame, basis, answers_path)
        return model.classify(data.reindex(columns=model.basis_items)).table, using
    if using == "typing":
        if tool is None:
            raise DataError("this model file has no typing tool", file=model_path)
        missing = [q for q in tool.questions if q not in cols]
        if missing:
            raise DataError(f"the typing tool needs the golden question(s) {', '.join(missing)}, which the file lacks",
                            file=answers_path, column=missing[0])
        data = _numeric(frame, tool.questions, answers_path)
        proba = tool.predict_proba(data)
    else:
        if base is None:
            raise DataError("this model file has no whole-base model", file=model_path)
        have = [c for c in base.features if c in cols]
        if len(have) < len(base.features):
            logger.warning(
                "classify: the file holds %d of the whole-base model's %d features (%s); the others are filled with "
                "the customer base's typical value, so placements are weaker than the run's customer_segments.csv",
                len(have), len(base.features), ", ".join(have) or "none")
        feats = frame.reindex(columns=list(base.features))
        for c in base.numeric:
            if c in frame.columns:
                feats[c] = _numeric(frame, [c], answers_path)[c]
        proba = base.predict_proba(feats)
    proba.columns = [int(c) for c in proba.columns]
    seg = pd.Series(proba.to_numpy().argmax(axis=1) + 1, index=proba.index, dtype="Int64")
    out = pd.DataFrame({"segment": seg, "name": [names.get(int(s), "") for s in seg],
                        "probability": proba.max(axis=1).to_numpy()})
    out["uncertain"] = out["probability"] < model.uncertain_below
    for c in proba.columns:
        out[f"p_{c}"] = proba[c].to_numpy()
    return out, using


# --------------------------------------------------------------------------- notebooks


def tracking_context(study, wave, *, reports="reports", model=None) -> WaveContext:
    """A later wave classified with its frozen model and tracked against the earlier waves,
    in memory (nothing is written): what notebook 07 shows.

    Runs the flow's steps up to and including ``tracking`` (the deck is not built).
    ``ctx.tracking`` then holds ``sizes``, ``changes``, ``drift``, ``advice`` and
    ``movements``; ``ctx.classification`` the respondents' segments. For the wave the model
    was fitted on, ``ctx.tracking`` is None (there is nothing earlier to compare with).
    """
    from .outputs import Manifest
    from .pipeline import STEPS
    from .study import load_study

    if not isinstance(study, Study):
        study = load_study(study)
    w = study.wave(wave)
    path = resolve_model(study, w.id, reports, model)
    frozen = load_frozen(path, study) if path is not None else None
    man = Manifest(study_id=study.id, wave=w.id, seed=study.seed, study_hash=study.hash,
                   study_file=str(study.path), study_file_hash=study.file_hash)
    ctx = WaveContext(study=study, wave=w.id, manifest=man, reports=Path(reports), model=frozen, model_path=path)
    if frozen is None:  # the fitted wave: its own model file, nothing to track against
        fitted = report_folder(study, w.id, reports) / MODEL_FILE
        if fitted.is_file():
            ctx.model_fitted = load_frozen(fitted, study)
        for name, func, _ in STEPS:
            if name in ("read", "quality", "behaviour"):
                func(ctx)
        return ctx
    for name, func, _ in STEPS:
        if name == "deck":
            break
        if name != "model":
            func(ctx)
    return ctx
