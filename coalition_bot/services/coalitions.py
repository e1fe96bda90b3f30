"""Setting a coalition up and keeping its membership: orgs, representatives, coordinators."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from coalition_bot.errors import Conflict, NotFound, UsageError
from coalition_bot.model import Binding, Coalition, Occurrence, Org, Person
from coalition_bot.replies import CommandRef, Notice
from coalition_bot.rules.text import clean_line, lookalike_key, name_key
from coalition_bot.services import decision_log
from coalition_bot.services.context import Context
from coalition_bot.services.meetings import next_occurrence
from coalition_bot.services.people import caller_for
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import goals as goal_sql
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import orgs as org_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store import polls as poll_sql

__all__ = [
    "Overview",
    "add_coordinator",
    "add_org",
    "add_representative",
    "connect",
    "coordinators",
    "disconnect",
    "join_org",
    "new_link_code",
    "org_roster",
    "overview",
    "remove_coordinator",
    "remove_member",
    "remove_org",
    "remove_representative",
    "set_home",
    "setup",
    "update",
    "workspaces",
]


def _name(text: str, what: str) -> str:
    name = clean_line(text)
    if not name:
        raise UsageError(f"The {what} needs a name.")
    return name


def _unbound(ctx: Context) -> None:
    if ctx.coalition_record is not None:
        raise Conflict(f"This workspace already belongs to the coalition "
                       f"`{ctx.coalition_record.name}`.",
                       hint="See it with " + CommandRef("coalition info") + ".")


async def _bind_caller(ctx: Context, coalition_id: int) -> tuple[int, Person]:
    """Bind the caller's workspace to a coalition (home: the caller's channel) and make
    the caller one of its coordinators: the binding's id and the caller."""
    inv = ctx.invocation
    binding_id = await coalition_sql.add_binding(ctx.conn, coalition_id, inv.platform,
                                                 inv.workspace_id, inv.channel_id or None,
                                                 ctx.now)
    ctx.coalition_record = await coalition_sql.get_coalition(ctx.conn, coalition_id)
    caller = await caller_for(ctx)
    await coalition_sql.add_coordinator(ctx.conn, coalition_id, caller.person.id, None, ctx.now)
    await _log_person(ctx, "coordinator-added", caller.person, coalition_id)
    return binding_id, caller.person


async def _log_person(ctx: Context, kind: str, person: Person,
                      coalition_id: int | None = None) -> None:
    """A coordinator added or removed, as an entry of the decision log's chain."""
    by = ctx.caller_record.person.display_name if ctx.caller_record else person.display_name
    await decision_log.append(ctx.conn, coalition_id or ctx.coalition.id, kind,
                              {"person": person.display_name, "person_id": person.id,
                               "platform": person.platform, "by": by}, ctx.now)


async def setup(ctx: Context, name: str, timezone: str) -> Coalition:
    """Create a coalition bound to the caller's workspace; the caller becomes coordinator."""
    _unbound(ctx)
    coalition_id = await coalition_sql.create_coalition(ctx.conn, _name(name, "coalition"),
                                                        timezone, ctx.now)
    _, person = await _bind_caller(ctx, coalition_id)
    await coalition_sql.set_creator(ctx.conn, coalition_id, person.id)
    return await coalition_sql.get_coalition(ctx.conn, coalition_id)


@dataclass(frozen=True, slots=True)
class Changed:
    """What `/coalition update` changed, and each meeting's next date (they keep theirs)."""

    before: Coalition
    after: Coalition
    meetings: tuple[Occurrence, ...]


async def update(ctx: Context, name: str | None, timezone: str | None) -> Changed:
    """Rename the coalition or change its time zone. Meetings keep their own zone and
    local times (each stores both), so nothing already planned moves."""
    before = ctx.coalition
    if name is None and timezone is None:
        raise UsageError("Say what to change: name: or timezone:.",
                         hint="For example "
                              + CommandRef("coalition update timezone:America/Chicago") + ".")
    new_name = before.name if name is None else _name(name, "coalition")
    new_zone = timezone or before.timezone
    await coalition_sql.update_coalition(ctx.conn, before.id, new_name, new_zone)
    ctx.coalition_record = after = await coalition_sql.get_coalition(ctx.conn, before.id)
    coming = []
    for meeting in await meeting_sql.list_meetings(ctx.conn, before.id):
        occ = await next_occurrence(ctx.conn, meeting, ctx.now)
        if occ is not None:
            coming.append(occ)
    return Changed(before, after, tuple(coming))


LINK_LIFETIME = timedelta(hours=24)
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud safely
_CODE_LENGTH = 12


def _code_hash(code: str) -> str:
    plain = re.sub(r"[\s-]", "", code).upper()
    return hashlib.sha256(plain.encode()).hexdigest()


async def new_link_code(ctx: Context) -> tuple[str, datetime]:
    """A one-time code that connects another workspace to this coalition, and until
    when it works. Only its hash is stored."""
    plain = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    code = "-".join(plain[i:i + 4] for i in range(0, _CODE_LENGTH, 4))
    expires = ctx.now + LINK_LIFETIME
    await coalition_sql.add_link_code(ctx.conn, ctx.coalition.id, _code_hash(code),
                                      ctx.caller.person.id, ctx.now, expires)
    return code, expires


async def connect(ctx: Context, code: str) -> Person:
    """Bind the caller's workspace to the coalition a link code was made for (its home
    channel: the caller's channel); the caller becomes a coordinator there."""
    _unbound(ctx)
    hashed = _code_hash(code)
    coalition_id = await coalition_sql.use_link_code(ctx.conn, hashed, ctx.now)
    if coalition_id is None:
        raise NotFound("That link code does not work: it is mistyped, used already, or "
                       f"older than {LINK_LIFETIME.days * 24} hours.",
                       hint="Ask a coordinator of the coalition for a new one: "
                            + CommandRef("coalition link") + ".")
    binding_id, person = await _bind_caller(ctx, coalition_id)
    await coalition_sql.set_link_binding(ctx.conn, hashed, binding_id)
    return person


@dataclass(frozen=True, slots=True)
class Roster:
    org: Org
    representatives: tuple[Person, ...]
    waiting: tuple[Person, ...] = ()  # said they are with it (`join`), not confirmed yet


async def org_roster(ctx: Context) -> list[Roster]:
    """Every organization with its representatives and who asked to join it, in number
    order."""
    reps = await people_sql.representatives(ctx.conn, ctx.coalition.id)
    waiting = await people_sql.pending_joiners(ctx.conn, ctx.coalition.id)
    orgs = await org_sql.list_orgs(ctx.conn, ctx.coalition.id)
    return [Roster(o, tuple(reps.get(o.id, ())), tuple(waiting.get(o.id, ()))) for o in orgs]


@dataclass(frozen=True, slots=True)
class Overview:
    coalition: Coalition
    creator: Person | None
    bindings: tuple[Binding, ...]
    coordinators: tuple[Person, ...]
    roster: tuple[Roster, ...]
    goal_counts: dict[str, int]


async def overview(ctx: Context) -> Overview:
    """What `/coalition info` shows."""
    coalition = ctx.coalition
    conn = ctx.conn
    coordinator_ids = await coalition_sql.coordinator_ids(conn, coalition.id)
    coordinators = [await people_sql.get_person(conn, pid) for pid in sorted(coordinator_ids)]
    creator = (await people_sql.get_person(conn, coalition.created_by)
               if coalition.created_by else None)
    counts: dict[str, int] = {}
    for goal in await goal_sql.list_goals(conn, coalition.id):
        counts[goal.status] = counts.get(goal.status, 0) + 1
    return Overview(coalition, creator,
                    tuple(await coalition_sql.bindings(conn, coalition.id)),
                    tuple(coordinators), tuple(await org_roster(ctx)), counts)


async def workspaces(ctx: Context) -> list[Binding]:
    """The workspaces of the coalition, in the order they joined (numbered from 1)."""
    return await coalition_sql.bindings(ctx.conn, ctx.coalition.id)


async def disconnect(ctx: Context, position: int) -> Binding:
    """Take a workspace (by its place in `workspaces`) out of the coalition: its channels
    get no more notices and commands there find no coalition. Not the caller's own."""
    bound = await workspaces(ctx)
    if not 1 <= position <= len(bound):
        raise NotFound(f"There is no workspace #{position} in this coalition.",
                       hint="See them with " + CommandRef("coalition workspaces") + ".")
    binding = bound[position - 1]
    here = ctx.binding
    if here is not None and binding.id == here.id:
        raise Conflict("That is this workspace; disconnect it from another one.",
                       hint="A coalition always keeps the workspace a coordinator is in.")
    await coalition_sql.remove_binding(ctx.conn, binding.id)
    return binding


async def set_home(ctx: Context) -> bool:
    """Make the caller's channel the home channel of their workspace's binding (where
    reminders, results and decisions are posted); False if it already was."""
    binding = ctx.binding
    channel = ctx.invocation.channel_id
    if binding is None:  # a coalition record without a binding is never built
        raise UsageError("There is no coalition here yet.")
    if not channel:
        raise UsageError("Run this in the channel that should become the home channel.")
    if binding.home_channel_id == channel:
        return False
    await coalition_sql.set_home_channel(ctx.conn, binding.id, channel)
    return True


async def add_org(ctx: Context, name: str, observer: bool) -> tuple[Org, bool]:
    """Register a partner organization (an observer takes part but does not vote), or
    bring back one that left (same number); the org, and whether it came back."""
    clean = _name(name, "organization")
    if re.fullmatch(r"#?[0-9]+", clean):
        raise UsageError(f"`{clean}` looks like a number; an organization needs a name.",
                         hint="Numbers like #2 refer to organizations already added.")
    key = name_key(clean)
    existing = await org_sql.find_org_by_name(ctx.conn, ctx.coalition.id, key)
    if existing is not None and existing.left_at is not None:
        back = await org_sql.rejoin(ctx.conn, existing.id, observer)
        await _log_org(ctx, back, rejoined=True)
        return back, True
    if existing is not None:
        raise Conflict(f"`{existing.name}` is already organization #{existing.number}.")
    looks = lookalike_key(clean)
    for other in await org_sql.list_orgs(ctx.conn, ctx.coalition.id):
        if lookalike_key(other.name) == looks:
            raise Conflict(
                f"`{clean}` looks the same as organization #{other.number} `{other.name}` "
                "but is spelled with letters of another alphabet.",
                hint="Type the name with the letters of one alphabet, or use "
                     f"#{other.number} to mean that organization.")
    org = await org_sql.add_org(ctx.conn, ctx.coalition.id, clean, key, observer, ctx.now)
    await _log_org(ctx, org, rejoined=False)
    return org, False


async def _log_org(ctx: Context, org: Org, *, rejoined: bool) -> None:
    await decision_log.append(ctx.conn, ctx.coalition.id, "org-added",
                              {"org": org.number, "name": org.name, "observer": org.observer,
                               "rejoined": rejoined,
                               "by": ctx.caller.person.display_name}, ctx.now)


async def remove_org(ctx: Context, org: Org) -> int:
    """An organization leaves the coalition: it keeps its number and its place in past
    decisions, but no longer votes or counts toward any quorum, and its representatives
    stop representing it. It changes who decides, so it is logged and every home channel
    is told. Returns how many representatives it had."""
    reps = (await people_sql.representatives(ctx.conn, ctx.coalition.id)).get(org.id, [])
    await org_sql.set_left(ctx.conn, org.id, ctx.now)
    for rep in reps:  # they stop representing it; nobody is left waiting to join it
        if rep.org_id == org.id:
            await people_sql.set_declared_org(ctx.conn, rep.id, None)
    who = ctx.caller.person.display_name
    number = await poll_sql.add_record(
        ctx.conn, ctx.coalition.id, question=f"{org.name} leaves the coalition",
        outcome="left", summary=f"Organization #{org.number} {org.name} left; recorded by "
                                f"{who}.", decided_by=who, now=ctx.now)
    ctx.notify(Notice(ctx.coalition.id, f"{org.name} left the coalition",
                      f"Recorded by {who} (decision #{number} in the log). It no longer "
                      "votes or counts toward any quorum, open polls included; a "
                      "coordinator brings it back with "
                      + CommandRef(f"coalition org add \"{org.name}\"") + "."
                      + decision_log.footer(await decision_log.seal(ctx.conn,
                                                                    ctx.coalition.id))))
    return len(reps)


async def add_representative(ctx: Context, person: Person, org: Org) -> bool:
    """Empower a person to decide for an organization; False if they already could."""
    added = await people_sql.add_representative(ctx.conn, org.id, person.id,
                                                ctx.caller.person.id, ctx.now)
    if person.org_id is None:
        await people_sql.set_declared_org(ctx.conn, person.id, org.id)
    return added


async def remove_representative(ctx: Context, person: Person, org: Org) -> int:
    """A person stops representing an organization (their past votes stay counted).
    Returns how many representatives the organization has left."""
    if not await people_sql.remove_representative(ctx.conn, org.id, person.id):
        raise NotFound(f"{person.display_name} does not represent {org.name}.",
                       hint="See who represents whom with " + CommandRef("coalition org list")
                            + ".")
    if person.org_id == org.id:  # no longer with it: not someone waiting to join it
        await people_sql.set_declared_org(ctx.conn, person.id, None)
    reps = await people_sql.representatives(ctx.conn, ctx.coalition.id)
    return len(reps.get(org.id, ()))


async def join_org(ctx: Context, org: Org) -> bool:
    """The caller declares their organization. False if they already represent it."""
    caller = ctx.caller
    await people_sql.set_declared_org(ctx.conn, caller.person.id, org.id)
    if org.id in caller.org_ids:
        return False
    name = caller.person.display_name
    for coordinator in await coordinators(ctx):  # they decide; tell them privately
        ctx.notify_person(coordinator, Notice(
            ctx.coalition.id, f"{name} asks to represent {org.name}",
            f"{name} says they are with {org.name}. If so, make them a representative "
            f"with `/coalition rep add @{name} \"{org.name}\"`; `/coalition org list` "
            "shows who is waiting."))
    return True


PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "the console"}


async def _keep_a_coordinator_everywhere(ctx: Context, leaving: Person) -> None:
    """Refuse a step that would leave a workspace the coalition is bound to without a
    coordinator who can act there (people are per platform, so: per bound platform)."""
    ids = await coalition_sql.coordinator_ids(ctx.conn, ctx.coalition.id)
    if leaving.id not in ids:
        return
    others = [await people_sql.get_person(ctx.conn, pid) for pid in sorted(ids - {leaving.id})]
    if not others:
        raise Conflict(f"{leaving.display_name} is the only coordinator; a coalition needs one.",
                       hint="Make someone else coordinator first with "
                            + CommandRef("coalition coordinator add USER") + ".")
    bound = {b.platform for b in await coalition_sql.bindings(ctx.conn, ctx.coalition.id)}
    if leaving.platform in bound and all(p.platform != leaving.platform for p in others):
        where = PLATFORM_NAMES.get(leaving.platform, leaving.platform)
        raise Conflict(
            f"{leaving.display_name} is the last coordinator on {where}; without them nobody "
            f"there could add a coordinator or manage the coalition.",
            hint=f"Make someone on {where} a coordinator first with "
                 + CommandRef("coalition coordinator add USER")
                 + ", or take that workspace out with " + CommandRef("coalition disconnect") + ".")


async def coordinators(ctx: Context) -> list[Person]:
    """The coalition's coordinators, oldest person first."""
    ids = await coalition_sql.coordinator_ids(ctx.conn, ctx.coalition.id)
    return [await people_sql.get_person(ctx.conn, pid) for pid in sorted(ids)]


async def remove_coordinator(ctx: Context, person: Person) -> None:
    """A person stops being a coordinator; every workspace of the coalition keeps one."""
    coordinators = await coalition_sql.coordinator_ids(ctx.conn, ctx.coalition.id)
    if person.id not in coordinators:
        raise NotFound(f"{person.display_name} is not a coordinator.",
                       hint=CommandRef("coalition info") + " lists the coordinators.")
    await _keep_a_coordinator_everywhere(ctx, person)
    await coalition_sql.remove_coordinator(ctx.conn, ctx.coalition.id, person.id)
    await _log_person(ctx, "coordinator-removed", person)


@dataclass(frozen=True, slots=True)
class Removed:
    was_coordinator: bool
    organizations: int  # how many organizations they stopped representing
    polls: int  # open polls whose electorate they left


async def remove_member(ctx: Context, person: Person) -> Removed:
    """A person left the coalition: no roles, out of the electorate of every open poll
    they have not voted in (votes cast stay counted), in none opened later. If they use
    the bot again they are a member again, for polls opened from then on."""
    if person.left_at is not None:
        raise Conflict(f"{person.display_name} was removed already.")
    await _keep_a_coordinator_everywhere(ctx, person)
    coordinator, reps = await people_sql.remove_roles(ctx.conn, ctx.coalition.id, person.id)
    await people_sql.set_left(ctx.conn, person.id, ctx.now)
    polls = await poll_sql.drop_elector(ctx.conn, ctx.coalition.id, f"person:{person.id}")
    if coordinator:
        await _log_person(ctx, "coordinator-removed", person)
    return Removed(bool(coordinator), reps, polls)


async def add_coordinator(ctx: Context, person: Person) -> bool:
    """Make a person a coordinator (an entry of the decision log); False if they already
    were."""
    added = await coalition_sql.add_coordinator(ctx.conn, ctx.coalition.id, person.id,
                                                ctx.caller.person.id, ctx.now)
    if added:
        await _log_person(ctx, "coordinator-added", person)
    return added
