"""The Slack front door (slack-bolt, async): slash commands, Block Kit, buttons, modals,
over HTTP (`/slack/events`) or Socket Mode.

`build(bot, config)` reads the tokens from the environment variables that `[slack]` in
config.toml names, and refuses to go on without the ones the chosen transport needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coalition_bot.config import SlackConfig, secret

if TYPE_CHECKING:
    from coalition_bot.adapters.slack.app import SlackAdapter
    from coalition_bot.bot import Bot

__all__ = ["build"]


def build(bot: Bot, config: SlackConfig) -> SlackAdapter:
    """The Slack adapter for `bot`, with its secrets read from the environment."""
    from coalition_bot.adapters.slack.app import SlackAdapter

    bot_token = secret(config.bot_token_env, needed_for="the Slack front door")
    signing_secret = app_token = None
    if config.transport == "http":
        signing_secret = secret(config.signing_secret_env,
                                needed_for="Slack over HTTP (to verify that requests come "
                                           "from Slack)")
    else:
        app_token = secret(config.app_token_env, needed_for="Slack Socket Mode")
    return SlackAdapter(bot, config, bot_token=bot_token, signing_secret=signing_secret,
                        app_token=app_token)
