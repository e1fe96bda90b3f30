"""The composition root: one database, one dispatcher, the outlets that post notices."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from coalition_bot.clock import Clock, system_clock
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.commands.spec import Command
from coalition_bot.replies import Invocation, Message, Notice, Reply
from coalition_bot.services.dispatch import Dispatcher
from coalition_bot.services.topics import TopicWatch
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store.database import Database

__all__ = ["Bot", "FrontDoor", "Outlet"]

log = logging.getLogger(__name__)


class Outlet(Protocol):
    """What an adapter implements so the core can post for a coalition: to a home channel,
    or privately to one person. Both raise when the platform did not take the post."""

    platform: str

    async def post_notice(self, notice: Notice, channel_id: str) -> None: ...

    async def post_private(self, user_id: str, notice: Notice) -> None: ...


class FrontDoor(Outlet, Protocol):
    """A platform adapter that `coalition-bot run` starts and stops."""

    async def start(self) -> str:
        """Connect or listen; return a line saying where (for the log)."""
        ...

    async def stop(self) -> None: ...


class Bot:
    """Everything a front door needs: `handle` an invocation, get a reply.

    Notices raised by a command are posted to every home channel of the coalition
    that has an outlet, after the command's transaction committed and its reply is out.
    """

    def __init__(self, *, db: Database, clock: Clock = system_clock,
                 commands: Mapping[str, Command] = COMMANDS) -> None:
        self.db = db
        self.clock = clock
        self.commands = commands
        self.dispatcher = Dispatcher(db=db, commands=commands, clock=clock)
        self.outlets: dict[str, Outlet] = {}
        self.topics = TopicWatch()
        self._change_listeners: list[Callable[[int], None]] = []
        self._pending: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(cls, path: str | Path, *, clock: Clock = system_clock) -> Bot:
        """Open (and migrate) the database at `path` and wire a bot to it."""
        return cls(db=await Database(path).open(), clock=clock)

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
        outcome = await self.dispatcher.run(inv)
        if outcome.coalition_id is not None and not outcome.reply.error:
            for listener in self._change_listeners:
                listener(outcome.coalition_id)
        if outcome.notices:
            task = asyncio.create_task(self.publish(outcome.notices))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        return outcome.reply

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

    async def publish(self, notices: tuple[Notice, ...]) -> None:
        """Post notices to each home channel whose platform has an outlet."""
        for notice in notices:
            async with self.db.transaction() as conn:
                homes = await coalition_sql.bindings(conn, notice.coalition_id)
            for binding in homes:
                outlet = self.outlets.get(binding.platform)
                if outlet is None or not binding.home_channel_id:
                    continue
                try:
                    await outlet.post_notice(notice, binding.home_channel_id)
                except Exception:
                    log.exception("posting a notice to %s failed", binding.platform)

    async def drain(self) -> None:
        """Wait until every notice raised so far has been posted."""
        while self._pending:
            await asyncio.gather(*list(self._pending))
