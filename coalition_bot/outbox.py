"""The sender of the outbox: claim, send and mark every delivery this process can post.

A delivery row is claimed in a short transaction (status 'sending', this process as its
owner, a lease), rendered, sent through the outlet of its platform, then marked, and the
mark checks that the claim is still ours. While a send is slow the owner extends its
lease; a process that dies mid-send leaves a lease that runs out, and only then may
another process (or the next start) take the row back and send it again. That is the
one at-least-once window left: see below.

In detail:

- **Every notice is a row before it is a post.** A notice a command raises is written,
  in the command's own transaction, as a `notice` row (its content as JSON) and one
  `delivery` row per home channel of the coalition's bindings (`services.deliveries.
  enqueue_notices`); a reminder, a "closing soon", a poll result or an action item due
  becomes delivery rows in the scheduler's sweep. Rows are written for **every** binding,
  whatever platforms the writing process serves: the process that has the platform sends
  them. So a console beside `run`, or one `run` for Slack and one for Discord on the same
  file, never swallows another platform's deliveries.
- **The key includes the target**: (kind, subject, occurrence, offset, platform,
  workspace, channel, due time), so two Slack workspaces of one coalition each get their
  row (migration 0009). At send time a home-channel row goes to its workspace's home
  channel *as it is then* (moved by `/coalition home` since), and is dropped if that
  workspace has left the coalition.
- **Claims have an owner and a lease** (`coalition_bot.outbox`). Each process has an
  identity (host, pid, random). Sending is: claim the oldest due rows, up to `BATCH`
  (20), in one short transaction (`sending`, owner, `lease_until` = now + 30 s) and
  render them (each kind its rows together: a batch of meeting reminders is five reads,
  `services.deliveries.render_batch`), post them through the outlet of their platform
  while a task extends the leases of those not yet posted every 10 s, then mark each —
  and a mark only applies if the claim is still ours. Up to `LANES` (8) channels are
  posted to at once, each channel's rows one after another in due order, so one slow
  channel (a rate limit, a slow workspace) holds up only its own notices. The marks that
  wait together go in one durable commit (`coalition_bot.delivery_marks`): a burst costs
  an fsync per commit, not per post. Rows of a batch not yet begun when the outbox stops
  are given back at once (pending, the attempt undone), so the next start sends them
  without waiting for a lease. A `sending` row can be claimed by anyone else only once
  its lease has run out. So a second process starting beside a running one (a rolling
  restart, a console) never re-sends what the first one is sending. Claims and lease
  extensions commit without an fsync (`transaction(durable=False)`: synchronous=NORMAL
  for that COMMIT): they survive a killed process, and a power loss can only undo one,
  which is the same as its lease running out. Marks stay durable.
- **What a failure means is the adapter's call.** An outlet raises `DeliveryRefused` when
  the platform refused for good (Slack `channel_not_found`, `not_in_channel`,
  `is_archived`, `invalid_auth`...; Discord 403/404 and other 4xx): the row is `failed`
  with the reason and a hint, listed by `/coalition deliveries` and flagged in
  `/coalition info`. `DeliveryDeferred` carries a rate limit's Retry-After. Anything else
  (timeouts, connection errors, 5xx, Slack's documented temporary errors) goes back to
  `pending` with backoff (30 s doubling to 30 min) until the row expires: a reminder when
  its meeting starts, an action note after a day, a command's notice or a poll result a
  week after the row was written (so a result found after a long outage is still posted,
  marked late). discord.py itself waits out 429s and retries some 5xx before raising.
- **The at-least-once window.** Every crash point is exact except one: the platform has
  taken the post and the process dies (kill -9, power loss) before the mark reaches the
  file. The lease then runs out and the row is sent again, by the next start or by
  another process: at most 30 s later, a duplicate. A lost reminder is a missed meeting;
  a duplicated one is an annoyance, so the bot errs this way. The window is the mark's
  transaction: ~1 ms here with the fsync (bench/votes_throughput.py prints it), plus,
  when another process shares the SQLite file, any wait for that process's write (its
  sweep at the same due time: a few ms). For a platform it also includes the half round
  trip in which Slack or Discord has the post and we do not know it yet.
  `tests/test_scheduler_kill.py` runs two consoles on one file and kills them 20+ times
  around due times: a line is printed twice at most in a few runs, and only when its
  first sender was killed before the second print. With marks committed together, a
  mark may also wait for the commit in progress (one fsync): bench/scheduler_bench.py
  prints the send-to-mark time of every post of a burst. The other way to get a duplicate is
  a process frozen (SIGSTOP, a paused VM) longer than its lease in the middle of a send:
  it then loses the claim, and its late mark is refused and logged as a warning.
- **Graceful stop.** SIGTERM (or the console's end of input) stops the timers, lets the pass
  in progress finish the posts it is on, one per channel it is posting to (at most
  `[scheduler] stop_grace`, 10 s), and mark them, then stops the front doors. APScheduler's
  shutdown cancels its own job tasks, so timers run each tick in a task of the scheduler's
  own (`Scheduler._fire`), which the shutdown cannot cancel. A post still running after the
  grace is cancelled; its lease runs out and the next start sends it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from coalition_bot.clock import Clock, speed_of
from coalition_bot.delivery_marks import Mark, MarkQueue
from coalition_bot.errors import StorageError
from coalition_bot.model import DeliveryKind
from coalition_bot.outlets import DeliveryDeferred, DeliveryRefused, Outlet
from coalition_bot.replies import Notice
from coalition_bot.services import deliveries
from coalition_bot.services.site import Site
from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store.database import Database

__all__ = ["Coalesced", "DeliveryRecord", "Outbox", "SendReport", "process_identity"]

log = logging.getLogger(__name__)

T = TypeVar("T")

BATCH = 20  # deliveries claimed (and rendered) per transaction
LANES = 8  # channels sent to at once; one channel's deliveries go out in order
TIDY_EVERY = 1000  # marks between two `Database.tidy()` (PostgreSQL's VACUUM)
# and at these counts of a process's first marks: plans PostgreSQL cached while the table
# was small (a seq scan of a few rows) are made again once VACUUM updates its size, so a
# burst on a new table does not run on them until the 1 000th mark
TIDY_FIRST = (100, 300)


def process_identity() -> str:
    """Who claims a row: this host and process, plus a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Coalesced(Generic[T]):
    """Runs `work` one at a time; a call made while a run waits to start joins that run
    (and gets its result): a burst of calls costs one run, not one each.

    `spacing` (real seconds): a run starts at least that long after the previous one
    started, and calls made meanwhile join it. Alone, a call waits for nothing; in a
    burst, one run serves every call of the last `spacing` seconds.

    `ready_at` (`time.monotonic()`): what the caller needs was in place then, so a run
    that started since serves it too, and the call joins the run in progress instead of
    queueing the next one (the ticks that shared one sweep share one send pass: a pass
    after them found nothing, three statements each, on PostgreSQL)."""

    def __init__(self, work: Callable[[], Awaitable[T]], *, spacing: float = 0.0) -> None:
        self._work = work
        self.spacing = spacing
        self.lock = asyncio.Lock()
        self._queued: asyncio.Future[T] | None = None
        self._running: asyncio.Future[T] | None = None  # the run in progress, if any
        self._running_since = float("-inf")  # when it started (`time.monotonic()`)
        self._last_start = float("-inf")

    def next_run_at(self, at: float) -> None:
        """Start the next run at `at` (`time.monotonic()`) at the soonest, instead of a
        spacing after this one started: for a run that found its work done elsewhere
        and knows when it is worth running again. Calls meanwhile join that run."""
        self._last_start = at - self.spacing

    async def __call__(self, *, ready_at: float | None = None) -> T:
        running = self._running
        if running is not None and ready_at is not None and self._running_since >= ready_at:
            return await asyncio.shield(running)
        if self._queued is not None:
            return await asyncio.shield(self._queued)
        queued = self._queued = asyncio.get_running_loop().create_future()
        try:
            async with self.lock:
                wait = self._last_start + self.spacing - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)  # calls meanwhile join this run
                self._queued = None  # started: a later call must wait for a new run
                self._running = queued
                self._last_start = self._running_since = time.monotonic()
                try:
                    result = await self._work()
                finally:
                    self._running = None
        except BaseException as error:
            if self._queued is queued:
                self._queued = None
            if isinstance(error, Exception):
                queued.set_exception(error)
                queued.exception()  # retrieved: nobody may have joined
            else:
                queued.cancel()
            raise
        queued.set_result(result)
        return result


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One delivery's outcome, for the log and the metrics (never the notice's text).
    `outcome`: sent, failed (refused for good), retry, dropped or expired."""

    id: int
    kind: DeliveryKind
    platform: str
    coalition: int
    outcome: str
    late: bool = False


_OUTCOME = {"sent": "sent", "failed": "failed", "pending": "retry", "dropped": "dropped",
            "expired": "expired"}


@dataclass
class SendReport:
    """What one pass over the outbox did."""

    sent: list[tuple[str, int, str, int, str]] = field(default_factory=list)
    failed: int = 0    # transient: pending again, with a later try
    refused: int = 0   # for good: marked failed, shown to coordinators
    dropped: int = 0   # nothing to say any more (meeting cancelled, action done)
    expired: int = 0


class Outbox:
    """Sends the pending deliveries of the platforms that have an outlet in this process."""

    def __init__(self, *, db: Database, clock: Clock, outlets: Mapping[str, Outlet],
                 owner: str | None = None, lease: timedelta = timedelta(seconds=30),
                 retry_base: timedelta = timedelta(seconds=30),
                 retry_max: timedelta = timedelta(minutes=30),
                 site: Site | None = None) -> None:
        self.db = db
        # where the "Add to calendar" feed links of reminders point ([web] base_url)
        self.site = site if site is not None else Site()
        self.clock = clock
        self.outlets = outlets
        self.owner = owner or process_identity()
        self.lease = lease
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.stopping = False
        self._pass = Coalesced(self._send_due)
        self.marks = MarkQueue(db, self.owner)
        self._tasks: set[asyncio.Task[object]] = set()
        self.listeners: list[Callable[[DeliveryRecord], None]] = []  # after each mark
        self._untidy = 0  # marks since the last `Database.tidy()`
        self._marks = 0  # marks made by this process

    async def send_due(self, *, ready_at: float | None = None) -> SendReport:
        """One pass: every delivery due now on our platforms (joins a pass about to
        start, or one running that started after `ready_at`: see `Coalesced`). Stops
        early, between two sends, once the outbox is stopping."""
        return await self._pass(ready_at=ready_at)

    def kick(self) -> None:
        """A command wrote deliveries: send them soon, in the background."""
        if not self.stopping:
            self.spawn(self.send_due())

    def spawn(self, work: Awaitable[object]) -> None:
        """Run `work` as a task that `drain` and `stop` wait for."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if isinstance(error, StorageError):  # the file is gone or unusable: one line
            log.error("sending deliveries: %s", error.message)
        elif error is not None:
            log.error("sending deliveries failed", exc_info=error)

    async def drain(self) -> None:
        """Wait until every pass started so far has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self, grace: float) -> None:
        """Take no new work, let the sends in progress finish (at most `grace` seconds)
        and mark them. A send still running then is cancelled: its row stays claimed
        until the lease runs out, and the next start sends it again."""
        self.stopping = True
        if not self._tasks:
            return
        _, late = await asyncio.wait(list(self._tasks), timeout=max(grace, 0.0))
        if late:
            log.warning("%d send(s) still running after %.0f s at stop; they go out again "
                        "once their lease runs out", len(late), grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    # -- one pass -----------------------------------------------------------------------

    async def _send_due(self) -> SendReport:
        report = SendReport()
        if not self.outlets:  # a process serving no platform sends nothing
            return report
        started = self.clock()  # what was due then; a retry set meanwhile waits
        more = True
        while more and not self.stopping:
            batch, more = await self._claim(started, report)
            if batch:
                await self._send_batch(batch, report)
        return report

    async def _claim(self, due_by: datetime,
                     report: SendReport) -> tuple[list[_Ready], bool]:
        """Claim up to `BATCH` deliveries due by `due_by` and render them, in one short
        transaction; and whether more may be left (a whole batch was claimed: rows
        written later are sent by the pass that whoever wrote them asks for). Expired
        rows, and rows with nothing to say or nowhere to say it, are marked there and
        then. The outbox's transactions touch only its own claimed rows: on PostgreSQL
        they skip the global write lock (`exclusive=False`), so processes claim side by
        side."""
        now = self.clock()
        ready: list[_Ready] = []
        ended: list[tuple[delivery_sql.Delivery, str]] = []
        async with self.db.transaction(durable=False, exclusive=False) as conn:
            claimed_rows = await delivery_sql.claim_batch(
                conn, list(self.outlets), owner=self.owner, now=now, due_by=due_by,
                lease_until=now + self.lease, limit=BATCH)
            if not claimed_rows:
                return [], False  # nothing left, or all of it being sent elsewhere
            live = [c for c in claimed_rows if now < c.expires_at]
            ended += [(c, "expired") for c in claimed_rows if now >= c.expires_at]
            rendered = await deliveries.render_batch(conn, live, now=now, site=self.site)
            for claimed, (notice, target) in zip(live, rendered, strict=True):
                if notice is None or target is None:  # nothing to say, or nowhere to
                    ended.append((claimed, "dropped"))
                    continue
                ready.append(_Ready(claimed, target, notice,
                                    deliveries.is_late(claimed.due_at, now)))
            for claimed, status in ended:
                await delivery_sql.mark(conn, claimed.id, status, owner=self.owner, now=now)
        for claimed, status in ended:
            self._marked(Mark(claimed, status, now), held=True)
            if status == "expired":
                report.expired += 1
            else:
                report.dropped += 1
        return ready, len(claimed_rows) == BATCH

    async def _send_batch(self, batch: list[_Ready], report: SendReport) -> None:
        """Send a claimed batch: one channel's deliveries one after another, in order,
        and up to `LANES` channels at once; the claims' leases are extended meanwhile.
        Deliveries not yet begun when the outbox stops are given back at once."""
        lanes: dict[tuple[str, str, str], list[_Ready]] = {}
        for ready in batch:
            claimed = ready.claimed
            lanes.setdefault((claimed.platform, claimed.workspace_id, ready.target),
                             []).append(ready)
        held = {ready.claimed.id for ready in batch}  # claimed, not yet marked
        unsent = set(held)  # claimed, not yet begun
        gate = asyncio.Semaphore(LANES)

        async def lane(items: list[_Ready]) -> None:
            async with gate:
                for ready in items:
                    if self.stopping:
                        return
                    unsent.discard(ready.claimed.id)
                    await self._send_one(ready, report, held)

        keeper = asyncio.create_task(self._keep_lease(held))
        try:
            outcomes = await asyncio.gather(*(lane(items) for items in lanes.values()),
                                            return_exceptions=True)
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
        if unsent:  # stopping, or a lane failed: the next pass (or process) sends them
            async with self.db.transaction(durable=False, exclusive=False) as conn:
                await delivery_sql.release(conn, unsent, owner=self.owner)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _send_one(self, ready: _Ready, report: SendReport, held: set[int]) -> None:
        """Post one delivery and mark it; `held`: the claims whose leases are kept."""
        claimed = ready.claimed
        try:
            try:
                await self._post(claimed, ready.target, ready.notice)
            finally:
                held.discard(claimed.id)  # its mark comes next, well within the lease
        except DeliveryRefused as refused:
            await self._mark(Mark(claimed, "failed", self.clock(), error=refused.reason,
                                  hint=refused.hint))
            report.refused += 1
            return
        except Exception as error:  # network, 5xx, rate limit: try again later
            await self._retry_later(claimed, error)
            report.failed += 1
            return
        await self._mark(Mark(claimed, "sent", self.clock(), late=ready.late))
        report.sent.append((claimed.kind, claimed.subject_id, claimed.occurrence,
                            claimed.offset_min, claimed.platform))

    async def _retry_later(self, claimed: delivery_sql.Delivery, error: Exception) -> None:
        now = self.clock()
        wait = min(self.retry_base * 2 ** (claimed.attempts - 1), self.retry_max)
        if isinstance(error, DeliveryDeferred):
            wait = max(wait, timedelta(seconds=error.retry_after))
        reason = error.reason if isinstance(error, DeliveryDeferred) else repr(error)
        await self._mark(Mark(claimed, "pending", now, error=reason, next_try_at=now + wait))

    async def _mark(self, mark: Mark) -> None:
        """Record the outcome durably (with the other marks waiting: `MarkQueue`); every
        `TIDY_EVERY` marks (and at `TIDY_FIRST`), tidy the database in the background
        (`Database.tidy`)."""
        self._marked(mark, held=await self.marks.mark(mark))
        self._untidy += 1
        self._marks += 1
        if self._untidy >= TIDY_EVERY or self._marks in TIDY_FIRST:
            self._untidy = 0
            self.spawn(self.db.tidy())

    def _marked(self, mark: Mark, *, held: bool) -> None:
        """Log a mark made, and tell the listeners (the metrics)."""
        claimed = mark.claimed
        if not held:
            log.warning("delivery %s (%s to %s): the claim ran out before it could be marked "
                        "%s, so another process may send it again", claimed.id, claimed.kind,
                        claimed.platform, mark.status)
            return
        record = DeliveryRecord(claimed.id, claimed.kind, claimed.platform,
                                claimed.coalition_id, _OUTCOME[mark.status], mark.late)
        _log_delivery(record, claimed.attempts, mark.error,
                      mark.next_try_at - mark.now if mark.next_try_at else None)
        for listener in self.listeners:
            listener(record)

    async def _post(self, claimed: delivery_sql.Delivery, target: str,
                    notice: Notice) -> None:
        """Send through the platform's outlet."""
        outlet = self.outlets.get(claimed.platform)
        if outlet is None:  # the outlet went away since the rows were read
            raise RuntimeError(f"no outlet for {claimed.platform}")
        if target.startswith("user:"):
            await outlet.post_private(target[len("user:"):], notice,
                                      workspace_id=claimed.workspace_id)
        else:
            await outlet.post_notice(notice, target, workspace_id=claimed.workspace_id)

    async def _keep_lease(self, held: set[int]) -> None:
        """Every third of a lease (in real seconds), extend the claims still `held` by a
        whole lease."""
        speed = speed_of(self.clock)
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3 / speed)
            if not held:
                continue
            now = self.clock()
            ids = list(held)
            async with self.db.transaction(durable=False, exclusive=False) as conn:
                kept = await delivery_sql.extend_lease(conn, ids, owner=self.owner,
                                                       lease_until=now + self.lease)
            lost = sorted(i for i in ids if i not in kept and i in held)  # not sent since
            if lost:
                log.warning("deliveries %s lost their claim while being sent",
                            ", ".join(map(str, lost)))


@dataclass(frozen=True, slots=True)
class _Ready:
    """A claimed delivery, rendered, with where it goes now."""

    claimed: delivery_sql.Delivery
    target: str
    notice: Notice
    late: bool


def _log_delivery(record: DeliveryRecord, attempts: int, reason: str,
                  wait: timedelta | None) -> None:
    """One line per delivery outcome: what, where, how it ended; the platform's reason for
    a failure, never the notice's text."""
    fields = {"event": "delivery", "delivery": record.id, "kind": record.kind,
              "platform": record.platform, "coalition": record.coalition,
              "outcome": record.outcome, "attempt": attempts}
    if record.outcome in ("failed", "retry"):
        fields["reason"] = reason
        after = f", next try in {wait}" if wait is not None else ""
        log.warning("delivery %s (%s to %s, coalition %s): %s, attempt %d%s: %s", record.id,
                    record.kind, record.platform, record.coalition,
                    "refused for good" if record.outcome == "failed" else "failed",
                    attempts, after, reason, extra=fields)
    else:
        fields["late"] = record.late
        log.info("delivery %s (%s to %s, coalition %s): %s%s", record.id, record.kind,
                 record.platform, record.coalition, record.outcome,
                 " (late)" if record.late else "", extra=fields)
