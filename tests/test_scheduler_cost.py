"""What a scheduler tick costs, counted in what SQLite reads rather than timed: a tick
must not do work that grows with every series the coalitions ever scheduled.

Each statement a tick runs is traced on the bot's own connection, then asked for its
query plan: a `SCAN meeting` is a read of every meeting row. The reminder candidates
used to be asked with an `OR` and an `ORDER BY id`, which SQLite answered by scanning
the table (10-16 ms a tick with 10 000 series, bench/scheduler_bench.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from helpers import Chat, MovableClock, query
from scheduler_support import Outbox, execute, tick_at

from coalition_bot.bot import Bot
from coalition_bot.scheduler import Scheduler

SERIES = 60


async def traced_tick(bot: Bot, scheduler: Scheduler, clock: MovableClock,
                      step: timedelta) -> list[str]:
    """The statements one tick ran, `step` after the last one (values inlined)."""
    seen: list[str] = []
    await bot.db.conn.set_trace_callback(seen.append)  # type: ignore[attr-defined]
    try:
        await tick_at(scheduler, clock, clock.now + step)
    finally:
        await bot.db.conn.set_trace_callback(None)  # type: ignore[attr-defined]
    return seen


def scans(db_path: Path, statements: list[str], table: str) -> list[str]:
    """The statements whose plan reads every row of `table`."""
    found = []
    with sqlite3.connect(db_path) as con:
        for sql in statements:
            if sql.split()[0].upper() not in ("SELECT", "UPDATE", "DELETE", "WITH"):
                continue
            plan = [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql)]
            if any(step == f"SCAN {table}" or step.startswith(f"SCAN {table} ")
                   for step in plan):
                found.append(" ".join(sql.split())[:120])
    return found


async def test_a_tick_reads_only_the_series_with_a_reminder_coming(
        coalition: Chat, outbox: Outbox, bot: Bot, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    for i in range(SERIES):  # a series a day at 18:00, then a few with a reminder soon
        day = 1 + i % 28
        await coalition.ok("Alice", f'meeting schedule "Call {i}" "2026-12-{day:02d} 18:00"'
                                    " every:weekly remind:1h")
    await scheduler.tick()  # the first sweep reads every series once and marks them
    execute(db_path, "UPDATE meeting SET next_remind_at = NULL WHERE number = 7")  # unknown

    statements = await traced_tick(bot, scheduler, clock, timedelta(minutes=1))

    assert any("FROM meeting" in s for s in statements), "the sweep did not look"
    assert scans(db_path, statements, "meeting") == []


async def test_a_sweep_reads_a_coalitions_home_channels_once_for_all_its_reminders(
        coalition: Chat, outbox: Outbox, bot: Bot, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    for i in range(5):  # five meetings at the same time: five reminders in one sweep
        await coalition.ok("Alice", f'meeting schedule "Call {i}" "2026-11-23 10:30"'
                                    " remind:15m")
    await scheduler.tick()

    statements = await traced_tick(bot, scheduler, clock, timedelta(minutes=16))

    assert len(outbox.sent) == 5
    # once by the sweep (where the rows go), once by the send (where they go now)
    assert sum("FROM binding WHERE coalition_id" in s for s in statements) == 2


async def test_a_batch_of_reminders_is_rendered_with_one_read_of_each_kind(
        coalition: Chat, outbox: Outbox, bot: Bot, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    """Reminders claimed together are rendered together: the series, their changed
    dates, the yes answers, the agendas and the page are each read once for all."""
    for i in range(5):
        await coalition.ok("Alice", f'meeting schedule "Call {i}" "2026-11-23 10:30"'
                                    " remind:15m")
        await coalition.ok("Bob", f"meeting rsvp {i + 1} yes")
        await coalition.ok("Bob", f"meeting agenda add {i + 1} Item {i}")
    await scheduler.tick()

    statements = await traced_tick(bot, scheduler, clock, timedelta(minutes=16))

    assert len(outbox.sent) == 5
    for table in ("FROM meeting WHERE id", "FROM rsvp", "FROM agenda_item",
                  "FROM coalition_page"):
        assert sum(table in s for s in statements) == 1, table


async def test_a_sweep_reads_home_channels_open_polls_and_actions_once_whatever_is_due(
        coalition: Chat, outbox: Outbox, bot: Bot, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    """Reminders of three coalitions in one sweep, a poll past its deadline and a poll
    not: one query for all their home channels, one for the open polls (closing ones and
    the closing reminder's), one for the open actions (due, and due in two days)."""
    for k in range(3):
        home = replace(coalition, workspace=f"w{k}", channel=f"home{k}") if k else coalition
        if k:
            await home.ok("Alice", f'coalition setup "Coalition {k}" America/New_York')
        await home.ok("Alice", f'meeting schedule "Call {k}" "2026-11-23 10:30" remind:15m')
    await coalition.ok("Alice", 'poll create "Soon?" closes:"2026-11-23 10:10"')
    await coalition.ok("Alice", 'poll create "Later?" closes:"2026-11-30 10:10"')
    await scheduler.tick()

    statements = await traced_tick(bot, scheduler, clock, timedelta(minutes=16))

    assert [s.title for s in outbox.sent].count("Reminder: Call 0 in 15 minutes") == 1
    assert query(db_path, "SELECT target FROM delivery WHERE kind = 'meeting-reminder'"
                          " ORDER BY target") == [("console",), ("home1",), ("home2",)]
    assert query(db_path, "SELECT question, status FROM poll ORDER BY id") == [
        ("Soon?", "closed"), ("Later?", "open")]
    sweep = statements[:statements.index("COMMIT")]  # then the poll is closed on its own
    assert sum("FROM binding WHERE coalition_id" in s for s in sweep) == 1
    assert sum("FROM poll WHERE status = 'open'" in s for s in sweep) == 1
    assert sum("FROM note n" in s for s in sweep) == 1
    assert scans(db_path, sweep, "n") == []  # the open actions: ranges of the index


async def test_timers_that_share_a_sweep_share_one_send_pass(
        coalition: Chat, outbox: Outbox, bot: Bot, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    """Three timers firing together join one sweep, then the send pass that started
    after it: one claim, not a second pass that finds nothing (three statements each on
    PostgreSQL)."""
    for i in range(5):
        await coalition.ok("Alice", f'meeting schedule "Call {i}" "2026-11-23 10:30"'
                                    " remind:15m")
    await scheduler.tick()  # the next sweep waits out the spacing: the timers join it
    clock.now += timedelta(minutes=16)
    seen: list[str] = []
    await bot.db.conn.set_trace_callback(seen.append)  # type: ignore[attr-defined]
    try:
        reports = await asyncio.gather(*(scheduler.tick(for_due_time=True)
                                         for _ in range(3)))
    finally:
        await bot.db.conn.set_trace_callback(None)  # type: ignore[attr-defined]

    assert len(outbox.sent) == 5
    assert [len(r.sent) for r in reports] == [5, 5, 5]  # each tick saw the one pass
    assert sum(s.startswith("UPDATE delivery SET status = 'sending'") for s in seen) == 1
