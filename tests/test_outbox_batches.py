"""The outbox sends a batch at a time: several channels at once (each channel's notices
in order), the marks that are waiting in one durable commit, and claims it never began
given back when it stops; the scheduler's sweep does not wait for a slow send."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from helpers import Chat, MovableClock, query
from scheduler_support import wait_until

from coalition_bot.bot import Bot
from coalition_bot.outbox import Coalesced
from coalition_bot.replies import Notice
from coalition_bot.scheduler import Scheduler

pytestmark = pytest.mark.both_backends


@dataclass
class GatedOutlet:
    """Posts to the channels in `held` wait for `release`; the others go at once."""

    platform: str = "console"
    held: set[str] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: asyncio.Event = field(default_factory=asyncio.Event)
    posted: list[tuple[str, str]] = field(default_factory=list)

    async def post_notice(self, notice: Notice, channel_id: str, *,
                          workspace_id: str = "") -> None:
        if channel_id in self.held:
            self.waiting.set()
            await self.release.wait()
        self.posted.append((channel_id, notice.title))

    async def post_private(self, user_id: str, notice: Notice, *,
                           workspace_id: str = "") -> None:
        raise AssertionError("no private posts here")

    def to(self, channel: str) -> list[str]:
        return [title for where, title in self.posted if where == channel]


async def coalitions(chat: Chat, count: int) -> list[Chat]:
    """`count` coalitions, each in a workspace of its own with its home channel `homeK`,
    each with a goal whose updates raise notices."""
    made = []
    for k in range(count):
        home = replace(chat, workspace=f"w{k}", channel=f"home{k}")
        await home.ok("Alice", f'coalition setup "Coalition {k}" UTC')
        await home.ok("Alice", "coalition goal add Pass the ordinance")
        made.append(home)
    return made


async def update_goal(coalition: Chat, status: str) -> None:
    await coalition.ok("Alice", f"coalition goal update #1 {status}")


async def test_a_slow_channel_holds_up_only_its_own_notices_which_keep_their_order(
        chat: Chat, bot: Bot) -> None:
    homes = await coalitions(chat, 3)
    bot.outlets.pop("console")  # the platform is away: the notices wait in the outbox
    for status in ("in-progress", "blocked"):
        for home in homes:
            await update_goal(home, status)
    gated = GatedOutlet(held={"home0"})
    bot.add_outlet(gated)
    sending = asyncio.ensure_future(bot.outbox.send_due())
    await wait_until(lambda: len(gated.to("home1")) == len(gated.to("home2")) == 2, within=10,
                     what="the other channels' notices, sent while home0's post hangs")
    assert gated.waiting.is_set()
    assert gated.to("home0") == []
    gated.release.set()
    report = await asyncio.wait_for(sending, 10)
    assert len(report.sent) == 6
    for channel in ("home0", "home1", "home2"):
        assert gated.to(channel) == ["Goal #1 is now in-progress", "Goal #1 is now blocked"]


async def test_marks_that_wait_together_are_committed_together(chat: Chat, bot: Bot,
                                                                db_path: Path) -> None:
    homes = await coalitions(chat, 8)
    bot.outlets.pop("console")
    for home in homes:
        await update_goal(home, "in-progress")
    bot.add_outlet(chat.outlet)
    commits = bot.outbox.marks.commits
    report = await bot.outbox.send_due()
    assert len(report.sent) == 8
    assert bot.outbox.marks.commits - commits == 1  # eight marks, one durable commit
    assert query(db_path, "SELECT status, count(*) FROM delivery WHERE kind = 'notice'"
                          " GROUP BY status") == [("sent", 8)]


async def test_a_stop_gives_back_the_claims_it_never_began_so_the_next_start_sends_them(
        chat: Chat, bot: Bot, db_path: Path, clock: MovableClock) -> None:
    home, = await coalitions(chat, 1)
    bot.outlets.pop("console")
    for status in ("in-progress", "blocked", "done"):
        await update_goal(home, status)
    gated = GatedOutlet(held={"home0"})
    bot.add_outlet(gated)
    bot.outbox.kick()
    await asyncio.wait_for(gated.waiting.wait(), 10)  # the first of three is being posted
    asyncio.get_running_loop().call_later(0.2, gated.release.set)
    await bot.outbox.stop(5)
    assert gated.to("home0") == ["Goal #1 is now in-progress"]
    assert query(db_path, "SELECT status, attempts, owner FROM delivery WHERE kind = 'notice'"
                          " ORDER BY id") == [("sent", 1, None), ("pending", 0, None),
                                              ("pending", 0, None)]
    after = await Bot.open(db_path, clock=clock)  # the next start: no lease to wait out
    try:
        resumed = GatedOutlet()
        after.add_outlet(resumed)
        assert len((await after.outbox.send_due()).sent) == 2
        assert resumed.to("home0") == ["Goal #1 is now blocked", "Goal #1 is now done"]
    finally:
        await after.close()


async def test_the_sweep_does_not_wait_for_a_send_that_hangs(chat: Chat, bot: Bot,
                                                              db_path: Path,
                                                              clock: MovableClock) -> None:
    await chat.ok("Alice", 'coalition setup "Eastside Tenants" UTC')
    gated = GatedOutlet(held={"console"})
    bot.outlets["console"] = gated
    await chat.ok("Alice", 'meeting schedule Call "2026-11-25 18:00" remind:2h,1h')
    scheduler = Scheduler(bot)
    gated.held.clear()
    await scheduler.tick()  # sends the "scheduled" notice; the sweep mark starts here
    gated.held.add("console")
    clock.now = clock.now.replace(year=2026, month=11, day=25, hour=16, minute=0, second=1)
    first = asyncio.ensure_future(scheduler.tick())
    await asyncio.wait_for(gated.waiting.wait(), 10)  # the 2 h reminder hangs
    clock.advance(hours=1)
    second = asyncio.ensure_future(scheduler.tick())
    await wait_until(lambda: len(query(db_path, "SELECT id FROM delivery"
                                                " WHERE kind = 'meeting-reminder'")) == 2,
                     within=10, what="the 1 h reminder swept while the 2 h one is posted")
    gated.release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 10)
    assert [title for _, title in gated.posted][-2:] == ["Reminder: Call in 2 hours",
                                                         "Reminder: Call in 1 hour"]


async def test_runs_asked_for_within_the_spacing_are_one_run() -> None:
    started: list[float] = []

    async def work() -> int:
        started.append(time.monotonic())
        return len(started)

    runs = Coalesced(work, spacing=0.1)
    assert await runs() == 1  # alone: at once
    assert await asyncio.gather(*(runs() for _ in range(10))) == [2] * 10
    assert started[1] - started[0] >= 0.1
    assert len(started) == 2


async def test_a_run_can_set_when_the_next_one_starts_and_calls_meanwhile_join_it() -> None:
    started: list[float] = []

    async def work() -> int:
        started.append(time.monotonic())
        if len(started) == 1:
            runs.next_run_at(time.monotonic() + 0.05)  # not the whole spacing
        return len(started)

    runs = Coalesced(work, spacing=1.0)
    assert await runs() == 1
    assert await asyncio.gather(*(runs() for _ in range(5))) == [2] * 5
    assert 0.05 <= started[1] - started[0] < 0.9


async def test_a_call_ready_before_the_run_in_progress_started_joins_it() -> None:
    """`ready_at`: what the caller needs was in place before the run in progress began,
    so that run serves it; a call ready after it began (or saying nothing) waits for
    the next run."""
    started: list[float] = []
    release = asyncio.Event()

    async def work() -> int:
        started.append(time.monotonic())
        await release.wait()
        return len(started)

    runs = Coalesced(work)
    before = time.monotonic()
    first = asyncio.ensure_future(runs())
    await asyncio.sleep(0.01)  # the first run is in progress
    joined = asyncio.ensure_future(runs(ready_at=before))
    queued = asyncio.ensure_future(runs(ready_at=time.monotonic()))
    plain = asyncio.ensure_future(runs())
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(first, joined, queued, plain) == [1, 1, 2, 2]
    assert len(started) == 2
