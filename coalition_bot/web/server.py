"""The web server: routes for pages and feeds, conditional GET, the rate limit."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from importlib import resources

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from coalition_bot.bot import Bot, Feed
from coalition_bot.config import WebConfig
from coalition_bot.http_site import HttpSite
from coalition_bot.rules.calendar_links import webcal
from coalition_bot.rules.times import format_local
from coalition_bot.web.limits import RateLimiter

__all__ = ["WebServer"]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SCRIPT = resources.files("coalition_bot.web").joinpath("localize.js").read_text("utf-8")
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a link slug or a join link never leaves in Referer
    "Cache-Control": "no-cache",  # revalidate each time: a page turned off is gone at once
}
PAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; "
               f"script-src 'sha256-{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'; "
               "frame-ancestors 'none'")
NOT_FOUND = "Not found.\n"
# Slugs and feed tokens are URL-safe words; anything else (a NUL, a slash) is not one,
# and is answered like an unknown one without asking the database.
_ADDRESS_WORD = re.compile(r"[A-Za-z0-9_-]{1,100}")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("coalition_bot.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["iso"] = lambda when: when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    env.filters["local"] = format_local
    return env


def not_found() -> web.Response:
    """The one 404: the same for an unknown address, a page turned off, a revoked feed."""
    return web.Response(status=404, text=NOT_FOUND, headers=COMMON_HEADERS)


class WebServer:
    """The pages and feeds of every coalition in one database."""

    def __init__(self, bot: Bot, config: WebConfig) -> None:
        self.bot = bot
        self.config = config
        self.limiter = RateLimiter(config.rate_limit)
        self.templates = _environment()
        self._site: HttpSite | None = None  # its own server, when not on Slack's

    @property
    def routes(self) -> list[tuple[str, str, Handler]]:
        """(method, path, handler); HEAD too, which some calendar apps ask first."""
        pages = [("/c/{slug}", self.limited(self.page)),
                 ("/c/{slug}/calendar.ics", self.limited(self.coalition_feed)),
                 ("/feed/{token}.ics", self.limited(self.personal_feed))]
        return [(method, path, handler) for path, handler in pages
                for method in ("GET", "HEAD")]

    def address(self, request: web.Request) -> str:
        if self.config.behind_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "")
            last = forwarded.rsplit(",", 1)[-1].strip()
            if last:
                return last
        return request.remote or "?"

    def limited(self, handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            wait = self.limiter.take(self.address(request))
            if wait:
                return web.Response(status=429, text="Too many requests; try again soon.\n",
                                    headers={**COMMON_HEADERS,
                                             "Retry-After": str(max(1, round(wait)))})
            return await handler(request)
        return guarded

    async def page(self, request: web.Request) -> web.StreamResponse:
        now = self.bot.clock()
        if not _ADDRESS_WORD.fullmatch(request.match_info["slug"]):
            return not_found()
        found = await self.bot.page_view(request.match_info["slug"])
        if found is None:
            return not_found()
        html = self.templates.get_template("page.html").render(
            page=found, script=SCRIPT, now=now,
            feed_url=self.bot.page_url(found.feed_path) or found.feed_path,
            webcal=_webcal(self.bot.page_url(found.feed_path)))
        headers = {**COMMON_HEADERS, "Content-Security-Policy": PAGE_POLICY}
        if found.access == "link":
            headers["X-Robots-Tag"] = "noindex, nofollow"
        return web.Response(text=html, content_type="text/html", charset="utf-8",
                            headers=headers)

    async def coalition_feed(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        if not _ADDRESS_WORD.fullmatch(slug):
            return not_found()
        feed = await self.bot.coalition_feed(slug)
        return self._feed(request, feed, "coalition-meetings.ics", public=True)

    async def personal_feed(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if not _ADDRESS_WORD.fullmatch(token):
            return not_found()
        feed = await self.bot.personal_feed(token)
        return self._feed(request, feed, "my-meetings.ics", public=False)

    def _feed(self, request: web.Request, feed: Feed | None, filename: str, *,
              public: bool) -> web.StreamResponse:
        if feed is None:
            return not_found()
        headers = {**COMMON_HEADERS, "ETag": feed.etag,
                   "Last-Modified": format_datetime(feed.modified.astimezone(UTC),
                                                    usegmt=True),
                   "Cache-Control": "no-cache" if public else "private, no-cache"}
        if not public:
            headers["X-Robots-Tag"] = "noindex, nofollow"
        if _not_modified(request, feed.etag, feed.modified):
            return web.Response(status=304, headers=headers)
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
        return web.Response(body=feed.body, content_type="text/calendar", charset="utf-8",
                            headers=headers)

    async def serve(self) -> str:
        """Serve the routes alone on [web] host:port; say where."""
        site = HttpSite(self.routes, purpose="for the coalition pages",
                        hint="Pick another [web] host or port.")
        where = await site.start(self.config.host, self.config.port)
        self._site = site
        return f"{where}/c/..."

    @property
    def port(self) -> int:
        """The port it listens on (after `serve`), useful with port 0."""
        assert self._site is not None
        return self._site.port

    async def stop(self) -> None:
        if self._site is not None:
            await self._site.stop()
            self._site = None


def _webcal(address: str) -> str:
    return webcal(address) if address else ""


def _not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        return etag in [tag.strip() for tag in match.split(",")] or match.strip() == "*"
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False
