"""How several bot processes on one PostgreSQL database keep out of each other's way
and tell each other what changed. On SQLite each of these is a no-op: its one writer
already serialises everything, and a lone process knows what it did itself.

- **Locks** (advisory, ids below): every transaction takes `WRITE_LOCK`, like SQLite's
  one writer, except the outbox's, which touch only their own claimed delivery rows and
  rely on row locks (`transaction(exclusive=False)`, claims with `SKIP LOCKED`). A sweep
  first *tries* `SWEEP_LOCK`: a process that does not get it skips that sweep instead
  of queueing behind another process's sweep of the same due items. The same round
  trip reads the sweep mark (`take_sweep_from`), by which a process that does get the
  lock sees that another process swept a moment ago and skips too
  (`delivery_cycle.SWEEP_SPACING`).
- **Wake-ups** (`NOTIFY coalition_bot`, sent on commit, so only for what happened):
  `plan:ID` when a command wrote something in coalition ID (its schedule may have
  moved: the other processes re-plan it), `due` when delivery rows were written (the
  other processes send those on their platforms). Each process listens on one
  connection (`Database.listen`, `coalition_bot.wakeups`). "Wrote something" is
  first `Conn.wrote` (a statement other than a read ran, known from the server's
  status replies: a read-only command costs no extra round trip), then, in the
  statement, `pg_current_xact_id_if_assigned()` (PostgreSQL 13 or newer).
- **Whose announcement**: PostgreSQL delivers a NOTIFY to every listener, the sender's
  own included, and the sender is a pooled connection, not the listening one, so their
  backend pids never match. Each payload ends in `/ORIGIN`, the sending `Database`'s
  token (one per process), and `parse` says whose it was: a process ignores its own
  (it re-planned and kicked its outbox itself), which would otherwise re-plan every
  command twice and double the outbox passes. A payload without an origin (an older
  process during a rolling upgrade) counts as another process's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from coalition_bot.store.database import Conn
from coalition_bot.store.rows import fetch_one, from_iso

__all__ = ["CHANNEL", "MIGRATE_LOCK", "SWEEP_LOCK", "WRITE_LOCK", "Announcement",
           "SweepStart", "announce_due", "announce_plan", "new_origin", "parse", "take_sweep",
           "take_sweep_from"]

WRITE_LOCK = 0x636F_616C  # "coal": every transaction, like SQLite's one writer
MIGRATE_LOCK = 0x636F_616D  # held while migrating
SWEEP_LOCK = 0x636F_6173  # held by the one process sweeping due items into rows
CHANNEL = "coalition_bot"


@dataclass(frozen=True)
class Announcement:
    """One NOTIFY payload read back: `plan` (with the coalition) or `due`, and the
    token of the process that sent it ("" when it did not say)."""

    kind: str
    coalition_id: int | None
    origin: str


def new_origin() -> str:
    """A token naming one `Database` (one process) in its announcements."""
    return secrets.token_hex(8)


def parse(payload: str) -> Announcement | None:
    """`plan:ID/ORIGIN` or `due/ORIGIN` (the origin optional); None for anything else."""
    body, _, origin = payload.partition("/")
    kind, _, rest = body.partition(":")
    if kind == "plan" and rest.isdigit():
        return Announcement("plan", int(rest), origin)
    if kind == "due" and not rest:
        return Announcement("due", None, origin)
    return None


def _postgres(conn: Conn) -> bool:
    return conn.dialect.name == "postgresql"


async def take_sweep(conn: Conn) -> bool:
    """In a transaction begun with `exclusive=False`: take the sweep lock, then the
    write lock, and say True; False, holding nothing, while another process sweeps."""
    if not _postgres(conn):
        return True
    # one round trip: the write lock is asked for only once the sweep lock is ours
    row = await fetch_one(conn, f"SELECT CASE WHEN pg_try_advisory_xact_lock({SWEEP_LOCK})"
                                f" THEN pg_advisory_xact_lock({WRITE_LOCK})::text IS NOT NULL"
                                " ELSE false END")
    return bool(row[0])


@dataclass(frozen=True, slots=True)
class SweepStart:
    """`take_sweep_from`'s answer: whether the sweep lock is ours, where the last sweep
    stopped (`scheduler_state.swept_to`), and whether other processes may sweep too
    (PostgreSQL), so that a sweep mark may be another process's."""

    taken: bool
    swept_to: datetime | None
    shared: bool


async def take_sweep_from(conn: Conn) -> SweepStart:
    """`take_sweep`, and the sweep mark read in the same round trip on PostgreSQL.

    Under READ COMMITTED the statement's snapshot is taken before the locks are granted,
    so the mark read may be stale: a sweep another process committed between that
    snapshot and our lock is not seen. That is harmless: this sweep then starts earlier,
    over a window that other sweep already covered, and writes nothing twice (delivery
    rows are unique-keyed and their INSERT skips those that exist; the next statements,
    each with a fresh snapshot, see that sweep's series marks); and a stale mark is older,
    so it never makes a process skip a sweep it should have made."""
    if not _postgres(conn):
        row = await fetch_one(conn, "SELECT swept_to FROM scheduler_state WHERE id = 1")
        return SweepStart(True, from_iso(row[0]) if row else None, False)
    row = await fetch_one(conn, f"SELECT CASE WHEN pg_try_advisory_xact_lock({SWEEP_LOCK})"
                                f" THEN pg_advisory_xact_lock({WRITE_LOCK})::text IS NOT NULL"
                                " ELSE false END,"
                                " (SELECT swept_to FROM scheduler_state WHERE id = 1)")
    return SweepStart(bool(row[0]), from_iso(row[1]) if row[1] else None, True)


async def announce_plan(conn: Conn, coalition_id: int) -> None:
    """Tell the other processes, on commit, that coalition `coalition_id` changed, if
    this transaction wrote anything. A command that only read tells nobody and costs no
    round trip (`conn.wrote`); the server's own check covers a write that changed no
    row (`pg_current_xact_id_if_assigned`)."""
    if _postgres(conn) and conn.wrote:
        await conn.execute("SELECT pg_notify(?, ?) WHERE pg_current_xact_id_if_assigned()"
                           " IS NOT NULL", (CHANNEL, f"plan:{coalition_id}/{conn.origin}"))


async def announce_due(conn: Conn) -> None:
    """Tell the other processes, on commit, that delivery rows are waiting to be sent."""
    if _postgres(conn):
        await conn.execute("SELECT pg_notify(?, ?)", (CHANNEL, f"due/{conn.origin}"))
