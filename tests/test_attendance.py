"""`/meeting attended`: who actually came, per occurrence; the minutes list them."""

from __future__ import annotations

from pathlib import Path

from helpers import Chat, MovableClock, field, query, refused_without_change


async def test_minutes_list_who_came_not_who_said_yes(partners: Chat,
                                                      clock: MovableClock) -> None:
    await partners.ok("Alice", 'meeting schedule Strategy "2026-11-24 18:00"')
    await partners.ok("Bob", "meeting rsvp 1 yes")
    await partners.ok("Dan", "meeting rsvp 1 yes")
    assert field(await partners.ok("Alice", "meeting minutes 1"), "Attendees") == "Bob, Dan"
    clock.advance(days=1, hours=9)
    reply = await partners.ok("Bob", "meeting attended 1 Bob, Eve")
    assert reply.private
    assert reply.text == ("Recorded 2 attendee(s) of Strategy on Tue 24 Nov 2026, 18:00 "
                          "(America/New_York): Bob, Eve.")
    again = await partners.ok("Bob", "meeting attended 1 Eve")
    assert "(1 already recorded)" in again.text
    minutes = await partners.ok("Alice", "meeting minutes 1")
    assert field(minutes, "Attendees") == "Bob, Eve"
    assert "## Attendees\n\n- Bob\n- Eve\n" in minutes.files[0].content


async def test_attendance_of_a_meeting_still_to_come_is_refused(partners: Chat,
                                                                db_path: Path) -> None:
    await partners.ok("Alice", 'meeting schedule Strategy "2026-11-24 18:00"')
    message = await refused_without_change(partners, db_path, "Bob", "meeting attended 1 Dan")
    assert "has not started yet" in message
    message = await refused_without_change(partners, db_path, "Eve", "meeting attended 1 Dan")
    assert "representative" in message
    assert query(db_path, "SELECT count(*) FROM attendance") == [(0,)]
