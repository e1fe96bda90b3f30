"""The one way into the core: everything a front door may ask of it.

A `Bot` is one database, one dispatcher, the outlets that post notices and the outbox.
Adapters talk to the core only through it (`handle`, `on_message`, `suggest`,
`home_workspace`, the error replies), and so do the web pages (`page_view`,
`coalition_feed`, `personal_feed`, `page_url`); the import contract forbids both `store`,
`services`, the dispatcher and the outbox.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coalition_bot.clock import Clock, system_clock
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.commands.spec import Command
from coalition_bot.dispatch import APOLOGY, Dispatcher, error_reply
from coalition_bot.errors import CoalitionError
from coalition_bot.installations import Installation, Installations
from coalition_bot.outbox import Outbox
from coalition_bot.outlets import FrontDoor, Outlet
from coalition_bot.replies import Invocation, Message, Reply
from coalition_bot.services import feeds, page
from coalition_bot.services.feeds import Feed
from coalition_bot.services.page import PageView
from coalition_bot.services.people import console_user_id
from coalition_bot.services.site import Site
from coalition_bot.services.suggest import Suggestion, suggest
from coalition_bot.services.topics import TopicWatch
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store.database import Database

__all__ = ["Bot", "CommandRecord", "Feed", "FrontDoor", "Installation", "Installations",
           "Outlet", "PageView", "Suggestion"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """One command as the log and the metrics see it: its name from the specs, never
    its values. `outcome`: ok, help, refused (bad input, permission), busy, error."""

    command: str
    platform: str
    coalition: int | None
    outcome: str
    seconds: float


class Bot:
    """Everything a front door needs: `handle` an invocation, get a reply.

    Notices raised by a command are written to the outbox in the command's transaction
    (a delivery row per home channel of the coalition) and sent after the commit by the
    outbox, the same sender that sends reminders; a platform this process does not
    serve gets them from the process that does.
    """

    def __init__(self, *, db: Database, clock: Clock = system_clock,
                 commands: Mapping[str, Command] = COMMANDS, base_url: str = "") -> None:
        self.db = db
        self.clock = clock
        self.commands = commands
        # where this bot's web pages are seen ([web] base_url): its own, shared by the
        # replies (dispatcher), the notices (outbox) and the feeds
        self.site = Site(base_url)
        self.dispatcher = Dispatcher(db=db, commands=commands, clock=clock, site=self.site)
        self.outlets: dict[str, Outlet] = {}
        self.outbox = Outbox(db=db, clock=clock, outlets=self.outlets, site=self.site)
        self.topics = TopicWatch()
        # workspaces installed through OAuth, their tokens encrypted (Slack, many teams)
        self.installations = Installations(db, clock, self.outbox.kick)
        self._change_listeners: list[Callable[[int], None]] = []
        self.command_listeners: list[Callable[[CommandRecord], None]] = []
        # (method, path, handler) that the bot's HTTP server serves beside its own routes
        # (/healthz, /metrics: coalition_bot.health); the Slack adapter over HTTP adds them
        self.http_routes: list[tuple[str, str, Callable[..., Any]]] = []

    @classmethod
    async def open(cls, path: str | Path, *, clock: Clock = system_clock,
                   base_url: str = "") -> Bot:
        """Open (and migrate) the database at `path` (an SQLite file, or a PostgreSQL
        URL) and wire a bot to it; `base_url` is `[web] base_url` when it serves pages."""
        return cls(db=await Database(path).open(), clock=clock, base_url=base_url)

    async def close(self) -> None:
        await self.drain()
        await self.db.close()

    def add_outlet(self, outlet: Outlet) -> None:
        self.outlets[outlet.platform] = outlet

    def add_change_listener(self, listener: Callable[[int], None]) -> None:
        """Call `listener(coalition_id)` after each command of a coalition that succeeded
        (the scheduler re-derives that coalition's timers)."""
        self._change_listeners.append(listener)

    async def handle(self, inv: Invocation) -> Reply:
        """Run one command; its notices follow in the background (see `drain`)."""
        started = time.perf_counter()
        outcome = await self.dispatcher.run(inv)
        self._record(CommandRecord(outcome.command or "unknown", inv.platform,
                                   outcome.coalition, outcome.result,
                                   time.perf_counter() - started))
        if outcome.coalition_id is not None and not outcome.reply.error:
            for listener in self._change_listeners:
                listener(outcome.coalition_id)
        if outcome.notices:
            self.outbox.kick()
        return outcome.reply

    def _record(self, record: CommandRecord) -> None:
        """One log line per command, then the listeners (metrics)."""
        if log.isEnabledFor(logging.INFO):  # its fields are built only for a log that keeps it
            log.info("command %s: %s in %.0f ms (platform %s, coalition %s)", record.command,
                     record.outcome, record.seconds * 1000, record.platform,
                     record.coalition if record.coalition is not None else "-",
                     extra={"event": "command", "command": record.command,
                            "platform": record.platform, "coalition": record.coalition,
                            "outcome": record.outcome,
                            "duration_ms": round(record.seconds * 1000, 1)})
        for listener in self.command_listeners:
            try:
                listener(record)
            except Exception:
                log.exception("a command listener failed")

    async def on_message(self, message: Message) -> Reply | None:
        """A channel message: a private nudge for its author if it touches one of the
        coalition's agreed off-limits topics, else None. The text is never stored."""
        try:
            async with self.db.transaction() as conn:
                return await self.topics.on_message(conn, message, self.clock())
        except Exception:  # never the text: it is not ours to keep, not even in a log
            log.exception("checking a message failed: platform=%s workspace=%s user=%s",
                          message.platform, message.workspace_id, message.user_id)
            return None

    async def suggest(self, *, platform: str, workspace_id: str, kind: str,
                      typed: str) -> list[Suggestion]:
        """Autocomplete: the values of `kind` (an option's kind: `poll`, `org`,
        `timezone`, …) that fit what was typed so far, from the coalition bound to that
        workspace only (see `services.suggest`)."""
        return await suggest(self.db, platform=platform, workspace_id=workspace_id,
                             kind=kind, typed=typed, now=self.clock())

    async def home_workspace(self, coalition_id: int, platform: str) -> str | None:
        """The workspace of `platform` the coalition is bound to (the first, if it has
        several there), or None: where a private notice's buttons run."""
        async with self.db.transaction() as conn:
            homes = await coalition_sql.bindings(conn, coalition_id)
        return next((b.workspace_id for b in homes if b.platform == platform), None)

    # --- the web pages (coalition_bot.web): read only, one short transaction each ----------

    async def page_view(self, slug: str) -> PageView | None:
        """What the coalition page at /c/SLUG shows now; None for no such page or one
        turned off (alike)."""
        async with self.db.transaction() as conn:
            return await page.view(conn, slug, self.clock())

    async def coalition_feed(self, slug: str) -> Feed | None:
        """The calendar feed of the page at /c/SLUG; None when there is none to give."""
        async with self.db.transaction() as conn:
            return await feeds.coalition_feed(conn, slug, self.clock(), self.site)

    async def personal_feed(self, token: str) -> Feed | None:
        """A person's own feed by its secret token; None for a token nobody holds."""
        async with self.db.transaction() as conn:
            return await feeds.personal_feed(conn, token, self.clock())

    def serve_pages_at(self, base_url: str) -> None:
        """Where this bot's web pages are seen from outside, once known (a test's server
        on a free port); the composition root gives `[web] base_url` to `open`."""
        self.site.base_url = Site(base_url).base_url

    def page_url(self, path: str) -> str:
        """The public address of a page or feed path (`[web] base_url`), or ""."""
        return self.site.url(path)

    @staticmethod
    def error_reply(error: CoalitionError) -> Reply:
        """The private reply for bad input a front door found itself (a form it read)."""
        return error_reply(error)

    @staticmethod
    def apology() -> Reply:
        """The private reply when something failed on our side (nothing was changed)."""
        return Reply(text=APOLOGY, private=True, error=True)

    @staticmethod
    def console_user_id(name: str) -> str:
        """The user id of a console name: on the console a person is their name."""
        return console_user_id(name)

    async def drain(self) -> None:
        """Wait until the outbox has tried every notice raised so far."""
        await self.outbox.drain()
