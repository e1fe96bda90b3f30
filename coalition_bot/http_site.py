"""One aiohttp server on host:port: the web pages', /healthz's and Slack's over HTTP.

`HttpSite.start` serves a list of (method, path, handler) routes with no access log (paths
hold feed tokens and link slugs). A port it cannot take (in use, not allowed) becomes one
`ConfigError` sentence naming the address, what it was for and the cause, with the
setting to change as its hint: never a traceback. `stop` lets requests still running
finish within `shutdown_timeout` seconds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from coalition_bot.errors import ConfigError

__all__ = ["HttpSite", "Route"]

Route = tuple[str, str, Callable[..., Awaitable[Any]]]  # (method, path, handler)


class HttpSite:
    """Routes served on one host and port until `stop`."""

    def __init__(self, routes: Iterable[Route], *, purpose: str = "", hint: str = "",
                 shutdown_timeout: float = 60.0) -> None:
        self.routes = list(routes)
        self.purpose = purpose  # "for the coalition pages": said when the port is refused
        self.hint = hint
        self.shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> str:
        """Listen on host:port (0: any free port); the address it listens on,
        `http://HOST:PORT` (an IPv6 host in brackets)."""
        app = web.Application()
        for method, path, handler in self.routes:
            app.router.add_route(method, path, handler)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=self.shutdown_timeout)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as error:
            await runner.cleanup()
            purpose = f" {self.purpose}" if self.purpose else ""
            raise ConfigError(f"Cannot listen on {host}:{port}{purpose}: "
                              f"{error.strerror or error}.", hint=self.hint) from None
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        bound_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        return f"http://{bound_host}:{bound_port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def port(self) -> int:
        """The port it listens on (after `start`), useful with port 0."""
        if self._runner is None:
            raise RuntimeError("the site is not started")
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening; requests still running get `shutdown_timeout` to finish."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
