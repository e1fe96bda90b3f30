"""SQL for proxies (`poll_proxy`, migration 0016): an organization's vote in one poll,
handed to someone else to cast."""

from __future__ import annotations

from datetime import datetime

from coalition_bot.store.database import Conn
from coalition_bot.store.rows import fetch_all, fetch_one, iso

__all__ = ["give", "held_by", "holder", "own_vote_cast", "proxy_vote_cast", "revoke"]


async def give(conn: Conn, poll_id: int, voter: str, holder_id: int, given_by: int,
               now: datetime) -> None:
    """Hand a voter's vote in a poll to a holder (replacing an earlier proxy)."""
    await conn.execute(
        "INSERT INTO poll_proxy (poll_id, voter, holder_id, given_by, given_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (poll_id, voter) DO UPDATE SET"
        " holder_id = excluded.holder_id, given_by = excluded.given_by,"
        " given_at = excluded.given_at", (poll_id, voter, holder_id, given_by, iso(now)))


async def holder(conn: Conn, poll_id: int, voter: str) -> int | None:
    """Who holds a voter's proxy in a poll, if anyone."""
    row = await fetch_one(conn, "SELECT holder_id FROM poll_proxy WHERE poll_id = ?"
                                " AND voter = ?", (poll_id, voter))
    return int(row[0]) if row else None


async def held_by(conn: Conn, poll_id: int, holder_id: int) -> list[str]:
    """The voters whose proxy in a poll a person holds."""
    rows = await fetch_all(conn, "SELECT voter FROM poll_proxy WHERE poll_id = ?"
                                 " AND holder_id = ? ORDER BY voter", (poll_id, holder_id))
    return [str(r[0]) for r in rows]


async def revoke(conn: Conn, poll_id: int, voter: str) -> bool:
    cur = await conn.execute("DELETE FROM poll_proxy WHERE poll_id = ? AND voter = ?",
                             (poll_id, voter))
    return cur.rowcount == 1


async def own_vote_cast(conn: Conn, poll_id: int, voter: str) -> bool:
    """Whether the voter's own representatives (not a proxy) cast its vote."""
    row = await fetch_one(conn, "SELECT 1 FROM vote WHERE poll_id = ? AND voter = ?"
                                " AND by_proxy = 0", (poll_id, voter))
    return row is not None


async def proxy_vote_cast(conn: Conn, poll_id: int, voter: str) -> bool:
    row = await fetch_one(conn, "SELECT 1 FROM vote WHERE poll_id = ? AND voter = ?"
                                " AND by_proxy = 1", (poll_id, voter))
    return row is not None
