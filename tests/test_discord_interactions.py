"""Buttons, autocomplete and forms through the real discord.py client and adapter."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from fake_discord import BOB, CHEN, ERIN, GUILD_ID, World, command_payload

from coalition_bot.adapters.discord.modals import MORE_ID
from coalition_bot.replies import Button, Notice


def votes(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT voter, choice FROM vote ORDER BY voter").fetchall()


# ---- buttons --------------------------------------------------------------------------


async def test_a_vote_button_runs_its_command_as_the_clicking_user(world: World) -> None:
    await world.coalition()
    created = await world.ok("poll create", question="Join the May Day march?")
    buttons = dict(created.buttons)
    assert buttons["agree"] == "cb:poll vote 1 agree"
    answer = await world.click(buttons["agree"], "agree", by=BOB)
    assert answer.type == 4
    assert answer.message is not None
    assert answer.message.ephemeral
    assert "Recorded Tenants United's vote on poll #1: agree" in answer.message.text
    assert len(votes(world.db_path)) == 1
    # a member who represents no organization is told so, privately, and nothing changes
    refused = await world.click(buttons["disagree"], "disagree", by=ERIN)
    assert refused.message is not None
    assert refused.message.ephemeral
    assert refused.message.is_error
    assert len(votes(world.db_path)) == 1


async def test_buttons_keep_working_after_a_restart(world: World) -> None:
    await world.coalition()
    created = await world.ok("poll create", question="Endorse the tenant union?")
    custom_id = dict(created.buttons)["disagree"]
    await world.restart()  # a new client and a new bot process state on the same file
    assert world.fake.connections == 2
    answer = await world.click(custom_id, "disagree", by=BOB)
    assert answer.message is not None
    assert "Recorded Tenants United's vote on poll #1: disagree" in answer.message.text
    assert [c for _, c in votes(world.db_path)] == ["disagree"]


async def test_a_meeting_rsvp_button(world: World) -> None:
    await world.coalition()
    scheduled = await world.ok("meeting schedule", title="Call", when="2026-12-01 18:00")
    going = dict(scheduled.buttons)["Going"]
    answer = await world.click(going, "Going", by=CHEN)
    assert answer.message is not None
    assert answer.message.ephemeral
    assert not answer.message.is_error, answer.message.text


async def test_a_button_in_a_direct_message_runs_in_the_coalition_it_came_from(
        world: World) -> None:
    await world.coalition()
    await world.ok("meeting schedule", title="Call", when="2026-11-23 10:30")
    world.clock.advance(minutes=45)  # the meeting is on
    await world.ok("meeting note", meeting="1", kind="action", text="Book the hall",
                   owner=CHEN, by=BOB)
    start = len(world.fake.calls)
    await world.door.post_private(str(CHEN.id), Notice(
        1, "Action #1 is due", "Book the hall",
        buttons=(Button("Mark done", "meeting done 1", "primary"),)))
    (dm,) = world.direct(start)
    (label, custom_id), = dm.buttons
    assert custom_id == f"cb@{GUILD_ID}:meeting done 1"
    dm_channel = int(world.fake.find("POST", "/channels/", start)[0].path.split("/")[2])
    done = await world.click(custom_id, label, by=CHEN, guild=None, channel=dm_channel)
    assert done.message is not None, done.message.text
    assert not done.message.is_error, done.message.text
    with sqlite3.connect(world.db_path) as conn:
        assert conn.execute("SELECT done_at IS NOT NULL FROM note").fetchall() == [(1,)]


async def test_a_custom_id_that_is_no_command_is_answered_with_help(world: World) -> None:
    await world.coalition()
    answer = await world.click("cb:poll explode 1", "?", by=BOB)
    assert answer.message is not None
    assert answer.message.is_error
    assert "has no subcommand" in answer.message.text


# ---- autocomplete ---------------------------------------------------------------------


async def test_autocomplete_suggests_open_polls_only(world: World) -> None:
    await world.coalition()
    await world.ok("poll create", question="First question")
    await world.ok("poll create", question="Second question")
    await world.ok("poll create", question="Third question")
    await world.ok("poll close", poll="2", confirm="yes")
    choices = await world.autocomplete("poll vote", "poll", "", by=BOB)
    assert [(c["name"], c["value"]) for c in choices] == [
        ("#3 Third question", "3"), ("#1 First question", "1")]
    assert [c["value"] for c in await world.autocomplete("poll vote", "poll", "#1")] == ["1"]
    assert [c["value"] for c in await world.autocomplete("poll status", "poll", "thi")] == ["3"]


async def test_autocomplete_organizations_meetings_actions_and_zones(world: World) -> None:
    await world.coalition()
    orgs = await world.autocomplete("coalition rep add", "org", "cli", user=CHEN)
    assert [(c["name"], c["value"]) for c in orgs] == [("Climate Now", "Climate Now")]
    await world.ok("meeting schedule", title="Strategy call", when="2026-12-01 18:00")
    meetings = await world.autocomplete("meeting rsvp", "meeting", "")
    assert meetings == [{"name": "#1 Strategy call (Tue 1 Dec, 18:00)", "value": "1"}]
    world.clock.advance(days=8, hours=4)
    await world.ok("meeting note", meeting="1", kind="action", text="Call the council",
                   owner=CHEN)
    actions = await world.autocomplete("meeting done", "action", "coun")
    assert actions == [{"name": "#1 Call the council (Chen)", "value": "1"}]
    zones = await world.autocomplete("coalition setup", "timezone", "new_y", name="X")
    assert zones[0]["value"] == "America/New_York"


async def test_autocomplete_never_shows_another_servers_coalition(world: World) -> None:
    await world.coalition()
    await world.ok("poll create", question="Secret plans")
    payload = command_payload("poll vote", {"poll": ""}, by=BOB, guild=GUILD_ID + 1,
                              channel=1, focused="poll")
    answer = await world.answer(payload)
    assert answer.type == 8
    assert answer.choices == []


# ---- forms ----------------------------------------------------------------------------


def form_inputs(callback: dict) -> dict[str, dict]:
    """custom_id → text input of a modal callback, whatever its layout."""
    out = {}
    for component in callback["data"]["components"]:
        inner = component.get("component") or component["components"][0]
        out[inner["custom_id"]] = inner
    return out


async def test_poll_create_with_no_options_opens_a_form_whose_submission_creates_it(
        world: World) -> None:
    await world.coalition()
    opened = await world.command("poll create")
    assert opened.type == 9  # MODAL
    assert opened.callback["data"]["custom_id"] == "cbf:poll create"
    inputs = form_inputs(opened.callback)
    assert list(inputs) == ["question", "choices", "closes", "details", MORE_ID]
    assert inputs["question"]["required"]
    assert not inputs["closes"]["required"]
    submitted = await world.submit("cbf:poll create", {
        "question": "Move the rally to May 2?", "choices": "", "closes": "friday 17:00",
        "details": "", MORE_ID: 'rule:consensus anonymous:yes'})
    assert submitted.message is not None
    assert not submitted.message.is_error
    assert "Poll #1: Move the rally to May 2?" in submitted.message.text
    with sqlite3.connect(world.db_path) as conn:
        assert conn.execute("SELECT rule, anonymous FROM poll").fetchall() == [("consensus", 1)]


async def test_meeting_schedule_form(world: World) -> None:
    await world.coalition()
    opened = await world.command("meeting schedule")
    assert opened.type == 9
    assert list(form_inputs(opened.callback)) == ["title", "when", "every", "where", MORE_ID]
    submitted = await world.submit("cbf:meeting schedule", {
        "title": "Strategy call", "when": "2026-12-01 18:00", "every": "weekly",
        "where": "Room 4", MORE_ID: "duration:90m remind:none"})
    assert submitted.message is not None
    assert "Meeting #1: Strategy call" in submitted.message.text
    assert "90 min" in submitted.message.text


async def test_a_form_with_a_bad_extra_option_gets_a_private_error(world: World) -> None:
    await world.coalition()
    bad = await world.submit("cbf:poll create", {"question": "Q?", MORE_ID: "consensus"})
    assert bad.message is not None
    assert bad.message.ephemeral
    assert bad.message.is_error
    assert "not name:value" in bad.message.text
    unknown = await world.submit("cbf:poll create", {"question": "Q?", MORE_ID: "colour:red"})
    assert unknown.message is not None
    assert unknown.message.is_error
    assert "has no option `colour`" in unknown.message.text


async def test_a_form_command_with_options_runs_directly(world: World) -> None:
    await world.coalition()
    answer = await world.command("poll create", rule="consensus")  # options, but no question
    assert answer.type == 4
    assert answer.message is not None
    assert answer.message.is_error
    assert "needs QUESTION" in answer.message.text


def test_the_client_starts_without_voice_library_warnings(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot never joins voice; "PyNaCl is not installed" at start alarms whoever runs it."""
    import discord

    from coalition_bot.adapters.discord.client import CoalitionClient
    from coalition_bot.commands.registry import COMMANDS

    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)  # as on a fresh process
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.WARNING, logger="discord"):
        CoalitionClient(COMMANDS)
    assert [r.getMessage() for r in caplog.records if "not installed" in r.getMessage()] == []
