"""`coalition-bot`: the command-line entry point. Reads the environment; wires adapters."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import coalition_bot
from coalition_bot.errors import CoalitionError

if TYPE_CHECKING:
    from coalition_bot.clock import Clock
    from coalition_bot.config import Config
    from coalition_bot.store.deliveries import Overview

__all__ = ["main"]

log = logging.getLogger("coalition_bot")

DB_ENV = "COALITION_BOT_DB"
CLOCK_ENV = "COALITION_BOT_CLOCK"  # ISO[,EPOCH[,SPEED]]: a shifted or faster clock, for
# trying reminders without waiting, and for process-level tests
DEFAULT_DB = "coalition.db"
DEFAULT_CONFIG = "config.toml"
EXIT_PIPE = 141  # 128 + SIGPIPE: what a program killed by a closed pipe exits with


def _db_path(arg: str | None, config: str | None = None) -> str:
    """--db, else $COALITION_BOT_DB, else the config file's database (relative to the
    config file), else ./coalition.db. The config is read when named with --config, or
    when ./config.toml is there: `backup` and `migrate` find the file `run` uses."""
    if arg or os.environ.get(DB_ENV):
        return arg or os.environ[DB_ENV]
    if config is not None or os.path.isfile(DEFAULT_CONFIG):
        from coalition_bot.config import load_config

        return load_config(config or DEFAULT_CONFIG).bot.database
    return DEFAULT_DB


def _database_options(parser: argparse.ArgumentParser, verb: str) -> None:
    """--db and --config, for the commands that work on the database file itself."""
    parser.add_argument("--db", help=f"SQLite file (default: ${DB_ENV}, else the database "
                                     f"of --config, else ./{DEFAULT_DB})")
    parser.add_argument("--config", help=f"the config file whose database to {verb} "
                                         f"(default: ./{DEFAULT_CONFIG} if there)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coalition-bot",
        description="A chat bot for a coalition of partner organizations.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument("--version", action="version",
                        version=f"coalition-bot {coalition_bot.__version__}")
    sub = parser.add_subparsers(dest="action", required=True)
    console = sub.add_parser("console", help="the whole bot in this terminal (no tokens)")
    console.add_argument("--db", help=f"SQLite file (default: ${DB_ENV} or ./{DEFAULT_DB})")
    console.add_argument("--as", dest="user", default=os.environ.get("USER") or "You",
                         help="who you are at the start (switch later with /as NAME)")
    console.add_argument("--workspace", default="local",
                         help="console workspace id: each one holds its own coalition")
    console.add_argument("--config", help="a config file whose [web] section to serve: "
                                          "the coalition pages and calendar feeds")
    migrate = sub.add_parser("migrate", help="create or upgrade the database, then exit")
    _database_options(migrate, "use")
    backup = sub.add_parser("backup", help="copy the database safely, even while the bot "
                                           "runs")
    backup.add_argument("dest", help="the backup file to write")
    _database_options(backup, "copy")
    backup.add_argument("--force", action="store_true", help="overwrite DEST if it exists")
    backup.add_argument("--keep", type=int, metavar="N",
                        help="then delete all but the newest N backups named like DEST "
                             "(same folder, other digits: dates or numbers)")
    restore = sub.add_parser("restore", help="put a backup in place of the database (the "
                                             "bot must be stopped)")
    restore.add_argument("backup", help="the backup file")
    _database_options(restore, "replace")
    copy = sub.add_parser("copy", help="copy an SQLite database into an empty PostgreSQL "
                                       "database (stop the bot first)")
    copy.add_argument("--from", dest="source", required=True, metavar="PATH",
                      help="the SQLite file, at this version's schema (see migrate)")
    copy.add_argument("--to", dest="target", required=True, metavar="URL",
                      help="postgresql://USER@HOST/DATABASE, empty; no password in it "
                           "(PGPASSWORD or ~/.pgpass)")
    verify = sub.add_parser("verify-log", help="check every coalition's decision log (its "
                                               "hash chain); exit 1 if one does not verify")
    _database_options(verify, "check")
    check = sub.add_parser("check-config", help="check the config file and the environment; "
                                                "names every problem")
    check.add_argument("--config", default=DEFAULT_CONFIG, help="the config file")
    status = sub.add_parser("status", help="is the bot healthy? the database's deliveries "
                                           "and the running bot's /healthz")
    status.add_argument("--config", default=DEFAULT_CONFIG, help="the config file")
    status.add_argument("--db", help="SQLite file (default: the database of --config)")
    run = sub.add_parser("run", help="start the Discord and/or Slack front doors of "
                                     "config.toml, with the scheduler")
    run.add_argument("--config", default="config.toml", help="the config file")
    dsync = sub.add_parser("discord-sync", help="register the slash commands with Discord")
    dsync.add_argument("--config", default="config.toml", help="the config file")
    dsync.add_argument("--guild", action="append", default=[], metavar="ID",
                       help="sync to this server only (repeatable; default: guild_ids "
                            "of [discord], else globally)")
    helper = sub.add_parser("help", help="the command reference")
    helper.add_argument("--markdown", action="store_true", help="as Markdown, for README.md")
    slack_manifest = sub.add_parser("slack-manifest", help="print a Slack app manifest to "
                                                           "create the Slack app from")
    slack_manifest.add_argument("--prefix", default="",
                                help="command prefix, e.g. cb- for /cb-poll (default none)")
    slack_manifest.add_argument("--url", help="public https:// address of the bot for HTTP; "
                                              "without it, the app uses Socket Mode")
    slack_manifest.add_argument("--format", choices=("yaml", "json"), default="yaml")
    slack_manifest.add_argument("--distribution", action="store_true",
                                help="for an app many workspaces install ([slack] install = "
                                     "\"oauth\"): adds the OAuth redirect URL; needs --url")
    slack_manifest.add_argument("--token-rotation", action="store_true",
                                help="with --distribution: bot tokens expire every 12 hours "
                                     "and the bot renews them (Slack cannot turn this off "
                                     "again)")
    slack_manifest.add_argument("--org-deploy", action="store_true",
                                help="with --distribution: Enterprise Grid orgs may install "
                                     "the app org-wide, for all their workspaces")
    sub.add_parser("new-token-key", help="print a new key for [slack] token_key_env (tokens "
                                         "of installed workspaces are encrypted with it)")
    return parser


def _clock() -> Clock:
    from coalition_bot.clock import clock_from_text, system_clock

    text = os.environ.get(CLOCK_ENV, "").strip()
    return clock_from_text(text) if text else system_clock


async def _console(args: argparse.Namespace) -> int:
    from coalition_bot.adapters.console.app import ConsoleAdapter
    from coalition_bot.bot import Bot
    from coalition_bot.scheduler import Scheduler
    from coalition_bot.store.running import hold_shared

    web_config = None
    if args.config:
        from coalition_bot.config import load_config

        web_config = load_config(args.config).web
    path = _db_path(args.db)
    in_use = hold_shared(path)  # `restore` refuses while any bot holds it
    bot = await Bot.open(path, clock=_clock(), base_url=web_config.base_url
                         if web_config is not None and web_config.enabled else "")
    scheduler = Scheduler(bot)
    pages = None
    try:
        if web_config is not None and web_config.enabled:
            from coalition_bot.web import WebServer

            pages = WebServer(bot, web_config)
            print(f"coalition-bot: coalition pages on {await pages.serve()}", flush=True)
        console = ConsoleAdapter(bot, user=args.user, workspace=args.workspace)
        await scheduler.start()
        await console.run()
    finally:
        await scheduler.stop()
        if pages is not None:
            await pages.stop()
        await bot.close()
        if in_use is not None:
            in_use.close()
    return EXIT_PIPE if console.out_closed else 0


def settle_heap() -> None:
    """Load the chart library, then take everything alive out of the garbage collector's
    full passes (`gc.freeze`). For the long-running bot only (`run`), once it serves.

    Why: matplotlib's modules, fonts and caches, and the front doors' libraries, live
    as long as the process, ~80 000 objects that every full collection walked again;
    `/coalition health` makes ~20 000 short-lived rows and set off such passes (36 ms a
    call, 6-9 ms frozen; `bench/health_bench.py`). At start-up rather than when a module
    is imported: an import should not change the collector for the whole process, and
    command-line calls and tests, short-lived, do not load matplotlib at all. Loading
    it here also spares the first chart the import (0.4 s, more on a busy machine)."""
    import gc

    from coalition_bot.charts import load

    load()
    gc.collect()
    gc.freeze()


def _settled(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not load the chart library at start-up: %s", task.exception(),
                    extra={"event": "settle_heap_failed"})


async def _run(args: argparse.Namespace) -> None:
    """Start every front door the config enables and serve until SIGINT / SIGTERM."""
    import signal

    from coalition_bot.bot import Bot, FrontDoor
    from coalition_bot.config import ConfigError, load_config

    config = load_config(args.config)
    from coalition_bot.logs import configure

    configure(config.bot.log_format, config.bot.log_level)
    from coalition_bot.scheduler import Scheduler

    if not (config.slack.enabled or config.discord.enabled or config.web.enabled):
        raise ConfigError("Neither [slack] nor [discord] is enabled in the config (nor "
                          "[web]).",
                          hint="Set enabled = true in one of them, or try "
                               "`coalition-bot console`.")
    from coalition_bot.store.dialect import safe_target

    path = os.environ.get(DB_ENV) or config.bot.database
    doors_on = [name for name, on in (("slack", config.slack.enabled),
                                      ("discord", config.discord.enabled),
                                      ("web", config.web.enabled)) if on]
    log.info("coalition-bot %s starting: database %s, front doors %s",
             coalition_bot.__version__, safe_target(path), ", ".join(doors_on),
             extra={"event": "start", "version": coalition_bot.__version__})
    from coalition_bot.store.dialect import is_postgres_url
    from coalition_bot.store.running import hold_shared

    on_file = not is_postgres_url(path)
    created = on_file and not _exists(path)  # a start that fails leaves no new file behind
    in_use = hold_shared(path) if on_file else None  # `restore` refuses while held
    try:
        bot = await Bot.open(path, clock=_clock(),
                             base_url=config.web.base_url if config.web.enabled else "")
    except BaseException:
        if in_use is not None:
            in_use.close()
        if created:
            _remove_database(path)
        raise
    scheduler = Scheduler(bot, grace=config.scheduler.grace_span,
                          poll_reminder=config.scheduler.poll_reminder_span)
    doors: list[FrontDoor] = []
    from coalition_bot.health import AdminServer

    admin = AdminServer(bot, scheduler, doors)  # /healthz, /metrics
    bot.http_routes.extend(admin.routes)  # served by Slack's HTTP server when it has one
    pages = None
    started = False
    try:
        if config.bot.admin_port:
            where = await admin.serve(config.bot.admin_port)
            print(f"coalition-bot: health on {where}", flush=True)
        if config.web.enabled:
            from coalition_bot.web import WebServer

            pages = WebServer(bot, config.web)
            if config.slack.enabled and config.slack.transport == "http":
                bot.http_routes.extend(pages.routes)  # on Slack's server, with /healthz
            else:
                where = await pages.serve()
                print(f"coalition-bot: coalition pages on {where}", flush=True)
        if config.slack.enabled:
            from coalition_bot.adapters.slack import build as build_slack

            doors.append(build_slack(bot, config.slack))
        if config.discord.enabled:
            from coalition_bot.adapters.discord import build as build_discord

            doors.append(build_discord(bot, config.discord))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        for door in doors:
            bot.add_outlet(door)
            where = await door.start()
            print(f"coalition-bot: {door.platform} ready: {where}", flush=True)
        await scheduler.start()
        started = True
        settling = asyncio.create_task(asyncio.to_thread(settle_heap))  # nobody waits
        settling.add_done_callback(_settled)
        await stop.wait()
        log.info("stopping: finishing the sends in progress")
    finally:
        await scheduler.stop(float(config.scheduler.stop_grace))
        for door in reversed(doors):
            await door.stop()
        if pages is not None:
            await pages.stop()
        await admin.stop()
        await bot.close()
        if in_use is not None:
            in_use.close()
        if created and not started:
            _remove_database(path)


def _exists(path: str) -> bool:
    return os.path.exists(path)


def _remove_database(path: str) -> None:
    """Remove a database file this start created (and SQLite's files beside it)."""
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        try:
            os.remove(path + suffix)
        except OSError:
            pass


async def _migrate(args: argparse.Namespace) -> None:
    from coalition_bot.store.database import Database

    db = await Database(_db_path(args.db, args.config)).open(run_migrations=False)
    try:
        applied = await db.migrate()  # waits for a running bot's write, if any
    finally:
        await db.close()
    path = db.target
    if applied:
        print(f"{path}: applied migration(s) {', '.join(f'{v:04d}' for v in applied)}")
    else:
        print(f"{path}: up to date")


def _backup(args: argparse.Namespace) -> None:
    from coalition_bot.errors import UsageError
    from coalition_bot.store.backup import backup, prune

    if args.keep is not None and args.keep < 1:
        raise UsageError(f"--keep must be 1 or more, not {args.keep}.")
    report = backup(_db_path(args.db, args.config), args.dest, force=args.force)
    print(f"{report.path}: {report.bytes} bytes, schema version {report.schema_version}, "
          f"{report.coalitions} coalition(s), {report.decisions} decision(s); checked")
    if args.keep is not None:
        removed = prune(args.dest, args.keep)
        print(f"kept the newest {args.keep}; removed {len(removed)} older: "
              f"{', '.join(p.name for p in removed) or 'none'}")


def _restore(args: argparse.Namespace) -> None:
    from coalition_bot.store.backup import restore

    report = restore(args.backup, _db_path(args.db, args.config))
    if report.kept_aside is not None:
        print(f"kept the previous database aside as {report.kept_aside}")
    print(f"restored {report.backup} into {report.database}: schema version "
          f"{report.schema_version}, {report.coalitions} coalition(s), {report.decisions} "
          f"decision(s); integrity checked. Start the bot again (it migrates an older "
          f"schema itself, or run `coalition-bot migrate`).")


async def _copy(args: argparse.Namespace) -> None:
    from coalition_bot.store.copy import copy_database

    report = await copy_database(args.source, args.target)
    for table, rows in report.tables:
        print(f"  {table}: {rows}")
    print(f"copied {report.source} into {report.target}: {report.rows} rows in "
          f"{len(report.tables)} tables, schema version {report.schema_version}; row counts "
          f"checked. Point [bot] database at it and start the bot.")


async def _overview(path: str) -> Overview:
    from coalition_bot.clock import system_clock
    from coalition_bot.health import LATE_AFTER
    from coalition_bot.store import deliveries as delivery_sql
    from coalition_bot.store.database import Database

    db = await Database(path).open(run_migrations=False)
    try:
        async with db.transaction() as conn:
            return await delivery_sql.overview(conn, system_clock(), LATE_AFTER)
    finally:
        await db.close()


def _status(args: argparse.Namespace) -> int:
    """The facts of /healthz for a person: from the database, and from the running bot's
    /healthz when it can be reached. 0 when healthy, 1 when not."""
    import json
    import urllib.request
    from datetime import timedelta

    from coalition_bot.clock import system_clock
    from coalition_bot.config import load_config

    config = load_config(args.config) if os.path.isfile(args.config) or args.db is None \
        else None
    path = args.db or os.environ.get(DB_ENV) or (config.bot.database if config else DEFAULT_DB)
    if not os.path.isfile(path):
        print(f"database {path}: missing")
        return 1
    seen = asyncio.run(_overview(path))
    now = system_clock()
    ago = (f"{(now - seen.swept_to) // timedelta(seconds=1)} s ago"
           if seen.swept_to else "never")
    oldest = (f", the oldest due {(now - seen.oldest_due) // timedelta(seconds=1)} s ago"
              if seen.oldest_due else "")
    print(f"database {path}: answers")
    print(f"scheduler: last sweep {ago}")
    print(f"deliveries: {seen.pending} waiting ({seen.late} late){oldest}; "
          f"{seen.failed} refused for good (see /coalition deliveries)")
    url = _health_url(config) if config else None
    if url is None:
        print("running bot: no /healthz configured ([bot] admin_port, or Slack over HTTP)")
        return 0
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            body = json.load(answer)
    except urllib.error.HTTPError as error:  # 503: the body says what is wrong
        body = json.load(error)
    except (OSError, ValueError) as error:
        print(f"running bot: {url} cannot be reached ({getattr(error, 'reason', error)}); "
              f"is it running?")
        return 1
    for name, check in body["checks"].items():
        if "ok" in check:
            print(f"running bot, {name}: {'ok' if check['ok'] else check['error']}")
    print(f"running bot: {'healthy' if body['ok'] else 'NOT healthy'} ({url})")
    return 0 if body["ok"] else 1


def _health_url(config: Config) -> str | None:
    if config.bot.admin_port:
        return f"http://127.0.0.1:{config.bot.admin_port}/healthz"
    if config.slack.enabled and config.slack.transport == "http":
        host = config.slack.host if config.slack.host not in ("0.0.0.0", "::", "") \
            else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{config.slack.port}/healthz"
    return None


def _check_config(args: argparse.Namespace) -> int:
    from coalition_bot.config import check_config

    found = check_config(args.config)
    for note in found.notes:
        print(f"note: {note}")
    if found.problems:
        print(f"{args.config}: {len(found.problems)} problem(s):")
        for problem in found.problems:
            print(f"  - {problem}")
        return 2
    print(f"{args.config}: fine. `run` would start: {', '.join(found.doors)}; "
          f"database {found.database}")
    return 0


def _help(args: argparse.Namespace) -> None:
    from coalition_bot.commands.help import help_reply, markdown_reference
    from coalition_bot.commands.registry import COMMANDS

    if args.markdown:
        sys.stdout.write(markdown_reference(COMMANDS))
        return
    from coalition_bot.adapters.console.render import render_reply

    print(render_reply(help_reply(COMMANDS, None, None)))


async def _verify_log(args: argparse.Namespace) -> int:
    """Recompute each coalition's decision-log chain: 0 when all verify, 1 when one does
    not (naming its first entry that does not match), 2 when the file is missing."""
    from coalition_bot.store.chain import check_all, short
    from coalition_bot.store.database import Database

    path = _db_path(args.db, args.config)
    if not await asyncio.to_thread(os.path.isfile, path):
        print(f"coalition-bot: {path}: no such database file", file=sys.stderr)
        return 2
    db = await Database(path).open()
    try:
        async with db.transaction() as conn:
            verdicts = await check_all(conn)
    finally:
        await db.close()
    broken = 0
    for name, v in verdicts:
        if v.broken is not None:
            broken += 1
            where = f"entry {v.broken.seq}, {v.broken.label}," if v.broken.seq \
                else v.broken.label
            print(f"{name}: BROKEN at {where} does not match: {v.broken.why}")
        elif v.head is None:
            print(f"{name}: no entries yet")
        else:
            print(f"{name}: intact, {v.entries} entries, head {short(v.head)} ({v.head})")
    if not verdicts:
        print(f"{path}: no coalition")
    return 1 if broken else 0


def _slack_manifest(args: argparse.Namespace) -> None:
    from coalition_bot.adapters.slack.manifest import render_manifest
    from coalition_bot.commands.registry import COMMANDS

    sys.stdout.write(render_manifest(COMMANDS, prefix=args.prefix, url=args.url,
                                     fmt=args.format, distribution=args.distribution,
                                     token_rotation=args.token_rotation,
                                     org_deploy=args.org_deploy))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from coalition_bot.logs import TEXT_FORMAT, install

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format=TEXT_FORMAT)

    install()  # no message text or token in the log, even at DEBUG
    try:
        if args.action == "console":
            return asyncio.run(_console(args))
        elif args.action == "run":
            asyncio.run(_run(args))
        elif args.action == "migrate":
            asyncio.run(_migrate(args))
        elif args.action == "backup":
            _backup(args)
        elif args.action == "discord-sync":
            from coalition_bot.adapters.discord.sync import run_sync

            asyncio.run(run_sync(args.config, args.guild))
        elif args.action == "restore":
            _restore(args)
        elif args.action == "copy":
            asyncio.run(_copy(args))
        elif args.action == "verify-log":
            return asyncio.run(_verify_log(args))
        elif args.action == "check-config":
            return _check_config(args)
        elif args.action == "status":
            return _status(args)
        elif args.action == "help":
            _help(args)
        elif args.action == "slack-manifest":
            _slack_manifest(args)
        elif args.action == "new-token-key":
            from coalition_bot.tokens import new_key

            print(new_key())
    except CoalitionError as error:
        print(f"coalition-bot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `coalition-bot help | head`: the reader has all it wanted
        _silence_stdout()
        return EXIT_PIPE
    return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
