"""What may reach the log: never a channel message's text, never a platform token.

At DEBUG, discord.py logs every gateway event whole (message text, interaction tokens)
and every REST call with its URL and body (interaction callbacks and webhooks carry the
interaction token in the path); slack_sdk and slack_bolt log request and response
bodies; and bolt logs the whole body of a badly signed request at INFO. `PayloadFilter`
sits on the log handlers (installed by the CLI), so it sees every record of the process
whatever logger it came from: it drops those libraries' DEBUG records, and redacts the
few records at INFO and above that can carry a body or a token.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

__all__ = ["TEXT_FORMAT", "JsonFormatter", "PayloadFilter", "SecretScrub", "configure",
           "install", "scrub"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# the structured fields a record may carry (`extra=`), copied into a JSON line
FIELDS = ("event", "command", "platform", "coalition", "outcome", "duration_ms", "delivery",
          "kind", "attempt", "reason", "late", "version")

# Loggers whose DEBUG records carry raw payloads (prefixes: their children too).
PAYLOAD_LOGGERS = ("discord.gateway", "discord.http", "discord.webhook", "discord.state",
                   "discord.client", "slack_bolt", "slack_sdk",
                   "coalition_bot.adapters.slack.app.bolt")
_TOKEN_IN_PATH = re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/\s?'\"]+")
_BAD_SIGNATURE = "Invalid request signature detected"
# Slack tokens (bot, user, refresh, app-level) and the fields of an OAuth exchange that
# hold secrets: slack_sdk logs the whole oauth.v2.access response (access_token
# included) at DEBUG, and bolt logs a failed exchange with its code at WARNING.
_SLACK_TOKEN = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")
_SECRET_FIELD = re.compile(r"(\b(?:access_token|refresh_token|client_secret)['\"]?"
                           r"\s*[:=]\s*\[?['\"]?)[^'\",&\s}\]]+")
# an OAuth code as a quoted field of a logged dict ('code': 'X' or 'code': ['X']); not
# "error code: 50013" from discord.py, which the log needs
_CODE_FIELD = re.compile(r"(['\"]code['\"]\s*:\s*\[?['\"])[^'\"]+")
_OAUTH_CODE = re.compile(r"(oauth\.v2\.access result with code: )\S+")


def scrub(text: str) -> str:
    """`text` with every Slack token and OAuth secret replaced by `[secret]`."""
    text = _SECRET_FIELD.sub(r"\1[secret]", text)
    text = _CODE_FIELD.sub(r"\1[secret]", text)
    text = _SLACK_TOKEN.sub("[secret]", text)
    return _OAUTH_CODE.sub(r"\1[secret]", text)


class SecretScrub(logging.Filter):
    """On a library's logger (whatever handlers the process has): tokens and OAuth
    secrets in its records are replaced by `[secret]`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith((p + ".", p + ":")) for p in prefixes)


class PayloadFilter(logging.Filter):
    """Keeps message text and tokens out of the log (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO and _under(record.name, PAYLOAD_LOGGERS):
            return False
        if record.name.startswith(("discord", "slack", "coalition_bot.adapters")):
            try:
                message = record.getMessage()
            except Exception:  # a library's own formatting bug: leave it as it is
                return True
            cleaned = message
            if _BAD_SIGNATURE in cleaned:
                cleaned = f"{_BAD_SIGNATURE}; the request is not logged."
            cleaned = _TOKEN_IN_PATH.sub(r"\1[token]", cleaned)
            cleaned = scrub(cleaned)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def install(root: logging.Logger | None = None) -> None:
    """Put a `PayloadFilter` on every handler of `root` (the root logger by default)."""
    root = root or logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, PayloadFilter) for f in handler.filters):
            handler.addFilter(PayloadFilter())


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the structured fields
    (`FIELDS`), and the traceback when there is one. Runs after `PayloadFilter`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(log_format: str = "text", level: str | int | None = None,
              root: logging.Logger | None = None) -> None:
    """Set the format (`text` or `json`) and level of every handler of `root`, keeping
    the `PayloadFilter` on each."""
    root = root or logging.getLogger()
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    for handler in root.handlers:
        handler.setFormatter(formatter)
    if level is not None:
        root.setLevel(level.upper() if isinstance(level, str) else level)
    install(root)
