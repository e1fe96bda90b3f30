"""Pictures for reports, drawn with matplotlib's Agg backend (no display, no pyplot
state shared between calls). A chart repeats figures the reply's text already gives
and adds nothing the text lacks: the text stays the source of truth.

One dark grey on white, values written beside the bars: readable printed in grey scale,
and saved as a grey-scale PNG (a quarter of the pixels' bytes to compress).

Speed (`bench/health_bench.py`): FreeType laying out the labels, twice per label (once
to measure, once to draw), was most of a chart's cost. `_Renderer` keeps each label's
measure and glyph image between charts; organization names and figures repeat from
one report to the next. Everything else is one artist per kind (the bars are one
collection, the grid one set of lines, no Axes ticks or spines).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from math import cos, radians, sin
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from PIL import Image

__all__ = ["Bar", "participation_png"]

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
    rows = max(len(bars), 1)
    height = _TOP + _BOTTOM + _ROW * rows
    figure = Figure(figsize=(_WIDTH, height), dpi=_DPI)
    canvas = _Canvas(figure)

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


def _text(figure: Figure, x: float, y: float, words: str, **style: Any) -> None:
    """Plain text at figure fractions: names are users' words, never mathtext."""
    figure.text(x, y, words, fontsize=style.pop("fontsize", 8), parse_math=False, **style)


def _shorten(label: str, most: int = 48) -> str:
    """A label that fits the margin (the text has it whole)."""
    return label if len(label) <= most else label[:most - 1] + "…"


_GlyphKey = tuple[str, FontProperties, float, int, bool]
_CACHED = 4096  # labels kept (a few KB each)
_lock = threading.Lock()
_measures: dict[tuple[str, FontProperties, float, int], tuple[float, float, float]] = {}
_images: dict[_GlyphKey, tuple[np.ndarray[Any, Any], float, float, float]] = {}


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    with _lock:
        if len(cache) >= _CACHED:
            cache.clear()  # simplest bound: labels of the coalitions in use come back
        cache[key] = value


class _Renderer(RendererAgg):
    """Agg that keeps each plain text's measure and glyph image between charts (the
    same FreeType calls as `RendererAgg`, done once per text, font and size)."""

    def get_text_width_height_descent(self, s: str, prop: FontProperties,
                                      ismath: Any) -> tuple[float, float, float]:
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)  # type: ignore[no-untyped-call,no-any-return]
        key = (s, prop.copy(), self.dpi, get_hinting_flag())  # type: ignore[no-untyped-call]
        found = _measures.get(key)
        if found is None:
            found = super().get_text_width_height_descent(s, prop, ismath)  # type: ignore[no-untyped-call]
            _keep(_measures, key, found)
        return found

    def draw_text(self, gc: Any, x: float, y: float, s: str, prop: FontProperties,
                  angle: float, ismath: Any = False, mtext: Any = None) -> None:
        if ismath:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)  # type: ignore[no-untyped-call]
            return
        flags = get_hinting_flag()  # type: ignore[no-untyped-call]
        key = (s, prop.copy(), self.dpi, flags, bool(gc.get_antialiased()))
        found = _images.get(key)
        if found is None:  # what RendererAgg.draw_text does, keeping the result
            font = self._prepare_font(prop)  # type: ignore[no-untyped-call]
            font.set_text(s, 0, flags=key[3])
            font.draw_glyphs_to_bitmap(antialiased=key[4])
            xo, yo = font.get_bitmap_offset()
            found = (np.asarray(font.get_image()).copy(), font.get_descent() / 64.0,
                     xo / 64.0, yo / 64.0)
            _keep(_images, key, found)
        image, d, xo, yo = found
        x = round(x + xo + d * sin(radians(angle)))
        y = round(y + yo + d * cos(radians(angle)))
        self._renderer.draw_text_image(image, x, y + 1, angle, gc)


class _Canvas(FigureCanvasAgg):
    """An Agg canvas drawing with `_Renderer`."""

    def get_renderer(self) -> _Renderer:
        w, h = self.figure.bbox.size
        if not isinstance(getattr(self, "renderer", None), _Renderer) or (
                self.renderer.width, self.renderer.height) != (int(w), int(h)):
            self.renderer = _Renderer(w, h, self.figure.dpi)  # type: ignore[no-untyped-call]
        return self.renderer  # type: ignore[no-any-return]
