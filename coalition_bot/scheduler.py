"""Reminders and deadlines that are neither lost nor repeated across restarts.

The database is the source of truth. `tick()` is the whole delivery cycle and takes
its time from the bot's clock, so tests move time without sleeping:

1. In one transaction: everything that came due since the last sweep becomes a
   `delivery` row per place it goes ('pending'; 'skipped' if older than the grace
   window), polls past their deadline are closed (their results become rows too), and
   the sweep mark moves on. A restart resumes from that mark.
   Rows are written for every home channel of every binding, whatever platforms this
   process serves, so the mark can move on without skipping another platform.
2. The bot's outbox sends every row due on the platforms this process has (claim with
   a lease, send, mark; see `coalition_bot.outbox`).

APScheduler (AsyncIOScheduler) only decides *when* `tick()` runs: a date job at each
due time in the next hours, derived from the database at start-up and again for a
coalition whenever one of its commands succeeds, plus a periodic sweep.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coalition_bot.bot import Bot
from coalition_bot.clock import speed_of
from coalition_bot.errors import StorageError
from coalition_bot.outbox import Coalesced, SendReport
from coalition_bot.services import deliveries
from coalition_bot.services.meetings import Due
from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store import polls as poll_sql

__all__ = ["Scheduler", "TickReport"]

log = logging.getLogger(__name__)

EPSILON = timedelta(milliseconds=1)


@dataclass
class TickReport(SendReport):
    """What one tick did, for tests, benchmarks and the log."""

    created: int = 0
    skipped: int = 0
    closed_polls: int = 0


class Scheduler:
    """Delivers what comes due, exactly once, through the bot's outlets."""

    def __init__(self, bot: Bot, *, grace: timedelta = timedelta(hours=1),
                 poll_reminder: timedelta = timedelta(hours=24),
                 lookback: timedelta = timedelta(days=7),
                 horizon: timedelta = timedelta(hours=6),
                 sweep_every: float = 30.0, retry_base: timedelta | None = None,
                 retry_max: timedelta | None = None) -> None:
        self.bot = bot
        self.clock = bot.clock
        self.grace = grace
        self.poll_reminder = poll_reminder
        self.lookback = lookback
        self.horizon = horizon
        self.sweep_every = sweep_every
        if retry_base is not None:
            bot.outbox.retry_base = retry_base
        if retry_max is not None:
            bot.outbox.retry_max = retry_max
        self._tick = Coalesced(self._run_tick)
        self._ticks: set[asyncio.Task[TickReport]] = set()
        self._aps = None
        self._planned: dict[int | None, set[str]] = {}
        self._replan: set[int] = set()
        self._replan_task: asyncio.Task[None] | None = None
        self.running = False  # between start() and stop(): the timers are on
        self.last_sweep: float | None = None  # time.monotonic() of the last sweep done

    # -- the delivery cycle -------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Create what came due, then send what is due on our platforms.

        A tick asked for while another one waits to start joins that one (and gets its
        report): a tick that starts after a due time delivers it, so a burst of timers
        (a thousand reminders at 18:00) costs one sweep, not a thousand in a row."""
        return await self._tick()

    async def _run_tick(self) -> TickReport:
        report = TickReport()
        await self._sweep(self.clock(), report)
        self.last_sweep = time.monotonic()
        sent = await self.bot.outbox.send_due()
        for name in ("failed", "refused", "dropped", "expired"):
            setattr(report, name, getattr(sent, name))
        report.sent = sent.sent
        if report.sent or report.failed or report.skipped or report.refused:
            log.info("tick: %s", report)
        return report

    async def _sweep(self, now: datetime, report: TickReport) -> None:
        async with self.bot.db.transaction() as conn:
            since = await delivery_sql.swept_to(conn) or now
            since = min(max(since, now - self.lookback), now)
            due = await deliveries.due_between(conn, since, now + EPSILON, self.poll_reminder,
                                               sweep=True)
            closed = await deliveries.close_overdue_polls(conn, now)
            report.closed_polls = len(closed)
            for item in due + closed:
                too_old = now - item.at > self.grace and item.kind != "poll-result"
                for target in await deliveries.targets(conn, item):
                    created = await delivery_sql.create(
                        conn, coalition_id=item.coalition_id, kind=item.kind,
                        subject_id=item.subject_id, occurrence=item.occurrence,
                        offset_min=item.offset_min, platform=target.platform,
                        workspace_id=target.workspace_id, target=target.key, due_at=item.at,
                        expires_at=deliveries.expiry(item, now),
                        status="skipped" if too_old else "pending", now=now)
                    if created:
                        report.skipped += too_old
                        report.created += not too_old
            await delivery_sql.set_swept_to(conn, now + EPSILON)

    # -- when ticks run (APScheduler) ---------------------------------------------------

    async def start(self) -> None:
        """Recover from a previous run, deliver what is due, and start the timers."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        async with self.bot.db.transaction() as conn:
            orphaned = await delivery_sql.orphaned(conn, self.clock())
        if orphaned:
            log.warning("%d deliveries were being sent by a process that stopped; they go "
                        "out again (at least once: see ARCHITECTURE.md)", orphaned)
        await self.tick()
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.add_job(self._fire, "interval", seconds=self.sweep_every / self._speed(),
                          id="sweep", max_instances=1, coalesce=True)
        self._aps.add_job(self.plan, "interval",
                          seconds=self.horizon.total_seconds() / 2 / self._speed(),
                          id="replan", max_instances=1, coalesce=True)
        self._aps.start()
        self.running = True
        self.bot.add_change_listener(self.changed)
        await self.plan()

    async def _fire(self) -> None:
        """What a timer runs: a tick in a task of our own, so that stopping APScheduler
        (which cancels its jobs) never cancels a send half way."""
        task = asyncio.ensure_future(self.tick())
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
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        if self._replan_task is not None:
            self._replan_task.cancel()
            await asyncio.gather(self._replan_task, return_exceptions=True)
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
        return speed_of(self.clock)

    def _real_time(self, when: datetime) -> datetime:
        """The wall-clock moment at which the bot's clock will show `when`."""
        ahead = (when - self.clock()).total_seconds() / self._speed()
        return datetime.fromtimestamp(time.time() + max(ahead, 0.0), UTC)

    async def plan(self, coalition_id: int | None = None) -> int:
        """Put a date job at each due time in the coming hours (for one coalition, or
        all); each job just runs a tick. Returns how many jobs are planned."""
        if self._aps is None:
            return 0
        now = self.clock()
        async with self.bot.db.transaction() as conn:
            due: list[Due] = await deliveries.due_between(
                conn, now, now + self.horizon, self.poll_reminder, coalition_id=coalition_id)
            for poll in await poll_sql.open_polls_closing_before(conn, now + self.horizon):
                if coalition_id in (None, poll.coalition_id):
                    due.append(Due("poll-result", poll.coalition_id, poll.closes_at, poll.id,
                                   "", 0))
        if self._aps is None:  # stopped meanwhile
            return 0
        keys = {coalition_id} if coalition_id is not None else set(self._planned)
        for key in keys:
            for job_id in self._planned.pop(key, set()):
                self._remove_job(job_id)
        for item in due:
            job_id = f"{item.kind}:{item.subject_id}:{item.occurrence}:{item.offset_min}"
            self._aps.add_job(self._fire, "date", run_date=self._real_time(item.at),
                              id=job_id, replace_existing=True, misfire_grace_time=None)
            self._planned.setdefault(coalition_id if coalition_id is not None
                                     else item.coalition_id, set()).add(job_id)
        return len(due)

    def _remove_job(self, job_id: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        try:
            self._aps.remove_job(job_id)  # type: ignore[union-attr]
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
