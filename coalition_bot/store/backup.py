"""A consistent copy of the database while the bot runs (`coalition-bot backup`).

Copying `coalition.db` by hand is not a backup: in WAL mode the latest commits may live
only in `coalition.db-wal` until a checkpoint. SQLite's online backup copies the database
as one transaction sees it, WAL included, while the bot keeps writing.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from coalition_bot.errors import Conflict, NotFound, StorageError
from coalition_bot.store.database import cannot_open

__all__ = ["BackupReport", "backup"]


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    bytes: int
    schema_version: int
    coalitions: int
    decisions: int


def _count(conn: sqlite3.Connection, table: str) -> int:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                          (table,)).fetchone()
    return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] if exists else 0


def backup(source: str | Path, dest: str | Path, *, force: bool = False) -> BackupReport:
    """Copy `source` to `dest` with SQLite's online backup, check the copy, then move it
    into place (a failed backup leaves no file at `dest`)."""
    source, dest = Path(source), Path(dest)
    if not source.is_file():
        raise NotFound(f"There is no database at {source}.",
                       hint="Give the bot's file with --db or --config, or set "
                            "COALITION_BOT_DB.")
    if dest.exists() and not force:
        raise Conflict(f"{dest} exists already; nothing was written.",
                       hint="Choose a new name (one per day, say), or add --force.")
    if dest.resolve() == source.resolve():
        raise Conflict("The backup must go to another file than the database itself.")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)  # `backups/` on a fresh install
    except OSError as error:
        raise StorageError(f"Cannot create the folder {dest.parent} for the backup: "
                           f"{error.strerror}; nothing was written.") from None
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    try:
        counts = _copy(source, part)
        os.replace(part, dest)
    except sqlite3.Error as error:
        raise StorageError(cannot_open(str(source), error)) from None
    except OSError as error:
        raise StorageError(f"Cannot write the backup {dest}: {error.strerror}; "
                           f"nothing was written.") from None
    finally:
        part.unlink(missing_ok=True)
    return BackupReport(dest, dest.stat().st_size, *counts)


def _copy(source: Path, part: Path) -> tuple[int, int, int]:
    """Copy with the online backup API into `part` and check it; (schema version,
    coalitions, decisions) of the copy."""
    with contextlib.closing(sqlite3.connect(source, timeout=30)) as src, \
            contextlib.closing(sqlite3.connect(part)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        (verdict,) = dst.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise Conflict(f"The copy failed SQLite's integrity check: {verdict}.")
        version = dst.execute("SELECT coalesce(max(version), 0) FROM schema_migration"
                              ).fetchone()[0] if _count(dst, "schema_migration") else 0
        return version, _count(dst, "coalition"), _count(dst, "decision")
