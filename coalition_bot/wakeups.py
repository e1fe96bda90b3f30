"""What other bot processes on the same PostgreSQL database announce, acted on at once.

A command that changed a coalition announces `plan:ID` and one that raised notices
`due`, in its own transaction, so PostgreSQL delivers them on commit only
(`store.coordination`). Each process listens on one connection of its own
(`Database.listen`), and the scheduler reacts: it re-plans that coalition's timers, or
sends the rows waiting on its platforms, instead of finding them at its next periodic
sweep. When the listening connection drops (a server restart, `pg_terminate_backend`)
it logs a warning and reconnects; whatever was announced meanwhile is lost, so after a
reconnection the process re-plans everything and runs a tick. Its own announcements
reach it too; it ignores them (their origin is its `Database`'s), having re-planned and
kicked its outbox itself. On SQLite there is nothing to listen to: one process knows
what it did itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from coalition_bot.store.coordination import CHANNEL, parse
from coalition_bot.store.database import Database

__all__ = ["Wakeups"]

log = logging.getLogger(__name__)


class Wakeups:
    """Listens for other processes' announcements: `changed(coalition_id)` for `plan:ID`,
    `due()` for `due`, and `lost()` after a reconnection (catch up on everything).
    Announcements of this process's own `Database` are skipped (counted in `own`)."""

    def __init__(self, db: Database, *, changed: Callable[[int], None],
                 due: Callable[[], None], lost: Callable[[], None]) -> None:
        self.db = db
        self.changed = changed
        self.due = due
        self.lost = lost
        self.connections = 0  # how many times the listening connection was (re)opened
        self.heard = 0  # announcements acted on
        self.own = 0  # this process's own announcements, skipped
        self.ready = asyncio.Event()  # listening (or nothing to listen to: SQLite)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="coalition-bot wakeups")

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _listen(self) -> None:
        try:
            async for payload in self.db.listen(CHANNEL):
                self.ready.set()
                try:
                    self._act(payload)
                except Exception:  # a bad payload must not end the listening
                    log.exception("acting on another process's announcement failed")
        finally:
            self.ready.set()

    def _act(self, payload: str | None) -> None:
        if payload is None:
            self.connections += 1
            if self.connections > 1:  # announcements made while reconnecting are lost
                log.info("listening again for other processes' changes; catching up")
                self.lost()
            return
        heard = parse(payload)
        if heard is None:
            return
        if heard.origin and heard.origin == self.db.origin:
            self.own += 1
            return
        self.heard += 1
        if heard.coalition_id is not None:
            self.changed(heard.coalition_id)
        else:
            self.due()
