"""The discord.py client: the command tree, the persistent buttons, the events we take.

Intents: `guilds` only, plus `guild_messages` and the privileged `message_content` when
topic watching is on (`[discord] message_content = true`). The message cache is off
(`max_messages=None`): message text is never kept, not even in memory.

`errors` records every exception the tree, a button, a form or a message handler
raised (tests fail on any); each is also logged.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from coalition_bot.adapters.discord.buttons import CommandButton
from coalition_bot.adapters.discord.tree import add_commands
from coalition_bot.commands.spec import Command

if TYPE_CHECKING:
    from coalition_bot.adapters.discord.adapter import DiscordAdapter

__all__ = ["CoalitionClient", "ShardedCoalitionClient", "intents_for", "make_client"]

log = logging.getLogger(__name__)


def intents_for(message_content: bool) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    if message_content:
        intents.guild_messages = True
        intents.message_content = True
    return intents


class CoalitionClient(discord.Client):
    """A client whose app commands are the command specs; `door` (the adapter) answers
    them. A client with no door (for `discord-sync`) only registers the commands."""

    def __init__(self, commands: Mapping[str, Command], *, door: DiscordAdapter | None = None,
                 message_content: bool = False, **options: Any) -> None:
        # The bot never joins voice: no "PyNaCl/davey is not installed" warnings at start,
        # which read like something is broken to whoever runs it.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(intents=intents_for(message_content), max_messages=None,
                         allowed_mentions=discord.AllowedMentions.none(), **options)
        self.door = door
        self.errors: list[BaseException] = []
        self.online = False  # the gateway said READY or RESUMED, and has not dropped since
        self.tree: app_commands.CommandTree[CoalitionClient] = app_commands.CommandTree(self)
        self.tree.error(self._tree_error)
        add_commands(self.tree, commands)

    async def setup_hook(self) -> None:
        # Buttons on every message the bot ever sent, routed by custom_id: after a restart too.
        self.add_dynamic_items(CommandButton)

    def record(self, error: BaseException, what: str) -> None:
        self.errors.append(error)
        log.error("Discord %s failed", what, exc_info=error)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        error = sys.exc_info()[1]
        if error is not None:
            self.record(error, f"event {event_method}")

    async def _tree_error(self, interaction: discord.Interaction[Any],
                          error: app_commands.AppCommandError) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        self.record(error, f"command /{command}")
        if self.door is not None:
            await self.door.apologize(interaction)

    async def on_ready(self) -> None:
        self.online = True

    async def on_resumed(self) -> None:
        self.online = True

    async def on_disconnect(self) -> None:
        if self.online:
            log.warning("the Discord gateway connection dropped; reconnecting")
        self.online = False

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if self.door is not None and interaction.type is discord.InteractionType.modal_submit:
            await self.door.submit_form(interaction)

    async def on_message(self, message: discord.Message) -> None:
        if self.door is not None:
            await self.door.watch(message)


class ShardedCoalitionClient(CoalitionClient, discord.AutoShardedClient):
    """The same client over several gateway connections (shards), with discord.py's
    AutoShardedClient: Discord requires sharding once a bot is in 2,500 servers. Events
    of each server arrive on its shard's connection; REST calls are shared."""


def make_client(commands: Mapping[str, Command], *, door: DiscordAdapter | None,
                message_content: bool, shard_count: int = 0,
                shard_ids: Sequence[int] = (), **options: Any) -> CoalitionClient:
    """A plain client, or with `shard_count` a sharded one running `shard_ids` (all of
    them when empty)."""
    if shard_count:
        return ShardedCoalitionClient(commands, door=door, message_content=message_content,
                                      shard_count=shard_count,
                                      shard_ids=list(shard_ids) or None, **options)
    return CoalitionClient(commands, door=door, message_content=message_content, **options)
