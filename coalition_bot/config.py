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

from coalition_bot.errors import CoalitionError, ConfigError
from coalition_bot.rules.times import parse_duration
from coalition_bot.store.dialect import is_postgres_url, safe_target, url_has_password

__all__ = [
    "BotConfig",
    "Config",
    "ConfigCheck",
    "ConfigError",
    "DiscordConfig",
    "SchedulerConfig",
    "SlackConfig",
    "WebConfig",
    "check_config",
    "load_config",
    "parse_config",
    "read_config",
    "secret",
]


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
    # sharding (Discord requires it from 2,500 servers): 0 = one connection; N = N shards
    # (discord.py's AutoShardedClient); shard_ids: the ones this process runs, when
    # several processes split them (empty: all)
    shard_count: int = 0
    shard_ids: tuple[str, ...] = ()


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
    # "token": one workspace, its bot token in bot_token_env (HTTP or Socket Mode);
    # "oauth": any number of workspaces install the app through /slack/install (HTTP)
    install: str = "token"
    client_id_env: str = "SLACK_CLIENT_ID"
    client_secret_env: str = "SLACK_CLIENT_SECRET"
    state_secret_env: str = "SLACK_STATE_SECRET"  # signs the install flow's state
    token_key_env: str = "COALITION_BOT_TOKEN_KEY"  # Fernet key(s): tokens at rest
    redirect_url: str = ""  # https://…/slack/oauth_redirect; empty: the app's own setting

    @property
    def oauth(self) -> bool:
        return self.install == "oauth"


@dataclass(frozen=True, slots=True)
class WebConfig:
    """The coalition pages and calendar feeds (coalition_bot.web). Served on Slack's HTTP
    server when that runs, else on host:port."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""  # the public address people reach it at, https://bot.example.org
    rate_limit: int = 60  # requests per minute per address
    behind_proxy: bool = False  # the address is the last of X-Forwarded-For


@dataclass(frozen=True, slots=True)
class Config:
    bot: BotConfig = field(default_factory=BotConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    web: WebConfig = field(default_factory=WebConfig)


def _section(cls: type, data: Any, name: str, problems: list[str]) -> Any:
    """The section's dataclass; every wrong setting is added to `problems` (and left at
    its default), so one reading names them all."""
    known = {f.name: f for f in fields(cls)}
    if not isinstance(data, Mapping):
        problems.append(f"[{name}] must be a section (a table), not {data!r}.")
        return cls()
    unknown = sorted(set(data) - set(known))
    if unknown:
        problems.append(f"[{name}] has unknown setting(s): {', '.join(unknown)} "
                        f"(known: {', '.join(known)}).")
    values = {}
    for key, value in data.items():
        if key not in known:
            continue
        default = known[key].default
        wrong = ""
        if isinstance(default, tuple):
            if isinstance(value, list | tuple):
                value = tuple(str(v) for v in value)
            else:
                wrong = "a list"
        elif isinstance(default, bool):
            wrong = "" if isinstance(value, bool) else "true or false"
        elif isinstance(default, int) and not isinstance(default, float):
            wrong = "" if isinstance(value, int) and not isinstance(value, bool) \
                else "a whole number"
        elif isinstance(default, str):
            wrong = "" if isinstance(value, str) else "text"
        if wrong:
            problems.append(f"[{name}] {key} must be {wrong}, not {value!r}.")
            continue
        values[key] = value
    return cls(**values)


def _check(config: Config, problems: list[str]) -> None:
    """The rules that span a value's meaning, not just its type."""
    if config.bot.log_format not in ("text", "json"):
        problems.append(f"[bot] log_format must be text or json, "
                        f"not {config.bot.log_format!r}.")
    if config.bot.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        problems.append(f"[bot] log_level must be DEBUG, INFO, WARNING or ERROR, "
                        f"not {config.bot.log_level!r}.")
    if not 0 <= config.bot.admin_port <= 65535:
        problems.append(f"[bot] admin_port must be 0 (none) or a port up to 65535, "
                        f"not {config.bot.admin_port}.")
    if url_has_password(config.bot.database):
        problems.append("[bot] database must not hold a password: the config file is no "
                        "place for one. Give it to PostgreSQL's client library instead, "
                        "in PGPASSWORD or a ~/.pgpass file, and remove it from the URL.")
    if config.slack.transport not in ("http", "socket"):
        problems.append(f"[slack] transport must be http or socket, "
                        f"not {config.slack.transport!r}.")
    _check_shards(config.discord, problems)
    if config.slack.install not in ("token", "oauth"):
        problems.append(f"[slack] install must be token or oauth, "
                        f"not {config.slack.install!r}.")
    elif config.slack.oauth and config.slack.transport != "http":
        problems.append("[slack] install = \"oauth\" needs transport = \"http\": the "
                        "install page and Slack's redirect are served over HTTP.")
    if config.slack.redirect_url and not config.slack.redirect_url.startswith("https://"):
        problems.append(f"[slack] redirect_url must be an https:// address, "
                        f"not {config.slack.redirect_url!r}.")
    if not 0 <= config.slack.port <= 65535:
        problems.append(f"[slack] port must be a port up to 65535, not {config.slack.port}.")
    if not 0 <= config.web.port <= 65535:
        problems.append(f"[web] port must be a port up to 65535, not {config.web.port}.")
    if config.web.base_url and not config.web.base_url.startswith(("https://", "http://")):
        problems.append(f"[web] base_url must start with https:// (or http://), "
                        f"not {config.web.base_url!r}.")
    if not 1 <= config.web.rate_limit <= 100_000:
        problems.append(f"[web] rate_limit must be a number of requests per minute from 1, "
                        f"not {config.web.rate_limit}.")
    for key in ("grace", "poll_closing_reminder"):
        try:
            parse_duration(getattr(config.scheduler, key))
        except CoalitionError as error:
            problems.append(f"[scheduler] {key}: {error.message}")
    grace = config.scheduler.stop_grace
    if isinstance(grace, bool) or not isinstance(grace, int | float) or not 0 <= grace <= 300:
        problems.append(f"[scheduler] stop_grace must be a number of seconds from 0 to 300, "
                        f"not {grace!r}.")


def _check_shards(discord: DiscordConfig, problems: list[str]) -> None:
    if discord.shard_count < 0:
        problems.append(f"[discord] shard_count must be 0 (no sharding) or a number of "
                        f"shards, not {discord.shard_count}.")
        return
    if discord.shard_ids and not discord.shard_count:
        problems.append("[discord] shard_ids needs shard_count (how many shards there are "
                        "in all).")
        return
    wrong = [i for i in discord.shard_ids
             if not i.isdigit() or int(i) >= discord.shard_count]
    if wrong:
        problems.append(f"[discord] shard_ids must be shard numbers from 0 to "
                        f"{discord.shard_count - 1}, not {', '.join(wrong)}.")


SECTIONS = {"bot": BotConfig, "scheduler": SchedulerConfig, "discord": DiscordConfig,
            "slack": SlackConfig, "web": WebConfig}


def read_config(data: Mapping[str, Any]) -> tuple[Config, list[str]]:
    """A `Config` from parsed TOML and every problem found in it (none: it is good)."""
    problems: list[str] = []
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        problems.append(f"Unknown section(s) in the config: {', '.join(unknown)} "
                        f"(known: {', '.join(SECTIONS)}).")
    config = Config(**{name: _section(cls, data.get(name, {}), name, problems)
                       for name, cls in SECTIONS.items()})
    _check(config, problems)
    return config, problems


def parse_config(data: Mapping[str, Any]) -> Config:
    """A `Config` from parsed TOML, refusing unknown sections and settings and wrong
    values; the error names every problem, not only the first."""
    config, problems = read_config(data)
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(f"The config has {len(problems)} problems:\n"
                          + "\n".join(f"  - {p}" for p in problems))
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
    return replace(config, bot=replace(config.bot, database=_beside(path,
                                                                     config.bot.database)))


def _beside(config_path: str | Path, database: str) -> str:
    """A relative `database` file is beside the config file, wherever the bot is started
    from; a PostgreSQL URL is left as it is."""
    if is_postgres_url(database):
        return database
    return str(Path(config_path).parent / Path(database).expanduser())


@dataclass(frozen=True, slots=True)
class ConfigCheck:
    """What `coalition-bot check-config` found: every problem, and what would start."""

    problems: list[str]
    doors: list[str]  # the front doors `run` would start, with how
    database: str
    notes: list[str]


def _needed_secrets(config: Config) -> list[tuple[str, str]]:
    """(environment variable, what needs it) for every enabled front door."""
    needed: list[tuple[str, str]] = []
    if config.discord.enabled:
        needed.append((config.discord.token_env, "[discord] (the bot token)"))
    if config.slack.enabled and config.slack.oauth:
        needed += [(config.slack.client_id_env, "[slack] install = \"oauth\" (the client id)"),
                   (config.slack.client_secret_env, "[slack] install = \"oauth\" (the client "
                                                    "secret)"),
                   (config.slack.state_secret_env, "[slack] install = \"oauth\" (the state "
                                                   "secret, any long random text)"),
                   (config.slack.token_key_env, "[slack] install = \"oauth\" (the key that "
                                                "encrypts tokens: coalition-bot new-token-key)"),
                   (config.slack.signing_secret_env, "[slack] over HTTP (the signing secret)")]
    elif config.slack.enabled:
        needed.append((config.slack.bot_token_env, "[slack] (the bot token, xoxb-)"))
        if config.slack.transport == "socket":
            needed.append((config.slack.app_token_env, "[slack] Socket Mode (xapp-)"))
        else:
            needed.append((config.slack.signing_secret_env, "[slack] over HTTP (the "
                                                             "signing secret)"))
    return needed


def check_config(path: str | Path, environ: Mapping[str, str] = os.environ) -> ConfigCheck:
    """Check the file and the environment, naming every problem at once."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return ConfigCheck([f"There is no config file at {path}."], [], "", [])
    except tomllib.TOMLDecodeError as exc:
        return ConfigCheck([f"{path} is not valid TOML: {exc}."], [], "", [])
    config, problems = read_config(data)
    for name, needs in _needed_secrets(config):
        if not environ.get(name, "").strip():
            problems.append(f"The environment variable {name} is not set; {needs} needs it.")
    doors = []
    notes: list[str] = []
    if config.slack.enabled:
        doors.append("slack (Socket Mode)" if config.slack.transport == "socket" else
                     f"slack (HTTP on {config.slack.host}:{config.slack.port}"
                     + (", installs through /slack/install)" if config.slack.oauth else ")"))
    if config.discord.enabled:
        doors.append("discord")
    if config.web.enabled:
        on_slack = config.slack.enabled and config.slack.transport == "http"
        doors.append("web (on Slack's HTTP server)" if on_slack else
                     f"web (HTTP on {config.web.host}:{config.web.port})")
        if not config.web.base_url:
            notes.append("[web] base_url is not set: replies give page and feed paths "
                         "only, not addresses people can open.")
    if not doors:
        problems.append("Neither [slack] nor [discord] is enabled (nor [web]), so `run` "
                        "would not start (set enabled = true in one of them).")
    database = _beside(path, config.bot.database)
    if is_postgres_url(database):
        database = safe_target(database)
    elif not Path(database).parent.is_dir():
        notes.append(f"The folder {Path(database).parent} does not exist yet (systemd's "
                     f"StateDirectory creates it at start; otherwise create it).")
    return ConfigCheck(problems, doors, database, notes)


def secret(name: str, *, needed_for: str) -> str:
    """The value of the environment variable `name`; refuses to go on without it."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"The environment variable {name} is not set; {needed_for} needs it.",
                          hint="Secrets come only from the environment, never from files.")
    return value
