"""Changes that affect people reach them: a private notice (`Context.notify_person`,
sent by the outbox as a direct message) to whoever a change touches, beside any post to
the home channels.

- A representative whose organization's vote another representative (or the holder of
  its proxy) changed is told what it was and what it is now.
- A meeting occurrence cancelled or moved is announced in the home channels, and each
  person who said they would come is told.
"""

from __future__ import annotations

from coalition_bot.model import Meeting, Occurrence, Poll
from coalition_bot.replies import Notice
from coalition_bot.rules.times import format_local
from coalition_bot.services.context import Context
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import people as people_sql

__all__ = ["occurrence_changed", "vote_changed"]


async def vote_changed(ctx: Context, poll: Poll, org_name: str, previous_caster: int,
                       previous: str, now: str) -> None:
    """Tell the person who cast an organization's earlier vote that someone changed it."""
    if previous_caster == ctx.caller.person.id:
        return
    who = ctx.caller.person.display_name
    person = await people_sql.get_person(ctx.conn, previous_caster)
    ctx.notify_person(person, Notice(
        ctx.coalition.id, f"Poll #{poll.number}: {org_name}'s vote was changed",
        f"{poll.question}\n{who} changed {org_name}'s vote from {previous} (cast by you) "
        f"to {now}. One vote per organization: the latest counts. See "
        f"`/poll status #{poll.number}`."))


async def occurrence_changed(ctx: Context, meeting: Meeting, occ: Occurrence,
                             what: str) -> int:
    """Announce a cancelled or moved occurrence and tell each person who said yes to it;
    how many were told."""
    when = format_local(occ.start, meeting.timezone)
    title = f"Meeting #{meeting.number} {meeting.title}: {what}"
    ctx.notify(Notice(ctx.coalition.id, title,
                      f"The occurrence of {when}: {what} by "
                      f"{ctx.caller.person.display_name}."))
    told = 0
    for person_id, answer in await meeting_sql.rsvps(ctx.conn, meeting.id, occ.key):
        if answer == "yes":
            person = await people_sql.get_person(ctx.conn, person_id)
            ctx.notify_person(person, Notice(
                ctx.coalition.id, title,
                f"You said you would come on {when}. The occurrence was {what} by "
                f"{ctx.caller.person.display_name}. See `/meeting info #{meeting.number}`."))
            told += 1
    return told
