"""When the delivery cycle runs: timers derived from the database.

APScheduler (AsyncIOScheduler) only decides *when* a tick runs: a date job at each due
time in the next hours, derived from the database at start-up, again every half
horizon, and for a coalition whenever one of its commands succeeds, plus a periodic
sweep. A job does nothing but call `fire`; what a tick does is `coalition_bot.
delivery_cycle`'s.

- **APScheduler only decides when `tick()` runs**: `plan()` puts a date job at each due
  time in the next 6 hours (derived from the database at start-up, every 3 hours, and for
  a coalition right after any of its commands succeeds, via `Bot.add_change_listener`),
  plus a sweep every 30 s that catches anything else. A moved meeting simply comes due
  at its new time: rows are created from what the database says when the time comes.
  Timers that fire while a tick waits to start join that tick (one that starts after a
  due time delivers it), so a thousand reminders at 18:00 cost one sweep, not a thousand.
"""

from __future__ import annotations

import asyncio
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

    def __init__(self, bot: Bot, fire: Callable[[], Awaitable[None]], *,
                 poll_reminder: timedelta, horizon: timedelta, sweep_every: float) -> None:
        self.bot = bot
        self.clock = bot.clock
        self.fire = fire
        self.poll_reminder = poll_reminder
        self.horizon = horizon
        self.sweep_every = sweep_every
        self.aps: AsyncIOScheduler | None = None
        # per coalition, the date jobs put in APScheduler: job id -> due time
        self._planned: dict[int | None, dict[str, datetime]] = {}
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
        """Put a date job at each due time in the coming hours (for one coalition, or
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
            for job_id, at in jobs.items():
                if planned.get(job_id) != at or self.aps.get_job(job_id) is None:
                    self.aps.add_job(self.fire, "date", run_date=self._real_time(at),
                                     id=job_id, replace_existing=True,
                                     misfire_grace_time=None)
            if jobs:
                self._planned[key] = jobs
        return len(due)

    def _remove_job(self, job_id: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        try:
            self.aps.remove_job(job_id)  # type: ignore[union-attr]
        except JobLookupError:
            pass  # it ran already

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
