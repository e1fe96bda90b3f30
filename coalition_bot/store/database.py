"""The SQLite file: connection settings and one-transaction-at-a-time access."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from coalition_bot.store.migrate import migrate, refuse_newer

__all__ = ["Conn", "Database"]

Conn = aiosqlite.Connection

BUSY_TIMEOUT_MS = 5000


class Database:
    """One aiosqlite connection to one SQLite file (WAL, foreign keys, busy timeout).

    Every use is a transaction taken through `transaction()`. A lock serialises them,
    because coroutines sharing one connection would otherwise interleave statements
    inside each other's transactions.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: Conn | None = None
        self._lock = asyncio.Lock()

    async def open(self, *, run_migrations: bool = True) -> Database:
        """Connect, set the pragmas, and bring the schema up to date."""
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        self._conn = conn
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await refuse_newer(conn)  # before anything writes to the file
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = FULL")
            await conn.execute("PRAGMA foreign_keys = ON")
            if run_migrations:
                await migrate(conn)
        except BaseException:
            await self.close()  # its thread would keep the process alive
            raise
        return self

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def conn(self) -> Conn:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """One write transaction: commits on normal exit, rolls back on any exception."""
        async with self._lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # also when COMMIT itself failed (disk full)
                    await conn.execute("ROLLBACK")
                raise
