"""One command from any front door: parse, check, run in one transaction, answer.

    Invocation → grammar → (transaction: caller, permission, typed values, handler)
               → Outcome(reply for the caller, notices for home channels and people)

A `CoalitionError` becomes a private reply saying what was expected; anything else is
logged with its context and answered with a short apology. Either way the
transaction rolls back, so nothing half-written stays.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coalition_bot.clock import Clock
from coalition_bot.commands.args import build_args
from coalition_bot.commands.grammar import Parsed, bind, parse, resolve
from coalition_bot.commands.help import help_reply
from coalition_bot.commands.spec import Command, OptionType, Subcommand
from coalition_bot.errors import CoalitionError, NotSetUp, PermissionDenied, UsageError
from coalition_bot.model import Level
from coalition_bot.replies import CommandRef, Invocation, Notice, Reply, Text
from coalition_bot.rules.times import parse_date, parse_when
from coalition_bot.services.context import Context
from coalition_bot.services.deliveries import enqueue_notices
from coalition_bot.services.people import caller_for, find_org, find_user
from coalition_bot.services.site import Site
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import coordination
from coalition_bot.store import people as people_sql
from coalition_bot.store.database import Database

__all__ = ["Dispatcher", "Outcome", "error_reply"]

log = logging.getLogger(__name__)

APOLOGY = ("Sorry, something went wrong on my side and nothing was changed. "
           "The error was logged; please try again or tell a coordinator.")
_ARTICLE = {Level.COORDINATOR: "coordinators", Level.REPRESENTATIVE: "representatives",
            Level.MEMBER: "members"}


@dataclass(frozen=True, slots=True)
class Outcome:
    reply: Reply
    notices: tuple[Notice, ...] = ()  # queued for the outbox: home channels and people
    coalition_id: int | None = None  # whose data a successful command may have changed
    command: str = ""  # the command's words as parsed ("poll vote"), never its values
    result: str = "ok"  # ok | help | refused (bad input, permission) | busy | error
    coalition: int | None = None  # the caller's coalition, when one was found


@dataclass(slots=True)
class _Seen:
    """What the dispatcher learned about a command before it ended, for its log line."""

    command: str = ""
    coalition: int | None = None


LINES_KEPT = 512  # typed lines kept parsed and bound (`Dispatcher._parse`)
LINE_KEPT_MAX = 200  # characters: longer lines (free text) are parsed every time

BUSY = ("The database is busy: another program is using it, so nothing was changed; "
        "try again in a moment.")
FULL = ("The bot's disk is full, so nothing was changed (everything saved before is safe). "
        "Please tell whoever runs the bot, and try again once they have freed some space.")

DISK = ("The bot could not write to its disk (a disk I/O error: a file-size limit, or a "
        "failing disk), so nothing was changed. Please tell whoever runs the bot, and try "
        "again once they have fixed it.")


def _storage_trouble(error: Exception) -> str | None:
    """A clear sentence for the storage failures a person can act on, else None."""
    if not isinstance(error, sqlite3.OperationalError):
        return None
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return BUSY
    if "full" in text:
        return FULL
    if "disk i/o" in text:
        return DISK
    return None


def error_reply(error: CoalitionError) -> Reply:
    text = Text(error.message, "\n", error.hint) if error.hint else Text(error.message)
    return Reply(text=text, private=True, error=True, option=error.option)


class Dispatcher:
    """Runs invocations against the command specs, one transaction each."""

    def __init__(self, *, db: Database, commands: Mapping[str, Command], clock: Clock,
                 site: Site | None = None) -> None:
        self.db = db
        self.site = site if site is not None else Site()  # [web] base_url
        self.commands = commands
        self.clock = clock
        # typed lines lately parsed and bound: line -> (parsed, checked values), see `_parse`
        self._lines: dict[str, tuple[Parsed, dict[str, Any]]] = {}

    async def run(self, inv: Invocation) -> Outcome:
        """Answer one invocation. Never raises for anything a user can type."""
        seen = _Seen(command=self._known_name(inv))
        try:
            _refuse_broken_text(inv)
            parsed, values, typed = self._parse(inv)
            if parsed.command is not None:
                seen.command = " ".join([parsed.command.name,
                                         *([parsed.sub.words] if parsed.sub else [])])
            if parsed.help or parsed.sub is None:
                return Outcome(help_reply(self.commands, parsed.command, parsed.sub),
                               command=seen.command, result="help")
            assert parsed.command is not None
            if typed is None:
                typed = bind(parsed.command, parsed.sub, values)
                self._remember(inv, parsed, typed)
            # a copy: the dispatcher resolves TIME, USER and ORG values in place
            return await self._execute(inv, parsed.command, parsed.sub, dict(typed), seen)
        except CoalitionError as error:
            return Outcome(error_reply(error), command=seen.command, result="refused",
                           coalition=seen.coalition)
        except Exception as error:
            trouble = _storage_trouble(error)
            if trouble is not None:
                log.warning("command refused, storage: %s (platform=%s workspace=%s)", error,
                            inv.platform, inv.workspace_id)
                return Outcome(Reply(text=trouble, private=True, error=True),
                               command=seen.command, result="busy", coalition=seen.coalition)
            # never the line itself: it is the user's text (see ARCHITECTURE.md, "log")
            log.exception("command failed: %s platform=%s workspace=%s user=%s",
                          seen.command or "?", inv.platform, inv.workspace_id, inv.user_id)
            return Outcome(Reply(text=APOLOGY, private=True, error=True),
                           command=seen.command, result="error", coalition=seen.coalition)

    def _known_name(self, inv: Invocation) -> str:
        """The command's name when it is one of ours, for a command that fails to parse;
        a name from the specs only, never what the user typed."""
        words = inv.line.split(maxsplit=1) if inv.args is None else [inv.command]
        first = words[0].lstrip("/").lower() if words else ""
        return first if first in self.commands else ""

    def _parse(self, inv: Invocation) -> tuple[Parsed, Mapping[str, str], dict[str, Any] | None]:
        """The command matched, its raw values, and their checked values (`bind`) when
        this very line was parsed and bound lately (else None). The grammar is a pure
        function of the line, and parsing and binding a typed line again was a tenth of
        a vote's Python (bench/votes_throughput.py)."""
        if inv.args is not None:
            return resolve(self.commands, inv.command, inv.path), inv.args, None
        known = self._lines.get(inv.line)
        if known is not None:
            return known[0], known[0].values, known[1]
        parsed = parse(inv.line, self.commands)
        return parsed, parsed.values, None

    def _remember(self, inv: Invocation, parsed: Parsed, typed: dict[str, Any]) -> None:
        """Keep a typed line that parsed and bound (at most `LINES_KEPT`, oldest out)."""
        if inv.args is not None or len(inv.line) > LINE_KEPT_MAX:
            return
        if len(self._lines) >= LINES_KEPT:
            del self._lines[next(iter(self._lines))]
        self._lines[inv.line] = (parsed, typed)

    async def _execute(self, inv: Invocation, command: Command, sub: Subcommand,
                       typed: dict[str, Any], seen: _Seen) -> Outcome:
        async with self.db.transaction() as conn:
            ctx = Context(conn=conn, invocation=inv, now=self.clock(), site=self.site)
            bound = await coalition_sql.find_bound_coalition(conn, inv.platform,
                                                             inv.workspace_id)
            if bound is not None:
                ctx.binding, ctx.coalition_record = bound
                seen.coalition = ctx.coalition_record.id
                ctx.caller_record = await caller_for(ctx)
            await self._check_level(ctx, command, sub)
            await _resolve_values(ctx, sub, typed)
            reply = await sub.handler(ctx, build_args(sub.handler, typed))
            # into the outbox, in this transaction: sent after the commit
            if ctx.notices or ctx.private_notices:
                await enqueue_notices(conn, ctx.notices, ctx.now, private=ctx.private_notices)
            if ctx.coalition_record is not None:  # other processes re-plan it on commit
                await coordination.announce_plan(conn, ctx.coalition_record.id)
        reply = await _draw_files(reply)  # after the transaction: nobody waits for it
        if sub.private and not reply.private:
            reply = dataclasses.replace(reply, private=True)
        changed = ctx.coalition_record.id if ctx.coalition_record else None
        queued = (*ctx.notices, *(n for _, n in ctx.private_notices))
        return Outcome(reply, queued, changed, command=seen.command,
                       result="refused" if reply.error else "ok", coalition=changed)

    async def _check_level(self, ctx: Context, command: Command, sub: Subcommand) -> None:
        if sub.level is Level.ANYONE:
            return
        if ctx.caller_record is None:
            raise NotSetUp(
                "There is no coalition here yet.",
                hint="A coordinator starts one with "
                     + CommandRef("coalition setup NAME [timezone]") + ".")
        if ctx.caller.level >= sub.level:
            return
        coordinator_ids = await coalition_sql.coordinator_ids(ctx.conn, ctx.coalition.id)
        names = [(await people_sql.get_person(ctx.conn, pid)).display_name
                 for pid in sorted(coordinator_ids)]
        raise PermissionDenied(
            f"`/{command.name} {sub.words}` is for {_ARTICLE[sub.level]}; "
            f"you are a {ctx.caller.level.label} here.",
            hint=f"Ask a coordinator ({', '.join(names)})." if names else "")


async def _draw_files(reply: Reply) -> Reply:
    """The reply with the files its handler left to draw (`Attachment.draw`: a chart)
    drawn, each in a worker thread: the event loop goes on meanwhile, and the database,
    whose transaction is over, serves other commands."""
    if not any(f.draw is not None for f in reply.files):
        return reply
    files = [dataclasses.replace(f, data=await asyncio.to_thread(f.draw), draw=None)
             if f.draw is not None else f for f in reply.files]
    return dataclasses.replace(reply, files=tuple(files))


async def _resolve_values(ctx: Context, sub: Subcommand, typed: dict[str, Any]) -> None:
    """Turn TIME, DATE, USER and ORG values into times and records of the caller's coalition."""
    for option in sub.options:
        raw = typed.get(option.name)
        if raw is None:
            continue
        try:
            if option.type is OptionType.USER:
                typed[option.name] = await find_user(ctx, raw)
            elif option.type is OptionType.ORG:
                typed[option.name] = await find_org(ctx, raw)
            elif option.type is OptionType.TIME:
                typed[option.name] = parse_when(raw, ctx.coalition.timezone, ctx.now)
            elif option.type is OptionType.DATE:
                typed[option.name] = parse_date(raw, ctx.coalition.timezone, ctx.now)
        except CoalitionError as error:
            error.option = error.option or option.name  # a form shows it under that input
            raise


def _refuse_broken_text(inv: Invocation) -> None:
    """Bytes that were not UTF-8 (a terminal in another encoding: Python hands them on
    as lone surrogates), or lone surrogates a JSON payload spelled out, cannot be stored
    or shown: refuse them as bad input, before anything else reads them."""
    texts = [inv.line, *(inv.args or {}).values()]
    if any(_broken(text) for text in texts):
        raise UsageError("The command has characters that are not valid text (bytes that "
                         "are not UTF-8, or a lone surrogate); nothing was changed.",
                         hint="Type it again in plain text (check your terminal's encoding "
                              "is UTF-8).")
    if _broken(inv.user_name) or any(_broken(n) for n in inv.user_names.values()):
        raise UsageError("A name in this command (yours, or one mentioned) has characters "
                         "that are not valid text; nothing was changed.",
                         hint="Use a name in plain text (on the console: /as NAME).")


def _broken(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
