"""The weekly digest: one message a week to each home channel, through the outbox.

A coordinator sets a weekday and a local time (`/coalition digest on monday 09:00`);
the scheduler's sweep finds each week's time (`digests_due`, kind `digest`, keyed by
the coalition and the local date, so a restart or a second process does not double
it), and the notice is written when it is sent (`digest_notice`): the decisions of the
past week with their outcomes, polls closing in the coming week and the organizations
that have not voted, meetings in the coming week, overdue and newly due action items by
owner, goal changes. A quiet week gets one line saying so.

In detail:

- `digest_schedule` (migration 0012) keeps a weekday and a local `HH:MM` per coalition.
  `services.digest.digests_due` is the `resource-expiring` pattern: `due_between` asks it
  for the digests in the sweep's window, computed by `rules.digest.weekly_times` in the
  coalition's zone (a skipped local time falls an hour later), so nothing is stored per
  week. The delivery key is (`digest`, coalition id, the local date), so a restart or a
  second process finds the same row; the notice is written when sent (`digest.render`),
  dropped if the digest was turned off since, given up a day after its time.
- The zone is the coalition's as it is at each sweep: `/coalition update timezone:`
  moves the digest with it (unlike meetings, it belongs to no one zone).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from coalition_bot.model import Coalition
from coalition_bot.replies import Field, Notice, Text, When, join
from coalition_bot.rules.digest import WEEKDAYS, weekly_times
from coalition_bot.rules.times import format_local
from coalition_bot.services import polls
from coalition_bot.services.context import Context
from coalition_bot.services.meetings import Due, occurrences_between
from coalition_bot.services.resources import network_numbers
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import digests as digest_sql
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store.database import Conn

__all__ = ["QUIET", "WEEK", "digest_notice", "digests_due", "preview", "set_digest",
           "stop_digest"]

WEEK = timedelta(days=7)
QUIET = "A quiet week: nothing was decided, and nothing is due or coming up."


async def set_digest(ctx: Context, weekday: int, at: time) -> datetime:
    """Send the digest every week on `weekday` at `at` (coalition time); its next time."""
    await digest_sql.set_schedule(ctx.conn, ctx.coalition.id, weekday, at,
                                  ctx.caller.person.id, ctx.now)
    tz = ctx.coalition.timezone
    return weekly_times(weekday, at, tz, ctx.now, ctx.now + WEEK + timedelta(days=1))[0][1]


async def stop_digest(ctx: Context) -> bool:
    """No more digests; False if there was none."""
    return await digest_sql.clear_schedule(ctx.conn, ctx.coalition.id)


async def preview(ctx: Context) -> Notice:
    """The digest as it would be sent now."""
    return await digest_notice(ctx.conn, ctx.coalition, ctx.now)


async def digests_due(conn: Conn, start: datetime, end: datetime) -> list[Due]:
    """Every coalition's digest due in [start, end); the occurrence is the local date."""
    return [Due("digest", cid, at, cid, key, 0)
            for cid, weekday, at_local, tz in await digest_sql.schedules(conn)
            for key, at in weekly_times(weekday, at_local, tz, start, end)]


async def render(conn: Conn, coalition_id: int, now: datetime) -> Notice | None:
    """The digest to send now; None once the coalition turned it off."""
    if await digest_sql.schedule(conn, coalition_id) is None:
        return None
    return await digest_notice(conn, await coalition_sql.get_coalition(conn, coalition_id), now)


async def digest_notice(conn: Conn, coalition: Coalition, now: datetime) -> Notice:
    """The week behind and the week ahead, as one notice."""
    tz, cid = coalition.timezone, coalition.id
    since, ahead = now - WEEK, now + WEEK
    fields: list[Field] = []
    decided = [d for d in await poll_sql.decisions(conn, cid) if since < d.decided_at <= now]
    if decided:
        fields.append(Field("Decided this week", "\n".join(
            f"#{d.number} {d.question}: {d.outcome}" for d in decided)))
    closing = []
    for poll in await poll_sql.list_polls(conn, cid, "open"):
        if now <= poll.closes_at < ahead:
            state = await polls.poll_state(conn, poll)
            missing = ", ".join(e.name for e in state.not_voted) or "everyone has voted"
            who = "organizations" if poll.electorate == "orgs" else "members"
            closing.append(f"#{poll.number} {poll.question}: closes "
                           + When(poll.closes_at, tz) + f"; {who} not voted yet: {missing}")
    if closing:
        fields.append(Field("Polls closing this coming week", join("\n", closing)))
    coming = []
    for meeting in await meeting_sql.list_meetings(conn, cid):
        if not meeting.cancelled:
            coming += await occurrences_between(conn, meeting, now, ahead)
    if coming:
        fields.append(Field("Meetings this coming week", join("\n", (
            f"#{o.meeting.number} {o.meeting.title}: " + When(o.start, o.meeting.timezone)
            for o in sorted(coming, key=lambda o: o.start)))))
    by_owner: dict[str, list[Text]] = {}
    for note in await meeting_sql.actions(conn, cid, open_only=True):
        if note.due_at is None or note.due_at >= now:
            continue
        lateness = "newly due" if note.due_at >= since else "overdue"
        by_owner.setdefault(note.owner_name or "no owner", []).append(
            f"#{note.action_number} {note.text} ({lateness}, due " + When(note.due_at, tz) + ")")
    if by_owner:
        fields.append(Field("Action items due", join("\n", (
            f"{owner}: " + join("; ", items) for owner, items in sorted(by_owner.items())))))
    goals = await digest_sql.goal_changes(conn, cid, since, now)
    if goals:
        fields.append(Field("Goal changes", "\n".join(
            f"#{number} {text}: now {status}" + (f" ({note})" if note else "")
            for number, text, status, note, _ in goals)))
    network = await network_numbers(conn, cid, now, since=since)
    if network.asks or network.offers:
        fields.append(Field("Offers and asks this week", network.summary()))
    title = f"{coalition.name}: the week of {format_local(now, tz).split(',')[0]}"
    return Notice(cid, title, "" if fields else QUIET, fields=tuple(fields))


def weekday_name(weekday: int) -> str:
    return WEEKDAYS[weekday].capitalize()
