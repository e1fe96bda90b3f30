"""Strategy meetings through the real bot and a real SQLite file: scheduling, occurrences,
RSVPs, agendas, notes, minutes, action items, the calendar file and what is due when.

The clock starts on Monday 23 November 2026, 15:00 UTC: 10:00 in New York.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from helpers import (
    Chat,
    MovableClock,
    field,
    query,
    refused_without_change,
)
from icalendar import Calendar

from coalition_bot.bot import Bot
from coalition_bot.replies import Reply
from coalition_bot.services.meetings import (
    Due,
    actions_due,
    occurrences_between,
    reminders_due,
)
from coalition_bot.store.meetings import find_meeting

NY = "(America/New_York)"


pytestmark = pytest.mark.both_backends

def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)






async def weekly(chat: Chat, title: str = "Call", when: str = "2026-12-01 18:00",
                 extra: str = "") -> Reply:
    return await chat.ok("Alice", f'meeting schedule "{title}" "{when}" every:weekly {extra}')



# --- schedule --------------------------------------------------------------------------


async def test_schedule_reads_an_iso_time_in_the_coalitions_zone(coalition: Chat,
                                                                 db_path: Path) -> None:
    reply = await coalition.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00" '
                                        'every:weekly duration:90m where:"Room 4"')
    assert reply.title == "Meeting #1: Strategy call"
    assert not reply.private
    assert reply.text.splitlines() == [
        f"First: Tue 1 Dec 2026, 18:00 {NY}.",
        "every week; 90 min; at Room 4; reminders 1d, 1h before."]
    assert [(b.label, b.command) for b in reply.buttons] == [
        ("Going", "meeting rsvp 1 yes occurrence:2026-12-01"),
        ("Maybe", "meeting rsvp 1 maybe occurrence:2026-12-01"),
        ("Can't make it", "meeting rsvp 1 no occurrence:2026-12-01")]
    assert query(db_path, "SELECT number, title, timezone, start_local, rrule, until_local,"
                          " duration_min, location, remind_min, cancelled FROM meeting") == [
        (1, "Strategy call", "America/New_York", "2026-12-01T18:00", "FREQ=WEEKLY", None, 90,
         "Room 4", "1440,60", 0)]


@pytest.mark.parametrize(("when", "reading", "stored"), [
    ("tomorrow 6pm", "Tue 24 Nov 2026, 18:00", "2026-11-24T18:00"),
    ("in 3 days", "Thu 26 Nov 2026, 10:00", "2026-11-26T10:00"),
    ("2026-12-01 18:00", "Tue 1 Dec 2026, 18:00", "2026-12-01T18:00"),
])
async def test_schedule_reads_natural_phrases_and_shows_the_reading(
        coalition: Chat, db_path: Path, when: str, reading: str, stored: str) -> None:
    reply = await coalition.ok("Alice", f'meeting schedule Call "{when}"')
    assert reply.text.splitlines()[0] == f"First: {reading} {NY}."
    assert "once; 60 min; reminders 1d, 1h before." in reply.text
    assert query(db_path, "SELECT start_local, rrule FROM meeting") == [(stored, None)]


async def test_next_tuesday_said_on_a_monday_is_refused_with_both_readings(
        coalition: Chat, db_path: Path) -> None:
    message = await refused_without_change(coalition, db_path, "Alice",
                                           'meeting schedule Call "next tuesday 18:00"')
    assert message.splitlines()[0] == (
        "`next tuesday 18:00` is ambiguous: `next tuesday` could mean Tue 24 Nov 2026, "
        f"18:00 {NY} (the coming one) or Tue 1 Dec 2026, 18:00 {NY} (a week later).")
    reply = await coalition.ok("Alice", 'meeting schedule Call "tuesday 18:00"')
    assert reply.text.splitlines()[0] == f"First: Tue 24 Nov 2026, 18:00 {NY}."


async def test_the_same_phrase_reads_in_each_coalitions_own_zone(coalition: Chat,
                                                                 db_path: Path) -> None:
    await coalition.ok("Zed", 'coalition setup "Berliner Bündnis" Europe/Berlin',
                       workspace="berlin")
    here = await coalition.ok("Alice", 'meeting schedule Call "in 3 days"')
    there = await coalition.ok("Zed", 'meeting schedule Call "in 3 days"', workspace="berlin")
    # 15:00 UTC is 10:00 in New York and 16:00 in Berlin
    assert here.text.splitlines()[0] == f"First: Thu 26 Nov 2026, 10:00 {NY}."
    assert there.text.splitlines()[0] == "First: Thu 26 Nov 2026, 16:00 (Europe/Berlin)."
    assert query(db_path, "SELECT timezone, start_local FROM meeting ORDER BY id") == [
        ("America/New_York", "2026-11-26T10:00"), ("Europe/Berlin", "2026-11-26T16:00")]


@pytest.mark.parametrize(("when", "message"), [
    ("friday", "`friday` is ambiguous: it gives no time of day. I would have read it as "
               f"Fri 27 Nov 2026, 00:00 {NY}."),
    ("2026-12-04", "`2026-12-04` is ambiguous: it gives no time of day. I would have read it "
                   f"as Fri 4 Dec 2026, 00:00 {NY}."),
    ("3/4 18:00", "`3/4 18:00` is ambiguous: `3/4` could be day/month or month/day. I would "
                  f"have read it as Thu 4 Mar 2027, 18:00 {NY}."),
    ("2027-11-07 01:30", "`2027-11-07 01:30` is ambiguous: 01:30 happens twice that night in "
                         "America/New_York, as the clocks go back for daylight saving. I would "
                         f"have read it as Sun 7 Nov 2027, 01:30 {NY}."),
])
async def test_an_ambiguous_time_is_refused_with_the_reading_it_would_have_used(
        coalition: Chat, db_path: Path, when: str, message: str) -> None:
    text = await refused_without_change(coalition, db_path, "Alice",
                                        f'meeting schedule Call "{when}"')
    assert text.splitlines()[0] == message
    assert query(db_path, "SELECT count(*) FROM meeting") == [(0,)]


@pytest.mark.parametrize(("when", "reading"), [
    ("2026-11-20 18:00", "Fri 20 Nov 2026, 18:00"),
    ("yesterday 6pm", "Sun 22 Nov 2026, 18:00"),
    ("2026-11-23 10:00", "Mon 23 Nov 2026, 10:00"),  # exactly now
])
async def test_a_past_time_is_refused_with_its_reading(coalition: Chat, db_path: Path,
                                                       when: str, reading: str) -> None:
    text = await refused_without_change(coalition, db_path, "Alice",
                                        f'meeting schedule Call "{when}" every:weekly')
    assert text.splitlines()[0] == f"That time is in the past: I read it as {reading} {NY}."


async def test_a_time_a_minute_from_now_is_accepted(coalition: Chat) -> None:
    reply = await coalition.ok("Alice", 'meeting schedule Call "2026-11-23 10:01"')
    assert reply.text.startswith(f"First: Mon 23 Nov 2026, 10:01 {NY}.")


@pytest.mark.parametrize("user", ["Bob", "Eve"])
async def test_only_coordinators_schedule(partners: Chat, db_path: Path, user: str) -> None:
    text = await refused_without_change(partners, db_path, user,
                                        'meeting schedule Call "tomorrow 6pm"')
    assert text.startswith("`/meeting schedule` is for coordinators;")
    assert "Ask a coordinator (Alice)." in text


async def test_until_ends_a_series_and_is_shown(coalition: Chat, db_path: Path) -> None:
    reply = await weekly(coalition, extra="until:2026-12-15")
    assert "every week; 60 min; until 2026-12-15;" in reply.text
    info = await coalition.ok("Alice", "meeting info 1")
    assert field(info, "Then") == "Tue 8 Dec 2026, 18:00, Tue 15 Dec 2026, 18:00"
    assert query(db_path, "SELECT until_local FROM meeting") == [("2026-12-15T23:59",)]


async def test_monthly_meets_on_the_same_weekday_of_the_month(coalition: Chat,
                                                              db_path: Path) -> None:
    reply = await coalition.ok("Alice", 'meeting schedule Call "2026-12-08 18:00" every:monthly')
    assert "every month on the 2nd Tuesday;" in reply.text
    info = await coalition.ok("Alice", "meeting info 1")
    assert field(info, "Then") == ("Tue 12 Jan 2027, 18:00, Tue 9 Feb 2027, 18:00, "
                                   "Tue 9 Mar 2027, 18:00")
    assert query(db_path, "SELECT rrule FROM meeting") == [("FREQ=MONTHLY;BYDAY=+2TU",)]


async def test_remind_none_schedules_without_reminders(coalition: Chat, db_path: Path) -> None:
    reply = await coalition.ok("Alice", 'meeting schedule Call "tomorrow 6pm" remind:none')
    assert reply.text.splitlines()[1] == "once; 60 min."
    assert query(db_path, "SELECT remind_min FROM meeting") == [("",)]


# --- list and info -----------------------------------------------------------------------


async def test_list_shows_upcoming_then_past_meetings_as_the_clock_moves(
        coalition: Chat, clock: MovableClock) -> None:
    empty = await coalition.ok("Bob", "meeting list")
    assert empty.text.startswith("None. A coordinator schedules one")
    await coalition.ok("Alice", 'meeting schedule Kickoff "2026-11-25 18:00"')
    await weekly(coalition)
    listed = await coalition.ok("Bob", "meeting list")
    assert listed.title == "Meetings (upcoming)"
    assert listed.text.splitlines() == [
        f"#1 Kickoff: Wed 25 Nov 2026, 18:00 {NY} (once)",
        f"#2 Call: Tue 1 Dec 2026, 18:00 {NY} (every week)"]
    assert (await coalition.ok("Bob", "meeting list past")).text == "None yet."

    clock.advance(days=3)
    assert (await coalition.ok("Bob", "meeting list")).text.splitlines() == [
        f"#2 Call: Tue 1 Dec 2026, 18:00 {NY} (every week)"]
    past = await coalition.ok("Bob", "meeting list past")
    assert past.title == "Meetings (past)"
    assert past.text.splitlines() == [f"#1 Kickoff: Wed 25 Nov 2026, 18:00 {NY} (once)"]

    clock.now = utc(2026, 12, 2, 12)
    assert (await coalition.ok("Bob", "meeting list")).text.splitlines() == [
        f"#2 Call: Tue 8 Dec 2026, 18:00 {NY} (every week)"]
    assert (await coalition.ok("Bob", "meeting list past")).text.splitlines() == [
        f"#2 Call: Tue 1 Dec 2026, 18:00 {NY} (every week)",
        f"#1 Kickoff: Wed 25 Nov 2026, 18:00 {NY} (once)"]


async def test_a_meeting_in_progress_is_still_the_next_one(coalition: Chat,
                                                           clock: MovableClock) -> None:
    await weekly(coalition)
    clock.now = utc(2026, 12, 1, 23, 30)  # 18:30 in New York, the call runs until 19:00
    info = await coalition.ok("Bob", "meeting info 1")
    assert field(info, "When") == f"Tue 1 Dec 2026, 18:00 {NY}"
    clock.now = utc(2026, 12, 2, 0, 0)  # 19:00: over
    info = await coalition.ok("Bob", "meeting info 1")
    assert field(info, "When") == f"Tue 8 Dec 2026, 18:00 {NY}"


async def test_info_shows_rsvps_organizations_and_agenda(partners: Chat,
                                                         clock: MovableClock) -> None:
    await weekly(partners, extra="where:https://meet.example/abc")
    await partners.ok("Bob", "meeting rsvp 1 yes")
    clock.advance(minutes=1)
    await partners.ok("Dan", "meeting rsvp 1 maybe")
    clock.advance(minutes=1)
    await partners.ok("Eve", "meeting rsvp 1 no")
    clock.advance(minutes=1)
    await partners.ok("Alice", "meeting rsvp 1 yes")
    await partners.ok("Eve", "meeting agenda add 1 Budget for the rally")
    await partners.ok("Bob", "meeting agenda add #1 Rent strike plan")

    info = await partners.ok("Eve", "meeting info 1")
    assert info.title == "Meeting #1: Call"
    assert [f.name for f in info.fields] == ["When", "Details", "RSVPs",
                                             "Organizations represented", "Agenda", "Then",
                                             "Next reminder", "Add to Google Calendar",
                                             "Add to Outlook"]
    assert field(info, "When") == f"Tue 1 Dec 2026, 18:00 {NY}"
    assert field(info, "Details") == ("every week; 60 min; at https://meet.example/abc; "
                                      "reminders 1d, 1h before")
    assert field(info, "RSVPs") == "yes 2, maybe 1, no 1\nyes: Bob, Alice\nmaybe: Dan\nno: Eve"
    assert field(info, "Organizations represented") == "Tenants United"
    assert field(info, "Agenda") == "1. Budget for the rally (Eve)\n2. Rent strike plan (Bob)"
    assert field(info, "Then") == ("Tue 8 Dec 2026, 18:00, Tue 15 Dec 2026, 18:00, "
                                   "Tue 22 Dec 2026, 18:00")
    assert field(info, "Next reminder") == f"Mon 30 Nov 2026, 18:00 {NY}"  # 24h before
    assert info.buttons[0].command == "meeting rsvp 1 yes occurrence:2026-12-01"

    clock.advance(minutes=1)
    await partners.ok("Dan", "meeting rsvp 1 yes")  # changes his answer
    info = await partners.ok("Eve", "meeting info 1")
    assert field(info, "RSVPs") == "yes 3, maybe 0, no 1\nyes: Bob, Alice, Dan\nno: Eve"
    assert field(info, "Organizations represented") == "Tenants United, Climate Now"


async def test_info_of_a_later_occurrence_has_its_own_rsvps(partners: Chat) -> None:
    await weekly(partners)
    await partners.ok("Bob", "meeting rsvp 1 yes")
    later = await partners.ok("Eve", "meeting info 1 occurrence:2026-12-08")
    assert field(later, "When") == f"Tue 8 Dec 2026, 18:00 {NY}"
    assert field(later, "RSVPs") == "yes 0, maybe 0, no 0"
    assert field(later, "Organizations represented") == "none yet"
    assert field(later, "Agenda") == "nothing yet"
    assert later.buttons[0].command == "meeting rsvp 1 yes occurrence:2026-12-08"


# --- cancel and reschedule ---------------------------------------------------------------


async def test_cancel_without_a_date_cancels_the_next_occurrence(partners: Chat,
                                                                 db_path: Path) -> None:
    await weekly(partners)
    reply = await partners.ok("Alice", "meeting cancel 1")
    assert reply.title == "Meeting #1 cancelled"
    assert reply.text == f"Call: cancelled the occurrence on Tue 1 Dec 2026, 18:00 {NY}."
    assert field(await partners.ok("Eve", "meeting info 1"), "When") == (
        f"Tue 8 Dec 2026, 18:00 {NY}")
    assert query(db_path, "SELECT occurrence, cancelled, moved_to FROM meeting_change") == [
        ("2026-12-01T18:00", 1, None)]
    assert query(db_path, "SELECT cancelled FROM meeting") == [(0,)]


async def test_cancel_one_date_marks_it_cancelled_and_twice_is_refused(
        partners: Chat, db_path: Path) -> None:
    await weekly(partners)
    reply = await partners.ok("Alice", "meeting cancel 1 occurrence:2026-12-15")
    assert reply.text == f"Call: cancelled the occurrence on Tue 15 Dec 2026, 18:00 {NY}."
    info = await partners.ok("Eve", "meeting info 1")
    assert field(info, "Then") == ("Tue 8 Dec 2026, 18:00, Tue 22 Dec 2026, 18:00, "
                                   "Tue 29 Dec 2026, 18:00")
    that_day = await partners.ok("Eve", "meeting info 1 occurrence:2026-12-15")
    assert field(that_day, "When") == f"Tue 15 Dec 2026, 18:00 {NY} (cancelled)"
    assert that_day.buttons == ()
    text = await refused_without_change(partners, db_path, "Alice",
                                        "meeting cancel 1 occurrence:2026-12-15")
    assert text == f"The occurrence on Tue 15 Dec 2026, 18:00 {NY} is already cancelled."
    text = await refused_without_change(partners, db_path, "Bob",
                                        "meeting rsvp 1 yes occurrence:2026-12-15")
    assert text == f"The occurrence on Tue 15 Dec 2026, 18:00 {NY} is cancelled."


async def test_cancel_all_cancels_the_whole_series(partners: Chat, db_path: Path) -> None:
    await weekly(partners)
    reply = await partners.ok("Alice", "meeting cancel 1 occurrence:all")
    assert reply.text == "Call: cancelled every occurrence."
    assert query(db_path, "SELECT cancelled FROM meeting") == [(1,)]
    info = await partners.ok("Eve", "meeting info 1")
    assert (info.title, info.text, info.fields) == ("Meeting #1: Call", "Cancelled.", ())
    assert (await partners.ok("Eve", "meeting list")).text.startswith("None.")
    text = await refused_without_change(partners, db_path, "Alice", "meeting cancel 1")
    assert text == "Meeting #1 is already cancelled."
    text = await refused_without_change(partners, db_path, "Alice",
                                        'meeting reschedule 1 "2026-12-02 18:00"')
    assert text == "Meeting #1 is cancelled."


async def test_cancelling_a_one_off_meeting_cancels_it_whole(partners: Chat,
                                                             db_path: Path) -> None:
    await partners.ok("Alice", 'meeting schedule Kickoff "tomorrow 6pm"')
    reply = await partners.ok("Alice", "meeting cancel 1")
    assert reply.text == "Kickoff: cancelled the meeting."
    assert query(db_path, "SELECT cancelled FROM meeting") == [(1,)]


async def test_only_coordinators_cancel_or_reschedule(partners: Chat, db_path: Path) -> None:
    await weekly(partners)
    for line in ("meeting cancel 1", 'meeting reschedule 1 "2026-12-02 18:00"'):
        text = await refused_without_change(partners, db_path, "Bob", line)
        assert "is for coordinators; you are a representative here." in text


async def test_cancel_a_date_without_an_occurrence_is_refused(partners: Chat,
                                                              db_path: Path) -> None:
    await weekly(partners)
    text = await refused_without_change(partners, db_path, "Alice",
                                        "meeting cancel 1 occurrence:2026-12-02")
    assert text.splitlines() == ["Meeting #1 has no occurrence on Wed 02 Dec 2026.",
                                 "See its dates with `/meeting info #1`."]


async def test_reschedule_one_occurrence_moves_only_that_one(partners: Chat,
                                                             db_path: Path) -> None:
    await weekly(partners)
    reply = await partners.ok("Alice", 'meeting reschedule 1 "2026-12-09 19:30" '
                                       "occurrence:2026-12-08")
    assert reply.title == "Meeting #1 moved"
    assert reply.text == (f"Call: moved the occurrence of Tue 8 Dec 2026, 18:00 {NY} to "
                          f"Wed 9 Dec 2026, 19:30 {NY}.")
    first = await partners.ok("Eve", "meeting info 1")
    assert field(first, "When") == f"Tue 1 Dec 2026, 18:00 {NY}"
    assert field(first, "Then") == ("Wed 9 Dec 2026, 19:30, Tue 15 Dec 2026, 18:00, "
                                    "Tue 22 Dec 2026, 18:00")
    # the moved occurrence is found on its new date and keeps its original key
    await partners.ok("Bob", "meeting rsvp 1 yes occurrence:2026-12-09")
    moved = await partners.ok("Eve", "meeting info 1 occurrence:2026-12-09")
    assert field(moved, "When") == f"Wed 9 Dec 2026, 19:30 {NY}"
    assert field(moved, "RSVPs") == "yes 1, maybe 0, no 0\nyes: Bob"
    assert query(db_path, "SELECT occurrence, cancelled, moved_to FROM meeting_change") == [
        ("2026-12-08T18:00", 0, "2026-12-09T19:30")]
    assert query(db_path, "SELECT occurrence FROM rsvp") == [("2026-12-08T18:00",)]


async def test_cancelling_a_moved_occurrence_cancels_it_where_it_moved(
        partners: Chat, db_path: Path) -> None:
    await weekly(partners)
    await partners.ok("Alice", 'meeting reschedule 1 "2026-12-09 19:30" occurrence:2026-12-08')
    reply = await partners.ok("Alice", "meeting cancel 1 occurrence:2026-12-09")
    assert reply.text == f"Call: cancelled the occurrence on Wed 9 Dec 2026, 19:30 {NY}."
    info = await partners.ok("Eve", "meeting info 1")
    assert field(info, "Then") == ("Tue 15 Dec 2026, 18:00, Tue 22 Dec 2026, 18:00, "
                                   "Tue 29 Dec 2026, 18:00")
    assert query(db_path, "SELECT occurrence, cancelled, moved_to FROM meeting_change") == [
        ("2026-12-08T18:00", 1, "2026-12-09T19:30")]


async def test_reschedule_without_a_date_moves_the_whole_series(partners: Chat,
                                                                db_path: Path) -> None:
    await weekly(partners)
    reply = await partners.ok("Alice", 'meeting reschedule 1 "2026-12-02 17:00"')
    assert reply.text == ("Call: moved the series: from Wed 2 Dec 2026, 17:00 "
                          f"{NY}, every week.")
    info = await partners.ok("Eve", "meeting info 1")
    assert field(info, "When") == f"Wed 2 Dec 2026, 17:00 {NY}"
    assert field(info, "Then") == ("Wed 9 Dec 2026, 17:00, Wed 16 Dec 2026, 17:00, "
                                   "Wed 23 Dec 2026, 17:00")
    assert query(db_path, "SELECT start_local, rrule FROM meeting") == [
        ("2026-12-02T17:00", "FREQ=WEEKLY")]


async def test_rescheduling_a_monthly_series_keeps_the_weekday_of_the_month_meaning(
        partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", 'meeting schedule Call "2026-12-08 18:00" every:monthly')
    reply = await partners.ok("Alice", 'meeting reschedule 1 "2026-12-16 18:00"')
    assert reply.text.endswith("every month on the 3rd Wednesday.")
    assert query(db_path, "SELECT rrule FROM meeting") == [("FREQ=MONTHLY;BYDAY=+3WE",)]
    info = await partners.ok("Eve", "meeting info 1")
    assert field(info, "Then").startswith("Wed 20 Jan 2027, 18:00, Wed 17 Feb 2027, 18:00")


async def test_rescheduling_a_one_off_meeting_moves_it(partners: Chat, db_path: Path) -> None:
    await partners.ok("Alice", 'meeting schedule Kickoff "tomorrow 6pm"')
    reply = await partners.ok("Alice", 'meeting reschedule 1 "2026-11-25 12:00"')
    assert reply.text == f"Kickoff: moved the meeting to Wed 25 Nov 2026, 12:00 {NY}."
    assert query(db_path, "SELECT start_local, rrule FROM meeting") == [
        ("2026-11-25T12:00", None)]


async def test_reschedule_into_the_past_is_refused(partners: Chat, db_path: Path) -> None:
    await weekly(partners)
    text = await refused_without_change(partners, db_path, "Alice",
                                        'meeting reschedule 1 "2026-11-01 18:00"')
    assert text == f"That time is in the past: I read it as Sun 1 Nov 2026, 18:00 {NY}."


# --- rsvp --------------------------------------------------------------------------------


async def test_rsvp_defaults_to_the_next_occurrence_and_is_private(
        partners: Chat, db_path: Path, clock: MovableClock) -> None:
    await weekly(partners)
    reply = await partners.ok("Bob", "meeting rsvp 1 yes")
    assert reply.private
    assert reply.text == f"Noted: yes for Call on Tue 1 Dec 2026, 18:00 {NY}."
    clock.now = utc(2026, 12, 3)  # the first call is over
    reply = await partners.ok("Bob", "meeting rsvp 1 no")
    assert reply.text == f"Noted: no for Call on Tue 8 Dec 2026, 18:00 {NY}."
    assert query(db_path, "SELECT occurrence, answer FROM rsvp ORDER BY occurrence") == [
        ("2026-12-01T18:00", "yes"), ("2026-12-08T18:00", "no")]


async def test_rsvp_for_a_date_and_changing_the_answer(partners: Chat, db_path: Path) -> None:
    await weekly(partners)
    await partners.ok("Dan", "meeting rsvp 1 maybe occurrence:2026-12-15")
    reply = await partners.ok("Dan", "meeting rsvp #1 no occurrence:2026-12-15")
    assert reply.text == f"Noted: no for Call on Tue 15 Dec 2026, 18:00 {NY}."
    assert query(db_path, "SELECT occurrence, answer FROM rsvp") == [("2026-12-15T18:00", "no")]
    info = await partners.ok("Eve", "meeting info 1")
    assert field(info, "RSVPs") == "yes 0, maybe 0, no 0"


async def test_an_rsvp_button_runs_the_rsvp_it_shows(partners: Chat, db_path: Path) -> None:
    reply = await weekly(partners)
    going = await partners.ok("Eve", reply.buttons[0].command)
    assert going.text == f"Noted: yes for Call on Tue 1 Dec 2026, 18:00 {NY}."
    assert query(db_path, "SELECT occurrence, answer FROM rsvp") == [("2026-12-01T18:00", "yes")]


async def test_rsvp_after_a_one_off_meeting_is_over_is_refused(
        partners: Chat, db_path: Path, clock: MovableClock) -> None:
    await partners.ok("Alice", 'meeting schedule Kickoff "tomorrow 6pm"')
    clock.advance(days=2)
    text = await refused_without_change(partners, db_path, "Bob", "meeting rsvp 1 yes")
    assert text.startswith("Meeting #1 has no occurrence left.")


# --- agenda ------------------------------------------------------------------------------


async def test_agenda_items_belong_to_one_occurrence(partners: Chat, db_path: Path) -> None:
    await weekly(partners)
    empty = await partners.ok("Eve", "meeting agenda 1")
    assert empty.title == f"Agenda: Call, Tue 1 Dec 2026, 18:00 {NY}"
    assert empty.text == "Nothing yet. Add with `/meeting agenda add #1 TEXT`."
    added = await partners.ok("Eve", "meeting agenda add 1 Budget for the rally")
    assert added.text == f"Agenda item 1 added to Call on Tue 1 Dec 2026, 18:00 {NY}."
    added = await partners.ok("Bob", "meeting agenda add 1 Rent strike: next steps")
    assert added.text.startswith("Agenda item 2 added")
    later = await partners.ok("Bob", "meeting agenda add 1 Elections occurrence:2026-12-08")
    assert later.text == f"Agenda item 1 added to Call on Tue 8 Dec 2026, 18:00 {NY}."
    agenda = await partners.ok("Eve", "meeting agenda 1")
    assert agenda.text == "1. Budget for the rally (Eve)\n2. Rent strike: next steps (Bob)"
    agenda = await partners.ok("Eve", "meeting agenda 1 occurrence:2026-12-08")
    assert agenda.title == f"Agenda: Call, Tue 8 Dec 2026, 18:00 {NY}"
    assert agenda.text == "1. Elections (Bob)"
    assert query(db_path, "SELECT occurrence, text FROM agenda_item ORDER BY id") == [
        ("2026-12-01T18:00", "Budget for the rally"),
        ("2026-12-01T18:00", "Rent strike: next steps"),
        ("2026-12-08T18:00", "Elections")]


# --- notes, minutes and action items -------------------------------------------------------


async def _meeting_with_notes(chat: Chat, clock: MovableClock) -> None:
    """A weekly call whose first occurrence took place, with RSVPs and notes."""
    await weekly(chat, title="Rent *strike* call")
    await chat.ok("Bob", "meeting rsvp 1 yes")
    clock.advance(minutes=1)
    await chat.ok("Dan", "meeting rsvp 1 yes")
    clock.advance(minutes=1)
    await chat.ok("Eve", "meeting rsvp 1 no")
    clock.now = utc(2026, 12, 1, 23, 30)  # during the call
    await chat.ok("Bob", 'meeting note 1 action Book the hall owner:Dan due:"2026-12-10 17:00"')
    await chat.ok("Bob", "meeting note 1 decision We march on *May 1*")
    await chat.ok("Dan", "meeting note 1 info # x [link](http://evil.example) <b>hi</b>")
    await chat.ok("Bob", "meeting note 1 action Call the press")
    clock.now = utc(2026, 12, 2, 15)  # the next day


async def test_notes_record_actions_decisions_and_information(
        partners: Chat, db_path: Path, clock: MovableClock) -> None:
    await weekly(partners)
    clock.now = utc(2026, 12, 1, 23, 30)
    action = await partners.ok("Bob", 'meeting note 1 action Book the hall owner:Dan '
                                      'due:"2026-12-10 17:00"')
    assert action.title == "Action #1"
    assert action.text == (f"Book the hall (Dan, due Thu 10 Dec 2026, 17:00 {NY}). Close it "
                           "with `/meeting done 1`.")
    mine = await partners.ok("Bob", "meeting note 1 action Call the press")
    assert mine.text == "Call the press (Bob). Close it with `/meeting done 2`."
    decision = await partners.ok("Bob", "meeting note 1 decision We march")
    assert decision.text == f"Decision noted for Call on Tue 1 Dec 2026, 18:00 {NY}."
    info = await partners.ok("Alice", "meeting note 1 info The hall holds 200")
    assert info.text == f"Info noted for Call on Tue 1 Dec 2026, 18:00 {NY}."
    rows = query(db_path, "SELECT n.occurrence, n.kind, n.text, n.action_number, o.display_name,"
                          " n.due_at, n.done_at FROM note n LEFT JOIN person o"
                          " ON o.id = n.owner_id ORDER BY n.id")
    assert rows == [
        ("2026-12-01T18:00", "action", "Book the hall", 1, "Dan", "2026-12-10T22:00:00+00:00",
         None),
        ("2026-12-01T18:00", "action", "Call the press", 2, "Bob", None, None),
        ("2026-12-01T18:00", "decision", "We march", None, None, None, None),
        ("2026-12-01T18:00", "info", "The hall holds 200", None, None, None, None)]


async def test_notes_go_to_the_latest_occurrence_that_started(
        partners: Chat, db_path: Path, clock: MovableClock) -> None:
    await weekly(partners)
    clock.now = utc(2026, 12, 5)  # between the 1st and the 8th
    await partners.ok("Bob", "meeting note 1 info Late note")
    await partners.ok("Bob", "meeting note 1 info For the next one occurrence:2026-12-08")
    assert query(db_path, "SELECT occurrence, text FROM note ORDER BY id") == [
        ("2026-12-01T18:00", "Late note"), ("2026-12-08T18:00", "For the next one")]


async def test_owner_and_due_go_with_actions_only_and_members_do_not_take_notes(
        partners: Chat, db_path: Path) -> None:
    await weekly(partners)
    text = await refused_without_change(partners, db_path, "Bob",
                                        "meeting note 1 decision We march owner:Dan")
    assert text == "owner: and due: go with action notes only."
    text = await refused_without_change(partners, db_path, "Bob",
                                        'meeting note 1 info Hi due:"tomorrow 6pm"')
    assert text == "owner: and due: go with action notes only."
    text = await refused_without_change(partners, db_path, "Eve", "meeting note 1 info Hi")
    assert text.startswith("`/meeting note` is for representatives; you are a member here.")


async def test_minutes_list_attendees_decisions_actions_and_information(
        partners: Chat, clock: MovableClock) -> None:
    await _meeting_with_notes(partners, clock)
    reply = await partners.ok("Eve", "meeting minutes 1")
    assert reply.title == f"Minutes: Rent *strike* call, Tue 1 Dec 2026, 18:00 {NY}"
    assert [(f.name, f.value) for f in reply.fields] == [
        ("Attendees", "Bob, Dan"),
        ("Decisions", "We march on *May 1*"),
        ("Actions", f"#1 Book the hall (Dan, due Thu 10 Dec 2026, 17:00 {NY})\n"
                    "#2 Call the press (Bob)"),
        ("Information", "# x [link](http://evil.example) <b>hi</b>")]
    [doc] = reply.files
    assert doc.filename == "minutes-meeting-1-2026-12-01.md"
    assert doc.media_type == "text/markdown"
    assert doc.content == (
        "# Rent \\*strike\\* call: minutes\n"
        "\n"
        f"Eastside Tenants, Tue 1 Dec 2026, 18:00 {NY}\n"
        "\n"
        "## Attendees\n"
        "\n"
        "- Bob\n"
        "- Dan\n"
        "\n"
        "Organizations represented: Tenants United, Climate Now\n"
        "\n"
        "## Decisions\n"
        "\n"
        "- We march on \\*May 1\\*\n"
        "\n"
        "## Action items\n"
        "\n"
        f"- #1 Book the hall (Dan, due Thu 10 Dec 2026, 17:00 {NY})\n"
        "- #2 Call the press (Bob)\n"
        "\n"
        "## Information\n"
        "\n"
        "- \\# x \\[link\\](http://evil.example) \\<b\\>hi\\</b\\>\n")


async def test_user_text_cannot_make_markdown_structure_in_the_minutes(
        partners: Chat, clock: MovableClock) -> None:
    await weekly(partners, title="# Takeover")
    clock.now = utc(2026, 12, 1, 23, 30)
    for text in ("# x", "*bold*", "_under_", "`code`", "<script>alert(1)</script>",
                 "![img](http://e.example/a.png)", "| a | b |", "~~gone~~", "- nested",
                 "+ plus", "1. first"):
        await partners.ok("Bob", f'meeting note 1 info "{text}"')
    doc = (await partners.ok("Eve", "meeting minutes 1")).files[0].content
    headings = [line for line in doc.splitlines() if line.startswith("#")]
    assert headings == ["# \\# Takeover: minutes", "## Attendees", "## Decisions",
                        "## Action items", "## Information"]
    info = doc.split("## Information\n\n")[1].splitlines()
    assert info == ["- \\# x", "- \\*bold\\*", "- \\_under\\_", "- \\`code\\`",
                    "- \\<script\\>alert(1)\\</script\\>",
                    "- !\\[img\\](http://e.example/a.png)", "- \\| a \\| b \\|",
                    "- \\~\\~gone\\~\\~", "- \\- nested", "- \\+ plus", "- 1\\. first"]


async def test_minutes_leave_hyphens_and_numbers_inside_words_alone(
        partners: Chat, clock: MovableClock) -> None:
    await weekly(partners, title="Re-run: goal #2 (the C++ fund)")
    clock.now = utc(2026, 12, 1, 23, 30)
    await partners.ok("Bob", "meeting note 1 decision Re-run the phone-bank list, 2-3 people!")
    doc = (await partners.ok("Eve", "meeting minutes 1")).files[0].content
    assert doc.startswith("# Re-run: goal #2 (the C++ fund): minutes\n")
    assert "- Re-run the phone-bank list, 2-3 people!\n" in doc


async def test_minutes_of_an_occurrence_without_notes(partners: Chat) -> None:
    await weekly(partners)
    reply = await partners.ok("Eve", "meeting minutes 1 occurrence:2026-12-08")
    assert [(f.name, f.value) for f in reply.fields] == [
        ("Attendees", "nobody said yes"), ("Decisions", "none"), ("Actions", "none"),
        ("Information", "none")]
    doc = reply.files[0].content
    assert reply.files[0].filename == "minutes-meeting-1-2026-12-08.md"
    assert "- (nobody said yes)" in doc
    assert "Organizations represented" not in doc
    assert doc.count("- none recorded") == 3


async def test_action_lists_mine_open_and_all(partners: Chat, clock: MovableClock) -> None:
    await _meeting_with_notes(partners, clock)
    mine = await partners.ok("Dan", "meeting actions mine")
    assert mine.title == "Action items (mine)"
    assert mine.text == f"#1 Book the hall (Dan, due Thu 10 Dec 2026, 17:00 {NY}; meeting #1)"
    assert (await partners.ok("Eve", "meeting actions mine")).text == "None."
    opened = await partners.ok("Eve", "meeting actions")
    assert opened.title == "Action items (open)"
    assert opened.text.splitlines() == [
        f"#1 Book the hall (Dan, due Thu 10 Dec 2026, 17:00 {NY}; meeting #1)",
        "#2 Call the press (Bob; meeting #1)"]
    await partners.ok("Bob", "meeting done 2")
    assert (await partners.ok("Eve", "meeting actions open")).text.splitlines() == [
        f"#1 Book the hall (Dan, due Thu 10 Dec 2026, 17:00 {NY}; meeting #1)"]
    clock.now = utc(2026, 12, 11)  # past the due time
    assert (await partners.ok("Eve", "meeting actions all")).text.splitlines() == [
        f"#1 Book the hall (Dan, due Thu 10 Dec 2026, 17:00 {NY}; meeting #1) OVERDUE",
        f"#2 Call the press (Bob; meeting #1) (done by Bob, Wed 2 Dec 2026, 10:00 {NY})"]


async def test_the_owner_marks_an_action_done_a_stranger_may_not(
        partners: Chat, db_path: Path, clock: MovableClock) -> None:
    await _meeting_with_notes(partners, clock)
    text = await refused_without_change(partners, db_path, "Eve", "meeting done 1")
    assert text == ("Action #1 belongs to Dan; they, whoever wrote it down, or a coordinator "
                    "can mark it done.")
    reply = await partners.ok("Dan", "meeting done 1")
    assert reply.text == "Action #1 done: Book the hall"
    assert query(db_path, "SELECT n.done_at, p.display_name FROM note n JOIN person p"
                          " ON p.id = n.done_by WHERE n.action_number = 1") == [
        ("2026-12-02T15:00:00+00:00", "Dan")]
    text = await refused_without_change(partners, db_path, "Dan", "meeting done 1")
    assert text == "Action #1 is already done."
    minutes = await partners.ok("Eve", "meeting minutes 1")
    assert field(minutes, "Actions").splitlines()[0].endswith(
        " (done by Dan, Wed 2 Dec 2026, 10:00 (America/New_York))")
    assert "(done by Dan, Wed 2 Dec 2026, 10:00 (America/New_York))" in minutes.files[0].content


async def test_a_coordinator_marks_anyones_action_done(partners: Chat, db_path: Path,
                                                       clock: MovableClock) -> None:
    await _meeting_with_notes(partners, clock)
    reply = await partners.ok("Alice", "meeting done #1")
    assert reply.text == "Action #1 done: Book the hall"
    text = await refused_without_change(partners, db_path, "Dan", "meeting done 1")
    assert text == "Action #1 is already done."
    text = await refused_without_change(partners, db_path, "Dan", "meeting done 9")
    assert text.startswith("There is no action #9 in this coalition.")


async def test_whoever_wrote_an_action_down_may_close_it(partners: Chat,
                                                         clock: MovableClock) -> None:
    await _meeting_with_notes(partners, clock)  # Bob wrote down Dan's action #1
    reply = await partners.ok("Bob", "meeting done 1")
    assert reply.text == "Action #1 done: Book the hall"


def _ids(db_path: Path) -> tuple[int, dict[int, int]]:
    [(coalition_id,)] = query(db_path, "SELECT id FROM coalition WHERE name = ?",
                              ("Eastside Tenants",))
    meetings = dict(query(db_path, "SELECT number, id FROM meeting WHERE coalition_id = ?",
                          (coalition_id,)))
    return coalition_id, meetings


# --- the calendar file -----------------------------------------------------------------


def _expand_ics(text: str, after: datetime, before: datetime) -> dict[str, set[datetime]]:
    """Every event's start instants in [after, before), by UID: RRULE, EXDATE and
    RECURRENCE-ID overrides expanded with dateutil, as a calendar app would."""
    cal = Calendar.from_ical(text)
    events = cal.walk("VEVENT")
    found: dict[str, set[datetime]] = {}
    for master in (e for e in events if "RECURRENCE-ID" not in e):
        uid = str(master["UID"])
        start = master.decoded("DTSTART")
        assert start.tzinfo is not None
        if "RRULE" not in master:
            found[uid] = {start} if after <= start < before else set()
            continue
        rule = master["RRULE"].to_ical().decode()
        series = rrulestr(rule, dtstart=start, forceset=True)
        exdates = master.get("EXDATE", [])
        for group in exdates if isinstance(exdates, list) else [exdates]:
            for item in group.dts:
                series.exdate(item.dt)
        for moved in (e for e in events if "RECURRENCE-ID" in e and str(e["UID"]) == uid):
            series.exdate(moved.decoded("RECURRENCE-ID"))
            series.rdate(moved.decoded("DTSTART"))
        found[uid] = {d.astimezone(UTC) for d in series.between(after, before, inc=True)
                      if d < before}
    return found


async def _bot_starts(bot: Bot, coalition_id: int, number: int, after: datetime,
                      before: datetime) -> set[datetime]:
    async with bot.db.transaction() as conn:
        meeting = await find_meeting(conn, coalition_id, number)
        assert meeting is not None
        return {o.start.astimezone(UTC)
                for o in await occurrences_between(conn, meeting, after, before)}


async def test_the_calendar_file_has_the_same_occurrences_as_the_bot(
        partners: Chat, bot: Bot, db_path: Path, clock: MovableClock) -> None:
    await weekly(partners, title="Strategy; call, weekly", extra='where:"Room 4, 2nd floor"')
    await partners.ok("Alice", "meeting cancel 1 occurrence:2026-12-15")
    await partners.ok("Alice", 'meeting reschedule 1 "2026-12-23 19:30" occurrence:2026-12-22')
    await partners.ok("Alice", 'meeting schedule Monthly "2026-12-08 18:00" every:monthly '
                               "until:2027-04-30")
    await partners.ok("Alice", 'meeting schedule Kickoff "tomorrow 6pm"')
    await partners.ok("Alice", 'meeting schedule Dropped "2026-12-02 18:00"')
    await partners.ok("Alice", "meeting cancel 4")

    reply = await partners.ok("Eve", "meeting ical")
    assert reply.private
    [file] = reply.files
    assert (file.filename, file.media_type) == ("coalition-meetings.ics", "text/calendar")
    cal = Calendar.from_ical(file.content)
    assert str(cal["X-WR-CALNAME"]) == "Eastside Tenants"
    masters = {str(e["UID"]): e for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e}
    assert sorted(masters) == [f"coalition-1-meeting-{n}@coalition-bot" for n in (1, 2, 3)]
    first = masters["coalition-1-meeting-1@coalition-bot"]
    assert str(first["SUMMARY"]) == "Strategy; call, weekly"
    assert str(first["LOCATION"]) == "Room 4, 2nd floor"
    assert first.decoded("DTEND") - first.decoded("DTSTART") == timedelta(hours=1)

    # 26 weeks from now, across New York's change to summer time on 14 March 2027 and past
    # the monthly series' until:
    after, before = clock.now, clock.now + timedelta(weeks=26)
    from_file = _expand_ics(file.content, after, before)
    coalition_id, _ = _ids(db_path)
    for number in (1, 2, 3):
        expected = await _bot_starts(bot, coalition_id, number, after, before)
        assert from_file[f"coalition-1-meeting-{number}@coalition-bot"] == expected
    weekly_starts = from_file["coalition-1-meeting-1@coalition-bot"]
    assert utc(2026, 12, 15, 23) not in weekly_starts  # cancelled
    assert utc(2026, 12, 22, 23) not in weekly_starts  # moved ...
    assert utc(2026, 12, 24, 0, 30) in weekly_starts  # ... to Wed 23 Dec 19:30
    assert utc(2027, 3, 9, 23) in weekly_starts
    assert utc(2027, 3, 16, 22) in weekly_starts
    assert len(weekly_starts) == 25 - 1  # 1 Dec to 18 May, less the cancelled one
    # 8 Dec, 12 Jan, 9 Feb, 9 Mar, 13 Apr; 11 May is after until:2027-04-30
    assert len(from_file["coalition-1-meeting-2@coalition-bot"]) == 5
    assert from_file["coalition-1-meeting-3@coalition-bot"] == {utc(2026, 11, 24, 23)}


# --- what is due ---------------------------------------------------------------------------


async def test_reminders_due_come_24h_and_1h_before_each_occurrence(
        partners: Chat, bot: Bot, db_path: Path) -> None:
    await weekly(partners)  # 18:00 in New York is 23:00 UTC
    await partners.ok("Alice", "meeting cancel 1 occurrence:2026-12-08")
    await partners.ok("Alice", 'meeting reschedule 1 "2026-12-16 12:00" occurrence:2026-12-15')
    await partners.ok("Alice", 'meeting schedule Quiet "2026-12-02 18:00" remind:none')
    await partners.ok("Alice", 'meeting schedule Gone "2026-12-03 18:00"')
    await partners.ok("Alice", "meeting cancel 3")
    await partners.ok("Alice", 'meeting schedule Short "2026-12-04 09:00" remind:30m')
    coalition_id, ids = _ids(db_path)

    async with bot.db.transaction() as conn:
        found = await reminders_due(conn, utc(2026, 11, 30), utc(2026, 12, 17))
    assert found == [
        Due("meeting-reminder", coalition_id, utc(2026, 11, 30, 23), ids[1],
            "2026-12-01T18:00", 1440),
        Due("meeting-reminder", coalition_id, utc(2026, 12, 1, 22), ids[1],
            "2026-12-01T18:00", 60),
        Due("meeting-reminder", coalition_id, utc(2026, 12, 4, 13, 30), ids[4],
            "2026-12-04T09:00", 30),
        # 8 December is cancelled; 15 December moved to 16 December, 12:00 (17:00 UTC)
        Due("meeting-reminder", coalition_id, utc(2026, 12, 15, 17), ids[1],
            "2026-12-15T18:00", 1440),
        Due("meeting-reminder", coalition_id, utc(2026, 12, 16, 16), ids[1],
            "2026-12-15T18:00", 60),
    ]
    assert all(d.at.utcoffset() is not None for d in found)


async def test_reminders_due_window_is_half_open(partners: Chat, bot: Bot) -> None:
    await weekly(partners)
    async with bot.db.transaction() as conn:
        at_start = await reminders_due(conn, utc(2026, 12, 1, 22), utc(2026, 12, 1, 22, 1))
        at_end = await reminders_due(conn, utc(2026, 12, 1, 21), utc(2026, 12, 1, 22))
        between = await reminders_due(conn, utc(2026, 12, 1, 22, 1), utc(2026, 12, 7, 23))
    assert [(d.occurrence, d.offset_min) for d in at_start] == [("2026-12-01T18:00", 60)]
    assert at_end == []
    assert between == []


async def test_reminders_due_cover_every_coalition(partners: Chat, bot: Bot,
                                                   db_path: Path) -> None:
    await weekly(partners)
    await partners.ok("Zed", 'coalition setup "Berliner Bündnis" Europe/Berlin',
                      workspace="berlin")
    await partners.ok("Zed", 'meeting schedule Treffen "2026-12-01 18:00"', workspace="berlin")
    [(berlin,)] = query(db_path, "SELECT id FROM coalition WHERE name = 'Berliner Bündnis'")
    async with bot.db.transaction() as conn:
        found = await reminders_due(conn, utc(2026, 12, 1), utc(2026, 12, 2))
    # 18:00 in Berlin is 17:00 UTC; in New York 23:00 UTC
    assert [(d.at, d.coalition_id, d.offset_min) for d in found] == [
        (utc(2026, 12, 1, 16), berlin, 60), (utc(2026, 12, 1, 22), 1, 60)]


async def test_actions_due_skip_done_actions_and_actions_without_a_due_time(
        partners: Chat, bot: Bot, db_path: Path, clock: MovableClock) -> None:
    await weekly(partners)
    await partners.ok("Bob", 'meeting note 1 action Book the hall due:"2026-12-10 17:00"')
    await partners.ok("Bob", 'meeting note 1 action Print flyers owner:Dan '
                             'due:"2026-12-11 09:00"')
    await partners.ok("Bob", "meeting note 1 action Call the press")
    await partners.ok("Bob", 'meeting note 1 action Order food due:"2026-12-12 09:00"')
    await partners.ok("Bob", "meeting done 4")
    await partners.ok("Bob", 'meeting note 1 action Later due:"2027-01-05 09:00"')
    coalition_id, _ = _ids(db_path)
    note_ids = dict(query(db_path, "SELECT action_number, id FROM note"))

    async with bot.db.transaction() as conn:
        found = await actions_due(conn, utc(2026, 12, 1), utc(2026, 12, 31))
        narrow = await actions_due(conn, utc(2026, 12, 10, 22), utc(2026, 12, 11, 14))
    assert found == [
        Due("action-due", coalition_id, utc(2026, 12, 10, 22), note_ids[1], "", 0),
        Due("action-due", coalition_id, utc(2026, 12, 11, 14), note_ids[2], "", 0),
        # and two days before (2880 minutes), the reminder ahead
        Due("action-due", coalition_id, utc(2026, 12, 8, 22), note_ids[1], "", 2880),
        Due("action-due", coalition_id, utc(2026, 12, 9, 14), note_ids[2], "", 2880)]
    assert [d.subject_id for d in narrow] == [note_ids[1]]


@pytest.mark.parametrize("when", ["2027-03-14 03:30", "2027-11-07 02:00"])
async def test_reminders_come_their_offset_before_the_meeting_across_dst(
        coalition: Chat, bot: Bot, when: str) -> None:
    await coalition.ok("Alice", f'meeting schedule Call "{when}"')
    start = datetime.fromisoformat(when).replace(tzinfo=ZoneInfo("America/New_York"))
    start = start.astimezone(UTC)
    async with bot.db.transaction() as conn:
        found = await reminders_due(conn, start - timedelta(days=3), start)
    assert sorted((start - d.at, d.offset_min) for d in found) == [
        (timedelta(hours=1), 60), (timedelta(hours=24), 1440)]


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "message"), [
    ("meeting info 9", "There is no meeting #9 in this coalition."),
    ("meeting info x", "#N must be a meeting number like #2, not `x`."),
    ("meeting rsvp 9 yes", "There is no meeting #9 in this coalition."),
    ("meeting rsvp 1 perhaps", "ANSWER must be one of yes, no, maybe, not `perhaps`."),
    ("meeting rsvp 1 yes occurrence:2026-12-02",
     "Meeting #1 has no occurrence on Wed 02 Dec 2026."),
    ("meeting rsvp 1 yes occurrence:someday", "I can't read `someday` as a time."),
    ("meeting agenda add 9 Budget", "There is no meeting #9 in this coalition."),
    ("meeting cancel 9", "There is no meeting #9 in this coalition."),
    ('meeting reschedule 9 "2026-12-02 18:00"', "There is no meeting #9 in this coalition."),
    ("meeting minutes 9", "There is no meeting #9 in this coalition."),
    ("meeting done 9", "There is no action #9 in this coalition."),
    ('meeting schedule "' + "x" * 121 + '" "2026-12-01 18:00"',
     "TITLE is 121 characters long; at most 120 fit."),
    ('meeting schedule "  " "2026-12-01 18:00"', "`/meeting schedule` needs TITLE"),
    ('meeting schedule Call "2026-12-01 18:00" duration:abc', "`abc` is not a duration."),
    ('meeting schedule Call "2026-12-01 18:00" duration:25h',
     "A meeting can last at most 24 hours."),
    ('meeting schedule Call "2026-12-01 18:00" duration:0m',
     "`0m` is not a positive duration."),
    ('meeting schedule Call "2026-12-01 18:00" remind:abc', "`abc` is not a duration."),
    ('meeting schedule Call "2026-12-01 18:00" remind:15d',
     "A reminder can come at most 14 days before the meeting."),
    ('meeting schedule Call "2026-12-01 18:00" remind:1h,2h,3h,4h,5h,6h',
     "At most 5 reminders per meeting, not 6."),
    ('meeting schedule Call "2026-12-01 18:00" remind:,',
     'remind needs offsets like "24h,1h", or none.'),
    ('meeting schedule Call "2026-12-01 18:00" every:fortnightly',
     "`fortnightly` is not a recurrence I can read"),
    ('meeting schedule Call "2026-12-01 18:00" every:"FREQ=WEEKLY;COUNT=3"',
     "Give the end of a series with until:DATE, not inside the RRULE."),
    ('meeting schedule Call "2026-12-01 18:00" until:2026-12-20',
     "until: only applies to a recurring meeting (with every:)."),
    ('meeting schedule Call "2026-12-01 18:00" every:weekly until:2026-11-30',
     "until 2026-11-30 is before the first meeting."),
    ('meeting schedule Call "2027-03-14 02:30"', "2027-03-14 02:30 does not exist in "
                                                 "America/New_York"),
])
async def test_meeting_errors_are_private_and_change_nothing(
        partners: Chat, db_path: Path, line: str, message: str) -> None:
    await weekly(partners)
    text = await refused_without_change(partners, db_path, "Alice", line)
    assert text.startswith(message), text


async def test_a_meeting_of_another_coalition_is_not_found(partners: Chat,
                                                           db_path: Path) -> None:
    await weekly(partners)
    await weekly(partners, title="Second")
    await partners.ok("Zed", 'coalition setup "Westside" America/Chicago', workspace="other")
    await partners.ok("Zed", 'meeting schedule Theirs "2026-12-03 18:00"', workspace="other")
    for line in ("meeting info 2", "meeting rsvp 2 yes", "meeting cancel 2",
                 'meeting reschedule 2 "2026-12-09 18:00"', "meeting agenda add 2 Hi",
                 "meeting minutes 2", "meeting note 2 info Hi"):
        text = await refused_without_change(partners, db_path, "Zed", line, workspace="other")
        assert text.startswith("There is no meeting #2 in this coalition."), (line, text)
    theirs = await partners.ok("Zed", "meeting info 1", workspace="other")
    assert theirs.title == "Meeting #1: Theirs"
    ours = await partners.ok("Alice", "meeting info 1")
    assert ours.title == "Meeting #1: Call"


async def test_an_action_of_another_coalition_cannot_be_closed(partners: Chat,
                                                               db_path: Path) -> None:
    await weekly(partners)
    await partners.ok("Bob", "meeting note 1 action Book the hall")
    await partners.ok("Zed", 'coalition setup "Westside" America/Chicago', workspace="other")
    text = await refused_without_change(partners, db_path, "Zed", "meeting done 1",
                                        workspace="other")
    assert text.startswith("There is no action #1 in this coalition.")
    assert (await partners.ok("Zed", "meeting actions all", workspace="other")).text == "None."


@pytest.mark.parametrize("rule", ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
                                  "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"])
async def test_a_recurrence_without_any_occurrence_is_a_usage_error(
        coalition: Chat, db_path: Path, rule: str) -> None:
    await refused_without_change(coalition, db_path, "Alice",
                                 f'meeting schedule Call "2026-12-01 18:00" every:"{rule}"')


async def test_the_rsvp_buttons_of_a_moved_occurrence_work(partners: Chat,
                                                           db_path: Path) -> None:
    await weekly(partners)
    await partners.ok("Alice", 'meeting reschedule 1 "2026-12-03 19:00" occurrence:2026-12-01')
    info = await partners.ok("Eve", "meeting info 1")
    assert field(info, "When") == f"Thu 3 Dec 2026, 19:00 {NY}"
    reply = await partners.ok("Bob", info.buttons[0].command)
    assert reply.text == f"Noted: yes for Call on Thu 3 Dec 2026, 19:00 {NY}."
    assert query(db_path, "SELECT occurrence, answer FROM rsvp") == [("2026-12-01T18:00", "yes")]


async def test_a_monthly_rrule_on_two_weekdays_can_be_scheduled(coalition: Chat,
                                                                db_path: Path) -> None:
    reply = await coalition.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" '
                                        'every:"FREQ=MONTHLY;BYDAY=+1TU,+3TU"')
    assert "RRULE FREQ=MONTHLY;BYDAY=+1TU,+3TU" in reply.text
    assert query(db_path, "SELECT rrule FROM meeting") == [("FREQ=MONTHLY;BYDAY=+1TU,+3TU",)]


async def test_moving_a_series_by_an_hour_keeps_a_literal_rrule(partners: Chat,
                                                                db_path: Path) -> None:
    await partners.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" '
                               'every:"FREQ=MONTHLY;BYDAY=TU"')
    info = await partners.ok("Eve", "meeting info 1")
    assert field(info, "Then") == ("Tue 8 Dec 2026, 18:00, Tue 15 Dec 2026, 18:00, "
                                   "Tue 22 Dec 2026, 18:00")
    await partners.ok("Alice", 'meeting reschedule 1 "2026-12-01 19:00"')
    assert query(db_path, "SELECT rrule FROM meeting") == [("FREQ=MONTHLY;BYDAY=TU",)]
    info = await partners.ok("Eve", "meeting info 1")
    assert field(info, "Then") == ("Tue 8 Dec 2026, 19:00, Tue 15 Dec 2026, 19:00, "
                                   "Tue 22 Dec 2026, 19:00")


async def test_moving_a_series_keeps_its_past_occurrences_and_their_minutes(
        partners: Chat, clock: MovableClock) -> None:
    await weekly(partners)
    clock.now = utc(2026, 12, 3, 15)
    await partners.ok("Bob", "meeting note 1 decision We march")
    await partners.ok("Alice", 'meeting reschedule 1 "2026-12-10 17:00"')
    past = await partners.ok("Eve", "meeting list past")
    assert past.text == f"#1 Call: Tue 1 Dec 2026, 18:00 {NY} (every week)"
    minutes = await partners.ok("Eve", "meeting minutes 1 occurrence:2026-12-01")
    assert field(minutes, "Decisions") == "We march"


async def test_moving_a_series_leaves_one_meeting_a_week(partners: Chat) -> None:
    await weekly(partners)
    await partners.ok("Alice", 'meeting reschedule 1 "2026-12-09 12:00" occurrence:2026-12-08')
    await partners.ok("Alice", 'meeting reschedule 1 "2026-12-02 17:00"')
    info = await partners.ok("Eve", "meeting info 1")
    assert field(info, "Then") == ("Wed 9 Dec 2026, 17:00, Wed 16 Dec 2026, 17:00, "
                                   "Wed 23 Dec 2026, 17:00")


# --- update: title, place, length, reminders ----------------------------------------------


async def test_update_changes_the_place_and_reminders_of_every_occurrence(
        coalition: Chat) -> None:
    await weekly(coalition, extra="where:https://meet.example/old")
    reply = await coalition.ok("Alice", "meeting update 1 where:https://meet.example/new "
                                        "remind:2h duration:90m")
    assert reply.title == "Meeting #1 updated: where, duration, reminders"
    assert reply.text == ("Call: every week; 90 min; at https://meet.example/new; "
                          "reminders 2h before.")
    info = await coalition.ok("Bob", "meeting info 1 occurrence:2026-12-15")
    assert "at https://meet.example/new" in field(info, "Details")


async def test_update_renames_and_clears_the_place(coalition: Chat) -> None:
    await weekly(coalition, extra="where:Library")
    reply = await coalition.ok("Alice", 'meeting update 1 title:"Strategy call" where:none')
    assert reply.title == "Meeting #1 updated: title, where"
    assert "at Library" not in reply.text
    assert reply.text.startswith("Strategy call: ")
    assert "Strategy call" in (await coalition.ok("Bob", "meeting list")).text


async def test_an_update_that_changes_nothing_says_so(coalition: Chat) -> None:
    await weekly(coalition)
    reply = await coalition.ok("Alice", 'meeting update 1 remind:"24h,1h"')
    assert reply.private
    assert "already" in reply.text


@pytest.mark.parametrize(("user", "line", "expected"), [
    ("Alice", "meeting update 1", "Say what to change"),
    ("Alice", "meeting update 1 duration:25h", "between 1 minute and 24 hours"),
    ("Alice", "meeting update 1 remind:soon", "`soon` is not a duration"),
    ("Alice", "meeting update 2 where:Hall", "no meeting #2"),
    ("Bob", "meeting update 1 where:Hall", "coordinator"),
])
async def test_an_update_that_cannot_be_done_changes_nothing(
        coalition: Chat, db_path: Path, user: str, line: str, expected: str) -> None:
    await weekly(coalition)
    assert expected in await refused_without_change(coalition, db_path, user, line)


async def test_a_cancelled_meeting_is_not_updated(coalition: Chat, db_path: Path) -> None:
    await weekly(coalition)
    await coalition.ok("Alice", "meeting cancel 1 occurrence:all")
    message = await refused_without_change(coalition, db_path, "Alice",
                                           "meeting update 1 where:Hall")
    assert "cancelled" in message


# --- far ahead, cancelled dates, impossible rules ---------------------------------------


async def test_a_one_off_meeting_more_than_400_days_ahead_is_scheduled(coalition: Chat) -> None:
    reply = await coalition.ok("Alice", 'meeting schedule "General assembly" '
                                        '"2028-06-01 18:00"')
    assert reply.text.startswith("First: Thu 1 Jun 2028, 18:00 (America/New_York).")
    info = await coalition.ok("Bob", "meeting info 1")
    assert field(info, "When") == "Thu 1 Jun 2028, 18:00 (America/New_York)"


async def test_a_series_starting_more_than_400_days_ahead_is_scheduled(coalition: Chat) -> None:
    reply = await weekly(coalition, when="2028-06-06 18:00")
    assert reply.text.startswith("First: Tue 6 Jun 2028, 18:00")


async def test_list_shows_meetings_however_far_ahead(coalition: Chat) -> None:
    await coalition.ok("Alice", 'meeting schedule "Spring retreat" "2027-04-10 10:00"')
    await coalition.ok("Alice", 'meeting schedule "General assembly" "2028-06-01 18:00"')
    await weekly(coalition)
    listed = await coalition.ok("Bob", "meeting list")
    assert listed.text.splitlines() == [
        f"#3 Call: Tue 1 Dec 2026, 18:00 {NY} (every week)",
        f"#1 Spring retreat: Sat 10 Apr 2027, 10:00 {NY} (once)",
        f"#2 General assembly: Thu 1 Jun 2028, 18:00 {NY} (once)"]


async def test_info_of_a_cancelled_date_promises_no_reminder_for_it(partners: Chat) -> None:
    await weekly(partners)
    await partners.ok("Alice", "meeting cancel 1 occurrence:2026-12-08")
    info = await partners.ok("Eve", "meeting info 1 occurrence:2026-12-08")
    assert field(info, "When") == f"Tue 8 Dec 2026, 18:00 {NY} (cancelled)"
    assert field(info, "Next reminder") == (
        "none for this date: it is cancelled (the next one: Mon 14 Dec 2026, 18:00 "
        f"{NY})")
    await partners.ok("Alice", "meeting cancel 1 occurrence:2026-12-15")
    info = await partners.ok("Eve", "meeting info 1 occurrence:2026-12-15")
    assert field(info, "Next reminder").startswith("none for this date: it is cancelled")
    assert "Tue 15 Dec" not in field(info, "Next reminder")


async def test_an_impossible_recurrence_is_refused_quickly_and_changes_nothing(
        coalition: Chat, db_path: Path) -> None:
    began = time.perf_counter()
    message = await refused_without_change(
        coalition, db_path, "Alice",
        'meeting schedule Call "2026-12-01 18:00" every:"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"')
    assert "never happens: February never has a 30th day" in message
    assert time.perf_counter() - began < 0.5  # it took seconds, blocking every coalition


async def test_moving_a_series_to_a_day_its_rule_never_has_is_refused(
        coalition: Chat, db_path: Path) -> None:
    await coalition.ok("Alice", 'meeting schedule Annual "2027-02-10 18:00" '
                                'every:"FREQ=YEARLY;BYMONTH=2"')
    began = time.perf_counter()
    message = await refused_without_change(coalition, db_path, "Alice",
                                           'meeting reschedule 1 "2027-01-30 18:00"')
    assert "February never has a 30th day (the first meeting's day)" in message
    assert time.perf_counter() - began < 0.5
