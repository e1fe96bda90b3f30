"""Reminders and deadlines that are neither lost nor repeated across restarts.

The scheduler is two parts: the delivery cycle (`coalition_bot.delivery_cycle`: one
`tick()` sweeps what came due into delivery rows, then the outbox claims, sends and
marks them) and the timers that decide when a tick runs (`coalition_bot.timers`:
a timer at each due time in the next hours, plus a periodic sweep).
`Scheduler` is the cycle with its timers: it recovers from a previous run, starts and
stops both, and re-plans a coalition whenever one of its commands succeeds, in this
process or (PostgreSQL) in another one (`coalition_bot.wakeups`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from coalition_bot.bot import Bot
from coalition_bot.delivery_cycle import EPSILON, DeliveryCycle, TickReport
from coalition_bot.errors import StorageError
from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store.database import is_busy
from coalition_bot.timers import Timers
from coalition_bot.wakeups import Wakeups

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

__all__ = ["EPSILON", "Scheduler", "TickReport"]

log = logging.getLogger(__name__)


class Scheduler(DeliveryCycle):
    """Delivers what comes due, exactly once, through the bot's outlets: the delivery
    cycle, run by timers."""

    def __init__(self, bot: Bot, *, grace: timedelta = timedelta(hours=1),
                 poll_reminder: timedelta = timedelta(hours=24),
                 lookback: timedelta = timedelta(days=7),
                 horizon: timedelta = timedelta(hours=6),
                 sweep_every: float = 30.0, retry_base: timedelta | None = None,
                 retry_max: timedelta | None = None) -> None:
        super().__init__(bot, grace=grace, poll_reminder=poll_reminder, lookback=lookback)
        if retry_base is not None:
            bot.outbox.retry_base = retry_base
        if retry_max is not None:
            bot.outbox.retry_max = retry_max
        self.timers = Timers(bot, self._fire, poll_reminder=poll_reminder, horizon=horizon,
                             sweep_every=sweep_every)
        self._ticks: set[asyncio.Task[TickReport]] = set()
        self.wakeups = Wakeups(bot.db, changed=self.changed, due=bot.outbox.kick,
                               lost=self._catch_up)
        self.running = False  # between start() and stop(): the timers are on

    @property
    def horizon(self) -> timedelta:
        return self.timers.horizon

    @property
    def sweep_every(self) -> float:
        return self.timers.sweep_every

    @property
    def _aps(self) -> AsyncIOScheduler | None:
        return self.timers.aps

    @_aps.setter
    def _aps(self, aps: AsyncIOScheduler | None) -> None:
        self.timers.aps = aps

    async def start(self) -> None:
        """Listen to other processes, recover from a previous run, deliver what is due,
        and start the timers. A database busy meanwhile (another process in a long sweep)
        is logged, not raised: the timers start anyway and their next tick does it, so a
        restart never fails for a moment's wait."""
        self.wakeups.start()
        with contextlib.suppress(TimeoutError):  # it goes on trying; the sweep covers
            await asyncio.wait_for(self.wakeups.ready.wait(), timeout=10)
        try:
            async with self.bot.db.transaction() as conn:
                orphaned = await delivery_sql.orphaned(conn, self.clock())
            if orphaned:
                log.warning("%d deliveries were being sent by a process that stopped; they "
                            "go out again (at least once: see ARCHITECTURE.md)", orphaned)
            await self.tick()
        except StorageError as error:
            log.error("the scheduler cannot use the database: %s", error.message)
        except Exception as error:
            if not is_busy(error):
                raise
            log.error("the scheduler cannot use the database: it is busy (another process "
                      "is writing); its next tick tries again")
        self.timers.start(replan=self.plan)
        self.running = True
        self.bot.add_change_listener(self.changed)
        await self.plan()

    def _catch_up(self) -> None:
        """What other processes announced while we were not listening is lost: re-plan
        every coalition and run a tick."""
        async def catch_up() -> None:
            await self.plan()
            await self._fire()
        if self.running:
            self.bot.outbox.spawn(catch_up())

    async def _fire(self, *, for_due_time: bool = False) -> None:
        """What a timer runs: a tick in a task of our own, so that stopping APScheduler
        (which cancels its jobs) never cancels a send half way."""
        task = asyncio.ensure_future(self.tick(for_due_time=for_due_time))
        self._ticks.add(task)
        task.add_done_callback(self._ticks.discard)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            pass  # APScheduler is shutting down; `stop` waits for the tick itself
        except StorageError as error:  # the file is gone or unusable: one line, no trace
            log.error("the scheduler cannot use the database: %s", error.message)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop the timers and take no new work; let the sends in progress finish (at
        most `grace` seconds) and mark them. Never raises for what it waits on."""
        deadline = time.monotonic() + grace
        self.running = False
        await self.wakeups.stop()
        await self.timers.stop()
        self.bot.outbox.stopping = True  # a pass stops after the send in progress
        if self._ticks:
            _, late = await asyncio.wait(list(self._ticks), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*self._ticks, return_exceptions=True)
        await self.bot.outbox.stop(deadline - time.monotonic())

    @property
    def stale_after(self) -> float:
        """Real seconds after which a sweep is overdue: three missed periodic sweeps."""
        return 3 * self.sweep_every / self._speed()

    def _speed(self) -> float:
        return self.timers.speed()

    async def plan(self, coalition_id: int | None = None) -> int:
        """Plan a tick at each due time in the coming hours (for one coalition, or
        all); each job just runs a tick. Returns how many jobs are planned."""
        return await self.timers.plan(coalition_id)

    def changed(self, coalition_id: int) -> None:
        """A command of this coalition succeeded: re-derive its jobs soon (coalesced)."""
        self.timers.changed(coalition_id)
