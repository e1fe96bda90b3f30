"""The sweep and the marks in few statements, with the same effect as one per item: one
sweep per `SWEEP_SPACING` across processes on PostgreSQL, every due coalition's home
channels in one query, the open polls and the open actions read once, the series' marks
and a commit's delivery marks each one statement."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import Chat, MovableClock, query
from scheduler_support import Outbox, execute, tick_at, utc, wait_until

from coalition_bot import delivery_cycle
from coalition_bot.bot import Bot
from coalition_bot.delivery_marks import Mark, MarkQueue
from coalition_bot.scheduler import Scheduler
from coalition_bot.services.deliveries import find_due
from coalition_bot.services.delivery_kinds import home_targets, home_targets_of
from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import polls as poll_sql

pytestmark = pytest.mark.both_backends

MS = timedelta(milliseconds=1)
DUE = utc(2026, 11, 23, 15, 15)  # the 15 minute reminder of a 10:30 call in New York


def reminders(db_path: Path) -> int:
    return query(db_path, "SELECT count(*) FROM delivery WHERE kind = 'meeting-reminder'")[0][0]


async def test_a_sweep_just_after_another_processs_waits_out_the_spacing_on_postgresql(
        coalition: Chat, outbox: Outbox, bot: Bot, scheduler: Scheduler, clock: MovableClock,
        db_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Process B ticks 8 ms after process A swept: on PostgreSQL B skips (A's sweep was
    the one of this spacing) and sweeps again once the spacing is over, not after
    `SWEEP_RETRY` (made a minute here), so a reminder that came due meanwhile is not
    missed even though A never sweeps again. SQLite has one process: B sweeps at once,
    as before."""
    monkeypatch.setattr(delivery_cycle, "SWEEP_RETRY", 60.0)
    await coalition.ok("Alice", 'meeting schedule Call "2026-11-23 10:30" remind:15m')
    other = await Bot.open(db_path, clock=clock)
    try:
        theirs = Outbox("console", clock)
        other.add_outlet(theirs)
        second = Scheduler(other)
        await tick_at(scheduler, clock, DUE - 4 * MS)
        # a process's own mark never holds it back: its own sweeps are spaced already
        again = await asyncio.wait_for(scheduler.tick(), 10)
        assert again.swept
        clock.now = DUE + 4 * MS  # the reminder is due, 8 ms after A's sweep
        report = await asyncio.wait_for(second.tick(), 10)
        if backend == "sqlite":
            assert report.swept
            assert report.created == 1
            return
        assert not report.swept
        assert report.created == 0
        assert reminders(db_path) == 0
        await wait_until(lambda: [s.title for s in theirs.sent] == ["Reminder: Call"
                                                                    " in 15 minutes"],
                         within=10, what="B swept once the spacing was over, and sent")
        assert reminders(db_path) == 1
        assert outbox.sent == []
    finally:
        await other.close()


async def test_the_due_coalitions_home_channels_are_read_together_as_one_by_one(
        chat: Chat, bot: Bot, db_path: Path) -> None:
    for k in range(3):
        home = replace(chat, workspace=f"w{k}", channel=f"home{k}")
        await home.ok("Alice", f'coalition setup "Coalition {k}" UTC')
    ids = [row[0] for row in query(db_path, "SELECT id FROM coalition ORDER BY id")]
    execute(db_path, "INSERT INTO binding (coalition_id, platform, workspace_id,"
                     " home_channel_id, created_at) VALUES (?, 'discord', 'g1', 'C9', 'x'),"
                     " (?, 'slack', 'T2', NULL, 'x'), (?, 'discord', 'g0', 'C1', 'x')",
            (ids[0], ids[0], ids[2]))
    execute(db_path, "DELETE FROM binding WHERE workspace_id = 'w1'")  # none left
    async with bot.db.transaction() as conn:
        together = await home_targets_of(conn, [ids[2], ids[0], ids[1], ids[0]])
        one_by_one = {i: await home_targets(conn, i) for i in ids}
    assert together == one_by_one
    assert [t.key for t in together[ids[0]]] == ["home0", "C9"]
    assert together[ids[1]] == []


async def test_whether_a_poll_is_past_its_deadline_is_told_from_the_polls_read_once(
        coalition: Chat, bot: Bot) -> None:
    closes = [utc(2026, 11, 23, 15, minute) for minute in (5, 6, 30)]
    for n, at in enumerate(closes):
        await coalition.ok("Alice", f'poll create "Question {n}?"'
                                    f' closes:"2026-11-23 10:{at.minute:02d}"')
    times = [at + step * timedelta(milliseconds=250) + shift for at in closes
             for step in range(-6, 7) for shift in (timedelta(0), MS, -MS / 1000)]
    answers = set()
    async with bot.db.transaction() as conn:
        for now in times:
            found = await find_due(conn, now - timedelta(hours=1), now + MS,
                                   timedelta(minutes=1))
            read = bool(await poll_sql.open_polls_closing_before(conn, now))
            assert found.polls_past_deadline(now) == read, now
            answers.add(read)
    assert answers == {False, True}


async def test_the_series_marks_written_in_one_statement_are_the_ones_asked_for(
        coalition: Chat, bot: Bot, db_path: Path) -> None:
    for n in range(4):
        await coalition.ok("Alice", f'meeting schedule "Call {n}" "2026-12-0{n + 1} 18:00"')
    execute(db_path, "UPDATE meeting SET next_remind_at = 'unchanged'")
    ids = [row[0] for row in query(db_path, "SELECT id FROM meeting ORDER BY id")]
    async with bot.db.transaction() as conn:
        await meeting_sql.set_next_reminders(conn, [(ids[2], utc(2026, 12, 2, 22, 15)),
                                                    (ids[0], utc(2027, 1, 1))])
        await meeting_sql.set_next_reminders(conn, [])
    assert query(db_path, "SELECT next_remind_at FROM meeting ORDER BY id") == [
        ("2027-01-01T00:00:00+00:00",), ("unchanged",), ("2026-12-02T22:15:00+00:00",),
        ("unchanged",)]


MARKS = [  # status, late, error, hint, next try (minutes on)
    ("sent", True, "", "", None),
    ("sent", False, "", "", None),
    ("pending", False, "timed out", "", 5),
    ("failed", False, "x" * 600, "invite the bot", None),
    ("expired", False, "", "", None),
    ("dropped", True, "", "no home channel", None),
]
COLUMNS = ("status, late, sent_at, last_error, hint, next_try_at, owner, lease_until,"
           " attempts")


async def claimed(bot: Bot, count: int, owner: str) -> list[delivery_sql.Delivery]:
    """`count` notice deliveries written and claimed by `owner`."""
    async with bot.db.transaction() as conn:
        await delivery_sql.create_many(conn, [delivery_sql.NewDelivery(
            1, "notice", n, "", 0, "console", "", f"C{n}", bot.clock(),
            bot.clock() + timedelta(days=1), "pending") for n in range(count)], bot.clock())
        return await delivery_sql.claim_batch(
            conn, ["console"], owner=owner, now=bot.clock(), due_by=bot.clock(),
            lease_until=bot.clock() + timedelta(minutes=5), limit=count)


async def test_a_commits_marks_in_one_statement_set_what_one_mark_each_sets(
        coalition: Chat, bot: Bot, db_path: Path, clock: MovableClock) -> None:
    """Each case marked once alone (`mark`) and once among the others (`mark_many`), each
    at its own time: the rows end up the same; a claim that is no longer ours (another
    owner, or already marked) is reported so and left alone."""
    rows = await claimed(bot, 2 * len(MARKS) + 2, "me")
    alone, together, theirs = rows[:len(MARKS)], rows[len(MARKS):2 * len(MARKS)], rows[-2:]
    execute(db_path, "UPDATE delivery SET owner = 'someone else' WHERE id = ?",
            (theirs[0].id,))
    async with bot.db.transaction() as conn:
        assert await delivery_sql.mark(conn, theirs[1].id, "sent", owner="me", now=clock.now)
        batch = []
        for n, (status, late, error, hint, later) in enumerate(MARKS):
            now = clock.now + timedelta(seconds=n)
            retry = now + timedelta(minutes=later) if later else None
            assert await delivery_sql.mark(conn, alone[n].id, status, owner="me", now=now,
                                           late=late, error=error, hint=hint,
                                           next_try_at=retry)
            batch.append(delivery_sql.Mark(together[n], status, now, late, error, hint, retry))
        batch.insert(2, delivery_sql.Mark(theirs[0], "sent", clock.now))
        batch.append(delivery_sql.Mark(theirs[1], "failed", clock.now))
        held = await delivery_sql.mark_many(conn, batch, owner="me")
    assert held == [True, True, False, True, True, True, True, False]
    for one, other in zip(alone, together, strict=True):
        assert query(db_path, f"SELECT {COLUMNS} FROM delivery WHERE id = ?", (one.id,)) == \
            query(db_path, f"SELECT {COLUMNS} FROM delivery WHERE id = ?", (other.id,))
    assert query(db_path, "SELECT status, owner FROM delivery WHERE id IN (?, ?) ORDER BY id",
                 (theirs[0].id, theirs[1].id)) == [("sending", "someone else"), ("sent", None)]


async def test_two_marks_of_one_claim_in_one_commit_the_first_wins(
        coalition: Chat, bot: Bot, db_path: Path, clock: MovableClock) -> None:
    [row, other] = await claimed(bot, 2, "me")
    queue = MarkQueue(bot.db, "me")
    held = await asyncio.gather(queue.mark(Mark(row, "sent", clock.now)),
                                queue.mark(Mark(other, "sent", clock.now)),
                                queue.mark(Mark(row, "failed", clock.now, error="late")))
    assert queue.commits == 1
    assert held == [True, True, False]
    assert query(db_path, "SELECT status, last_error FROM delivery ORDER BY id") == [
        ("sent", None), ("sent", None)]
