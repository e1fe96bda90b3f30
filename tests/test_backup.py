"""`coalition-bot backup DEST`: a consistent, checked copy of the database, taken while
the bot runs, that the bot can open as it is."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers import Chat, text_of

from coalition_bot.bot import Bot
from coalition_bot.cli import main


def content(path: Path) -> bytes | None:
    """The file's bytes, or None when there is no file."""
    return path.read_bytes() if path.exists() else None


def rows(path: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


async def test_a_backup_taken_while_the_bot_runs_has_every_commit(
        partners: Chat, db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await partners.ok("Alice", "poll create Join the May Day march?")
    await partners.ok("Bob", "poll vote 1 agree")
    await partners.ok("Alice", "poll close 1 confirm:yes")
    # the bot is still open: its latest commits are in coalition.db-wal, not in the file,
    # so copying the file misses them (why a backup command is needed at all)
    naive = tmp_path / "copied.db"
    shutil.copy(db_path, naive)
    tables = {name for (name,) in rows(naive, "SELECT name FROM sqlite_master")}
    assert "decision" not in tables or rows(naive, "SELECT count(*) FROM decision") == [(0,)]
    dest = tmp_path / "backup.db"
    assert main(["backup", str(dest), "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{dest}: ")
    assert "1 coalition(s), 1 decision(s); checked" in out
    assert rows(dest, "SELECT question, outcome FROM decision") == [
        ("Join the May Day march?", "passed")]
    assert rows(dest, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file
    assert content(Path(f"{dest}.part")) is None
    restored = await Bot.open(dest)  # the bot opens the copy as it is
    try:
        chat = Chat(restored, partners.outlet)
        assert "Join the May Day march?" in text_of(await chat.ok("Carol", "coalition log"))
    finally:
        await restored.close()


async def test_a_backup_never_overwrites_unless_told(
        coalition: Chat, db_path: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "backup.db"
    dest.write_text("yesterday's backup")
    assert main(["backup", str(dest), "--db", str(db_path)]) == 2
    assert "exists already; nothing was written" in capsys.readouterr().err
    assert dest.read_text() == "yesterday's backup"
    assert main(["backup", str(dest), "--db", str(db_path), "--force"]) == 0
    assert rows(dest, "SELECT name FROM coalition") == [("Eastside Tenants",)]


def test_a_backup_of_a_missing_database_creates_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing, dest = tmp_path / "nope.db", tmp_path / "backup.db"
    assert main(["backup", str(dest), "--db", str(missing)]) == 2
    assert f"There is no database at {missing}" in capsys.readouterr().err
    assert not missing.exists()
    assert not dest.exists()


async def test_a_backup_onto_the_database_itself_is_refused(
        coalition: Chat, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = content(db_path)
    assert main(["backup", str(db_path), "--db", str(db_path), "--force"]) == 2
    assert "another file" in capsys.readouterr().err
    assert content(db_path) == before
