"""Display names from `users.info`, kept in a small bounded cache.

Slack payloads carry a user id and at best a legacy user name; what people recognise is
the display name. Each id is looked up once, then served from memory until it is an hour
old or pushed out by newer entries.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["NameCache"]

log = logging.getLogger(__name__)


class NameCache:
    """`await names.name(user_id, fallback)` → the person's display name."""

    def __init__(self, client: AsyncWebClient, *, size: int = 512, ttl: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.size = size
        self.ttl = ttl
        self.clock = clock
        self._names: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def name(self, user_id: str, fallback: str = "", *,
                   client: AsyncWebClient | None = None) -> str:
        """`client`: the one with the token of the person's workspace (default: ours)."""
        now = self.clock()
        hit = self._names.get(user_id)
        if hit is not None and now - hit[0] < self.ttl:
            self._names.move_to_end(user_id)
            return hit[1]
        try:
            answer = await (client or self.client).users_info(user=user_id)
        except (SlackApiError, ClientError, TimeoutError) as error:
            log.warning("users.info failed for %s: %s", user_id, error)
            return fallback or user_id
        user = answer.get("user") or {}
        profile = user.get("profile") or {}
        name = next((str(n).strip() for n in (profile.get("display_name"),
                                                profile.get("real_name"), user.get("real_name"),
                                                user.get("name"), fallback)
                     if n and str(n).strip()), user_id)
        self._names[user_id] = (now, name)
        self._names.move_to_end(user_id)
        while len(self._names) > self.size:
            self._names.popitem(last=False)
        return name
