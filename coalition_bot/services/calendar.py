"""The coalition's meetings in iCalendar: the one-off `.ics` file of `/meeting ical`,
and the calendars the feeds serve (`services/feeds.py`), built by the same code.

A series is one VEVENT with its RRULE (UNTIL in UTC), an EXDATE per cancelled date and
a RECURRENCE-ID override per moved one; VTIMEZONEs are added, so a calendar shows 18:00
in New York as 18:00 on both sides of a DST change. Feeds pass a fixed `stamp` (DTSTAMP)
so the same meetings give the same bytes, which is what their ETag is made of.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from coalition_bot.model import Coalition, Meeting, Occurrence
from coalition_bot.replies import Attachment
from coalition_bot.rules.recurrence import localize, parse_key
from coalition_bot.services.meetings import next_occurrence
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store.database import Conn

if TYPE_CHECKING:  # icalendar is imported by the first calendar built, not at start-up
    from icalendar import Calendar, Event

__all__ = ["FeedInfo", "calendar", "event_uid", "ical", "occurrence_calendar"]

PRODID = "-//coalition-bot//meetings//EN"


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a subscribed feed adds to the plain file: where the meetings are seen, how
    often to look again, and a DTSTAMP that does not change with every request."""

    url: str  # the coalition's page, or ""
    refresh: timedelta
    stamp: datetime


def event_uid(coalition_id: int, meeting_number: int, key: str = "") -> str:
    """A stable UID: the series', or with `key` one occurrence's (personal feeds)."""
    tail = f"-{key.replace(':', '').replace('-', '')}" if key else ""
    return f"coalition-{coalition_id}-meeting-{meeting_number}{tail}@coalition-bot"


def _new_calendar(name: str, feed: FeedInfo | None) -> Calendar:
    from icalendar import Calendar, vDuration

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    if feed is not None:
        # RFC 7986's hint, and the older one Outlook and Google read
        cal.add("refresh-interval", vDuration(feed.refresh), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(feed.refresh))
        if feed.url:
            cal.add("url", feed.url)
    return cal


def describe_meeting(meeting: Meeting, agenda: Sequence[str], day: str) -> str:
    """An event's DESCRIPTION: the join link, how to RSVP, and the agenda of `day`."""
    lines = []
    if meeting.location:
        lines.append(f"Where / join: {meeting.location}")
    lines.append(f"RSVP in the coalition's chat: /meeting rsvp {meeting.number} yes "
                 f"(or maybe, no)")
    if agenda:
        lines.append(f"Agenda ({day}):")
        lines += [f"{i}. {text}" for i, text in enumerate(agenda, 1)]
    return "\n".join(lines)


async def calendar(conn: Conn, coalition: Coalition, now: datetime,
                   feed: FeedInfo | None = None) -> Calendar:
    """Every meeting that is not cancelled: one VEVENT per series, EXDATE for cancelled
    occurrences, and a RECURRENCE-ID override for each moved one. A feed's events also
    carry a description (join link, RSVP, agenda of the next date) and the page's URL."""
    from icalendar import vRecur

    cal = _new_calendar(coalition.name, feed)
    meetings = [m for m in await meeting_sql.list_meetings(conn, coalition.id) if not m.cancelled]
    changed = await meeting_sql.changes(conn, [m.id for m in meetings])
    stamp = feed.stamp if feed is not None else now
    for m in meetings:
        uid = event_uid(coalition.id, m.number)
        length = timedelta(minutes=m.duration_min)
        start = localize(m.start_local, m.timezone)
        event = _event(uid, m.title, m.location, start, length, stamp)
        if feed is not None:
            await _describe(conn, event, m, feed, now)
        if m.rrule:
            rule = m.rrule
            if m.until_local:
                until = localize(m.until_local, m.timezone).astimezone(UTC)
                rule += f";UNTIL={until:%Y%m%dT%H%M%SZ}"
            event.add("rrule", vRecur.from_ical(rule))
        overrides = []
        for key, (cancelled, moved_to) in sorted(changed.get(m.id, {}).items()):
            original = localize(parse_key(key), m.timezone)
            if cancelled:
                event.add("exdate", original)
            elif moved_to:
                moved = _event(uid, m.title, m.location,
                               localize(parse_key(moved_to), m.timezone), length, stamp)
                moved.add("recurrence-id", original)
                if feed is not None:
                    await _describe(conn, moved, m, feed, now, key)
                overrides.append(moved)
        cal.add_component(event)
        for moved in overrides:
            cal.add_component(moved)
    cal.add_missing_timezones()
    return cal


async def _describe(conn: Conn, event: Event, meeting: Meeting, feed: FeedInfo,
                    now: datetime, key: str = "") -> None:
    if not key:  # the series: the agenda of its next date
        occ = await next_occurrence(conn, meeting, now)
        key = occ.key if occ is not None else ""
    agenda = [text for text, _ in await meeting_sql.agenda(conn, meeting.id, key)] if key \
        else []
    event.add("description", describe_meeting(meeting, agenda, key[:10]))
    if feed.url:
        event.add("url", f"{feed.url}#meeting-{meeting.number}")


async def occurrence_calendar(conn: Conn, name: str, coalition_id: int,
                              occurrences: Sequence[Occurrence], feed: FeedInfo) -> Calendar:
    """Single dated events, one per occurrence (a personal feed: the dates a person
    said yes or maybe to), each with its own UID."""
    cal = _new_calendar(name, feed)
    for occ in occurrences:
        m = occ.meeting
        event = _event(event_uid(coalition_id, m.number, occ.key), m.title, m.location,
                       occ.start, timedelta(minutes=m.duration_min), feed.stamp)
        agenda = [text for text, _ in await meeting_sql.agenda(conn, m.id, occ.key)]
        event.add("description", describe_meeting(m, agenda, occ.key[:10]))
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal


async def ical(conn: Conn, coalition: Coalition, now: datetime) -> Attachment:
    """The coalition's meetings as a file to import once (`/meeting ical`)."""
    cal = await calendar(conn, coalition, now)
    return Attachment("coalition-meetings.ics", cal.to_ical().decode("utf-8"), "text/calendar")


def _event(uid: str, title: str, location: str, start: datetime, length: timedelta,
           stamp: datetime) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("summary", title)
    event.add("dtstart", start)
    event.add("dtend", start + length)
    event.add("dtstamp", stamp.astimezone(UTC))
    if location:
        event.add("location", location)
    return event
