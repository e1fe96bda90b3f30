"""Strategy meetings: scheduling, occurrences, RSVPs, agendas, notes, minutes, calendar.

`reminders_due`, `sweep_reminders` and `actions_due` answer the scheduler's one
question, "what is due between t1 and t2", for every coalition at once.

In detail:

- A meeting stores its start as **local wall-clock time plus its zone** (`start_local`,
  `timezone`) and an RRULE. `rules/recurrence.py` runs dateutil's rrule on naive local
  times and attaches the zone only afterwards, so 18:00 stays 18:00 across DST. A time
  the clocks skip lands an hour later; one they pass twice takes the first.
- **No rule may search forever.** dateutil stops looking only at a date past the window
  or at the year 9999, so a rule with no date (`BYMONTH=2;BYMONTHDAY=30`) cost seconds of
  CPU on the event loop, stalling every coalition. `rules.recurrence.impossible` refuses
  such rules with the reason, statically (a day its months never have, also when the day
  comes from the first meeting; an nth weekday that never falls on the days asked);
  parts meetings never need (BYYEARDAY, BYWEEKNO, BYEASTER) are refused. Whatever is
  left is bounded: the calendar repeats every 400 years, weekdays included, so `_between`
  asks dateutil the same question shifted by whole 400-year cycles to just before 9999,
  where its search ends within ~400 years (≤ 0.1 s for the worst rule; a rule is also
  refused unless it meets within 400 days of its first date). Moving a series re-checks
  its rule from the new start.
- An **occurrence** is named by its original local start (`2026-12-01T18:00`). Cancelling
  or moving one occurrence writes `meeting_change(meeting, occurrence, cancelled,
  moved_to)`; RSVPs, agenda items and notes hang off `(meeting, occurrence)`, so they
  stay with their date when it moves. `rules.recurrence.expand` turns a meeting plus its
  changes into the occurrences in a time window.
- **Zones are places.** `rules.zones.resolve_zone` reads a TIMEZONE option: the IANA
  database's `EST` is fixed UTC-5 all year (a July 18:00 would land at 19:00 in New York),
  so common abbreviations map to the place people mean, abbreviations of several places
  are refused with the candidates, and non-places (`localtime`, `Factory`, `Etc/*`) are
  refused; `UTC` stays, for coalitions that want no daylight saving. Each meeting stores
  its own zone, so `/coalition update timezone:` moves nothing already planned: changing
  the instants of every meeting behind people's backs would be worse than a line in the
  reply saying what each one does, with `/meeting reschedule` to move it.
- `next thursday` on a Tuesday is two days on to some and nine to others, so
  `parse_when`/`parse_date` refuse `next WEEKDAY` with both dates unless today is that
  weekday (then only "a week on" makes sense); dateparser alone took the coming one.
- Times typed by users go through `rules.times.parse_when`, which refuses ambiguous
  readings (no time of day, swappable day/month, a repeated wall time) and shows what it
  would have used; each service decides whether a past time is allowed.
- For the scheduler, `services.meetings.reminders_due(conn, t1, t2)` and
  `actions_due(conn, t1, t2)` (and `services.resources.reminders_due`) answer "what
  is due between t1 and t2" across all coalitions, as
  `Due(kind, coalition, at, subject, occurrence, offset)` items.
- Minutes and the calendar are files (`Attachment`): Markdown with user text escaped
  where it could start something (emphasis, code, link, HTML and table characters
  anywhere; `- + # 1.` only at a line's start, so `Re-run` stays readable), and
  iCalendar built with the icalendar library (RRULE with UNTIL in UTC, EXDATE for
  cancelled dates, a RECURRENCE-ID override per moved date, VTIMEZONE added).
- Roles are `role` + `role_holder(role, person, org)`; `rules/workload.py` flags loads
  over twice the median of those carrying anything and organizations carrying nothing.

In detail:

- `action-due` has two offsets: 0 (at the due time) and 2880 (two days before,
  `meetings.ACTION_REMIND_BEFORE`, not for an item written down with less time left).
  The reminder ahead expires at the due time; one found after it is dropped (the due one
  says it). Both are keyed by the due time, so an item moved with `action edit` is
  reminded again for its new time; rows of the old time are rendered from the item as
  it is now.
- `note.done_by` was already written by `done`; the minutes and lists now show it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coalition_bot.errors import Conflict, NotFound, PermissionDenied, UsageError
from coalition_bot.model import DeliveryKind, Level, Meeting, Note, Occurrence, Person
from coalition_bot.replies import Button, CommandRef, Notice, When
from coalition_bot.rules.recurrence import (
    describe,
    expand,
    local_key,
    localize,
    parse_key,
    rule_for,
)
from coalition_bot.rules.text import clean_line
from coalition_bot.rules.times import format_local, parse_date, parse_duration
from coalition_bot.services import changes
from coalition_bot.services.context import Context
from coalition_bot.store import meetings as meeting_sql
from coalition_bot.store import orgs as org_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store.database import Conn

__all__ = [
    "DEFAULT_REMIND",
    "Due",
    "actions_due",
    "cancel",
    "find_occurrence",
    "get_meeting",
    "reminders_due",
    "reschedule",
    "schedule",
    "sweep_reminders",
    "upcoming",
    "update",
]

DEFAULT_DURATION = timedelta(minutes=60)
DEFAULT_REMIND = "24h,1h"
MAX_REMINDERS = 5
HORIZON = timedelta(days=400)  # how far ahead `next occurrence` looks
REMIND_LOOKAHEAD = timedelta(days=7)  # how far a sweep looks for a series' next reminder
_AUTO_MONTHLY = re.compile(r"FREQ=MONTHLY;BYDAY=[+-][1-4](?:MO|TU|WE|TH|FR|SA|SU)")


def _local(when: datetime, timezone: str) -> datetime:
    return when.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def parse_remind(text: str) -> tuple[int, ...]:
    """`24h,1h` → (1440, 60): reminder offsets in minutes, largest first."""
    parts = [p for p in text.replace(" ", "").split(",") if p]
    if not parts and text.strip().lower() not in ("none", "no", "off"):
        raise UsageError("remind needs offsets like \"24h,1h\", or none.")
    if text.strip().lower() in ("none", "no", "off"):
        return ()
    if len(parts) > MAX_REMINDERS:
        raise UsageError(f"At most {MAX_REMINDERS} reminders per meeting, not {len(parts)}.")
    minutes = sorted({int(parse_duration(p).total_seconds() // 60) for p in parts},
                     reverse=True)
    if minutes[0] > 14 * 24 * 60:
        raise UsageError("A reminder can come at most 14 days before the meeting.")
    return tuple(minutes)


async def schedule(ctx: Context, *, title: str, start: datetime, every: str | None,
                   until: date | None, duration: timedelta | None, where: str | None,
                   remind: str | None) -> Meeting:
    """Schedule a meeting (one-off, or a series when `every` is given)."""
    tz = ctx.coalition.timezone
    if start <= ctx.now:
        raise UsageError("That time is in the past: I read it as " + When(start, tz) + ".",
                         hint="Give a time in the future, like tomorrow 6pm.")
    text = clean_line(title)
    if not text:
        raise UsageError("The meeting needs a title.")
    start_local = _local(start, tz)
    rule = rule_for(every, start_local) if every else None
    until_local = None
    if until is not None:
        if rule is None:
            raise UsageError("until: only applies to a recurring meeting (with every:).")
        if until < start_local.date():
            raise UsageError(f"until {until:%Y-%m-%d} is before the first meeting.")
        until_local = datetime.combine(until, time(23, 59))
    span = duration or DEFAULT_DURATION
    if span > timedelta(hours=24):
        raise UsageError("A meeting can last at most 24 hours.")
    meeting = await meeting_sql.create_meeting(
        ctx.conn, ctx.coalition.id, title=text, timezone=tz, start_local=start_local,
        rrule=rule, until_local=until_local, duration_min=int(span.total_seconds() // 60),
        location=clean_line(where or ""), remind_min=parse_remind(remind or DEFAULT_REMIND),
        created_by=ctx.caller.person.id, now=ctx.now)
    if await next_occurrence(ctx.conn, meeting, ctx.now) is None:  # until: before the first
        end = f"until {until:%Y-%m-%d}" if until else f"{HORIZON.days} days on"
        raise UsageError(f"`{every}` gives no meeting between {start_local:%Y-%m-%d} and "
                         f"{end}.",
                         hint="Check the recurrence, or give a later until:DATE.")
    return meeting


async def get_meeting(ctx: Context, number: int) -> Meeting:
    meeting = await meeting_sql.find_meeting(ctx.conn, ctx.coalition.id, number)
    if meeting is None:
        raise NotFound(f"There is no meeting #{number} in this coalition.",
                       hint="See the meetings with " + CommandRef("meeting list") + ".")
    return meeting


async def occurrences_between(conn: Conn, meeting: Meeting, after: datetime, before: datetime,
                              *, with_cancelled: bool = False) -> list[Occurrence]:
    changed = (await meeting_sql.changes(conn, [meeting.id])).get(meeting.id, {})
    return expand(meeting, changed, after, before, with_cancelled=with_cancelled)


async def next_occurrence(conn: Conn, meeting: Meeting, now: datetime) -> Occurrence | None:
    """The occurrence going on now, or else the next one; None when the series is over.
    Looks `HORIZON` past now, or past the first start when that is later (a one-off
    meeting, or a series, planned more than `HORIZON` ahead)."""
    window = now - timedelta(minutes=meeting.duration_min)
    first = localize(meeting.start_local, meeting.timezone)
    for occ in await occurrences_between(conn, meeting, window, max(now, first) + HORIZON):
        if occ.end > now:
            return occ
    return None


async def latest_started(conn: Conn, meeting: Meeting, now: datetime) -> Occurrence | None:
    """The most recent occurrence that has started (for notes and minutes)."""
    past = await occurrences_between(conn, meeting, now - HORIZON, now + timedelta(seconds=1))
    return past[-1] if past else None


async def find_occurrence(ctx: Context, meeting: Meeting, on: date | None, *,
                          default: str = "next") -> Occurrence:
    """The occurrence on a local date, or by default the next (or latest started) one."""
    tz = meeting.timezone
    if on is None:
        occ = (await next_occurrence(ctx.conn, meeting, ctx.now) if default == "next"
               else await latest_started(ctx.conn, meeting, ctx.now)
               or await next_occurrence(ctx.conn, meeting, ctx.now))
        if occ is None:
            raise Conflict(f"Meeting #{meeting.number} has no occurrence left.",
                           hint="Give one with occurrence:DATE.")
        return occ
    start = datetime.combine(on, time()).replace(tzinfo=ZoneInfo(tz))
    found = await occurrences_between(ctx.conn, meeting, start, start + timedelta(days=1),
                                      with_cancelled=True)
    if not found:
        raise NotFound(f"Meeting #{meeting.number} has no occurrence on {on:%a %d %b %Y}.",
                       hint="See its dates with "
                            + CommandRef(f"meeting info #{meeting.number}") + ".")
    return found[0]


async def upcoming(ctx: Context) -> list[Occurrence]:
    """The next occurrence of every active meeting, however far ahead, soonest first."""
    found = []
    for meeting in await meeting_sql.list_meetings(ctx.conn, ctx.coalition.id):
        occ = await next_occurrence(ctx.conn, meeting, ctx.now)
        if occ is not None:
            found.append(occ)
    return sorted(found, key=lambda o: o.start)


async def past(ctx: Context, limit: int = 20) -> list[Occurrence]:
    """Occurrences that have ended, newest first."""
    found: list[Occurrence] = []
    for meeting in await meeting_sql.list_meetings(ctx.conn, ctx.coalition.id):
        found += [o for o in await occurrences_between(ctx.conn, meeting, ctx.now - HORIZON,
                                                       ctx.now) if o.end <= ctx.now]
    return sorted(found, key=lambda o: o.start, reverse=True)[:limit]


async def cancel(ctx: Context, number: int, which: str | None) -> tuple[Meeting, str]:
    """Cancel one occurrence (by date, default the next) or, with `all`, the whole meeting.
    Returns what was cancelled, in words."""
    meeting = await get_meeting(ctx, number)
    if meeting.cancelled:
        raise Conflict(f"Meeting #{meeting.number} is already cancelled.")
    tz = meeting.timezone
    if (which or "").strip().lower() == "all" or (meeting.rrule is None and not which):
        await meeting_sql.set_cancelled(ctx.conn, meeting.id)
        return meeting, "the meeting" if meeting.rrule is None else "every occurrence"
    on = parse_date(which, tz, ctx.now) if which else None
    occ = await find_occurrence(ctx, meeting, on)
    if occ.cancelled:
        raise Conflict("The occurrence on " + When(occ.start, tz) + " is already cancelled.")
    moved = _local(occ.start, tz) if occ.key != local_key(_local(occ.start, tz)) else None
    await meeting_sql.set_change(ctx.conn, meeting.id, occ.key, cancelled=True, moved_to=moved)
    await changes.occurrence_changed(ctx, meeting, occ, "cancelled")
    return meeting, "the occurrence on " + When(occ.start, tz)


async def reschedule(ctx: Context, number: int, start: datetime,
                     on: date | None) -> tuple[Meeting, str]:
    """Move one occurrence (occurrence:DATE), or the meeting / the whole series."""
    meeting = await get_meeting(ctx, number)
    tz = meeting.timezone
    if start <= ctx.now:
        raise UsageError("That time is in the past: I read it as " + When(start, tz) + ".")
    if meeting.cancelled:
        raise Conflict(f"Meeting #{meeting.number} is cancelled.")
    new_local = _local(start, tz)
    if on is None and meeting.rrule is None:
        await meeting_sql.update_series(ctx.conn, meeting.id, new_local, None)
        return meeting, "the meeting to " + When(start, tz)
    if on is None:
        rule = meeting.rrule
        if rule and _AUTO_MONTHLY.fullmatch(rule):  # keep the "2nd Tuesday" kind of meaning
            rule = rule_for("monthly", new_local)
        elif rule:  # a rule may take its day from the start (YEARLY;BYMONTH=2 from the 30th)
            rule = rule_for(rule, new_local)
        # occurrences already held keep their dates (and their notes and RSVPs); changes
        # made to single future dates belonged to the old pattern and are dropped
        held = await occurrences_between(ctx.conn, meeting, ctx.now - HORIZON, ctx.now)
        await meeting_sql.pin_past_and_forget_future(
            ctx.conn, meeting.id, [(o.key, _local(o.start, tz)) for o in held],
            local_key(_local(ctx.now, tz)))
        await meeting_sql.update_series(ctx.conn, meeting.id, new_local, rule)
        return meeting, "the series: from " + When(start, tz) + f", {describe(rule)}"
    occ = await find_occurrence(ctx, meeting, on)
    await meeting_sql.set_change(ctx.conn, meeting.id, occ.key, cancelled=False,
                                 moved_to=new_local)
    await changes.occurrence_changed(ctx, meeting, occ, "moved to " + When(start, tz))
    return meeting, "the occurrence of " + When(occ.start, tz) + " to " \
                    + When(start, tz)


async def update(ctx: Context, number: int, *, title: str | None, where: str | None,
                 duration: timedelta | None, remind: str | None) -> tuple[Meeting, list[str]]:
    """Change a meeting's title, place, length or reminders, for every occurrence (past
    ones too: they are one series); the meeting, and what changed, in words."""
    meeting = await get_meeting(ctx, number)
    if meeting.cancelled:
        raise Conflict(f"Meeting #{meeting.number} is cancelled.")
    if title is None and where is None and duration is None and remind is None:
        raise UsageError("Say what to change: title:, where:, duration: or remind:.",
                         hint="For example "
                              + CommandRef(f"meeting update {number} where:\"Union hall\"") + ".")
    new_title = meeting.title if title is None else clean_line(title)
    if not new_title:
        raise UsageError("The meeting needs a title.")
    location = meeting.location
    if where is not None:
        location = "" if where.strip().lower() in ("none", "-") else clean_line(where)
    minutes = meeting.duration_min
    if duration is not None:
        if not timedelta(minutes=1) <= duration <= timedelta(hours=24):
            raise UsageError("A meeting lasts between 1 minute and 24 hours.")
        minutes = int(duration.total_seconds() // 60)
    offsets = meeting.remind_min if remind is None else parse_remind(remind)
    updated = await meeting_sql.update_details(ctx.conn, meeting.id, title=new_title,
                                               location=location, duration_min=minutes,
                                               remind_min=offsets)
    changed = [what for what, old, new in (
        ("title", meeting.title, new_title), ("where", meeting.location, location),
        ("duration", meeting.duration_min, minutes), ("reminders", meeting.remind_min, offsets))
        if old != new]
    return updated, changed


@dataclass(frozen=True, slots=True)
class Attendance:
    answers: dict[str, list[Person]]  # yes / maybe / no → people
    orgs_present: list[str]  # organizations with someone who said yes


async def attendance(ctx: Context, occ: Occurrence) -> Attendance:
    answers: dict[str, list[Person]] = {"yes": [], "maybe": [], "no": []}
    for person_id, answer in await meeting_sql.rsvps(ctx.conn, occ.meeting.id, occ.key):
        answers[answer].append(await people_sql.get_person(ctx.conn, person_id))
    return Attendance(answers, await _org_names(ctx, answers["yes"]))


async def coming_by_org(conn: Conn, occ: Occurrence) -> list[tuple[str, list[str]]]:
    """Who said yes to an occurrence, grouped by organization (`by_org`)."""
    key = (occ.meeting.id, occ.key)
    return by_org((await meeting_sql.said_yes(conn, [key])).get(key, []))


def by_org(said_yes: list[meeting_sql.Yes]) -> list[tuple[str, list[str]]]:
    """People who said yes, grouped by organization (by organization number; people
    with none last), names in the order they answered."""
    groups: dict[int | None, list[str]] = {}
    orgs: dict[int, tuple[int, str]] = {}
    for person in said_yes:
        for org_id, number, name in person.orgs:
            orgs[org_id] = (number, name)
            groups.setdefault(org_id, []).append(person.name)
        if not person.orgs:
            groups.setdefault(None, []).append(person.name)
    named = sorted((*orgs[oid], names) for oid, names in groups.items() if oid is not None)
    found = [(name, names) for _, name, names in named]
    if None in groups:
        found.append(("No organization", groups[None]))
    return found


async def _org_names(ctx: Context, people: list[Person]) -> list[str]:
    """The organizations these people represent (or said they are with), in order."""
    org_ids: list[int] = []
    for person in people:
        for oid in await people_sql.represented_org_ids(ctx.conn, person.id) or (
                [person.org_id] if person.org_id else []):
            if oid not in org_ids:
                org_ids.append(oid)
    return [(await org_sql.get_org(ctx.conn, oid)).name for oid in org_ids]


async def rsvp(ctx: Context, number: int, answer: str, on: date | None) -> Occurrence:
    meeting = await get_meeting(ctx, number)
    occ = await find_occurrence(ctx, meeting, on)
    if occ.cancelled:
        raise Conflict("The occurrence on " + When(occ.start, meeting.timezone) + " "
                       "is cancelled.")
    await meeting_sql.set_rsvp(ctx.conn, meeting.id, occ.key, ctx.caller.person.id, answer,
                               ctx.now)
    return occ


async def add_agenda(ctx: Context, number: int, text: str, on: date | None) -> tuple[Occurrence,
                                                                                     int]:
    meeting = await get_meeting(ctx, number)
    occ = await find_occurrence(ctx, meeting, on)
    position = await meeting_sql.add_agenda_item(ctx.conn, meeting.id, occ.key,
                                                 clean_line(text), ctx.caller.person.id,
                                                 ctx.now)
    return occ, position


async def remove_agenda(ctx: Context, number: int, item: int, on: date | None
                        ) -> tuple[Occurrence, str]:
    """Take item N off an occurrence's agenda (whoever added it, or a coordinator)."""
    occ, items = await _agenda_of(ctx, number, item, on)
    _, text, added_by, _ = items[item - 1]
    if added_by != ctx.caller.person.id and ctx.caller.level < Level.COORDINATOR:
        raise PermissionDenied(f"Agenda item {item} was added by someone else; they or a "
                               "coordinator can remove it.")
    await meeting_sql.rewrite_agenda(ctx.conn, occ.meeting.id, occ.key,
                                     items[:item - 1] + items[item:])
    return occ, text


async def move_agenda(ctx: Context, number: int, item: int, to: int, on: date | None
                      ) -> tuple[Occurrence, list[str]]:
    """Move item N to position `to` (coordinators); the agenda after."""
    occ, items = await _agenda_of(ctx, number, item, on)
    if not 1 <= to <= len(items):
        raise UsageError(f"The agenda has {len(items)} item(s): the new position must be "
                         f"1 to {len(items)}, not {to}.")
    moved = items.pop(item - 1)
    items.insert(to - 1, moved)
    await meeting_sql.rewrite_agenda(ctx.conn, occ.meeting.id, occ.key, items)
    return occ, [text for _, text, _, _ in items]


async def _agenda_of(ctx: Context, number: int, item: int, on: date | None
                     ) -> tuple[Occurrence, list[tuple[int, str, int | None, str]]]:
    meeting = await get_meeting(ctx, number)
    occ = await find_occurrence(ctx, meeting, on)
    items = await meeting_sql.agenda_rows(ctx.conn, meeting.id, occ.key)
    if not 1 <= item <= len(items):
        where = f"{meeting.title} on " + When(occ.start, meeting.timezone)
        raise NotFound("The agenda of " + where + f" has no item {item}"
                       + (f" (it has {len(items)})." if items else " (it is empty)."),
                       hint="See it with " + CommandRef(f"meeting agenda #{meeting.number}") + ".")
    return occ, items


async def add_note(ctx: Context, number: int, kind: str, text: str, owner: Person | None,
                   due: datetime | None, on: date | None) -> tuple[Occurrence, Note]:
    meeting = await get_meeting(ctx, number)
    if kind != "action" and (owner is not None or due is not None):
        raise UsageError("owner: and due: go with action notes only.")
    occ = await find_occurrence(ctx, meeting, on, default="latest")
    note = await meeting_sql.add_note(
        ctx.conn, ctx.coalition.id, meeting.id, occ.key, kind, clean_line(text),
        owner.id if owner else (ctx.caller.person.id if kind == "action" else None), due,
        ctx.caller.person.id, ctx.now)
    return occ, note


async def _own_action(ctx: Context, number: int, doing: str) -> Note:
    """An action item the caller may change: its owner, whoever wrote it down, or a
    coordinator."""
    note = await meeting_sql.find_action(ctx.conn, ctx.coalition.id, number)
    if note is None:
        raise NotFound(f"There is no action #{number} in this coalition.",
                       hint="See them with " + CommandRef("meeting actions all") + ".")
    caller = ctx.caller
    if caller.person.id not in (note.owner_id, note.added_by) and caller.level < Level.COORDINATOR:
        raise PermissionDenied(f"Action #{number} belongs to {note.owner_name}; they, whoever "
                               f"wrote it down, or a coordinator can {doing}.")
    return note


async def finish_action(ctx: Context, number: int) -> Note:
    """Close an action item: its owner, whoever wrote it down, or a coordinator."""
    note = await _own_action(ctx, number, "mark it done")
    if note.done_at is not None:
        raise Conflict(f"Action #{number} is already done.")
    await meeting_sql.mark_done(ctx.conn, note.id, ctx.caller.person.id, ctx.now)
    return note


async def edit_action(ctx: Context, number: int, *, text: str | None,
                      due: datetime | None, clear_due: bool) -> Note:
    """Change an action item's text or due time."""
    note = await _own_action(ctx, number, "change it")
    if text is None and due is None and not clear_due:
        raise UsageError("Say what to change: text:TEXT, due:WHEN, or due:none.")
    new_text = clean_line(text) if text is not None else note.text
    if not new_text:
        raise UsageError("text: cannot be empty.")
    new_due = None if clear_due else (due or note.due_at)
    await meeting_sql.update_action(ctx.conn, note.id, text=new_text, owner_id=note.owner_id,
                                    due_at=new_due)
    return await _action(ctx, number)


async def reassign_action(ctx: Context, number: int, owner: Person) -> tuple[Note, bool]:
    """Give an action item to someone else, who is told privately; (the item, whether
    the owner changed)."""
    note = await _own_action(ctx, number, "reassign it")
    if note.owner_id == owner.id:
        return note, False
    await meeting_sql.update_action(ctx.conn, note.id, text=note.text, owner_id=owner.id,
                                    due_at=note.due_at)
    note = await _action(ctx, number)
    if owner.id != ctx.caller.person.id:
        due = (" It is due " + When(note.due_at, ctx.coalition.timezone) + "."
               if note.due_at else "")
        ctx.notify_person(owner, Notice(
            ctx.coalition.id, f"Action #{number} is yours now",
            f"{note.text}\n{ctx.caller.person.display_name} gave it to you "
            f"(meeting #{note.meeting_number})." + due,
            buttons=(Button("Mark done", f"meeting done {number}", "primary"),)))
    return note, True


async def reopen_action(ctx: Context, number: int) -> Note:
    note = await _own_action(ctx, number, "reopen it")
    if not await meeting_sql.reopen(ctx.conn, note.id):
        raise Conflict(f"Action #{number} is not done: nothing to reopen.")
    return await _action(ctx, number)


async def _action(ctx: Context, number: int) -> Note:
    note = await meeting_sql.find_action(ctx.conn, ctx.coalition.id, number)
    assert note is not None
    return note


ACTION_REMIND_BEFORE = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Due:
    """One thing the scheduler should deliver: a meeting reminder or an action coming due."""

    kind: DeliveryKind
    coalition_id: int
    at: datetime  # when it is due
    subject_id: int  # meeting id or note id
    occurrence: str  # occurrence key, or '' for actions
    offset_min: int  # minutes before the meeting, or 0


async def reminders_due(conn: Conn, start: datetime, end: datetime,
                        coalition_id: int | None = None) -> list[Due]:
    """Meeting reminders (of every coalition, or one) that fall in [start, end), in time
    order. Reads only the series whose next reminder may come before `end`; valid for a
    `start` at or after the scheduler's sweep mark (see `sweep_reminders`)."""
    meetings, changed = await _reminder_candidates(conn, end, coalition_id)
    found = []
    for meeting in meetings:
        found += _reminders(meeting, changed.get(meeting.id, {}), start, end)
    return sorted(found, key=lambda d: d.at)


async def sweep_reminders(conn: Conn, start: datetime, end: datetime, *,
                          marked_from: datetime | None = None) -> list[Due]:
    """`reminders_due(start, end)` for the scheduler's sweep, which then moves its mark to
    `end`: each series read also records when its next reminder at or after `end` can
    come (at most `REMIND_LOOKAHEAD` on), so the next ticks skip it until then.

    So after a sweep every series' mark is at or after that sweep's end (or unknown),
    and `marked_from`, the sweep mark before this sweep, bounds the marks to read from
    below: on PostgreSQL the index entries of marks moved since the last VACUUM stay
    behind, all of them before the sweep mark, and a read from the beginning of time
    passed over every one (3.7 ms a sweep in bench/scheduler_scale.py --pg-two)."""
    meetings = await meeting_sql.reminder_candidates(conn, end, marked_from=marked_from)
    changed = await meeting_sql.changes(conn, [m.id for m in meetings])
    found: list[Due] = []
    marks: list[tuple[int, datetime]] = []
    for meeting in meetings:
        coming = _reminders(meeting, changed.get(meeting.id, {}), start,
                            end + REMIND_LOOKAHEAD)
        found += [d for d in coming if d.at < end]
        later = [d.at for d in coming if d.at >= end]
        marks.append((meeting.id, min(later) if later else end + look_again(meeting.id)))
    await meeting_sql.set_next_reminders(conn, marks)
    return sorted(found, key=lambda d: d.at)


def look_again(meeting_id: int) -> timedelta:
    """How long after a sweep a series with no reminder within `REMIND_LOOKAHEAD` is read
    again: between half of it and all of it, spread by the series' id. The mark is only
    ever early, so any of these is right; all the same, every series read together (all
    of them at a start) would come up together a week later, in one sweep that reads them
    all (3 000 of 10 000 series: a 230 ms sweep in bench/scheduler_bench.py)."""
    return REMIND_LOOKAHEAD * (1 - ((meeting_id - 1) * 0.6180339887 % 1) / 2)


async def _reminder_candidates(conn: Conn, end: datetime, coalition_id: int | None = None
                               ) -> tuple[list[Meeting], dict[int, dict[str, tuple[bool, str]]]]:
    """The series whose next reminder may fall before `end`, and their changed dates."""
    meetings = await meeting_sql.reminder_candidates(conn, end, coalition_id)
    return meetings, await meeting_sql.changes(conn, [m.id for m in meetings])


def _reminders(meeting: Meeting, changed: dict[str, tuple[bool, str]], start: datetime,
               end: datetime) -> list[Due]:
    """One series' reminders in [start, end)."""
    found = []
    widest = timedelta(minutes=max(meeting.remind_min, default=0))
    for occ in expand(meeting, changed, start, end + widest):
        for offset in meeting.remind_min:
            at = occ.start.astimezone(UTC) - timedelta(minutes=offset)  # elapsed time
            if start <= at < end:
                found.append(Due("meeting-reminder", meeting.coalition_id, at, meeting.id,
                                 occ.key, offset))
    return found


async def actions_due(conn: Conn, start: datetime, end: datetime) -> list[Due]:
    """Open action items of every coalition whose due time falls in [start, end), and
    those due ACTION_REMIND_BEFORE later (the reminder ahead, offset in minutes; not
    for an item written down with less time than that left)."""
    ahead = ACTION_REMIND_BEFORE
    offset = int(ahead.total_seconds() // 60)
    due, coming = await meeting_sql.open_actions_due_in(  # one query for both
        conn, [(start, end), (start + ahead, end + ahead)])
    found = [Due("action-due", coalition_id, note.due_at, note.id, "", 0)
             for coalition_id, note in due if note.due_at is not None]
    found += [Due("action-due", coalition_id, note.due_at - ahead, note.id, "", offset)
              for coalition_id, note in coming
              if note.due_at is not None and note.due_at - ahead >= note.added_at]
    return found


@dataclass(frozen=True, slots=True)
class Minutes:
    occurrence: Occurrence
    attendees: list[Person]
    orgs_present: list[str]
    notes: list[Note]

    def of_kind(self, kind: str) -> list[Note]:
        return [n for n in self.notes if n.kind == kind]


async def minutes(ctx: Context, number: int, on: date | None) -> Minutes:
    """What an occurrence's minutes are made of: who came (as recorded with `attended`;
    until then, who said yes), and its notes."""
    meeting = await get_meeting(ctx, number)
    occ = await find_occurrence(ctx, meeting, on, default="latest")
    came = await meeting_sql.attendees(ctx.conn, meeting.id, occ.key)
    if came:
        people = [await people_sql.get_person(ctx.conn, p) for p in came]
        return Minutes(occ, people, await _org_names(ctx, people),
                       await meeting_sql.notes(ctx.conn, meeting.id, occ.key))
    present = await attendance(ctx, occ)
    return Minutes(occ, present.answers["yes"], present.orgs_present,
                   await meeting_sql.notes(ctx.conn, meeting.id, occ.key))


async def record_attendance(ctx: Context, number: int, people: list[Person],
                            on: date | None) -> tuple[Occurrence, int]:
    """Record who came to an occurrence that has started (default: the latest); how
    many of them were not recorded yet."""
    meeting = await get_meeting(ctx, number)
    occ = await find_occurrence(ctx, meeting, on, default="latest")
    if occ.cancelled:
        raise Conflict("The occurrence on " + When(occ.start, meeting.timezone) + " "
                       "is cancelled: nobody attended it.")
    if occ.start > ctx.now:
        raise Conflict(f"Meeting #{meeting.number} on " + When(occ.start, meeting.timezone) +
                       " has not started yet: record who came once it has.",
                       hint="Give a past date with occurrence:DATE.")
    added = await meeting_sql.add_attendance(ctx.conn, meeting.id, occ.key,
                                             [p.id for p in people], ctx.caller.person.id,
                                             ctx.now)
    return occ, added


_MD_ANYWHERE = frozenset("\\`*_{}[]<>|~")  # emphasis, code, links, HTML, tables
_MD_LINE_START = re.compile(r"^(\s*)([-+#=]|\d{1,9}(?=[.)]))", re.MULTILINE)


def _md(text: str) -> str:
    """User text made inert in Markdown (no headings, lists, links, emphasis or HTML).

    Only what could start something is escaped: `-`, `+`, `#` and `1.` at the start of a
    line (a list or heading), never inside words (`Re-run`, `#2`). Links and images
    cannot form once `[` and `<` are escaped, so `(`, `)` and `!` stay as they are.
    """
    escaped = "".join("\\" + ch if ch in _MD_ANYWHERE else ch for ch in text)
    return _MD_LINE_START.sub(
        lambda m: m[1] + (m[2] + "\\" if m[2][0].isdigit() else "\\" + m[2]), escaped)


def minutes_markdown(m: Minutes, coalition_name: str) -> str:
    """The minutes as a Markdown document."""
    occ = m.occurrence
    tz = occ.meeting.timezone
    lines = [f"# {_md(occ.meeting.title)}: minutes", "",
             f"{_md(coalition_name)}, {format_local(occ.start, tz)}", "", "## Attendees", ""]
    lines += [f"- {_md(p.display_name)}" for p in m.attendees] or ["- (nobody said yes)"]
    if m.orgs_present:
        lines += ["", "Organizations represented: " + ", ".join(_md(o) for o in m.orgs_present)]
    lines += ["", "## Decisions", ""]
    lines += [f"- {_md(n.text)}" for n in m.of_kind("decision")] or ["- none recorded"]
    lines += ["", "## Action items", ""]
    for n in m.of_kind("action"):
        owner = _md(n.owner_name or "nobody yet")
        due = f", due {format_local(n.due_at, tz)}" if n.due_at else ""
        done = (f" (done by {_md(n.done_by_name or 'someone')}, "
                f"{format_local(n.done_at, tz)})" if n.done_at else "")
        lines.append(f"- #{n.action_number} {_md(n.text)} ({owner}{due}){done}")
    if not m.of_kind("action"):
        lines.append("- none recorded")
    lines += ["", "## Information", ""]
    lines += [f"- {_md(n.text)}" for n in m.of_kind("info")] or ["- none recorded"]
    return "\n".join(lines) + "\n"


async def action_list(ctx: Context, which: str) -> list[Note]:
    """Action items: `mine` (open, mine), `open`, or `all`."""
    if which == "mine":
        return await meeting_sql.actions(ctx.conn, ctx.coalition.id, open_only=True,
                                         owner_id=ctx.caller.person.id)
    return await meeting_sql.actions(ctx.conn, ctx.coalition.id, open_only=which == "open")


async def agenda_items(ctx: Context, occ: Occurrence) -> list[tuple[str, str]]:
    """(text, added by) of an occurrence's agenda, in order."""
    return await meeting_sql.agenda(ctx.conn, occ.meeting.id, occ.key)


def rsvp_buttons(occ: Occurrence) -> tuple[Button, ...]:
    """Going / maybe / can't buttons for one occurrence, each carrying its command line."""
    n = occ.meeting.number
    day = f"{occ.start:%Y-%m-%d}"  # the date it happens on, which `occurrence:` looks up
    return (Button("Going", f"meeting rsvp {n} yes occurrence:{day}", "primary"),
            Button("Maybe", f"meeting rsvp {n} maybe occurrence:{day}"),
            Button("Can't make it", f"meeting rsvp {n} no occurrence:{day}"))


async def occurrence_by_key(conn: Conn, meeting: Meeting, key: str) -> Occurrence | None:
    """The occurrence a key names, where it happens now; None if cancelled or gone."""
    if meeting.cancelled:
        return None
    return occurrence_in(meeting, (await meeting_sql.changes(conn, [meeting.id])).get(
        meeting.id, {}), key)


def occurrence_in(meeting: Meeting, changed: dict[str, tuple[bool, str]],
                  key: str) -> Occurrence | None:
    """`occurrence_by_key` with the series' changed dates already read."""
    if meeting.cancelled:
        return None
    cancelled, moved_to = changed.get(key, (False, ""))
    if cancelled:
        return None
    original = localize(parse_key(key), meeting.timezone)
    if not moved_to:
        # still part of the series? (a series move may have dropped it)
        found = [o for o in expand(meeting, changed, original,
                                   original + timedelta(minutes=1)) if o.key == key]
        return found[0] if found else None
    return Occurrence(meeting, key, localize(parse_key(moved_to), meeting.timezone))


def next_reminder(meeting: Meeting, upcoming: list[Occurrence], now: datetime) -> datetime | None:
    """When the next reminder for these upcoming occurrences goes out, if any will."""
    times = [o.start.astimezone(UTC) - timedelta(minutes=m)
             for o in upcoming for m in meeting.remind_min]
    future = [t for t in times if t > now]
    return min(future) if future else None
