"""Per-address rate limiting: a token bucket for each client address."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["RateLimiter"]

MAX_ADDRESSES = 10_000  # buckets kept; the least recently seen go first


class RateLimiter:
    """`per_minute` requests a minute per address, in bursts of up to `per_minute`."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, address: str) -> float:
        """0 if `address` may go on (and count it); else the seconds until it may."""
        now = self.clock()
        tokens, seen = self._buckets.pop(address, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - seen) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self._buckets[address] = (tokens, now)
        while len(self._buckets) > MAX_ADDRESSES:
            self._buckets.popitem(last=False)
        return wait
