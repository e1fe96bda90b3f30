"""One coalition on Slack and Discord at once: both real front doors on one Bot.

The real slack-bolt app serves signed HTTP requests on 127.0.0.1 with its Web API on a
fake Slack (tests/slack/slack_harness.py); the real discord.py client logs in to a fake
Discord and gets raw interactions over its gateway (tests/fake_discord.py). Both adapters
are outlets of the same Bot on the same SQLite file, so a notice raised on one platform
must reach the home channel of each.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "slack"))

import fake_discord as dc
import slack_harness as sl

from coalition_bot.bot import Bot

CODE = re.compile(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`")
FRANK = dc.Person(500000000000000006, "Frank")  # Discord: a second Tenants United rep
SLACK_IDS = (sl.ALICE.id, sl.BOB.id, sl.CHEN.id, sl.DANA.id)
DISCORD_IDS = tuple(str(p.id) for p in (dc.ALICE, dc.BOB, dc.CHEN, dc.ERIN, FRANK))
PINGS = ("@everyone", "@here", "<!everyone>", "<!here>", "<!channel>", "<!")


class Both:
    """A Slack workspace and a Discord server, both front doors of one bot."""

    def __init__(self, bot: Bot, slack: sl.Workspace, discord: dc.World) -> None:
        self.bot, self.slack, self.discord = bot, slack, discord

    def slack_notices(self, start: int = 0) -> list[sl.Call]:
        return [c for c in self.slack.fake.to("chat.postMessage")[start:]
                if c.body["channel"] == sl.HOME]

    async def notices(self, slack_start: int, discord_start: int
                      ) -> tuple[list[sl.Call], list[dc.Sent]]:
        """Notices posted to each home channel since the two starts (once all are out)."""
        await self.bot.drain()
        return (self.slack_notices(slack_start),
                await self.discord.posted(discord_start, channel=dc.CHANNEL_ID))

    def marks(self) -> tuple[int, int]:
        return len(self.slack.fake.to("chat.postMessage")), len(self.discord.fake.calls)


@pytest.fixture
async def both(bot: Bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", sl.BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", sl.SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    fake_slack = await sl.FakeSlack().start()
    try:
        async with sl.serving(bot, fake_slack) as slack, \
                dc.World.open(tmp_path, bot=bot) as discord:
            assert set(bot.outlets) == {"slack", "discord"}
            yield Both(bot, slack, discord)
    finally:
        await fake_slack.stop()


async def link_code(slack: sl.Workspace) -> str:
    """`/coalition link` on Slack: the one-time code of its private answer."""
    answer = await slack.ok(sl.ALICE, "/coalition", "link")
    assert answer["response_type"] == "ephemeral"
    found = CODE.search(sl.text_of(answer))
    assert found, sl.text_of(answer)
    return found[1]


async def set_up_on_slack(both: Both) -> str:
    """Alice sets the coalition up on Slack with two organizations; a link code."""
    await both.slack.ok(sl.ALICE, "/coalition", 'setup "Eastside Tenants" America/New_York')
    await both.slack.ok(sl.ALICE, "/coalition", 'org add "Tenants United"')
    await both.slack.ok(sl.ALICE, "/coalition", 'org add "Climate Now"')
    return await link_code(both.slack)


async def linked(both: Both) -> None:
    """Set up on Slack, connected from Discord by Erin; representatives on each side:
    Slack Bob and Discord Frank for Tenants United, Slack Dana and Discord Chen for
    Climate Now."""
    code = await set_up_on_slack(both)
    await both.discord.ok("coalition connect", code=code, by=dc.ERIN)
    await both.slack.ok(sl.ALICE, "/coalition", f'rep add {sl.BOB.mention} "Tenants United"')
    await both.slack.ok(sl.ALICE, "/coalition", f'rep add {sl.DANA.mention} "Climate Now"')
    await both.discord.ok("coalition rep add", user=FRANK, org="Tenants United", by=dc.ERIN)
    await both.discord.ok("coalition rep add", user=dc.CHEN, org="Climate Now", by=dc.ERIN)
    await both.bot.drain()


def votes(db_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT voter, choice FROM vote ORDER BY voter").fetchall()


async def test_a_code_from_slack_connects_discord_and_both_home_channels_hear_it(
        both: Both) -> None:
    code = await set_up_on_slack(both)
    slack_start, discord_start = both.marks()
    joined = await both.discord.ok("coalition connect", code=code, by=dc.ERIN)
    assert joined.ephemeral
    assert "This workspace is now part of Eastside Tenants" in joined.text
    (on_slack,), (on_discord,) = await both.notices(slack_start, discord_start)
    title = "Eastside Tenants is now also on Discord"
    slack_text = sl.text_of(on_slack.body)
    assert title in slack_text
    assert "Connected by Erin" in slack_text
    assert on_slack.auth == f"Bearer {sl.BOT_TOKEN}"
    assert title in on_discord.text
    assert "Connected by Erin" in on_discord.text
    assert on_discord.allowed_mentions == {"parse": []}  # a notice with no mentions
    # one coalition: what Erin adds on Discord is listed on Slack, and each side sees
    # the other platform
    await both.discord.ok("coalition org add", name="Northside Renters", by=dc.ERIN)
    orgs = sl.text_of(await both.slack.ok(sl.ALICE, "/coalition", "org list"))
    assert "Northside Renters" in orgs
    assert "Tenants United" in orgs
    info = sl.text_of(await both.slack.ok(sl.ALICE, "/coalition", "info"))
    assert "*Also on*\nDiscord" in info
    assert "*Coordinators*\nAlice, Erin" in info
    there = (await both.discord.ok("coalition info", by=dc.ERIN)).text
    assert "Also on\nSlack" in there
    assert f"<#{dc.CHANNEL_ID}>" in there
    # the code is spent
    again = await both.discord.command("coalition connect", code=code, guild=dc.OTHER_GUILD_ID,
                                       by=dc.CHEN)
    assert again.message is not None
    assert again.message.is_error
    assert "used already" in again.message.text


async def test_votes_from_both_platforms_one_vote_per_organization_result_on_both(
        both: Both, db_path: Path) -> None:
    await linked(both)
    created = await both.slack.ok(sl.ALICE, "/poll", "create Join the May Day march?")
    assert created["response_type"] == "in_channel"
    bob = sl.text_of(await both.slack.ok(sl.BOB, "/poll", "vote 1 disagree"))
    assert "Recorded Tenants United's vote" in bob
    chen = await both.discord.ok("poll vote", poll="#1", choice="agree", by=dc.CHEN)
    assert chen.ephemeral
    assert "Recorded Climate Now's vote" in chen.text
    # Frank, Tenants United's other representative (on Discord), changes its one vote
    frank = await both.discord.ok("poll vote", poll="1", choice="agree", by=FRANK)
    assert "Tenants United" in frank.text
    assert votes(db_path) == [("org:1", "agree"), ("org:2", "agree")]
    status = sl.text_of(await both.slack.ok(sl.ALICE, "/poll", "status 1"))
    assert "Tenants United: agree (by Frank)" in status
    assert "Climate Now: agree (by Chen)" in status
    slack_start, discord_start = both.marks()
    closed = await both.slack.ok(sl.ALICE, "/poll", "close 1 confirm:yes")
    assert "You closed poll #1" in sl.text_of(closed)
    (on_slack,), (on_discord,) = await both.notices(slack_start, discord_start)
    for text in (sl.text_of(on_slack.body), on_discord.text):
        assert "Poll #1 closed: passed" in text, text
        assert "Join the May Day march?" in text
    assert on_discord.allowed_mentions == {"parse": []}
    log = await both.discord.ok("coalition log show", count=1, by=dc.ERIN)
    assert "Join the May Day march?" in log.text
    assert "passed" in log.text


async def test_remind_pings_each_platform_only_its_own_people(both: Both) -> None:
    await linked(both)
    await both.slack.ok(sl.ALICE, "/poll", "create Join the May Day march?")
    slack_start, discord_start = both.marks()
    answer = await both.discord.ok("poll remind", poll="1", by=dc.ERIN)  # from Discord
    assert answer.ephemeral
    assert "2 organization(s) still to vote" in answer.text
    (on_slack,), (on_discord,) = await both.notices(slack_start, discord_start)

    slack_text = sl.text_of(on_slack.body)
    assert "Reminder: poll #1 needs your vote" in slack_text
    assert f"<@{sl.BOB.id}>" in slack_text
    assert f"<@{sl.DANA.id}>" in slack_text
    pinged = set(re.findall(r"<@([^>|]+)", on_slack.dump()))
    assert pinged == {sl.BOB.id, sl.DANA.id}
    assert not [i for i in DISCORD_IDS if i in on_slack.dump()]
    assert not [p for p in PINGS if p in sl.without_dates(on_slack.dump())]
    assert on_slack.body.get("link_names") in (None, False)

    assert "Reminder: poll #1 needs your vote" in on_discord.text
    wanted = {str(FRANK.id), str(dc.CHEN.id)}
    assert set(re.findall(r"<@!?(\d+)>", on_discord.body["content"])) == wanted
    allowed = on_discord.allowed_mentions
    assert {str(u) for u in allowed["users"]} == wanted
    assert allowed.get("parse") == []
    assert not allowed.get("roles")
    assert not allowed.get("replied_user")
    dumped = str(on_discord.body)
    assert not [i for i in SLACK_IDS if i in dumped]
    assert not [p for p in PINGS if p in dumped]

    # a vote button of the Discord notice votes as the Discord person who clicks it
    agree = dict(on_discord.buttons)["agree"]
    assert agree == "cb:poll vote 1 agree"
    clicked = await both.discord.click(agree, "agree", by=dc.CHEN)
    assert clicked.message is not None
    assert "Recorded Climate Now's vote" in clicked.message.text
    slack_start, discord_start = both.marks()
    await both.slack.ok(sl.ALICE, "/poll", "remind 1")  # now from Slack: one org left
    (on_slack,), (on_discord,) = await both.notices(slack_start, discord_start)
    assert set(re.findall(r"<@([^>|]+)", on_slack.dump())) == {sl.BOB.id}
    assert on_discord.body["content"] == f"<@{FRANK.id}>"
    assert {str(u) for u in on_discord.allowed_mentions["users"]} == {str(FRANK.id)}


async def test_a_code_from_discord_connects_slack(both: Both) -> None:
    await both.discord.ok("coalition setup", name="Eastside Tenants",
                          timezone="America/New_York")
    await both.discord.ok("coalition org add", name="Climate Now")
    link = await both.discord.ok("coalition link")
    assert link.ephemeral
    found = CODE.search(link.text)
    assert found, link.text
    slack_start, discord_start = both.marks()
    joined = await both.slack.ok(sl.CHEN, "/coalition", f"connect {found[1]}")
    assert joined["response_type"] == "ephemeral"
    (on_slack,), (on_discord,) = await both.notices(slack_start, discord_start)
    for text in (sl.text_of(on_slack.body), on_discord.text):
        assert "Eastside Tenants is now also on Slack" in text
        assert "Connected by Chen" in text
    await both.slack.ok(sl.CHEN, "/coalition", f'rep add {sl.DANA.mention} "Climate Now"')
    orgs = await both.discord.ok("coalition org list")  # a Slack rep, listed on Discord
    assert "#1 Climate Now\nDana" in orgs.text, orgs.text
