"""Requests that must not have effects: forged, stale or replayed Slack requests of every
kind; and interactions from where no coalition exists, on both platforms.

tests/slack/test_slack_requests.py covers forged and stale slash commands and a retried
command; here the same promises are held for button clicks, form submissions and events,
and a replay of a click (a vote) and of a form (a poll) must not repeat its effect.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fake_discord import ALICE as D_ALICE
from fake_discord import BOB as D_BOB
from fake_discord import GUILD_ID, World, command_payload
from reliability_support import DbWatch
from slack_harness import ALICE, BOB, HOME, TEAM, User, Workspace, buttons_of, sign, text_of

# --- Slack request bodies, built the way Slack sends them ------------------------------


def click_body(ws: Workspace, user: User, button: dict[str, Any], rid: str,
               team: str = TEAM) -> str:
    """A block_actions request: `user` clicked `button` of a posted message."""
    return urlencode({"payload": json.dumps({
        "type": "block_actions", "api_app_id": "A0APP", "token": "unused",
        "team": {"id": team, "domain": "fake"},
        "user": {"id": user.id, "username": user.name.lower(), "team_id": team},
        "channel": {"id": HOME, "name": "home"}, "trigger_id": f"{rid}.trigger",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": HOME},
        "message": {"ts": "1.2", "text": "poll"}, "response_url": ws.fake.response_url(rid),
        "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b",
                     "value": button["value"], "text": button["text"], "action_ts": "1.3"}],
    })})


def submission_body(user: User, view: dict[str, Any], values: dict[str, str]) -> str:
    """A view_submission request: `user` filled in the text inputs of `view`."""
    state = {b["block_id"]: {b["element"]["action_id"]: {
        "type": b["element"]["type"], "value": values.get(b["block_id"])}}
        for b in view["blocks"] if b["element"]["type"] == "plain_text_input"}
    return urlencode({"payload": json.dumps({
        "type": "view_submission", "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": user.id, "username": user.name.lower(), "team_id": TEAM},
        "api_app_id": "A0APP", "token": "unused", "trigger_id": "form.trigger",
        "view": {**view, "id": "V0VIEW", "team_id": TEAM, "state": {"values": state},
                 "hash": "1.abc"}, "response_urls": []})})


def json_headers(body: str, **signing: Any) -> dict[str, str]:
    return sign(body, **signing) | {"Content-Type": "application/json"}


FORGERIES: dict[str, Callable[[str], dict[str, str]]] = {
    "wrong-secret": lambda body: sign(body, secret="not-the-secret"),
    "stale-6-minutes": lambda body: sign(body, ts=int(time.time()) - 6 * 60),
    "unsigned": lambda body: {"Content-Type": "application/x-www-form-urlencoded"},
    "signature-of-another-body": lambda body: sign(body + "&x=1"),
}


async def barrier(ws: Workspace) -> None:
    """A command answered after everything sent before it was dealt with (the adapter
    acks at once and handles in the background)."""
    await ws.ok(ALICE, "/coalition", "info")


async def open_poll_form(ws: Workspace) -> dict[str, Any]:
    before = len(ws.fake.to("views.open"))
    _, status, _ = await ws.command(ALICE, "/poll", "create")
    assert status == 200
    return (await ws.fake.wait_call("views.open", before + 1)).body["view"]


# --- Slack: forged and stale requests of every kind -----------------------------------


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_or_stale_click_votes_nothing(slack_coalition: Workspace, db_path: Path,
                                                    forgery: str) -> None:
    ws = slack_coalition
    created = await ws.ok(ALICE, "/poll", "create Join the May Day march?")
    agree = buttons_of(created)["agree"]
    watch = DbWatch(db_path)
    try:
        before = watch.snapshot()
        body = click_body(ws, BOB, agree, "forged")
        status, _ = await ws.post(body, FORGERIES[forgery](body))
        assert status == 401
        await barrier(ws)
        assert "response_url:forged" not in ws.fake.methods()
        assert watch.rows("SELECT count(*) FROM vote") == [(0,)]
        assert watch.snapshot() == before
        # the same click, signed, votes: the refusal was the signature's doing
        status, _ = await ws.post(body)
        assert status == 200
        assert "Recorded Tenants United's vote" in text_of(await ws.answer("forged"))
    finally:
        watch.close()


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_or_stale_form_submission_creates_nothing(
        slack_coalition: Workspace, db_path: Path, forgery: str) -> None:
    ws = slack_coalition
    view = await open_poll_form(ws)
    body = submission_body(ALICE, view, {"question": "Forged poll?"})
    status, _ = await ws.post(body, FORGERIES[forgery](body))
    assert status == 401
    await barrier(ws)
    assert "Forged poll?" not in text_of(await ws.ok(ALICE, "/poll", "list all"))
    status, _ = await ws.post(body)  # signed, it would have created the poll
    assert status == 200
    assert "Forged poll?" in text_of(await ws.ok(ALICE, "/poll", "list all"))


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_or_stale_event_is_not_checked(slack_coalition: Workspace,
                                                      forgery: str) -> None:
    ws = slack_coalition
    await ws.ok(ALICE, "/topic", "add electoral endorsements")
    body = ws.message_body(BOB, "electoral endorsements?", event_id="EvForged")
    status, _ = await ws.post(body, FORGERIES[forgery](body) | {
        "Content-Type": "application/json"})
    assert status == 401
    await barrier(ws)
    assert "chat.postEphemeral" not in ws.fake.methods()
    status, _ = await ws.post(body, json_headers(body))  # signed, it earns the nudge
    assert status == 200
    await ws.fake.wait_call("chat.postEphemeral")


# --- Slack: replayed retries -----------------------------------------------------------


async def test_a_replayed_click_retry_does_not_vote_again(slack_coalition: Workspace,
                                                         db_path: Path) -> None:
    ws = slack_coalition
    created = await ws.ok(ALICE, "/poll", "create Join the May Day march?")
    body = click_body(ws, BOB, buttons_of(created)["agree"], "click1")
    status, _ = await ws.post(body)
    assert status == 200
    assert "Recorded Tenants United's vote" in text_of(await ws.answer("click1"))
    watch = DbWatch(db_path)
    try:
        voted = watch.rows("SELECT voter, choice, cast_at, changes FROM vote")
        version = watch.version()
        for retry in (1, 2, 3):  # Slack's three redeliveries, each freshly signed
            status, ack = await ws.post(body, sign(body, retry=retry))
            assert (status, ack) == (200, "")
        assert watch.version() == version  # nothing was written
        await barrier(ws)
        assert watch.rows("SELECT voter, choice, cast_at, changes FROM vote") == voted
        assert ws.fake.methods().count("response_url:click1") == 1  # answered once
        assert ws.adapter.retries.dropped == 3
        # control: the same click sent again as a new request (no retry header) is handled
        status, _ = await ws.post(body)
        assert status == 200
        await ws.fake.wait_call("response_url:click1", 2)
        assert watch.rows("SELECT changes FROM vote") == [(1,)]
    finally:
        watch.close()


async def test_a_replayed_form_submission_retry_creates_no_second_poll(
        slack_coalition: Workspace, db_path: Path) -> None:
    ws = slack_coalition
    view = await open_poll_form(ws)
    body = submission_body(ALICE, view, {"question": "Move the rally to May 2?"})
    status, ack = await ws.post(body)
    assert (status, ack) == (200, "")
    status, ack = await ws.post(body, sign(body, retry=1))
    assert (status, ack) == (200, "")
    await barrier(ws)
    watch = DbWatch(db_path)
    try:
        assert watch.rows("SELECT question FROM poll") == [("Move the rally to May 2?",)]
        assert ws.adapter.retries.dropped == 1
        # control: sent again without the retry header, it is a second submission
        assert (await ws.post(body))[0] == 200
        await barrier(ws)
        assert len(watch.rows("SELECT question FROM poll")) == 2
    finally:
        watch.close()


async def test_a_replayed_event_retry_nudges_once_even_after_other_events(
        slack_coalition: Workspace) -> None:
    ws = slack_coalition
    await ws.ok(ALICE, "/topic", "add electoral endorsements")
    body = ws.message_body(BOB, "electoral endorsements again", event_id="EvOnce")
    assert (await ws.post(body, json_headers(body)))[0] == 200
    await ws.fake.wait_call("chat.postEphemeral")
    for i in range(5):  # other traffic in between does not make it forget
        other = ws.message_body(ALICE, f"hello {i}", event_id=f"EvOther{i}")
        assert (await ws.post(other, json_headers(other)))[0] == 200
    assert (await ws.post(body, json_headers(body, retry=2)))[0] == 200
    await barrier(ws)
    assert len(ws.fake.to("chat.postEphemeral")) == 1
    assert ws.adapter.retries.dropped == 1


# --- no coalition here: a clear hint, on both platforms --------------------------------


async def test_a_slack_workspace_without_a_coalition_is_told_how_to_set_one_up(
        slack: Workspace, db_path: Path) -> None:
    for command, text in (("/poll", "vote 1 agree"), ("/coalition", "org add Tenants"),
                          ("/meeting", "list")):
        answer = await slack.run(BOB, command, text)
        assert answer["response_type"] == "ephemeral", answer
        assert "no coalition here yet" in text_of(answer)
        assert "/coalition setup" in text_of(answer)
    watch = DbWatch(db_path)
    try:  # asking wrote nothing: no coalition, no person
        assert watch.rows("SELECT count(*) FROM coalition") == [(0,)]
        assert watch.rows("SELECT count(*) FROM person") == [(0,)]
    finally:
        watch.close()


@pytest.fixture
async def discord_world(tmp_path: Path):
    async with World.open(tmp_path) as world:
        yield world


async def test_a_discord_server_without_a_coalition_is_told_how_to_set_one_up(
        discord_world: World) -> None:
    world = discord_world
    answers = [
        await world.command("poll vote", poll="1", choice="agree", by=D_BOB),
        await world.command("coalition org add", name="Tenants United"),
        await world.command("meeting list", by=D_BOB),
        await world.click("cb:poll vote 1 agree", "agree", by=D_BOB),
        await world.submit("cbf:poll create", {"question": "Move the rally?"}),
    ]
    for answer in answers:
        message = answer.message
        assert message is not None, answer.callback
        assert message.ephemeral, message.body
        assert message.is_error, message.body
        assert "no coalition here yet" in message.text, message.text
        assert "/coalition setup" in message.text, message.text
        assert message.allowed_mentions == {"parse": []}
    # autocomplete there suggests nothing, and fails nothing
    payload = command_payload("poll vote", {"poll": ""}, by=D_ALICE, guild=GUILD_ID,
                              channel=1, focused="poll")
    assert (await world.answer(payload)).choices == []
    watch = DbWatch(world.db_path)
    try:
        assert watch.rows("SELECT count(*) FROM coalition") == [(0,)]
        assert watch.rows("SELECT count(*) FROM person") == [(0,)]
    finally:
        watch.close()
    # and setting one up there works at once
    await world.ok("coalition setup", name="Eastside Tenants", timezone="America/New_York")
