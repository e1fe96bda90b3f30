"""Prometheus metrics of one bot, in a registry of its own (never the global one, so two
bots in one process, as in the tests, do not collide).

Counters and the latency histogram are fed by listeners on the bot (one call per
command) and on its outbox (one per delivery outcome); the gauges are set from the
database and the scheduler just before each scrape (`update`).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from coalition_bot.bot import Bot, CommandRecord
from coalition_bot.outbox import DeliveryRecord

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

# seconds: a command is a transaction (ms) unless it waits on a lock or a platform call
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The bot's metrics; `attach(bot)` starts counting its commands and deliveries."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.commands = Counter("coalition_bot_commands", "Commands run, by command and "
                                "outcome (ok, help, refused, busy, error)",
                                ["command", "outcome"], registry=r)
        self.latency = Histogram("coalition_bot_command_duration_seconds",
                                 "Time from a command's arrival to its answer",
                                 ["command"], buckets=BUCKETS, registry=r)
        self.deliveries = Counter("coalition_bot_deliveries", "Delivery outcomes (sent, "
                                  "failed, retry, dropped, expired), by platform",
                                  ["platform", "outcome"], registry=r)
        self.pending = Gauge("coalition_bot_deliveries_pending",
                             "Deliveries due and not yet sent", registry=r)
        self.late = Gauge("coalition_bot_deliveries_late",
                          "Deliveries due more than a minute ago and not yet sent", registry=r)
        self.failed = Gauge("coalition_bot_deliveries_failed",
                            "Deliveries the platform refused for good", registry=r)
        self.oldest = Gauge("coalition_bot_oldest_pending_delivery_age_seconds",
                            "How long the oldest unsent due delivery has waited", registry=r)
        self.lag = Gauge("coalition_bot_scheduler_lag_seconds",
                         "Seconds since the scheduler's last sweep (-1: none yet)", registry=r)
        self.database = Gauge("coalition_bot_database_up",
                              "1 when the database answered the last scrape", registry=r)
        self.connected = Gauge("coalition_bot_front_door_connected",
                               "1 when the front door is connected (or listening)",
                               ["platform"], registry=r)

    def attach(self, bot: Bot) -> Metrics:
        bot.command_listeners.append(self.on_command)
        bot.outbox.listeners.append(self.on_delivery)
        return self

    def on_command(self, record: CommandRecord) -> None:
        self.commands.labels(record.command, record.outcome).inc()
        self.latency.labels(record.command).observe(record.seconds)

    def on_delivery(self, record: DeliveryRecord) -> None:
        self.deliveries.labels(record.platform, record.outcome).inc()

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
