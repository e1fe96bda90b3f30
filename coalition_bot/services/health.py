"""`/coalition health`: the figures of each organization and of the coalition over a
period, and the flags worth a coordinator's look (`rules.health` computes them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from coalition_bot.model import GOAL_STATUSES, Level
from coalition_bot.rules.health import (
    LISTED_OVERDUE,
    OVERDUE_FLAG_AFTER,
    Flag,
    OrgHealth,
    flags,
    org_health,
    person_loads,
)
from coalition_bot.rules.recurrence import local_key
from coalition_bot.services.context import Context
from coalition_bot.services.resources import NetworkNumbers, network_numbers
from coalition_bot.store import goals as goal_sql
from coalition_bot.store import health as health_sql
from coalition_bot.store import orgs as org_sql
from coalition_bot.store import people as people_sql

__all__ = ["DEFAULT_PERIOD", "Health", "report"]

DEFAULT_PERIOD = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Health:
    since: datetime
    until: datetime
    rows: list[OrgHealth]
    decisions: int
    failed_quorum: int
    goals: dict[str, int]  # status -> count, in GOAL_STATUSES order, nonzero only
    flags: list[Flag]
    everything: bool  # a coordinator's view; False: the caller's organizations only
    network: NetworkNumbers  # offers and asks posted in the period: asks met, by whom


async def report(ctx: Context, period: timedelta | None) -> Health:
    """The health of the coalition over the period ending now. Representatives get the
    rows and flags of their own organizations; coordinators everything."""
    conn, cid, now = ctx.conn, ctx.coalition.id, ctx.now
    since = now - (period or DEFAULT_PERIOD)
    zone = ZoneInfo(ctx.coalition.timezone)
    first_key = local_key(since.astimezone(zone).replace(tzinfo=None))
    last_key = local_key(now.astimezone(zone).replace(tzinfo=None))
    orgs = await org_sql.list_orgs(conn, cid)
    reps = {org_id: len(p) for org_id, p in (await people_sql.representatives(conn, cid)).items()}
    actions = await health_sql.action_counts(conn, cid, since, now)
    roles = await health_sql.role_rows(conn, cid)
    polls, delays = await health_sql.org_poll_figures(conn, cid, since, now)
    rows = org_health(
        orgs, polls=polls, delays=delays,
        members=await health_sql.org_members(conn, cid), representatives=reps,
        said_yes=await health_sql.org_meetings(conn, cid, "rsvp", first_key, last_key),
        attended=await health_sql.org_meetings(conn, cid, "attendance", first_key, last_key),
        actions=actions, roles=roles)
    old = await health_sql.old_overdue(conn, cid, now - OVERDUE_FLAG_AFTER, LISTED_OVERDUE)
    found = flags(rows, person_loads(actions, roles), old, now)
    decided, failed = await health_sql.decision_counts(conn, cid, since, now)
    counts = Counter(g.status for g in await goal_sql.list_goals(conn, cid))
    goals = {s: counts[s] for s in GOAL_STATUSES if counts[s]}
    everything = ctx.caller.level >= Level.COORDINATOR
    if not everything:
        mine = set(ctx.caller.org_ids)
        rows = [r for r in rows if r.org.id in mine]
        found = [f for f in found if f.org_id in mine]
    network = await network_numbers(conn, cid, now, since=since)
    return Health(since, now, rows, decided, failed, goals, found, everything, network)
