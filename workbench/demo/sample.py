"""The demo's customer base, the two waves' samples and their survey answers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .constants import (
    ACCOUNT_MANAGER_RATE, CHANNEL_MIX, COUNTRY_MIX, DIMENSIONS, DURATION_MEDIAN_SEC, INDUSTRY_MIX,
    ITEM_BLANK_SHARE, ITEM_BLANK_SKEW, ITEM_NOISE_SD, MATURITY_BY_CHANNEL, MATURITY_SEGMENT_SHIFT,
    MIGRATION, OUTCOME_IMPORTANCE, OUTCOME_NOT_APPLICABLE, OUTCOME_SATISFACTION, REINTERVIEW_SHARE,
    ROLE_MIX, SEGMENTS, SEGMENT_MEANS, SHARES_WAVE1, SIZE_MIX, SPEEDER_SHARE, STATUS_MIX,
    STRAIGHTLINER_SHARE, TRAIT_STABILITY, VERBATIM_BLANK_SHARE, VERBATIM_PII_SHARE, WITHIN_SD, _LAPSED,
    _NEW, _ONE_TIME, _REGION_WEIGHTS,
)
from .plan import (
    _COMPANY_FORMS, _COMPANY_STEMS, _COMPANY_TRADES, _Definition, _FIRST_NAMES, _LAST_NAMES,
    _PUBLIC_BUYERS, _Plan, _TLD, _VERBATIM_JUNK, _VERBATIM_PII, _ascii, _draw, _largest_remainder,
    _phone, _verbatim, _weekday,
)


@dataclass(frozen=True)
class _Base:
    """The hidden customer base (arrays indexed by customer)."""

    ids: np.ndarray
    seg1: np.ndarray  # segment at wave 1 (1..5)
    seg2: np.ndarray  # segment at wave 2
    migration_day: np.ndarray  # day offset in the transaction window; -1 when not migrating
    country: np.ndarray  # 0-based index into plan.countries
    size: np.ndarray  # 0-based index into the size_band codes
    industry: np.ndarray  # 0-based
    region: np.ndarray  # 0-based index into the country's regions
    channel1: np.ndarray  # usual channel at wave 1, 0-based
    channel2: np.ndarray  # usual channel at wave 2
    maturity_noise: np.ndarray
    account_manager: np.ndarray
    status: np.ndarray
    first_order: np.ndarray  # datetime64[D]
    lapse_day: np.ndarray  # last possible order day (offset), for lapsed customers
    activity: np.ndarray  # order-rate multiplier
    traits: np.ndarray  # (n, len(DIMENSIONS)) stable within-segment position
    names: list[str]
    contacts: list[list[tuple[str, str, str]]]  # two contacts per customer: (name, email, phone)


def _customer_base(rng: np.random.Generator, plan: _Plan, n: int) -> _Base:
    counts = _largest_remainder(SHARES_WAVE1, n)
    seg1 = rng.permutation(np.repeat(np.arange(1, 6), counts))
    # migration between the waves: exact numbers from each source segment
    seg2 = seg1.copy()
    moved = np.zeros(n, dtype=bool)
    for (src, dst), share in MIGRATION.items():
        k = int(round(share * n))
        pool = np.flatnonzero((seg1 == src) & ~moved)
        pick = rng.choice(pool, size=min(k, len(pool)), replace=False)
        seg2[pick] = dst
        moved[pick] = True
    first, last = plan.window
    n_days = int((last - first).astype(int)) + 1
    w1_ref = plan.wave_dates[0]["reference"]
    w2_start = plan.wave_dates[-1]["start"]
    lo = int((w1_ref - first).astype(int)) + 1
    hi = int((w2_start - first).astype(int)) - 7
    migration_day = np.where(moved, rng.integers(lo, hi, size=n), -1)

    s1 = seg1 - 1
    country = _draw(rng, COUNTRY_MIX, s1)
    size = _draw(rng, SIZE_MIX, s1)
    industry = _draw(rng, INDUSTRY_MIX, s1)
    public = industry == len(_COMPANY_TRADES["DK"])  # the last industry code: public sector
    size[public] = np.maximum(size[public], 2)  # a municipality is not a one-man firm
    region = rng.choice(len(_REGION_WEIGHTS), size=n, p=_REGION_WEIGHTS)
    channel1 = _draw(rng, CHANNEL_MIX, s1)
    redraw = _draw(rng, CHANNEL_MIX, seg2 - 1)
    channel2 = np.where(moved, redraw, channel1)
    maturity_noise = rng.normal(0, 0.6, size=n)
    am_p = np.clip(ACCOUNT_MANAGER_RATE[s1] + 0.08 * (size - 1), 0, 0.95)
    account_manager = (rng.random(n) < am_p).astype(int)
    status = _draw(rng, STATUS_MIX, s1)

    # first order date: long-standing customers before the window, new ones inside it
    old_lo = np.datetime64("2004-01-05")
    old_span = int((first - old_lo).astype(int)) - 30
    old = old_lo + rng.integers(0, old_span, size=n)
    new_day = _weekday(rng, rng.integers(0, n_days - 60, size=n), first, n_days - 1)
    inside = (status == _NEW) | (status == _ONE_TIME)
    first_order = np.where(inside, first + new_day, old).astype("datetime64[D]")
    lapse_day = np.where(status == _LAPSED, rng.integers(45, n_days - 91, size=n), n_days - 1)
    activity = rng.gamma(2.0, 0.5, size=n)
    traits = rng.standard_normal((n, len(DIMENSIONS)))

    ids = np.array([f"C{100001 + i}" for i in range(n)])
    names, contacts = [], []
    stem_i = rng.integers(0, 1 << 30, size=(n, 4))
    for i in range(n):
        iso = plan.countries[country[i]][2]
        a, b, c, e = stem_i[i]
        if industry[i] < len(_COMPANY_TRADES[iso]):
            stems, forms = _COMPANY_STEMS[iso], _COMPANY_FORMS[iso]
            trades = _COMPANY_TRADES[iso][industry[i]]
            stem = stems[a % len(stems)]
            if e % 5 == 0:
                stem = f"{stem} & {stems[(a // 7 + 1 + e // 5) % len(stems)]}"
            trade = trades[b % len(trades)]
            name = f"{stem} {trade} {forms[c % len(forms)]}"
            domain = f"{_ascii(stem)}-{_ascii(trade)}.{_TLD[iso]}"
        else:
            buyers, departments = _PUBLIC_BUYERS[iso]
            buyer, region[i] = buyers[a % len(buyers)]
            name = f"{buyer}, {departments[b % len(departments)]}"
            domain = f"{_ascii(buyer)}.{_TLD[iso]}"
        names.append(name)
        people = []
        for _ in range(2):
            fn = _FIRST_NAMES[iso][rng.integers(len(_FIRST_NAMES[iso]))]
            ln = _LAST_NAMES[iso][rng.integers(len(_LAST_NAMES[iso]))]
            local = f"{_ascii(fn)}.{_ascii(ln)}" if rng.random() < 0.7 else f"{_ascii(fn)[0]}{_ascii(ln)}"
            people.append((f"{fn} {ln}", f"{local}@{domain}", _phone(rng, iso)))
        contacts.append(people)
    return _Base(
        ids=ids, seg1=seg1, seg2=seg2, migration_day=migration_day, country=country, size=size,
        industry=industry, region=region, channel1=channel1, channel2=channel2,
        maturity_noise=maturity_noise, account_manager=account_manager, status=status,
        first_order=first_order, lapse_day=lapse_day, activity=activity, traits=traits,
        names=names, contacts=contacts,
    )


def _customers_frame(base: _Base, plan: _Plan, d: _Definition) -> pd.DataFrame:
    firmo = {c["id"]: c["scale"]["codes"] for c in d.of_kind("firmographics")}
    size_codes = plan.codes[plan.firmographics["size"]]
    ind_codes = plan.codes[plan.firmographics["industry"]]
    size_labels = np.array([firmo[plan.firmographics["size"]][c] for c in size_codes])
    ind_labels = np.array([firmo[plan.firmographics["industry"]][c] for c in ind_codes])
    iso = np.array([c[2] for c in plan.countries])
    regions = [c[4] for c in plan.countries]
    return pd.DataFrame(
        {
            "customer_id": base.ids,
            "customer_name": base.names,
            "country": iso[base.country],
            "size_band": size_labels[base.size],
            "industry": ind_labels[base.industry],
            "region": [regions[c][r] for c, r in zip(base.country, base.region)],
            "first_order_date": np.datetime_as_string(base.first_order, unit="D"),
            "account_manager": base.account_manager,
        }
    )


# --------------------------------------------------------------------------- survey waves


def _sample_wave1(rng, base: _Base, plan: _Plan, n: int) -> np.ndarray:
    frame = base.first_order <= plan.wave_dates[0]["start"]
    return _stratified(rng, base.seg1, frame, _largest_remainder(SHARES_WAVE1, n))


def _stratified(rng, seg: np.ndarray, frame: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Customers drawn per segment to hit ``targets``; shortfalls filled at random."""
    picked = []
    for k, t in enumerate(targets, start=1):
        pool = np.flatnonzero(frame & (seg == k))
        picked.append(rng.choice(pool, size=min(int(t), len(pool)), replace=False))
    chosen = np.concatenate(picked)
    short = int(targets.sum()) - len(chosen)
    if short > 0:
        rest = np.setdiff1d(np.flatnonzero(frame), chosen)
        chosen = np.concatenate([chosen, rng.choice(rest, size=min(short, len(rest)), replace=False)])
    return rng.permutation(chosen)


def _sample_wave2(rng, base: _Base, plan: _Plan, n: int, wave1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    frame = base.first_order <= plan.wave_dates[-1]["start"]
    frame[wave1] = False
    n_re = int(round(REINTERVIEW_SHARE * len(wave1)))
    n_re = max(n_re, n - int(frame.sum()))  # small bases: re-interview more
    n_re = min(n_re, len(wave1), n)
    again = rng.choice(wave1, size=n_re, replace=False)
    shares2 = np.bincount(base.seg2, minlength=6)[1:] / len(base.seg2)
    targets = _largest_remainder(shares2, n) - np.bincount(base.seg2[again], minlength=6)[1:]
    targets = np.maximum(targets, 0)
    # scale the new interviews to n - n_re while keeping the segment targets' proportions
    targets = _largest_remainder(targets / max(targets.sum(), 1), n - n_re)
    new = _stratified(rng, base.seg2, frame, targets)
    members = rng.permutation(np.concatenate([again, new]))
    return members, np.isin(members, again)


@dataclass
class _Wave:
    """One wave's response table (before writing) and its truth table."""

    frame: pd.DataFrame
    truth: pd.DataFrame
    n_respondents: int


def _firmographics(rng, plan, base, members, s0, wave_no, cols) -> None:
    """Firmographics consistent with the customer master (a few slips), into ``cols``."""
    f, codes = plan.firmographics, plan.codes
    n = len(members)
    size = base.size[members].copy()
    slip = rng.random(n) < 0.08
    size[slip] = np.clip(size[slip] + rng.choice([-1, 1], size=slip.sum()), 0, 3)
    industry = base.industry[members].copy()
    slip = rng.random(n) < 0.06
    industry[slip] = rng.integers(0, INDUSTRY_MIX.shape[1], size=slip.sum())
    usual = (base.channel1 if wave_no == 1 else base.channel2)[members]
    channel = usual.copy()
    slip = rng.random(n) < 0.10
    channel[slip] = _draw(rng, CHANNEL_MIX, s0[slip])
    maturity = (
        MATURITY_BY_CHANNEL[usual] + MATURITY_SEGMENT_SHIFT[s0] + base.maturity_noise[members]
        + rng.normal(0, 0.3, size=n)
    )
    cols[f["size"]] = np.asarray(codes[f["size"]], dtype=float)[size]
    cols[f["industry"]] = np.asarray(codes[f["industry"]], dtype=float)[industry]
    cols[f["country"]] = np.asarray(codes[f["country"]], dtype=float)[base.country[members]]
    cols[f["order_method"]] = np.asarray(codes[f["order_method"]], dtype=float)[channel]
    cols[f["maturity"]] = np.clip(np.rint(maturity), 1, 5)
    cols[f["role"]] = np.asarray(codes[f["role"]], dtype=float)[_draw(rng, ROLE_MIX, s0)]


def _item_nonresponse(rng, plan, cols, grids, s0, speeders, straight) -> None:
    """Blank answers, don't know and not applicable (not for speeders / straightliners), into ``cols``."""
    f = plan.firmographics
    n = len(s0)
    open_rows = ~np.isin(np.arange(n), np.concatenate([speeders, straight]))
    propensity = ITEM_BLANK_SHARE * rng.gamma(ITEM_BLANK_SKEW, 1 / ITEM_BLANK_SKEW, size=n)
    propensity = np.minimum(propensity, 0.25)  # only break-offs miss more than half
    dk_habit = rng.gamma(ITEM_BLANK_SKEW, 1 / ITEM_BLANK_SKEW, size=n)  # some say "don't know" a lot
    for c in grids + [f["size"], f["industry"], f["order_method"], f["maturity"], f["role"]]:
        u = rng.random(n)
        rate = propensity if c in grids else propensity / 3
        blank = open_rows & (u < rate)
        miss = plan.missing.get(c, [])
        if miss:
            dk = open_rows & ~blank & (u > 1 - np.minimum(plan.dont_know[c] * dk_habit, 0.5))
            cols[c][dk] = miss[0]
        if len(miss) > 1 and c in plan.satisfaction:
            o = plan.satisfaction.index(c)
            na = open_rows & ~blank & (rng.random(n) < OUTCOME_NOT_APPLICABLE[o, s0])
            cols[c][na] = miss[1]
        cols[c][blank] = np.nan


def _verbatims(rng, plan, base, members, seg, wave_no, speeders):
    """The open answers in the respondent's language, themed by segment, some holding contact
    details. Returns (texts by question, whether a text holds contact details, contacts)."""
    n = len(members)
    lang = np.array([plan.countries[c][3] for c in base.country[members]])
    contact_pick = np.zeros(n, dtype=int)
    if wave_no > 1:
        contact_pick = (rng.random(n) < 0.2).astype(int)  # some re-interviews reach someone else
    contacts = [base.contacts[m][k] for m, k in zip(members, contact_pick)]
    texts = {v: [] for v in plan.verbatims}
    pii_in_text = np.zeros(n, dtype=bool)
    speeder_set = set(speeders.tolist())
    for i in range(n):
        for j, v in enumerate(plan.verbatims):
            question = "job" if j == 0 else "improve"
            if i in speeder_set:
                junk = _VERBATIM_JUNK[lang[i]]
                texts[v].append("" if rng.random() < 0.5 else junk[rng.integers(len(junk))])
                continue
            if rng.random() < VERBATIM_BLANK_SHARE:
                texts[v].append("")
                continue
            theme = int(seg[i]) if rng.random() < 0.85 else int(rng.integers(1, 6))
            text = _verbatim(rng, lang[i], theme, question)
            if rng.random() < VERBATIM_PII_SHARE:
                template = _VERBATIM_PII[lang[i]][rng.integers(2)]
                name, email, phone = contacts[i]
                text = f"{text.rstrip('.')}. {template.format(phone=phone, email=email)}"
                pii_in_text[i] = True
            texts[v].append(text)
    return texts, pii_in_text, contacts


def _break_offs(rng, d, plan, breakoff, texts, cols, duration) -> None:
    """Break-offs: everything from a point in the questionnaire on is blank (in ``texts`` and
    ``cols``), and the interview shorter (``duration``)."""
    asked = [c["id"] for c in d.columns if c["id"] != plan.duration]
    for i in breakoff:
        stop = int(rng.integers(int(0.1 * len(asked)), int(0.35 * len(asked))))
        for c in asked[stop:]:
            if c in texts:
                texts[c][i] = ""
            else:
                cols[c][i] = np.nan
        duration[i] = max(duration[i] * rng.uniform(0.5, 0.8), 0.4 * DURATION_MEDIAN_SEC)


def _duplicates(rng, frame, truth, dups, basis_ids, plan, n):
    """Duplicate submissions: a later re-submission of the rows ``dups`` with a few answers
    changed, placed after the first. Returns (frame, truth) with them."""
    copies = frame.iloc[dups].copy()
    tcopies = truth.iloc[dups].copy()
    for r in range(len(dups)):
        for c in rng.choice(basis_ids, size=int(rng.integers(3, 7)), replace=False):
            v = copies.iat[r, copies.columns.get_loc(c)]
            if not np.isnan(v) and v <= 5:
                copies.iat[r, copies.columns.get_loc(c)] = float(np.clip(v + rng.choice([-1, 1]), 1, 5))
        copies.iat[r, copies.columns.get_loc(plan.duration)] = float(
            np.rint(DURATION_MEDIAN_SEC * max(np.exp(rng.normal(-0.2, 0.3)), 0.45))
        )
    tcopies["submission"] = 2
    truth.loc[truth.index[dups], "duplicate"] = 1
    tcopies["duplicate"] = 1
    positions = list(range(n))
    for r, i in enumerate(dups):
        at = positions.index(i) + 1
        positions.insert(int(rng.integers(at, len(positions) + 1)), n + r)
    frame = pd.concat([frame, copies], ignore_index=True).iloc[positions].reset_index(drop=True)
    truth = pd.concat([truth, tcopies], ignore_index=True).iloc[positions].reset_index(drop=True)
    return frame, truth


def _survey_wave(
    rng: np.random.Generator,
    d: _Definition,
    plan: _Plan,
    base: _Base,
    members: np.ndarray,
    wave_no: int,
    reinterview: np.ndarray,
) -> _Wave:
    n = len(members)
    wave = plan.wave_dates[wave_no - 1]
    seg = (base.seg1 if wave_no == 1 else base.seg2)[members]
    s0 = seg - 1
    cols: dict[str, np.ndarray] = {}

    # latent dimension scores: segment mean + stable trait + this interview's noise
    rho = TRAIT_STABILITY
    noise = rng.standard_normal((n, len(DIMENSIONS)))
    scores = SEGMENT_MEANS[s0] + WITHIN_SD * (rho * base.traits[members] + np.sqrt(1 - rho**2) * noise)
    basis_ids = [it.id for it in plan.items]
    for it in plan.items:
        y = it.sign * it.loading * scores[:, it.dimension] + ITEM_NOISE_SD * rng.standard_normal(n)
        cols[it.id] = 1.0 + (y[:, None] > it.cuts[None, :]).sum(axis=1)

    # JTBD outcomes
    general_imp = rng.normal(0, 0.35, size=n)
    general_sat = rng.normal(0, 0.35, size=n)
    for o, (imp, sat) in enumerate(zip(plan.importance, plan.satisfaction)):
        li = OUTCOME_IMPORTANCE[o, s0] + general_imp + rng.normal(0, 0.75, size=n)
        ls = OUTCOME_SATISFACTION[o, s0] + general_sat + rng.normal(0, 0.8, size=n)
        cols[imp] = np.clip(np.rint(li), 1, 5)
        cols[sat] = np.clip(np.rint(ls), 1, 5)

    # firmographics, consistent with the customer master
    codes = plan.codes
    _firmographics(rng, plan, base, members, s0, wave_no, cols)

    # interview length and quality problems, disjoint groups of respondents
    duration = np.exp(rng.normal(np.log(DURATION_MEDIAN_SEC), 0.35, size=n))
    duration = np.maximum(duration, 0.45 * DURATION_MEDIAN_SEC)
    order = rng.permutation(n)
    n_speed = int(round(SPEEDER_SHARE * n))
    n_straight = int(round(STRAIGHTLINER_SHARE * n))
    n_break = min(int(rng.integers(5, 10)), max(n // 100, 2))
    n_oor = int(rng.integers(2, 5)) if wave_no == 1 else 0
    n_dup = int(rng.integers(2, 4)) if wave_no == 1 else 0
    cut = np.cumsum([n_speed, n_straight, n_break, n_oor, n_dup])
    speeders, straight, breakoff, oor, dups = np.split(order[: cut[-1]], cut[:-1])

    grids = basis_ids + plan.importance + plan.satisfaction
    for c in grids:
        valid = np.asarray(codes[c], dtype=float)
        cols[c][speeders] = rng.choice(valid, size=len(speeders))
    duration[speeders] = DURATION_MEDIAN_SEC * rng.uniform(0.12, 0.28, size=len(speeders))
    flat_basis = rng.choice([2.0, 3.0, 4.0, 4.0, 5.0], size=len(straight))
    flat_imp = rng.choice([3.0, 4.0, 5.0], size=len(straight))
    flat_sat = rng.choice([3.0, 4.0], size=len(straight))
    for c in basis_ids:
        cols[c][straight] = flat_basis
    for c in plan.importance:
        cols[c][straight] = flat_imp
    for c in plan.satisfaction:
        cols[c][straight] = flat_sat
    duration[straight] = DURATION_MEDIAN_SEC * rng.uniform(0.42, 0.7, size=len(straight))

    # item nonresponse, don't know, not applicable (not for speeders / straightliners)
    _item_nonresponse(rng, plan, cols, grids, s0, speeders, straight)

    # verbatims in the respondent's language, themed by segment, some with contact details
    texts, pii_in_text, contacts = _verbatims(rng, plan, base, members, seg, wave_no, speeders)

    _break_offs(rng, d, plan, breakoff, texts, cols, duration)

    # out-of-range codes (a 6 or 7 on a five-point item)
    oor_items = [""] * n
    for i in oor:
        c = basis_ids[int(rng.integers(len(basis_ids)))]
        cols[c][i] = float(rng.choice([6, 7]))
        oor_items[i] = f"{c}={int(cols[c][i])}"

    # durations: whole seconds, some with a decimal (as the survey tool exports them)
    whole = rng.random(n) < 0.8
    duration = np.where(whole, np.rint(duration), np.round(duration, 1))
    cols[plan.duration] = duration

    rid = d.respondent_id
    data = {rid: [f"W{wave['id']}-{i + 1:05d}" for i in range(n)], d.customer_id: base.ids[members]}
    for c in d.columns:
        data[c["id"]] = texts[c["id"]] if c["id"] in texts else cols[c["id"]]
    pii_values = {"contact_name": 0, "contact_email": 1, "contact_phone": 2}
    for p in d.pii:
        k = pii_values.get(p)
        data[p] = [contacts[i][k] if k is not None else "" for i in range(n)]
    frame = pd.DataFrame(data)

    truth = pd.DataFrame({rid: data[rid], d.customer_id: data[d.customer_id], "segment": seg,
                          "segment_name": np.asarray(SEGMENTS)[s0]})
    for k, name in enumerate(DIMENSIONS):
        truth[f"f_{name}"] = scores[:, k]
    truth["speeder"] = np.isin(np.arange(n), speeders).astype(int)
    truth["straightliner"] = np.isin(np.arange(n), straight).astype(int)
    truth["breakoff"] = np.isin(np.arange(n), breakoff).astype(int)
    truth["out_of_range"] = np.isin(np.arange(n), oor).astype(int)
    truth["out_of_range_items"] = oor_items
    truth["duplicate"] = 0
    truth["submission"] = 1
    truth["verbatim_pii"] = pii_in_text.astype(int)
    truth["reinterview"] = reinterview.astype(int)

    # duplicate submissions: a later re-submission with a few answers changed
    if n_dup:
        frame, truth = _duplicates(rng, frame, truth, dups, basis_ids, plan, n)
    truth.insert(0, "file_row", np.arange(2, len(truth) + 2))
    return _Wave(frame=frame, truth=truth, n_respondents=n)


