"""An offer or ask about to expire: its organization is reminded privately, once, by the
scheduler's sweep and the outbox, across restarts. The clock is moved, nothing sleeps.

The clock starts on Monday 23 November 2026, 15:00 UTC (10:00 in New York).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from helpers import Chat, MovableClock
from scheduler_support import Outbox, deliveries, restarted, tick_at, utc

from coalition_bot.bot import Bot
from coalition_bot.scheduler import Scheduler
from coalition_bot.services.people import console_user_id

# `until:2026-12-10` stands until midnight after it in New York: 11 December, 05:00 UTC;
# the reminder comes three days before.
ENDS = utc(2026, 12, 11, 5)
REMIND = ENDS - timedelta(days=3)
SECOND = timedelta(seconds=1)
TITLE = "Tenants United's offer #1 expires"


@pytest.fixture
async def reps(coalition: Chat) -> Chat:
    """Bob and Gus represent Tenants United, Dan Climate Now."""
    await coalition.ok("Alice", 'coalition rep add Gus "Tenants United"')
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    return coalition


def who(outbox: Outbox, prefix: str) -> list[tuple[str, bool]]:
    return sorted((s.where, s.private) for s in outbox.titled(prefix))


async def test_the_reminder_goes_privately_to_the_organization_once_across_restarts(
        reps: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path, bot: Bot) -> None:
    await reps.ok("Bob", "resource offer Meeting hall tags:hall until:2026-12-10")
    await scheduler.tick()
    await tick_at(scheduler, clock, REMIND - SECOND)
    assert outbox.titled(TITLE) == []
    await bot.close()
    async with restarted(db_path, clock, outbox) as second:
        await tick_at(second, clock, REMIND)
        await tick_at(second, clock, REMIND + timedelta(minutes=5))
    async with restarted(db_path, clock, outbox) as third:
        await tick_at(third, clock, REMIND + timedelta(hours=2))
    assert who(outbox, TITLE) == [(console_user_id("Bob"), True), (console_user_id("Gus"), True)]
    sent = outbox.titled(TITLE)[0]
    assert (sent.at, sent.title) == (REMIND, f"{TITLE} in 3 days")
    assert "It stands until the end of Thu 10 Dec 2026." in sent.notice.text
    assert [(b.label, b.command) for b in sent.notice.buttons] == [
        ("Close as met", "resource close 1 met"), ("Withdraw", "resource close 1 withdrawn")]
    assert [s for s in outbox.sent if not s.private and "expires" in s.title] == []
    assert [(r["status"], r["due_at"], r["expires_at"])
            for r in deliveries(db_path, "resource-expiring")] == [
        ("sent", REMIND.isoformat(), ENDS.isoformat())] * 2


async def test_an_item_posted_with_less_than_three_days_left_is_reminded_at_once(
        reps: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock) -> None:
    await scheduler.tick()
    await reps.ok("Alice", 'resource ask Canvassers by:2026-11-24 org:"Climate Now"')
    await tick_at(scheduler, clock, clock.now + SECOND)
    title = "Climate Now's ask #1 expires in 1 day 13 hours"
    assert who(outbox, title) == [(console_user_id("Alice"), True),
                                  (console_user_id("Dan"), True)]  # its poster, its rep
    await tick_at(scheduler, clock, clock.now + timedelta(hours=1))
    assert len(outbox.titled(title)) == 2


async def test_an_item_closed_before_its_reminder_is_not_reminded(
        reps: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await reps.ok("Bob", "resource offer Meeting hall until:2026-12-10")
    await reps.ok("Bob", "resource offer Chairs until:2026-12-10")
    await scheduler.tick()
    await reps.ok("Gus", "resource close 1 withdrawn")
    await tick_at(scheduler, clock, REMIND + SECOND)
    assert outbox.titled(TITLE) == []
    assert len(outbox.titled("Tenants United's offer #2 expires")) == 2


async def test_a_reminder_waiting_for_a_retry_is_dropped_once_the_item_is_closed(
        reps: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await reps.ok("Bob", "resource offer Meeting hall until:2026-12-10")
    await scheduler.tick()
    outbox.down = True
    await tick_at(scheduler, clock, REMIND + SECOND)
    assert [r["status"] for r in deliveries(db_path, "resource-expiring")] == ["pending"] * 2
    outbox.down = False
    clock.now = REMIND + timedelta(minutes=1)
    await reps.ok("Bob", "resource close 1 met")
    await tick_at(scheduler, clock, REMIND + timedelta(minutes=10))
    assert outbox.titled(TITLE) == []
    assert [r["status"] for r in deliveries(db_path, "resource-expiring")] == ["dropped"] * 2


async def test_a_reminder_not_sent_by_the_items_end_is_given_up(
        reps: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await reps.ok("Bob", "resource offer Meeting hall until:2026-12-10")
    await scheduler.tick()
    outbox.down = True
    await tick_at(scheduler, clock, REMIND + SECOND)
    outbox.down = False
    await tick_at(scheduler, clock, ENDS + SECOND)
    assert outbox.titled(TITLE) == []
    assert [r["status"] for r in deliveries(db_path, "resource-expiring")] == ["expired"] * 2
