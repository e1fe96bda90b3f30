"""Several bot processes on one PostgreSQL database: claims side by side, one sweep at a
time, and NOTIFY telling the others at once.

Each "process" is a Bot of its own (its own connection pool, its own outbox owner, its
own Scheduler and listening connection) on the one test database, in this test's event
loop, as `coalition-bot run` processes would be on one server. A plain psycopg
connection stands for another process holding a lock. Periodic sweeps are set to a fake
hour (a real minute at 60x), so anything that arrives within a test was brought by a
claim, a timer or a NOTIFY, never by the sweep. Nothing sleeps for a fixed time: every
wait polls with a deadline.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import psycopg
import pytest
from helpers import Chat, MovableClock, RecordingOutlet
from scheduler_support import Outbox, query, utc, wait_until

from coalition_bot.bot import Bot
from coalition_bot.clock import WarpClock
from coalition_bot.replies import Notice
from coalition_bot.scheduler import Scheduler
from coalition_bot.services.deliveries import enqueue_notices
from coalition_bot.store import polls as poll_sql
from coalition_bot.store.coordination import SWEEP_LOCK, WRITE_LOCK

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

SPEED = 60.0
ANCHOR = utc(2026, 11, 23, 14, 58, 30)  # 09:58:30 in New York
NO_SWEEP = 3600.0  # a fake hour: a real minute at 60x, longer than any test here
SETUP = 'coalition setup "Eastside Tenants" America/New_York'


class SlowOutbox(Outbox):
    """A platform that takes a couple of milliseconds per post, as a real one does."""

    async def post_notice(self, notice: Notice, channel_id: str, *,
                          workspace_id: str = "") -> None:
        await asyncio.sleep(0.002)
        self._take(channel_id, notice, private=False)


async def held_lock(url: str, lock: int) -> psycopg.AsyncConnection[tuple[object, ...]]:
    """Another process in a transaction holding advisory lock `lock` until rolled back."""
    conn = await psycopg.AsyncConnection.connect(url)
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
    return conn


async def test_two_processes_claim_due_deliveries_side_by_side_each_sent_once(
        db_path: str, clock: MovableClock) -> None:
    """240 deliveries due, two processes sending them at once while a third holds the
    write lock (a long command): every row goes out exactly once, both processes
    claimed some (SKIP LOCKED passes over the other's row), and nobody waited for the
    write lock (claims do not take it)."""
    first, second = [await Bot.open(db_path, clock=clock) for _ in range(2)]
    try:
        await Chat(first, RecordingOutlet("console")).ok("Alice", SETUP)
        async with first.db.transaction() as conn:
            [(coalition_id,)] = await conn.execute_fetchall("SELECT id FROM coalition")
            written = await enqueue_notices(
                conn, [Notice(coalition_id, f"Notice {n}") for n in range(240)], clock())
        assert written == 240
        outlets = SlowOutbox("console", clock), SlowOutbox("console", clock)
        first.add_outlet(outlets[0])
        second.add_outlet(outlets[1])
        blocker = await held_lock(db_path, WRITE_LOCK)
        try:
            began = time.monotonic()
            reports = await asyncio.wait_for(asyncio.gather(
                first.outbox.send_due(), second.outbox.send_due()), timeout=60)
            took = time.monotonic() - began
        finally:
            await blocker.rollback()
            await blocker.close()
    finally:
        await first.close()
        await second.close()
    titles = [s.title for o in outlets for s in o.sent if s.title.startswith("Notice ")]
    assert sorted(titles) == sorted(f"Notice {n}" for n in range(240)), "lost or repeated"
    mine = [len([s for s in o.sent if s.title.startswith("Notice ")]) for o in outlets]
    assert all(mine), f"both processes claim: {mine}"
    assert sum(len(r.sent) for r in reports) == len(titles)
    assert took < 20, f"the claims waited for the write lock: {took:.1f} s"
    assert query(db_path, "SELECT status, count(*) FROM delivery WHERE kind = 'notice'"
                          " GROUP BY status") == [("sent", 240)]


@pytest.fixture
async def pg_pair(db_path: str) -> AsyncIterator[tuple[Chat, Bot, Outbox, Scheduler]]:
    """Process A, where commands arrive (no scheduler, no outlet of its platform), and
    process B, with the console outlet and a started scheduler that sweeps only hourly
    (fake time, 60x)."""
    clock = WarpClock(ANCHOR, time.time(), SPEED)
    a = await Bot.open(db_path, clock=clock)
    b = await Bot.open(db_path, clock=clock)
    chat = Chat(a, RecordingOutlet("console"))  # A posts nothing: the outlet is not added
    await chat.ok("Alice", SETUP)
    await chat.ok("Alice", 'coalition org add "Tenants United"')  # someone to remind
    outbox = Outbox("console", clock)
    b.add_outlet(outbox)
    scheduler = Scheduler(b, sweep_every=NO_SWEEP)
    await scheduler.start()
    try:
        yield chat, b, outbox, scheduler
    finally:
        await scheduler.stop()
        await a.close()
        await b.close()


async def test_a_poll_created_in_one_process_is_closed_by_anothers_timer_at_its_deadline(
        pg_pair: tuple[Chat, Bot, Outbox, Scheduler]) -> None:
    chat, _, outbox, scheduler = pg_pair
    # 10:01 in New York: 150 fake seconds after the anchor, 2.5 real seconds
    await chat.ok("Alice", 'poll create Go? closes:"2026-11-23 10:01"')
    closes = utc(2026, 11, 23, 15, 1)
    await wait_until(lambda: bool(outbox.titled("Poll #1 closed")), within=15,
                     what="process B closed the poll and announced its result")
    [sent] = outbox.titled("Poll #1 closed")
    # B's timer was planned from A's NOTIFY: within fake minutes (real seconds) of the
    # deadline, where the hourly sweep would have been up to a fake hour late
    assert closes <= sent.at < closes + timedelta(minutes=5), sent.at
    assert scheduler.wakeups.heard >= 1


async def test_a_notice_raised_in_one_process_is_sent_at_once_by_the_process_with_its_platform(
        pg_pair: tuple[Chat, Bot, Outbox, Scheduler]) -> None:
    chat, _, outbox, _ = pg_pair
    await chat.ok("Alice", "poll create Join the May Day march?")
    await chat.ok("Alice", "poll remind 1")
    took = await wait_until(lambda: bool(outbox.titled("Reminder: poll #1")), within=10,
                            what="process B sent A's notice")
    assert took < 5
    assert len(outbox.titled("Reminder: poll #1")) == 1


async def test_the_listener_reconnects_after_its_connection_is_terminated(
        pg_pair: tuple[Chat, Bot, Outbox, Scheduler], db_path: str,
        caplog: pytest.LogCaptureFixture) -> None:
    chat, _, outbox, scheduler = pg_pair
    caplog.set_level(logging.INFO)
    with psycopg.connect(db_path, autocommit=True) as admin:
        [(ended,)] = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = 'coalition-bot listen'").fetchall()
    assert ended == 1, "one listening connection per process"
    assert scheduler.wakeups.connections == 1
    await wait_until(lambda: scheduler.wakeups.connections == 2, within=10,
                     what="the listener reconnected")
    await chat.ok("Alice", "poll create Join the May Day march?")
    await chat.ok("Alice", "poll remind 1")
    await wait_until(lambda: bool(outbox.titled("Reminder: poll #1")), within=10,
                     what="process B still hears A after reconnecting")
    dropped = [r for r in caplog.records if "reconnecting" in r.getMessage()]
    assert dropped
    assert all(r.levelno == logging.WARNING for r in dropped)
    assert not any(r.exc_info for r in caplog.records), "no traceback in the log"


async def polls_closing(bot: Bot, count: int, closes_in: timedelta) -> None:
    """`count` polls (through the store: nothing re-plans) closing `closes_in` from now."""
    now = bot.clock()
    async with bot.db.transaction() as conn:
        [(coalition_id, person_id)] = await conn.execute_fetchall(
            "SELECT c.id, p.id FROM coalition c, person p")
        for n in range(count):
            await poll_sql.create_poll(
                conn, coalition_id, question=f"Go {n}?", proposal=True,
                choices=("agree", "abstain", "disagree", "block"), electorate="orgs",
                rule="majority", quorum_pct=50, anonymous=False, results="live",
                closes_at=now + closes_in, created_by=person_id, now=now)


def results(db_path: str) -> int:
    return query(db_path, "SELECT count(*) FROM delivery WHERE kind = 'poll-result'")[0][0]


async def test_one_process_sweeps_at_a_time_and_the_other_skips_without_waiting(
        db_path: str, clock: MovableClock) -> None:
    first, second = [await Bot.open(db_path, clock=clock) for _ in range(2)]
    try:
        await Chat(first, RecordingOutlet("console")).ok("Alice", SETUP)
        cycles = Scheduler(first), Scheduler(second)
        await polls_closing(first, 30, timedelta(minutes=5))
        clock.advance(minutes=6)
        # another process is sweeping: this one skips at once, sweeping nothing ...
        blocker = await held_lock(db_path, SWEEP_LOCK)
        try:
            began = time.monotonic()
            skipped = await cycles[1].tick()
            assert time.monotonic() - began < 2, "the sweep waited for the other one"
            assert results(db_path) == 0
            assert skipped.created == skipped.closed_polls == 0
            assert not skipped.swept
        finally:
            await blocker.rollback()
            await blocker.close()
        # ... and sweeps once more a moment later, so nothing waits for the next sweep
        await wait_until(lambda: results(db_path) == 30, within=10,
                         what="the skipped sweep was made up for")
        # both processes' timers fire at once: the polls are closed, and each result
        # written, exactly once between them
        await polls_closing(first, 40, timedelta(minutes=5))
        clock.advance(minutes=6)
        reports = await asyncio.gather(*(cycle.tick() for cycle in cycles))
        await first.drain()
        await second.drain()
        assert sum(r.closed_polls for r in reports) == 40
        assert sum(r.created for r in reports) == 40
        assert results(db_path) == 70
        assert query(db_path, "SELECT count(*) FROM poll WHERE status = 'closed'") == [(70,)]
    finally:
        await first.close()
        await second.close()


async def test_a_process_ignores_its_own_announcements_and_the_other_still_hears_them(
        db_path: str) -> None:
    """PostgreSQL delivers a NOTIFY to its sender's listener too. Process A, whose own
    command already re-planned its coalition and kicked its outbox, must not do both
    again for its own `plan` and `due`; process B hears them all. A NOTIFY sent last by
    someone else (in commit order, so after A's) shows A had read everything before."""
    clock = WarpClock(ANCHOR, time.time(), SPEED)
    a, b = [await Bot.open(db_path, clock=clock) for _ in range(2)]
    schedulers = Scheduler(a, sweep_every=NO_SWEEP), Scheduler(b, sweep_every=NO_SWEEP)
    try:
        for scheduler in schedulers:
            await scheduler.start()
        chat = Chat(a, RecordingOutlet("console"))
        await chat.ok("Alice", SETUP)
        await chat.ok("Alice", 'coalition org add "Tenants United"')
        await chat.ok("Alice", "poll create Join the May Day march?")
        await chat.ok("Alice", "poll remind 1")  # a plan:ID and a due
        mine, theirs = (s.wakeups for s in schedulers)
        await wait_until(lambda: theirs.heard == 5, within=10,
                         what="process B heard A's four plans and its due")
        async with await psycopg.AsyncConnection.connect(db_path, autocommit=True) as other:
            await other.execute("SELECT pg_notify('coalition_bot', 'due')")
        await wait_until(lambda: mine.heard >= 1, within=10,
                         what="process A heard another process's announcement")
        assert mine.heard == 1, "A re-planned or sent again for its own announcements"
        assert mine.own == 5
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
        await a.close()
        await b.close()


async def test_a_command_that_only_reads_sends_no_notify_and_costs_no_round_trip_for_it(
        db_path: str) -> None:
    """The server logs each statement of process B's one pooled connection back to it
    (`log_statement`, `client_min_messages`): `poll list` and `poll status` run no
    `pg_notify` and nothing arrives at a listener; `poll create` announces its plan."""
    clock = WarpClock(ANCHOR, time.time(), SPEED)
    a = await Bot.open(db_path, clock=clock)
    b = await Bot.open(db_path, clock=clock)
    listener = await psycopg.AsyncConnection.connect(db_path, autocommit=True)
    try:
        setup = Chat(a, RecordingOutlet("console"))
        await setup.ok("Alice", SETUP)
        await setup.ok("Alice", "poll create Join the May Day march?")
        statements: list[str] = []
        async with b.db.connection() as conn:  # B's pool: one connection, used in turn
            conn.add_notice_handler(lambda d: statements.append(d.message_primary or ""))
            try:
                await conn.execute("SET log_statement = 'all'")
            except psycopg.errors.InsufficientPrivilege:
                pytest.skip("the test server's user may not set log_statement")
            await conn.execute("SET client_min_messages = log")
        await listener.execute("LISTEN coalition_bot")
        chat = Chat(b, RecordingOutlet("console"))
        for line in ("poll list", "poll status 1"):
            statements.clear()
            await chat.ok("Alice", line)
            assert any("FROM poll " in s for s in statements), statements  # seen at all
            assert not any("pg_notify" in s for s in statements), f"{line}: {statements}"
        heard = [n.payload async for n in listener.notifies(timeout=0.5)]
        assert heard == [], "a read-only command announced a change"
        statements.clear()
        await chat.ok("Alice", "poll create Rent strike?")
        assert any("pg_notify" in s for s in statements)
        heard = [n.payload async for n in listener.notifies(timeout=2, stop_after=1)]
        assert [p.partition("/")[0] for p in heard] == ["plan:1"]
    finally:
        await listener.close()
        await a.close()
        await b.close()


async def announced_due(listener: psycopg.AsyncConnection[tuple[object, ...]]) -> int:
    """How many `due` announcements reached `listener` so far."""
    count = 0
    async for notify in listener.notifies(timeout=0.5):
        count += notify.payload.startswith("due")
    return count


async def test_the_process_that_swept_sends_its_rows_and_announces_only_what_it_cannot(
        db_path: str, clock: MovableClock) -> None:
    """In a burst both processes' timers fire at every due time. The one whose sweep
    wrote the rows sends them itself, telling nobody when it serves every platform they
    are for; the other, finding that sweep, neither sweeps nor claims (it would find
    nothing: three round trips). Rows for a platform the sweeper lacks are announced."""
    first, second = [await Bot.open(db_path, clock=clock) for _ in range(2)]
    listener = await psycopg.AsyncConnection.connect(db_path, autocommit=True)
    try:
        await listener.execute("LISTEN coalition_bot")
        await Chat(first, RecordingOutlet("console")).ok("Alice", SETUP)
        outlets = Outbox("console", clock), Outbox("console", clock)
        first.add_outlet(outlets[0])
        second.add_outlet(outlets[1])
        cycles = Scheduler(first), Scheduler(second)
        await polls_closing(first, 5, timedelta(minutes=5))
        clock.advance(minutes=6)

        swept = await cycles[0].tick(for_due_time=True)
        skipped = await cycles[1].tick(for_due_time=True)  # the same due time, at once

        assert swept.swept
        assert swept.closed_polls == 5
        assert len(outlets[0].titled("Poll #")) == 5
        assert not skipped.swept
        assert skipped.sent == []
        assert outlets[1].sent == []
        assert await announced_due(listener) == 0
        # a Discord server joins the coalition: its rows are the other process's
        async with first.db.transaction() as conn:
            await conn.execute("INSERT INTO binding (coalition_id, platform, workspace_id,"
                               " home_channel_id, created_at) SELECT id, 'discord', 'G1',"
                               " 'C1', created_at FROM coalition")
        await polls_closing(first, 2, timedelta(minutes=5))
        clock.advance(minutes=6)
        await cycles[0].tick(for_due_time=True)
        assert await announced_due(listener) == 1
        await first.drain()
        await second.drain()
    finally:
        await listener.close()
        await first.close()
        await second.close()
