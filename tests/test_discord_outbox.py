"""A command's notice through the real discord.py client when Discord fails: a 5xx is
retried until the notice arrives exactly once; a 403 or 404 is given up and shown to
coordinators. discord.py itself retries a 500 (after a second) before it raises; a 503
reaches the bot at once, so the outbox's own retry is what brings it through."""

from __future__ import annotations

import sqlite3

import pytest
from fake_discord import BOB, CHANNEL_ID, World

RESULT = "Poll #1 closed"


def results(world: World) -> int:
    """Result notices Discord took in the home channel."""
    return sum(1 for c in world.fake.delivered if c.path == f"/channels/{CHANNEL_ID}/messages"
               and RESULT in str(c.body))


def attempts(world: World) -> int:
    return sum(1 for c in world.fake.calls if c.method == "POST"
               and c.path == f"/channels/{CHANNEL_ID}/messages" and RESULT in str(c.body))


def notice_rows(world: World) -> list[tuple]:
    with sqlite3.connect(world.db_path) as conn:
        return conn.execute("SELECT status, last_error, hint FROM delivery"
                            " WHERE kind = 'notice' AND subject_id ="
                            " (SELECT max(id) FROM notice)").fetchall()


async def close_a_poll(world: World) -> None:
    await world.coalition()
    await world.ok("poll create", question="Weekend action day?")
    await world.ok("poll vote", poll="1", choice="agree", by=BOB)
    await world.ok("poll close", poll="1")
    await world.bot.drain()


async def test_a_discord_503_is_retried_and_the_notice_arrives_once(world: World) -> None:
    world.fake.outages[CHANNEL_ID] = [(503, 0), (503, 0)]
    await close_a_poll(world)
    assert results(world) == 0
    assert notice_rows(world)[0][0] == "pending"
    world.clock.advance(seconds=31)
    await world.bot.outbox.send_due()
    assert results(world) == 0
    world.clock.advance(seconds=61)
    await world.bot.outbox.send_due()
    assert results(world) == 1
    world.clock.advance(hours=3)
    await world.bot.outbox.send_due()
    assert results(world) == 1
    assert attempts(world) == 3
    assert notice_rows(world)[0][0] == "sent"


async def test_a_discord_500_then_success_arrives_once(world: World) -> None:
    world.fake.outages[CHANNEL_ID] = [(500, 0)]
    await close_a_poll(world)
    if results(world) == 0:  # discord.py gave up before the fake recovered: ours retries
        world.clock.advance(seconds=31)
        await world.bot.outbox.send_due()
    assert results(world) == 1
    world.clock.advance(hours=1)
    await world.bot.outbox.send_due()
    assert results(world) == 1


@pytest.mark.parametrize(("status", "code", "hint"), [
    (403, 50001, "cannot see the home channel"),
    (403, 50013, "may not post in the home channel"),
    (404, 10003, "home channel is gone"),
])
async def test_missing_access_or_an_unknown_channel_is_not_retried_and_shown(
        world: World, status: int, code: int, hint: str) -> None:
    world.fake.outages[CHANNEL_ID] = [(status, code)] * 10
    await close_a_poll(world)
    assert attempts(world) == 1
    for _ in range(4):
        world.clock.advance(hours=1)
        await world.bot.outbox.send_due()
    assert attempts(world) == 1
    (state, error, stored_hint), = notice_rows(world)
    assert state == "failed"
    assert f"HTTP {status}, code {code}" in error
    assert hint in stored_hint
    world.fake.outages[CHANNEL_ID] = []
    shown = await world.ok("coalition deliveries")
    assert shown.ephemeral
    assert RESULT in shown.text
    assert hint in shown.text
