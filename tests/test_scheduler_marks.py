"""Each meeting series' next reminder time, kept in `meeting.next_remind_at`, so that a
scheduler tick reads only the series with something coming (migration 0006).

The mark may only ever be early, never late: a late mark would hide a reminder. The
triggers forget it whenever a series or one of its occurrences changes. The last test
compares, tick by tick through random schedules and changes, what the marked sweep
created with what expanding every series finds.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import Chat, MovableClock
from scheduler_support import Outbox, execute, query, tick_at, utc

from coalition_bot.bot import Bot
from coalition_bot.rules.recurrence import expand
from coalition_bot.scheduler import EPSILON, Scheduler
from coalition_bot.services.meetings import REMIND_LOOKAHEAD
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store.rows import from_iso

# The clock starts on Monday 23 November 2026, 15:00 UTC (10:00 in New York).
CALL = 'meeting schedule Call "2026-12-01 18:00" every:weekly'  # 23:00 UTC on Tuesdays


def marks(db_path: Path) -> dict[int, str | None]:
    """meeting number → its next_remind_at as stored."""
    return dict(query(db_path, "SELECT number, next_remind_at FROM meeting ORDER BY number"))


async def test_a_sweep_marks_each_series_with_its_next_reminder(
        coalition: Chat, scheduler: Scheduler, clock: MovableClock, db_path: Path) -> None:
    await coalition.ok("Alice", CALL)  # reminders 24 h and 1 h before
    assert marks(db_path) == {1: None}  # not known until a sweep reads it
    await scheduler.tick()  # nothing in the week ahead: look again in a week
    assert marks(db_path) == {1: "2026-11-30T15:00:00+00:00"}
    await tick_at(scheduler, clock, utc(2026, 11, 30, 15))
    assert marks(db_path) == {1: "2026-11-30T23:00:00+00:00"}  # 24 h before 1 December
    await tick_at(scheduler, clock, utc(2026, 11, 30, 23))
    assert marks(db_path) == {1: "2026-12-01T22:00:00+00:00"}  # then 1 h before
    await tick_at(scheduler, clock, utc(2026, 12, 1, 22))
    assert marks(db_path) == {1: "2026-12-07T23:00:00+00:00"}  # and the next week's


async def test_a_series_with_nothing_in_the_lookahead_is_marked_that_far_and_reminded(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", 'meeting schedule Retreat "2027-01-20 10:00" remind:1h')
    await scheduler.tick()
    assert from_iso(marks(db_path)[1]) == (clock.now + EPSILON + REMIND_LOOKAHEAD).replace(
        microsecond=0)
    day = clock.now
    while day < utc(2027, 1, 20, 14):  # a tick a day, then the hour before
        day += timedelta(days=1)
        await tick_at(scheduler, clock, min(day, utc(2027, 1, 20, 14)))
    assert [s.at for s in outbox.reminders()] == [utc(2027, 1, 20, 14)]


async def test_series_with_nothing_in_the_lookahead_are_read_again_at_spread_times(
        coalition: Chat, scheduler: Scheduler, clock: MovableClock, db_path: Path) -> None:
    for k in range(12):  # read together at a start, they would all come up together
        await coalition.ok("Alice", f'meeting schedule Retreat{k} "2027-01-20 10:00"')
    await scheduler.tick()
    swept = clock.now + EPSILON
    again = sorted(from_iso(mark) for mark in marks(db_path).values())
    assert len(set(again)) == 12
    assert swept + REMIND_LOOKAHEAD / 2 <= again[0]
    assert again[-1] <= swept + REMIND_LOOKAHEAD
    assert again[-1] - again[0] >= REMIND_LOOKAHEAD / 3


async def test_reading_only_marked_series_skips_those_with_nothing_coming(
        coalition: Chat, scheduler: Scheduler, clock: MovableClock) -> None:
    await coalition.ok("Alice", CALL)
    await coalition.ok("Alice", 'meeting schedule Retreat "2027-01-20 10:00" remind:1h')
    await coalition.ok("Alice", 'meeting schedule Quiet "2026-12-02 10:00" remind:none')
    await tick_at(scheduler, clock, utc(2026, 11, 30, 15))
    async with coalition.bot.db.transaction() as conn:
        soon = await meeting_sql.reminder_candidates(conn, clock.now + timedelta(hours=1))
        week = await meeting_sql.reminder_candidates(conn, utc(2026, 12, 1))
    assert [m.title for m in soon] == []
    assert [m.title for m in week] == ["Call"]


@pytest.mark.parametrize("change", [
    'meeting reschedule 1 "2026-12-01 19:00" occurrence:2026-12-01',
    "meeting cancel 1 occurrence:2026-12-01",
    'meeting reschedule 1 "2026-12-02 18:00"',  # the whole series
    "meeting cancel 1",
])
async def test_changing_a_series_or_an_occurrence_forgets_its_mark(
        coalition: Chat, scheduler: Scheduler, db_path: Path, change: str) -> None:
    await coalition.ok("Alice", CALL)
    await coalition.ok("Alice", 'meeting schedule Other "2026-12-03 18:00" every:weekly')
    await scheduler.tick()
    assert None not in marks(db_path).values()
    await coalition.ok("Alice", change)
    assert marks(db_path)[1] is None
    assert marks(db_path)[2] is not None  # the other series keeps its mark


@pytest.mark.parametrize("sql", [
    "UPDATE meeting SET remind_min = '10' WHERE id = 1",
    "UPDATE meeting SET timezone = 'Europe/Berlin' WHERE id = 1",
    "UPDATE meeting SET until_local = '2026-12-20T00:00:00' WHERE id = 1",
    "UPDATE meeting SET duration_min = 90 WHERE id = 1",
    "INSERT INTO meeting_change (meeting_id, occurrence, cancelled) "
    "VALUES (1, '2026-12-08T18:00:00', 1)",
    "UPDATE meeting_change SET cancelled = 0 WHERE meeting_id = 1",
    "DELETE FROM meeting_change WHERE meeting_id = 1",
])
async def test_every_change_the_schema_allows_forgets_the_mark(
        coalition: Chat, scheduler: Scheduler, db_path: Path, sql: str) -> None:
    """The triggers, not the code paths that exist today, keep the mark honest."""
    await coalition.ok("Alice", CALL)
    await coalition.ok("Alice", "meeting cancel 1 occurrence:2026-12-01")
    await scheduler.tick()
    assert marks(db_path)[1] is not None
    assert execute(db_path, sql) >= 1
    assert marks(db_path)[1] is None


async def test_a_title_or_place_change_keeps_the_mark(
        coalition: Chat, scheduler: Scheduler, db_path: Path) -> None:
    await coalition.ok("Alice", CALL)
    await scheduler.tick()
    before = marks(db_path)[1]
    execute(db_path, "UPDATE meeting SET title = 'Weekly call', location = 'Hall'")
    assert marks(db_path)[1] == before is not None


async def test_looking_up_changes_of_more_series_than_sqlite_takes_parameters(
        coalition: Chat) -> None:
    async with coalition.bot.db.transaction() as conn:
        assert await meeting_sql.changes(conn, list(range(1, 40_001))) == {}


# --- the marked sweep against expanding every series ------------------------------------


async def every_series_due(bot: Bot, start: datetime, end: datetime) -> set[tuple]:
    """(meeting id, occurrence, offset, due at) of every reminder in [start, end), found
    by expanding every active series (no marks): what the sweep did before migration 0006."""
    async with bot.db.transaction() as conn:
        meetings = await meeting_sql.all_active_meetings(conn)
        changed = await meeting_sql.changes(conn, [m.id for m in meetings])
    found = set()
    for m in meetings:
        widest = timedelta(minutes=max(m.remind_min, default=0))
        for occ in expand(m, changed.get(m.id, {}), start, end + widest):
            for offset in m.remind_min:
                at = occ.start.astimezone(UTC) - timedelta(minutes=offset)
                if start <= at < end:
                    found.add((m.id, occ.key, offset, at.isoformat()))
    return found


def created(db_path: Path) -> set[tuple]:
    return {(r[0], r[1], r[2], from_iso(r[3]).isoformat()) for r in query(
        db_path, "SELECT subject_id, occurrence, offset_min, due_at FROM delivery"
                 " WHERE kind = 'meeting-reminder'")}


def random_line(rng: random.Random, now: datetime) -> str:
    day = (now + timedelta(days=rng.randint(0, 20))).date()
    hour = rng.choice(["09:00", "18:00", "18:30", "23:45"])
    n = rng.randint(1, 6)
    return rng.choice([
        f'meeting schedule M{rng.randint(1, 99)} "{day} {hour}" '
        f'every:{rng.choice(["weekly", "biweekly", "daily", "monthly"])} '
        f'remind:{rng.choice(["24h,1h", "15m", "2d,10m", "1h"])}',
        f'meeting schedule One{rng.randint(1, 99)} "{day} {hour}" '
        f'remind:{rng.choice(["24h,1h", "30m", "3d"])}',
        f'meeting reschedule {n} "{day} {hour}"',
        f'meeting reschedule {n} "{day} {hour}" occurrence:{day}',
        f"meeting cancel {n} occurrence:{day}",
        f"meeting cancel {n}",
    ])


@pytest.mark.parametrize("seed", range(4))
async def test_the_marked_sweep_creates_exactly_what_expanding_every_series_finds(
        coalition: Chat, scheduler: Scheduler, clock: MovableClock, db_path: Path,
        seed: int) -> None:
    rng = random.Random(seed)
    expected: set[tuple] = set()
    await scheduler.tick()
    for _ in range(60):
        for _ in range(rng.randint(0, 3)):
            await coalition.say("Alice", random_line(rng, clock.now))  # refusals are fine
        [(swept,)] = query(db_path, "SELECT swept_to FROM scheduler_state")
        clock.now += timedelta(minutes=rng.choice([1, 7, 45, 180, 600, 1440, 3000]))
        expected |= await every_series_due(coalition.bot, from_iso(swept),
                                           clock.now + EPSILON)
        await scheduler.tick()
        assert created(db_path) == expected, f"seed {seed}"
    assert len(expected) > 20  # the schedules really made reminders
