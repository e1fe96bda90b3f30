"""`[web] base_url` belongs to one Bot, not to the process: two bots in one process, each
with its own address, give their own in page replies, feed addresses, the feeds' URLs
and meeting reminders' "Subscribe" links, however their commands interleave."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import Chat, MovableClock, field
from scheduler_support import Outbox, tick_at, utc

from coalition_bot.bot import Bot
from coalition_bot.scheduler import Scheduler

EAST, WEST = "https://east.example.org", "https://west.example.org"


@pytest.fixture
async def two(tmp_path: Path, clock: MovableClock) -> AsyncIterator[list[tuple[Chat, Outbox]]]:
    """Two bots in this process, each on its own file with its own [web] base_url, each
    with a coalition whose page is on and a meeting reminded an hour before."""
    found = []
    for name, base in (("east", EAST), ("west", WEST)):
        bot = await Bot.open(tmp_path / f"{name}.db", clock=clock, base_url=base + "/")
        outbox = Outbox("console", clock)
        bot.add_outlet(outbox)
        found.append((Chat(bot, outbox), outbox))  # type: ignore[arg-type]
    try:
        for (chat, _), name in zip(found, ("East Tenants", "West Tenants"), strict=True):
            await chat.ok("Alice", f'coalition setup "{name}" America/New_York')
        for chat, _ in found:
            await chat.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00" '
                                   "remind:1h")
        yield found
    finally:
        for chat, _ in found:
            await chat.bot.close()


async def test_each_bot_gives_its_own_address_in_replies(
        two: list[tuple[Chat, Outbox]]) -> None:
    (east, _), (west, _) = two
    east_on = await east.ok("Alice", "coalition page on")
    west_on = await west.ok("Alice", "coalition page on")
    assert field(east_on, "Address") == f"{EAST}/c/east-tenants"
    assert field(west_on, "Address") == f"{WEST}/c/west-tenants"
    assert field(await east.ok("Alice", "meeting feed"), "Your calendar feed") \
        .startswith(f"{EAST}/feed/")
    assert field(await west.ok("Alice", "meeting info 1"), "Subscribe to every meeting") \
        == "webcal://west.example.org/c/west-tenants/calendar.ics"
    assert field(await east.ok("Alice", "meeting info 1"), "Subscribe to every meeting") \
        == "webcal://east.example.org/c/east-tenants/calendar.ics"
    assert east.bot.page_url("/c/x") == f"{EAST}/c/x"
    assert west.bot.page_url("/c/x") == f"{WEST}/c/x"


async def test_each_bots_feed_names_its_own_page(two: list[tuple[Chat, Outbox]]) -> None:
    for chat, _ in two:
        await chat.ok("Alice", "coalition page on")
    for (chat, _), base, slug in zip(two, (EAST, WEST), ("east-tenants", "west-tenants"),
                                     strict=True):
        feed = await chat.bot.coalition_feed(slug)
        assert feed is not None
        assert f"URL:{base}/c/{slug}\r\n".encode() in feed.body


async def test_each_bots_reminders_link_its_own_feed(two: list[tuple[Chat, Outbox]],
                                                     clock: MovableClock) -> None:
    for chat, _ in two:
        await chat.ok("Alice", "coalition page on")
    for at in (utc(2026, 12, 1, 22), utc(2026, 12, 1, 22) + timedelta(minutes=1)):
        for chat, _ in two:
            await tick_at(Scheduler(chat.bot), clock, at)
    for (_, outbox), host, slug in zip(two, ("east", "west"), ("east-tenants", "west-tenants"),
                                       strict=True):
        [reminder] = outbox.reminders()
        links = {f.name: f.value for f in reminder.notice.fields}
        assert links["Subscribe to every meeting"] == \
            f"webcal://{host}.example.org/c/{slug}/calendar.ics"


async def test_a_bot_without_base_url_gives_paths(bot: Bot, coalition: Chat) -> None:
    on = await coalition.ok("Alice", "coalition page on")
    assert field(on, "Address") == "/c/eastside-tenants"
    assert field(on, "Served").startswith("not by this bot yet")
