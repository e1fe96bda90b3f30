"""The life of a proposal after it opens: edit, withdraw, and the written outcome.

- **Edit** (`/poll edit #N`): the question and details while nobody has voted; once
  someone has, only the details, and the change is announced in the home channels
  (a vote was cast on the text before it, and voters should see what changed).
- **Withdraw** (`/poll withdraw #N [reason]`): an open poll leaves the open list, takes
  no more votes and is never counted as an outcome: its status is `closed` with
  `withdrawn_at` set and no decision row. It is an entry of the decision log's chain
  (`poll-withdrawn`) and announced with the log's head.
- **Outcome** (`/poll outcome #N TEXT`), after a close: what was agreed and who does
  what next. Kept on the poll (`outcome_text`, shown in the log and the exports), an
  entry of the chain (`poll-outcome`, so a later rewrite shows), posted to the home
  channels. Writing it again replaces it, and that is chained too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from coalition_bot.errors import Conflict, UsageError
from coalition_bot.model import Poll
from coalition_bot.replies import Field, Notice
from coalition_bot.rules.text import clean_line
from coalition_bot.rules.times import format_local
from coalition_bot.services import decision_log
from coalition_bot.services.context import Context
from coalition_bot.services.polls import clean_details, get_poll
from coalition_bot.store import polls as poll_sql

__all__ = ["Edited", "edit", "set_outcome", "withdraw"]

OUTCOME_MAX = 1500


def _open(ctx: Context, poll: Poll, verb: str) -> None:
    if not poll.accepts_votes(ctx.now):
        when = format_local(poll.closed_at or poll.closes_at, ctx.coalition.timezone)
        raise Conflict(f"Poll #{poll.number} closed on {when}; it can no longer be {verb}.",
                       hint=f"See it with `/poll status #{poll.number}`.")


@dataclass(frozen=True, slots=True)
class Edited:
    poll: Poll
    votes: int  # cast before the edit
    announced: bool


async def edit(ctx: Context, number: int, question: str | None,
               details: str | None) -> Edited:
    """Change an open poll's question and details (only the details once anyone voted)."""
    poll = await get_poll(ctx.conn, ctx.coalition.id, number)
    _open(ctx, poll, "edited")
    if question is None and details is None:
        raise UsageError("Say what to change: question: or details:.",
                         hint=f'For example `/poll edit #{number} details:"Route: '
                              'see https://example.org/map"`.')
    new_question = poll.question if question is None else clean_line(question)
    if not new_question:
        raise UsageError("The poll needs a question.")
    new_details = poll.details if details is None else clean_details(details)
    cast = await poll_sql.vote_count(ctx.conn, poll.id)
    if cast and new_question != poll.question:
        raise Conflict(f"{cast} vote(s) were cast on poll #{number}'s question, so it can no "
                       "longer change; the details can (the change is announced).",
                       hint="To ask something else, withdraw it (`/poll withdraw`) and open "
                            "a new poll.")
    if (new_question, new_details) == (poll.question, poll.details):
        raise UsageError(f"Poll #{number} already reads that way.")
    await poll_sql.set_text(ctx.conn, poll.id, new_question, new_details)
    edited = replace(poll, question=new_question, details=new_details)
    if cast:
        ctx.notify(Notice(ctx.coalition.id, f"Poll #{number}: details changed",
                          f"{poll.question}\nChanged by {ctx.caller.person.display_name} "
                          f"after {cast} vote(s); votes can be changed until the poll "
                          "closes.", fields=(Field("Details now", new_details or "none"),)))
    return Edited(edited, cast, bool(cast))


async def withdraw(ctx: Context, number: int, reason: str | None) -> tuple[Poll, int]:
    """Take an open poll back: no more votes, no outcome; logged and announced. The
    poll, and how many votes it had."""
    poll = await get_poll(ctx.conn, ctx.coalition.id, number)
    _open(ctx, poll, "withdrawn")
    why = clean_line(reason or "")
    cast = await poll_sql.vote_count(ctx.conn, poll.id)
    who = ctx.caller.person.display_name
    if not await poll_sql.withdraw(ctx.conn, poll.id, ctx.caller.person.id, why, ctx.now):
        raise Conflict(f"Poll #{number} is already closed.")
    head = await decision_log.append(
        ctx.conn, ctx.coalition.id, "poll-withdrawn",
        {"poll": number, "question": poll.question, "reason": why, "votes": cast, "by": who},
        ctx.now)
    ctx.notify(Notice(ctx.coalition.id, f"Poll #{number} withdrawn",
                      f"{poll.question}\nWithdrawn by {who} after {cast} vote(s); it "
                      "decides nothing." + (f"\nReason: {why}" if why else "")
                      + decision_log.footer(head)))
    return poll, cast


async def set_outcome(ctx: Context, number: int, text: str) -> tuple[Poll, bool]:
    """Record the written outcome of a closed poll and post it; the poll, and whether
    it replaced an earlier statement."""
    poll = await get_poll(ctx.conn, ctx.coalition.id, number)
    if poll.withdrawn_at is not None:
        raise Conflict(f"Poll #{number} was withdrawn; it has no outcome to write.")
    decision = await poll_sql.decision_for_poll(ctx.conn, poll.id)
    if decision is None:
        raise Conflict(f"Poll #{number} is still open; write its outcome once it closes.",
                       hint=f"Close it now with `/poll close #{number}`.")
    statement = text.strip()
    if not statement:
        raise UsageError("Write what was agreed and who does what next.")
    if len(statement) > OUTCOME_MAX:
        raise UsageError(f"An outcome can be at most {OUTCOME_MAX} characters, not "
                         f"{len(statement)}.")
    await poll_sql.set_outcome_text(ctx.conn, poll.id, statement)
    who = ctx.caller.person.display_name
    head = await decision_log.append(
        ctx.conn, ctx.coalition.id, "poll-outcome",
        {"poll": number, "decision": decision.number, "text": statement, "by": who}, ctx.now)
    again = " (replacing the earlier one)" if poll.outcome_text else ""
    ctx.notify(Notice(ctx.coalition.id, f"Poll #{number}: the outcome",
                      f"{poll.question}\nDecided: {decision.outcome}. Written by {who}"
                      f"{again}:\n{statement}" + decision_log.footer(head)))
    return replace(poll, outcome_text=statement), bool(poll.outcome_text)
