"""Meetings and roles end to end: scripts piped into the real `coalition-bot console`.

The console runs on the real clock, so the script says "tomorrow 6pm" and the test works
out which date that is in New York.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from console_support import answer, console, db_rows
from icalendar import Calendar

NY = ZoneInfo("America/New_York")

SETUP = """\
coalition setup "Eastside Tenants" America/New_York
coalition org add "Tenants United"
coalition org add "Climate Now"
coalition org add "Food Bank"
coalition rep add Bob "Tenants United"
coalition rep add Carol "Tenants United"
coalition rep add Dan "Climate Now"
"""

MEETING = """\
meeting schedule "Strategy call" "tomorrow 6pm" every:weekly duration:90m where:"Room 4"
meeting schedule "Other call" friday
/as Bob
meeting rsvp 1 yes
meeting agenda add 1 Rent strike *plan*
/as Carol
meeting rsvp 1 maybe
/as Dan
meeting rsvp 1 yes
meeting agenda add 1 # Budget
/as Eve
meeting rsvp 1 no
meeting info 1
/as Bob
meeting note 1 action Book the hall owner:Dan due:"in 3 days"
meeting note 1 action Print flyers
meeting note 1 action Call the press
meeting note 1 action Order chairs
meeting note 1 decision We march on *May 1*
meeting note 1 info The hall holds 200
meeting minutes 1
meeting ical
/as Alice
role create "Press contact" Talks to journalists
role create Treasurer
role create "Note taker"
role create Host
role create Outreach
role assign "Press contact" Bob
role assign Treasurer Bob
role assign "Note taker" Bob
role assign Host Dan
role assign Outreach Carol org:"Climate Now"
role workload
meeting list
"""






def shown(day: date) -> str:
    """A date as the bot shows it: `Tue 24 Nov 2026`."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def run_meeting_script(tmp_path: Path) -> tuple[list[str], date]:
    """Run SETUP + MEETING; the output and the date "tomorrow" meant."""
    before = datetime.now(NY).date() + timedelta(days=1)
    lines = console(tmp_path, SETUP + MEETING)
    after = datetime.now(NY).date() + timedelta(days=1)
    [(start,)] = db_rows(tmp_path, "SELECT start_local FROM meeting")
    tomorrow = datetime.fromisoformat(start).date()
    assert tomorrow in (before, after)  # the script may run across midnight
    return lines, tomorrow


def test_a_weekly_meeting_from_rsvps_to_minutes_calendar_and_workload(tmp_path: Path) -> None:
    lines, tomorrow = run_meeting_script(tmp_path)
    when = f"{shown(tomorrow)}, 18:00 (America/New_York)"

    # schedule, and an ambiguous time refused with its reading
    scheduled = answer(lines, "Alice", 'meeting schedule "Strategy call" "tomorrow 6pm" '
                                       'every:weekly duration:90m where:"Room 4"')
    assert scheduled[:3] == ["== Meeting #1: Strategy call ==", f"First: {when}.",
                             "every week; 90 min; at Room 4; reminders 1d, 1h before."]
    assert f"  [Going] → meeting rsvp 1 yes occurrence:{tomorrow:%Y-%m-%d}" in scheduled
    refused = answer(lines, "Alice", 'meeting schedule "Other call" friday')
    assert refused[0].startswith("! `friday` is ambiguous: it gives no time of day. I would "
                                 "have read it as Fri ")
    assert db_rows(tmp_path, "SELECT number, title FROM meeting") == [(1, "Strategy call")]

    # RSVPs from several people and organizations
    assert answer(lines, "Bob", "meeting rsvp 1 yes") == [
        f"(only you) Noted: yes for Strategy call on {when}."]
    info = answer(lines, "Eve", "meeting info 1")
    assert info[:11] == [
        "== Meeting #1: Strategy call ==",
        f"  When: {when}",
        "  Details: every week; 90 min; at Room 4; reminders 1d, 1h before",
        "  RSVPs: yes 2, maybe 1, no 1",
        "    yes: Bob, Dan",
        "    maybe: Carol",
        "    no: Eve",
        "  Organizations represented: Tenants United, Climate Now",
        "  Agenda: 1. Rent strike *plan* (Bob)",
        "    2. # Budget (Dan)",
        "  Then: " + ", ".join(f"{shown(tomorrow + timedelta(weeks=n))}, 18:00"
                               for n in (1, 2, 3)),
    ]
    assert sorted(db_rows(tmp_path, "SELECT p.display_name, r.answer, r.occurrence FROM rsvp r"
                                    " JOIN person p ON p.id = r.person_id")) == [
        (name, said, f"{tomorrow:%Y-%m-%d}T18:00")
        for name, said in (("Bob", "yes"), ("Carol", "maybe"), ("Dan", "yes"), ("Eve", "no"))]

    # minutes: the reply, and the Markdown file written next to the database
    minutes = answer(lines, "Bob", "meeting minutes 1")
    md = tmp_path / f"minutes-meeting-1-{tomorrow:%Y-%m-%d}.md"
    assert minutes[0] == f"== Minutes: Strategy call, {when} =="
    assert "  Attendees: Bob, Dan" in minutes
    assert minutes[-1] == f"(only you) File written: {md}"
    doc = md.read_text(encoding="utf-8").splitlines()
    assert doc[:9] == ["# Strategy call: minutes", "", f"Eastside Tenants, {when}", "",
                       "## Attendees", "", "- Bob", "- Dan", ""]
    assert "Organizations represented: Tenants United, Climate Now" in doc
    assert doc[doc.index("## Decisions") + 2] == "- We march on \\*May 1\\*"
    actions = doc[doc.index("## Action items") + 2:doc.index("## Information") - 1]
    assert len(actions) == 4
    assert re.fullmatch(r"- #1 Book the hall \(Dan, due \w{3} \d{1,2} \w{3} \d{4}, "
                        r"\d\d:\d\d \(America/New_York\)\)", actions[0]), actions[0]
    assert actions[1:] == ["- #2 Print flyers (Bob)", "- #3 Call the press (Bob)",
                           "- #4 Order chairs (Bob)"]
    assert doc[-1] == "- The hall holds 200"
    [(due,)] = db_rows(tmp_path, "SELECT due_at FROM note WHERE action_number = 1")
    in_three_days = datetime.now(UTC) + timedelta(days=3)
    assert abs(datetime.fromisoformat(due) - in_three_days) < timedelta(minutes=5)

    # the calendar file
    ics = tmp_path / "coalition-meetings.ics"
    assert answer(lines, "Bob", "meeting ical")[-1] == f"(only you) File written: {ics}"
    cal = Calendar.from_ical(ics.read_text(encoding="utf-8"))
    [event] = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Strategy call"
    assert str(event["LOCATION"]) == "Room 4"
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY"
    start = event.decoded("DTSTART")
    assert start == datetime(tomorrow.year, tomorrow.month, tomorrow.day, 18, 0, tzinfo=NY)
    assert start.utcoffset() is not None
    assert event.decoded("DTEND").astimezone(UTC) - start.astimezone(UTC) == timedelta(
        minutes=90)

    # roles and a workload with a flagged imbalance
    assert answer(lines, "Alice", 'role assign Outreach Carol org:"Climate Now"') == [
        "Carol is now Outreach for Climate Now."]
    workload = answer(lines, "Alice", "role workload")
    assert workload == [
        "== Workload ==",
        "Uneven: Bob more than twice the median load; Food Bank carries nothing.",
        "  People: Bob: 3 role(s) (Press contact, Treasurer, Note taker), 3 open action(s)"
        "  ⚠ more than twice the median load",
        "    Dan: 1 role(s) (Host), 1 open action(s)",
        "    Carol: 1 role(s) (Outreach), 0 open action(s)",
        "  Organizations: Tenants United: 3 role(s) (Press contact, Treasurer, Note taker), "
        "3 open action(s)",
        "    Climate Now: 2 role(s) (Host, Outreach), 1 open action(s)",
        "    Food Bank: 0 role(s), 0 open action(s)  ⚠ carries nothing",
    ]
    assert answer(lines, "Alice", "meeting list") == [
        "== Meetings (upcoming) ==", f"#1 Strategy call: {when} (every week)"]


def test_a_later_session_finds_the_meeting_roles_and_actions_again(tmp_path: Path) -> None:
    _, tomorrow = run_meeting_script(tmp_path)
    lines = console(tmp_path, """\
/as Dan
role mine
meeting actions mine
meeting done 1
/as Eve
meeting done 2
/as Alice
meeting cancel 1
meeting info 1
role workload
""")
    mine = answer(lines, "Dan", "role mine")
    assert mine[:2] == ["(only you) == What you carry ==", "  Roles: Host"]
    assert re.fullmatch(r"  Open action items: #1 Book the hall \(due \w{3} \d{1,2} \w{3} "
                        r"\d{4}, \d\d:\d\d \(America/New_York\)\)", mine[2]), mine
    assert len(mine) == 3
    assert answer(lines, "Dan", "meeting done 1") == ["Action #1 done: Book the hall"]
    refused = answer(lines, "Eve", "meeting done 2")
    assert refused[0] == ("! Action #2 belongs to Bob; they, whoever wrote it down, or a "
                          "coordinator can mark it done.")
    cancelled = answer(lines, "Alice", "meeting cancel 1")
    assert cancelled[:2] == [
        "== Meeting #1 cancelled ==",
        f"Strategy call: cancelled the occurrence on {shown(tomorrow)}, 18:00 "
        "(America/New_York)."]
    assert "📣 == Meeting #1 Strategy call: cancelled ==" in cancelled  # the home channel
    info = answer(lines, "Alice", "meeting info 1")
    next_week = tomorrow + timedelta(weeks=1)
    assert info[1] == f"  When: {shown(next_week)}, 18:00 (America/New_York)"
    workload = answer(lines, "Alice", "role workload")
    assert "    Dan: 1 role(s) (Host), 0 open action(s)" in workload
    assert db_rows(tmp_path, "SELECT action_number FROM note WHERE done_at IS NOT NULL") == [
        (1,)]
    assert db_rows(tmp_path, "SELECT occurrence, cancelled FROM meeting_change") == [
        (f"{tomorrow:%Y-%m-%d}T18:00", 1)]


def test_health_writes_its_chart_next_to_the_database(tmp_path: Path) -> None:
    lines = console(tmp_path, SETUP + "coalition health\n")
    png = tmp_path / "health.png"
    assert answer(lines, "Alice", "coalition health")[-1] == f"(only you) File written: {png}"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
