""""Are you sure?" for what cannot be undone: closing a poll short of its quorum,
removing an organization, deleting a role, removing a coordinator, casting an
anonymous vote.

Such a command without `confirm:yes` changes nothing and answers (privately) what it
would do, in numbers, with a button that carries the same command plus `confirm:yes`
(a button is a command: `replies.Button`); on the console one types that line. To say
exactly what would happen, and to refuse at once what would fail anyway, the act can be
rehearsed: run inside a savepoint and rolled back (`rehearsal`), notices included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from coalition_bot.model import Person
from coalition_bot.replies import Button, Reply
from coalition_bot.rules.text import quote_arg
from coalition_bot.services.context import Context

__all__ = ["ask", "person_arg", "rehearsal"]

CONFIRM_HINT = "Nothing has changed yet. Click the button, or run the command again with " \
               "`confirm:yes`."


@asynccontextmanager
async def rehearsal(ctx: Context) -> AsyncIterator[None]:
    """Run an act and undo it, in the command's transaction: it checks the act would
    work, and what it would do, without doing it."""
    notices, private = len(ctx.notices), len(ctx.private_notices)
    await ctx.conn.execute("SAVEPOINT rehearsal")
    try:
        yield
    finally:
        await ctx.conn.execute("ROLLBACK TO rehearsal")
        await ctx.conn.execute("RELEASE rehearsal")
        del ctx.notices[notices:]
        del ctx.private_notices[private:]


def ask(title: str, what: str, line: str, label: str) -> Reply:
    """The question: what would happen, and a button that runs `line confirm:yes`."""
    return Reply(private=True, title=title, text=f"{what}\n{CONFIRM_HINT}",
                 buttons=(Button(label, f"{line} confirm:yes", "danger"),))


def person_arg(person: Person) -> str:
    """A person as a USER value the grammar reads back: a mention on a chat platform,
    the name on the console."""
    if person.platform == "console":
        return quote_arg(person.display_name)
    return f"<@{person.platform_user_id}>"
