"""A consistent copy of the database while the bot runs (`coalition-bot backup`).

Copying `coalition.db` by hand is not a backup: in WAL mode the latest commits may live
only in `coalition.db-wal` until a checkpoint. SQLite's online backup copies the database
as one transaction sees it, WAL included, while the bot keeps writing.

In detail:

`coalition-bot backup DEST` (`store/backup.py`) uses SQLite's online backup API from its
own connection: the copy is the database as one read transaction sees it, WAL included,
taken while the bot keeps writing. The copy is switched to a rollback journal (one
self-contained file), checked with `PRAGMA integrity_check`, and only then renamed into
place; an existing DEST is never overwritten without `--force`. DEST's folder is created
when missing (the README's nightly cron line must work on a fresh install). `backup` and
`migrate` find the database the way `run` does (`--db`, `COALITION_BOT_DB`, the config's
`database`), and a relative `database` is resolved against the config file's folder
(`load_config`): the working directory of cron or a service manager is rarely the
bot's. `run` checks the config before opening the database and removes a file it
created if start-up then fails, so a failed first start leaves nothing to confuse the
next one.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from coalition_bot.errors import Conflict, NotFound, StorageError, UsageError
from coalition_bot.store.database import cannot_open
from coalition_bot.store.migrate import available_migrations
from coalition_bot.store.running import hold_exclusive

__all__ = ["BackupReport", "RestoreReport", "backup", "prune", "restore"]


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


SQLITE_HEADER = b"SQLite format 3\x00"


def _pattern(name: str) -> re.Pattern[str]:
    """The naming pattern of a backup file: its name with every run of digits free."""
    parts = re.split(r"\d+", name)
    return re.compile(r"\d+".join(re.escape(p) for p in parts) + r"\Z")


def prune(dest: str | Path, keep: int) -> list[Path]:
    """Delete older backups made like `dest`: the SQLite files in its folder whose name
    is `dest`'s with other digits (coalition-2026-05-01.db for coalition-2026-05-02.db),
    keeping the newest `keep` by modification time, `dest` included. Returns the removed."""
    dest = Path(dest)
    if not re.search(r"\d", dest.name):
        raise UsageError(f"--keep needs a date or a number in the backup's name to find the "
                         f"older ones; {dest.name} has none.",
                         hint="Name backups by date, e.g. backups/coalition-$(date +%F).db.")
    pattern = _pattern(dest.name)
    same = []
    for path in dest.parent.iterdir():
        if path.is_file() and pattern.match(path.name):
            with open(path, "rb") as handle:
                if handle.read(16) == SQLITE_HEADER:
                    same.append(path)
    same.sort(key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    old = [p for p in same[max(keep, 1):] if p != dest]
    for path in old:
        path.unlink()
    return old


@dataclass(frozen=True, slots=True)
class RestoreReport:
    database: Path
    backup: Path
    kept_aside: Path | None
    schema_version: int
    coalitions: int
    decisions: int


def restore(backup_path: str | Path, database: str | Path) -> RestoreReport:
    """Put a backup in place of the database: refused while a bot uses the file; the
    backup must pass SQLite's integrity check and have a schema this version knows; the
    current file is kept aside (`NAME.before-restore-STAMP`), never deleted."""
    source, target = Path(backup_path), Path(database)
    if not source.is_file():
        raise NotFound(f"There is no backup at {source}.")
    lock = hold_exclusive(str(target))
    if lock is None:
        raise Conflict(f"A coalition-bot process is using {target}, so nothing was restored.",
                       hint="Stop it first (sudo systemctl stop coalition-bot), restore, "
                            "then start it again.")
    try:
        version, coalitions, decisions = _check_backup(source)
        part = target.with_name(target.name + ".restore-part")
        part.unlink(missing_ok=True)
        try:
            _copy(source, part)
            aside = None
            if target.exists():
                aside = target.with_name(f"{target.name}.before-restore-"
                                         f"{time.strftime('%Y%m%d-%H%M%S')}")
                for suffix in ("-wal", "-shm"):  # a WAL left by a crash goes along
                    if Path(f"{target}{suffix}").exists():
                        os.replace(f"{target}{suffix}", f"{aside}{suffix}")
                os.replace(target, aside)
            os.replace(part, target)
        except sqlite3.Error as error:
            raise StorageError(cannot_open(str(source), error)) from None
        except OSError as error:
            raise StorageError(f"Cannot restore into {target}: {error.strerror}.") from None
        finally:
            part.unlink(missing_ok=True)
    finally:
        lock.close()
    return RestoreReport(target, source, aside, version, coalitions, decisions)


def _check_backup(source: Path) -> tuple[int, int, int]:
    """(schema version, coalitions, decisions) of a backup that passes the checks."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as conn:
            (verdict,) = conn.execute("PRAGMA integrity_check").fetchone()
            if verdict != "ok":
                raise Conflict(f"{source} fails SQLite's integrity check ({verdict}); "
                               f"nothing was restored.", hint="Use an older backup.")
            if not _count(conn, "schema_migration"):
                raise Conflict(f"{source} is not a coalition-bot database; nothing was "
                               f"restored.")
            (version,) = conn.execute("SELECT max(version) FROM schema_migration").fetchone()
            newest = available_migrations()[-1].version
            if version > newest:
                raise Conflict(f"{source} has schema version {version}, newer than this "
                               f"coalition-bot knows ({newest}); nothing was restored.",
                               hint="Upgrade coalition-bot first.")
            return version, _count(conn, "coalition"), _count(conn, "decision")
    except sqlite3.Error as error:
        raise Conflict(f"{source} is not a usable SQLite database ({error}); nothing was "
                       f"restored.") from None
