"""The bot's web server for tests: served for real on 127.0.0.1 (a free port), with
`[web] base_url` pointing at it, and a client to ask it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict

from coalition_bot.bot import Bot
from coalition_bot.config import WebConfig
from coalition_bot.web import WebServer


@dataclass
class Site:
    server: WebServer
    base: str
    http: aiohttp.ClientSession

    async def get(self, path: str, **headers: str) -> tuple[int, str, CIMultiDict[str]]:
        """GET `path` (or an absolute address); status, body text and headers (any case)."""
        address = path if path.startswith("http") else self.base + path
        async with self.http.get(address, headers=headers) as answer:
            return answer.status, await answer.text(), CIMultiDict(answer.headers)


@asynccontextmanager
async def served(bot: Bot, **settings: object) -> AsyncIterator[Site]:
    config = WebConfig(enabled=True, host="127.0.0.1", port=0,
                       **settings)  # type: ignore[arg-type]
    server = WebServer(bot, config)
    await server.serve()
    base = f"http://127.0.0.1:{server.port}"
    bot.serve_pages_at(base)  # what `[web] base_url` says, once the port is known
    try:
        async with aiohttp.ClientSession() as http:
            yield Site(server, base, http)
    finally:
        bot.serve_pages_at("")
        await server.stop()


def slug_of(address: str) -> str:
    """`http://127.0.0.1:PORT/c/SLUG` → `SLUG`."""
    return address.rsplit("/c/", 1)[1]
