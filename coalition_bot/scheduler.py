"""Reminders and deadlines that are neither lost nor repeated across restarts.

The database is the source of truth. `tick()` is the whole delivery cycle and takes
its time from the bot's clock, so tests move time without sleeping:

1. In one transaction: everything that came due since the last sweep becomes a
   `delivery` row per place it goes ('pending'; 'skipped' if older than the grace
   window), polls past their deadline are closed (their results become rows too), and
   the sweep mark moves on. A restart resumes from that mark.
2. Each pending row whose time has come is claimed ('sending') and rendered in a short
   transaction, then sent, then marked 'sent'. A send that raises puts the row back to
   'pending' with exponential backoff until it succeeds or expires. A row a dead process
   left 'sending' is pending again at the next start.

APScheduler (AsyncIOScheduler) only decides *when* `tick()` runs: a date job at each
due time in the next hours, derived from the database at start-up and again for a
coalition whenever one of its commands succeeds, plus a periodic sweep.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from coalition_bot.bot import Bot
from coalition_bot.services import deliveries
from coalition_bot.services.meetings import Due
from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store import polls as poll_sql

__all__ = ["Scheduler", "TickReport"]

log = logging.getLogger(__name__)

EPSILON = timedelta(milliseconds=1)


@dataclass
class TickReport:
    """What one tick did, for tests, benchmarks and the log."""

    created: int = 0
    skipped: int = 0
    closed_polls: int = 0
    sent: list[tuple[str, int, str, int, str]] = field(default_factory=list)
    failed: int = 0
    dropped: int = 0
    expired: int = 0


class Scheduler:
    """Delivers what comes due, exactly once, through the bot's outlets."""

    def __init__(self, bot: Bot, *, grace: timedelta = timedelta(hours=1),
                 poll_reminder: timedelta = timedelta(hours=24),
                 lookback: timedelta = timedelta(days=7),
                 horizon: timedelta = timedelta(hours=6),
                 sweep_every: float = 30.0, retry_base: timedelta = timedelta(seconds=30),
                 retry_max: timedelta = timedelta(minutes=30)) -> None:
        self.bot = bot
        self.clock = bot.clock
        self.grace = grace
        self.poll_reminder = poll_reminder
        self.lookback = lookback
        self.horizon = horizon
        self.sweep_every = sweep_every
        self.retry_base = retry_base
        self.retry_max = retry_max
        self._lock = asyncio.Lock()
        self._queued: asyncio.Future[TickReport] | None = None  # a tick waiting to start
        self._aps = None
        self._planned: dict[int | None, set[str]] = {}
        self._replan: set[int] = set()
        self._replan_task: asyncio.Task[None] | None = None

    # -- the delivery cycle -------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Create what came due, then claim, send and mark each pending delivery.

        A tick asked for while another one waits to start joins that one (and gets its
        report): a tick that starts after a due time delivers it, so a burst of timers
        (a thousand reminders at 18:00) costs one sweep, not a thousand in a row."""
        if self._queued is not None:
            return await asyncio.shield(self._queued)
        queued = self._queued = asyncio.get_running_loop().create_future()
        try:
            async with self._lock:
                self._queued = None  # started: a later call must wait for a new tick
                report = await self._tick()
        except BaseException as error:
            if self._queued is queued:
                self._queued = None
            if isinstance(error, Exception):
                queued.set_exception(error)
                queued.exception()  # retrieved: nobody may have joined
            else:
                queued.cancel()
            raise
        queued.set_result(report)
        return report

    async def _tick(self) -> TickReport:
        report = TickReport()
        now = self.clock()
        await self._sweep(now, report)
        async with self.bot.db.transaction() as conn:
            pending = await delivery_sql.due_pending(conn, now)
        for row in pending:
            await self._deliver(row, report)
        if report.sent or report.failed or report.skipped:
            log.info("tick: %s", report)
        return report

    async def _sweep(self, now: datetime, report: TickReport) -> None:
        platforms = set(self.bot.outlets)
        async with self.bot.db.transaction() as conn:
            since = await delivery_sql.swept_to(conn) or now
            since = min(max(since, now - self.lookback), now)
            due = await deliveries.due_between(conn, since, now + EPSILON, self.poll_reminder,
                                               sweep=True)
            closed = await deliveries.close_overdue_polls(conn, now)
            report.closed_polls = len(closed)
            for item in due + closed:
                too_old = now - item.at > self.grace and item.kind != "poll-result"
                for target in await deliveries.targets(conn, item, platforms):
                    created = await delivery_sql.create(
                        conn, coalition_id=item.coalition_id, kind=item.kind,
                        subject_id=item.subject_id, occurrence=item.occurrence,
                        offset_min=item.offset_min, platform=target.platform,
                        target=target.channel_id or f"user:{target.user_id}", due_at=item.at,
                        expires_at=deliveries.expiry(item),
                        status="skipped" if too_old else "pending", now=now)
                    if created:
                        report.skipped += too_old
                        report.created += not too_old
            await delivery_sql.set_swept_to(conn, now + EPSILON)

    async def _deliver(self, row: delivery_sql.Delivery, report: TickReport) -> None:
        now = self.clock()
        async with self.bot.db.transaction() as conn:
            claimed = await delivery_sql.claim(conn, row.id, now)
            if claimed is None:
                return
            if now >= claimed.expires_at:
                await delivery_sql.mark(conn, row.id, "expired", now=now)
                report.expired += 1
                return
            late = deliveries.is_late(claimed.due_at, now)
            notice = await deliveries.render(conn, claimed.kind, claimed.subject_id,
                                             claimed.occurrence, claimed.offset_min,
                                             late=late, now=now)
            if notice is None:
                await delivery_sql.mark(conn, row.id, "dropped", now=now)
                report.dropped += 1
                return
        outlet = self.bot.outlets.get(claimed.platform)
        try:
            if outlet is None:
                raise RuntimeError(f"no outlet for {claimed.platform}")
            if claimed.target.startswith("user:"):
                await outlet.post_private(claimed.target[len("user:"):], notice)
            else:
                await outlet.post_notice(notice, claimed.target)
        except Exception as exc:  # network, rate limit, platform refusal: try again later
            wait = min(self.retry_base * 2 ** (claimed.attempts - 1), self.retry_max)
            log.warning("delivery %s (%s) failed, attempt %d, next in %s: %s", claimed.id,
                        claimed.kind, claimed.attempts, wait, exc)
            async with self.bot.db.transaction() as conn:
                await delivery_sql.mark(conn, row.id, "pending", now=now, error=repr(exc),
                                        next_try_at=now + wait)
            report.failed += 1
            return
        async with self.bot.db.transaction() as conn:
            await delivery_sql.mark(conn, row.id, "sent", now=self.clock(), late=late)
        report.sent.append((claimed.kind, claimed.subject_id, claimed.occurrence,
                            claimed.offset_min, claimed.platform))

    # -- when ticks run (APScheduler) ---------------------------------------------------

    async def start(self) -> None:
        """Recover from a previous run, deliver what is due, and start the timers."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        async with self.bot.db.transaction() as conn:
            unfinished = await delivery_sql.requeue_unfinished(conn, self.clock())
        if unfinished:
            log.warning("%d deliveries were being sent when the last run stopped; they go "
                        "out again (at least once: see ARCHITECTURE.md)", unfinished)
        await self.tick()
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.add_job(self.tick, "interval", seconds=self.sweep_every / self._speed(),
                          id="sweep", max_instances=1, coalesce=True)
        self._aps.add_job(self.plan, "interval",
                          seconds=self.horizon.total_seconds() / 2 / self._speed(),
                          id="replan", max_instances=1, coalesce=True)
        self._aps.start()
        self.bot.add_change_listener(self.changed)
        await self.plan()

    async def stop(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        if self._replan_task is not None:
            self._replan_task.cancel()
            await asyncio.gather(self._replan_task, return_exceptions=True)
        async with self._lock:  # let a tick in progress finish
            pass

    def _speed(self) -> float:
        return float(getattr(self.clock, "speed", 1.0))

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
            self._aps.add_job(self.tick, "date", run_date=self._real_time(item.at),
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
