"""B2B buying centres in the demo (issue 29): colleagues who answer for the same customer.

A share of each wave's interviewed customers (:data:`SEVERAL_SHARE`) get one to three more
respondents (:data:`COLLEAGUES`). Every such account is of one planted account class
(buying-centre type) with a mix of respondent segments (:data:`ACCOUNT_MIX`): given the first
respondent's segment ``s`` (the customer's own), the class is drawn with ``P(m | s) ∝ ω_m
π_{s|m}`` and each colleague's segment from ``π_{·|m}``, which is an exact draw of the multilevel
latent class model the accounts step fits. A colleague answers like any respondent of that
segment (:func:`workbench.demo.sample._survey_wave` on a copy of the customer with the colleague's
segment and own within-segment traits; speeders, straightliners and break-offs included, the
wave's duplicate submissions and out-of-range codes left to the customers' own respondents); the
colleague rows follow the
wave's other rows in the file, with respondent ids numbered on.

Drawn from a random stream of its own (``[seed, 29]``), so every other draw of the demo is
unchanged. The truth is ``truth/accounts_wave<w>.csv`` and the ``colleague`` column of
``truth/respondents_wave<w>.csv``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from .plan import _Definition, _Plan
from .sample import _Base, _survey_wave, _Wave

__all__ = [
    "ACCOUNT_MIX",
    "ACCOUNT_SHARES",
    "ACCOUNT_TYPES",
    "COLLEAGUES",
    "SEVERAL_SHARE",
    "account_targets",
    "add_colleagues",
]

#: Share of a wave's interviewed customers with more than one respondent.
SEVERAL_SHARE = 0.25
#: Colleagues per such customer (1 to 3: accounts of 1-4 respondents) and their probabilities.
COLLEAGUES = ((1, 2, 3), (0.6, 0.3, 0.1))
#: The planted buying-centre types, in the order of ACCOUNT_MIX's rows.
ACCOUNT_TYPES = (
    "split: price-driven buyer vs installer technician",
    "consensus: digital self-service",
    "mixed: reliability-critical and occasional",
)
#: π_{t|m}: the mix of the five segments (columns, SEGMENTS' order) within each account class.
ACCOUNT_MIX = np.array([
    [0.03, 0.45, 0.46, 0.03, 0.03],
    [0.88, 0.03, 0.03, 0.03, 0.03],
    [0.08, 0.08, 0.08, 0.42, 0.34],
])
#: ω: the account classes' shares before conditioning on the first respondent's segment.
ACCOUNT_SHARES = np.array([0.35, 0.35, 0.30])


def account_targets(d: _Definition) -> list[Path]:
    """The truth files this module writes (relative paths)."""
    return [Path(f"truth/accounts_wave{w['id']}.csv") for w in d.waves]


def add_colleagues(seed: int, d: _Definition, plan: _Plan, base: _Base, members: list[np.ndarray],
                   waves: list[_Wave]) -> tuple[list[_Wave], list[pd.DataFrame]]:
    """Each wave with its colleagues' rows appended, and per wave the planted accounts
    (customer_id, account_class, account_type, respondents) of the customers with colleagues."""
    rng = np.random.default_rng([int(seed), 29])
    out, truths = [], []
    for wave_no, (mem, wave) in enumerate(zip(members, waves), start=1):
        seg = (base.seg1 if wave_no == 1 else base.seg2)[mem]
        several = rng.random(len(mem)) < SEVERAL_SHARE
        cust, first = mem[several], seg[several]
        post = ACCOUNT_SHARES[None, :] * ACCOUNT_MIX[:, first - 1].T  # P(m | first respondent's segment)
        post /= post.sum(axis=1, keepdims=True)
        acc_class = np.array([rng.choice(len(ACCOUNT_SHARES), p=p) for p in post])
        n_col = rng.choice(COLLEAGUES[0], size=len(cust), p=COLLEAGUES[1])
        who = np.repeat(np.arange(len(cust)), n_col)
        col_seg = np.array([rng.choice(5, p=ACCOUNT_MIX[m]) + 1 for m in acc_class[who]], dtype=seg.dtype)
        copy = _colleague_base(rng, base, cust[who], col_seg)
        extra = _survey_wave(rng, d, plan, copy, np.arange(len(who)), wave_no, np.zeros(len(who), dtype=bool))
        merged = _appended(d, wave, extra, wave_no)
        out.append(merged)
        t = merged.truth
        kept = t.loc[(t["colleague"] == 1) & (t["submission"] == 1), d.customer_id].value_counts()
        acc = pd.DataFrame({"customer_id": base.ids[cust], "account_class": acc_class + 1,
                            "account_type": np.asarray(ACCOUNT_TYPES)[acc_class]})
        acc["respondents"] = 1 + kept.reindex(acc["customer_id"]).fillna(0).astype(int).to_numpy()
        truths.append(acc[acc["respondents"] > 1].reset_index(drop=True))
    return out, truths


def _colleague_base(rng: np.random.Generator, base: _Base, cust: np.ndarray, seg: np.ndarray) -> _Base:
    """One 'customer' row per colleague: the customer's firmographics and contacts (the second
    contact first), the colleague's segment and own within-segment traits."""
    n = len(base.ids)
    fields = {}
    for f in dataclasses.fields(base):
        v = getattr(base, f.name)
        if isinstance(v, np.ndarray) and len(v) == n:
            fields[f.name] = v[cust]
        elif isinstance(v, list) and len(v) == n:
            fields[f.name] = [v[i] for i in cust]
    fields["contacts"] = [[c[1], c[0]] for c in fields["contacts"]]
    fields["seg1"] = fields["seg2"] = seg
    fields["traits"] = rng.standard_normal(base.traits[cust].shape)
    return dataclasses.replace(base, **fields)


def _appended(d: _Definition, wave: _Wave, extra: _Wave, wave_no: int) -> _Wave:
    """The colleagues' rows after the wave's own, respondent ids numbered on."""
    rid = d.respondent_id
    # the wave's duplicate submissions and out-of-range codes stay the customers' own respondents' (as
    # planted and counted in truth.json); colleagues keep speeders, straightliners and break-offs
    keep = ((extra.truth["duplicate"] == 0) & (extra.truth["out_of_range"] == 0)).to_numpy()
    frame = extra.frame[keep].reset_index(drop=True)
    truth = extra.truth[keep].reset_index(drop=True)
    start = wave.n_respondents
    ids = {old: f"W{wave_no}-{start + i + 1:05d}" for i, old in enumerate(truth[rid])}
    frame[rid] = frame[rid].map(ids)
    truth[rid] = truth[rid].map(ids)
    truth["file_row"] = np.arange(len(truth)) + len(wave.frame) + 2
    truth["colleague"] = 1
    own = wave.truth.copy()
    own["colleague"] = 0
    return _Wave(frame=pd.concat([wave.frame, frame], ignore_index=True),
                 truth=pd.concat([own, truth], ignore_index=True), n_respondents=wave.n_respondents + len(truth))
