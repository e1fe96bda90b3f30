"""Three `coalition-bot run` processes on one PostgreSQL database, killed with kill -9
and restarted while 1,000 votes and 1,000 reminders and poll results go through them.

Each process serves Slack over HTTP on its own port (the fake Slack's Web API) and one
of three Discord shards (the fake gateway), and runs the scheduler. Alice sets a coalition
up over Slack with 25 organizations of two representatives each, connects a Discord
server to it, and makes the polls and meetings, on a clock (`COALITION_BOT_CLOCK`) at
real speed. Then all three are killed and started again on a clock running SPEED times
real time from just before the first due time (a jump forward, as after a pause), so a
lease (30 fake seconds) runs out in 3 real seconds. Then, while the processes are
killed one at a time at seeded moments (half of them close to a burst of due reminders)
and restarted at once:

- 1,000 votes arrive, each signed as Slack signs it, at a process picked at random
  (seeded; among those answering): 20 polls x 25 organizations x both representatives,
  the two of an organization one after the other, often at the same moment through two
  processes. A vote is acknowledged when the process answered 200 and then said at the
  response_url that it recorded it.
- 960 meeting reminders (192 meetings, five reminders each, in bursts over 14 fake
  minutes) and 40 poll results come due: each goes to Slack and to Discord, 2,000
  posts.

Expected: every acknowledged vote is in the database; each (poll, organization) has one
vote row, its caster one who tried, and the poll's result counts each organization once.
Every reminder and result reached each platform, and every delivery row is 'sent' (none
expired). A copy more than expected (a result twice, a meeting's reminders six times: a
reminder sent late says how long was really left, so the five cannot be told apart one
by one) came only through the at-least-once window
(`kill_support.extra_copies_inside_window`): a run posted a copy and was killed after
that post, and another copy came after the kill.
The counts (acknowledged votes, kills, duplicates and how wide their windows were) are
printed: `pytest -s` shows them.

Identities: each run has its own Slack bot token and Discord token (`…-run-N`), so the
fakes know which run made each post. Needs PostgreSQL: skipped, saying why, only when
none can be started (tests/conftest.py `postgres_server`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from fake_discord import CHANNEL_ID, Driver, FakeDiscord, Sent
from kill_support import Copy, clean_env, extra_copies_inside_window

sys.path.insert(0, str(Path(__file__).resolve().parent / "slack"))
from slack_harness import (
    ALICE,
    HOME,
    SECRET,
    Call,
    FakeSlack,
    User,
    Workspace,
    text_of,
)

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

EXE = Path(sys.executable).parent / "coalition-bot"
SEED = 20261202
SPEED = 10  # fake seconds per real second: a 30 s lease lasts 3 real seconds
ANCHOR = datetime.fromisoformat("2026-11-23T15:00:00+00:00")
PROCESSES = 3  # and as many Discord shards, one each
ORGS = 25  # each with two representatives
VOTED_POLLS = 20  # x 25 organizations x 2 representatives = 1,000 votes
OTHER_POLLS = 20  # polls nobody votes in, closing during the kills
MEETINGS = 192  # five reminders each: 960, and with the 40 results, 1,000 notices
# each meeting's reminders, in minutes before it: hours ahead, so that on a busy machine a
# late reminder has not expired (at the meeting's start) before it goes out
OFFSETS = (180, 177, 174, 171, 168)
MINUTES = 14  # meetings start at two minutes: bursts of due reminders over 14 fake minutes
# the setup runs on a clock at real speed from ANCHOR, and must end before FIRST; then
# every process is killed and the storm's runs start on a clock at SPEED from just
# before FIRST (time jumps forward, as after a pause): the first burst of reminders
FIRST = ANCHOR + timedelta(minutes=15)
LEAD = timedelta(minutes=1)  # fake time from the storm's start to FIRST
KILL_EVERY = (1.5, 4.5)  # real seconds between kills
KILLS = 10  # at least, even if the processes start slowly
CONCURRENCY = 8  # votes and setup commands in flight at once
ANSWER_WITHIN = 60  # real seconds a setup command may take to answer on a busy machine
SETTLE = 300  # real seconds the last runs may take to send what is left after the kills
REMINDER = re.compile(r"Reminder: (M\d{4}) in ")
RESULT = re.compile(r"Poll #(\d+) closed")
RUN = re.compile(r"-run-(\d+)$")

REPS = [User(f"U0R{i:02d}{side.upper()}", f"Rep{i:02d}{side}")
        for i in range(1, ORGS + 1) for side in "ab"]


def org_name(i: int) -> str:
    return f"Org {i:02d}"


class Slack(FakeSlack):
    """The fake Slack, with each response_url answer also kept by its id as it comes
    (the test waits for 1,000 of them among 10,000 calls)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.answers: dict[str, asyncio.Future[Call]] = {}

    def answer_of(self, rid: str) -> asyncio.Future[Call]:
        return self.answers.setdefault(rid, asyncio.get_running_loop().create_future())

    def record(self, call: Call) -> None:
        super().record(call)
        if call.method.startswith("response_url:"):
            found = self.answer_of(call.method.split(":", 1)[1])
            if not found.done():
                found.set_result(call)


@dataclass
class Run:
    """One `coalition-bot run` process: slot (its shard), number (in its tokens)."""

    slot: int
    number: int
    proc: asyncio.subprocess.Process
    url: str = ""
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    died: asyncio.Event = field(default_factory=asyncio.Event)
    killed_at: float | None = None
    reader: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return f"run-{self.number}"

    async def read(self) -> None:
        """Read stdout: ready once both front doors said so; then keep draining it."""
        assert self.proc.stdout is not None
        doors: set[str] = set()
        while line := (await self.proc.stdout.readline()).decode("utf-8", "replace"):
            found = re.search(r"(slack|discord) ready: ", line)
            if found:
                doors.add(found[1])
            if where := re.search(r"http://127\.0\.0\.1:\d+/slack/events", line):
                self.url = where[0]
            if doors == {"slack", "discord"}:
                self.ready.set()
        self.died.set()

    async def kill(self) -> None:
        self.proc.kill()  # SIGKILL
        self.killed_at = time.time()
        self.ready.clear()
        self.died.set()
        await self.proc.wait()


@dataclass
class Vote:
    poll: int
    org: int
    user: User
    choice: str
    sent_at: float = 0.0
    done_at: float = 0.0  # when the answer came, or the try ended without one
    acked: bool = False
    to: str = ""  # the run it was sent to
    outcome: str = ""


@dataclass
class Fleet:
    """The processes, each slot restarted with a new run after a kill."""

    tmp_path: Path
    database: str
    slack: Slack
    discord: FakeDiscord
    epoch: float  # the real second at which the runs' clock shows `anchor`
    http: aiohttp.ClientSession
    runs: list[Run] = field(default_factory=list)
    live: dict[int, Run] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    anchor: datetime = ANCHOR
    speed: float = 1.0  # the setup's; the storm's is SPEED

    def config(self, slot: int) -> Path:
        path = self.tmp_path / f"slot{slot}.toml"
        path.write_text(f"""
[bot]
database = "{self.database}"

[slack]
enabled = true
transport = "http"
host = "127.0.0.1"
port = 0
api_base = "{self.slack.api_base}"
bot_token_env = "E2E_SLACK_BOT"
signing_secret_env = "E2E_SLACK_SIGNING"

[discord]
enabled = true
api_base = "{self.discord.api_base}"
gateway_url = "{self.discord.gateway_url}"
shard_count = {PROCESSES}
shard_ids = [{slot}]
""", encoding="utf-8")
        return path

    async def start(self, slot: int) -> Run:
        number = len(self.runs) + 1
        env = {k: v for k, v in clean_env().items()
               if not k.startswith(("SLACK_", "DISCORD_"))}
        env |= {"COALITION_BOT_CLOCK": f"{self.anchor.isoformat()},{self.epoch},{self.speed}",
                "E2E_SLACK_BOT": f"xoxb-run-{number}", "E2E_SLACK_SIGNING": SECRET,
                "DISCORD_TOKEN": f"fake.discord-run-{number}"}
        with (self.tmp_path / f"{slot}-run-{number}.log").open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                str(EXE), "run", "--config", str(self.config(slot)), cwd=self.tmp_path,
                env=env, stdout=asyncio.subprocess.PIPE, stderr=err)
        run = Run(slot, number, proc)
        run.reader = asyncio.create_task(run.read())
        self.runs.append(run)
        self.live[slot] = run
        return run

    def answering(self) -> list[Run]:
        return [run for run in self.live.values() if run.ready.is_set()]

    def workspace(self, run: Run) -> Workspace:
        ws = Workspace(self.slack, run.url, self.http, adapter=None)
        ws._ids = self.ids  # response_url ids unique over all runs
        return ws

    async def command(self, rng: random.Random, user: User, command: str,
                      text: str) -> dict[str, Any]:
        """A setup command at a random answering process; its answer must not warn."""
        run = rng.choice(await self.wait_answering())
        workspace = self.workspace(run)
        rid = workspace.next_id("cmd")
        status, _ = await workspace.post(workspace.command_body(user, command, text, rid=rid))
        assert status == 200, (command, text, status)
        payload = (await asyncio.wait_for(self.slack.answer_of(rid), ANSWER_WITHIN)).body
        assert ":warning:" not in payload["text"], (command, text, text_of(payload))
        return payload

    async def wait_answering(self) -> list[Run]:
        for _ in range(600):
            if found := self.answering():
                return found
            await asyncio.sleep(0.05)
        raise AssertionError("no process answered for 30 s")

    def sender(self, auth: str | None) -> Run:
        found = RUN.search(auth or "")
        assert found, auth
        return self.runs[int(found[1]) - 1]


@asynccontextmanager
async def fleet(tmp_path: Path, database: str) -> AsyncIterator[Fleet]:
    slack = await Slack(users={ALICE.id: ALICE.name} | {u.id: u.name for u in REPS}).start()
    discord = await FakeDiscord().start()
    async with aiohttp.ClientSession() as http:
        ships = Fleet(tmp_path, database, slack, discord, time.time(), http)
        try:
            yield ships
        finally:
            for run in ships.live.values():
                if run.proc.returncode is None:
                    run.proc.kill()
                    await run.proc.wait()
            for run in ships.runs:
                if run.reader is not None:
                    await asyncio.wait_for(run.reader, 10)
            await discord.close()
            await slack.stop()


def real_at(ships: Fleet, when: datetime) -> float:
    """The real second at which the runs' clock shows `when`."""
    return ships.epoch + (when - ships.anchor).total_seconds() / ships.speed


def local(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")


async def in_parallel(jobs: Sequence[Any], limit: int = CONCURRENCY) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(job) for job in jobs))


async def set_up(ships: Fleet, rng: random.Random) -> tuple[datetime, dict[int, datetime]]:
    """The coalition, its organizations and representatives, Discord connected, then the
    polls and meetings; the first due time (a whole fake minute) and each poll's close."""
    await ships.command(rng, ALICE, "/coalition", 'setup "Eastside Tenants"')
    await in_parallel([ships.command(rng, ALICE, "/coalition", f'org add "{org_name(i)}"')
                       for i in range(1, ORGS + 1)])
    await in_parallel([ships.command(rng, ALICE, "/coalition",
                                     f'rep add {rep.mention} "{org_name(n // 2 + 1)}"')
                       for n, rep in enumerate(REPS)])
    linked = await ships.command(rng, ALICE, "/coalition", "link")
    code = re.search(r"`([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})`", linked["text"])
    assert code, linked["text"]
    connected = await Driver(ships.discord).ok("coalition connect", code=code[1])
    assert "now part of Eastside Tenants" in connected.text, connected.text
    first = FIRST
    # the voted polls close a little after the last burst: votes late on a busy machine
    closes = {n: first + timedelta(minutes=MINUTES + 4) for n in range(1, VOTED_POLLS + 1)}
    closes |= {VOTED_POLLS + n: first + timedelta(minutes=n % MINUTES, seconds=30)
               for n in range(1, OTHER_POLLS + 1)}
    for number, when in closes.items():  # one by one: numbered in this order
        made = await ships.command(rng, ALICE, "/poll",
                                   f'create "Question {number}?" closes:"{local(when)}"')
        assert f"#{number}" in text_of(made), text_of(made)
    starts = {i: local(first + timedelta(minutes=OFFSETS[0] + i % 2))
              for i in range(1, MEETINGS + 1)}
    remind = ",".join(f"{m}m" for m in OFFSETS)
    await in_parallel([ships.command(rng, ALICE, "/meeting",
                                     f'schedule M{i:04d} "{start}" remind:{remind}')
                       for i, start in starts.items()])
    return first, closes


def ballot(rng: random.Random) -> list[Vote]:
    """Both representatives of every organization in every voted poll, one pair after
    another (the pairs shuffled), the same choice per pair: 1,000 votes."""
    pairs = [(poll, org) for poll in range(1, VOTED_POLLS + 1) for org in range(1, ORGS + 1)]
    rng.shuffle(pairs)
    votes = []
    for poll, org in pairs:
        choice = rng.choice(("agree", "disagree", "abstain"))
        reps = [REPS[2 * (org - 1)], REPS[2 * (org - 1) + 1]]
        rng.shuffle(reps)
        votes += [Vote(poll, org, rep, choice) for rep in reps]
    return votes


async def cast(ships: Fleet, vote: Vote, targets: random.Random) -> None:
    """Send one vote to a random answering process; acknowledged once the process said
    at the response_url that it recorded it."""
    run = targets.choice(await ships.wait_answering())
    workspace = ships.workspace(run)
    vote.to, vote.sent_at = run.name, time.time()
    rid = workspace.next_id("vote")
    answer = ships.slack.answer_of(rid)
    body = workspace.command_body(vote.user, "/poll", f"vote {vote.poll} {vote.choice}",
                                  rid=rid)
    try:
        status, _ = await workspace.post(body)
    except aiohttp.ClientError as error:  # killed while we asked
        vote.outcome, vote.done_at = type(error).__name__, time.time()
        return
    if status != 200:
        vote.outcome, vote.done_at = f"HTTP {status}", time.time()
        return
    died = asyncio.ensure_future(run.died.wait())
    await asyncio.wait({answer, died}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    died.cancel()
    vote.done_at = time.time()
    if not answer.done():
        vote.outcome = "killed before answering" if run.killed_at else "no answer in 30 s"
        return
    said = text_of(answer.result().body)
    vote.acked = f"vote on poll #{vote.poll}: {vote.choice}" in said and ":warning:" not in said
    vote.outcome = "acknowledged" if vote.acked else f"answered {said[:80]!r}"


def copies_of(ships: Fleet) -> dict[tuple[str, str], list[Copy]]:
    """Every reminder and result each platform received: (platform, M0001 or #1) ->
    copies, each with the run that posted it."""
    found: dict[tuple[str, str], list[Copy]] = defaultdict(list)

    def add(platform: str, text: str, auth: str | None, at: float) -> None:
        run = ships.sender(auth)
        if m := REMINDER.search(text):  # one of its meeting's five
            found[(platform, m[1])].append(Copy(at, run.name, run.killed_at))
        elif m := RESULT.search(text):
            found[(platform, f"#{m[1]}")].append(Copy(at, run.name, run.killed_at))

    for call in ships.slack.delivered:
        if call.method == "chat.postMessage" and call.body.get("channel") == HOME:
            add("slack", text_of(call.body), call.auth, call.at)
    for dcall in ships.discord.delivered:
        if dcall.path == f"/channels/{CHANNEL_ID}/messages":
            add("discord", Sent(dcall.body).text, dcall.auth, dcall.at)
    return found


def settled(database: str) -> tuple[int, int]:
    """(reminder and result rows, how many of them are still pending or sending)."""
    with psycopg.connect(database) as conn:
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status IN ('pending', 'sending'))"
            " FROM delivery WHERE kind IN ('meeting-reminder', 'poll-result')").fetchone()
    assert row is not None
    return row[0], row[1]


def sent_rows(database: str) -> int:
    with psycopg.connect(database) as conn:
        row = conn.execute("SELECT count(*) FROM delivery WHERE status = 'sent' AND kind IN"
                           " ('meeting-reminder', 'poll-result')").fetchone()
    assert row is not None
    return int(row[0])


def stored_votes(database: str) -> dict[tuple[int, int], list[tuple[str, str]]]:
    """(poll, organization) -> [(caster's Slack id, choice)] for every vote row."""
    rows: dict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
    with psycopg.connect(database) as conn:
        for poll, org, user, choice in conn.execute(
                "SELECT p.number, o.name, pe.platform_user_id, v.choice FROM vote v"
                " JOIN poll p ON p.id = v.poll_id JOIN org o ON o.id = v.org_id"
                " JOIN person pe ON pe.id = v.cast_by"):
            rows[(poll, int(org.removeprefix("Org ")))].append((user, choice))
    return rows


def results(database: str) -> dict[int, tuple[str, int, int]]:
    """poll number -> (status, organizations counted as voting, sum of the tallies)."""
    with psycopg.connect(database) as conn:
        return {number: (status, voted or 0, sum(json.loads(tallies or "{}").values()))
                for number, status, voted, tallies in conn.execute(
                    "SELECT p.number, p.status, d.voted, d.tallies FROM poll p"
                    " LEFT JOIN decision d ON d.poll_id = p.id")}


def read_logs(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted(folder.glob("*.log")))


def check_votes(votes: list[Vote], database: str) -> str:
    """Every acknowledged vote present; one row per (poll, organization), cast by one who
    tried, the later of two that did not overlap; each result counts each once."""
    stored = stored_votes(database)
    tried: dict[tuple[int, int], list[Vote]] = defaultdict(list)
    for vote in votes:
        tried[(vote.poll, vote.org)].append(vote)
    for pair, rows in stored.items():
        assert len(rows) == 1, f"{pair}: {len(rows)} vote rows"
        (user, choice), = rows
        assert pair in tried, (pair, rows)
        assert user in {v.user.id for v in tried[pair]}, (pair, rows)
        assert choice == tried[pair][0].choice, (pair, rows)
    for pair, pair_votes in tried.items():
        if any(v.acked for v in pair_votes):
            assert pair in stored, f"acknowledged, not stored: {pair} {pair_votes}"
        first, last = sorted(pair_votes, key=lambda v: v.sent_at)
        if last.acked and last.sent_at > first.done_at:  # one after the other
            assert stored[pair] == [(last.user.id, last.choice)], (pair, pair_votes)
    for number, (status, voted, tallied) in results(database).items():
        assert status == "closed", (number, status)
        counted = sum(len(rows) for (poll, _), rows in stored.items() if poll == number)
        assert (voted, tallied) == (counted, counted), (number, voted, tallied, counted)
    outcomes = Counter(v.outcome if not v.acked else "acknowledged" for v in votes)
    return (f"votes: {len(votes)} sent, {sum(v.acked for v in votes)} acknowledged, all "
            f"stored; {sum(map(len, stored.values()))} rows for {len(stored)} "
            f"(poll, organization) pairs; outcomes {dict(outcomes)}")


async def test_three_processes_killed_and_restarted_lose_no_vote_and_resend_only_in_the_window(
        tmp_path: Path, db_path: str) -> None:
    rng = random.Random(SEED)
    kills_rng, targets = random.Random(SEED + 1), random.Random(SEED + 2)
    began = time.time()
    async with fleet(tmp_path, db_path) as ships:
        for slot in range(PROCESSES):
            await ships.start(slot)
        await asyncio.wait_for(asyncio.gather(*(r.ready.wait() for r in ships.runs)), 60)
        first, closes = await set_up(ships, rng)
        set_up_in = time.time() - began
        assert time.time() < real_at(ships, first), "the setup took 15 minutes"
        for run in list(ships.live.values()):  # the setup's runs: killed too
            await run.kill()
        ships.anchor, ships.epoch, ships.speed = first - LEAD, time.time(), SPEED
        for slot in range(PROCESSES):
            await ships.start(slot)
        await asyncio.wait_for(asyncio.gather(*(r.ready.wait() for r in ships.live.values())),
                               60)
        dues = sorted({real_at(ships, first + timedelta(minutes=OFFSETS[0] + s - o))
                       for o in OFFSETS for s in (0, 1)}
                      | {real_at(ships, when) for when in closes.values()})
        votes = ballot(rng)
        voting_ends = real_at(ships, first + timedelta(minutes=MINUTES - 2))
        pace = max(voting_ends - time.time(), 1.0) / len(votes)
        storm = time.time()

        async def paced(k: int, vote: Vote) -> None:
            await asyncio.sleep(max(storm + k * pace - time.time(), 0))
            await cast(ships, vote, targets)

        voting = asyncio.ensure_future(in_parallel(
            [paced(k, vote) for k, vote in enumerate(votes)], limit=CONCURRENCY * 2))
        kills: list[float] = []  # how far each kill fell from the nearest due time
        while time.time() < dues[-1] + 1.0 or (len(kills) < KILLS
                                                 and time.time() < dues[-1] + 120):
            at = time.time() + kills_rng.uniform(*KILL_EVERY)
            coming = [t for t in dues if at - 1.0 < t < at + 2.0]
            if coming and kills_rng.random() < 0.5:  # close to a burst: sweep, claims, posts
                at = coming[0] + kills_rng.uniform(-0.05, 0.3)
            await asyncio.sleep(max(at - time.time(), 0))
            victims = sorted(ships.answering(), key=lambda r: r.slot)
            if len(victims) < 2:  # keep one answering
                continue
            victim = kills_rng.choice(victims)
            await victim.kill()
            kills.append(min(abs(time.time() - t) for t in dues))
            await ships.start(victim.slot)  # a new run on its shard, at once
        await asyncio.wait_for(voting, 120)
        await asyncio.wait_for(asyncio.gather(*(r.ready.wait() for r in ships.live.values())),
                               60)
        expected_rows = 2 * (MEETINGS * len(OFFSETS) + VOTED_POLLS + OTHER_POLLS)
        stormed = time.time() - storm
        for _ in range(SETTLE * 4):
            rows, unsettled = settled(db_path)
            if rows == expected_rows and not unsettled:
                break
            await asyncio.sleep(0.25)
        else:
            raise AssertionError(f"deliveries not settled in {SETTLE} s: {settled(db_path)}")
        settled_in = time.time() - storm - stormed
        for run in list(ships.live.values()):  # the last runs stop cleanly
            run.proc.terminate()
            assert await asyncio.wait_for(run.proc.wait(), 30) == 0, run.name
        ended = time.time() - began

    logs = read_logs(tmp_path)
    copies = copies_of(ships)
    expected = {(platform, key) for platform in ("slack", "discord")
                for key in [f"M{i:04d}" for i in range(1, MEETINGS + 1)]
                + [f"#{n}" for n in range(1, VOTED_POLLS + OTHER_POLLS + 1)]}

    def wanted(key: tuple[str, str]) -> int:  # a meeting's five reminders, or one result
        return len(OFFSETS) if key[1].startswith("M") else 1

    duplicates = {key: found for key, found in copies.items() if len(found) > wanted(key)}
    extra = sum(len(found) - wanted(key) for key, found in duplicates.items())
    report = (f"{len(ships.runs)} runs, {len(kills)} kills ({sum(k < 0.2 for k in kills)} "
              f"within 200 ms of a due time); set up in {set_up_in:.0f} s, kills for "
              f"{stormed:.0f} s, the rest sent in {settled_in:.0f} s, all in {ended:.0f} s; "
              f"posts: {sum(map(len, copies.values()))} for {len(expected)} (platform, "
              f"notice) pairs; duplicates: {extra}")
    missing = sorted(expected - set(copies))
    assert not missing, f"never delivered: {missing[:20]}\n{report}"
    assert set(copies) == expected, sorted(set(copies) - expected)[:20]
    short = {key: len(found) for key, found in copies.items() if len(found) < wanted(key)}
    assert not short, f"delivered too few times: {short}\n{report}"
    assert sent_rows(db_path) == expected_rows, report  # each row sent: none expired
    windows = [extra_copies_inside_window(f"{platform} {key}", found, wanted((platform, key)),
                                          report, slack=1.0)
               for (platform, key), found in sorted(duplicates.items())]
    voted = check_votes(votes, db_path)
    print(f"\n{report}; widest send-to-kill gap of a duplicate: "
          f"{max(windows, default=0.0) * 1000:.0f} ms\n{voted}")
    assert len(kills) >= KILLS, report
    assert sum(k < 0.2 for k in kills) >= 1, report  # how many depends on the machine
    assert sum(v.acked for v in votes) >= len(votes) // 4, voted
    assert "Traceback" not in logs, logs[-3000:]
