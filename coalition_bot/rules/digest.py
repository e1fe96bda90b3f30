"""When a weekly digest is due: a weekday and a local wall-clock time in a zone, so
09:00 on Monday stays 09:00 across daylight-saving changes. Pure functions."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from coalition_bot.errors import UsageError

__all__ = ["WEEKDAYS", "Weekday", "parse_clock", "weekly_times"]

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
_CLOCK = re.compile(r"([01]?\d|2[0-3])(?::([0-5]\d))?\s*(am|pm)?", re.I)


def parse_clock(text: str) -> time:
    """`09:00`, `9:30`, `17:00`, `9am`, `5:30pm` → a time of day; else a UsageError."""
    found = _CLOCK.fullmatch(text.strip())
    if not found:
        raise UsageError(f"`{text}` is not a time of day.", hint="Write it like 09:00 or 17:30.")
    hour, minute, half = int(found[1]), int(found[2] or 0), (found[3] or "").lower()
    if half and not 1 <= hour <= 12:
        raise UsageError(f"`{text}` is not a time of day.", hint="Write it like 9am or 17:30.")
    if half:
        hour = hour % 12 + (12 if half == "pm" else 0)
    return time(hour, minute)


def weekly_times(weekday: int, at: time, timezone: str, start: datetime, end: datetime
                 ) -> list[tuple[str, datetime]]:
    """(week key, instant) of each weekly time in [start, end). The key is the local date
    (`2026-12-07`), so one week has one key whatever the clocks do. A local time the
    clocks skip falls an hour later."""
    zone = ZoneInfo(timezone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    found = []
    while day <= last:
        when = datetime.combine(day, at).replace(tzinfo=zone)
        when = when.astimezone(ZoneInfo("UTC")).astimezone(zone)  # a skipped time moves on
        if start <= when < end:
            found.append((day.isoformat(), when))
        day += timedelta(days=7)
    return found
