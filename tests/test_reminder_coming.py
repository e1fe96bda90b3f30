"""Meeting reminders say who is coming: the people who said yes, by organization."""

from __future__ import annotations

import pytest
from helpers import Chat, MovableClock
from scheduler_support import Outbox, tick_at, utc

from coalition_bot.scheduler import Scheduler

DAY_BEFORE = utc(2026, 11, 23, 23)  # 24 hours before Tue 24 Nov, 18:00 in New York
HOUR_BEFORE = utc(2026, 11, 24, 22)

pytestmark = pytest.mark.both_backends


def coming(sent) -> str:
    (value,) = [f.value for f in sent.notice.fields if f.name == "Coming"]
    return value


async def test_reminders_list_who_said_yes_grouped_by_organization(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock) -> None:
    c = coalition
    await c.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await c.ok("Alice", 'coalition rep add Gus "Tenants United"')
    await c.ok("Alice", 'meeting schedule Strategy "2026-11-24 18:00"')
    await scheduler.tick()
    await tick_at(scheduler, clock, DAY_BEFORE)
    (first,) = outbox.reminders()
    assert coming(first) == "Nobody has said yes yet."
    for person, answer in (("Dan", "yes"), ("Eve", "yes"), ("Gus", "yes"), ("Bob", "yes"),
                           ("Carol", "no"), ("Zoe", "maybe")):
        clock.advance(minutes=1)
        await c.ok(person, f"meeting rsvp 1 {answer}")  # in this order
    await tick_at(scheduler, clock, HOUR_BEFORE)
    second = outbox.reminders()[1]
    assert second.title == "Reminder: Strategy in 1 hour"
    assert coming(second) == ("Tenants United: Gus, Bob\n"
                              "Climate Now: Dan\n"
                              "No organization: Eve")


async def test_reminders_sent_together_each_list_their_own_people_and_agenda(
        coalition: Chat, outbox: Outbox, scheduler: Scheduler, clock: MovableClock) -> None:
    """Reminders claimed in one batch are rendered together: each still shows its own
    meeting's yes answers (a representative of two organizations under both) and agenda,
    and a series cancelled meanwhile sends nothing."""
    c = coalition
    await c.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await c.ok("Alice", 'coalition rep add Dan "Tenants United"')
    for name in ("Strategy", "Budget", "Outreach", "Dropped"):
        await c.ok("Alice", f'meeting schedule {name} "2026-11-24 18:00"')
    await c.ok("Dan", "meeting rsvp 1 yes")
    await c.ok("Eve", "meeting rsvp 1 yes")
    await c.ok("Bob", "meeting rsvp 2 yes")
    await c.ok("Eve", "meeting rsvp 2 no")
    await c.ok("Bob", "meeting agenda add 1 Rent strike vote")
    await c.ok("Eve", "meeting agenda add 1 Budget review")
    await c.ok("Eve", "meeting agenda add 3 Flyers")
    await scheduler.tick()
    await c.ok("Alice", "meeting cancel 4")
    await tick_at(scheduler, clock, DAY_BEFORE)

    sent = {r.title: r for r in outbox.reminders()}
    assert sorted(sent) == ["Reminder: Budget in 1 day", "Reminder: Outreach in 1 day",
                            "Reminder: Strategy in 1 day"]
    strategy, budget = sent["Reminder: Strategy in 1 day"], sent["Reminder: Budget in 1 day"]
    assert coming(strategy) == ("Tenants United: Dan\n"
                                "Climate Now: Dan\n"
                                "No organization: Eve")
    assert coming(budget) == "Tenants United: Bob"
    assert coming(sent["Reminder: Outreach in 1 day"]) == "Nobody has said yes yet."

    def agenda(r) -> list[str]:
        return [f.value for f in r.notice.fields if f.name == "Agenda"]

    assert agenda(strategy) == ["1. Rent strike vote\n2. Budget review"]
    assert agenda(budget) == []
    assert agenda(sent["Reminder: Outreach in 1 day"]) == ["1. Flyers"]
