"""``generate_demo``: the entry point that writes the whole demo study folder."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ..core.errors import OutputError, WorkbenchError
from .accounts import account_targets, add_colleagues
from .plan import DemoSummary, _definition, _plan
from .sample import _customer_base, _customers_frame, _sample_wave1, _sample_wave2, _survey_wave
from .write import _forward_churn, _transactions, _truth_customers, _truth_json, _write_csv_danish, _write_sav

logger = logging.getLogger('workbench.demo')


# --------------------------------------------------------------------------- the entry point


#: Customers interviewed per wave by default: with their colleagues (about a quarter of them have
#: one to three, :mod:`workbench.demo.accounts`) a wave has about 2,000 respondents.
DEFAULT_INTERVIEWED = 1500


def _check_sizes(n_customers, n_respondents) -> None:
    """Whole numbers, large enough, and room for wave 2 to interview new customers."""
    for name, value, low in (("n_customers", n_customers, 200), ("n_respondents", n_respondents, 100)):
        if not isinstance(value, (int, np.integer)) or value < low:
            raise WorkbenchError(f"{name} must be a whole number of at least {low}, got {value!r}")
    if n_respondents > n_customers // 2:
        raise WorkbenchError(
            f"n_respondents ({n_respondents}) must be at most half of n_customers ({n_customers}) "
            "so that wave 2 can interview new customers; ask for more customers"
        )


def _write_study(tmp: Path, d, plan, wave_files, waves, tx, base) -> None:
    """study.yaml, the wave files (Danish CSV or SPSS), the transactions, the customer base and
    the truth of the customers and respondents, into ``tmp``."""
    (tmp / "study.yaml").write_bytes(d.raw)
    for w, wave, spec in zip(wave_files, waves, plan.wave_dates):
        suffix = Path(w).suffix.lower()
        if suffix == ".csv":
            _write_csv_danish(wave.frame, tmp / w, plan)
        elif suffix == ".sav":
            _write_sav(wave.frame, tmp / w, d, plan, spec["end"])
        else:
            raise WorkbenchError(f"the demo generator writes .csv or .sav wave files, not {w}")
    tx.to_csv(tmp / d.transactions["file"], index=False, float_format="%.2f", lineterminator="\n")
    _customers_frame(base, plan, d).to_csv(tmp / d.customers_file, index=False, lineterminator="\n")
    _truth_customers(base).to_csv(tmp / "truth/customers.csv", index=False, lineterminator="\n")
    for w, wave in zip(d.waves, waves):
        wave.truth.to_csv(tmp / f"truth/respondents_wave{w['id']}.csv", index=False,
                          float_format="%.6f", lineterminator="\n")


def generate_demo(out_dir, *, seed=20261123, n_customers=4000, n_respondents=DEFAULT_INTERVIEWED,
                  force=False) -> DemoSummary:
    """Write the synthetic demo study into a study folder.

    Parameters
    ----------
    out_dir : str or Path
        The study folder to write (created if missing).
    seed : int, default=20261123
        Seed of the single ``numpy.random.Generator`` everything is drawn from; the
        same seed writes byte-identical files.
    n_customers : int, default=4000
        Customers in the customer base (respondents and non-respondents).
    n_respondents : int, default=1500
        Customers interviewed per wave (wave 1 adds 2-3 duplicate submissions); about a quarter
        of them have one to three colleagues answering too (:mod:`workbench.demo.accounts`), so a
        wave has more respondents than this (about 2,000 at the default).
    force : bool, default=False
        Overwrite the demo's files when they already exist in ``out_dir``; other files
        in the folder are left alone.

    Returns
    -------
    DemoSummary
        The files written and their sizes in customers, respondents and order lines.

    Raises
    ------
    OutputError
        If ``out_dir`` already holds demo files and ``force`` is false.
    WorkbenchError
        If the sizes asked for cannot be drawn (e.g. more respondents than customers).

    Notes
    -----
    Files are written to a temporary sibling folder and moved into place only when all
    of them are complete, so a failed run leaves no half-written study.

    Examples
    --------
    >>> summary = generate_demo("surveys/demo")  # doctest: +SKIP
    >>> print(summary)  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    _check_sizes(n_customers, n_respondents)
    d = _definition()
    wave_files = [w["files"][0] for w in d.waves]
    targets = [Path("study.yaml"), *map(Path, wave_files), Path(d.transactions["file"]),
               Path(d.customers_file), Path("truth/customers.csv")]
    targets += [Path(f"truth/respondents_wave{w['id']}.csv") for w in d.waves] + [Path("truth/truth.json")]
    targets += account_targets(d)
    existing = [str(t) for t in targets if (out_dir / t).exists()]
    if existing and not force:
        raise OutputError(
            f"the folder already holds demo files ({', '.join(existing[:3])}"
            f"{', ...' if len(existing) > 3 else ''}); pass force=True (--force) to overwrite them",
            file=out_dir,
        )

    # a seventh stream for the planted forward churn: the first six (and so every other draw) are unchanged
    rng_plan, rng_base, rng_sample, rng_w1, rng_w2, rng_tx, rng_fw = np.random.default_rng(seed).spawn(7)
    plan = _plan(d, rng_plan)
    if len(plan.wave_dates) != 2:
        raise WorkbenchError("the demo generator writes exactly two waves")
    base = _customer_base(rng_base, plan, n_customers)
    members1 = _sample_wave1(rng_sample, base, plan, n_respondents)
    members2, again = _sample_wave2(rng_sample, base, plan, n_respondents, members1)
    waves = [
        _survey_wave(rng_w1, d, plan, base, members1, 1, np.zeros(len(members1), dtype=bool)),
        _survey_wave(rng_w2, d, plan, base, members2, 2, again),
    ]
    tx = _forward_churn(rng_fw, _transactions(rng_tx, base, plan, d), base, plan, d)
    interviewed = waves  # the truth's shares and quality counts: the customers' own respondents
    waves, accounts = add_colleagues(seed, d, plan, base, [members1, members2], waves)  # buying centres (issue 29)
    logger.debug("drawn in %.2f s", time.perf_counter() - t0)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        for t in targets:
            (tmp / t).parent.mkdir(parents=True, exist_ok=True)
        _write_study(tmp, d, plan, wave_files, waves, tx, base)
        truth = _truth_json(plan, base, interviewed, seed, n_customers, n_respondents, len(tx))
        truth["accounts"] = _accounts_truth(accounts, waves)
        for w, acc in zip(d.waves, accounts):
            acc.to_csv(tmp / f"truth/accounts_wave{w['id']}.csv", index=False, lineterminator="\n")
        (tmp / "truth/truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        if not out_dir.exists():
            os.replace(tmp, out_dir)
        else:
            for t in targets:
                (out_dir / t).parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp / t, out_dir / t)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)

    seconds = time.perf_counter() - t0
    summary = DemoSummary(
        folder=out_dir,
        files=tuple(targets),
        n_customers=n_customers,
        n_respondents={w["id"]: wave.n_respondents for w, wave in zip(plan.wave_dates, waves)},
        n_rows={w["id"]: len(wave.frame) for w, wave in zip(plan.wave_dates, waves)},
        n_order_lines=len(tx),
        seed=seed,
        seconds=seconds,
    )
    logger.debug("demo study written to %s in %.1f s (%d order lines)", out_dir, seconds, len(tx))
    return summary


def _accounts_truth(accounts, waves) -> dict:
    """truth.json's planted buying centres (issue 29): the types and their mixes, and per wave
    the colleagues' rows and accounts per type."""
    from .accounts import ACCOUNT_MIX, ACCOUNT_SHARES, ACCOUNT_TYPES
    from .constants import SEGMENTS

    return {
        "types": {t: {"share": float(w), "mix": dict(zip(SEGMENTS, map(float, mix)))}
                  for t, w, mix in zip(ACCOUNT_TYPES, ACCOUNT_SHARES, ACCOUNT_MIX)},
        **{f"wave{i}": {"colleagues": int(wave.truth["colleague"].sum()),
                        "accounts": {t: int((acc["account_type"] == t).sum()) for t in ACCOUNT_TYPES}}
           for i, (wave, acc) in enumerate(zip(waves, accounts), start=1)},
    }
