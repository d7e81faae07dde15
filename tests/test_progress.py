"""Progress bars that finish in JupyterLab (issue 26, notebooks): a text bar on stdout that stays
at its final count in a notebook, none when nobody watches."""

from __future__ import annotations

import io
import sys

from workbench.core import progress
from workbench.factors._common import progress as factor_progress


def test_a_notebook_bar_is_text_and_ends_at_its_total(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(sys, "stdout", out)
    assert list(factor_progress(range(20), total=20, desc="parallel analysis", enabled=True)) == list(range(20))
    text = out.getvalue()
    assert "parallel analysis" in text and "20/20" in text.split("\r")[-1]  # the last state a saved notebook shows
    bar = progress.bar(total=3, desc="starts")
    assert type(bar).__module__ == "tqdm.std" and bar.leave  # never a widget that a saved notebook shows at 0/3
    bar.close()


def test_no_bar_when_nobody_watches(monkeypatch):
    monkeypatch.setattr(progress, "in_notebook", lambda: False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress.bar(total=3, desc="x").disable
    assert factor_progress(range(3), total=3, desc="x", enabled=True) == range(3)
