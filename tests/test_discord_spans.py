"""What the core means as structure reaches Discord as Discord markup (its times as
timestamps); what people typed reaches Discord as they typed it, only escaped, however
much it looks like a time or a command. Through the real discord.py client."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest
from fake_discord import World

# Shaped like a time the bot writes, like a date people write, and like our commands.
QUESTION = ("Meet 5/3 at 6pm, or Tue 1 Dec 2026, 18:00 (America/New_York)? "
            "See /poll list")
UNIX = int(datetime(2026, 12, 1, 23, 0, tzinfo=UTC).timestamp())  # 18:00 in New York
STAMP = f"<t:{UNIX}:F> (<t:{UNIX}:R>; 18:00 America/New\\_York)"


@pytest.fixture
async def guild(tmp_path: Path):
    async with World.open(tmp_path) as w:
        await w.coalition()
        yield w


async def test_a_question_shaped_like_a_time_or_a_command_reaches_discord_as_typed(
        guild: World) -> None:
    created = await guild.ok("poll create", question=QUESTION, closes="2026-12-01 18:00")
    shown = discord.utils.escape_markdown(QUESTION)
    assert created.embeds[0]["title"] == f"Poll #1: {shown}"
    listed = (await guild.ok("poll list")).embeds[0]["description"]
    assert listed.startswith(f"\\#1 [open] {shown} (closes {STAMP};")
    assert listed.count("<t:") == 2  # the closing time only, not the question's


async def test_the_bots_times_are_timestamps_in_replies_and_notices(guild: World) -> None:
    created = await guild.ok("poll create", question="Strike?", closes="2026-12-01 18:00")
    assert f"Closes {STAMP}." in created.embeds[0]["description"]
    start = len(guild.fake.calls)
    await guild.ok("poll close", poll="1", confirm="yes")
    (notice,) = await guild.posted(start)
    assert f"it was to close {STAMP}." in notice.embeds[0]["description"]
