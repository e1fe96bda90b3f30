"""Action items that do not get lost: edit, reassign (the new owner is told), reopen."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Chat, query, refused_without_change

from coalition_bot.services.people import console_user_id

NY = "(America/New_York)"


@pytest.fixture
async def action(partners: Chat) -> Chat:
    """Action #1, Bob's, written down by Bob at the 24 November meeting."""
    await partners.ok("Alice", 'meeting schedule Strategy "2026-11-24 18:00"')
    await partners.ok("Bob", 'meeting note 1 action Book the hall due:"2026-12-10 17:00"')
    return partners


async def test_edit_changes_text_and_due_time(action: Chat, db_path: Path) -> None:
    reply = await action.ok("Bob", 'meeting action edit 1 text:"Book the big hall" '
                                   'due:"2026-12-11 12:00"')
    assert reply.text == (f"Action #1 Book the big hall (Bob, due Fri 11 Dec 2026, 12:00 {NY}) "
                          "updated.")
    reply = await action.ok("Alice", "meeting action edit 1 due:none")
    assert reply.text == "Action #1 Book the big hall (Bob) updated."
    assert query(db_path, "SELECT text, due_at FROM note") == [("Book the big hall", None)]


async def test_edit_refusals_change_nothing(action: Chat, db_path: Path) -> None:
    message = await refused_without_change(action, db_path, "Bob", "meeting action edit 1")
    assert "Say what to change" in message
    message = await refused_without_change(action, db_path, "Eve",
                                           "meeting action edit 1 text:Mine")
    assert "belongs to Bob" in message
    message = await refused_without_change(action, db_path, "Bob",
                                           "meeting action edit 9 text:Other")
    assert "There is no action #9" in message
    message = await refused_without_change(action, db_path, "Bob",
                                           "meeting action edit 1 due:whenever")
    assert "whenever" in message


async def test_reassign_tells_the_new_owner_privately(action: Chat, db_path: Path) -> None:
    reply = await action.ok("Bob", "meeting action reassign 1 Dan")
    assert reply.text == (f"Action #1 Book the hall (Dan, due Thu 10 Dec 2026, 17:00 {NY}) "
                          "reassigned. Dan was told.")
    ((who, notice),) = action.outlet.private
    assert who == console_user_id("Dan")
    assert notice.title == "Action #1 is yours now"
    assert notice.text == ("Book the hall\nBob gave it to you (meeting #1). It is due "
                           f"Thu 10 Dec 2026, 17:00 {NY}.")
    assert [(b.label, b.command) for b in notice.buttons] == [("Mark done", "meeting done 1")]
    again = await action.ok("Dan", "meeting action reassign 1 Dan")
    assert again.private
    assert again.text == "Action #1 already is Dan's."
    assert len(action.outlet.private) == 1
    message = await refused_without_change(action, db_path, "Eve",
                                           "meeting action reassign 1 Eve")
    assert "belongs to Dan" in message


async def test_reopen_a_done_item(action: Chat, db_path: Path) -> None:
    message = await refused_without_change(action, db_path, "Bob", "meeting action reopen 1")
    assert message == "Action #1 is not done: nothing to reopen."
    await action.ok("Bob", "meeting done 1")
    reply = await action.ok("Alice", "meeting action reopen 1")
    assert reply.text.endswith("is open again.")
    assert query(db_path, "SELECT done_at, done_by FROM note") == [(None, None)]
    assert "#1 Book the hall" in (await action.ok("Eve", "meeting actions")).text
