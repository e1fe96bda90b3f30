"""What the core means as structure reaches Slack as Slack markup: its times as
`<!date^…>` (each reader's own zone), its commands with the workspace's prefix. What
people typed reaches Slack as they typed it, only escaped, however much it looks like a
time or a command; and a form's error lands under the input the error is about."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiohttp
from slack_harness import (
    ALICE,
    BOB,
    HOME,
    FakeSlack,
    Workspace,
    http_config,
    set_up_coalition,
    text_of,
)

from coalition_bot.adapters.slack import build
from coalition_bot.bot import Bot

# Shaped like a time the bot writes, like a date people write, and like our commands.
QUESTION = ("Meet 5/3 at 6pm, or Tue 1 Dec 2026, 18:00 (America/New_York)? "
            "See /poll list and `/coalition info`")
CLOSES = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 18:00 in New York
DATE = (f"<!date^{int(CLOSES.timestamp())}^{{date_short_pretty}} at {{time}}"
        "|Tue 1 Dec 2026, 18:00 (America/New_York)>")


@asynccontextmanager
async def prefixed(bot: Bot, fake: FakeSlack) -> AsyncIterator[Workspace]:
    """A workspace whose commands are `/cb-poll`, `/cb-coalition`, …, with a coalition."""
    adapter = build(bot, http_config(fake, command_prefix="cb-"))
    where = await adapter.start()
    url = re.search(r"http://\S+/slack/events", where)
    assert url, where
    try:
        async with aiohttp.ClientSession() as http:
            yield await set_up_coalition(Workspace(fake, url[0], http, adapter, prefix="cb-"))
    finally:
        await adapter.stop()


async def test_a_question_shaped_like_a_time_or_a_command_reaches_slack_as_typed(
        bot: Bot, fake: FakeSlack, slack_env: None) -> None:
    async with prefixed(bot, fake) as slack:
        posted = await slack.ok(ALICE, "/poll", f'create {QUESTION} closes:"2026-12-01 18:00"')
        header = posted["blocks"][0]
        assert header["text"]["text"] == f"Poll #1: {QUESTION}"
        listed = text_of(await slack.ok(BOB, "/poll", "list"))
        assert f"#1 [open] {QUESTION} (closes {DATE};" in listed
        for text in (text_of(posted), listed):
            assert "/cb-poll list" not in text
            assert "/cb-coalition info" not in text
            assert text.count("<!date^") == text.count(DATE)


async def test_the_bots_times_are_slack_dates_and_its_commands_carry_the_prefix(
        bot: Bot, fake: FakeSlack, slack_env: None) -> None:
    async with prefixed(bot, fake) as slack:
        posted = await slack.ok(ALICE, "/poll", 'create Strike? closes:"2026-12-01 18:00"')
        body = "\n".join(b["text"]["text"] for b in posted["blocks"][1:]
                         if b["type"] == "section")
        assert f"Closes {DATE}." in body
        assert "Vote with `/cb-poll vote #1 CHOICE [reason]` or a button." in body
        assert "Closes Tue 1 Dec 2026, 18:00 (America/New_York)." in posted["text"]


async def test_a_notice_keeps_its_times_through_the_outbox(
        bot: Bot, fake: FakeSlack, slack_env: None) -> None:
    async with prefixed(bot, fake) as slack:
        await slack.ok(ALICE, "/poll", 'create Strike? closes:"2026-12-01 18:00"')
        await slack.ok(ALICE, "/poll", "close 1 confirm:yes")
        await bot.drain()
        notice = next(c.body for c in fake.to("chat.postMessage")
                      if c.body.get("channel") == HOME and "Poll #1 closed" in text_of(c.body))
        assert f"it was to close {DATE}." in text_of(notice)


async def test_a_meeting_time_is_a_slack_date(
        bot: Bot, fake: FakeSlack, slack_env: None) -> None:
    async with prefixed(bot, fake) as slack:
        posted = await slack.ok(ALICE, "/meeting", 'schedule "Strategy" "2026-12-01 18:00"')
    assert f"First: {DATE}." in text_of(posted)
    assert "Tue 1 Dec 2026, 18:00 (America/New_York)" in posted["text"]  # notification text


async def _poll_form(coalition: Workspace) -> dict:
    await coalition.command(ALICE, "/poll", "create")
    return (await coalition.fake.wait_call("views.open")).body["view"]


async def test_a_form_error_lands_under_the_option_it_names(coalition: Workspace) -> None:
    view = await _poll_form(coalition)
    # the same words in two inputs: only the error's option says which one is wrong
    _, ack = await coalition.submit(ALICE, view, {"question": "lots", "quorum": "lots"})
    answer = json.loads(ack)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["quorum"]


async def test_a_form_time_the_calendar_lacks_lands_under_its_input(
        coalition: Workspace) -> None:
    view = await _poll_form(coalition)
    _, ack = await coalition.submit(ALICE, view, {"question": "Strike?",
                                                  "closes": "2026-02-30 18:00"})
    errors = json.loads(ack)["errors"]
    assert list(errors) == ["closes"]
    assert "2026-02-30 18:00" in errors["closes"]
