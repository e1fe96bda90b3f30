"""What a failed Slack Web API call means for a delivery: retry it, or give up and say why.

Slack documents a few `ok: false` errors as temporary; those, any HTTP 5xx and a rate
limit are retried (after `Retry-After` when Slack gives one). Every other refusal will
not change by trying again (the channel is gone, the bot was never invited, the token
was revoked), so it becomes `DeliveryRefused` with what a person can do about it.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError

from coalition_bot.outlets import DeliveryDeferred, DeliveryRefused

__all__ = ["TRANSIENT", "classify"]

TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable",
                       "request_timeout", "ratelimited", "rate_limited"})

_TOKEN = ("The bot's Slack token no longer works. Whoever runs the bot must reinstall the "
          "Slack app and update the token.")
_ADMIN = "This workspace does not let the bot post there. Ask a workspace admin."
HINTS = {
    "channel_not_found": "The home channel is gone or the bot cannot see it. Run "
                         "`/coalition home` in the channel that should get notices.",
    "not_in_channel": "The bot is not in the home channel. Invite it there "
                      "(`/invite @coalition-bot`), or run `/coalition home` in another "
                      "channel.",
    "is_archived": "The home channel is archived. Unarchive it, or run `/coalition home` "
                   "in another channel.",
    "invalid_auth": _TOKEN, "not_authed": _TOKEN, "token_revoked": _TOKEN,
    "token_expired": _TOKEN, "account_inactive": _TOKEN, "no_permission": _TOKEN,
    "missing_scope": "The Slack app lacks a permission it needs. Whoever runs the bot must "
                     "update it from `coalition-bot slack-manifest` and reinstall it.",
    "restricted_action": _ADMIN, "team_access_not_granted": _ADMIN,
    "ekm_access_denied": _ADMIN,
    "user_not_found": "That person is no longer in the workspace.",
    "cannot_dm_bot": "That person is a bot and cannot get direct messages.",
}


def _status(response: Any) -> int:
    """The HTTP status of a SlackResponse or, for an unreadable body, aiohttp's response."""
    return int(getattr(response, "status_code", None) or getattr(response, "status", 0) or 0)


def _code(response: Any) -> str:
    data = getattr(response, "data", None)
    return str(data.get("error") or "") if isinstance(data, dict) else ""


def _retry_after(response: Any) -> float:
    headers = getattr(response, "headers", None) or {}
    try:
        return float(headers.get("Retry-After", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


def classify(error: SlackApiError) -> Exception:
    """The exception the outbox should see for a failed post."""
    response = error.response
    status, code = _status(response), _code(response)
    if status == 429 or code in ("ratelimited", "rate_limited"):
        return DeliveryDeferred(f"Slack: rate limited (HTTP {status})",
                                retry_after=_retry_after(response))
    if status >= 500 or code in TRANSIENT or (not code and status != 200):
        return error
    return DeliveryRefused(f"Slack: {code or f'HTTP {status}'}",
                           hint=HINTS.get(code, "Slack refused the post; whoever runs the "
                                                "bot can find the reason in its log."))
