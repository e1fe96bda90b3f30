"""When the delivery cycle runs: timers derived from the database.

A tick runs at each due time in the next hours, derived from the database at start-up,
again every half horizon, and for a coalition whenever one of its commands succeeds,
plus a periodic sweep. A timer does nothing but call `fire`; what a tick does is
`coalition_bot.delivery_cycle`'s.

- **The due times are kept here, one timer is armed**: `plan()` puts each due time in
  the next 6 hours into a heap (by job id: kind, subject, occurrence, offset), and one
  event-loop timer waits for the earliest; when it fires, every due time reached is
  taken off and a tick runs, and the timer is armed for the next one. APScheduler runs
  the periodic ones: a sweep every 30 s that catches anything else, and the re-plan
  every 3 hours. (A date job per due time cost ~0.3-1.4 ms each in APScheduler's
  `add_job`: 1 500 due times in the 6 hours of 100 000 series were most of a start-up,
  bench/scheduler_bench.py --big.) A timer never fires before its time by the wall
  clock, as APScheduler's did not: at x20 000 a microsecond early is 20 ms of bot time.
- A moved meeting simply comes due at its new time: rows are created from what the
  database says when the time comes. Re-planning a coalition (via
  `Bot.add_change_listener`, right after any of its commands succeeds) replaces its due
  times. Timers that fire while a tick waits to start join that tick (one that starts
  after a due time delivers it), so a thousand reminders at 18:00 cost one sweep.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from coalition_bot.bot import Bot
from coalition_bot.clock import speed_of
from coalition_bot.services import deliveries
from coalition_bot.services.delivery_kinds import PollResult
from coalition_bot.services.meetings import Due
from coalition_bot.store import polls as poll_sql

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

__all__ = ["Timers"]

log = logging.getLogger(__name__)


class Timers:
    """Plans a tick at each due time within `horizon`, and one every `sweep_every`."""

    def __init__(self, bot: Bot, fire: Callable[..., Awaitable[None]], *,
                 poll_reminder: timedelta, horizon: timedelta, sweep_every: float) -> None:
        self.bot = bot
        self.clock = bot.clock
        self.fire = fire
        self.poll_reminder = poll_reminder
        self.horizon = horizon
        self.sweep_every = sweep_every
        self.aps: AsyncIOScheduler | None = None
        # per coalition, its planned due times: job id -> due time (the bot's clock)
        self._planned: dict[int | None, dict[str, datetime]] = {}
        self._jobs: dict[str, float] = {}  # job id -> the epoch second it fires
        self._heap: list[tuple[float, str]] = []  # (when, job id); stale ones skipped
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for: float | None = None
        self._firing: set[asyncio.Future[None]] = set()
        self._replan: set[int] = set()
        self._replan_task: asyncio.Task[None] | None = None

    def start(self, replan: Callable[[], Awaitable[int]]) -> None:
        """Start the periodic sweep and the periodic `replan` (every half horizon)."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.aps = AsyncIOScheduler(timezone=UTC)
        self.aps.add_job(self.fire, "interval", seconds=self.sweep_every / self.speed(),
                         id="sweep", max_instances=1, coalesce=True)
        self.aps.add_job(replan, "interval",
                         seconds=self.horizon.total_seconds() / 2 / self.speed(),
                         id="replan", max_instances=1, coalesce=True)
        self.aps.start()

    async def stop(self) -> None:
        """Stop every timer (a tick already running is not cancelled here)."""
        if self.aps is not None:
            self.aps.shutdown(wait=False)
            self.aps = None
        self._disarm()
        self._jobs.clear()
        self._heap.clear()
        self._planned.clear()
        for task in list(self._firing):  # as APScheduler's shutdown cancels its jobs
            task.cancel()
        await asyncio.gather(*self._firing, return_exceptions=True)
        if self._replan_task is not None:
            self._replan_task.cancel()
            await asyncio.gather(self._replan_task, return_exceptions=True)

    def speed(self) -> float:
        return speed_of(self.clock)

    def _real_time(self, when: datetime) -> datetime:
        """The wall-clock moment at which the bot's clock will show `when`."""
        ahead = (when - self.clock()).total_seconds() / self.speed()
        return datetime.fromtimestamp(time.time() + max(ahead, 0.0), UTC)

    async def plan(self, coalition_id: int | None = None) -> int:
        """Plan a tick at each due time in the coming hours (for one coalition, or
        all); each job just runs a tick. Returns how many jobs are planned."""
        if self.aps is None:
            return 0
        now = self.clock()
        async with self.bot.db.transaction(read_only=True) as conn:  # holds up no writer
            due: list[Due] = await deliveries.due_between(
                conn, now, now + self.horizon, self.poll_reminder, coalition_id=coalition_id)
            for poll in await poll_sql.open_polls_closing_before(conn, now + self.horizon):
                if coalition_id in (None, poll.coalition_id):
                    due.append(Due(PollResult.name, poll.coalition_id, poll.closes_at, poll.id,
                                   "", 0))
        if self.aps is None:  # stopped meanwhile
            return 0
        wanted: dict[int | None, dict[str, datetime]] = {}
        for item in due:
            job_id = f"{item.kind}:{item.subject_id}:{item.occurrence}:{item.offset_min}"
            wanted.setdefault(coalition_id if coalition_id is not None
                              else item.coalition_id, {})[job_id] = item.at
        keys = {coalition_id} if coalition_id is not None else set(self._planned) | set(wanted)
        for key in keys:  # only what changed: a command re-plans its whole coalition
            planned, jobs = self._planned.pop(key, {}), wanted.get(key, {})
            for job_id in planned.keys() - jobs.keys():
                self._remove_job(job_id)
            for job_id, due_at in jobs.items():
                if planned.get(job_id) != due_at or job_id not in self._jobs:
                    at = self._real_time(due_at).timestamp()
                    self._jobs[job_id] = at
                    heapq.heappush(self._heap, (at, job_id))
            if jobs:
                self._planned[key] = jobs
        if len(self._heap) > 2 * len(self._jobs) + 1000:  # mostly re-planned entries
            self._heap = [(at, job_id) for job_id, at in self._jobs.items()]
            heapq.heapify(self._heap)
        self._arm()
        return len(due)

    def planned(self) -> dict[str, datetime]:
        """The due times waiting to fire: job id -> the real (wall-clock) moment."""
        return {job_id: datetime.fromtimestamp(at, UTC) for job_id, at in self._jobs.items()}

    def _remove_job(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)  # its heap entry is skipped when it comes up

    def _arm(self) -> None:
        """Arm the one timer for the earliest due time still planned."""
        heap = self._heap
        while heap and self._jobs.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)  # removed or re-planned since
        if not heap or self.aps is None:
            self._disarm()
            return
        at = heap[0][0]
        if self._timer is not None and self._armed_for == at:
            return
        self._disarm()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(max(at - time.time(), 0.0), self._due_now)
        self._armed_for = at

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._armed_for = None

    def _due_now(self) -> None:
        """The timer fired: take off every due time reached (by the wall clock, never
        early) and run one tick for them; arm the timer for the next."""
        self._timer = self._armed_for = None
        now, reached = time.time(), False
        while self._heap and self._heap[0][0] <= now:
            at, job_id = heapq.heappop(self._heap)
            if self._jobs.get(job_id) == at:
                del self._jobs[job_id]
                reached = True
        if reached and self.aps is not None:
            task = asyncio.ensure_future(self.fire(for_due_time=True))
            self._firing.add(task)
            task.add_done_callback(self._firing.discard)
        self._arm()

    def changed(self, coalition_id: int) -> None:
        """A command of this coalition succeeded: re-derive its jobs soon (coalesced)."""
        self._replan.add(coalition_id)
        if self._replan_task is None or self._replan_task.done():
            self._replan_task = asyncio.create_task(self._replan_soon())

    async def _replan_soon(self) -> None:
        await asyncio.sleep(0)  # let a burst of commands gather first
        while self._replan:
            coalition_id = self._replan.pop()
            try:
                await self.plan(coalition_id)
            except Exception:
                log.exception("re-planning coalition %s failed", coalition_id)
