"""SQL for meetings, their changed occurrences, RSVPs, agendas and notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from coalition_bot.model import Meeting, Note, NoteKind
from coalition_bot.rules.recurrence import local_key
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, fetch_all, fetch_one, from_iso, iso, iso_end, next_number

T = TypeVar("T")

__all__ = [
    "Yes",
    "actions",
    "add_agenda_item",
    "add_attendance",
    "add_note",
    "agenda",
    "agenda_rows",
    "agendas",
    "all_active_meetings",
    "attendees",
    "changes",
    "create_meeting",
    "find_action",
    "find_meeting",
    "find_meeting_by_id",
    "find_note",
    "list_meetings",
    "mark_done",
    "meetings_by_ids",
    "note_coalition",
    "notes",
    "open_actions_due",
    "open_actions_due_in",
    "pin_past_and_forget_future",
    "reminder_candidates",
    "reopen",
    "rewrite_agenda",
    "rsvps",
    "said_yes",
    "set_cancelled",
    "set_change",
    "set_next_reminders",
    "set_rsvp",
    "update_action",
    "update_details",
    "update_series",
]


def _local(text: str | None) -> datetime | None:
    # stored local times are always KEY_FORMAT (written by local_key); fromisoformat reads
    # them ~30x faster than strptime, and the scheduler reads every meeting on every tick
    return datetime.fromisoformat(text) if text else None


def _meeting(row: Row) -> Meeting:
    remind = tuple(int(m) for m in row["remind_min"].split(",") if m)
    return Meeting(row["id"], row["coalition_id"], row["number"], row["title"],
                   row["timezone"], datetime.fromisoformat(row["start_local"]), row["rrule"],
                   _local(row["until_local"]), row["duration_min"], row["location"], remind,
                   bool(row["cancelled"]))


async def create_meeting(conn: Conn, coalition_id: int, *, title: str, timezone: str,
                         start_local: datetime, rrule: str | None,
                         until_local: datetime | None, duration_min: int, location: str,
                         remind_min: tuple[int, ...], created_by: int,
                         now: datetime) -> Meeting:
    number = await next_number(conn, coalition_id, "meeting")
    row = await fetch_one(
        conn,
        "INSERT INTO meeting (coalition_id, number, title, timezone, start_local, rrule,"
        " until_local, duration_min, location, remind_min, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (coalition_id, number, title, timezone, local_key(start_local), rrule,
         local_key(until_local) if until_local else None, duration_min, location,
         ",".join(str(m) for m in remind_min), created_by, iso(now)))
    return _meeting(row)


async def find_meeting(conn: Conn, coalition_id: int, number: int) -> Meeting | None:
    row = await fetch_one(conn, "SELECT * FROM meeting WHERE coalition_id = ? AND number = ?",
                          (coalition_id, number))
    return _meeting(row) if row else None


async def find_meeting_by_id(conn: Conn, meeting_id: int) -> Meeting | None:
    row = await fetch_one(conn, "SELECT * FROM meeting WHERE id = ?", (meeting_id,))
    return _meeting(row) if row else None


async def meetings_by_ids(conn: Conn, meeting_ids: list[int]) -> dict[int, Meeting]:
    """The series of these ids that exist, by id, in one statement per 500."""
    rows = []
    for chunk in _chunks(meeting_ids):
        rows += await fetch_all(conn, f"SELECT * FROM meeting WHERE id IN ({_marks(chunk)})",
                                chunk)
    return {r["id"]: _meeting(r) for r in rows}


async def list_meetings(conn: Conn, coalition_id: int) -> list[Meeting]:
    rows = await fetch_all(conn, "SELECT * FROM meeting WHERE coalition_id = ? ORDER BY number",
                           (coalition_id,))
    return [_meeting(r) for r in rows]


async def all_active_meetings(conn: Conn) -> list[Meeting]:
    """Every meeting of every coalition that is not cancelled."""
    rows = await fetch_all(conn, "SELECT * FROM meeting WHERE cancelled = 0 ORDER BY id")
    return [_meeting(r) for r in rows]


async def reminder_candidates(conn: Conn, before: datetime, coalition_id: int | None = None,
                              *, marked_from: datetime | None = None) -> list[Meeting]:
    """Active series with reminders whose next one may fall before `before` (or is not
    known): the only series a scheduler tick needs to expand (migration 0006).

    Every coalition: two index searches on `next_remind_at` (a mark before `before`, or
    none), so a tick with nothing due reads no series. Written as one `OR` with an
    `ORDER BY id`, SQLite scanned the whole table instead (10-16 ms a tick with 10 000
    series; `tests/test_scheduler_marks.py` counts the rows a sweep visits).
    `marked_from`: no mark is before it, so the search starts there (a sweep's)."""
    active = "SELECT * FROM meeting WHERE cancelled = 0 AND remind_min != ''"
    if coalition_id is not None:  # one coalition: its own series, by its index
        rows = await fetch_all(
            conn, f"{active} AND coalition_id = ?"
                  " AND (next_remind_at IS NULL OR next_remind_at < ?)",
            (coalition_id, iso_end(before)))
    elif marked_from is not None:  # no mark is before it (`sweep_reminders`)
        rows = await fetch_all(
            conn, f"{active} AND next_remind_at >= ? AND next_remind_at < ?"
                  f" UNION ALL {active} AND next_remind_at IS NULL",
            (iso(marked_from), iso_end(before)))
    else:
        rows = await fetch_all(
            conn, f"{active} AND next_remind_at < ?"
                  f" UNION ALL {active} AND next_remind_at IS NULL", (iso_end(before),))
    return sorted((_meeting(r) for r in rows), key=lambda m: m.id)


_MARKS_PER_STATEMENT = 1000  # 2 parameters each


async def set_next_reminders(conn: Conn, marks: list[tuple[int, datetime]]) -> None:
    """Record (meeting id, the earliest its next reminder can be) for the scheduler: on
    PostgreSQL one statement per thousand series (`Dialect.batch_statements`), on
    SQLite one prepared UPDATE run for each."""
    if not conn.dialect.batch_statements:
        await conn.executemany("UPDATE meeting SET next_remind_at = ? WHERE id = ?",
                               [(iso(at), meeting_id) for meeting_id, at in marks])
        return
    for first in range(0, len(marks), _MARKS_PER_STATEMENT):
        chunk = marks[first:first + _MARKS_PER_STATEMENT]
        values = ", ".join(["(?, ?)"] * len(chunk))
        # VALUES names its columns column1, column2 on both engines
        await conn.execute(
            "UPDATE meeting SET next_remind_at = v.column2"
            f" FROM (VALUES {values}) AS v WHERE meeting.id = v.column1",
            [value for meeting_id, at in chunk for value in (meeting_id, iso(at))])


async def set_cancelled(conn: Conn, meeting_id: int) -> None:
    await conn.execute("UPDATE meeting SET cancelled = 1 WHERE id = ?", (meeting_id,))


async def update_series(conn: Conn, meeting_id: int, start_local: datetime,
                        rrule: str | None) -> None:
    await conn.execute("UPDATE meeting SET start_local = ?, rrule = ? WHERE id = ?",
                       (local_key(start_local), rrule, meeting_id))


_IDS_PER_QUERY = 500  # SQLite caps a statement's parameters


def _chunks(values: list[T]) -> list[list[T]]:
    return [values[first:first + _IDS_PER_QUERY]
            for first in range(0, len(values), _IDS_PER_QUERY)]


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def _of_occurrences(keys: list[tuple[int, str]], rows: list[Row]
                    ) -> dict[tuple[int, str], list[Row]]:
    """`rows` (with meeting_id and occurrence) of the occurrences `keys`, in order: a
    query by both columns' IN lists may also match other pairs of them."""
    wanted = set(keys)
    found: dict[tuple[int, str], list[Row]] = {}
    for r in rows:
        key = (r["meeting_id"], r["occurrence"])
        if key in wanted:
            found.setdefault(key, []).append(r)
    return found


async def _by_occurrences(conn: Conn, sql: str, keys: list[tuple[int, str]]
                          ) -> dict[tuple[int, str], list[Row]]:
    """Run `sql` (its `{ids}` and `{keys}`: IN lists of meeting ids and occurrence keys)
    over `keys` in chunks; the rows of each occurrence asked for."""
    rows: list[Row] = []
    for chunk in _chunks(sorted(set(keys))):
        ids = sorted({m for m, _ in chunk})
        occurrences = sorted({o for _, o in chunk})
        rows += await fetch_all(conn, sql.format(ids=_marks(ids), keys=_marks(occurrences)),
                                [*ids, *occurrences])
    return _of_occurrences(keys, rows)


async def update_details(conn: Conn, meeting_id: int, *, title: str, location: str,
                         duration_min: int, remind_min: tuple[int, ...]) -> Meeting:
    """Change what a whole meeting series is called, where, how long, and its reminders."""
    row = await fetch_one(
        conn, "UPDATE meeting SET title = ?, location = ?, duration_min = ?, remind_min = ?"
              " WHERE id = ? RETURNING *",
        (title, location, duration_min, ",".join(str(m) for m in remind_min), meeting_id))
    return _meeting(row)


async def changes(conn: Conn, meeting_ids: list[int]) -> dict[int, dict[str, tuple[bool, str]]]:
    """Cancelled or moved occurrences: meeting id → occurrence → (cancelled, moved_to)."""
    rows = []
    for chunk in _chunks(meeting_ids):
        rows += await fetch_all(conn, "SELECT * FROM meeting_change WHERE meeting_id IN"
                                      f" ({_marks(chunk)})", chunk)
    found: dict[int, dict[str, tuple[bool, str]]] = {}
    for r in rows:
        found.setdefault(r["meeting_id"], {})[r["occurrence"]] = (
            bool(r["cancelled"]), r["moved_to"] or "")
    return found


async def set_change(conn: Conn, meeting_id: int, occurrence: str, *, cancelled: bool,
                     moved_to: datetime | None) -> None:
    await conn.execute(
        "INSERT INTO meeting_change (meeting_id, occurrence, cancelled, moved_to)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (meeting_id, occurrence) DO UPDATE SET"
        " cancelled = excluded.cancelled, moved_to = excluded.moved_to",
        (meeting_id, occurrence, int(cancelled), local_key(moved_to) if moved_to else None))


async def pin_past_and_forget_future(conn: Conn, meeting_id: int,
                                     held: list[tuple[str, datetime]], now_key: str) -> None:
    """Before a series moves: keep each held occurrence where it was (a change that moves
    it to its own time), and drop single-date changes of occurrences still to come."""
    await conn.execute("DELETE FROM meeting_change WHERE meeting_id = ? AND occurrence >= ?"
                       " AND (moved_to IS NULL OR moved_to >= ?)",
                       (meeting_id, now_key, now_key))
    await conn.executemany(
        "INSERT INTO meeting_change (meeting_id, occurrence, cancelled, moved_to)"
        " VALUES (?, ?, 0, ?) ON CONFLICT (meeting_id, occurrence) DO NOTHING",
        [(meeting_id, key, local_key(start)) for key, start in held])


async def set_rsvp(conn: Conn, meeting_id: int, occurrence: str, person_id: int, answer: str,
                   now: datetime) -> None:
    await conn.execute(
        "INSERT INTO rsvp (meeting_id, occurrence, person_id, answer, answered_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (meeting_id, occurrence, person_id)"
        " DO UPDATE SET answer = excluded.answer, answered_at = excluded.answered_at",
        (meeting_id, occurrence, person_id, answer, iso(now)))


async def rsvps(conn: Conn, meeting_id: int, occurrence: str) -> list[tuple[int, str]]:
    """(person id, answer) for one occurrence, in the order they answered."""
    rows = await fetch_all(
        conn, "SELECT person_id, answer FROM rsvp WHERE meeting_id = ? AND occurrence = ?"
              " ORDER BY answered_at, person_id", (meeting_id, occurrence))
    return [(r["person_id"], r["answer"]) for r in rows]


@dataclass(frozen=True, slots=True)
class Yes:
    """Someone who said yes to an occurrence, with the organizations they represent
    (id, number, name; in id order) or, representing none, the one they said they are
    with (or none)."""

    name: str
    orgs: tuple[tuple[int, int, str], ...]


async def said_yes(conn: Conn, keys: list[tuple[int, str]]
                   ) -> dict[tuple[int, str], list[Yes]]:
    """Who said yes to each occurrence (meeting id, key), in the order they answered,
    in one statement: the reminders of a batch are rendered together."""
    found = await _by_occurrences(
        conn,
        "SELECT r.meeting_id, r.occurrence, r.person_id, p.display_name,"
        " coalesce(ro.id, po.id) AS org_id, coalesce(ro.number, po.number) AS org_number,"
        " coalesce(ro.name, po.name) AS org_name"
        " FROM rsvp r JOIN person p ON p.id = r.person_id"
        " LEFT JOIN representative rep ON rep.person_id = r.person_id"
        " LEFT JOIN org ro ON ro.id = rep.org_id"
        " LEFT JOIN org po ON po.id = p.org_id AND rep.person_id IS NULL"
        " WHERE r.answer = 'yes' AND r.meeting_id IN ({ids}) AND r.occurrence IN ({keys})"
        " ORDER BY r.answered_at, r.person_id, org_id", keys)
    said: dict[tuple[int, str], list[Yes]] = {}
    for key, rows in found.items():
        people: dict[int, tuple[str, list[tuple[int, int, str]]]] = {}
        for r in rows:
            _, orgs = people.setdefault(r["person_id"], (r["display_name"], []))
            if r["org_id"] is not None:
                orgs.append((r["org_id"], r["org_number"], r["org_name"]))
        said[key] = [Yes(name, tuple(orgs)) for name, orgs in people.values()]
    return said


async def add_attendance(conn: Conn, meeting_id: int, occurrence: str, person_ids: list[int],
                         recorded_by: int, now: datetime) -> int:
    """Record that people came to an occurrence; how many were not recorded yet."""
    cur = await conn.executemany(
        "INSERT INTO attendance (meeting_id, occurrence, person_id, recorded_by, recorded_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(meeting_id, occurrence, p, recorded_by, iso(now)) for p in person_ids])
    return max(cur.rowcount, 0)


async def attendees(conn: Conn, meeting_id: int, occurrence: str) -> list[int]:
    """Ids of the people recorded as present at an occurrence, in the order recorded."""
    rows = await fetch_all(
        conn, "SELECT person_id FROM attendance WHERE meeting_id = ? AND occurrence = ?"
              f" ORDER BY recorded_at, {conn.dialect.insertion_order}", (meeting_id, occurrence))
    return [r[0] for r in rows]


async def add_agenda_item(conn: Conn, meeting_id: int, occurrence: str, text: str,
                          added_by: int, now: datetime) -> int:
    await conn.execute(
        "INSERT INTO agenda_item (meeting_id, occurrence, text, added_by, added_at)"
        " VALUES (?, ?, ?, ?, ?)", (meeting_id, occurrence, text, added_by, iso(now)))
    row = await fetch_one(
        conn, "SELECT count(*) FROM agenda_item WHERE meeting_id = ? AND occurrence = ?",
        (meeting_id, occurrence))
    return int(row[0])


async def agendas(conn: Conn, keys: list[tuple[int, str]]
                  ) -> dict[tuple[int, str], list[tuple[str, str]]]:
    """`agenda` of several occurrences (meeting id, key) in one statement."""
    found = await _by_occurrences(
        conn,
        "SELECT a.meeting_id, a.occurrence, a.text, coalesce(p.display_name, '?') AS who"
        " FROM agenda_item a LEFT JOIN person p ON p.id = a.added_by"
        " WHERE a.meeting_id IN ({ids}) AND a.occurrence IN ({keys}) ORDER BY a.id", keys)
    return {key: [(r["text"], r["who"]) for r in rows] for key, rows in found.items()}


async def agenda_rows(conn: Conn, meeting_id: int, occurrence: str
                      ) -> list[tuple[int, str, int | None, str]]:
    """(id, text, added by, added at) of one occurrence's agenda, in order."""
    rows = await fetch_all(
        conn, "SELECT id, text, added_by, added_at FROM agenda_item WHERE meeting_id = ?"
              " AND occurrence = ? ORDER BY id", (meeting_id, occurrence))
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def rewrite_agenda(conn: Conn, meeting_id: int, occurrence: str,
                         items: list[tuple[int, str, int | None, str]]) -> None:
    """Replace an occurrence's agenda with `items`, in that order (the order is the
    rows' id order, so they are written again)."""
    await conn.execute("DELETE FROM agenda_item WHERE meeting_id = ? AND occurrence = ?",
                       (meeting_id, occurrence))
    await conn.executemany(
        "INSERT INTO agenda_item (meeting_id, occurrence, text, added_by, added_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(meeting_id, occurrence, text, by, at) for _, text, by, at in items])


async def agenda(conn: Conn, meeting_id: int, occurrence: str) -> list[tuple[str, str]]:
    """(text, added by) for one occurrence's agenda, in order."""
    rows = await fetch_all(
        conn,
        "SELECT a.text, coalesce(p.display_name, '?') AS who FROM agenda_item a"
        " LEFT JOIN person p ON p.id = a.added_by"
        " WHERE a.meeting_id = ? AND a.occurrence = ? ORDER BY a.id",
        (meeting_id, occurrence))
    return [(r["text"], r["who"]) for r in rows]


_NOTE_SELECT = (
    "SELECT n.*, m.number AS meeting_number, o.display_name AS owner_name,"
    " d.display_name AS done_by_name FROM note n"
    " JOIN meeting m ON m.id = n.meeting_id LEFT JOIN person o ON o.id = n.owner_id"
    " LEFT JOIN person d ON d.id = n.done_by")


def _note(row: Row) -> Note:
    return Note(row["id"], row["meeting_number"], row["occurrence"], NoteKind(row["kind"]),
                row["text"], row["action_number"], row["owner_id"], row["owner_name"],
                from_iso(row["due_at"]) if row["due_at"] else None,
                from_iso(row["done_at"]) if row["done_at"] else None, from_iso(row["added_at"]),
                row["added_by"], row["done_by_name"])


async def add_note(conn: Conn, coalition_id: int, meeting_id: int, occurrence: str, kind: str,
                   text: str, owner_id: int | None, due_at: datetime | None, added_by: int,
                   now: datetime) -> Note:
    number = await next_number(conn, coalition_id, "action") if kind == "action" else None
    row = await fetch_one(
        conn,
        "INSERT INTO note (coalition_id, meeting_id, occurrence, kind, text, action_number,"
        " owner_id, due_at, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        (coalition_id, meeting_id, occurrence, kind, text, number, owner_id,
         iso(due_at) if due_at else None, added_by, iso(now)))
    return _note(await fetch_one(conn, _NOTE_SELECT + " WHERE n.id = ?", (row[0],)))


async def notes(conn: Conn, meeting_id: int, occurrence: str) -> list[Note]:
    rows = await fetch_all(conn, _NOTE_SELECT + " WHERE n.meeting_id = ? AND n.occurrence = ?"
                                                " ORDER BY n.id", (meeting_id, occurrence))
    return [_note(r) for r in rows]


async def actions(conn: Conn, coalition_id: int, *, open_only: bool,
                  owner_id: int | None = None) -> list[Note]:
    rows = await fetch_all(
        conn,
        _NOTE_SELECT + " WHERE n.coalition_id = ? AND n.kind = 'action'"
        " AND (? = 0 OR n.done_at IS NULL) AND (? IS NULL OR n.owner_id = ?)"
        " ORDER BY n.action_number",
        (coalition_id, int(open_only), owner_id, owner_id))
    return [_note(r) for r in rows]


async def find_action(conn: Conn, coalition_id: int, number: int) -> Note | None:
    row = await fetch_one(conn, _NOTE_SELECT + " WHERE n.coalition_id = ? AND"
                                               " n.action_number = ?", (coalition_id, number))
    return _note(row) if row else None


async def find_note(conn: Conn, note_id: int) -> Note | None:
    row = await fetch_one(conn, _NOTE_SELECT + " WHERE n.id = ?", (note_id,))
    return _note(row) if row else None


async def note_coalition(conn: Conn, note_id: int) -> int:
    row = await fetch_one(conn, "SELECT coalition_id FROM note WHERE id = ?", (note_id,))
    return int(row[0])


async def mark_done(conn: Conn, note_id: int, person_id: int, now: datetime) -> bool:
    cur = await conn.execute(
        "UPDATE note SET done_at = ?, done_by = ? WHERE id = ? AND done_at IS NULL",
        (iso(now), person_id, note_id))
    return cur.rowcount == 1


async def update_action(conn: Conn, note_id: int, *, text: str, owner_id: int | None,
                        due_at: datetime | None) -> None:
    """Change an action item's text, owner and due time."""
    await conn.execute("UPDATE note SET text = ?, owner_id = ?, due_at = ? WHERE id = ?",
                       (text, owner_id, iso(due_at) if due_at else None, note_id))


async def reopen(conn: Conn, note_id: int) -> bool:
    """Open a done action item again; False if it was open."""
    cur = await conn.execute("UPDATE note SET done_at = NULL, done_by = NULL"
                             " WHERE id = ? AND done_at IS NOT NULL", (note_id,))
    return cur.rowcount == 1


async def open_actions_due(conn: Conn, start: datetime, end: datetime) -> list[tuple[int, Note]]:
    """(coalition id, action) for open actions of every coalition due in [start, end)."""
    [found] = await open_actions_due_in(conn, [(start, end)])
    return found


async def open_actions_due_in(conn: Conn, windows: Sequence[tuple[datetime, datetime]],
                              ) -> list[list[tuple[int, Note]]]:
    """`open_actions_due` for each window [start, end), read in one query; an action
    due in two windows that overlap is in both lists."""
    if not windows:
        return []
    # a range search of the index per window (an OR of the ranges would scan all of it)
    query = " UNION ALL ".join(
        _NOTE_SELECT.replace(" FROM note n", f", {k} AS found_in FROM note n", 1)
        + " WHERE n.kind = 'action' AND n.done_at IS NULL AND n.due_at >= ? AND n.due_at < ?"
        for k in range(len(windows)))
    rows = await fetch_all(conn, query + " ORDER BY due_at, id",
                           [bound for start, end in windows
                            for bound in (iso_end(start), iso_end(end))])
    found: list[list[tuple[int, Note]]] = [[] for _ in windows]
    for r in rows:
        found[r["found_in"]].append((r["coalition_id"], _note(r)))
    return found
