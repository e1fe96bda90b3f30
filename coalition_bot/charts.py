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
    height = 1.0 + 0.25 * rows  # inches: a fixed margin, and a row per organization
    figure = Figure(figsize=(8, height), dpi=100)
    FigureCanvasAgg(figure)
    # fixed margins instead of tight_layout, which draws every label an extra time
    figure.subplots_adjust(left=0.42, right=0.97, top=1 - 0.45 / height,
                           bottom=0.45 / height)
    ax = figure.add_subplot()
    positions = list(range(len(bars)))[::-1]  # the first organization on top
    ax.barh(positions, [100 * (b.share or 0) for b in bars], height=0.6, color=_INK)
    # one text per organization: its name and its figure, as the reply says them; plain
    # texts beside the axis, not tick labels (50 ticks cost more than the whole drawing)
    ax.set_yticks([])
    beside = ax.get_yaxis_transform()  # x in the axes' fraction, y in bar positions
    for y, bar in zip(positions, bars, strict=True):
        ax.text(-0.01, y, _shorten(f"{bar.label}: {bar.note}"), transform=beside,
                ha="right", va="center", fontsize=8)
    ax.set_ylim(-0.6, rows - 0.4)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"], fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not bars:
        ax.text(50, 0, "no organizations yet", ha="center", va="center", fontsize=9)
    out = io.BytesIO()
    figure.savefig(out, format="png", pil_kwargs={"compress_level": 1})
    return out.getvalue()


def _shorten(label: str, most: int = 48) -> str:
    """A label that fits the margin (the text has it whole)."""
    return label if len(label) <= most else label[:most - 1] + "…"
