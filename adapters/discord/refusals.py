"""What a failed Discord REST call means for a delivery: retry it, or give up and say why.

discord.py already waits out rate limits and retries some 5xx answers itself. What
reaches us as a 5xx (`DiscordServerError`) or a rate limit too long to wait is retried
later; a 403 or 404 (Missing Access, Missing Permissions, Unknown Channel, a person who
accepts no direct messages) or another 4xx will not change by trying again, so it
becomes `DeliveryRefused` with what a person can do about it.
"""

from __future__ import annotations

import discord

from coalition_bot.outlets import DeliveryDeferred, DeliveryRefused

__all__ = ["classify"]

HINTS = {
    10003: "The home channel is gone. Run `/coalition home` in the channel that should get "
           "notices.",
    50001: "The bot cannot see the home channel. Give it View Channel and Send Messages "
           "there, or run `/coalition home` in another channel.",
    50013: "The bot may not post in the home channel. Give it Send Messages and Embed Links "
           "there, or run `/coalition home` in another channel.",
    50007: "That person does not accept direct messages from this server's members.",
    10013: "That person is no longer on Discord.",
}


def classify(error: Exception) -> Exception:
    """The exception the outbox should see for a failed post."""
    if isinstance(error, discord.RateLimited):
        return DeliveryDeferred("Discord: rate limited", retry_after=error.retry_after)
    if not isinstance(error, discord.HTTPException) or isinstance(
            error, discord.DiscordServerError) or error.status >= 500 or error.status == 429:
        return error
    reason = f"Discord: HTTP {error.status}, code {error.code}"
    if error.text:
        reason += f" ({error.text[:100]})"
    return DeliveryRefused(reason, hint=HINTS.get(error.code, "Discord refused the post; "
                                                  "whoever runs the bot can find the reason "
                                                  "in its log."))
