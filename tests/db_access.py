"""Read and change the test's database behind the bot's back, on either engine: an
SQLite file through the standard sqlite3 module, a PostgreSQL database through psycopg
(the store's `?` placeholders rewritten as the bot's own are)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg

from coalition_bot.store.dialect import is_postgres_url, postgres_sql
from coalition_bot.store.postgres import row_factory as pg_row_factory

__all__ = ["connect", "is_postgres", "tables"]


def is_postgres(target: object) -> bool:
    return isinstance(target, str) and is_postgres_url(target)


class PgSync:
    """Enough of sqlite3.Connection for the tests: execute, commit, `with` (commit, then
    close), rows as tuples or, once `row_factory` is set, readable by column name."""

    def __init__(self, url: str) -> None:
        self._conn = psycopg.connect(url)
        self.row_factory: Any = None

    def execute(self, sql: str, params: tuple = ()) -> psycopg.Cursor[Any]:
        cur = self._conn.cursor(row_factory=pg_row_factory) if self.row_factory else \
            self._conn.cursor()
        return cur.execute(postgres_sql(sql), tuple(int(p) if isinstance(p, bool) else p
                                                    for p in params))

    def commit(self) -> None:
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> PgSync:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self._conn.commit()
        else:
            self._conn.rollback()
        self._conn.close()


def connect(target: Path | str) -> Any:
    """sqlite3.connect for a file, PgSync for a PostgreSQL URL."""
    if is_postgres(target):
        return PgSync(str(target))
    return sqlite3.connect(target)


def tables(conn: Any) -> list[str]:
    """The database's tables, by name."""
    if isinstance(conn, PgSync):
        sql = ("SELECT table_name FROM information_schema.tables"
               " WHERE table_schema = 'public' ORDER BY table_name")
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    return [r[0] for r in conn.execute(sql)]
