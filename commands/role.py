"""`/role`: who does what, and who carries how much."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from coalition_bot.commands.args import Confirm, NoArgs
from coalition_bot.commands.spec import Arg, Command, Subcommand
from coalition_bot.model import Level, Org, Person
from coalition_bot.replies import CommandRef, Field, Reply, When, join
from coalition_bot.rules.text import quote_arg
from coalition_bot.services import confirm, meetings, roles
from coalition_bot.services.context import Context

__all__ = ["COMMAND"]

ROLE_MAX = 60


# Arguments that several subcommands share (see `spec.Arg`).
RoleName = Annotated[str, Arg("the role's name or #number", max_length=ROLE_MAX)]
User = Annotated[Person, Arg(
    "the person (mention them, or their name on the console)", max_length=80)]


@dataclass(frozen=True, slots=True)
class CreateArgs:
    name: Annotated[str, Arg("the role's name", max_length=ROLE_MAX)]
    description: Annotated[str | None, Arg("what it involves", max_length=300, rest=True)] = None


async def _create(ctx: Context, args: CreateArgs) -> Reply:
    role = await roles.create(ctx, args.name, args.description)
    return Reply(title=f"Role #{role.number}: {role.name}",
                 text=(role.description + "\n" if role.description else "")
                 + "Assign it with " + CommandRef(f"role assign \"{role.name}\" USER") + ".")


@dataclass(frozen=True, slots=True)
class AssignArgs:
    role: RoleName
    user: User
    org: Annotated[Org | None, Arg(
        "the organization they do it for", keyword_only=True, max_length=80)] = None


async def _assign(ctx: Context, args: AssignArgs) -> Reply:
    person, org = args.user, args.org
    role = await roles.assign(ctx, args.role, person, org)
    behalf = f" for {org.name}" if org else ""
    return Reply(text=f"{person.display_name} is now {role.name}{behalf}.")


@dataclass(frozen=True, slots=True)
class UnassignArgs:
    role: RoleName
    user: User


async def _unassign(ctx: Context, args: UnassignArgs) -> Reply:
    person = args.user
    role = await roles.unassign(ctx, args.role, person)
    return Reply(text=f"{person.display_name} is no longer {role.name}.")


@dataclass(frozen=True, slots=True)
class DeleteArgs:
    role: RoleName
    confirm: Confirm = None


async def _delete(ctx: Context, args: DeleteArgs) -> Reply:
    if not args.confirm:
        async with confirm.rehearsal(ctx):
            role, held = await roles.delete(ctx, args.role)
        whom = (f"{held} people hold it; none will" if held > 1 else
                "1 person holds it; they will not" if held else "Nobody holds it")
        return confirm.ask(f"Delete the role {role.name}?",
                           f"{whom}{' any more' if held else ''}, and the role and its "
                           "description are gone.", f"role delete {quote_arg(role.name)}",
                           f"Delete {role.name}")
    role, held = await roles.delete(ctx, args.role)
    who = f"; the {held} people who held it no longer do" if held > 1 else \
        ("; the person who held it no longer does" if held else "")
    return Reply(text=f"Role {role.name} removed{who}.")


async def _list(ctx: Context, args: NoArgs) -> Reply:
    found = await roles.roster(ctx)
    if not found:
        return Reply(title="Roles", text="None yet. A coordinator creates one with "
                                         + CommandRef("role create NAME [description]") + ".")
    fields = tuple(
        Field(f"#{role.number} {role.name}",
              (role.description + "\n" if role.description else "")
              + (", ".join(h.person.display_name for h in holders) or "nobody yet"))
        for role, holders in found)
    return Reply(title="Roles", fields=fields)


async def _mine(ctx: Context, args: NoArgs) -> Reply:
    me = ctx.caller.person.id
    held = [role.name for role, holders in await roles.roster(ctx)
            if any(h.person.id == me for h in holders)]
    actions = await meetings.action_list(ctx, "mine")
    tz = ctx.coalition.timezone
    lines = [f"#{n.action_number} {n.text}"
             + (" (due " + When(n.due_at, tz) + ")" if n.due_at else "") for n in actions]
    return Reply(private=True, title="What you carry", fields=(
        Field("Roles", ", ".join(held) or "none"),
        Field("Open action items", join("\n", lines) or "none")))


def _load_line(load: roles.Load) -> str:
    parts = [f"{len(load.roles)} role(s)"]
    if load.roles:
        parts[0] += f" ({', '.join(load.roles)})"
    parts.append(f"{load.open_actions} open action(s)")
    if load.overdue:
        parts.append(f"{load.overdue} overdue")
    flag = f"  ⚠ {load.flag}" if load.flag else ""
    return f"{load.name}: {', '.join(parts)}{flag}"


async def _workload(ctx: Context, args: NoArgs) -> Reply:
    w = await roles.workload(ctx)
    flagged = [x for x in w.people + w.orgs if x.flag]
    text = ("Uneven: " + "; ".join(f"{x.name} {x.flag}" for x in flagged) + "."
            if flagged else "No one stands out.")
    return Reply(title="Workload", text=text, fields=(
        Field("People", "\n".join(_load_line(p) for p in w.people) or "nobody carries "
                                                                       "anything yet"),
        Field("Organizations", "\n".join(_load_line(o) for o in w.orgs) or "none yet")))


COMMAND = Command(
    name="role",
    help="Clear roles and fair workloads: who does what for the coalition.",
    subcommands=(
        Subcommand(("create",), "Create a role.", Level.COORDINATOR, _create,
                   example='/role create "Press contact" Talks to journalists for the coalition'),
        Subcommand(("assign",), "Give someone a role, optionally on behalf of an organization.",
                   Level.COORDINATOR, _assign,
                   example='/role assign "Press contact" @maria org:"Tenants United"'),
        Subcommand(("unassign",), "Take a role from someone.", Level.COORDINATOR, _unassign),
        Subcommand(("delete",), "Remove a role the coalition no longer needs (and who held "
                   "it); it asks first.", Level.COORDINATOR, _delete,
                   example='/role delete "Press contact"'),
        Subcommand(("list",), "Every role and who holds it.", Level.MEMBER, _list),
        Subcommand(("mine",), "Your roles and open action items.", Level.MEMBER, _mine,
                   private=True),
        Subcommand(("workload",), "Roles and action items per person and organization; flags "
                   "anyone carrying more than twice the median, and organizations carrying "
                   "nothing.", Level.MEMBER, _workload),
    ),
)
