"""Upgrading a database a coalition has used: the file the previous release (schema
version 5) left, full of real data, opened by this release.

The old file is made by running real commands on this release, then taking the file back
to version 5 (dropping what migrations 6-11 added); a check first proves that the
taken-back schema is exactly what migrations 1-5 alone build. Opening it again applies
6-11 over the data, and everything still works: the meeting's reminder goes out once, on
time, and the new commands run on the old rows.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import Chat, MovableClock, RecordingOutlet, field, snapshot, text_of
from scheduler_support import Outbox, tick_at, utc

from coalition_bot.bot import Bot
from coalition_bot.cli import main
from coalition_bot.scheduler import Scheduler
from coalition_bot.store.migrate import available_migrations

PREVIOUS = 5  # the schema version of the previous release
# the delivery table exactly as migration 0005 made it (comments included: SQLite keeps them)
_OLD = available_migrations()[4].sql
OLD_DELIVERY = _OLD[_OLD.index("CREATE TABLE delivery ("):_OLD.index("CREATE INDEX delivery_p")]
BACK_TO_5 = f"""
DROP INDEX note_action_due;
DROP TABLE feed_stamp;
DROP INDEX team_enterprise_org;
DROP TABLE team_enterprise;
DROP TABLE log_entry;
DROP TABLE poll_proxy;
ALTER TABLE vote DROP COLUMN by_proxy;
ALTER TABLE poll DROP COLUMN details;
ALTER TABLE poll DROP COLUMN pick;
ALTER TABLE poll DROP COLUMN withdrawn_at;
ALTER TABLE poll DROP COLUMN withdraw_reason;
ALTER TABLE poll DROP COLUMN outcome_text;
DROP TABLE calendar_feed;
DROP TABLE coalition_page;
DROP TABLE oauth_state;
DROP INDEX installation_team;
DROP TABLE installation;
DROP TABLE digest_schedule;
DROP TABLE attendance;
DROP TABLE resource_take;
DROP TABLE resource;
DROP TABLE notice;
DROP INDEX delivery_failed;
ALTER TABLE delivery RENAME TO delivery_9;
{OLD_DELIVERY}INSERT INTO delivery SELECT id, coalition_id, kind, subject_id, occurrence,
    offset_min, platform, target, due_at, expires_at, status, late, attempts, next_try_at,
    last_error, created_at, claimed_at, sent_at FROM delivery_9
    WHERE kind != 'notice' AND status != 'failed';
DROP TABLE delivery_9;
CREATE INDEX delivery_pending ON delivery(status, next_try_at);
DROP TRIGGER meeting_series_changed;
DROP TRIGGER meeting_occurrence_added;
DROP TRIGGER meeting_occurrence_changed;
DROP TRIGGER meeting_occurrence_restored;
DROP INDEX meeting_next_remind;
ALTER TABLE meeting DROP COLUMN next_remind_at;
DROP TABLE link_code;
ALTER TABLE org DROP COLUMN left_at;
DROP TABLE poll_elector;
ALTER TABLE person DROP COLUMN left_at;
ALTER TABLE topic_proposal DROP COLUMN action;
DELETE FROM schema_migration WHERE version > 5;
"""


def schema(path: Path) -> dict[str, str]:
    """name → CREATE statement of every table, index and trigger (SQLite's own)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return {name: " ".join(sql.split()) for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"
            " AND name != 'sqlite_sequence'")}


def columns(path: Path) -> dict[str, list[str]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type ="
                                             " 'table' ORDER BY name")]
        return {t: [c[1] for c in conn.execute(f"PRAGMA table_info('{t}')")] for t in tables}


def previous_release_schema(path: Path) -> None:
    """A new file with migrations 1-5 applied, the way the runner applies them."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE schema_migration ("  # as store/migrate.py writes it
                     " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        for m in available_migrations()[:PREVIOUS]:
            conn.executescript(m.sql)
            conn.execute("INSERT INTO schema_migration VALUES (?, ?, 'then')",
                         (m.version, m.name))
        conn.commit()


def taken_back(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.executescript(BACK_TO_5)


async def test_taking_a_file_back_gives_exactly_the_previous_schema(tmp_path: Path) -> None:
    old, now = tmp_path / "old.db", tmp_path / "now.db"
    previous_release_schema(old)
    bot = await Bot.open(now)
    await bot.close()
    taken_back(now)
    assert schema(now) == schema(old)
    assert columns(now) == columns(old)


async def used_by_the_previous_release(path: Path, clock: MovableClock) -> None:
    bot = await Bot.open(path, clock=clock)
    chat = Chat(bot, RecordingOutlet("console"))
    try:
        await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
        await chat.ok("Alice", 'coalition org add "Tenants United"')
        await chat.ok("Alice", 'coalition org add "Climate Now"')
        await chat.ok("Alice", 'coalition rep add Bob "Tenants United"')
        await chat.ok("Alice", 'meeting schedule Call "2026-12-01 18:00" every:weekly '
                               'remind:1h')
        await chat.ok("Alice", "meeting cancel 1 occurrence:2026-12-08")
        await chat.ok("Alice", "poll create Join the May Day march?")
        await chat.ok("Bob", "poll vote 1 agree")
        await Scheduler(bot).tick()  # marks the series: the old release had no marks
    finally:
        await bot.close()
    taken_back(path)


async def test_a_used_database_of_the_previous_release_upgrades_and_keeps_working(
        db_path: Path, clock: MovableClock) -> None:
    await used_by_the_previous_release(db_path, clock)
    before, columns_before = snapshot(db_path), columns(db_path)
    bot = await Bot.open(db_path, clock=clock)  # applies migrations 6-9
    outbox = Outbox("console", clock)
    bot.add_outlet(outbox)
    chat = Chat(bot, RecordingOutlet("console"))
    try:
        after = snapshot(db_path)
        assert sorted(r[0] for r in after["schema_migration"]) == [  # (rows sort as text)
            m.version for m in available_migrations()]
        for table, rows in before.items():  # every old row is still there, unchanged
            if table != "schema_migration":  # new columns come last: compare the old ones
                width = len(columns_before[table])
                assert [r[:width] for r in after[table]] == rows, table
        info = await chat.ok("Carol", "coalition info")
        assert field(info, "Home channel") == "this channel"
        assert "1 of 2" in text_of(await chat.ok("Alice", "poll status 1"))
        scheduler = Scheduler(bot)
        for day in (1, 8, 15):  # 17:00 in New York: an hour before each call
            await tick_at(scheduler, clock, utc(2026, 12, day, 22))
            await tick_at(scheduler, clock, utc(2026, 12, day, 22) + timedelta(minutes=1))
        assert [s.at for s in outbox.reminders()] == [utc(2026, 12, 1, 22),
                                                       utc(2026, 12, 15, 22)]
        await chat.ok("Alice", "coalition org remove #2")
        assert "code" in text_of(await chat.ok("Alice", "coalition link"))
        offered = await chat.ok("Bob", "resource offer Meeting hall tags:hall")
        assert offered.title == "Offer #1 posted for Tenants United"
    finally:
        await bot.close()


def test_migrate_waits_for_a_running_bots_write(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`coalition-bot migrate` while another connection (a running bot) is mid-write:
    it waits for the write to end instead of failing at once."""
    path = tmp_path / "old.db"
    previous_release_schema(path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")  # as every file a bot has run on is
    with contextlib.closing(sqlite3.connect(path, isolation_level=None,
                                            check_same_thread=False)) as writer:
        writer.execute("BEGIN IMMEDIATE")
        threading.Timer(0.5, writer.execute, ("COMMIT",)).start()
        assert main(["migrate", "--db", str(path)]) == 0
    newer = ", ".join(f"{m.version:04d}" for m in available_migrations()[PREVIOUS:])
    assert f"applied migration(s) {newer}" in capsys.readouterr().out
