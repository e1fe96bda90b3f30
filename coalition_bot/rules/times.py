"""Reading and showing times. Pure functions: the caller passes `now` and the zone.

Local times are read in the coalition's time zone. A wall-clock time that does not
exist (skipped by a daylight-saving change) is refused; so is one that happens twice
(when the clocks go back), like any other ambiguous time, with the reading shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from coalition_bot.errors import UsageError

__all__ = ["format_local", "format_span", "parse_date", "parse_duration", "parse_when"]

_DURATION = re.compile(
    r"(\d+)\s*(weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m)(?![a-z])", re.I)
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?$"
)
MAX_DURATION = timedelta(days=366)
FIRST_YEAR, LAST_YEAR = 1970, 2200
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "w": "weeks"}
_SLASHED = re.compile(r"(?<![\d/.])(\d{1,2})[/.](\d{1,2})(?![\d/.])")
_HAS_TIME = re.compile(
    r"\d{1,2}:\d{2}|\d\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}h\b|\b(?:noon|midnight|midday)\b")
_RELATIVE = re.compile(r"\b(?:in|after)\s+(?:an?|\d+)\s*\w+|\b(?:from now|now|ago)\b")
_NEXT_WEEKDAY = re.compile(r"\bnext\s+(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.I)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_duration(text: str) -> timedelta:
    """`90m`, `1h30m`, `2h`, `1d`, `2 weeks` → timedelta; anything else is a UsageError."""
    cleaned = text.strip().lower()
    parts = list(_DURATION.finditer(cleaned))
    if not parts or _DURATION.sub("", cleaned).strip(" ,") != "":
        raise UsageError(f"`{text}` is not a duration.",
                         hint="Write it like 90m, 1h30m, 2h or 1d.")
    total = timedelta()
    try:
        for part in parts:
            unit = _UNITS[part[2][0].lower()]
            total += timedelta(**{unit: int(part[1])})
    except (OverflowError, ValueError):  # more days than timedelta holds, or digits than int
        total = MAX_DURATION + MAX_DURATION
    if total <= timedelta():
        raise UsageError(f"`{text}` is not a positive duration.")
    if total > MAX_DURATION:
        raise UsageError(f"`{text}` is too long: at most {MAX_DURATION.days} days.")
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


def _read(text: str, zone: ZoneInfo, now: datetime) -> tuple[datetime, bool]:
    """The wall-clock time (naive, in `zone`) that `text` names, ISO or a natural phrase;
    and whether the text named its own zone or offset (then it is one exact instant)."""
    cleaned = " ".join(text.split())
    iso = _ISO.match(cleaned)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
        hour = int(iso[4]) if iso[4] is not None else 0
        minute = int(iso[5]) if iso[5] is not None else 0
        try:
            return datetime(year, month, day, hour, minute), False
        except ValueError as exc:
            raise UsageError(f"`{text}` is not a real date or time ({exc}).") from None
    import dateparser  # slow to import: only when a natural phrase needs it

    local_now = now.astimezone(zone).replace(tzinfo=None)
    parsed = dateparser.parse(
        cleaned,
        languages=["en"],
        settings={
            "RELATIVE_BASE": local_now,
            "PREFER_DATES_FROM": "future",
            "STRICT_PARSING": False,
        },
    )
    if parsed is None:
        raise UsageError(
            f"I can't read `{text}` as a time.",
            hint="Try 2026-12-01 18:00, tomorrow 6pm, tuesday 18:00 or in 3 days.")
    parsed = parsed.replace(second=0, microsecond=0)
    if parsed.tzinfo is not None:  # `18:00 UTC`, `6pm +02:00`: that instant, shown locally
        return parsed.astimezone(zone).replace(tzinfo=None), True
    return parsed, False


def _in_range(naive: datetime, text: str) -> datetime:
    """Refuse dates no coalition plans for (and that the calendar arithmetic cannot hold)."""
    if not FIRST_YEAR <= naive.year <= LAST_YEAR:
        raise UsageError(f"`{text}` is out of range: I read the year {naive.year}.",
                         hint=f"Give a date between {FIRST_YEAR} and {LAST_YEAR}.")
    return naive


def _ambiguity(text: str, naive: datetime, zone: ZoneInfo) -> str:
    """Why `text` (read as `naive`) could mean more than one time, or ''."""
    cleaned = text.lower()
    clash = _day_month_clash(cleaned)
    if clash:
        return clash
    if not (_HAS_TIME.search(cleaned) or _RELATIVE.search(cleaned)):
        return "it gives no time of day"
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset() and _exists(naive, zone):
        return (f"{naive:%H:%M} happens twice that night in {zone.key}, as the clocks go "
                "back for daylight saving")
    return ""


def _next_weekday(text: str, naive: datetime, zone: ZoneInfo, now: datetime,
                  show: Callable[[datetime], str]) -> datetime:
    """`next thursday` said on a Tuesday is the day after tomorrow to some people and
    Thursday of next week to others: refused with both readings. Said on a Thursday it
    can only be a week on. Same rule for every weekday; `thursday` alone is the coming one."""
    match = _NEXT_WEEKDAY.search(text)
    if match is None:
        return naive
    today = now.astimezone(zone).date()
    ahead = (_WEEKDAYS.index(match[1].lower()) - today.weekday()) % 7 or 7
    coming = datetime.combine(today + timedelta(days=ahead), naive.time())
    if ahead == 7:
        return coming
    after = coming + timedelta(days=7)
    plain = re.sub(r"(?i)\bnext\s+", "", match[0])
    raise UsageError(
        f"`{text}` is ambiguous: `{match[0]}` could mean {show(coming)} (the coming "
        f"one) or {show(after)} (a week later).",
        hint=f"Say `{plain}` for the coming one, or give the date, like "
             f"{after:%Y-%m-%d}.")


def _day_month_clash(text: str) -> str:
    match = _SLASHED.search(text)
    if match:
        first, second = int(match[1]), int(match[2])
        if first != second and first <= 12 and second <= 12:
            return f"`{match[0]}` could be day/month or month/day"
    return ""


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def parse_when(text: str, timezone: str, now: datetime) -> datetime:
    """Read a time in the coalition's zone: ISO (`2026-12-01 18:00`) or a natural phrase.

    Returns an aware datetime in that zone. Refuses, with the reading it would have used,
    a time that is ambiguous: no time of day (`friday`), day/month order (`3/4 18:00`),
    or a wall-clock time that happens twice when DST ends. Whether a past time is
    acceptable is the caller's rule.
    """
    zone = ZoneInfo(timezone)
    naive, exact = _read(text, zone, now)
    naive = _next_weekday(text, naive, zone, now,
                          lambda at: format_local(at.replace(tzinfo=zone), timezone))
    aware = _localize(_in_range(naive, text), zone, text)
    why = "" if exact else _ambiguity(text, naive, zone)
    if why:
        raise UsageError(
            f"`{text}` is ambiguous: {why}. I would have read it as "
            f"{format_local(aware, timezone)}.",
            hint="Say exactly, for example 2026-12-01 18:00 or tomorrow 6pm.")
    return aware


def parse_date(text: str, timezone: str, now: datetime) -> date:
    """Read a calendar date (`2026-12-01`, `dec 1`, `friday`) in the coalition's zone."""
    clash = _day_month_clash(text.lower())
    if clash:
        raise UsageError(f"`{text}` is ambiguous: {clash}.", hint="Write the date as 2026-12-01.")
    zone = ZoneInfo(timezone)
    naive = _next_weekday(text, _read(text, zone, now)[0], zone, now,
                          lambda at: f"{at:%a} {at.day} {at:%b %Y}")
    return _in_range(naive, text).date()


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
