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

    if config.oauth:
        return _oauth(bot, config)
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


def _oauth(bot: Bot, config: SlackConfig) -> SlackAdapter:
    """Many workspaces: the install flow's secrets, and the key tokens are kept under."""
    from coalition_bot.adapters.slack.app import SlackAdapter
    from coalition_bot.adapters.slack.oauth import OAuthSecrets
    from coalition_bot.tokens import TokenCipher

    mode = 'Slack with install = "oauth"'
    oauth = OAuthSecrets(
        client_id=secret(config.client_id_env, needed_for=f"{mode} (the app's client id)"),
        client_secret=secret(config.client_secret_env,
                             needed_for=f"{mode} (the app's client secret)"),
        state_secret=secret(config.state_secret_env,
                            needed_for=f"{mode} (to sign the install flow's state)"))
    bot.installations.unlock(TokenCipher(
        secret(config.token_key_env, needed_for=f"{mode} (to encrypt workspace tokens)"),
        env=config.token_key_env))
    signing_secret = secret(config.signing_secret_env,
                            needed_for="Slack over HTTP (to verify that requests come "
                                       "from Slack)")
    return SlackAdapter(bot, config, bot_token=None, signing_secret=signing_secret,
                        oauth=oauth)
