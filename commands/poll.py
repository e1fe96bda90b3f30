"""`/poll`: decision polls, one organization one vote, with a decision log."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from coalition_bot.commands.args import Confirm
from coalition_bot.commands.spec import Arg, Command, OptionType, Subcommand
from coalition_bot.model import Electorate, Level, Org, Person, Poll, Results, Rule
from coalition_bot.replies import CommandRef, Field, Reply, Text, When, join
from coalition_bot.rules.text import quote_arg
from coalition_bot.rules.times import format_span
from coalition_bot.services import confirm, polls, proposals, proxies
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
Details = Annotated[str | None, Arg(
    "background: what is proposed, why, links", keyword_only=True,
    max_length=polls.DETAILS_MAX)]


def _electorate(poll: Poll) -> str:
    return "one vote per organization" if poll.electorate == "orgs" else "one vote per member"


def _terms(poll: Poll, ctx: Context) -> Text:
    lines = [f"Rule: {RULE_WORDS[poll.rule]}; {_electorate(poll)}; quorum {poll.quorum_pct}%.",
             "Closes " + When(poll.closes_at, ctx.coalition.timezone) + "."]
    if poll.pick > 1:
        lines.append(f"Each voter chooses up to {poll.pick} choices (like `A|B`); each "
                     "chosen choice gets one vote, and the most votes win.")
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
    details: Details = None
    pick: Annotated[int | None, Arg(
        "with choices and rule:plurality: each voter may choose up to this many (default 1)",
        keyword_only=True, min_value=2, max_value=polls.MAX_CHOICES - 1)] = None


async def _create(ctx: Context, args: CreateArgs) -> Reply:
    poll = await polls.create(
        ctx, question=args.question, choices=args.choices,
        electorate=args.electorate or "orgs", rule=args.rule or "majority",
        quorum_pct=50 if args.quorum is None else args.quorum, closes_at=args.closes,
        anonymous=bool(args.anonymous), results=args.results or "live",
        details=args.details, pick=args.pick)
    return Reply(title=f"Poll #{poll.number}: {poll.question}",
                 text=_terms(poll, ctx) + "\nVote with "
                 + CommandRef(f"poll vote #{poll.number} CHOICE [reason]") + " or a button.",
                 fields=_details(poll), buttons=polls.vote_buttons(poll))


def _details(poll: Poll) -> tuple[Field, ...]:
    return (Field("Details", poll.details),) if poll.details else ()


@dataclass(frozen=True, slots=True)
class VoteArgs:
    poll: PollNumber
    choice: Annotated[str, Arg(
        "your choice (its name or number; with pick:K up to K of them, like Saturday|Sunday)",
        max_length=polls.MAX_CHOICES * (polls.CHOICE_MAX + 1))]
    reason: Annotated[str | None, Arg(
        "why, in a sentence (shown with the vote unless the poll is anonymous)",
        max_length=REASON_MAX, rest=True)] = None
    org: Annotated[Org | None, Arg(
        "which organization, if you represent several", keyword_only=True, max_length=80)] = None
    confirm: Confirm = None


async def _vote(ctx: Context, args: VoteArgs) -> Reply:
    poll = await polls.get_poll(ctx.conn, ctx.coalition.id, args.poll)
    if poll.anonymous and not args.confirm:
        return await _ask_anonymous(ctx, poll, args)
    cast = await polls.cast(ctx, poll=poll, choice=args.choice, reason=args.reason,
                            org=args.org)
    who = "your" if cast.poll.electorate == "members" else f"{cast.voter_name}'s"
    if cast.by_proxy:
        who = f"{cast.voter_name}'s proxy"
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


async def _ask_anonymous(ctx: Context, poll: Poll, args: VoteArgs) -> Reply:
    """An anonymous vote can never be changed: say so, and what it adds, before it is."""
    async with confirm.rehearsal(ctx):
        cast = await polls.cast(ctx, poll=poll, choice=args.choice,
                                reason=args.reason, org=args.org)
        state = await polls.poll_state(ctx.conn, poll)
    org = f" org:#{args.org.number}" if args.org is not None else ""
    return confirm.ask(
        f"Cast an anonymous vote on poll #{poll.number}?",
        f"{cast.voter_name} votes {cast.choice}. Poll #{poll.number} is anonymous: the vote "
        "goes into the tally with nothing linking it to you, so it can never be changed "
        f"or taken back, by you or anyone. It would be vote {len(state.votes)} of "
        f"{len(state.electors)}.",
        f"poll vote {poll.number} {quote_arg(cast.choice)}{org}", f"Vote {cast.choice}")


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
    elif poll.withdrawn_at is not None:
        head = ("Withdrawn " + When(poll.withdrawn_at, tz) + "; it decides nothing."
                + (f" Reason: {poll.withdraw_reason}" if poll.withdraw_reason else ""))
    else:
        head = "Closed " + When(poll.closed_at or poll.closes_at, tz) + "."
    fields: list[Field] = list(_details(poll))
    show_results = polls.results_visible(poll, ctx.now)
    if show_results:
        fields += polls.tally_fields(state)
    elif poll.anonymous:
        fields.append(Field("Tally", "shown when the poll closes: while it is open, a tally "
                                     "next to who has voted would tell each ballot"))
    voted_lines = []
    for v in state.votes:
        how = "" if poll.anonymous or not show_results else f": {v.choice}"
        proxy = ", by proxy" if v.by_proxy else ""
        by = f" (by {v.cast_by}{proxy})" if poll.electorate == "orgs" else ""
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
    if poll.status == "closed" and poll.withdrawn_at is None:
        fields.append(Field("Outcome", f"{polls.outcome_label(state.outcome, poll)}: "
                                       f"{state.outcome.summary}"))
        if poll.outcome_text:
            fields.append(Field("Written outcome", poll.outcome_text))
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
        status = "withdrawn" if poll.withdrawn_at else poll.status
        lines.append(f"#{poll.number} [{status}] {poll.question} (" + when
                     + f"; {voted} of {size} voted)")
    return Reply(title=f"Polls ({which})", text=join("\n", lines))


@dataclass(frozen=True, slots=True)
class CloseArgs:
    poll: PollNumber
    confirm: Confirm = None


async def _close(ctx: Context, args: CloseArgs) -> Reply:
    poll = await polls.get_poll(ctx.conn, ctx.coalition.id, args.poll)
    if not args.confirm and poll.accepts_votes(ctx.now):
        state = await polls.poll_state(ctx.conn, poll)
        if not state.outcome.quorum_met:
            voted, size = len(state.votes), len(state.electors)
            needed = math.ceil(size * poll.quorum_pct / 100)
            return confirm.ask(
                f"Close poll #{poll.number} short of its quorum?",
                f"{voted} of {size} have voted; its quorum of {poll.quorum_pct}% needs "
                f"{needed}. Closed now it is recorded as no quorum: nothing passes, and the "
                f"{size - voted} who have not voted can no longer vote (it was to close "
                + When(poll.closes_at, ctx.coalition.timezone) + ").",
                f"poll close {poll.number}", f"Close poll #{poll.number} now")
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


@dataclass(frozen=True, slots=True)
class EditArgs:
    poll: PollNumber
    question: Annotated[str | None, Arg(
        "the new question", keyword_only=True, max_length=QUESTION_MAX)] = None
    details: Details = None


async def _edit(ctx: Context, args: EditArgs) -> Reply:
    edited = await proposals.edit(ctx, args.poll, args.question, args.details)
    number = edited.poll.number
    if edited.announced:
        return Reply(private=True, text=f"Changed the details of poll #{number}; the home "
                     f"channel(s) are told, since {edited.votes} vote(s) were cast already.",
                     fields=_details(edited.poll))
    return Reply(private=True, title=f"Poll #{number}: {edited.poll.question}",
                 text="Changed; nobody had voted yet.", fields=_details(edited.poll))


@dataclass(frozen=True, slots=True)
class WithdrawArgs:
    poll: PollNumber
    reason: Annotated[str | None, Arg(
        "why, in a sentence", max_length=REASON_MAX, rest=True)] = None


async def _withdraw(ctx: Context, args: WithdrawArgs) -> Reply:
    poll, cast = await proposals.withdraw(ctx, args.poll, args.reason)
    return Reply(private=True, text=f"You withdrew poll #{poll.number}: it takes no more "
                 f"votes ({cast} were cast) and decides nothing. The log records it and the "
                 "home channel(s) are told now.")


@dataclass(frozen=True, slots=True)
class OutcomeArgs:
    poll: PollNumber
    text: Annotated[str, Arg(
        "the outcome statement", max_length=proposals.OUTCOME_MAX, rest=True)]


async def _outcome(ctx: Context, args: OutcomeArgs) -> Reply:
    poll, replaced = await proposals.set_outcome(ctx, args.poll, args.text)
    what = "Replaced the written outcome" if replaced else "Recorded the written outcome"
    return Reply(private=True, text=f"{what} of poll #{poll.number}; it is in the decision "
                 "log and the exports, and goes to the home channel(s) now.")


ForOrg = Annotated[Org | None, Arg(
    "which organization, if you represent several", keyword_only=True, max_length=80)]


@dataclass(frozen=True, slots=True)
class ProxyArgs:
    poll: PollNumber
    to: Annotated[Person, Arg(
        "who casts it (mention them, or their name on the console)", max_length=80)]
    org: ForOrg = None


async def _proxy(ctx: Context, args: ProxyArgs) -> Reply:
    org, poll = await proxies.give(ctx, args.poll, args.to, args.org)
    name = args.to.display_name
    return Reply(private=True, text=f"{name} now holds {org.name}'s vote in poll "
                 f"#{poll.number} and is told privately. A proxy cannot block; if you or "
                 f"another representative of {org.name} votes, that vote counts instead. "
                 "Take it back with " + CommandRef(f"poll proxy-revoke #{poll.number}")
                 + " until it is used.")


@dataclass(frozen=True, slots=True)
class ProxyRevokeArgs:
    poll: PollNumber
    org: ForOrg = None


async def _proxy_revoke(ctx: Context, args: ProxyRevokeArgs) -> Reply:
    org, holder = await proxies.revoke(ctx, args.poll, args.org)
    return Reply(private=True, text=f"{holder.display_name} no longer holds {org.name}'s "
                                    f"vote in poll #{args.poll}.")


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
        Subcommand(("close",), "Close a poll now and record the decision (short of its "
                   "quorum, it asks first).", Level.COORDINATOR, _close),
        Subcommand(("edit",), "Change an open poll's question and details while nobody "
                   "has voted; after that only its details, and the change is announced.",
                   Level.COORDINATOR, _edit,
                   example='/poll edit #3 details:"Route map: https://example.org/route"'),
        Subcommand(("withdraw",), "Take an open poll back: it takes no more votes, decides "
                   "nothing, and the log records it.", Level.COORDINATOR, _withdraw,
                   example="/poll withdraw #3 The city cancelled the hearing"),
        Subcommand(("outcome",), "After the close, write what was agreed and who does what "
                   "next; posted to the home channels, kept in the log and exports.",
                   Level.COORDINATOR, _outcome,
                   example="/poll outcome #3 We march. Tenants United brings the banner."),
        Subcommand(("proxy",), "Hand your organization's vote in one poll to another "
                   "organization's representative or a coordinator (it cannot block; your "
                   "own vote overrides it).", Level.REPRESENTATIVE, _proxy,
                   private=True, example="/poll proxy #3 @maria"),
        Subcommand(("proxy-revoke",), "Take back your organization's proxy in a poll, "
                   "until it is used.", Level.REPRESENTATIVE, _proxy_revoke,
                   private=True, example="/poll proxy-revoke #3"),
        Subcommand(("extend",), "Give an open poll more time: a later closing time.",
                   Level.COORDINATOR, _extend, example='/poll extend #1 "friday 17:00"'),
        Subcommand(("remind",), "Remind, in the home channel, those who have not voted; "
                   "their representatives are mentioned one by one.", Level.COORDINATOR,
                   _remind),
    ),
)
