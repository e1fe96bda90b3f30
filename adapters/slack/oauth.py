"""Installing into many workspaces: slack-bolt's async OAuth flow over our database.

With `[slack] install = "oauth"` the adapter serves `/slack/install` (an "Add to Slack"
page; it sets the state cookie) and `/slack/oauth_redirect` (bolt checks the cookie and
our one-time signed state, exchanges the code with `oauth.v2.access`, and saves the bot
token through `BotInstallationStore`). Each request is then authorized with its team's
token, and every Web API call the adapter makes takes the token of the workspace it is
for (`TeamTokens`). `app_uninstalled` and `tokens_revoked` delete that workspace's
tokens; the core tells the coalition's other workspaces.

Many workspaces, in detail:

`[slack] install = "oauth"` makes one process serve every workspace that installs the
app; the default stays one bot token (HTTP or Socket Mode).

- **Bolt's flow, our storage.** `adapters/slack/oauth.py` builds bolt's
  `AsyncOAuthSettings` (`/slack/install`, `/slack/oauth_redirect`, bot scopes from the
  manifest) over two stores in `adapters/slack/installations.py`: `BotInstallationStore`
  (bolt's `AsyncInstallationStore`, bot tokens only) and `BotStateStore`. Both call
  `Bot.installations` (`coalition_bot/installations.py`), which is platform-neutral and
  writes through `store/installations.py` to the bot's own database (migration 0013:
  `installation`, `oauth_state`); no second database, no slack_sdk type in the core.
- **State.** A state is a random nonce plus its HMAC under the state secret, stored
  hashed with its expiry and deleted when consumed: a forged one fails the HMAC, a
  replayed one finds nothing (bolt's `StatelessOAuthStateStore` would accept a replay
  until it expires), and bolt's cookie check ties it to the browser that started.
- **A token per call.** Requests are authorized by bolt from the store (its `auth.test`
  cached per token, so a command costs no extra round trip). Every Web API call the
  adapter makes, from a request or from the outbox, asks `TeamTokens.client(team)` for a
  client with that workspace's token, read from the database each time (microseconds;
  nothing stale after a reinstall or a second process's uninstall). A workspace with no
  token raises `NotInstalled`, a `DeliveryRefused`: the row fails with that reason and is
  never retried.
- **Tokens at rest** are Fernet-encrypted by the core (`tokens.py`; `cryptography` is no
  platform library) with the key(s) in `token_key_env`: `MultiFernet`, the first key
  encrypts, all decrypt; the adapter's start re-encrypts rows not under the first key,
  which is the whole rotation. The log never sees one: slack_sdk logs the
  `oauth.v2.access` response, `access_token` included, at DEBUG; a `SecretScrub` filter
  on slack_sdk's and bolt's own loggers rewrites tokens, OAuth codes and secret fields
  to `[secret]`, so even a handler without our `PayloadFilter` never gets them, and
  `PayloadFilter` scrubs the same way.
- **Leaving.** `app_uninstalled` and `tokens_revoked` (bot tokens) delete the team's
  rows; in the same transaction `services/installations.py` queues a notice to the home
  channels of the coalition's other bindings. The binding itself stays, so a reinstall
  resumes the same coalition.
- **Enterprise Grid.** Rows are keyed by (enterprise, team); an org-wide install has
  team '' and serves every team of its org. A delivery row knows its team only, so the
  team's org is remembered (`team_enterprise`, migration 0017) whenever bolt authorizes
  a request from it and when it installs on its own; `Installations.find(team)` then
  falls back to the org's install, as bolt's `find_installation` does. Uninstalling the
  org-wide app deletes the org's row: its teams' notices fail as not installed, and the
  coalitions those teams are in hear that they left.
- **Token rotation** (`rotation.py`): expiring tokens are renewed before they expire,
  for requests (inside our installation store) and for the outbox (`TeamTokens`), and
  the new pair is kept encrypted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.web.async_client import AsyncWebClient

from coalition_bot.adapters.slack.installations import (
    PLATFORM,
    BotInstallationStore,
    BotStateStore,
)
from coalition_bot.adapters.slack.manifest import BOT_SCOPES
from coalition_bot.adapters.slack.rotation import RENEW_MINUTES, TokenRenewal
from coalition_bot.bot import Bot
from coalition_bot.config import SlackConfig
from coalition_bot.logs import SecretScrub
from coalition_bot.outlets import DeliveryRefused

__all__ = ["INSTALL_PATH", "REDIRECT_PATH", "NotInstalled", "OAuthSecrets", "TeamTokens",
           "oauth_app", "watch_uninstalls"]

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # how long an "Add to Slack" page stays usable
NOT_INSTALLED = (":warning: coalition-bot is not installed in this workspace (or it was "
                 "removed). Someone here can install it again from the bot's "
                 f"{INSTALL_PATH} page; the coalition's data is still there.")


@dataclass(frozen=True, slots=True)
class OAuthSecrets:
    """What the install flow needs from the environment."""

    client_id: str
    client_secret: str = field(repr=False)
    state_secret: str = field(repr=False)


class NotInstalled(DeliveryRefused):
    """No token for the workspace a call is for: the app is not (or no longer) installed
    there. Permanent for a delivery: nothing but a reinstall changes it."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"Slack: the app is not installed in workspace {team_id or '?'}",
                         hint="The app was uninstalled there, or its token revoked. Someone "
                              "in that workspace must install it again (the bot's "
                              f"{INSTALL_PATH} page).")
        self.team_id = team_id


def _scrub_sdk_logs() -> None:
    """slack_sdk logs the oauth.v2.access response, access_token included, at DEBUG (it
    hides only the Authorization header). Scrub it on the loggers themselves, so no
    handler, ours or an embedding program's, ever gets the token."""
    for name in ("slack_sdk.web.async_base_client", "slack_sdk.web.base_client",
                 "coalition_bot.adapters.slack.app.bolt"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretScrub) for f in logger.filters):
            logger.addFilter(SecretScrub())


def oauth_app(bot: Bot, config: SlackConfig, secrets: OAuthSecrets, *, client: AsyncWebClient,
              signing_secret: str, logger: logging.Logger) -> tuple[AsyncApp, TeamTokens]:
    """The bolt app for many workspaces: OAuth flow, our stores, per-team authorize
    (its auth.test cached per token, so a request costs no extra round trip); and the
    clients with each workspace's token, renewed when rotation is on."""
    _scrub_sdk_logs()
    renewal = TokenRenewal(bot.installations, client_id=secrets.client_id,
                           client_secret=secrets.client_secret, client=client)
    store = BotInstallationStore(bot.installations, renewal)
    settings = AsyncOAuthSettings(
        client_id=secrets.client_id, client_secret=secrets.client_secret,
        scopes=list(BOT_SCOPES), user_scopes=[], redirect_uri=config.redirect_url or None,
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        installation_store=store, installation_store_bot_only=True,
        state_store=BotStateStore(bot.installations, secrets.state_secret,
                                  expiration_seconds=STATE_SECONDS),
        state_expiration_seconds=STATE_SECONDS, logger=logger)
    authorize = AsyncInstallationStoreAuthorize(
        logger=logger, client_id=secrets.client_id, client_secret=secrets.client_secret,
        installation_store=store, bot_only=True, cache_enabled=True, client=client,
        token_rotation_expiration_minutes=RENEW_MINUTES)
    app = AsyncApp(client=client, name="coalition-bot", logger=logger,
                   signing_secret=signing_secret, process_before_response=True,
                   # bolt takes an AsyncAuthorize instance here (it checks with
                   # isinstance) but types the parameter as a plain callable
                   oauth_settings=settings, authorize=authorize,  # type: ignore[arg-type]
                   installation_store=store, installation_store_bot_only=True,
                   user_facing_authorize_error_message=NOT_INSTALLED)
    return app, TeamTokens(bot, client, renewal)


class TeamTokens:
    """A Web API client with the token of the workspace a call is for."""

    def __init__(self, bot: Bot, base: AsyncWebClient,
                 renewal: TokenRenewal | None = None) -> None:
        self.bot = bot
        self.base = base
        self.renewal = renewal

    async def client(self, team_id: str) -> AsyncWebClient:
        """The team's own install, else its org's org-wide one (`NotInstalled` when
        neither); an expiring token renewed first (`RenewalRefused` when Slack will not)."""
        found = await self.bot.installations.find(PLATFORM, team_id) if team_id else None
        if found is None:
            raise NotInstalled(team_id)
        if self.renewal is not None:
            found = await self.renewal.fresh(found)
        client = AsyncWebClient(token=found.bot_token, base_url=self.base.base_url,
                                session=self.base.session, timeout=self.base.timeout,
                                logger=self.base.logger)
        client.retry_handlers = list(self.base.retry_handlers)
        return client


def watch_uninstalls(app: AsyncApp, bot: Bot) -> None:
    """`app_uninstalled` and `tokens_revoked` (bot tokens): delete the team's tokens."""

    async def uninstalled(body: dict[str, Any]) -> None:
        await _forget(bot, body, "the app was uninstalled")

    async def revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        if (event.get("tokens") or {}).get("bot"):
            await _forget(bot, body, "its bot token was revoked")

    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(revoked)


async def _forget(bot: Bot, body: dict[str, Any], why: str) -> None:
    team = str(body.get("team_id") or "")
    enterprise = str(body.get("enterprise_id") or "")
    if _org_wide(body):  # the org's own install goes, not the team the event names
        team = ""
    gone = await bot.installations.delete(PLATFORM, team, enterprise_id=enterprise)
    log.info("Slack workspace %s: %s; %d installation(s) deleted", team or enterprise, why,
             gone)  # the delete kicks the outbox: the other workspaces hear that it left


def _org_wide(body: dict[str, Any]) -> bool:
    """Whether an event is for an org-wide (Enterprise Grid) install: Slack says so in
    `authorizations`, or at the top for older payloads."""
    authorizations = body.get("authorizations") or [{}]
    flag = authorizations[0].get("is_enterprise_install", body.get("is_enterprise_install"))
    return bool(body.get("enterprise_id")) and flag in (True, "true")
