"""The study-aware entry: :func:`compute_behaviour` for one wave."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..core.errors import StudyError
from ..data.joincheck import check_join
from ..study import BehaviourSpec, Column, Study
from .features import customer_features
from .match import match_respondents
from .result import Behaviour


def _digital_maturity(respondents: pd.DataFrame, survey: pd.DataFrame, spec: BehaviourSpec,
                      columns: dict[str, Column]) -> pd.DataFrame:
    d = spec.digital
    declared = pd.Series(np.nan, index=respondents.index)
    if d.question and d.question in survey.columns:
        codes = sorted(columns[d.question].scale.codes) if d.question in columns else []
        if len(codes) >= 2:
            lo, hi = codes[0], codes[-1]
            declared = ((pd.to_numeric(survey[d.question], errors="coerce") - lo) / (hi - lo)).clip(0, 1)
    observed = respondents["digital_share"] if "digital_share" in respondents else pd.Series(np.nan, index=respondents.index)
    observed = observed.astype(float)
    w = d.declared_weight
    both = w * declared + (1 - w) * observed
    maturity = both.where(declared.notna() & observed.notna(), declared.fillna(observed))
    out = respondents.copy()
    out["digital_declared"] = declared.to_numpy()
    out["digital_maturity"] = maturity.to_numpy()
    return out


def compute_behaviour(
    study: Study,
    wave,
    respondents=None,
    *,
    threads: int = 2,
    memory_limit: str = "1GB",
    weight: bool = True,
    spark=None,
) -> Behaviour:
    """Features of the study's customer base as of the wave's date, joined to respondents.

    Parameters
    ----------
    study : Study
        A study with a ``behaviour:`` section.
    wave : str or int
        The wave id; behaviour is measured as of its ``reference_date`` (else the end
        of fieldwork).
    respondents : Responses or DataFrame, optional
        The clean respondents (``Responses`` or its ``.data``), holding the study's
        customer-id column. Default: read and quality-check the wave.
    threads, memory_limit
        DuckDB settings.
    weight : bool, default=True
        Rake the respondents to the base when the study declares ``weighting:``.
    spark : pyspark.sql.SparkSession, optional
        Compute the features on this Spark session (a cluster notebook's ``spark``);
        default: the study's ``behaviour.engine``.

    Returns
    -------
    Behaviour
    """
    from ..data.readers import Responses

    spec = study.spec.behaviour
    if spec is None:
        raise StudyError("the study has no behaviour: section", file=study.path)
    w = study.wave(wave)
    if w.date is None:
        raise StudyError(
            f"wave '{w.id}' has neither reference_date nor fieldwork_end; behaviour is measured as of "
            "that date: add reference_date: to the wave", file=study.path,
        )
    key = spec.key or study.spec.customer_id
    base_weights = None
    if respondents is None:
        from ..quality import check_quality
        from ..data.readers import read_responses

        resp = read_responses(study, w.id)
        respondents = check_quality(resp, study).apply(resp)
    if isinstance(respondents, Responses):
        base_weights = respondents.weights
        survey = respondents.data
    else:
        survey = respondents
    feats = customer_features(spec, study.root, w.date, survey_columns=study.columns,
                              threads=threads, memory_limit=memory_limit, hash_sources=True, spark=spark)
    resp, match, unmatched = match_respondents(
        feats.table, survey, key,
        later_customers=[c for c in feats.later_customers if c not in feats.table.index],
    )
    # a join that matches too few respondents stops with counts and examples
    check_join(resp, feats.table, key, min_share=spec.min_match_share, study_file=study.path,
               source_file=study.root / spec.transactions.file if spec.transactions.file else None)
    resp = _digital_maturity(resp, survey, spec, study.columns)
    result = Behaviour(
        customers=feats.table, respondents=resp, match=match, unmatched=unmatched, lines=feats.lines,
        features=feats, study_id=study.id, wave=w.id, as_of=feats.as_of, key=key, lapsed_days=spec.lapsed_days,
    )
    if weight and study.spec.weighting is not None:
        from ..data.weighting import rake_to_base

        # several respondents of one customer (B2B accounts) share that customer's place in the
        # sample: each starts from 1 / (respondents of its customer), so every customer counts once
        cid = resp["customer_id"]
        share = cid.map(cid.value_counts()).where(cid.notna(), 1).astype(float)
        if (share > 1).any():
            start = 1.0 / share
            base_weights = start if base_weights is None else base_weights.reindex(resp.index) * start
        raking = rake_to_base(result, study.spec.weighting, survey=survey, columns=study.columns,
                              base_weights=base_weights)
        result = dataclasses.replace(result, weighting=raking)
    return result
