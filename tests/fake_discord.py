"""A fake Discord for tests: REST API + gateway on 127.0.0.1, payload builders, a world.

The real discord.py client of the real adapter logs in against `FakeDiscord`'s REST
API and connects to its gateway websocket; tests push raw gateway events
(`INTERACTION_CREATE` for application commands with nested subcommand options,
autocomplete, button clicks and modal submits; `MESSAGE_CREATE`) through that
websocket, so the real command tree, view store and event handlers run. Every REST call
the client makes (interaction callbacks, webhook follow-ups, channel posts, DMs,
command syncs) is recorded, and tests wait on those records with a deadline.

discord.py attributes this harness touches that are not documented API, in this one
place (the adapter itself sets the first two from `[discord] api_base` / `gateway_url`):

- `discord.http.Route.BASE` — saved before and restored after every world;
- `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` — saved and restored likewise.

No interaction is injected through `client._connection`; everything arrives over the
fake gateway, as from Discord.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord.gateway
import discord.http
from aiohttp import WSMsgType, web
from helpers import MovableClock

from coalition_bot.adapters.discord import DiscordAdapter
from coalition_bot.bot import Bot
from coalition_bot.config import DiscordConfig

APP_ID = 111111111111111111
BOT_ID = 222222222222222222
GUILD_ID = 333333333333333333
OTHER_GUILD_ID = 333333333333333999
CHANNEL_ID = 444444444444444444
DM_CHANNEL_ID = 454545454545454545
TOKEN = "fake.discord.token"
TOKEN_ENV = "FAKE_DISCORD_TOKEN"  # a world's bot reads its token from here
TIMEOUT = 10.0  # seconds any wait may take before the test fails


@dataclass(frozen=True)
class Person:
    id: int
    name: str


ALICE = Person(500000000000000001, "Alice")
BOB = Person(500000000000000002, "Bob")
CHEN = Person(500000000000000003, "Chen")
ERIN = Person(500000000000000004, "Erin")

BOT_USER = {"id": str(BOT_ID), "username": "coalition-bot", "discriminator": "0",
            "avatar": None, "global_name": None, "bot": True, "flags": 0}


def jresp(obj: Any, status: int = 200) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly application/json
    return web.Response(body=json.dumps(obj).encode(), status=status,
                        headers={"Content-Type": "application/json"})


# ---- payloads ------------------------------------------------------------------------


def user_payload(p: Person) -> dict[str, Any]:
    return {"id": str(p.id), "username": p.name.lower(), "discriminator": "0", "avatar": None,
            "global_name": p.name}


def member_payload(p: Person, *, with_user: bool = True) -> dict[str, Any]:
    m = {"roles": [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False,
         "flags": 0, "pending": False, "nick": None, "avatar": None,
         "permissions": "2147483647"}
    if with_user:
        m["user"] = user_payload(p)
    return m


def message_payload(mid: int, channel_id: int, content: str = "", *,
                    author: dict[str, Any] = BOT_USER, **extra: Any) -> dict[str, Any]:
    return {"id": str(mid), "channel_id": str(channel_id), "type": 0, "content": content,
            "author": author, "attachments": [], "embeds": [], "mentions": [],
            "mention_roles": [], "pinned": False, "mention_everyone": False, "tts": False,
            "timestamp": "2026-11-23T15:00:00+00:00", "edited_timestamp": None, "flags": 0,
            "components": [], **extra}


_ids = itertools.count(900000000000000000)


def _interaction(kind: int, data: dict[str, Any], by: Person, guild: int | None,
                 channel: int) -> dict[str, Any]:
    iid = next(_ids)
    payload: dict[str, Any] = {
        "id": str(iid), "type": kind, "application_id": str(APP_ID), "token": f"tok-{iid}",
        "version": 1, "attachment_size_limit": 8 * 1024 * 1024, "channel_id": str(channel),
        "locale": "en-US", "app_permissions": "2147483647", "entitlements": [],
        "context": 0 if guild else 1, "data": data,
        "channel": {"id": str(channel), "type": 0, "name": "general", "position": 0,
                    "permission_overwrites": [], "nsfw": False, "parent_id": None},
    }
    if guild:
        payload.update(guild_id=str(guild), guild_locale="en-US", member=member_payload(by),
                       authorizing_integration_owners={"0": str(guild)})
        payload["channel"]["guild_id"] = str(guild)
    else:
        payload.update(user=user_payload(by), authorizing_integration_owners={"1": str(by.id)})
    return payload


def _option(name: str, value: Any, resolved: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if isinstance(value, Person):
        resolved.setdefault("users", {})[str(value.id)] = user_payload(value)
        resolved.setdefault("members", {})[str(value.id)] = member_payload(value, with_user=False)
        return {"name": name, "type": 6, "value": str(value.id)}
    if isinstance(value, bool):
        return {"name": name, "type": 5, "value": value}
    if isinstance(value, int):
        return {"name": name, "type": 4, "value": value}
    return {"name": name, "type": 3, "value": str(value)}


def command_payload(words: str, options: dict[str, Any], *, by: Person, guild: int | None,
                    channel: int, focused: str | None = None) -> dict[str, Any]:
    """An application command (type 2), or with `focused` an autocomplete (type 4), for
    `words` like "coalition org add": the subcommand (group) nesting Discord sends."""
    name, *path = words.split()
    resolved: dict[str, dict[str, Any]] = {}
    leaf = []
    for key, value in options.items():
        option = _option(key, value, resolved)
        if key == focused:
            option.update(type=3, value=str(value), focused=True)
        leaf.append(option)
    nested: list[dict[str, Any]] = leaf
    if path:
        nested = [{"name": path[-1], "type": 1, "options": leaf}]
        if len(path) == 2:
            nested = [{"name": path[0], "type": 2, "options": nested}]
    data: dict[str, Any] = {"id": "777777777777777777", "name": name, "type": 1,
                            "options": nested}
    if guild:
        data["guild_id"] = str(guild)
    if resolved:
        data["resolved"] = resolved
    return _interaction(4 if focused else 2, data, by, guild, channel)


def button_payload(custom_id: str, label: str, *, by: Person, guild: int | None,
                   channel: int, message_id: int = 880000000000000001) -> dict[str, Any]:
    """A click (type 3) on a button of a message the bot posted earlier."""
    message = message_payload(message_id, channel, components=[{"type": 1, "components": [
        {"type": 2, "style": 2, "label": label, "custom_id": custom_id}]}])
    return _interaction(3, {"custom_id": custom_id, "component_type": 2}, by, guild, channel) \
        | {"message": message}


def modal_payload(custom_id: str, values: dict[str, str], *, by: Person, guild: int | None,
                  channel: int) -> dict[str, Any]:
    """A modal submission (type 5): each value in a label component, as Discord sends."""
    components = [{"type": 18, "id": i + 1, "component": {"type": 4, "id": 100 + i,
                                                          "custom_id": key, "value": value}}
                  for i, (key, value) in enumerate(values.items())]
    return _interaction(5, {"custom_id": custom_id, "components": components}, by, guild,
                        channel)


def message_create_payload(content: str, *, by: Person, guild: int,
                           channel: int) -> dict[str, Any]:
    return message_payload(next(_ids), channel, content, author=user_payload(by),
                           guild_id=str(guild), member=member_payload(by, with_user=False))


# ---- the fake servers ----------------------------------------------------------------


@dataclass
class Call:
    method: str
    path: str
    body: Any
    files: dict[str, str | bytes] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    auth: str | None = None  # the Authorization header: which token sent it
    at: float = field(default_factory=time.time)  # when the fake received it


class FakeDiscord:
    """Discord's REST API (the parts the bot uses) and gateway, recording every call."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.unexpected: list[Call] = []
        # per channel id: (HTTP status, Discord error code) to answer once each, in order,
        # before posting normally; and the channel posts that succeeded
        self.outages: dict[int, list[tuple[int, int]]] = {}
        self.delivered: list[Call] = []
        self.changed = asyncio.Event()
        self.ws: web.WebSocketResponse | None = None  # the latest connection
        # with a sharded client, each shard's connection, by shard id; and the count
        self.shards: dict[int, web.WebSocketResponse] = {}
        self.shard_count = 1
        self.connections = 0
        self.identified: list[dict[str, Any]] = []
        self.ready = asyncio.Event()
        self.refusing = False  # `drop()`: the gateway refuses new connections
        self.seq = 0
        self._messages = itertools.count(880000000000001000)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._api)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        for ws in {id(w): w for w in [self.ws, *self.shards.values()] if w}.values():
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self.changed.set()

    async def _read(self, request: web.Request) -> tuple[Any, dict[str, str]]:
        if not request.can_read_body:
            return None, {}
        if request.content_type == "application/json":
            return await request.json(), {}
        if request.content_type.startswith("multipart/"):
            body: Any = None
            files: dict[str, str | bytes] = {}
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    raw = await part.read()
                    try:  # text files as text, a picture (PNG) as its bytes
                        files[part.filename or part.name or "?"] = raw.decode()
                    except UnicodeDecodeError:
                        files[part.filename or part.name or "?"] = raw
            return body, files
        return (await request.read()).decode() or None, {}

    def _message(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        return message_payload(next(self._messages), channel_id, body.get("content") or "",
                               embeds=body.get("embeds") or [],
                               components=body.get("components") or [],
                               flags=body.get("flags") or 0)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, files = await self._read(request)
        call = Call(request.method, path, body, files, dict(request.query),
                    request.headers.get("Authorization"))
        self._record(call)
        method, parts = request.method, path.strip("/").split("/")
        if method == "GET" and path == "/users/@me":
            return jresp(BOT_USER)
        if method == "GET" and path == "/oauth2/applications/@me":
            return jresp({"id": str(APP_ID), "name": "coalition-bot", "description": "",
                          "icon": None, "bot_public": True, "bot_require_code_grant": False,
                          "owner": user_payload(ALICE), "team": None, "verify_key": "00" * 32,
                          "flags": 0, "rpc_origins": [], "summary": ""})
        if method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            flags = ((body or {}).get("data") or {}).get("flags") or 0
            return jresp({"interaction": {
                "id": parts[1], "type": 2, "response_message_id": str(next(self._messages)),
                "response_message_loading": body.get("type") == 5,
                "response_message_ephemeral": bool(flags & 64)}})
        if parts[:2] == ["webhooks", str(APP_ID)]:
            if method == "DELETE":
                return web.Response(status=204)
            return jresp(self._message(CHANNEL_ID, body or {}))
        if method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            scripted = self.outages.get(int(parts[1]))
            if scripted:
                status, code = scripted.pop(0)
                return jresp({"message": f"fake outage {status}", "code": code}, status=status)
            self.delivered.append(call)
            return jresp(self._message(int(parts[1]), body or {}))
        if method == "POST" and path == "/users/@me/channels":
            recipient = int(body["recipient_id"])
            return jresp({"id": str(DM_CHANNEL_ID + recipient % 1000), "type": 1,
                          "last_message_id": None,
                          "recipients": [{"id": str(recipient), "username": "someone",
                                          "discriminator": "0", "avatar": None,
                                          "global_name": None}]})
        if method == "PUT" and parts[:2] == ["applications", str(APP_ID)] \
                and parts[-1] == "commands":
            return jresp([{**c, "id": str(700000000000000000 + i), "application_id": str(APP_ID),
                           "version": "1", "default_member_permissions": None,
                           "dm_permission": False, "nsfw": False}
                          for i, c in enumerate(body)])
        self.unexpected.append(call)
        return jresp({"message": "Unknown (fake)", "code": 0}, status=404)

    async def drop(self) -> None:
        """An outage: close the gateway connection and refuse new ones until `restore`."""
        self.refusing = True
        for ws in {id(w): w for w in [self.ws, *self.shards.values()] if w}.values():
            await ws.close()

    def restore(self) -> None:
        self.refusing = False

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.refusing:
            return web.Response(status=503, text="fake outage")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        self.connections += 1
        self.ready.clear()
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if data["op"] == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif data["op"] == 2:  # IDENTIFY
                self.identified.append(data["d"])
                shard, count = data["d"].get("shard") or [0, 1]
                self.shards[shard], self.shard_count = ws, count
                await self._send(ws, "READY", {
                    "v": 10, "user": BOT_USER, "guilds": [],
                    "session_id": f"fake-session-{shard}",
                    "resume_gateway_url": self.gateway_url,
                    "application": {"id": str(APP_ID), "flags": 0}, "shard": [shard, count]})
                self.ready.set()
            elif data["op"] == 6:  # RESUME after a dropped connection
                await self.dispatch("RESUMED", {})
                self.ready.set()
        if self.ws is ws:
            self.ws = None
        self.shards = {k: v for k, v in self.shards.items() if v is not ws}
        return ws

    def shard_of(self, guild_id: int) -> int:
        """The shard Discord sends a guild's events on: (guild_id >> 22) % shard_count."""
        return (guild_id >> 22) % self.shard_count

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Push one gateway event to the connected client: with shards, on the connection
        of the shard of the event's guild, as Discord does."""
        ws = self.ws
        if self.shard_count > 1 and data.get("guild_id"):
            ws = self.shards.get(self.shard_of(int(data["guild_id"])))
        assert ws is not None, "no client is connected to the fake gateway (or that shard)"
        await self._send(ws, event, data)

    async def _send(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        await ws.send_json({"op": 0, "t": event, "s": self.seq, "d": data})

    async def wait_for(self, found: Callable[[], Any], within: float = TIMEOUT) -> Any:
        """Wait until `found()` is truthy (checked on every recorded call); return it."""
        deadline = time.monotonic() + within
        while True:
            result = found()
            if result:
                return result
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out; calls so far: "
                                     + ", ".join(f"{c.method} {c.path}" for c in self.calls))
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                pass

    def find(self, method: str, prefix: str, start: int = 0) -> list[Call]:
        return [c for c in self.calls[start:] if c.method == method and c.path.startswith(prefix)]


# ---- what the bot answered -----------------------------------------------------------


@dataclass
class Sent:
    """A message the bot sent (a reply, follow-up, channel post or DM), from its body."""

    body: dict[str, Any]
    files: dict[str, str | bytes] = field(default_factory=dict)
    ephemeral: bool = False

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.body.get("embeds") or []

    @property
    def text(self) -> str:
        """Content, titles, descriptions, fields and footers, one per line."""
        parts = [self.body.get("content") or ""]
        for e in self.embeds:
            parts += [e.get("title", ""), e.get("description", "")]
            for f in e.get("fields", []):
                parts += [f["name"], f["value"]]
            parts.append((e.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, custom_id) of every button."""
        return [(c.get("label", ""), c.get("custom_id", ""))
                for row in self.body.get("components") or [] for c in row.get("components", [])]

    @property
    def allowed_mentions(self) -> dict[str, Any]:
        return self.body.get("allowed_mentions") or {}

    @property
    def is_error(self) -> bool:
        return any(e.get("color") == 0xE74C3C for e in self.embeds)


@dataclass
class Answer:
    """How the bot answered one interaction: the callback, then (if deferred) the edit."""

    callback: dict[str, Any]
    message: Sent | None  # None for autocomplete and modals

    @property
    def type(self) -> int:
        return self.callback["type"]

    @property
    def choices(self) -> list[dict[str, Any]]:
        return self.callback["data"]["choices"]


# ---- a whole world: fake Discord, a real bot on a real file, the real adapter ----------


class Driver:
    """Drives a bot connected to a `FakeDiscord` as Discord would: pushes gateway events,
    reads the answers from the REST calls the bot made. For a bot in this process
    (`World`) or in another one (the `coalition-bot run` process)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    async def push(self, payload: dict[str, Any]) -> tuple[int, str]:
        start = len(self.fake.calls)
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        return start, f"/interactions/{payload['id']}/{payload['token']}/callback"

    async def answer(self, payload: dict[str, Any]) -> Answer:
        start, path = await self.push(payload)
        calls = await self.fake.wait_for(lambda: self.fake.find("POST", path, start))
        body = calls[0].body
        kind = body["type"]
        if kind in (4, 7):
            flags = body["data"].get("flags") or 0
            return Answer(body, Sent(body["data"], calls[0].files, bool(flags & 64)))
        if kind == 5:  # deferred: the answer edits the thinking message, or follows it
            hook = f"/webhooks/{APP_ID}/{payload['token']}"
            done = await self.fake.wait_for(lambda: [
                c for c in self.fake.calls[start:]
                if c.path.startswith(hook) and c.method in ("PATCH", "POST")])
            sent = done[0]
            ephemeral = bool((sent.body.get("flags") or 0) & 64) if sent.method == "POST" \
                else bool((body.get("data") or {}).get("flags", 0) & 64)
            return Answer(body, Sent(sent.body, sent.files, ephemeral))
        return Answer(body, None)

    async def command(self, words: str, *, by: Person = ALICE, guild: int | None = GUILD_ID,
                      channel: int = CHANNEL_ID, **options: Any) -> Answer:
        """Run a slash command as `by`, with typed options; return how the bot answered."""
        return await self.answer(command_payload(words, options, by=by, guild=guild,
                                                  channel=channel))

    async def ok(self, words: str, **kwargs: Any) -> Sent:
        answer = await self.command(words, **kwargs)
        assert answer.message is not None, answer.message
        assert not answer.message.is_error, answer.message
        return answer.message

    async def autocomplete(self, words: str, focus: str, typed: str, *, by: Person = ALICE,
                           **options: Any) -> list[dict[str, Any]]:
        answer = await self.answer(command_payload(
            words, {**options, focus: typed}, by=by, guild=GUILD_ID, channel=CHANNEL_ID,
            focused=focus))
        assert answer.type == 8, answer.callback
        return answer.choices

    async def click(self, custom_id: str, label: str = "button", *, by: Person = ALICE,
                    guild: int | None = GUILD_ID, channel: int = CHANNEL_ID) -> Answer:
        """Click a button (in a direct message with `guild=None` and its channel)."""
        return await self.answer(button_payload(custom_id, label, by=by, guild=guild,
                                                 channel=channel))

    async def submit(self, custom_id: str, values: dict[str, str], *,
                     by: Person = ALICE) -> Answer:
        return await self.answer(modal_payload(custom_id, values, by=by, guild=GUILD_ID,
                                                channel=CHANNEL_ID))

    async def say(self, content: str, *, by: Person = BOB) -> None:
        """Post a channel message (MESSAGE_CREATE) as `by`."""
        await self.fake.dispatch("MESSAGE_CREATE", message_create_payload(
            content, by=by, guild=GUILD_ID, channel=CHANNEL_ID))

    def direct(self, start: int = 0) -> list[Sent]:
        """Direct messages the bot sent since call `start`."""
        return [Sent(c.body, c.files) for c in self.fake.calls[start:]
                if c.method == "POST" and c.path.startswith("/channels/")
                and int(c.path.split("/")[2]) != CHANNEL_ID]

    async def coalition(self) -> None:
        """Alice sets a coalition up here, with two organizations; Bob represents one."""
        await self.ok("coalition setup", name="Eastside Tenants", timezone="America/New_York")
        await self.ok("coalition org add", name="Tenants United")
        await self.ok("coalition org add", name="Climate Now")
        await self.ok("coalition rep add", user=BOB, org="Tenants United")

    async def posted(self, start: int = 0, channel: int = CHANNEL_ID) -> list[Sent]:
        """Messages the bot posted to a channel (notices) since call `start`, once there
        is at least one."""
        found = await self.fake.wait_for(
            lambda: self.fake.find("POST", f"/channels/{channel}/messages", start))
        return [Sent(c.body, c.files) for c in found]


class World(Driver):
    """A fake Discord, a real bot on a real SQLite file, and the real adapter, connected."""

    def __init__(self, fake: FakeDiscord, db_path: Path, *, message_content: bool,
                 respond_within: float, bot: Bot | None = None, shard_count: int = 0) -> None:
        super().__init__(fake)
        self.shard_count = shard_count
        self.db_path = db_path
        self.clock = bot.clock if bot is not None else MovableClock()
        self.message_content = message_content
        self.respond_within = respond_within
        self.shared = bot  # a bot someone else opened (and closes), or None: ours
        self.bot: Bot
        self.door: DiscordAdapter | None = None

    @classmethod
    @asynccontextmanager
    async def open(cls, tmp_path: Path, *, message_content: bool = False,
                   respond_within: float = 2.0, bot: Bot | None = None,
                   shard_count: int = 0) -> AsyncIterator[World]:
        """With `bot`, the adapter joins that bot (which other front doors may share, and
        whose opener closes it); otherwise the world opens its own on tmp_path."""
        saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        fake = await FakeDiscord().start()
        world = cls(fake, tmp_path / "coalition.db", message_content=message_content,
                    respond_within=respond_within, bot=bot, shard_count=shard_count)
        try:
            await world._start()
            yield world
        finally:
            try:
                if world.door is not None:
                    await world._stop()
            finally:
                await fake.close()
                os.environ.pop(TOKEN_ENV, None)
                discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
        assert not fake.unexpected, [f"{c.method} {c.path}" for c in fake.unexpected]

    @property
    def config(self) -> DiscordConfig:
        return DiscordConfig(enabled=True, token_env=TOKEN_ENV,
                             api_base=self.fake.api_base, gateway_url=self.fake.gateway_url,
                             message_content=self.message_content,
                             shard_count=self.shard_count)

    async def _start(self) -> None:
        os.environ[TOKEN_ENV] = TOKEN
        self.bot = self.shared or await Bot.open(self.db_path, clock=self.clock)
        self.door = DiscordAdapter(self.bot, self.config, guild_ready_timeout=0.0,
                                   respond_within=self.respond_within)
        self.bot.add_outlet(self.door)
        await self.door.start()

    async def _stop(self) -> None:
        assert self.door is not None
        door, self.door = self.door, None
        if self.shared is not None:
            await self.bot.drain()  # notices on their way out still find the client
        await door.stop()
        if self.shared is None:
            await self.bot.close()
        assert not door.client.errors, f"errors in the Discord client: {door.client.errors!r}"

    async def restart(self) -> None:
        """Stop the bot and its client; start a new client and bot on the same database."""
        await self._stop()
        await self._start()

    async def posted(self, start: int = 0, channel: int = CHANNEL_ID) -> list[Sent]:
        """Messages the bot posted to a channel (notices) since call `start`, once every
        notice raised so far has been posted."""
        await self.bot.drain()
        return [Sent(c.body, c.files) for c in
                self.fake.find("POST", f"/channels/{channel}/messages", start)]

