"""matplotlib pieces for fast charts: plain one-line texts drawn from a glyph cache.

FreeType laying out a label (the same calls as matplotlib's `RendererAgg`, once to
measure and once to draw) was most of a chart's cost, and matplotlib's `Text` artists
(properties, layout, a bbox per text) most of the rest. `Texts` is one artist for all
of a chart's texts: each text, font size and resolution is laid out once per process
(organization names and figures repeat from one report to the next), then copied onto
the canvas as an image, positioned from its cached measure. Imported by the first
chart (`charts`), so matplotlib loads only then.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
from matplotlib.font_manager import FontProperties

__all__ = ["Label", "Texts"]

_CACHED = 4096  # texts kept (a few KB each)
_lock = threading.Lock()
# (text, font size, dpi, hinting, antialiased) -> (glyph image, width, height, descent,
# bitmap offset x, bitmap offset y), all in pixels
_Glyphs = tuple[np.ndarray[Any, Any], float, float, float, float, float]
_glyphs: dict[tuple[str, float, float, Any, bool], _Glyphs] = {}
_fonts: dict[float, FontProperties] = {}


@dataclass(frozen=True, slots=True)
class Label:
    """A one-line plain text (never mathtext: names are users' words) at figure
    fractions, aligned horizontally and vertically on that point."""

    x: float
    y: float
    text: str
    size: float = 8.0
    ha: Literal["left", "center", "right"] = "left"
    va: Literal["top", "center"] = "center"


def _font(size: float) -> FontProperties:
    found = _fonts.get(size)
    if found is None:
        found = _fonts.setdefault(size, FontProperties(size=size))  # rcParams' family
    return found


def _laid_out(renderer: RendererAgg, text: str, size: float, antialiased: bool) -> _Glyphs:
    """The text's glyph image and measures, from the cache or FreeType (what
    `RendererAgg.get_text_width_height_descent` and `draw_text` do, done once)."""
    flags = get_hinting_flag()  # type: ignore[no-untyped-call]
    key = (text, size, float(renderer.dpi), flags, antialiased)
    found = _glyphs.get(key)
    if found is None:
        font = renderer._prepare_font(_font(size))  # type: ignore[no-untyped-call]
        font.set_text(text, 0, flags=flags)
        width, height = font.get_width_height()
        descent = font.get_descent() / 64.0
        font.draw_glyphs_to_bitmap(antialiased=antialiased)
        xo, yo = font.get_bitmap_offset()
        found = (np.asarray(font.get_image()).copy(), width / 64.0, height / 64.0, descent,
                 xo / 64.0, yo / 64.0)
        with _lock:
            if len(_glyphs) >= _CACHED:
                _glyphs.clear()  # simplest bound: labels of the coalitions in use come back
            _glyphs[key] = found
    return found


class Texts(Artist):
    """All of a chart's texts as one artist, in black, drawn from the glyph cache."""

    def __init__(self, labels: Sequence[Label]) -> None:
        super().__init__()
        self.labels = list(labels)

    def draw(self, renderer: Any) -> None:
        if not self.get_visible():
            return
        width, height = renderer.get_canvas_width_height()
        gc = renderer.new_gc()
        gc.set_foreground("black")
        gc.set_antialiased(True)
        for label in self.labels:
            image, w, h, d, xo, yo = _laid_out(renderer, label.text, label.size, True)
            left = label.x * width - {"left": 0.0, "center": w / 2, "right": w}[label.ha]
            baseline = label.y * height - (h / 2 if label.va == "center" else h) + d
            # `RendererAgg.draw_text` at angle 0: the image's top-left corner, y down
            renderer._renderer.draw_text_image(
                image, round(left + xo), round(height - baseline + yo - d) + 1, 0.0, gc)
        gc.restore()
