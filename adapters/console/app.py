"""The whole bot in a terminal: lines in, replies and notices out.

Reads an interactive terminal (with line editing and history) or piped standard input,
so a script of commands runs to its end and exits. The console is one workspace with
one channel; `/as NAME [ORG]` switches who you are.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from coalition_bot.adapters.console.render import render_notice, render_reply
from coalition_bot.bot import Bot
from coalition_bot.commands.grammar import tokenize
from coalition_bot.errors import CoalitionError
from coalition_bot.replies import Attachment, Invocation, Message, Notice
from coalition_bot.rules.text import quote_arg

__all__ = ["ConsoleAdapter"]

PLATFORM = "console"
CHANNEL = "console"
HISTORY = Path.home() / ".coalition_bot_history"
CONSOLE_HELP = (
    "Console: /as NAME [ORG] switches who you are (and declares your organization); "
    "/say TEXT posts a message in the channel; /whoami shows who you are; /quit leaves. "
    "The slash before a command is optional."
)


class ConsoleAdapter:
    """Turns terminal lines into invocations and prints what comes back."""

    platform = PLATFORM

    def __init__(self, bot: Bot, *, user: str, workspace: str = "local",
                 out: TextIO | None = None, files_dir: Path | None = None) -> None:
        self.bot = bot
        self.files_dir = files_dir or Path.cwd()
        self.user = user
        self.workspace = workspace
        self.out = out or sys.stdout
        self.out_closed = False  # whoever read the output has gone: stop reading lines
        bot.add_outlet(self)

    def print(self, text: str) -> None:
        if not text or self.out_closed:
            return
        try:
            try:
                print(text, file=self.out, flush=True)
            except UnicodeEncodeError:  # an echoed line with bytes that were not UTF-8
                encoding = getattr(self.out, "encoding", None) or "utf-8"
                print(text.encode(encoding, "replace").decode(encoding), file=self.out,
                      flush=True)
        except BrokenPipeError:  # `coalition-bot console < script | head`: the reader left
            self.out_closed = True
            _silence(self.out)

    async def post_notice(self, notice: Notice, channel_id: str, *,
                          workspace_id: str = "") -> None:
        self.print(render_notice(notice))

    async def post_private(self, user_id: str, notice: Notice, *,
                           workspace_id: str = "") -> None:
        self.print(render_notice(notice, private_to=user_id))

    def invocation(self, line: str) -> Invocation:
        return Invocation(platform=PLATFORM, workspace_id=self.workspace, channel_id=CHANNEL,
                          user_id=self.bot.console_user_id(self.user), user_name=self.user,
                          line=line)

    async def handle_line(self, line: str) -> bool:
        """Run one line; False when the user asked to leave."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word = line.split()[0].lower()
        if word in ("/quit", "/exit", "quit", "exit"):
            return False
        if word == "/as":
            await self._switch(line)
        elif word == "/whoami":
            self.print(f"You are {self.user}.")
        elif word == "/say":
            await self._say(line[len("/say"):].strip())
        else:
            if word in ("/help", "help"):
                self.print(CONSOLE_HELP)
            reply = await self.bot.handle(self.invocation(line))
            self.print(render_reply(reply))
            for file in reply.files:
                self._write(file)
        await self.bot.drain()
        return True

    async def _say(self, text: str) -> None:
        """Post a message into the channel, as on a chat platform: only a nudge answers."""
        if not text:
            self.print("! Usage: /say TEXT")
            return
        self.print(f"[{self.user} in #{CHANNEL}] {text}")
        inv = self.invocation("")
        nudge = await self.bot.on_message(Message(PLATFORM, self.workspace, CHANNEL,
                                                  inv.user_id, self.user, text))
        if nudge is not None:
            self.print(render_reply(nudge))

    def _write(self, file: Attachment) -> None:
        path = self.files_dir / Path(file.filename).name
        path.write_bytes(file.payload())
        self.print(f"(only you) File written: {path}")

    async def _switch(self, line: str) -> None:
        try:
            words = [t.text for t in tokenize(line)][1:]
        except CoalitionError as error:
            self.print(f"! {error}")
            return
        if not words or len(words) > 2:
            self.print('! Usage: /as NAME [ORG]  (quote names with spaces: /as "Ana Ruiz")')
            return
        self.user = words[0]
        self.print(f"You are now {self.user}.")
        if len(words) == 2:
            reply = await self.bot.handle(self.invocation(f"coalition join {quote_arg(words[1])}"))
            self.print(render_reply(reply))

    async def run(self, stdin: TextIO | None = None) -> None:
        """Read and answer lines until end of input, /quit, or a closed output.

        Ctrl-C (the task cancelled) leaves at once: the line being read is waited for by
        a daemon thread, not the loop's executor, so nothing waits for one more line, and
        the terminal's settings are put back as they were.
        """
        stdin = stdin or sys.stdin
        if isinstance(stdin, io.TextIOWrapper):  # bytes that are not UTF-8 reach the
            stdin.reconfigure(errors="surrogateescape")  # dispatcher, which refuses them
        interactive = stdin.isatty()
        if interactive:
            _enable_history()
            self.print(f"coalition-bot console. {CONSOLE_HELP} Type `help` for commands.")
        terminal = _terminal_settings(stdin) if interactive else None
        try:
            while not self.out_closed:
                if interactive:
                    try:
                        line = await _read_line(input, f"{self.user}> ")
                    except EOFError:
                        self.print("")
                        break
                else:
                    line = await _read_line(stdin.readline)
                    if not line:
                        break
                    if line.strip() and not line.lstrip().startswith("#"):
                        self.print(f"{self.user}> {line.rstrip()}")
                if not await self.handle_line(line):
                    break
        except asyncio.CancelledError:  # Ctrl-C
            _restore_terminal(stdin, terminal)
            self.print("")
            raise
        finally:
            if interactive:
                _save_history()


async def _read_line(read: Callable[..., str], *args: str) -> str:
    """`read(*args)` in a daemon thread: a cancelled wait (Ctrl-C) leaves the thread
    behind, and the process does not wait for it to end at exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(result: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or "")

    def work() -> None:
        try:
            result, error = read(*args), None
        except BaseException as exc:  # handed to the waiting task
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="console-input", daemon=True).start()
    return await future


def _terminal_settings(stdin: TextIO) -> list[Any] | None:
    try:
        import termios

        return termios.tcgetattr(stdin.fileno())
    except (ImportError, OSError, ValueError):
        return None


def _restore_terminal(stdin: TextIO, settings: list[Any] | None) -> None:
    """Put back echo and line mode, which readline turns off while it reads a line."""
    if settings is None:
        return
    with contextlib.suppress(ImportError, OSError, ValueError):
        import termios

        termios.tcsetattr(stdin.fileno(), termios.TCSADRAIN, settings)


def _silence(out: TextIO) -> None:
    """Point `out`'s descriptor at /dev/null, so the buffered text still in it does not
    raise BrokenPipeError again when Python flushes it at exit."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


def _enable_history() -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return
    try:
        readline.read_history_file(os.environ.get("COALITION_BOT_HISTORY", HISTORY))
    except OSError:
        pass
    readline.set_history_length(1000)


def _save_history() -> None:
    try:
        import readline

        readline.write_history_file(os.environ.get("COALITION_BOT_HISTORY", HISTORY))
    except (ImportError, OSError):
        pass
