"""`backup --keep N` prunes older copies named like it; `restore` refuses while a bot
runs, checks the backup, keeps the current file aside and says what it did."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import Chat

from coalition_bot.cli import main
from coalition_bot.store.running import hold_exclusive

SCRIPT = Path(sys.executable).parent / "coalition-bot"


def rows(path: Path, sql: str) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


async def test_backup_keep_prunes_only_older_copies_of_the_same_pattern(
        coalition: Chat, db_path: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "backups"
    for day in range(1, 5):
        dest = folder / f"coalition-2026-05-0{day}.db"
        assert main(["backup", str(dest), "--db", str(db_path)]) == 0
        os.utime(dest, (time.time() - 86400 * (10 - day),) * 2)  # older days: older files
    (folder / "coalition-2026-05-09.txt").write_text("notes")  # another pattern
    (folder / "coalition-2026-04-30.db").write_text("not a database")  # not SQLite
    (folder / "other-2026-05-01.db").write_bytes((folder / "coalition-2026-05-01.db")
                                                 .read_bytes())  # another name
    capsys.readouterr()
    newest = folder / "coalition-2026-05-05.db"
    assert main(["backup", str(newest), "--db", str(db_path), "--keep", "2"]) == 0
    out = capsys.readouterr().out
    assert "removed 3 older" in out
    assert sorted(p.name for p in folder.iterdir()) == [
        "coalition-2026-04-30.db", "coalition-2026-05-04.db", "coalition-2026-05-05.db",
        "coalition-2026-05-09.txt", "other-2026-05-01.db"]
    assert main(["backup", str(folder / "latest.db"), "--db", str(db_path),
                 "--keep", "2"]) == 2
    assert "--keep needs a date or a number" in capsys.readouterr().err


async def test_restore_is_refused_while_a_bot_runs_and_done_when_stopped(
        coalition: Chat, db_path: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "backup-1.db"
    assert main(["backup", str(dest), "--db", str(db_path)]) == 0
    await coalition.ok("Alice", "coalition goal add Something after the backup")
    await coalition.bot.close()
    restore_around_a_console(db_path, dest, tmp_path, capsys)


def restore_around_a_console(db_path: Path, dest: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_BOT")}
    console = subprocess.Popen([str(SCRIPT), "console", "--db", str(db_path), "--as", "Alice"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while (probe := hold_exclusive(str(db_path))) is not None:  # not started yet
            probe.close()
            assert time.monotonic() < deadline, "no console"
            assert console.poll() is None, "no console"
            time.sleep(0.05)
        before = db_path.read_bytes()
        capsys.readouterr()
        assert main(["restore", str(dest), "--db", str(db_path)]) == 2
        err = capsys.readouterr().err
        assert f"A coalition-bot process is using {db_path}, so nothing was restored" in err
        assert "systemctl stop" in err
        assert db_path.read_bytes() == before
    finally:
        console.communicate(b"", timeout=30)
    assert console.returncode == 0
    assert main(["restore", str(dest), "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    (aside,) = tmp_path.glob("coalition.db.before-restore-*")
    assert f"kept the previous database aside as {aside}" in out
    assert f"restored {dest} into {db_path}" in out
    assert "1 coalition(s)" in out
    assert rows(db_path, "SELECT count(*) FROM goal") == [(0,)]
    assert rows(aside, "SELECT count(*) FROM goal") == [(1,)]


def test_restore_refuses_a_damaged_or_foreign_backup(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "coalition.db"
    db_path.write_bytes(b"")  # whatever is there stays
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all")
    assert main(["restore", str(junk), "--db", str(db_path)]) == 2
    assert "is not a usable SQLite database" in capsys.readouterr().err
    foreign = tmp_path / "foreign.db"
    with contextlib.closing(sqlite3.connect(foreign)) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert main(["restore", str(foreign), "--db", str(db_path)]) == 2
    assert "is not a coalition-bot database" in capsys.readouterr().err
    newer = tmp_path / "newer.db"
    with contextlib.closing(sqlite3.connect(newer)) as conn:
        conn.execute("CREATE TABLE schema_migration (version INTEGER, name, applied_at)")
        conn.execute("INSERT INTO schema_migration VALUES (999, 'x', 'now')")
        conn.commit()
    assert main(["restore", str(newer), "--db", str(db_path)]) == 2
    assert "has schema version 999, newer than" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.before-restore-*"))
