"""Segment migration between waves (waves/migration.py): panel linking, the frozen model as
the start, invariance tied into the re-fit advice, the deck's plain data."""

import numpy as np
import pandas as pd
import pytest

from workbench.core.errors import AnalysisError
from workbench.segments._lta import simulate_panel
from workbench.waves.migration import deck_migration, migration, pair_counts, panel_ids, with_invariance
from workbench.waves.model import SegmentModel
from workbench.waves.refit import CHECK_COLUMNS, RefitAdvice


def test_panel_ids_by_customer_leaves_shared_accounts_unlinked():
    d = pd.DataFrame({"cust": ["A", "B", "B", None, " C "]}, index=pd.Index(["r1", "r2", "r3", "r4", "r5"]))
    ids, unlinked = panel_ids(d, "cust")
    assert list(ids) == ["C:A", "R:r2", "R:r3", "R:r4", "C:C"] and unlinked == 1
    ids2, _ = panel_ids(d, None)
    assert list(ids2) == ["r1", "r2", "r3", "r4", "r5"]
    c = pair_counts({"1": ids, "2": pd.Series(["C:A", "C:C", "C:Z"])})
    assert c.loc[0, "in both"] == 2
    with pytest.raises(AnalysisError, match="panel key 'nope'"):
        panel_ids(d, "nope")


def _frozen(k=3, n_items=6, sep=0.75):
    """The planted measurement of simulate_panel as a frozen model file."""
    probs = {}
    for j in range(n_items):
        v = np.full((3, k), (1 - sep) / 2)
        for c in range(k):
            v[(c + j * (c + 1)) % 3, c] = sep
        probs[f"q{j + 1}"] = {"codes": [1.0, 2.0, 3.0], "values": v.tolist()}
    items = tuple(probs)
    return SegmentModel(method="lca", k=k, basis_items=items, features=items, names={1: "A", 2: "B", 3: "C"},
                        shares=np.array([0.4, 0.35, 0.25]), parameters={"probabilities": probs},
                        item_codes={i: [1.0, 2.0, 3.0] for i in items}, codebook={}, study_id="s", study_hash="h",
                        wave="1")


def _advice():
    return RefitAdvice(table=pd.DataFrame(columns=CHECK_COLUMNS), due=False, message="fine", wave="2")


def _frames(waves):
    frames = {str(t + 1): f.rename(index=lambda s: f"w{t + 1}-{s}") for t, f in enumerate(waves)}
    ids = {w: pd.Series([s.split("-", 1)[1] for s in f.index], index=f.index) for w, f in frames.items()}
    return frames, ids


def test_migration_reads_transitions_under_invariance():
    A = np.array([[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    waves, truth = simulate_panel(500, n_items=6, transitions=A, only_one=0.3, random_state=21)
    frames, ids = _frames(waves)
    mig = migration(_frozen(), frames, ids, bootstrap_reps=10, n_init=2, random_state=1)
    assert mig.level == "full" and mig.readable
    M = mig.matrix().to_numpy()  # segments numbered as the frozen model's: the planted order
    assert np.abs(M - A).max() < 0.1
    assert (mig.transitions["low"] <= mig.transitions["probability"] + 1e-9).all()
    assert mig.n_panel == int(((truth["wave 1"] > 0) & (truth["wave 2"] > 0)).sum())
    assert "stayed in their segment" in mig.message
    adv = with_invariance(_advice(), mig)
    assert not adv.due and adv.table.iloc[-1]["status"] == "ok"
    deck = deck_migration(mig)
    assert [sum(r) for r in deck["matrix"]] == [100, 100, 100]
    assert [p["stayed"] for p in deck["per_segment"]] == [deck["matrix"][i][i] for i in range(3)]


def test_changed_meaning_is_not_read_and_asks_for_a_refit():
    waves, _ = simulate_panel(500, n_items=6, separation=0.8, drift={j: 1 for j in range(5)}, random_state=22)
    frames, ids = _frames(waves)
    mig = migration(_frozen(sep=0.8), frames, ids, bootstrap_reps=0, n_init=2, random_state=1)
    assert mig.level == "none" and not mig.readable
    assert "changed meaning" in mig.message and "Transitions" not in mig.tables()
    assert len(mig.drift) == len(mig.drifted) >= 3 and "answered" in mig.drift[0]
    adv = with_invariance(_advice(), mig)
    assert adv.due and "changed meaning" in adv.message


def test_kmeans_has_no_measurement_model():
    m = SegmentModel(method="kmeans", k=2, basis_items=("q1",), features=("q1",), names={}, shares=np.ones(2) / 2,
                     parameters={"centroids": np.zeros((2, 1))}, item_codes={}, codebook={}, study_id="s",
                     study_hash="h", wave="1")
    waves, _ = simulate_panel(100, n_items=1, random_state=1)
    frames, ids = _frames(waves)
    with pytest.raises(AnalysisError, match="no measurement model"):
        migration(m, frames, ids)


def test_study_panel_key_customer_needs_a_customer_id(tmp_path):
    from conftest import MINI_STUDY, write_mini
    from workbench.core.errors import StudyError
    from workbench.study import load_study

    ok = write_mini(tmp_path / "ok", study=MINI_STUDY + "panel: {key: customer, bootstrap_reps: 10}\n")
    assert load_study(ok).spec.panel.key == "customer"
    bad = MINI_STUDY.replace("customer_id: kunde\n", "") + "panel: {key: customer}\n"
    with pytest.raises(StudyError, match=r"panel\.key: panel key 'customer' links re-interviewed accounts by the "
                                         r"customer id, but the study names no customer_id"):
        load_study(write_mini(tmp_path / "bad", study=bad))
    with pytest.raises(StudyError, match=r"panel\.key"):
        load_study(write_mini(tmp_path / "bad2", study=MINI_STUDY + "panel: {key: household}\n"))
