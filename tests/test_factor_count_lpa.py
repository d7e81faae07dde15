"""LPA covariance structure by BIC against mclust (R) on iris.

Reference: ``tests/data/mclust_reference.json`` from ``Rscript tests/data/make_reference.R``
(mclust 6.0.0: ``mclustBIC(as.matrix(iris[,1:4]), G=1:6, modelNames=c('EII','VII','EEI',
'VVI','EEE','VVV'))``).  mclust's BIC is ``2 LL - p ln n``; ours is ``-2 LL + p ln n``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.segments import MCLUST_NAMES, covariance_by_bic, lpa

REF = json.loads((Path(__file__).parent / "data" / "mclust_reference.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def iris():
    return pd.DataFrame(REF["data"], columns=["sepal length", "sepal width", "petal length", "petal width"])


@pytest.fixture(scope="module")
def by_bic(iris):
    return covariance_by_bic(iris, [1, 2], n_init=3, random_state=1, min_class_share=0.0)


def test_bic_per_structure_matches_mclust(by_bic):
    _, _, table, _ = by_bic
    for ours, name in MCLUST_NAMES.items():
        for j, k in enumerate([1, 2]):
            assert table.at[ours, f"k={k}"] == pytest.approx(-REF["bic"][name][j], abs=0.01), (ours, k)


def test_choice_is_mclusts(by_bic):
    structure, k, table, _ = by_bic
    assert (MCLUST_NAMES[structure], k) == (REF["best_model"], REF["best_G"]) == ("VVV", 2)
    assert table["chosen"].sum() == 1 and table.at["full", "chosen"]


def test_lpa_auto_keeps_the_lowest_bic_and_says_so(iris):
    seg = lpa(iris, 2, covariance="auto", n_init=3, random_state=1, min_class_share=0.0, progress=False)
    assert seg.bic == pytest.approx(-REF["bic"]["VVV"][1], abs=0.01)
    assert any("covariance 'full' by BIC" in n for n in seg.notes)


def test_structures_that_cannot_take_missing_values_are_skipped(iris):
    x = iris.copy()
    x.iloc[3, 1] = np.nan
    structure, _, table, _ = covariance_by_bic(x, [2], n_init=2, random_state=1, min_class_share=0.0)
    assert structure in ("diag", "spherical")
    assert "missing values" in table.at["full", "note"] and np.isnan(table.at["full", "k=2"])


def test_candidates_auto_fits_the_lpa_candidates_with_the_bic_structure(iris):
    """``candidates(covariance='auto')``: the structure is chosen on a few starts, then the LPA
    candidates are fitted with it; the table goes to segments.xlsx."""
    from workbench.segments import candidates

    grid = candidates(iris, [1, 2], methods=["lpa"], scores=iris, covariance="auto", n_init=4,
                      min_class_share=0.0, random_state=1, progress=False)
    table = grid.covariance_bic
    assert table is not None and bool(table.at["full", "chosen"])
    assert table.at["full", "k=2"] == pytest.approx(-REF["bic"]["VVV"][1], abs=0.01)
    assert "covariance 'full'" in grid.bases["lpa"]
    assert grid.solutions[("lpa", 2)].bic == pytest.approx(-REF["bic"]["VVV"][1], abs=0.01)
    sheets, notes = grid.to_sheets()
    assert "LPA covariance (BIC)" in sheets and "lowest BIC" in notes["LPA covariance (BIC)"]
    fixed = candidates(iris, [2], methods=["lpa"], scores=iris, covariance="diag", n_init=2, min_class_share=0.0,
                       random_state=1, progress=False)
    assert fixed.covariance_bic is None and "covariance 'diag'" in fixed.bases["lpa"]
    # the library's default is the study plan's (issue 23): auto
    from workbench.segments import SegmentSettings

    assert SegmentSettings().covariance == "auto"


def test_the_flows_default_lpa_covariance_is_auto(tmp_path, demo_study):
    """A study that does not set ``segmentation.covariance`` gets ``auto``; the demo sets diag."""
    from conftest import write_mini

    from workbench.study import load_study

    assert load_study(write_mini(tmp_path / "mini")).spec.segmentation.covariance == "auto"
    assert load_study(demo_study).spec.segmentation.covariance == "diag"
