"""Request handling: signatures, retries, modals, channel messages, Socket Mode, secrets."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from slack_harness import (
    ALICE,
    APP_TOKEN,
    BOB,
    CHEN,
    HOME,
    TEAM,
    FakeSlack,
    Workspace,
    http_config,
    sign,
    text_of,
)

from coalition_bot.adapters.slack import build
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.config import ConfigError, SlackConfig

# --- who may talk to us ------------------------------------------------------------------


@pytest.mark.parametrize("signing", [
    {"secret": "not-the-secret"},  # signed with the wrong secret
    {"ts": int(time.time()) - 6 * 60},  # a replay: signed six minutes ago
])
async def test_forged_or_stale_requests_are_refused(workspace: Workspace, signing) -> None:
    rid, status, _ = await workspace.command(ALICE, "/coalition", "setup Forged", **signing)
    assert status == 401
    # a real request afterwards is answered, and the refused one never was
    await workspace.ok(ALICE, "/coalition", "setup Real")
    assert f"response_url:{rid}" not in workspace.fake.methods()
    assert "Forged" not in str([c.body for c in workspace.fake.calls])


async def test_unsigned_requests_are_refused(workspace: Workspace) -> None:
    body = workspace.command_body(ALICE, "/coalition", "setup Unsigned", rid="x")
    status, _ = await workspace.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 401


async def test_a_retried_command_does_not_repeat_its_effect(coalition: Workspace) -> None:
    await coalition.ok(ALICE, "/poll", "create Join the May Day march?")
    await coalition.ok(BOB, "/poll", "vote 1 agree")
    retried, status, body = await coalition.command(BOB, "/poll", "vote 1 disagree", retry=1)
    assert (status, body) == (200, "")
    status_reply = text_of(await coalition.ok(ALICE, "/poll", "status 1"))
    assert "Tenants United: agree (by Bob)" in status_reply
    assert f"response_url:{retried}" not in coalition.fake.methods()
    assert coalition.adapter.retries.dropped == 1


# --- modals --------------------------------------------------------------------------------


async def _open_poll_form(coalition: Workspace) -> tuple[str, dict]:
    rid, status, _ = await coalition.command(ALICE, "/poll", "create")
    assert status == 200
    opened = await coalition.fake.wait_call("views.open")
    assert opened.body["trigger_id"] == f"{rid}.trigger"
    return rid, opened.body["view"]


async def test_poll_create_without_values_opens_a_form_from_the_spec(
        coalition: Workspace) -> None:
    _, view = await _open_poll_form(coalition)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    spec = COMMANDS["poll"].find(("create",))
    assert spec is not None
    assert list(blocks) == [o.name for o in spec.options]
    assert blocks["question"]["optional"] is False
    assert blocks["rule"]["optional"] is True
    rule = blocks["rule"]["element"]
    assert rule["type"] == "static_select"
    assert [o["value"] for o in rule["options"]] == list(spec.option("rule").choices)
    assert blocks["question"]["element"]["max_length"] == spec.option("question").max_length
    assert view["title"]["text"] == "/poll create"


async def test_a_submitted_form_runs_the_same_command(coalition: Workspace) -> None:
    rid, view = await _open_poll_form(coalition)
    status, ack = await coalition.submit(ALICE, view, {
        "question": "Join the May Day march?", "rule": "consensus", "quorum": "60%",
        "closes": "friday 17:00"})
    assert (status, ack) == (200, "")  # an empty ack closes the form
    posted = await coalition.answer(rid)  # the answer goes to the command's response_url
    assert posted["response_type"] == "in_channel"
    text = text_of(posted)
    assert "Poll #1: Join the May Day march?" in text
    assert "consensus" in text
    assert "quorum 60%" in text
    assert "Fri 27 Nov 2026, 17:00" in text


async def test_a_form_with_a_bad_value_stays_open_and_says_why(coalition: Workspace) -> None:
    _, view = await _open_poll_form(coalition)
    status, ack = await coalition.submit(ALICE, view, {"question": "March?",
                                                       "quorum": "lots"})
    assert status == 200
    answer = json.loads(ack)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["quorum"]
    assert "percentage" in answer["errors"]["quorum"]
    listed = text_of(await coalition.ok(ALICE, "/poll", "list all"))
    assert "March?" not in listed  # nothing was created


async def test_meeting_schedule_form(coalition: Workspace) -> None:
    rid, _, _ = await coalition.command(ALICE, "/meeting", "schedule")
    view = (await coalition.fake.wait_call("views.open")).body["view"]
    assert [b["block_id"] for b in view["blocks"]][:2] == ["title", "when"]
    await coalition.submit(ALICE, view, {"title": 'The "big" call', "when": "2026-12-01 18:00",
                                         "every": "weekly", "where": "https://meet.example/a"})
    posted = text_of(await coalition.answer(rid))
    assert 'The "big" call' in posted
    assert "https://meet.example/a" in text_of(await coalition.ok(BOB, "/meeting", "info 1"))


# --- channel messages -------------------------------------------------------------------


@pytest.mark.skipif("topic" not in COMMANDS, reason="/topic has not landed yet")
async def test_a_message_on_an_agreed_topic_earns_a_private_nudge_once(
        coalition: Workspace) -> None:
    await coalition.ok(ALICE, "/topic", "add electoral endorsements")
    fake = coalition.fake
    assert await coalition.message(BOB, "Shall we talk Electoral Endorsements?",
                                   event_id="Ev1") == 200
    nudge = await fake.wait_call("chat.postEphemeral")
    assert nudge.body["user"] == BOB.id
    assert nudge.body["channel"] == HOME
    assert "electoral endorsements" in text_of(nudge.body).lower()
    # Slack redelivers the same event: acknowledged, not checked again
    assert await coalition.message(BOB, "Shall we talk Electoral Endorsements?",
                                   event_id="Ev1", retry=1) == 200
    await coalition.message(CHEN, "nothing to see", event_id="Ev2")
    await coalition.message(CHEN, "electoral endorsements!", event_id="Ev3")
    second = await fake.wait_call("chat.postEphemeral", 2)
    assert second.body["user"] == CHEN.id
    assert [c.body["user"] for c in fake.to("chat.postEphemeral")] == [BOB.id, CHEN.id]
    assert coalition.adapter.retries.dropped == 1


async def test_messages_from_bots_and_edits_are_ignored(coalition: Workspace) -> None:
    body = json.loads(coalition.message_body(BOB, "x", event_id="Ev9"))
    body["event"]["subtype"] = "message_changed"
    raw = json.dumps(body)
    status, _ = await coalition.post(raw, sign(raw) | {"Content-Type": "application/json"})
    assert status == 200
    await coalition.ok(ALICE, "/coalition", "info")  # a barrier: that was handled first
    assert "chat.postEphemeral" not in coalition.fake.methods()


# --- secrets and transports --------------------------------------------------------------


async def test_http_refuses_to_start_without_a_signing_secret(bot, fake: FakeSlack,
                                                              slack_env, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "  ")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        build(bot, http_config(fake))
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        build(bot, http_config(fake))
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        build(bot, http_config(fake))


async def test_secrets_come_from_the_variables_the_config_names(bot, fake: FakeSlack,
                                                                monkeypatch) -> None:
    monkeypatch.setenv("MY_BOT", "xoxb-mine")
    monkeypatch.setenv("MY_SIGNING", "mine")
    adapter = build(bot, http_config(fake, bot_token_env="MY_BOT",
                                     signing_secret_env="MY_SIGNING",
                                     command_prefix="cb-"))
    try:
        assert "HTTP on http://127.0.0.1:" in await adapter.start()
        assert fake.to("auth.test")[0].auth == "Bearer xoxb-mine"
        assert adapter.slash_commands == [f"/cb-{name}" for name in COMMANDS]
    finally:
        await adapter.stop()


async def test_a_bad_bot_token_stops_the_start_with_a_clear_message(bot, fake: FakeSlack,
                                                                    slack_env) -> None:
    fake.failures[("auth.test", "")] = "invalid_auth"
    adapter = build(bot, http_config(fake))
    with pytest.raises(ConfigError, match="invalid_auth"):
        await adapter.start()
    await adapter.stop()


async def test_socket_mode(bot, fake: FakeSlack, slack_env, monkeypatch) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    config = SlackConfig(enabled=True, transport="socket", api_base=fake.api_base)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        build(bot, config)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    adapter = build(bot, config)
    try:
        where = await adapter.start()
        assert "Socket Mode" in where
        opened = fake.to("apps.connections.open")
        assert opened
        assert all(c.auth == f"Bearer {APP_TOKEN}" for c in opened)
        await fake.wait_for(lambda: fake.sockets)
        command = {"token": "unused", "team_id": TEAM, "channel_id": HOME, "user_id": ALICE.id,
                   "user_name": "alice", "command": "/coalition",
                   "text": 'setup "Over the socket"',
                   "response_url": fake.response_url("sock1"), "trigger_id": "t"}
        await fake.sockets[-1].send_json({"envelope_id": "env-1", "type": "slash_commands",
                                          "accepts_response_payload": True,
                                          "payload": command})
        answer = await fake.wait_call("response_url:sock1")
        assert "Over the socket" in text_of(answer.body)
        await fake.wait_for(lambda: any(a.get("envelope_id") == "env-1"
                                        for a in fake.socket_acks))
    finally:
        await adapter.stop()


async def test_stop_lets_a_running_command_finish(bot, fake: FakeSlack, slack_env) -> None:
    adapter = build(bot, http_config(fake))
    where = await adapter.start()
    url = where.split()[2].rstrip(",")
    async with aiohttp.ClientSession() as http:
        workspace = Workspace(fake, url, http, adapter)
        rid, status, _ = await workspace.command(ALICE, "/coalition", "setup Closing")
        assert status == 200
        await asyncio.wait_for(adapter.stop(), 10)
    assert f"response_url:{rid}" in fake.methods()  # answered before stop() returned
