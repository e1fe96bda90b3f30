"""Pictures for reports, drawn with matplotlib's Agg backend (no display, no pyplot
state shared between calls). A chart repeats figures the reply's text already gives
and adds nothing the text lacks: the text stays the source of truth.

One dark grey on white, values written beside the bars: readable printed in grey scale,
and saved as a grey-scale PNG (a quarter of the pixels' bytes to compress).

Speed (`bench/health_bench.py`): FreeType laying out the labels (twice per label, to
measure and to draw) and matplotlib's `Text` artists were most of a chart's cost;
`chart_canvas.Texts` draws all texts as one artist from a per-process glyph cache
(organization names and figures repeat from one report to the next). The bars are one
collection, the grid one set of lines, no Axes with their ticks and spines. The last
few charts are kept by title and bars: a report whose figures did not change reuses its
picture. The handler only says what to draw (`Attachment.draw`); the dispatcher draws
it after the command's transaction, in a worker thread, so the event loop and the
database keep answering other people while a chart is drawn. matplotlib is imported by the
first chart, or at start-up by `coalition-bot run` (`cli.settle_heap`), never by a
command-line call.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Bar", "load", "participation_png"]

_INK = "#333333"
_GRID = "#bbbbbb"
_DPI = 100
_WIDTH = 8.0  # inches
_ROW = 0.25  # inches per organization
_TOP, _BOTTOM = 0.45, 0.55  # inches: the title above, the percentages below
_LEFT, _RIGHT = 0.42, 0.97  # of the width: the bars (the labels left of them)
_GRID_AT = (0, 25, 50, 75, 100)
_KEPT = 16  # charts kept, by title and bars
_drawn: OrderedDict[tuple[str, tuple[Bar, ...]], bytes] = OrderedDict()
_drawn_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Bar:
    """One organization's bar: its label, the share (0-1) or None, and the words shown
    beside it (the same the text says)."""

    label: str
    share: float | None
    note: str


def participation_png(title: str, bars: Sequence[Bar]) -> bytes:
    """A horizontal bar chart of each organization's share of polls voted in, as PNG.
    The same title and bars give the same picture: the last few are kept (`_drawn`)."""
    key = (title, tuple(bars))
    with _drawn_lock:
        found = _drawn.get(key)
        if found is not None:
            _drawn.move_to_end(key)
            return found
    png = _draw(title, bars)
    with _drawn_lock:
        _drawn[key] = png
        while len(_drawn) > _KEPT:
            _drawn.popitem(last=False)
    return png


def load() -> None:
    """Import what a chart needs (matplotlib, Pillow) and find its font, ahead of the
    first chart: an empty chart, drawn and dropped."""
    _draw("", ())


def _draw(title: str, bars: Sequence[Bar]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.figure import Figure
    from PIL import Image

    from coalition_bot.chart_canvas import Label, Texts

    rows = max(len(bars), 1)
    height = _TOP + _BOTTOM + _ROW * rows
    figure = Figure(figsize=(_WIDTH, height), dpi=_DPI)
    canvas = FigureCanvasAgg(figure)

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
    labels = [Label(*at(x, rows + 0.3), f"{x}%", ha="center", va="top") for x in _GRID_AT]
    labels += [Label(*at(-1, y + 0.5), _shorten(f"{bar.label}: {bar.note}"), ha="right")
               for y, bar in enumerate(bars)]  # the organization and its figure, as the text
    if not bars:
        labels.append(Label(*at(-1, 0.5), "no organizations yet", ha="right"))
    labels.append(Label(0.01, 1 - 0.22 / height, title, size=10))
    figure.add_artist(Texts(labels))
    canvas.draw()  # type: ignore[no-untyped-call]
    rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
    pixels = Image.frombuffer("RGBA", canvas.get_width_height(), rgba, "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    pixels.convert("L").save(out, format="png", compress_level=1)
    return out.getvalue()


def _shorten(label: str, most: int = 48) -> str:
    """A label that fits the margin (the text has it whole)."""
    return label if len(label) <= most else label[:most - 1] + "…"
