"""Decision polls: one organization one vote (or one member one vote), and their close.

`close_poll` takes a connection rather than a command context so that the scheduler
can close a poll at its deadline with the same code a coordinator's `/poll close` runs.

In detail:

- `rules/tally.py` is the whole voting rule set as pure functions: `latest_votes`
  (the latest cast per voter wins, whatever order ballots arrive in), `count`, and
  `decide` (majority, supermajority, consensus, plurality; quorum). Property tests
  (hypothesis) pin its laws.
- A **voter** is `org:ID` in an organization poll and `person:ID` in a member poll. The
  table `vote` has the primary key `(poll_id, voter)`, and a vote is an upsert on it, so two
  votes by the same voter arriving at once end as one row (a constraint, not a
  check-then-insert); the row records which representative cast it and how often it
  changed.
- The electorate is **fixed when the poll opens** (`poll_elector`, migration 0010): the
  non-observer organizations, or the people the coalition knows (not removed), at that
  moment. Counting takes that set, less organizations that left or became observers
  since and people a coordinator removed before voting; at the close it is frozen into the
  decision. Nothing joins mid-poll: people are created on first sight, so a live member
  list made `/coalition info` grow a running poll's quorum base, and an organization
  added on day 2 of 3 would change a count partners already planned around. Shrinking is
  allowed because a partner that left should not hold a quorum hostage. An
  organization that left (`org.left_at`, migration 0008, `/coalition org remove`) is in
  no electorate, so its vote in a poll still open stops counting; its row and number
  stay for the decisions it took part in, and `org add` with its name brings it back.
  A removed person (`person.left_at`, `/coalition member remove`) is different: a vote
  they cast stays counted (an anonymous vote could not be taken out of the tally anyway);
  running any command clears `left_at`, for polls opened from then on.
- **Blocks.** `rules.tally.decide` stays a pure count ("Blocked by N"); `poll_state`
  rewrites that summary with each blocking voter and reason (not in anonymous polls), so
  status, close notice and decision log name them. A block is announced as cast
  (`polls._announce_block`), except in anonymous polls where its timing would name the
  voter. A proposal stores its choices at creation: block only under consensus; a typed
  `block` elsewhere (or in a poll created before) is recorded as disagree, which is what
  majority and supermajority counted it as anyway.
- **Anonymous polls show no tally while open** (`services.polls.results_visible`): who has
  voted is public (for reminders and quorum), and a tally read before and after one vote
  is that vote.
- **Coordinators per workspace.** A person belongs to one platform, and a coordinator can
  act only through a bound workspace of that platform. `coalitions._keep_a_coordinator_
  everywhere` refuses `coordinator remove` and `member remove` of the last coordinator of
  a platform the coalition is bound to (one per platform, as people are per platform).
  `disconnect` needs no check: it removes no coordinator, and the workspaces left keep
  theirs; coordinators of a disconnected platform simply stop counting. `rep remove`
  touches no coordinator.
- **Closing** is `services.polls.close_poll(conn, coalition, poll, now=, closed_by=)`: it
  flips the status with `UPDATE … WHERE status = 'open'` (so two closers cannot both
  close), counts, and writes the `decision` row in the caller's transaction, returning the
  notice to post. `/poll close` calls it; the scheduler will call it at the deadline.
  Every vote compares `now` with `closes_at` itself, so a poll past its time takes no vote
  even if nothing has closed it yet.
- **Anonymous polls store no link between a voter and a choice.** The `vote` row keeps
  only that the voter voted (choice and reason stay NULL); the choice goes into
  `anonymous_tally(poll_id, choice, votes)`, a counter with no identity or time. The
  decision log and the export read only those. The price: an anonymous vote cannot be
  changed, since nothing knows which choice to take back; the bot says so.
- Exports (`/coalition export decisions|votes|goals|actions csv|json`,
  `services/exports.py`) are a `Reply` with an `Attachment`; the console writes it to the
  current directory. CSV cells are flat: a decision's tally is `choice_N`/`votes_N`
  column pairs (as many as the longest ballot, so a multiple-choice poll fits) and its
  votes are rows of the `votes` export, since JSON inside a cell is unusable in a
  spreadsheet; JSON keeps them nested. A cell that starts with `= + - @` gets a leading
  `'`, and so does each such character after a `;`, `,`, tab or line break inside a
  cell: spreadsheets whose list separator is `;` split `x;=cmd` into a cell `=cmd`
  (OWASP's CSV-injection advice covers only the start of a cell). The price is a stray
  `'` in prose like `yes, -5`, which beats a formula.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from coalition_bot.errors import Conflict, NotFound, PermissionDenied, UsageError
from coalition_bot.model import Coalition, Org, Person, Poll, Vote
from coalition_bot.replies import Button, ButtonStyle, CommandRef, Field, Mention, Notice, When
from coalition_bot.rules.tally import (
    BLOCK,
    PROPOSAL_CHOICES,
    Outcome,
    count,
    count_picks,
    decide,
)
from coalition_bot.rules.text import clean_line, name_key, quote_arg
from coalition_bot.rules.topics import phrase_key
from coalition_bot.services import changes, decision_log
from coalition_bot.services.context import Context
from coalition_bot.store import orgs as org_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store import proxies as proxy_sql
from coalition_bot.store import topics as topic_sql
from coalition_bot.store.database import Conn

__all__ = [
    "Elector",
    "PollState",
    "cast",
    "close_poll",
    "create",
    "get_poll",
    "list_polls",
    "outcome_label",
    "poll_state",
    "remind",
    "reminder_notice",
    "result_notice",
    "results_visible",
    "tally_fields",
    "vote_buttons",
]

DEFAULT_OPEN_FOR = timedelta(days=3)
MAX_CHOICES = 10
CHOICE_MAX = 40
_ALIASES = {"yes": "agree", "y": "agree", "no": "disagree", "n": "disagree"}


@dataclass(frozen=True, slots=True)
class Elector:
    """One vote's worth of the electorate: an organization, or a member."""

    key: str  # 'org:ID' or 'person:ID', as in vote.voter
    name: str
    people: tuple[Person, ...]  # who may cast it


@dataclass(frozen=True, slots=True)
class PollState:
    poll: Poll
    electors: tuple[Elector, ...]
    votes: tuple[Vote, ...]  # counted votes of current electors
    tallies: dict[str, int]
    outcome: Outcome

    @property
    def not_voted(self) -> list[Elector]:
        voted = {v.voter for v in self.votes}
        return [e for e in self.electors if e.key not in voted]


def parse_choices(raw: str | None) -> tuple[bool, tuple[str, ...]]:
    """`a|b|c` → (False, choices); nothing → (True, the proposal's four choices)."""
    if raw is None:
        return True, PROPOSAL_CHOICES
    choices = tuple(clean_line(c) for c in raw.split("|"))
    if any(not c for c in choices) or len(choices) < 2:
        raise UsageError("choices needs at least two choices separated by |, "
                         'like choices:"Saturday|Sunday".')
    if len(choices) > MAX_CHOICES:
        raise UsageError(f"A poll can have at most {MAX_CHOICES} choices, not {len(choices)}.")
    too_long = [c for c in choices if len(c) > CHOICE_MAX]
    if too_long:
        raise UsageError(f"Each choice can be at most {CHOICE_MAX} characters; "
                         f"`{too_long[0][:50]}` is {len(too_long[0])}.")
    keys = [name_key(c) for c in choices]
    if len(set(keys)) != len(keys):
        raise UsageError("Each choice must be different from the others.")
    return False, choices


async def create(ctx: Context, *, question: str, choices: str | None, electorate: str,
                 rule: str, quorum_pct: int, closes_at: datetime | None, anonymous: bool,
                 results: str, details: str | None = None, pick: int | None = None) -> Poll:
    """Open a poll. Proposals (no choices) vote agree / abstain / disagree, and block
    under consensus (the only rule where a block weighs more than a disagree)."""
    proposal, options = parse_choices(choices)
    picks = _check_pick(pick or 1, proposal, options, rule)
    if proposal and rule != "consensus":  # a block weighs only under consensus
        options = tuple(c for c in options if c != BLOCK)
    if rule == "consensus" and not proposal:
        raise UsageError("rule:consensus is for proposals (agree / abstain / disagree / "
                         "block); leave out choices, or pick another rule.")
    closes = closes_at or ctx.now + DEFAULT_OPEN_FOR
    if closes <= ctx.now:
        raise UsageError("The closing time " + When(closes, ctx.coalition.timezone) + " "
                         "is in the past.", hint="Give a time in the future, like "
                         'closes:"friday 17:00" or closes:"in 2 days".')
    text = clean_line(question)
    if not text:
        raise UsageError("The poll needs a question.")
    return await poll_sql.create_poll(
        ctx.conn, ctx.coalition.id, question=text, proposal=proposal, choices=options,
        electorate=electorate, rule=rule, quorum_pct=quorum_pct, anonymous=anonymous,
        results=results, closes_at=closes, created_by=ctx.caller.person.id, now=ctx.now,
        details=clean_details(details), pick=picks)


DETAILS_MAX = 1500


def clean_details(raw: str | None) -> str:
    """A poll's background text: kept as typed (line breaks too), trimmed, bounded."""
    text = (raw or "").strip()
    if len(text) > DETAILS_MAX:
        raise UsageError(f"details can be at most {DETAILS_MAX} characters, not {len(text)}.")
    return text


def _check_pick(pick: int, proposal: bool, options: tuple[str, ...], rule: str) -> int:
    """`pick:K`: each voter chooses up to K choices, counted by plurality."""
    if pick == 1:
        return 1
    if proposal:
        raise UsageError("pick: is for polls with choices; a proposal takes one answer.",
                         hint='Add choices, like choices:"Saturday|Sunday|Monday" pick:2.')
    if rule != "plurality":
        raise UsageError(f"pick:{pick} lets each voter choose several choices, so only "
                         "rule:plurality can count it (the choices with most votes win).",
                         hint="Add rule:plurality.")
    if pick >= len(options):
        raise UsageError(f"pick:{pick} must be less than the number of choices "
                         f"({len(options)}).")
    return pick


def match_picks(poll: Poll, raw: str) -> tuple[str, ...]:
    """Up to `poll.pick` choices typed as `A|B` (names or numbers), in the poll's order."""
    chosen = {match_choice(poll, part) for part in raw.split("|") if part.strip()}
    if not chosen:
        raise UsageError("Say which choices, separated by |, like Saturday|Sunday.")
    if len(chosen) > poll.pick:
        raise UsageError(f"Poll #{poll.number} lets you choose up to {poll.pick}, not "
                         f"{len(chosen)}.", hint=f"Choices: {', '.join(poll.choices)}.")
    return tuple(c for c in poll.choices if c in chosen)


async def get_poll(conn: Conn, coalition_id: int, number: int) -> Poll:
    poll = await poll_sql.find_poll(conn, coalition_id, number)
    if poll is None:
        raise NotFound(f"There is no poll #{number} in this coalition.",
                       hint="See the polls with " + CommandRef("poll list") + ".")
    return poll


def match_choice(poll: Poll, raw: str) -> str:
    """A typed choice (any case, its number, or yes/no on a proposal) as the poll's choice."""
    key = name_key(raw)
    for choice in poll.choices:
        if name_key(choice) == key:
            return choice
    if poll.proposal and key in _ALIASES:
        return _ALIASES[key]
    if key.isdigit() and 1 <= int(key) <= len(poll.choices):
        return poll.choices[int(key) - 1]
    raise UsageError(f"`{raw}` is not a choice in poll #{poll.number}.",
                     hint=f"Choices: {', '.join(poll.choices)}.")


async def electors(conn: Conn, poll: Poll) -> list[Elector]:
    """Who has a vote: the electorate fixed when the poll opened (voting organizations,
    or the members known then), less organizations that left or became observers and
    people a coordinator removed before they voted."""
    fixed = await poll_sql.elector_keys(conn, poll.id)
    if poll.electorate == "orgs":
        reps = await people_sql.representatives(conn, poll.coalition_id)
        return [Elector(f"org:{o.id}", o.name, tuple(reps.get(o.id, ())))
                for o in await org_sql.list_orgs(conn, poll.coalition_id)
                if not o.observer and f"org:{o.id}" in fixed]
    people = await people_sql.list_people(conn, poll.coalition_id)
    return [Elector(f"person:{p.id}", p.display_name, (p,)) for p in people
            if f"person:{p.id}" in fixed]


async def poll_state(conn: Conn, poll: Poll) -> PollState:
    """The electorate, counted votes, tallies and the outcome if the poll closed now."""
    electorate = await electors(conn, poll)
    keys = {e.key for e in electorate}
    counted = [v for v in await poll_sql.votes(conn, poll.id) if v.voter in keys]
    if poll.anonymous:
        tallies = count(poll.choices, {})
        tallies.update(await poll_sql.anonymous_tallies(conn, poll.id))
    elif poll.pick > 1:
        tallies = count_picks(poll.choices, {v.voter: (v.choice or "").split("|")
                                             for v in counted if v.choice})
    else:
        tallies = count(poll.choices, {v.voter: v.choice or "" for v in counted})
    outcome = decide(tallies, rule=poll.rule, electorate=len(electorate),
                     quorum_pct=poll.quorum_pct, proposal=poll.proposal,
                     voters=len(counted) if poll.pick > 1 else None)
    blockers = [v for v in counted if v.choice == BLOCK]
    if poll.rule == "consensus" and outcome.quorum_met and tallies.get(BLOCK):
        outcome = replace(outcome, summary=block_summary(
            blockers, anonymous=poll.anonymous, blocks=tallies[BLOCK],
            turnout=f"{sum(tallies.values())} of {len(electorate)} voted"))
    return PollState(poll, tuple(electorate), tuple(counted), tallies, outcome)


def block_summary(blockers: list[Vote], *, anonymous: bool, blocks: int, turnout: str) -> str:
    """Who blocked a consensus proposal and why; in an anonymous poll only how many."""
    if anonymous or not blockers:
        return (f"Blocked: {blocks} block(s); the poll is anonymous, so who blocked is not "
                f"recorded ({turnout}).")
    who = "; ".join(f"{v.voter_name}: {v.reason}" if v.reason
                    else f"{v.voter_name} (no reason given)" for v in blockers)
    return f"Blocked by {who} ({turnout})."


async def voting_org(ctx: Context, poll: Poll, org: Org | None) -> Org:
    """The organization the caller votes for in an org poll, or a clear refusal."""
    caller = ctx.caller
    represented = [await org_sql.get_org(ctx.conn, oid) for oid in caller.org_ids]
    if org is not None:
        if org.id not in caller.org_ids:
            raise PermissionDenied(f"You are not a representative of {org.name}.",
                                   hint="A coordinator adds you with "
                                        + CommandRef("coalition rep add") + ".")
        chosen = [org]
    else:
        chosen = [o for o in represented if not o.observer] or represented
    if not chosen:
        raise PermissionDenied(
            f"Poll #{poll.number} is an organization poll: only representatives of partner "
            "organizations vote, one vote per organization.",
            hint="If you speak for an organization, ask a coordinator to run "
                 + CommandRef("coalition rep add @you ORG") + ".")
    if len(chosen) > 1:
        names = ", ".join(o.name for o in chosen)
        raise UsageError(f"You represent {names}. Say which one this vote is for.",
                         hint=f'Add org:NAME, for example org:"{chosen[0].name}".')
    if chosen[0].observer:
        raise PermissionDenied(f"{chosen[0].name} is an observer organization: it takes "
                               "part but does not vote.")
    return chosen[0]


@dataclass(frozen=True, slots=True)
class Cast:
    poll: Poll
    choice: str
    voter_name: str  # the organization, or the caller
    previous: str | None  # the choice it replaced, if any
    reason_dropped: bool
    counted_as: str | None = None  # why the choice was recorded as another one
    by_proxy: bool = False  # cast with the organization's proxy


async def cast(ctx: Context, *, poll: Poll, choice: str, reason: str | None,
               org: Org | None) -> Cast:
    """Cast (or change) the caller's vote in `poll` (read in this transaction), checked
    against the poll's clock and electorate."""
    if not poll.accepts_votes(ctx.now):
        when = When(poll.closed_at or poll.closes_at, ctx.coalition.timezone)
        raise Conflict(f"Poll #{poll.number} closed on " + when + "; it takes no more votes.",
                       hint="See the result with " + CommandRef(f"poll status #{poll.number}")
                            + ".")
    if poll.pick > 1:
        picked, counted_as = "|".join(match_picks(poll, choice)), None
    else:
        picked, counted_as = _weighed_choice(poll, choice)
    person = ctx.caller.person
    if poll.electorate == "orgs":
        proxied = await _proxy_org(ctx, poll, org)
        by_proxy = proxied is not None
        deciding = proxied or await voting_org(ctx, poll, org)
        voter, voter_name, org_id = f"org:{deciding.id}", deciding.name, deciding.id
    else:
        if org is not None:
            raise UsageError(f"Poll #{poll.number} is a member poll: everyone votes for "
                             "themselves, so org: does not apply.")
        voter, voter_name, org_id = f"person:{person.id}", person.display_name, None
        by_proxy = False
    state = await poll_sql.voter_state(ctx.conn, poll.id, voter)
    if not state.elector:
        raise _not_an_elector(poll, voter_name)
    note = clean_line(reason) if reason else None
    if poll.anonymous:
        first, *more = picked.split("|")
        if not await poll_sql.cast_anonymous_vote(ctx.conn, poll.id, voter, org_id, person.id,
                                                  first, ctx.now):
            raise Conflict(
                f"{voter_name} has already voted in anonymous poll #{poll.number}.",
                hint="Anonymous votes cannot be changed: nobody, not even the bot, "
                     "knows which choice was whose.")
        for other in more:
            await poll_sql.add_to_tally(ctx.conn, poll.id, other)
        return Cast(poll, picked, voter_name, None, bool(note), counted_as)
    if by_proxy:
        _check_proxy_vote(poll, state, voter_name, picked)
    previous, caster = state.choice, state.cast_by
    await poll_sql.cast_vote(ctx.conn, poll.id, voter, org_id, person.id, picked, note, ctx.now,
                             by_proxy=by_proxy)
    if not by_proxy and poll.electorate == "orgs" and state.proxy_given:
        # its own vote ends the proxy (no statement when none was given: most votes)
        await proxy_sql.revoke(ctx.conn, poll.id, voter)
    if caster is not None and previous is not None and previous != picked \
            and poll.electorate == "orgs":  # whoever cast it before should know
        await changes.vote_changed(ctx, poll, voter_name, caster, previous, picked)
    _announce_block(ctx, poll, voter_name, picked, previous, note)
    return Cast(poll, picked, voter_name, previous, False, counted_as, by_proxy)


async def _proxy_org(ctx: Context, poll: Poll, org: Org | None) -> Org | None:
    """The organization whose proxy the caller casts, if this vote is one (the caller
    does not represent the organization named, or represents none and holds one proxy)."""
    caller = ctx.caller
    if (org is not None and org.id in caller.org_ids) or (org is None and caller.org_ids):
        return None
    held = await proxy_sql.held_by(ctx.conn, poll.id, caller.person.id)
    if org is not None:
        return org if f"org:{org.id}" in held else None
    if len(held) > 1:
        names = [(await org_sql.get_org(ctx.conn, int(k[4:]))).name for k in held]
        raise UsageError(f"You hold the proxies of {', '.join(names)}. Say which one this "
                         f"vote is for.", hint=f'Add org:NAME, for example org:"{names[0]}".')
    return await org_sql.get_org(ctx.conn, int(held[0][4:])) if held else None


def _check_proxy_vote(poll: Poll, state: poll_sql.VoterState, name: str, choice: str) -> None:
    """A proxy cannot block, and cannot override the organization's own vote."""
    if choice == BLOCK:
        raise PermissionDenied(f"A proxy cannot block: under consensus a block stops the "
                               f"proposal alone, which only {name}'s own representatives "
                               "may do.", hint="Vote disagree instead, or ask them to vote.")
    if state.own_vote_cast:
        raise Conflict(f"{name} has voted itself in poll #{poll.number}; its own vote "
                       "overrides the proxy.")


def _weighed_choice(poll: Poll, raw: str) -> tuple[str, str | None]:
    """The choice a typed vote counts as, and why if it is not the one typed: outside
    consensus a block has no weight of its own, so it is recorded as disagree."""
    if poll.proposal and poll.rule != "consensus" and name_key(raw) == BLOCK:
        return "disagree", (f"Poll #{poll.number} is decided by {poll.rule}, where a block "
                            "has no special weight: it was recorded as disagree. Only "
                            "consensus polls let one block stop a proposal.")
    return match_choice(poll, raw), None


def _announce_block(ctx: Context, poll: Poll, voter_name: str, choice: str,
                    previous: str | None, reason: str | None) -> None:
    """Tell the home channels at once when a consensus proposal is blocked, or a block is
    withdrawn: one block stops it, so partners should not learn of it only at the close.
    Not for anonymous polls, where the timing would tell whose block it was."""
    if poll.rule != "consensus" or poll.anonymous or (choice == BLOCK) == (previous == BLOCK):
        return
    if choice == BLOCK:
        why = f"Reason: {reason}" if reason else "No reason given."
        ctx.notify(Notice(ctx.coalition.id, f"Poll #{poll.number}: {voter_name} blocks",
                          f"{poll.question}\n{why}\nUnder consensus one block stops the "
                          "proposal; it can be withdrawn by changing the vote until the poll "
                          "closes."))
    else:
        ctx.notify(Notice(ctx.coalition.id,
                          f"Poll #{poll.number}: {voter_name} withdrew the block",
                          f"{poll.question}\nThe vote is now {choice}."))


def _not_an_elector(poll: Poll, voter_name: str) -> Conflict:
    """Refusal for a voter outside a poll's electorate, fixed when it opened."""
    if poll.electorate == "orgs":
        return Conflict(f"{voter_name} was not a voting partner when poll #{poll.number} "
                        "opened, so it does not vote in it: a poll's electorate is fixed "
                        "when it opens.", hint="It votes in the polls opened from now on.")
    return Conflict(f"You are not in the electorate of member poll #{poll.number}: it is "
                    "fixed when the poll opens (the members the bot knew then, less anyone "
                    "a coordinator removed since).",
                    hint="You vote in the member polls opened from now on.")


async def extend(ctx: Context, number: int, closes: datetime) -> Poll:
    """Give an open poll a later closing time (quorum not reached yet, say); the home
    channel hears of it."""
    poll = await get_poll(ctx.conn, ctx.coalition.id, number)
    tz = ctx.coalition.timezone
    if not poll.accepts_votes(ctx.now):
        when = When(poll.closed_at or poll.closes_at, tz)
        raise Conflict(f"Poll #{poll.number} closed on " + when + "; it cannot be reopened.",
                       hint="Open a new poll with " + CommandRef("poll create") + ".")
    if closes <= poll.closes_at:
        raise UsageError(f"Poll #{poll.number} already closes " + When(poll.closes_at, tz) +
                         "; " + When(closes, tz) + " is not later.",
                         hint="To end it now, use " + CommandRef("poll close") + ".")
    await poll_sql.set_closes_at(ctx.conn, poll.id, closes)
    extended = replace(poll, closes_at=closes)
    ctx.notify(Notice(ctx.coalition.id, f"Poll #{poll.number} now closes "
                                        + When(closes, tz),
                      f"{poll.question}\nExtended by {ctx.caller.person.display_name}; "
                      "votes can be cast or changed until then.",
                      buttons=vote_buttons(extended)))
    return extended


def vote_buttons(poll: Poll) -> tuple[Button, ...]:
    """One button per choice, each carrying the command line it stands for."""
    styles: dict[str, ButtonStyle] = {"agree": "primary", "block": "danger"}
    return tuple(Button(choice, f"poll vote {poll.number} {quote_arg(choice)}",
                        styles.get(choice, "secondary") if poll.proposal else "secondary")
                 for choice in poll.choices)


def outcome_label(outcome: Outcome, poll: Poll) -> str:
    """One word or phrase for the decision log: passed, failed, tie, no quorum, or a choice."""
    if not outcome.quorum_met:
        return "no quorum"
    if outcome.passed is None:
        return "tie"
    if poll.proposal:
        return "passed" if outcome.passed else "failed"
    return outcome.winner or "no decision"


def results_visible(poll: Poll, now: datetime) -> bool:
    """Whether tallies may be shown now. Hidden-results polls show them once closed.
    Anonymous polls too, whatever `results` says: the list of who has voted is public,
    so a live tally read before and after one vote would tell that voter's choice."""
    if poll.status == "closed" or not poll.accepts_votes(now):
        return True
    return poll.results == "live" and not poll.anonymous


def tally_lines(tallies: dict[str, int], voted: int) -> str:
    """`agree: 3 (60%)` per choice: the share of those who voted (with pick:K a voter
    may choose several, so the shares can add up to more than 100%)."""
    return "\n".join(f"{choice}: {n} ({round(100 * n / voted)}%)" if voted
                     else f"{choice}: {n}" for choice, n in tallies.items())


def tally_fields(state: PollState) -> tuple[Field, ...]:
    return (Field("Tally", tally_lines(state.tallies, len(state.votes))
                  if sum(state.tallies.values()) else "no votes yet"),)


def public_votes(state: PollState) -> list[dict[str, str]]:
    """Who voted, and unless the poll is anonymous how and why, for the log and export."""
    rows = []
    for v in state.votes:
        row = {"voter": v.voter_name, "cast_by": v.cast_by}
        if v.by_proxy:
            row["proxy"] = "yes"
        if not state.poll.anonymous:
            row["choice"] = v.choice or ""
            row["reason"] = v.reason or ""
        rows.append(row)
    return rows


async def close_poll(conn: Conn, coalition: Coalition, poll: Poll, *, now: datetime,
                     closed_by: Person | None) -> tuple[PollState, int, Notice]:
    """Close a poll: status, outcome and decision-log entry in the caller's transaction;
    if the poll proposed an off-limits topic and passed, the topic too.

    Returns the final state, the decision's number and the notice for the home channel.
    Raises Conflict if the poll was already closed.
    """
    state = await poll_state(conn, poll)
    if not await poll_sql.mark_closed(conn, poll.id, closed_by.id if closed_by else None, now):
        raise Conflict(f"Poll #{poll.number} is already closed.",
                       hint="See the result with " + CommandRef(f"poll status #{poll.number}")
                            + ".")
    label = outcome_label(state.outcome, poll)
    proxies = sum(v.by_proxy for v in state.votes)
    if proxies:  # the result says how many votes were cast for others
        state = replace(state, outcome=replace(state.outcome, summary=(
            f"{state.outcome.summary} {proxies} vote(s) cast by proxy.")))
    number = await poll_sql.add_decision(
        conn, coalition.id, poll, outcome=label, summary=state.outcome.summary,
        tallies=state.tallies, voters=public_votes(state), electorate=len(state.electors),
        quorum_met=state.outcome.quorum_met,
        closed_by=closed_by.display_name if closed_by else "deadline", now=now)
    text = f"{poll.question}\n{state.outcome.summary}"
    if closed_by is not None and now < poll.closes_at:  # cut short: partners should know
        text += (f"\nClosed early by {closed_by.display_name}; it was to close "
                 + When(poll.closes_at, coalition.timezone) + ".")
    proposed = await topic_sql.proposal(conn, poll.id)
    key = phrase_key(proposed[0]) if proposed is not None else ""
    if proposed is not None and label == "passed" and not any(
            phrase_key(t.phrase) == key
            for t in await topic_sql.active_topics(conn, coalition.id)):
        adopted = await topic_sql.adopt_proposal(conn, coalition.id, poll.id, key, number,
                                                 now)
        if adopted:
            text += f"\n“{adopted}” is now an off-limits topic."
    removal = await topic_sql.removal(conn, poll.id)
    if removal is not None and label == "passed":
        topic = await topic_sql.find_active(conn, coalition.id, phrase_key(removal[0]))
        if topic is not None:
            await topic_sql.remove_topic(conn, coalition.id, topic.id, removal[1], now)
            text += f"\n“{topic.phrase}” is no longer an off-limits topic."
    text += decision_log.footer(await decision_log.seal(conn, coalition.id))
    notice = result_notice(coalition.id, poll.number, label, text, state.tallies,
                           len(state.votes))
    return state, number, notice


def result_notice(coalition_id: int, poll_number: int | None, outcome: str, text: str,
                  tallies: dict[str, int], voted: int) -> Notice:
    """The home-channel post that a poll closed, with its outcome and tally."""
    return Notice(coalition_id, f"Poll #{poll_number} closed: {outcome}", text,
                  fields=(Field("Tally", tally_lines(tallies, voted) if sum(tallies.values())
                                else "no votes"),))


async def reminder_notice(conn: Conn, coalition: Coalition, poll: Poll,
                          title: str) -> tuple[list[Elector], Notice | None]:
    """Who has not voted, and a notice naming them that mentions each of their people
    individually (None when everyone has voted)."""
    state = await poll_state(conn, poll)
    missing = state.not_voted
    if not missing:
        return [], None
    left = When(poll.closes_at, coalition.timezone)
    people = list({p.id: p for e in missing for p in e.people}.values())  # each person once
    if poll.electorate == "orgs":
        fields = tuple(Field(e.name, ", ".join(p.display_name for p in e.people)
                             or "no representative yet") for e in missing)
        text = (f"{poll.question}\nThese organizations have not voted yet; the poll closes "
                + left + ". Vote with " + CommandRef(f"poll vote #{poll.number} CHOICE") + ".")
    else:
        fields = (Field("Not voted yet", ", ".join(e.name for e in missing)),)
        text = (f"{poll.question}\nThe poll closes " + left + ". "
                "Vote with " + CommandRef(f"poll vote #{poll.number} CHOICE") + ".")
    mentions = tuple(Mention(p.platform, p.platform_user_id, p.display_name) for p in people)
    return missing, Notice(coalition.id, title, text, fields=fields, buttons=vote_buttons(poll),
                           mentions=mentions)


async def remind(ctx: Context, number: int) -> tuple[Poll, list[Elector], Notice | None]:
    """`/poll remind`: post who has not voted to the home channel."""
    poll = await get_poll(ctx.conn, ctx.coalition.id, number)
    if not poll.accepts_votes(ctx.now):
        raise Conflict(f"Poll #{poll.number} is closed; there is nobody left to remind.")
    missing, notice = await reminder_notice(ctx.conn, ctx.coalition, poll,
                                            f"Reminder: poll #{poll.number} needs your vote")
    if notice is not None:
        ctx.notify(notice)
    return poll, missing, notice


async def list_polls(ctx: Context, status: str | None) -> list[tuple[Poll, int, int]]:
    """Polls newest first, each with how many have voted and the electorate's size."""
    found = []
    for poll in await poll_sql.list_polls(ctx.conn, ctx.coalition.id, status):
        state = await poll_state(ctx.conn, poll)
        found.append((poll, len(state.votes), len(state.electors)))
    return found
