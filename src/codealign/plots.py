"""Figures: matplotlib without a display, every figure written atomically, and an honest empty state."""

from __future__ import annotations

import os

from codealign import io


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (jobs have no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: str | os.PathLike, dpi: int = 120) -> None:
    """Write ``fig`` as PNG to ``path`` atomically (a killed job leaves no half-written figure), then close it."""
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    pyplot().close(fig)


def say_empty(ax, message: str) -> None:
    """Write ``message`` across an axes that has no data to show, so an empty figure says why it is empty."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=10, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
