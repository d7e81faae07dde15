"""Step ``factors``: factor analysis of each battery the study's ``factors:`` section names
(default: every needs, motivations and barriers block); ``factors.xlsx``.

Study-aware glue for :mod:`workbench.factors`: which columns of which battery, item labels
and reverse keys from the study, the seed.
"""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd

from ..core.errors import AnalysisError
from ..factors import EFAResult, efa, parallel_analysis
from ..factors.count import add_rules
from ..files.outputs import write_workbook
from .context import Output, Step, WaveContext

__all__ = ["factors", "factor_sheets", "battery_correlation", "STEP"]

logger = logging.getLogger(__name__)


def _factor_battery_data(ctx: WaveContext, blocks: list[str]) -> pd.DataFrame:
    study, data = ctx.study, ctx.weighted.data
    skipped = set(ctx.weighted.missing_columns)
    cols = [c for b in blocks for c in study.block_columns(b)
            if c in data.columns and c not in skipped and study.columns[c].scale.numeric]
    return data[cols]


def battery_correlation(asked: str, scale_types: list[str]) -> str:
    """The correlation a battery is analysed with: as the study asks, or for ``auto`` from its
    scales: tetrachoric when every item is binary, polychoric when every item is ordinal (or
    binary), else Pearson (likert and numeric ratings are treated as interval, as usual for
    5+ point scales; ask for ``correlation: polychoric`` to treat them as ordinal)."""
    if asked != "auto":
        return asked
    kinds = set(scale_types)
    if kinds and kinds <= {"binary"}:
        return "tetrachoric"
    if kinds and kinds <= {"ordinal", "binary"}:
        return "polychoric"
    return "pearson"


def _n_factors(ctx: WaveContext, battery: str, asked, items: list[str]) -> tuple:
    """The number of factors to extract from ``battery`` and why (for the count sentence).

    ``n_factors: auto`` on a later wave (classified with a frozen model) keeps the count of the
    fitted wave's solution, as the model file holds it: the structure tracked across waves is
    the fitted wave's (the tracking step confirms it on this wave by CFA), so a later wave
    must not re-decide it: the counting rules can split differently on a wave whose segment
    mix moved (the demo's wave 2 merges two planted needs on the median of the rules), which
    would also leave a factor name unused. The rules are still reported beside it. A battery
    the model does not hold, or whose items this wave lacks, is counted afresh."""
    model = ctx.loaded_model
    if asked != "auto" or model is None:
        return asked, "as the study asks"
    fitted = next((fs for fs in model.factors if fs.battery == battery), None)
    if fitted is None:
        return asked, "as the study asks"
    lack = [i for i in fitted.items if i not in items]
    if lack:
        logger.info("factors: %s: wave %s lacks %s of the fitted wave's items; the number of factors is counted "
                    "again", battery, ctx.wave, ", ".join(lack))
        return asked, "as the study asks"
    return len(fitted.names), f"as in wave {model.wave}, where the segments were fitted"


def factors(ctx: WaveContext) -> Output:
    """Factor analyse each battery the study's ``factors:`` section names (default: every
    needs, motivations and barriers block) and give the solutions as ``factors``."""
    study = ctx.study
    fspec = study.spec.factors
    batteries = fspec.resolved(study.spec)
    explicit = fspec.batteries is not None
    results, skipped = {}, []
    for name, bat in batteries.items():
        data = _factor_battery_data(ctx, bat.blocks)
        labels = {c: study.columns[c].label for c in data.columns}
        reverse = [c for c in data.columns if study.columns[c].reverse]
        corr = battery_correlation(bat.correlation, [study.columns[c].scale.type for c in data.columns])
        kwargs = dict(correlation=corr, missing=bat.missing)
        if ctx.weighted.weights is not None:  # weighted correlations (Pearson only; polychoric stays unweighted)
            if corr == "pearson":
                kwargs["weights"] = ctx.weighted.weights.reindex(data.index).fillna(0.0)
            else:
                logger.warning("factors: %s: polychoric correlations are not weighted", name)
        names = bat.names or None
        if isinstance(names, dict):  # a marker item this wave did not ask: that factor keeps its suggested name
            gone = [m for m in names if m not in data.columns and m in study.columns]
            if gone:
                logger.warning("factors: %s: marker item(s) %s not asked in wave %s; those factors get suggested "
                               "names", name, ", ".join(gone), ctx.wave)
                names = {m: n for m, n in names.items() if m not in gone} or None
        n_factors, given = _n_factors(ctx, name, bat.n_factors, list(data.columns))
        try:
            res = efa(data, n_factors, method=bat.method, rotation=bat.rotation, labels=labels,
                      names=names, reverse=reverse, cut=bat.cut,
                      percentile=fspec.parallel.percentile, n_iter=fspec.parallel.iterations,
                      random_state=study.seed, progress_bar=False, **kwargs)
            if res.factor_count is None:  # n_factors given: still report what the criteria say
                count = parallel_analysis(data, percentile=fspec.parallel.percentile,
                                          n_iter=fspec.parallel.iterations, random_state=study.seed,
                                          progress_bar=False, **kwargs)
                count = add_rules(count, res.correlation.to_numpy(), random_state=study.seed)
                res = dataclasses.replace(res, factor_count=dataclasses.replace(count, given=given))
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
    if not results:
        return Output({"factors": results})
    sheets, notes = factor_sheets(results, {c: col.label for c, col in study.columns.items()})
    if skipped:
        sheets["Not analysed"] = pd.DataFrame(skipped)
        notes["Not analysed"] = "Default batteries the data could not support, and why."
    pii = study.pii
    return Output({"factors": results},
                  lambda folder: write_workbook(folder / "factors.xlsx", sheets, pii=pii, notes=notes,
                                                labels=study.column_labels(), currency=study.currency))


def _given_note(given: str) -> str:
    return "as the study asks (n_factors)" if given == "as the study asks" else given


def factor_sheets(results: dict[str, EFAResult], labels: dict | None = None) -> tuple[dict, dict]:
    """The sheets of factors.xlsx (sheet name to table) and a note for each."""
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
            c["used"] = c["criterion"].eq(r.factor_count.rule) & (r.n_factors == r.factor_count.recommended)
            c.loc[-1] = {"battery": name, "criterion": "why this number of factors", "factors": r.n_factors,
                         "note": r.count_sentence(), "used": True}  # one line a client can follow, first
            c = c.sort_index().reset_index(drop=True)
            c.loc[len(c)] = {"battery": name, "criterion": "factors extracted", "factors": r.n_factors,
                             "note": _given_note(r.factor_count.given) if r.n_factors != r.factor_count.recommended
                             else f"the recommendation ({r.factor_count.rule})", "used": True}
            if r.factor_count.decision is not None:  # n_factors: auto - every count tried, and why
                for row in r.factor_count.decision.itertuples():
                    c.loc[len(c)] = {"battery": name, "criterion": f"auto: {row.factors} factor(s) {row.verdict}",
                                     "factors": row.factors, "note": row.reason, "used": row.verdict.startswith("kept")}
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
        "Factor count": ("First, in one line, which rules agreed and why this number of factors; then how many "
                         "factors each criterion suggests; with the number of factors set to auto in study.yaml, the "
                         "decision (the middle count of parallel analysis of factors against the mean, exploratory "
                         "graph analysis and the next eigenvalue sufficiency test, lowered until every factor has 3 "
                         "salient items and no Heywood case) and every count tried, with the reason."),
        "Variance": "Variance each factor accounts for (oblique rotations: includes what factors share).",
        "Reliability": "Cronbach's alpha (raw, standardised) and McDonald's omega total of each factor's items; "
                       "items loading negatively on their factor are reversed (column 'reversed'). Alpha >= .70 is the usual bar.",
        "Reliability items": "Per item: key (-1 reversed), corrected item-total r, alpha if the item were dropped.",
        "Factor correlations": "Correlations between the factors of each battery (oblique rotations).",
    }
    for sheet, table in loadings.items():
        notes[sheet] = ("Pattern loadings sorted by factor; loadings below the cut are blank. h2 = communality, "
                        "u2 = uniqueness; cross-loading lists other factors an item also loads on.")
    return sheets, notes


STEP = Step("factors", factors, needs=("weighted",), uses=("loaded_model",), gives=("factors",),
            what="factor analysing the batteries")
