"""A command's notice through the real Slack adapter when Slack fails: retried when the
failure is temporary (HTTP 503, `ok: false` with `internal_error`), until it arrives
exactly once; given up and shown to coordinators when Slack refuses for good."""

from __future__ import annotations

import pytest
from helpers import MovableClock, query
from slack_harness import ALICE, BOB, HOME, Workspace, text_of

from coalition_bot.bot import Bot

RESULT = "Poll #1 closed"


def results(workspace: Workspace) -> list[str]:
    """Result notices Slack took (answered ok) in the home channel."""
    return [text_of(c.body) for c in workspace.fake.delivered
            if c.method == "chat.postMessage" and c.body.get("channel") == HOME
            and RESULT in text_of(c.body)]


def attempts(workspace: Workspace) -> int:
    return sum(1 for c in workspace.fake.to("chat.postMessage")
               if c.body.get("channel") == HOME and RESULT in text_of(c.body))


async def close_a_poll(coalition: Workspace, bot: Bot) -> None:
    await coalition.ok(ALICE, "/poll", "create Join the May Day march?")
    await coalition.ok(BOB, "/poll", "vote 1 agree")
    reply = await coalition.ok(ALICE, "/poll", "close 1")
    assert "goes to the home channel" in text_of(reply)  # not "was posted"
    await bot.drain()


@pytest.mark.parametrize("outage", [503, "internal_error", "service_unavailable"])
async def test_a_temporary_slack_failure_is_retried_and_the_notice_arrives_once(
        coalition: Workspace, bot: Bot, clock: MovableClock, db_path, outage) -> None:
    coalition.fake.outages[("chat.postMessage", HOME)] = [outage, outage]
    await close_a_poll(coalition, bot)
    assert results(coalition) == []
    assert attempts(coalition) == 1
    (status, error), = query(db_path, "SELECT status, last_error FROM delivery"
                                      " WHERE kind = 'notice' AND last_error IS NOT NULL")
    assert status == "pending"
    assert error  # what went wrong, for whoever reads the database or the log
    clock.advance(seconds=31)  # the first retry waits 30 s
    await bot.outbox.send_due()
    assert results(coalition) == []  # the second answer is a failure too
    clock.advance(seconds=61)  # then 60 s
    await bot.outbox.send_due()
    assert len(results(coalition)) == 1
    clock.advance(hours=2)
    await bot.outbox.send_due()
    assert len(results(coalition)) == 1
    assert attempts(coalition) == 3
    assert query(db_path, "SELECT status FROM delivery WHERE kind = 'notice'"
                          " AND subject_id = (SELECT max(id) FROM notice)") == [("sent",)]


async def test_a_rate_limit_waits_as_long_as_slack_asks(
        coalition: Workspace, bot: Bot, clock: MovableClock, db_path) -> None:
    coalition.fake.outages[("chat.postMessage", HOME)] = ["ratelimited"]
    await close_a_poll(coalition, bot)
    (error,), = query(db_path, "SELECT last_error FROM delivery WHERE last_error IS NOT NULL")
    assert "rate limited" in error
    clock.advance(seconds=31)
    await bot.outbox.send_due()
    assert len(results(coalition)) == 1


async def test_a_channel_the_bot_is_not_in_is_not_retried_and_coordinators_see_it(
        coalition: Workspace, bot: Bot, clock: MovableClock, db_path) -> None:
    coalition.fake.failures[("chat.postMessage", HOME)] = "not_in_channel"
    await close_a_poll(coalition, bot)
    assert attempts(coalition) == 1
    for _ in range(5):
        clock.advance(hours=1)
        await bot.outbox.send_due()
    assert attempts(coalition) == 1  # refused for good: never tried again
    assert query(db_path, "SELECT status, last_error FROM delivery WHERE kind = 'notice'"
                          " AND status = 'failed'") == [("failed", "Slack: not_in_channel")]
    shown = text_of(await coalition.ok(ALICE, "/coalition", "deliveries"))
    assert RESULT in shown
    assert "not_in_channel" in shown
    assert "Invite it there" in shown
    info = text_of(await coalition.ok(ALICE, "/coalition", "info"))
    assert "could not be delivered" in info
    assert "/coalition deliveries" in info
    refused = await coalition.run(BOB, "/coalition", "deliveries")
    assert "is for coordinators" in text_of(refused)
