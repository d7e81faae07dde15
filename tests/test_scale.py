"""Workbooks at scale (issue 30, item 8): no merged cells, so writing time grows with the rows."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from workbench.core.measures import candidate_label
from workbench.files.outputs import write_workbook


def test_multiindex_sheets_are_written_without_merged_cells(tmp_path):
    idx = pd.MultiIndex.from_product([["lca k=3", "lpa k=3"], [f"outcome {i}" for i in range(40)], [1, 2, 3]],
                                     names=["candidate", "outcome", "segment"])
    frame = pd.DataFrame({"mean": np.arange(len(idx), dtype=float)}, index=idx)
    path = write_workbook(tmp_path / "book.xlsx", {"Distal outcomes": frame}, notes={"Distal outcomes": "Means."})
    ws = openpyxl.load_workbook(path)["Distal outcomes"]
    # pandas' default merges every run of equal index labels: openpyxl styles each merged range,
    # so a 20,000-respondent run spent its time merging cells; every row carries its labels now
    assert not ws.merged_cells.ranges
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(rows) == len(frame)
    lca3 = candidate_label("lca k=3")  # the client's words for a candidate ("LCA, 3 segments")
    assert [r[:3] for r in rows[:4]] == [(lca3, "outcome 0", 1), (lca3, "outcome 0", 2),
                                         (lca3, "outcome 0", 3), (lca3, "outcome 1", 1)]
    back = pd.read_excel(path, sheet_name="Distal outcomes", skiprows=2, index_col=[0, 1, 2])
    assert back.index.tolist() == [(candidate_label(c), o, k) for c, o, k in frame.index]


def test_stability_refits_are_capped_in_size_above_the_threshold(monkeypatch):
    """Above MAX_REFIT_N respondents each bootstrap refit is fitted on MAX_REFIT_N of them (m out of
    n); below it the draws are exactly those of the plain n-out-of-n bootstrap."""
    import warnings

    from workbench import segments
    from workbench.core.errors import WorkbenchWarning
    from workbench.segments import _stability

    rng = np.random.default_rng(2)
    z = rng.choice(3, size=400, p=[0.5, 0.3, 0.2])
    probs = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    data = pd.DataFrame({f"q{j}": [rng.choice([1, 2, 3], p=probs[(c + j) % 3]) for c in z] for j in range(6)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)
        sol = segments.lca(data, 3, n_init=3, random_state=1, progress=False)
        full = segments.stability(sol, data, n_reps=3, random_state=4, progress=False)
        assert (full.reps["n_fit"] == 400).all()
        monkeypatch.setattr(_stability, "MAX_REFIT_N", 400)  # at the threshold: the same draws
        same = segments.stability(sol, data, n_reps=3, random_state=4, progress=False)
        pd.testing.assert_frame_equal(same.reps, full.reps)
        monkeypatch.setattr(_stability, "MAX_REFIT_N", 150)
        capped = segments.stability(sol, data, n_reps=3, random_state=4, progress=False)
        halves = segments.stability(sol, data, n_reps=2, kind="split-half", random_state=4, progress=False)
    assert (capped.reps["n_fit"] == 150).all() and capped.reps["status"].eq("ok").all()
    assert (halves.reps["n_fit"] == 150).all()
    # the full sample is still classified by each refit: the planted classes come back
    assert capped.mean > 0.8


def test_own_adjusted_rand_index_matches_sklearn():
    from sklearn.metrics import adjusted_rand_score as sk_ari

    from workbench.segments._ari import adjusted_rand_score

    rng = np.random.default_rng(0)
    for n, ka, kb in [(50, 2, 3), (1000, 5, 5), (333, 7, 2), (20, 1, 4)]:
        a = rng.integers(0, ka, n)
        b = np.where(rng.random(n) < 0.7, a, rng.integers(0, kb, n))
        assert adjusted_rand_score(a, b) == pytest.approx(sk_ari(a, b), abs=1e-12)
        labels = np.array(["x", "y", "z", "w", "v", "u", "t"])[a]  # any label values, any numbering
        assert adjusted_rand_score(labels, b + 10) == pytest.approx(sk_ari(labels, b + 10), abs=1e-12)
    assert adjusted_rand_score([0, 0, 1, 1], [5, 5, 9, 9]) == 1.0 == sk_ari([0, 0, 1, 1], [5, 5, 9, 9])
    assert adjusted_rand_score([0, 0, 0], [1, 1, 1]) == sk_ari([0, 0, 0], [1, 1, 1])
    assert adjusted_rand_score([0, 1, 2, 3], [0, 0, 0, 0]) == pytest.approx(sk_ari([0, 1, 2, 3], [0, 0, 0, 0]))


def _planted(n=400, seed=2):
    rng = np.random.default_rng(seed)
    z = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    probs = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    data = pd.DataFrame({f"q{j}": [rng.choice([1, 2, 3], p=probs[(c + j) % 3]) for c in z] for j in range(6)})
    return data, z


def test_mixture_refits_start_from_the_full_sample_solution(monkeypatch):
    """Latent class / profile refits are warm-started from the full-sample solution: a 'resample'
    that is the full sample gives back its classification exactly, and the profiles' Ward starts
    (most of a refit's time) are not run; a k-means refit still fits from its random starts."""
    import warnings

    from workbench import segments
    from workbench.core.errors import WorkbenchWarning
    from workbench.segments import _gmm, _stability

    data, z = _planted()
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0, 0.0, 0.0], [2.0, -1.0, 1.0, 0.0], [-1.0, 2.0, 0.0, 1.5]])
    scores = pd.DataFrame(centres[z] + rng.normal(size=(len(z), 4)), index=data.index, columns=list("abcd"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WorkbenchWarning)
        lca = segments.lca(data, 3, n_init=5, random_state=1, progress=False)
        lpa = segments.lpa(scores, 3, n_init=5, random_state=1, progress=False)
        km = segments.kmeans(scores, 3, n_init=5, random_state=1)

        def no_ward(*a, **k):
            raise AssertionError("a refit ran the profiles' hierarchical starts")

        monkeypatch.setattr(_gmm, "partition", no_ward)
        for sol, frame in [(lca, data), (lpa, scores)]:
            [task] = _stability._plan(sol, frame, 1, "bootstrap", 3, 5)
            task = list(task)
            task[3] = np.arange(len(frame))  # the 'resample' is the full sample
            row = _stability._refit(*task)
            assert row["status"] == "ok" and row["ari"] == pytest.approx(1.0), sol.name
        [task] = _stability._plan(km, scores, 1, "bootstrap", 3, 5)
        assert task[-1] is None  # k-means: no warm start
        assert _stability._refit(*task)["status"] == "ok"


def test_blrt_draws_stop_once_the_test_is_decided():
    """The bootstrap LRT stops at the first exceedance count X from which the
    p-value (1 + X) / (1 + B) can no longer reach 0.05 (exact fractions, brute force), at least 2."""
    from fractions import Fraction

    from workbench.segments._blrt import blrt_stop_after

    for reps in range(1, 400):
        decided = next(x for x in range(reps + 2) if Fraction(1 + x, 1 + reps) > Fraction(5, 100))
        assert blrt_stop_after(reps) == max(2, decided), reps
    assert (blrt_stop_after(19), blrt_stop_after(99)) == (2, 5)
