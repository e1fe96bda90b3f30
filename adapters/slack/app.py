"""The Slack front door: a slack-bolt `AsyncApp` served over HTTP or Socket Mode.

It only translates. A slash command, a button click and a form submission each become
one `Invocation` whose `line` is the command as text; `Bot.handle` answers with a
`Reply`, which goes back through the command's `response_url` (ephemeral when private,
in the channel otherwise). Notices go to home channels with `chat.postMessage`;
channel messages go to `Bot.on_message`, whose nudge is a `chat.postEphemeral`.

Acknowledging: every request is acked before any work, and the answer follows through
`response_url`; the package docstring says why. Bolt sends the ack when a
listener returns (`process_before_response=True`), so each listener acks and hands the
rest to a task of ours (`_spawn`); bolt's other mode polls for the ack every 10 ms,
which made every ack 10-12 ms (bench/slack_latency.py). Form submissions are the
exception: Slack can only show input errors inside a modal through the ack itself, so
they are answered in the ack when the command finishes within `FORM_DEADLINE`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from coalition_bot.adapters.slack.manifest import check_prefix
from coalition_bot.adapters.slack.modals import (
    CALLBACK_ID,
    errors_for,
    form_view,
    read_submission,
    wanted_form,
)
from coalition_bot.adapters.slack.names import NameCache
from coalition_bot.adapters.slack.oauth import (
    INSTALL_PATH,
    OAuthSecrets,
    TeamTokens,
    oauth_app,
    watch_uninstalls,
)
from coalition_bot.adapters.slack.refusals import classify
from coalition_bot.adapters.slack.render import ACTION_PATTERN, Renderer, response
from coalition_bot.adapters.slack.retries import RetryGuard
from coalition_bot.adapters.slack.text import from_slack, mentioned_users
from coalition_bot.bot import Bot
from coalition_bot.config import ConfigError, SlackConfig
from coalition_bot.http_site import HttpSite, Route
from coalition_bot.replies import Attachment, Invocation, Message, Notice, Reply

__all__ = ["EVENTS_PATH", "SlackAdapter"]

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
FORM_DEADLINE = 2.0  # seconds a form submission may take to be answered inside its ack
STOP_GRACE = 5.0  # seconds stop() waits for commands already running
MENTIONS_MAX = 10  # display names looked up per command
CHECKED_MESSAGES = (None, "thread_broadcast")  # message subtypes that are someone talking


class _ClientGiven(logging.Filter):
    """Bolt warns that the token is unused whenever SLACK_BOT_TOKEN is set and a client is
    given; ours is: the client carries it. The warning would only mislead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("As you gave `client` as well")


bolt_log = logging.getLogger(f"{__name__}.bolt")
bolt_log.addFilter(_ClientGiven())


class SlackAdapter:
    """A `FrontDoor` for one Slack workspace (one bot token), or with `oauth` for every
    workspace that installed the app (a token per workspace, see `oauth.py`)."""

    platform = PLATFORM

    def __init__(self, bot: Bot, config: SlackConfig, *, bot_token: str | None,
                 signing_secret: str | None = None, app_token: str | None = None,
                 oauth: OAuthSecrets | None = None) -> None:
        if not bot_token and oauth is None:
            raise ConfigError("Slack needs a bot token (xoxb-…).")
        if config.transport == "http" and not signing_secret:
            raise ConfigError("Slack over HTTP needs the signing secret; without it anyone "
                              "could send commands as anyone.",
                              hint=f"Set the environment variable {config.signing_secret_env}.")
        if config.transport == "socket" and not app_token:
            raise ConfigError("Slack Socket Mode needs an app-level token (xapp-…).",
                              hint=f"Set the environment variable {config.app_token_env}.")
        self.bot = bot
        self.config = config
        self.prefix = check_prefix(config.command_prefix, bot.commands)
        self.api_base = config.api_base if config.api_base.endswith("/") \
            else config.api_base + "/"
        self.client = AsyncWebClient(token=bot_token, base_url=self.api_base)
        # a burst of reminders can hit Slack's 1 message/second per channel: wait, retry
        self.client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
        # Socket Mode requests are not signed (bolt skips the check for them) and no HTTP
        # endpoint is served; still, the secret is never "": a random one refuses all.
        self.oauth = oauth is not None
        if oauth is not None:
            self.app, self.tokens = oauth_app(
                bot, config, oauth, client=self.client, logger=bolt_log,
                signing_secret=signing_secret or secrets.token_hex(32))
            watch_uninstalls(self.app, bot)
        else:
            self.app = AsyncApp(client=self.client, name="coalition-bot", logger=bolt_log,
                                signing_secret=signing_secret or secrets.token_hex(32),
                                process_before_response=True)
            self.tokens = TeamTokens(bot, self.client)
        self._app_token = app_token
        self.render = Renderer(bot.commands, self.prefix)
        self.names = NameCache(self.client)
        self.retries = RetryGuard()
        self._inflight: set[asyncio.Task[Any]] = set()
        self._session: ClientSession | None = None  # shared by every call out, once started
        self._site: HttpSite | None = None  # listening, over HTTP
        self._socket: Any = None
        self._register()
        bot.add_outlet(self)

    # --- wiring -----------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        app.middleware(self.retries.middleware)
        for name in self.bot.commands:
            app.command(f"/{self.prefix}{name}")(self._on_command)
        app.action(ACTION_PATTERN)(self._on_button)
        app.view(CALLBACK_ID)(self._on_form)
        app.event("message")(self._on_message)

    @property
    def slash_commands(self) -> list[str]:
        """The slash commands this app answers, as the workspace knows them."""
        return [f"/{self.prefix}{name}" for name in self.bot.commands]

    async def _team(self, team_id: str) -> AsyncWebClient:
        """The Web API client for a workspace: its own token when installed through
        OAuth (`NotInstalled` when it has none), else the one bot token."""
        return await self.tokens.client(team_id) if self.oauth else self.client

    async def start(self) -> str:
        """Check the token, then listen (HTTP) or connect (Socket Mode); say where."""
        if self.oauth:
            return await self._start_http(await self._installed())
        who = await self._call(self.client.auth_test, "check the bot token",
                               self.config.bot_token_env)
        team, me = who.get("team") or who.get("team_id"), who.get("user")
        if self.config.transport == "socket":
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            # apps.connections.open once here, so a bad app token stops the start with a
            # clear message instead of a reconnect loop.
            await self._call(lambda: self.client.apps_connections_open(
                app_token=self._app_token or ""), "open a Socket Mode connection",
                self.config.app_token_env)
            self._socket = AsyncSocketModeHandler(self.app, app_token=self._app_token)
            await self._socket.connect_async()
            self._share_session()
            return f"Socket Mode, workspace {team}, as @{me}"
        return await self._start_http(f"workspace {team}, as @{me}")

    async def _installed(self) -> str:
        """Re-encrypt tokens under the current key (after a rotation); say how many."""
        rotated = await self.bot.installations.rotate_keys(PLATFORM)
        if rotated:
            log.info("re-encrypted %d Slack token(s) with the current key", rotated)
        return f"installs at {INSTALL_PATH}"

    async def _start_http(self, what: str) -> str:
        routes: list[Route] = [("POST", EVENTS_PATH, self._http)]
        flow = self.app.oauth_flow
        if flow is not None:
            routes += [("GET", flow.install_path, self._install_page),
                       ("GET", flow.redirect_uri_path, self._oauth_redirect)]
        routes += self.bot.http_routes  # /healthz, /metrics, the coalition pages
        site = HttpSite(routes, hint="Pick another [slack] host or port.",
                        shutdown_timeout=STOP_GRACE)
        where = await site.start(self.config.host, self.config.port)
        self._site = site
        self._share_session()
        return f"HTTP on {where}{EVENTS_PATH}, {what}"

    @property
    def connected(self) -> bool:
        """Listening (HTTP), or holding a live Socket Mode connection."""
        if self._site is not None:
            return True
        client = getattr(self._socket, "client", None)
        session = getattr(client, "current_session", None)
        return (client is not None and not client.closed and session is not None
                and not session.closed)

    def _share_session(self) -> None:
        """One aiohttp session (its connections kept alive) for the Web API and every
        response_url, instead of slack_sdk's new session and connection per call."""
        self._session = ClientSession(timeout=ClientTimeout(total=self.client.timeout))
        self.client.session = self._session

    async def _call(self, method: Callable[[], Awaitable[Any]], what: str,
                    env: str) -> Mapping[str, Any]:
        try:
            answer: Mapping[str, Any] = await method()
            return answer
        except SlackApiError as error:
            raise ConfigError(f"Slack refused to {what}: {error.response.get('error')}.",
                              hint=f"Check the token in ${env}.") from None
        except (ClientError, OSError, TimeoutError) as error:
            raise ConfigError(f"Could not reach Slack at {self.api_base} to {what}: "
                              f"{error}.") from None

    async def stop(self) -> None:
        """Stop listening, then give commands already running a moment to finish."""
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._site is not None:
            await self._site.stop()
            self._site = None
        running = [t for t in self._inflight if t is not asyncio.current_task()]
        if running:
            _, late = await asyncio.wait(running, timeout=STOP_GRACE)
            for task in late:
                task.cancel()
        if self._session is not None:
            self.client.session = None
            await self._session.close()
            self._session = None

    async def _http(self, request: web.Request) -> web.StreamResponse:
        answer = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(answer)

    async def _install_page(self, request: web.Request) -> web.StreamResponse:
        flow = self.app.oauth_flow
        assert flow is not None
        answer = await flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(answer)

    async def _oauth_redirect(self, request: web.Request) -> web.StreamResponse:
        flow = self.app.oauth_flow
        assert flow is not None
        answer = await flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(answer)

    def _spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Go on with a request in a task of ours, so that the listener can return and
        bolt send the ack now; `stop()` waits for these tasks."""
        task = asyncio.create_task(self._logged(work, what))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    @staticmethod
    async def _logged(work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await work
        except Exception:
            log.exception("Slack %s failed", what)

    @contextlib.asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._inflight.discard(task)

    # --- in: commands, clicks, forms, messages ---------------------------------------------

    async def _invocation(self, *, team: str, channel: str, user: str, fallback_name: str,
                          line: str, raw: str = "") -> Invocation:
        client = await self._team(team)
        name = await self.names.name(user, fallback_name, client=client)
        mentioned = list(mentioned_users(raw).items())[:MENTIONS_MAX]
        user_names = {uid: await self.names.name(uid, label, client=client)
                      for uid, label in mentioned}
        return Invocation(platform=PLATFORM, workspace_id=team, channel_id=channel,
                          user_id=user, user_name=name, line=line, user_names=user_names)

    def _command_name(self, slash: str) -> str:
        name = slash.lstrip("/")
        return name[len(self.prefix):] if self.prefix and name.startswith(self.prefix) else name

    async def _on_command(self, ack: Any, command: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._command(command), f"command {command.get('command')}")

    async def _command(self, command: dict[str, Any]) -> None:
        raw = command.get("text") or ""
        line = f"{self._command_name(command['command'])} {from_slack(raw)}".strip()
        channel, user = command.get("channel_id") or "", command["user_id"]
        team = command.get("team_id") or ""
        form = wanted_form(self.bot.commands, line)
        if form is not None and await self._open_form(form, command):
            return
        inv = await self._invocation(team=team, channel=channel,
                                     user=user, fallback_name=command.get("user_name") or "",
                                     line=line, raw=raw)
        reply = await self.bot.handle(inv)
        await self._answer(reply, response_url=command.get("response_url") or "",
                           channel_id=channel, user_id=user, team=team)

    async def _open_form(self, form: tuple[Any, Any], command: Mapping[str, Any]) -> bool:
        trigger = command.get("trigger_id")
        if not trigger:
            return False
        view = form_view(*form, slash=command["command"],
                         channel_id=command.get("channel_id") or "",
                         response_url=command.get("response_url") or "")
        try:
            client = await self._team(command.get("team_id") or "")
            await client.views_open(trigger_id=trigger, view=view)
        except (SlackApiError, ClientError) as error:
            log.warning("views.open failed (%s); answering the command instead", error)
            return False
        return True

    async def _on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._button(body, action), "button")

    async def _button(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        user = body.get("user") or {}
        channel = (body.get("channel") or {}).get("id") \
            or (body.get("container") or {}).get("channel_id") or ""
        team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
        inv = await self._invocation(
            team=team, channel=channel, user=user["id"],
            fallback_name=user.get("name") or user.get("username") or "",
            line=str(action.get("value") or ""))
        reply = await self.bot.handle(inv)
        await self._answer(reply, response_url=body.get("response_url") or "",
                           channel_id=channel, user_id=user["id"], team=team)

    async def _on_form(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        async with self._tracked():
            try:
                form = read_submission(self.bot.commands, view)
            except (KeyError, ValueError, TypeError) as error:
                log.warning("a form came back that this bot did not make: %s", error)
                await ack()
                return
            user = body.get("user") or {}
            team = (body.get("team") or {}).get("id") or user.get("team_id") or ""

            async def run() -> Reply:
                inv = await self._invocation(
                    team=team,
                    channel=form.channel_id, user=user["id"],
                    fallback_name=user.get("name") or user.get("username") or "",
                    line=form.line)
                return await self.bot.handle(inv)

            async def answer(work: Awaitable[Reply]) -> None:
                await self._answer(await work, response_url=form.response_url,
                                   channel_id=form.channel_id, user_id=user["id"], team=team)

            work = asyncio.ensure_future(run())
            try:
                reply = await asyncio.wait_for(asyncio.shield(work), FORM_DEADLINE)
            except TimeoutError:
                await ack()  # close the form; the answer follows as a message
                self._spawn(answer(work), "form")
                return
            if reply.error:  # keep the form open, with what was typed, and say why
                await ack(response_action="errors",
                          errors=errors_for(view, self.render.plain(reply.text), reply.option))
                return
            await ack()
            self._spawn(answer(work), "form")

    async def _on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """A message in a channel the bot is in: only checked, never kept, never logged."""
        if event.get("subtype") not in CHECKED_MESSAGES or event.get("bot_id"):
            return
        if event.get("channel_type") in ("im", "mpim") or not event.get("user"):
            return
        self._spawn(self._check(event, body), "message check")  # bolt acks events itself

    async def _check(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """Check a channel message for off-limits topics; nudge its author privately."""
        user, channel = event["user"], event.get("channel") or ""
        team = body.get("team_id") or event.get("team") or ""
        client = await self._team(team)
        message = Message(platform=PLATFORM, workspace_id=team,
                          channel_id=channel, user_id=user,
                          user_name=await self.names.name(user, client=client),
                          text=from_slack(event.get("text") or "", keep_mentions=False))
        nudge = await self.bot.on_message(message)
        if nudge is None:
            return
        extra = {"thread_ts": event["thread_ts"]} if event.get("thread_ts") else {}
        await client.chat_postEphemeral(channel=channel, user=user,
                                        **self.render.reply(nudge), **extra)

    # --- out: replies, files, notices -------------------------------------------------------

    async def _answer(self, reply: Reply, *, response_url: str, channel_id: str,
                      user_id: str, team: str = "") -> None:
        """A reply to whoever ran the command: through `response_url` when there is one
        (it works in any channel, the bot need not be a member), else posted directly."""
        message = self.render.reply(reply)
        if not (response_url and await self._respond(response_url, response(
                message, private=reply.private))):
            client = await self._team(team)
            if reply.private:
                await client.chat_postEphemeral(channel=channel_id, user=user_id, **message)
            else:
                await client.chat_postMessage(channel=channel_id, unfurl_links=False,
                                              **message)
        if reply.files:
            client = await self._team(team)
        for file in reply.files:
            await self._send_file(client, file, private=reply.private, channel_id=channel_id,
                                  user_id=user_id)

    async def _respond(self, url: str, payload: dict[str, Any]) -> bool:
        try:
            answer = await AsyncWebhookClient(url, session=self._session).send_dict(payload)
        except (ClientError, OSError, TimeoutError) as error:
            log.warning("posting to a response_url failed: %s", error)
            return False
        if answer.status_code != 200:
            log.warning("a response_url answered %s: %s", answer.status_code, answer.body)
            return False
        return True

    async def _send_file(self, client: AsyncWebClient, file: Attachment, *, private: bool,
                         channel_id: str, user_id: str) -> None:
        """Upload a file (files.uploadV2): into the channel for a public reply, else, or
        when the bot may not post there, into the person's direct messages with the bot."""
        if not private and channel_id:
            try:
                await self._upload(client, file, channel_id)
                return
            except SlackApiError as error:
                log.info("uploading %s to %s failed (%s); sending it privately",
                         file.filename, channel_id, error.response.get("error"))
        await self._upload(client, file, await self._direct_channel(client, user_id))

    @staticmethod
    async def _upload(client: AsyncWebClient, file: Attachment, channel: str) -> None:
        await client.files_upload_v2(channel=channel, filename=file.filename,
                                     title=file.filename, content=file.data or file.content)

    @staticmethod
    async def _direct_channel(client: AsyncWebClient, user_id: str) -> str:
        opened = await client.conversations_open(users=user_id)
        return str(opened["channel"]["id"])

    async def post_notice(self, notice: Notice, channel_id: str, *,
                          workspace_id: str = "") -> None:
        """A notice to a home channel; a refusal says whether trying again can help."""
        client = await self._team(workspace_id)  # NotInstalled: refused for good
        try:
            await client.chat_postMessage(channel=channel_id, unfurl_links=False,
                                          unfurl_media=False, **self.render.notice(notice))
        except SlackApiError as error:
            raise classify(error) from error

    async def post_private(self, user_id: str, notice: Notice, *,
                           workspace_id: str = "") -> None:
        client = await self._team(workspace_id)  # NotInstalled: refused for good
        try:
            await client.chat_postMessage(channel=await self._direct_channel(client, user_id),
                                          unfurl_links=False, unfurl_media=False,
                                          **self.render.notice(notice))
        except SlackApiError as error:
            raise classify(error) from error
