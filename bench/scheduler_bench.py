"""Scheduler lateness for 10 000 reminders, and start-up with 10 000 meetings.

Run by hand:  python bench/scheduler_bench.py

The database: 100 coalitions in four time zones, each bound to a home channel, and
10 000 biweekly meeting series (one reminder each) that started up to 26 weeks ago, the
way months of use leave them: built with sqlite3 directly, after the migrations.
(Biweekly, so that the run's 7 bot-days hold exactly one reminder of each series.)

1. Lateness, with the real APScheduler and the real Scheduler (sweep, claim, render,
   send through a recording outlet, mark): the 10 000 reminders come due one per
   bot-minute, each at its own minute. A WarpClock runs 20 000 times real time, so they
   come 3 ms apart in real time and the run takes half a minute (in production, 10 000
   series a week remind about once a minute). What is measured is REAL time: the moment
   the outlet got a reminder minus the real moment the bot's clock showed its due time.
   (Measured in bot time, every millisecond of work would count 20 000 times.) The
   compression is pessimistic in one way: work that would be a minute apart overlaps.
   So the bench also prints how long each tick took, which is what lateness is made of at
   any speed. Settings that are real-time in production are kept real-time: the safety sweep
   every 30 real seconds, the grace window an hour, the outbox's 30-second claim lease
   (extended every 10 real seconds), the 3-hourly re-plan moved out of the run (its cost is
   printed; the plan at start-up covers the whole run). The reminder is 24 hours before each
   meeting; a reminder expires at its meeting's start, which at this speed is 4.3 real
   seconds after its due time: one later than that is counted as missing.
   Also printed: the send-to-mark time of every reminder (the at-least-once window:
   the outlet took the post and its mark is not yet committed) and how many durable
   commits the marks took.
   Baseline, same run: APScheduler alone (AsyncIOScheduler) firing 10 000 date jobs on
   the same real schedule, each job only noting the time.
2. Start-up: a new process opens the database and starts the Scheduler (recovery, the
   first tick, and plan(), which plans a tick at every due time in the next 6 hours);
   the time from spawning the process to start() returning, and the peak RSS. Baseline:
   the same with an empty database. Real time (no warp), an hour before the first
   reminder of the run, so that plan() finds 300 due times ahead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from common import goal, machine, pct

MEETINGS = 10_000
COALITIONS = 100
ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo")
AGE_WEEKS = 26
OFFSET_MIN = 1440  # 24 hours, the first of the default reminders (24h,1h)
T0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # the first reminder of the run is due
# bot time runs this many times real time; COALITION_BENCH_SPEED=2000 (with --pg-two)
# spreads the same reminders 30 ms apart
SPEED = float(os.environ.get("COALITION_BENCH_SPEED", "20000"))
LEAD = 10.0  # real seconds from the clock's start to the first due reminder
STARTUP_RUNS = 3
GIVE_UP = 20.0  # real seconds after the last due time: a reminder not delivered is missing


def due(i: int) -> datetime:
    return T0 + timedelta(minutes=i)


async def build(path: Path) -> None:
    """The migrated schema, then coalitions, bindings and meetings by plain SQL."""
    from coalition_bot.bot import Bot

    bot = await Bot.open(path)
    await bot.close()
    made = "2026-05-01T12:00:00+00:00"
    con = sqlite3.connect(path)
    with con:
        for c in range(1, COALITIONS + 1):
            con.execute("INSERT INTO coalition (id, name, timezone, created_at) VALUES "
                        "(?, ?, ?, ?)", (c, f"Coalition {c}", ZONES[c % len(ZONES)], made))
            con.execute("INSERT INTO binding (coalition_id, platform, workspace_id, "
                        "home_channel_id, created_at) VALUES (?, 'bench', ?, ?, ?)",
                        (c, f"W{c}", f"HOME{c}", made))
        rows = []
        for i in range(MEETINGS):
            c = 1 + i % COALITIONS
            zone = ZoneInfo(ZONES[c % len(ZONES)])
            start = (due(i) + timedelta(minutes=OFFSET_MIN)).astimezone(zone)
            first = start.replace(tzinfo=None) - timedelta(weeks=2 * (i % (AGE_WEEKS // 2)))
            rows.append((c, 1 + i // COALITIONS, f"Meeting {i}", zone.key,
                         first.strftime("%Y-%m-%dT%H:%M"), "FREQ=WEEKLY;INTERVAL=2", 60,
                         str(OFFSET_MIN), made))
        con.executemany(
            "INSERT INTO meeting (coalition_id, number, title, timezone, start_local, rrule,"
            " duration_min, remind_min, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.executemany("INSERT INTO number_seq (coalition_id, kind, last) VALUES "
                        "(?, 'meeting', ?)", [(c, MEETINGS // COALITIONS)
                                              for c in range(1, COALITIONS + 1)])
    con.close()  # the last connection: the WAL goes into the file, which is copied later


class Stamp:
    """The outlet: notes the real time each meeting's reminder arrived."""

    platform = "bench"

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.got: dict[int, float] = {}
        self.extra = 0
        self.done = asyncio.Event()

    async def post_notice(self, notice: Any, channel_id: str, *,
                          workspace_id: str = "") -> None:
        at = time.time()
        found = re.search(r"Meeting (\d+)", notice.title)
        if found is None or int(found[1]) in self.got:
            self.extra += 1
            return
        self.got[int(found[1])] = at
        if len(self.got) >= self.expected:
            self.done.set()

    async def post_private(self, user_id: str, notice: Any, *,
                           workspace_id: str = "") -> None:
        self.extra += 1


def real_due(anchor: datetime, anchor_real: float, when: datetime) -> float:
    return anchor_real + (when - anchor).total_seconds() / SPEED


async def aps_alone() -> list[float]:
    """APScheduler firing MEETINGS date jobs on the run's real schedule; lateness in ms."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    anchor, anchor_real = T0 - timedelta(seconds=LEAD * SPEED), time.time()
    late: list[float] = []
    finished = asyncio.Event()

    async def job(at: float) -> None:
        late.append((time.time() - at) * 1000)
        if len(late) == MEETINGS:
            finished.set()

    aps = AsyncIOScheduler(timezone=UTC)
    for i in range(MEETINGS):
        at = real_due(anchor, anchor_real, due(i))
        aps.add_job(job, "date", run_date=datetime.fromtimestamp(at, UTC), args=(at,),
                    id=f"job{i}", misfire_grace_time=None)
    aps.start()
    await asyncio.wait_for(finished.wait(), LEAD + MEETINGS * 60 / SPEED + 60)
    aps.shutdown(wait=False)
    return late


def timed(samples: list[float], fn: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            samples.append((time.perf_counter() - start) * 1000)
    return wrapper


async def warped(target: Path | str, clock: Any) -> tuple[Any, Stamp, Any]:
    """The bot (on a file or a PostgreSQL URL), its outlet and the Scheduler of a lateness
    run on `clock` (a WarpClock at SPEED): the settings that are real time in production
    stay real time (the grace window, the periodic sweep, the claim's 30 s lease).

    The timers are planned once, at start, over a horizon that reaches past the last
    reminder (the periodic re-plan is moved out of the run: `start_as_run`). A fixed
    12 days did not: with --pg-two's 40 s lead (9 bot-days at x20 000) the reminders
    after the first ~4 400 had no timer, waited for the 30 s periodic sweep and expired,
    which is most of what sessions 5 and 6 counted as missing there."""
    from coalition_bot.bot import Bot
    from coalition_bot.scheduler import Scheduler

    bot = await Bot.open(target, clock=clock)
    bot.outbox.lease *= SPEED  # bot time: 30 s would be 1.5 real ms at x20 000
    outlet = Stamp(MEETINGS)
    bot.add_outlet(outlet)
    horizon = max(timedelta(days=12), due(MEETINGS - 1) - clock() + timedelta(days=1))
    scheduler = Scheduler(bot, grace=timedelta(hours=1) * SPEED, sweep_every=30 * SPEED,
                          horizon=horizon)
    return bot, outlet, scheduler


async def start_as_run(scheduler: Any) -> float:
    """Start the Scheduler, then settle the heap as `coalition-bot run` does once it
    serves (gc.freeze); the 3-hourly re-plan is moved out of the run. Seconds start()
    took."""
    from coalition_bot.cli import settle_heap

    started = time.time()
    await scheduler.start()
    took = time.time() - started
    settle_heap()
    scheduler._aps.reschedule_job("replan", trigger="interval", seconds=3600)
    return took


async def ours(path: Path) -> dict[str, Any]:
    from coalition_bot.bot import Bot
    from coalition_bot.clock import WarpClock
    from coalition_bot.scheduler import Scheduler

    clock = WarpClock(T0 - timedelta(seconds=LEAD * SPEED), time.time(), SPEED)
    bot, outlet, scheduler = await warped(path, clock)
    marked: dict[int, float] = {}  # delivery id -> real time its mark was committed
    bot.outbox.listeners.append(lambda record: marked.setdefault(record.id, time.time()))
    sweeps: list[float] = []
    ticks: list[float] = []
    plans: list[float] = []
    scheduler._sweep = timed(sweeps, scheduler._sweep)  # type: ignore[method-assign]
    scheduler.tick = timed(ticks, scheduler.tick)  # type: ignore[method-assign]
    scheduler.plan = timed(plans, scheduler.plan)  # type: ignore[method-assign]
    start_s = await start_as_run(scheduler)
    aps = scheduler._aps
    assert aps is not None
    planned = len(scheduler.timers.planned())
    try:
        # until every reminder came, or GIVE_UP real seconds after the last one was due
        # (the next reminders of these biweekly series come due 60 real seconds after the
        # first of the run; the run must end before them)
        last = real_due(clock.anchor, clock.anchor_real, due(MEETINGS - 1))
        await asyncio.wait_for(outlet.done.wait(), last + GIVE_UP - time.time())
    except TimeoutError:
        pass
    missing = MEETINGS - len(outlet.got)
    late = [(outlet.got[i] - real_due(clock.anchor, clock.anchor_real, due(i))) * 1000
            for i in outlet.got]
    # stop without waiting for ticks still queued behind the lock
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
    aps.shutdown(wait=False)
    scheduler._aps = None
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
    with sqlite3.connect(path) as con:
        states = dict(con.execute("SELECT status, count(*) FROM delivery GROUP BY status"))
        # the at-least-once window: from the outlet taking a post to its mark committed
        numbers = {mid: int(title.split()[-1]) for mid, title
                   in con.execute("SELECT id, title FROM meeting")}
        window = [(marked[did] - outlet.got[numbers[mid]]) * 1000 for did, mid
                  in con.execute("SELECT id, subject_id FROM delivery")
                  if did in marked and numbers[mid] in outlet.got]
    commits = (bot.outbox.marks.commits, bot.outbox.marks.marks)
    await bot.close()
    # one plan() over the default 6 hours, as the 3-hourly re-plan does it
    bot = await Bot.open(path, clock=lambda: T0)
    six = Scheduler(bot)
    six._aps = aps.__class__(timezone=UTC)  # a scheduler not started: add_job only queues
    start = time.perf_counter()
    jobs6 = await six.plan()
    replan_ms = (time.perf_counter() - start) * 1000
    six.timers._disarm()  # nothing is to fire from this measurement
    await bot.close()
    return {"late": late, "missing": missing, "extra": outlet.extra, "sweeps": sweeps,
            "ticks": ticks, "plans": plans, "start_s": start_s, "planned": planned,
            "states": states, "replan_ms": replan_ms, "replan_jobs": jobs6,
            "window": window, "commits": commits}


async def commit_floor(folder: Path, rows: int = 500) -> list[float]:
    """A single-row INSERT + durable COMMIT through aiosqlite on a file in `folder`, with
    the bot's pragmas (WAL, synchronous=FULL), ms each: what one delivery's mark costs at
    least (its fsync and the hop to aiosqlite's thread), measured beside the run."""
    import aiosqlite

    path = folder / f"floor-{time.time_ns()}.db"
    took = []
    async with aiosqlite.connect(path, isolation_level=None) as con:
        await con.execute("PRAGMA journal_mode = WAL")
        await con.execute("PRAGMA synchronous = FULL")
        await con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)")
        for i in range(rows):
            start = time.perf_counter()
            await con.execute("BEGIN IMMEDIATE")
            await con.execute("INSERT INTO t (x) VALUES (?)", (str(i),))
            await con.execute("COMMIT")
            took.append((time.perf_counter() - start) * 1000)
    return took


async def alone(path: Path, samples: int = 20) -> list[float]:
    """Production spacing: one reminder due, alone; ms from tick() to the outlet."""
    from coalition_bot.bot import Bot
    from coalition_bot.scheduler import Scheduler

    now = [due(0) - timedelta(seconds=1)]
    bot = await Bot.open(path, clock=lambda: now[0])
    outlet = Stamp(MEETINGS)
    bot.add_outlet(outlet)
    scheduler = Scheduler(bot)
    out = []
    for k in range(samples):
        i = 50 * (k + 1)
        now[0] = due(i) - timedelta(seconds=1)
        await scheduler.tick()  # catch up to a second before: not measured
        now[0] = due(i)
        start = time.time()
        await scheduler.tick()
        if i in outlet.got:
            out.append((outlet.got[i] - start) * 1000)
    await bot.close()
    return out


# ---- start-up, in a new process ----------------------------------------------------------


def startup_child(path: str) -> None:
    async def go() -> None:
        from coalition_bot.bot import Bot
        from coalition_bot.clock import WarpClock
        from coalition_bot.scheduler import Scheduler

        # real time, an hour before the first reminder of the week: the next 6 hours
        # hold 300 of them, as they would at any time of a busy week
        bot = await Bot.open(path, clock=WarpClock(T0 - timedelta(hours=1), time.time()))
        bot.add_outlet(Stamp(0))
        scheduler = Scheduler(bot)
        await scheduler.start()
        ready = time.time()
        jobs = len(scheduler.timers.planned())
        rss = peak_rss_mb()
        print(json.dumps({"ready": ready, "rss_mb": rss, "jobs": jobs}), flush=True)
        await scheduler.stop()
        await bot.close()

    asyncio.run(go())


def peak_rss_mb() -> float:
    """This process's peak RSS. /proc's VmHWM starts afresh at exec; getrusage's
    ru_maxrss may keep the peak of the parent that forked it (the bench, which holds
    the rows it built)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def startup(path: Path) -> tuple[float, float, int]:
    """(seconds from spawn to Scheduler.start() done, peak RSS MB, jobs), median of runs."""
    runs = []
    for _ in range(STARTUP_RUNS):
        copy = path.with_name(f"startup-{path.name}")
        shutil.copy(path, copy)
        spawned = time.time()
        out = subprocess.run([sys.executable, __file__, "--startup", str(copy)],
                             capture_output=True, text=True, check=True)
        seen = json.loads(out.stdout.strip().splitlines()[-1])
        runs.append((seen["ready"] - spawned, seen["rss_mb"], seen["jobs"]))
        copy.unlink()
    runs.sort()
    return runs[len(runs) // 2]


def ms(values: list[float]) -> str:
    return (f"p50 {pct(values, 50):8.1f} ms  p99 {pct(values, 99):8.1f} ms  "
            f"max {max(values):8.1f} ms")


async def main() -> None:
    print(machine())
    work = Path(tempfile.mkdtemp(prefix="scheduler-bench-"))
    try:
        db = work / "coalition.db"
        started = time.perf_counter()
        await build(db)
        empty = work / "empty.db"
        from coalition_bot.bot import Bot

        await (await Bot.open(empty)).close()
        print(f"built {MEETINGS} biweekly meeting series in {COALITIONS} coalitions in "
              f"{time.perf_counter() - started:.1f} s")
        boot_full = startup(db)
        boot_empty = startup(empty)
        single = work / "alone.db"
        shutil.copy(db, single)
        lone = await alone(single)
        base = await aps_alone()
        floor = await commit_floor(work)
        run = await ours(db)
        floor_after = await commit_floor(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    late = run["late"]
    print(f"\n1. lateness of {MEETINGS} reminders, one per bot-minute, clock x{SPEED:.0f} "
          f"(3 ms apart in real time), real time measured")
    print(f"   baseline: APScheduler alone, {MEETINGS} date jobs:   {ms(base)}")
    print(f"   floor: INSERT + durable COMMIT (aiosqlite, WAL, FULL), before the run: "
          f"{ms(floor)}; after: {ms(floor_after)}")
    print(f"   (each delivery's mark is one durable commit: at 3 ms apart the disk must "
          f"commit in under 3 ms, p50 before/after {pct(floor, 50):.1f}/"
          f"{pct(floor_after, 50):.1f} ms here)")
    if late:
        print(f"   ours: sweep, claim, render, outlet, mark:         {ms(late)}   "
              f"ratio p50 {pct(late, 50) / max(pct(base, 50), 1e-3):.0f}x, "
              f"p99 {pct(late, 99) / max(pct(base, 99), 1e-3):.0f}x")
    print(f"   delivered {len(late)}, missing {run['missing']} (not delivered within "
          f"{GIVE_UP:.0f} s of the last due time, or expired at its meeting's start), "
          f"duplicates/other {run['extra']}; delivery rows: {run['states']}")
    print(f"   send to mark (the at-least-once window: the outlet took the post, its mark "
          f"not yet committed): {ms(run['window'])}; {run['commits'][1]} marks in "
          f"{run['commits'][0]} durable commits")
    print(f"   timers fired: {len(run['ticks'])}; sweeps run: {len(run['sweeps'])} (find what "
          f"came due): {ms(run['sweeps'])}")
    print(f"   Scheduler.start() at x{SPEED:.0f} (plan over 12 days: {run['planned']} jobs): "
          f"{run['start_s']:.1f} s; one plan() over the default 6 h "
          f"({run['replan_jobs']} due items): {run['replan_ms']:.0f} ms")
    print(f"   one reminder due alone (production spacing, no warp): tick() to outlet "
          f"{ms(lone)}  ({len(lone)} samples)")
    ok = bool(late) and run["missing"] == 0 and pct(late, 99) <= 50
    print(f"   goal: p99 <= 50 ms -> {goal(ok)}")
    (t_full, rss_full, jobs_full), (t_empty, rss_empty, _) = boot_full, boot_empty
    print(f"\n2. start-up (new process to Scheduler.start() done; median of {STARTUP_RUNS})")
    print(f"   baseline: empty database:        {t_empty:5.2f} s   peak RSS {rss_empty:6.1f} MB")
    print(f"   {MEETINGS} meeting series:         {t_full:5.2f} s   peak RSS {rss_full:6.1f} MB"
          f"   ratio {t_full / t_empty:.1f}x time, {rss_full / rss_empty:.1f}x RSS; "
          f"{jobs_full} due times planned")
    print(f"   goal: <= 2 s -> {goal(t_full <= 2)}; <= 150 MB -> {goal(rss_full <= 150)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--startup"]:
        startup_child(sys.argv[2])
    elif sys.argv[1:2] in (["--big"], ["--pg-two"], ["--pg-child"]):
        import scheduler_scale  # issue 15: 100 000 series; two processes on PostgreSQL

        scheduler_scale.main(sys.argv[1:])
    else:
        asyncio.run(main())
