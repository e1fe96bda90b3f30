"""Installations: where the bot is installed and with which token, for front doors
that serve many workspaces from one process (Slack's OAuth install flow).

Platform-neutral: a record holds the ids, names and the bot token of one workspace (or
one Enterprise Grid org); the token is encrypted at rest (`coalition_bot.tokens`) and
decrypted only when read here. Adapters reach this through `Bot.installations`; the
Slack adapter wraps it in bolt's installation and state stores.

Enterprise Grid: an org-wide install (team '') serves every team of its org. A team's
org is remembered (`note_team`) from its requests and its own install, so `find` with a
team alone (what a delivery row knows) falls back to the org's install, as bolt's
`find_installation(enterprise_id, team_id, is_enterprise_install)` does.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from coalition_bot.clock import Clock
from coalition_bot.services.installations import announce_departure
from coalition_bot.store import installations as sql
from coalition_bot.store.database import Database
from coalition_bot.tokens import TokenCipher, TokenUnreadable

__all__ = ["Installation", "Installations", "NotConfigured"]

log = logging.getLogger(__name__)


class NotConfigured(RuntimeError):
    """Installations were used with no token key configured."""


@dataclass(frozen=True, slots=True)
class Installation:
    """One workspace (or org-wide) install: its ids and its bot token, in clear."""

    platform: str
    team_id: str  # '' for an org-wide Enterprise Grid install
    bot_token: str = field(repr=False)
    enterprise_id: str = ""
    is_enterprise_install: bool = False
    app_id: str = ""
    team_name: str = ""
    enterprise_name: str = ""
    bot_id: str = ""
    bot_user_id: str = ""
    bot_scopes: str = ""
    installer_user_id: str = ""
    refresh_token: str | None = field(default=None, repr=False)
    token_expires_at: int | None = None
    installed_at: datetime | None = None


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


class Installations:
    """save / find / delete installations, issue and consume one-time OAuth states."""

    def __init__(self, db: Database, clock: Clock,
                 notices_written: Callable[[], None] = lambda: None) -> None:
        self.db = db
        self.clock = clock
        self.notices_written = notices_written  # the outbox sends them (`Bot`: its kick)
        self._cipher: TokenCipher | None = None
        self._noted: dict[tuple[str, str], str] = {}  # (platform, team) -> org, written

    def unlock(self, cipher: TokenCipher) -> None:
        """Give the key tokens are encrypted with (from the environment)."""
        self._cipher = cipher

    @property
    def cipher(self) -> TokenCipher:
        if self._cipher is None:
            raise NotConfigured("no token key: installations are not configured")
        return self._cipher

    async def save(self, inst: Installation) -> None:
        """Store (or replace) an installation; its tokens are encrypted first."""
        cipher = self.cipher
        row = sql.InstallationRow(
            platform=inst.platform, enterprise_id=inst.enterprise_id, team_id=inst.team_id,
            is_enterprise_install=inst.is_enterprise_install, app_id=inst.app_id,
            enterprise_name=inst.enterprise_name, team_name=inst.team_name,
            bot_id=inst.bot_id, bot_user_id=inst.bot_user_id, bot_scopes=inst.bot_scopes,
            installer_user_id=inst.installer_user_id,
            token_cipher=cipher.encrypt(inst.bot_token),
            refresh_cipher=cipher.encrypt(inst.refresh_token) if inst.refresh_token else None,
            token_expires_at=inst.token_expires_at,
            installed_at=inst.installed_at or self.clock())
        async with self.db.transaction() as conn:
            await sql.upsert(conn, row)
            if inst.team_id and inst.enterprise_id:
                await sql.note_team(conn, inst.platform, inst.team_id, inst.enterprise_id,
                                    row.installed_at)
        log.info("installed on %s %s (team %s, enterprise %s)", inst.platform,
                 inst.team_name or inst.team_id, inst.team_id or "-",
                 inst.enterprise_id or "-")

    async def note_team(self, platform: str, team_id: str, enterprise_id: str) -> None:
        """Remember the Enterprise Grid org of a team (once per process, unless it moves),
        so that deliveries to it can use the org-wide install's token."""
        if not team_id or not enterprise_id:
            return
        if self._noted.get((platform, team_id)) == enterprise_id:
            return
        async with self.db.transaction() as conn:
            await sql.note_team(conn, platform, team_id, enterprise_id, self.clock())
        self._noted[(platform, team_id)] = enterprise_id

    async def find(self, platform: str, team_id: str, *,
                   enterprise_id: str = "") -> Installation | None:
        """The installation serving a team: its own, else the org-wide install of its
        org (`enterprise_id`, or the one noted for it); with team_id '', an org's."""
        async with self.db.transaction() as conn:
            row = await sql.find(conn, platform, enterprise_id=enterprise_id,
                                 team_id=team_id)
            if row is None and team_id:
                org = enterprise_id or await sql.enterprise_of(conn, platform, team_id)
                if org:
                    row = await sql.find(conn, platform, enterprise_id=org, team_id="")
        if row is None:
            return None
        try:
            return self._clear(row)
        except TokenUnreadable:
            log.error("the stored token of %s team %s cannot be decrypted with the "
                      "configured keys (was the old key dropped too early?)",
                      platform, team_id or enterprise_id)
            return None

    async def renew(self, inst: Installation, *, bot_token: str,
                    refresh_token: str | None, expires_at: int | None) -> Installation:
        """Keep a renewed (rotated) token of an installation, encrypted; the record
        with it."""
        cipher = self.cipher
        async with self.db.transaction() as conn:
            row = await sql.find(conn, inst.platform, enterprise_id=inst.enterprise_id,
                                 team_id=inst.team_id)
            if row is not None:
                await sql.set_token(
                    conn, row, cipher.encrypt(bot_token),
                    cipher.encrypt(refresh_token) if refresh_token else None, expires_at)
        log.info("renewed the expiring token of %s team %s", inst.platform,
                 inst.team_id or inst.enterprise_id)
        return replace(inst, bot_token=bot_token, refresh_token=refresh_token,
                       token_expires_at=expires_at)

    async def delete(self, platform: str, team_id: str, *, enterprise_id: str = "",
                     announce: bool = True) -> int:
        """Delete a workspace's tokens (with team_id '', an org-wide install's); with
        `announce`, tell the other workspaces of each coalition of a team that lost
        its token that it left. How many installations were deleted."""
        now = self.clock()
        async with self.db.transaction() as conn:
            gone = await sql.delete(conn, platform, enterprise_id=enterprise_id,
                                    team_id=team_id)
            if gone and announce and team_id:
                await announce_departure(conn, platform, team_id,
                                         gone[0].team_name or team_id, now)
            elif gone and announce and enterprise_id:  # the org's teams lost their token
                org = gone[0].enterprise_name or enterprise_id
                for team in await sql.teams_of(conn, platform, enterprise_id):
                    if await sql.find(conn, platform, enterprise_id=enterprise_id,
                                      team_id=team) is None:
                        await announce_departure(conn, platform, team, f"{team} ({org})",
                                                 now)
        if gone:
            log.info("uninstalled from %s team %s: its tokens are deleted", platform,
                     team_id or enterprise_id)
            if announce:
                self.notices_written()  # the other workspaces hear that it left, now
        return len(gone)

    async def rotate_keys(self, platform: str) -> int:
        """Re-encrypt every token not under the current (first) key; how many."""
        cipher = self.cipher
        done = 0
        async with self.db.transaction() as conn:
            for row in await sql.all_rows(conn, platform):
                try:
                    if cipher.is_current(row.token_cipher) and (
                            row.refresh_cipher is None
                            or cipher.is_current(row.refresh_cipher)):
                        continue
                    await sql.set_ciphers(
                        conn, row, cipher.rotate(row.token_cipher),
                        cipher.rotate(row.refresh_cipher) if row.refresh_cipher else None)
                    done += 1
                except TokenUnreadable:
                    log.error("the stored token of %s team %s cannot be decrypted with "
                              "the configured keys", platform, row.team_id)
        return done

    async def issue_state(self, state: str, lifetime: timedelta) -> None:
        """Remember a state handed to a browser starting an install."""
        now = self.clock()
        async with self.db.transaction() as conn:
            await sql.add_state(conn, _state_hash(state), now + lifetime, now)

    async def consume_state(self, state: str) -> bool:
        """True once for a state issued here and not expired; False for any other."""
        async with self.db.transaction() as conn:
            return await sql.take_state(conn, _state_hash(state), self.clock())

    def _clear(self, row: sql.InstallationRow) -> Installation:
        cipher = self.cipher
        return Installation(
            platform=row.platform, team_id=row.team_id,
            bot_token=cipher.decrypt(row.token_cipher), enterprise_id=row.enterprise_id,
            is_enterprise_install=row.is_enterprise_install, app_id=row.app_id,
            team_name=row.team_name, enterprise_name=row.enterprise_name,
            bot_id=row.bot_id, bot_user_id=row.bot_user_id, bot_scopes=row.bot_scopes,
            installer_user_id=row.installer_user_id,
            refresh_token=cipher.decrypt(row.refresh_cipher) if row.refresh_cipher else None,
            token_expires_at=row.token_expires_at, installed_at=row.installed_at)
