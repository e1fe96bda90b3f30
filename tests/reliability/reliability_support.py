"""Shared by the reliability tests: watching a database file for commits, driving the
console as a real process, and checking that what the bot sends pings nobody it did not
mean to ping and fits what Slack and Discord accept.

Nothing here stands in for the bot: the database is read with the standard `sqlite3`
module, the console is the installed `coalition-bot` script, and the payloads checked are
what the real renderers produced (or what the real adapters sent to the fake Slack and
Discord).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from coalition_bot.adapters.discord.render import Outgoing
from coalition_bot.adapters.discord.render import render_notice as discord_notice
from coalition_bot.adapters.discord.render import render_reply as discord_reply
from coalition_bot.adapters.slack.render import Renderer
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.replies import Notice, Reply

SLACK = Renderer(COMMANDS)
SCRIPT = Path(sys.executable).parent / "coalition-bot"
WAIT = 15.0  # seconds any one wait for a process may take before the test fails

# What people type to ping a crowd, or someone, on either platform.
PINGS = (
    "@everyone", "@here", "@channel", "<!channel>", "<!here>", "<!everyone>",
    "<!subteam^S0TEAM|@team>", "<@&123456>", "<@&123456789012345678>", "<@U0SOMEONE>",
    "<@!223456789012345678>", "<@223456789012345678>",
)


class DbWatch:
    """A second connection to the bot's database file, to see whether anything was
    committed (`PRAGMA data_version` changes whenever another connection commits) and
    to compare every row before and after."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)

    def version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every table."""
        tables = [r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(self.conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                for t in tables}

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self.conn.close()


# --- the console as a real process ------------------------------------------------------


def console_env(tmp_path: Path) -> dict[str, str]:
    """The environment for a console process: no inherited COALITION_BOT_* settings, a
    fixed clock (it runs at real speed from 23 November 2026, 15:00 UTC)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_BOT")}
    env.update(HOME=str(tmp_path), PYTHONIOENCODING="utf-8", PYTHONUTF8="1",
               COALITION_BOT_CLOCK="2026-11-23T15:00:00+00:00")
    return env


class Console:
    """One `coalition-bot console` process on `db`: lines in through a pipe, printed lines
    out through a queue filled by a reader thread, so that every wait has a deadline."""

    def __init__(self, tmp_path: Path, db: Path, name: str) -> None:
        self.stderr_path = tmp_path / f"stderr-{name}.txt"
        self.stderr = open(self.stderr_path, "w")  # closed by kill() or finish()
        self.process = subprocess.Popen(
            [str(SCRIPT), "console", "--db", str(db), "--as", "Alice"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            encoding="utf-8", bufsize=1, cwd=tmp_path, env=console_env(tmp_path))
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.printed: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self) -> str | None:
        """The next printed line, or None at the end of output."""
        try:
            line = self.lines.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"nothing printed for {WAIT} s; last lines: "
                                 f"{self.printed[-5:]}") from None
        if line is not None:
            self.printed.append(line)
        return line

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def send_in_background(self, text: str, *, then_close: bool = False) -> None:
        """Write a long stream without waiting for the console to read it (and then
        close its input, if asked). A pipe broken by a kill ends the writing."""
        def write() -> None:
            try:
                self.send(text)
                if then_close:
                    assert self.process.stdin is not None
                    self.process.stdin.close()
            except (OSError, ValueError):
                pass
        threading.Thread(target=write, daemon=True).start()

    def wait_for(self, pattern: str) -> None:
        while (line := self.next_line()) is not None:
            if pattern in line:
                return
        raise AssertionError(f"{pattern!r} never printed; last lines: {self.printed[-5:]}")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed, nothing says goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(WAIT)
        while self.next_line() is not None:  # what it printed before it died
            pass
        self.stderr.close()

    def finish(self) -> int:
        """Read to the end of output (the input closed); the exit code."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        while self.next_line() is not None:
            pass
        code = self.process.wait(WAIT)
        self.stderr.close()
        return code

    def errors(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8")


# --- Slack -----------------------------------------------------------------------------


def _texts(node: Any) -> Iterator[str]:
    """Every string Slack would show from a message payload: `text` values anywhere
    (the fallback, sections, fields, headers, button labels, contexts)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


_SLACK_CHANNEL_LINK = re.compile(r"<#[CGD][A-Z0-9]+>")
# a time the bot wrote (`replies.When`): each reader's own zone, the coalition's as fallback
SLACK_DATE = re.compile(r"<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^<>|]*>")


def slack_problems(payload: dict[str, Any], intended: Iterable[str] = ()) -> list[str]:
    """What in a Slack message payload could ping or link: `<!…>` specials, `<@…>`
    other than the intended user ids, any other `<…>` markup but a bare channel link
    (`<#C…>`, which pings nobody) or a date the bot wrote, or `link_names`/`parse`."""
    allowed = {f"<@{uid}>" for uid in intended}
    found = []
    if payload.get("link_names") or payload.get("parse") not in (None, "none"):
        found.append(f"link_names/parse set: {payload.get('link_names')!r} "
                     f"{payload.get('parse')!r}")
    for text in _texts(payload):
        rest = SLACK_DATE.sub("", _SLACK_CHANNEL_LINK.sub("", text))
        for mention in allowed:
            rest = rest.replace(mention, "")
        if "<" in rest or ">" in rest:
            found.append(f"markup in {text!r}")
    return found


# --- Discord ---------------------------------------------------------------------------

_CROWD = re.compile(r"@(everyone|here)")
_SNOWFLAKE_MENTION = re.compile(r"<@([!&]?)(\d{17,20})>")
_ANY_MENTION = re.compile(r"<@([!&]?)(\d+)>")


def discord_body(out: Outgoing) -> dict[str, Any]:
    """An `Outgoing` as the JSON Discord would receive (content, embeds, mentions,
    buttons)."""
    body: dict[str, Any] = {"embeds": [e.to_dict() for e in out.embeds],
                            "allowed_mentions": out.allowed_mentions.to_dict(),
                            "components": out.view.to_components() if out.view else []}
    if out.content:
        body["content"] = out.content
    return body


def _embed_texts(body: dict[str, Any]) -> Iterator[str]:
    for embed in body.get("embeds") or ():
        yield embed.get("title") or ""
        yield embed.get("description") or ""
        for f in embed.get("fields") or ():
            yield f.get("name") or ""
            yield f.get("value") or ""
        yield (embed.get("footer") or {}).get("text") or ""
        yield (embed.get("author") or {}).get("name") or ""


def discord_problems(body: dict[str, Any], intended: Iterable[int] = ()) -> list[str]:
    """What in a Discord message body could ping someone not intended: allowed_mentions
    that allow everyone, roles, or other users; content mentioning anyone else; and, in
    any text, an unescaped @everyone / @here or a role or user mention of a real-looking
    (snowflake) id."""
    intended = set(intended)
    found = []
    allowed = body.get("allowed_mentions")
    if allowed is None:
        found.append("no allowed_mentions: Discord's default pings everything typed")
    else:
        if allowed.get("parse"):
            found.append(f"allowed_mentions.parse = {allowed['parse']!r}")
        if allowed.get("roles"):
            found.append(f"allowed_mentions.roles = {allowed['roles']!r}")
        if allowed.get("replied_user"):
            found.append("allowed_mentions.replied_user is on")
        users = {int(u) for u in allowed.get("users") or ()}
        if not users <= intended:
            found.append(f"allowed_mentions.users {sorted(users)} beyond {sorted(intended)}")
    content = body.get("content") or ""
    for kind, uid in _ANY_MENTION.findall(content):
        if kind or int(uid) not in intended:
            found.append(f"content mentions <@{kind}{uid}>")
    for i, text in enumerate([content, *_embed_texts(body)]):
        if _CROWD.search(text):
            found.append(f"unescaped @everyone/@here in {text!r}")
        for kind, uid in _SNOWFLAKE_MENTION.findall(text):
            if i > 0 or kind or int(uid) not in intended:  # embeds mention nobody
                found.append(f"unescaped <@{kind}{uid}> in {text!r}")
    return found


# --- what the platforms refuse (a refused message is a lost answer) ---------------------


def _over(what: str, text: str | None, limit: int) -> list[str]:
    return [f"{what} is {len(text)} characters, over {limit}"] \
        if text is not None and len(text) > limit else []


def slack_limit_problems(payload: dict[str, Any]) -> list[str]:
    """Block Kit limits a message payload breaks (Slack would refuse the message)."""
    blocks = payload.get("blocks") or []
    found = [f"{len(blocks)} blocks, over 50"] if len(blocks) > 50 else []
    found += _over("text", payload.get("text"), 40000)
    for block in blocks:
        kind = block["type"]
        if kind == "header":
            found += _over("a header", block["text"]["text"], 150)
        elif kind == "section":
            found += _over("a section", (block.get("text") or {}).get("text"), 3000)
            fields = block.get("fields") or []
            found += [f"{len(fields)} fields, over 10"] if len(fields) > 10 else []
            for f in fields:
                found += _over("a field", f["text"], 2000)
        elif kind == "actions":
            elements = block["elements"]
            found += [f"{len(elements)} buttons, over 25"] if len(elements) > 25 else []
            for e in elements:
                found += _over("a button label", e["text"]["text"], 75)
                found += _over("a button value", e.get("value"), 2000)
                found += _over("an action_id", e.get("action_id"), 255)
        elif kind == "context":
            for e in block["elements"]:
                found += _over("a context", e.get("text"), 3000)
    return found


def discord_limit_problems(body: dict[str, Any]) -> list[str]:
    """Limits a Discord message body breaks (Discord would answer 400)."""
    found = _over("content", body.get("content"), 2000)
    embeds = body.get("embeds") or []
    found += [f"{len(embeds)} embeds, over 10"] if len(embeds) > 10 else []
    for embed in embeds:
        fields = embed.get("fields") or []
        found += _over("a title", embed.get("title"), 256)
        found += _over("a description", embed.get("description"), 4096)
        found += [f"{len(fields)} fields, over 25"] if len(fields) > 25 else []
        for f in fields:
            found += _over("a field name", f.get("name"), 256)
            found += _over("a field value", f.get("value"), 1024)
            if not f.get("name") or not f.get("value"):
                found.append("an empty field name or value")
        found += _over("a footer", (embed.get("footer") or {}).get("text"), 2048)
        total = sum(len(t) for t in _embed_texts({"embeds": [embed]}))
        found += [f"an embed of {total} characters, over 6000"] if total > 6000 else []
    rows = body.get("components") or []
    found += [f"{len(rows)} rows of buttons, over 5"] if len(rows) > 5 else []
    for row in rows:
        buttons = row.get("components") or []
        found += [f"{len(buttons)} buttons in a row, over 5"] if len(buttons) > 5 else []
        for b in buttons:
            found += _over("a button label", b.get("label"), 80)
            found += _over("a custom_id", b.get("custom_id"), 100)
    return found


def render_problems(item: Reply | Notice, *, slack_users: Iterable[str] = (),
                    discord_users: Iterable[int] = ()) -> list[str]:
    """Render a reply or notice with the real Slack and Discord renderers; what in either
    could ping someone not intended, or would make the platform refuse the message."""
    if isinstance(item, Notice):
        slack, discord = SLACK.notice(item), discord_notice(item)
    else:
        slack, discord = SLACK.reply(item), discord_reply(item)
    body = discord_body(discord)
    return ([f"slack: {p}" for p in slack_problems(slack, slack_users)]
            + [f"slack: {p}" for p in slack_limit_problems(slack)]
            + [f"discord: {p}" for p in discord_problems(body, discord_users)]
            + [f"discord: {p}" for p in discord_limit_problems(body)])
