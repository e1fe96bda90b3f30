"""The outbox's claims and marks read only the rows still open, however many were sent.

A delivery row is never deleted, so the table keeps every notice ever sent. A claim
must walk the open rows only (migration 0020's `delivery_open`), and a mark must find
its row by id. On PostgreSQL this is also about the dead row versions every claim and
mark leaves until VACUUM: an index on `status` kept one entry per version, and after a
burst of 10 000 reminders a claim read all 10 000 of them (bench/scheduler_scale.py
--pg-two: 13 ms a claim, 1.6 ms a mark). The plans are asked of each engine as the
bot's statements would run: on PostgreSQL as a prepared statement's generic plan.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from db_access import connect, is_postgres
from helpers import Chat
from scheduler_support import wait_until

from coalition_bot import outbox as outbox_module
from coalition_bot.bot import Bot
from coalition_bot.store.deliveries import CLAIM_BATCH, MARK
from coalition_bot.store.dialect import postgres_sql

pytestmark = pytest.mark.both_backends

SENT = 3000


def fill(db_path: Path | str) -> None:
    """A coalition whose outbox sent SENT notices, and has two open."""
    with connect(db_path) as db:
        db.execute("INSERT INTO coalition (id, name, timezone, created_at)"
                   " VALUES (1, 'C', 'UTC', '2026-01-01T00:00:00+00:00')")
        for i in range(SENT + 2):
            at = f"2026-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}+00:00"
            db.execute(
                "INSERT INTO delivery (coalition_id, kind, subject_id, occurrence, offset_min,"
                " platform, workspace_id, target, due_at, expires_at, status, next_try_at,"
                " created_at) VALUES (1, 'notice', ?, '', 0, 'slack', 'T', 'C', ?, ?, ?, ?, ?)",
                (i, at, "2027-01-01T00:00:00+00:00", "sent" if i < SENT else "pending", at,
                 at))


def plan_of(db_path: Path | str, sql: str, params: tuple, types: str) -> str:
    """How the engine runs `sql`: PostgreSQL's generic plan (`types`: its parameters'
    types; the plan a statement prepared after its fifth run uses), SQLite's plan."""
    with connect(db_path) as db:
        if not is_postgres(db_path):
            return "\n".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, params))
    import psycopg
    import psycopg.sql

    parts = postgres_sql(sql).split("%s")
    numbered = "".join(part + (f"${n}" if n < len(parts) else "")
                       for n, part in enumerate(parts, 1))
    with psycopg.connect(str(db_path)) as pg:
        pg.execute("SET plan_cache_mode = force_generic_plan")
        pg.execute(f"PREPARE statement ({types}) AS {numbered}")
        values = psycopg.sql.SQL(", ").join(psycopg.sql.Literal(p) for p in params)
        rows = pg.execute(psycopg.sql.SQL("EXPLAIN EXECUTE statement ({})").format(
            values)).fetchall()
        pg.rollback()
    return "\n".join(r[0] for r in rows)


async def test_a_claim_walks_only_the_open_rows_and_a_mark_finds_its_row_by_id(
        db_path: Path | str) -> None:
    await (await Bot.open(db_path)).close()  # migrated
    fill(db_path)
    now = "2026-06-01T00:00:00+00:00"
    skip = " FOR UPDATE SKIP LOCKED" if is_postgres(db_path) else ""

    claim = plan_of(db_path, CLAIM_BATCH.format(platforms="?", skip_locked=skip),
                    (now, "me", now, now, now, "slack", 20),
                    "text, text, text, text, text, text, int")
    mark = plan_of(db_path, MARK, ("sent", 0, "sent", now, "", "", None, 5, "me"),
                   "text, int, text, text, text, text, text, bigint, text")

    assert "delivery_open" in claim, claim
    if is_postgres(db_path):
        assert "Seq Scan on delivery" not in claim, claim
        assert "delivery_pkey" in mark, mark
    else:
        assert "SCAN delivery\n" not in claim + "\n", claim
        assert "TEMP B-TREE" not in claim, claim
        assert "PRIMARY KEY" in mark, mark


def vacuums(db_path: str) -> int:
    with connect(db_path) as db:
        return sum(r[0] for r in db.execute(
            "SELECT vacuum_count FROM pg_stat_user_tables"
            " WHERE relname IN ('delivery', 'meeting')"))


async def vacuumed_after_marks(coalition: Chat, bot: Bot, db_path: Path | str,
                               marks: int) -> None:
    """Raise `marks` notices to the home channel (a goal's update each), let the outbox
    send and mark them, and (PostgreSQL) wait until delivery and meeting were vacuumed."""
    before = vacuums(str(db_path)) if is_postgres(db_path) else 0
    for n in range(1, marks + 1):
        await coalition.ok("Alice", f"coalition goal add Goal {n}")
        await coalition.ok("Alice", f"coalition goal update #{n} in-progress")
    await bot.drain()
    assert len(coalition.outlet.posted) >= marks
    if is_postgres(db_path):
        await wait_until(lambda: vacuums(str(db_path)) >= before + 2, within=10,
                         what=f"delivery and meeting vacuumed after {marks} marks")


async def test_every_thousand_marks_the_outbox_tidies_what_its_churn_left(
        coalition: Chat, bot: Bot, db_path: Path | str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The dead versions claims and marks leave are cleared long before autovacuum's next
    look (a minute): every `TIDY_EVERY` marks the outbox asks for a VACUUM. SQLite
    updates in place: nothing to do, and nothing fails."""
    monkeypatch.setattr(outbox_module, "TIDY_EVERY", 3)
    monkeypatch.setattr(outbox_module, "TIDY_FIRST", ())
    await vacuumed_after_marks(coalition, bot, db_path, 3)
    await bot.db.tidy()  # and on its own, whenever asked


async def test_a_processs_first_marks_tidy_early_as_the_table_grows(
        coalition: Chat, bot: Bot, db_path: Path | str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans PostgreSQL cached while the outbox's table was nearly empty are made again
    once a VACUUM records its size: a process tidies at a few early counts of marks too
    (`TIDY_FIRST`), not only every `TIDY_EVERY`."""
    monkeypatch.setattr(outbox_module, "TIDY_FIRST", (2,))
    await vacuumed_after_marks(coalition, bot, db_path, 2)  # TIDY_EVERY (1 000) is far off
