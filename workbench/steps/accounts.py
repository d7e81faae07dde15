"""Step ``accounts``: account classes (buying-centre types) when several people answer for
one customer (B2B): a multilevel latent class model on the segmentation basis, its
respondent classes matched to the chosen segments, the number of account classes chosen by
the account-level BIC (:mod:`workbench.segments._multilevel`); ``accounts.xlsx``.

The fitted account classes are frozen (:class:`~workbench.waves.accounts_model.AccountModel`,
model.json's ``accounts`` section, with a whole-base model of the account classes for customers
without survey answers). A classified wave places its accounts with the frozen classes from
their respondents' segments and compares the classes' sizes with the fitted wave's
(``accounts.xlsx``, :func:`~workbench.waves.accounts_model.track_accounts`).

Skipped, with the reason, when the study names no ``customer_id``, on a classified wave whose
model holds no account classes, and when too few customers have several respondents (below
:data:`~workbench.segments._accounts.MIN_SEVERAL_SHARE` of the surveyed customers or fewer
than :data:`~workbench.segments._accounts.MIN_SEVERAL_N`): then the documented rule of one
respondent per customer (the most certain respondent's segment) is all there is.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pandas as pd

from ..core.errors import AnalysisError
from ..files.outputs import write_workbook
from ..segments import Segmentation
from ..segments._accounts import MIN_SEVERAL_N, MIN_SEVERAL_SHARE, account_segments, several_respondents
from ..waves.accounts_model import ACCOUNTS_KEY, AccountModel, track_accounts
from ..waves.base import BaseModel, fit_base_model
from .context import Output, Skip, Step, WaveContext
from .model import _base_features, one_per_customer, persona_names
from .segments import segmentation_inputs

__all__ = ["accounts", "STEP", "respondent_customers", "customers_line", "too_few_several"]

logger = logging.getLogger(__name__)


def respondent_customers(ctx: WaveContext) -> pd.Series:
    """Customer id (text) per kept respondent, from the study's ``customer_id`` column."""
    col = ctx.study.spec.customer_id
    ids = ctx.weighted.data[col].dropna()
    return ids.astype(str).str.strip().replace("", pd.NA).dropna()


def customers_line(ctx: WaveContext) -> str | None:
    """'N customers surveyed, M (x %) with several respondents' for validate and run; None
    without a customer_id column."""
    if not ctx.study.spec.customer_id or ctx.weighted is None:
        return None
    n_cust, n_several = several_respondents(respondent_customers(ctx))
    share = n_several / n_cust if n_cust else 0.0
    return f"{n_cust:,} customers surveyed, {n_several:,} ({share:.0%}) with several respondents"


def too_few_several(n_cust: int, n_several: int) -> str | None:
    """Why account classes are not fitted for these counts, or None (the documented rule)."""
    share = n_several / n_cust if n_cust else 0.0
    if share < MIN_SEVERAL_SHARE or n_several < MIN_SEVERAL_N:
        return (f"{n_several} of {n_cust} customers ({share:.0%}) have several respondents; account classes "
                f"need at least {MIN_SEVERAL_SHARE:.0%} and {MIN_SEVERAL_N} such customers (each customer "
                "takes its most certain respondent's segment)")
    return None


def _applies(ctx: WaveContext) -> str | None:
    if not ctx.study.spec.customer_id:
        return "the study names no customer_id column: respondents cannot be grouped by customer"
    model = ctx.loaded_model
    if model is not None and ACCOUNTS_KEY not in model.attachments:
        return (f"the model of wave {model.wave} holds no account classes (its wave had too few customers with "
                "several respondents, or one account class): there are none to place this wave's accounts in")
    return too_few_several(*several_respondents(respondent_customers(ctx)))


def _account_base(ctx: WaveContext, placed: pd.DataFrame, types: dict) -> dict | None:
    """The whole-base model of the account classes (behaviour and firmographics of the surveyed
    accounts -> account class), as plain data; None without behaviour or when it cannot be fitted."""
    feats, numeric, categorical = _base_features(ctx)
    if feats is None or not (numeric or categorical) or placed["account_class"].nunique() < 2:
        return None
    X = feats.copy()
    X.index = X.index.astype(str)
    rows = placed.index[placed.index.isin(X.index)]
    try:
        base = fit_base_model(X.loc[rows], placed.loc[rows, "account_class"].astype(int), numeric=numeric,
                              categorical=categorical, random_state=ctx.study.seed, names=types,
                              provenance={"study": ctx.study.id, "wave": ctx.wave, "segmentation": "account classes"})
    except AnalysisError as exc:  # data-dependent (too few accounts with behaviour per class)
        logger.info("accounts: no whole-base model of the account classes: %s", exc)
        return None
    logger.info("accounts: whole-base model of the account classes, accuracy %.1f %% (largest class alone %.1f %%)%s",
                100 * base.accuracy, 100 * base.baseline_accuracy, f"; not used: its {base.refused}" if base.refused
                else "")
    return base.to_dict()


def _tracked(ctx: WaveContext, ids: pd.Series, counts: dict) -> Output | Skip:
    """A classified wave: accounts placed with the frozen account classes, sizes against the fitted wave."""
    frozen = AccountModel.from_dict(ctx.loaded_model.attachments[ACCOUNTS_KEY])
    labels = ctx.classification.labels.dropna().astype(int) if ctx.classification is not None else None
    if labels is None or labels.empty:
        return Skip("no respondent of this wave has a segment: there is no mix of segments to place accounts by", counts)
    tracking = track_accounts(frozen, ids, labels)
    counts = {**counts, "account_classes": frozen.n_classes}
    logger.info("accounts: %d accounts placed in the %d account classes of wave %s", len(tracking.accounts),
                frozen.n_classes, frozen.wave)
    study = ctx.study

    def write(folder: Path) -> None:
        write_workbook(folder / "accounts.xlsx", {
            "Account classes": tracking.sizes, "Accounts": tracking.accounts.reset_index(),
        }, pii=study.pii, index=False, notes={
            "Account classes": f"Accounts placed in the account classes of wave {frozen.wave} from their respondents' "
                               "segments; share_fitted: the same rule on the fitted wave; p: two-proportion z test of "
                               "the share against the fitted wave's, p_holm: Holm-corrected over the classes.",
            "Accounts": "Account class per customer, from the segments its respondents were classified into.",
        })

    return Output({"account_model": frozen, "account_tracking": tracking}, write, counts=counts)


def accounts(ctx: WaveContext) -> Output | Skip:
    """Fit account classes, or say why not (too few customers with several respondents)."""
    ids = respondent_customers(ctx)
    n_cust, n_several = several_respondents(ids)
    counts = {"customers_surveyed": n_cust, "customers_with_several_respondents": n_several}
    logger.info("accounts: %s", customers_line(ctx))
    why = too_few_several(n_cust, n_several)
    if why:
        return Skip(why, counts)
    if ctx.loaded_model is not None:
        return _tracked(ctx, ids, counts)
    chosen = ctx.chosen
    labels = pd.Series(chosen.labels).dropna().astype(int)
    if labels.nunique() < 2:
        return Skip("the chosen segmentation has one segment: there is no mix of segments to describe accounts by",
                    counts)
    data = segmentation_inputs(ctx)["data"]
    weights = ctx.weighted.weights
    certainty = None
    if isinstance(chosen, Segmentation) and chosen.posteriors is not None:
        post = chosen.posteriors
        certainty = pd.Series(post.to_numpy().max(axis=1), index=post.index)
    rule, _, _ = one_per_customer(ids, labels, certainty)
    value = None
    beh = ctx.behaviour
    if beh is not None and beh.customers is not None and "revenue" in beh.customers.columns:
        value = beh.customers["revenue"].copy()
        value.index = value.index.astype(str)
    measurement = getattr(getattr(chosen, "model", None), "measurement_", None) or "nominal"
    try:
        result = account_segments(data, ids, labels, names=persona_names(ctx), sample_weight=weights, value=value,
                                  rule=rule, random_state=ctx.study.seed, measurement=measurement)
    except AnalysisError as exc:  # data-dependent: too many parameters for the respondents
        return Skip(f"account classes cannot be fitted: {exc}", counts)
    logger.info("accounts: %d account class(es) chosen by the account-level BIC: %s", result.n_classes,
                "; ".join(result.classes["type"]))
    counts["account_classes"] = result.n_classes
    study = ctx.study
    frozen = None
    if result.n_classes >= 2:  # one account class: accounts do not differ, nothing to freeze
        frozen = AccountModel.from_accounts(result, wave=ctx.wave, labels=labels, customers=ids)
        types = dict(zip(range(1, frozen.n_classes + 1), frozen.types))
        frozen = dataclasses.replace(frozen, base_model=_account_base(ctx, result.accounts, types))
        logger.info("accounts: the account class from the respondents' segments agrees with the model's for %.0f %% "
                    "of the accounts", 100 * (frozen.agreement or 0))

    def write(folder: Path) -> None:
        model = result.selection.model
        write_workbook(folder / "accounts.xlsx", {
            "Account classes": result.classes,
            "Fit by account classes": result.selection.fit_table,
            "Accounts": result.accounts.reset_index(),
            "Answer probabilities": model.response_probabilities(),
            "Starts": model.starts_,
            **({"Rule from segments": _rule_table(frozen)} if frozen is not None else {}),
            **({"Whole-base account model": BaseModel.from_dict(frozen.base_model).summary()}
               if frozen is not None and frozen.base_model else {}),
        }, pii=study.pii, index=False, currency=study.currency, notes={
            "Account classes": "Buying-centre types: the mix of respondent segments within each account class "
                               "(mix_<segment>), its share of accounts and mean value per account.",
            "Fit by account classes": "Multilevel latent class models with 1-4 account classes; the lowest "
                                      "account-level BIC (bic_high) is chosen, as multilevLCA's second step.",
            "Accounts": "Account class per customer; segment_rule: the most certain respondent's segment "
                        "(the rule for customers with one respondent), for comparison.",
            "Rule from segments": "What later waves, the typing tool and export-sql use: an account's class from its "
                                  "respondents' segments, log share + the sum of log mix per respondent (model.json's "
                                  "accounts section); agreement: share of this wave's accounts it puts in the model's "
                                  "class.",
            "Whole-base account model": "Places customers without survey answers in an account class from behaviour "
                                        "and firmographics (customer_segments.csv, account_source = model) when its "
                                        "cross-validated accuracy beats always guessing the largest class.",
        })

    return Output({"accounts": result, "account_model": frozen}, write, counts=counts)


def _rule_table(frozen: AccountModel) -> pd.DataFrame:
    """The frozen account classes as one table: share, mix per segment, accounts by the rule."""
    rows = pd.DataFrame({"account_class": range(1, frozen.n_classes + 1), "type": list(frozen.types),
                         "share": frozen.shares, "accounts_by_rule": list(frozen.fitted_counts)})
    for j, seg in enumerate(frozen.segments):
        rows[f"mix_{seg}"] = frozen.mix[:, j]
    rows["agreement"] = frozen.agreement
    return rows


STEP = Step("accounts", accounts, needs=("weighted", "chosen"), uses=("personas", "behaviour", "classification"),
            gives=("accounts", "account_model", "account_tracking"), applies=_applies,
            what="account classes: buying-centre types of customers with several respondents")
