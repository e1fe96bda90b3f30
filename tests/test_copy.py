"""`coalition-bot copy --from PATH.db --to postgresql://…`: a coalition built on SQLite
through the real bot, copied into PostgreSQL, where the real bot shows the same things,
verifies the same decision log and goes on (new numbers and ids after the old ones).
And every way the copy can be refused: one sentence, a non-zero exit, nothing changed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from helpers import Chat, MovableClock, RecordingOutlet, text_of
from scheduler_support import Outbox

from coalition_bot.bot import Bot
from coalition_bot.cli import main
from coalition_bot.installations import Installation
from coalition_bot.replies import Message
from coalition_bot.scheduler import Scheduler
from coalition_bot.services.people import console_user_id
from coalition_bot.store.database import Database
from coalition_bot.store.migrate import available_migrations
from coalition_bot.store.rows import fetch_one
from coalition_bot.store.running import hold_shared
from coalition_bot.tokens import TokenCipher, new_key

NEWEST = available_migrations()[-1].version
_numbers = itertools.count(1)


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture
def target(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (not migrated), dropped afterwards."""
    # named for the xdist worker too: two workers may share one server
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"coalition_copy_{worker}_{next(_numbers)}"
    admin = _with_database(postgres_server, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    yield _with_database(postgres_server, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def copy(source: Path | str, to: str, capsys: pytest.CaptureFixture[str]
         ) -> tuple[int, str, str]:
    """Run `coalition-bot copy`: (exit code, stdout, stderr)."""
    code = main(["copy", "--from", str(source), "--to", to])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def pg_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def pg_tables(url: str) -> dict[str, int]:
    """Every table of the target (but schema_migration) with its number of rows."""
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> 'schema_migration'")]
        return {n: conn.execute(f"SELECT count(*) FROM {n}").fetchone()[0]  # type: ignore[index]
                for n in names}


def sqlite_rows(path: Path, table: str) -> list[dict[str, Any]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        try:
            found = conn.execute(f'SELECT rowid AS "rowid:", * FROM "{table}"').fetchall()
        except sqlite3.OperationalError:  # WITHOUT ROWID
            found = conn.execute(f'SELECT * FROM "{table}"').fetchall()
        return [dict(r) for r in found]


def empty_target(url: str) -> None:
    assert not any(pg_tables(url).values())


def coalition_db(tmp_path: Path) -> Path:
    """A small coalition on SQLite, made by the real bot."""
    path = tmp_path / "small.db"

    async def build() -> None:
        bot = await Bot.open(path, clock=MovableClock())
        chat = Chat(bot, RecordingOutlet("console"))
        bot.add_outlet(chat.outlet)
        try:
            await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
            await chat.ok("Alice", 'coalition org add "Tenants United"')
            await chat.ok("Alice", 'coalition rep add Bob "Tenants United"')
            await chat.ok("Alice", "poll create Join the march?")
            await chat.ok("Bob", "poll vote 1 agree")
        finally:
            await bot.close()
    asyncio.run(build())
    return path


# --- the whole coalition, across -----------------------------------------------------

SHOWN = ["coalition info", "coalition org list", "coalition goals", "coalition log count:20",
         "coalition log verify", "coalition deliveries", "coalition workspaces",
         "poll list which:all", "poll status 1", "poll status 2", "poll status 3",
         "poll status 4", "meeting list", "meeting info 1", "meeting info 2",
         "meeting agenda 1", "meeting minutes 1 occurrence:2026-11-24", "meeting actions all",
         "role list", "role workload", "topic list", "resource list which:all",
         "coalition health", "coalition digest preview", "coalition export log"]


async def build_coalition(chat: Chat, bot: Bot, outbox: Outbox, clock: MovableClock,
                          key: str) -> None:
    """Everything a coalition keeps, a row in every table: organizations, people, roles,
    goals, polls of every kind with votes, proxies and decisions, meetings with a series,
    changes, RSVPs, agendas, notes and attendance, topics and a nudge, resources, the
    page and a calendar feed, a digest, a link code, an installation with encrypted
    tokens and an OAuth state, and notices still waiting in the outbox."""
    for line in [
            'coalition setup "Eastside Tenants" America/New_York',
            'coalition org add "Tenants United"', 'coalition org add "Climate Now"',
            'coalition org add "Faith Forum"', 'coalition org add Observers observer:yes',
            'coalition rep add Bob "Tenants United"', 'coalition rep add Dan "Climate Now"',
            'coalition rep add Fay "Faith Forum"', "coalition coordinator add Carol",
            "coalition goal add Pass the rent stabilization ordinance",
            "coalition goal update #1 in-progress Hearing set for March 3",
            'role create Treasurer description:"Keeps the books; 5% of dues"',
            "role assign Treasurer Dan",
            "topic add pipeline reason:\"Not our fight — yet\"",
            'meeting schedule "Strategy call" "2026-11-24 18:00" every:weekly '
            'remind:"1d,1h" where:"Room 2 / Zoom"',
            'meeting schedule "Rally prep" "2026-12-03 17:30"',
            "meeting cancel 1 occurrence:2026-12-08",
            'meeting reschedule 1 "2026-12-16 19:00" occurrence:2026-12-15',
            "meeting agenda add 1 Rent strike: next steps",
            "meeting note 1 action Book the hall owner:Dan occurrence:2026-11-24",
            "meeting note 1 decision We march on the 5th occurrence:2026-11-24",
            "coalition page on access:link", "coalition digest on monday 09:00",
            "coalition link"]:
        await chat.ok("Alice", line)
    await chat.ok("Eve", "coalition info")  # a member before the member poll opens
    for line in [
            'poll create "Join the May Day march?" details:"Route: Main St → City Hall"',
            'poll create "Which banner?" choices:"Red|Blue|Green ✊" rule:plurality pick:2',
            'poll create "Endorse Prop 5?" anonymous:yes electorate:members',
            'poll create "Share our list?" closes:"in 3 days"']:
        await chat.ok("Alice", line)
    for user, line in [
            ("Bob", "meeting rsvp 1 yes"), ("Eve", "meeting rsvp 1 maybe"),
            ("Dan", "meeting rsvp 2 no"),
            ("Bob", 'resource offer "Meeting hall" tags:hall until:2026-12-20'),
            ("Dan", "resource ask Canvassers tags:spanish,canvassing"),
            ("Bob", "resource take 2 note:\"Saturday's fine\""),
            ("Bob", "poll vote 1 agree reason:\"It's about time\""),
            ("Dan", "poll vote 1 disagree reason:\"Too soon;\nwait\""),
            ("Fay", "poll proxy 1 Bob"), ("Bob", "poll vote 1 abstain org:\"Faith Forum\""),
            ("Bob", 'poll vote 2 "Red|Green ✊"'), ("Dan", "poll vote 2 Blue"),
            ("Bob", "poll vote 3 agree confirm:yes"),
            ("Eve", "poll vote 3 disagree confirm:yes"),
            ("Dan", "poll vote 3 agree confirm:yes"), ("Bob", "poll vote 4 agree"),
            ("Bob", "topic propose fracking reason:\"Splits the faith groups\"")]:
        await chat.ok(user, line)
    for line in ["poll close 1 confirm:yes", "poll close 2 confirm:yes",
                 "poll close 3 confirm:yes", "poll outcome 1 We march, banners up front"]:
        await chat.ok("Alice", line)
    await chat.ok("Eve", "meeting feed")
    nudged = await bot.on_message(Message(
        platform="console", workspace_id="local", channel_id="console",
        user_id=console_user_id("Eve"), user_name="Eve", text="What about the pipeline?"))
    assert nudged is not None
    bot.installations.unlock(TokenCipher(key))
    await bot.installations.issue_state("state-1", timedelta(minutes=10))
    await bot.installations.save(Installation(
        platform="slack", team_id="T042", bot_token="xoxb-secret-42", team_name="Tenants",
        refresh_token="xoxe-refresh-42", token_expires_at=1_900_000_000,
        bot_scopes="commands,chat:write", installed_at=clock()))
    await bot.installations.note_team("slack", "T043", "E042")  # a team of a Grid org
    async with bot.db.transaction() as conn:
        slug = (await fetch_one(conn, "SELECT slug FROM coalition_page"))[0]
    assert await bot.coalition_feed(slug) is not None  # served: its stamp is kept
    clock.advance(days=1, hours=10)  # the first reminders come due, the call happens
    await Scheduler(bot).tick()
    await chat.ok("Bob", "meeting attended 1 Bob,Eve occurrence:2026-11-24")
    outbox.down = True  # the platform stops answering: these stay in the outbox
    await chat.ok("Alice", "poll close 4 confirm:yes")
    clock.advance(minutes=10)
    await Scheduler(bot).tick()


async def shown(chat: Chat) -> dict[str, str]:
    return {line: text_of(await chat.ok("Carol", line)) for line in SHOWN}


async def test_a_coalition_copied_to_postgresql_works_there_as_it_did(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    source, clock, key = tmp_path / "coalition.db", MovableClock(), new_key()
    bot = await Bot.open(source, clock=clock)
    outbox = Outbox("console", clock)
    chat = Chat(bot, RecordingOutlet("console"))
    bot.add_outlet(outbox)
    try:
        await build_coalition(chat, bot, outbox, clock, key)
        before = await shown(chat)
        sent_before = len(outbox.sent)
    finally:
        await bot.close()
    waiting = [r[0] for r in sqlite3.connect(source).execute(
        "SELECT kind FROM delivery WHERE status = 'pending'")]
    assert waiting == ["notice"]  # poll #4's result, still in the outbox
    assert "intact" in before["coalition log verify"]
    assert "agree: 2 (67%)" in before["poll status 3"]  # anonymous: a tally, no names
    unchanged = source.read_bytes()

    code, out, err = await asyncio.to_thread(copy, source, target, capsys)

    assert (code, err) == (0, "")
    assert source.read_bytes() == unchanged  # only read
    counts = pg_tables(target)
    lines = out.splitlines()
    assert lines[-1].startswith(f"copied {source} into {target}: {sum(counts.values())} rows "
                                f"in {len(counts)} tables, schema version {NEWEST}; row "
                                f"counts checked.")
    assert sorted(lines[:-1]) == sorted(f"  {t}: {n}" for t, n in counts.items())
    assert pg_rows(target, "SELECT version FROM schema_migration ORDER BY version") == [
        (m.version,) for m in available_migrations("postgresql")]
    # every value of every row, as the file held it
    for table in counts:
        want = sqlite_rows(source, table)
        with psycopg.connect(target) as conn:
            cur = conn.execute(f"SELECT * FROM {table}")
            names = [c.name for c in cur.description or ()]
            got = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        for row in want:
            rowid = row.pop("rowid:", None)
            if table == "attendance":
                row["seq"] = rowid  # PostgreSQL's column for SQLite's rowid
        assert sorted(map(repr, (sorted(r.items()) for r in got))) == \
            sorted(map(repr, (sorted(r.items()) for r in want))), table
    assert [table for table, rows in counts.items() if not rows] == []
    assert pg_rows(target, "SELECT count(*) FROM meeting WHERE next_remind_at IS NOT NULL"
                   ) != [(0,)]

    # the real bot on PostgreSQL shows the same, and goes on
    moved = await Bot.open(target, clock=clock)
    outbox.down = False
    moved.add_outlet(outbox)
    try:
        chat = Chat(moved, chat.outlet)
        assert await shown(chat) == before
        moved.installations.unlock(TokenCipher(key))
        found = await moved.installations.find("slack", "T042")
        assert found is not None
        assert (found.bot_token, found.refresh_token) == ("xoxb-secret-42", "xoxe-refresh-42")
        clock.advance(minutes=30)  # past the waiting notices' next try
        await Scheduler(moved).tick()
        await moved.drain()
        assert [s.title for s in outbox.sent[sent_before:]] == [
            "(late) Poll #4 closed: no quorum"]
        await chat.ok("Alice", "poll create Rent strike in May?")
        assert "#5" in text_of(await chat.ok("Eve", "poll list"))
        await chat.ok("Bob", "poll vote 5 agree")
        await chat.ok("Dan", "poll vote 5 agree")
        await chat.ok("Fay", "poll vote 5 block reason:\"not yet\"")
        await chat.ok("Alice", "poll close 5 confirm:yes")
        reply = await chat.ok("Alice", 'meeting schedule "Rent strike" "2026-12-10 18:00"')
        assert "#3" in text_of(reply)
        await chat.ok("Alice", 'coalition org add "Youth Bloc"')
        await chat.ok("Eve", "meeting rsvp 3 yes")
        await chat.ok("Bob", "meeting attended 1 Dan occurrence:2026-11-24")
        assert pg_rows(target, "SELECT p.display_name FROM attendance a JOIN person p"
                               " ON p.id = a.person_id ORDER BY a.seq") == [
            ("Bob",), ("Eve",), ("Dan",)]  # recorded after the two copied
        verified = text_of(await chat.ok("Alice", "coalition log verify"))
        assert "intact" in verified
    finally:
        await moved.close()
    for table in ("poll", "meeting", "org", "decision", "log_entry", "delivery"):
        ids = pg_rows(target, f"SELECT id FROM {table} ORDER BY id")
        assert len(ids) == len(set(ids)), table
        assert len(ids) > counts[table], table


# --- refused: one sentence, a non-zero exit, nothing changed ---------------------------

def test_a_missing_source_is_named(tmp_path: Path, target: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = copy(tmp_path / "nowhere.db", target, capsys)
    assert code == 2
    assert err.strip() == (f"coalition-bot: There is no database file at "
                           f"{tmp_path / 'nowhere.db'}; nothing was copied.")
    assert pg_rows(target, "SELECT to_regclass('coalition') IS NULL") == [(True,)]


def test_a_file_that_is_not_sqlite_is_named(tmp_path: Path, target: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("groceries: milk, bread\n" * 100)
    code, _, err = copy(notes, target, capsys)
    assert code == 2
    assert err.strip() == (f"coalition-bot: Cannot use the database {notes}: it is not a "
                           f"coalition-bot database (not an SQLite file, or damaged).")
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE recipe (name TEXT)")
    code, _, err = copy(other, target, capsys)
    assert code == 2
    assert "not a coalition-bot database (it has no schema_migration table)" in err
    assert pg_rows(target, "SELECT to_regclass('coalition') IS NULL") == [(True,)]


def test_a_source_behind_this_version_is_sent_to_migrate_first(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = coalition_db(tmp_path)
    with contextlib.closing(sqlite3.connect(source)) as conn, conn:
        conn.execute("DELETE FROM schema_migration WHERE version = ?", (NEWEST,))
    code, _, err = copy(source, target, capsys)
    assert code == 2
    assert err.strip() == (f"coalition-bot: {source} has schema version {NEWEST - 1}, older "
                           f"than this coalition-bot's {NEWEST}, so nothing was copied: run "
                           f"`coalition-bot migrate --db {source}` first, then copy again.")
    assert pg_rows(target, "SELECT to_regclass('coalition') IS NULL") == [(True,)]


def test_a_source_newer_than_this_version_is_refused(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = coalition_db(tmp_path)
    with contextlib.closing(sqlite3.connect(source)) as conn, conn:
        conn.execute("INSERT INTO schema_migration VALUES (?, 'future', 'x')", (NEWEST + 1,))
    code, _, err = copy(source, target, capsys)
    assert code == 2
    assert f"{source} has schema version {NEWEST + 1}, newer than this coalition-bot" in err
    assert pg_rows(target, "SELECT to_regclass('coalition') IS NULL") == [(True,)]


def test_an_unreachable_server_is_named(tmp_path: Path, postgres_server: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    source = coalition_db(tmp_path)
    url = f"postgresql://nobody@/coalition?host={tmp_path}&port=5999"
    code, _, err = copy(source, url, capsys)
    assert code == 2
    assert err.startswith(f"coalition-bot: Cannot use the database {url}: PostgreSQL says:")
    assert len(err.strip().splitlines()) == 1
    missing = _with_database(postgres_server, "no_such_database")
    code, _, err = copy(source, missing, capsys)
    assert code == 2
    assert err.startswith(f"coalition-bot: Cannot use the database {missing}: PostgreSQL "
                          f"says:")
    assert err.strip().endswith("does not exist (create it with createdb).")


def test_a_password_in_the_url_is_refused_and_never_shown(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = coalition_db(tmp_path)
    parts = urlsplit(target)
    with_password = urlunsplit(parts._replace(netloc=f"copier:s3cret@{parts.netloc}"))
    code, out, err = copy(source, with_password, capsys)
    assert code == 2
    assert "s3cret" not in out + err
    assert "must not hold a password" in err
    assert "PGPASSWORD or ~/.pgpass" in err
    code, _, err = copy(source, target + "&password=s3cret", capsys)
    assert code == 2
    assert "s3cret" not in err
    code, _, err = copy(source, str(tmp_path / "other.db"), capsys)
    assert code == 2
    assert "--to takes a PostgreSQL URL" in err
    assert pg_rows(target, "SELECT to_regclass('coalition') IS NULL") == [(True,)]


def test_a_target_that_is_not_empty_is_left_alone(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = coalition_db(tmp_path)
    assert copy(source, target, capsys)[0] == 0
    before = pg_tables(target)
    code, _, err = copy(source, target, capsys)
    assert code == 2
    assert err.startswith(f"coalition-bot: The target {target} is not empty (rows in ")
    assert "coalition, " in err
    assert "nothing was changed" in err
    assert pg_tables(target) == before


def test_a_target_at_a_newer_schema_is_refused(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = coalition_db(tmp_path)

    async def migrate() -> None:
        await (await Database(target).open()).close()
    asyncio.run(migrate())
    with psycopg.connect(target) as conn:
        conn.execute("INSERT INTO schema_migration VALUES (%s, 'future', 'x')", (NEWEST + 1,))
    code, _, err = copy(source, target, capsys)
    assert code == 2
    assert err.strip() == (f"coalition-bot: The target {target} has schema version "
                           f"{NEWEST + 1}, newer than the source's {NEWEST}, so nothing was "
                           f"changed: copy with the coalition-bot that wrote the target, or "
                           f"into a new database.")
    empty_target(target)


def test_a_source_a_bot_is_using_is_refused(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = coalition_db(tmp_path)
    running = hold_shared(str(source))  # what `run` and `console` hold
    try:
        code, _, err = copy(source, target, capsys)
    finally:
        assert running is not None
        running.close()
    assert code == 2
    assert f"A coalition-bot process is using {source}, so nothing was copied" in err
    assert pg_rows(target, "SELECT to_regclass('coalition') IS NULL") == [(True,)]


def test_row_counts_that_differ_roll_the_whole_copy_back(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A trigger left on the target swallows the votes: the count after the copy is
    short, so nothing at all stays, the tables copied before it included."""
    source = coalition_db(tmp_path)

    async def migrate() -> None:
        await (await Database(target).open()).close()
    asyncio.run(migrate())
    with psycopg.connect(target) as conn:
        conn.execute("CREATE FUNCTION swallow() RETURNS trigger LANGUAGE plpgsql AS"
                     " $$ BEGIN RETURN NULL; END $$")
        conn.execute("CREATE TRIGGER swallow BEFORE INSERT ON vote FOR EACH ROW"
                     " EXECUTE FUNCTION swallow()")
    code, _, err = copy(source, target, capsys)
    assert code == 2
    assert err.strip() == (f"coalition-bot: After the copy vote holds 0 rows in {target} but "
                           f"1 in the source, so the copy was rolled back and nothing was "
                           f"changed.")
    empty_target(target)
    with psycopg.connect(target) as conn:  # the numbering was not moved either
        conn.execute("DROP TRIGGER swallow ON vote")
        conn.execute("INSERT INTO coalition (name, timezone, created_at) VALUES"
                     " ('x', 'UTC', 'x')")
        assert conn.execute("SELECT id FROM coalition").fetchall() == [(1,)]


def test_a_value_postgresql_cannot_hold_is_named(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    source = coalition_db(tmp_path)
    with contextlib.closing(sqlite3.connect(source)) as conn, conn:
        conn.execute("UPDATE vote SET changes = 'many'")  # SQLite's loose typing lets it in
        (rowid,) = conn.execute("SELECT rowid FROM vote").fetchone()
    code, _, err = copy(source, target, capsys)
    assert code == 2
    assert err.strip() == (f"coalition-bot: vote.changes of the source's row {rowid} holds "
                           f"'many', which is not a whole number, so nothing was changed; "
                           f"correct it in the file and copy again.")
    empty_target(target)


@pytest.mark.parametrize(("change", "held"), [
    ("UPDATE coalition SET name = X'FF00'", "bytes that are not UTF-8 text"),
    ("UPDATE coalition SET name = 'East' || char(0) || 'side'",
     "a NUL character, which PostgreSQL's text cannot hold")])
def test_text_postgresql_cannot_hold_is_named(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str], change: str,
        held: str) -> None:
    source = coalition_db(tmp_path)
    with contextlib.closing(sqlite3.connect(source)) as conn, conn:
        conn.execute(change)
        (rowid,) = conn.execute("SELECT rowid FROM coalition").fetchone()
    code, _, err = copy(source, target, capsys)
    assert code == 2
    assert err.strip() == (f"coalition-bot: coalition.name of the source's row {rowid} "
                           f"holds {held}, so nothing was changed; correct it in the file "
                           f"and copy again.")
    empty_target(target)


def test_text_kept_as_a_blob_arrives_as_text(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    """SQLite keeps what it is given: UTF-8 bytes in a text column are the text."""
    source = coalition_db(tmp_path)
    with contextlib.closing(sqlite3.connect(source)) as conn, conn:
        conn.execute("UPDATE coalition SET name = CAST('Eastside Inquilinos ✊' AS BLOB)")
        assert conn.execute("SELECT typeof(name) FROM coalition").fetchone() == ("blob",)
    assert copy(source, target, capsys)[0] == 0
    assert pg_rows(target, "SELECT name FROM coalition") == [("Eastside Inquilinos ✊",)]


def test_the_command_line_help_lists_copy(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "copy an SQLite database into an empty PostgreSQL database" in \
        " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        main(["copy", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--from PATH" in out
    assert "no password in it (PGPASSWORD or ~/.pgpass)" in out


def test_rows_postgresql_refuses_roll_the_whole_copy_back(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A vote of a poll that is gone (SQLite checks keys only when asked to): PostgreSQL
    refuses it, and the tables copied before it go too."""
    source = coalition_db(tmp_path)
    with contextlib.closing(sqlite3.connect(source)) as conn, conn:
        conn.execute("INSERT INTO vote (poll_id, voter, cast_by, choice, cast_at)"
                     " VALUES (999, 'org:1', 1, 'agree', '2026-11-23T15:00:00+00:00')")
    code, _, err = copy(source, target, capsys)
    assert code == 2
    assert err.startswith(f"coalition-bot: PostgreSQL refused the rows of vote for {target} "
                          f"(insert or update on table \"vote\" violates foreign key")
    assert err.strip().endswith("), so nothing was changed.")
    assert len(err.strip().splitlines()) == 1
    empty_target(target)


def test_a_bad_key_written_after_the_rows_is_named_too(
        tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    """coalition.created_by goes in after the people (the keys form a cycle); a value
    there that is no number, or no person, is refused as any other."""
    source = coalition_db(tmp_path)
    with contextlib.closing(sqlite3.connect(source)) as conn, conn:
        conn.execute("UPDATE coalition SET created_by = 'Alice'")
    code, _, err = copy(source, target, capsys)
    assert code == 2
    assert "coalition.created_by of the source's row 1 holds 'Alice', which is not a " \
           "whole number" in err
    with contextlib.closing(sqlite3.connect(source)) as conn, conn:
        conn.execute("UPDATE coalition SET created_by = 99")
    code, _, err = copy(source, target, capsys)
    assert code == 2
    assert err.startswith(f"coalition-bot: PostgreSQL refused the rows of coalition for "
                          f"{target} (insert or update on table \"coalition\" violates "
                          f"foreign key")
    empty_target(target)
