"""Token rotation: renewing expiring bot tokens before they expire.

With token rotation on (the app's manifest, `slack-manifest --token-rotation`), Slack
issues bot tokens (`xoxe.xoxb-…`) that expire after 12 hours, each with a refresh token
that is good for one renewal. `TokenRenewal.fresh` renews a token due within
`RENEW_MINUTES` with slack_sdk's `AsyncTokenRotator` (`oauth.v2.access`,
`grant_type=refresh_token`) and keeps the new pair, encrypted, through
`Installations.renew`. Both paths that need a token come through here: bolt's authorize
for requests (our installation store renews before it hands bolt the token, so bolt's
own rotator, which nothing would serialize with ours, has nothing left to do) and
`TeamTokens` for replies and the outbox.

A refresh token is spent by its use, so two renewals of one installation must not race:
renewals are serialized per installation in this process, and the installation is
read again inside the lock. Another process may still renew first; a refusal of the
refresh token is therefore checked against the database (at once, and once more after
`RACE_GRACE`, the time the winner has to store its pair) before it counts, and a pair
renewed elsewhere is taken instead. A refusal that stands (`invalid_refresh_token`: the
app was reinstalled, or rotation reset) is `RenewalRefused`, a `DeliveryRefused`: the row
fails for good, with the reason; an outage is left to the outbox to retry.

Expiry times are Slack's own clock (epoch seconds, as slack_sdk keeps them), not the
bot's injectable one.
"""

from __future__ import annotations

import asyncio
import logging
import time

from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot as SlackBot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from coalition_bot.adapters.slack.refusals import TRANSIENT, classify
from coalition_bot.bot import Installation, Installations
from coalition_bot.outlets import DeliveryRefused

__all__ = ["RENEW_MINUTES", "RenewalRefused", "TokenRenewal"]

log = logging.getLogger(__name__)

PLATFORM = "slack"
RENEW_MINUTES = 120  # renew a token due to expire this soon (bolt's default)
RACE_GRACE = 1.0  # seconds a refused renewal waits for another process's to be stored


class RenewalRefused(DeliveryRefused):
    """Slack refused to renew a workspace's expiring token: only a reinstall helps."""

    def __init__(self, where: str, code: str) -> None:
        super().__init__(f"Slack: the app's token for workspace {where or '?'} expired and "
                         f"Slack refused to renew it ({code})",
                         hint="Token rotation needs the refresh token Slack gave last; it "
                              "was refused. Someone in that workspace must install the "
                              "app again (the bot's /slack/install page).")
        self.code = code


def as_slack_bot(found: Installation) -> SlackBot:
    """slack_sdk's record of an installation (the refresh token included)."""
    bot = SlackBot(
        app_id=found.app_id or None, enterprise_id=found.enterprise_id or None,
        enterprise_name=found.enterprise_name or None, team_id=found.team_id or None,
        team_name=found.team_name or None, bot_token=found.bot_token,
        bot_id=found.bot_id, bot_user_id=found.bot_user_id, bot_scopes=found.bot_scopes,
        bot_refresh_token=found.refresh_token, bot_token_expires_at=found.token_expires_at,
        is_enterprise_install=found.is_enterprise_install,
        installed_at=found.installed_at.timestamp() if found.installed_at else 0.0)
    if found.installer_user_id:
        bot.set_custom_value("installer", found.installer_user_id)
    return bot


class TokenRenewal:
    """Renews expiring bot tokens, one renewal per installation at a time."""

    def __init__(self, installations: Installations, *, client_id: str, client_secret: str,
                 client: AsyncWebClient, minutes: int = RENEW_MINUTES) -> None:
        self.installations = installations
        self.rotator = AsyncTokenRotator(client_id=client_id, client_secret=client_secret,
                                         client=client)
        self.minutes = minutes
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def fresh(self, found: Installation) -> Installation:
        """`found`, or, when its token expires within `minutes`, with a renewed one."""
        if not found.refresh_token or found.token_expires_at is None:
            return found  # rotation is off for this install: its token never expires
        if found.token_expires_at > time.time() + self.minutes * 60:
            return found  # not due: no lock, no second read
        key = (found.enterprise_id, found.team_id)
        async with self._locks.setdefault(key, asyncio.Lock()):
            current = await self._again(found) or found
            try:
                renewed = await self.rotator.perform_bot_token_rotation(
                    bot=as_slack_bot(current), minutes_before_expiration=self.minutes)
            except SlackTokenRotationError as failed:
                return await self._refused(current, failed.api_error)
            if renewed is None or not renewed.bot_token:
                return current
            return await self.installations.renew(
                current, bot_token=renewed.bot_token,
                refresh_token=renewed.bot_refresh_token,
                expires_at=renewed.bot_token_expires_at)

    async def _again(self, found: Installation) -> Installation | None:
        """The installation as the database holds it now (another task or process may
        have renewed it)."""
        return await self.installations.find(PLATFORM, found.team_id,
                                             enterprise_id=found.enterprise_id)

    async def _refused(self, current: Installation, error: SlackApiError) -> Installation:
        code = str(error.response.get("error") or "")
        status = int(getattr(error.response, "status_code", 0) or 0)
        if status == 429 or status >= 500 or code in TRANSIENT:
            outage = classify(error)  # the outbox tries again
            if outage is error:
                raise error
            raise outage from error
        for wait in (0.0, RACE_GRACE):
            await asyncio.sleep(wait)
            now = await self._again(current)
            if now is not None and now.refresh_token != current.refresh_token:
                return now  # another process renewed it first
        where = current.team_id or current.enterprise_id
        log.warning("Slack refused to renew the token of workspace %s (%s)", where, code)
        raise RenewalRefused(where, code or f"HTTP {status}") from error
