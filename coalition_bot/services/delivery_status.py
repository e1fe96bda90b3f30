"""What coordinators see of the outbox: what could not be delivered, and what waits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from coalition_bot.services.context import Context
from coalition_bot.services.deliveries import describe
from coalition_bot.store import deliveries as delivery_sql

__all__ = ["FailedDelivery", "Status", "delivery_status", "recent_failures"]

RECENT = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """One delivery a platform refused for good."""

    what: str
    platform: str
    target: str
    due_at: datetime
    reason: str
    hint: str


@dataclass(frozen=True, slots=True)
class Status:
    failed: tuple[FailedDelivery, ...]
    waiting: int
    oldest_waiting: datetime | None


async def recent_failures(ctx: Context) -> int:
    """How many of the coalition's deliveries failed for good in the last week."""
    return await delivery_sql.count_failed_since(ctx.conn, ctx.coalition.id,
                                                 ctx.now - RECENT)


async def delivery_status(ctx: Context) -> Status:
    """The coalition's deliveries refused in the last week, newest first, and how many
    are due but not sent yet (a platform down, or no process serving it)."""
    rows = await delivery_sql.failed_since(ctx.conn, ctx.coalition.id, ctx.now - RECENT)
    failed = tuple([FailedDelivery(await describe(ctx.conn, d), d.platform, d.target,
                                   d.due_at, d.last_error, d.hint) for d in rows])
    count, oldest = await delivery_sql.waiting(ctx.conn, ctx.coalition.id, ctx.now)
    return Status(failed, count, oldest)
