"""The PostgreSQL engine: its migrations, its dialect, passwords kept out of the config."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from db_access import connect, tables

from coalition_bot.config import ConfigError, check_config, load_config
from coalition_bot.errors import StorageError
from coalition_bot.store.database import Database, SqliteDatabase
from coalition_bot.store.dialect import postgres_sql, safe_target, url_has_password
from coalition_bot.store.migrate import available_migrations
from coalition_bot.store.postgres import PgDatabase

pytestmark = pytest.mark.both_backends


def test_every_sqlite_migration_has_a_postgresql_twin_of_the_same_number_and_name() -> None:
    sqlite = [(m.version, m.name) for m in available_migrations()]
    postgresql = [(m.version, m.name) for m in available_migrations("postgresql")]
    assert postgresql == sqlite


def test_placeholders_are_rewritten_outside_literals_only() -> None:
    assert postgres_sql("SELECT ? || 'a?%' FROM t WHERE x LIKE '5%' AND y = ?") == \
        "SELECT %s || 'a?%%' FROM t WHERE x LIKE '5%%' AND y = %s"
    assert postgres_sql("WHERE a IS NOT ? AND b IS ? AND (? IS NULL OR c = ?)") == \
        ("WHERE a IS DISTINCT FROM %s AND b IS NOT DISTINCT FROM %s"
         " AND (CAST(%s AS TEXT) IS NULL OR c = %s)")


def test_the_engine_follows_the_target() -> None:
    assert isinstance(Database("/tmp/x.db"), SqliteDatabase)
    assert isinstance(Database("postgresql://bot@db.example/coalition"), PgDatabase)


def test_a_password_is_never_shown() -> None:
    url = "postgresql://bot:s3cret@db.example:5432/coalition?sslmode=require"
    assert url_has_password(url)
    assert "s3cret" not in safe_target(url)
    assert safe_target(url) == "postgresql://bot@db.example:5432/coalition?sslmode=require"
    assert "s3cret" not in safe_target("postgresql://db.example/c?password=s3cret&x=1")
    assert not url_has_password("postgresql://bot@db.example/coalition")


def test_the_config_refuses_a_url_with_a_password(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[bot]\ndatabase = "postgresql://bot:s3cret@db.example/coalition"\n'
                      "[discord]\nenabled = true\n")
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    assert "PGPASSWORD" in str(refused.value)
    assert "s3cret" not in str(refused.value)
    check = check_config(config, {"DISCORD_TOKEN": "x"})
    assert any("PGPASSWORD" in p for p in check.problems)
    assert "s3cret" not in " ".join(check.problems) + check.database


def test_a_url_in_the_config_is_not_taken_for_a_file_beside_it(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[bot]\ndatabase = "postgresql://bot@db.example/coalition"\n'
                      "[discord]\nenabled = true\n")
    assert load_config(config).bot.database == "postgresql://bot@db.example/coalition"


async def test_an_unreachable_server_is_one_sentence_naming_it(tmp_path: Path) -> None:
    url = f"postgresql://nobody@/coalition?host={tmp_path}&port=5999"
    with pytest.raises(StorageError) as refused:
        await Database(url).open()
    assert str(refused.value).startswith(f"Cannot use the database {url}: PostgreSQL says:")


async def test_migrations_apply_once_and_a_second_open_changes_nothing(
        db_path: Path | str) -> None:
    db = await Database(db_path).open()
    try:
        assert await db.migrate() == []
        async with db.transaction() as conn:
            rows = await conn.execute_fetchall(
                "SELECT version FROM schema_migration ORDER BY version")
    finally:
        await db.close()
    assert [r[0] for r in rows] == [m.version for m in available_migrations()]
    with connect(db_path) as conn:
        assert {"coalition", "delivery", "meeting", "vote"} <= set(tables(conn))


async def test_the_next_reminder_is_forgotten_when_a_series_changes(
        db_path: Path | str) -> None:
    """The next_remind_at triggers, written once per engine, behave the same."""
    db = await Database(db_path).open()
    try:
        async with db.transaction() as conn:
            (cid,) = (await conn.execute_fetchall(
                "INSERT INTO coalition (name, timezone, created_at) VALUES ('c', 'UTC', 'x')"
                " RETURNING id"))[0]
            (mid,) = (await conn.execute_fetchall(
                "INSERT INTO meeting (coalition_id, number, title, timezone, start_local,"
                " duration_min, remind_min, created_at, next_remind_at)"
                " VALUES (?, 1, 'm', 'UTC', '2026-01-01T10:00', 60, '60', 'x', 'soon')"
                " RETURNING id", (cid,)))[0]
            await conn.execute("UPDATE meeting SET title = 't' WHERE id = ?", (mid,))
            kept = await conn.execute_fetchall(
                "SELECT next_remind_at FROM meeting WHERE id = ?", (mid,))
            await conn.execute("INSERT INTO meeting_change (meeting_id, occurrence, cancelled)"
                               " VALUES (?, '2026-01-01T10:00', 1)", (mid,))
            forgotten = await conn.execute_fetchall(
                "SELECT next_remind_at FROM meeting WHERE id = ?", (mid,))
            await conn.execute("UPDATE meeting SET next_remind_at = 'later' WHERE id = ?",
                               (mid,))
            await conn.execute("UPDATE meeting SET rrule = 'FREQ=WEEKLY' WHERE id = ?", (mid,))
            again = await conn.execute_fetchall(
                "SELECT next_remind_at FROM meeting WHERE id = ?", (mid,))
    finally:
        await db.close()
    assert kept[0][0] == "soon"  # the title is not part of the schedule
    assert forgotten[0][0] is None
    assert again[0][0] is None


async def test_two_processes_transactions_never_interleave(db_path: Path | str) -> None:
    """Two connections (two processes, as far as the engine can tell) handing out numbers
    with a read-then-write each: none is handed out twice."""
    first, second = await Database(db_path).open(), await Database(db_path).open()

    async def hand_out(db: Database, n: int) -> list[int]:
        got = []
        for _ in range(n):
            async with db.transaction() as conn:
                (count,) = (await conn.execute_fetchall("SELECT count(*) FROM coalition"))[0]
                await asyncio.sleep(0)  # let the other one try
                await conn.execute("INSERT INTO coalition (name, timezone, created_at)"
                                   " VALUES (?, 'UTC', 'x')", (str(count),))
                got.append(count)
        return got
    try:
        a, b = await asyncio.gather(hand_out(first, 20), hand_out(second, 20))
    finally:
        await first.close()
        await second.close()
    assert sorted(a + b) == list(range(40))
