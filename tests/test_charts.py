"""The health chart off the event loop and kept by its data: other people's commands
go on while a chart is drawn, and the same figures are not drawn twice."""

from __future__ import annotations

import asyncio
import io
import time

from helpers import Chat
from PIL import Image

from coalition_bot.charts import Bar, participation_png
from coalition_bot.replies import Reply


def test_the_same_figures_give_the_kept_picture_and_new_figures_a_new_one() -> None:
    bars = [Bar("#1 Tenants United", 0.5, "1 of 2 (50%)"), Bar("#2 Climate Now", None,
                                                               "no polls")]
    first = participation_png("Share of polls voted in, last 90 days", bars)
    assert participation_png("Share of polls voted in, last 90 days", list(bars)) is first
    changed = [bars[0], Bar("#2 Climate Now", 1.0, "2 of 2 (100%)")]
    other = participation_png("Share of polls voted in, last 90 days", changed)
    assert other != first
    assert participation_png("Share of polls voted in, last 30 days", bars) != first
    # the longer bar: dark across the right half of the bar area, where it was white
    row = [Image.open(io.BytesIO(png)).convert("L").getpixel((700, 82)) for png in (first,
                                                                                   other)]
    assert row[0] > 200 > 60 > row[1]


async def test_other_commands_are_answered_while_a_chart_is_drawn(coalition: Chat) -> None:
    for n in range(40):  # names never drawn before: a chart that takes a while
        await coalition.ok("Alice", f'coalition org add "Loop Check {time.time_ns()} {n}"')
    ticks: list[float] = []
    finished: list[str] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0)

    async def command(user: str, line: str) -> Reply:
        reply = await coalition.ok(user, line)
        finished.append(line)
        return reply

    running = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    began = time.perf_counter()
    health = asyncio.create_task(command("Alice", "coalition health"))
    info = asyncio.create_task(command("Bob", "coalition info"))
    reply = await health
    await info
    running.cancel()
    assert reply.files[0].data[:4] == b"\x89PNG"
    # drawn after the transaction, in a worker thread: Bob's command, sent just after,
    # was answered first, and the loop kept turning (drawn on it, it turned 0 times)
    assert finished == ["coalition info", "coalition health"]
    assert len([t for t in ticks if t >= began]) > 20
