"""The store's database: the API both engines give (`Database`, `Conn`), the SQLite
engine (a file: connection settings, one transaction at a time), and `Database(target)`,
which picks the engine for a path or a PostgreSQL URL (`store.postgres`).

Two engines, in detail:

`[bot] database` (or `COALITION_BOT_DB`) is a file path (SQLite, the default) or a
`postgresql://` URL. `Database(target)` (`store/database.py`) gives `SqliteDatabase` or
`PgDatabase` (`store/postgres.py`); the core sees only `Database.transaction()` and the
`Conn` it yields (`execute`, `execute_fetchall`, `executemany`, `dialect`), so
nothing above `store/` knows which engine runs.

- **One SQL.** The store writes SQL both engines run: `?` placeholders, `ON CONFLICT`
  upserts with the table named in `DO UPDATE` (PostgreSQL finds a bare column ambiguous),
  `RETURNING` instead of `lastrowid`, `count(CASE …)` instead of summing booleans, times
  as UTC ISO text, flags as 0/1. The rest is in `store/dialect.py`: placeholders are
  rewritten once per statement text (`?` → `%s`, SQLite's `IS ?` → `IS NOT DISTINCT
  FROM`, a bare `? IS NULL` gets a type), and the one date computation
  (`Dialect.seconds_between`). Text parameters are sent typed as `text`, flags as
  integers.
- **Locking.** SQLite has one writer (`BEGIN IMMEDIATE`). On PostgreSQL every transaction
  first takes a transaction-level advisory lock (`WRITE_LOCK`), in every process, so the
  store's read-then-write steps (next number, name checks) are exactly as safe as on
  SQLite without each growing its own locking. It is held for microseconds per statement,
  as on SQLite; past `busy_timeout_ms` (PostgreSQL's `lock_timeout`) the command is
  answered "busy". `durable=False` is `SET LOCAL synchronous_commit = off`.
- **Several processes.** With the one lock, the scheduler's sweeps (delivery rows keyed
  uniquely, `ON CONFLICT DO NOTHING`) work across processes as they do across processes
  on one SQLite file; on PostgreSQL the outbox's claims skip it and lock rows instead
  (`FOR UPDATE SKIP LOCKED`), one process sweeps at a time (the others skip), and
  processes tell each other what changed with NOTIFY (`store/coordination.py`).
- **Passwords** come from libpq (`PGPASSWORD`, `~/.pgpass`) or an environment URL; the
  config refuses a URL holding one, and logs and messages show the URL without it
  (`dialect.safe_target`).
- **Which thread runs SQLite.** The sqlite3 connection is opened by `SqliteDatabase`
  itself and handed to aiosqlite through its public constructor
  (`aiosqlite.Connection(connector, iter_chunk_size)`), so the statements run on the
  loop's thread (`SqliteConn`) use our own reference instead of aiosqlite's private
  `_conn`. A file SQLite refuses fails in `sqlite3.connect`, before aiosqlite starts a
  thread, so nothing private is needed on that path either. Checked with aiosqlite 0.22
  (pinned `>=0.20,<1`).

SQLite, in detail:

- **One transaction per command.** `Database.transaction()` holds an `asyncio.Lock`
  because all coroutines share one SQLite connection; statements of two commands must
  never interleave. The file is WAL, `synchronous=FULL`, foreign keys on.
- **Which thread runs SQL.** aiosqlite owns the connection and its worker thread: opening,
  migrations and every COMMIT that wrote something (the fsync) run there. Statements
  inside a transaction run on the event loop's thread (`store.database.Conn`): after
  BEGIN IMMEDIATE no statement can wait for another connection's lock, a small indexed
  query costs microseconds, and a hop to the worker thread and back costs 30–130 µs
  here, so a vote is one hop instead of nine (bench/votes_throughput.py: 0.84 of the
  raw insert floor, was 0.26–0.55). SQLite's own busy timeout is 0 so it never sleeps
  on the loop; while another process holds the write lock, `Database._begin` retries
  BEGIN with `asyncio.sleep` for up to 5 s (`busy_timeout_ms`), and the bot keeps
  serving meanwhile. A transaction that changed nothing commits on the spot.
- **The file itself.** `Database.open` turns every SQLite failure into one
  `StorageError` sentence naming the file and the cause, and ends with a write probe
  (BEGIN IMMEDIATE, `user_version` written back unchanged, ROLLBACK): SQLite opens a
  read-only file without complaint, and a lock held by another program would otherwise
  surface only at the first command. Migrations insert their `schema_migration` row
  first, under the write lock, so two processes migrating a new file at once (two bots,
  `migrate` beside a starting bot) apply each version once: the loser's insert hits the
  primary key, rolls back and moves on. Each transaction first compares the path's
  (device, inode) with the file opened (one `stat`: a few µs against a COMMIT's
  milliseconds; bench/votes_throughput.py stayed at 0.92 of the floor one at a time): a
  file deleted or replaced under a running bot would
  otherwise take every later write into an unlinked inode, acknowledged and then lost,
  so the bot refuses every command until restarted, rather than silently reopening a
  file that may be an older backup.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from coalition_bot.errors import StorageError
from coalition_bot.store.dialect import SQLITE, Dialect, is_postgres_url
from coalition_bot.store.migrate import migrate, refuse_newer

__all__ = ["BUSY_TIMEOUT_MS", "Conn", "Database", "Result", "SqliteConn", "SqliteDatabase",
           "cannot_open", "is_busy"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
_BUSY_PAUSES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)  # seconds, the last one repeats


class Result(Protocol):
    """What `Conn.execute` gives back: how many rows the statement changed."""

    @property
    def rowcount(self) -> int: ...


class Conn(Protocol):
    """A transaction's statements, whichever engine runs them. SQL is written once, in
    the form both engines run (see `store.dialect`), with `?` placeholders. `origin`
    names the process in its announcements (`store.coordination`); `wrote` says
    whether anything but reads ran, so a read-only command announces nothing."""

    dialect: Dialect
    origin: str

    @property
    def wrote(self) -> bool:
        """Whether this transaction ran a statement that may have written (so far)."""
        ...

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Result: ...

    async def execute_fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]: ...

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> Result: ...


class Database:
    """One engine's database as the core sees it: `transaction()` is every use.

    `Database(target)` gives the engine for `target`: `PgDatabase` (store.postgres) for a
    `postgresql://` URL, else `SqliteDatabase` for a file. Not opened yet.
    """

    busy_timeout_ms: float
    origin: str = ""  # this process in its announcements (`store.coordination`)

    def __new__(cls, target: str | Path) -> Database:
        if cls is not Database:
            return super().__new__(cls)
        if is_postgres_url(str(target)):
            from coalition_bot.store.postgres import PgDatabase  # psycopg only when asked

            return super().__new__(PgDatabase)
        return super().__new__(SqliteDatabase)

    @property
    def target(self) -> str:
        """The file, or the URL (no password), for messages and logs."""
        raise NotImplementedError

    def transaction(self, *, durable: bool = True,
                    exclusive: bool = True,
                    read_only: bool = False) -> AbstractAsyncContextManager[Conn]:
        """One transaction; `read_only` for one that only reads (a snapshot that takes
        no write lock: other processes' writers go on meanwhile). `exclusive=False`
        only matters on PostgreSQL (see `store.postgres`)."""
        raise NotImplementedError

    async def listen(self, channel: str) -> AsyncIterator[str | None]:
        """What other processes announce on `channel` (`store.coordination`); nothing on
        SQLite, where one process knows what it did."""
        return
        yield  # an async generator that ends at once

    async def tidy(self) -> None:
        """Clear what the outbox's and the scheduler's churn left behind (PostgreSQL:
        `store.postgres.PgDatabase.tidy`); nothing on SQLite, which updates in place."""

    async def open(self, *, run_migrations: bool = True) -> Database:
        raise NotImplementedError

    async def migrate(self) -> list[int]:
        """Apply pending migrations; the versions applied."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class SqliteConn:
    """The SQLite connection as a transaction's statements see it.

    Statements run at once on the calling (event loop) thread: inside a transaction
    opened with BEGIN IMMEDIATE no statement can wait for another connection's lock,
    and a small indexed query takes microseconds, while a hop to aiosqlite's thread and
    back costs 30-130 µs here (bench/votes_throughput.py). What can wait, the COMMIT's
    fsync and opening the file, goes through aiosqlite's thread (`Database`). The
    methods are coroutines so the store reads the same whichever thread runs them.
    """

    __slots__ = ("_begun", "_raw")
    dialect = SQLITE
    origin = ""  # a lone process announces nothing

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw
        self._begun = raw.total_changes  # at the start of the transaction

    @property
    def wrote(self) -> bool:
        return self._raw.total_changes != self._begun

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        """Run one statement; the cursor gives `rowcount`, `lastrowid` and the rows."""
        return self._raw.execute(sql, tuple(params))

    async def execute_fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return self._raw.execute(sql, tuple(params)).fetchall()

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> sqlite3.Cursor:
        return self._raw.executemany(sql, (tuple(row) for row in rows))

    @property
    def in_transaction(self) -> bool:
        return self._raw.in_transaction


class SqliteDatabase(Database):
    """One SQLite connection to one file (WAL, foreign keys), run by aiosqlite.

    Every use is a transaction taken through `transaction()`. A lock serialises them,
    because coroutines sharing one connection would otherwise interleave statements
    inside each other's transactions. While another process holds the file's write
    lock, BEGIN waits without blocking the event loop, up to `busy_timeout_ms`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.busy_timeout_ms = BUSY_TIMEOUT_MS
        self._conn: aiosqlite.Connection | None = None
        self._inline: SqliteConn | None = None
        self._lock = asyncio.Lock()
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file opened

    @property
    def target(self) -> str:
        return self.path

    async def open(self, *, run_migrations: bool = True) -> SqliteDatabase:
        """Connect, set the pragmas, and bring the schema up to date.

        A file SQLite cannot use raises `StorageError`: one sentence naming the file and
        the cause (not a database, read-only, locked past the busy timeout, no folder).
        """
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        while True:
            try:
                await self._open(run_migrations)
                break
            except sqlite3.Error as error:
                # SQLite answers "busy" at once, without waiting, when connections
                # starting together deadlock (one reading while another writes): try
                # again until the busy timeout, as a wait for the lock would
                if _busy(error) and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                    continue
                raise StorageError(cannot_open(self.path, error,
                                               busy_timeout_ms=self.busy_timeout_ms)
                                   ) from None
        self._identity = _identity(self.path)
        return self

    async def _open(self, run_migrations: bool) -> None:
        # The sqlite3 connection is ours: opened here (a file SQLite refuses fails before
        # any aiosqlite thread exists) and handed to aiosqlite through its public
        # `Connection(connector, iter_chunk_size)`, so statements on the loop's thread
        # use it without reaching into aiosqlite's private attributes.
        raw = await asyncio.to_thread(sqlite3.connect, self.path, isolation_level=None,
                                      check_same_thread=False)
        conn = aiosqlite.Connection(lambda: raw, 64)
        try:
            await conn
        except BaseException:
            raw.close()
            raise
        conn.row_factory = aiosqlite.Row
        self._conn = conn
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            await refuse_newer(conn)  # before anything writes to the file
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = FULL")
            await conn.execute("PRAGMA foreign_keys = ON")
            if run_migrations:
                await migrate(conn)
            await _probe_write(conn)
            # From here on SQLite never sleeps on a lock inside a call: `_begin` waits.
            await conn.execute("PRAGMA busy_timeout = 0")
        except BaseException:
            await self.close()  # its thread would keep the process alive
            raise
        self._inline = SqliteConn(raw)  # the same sqlite3 connection aiosqlite runs

    async def close(self) -> None:
        if self._conn is not None:
            self._inline = None
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> SqliteDatabase:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        """The aiosqlite connection, for work outside `transaction()` (migrations)."""
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def migrate(self) -> list[int]:
        """Apply pending migrations (`coalition-bot migrate`), waiting for a running bot's
        write lock as long as the busy timeout allows."""
        await self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        try:
            return await migrate(self.conn)
        finally:
            await self.conn.execute("PRAGMA busy_timeout = 0")

    async def _begin(self, raw: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, retried with short sleeps while another process writes."""
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        for attempt in range(1_000_000):
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                pause = _BUSY_PAUSES[min(attempt, len(_BUSY_PAUSES) - 1)]
                if time.monotonic() + pause > deadline:
                    raise
                await asyncio.sleep(pause)

    @asynccontextmanager
    async def transaction(self, *, durable: bool = True,
                          exclusive: bool = True,
                          read_only: bool = False) -> AsyncIterator[SqliteConn]:
        """One write transaction: commits on normal exit, rolls back on any exception.
        `read_only`: a deferred BEGIN, a snapshot that takes no write lock (WAL lets other
        processes write meanwhile); the caller promises not to write in it.

        A transaction that changed nothing commits on the spot; one that wrote commits
        in aiosqlite's thread, so the fsync does not hold up the event loop.

        `durable=False` skips the fsync (synchronous=NORMAL for this one COMMIT): the
        change survives the process being killed, as the write has reached the OS, but
        not a power loss before the next fsync. Only for what is safe to lose that way:
        the outbox's claims and lease extensions (a lost claim is a lease run out).
        `exclusive` is PostgreSQL's (`store.postgres`): BEGIN IMMEDIATE is always one
        writer here.
        """
        async with self._lock:
            if self._inline is None:
                raise RuntimeError("database is not open")
            conn, raw = self._inline, self._inline._raw
            self._check_same_file()
            if not durable:  # SQLite takes the safety level only outside a transaction
                raw.execute("PRAGMA synchronous = NORMAL")
            try:
                if read_only:
                    raw.execute("BEGIN")
                else:
                    await self._begin(raw)
                changes = conn._begun = raw.total_changes
                try:
                    yield conn
                    if raw.total_changes == changes or not durable:
                        raw.execute("COMMIT")  # nothing to fsync: microseconds, here
                    else:
                        await self._commit()
                except BaseException:
                    if raw.in_transaction:  # also when COMMIT itself failed (disk full)
                        raw.execute("ROLLBACK")
                    raise
            finally:
                if not durable:
                    raw.execute("PRAGMA synchronous = FULL")

    def _check_same_file(self) -> None:
        """Refuse to go on when the file at `path` is no longer the one opened (deleted,
        or replaced by a restore): SQLite would keep writing to the old, unlinked inode,
        and every change would be acknowledged and then lost. One stat: a few µs."""
        if self._identity is None or _identity(self.path) == self._identity:
            return
        log.error("%s was deleted or replaced while the bot ran; refusing every command "
                  "until the bot is restarted", self.path)
        raise StorageError(
            f"The database file {self.path} was deleted or replaced while the bot was "
            f"running, so nothing was changed; whoever runs the bot must restart it.")

    async def _commit(self) -> None:
        """COMMIT in aiosqlite's thread; a cancelled caller still waits for it to end,
        so the lock is never released while the connection is mid-COMMIT.

        Awaited directly (a task and a shield around every COMMIT cost 27 µs, a tenth of
        a vote's Python). Cancelled, the COMMIT goes on in aiosqlite's one thread, which
        runs its calls first in, first out: once a call queued after it has returned,
        the COMMIT has ended, and `raw.in_transaction` says whether it committed."""
        try:
            await self.conn.commit()  # COMMIT, without a cursor
        except asyncio.CancelledError:
            after = asyncio.ensure_future(self.conn.commit())  # nothing to commit: a no-op
            while not after.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(after)
            raise


def is_busy(error: BaseException) -> bool:
    """Whether `error` is SQLite saying another process held the file past the wait."""
    return isinstance(error, sqlite3.OperationalError) and _busy(error)


def _busy(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


async def _probe_write(conn: aiosqlite.Connection) -> None:
    """Take the write lock and write a value back unchanged, then roll back: a read-only
    file (or folder) opens without complaint and would fail only at the first command,
    and a lock held by another program would too."""
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    version = row[0] if row else 0
    await conn.execute("BEGIN IMMEDIATE")
    try:
        await conn.execute(f"PRAGMA user_version = {int(version)}")
    finally:
        await conn.execute("ROLLBACK")


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def cannot_open(path: str, error: sqlite3.Error, *,
                busy_timeout_ms: float = BUSY_TIMEOUT_MS) -> str:
    """One sentence: why SQLite could not open or set up the database at `path`."""
    text = str(error).lower()
    folder = os.path.dirname(os.path.abspath(path))
    if "not a database" in text or "malformed" in text:
        cause = "it is not a coalition-bot database (not an SQLite file, or damaged)"
    elif "locked" in text or "busy" in text:
        cause = (f"another program has held its write lock for more than "
                 f"{busy_timeout_ms / 1000:g} s; stop it (or wait for it) and start again")
    elif not os.path.isdir(folder):
        cause = f"the folder {folder} does not exist"
    elif "readonly" in text or "read-only" in text or not os.access(folder, os.W_OK):
        cause = ("it or its folder is read-only; the bot needs to write both the file "
                 "and its -wal and -shm files beside it")
    elif "full" in text:
        cause = "the disk is full"
    else:
        cause = f"SQLite says: {error}"
    return f"Cannot use the database {path}: {cause}."
