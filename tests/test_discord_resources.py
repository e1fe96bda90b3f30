"""/resource through the real discord.py client, command tree and adapter, against the
fake Discord: typed options, buttons for match, take and close (in a direct message too),
autocomplete of item numbers. The clock starts on Monday 23 November 2026, 15:00 UTC."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fake_discord import BOB, CHANNEL_ID, CHEN, ERIN, GUILD_ID, World, command_payload


@pytest.fixture
async def coalition_world(tmp_path: Path):
    async with World.open(tmp_path) as w:
        await w.coalition()
        await w.ok("coalition rep add", user=CHEN, org="Climate Now")
        yield w


async def test_offer_ask_match_take_and_close_with_buttons(coalition_world: World) -> None:
    # `by` is also the driver's word for who runs a command: build that payload by hand
    asked = await coalition_world.answer(command_payload(
        "resource ask", {"text": "Spanish canvassers for Saturday", "tags": "spanish,canvass",
                         "by": "2026-12-05"}, by=CHEN, guild=GUILD_ID, channel=CHANNEL_ID))
    assert asked.message is not None, asked.message
    assert not asked.message.is_error, asked.message
    assert asked.message.ephemeral
    assert "Ask #1 posted for Climate Now" in asked.message.text
    offered = await coalition_world.ok("resource offer", text="Volunteers who canvass in Spanish",
                                       tags="spanish", until="2026-12-31", by=BOB)
    assert "Offer #2 posted for Tenants United" in offered.text
    listed = await coalition_world.ok("resource list", which="offers", by=ERIN)
    assert "Offer #2" in listed.text
    assert "Ask #1" not in listed.text

    matches = dict(asked.message.buttons)["Find matches"]
    assert matches == "cb:resource match 1"
    found = await coalition_world.click(matches, "Find matches", by=CHEN)
    assert found.message is not None
    assert "score 4" in found.message.text
    use = dict(found.message.buttons)["Use offer #2"]
    start = len(coalition_world.fake.calls)
    taken = await coalition_world.click(use, "Use offer #2", by=CHEN)
    assert taken.message is not None
    assert taken.message.ephemeral
    assert "Climate Now will use Tenants United's offer #2" in taken.message.text
    home = await coalition_world.posted(start)
    assert [s.text.splitlines()[0] for s in home] == [
        "Climate Now will use Tenants United's offer #2"]

    (dm,) = coalition_world.direct(start)  # Bob, privately
    assert "Climate Now will use your offer #2" in dm.text
    (label, custom_id), = dm.buttons
    assert custom_id == f"cb@{GUILD_ID}:resource close 2 met"
    dm_channel = int(coalition_world.fake.find("POST", "/channels/", start)[-1].path.split("/")[2])
    assert dm_channel != CHANNEL_ID
    refused = await coalition_world.click(custom_id, label, by=CHEN, guild=None, channel=dm_channel)
    assert refused.message is not None
    assert refused.message.is_error
    closed = await coalition_world.click(custom_id, label, by=BOB, guild=None, channel=dm_channel)
    assert closed.message is not None, closed.message.text
    assert not closed.message.is_error, closed.message.text
    assert "Offer #2 closed as met" in closed.message.text
    with sqlite3.connect(coalition_world.db_path) as conn:
        assert conn.execute("SELECT number, status FROM resource ORDER BY number").fetchall() \
            == [(1, "open"), (2, "met")]


async def test_item_numbers_autocomplete_with_open_items_only(coalition_world: World) -> None:
    await coalition_world.ok("resource offer", text="Meeting hall", by=BOB)
    await coalition_world.ok("resource ask", text="Lawyer for eviction cases", by=CHEN)
    await coalition_world.ok("resource close", item="1", status="withdrawn", by=BOB)
    choices = await coalition_world.autocomplete("resource take", "item", "", by=BOB)
    assert [(c["name"], c["value"]) for c in choices] == [
        ("#2 ask of Climate Now: Lawyer for eviction cases", "2")]


async def test_a_member_cannot_post_on_discord(coalition_world: World) -> None:
    answer = await coalition_world.command("resource offer", text="Meeting hall", by=ERIN)
    assert answer.message is not None
    assert answer.message.is_error
    assert "is for representatives" in answer.message.text
