"""Step ``deck``: the persona deck (``personas.pptx``) and its inputs as plain data
(``deck_data.json``), rendered in memory so that a failure stops the run before any report
is written."""

from __future__ import annotations

import dataclasses
import json

import logging
from pathlib import Path

import pandas as pd

from ..deck import render_deck
from ..deck.data import frame_to_json
from ..core.measures import measure_label
from ..files.outputs import in_words
from ..segments._accounts import TYPE_RULE, type_data
from ..waves.base import BaseModel
from ..waves.golden import TypingTool
from .context import Output, Skip, Step, WaveContext
from .deck_data import deck_data

__all__ = ["deck", "recognise_summary", "STEP"]

logger = logging.getLogger(__name__)


def skipped_label(key: str) -> str:
    """A skipped step or measure group as the method slide names it: 'measures cost_to_serve,
    orders_share_*' → 'measures Cost to serve, Share of orders via each channel' (labels
    without units: these were not computed)."""
    if not key.startswith("measures "):
        return key
    names = [measure_label(n) for n in key[len("measures "):].split(", ")]
    return "measures " + ", ".join(names)


def deck(ctx: WaveContext) -> Output | Skip:
    """Render the persona deck (``personas.pptx``) and save its inputs (``deck_data.json``).

    Builds nothing without personas (no candidate segmentations); the deck is built here,
    in memory, so that a failure stops the run before any report is written.
    ``deck_data.json`` holds what the slides show as plain data, so that ``workbench deck``
    (:func:`workbench.pipeline.rerender_deck`) can re-render after a consultant edits
    personas.yaml.
    """
    model_note = ctx.model_note
    if model_note is None and ctx.scorecard is None and ctx.manifest.model:
        m = ctx.manifest.model
        model_note = (f"Respondents were classified with the segmentation model of wave {m.get('wave', '?')}"
                      f"{' (' + str(m['name']) + ')' if m.get('name') else ''}; no candidates were compared.")
    data = deck_data(ctx.study, ctx.scorecard, ctx.profiles, ctx.opportunities, wave=ctx.wave, quality=ctx.quality,
                     factors=ctx.factors if isinstance(ctx.factors, dict) else None, segments=ctx.candidates,
                     behaviour=ctx.behaviour, model_note=model_note, recognise=recognise_summary(ctx),
                     weights=ctx.clean.weights if ctx.study.spec.weight else None)
    tl, cur = ctx.study.text_labels(), ctx.study.currency
    data = dataclasses.replace(data, skipped={skipped_label(k): in_words(v, tl, cur)
                                              for k, v in ctx.manifest.skipped.items()},
                               accounts=accounts_summary(ctx))
    segs = data.segments
    if len(segs) and "suppressed" in segs.columns and bool(segs["suppressed"].astype(bool).all()):
        # issue 24: a deck whose every segment is suppressed would show nothing (and no summary can be drawn)
        return Skip(f"every segment is below min_segment_n = {ctx.study.spec.min_segment_n} respondents (the "
                    f"largest has {int(segs['n'].max())}): the deck would show none; lower min_segment_n in study.yaml "
                    "or field more interviews")
    if ctx.forward_relevance is not None and ctx.chosen is not None:  # "Do the segments predict next year?"
        data = dataclasses.replace(data, forward=ctx.forward_relevance.for_deck(str(ctx.chosen.name)))
    prs = render_deck(data, ctx.personas, trends=ctx.trends, study=ctx.study)
    personas = ctx.personas

    def write(folder: Path) -> None:
        prs.save(str(folder / "personas.pptx"))
        data.save(folder / "deck_data.json", personas)

    return Output({"slides": len(prs.slides)}, write, counts={"deck_slides": len(prs.slides)})


def accounts_summary(ctx: WaveContext) -> dict | None:
    """The account-level slide's plain data (step ``accounts``), or None without account classes
    or when the account-level BIC chose one (accounts do not differ)."""
    if ctx.account_tracking is not None:
        return _tracked_accounts_summary(ctx)
    acc = ctx.accounts
    if acc is None or acc.n_classes < 2:
        return None
    classes = acc.classes.drop(columns=["respondents"], errors="ignore")
    segments = [int(s) for s in acc.segment_names]
    return json.loads(json.dumps({
        "n_customers": acc.n_customers, "n_several": acc.n_several,
        "segments": [[int(s), str(n)] for s, n in acc.segment_names.items()],
        "value_label": "Revenue" if "value" in classes.columns else "",
        "classes": frame_to_json(classes), **_types(classes, segments)}, default=float))


def _types(classes: pd.DataFrame, segments: list) -> dict:
    """The account classes' buying-centre types as plain data (kind and segments, in the classes'
    order; the accounts room's rule) and the rule's thresholds: the deck words them, never decides."""
    return {"types": type_data(classes[[f"mix_{s}" for s in segments]].to_numpy(), segments),
            "rule": dict(TYPE_RULE)}


def _tracked_accounts_summary(ctx: WaveContext) -> dict:
    """A classified wave's account slide: its accounts in the fitted wave's buying-centre types,
    the share then and now, the types' mix of segments and this wave's revenue per account."""
    tr = ctx.account_tracking
    model = tr.model
    classes = tr.sizes[["account_class", "type", "accounts", "share", "share_fitted"]].copy()
    for j, seg in enumerate(model.segments):
        classes[f"mix_{seg}"] = model.mix[:, j]
    beh = ctx.behaviour
    if beh is not None and beh.customers is not None and "revenue" in beh.customers.columns:
        rev = pd.to_numeric(beh.customers["revenue"], errors="coerce")
        rev.index = rev.index.astype(str)
        by = tr.accounts["account_class"]
        classes["value"] = [float(rev.reindex(by.index[by == m]).mean()) for m in classes["account_class"]]
    names = {**model.segment_names, **{int(p.segment): p.name for p in ctx.personas or () if str(p.segment).isdigit()}}
    return json.loads(json.dumps({
        "n_customers": tr.n_customers, "n_several": tr.n_several, "fitted_wave": model.wave,
        "segments": [[int(s), str(names.get(s, f"Segment {s}"))] for s in model.segments],
        "value_label": "Revenue" if "value" in classes.columns else "",
        "classes": frame_to_json(classes), **_types(classes, [int(s) for s in model.segments])}, default=float))


def recognise_summary(ctx: WaveContext) -> dict | None:
    """Numbers for the deck's "how to recognise the segments" slide, or None without a model:
    the golden questions and the typing tool's accuracy, and how this wave's whole customer
    base got its segments (survey or model) with the whole-base model's accuracy."""
    model = ctx.model
    if model is None or "typing_tool" not in model.attachments:
        return None
    tt = TypingTool.from_dict(model.attachments["typing_tool"])
    out = {"questions": [str(tt.question_labels.get(q, q)) for q in tt.questions], "accuracy": float(tt.accuracy),
           "baseline": float(tt.baseline_accuracy), "fitted_wave": str(model.wave), "typing_refused": tt.refused}
    cust = ctx.customer_segments
    if cust is not None and "base_model" in model.attachments:
        base = BaseModel.from_dict(model.attachments["base_model"])
        by_model = cust["source"].eq("model")
        out.update({"customers": int(len(cust)), "from_survey": int(cust["source"].eq("survey").sum()),
                    "from_model": int(by_model.sum()),
                    "confident": int(cust.loc[by_model, "confident"].astype(bool).sum()) if "confident" in cust else 0,
                    "base_accuracy": float(base.accuracy), "base_baseline": float(base.baseline_accuracy),
                    "base_refused": base.refused})
    return out


STEP = Step("deck", deck, needs=("personas", "profiles"),
            uses=("scorecard", "opportunities", "quality", "factors", "candidates", "behaviour", "model_note",
                  "frozen", "fitted_model", "customer_segments", "trends", "accounts", "forward_relevance", "chosen",
                  "account_tracking"),
            gives=("slides",), what="writing the persona deck")
