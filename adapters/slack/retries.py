"""Slack redelivers what it thinks we missed; nothing may happen twice.

Over HTTP a redelivery carries `X-Slack-Retry-Num` (1, 2, 3); over Socket Mode bolt
mirrors the envelope's `retry_attempt` into the same header (0 on the first delivery).

- An event (a channel message) is remembered by its `event_id`: a redelivery of one we
  have seen is acknowledged and dropped; one we never saw (we were down) is handled once.
- Anything else that claims to be a retry (Slack does not retry commands, clicks or form
  submissions, but a proxy might) is acknowledged and dropped, since running a command
  twice could repeat its effect.

The guard runs as a bolt global middleware, after bolt has verified the signature.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

__all__ = ["RetryGuard"]

log = logging.getLogger(__name__)


def retry_number(req: AsyncBoltRequest) -> int:
    values = req.headers.get("x-slack-retry-num") or ["0"]
    try:
        return int(values[0])
    except (TypeError, ValueError):
        return 1  # unreadable: treat as a retry, the safe side


class RetryGuard:
    """Remembers the last `size` event ids; drops retries that could repeat an effect."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.dropped = 0

    def first_sight(self, event_id: str) -> bool:
        """True the first time an event id is seen (and remember it)."""
        if event_id in self._seen:
            return False
        self._seen[event_id] = None
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True

    async def middleware(self, req: AsyncBoltRequest, resp: BoltResponse,
                         next: Callable[[], Awaitable[None]]) -> BoltResponse:
        body = req.body if isinstance(req.body, dict) else {}
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            if not self.first_sight(str(event_id)):
                self.dropped += 1
                log.info("dropped a redelivered event %s (retry %s)", event_id,
                         retry_number(req))
                return BoltResponse(status=200, body="")
        elif retry_number(req) > 0:
            self.dropped += 1
            log.info("dropped a retried %s request (retry %s)", body.get("type") or "command",
                     retry_number(req))
            return BoltResponse(status=200, body="")
        await next()
        return resp
