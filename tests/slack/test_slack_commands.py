"""Slash commands, buttons and replies through the real bolt app over HTTP."""

from __future__ import annotations

import pytest
from slack_harness import (
    ALICE,
    BOB,
    BOT_TOKEN,
    CHEN,
    HOME,
    Workspace,
    buttons_of,
    text_of,
    without_dates,
)

from coalition_bot.commands.registry import COMMANDS
from coalition_bot.replies import Notice


async def test_setup_answers_in_the_channel_with_block_kit(workspace: Workspace) -> None:
    payload = await workspace.ok(ALICE, "/coalition",
                                 'setup "Eastside Tenants" America/New_York')
    assert payload["response_type"] == "in_channel"
    assert payload["blocks"][0]["type"] == "header"
    assert "Eastside Tenants" in payload["blocks"][0]["text"]["text"]
    assert "America/New_York" in text_of(payload)
    # the caller's display name came from users.info, with the bot token
    info = workspace.fake.to("users.info")
    assert [c.body["user"] for c in info] == [ALICE.id]
    assert info[0].auth == f"Bearer {BOT_TOKEN}"
    info_reply = await workspace.ok(ALICE, "/coalition", "info")
    assert "Alice" in text_of(info_reply)
    assert f"*Home channel*\n<#{HOME}>" in text_of(info_reply)  # a link, not an id


async def test_display_names_are_looked_up_once(coalition: Workspace) -> None:
    await coalition.ok(ALICE, "/coalition", "org list")
    await coalition.ok(ALICE, "/role", "list")
    looked_up = [c.body["user"] for c in coalition.fake.to("users.info")]
    assert sorted(looked_up) == sorted({ALICE.id, BOB.id})  # Bob: mentioned in rep add


async def test_mentioned_people_get_their_display_name(coalition: Workspace) -> None:
    listing = text_of(await coalition.ok(ALICE, "/coalition", "org list"))
    assert "Bob" in listing
    assert "U0BOB" not in listing


async def test_meeting_schedule_and_list(coalition: Workspace) -> None:
    made = await coalition.ok(ALICE, "/meeting",
                              'schedule "Strategy call" "2026-12-01 18:00" every:weekly')
    assert made["response_type"] == "in_channel"
    assert "Strategy call" in text_of(made)
    listed = text_of(await coalition.ok(BOB, "/meeting", "list"))
    assert "Strategy call" in listed
    assert "Tue 1 Dec 2026" in listed


async def test_role_create_and_assign(coalition: Workspace) -> None:
    await coalition.ok(ALICE, "/role", 'create Facilitator description:"runs the calls"')
    await coalition.ok(ALICE, "/role", f"assign Facilitator {CHEN.mention}")
    listed = text_of(await coalition.ok(BOB, "/role", "list"))
    assert "Facilitator" in listed
    assert "Chen" in listed


async def test_poll_create_posts_vote_buttons_carrying_commands(coalition: Workspace) -> None:
    payload = await coalition.ok(ALICE, "/poll", "create Join the May Day march? "
                                                 "rule:consensus")
    assert payload["response_type"] == "in_channel"
    buttons = buttons_of(payload)
    assert set(buttons) == {"agree", "abstain", "disagree", "block"}
    assert buttons["agree"]["value"] == "poll vote 1 agree"
    assert buttons["agree"]["style"] == "primary"
    assert buttons["block"]["style"] == "danger"
    assert len({b["action_id"] for b in buttons.values()}) == 4


@pytest.mark.skipif("topic" not in COMMANDS, reason="/topic has not landed yet")
async def test_topic_add_and_list(coalition: Workspace) -> None:
    await coalition.ok(ALICE, "/topic", 'add electoral endorsements reason:"partners differ"')
    listed = text_of(await coalition.ok(BOB, "/topic", "list"))
    assert "electoral endorsements" in listed


async def test_every_registered_command_is_answered(workspace: Workspace) -> None:
    for name in COMMANDS:  # /topic included as soon as the registry has it
        payload = await workspace.run(ALICE, f"/{name}", "help")
        assert payload["response_type"] == "ephemeral"
        assert f"/{name}" in text_of(payload)


async def test_a_button_vote_takes_the_command_path(coalition: Workspace) -> None:
    poll = await coalition.ok(ALICE, "/poll", "create Join the May Day march?")
    answer = await coalition.click(BOB, buttons_of(poll)["agree"])
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False
    assert "Recorded Tenants United's vote on poll #1: agree" in text_of(answer)
    status = text_of(await coalition.ok(ALICE, "/poll", "status 1"))
    assert "Tenants United: agree (by Bob)" in status


async def test_errors_are_private_and_say_what_was_expected(coalition: Workspace) -> None:
    payload = await coalition.run(BOB, "/poll", "vote 9 agree")
    assert payload["response_type"] == "ephemeral"
    assert payload["text"].startswith(":warning:")
    assert "#9" in text_of(payload)
    denied = await coalition.run(BOB, "/poll", "create Should Bob decide alone?")
    assert denied["response_type"] == "ephemeral"
    assert "for coordinators" in text_of(denied)


async def test_typed_channel_pings_are_rendered_harmless(coalition: Workspace) -> None:
    # `@channel` typed in a command arrives as Slack markup; `<!here>` typed literally
    # arrives entity-escaped. Neither may come back out as a ping.
    one = await coalition.ok(ALICE, "/poll", "create <!channel> march on Friday?")
    two = await coalition.ok(ALICE, "/poll", "create &lt;!here&gt; or &lt;!everyone&gt;?")
    await coalition.ok(ALICE, "/poll", "close 2 confirm:yes")
    notice = await coalition.fake.wait_call("chat.postMessage")
    for posted in (one, two, notice.body):
        dumped = without_dates(str(posted))
        for ping in ("<!channel>", "<!here>", "<!everyone>", "<!"):
            assert ping not in dumped, posted
    assert "@channel march on Friday?" in text_of(one)
    assert "&lt;!here&gt; or &lt;!everyone&gt;?" in text_of(two)
    assert "&lt;!here&gt;" in text_of(notice.body)


async def test_notices_go_to_the_home_channel_and_ping_people_one_by_one(
        coalition: Workspace) -> None:
    await coalition.ok(ALICE, "/coalition", f'rep add {CHEN.mention} "Climate Now"')
    await coalition.ok(ALICE, "/poll", "create Join the May Day march?")
    await coalition.ok(ALICE, "/poll", "remind 1", channel="C0OTHER")
    posted = await coalition.fake.wait_call("chat.postMessage")
    assert posted.body["channel"] == HOME  # the home channel, not where remind was typed
    assert posted.auth == f"Bearer {BOT_TOKEN}"
    text = text_of(posted.body)
    assert f"<@{BOB.id}>" in text
    assert f"<@{CHEN.id}>" in text
    assert "<!" not in without_dates(posted.dump())
    assert set(buttons_of(posted.body)) == {"agree", "abstain", "disagree"}
    assert posted.body.get("link_names") in (None, False)


async def test_private_files_go_to_the_direct_messages(coalition: Workspace) -> None:
    await coalition.ok(ALICE, "/meeting", 'schedule "Strategy call" "2026-12-01 18:00"')
    reply = await coalition.ok(BOB, "/meeting", "ical")
    assert reply["response_type"] == "ephemeral"
    done = await coalition.fake.wait_call("files.completeUploadExternal")
    opened = coalition.fake.to("conversations.open")
    assert [c.body["users"] for c in opened] == [BOB.id]
    assert done.body["channel_id"] == "D0BOB"
    assert done.body["files"][0]["title"] == "coalition-meetings.ics"
    uploaded = next(c for c in coalition.fake.calls if c.method.startswith("upload:"))
    assert "BEGIN:VCALENDAR" in uploaded.body["content"]
    assert "SUMMARY:Strategy call" in uploaded.body["content"]


async def test_public_files_fall_back_to_the_direct_messages(coalition: Workspace) -> None:
    await coalition.ok(ALICE, "/meeting", 'schedule "Strategy call" "2026-11-23 12:00"')
    coalition.fake.failures[("files.completeUploadExternal", HOME)] = "not_in_channel"
    reply = await coalition.ok(BOB, "/meeting", "minutes 1")
    assert reply["response_type"] == "in_channel"
    fallback = await coalition.fake.wait_call("files.completeUploadExternal", 2)
    first = coalition.fake.to("files.completeUploadExternal")[0]
    assert first.body["channel_id"] == HOME
    assert fallback.body["channel_id"] == "D0BOB"


async def test_private_notices_go_to_the_direct_messages(workspace: Workspace) -> None:
    await workspace.adapter.post_private(BOB.id, Notice(1, "Action #1 is due", "Bring <!here>"))
    opened = workspace.fake.to("conversations.open")
    assert [c.body["users"] for c in opened] == [BOB.id]
    posted = workspace.fake.to("chat.postMessage")
    assert [c.body["channel"] for c in posted] == ["D0BOB"]
    assert "Bring &lt;!here&gt;" in text_of(posted[0].body)


async def test_health_uploads_its_chart_privately(coalition: Workspace) -> None:
    reply = await coalition.ok(ALICE, "/coalition", "health")
    assert reply["response_type"] == "ephemeral"
    assert "Tenants United" in str(reply)
    done = await coalition.fake.wait_call("files.completeUploadExternal")
    assert done.body["channel_id"] == "D0ALICE"
    assert done.body["files"][0]["title"] == "health.png"
    uploaded = next(c for c in coalition.fake.calls if c.method.startswith("upload:"))
    assert uploaded.body["content"].startswith("\ufffdPNG")  # the bytes, as bytes

