"""A port already taken: each of the bot's HTTP servers (the coalition pages, /healthz on
the admin port, Slack over HTTP) says so in one sentence naming the address and the
cause, with the setting to change, and no traceback; nothing is left listening."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_discord_process import DEADLINE, SCRIPT, env

from coalition_bot.bot import Bot
from coalition_bot.config import ConfigError, WebConfig
from coalition_bot.health import AdminServer
from coalition_bot.http_site import HttpSite
from coalition_bot.web import WebServer


@pytest.fixture
def taken() -> Iterator[int]:
    """A port on 127.0.0.1 that another program is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def _one_sentence(error: ConfigError, port: int) -> str:
    text = error.message  # the sentence; the hint follows on its own line
    assert f"127.0.0.1:{port}" in text
    assert "in use" in text.lower()  # the cause, as the system says it
    assert "\n" not in text
    assert "Traceback" not in text
    assert error.__suppress_context__  # raised `from None`: no chained traceback
    return text


async def test_the_pages_on_a_taken_port_say_so(bot: Bot, taken: int) -> None:
    server = WebServer(bot, WebConfig(enabled=True, host="127.0.0.1", port=taken))
    with pytest.raises(ConfigError) as refused:
        await server.serve()
    text = _one_sentence(refused.value, taken)
    assert text.startswith(f"Cannot listen on 127.0.0.1:{taken} for the coalition pages: ")
    assert refused.value.hint == "Pick another [web] host or port."
    assert server._site is None


async def test_the_admin_port_taken_says_so(bot: Bot, taken: int) -> None:
    admin = AdminServer(bot, None)
    with pytest.raises(ConfigError) as refused:
        await admin.serve(taken)
    text = _one_sentence(refused.value, taken)
    assert text.startswith(f"Cannot listen on 127.0.0.1:{taken} for /healthz and /metrics: ")
    assert refused.value.hint == "Pick another [bot] admin_port."


async def test_a_site_serves_its_routes_and_stops(bot: Bot) -> None:
    import aiohttp
    from aiohttp import web

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    site = HttpSite([("GET", "/hello", hello)])
    where = await site.start("127.0.0.1", 0)
    assert where == f"http://127.0.0.1:{site.port}"
    async with aiohttp.ClientSession() as http, http.get(f"{where}/hello") as answer:
        assert await answer.text() == "hello"
    await site.stop()
    assert not site.running
    with socket.socket() as again:  # the port is free again
        again.bind(("127.0.0.1", int(where.rsplit(":", 1)[1])))


async def test_run_with_the_pages_port_taken_exits_with_one_sentence(
        tmp_path: Path, taken: int) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndatabase = "coalition.db"\n\n[web]\nenabled = true\n'
                      f'host = "127.0.0.1"\nport = {taken}\n', encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT), "run", "--config", str(config), cwd=tmp_path, env=env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    started = time.monotonic()
    out, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
    said = err.decode()
    assert proc.returncode != 0, out.decode() + said
    assert "Traceback" not in said
    assert f"Cannot listen on 127.0.0.1:{taken} for the coalition pages: " in said
    assert "in use" in said.lower()
    assert time.monotonic() - started < DEADLINE
