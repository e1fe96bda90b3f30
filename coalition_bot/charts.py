"""Pictures for reports, drawn with matplotlib's Agg backend (no display, no pyplot
state shared between calls). A chart repeats figures the reply's text already gives
and adds nothing the text lacks: the text stays the source of truth.

One dark grey on white, values written beside the bars: readable printed in grey scale.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bar", "participation_png"]

_INK = "#333333"


@dataclass(frozen=True, slots=True)
class Bar:
    """One organization's bar: its label, the share (0-1) or None, and the words shown
    beside it (the same the text says)."""

    label: str
    share: float | None
    note: str


def participation_png(title: str, bars: Sequence[Bar]) -> bytes:
    """A horizontal bar chart of each organization's share of polls voted in, as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(bars), 1)
    figure = Figure(figsize=(8, 1.2 + 0.32 * rows), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    positions = list(range(len(bars)))[::-1]  # the first organization on top
    ax.barh(positions, [100 * (b.share or 0) for b in bars], height=0.6, color=_INK)
    for y, bar in zip(positions, bars, strict=True):
        ax.text(min(100 * (bar.share or 0), 100) + 1, y, bar.note, va="center", fontsize=8,
                color=_INK)
    ax.set_yticks(positions, [b.label for b in bars], fontsize=8)
    ax.set_xlim(0, 135)  # room for the notes
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel("share of polls voted in", fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not bars:
        ax.text(50, 0, "no organizations yet", ha="center", va="center", fontsize=9)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
