"""The garbage collector's permanent generation is the long-running bot's choice, made
at start-up (`cli.settle_heap`), never a side effect of importing the chart code."""

from __future__ import annotations

import subprocess
import sys

FROZEN = "import gc, {module}; {call}print(gc.get_freeze_count())"


def _frozen(module: str, call: str = "") -> int:
    done = subprocess.run([sys.executable, "-c", FROZEN.format(module=module, call=call)],
                          capture_output=True, text=True, check=True, timeout=120)
    return int(done.stdout.split()[-1])


def test_importing_the_chart_code_leaves_the_collector_alone() -> None:
    assert _frozen("coalition_bot.chart_canvas") == 0
    assert _frozen("coalition_bot.charts", "coalition_bot.charts.load(); ") == 0


def test_start_up_loads_the_charts_and_freezes_what_is_alive() -> None:
    frozen = _frozen("coalition_bot.cli", "coalition_bot.cli.settle_heap(); ")
    assert frozen > 20_000  # matplotlib's modules and fonts among them
