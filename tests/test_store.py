"""The store layer on a real SQLite file: settings, migrations, transactions."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import threading
from pathlib import Path

import pytest
from helpers import Chat, snapshot

from coalition_bot.errors import CoalitionError, SchemaTooNew
from coalition_bot.replies import Invocation
from coalition_bot.store.database import BUSY_TIMEOUT_MS, Database
from coalition_bot.store.migrate import available_migrations, migrate

NOW = "2026-11-23T15:00:00+00:00"


def schema(path: Path) -> list[tuple]:
    """Every table, index and trigger definition in the file."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall(),
                      key=repr)


def migration_rows(path: Path) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT version, name, applied_at FROM schema_migration"
                            " ORDER BY version").fetchall()


def coalition_names(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM coalition ORDER BY id")]


async def scalar(db: Database, sql: str) -> object:
    async with db.conn.execute(sql) as cur:
        row = await cur.fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
async def db(db_path: Path):
    database = await Database(db_path).open()
    yield database
    await database.close()


@pytest.fixture
async def too_new(db_path: Path) -> int:
    """A migrated file whose schema_migration records one version more than the code knows."""
    database = await Database(db_path).open()
    await database.close()
    version = available_migrations()[-1].version + 1
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.execute("INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
                     (version, "from_the_future", NOW))
        conn.execute("INSERT INTO coalition (name, timezone, created_at) VALUES (?, ?, ?)",
                     ("Eastside Tenants", "UTC", NOW))
        conn.commit()
    return version


# --- connection settings ------------------------------------------------------------------


async def test_open_turns_on_wal_foreign_keys_and_a_busy_timeout(db: Database,
                                                                 db_path: Path) -> None:
    assert await scalar(db, "PRAGMA journal_mode") == "wal"
    assert await scalar(db, "PRAGMA foreign_keys") == 1
    # the wait for another process's lock is `Database._begin`'s, off the event loop;
    # SQLite itself never sleeps inside a call on the loop's thread
    assert await scalar(db, "PRAGMA busy_timeout") == 0
    assert db.busy_timeout_ms == BUSY_TIMEOUT_MS >= 1000
    assert await scalar(db, "PRAGMA synchronous") == 2  # FULL
    with contextlib.closing(sqlite3.connect(db_path)) as conn:  # WAL is kept in the file
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_foreign_keys_are_enforced(db: Database, db_path: Path) -> None:
    before = snapshot(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO org (coalition_id, number, name, name_key, created_at)"
                " VALUES (999, 1, 'Ghost', 'ghost', ?)", (NOW,))
    assert snapshot(db_path) == before


async def test_a_closed_database_refuses_to_be_used(db_path: Path) -> None:
    database = await Database(db_path).open()
    await database.close()
    with pytest.raises(RuntimeError, match="not open"):
        async with database.transaction():
            pass


# --- migrations --------------------------------------------------------------------------


async def test_every_migration_is_applied_once_and_recorded(db_path: Path) -> None:
    known = available_migrations()
    assert [m.version for m in known] == list(range(1, len(known) + 1))
    database = await Database(db_path).open()
    await database.close()
    rows = migration_rows(db_path)
    assert [(v, n) for v, n, _ in rows] == [(m.version, m.name) for m in known]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", at) for _, _, at in rows)
    tables = {name for kind, name, _ in schema(db_path) if kind == "table"}
    assert {"coalition", "binding", "org", "person", "representative", "coordinator",
            "goal", "goal_update", "number_seq", "schema_migration"} <= tables

    before = schema(db_path)
    reopened = await Database(db_path).open()
    await reopened.close()
    assert migration_rows(db_path) == rows, "reopening must not apply anything again"
    assert schema(db_path) == before


async def test_running_migrate_a_second_time_applies_nothing(db_path: Path) -> None:
    database = await Database(db_path).open(run_migrations=False)
    try:
        assert await migrate(database.conn) == [m.version for m in available_migrations()]
        rows, tables = snapshot(db_path), schema(db_path)
        assert await migrate(database.conn) == []
        assert snapshot(db_path) == rows
        assert schema(db_path) == tables
    finally:
        await database.close()


async def test_only_the_missing_migrations_are_applied(db_path: Path) -> None:
    first, *rest = available_migrations()
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.executescript(first.sql)
        conn.execute("CREATE TABLE schema_migration (version INTEGER PRIMARY KEY,"
                     " name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        conn.execute("INSERT INTO schema_migration VALUES (?, ?, ?)",
                     (first.version, first.name, "2026-01-01T00:00:00Z"))
        conn.commit()
    database = await Database(db_path).open(run_migrations=False)
    try:
        assert await migrate(database.conn) == [m.version for m in rest]
    finally:
        await database.close()
    rows = migration_rows(db_path)
    assert rows[0] == (first.version, first.name, "2026-01-01T00:00:00Z")
    assert [v for v, _, _ in rows] == [first.version, *(m.version for m in rest)]


async def test_a_database_from_a_newer_version_is_refused_and_left_alone(
        db_path: Path, too_new: int) -> None:
    rows, tables = snapshot(db_path), schema(db_path)
    database = Database(db_path)
    try:
        with pytest.raises(SchemaTooNew) as caught:
            await database.open()
    finally:
        await database.close()
    message = str(caught.value)
    newest = available_migrations()[-1].version
    assert f"schema version {too_new}" in message
    assert f"only knows up to version {newest}" in message
    assert "Upgrade coalition-bot" in message
    assert "Nothing was changed" in message
    assert isinstance(caught.value, CoalitionError)
    assert snapshot(db_path) == rows
    assert schema(db_path) == tables
    assert coalition_names(db_path) == ["Eastside Tenants"]


async def test_a_file_marked_newer_gets_none_of_our_tables(db_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        conn.execute("CREATE TABLE schema_migration (version INTEGER PRIMARY KEY,"
                     " name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        conn.execute("INSERT INTO schema_migration VALUES (999, 'far_future', ?)", (NOW,))
        conn.commit()
    before = schema(db_path)
    database = Database(db_path)
    try:
        with pytest.raises(SchemaTooNew, match="schema version 999"):
            await database.open()
    finally:
        await database.close()
    assert schema(db_path) == before
    assert migration_rows(db_path) == [(999, "far_future", NOW)]


async def test_a_refused_database_leaves_no_connection_thread_running(
        db_path: Path, too_new: int) -> None:
    before = set(threading.enumerate())
    database = Database(db_path)
    try:
        with pytest.raises(SchemaTooNew):
            await database.open()
        await asyncio.sleep(0.05)
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        assert leaked == []
    finally:
        await database.close()  # the test's own cleanup, whatever open() left behind


# --- transactions ------------------------------------------------------------------------


async def test_a_transaction_commits_on_normal_exit(db: Database, db_path: Path) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO coalition (name, timezone, created_at) VALUES (?, ?, ?)",
                           ("Kept", "UTC", NOW))
    assert coalition_names(db_path) == ["Kept"]


async def test_a_transaction_rolls_back_when_its_body_raises(db: Database,
                                                             db_path: Path) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO coalition (name, timezone, created_at) VALUES (?, ?, ?)",
                ("Doomed", "UTC", NOW))
            [(count,)] = await conn.execute_fetchall("SELECT count(*) FROM coalition")
            assert count == 1  # the row really was written
            raise Boom
    assert coalition_names(db_path) == []
    async with db.transaction() as conn:  # and the next transaction starts cleanly
        await conn.execute("INSERT INTO coalition (name, timezone, created_at) VALUES (?, ?, ?)",
                           ("Next", "UTC", NOW))
    assert coalition_names(db_path) == ["Next"]


async def test_a_failing_statement_rolls_back_the_earlier_ones(db: Database,
                                                              db_path: Path) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO coalition (id, name, timezone, created_at) VALUES (1, ?, ?, ?)",
                ("First", "UTC", NOW))
            await conn.execute(
                "INSERT INTO coalition (id, name, timezone, created_at) VALUES (1, ?, ?, ?)",
                ("Same id", "UTC", NOW))
    assert coalition_names(db_path) == []


async def test_concurrent_transactions_on_one_database_do_not_interleave(
        db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO coalition (id, name, timezone, created_at)"
                           " VALUES (1, 'Counter', 'UTC', ?)", (NOW,))

    async def increment() -> None:
        async with db.transaction() as conn:
            rows = await conn.execute_fetchall(
                "SELECT last FROM number_seq WHERE coalition_id = 1 AND kind = 'n'")
            row = rows[0] if rows else None
            await asyncio.sleep(0)  # let every other task run between the read and the write
            await conn.execute(
                "INSERT OR REPLACE INTO number_seq (coalition_id, kind, last) VALUES (1, 'n', ?)",
                ((row[0] if row else 0) + 1,))

    await asyncio.gather(*(increment() for _ in range(50)))
    assert await scalar(db, "SELECT last FROM number_seq WHERE kind = 'n'") == 50


async def test_fifty_organizations_added_at_once_get_numbers_1_to_50(
        chat: Chat, db_path: Path) -> None:
    await chat.ok("Alice", 'coalition setup "Eastside Tenants"')

    def add(i: int) -> Invocation:
        return Invocation(platform="console", workspace_id="local", channel_id="console",
                          user_id="alice", user_name="Alice",
                          line=f'coalition org add "Organization {i}"')

    replies = await asyncio.gather(*(chat.bot.handle(add(i)) for i in range(50)))
    await chat.bot.drain()
    assert [r.text for r in replies if r.error] == []
    numbers = {}
    for i, reply in enumerate(replies):
        match = re.fullmatch(r"Organization #(\d+) added", reply.title)
        assert match, reply.title
        numbers[f"Organization {i}"] = int(match[1])
    assert sorted(numbers.values()) == list(range(1, 51))
    stored = {row[3]: row[2] for row in snapshot(db_path)["org"]}  # name -> number
    assert stored == numbers
    listing = await chat.ok("Alice", "coalition org list")
    assert [f.name for f in listing.fields] == [
        f"#{n} {name}" for name, n in sorted(numbers.items(), key=lambda kv: kv[1])]


@pytest.mark.parametrize("steps", range(0, 12))
async def test_a_transaction_cancelled_at_any_point_leaves_the_connection_usable(
        db: Database, db_path: Path, steps: int) -> None:
    """Cancelled after `steps` turns of the loop: before BEGIN, while waiting for the
    COMMIT in aiosqlite's thread, or after it. The row is there or not, never half, and
    the next transaction runs."""
    async def write() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO coalition (name, timezone, created_at)"
                               " VALUES ('Maybe', 'UTC', ?)", (NOW,))

    task = asyncio.create_task(write())
    for _ in range(steps):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert coalition_names(db_path) in ([], ["Maybe"])
    assert not db.conn.in_transaction
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO coalition (name, timezone, created_at)"
                           " VALUES ('Next', 'UTC', ?)", (NOW,))
    assert coalition_names(db_path)[-1] == "Next"


async def test_a_transaction_cancelled_during_its_commit_keeps_the_lock_until_it_ends(
        db: Database, db_path: Path) -> None:
    """The COMMIT runs in aiosqlite's thread. Cancelled while it runs (held there 0.2 s
    by a progress handler), the transaction waits for it to end before it lets the next
    one in: the row is committed, the caller sees the cancellation, nothing else."""
    slow, entered = threading.Event(), threading.Event()

    def handler() -> int:
        if slow.is_set() and threading.current_thread() is not threading.main_thread():
            slow.clear()
            entered.set()
            threading.Event().wait(0.2)  # the COMMIT, stuck in its thread
        return 0

    await db.conn.set_progress_handler(handler, 1)

    async def write(name: str) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO coalition (name, timezone, created_at)"
                               " VALUES (?, 'UTC', ?)", (name, NOW))
            slow.set()

    first = asyncio.create_task(write("Committed"))
    assert await asyncio.to_thread(entered.wait, 5)
    first.cancel()
    second = asyncio.create_task(write("Next"))
    outcomes = await asyncio.gather(first, second, return_exceptions=True)
    await db.conn.set_progress_handler(None, 1)
    assert isinstance(outcomes[0], asyncio.CancelledError), outcomes
    assert outcomes[1] is None
    assert coalition_names(db_path)[-2:] == ["Committed", "Next"]
    assert not db.conn.in_transaction


async def test_a_transaction_without_fsync_commits_and_the_next_one_is_durable_again(
        db_path: Path) -> None:
    """The outbox's claims skip the fsync (synchronous=NORMAL for one COMMIT); the
    safety level must be FULL again for every other transaction, a failed one too."""
    db = await Database(db_path).open()
    try:
        async with db.transaction(durable=False) as conn:
            await conn.execute("INSERT INTO scheduler_state (id, swept_to) VALUES (1, 'x')")
        with contextlib.closing(sqlite3.connect(db_path)) as other:
            assert other.execute("SELECT swept_to FROM scheduler_state").fetchall() == [("x",)]
        async with db.transaction() as conn:
            assert (await conn.execute_fetchall("PRAGMA synchronous"))[0][0] == 2  # FULL
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction(durable=False) as conn:
                await conn.execute("INSERT INTO scheduler_state (id, swept_to) VALUES (1, 'y')")
        async with db.transaction() as conn:
            assert (await conn.execute_fetchall("PRAGMA synchronous"))[0][0] == 2
    finally:
        await db.close()
