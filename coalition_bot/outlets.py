"""What a platform adapter implements so the core can post, and how it says a post failed.

An outlet raises `DeliveryRefused` when the platform refused for good (the channel is
gone, the bot was not invited, its token was revoked): the delivery is marked failed and
shown to coordinators instead of being retried. `DeliveryDeferred` asks for a retry no
sooner than a given time (a rate limit's Retry-After). Anything else an outlet raises
(timeouts, connection errors, 5xx answers) is taken as transient and retried with backoff
until the delivery expires.
"""

from __future__ import annotations

from typing import Protocol

from coalition_bot.replies import Notice

__all__ = ["DeliveryDeferred", "DeliveryRefused", "FrontDoor", "Outlet"]


class DeliveryRefused(Exception):
    """The platform refused a post for good: `reason` in its own words (for the log and
    coordinators), `hint` what a person can do about it."""

    def __init__(self, reason: str, *, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


class DeliveryDeferred(Exception):
    """The platform asked us to wait (rate limited): retry after `retry_after` seconds."""

    def __init__(self, reason: str, *, retry_after: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Outlet(Protocol):
    """Posts for a coalition: to a home channel, or privately to one person, in the
    given workspace. Both raise when the platform did not take the post."""

    platform: str

    async def post_notice(self, notice: Notice, channel_id: str, *,
                          workspace_id: str = "") -> None: ...

    async def post_private(self, user_id: str, notice: Notice, *,
                           workspace_id: str = "") -> None: ...


class FrontDoor(Outlet, Protocol):
    """A platform adapter that `coalition-bot run` starts and stops."""

    async def start(self) -> str:
        """Connect or listen; return a line saying where (for the log)."""
        ...

    async def stop(self) -> None: ...
