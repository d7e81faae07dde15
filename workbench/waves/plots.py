"""Charts of the wave tracking, for notebooks (matplotlib; the deck draws its own native charts)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_sizes", "plot_movements"]

#: The deck's segment colours (workbench.deck.PALETTE, in order), so notebook and slides agree.
COLOURS = tuple("#" + c for c in ("1F5F99", "D55E00", "117A65", "B8860B", "7B3F8C", "0072B2", "A23B72", "4D7C0F",
                                  "8C564B", "37474F"))


def plot_sizes(sizes: pd.DataFrame, *, ax=None, title: str | None = None):
    """Segment shares per wave with their confidence intervals (one line per segment).

    Parameters
    ----------
    sizes : DataFrame
        Columns wave, segment, share, ci_low, ci_high and optionally name (as
        :func:`workbench.waves.segment_sizes` returns).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    waves = list(dict.fromkeys(sizes["wave"].astype(str)))
    if ax is None:
        fig = Figure(figsize=(7.5, 4.2))  # not pyplot: shown once in a notebook, never leaked
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    x = np.arange(len(waves))
    for i, (seg, part) in enumerate(sizes.groupby("segment", sort=True)):
        part = part.set_index(part["wave"].astype(str)).reindex(waves)
        name = part["name"].dropna().iloc[0] if "name" in part and part["name"].notna().any() else ""
        label = f"{seg} {name}".strip()
        colour = COLOURS[i % len(COLOURS)]
        share = 100 * part["share"].to_numpy(dtype=float)
        lo = 100 * part["ci_low"].to_numpy(dtype=float)
        hi = 100 * part["ci_high"].to_numpy(dtype=float)
        ax.errorbar(x + (i - 2) * 0.03, share, yerr=[share - lo, hi - share], marker="o", capsize=3, color=colour,
                    label=label if len(label) <= 40 else label[:39] + "…")
        ax.annotate(f"{share[-1]:.0f} %", (x[-1] + 0.05, share[-1]), fontsize=8, color=colour, va="center")
    ax.set_xticks(x, [f"wave {w}" for w in waves])
    ax.set_xlim(-0.3, len(waves) - 0.5)
    ax.set_ylabel("share of respondents (%)")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title or "Segment sizes per wave (95 % intervals)", fontsize=11)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.08, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def plot_movements(table: pd.DataFrame, *, value: str, label: str, group: str | None = None,
                   level: str | None = None, top: int = 15, ax=None, title: str | None = None,
                   xlabel: str | None = None):
    """Horizontal bars of the largest movements (e.g. profile drift effects), signed.

    Parameters
    ----------
    table : DataFrame
    value : str
        Column with the signed size of each movement (e.g. a standardised difference).
    label : str
        Column naming each row (e.g. the indicator).
    group : str, optional
        Column prefixed to the label (e.g. the segment).
    level : str, optional
        Column appended to the label where it is set (e.g. the answer of a categorical
        indicator: "Usual channel = EDI").
    top : int, default=15
        How many of the largest absolute movements to show.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    t = table.dropna(subset=[value])
    t = t.reindex(t[value].abs().sort_values(ascending=False).index).head(top).iloc[::-1]
    levels = t[level] if level and level in t else pd.Series([None] * len(t), index=t.index)
    names = [(f"{g} · " if group else "") + str(n) + (f" = {lv}" if lv is not None and pd.notna(lv) else "")
             for g, n, lv in zip(t[group] if group else [""] * len(t), t[label], levels)]
    names = [n if len(n) <= 60 else n[:59] + "…" for n in names]
    if ax is None:
        fig = Figure(figsize=(8, 0.8 + 0.32 * max(len(t), 1)))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    vals = t[value].to_numpy(dtype=float)
    ax.barh(range(len(t)), vals, color=["#c55a11" if v > 0 else "#1f4e79" for v in vals])
    ax.set_yticks(range(len(t)), names, fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel or value)
    ax.set_title(title or "Largest movements", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
