"""Agenda upkeep: remove an item, move one to another position."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Chat, refused_without_change


@pytest.fixture
async def agenda(partners: Chat) -> Chat:
    await partners.ok("Alice", 'meeting schedule Strategy "2026-11-24 18:00"')
    for who, text in (("Bob", "Rent strike"), ("Dan", "Budget"), ("Eve", "Flyers"),
                      ("Bob", "Next march")):
        await partners.ok(who, f"meeting agenda add 1 {text}")
    return partners


async def items(chat: Chat) -> list[str]:
    reply = await chat.ok("Eve", "meeting agenda 1")
    return [f.name + " " + f.value for f in reply.fields] or reply.text.splitlines()


async def test_move_and_remove_keep_the_order(agenda: Chat) -> None:
    reply = await agenda.ok("Alice", "meeting agenda move 1 4 1")
    assert reply.text == "1. Next march\n2. Rent strike\n3. Budget\n4. Flyers"
    reply = await agenda.ok("Alice", "meeting agenda move 1 1 3")
    assert reply.text == "1. Rent strike\n2. Budget\n3. Next march\n4. Flyers"
    removed = await agenda.ok("Dan", "meeting agenda remove 1 2")
    assert removed.text.endswith(": Budget")
    shown = "\n".join(await items(agenda))
    assert shown.index("Rent strike") < shown.index("Next march") < shown.index("Flyers")
    assert "Budget" not in shown


async def test_refusals_change_nothing(agenda: Chat, db_path: Path) -> None:
    message = await refused_without_change(agenda, db_path, "Eve", "meeting agenda remove 1 1")
    assert "added by someone else" in message
    message = await refused_without_change(agenda, db_path, "Bob", "meeting agenda move 1 1 2")
    assert "coordinators" in message
    message = await refused_without_change(agenda, db_path, "Alice", "meeting agenda move 1 1 9")
    assert "must be 1 to 4, not 9" in message
    message = await refused_without_change(agenda, db_path, "Alice",
                                           "meeting agenda remove 1 7")
    assert "has no item 7 (it has 4)" in message
