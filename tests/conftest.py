"""Shared fixtures: a real SQLite file, the real bot, a clock tests can move.

`chat` is a queue-in/queue-out front door in the style of errbot's test backend: it
builds the same `Invocation`s an adapter builds and records the notices the bot posts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Chat, MovableClock, RecordingOutlet
from scheduler_support import Outbox

from coalition_bot.bot import Bot
from coalition_bot.scheduler import Scheduler


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "coalition.db"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def bot(db_path: Path, clock: MovableClock):
    bot = await Bot.open(db_path, clock=clock)
    yield bot
    await bot.close()


@pytest.fixture
async def chat(bot: Bot) -> Chat:
    outlet = RecordingOutlet("console")
    bot.add_outlet(outlet)
    return Chat(bot, outlet)


@pytest.fixture
async def coalition(chat: Chat) -> Chat:
    """A coalition set up by Alice with two organizations, one represented by Bob."""
    await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
    await chat.ok("Alice", 'coalition org add "Tenants United"')
    await chat.ok("Alice", 'coalition org add "Climate Now"')
    await chat.ok("Alice", 'coalition rep add Bob "Tenants United"')
    return chat


@pytest.fixture
async def partners(coalition: Chat) -> Chat:
    """The coalition plus Dan (Climate Now's representative) and Eve (a member)."""
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Eve", "coalition info")
    return coalition


@pytest.fixture
async def world(tmp_path: Path):
    """Discord: the fake Discord API, the real discord.py client and our adapter, the
    bot on a real SQLite file (`fake_discord.World`); no coalition yet."""
    from fake_discord import World  # loads discord.py only for the tests that use it

    async with World.open(tmp_path) as w:
        yield w


@pytest.fixture
async def outbox(bot: Bot, coalition: Chat, clock: MovableClock) -> Outbox:
    """The console outlet, replaced (after the coalition is set up) by a recording one
    that can be made to fail (the scheduler tests)."""
    box = Outbox("console", clock)
    bot.add_outlet(box)
    return box


@pytest.fixture
def scheduler(bot: Bot) -> Scheduler:
    """A real Scheduler on the bot; tests call `tick()` (its timers are never started)."""
    return Scheduler(bot)
