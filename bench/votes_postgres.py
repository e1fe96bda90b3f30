"""Durable votes per second on PostgreSQL, with one bot process and with two, against a
psycopg floor. Run by hand through the votes benchmark:

    python bench/votes_throughput.py --backend postgresql [--url postgresql://…]

The server: `--url` (a server where a scratch database may be created and dropped), else
$COALITION_BOT_TEST_PG, else a throwaway cluster started by tests/postgres_cluster.py
with `fsync=on` (a COMMIT waits for its WAL flush, as in production; the tests' clusters
run with fsync off).

Ours: `Bot.handle` with `poll vote 1 CHOICE` by the representatives of 200 organizations
(the SQLite bench's path), in a scratch database migrated by the first bot:
- one process: 1 000 votes one at a time, then 50 at a time (the pool's 8 connections);
- two processes: two OS processes, each with its own `Bot` on the same database, each
  voting for its own 100 organizations one at a time, started together; the figure is
  all the votes over the wall time from the start to the last one.
Floor: one psycopg connection, one single-row INSERT + COMMIT per row, the least a
durable write costs on this server. Also measured, to show what the store's one
advisory `WRITE_LOCK` costs two processes: the same floor in two processes at once,
without a lock and with each transaction first taking one advisory lock (as every
transaction of the store does). Rounds alternate; ratios are per round, and the median
of those ratios is the figure.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from common import VOTERS, median, say, setup_voters, vote, vote_lines

from coalition_bot.bot import Bot
from coalition_bot.store.postgres import WRITE_LOCK

ORGS = VOTERS
ROUNDS = 3
VOTES = len(vote_lines(0))  # per round: ORGS voters x 5 votes
CONCURRENCY = 50


def with_database(url: str, name: str) -> str:
    """The same server's URL, naming another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def floor_round(url: str, rows: int, *, lock: bool = False) -> float:
    """Rows per second: one INSERT + COMMIT each through psycopg (optionally behind one
    transaction-level advisory lock, as the store takes)."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS floor_vote (id bigserial PRIMARY KEY,"
                           " poll_id integer, voter text, choice text, cast_at text)")
        await conn.commit()
        start = time.perf_counter()
        for i in range(rows):
            if lock:
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK + 1,))
            await conn.execute("INSERT INTO floor_vote (poll_id, voter, choice, cast_at)"
                               " VALUES (%s, %s, %s, %s)",
                               (1, f"org:{i}", "agree", "2026-12-02T01:00:00+00:00"))
            await conn.commit()
        return rows / (time.perf_counter() - start)


# --- two processes ------------------------------------------------------------------

def _worker(task: str, url: str, part: int, round_no: int, ready: Any, go: Any,
            done: Any) -> None:
    """One OS process: its own Bot (or floor connection) on the shared database."""
    asyncio.run(_work(task, url, part, round_no, ready, go, done))


async def _work(task: str, url: str, part: int, round_no: int, ready: Any, go: Any,
                done: Any) -> None:
    if task == "votes":
        bot = await Bot.open(url)
        lines = vote_lines(round_no, range(part * ORGS // 2, (part + 1) * ORGS // 2))
        await say(bot, "console", "bench", lines[0][0], "poll status 1")  # warm
        ready.put(part)
        await asyncio.to_thread(go.wait)
        await vote(bot, lines, 1)
        done.put(len(lines))
        await bot.close()
    else:
        ready.put(part)
        await asyncio.to_thread(go.wait)
        await floor_round(url, VOTES // 2, lock=task == "floor-locked")
        done.put(VOTES // 2)


def two_processes(task: str, url: str, round_no: int) -> float:
    """Total rows (or votes) per second of two processes started together."""
    spawn = mp.get_context("spawn")
    ready, done, go = spawn.Queue(), spawn.Queue(), spawn.Event()
    procs = [spawn.Process(target=_worker, args=(task, url, part, round_no, ready, go, done))
             for part in (0, 1)]
    for p in procs:
        p.start()
    try:
        for _ in procs:
            ready.get(timeout=120)
        start = time.perf_counter()
        go.set()
        total = sum(done.get(timeout=600) for _ in procs)
        return total / (time.perf_counter() - start)
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()


# --- the run ------------------------------------------------------------------------

async def run(server: str) -> None:
    name = f"votes_bench_{os.getpid()}"
    async with await psycopg.AsyncConnection.connect(server, autocommit=True) as admin:
        await admin.execute(f"CREATE DATABASE {name}")
        settings = {}
        for key in ("fsync", "synchronous_commit", "server_version"):
            cur = await admin.execute(f"SHOW {key}")
            row = await cur.fetchone()
            settings[key] = row[0] if row else "?"
    url = with_database(server, name)
    try:
        bot = await Bot.open(url)
        try:
            await setup_voters(bot)
            await vote(bot, vote_lines(99, range(ORGS)), 1)  # every voter has voted once
            floors, seq, conc, two, f2, f2_locked = [], [], [], [], [], []
            for r in range(ROUNDS):
                floors.append(await floor_round(url, VOTES))
                seq.append(await vote(bot, vote_lines(r, range(ORGS)), 1))
                conc.append(await vote(bot, vote_lines(r + 10, range(ORGS)), CONCURRENCY))
                two.append(await asyncio.to_thread(two_processes, "votes", url, r + 20))
                f2.append(await asyncio.to_thread(two_processes, "floor", url, r))
                f2_locked.append(await asyncio.to_thread(two_processes, "floor-locked",
                                                         url, r))
        finally:
            await bot.close()
    finally:
        async with await psycopg.AsyncConnection.connect(server, autocommit=True) as admin:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def line(values: list[float]) -> str:
        return ", ".join(f"{v:.0f}" for v in values)

    def ratio(values: list[float]) -> float:
        return median([v / f for v, f in zip(values, floors, strict=True)])

    print(f"PostgreSQL {settings['server_version']} (fsync={settings['fsync']}, "
          f"synchronous_commit={settings['synchronous_commit']}), {ORGS} voters, "
          f"{VOTES} votes per round, {ROUNDS} rounds")
    print(f"floor: psycopg INSERT + COMMIT, one connection: median {median(floors):6.0f} rows/s"
          f"   (rounds: {line(floors)})")
    print(f"ours, one process, one at a time:  median {median(seq):6.0f} votes/s  ratio "
          f"{ratio(seq):.2f} of the floor (rounds: {line(seq)})")
    print(f"ours, one process, {CONCURRENCY} at a time:   median {median(conc):6.0f} votes/s  "
          f"ratio {ratio(conc):.2f} of the floor (rounds: {line(conc)})")
    print(f"ours, two processes, one at a time each: median {median(two):6.0f} votes/s in all"
          f"  ratio {ratio(two):.2f} of the floor (rounds: {line(two)})")
    print(f"floor in two processes at once, no lock:       median {median(f2):6.0f} rows/s "
          f"in all ({ratio(f2):.2f} of one; rounds: {line(f2)})")
    print(f"floor in two processes, one advisory lock each: median {median(f2_locked):6.0f} "
          f"rows/s in all ({ratio(f2_locked):.2f} of one; rounds: {line(f2_locked)})")


def server_url(argv: list[str]) -> tuple[str, Any]:
    """The server to use and, when this run started one, the cluster to stop."""
    if "--url" in argv:
        return argv[argv.index("--url") + 1], None
    if os.environ.get("COALITION_BOT_TEST_PG"):
        return os.environ["COALITION_BOT_TEST_PG"], None
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from postgres_cluster import start

    cluster = start(fsync=True)
    return cluster.url, cluster


def main(argv: list[str]) -> None:
    server, cluster = server_url(argv)
    try:
        asyncio.run(run(server))
    finally:
        if cluster is not None:
            cluster.stop()
