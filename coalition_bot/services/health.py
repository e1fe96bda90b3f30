"""`/coalition health`: the figures of each organization and of the coalition over a
period, and the flags worth a coordinator's look (`rules.health` computes them).

In detail:

- `/coalition health` is `store/health.py` (a few aggregate queries per report, never
  one per organization: 50 organizations cost the same number of statements as 2),
  `rules/health.py` (pure: per-organization figures, per-person loads, flags, the
  median), `services/health.py` (wires them; representatives get their own rows), and
  the handler in `commands/coalition.py`.
- Meetings are counted by occurrence key (the local start) between the period's ends in
  the coalition's zone, from the `rsvp` (yes) and `attendance` (migration 0012) rows,
  cancelled occurrences left out; no series is expanded, so 2 000 meetings cost nothing
  extra. A person counts for the organizations they represent or said they are with.
- The time to vote uses `vote.cast_at`, the latest cast: a changed vote counts from its
  change (the first cast is not kept).
- **The chart** (`coalition_bot/charts.py`, matplotlib's Agg canvas on a `Figure`, no
  pyplot: no global state, safe in a worker thread) is left to draw by the command
  handler (`Attachment.draw`) and drawn by the dispatcher after the transaction, in a
  worker thread, so rules, store and services never import matplotlib and nobody waits
  for the drawing; matplotlib is imported on first use, or at start-up by
  `coalition-bot run`. It repeats the text's figures and adds none. One dark
  grey on white with the values written beside the bars, so it reads in grey scale.
  A PNG needs bytes: `Attachment.data` (text files keep `content`); the console writes
  `payload()`, Slack uploads `data or content`, Discord wraps `payload()` in a BytesIO.
  `chart_canvas` keeps each label's FreeType layout between charts (most of a chart's
  cost; names repeat from report to report). The long-running bot loads it at start-up
  and takes its long-lived heap out of the garbage collector's full passes
  (`cli.settle_heap`, `gc.freeze`). Texts never parse mathtext:
  names are users' words (`$` in a name broke the chart before).
- Attendance is recorded after the fact (`/meeting attended`); the minutes list it once
  there is any, and fall back to RSVPs before that.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from coalition_bot.model import GoalStatus, Level
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
    goals: dict[GoalStatus, int]  # status -> count, in GoalStatus order, nonzero only
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
    goals = {s: counts[s] for s in GoalStatus if counts[s]}
    everything = ctx.caller.level >= Level.COORDINATOR
    if not everything:
        mine = set(ctx.caller.org_ids)
        rows = [r for r in rows if r.org.id in mine]
        found = [f for f in found if f.org_id in mine]
    network = await network_numbers(conn, cid, now, since=since)
    return Health(since, now, rows, decided, failed, goals, found, everything, network)
