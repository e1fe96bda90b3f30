"""The delivery cycle: one `tick()` turns what came due into delivery rows and sends them.

The database is the source of truth, and a tick takes its time from the bot's clock,
so tests move time without sleeping:

1. In one transaction: everything that came due since the last sweep becomes a
   `delivery` row per place it goes ('pending'; 'skipped' if older than the grace
   window, unless its kind is announced late), polls past their deadline are closed
   (their results become rows too), and the sweep mark moves on. A restart resumes
   from that mark. Rows are written for every home channel of every binding, whatever
   platforms this process serves, so the mark can move on without skipping another
   platform.
2. The bot's outbox sends every row due on the platforms this process has (claim with
   a lease, send, mark; see `coalition_bot.outbox`).

When ticks run is the timers' business (`coalition_bot.timers`).

- **Several processes** (PostgreSQL): a sweep first tries the sweep lock, reading the
  sweep mark in the same round trip (`store.coordination.take_sweep_from`); a process
  whose timer fires while another one sweeps skips its sweep (not queued behind it; its
  timers firing in the next spacing join one try then), then sweeps once more a moment
  later (`SWEEP_RETRY`) for anything that came due after the other sweep's end, and
  sends then: the process that swept sends what it wrote. The spacing
  between sweeps (`SWEEP_SPACING`) holds across processes: a process that finds the
  mark of another process's sweep less than a spacing old (in the clock's time: the
  spacing times `speed_of(clock)`) skips too, ending its transaction at once, and sweeps
  again when the spacing is over (its timers firing meanwhile join that sweep:
  `Coalesced.next_run_at`), so two processes sweep about as often as one, and
  nothing waits longer than about a spacing if the other process died just then. A
  mark is skipped for once only (a clock that stands still or runs behind cannot keep a
  process from sweeping), and a process's own mark never (it spaces its own sweeps). The
  mark is kept to the microsecond for this. A sweep that wrote rows for a platform this
  process does not serve announces them (`due`), so the processes serving it send them
  at once; rows it can send it sends itself, telling nobody (`tick(for_due_time=)`).
- **Statements** (each one costs client CPU on PostgreSQL): a sweep reads the open
  actions (due, and the reminder ahead) in one query, the open polls once (they give
  the poll-closing reminders and tell whether one is past its deadline: `Found`), the
  home channels of every coalition with something due in one (`home_targets_of`), and
  moves the series' marks in one statement (`Dialect.batch_statements`): 14 statements
  a sweep that writes rows, BEGIN and COMMIT included, where there were 18 and one more
  per coalition with something due; a sweep skipped is 3 (BEGIN, lock and mark, COMMIT).
  The ticks that joined one sweep then join the send pass that started after it
  (`Coalesced(ready_at=)`): a pass queued behind it would find nothing, three statements
  (two processes at 3 ms apart: 45 % of the claims found nothing, now about 20 %).

- **Cost: only series with something coming are read.** Each series keeps
  `meeting.next_remind_at` (migration 0006, indexed): the earliest its next reminder can
  be. It is only ever early, never late: no reminder of the series falls between the
  sweep mark and it. A sweep reads the series whose mark is before the sweep's end (or
  unknown: NULL), finds their reminders in the window, and moves each mark to the
  series' next reminder after the window (or, when none comes within a week,
  `REMIND_LOOKAHEAD`, half a week to a week on, spread by the series' id so that the
  series read together are not all read again in one sweep: `look_again`). SQL
  triggers set the mark back to NULL whenever the series (start, rule, end, duration,
  offsets, zone, cancelled) or one of its occurrences (`meeting_change`) changes, so no
  code path, present or future, can leave it stale.
  A tick with nothing due reads no series: with 10 000 series a lone reminder goes out
  2-4 ms after its time (it was 150–265 ms when every tick expanded every series),
  and a burst of 10 000 reminders 3 ms apart, each marked durably, p99 under 30 ms
  (bench/scheduler_bench.py; bench/README.md has the figures).
  `plan(coalition)` after a command reads only that coalition's series.
  `tests/test_scheduler_marks.py` checks, tick by tick through random schedules and
  changes, that the marked sweep creates exactly what expanding every series finds.
- **Time** comes from one injectable clock. Tests pass a movable clock and call `tick()`;
  `COALITION_BOT_CLOCK="ISO,EPOCH,SPEED"` gives the console and `run` a shifted clock
  running SPEED times real time (`WarpClock`), which the scheduler also uses to time its
  jobs: that is how the kill -9 test sees a reminder a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from coalition_bot.bot import Bot
from coalition_bot.clock import speed_of
from coalition_bot.outbox import Coalesced, SendReport
from coalition_bot.services import deliveries
from coalition_bot.services.delivery_kinds import home_targets_of, kind_of
from coalition_bot.services.meetings import Due
from coalition_bot.store import coordination
from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store.database import Conn

__all__ = ["EPSILON", "SWEEP_RETRY", "DeliveryCycle", "TickReport"]

log = logging.getLogger(__name__)

EPSILON = timedelta(milliseconds=1)
SWEEP_RETRY = 0.5  # real seconds after a sweep skipped because another process swept
# real seconds: a sweep starts at least this long after the previous one, and the timers
# fired meanwhile join it (a sweep costs about a millisecond; 10 000 reminders 3 ms apart
# then cost about a third as many sweeps, at most this much later each)
SWEEP_SPACING = 0.01


@dataclass
class TickReport(SendReport):
    """What one tick did, for tests, benchmarks and the log."""

    created: int = 0
    skipped: int = 0
    closed_polls: int = 0
    swept: bool = True  # False: another process was sweeping, so this one skipped
    # time.monotonic() when its sweep ended: a send pass started since sees its rows
    ended: float = field(default=float("-inf"), repr=False, compare=False)


class DeliveryCycle:
    """Sweeps what came due into delivery rows and sends them through the bot's outbox,
    exactly once across restarts and processes."""

    def __init__(self, bot: Bot, *, grace: timedelta, poll_reminder: timedelta,
                 lookback: timedelta) -> None:
        self.bot = bot
        self.clock = bot.clock
        self.grace = grace
        self.poll_reminder = poll_reminder
        self.lookback = lookback
        self._sweeps = Coalesced(self._run_sweep, spacing=SWEEP_SPACING)
        self.last_sweep: float | None = None  # time.monotonic() of the last sweep done
        self._retry_at: float | None = None  # time.monotonic() of the sweep again planned
        self._wrote: datetime | None = None  # the sweep mark this process last wrote
        self._spaced_by: datetime | None = None  # the mark a sweep was last skipped for

    async def tick(self, *, for_due_time: bool = False) -> TickReport:
        """Create what came due, then send what is due on our platforms.

        A tick run for a due time (`for_due_time`: a timer) whose sweep another process
        made or is making sends nothing: that process sends what it swept for the
        platforms it serves and announces the rest (`_write_rows`), and the sweep this
        process plans again when it skips (`_sweep_again`) sends then. So two processes
        do not both claim after every sweep, one of them finding nothing (three round
        trips each). The periodic tick, a catch-up and a retry always send.

        A sweep asked for while another one waits to start joins that one: a sweep that
        starts after a due time finds it, so a burst of timers (a thousand reminders at
        18:00) costs one sweep, not a thousand in a row. The send pass is the outbox's,
        coalesced the same way: a tick whose sweep ends while a pass runs joins the pass
        queued after it, so the next sweep never waits for the sends (a slow platform,
        a long backlog) and rows it writes are claimed by the very next pass."""
        swept = await self._sweeps()
        if for_due_time and not swept.swept:
            return swept
        sent = await self.bot.outbox.send_due(ready_at=swept.ended)  # ticks that shared
        # a sweep share the pass that started after it (see `Coalesced`)
        report = TickReport(sent=list(sent.sent), failed=sent.failed, refused=sent.refused,
                            dropped=sent.dropped, expired=sent.expired,
                            created=swept.created, skipped=swept.skipped,
                            closed_polls=swept.closed_polls, swept=swept.swept)
        if report.sent or report.failed or report.skipped or report.refused:
            log.info("tick: %s", report)
        return report

    async def _run_sweep(self) -> TickReport:
        report = TickReport()
        again = await self._sweep(self.clock(), report)
        report.swept = again is None
        if again is not None:
            self._sweep_again(again)
        self.last_sweep = report.ended = time.monotonic()  # skipped: another swept now
        return report

    def _sweep_again(self, wait: float) -> None:
        """After a skipped sweep: sweep again in `wait` real seconds (unless a sweep
        again is planned sooner), for what came due after the other process's sweep."""
        at = time.monotonic() + wait
        if self._retry_at is not None and self._retry_at <= at:
            return
        self._retry_at = at
        self.bot.outbox.spawn(self._retry(at))

    async def _retry(self, at: float) -> None:
        await asyncio.sleep(max(at - time.monotonic(), 0.0))
        if self._retry_at != at:  # a sooner one replaced this one, and ran
            return
        self._retry_at = None
        if not self.bot.outbox.stopping:
            await self.tick()

    def _spacing_left(self, start: coordination.SweepStart, now: datetime) -> float | None:
        """Real seconds until a sweep may follow the last one, when another process made
        that one less than `SWEEP_SPACING` ago (this process spaces its own: `Coalesced`);
        None: sweep now. A mark already skipped for once is not skipped for again, so a
        clock that stands still (tests) or runs behind another machine's cannot keep a
        process from sweeping."""
        mark = start.swept_to
        if not start.shared or mark is None or mark in (self._wrote, self._spaced_by):
            return None
        speed = speed_of(self.clock)
        since = (now - (mark - EPSILON)).total_seconds() / speed  # real seconds
        if abs(since) >= SWEEP_SPACING:
            return None
        self._spaced_by = mark
        return SWEEP_SPACING - since

    async def _sweep(self, now: datetime, report: TickReport) -> float | None:
        """Sweep into rows what came due up to `now`; or, doing nothing, the real seconds
        after which to try again: another process holds the sweep lock (`SWEEP_RETRY`),
        or swept less than `SWEEP_SPACING` ago (the rest of the spacing)."""
        # The sweep writes only what the next sweep would write again (rows keyed
        # uniquely, and its mark): it commits without an fsync, like a claim. A power
        # loss can only undo it whole, before the next durable commit (a mark, a
        # command) makes it durable too, as the journal keeps commits in order; nothing
        # was sent from it by then. One fsync per delivery (its mark), not one per tick
        # as well. Closing a poll is a decision: polls past their deadline are closed in
        # a durable transaction of their own, only when there are some.
        async with self.bot.db.transaction(durable=False, exclusive=False) as conn:
            start = await coordination.take_sweep_from(conn)  # and the mark, one round trip
            if not start.taken:  # another process is sweeping now: the timers firing in
                # the next spacing join one sweep then, not one try each (3 statements)
                self._sweeps.next_run_at(time.monotonic() + SWEEP_SPACING)
                return SWEEP_RETRY
            wait = self._spacing_left(start, now)
            if wait is not None:  # the timers firing till the spacing is over join the
                self._sweeps.next_run_at(time.monotonic() + wait)  # sweep made then
                return wait  # ends the transaction at once: it wrote nothing
            # from the second the last sweep ended in: every other time is stored to the
            # second, so an item made just after that sweep, due at once, reads back as
            # due before the mark's microseconds (rows are unique: none is written twice)
            since = (start.swept_to or now).replace(microsecond=0)
            since = min(max(since, now - self.lookback), now)
            found = await deliveries.find_due(conn, since, now + EPSILON, self.poll_reminder,
                                              sweep=True, marked_from=start.swept_to)
            await self._write_rows(conn, found.due, now, report)
            await delivery_sql.set_swept_to(conn, now + EPSILON)
            self._wrote = now + EPSILON
        if found.polls_past_deadline(now):
            async with self.bot.db.transaction(exclusive=False) as conn:
                if not await coordination.take_sweep(conn):
                    return None  # the other process closes them
                closed = await deliveries.close_overdue_polls(conn, now)
                report.closed_polls = len(closed)
                await self._write_rows(conn, closed, now, report)
        return None

    async def _write_rows(self, conn: Conn, due: list[Due], now: datetime,
                          report: TickReport) -> None:
        """A delivery row per place each due item goes ('skipped' when older than the
        grace window, unless its kind is announced late); announces new rows."""
        created = report.created
        # the home channels of every coalition with an item due, in one query
        homes = await home_targets_of(conn, {item.coalition_id for item in due
                                             if kind_of(item.kind).to_home_channels})
        rows: list[delivery_sql.NewDelivery] = []
        for item in due:
            kind = kind_of(item.kind)
            too_old = now - item.at > self.grace and not kind.announced_late
            targets = (homes[item.coalition_id] if kind.to_home_channels
                       else await kind.targets(conn, item))
            rows += [delivery_sql.NewDelivery(
                item.coalition_id, item.kind, item.subject_id, item.occurrence,
                item.offset_min, target.platform, target.workspace_id, target.key, item.at,
                kind.expiry(item, now), "skipped" if too_old else "pending")
                for target in targets]
        for status in await delivery_sql.create_many(conn, rows, now):
            report.skipped += status == "skipped"
            report.created += status == "pending"
        served = self.bot.outbox.outlets
        if report.created > created and any(
                r.platform not in served for r in rows if r.status == "pending"):
            await coordination.announce_due(conn)  # this process sends its own
