"""The few places where SQLite's SQL and PostgreSQL's differ, in one place.

The store writes SQL both engines run: `?` placeholders, `ON CONFLICT … DO NOTHING /
DO UPDATE` upserts, `RETURNING`, times as ISO 8601 text in UTC (so comparing text
compares times, and neither engine's date functions are needed), flags as 0/1 integers.
What is left differs by engine and lives here:

- placeholders: PostgreSQL (psycopg) takes `%s`, so `?` is rewritten, once per statement
  text (cached), and a literal `%` doubled; SQLite's null-safe `IS [NOT] ?` becomes
  `IS [NOT] DISTINCT FROM`, and `? IS [NOT] NULL` gets a type (`CAST(? AS TEXT)`);
- `seconds_between`: the one date computation in SQL (`julianday` has no PostgreSQL twin);
- `insertion_order`: SQLite's `rowid`, a `seq` column in the PostgreSQL twin;
- locking (`BEGIN IMMEDIATE` against an advisory lock) and durability (`synchronous`
  against `synchronous_commit`) live in each engine's `Database`; a claim's row lock
  that other processes skip (`skip_locked`: `FOR UPDATE SKIP LOCKED`, nothing on SQLite,
  whose one writer already excludes them) is the one locking clause in the SQL;
- `batch_statements`: many rows' updates as one `UPDATE … FROM (VALUES …)` on
  PostgreSQL, where each statement costs client CPU, `executemany` on SQLite;
- the `next_remind_at` triggers are written once per engine in the migrations
  (`migrations/NNNN_*.sql` and `migrations/postgresql/NNNN_*.sql`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit, urlunsplit

__all__ = ["POSTGRESQL", "SQLITE", "Dialect", "is_postgres_url", "postgres_sql",
           "safe_target", "url_has_password"]


@dataclass(frozen=True, slots=True)
class Dialect:
    """What the store asks of an engine beyond the SQL both run."""

    name: str

    @property
    def insertion_order(self) -> str:
        """A column that orders a table's rows as inserted: SQLite's `rowid`; the
        PostgreSQL twins give such tables a `seq` identity column."""
        return "seq" if self.name == "postgresql" else "rowid"

    @property
    def skip_locked(self) -> str:
        """Ends a sub-select picking rows to claim: on PostgreSQL the rows are locked and
        rows another transaction has locked are passed over (`FOR UPDATE SKIP LOCKED`),
        so processes claim side by side; SQLite's one writer needs nothing."""
        return " FOR UPDATE SKIP LOCKED" if self.name == "postgresql" else ""

    @property
    def batch_statements(self) -> bool:
        """Whether many rows' changes go better as one statement (`UPDATE … FROM
        (VALUES …)`) than as one statement per row: on PostgreSQL each statement costs
        client CPU and a round trip; SQLite's `executemany` reruns one prepared statement
        in C, for next to nothing."""
        return self.name == "postgresql"

    def seconds_between(self, later: str, earlier: str) -> str:
        """An SQL expression: whole seconds from the ISO text `earlier` to `later`."""
        if self.name == "postgresql":
            return (f"round(extract(epoch FROM ({later})::timestamptz"
                    f" - ({earlier})::timestamptz))::bigint")
        return f"CAST(round((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER)"


SQLITE = Dialect("sqlite")
POSTGRESQL = Dialect("postgresql")

# a string literal (with '' inside), a quoted name, SQLite's null-safe comparison with a
# value, or one of the characters to rewrite
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\bIS NOT \?|\bIS \?"
                     r"|\? IS NULL|\? IS NOT NULL|[?%]")
_SWAPS = {"?": "%s", "%": "%%", "IS NOT ?": "IS DISTINCT FROM %s",
          "IS ?": "IS NOT DISTINCT FROM %s",
          # a bare parameter has no type PostgreSQL can infer; any value casts to text
          "? IS NULL": "CAST(%s AS TEXT) IS NULL",
          "? IS NOT NULL": "CAST(%s AS TEXT) IS NOT NULL"}


@lru_cache(maxsize=4096)
def postgres_sql(sql: str) -> str:
    """The store's statement with psycopg's placeholders: `?` → `%s`, `%` → `%%`,
    SQLite's `IS [NOT] ?` → `IS [NOT] DISTINCT FROM %s`, leaving string literals and
    quoted names alone."""
    def swap(match: re.Match[str]) -> str:
        token = match[0]
        return _SWAPS.get(token) or token.replace("%", "%%")  # % even inside literals
    return _TOKENS.sub(swap, sql)


def is_postgres_url(target: str) -> bool:
    """True for a PostgreSQL connection URL, False for anything else (a file path)."""
    return target.startswith(("postgresql://", "postgres://"))


def url_has_password(target: str) -> bool:
    """True for a PostgreSQL URL that carries a password (`user:secret@`, `?password=`)."""
    if not is_postgres_url(target):
        return False
    parts = urlsplit(target)
    return bool(parts.password) or "password" in parse_qs(parts.query)


def safe_target(target: str) -> str:
    """The database as logs and messages may show it: a URL without its password."""
    if not url_has_password(target):
        return target
    parts = urlsplit(target)
    netloc = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    query = "&".join(item for item in parts.query.split("&")
                     if not item.startswith("password="))
    return urlunsplit((parts.scheme, f"{user}@{netloc}" if user else netloc, parts.path,
                       query, parts.fragment))
