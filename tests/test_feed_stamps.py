"""A feed's ETag and Last-Modified come from the database, not from a process: a restart
(a new Bot on the same database) and a second process give the same headers for the same
feed; conditional requests get 304; a change gives new ones, later ones."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import pytest
from helpers import Chat, MovableClock, field
from web_support import served

from coalition_bot.bot import Bot

pytestmark = pytest.mark.both_backends

Headers = tuple[str, str]  # ETag, Last-Modified
BASE = "https://bot.example.org"  # every process's [web] base_url (it is in the feed)


async def _headers(bot: Bot, path: str) -> Headers:
    """The feed's caching headers as `bot`'s own web server gives them."""
    async with served(bot) as site:
        bot.serve_pages_at(BASE)  # not the test server's own port
        status, _, headers = await site.get(path)
    assert status == 200, path
    return headers["ETag"], headers["Last-Modified"]


async def _feeds(c: Chat) -> list[str]:
    """The coalition's feed path and Bob's own."""
    await c.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00" every:weekly')
    await c.ok("Bob", "meeting rsvp 1 yes")
    await c.ok("Alice", "coalition page on")
    personal = field(await c.ok("Bob", "meeting feed"), "Your calendar feed")
    return ["/c/eastside-tenants/calendar.ics", personal[personal.index("/feed/"):]]


async def test_a_restart_and_a_second_process_give_the_same_headers(
        coalition: Chat, bot: Bot, db_path, clock: MovableClock) -> None:
    paths = await _feeds(coalition)
    first = [await _headers(bot, path) for path in paths]
    clock.advance(hours=3)
    second_process = await Bot.open(db_path, clock=clock)  # the same database, at once
    try:
        assert [await _headers(second_process, path) for path in paths] == first
    finally:
        await second_process.close()
    await bot.close()  # the first process stops (the fixture's close does nothing more)
    clock.advance(days=2)
    restarted = await Bot.open(db_path, clock=clock)
    try:
        assert [await _headers(restarted, path) for path in paths] == first
    finally:
        await restarted.close()


async def test_conditional_requests_get_304_across_a_restart(
        coalition: Chat, bot: Bot, db_path, clock: MovableClock) -> None:
    paths = await _feeds(coalition)
    before = [await _headers(bot, path) for path in paths]
    clock.advance(hours=1)
    other = await Bot.open(db_path, clock=clock)
    try:
        async with served(other) as site:
            other.serve_pages_at(BASE)
            for path, (etag, modified) in zip(paths, before, strict=True):
                assert (await site.get(path, **{"If-None-Match": etag}))[0] == 304
                assert (await site.get(path, **{"If-Modified-Since": modified}))[0] == 304
                assert (await site.get(path, **{"If-None-Match": '"other"'}))[0] == 200
                earlier = format_datetime(parsedate_to_datetime(modified)
                                          - timedelta(seconds=1), usegmt=True)
                assert (await site.get(path, **{"If-Modified-Since": earlier}))[0] == 200
    finally:
        await other.close()


async def test_a_change_moves_both_headers_for_every_process(
        coalition: Chat, bot: Bot, db_path, clock: MovableClock) -> None:
    paths = await _feeds(coalition)
    before = [await _headers(bot, path) for path in paths]
    clock.advance(minutes=10)
    await coalition.ok("Alice", 'meeting update 1 where:"Union hall"')
    after = [await _headers(bot, path) for path in paths]
    for (etag, modified), (new_etag, new_modified) in zip(before, after, strict=True):
        assert new_etag != etag
        assert parsedate_to_datetime(new_modified) > parsedate_to_datetime(modified)
    clock.advance(hours=1)
    other = await Bot.open(db_path, clock=clock)
    try:
        assert [await _headers(other, path) for path in paths] == after
        async with served(other) as site:
            other.serve_pages_at(BASE)
            etag, modified = before[0]
            status, body, _ = await site.get(paths[0], **{"If-None-Match": etag})
            assert status == 200
            assert "Union hall" in body
            assert (await site.get(paths[0], **{"If-Modified-Since": modified}))[0] == 200
    finally:
        await other.close()


async def test_a_change_within_the_same_second_still_moves_last_modified(
        coalition: Chat, bot: Bot) -> None:
    paths = await _feeds(coalition)
    etag, modified = await _headers(bot, paths[0])
    await coalition.ok("Alice", 'meeting update 1 where:"Union hall"')  # the clock stands
    new_etag, new_modified = await _headers(bot, paths[0])
    assert new_etag != etag
    assert parsedate_to_datetime(new_modified) > parsedate_to_datetime(modified)
