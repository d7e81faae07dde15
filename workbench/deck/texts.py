"""Every text the deck writes, in one table per language, and numbers as each language writes them.

The deck speaks the study's declared language (``study: language:`` in study.yaml, saved in
``DeckData.language``): each slide builder asks :func:`words` for a :class:`Words` of that
language and writes ``w("summary.title")`` or ``w("sizes.base", n=w.n(1234))`` instead of an
English literal; numbers go through :meth:`Words.n` (thousands separator and decimal comma as
the language writes them: 1,234.5 · 1.234,5 · 1 234,5).

To add a text you must add its key to *every* table below (``EN``, ``DA``, ``SV``, ``NB``,
``NL``) with the same ``{placeholders}``; ``tests/test_deck_language.py`` fails on a key or a
placeholder missing in one language.  To add a language you must add its table to
:data:`TEXTS` with every key of ``EN`` and its number style to :data:`NUMBER_STYLE`; a study in
a language without a table gets the English deck (with a log line).

The texts are written as a consultant of that market would write them, not word for word from
the English: Danish "kunder" and "respondenter", Swedish "kunder" and "svarande", Norwegian
(bokmål) "kunder" and "respondenter", Dutch "klanten" and "respondenten".
"""

from __future__ import annotations

import logging
import re
import string

from ..language import MEASURE_LABELS, NUMBER_STYLE as _NUMBERS, language_code, number

__all__ = ["words", "Words", "TEXTS", "NUMBER_STYLE", "deck_language"]

logger = logging.getLogger("workbench.deck")

# ----------------------------------------------------------------------------------------- English
EN = {
    # deck-wide
    "wave": "wave {wave}",
    "Wave": "Wave {wave}",
    "footer": "{title} · wave {wave} · {date}",
    "continued": "{title} (continued)",
    "segment_n": "Segment {segment}",
    "pct_respondents": "{pct} % of respondents",
    "pct_respondents_n": "{pct} % of respondents (n={n})",
    "persona_sub": "{pct} % of respondents · n={n} · segment {segment}",
    "persona_sub_short": "{pct} % of respondents · n={n}",
    "all_value": "all: {value}",
    "not_shown": "Not shown: {names}, below the minimum of n={min_n} for reporting.",
    "not_shown_item": "segment {segment} (n={n})",
    "and": "and",
    # title
    "title.subtitle": "Customer personas",
    "title.wave_label": "Wave {wave}: {label}",
    "title.notes1": "Study: {study}, wave {wave}.",
    "title.notes2": "Deck date: {date}.",
    "title.notes3": "Personas shown: {k}; respondents profiled: n={n}.",
    # agenda
    "agenda.title": "Agenda and the study",
    "agenda.about": "About the study",
    "agenda.findings": "Key findings",
    "agenda.summary": "Executive summary",
    "agenda.glance": "The segments at a glance",
    "agenda.sizes": "Segment sizes",
    "agenda.trends": "Changes since the last wave",
    "agenda.matrix": "How the segments differ",
    "agenda.personas": "The {k} personas: who they are, their behaviour and how to win them",
    "agenda.personas0": "The personas",
    "agenda.recommendations": "Recommendations",
    "agenda.recognise": "How to recognise the segments",
    "agenda.appendix": "Appendix: method, quality and model choice",
    "agenda.notes": "The agenda lists only the sections this deck has.",
    "fact.fieldwork": "Fieldwork: {dates}",
    "fact.sample": "Sample: {read} respondents; {kept} kept after quality checks",
    "fact.base": "Base: {n} respondents placed in a segment",
    "fact.weighted": " (weighted to the customer base)",
    # findings
    "findings.sub": "Key findings",
    "findings.protect": "Protect {name}: {pct} % of respondents bring {rev} % of revenue.",
    "findings.win": "Win {name} first by solving “{outcome}”: their largest opportunity ({score} of 20).",
    "findings.start": "Start with {name}: priority 1 of {k} ({pct} % of respondents).",
    "findings.largest": "{name} is the largest segment ({pct} % of respondents).",
    "findings.channel": "Use {channel} to reach {k} of the {total} segments: it is their most common main ordering "
                        "channel.",
    "findings.notes": "Key findings, most important first; the title states the first.",
    # executive summary
    "summary.title": "Executive summary",
    "summary.sub": "{k} customer segments, n={n} respondents, in order of priority",
    "summary.line": "Priority {priority}: {name} — {pct} % of respondents (n={n}){value}",
    "summary.value_part": ", {pct} % of {what}",
    "summary.revenue": "{label} {value} (all customers: {total})",
    "summary.opportunity": "largest opportunity: {outcome} ({score} of 20)",
    "summary.reach": "reach them via {channel} ({pct} % have it as main channel)",
    "summary.notes": "Segment {segment}: {name}; n={n}, share {pct} %.",
    "priority.size_only": "Priority = size (share of respondents): the study has neither revenue nor JTBD outcomes "
                          "to weigh it by.",
    "priority.rule": "Priority = attractiveness = {names}: {terms}.",
    "priority.size": "size",
    "priority.value": "value",
    "priority.opportunity": "opportunity",
    "priority.size_term": "share of respondents",
    "priority.value_term": "revenue per customer relative to the average",
    "priority.opportunity_term": "largest opportunity score relative to 10",
    "status": "Status: the recommended segmentation fails the {criteria} criterion.",
    "status_many": "Status: the recommended segmentation fails the {criteria} criteria.",
    "criterion.relevant": "relevant",
    "criterion.operational": "operational",
    "criterion.describable": "describable",
    "value.revenue": "revenue",
    "value.cost_to_serve": "cost to serve",
    # at a glance
    "glance.title": "The segments at a glance",
    "glance.sub": "In order of priority: {parts}",
    "glance.size": "size",
    "glance.value": "value",
    "glance.need": "need",
    "glance.opportunity": "opportunity",
    "glance.reach": "how to reach them",
    "glance.of_value": "{pct} % of {what}",
    "glance.needs": "Needs most: {need}",
    "glance.opportunity_line": "Largest opportunity: {outcome}",
    "glance.reach_line": "Reach them via {channel} ({pct} %)",
    "glance.priority": "Priority {priority} of {k}",
    # sizes
    "sizes.title": "Segment sizes",
    "sizes.title_value": "Segment sizes and value",
    "sizes.sub": "Share of respondents (weighted), segments in order of size",
    "sizes.sub_unweighted": "Share of respondents, segments in order of size",
    "sizes.sub_value": "; beside it each segment's share of {what} (surveyed customers)",
    "sizes.base": "Base: {n} respondents placed in a segment",
    "sizes.base_weighted": "Base: {n} respondents placed in a segment, weighted",
    "sizes.base_value": "; revenue and cost to serve: the surveyed customers' order history",
    "sizes.series": "Share of respondents (%)",
    "sizes.series_value": "Share of {what} (%)",
    "sizes.notes": "{name}: n={n}{wn}, {pct} % of respondents{value}.",
    "sizes.weighted_n": ", weighted n={n}",
    # trends
    "trend.title": "Segment sizes over waves",
    "trend.sub": "Share of respondents per wave (%), one line per segment; bars: 95 % confidence intervals",
    "trend.notes": "Wave {wave}, segment {segment} {name}: n={n}, share {pct} % (95 % confidence interval "
                   "{low}-{high} %).",
    "moves.title": "Key movements",
    "moves.sub": "Wave {first} to wave {last}",
    "moves.none": "No segment moved beyond its confidence interval.",
    "moves.grew": "{name} grew from {a} % to {b} % ({diff} points)",
    "moves.shrank": "{name} shrank from {a} % to {b} % ({diff} points)",
    "moves.significant": "; the change is larger than chance would give.",
    "refit.title": "Refit or keep the model?",
    "refit.notes": "Refit advice: {text}",
    # matrix
    "matrix.title": "How the segments differ",
    "matrix.sub_index": "Index vs total (100 = average) for {groups}",
    "matrix.sub_opportunity": "JTBD opportunity scores",
    "group.needs": "Needs",
    "group.motivations": "Motivations",
    "group.barriers": "Barriers",
    "group.behaviour": "Behaviour",
    "group.opportunity": "Opportunity",
    "matrix.all_label": "{label} (all customers: {value})",
    "matrix.all_label_survey": "{label} (all respondents: {value})",
    "matrix.legend": "Shaded: significantly above (orange; dark ≥ 120) or below (blue; dark ≤ 80) the rest of the "
                     "sample, ▲ / ▼.",
    "matrix.letters": "Letters: the column differs significantly from the segment with that letter ({test}; "
                      "{correction}, 5 %).",
    "matrix.test_z": "two-proportion z-tests",
    "matrix.test_t": "Welch t-tests",
    "matrix.test_both": "z-tests of shares, Welch t-tests of means",
    "matrix.correction": "Holm-corrected per row",
    "matrix.legend_opportunity": " Opportunity (0-20) = importance + max(importance − satisfaction, 0), both on 0-10 "
                                 "scales; purple ≥ {limit}: underserved.",
    "matrix.note_value": "{value} vs {total}, index {index}",
    "matrix.note_opportunity": "importance {imp}, satisfaction {sat}",
    "matrix.note_label_opportunity": "{label} (opportunity score)",
    # persona
    "persona.who": "Who they are",
    "persona.needs": "Top needs",
    "persona.motivations": "Motivations",
    "persona.barriers": "Barriers",
    "persona.win": "How to win them",
    "persona.chart_title": "Index vs total (line at 100 = average): needs, motivations, barriers",
    "persona.base": "Base: this segment n={n}, all respondents n={total}. Each item as {measures}, indexed to the "
                    "total.",
    "persona.in_language": "In {language}: “{text}”",
    "persona.notes_item": "{label} ({kind}): {value} vs {total} for all respondents ({measure}), index {index}{sig}",
    "persona.notes_continued": "{name} continued ({k}): {items} items.",
    "kind.needs": "need",
    "kind.motivations": "motivation",
    "kind.barriers": "barrier",
    "behaviour.title": "{name}: behaviour and how to win them",
    "behaviour.sub": "{pct} % of respondents · n={n} · order history as of the wave",
    "behaviour.title_win": "{name}: how to win them",
    "behaviour.tiers": "RFM tier mix (% of customers)",
    "behaviour.channels": "Main ordering channel in the order history (% of customers)",
    "behaviour.base": "Base: the segment's respondents linked to the order history, against all of them.",
    "behaviour.all_series": "All surveyed customers",
    "behaviour.all_series_erp": "All customers (customer base)",
    "behaviour.base_erp": "Base: the segment's respondents linked to the order history; grey: every customer in the "
                          "customer base.",
    "behaviour.underserved": "Top underserved outcomes",
    "behaviour.under_item": "{label}: opportunity {score} of 20 (importance {imp}, satisfaction {sat}, on 0-10)",
    "behaviour.notes_kpi": "{label}: {value} vs {total} for all{sig}.",
    "behaviour.notes_under": "Underserved: {label}: importance {imp}, satisfaction {sat}, opportunity {score}",
    "behaviour.notes_win": "How to win them: {text}",
    "behaviour.notes_mix": "{title}: {items}",
    "win.solve": "Solve “{outcome}” first: importance {imp} but satisfaction {sat} on 0-10 (opportunity {score} of 20).",
    "win.lead": "Lead with {label}",
    "win.speak": "Speak to “{label}”",
    "win.worry": "Take away the worry: {label}",
    "win.answer": "Answer “{label}”",
    "win.figures": "{what} ({value} % vs {total} % of all respondents).",
    "win.reach": "Reach them through {channel}: the main ordering channel of {pct} % of them (all surveyed customers: "
                 "{total} %).",
    # recommendations
    "rec.title": "Recommendations",
    "rec.sub": "One first move per segment, in order of priority",
    # recognise
    "rec.recognise_title": "How to recognise the segments",
    "recognise.sub": "Golden questions for new contacts",
    "recognise.sub_crm": "; a segment for every customer in the CRM",
    "recognise.golden1": "1 golden question",
    "recognise.golden": "{k} golden questions",
    "recognise.accuracy": "Answered together, they put {acc} % of respondents in their own segment (cross-validated; "
                          "guessing the largest segment: {base} %). The typing tool delivered with this deck computes "
                          "the segment as the answers are typed in.",
    "recognise.screening": "The scorecard's describable check quotes {acc} %: a quicker screening model fitted while "
                           "comparing candidates; the typing tool is the one to use, refitted on the chosen "
                           "segmentation.",
    "recognise.refused": "Not recommended for typing new contacts: the typing tool does not place respondents well "
                         "enough.",
    "recognise.crm": "Every customer in the CRM",
    "recognise.customers": "{customers} customers of the base have a segment: {survey} from their survey answers, "
                           "{model} placed from behaviour and firmographics ({confident} of them confidently).",
    "recognise.base_refused": "Customers without survey answers are not placed: behaviour does not predict the "
                              "segments well enough.",
    "recognise.base_accuracy": "The placement puts {acc} % of respondents in their own segment (cross-validated; "
                               "guessing the largest segment: {base} %), so treat model-placed customers as likely, "
                               "not certain, members.",
    "recognise.list": "The customer list delivered with this deck holds the segment, its source and the probability "
                      "per customer.",
    "recognise.notes_golden": "Golden questions (fitted on wave {wave}): {questions}",
    "recognise.notes_accuracy": "Typing accuracy {acc} % (guessing the largest segment: {base} %).",
    # appendix: method
    "method.title": "Appendix: method and quality",
    "method.sub": "Sample, exclusions, weighting and how the segments were found",
    "method.sample": "Sample: {read} respondents read, {kept} kept, {excluded} excluded (quality checks on the right).",
    "method.weighted": "Weighting: the respondents are weighted to the customer base.",
    "method.unweighted": "Unweighted: every respondent counts once.",
    "method.chosen": "Segmentation: {candidate} chosen from {k} candidate segmentations.",
    "method.chosen_pinned": "Segmentation: {candidate} chosen from {k} candidate segmentations (set by the study).",
    "method.frozen": "Segmentation: the respondents were classified with the model fitted on wave {wave}.",
    "method.frozen_any": "Segmentation: the respondents were classified with a saved segmentation model.",
    "method.skipped": "Not in this run: {steps}.",
    "method.basis": "{method}: {items} answers segmented",
    "method.profiles": "Profiles: index = segment ÷ total × 100; ▲ / ▼ = significantly above / below the rest of the "
                       "sample; segments below n={min_n} are not shown.",
    "method.profiles_hidden": "Profiles: index = segment ÷ total × 100; ▲ / ▼ = significantly above / below the rest "
                              "of the sample; segments below n={min_n} are not shown ({k} suppressed).",
    "method.no_quality": "No quality report in this run.",
    "method.col_check": "check",
    "method.col_action": "action",
    "method.col_flagged": "flagged",
    "method.col_excluded": "excluded",
    "step.behaviour": "behaviour",
    "step.opportunities": "opportunity scores",
    "step.tracking": "tracking",
    "step.forward": "next year's behaviour",
    "step.accounts": "accounts",
    "step.other": "{step}",
    # appendix: factors
    "factors.title": "Appendix: factor solution",
    "factors.sub": "Factors per battery, their items, variance explained and reliability (Cronbach's alpha)",
    "factors.col_battery": "battery",
    "factors.col_factor": "factor",
    "factors.col_items": "items",
    "factors.col_variance": "% variance",
    "factors.col_alpha": "alpha",
    # appendix: fit
    "fit.title": "Appendix: candidate segmentations",
    "fit.sub": "Fit of every candidate (BIC: lower is better; entropy and stability: higher is better)",
    "fit.col_candidate": "candidate",
    "fit.col_k": "k",
    "fit.col_bic": "BIC",
    "fit.col_entropy": "entropy",
    "fit.col_smallest": "smallest segment",
    "fit.col_stability": "stability",
    "fit.col_starts": "starts at best",
    "fit.col_blrt": "BLRT p",
    "fit.col_bvr": "largest BVR",
    "fit.col_status": "status",
    "fit.recommended": "Recommended: {candidate}",
    "fit.no_scorecard": "No scorecard in this run.",
    "fit.side1": "Highlighted. BIC is not defined for k-means; its entropy is 1 by construction.",
    "fit.side2": "Starts at best: random starts reaching the best fit (+ added). BLRT p at most 0.05: k segments fit "
                 "better than k-1 (≤: the smallest p the draws allow). BVR above 10: two items stay related within "
                 "segments.",
    "fit.notes": "The table compares every candidate segmentation; the highlighted one is recommended.",
    "candidate": "{method}, {k} segments",
    # appendix: scorecard
    "card.title": "Appendix: choosing the segmentation",
    "card.sub": "Relevant · operational · describable, for each candidate",
    "card.title_frozen": "Appendix: the segmentation re-checked on this wave",
    "card.sub_frozen": "Relevant · operational · describable, on wave {wave}'s respondents",
    "card.col_rank": "rank",
    "card.col_candidate": "candidate",
    "card.col_k": "k",
    "card.col_relevant": "relevant",
    "card.col_operational": "operational",
    "card.col_describable": "describable",
    "card.col_typing": "typing accuracy",
    "card.pass": "pass",
    "card.fail": "fail",
    "card.kept": "Kept from the fitted wave",
    "card.top": " Showing the top {k} of {total} candidates.",
    "card.reason": "It ranks first on the three criteria: {passed}.",
    "card.reason_fails": "It ranks first on the three criteria; it fails: {failed}.",
    "card.recheck": "The model fitted on wave {wave} still {verdict} on this wave's respondents.",
    "card.passes_all": "passes every criterion",
    "card.fails_some": "fails: {failed}",
    # appendix: model
    "model.title": "Appendix: how respondents were classified",
    "model.none": "No candidate comparison in this run: the respondents were classified with a saved segmentation "
                  "model.",
    # forward
    "fwd.title": "Do the segments predict next year?",
    "fwd.sub": "What each segment's customers did in the {months} months after the survey",
    "fwd.lapsed": "Stopped buying (%)",
    "fwd.switched": "Changed main channel (%)",
    "fwd.pass": "Yes — beyond what the order history already tells",
    "fwd.fail": "Not beyond what the order history already tells",
    "fwd.not_measured": "Not measured yet",
    "fwd.corrected": "Shares are corrected for respondents whose segment is uncertain where the model allows it.",
    "fwd.out_lapsed": "Who stops buying",
    "fwd.out_switch": "Who changes channel",
    "fwd.out_revenue": "How much revenue grows or shrinks",
    "fwd.adds": "the segments add to the prediction",
    "fwd.adds_nothing": "the segments add nothing sure",
    "fwd.r2": "{what}: the order history alone explains {base} % of the differences between customers, with the "
              "segment {with_} % — {verdict}.",
    "fwd.auc": "{what}: prediction score {base} from the order history alone, {with_} with the segment (0.5 = a coin "
               "toss, 1 = a perfect prediction) — {verdict}.",
    "fwd.headline": "Knowing the segment predicts {outcomes} better than the order history alone.",
    "fwd.headline_not": "Knowing the segment does not predict next year's behaviour better than the order history "
                        "alone.",
    "fwd.notes": "Horizon: {months} months after the reference date; outcomes of the respondents' customers.",
    # review tag of deck --update
    "review": "Review before sending: {why}",
    # units as the slides show them (measure labels: workbench.language.MEASURE_LABELS)
    "unit.days": "days",
    "unit.orders": "orders",
    "unit.units": "units",
    "unit.customers_pct": "% of customers",
    "tier.gold": "gold",
    "tier.silver": "silver",
    "tier.bronze": "bronze",
    "tier.no purchases": "no purchases",
}

# ------------------------------------------------------------------------------------------ Danish
DA = {
    "wave": "bølge {wave}",
    "Wave": "Bølge {wave}",
    "footer": "{title} · bølge {wave} · {date}",
    "continued": "{title} (fortsat)",
    "segment_n": "Segment {segment}",
    "pct_respondents": "{pct} % af respondenterne",
    "pct_respondents_n": "{pct} % af respondenterne (n={n})",
    "persona_sub": "{pct} % af respondenterne · n={n} · segment {segment}",
    "persona_sub_short": "{pct} % af respondenterne · n={n}",
    "all_value": "alle: {value}",
    "not_shown": "Ikke vist: {names}, under minimum på n={min_n} for rapportering.",
    "not_shown_item": "segment {segment} (n={n})",
    "and": "og",
    "title.subtitle": "Kundepersonaer",
    "title.wave_label": "Bølge {wave}: {label}",
    "title.notes1": "Undersøgelse: {study}, bølge {wave}.",
    "title.notes2": "Præsentationens dato: {date}.",
    "title.notes3": "Viste personaer: {k}; profilerede respondenter: n={n}.",
    "agenda.title": "Dagsorden og undersøgelsen",
    "agenda.about": "Om undersøgelsen",
    "agenda.findings": "Hovedkonklusioner",
    "agenda.summary": "Resumé",
    "agenda.glance": "Segmenterne i overblik",
    "agenda.sizes": "Segmenternes størrelse",
    "agenda.trends": "Ændringer siden sidste bølge",
    "agenda.matrix": "Hvordan segmenterne adskiller sig",
    "agenda.personas": "De {k} personaer: hvem de er, deres adfærd og hvordan de vindes",
    "agenda.personas0": "Personaerne",
    "agenda.recommendations": "Anbefalinger",
    "agenda.recognise": "Sådan genkendes segmenterne",
    "agenda.appendix": "Bilag: metode, kvalitet og valg af model",
    "agenda.notes": "Dagsordenen viser kun de afsnit, denne præsentation har.",
    "fact.fieldwork": "Feltarbejde: {dates}",
    "fact.sample": "Stikprøve: {read} respondenter; {kept} tilbage efter kvalitetskontrol",
    "fact.base": "Base: {n} respondenter placeret i et segment",
    "fact.weighted": " (vejet til kundebasen)",
    "findings.sub": "Hovedkonklusioner",
    "findings.protect": "Beskyt {name}: {pct} % af respondenterne står for {rev} % af omsætningen.",
    "findings.win": "Vind {name} først ved at løse “{outcome}”: deres største mulighed ({score} af 20).",
    "findings.start": "Begynd med {name}: prioritet 1 af {k} ({pct} % af respondenterne).",
    "findings.largest": "{name} er det største segment ({pct} % af respondenterne).",
    "findings.channel": "Brug {channel} til at nå {k} af de {total} segmenter: det er deres mest almindelige "
                        "bestillingskanal.",
    "findings.notes": "Hovedkonklusioner, de vigtigste først; titlen er den første.",
    "summary.title": "Resumé",
    "summary.sub": "{k} kundesegmenter, n={n} respondenter, i prioriteret rækkefølge",
    "summary.line": "Prioritet {priority}: {name} — {pct} % af respondenterne (n={n}){value}",
    "summary.value_part": ", {pct} % af {what}",
    "summary.revenue": "{label} {value} (alle kunder: {total})",
    "summary.opportunity": "største mulighed: {outcome} ({score} af 20)",
    "summary.reach": "nås via {channel} ({pct} % har den som primær kanal)",
    "summary.notes": "Segment {segment}: {name}; n={n}, andel {pct} %.",
    "priority.size_only": "Prioritet = størrelse (andel af respondenterne): undersøgelsen har hverken omsætning "
                          "eller JTBD-udfald at vægte med.",
    "priority.rule": "Prioritet = attraktivitet = {names}: {terms}.",
    "priority.size": "størrelse",
    "priority.value": "værdi",
    "priority.opportunity": "mulighed",
    "priority.size_term": "andel af respondenterne",
    "priority.value_term": "omsætning pr. kunde i forhold til gennemsnittet",
    "priority.opportunity_term": "største mulighedsscore i forhold til 10",
    "status": "Status: den anbefalede segmentering opfylder ikke kriteriet {criteria}.",
    "status_many": "Status: den anbefalede segmentering opfylder ikke kriterierne {criteria}.",
    "criterion.relevant": "relevant",
    "criterion.operational": "operationel",
    "criterion.describable": "beskrivbar",
    "value.revenue": "omsætningen",
    "value.cost_to_serve": "betjeningsomkostningerne",
    "glance.title": "Segmenterne i overblik",
    "glance.sub": "I prioriteret rækkefølge: {parts}",
    "glance.size": "størrelse",
    "glance.value": "værdi",
    "glance.need": "behov",
    "glance.opportunity": "mulighed",
    "glance.reach": "hvordan de nås",
    "glance.of_value": "{pct} % af {what}",
    "glance.needs": "Har mest brug for: {need}",
    "glance.opportunity_line": "Største mulighed: {outcome}",
    "glance.reach_line": "Nås via {channel} ({pct} %)",
    "glance.priority": "Prioritet {priority} af {k}",
    "sizes.title": "Segmenternes størrelse",
    "sizes.title_value": "Segmenternes størrelse og værdi",
    "sizes.sub": "Andel af respondenterne (vejet), segmenterne efter størrelse",
    "sizes.sub_unweighted": "Andel af respondenterne, segmenterne efter størrelse",
    "sizes.sub_value": "; ved siden af hvert segments andel af {what} (de adspurgte kunder)",
    "sizes.base": "Base: {n} respondenter placeret i et segment",
    "sizes.base_weighted": "Base: {n} respondenter placeret i et segment, vejet",
    "sizes.base_value": "; omsætning og betjeningsomkostninger: de adspurgte kunders ordrehistorik",
    "sizes.series": "Andel af respondenterne (%)",
    "sizes.series_value": "Andel af {what} (%)",
    "sizes.notes": "{name}: n={n}{wn}, {pct} % af respondenterne{value}.",
    "sizes.weighted_n": ", vejet n={n}",
    "trend.title": "Segmenternes størrelse over bølgerne",
    "trend.sub": "Andel af respondenterne pr. bølge (%), én linje pr. segment; streger: 95 %-konfidensintervaller",
    "trend.notes": "Bølge {wave}, segment {segment} {name}: n={n}, andel {pct} % (95 %-konfidensinterval "
                   "{low}-{high} %).",
    "moves.title": "De vigtigste bevægelser",
    "moves.sub": "Bølge {first} til bølge {last}",
    "moves.none": "Intet segment har flyttet sig ud over sit konfidensinterval.",
    "moves.grew": "{name} voksede fra {a} % til {b} % ({diff} point)",
    "moves.shrank": "{name} faldt fra {a} % til {b} % ({diff} point)",
    "moves.significant": "; ændringen er større, end tilfældet ville give.",
    "refit.title": "Ny segmentering eller behold modellen?",
    "refit.notes": "Råd om ny segmentering: {text}",
    "matrix.title": "Hvordan segmenterne adskiller sig",
    "matrix.sub_index": "Indeks mod total (100 = gennemsnit) for {groups}",
    "matrix.sub_opportunity": "JTBD-mulighedsscorer",
    "group.needs": "Behov",
    "group.motivations": "Motivation",
    "group.barriers": "Barrierer",
    "group.behaviour": "Adfærd",
    "group.opportunity": "Mulighed",
    "matrix.all_label": "{label} (alle kunder: {value})",
    "matrix.all_label_survey": "{label} (alle respondenter: {value})",
    "matrix.legend": "Farvet: signifikant over (orange; mørk ≥ 120) eller under (blå; mørk ≤ 80) resten af "
                     "stikprøven, ▲ / ▼.",
    "matrix.letters": "Bogstaver: kolonnen adskiller sig signifikant fra segmentet med det bogstav ({test}; "
                      "{correction}, 5 %).",
    "matrix.test_z": "z-test af to andele",
    "matrix.test_t": "Welch t-test",
    "matrix.test_both": "z-test af andele, Welch t-test af gennemsnit",
    "matrix.correction": "Holm-korrigeret pr. række",
    "matrix.legend_opportunity": " Mulighed (0-20) = vigtighed + max(vigtighed − tilfredshed, 0), begge på 0-10; "
                                 "lilla ≥ {limit}: udækket behov.",
    "matrix.note_value": "{value} mod {total}, indeks {index}",
    "matrix.note_opportunity": "vigtighed {imp}, tilfredshed {sat}",
    "matrix.note_label_opportunity": "{label} (mulighedsscore)",
    "persona.who": "Hvem de er",
    "persona.needs": "Største behov",
    "persona.motivations": "Motivation",
    "persona.barriers": "Barrierer",
    "persona.win": "Sådan vindes de",
    "persona.chart_title": "Indeks mod total (linje ved 100 = gennemsnit): behov, motivation, barrierer",
    "persona.base": "Base: dette segment n={n}, alle respondenter n={total}. Hvert udsagn som {measures}, indekseret "
                    "til totalen.",
    "persona.in_language": "På {language}: “{text}”",
    "persona.notes_item": "{label} ({kind}): {value} mod {total} for alle respondenter ({measure}), indeks "
                          "{index}{sig}",
    "persona.notes_continued": "{name} fortsat ({k}): {items} punkter.",
    "kind.needs": "behov",
    "kind.motivations": "motivation",
    "kind.barriers": "barriere",
    "behaviour.title": "{name}: adfærd og hvordan de vindes",
    "behaviour.sub": "{pct} % af respondenterne · n={n} · ordrehistorik på bølgens tidspunkt",
    "behaviour.title_win": "{name}: sådan vindes de",
    "behaviour.tiers": "RFM-niveau (% af kunderne)",
    "behaviour.channels": "Primær bestillingskanal i ordrehistorikken (% af kunderne)",
    "behaviour.base": "Base: segmentets respondenter koblet til ordrehistorikken, mod dem alle.",
    "behaviour.all_series": "Alle adspurgte kunder",
    "behaviour.all_series_erp": "Alle kunder (kundebasen)",
    "behaviour.base_erp": "Base: segmentets respondenter koblet til ordrehistorikken; grå: alle kunder i kundebasen.",
    "behaviour.underserved": "Største udækkede behov",
    "behaviour.under_item": "{label}: mulighed {score} af 20 (vigtighed {imp}, tilfredshed {sat}, på 0-10)",
    "behaviour.notes_kpi": "{label}: {value} mod {total} for alle{sig}.",
    "behaviour.notes_under": "Udækket: {label}: vigtighed {imp}, tilfredshed {sat}, mulighed {score}",
    "behaviour.notes_win": "Sådan vindes de: {text}",
    "behaviour.notes_mix": "{title}: {items}",
    "win.solve": "Løs “{outcome}” først: vigtighed {imp}, men tilfredshed {sat} på 0-10 (mulighed {score} af 20).",
    "win.lead": "Gå forrest med {label}",
    "win.speak": "Tal ind i “{label}”",
    "win.worry": "Fjern bekymringen: {label}",
    "win.answer": "Svar på “{label}”",
    "win.figures": "{what} ({value} % mod {total} % af alle respondenter).",
    "win.reach": "Nå dem via {channel}: den primære bestillingskanal for {pct} % af dem (alle adspurgte kunder: "
                 "{total} %).",
    "rec.title": "Anbefalinger",
    "rec.sub": "Ét første skridt pr. segment, i prioriteret rækkefølge",
    "rec.recognise_title": "Sådan genkendes segmenterne",
    "recognise.sub": "Gyldne spørgsmål til nye kontakter",
    "recognise.sub_crm": "; et segment for hver kunde i CRM",
    "recognise.golden1": "1 gyldent spørgsmål",
    "recognise.golden": "{k} gyldne spørgsmål",
    "recognise.accuracy": "Besvaret sammen placerer de {acc} % af respondenterne i deres eget segment "
                          "(krydsvalideret; gæt på det største segment: {base} %). Typeværktøjet, der følger med "
                          "præsentationen, beregner segmentet, mens svarene tastes ind.",
    "recognise.screening": "Scorekortets beskrivbarhedstjek angiver {acc} %: en hurtigere screeningsmodel tilpasset "
                           "under sammenligningen af kandidater; brug typeværktøjet, der er tilpasset den valgte "
                           "segmentering.",
    "recognise.refused": "Anbefales ikke til at typebestemme nye kontakter: typeværktøjet placerer ikke "
                         "respondenterne godt nok.",
    "recognise.crm": "Hver kunde i CRM",
    "recognise.customers": "{customers} kunder i basen har et segment: {survey} ud fra deres svar, {model} placeret "
                           "ud fra adfærd og virksomhedsdata ({confident} af dem med sikkerhed).",
    "recognise.base_refused": "Kunder uden svar placeres ikke: adfærden forudsiger ikke segmenterne godt nok.",
    "recognise.base_accuracy": "Placeringen sætter {acc} % af respondenterne i deres eget segment (krydsvalideret; "
                               "gæt på det største segment: {base} %), så betragt modelplacerede kunder som "
                               "sandsynlige, ikke sikre, medlemmer.",
    "recognise.list": "Kundelisten, der følger med præsentationen, viser segmentet, dets kilde og sandsynligheden "
                      "pr. kunde.",
    "recognise.notes_golden": "Gyldne spørgsmål (tilpasset på bølge {wave}): {questions}",
    "recognise.notes_accuracy": "Træfsikkerhed {acc} % (gæt på det største segment: {base} %).",
    "method.title": "Bilag: metode og kvalitet",
    "method.sub": "Stikprøve, frasortering, vejning og hvordan segmenterne blev fundet",
    "method.sample": "Stikprøve: {read} respondenter læst, {kept} beholdt, {excluded} frasorteret "
                     "(kvalitetskontrol til højre).",
    "method.weighted": "Vejning: respondenterne er vejet til kundebasen.",
    "method.unweighted": "Uvejet: hver respondent tæller én gang.",
    "method.chosen": "Segmentering: {candidate} valgt blandt {k} mulige segmenteringer.",
    "method.chosen_pinned": "Segmentering: {candidate} valgt blandt {k} mulige segmenteringer (fastlagt i "
                            "undersøgelsen).",
    "method.frozen": "Segmentering: respondenterne er klassificeret med modellen fra bølge {wave}.",
    "method.frozen_any": "Segmentering: respondenterne er klassificeret med en gemt segmenteringsmodel.",
    "method.skipped": "Ikke med i denne kørsel: {steps}.",
    "method.basis": "{method}: svar på {items} segmenteret",
    "method.profiles": "Profiler: indeks = segment ÷ total × 100; ▲ / ▼ = signifikant over / under resten af "
                       "stikprøven; segmenter under n={min_n} vises ikke.",
    "method.profiles_hidden": "Profiler: indeks = segment ÷ total × 100; ▲ / ▼ = signifikant over / under resten af "
                              "stikprøven; segmenter under n={min_n} vises ikke ({k} skjult).",
    "method.no_quality": "Ingen kvalitetsrapport i denne kørsel.",
    "method.col_check": "kontrol",
    "method.col_action": "handling",
    "method.col_flagged": "markeret",
    "method.col_excluded": "frasorteret",
    "step.behaviour": "adfærd",
    "step.opportunities": "mulighedsscorer",
    "step.tracking": "opfølgning",
    "step.forward": "næste års adfærd",
    "step.accounts": "konti",
    "step.other": "{step}",
    "factors.title": "Bilag: faktorløsning",
    "factors.sub": "Faktorer pr. batteri, deres udsagn, forklaret varians og reliabilitet (Cronbachs alfa)",
    "factors.col_battery": "batteri",
    "factors.col_factor": "faktor",
    "factors.col_items": "udsagn",
    "factors.col_variance": "% varians",
    "factors.col_alpha": "alfa",
    "fit.title": "Bilag: mulige segmenteringer",
    "fit.sub": "Tilpasning for hver kandidat (BIC: lavere er bedre; entropi og stabilitet: højere er bedre)",
    "fit.col_candidate": "kandidat",
    "fit.col_k": "k",
    "fit.col_bic": "BIC",
    "fit.col_entropy": "entropi",
    "fit.col_smallest": "mindste segment",
    "fit.col_stability": "stabilitet",
    "fit.col_starts": "starter ved bedste",
    "fit.col_blrt": "BLRT p",
    "fit.col_bvr": "største BVR",
    "fit.col_status": "status",
    "fit.recommended": "Anbefalet: {candidate}",
    "fit.no_scorecard": "Intet scorekort i denne kørsel.",
    "fit.side1": "Fremhævet. BIC er ikke defineret for k-means; dens entropi er 1 per definition.",
    "fit.side2": "Starter ved bedste: tilfældige starter, der når den bedste tilpasning (+ tilføjede). BLRT p højst "
                 "0,05: k segmenter passer bedre end k-1 (≤: den mindste p, trækkene tillader). BVR over 10: to "
                 "udsagn hænger stadig sammen inden for segmenterne.",
    "fit.notes": "Tabellen sammenligner alle mulige segmenteringer; den fremhævede anbefales.",
    "candidate": "{method}, {k} segmenter",
    "card.title": "Bilag: valg af segmentering",
    "card.sub": "Relevant · operationel · beskrivbar, for hver kandidat",
    "card.title_frozen": "Bilag: segmenteringen efterprøvet på denne bølge",
    "card.sub_frozen": "Relevant · operationel · beskrivbar, på bølge {wave}s respondenter",
    "card.col_rank": "rang",
    "card.col_candidate": "kandidat",
    "card.col_k": "k",
    "card.col_relevant": "relevant",
    "card.col_operational": "operationel",
    "card.col_describable": "beskrivbar",
    "card.col_typing": "træfsikkerhed",
    "card.pass": "opfyldt",
    "card.fail": "ikke opfyldt",
    "card.kept": "Beholdt fra den tilpassede bølge",
    "card.top": " Viser de {k} bedste af {total} kandidater.",
    "card.reason": "Den ligger øverst på de tre kriterier: {passed}.",
    "card.reason_fails": "Den ligger øverst på de tre kriterier; den opfylder ikke: {failed}.",
    "card.recheck": "Modellen fra bølge {wave} {verdict} på denne bølges respondenter.",
    "card.passes_all": "opfylder stadig alle kriterier",
    "card.fails_some": "opfylder ikke længere: {failed}",
    "model.title": "Bilag: hvordan respondenterne blev klassificeret",
    "model.none": "Ingen sammenligning af kandidater i denne kørsel: respondenterne er klassificeret med en gemt "
                  "segmenteringsmodel.",
    "fwd.title": "Forudsiger segmenterne næste år?",
    "fwd.sub": "Hvad hvert segments kunder gjorde i de {months} måneder efter undersøgelsen",
    "fwd.lapsed": "Stoppede med at købe (%)",
    "fwd.switched": "Skiftede primær kanal (%)",
    "fwd.pass": "Ja — ud over hvad ordrehistorikken allerede fortæller",
    "fwd.fail": "Ikke ud over hvad ordrehistorikken allerede fortæller",
    "fwd.not_measured": "Endnu ikke målt",
    "fwd.corrected": "Andelene er korrigeret for respondenter med usikkert segment, hvor modellen tillader det.",
    "fwd.out_lapsed": "Hvem der stopper med at købe",
    "fwd.out_switch": "Hvem der skifter kanal",
    "fwd.out_revenue": "Hvor meget omsætningen vokser eller falder",
    "fwd.adds": "segmenterne forbedrer forudsigelsen",
    "fwd.adds_nothing": "segmenterne tilføjer intet sikkert",
    "fwd.r2": "{what}: ordrehistorikken alene forklarer {base} % af forskellene mellem kunderne, med segmentet "
              "{with_} % — {verdict}.",
    "fwd.auc": "{what}: forudsigelsesscore {base} ud fra ordrehistorikken alene, {with_} med segmentet (0,5 = "
               "plat eller krone, 1 = en perfekt forudsigelse) — {verdict}.",
    "fwd.headline": "Kendskab til segmentet forudsiger {outcomes} bedre end ordrehistorikken alene.",
    "fwd.headline_not": "Kendskab til segmentet forudsiger ikke næste års adfærd bedre end ordrehistorikken alene.",
    "fwd.notes": "Horisont: {months} måneder efter referencedatoen; udfald for respondenternes kunder.",
    "review": "Gennemse før afsendelse: {why}",
    "unit.days": "dage",
    "unit.orders": "ordrer",
    "unit.units": "enheder",
    "unit.customers_pct": "% af kunderne",
    "tier.gold": "guld",
    "tier.silver": "sølv",
    "tier.bronze": "bronze",
    "tier.no purchases": "ingen køb",
}

# ----------------------------------------------------------------------------------------- the rest
EXTRA_EN = {
    "candidate.wave_model": "wave {wave} model ({method}, {k} segments)",
    "title.date": "{date}",
    "check.duplicates": "duplicates",
    "check.out of range": "out of range",
    "check.straightliners": "straightliners",
    "check.speeders": "speeders",
    "check.missing (respondents)": "missing answers (respondents)",
    "check.missing (items)": "missing answers (questions)",
    "check.columns": "columns",
    "check.attention": "attention checks",
    "check.inconsistent": "inconsistent answers",
    "action.error": "stop the run",
    "action.exclude": "exclude",
    "action.set_missing": "set to missing",
    "action.not run": "not run",
    "action.report": "report only",
    "action.keep_first": "keep the first answer",
    "action.keep_last": "keep the last answer",
    "action.exclude_all": "exclude every copy",
    "refit.due": "Re-fit the segmentation: the segments no longer describe wave {wave} well enough.",
    "refit.watch": "No re-fit needed for wave {wave} yet, but watch the segments at the next wave.",
    "refit.ok": "The {k} segments still describe wave {wave} well: no re-fit needed.",
    "moves.no_change": "No segment's share changed significantly between wave {first} and wave {last}.",
    "moves.all_same": "The size distribution as a whole does not differ significantly.",
    "moves.all_differs": "The size distribution as a whole differs significantly.",
    "moves.no_drift": "No indicator moved in any segment.",
    "moves.rose": "{name}: {label} rose from {a} to {b}",
    "moves.fell": "{name}: {label} fell from {a} to {b}",
    "moves.share_rose": "{name}: the share answering ‘{level}’ to {label} rose from {a} to {b}",
    "moves.share_fell": "{name}: the share answering ‘{level}’ to {label} fell from {a} to {b}",
    "letters.head": "{name} ({letter})",
    "summary.revenue_survey": "{label} {value} (all respondents: {total})",
    "tile.all_base": "all customers: {value}",
    "tile.all_survey": "all respondents: {value}",
    "win.reach_base": "Reach them through {channel}: the main ordering channel of {pct} % of them (all customers: "
                      "{total} %).",
    "lang.da": "Danish", "lang.sv": "Swedish", "lang.nb": "Norwegian", "lang.nn": "Norwegian", "lang.no": "Norwegian",
    "lang.nl": "Dutch", "lang.en": "English", "lang.de": "German", "lang.fr": "French", "lang.fi": "Finnish", "lang.nl-BE": "Flemish",
}
EN.update(EXTRA_EN)

DA.update({
    "candidate.wave_model": "model fra bølge {wave} ({method}, {k} segmenter)",
    "title.date": "{date}",
    "check.duplicates": "dubletter",
    "check.out of range": "uden for skalaen",
    "check.straightliners": "ligeud-svar",
    "check.speeders": "for hurtige svar",
    "check.missing (respondents)": "manglende svar (respondenter)",
    "check.missing (items)": "manglende svar (spørgsmål)",
    "check.columns": "kolonner",
    "check.attention": "opmærksomhedstjek",
    "check.inconsistent": "modstridende svar",
    "action.error": "stop kørslen",
    "action.exclude": "frasorter",
    "action.set_missing": "sæt til manglende",
    "action.not run": "ikke kørt",
    "action.report": "kun rapporteret",
    "action.keep_first": "behold første svar",
    "action.keep_last": "behold sidste svar",
    "action.exclude_all": "frasorter alle kopier",
    "refit.due": "Lav en ny segmentering: segmenterne beskriver ikke længere bølge {wave} godt nok.",
    "refit.watch": "Ingen ny segmentering nødvendig for bølge {wave} endnu, men hold øje med segmenterne ved "
                   "næste bølge.",
    "refit.ok": "De {k} segmenter beskriver stadig bølge {wave} godt: ingen ny segmentering nødvendig.",
    "moves.no_change": "Intet segment har ændret størrelse signifikant mellem bølge {first} og bølge {last}.",
    "moves.all_same": "Fordelingen på segmenter som helhed har ikke ændret sig signifikant.",
    "moves.all_differs": "Fordelingen på segmenter som helhed har ændret sig signifikant.",
    "moves.no_drift": "Ingen indikator har flyttet sig i noget segment.",
    "moves.rose": "{name}: {label} steg fra {a} til {b}",
    "moves.fell": "{name}: {label} faldt fra {a} til {b}",
    "moves.share_rose": "{name}: andelen, der svarer ‘{level}’ til {label}, steg fra {a} til {b}",
    "moves.share_fell": "{name}: andelen, der svarer ‘{level}’ til {label}, faldt fra {a} til {b}",
    "letters.head": "{name} ({letter})",
    "summary.revenue_survey": "{label} {value} (alle respondenter: {total})",
    "tile.all_base": "alle kunder: {value}",
    "tile.all_survey": "alle respondenter: {value}",
    "win.reach_base": "Nå dem via {channel}: den primære bestillingskanal for {pct} % af dem (alle kunder: "
                      "{total} %).",
    "lang.da": "dansk", "lang.sv": "svensk", "lang.nb": "norsk", "lang.nn": "norsk", "lang.no": "norsk",
    "lang.nl": "nederlandsk", "lang.en": "engelsk", "lang.de": "tysk", "lang.fr": "fransk", "lang.fi": "finsk", "lang.nl-BE": "flamsk",
})

#: Every language the deck speaks (add a table here, see the module docstring).
TEXTS = {"en": EN, "da": DA}

#: Month names for dates on slides ('7. september 2026').
MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
           "november", "december"),
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december"),
    "nb": ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "desember"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
}

#: How each language writes a day and its month ('7 September', '7. september').
DAY_STYLE = {"en": "{d} {m}", "da": "{d}. {m}", "sv": "{d} {m}", "nb": "{d}. {m}", "nl": "{d} {m}"}
#: (thousands separator, decimal mark) per language (:data:`workbench.language.NUMBER_STYLE`).
NUMBER_STYLE = _NUMBERS


def deck_language(language) -> str:
    """The table a study language uses ('da-DK' → 'da', 'no' → 'nb'; unknown → 'en')."""
    code = language_code(language)
    return code if code in TEXTS else "en"


class Words:
    """The texts and number style of one language: ``w(key, **values)``, ``w.n(1234.5, 1)``."""

    def __init__(self, language="en"):
        self.language = deck_language(language)
        self.table = TEXTS[self.language]
        self.thousands, self.decimal = NUMBER_STYLE[self.language]
        self.day = DAY_STYLE[self.language]

    def __call__(self, key: str, **values) -> str:
        return self.table[key].format(**values)

    def has(self, key: str) -> bool:
        return key in self.table

    def n(self, value, decimals: int = 0, *, sign: bool = False) -> str:
        """A number as the language writes it: thousands grouped, the decimal mark, rounded half
        away from zero as Python's format does ('1.234,5' in Danish)."""
        return number(value, decimals, self.language, sign=sign)

    def pct(self, value, decimals: int = 0) -> str:
        return f"{self.n(value, decimals)} %"

    def join(self, items) -> str:
        items = [str(x) for x in items]
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {self('and')} " + items[-1]

    def date(self, iso) -> str:
        """An ISO date as the language writes it ('7. september 2026'); the text unchanged if not a date."""
        import datetime as _dt

        try:
            d = _dt.date.fromisoformat(str(iso))
        except ValueError:
            return str(iso)
        return self.day.format(d=d.day, m=MONTHS[self.language][d.month - 1]) + f" {d.year}"

    def dates(self, start, end) -> str:
        """A fieldwork period ('7. september – 2. oktober 2026')."""
        import datetime as _dt

        try:
            a, b = _dt.date.fromisoformat(str(start)), _dt.date.fromisoformat(str(end))
        except ValueError:
            return ""
        first = self.day.format(d=a.day, m=MONTHS[self.language][a.month - 1]) + (f" {a.year}" if a.year != b.year
                                                                                  else "")
        return f"{first} – {self.date(end)}"

    def kpi(self, var, fallback: str) -> str:
        """A measure's label in this language (:data:`EN`'s ``kpi.*``), else ``fallback``."""
        if self.language == "en":
            return fallback
        return MEASURE_LABELS.get(self.language, {}).get(str(var), fallback)

    def tier(self, category) -> str:
        return self.table.get(f"tier.{str(category).lower()}", str(category))

    def fmt(self, pattern: str, value) -> str:
        """A value in a :mod:`workbench.measures` pattern ('{:,.1f}', '{:.0f} %', '{:+.2f}', '{}') in
        this language's number style."""
        m = re.fullmatch(r"\{:(\+?),?\.(\d)f\}( %)?", pattern)
        if m is None:
            return pattern.format(value)
        return self.n(value, int(m.group(2)), sign=bool(m.group(1))) + (m.group(3) or "")


def placeholders(text: str) -> set:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def words(language="en") -> Words:
    """The :class:`Words` of a study language (English for a language without a table, logged)."""
    w = Words(language)
    if w.language == "en" and language_code(language) != "en":
        logger.info("deck: no texts for language %r: the deck is in English", language)
    return w
