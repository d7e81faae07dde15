"""Step ``model``: fit waves freeze the recommended segmentation as ``model.json`` (the
segment parameters, the factor solution it used, the typing tool and the whole-base model)
and write ``typing_tool.xlsx`` and ``model.xlsx``; every wave writes
``respondent_segments.csv`` and ``customer_segments.csv`` (a segment for every customer of
the base, for the client's CRM), a classified wave with its frozen model."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pandas as pd

from ..core.errors import AnalysisError
from ..core.measures import NOT_FEATURES, is_key
from ..files.outputs import check_no_pii, write_csv, write_workbook
from ..segments import Segmentation
from ..study import Study
from ..describe.suppression import suppress_customers, suppress_names, suppressed_segments
from ..waves import SegmentModel, codebook
from ..waves.accounts_excel import add_account_sheet
from ..waves.accounts_model import ACCOUNTS_KEY, account_columns
from ..waves.base import BaseModel, fit_base_model, segment_customer_base
from ..waves.flow import MODEL_FILE, SEGMENTS_FILE, respondent_segments
from ..waves.golden import TYPING_TOLERANCE, TypingTool, select_golden_questions
from .context import Output, Skip, Step, WaveContext
from .segments import segmentation_inputs

__all__ = ["model", "persona_names", "one_per_customer", "STEP"]

logger = logging.getLogger(__name__)


def persona_names(ctx: WaveContext) -> dict[int, str]:
    out = {}
    for p in ctx.personas or ():
        try:
            out[int(p.segment)] = p.name
        except (TypeError, ValueError):
            continue
    return out


def _base_features(ctx: WaveContext) -> tuple[pd.DataFrame | None, list[str], list[str]]:
    """Per-customer behaviour and firmographics for the whole-base model: the table and its
    numeric and categorical feature columns (bookkeeping, dates, ids and PII left out)."""
    beh = ctx.behaviour
    if beh is None or beh.customers is None:
        return None, [], []
    cust = beh.customers
    pii = {c.lower() for c in ctx.study.pii}
    skip = set(NOT_FEATURES) | {beh.key}
    keys = (*ctx.study.key_columns, beh.key)
    numeric, categorical = [], []
    for c in cust.columns:
        if c in skip or str(c).lower() in pii or is_key(c, cust[c], keys=keys):
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


def _respondent_customers(ctx: WaveContext) -> pd.Series:
    """Customer id per clean respondent, as the behaviour join read it (text, leading zeros
    kept; respondents without a customer id left out).

    The join names the column ``customer_id`` whatever the survey calls it
    (:func:`workbench.behaviour.match_respondents`); never the respondent ids.
    """
    resp = ctx.behaviour.respondents
    if "customer_id" not in resp.columns:
        raise AnalysisError("the behaviour join gave no customer id per respondent; the whole-base model cannot "
                            "tell which customer a respondent is")
    ids = resp["customer_id"].reindex(ctx.weighted.data.index).dropna()
    return ids.astype(str)


def one_per_customer(customers: pd.Series, labels: pd.Series, certainty: pd.Series | None = None
                     ) -> tuple[pd.Series, pd.Index, int]:
    """One segment per customer when several respondents answered for one customer (B2B).

    The rule: each customer takes the segment of its respondent with the highest certainty
    (the segment model's probability of the respondent's segment); ties and missing
    certainty go to the respondent listed first.

    Parameters
    ----------
    customers : Series
        Customer id per respondent.
    labels : Series
        Segment per respondent (respondents without one are left out).
    certainty : Series, optional
        Probability of the respondent's segment, per respondent.

    Returns
    -------
    by_customer : Series
        Segment per customer id.
    chosen : Index
        The respondent chosen for each customer (in ``by_customer``'s order).
    disagreements : int
        Customers whose respondents are not all in one segment.
    """
    lab = labels.dropna()
    lab = lab[lab.index.isin(customers.index)]
    frame = pd.DataFrame({"customer": customers.reindex(lab.index).to_numpy(), "segment": lab.to_numpy(),
                          "certainty": (certainty.reindex(lab.index).fillna(-1.0).to_numpy(dtype=float)
                                        if certainty is not None else 0.0),
                          "order": range(len(lab))}, index=lab.index)
    disagreements = int((frame.groupby("customer", sort=False)["segment"].nunique() > 1).sum())
    best = frame.sort_values(["certainty", "order"], ascending=[False, True], kind="stable")
    best = best[~best["customer"].duplicated(keep="first")].sort_values("order")
    return pd.Series(best["segment"].to_numpy(), index=pd.Index(best["customer"].to_numpy())), best.index, disagreements


def _customer_table(ctx: WaveContext, base_model: BaseModel, labels: pd.Series,
                    certainty: pd.Series | None = None, *, counts: dict) -> pd.DataFrame | None:
    """customer_segments.csv: the survey's segment for respondents' customers (one per
    customer: :func:`one_per_customer`) and, when the whole-base model beats guessing
    (:attr:`BaseModel.refused` is None), the model's for every other customer; ``counts``
    gains the customers whose respondents disagree (for the manifest)."""
    feats, _, _ = _base_features(ctx)
    if feats is None or base_model is None:
        return None
    feats = feats.copy()
    feats.index = feats.index.astype(str)
    by_customer, _, disagree = one_per_customer(_respondent_customers(ctx), labels, certainty)
    if disagree:
        logger.info("model: %d customer(s) have respondents in different segments; each takes the segment of its "
                    "most certain respondent", disagree)
    counts["customers_with_disagreeing_respondents"] = disagree
    if base_model.refused:
        logger.warning("model: customers without survey answers are not placed: the whole-base model's %s",
                       base_model.refused)
        feats = feats[feats.index.isin(by_customer.index)]
    table = segment_customer_base(feats[list(base_model.features)], by_customer, base_model, names=persona_names(ctx) or None,
                                  pii=ctx.study.pii)
    table.index.name = ctx.behaviour.key
    table = _with_accounts(ctx, table, feats)
    check_no_pii(table, ctx.study.pii, "customer_segments.csv")
    return suppress_customers(table, _suppressed(ctx, labels))  # below min_segment_n: not assigned


def _with_accounts(ctx: WaveContext, table: pd.DataFrame, feats: pd.DataFrame) -> pd.DataFrame:
    """customer_segments.csv's account columns (step accounts, issue 29): the surveyed accounts'
    class (fit wave: the multilevel model's; classified wave: the frozen classes from the
    respondents' segments) and, by the whole-base account model, every other customer's."""
    surveyed = None
    if ctx.account_tracking is not None:
        surveyed = ctx.account_tracking.accounts
    elif ctx.accounts is not None:
        surveyed = ctx.accounts.accounts
    if surveyed is None:
        return table
    if ctx.account_model is None:  # one account class: the type, no base model
        return table.join(surveyed[["account_class", "account_type", "account_probability"]])
    cols = account_columns(ctx.account_model, surveyed, feats)
    return table.join(cols)


def _suppressed(ctx: WaveContext, labels: pd.Series) -> set[int]:
    """Segments too small to report to the client in this wave (issue 14: suppression everywhere)."""
    return suppressed_segments(ctx.profiles, labels, ctx.study.spec.min_segment_n)


def model(ctx: WaveContext) -> Output | Skip:
    """Freeze the recommended segmentation as ``model.json`` with its typing tool and
    whole-base model; write ``typing_tool.xlsx``, ``customer_segments.csv`` and
    ``respondent_segments.csv``. A classified wave writes the last two with the frozen model."""
    if ctx.frozen is not None:
        return _classified_outputs(ctx)
    chosen = ctx.chosen
    if chosen is None or ctx.scorecard is None:
        logger.info("model: no recommended segmentation; model file skipped")
        return Skip("no recommended segmentation to freeze")
    study, clean = ctx.study, ctx.weighted
    plan = study.spec.segmentation
    names = persona_names(ctx)
    labels = pd.Series(chosen.labels).dropna().astype(int)
    posteriors = chosen.posteriors
    table = respondent_segments(labels.reindex(clean.data.index), posteriors, names=names, weights=clean.weights,
                                uncertain_below=plan.uncertain_below, index_name=study.respondent_id)
    if not isinstance(chosen, Segmentation):
        logger.info("model: the recommended candidate %s is not a fitted model; model file skipped", chosen.name)
        return _output(ctx, table=table)
    basis = list(segmentation_inputs(ctx)["data"].columns)
    model = SegmentModel.from_segmentation(
        chosen, basis_items=basis, factors=ctx.factors or None, codebook=codebook(study, basis), study_id=study.id,
        study_hash=study.hash, wave=ctx.wave, names=names, uncertain_below=plan.uncertain_below,
        data=clean.data, sample_weight=clean.weights,
    )
    attachments = {}
    provenance = {"study": study.id, "wave": ctx.wave, "segmentation": str(chosen.name)}
    tool = _typing_tool(ctx, chosen, basis, labels, names, provenance)
    codes = {c: _codes(study, c) for c in tool.questions}
    attachments["typing_tool"] = tool.to_dict()
    logger.info("model: typing tool with %d question(s), cross-validated accuracy %.1f %% (largest segment alone "
                "%.1f %%)", len(tool.questions), 100 * tool.accuracy, 100 * tool.baseline_accuracy)
    # the whole-base model on behaviour and firmographics
    base, parts = None, {}
    feats, numeric, categorical = _base_features(ctx)
    if feats is not None and (numeric or categorical):
        # one row per customer: several respondents of one account count once (their most certain one)
        by_customer, chosen_resp, _ = one_per_customer(_respondent_customers(ctx), labels, table["probability"])
        X = feats.copy()
        X.index = X.index.astype(str)
        Xr = X.reindex(by_customer.index)
        Xr.index = chosen_resp
        try:
            base = fit_base_model(Xr, pd.Series(by_customer.to_numpy(), index=chosen_resp).astype(int),
                                  numeric=numeric, categorical=categorical, random_state=study.seed, names=names,
                                  provenance=provenance)
        except AnalysisError as exc:  # data-dependent (too few respondents with behaviour per segment)
            logger.warning("model: no whole-base model: %s; customer_segments.csv is not written", exc)
            parts["whole-base model"] = str(exc)
    if base is not None:
        attachments["base_model"] = base.to_dict()
        logger.info("model: whole-base model, accuracy on respondents %.1f %% (largest segment alone %.1f %%)",
                    100 * base.accuracy, 100 * base.baseline_accuracy)
    # the study's declared personal-data columns travel with the model, so that `workbench classify`
    # refuses one as the id of its output even without --study (issue 24)
    if ctx.account_model is not None:  # the account classes, plain JSON (waves/accounts_model.py)
        attachments[ACCOUNTS_KEY] = ctx.account_model.to_dict()
    model = dataclasses.replace(model, attachments=attachments,
                                settings={**model.settings, "pii": sorted(str(c) for c in study.pii)})
    if tool.refused:
        logger.warning("model: the typing tool is not recommended: its %s", tool.refused)
    counts = {}
    customers = _customer_table(ctx, base, labels, table["probability"], counts=counts) if base is not None else None
    title = f"{_study_title(study)} — typing tool (segments of wave {ctx.wave})"
    counts["golden_questions"] = len(tool.questions)
    pii = study.pii

    sheets, notes = _model_sheets(model, tool, base)
    tool_names = suppress_names(names, tool.segments, _suppressed(ctx, labels))  # the client's tool hides them
    account_model = ctx.account_model

    def extra(folder: Path) -> None:
        model.save(folder / MODEL_FILE)
        tool.to_excel(folder / "typing_tool.xlsx", title=title, names=tool_names, codes=codes, pii=pii)
        if account_model is not None:  # the account's type from its respondents' typed segments (issue 29)
            add_account_sheet(folder / "typing_tool.xlsx", account_model, names=tool_names)
        write_workbook(folder / "model.xlsx", sheets, pii=pii, notes=notes, labels=ctx.study.column_labels(), currency=ctx.study.currency)

    return _output(ctx, table=table, customers=customers, extra=extra, fitted=model, counts=counts, skipped=parts)


def _typing_tool(ctx: WaveContext, chosen, basis: list, labels: pd.Series, names: dict,
                 provenance: dict) -> TypingTool:
    """The typing tool the scorecard judged for the chosen candidate (one tool: the accuracy the
    scorecard and the deck quote is the workbook's), with the study's labels, names and codes.
    Built here with the scorecard's settings only when the scorecard has none for it."""
    study, clean = ctx.study, ctx.weighted
    try:
        tool = ctx.scorecard[str(chosen.name)].typing
    except KeyError:
        tool = None
    if tool is None:
        spec = study.spec.criteria
        tool = select_golden_questions(
            clean.data[basis].loc[labels.index], labels, cv=spec.typing_cv_folds,
            max_questions=min(spec.typing_max_questions, study.spec.segmentation.golden_questions),
            sample_weight=None if clean.weights is None else clean.weights.reindex(labels.index),
            random_state=study.seed, tolerance=TYPING_TOLERANCE)
    qs = tool.questions
    return tool.relabelled(labels={c: study.columns[c].label for c in qs if c in study.columns}, names=names,
                           codes={c: _codes(study, c) for c in qs if c in study.columns}, provenance=provenance)


def _model_sheets(model: SegmentModel, tool: TypingTool, base: BaseModel | None) -> tuple[dict, dict]:
    """``model.xlsx``: what model.json holds and how well its scorers do, for the consultant."""
    sheets = {"Model": model.summary(), "Typing tool": tool.summary(), "Golden questions path": tool.path,
              "Typing tool confusion": tool.confusion, "Typing tool by segment": tool.agreement_by_segment}
    notes = {
        "Model": "The segmentation frozen in model.json: later waves are classified with it.",
        "Typing tool": "The golden questions and the typing tool's cross-validated accuracy."
                       + (f" Not recommended: its {tool.refused}." if tool.refused else ""),
        "Golden questions path": "Forward selection: cross-validated accuracy as each question is added; 'chosen' "
                                 "marks the set used (adding more gained less than the tolerance).",
        "Typing tool confusion": "Cross-validated: rows = segment from the full model, columns = typing tool.",
        "Typing tool by segment": "Share of each segment's members the typing tool puts in their own segment.",
    }
    if base is not None:
        sheets.update({"Whole-base model": base.summary(), "Whole-base confusion": base.confusion,
                       "Whole-base by segment": base.agreement_by_segment, "Whole-base coefficients": base.coefficients})
        notes.update({
            "Whole-base model": ("Does NOT place customers without survey answers: its " + base.refused
                                 + "; customer_segments.csv holds the respondents' customers only.") if base.refused
            else ("Places customers without survey answers from behaviour and firmographics; accuracy "
                  "cross-validated on respondents, against always guessing the largest segment."),
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


def _output(ctx: WaveContext, *, table: pd.DataFrame, customers: pd.DataFrame | None = None, extra=None,
            fitted: SegmentModel | None = None, counts: dict | None = None, skipped: dict | None = None) -> Output:
    check_no_pii(table, ctx.study.pii, SEGMENTS_FILE)

    def write(folder: Path) -> None:
        write_csv(table, folder / SEGMENTS_FILE)  # text cells neutralised against formula injection
        if customers is not None:
            write_csv(customers, folder / "customer_segments.csv")
        if extra is not None:
            extra(folder)

    return Output({"fitted_model": fitted, "respondent_segments": table, "customer_segments": customers}, write,
                  counts=counts or {}, skipped=skipped or {})


def _classified_outputs(ctx: WaveContext) -> Output:
    model, study = ctx.frozen, ctx.study
    tab = ctx.classification.table.copy()
    names = persona_names(ctx) or dict(model.names)
    tab["name"] = [names.get(int(s), "") if pd.notna(s) else "" for s in tab["segment"]]
    if ctx.weighted.weights is not None:
        tab["weight"] = ctx.weighted.weights.reindex(tab.index).to_numpy()
    tab.index.name = study.respondent_id
    customers, counts = None, {}
    if "base_model" in model.attachments and ctx.behaviour is not None:
        base = BaseModel.from_dict(model.attachments["base_model"])
        customers = _customer_table(ctx, base, tab["segment"].dropna().astype(int),
                                    tab["probability"] if "probability" in tab else None, counts=counts)
    return _output(ctx, table=tab, customers=customers, counts=counts)


STEP = Step("model", model, needs=("weighted",),
            uses=("scorecard", "chosen", "personas", "profiles", "factors", "behaviour", "frozen", "classification",
                  "accounts", "account_model", "account_tracking"),
            gives=("fitted_model", "respondent_segments", "customer_segments"),
            what="freezing the model: model file, typing tool, segments for the whole customer base")
