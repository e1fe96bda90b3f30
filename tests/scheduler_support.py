"""Shared pieces of the scheduler tests: an outbox outlet, delivery rows, waiting.

`Outbox` is a test adapter implementing the bot's outlet interface (`platform`,
`post_notice`, `post_private`); it can be told to fail its next N sends, or every send,
the way a platform does when the network is down or it rate-limits us.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db_access import connect
from helpers import MovableClock

from coalition_bot.bot import Bot
from coalition_bot.clock import Clock, system_clock
from coalition_bot.replies import Notice
from coalition_bot.scheduler import Scheduler


class PlatformDown(RuntimeError):
    """What a failing outbox raises: the platform did not take the post."""


@dataclass
class Sent:
    """One post the outbox took: when (by the bot's clock), where, and what."""

    at: datetime
    where: str  # a channel id (post_notice), or the user id (post_private)
    notice: Notice
    private: bool = False

    @property
    def title(self) -> str:
        return self.notice.title


@dataclass
class Outbox:
    """An outlet that records what it takes; `fail_next` sends raise first, and every
    send raises while `down` is set. Failed attempts are counted, never recorded."""

    platform: str = "console"
    clock: Clock = system_clock
    fail_next: int = 0
    down: bool = False
    sent: list[Sent] = field(default_factory=list)
    failures: int = 0

    def _take(self, where: str, notice: Notice, private: bool) -> None:
        if self.down or self.fail_next > 0:
            self.fail_next = max(self.fail_next - 1, 0)
            self.failures += 1
            raise PlatformDown(f"{self.platform} is not answering")
        self.sent.append(Sent(self.clock(), where, notice, private))

    async def post_notice(self, notice: Notice, channel_id: str, *,
                          workspace_id: str = "") -> None:
        self._take(channel_id, notice, private=False)

    async def post_private(self, user_id: str, notice: Notice, *,
                           workspace_id: str = "") -> None:
        self._take(user_id, notice, private=True)

    def titled(self, prefix: str) -> list[Sent]:
        """What was sent whose title starts with `prefix`, or with `(late) ` + `prefix`."""
        return [s for s in self.sent
                if s.title.startswith(prefix) or s.title.startswith(f"(late) {prefix}")]

    def reminders(self) -> list[Sent]:
        return self.titled("Reminder: ")


@asynccontextmanager
async def restarted(db_path: Path, clock: MovableClock, outlet: Outbox,
                    **options: timedelta) -> AsyncIterator[Scheduler]:
    """A new process, as far as the bot can tell: a new Bot and Scheduler on the file."""
    bot = await Bot.open(db_path, clock=clock)
    bot.add_outlet(outlet)
    try:
        yield Scheduler(bot, **options)
    finally:
        await bot.close()


async def tick_at(scheduler: Scheduler, clock: MovableClock, when: datetime) -> None:
    """Set the clock to `when` and run one whole delivery cycle."""
    clock.now = when
    await scheduler.tick()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the real database file behind the bot's back."""
    with closing(connect(db_path)) as conn:
        return conn.execute(sql, params).fetchall()


def execute(db_path: Path, sql: str, params: tuple = ()) -> int:
    """Change the real database file behind the bot's back; rows changed."""
    with closing(connect(db_path)) as conn, conn:
        return conn.execute(sql, params).rowcount


def deliveries(db_path: Path, kind: str | None = None) -> list[dict]:
    """Every delivery row (of one kind), oldest due first, as dicts."""
    with closing(connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row  # (PostgreSQL: rows by name too)
        sql = "SELECT * FROM delivery"
        params: tuple = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            params = (kind,)
        return [dict(r) for r in conn.execute(sql + " ORDER BY due_at, id", params)]


async def wait_until(check: Callable[[], bool | Awaitable[bool]], *, within: float,
                     what: str, every: float = 0.02) -> float:
    """Poll `check` until it holds, failing after `within` seconds; the seconds it took."""
    began = time.monotonic()
    deadline = began + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return time.monotonic() - began
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(every)
