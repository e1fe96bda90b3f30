"""SQL for people (platform users inside a coalition) and representatives."""

from __future__ import annotations

from datetime import datetime

from coalition_bot.model import Person
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, RowCache, fetch_all, fetch_one, from_iso, iso

__all__ = [
    "add_representative",
    "ensure_person",
    "find_caller",
    "find_person",
    "get_person",
    "list_people",
    "pending_joiners",
    "people_by_name",
    "remove_representative",
    "remove_roles",
    "representatives",
    "represented_org_ids",
    "set_declared_org",
    "set_left",
    "standing",
]


def _person(row: Row) -> Person:
    return Person(row["id"], row["coalition_id"], row["platform"], row["platform_user_id"],
                  row["display_name"], row["org_id"],
                  from_iso(row["left_at"]) if row["left_at"] else None)


async def ensure_person(conn: Conn, coalition_id: int, platform: str, user_id: str,
                        display_name: str | None, now: datetime) -> Person:
    """The person for a platform user, created on first sight; keeps the name current."""
    known = await find_person(conn, coalition_id, platform, user_id)
    if known is not None and (display_name is None or known.display_name == display_name):
        return known  # the usual case, every command: known, name unchanged; one read
    row = await fetch_one(
        conn,
        "INSERT INTO person (coalition_id, platform, platform_user_id, display_name, created_at)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (coalition_id, platform, platform_user_id) DO UPDATE"
        " SET display_name = coalesce(?, person.display_name)"
        " WHERE CAST(? AS TEXT) IS NOT NULL AND person.display_name IS NOT ?"
        " RETURNING *",
        (coalition_id, platform, user_id, display_name or user_id, iso(now),
         display_name, display_name, display_name),
    )
    if row is None:  # conflict with nothing to update: RETURNING yields no row
        row = await fetch_one(
            conn,
            "SELECT * FROM person WHERE coalition_id = ? AND platform = ?"
            " AND platform_user_id = ?",
            (coalition_id, platform, user_id),
        )
    return _person(row)


_CALLERS = RowCache(_person)  # every command reads its caller; parsed once while unchanged


async def find_caller(conn: Conn, coalition_id: int, platform: str,
                      user_id: str) -> tuple[Person, bool, list[int]] | None:
    """A platform user's person, whether they coordinate, and the organizations they
    represent (in id order), in one statement: `find_person` and `standing` together,
    for the caller of every command. None if the coalition has not seen them yet."""
    rows = await fetch_all(
        conn,
        "SELECT p.*, EXISTS (SELECT 1 FROM coordinator c WHERE c.coalition_id = p.coalition_id"
        " AND c.person_id = p.id) AS coordinates, r.org_id AS rep_org FROM person p"
        " LEFT JOIN representative r ON r.person_id = p.id"
        " WHERE p.coalition_id = ? AND p.platform = ? AND p.platform_user_id = ?"
        " ORDER BY r.org_id",
        (coalition_id, platform, user_id))
    if not rows:
        return None
    return (_CALLERS(rows[0]), bool(rows[0]["coordinates"]),
            [r["rep_org"] for r in rows if r["rep_org"] is not None])


async def find_person(conn: Conn, coalition_id: int, platform: str,
                      user_id: str) -> Person | None:
    row = await fetch_one(
        conn,
        "SELECT * FROM person WHERE coalition_id = ? AND platform = ? AND platform_user_id = ?",
        (coalition_id, platform, user_id),
    )
    return _person(row) if row else None


async def get_person(conn: Conn, person_id: int) -> Person:
    return _person(await fetch_one(conn, "SELECT * FROM person WHERE id = ?", (person_id,)))


async def people_by_name(conn: Conn, coalition_id: int, name: str) -> list[Person]:
    rows = await fetch_all(
        conn,
        "SELECT * FROM person WHERE coalition_id = ? AND lower(display_name) = lower(?)",
        (coalition_id, name),
    )
    return [_person(r) for r in rows]


async def set_declared_org(conn: Conn, person_id: int, org_id: int | None) -> None:
    await conn.execute("UPDATE person SET org_id = ? WHERE id = ?", (org_id, person_id))


async def add_representative(conn: Conn, org_id: int, person_id: int, added_by: int | None,
                             now: datetime) -> bool:
    """Make a person a representative of an org; False if they already were."""
    cur = await conn.execute(
        "INSERT INTO representative (org_id, person_id, added_by, added_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (org_id, person_id, added_by, iso(now)),
    )
    return cur.rowcount == 1


async def remove_representative(conn: Conn, org_id: int, person_id: int) -> bool:
    """A person no longer represents an org (their past votes stay); False if they did not."""
    cur = await conn.execute("DELETE FROM representative WHERE org_id = ? AND person_id = ?",
                             (org_id, person_id))
    return cur.rowcount == 1


async def represented_org_ids(conn: Conn, person_id: int) -> list[int]:
    rows = await fetch_all(
        conn, "SELECT org_id FROM representative WHERE person_id = ? ORDER BY org_id",
        (person_id,))
    return [r[0] for r in rows]


async def standing(conn: Conn, person: Person) -> tuple[bool, list[int]]:
    """Whether a person coordinates their coalition, and the organizations they represent
    (in id order), in one statement: every command asks."""
    rows = await fetch_all(
        conn,
        "SELECT EXISTS (SELECT 1 FROM coordinator WHERE coalition_id = ? AND person_id = ?),"
        " r.org_id FROM (SELECT 1) AS one LEFT JOIN representative r ON r.person_id = ?"
        " ORDER BY r.org_id",
        (person.coalition_id, person.id, person.id))
    return bool(rows[0][0]), [r[1] for r in rows if r[1] is not None]


async def representatives(conn: Conn, coalition_id: int) -> dict[int, list[Person]]:
    """Representatives of every org in the coalition, keyed by org id."""
    rows = await fetch_all(
        conn,
        "SELECT r.org_id AS rep_org, p.* FROM representative r JOIN person p"
        " ON p.id = r.person_id WHERE p.coalition_id = ? ORDER BY r.added_at, p.id",
        (coalition_id,),
    )
    found: dict[int, list[Person]] = {}
    for row in rows:
        found.setdefault(row["rep_org"], []).append(_person(row))
    return found


async def list_people(conn: Conn, coalition_id: int) -> list[Person]:
    """Everyone the coalition knows, in the order they first appeared."""
    rows = await fetch_all(conn, "SELECT * FROM person WHERE coalition_id = ? ORDER BY id",
                           (coalition_id,))
    return [_person(r) for r in rows]


async def set_left(conn: Conn, person_id: int, when: datetime | None) -> None:
    """Mark a person removed by a coordinator (`when`), or back again (None)."""
    await conn.execute("UPDATE person SET left_at = ? WHERE id = ?",
                       (iso(when) if when else None, person_id))


async def remove_roles(conn: Conn, coalition_id: int, person_id: int) -> tuple[int, int]:
    """Take a person's coordinator and representative roles away: (coordinator rows,
    representative rows) deleted."""
    coordinator = await conn.execute(
        "DELETE FROM coordinator WHERE coalition_id = ? AND person_id = ?",
        (coalition_id, person_id))
    reps = await conn.execute("DELETE FROM representative WHERE person_id = ?", (person_id,))
    return coordinator.rowcount, reps.rowcount


async def pending_joiners(conn: Conn, coalition_id: int) -> dict[int, list[Person]]:
    """People who said they are with an organization (`/coalition join`) but do not
    represent it yet, by organization id."""
    rows = await fetch_all(
        conn, "SELECT p.* FROM person p WHERE p.coalition_id = ? AND p.org_id IS NOT NULL"
              " AND p.left_at IS NULL AND NOT EXISTS (SELECT 1 FROM representative r"
              " WHERE r.person_id = p.id AND r.org_id = p.org_id) ORDER BY p.id",
        (coalition_id,))
    found: dict[int, list[Person]] = {}
    for row in rows:
        found.setdefault(row["org_id"], []).append(_person(row))
    return found
