"""The one place the core asks what time it is, so tests can move time."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "WarpClock", "clock_from_text", "speed_of", "system_clock"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class WarpClock:
    """A clock that read `anchor` at real time `anchor_real` (epoch seconds) and runs
    `speed` times faster than real time. The scheduler reads `speed` to time its jobs.
    For demos and process-level tests: `COALITION_BOT_CLOCK`."""

    anchor: datetime
    anchor_real: float
    speed: float = 1.0

    def __call__(self) -> datetime:
        return self.anchor + timedelta(seconds=(time.time() - self.anchor_real) * self.speed)


def speed_of(clock: Clock) -> float:
    """How many clock seconds pass in one real second (a `WarpClock`'s speed, else 1)."""
    return float(getattr(clock, "speed", 1.0))


def clock_from_text(text: str) -> WarpClock:
    """`ISO[,EPOCH[,SPEED]]`: the time the clock shows at real epoch second EPOCH (default:
    now), running SPEED times real time (default 1)."""
    parts = [p.strip() for p in text.split(",")]
    anchor = datetime.fromisoformat(parts[0])
    if anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    real = float(parts[1]) if len(parts) > 1 and parts[1] else time.time()
    speed = float(parts[2]) if len(parts) > 2 else 1.0
    if speed <= 0:
        raise ValueError("the clock's speed must be positive")
    return WarpClock(anchor, real, speed)
