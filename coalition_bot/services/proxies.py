"""Proxies: an organization that cannot take part hands its vote in one poll to another
organization's representative or to a coordinator (`/poll proxy #N TO`).

- Only the organization's own representatives give (or revoke) its proxy, so a holder
  cannot pass it on: no chains.
- The holder casts it with `/poll vote #N CHOICE org:ORG` (org: may be left out when
  they represent no organization and hold one proxy). The vote row records the holder
  as `cast_by` and `by_proxy`, so the log shows who cast what for whom.
- The organization's own vote, when cast, overrides the proxy: it replaces a proxy
  vote, and the proxy ends. A proxy vote after the organization voted is refused.
- A proxy cannot block: a block stops a consensus proposal on its own, which only the
  organization itself may do.
- A proxy can be revoked until its vote is cast (`/poll proxy revoke #N`).
- Not in anonymous polls: an anonymous vote cannot be replaced, so the organization's
  own vote could not override one cast by proxy.
"""

from __future__ import annotations

from coalition_bot.errors import Conflict, PermissionDenied, UsageError
from coalition_bot.model import Org, Person, Poll
from coalition_bot.replies import Notice
from coalition_bot.services.context import Context
from coalition_bot.services.polls import get_poll, voting_org
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store import proxies as proxy_sql

__all__ = ["give", "revoke"]


async def _open_org_poll(ctx: Context, number: int) -> Poll:
    poll = await get_poll(ctx.conn, ctx.coalition.id, number)
    if not poll.accepts_votes(ctx.now):
        raise Conflict(f"Poll #{number} is closed; there is no vote left to hand on.")
    if poll.electorate != "orgs":
        raise UsageError(f"Poll #{number} is a member poll: everyone votes for themselves, "
                         "so there is no organization's vote to hand on.")
    if poll.anonymous:
        raise UsageError(f"Poll #{number} is anonymous: an anonymous vote can never be "
                         "changed, so your organization's own vote could not override one "
                         "cast by proxy. Proxies are for polls that are not anonymous.")
    return poll


async def give(ctx: Context, number: int, holder: Person, org: Org | None) -> tuple[Org, Poll]:
    """Hand the caller's organization's vote in poll `number` to `holder`."""
    poll = await _open_org_poll(ctx, number)
    held = await proxy_sql.held_by(ctx.conn, poll.id, ctx.caller.person.id)
    if org is not None and f"org:{org.id}" in held and org.id not in ctx.caller.org_ids:
        raise PermissionDenied(f"You hold {org.name}'s proxy; only its own representatives "
                               "can hand its vote on. A proxy cannot be passed on.")
    giver = await voting_org(ctx, poll, org)
    key = f"org:{giver.id}"
    if await proxy_sql.own_vote_cast(ctx.conn, poll.id, key):
        raise Conflict(f"{giver.name} has voted in poll #{number} already; there is nothing "
                       "left to hand on.", hint="Change the vote yourself until it closes.")
    if holder.id == ctx.caller.person.id:
        raise UsageError("You cannot give a proxy to yourself.")
    reps = await people_sql.representatives(ctx.conn, ctx.coalition.id)
    if any(p.id == holder.id for p in reps.get(giver.id, [])):
        raise UsageError(f"{holder.display_name} represents {giver.name} already and can "
                         "vote for it without a proxy.")
    elsewhere = any(p.id == holder.id for oid, people in reps.items() if oid != giver.id
                    for p in people)
    coordinators = await coalition_sql.coordinator_ids(ctx.conn, ctx.coalition.id)
    if not elsewhere and holder.id not in coordinators:
        raise PermissionDenied(f"{holder.display_name} is neither another organization's "
                               "representative nor a coordinator, so cannot hold a proxy.")
    await proxy_sql.give(ctx.conn, poll.id, key, holder.id, ctx.caller.person.id, ctx.now)
    ctx.notify_person(holder, Notice(
        ctx.coalition.id, f"You hold {giver.name}'s vote in poll #{number}",
        f"{poll.question}\n{ctx.caller.person.display_name} gave you {giver.name}'s proxy. "
        f"Vote for it with `/poll vote #{number} CHOICE org:#{giver.number}` (a proxy cannot "
        f"block). If {giver.name} votes itself, its own vote counts."))
    return giver, poll


async def revoke(ctx: Context, number: int, org: Org | None) -> tuple[Org, Person]:
    """Take back the caller's organization's proxy in poll `number`, before it is used."""
    poll = await _open_org_poll(ctx, number)
    giver = await voting_org(ctx, poll, org)
    key = f"org:{giver.id}"
    holder_id = await proxy_sql.holder(ctx.conn, poll.id, key)
    if holder_id is None:
        raise Conflict(f"{giver.name} has given no proxy in poll #{number}.")
    holder = await people_sql.get_person(ctx.conn, holder_id)
    if await proxy_sql.proxy_vote_cast(ctx.conn, poll.id, key):
        raise Conflict(f"{holder.display_name} has cast {giver.name}'s vote by proxy; it can "
                       "no longer be revoked.",
                       hint=f"Vote yourself: {giver.name}'s own vote overrides it.")
    await proxy_sql.revoke(ctx.conn, poll.id, key)
    return giver, holder
