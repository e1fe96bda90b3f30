"""The web pages ask the core only through `Bot`, as the adapters do: a page and its
feeds by address, and a person's feed by token; anything not there is None alike."""

from __future__ import annotations

import pytest
from helpers import Chat, field

from coalition_bot.bot import Bot

pytestmark = pytest.mark.both_backends


async def test_the_bot_gives_a_page_and_its_feed_by_slug(coalition: Chat, bot: Bot) -> None:
    await coalition.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00"')
    await coalition.ok("Alice", "coalition page on")
    found = await bot.page_view("eastside-tenants")
    assert found is not None
    assert found.name == "Eastside Tenants"
    assert found.meetings is not None
    assert [m.title for m in found.meetings] == ["Strategy call"]
    feed = await bot.coalition_feed("eastside-tenants")
    assert feed is not None
    assert b"SUMMARY:Strategy call" in feed.body
    await coalition.ok("Alice", "coalition page off")
    assert await bot.page_view("eastside-tenants") is None
    assert await bot.coalition_feed("eastside-tenants") is None
    assert await bot.page_view("no-such-page") is None


async def test_the_bot_gives_a_personal_feed_by_token_until_reset(coalition: Chat,
                                                                  bot: Bot) -> None:
    await coalition.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00"')
    await coalition.ok("Alice", "meeting rsvp 1 yes")
    address = field(await coalition.ok("Alice", "meeting feed"), "Your calendar feed")
    token = address.rsplit("/feed/", 1)[1].removesuffix(".ics")
    feed = await bot.personal_feed(token)
    assert feed is not None
    assert b"SUMMARY:Strategy call" in feed.body
    await coalition.ok("Alice", "meeting feed reset")
    assert await bot.personal_feed(token) is None
