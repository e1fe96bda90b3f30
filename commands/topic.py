"""`/topic`: the topics the coalition agreed to keep off the table, and gentle nudges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from coalition_bot.commands.args import NoArgs
from coalition_bot.commands.spec import Arg, Command, Subcommand
from coalition_bot.model import Level, Rule
from coalition_bot.replies import CommandRef, Field, Reply, When
from coalition_bot.rules.times import format_local
from coalition_bot.services import polls, topics
from coalition_bot.services.context import Context
from coalition_bot.store import topics as topic_sql

__all__ = ["COMMAND"]

PHRASE_MAX = 100
REASON_MAX = 300
CHECK_MAX = 4000


# Arguments that several subcommands share (see `spec.Arg`).
Phrase = Annotated[str, Arg(
    "the topic: a word or phrase (taken literally, any case, plurals included)",
    max_length=PHRASE_MAX, rest=True)]
Reason = Annotated[str | None, Arg(
    "why the coalition keeps it off the table", keyword_only=True, max_length=REASON_MAX)]


@dataclass(frozen=True, slots=True)
class AddArgs:
    phrase: Phrase
    reason: Reason = None


async def _add(ctx: Context, args: AddArgs) -> Reply:
    topic = await topics.add(ctx, args.phrase, args.reason)
    return Reply(title="Off-limits topic added", text=f"“{topic.phrase}”"
                 + (f": {topic.reason}" if topic.reason else "")
                 + "\nMessages that touch it earn their author a private reminder; nothing "
                   "is ever deleted.")


@dataclass(frozen=True, slots=True)
class ProposeArgs:
    phrase: Phrase
    reason: Reason = None
    rule: Annotated[Rule | None, Arg(
        "how the poll passes (default consensus)", keyword_only=True)] = None
    closes: Annotated[datetime | None, Arg(
        "when voting ends (default in 3 days)", keyword_only=True, max_length=80)] = None


async def _propose(ctx: Context, args: ProposeArgs) -> Reply:
    poll = await topics.propose(ctx, args.phrase, args.reason,
                                args.rule or "consensus", args.closes)
    return Reply(title=f"Poll #{poll.number}: {poll.question}",
                 text=f"Partner organizations decide, rule {poll.rule}; closes "
                      + When(poll.closes_at, ctx.coalition.timezone) + ". If it passes, "
                      "the topic is added when the poll closes.",
                 buttons=polls.vote_buttons(poll))


@dataclass(frozen=True, slots=True)
class ProposeRemoveArgs:
    phrase: Phrase
    rule: Annotated[Rule | None, Arg(
        "how the poll passes (default consensus)", keyword_only=True)] = None
    closes: Annotated[datetime | None, Arg(
        "when voting ends (default in 3 days)", keyword_only=True, max_length=80)] = None


async def _propose_remove(ctx: Context, args: ProposeRemoveArgs) -> Reply:
    poll = await topics.propose_remove(ctx, args.phrase, args.rule or "consensus",
                                       args.closes)
    return Reply(title=f"Poll #{poll.number}: {poll.question}",
                 text=f"Partner organizations decide, rule {poll.rule}; closes "
                      + When(poll.closes_at, ctx.coalition.timezone) + ". If it passes, "
                      "the topic is taken off the list when the poll closes.",
                 buttons=polls.vote_buttons(poll))


async def _list(ctx: Context, args: NoArgs) -> Reply:
    found = await topic_sql.active_topics(ctx.conn, ctx.coalition.id)
    if not found:
        return Reply(title="Off-limits topics", text="None agreed yet.")
    tz = ctx.coalition.timezone
    fields = []
    for t in found:
        since = format_local(t.added_at, tz).split(",")[0]
        how = f"decision #{t.decision_number}" if t.decision_number else "a coordinator"
        by = f", by {t.added_by}" if t.added_by else ""
        fields.append(Field(f"“{t.phrase}”", (f"{t.reason}\n" if t.reason else "")
                            + f"Since {since} ({how}{by})."))
    return Reply(title="Off-limits topics", fields=tuple(fields))


@dataclass(frozen=True, slots=True)
class PhraseArgs:
    phrase: Phrase


async def _remove(ctx: Context, args: PhraseArgs) -> Reply:
    topic = await topics.remove(ctx, args.phrase)
    text = (f"“{topic.phrase}” is no longer off the table. This is in the log, and every "
            "home channel was told.")
    if topic.poll_number is not None:
        text += (f" Partners had adopted it by poll #{topic.poll_number}; next time, let "
                 "them decide with " + CommandRef("topic propose-remove") + ".")
    return Reply(title="Off-limits topic removed", text=text)


@dataclass(frozen=True, slots=True)
class CheckArgs:
    text: Annotated[str, Arg("the text to check", max_length=CHECK_MAX, rest=True)]


async def _check(ctx: Context, args: CheckArgs) -> Reply:
    hits = await topics.check(ctx, args.text)
    if not hits:
        return Reply(private=True, text="That touches none of the agreed off-limits topics.")
    return Reply(private=True, title="That touches agreed off-limits topics", fields=tuple(
        Field(f"“{t.phrase}”", t.reason or "no reason recorded") for t in hits))


COMMAND = Command(
    name="topic",
    help="Topics the coalition agreed to keep off the table, so disagreement elsewhere does "
         "not derail common work. The bot reminds people privately; it never deletes.",
    subcommands=(
        Subcommand(("add",), "Record an agreed off-limits topic.", Level.COORDINATOR, _add,
                   example='/topic add electoral endorsements reason:"partners differ"'),
        Subcommand(("propose",), "Propose a topic: the partner organizations decide in a poll "
                   "(consensus by default).", Level.REPRESENTATIVE, _propose),
        Subcommand(("propose-remove",), "Propose taking a topic off the list: the partner "
                   "organizations decide in a poll (consensus by default).",
                   Level.REPRESENTATIVE, _propose_remove,
                   example="/topic propose-remove electoral endorsements"),
        Subcommand(("list",), "The agreed topics, why, since when, and by which decision.",
                   Level.MEMBER, _list),
        Subcommand(("remove",), "Take a topic off the list at once (logged and told to every "
                   "home channel; to decide it together, use propose-remove).",
                   Level.COORDINATOR, _remove),
        Subcommand(("check",), "Privately check whether a text touches an agreed topic.",
                   Level.MEMBER, _check, private=True),
    ),
)
