"""End to end: `coalition-bot run` with `install = "oauth"` at DEBUG. Two workspaces
install it through the browser flow and use it; then the database file (and its WAL)
and everything the process logged are searched for their tokens in clear text."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import aiohttp
from oauth_harness import HOME_A, STATE_SECRET, TEAM_A, TEAM_B, TOKEN_KEY, Door
from slack_harness import ALICE, CLIENT_ID, CLIENT_SECRET, SECRET, FakeSlack, run_env

EXE = Path(sys.executable).parent / "coalition-bot"


async def test_an_installed_workspace_leaves_no_token_in_the_database_or_the_log(
        tmp_path: Path, fake: FakeSlack) -> None:
    fake.check_tokens = True
    config = tmp_path / "config.toml"
    config.write_text(f"""
[bot]
database = "bot.db"
log_level = "DEBUG"

[slack]
enabled = true
install = "oauth"
host = "127.0.0.1"
port = 0
api_base = "{fake.api_base}"
signing_secret_env = "E2E_SLACK_SIGNING"
client_id_env = "E2E_SLACK_CLIENT_ID"
client_secret_env = "E2E_SLACK_CLIENT_SECRET"
state_secret_env = "E2E_SLACK_STATE"
token_key_env = "E2E_TOKEN_KEY"
""", encoding="utf-8")
    env = run_env(E2E_SLACK_SIGNING=SECRET, E2E_SLACK_CLIENT_ID=CLIENT_ID,
                  E2E_SLACK_CLIENT_SECRET=CLIENT_SECRET, E2E_SLACK_STATE=STATE_SECRET,
                  E2E_TOKEN_KEY=TOKEN_KEY)
    proc = await asyncio.create_subprocess_exec(
        str(EXE), "run", "--config", str(config), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    err = bytearray()

    async def drain() -> None:
        assert proc.stderr is not None
        while chunk := await proc.stderr.read(65536):
            err.extend(chunk)

    reader = asyncio.create_task(drain())
    try:
        assert proc.stdout is not None
        ready = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        found = re.search(r"(http://127\.0\.0\.1:\d+)/slack/events", ready)
        assert found, (ready, err.decode()[-3000:])
        assert "/slack/install" in ready, (ready, err.decode()[-3000:])
        async with aiohttp.ClientSession() as http:
            door = Door(fake, found[1], http, adapter=None)
            a = await door.install(TEAM_A, "Eastside Org")
            await door.install(TEAM_B, "Northside Org")
            await a.ok(ALICE, "/coalition", 'setup "Eastside" America/New_York',
                       channel=HOME_A)
        tokens = [fake.token_of(TEAM_A), fake.token_of(TEAM_B)]
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await reader
    log = err.decode("utf-8", "replace")
    assert "DEBUG" in log, log[-2000:]
    assert "installed on slack Eastside Org" in log, log[-2000:]
    assert "Traceback" not in log
    for token in tokens:
        assert token not in log
    assert "xoxb-" not in log
    assert_no_token_in_files(tmp_path, tokens)


def assert_no_token_in_files(folder: Path, tokens: list[str]) -> None:
    """The database file and its WAL and journal hold no token in clear text."""
    files = [p for p in folder.iterdir() if p.name.startswith("bot.db")]
    assert files
    for path in files:
        data = path.read_bytes()
        for token in tokens:
            assert token.encode() not in data, path.name
        assert b"xoxb-" not in data, path.name
