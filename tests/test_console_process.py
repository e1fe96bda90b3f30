"""The real `coalition-bot console` process: piped scripts, persistence, and a terminal.

Every test starts the installed console script as a subprocess, feeds it lines on
standard input (or through a pseudo-terminal), and reads what it prints. Databases are
real SQLite files under `tmp_path`; nothing of the bot is replaced.
"""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import pytest

from coalition_bot.commands.registry import COMMANDS

SCRIPT = Path(sys.executable).parent / "coalition-bot"
TIMEOUT = 30  # seconds per console run; a normal run takes well under one


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without any COALITION_BOT_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_BOT")}
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def run_console(lines: Sequence[str], *, cwd: Path, db: Path | None = None,
                user: str = "Alice", env: dict[str, str] | None = None,
                timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Pipe `lines` into `coalition-bot console` and wait for it to finish."""
    argv = [str(SCRIPT), "console", "--as", user]
    if db is not None:
        argv += ["--db", str(db)]
    return subprocess.run(argv, input="\n".join(lines) + "\n", capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd,
                          env=env if env is not None else clean_env(), timeout=timeout)


def ran_cleanly(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr


def transcript(stdout: str, script: Sequence[str]) -> list[tuple[str, str]]:
    """(command, what the console printed for it) for each command it echoed, in order.

    In piped mode the console echoes each command as `USER> LINE` before answering, so
    a command's output is everything between its echo and the next command's echo.
    """
    out = stdout.splitlines()
    commands = [s.strip() for s in script if s.strip() and not s.strip().startswith("#")]
    found: list[tuple[str, int]] = []
    pos = 0
    for command in commands:
        while pos < len(out) and not out[pos].endswith(f"> {command}"):
            pos += 1
        if pos == len(out):
            break
        found.append((command, pos))
        pos += 1
    ends = [i for _, i in found[1:]] + [len(out)]
    pairs = zip(found, ends, strict=True)
    return [(command, "\n".join(out[i + 1:end])) for (command, i), end in pairs]


def reply_to(stdout: str, script: Sequence[str], command: str) -> str:
    """What the console printed for the first `command` of `script`."""
    for said, reply in transcript(stdout, script):
        if said == command:
            return reply
    raise AssertionError(f"the console never echoed {command!r}:\n{stdout}")


def field(reply: str, name: str) -> str:
    """The value of `  NAME: value` in a rendered reply."""
    for line in reply.splitlines():
        if line.startswith(f"  {name}: "):
            return line[len(f"  {name}: "):]
    raise AssertionError(f"no field {name!r} in:\n{reply}")


def names(value: str) -> set[str]:
    return {n.strip() for n in value.split(",")}


def rows(db: Path, sql: str) -> list[tuple]:
    """Read a real database file with the standard sqlite3 module (and close it)."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def org_names(db: Path) -> list[str]:
    return [r[0] for r in rows(db, "SELECT name FROM org ORDER BY number")]


def coalition_names(db: Path) -> list[str]:
    return [r[0] for r in rows(db, "SELECT name FROM coalition ORDER BY id")]


# --- the "done when": a whole coalition from a piped script, then a second run ----

ORGS = {"Tenants United": {"Bob", "Ana Ruiz"},
        "Climate Now": {"Chen", "Erin"},
        "Food Bank": {"Frank", "Grace"}}

FIRST_RUN = [
    "# Eastside: three partner organizations, two representatives each",
    'coalition setup "Eastside Tenants Coalition" America/New_York',
    'coalition org add "Tenants United"',
    'coalition org add "Climate Now"',
    'coalition org add "Food Bank"',
    'coalition rep add Bob "Tenants United"',
    'coalition rep add "Ana Ruiz" "Tenants United"',
    'coalition rep add Chen "Climate Now"',
    "coalition rep add Erin #2",
    '/as Frank "Food Bank"',
    "/as Alice",
    'coalition rep add Frank "Food Bank"',
    'coalition rep add Grace "Food Bank"',
    "coalition coordinator add Dana",
    "coalition goal add Pass the rent stabilization ordinance",
    "/as Dana",
    "coalition goal add Plant 500 street trees",
    '/as Ivan "Climate Now"',
    "/as Bob",
    "/whoami",
    "coalition goal update #1 in-progress Hearing set for March 3",
]

SECOND_RUN = ["coalition info", "coalition org list", "coalition goals"]


@pytest.fixture(scope="module")
def eastside(tmp_path_factory: pytest.TempPathFactory):
    """The first run builds the coalition; the second, a new process, reads it back."""
    where = tmp_path_factory.mktemp("eastside")
    db = where / "eastside.db"
    first = run_console(FIRST_RUN, cwd=where, db=db)
    second = run_console(SECOND_RUN, cwd=where, db=db)
    return first, second, db


def test_piped_setup_script_runs_every_line_without_error_and_exits_zero(eastside) -> None:
    first, _, _ = eastside
    ran_cleanly(first)
    errors = [line for line in first.stdout.splitlines() if line.startswith("!")]
    assert not errors, first.stdout
    said = [command for command, _ in transcript(first.stdout, FIRST_RUN)]
    assert said == [line for line in FIRST_RUN if not line.startswith("#")]


def test_as_switches_the_user_the_console_speaks_for(eastside) -> None:
    first, _, _ = eastside
    assert "You are now Dana." in reply_to(first.stdout, FIRST_RUN, "/as Dana")
    assert reply_to(first.stdout, FIRST_RUN, "/whoami").strip() == "You are Bob."
    assert "Bob> coalition goal update #1 in-progress Hearing set for March 3" in first.stdout


def test_as_with_an_organization_declares_it_in_the_database(eastside) -> None:
    first, _, db = eastside
    reply = reply_to(first.stdout, FIRST_RUN, '/as Ivan "Climate Now"')
    assert "You are now Ivan." in reply
    assert "You are with Climate Now" in reply
    declared = dict(rows(db, "SELECT p.display_name, o.name FROM person p "
                             "JOIN org o ON o.id = p.org_id"))
    assert declared["Ivan"] == "Climate Now"
    assert declared["Frank"] == "Food Bank"


def test_goal_update_prints_a_notice_with_the_megaphone_marker(eastside) -> None:
    first, _, _ = eastside
    reply = reply_to(first.stdout, FIRST_RUN,
                     "coalition goal update #1 in-progress Hearing set for March 3")
    notices = [line for line in reply.splitlines() if line.startswith("📣 ")]
    assert any("Goal #1 is now in-progress" in line for line in notices), reply
    assert any("Bob: Hearing set for March 3" in line for line in notices), reply
    replies = [line for line in reply.splitlines() if not line.startswith("📣")]
    assert "== Goal #1: in-progress ==" in replies


def test_second_process_shows_the_coalition_with_both_coordinators(eastside) -> None:
    _, second, _ = eastside
    ran_cleanly(second)
    info = reply_to(second.stdout, SECOND_RUN, "coalition info")
    assert info.splitlines()[0] == "== Eastside Tenants Coalition =="
    assert field(info, "Time zone") == "America/New_York"
    assert names(field(info, "Coordinators")) == {"Alice", "Dana"}
    for number, org in enumerate(ORGS, start=1):
        assert f"#{number} {org}: 2 representative(s)" in info
    goals = names(field(info, "Goals"))
    assert goals == {"1 in-progress", "1 open"}


def test_second_process_lists_all_three_orgs_with_their_six_representatives(eastside) -> None:
    _, second, _ = eastside
    roster = reply_to(second.stdout, SECOND_RUN, "coalition org list")
    for number, (org, reps) in enumerate(ORGS.items(), start=1):
        assert names(field(roster, f"#{number} {org}")) == reps, roster


def test_second_process_shows_goals_with_status_author_and_note(eastside) -> None:
    _, second, _ = eastside
    board = reply_to(second.stdout, SECOND_RUN, "coalition goals")
    assert field(board, "#1 [in-progress]") == "Pass the rent stabilization ordinance"
    assert field(board, "#2 [open]") == "Plant 500 street trees"
    progress = [line.strip() for line in board.splitlines() if line.startswith("    ")]
    assert any(line.endswith("Bob: in-progress (Hearing set for March 3)")
               for line in progress), board


# --- a script keeps going ---------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    "coalition org add",
    "coalition frobnicate",
    'coalition org add "Unclosed quote',
    "frobnicate",
])
def test_an_error_line_prints_a_bang_line_and_the_script_goes_on(tmp_path: Path,
                                                                 bad: str) -> None:
    script = ["coalition setup Eastside", bad, "coalition org add After", "coalition org list"]
    result = run_console(script, cwd=tmp_path, db=tmp_path / "c.db")
    ran_cleanly(result)
    error = reply_to(result.stdout, script, bad).splitlines()
    assert error, error
    assert all(line.startswith("! ") for line in error), error
    assert "#1 After" in reply_to(result.stdout, script, "coalition org list")
    assert org_names(tmp_path / "c.db") == ["After"]


@pytest.mark.parametrize("leave", ["/quit", "/exit"])
def test_quit_stops_reading_the_rest_of_the_script(tmp_path: Path, leave: str) -> None:
    script = ["coalition setup Eastside", "coalition org add Before", leave,
              "coalition org add Ghost"]
    result = run_console(script, cwd=tmp_path, db=tmp_path / "c.db")
    ran_cleanly(result)
    assert "Ghost" not in result.stdout
    assert org_names(tmp_path / "c.db") == ["Before"]


def test_comment_lines_are_neither_echoed_nor_run(tmp_path: Path) -> None:
    script = ["# coalition setup Commented", "coalition setup Eastside",
              "   # coalition org add Indented", "#coalition org add Tight",
              "coalition org add Real"]
    result = run_console(script, cwd=tmp_path, db=tmp_path / "c.db")
    ran_cleanly(result)
    for word in ("Commented", "Indented", "Tight"):
        assert word not in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith("!")]
    assert coalition_names(tmp_path / "c.db") == ["Eastside"]
    assert org_names(tmp_path / "c.db") == ["Real"]


def test_a_script_with_windows_line_endings_runs_the_same(tmp_path: Path) -> None:
    argv = [str(SCRIPT), "console", "--as", "Alice", "--db", str(tmp_path / "c.db")]
    result = subprocess.run(
        argv, input=b'coalition setup Eastside\r\ncoalition org add "Tenants United"\r\n',
        capture_output=True, cwd=tmp_path, env=clean_env(), timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert b"\n!" not in result.stdout, result.stdout
    assert org_names(tmp_path / "c.db") == ["Tenants United"]


def test_help_prints_the_console_help_and_every_command(tmp_path: Path) -> None:
    result = run_console(["help"], cwd=tmp_path, db=tmp_path / "c.db")
    ran_cleanly(result)
    out = reply_to(result.stdout, ["help"], "help")
    assert "/as NAME [ORG]" in out
    assert "/quit" in out
    assert "coalition-bot commands" in out
    for name, command in COMMANDS.items():
        assert f"  /{name}: " in out, out
        for sub in command.subcommands:
            assert sub.words in out, (sub.words, out)


# --- which database file -----------------------------------------------------------------

def test_default_database_is_coalition_db_in_the_working_directory(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    ran_cleanly(run_console(["coalition setup Eastside"], cwd=work))
    assert coalition_names(work / "coalition.db") == ["Eastside"]
    again = run_console(["coalition info"], cwd=work)
    ran_cleanly(again)
    assert "== Eastside ==" in again.stdout


def test_coalition_bot_db_environment_variable_chooses_the_file(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    chosen = tmp_path / "elsewhere" / "chosen.db"
    chosen.parent.mkdir()
    env = clean_env(COALITION_BOT_DB=str(chosen))
    ran_cleanly(run_console(["coalition setup Eastside"], cwd=work, env=env))
    assert coalition_names(chosen) == ["Eastside"]
    assert not (work / "coalition.db").exists()


def test_db_option_wins_over_the_environment_variable(tmp_path: Path) -> None:
    from_env = tmp_path / "env.db"
    from_arg = tmp_path / "arg.db"
    env = clean_env(COALITION_BOT_DB=str(from_env))
    ran_cleanly(run_console(["coalition setup Eastside"], cwd=tmp_path, db=from_arg, env=env))
    assert coalition_names(from_arg) == ["Eastside"]
    assert not from_env.exists()


def test_as_declares_an_organization_whose_name_ends_in_a_backslash(tmp_path: Path) -> None:
    script = ["coalition setup Eastside", 'coalition org add "Local 12\\\\"',
              '/as Ivan "Local 12\\\\"']
    result = run_console(script, cwd=tmp_path, db=tmp_path / "c.db")
    ran_cleanly(result)
    reply = reply_to(result.stdout, script, script[-1])
    assert not [line for line in reply.splitlines() if line.startswith("!")], reply
    declared = rows(tmp_path / "c.db", "SELECT o.name FROM person p JOIN org o "
                    "ON o.id = p.org_id WHERE p.display_name = 'Ivan'")
    assert declared == [("Local 12\\",)]


def test_console_refuses_a_database_from_a_newer_version_and_exits_2(tmp_path: Path) -> None:
    """The refused connection must be closed, or its thread keeps the process alive."""
    db = tmp_path / "future.db"
    made = subprocess.run([str(SCRIPT), "migrate", "--db", str(db)], capture_output=True,
                          text=True, cwd=tmp_path, env=clean_env(), timeout=TIMEOUT)
    assert made.returncode == 0, made.stderr
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("INSERT INTO schema_migration VALUES (9999, 'future', 'x')")
    try:
        # A healthy refusal takes a fraction of a second; 10 s only bounds the hang.
        result = run_console(["coalition info"], cwd=tmp_path, db=db, timeout=10)
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"console still running 10 s after refusing the database: {hung.stderr!r}")
    assert result.returncode == 2, result.stderr
    assert "schema version 9999" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# --- a real terminal -----------------------------------------------------------------------

class Terminal:
    """The console under a pseudo-terminal: type lines, wait for text, with deadlines."""

    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str]) -> None:
        import pty

        try:
            self.master, slave = pty.openpty()
        except OSError as error:  # no /dev/ptmx in some sandboxes
            pytest.skip(f"no pseudo-terminal available: {error}")
        try:
            self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                         cwd=cwd, env=env, start_new_session=True)
        finally:
            os.close(slave)
        self.seen = b""
        self.pos = 0  # `expect` looks only after what it already matched

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.seen += chunk
        return bool(chunk)

    def expect(self, text: str, within: float = 15) -> None:
        wanted = text.encode()
        deadline = time.monotonic() + within
        while wanted not in self.seen[self.pos:]:
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(min(left, 0.2)):
                if wanted in self.seen[self.pos:]:
                    break
                raise AssertionError(f"no {text!r} within {within} s; the terminal showed:\n"
                                     f"{self.seen.decode(errors='replace')}")
        self.pos = self.seen.index(wanted, self.pos) + len(wanted)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait(self, within: float = 15) -> int:
        deadline = time.monotonic() + within
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)  # keep draining so the child never blocks on output
        if self.proc.poll() is None:
            raise AssertionError("the console did not exit; it showed:\n"
                                 + self.seen.decode(errors="replace"))
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        os.close(self.master)


@pytest.fixture
def terminal(tmp_path: Path):
    if sys.platform == "win32":
        pytest.skip("pseudo-terminals need a POSIX system")
    pytest.importorskip("pty", reason="the pty module is not available")
    env = clean_env(HOME=str(tmp_path), TERM="dumb")
    term = Terminal([str(SCRIPT), "console", "--as", "Alice", "--db", str(tmp_path / "c.db")],
                    cwd=tmp_path, env=env)
    yield term
    term.close()


def test_terminal_console_prompts_answers_and_quits(terminal: Terminal,
                                                    tmp_path: Path) -> None:
    terminal.expect("Type `help` for commands.")
    terminal.expect("Alice> ")
    terminal.type("coalition setup Eastside\r")
    terminal.expect("== Coalition Eastside is set up ==")
    terminal.expect("Alice> ")
    terminal.type("/as Bob\r")
    terminal.expect("You are now Bob.")
    terminal.expect("Bob> ")
    terminal.type("/quit\r")
    assert terminal.wait() == 0
    assert coalition_names(tmp_path / "c.db") == ["Eastside"]
    history = tmp_path / ".coalition_bot_history"
    assert history.is_file(), "the history file was not written to $HOME"
    assert "coalition setup Eastside" in history.read_text(errors="replace")


def test_terminal_console_leaves_on_end_of_input(terminal: Terminal) -> None:
    terminal.expect("Alice> ")
    terminal.type("\x04")  # Ctrl-D on an empty line
    assert terminal.wait() == 0


def test_ctrl_c_at_the_prompt_leaves_at_once_without_waiting_for_another_line(
        terminal: Terminal, tmp_path: Path) -> None:
    """Ctrl-C ends the console like an interrupted program (status 130), at once: it
    used to wait for one more line, swallow it, and only then exit."""
    terminal.expect("Alice> ")
    terminal.type("coalition setup Eastside\r")
    terminal.expect("Alice> ")
    os.killpg(terminal.proc.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C
    assert terminal.wait(within=5) == 130
    shown = terminal.seen.decode(errors="replace")
    assert "Traceback" not in shown, shown
    assert coalition_names(tmp_path / "c.db") == ["Eastside"]
    history = tmp_path / ".coalition_bot_history"
    assert "coalition setup Eastside" in history.read_text(errors="replace")


def test_piping_the_console_into_head_stops_it_quietly(tmp_path: Path) -> None:
    """`coalition-bot console < script | head -1`: the reader leaves after one line."""
    proc = subprocess.Popen([str(SCRIPT), "console", "--as", "Alice", "--db",
                             str(tmp_path / "c.db")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                            env=clean_env())
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdin.write(b"coalition setup Eastside\n" + b"help\n" * 300)
    proc.stdin.close()
    assert proc.stdout.readline().startswith(b"Alice> coalition setup")
    proc.stdout.close()  # what `head -1` does after its line
    err = proc.stderr.read().decode(errors="replace")
    assert proc.wait(TIMEOUT) == 141, err
    assert "Traceback" not in err, err
    assert "BrokenPipe" not in err, err
    assert coalition_names(tmp_path / "c.db") == ["Eastside"]


def test_help_into_a_pipe_nobody_reads_stops_it_quietly(tmp_path: Path) -> None:
    """The reader left before the first line (`coalition-bot help | true`)."""
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run([str(SCRIPT), "help", "--markdown"], stdout=write,
                                stderr=subprocess.PIPE, cwd=tmp_path, env=clean_env(),
                                timeout=TIMEOUT)
    finally:
        os.close(write)
    err = result.stderr.decode(errors="replace")
    assert result.returncode == 141, err
    assert "Traceback" not in err, err
    assert "BrokenPipe" not in err, err
