"""SQL for roles and who holds them."""

from __future__ import annotations

from datetime import datetime

from coalition_bot.model import Person, Role, RoleHolder
from coalition_bot.store.database import Conn
from coalition_bot.store.rows import Row, fetch_all, fetch_one, iso, next_number

__all__ = [
    "add_holder",
    "create_role",
    "delete_role",
    "find_role",
    "holders",
    "list_roles",
    "remove_holder",
]


def _role(row: Row) -> Role:
    return Role(row["id"], row["number"], row["name"], row["description"])


async def create_role(conn: Conn, coalition_id: int, name: str, name_key: str,
                      description: str, now: datetime) -> Role:
    number = await next_number(conn, coalition_id, "role")
    row = await fetch_one(
        conn,
        "INSERT INTO role (coalition_id, number, name, name_key, description, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
        (coalition_id, number, name, name_key, description, iso(now)))
    return _role(row)


async def find_role(conn: Conn, coalition_id: int, *, name_key: str | None = None,
                    number: int | None = None) -> Role | None:
    row = await fetch_one(
        conn, "SELECT * FROM role WHERE coalition_id = ? AND (name_key = ? OR number = ?)",
        (coalition_id, name_key, number))
    return _role(row) if row else None


async def list_roles(conn: Conn, coalition_id: int) -> list[Role]:
    rows = await fetch_all(conn, "SELECT * FROM role WHERE coalition_id = ? ORDER BY number",
                           (coalition_id,))
    return [_role(r) for r in rows]


async def add_holder(conn: Conn, role_id: int, person_id: int, org_id: int | None,
                     assigned_by: int, now: datetime) -> bool:
    """Give a person a role (on behalf of an org); False if they held it already."""
    cur = await conn.execute(
        "INSERT INTO role_holder (role_id, person_id, org_id, assigned_by,"
        " assigned_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (role_id, person_id, org_id, assigned_by, iso(now)))
    return cur.rowcount == 1


async def remove_holder(conn: Conn, role_id: int, person_id: int) -> bool:
    cur = await conn.execute("DELETE FROM role_holder WHERE role_id = ? AND person_id = ?",
                             (role_id, person_id))
    return cur.rowcount == 1


async def delete_role(conn: Conn, role_id: int) -> None:
    """Remove a role and who held it (its number is not reused)."""
    await conn.execute("DELETE FROM role WHERE id = ?", (role_id,))


async def holders(conn: Conn, coalition_id: int) -> list[RoleHolder]:
    """Every role held in the coalition, by role number then assignment order."""
    rows = await fetch_all(
        conn,
        "SELECT r.id AS rid, r.number, r.name, r.description, h.org_id AS holder_org,"
        " p.* FROM role_holder h JOIN role r ON r.id = h.role_id"
        " JOIN person p ON p.id = h.person_id WHERE r.coalition_id = ?"
        " ORDER BY r.number, h.assigned_at, p.id",
        (coalition_id,))
    return [RoleHolder(Role(r["rid"], r["number"], r["name"], r["description"]),
                       Person(r["id"], r["coalition_id"], r["platform"], r["platform_user_id"],
                              r["display_name"], r["org_id"]), r["holder_org"])
            for r in rows]
