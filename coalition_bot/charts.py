"""Pictures for reports, drawn with matplotlib's Agg backend (no display, no pyplot
state shared between calls). A chart repeats figures the reply's text already gives
and adds nothing the text lacks: the text stays the source of truth.

One dark grey on white, values written beside the bars: readable printed in grey scale,
and saved as a grey-scale PNG (a quarter of the pixels' bytes to compress).

Speed (`bench/health_bench.py`): FreeType laying out the labels, twice per label (once
to measure, once to draw), was most of a chart's cost; `chart_canvas` keeps each
label's measure and glyph image between charts (organization names and figures repeat
from one report to the next). Everything else is one artist per kind: the bars are one
collection, the grid one set of lines, no Axes with their ticks and spines. matplotlib
is imported by the first chart, not at start-up (40 MB and ~0.4 s every start would
pay, and every command-line call).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Bar", "load", "participation_png"]

_INK = "#333333"
_GRID = "#bbbbbb"
_DPI = 100
_WIDTH = 8.0  # inches
_ROW = 0.25  # inches per organization
_TOP, _BOTTOM = 0.45, 0.55  # inches: the title above, the percentages below
_LEFT, _RIGHT = 0.42, 0.97  # of the width: the bars (the labels left of them)
_GRID_AT = (0, 25, 50, 75, 100)


@dataclass(frozen=True, slots=True)
class Bar:
    """One organization's bar: its label, the share (0-1) or None, and the words shown
    beside it (the same the text says)."""

    label: str
    share: float | None
    note: str


def participation_png(title: str, bars: Sequence[Bar]) -> bytes:
    """A horizontal bar chart of each organization's share of polls voted in, as PNG."""
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.figure import Figure
    from PIL import Image

    from coalition_bot.chart_canvas import CachingCanvas

    rows = max(len(bars), 1)
    height = _TOP + _BOTTOM + _ROW * rows
    figure = Figure(figsize=(_WIDTH, height), dpi=_DPI)
    canvas = CachingCanvas(figure)

    def at(percent: float, row: float) -> tuple[float, float]:
        """Figure fractions of a point: x in percent, one row per organization from
        the top (no Axes: their ticks and spines cost more than the bars)."""
        return (_LEFT + (_RIGHT - _LEFT) * percent / 100,
                (_BOTTOM + _ROW * (rows - row)) / height)

    figure.add_artist(LineCollection([[at(x, 0), at(x, rows)] for x in _GRID_AT],
                                     colors=_GRID, linewidths=0.8))
    figure.add_artist(PolyCollection(
        [[at(0, y + 0.2), at(share, y + 0.2), at(share, y + 0.8), at(0, y + 0.8)]
         for y, share in enumerate(100 * (b.share or 0) for b in bars)],
        facecolors=_INK, edgecolors="none"))
    for x in _GRID_AT:
        _text(figure, *at(x, rows + 0.3), f"{x}%", ha="center", va="top")
    for y, bar in enumerate(bars):  # the organization and its figure, as the reply says
        _text(figure, *at(-1, y + 0.5), _shorten(f"{bar.label}: {bar.note}"), ha="right",
              va="center")
    if not bars:
        _text(figure, *at(-1, 0.5), "no organizations yet", ha="right", va="center")
    _text(figure, 0.01, 1 - 0.22 / height, title, fontsize=10, va="center")
    canvas.draw()  # type: ignore[no-untyped-call]
    rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
    pixels = Image.frombuffer("RGBA", canvas.get_width_height(), rgba, "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    pixels.convert("L").save(out, format="png", compress_level=1)
    return out.getvalue()


def load() -> None:
    """Import what a chart needs (matplotlib, Pillow) and find its font, ahead of the
    first chart: an empty chart, drawn and dropped."""
    participation_png("", ())


def _text(figure: Figure, x: float, y: float, words: str, **style: Any) -> None:
    """Plain text at figure fractions: names are users' words, never mathtext."""
    figure.text(x, y, words, fontsize=style.pop("fontsize", 8), parse_math=False, **style)


def _shorten(label: str, most: int = 48) -> str:
    """A label that fits the margin (the text has it whole)."""
    return label if len(label) <= most else label[:most - 1] + "…"
