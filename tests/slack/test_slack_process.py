"""End to end: the installed `coalition-bot run` process on Slack over HTTP, driven by signed
requests, its Web API calls landing on the fake Slack; stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import aiohttp
from slack_harness import (
    ALICE,
    BOB,
    BOT_TOKEN,
    HOME,
    FakeSlack,
    Workspace,
    run_config,
    run_env,
    text_of,
    without_dates,
)

EXE = Path(sys.executable).parent / "coalition-bot"


async def _line(stream: asyncio.StreamReader, pattern: str, within: float = 20) -> str:
    async def scan() -> str:
        seen = []
        while line := (await stream.readline()).decode():
            seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"the process ended before printing {pattern!r}: {seen}")

    return await asyncio.wait_for(scan(), within)


async def test_coalition_bot_run_on_slack(tmp_path: Path, fake: FakeSlack) -> None:
    config = run_config(tmp_path, fake, log_level="WARNING")
    env = run_env()
    proc = await asyncio.create_subprocess_exec(
        str(EXE), "run", "--config", str(config), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        ready = await _line(proc.stdout, r"slack ready")
        url = re.search(r"http://127\.0\.0\.1:\d+/slack/events", ready)
        assert url, ready
        assert fake.to("auth.test")[0].auth == f"Bearer {BOT_TOKEN}"
        async with aiohttp.ClientSession() as http:
            slack = Workspace(fake, url[0], http, adapter=None)
            setup = await slack.ok(ALICE, "/coalition", 'setup "Eastside" America/New_York')
            assert "Eastside" in text_of(setup)
            assert setup["response_type"] == "in_channel"
            await slack.ok(ALICE, "/coalition", 'org add "Tenants United"')
            await slack.ok(ALICE, "/coalition", f'rep add {BOB.mention} "Tenants United"')
            await slack.ok(ALICE, "/poll", "create <!channel> Join the march?")
            await slack.ok(ALICE, "/poll", "remind 1")
            notice = await fake.wait_call("chat.postMessage")
            assert notice.body["channel"] == HOME
            assert f"<@{BOB.id}>" in text_of(notice.body)
            assert "<!" not in without_dates(notice.dump())
            _, status, _ = await slack.command(ALICE, "/poll", "status 1", secret="wrong")
            assert status == 401
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
        errors = (await proc.stderr.read()).decode()
        assert "Traceback" not in errors, errors
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
