"""Changes that affect people reach them, privately: a vote changed by a
co-representative, a join request, a meeting occurrence cancelled or moved."""

from __future__ import annotations

import pytest
from helpers import Chat

from coalition_bot.services.people import console_user_id


def told(chat: Chat, user: str) -> list[str]:
    """Titles of the private notices a console user got."""
    return [n.title for uid, n in chat.outlet.private if uid == console_user_id(user)]


@pytest.fixture
async def co_representatives(coalition: Chat) -> Chat:
    await coalition.ok("Alice", 'coalition rep add Carol "Tenants United"')
    await coalition.ok("Alice", "poll create Join the march?")
    return coalition


async def test_a_representative_is_told_when_a_co_representative_changes_the_vote(
        co_representatives: Chat) -> None:
    await co_representatives.ok("Bob", "poll vote 1 agree")
    await co_representatives.ok("Carol", "poll vote 1 disagree")
    assert told(co_representatives, "Bob") == ["Poll #1: Tenants United's vote was changed"]
    (notice,) = [n for _, n in co_representatives.outlet.private]
    assert "Carol changed Tenants United's vote from agree (cast by you) to disagree." \
        in notice.text
    assert told(co_representatives, "Carol") == []


async def test_nobody_is_told_of_their_own_change_or_of_the_same_choice(
        co_representatives: Chat) -> None:
    await co_representatives.ok("Bob", "poll vote 1 agree")
    await co_representatives.ok("Bob", "poll vote 1 disagree")
    await co_representatives.ok("Carol", "poll vote 1 disagree")
    assert co_representatives.outlet.private == []


async def test_a_join_request_reaches_the_coordinators_and_the_org_list(
        coalition: Chat) -> None:
    await coalition.ok("Alice", "coalition coordinator add Erin")
    await coalition.ok("Dan", 'coalition join "Climate Now"')
    assert told(coalition, "Alice") == ["Dan asks to represent Climate Now"]
    assert told(coalition, "Erin") == ["Dan asks to represent Climate Now"]
    listed = await coalition.ok("Bob", "coalition org list")
    assert [f.value for f in listed.fields if f.name == "#2 Climate Now"] == [
        "no representative yet\nAsked to join: Dan"]
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    listed = await coalition.ok("Bob", "coalition org list")
    assert [f.value for f in listed.fields if f.name == "#2 Climate Now"] == ["Dan"]


@pytest.mark.parametrize(("line", "what"), [
    ("meeting cancel 1 occurrence:2026-12-08", "cancelled"),
    ('meeting reschedule 1 "2026-12-09 18:00" occurrence:2026-12-08',
     "moved to Wed 9 Dec 2026, 18:00 (America/New_York)"),
])
async def test_a_cancelled_or_moved_occurrence_is_announced_and_its_yes_people_told(
        coalition: Chat, line: str, what: str) -> None:
    await coalition.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" every:weekly')
    await coalition.ok("Bob", "meeting rsvp 1 yes occurrence:2026-12-08")
    await coalition.ok("Dan", "meeting rsvp 1 no occurrence:2026-12-08")
    await coalition.ok("Alice", line)
    title = f"Meeting #1 Call: {what}"
    assert coalition.notices[-1].title == title
    assert coalition.notices[-1].text.startswith("The occurrence of Tue 8 Dec 2026, 18:00")
    assert told(coalition, "Bob") == [title]
    assert told(coalition, "Dan") == []
