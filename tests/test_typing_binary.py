"""Typing on "select all that apply" options (issue 30): an option ticked by one segment only
separates the segments perfectly and is chosen (it has no within-segment variance, which the
Wilks' lambda selection used to skip, leaving zero items and a crash); no varying item at all
is a clear AnalysisError, never an internal error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.waves.golden import select_golden_questions
from workbench.core.errors import AnalysisError


def test_an_option_ticked_by_one_segment_only_is_the_typing_question():
    rng = np.random.default_rng(0)
    n = 120
    seg = pd.Series(np.repeat([1, 2], n // 2), index=[f"r{i}" for i in range(n)])
    data = pd.DataFrame({"web": (seg == 1).astype(float).to_numpy(),   # perfectly separating
                         "ops": np.ones(n),                            # everyone ticked it
                         "lead": np.zeros(n)},                         # no one ticked it
                        index=seg.index)
    model = select_golden_questions(data, seg, max_questions=3, cv=4, random_state=1)
    assert model.questions == ("web",) and model.accuracy == 1.0
    # with some noise options it still leads the selection
    data["noise"] = rng.integers(0, 2, n).astype(float)
    assert select_golden_questions(data, seg, max_questions=2, cv=4, random_state=1).questions[0] == "web"


def test_no_varying_item_is_a_clear_error():
    seg = pd.Series(np.repeat([1, 2], 20), index=[f"r{i}" for i in range(40)])
    data = pd.DataFrame({"ops": np.ones(40), "lead": np.zeros(40)}, index=seg.index)
    with pytest.raises(AnalysisError, match="no candidate question has two or more different answers"):
        select_golden_questions(data, seg, cv=4, random_state=1)
