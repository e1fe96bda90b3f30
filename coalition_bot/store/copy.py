"""`coalition-bot copy --from PATH.db --to postgresql://…`: an SQLite database moved into
an empty PostgreSQL database, so a coalition that outgrows one process does not start
over.

In detail:

- **The source** is opened read-only, in one read transaction (one moment), and must
  pass SQLite's quick check. It must be at this coalition-bot's schema version: one
  behind is migrated first (`coalition-bot migrate --db PATH`), one ahead needs a newer
  coalition-bot. While a bot holds the file (`store.running`) the copy is refused: what
  the bot wrote after it would be lost.
- **The target** is migrated by the normal migration code (`store.postgres.migrate`) to
  the same version, and must be empty: no row in any table but `schema_migration`. A
  target at a newer version than the source is refused before anything is written. Its
  URL holds no password, as in the config file (a command line shows in `ps` and in shell
  history): libpq's `PGPASSWORD` or `~/.pgpass` give it.
- **One transaction.** Every table is copied (COPY) in foreign-key order under the
  bot's `WRITE_LOCK`, the target's emptiness checked again under it; then each table's
  row count is compared with the source's, identity columns restart after the largest
  id, and only then the transaction commits. Any failure rolls it all back: the target
  stays empty (migrated).
- **Cycles and triggers.** `coalition.created_by` points at `person`, which points at
  `coalition`: such a nullable key is copied as NULL and written afterwards. A column a
  trigger rewrites while the rows go in (`meeting.next_remind_at`, forgotten when a
  `meeting_change` row arrives) is written back from the source afterwards too, so the
  copy holds what the file held.
- **Values.** Both schemas keep times as ISO text, flags as 0/1 integers, JSON and
  encrypted tokens as text, so values go across as they are; a value SQLite's loose
  typing let in that PostgreSQL's column cannot hold (text in an integer column, bytes
  that are not UTF-8, a NUL character) is refused naming its table, column and row.
  `attendance.seq` (PostgreSQL's stand-in for SQLite's rowid, the order recorded) gets
  the source's rowid.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg
from psycopg import sql

from coalition_bot.errors import Conflict, NotFound, SchemaTooNew, StorageError, UsageError
from coalition_bot.store.database import cannot_open as sqlite_cannot_open
from coalition_bot.store.dialect import is_postgres_url, safe_target, url_has_password
from coalition_bot.store.migrate import available_migrations
from coalition_bot.store.postgres import WRITE_LOCK, PgRow, migrate, row_factory
from coalition_bot.store.postgres import cannot_open as pg_cannot_open
from coalition_bot.store.running import hold_exclusive

__all__ = ["CopyReport", "copy_database"]

# Columns a trigger of the target rewrites while rows are copied in: written back from
# the source once every table is in.
_REWRITTEN_BY_TRIGGERS = {"meeting": ("next_remind_at",)}
_BATCH = 1000
_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: str
    target: str  # without a password
    schema_version: int
    tables: list[tuple[str, int]]  # (table, rows) in the order copied

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.tables)


@dataclass(slots=True)
class _Table:
    """One target table as PostgreSQL's catalog describes it."""

    name: str
    columns: list[str] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)
    nullable: dict[str, bool] = field(default_factory=dict)
    identity: list[str] = field(default_factory=list)
    key: list[str] = field(default_factory=list)  # primary key columns
    later: list[str] = field(default_factory=list)  # written after every table is in


class _Refused(Exception):
    """A value PostgreSQL's column cannot hold."""


async def copy_database(source: str | Path, target: str) -> CopyReport:
    """Copy the SQLite database `source` into the empty PostgreSQL database `target`
    (migrating it first), in one transaction; raises a `CoalitionError` saying why not."""
    source = str(source)
    shown = _check_url(target)
    if not await asyncio.to_thread(os.path.isfile, source):
        raise NotFound(f"There is no database file at {source}; nothing was copied.")
    try:
        lock: IO[str] | None = hold_exclusive(source, "copy")
    except OSError:  # a read-only folder: no lock file, and no bot writing there either
        lock = None
    else:
        if lock is None:
            raise Conflict(f"A coalition-bot process is using {source}, so nothing was "
                           f"copied: stop it first, or what it writes after the copy "
                           f"would be lost.")
    try:
        with _read_only(source) as src:
            version = _source_version(src, source)
            try:
                pg = await psycopg.AsyncConnection.connect(
                    target, autocommit=True, row_factory=row_factory, connect_timeout=10)
            except psycopg.Error as error:
                raise StorageError(pg_cannot_open(shown, error)) from None
            try:
                async with pg:
                    await _prepare_target(pg, shown, version)
                    tables = await _copy(src, pg, shown)
            except psycopg.Error as error:
                raise StorageError(pg_cannot_open(shown, error)) from None
    except sqlite3.Error as error:
        raise StorageError(sqlite_cannot_open(source, error)) from None
    finally:
        if lock is not None:
            lock.close()
    return CopyReport(source, shown, version, tables)


def _check_url(target: str) -> str:
    if not is_postgres_url(target):
        raise UsageError(f"--to takes a PostgreSQL URL (postgresql://USER@HOST/DATABASE), "
                         f"not {target}.")
    if url_has_password(target):
        raise UsageError(f"The URL {safe_target(target)} must not hold a password (a command "
                         f"line shows in ps and in shell history), so nothing was copied: "
                         f"give it in PGPASSWORD or ~/.pgpass.")
    return safe_target(target)


@contextlib.contextmanager
def _read_only(path: str) -> Iterator[sqlite3.Connection]:
    """The file opened read-only, inside one read transaction: the copy is one moment."""
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True,
                           isolation_level=None)
    try:
        conn.execute("BEGIN")
        yield conn
    finally:
        conn.close()


def _source_version(src: sqlite3.Connection, path: str) -> int:
    """The source's schema version, which must be this code's newest."""
    (verdict,) = src.execute("PRAGMA quick_check").fetchone()
    if verdict != "ok":
        raise StorageError(f"{path} fails SQLite's integrity check ({verdict}), so nothing "
                           f"was copied; copy a good backup instead.")
    if src.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                   " AND name = 'schema_migration'").fetchone() is None:
        raise StorageError(f"{path} is an SQLite file but not a coalition-bot database (it "
                           f"has no schema_migration table), so nothing was copied.")
    (version,) = src.execute("SELECT coalesce(max(version), 0) FROM schema_migration"
                             ).fetchone()
    newest = available_migrations()[-1].version
    if version < newest:
        raise Conflict(f"{path} has schema version {version}, older than this coalition-"
                       f"bot's {newest}, so nothing was copied: run `coalition-bot migrate "
                       f"--db {path}` first, then copy again.")
    if version > newest:
        raise SchemaTooNew(f"{path} has schema version {version}, newer than this "
                           f"coalition-bot knows ({newest}), so nothing was copied: upgrade "
                           f"coalition-bot first.")
    return int(version)


async def _target_version(pg: psycopg.AsyncConnection[PgRow]) -> int | None:
    cur = await pg.execute("SELECT to_regclass('schema_migration') IS NOT NULL")
    row = await cur.fetchone()
    if row is None or not row[0]:
        return None
    cur = await pg.execute("SELECT coalesce(max(version), 0) FROM schema_migration")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _occupied(pg: psycopg.AsyncConnection[PgRow]) -> list[str]:
    """The target's tables (but schema_migration) that hold a row."""
    cur = await pg.execute("SELECT tablename FROM pg_tables WHERE schemaname ="
                           " current_schema() AND tablename <> 'schema_migration'"
                           " ORDER BY tablename")
    found = []
    for (name,) in await cur.fetchall():
        cur = await pg.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(
            sql.Identifier(name)))
        row = await cur.fetchone()
        if row is not None and row[0]:
            found.append(str(name))
    return found


def _refuse_occupied(shown: str, tables: list[str]) -> None:
    if tables:
        raise Conflict(f"The target {shown} is not empty (rows in {', '.join(tables)}), so "
                       f"nothing was changed: copy into a new, empty database (createdb).")


async def _prepare_target(pg: psycopg.AsyncConnection[PgRow], shown: str,
                          version: int) -> None:
    """Refuse a newer or non-empty target; then migrate it to `version`."""
    found = await _target_version(pg)
    if found is not None and found > version:
        raise SchemaTooNew(f"The target {shown} has schema version {found}, newer than the "
                           f"source's {version}, so nothing was changed: copy with the "
                           f"coalition-bot that wrote the target, or into a new database.")
    _refuse_occupied(shown, await _occupied(pg))
    await migrate(pg)


async def _catalog(pg: psycopg.AsyncConnection[PgRow]) -> dict[str, _Table]:
    """The target's tables, columns, identities and primary keys."""
    tables: dict[str, _Table] = {}
    cur = await pg.execute(
        "SELECT table_name, column_name, data_type, is_nullable, is_identity"
        " FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name IN (SELECT tablename FROM pg_tables"
        "  WHERE schemaname = current_schema() AND tablename <> 'schema_migration')"
        " ORDER BY table_name, ordinal_position")
    for name, column, kind, nullable, identity in await cur.fetchall():
        table = tables.setdefault(name, _Table(name))
        table.columns.append(column)
        table.types[column] = kind
        table.nullable[column] = nullable == "YES"
        if identity == "YES":
            table.identity.append(column)
    cur = await pg.execute(
        "SELECT cl.relname, a.attname FROM pg_constraint c"
        " JOIN pg_class cl ON cl.oid = c.conrelid"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
        " WHERE c.contype = 'p' AND cl.relnamespace = current_schema()::regnamespace"
        " ORDER BY cl.relname, array_position(c.conkey, a.attnum)")
    for name, column in await cur.fetchall():
        if name in tables:
            tables[name].key.append(column)
    return tables


async def _order(pg: psycopg.AsyncConnection[PgRow],
                 tables: dict[str, _Table]) -> list[_Table]:
    """The tables parents first (foreign keys). A cycle is broken at a nullable key,
    which is copied as NULL and written afterwards (`_Table.later`)."""
    cur = await pg.execute(
        "SELECT cl.relname, pa.relname, array_agg(a.attname::text) FROM pg_constraint c"
        " JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class pa ON pa.oid = c.confrelid"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
        " WHERE c.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace"
        " GROUP BY c.oid, cl.relname, pa.relname ORDER BY cl.relname")
    keys: dict[str, list[tuple[str, list[str]]]] = {name: [] for name in tables}
    for child, parent, columns in await cur.fetchall():
        if child in tables and parent in tables:
            keys[child].append((parent, list(columns)))
    done: list[_Table] = []
    waiting = sorted(tables)
    while waiting:
        ready = [t for t in waiting if all(p not in waiting or cols[0] in tables[t].later
                                           for p, cols in keys[t])]
        if not ready:  # a cycle: defer a nullable key of one table in it
            table, columns = _breakable(waiting, keys, tables)
            tables[table].later.extend(columns)
            continue
        for name in ready:
            done.append(tables[name])
            waiting.remove(name)
    return done


def _breakable(waiting: list[str], keys: dict[str, list[tuple[str, list[str]]]],
               tables: dict[str, _Table]) -> tuple[str, list[str]]:
    for name in waiting:
        for parent, columns in keys[name]:
            if parent in waiting and columns[0] not in tables[name].later and \
                    all(tables[name].nullable[c] for c in columns) and tables[name].key:
                return name, columns
    raise RuntimeError(f"the foreign keys of {', '.join(waiting)} form a cycle with no "
                       f"nullable key to break it at")


def _source_columns(src: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in src.execute(f'PRAGMA table_info("{table}")')]


def _has_rowid(src: sqlite3.Connection, table: str) -> bool:
    try:
        src.execute(f'SELECT rowid FROM "{table}" LIMIT 0')
    except sqlite3.OperationalError:
        return False
    return True


def _check_same_tables(src: sqlite3.Connection, tables: dict[str, _Table]) -> None:
    """Source and target hold the same tables and columns (bar attendance.seq)."""
    names = {row[0] for row in src.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name <> 'schema_migration'")}
    if names != set(tables):
        differ = sorted(names ^ set(tables))
        raise Conflict(f"The source and the target differ in their tables "
                       f"({', '.join(differ)}) although both are at the same schema "
                       f"version, so nothing was changed.")
    for table in tables.values():
        missing = set(_source_columns(src, table.name)) ^ set(table.columns)
        if missing - {"seq"}:
            raise Conflict(f"The source and the target differ in the columns of "
                           f"{table.name} ({', '.join(sorted(missing))}), so nothing was "
                           f"changed.")


def _value(value: Any, kind: str) -> Any:
    """`value` as SQLite holds it, made fit for a PostgreSQL column of type `kind`."""
    if value is None:
        return None
    if kind in ("text", "character varying", "character"):
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise _Refused("bytes that are not UTF-8 text") from None
        if isinstance(value, bool | int | float):
            value = str(value)
        if "\x00" in value:
            raise _Refused("a NUL character, which PostgreSQL's text cannot hold")
        return value
    if kind in ("integer", "bigint", "smallint"):
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int):
            raise _Refused(f"{value!r}, which is not a whole number")
        return value
    if kind == "boolean":
        return bool(value)
    return value


async def _copy(src: sqlite3.Connection, pg: psycopg.AsyncConnection[PgRow],
                shown: str) -> list[tuple[str, int]]:
    """Every table in one transaction: copy, write back the deferred columns, compare
    the counts, restart the identities, commit."""
    async with pg.transaction():
        await pg.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        _refuse_occupied(shown, await _occupied(pg))  # again, under the bots' lock
        tables = await _catalog(pg)
        _check_same_tables(src, tables)
        order = await _order(pg, tables)
        for name, columns in _REWRITTEN_BY_TRIGGERS.items():
            if name in tables:
                tables[name].later.extend(c for c in columns if c in tables[name].columns)
        counts = []
        for table in order:
            counts.append((table.name, await _copy_table(src, pg, table, shown)))
        for table in order:
            if table.later:
                await _write_later(src, pg, table, shown)
        for name, expected in counts:
            cur = await pg.execute(sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(name)))
            row = await cur.fetchone()
            found = int(row[0]) if row else 0
            if found != expected:
                raise Conflict(f"After the copy {name} holds {found} rows in {shown} but "
                               f"{expected} in the source, so the copy was rolled back and "
                               f"nothing was changed.")
        for table in order:
            for column in table.identity:
                await _restart(pg, table.name, column)
    return counts


async def _copy_table(src: sqlite3.Connection, pg: psycopg.AsyncConnection[PgRow],
                      table: _Table, shown: str) -> int:
    """COPY one table's rows in (deferred keys as NULL); the number of rows read."""
    have = set(_source_columns(src, table.name))
    picks = [f'"{c}"' if c in have else "rowid" for c in table.columns]  # seq ← rowid
    (expected,) = src.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()
    rowid = _has_rowid(src, table.name)  # poll_elector is WITHOUT ROWID
    rows = src.execute(f'SELECT {"rowid" if rowid else "NULL"}, {", ".join(picks)}'
                       f' FROM "{table.name}"{" ORDER BY rowid" if rowid else ""}')
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns)))
    deferred = {c for c in table.later if c not in _REWRITTEN_BY_TRIGGERS.get(table.name, ())}
    read = 0
    async with pg.cursor() as cur:
        try:
            async with cur.copy(statement) as copy:
                while batch := rows.fetchmany(_BATCH):
                    for raw in batch:
                        read += 1
                        values = []
                        for column, value in zip(table.columns, raw[1:], strict=True):
                            try:
                                fit = _value(value, table.types[column])  # checked now
                                values.append(None if column in deferred else fit)
                            except _Refused as why:
                                row = f"row {raw[0]}" if rowid else "a row"
                                raise Conflict(
                                    f"{table.name}.{column} of the source's {row} holds "
                                    f"{why}, so nothing was changed; correct it in the "
                                    f"file and copy again.") from None
                        await copy.write_row(values)
        except psycopg.Error as error:
            raise StorageError(f"PostgreSQL refused the rows of {table.name} for {shown} "
                               f"({_first_line(error)}), so nothing was changed.") from None
    if read != expected:
        raise Conflict(f"{table.name} gave {read} rows of its {expected}, so nothing was "
                       f"changed; copy again.")
    return read


async def _write_later(src: sqlite3.Connection, pg: psycopg.AsyncConnection[PgRow],
                       table: _Table, shown: str) -> None:
    """Write the deferred columns from the source (checked by `_copy_table`), by primary
    key."""
    key = ", ".join(f'"{c}"' for c in table.key)
    later = ", ".join(f'"{c}"' for c in table.later)
    rows = src.execute(f'SELECT {later}, {key} FROM "{table.name}"').fetchall()
    statement = sql.SQL("UPDATE {} SET {} WHERE {}").format(
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in table.later),
        sql.SQL(" AND ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in table.key))
    kinds = [table.types[c] for c in (*table.later, *table.key)]
    values = [[_value(v, k) for v, k in zip(row, kinds, strict=True)] for row in rows]
    try:
        async with pg.cursor() as cur:
            await cur.executemany(statement, values)
    except psycopg.Error as error:
        raise StorageError(f"PostgreSQL refused the rows of {table.name} for {shown} "
                           f"({_first_line(error)}), so nothing was changed.") from None


async def _restart(pg: psycopg.AsyncConnection[PgRow], table: str, column: str) -> None:
    """The identity's next value: one past the largest copied (1 for an empty table)."""
    cur = await pg.execute(sql.SQL("SELECT coalesce(max({}), 0) + 1 FROM {}").format(
        sql.Identifier(column), sql.Identifier(table)))
    row = await cur.fetchone()
    start = int(row[0]) if row else 1
    await pg.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} RESTART WITH {}").format(
        sql.Identifier(table), sql.Identifier(column), sql.Literal(start)))


def _first_line(error: psycopg.Error) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
