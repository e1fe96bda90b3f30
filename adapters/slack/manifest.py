"""A ready Slack app manifest (`coalition-bot slack-manifest`), built from the command specs.

Paste it at https://api.slack.com/apps → Create New App → From a manifest. With `--url`
the app talks to us over HTTP at `URL/slack/events`; without, over Socket Mode. With
`--distribution` (and `--url`) it is the app many workspaces install through OAuth:
its redirect URL is `URL/slack/oauth_redirect`, and it hears `app_uninstalled` and
`tokens_revoked`. A distributed app may also turn on token rotation (`--token-rotation`:
bot tokens expire after 12 hours and the bot renews them, see `rotation.py`; Slack does
not let an app turn it off again) and org-wide installs into an Enterprise Grid org
(`--org-deploy`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from coalition_bot.commands.spec import Command
from coalition_bot.config import ConfigError

__all__ = ["BOT_EVENTS", "BOT_SCOPES", "check_prefix", "manifest", "render_manifest",
           "to_yaml"]

EVENTS_PATH = "/slack/events"
DESCRIPTION_MAX = 100
USAGE_HINT_MAX = 100

BOT_SCOPES = (
    "commands",  # the slash commands
    "chat:write",  # replies, notices, nudges
    "chat:write.public",  # notices to a public home channel the bot was not invited to
    "users:read",  # display names (users.info)
    "im:write",  # private notices and files, in the person's DM with the bot
    "files:write",  # exports, minutes and calendars as files
    "channels:history",  # messages in public channels, for the off-limits topic check
    "groups:history",  # same, in private channels the bot was invited to
)
BOT_EVENTS = ("message.channels", "message.groups")
# what an app installed into many workspaces also needs to hear: its tokens go away
DISTRIBUTION_EVENTS = ("app_uninstalled", "tokens_revoked")
REDIRECT_PATH = "/slack/oauth_redirect"


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _usage_hint(command: Command) -> str:
    words = list(dict.fromkeys(s.path[0] for s in command.subcommands))
    hint = ""
    for i in range(len(words), 0, -1):
        hint = " | ".join([*words[:i], "help"]) + (" …" if i < len(words) else "")
        if len(hint) <= USAGE_HINT_MAX:
            break
    return hint


def check_prefix(prefix: str, commands: Mapping[str, Command]) -> str:
    """`prefix` if it makes valid Slack command names (lowercase, at most 32 characters)."""
    longest = max((len(name) for name in commands), default=0)
    if not re.fullmatch(r"[a-z0-9_-]*", prefix) or len(prefix) + longest > 31:
        raise ConfigError(f"The Slack command prefix {prefix!r} does not make valid command "
                          "names.", hint="Use lowercase letters, digits, - or _, like cb-.")
    return prefix


def request_url(url: str) -> str:
    """The events endpoint for a public base URL (given with or without the path)."""
    if not url.startswith("https://"):
        raise ConfigError(f"Slack sends requests only to https:// addresses, not {url!r}.",
                          hint="Put the bot behind a TLS proxy, or use Socket Mode (no --url).")
    url = url.rstrip("/")
    return url if url.endswith(EVENTS_PATH) else url + EVENTS_PATH


def manifest(commands: Mapping[str, Command], *, prefix: str = "", url: str | None = None,
             name: str = "coalition-bot", distribution: bool = False,
             token_rotation: bool = False, org_deploy: bool = False) -> dict[str, Any]:
    """The manifest as a dict: commands (with `prefix`), scopes, events, interactivity,
    and Socket Mode on unless a public `url` is given; `distribution` adds the OAuth
    redirect URL and the uninstall events (it needs `url`), and with it
    `token_rotation` expiring tokens and `org_deploy` org-wide Grid installs."""
    check_prefix(prefix, commands)
    for wanted, flag in ((token_rotation, "--token-rotation"), (org_deploy, "--org-deploy")):
        if wanted and not distribution:
            raise ConfigError(f"{flag} is for an app installed through OAuth: only then "
                              f"does the bot keep (and renew) a token per workspace.",
                              hint="Add --distribution --url https://… and set [slack] "
                                   "install = \"oauth\".")
    if distribution and not url:
        raise ConfigError("A distributed app (installed into many workspaces) needs the "
                          "bot's public address: Slack redirects installs to it.",
                          hint="Add --url https://… (the address [slack] serves).")
    endpoint = request_url(url) if url else None
    at = {"url": endpoint} if endpoint else {}
    slash = [{"command": f"/{prefix}{c.name}", **at,
              "description": _shorten(c.help, DESCRIPTION_MAX),
              "usage_hint": _usage_hint(c), "should_escape": True}
             for c in commands.values()]
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS) + (
        list(DISTRIBUTION_EVENTS) if distribution else [])}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if endpoint:
        events = {"request_url": endpoint, **events}
        interactivity["request_url"] = endpoint
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Strategy meetings, roles, decision polls and agreed off-limits "
                           "topics for a coalition of partner organizations.",
            "background_color": "#2d4a3e",
        },
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": slash,
        },
        "oauth_config": {
            **({"redirect_urls": [endpoint.removesuffix(EVENTS_PATH) + REDIRECT_PATH]}
               if distribution and endpoint else {}),
            "scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": org_deploy,
            "socket_mode_enabled": endpoint is None,
            "token_rotation_enabled": token_rotation,
        },
    }


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a double-quoted YAML string


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for plain data (dicts, lists, strings, numbers, booleans); every
    string double-quoted, so no value is ever read as something else."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, Mapping | list) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 1))
            else:
                empty = "[]" if item == [] else "{}" if item == {} else ""
                lines.append(f"{pad}{key}: {empty or _scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping) and item:
                inner = to_yaml(item, indent + 1).split("\n")
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(pad + _scalar(value))
    return "\n".join(lines)


def render_manifest(commands: Mapping[str, Command], *, prefix: str = "",
                    url: str | None = None, fmt: str = "yaml",
                    distribution: bool = False, token_rotation: bool = False,
                    org_deploy: bool = False) -> str:
    """The manifest as text, YAML (the default) or JSON."""
    data = manifest(commands, prefix=prefix, url=url, distribution=distribution,
                    token_rotation=token_rotation, org_deploy=org_deploy)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return to_yaml(data) + "\n"
