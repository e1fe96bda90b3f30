"""The Discord front door: interactions in, `Invocation`s to the bot, replies out.

Translation only, as the console adapter: who (member id, display name), where (guild
id = workspace, channel id), what (command, path, raw option values, or a button's
command line); and back, a `Reply` rendered by `render.py`.

**Three seconds.** Discord wants every interaction answered within 3 s. The bot is
given `respond_within` (2 s) to answer; if it has not, the interaction is deferred
("thinking…", ephemeral when the answer is expected to be private) and the answer
replaces that message when it comes. If the answer turns out to have the other
visibility (an error after a public deferral), the thinking message is deleted and
the answer sent as a follow-up, so an error is never shown to the channel.
Autocomplete answers within the same budget or suggests nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from coalition_bot.adapters.discord.client import make_client
from coalition_bot.adapters.discord.modals import FormModal, read_submission, spec_of
from coalition_bot.adapters.discord.refusals import classify
from coalition_bot.adapters.discord.render import Outgoing, render_notice, render_reply
from coalition_bot.bot import Bot
from coalition_bot.commands.grammar import parse
from coalition_bot.commands.spec import Command, Subcommand
from coalition_bot.config import ConfigError, DiscordConfig, secret
from coalition_bot.errors import CoalitionError
from coalition_bot.replies import Invocation, Message, Notice, Reply

__all__ = ["PLATFORM", "DiscordAdapter"]

log = logging.getLogger(__name__)

PLATFORM = "discord"
GUILD_ONLY = Reply(private=True, error=True,
                   text="coalition-bot works in a server, where a coalition is set up; "
                        "not in direct messages.")


class DiscordAdapter:
    """A `FrontDoor` for Discord (see `coalition_bot.bot.FrontDoor`)."""

    platform = PLATFORM

    def __init__(self, bot: Bot, config: DiscordConfig, *, respond_within: float = 2.0,
                 connect_timeout: float = 60.0, guild_ready_timeout: float = 2.0) -> None:
        self.bot = bot
        self.config = config
        self.respond_within = respond_within
        self.connect_timeout = connect_timeout
        self.client = make_client(bot.commands, door=self,
                                  message_content=config.message_content,
                                  guild_ready_timeout=guild_ready_timeout,
                                  shard_count=config.shard_count,
                                  shard_ids=[int(i) for i in config.shard_ids])
        self._gateway: asyncio.Task[None] | None = None
        self._saved: tuple[str, yarl.URL] | None = None

    @property
    def commands(self) -> Mapping[str, Command]:
        return self.bot.commands

    # ---- FrontDoor -------------------------------------------------------------------

    async def start(self) -> str:
        """Log in with the token from the environment, connect to the gateway, wait
        until ready. `api_base` and `gateway_url` of the config say where Discord is."""
        token = secret(self.config.token_env, needed_for="the Discord front door")
        self._saved = point_at(self.config)
        try:
            await self.client.login(token)
        except discord.LoginFailure:
            raise ConfigError(f"Discord refused the bot token in ${self.config.token_env}.",
                              hint="Copy it again from the Bot page of the Developer Portal."
                              ) from None
        self._gateway = asyncio.create_task(self.client.connect(reconnect=True),
                                            name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._gateway}, timeout=self.connect_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self._gateway.done():
                error = self._gateway.exception()
                if isinstance(error, discord.PrivilegedIntentsRequired):
                    raise ConfigError(
                        "Discord refused the message content intent.",
                        hint="Turn on Message Content Intent on the Bot page of the Developer "
                             "Portal, or set message_content = false under [discord].")
                raise ConfigError(f"Could not connect to the Discord gateway: {error!r}.")
            raise ConfigError(f"No answer from the Discord gateway within "
                              f"{self.connect_timeout:.0f} seconds.")
        watching = "on" if self.config.message_content else "off"
        shards = ""
        if self.config.shard_count:
            ids = self.config.shard_ids or [str(i) for i in range(self.config.shard_count)]
            shards = f"; shards {', '.join(ids)} of {self.config.shard_count}"
        return (f"logged in as {self.client.user} (application {self.client.application_id}); "
                f"topic watching {watching}{shards}")

    @property
    def connected(self) -> bool:
        """The gateway connection is up (for /healthz and /metrics)."""
        return self.client.online and not self.client.is_closed()

    async def stop(self) -> None:
        """Post the notices still in flight, then close the connection."""
        try:
            await self.bot.drain()
        finally:
            if not self.client.is_closed():
                await self.client.close()
            if self._gateway is not None:
                try:
                    await asyncio.wait_for(self._gateway, 10)
                except Exception:
                    log.exception("the Discord gateway did not close cleanly")
                self._gateway = None
            if self._saved is not None:
                restore(self._saved)
                self._saved = None

    async def post_notice(self, notice: Notice, channel_id: str, *,
                          workspace_id: str = "") -> None:
        """A notice to a home channel; a refusal says whether trying again can help."""
        channel = self.client.get_partial_messageable(int(channel_id))
        try:
            await channel.send(**render_notice(notice).kwargs())
        except discord.DiscordException as error:
            raise classify(error) from error

    async def post_private(self, user_id: str, notice: Notice, *,
                           workspace_id: str = "") -> None:
        """A direct message; its buttons name the coalition's server, so a click there
        runs in that coalition."""
        guild = workspace_id or await self.bot.home_workspace(notice.coalition_id, PLATFORM)
        try:
            await self._direct(int(user_id), render_notice(notice, ping=False, guild=guild))
        except discord.DiscordException as error:
            raise classify(error) from error

    # ---- interactions (called by the tree, the buttons, the client) ------------------

    async def run_command(self, interaction: discord.Interaction[Any], command: Command,
                          sub: Subcommand, args: Mapping[str, str],
                          user_names: Mapping[str, str]) -> None:
        inv = self._invocation(interaction, command=command.name, path=sub.path,
                               args=dict(args), user_names=dict(user_names))
        await self._answer(interaction, inv, private=sub.private)

    async def run_line(self, interaction: discord.Interaction[Any], line: str,
                       guild: str | None = None) -> None:
        """A command given as a text line (a button, `help`): the grammar reads it."""
        await self._answer(interaction, self._invocation(interaction, guild, line=line),
                           private=self._private(line))

    async def click(self, interaction: discord.Interaction[Any], line: str,
                    guild: str | None = None) -> None:
        """A button: the command line in its custom_id, run as the person who clicked, in
        the server it was clicked in (or, in a direct message, the one it names)."""
        try:
            await self.run_line(interaction, line, guild)
        except Exception as error:
            self.client.record(error, f"button {line!r}")
            await self.apologize(interaction)

    async def open_form(self, interaction: discord.Interaction[Any], command: Command,
                        sub: Subcommand) -> None:
        await interaction.response.send_modal(FormModal(command, sub))

    async def submit_form(self, interaction: discord.Interaction[Any]) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        found = spec_of(str(data.get("custom_id", "")), self.commands)
        if found is None:
            return
        command, sub = found
        try:
            args = read_submission(sub, data)
        except CoalitionError as error:
            await self._send(interaction, render_reply(self.bot.error_reply(error)))
            return
        try:
            await self.run_command(interaction, command, sub, args, {})
        except Exception as error:
            self.client.record(error, f"form /{command.name} {sub.words}")
            await self.apologize(interaction)

    async def complete(self, interaction: discord.Interaction[Any], kind: str,
                       current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        try:
            found = await asyncio.wait_for(
                self.bot.suggest(platform=PLATFORM, workspace_id=str(interaction.guild_id),
                                 kind=kind, typed=current),
                self.respond_within)
        except TimeoutError:
            log.warning("autocomplete for %s took longer than %.1f s", kind, self.respond_within)
            return []
        except Exception as error:
            self.client.record(error, f"autocomplete of {kind}")
            return []
        return [app_commands.Choice(name=s.label, value=s.value) for s in found]

    async def apologize(self, interaction: discord.Interaction[Any]) -> None:
        """A short private apology, unless the interaction was already answered (a
        deferred one gets it in place of its "thinking" message)."""
        sorry = render_reply(self.bot.apology())
        try:
            if not interaction.response.is_done():
                await self._send(interaction, sorry)
            elif interaction.response.type is \
                    discord.InteractionResponseType.deferred_channel_message:
                await interaction.edit_original_response(**sorry.edit_kwargs())
        except Exception:
            log.exception("could not even apologize for an interaction")

    async def watch(self, message: discord.Message) -> None:
        """A channel message: the bot checks it against the off-limits topics and may
        answer its author privately. Its text goes nowhere else."""
        if not self.config.message_content or message.author.bot:
            return
        guild_id = message.guild.id if message.guild else getattr(message.channel, "guild_id",
                                                                  None)
        if guild_id is None:
            return
        try:
            nudge = await self.bot.on_message(Message(
                platform=PLATFORM, workspace_id=str(guild_id),
                channel_id=str(message.channel.id), user_id=str(message.author.id),
                user_name=message.author.display_name, text=message.content))
            if nudge is not None:
                await self._direct(message.author.id, render_reply(nudge))
        except discord.Forbidden:  # they accept no direct messages from this server
            log.info("could not send an off-limits nudge to user %s: direct messages closed",
                     message.author.id)
        except Exception as error:
            self.client.record(error, "watching a message")

    # ---- helpers ---------------------------------------------------------------------

    def _invocation(self, interaction: discord.Interaction[Any], guild: str | None = None,
                    **what: Any) -> Invocation | None:
        workspace = str(interaction.guild_id) if interaction.guild_id else guild
        if workspace is None:
            return None
        user = interaction.user
        return Invocation(platform=PLATFORM, workspace_id=workspace,
                          channel_id=str(interaction.channel_id or ""), user_id=str(user.id),
                          user_name=user.display_name, **what)

    def _private(self, line: str) -> bool:
        """Whether a line's answer is expected to be private (for deferring); errors are."""
        try:
            parsed = parse(line, self.commands)
        except CoalitionError:
            return True
        return parsed.help or parsed.sub is None or parsed.sub.private

    async def _answer(self, interaction: discord.Interaction[Any], inv: Invocation | None, *,
                      private: bool) -> None:
        """Run the invocation and answer within Discord's 3 seconds (see module doc)."""
        if inv is None:
            await self._send(interaction, render_reply(GUILD_ONLY))
            return
        task = asyncio.ensure_future(self.bot.handle(inv))
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), self.respond_within)
        except TimeoutError:
            await interaction.response.defer(ephemeral=private, thinking=True)
            out = render_reply(await task)
            if out.ephemeral == private:
                await interaction.edit_original_response(**out.edit_kwargs())
            else:
                await interaction.delete_original_response()
                await interaction.followup.send(**out.kwargs(ephemeral=out.ephemeral))
            return
        await self._send(interaction, render_reply(reply))

    async def _send(self, interaction: discord.Interaction[Any], out: Outgoing) -> None:
        await interaction.response.send_message(**out.kwargs(ephemeral=out.ephemeral))

    async def _direct(self, user_id: int, out: Outgoing) -> None:
        channel = await self.client.create_dm(discord.Object(user_id))
        await channel.send(**out.kwargs())


def point_at(config: DiscordConfig) -> tuple[str, yarl.URL]:
    """Send discord.py's REST calls (and interaction callbacks and webhooks) to
    `config.api_base` and, if set, its gateway connection to `config.gateway_url`.
    Both are process-wide class attributes of discord.py; returns what they were."""
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    discord.http.Route.BASE = config.api_base.rstrip("/")
    if config.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)
    return saved


def restore(saved: tuple[str, yarl.URL]) -> None:
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
