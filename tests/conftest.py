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
_TESTS = "coalition_tests"


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
