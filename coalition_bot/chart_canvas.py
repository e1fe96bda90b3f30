"""An Agg canvas that keeps each plain text's measure and glyph image between charts.

FreeType laying out a label (the same calls as matplotlib's `RendererAgg`, once to
measure and once to draw) was most of a chart's cost; organization names and figures
repeat from one report to the next, so each text, font and size is laid out once per
process. Imported by the first chart (`charts`), so matplotlib loads only then.

Loading it changes nothing else: the long-running bot takes its start-up heap,
matplotlib's included, out of the garbage collector's full passes itself
(`cli.settle_heap`).
"""

from __future__ import annotations

import threading
from math import cos, radians, sin
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import FontProperties

__all__ = ["CachingCanvas"]

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


class CachingCanvas(FigureCanvasAgg):
    """An Agg canvas drawing with `_Renderer`."""

    def get_renderer(self) -> _Renderer:
        w, h = self.figure.bbox.size
        if not isinstance(getattr(self, "renderer", None), _Renderer) or (
                self.renderer.width, self.renderer.height) != (int(w), int(h)):
            self.renderer = _Renderer(w, h, self.figure.dpi)  # type: ignore[no-untyped-call]
        return self.renderer  # type: ignore[no-any-return]

