"""The real APScheduler with real time: date jobs that fire a second or two from now.

Most tests use a `WarpClock` running 60 times real time, so that a meeting reminder (the
store keeps meeting times to the minute) comes due a second or two after the test starts;
the scheduler times its jobs in real seconds from the clock's speed. Their periodic sweep
is set to a fake hour (a real minute), so whatever arrives within the test was delivered
by the date job `plan()` put at its due time, not by the sweep. The poll tests use the
real system clock. Nothing sleeps for a fixed time: every wait polls with a deadline.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import Chat, RecordingOutlet
from scheduler_support import Outbox, deliveries, query, utc, wait_until

from coalition_bot.bot import Bot
from coalition_bot.clock import WarpClock, system_clock
from coalition_bot.scheduler import Scheduler
from coalition_bot.store import polls as poll_sql

SPEED = 60.0
# The fake clock starts at 09:58:30 in New York; a meeting at 10:01 with a reminder one
# minute before is due at 10:00:00 (15:00 UTC), 90 fake seconds = 1.5 real seconds later.
ANCHOR = utc(2026, 11, 23, 14, 58, 30)
DUE = utc(2026, 11, 23, 15, 0)
NO_SWEEP = 3600.0  # a fake hour: a real minute at 60x, longer than any test here


def job_times(scheduler: Scheduler) -> dict[str, datetime]:
    """The due times the timers wait for (id → real run time), without the periodic
    sweep and re-plan (APScheduler's)."""
    assert scheduler._aps is not None, "the scheduler is not started"
    return scheduler.timers.planned()


def real_time_of(clock: WarpClock, fake: datetime) -> float:
    """The epoch second at which the warp clock shows `fake`."""
    return clock.anchor_real + (fake - clock.anchor).total_seconds() / clock.speed


@pytest.fixture
async def warped(db_path: Path) -> AsyncIterator[tuple[Bot, Chat, Outbox, Scheduler]]:
    """A bot on a 60x clock with a coalition set up, an outbox, and a scheduler (not
    started) whose periodic sweep will not run during the test."""
    clock = WarpClock(ANCHOR, time.time(), SPEED)
    bot = await Bot.open(db_path, clock=clock)
    chat = Chat(bot, RecordingOutlet("console"))
    await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
    outbox = Outbox("console", clock)
    bot.add_outlet(outbox)
    scheduler = Scheduler(bot, sweep_every=NO_SWEEP)
    try:
        yield bot, chat, outbox, scheduler
    finally:
        await scheduler.stop()
        await bot.close()


async def test_a_reminder_due_in_a_second_arrives_once_through_the_job_plan_put_at_its_time(
        warped: tuple[Bot, Chat, Outbox, Scheduler], db_path: Path) -> None:
    bot, chat, outbox, scheduler = warped
    clock = bot.clock
    assert isinstance(clock, WarpClock)
    await chat.ok("Alice", 'meeting schedule Kickoff "2026-11-23 10:01" remind:1m')
    [(meeting_id,)] = query(db_path, "SELECT id FROM meeting")
    await scheduler.start()
    jobs = job_times(scheduler)
    job_id = f"meeting-reminder:{meeting_id}:2026-11-23T10:01:1"
    assert list(jobs) == [job_id]
    assert abs(jobs[job_id].timestamp() - real_time_of(clock, DUE)) < 0.05
    assert outbox.sent == [], "delivered before its time"

    await wait_until(lambda: bool(outbox.sent), within=5, what="the reminder")
    [sent] = outbox.sent
    assert sent.title == "Reminder: Kickoff in 1 minute"
    assert DUE <= sent.at < DUE + timedelta(seconds=15), sent.at  # within 1/4 real second
    await scheduler.tick()  # another tick, as a sweep would: nothing more
    assert len(outbox.sent) == 1
    assert [(r["status"], r["late"]) for r in deliveries(db_path)] == [("sent", 0)]
    assert job_id not in job_times(scheduler), "a date job runs once"


async def test_plan_puts_jobs_only_for_what_is_due_within_its_horizon(
        warped: tuple[Bot, Chat, Outbox, Scheduler], db_path: Path) -> None:
    bot, chat, _, scheduler = warped
    clock = bot.clock
    assert isinstance(clock, WarpClock)
    await chat.ok("Alice", 'meeting schedule Soon "2026-11-23 11:00"')  # 24h: past; 1h: 10:00
    await chat.ok("Alice", 'meeting schedule Later "2026-11-23 17:00" remind:1h')  # 16:00
    await chat.ok("Alice", 'meeting schedule Tomorrow "2026-11-24 18:00" remind:1h')
    await chat.ok("Alice", 'poll create Go? closes:"2026-11-23 12:00"')
    ids = dict(query(db_path, "SELECT title, id FROM meeting"))
    await scheduler.start()
    jobs = job_times(scheduler)
    poll_id = query(db_path, "SELECT id FROM poll")[0][0]
    # the next 6 hours: 09:58:30 → 15:58:30 in New York; Later's 16:00 and Tomorrow's are
    # beyond; the poll's closing reminder (24 h before 12:00) was before it was created
    assert sorted(jobs) == sorted([f"meeting-reminder:{ids['Soon']}:2026-11-23T11:00:60",
                                   f"poll-result:{poll_id}::0"])
    for job_id, fake in ((f"meeting-reminder:{ids['Soon']}:2026-11-23T11:00:60",
                          utc(2026, 11, 23, 15)), (f"poll-result:{poll_id}::0",
                                                   utc(2026, 11, 23, 17))):
        assert abs(jobs[job_id].timestamp() - real_time_of(clock, fake)) < 0.05, job_id


async def test_replanning_an_unchanged_coalition_leaves_its_jobs_alone(
        warped: tuple[Bot, Chat, Outbox, Scheduler], db_path: Path) -> None:
    """Every command re-plans its coalition: with hundreds of reminders coming, taking
    every job out and putting it back cost each command a third of a second of the
    event loop. Only a new, moved or gone due time touches the timers' heap."""
    _, chat, _, scheduler = warped
    for n in range(1, 4):
        await chat.ok("Alice", f'meeting schedule M{n} "2026-11-23 1{n}:00" remind:1h')
    await scheduler.start()
    timers = scheduler.timers
    before, pushed = timers.planned(), len(timers._heap)
    assert len(before) == 3
    assert await timers.plan(1) == 3
    assert timers.planned() == before
    assert len(timers._heap) == pushed, "unchanged due times were planned again"
    await chat.ok("Alice", "meeting cancel 3")
    await chat.ok("Alice", 'meeting reschedule 2 "2026-11-23 12:30"')
    await timers.plan(1)
    jobs = timers.planned()
    ids = dict(query(db_path, "SELECT title, id FROM meeting"))
    assert sorted(jobs) == sorted([f"meeting-reminder:{ids['M1']}:2026-11-23T11:00:60",
                                   f"meeting-reminder:{ids['M2']}:2026-11-23T12:30:60"])
    kept = f"meeting-reminder:{ids['M1']}:2026-11-23T11:00:60"
    assert jobs[kept] == before[kept]


async def test_a_command_that_changes_a_meeting_replans_its_jobs(
        warped: tuple[Bot, Chat, Outbox, Scheduler], db_path: Path) -> None:
    bot, chat, outbox, scheduler = warped
    clock = bot.clock
    assert isinstance(clock, WarpClock)
    await scheduler.start()
    assert job_times(scheduler) == {}
    # scheduled after start: the change listener re-plans the coalition
    await chat.ok("Alice", 'meeting schedule Kickoff "2026-11-23 10:05" remind:1m')
    [(meeting_id,)] = query(db_path, "SELECT id FROM meeting")
    first = f"meeting-reminder:{meeting_id}:2026-11-23T10:05:1"
    await wait_until(lambda: first in job_times(scheduler), within=2, what="the first job")
    # moved earlier, to 10:01: its reminder is now due at 10:00, 1.5 real seconds away
    await chat.ok("Alice", 'meeting reschedule 1 "2026-11-23 10:01"')
    moved = f"meeting-reminder:{meeting_id}:2026-11-23T10:01:1"
    await wait_until(lambda: list(job_times(scheduler)) == [moved], within=2,
                     what="the job moved to the new time")
    assert abs(job_times(scheduler)[moved].timestamp() - real_time_of(clock, DUE)) < 0.05
    await wait_until(lambda: bool(outbox.sent), within=5, what="the reminder")
    [sent] = outbox.sent
    assert [f.value for f in sent.notice.fields if f.name == "When"] == [
        "Mon 23 Nov 2026, 10:01 (America/New_York)"]
    assert DUE <= sent.at < DUE + timedelta(seconds=15), sent.at


async def test_cancelling_a_meeting_removes_its_jobs(
        warped: tuple[Bot, Chat, Outbox, Scheduler]) -> None:
    _, chat, _, scheduler = warped
    await chat.ok("Alice", 'meeting schedule Kickoff "2026-11-23 12:00"')
    await scheduler.start()
    assert len(job_times(scheduler)) == 1  # the 1 h reminder, 11:00
    await chat.ok("Alice", "meeting cancel 1")
    await wait_until(lambda: job_times(scheduler) == {}, within=2, what="the job removed")


# --- the real system clock ---------------------------------------------------------------------


@pytest.fixture
async def real(db_path: Path) -> AsyncIterator[tuple[Bot, Chat, Outbox]]:
    bot = await Bot.open(db_path)
    assert bot.clock is system_clock
    chat = Chat(bot, RecordingOutlet("console"))
    await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
    outbox = Outbox("console", system_clock)
    bot.add_outlet(outbox)
    try:
        yield bot, chat, outbox
    finally:
        await bot.close()


async def poll_closing_in(bot: Bot, seconds: float) -> tuple[int, datetime]:
    """A poll created through the store (no command, so nothing re-plans), closing at the
    next whole second at least `seconds` from now (the store keeps whole seconds)."""
    now = datetime.now(UTC)
    closes = (now + timedelta(seconds=seconds + 1)).replace(microsecond=0)
    async with bot.db.transaction() as conn:
        [(coalition_id, person_id)] = await conn.execute_fetchall(
            "SELECT c.id, p.id FROM coalition c, person p")
        poll = await poll_sql.create_poll(
            conn, coalition_id, question="Go?", proposal=True,
            choices=("agree", "abstain", "disagree", "block"), electorate="orgs",
            rule="majority", quorum_pct=50, anonymous=False, results="live",
            closes_at=closes, created_by=person_id, now=now)
    return poll.id, closes


async def test_the_periodic_sweep_closes_a_poll_no_job_was_planned_for(
        real: tuple[Bot, Chat, Outbox], db_path: Path) -> None:
    bot, _, outbox = real
    scheduler = Scheduler(bot, sweep_every=0.5)
    await scheduler.start()
    try:
        _, closes = await poll_closing_in(bot, 0.3)
        assert job_times(scheduler) == {}
        await wait_until(lambda: bool(outbox.titled("Poll #1 closed")), within=5,
                         what="the result of the poll")
    finally:
        await scheduler.stop()
    [sent] = outbox.sent
    assert closes < sent.at < closes + timedelta(seconds=2), (closes, sent.at)
    assert query(db_path, "SELECT status FROM poll") == [("closed",)]
    assert query(db_path, "SELECT closed_by FROM decision") == [("deadline",)]


async def test_the_job_planned_at_a_polls_deadline_closes_it_then(
        real: tuple[Bot, Chat, Outbox], db_path: Path) -> None:
    bot, _, outbox = real
    scheduler = Scheduler(bot)  # the default sweep: every 30 s
    await scheduler.start()
    try:
        poll_id, closes = await poll_closing_in(bot, 0.3)
        assert await scheduler.plan() == 1
        job = job_times(scheduler)[f"poll-result:{poll_id}::0"]
        assert abs((job - closes).total_seconds()) < 0.05
        await wait_until(lambda: bool(outbox.titled("Poll #1 closed")),
                         within=(closes - datetime.now(UTC)).total_seconds() + 1.5,
                         what="the poll closed within 1.5 s of its deadline")
    finally:
        await scheduler.stop()
