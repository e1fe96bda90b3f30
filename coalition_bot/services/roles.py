"""Roles (who does what) and workloads (who carries how much)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from coalition_bot.errors import Conflict, NotFound, UsageError
from coalition_bot.model import Note, Org, Person, Role, RoleHolder
from coalition_bot.replies import CommandRef
from coalition_bot.rules.text import clean_line, name_key
from coalition_bot.rules.workload import idle, overloaded
from coalition_bot.services.context import Context
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import orgs as org_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store import roles as role_sql

__all__ = [
    "Load", "Workload", "assign", "create", "delete", "get_role", "roster", "unassign",
    "workload",
]


async def create(ctx: Context, name: str, description: str | None) -> Role:
    clean = clean_line(name)
    if not clean:
        raise UsageError("The role needs a name.")
    if await role_sql.find_role(ctx.conn, ctx.coalition.id, name_key=name_key(clean)):
        raise Conflict(f"There is already a role called `{clean}`.")
    return await role_sql.create_role(ctx.conn, ctx.coalition.id, clean, name_key(clean),
                                      clean_line(description or ""), ctx.now)


async def get_role(ctx: Context, raw: str) -> Role:
    """A role by name (any case) or `#N`."""
    text = raw.strip()
    match = re.fullmatch(r"#([0-9]{1,9})", text)
    number = int(match[1]) if match else None
    role = await role_sql.find_role(ctx.conn, ctx.coalition.id, name_key=name_key(text),
                                    number=number)
    if role is None:
        names = ", ".join(r.name for r in await role_sql.list_roles(ctx.conn, ctx.coalition.id))
        raise NotFound(f"There is no role `{text}` in this coalition.",
                       hint=f"Roles: {names or 'none yet'}. A coordinator creates one with "
                            + CommandRef("role create NAME") + ".")
    return role


async def assign(ctx: Context, role_name: str, person: Person, org: Org | None) -> Role:
    role = await get_role(ctx, role_name)
    if not await role_sql.add_holder(ctx.conn, role.id, person.id, org.id if org else None,
                                     ctx.caller.person.id, ctx.now):
        raise Conflict(f"{person.display_name} already holds the role {role.name}.")
    return role


async def unassign(ctx: Context, role_name: str, person: Person) -> Role:
    role = await get_role(ctx, role_name)
    if not await role_sql.remove_holder(ctx.conn, role.id, person.id):
        raise Conflict(f"{person.display_name} does not hold the role {role.name}.")
    return role


async def delete(ctx: Context, role_name: str) -> tuple[Role, int]:
    """Remove a role the coalition no longer needs; the role, and how many held it."""
    role = await get_role(ctx, role_name)
    count = sum(1 for h in await role_sql.holders(ctx.conn, ctx.coalition.id)
                if h.role.id == role.id)
    await role_sql.delete_role(ctx.conn, role.id)
    return role, count


async def roster(ctx: Context) -> list[tuple[Role, list[RoleHolder]]]:
    """Every role with its holders."""
    held = await role_sql.holders(ctx.conn, ctx.coalition.id)
    return [(r, [h for h in held if h.role.id == r.id])
            for r in await role_sql.list_roles(ctx.conn, ctx.coalition.id)]


@dataclass(slots=True)
class Load:
    name: str
    roles: list[str] = field(default_factory=list)
    open_actions: int = 0
    overdue: int = 0
    flag: str = ""  # why this load stands out, if it does

    @property
    def total(self) -> int:
        return len(self.roles) + self.open_actions


@dataclass(frozen=True, slots=True)
class Workload:
    people: list[Load]
    orgs: list[Load]


async def _org_of(ctx: Context, person_id: int, cache: dict[int, int | None]) -> int | None:
    if person_id not in cache:
        represented = await people_sql.represented_org_ids(ctx.conn, person_id)
        person = await people_sql.get_person(ctx.conn, person_id)
        cache[person_id] = represented[0] if represented else person.org_id
    return cache[person_id]


async def workload(ctx: Context) -> Workload:
    """Roles and open / overdue action items per person and per organization, with anyone
    carrying more than twice the median flagged, and organizations carrying nothing."""
    people: dict[int, Load] = {}
    orgs: dict[int, Load] = {o.id: Load(o.name)
                             for o in await org_sql.list_orgs(ctx.conn, ctx.coalition.id)}
    org_cache: dict[int, int | None] = {}
    for holder in await role_sql.holders(ctx.conn, ctx.coalition.id):
        load = people.setdefault(holder.person.id, Load(holder.person.display_name))
        load.roles.append(holder.role.name)
        org_id = holder.org_id or await _org_of(ctx, holder.person.id, org_cache)
        if org_id in orgs:
            orgs[org_id].roles.append(holder.role.name)
    actions: list[Note] = await meeting_sql.actions(ctx.conn, ctx.coalition.id, open_only=True)
    for note in actions:
        if note.owner_id is None:
            continue
        load = people.setdefault(note.owner_id, Load(note.owner_name or "?"))
        overdue = note.due_at is not None and note.due_at < ctx.now
        load.open_actions += 1
        load.overdue += overdue
        org_id = await _org_of(ctx, note.owner_id, org_cache)
        if org_id in orgs:
            orgs[org_id].open_actions += 1
            orgs[org_id].overdue += overdue
    for pid in overloaded({pid: load.total for pid, load in people.items()}):
        people[pid].flag = "more than twice the median load"
    for oid in idle({oid: load.total for oid, load in orgs.items()}):
        orgs[oid].flag = "carries nothing"
    return Workload(sorted(people.values(), key=lambda x: (-x.total, x.name)),
                    sorted(orgs.values(), key=lambda x: (-x.total, x.name)))
