"""The coalition's meetings as an iCalendar (.ics) file, recurrence included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vRecur

from coalition_bot.model import Coalition
from coalition_bot.replies import Attachment
from coalition_bot.rules.recurrence import localize, parse_key
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store.database import Conn

__all__ = ["ical"]


async def ical(conn: Conn, coalition: Coalition, now: datetime) -> Attachment:
    """Every meeting that is not cancelled: one VEVENT per series, EXDATE for cancelled
    occurrences, and a RECURRENCE-ID override for each moved one."""
    cal = Calendar()
    cal.add("prodid", "-//coalition-bot//meetings//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", coalition.name)
    meetings = [m for m in await meeting_sql.list_meetings(conn, coalition.id) if not m.cancelled]
    changed = await meeting_sql.changes(conn, [m.id for m in meetings])
    for m in meetings:
        uid = f"coalition-{coalition.id}-meeting-{m.number}@coalition-bot"
        length = timedelta(minutes=m.duration_min)
        start = localize(m.start_local, m.timezone)
        event = _event(uid, m.title, m.location, start, length, now)
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
                               localize(parse_key(moved_to), m.timezone), length, now)
                moved.add("recurrence-id", original)
                overrides.append(moved)
        cal.add_component(event)
        for moved in overrides:
            cal.add_component(moved)
    cal.add_missing_timezones()
    return Attachment("coalition-meetings.ics", cal.to_ical().decode("utf-8"), "text/calendar")


def _event(uid: str, title: str, location: str, start: datetime, length: timedelta,
           now: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("summary", title)
    event.add("dtstart", start)
    event.add("dtend", start + length)
    event.add("dtstamp", now.astimezone(UTC))
    if location:
        event.add("location", location)
    return event
