"""Bolt's installation and OAuth state stores over the bot's own database.

`BotInstallationStore` is slack_sdk's `AsyncInstallationStore` (bot tokens only) over
`Bot.installations`: no second database, tokens encrypted at rest by the core.
`BotStateStore` is its `AsyncOAuthStateStore`: a state is a random nonce signed with
the state secret (HMAC-SHA256), remembered hashed in the database and consumed once, so
a forged state fails the signature and a replayed one finds nothing to consume.

With token rotation, `async_find_bot` hands bolt a token already renewed
(`rotation.TokenRenewal`) and no refresh token, so bolt's own rotator never spends the
refresh token behind our back.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from typing import Any

from slack_sdk.oauth.installation_store import Bot as SlackBot
from slack_sdk.oauth.installation_store import Installation as SlackInstallation
from slack_sdk.oauth.installation_store.async_installation_store import (
    AsyncInstallationStore,
)
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from coalition_bot.adapters.slack.rotation import TokenRenewal, as_slack_bot
from coalition_bot.bot import Installation, Installations

__all__ = ["PLATFORM", "BotInstallationStore", "BotStateStore"]

PLATFORM = "slack"
log = logging.getLogger(__name__)


def _scopes(scopes: Any) -> str:
    return scopes if isinstance(scopes, str) else ",".join(scopes or ())


class BotInstallationStore(AsyncInstallationStore):
    """Bot installations per team (and per Enterprise Grid org) in the bot's database."""

    def __init__(self, installations: Installations,
                 renewal: TokenRenewal | None = None) -> None:
        self.installations = installations
        self.renewal = renewal

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: SlackInstallation) -> None:
        bot = installation.to_bot()
        bot.set_custom_value("installer", installation.user_id)
        await self.async_save_bot(bot)

    async def async_save_bot(self, bot: SlackBot) -> None:
        await self.installations.save(Installation(
            platform=PLATFORM,
            team_id="" if bot.is_enterprise_install else (bot.team_id or ""),
            bot_token=bot.bot_token, enterprise_id=bot.enterprise_id or "",
            is_enterprise_install=bool(bot.is_enterprise_install), app_id=bot.app_id or "",
            team_name=bot.team_name or "", enterprise_name=bot.enterprise_name or "",
            bot_id=bot.bot_id or "", bot_user_id=bot.bot_user_id or "",
            bot_scopes=_scopes(bot.bot_scopes),
            installer_user_id=str((bot.custom_values or {}).get("installer") or ""),
            refresh_token=bot.bot_refresh_token, token_expires_at=bot.bot_token_expires_at))

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> SlackBot | None:
        found = None
        if team_id and not is_enterprise_install:
            found = await self.installations.find(PLATFORM, team_id,
                                                  enterprise_id=enterprise_id or "")
        if found is None and enterprise_id:  # an org-wide install serves its teams
            found = await self.installations.find(PLATFORM, "", enterprise_id=enterprise_id)
        if found is None:
            return None
        if team_id and enterprise_id:  # deliveries to this team need its org later
            await self.installations.note_team(PLATFORM, team_id, enterprise_id)
        if self.renewal is not None and found.refresh_token:
            found = await self.renewal.fresh(found)  # RenewalRefused: bolt says not installed
            bot = as_slack_bot(found)
            bot.bot_refresh_token = None  # renewed here already; bolt must not renew again
            return bot
        return as_slack_bot(found)

    async def async_find_installation(self, *, enterprise_id: str | None,
                                      team_id: str | None, user_id: str | None = None,
                                      is_enterprise_install: bool | None = False,
                                      ) -> SlackInstallation | None:
        return None  # bot tokens only: the bot acts as itself, never as a person

    async def async_delete_bot(self, *, enterprise_id: str | None,
                               team_id: str | None) -> None:
        await self.installations.delete(PLATFORM, team_id or "",
                                        enterprise_id=enterprise_id or "")

    async def async_delete_installation(self, *, enterprise_id: str | None,
                                        team_id: str | None,
                                        user_id: str | None = None) -> None:
        return None  # no user tokens are kept

    async def async_delete_all(self, *, enterprise_id: str | None,
                               team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)


class BotStateStore(AsyncOAuthStateStore):
    """One-time, signed, expiring `state` values for the install flow."""

    def __init__(self, installations: Installations, secret: str, *,
                 expiration_seconds: int = 600) -> None:
        self.installations = installations
        self._key = secret.encode("utf-8")
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode("utf-8"), hashlib.sha256).hexdigest()

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        nonce = secrets.token_urlsafe(24)
        state = f"{nonce}.{self._sign(nonce)}"
        await self.installations.issue_state(state,
                                             timedelta(seconds=self.expiration_seconds))
        return state

    async def async_consume(self, state: str) -> bool:
        nonce, _, signature = (state or "").partition(".")
        if not nonce or not hmac.compare_digest(signature, self._sign(nonce)):
            log.warning("an install came back with a state this bot did not sign")
            return False
        if not await self.installations.consume_state(state):
            log.warning("an install came back with a state already used or expired")
            return False
        return True
