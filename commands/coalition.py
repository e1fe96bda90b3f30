"""`/coalition`: set the coalition up, its partner organizations, people and goals."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from coalition_bot.charts import Bar, participation_png
from coalition_bot.commands.args import Confirm, NoArgs
from coalition_bot.commands.spec import Arg, Command, OptionType, Subcommand
from coalition_bot.model import Binding, GoalStatus, Level, Occurrence, Org, Person
from coalition_bot.replies import Attachment, CommandRef, Field, Notice, Reply, Text, When, join
from coalition_bot.rules.chain import short
from coalition_bot.rules.digest import WEEKDAYS, Weekday, parse_clock
from coalition_bot.rules.health import OrgHealth
from coalition_bot.rules.recurrence import describe
from coalition_bot.rules.times import format_local, format_span
from coalition_bot.rules.zones import describe_zone
from coalition_bot.services import (
    coalitions,
    confirm,
    decision_log,
    decisions,
    delivery_status,
    digest,
    exports,
    goals,
    health,
    page,
    polls,
)
from coalition_bot.services.context import Context
from coalition_bot.store import polls as poll_sql

__all__ = ["COMMAND"]

NAME_MAX = 80
GOAL_MAX = 300
NOTE_MAX = 500
DEFAULT_TIMEZONE = "UTC"


# Arguments that several subcommands share (see `spec.Arg`).
OrgName = Annotated[str, Arg("the organization's name", max_length=NAME_MAX)]
User = Annotated[Person, Arg(
    "the person (mention them, or their name on the console)", max_length=NAME_MAX)]
OrgRef = Annotated[Org, Arg("an organization's name or #number", max_length=NAME_MAX)]


@dataclass(frozen=True, slots=True)
class SetupArgs:
    name: Annotated[str, Arg("the coalition's name", max_length=NAME_MAX)]
    timezone: Annotated[str | None, Arg(
        "the time zone times are read and shown in (default UTC)", type=OptionType.TIMEZONE)] = None


async def _setup(ctx: Context, args: SetupArgs) -> Reply:
    coalition = await coalitions.setup(ctx, args.name, args.timezone or DEFAULT_TIMEZONE)
    return Reply(
        title=f"Coalition {coalition.name} is set up",
        text=(f"Times are read and shown in {coalition.timezone}. This channel is the home "
              "channel for reminders and decisions. You are its first coordinator.\n"
              "Next: add partner organizations with " + CommandRef("coalition org add NAME") + "."))


@dataclass(frozen=True, slots=True)
class UpdateArgs:
    name: Annotated[str | None, Arg(
        "the coalition's new name", keyword_only=True, max_length=NAME_MAX)] = None
    timezone: Annotated[str | None, Arg(
        "the time zone times are read and shown in from now on", type=OptionType.TIMEZONE,
        keyword_only=True)] = None


async def _update(ctx: Context, args: UpdateArgs) -> Reply:
    changed = await coalitions.update(ctx, args.name, args.timezone)
    before, after = changed.before, changed.after
    lines = []
    if after.name != before.name:
        lines.append(f"Renamed from {before.name} to {after.name}.")
    zone = after.timezone
    if zone != before.timezone:
        lines.append(f"Times are now read and shown in {describe_zone(zone, ctx.now)}, "
                     f"instead of {before.timezone}. Poll deadlines and action due times "
                     "stay the same moments.")
        lines.append("Meetings keep their own time zone and local time, so none of them "
                     "moves:" if changed.meetings else "There are no upcoming meetings.")
    if not lines:
        return Reply(private=True, text=f"{after.name} already is that way.")
    fields = tuple(_meeting_stays(occ, zone) for occ in changed.meetings
                   ) if zone != before.timezone else ()
    ctx.notify(Notice(after.id, f"{after.name}: coalition updated", "\n".join(lines),
                      fields=fields))
    return Reply(private=True, title=f"{after.name} updated", text="\n".join(lines),
                 fields=fields)


def _meeting_stays(occ: Occurrence, zone: str) -> Field:
    """What a zone change does to one meeting: nothing, said in both zones."""
    meeting = occ.meeting
    at = When(occ.start, meeting.timezone)
    if meeting.timezone == zone:
        how = "stays at " + at + f", already in {zone}."
    else:
        there = occ.start.astimezone(ZoneInfo(zone))
        how = ("stays at " + at + f", which is {there:%H:%M} on {there:%a} {there.day} "
               f"{there:%b} in {zone}. To move it: "
               + CommandRef(f"meeting reschedule #{meeting.number} WHEN") + ".")
    return Field(f"Meeting #{meeting.number} {meeting.title} ({describe(meeting.rrule)})", how)


_PLATFORMS = coalitions.PLATFORM_NAMES


def _elsewhere(ctx: Context, bindings: tuple[Binding, ...]) -> tuple[Field, ...]:
    """The coalition's other workspaces, by platform, if it has any."""
    here = ctx.binding.id if ctx.binding else None
    counts: dict[str, int] = {}
    for b in bindings:
        if b.id != here:
            counts[b.platform] = counts.get(b.platform, 0) + 1
    if not counts:
        return ()
    return (Field("Also on", ", ".join(
        _PLATFORMS.get(p, p) + (f" ({n} workspaces)" if n > 1 else "")
        for p, n in sorted(counts.items())), inline=True),)


async def _info(ctx: Context, args: NoArgs) -> Reply:
    o = await coalitions.overview(ctx)
    home = _home_field(ctx)
    orgs = "\n".join(
        f"#{r.org.number} {r.org.name}{' (observer)' if r.org.observer else ''}: "
        f"{len(r.representatives)} representative(s)" for r in o.roster) or "none yet"
    goal_line = ", ".join(f"{n} {s}" for s, n in o.goal_counts.items()) or "none yet"
    since = When(o.coalition.created_at, o.coalition.timezone)
    by = f" by {o.creator.display_name}" if o.creator else ""
    return Reply(title=o.coalition.name, text="Set up " + since + f"{by}.", fields=(
        Field("Time zone", o.coalition.timezone, inline=True),
        home,
        *_elsewhere(ctx, o.bindings),
        Field("Coordinators", ", ".join(p.display_name for p in o.coordinators)),
        Field("Partner organizations", orgs),
        Field("Goals", goal_line),
        *await _delivery_field(ctx),
    ))


async def _delivery_field(ctx: Context) -> tuple[Field, ...]:
    """A warning when notices could not be delivered lately (coordinators can act)."""
    failed = await delivery_status.recent_failures(ctx)
    if not failed:
        return ()
    return (Field("Deliveries", f"{failed} notice(s) could not be delivered in the last 7 "
                                "days: see " + CommandRef("coalition deliveries") + "."),)


async def _deliveries(ctx: Context, args: NoArgs) -> Reply:
    status = await delivery_status.delivery_status(ctx)
    tz = ctx.coalition.timezone
    fields = tuple(
        Field(f"{f.what} (" + When(f.due_at, tz) + ")",
              f"{_PLATFORMS.get(f.platform, f.platform)}, {_where(f.target)}: {f.reason}"
              + (f"\nWhat to do: {f.hint}" if f.hint else ""))
        for f in status.failed)
    if status.waiting:
        since = When(status.oldest_waiting, tz) if status.oldest_waiting else ""
        waiting = (f"{status.waiting} waiting to be sent (the oldest due " + since
                   + "); they go out as soon as the platform takes them.")
    else:
        waiting = "Nothing is waiting to be sent."
    if not fields:
        return Reply(private=True, title="Deliveries",
                     text="Every notice of the last 7 days was delivered or is on its way. "
                          + waiting)
    return Reply(private=True, title="Deliveries that failed in the last 7 days",
                 text="These were refused by the platform and will not be retried. " + waiting,
                 fields=fields)


def _where(target: str) -> str:
    return "a direct message" if target.startswith("user:") else f"channel {target}"


def _home_field(ctx: Context) -> Field:
    """Where this workspace's notices go: a link to the channel, "this channel" where a
    front door cannot link (the console)."""
    here, mine = ctx.invocation, ctx.binding
    if mine is None or not mine.home_channel_id:
        return Field("Home channel", "not set: run " + CommandRef("coalition home")
                     + " in the channel to use",
                     inline=True)
    if mine.home_channel_id == here.channel_id:
        return Field("Home channel", "this channel", inline=True, channel_id=here.channel_id)
    return Field("Home channel", f"channel {mine.home_channel_id}", inline=True,
                 channel_id=mine.home_channel_id)


async def _link(ctx: Context, args: NoArgs) -> Reply:
    code, expires = await coalitions.new_link_code(ctx)
    until = When(expires, ctx.coalition.timezone)
    return Reply(private=True, title="Link code for another workspace",
                 text=f"`{code}`\nIn the Slack workspace or Discord server to connect, run "
                      + CommandRef(f"coalition connect {code}")
                      + " in the channel that should be its home channel. The person who runs "
                      "it becomes a coordinator there. The code works once, until " + until
                      + "; share it only with that person.")


@dataclass(frozen=True, slots=True)
class ConnectArgs:
    code: Annotated[str, Arg("the link code", max_length=40)]


async def _connect(ctx: Context, args: ConnectArgs) -> Reply:
    person = await coalitions.connect(ctx, args.code)
    name = ctx.coalition.name
    platform = _PLATFORMS.get(ctx.invocation.platform, ctx.invocation.platform)
    ctx.notify(Notice(
        ctx.coalition.id, f"{name} is now also on {platform}",
        f"Connected by {person.display_name}, a coordinator there. Organizations, polls, "
        "meetings, goals and topics are shared; each organization still has one vote."))
    return Reply(private=True, title=f"This workspace is now part of {name}",
                 text="This channel is its home channel here, and you are a coordinator. "
                      "See the coalition with " + CommandRef("coalition info")
                      + "; make people of this "
                      "workspace representatives with "
                      + CommandRef("coalition rep add USER ORG") + ".")


def _workspace_name(b: Binding) -> str:
    kind = {"slack": "Slack workspace", "discord": "Discord server"}.get(
        b.platform, f"{b.platform} workspace")
    return f"{kind} {b.workspace_id}"


async def _workspaces(ctx: Context, args: NoArgs) -> Reply:
    here = ctx.binding.id if ctx.binding else None
    fields = tuple(
        Field(f"#{i} {_workspace_name(b)}" + (" (this one)" if b.id == here else ""),
              f"home channel {b.home_channel_id or 'not set'}")
        for i, b in enumerate(await coalitions.workspaces(ctx), 1))
    return Reply(private=True, title=f"Workspaces of {ctx.coalition.name}", fields=fields,
                 text="A coordinator takes one out with "
                      + CommandRef("coalition disconnect #N") + ".")


@dataclass(frozen=True, slots=True)
class DisconnectArgs:
    workspace: Annotated[int, Arg("its number in " + CommandRef("coalition workspaces"),
                                  type=OptionType.NUMBER)]


async def _disconnect(ctx: Context, args: DisconnectArgs) -> Reply:
    gone = await coalitions.disconnect(ctx, args.workspace)
    ctx.notify(Notice(ctx.coalition.id, f"{_workspace_name(gone)} left {ctx.coalition.name}",
                      f"Disconnected by {ctx.caller.person.display_name}. Its channels get no "
                      "more notices; a coordinator can connect it again with a new code "
                      "from " + CommandRef("coalition link") + "."))
    return Reply(private=True, text=f"Disconnected {_workspace_name(gone)}.")


async def _home(ctx: Context, args: NoArgs) -> Reply:
    if not await coalitions.set_home(ctx):
        return Reply(private=True, text="This channel already is the home channel.")
    return Reply(title="This is now the home channel",
                 text="Meeting reminders, poll results and decisions of "
                      f"{ctx.coalition.name} are posted here from now on.")


@dataclass(frozen=True, slots=True)
class OrgAddArgs:
    name: OrgName
    observer: Annotated[bool | None, Arg(
        "yes for an organization that takes part but does not vote")] = None


async def _org_add(ctx: Context, args: OrgAddArgs) -> Reply:
    org, back = await coalitions.add_org(ctx, args.name, bool(args.observer))
    role = "an observer (takes part, does not vote)" if org.observer else "a voting partner"
    if back:
        return Reply(title=f"Organization #{org.number} is back",
                     text=f"{org.name} rejoined the coalition as {role}. Its representatives "
                          "need adding again: " + CommandRef("coalition rep add USER ORG") + ".")
    return Reply(title=f"Organization #{org.number} added",
                 text=f"{org.name} is {role}. Add its representatives with "
                      + CommandRef("coalition rep add USER ORG") + ".")


@dataclass(frozen=True, slots=True)
class OrgArgs:
    org: OrgRef


@dataclass(frozen=True, slots=True)
class OrgRemoveArgs:
    org: OrgRef
    confirm: Confirm = None


async def _org_remove(ctx: Context, args: OrgRemoveArgs) -> Reply:
    org = args.org
    if not args.confirm:
        return await _ask_org_remove(ctx, org)
    reps = await coalitions.remove_org(ctx, org)
    who = f" Its {reps} representative(s) no longer vote for it." if reps else ""
    return Reply(title=f"{org.name} left the coalition",
                 text=f"It keeps number #{org.number} and its place in past decisions, but no "
                      f"longer votes or counts toward any quorum, open polls included.{who} "
                      "Bring it back with " + CommandRef(f"coalition org add \"{org.name}\"") + ".")


async def _ask_org_remove(ctx: Context, org: Org) -> Reply:
    """What removing an organization does, in numbers: its representatives, and each open
    poll whose electorate shrinks by one."""
    async with confirm.rehearsal(ctx):
        reps = await coalitions.remove_org(ctx, org)
    changes = []
    for poll, _, size in await polls.list_polls(ctx, "open"):
        if await poll_sql.is_elector(ctx.conn, poll.id, f"org:{org.id}"):
            voted = await poll_sql.vote_choice(ctx.conn, poll.id, f"org:{org.id}") is not None
            changes.append(f"poll #{poll.number}: {size} → {size - 1} organizations"
                           + (", and its vote there stops counting" if voted else ""))
    polls_line = (f"{len(changes)} open poll(s) count one organization fewer, so their "
                  f"quorums change: {'; '.join(changes)}." if changes
                  else "No open poll changes.")
    return confirm.ask(f"Remove {org.name} from the coalition?",
                       f"Its {reps} representative(s) stop voting for it. {polls_line}",
                       f"coalition org remove #{org.number}", f"Remove {org.name}")


async def _org_list(ctx: Context, args: NoArgs) -> Reply:
    roster = await coalitions.org_roster(ctx)
    if not roster:
        return Reply(title="Partner organizations",
                     text="None yet. A coordinator adds one with "
                          + CommandRef("coalition org add NAME") + ".")
    fields = tuple(
        Field(f"#{r.org.number} {r.org.name}" + (" (observer)" if r.org.observer else ""),
              (", ".join(p.display_name for p in r.representatives) or "no representative yet")
              + (f"\nAsked to join: {', '.join(p.display_name for p in r.waiting)}"
                 if r.waiting else ""))
        for r in roster)
    return Reply(title="Partner organizations", fields=fields)


@dataclass(frozen=True, slots=True)
class RepArgs:
    user: User
    org: OrgRef


async def _rep_add(ctx: Context, args: RepArgs) -> Reply:
    person, org = args.user, args.org
    added = await coalitions.add_representative(ctx, person, org)
    if not added:
        return Reply(text=f"{person.display_name} already represents {org.name}.", private=True)
    if org.observer:  # an observer takes part but has no vote to cast
        return Reply(title="Representative added",
                     text=f"{person.display_name} now represents {org.name}, an observer "
                          "organization: it takes part in the coalition but does not vote in "
                          "its polls.")
    return Reply(title="Representative added",
                 text=f"{person.display_name} now represents {org.name} and can vote for it.")


async def _rep_remove(ctx: Context, args: RepArgs) -> Reply:
    person, org = args.user, args.org
    left = await coalitions.remove_representative(ctx, person, org)
    after = ("" if left else f" {org.name} has no representative now: add one with "
             + CommandRef("coalition rep add USER ORG") + " so it can vote.")
    return Reply(title="Representative removed",
                 text=f"{person.display_name} no longer votes for {org.name}; the votes "
                      "already cast stay counted." + after)


async def _join(ctx: Context, args: OrgArgs) -> Reply:
    org = args.org
    if not await coalitions.join_org(ctx, org):
        return Reply(text=f"You already represent {org.name}.", private=True)
    return Reply(private=True, title=f"You are with {org.name}",
                 text="A coordinator can make you one of its representatives with "
                      + CommandRef(f"coalition rep add @you \"{org.name}\"") + ".")


@dataclass(frozen=True, slots=True)
class UserArgs:
    user: User


async def _coordinator_add(ctx: Context, args: UserArgs) -> Reply:
    person = args.user
    if not await coalitions.add_coordinator(ctx, person):
        return Reply(text=f"{person.display_name} is already a coordinator.", private=True)
    return Reply(title="Coordinator added", text=f"{person.display_name} is now a coordinator.")


@dataclass(frozen=True, slots=True)
class CoordinatorRemoveArgs:
    user: User
    confirm: Confirm = None


async def _coordinator_remove(ctx: Context, args: CoordinatorRemoveArgs) -> Reply:
    person = args.user
    if not args.confirm:
        async with confirm.rehearsal(ctx):
            await coalitions.remove_coordinator(ctx, person)
            left = await coalitions.coordinators(ctx)
        return confirm.ask(f"Remove {person.display_name} as coordinator?",
                           f"{person.display_name} becomes an ordinary member; "
                           f"{len(left)} coordinator(s) remain: "
                           f"{', '.join(p.display_name for p in left)}.",
                           f"coalition coordinator remove {confirm.person_arg(person)}",
                           f"Remove {person.display_name}")
    await coalitions.remove_coordinator(ctx, person)
    return Reply(title="Coordinator removed",
                 text=f"{person.display_name} is no longer a coordinator.")


async def _member_remove(ctx: Context, args: UserArgs) -> Reply:
    person = args.user
    gone = await coalitions.remove_member(ctx, person)
    name = person.display_name
    lines = [f"{name} no longer counts as a member: not in the electorate of member polls "
             "opened from now on."]
    if gone.polls:
        lines.append(f"Taken out of {gone.polls} open poll(s) {name} had not voted in; votes "
                     "already cast stay counted.")
    if gone.was_coordinator:
        lines.append(f"{name} is no longer a coordinator.")
    if gone.organizations:
        lines.append(f"{name} no longer represents {gone.organizations} organization(s).")
    lines.append(f"If {name} uses the bot again, they are a member again, for polls opened "
                 "from then on.")
    return Reply(title=f"{name} removed", text="\n".join(lines))


@dataclass(frozen=True, slots=True)
class GoalAddArgs:
    text: Annotated[str, Arg("what the coalition wants to achieve", max_length=GOAL_MAX, rest=True)]


async def _goal_add(ctx: Context, args: GoalAddArgs) -> Reply:
    goal = await goals.add_goal(ctx, args.text)
    return Reply(title=f"Goal #{goal.number} added", text=goal.text)


@dataclass(frozen=True, slots=True)
class GoalUpdateArgs:
    goal: Annotated[int, Arg("the goal's number", type=OptionType.NUMBER, kind="goal")]
    status: Annotated[GoalStatus, Arg("the goal's status now")]
    note: Annotated[str | None, Arg("what happened", max_length=NOTE_MAX, rest=True)] = None


async def _goal_update(ctx: Context, args: GoalUpdateArgs) -> Reply:
    goal = await goals.update_goal(ctx, args.goal, args.status, args.note or "")
    return Reply(title=f"Goal #{goal.number}: {goal.status}", text=goal.text)


async def _goals(ctx: Context, args: NoArgs) -> Reply:
    board = await goals.goal_board(ctx)
    if not board:
        return Reply(title="Shared goals",
                     text="None yet. A coordinator adds one with "
                          + CommandRef("coalition goal add TEXT") + ".")
    tz = ctx.coalition.timezone
    fields = []
    for goal, updates in board:
        lines = [goal.text]
        for u in updates[-3:]:
            when = format_local(u.created_at, tz).split(",")[0]
            lines.append(f"{when}, {u.author}: {u.status}" + (f" ({u.note})" if u.note else ""))
        fields.append(Field(f"#{goal.number} [{goal.status}]", "\n".join(lines)))
    return Reply(title="Shared goals", fields=tuple(fields))


@dataclass(frozen=True, slots=True)
class LogArgs:
    count: Annotated[int | None, Arg("how many (default 5)", min_value=1, max_value=50)] = None


async def _log(ctx: Context, args: LogArgs) -> Reply:
    found = await decisions.latest(ctx, args.count or 5)
    if not found:
        return Reply(title="Decision log", text="Nothing decided yet. Decisions are recorded "
                                                "when a poll closes.")
    tz = ctx.coalition.timezone
    fields = []
    for d in found:
        poll = f" (poll #{d.poll_number})" if d.poll_number else ""
        how = "by" if d.poll_number is None else "closed by"
        lines = [d.summary, When(d.decided_at, tz) + f", {how} {d.closed_by}."]
        if d.statement:
            lines.append(f"Written outcome: {d.statement}")
        voters = decisions.voters_line(d)
        if voters:
            lines.append(("Voted: " if d.anonymous else "Votes: ") + voters)
        fields.append(Field(f"#{d.number} {d.question}{poll}: {d.outcome}", join("\n", lines)))
    return Reply(title="Decision log", fields=tuple(fields))


async def _log_verify(ctx: Context, args: NoArgs) -> Reply:
    verdict = await decision_log.check(ctx.conn, ctx.coalition.id)
    if verdict.broken is not None:
        b = verdict.broken
        where = f"Entry {b.seq}, {b.label}," if b.seq else f"The log's {b.label}"
        return Reply(title="The decision log does not verify",
                     text=f"{where} does not match: {b.why}. The {verdict.entries} "
                          "entries before it check out. Compare with the head hashes "
                          "partners kept from decision notices, and with a backup.")
    if verdict.head is None:
        return Reply(title="The decision log is empty", text="Nothing to verify yet.")
    return Reply(title="The decision log is intact",
                 text=f"All {verdict.entries} entries check out. Head: "
                      f"{short(verdict.head)} ({verdict.head}); it matches the end of the "
                      "latest decision notice unless something was decided since.")


@dataclass(frozen=True, slots=True)
class ExportArgs:
    what: Annotated[exports.Export, Arg(
        "decisions, votes, goals, actions, resources, or log (the hash chain, JSON)")]
    format: Annotated[Literal["csv", "json"] | None, Arg("csv (default) or json")] = None


async def _export(ctx: Context, args: ExportArgs) -> Reply:
    what = args.what
    file = await exports.export(ctx, what, args.format or "csv")
    described = {"decisions": "The decision log", "votes": "Every vote of every decision",
                 "goals": "The shared goals and their progress",
                 "actions": "Every action item, open and done",
                 "resources": "Every offer and ask between partners, open and closed, "
                              "with who took it up",
                 "log": "The decision log's hash chain (JSON), every entry with its hashes, "
                        "to check offline as README.md describes"}[what]
    return Reply(private=True, text=f"{described}, oldest first.", files=(file,))


def _share(r: OrgHealth) -> str:
    if r.org.observer and not r.polls:
        return "Polls: an observer, does not vote."
    if not r.polls:
        return "Polls: none closed in the period that it could vote in."
    line = f"Polls: voted in {r.voted} of {r.polls} ({round(100 * r.voted / r.polls)}%)"
    if r.median_to_vote is not None:
        line += f", median {format_span(r.median_to_vote)} after a poll opened"
    return line + "."


def _org_health(r: OrgHealth) -> Field:
    observer = " (observer)" if r.org.observer else ""
    return Field(f"#{r.org.number} {r.org.name}{observer}", "\n".join((
        _share(r),
        f"Meetings: said yes to {r.said_yes}, attended {r.attended}.",
        f"Action items: {r.open_actions} open, {r.overdue_actions} overdue, "
        f"{r.done_actions} done in the period.",
        f"Roles held: {r.roles}. Representatives: {r.representatives}.")))


def _period_words(period: timedelta) -> str:
    if period % timedelta(days=1) == timedelta():
        return f"{period.days} day{'s' if period.days != 1 else ''}"
    return format_span(period)


def health_reply(h: health.Health, name: str, period: timedelta) -> Reply:
    """The health report as text: the source of truth the chart repeats."""
    goal_line = ", ".join(f"{n} {s}" for s, n in h.goals.items()) or "none"
    fields = [_org_health(r) for r in h.rows]
    fields.append(Field("Coalition", f"Decisions taken: {h.decisions}.\n"
                                     f"Polls that failed quorum: {h.failed_quorum}.\n"
                                     f"Goals: {goal_line}."))
    fields.append(Field("Offers and asks", h.network.summary()))
    fields.append(Field("Flags", "\n".join(f"- {f.text}" for f in h.flags)
                        or "Nothing to flag."))
    whose = "" if h.everything else " (your organization)"
    return Reply(private=True, title=f"Health of {name}{whose}, last {_period_words(period)}",
                 text="Polls are organization polls closed in the period; meetings are "
                      "occurrences in the period; action items are those open now or done "
                      "in the period.", fields=tuple(fields))


def _bar(r: OrgHealth) -> Bar:
    if not r.polls:
        note = "observer" if r.org.observer else "no polls"
    else:
        note = f"{r.voted} of {r.polls} ({round(100 * r.voted / r.polls)}%)"
    return Bar(f"#{r.org.number} {r.org.name}", r.vote_share, note)


@dataclass(frozen=True, slots=True)
class HealthArgs:
    period: Annotated[timedelta | None, Arg(
        "how far back to look (default 90d)", keyword_only=True)] = None


async def _health(ctx: Context, args: HealthArgs) -> Reply:
    period = args.period or health.DEFAULT_PERIOD
    found = await health.report(ctx, period)
    reply = health_reply(found, ctx.coalition.name, period)
    # drawn by the dispatcher after the transaction, in a worker thread (`Attachment.draw`)
    chart = functools.partial(
        participation_png, f"Share of polls voted in, last {_period_words(period)}",
        [_bar(r) for r in found.rows])
    return dataclasses.replace(reply, files=(Attachment("health.png", media_type="image/png",
                                                        draw=chart),))


@dataclass(frozen=True, slots=True)
class DigestOnArgs:
    weekday: Annotated[Weekday, Arg("the day of the week")]
    time: Annotated[str, Arg(
        "the time of day, in the coalition's time zone (like 09:00)", max_length=10)]


async def _digest_on(ctx: Context, args: DigestOnArgs) -> Reply:
    weekday = WEEKDAYS.index(args.weekday)
    at = parse_clock(args.time)
    first = await digest.set_digest(ctx, weekday, at)
    tz = ctx.coalition.timezone
    return Reply(title="Weekly digest on",
                 text=f"Every {digest.weekday_name(weekday)} at {at:%H:%M} ({tz}), each home "
                      "channel gets the week's decisions, polls closing and who has not "
                      "voted, meetings coming, action items due and goal changes. The first "
                      "one: " + When(first, tz) + ". Preview it with "
                      + CommandRef("coalition digest preview") + ".")


async def _digest_off(ctx: Context, args: NoArgs) -> Reply:
    if not await digest.stop_digest(ctx):
        return Reply(private=True, text="There is no weekly digest to turn off.")
    return Reply(title="Weekly digest off", text="No more weekly digests. Turn it on again "
                 "with " + CommandRef("coalition digest on WEEKDAY TIME") + ".")


async def _digest_preview(ctx: Context, args: NoArgs) -> Reply:
    notice = await digest.preview(ctx)
    return Reply(private=True, title=f"Preview: {notice.title}", text=notice.text,
                 fields=notice.fields)


def _page_reply(site: page.Site, title: str, found: page.Page,
                text: str | Text = "") -> Reply:
    address = site.url(page.page_path(found.slug)) or page.page_path(found.slug)
    shown = ", ".join(found.shown) or "nothing"
    who = "anyone (public)" if found.access == "public" else "only people given the link"
    fields = [Field("Address", address), Field("Who can find it", who),
              Field("Shows", shown)]
    if not site.base_url:
        fields.append(Field("Served", "not by this bot yet: its operator turns on [web] in "
                                      "the config"))
    return Reply(title=title, text=text, fields=tuple(fields))


@dataclass(frozen=True, slots=True)
class PageOnArgs:
    access: Annotated[Literal["public", "link"] | None, Arg(
        "public (default) or link")] = None


async def _page_on(ctx: Context, args: PageOnArgs) -> Reply:
    found = await page.turn_on(ctx, args.access)
    return _page_reply(ctx.site, "Coalition page on", found, "Change what it shows with "
                       + CommandRef("coalition page show goals,decisions,meetings,topics,names")
                       + ".")


async def _page_off(ctx: Context, args: NoArgs) -> Reply:
    if await page.turn_off(ctx) is None:
        return Reply(private=True, text="The coalition page is not on.")
    return Reply(title="Coalition page off", text="Its address and its calendar feed answer "
                                                  "\"not found\" from now on. Turn it on "
                                                  "again with " + CommandRef("coalition page on")
                                                  + ".")


@dataclass(frozen=True, slots=True)
class PageShowArgs:
    what: Annotated[str, Arg("a list of goals, decisions, meetings, topics, names; or none",
                             max_length=80, rest=True)]


async def _page_show(ctx: Context, args: PageShowArgs) -> Reply:
    found = await page.set_shown(ctx, page.parse_shown(args.what))
    return _page_reply(ctx.site, "Coalition page updated", found)


async def _page_rotate(ctx: Context, args: NoArgs) -> Reply:
    found = await page.rotate(ctx)
    return _page_reply(ctx.site, "Coalition page moved", found, "The old address answers \"not "
                       "found\" from now on.")


COMMAND = Command(
    name="coalition",
    help="Set up the coalition, its partner organizations, their representatives, "
         "coordinators and shared goals.",
    subcommands=(
        Subcommand(("setup",), "Start a coalition here. You become its first coordinator and "
                   "this channel its home channel.", Level.ANYONE, _setup,
                   example='/coalition setup "Eastside Tenants Coalition" America/New_York'),
        Subcommand(("update",), "Rename the coalition or change its time zone (meetings "
                   "keep their own zone and local times).", Level.COORDINATOR, _update,
                   example="/coalition update timezone:America/Chicago"),
        Subcommand(("info",), "Show the coalition: time zone, home channel, coordinators, "
                   "organizations, goals.", Level.MEMBER, _info),
        Subcommand(("home",), "Make this channel the home channel, where reminders, poll "
                   "results and decisions are posted.", Level.COORDINATOR, _home),
        Subcommand(("link",), "Get a one-time code that connects another Slack workspace "
                   "or Discord server to this coalition.", Level.COORDINATOR, _link, private=True),
        Subcommand(("connect",), "Connect this workspace to an existing coalition with a "
                   "code from " + CommandRef("coalition link")
                   + "; this channel becomes its home channel.",
                   Level.ANYONE, _connect,
                   private=True, example="/coalition connect K7QM-3XPD-2WHN"),
        Subcommand(("deliveries",), "Notices and reminders that could not be delivered "
                   "lately, with what to do, and how many are waiting.", Level.COORDINATOR,
                   _deliveries, private=True),
        Subcommand(("workspaces",), "The Slack workspaces and Discord servers of this "
                   "coalition.", Level.COORDINATOR, _workspaces, private=True),
        Subcommand(("disconnect",), "Take another workspace out of the coalition (its "
                   "people keep their past votes).", Level.COORDINATOR, _disconnect),
        Subcommand(("org", "add"), "Register a partner organization.", Level.COORDINATOR,
                   _org_add, example='/coalition org add "Tenants United"'),
        Subcommand(("org", "remove"), "An organization leaves the coalition: it no longer "
                   "votes or counts toward quorums; past decisions keep it.",
                   Level.COORDINATOR, _org_remove,
                   example='/coalition org remove "Tenants United"'),
        Subcommand(("org", "list"), "List the partner organizations and their representatives.",
                   Level.MEMBER, _org_list),
        Subcommand(("rep", "add"), "Make someone a representative who votes for an "
                   "organization (an organization may have several).", Level.COORDINATOR,
                   _rep_add, example='/coalition rep add @maria "Tenants United"'),
        Subcommand(("rep", "remove"), "Stop someone representing an organization (their "
                   "votes so far stay counted).", Level.COORDINATOR, _rep_remove,
                   example='/coalition rep remove @maria "Tenants United"'),
        Subcommand(("join",), "Say which organization you are with; a coordinator then confirms "
                   "you as representative with `rep add`.", Level.MEMBER, _join, private=True),
        Subcommand(("coordinator", "add"), "Make someone a coordinator.", Level.COORDINATOR,
                   _coordinator_add),
        Subcommand(("coordinator", "remove"), "Make a coordinator an ordinary member again "
                   "(each workspace keeps at least one).", Level.COORDINATOR,
                   _coordinator_remove),
        Subcommand(("member", "remove"), "Someone left: take away their roles and their "
                   "place in open member polls they have not voted in.", Level.COORDINATOR,
                   _member_remove, example="/coalition member remove @sam"),
        Subcommand(("goal", "add"), "Record a shared goal of the coalition.", Level.COORDINATOR,
                   _goal_add, example="/coalition goal add Pass the rent stabilization ordinance"),
        Subcommand(("goal", "update"), "Record progress on a goal, with a new status.",
                   Level.REPRESENTATIVE, _goal_update,
                   example="/coalition goal update #1 in-progress Hearing set for March 3"),
        Subcommand(("goals",), "List the shared goals and their latest progress.",
                   Level.MEMBER, _goals),
        Subcommand(("log",), "Show the latest decisions: outcome, tallies and who voted.",
                   Level.MEMBER, _log),
        Subcommand(("log", "verify"), "Check that nobody changed the decision log: "
                   "recompute its hash chain and name the first entry that does not match.",
                   Level.MEMBER, _log_verify),
        Subcommand(("health",), "Who carries what and who has gone quiet: each "
                   "organization's votes, meetings, action items and roles, with flags "
                   "(representatives see their own organization).", Level.REPRESENTATIVE,
                   _health, private=True, example="/coalition health period:30d"),
        Subcommand(("digest", "on"), "Post a weekly digest to the home channels: decisions, "
                   "polls closing, meetings coming, actions due, goal changes.",
                   Level.COORDINATOR, _digest_on, example="/coalition digest on monday 09:00"),
        Subcommand(("digest", "off"), "Stop the weekly digest.", Level.COORDINATOR,
                   _digest_off),
        Subcommand(("digest", "preview"), "See the weekly digest as it would be posted now.",
                   Level.COORDINATOR, _digest_preview, private=True),
        Subcommand(("page", "on"), "Turn on the coalition's web page and calendar feed: "
                   "public, or link (an unguessable address for those given it).",
                   Level.COORDINATOR, _page_on, example="/coalition page on link"),
        Subcommand(("page", "off"), "Turn the coalition's web page and feed off, at once.",
                   Level.COORDINATOR, _page_off),
        Subcommand(("page", "show"), "Choose what the page shows: goals, decisions, "
                   "meetings, topics, and names (of members; organizations always show).",
                   Level.COORDINATOR, _page_show,
                   example="/coalition page show goals,decisions,meetings"),
        Subcommand(("page", "rotate"), "Give the page a new address; the old one stops "
                   "working.", Level.COORDINATOR, _page_rotate),
        Subcommand(("export",), "Get the decision log, its votes, the goals, the action "
                   "items or the offers and asks as a file (CSV or JSON).", Level.MEMBER,
                   _export, private=True, example="/coalition export decisions json"),
    ),
)
