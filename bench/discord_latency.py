"""A Discord interaction through the real discord.py client and command tree, to the
interaction callback POST, against a bare command-tree callback.

Run by hand:  python bench/discord_latency.py

Everything runs in this process, on one event loop, as in tests/fake_discord.py: the
fake Discord (REST API + gateway websocket on 127.0.0.1) and the client it talks to.
Each interaction is an INTERACTION_CREATE pushed through the fake gateway; the clock
runs from just before the push until the fake's REST handler receives the callback
POST (`/interactions/ID/TOKEN/callback`), one interaction at a time.
- Floor: a bare discord.Client whose CommandTree has `/poll vote poll choice`, and whose
  callback only does `interaction.response.send_message("ok")`.
- Ours: the DiscordAdapter (adapters/discord) on a real SQLite file: `/poll vote` on an
  open organization poll by 60 representatives (first votes in the warm-up, then
  changes): tree built from the specs, Bot.handle, one transaction, embed rendering.
The fake's own work (websocket send, parsing the POST) is inside both figures.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import discord  # noqa: E402
from aiohttp import web  # noqa: E402
from common import goal, machine, pct, say, summary  # noqa: E402
from discord import app_commands  # noqa: E402
from fake_discord import (  # noqa: E402
    ALICE,
    CHANNEL_ID,
    GUILD_ID,
    TOKEN,
    TOKEN_ENV,
    FakeDiscord,
    Person,
    command_payload,
)

from coalition_bot.config import DiscordConfig  # noqa: E402

VOTERS = 60
WARMUP = 100
COUNT = 1000
CHOICES = ("agree", "disagree", "abstain")
REPS = [Person(510000000000000000 + i, f"Rep {i}") for i in range(VOTERS)]


class TimedDiscord(FakeDiscord):
    """The harness's fake Discord, noting when each interaction callback arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, asyncio.Future[float]] = {}

    async def _api(self, request: web.Request) -> web.StreamResponse:
        at = time.perf_counter()
        answer = await super()._api(request)
        waiter = self.arrived.pop(request.path, None)
        if waiter is not None:
            waiter.set_result(at)
        return answer


async def measure(fake: TimedDiscord, count: int, start: int) -> list[float]:
    """Milliseconds from pushing each interaction to its callback POST at the fake."""
    out = []
    loop = asyncio.get_running_loop()
    for n in range(start, start + count):
        rep = REPS[n % VOTERS]
        payload = command_payload("poll vote", {"poll": "1", "choice": CHOICES[
            (n // VOTERS) % len(CHOICES)]}, by=rep, guild=GUILD_ID, channel=CHANNEL_ID)
        path = f"/api/v10/interactions/{payload['id']}/{payload['token']}/callback"
        arrived = fake.arrived[path] = loop.create_future()
        t0 = time.perf_counter()
        await fake.dispatch("INTERACTION_CREATE", payload)
        out.append((await asyncio.wait_for(arrived, 10) - t0) * 1000)
    return out


def config(fake: FakeDiscord) -> DiscordConfig:
    return DiscordConfig(enabled=True, token_env=TOKEN_ENV, api_base=fake.api_base,
                         gateway_url=fake.gateway_url, message_content=False)


async def floor(fake: TimedDiscord) -> list[float]:
    from coalition_bot.adapters.discord.adapter import point_at, restore

    client = discord.Client(intents=discord.Intents.none(), max_messages=None)
    tree = app_commands.CommandTree(client)
    group = app_commands.Group(name="poll", description="polls")

    @group.command(name="vote", description="vote")
    async def vote(interaction: discord.Interaction[Any], poll: str, choice: str) -> None:
        await interaction.response.send_message("ok")

    tree.add_command(group)
    saved = point_at(config(fake))
    try:
        await client.login(TOKEN)
        gateway = asyncio.create_task(client.connect(reconnect=False))
        await asyncio.wait_for(client.wait_until_ready(), 10)
        await measure(fake, WARMUP, 0)
        result = await measure(fake, COUNT, 100_000)
        await client.close()
        await asyncio.wait_for(gateway, 10)
        return result
    finally:
        restore(saved)


async def ours(fake: TimedDiscord, work: Path) -> list[float]:
    from coalition_bot.adapters.discord import DiscordAdapter
    from coalition_bot.bot import Bot

    os.environ[TOKEN_ENV] = TOKEN
    bot = await Bot.open(work / "coalition.db")
    guild, alice = str(GUILD_ID), str(ALICE.id)
    await say(bot, "discord", guild, alice, 'coalition setup "Bench Coalition" UTC',
              name="Alice", channel=str(CHANNEL_ID))
    for i, rep in enumerate(REPS):
        await say(bot, "discord", guild, alice, f'coalition org add "Org {i}"', name="Alice")
        await say(bot, "discord", guild, alice, f'coalition rep add <@{rep.id}> "Org {i}"',
                  name="Alice", user_names={str(rep.id): rep.name})
    await say(bot, "discord", guild, alice, 'poll create "Endorse the bench?"', name="Alice")
    door = DiscordAdapter(bot, config(fake), guild_ready_timeout=0.0)
    bot.add_outlet(door)
    await door.start()
    try:
        await measure(fake, WARMUP, 0)
        result = await measure(fake, COUNT, 200_000)
        if door.client.errors:
            raise RuntimeError(f"errors in the Discord client: {door.client.errors!r}")
        return result
    finally:
        await door.stop()
        await bot.close()


async def main() -> None:
    print(machine())
    work = Path(tempfile.mkdtemp(prefix="discord-bench-"))
    try:
        fake = await TimedDiscord().start()
        try:
            bare = await floor(fake)
        finally:
            await fake.close()
        fake = await TimedDiscord().start()
        try:
            full = await ours(fake, work)
            bad = [c for c in fake.unexpected]
            if bad:
                raise RuntimeError(f"unexpected calls: {[(c.method, c.path) for c in bad]}")
        finally:
            await fake.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{COUNT} interactions each, one at a time, after {WARMUP} of warm-up; fake "
          f"Discord and client in this one process")
    print(f"floor: bare CommandTree callback, send_message: {summary(bare)}")
    print(f"ours:  /poll vote through the adapter:         {summary(full)}   "
          f"ratio p50 {pct(full, 50) / pct(bare, 50):.1f}x, p99 "
          f"{pct(full, 99) / pct(bare, 99):.1f}x")
    print(f"goal: <= 5 ms p99 -> {goal(pct(full, 99) <= 5)}")


if __name__ == "__main__":
    asyncio.run(main())
