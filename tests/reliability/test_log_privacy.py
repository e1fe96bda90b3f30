"""Channel message text and platform tokens never reach the log, even at DEBUG.

The real `coalition-bot run` process with `log_level = "DEBUG"`, against the fake
Discord (gateway and REST) and the fake Slack (signed requests): a channel message with
a marker in it, slash commands (whose interaction tokens travel in URLs), and on Slack a
badly signed request whose body holds a marker. Everything the process wrote to
standard error is searched for the markers and the tokens.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from fake_discord import (
    BOB,
    CHANNEL_ID,
    GUILD_ID,
    TOKEN,
    Driver,
    FakeDiscord,
    message_create_payload,
)
from slack_harness import ALICE, BOT_TOKEN, SECRET, FakeSlack, Workspace

SCRIPT = Path(sys.executable).parent / "coalition-bot"
MARKER = "quokka-umbrella-5517"  # in channel messages: never to be logged


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items()
           if not k.startswith(("COALITION_BOT", "DISCORD_", "SLACK_"))}
    return out | {"PYTHONIOENCODING": "utf-8"} | extra


class Process:
    """`coalition-bot run` with its standard error read all along (DEBUG fills a pipe)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.err = bytearray()
        assert proc.stderr is not None
        self._reader = asyncio.create_task(self._drain(proc.stderr))

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.err += chunk

    async def ready(self, platform: str) -> str:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        assert f"{platform} ready" in line.decode(), (line, self.err.decode()[-3000:])
        return line.decode()

    async def stop(self) -> str:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.proc.wait(), 30)
        await self._reader
        return self.err.decode("utf-8", "replace")


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.close()


async def start(tmp_path: Path, section: str, **extra: str) -> Process:
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndatabase = "bot.db"\nlog_level = "DEBUG"\n\n{section}',
                      encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT), "run", "--config", str(config), cwd=tmp_path, env=env(**extra),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    return Process(proc)


async def test_discord_at_debug_logs_no_message_text_and_no_interaction_token(
        tmp_path: Path, fake_discord: FakeDiscord) -> None:
    bot = await start(tmp_path, f'[discord]\nenabled = true\nmessage_content = true\n'
                                f'api_base = "{fake_discord.api_base}"\n'
                                f'gateway_url = "{fake_discord.gateway_url}"\n',
                      DISCORD_TOKEN=TOKEN)
    try:
        await bot.ready("discord")
        discord = Driver(fake_discord)
        await discord.coalition()
        await discord.ok("topic add", phrase="electoral endorsements",
                         reason="partners differ")
        start_at = len(fake_discord.calls)
        await discord.say(f"{MARKER} about electoral endorsements", by=BOB)
        await fake_discord.wait_for(lambda: [c for c in fake_discord.calls[start_at:]
                                             if c.path.startswith("/channels/")])
        await fake_discord.dispatch("MESSAGE_CREATE", message_create_payload(
            f"plain {MARKER} chat", by=BOB, guild=GUILD_ID, channel=CHANNEL_ID))
        await asyncio.sleep(0.5)
        tokens = {c.path.split("/")[3] for c in fake_discord.calls
                  if c.path.startswith("/interactions/")}
    finally:
        log = await bot.stop()
    assert tokens, "no interaction reached the bot"
    assert "DEBUG" in log, log[-2000:]  # DEBUG was on
    assert "discord" in log, log[-2000:]
    assert MARKER not in log
    leaked = [t for t in tokens if t in log]
    assert not leaked, [line for line in log.splitlines() if any(t in line for t in leaked)][:3]
    assert TOKEN not in log


async def test_slack_at_debug_logs_no_message_text_and_no_badly_signed_body(
        tmp_path: Path, fake_slack: FakeSlack) -> None:
    bot = await start(tmp_path, f'[slack]\nenabled = true\ntransport = "http"\n'
                                f'host = "127.0.0.1"\nport = 0\n'
                                f'api_base = "{fake_slack.api_base}"\n',
                      SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET)
    try:
        ready = await bot.ready("slack")
        url = re.search(r"http://127\.0\.0\.1:\d+/slack/events", ready)
        assert url, ready
        async with aiohttp.ClientSession() as http:
            slack = Workspace(fake_slack, url[0], http, adapter=None)
            await slack.ok(ALICE, "/coalition", 'setup "Eastside" America/New_York')
            assert await slack.message(ALICE, f"{MARKER} in the channel",
                                       event_id="Ev0MARK") == 200
            _, status, _ = await slack.command(ALICE, "/coalition",
                                               f"goal add {MARKER}", secret="wrong")
            assert status == 401
            for _ in range(100):  # bolt logs the refusal after answering it
                if b"Invalid request signature" in bot.err:
                    break
                await asyncio.sleep(0.05)
    finally:
        log = await bot.stop()
    assert "DEBUG" in log, log[-2000:]  # DEBUG was on
    assert "Invalid request signature detected" in log  # still said, without the body
    assert MARKER not in log, [line for line in log.splitlines() if MARKER in line][:3]
    assert BOT_TOKEN not in log
