"""SQL for coalitions, their platform bindings and their coordinators."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from coalition_bot.model import Binding, Coalition
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, RowCache, fetch_all, fetch_one, from_iso, iso

__all__ = [
    "add_binding",
    "add_coordinator",
    "add_link_code",
    "bindings",
    "bindings_of",
    "coordinator_ids",
    "create_coalition",
    "find_binding",
    "find_bound_coalition",
    "get_coalition",
    "remove_binding",
    "remove_coordinator",
    "set_creator",
    "set_home_channel",
    "set_link_binding",
    "use_link_code",
]


def _coalition(row: Row) -> Coalition:
    return Coalition(row["id"], row["name"], row["timezone"], row["created_by"],
                     from_iso(row["created_at"]))


def _binding(row: Row) -> Binding:
    return Binding(row["id"], row["coalition_id"], row["platform"], row["workspace_id"],
                   row["home_channel_id"])


async def create_coalition(conn: Conn, name: str, timezone: str, now: datetime) -> int:
    row = await fetch_one(
        conn, "INSERT INTO coalition (name, timezone, created_at) VALUES (?, ?, ?)"
              " RETURNING id", (name, timezone, iso(now)))
    return int(row[0])


async def set_creator(conn: Conn, coalition_id: int, person_id: int) -> None:
    await conn.execute("UPDATE coalition SET created_by = ? WHERE id = ?",
                       (person_id, coalition_id))


async def update_coalition(conn: Conn, coalition_id: int, name: str, timezone: str) -> None:
    await conn.execute("UPDATE coalition SET name = ?, timezone = ? WHERE id = ?",
                       (name, timezone, coalition_id))


async def get_coalition(conn: Conn, coalition_id: int) -> Coalition:
    row = await fetch_one(conn, "SELECT * FROM coalition WHERE id = ?", (coalition_id,))
    return _coalition(row)


async def add_binding(conn: Conn, coalition_id: int, platform: str, workspace_id: str,
                      home_channel_id: str | None, now: datetime) -> int:
    """Bind a workspace to a coalition; the binding's id."""
    row = await fetch_one(
        conn,
        "INSERT INTO binding (coalition_id, platform, workspace_id, home_channel_id, created_at)"
        " VALUES (?, ?, ?, ?, ?) RETURNING id",
        (coalition_id, platform, workspace_id, home_channel_id, iso(now)),
    )
    return int(row[0])


async def find_binding(conn: Conn, platform: str, workspace_id: str) -> Binding | None:
    row = await fetch_one(conn, "SELECT * FROM binding WHERE platform = ? AND workspace_id = ?",
                          (platform, workspace_id))
    return _binding(row) if row else None


async def find_bound_coalition(conn: Conn, platform: str,
                               workspace_id: str) -> tuple[Binding, Coalition] | None:
    """A workspace's binding and its coalition, in one statement (every command asks)."""
    row = await fetch_one(
        conn,
        "SELECT b.id AS binding_id, b.platform, b.workspace_id, b.home_channel_id, c.*"
        " FROM binding b JOIN coalition c ON c.id = b.coalition_id"
        " WHERE b.platform = ? AND b.workspace_id = ?", (platform, workspace_id))
    return None if row is None else _BOUND(row)


def _bound(row: Row) -> tuple[Binding, Coalition]:
    return (Binding(row["binding_id"], row["id"], row["platform"], row["workspace_id"],
                    row["home_channel_id"]), _coalition(row))


_BOUND = RowCache(_bound)  # every command reads its workspace's row; parsed once


async def set_home_channel(conn: Conn, binding_id: int, channel_id: str) -> None:
    await conn.execute("UPDATE binding SET home_channel_id = ? WHERE id = ?",
                       (channel_id, binding_id))


async def add_link_code(conn: Conn, coalition_id: int, code_hash: str, created_by: int,
                        now: datetime, expires_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO link_code (coalition_id, code_hash, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)", (coalition_id, code_hash, created_by, iso(now),
                                    iso(expires_at)))


async def use_link_code(conn: Conn, code_hash: str, now: datetime) -> int | None:
    """Spend a valid code (unused, not expired): the id of its coalition, else None."""
    row = await fetch_one(
        conn,
        "UPDATE link_code SET used_at = ? WHERE code_hash = ? AND used_at IS NULL"
        " AND expires_at > ? RETURNING id, coalition_id", (iso(now), code_hash, iso(now)))
    return None if row is None else int(row["coalition_id"])


async def set_link_binding(conn: Conn, code_hash: str, binding_id: int) -> None:
    await conn.execute("UPDATE link_code SET used_binding = ? WHERE code_hash = ?",
                       (binding_id, code_hash))


async def remove_binding(conn: Conn, binding_id: int) -> None:
    await conn.execute("DELETE FROM binding WHERE id = ?", (binding_id,))


async def bindings(conn: Conn, coalition_id: int) -> list[Binding]:
    rows = await fetch_all(conn, "SELECT * FROM binding WHERE coalition_id = ? ORDER BY id",
                           (coalition_id,))
    return [_binding(r) for r in rows]


_IDS_PER_QUERY = 500


async def bindings_of(conn: Conn, coalition_ids: Collection[int]) -> dict[int, list[Binding]]:
    """`bindings` of each of these coalitions (every id a key, [] for none), in as few
    queries as the parameter limit allows: a sweep's due items of many coalitions."""
    ids = sorted(set(coalition_ids))
    found: dict[int, list[Binding]] = {coalition_id: [] for coalition_id in ids}
    for first in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[first:first + _IDS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        for row in await fetch_all(conn, "SELECT * FROM binding"
                                         f" WHERE coalition_id IN ({marks}) ORDER BY id", chunk):
            found[row["coalition_id"]].append(_binding(row))
    return found


async def add_coordinator(conn: Conn, coalition_id: int, person_id: int,
                          added_by: int | None, now: datetime) -> bool:
    """Make a person coordinator; False if they already were."""
    cur = await conn.execute(
        "INSERT INTO coordinator (coalition_id, person_id, added_by, added_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (coalition_id, person_id, added_by, iso(now)),
    )
    return cur.rowcount == 1


async def remove_coordinator(conn: Conn, coalition_id: int, person_id: int) -> bool:
    """A person is no longer coordinator; False if they were not."""
    cur = await conn.execute("DELETE FROM coordinator WHERE coalition_id = ? AND person_id = ?",
                             (coalition_id, person_id))
    return cur.rowcount == 1


async def coordinator_ids(conn: Conn, coalition_id: int) -> set[int]:
    rows = await fetch_all(conn, "SELECT person_id FROM coordinator WHERE coalition_id = ?",
                           (coalition_id,))
    return {r[0] for r in rows}
