"""The web server in real processes: `coalition-bot run` with only [web] (no Slack, no
Discord), and `coalition-bot console --config` serving the console's own page."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
from test_discord_process import DEADLINE, SCRIPT, env, read_until
from test_ops_process import free_port


def _config(tmp_path: Path, port: int) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndatabase = "coalition.db"\n\n[web]\nenabled = true\n'
                      f'port = {port}\nbase_url = "https://bot.example.org"\n',
                      encoding="utf-8")
    return config


async def _page(port: int, deadline: float) -> tuple[int, str]:
    """GET the console coalition's page, waiting for the process to have made it."""
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(f"http://127.0.0.1:{port}/c/eastside-tenants") as answer:
                status, body = answer.status, await answer.text()
            if status == 200 or time.monotonic() > deadline:
                return status, body
            await asyncio.sleep(0.1)


async def test_run_serves_pages_with_only_web_enabled(tmp_path: Path) -> None:
    setup = await asyncio.create_subprocess_exec(
        str(SCRIPT), "console", "--db", str(tmp_path / "coalition.db"), "--as", "Alice",
        cwd=tmp_path, env=env(), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(setup.communicate(
        b'coalition setup "Eastside Tenants" America/New_York\ncoalition page on\n'), DEADLINE)
    assert setup.returncode == 0, out.decode() + err.decode()
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT), "run", "--config", str(_config(tmp_path, port)), cwd=tmp_path,
        env=env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    deadline = time.monotonic() + DEADLINE
    try:
        assert proc.stdout is not None
        said = await read_until(proc.stdout, "coalition pages on", deadline)
        assert f"http://127.0.0.1:{port}/c/..." in said
        status, body = await _page(port, deadline)
        assert status == 200
        assert "<h1>Eastside Tenants</h1>" in body
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
    assert proc.returncode == 0, err.decode()


async def test_the_console_serves_its_coalitions_page(tmp_path: Path) -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT), "console", "--config", str(_config(tmp_path, port)),
        "--db", str(tmp_path / "coalition.db"), "--as", "Alice", cwd=tmp_path, env=env(),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    assert proc.stdin is not None
    assert proc.stdout is not None
    deadline = time.monotonic() + DEADLINE
    try:
        await read_until(proc.stdout, "coalition pages on", deadline)
        proc.stdin.write(b'coalition setup "Eastside Tenants" America/New_York\n'
                         b"coalition page on\n")
        await proc.stdin.drain()
        said = await read_until(proc.stdout, "https://bot.example.org/c/eastside-tenants",
                                deadline)
        assert "Coalition page on" in said
        status, body = await _page(port, deadline)
        assert status == 200
        assert "<h1>Eastside Tenants</h1>" in body
    finally:
        proc.stdin.close()
        _, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
    assert proc.returncode == 0, err.decode()
