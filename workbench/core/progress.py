"""One progress bar for long steps (parallel analysis, random starts, stability refits), as a
consultant sees it on a terminal and in JupyterLab.

A notebook gets a text bar written to stdout that stays when done (``leave=True``): it finishes
at "20/20" in the live notebook and in a notebook executed headless and opened later (a widget
bar, tqdm.auto's choice, keeps no state in a saved notebook and shows frozen at 0/20). A terminal
gets the same text bar on stderr, cleared when done. Nobody watching (a log file, the test
suite): no bar.
"""

from __future__ import annotations

import sys

__all__ = ["in_notebook", "watching", "bar"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and getattr(shell, "kernel", None) is not None


def watching() -> bool:
    """Someone sees a bar: a Jupyter kernel runs, or stderr is a terminal."""
    err = sys.stderr
    return in_notebook() or (err is not None and hasattr(err, "isatty") and err.isatty())


def bar(*, total: int, desc: str, unit: str = "it", enabled: bool = True):
    """A tqdm text bar (disabled when not ``enabled`` or nobody watches; see the module docstring)."""
    from tqdm.std import tqdm

    notebook = in_notebook()
    return tqdm(total=total, desc=desc, unit=unit, disable=not (enabled and watching()), leave=notebook,
                file=sys.stdout if notebook else sys.stderr, mininterval=0.2, dynamic_ncols=not notebook,
                ncols=80 if notebook else None)
