"""The outbox's claims: an owner and a lease that the owner extends while a send is slow,
taken back only once the lease has run out; a stop that lets a send finish; notices that
follow the coalition's home channels as they are when sent."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import Chat, MovableClock, query
from helpers import field as field_value
from scheduler_support import wait_until

from coalition_bot.bot import Bot
from coalition_bot.outlets import DeliveryRefused
from coalition_bot.replies import Notice
from coalition_bot.store.rows import iso

pytestmark = pytest.mark.both_backends

@dataclass
class SlowOutlet:
    """An outlet whose posts wait for `release` (a platform that takes its time)."""

    platform: str = "console"
    release: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    posted: list[tuple[str, str]] = field(default_factory=list)

    async def post_notice(self, notice: Notice, channel_id: str, *,
                          workspace_id: str = "") -> None:
        self.started.set()
        await self.release.wait()
        self.posted.append((channel_id, notice.title))

    async def post_private(self, user_id: str, notice: Notice, *,
                           workspace_id: str = "") -> None:
        raise AssertionError("no private posts here")


async def raise_a_notice(coalition: Chat) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    reply = await coalition.bot.handle(coalition.invocation("Alice", "coalition goal update "
                                                                     "#1 in-progress"))
    assert not reply.error, reply.text


def lease_until(db_path: Path) -> str:
    (until,), = query(db_path, "SELECT lease_until FROM delivery WHERE status = 'sending'")
    return until


@pytest.fixture
async def other(db_path: Path, clock: MovableClock):
    """A second process's bot on the same file (its own connection and owner)."""
    bot = await Bot.open(db_path, clock=clock)
    yield bot
    await bot.close()


async def test_a_slow_send_keeps_its_claim_and_another_process_does_not_send_it_again(
        coalition: Chat, bot: Bot, other: Bot, clock: MovableClock, db_path: Path) -> None:
    slow = SlowOutlet()
    bot.add_outlet(slow)
    bot.outbox.lease = timedelta(seconds=1.5)  # extended every 0.5 s of real time
    second = SlowOutlet()
    other.add_outlet(second)
    await raise_a_notice(coalition)
    await asyncio.wait_for(slow.started.wait(), 5)
    (owner,), = query(db_path, "SELECT owner FROM delivery"
                               " WHERE kind = 'notice' AND status = 'sending'")
    assert owner == bot.outbox.owner
    assert owner != other.outbox.owner
    for _ in range(4):  # time passes well beyond the first lease; the owner extends it
        clock.advance(seconds=1)
        await wait_until(lambda: lease_until(db_path) > iso(clock.now), within=5,
                         what="the owner extends its lease")
        report = await other.outbox.send_due()
        assert report.sent == []
        assert not second.started.is_set()
    slow.release.set()
    await bot.drain()
    assert [title for _, title in slow.posted] == ["Goal #1 is now in-progress"]
    assert query(db_path, "SELECT status, owner FROM delivery WHERE kind = 'notice'"
                          " AND subject_id = (SELECT max(id) FROM notice)") == [("sent", None)]


async def test_a_claim_whose_owner_died_is_taken_back_once_its_lease_runs_out(
        coalition: Chat, bot: Bot, other: Bot, clock: MovableClock, db_path: Path) -> None:
    slow = SlowOutlet()
    bot.add_outlet(slow)
    await raise_a_notice(coalition)
    await asyncio.wait_for(slow.started.wait(), 5)
    await bot.outbox.stop(0)  # the send is cut off, as by kill -9: the row stays claimed
    assert query(db_path, "SELECT status FROM delivery WHERE kind = 'notice'"
                          " AND subject_id = (SELECT max(id) FROM notice)") == [("sending",)]
    taker = SlowOutlet()
    taker.release.set()
    other.add_outlet(taker)
    clock.advance(seconds=29)
    assert (await other.outbox.send_due()).sent == []  # the lease (30 s) still runs
    clock.advance(seconds=2)
    assert len((await other.outbox.send_due()).sent) == 1
    assert [title for _, title in taker.posted] == ["Goal #1 is now in-progress"]


async def test_stop_lets_a_send_in_progress_finish_and_marks_it(
        coalition: Chat, bot: Bot, db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    slow = SlowOutlet()
    bot.add_outlet(slow)
    await raise_a_notice(coalition)
    await asyncio.wait_for(slow.started.wait(), 5)
    asyncio.get_running_loop().call_later(0.3, slow.release.set)
    with caplog.at_level(logging.WARNING):
        await bot.outbox.stop(5)
    assert len(slow.posted) == 1
    assert query(db_path, "SELECT status FROM delivery WHERE kind = 'notice'"
                          " AND subject_id = (SELECT max(id) FROM notice)") == [("sent",)]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    bot.outbox.kick()  # stopped: takes no new work
    await bot.drain()
    assert len(slow.posted) == 1


async def test_a_notice_follows_a_moved_home_channel_and_skips_a_workspace_that_left(
        coalition: Chat, bot: Bot, db_path: Path) -> None:
    code = (await coalition.ok("Alice", "coalition link")).text.split("`")[1]
    north = replace(coalition, workspace="northside", channel="north-home")
    await north.ok("Erin", f"coalition connect {code}")
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    bot.outlets.pop("console")  # the console is away: notices wait in the outbox
    await coalition.ok("Alice", "coalition goal update #1 in-progress")
    assert len(query(db_path, "SELECT id FROM delivery WHERE status = 'pending'")) == 2
    await coalition.ok("Alice", "coalition disconnect #2")  # northside leaves
    moved = replace(coalition, channel="hall")
    await moved.ok("Alice", "coalition home")
    bot.add_outlet(coalition.outlet)
    report = await bot.outbox.send_due()
    got = [(channel, n.title) for channel, n in coalition.outlet.posted
           if n.title.startswith("Goal #1")]
    assert got == [("hall", "Goal #1 is now in-progress")]
    assert report.dropped == 1  # northside's copy: that workspace left


@dataclass
class RefusingOutlet:
    """A platform that refuses every post for good (the bot was removed from the channel)."""

    platform: str = "console"

    async def post_notice(self, notice: Notice, channel_id: str, *,
                          workspace_id: str = "") -> None:
        raise DeliveryRefused("console: not_in_channel", hint="Invite the bot back.")

    async def post_private(self, user_id: str, notice: Notice, *,
                           workspace_id: str = "") -> None:
        raise DeliveryRefused("console: not_in_channel")


async def test_info_counts_every_failed_delivery_not_only_those_deliveries_lists(
        coalition: Chat, bot: Bot) -> None:
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    bot.add_outlet(RefusingOutlet())
    for i in range(23):  # more than the 20 `/coalition deliveries` lists
        await coalition.ok("Alice", f"coalition goal update #1 {('blocked', 'in-progress')[i % 2]}")
    info = await coalition.ok("Alice", "coalition info")
    assert field_value(info, "Deliveries") == ("23 notice(s) could not be delivered in the last 7 "
                                         "days: see `/coalition deliveries`.")
    listed = await coalition.ok("Alice", "coalition deliveries")
    assert len(listed.fields) == 20
    assert "Invite the bot back." in listed.fields[0].value
