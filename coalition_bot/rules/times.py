"""Reading and showing times. Pure functions: the caller passes `now` and the zone.

Local times are read in the coalition's time zone. A wall-clock time that does not
exist (skipped by a daylight-saving change) is refused; one that happens twice takes
the first (`fold=0`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from coalition_bot.errors import UsageError

__all__ = ["format_local", "format_span", "parse_duration", "parse_when"]

_DURATION = re.compile(r"(\d+)\s*(d|h|m|min|mins|minutes?|hours?|days?|w|weeks?)", re.I)
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?$"
)
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """`90m`, `1h30m`, `2h`, `1d`, `2 weeks` → timedelta; anything else is a UsageError."""
    cleaned = text.strip().lower()
    parts = list(_DURATION.finditer(cleaned))
    if not parts or _DURATION.sub("", cleaned).strip(" ,") != "":
        raise UsageError(f"`{text}` is not a duration.",
                         hint="Write it like 90m, 1h30m, 2h or 1d.")
    total = timedelta()
    for part in parts:
        unit = _UNITS[part[2][0].lower()]
        total += timedelta(**{unit: int(part[1])})
    if total <= timedelta():
        raise UsageError(f"`{text}` is not a positive duration.")
    return total


def _localize(naive: datetime, zone: ZoneInfo, text: str) -> datetime:
    """Attach the zone to a wall-clock time, refusing times a DST change skips."""
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise UsageError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks skip it "
            f"for daylight saving (read from `{text}`).",
            hint="Pick a time an hour earlier or later.")
    return aware


def parse_when(text: str, timezone: str, now: datetime) -> datetime:
    """Read a time in the coalition's zone: ISO (`2026-12-01 18:00`) or a natural phrase.

    Returns an aware datetime in that zone. Raises UsageError when nothing sensible is
    read. Whether a past time is acceptable is the caller's rule.
    """
    zone = ZoneInfo(timezone)
    cleaned = " ".join(text.split())
    iso = _ISO.match(cleaned)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
        hour = int(iso[4]) if iso[4] is not None else 0
        minute = int(iso[5]) if iso[5] is not None else 0
        try:
            naive = datetime(year, month, day, hour, minute)
        except ValueError as exc:
            raise UsageError(f"`{text}` is not a real date or time ({exc}).") from None
        return _localize(naive, zone, text)
    import dateparser  # slow to import: only when a natural phrase needs it

    local_now = now.astimezone(zone).replace(tzinfo=None)
    parsed = dateparser.parse(
        cleaned,
        languages=["en"],
        settings={
            "RELATIVE_BASE": local_now,
            "PREFER_DATES_FROM": "future",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "STRICT_PARSING": False,
        },
    )
    if parsed is None:
        raise UsageError(
            f"I can't read `{text}` as a time.",
            hint="Try 2026-12-01 18:00, tomorrow 6pm, next tuesday 18:00 or in 3 days.")
    return _localize(parsed.replace(second=0, microsecond=0), zone, text)


def format_local(when: datetime, timezone: str) -> str:
    """`Tue 1 Dec 2026, 18:00 (America/New_York)`: a time as the coalition reads it."""
    local = when.astimezone(ZoneInfo(timezone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({timezone})"


def format_span(span: timedelta) -> str:
    """`2 days 3 hours`, `45 minutes`, `less than a minute`: a duration for people."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (mins, "minute")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return " ".join(words)
