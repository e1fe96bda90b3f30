"""Who is who: the caller's standing, and names or mentions turned into people and orgs.

In detail:

- **People** are per coalition and platform (`person(coalition, platform, user id)`),
  so the same Discord user in two guilds is two people in two coalitions. On the
  console a person is their name (case-folded); on Slack and Discord a USER value is a
  mention, resolved to an id, with the display name the platform gave.
- **Permissions** are declared once, on the spec (`Subcommand.level`), and enforced by the
  dispatcher for every front door; finer rules (who may vote for which organization) live
  in the services that need them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from coalition_bot.errors import NotFound, UsageError
from coalition_bot.model import Level, Org, Person
from coalition_bot.replies import CommandRef
from coalition_bot.rules.text import clean_line, name_key
from coalition_bot.rules.times import format_local
from coalition_bot.services.context import Caller, Context
from coalition_bot.store import orgs as org_sql
from coalition_bot.store import people as people_sql

__all__ = ["caller_for", "find_org", "find_user", "standing"]

# <@U123>, <@U123|name> (Slack), <@123>, <@!123> (Discord)
_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")
_ORG_NUMBER = re.compile(r"#([0-9]{1,9})")
CONSOLE = "console"


async def standing(ctx: Context, person: Person) -> Caller:
    """A person's level in their coalition and the organizations they represent."""
    coordinator, represented = await people_sql.standing(ctx.conn, person)
    return _caller(person, coordinator, represented)


def _caller(person: Person, coordinator: bool, represented: list[int]) -> Caller:
    org_ids = tuple(represented)
    if coordinator:
        level = Level.COORDINATOR
    elif org_ids:
        level = Level.REPRESENTATIVE
    else:
        level = Level.MEMBER
    return Caller(person, level, org_ids)


async def caller_for(ctx: Context) -> Caller:
    """The invoking user as a person of the coalition (created on first sight)."""
    inv = ctx.invocation
    name = clean_line(inv.user_name) or None
    known = await people_sql.find_caller(ctx.conn, ctx.coalition.id, inv.platform, inv.user_id)
    if known is not None:  # the usual case, every command: one statement
        person, coordinator, represented = known
        if person.left_at is None and (name is None or person.display_name == name):
            return _caller(person, coordinator, represented)
    person = await people_sql.ensure_person(ctx.conn, ctx.coalition.id, inv.platform,
                                            inv.user_id, name, ctx.now)
    if person.left_at is not None:  # a coordinator removed them; they are back
        await people_sql.set_left(ctx.conn, person.id, None)
        person = replace(person, left_at=None)
    return await standing(ctx, person)


def console_user_id(name: str) -> str:
    """On the console a person is their name: `Alice` and `alice` are one person."""
    return name_key(name.lstrip("@"))


async def find_user(ctx: Context, raw: str) -> Person:
    """A USER option's value (a mention, or on the console a name) as a person.

    Someone mentioned for the first time gets a person record, so a coordinator can
    make them a representative before they have ever used the bot.
    """
    inv = ctx.invocation
    mention = _MENTION.match(raw.strip())
    if mention:
        user_id = mention[1]
        name = inv.user_names.get(user_id)
        return await people_sql.ensure_person(ctx.conn, ctx.coalition.id, inv.platform,
                                              user_id, name, ctx.now)
    name = clean_line(raw.lstrip("@"))
    if not name:
        raise UsageError("USER must name a person, for example @alice.")
    if inv.platform == CONSOLE:
        user_id = console_user_id(name)
        known = await people_sql.find_person(ctx.conn, ctx.coalition.id, CONSOLE, user_id)
        return known or await people_sql.ensure_person(ctx.conn, ctx.coalition.id, CONSOLE,
                                                       user_id, name, ctx.now)
    matches = await people_sql.people_by_name(ctx.conn, ctx.coalition.id, name)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(f"I don't know anyone called `{name}` in this coalition yet.",
                       hint="Mention them with @ so I can tell who you mean.")
    raise UsageError(f"Several people here are called `{name}`.",
                     hint="Mention the one you mean with @.")


async def find_org(ctx: Context, raw: str) -> Org:
    """An ORG option's value (`#2` or a name, any case) as an organization."""
    coalition_id = ctx.coalition.id
    text = raw.strip()
    org: Org | None
    number = _ORG_NUMBER.fullmatch(text)
    if number:
        org = await org_sql.find_org_by_number(ctx.conn, coalition_id, int(number[1]))
    else:
        org = await org_sql.find_org_by_name(ctx.conn, coalition_id, name_key(text))
    if org is not None and org.left_at is not None:
        since = format_local(org.left_at, ctx.coalition.timezone).split(",")[0]
        raise NotFound(f"{org.name} left the coalition ({since}).",
                       hint="A coordinator brings it back with "
                            + CommandRef(f"coalition org add \"{org.name}\"") + ".")
    if org is not None:
        return org
    known = await org_sql.list_orgs(ctx.conn, coalition_id)
    names = ", ".join(o.name for o in known) or "none yet"
    raise NotFound(f"There is no organization `{text}` in this coalition.",
                   hint=f"Organizations: {names}. A coordinator adds one with "
                        + CommandRef("coalition org add NAME") + ".")
