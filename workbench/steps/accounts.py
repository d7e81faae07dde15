"""Step ``accounts``: account classes (buying-centre types) when several people answer for
one customer (B2B): a multilevel latent class model on the segmentation basis, its
respondent classes matched to the chosen segments, the number of account classes chosen by
the account-level BIC (:mod:`workbench.segments._multilevel`); ``accounts.xlsx``.

Skipped, with the reason, when the study names no ``customer_id``, on a classified wave, and
when too few customers have several respondents (below
:data:`~workbench.segments._accounts.MIN_SEVERAL_SHARE` of the surveyed customers or fewer
than :data:`~workbench.segments._accounts.MIN_SEVERAL_N`): then the documented rule of one
respondent per customer (the most certain respondent's segment) is all there is.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..errors import AnalysisError
from ..outputs import write_workbook
from ..segments import Segmentation
from ..segments._accounts import MIN_SEVERAL_N, MIN_SEVERAL_SHARE, account_segments, several_respondents
from .context import Output, Skip, Step, WaveContext
from .model import one_per_customer, persona_names
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
    if ctx.loaded_model is not None:
        return "a classified wave: account classes are fitted on the wave the segments are fitted on"
    return too_few_several(*several_respondents(respondent_customers(ctx)))


def accounts(ctx: WaveContext) -> Output | Skip:
    """Fit account classes, or say why not (too few customers with several respondents)."""
    ids = respondent_customers(ctx)
    n_cust, n_several = several_respondents(ids)
    counts = {"customers_surveyed": n_cust, "customers_with_several_respondents": n_several}
    logger.info("accounts: %s", customers_line(ctx))
    why = too_few_several(n_cust, n_several)
    if why:
        return Skip(why, counts)
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

    def write(folder: Path) -> None:
        model = result.selection.model
        write_workbook(folder / "accounts.xlsx", {
            "Account classes": result.classes,
            "Fit by account classes": result.selection.fit_table,
            "Accounts": result.accounts.reset_index(),
            "Answer probabilities": model.response_probabilities(),
            "Starts": model.starts_,
        }, pii=study.pii, index=False, currency=study.currency, notes={
            "Account classes": "Buying-centre types: the mix of respondent segments within each account class "
                               "(mix_<segment>), its share of accounts and mean value per account.",
            "Fit by account classes": "Multilevel latent class models with 1-4 account classes; the lowest "
                                      "account-level BIC (bic_high) is chosen, as multilevLCA's second step.",
            "Accounts": "Account class per customer; segment_rule: the most certain respondent's segment "
                        "(the rule for customers with one respondent), for comparison.",
        })

    return Output({"accounts": result}, write, counts=counts)


STEP = Step("accounts", accounts, needs=("weighted", "chosen"), uses=("personas", "behaviour"), gives=("accounts",),
            applies=_applies, what="account classes: buying-centre types of customers with several respondents")
