"""`coalition-bot run` as a service sees it: JSON logs line by line with no message text,
the version in the start-up line, /healthz on [bot] admin_port, and `coalition-bot status`."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from pathlib import Path

import aiohttp
from fake_discord import TOKEN, Driver, FakeDiscord
from test_discord_process import DEADLINE, SCRIPT, env, fake, read_until, write_config

import coalition_bot

__all__ = ["fake"]  # the fixture, shared with the Discord process tests

SECRET = "Okapi-Marmalade rent strike"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_service_logs_json_serves_healthz_and_answers_status(
        tmp_path: Path, fake: FakeDiscord) -> None:
    port = free_port()
    config = write_config(tmp_path, fake)
    text = config.read_text().replace(
        "[bot]\n", f'[bot]\nlog_format = "json"\nlog_level = "DEBUG"\nadmin_port = {port}\n')
    config.write_text(text)
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT), "run", "--config", str(config), cwd=tmp_path,
        env=env(DISCORD_TOKEN=TOKEN), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    deadline = time.monotonic() + DEADLINE
    try:
        assert proc.stdout is not None
        out = await read_until(proc.stdout, "discord ready", deadline)
        assert f"health on http://127.0.0.1:{port}/healthz" in out
        discord = Driver(fake)
        await discord.coalition()
        await discord.ok("poll create", question=f"{SECRET}?")
        await discord.ok("poll close", poll="1", confirm="yes")
        await discord.posted(0)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as answer:
                assert answer.status == 200, await answer.text()
        status = await asyncio.create_subprocess_exec(
            str(SCRIPT), "status", "--config", str(config), cwd=tmp_path, env=env(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        said, err = await asyncio.wait_for(status.communicate(), DEADLINE)
        assert status.returncode == 0, said.decode() + err.decode()
        said = said.decode()
        assert "running bot, discord: ok" in said
        assert "running bot: healthy" in said
        assert "0 waiting (0 late)" in said
        assert "scheduler: last sweep" in said
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), max(deadline - time.monotonic(), 5))
    assert proc.returncode == 0, err.decode()
    log = err.decode()
    records = [json.loads(line) for line in log.splitlines()]  # every line is JSON
    assert SECRET not in log
    assert "Okapi" not in log
    assert TOKEN not in log
    start = next(r for r in records if r.get("event") == "start")
    assert start["version"] == coalition_bot.__version__
    assert coalition_bot.__version__ in start["message"]
    commands = [(r["command"], r["outcome"]) for r in records if r.get("event") == "command"]
    assert ("poll create", "ok") in commands
    assert ("poll close", "ok") in commands
    assert any(r.get("event") == "delivery" and r["outcome"] == "sent" for r in records)


async def test_status_without_a_running_bot_says_so(tmp_path: Path, fake: FakeDiscord) -> None:
    config = write_config(tmp_path, fake)
    config.write_text(config.read_text().replace("[bot]\n", f"[bot]\nadmin_port = "
                                                            f"{free_port()}\n"))
    migrate = await asyncio.create_subprocess_exec(
        str(SCRIPT), "migrate", "--config", str(config), cwd=tmp_path, env=env())
    assert await migrate.wait() == 0
    status = await asyncio.create_subprocess_exec(
        str(SCRIPT), "status", "--config", str(config), cwd=tmp_path, env=env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    said, err = await asyncio.wait_for(status.communicate(), DEADLINE)
    assert status.returncode == 1, err.decode()
    assert "answers" in said.decode()
    assert "is it running?" in said.decode()
