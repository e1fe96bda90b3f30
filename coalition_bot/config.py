"""`config.toml`: which front doors run and how. Secrets never live here.

The file names the environment variables that hold tokens and secrets; `load_config`
reads the file, `Secrets.from_env` reads those variables at the edge, and refuses to
start without the ones an enabled front door needs.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from coalition_bot.errors import CoalitionError
from coalition_bot.rules.times import parse_duration

__all__ = [
    "BotConfig",
    "Config",
    "ConfigError",
    "DiscordConfig",
    "SchedulerConfig",
    "SlackConfig",
    "load_config",
    "parse_config",
    "secret",
]


class ConfigError(CoalitionError):
    """The configuration file or the environment is missing something, or has it wrong."""


@dataclass(frozen=True, slots=True)
class BotConfig:
    database: str = "coalition.db"
    log_level: str = "INFO"
    log_format: str = "text"  # "text", or "json": one object per line, for a log collector
    admin_port: int = 0  # /healthz and /metrics on 127.0.0.1:PORT; 0: none (see README)


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    grace: str = "1h"  # how late a missed delivery may still go out
    poll_closing_reminder: str = "24h"  # before a poll closes
    stop_grace: float = 10.0  # seconds a stopping bot lets sends in progress finish

    @property
    def grace_span(self) -> timedelta:
        return parse_duration(self.grace)

    @property
    def poll_reminder_span(self) -> timedelta:
        return parse_duration(self.poll_closing_reminder)


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    enabled: bool = False
    token_env: str = "DISCORD_TOKEN"
    api_base: str = "https://discord.com/api/v10"
    gateway_url: str = ""  # empty: the gateway Discord tells us
    message_content: bool = False  # the privileged intent that topic watching needs
    guild_ids: tuple[str, ...] = ()  # where `discord-sync` syncs commands; empty = global


@dataclass(frozen=True, slots=True)
class SlackConfig:
    enabled: bool = False
    transport: str = "http"  # "http" (Events API over HTTP) or "socket" (Socket Mode)
    bot_token_env: str = "SLACK_BOT_TOKEN"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    app_token_env: str = "SLACK_APP_TOKEN"
    api_base: str = "https://slack.com/api/"
    command_prefix: str = ""  # e.g. "cb-" makes the commands /cb-poll, /cb-meeting, ...
    host: str = "127.0.0.1"
    port: int = 3000


@dataclass(frozen=True, slots=True)
class Config:
    bot: BotConfig = field(default_factory=BotConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)


def _section(cls: type, data: Mapping[str, Any], name: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"[{name}] has unknown setting(s): {', '.join(unknown)}.",
                          hint=f"Known: {', '.join(known)}.")
    values = {}
    for key, value in data.items():
        default = known[key].default
        if isinstance(default, tuple):
            value = tuple(str(v) for v in value)
        elif isinstance(default, bool) and not isinstance(value, bool):
            raise ConfigError(f"[{name}] {key} must be true or false, not {value!r}.")
        elif isinstance(default, int) and not isinstance(default, bool) \
                and not isinstance(value, int):
            raise ConfigError(f"[{name}] {key} must be a whole number, not {value!r}.")
        elif isinstance(default, str) and not isinstance(value, str):
            raise ConfigError(f"[{name}] {key} must be text, not {value!r}.")
        values[key] = value
    return cls(**values)


def parse_config(data: Mapping[str, Any]) -> Config:
    """A `Config` from parsed TOML, refusing unknown sections and settings."""
    sections = {"bot": BotConfig, "scheduler": SchedulerConfig, "discord": DiscordConfig,
                "slack": SlackConfig}
    unknown = sorted(set(data) - set(sections))
    if unknown:
        raise ConfigError(f"Unknown section(s) in the config: {', '.join(unknown)}.",
                          hint=f"Known: {', '.join(sections)}.")
    config = Config(**{name: _section(cls, data.get(name, {}), name)
                       for name, cls in sections.items()})
    if config.bot.log_format not in ("text", "json"):
        raise ConfigError(f"[bot] log_format must be text or json, "
                          f"not {config.bot.log_format!r}.")
    if config.slack.transport not in ("http", "socket"):
        raise ConfigError(f"[slack] transport must be http or socket, "
                          f"not {config.slack.transport!r}.")
    config.scheduler.grace_span  # noqa: B018 - checks the durations read
    config.scheduler.poll_reminder_span  # noqa: B018
    grace = config.scheduler.stop_grace
    if isinstance(grace, bool) or not isinstance(grace, int | float) or not 0 <= grace <= 300:
        raise ConfigError(f"[scheduler] stop_grace must be a number of seconds from 0 to 300, "
                          f"not {grace!r}.")
    return config


def load_config(path: str | Path) -> Config:
    """Read and check a config file; a relative `[bot] database` is made relative to the
    file's folder."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"There is no config file at {path}.",
                          hint="Copy config.example.toml to config.toml and edit it.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None
    config = parse_config(data)
    # a relative `database` is beside the config file, wherever the bot is started from
    database = Path(path).parent / Path(config.bot.database).expanduser()
    return replace(config, bot=replace(config.bot, database=str(database)))


def secret(name: str, *, needed_for: str) -> str:
    """The value of the environment variable `name`; refuses to go on without it."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"The environment variable {name} is not set; {needed_for} needs it.",
                          hint="Secrets come only from the environment, never from files.")
    return value
