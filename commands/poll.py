"""`/poll`: decision polls, one organization one vote, with a decision log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from coalition_bot.commands.spec import Arg, Command, OptionType, Subcommand
from coalition_bot.model import Electorate, Level, Org, Poll, Results, Rule
from coalition_bot.replies import CommandRef, Field, Reply, Text, When, join
from coalition_bot.rules.times import format_span
from coalition_bot.services import polls
from coalition_bot.services.context import Context

__all__ = ["COMMAND"]

QUESTION_MAX = 300
REASON_MAX = 300
RULE_WORDS = {
    "majority": "more than half of the deciding votes",
    "supermajority": "at least two thirds of the deciding votes",
    "consensus": "consensus: no block and at least one agree",
    "plurality": "the most votes (ties are reported, not broken)",
}


# Arguments that several subcommands share (see `spec.Arg`).
PollNumber = Annotated[int, Arg("the poll's number", type=OptionType.NUMBER, kind="poll")]


def _electorate(poll: Poll) -> str:
    return "one vote per organization" if poll.electorate == "orgs" else "one vote per member"


def _terms(poll: Poll, ctx: Context) -> Text:
    lines = [f"Rule: {RULE_WORDS[poll.rule]}; {_electorate(poll)}; quorum {poll.quorum_pct}%.",
             "Closes " + When(poll.closes_at, ctx.coalition.timezone) + "."]
    if poll.anonymous:
        lines.append("Anonymous: nobody, not even the bot, records who chose what; the "
                     "tally is shown only when the poll closes.")
    elif poll.results == "hidden":
        lines.append("Results stay hidden until the poll closes.")
    return join("\n", lines)


@dataclass(frozen=True, slots=True)
class CreateArgs:
    question: Annotated[str, Arg("what is being decided", max_length=QUESTION_MAX, rest=True)]
    choices: Annotated[str | None, Arg(
        'the choices, separated by | (like "Saturday|Sunday"); leave out for a proposal',
        keyword_only=True, max_length=polls.MAX_CHOICES * 42)] = None
    electorate: Annotated[Electorate | None, Arg(
        "orgs: one vote per organization (default); members: one per member",
        keyword_only=True)] = None
    rule: Annotated[Rule | None, Arg("how it passes (default majority)", keyword_only=True)] = None
    quorum: Annotated[int | None, Arg(
        "share of the electorate that must vote (default 50%)", type=OptionType.PERCENT,
        keyword_only=True)] = None
    closes: Annotated[datetime | None, Arg(
        "when voting ends (default in 3 days)", keyword_only=True, max_length=80)] = None
    anonymous: Annotated[bool | None, Arg(
        "yes: nobody sees who chose what (default no)", keyword_only=True)] = None
    results: Annotated[Results | None, Arg(
        "hidden: tallies stay hidden until close (default live)", keyword_only=True)] = None


async def _create(ctx: Context, args: CreateArgs) -> Reply:
    poll = await polls.create(
        ctx, question=args.question, choices=args.choices,
        electorate=args.electorate or "orgs", rule=args.rule or "majority",
        quorum_pct=50 if args.quorum is None else args.quorum, closes_at=args.closes,
        anonymous=bool(args.anonymous), results=args.results or "live")
    return Reply(title=f"Poll #{poll.number}: {poll.question}",
                 text=_terms(poll, ctx) + "\nVote with "
                 + CommandRef(f"poll vote #{poll.number} CHOICE [reason]") + " or a button.",
                 buttons=polls.vote_buttons(poll))


@dataclass(frozen=True, slots=True)
class VoteArgs:
    poll: PollNumber
    choice: Annotated[str, Arg("your choice (its name or number)", max_length=polls.CHOICE_MAX)]
    reason: Annotated[str | None, Arg(
        "why, in a sentence (shown with the vote unless the poll is anonymous)",
        max_length=REASON_MAX, rest=True)] = None
    org: Annotated[Org | None, Arg(
        "which organization, if you represent several", keyword_only=True, max_length=80)] = None


async def _vote(ctx: Context, args: VoteArgs) -> Reply:
    cast = await polls.cast(ctx, number=args.poll, choice=args.choice,
                            reason=args.reason, org=args.org)
    who = "your" if cast.poll.electorate == "members" else f"{cast.voter_name}'s"
    if cast.previous and cast.previous != cast.choice:
        text = f"Changed {who} vote on poll #{cast.poll.number} from {cast.previous} to " \
               f"{cast.choice}."
    else:
        text = f"Recorded {who} vote on poll #{cast.poll.number}: {cast.choice}."
    if cast.counted_as:
        text += f" {cast.counted_as}"
    if cast.poll.anonymous:
        text += " The poll is anonymous: your choice went into the tally only"
        text += ", and your reason was not kept." if cast.reason_dropped else "."
    else:
        text += " You can change it until the poll closes."
    return Reply(text=text, private=True)


@dataclass(frozen=True, slots=True)
class PollArgs:
    poll: PollNumber


async def _status(ctx: Context, args: PollArgs) -> Reply:
    poll = await polls.get_poll(ctx.conn, ctx.coalition.id, args.poll)
    state = await polls.poll_state(ctx.conn, poll)
    tz = ctx.coalition.timezone
    is_open = poll.accepts_votes(ctx.now)
    if is_open:
        head = "Open: closes " + When(poll.closes_at, tz) + ", in " \
               f"{format_span(poll.closes_at - ctx.now)}."
    else:
        head = "Closed " + When(poll.closed_at or poll.closes_at, tz) + "."
    fields: list[Field] = []
    show_results = polls.results_visible(poll, ctx.now)
    if show_results:
        fields += polls.tally_fields(state)
    elif poll.anonymous:
        fields.append(Field("Tally", "shown when the poll closes: while it is open, a tally "
                                     "next to who has voted would tell each ballot"))
    voted_lines = []
    for v in state.votes:
        how = "" if poll.anonymous or not show_results else f": {v.choice}"
        by = f" (by {v.cast_by})" if poll.electorate == "orgs" else ""
        why = f" ({v.reason})" if v.reason and show_results and not poll.anonymous else ""
        voted_lines.append(f"{v.voter_name}{how}{by}{why}")
    fields.append(Field("Voted", "\n".join(voted_lines) or "nobody yet"))
    fields.append(Field("Not voted", ", ".join(e.name for e in state.not_voted) or "nobody"))
    voted = len(state.votes)
    size = len(state.electors)
    share = f"{round(100 * voted / size)}%" if size else "0%"
    met = "met" if state.outcome.quorum_met else "not met"
    fields.append(Field("Quorum", f"{voted} of {size} voted ({share}); {poll.quorum_pct}% "
                                  f"needed: {met}"))
    if poll.status == "closed":
        fields.append(Field("Outcome", f"{polls.outcome_label(state.outcome, poll)}: "
                                       f"{state.outcome.summary}"))
    elif show_results:
        fields.append(Field("If it closed now", state.outcome.summary))
    return Reply(title=f"Poll #{poll.number}: {poll.question}",
                 text=head + "\n" + _terms(poll, ctx).split("\n", 1)[0], fields=tuple(fields),
                 buttons=polls.vote_buttons(poll) if is_open else ())


@dataclass(frozen=True, slots=True)
class ListArgs:
    which: Annotated[Literal["open", "closed", "all"] | None, Arg(
        "open (default), closed or all")] = None


async def _list(ctx: Context, args: ListArgs) -> Reply:
    which = args.which or "open"
    found = await polls.list_polls(ctx, None if which == "all" else which)
    if not found:
        return Reply(title=f"Polls ({which})", text="None. A coordinator opens one with "
                                                    + CommandRef("poll create QUESTION") + ".")
    tz = ctx.coalition.timezone
    lines = []
    for poll, voted, size in found:
        when = ("closes " + When(poll.closes_at, tz) if poll.status == "open"
                else "closed " + When(poll.closed_at or poll.closes_at, tz))
        lines.append(f"#{poll.number} [{poll.status}] {poll.question} (" + when
                     + f"; {voted} of {size} voted)")
    return Reply(title=f"Polls ({which})", text=join("\n", lines))


async def _close(ctx: Context, args: PollArgs) -> Reply:
    poll = await polls.get_poll(ctx.conn, ctx.coalition.id, args.poll)
    state, number, notice = await polls.close_poll(ctx.conn, ctx.coalition, poll, now=ctx.now,
                                                   closed_by=ctx.caller.person)
    ctx.notify(notice)
    return Reply(private=True, text=f"You closed poll #{poll.number}: "
                 f"{polls.outcome_label(state.outcome, poll)}. It is decision #{number} in "
                 "the log (" + CommandRef("coalition log")
                 + "); the result goes to the home channel(s) now.")


@dataclass(frozen=True, slots=True)
class ExtendArgs:
    poll: PollNumber
    closes: Annotated[datetime, Arg("the new closing time", max_length=80)]


async def _extend(ctx: Context, args: ExtendArgs) -> Reply:
    poll = await polls.extend(ctx, args.poll, args.closes)
    return Reply(private=True, text=f"Poll #{poll.number} now closes "
                 + When(poll.closes_at, ctx.coalition.timezone) + "; the home channel(s) "
                 "will be told now.")


async def _remind(ctx: Context, args: PollArgs) -> Reply:
    poll, missing, _ = await polls.remind(ctx, args.poll)
    if not missing:
        return Reply(private=True, text=f"Everyone has voted on poll #{poll.number}.")
    who = "organization(s)" if poll.electorate == "orgs" else "member(s)"
    return Reply(private=True, text=f"A reminder goes to the home channel(s) now: "
                                    f"{len(missing)} {who} still to vote on poll "
                                    f"#{poll.number}.")


COMMAND = Command(
    name="poll",
    help="Decide together: polls where each partner organization has one vote, cast by "
         "any of its representatives, and a log of what was decided.",
    subcommands=(
        Subcommand(("create",), "Open a poll. Without choices it is a proposal: agree, "
                   "abstain or disagree (and block, under rule:consensus).", Level.COORDINATOR,
                   _create, example='/poll create Join the May Day march? rule:consensus '
                                    'closes:"friday 17:00"', form=True),
        Subcommand(("vote",), "Vote, or change your vote until the poll closes. In an "
                   "organization poll you vote for your organization.", Level.MEMBER, _vote,
                   private=True, example="/poll vote #3 agree We can bring 20 people"),
        Subcommand(("status",), "Tallies, who has and has not voted, quorum and time left.",
                   Level.MEMBER, _status),
        Subcommand(("list",), "List the polls.", Level.MEMBER, _list),
        Subcommand(("close",), "Close a poll now and record the decision.", Level.COORDINATOR,
                   _close),
        Subcommand(("extend",), "Give an open poll more time: a later closing time.",
                   Level.COORDINATOR, _extend, example='/poll extend #1 "friday 17:00"'),
        Subcommand(("remind",), "Remind, in the home channel, those who have not voted; "
                   "their representatives are mentioned one by one.", Level.COORDINATOR,
                   _remind),
    ),
)
