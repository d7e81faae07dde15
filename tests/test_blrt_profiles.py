"""Bootstrap LRT of latent profiles (as mclust's ``mclustBootstrapLRT``) and the BLRT's floor and rule."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench import segments
from workbench.segments import LatentProfileModel, _gmm
from workbench.segments._blrt import bootstrap_lrt_profiles


def _two_profiles(n=200, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.choice(2, size=n, p=[0.6, 0.4])
    X = rng.normal(size=(n, 2)) + np.where(z[:, None] == 1, 2.5, 0.0)
    return pd.DataFrame(X, columns=["a", "b"])


def _fit(X, k, cov="diag"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LatentProfileModel(k, covariance=cov, n_init=5, min_class_share=0.0, random_state=0,
                                  progress=False).fit(X)


@pytest.mark.parametrize("cov", ["diag", "spherical"])
def test_profile_blrt_supports_the_planted_profiles_and_no_more(cov):
    X = _two_profiles()
    m1, m2, m3 = (_fit(X, k, cov) for k in (1, 2, 3))
    data = _gmm.GaussianData.build(X.to_numpy(), cov, 1e-6)
    # 29 draws (floor 1/30) keep the test fast; 99 draws let the sequential rule stop early
    two = bootstrap_lrt_profiles(data, 2, m2.params_, m2.loglik_, m1.params_, m1.loglik_, seed=1, max_reps=29)
    three = bootstrap_lrt_profiles(data, 3, m3.params_, m3.loglik_, m2.params_, m2.loglik_, seed=1, max_reps=99)
    assert two.replications == 29 and two.exceed == 0 and two.p_value == pytest.approx(1 / 30) and two.at_floor
    assert three.p_value > 0.1 and three.stopped_early and three.exceed == 5 and not three.at_floor
    assert two.lr == pytest.approx(2 * (m2.loglik_ - m1.loglik_))


def test_candidates_test_latent_profiles_and_show_the_floor():
    X = _two_profiles(200, seed=3)
    grid = segments.candidates(X, [2, 3], methods=["lpa"], scores=X, n_init=3, min_class_share=0.0,
                               random_state=1, progress=False, blrt_reps=19, blrt_methods=["lpa"])
    ft = grid.fit_table.set_index("k")
    assert ft.loc[2, "blrt_p"] == pytest.approx(1 / 20) and ft.loc[2, "blrt_p_floor"] == pytest.approx(1 / 20)
    assert ft.loc[3, "blrt_p"] > 0.05 and ft.loc[3, "blrt_reps"] < 19
    sheets, notes = grid.to_sheets()
    assert "p at most 0.05 = k fits better" in notes["fit"] and "BLRT p floor" in notes["fit"]


def test_left_out_the_draws_decide_a_p_value_near_the_threshold():
    """Issue 31 item 5: a study that sets no ``blrt_reps`` gets 99 draws up to 5,000 respondents
    (floor 0.01; a significant test runs all 99 and says p = 0.01, a clearly non-significant one
    stops at its 5th exceedance), 19 above (floor 0.05, stop at the 2nd)."""
    from workbench.segments._blrt import BLRT_LARGE_N, blrt_draws, blrt_stop_after
    from workbench.study.spec import SegmentationSpec

    assert SegmentationSpec().blrt_reps is None and segments.SegmentSettings().blrt_reps is None
    assert (blrt_draws(BLRT_LARGE_N), blrt_draws(BLRT_LARGE_N + 1)) == (99, 19)
    assert (blrt_stop_after(99), blrt_stop_after(19)) == (5, 2)
    X = _two_profiles(200, seed=3)
    grid = segments.candidates(X, [2, 3], methods=["lpa"], scores=X, n_init=3, min_class_share=0.0,
                               random_state=1, progress=False, blrt_methods=["lpa"])
    ft = grid.fit_table.set_index("k")
    assert ft.loc[2, "blrt_reps"] == 99 and ft.loc[2, "blrt_p"] == pytest.approx(0.01)
    assert ft.loc[2, "blrt_p_floor"] == pytest.approx(0.01)
    assert ft.loc[3, "blrt_p"] > 0.05 and ft.loc[3, "blrt_reps"] < 99
    assert grid.settings["blrt_reps"] == 99
