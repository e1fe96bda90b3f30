"""Shared fixtures: a real database, the real bot, a clock tests can move.

The database is an SQLite file; in modules marked `both_backends` each test runs twice,
on SQLite and on a fresh PostgreSQL database (see `postgres_server`).

`chat` is a queue-in/queue-out front door in the style of errbot's test backend: it
builds the same `Invocation`s an adapter builds and records the notices the bot posts.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from helpers import Chat, MovableClock, RecordingOutlet
from scheduler_support import Outbox

from coalition_bot.bot import Bot
from coalition_bot.scheduler import Scheduler

PG_ENV = "COALITION_BOT_TEST_PG"  # a server's URL (a database it may create others in)
# pytest-xdist's worker ("gw0", "gw1"…; unset when the suite runs in one process): each
# worker has its own test database, so two workers on one server never empty each other's
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_TESTS = f"coalition_tests_{WORKER}" if WORKER else "coalition_tests"

# `-n auto` (pyproject's addopts) runs the suite in this many worker processes at most:
# past a few, the longest file (test_multiprocess_pg.py, ~3 min alone) bounds the run.
MAX_WORKERS = 4
# The slowest files (seconds, serial, on the 2-core VM) go to the workers first, so that
# none of them is left running alone at the end (`--dist loadfile` hands out whole files,
# in collection order with `--no-loadscope-reorder`).
SLOW_FIRST = (
    "tests/test_multiprocess_pg.py",  # 143
    "tests/reliability/test_fuzz_commands.py",  # 101
    "tests/test_scheduler_kill.py",  # 57
    "tests/slack/test_outbox_processes.py",  # 35
    "tests/test_grammar_fuzz.py",  # 30
    "tests/reliability/test_kill_during_votes.py",  # 26
    "tests/test_packaging.py",  # 20
)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """How many workers `-n auto` starts: one per usable core (at most MAX_WORKERS), and
    none when the run names a single test file (its output, `-s` included, then comes as
    without xdist; one file runs in one worker anyway). PYTEST_XDIST_AUTO_NUM_WORKERS
    still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    files = {Path(arg.split("::", 1)[0]).resolve() for arg in config.args}
    if len(files) == 1 and next(iter(files)).is_file():
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1
    return min(MAX_WORKERS, cores)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In xdist's workers, the files of SLOW_FIRST first (the order of the rest, and of
    the tests within each file, unchanged); a run in one process keeps pytest's order."""
    if not WORKER:
        return
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests of modules marked `both_backends` run on SQLite and on PostgreSQL."""
    if metafunc.definition.get_closest_marker("both_backends") and \
            "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a migrated PostgreSQL database for the tests: one in the server named by
    $COALITION_BOT_TEST_PG (CI starts one), else in a throwaway cluster started here,
    else the PostgreSQL tests skip, saying why."""
    import psycopg
    from postgres_cluster import start

    cluster = None
    url = os.environ.get(PG_ENV)
    if not url:
        try:
            cluster = start()
        except (RuntimeError, OSError) as error:
            pytest.skip(f"PostgreSQL tests skipped: {error}; set {PG_ENV} to a server's URL")
        url = cluster.url
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {_TESTS} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {_TESTS}")
        tests = _with_database(url, _TESTS)
        _migrate(tests)
        yield tests
    finally:
        if cluster is not None:
            cluster.stop()


def _migrate(url: str) -> None:
    from coalition_bot.store.database import Database

    async def run() -> None:
        db = await Database(url).open()
        await db.close()
    with ThreadPoolExecutor(1) as pool:  # outside the test's event loop
        pool.submit(asyncio.run, run()).result()


@pytest.fixture
def db_path(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Path | str:
    """The test's database: an SQLite file, or the URL of the PostgreSQL test database,
    emptied (every table but `schema_migration`, numbering restarted): a fresh database
    as far as the bot can tell, for a fraction of CREATE DATABASE's cost."""
    if backend != "postgresql":
        return tmp_path / "coalition.db"
    import psycopg

    url: str = request.getfixturevalue("postgres_server")
    with psycopg.connect(url, autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> 'schema_migration'")]
        conn.execute(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    return url


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def bot(db_path: Path, clock: MovableClock):
    bot = await Bot.open(db_path, clock=clock)
    yield bot
    await bot.close()


@pytest.fixture
async def chat(bot: Bot) -> Chat:
    outlet = RecordingOutlet("console")
    bot.add_outlet(outlet)
    return Chat(bot, outlet)


@pytest.fixture
async def coalition(chat: Chat) -> Chat:
    """A coalition set up by Alice with two organizations, one represented by Bob."""
    await chat.ok("Alice", 'coalition setup "Eastside Tenants" America/New_York')
    await chat.ok("Alice", 'coalition org add "Tenants United"')
    await chat.ok("Alice", 'coalition org add "Climate Now"')
    await chat.ok("Alice", 'coalition rep add Bob "Tenants United"')
    return chat


@pytest.fixture
async def partners(coalition: Chat) -> Chat:
    """The coalition plus Dan (Climate Now's representative) and Eve (a member)."""
    await coalition.ok("Alice", 'coalition rep add Dan "Climate Now"')
    await coalition.ok("Eve", "coalition info")
    return coalition


@pytest.fixture
async def world(tmp_path: Path):
    """Discord: the fake Discord API, the real discord.py client and our adapter, the
    bot on a real SQLite file (`fake_discord.World`); no coalition yet."""
    from fake_discord import World  # loads discord.py only for the tests that use it

    async with World.open(tmp_path) as w:
        yield w


@pytest.fixture
async def outbox(bot: Bot, coalition: Chat, clock: MovableClock) -> Outbox:
    """The console outlet, replaced (after the coalition is set up) by a recording one
    that can be made to fail (the scheduler tests)."""
    box = Outbox("console", clock)
    bot.add_outlet(box)
    return box


@pytest.fixture
def scheduler(bot: Bot) -> Scheduler:
    """A real Scheduler on the bot; tests call `tick()` (its timers are never started)."""
    return Scheduler(bot)
