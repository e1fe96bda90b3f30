"""Meeting reminders say who is coming: the people who said yes, by organization."""

from __future__ import annotations

from helpers import Chat, MovableClock
from scheduler_support import Outbox, tick_at, utc

from coalition_bot.scheduler import Scheduler

DAY_BEFORE = utc(2026, 11, 23, 23)  # 24 hours before Tue 24 Nov, 18:00 in New York
HOUR_BEFORE = utc(2026, 11, 24, 22)


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
