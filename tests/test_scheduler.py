"""The scheduler's delivery cycle with a clock the tests move: no timers, no sleeps.

Each test builds a real `Scheduler` on the real bot and a real SQLite file, moves the
clock and calls `tick()`, the whole delivery cycle. What gets posted is recorded by
`Outbox`, a test adapter implementing the outlet interface, which can be made to fail.
A "restart" closes the bot and opens a new `Bot` and `Scheduler` on the same file; only
the recovery test calls `start()` (which also starts APScheduler, whose jobs never run here).

The clock starts on Monday 23 November 2026, 15:00 UTC (10:00 in New York).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers import Chat, MovableClock
from scheduler_support import Outbox, Sent, deliveries, execute, query, restarted, tick_at, utc

from coalition_bot.bot import Bot
from coalition_bot.rules.times import format_span
from coalition_bot.scheduler import Scheduler
from coalition_bot.services.people import console_user_id

NY = ZoneInfo("America/New_York")

# A one-off meeting on Wednesday 25 November, 18:00 in New York (23:00 UTC), with the
# default reminders: 24 h before (Tue 23:00 UTC) and 1 h before (Wed 22:00 UTC).
KICKOFF = 'meeting schedule Kickoff "2026-11-25 18:00"'
KICKOFF_24H = utc(2026, 11, 24, 23)
KICKOFF_1H = utc(2026, 11, 25, 22)
KICKOFF_START = utc(2026, 11, 25, 23)
# `poll create` at the start closes three days later: Thursday 26 November, 15:00 UTC.
DEADLINE = utc(2026, 11, 26, 15)
SECOND = timedelta(seconds=1)


pytestmark = pytest.mark.both_backends

def field(sent: Sent, name: str) -> str:
    values = [f.value for f in sent.notice.fields if f.name == name]
    assert len(values) == 1, (name, sent.notice.fields)
    return values[0]


def statuses(db_path: Path, kind: str = "meeting-reminder") -> list[tuple[str, int, str]]:
    """(due_at, offset, status) of each delivery of a kind."""
    return [(r["due_at"], r["offset_min"], r["status"]) for r in deliveries(db_path, kind)]


# --- on time, once, across DST ---------------------------------------------------------------


@pytest.mark.parametrize(("zone", "first", "second", "due_utc"), [
    # New York springs forward on Sunday 14 March 2027: 17:00 EST is 22:00 UTC, EDT 21:00
    ("America/New_York", "2027-03-11", "2027-03-18",
     (utc(2027, 3, 11, 22), utc(2027, 3, 18, 21))),
    # Berlin springs forward on Sunday 28 March 2027: 17:00 CET is 16:00 UTC, CEST 15:00
    ("Europe/Berlin", "2027-03-25", "2027-04-01",
     (utc(2027, 3, 25, 16), utc(2027, 4, 1, 15))),
    # Berlin falls back on Sunday 25 October 2026: 17:00 CEST is 15:00 UTC, CET 16:00
    ("Europe/Berlin", "2026-10-22", "2026-10-29",
     (utc(2026, 10, 22, 15), utc(2026, 10, 29, 16))),
])
async def test_a_weekly_reminder_fires_once_at_the_same_local_time_across_a_dst_change(
        chat: Chat, bot: Bot, db_path: Path, clock: MovableClock, zone: str, first: str,
        second: str, due_utc: tuple[datetime, datetime]) -> None:
    clock.now = utc(2026, 10, 1)
    await chat.ok("Alice", f"coalition setup Weekly {zone}")
    await chat.ok("Alice", f'meeting schedule Call "{first} 18:00" every:weekly remind:1h')
    outbox = Outbox("console", clock)
    bot.add_outlet(outbox)
    scheduler = Scheduler(bot)
    local = ZoneInfo(zone)
    for week, due in enumerate(due_utc, start=1):
        await tick_at(scheduler, clock, due - timedelta(minutes=1))
        assert len(outbox.reminders()) == week - 1, "a reminder came before its time"
        await tick_at(scheduler, clock, due)
        await tick_at(scheduler, clock, due + timedelta(minutes=5))  # ticking again
        assert len(outbox.reminders()) == week
        sent = outbox.reminders()[-1]
        assert sent.at == due
        assert sent.at.astimezone(local).strftime("%H:%M") == "17:00"
        assert sent.title == "Reminder: Call in 1 hour"
        assert field(sent, "When").endswith(f", 18:00 ({zone})")
    assert [s.at.astimezone(local).date().isoformat() for s in outbox.reminders()] == [
        first, second]
    assert statuses(db_path) == [(due_utc[0].isoformat(), 60, "sent"),
                                 (due_utc[1].isoformat(), 60, "sent")]


async def test_ticking_again_and_again_does_not_resend_a_reminder(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", KICKOFF)
    await scheduler.tick()
    for minutes in (0, 0, 1, 10, 30, 59):
        await tick_at(scheduler, clock, KICKOFF_1H + timedelta(minutes=minutes))
    assert [s.title for s in outbox.reminders()] == ["Reminder: Kickoff in 1 hour"]
    assert outbox.reminders()[0].at == KICKOFF_1H
    row = deliveries(db_path, "meeting-reminder")[-1]
    assert (row["status"], row["attempts"], row["late"]) == ("sent", 1, 0)


async def test_a_reminder_carries_when_where_agenda_and_rsvp_buttons_that_work(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", f'{KICKOFF} where:"Union hall, room 2"')
    await coalition.ok("Bob", "meeting agenda add 1 Rent strike vote")
    await scheduler.tick()
    await tick_at(scheduler, clock, KICKOFF_24H)
    [sent] = outbox.reminders()
    assert (sent.private, sent.where) == (False, "console")
    assert sent.title == "Reminder: Kickoff in 1 day"
    assert field(sent, "When") == "Wed 25 Nov 2026, 18:00 (America/New_York)"
    assert field(sent, "Where") == "Union hall, room 2"
    assert field(sent, "Agenda") == "1. Rent strike vote"
    buttons = {b.label: b.command for b in sent.notice.buttons}
    assert buttons == {"Going": "meeting rsvp 1 yes occurrence:2026-11-25",
                       "Maybe": "meeting rsvp 1 maybe occurrence:2026-11-25",
                       "Can't make it": "meeting rsvp 1 no occurrence:2026-11-25"}
    await coalition.ok("Bob", buttons["Going"])
    assert query(db_path, "SELECT occurrence, answer FROM rsvp") == [("2026-11-25T18:00", "yes")]


# --- restarts and the grace window -----------------------------------------------------------


async def test_a_restart_before_the_due_time_delivers_the_reminder_once(
        coalition: Chat, bot: Bot, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", f"{KICKOFF} remind:1h")
    await tick_at(scheduler, clock, KICKOFF_1H - timedelta(minutes=20))
    await bot.close()
    async with restarted(db_path, clock, outbox) as second:
        await tick_at(second, clock, KICKOFF_1H - timedelta(minutes=10))
        assert outbox.reminders() == []
        await tick_at(second, clock, KICKOFF_1H)
        await tick_at(second, clock, KICKOFF_1H + SECOND)
    async with restarted(db_path, clock, outbox) as third:  # and once more, after it
        await tick_at(third, clock, KICKOFF_1H + timedelta(minutes=2))
    [sent] = outbox.reminders()
    assert (sent.at, sent.title) == (KICKOFF_1H, "Reminder: Kickoff in 1 hour")
    assert statuses(db_path) == [(KICKOFF_1H.isoformat(), 60, "sent")]


@pytest.mark.parametrize("down_for", [timedelta(minutes=3), timedelta(minutes=30),
                                      timedelta(hours=1)])
async def test_a_restart_after_the_due_time_within_grace_delivers_it_late_once(
        coalition: Chat, bot: Bot, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path, down_for: timedelta) -> None:
    await coalition.ok("Alice", KICKOFF)
    await tick_at(scheduler, clock, KICKOFF_24H - timedelta(minutes=5))
    await bot.close()  # down across the 24 h reminder
    async with restarted(db_path, clock, outbox) as second:
        await tick_at(second, clock, KICKOFF_24H + down_for)
        await tick_at(second, clock, KICKOFF_24H + down_for + timedelta(minutes=1))
    async with restarted(db_path, clock, outbox) as third:
        await tick_at(third, clock, KICKOFF_24H + down_for + timedelta(minutes=2))
    [sent] = outbox.reminders()
    left = timedelta(days=1) - down_for  # a late reminder says the time actually left
    assert sent.title == f"(late) Reminder: Kickoff in {format_span(left)}"
    assert sent.at == KICKOFF_24H + down_for
    [row] = deliveries(db_path, "meeting-reminder")
    assert (row["offset_min"], row["status"], row["late"]) == (1440, "sent", 1)


async def test_a_weekly_meeting_is_reminded_again_after_a_downtime_longer_than_the_lookback(
        coalition: Chat, bot: Bot, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    """A sweep reads the series whose mark is at or after the previous sweep's end (no
    mark is before it). After ten days down the sweep looks back only a week, but the
    marks the last sweep left, older than that week, are still read and moved on: the
    next week's reminder goes out."""
    await coalition.ok("Alice", f"{KICKOFF} every:weekly remind:1h")
    await tick_at(scheduler, clock, KICKOFF_1H - timedelta(minutes=5))
    await bot.close()  # down for ten days, across two of its reminders
    back = KICKOFF_1H + timedelta(days=10)
    async with restarted(db_path, clock, outbox) as second:
        await tick_at(second, clock, back)
        await tick_at(second, clock, KICKOFF_1H + timedelta(days=14))
    assert [(s.at, s.title) for s in outbox.reminders()] == [
        (KICKOFF_1H + timedelta(days=14), "Reminder: Kickoff in 1 hour")]


async def test_a_reminder_missed_by_more_than_grace_is_recorded_skipped_and_not_sent(
        coalition: Chat, bot: Bot, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", KICKOFF)
    await tick_at(scheduler, clock, KICKOFF_24H - timedelta(minutes=5))
    await bot.close()
    async with restarted(db_path, clock, outbox) as second:
        await tick_at(second, clock, KICKOFF_24H + timedelta(hours=1) + SECOND)
        assert outbox.reminders() == []
        assert statuses(db_path) == [(KICKOFF_24H.isoformat(), 1440, "skipped")]
        await tick_at(second, clock, KICKOFF_1H)  # the next one is not affected
    assert [s.title for s in outbox.reminders()] == ["Reminder: Kickoff in 1 hour"]
    assert statuses(db_path) == [(KICKOFF_24H.isoformat(), 1440, "skipped"),
                                 (KICKOFF_1H.isoformat(), 60, "sent")]


@pytest.mark.parametrize(("late_by", "expected"), [
    (timedelta(minutes=10), "sent"),
    (timedelta(minutes=10, seconds=1), "skipped"),
])
async def test_the_grace_window_is_the_schedulers_setting(
        coalition: Chat, bot: Bot, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path, late_by: timedelta, expected: str) -> None:
    await coalition.ok("Alice", KICKOFF)
    await tick_at(scheduler, clock, KICKOFF_24H - timedelta(minutes=5))
    await bot.close()
    async with restarted(db_path, clock, outbox, grace=timedelta(minutes=10)) as second:
        await tick_at(second, clock, KICKOFF_24H + late_by)
    assert statuses(db_path) == [(KICKOFF_24H.isoformat(), 1440, expected)]
    assert len(outbox.reminders()) == (expected == "sent")


# --- a failing outlet ------------------------------------------------------------------------


async def test_a_failing_outlet_is_retried_with_backoff_and_not_marked_sent_until_it_works(
        coalition: Chat, bot: Bot, outbox: Outbox, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", f"{KICKOFF} remind:1h")
    scheduler = Scheduler(bot, retry_base=timedelta(seconds=10),
                          retry_max=timedelta(seconds=30))
    await scheduler.tick()
    outbox.fail_next = 4
    # each failed try waits twice as long as the one before, up to retry_max
    tries = [(0, 10), (10, 30), (30, 60), (60, 90)]
    for attempt, (at, next_at) in enumerate(tries, start=1):
        await tick_at(scheduler, clock, KICKOFF_1H + timedelta(seconds=at))
        await tick_at(scheduler, clock, KICKOFF_1H + timedelta(seconds=next_at) - SECOND)
        assert outbox.failures == attempt, "tried again before its next try was due"
        [row] = deliveries(db_path, "meeting-reminder")
        assert (row["status"], row["attempts"], row["sent_at"]) == ("pending", attempt, None)
        assert row["next_try_at"] == (KICKOFF_1H + timedelta(seconds=next_at)).isoformat()
        assert "is not answering" in row["last_error"]
        assert outbox.sent == []
    await tick_at(scheduler, clock, KICKOFF_1H + timedelta(seconds=90))
    await tick_at(scheduler, clock, KICKOFF_1H + timedelta(seconds=200))
    [sent] = outbox.reminders()
    assert (sent.at, sent.title) == (KICKOFF_1H + timedelta(seconds=90),
                                     "Reminder: Kickoff in 1 hour")
    [row] = deliveries(db_path, "meeting-reminder")
    assert (row["status"], row["attempts"]) == ("sent", 5)
    assert row["sent_at"] == (KICKOFF_1H + timedelta(seconds=90)).isoformat()


async def test_the_default_backoff_doubles_from_30_seconds(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", f"{KICKOFF} remind:1h")
    await scheduler.tick()
    outbox.down = True
    waits = []
    clock.now = KICKOFF_1H
    for _ in range(4):
        await scheduler.tick()
        [row] = deliveries(db_path, "meeting-reminder")
        next_try = datetime.fromisoformat(row["next_try_at"])
        waits.append(int((next_try - clock.now).total_seconds()))
        clock.now = next_try
    assert waits == [30, 60, 120, 240]


async def test_a_delivery_that_fails_until_it_expires_is_expired_and_never_sent(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", f"{KICKOFF} remind:1h")
    await scheduler.tick()
    outbox.down = True
    clock.now = KICKOFF_1H
    for _ in range(100):
        await scheduler.tick()
        [row] = deliveries(db_path, "meeting-reminder")
        if row["status"] != "pending":
            break
        clock.now = datetime.fromisoformat(row["next_try_at"])
    assert row["status"] == "expired"
    assert row["expires_at"] == KICKOFF_START.isoformat()
    assert clock.now >= KICKOFF_START
    assert outbox.failures >= 5
    assert outbox.sent == []
    outbox.down = False  # the platform is back, but the meeting has started
    await tick_at(scheduler, clock, clock.now + timedelta(minutes=1))
    assert outbox.sent == []
    assert deliveries(db_path, "meeting-reminder")[0]["status"] == "expired"


# --- polls -----------------------------------------------------------------------------------


def poll_status(db_path: Path) -> str:
    return query(db_path, "SELECT status FROM poll WHERE number = 1")[0][0]


def decision_rows(db_path: Path) -> list[tuple]:
    return query(db_path, "SELECT number, question, outcome, closed_by FROM decision")


async def test_a_poll_closes_itself_at_its_deadline_and_posts_the_outcome_once(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Alice", "poll create Join the May Day march?")
    await coalition.ok("Bob", "poll vote 1 agree")
    await coalition.ok("Dan", "poll vote 1 agree")
    await scheduler.tick()
    await tick_at(scheduler, clock, DEADLINE - SECOND)
    assert poll_status(db_path) == "open"
    assert decision_rows(db_path) == []
    await tick_at(scheduler, clock, DEADLINE + SECOND)  # (see the exact-instant test below)
    assert poll_status(db_path) == "closed"
    assert decision_rows(db_path) == [(1, "Join the May Day march?", "passed", "deadline")]
    for later in (SECOND, timedelta(minutes=5), timedelta(days=1)):
        await tick_at(scheduler, clock, DEADLINE + later)
    [sent] = outbox.titled("Poll #1 closed")
    assert sent.title == "Poll #1 closed: passed"
    assert sent.at == DEADLINE + SECOND
    assert "Closed at its deadline." in sent.notice.text
    assert field(sent, "Tally").splitlines()[0] == "agree: 2 (100%)"
    [row] = deliveries(db_path, "poll-result")
    assert (row["status"], row["late"]) == ("sent", 0)


async def test_a_poll_whose_deadline_passed_while_the_bot_was_down_closes_at_restart_once(
        coalition: Chat, bot: Bot, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", "poll create Join the May Day march?")
    await coalition.ok("Bob", "poll vote 1 disagree")
    await tick_at(scheduler, clock, DEADLINE - timedelta(hours=2))
    await bot.close()
    restart = DEADLINE + timedelta(hours=5)  # well beyond the grace window
    async with restarted(db_path, clock, outbox) as second:
        await tick_at(second, clock, restart)
        assert poll_status(db_path) == "closed"
        await tick_at(second, clock, restart + timedelta(minutes=1))
    async with restarted(db_path, clock, outbox) as third:
        await tick_at(third, clock, restart + timedelta(minutes=2))
    [sent] = outbox.titled("Poll #1 closed")
    assert sent.title.startswith("(late) Poll #1 closed: ")
    assert sent.at == restart
    assert len(decision_rows(db_path)) == 1
    [row] = deliveries(db_path, "poll-result")
    assert (row["status"], row["late"], row["due_at"]) == ("sent", 1, DEADLINE.isoformat())


async def test_a_result_found_after_a_ten_day_outage_is_still_announced_late(
        coalition: Chat, bot: Bot, outbox: Outbox, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", "poll create Join the May Day march?")
    await coalition.ok("Bob", "poll vote 1 agree")
    await bot.close()
    back = DEADLINE + timedelta(days=10)  # beyond a week: the old expiry
    async with restarted(db_path, clock, outbox) as second:
        await tick_at(second, clock, back)
    [sent] = outbox.titled("Poll #1 closed")
    assert sent.title.startswith("(late) Poll #1 closed: ")
    [row] = deliveries(db_path, "poll-result")
    assert (row["status"], row["late"]) == ("sent", 1)


async def test_a_poll_closed_after_downtime_is_recorded_as_closed_at_its_deadline(
        coalition: Chat, bot: Bot, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", "poll create Go?")
    await coalition.ok("Bob", "poll vote 1 agree")
    await tick_at(scheduler, clock, DEADLINE - timedelta(hours=2))
    await bot.close()
    async with restarted(db_path, clock, outbox) as second:
        await tick_at(second, clock, DEADLINE + timedelta(hours=5))
    assert poll_status(db_path) == "closed"
    assert query(db_path, "SELECT closed_at FROM poll") == [(DEADLINE.isoformat(),)]
    assert query(db_path, "SELECT decided_at FROM decision") == [(DEADLINE.isoformat(),)]


async def test_a_poll_closed_by_hand_before_its_deadline_is_not_closed_or_announced_again(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", "poll create Go?")
    await scheduler.tick()
    await coalition.ok("Alice", "poll close 1 confirm:yes")
    closed_by_hand = len(outbox.titled("Poll #1 closed"))
    for when in (DEADLINE - timedelta(hours=24), DEADLINE + SECOND, DEADLINE + timedelta(days=1)):
        await tick_at(scheduler, clock, when)
    assert len(outbox.titled("Poll #1 closed")) == closed_by_hand
    assert outbox.titled("Poll #1 closes") == []
    assert len(decision_rows(db_path)) == 1
    assert deliveries(db_path, "poll-result") == []


async def test_the_closing_reminder_a_day_before_names_the_organizations_that_have_not_voted(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", 'coalition org add "Food Bank"')
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Alice", "poll create Join the May Day march?")
    await coalition.ok("Bob", "poll vote 1 agree")
    await scheduler.tick()
    await tick_at(scheduler, clock, DEADLINE - timedelta(hours=24) - SECOND)
    assert outbox.titled("Poll #1 closes") == []
    await tick_at(scheduler, clock, DEADLINE - timedelta(hours=24) + SECOND)
    await tick_at(scheduler, clock, DEADLINE - timedelta(hours=23))
    [sent] = outbox.titled("Poll #1 closes")
    assert sent.title == "Poll #1 closes in 23 hours 59 minutes"  # the time really left
    assert sent.at == DEADLINE - timedelta(hours=24) + SECOND
    assert {f.name: f.value for f in sent.notice.fields} == {
        "Climate Now": "Dan", "Food Bank": "no representative yet"}
    assert "Tenants United" not in sent.notice.text
    assert [m.name for m in sent.notice.mentions] == ["Dan"]
    assert [(r["offset_min"], r["status"]) for r in deliveries(db_path, "poll-closing")] == [
        (1440, "sent")]


async def test_no_closing_reminder_when_every_organization_has_voted(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Alice", "poll create Go?")
    await coalition.ok("Bob", "poll vote 1 agree")
    await coalition.ok("Dan", "poll vote 1 agree")
    await scheduler.tick()
    await tick_at(scheduler, clock, DEADLINE - timedelta(hours=24) + SECOND)
    assert outbox.titled("Poll #1 closes") == []
    assert [r["status"] for r in deliveries(db_path, "poll-closing")] == ["dropped"]


# --- meetings that move or are cancelled -----------------------------------------------------


@pytest.mark.parametrize(("schedule", "move", "old_due", "new_due", "when"), [
    pytest.param(KICKOFF, 'meeting reschedule 1 "2026-11-26 12:00"',
                 KICKOFF_1H, utc(2026, 11, 26, 16), "Thu 26 Nov 2026, 12:00", id="one-off"),
    pytest.param('meeting schedule Call "2026-12-01 18:00" every:weekly',
                 'meeting reschedule 1 "2026-12-02 17:00"',
                 utc(2026, 12, 1, 22), utc(2026, 12, 2, 21), "Wed 2 Dec 2026, 17:00",
                 id="series"),
    pytest.param('meeting schedule Call "2026-12-01 18:00" every:weekly',
                 'meeting reschedule 1 "2026-12-02 17:00" occurrence:2026-12-01',
                 utc(2026, 12, 1, 22), utc(2026, 12, 2, 21), "Wed 2 Dec 2026, 17:00",
                 id="one-occurrence"),
])
async def test_rescheduling_a_meeting_moves_its_reminders(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        schedule: str, move: str, old_due: datetime, new_due: datetime, when: str) -> None:
    await coalition.ok("Alice", f"{schedule} remind:1h")
    await scheduler.tick()
    await coalition.ok("Alice", move)
    await tick_at(scheduler, clock, old_due - SECOND)
    await tick_at(scheduler, clock, old_due)
    await tick_at(scheduler, clock, old_due + timedelta(minutes=30))
    assert outbox.reminders() == [], "a reminder went out for the old time"
    await tick_at(scheduler, clock, new_due)
    await tick_at(scheduler, clock, new_due + timedelta(minutes=1))
    [sent] = outbox.reminders()
    assert sent.at == new_due
    assert field(sent, "When") == f"{when} (America/New_York)"


async def test_a_reminder_waiting_to_be_retried_says_the_meetings_new_time_or_is_dropped(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    """Rendered when sent: a reminder created before a change says what is true now."""
    await coalition.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" every:weekly')
    await scheduler.tick()
    outbox.fail_next = 1
    await tick_at(scheduler, clock, utc(2026, 11, 30, 23))  # 24 h before 1 December
    await coalition.ok("Alice", 'meeting reschedule 1 "2026-12-01 19:00" occurrence:2026-12-01')
    await tick_at(scheduler, clock, utc(2026, 11, 30, 23, 1))
    [sent] = outbox.reminders()
    assert field(sent, "When") == "Tue 1 Dec 2026, 19:00 (America/New_York)"


async def test_an_occurrence_moved_after_its_reminder_went_out_is_reminded_at_the_new_time(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" every:weekly '
                                'remind:1h')
    await scheduler.tick()
    await tick_at(scheduler, clock, utc(2026, 12, 1, 22))  # 17:00: "Call in 1 hour"
    assert len(outbox.reminders()) == 1
    # the meeting is pushed back two hours at the last minute: 20:00 tonight
    await tick_at(scheduler, clock, utc(2026, 12, 1, 22, 30))
    await coalition.ok("Alice", 'meeting reschedule 1 "2026-12-01 20:00" occurrence:2026-12-01')
    await tick_at(scheduler, clock, utc(2026, 12, 2, 0))  # 19:00: an hour before 20:00
    assert len(outbox.reminders()) == 2, statuses(db_path)
    assert field(outbox.reminders()[1], "When") == "Tue 1 Dec 2026, 20:00 (America/New_York)"


async def test_cancelling_a_meeting_before_its_reminder_sends_nothing(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", KICKOFF)
    await scheduler.tick()
    await coalition.ok("Alice", "meeting cancel 1")
    for when in (KICKOFF_24H, KICKOFF_1H, KICKOFF_START):
        await tick_at(scheduler, clock, when)
    assert outbox.reminders() == []
    assert [r["status"] for r in deliveries(db_path) if r["status"] != "dropped"] == []


async def test_cancelling_a_meeting_drops_a_reminder_that_was_waiting_for_a_retry(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", KICKOFF)
    await scheduler.tick()
    outbox.fail_next = 1
    await tick_at(scheduler, clock, KICKOFF_24H)
    assert statuses(db_path) == [(KICKOFF_24H.isoformat(), 1440, "pending")]
    await coalition.ok("Alice", "meeting cancel 1")
    await tick_at(scheduler, clock, KICKOFF_24H + timedelta(minutes=5))
    assert outbox.reminders() == []
    assert statuses(db_path) == [(KICKOFF_24H.isoformat(), 1440, "dropped")]


async def test_cancelling_one_occurrence_keeps_the_reminders_of_the_others(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock) -> None:
    await coalition.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" every:weekly '
                                'remind:1h')
    await scheduler.tick()
    await coalition.ok("Alice", "meeting cancel 1 occurrence:2026-12-08")
    for day in (1, 8, 15):
        await tick_at(scheduler, clock, utc(2026, 12, day, 22))
    assert [field(s, "When") for s in outbox.reminders()] == [
        "Tue 1 Dec 2026, 18:00 (America/New_York)", "Tue 15 Dec 2026, 18:00 (America/New_York)"]


# --- action items ----------------------------------------------------------------------------

ACTION_DUE = utc(2026, 12, 10, 22)  # 17:00 in New York


@pytest.fixture
async def action(coalition: Chat, clock: MovableClock) -> Chat:
    """Action #1, Dan's, due Thursday 10 December at 17:00, from the 1 December meeting."""
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" remind:none')
    clock.now = utc(2026, 12, 1, 23, 30)
    await coalition.ok("Bob", 'meeting note 1 action Book the hall owner:Dan '
                              'due:"2026-12-10 17:00"')
    return coalition


async def test_an_action_coming_due_is_sent_privately_to_its_owner_once(
        action: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await scheduler.tick()
    await tick_at(scheduler, clock, ACTION_DUE - SECOND)
    assert outbox.titled("Action #1") == []
    for later in (1, 60, 5400):
        await tick_at(scheduler, clock, ACTION_DUE + timedelta(seconds=later))
    [sent] = outbox.titled("Action #1")
    assert (sent.private, sent.where) == (True, console_user_id("Dan"))
    assert (sent.at, sent.title, sent.notice.text) == (ACTION_DUE + SECOND,
                                                       "Action #1 is due now", "Book the hall")
    assert [(b.label, b.command) for b in sent.notice.buttons] == [
        ("Mark done", "meeting done 1")]
    assert [s for s in outbox.sent if not s.private] == []
    # the reminder two days ahead came due while the clock jumped past it: skipped
    assert [(r["offset_min"], r["status"]) for r in deliveries(db_path, "action-due")] == [
        (2880, "skipped"), (0, "sent")]


async def test_an_action_is_reminded_two_days_ahead_and_when_due(
        action: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    ahead = ACTION_DUE - timedelta(days=2)
    await scheduler.tick()
    await tick_at(scheduler, clock, ahead - SECOND)
    assert outbox.titled("Action #1") == []
    await tick_at(scheduler, clock, ahead)
    await tick_at(scheduler, clock, ahead + timedelta(hours=1))
    await tick_at(scheduler, clock, ACTION_DUE)
    assert [(s.at, s.title, s.private) for s in outbox.titled("Action #1")] == [
        (ahead, "Action #1 is due in 2 days", True), (ACTION_DUE, "Action #1 is due now", True)]
    assert [(r["offset_min"], r["status"], r["expires_at"])
            for r in deliveries(db_path, "action-due")] == [
        (2880, "sent", ACTION_DUE.isoformat()),
        (0, "sent", (ACTION_DUE + timedelta(days=1)).isoformat())]


async def test_an_action_moved_later_is_reminded_for_its_new_due_time(
        action: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock) -> None:
    await scheduler.tick()
    await action.ok("Dan", 'meeting action edit 1 due:"2026-12-17 17:00"')
    await tick_at(scheduler, clock, ACTION_DUE - timedelta(days=2))
    await tick_at(scheduler, clock, ACTION_DUE)
    assert outbox.titled("Action #1") == []
    later = ACTION_DUE + timedelta(days=7)
    await tick_at(scheduler, clock, later - timedelta(days=2))
    await tick_at(scheduler, clock, later)
    assert [(s.at, s.title) for s in outbox.titled("Action #1")] == [
        (later - timedelta(days=2), "Action #1 is due in 2 days"),
        (later, "Action #1 is due now")]


async def test_an_action_done_before_it_comes_due_sends_nothing(
        action: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await scheduler.tick()
    await action.ok("Dan", "meeting done 1")
    await tick_at(scheduler, clock, ACTION_DUE + SECOND)
    await tick_at(scheduler, clock, ACTION_DUE + timedelta(hours=2))
    assert outbox.titled("Action #1") == []
    assert [r["status"] for r in deliveries(db_path, "action-due")
            if r["status"] != "dropped"] == []


async def test_an_action_done_while_its_notice_waits_for_a_retry_is_dropped(
        action: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await scheduler.tick()
    outbox.fail_next = 1
    await tick_at(scheduler, clock, ACTION_DUE + SECOND)
    due_now = [r for r in deliveries(db_path, "action-due") if r["offset_min"] == 0]
    assert [r["status"] for r in due_now] == ["pending"]  # (the one ahead was skipped)
    await action.ok("Dan", "meeting done 1")
    await tick_at(scheduler, clock, ACTION_DUE + timedelta(minutes=5))
    assert outbox.titled("Action #1") == []
    assert [r["status"] for r in deliveries(db_path, "action-due")
            if r["offset_min"] == 0] == ["dropped"]


# --- a process that died mid-send ------------------------------------------------------------


async def test_a_delivery_left_sending_by_a_dead_process_is_sent_again_after_a_restart(
        coalition: Chat, bot: Bot, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", KICKOFF)
    await scheduler.tick()
    outbox.fail_next = 1
    await tick_at(scheduler, clock, KICKOFF_24H)
    await bot.close()
    # the state a process killed between claiming and marking leaves behind
    assert execute(db_path, "UPDATE delivery SET status = 'sending' WHERE status = 'pending'") == 1
    assert outbox.reminders() == []
    async with restarted(db_path, clock, outbox) as second:
        clock.now = KICKOFF_24H + timedelta(minutes=10)
        await second.start()  # requeues it, then its first tick sends it
        try:
            await tick_at(second, clock, KICKOFF_24H + timedelta(minutes=20))
            await tick_at(second, clock, KICKOFF_1H)
        finally:
            await second.stop()
    assert [s.title for s in outbox.reminders()] == [
        "(late) Reminder: Kickoff in 23 hours 50 minutes", "Reminder: Kickoff in 1 hour"]
    assert statuses(db_path) == [(KICKOFF_24H.isoformat(), 1440, "sent"),
                                 (KICKOFF_1H.isoformat(), 60, "sent")]


# --- /meeting info ---------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "shown"), [
    (utc(2026, 11, 23, 15), "Mon 30 Nov 2026, 18:00"),  # 24 h before 1 December
    (utc(2026, 11, 30, 23, 30), "Tue 1 Dec 2026, 17:00"),  # then 1 h before
    (utc(2026, 12, 1, 22, 30), "Mon 7 Dec 2026, 18:00"),  # then the next week's
])
async def test_meeting_info_shows_when_the_next_reminder_goes_out(
        coalition: Chat, clock: MovableClock, now: datetime, shown: str) -> None:
    await coalition.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" every:weekly')
    clock.now = now
    info = await coalition.ok("Eve", "meeting info 1")
    values = [f.value for f in info.fields if f.name == "Next reminder"]
    assert values == [f"{shown} (America/New_York)"]


async def test_the_next_reminder_meeting_info_shows_is_when_the_scheduler_sends_it(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock) -> None:
    await coalition.ok("Alice", f"{KICKOFF} remind:90m")
    info = await coalition.ok("Eve", "meeting info 1")
    [shown] = [f.value for f in info.fields if f.name == "Next reminder"]
    await scheduler.tick()
    await tick_at(scheduler, clock, KICKOFF_START - timedelta(minutes=90))
    [sent] = outbox.reminders()
    local = sent.at.astimezone(NY)
    assert shown == f"{local:%a} {local.day} {local:%b %Y, %H:%M} (America/New_York)"
    assert sent.title == "Reminder: Kickoff in 1 hour 30 minutes"


# --- the instant a planned job runs ----------------------------------------------------------
# plan() puts an APScheduler date job at each due time, so a tick runs a few milliseconds
# after it. The store keeps times to the second (`iso`); the action, poll-closing and
# poll-close queries round their end bound up (`iso_end`) so a tick within the due second
# still finds what came due, instead of waiting for the next periodic sweep.

JUST_AFTER = timedelta(milliseconds=5)


@pytest.mark.parametrize("kind", [
    "meeting-reminder",
    "action-due",
    "poll-closing",
    "poll-result",
])
async def test_a_tick_just_after_the_due_time_delivers_what_came_due(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path, kind: str) -> None:
    setup, due, title = {
        "meeting-reminder": (f"{KICKOFF} remind:1h", KICKOFF_1H, "Reminder: Kickoff"),
        "action-due": ('meeting note 1 action Book the hall due:"2026-11-24 17:00"',
                       utc(2026, 11, 24, 22), "Action #1 is due now"),
        "poll-closing": ("poll create Go?", DEADLINE - timedelta(hours=24), "Poll #1 closes"),
        "poll-result": ("poll create Go?", DEADLINE, "Poll #1 closed"),
    }[kind]
    if kind == "action-due":
        await coalition.ok("Alice", f"{KICKOFF} remind:none")
    await coalition.ok("Alice", setup)
    await scheduler.tick()
    await tick_at(scheduler, clock, due - SECOND)
    assert deliveries(db_path, kind) == []
    await tick_at(scheduler, clock, due + JUST_AFTER)
    assert [r["status"] for r in deliveries(db_path, kind)] == ["sent"]
    [sent] = outbox.titled(title)
    assert sent.at == due + JUST_AFTER


async def test_reminders_follow_the_home_channel_when_it_moves(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock) -> None:
    await coalition.ok("Alice", KICKOFF)
    await scheduler.tick()
    await replace(coalition, channel="announcements").ok("Alice", "coalition home")
    await tick_at(scheduler, clock, KICKOFF_24H)
    assert [(s.where, s.title) for s in outbox.reminders()] == [
        ("announcements", "Reminder: Kickoff in 1 day")]


async def test_changing_a_meetings_reminders_moves_them(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock) -> None:
    """Earlier than the series' next reminder was: the sweep's mark must not hide it."""
    await coalition.ok("Alice", f"{KICKOFF} remind:1h")
    await scheduler.tick()  # marks the series with its next reminder: KICKOFF_1H
    await coalition.ok("Alice", "meeting update 1 remind:24h where:Library")
    for when in (KICKOFF_24H, KICKOFF_1H):
        await tick_at(scheduler, clock, when)
    [sent] = outbox.reminders()
    assert (sent.at, sent.title) == (KICKOFF_24H, "Reminder: Kickoff in 1 day")
    assert field(sent, "Where") == "Library"


async def test_an_extended_poll_closes_itself_at_its_new_deadline(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await coalition.ok("Alice", "poll create Join the May Day march?")
    await scheduler.tick()
    later = DEADLINE + timedelta(days=2)
    await coalition.ok("Alice", 'poll extend 1 "2026-11-28 10:00"')  # 15:00 UTC
    await tick_at(scheduler, clock, DEADLINE + SECOND)
    assert poll_status(db_path) == "open"
    await tick_at(scheduler, clock, later + SECOND)
    assert poll_status(db_path) == "closed"
    [sent] = outbox.titled("Poll #1 closed")
    assert sent.at == later + SECOND


@contextmanager
def write_lock_held_elsewhere(db_path: Path | str) -> Iterator[None]:
    """Another process in the middle of a write: SQLite's write lock, or the advisory
    lock every PostgreSQL write transaction takes."""
    if isinstance(db_path, str):
        import psycopg

        from coalition_bot.store.postgres import WRITE_LOCK

        with psycopg.connect(db_path, autocommit=True) as pg:
            pg.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
            yield
        return
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_planning_the_timers_waits_for_no_writer(
        coalition: Chat, scheduler: Scheduler, db_path: Path | str) -> None:
    """Each command re-plans its coalition's timers: a read of every meeting due within
    hours, a tenth of a second with hundreds of them. Under the write lock, on
    PostgreSQL every other process's commands and sends queued behind it (and after 5 s
    failed as busy); it reads a snapshot instead, and needs no lock."""
    await coalition.ok("Alice", 'meeting schedule Soon "2026-11-23 16:00" remind:1h')
    await scheduler.start()
    try:
        with write_lock_held_elsewhere(db_path):
            planned = await asyncio.wait_for(scheduler.timers.plan(1), 3)
    finally:
        await scheduler.stop()
    assert planned == 1


async def test_a_start_while_another_process_holds_the_database_still_starts(
        coalition: Chat, scheduler: Scheduler, outbox: Outbox, clock: MovableClock,
        db_path: Path | str, caplog: pytest.LogCaptureFixture) -> None:
    """Three `run` processes, one killed and restarted while another wrote 1,800 rows
    in one sweep: the start's first tick waited 5 s for the write lock, raised busy,
    and the restarted process exited. It starts now; its timers do the tick later."""
    await coalition.ok("Alice", 'meeting schedule Soon "2026-11-23 16:00" remind:1h')
    try:
        with write_lock_held_elsewhere(db_path):
            await scheduler.start()
        assert scheduler.running
        assert "the scheduler cannot use the database" in caplog.text
        await scheduler.tick()  # what its next timer does, the lock released
        # 15:00:30 in New York: the reminder is due
        await tick_at(scheduler, clock, utc(2026, 11, 23, 20, 0, 30))
    finally:
        await scheduler.stop()
    assert [s.title for s in outbox.sent] == ["Reminder: Soon in 1 hour"]
