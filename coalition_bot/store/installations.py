"""SQL for installations (a workspace's encrypted bot token) and one-time OAuth states.

Plain standard SQL: `installation` is keyed by (platform, enterprise_id, team_id), with
'' for an absent id, and an upsert on that key (`ON CONFLICT ... DO UPDATE`) so that a
reinstall replaces the row. `team_enterprise` (migration 0017) remembers which Enterprise
Grid org a team belongs to, so a team covered only by its org's org-wide install can be
served when all that is known is the team (a delivery row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coalition_bot.store.database import Conn
from coalition_bot.store.rows import fetch_all, fetch_one, from_iso, iso

__all__ = [
    "InstallationRow",
    "add_state",
    "all_rows",
    "delete",
    "enterprise_of",
    "find",
    "note_team",
    "set_ciphers",
    "set_token",
    "take_state",
    "teams_of",
    "upsert",
]

_COLUMNS = ("platform", "enterprise_id", "team_id", "is_enterprise_install", "app_id",
            "enterprise_name", "team_name", "bot_id", "bot_user_id", "bot_scopes",
            "installer_user_id", "token_cipher", "refresh_cipher", "token_expires_at",
            "installed_at")


@dataclass(frozen=True, slots=True)
class InstallationRow:
    """One row of `installation`, its token still encrypted."""

    platform: str
    enterprise_id: str
    team_id: str
    is_enterprise_install: bool
    app_id: str
    enterprise_name: str
    team_name: str
    bot_id: str
    bot_user_id: str
    bot_scopes: str
    installer_user_id: str
    token_cipher: str
    refresh_cipher: str | None
    token_expires_at: int | None
    installed_at: datetime


def _row(row) -> InstallationRow:  # type: ignore[no-untyped-def]
    values = dict(zip(_COLUMNS, tuple(row), strict=True))
    values["is_enterprise_install"] = bool(values["is_enterprise_install"])
    values["installed_at"] = from_iso(values["installed_at"])
    return InstallationRow(**values)


_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM installation"


async def upsert(conn: Conn, row: InstallationRow) -> None:
    """Insert the row, or replace the one with its (platform, enterprise, team)."""
    values = [getattr(row, c) for c in _COLUMNS]
    values[_COLUMNS.index("is_enterprise_install")] = int(row.is_enterprise_install)
    values[_COLUMNS.index("installed_at")] = iso(row.installed_at)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[3:])
    await conn.execute(
        f"INSERT INTO installation ({', '.join(_COLUMNS)})"
        f" VALUES ({', '.join('?' for _ in _COLUMNS)})"
        f" ON CONFLICT (platform, enterprise_id, team_id) DO UPDATE SET {updates}",
        values)


async def find(conn: Conn, platform: str, *, enterprise_id: str,
               team_id: str) -> InstallationRow | None:
    """The installation of a team (any enterprise when `enterprise_id` is ''), or with
    `team_id` '' the org-wide install of an enterprise."""
    if team_id and enterprise_id:
        row = await fetch_one(
            conn, f"{_SELECT} WHERE platform = ? AND team_id = ? AND enterprise_id = ?",
            (platform, team_id, enterprise_id))
    elif team_id:
        row = await fetch_one(
            conn, f"{_SELECT} WHERE platform = ? AND team_id = ? ORDER BY installed_at DESC",
            (platform, team_id))
    else:
        row = await fetch_one(
            conn, f"{_SELECT} WHERE platform = ? AND enterprise_id = ? AND team_id = ''",
            (platform, enterprise_id))
    return _row(row) if row is not None else None


async def delete(conn: Conn, platform: str, *, enterprise_id: str,
                 team_id: str) -> list[InstallationRow]:
    """Delete what `find` would find (every match); the rows deleted."""
    gone = []
    while (row := await find(conn, platform, enterprise_id=enterprise_id,
                             team_id=team_id)) is not None:
        await conn.execute("DELETE FROM installation WHERE platform = ?"
                           " AND enterprise_id = ? AND team_id = ?",
                           (platform, row.enterprise_id, row.team_id))
        gone.append(row)
    return gone


async def all_rows(conn: Conn, platform: str) -> list[InstallationRow]:
    return [_row(r) for r in await fetch_all(
        conn, f"{_SELECT} WHERE platform = ? ORDER BY installed_at", (platform,))]


async def set_ciphers(conn: Conn, row: InstallationRow, token_cipher: str,
                      refresh_cipher: str | None) -> None:
    await conn.execute("UPDATE installation SET token_cipher = ?, refresh_cipher = ?"
                       " WHERE platform = ? AND enterprise_id = ? AND team_id = ?",
                       (token_cipher, refresh_cipher, row.platform, row.enterprise_id,
                        row.team_id))


async def set_token(conn: Conn, row: InstallationRow, token_cipher: str,
                    refresh_cipher: str | None, expires_at: int | None) -> None:
    """A renewed (rotated) token for the installation of `row`."""
    await conn.execute("UPDATE installation SET token_cipher = ?, refresh_cipher = ?,"
                       " token_expires_at = ?"
                       " WHERE platform = ? AND enterprise_id = ? AND team_id = ?",
                       (token_cipher, refresh_cipher, expires_at, row.platform,
                        row.enterprise_id, row.team_id))


async def note_team(conn: Conn, platform: str, team_id: str, enterprise_id: str,
                    now: datetime) -> None:
    """Remember that `team_id` belongs to the Enterprise Grid org `enterprise_id`."""
    await conn.execute(
        "INSERT INTO team_enterprise (platform, team_id, enterprise_id, seen_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (platform, team_id) DO UPDATE SET"
        " enterprise_id = excluded.enterprise_id, seen_at = excluded.seen_at",
        (platform, team_id, enterprise_id, iso(now)))


async def enterprise_of(conn: Conn, platform: str, team_id: str) -> str:
    """The org a team was last seen in, or ''."""
    row = await fetch_one(conn, "SELECT enterprise_id FROM team_enterprise"
                                " WHERE platform = ? AND team_id = ?", (platform, team_id))
    return str(row[0]) if row is not None else ""


async def teams_of(conn: Conn, platform: str, enterprise_id: str) -> list[str]:
    """The teams seen in an org, oldest first."""
    return [str(r[0]) for r in await fetch_all(
        conn, "SELECT team_id FROM team_enterprise WHERE platform = ? AND enterprise_id = ?"
              " ORDER BY seen_at, team_id", (platform, enterprise_id))]


async def add_state(conn: Conn, state_hash: str, expires_at: datetime,
                    now: datetime) -> None:
    """Remember an issued state (and forget the expired ones)."""
    await conn.execute("DELETE FROM oauth_state WHERE expires_at <= ?", (iso(now),))
    await conn.execute("INSERT INTO oauth_state (state_hash, expires_at) VALUES (?, ?)",
                       (state_hash, iso(expires_at)))


async def take_state(conn: Conn, state_hash: str, now: datetime) -> bool:
    """Consume a state: True once, for a state issued and not yet expired."""
    cur = await conn.execute("DELETE FROM oauth_state WHERE state_hash = ? AND expires_at > ?",
                             (state_hash, iso(now)))
    return cur.rowcount == 1
