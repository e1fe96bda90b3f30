"""SQL for the outbox: notices, delivery rows, claims with leases, marking, retrying."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coalition_bot.model import DeliveryKind
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, fetch_all, fetch_one, from_iso, iso

__all__ = [
    "CLAIM_BATCH",
    "MARK",
    "Delivery",
    "Mark",
    "NewDelivery",
    "Overview",
    "add_notice",
    "claim",
    "claim_batch",
    "count_failed_since",
    "create",
    "create_many",
    "due_pending",
    "extend_lease",
    "failed_since",
    "mark",
    "mark_many",
    "notice_body",
    "orphaned",
    "overview",
    "release",
    "set_swept_to",
    "swept_to",
    "waiting",
]


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    coalition_id: int
    kind: DeliveryKind
    subject_id: int
    occurrence: str
    offset_min: int
    platform: str
    workspace_id: str
    target: str  # a channel id, or 'user:ID' for a private delivery
    due_at: datetime
    expires_at: datetime
    status: str
    attempts: int
    last_error: str
    hint: str


def _delivery(row: Row) -> Delivery:
    return Delivery(row["id"], row["coalition_id"], row["kind"], row["subject_id"],
                    row["occurrence"], row["offset_min"], row["platform"],
                    row["workspace_id"], row["target"], from_iso(row["due_at"]),
                    from_iso(row["expires_at"]), row["status"], row["attempts"],
                    row["last_error"] or "", row["hint"] or "")


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery row to write (see `create`)."""

    coalition_id: int
    kind: DeliveryKind
    subject_id: int
    occurrence: str
    offset_min: int
    platform: str
    workspace_id: str
    target: str
    due_at: datetime
    expires_at: datetime
    status: str


_CHUNK = 500  # rows per INSERT: 13 parameters each, well under SQLite's 32 766


async def create_many(conn: Conn, rows: list[NewDelivery], now: datetime) -> list[str]:
    """Write these delivery rows, skipping those that exist, in as few statements as
    the parameter limit allows (a sweep writes one per reminder and home channel); the
    statuses of the rows written."""
    written: list[str] = []
    for at in range(0, len(rows), _CHUNK):
        chunk = rows[at:at + _CHUNK]
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
        params = [value for r in chunk for value in (
            r.coalition_id, r.kind, r.subject_id, r.occurrence, r.offset_min, r.platform,
            r.workspace_id, r.target, iso(r.due_at), iso(r.expires_at), r.status, iso(now),
            iso(now))]
        found = await fetch_all(
            conn,
            "INSERT INTO delivery (coalition_id, kind, subject_id, occurrence, offset_min,"
            " platform, workspace_id, target, due_at, expires_at, status, next_try_at,"
            f" created_at) VALUES {values}"
            " ON CONFLICT (kind, subject_id, occurrence, offset_min, platform, workspace_id,"
            " target, due_at) DO NOTHING RETURNING status", params)
        written += [row[0] for row in found]
    return written


async def create(conn: Conn, *, coalition_id: int, kind: DeliveryKind, subject_id: int,
                 occurrence: str, offset_min: int, platform: str, workspace_id: str,
                 target: str, due_at: datetime, expires_at: datetime, status: str,
                 now: datetime) -> bool:
    """Create a delivery row ('pending', or 'skipped' when too late); False if it exists."""
    return bool(await create_many(conn, [NewDelivery(
        coalition_id, kind, subject_id, occurrence, offset_min, platform, workspace_id,
        target, due_at, expires_at, status)], now))


async def add_notice(conn: Conn, coalition_id: int, body: str, now: datetime) -> int:
    """Keep a command's notice (as JSON) for its deliveries; its id."""
    row = await fetch_one(conn, "INSERT INTO notice (coalition_id, body, created_at)"
                                " VALUES (?, ?, ?) RETURNING id",
                          (coalition_id, body, iso(now)))
    return int(row[0])


async def notice_body(conn: Conn, notice_id: int) -> str | None:
    row = await fetch_one(conn, "SELECT body FROM notice WHERE id = ?", (notice_id,))
    return row[0] if row else None


# `owner` is set only while a row is 'sending' (a claim sets both; a mark or a release
# clears both), so "the owner's claim" is `id = ? AND owner = ?`. Saying `status =
# 'sending'` as well would let PostgreSQL's planner pick the `delivery_open` index for
# it, whose dead entries after a burst it would then read for every mark (0020).

# Claimable: pending and its (next) try has come, or being sent by a process whose lease
# ran out. It names `delivery_open`'s condition as well, so both engines walk that index
# (migration 0020) instead of every row ever sent.
_CLAIMABLE = ("status IN ('pending', 'sending') AND (status = 'pending' AND next_try_at <= ?"
              " OR status = 'sending' AND coalesce(lease_until, '') < ?)")

# claim_batch's statement: {platforms} the placeholders of the platforms' names
CLAIM_BATCH = (
    "UPDATE delivery SET status = 'sending', attempts = attempts + 1, claimed_at = ?,"
    " owner = ?, lease_until = ? WHERE id IN (SELECT id FROM delivery"
    f" WHERE {_CLAIMABLE} AND platform IN ({{platforms}}) ORDER BY due_at, id LIMIT ?"
    "{skip_locked}) RETURNING *")

# mark's statement
MARK = ("UPDATE delivery SET status = ?, late = ?, sent_at = CASE WHEN ? = 'sent' THEN ? END,"
        " last_error = nullif(?, ''), hint = nullif(?, ''), next_try_at = ?,"
        " owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?")


async def due_pending(conn: Conn, now: datetime, platforms: Collection[str]) -> list[Delivery]:
    """Deliveries on these platforms that can be claimed now, oldest first: pending ones
    whose (next) try has come, and ones whose claim's lease ran out (its owner died)."""
    if not platforms:
        return []
    marks = ", ".join("?" * len(platforms))
    rows = await fetch_all(conn, f"SELECT * FROM delivery WHERE {_CLAIMABLE}"
                                 f" AND platform IN ({marks}) ORDER BY due_at, id",
                           (iso(now), iso(now), *platforms))
    return [_delivery(r) for r in rows]


async def claim(conn: Conn, delivery_id: int, *, owner: str, now: datetime,
                lease_until: datetime) -> Delivery | None:
    """Claim one delivery for sending, for `owner` until `lease_until`; None if it is not
    claimable (sent, or claimed by a process whose lease still runs)."""
    row = await fetch_one(
        conn,
        "UPDATE delivery SET status = 'sending', attempts = attempts + 1, claimed_at = ?,"
        f" owner = ?, lease_until = ? WHERE id = ? AND {_CLAIMABLE} RETURNING *",
        (iso(now), owner, iso(lease_until), delivery_id, iso(now), iso(now)))
    return _delivery(row) if row else None


async def claim_batch(conn: Conn, platforms: Collection[str], *, owner: str, now: datetime,
                      due_by: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
    """Claim the oldest `limit` deliveries on these platforms that were claimable at
    `due_by` (a pass's start) for `owner` until `lease_until`, oldest first; on
    PostgreSQL rows another process is claiming right now are passed over, not waited
    for (`Dialect.skip_locked`)."""
    if not platforms:
        return []
    marks = ", ".join("?" * len(platforms))
    rows = await fetch_all(
        conn, CLAIM_BATCH.format(platforms=marks, skip_locked=conn.dialect.skip_locked),
        (iso(now), owner, iso(lease_until), iso(due_by), iso(due_by), *platforms, limit))
    return sorted((_delivery(r) for r in rows), key=lambda d: (d.due_at, d.id))


async def release(conn: Conn, delivery_ids: Collection[int], *, owner: str) -> int:
    """Give back the owner's claims on deliveries it never began to send (it is
    stopping): pending again at once, the claim's attempt undone; how many."""
    if not delivery_ids:
        return 0
    marks = ", ".join("?" * len(delivery_ids))
    cur = await conn.execute(
        "UPDATE delivery SET status = 'pending', attempts = attempts - 1, owner = NULL,"
        f" lease_until = NULL WHERE id IN ({marks}) AND owner = ?",
        (*delivery_ids, owner))
    return cur.rowcount


async def extend_lease(conn: Conn, delivery_ids: Collection[int], *, owner: str,
                       lease_until: datetime) -> set[int]:
    """Extend the owner's claims on these deliveries; the ids it still holds."""
    if not delivery_ids:
        return set()
    marks = ", ".join("?" * len(delivery_ids))
    rows = await fetch_all(
        conn, f"UPDATE delivery SET lease_until = ? WHERE id IN ({marks}) AND owner = ?"
              " RETURNING id", (iso(lease_until), *delivery_ids, owner))
    return {int(row[0]) for row in rows}


async def mark(conn: Conn, delivery_id: int, status: str, *, owner: str, now: datetime,
               late: bool = False, error: str = "", hint: str = "",
               next_try_at: datetime | None = None) -> bool:
    """Record what became of the owner's claim: sent, pending again (failed, with its next
    try), failed for good, expired or dropped. False if the claim is no longer the
    owner's (its lease ran out and another process took the row back)."""
    cur = await conn.execute(
        MARK,
        (status, int(late), status, iso(now), error[:500], hint[:500],
         iso(next_try_at) if next_try_at else None, delivery_id, owner))
    return cur.rowcount == 1


@dataclass(frozen=True, slots=True)
class Mark:
    """What became of one claimed delivery: `mark`'s arguments, for `mark_many`."""

    claimed: Delivery
    status: str
    now: datetime
    late: bool = False
    error: str = ""
    hint: str = ""
    next_try_at: datetime | None = None


_MARKS_PER_STATEMENT = 500  # 7 parameters each


async def mark_many(conn: Conn, marks: Sequence[Mark], *, owner: str) -> list[bool]:
    """`mark` each of these in one statement (per 500): for each, whether the claim was
    still the owner's. Each mark sets exactly what `mark` sets (`MARK`), with its own
    `now`, and finds its row by id and owner alone like it; the ids must differ (a
    statement updates a row once)."""
    held: set[int] = set()
    for first in range(0, len(marks), _MARKS_PER_STATEMENT):
        chunk = marks[first:first + _MARKS_PER_STATEMENT]
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
        params: list[object] = [value for m in chunk for value in (
            m.claimed.id, m.status, int(m.late), iso(m.now), m.error[:500], m.hint[:500],
            iso(m.next_try_at) if m.next_try_at else None)]
        # VALUES names its columns column1 … column7 on both engines
        rows = await fetch_all(
            conn,
            "UPDATE delivery SET status = v.column2, late = v.column3,"
            " sent_at = CASE WHEN v.column2 = 'sent' THEN v.column4 END,"
            " last_error = nullif(v.column5, ''), hint = nullif(v.column6, ''),"
            " next_try_at = v.column7, owner = NULL, lease_until = NULL"
            f" FROM (VALUES {values}) AS v WHERE delivery.id = v.column1"
            " AND delivery.owner = ? RETURNING delivery.id",  # owner: only while 'sending'
            [*params, owner])
        held.update(int(row[0]) for row in rows)
    return [m.claimed.id in held for m in marks]


async def orphaned(conn: Conn, now: datetime) -> int:
    """Deliveries left 'sending' by a process whose lease has run out (it died or was
    killed mid-send): they will be claimed and sent again."""
    row = await fetch_one(conn, "SELECT count(*) FROM delivery WHERE status IN ('pending',"
                                " 'sending') AND status = 'sending'"
                                " AND coalesce(lease_until, '') < ?", (iso(now),))
    return int(row[0])


async def failed_since(conn: Conn, coalition_id: int, since: datetime,
                       limit: int = 20) -> list[Delivery]:
    """The coalition's deliveries that failed for good since `since`, newest first."""
    rows = await fetch_all(conn, "SELECT * FROM delivery WHERE coalition_id = ?"
                                 " AND status = 'failed' AND coalesce(claimed_at, created_at) >= ?"
                                 " ORDER BY claimed_at DESC, id DESC LIMIT ?",
                           (coalition_id, iso(since), limit))
    return [_delivery(r) for r in rows]


async def count_failed_since(conn: Conn, coalition_id: int, since: datetime) -> int:
    """How many of the coalition's deliveries failed for good since `since`."""
    row = await fetch_one(conn, "SELECT count(*) FROM delivery WHERE coalition_id = ?"
                                " AND status = 'failed' AND coalesce(claimed_at, created_at) >= ?",
                          (coalition_id, iso(since)))
    return int(row[0])


async def swept_to(conn: Conn) -> datetime | None:
    row = await fetch_one(conn, "SELECT swept_to FROM scheduler_state WHERE id = 1")
    return from_iso(row[0]) if row else None


async def set_swept_to(conn: Conn, when: datetime) -> None:
    """Move the sweep mark to `when`, kept to the microsecond (not to the second like
    every other time): processes sharing a database read it to space their sweeps
    (`coordination.take_sweep_from`), and a sweep is milliseconds apart from the next."""
    await conn.execute(
        "INSERT INTO scheduler_state (id, swept_to) VALUES (1, ?)"
        " ON CONFLICT (id) DO UPDATE SET swept_to = excluded.swept_to",
        (when.astimezone(UTC).isoformat(timespec="microseconds"),))


async def waiting(conn: Conn, coalition_id: int, now: datetime) -> tuple[int, datetime | None]:
    """How many of the coalition's deliveries are due and not yet sent, and the oldest
    one's due time."""
    row = await fetch_one(conn, "SELECT count(*), min(due_at) FROM delivery"
                                " WHERE coalition_id = ? AND status IN ('pending', 'sending')"
                                " AND due_at <= ?", (coalition_id, iso(now)))
    return int(row[0]), (from_iso(row[1]) if row[1] else None)


@dataclass(frozen=True, slots=True)
class Overview:
    """The outbox at a glance, for health, metrics and `coalition-bot status`."""

    pending: int  # due and not yet sent (pending, or being sent)
    late: int  # of those, due more than `late_after` ago
    failed: int  # refused for good by the platform (all time)
    oldest_due: datetime | None  # the oldest pending one's due time
    swept_to: datetime | None  # where the scheduler's last sweep stopped


async def overview(conn: Conn, now: datetime, late_after: timedelta) -> Overview:
    row = await fetch_one(
        conn, "SELECT count(*), count(CASE WHEN due_at < ? THEN 1 END), min(due_at) FROM delivery"
              " WHERE status IN ('pending', 'sending') AND due_at <= ?",
        (iso(now - late_after), iso(now)))
    (failed,) = await fetch_one(conn, "SELECT count(*) FROM delivery WHERE status = 'failed'")
    return Overview(int(row[0]), int(row[1]), int(failed),
                    from_iso(row[2]) if row[2] else None, await swept_to(conn))
