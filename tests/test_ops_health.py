"""`/healthz` and `/metrics` of a running bot: 200 only when the database answers, the
scheduler sweeps and every front door is connected; otherwise 503 naming what is wrong.
The metrics parse with prometheus-client's own parser."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from fake_discord import World
from helpers import Chat, MovableClock
from prometheus_client.parser import text_string_to_metric_families

from coalition_bot.bot import Bot
from coalition_bot.health import AdminServer
from coalition_bot.scheduler import Scheduler


@contextlib.asynccontextmanager
async def serving(bot: Bot, scheduler: Scheduler, doors=()) -> AsyncIterator[str]:
    admin = AdminServer(bot, scheduler, list(doors))
    where = await admin.serve(0)
    try:
        yield where.split()[0].removesuffix("/healthz")
    finally:
        await admin.stop()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def healthz(base: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{base}/healthz") as response:
        return response.status, await response.json()


@pytest.fixture
async def running(bot: Bot) -> AsyncIterator[Scheduler]:
    scheduler = Scheduler(bot)
    await scheduler.start()
    yield scheduler
    await scheduler.stop()


async def test_healthz_is_200_when_all_is_well(coalition: Chat, running: Scheduler) -> None:
    async with serving(coalition.bot, running) as base:
        status, body = await healthz(base)
    assert status == 200, body
    assert body["ok"] is True
    assert body["problems"] == {}
    assert body["checks"]["database"]["ok"]
    assert body["checks"]["scheduler"]["ok"]
    assert body["checks"]["deliveries"]["pending"] == 0


async def test_healthz_is_503_when_the_database_is_locked_beyond_its_wait(
        coalition: Chat, running: Scheduler, db_path: Path) -> None:
    coalition.bot.db.busy_timeout_ms = 200
    async with serving(coalition.bot, running) as base:
        with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
            started = time.monotonic()
            status, body = await healthz(base)
            waited = time.monotonic() - started
            other.execute("ROLLBACK")
        assert status == 503
        assert list(body["problems"]) == ["database"]
        assert "locked by another program for more than 0.2 s" in body["problems"]["database"]
        assert 0.15 < waited < 5
        assert (await healthz(base))[0] == 200  # the lock is gone: healthy again


async def test_healthz_is_503_when_the_scheduler_has_stopped(
        coalition: Chat, running: Scheduler) -> None:
    async with serving(coalition.bot, running) as base:
        assert (await healthz(base))[0] == 200
        await running.stop()
        status, body = await healthz(base)
    assert status == 503
    assert body["problems"] == {"scheduler": "stopped"}


async def test_healthz_is_503_when_the_scheduler_has_not_swept_lately(
        coalition: Chat, bot: Bot) -> None:
    scheduler = Scheduler(bot, sweep_every=0.05)
    await scheduler.start()
    try:
        async with serving(bot, scheduler) as base:
            assert (await healthz(base))[0] == 200
            scheduler.last_sweep = time.monotonic() - 10  # a sweep stuck for 10 s
            scheduler._aps.pause()  # type: ignore[union-attr]
            status, body = await healthz(base)
    finally:
        await scheduler.stop()
    assert status == 503
    assert "last sweep 10 s ago" in body["problems"]["scheduler"]


async def test_healthz_is_503_when_discord_drops_the_connection(tmp_path: Path) -> None:
    async with World.open(tmp_path) as world:
        scheduler = Scheduler(world.bot)
        await scheduler.start()
        try:
            async with serving(world.bot, scheduler, [world.door]) as base:
                status, body = await healthz(base)
                assert status == 200, body
                assert body["checks"]["discord"] == {"ok": True, "error": None}
                await world.fake.drop()
                for _ in range(100):
                    status, body = await healthz(base)
                    if status == 503:
                        break
                    await asyncio.sleep(0.05)
                assert status == 503, body
                assert body["problems"] == {"discord": "not connected"}
                world.fake.restore()  # Discord is back: discord.py reconnects by itself
                for _ in range(300):
                    status, body = await healthz(base)
                    if status == 200:
                        break
                    await asyncio.sleep(0.05)
                assert status == 200, body
        finally:
            await scheduler.stop()


async def test_metrics_parse_and_count_commands_and_deliveries(
        coalition: Chat, running: Scheduler, clock: MovableClock) -> None:
    async with serving(coalition.bot, running) as base:
        await coalition.ok("Alice", "poll create Join the march?")
        await coalition.say("Alice", "poll vote 42 agree")
        await coalition.ok("Alice", "poll close 1 confirm:yes")  # its result is a delivery
        status, text = await get(f"{base}/metrics")
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    assert samples[("coalition_bot_commands_total",
                    (("command", "poll create"), ("outcome", "ok")))] == 1
    assert samples[("coalition_bot_commands_total",
                    (("command", "poll vote"), ("outcome", "refused")))] == 1
    assert samples[("coalition_bot_command_duration_seconds_count",
                    (("command", "poll create"),))] == 1
    assert samples[("coalition_bot_deliveries_total",
                    (("outcome", "sent"), ("platform", "console")))] >= 1
    assert samples[("coalition_bot_deliveries_pending", ())] == 0
    assert samples[("coalition_bot_deliveries_failed", ())] == 0
    assert samples[("coalition_bot_database_up", ())] == 1
    assert 0 <= samples[("coalition_bot_scheduler_lag_seconds", ())] < 30
    assert ("coalition_bot_oldest_pending_delivery_age_seconds", ()) in samples
