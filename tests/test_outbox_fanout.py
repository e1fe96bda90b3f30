"""Every home channel gets its own delivery: one coalition across two Slack workspaces and
a Discord server, the real front doors of one bot. A meeting reminder, a poll result and
a command's notice each reach all three home channels, exactly once."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import MovableClock, query

sys.path.insert(0, str(Path(__file__).resolve().parent / "slack"))

import fake_discord as dc
import slack_harness as sl

from coalition_bot.bot import Bot
from coalition_bot.scheduler import Scheduler

CODE = re.compile(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`")
SECOND_TEAM, SECOND_HOME = "T0SECOND", "C0SECOND"
ZED = sl.User("U0ZED", "Zed")  # a coordinator in the second Slack workspace


class Three:
    """Two Slack workspaces (one app, one token) and a Discord server on one bot."""

    def __init__(self, bot: Bot, first: sl.Workspace, second: sl.Workspace,
                 discord: dc.World) -> None:
        self.bot, self.first, self.second, self.discord = bot, first, second, discord

    def received(self, title: str) -> dict[str, int]:
        """How many posts with `title` each home channel took."""
        slack = [c for c in self.first.fake.delivered if c.method == "chat.postMessage"
                 and title in sl.text_of(c.body)]
        discord = [c for c in self.discord.fake.delivered
                   if c.path == f"/channels/{dc.CHANNEL_ID}/messages" and title in str(c.body)]
        return {"slack": sum(c.body["channel"] == sl.HOME for c in slack),
                "second slack": sum(c.body["channel"] == SECOND_HOME for c in slack),
                "discord": len(discord)}


@pytest.fixture
async def three(bot: Bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", sl.BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", sl.SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    fake_slack = await sl.FakeSlack().start()
    fake_slack.users[ZED.id] = ZED.name
    try:
        async with sl.serving(bot, fake_slack) as first, \
                dc.World.open(tmp_path, bot=bot) as discord:
            second = sl.Workspace(fake_slack, first.url, first.http, first.adapter,
                                  team=SECOND_TEAM)
            yield Three(bot, first, second, discord)
    finally:
        await fake_slack.stop()


async def code(slack: sl.Workspace) -> str:
    found = CODE.search(sl.text_of(await slack.ok(sl.ALICE, "/coalition", "link")))
    assert found
    return found[1]


async def test_reminder_result_and_command_notice_reach_all_three_home_channels_once(
        three: Three, bot: Bot, clock: MovableClock) -> None:
    await three.first.ok(sl.ALICE, "/coalition", 'setup "Eastside Tenants" America/New_York')
    await three.first.ok(sl.ALICE, "/coalition", 'org add "Tenants United"')
    await three.discord.ok("coalition connect", code=await code(three.first), by=dc.ERIN)
    await three.second.ok(ZED, "/coalition", f"connect {await code(three.first)}",
                          channel=SECOND_HOME)
    await bot.drain()
    workspaces = sl.text_of(await three.first.ok(sl.ALICE, "/coalition", "workspaces"))
    assert SECOND_TEAM in workspaces
    assert str(dc.GUILD_ID) in workspaces

    # a command's notice
    await three.first.ok(sl.ALICE, "/coalition", "goal add Stop the rent hike")
    await three.second.ok(ZED, "/coalition", 'goal update 1 in-progress "Petition out"',
                          channel=SECOND_HOME)
    await bot.drain()
    assert three.received("Goal #1 is now") == {"slack": 1, "second slack": 1, "discord": 1}

    # a meeting reminder and a poll result, from the scheduler (clock: 10:00 in New York)
    await three.first.ok(sl.ALICE, "/meeting", 'schedule "Strategy call" "2026-11-23 12:00" '
                                               'remind:1h')
    await three.first.ok(sl.ALICE, "/poll", 'create "March on Friday?" closes:"2026-11-23 '
                                            '11:30"')
    await bot.drain()
    scheduler = Scheduler(bot)
    for hour, minute in ((16, 0), (16, 30), (17, 0), (18, 0)):
        clock.now = datetime(2026, 11, 23, hour, minute, tzinfo=UTC)
        await scheduler.tick()
    assert three.received("Reminder: Strategy call") == {
        "slack": 1, "second slack": 1, "discord": 1}
    assert three.received("Poll #1 closed") == {"slack": 1, "second slack": 1, "discord": 1}
    assert query(bot.db.path, "SELECT count(*) FROM delivery WHERE status != 'sent'") == [(0,)]
