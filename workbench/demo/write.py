"""The demo's order lines, the file writers (Danish CSV, SPSS) and the truth files."""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from .constants import (
    CATEGORIES, CATEGORY_MIX, CHANNEL_MIX, DELIVERY_PER_LINE, DELIVERY_PER_ORDER, DIMENSIONS,
    DISCOUNT_BY_SIZE, DISCOUNT_PRICE_SEGMENT, EXTRA_LINES, FORWARD_CHURN, FORWARD_CHURN_DAYS, GENERATOR_VERSION, HANDLING_PER_LINE,
    HANDLING_PER_ORDER, ITEM_NOISE_SD, MIGRATION, NEEDS_DIMENSIONS, ORDERS_PER_YEAR, ORDER_RATE_BY_SIZE,
    OUTCOME_IMPORTANCE, OUTCOME_SATISFACTION, PRIMARY_CHANNEL_SHARE, QUANTITY_BY_SEGMENT,
    QUANTITY_BY_SIZE, QUANTITY_MEAN, RETURN_HANDLING_EUR, RETURN_RATE, SEGMENTS, SEGMENT_MEANS,
    SHARES_WAVE1, TRAIT_STABILITY, UNIT_PRICE_EUR, WITHIN_SD, _DORMANT, _LAPSED, _NEW, _ONE_TIME, _REGULAR,
    _STATUS_NAMES,
)
from .plan import _Definition, _Plan, _draw, _weekday
from .sample import _Base, _Wave

logger = logging.getLogger('workbench.demo')


# --------------------------------------------------------------------------- behaviour


def _transactions(rng: np.random.Generator, base: _Base, plan: _Plan, d: _Definition) -> pd.DataFrame:
    """Two years of order lines up to the last wave's reference date, vectorised."""
    first, last = plan.window
    n_days = int((last - first).astype(int)) + 1
    n = len(base.ids)
    inside = (base.status == _NEW) | (base.status == _ONE_TIME)
    start = np.where(inside, (base.first_order - first).astype(int), 0)
    end = np.where(base.status == _LAPSED, base.lapse_day, n_days - 1)
    span_years = (end - start + 1) / 365.25
    rate = ORDERS_PER_YEAR[base.seg1 - 1] * ORDER_RATE_BY_SIZE[base.size] * base.activity
    n_orders = rng.poisson(rate * span_years)
    n_orders = np.where(inside | (base.status == _LAPSED), np.maximum(n_orders, 1), n_orders)
    n_orders[base.status == _ONE_TIME] = 1
    n_orders[base.status == _DORMANT] = 0

    cust = np.repeat(np.arange(n), n_orders)
    day = start[cust] + np.floor(rng.random(len(cust)) * (end - start + 1)[cust]).astype(int)
    # new and one-time customers place their first order on their first order date
    first_of = np.r_[0, np.cumsum(n_orders)[:-1]][n_orders > 0]
    is_first = np.zeros(len(cust), dtype=bool)
    is_first[first_of] = True
    day = np.where(is_first & inside[cust], start[cust], day)
    day = _weekday(rng, day, first, n_days - 1)
    # quieter summer holidays and Christmas
    dates = first + day
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    holiday = (month == 7) | ((month == 12) & (dom > 20)) | ((month == 1) & (dom < 3))
    keep = ~holiday | (rng.random(len(cust)) < 0.45) | (is_first & inside[cust])
    cust, day = cust[keep], day[keep]
    n_ord = len(cust)

    # the segment in force on the order date (migrating customers change on their day)
    migrated = (base.migration_day[cust] >= 0) & (day >= base.migration_day[cust])
    seg_eff = np.where(migrated, base.seg2[cust], base.seg1[cust]) - 1
    usual = np.where(migrated, base.channel2[cust], base.channel1[cust])
    channel = np.where(rng.random(n_ord) < PRIMARY_CHANNEL_SHARE, usual, _draw(rng, CHANNEL_MIX, seg_eff))
    n_lines = 1 + rng.poisson(EXTRA_LINES[seg_eff])
    size = base.size[cust]

    # order-level costs to serve: fixed parts weigh most on small orders
    delivery = (DELIVERY_PER_ORDER + DELIVERY_PER_LINE * n_lines) * np.exp(rng.normal(0, 0.15, n_ord))
    handling = (HANDLING_PER_ORDER[channel] + HANDLING_PER_LINE * n_lines) * np.exp(rng.normal(0, 0.1, n_ord))

    # lines
    o = np.repeat(np.arange(n_ord), n_lines)
    n_ln = len(o)
    category = _draw(rng, CATEGORY_MIX, seg_eff[o])
    q_mean = QUANTITY_MEAN[category] * QUANTITY_BY_SEGMENT[seg_eff[o]] * QUANTITY_BY_SIZE[size[o]]
    quantity = rng.geometric(1.0 / np.maximum(q_mean, 1.0))
    unit = UNIT_PRICE_EUR[category] * np.exp(rng.normal(0, 0.6, n_ln))
    discount = DISCOUNT_BY_SIZE[size[o]] + DISCOUNT_PRICE_SEGMENT * (seg_eff[o] == 1)
    unit_net = np.round(unit * (1 - discount), 2)
    unit_net = np.maximum(unit_net, 0.05)
    value = np.round(quantity * unit_net, 2)
    line_delivery = np.round(delivery[o] / n_lines[o], 2)
    line_handling = np.round(handling[o] / n_lines[o], 2)

    # returns: a line sent back later, its own order with a negative value
    ret = rng.random(n_ln) < RETURN_RATE[seg_eff[o]]
    r_day = day[o][ret] + 2 + rng.geometric(1 / 10, size=ret.sum())
    ok = r_day <= n_days - 1
    src = np.flatnonzero(ret)[ok]
    r_day = _weekday(rng, r_day[ok], first, n_days - 1)
    r_qty = np.where(rng.random(len(src)) < 0.7, quantity[src],
                     np.maximum(1, np.floor(quantity[src] * rng.uniform(0.2, 0.9, len(src)))).astype(int))

    # all lines: (day, customer, order key, kind) -> order ids in date order
    line_cust = np.r_[cust[o], cust[o][src]]
    line_day = np.r_[day[o], r_day]
    order_key = np.r_[o, n_ord + np.arange(len(src))]
    line_no = np.r_[np.arange(n_ln) - np.r_[0, np.cumsum(n_lines)[:-1]][o], np.zeros(len(src), dtype=int)]
    sort = np.lexsort((line_no, order_key, line_cust, line_day))
    key_sorted = order_key[sort]
    new_order = np.r_[True, key_sorted[1:] != key_sorted[:-1]]
    order_id = 5_000_000 + np.cumsum(new_order)

    chan_names = np.asarray(plan.channels)
    cat_names = np.asarray(CATEGORIES)
    frame = pd.DataFrame(
        {
            "customer_id": base.ids[line_cust[sort]],
            "order_id": order_id,
            "date": np.datetime_as_string((first + line_day[sort]).astype("datetime64[D]"), unit="D"),
            "value": np.r_[value, -np.round(r_qty * unit_net[src], 2)][sort],
            "channel": chan_names[np.r_[channel[o], channel[o][src]][sort]],
            "quantity": np.r_[quantity, -r_qty][sort],
            "delivery_cost": np.r_[line_delivery, np.zeros(len(src))][sort],
            "handling_cost": np.r_[line_handling, np.full(len(src), RETURN_HANDLING_EUR)][sort],
            "category": cat_names[np.r_[category, category[src]][sort]],
        }
    )
    mapping = d.transactions["columns"]
    return frame.rename(columns=mapping)[list(mapping.values())]


def _forward_churn(rng: np.random.Generator, tx: pd.DataFrame, base: _Base, plan: _Plan, d: _Definition) -> pd.DataFrame:
    """The order lines without those of the planted churners after their churn day
    (:data:`FORWARD_CHURN`): a customer's lines dated after the day are dropped."""
    ref = plan.wave_dates[0]["reference"]
    p = np.asarray(FORWARD_CHURN)[base.seg1 - 1]
    draw = rng.random(len(base.ids))
    day = ref + rng.integers(0, FORWARD_CHURN_DAYS, size=len(base.ids))
    churn = (draw < p) & (base.status == _REGULAR) & (base.migration_day < 0)
    if not churn.any():
        return tx
    cols = d.transactions["columns"]
    stop = pd.Series(np.datetime_as_string(day[churn].astype("datetime64[D]"), unit="D"), index=base.ids[churn])
    last = tx[cols["customer_id"]].map(stop)
    keep = last.isna() | (tx[cols["date"]] <= last.fillna(""))
    logger.debug("forward churn: %d customers, %d lines dropped", int(churn.sum()), int((~keep).sum()))
    return tx.loc[keep.to_numpy()].reset_index(drop=True)


# --------------------------------------------------------------------------- writing


def _write_csv_danish(frame: pd.DataFrame, path: Path, plan: _Plan) -> None:
    """Semicolon-separated, decimal comma, UTF-8 with BOM, CRLF: as Danish Excel saves it."""
    out = frame.copy()
    for c in out.columns:
        if c in plan.codes:
            out[c] = out[c].astype("Int64")
    dur = out[plan.duration]
    out[plan.duration] = [
        "" if np.isnan(v) else (f"{int(v)}" if v == int(v) else f"{v:.1f}".replace(".", ","))
        for v in dur
    ]
    out.to_csv(path, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n", na_rep="")


def _write_sav(frame: pd.DataFrame, path: Path, d: _Definition, plan: _Plan, stamp: np.datetime64) -> None:
    """SPSS file with variable labels (question texts) and value labels (scales)."""
    out = frame.copy()
    labels, values, measure = {}, {}, {}
    names = {d.respondent_id: "Respondent id", d.customer_id: "Customer number"}
    names.update({"contact_name": "Contact name", "contact_email": "Contact e-mail", "contact_phone": "Contact phone"})
    for c in out.columns:
        if c in names or c in d.pii:
            labels[c] = names.get(c, c)
            continue
        col = d.column(c)
        labels[c] = f"{col['text']} ({col['role']})" if col.get("role") else col["text"]
        sc = col["scale"]
        if sc.get("codes"):
            allc = {**sc["codes"], **(sc.get("missing") or {})}
            values[c] = {float(k): str(v) for k, v in sorted(allc.items())}
            measure[c] = "nominal" if sc["type"] == "nominal" else "ordinal"
            out[c] = out[c].astype(float)
        elif sc["type"] == "numeric":
            measure[c] = "scale"
            out[c] = out[c].astype(float)
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].fillna("").astype(str)
            measure.setdefault(c, "nominal")
    pyreadstat.write_sav(out, str(path), column_labels=labels, variable_value_labels=values,
                         variable_measure=measure)
    _fix_sav_timestamp(path, stamp)


def _fix_sav_timestamp(path: Path, stamp: np.datetime64) -> None:
    """Overwrite the creation date and time in the SAV header with a fixed value.

    ReadStat stamps the file with the current time (header bytes 92-109, ``dd mmm yy``
    and ``hh:mm:ss``); a fixed stamp keeps two runs with one seed byte-identical.
    """
    day = stamp.astype(_dt.date)
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[day.month - 1]
    date = f"{day.day:02d} {month} {day.year % 100:02d}".encode("ascii")
    raw = bytearray(path.read_bytes())
    if raw[:4] != b"$FL2" or len(date) != 9:
        logger.warning("unexpected SPSS header in %s; its timestamp is left as written", path)
        return
    raw[92:101] = date
    raw[101:109] = b"17:00:00"
    path.write_bytes(bytes(raw))


def _truth_json(plan: _Plan, base: _Base, waves: list[_Wave], seed: int, n_customers: int,
                n_respondents: int, n_lines: int) -> dict:
    def shares(seg) -> dict:
        counts = np.bincount(seg, minlength=6)[1:]
        return {name: round(float(c / counts.sum()), 4) for name, c in zip(SEGMENTS, counts)}

    items = {}
    for it in plan.items:
        items.setdefault(DIMENSIONS[it.dimension], []).append(
            {"item": it.id, "loading": round(it.sign * it.loading, 4), "reverse": it.sign < 0}
        )
    flows = np.zeros((5, 5), dtype=int)
    np.add.at(flows, (base.seg1 - 1, base.seg2 - 1), 1)
    return {
        "generator": "workbench.demo",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "n_customers": n_customers,
        "n_respondents": n_respondents,
        "n_order_lines": n_lines,
        "segments": {str(k): name for k, name in enumerate(SEGMENTS, start=1)},
        "shares": {
            "planted_wave1": dict(zip(SEGMENTS, SHARES_WAVE1)),
            "customers_wave1": shares(base.seg1),
            "customers_wave2": shares(base.seg2),
            "respondents_wave1": shares(waves[0].truth.loc[waves[0].truth["submission"] == 1, "segment"].to_numpy()),
            "respondents_wave2": shares(waves[1].truth["segment"].to_numpy()),
        },
        "migration": {
            "planted": [{"from": SEGMENTS[a - 1], "to": SEGMENTS[b - 1], "share": s} for (a, b), s in MIGRATION.items()],
            "customers_from_to": {SEGMENTS[a]: {SEGMENTS[b]: int(flows[a, b]) for b in range(5)} for a in range(5)},
        },
        "factors": {
            "dimensions": list(DIMENSIONS),
            "blocks": {"needs": list(NEEDS_DIMENSIONS), "motivations": ["push", "pull"], "barriers": ["anxiety", "habit"]},
            "items": items,
            "segment_means": {
                SEGMENTS[k]: {dim: float(SEGMENT_MEANS[k, j]) for j, dim in enumerate(DIMENSIONS)} for k in range(5)
            },
            "within_segment_sd": WITHIN_SD,
            "item_noise_sd": ITEM_NOISE_SD,
            "trait_stability_across_waves": TRAIT_STABILITY,
        },
        "outcomes": {
            oid: {
                "importance": {SEGMENTS[k]: float(OUTCOME_IMPORTANCE[o, k]) for k in range(5)},
                "satisfaction": {SEGMENTS[k]: float(OUTCOME_SATISFACTION[o, k]) for k in range(5)},
            }
            for o, oid in enumerate(plan.outcomes)
        },
        "quality": {
            f"wave{w}": {
                flag: int(waves[w - 1].truth[flag].sum())
                for flag in ("speeder", "straightliner", "breakoff", "out_of_range", "verbatim_pii")
            }
            | {"duplicate_submissions": int((waves[w - 1].truth["submission"] == 2).sum())}
            for w in (1, 2)
        },
        "customer_status": {
            name: int((base.status == k).sum()) for k, name in enumerate(_STATUS_NAMES)
        },
    }


def _truth_customers(base: _Base) -> pd.DataFrame:
    names = np.asarray(SEGMENTS)
    return pd.DataFrame(
        {
            "customer_id": base.ids,
            "segment_wave1": base.seg1,
            "segment_name_wave1": names[base.seg1 - 1],
            "segment_wave2": base.seg2,
            "segment_name_wave2": names[base.seg2 - 1],
            "migrated": (base.migration_day >= 0).astype(int),
            "status": np.asarray(_STATUS_NAMES)[base.status],
        }
    )

