"""Shared by the benchmarks in this folder (not a benchmark itself).

Percentiles, the machine line every benchmark prints, a coalition set up through the
real `Bot.handle`, the votes benchmark's voters and vote loop (SQLite and PostgreSQL
alike), and a counter of aiosqlite calls (each one is a hop to aiosqlite's
worker thread and back) and of SQL statements (sqlite3's trace callback).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import statistics
import time
from collections.abc import Iterator

import aiosqlite

from coalition_bot.bot import Bot
from coalition_bot.replies import Invocation


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(values: list[float]) -> str:
    """p50 / p99 / max of millisecond values."""
    return (f"p50 {pct(values, 50):7.2f} ms  p99 {pct(values, 99):7.2f} ms  "
            f"max {max(values):7.2f} ms  (n={len(values)})")


def machine() -> str:
    return (f"machine: {os.cpu_count()} cores (nproc), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def goal(met: bool) -> str:
    return "met" if met else "MISSED"


async def say(bot: Bot, platform_: str, workspace: str, user: str, line: str, *,
              name: str | None = None, channel: str = "C0HOME",
              user_names: dict[str, str] | None = None) -> str:
    """Run one command line through `Bot.handle`; fail loudly if it was refused."""
    reply = await bot.handle(Invocation(
        platform=platform_, workspace_id=workspace, channel_id=channel, user_id=user,
        user_name=name or user, line=line, user_names=user_names or {}))
    if reply.error:
        raise RuntimeError(f"{line!r} failed: {reply.text}")
    return reply.text


VOTERS = 200  # organizations, one representative each
VOTES_EACH = 5  # votes per voter in a round: first votes, then changes
CHOICES = ("agree", "disagree", "abstain", "block", "agree")


async def setup_voters(bot: Bot) -> None:
    """A coalition with `VOTERS` organizations (representative `repN` of `Org N`) and
    poll #1, the one every vote is cast in."""
    await say(bot, "console", "bench", "alice", 'coalition setup "Bench Coalition" UTC',
              name="Alice")
    for i in range(VOTERS):
        await say(bot, "console", "bench", "alice", f'coalition org add "Org {i}"')
        await say(bot, "console", "bench", "alice", f'coalition rep add rep{i} "Org {i}"')
    await say(bot, "console", "bench", "alice", 'poll create "Endorse the bench?"')


def vote_lines(round_no: int, voters: range = range(VOTERS)) -> list[tuple[str, str]]:
    """(user, line) for a round: each voter of `voters` votes `VOTES_EACH` times, the
    choices shifted by `round_no` so most votes change the voter's choice."""
    return [(f"rep{i}", f"poll vote 1 {CHOICES[(k + round_no) % len(CHOICES)]}")
            for k in range(VOTES_EACH) for i in voters]


async def vote(bot: Bot, lines: list[tuple[str, str]], concurrency: int) -> float:
    """Votes per second: `lines` through `Bot.handle`, one at a time or `concurrency`
    at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(user: str, line: str) -> None:
        async with gate:
            await say(bot, "console", "bench", user, line)

    start = time.perf_counter()
    if concurrency == 1:
        for user, line in lines:
            await say(bot, "console", "bench", user, line)
    else:
        await asyncio.gather(*(one(u, line) for u, line in lines))
    return len(lines) / (time.perf_counter() - start)


class Calls:
    """Counts aiosqlite calls (thread hops) made while `counting()` is active, on every
    connection, and SQL statements on the connections `trace()` was given."""

    def __init__(self) -> None:
        self.hops = 0
        self.statements = 0
        self.active = False
        self.sql: list[str] = []
        self.keep_sql = False
        original = aiosqlite.Connection._execute
        calls = self

        async def _execute(conn, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            if calls.active:
                calls.hops += 1
            return await original(conn, fn, *args, **kwargs)

        aiosqlite.Connection._execute = _execute  # type: ignore[method-assign]
        self._original = original

    def restore(self) -> None:
        aiosqlite.Connection._execute = self._original  # type: ignore[method-assign]

    async def trace(self, conn: aiosqlite.Connection) -> None:
        def seen(sql: str) -> None:  # runs in aiosqlite's thread
            if self.active:
                self.statements += 1
                if self.keep_sql:
                    self.sql.append(" ".join(sql.split())[:110])

        await conn.set_trace_callback(seen)

    @contextlib.contextmanager
    def counting(self, keep_sql: bool = False) -> Iterator[Calls]:
        self.hops = self.statements = 0
        self.sql = []
        self.keep_sql = keep_sql
        self.active = True
        try:
            yield self
        finally:
            self.active = False


def median(values: list[float]) -> float:
    return statistics.median(values)
