"""SQL for scheduled deliveries: creating, claiming, marking, retrying."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coalition_bot.store.database import Conn
from coalition_bot.store.rows import fetch_all, fetch_one, from_iso, iso

__all__ = [
    "Delivery",
    "claim",
    "create",
    "due_pending",
    "mark",
    "requeue_unfinished",
    "set_swept_to",
    "swept_to",
]


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    coalition_id: int
    kind: str
    subject_id: int
    occurrence: str
    offset_min: int
    platform: str
    target: str  # a channel id, or 'user:ID' for a private delivery
    due_at: datetime
    expires_at: datetime
    status: str
    attempts: int


def _delivery(row) -> Delivery:
    return Delivery(row["id"], row["coalition_id"], row["kind"], row["subject_id"],
                    row["occurrence"], row["offset_min"], row["platform"], row["target"],
                    from_iso(row["due_at"]), from_iso(row["expires_at"]), row["status"],
                    row["attempts"])


async def create(conn: Conn, *, coalition_id: int, kind: str, subject_id: int,
                 occurrence: str, offset_min: int, platform: str, target: str,
                 due_at: datetime, expires_at: datetime, status: str,
                 now: datetime) -> bool:
    """Create a delivery row ('pending', or 'skipped' when too late); False if it exists."""
    cur = await conn.execute(
        "INSERT INTO delivery (coalition_id, kind, subject_id, occurrence, offset_min,"
        " platform, target, due_at, expires_at, status, next_try_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (kind, subject_id, occurrence, offset_min, platform, due_at) DO NOTHING",
        (coalition_id, kind, subject_id, occurrence, offset_min, platform, target,
         iso(due_at), iso(expires_at), status, iso(now), iso(now)))
    return cur.rowcount == 1


async def due_pending(conn: Conn, now: datetime) -> list[Delivery]:
    """Pending deliveries whose (next) try has come, oldest first."""
    rows = await fetch_all(conn, "SELECT * FROM delivery WHERE status = 'pending'"
                                 " AND next_try_at <= ? ORDER BY due_at, id", (iso(now),))
    return [_delivery(r) for r in rows]


async def claim(conn: Conn, delivery_id: int, now: datetime) -> Delivery | None:
    """Claim one pending delivery for sending; None if someone else already did."""
    row = await fetch_one(
        conn,
        "UPDATE delivery SET status = 'sending', attempts = attempts + 1, claimed_at = ?"
        " WHERE id = ? AND status = 'pending' RETURNING *", (iso(now), delivery_id))
    return _delivery(row) if row else None


async def mark(conn: Conn, delivery_id: int, status: str, *, now: datetime, late: bool = False,
               error: str = "", next_try_at: datetime | None = None) -> None:
    """Record what became of a claimed delivery: sent, pending again (failed, with its next
    try), expired or dropped."""
    await conn.execute(
        "UPDATE delivery SET status = ?, late = ?, sent_at = CASE WHEN ? = 'sent' THEN ? END,"
        " last_error = nullif(?, ''), next_try_at = ? WHERE id = ?",
        (status, int(late), status, iso(now), error[:500],
         iso(next_try_at) if next_try_at else None, delivery_id))


async def requeue_unfinished(conn: Conn, now: datetime) -> int:
    """At start-up: deliveries a dead process left 'sending' are pending again (sent again:
    at least once, see ARCHITECTURE.md)."""
    cur = await conn.execute(
        "UPDATE delivery SET status = 'pending', next_try_at = ?,"
        " last_error = 'the process stopped while sending it' WHERE status = 'sending'",
        (iso(now),))
    return cur.rowcount


async def swept_to(conn: Conn) -> datetime | None:
    row = await fetch_one(conn, "SELECT swept_to FROM scheduler_state WHERE id = 1")
    return from_iso(row[0]) if row else None


async def set_swept_to(conn: Conn, when: datetime) -> None:
    await conn.execute(
        "INSERT INTO scheduler_state (id, swept_to) VALUES (1, ?)"
        " ON CONFLICT (id) DO UPDATE SET swept_to = excluded.swept_to", (iso(when),))
