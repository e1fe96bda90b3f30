"""A message Slack or Discord refuses is an answer, a reminder or a decision that never
arrives. Big coalitions (long names, many of everything) must still render within what
each platform accepts (`reliability_support.slack_limit_problems`,
`discord_limit_problems`: Block Kit's 3000-character sections, 50 blocks, 150-character
headers; Discord's 256/4096/1024/6000-character embed parts, 25 fields, 2000-character
content). The fuzzing checks single long values; this checks many of them at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import MovableClock, RecordingOutlet, text_of
from reliability_support import render_problems, slack_problems

from coalition_bot.adapters.slack.render import Renderer
from coalition_bot.bot import Bot
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.replies import Invocation, Reply

SHOWN = ("coalition info", "coalition org list", "coalition goals", "poll list all",
         "poll status 1", "poll status 2", "poll remind 1", "poll close 2 confirm:yes",
         "coalition log 50",
         "meeting list", "meeting info 1", "meeting agenda 1", "meeting actions all",
         "role list", "role workload", "topic list", "help", "meeting help")


async def test_a_coalition_with_many_long_things_renders_within_both_platforms_limits(
        tmp_path: Path) -> None:
    bot = await Bot.open(tmp_path / "big.db", clock=MovableClock())
    outlet = RecordingOutlet("console")
    bot.add_outlet(outlet)

    async def say(user: str, line: str) -> Reply:
        reply = await bot.handle(Invocation("console", "local", "console", user.lower(),
                                            user, line))
        assert not reply.error, f"{line[:60]!r}: {reply.text}"
        return reply

    def person(i: int) -> str:
        return f"Person {i:02d} {'P' * 60}"

    try:
        await say("Alice", f'coalition setup "{"C" * 80}" America/New_York')
        for i in range(40):
            await say("Alice", f'coalition org add "{"O" * 70} {i:02d}"')
            await say("Alice", f'coalition rep add "{person(i)}" #{i + 1}')
            await say("Alice", f"role create R{i:02d}{'r' * 50} {'D' * 290}")
            await say("Alice", f'role assign R{i:02d}{"r" * 50} "{person(i)}"')
            await say("Alice", f"topic add {'t' * 90} {i} reason:\"{'x' * 290}\"")
        for i in range(30):
            await say("Alice", f"coalition goal add {'G' * 290} {i}")
            await say("Alice", f"coalition goal update {i + 1} blocked {'N' * 490}")
        choices = "|".join(f"{c * 38}{i}" for i, c in enumerate("abcdefghij"))
        await say("Alice", f'poll create {"Q" * 290} choices:"{choices}"')
        await say("Alice", f"poll create {'R' * 290}")
        await say("Alice", f'meeting schedule "{"T" * 120}" "2026-12-01 18:00" '
                           f'every:weekly where:"{"W" * 300}"')
        for i in range(40):
            await say("Alice", f"meeting agenda add 1 {'A' * 490} {i}")
            await say("Alice", f"meeting note 1 action {'N' * 490} {i}")
            await say(person(i), f"poll vote 2 agree {'Y' * 290}")
        shown = [await say("Alice", line) for line in SHOWN]
        await bot.drain()
    finally:
        await bot.close()
    assert len(text_of(shown[SHOWN.index("coalition log 50")])) > 30000  # big indeed
    for line, reply in zip(SHOWN, shown, strict=True):
        assert not render_problems(reply), (line, render_problems(reply))
    assert len(outlet.posted) >= 32
    for _, notice in outlet.posted:
        assert not render_problems(notice), (notice.title, render_problems(notice))


async def test_a_reminder_pinging_hundreds_of_slack_members_fits_in_a_slack_message(
        tmp_path: Path) -> None:
    bot = await Bot.open(tmp_path / "many.db", clock=MovableClock())
    outlet = RecordingOutlet("slack")
    bot.add_outlet(outlet)

    async def say(user_id: str, line: str) -> None:
        reply = await bot.handle(Invocation("slack", "T0BIG", "C0HOME", user_id,
                                            f"Member {user_id}", line))
        assert not reply.error, reply.text

    try:
        await say("U0ALICE", 'coalition setup "Big Coalition" UTC')
        for i in range(300):  # 300 members, each seen once by the bot
            await say(f"U{i:08d}", "coalition info")
        await say("U0ALICE", "poll create Strike on Monday? electorate:members")
        await say("U0ALICE", "poll remind 1")
        await bot.drain()
    finally:
        await bot.close()
    ((_, notice),) = outlet.posted
    if len(notice.mentions) != 301:  # not the failure this test is about
        pytest.fail(f"the reminder mentions {len(notice.mentions)} people, not 301")
    ids = [m.user_id for m in notice.mentions]
    payload = Renderer(COMMANDS).notice(notice)
    assert not render_problems(notice, slack_users=ids, discord_users=()), \
        render_problems(notice, slack_users=ids)[:3]
    assert not slack_problems(payload, ids)
    blocks = "\n".join(b.get("text", {}).get("text", "") for b in payload["blocks"])
    assert all(f"<@{uid}>" in blocks for uid in ids)  # everyone pinged, in the blocks
