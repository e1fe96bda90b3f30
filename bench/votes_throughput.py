"""Durable votes per second through the service layer, against raw aiosqlite.

Run by hand:  python bench/votes_throughput.py
              python bench/votes_throughput.py --backend postgresql [--url URL]
              (PostgreSQL, one process and two: see bench/votes_postgres.py)

Ours: `Bot.handle` with `poll vote #1 CHOICE` invocations (the whole path a front door
takes: grammar, one BEGIN IMMEDIATE transaction, caller, permission, the vote upsert,
COMMIT) by the representatives of 200 organizations, each voting 5 times (first votes,
then changes), one after the other and also 50 at a time.
Floor: raw aiosqlite, one single-row INSERT + commit per row, on a file in the same
directory with the same settings as coalition_bot/store/database.py (WAL,
synchronous=FULL, foreign keys, busy timeout): the least a durable write costs here.
Both are measured in alternating rounds in the same run (the machine's other load drifts);
the ratio is taken per round, ours against the floor measured just before it, and the
median of those ratios is the figure.
The aiosqlite calls (each a hop to aiosqlite's worker thread and back) and the SQL
statements one vote makes are counted and printed.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiosqlite
from common import VOTERS, Calls, goal, machine, median, say, setup_voters, vote, vote_lines

from coalition_bot.bot import Bot
from coalition_bot.store.database import BUSY_TIMEOUT_MS

ORGS = VOTERS
ROUNDS = 5
VOTES_PER_ROUND = len(vote_lines(0))  # ORGS voters x 5 votes each
CONCURRENCY = 50
NOTICES_PER_ROUND = 300


async def hop_us(path: Path, calls: int = 2000) -> float:
    """One aiosqlite call's round trip (SELECT 1), in µs: what every statement costs on
    top of its own work. It varies with the machine's load (2 shared cores)."""
    conn = await aiosqlite.connect(path)
    try:
        start = time.perf_counter()
        for _ in range(calls):
            await conn.execute_fetchall("SELECT 1")
        return (time.perf_counter() - start) / calls * 1e6
    finally:
        await conn.close()


async def floor_round(path: Path, rows: int) -> float:
    """Rows per second: one INSERT + commit each, the database.py pragmas."""
    conn = await aiosqlite.connect(path)
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("CREATE TABLE IF NOT EXISTS vote (id INTEGER PRIMARY KEY,"
                           " poll_id INTEGER, voter TEXT, choice TEXT, cast_at TEXT)")
        await conn.commit()
        start = time.perf_counter()
        for i in range(rows):
            await conn.execute("INSERT INTO vote (poll_id, voter, choice, cast_at)"
                               " VALUES (?, ?, ?, ?)", (1, f"org:{i}", "agree",
                                                        "2026-11-23T15:00:00+00:00"))
            await conn.commit()
        return rows / (time.perf_counter() - start)
    finally:
        await conn.close()


async def setup(bot: Bot) -> None:
    await setup_voters(bot)
    await say(bot, "console", "bench", "alice", "coalition goal add Bench the bench")


async def ours_round(bot: Bot, round_no: int, concurrency: int) -> float:
    return await vote(bot, vote_lines(round_no), concurrency)


class NullOutlet:
    """Takes every post at once: what is left is the outbox's own cost."""

    platform = "console"

    async def post_notice(self, notice: object, channel_id: str, *,
                          workspace_id: str = "") -> None:
        return None

    async def post_private(self, user_id: str, notice: object, *,
                           workspace_id: str = "") -> None:
        return None


async def notice_round(bot: Bot, round_no: int) -> float:
    """Commands per second for a command that raises a notice (a goal update: one goal
    update row, one notice row, one delivery row per home channel), one at a time, each
    followed by its notice's send (claim, post, mark) when an outlet is there."""
    statuses = ("in-progress", "blocked")
    start = time.perf_counter()
    for k in range(NOTICES_PER_ROUND):
        await say(bot, "console", "bench", "alice",
                  f"coalition goal update 1 {statuses[(k + round_no) % 2]}")
        await bot.drain()
    return NOTICES_PER_ROUND / (time.perf_counter() - start)


async def mark_window_us(bot: Bot, rows: int = 300) -> list[float]:
    """The at-least-once window, in µs: from the moment a platform has taken a post until
    its row is marked sent on disk (the mark's whole transaction, COMMIT included). A
    kill -9 inside it sends that notice again once the lease runs out."""
    from datetime import UTC, datetime, timedelta

    from coalition_bot.store import deliveries as delivery_sql

    now = datetime.now(UTC)
    async with bot.db.transaction() as conn:
        coalition_id = (await conn.execute_fetchall("SELECT min(id) FROM coalition"))[0][0]
        for i in range(rows):
            await delivery_sql.create(
                conn, coalition_id=coalition_id, kind="bench", subject_id=i, occurrence="",
                offset_min=0, platform="bench", workspace_id="", target="C", due_at=now,
                expires_at=now + timedelta(days=1), status="pending", now=now)
        ids = [r[0] for r in await conn.execute_fetchall(
            "SELECT id FROM delivery WHERE kind = 'bench'")]
    spans = []
    for delivery_id in ids:
        async with bot.db.transaction() as conn:
            await delivery_sql.claim(conn, delivery_id, owner="bench", now=now,
                                     lease_until=now + timedelta(seconds=30))
        start = time.perf_counter()  # the platform has just taken the post
        async with bot.db.transaction() as conn:
            await delivery_sql.mark(conn, delivery_id, "sent", owner="bench", now=now)
        spans.append((time.perf_counter() - start) * 1e6)
    return sorted(spans)


async def count_one_vote(bot: Bot, calls: Calls) -> None:
    await calls.trace(bot.db.conn)
    with calls.counting(keep_sql=True):
        await say(bot, "console", "bench", "rep7", "poll vote 1 block")
    print(f"one vote (a change, {ORGS} votes already in the poll): {calls.hops} aiosqlite "
          f"calls, {calls.statements} SQL statements:")
    for sql in calls.sql:
        print(f"    {sql}")


async def main() -> None:
    print(machine())
    work = Path(tempfile.mkdtemp(prefix="votes-bench-"))
    calls = Calls()
    try:
        bot = await Bot.open(work / "coalition.db")
        await setup(bot)
        await ours_round(bot, 99, 1)  # warm-up: every voter has voted once
        floors, seq, conc, hops, unsent, sent = [], [], [], [], [], []
        for r in range(ROUNDS):
            hops.append(await hop_us(work / "hop.db"))
            floors.append(await floor_round(work / f"floor{r}.db", VOTES_PER_ROUND))
            seq.append(await ours_round(bot, r, 1))
            conc.append(await ours_round(bot, r + 10, CONCURRENCY))
            bot.outlets.pop("console", None)
            unsent.append(await notice_round(bot, r))
            bot.add_outlet(NullOutlet())
            sent.append(await notice_round(bot, r))
            bot.outlets.pop("console", None)
        with calls.counting():
            await ours_round(bot, 50, 1)
        per_vote_hops = calls.hops / VOTES_PER_ROUND
        per_vote_stmts = 0.0
        await calls.trace(bot.db.conn)
        with calls.counting():
            await ours_round(bot, 51, 1)
        per_vote_stmts = calls.statements / VOTES_PER_ROUND
        await count_one_vote(bot, calls)
        window = await mark_window_us(bot)
        await bot.close()
    finally:
        calls.restore()
        shutil.rmtree(work, ignore_errors=True)

    def line(values: list[float]) -> str:
        return ", ".join(f"{v:.0f}" for v in values)

    ratio_seq = median([s / f for s, f in zip(seq, floors, strict=True)])
    ratio_conc = median([c / f for c, f in zip(conc, floors, strict=True)])
    print(f"{ORGS} voters (org representatives), {VOTES_PER_ROUND} votes per round, "
          f"{ROUNDS} rounds, files in {tempfile.gettempdir()}")
    print(f"floor: raw aiosqlite INSERT + commit: median {median(floors):6.0f} rows/s   "
          f"(rounds: {line(floors)}; 2 aiosqlite calls per row)")
    print(f"ours, one at a time:                 median {median(seq):6.0f} votes/s  "
          f"ratio {ratio_seq:.2f} of the floor (median of rounds; rounds: {line(seq)})")
    print(f"ours, {CONCURRENCY} at a time:                  median {median(conc):6.0f} votes/s  "
          f"ratio {ratio_conc:.2f} of the floor (rounds: {line(conc)})")
    print(f"per vote: {per_vote_hops:.1f} aiosqlite calls, {per_vote_stmts:.1f} SQL statements "
          f"(floor: 2 calls, 2 statements)")
    print(f"one aiosqlite call's round trip (SELECT 1), this run: median {median(hops):.0f} µs "
          f"(rounds: {line(hops)})")
    ratio_unsent = median([n / f for n, f in zip(unsent, floors, strict=True)])
    ratio_sent = median([n / f for n, f in zip(sent, floors, strict=True)])
    print(f"a command raising a notice (goal update), rows only: median {median(unsent):6.0f}"
          f"/s ratio {ratio_unsent:.2f} of the floor (rounds: {line(unsent)})")
    print(f"  ... and its notice sent (claim, post, mark):   median {median(sent):6.0f}/s "
          f"ratio {ratio_sent:.2f} of the floor (rounds: {line(sent)})")
    print(f"at-least-once window (post taken -> mark committed): median "
          f"{median(window):.0f} µs, p99 {window[int(len(window) * 0.99) - 1]:.0f} µs, "
          f"max {window[-1]:.0f} µs ({len(window)} marks)")
    print(f"goal: >= 50% of the floor -> {goal(ratio_seq >= 0.5)}")
    print(f"goal (issue 15, SQLite keeps its speed): >= 0.8 of the floor one at a time -> "
          f"{goal(ratio_seq >= 0.8)}")


if __name__ == "__main__":
    if "--backend" in sys.argv and sys.argv[sys.argv.index("--backend") + 1] == "postgresql":
        import votes_postgres

        print(machine())
        votes_postgres.main(sys.argv)
    else:
        asyncio.run(main())
