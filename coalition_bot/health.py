"""Is the bot healthy? `GET /healthz` and `GET /metrics`, and the admin server.

Healthy means: the database answers (a write transaction begins within the busy wait),
the scheduler swept recently, and every front door is connected. `/healthz` answers 200
or 503 with a JSON body naming each check; `/metrics` sets the gauges from the same
facts and answers in Prometheus' text format. They are served on the bot's own HTTP
server when it has one (Slack over HTTP: `Bot.http_routes`), or on 127.0.0.1 at
`[bot] admin_port`.

In detail:

- **Health and metrics** (`health.py`, `metrics.py`) sit beside the bot, fed by listeners:
  `Bot.command_listeners` (one `CommandRecord` per command: its name from the specs,
  never its values), `Outbox.listeners` (one `DeliveryRecord` per mark) and the
  scheduler's `running` / `last_sweep`. prometheus-client stays out of rules, store,
  services and commands; each bot has its own `CollectorRegistry`, so bots in one test
  process do not collide. Gauges are read from the database at scrape time
  (`store.deliveries.overview`), in the same write transaction `/healthz` uses to ask
  whether the database answers: a lock held past the busy wait is exactly what would
  stop a command. Routes go on Slack's aiohttp server through `Bot.http_routes`, or on
  127.0.0.1 at `[bot] admin_port`.
- **In use** is an advisory `flock` on `DATABASE.lock` (`store/running.py`): `run` and
  `console` hold it shared, `restore` takes it exclusively. The kernel drops it when a
  process dies, so unlike a PID file nothing stale survives a crash.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web

from coalition_bot.bot import Bot
from coalition_bot.errors import CoalitionError
from coalition_bot.http_site import HttpSite
from coalition_bot.metrics import CONTENT_TYPE_LATEST, Metrics
from coalition_bot.outlets import FrontDoor
from coalition_bot.scheduler import Scheduler
from coalition_bot.store import deliveries as delivery_sql

__all__ = ["AdminServer", "Facts", "gather"]

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=1)


@dataclass
class Facts:
    """What health and metrics are made of, gathered in one go."""

    database: str = ""  # "" when it answered, else what is wrong
    overview: delivery_sql.Overview | None = None
    age: float = 0.0  # of the oldest pending delivery, seconds
    scheduler: str = ""  # "" when it swept recently, else what is wrong
    lag: float | None = None  # seconds since the last sweep
    doors: dict[str, bool] = field(default_factory=dict)

    @property
    def problems(self) -> dict[str, str]:
        found = {"database": self.database, "scheduler": self.scheduler}
        found |= {name: "not connected" for name, up in self.doors.items() if not up}
        return {name: why for name, why in found.items() if why}

    def body(self) -> dict[str, Any]:
        """The JSON of /healthz: ok, each check, and the problems in words."""
        checks: dict[str, Any] = {
            "database": {"ok": not self.database, "error": self.database or None},
            "scheduler": {"ok": not self.scheduler, "error": self.scheduler or None,
                          "last_sweep_seconds_ago": None if self.lag is None
                          else round(self.lag, 1)},
        }
        for name, up in self.doors.items():
            checks[name] = {"ok": up, "error": None if up else "not connected"}
        if self.overview is not None:
            checks["deliveries"] = {"pending": self.overview.pending,
                                    "late": self.overview.late,
                                    "failed": self.overview.failed,
                                    "oldest_pending_seconds": round(self.age, 1)}
        return {"ok": not self.problems, "problems": self.problems, "checks": checks}


def _connected(door: FrontDoor) -> bool:
    return bool(getattr(door, "connected", True))


async def gather(bot: Bot, scheduler: Scheduler | None,
                 doors: Sequence[FrontDoor]) -> Facts:
    """Ask the database, the scheduler and the front doors how they are."""
    facts = Facts(doors={door.platform: _connected(door) for door in doors})
    now = bot.clock()
    try:
        async with bot.db.transaction() as conn:
            facts.overview = await delivery_sql.overview(conn, now, LATE_AFTER)
    except sqlite3.OperationalError as error:
        text = str(error)
        facts.database = (f"locked by another program for more than "
                          f"{bot.db.busy_timeout_ms / 1000:g} s" if "locked" in text
                          or "busy" in text else f"SQLite says: {text}")
    except (sqlite3.Error, CoalitionError, RuntimeError) as error:
        facts.database = str(error)
    if facts.overview is not None and facts.overview.oldest_due is not None:
        facts.age = max((now - facts.overview.oldest_due).total_seconds(), 0.0)
    if scheduler is not None:
        if scheduler.last_sweep is not None:
            facts.lag = time.monotonic() - scheduler.last_sweep
        if not scheduler.running:
            facts.scheduler = "stopped"
        elif facts.lag is None or facts.lag > scheduler.stale_after:
            facts.scheduler = (f"no sweep for more than {scheduler.stale_after:.0f} s"
                               if facts.lag is None else
                               f"last sweep {facts.lag:.0f} s ago (expected every "
                               f"{scheduler.sweep_every / scheduler._speed():.0f} s)")
    return facts


class AdminServer:
    """/healthz and /metrics of one bot: as routes for another server, or served alone."""

    def __init__(self, bot: Bot, scheduler: Scheduler | None,
                 doors: Sequence[FrontDoor] = (), metrics: Metrics | None = None) -> None:
        self.bot = bot
        self.scheduler = scheduler
        self.doors = doors
        self.metrics = metrics or Metrics().attach(bot)
        self._site: HttpSite | None = None

    @property
    def routes(self) -> list[tuple[str, str, Any]]:
        return [("GET", "/healthz", self.healthz), ("GET", "/metrics", self.scrape)]

    async def healthz(self, request: web.Request) -> web.Response:
        facts = await gather(self.bot, self.scheduler, self.doors)
        body = facts.body()
        return web.Response(text=json.dumps(body), status=200 if body["ok"] else 503,
                            content_type="application/json")

    async def scrape(self, request: web.Request) -> web.Response:
        facts = await gather(self.bot, self.scheduler, self.doors)
        m = self.metrics
        m.database.set(0 if facts.database else 1)
        if facts.overview is not None:
            m.pending.set(facts.overview.pending)
            m.late.set(facts.overview.late)
            m.failed.set(facts.overview.failed)
            m.oldest.set(facts.age)
        m.lag.set(-1 if facts.lag is None else facts.lag)
        for name, up in facts.doors.items():
            m.connected.labels(name).set(1 if up else 0)
        return web.Response(body=m.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def serve(self, port: int, host: str = "127.0.0.1") -> str:
        """Serve the routes alone on host:port (`[bot] admin_port`); say where."""
        site = HttpSite(self.routes, purpose="for /healthz and /metrics",
                        hint="Pick another [bot] admin_port.")
        where = await site.start(host, port)
        self._site = site
        return f"{where}/healthz and /metrics"

    async def stop(self) -> None:
        if self._site is not None:
            await self._site.stop()
            self._site = None
