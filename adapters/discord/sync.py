"""`coalition-bot discord-sync [--guild ID]`: register the slash commands with Discord.

The commands are built from the specs exactly as the running bot builds them. With
guild ids (`--guild`, repeatable, or `guild_ids` under `[discord]`) they are synced to
those servers, where they show at once; without, globally (Discord may take up to an
hour to show global changes). Needs only the token, not the gateway or the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord
from discord import app_commands

from coalition_bot.adapters.discord.adapter import point_at, restore
from coalition_bot.adapters.discord.client import CoalitionClient
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.config import ConfigError, DiscordConfig, load_config, secret

__all__ = ["run_sync", "sync_commands"]


def _names(synced: list[app_commands.AppCommand]) -> str:
    return f"{len(synced)} command(s): " + ", ".join(f"/{c.name}" for c in synced)


async def sync_commands(config: DiscordConfig, guild_ids: Sequence[str] = ()) -> list[str]:
    """Sync the commands; one line per target saying what Discord now has there."""
    guilds = [g.strip() for g in (guild_ids or config.guild_ids)]
    bad = [g for g in guilds if not g.isdigit()]
    if bad:
        raise ConfigError(f"A server (guild) id is a number, not {bad[0]!r}.",
                          hint="In Discord: Settings > Advanced > Developer Mode, then "
                               "right-click the server > Copy Server ID.")
    token = secret(config.token_env, needed_for="discord-sync")
    saved = point_at(config)
    client = CoalitionClient(COMMANDS)
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            raise ConfigError(f"Discord refused the bot token in ${config.token_env}.") from None
        lines = []
        for guild_id in guilds:
            target = discord.Object(int(guild_id))
            client.tree.copy_global_to(guild=target)
            lines.append(f"server {guild_id}: {_names(await client.tree.sync(guild=target))}")
        if not guilds:
            lines.append(f"globally: {_names(await client.tree.sync())} (Discord may take up "
                         "to an hour to show changes everywhere)")
        return lines
    finally:
        await client.close()
        restore(saved)


async def run_sync(config_path: str, guild_ids: Sequence[str]) -> None:
    """The CLI action: read the config, sync, say what was synced."""
    config = load_config(config_path)
    for line in await sync_commands(config.discord, guild_ids):
        print(f"coalition-bot: synced {line}", flush=True)
