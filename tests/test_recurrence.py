"""Recurring meetings in wall-clock time (rules/recurrence.py) and uneven workloads
(rules/workload.py): pure functions, no database.

The DST changes used: America/New_York springs forward on Sun 8 March 2026 and falls back
on Sun 1 November 2026; Europe/Berlin on Sun 29 March and Sun 25 October 2026.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coalition_bot.errors import UsageError
from coalition_bot.model import Meeting
from coalition_bot.rules.recurrence import (
    describe,
    expand,
    impossible,
    local_key,
    localize,
    occurrences,
    parse_key,
    rule_for,
)
from coalition_bot.rules.workload import idle, overloaded

NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def meeting(start: datetime, rule: str | None = "FREQ=WEEKLY", *, timezone: str = NEW_YORK,
            until: datetime | None = None, cancelled: bool = False) -> Meeting:
    return Meeting(id=1, coalition_id=1, number=1, title="Strategy call", timezone=timezone,
                   start_local=start, rrule=rule, until_local=until, duration_min=60,
                   location="", remind_min=(1440, 60), cancelled=cancelled)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def zoned(starts: list[datetime], timezone: str) -> list[datetime]:
    return [localize(naive, timezone) for naive in starts]


def all_of(start: datetime, rule: str | None, timezone: str, *,
           until: datetime | None = None) -> list[datetime]:
    return list(occurrences(start, rule, until, timezone, *EVER))


# --- rule_for ---------------------------------------------------------------------------


@pytest.mark.parametrize(("every", "expected"), [
    ("weekly", "FREQ=WEEKLY"),
    ("Weekly ", "FREQ=WEEKLY"),
    ("biweekly", "FREQ=WEEKLY;INTERVAL=2"),
    ("BIWEEKLY", "FREQ=WEEKLY;INTERVAL=2"),
])
def test_rule_for_reads_the_weekly_words(every: str, expected: str) -> None:
    assert rule_for(every, datetime(2026, 12, 8, 18, 0)) == expected


@pytest.mark.parametrize(("start", "expected"), [
    (datetime(2026, 12, 1, 18, 0), "FREQ=MONTHLY;BYDAY=+1TU"),   # 1st Tuesday
    (datetime(2026, 12, 8, 18, 0), "FREQ=MONTHLY;BYDAY=+2TU"),   # 2nd Tuesday
    (datetime(2026, 12, 17, 9, 30), "FREQ=MONTHLY;BYDAY=+3TH"),  # 3rd Thursday
    (datetime(2026, 12, 28, 18, 0), "FREQ=MONTHLY;BYDAY=+4MO"),  # 4th Monday
    (datetime(2026, 12, 29, 18, 0), "FREQ=MONTHLY;BYDAY=-1TU"),  # the 29th: last Tuesday
    (datetime(2026, 12, 30, 18, 0), "FREQ=MONTHLY;BYDAY=-1WE"),  # the 30th: last Wednesday
    (datetime(2026, 12, 31, 18, 0), "FREQ=MONTHLY;BYDAY=-1TH"),  # the 31st: last Thursday
])
def test_monthly_keeps_the_same_weekday_of_the_month(start: datetime, expected: str) -> None:
    assert rule_for("monthly", start) == expected


def test_a_monthly_series_on_the_2nd_tuesday_meets_on_every_2nd_tuesday() -> None:
    start = datetime(2026, 12, 8, 18, 0)
    found = all_of(start, rule_for("monthly", start), NEW_YORK)[:5]
    assert found == [datetime(2026, 12, 8, 18, 0), datetime(2027, 1, 12, 18, 0),
                     datetime(2027, 2, 9, 18, 0), datetime(2027, 3, 9, 18, 0),
                     datetime(2027, 4, 13, 18, 0)]


def test_a_monthly_series_started_on_the_29th_meets_on_the_last_such_weekday() -> None:
    start = datetime(2026, 12, 29, 18, 0)  # the 5th (and last) Tuesday of December
    found = all_of(start, rule_for("monthly", start), NEW_YORK)[:4]
    # January, February and March 2027 have no 5th Tuesday: the last one each time
    assert found == [datetime(2026, 12, 29, 18, 0), datetime(2027, 1, 26, 18, 0),
                     datetime(2027, 2, 23, 18, 0), datetime(2027, 3, 30, 18, 0)]


@pytest.mark.parametrize("text", [
    "FREQ=WEEKLY;BYDAY=TU,TH",
    "RRULE:FREQ=WEEKLY;BYDAY=TU,TH",
    "rrule:freq=weekly;byday=tu,th",
    "  RRULE:FREQ=WEEKLY;BYDAY=TU,TH ",
])
def test_an_rrule_is_accepted_with_or_without_its_prefix(text: str) -> None:
    start = datetime(2026, 12, 1, 18, 0)
    rule = rule_for(text, start)
    assert rule == "FREQ=WEEKLY;BYDAY=TU,TH"
    assert all_of(start, rule, NEW_YORK)[:4] == [
        datetime(2026, 12, 1, 18, 0), datetime(2026, 12, 3, 18, 0),
        datetime(2026, 12, 8, 18, 0), datetime(2026, 12, 10, 18, 0)]


@pytest.mark.parametrize("text", ["hello", "FREQ=FORTNIGHTLY", "FREQ=WEEKLY;BYDAY=XX",
                                  "every other week", "FREQ=WEEKLY;INTERVAL=two", ""])
def test_garbage_is_not_a_recurrence(text: str) -> None:
    with pytest.raises(UsageError) as info:
        rule_for(text, datetime(2026, 12, 1, 18, 0))
    assert info.value.message.startswith(f"`{text}` is not a recurrence I can read")
    assert "FREQ=WEEKLY;BYDAY=TU,TH" in info.value.hint


@pytest.mark.parametrize("text", ["RRULE:FREQ=WEEKLY\nRRULE:FREQ=DAILY",
                                  "EXDATE:20261201T180000"])
def test_only_a_single_rrule_is_accepted(text: str) -> None:
    with pytest.raises(UsageError, match="must be a single RRULE"):
        rule_for(text, datetime(2026, 12, 1, 18, 0))


@pytest.mark.parametrize("text", ["FREQ=WEEKLY;COUNT=10", "RRULE:FREQ=WEEKLY;count=3",
                                  "FREQ=MONTHLY;BYDAY=+1TU;UNTIL=20270601T000000"])
def test_the_end_of_a_series_does_not_go_inside_the_rrule(text: str) -> None:
    with pytest.raises(UsageError) as info:
        rule_for(text, datetime(2026, 12, 1, 18, 0))
    assert info.value.message == ("Give the end of a series with until:DATE, not inside "
                                  "the RRULE.")


def test_an_rrule_until_in_utc_is_refused_too() -> None:
    with pytest.raises(UsageError):
        rule_for("FREQ=WEEKLY;UNTIL=20270601T000000Z", datetime(2026, 12, 1, 18, 0))


# --- occurrences across daylight-saving changes -------------------------------------------


@pytest.mark.parametrize(("timezone", "before", "after", "utc_hours"), [
    # New York: EST is UTC-5, EDT UTC-4
    (NEW_YORK, datetime(2026, 3, 3, 18, 0), datetime(2026, 3, 10, 18, 0), (23, 22)),
    (NEW_YORK, datetime(2026, 10, 27, 18, 0), datetime(2026, 11, 3, 18, 0), (22, 23)),
    # the Sunday of the change itself
    (NEW_YORK, datetime(2026, 3, 1, 18, 0), datetime(2026, 3, 8, 18, 0), (23, 22)),
    (NEW_YORK, datetime(2026, 10, 25, 18, 0), datetime(2026, 11, 1, 18, 0), (22, 23)),
    # Berlin: CET is UTC+1, CEST UTC+2
    (BERLIN, datetime(2026, 3, 24, 18, 0), datetime(2026, 3, 31, 18, 0), (17, 16)),
    (BERLIN, datetime(2026, 10, 20, 18, 0), datetime(2026, 10, 27, 18, 0), (16, 17)),
    (BERLIN, datetime(2026, 3, 22, 18, 0), datetime(2026, 3, 29, 18, 0), (17, 16)),
    (BERLIN, datetime(2026, 10, 18, 18, 0), datetime(2026, 10, 25, 18, 0), (16, 17)),
])
def test_a_weekly_1800_meeting_stays_at_1800_local_across_a_dst_change(
        timezone: str, before: datetime, after: datetime, utc_hours: tuple[int, int]) -> None:
    start = before - timedelta(weeks=2)
    window = (localize(before, timezone) - timedelta(hours=1),
              localize(after, timezone) + timedelta(hours=1))
    found = list(occurrences(start, "FREQ=WEEKLY", None, timezone, *window))
    assert found == [before, after]
    first, second = zoned(found, timezone)
    assert (first.hour, second.hour) == (18, 18)
    assert (first.astimezone(UTC).hour, second.astimezone(UTC).hour) == utc_hours
    # a week apart on the calendar, but an hour more or less than 168 hours apart
    elapsed = second.astimezone(UTC) - first.astimezone(UTC)
    assert abs(elapsed - timedelta(weeks=1)) == timedelta(hours=1)


@pytest.mark.parametrize(("timezone", "utc_hours"), [
    (NEW_YORK, [23, 23, 22, 22, 22, 22, 22, 22, 22, 22, 23, 23]),
    (BERLIN, [17, 17, 17, 16, 16, 16, 16, 16, 16, 16, 17, 17]),
])
def test_a_monthly_1800_meeting_stays_at_1800_local_through_the_year(
        timezone: str, utc_hours: list[int]) -> None:
    start = datetime(2026, 1, 13, 18, 0)  # the 2nd Tuesday of January
    rule = rule_for("monthly", start)
    found = list(occurrences(start, rule, None, timezone, utc(2026, 1, 1),
                             utc(2027, 1, 1)))
    assert [(d.month, d.weekday(), (d.day - 1) // 7 + 1) for d in found] == [
        (month, 1, 2) for month in range(1, 13)]
    aware = zoned(found, timezone)
    assert {(a.hour, a.minute) for a in aware} == {(18, 0)}
    assert [a.astimezone(UTC).hour for a in aware] == utc_hours


def test_the_window_is_in_utc_and_half_open() -> None:
    start = datetime(2026, 12, 1, 18, 0)  # 23:00 UTC
    assert list(occurrences(start, "FREQ=WEEKLY", None, NEW_YORK, utc(2026, 12, 1, 23),
                            utc(2026, 12, 8, 23))) == [start]
    assert list(occurrences(start, "FREQ=WEEKLY", None, NEW_YORK, utc(2026, 12, 1, 23, 1),
                            utc(2026, 12, 8, 23, 1))) == [datetime(2026, 12, 8, 18, 0)]


def test_a_single_meeting_has_one_occurrence() -> None:
    start = datetime(2026, 12, 1, 18, 0)
    assert all_of(start, None, BERLIN) == [start]
    assert list(occurrences(start, None, None, BERLIN, utc(2026, 12, 2),
                            utc(2027, 1, 1))) == []


def test_until_ends_a_series_after_the_last_meeting_on_that_date() -> None:
    start = datetime(2026, 12, 1, 18, 0)
    until = datetime(2026, 12, 15, 23, 59)
    assert all_of(start, "FREQ=WEEKLY", NEW_YORK, until=until) == [
        datetime(2026, 12, 1, 18, 0), datetime(2026, 12, 8, 18, 0),
        datetime(2026, 12, 15, 18, 0)]
    assert all_of(start, "FREQ=WEEKLY;INTERVAL=2", NEW_YORK, until=until) == [
        datetime(2026, 12, 1, 18, 0), datetime(2026, 12, 15, 18, 0)]


# --- expand: cancelled and moved occurrences -----------------------------------------------


def test_expand_leaves_out_cancelled_occurrences() -> None:
    m = meeting(datetime(2026, 12, 1, 18, 0))
    changed = {"2026-12-08T18:00": (True, "")}
    found = expand(m, changed, utc(2026, 11, 30), utc(2026, 12, 23))
    assert [o.key for o in found] == ["2026-12-01T18:00", "2026-12-15T18:00",
                                      "2026-12-22T18:00"]
    assert not any(o.cancelled for o in found)


def test_expand_with_cancelled_includes_them_flagged() -> None:
    m = meeting(datetime(2026, 12, 1, 18, 0))
    changed = {"2026-12-08T18:00": (True, "")}
    found = expand(m, changed, utc(2026, 11, 30), utc(2026, 12, 23), with_cancelled=True)
    assert [(o.key, o.cancelled) for o in found] == [
        ("2026-12-01T18:00", False), ("2026-12-08T18:00", True),
        ("2026-12-15T18:00", False), ("2026-12-22T18:00", False)]


def test_a_moved_occurrence_appears_at_its_new_time_under_its_original_key() -> None:
    m = meeting(datetime(2026, 12, 1, 18, 0))
    changed = {"2026-12-08T18:00": (False, "2026-12-10T19:30")}
    found = expand(m, changed, utc(2026, 11, 30), utc(2026, 12, 23))
    assert [(o.key, o.start) for o in found] == [
        ("2026-12-01T18:00", localize(datetime(2026, 12, 1, 18, 0), NEW_YORK)),
        ("2026-12-08T18:00", localize(datetime(2026, 12, 10, 19, 30), NEW_YORK)),
        ("2026-12-15T18:00", localize(datetime(2026, 12, 15, 18, 0), NEW_YORK)),
        ("2026-12-22T18:00", localize(datetime(2026, 12, 22, 18, 0), NEW_YORK)),
    ]
    assert found[1].end == localize(datetime(2026, 12, 10, 20, 30), NEW_YORK)


def test_a_moved_occurrence_is_sorted_by_its_new_time_and_window_checked_there() -> None:
    m = meeting(datetime(2026, 12, 1, 18, 0))
    # the 8 December meeting moves before the 1 December one; the 15th moves out of range
    changed = {"2026-12-08T18:00": (False, "2026-11-30T12:00"),
               "2026-12-15T18:00": (False, "2027-01-20T18:00")}
    found = expand(m, changed, utc(2026, 11, 30), utc(2026, 12, 20))
    assert [(o.key, local_key(o.start.replace(tzinfo=None))) for o in found] == [
        ("2026-12-08T18:00", "2026-11-30T12:00"), ("2026-12-01T18:00", "2026-12-01T18:00")]
    # an occurrence moved into the window from outside it shows up
    later = expand(m, changed, utc(2027, 1, 20), utc(2027, 1, 21))
    assert [(o.key, o.start.hour) for o in later] == [("2026-12-15T18:00", 18)]


def test_a_moved_then_cancelled_occurrence_is_gone_from_both_places() -> None:
    m = meeting(datetime(2026, 12, 1, 18, 0))
    changed = {"2026-12-08T18:00": (True, "2026-12-10T19:30")}
    found = expand(m, changed, utc(2026, 11, 30), utc(2026, 12, 14))
    assert [o.key for o in found] == ["2026-12-01T18:00"]
    flagged = expand(m, changed, utc(2026, 11, 30), utc(2026, 12, 14), with_cancelled=True)
    assert [(o.key, o.start.day, o.cancelled) for o in flagged] == [
        ("2026-12-01T18:00", 1, False), ("2026-12-08T18:00", 10, True)]


def test_a_cancelled_meeting_has_no_occurrences_unless_asked() -> None:
    m = meeting(datetime(2026, 12, 1, 18, 0), cancelled=True)
    assert expand(m, {}, utc(2026, 11, 30), utc(2026, 12, 14)) == []
    found = expand(m, {}, utc(2026, 11, 30), utc(2026, 12, 14), with_cancelled=True)
    assert [(o.key, o.cancelled) for o in found] == [("2026-12-01T18:00", True),
                                                     ("2026-12-08T18:00", True)]


def test_expand_gives_zoned_starts_across_a_dst_change() -> None:
    m = meeting(datetime(2026, 10, 20, 18, 0), timezone=BERLIN)
    found = expand(m, {}, utc(2026, 10, 19), utc(2026, 11, 1))
    assert [(o.key, o.start.utcoffset()) for o in found] == [
        ("2026-10-20T18:00", timedelta(hours=2)), ("2026-10-27T18:00", timedelta(hours=1))]
    assert [o.start.astimezone(UTC).hour for o in found] == [16, 17]


def test_occurrence_keys_round_trip() -> None:
    naive = datetime(2026, 12, 1, 18, 0)
    assert local_key(naive) == "2026-12-01T18:00"
    assert parse_key("2026-12-01T18:00") == naive


# --- describe -------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "words"), [
    (None, "once"),
    ("FREQ=WEEKLY", "every week"),
    ("FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
    ("FREQ=DAILY", "every day"),
    ("FREQ=MONTHLY;INTERVAL=3", "every 3 months"),
    ("FREQ=MONTHLY;BYDAY=+2TU", "every month on the 2nd Tuesday"),
    ("FREQ=MONTHLY;BYDAY=+1MO", "every month on the 1st Monday"),
    ("FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday"),
    ("FREQ=WEEKLY;BYDAY=TU,TH", "RRULE FREQ=WEEKLY;BYDAY=TU,TH"),
    ("FREQ=YEARLY", "RRULE FREQ=YEARLY"),
])
def test_describe_puts_a_rule_in_words(rule: str | None, words: str) -> None:
    assert describe(rule) == words


def test_describe_reads_what_rule_for_writes() -> None:
    start = datetime(2026, 12, 29, 18, 0)
    assert describe(rule_for("monthly", start)) == "every month on the last Tuesday"
    assert describe(rule_for("biweekly", start)) == "every 2 weeks"


# --- workload -------------------------------------------------------------------------


def test_one_person_carrying_more_than_twice_the_median_is_overloaded() -> None:
    loads = {"ann": 1, "ben": 1, "cat": 1, "dov": 1, "eli": 1, "fay": 6}
    assert overloaded(loads) == {"fay"}


def test_exactly_twice_the_median_is_not_overloaded() -> None:
    assert overloaded({"ann": 2, "ben": 1, "cat": 1}) == set()
    assert overloaded({"ann": 3, "ben": 1, "cat": 1}) == {"ann"}


def test_the_median_counts_only_those_who_carry_something() -> None:
    # with the zeros counted the median would be 0 and both would be flagged
    loads = {"a": 0, "b": 0, "c": 0, "d": 0, "e": 0, "f": 1, "g": 3}
    assert overloaded(loads) == set()
    assert overloaded({"a": 0, "b": 0, "f": 1, "g": 1, "h": 5}) == {"h"}


@pytest.mark.parametrize("loads", [{}, {"ann": 0}, {"ann": 10}, {"ann": 10, "ben": 0,
                                                                 "cat": 0}])
def test_fewer_than_two_carrying_flags_nobody(loads: dict[str, int]) -> None:
    assert overloaded(loads) == set()


def test_idle_is_everyone_carrying_nothing() -> None:
    assert idle({"ann": 0, "ben": 2, "cat": 0}) == {"ann", "cat"}
    assert idle({"ann": 1}) == set()
    assert idle({}) == set()


# --- property: weekly wall-clock time ---------------------------------------------------


def _exists(naive: datetime, timezone: str) -> bool:
    zone = ZoneInfo(timezone)
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(
        tzinfo=None) == naive


@settings(max_examples=150, deadline=None)
@example(timezone=NEW_YORK, start=datetime(2026, 3, 1, 2, 30), every="weekly")  # gap
@example(timezone=NEW_YORK, start=datetime(2026, 10, 25, 1, 30), every="weekly")  # fold
@example(timezone=BERLIN, start=datetime(2027, 10, 17, 2, 15), every="biweekly")  # fold
@given(timezone=st.sampled_from([NEW_YORK, BERLIN]),
       start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
       every=st.sampled_from(["weekly", "biweekly"]))
def test_every_weekly_occurrence_keeps_the_starts_wall_clock_time(
        timezone: str, start: datetime, every: str) -> None:
    start = start.replace(second=0, microsecond=0)
    if not _exists(start, timezone):
        return  # a start the clocks skip is refused before it gets here
    rule = rule_for(every, start)
    found = list(occurrences(start, rule, None, timezone, localize(start, timezone),
                             localize(start, timezone) + timedelta(days=400)))
    step = timedelta(weeks=1 if every == "weekly" else 2)
    assert found[0] == start
    assert all(b - a == step for a, b in pairwise(found))
    assert len(found) >= 400 // (7 if every == "weekly" else 14)
    offsets = set()
    for naive in found:
        aware = localize(naive, timezone)
        assert aware.tzinfo is not None
        wall = aware.astimezone(UTC).astimezone(ZoneInfo(timezone))
        offsets.add(wall.utcoffset())
        if _exists(naive, timezone):
            assert (wall.weekday(), wall.hour, wall.minute) == (
                start.weekday(), start.hour, start.minute)
        else:  # an occurrence in the spring-forward gap lands an hour later, as documented
            assert wall.replace(tzinfo=None) == naive + timedelta(hours=1)
    # 400 days always cross a daylight-saving change: the UTC time is not constant
    assert len(offsets) == 2


@pytest.mark.parametrize("rule", ["FREQ=MONTHLY;BYDAY=+1TU,+3TU", "FREQ=MONTHLY;BYDAY=MO,FR"])
def test_describe_falls_back_to_the_rrule_for_several_monthly_weekdays(rule: str) -> None:
    assert rule_for(rule, datetime(2026, 12, 7, 18, 0)) == rule  # accepted as a recurrence
    assert describe(rule) == f"RRULE {rule}"


@settings(max_examples=300, deadline=None)
@given(rule=st.sampled_from(["FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=DAILY",
                             "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;INTERVAL=5"]),
       start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31)),
       until_days=st.none() | st.integers(min_value=0, max_value=900),
       window_days=st.integers(min_value=-60, max_value=1200),
       width_hours=st.integers(min_value=1, max_value=24 * 40))
def test_every_n_days_or_weeks_gives_what_dateutil_gives(
        rule: str, start: datetime, until_days: int | None, window_days: int,
        width_hours: int) -> None:
    # computed directly, not by walking dateutil's rrule from the first meeting
    start = start.replace(second=0, microsecond=0)
    until = None if until_days is None else start + timedelta(days=until_days, hours=5)
    after = localize(start + timedelta(days=window_days), BERLIN)
    before = after + timedelta(hours=width_hours)
    text = rule if until is None else f"{rule};UNTIL={until:%Y%m%dT%H%M%S}"
    zone = ZoneInfo(BERLIN)
    lo = after.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    hi = before.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    expected = [n for n in rrulestr(text, dtstart=start).between(lo, hi, inc=True)
                if after <= localize(n, BERLIN) < before]
    assert list(occurrences(start, rule, until, BERLIN, after, before)) == expected


# --- rules that never happen --------------------------------------------------------------

NEVER = [
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYMONTH=4,6,9,11;BYMONTHDAY=31",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-30",
    "FREQ=DAILY;BYMONTHDAY=-30;BYMONTH=2",
    "FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15",
    "FREQ=MONTHLY;BYDAY=6TU",
    "FREQ=YEARLY;BYMONTH=2",  # takes its day, the 30th, from the first meeting
]


@pytest.mark.parametrize("rule", NEVER)
def test_a_rule_that_never_happens_is_named_without_expanding_it(rule: str) -> None:
    assert impossible(rule, datetime(2026, 12, 30, 18, 0))


@pytest.mark.parametrize("rule", ["FREQ=MONTHLY;BYMONTHDAY=31", "FREQ=YEARLY;BYMONTH=2;"
                                  "BYMONTHDAY=29", "FREQ=MONTHLY;BYDAY=-1FR",
                                  "FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR",
                                  "FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2", "FREQ=WEEKLY"])
def test_a_rule_that_happens_even_rarely_is_not_impossible(rule: str) -> None:
    assert impossible(rule, datetime(2026, 12, 30, 18, 0)) == ""


def test_impossible_rules_are_refused_at_once_with_the_reason() -> None:
    start = datetime(2026, 12, 30, 18, 0)
    began = time.perf_counter()
    for rule in NEVER:
        with pytest.raises(UsageError, match="never happens"):
            rule_for(rule, start)
    # generous: each took seconds of CPU before (dateutil searched up to the year 9999)
    assert time.perf_counter() - began < 0.5
    with pytest.raises(UsageError) as info:
        rule_for("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", start)
    assert "February never has a 30th day" in info.value.message


@pytest.mark.parametrize("rule", ["FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",  # no 6th Monday
                                  "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",  # 2027+4n
                                  "FREQ=DAILY;INTERVAL=7;BYDAY=MO"])  # from a Wednesday
def test_rules_only_expansion_shows_empty_are_refused_within_a_bounded_search(
        rule: str) -> None:
    began = time.perf_counter()
    with pytest.raises(UsageError, match="gives no meeting in the 400 days"):
        rule_for(rule, datetime(2027, 1, 6, 18, 0))
    assert time.perf_counter() - began < 0.5


@pytest.mark.parametrize("rule", ["FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1",
                                  "FREQ=YEARLY;BYWEEKNO=53;BYMONTH=1", "FREQ=YEARLY;BYEASTER=0"])
def test_year_day_week_number_and_easter_rules_are_not_for_meetings(rule: str) -> None:
    with pytest.raises(UsageError, match="which meetings do not support"):
        rule_for(rule, datetime(2026, 12, 1, 18, 0))


def test_a_stored_rule_that_never_happens_expands_to_nothing_at_once() -> None:
    began = time.perf_counter()
    found = all_of(datetime(2026, 12, 1, 18, 0), "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
                   NEW_YORK)
    assert found == []
    assert time.perf_counter() - began < 0.5


def test_expansion_far_from_the_year_9999_matches_dateutil() -> None:
    """The 400-year shift that bounds the search gives dateutil's own dates."""
    start = datetime(2027, 1, 29, 18, 0)
    for rule in ("FREQ=MONTHLY;BYDAY=-1FR", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
                 "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=29,31", "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO"):
        expected = rrulestr(rule, dtstart=start).between(datetime(2027, 1, 1),
                                                         datetime(2060, 1, 1))
        assert len(expected) >= 8
        assert list(occurrences(start, rule, None, "UTC", utc(2027, 1, 1),
                                utc(2060, 1, 1))) == expected
