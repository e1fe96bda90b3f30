"""A fake Slack for the real slack-bolt app: Web API, response_url sink, file uploads and a
Socket Mode websocket on 127.0.0.1, recording every call; and a driver that signs requests
the way Slack does. No internet, nothing of ours mocked.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from coalition_bot.config import SlackConfig

SECRET = "test-signing-secret"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret"
BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
TEAM = "T0TEAM"
HOME = "C0HOME"
BOT_USER = "U0BOT"
_JSON_FIELDS = ("blocks", "view", "files", "attachments")


@dataclass(frozen=True)
class User:
    id: str
    name: str  # the display name users.info gives

    @property
    def mention(self) -> str:
        return f"<@{self.id}|{self.name.lower()}>"


ALICE = User("U0ALICE", "Alice")
BOB = User("U0BOB", "Bob")
CHEN = User("U0CHEN", "Chen")
DANA = User("U0DANA", "Dana")


@dataclass
class Call:
    method: str  # "chat.postMessage", or "response_url:ID", "upload:ID"
    auth: str | None
    body: dict[str, Any]
    at: float = field(default_factory=time.time)  # when the fake received it

    def dump(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class FakeSlack:
    """Answers like Slack and records every call in order."""

    users: dict[str, str] = field(default_factory=lambda: {
        u.id: u.name for u in (ALICE, BOB, CHEN, DANA)})
    failures: dict[tuple[str, str], str] = field(default_factory=dict)  # (method, channel)
    # answers to give, once each, before answering normally: an HTTP status (an outage
    # page) or an `ok: false` error, per (method, channel)
    outages: dict[tuple[str, str], list[int | str]] = field(default_factory=dict)
    delivered: list[Call] = field(default_factory=list)  # calls answered `ok: true`
    # seconds to hold the answer to the next calls, once each, per (method, channel): a
    # slow platform (the post lands, but the bot hears so only later)
    holds: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    # bot tokens Slack knows: token -> (team id, bot user id); auth.test answers per token
    tokens: dict[str, tuple[str, str]] = field(default_factory=lambda: {
        BOT_TOKEN: (TEAM, BOT_USER)})
    # with check_tokens, a call with a token not in `tokens` gets invalid_auth, and one
    # in `revoked` gets token_revoked, as Slack answers
    check_tokens: bool = False
    revoked: set[str] = field(default_factory=set)
    # the OAuth install flow: codes Slack would hand the browser -> (team id, team name)
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    # codes for an org-wide Enterprise Grid install -> (enterprise id, org name); its
    # token serves every team of the org
    org_codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    team_orgs: dict[str, str] = field(default_factory=dict)  # team -> its Grid org
    # token rotation: with a lifetime (seconds), tokens are xoxe.xoxb-… that expire
    # (`token_expired` after it, by the wall clock, as Slack's), each with a refresh
    # token good for one `oauth.v2.access` with grant_type=refresh_token
    token_lifetime: int | None = None
    expiry: dict[str, float] = field(default_factory=dict)  # token -> time.time() it dies
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # live refresh -> owner
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def __post_init__(self) -> None:
        self.changed = asyncio.Event()
        self.sockets: list[web.WebSocketResponse] = []
        self._files = itertools.count(1)
        self.app = web.Application()
        self.app.router.add_route("*", "/api/{method}", self.api)
        self.app.router.add_post("/response/{rid}", self.response_sink)
        self.app.router.add_post("/upload/{fid}", self.upload)
        self.app.router.add_get("/socket", self.socket)
        self.base = ""

    async def start(self) -> FakeSlack:
        self._runner = web.AppRunner(self.app, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        for ws in self.sockets:
            await ws.close()
        await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, rid: str) -> str:
        return f"{self.base}/response/{rid}"

    def record(self, call: Call) -> None:
        self.calls.append(call)
        self.changed.set()

    # --- the fake endpoints ---------------------------------------------------------------

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body.update(await request.json())
        elif request.can_read_body:
            body.update(parse_qsl(await request.text()))
        for key in _JSON_FIELDS:
            if isinstance(body.get(key), str):
                body[key] = json.loads(body[key])
        call = Call(method, request.headers.get("Authorization"), body)
        self.record(call)
        if method == "oauth.v2.access":
            held = self.holds.get((method, ""))
            if held:
                await asyncio.sleep(held.pop(0))
            return web.json_response(self._oauth_access(call))
        refused = self._token_refused(call)
        if refused:
            return web.json_response({"ok": False, "error": refused})
        channel = str(body.get("channel") or body.get("channel_id") or "")
        failure = self.failures.get((method, channel))
        if failure:
            return web.json_response({"ok": False, "error": failure})
        scripted = self.outages.get((method, channel))
        if scripted:
            answer = scripted.pop(0)
            if isinstance(answer, int):
                return web.Response(status=answer, text="<html>upstream unavailable</html>",
                                    content_type="text/html")
            return web.json_response({"ok": False, "error": answer})
        held = self.holds.get((method, channel))
        if held:
            await asyncio.sleep(held.pop(0))
        self.delivered.append(call)
        return web.json_response({"ok": True, **self._answer(method, body, call.auth)})

    def _token_refused(self, call: Call) -> str:
        """Slack's error for the call's token, or '' when Slack would take it."""
        if not self.check_tokens:
            return ""
        token = (call.auth or "").removeprefix("Bearer ")
        if token in self.revoked:
            return "token_revoked"
        if token in self.expiry and time.time() >= self.expiry[token]:
            return "token_expired"
        return "" if token in self.tokens else ("not_authed" if not token else "invalid_auth")

    def _oauth_access(self, call: Call) -> dict[str, Any]:
        """oauth.v2.access: the app's credentials (HTTP Basic) and a code, once."""
        import base64

        basic = (call.auth or "").removeprefix("Basic ")
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if basic != expected:
            return {"ok": False, "error": "invalid_client_id"}
        if call.body.get("grant_type") == "refresh_token":
            return self._refresh(call)
        code = str(call.body.get("code") or "")
        if code in self.org_codes:
            return self._org_install(call, *self.org_codes.pop(code))
        team = self.codes.pop(code, None)
        if team is None:
            return {"ok": False, "error": "invalid_code"}
        bot_user = f"U0BOT{team[0]}"
        self.delivered.append(call)
        return {"ok": True, "app_id": "A0APP", "authed_user": {"id": "U0INSTALLER"},
                "scope": "commands,chat:write", "token_type": "bot",
                **self._issue(team[0], bot_user),
                "bot_user_id": bot_user, "team": {"id": team[0], "name": team[1]},
                "enterprise": {"id": self.team_orgs[team[0]], "name": "Grid Org"}
                if team[0] in self.team_orgs else None, "is_enterprise_install": False}

    def _issue(self, owner: str, bot_user: str) -> dict[str, Any]:
        """A new bot token for `owner` (a team, or an org for an org-wide install)."""
        if self.token_lifetime is None:
            token = f"xoxb-{owner}-{os.urandom(8).hex()}"
            self.tokens[token] = (owner, bot_user)
            return {"access_token": token}
        token = f"xoxe.xoxb-1-{owner}-{os.urandom(8).hex()}"
        refresh = f"xoxe-1-{owner}-{os.urandom(8).hex()}"
        self.tokens[token] = (owner, bot_user)
        self.expiry[token] = time.time() + self.token_lifetime
        self.refresh_tokens[refresh] = owner
        return {"access_token": token, "refresh_token": refresh,
                "expires_in": self.token_lifetime}

    def _org_install(self, call: Call, enterprise: str, name: str) -> dict[str, Any]:
        """An org-wide install: the org, no team, is_enterprise_install."""
        bot_user = f"U0BOT{enterprise}"
        self.delivered.append(call)
        return {"ok": True, "app_id": "A0APP", "authed_user": {"id": "U0INSTALLER"},
                "scope": "commands,chat:write", "token_type": "bot",
                **self._issue(enterprise, bot_user), "bot_user_id": bot_user,
                "team": None, "enterprise": {"id": enterprise, "name": name},
                "is_enterprise_install": True}

    def _refresh(self, call: Call) -> dict[str, Any]:
        """oauth.v2.access with grant_type=refresh_token: a new token and a new refresh
        token; the refresh token used is spent."""
        owner = self.refresh_tokens.pop(str(call.body.get("refresh_token") or ""), None)
        if owner is None:
            return {"ok": False, "error": "invalid_refresh_token"}
        bot_user = next((u for o, u in self.tokens.values() if o == owner), "U0BOT")
        self.delivered.append(call)
        return {"ok": True, "app_id": "A0APP", "token_type": "bot", "scope":
                "commands,chat:write", **self._issue(owner, bot_user),
                "bot_user_id": bot_user, "team": {"id": owner}}

    def token_of(self, team: str) -> str:
        """The live token Slack issued for `team` (or an org: its org-wide install), its
        latest install or renewal."""
        live = [t for t, (tid, _) in self.tokens.items() if tid == team and t not in self.revoked]
        assert live, f"no token for {team}"
        return live[-1]

    def _answer(self, method: str, body: dict[str, Any], auth: str | None = None
                ) -> dict[str, Any]:
        if method == "auth.test":
            team, bot_user = self.tokens.get((auth or "").removeprefix("Bearer "),
                                             (TEAM, BOT_USER))
            return {"url": "https://fake.slack.com/", "team": "Fake", "user": "coalition-bot",
                    "team_id": team, "user_id": bot_user, "bot_id": "B0" + bot_user[1:]}
        if method == "users.info":
            name = self.users.get(body.get("user", ""))
            if name is None:
                return {"ok": False, "error": "user_not_found"}
            return {"user": {"id": body["user"], "name": name.lower(), "real_name": name,
                             "profile": {"display_name": name, "real_name": name}}}
        if method == "chat.postMessage":
            return {"channel": body.get("channel"), "ts": f"{time.time():.6f}"}
        if method == "chat.postEphemeral":
            return {"message_ts": f"{time.time():.6f}"}
        if method == "conversations.open":
            return {"channel": {"id": "D" + str(body.get("users", "")).removeprefix("U")}}
        if method == "views.open":
            return {"view": {"id": "V0VIEW", **(body.get("view") or {})}}
        if method == "files.getUploadURLExternal":
            fid = f"F{next(self._files)}"
            return {"upload_url": f"{self.base}/upload/{fid}", "file_id": fid}
        if method == "files.completeUploadExternal":
            return {"files": [{"id": f["id"], "title": f.get("title")}
                              for f in body.get("files") or ()]}
        if method == "apps.connections.open":
            return {"url": f"{self.base.replace('http', 'ws', 1)}/socket"}
        return {}

    async def response_sink(self, request: web.Request) -> web.Response:
        self.record(Call("response_url:" + request.match_info["rid"], None,
                         await request.json()))
        return web.Response(text="ok")

    async def upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.record(Call("upload:" + request.match_info["fid"], None,
                         {"content": data.decode("utf-8", "replace")}))
        return web.Response(text="OK - " + str(len(data)))

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        self.changed.set()
        await ws.send_json({"type": "hello", "num_connections": 1})
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(msg.data))
                self.changed.set()
        return ws

    # --- what tests ask -------------------------------------------------------------------

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, condition: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait until `condition()` is truthy (and return it); fail after `within` seconds."""
        deadline = time.monotonic() + within
        while not (result := condition()):
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; calls so far: {self.methods()}")
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                pass
        return result

    async def wait_call(self, method: str, count: int = 1) -> Call:
        """The `count`-th call of `method`, once it has come."""
        calls = await self.wait_for(lambda: len(self.to(method)) >= count and self.to(method))
        return calls[count - 1]


def http_config(fake: FakeSlack, **settings: Any) -> SlackConfig:
    """A `[slack]` section for HTTP on 127.0.0.1, any free port, the Web API on `fake`."""
    return SlackConfig(enabled=True, transport="http", api_base=fake.api_base,
                       host="127.0.0.1", port=0, **settings)


def sign(body: str, *, secret: str = SECRET, ts: int | None = None,
         retry: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request body: timestamp and v0 signature."""
    stamp = str(int(time.time()) if ts is None else ts)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Request-Timestamp": stamp,
               "X-Slack-Signature": SignatureVerifier(secret).generate_signature(
                   timestamp=stamp, body=body)}
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return headers


SLACK_DATE = re.compile(r"<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>|]*>")


def without_dates(text: str) -> str:
    """`text` less the dates the bot wrote (`<!date^…>`, each reader's own time), so what
    is left can be checked for `<!…>` pings."""
    return SLACK_DATE.sub("", text)


def text_of(payload: dict[str, Any]) -> str:
    """Every text in a message payload (fallback and blocks), for assertions."""
    parts = [payload.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload.get("blocks") or [])
    return "\n".join(parts)


def buttons_of(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The buttons of a message payload, by label."""
    return {e["text"]["text"]: e for b in payload.get("blocks") or ()
            if b["type"] == "actions" for e in b["elements"]}


class Workspace:
    """Drives the bot the way a Slack workspace does: signed POSTs to /slack/events."""

    def __init__(self, fake: FakeSlack, url: str, http: aiohttp.ClientSession,
                 adapter: Any, prefix: str = "", team: str = TEAM,
                 enterprise: str = "") -> None:
        self.fake = fake
        self.url = url
        self.http = http
        self.adapter = adapter
        self.prefix = prefix
        self.team = team  # another team id: a second workspace on the same app
        # an Enterprise Grid org the team is in, its app installed org-wide
        self.enterprise = enterprise
        self._ids = itertools.count(1)

    def next_id(self, kind: str) -> str:
        return f"{kind}{'' if self.team == TEAM else self.team}{next(self._ids)}"

    async def post(self, body: str, headers: dict[str, str] | None = None,
                   **signing: Any) -> tuple[int, str]:
        async with self.http.post(self.url, data=body.encode(),
                                  headers=headers if headers is not None
                                  else sign(body, **signing)) as answer:
            return answer.status, await answer.text()

    def command_body(self, user: User, command: str, text: str, *, channel: str = HOME,
                     rid: str = "", trigger: str = "") -> str:
        return urlencode({
            "token": "unused", "team_id": self.team, "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "home", "user_id": user.id, "user_name": user.name.lower(),
            "command": f"/{self.prefix}{command.lstrip('/')}", "text": text,
            "api_app_id": "A0APP", "response_url": self.fake.response_url(rid),
            "trigger_id": trigger or f"{rid}.trigger",
            **({"enterprise_id": self.enterprise, "enterprise_name": "Grid Org",
                "is_enterprise_install": "true"} if self.enterprise else {})})

    async def command(self, user: User, command: str, text: str = "", *,
                      channel: str = HOME, **signing: Any) -> tuple[str, int, str]:
        """Send a slash command; its response_url id, the HTTP status and body."""
        rid = self.next_id("cmd")
        status, body = await self.post(self.command_body(user, command, text, channel=channel,
                                                         rid=rid), **signing)
        return rid, status, body

    async def answer(self, rid: str) -> dict[str, Any]:
        """What the bot posted to the response_url `rid`."""
        return (await self.fake.wait_call(f"response_url:{rid}")).body

    async def run(self, user: User, command: str, text: str = "", *,
                  channel: str = HOME) -> dict[str, Any]:
        """A slash command and the answer it got (asserting it was acked with 200)."""
        rid, status, _ = await self.command(user, command, text, channel=channel)
        assert status == 200
        return await self.answer(rid)

    async def ok(self, user: User, command: str, text: str = "", **kw: Any) -> dict[str, Any]:
        payload = await self.run(user, command, text, **kw)
        assert ":warning:" not in payload["text"], text_of(payload)
        return payload

    async def click(self, user: User, button: dict[str, Any], *,
                    channel: str = HOME) -> dict[str, Any]:
        """Click a button of a posted message; the answer it got."""
        rid = self.next_id("click")
        payload = {
            "type": "block_actions", "api_app_id": "A0APP", "token": "unused",
            "team": {"id": self.team, "domain": "fake"},
            "user": {"id": user.id, "username": user.name.lower(), "team_id": self.team},
            "channel": {"id": channel, "name": "home"}, "trigger_id": f"{rid}.trigger",
            "container": {"type": "message", "message_ts": "1.2", "channel_id": channel},
            "message": {"ts": "1.2", "text": "poll"},
            "response_url": self.fake.response_url(rid),
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b",
                         "value": button["value"], "text": button["text"],
                         "action_ts": "1.3"}],
        }
        status, _ = await self.post(urlencode({"payload": json.dumps(payload)}))
        assert status == 200
        return await self.answer(rid)

    async def submit(self, user: User, view: dict[str, Any],
                     values: dict[str, str]) -> tuple[int, str]:
        """Submit a modal the bot opened, with `values` typed or picked, by block id."""
        state: dict[str, Any] = {}
        for block in view["blocks"]:
            element = block["element"]
            value = values.get(block["block_id"])
            if element["type"] == "static_select":
                picked = {"text": {"type": "plain_text", "text": value}, "value": value} \
                    if value else None
                state[block["block_id"]] = {element["action_id"]: {
                    "type": "static_select", "selected_option": picked}}
            else:
                state[block["block_id"]] = {element["action_id"]: {
                    "type": element["type"], "value": value}}
        payload = {
            "type": "view_submission", "team": {"id": TEAM, "domain": "fake"},
            "user": {"id": user.id, "username": user.name.lower(), "team_id": TEAM},
            "api_app_id": "A0APP", "token": "unused", "trigger_id": "form.trigger",
            "view": {**view, "id": "V0VIEW", "team_id": TEAM, "state": {"values": state},
                     "hash": "1.abc"},
            "response_urls": [],
        }
        return await self.post(urlencode({"payload": json.dumps(payload)}))

    def message_body(self, user: User, text: str, *, event_id: str,
                     channel: str = HOME) -> str:
        return json.dumps({
            "token": "unused", "team_id": self.team, "api_app_id": "A0APP",
            "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
            "event": {"type": "message", "channel": channel, "channel_type": "channel",
                      "user": user.id, "text": text, "ts": f"{time.time():.6f}",
                      "team": self.team},
            "authorizations": [{"team_id": self.team, "user_id": BOT_USER, "is_bot": True}],
        })

    async def event(self, event: dict[str, Any], *, event_id: str,
                    **fields: Any) -> int:
        """Send an Events API event of this workspace (app_uninstalled, tokens_revoked);
        `fields` add to or replace the envelope's."""
        body = json.dumps({"token": "unused", "team_id": self.team, "api_app_id": "A0APP",
                           "type": "event_callback", "event_id": event_id,
                           "event_time": int(time.time()), "event": event} | fields)
        status, _ = await self.post(body, sign(body) | {"Content-Type": "application/json"})
        return status

    async def message(self, user: User, text: str, *, event_id: str, channel: str = HOME,
                      retry: int | None = None) -> int:
        body = self.message_body(user, text, event_id=event_id, channel=channel)
        headers = sign(body, retry=retry) | {"Content-Type": "application/json"}
        status, _ = await self.post(body, headers)
        return status


@asynccontextmanager
async def serving(bot: Any, fake: FakeSlack) -> AsyncIterator[Workspace]:
    """The real Slack adapter serving HTTP on 127.0.0.1 for `bot`, its Web API pointed at
    `fake`, and a workspace to drive it (the tokens must be in the environment)."""
    from coalition_bot.adapters.slack import build

    adapter = build(bot, http_config(fake))
    where = await adapter.start()
    url = re.search(r"http://\S+/slack/events", where)
    assert url, where
    try:
        async with aiohttp.ClientSession() as http:
            yield Workspace(fake, url[0], http, adapter)
    finally:
        await adapter.stop()


async def set_up_coalition(workspace: Workspace) -> Workspace:
    """Alice sets a coalition up on Slack; Bob represents Tenants United, Climate Now has
    no representative yet."""
    await workspace.ok(ALICE, "/coalition", 'setup "Eastside Tenants" America/New_York')
    await workspace.ok(ALICE, "/coalition", 'org add "Tenants United"')
    await workspace.ok(ALICE, "/coalition", 'org add "Climate Now"')
    await workspace.ok(ALICE, "/coalition", f'rep add {BOB.mention} "Tenants United"')
    return workspace


def run_config(tmp_path: Path, fake: FakeSlack, *, log_level: str = "INFO") -> Path:
    """A config.toml for `coalition-bot run` on Slack over HTTP at the fake, 127.0.0.1:0;
    its tokens come from E2E_SLACK_* (see `run_env`)."""
    config = tmp_path / "config.toml"
    config.write_text(f"""
[bot]
database = "{tmp_path / 'bot.db'}"
log_level = "{log_level}"

[slack]
enabled = true
transport = "http"
host = "127.0.0.1"
port = 0
api_base = "{fake.api_base}"
bot_token_env = "E2E_SLACK_BOT"
signing_secret_env = "E2E_SLACK_SIGNING"
""", encoding="utf-8")
    return config


def run_env(**extra: str) -> dict[str, str]:
    """This environment without the bot's own variables, plus the fake's tokens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COALITION_BOT", "SLACK_"))}
    return env | {"E2E_SLACK_BOT": BOT_TOKEN, "E2E_SLACK_SIGNING": SECRET,
                  "PYTHONIOENCODING": "utf-8", **extra}
