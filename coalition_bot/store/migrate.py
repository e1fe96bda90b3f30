"""Numbered SQL migrations, shipped in the `coalition_bot.migrations` package.

Files are named `NNNN_what.sql`. Each is applied in its own transaction together with
its row in `schema_migration`, so a crash leaves it either fully applied or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from coalition_bot.errors import SchemaTooNew

__all__ = ["Migration", "available_migrations", "migrate"]

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations(engine: str = "sqlite") -> list[Migration]:
    """The migrations this version of the code knows for `engine` ("sqlite", or
    "postgresql": the twins in migrations/postgresql/), in order; checks the numbering."""
    found: list[Migration] = []
    folder = resources.files("coalition_bot.migrations")
    if engine != "sqlite":
        folder = folder.joinpath(engine)
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration {expected:04d} is missing (found {migration.version})")
    return found


async def applied_versions(conn: aiosqlite.Connection) -> set[int]:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migration ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migration") as cur:
        return {row[0] for row in await cur.fetchall()}


async def refuse_newer(conn: aiosqlite.Connection) -> None:
    """Raise `SchemaTooNew` if the database records a version this code lacks. Reads only."""
    async with conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migration'"
    ) as cur:
        if await cur.fetchone() is None:
            return
    async with conn.execute("SELECT max(version) FROM schema_migration") as cur:
        row = await cur.fetchone()
    newest = (row[0] if row else 0) or 0
    known = available_migrations()
    newest_known = known[-1].version if known else 0
    if newest > newest_known:
        raise SchemaTooNew(
            f"This database has schema version {newest}, but this coalition-bot only "
            f"knows up to version {newest_known}.",
            hint="Upgrade coalition-bot (pip install -U coalition-bot), or point --db at "
            "another file. Nothing was changed.",
        )


async def migrate(conn: aiosqlite.Connection) -> list[int]:
    """Apply every pending migration; return the versions applied (empty when current).

    Refuses, with `SchemaTooNew`, a database that records a version this code lacks.
    """
    await refuse_newer(conn)
    known = available_migrations()
    applied = await applied_versions(conn)
    done: list[int] = []
    for migration in known:
        if migration.version in applied:
            continue
        # The row goes in first, under the write lock BEGIN IMMEDIATE takes: if another
        # process (a second bot, `migrate` beside a starting bot) applied this version
        # since we read `applied`, the primary key refuses it and nothing else runs.
        script = (
            "BEGIN IMMEDIATE;\n"
            "INSERT INTO schema_migration (version, name, applied_at) "
            f"VALUES ({migration.version}, '{migration.name}', "
            "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));\n"
            f"{migration.sql}\n;\n"
            "COMMIT;"
        )
        try:
            await conn.executescript(script)
        except Exception:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            if migration.version in await applied_versions(conn):
                continue  # applied by the other process meanwhile
            raise
        done.append(migration.version)
    return done
