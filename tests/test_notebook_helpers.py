"""The functions the notebooks call instead of logic of their own (workbench.pipeline and the
result classes): the study plan's settings with a notebook's overrides, the solution shown
first, and the one line that says why a part of a study is absent."""

from __future__ import annotations

import pandas as pd

from workbench.outputs import client_frame


# --------------------------------------------------------------------------- labels in notebook tables

def test_a_label_column_written_beside_codes_is_not_rewritten():
    frame = pd.DataFrame({"kpi": ["vote", "revenue"], "p_value": [0.1, 0.2]})
    out = client_frame(frame, "EUR", {"vote": "Whom did you vote for?"})
    assert list(out.columns) == ["Kpi (code)", "Kpi label", "P-value"]
    # the label holds the id 'vote' as a word: it stays as written
    assert list(out["Kpi label"]) == ["Whom did you vote for?", "Revenue per customer (EUR)"]
