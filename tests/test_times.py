"""Reading and showing times (coalition_bot/rules/times.py), around the DST changes of 2026."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coalition_bot.errors import UsageError
from coalition_bot.rules.times import (
    format_local,
    format_span,
    parse_date,
    parse_duration,
    parse_when,
)

NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
# Wednesday 25 November 2026: 10:00 in New York, 16:00 in Berlin.
WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def _local(when: datetime) -> tuple[str, str]:
    """The wall-clock reading and the UTC offset of an aware datetime."""
    return when.strftime("%Y-%m-%d %H:%M"), when.strftime("%z")


# --- parse_duration ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("90m", timedelta(minutes=90)),
    ("1h30m", timedelta(hours=1, minutes=30)),
    ("2h", timedelta(hours=2)),
    ("1d", timedelta(days=1)),
    ("1w", timedelta(weeks=1)),
    ("2H", timedelta(hours=2)),
    (" 1 h 30 m ", timedelta(hours=1, minutes=30)),
    ("1h, 30m", timedelta(hours=1, minutes=30)),
    ("1d12h", timedelta(days=1, hours=12)),
])
def test_parse_duration_reads_short_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2 weeks", timedelta(weeks=2)),
    ("2 days", timedelta(days=2)),
    ("3 hours", timedelta(hours=3)),
    ("10 min", timedelta(minutes=10)),
    ("1 hour 30 minutes", timedelta(hours=1, minutes=30)),
])
def test_parse_duration_reads_unit_words(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "5", "m", "1x", "1h abc", "-5m", "1.5h",
                                  "1month", "soon", "h1"])
def test_parse_duration_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_duration(text)
    assert info.value.message == f"`{text}` is not a duration."
    assert "90m" in info.value.hint


@pytest.mark.parametrize("text", ["0m", "0h0m", "0d"])
def test_parse_duration_refuses_zero(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_duration(text)
    assert info.value.message == f"`{text}` is not a positive duration."


def test_parse_duration_accepts_up_to_a_year() -> None:
    assert parse_duration("366d") == timedelta(days=366)
    assert parse_duration("52w") == timedelta(weeks=52)


@pytest.mark.parametrize("text", ["367d", "53w", "1000000000d", "200000000w",
                                  "99999999999999999999m"])
def test_parse_duration_refuses_durations_over_a_year(text: str) -> None:
    # Was a bug: a huge count overflowed timedelta and OverflowError escaped.
    with pytest.raises(UsageError) as info:
        parse_duration(text)
    assert info.value.message == f"`{text}` is too long: at most 366 days."


def test_parse_duration_refuses_a_count_too_long_to_convert() -> None:
    with pytest.raises(UsageError):
        parse_duration("9" * 5000 + "m")


# --- parse_when: ISO --------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "offset"), [(NEW_YORK, "-0500"), (BERLIN, "+0100")])
def test_iso_time_is_read_in_the_coalition_zone(zone: str, offset: str) -> None:
    when = parse_when("2026-12-01 18:00", zone, WEDNESDAY)
    assert _local(when) == ("2026-12-01 18:00", offset)
    assert str(when.tzinfo) == zone


def test_iso_time_with_t_separator_and_one_digit_hour() -> None:
    assert _local(parse_when("2026-12-01T9:05", NEW_YORK, WEDNESDAY)) == (
        "2026-12-01 09:05", "-0500")


def test_iso_time_in_summer_uses_summer_offset() -> None:
    assert _local(parse_when("2026-07-01 12:00", BERLIN, WEDNESDAY)) == (
        "2026-07-01 12:00", "+0200")
    assert _local(parse_when("2026-07-01 12:00", NEW_YORK, WEDNESDAY)) == (
        "2026-07-01 12:00", "-0400")


def test_iso_time_is_the_same_instant_whatever_now_is() -> None:
    later = WEDNESDAY + timedelta(days=400)
    assert parse_when("2026-12-01 18:00", BERLIN, WEDNESDAY) == parse_when(
        "2026-12-01 18:00", BERLIN, later)
    assert parse_when("2026-12-01 18:00", BERLIN, WEDNESDAY).astimezone(UTC) == datetime(
        2026, 12, 1, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "why"), [
    ("2026-02-30 10:00", "day is out of range for month"),
    ("2026-12-01 25:00", "hour must be in 0..23"),
    ("2026-13-01 10:00", "month must be in 1..12"),
])
def test_iso_text_that_is_no_real_date_is_refused(text: str, why: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_when(text, NEW_YORK, WEDNESDAY)
    assert info.value.message == f"`{text}` is not a real date or time ({why})."


# --- parse_when: daylight saving 2026 ----------------------------------------------------


@pytest.mark.parametrize(("text", "zone"), [
    ("2026-03-08 02:30", NEW_YORK),  # US clocks jump 02:00 -> 03:00
    ("2026-03-08 02:00", NEW_YORK),
    ("2026-03-29 02:30", BERLIN),  # EU clocks jump 02:00 -> 03:00
    ("2026-03-29 02:59", BERLIN),
])
def test_time_skipped_by_spring_forward_is_refused(text: str, zone: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_when(text, zone, WEDNESDAY)
    assert info.value.message == (
        f"{text} does not exist in {zone}: the clocks skip it for daylight saving "
        f"(read from `{text}`).")
    assert "an hour earlier or later" in info.value.hint


@pytest.mark.parametrize(("text", "zone", "local"), [
    ("2026-03-08 01:59", NEW_YORK, ("2026-03-08 01:59", "-0500")),
    ("2026-03-08 03:00", NEW_YORK, ("2026-03-08 03:00", "-0400")),
    ("2026-03-29 01:59", BERLIN, ("2026-03-29 01:59", "+0100")),
    ("2026-03-29 03:00", BERLIN, ("2026-03-29 03:00", "+0200")),
])
def test_times_around_the_spring_forward_gap_are_accepted(
        text: str, zone: str, local: tuple[str, str]) -> None:
    assert _local(parse_when(text, zone, WEDNESDAY)) == local


def test_spring_forward_gap_is_zone_specific() -> None:
    # 29 March 02:30 is skipped in Berlin but exists in New York (already on summer time).
    assert _local(parse_when("2026-03-29 02:30", NEW_YORK, WEDNESDAY)) == (
        "2026-03-29 02:30", "-0400")
    assert _local(parse_when("2026-03-08 02:30", BERLIN, WEDNESDAY)) == (
        "2026-03-08 02:30", "+0100")


@pytest.mark.parametrize(("text", "zone", "first_utc"), [
    ("2026-11-01 01:30", NEW_YORK, datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    ("2026-10-25 02:30", BERLIN, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
])
def test_time_repeated_by_fall_back_is_refused_as_ambiguous(
        text: str, zone: str, first_utc: datetime) -> None:
    # parse_when's docstring: "Refuses ... a wall-clock time that happens twice when DST
    # ends" (the module docstring still says the first, fold=0, reading is taken).
    with pytest.raises(UsageError) as info:
        parse_when(text, zone, WEDNESDAY)
    hhmm = text[-5:]
    assert f"{hhmm} happens twice that night in {zone}" in info.value.message
    assert format_local(first_utc, zone) in info.value.message  # the fold=0 reading


@pytest.mark.parametrize(("text", "zone", "local"), [
    ("2026-11-01 00:59", NEW_YORK, ("2026-11-01 00:59", "-0400")),
    ("2026-11-01 02:00", NEW_YORK, ("2026-11-01 02:00", "-0500")),
    ("2026-10-25 01:59", BERLIN, ("2026-10-25 01:59", "+0200")),
    ("2026-10-25 03:00", BERLIN, ("2026-10-25 03:00", "+0100")),
])
def test_times_around_the_fall_back_hour_are_accepted(
        text: str, zone: str, local: tuple[str, str]) -> None:
    when = parse_when(text, zone, WEDNESDAY)
    assert _local(when) == local
    assert when.fold == 0


def test_fall_back_hour_is_zone_specific() -> None:
    # Berlin's repeated hour (25 Oct) is an ordinary summer hour in New York, and back.
    assert _local(parse_when("2026-10-25 02:30", NEW_YORK, WEDNESDAY)) == (
        "2026-10-25 02:30", "-0400")
    assert _local(parse_when("2026-11-01 01:30", BERLIN, WEDNESDAY)) == (
        "2026-11-01 01:30", "+0100")


def test_natural_phrase_landing_in_the_spring_gap_is_refused() -> None:
    saturday = datetime(2026, 3, 7, 17, 0, tzinfo=UTC)  # 12:00 in New York
    with pytest.raises(UsageError, match="daylight saving") as info:
        parse_when("tomorrow 2:30am", NEW_YORK, saturday)
    assert "2026-03-08 02:30 does not exist in America/New_York" in info.value.message
    assert _local(parse_when("tomorrow 3:30am", NEW_YORK, saturday)) == (
        "2026-03-08 03:30", "-0400")


# --- parse_when: natural phrases ---------------------------------------------------------


@pytest.mark.parametrize(("text", "zone", "local"), [
    ("tomorrow 6pm", NEW_YORK, ("2026-11-26 18:00", "-0500")),
    ("tomorrow 6pm", BERLIN, ("2026-11-26 18:00", "+0100")),
    ("tuesday 18:00", NEW_YORK, ("2026-12-01 18:00", "-0500")),
    ("tuesday 18:00", BERLIN, ("2026-12-01 18:00", "+0100")),
    ("next wednesday 18:00", NEW_YORK, ("2026-12-02 18:00", "-0500")),  # said on a Wednesday
    ("in 3 days", NEW_YORK, ("2026-11-28 10:00", "-0500")),
    ("in 3 days", BERLIN, ("2026-11-28 16:00", "+0100")),
    ("in 2 hours", NEW_YORK, ("2026-11-25 12:00", "-0500")),
    ("noon tomorrow", BERLIN, ("2026-11-26 12:00", "+0100")),
    ("  tomorrow   6pm ", NEW_YORK, ("2026-11-26 18:00", "-0500")),
])
def test_natural_phrases_are_read_relative_to_now_in_the_zone(
        text: str, zone: str, local: tuple[str, str]) -> None:
    assert _local(parse_when(text, zone, WEDNESDAY)) == local


_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.mark.parametrize("today", range(7))
@pytest.mark.parametrize("named", range(7))
def test_next_weekday_is_read_the_same_way_whatever_the_day(today: int, named: int) -> None:
    """`next thursday` on a Tuesday could be in 2 days or in 9: refused with both. On a
    Thursday it can only be a week on. No weekday is special."""
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC) + timedelta(days=today)  # a Monday on
    ahead = (named - today) % 7 or 7
    coming = now.date() + timedelta(days=ahead)
    if ahead == 7:
        assert parse_when(f"next {_DAYS[named]} 18:00", NEW_YORK, now).date() == coming
        assert parse_date(f"next {_DAYS[named]}", NEW_YORK, now) == coming
        return
    later = coming + timedelta(days=7)
    for text in (f"next {_DAYS[named]} 18:00", f"Next {_DAYS[named].title()} 6pm"):
        with pytest.raises(UsageError) as info:
            parse_when(text, NEW_YORK, now)
        message = info.value.message
        assert f"{coming:%a} {coming.day} {coming:%b %Y}, 18:00" in message
        assert f"{later:%a} {later.day} {later:%b %Y}, 18:00" in message
    with pytest.raises(UsageError, match=f"{later:%a} {later.day} {later:%b %Y}"):
        parse_date(f"next {_DAYS[named]}", NEW_YORK, now)
    assert parse_when(f"{_DAYS[named]} 18:00", NEW_YORK, now).date() == coming


def test_natural_phrase_uses_the_local_date_not_the_utc_date() -> None:
    # 03:00 UTC on Thursday is still Wednesday evening in New York.
    late = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert _local(parse_when("tomorrow 6pm", NEW_YORK, late)) == ("2026-11-26 18:00", "-0500")
    assert _local(parse_when("tomorrow 6pm", BERLIN, late)) == ("2026-11-27 18:00", "+0100")


def test_natural_phrase_drops_seconds() -> None:
    now = datetime(2026, 11, 25, 15, 0, 42, 123456, tzinfo=UTC)
    when = parse_when("in 2 hours", NEW_YORK, now)
    assert (when.second, when.microsecond) == (0, 0)


@pytest.mark.parametrize("text", ["asdkjh qwe", "xyzzy", "!!!", "the heat death"])
def test_garbage_text_is_refused_with_examples(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_when(text, NEW_YORK, WEDNESDAY)
    assert info.value.message == f"I can't read `{text}` as a time."
    assert "tomorrow 6pm" in info.value.hint


@pytest.mark.parametrize("text", ["tomorrow", "tuesday", "2026-12-01"])
def test_day_without_a_time_of_day_is_refused_as_ambiguous(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_when(text, NEW_YORK, WEDNESDAY)
    assert info.value.message.startswith(f"`{text}` is ambiguous: it gives no time of day.")


def test_day_month_order_clash_is_refused_as_ambiguous() -> None:
    with pytest.raises(UsageError) as info:
        parse_when("3/4 18:00", BERLIN, WEDNESDAY)
    assert "`3/4` could be day/month or month/day" in info.value.message


def test_year_first_date_with_a_day_over_12_is_read() -> None:
    assert _local(parse_when("2026/12/13 18:00", BERLIN, WEDNESDAY)) == (
        "2026-12-13 18:00", "+0100")


@pytest.mark.parametrize("text", ["2026/12/01 18:00", "2026.12.01 18:00"])
def test_year_first_date_is_not_ambiguous(text: str) -> None:
    assert _local(parse_when(text, BERLIN, WEDNESDAY)) == ("2026-12-01 18:00", "+0100")


@pytest.mark.parametrize(("text", "instant"), [
    ("2026-12-01 18:00 UTC", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
    ("tomorrow 6pm CET", datetime(2026, 11, 26, 17, 0, tzinfo=UTC)),
])
def test_time_with_an_explicit_zone_is_that_instant(text: str, instant: datetime) -> None:
    # Was a bug: the zone in the text was dropped and the time read in the coalition's zone.
    when = parse_when(text, NEW_YORK, WEDNESDAY)
    assert when.astimezone(UTC) == instant
    assert str(when.tzinfo) == NEW_YORK


# --- format_local and format_span ---------------------------------------------------------


@pytest.mark.parametrize(("when", "zone", "text"), [
    (datetime(2026, 12, 1, 23, 0, tzinfo=UTC), NEW_YORK,
     "Tue 1 Dec 2026, 18:00 (America/New_York)"),
    (datetime(2026, 12, 1, 23, 0, tzinfo=UTC), BERLIN,
     "Wed 2 Dec 2026, 00:00 (Europe/Berlin)"),
    (datetime(2026, 3, 5, 8, 5, tzinfo=UTC), "UTC", "Thu 5 Mar 2026, 08:05 (UTC)"),
    (datetime(2026, 7, 1, 10, 0, tzinfo=UTC), BERLIN, "Wed 1 Jul 2026, 12:00 (Europe/Berlin)"),
])
def test_format_local_shows_the_wall_clock_in_the_zone(
        when: datetime, zone: str, text: str) -> None:
    assert format_local(when, zone) == text


def test_format_local_round_trips_parse_when() -> None:
    when = parse_when("2026-12-01 18:00", BERLIN, WEDNESDAY)
    assert format_local(when, BERLIN) == "Tue 1 Dec 2026, 18:00 (Europe/Berlin)"
    assert format_local(when, NEW_YORK) == "Tue 1 Dec 2026, 12:00 (America/New_York)"


@pytest.mark.parametrize(("span", "text"), [
    (timedelta(seconds=59), "less than a minute"),
    (timedelta(minutes=1), "1 minute"),
    (timedelta(minutes=45), "45 minutes"),
    (timedelta(hours=1), "1 hour"),
    (timedelta(hours=2, minutes=5), "2 hours 5 minutes"),
    (timedelta(days=1), "1 day"),
    (timedelta(days=2, hours=3, minutes=59), "2 days 3 hours"),
])
def test_format_span_reads_like_speech(span: timedelta, text: str) -> None:
    assert format_span(span) == text
