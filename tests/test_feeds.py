"""Calendar feeds through the real web server: the coalition's and a person's own. Read
with the icalendar library and expanded by a second, independent reader
(recurring-ical-events), they give the same dates as the bot's own expansion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import recurring_ical_events
from helpers import Chat, MovableClock, field, text_of
from icalendar import Calendar
from scheduler_support import Outbox, tick_at, utc
from web_support import served

from coalition_bot.bot import Bot
from coalition_bot.scheduler import Scheduler
from coalition_bot.services import meetings
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.web.server import NOT_FOUND

pytestmark = pytest.mark.both_backends

WINDOW = (utc(2027, 2, 1), utc(2027, 5, 1))  # three months, across 14 March 2027 (DST)


def _expanded(body: str) -> list[tuple[datetime, str]]:
    """(start in UTC, title) of every occurrence in WINDOW, by recurring-ical-events."""
    cal = Calendar.from_ical(body)
    return sorted((e["DTSTART"].dt.astimezone(UTC), str(e["SUMMARY"]))
                  for e in recurring_ical_events.of(cal).between(*WINDOW))


async def _the_bots_own(bot: Bot, coalition_id: int = 1) -> list[tuple[datetime, str]]:
    """The same window as the bot expands it (what /meeting list and info show)."""
    found = []
    async with bot.db.transaction() as conn:
        for meeting in await meeting_sql.list_meetings(conn, coalition_id):
            if not meeting.cancelled:
                found += [(o.start.astimezone(UTC), meeting.title) for o in
                          await meetings.occurrences_between(conn, meeting, *WINDOW)]
    return sorted(found)


async def test_the_feed_gives_the_same_dates_as_the_bot_across_dst(
        coalition: Chat, bot: Bot) -> None:
    c = coalition
    await c.ok("Alice", 'meeting schedule "Strategy call" "2027-02-02 18:00" every:weekly '
                        'where:https://meet.example/abc')
    await c.ok("Alice", 'meeting schedule "Assembly" "2027-02-06 11:00" every:monthly')
    await c.ok("Alice", 'meeting schedule "One-off" "2027-03-20 09:30"')
    await c.ok("Alice", "meeting cancel 1 occurrence:2027-02-16")
    await c.ok("Alice", 'meeting reschedule 1 "2027-03-17 19:00" occurrence:2027-03-16')
    await c.ok("Alice", "meeting agenda add 1 Budget for the march")
    async with served(bot) as site:
        address = field(await c.ok("Alice", "coalition page on"), "Address")
        status, body, headers = await site.get(address + "/calendar.ics")
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    feed = _expanded(body)
    assert feed == await _the_bots_own(bot)
    calls = [when for when, title in feed if title == "Strategy call"]
    assert utc(2027, 2, 16, 23) not in calls  # cancelled
    assert utc(2027, 3, 16, 22) not in calls
    assert utc(2027, 3, 17, 23) in calls
    assert utc(2027, 3, 9, 23) in calls
    assert utc(2027, 3, 23, 22) in calls
    assert len(calls) == 12
    assert feed[0] == (utc(2027, 2, 2, 23), "Strategy call")
    listed = text_of(await c.ok("Bob", "meeting list"))
    assert "#1 Strategy call: Tue 2 Feb 2027, 18:00 (America/New_York)" in listed
    cal = Calendar.from_ical(body)
    assert str(cal["REFRESH-INTERVAL"].to_ical(), "ascii") == "PT1H"
    assert str(cal["X-PUBLISHED-TTL"].to_ical(), "ascii") == "PT1H"
    series = next(e for e in cal.walk("VEVENT") if e["UID"] ==
                  "coalition-1-meeting-1@coalition-bot" and "RECURRENCE-ID" not in e)
    assert "Where / join: https://meet.example/abc" in series["DESCRIPTION"]
    assert "/meeting rsvp 1 yes" in series["DESCRIPTION"]
    assert "1. Budget for the march" in series["DESCRIPTION"]
    assert str(series["URL"]) == f"{address}#meeting-1"


async def test_feeds_answer_conditional_requests(coalition: Chat, bot: Bot,
                                                 clock: MovableClock) -> None:
    await coalition.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00"')
    async with served(bot) as site:
        feed = field(await coalition.ok("Alice", "coalition page on"), "Address") + \
            "/calendar.ics"
        first = await site.get(feed)
        clock.advance(minutes=5)
        again = await site.get(feed)
        assert again[1] == first[1]  # the same bytes while nothing changed
        etag, modified = first[2]["ETag"], first[2]["Last-Modified"]
        assert again[2]["ETag"] == etag
        assert again[2]["Last-Modified"] == modified
        assert (await site.get(feed, **{"If-None-Match": etag}))[0] == 304
        assert (await site.get(feed, **{"If-Modified-Since": modified}))[0] == 304
        await coalition.ok("Alice", "meeting update 1 where:\"Union hall\"")
        status, body, headers = await site.get(feed, **{"If-None-Match": etag})
        assert status == 200
        assert "Union hall" in body
        assert headers["ETag"] != etag
        assert headers["Last-Modified"] != modified
        assert (await site.get(feed, **{"If-Modified-Since": modified}))[0] == 200


async def test_a_personal_feed_has_only_yes_and_maybe_and_can_be_reset(
        coalition: Chat, bot: Bot) -> None:
    c = coalition
    for title, when in (("Yes call", "2026-12-01 18:00"), ("Maybe call", "2026-12-02 18:00"),
                        ("No call", "2026-12-03 18:00"), ("Silent call", "2026-12-04 18:00")):
        await c.ok("Alice", f'meeting schedule "{title}" "{when}"')
    await c.ok("Bob", "meeting rsvp 1 yes")
    await c.ok("Bob", "meeting rsvp 2 maybe")
    await c.ok("Bob", "meeting rsvp 3 no")
    await c.ok("Alice", "meeting rsvp 4 yes")  # Alice's, not Bob's
    async with served(bot) as site:
        reply = await c.ok("Bob", "meeting feed")
        assert reply.private
        assert reply.title == "Your new calendar feed"
        address = field(reply, "Your calendar feed")
        assert field(reply, "Open in a calendar app") == address.replace("http://", "webcal://")
        assert field(await c.ok("Bob", "meeting feed"), "Your calendar feed") == address
        status, body, headers = await site.get(address)
        assert status == 200
        assert headers["Cache-Control"] == "private, no-cache"
        titles = sorted(str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT"))
        assert titles == ["Maybe call", "Yes call"]
        await c.ok("Alice", "meeting cancel 2")
        _, body, _ = await site.get(address)
        assert [str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")] == \
            ["Yes call"]
        reset = await c.ok("Bob", "meeting feed reset")
        new = field(reset, "Your calendar feed")
        assert new != address
        assert (await site.get(address))[:2] == (404, NOT_FOUND)
        assert (await site.get(new))[0] == 200


async def test_meeting_replies_carry_add_to_calendar_links(coalition: Chat, bot: Bot) -> None:
    c = coalition
    scheduled = await c.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00" '
                                    "duration:90m where:\"Union hall\"")
    google = urlsplit(field(scheduled, "Add to Google Calendar"))
    assert google.netloc == "calendar.google.com"
    assert parse_qs(google.query) == {"action": ["TEMPLATE"], "text": ["Strategy call"],
                                      "dates": ["20261201T230000Z/20261202T003000Z"],
                                      "location": ["Union hall"]}
    outlook = parse_qs(urlsplit(field(scheduled, "Add to Outlook")).query)
    assert (outlook["startdt"], outlook["enddt"]) == (["2026-12-01T23:00:00Z"],
                                                      ["2026-12-02T00:30:00Z"])
    assert "Subscribe to every meeting" not in text_of(scheduled)  # no page yet
    async with served(bot) as site:
        await c.ok("Alice", "coalition page on")
        info = await c.ok("Bob", "meeting info 1")
        feed = field(info, "Subscribe to every meeting")
        assert feed == site.base.replace("http://", "webcal://") + \
            "/c/eastside-tenants/calendar.ics"
        assert (await site.get(feed.replace("webcal://", "http://")))[0] == 200


async def test_reminders_carry_add_to_calendar_links(coalition: Chat, outbox: Outbox,
                                                     scheduler: Scheduler,
                                                     clock: MovableClock) -> None:
    await coalition.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00" '
                                "remind:1h")
    for at in (utc(2026, 12, 1, 22), utc(2026, 12, 1, 22) + timedelta(minutes=1)):
        await tick_at(scheduler, clock, at)
    [reminder] = outbox.reminders()
    names = [f.name for f in reminder.notice.fields]
    assert "Add to Google Calendar" in names
    assert "Add to Outlook" in names


async def test_a_person_who_left_has_no_feed(partners: Chat, bot: Bot) -> None:
    await partners.ok("Alice", 'meeting schedule "Call" "2026-12-01 18:00"')
    await partners.ok("Eve", "meeting rsvp 1 yes")
    async with served(bot) as site:
        address = field(await partners.ok("Eve", "meeting feed"), "Your calendar feed")
        assert (await site.get(address))[0] == 200
        async with site.http.head(address) as answer:  # some calendar apps ask first
            assert answer.status == 200
            assert answer.headers["ETag"]
        await partners.ok("Alice", "coalition member remove Eve")
        assert (await site.get(address))[:2] == (404, NOT_FOUND)
