"""Issue 15's scheduler figures at scale, on SQLite and on PostgreSQL.

Run by hand (from the repository root, the project's venv):
    python bench/scheduler_bench.py --big      # start-up, 100 000 series, both engines
    python bench/scheduler_bench.py --pg-two   # lateness, two processes on PostgreSQL

PostgreSQL is the server named in COALITION_BOT_TEST_PG, else a throwaway cluster started
by tests/postgres_cluster.py (Debian's server; that cluster runs with fsync=off, so its
commits cost what the floor below says, not a disk's fsync).

1. `--big`: start-up with 100 000 meeting series in 10 000 coalitions (ten each, one home
   channel each), biweekly, their reminders spread evenly over the fortnight, the way
   months of use leave them: each series' next-reminder mark set and the sweep mark a
   minute old (the bot was running until a minute ago). A new process opens the database
   and starts the Scheduler (recovery, the first tick, plan() over 6 hours: ~1 800 due
   times); time from spawn to start() done, and peak RSS. Baseline in the same run: an
   empty database on the same engine. Goal: <= 2 s and <= 200 MB per process.
2. `--pg-two`: the 10 000 reminders of scheduler_bench.py (3 ms apart at x20 000) on one
   PostgreSQL database, served by TWO processes, each with the real Scheduler and
   APScheduler; lateness from the real due moment to the outlet, in whichever process
   sent it; each reminder must arrive exactly once across both. Floors in the same run:
   APScheduler alone, and a single-row INSERT + COMMIT through psycopg (async).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # postgres_cluster

BIG_SERIES = 100_000
BIG_COALITIONS = 10_000
FORTNIGHT_MIN = 14 * 24 * 60
MADE = "2026-05-01T12:00:00+00:00"
PG_ENV = "COALITION_BOT_TEST_PG"


# ---- PostgreSQL: a server, and a database per use ---------------------------------------


class Server:
    """The PostgreSQL server the bench uses: COALITION_BOT_TEST_PG, or a throwaway one."""

    def __init__(self) -> None:
        self.cluster: Any = None
        url = os.environ.get(PG_ENV)
        if not url:
            import postgres_cluster

            self.cluster = postgres_cluster.start()
            url = self.cluster.url
        self.url = url
        self.note = ("server from " + PG_ENV if os.environ.get(PG_ENV) else
                     "throwaway cluster (tests/postgres_cluster.py, fsync=off)")

    def database(self, name: str) -> str:
        """A new, empty database `name` on the server; its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        base, _, query = self.url.partition("?")
        head = base.rsplit("/", 1)[0]
        return f"{head}/{name}" + (f"?{query}" if query else "")

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()


# ---- the rows --------------------------------------------------------------------------


def big_due(i: int) -> datetime:
    """Series i's reminder in the fortnight of the run (five a bot-minute)."""
    from scheduler_bench import T0

    return T0 + timedelta(minutes=i * FORTNIGHT_MIN // BIG_SERIES)


def series_rows(count: int, coalitions: int, due: Any, *, marked: bool
                ) -> Iterator[tuple[Any, ...]]:
    """(id, coalition, number, title, zone, start_local, rrule, duration, remind_min,
    created_at, next_remind_at): biweekly series whose reminder in the run is `due(i)`."""
    from scheduler_bench import AGE_WEEKS, OFFSET_MIN, ZONES

    from coalition_bot.store.rows import iso

    for i in range(count):
        c = 1 + i % coalitions
        zone = ZoneInfo(ZONES[c % len(ZONES)])
        start = (due(i) + timedelta(minutes=OFFSET_MIN)).astimezone(zone)
        first = start.replace(tzinfo=None) - timedelta(weeks=2 * (i % (AGE_WEEKS // 2)))
        yield (i + 1, c, 1 + i // coalitions, f"Meeting {i}", zone.key,
               first.strftime("%Y-%m-%dT%H:%M"), "FREQ=WEEKLY;INTERVAL=2", 60,
               str(OFFSET_MIN), MADE, iso(due(i)) if marked else None)


def coalition_rows(coalitions: int) -> Iterator[tuple[Any, ...]]:
    from scheduler_bench import ZONES

    for c in range(1, coalitions + 1):
        yield (c, f"Coalition {c}", ZONES[c % len(ZONES)], MADE)


MEETING_COLUMNS = ("id, coalition_id, number, title, timezone, start_local, rrule,"
                   " duration_min, remind_min, created_at, next_remind_at")


async def fill(target: str, count: int, coalitions: int, due: Any, *, marked: bool,
               swept_to: datetime | None) -> None:
    """Migrate `target` (a file or a URL), then write the coalitions, their home
    channels and the series with plain SQL (COPY on PostgreSQL)."""
    from coalition_bot.bot import Bot
    from coalition_bot.store.dialect import is_postgres_url
    from coalition_bot.store.rows import iso

    await (await Bot.open(target)).close()
    if not coalitions:
        return
    bindings = [(c, f"W{c}", f"HOME{c}", MADE) for c in range(1, coalitions + 1)]
    seqs = [(c, -(-count // coalitions)) for c in range(1, coalitions + 1)]
    state = [(1, iso(swept_to))] if swept_to is not None else []
    if is_postgres_url(target):
        import psycopg

        with psycopg.connect(target) as con, con.cursor() as cur:
            for table, columns, rows in (
                    ("coalition", "id, name, timezone, created_at", coalition_rows(coalitions)),
                    ("binding", "coalition_id, workspace_id, home_channel_id, created_at",
                     iter(bindings)),
                    ("meeting", MEETING_COLUMNS,
                     series_rows(count, coalitions, due, marked=marked)),
                    ("number_seq", "coalition_id, last", iter(seqs)),
                    ("scheduler_state", "id, swept_to", iter(state))):
                extra = {"binding": ", platform", "number_seq": ", kind"}.get(table, "")
                fixed = {"binding": ("bench",), "number_seq": ("meeting",)}.get(table, ())
                with cur.copy(f"COPY {table} ({columns}{extra}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row((*row, *fixed))
            for table in ("coalition", "meeting", "binding"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                            f" (SELECT max(id) FROM {table}))")
            cur.execute("ANALYZE")
        return
    import sqlite3

    con = sqlite3.connect(target)
    with con:
        con.executemany("INSERT INTO coalition (id, name, timezone, created_at) VALUES"
                        " (?, ?, ?, ?)", coalition_rows(coalitions))
        con.executemany("INSERT INTO binding (coalition_id, platform, workspace_id,"
                        " home_channel_id, created_at) VALUES (?, 'bench', ?, ?, ?)", bindings)
        con.executemany(f"INSERT INTO meeting ({MEETING_COLUMNS}) VALUES"
                        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        series_rows(count, coalitions, due, marked=marked))
        con.executemany("INSERT INTO number_seq (coalition_id, kind, last) VALUES"
                        " (?, 'meeting', ?)", seqs)
        con.executemany("INSERT INTO scheduler_state (id, swept_to) VALUES (?, ?)", state)
    con.close()


# ---- 1. start-up with 100 000 series ---------------------------------------------------


def startup_runs(target: str, runs: int) -> tuple[float, float, int]:
    """(seconds from spawn to Scheduler.start() done, peak RSS MB, jobs), median of runs.
    An SQLite file is copied for each run; a PostgreSQL database is used as it is (a
    start-up an hour before the first reminder changes nothing in it)."""
    import shutil

    from coalition_bot.store.dialect import is_postgres_url

    found = []
    for _ in range(runs):
        use = target
        if not is_postgres_url(target):
            use = str(Path(target).with_name("startup-" + Path(target).name))
            shutil.copy(target, use)
        spawned = time.time()
        out = subprocess.run([sys.executable, str(HERE / "scheduler_bench.py"), "--startup",
                              use], capture_output=True, text=True, check=True)
        seen = json.loads(out.stdout.strip().splitlines()[-1])
        found.append((seen["ready"] - spawned, seen["rss_mb"], seen["jobs"]))
        if use != target:
            Path(use).unlink()
    found.sort()
    return found[len(found) // 2]


async def big(work: Path, runs: int = 3) -> None:
    from common import goal
    from scheduler_bench import T0

    # the bot ran until a minute before this start-up (an hour before the run's first
    # reminder): the sweep mark is a minute old, every series' next reminder known
    swept = T0 - timedelta(hours=1, minutes=1)
    print(f"\nstart-up with {BIG_SERIES} meeting series in {BIG_COALITIONS} coalitions "
          f"(new process to Scheduler.start() done; median of {runs})")
    engines: list[tuple[str, str, str]] = []
    server = None
    try:
        started = time.perf_counter()
        full, empty = str(work / "big.db"), str(work / "big-empty.db")
        await fill(full, BIG_SERIES, BIG_COALITIONS, big_due, marked=True, swept_to=swept)
        await fill(empty, 0, 0, big_due, marked=True, swept_to=None)
        engines.append(("SQLite", empty, full))
        print(f"   built the SQLite file in {time.perf_counter() - started:.1f} s")
        try:
            server = Server()
        except RuntimeError as error:
            print(f"   PostgreSQL skipped: {error}")
        if server is not None:
            started = time.perf_counter()
            full_pg, empty_pg = server.database("big"), server.database("big_empty")
            await fill(full_pg, BIG_SERIES, BIG_COALITIONS, big_due, marked=True,
                       swept_to=swept)
            await fill(empty_pg, 0, 0, big_due, marked=True, swept_to=None)
            engines.append(("PostgreSQL", empty_pg, full_pg))
            print(f"   built the PostgreSQL database in {time.perf_counter() - started:.1f} s"
                  f" ({server.note})")
        for name, empty_target, full_target in engines:
            t_empty, rss_empty, _ = startup_runs(empty_target, runs)
            t_full, rss_full, jobs = startup_runs(full_target, runs)
            print(f"   {name:10} empty database:  {t_empty:5.2f} s  peak RSS {rss_empty:6.1f} MB")
            print(f"   {name:10} {BIG_SERIES} series: {t_full:5.2f} s  peak RSS "
                  f"{rss_full:6.1f} MB  ratio {t_full / t_empty:.1f}x time, "
                  f"{rss_full / rss_empty:.1f}x RSS; {jobs} due times planned")
            print(f"   {name:10} goal: <= 2 s -> {goal(t_full <= 2)}; <= 200 MB -> "
                  f"{goal(rss_full <= 200)}")
    finally:
        if server is not None:
            server.stop()


# ---- 2. two processes on one PostgreSQL database -------------------------------------


def two_child(url: str, anchor_real: float, lead: float) -> None:
    """One of the two processes: the real Scheduler until the run is over; prints when
    each meeting's reminder reached its outlet here."""
    import logging

    import scheduler_bench as sb

    async def go() -> None:
        from coalition_bot.clock import WarpClock

        clock = WarpClock(sb.T0 - timedelta(seconds=lead * sb.SPEED), anchor_real, sb.SPEED)
        bot, outlet, scheduler = await sb.warped(url, clock)
        start_s = await sb.start_as_run(scheduler)
        last = sb.real_due(clock.anchor, clock.anchor_real, sb.due(sb.MEETINGS - 1))
        await asyncio.sleep(max(last + sb.GIVE_UP - time.time(), 0))
        logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
        await scheduler.stop(grace=1)
        await bot.close()
        print(json.dumps({"got": outlet.got, "extra": outlet.extra, "start_s": start_s}),
              flush=True)

    asyncio.run(go())


async def insert_floor(url: str, rows: int = 2000) -> list[float]:
    """A single-row INSERT + COMMIT through psycopg (async), ms each."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(url) as con:
        await con.execute("CREATE TABLE floor (id BIGINT GENERATED BY DEFAULT AS IDENTITY"
                          " PRIMARY KEY, x TEXT)")
        await con.commit()
        took = []
        for i in range(rows):
            start = time.perf_counter()
            await con.execute("INSERT INTO floor (x) VALUES (%s)", (str(i),))
            await con.commit()
            took.append((time.perf_counter() - start) * 1000)
        await con.execute("DROP TABLE floor")
        await con.commit()
    return took


async def pg_two(lead: float = 40.0) -> None:
    import scheduler_bench as sb
    from common import goal, pct

    try:
        server = Server()
    except RuntimeError as error:
        print(f"PostgreSQL not available: {error}")
        return
    try:
        url = server.database("two")
        started = time.perf_counter()
        # as months of use leave them: marks known, the sweep mark a minute before start
        await fill(url, sb.MEETINGS, sb.COALITIONS, sb.due, marked=True,
                   swept_to=sb.T0 - timedelta(seconds=lead * sb.SPEED + 60))
        print(f"\nbuilt {sb.MEETINGS} biweekly series in {sb.COALITIONS} coalitions on "
              f"PostgreSQL in {time.perf_counter() - started:.1f} s ({server.note})")
        floor = await insert_floor(server.database("floor"))
        # APScheduler alone takes as long as the run: only at the usual speed
        base = await sb.aps_alone() if sb.SPEED == 20_000 else []
        anchor_real = time.time()
        children = [await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "scheduler_bench.py"), "--pg-child", url,
            repr(anchor_real), repr(lead), stdout=asyncio.subprocess.PIPE)
            for _ in range(2)]
        outs = [json.loads((await child.communicate())[0].decode().strip().splitlines()[-1])
                for child in children]
    finally:
        server.stop()
    anchor = sb.T0 - timedelta(seconds=lead * sb.SPEED)
    late: list[float] = []
    seen: dict[int, int] = {}
    for out in outs:
        for i, at in out["got"].items():
            seen[int(i)] = seen.get(int(i), 0) + 1
            late.append((at - sb.real_due(anchor, anchor_real, sb.due(int(i)))) * 1000)
    twice = sum(1 for n in seen.values() if n > 1)
    missing = sb.MEETINGS - len(seen)
    print(f"\nlateness of {sb.MEETINGS} reminders, {60_000 / sb.SPEED:g} ms apart "
          f"(x{sb.SPEED:.0f}), two processes on one PostgreSQL database")
    print(f"   floor: a single-row INSERT + COMMIT through psycopg:  {sb.ms(floor)}")
    if base:
        print(f"   floor: APScheduler alone, {sb.MEETINGS} date jobs:         {sb.ms(base)}")
    if late:
        print(f"   ours, both processes:                               {sb.ms(late)}   "
              f"p99 = {pct(late, 99) / max(pct(floor, 99), 1e-3):.0f}x the insert floor's")
    print(f"   sent by each process: {[len(out['got']) for out in outs]}; "
          f"start() took {[round(out['start_s'], 1) for out in outs]} s; "
          f"delivered twice: {twice}; missing: {missing}; "
          f"other posts: {sum(out['extra'] for out in outs)}")
    ok = bool(late) and missing == 0 and twice == 0 and pct(late, 99) <= 50
    print(f"   goal: p99 <= 50 ms, each once -> {goal(ok)}")


def main(argv: list[str]) -> None:
    import shutil
    import tempfile

    from common import machine

    if argv[:1] == ["--pg-child"]:
        two_child(argv[1], float(argv[2]), float(argv[3]))
        return
    print(machine())
    if argv[:1] == ["--pg-two"]:
        asyncio.run(pg_two())
        return
    work = Path(tempfile.mkdtemp(prefix="scheduler-scale-"))
    try:
        asyncio.run(big(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])

