"""The shipped processes against the fake Discord: `coalition-bot run` with [discord]
enabled, driven through the fake gateway and stopped with SIGTERM, and
`coalition-bot discord-sync`."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_discord import APP_ID, BOB, GUILD_ID, TOKEN, Driver, FakeDiscord

from coalition_bot.commands.registry import COMMANDS

SCRIPT = Path(sys.executable).parent / "coalition-bot"
DEADLINE = 30.0


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items()
           if not k.startswith(("COALITION_BOT", "DISCORD_"))}
    out["PYTHONIOENCODING"] = "utf-8"
    out.update(extra)
    return out


def write_config(tmp_path: Path, fake: FakeDiscord, **discord: str) -> Path:
    lines = [f'[bot]\ndatabase = "{tmp_path / "coalition.db"}"\n', "[discord]",
             "enabled = true", f'api_base = "{fake.api_base}"',
             f'gateway_url = "{fake.gateway_url}"']
    lines += [f"{k} = {v}" for k, v in discord.items()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    yield server
    await server.close()
    assert not server.unexpected, [f"{c.method} {c.path}" for c in server.unexpected]


async def read_until(stream: asyncio.StreamReader, needle: str, deadline: float) -> str:
    seen = ""
    while needle not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"timed out waiting for {needle!r}; got {seen!r}"
        line = await asyncio.wait_for(stream.readline(), left)
        assert line, f"the process ended before printing {needle!r}; got {seen!r}"
        seen += line.decode()
    return seen


async def test_coalition_bot_run_serves_discord_and_stops_cleanly_on_sigterm(
        tmp_path: Path, fake: FakeDiscord) -> None:
    config = write_config(tmp_path, fake)
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT), "run", "--config", str(config), cwd=tmp_path,
        env=env(DISCORD_TOKEN=TOKEN), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    deadline = time.monotonic() + DEADLINE
    try:
        assert proc.stdout is not None
        out = await read_until(proc.stdout, "discord ready", deadline)
        assert f"application {APP_ID}" in out
        assert fake.identified[0]["token"] == TOKEN
        discord = Driver(fake)
        await discord.coalition()
        created = await discord.ok("poll create", question="@everyone: join the march?")
        assert created.allowed_mentions == {"parse": []}
        vote = await discord.click(dict(created.buttons)["agree"], "agree", by=BOB)
        assert vote.message is not None
        assert "Recorded Tenants United's vote" in vote.message.text
        start = len(fake.calls)
        await discord.ok("poll close", poll="1", confirm="yes")
        (notice,) = await discord.posted(start)
        assert "Poll #1 closed: passed" in notice.text
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), max(deadline - time.monotonic(), 5))
    assert proc.returncode == 0, err.decode()
    assert "Traceback" not in err.decode(), err.decode()
    with sqlite3.connect(tmp_path / "coalition.db") as conn:
        assert conn.execute("SELECT status FROM poll").fetchall() == [("closed",)]


async def run_cli(*argv: str, cwd: Path, **extra: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT), *argv, cwd=cwd, env=env(**extra), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_discord_sync_registers_the_commands_per_server_or_globally(
        tmp_path: Path, fake: FakeDiscord) -> None:
    config = write_config(tmp_path, fake)
    code, out, err = await run_cli("discord-sync", "--config", str(config), "--guild",
                                   str(GUILD_ID), cwd=tmp_path, DISCORD_TOKEN=TOKEN)
    assert code == 0, err
    (put,) = fake.find("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    assert [c["name"] for c in put.body] == list(COMMANDS)
    assert f"synced server {GUILD_ID}: {len(COMMANDS)} command(s): /coalition" in out
    meeting = next(c for c in put.body if c["name"] == "meeting")
    agenda = next(o for o in meeting["options"] if o["name"] == "agenda")
    assert agenda["type"] == 2
    assert [o["name"] for o in agenda["options"]] == ["add", "remove", "move", "show"]

    code, out, err = await run_cli("discord-sync", "--config", str(config), cwd=tmp_path,
                                   DISCORD_TOKEN=TOKEN)
    assert code == 0, err
    assert fake.find("PUT", f"/applications/{APP_ID}/commands")
    assert "synced globally" in out

    config = write_config(tmp_path, fake, guild_ids='["123456789012345678"]')
    code, out, err = await run_cli("discord-sync", "--config", str(config), cwd=tmp_path,
                                   DISCORD_TOKEN=TOKEN)
    assert code == 0, err
    assert fake.find("PUT", f"/applications/{APP_ID}/guilds/123456789012345678/commands")


async def test_discord_sync_needs_the_token_in_the_environment(tmp_path: Path,
                                                                fake: FakeDiscord) -> None:
    config = write_config(tmp_path, fake)
    code, _, err = await run_cli("discord-sync", "--config", str(config), cwd=tmp_path)
    assert code == 2
    assert "DISCORD_TOKEN is not set" in err
    code, _, err = await run_cli("discord-sync", "--config", str(config), "--guild", "abc",
                                 cwd=tmp_path, DISCORD_TOKEN=TOKEN)
    assert code == 2
    assert "not 'abc'" in err
    assert not fake.calls
