"""Model choice a reviewer accepts (issue 30, item 6): a candidate whose best log-likelihood was
not replicated is never recommended silently, and fit statistics of different likelihoods are
never in one comparable column."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import openpyxl
import pandas as pd
import pytest

from workbench import segments
from workbench.criteria import FAIL, PASS, LabelCandidate, score_candidates, study_basis
from workbench.core.errors import WorkbenchWarning
from workbench.files.outputs import write_workbook
from workbench.quality import check_quality
from workbench.data.readers import read_responses
from workbench.segments._candidates import fit_by_likelihood
from workbench.study import load_study


@dataclass(frozen=True, eq=False)
class Fitted(LabelCandidate):
    """Plain labels with the start diagnostics a latent class / profile fit carries."""

    method: str = "lca"
    best_ll_replicated: int = 0
    n_final_starts: int = 0
    n_starts: int = 0
    starts_added: int = 0


@pytest.fixture(scope="module")
def demo(demo_study):
    study = load_study(demo_study)
    responses = read_responses(study, "1")
    clean = check_quality(responses, study).apply(responses)
    truth = pd.read_csv(demo_study / "truth" / "respondents_wave1.csv", dtype={"resp_id": str})
    planted = truth.drop_duplicates("resp_id", keep="last").set_index("resp_id")["segment"]
    return study, clean, planted.reindex(clean.data.index)


def _row(score, check):
    return score.checks.set_index("check").loc[check]


def test_a_not_replicated_candidate_loses_to_a_replicated_one(demo):
    study, clean, planted = demo
    lonely = Fitted("lca k=5", planted, stability=0.9, method="lca", best_ll_replicated=1, n_final_starts=13,
                    n_starts=200, starts_added=150)
    sound = Fitted("lpa k=5", planted, stability=0.9, method="lpa", best_ll_replicated=6, n_final_starts=13,
                   n_starts=50)
    card = score_candidates([lonely, sound], clean, basis=study_basis(study)[:8], random_state=1)
    row = _row(card["lca k=5"], "best fit replicated")
    assert row["status"] == FAIL and row["value"] == 1
    assert "only 1 of 13 finished starts (200 random starts, 150 of them added" in row["sentence"]
    assert _row(card["lpa k=5"], "best fit replicated")["status"] == PASS
    assert card.recommended == "lpa k=5"  # the same segments otherwise: replication decides
    # plain labels (and k-means / Ward) have no likelihood to replicate: no such check
    plain = score_candidates([LabelCandidate("labels", planted)], clean, basis=study_basis(study)[:8], random_state=1)
    assert "best fit replicated" not in set(plain["labels"].checks["check"])


def test_a_not_replicated_recommendation_says_so(demo):
    study, clean, planted = demo
    lonely = Fitted("lca k=5", planted, stability=0.9, best_ll_replicated=1, n_final_starts=13, n_starts=50)
    card = score_candidates([lonely], clean, basis=study_basis(study)[:8], random_state=1)
    assert card.recommended == "lca k=5"
    assert "Caution: its best fit was not replicated" in card.reason
    assert card.reason.index("not replicated") < 200  # said up front, not after every other failure
    # pinned: used whatever the ranking, with the same caution
    pinned = score_candidates([lonely, LabelCandidate("labels", planted)], clean, basis=study_basis(study)[:8],
                              random_state=1, criteria={"pin": "lca k=5"})
    assert "pinned in the study" in pinned.reason and "Caution: its best fit was not replicated" in pinned.reason
    # the deck's scorecard slide shows the reason: the caution reaches the slide
    from workbench.steps.deck_data import deck_data

    data = deck_data(study, card, None, None, wave="1")
    assert "not replicated" in data.scorecard["reason"]


def test_fit_statistics_of_each_likelihood_in_their_own_columns(tmp_path):
    rng = np.random.default_rng(3)
    z = rng.integers(0, 2, 300)
    frame = pd.DataFrame((rng.random((300, 6)) < np.where(z[:, None] == 1, 0.8, 0.2)).astype(int) + 1,
                         columns=[f"q{j}" for j in range(6)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)
        grid = segments.candidates(frame, [2, 3], methods=["lca", "lpa", "kmeans"], n_init=2, random_state=1,
                                   progress=False)
    ft = grid.fit_table
    split = fit_by_likelihood(ft).set_index("candidate")
    assert not {"bic", "aic", "loglik", "lowest_bic"} & set(split.columns)
    for m in ("lca", "lpa"):
        mine = ft[ft["method"] == m].set_index("candidate")
        np.testing.assert_allclose(split.loc[mine.index, f"bic_{m}"], mine["bic"])
        other = "lpa" if m == "lca" else "lca"
        assert split.loc[mine.index, f"bic_{other}"].isna().all()  # never beside the other likelihood's
        assert split.loc[mine["bic"].idxmin(), f"lowest_bic_{m}"]  # the lowest BIC within its own family
    assert split.loc[ft.loc[ft["method"] == "kmeans", "candidate"], ["bic_lca", "bic_lpa"]].isna().all().all()
    sheets, notes = grid.to_sheets()
    assert "compare them within a column only" in notes["fit"]
    write_workbook(tmp_path / "segments.xlsx", sheets, notes=notes)
    ws = openpyxl.load_workbook(tmp_path / "segments.xlsx")["Fit"]
    headers = [c.value for row in ws.iter_rows(min_row=1, max_row=4) for c in row if isinstance(c.value, str)]
    assert "BIC (latent classes, on the answers)" in headers and "BIC (latent profiles, on the scores)" in headers
    assert "BIC" not in headers
