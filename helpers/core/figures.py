"""The one plotting convention of the kit.

Helpers build a figure with `new_figure()` and return it finished (`finish()`: laid out and closed), so a notebook
cell whose last expression is the figure shows it exactly once, through whatever backend the learner's kernel
uses (the kit never calls `matplotlib.use`); scripts and tests get matplotlib's own default (Agg when headless).
`save_png()` writes one to a file for a README or a benchmark.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def new_figure(width: float, height: float, **subplots: Any) -> tuple[Figure, Any]:
    """A figure of `width` x `height` inches and its axes (`subplots` as for `plt.subplots`: nrows, ncols, ...)."""
    subplots.setdefault("dpi", 80)
    return plt.subplots(figsize=(width, height), **subplots)


def finish(fig: Figure) -> Figure:
    """Lay the figure out and close it (no second copy when the cell ends); returns it for display."""
    fig.tight_layout()
    plt.close(fig)
    return fig


def save_png(fig: Figure, path: Path) -> Path:
    """Write `fig` as a PNG at `path` (folders created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def cold_warm_bars(ax: Any, names: list[str], cold: list[float], warm: list[float], cold_label: str,
                   ylabel: str) -> None:
    """Cold vs warm milliseconds side by side per name, labelled, on a log scale (03 and 03b draw it)."""
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], cold, width=0.4, label=cold_label)
    ax.bar([i + 0.2 for i in x], warm, width=0.4, label="warm: median call")
    for i, (c, w) in enumerate(zip(cold, warm)):
        ax.annotate(f"{c:.0f} ms", (i - 0.2, c), ha="center", va="bottom", fontsize=8)
        ax.annotate(f"{w:.1f} ms", (i + 0.2, w), ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylim(top=max(cold) * 4)  # room for the labels
    ax.set_xlim(-0.8, len(names) - 0.2)
    ax.set_xticks(list(x), names)
    ax.set(ylabel=ylabel, title="Cold start vs warm")
    ax.legend(fontsize=8)

