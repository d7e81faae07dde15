"""One wave end to end, as the CLI runs it.

The run is a list of steps (:data:`STEPS`).  Each step computes in memory from the
:class:`WaveContext` and returns a function that writes its files; only when every step
has succeeded are the writers called, inside a temporary folder that is then moved into
place whole (see :class:`workbench.outputs.ReportFolder`).  Bad input therefore leaves
nothing behind in ``reports/``.

Study-aware glue lives here: the statistics rooms (``factors``, ``segments``) take plain
data frames, and the steps below decide which columns of which wave they get.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .outputs import Manifest, ReportFolder
from .quality import QualityReport, check_quality
from .readers import Responses, read_responses
from .study import Study, load_study

__all__ = ["run_wave", "WaveRun", "WaveContext", "validate", "STEPS", "report_folder", "rerender_deck"]

logger = logging.getLogger(__name__)

Writer = Callable[[Path], None]


@dataclass
class WaveContext:
    """The working state of one run: what earlier steps produced, for later steps.

    Steps set their result attribute (``behaviour``, ``factors``, ``segments``) and
    return a writer; nothing here is written to disk until every step has run.
    """

    study: Study
    wave: str
    manifest: Manifest
    responses: Responses | None = None
    clean: Responses | None = None
    quality: QualityReport | None = None
    behaviour: Any = None  # behavioural features and match report
    factors: Any = None  # factor solutions per battery
    segments: Any = None  # candidate segmentations
    scorecard: Any = None  # relevant / operational / describable scorecard
    profiles: Any = None  # profiles of the recommended (or pinned) segmentation
    opportunities: Any = None  # JTBD opportunity scores
    personas: Any = None  # persona drafts merged with the consultant's edits
    reports: Path | None = None  # the reports root (earlier waves' outputs are found there)
    model: Any = None  # later waves: the frozen SegmentModel they are classified with
    model_path: Path | None = None
    classification: Any = None  # later waves: the frozen model's classification
    chosen: Any = None  # the recommended (or pinned) candidate segmentation
    model_fitted: Any = None  # fit waves: the SegmentModel written as model.json
    tracking: Any = None  # later waves: sizes, changes, drift and re-fit advice
    trends: Any = None  # later waves: the deck's trend slides (deck.DeckTrends)
    model_note: str | None = None  # later waves: which model classified the respondents
    customer_segments: Any = None  # a segment for every customer of the base (customer_segments.csv)


@dataclass(frozen=True)
class WaveRun:
    """What a run produced: the folder, the files and the in-memory results."""

    study: Study
    wave: str
    folder: Path
    files: list[Path]
    responses: Responses
    clean: Responses
    quality: QualityReport
    behaviour: Any = None
    factors: Any = None
    segments: Any = None
    scorecard: Any = None
    profiles: Any = None
    opportunities: Any = None
    personas: Any = None
    model: Any = None  # the model written (fit waves) or used (classified waves)
    classification: Any = None
    tracking: Any = None

    def __str__(self) -> str:
        lines = [f"Study {self.study.id!r}, wave {self.wave}: {self.quality}"]
        lines.append(f"Outputs in {self.folder}:")
        lines += [f"  {p.name}" for p in self.files]
        return "\n".join(lines)


def report_folder(study: Study, wave: str, reports_root) -> Path:
    """``<reports_root>/<study id>/<wave id>``."""
    return Path(reports_root) / study.id / str(wave)


# --------------------------------------------------------------------------- steps
# Each step takes the context, computes, stores its result on it and returns a writer.


def step_read(ctx: WaveContext) -> Writer | None:
    ctx.responses = read_responses(ctx.study, ctx.wave)
    return None


def step_quality(ctx: WaveContext) -> Writer | None:
    ctx.quality = check_quality(ctx.responses, ctx.study)
    ctx.clean = ctx.quality.apply(ctx.responses)
    ctx.manifest.counts.update({"respondents_read": ctx.responses.n, "respondents_kept": ctx.clean.n})
    quality, pii = ctx.quality, ctx.study.pii
    return lambda folder: quality.to_excel(folder / "quality.xlsx", pii=pii)


# (name, function, one line for the progress log), in order.
STEPS: list[tuple[str, Callable[[WaveContext], Writer | None], str]] = [
    ("read", step_read, "reading responses"),
    ("quality", step_quality, "checking data quality"),
]

# --- behaviour step (issue: behavioural data) ---


def step_behaviour(ctx: WaveContext) -> Writer | None:
    """Customer features as of the wave's date (DuckDB over the files), joined to the clean
    respondents; raking weights when the study declares ``weighting:``."""
    if ctx.study.spec.behaviour is None:
        return None
    import dataclasses

    from .behaviour import compute_behaviour

    ctx.behaviour = compute_behaviour(ctx.study, ctx.wave, ctx.clean)
    if ctx.behaviour.weighting is not None:
        weights = ctx.behaviour.weighting.weights.reindex(ctx.clean.data.index)
        ctx.clean = dataclasses.replace(ctx.clean, weights=weights)
    behaviour, pii = ctx.behaviour, ctx.study.pii
    return lambda folder: behaviour.to_excel(folder / "behaviour.xlsx", pii=pii)


STEPS.append(("behaviour", step_behaviour, "computing behavioural features and the join"))

# --------------------------------------------------------------------------- factors
# (issue: factor analysis)  Study-aware glue for workbench.factors: which columns of which
# battery, item labels and reverse keys from the study, the seed, and factors.xlsx.


def _factor_battery_data(ctx: WaveContext, blocks: list[str]):
    study, data = ctx.study, ctx.clean.data
    skipped = set(ctx.clean.missing_columns)
    cols = [c for b in blocks for c in study.block_columns(b)
            if c in data.columns and c not in skipped and study.columns[c].scale.numeric]
    return data[cols]


def step_factors(ctx: WaveContext) -> Writer | None:
    """Factor analyse each battery the study's ``factors:`` section names (default: every
    needs, motivations and barriers block) and keep the solutions on ``ctx.factors``."""
    import dataclasses

    from .errors import AnalysisError
    from .factors import efa, parallel_analysis
    from .outputs import write_workbook

    study = ctx.study
    fspec = study.spec.factors
    batteries = fspec.resolved(study.spec)
    explicit = fspec.batteries is not None
    results, skipped = {}, []
    for name, bat in batteries.items():
        data = _factor_battery_data(ctx, bat.blocks)
        labels = {c: study.columns[c].label for c in data.columns}
        reverse = [c for c in data.columns if study.columns[c].reverse]
        kwargs = dict(correlation=bat.correlation, missing=bat.missing)
        names = bat.names or None
        if isinstance(names, dict):  # a marker item this wave did not ask: that factor keeps its suggested name
            gone = [m for m in names if m not in data.columns and m in study.columns]
            if gone:
                logger.warning("factors: %s: marker item(s) %s not asked in wave %s; those factors get suggested "
                               "names", name, ", ".join(gone), ctx.wave)
                names = {m: n for m, n in names.items() if m not in gone} or None
        try:
            res = efa(data, bat.n_factors, method=bat.method, rotation=bat.rotation, labels=labels,
                      names=names, reverse=reverse, cut=bat.cut,
                      percentile=fspec.parallel.percentile, n_iter=fspec.parallel.iterations,
                      random_state=study.seed, progress_bar=False, **kwargs)
            if res.factor_count is None:  # n_factors given: still report what the criteria say
                count = parallel_analysis(data, percentile=fspec.parallel.percentile,
                                          n_iter=fspec.parallel.iterations, random_state=study.seed,
                                          progress_bar=False, **kwargs)
                res = dataclasses.replace(res, factor_count=count)
        except AnalysisError as exc:
            if explicit:  # the consultant asked for this battery: stop and say why
                raise AnalysisError(f"factor analysis of battery '{name}' (blocks {', '.join(bat.blocks)}): "
                                    f"{exc.message}", file=study.path, column=exc.column) from None
            # a default battery the data cannot support (e.g. a pilot with a handful of
            # respondents) is left out, said in the log and in factors.xlsx
            logger.warning("factors: battery '%s' not analysed: %s", name, exc.message)
            skipped.append({"battery": name, "blocks": ", ".join(bat.blocks), "reason": exc.message})
            continue
        logger.info("factors: %s -> %d factor(s): %s", name, res.n_factors, "; ".join(res.names))
        results[name] = res
    ctx.factors = results
    if not results:
        return None
    sheets, notes = factor_sheets(results, {c: col.label for c, col in study.columns.items()})
    if skipped:
        import pandas as pd

        sheets["Not analysed"] = pd.DataFrame(skipped)
        notes["Not analysed"] = "Default batteries the data could not support, and why."
    pii = study.pii
    return lambda folder: write_workbook(folder / "factors.xlsx", sheets, pii=pii, notes=notes)


def factor_sheets(results: dict, labels: dict | None = None) -> tuple[dict, dict]:
    """The sheets of factors.xlsx (sheet name to table) and a note for each."""
    import pandas as pd

    labels = labels or {}
    suit, adequacy, count, variance, rel, rel_items, corr = [], [], [], [], [], [], []
    loadings = {}
    for name, r in results.items():
        s = r.suitability
        suit.append({"battery": name, "items": len(r.items), "respondents": r.n_obs, "KMO": s.kmo,
                     "verdict": s.verdict, "Bartlett chi-square": s.bartlett_chi2, "df": s.bartlett_df,
                     "p": s.bartlett_p, "correlations": f"{r.missing} {r.correlation_type}",
                     "items with MSA < .50": ", ".join(s.flagged) or "none"})
        a = s.items.reset_index()
        a.insert(0, "battery", name)
        a.insert(2, "label", [labels.get(i, i) for i in a["item"]])
        adequacy.append(a)
        if r.factor_count is not None:
            c = r.factor_count.table.reset_index()
            c.insert(0, "battery", name)
            c["used"] = c["criterion"].eq("parallel analysis (factors)") & (r.n_factors == r.factor_count.recommended)
            c.loc[len(c)] = {"battery": name, "criterion": "factors extracted", "factors": r.n_factors,
                             "note": "as the study asks (n_factors)" if r.n_factors != r.factor_count.recommended
                             else "the parallel-analysis recommendation", "used": True}
            count.append(c)
        loadings[f"Loadings {name}"] = r.summary()
        v = r.variance.reset_index()
        v.insert(0, "battery", name)
        variance.append(v)
        if r.reliability is not None:
            x = r.reliability.scales.reset_index()
            x.insert(0, "battery", name)
            rel.append(x)
            y = r.reliability.items.reset_index()
            y.insert(0, "battery", name)
            y.insert(3, "label", [labels.get(i, i) for i in y["item"]])
            rel_items.append(y)
        if r.factor_correlations is not None:
            fc = r.factor_correlations.copy()
            fc.index = pd.MultiIndex.from_product([[name], fc.index], names=["battery", "factor"])
            corr.append(fc)
    cat = lambda parts: pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    sheets = {"Suitability": pd.DataFrame(suit), "Item adequacy": cat(adequacy), "Factor count": cat(count)}
    sheets.update(loadings)
    sheets.update({"Variance": cat(variance), "Reliability": cat(rel), "Reliability items": cat(rel_items),
                   "Factor correlations": pd.concat(corr) if corr else pd.DataFrame()})
    notes = {
        "Suitability": "KMO (Kaiser: >= .90 marvelous, .80s meritorious, .70s middling, .60s mediocre, .50s "
                       "miserable) and Bartlett's test that the items correlate at all.",
        "Item adequacy": "Measure of sampling adequacy per item; items below .50 are flagged (consider dropping).",
        "Factor count": "How many factors each criterion suggests; parallel analysis (factors) is the recommendation.",
        "Variance": "Variance each factor accounts for (oblique rotations: includes what factors share).",
        "Reliability": "Cronbach's alpha (raw, standardised) and McDonald's omega total of each factor's items; "
                       "reverse-keyed items from the study are reversed. Alpha >= .70 is the usual bar.",
        "Reliability items": "Per item: key (-1 reversed), corrected item-total r, alpha if the item were dropped.",
        "Factor correlations": "Correlations between the factors of each battery (oblique rotations).",
    }
    for sheet, table in loadings.items():
        notes[sheet] = ("Pattern loadings sorted by factor; loadings below the cut are blank. h2 = communality, "
                        "u2 = uniqueness; cross-loading lists other factors an item also loads on.")
    return sheets, notes


STEPS.append(("factors", step_factors, "factor analysing the batteries"))


# --- segments step (issue: latent-class segmentation) ---
# Study-aware glue for workbench.segments: which columns the plan's basis blocks hold,
# factor scores when the factors step ran, covariates and behavioural KPIs, the seed;
# segments.xlsx and segment_labels.csv.

#: Columns of the behaviour join that are bookkeeping, not KPIs to profile segments by.
_NOT_KPIS = ("match", "duplicate_key", "in_master", "in_transactions")


def segmentation_inputs(ctx: WaveContext) -> dict:
    """The keyword arguments of :func:`workbench.segments.candidates` for this wave's plan.

    Returns
    -------
    dict
        ``data`` (the coded basis items), ``scores`` (factor scores of the basis blocks, or
        None: LPA / k-means / Ward then segment the standardised items), ``covariates``,
        ``distal`` (behavioural KPIs, or None without the behaviour step) and the plan's
        settings.

    Raises
    ------
    AnalysisError
        No basis item in this wave, or plan KPIs / covariates the data do not hold.
    """
    import pandas as pd

    from .errors import AnalysisError
    from .segments import standardise

    study, clean, plan = ctx.study, ctx.clean, ctx.study.spec.segmentation
    skipped = set(clean.missing_columns)
    cols = [c.id for c in study.columns.values()
            if c.block in plan.basis and c.scale.coded and c.id in clean.data.columns and c.id not in skipped]
    if not cols:
        raise AnalysisError(
            f"the segmentation basis ({', '.join(plan.basis)}) has no coded items in wave {ctx.wave}; "
            "check segmentation.basis and the wave's not_asked list", file=study.path,
        )
    data = clean.data[cols]
    # continuous basis: factor scores of every solution whose items all lie in the basis
    scores, covered = [], set()
    for name, res in (ctx.factors or {}).items():
        items = set(getattr(res, "items", []))
        if items and items <= set(cols):
            sc = res.scores(clean.data)
            sc.columns = [f"{name}: {n}" for n in sc.columns]
            scores.append(sc)
            covered |= items
    cont = None
    if scores:
        rest = [c for c in cols if c not in covered]
        if rest:  # basis items no factor solution covers enter as z-scores
            weights = None if clean.weights is None else clean.weights.reindex(data.index).to_numpy()
            scores.append(standardise(data[rest], weights))
        cont = pd.concat(scores, axis=1)
    # covariates: columns, or every coded / numeric column of a named block
    cov_cols = []
    for c in plan.covariates:
        if c in study.spec.blocks:
            cov_cols += [x.id for x in study.columns.values()
                         if x.block == c and x.scale.numeric and x.id in clean.data.columns and x.id not in skipped]
        elif c in clean.data.columns and c not in skipped:
            cov_cols.append(c)
    covariates = clean.data[cov_cols] if cov_cols else None
    # distal outcomes: the behaviour step's KPIs
    distal = None
    if ctx.behaviour is not None and plan.distal != []:
        resp = ctx.behaviour.respondents
        kpis = [c for c in resp.columns
                if c not in _NOT_KPIS and c != getattr(ctx.behaviour, "key", None)
                and not pd.api.types.is_datetime64_any_dtype(resp[c])]
        if plan.distal is not None:
            unknown = [k for k in plan.distal if k not in kpis]
            if unknown:
                raise AnalysisError(
                    f"segmentation.distal names {', '.join(unknown)}, which the behaviour step does not provide; "
                    f"available KPIs: {', '.join(kpis)}", file=study.path,
                )
            kpis = list(plan.distal)
        distal = resp[kpis].reindex(data.index)
        # numbers stored as nullable integers become floats; booleans stay categories
        for c in distal.columns:
            if isinstance(distal[c].dtype, pd.BooleanDtype):
                distal[c] = distal[c].astype(object).where(distal[c].notna(), None)
            elif pd.api.types.is_integer_dtype(distal[c]) and not pd.api.types.is_bool_dtype(distal[c]):
                distal[c] = distal[c].astype("Float64").astype(float)
    return dict(
        data=data, scores=cont, covariates=covariates, distal=distal,
        k_range=range(plan.k_min, plan.k_max + 1), methods=list(plan.methods), n_init=plan.n_init,
        covariance=plan.covariance, min_class_share=plan.min_class_share,
        min_segment_n=study.spec.min_segment_n, sample_weight=clean.weights, n_bootstrap=plan.bootstrap_reps,
        stability_kind=plan.stability, choice=(plan.choice.method, plan.choice.k) if plan.choice else None,
        random_state=study.seed,
    )


def segmentation_context(study, wave) -> WaveContext:
    """A wave read, quality-checked and, where the study has them, with its behaviour and
    factor solutions: what the segments step starts from, in memory (nothing is written).

    For notebooks: ``pipeline.segmentation_inputs(pipeline.segmentation_context(study, wave))``
    gives the arguments :func:`workbench.segments.candidates` takes.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    w = study.wave(wave)
    man = Manifest(study_id=study.id, wave=w.id, seed=study.seed, study_hash=study.hash,
                   study_file=str(study.path), study_file_hash=study.file_hash)
    ctx = WaveContext(study=study, wave=w.id, manifest=man)
    for name, func, _ in STEPS:
        if name == "segments":
            break
        func(ctx)
    return ctx


def step_segments(ctx: WaveContext) -> Writer | None:
    """Fit the candidate segmentations the study's ``segmentation:`` plan names; keep them
    on ``ctx.segments`` and write segments.xlsx and segment_labels.csv."""
    import warnings

    from .errors import AnalysisError, WorkbenchWarning
    from .outputs import check_no_pii, write_workbook
    from .segments import candidates

    study = ctx.study
    if not study.spec.segmentation.basis:
        logger.info("segments: the study names no segmentation basis (segmentation.basis); step skipped")
        return None
    if ctx.model is not None:  # a later wave: classify with the frozen model, fit nothing
        from .waveflow import classify_wave

        return classify_wave(ctx)
    kwargs = segmentation_inputs(ctx)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", WorkbenchWarning)
        result = candidates(**kwargs, structural_candidates="best", n_jobs=-1, progress=False)
    for w in caught:  # the CLI owns the terminal: say it in the log, the fit table has the details
        logger.warning("segments: %s", w.message)
    if not len(result):
        msgs = "; ".join(f"{r.candidate}: {r.message}" for r in result.fit_table.itertuples())
        raise AnalysisError(f"no candidate segmentation could be fitted ({msgs[:600]})", file=study.path)
    for m, b in result.bases.items():
        logger.info("segments: %s on %s", m, b)
    ctx.segments = result
    ctx.manifest.counts.update({"segment_candidates": len(result),
                                "segment_candidates_failed": int((result.fit_table["status"] == "failed").sum())})
    sheets, notes = result.to_sheets({c: col.label for c, col in study.columns.items()})
    labels = result.labels()
    if result.choice is not None:
        labels.insert(0, "segment", result.choice.labels)
    labels.index.name = study.respondent_id
    pii = study.pii
    check_no_pii(labels, pii, "segment_labels.csv")

    def write(folder: Path) -> None:
        write_workbook(folder / "segments.xlsx", sheets, pii=pii, notes=notes)
        labels.to_csv(folder / "segment_labels.csv", encoding="utf-8")

    return write


STEPS.append(("segments", step_segments, "fitting candidate segmentations"))

# --- criteria, profiles and personas step (issue: is the segmentation any good?) ---
# Study-aware glue for workbench.criteria / profiles / opportunities / personas: the KPIs
# from the behaviour step, the basis items and thresholds from the study; scorecard.xlsx,
# scorecard.md, profiles.xlsx, opportunities.xlsx and personas.yaml (also merged into
# surveys/<study>/personas.yaml, where a consultant's edits are kept).

#: KPIs the scorecard tests when the study's ``criteria.kpis`` names none (those present).
CORE_KPIS = ("revenue", "frequency", "recency_days", "aov", "rfm_tier", "lapsed", "cost_to_serve",
             "dominant_channel", "digital_share", "return_rate")


def criteria_kpis(ctx: WaveContext):
    """Behavioural KPIs per clean respondent for the scorecard and profiles, or None.

    The study's ``criteria.kpis`` when it names them, else :data:`CORE_KPIS` as far as the
    behaviour step provides them. Nullable integers become floats and nullable booleans
    categories, as the statistics expect.
    """
    import pandas as pd

    from .errors import AnalysisError

    resp = getattr(ctx.behaviour, "respondents", None)
    if resp is None or ctx.clean is None:
        return None
    named = list(ctx.study.spec.criteria.kpis)
    if named:
        unknown = [k for k in named if k not in resp.columns]
        if unknown:
            raise AnalysisError(
                f"criteria.kpis names {', '.join(unknown)}, which the behaviour step does not provide; available: "
                f"{', '.join(c for c in resp.columns if c not in _NOT_KPIS)}", file=ctx.study.path,
            )
    else:
        named = [c for c in CORE_KPIS if c in resp.columns]
    if not named:
        return None
    kpis = resp[named].reindex(ctx.clean.data.index)
    for c in kpis.columns:
        if isinstance(kpis[c].dtype, pd.BooleanDtype):
            kpis[c] = kpis[c].astype(object).where(kpis[c].notna(), None)
        elif pd.api.types.is_integer_dtype(kpis[c]) and not pd.api.types.is_bool_dtype(kpis[c]):
            kpis[c] = kpis[c].astype("Float64").astype(float)
    return kpis


def step_criteria(ctx: WaveContext) -> Writer | None:
    """Score every candidate segmentation (relevant / operational / describable), profile the
    recommended or pinned one, compute its JTBD opportunities and draft its personas.

    Sets ``ctx.scorecard``, ``ctx.profiles``, ``ctx.opportunities`` and ``ctx.personas``.
    The study's ``criteria.pin`` wins; otherwise a choice pinned in ``segmentation.choice``.
    """
    from .criteria import Candidate, score_candidates, study_basis
    from .opportunities import opportunities
    from .personas import draft_personas, merge_personas, personas_path

    study, clean = ctx.study, ctx.clean
    try:
        cands = [c for c in (ctx.segments or []) if isinstance(c, Candidate)]
    except TypeError:  # not iterable: nothing this step understands
        cands = []
    if not cands:
        logger.info("criteria: no candidate segmentations; scorecard, profiles and personas skipped")
        return None
    spec = study.spec.criteria
    chosen = getattr(ctx.segments, "chosen", None)
    if spec.pin is None and chosen is not None:
        try:
            spec = spec.model_copy(update={"pin": ctx.segments[chosen].name})
        except (KeyError, TypeError, AttributeError):
            pass
    skipped = set(clean.missing_columns)
    basis = [c for c in study_basis(study) if c in clean.data.columns and c not in skipped]
    kpis = criteria_kpis(ctx)
    card = score_candidates(cands, clean, kpis=kpis, basis=basis, criteria=spec, weights=clean.weights,
                            min_segment_n=study.spec.min_segment_n, random_state=study.seed)
    logger.info("criteria: recommended %s (%s)", card.recommended, card.reason)
    chosen_cand = next(c for c in cands if str(c.name) == card.recommended)
    prof = card.best.profiles
    opp = opportunities(clean, prof.membership, weights=clean.weights, underserved=spec.underserved,
                        overserved_gap=spec.overserved_gap, min_segment_n=study.spec.min_segment_n)
    drafts = draft_personas(prof, clean, opportunities=opp, posteriors=getattr(chosen_cand, "posteriors", None),
                            random_state=study.seed)
    study_copy = personas_path(study)
    personas = merge_personas(drafts, study_copy, save=False)
    ctx.scorecard, ctx.profiles, ctx.opportunities, ctx.personas = card, prof, opp, personas
    ctx.chosen = chosen_cand
    ctx.manifest.counts.update({"scorecard_candidates": len(cands), "personas": len(personas)})
    pii = study.pii

    def write(folder: Path) -> None:
        card.to_excel(folder / "scorecard.xlsx", pii=pii)
        card.to_markdown(folder / "scorecard.md")
        prof.to_excel(folder / "profiles.xlsx", pii=pii)
        opp.to_excel(folder / "opportunities.xlsx", pii=pii)
        personas.save(folder / "personas.yaml")
        personas.save(study_copy)  # the editable copy beside study.yaml, kept across runs

    return write


STEPS.append(("criteria", step_criteria, "scoring candidates, profiling the chosen one, drafting personas"))


def step_deck(ctx: WaveContext) -> Writer | None:
    """Render the persona deck (``personas.pptx``) and save its inputs (``deck_data.json``).

    Builds nothing without personas (no candidate segmentations); the deck is built here,
    in memory, so that a failure stops the run before any report is written.
    ``deck_data.json`` holds what the slides show as plain data, so that ``workbench deck``
    (:func:`rerender_deck`) can re-render after a consultant edits personas.yaml.
    """
    from .deck import deck_data, render_deck

    if ctx.personas is None or ctx.profiles is None:
        logger.info("deck: no personas; personas.pptx skipped")
        return None
    model_note = getattr(ctx, "model_note", None)
    if model_note is None and ctx.scorecard is None and ctx.manifest.model:
        m = ctx.manifest.model
        model_note = (f"Respondents were classified with the segmentation model of wave {m.get('wave', '?')}"
                      f"{' (' + str(m['name']) + ')' if m.get('name') else ''}; no candidates were compared.")
    data = deck_data(ctx.study, ctx.scorecard, ctx.profiles, ctx.opportunities, wave=ctx.wave, quality=ctx.quality,
                     factors=ctx.factors if isinstance(ctx.factors, dict) else None, segments=ctx.segments,
                     behaviour=ctx.behaviour, model_note=model_note, recognise=_recognise(ctx))
    prs = render_deck(data, ctx.personas, trends=getattr(ctx, "trends", None), study=ctx.study)
    ctx.manifest.counts.update({"deck_slides": len(prs.slides)})
    personas = ctx.personas

    def write(folder: Path) -> None:
        prs.save(str(folder / "personas.pptx"))
        data.save(folder / "deck_data.json", personas)

    return write


def _recognise(ctx: WaveContext) -> dict | None:
    """The deck's "how to recognise the segments" numbers: the typing tool of the model in
    use and this wave's segments for the whole customer base (see ``waveflow``)."""
    from .waveflow import recognise_summary

    return recognise_summary(ctx)


def rerender_deck(study, wave, *, reports="reports", png: bool = False) -> Path:
    """Re-render a wave's ``personas.pptx`` from its saved ``deck_data.json`` and the current
    ``surveys/<study>/personas.yaml``, without re-fitting anything.

    personas.pptx and the report folder's personas.yaml are replaced atomically (temporary
    file, then :func:`os.replace`) and manifest.json records the re-render; every other
    file of the report folder is left as it is.

    Parameters
    ----------
    study : Study or path
    wave : str
    reports : path, default='reports'
    png : bool, default=False
        Also render every slide to ``slides/slide-NN.png`` (needs LibreOffice).

    Returns
    -------
    Path
        The re-rendered personas.pptx.

    Raises
    ------
    OutputError
        No run of that wave (no report folder or no deck_data.json).
    StudyError
        personas.yaml is broken (naming the persona, key and line).
    """
    import datetime as _dt
    import json
    import os

    from .deck import DeckData, apply_persona_edits, render_deck, render_pngs
    from .errors import OutputError
    from .outputs import file_sha256
    from .personas import personas_path

    if not isinstance(study, Study):
        study = load_study(study)
    w = study.wave(wave)
    folder = report_folder(study, w.id, reports)
    if not folder.is_dir():
        raise OutputError(f"no report folder for wave {w.id}: run `workbench run {study.root} --wave {w.id}` first",
                          file=folder)
    data, saved = DeckData.load(folder / "deck_data.json")
    yaml_path = personas_path(study)
    personas = apply_persona_edits(saved, yaml_path)
    from .deck import load_trends

    prs = render_deck(data, personas, study=study, trends=load_trends(folder))  # trends: later waves
    targets = {"personas.pptx": None, "personas.yaml": None}
    tmp_pptx = folder / ".personas.pptx.tmp"
    tmp_yaml = folder / ".personas.yaml.tmp"
    try:
        prs.save(str(tmp_pptx))
        personas.save(tmp_yaml)
        os.replace(tmp_pptx, folder / "personas.pptx")
        os.replace(tmp_yaml, folder / "personas.yaml")
    finally:
        for t in (tmp_pptx, tmp_yaml):
            if t.exists():
                t.unlink()
    for name in targets:
        targets[name] = file_sha256(folder / name)
    man_path = folder / "manifest.json"
    if man_path.exists():
        doc = json.loads(man_path.read_text(encoding="utf-8"))
        doc.setdefault("outputs_sha256", {}).update(targets)
        doc.setdefault("rerenders", []).append({
            "what": "personas.pptx re-rendered from deck_data.json and personas.yaml (nothing re-fitted)",
            "when": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "personas_yaml": str(yaml_path), "personas_yaml_sha256": file_sha256(yaml_path),
            "edited": {p.id: list(p.edited) for p in personas if p.edited},
            "slides": len(prs.slides),
        })
        tmp_man = folder / ".manifest.json.tmp"
        tmp_man.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp_man, man_path)
    if png:
        render_pngs(folder / "personas.pptx", folder / "slides")
    logger.info("deck: re-rendered %s (%d slides)", folder / "personas.pptx", len(prs.slides))
    return folder / "personas.pptx"


STEPS.append(("deck", step_deck, "writing the persona deck"))

# --- model file, typing tool, whole base and tracking (issue: every wave) ---
# The glue lives in workbench.waveflow, which builds on the helpers above.


def step_model(ctx: WaveContext) -> Writer | None:
    """Fit waves: ``model.json``, ``typing_tool.xlsx``; every wave: ``respondent_segments.csv``
    and ``customer_segments.csv`` (see :func:`workbench.waveflow.step_model`)."""
    from .waveflow import step_model as step

    return step(ctx)


def step_tracking(ctx: WaveContext) -> Writer | None:
    """Later waves: ``tracking.xlsx`` (see :func:`workbench.waveflow.step_tracking`)."""
    from .waveflow import step_tracking as step

    return step(ctx)


STEPS[-1:-1] = [
    ("model", step_model, "freezing the model: model file, typing tool, segments for the whole customer base"),
    ("tracking", step_tracking, "tracking sizes, drift and fit against earlier waves"),
]


# --------------------------------------------------------------------------- runs


def run_wave(study, wave, *, reports="reports", force: bool = False, model=None, refit: bool = False) -> WaveRun:
    """Run one wave of a study through every step and write its reports.

    Parameters
    ----------
    study : Study or path
        A loaded study, or its folder / study.yaml.
    wave : str or int
        The wave id as the study declares it.
    reports : path, default='reports'
        Root of the reports tree; outputs go to ``<reports>/<study id>/<wave>``.
    force : bool, default=False
        Replace that wave's existing outputs.
    model : str or path, optional
        Classify this wave with a frozen model: a ``model.json``, a report folder holding
        one, or the id of the wave whose model to use. Default for a later wave: the model
        of the latest earlier wave that has one; the first wave fits its own.
    refit : bool, default=False
        Fit this wave's segmentation afresh even though an earlier model exists.

    Returns
    -------
    WaveRun

    Raises
    ------
    StudyError
        Among others: a later wave with no earlier model (and no ``refit``), or a model
        file whose questions or codes no longer match the study (every change listed).
    """
    from .waveflow import load_frozen, resolve_model

    if not isinstance(study, Study):
        study = load_study(study)
    w = study.wave(wave)
    target = report_folder(study, w.id, reports)
    writer = ReportFolder(target, force=force)  # refuses before any work if outputs exist
    model_path = resolve_model(study, w.id, reports, model, refit)
    frozen = load_frozen(model_path, study) if model_path is not None else None
    man = Manifest(
        study_id=study.id, wave=w.id, seed=study.seed, study_hash=study.hash,
        study_file=str(study.path), study_file_hash=study.file_hash,
    )
    for path in study.wave_files(w.id):
        man.add_input(path)
    beh = study.spec.behaviour
    for src in (beh.transactions, beh.customers) if beh is not None else ():
        if src is not None and src.file is not None:  # a Spark table is not a file
            man.add_input(study.root / src.file)
    if model_path is not None:
        man.add_input(model_path)
        logger.info("classifying wave %s with the model fitted on wave %s (%s)", w.id, frozen.wave, model_path)
    ctx = WaveContext(study=study, wave=w.id, manifest=man, reports=Path(reports), model=frozen,
                      model_path=model_path)
    writers: list[tuple[str, Writer]] = []
    n = len(STEPS) + 1
    for i, (name, func, what) in enumerate(STEPS, start=1):
        logger.info("[%d/%d] %s", i, n, what)
        with man.step(name):
            write = func(ctx)
        if write is not None:
            writers.append((name, write))

    logger.info("[%d/%d] writing reports", n, n)
    with writer as tmp:
        with man.step("write"):
            for _name, write in writers:
                write(tmp)
        man.write(tmp)
    files = sorted(p for p in target.iterdir() if p.is_file())
    return WaveRun(
        study=study, wave=w.id, folder=target, files=files, responses=ctx.responses,
        clean=ctx.clean, quality=ctx.quality, behaviour=ctx.behaviour, factors=ctx.factors,
        segments=ctx.segments, scorecard=ctx.scorecard, profiles=ctx.profiles,
        opportunities=ctx.opportunities, personas=ctx.personas, model=ctx.model if ctx.model is not None else ctx.model_fitted,
        classification=ctx.classification, tracking=ctx.tracking,
    )


def validate(study, waves=None) -> list[tuple[str, Responses, QualityReport]]:
    """Load the study and read and check each wave without writing anything."""
    if not isinstance(study, Study):
        study = load_study(study)
    out = []
    for w in waves or [w.id for w in study.waves]:
        responses = read_responses(study, w)
        out.append((str(w), responses, check_quality(responses, study)))
    return out
