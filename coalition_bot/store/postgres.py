"""The PostgreSQL engine: a psycopg (async) connection pool, for several bot processes on
one shared database.

The store's SQL runs unchanged (`store.dialect` rewrites the placeholders). What SQLite's
one-file engine gives by its nature is given here on purpose:

- BEGIN IMMEDIATE's one-writer-at-a-time becomes a transaction-level advisory lock
  (`WRITE_LOCK`), taken by every transaction, in every process. The store's read-then-
  write steps (a number handed out, a name checked then added) stay as safe as on
  SQLite without each needing its own locking; PostgreSQL's row locks still let readers
  and the outbox's `FOR UPDATE SKIP LOCKED` claims in other processes go on.
- The outbox's transactions (claims, lease extensions, marks) skip `WRITE_LOCK`
  (`exclusive=False`): they write only delivery rows they claim with `FOR UPDATE SKIP
  LOCKED` and mark only while the claim is theirs, and they never wait for a lock, so
  two processes claim side by side and a long command elsewhere does not hold up sends.
- `durable=False` (outbox claims) is `synchronous_commit = off` for that transaction.
- `listen(channel)`: NOTIFY payloads on a connection of its own, reconnecting when it
  drops (`store.coordination` says what is announced).
- Migrations run under a session advisory lock (`MIGRATE_LOCK`), so processes starting
  together apply each one once.

Passwords come from libpq (PGPASSWORD, ~/.pgpass) or the environment's URL; the config
refuses one (`config.url_has_password`), and `target` never shows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Dumper
from psycopg.pq import ExecStatus
from psycopg.rows import BaseRowFactory
from psycopg.types.string import StrDumper
from psycopg_pool import AsyncConnectionPool

from coalition_bot.errors import SchemaTooNew, StorageError
from coalition_bot.store.coordination import MIGRATE_LOCK, WRITE_LOCK, new_origin
from coalition_bot.store.database import Database
from coalition_bot.store.dialect import POSTGRESQL, postgres_sql, safe_target
from coalition_bot.store.migrate import Migration, available_migrations

__all__ = ["MIGRATE_LOCK", "WRITE_LOCK", "PgConn", "PgDatabase", "PgRow", "cannot_open"]

log = logging.getLogger(__name__)

TUPLES_OK = ExecStatus.TUPLES_OK

POOL_SIZE = 8
_READS = frozenset({"SELECT", "SHOW", "SET", "RESET"})  # statuses of statements that write nothing
# ms: the tidying VACUUM rests this long after each slice of its work (PostgreSQL's
# cost-based delay, as autovacuum's own), so it does not take the server's CPU in one
# burst while reminders wait behind it
TIDY_COST_DELAY_MS = 2
LISTEN_RETRY = 1.0, 30.0  # seconds before reconnecting the listening connection: first, most


class PgRow:
    """A row read by index or by column name, like sqlite3.Row; the first column of a
    name wins, as in SQLite."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"PgRow({tuple(self._values)!r})"


_INDEXES: dict[tuple[bytes | None, ...], dict[str, int]] = {}  # column names -> index


def _rows(cursor: Any) -> Any:
    """Rows as `PgRow`, their index by name made once per set of column names: read
    from the result itself (`cursor.description` builds a `Column` per column on every
    call, a tenth of the scheduler's client CPU with two processes)."""
    res = cursor.pgresult
    names = tuple(res.fname(i) for i in range(res.nfields)) if res is not None else ()
    index = _INDEXES.get(names)
    if index is None:
        index = {}
        for number, name in enumerate(names):
            index.setdefault((name or b"").decode(), number)
        if len(_INDEXES) < 1000:  # the store's statements: a few hundred at most
            _INDEXES[names] = index

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(values, index)
    return make


row_factory: BaseRowFactory[PgRow] = _rows


class _FlagDumper(Dumper):
    """Python's True/False as 1/0: the schema keeps flags as integers, as in SQLite."""

    oid = psycopg.adapters.types["int4"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class PgResult:
    """What a statement changed (`rowcount`); `lastrowid` is SQLite's only: use RETURNING."""

    __slots__ = ("rowcount",)

    def __init__(self, rowcount: int) -> None:
        self.rowcount = rowcount


class PgConn:
    """A transaction's statements on one pooled connection."""

    __slots__ = ("_conn", "origin", "wrote")
    dialect = POSTGRESQL

    def __init__(self, conn: psycopg.AsyncConnection[PgRow], origin: str = "") -> None:
        self._conn = conn
        self.origin = origin
        self.wrote = False  # a statement other than a read ran (`_note`)

    def _note(self, cur: psycopg.AsyncCursor[Any]) -> None:
        """Remember whether this transaction ran anything but a read, from the status
        the server answered with (`INSERT 0 1`, `SELECT 3`): no extra round trip."""
        if not self.wrote:
            status = (cur.statusmessage or "").split(" ", 1)[0]
            self.wrote = status not in _READS

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> PgResult:
        cur = await self._conn.execute(postgres_sql(sql), tuple(params))
        self._note(cur)
        return PgResult(cur.rowcount)

    async def execute_fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[PgRow]:
        cur = await self._conn.execute(postgres_sql(sql), tuple(params))
        self._note(cur)
        res = cur.pgresult  # rows only from a statement that gives them (not UPDATE)
        return await cur.fetchall() if res is not None and res.status == TUPLES_OK else []

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> PgResult:
        async with self._conn.cursor() as cur:
            await cur.executemany(postgres_sql(sql), [tuple(row) for row in rows])
            self._note(cur)
            return PgResult(max(cur.rowcount, 0))

    @property
    def in_transaction(self) -> bool:
        return self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


async def _configure(conn: psycopg.AsyncConnection[Any]) -> None:
    """Flags as integers; text as `text` (not psycopg's untyped default), so that a
    parameter PostgreSQL cannot place (`? IS NULL`, `? || …`) still has a type."""
    conn.adapters.register_dumper(bool, _FlagDumper)
    conn.adapters.register_dumper(str, StrDumper)


class PgDatabase(Database):
    """A pool of connections to one PostgreSQL database; `transaction()` is every use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.busy_timeout_ms: float = 5000
        self.origin = new_origin()  # names this process in its NOTIFYs
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[PgRow]] | None = None

    @property
    def target(self) -> str:
        return safe_target(self.url)

    async def _connect(self) -> psycopg.AsyncConnection[PgRow]:
        conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True,
                                                     row_factory=row_factory,
                                                     connect_timeout=10)
        await _configure(conn)
        return conn

    async def open(self, *, run_migrations: bool = True) -> PgDatabase:
        """Connect, refuse a newer schema, migrate, and open the pool. A server that
        cannot be used raises `StorageError`: one sentence naming it and the cause."""
        try:
            first = await self._connect()
        except psycopg.Error as error:
            raise StorageError(cannot_open(self.target, error)) from None
        try:
            async with first:
                await refuse_newer(first)
                if run_migrations:
                    await migrate(first)
        except psycopg.Error as error:
            raise StorageError(cannot_open(self.target, error)) from None
        self._pool = AsyncConnectionPool(
            self.url, min_size=1, max_size=POOL_SIZE, open=False, configure=_configure,
            kwargs={"autocommit": True, "row_factory": row_factory,
                    "options": f"-c lock_timeout={int(self.busy_timeout_ms)}"},
            name="coalition-bot")
        await self._pool.open(wait=True, timeout=30)
        return self

    async def migrate(self) -> list[int]:
        try:
            async with await self._connect() as conn:
                return await migrate(conn)
        except psycopg.Error as error:
            raise StorageError(cannot_open(self.target, error)) from None

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def __aenter__(self) -> PgDatabase:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[PgRow]]:
        """A pooled connection outside any transaction (LISTEN, advisory session locks)."""
        if self._pool is None:
            raise RuntimeError("database is not open")
        async with self._pool.connection() as conn:
            yield conn

    async def tidy(self) -> None:
        """VACUUM the tables that churn: each claim and mark of a delivery,
        and each sweep's move of a series' next reminder, leaves the row's old version
        behind, and its index entries, until a VACUUM. Autovacuum wakes once a minute;
        in a burst (10 000 reminders in half a minute) the outbox's claims would read
        tens of thousands of dead entries each. The outbox asks for this every
        `outbox.TIDY_EVERY` marks. It waits for no one (`SKIP_LOCKED`: a VACUUM already
        running elsewhere is enough), blocks no reader or writer, and a role that does
        not own the tables only gets the server's warning."""
        try:
            async with self.connection() as conn:
                await conn.execute(f"SET vacuum_cost_delay = {TIDY_COST_DELAY_MS}")
                try:
                    await conn.execute("VACUUM (SKIP_LOCKED) delivery, meeting")
                finally:
                    await conn.execute("RESET vacuum_cost_delay")
        except psycopg.Error as error:  # the server went away: the next one will do
            log.warning("tidying %s: %s", self.target, type(error).__name__)

    async def listen(self, channel: str) -> AsyncIterator[str | None]:
        """The payloads NOTIFY'd on `channel`, on a connection of its own. None first and
        after each reconnection: what was announced meanwhile is lost, so the caller
        catches up. A dropped connection is a warning (no traceback), then a retry, at
        longer intervals while the server stays away."""
        pause = LISTEN_RETRY[0]
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, connect_timeout=10,
                    application_name="coalition-bot listen")
                async with conn:
                    await conn.execute(f"LISTEN {channel}")
                    pause = LISTEN_RETRY[0]
                    yield None
                    async for notify in conn.notifies():
                        yield notify.payload
            except psycopg.Error as error:
                reason = str(error).strip().splitlines()[0] if str(error).strip() \
                    else type(error).__name__
                log.warning("listening for other processes' changes on %s: %s; "
                            "reconnecting in %g s", self.target, reason, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, LISTEN_RETRY[1])

    @asynccontextmanager
    async def transaction(self, *, durable: bool = True,
                          exclusive: bool = True,
                          read_only: bool = False) -> AsyncIterator[PgConn]:
        """One write transaction under `WRITE_LOCK`: commits on normal exit, rolls back
        on any exception. `durable=False`: the COMMIT does not wait for the WAL flush.
        `exclusive=False`: no `WRITE_LOCK`, for transactions whose writes row locks
        guard (the outbox's) or that take their locks themselves (a sweep).
        `read_only`: a consistent snapshot without `WRITE_LOCK` (PostgreSQL refuses any
        write in it), so a long read waits for no one and holds no one up."""
        if self._pool is None:
            raise RuntimeError("database is not open")
        try:
            async with self._pool.connection() as conn:
                begin = "BEGIN" if not exclusive else \
                    f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
                if read_only:
                    begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                elif not durable:
                    begin += "; SET LOCAL synchronous_commit = off"
                await conn.execute(begin.encode())
                try:
                    yield PgConn(conn, self.origin)
                    await conn.execute(b"COMMIT")
                except BaseException:
                    if not conn.closed and conn.info.transaction_status != \
                            psycopg.pq.TransactionStatus.IDLE:
                        await asyncio.shield(conn.execute(b"ROLLBACK"))
                    raise
        except pg_errors.LockNotAvailable:
            raise StorageError(
                f"The database {self.target} is busy: another process held it for more "
                f"than {self.busy_timeout_ms / 1000:g} s, so nothing was changed; try "
                f"again in a moment.") from None
        except (pg_errors.DiskFull, pg_errors.OutOfMemory):
            raise StorageError(
                f"The database server of {self.target} is out of space, so nothing was "
                f"changed. Please tell whoever runs the bot.") from None
        except psycopg.OperationalError as error:
            log.error("the database server could not be used: %s", type(error).__name__)
            raise StorageError(
                f"The database server of {self.target} could not be reached, so nothing "
                f"was changed; try again in a moment, and tell whoever runs the bot if "
                f"it goes on.") from None


def cannot_open(target: str, error: psycopg.Error) -> str:
    """One sentence: why PostgreSQL could not be used for `target`."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "password" in text.lower():
        cause = ("the server wants a password: give it in PGPASSWORD or ~/.pgpass, "
                 "never in the config file")
    elif "does not exist" in text:
        cause = f"PostgreSQL says: {text} (create it with createdb)"
    else:
        cause = f"PostgreSQL says: {text}"
    return f"Cannot use the database {target}: {cause}."


async def _newest_applied(conn: psycopg.AsyncConnection[PgRow]) -> int | None:
    cur = await conn.execute("SELECT to_regclass('schema_migration') IS NOT NULL")
    row = await cur.fetchone()
    if row is None or not row[0]:
        return None
    cur = await conn.execute("SELECT coalesce(max(version), 0) FROM schema_migration")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def refuse_newer(conn: psycopg.AsyncConnection[PgRow]) -> None:
    """Raise `SchemaTooNew` if the database records a version this code lacks."""
    newest = await _newest_applied(conn) or 0
    known = available_migrations("postgresql")
    newest_known = known[-1].version if known else 0
    if newest > newest_known:
        raise SchemaTooNew(
            f"This database has schema version {newest}, but this coalition-bot only "
            f"knows up to version {newest_known}.",
            hint="Upgrade coalition-bot (pip install -U coalition-bot), or point the bot "
            "at another database. Nothing was changed.")


async def migrate(conn: psycopg.AsyncConnection[PgRow]) -> list[int]:
    """Apply every pending PostgreSQL migration, each in its own transaction with its
    `schema_migration` row, under `MIGRATE_LOCK`; the versions applied."""
    await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
    try:
        await refuse_newer(conn)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migration ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        cur = await conn.execute("SELECT version FROM schema_migration")
        applied = {int(row[0]) for row in await cur.fetchall()}
        done: list[int] = []
        for migration in available_migrations("postgresql"):
            if migration.version not in applied:
                await _apply(conn, migration)
                done.append(migration.version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))


async def _apply(conn: psycopg.AsyncConnection[PgRow], migration: Migration) -> None:
    script = (
        "BEGIN;\n"
        "INSERT INTO schema_migration (version, name, applied_at) "
        f"VALUES ({migration.version}, '{migration.name}', "
        "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'));\n"
        f"{migration.sql}\n;\n"
        "COMMIT;")
    try:
        await conn.execute(script.encode())
    except BaseException:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            await conn.execute(b"ROLLBACK")
        raise
