"""The weekly digest: set with `/coalition digest on WEEKDAY TIME`, found by the
scheduler's sweep, sent through the outbox once a week at the local time, across a
daylight-saving change and restarts. The clock is moved; nothing sleeps.

Monday 1 March 2027 in New York is EST (UTC-5): 09:00 there is 14:00 UTC. Daylight
saving starts on Sunday 14 March, so on Monday 15 March 09:00 is 13:00 UTC.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from helpers import Chat, MovableClock, field, refused_without_change, text_of
from scheduler_support import Outbox, deliveries, restarted, tick_at, utc

from coalition_bot.bot import Bot
from coalition_bot.scheduler import Scheduler
from coalition_bot.services.digest import QUIET

SECOND = timedelta(seconds=1)
MAR_1, MAR_8, MAR_15 = utc(2027, 3, 1, 14), utc(2027, 3, 8, 14), utc(2027, 3, 15, 13)


@pytest.fixture
async def weekly(chat: Chat, clock: MovableClock) -> Chat:
    clock.now = utc(2027, 2, 28, 12)  # Sunday 28 February, 07:00 in New York
    await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
    await chat.ok("Alice", 'coalition org add "Tenants United"')
    await chat.ok("Alice", 'coalition org add "Climate Now"')
    await chat.ok("Alice", 'coalition rep add Bob "Tenants United"')
    reply = await chat.ok("Alice", "coalition digest on monday 09:00")
    assert "The first one: Mon 1 Mar 2027, 09:00 (America/New_York)." in reply.text
    return chat


@pytest.fixture
def box(bot: Bot, weekly: Chat, clock: MovableClock) -> Outbox:
    outbox = Outbox("console", clock)
    bot.add_outlet(outbox)
    return outbox


def digests(box: Outbox) -> list:
    return box.titled("Eastside Tenants: the week of")


async def test_once_a_week_at_the_local_time_across_dst_and_restarts(
        weekly: Chat, box: Outbox, scheduler: Scheduler, clock: MovableClock, db_path: Path,
        bot: Bot) -> None:
    await scheduler.tick()
    await tick_at(scheduler, clock, MAR_1 - SECOND)
    assert digests(box) == []
    await tick_at(scheduler, clock, MAR_1)
    await tick_at(scheduler, clock, MAR_1 + timedelta(minutes=5))
    await bot.close()
    async with restarted(db_path, clock, box) as second:
        await tick_at(second, clock, MAR_1 + timedelta(minutes=30))
        await tick_at(second, clock, MAR_8 - SECOND)
        await tick_at(second, clock, MAR_8)
    async with restarted(db_path, clock, box) as third:
        await tick_at(third, clock, MAR_8 + timedelta(hours=1))
        await tick_at(third, clock, MAR_15 - SECOND)
        await tick_at(third, clock, MAR_15)
        await tick_at(third, clock, MAR_15 + timedelta(hours=2))
    sent = digests(box)
    assert [(s.at, s.where, s.private) for s in sent] == [
        (MAR_1, "console", False), (MAR_8, "console", False), (MAR_15, "console", False)]
    assert [s.title for s in sent] == [
        "Eastside Tenants: the week of Mon 1 Mar 2027",
        "Eastside Tenants: the week of Mon 8 Mar 2027",
        "Eastside Tenants: the week of Mon 15 Mar 2027"]
    assert [s.notice.text for s in sent] == [QUIET] * 3  # nothing happened: one line
    assert [(r["occurrence"], r["status"]) for r in deliveries(db_path, "digest")] == [
        ("2027-03-01", "sent"), ("2027-03-08", "sent"), ("2027-03-15", "sent")]


async def test_the_digest_tells_the_week(weekly: Chat, box: Outbox, scheduler: Scheduler,
                                         clock: MovableClock) -> None:
    c = weekly
    await scheduler.tick()
    clock.now = utc(2027, 2, 24, 15)  # the week before (Wednesday): outside this week
    await c.ok("Alice", "coalition goal add Rent stabilization")
    clock.now = utc(2027, 2, 28, 15)
    await c.ok("Alice", 'poll create "Join the march?" quorum:0%')
    await c.ok("Bob", "poll vote 1 agree")
    await c.ok("Alice", "poll close 1")
    await c.ok("Alice", 'poll create "Fund the bus?" closes:"2027-03-04 17:00"')
    await c.ok("Alice", 'poll create "Later?" closes:"2027-03-20 17:00"')
    await c.ok("Alice", 'meeting schedule Strategy "2027-03-02 18:00"')
    await c.ok("Alice", 'meeting schedule Assembly "2027-03-10 18:00"')
    await c.ok("Alice", 'meeting note 1 action Book the hall owner:Bob due:"2027-02-28 12:00"')
    await c.ok("Alice", 'meeting note 1 action Print flyers owner:Bob due:"2027-03-03 12:00"')
    await c.ok("Alice", "coalition goal update 1 in-progress Hearing set")
    preview = await c.ok("Alice", "coalition digest preview")
    assert preview.private
    await tick_at(scheduler, clock, MAR_1)
    (sent,) = digests(box)
    notice = sent.notice
    assert field(preview, "Decided this week") == "#1 Join the march?: passed"
    assert {f.name: f.value for f in notice.fields} == {
        "Decided this week": "#1 Join the march?: passed",
        "Polls closing this coming week":
            "#2 Fund the bus?: closes Thu 4 Mar 2027, 17:00 (America/New_York); "
            "organizations not voted yet: Tenants United, Climate Now",
        "Meetings this coming week": "#1 Strategy: Tue 2 Mar 2027, 18:00 (America/New_York)",
        "Action items due": "Bob: #1 Book the hall (newly due, due Sun 28 Feb 2027, 12:00 "
                            "(America/New_York))",
        "Goal changes": "#1 Rent stabilization: now in-progress (Hearing set)",
    }


async def test_off_stops_it_and_only_coordinators_set_it(
        weekly: Chat, box: Outbox, scheduler: Scheduler, clock: MovableClock,
        db_path: Path) -> None:
    await scheduler.tick()
    message = await refused_without_change(weekly, db_path, "Bob", "coalition digest off")
    assert "coordinators" in message
    message = await refused_without_change(weekly, db_path, "Alice",
                                           "coalition digest on monday 25:00")
    assert "`25:00` is not a time of day." in message
    message = await refused_without_change(weekly, db_path, "Alice",
                                           "coalition digest on someday 09:00")
    assert "someday" in message
    assert "Weekly digest off" in text_of(await weekly.ok("Alice", "coalition digest off"))
    await tick_at(scheduler, clock, MAR_1)
    await tick_at(scheduler, clock, MAR_8)
    assert digests(box) == []
    again = await weekly.ok("Alice", "coalition digest off")
    assert again.text == "There is no weekly digest to turn off."


async def test_the_digest_counts_the_weeks_offers_and_asks(
        weekly: Chat, box: Outbox, scheduler: Scheduler, clock: MovableClock) -> None:
    await scheduler.tick()
    quiet = await weekly.ok("Alice", "coalition digest preview")
    assert "Offers and asks this week" not in [f.name for f in quiet.fields]
    await weekly.ok("Bob", "resource ask A hall for 80 people tags:hall")
    await tick_at(scheduler, clock, MAR_1)
    (sent,) = digests(box)
    assert {f.name: f.value for f in sent.notice.fields}["Offers and asks this week"] == (
        "0 of 1 ask(s) met. 0 of 0 offer(s) taken up.")
