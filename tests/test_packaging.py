"""The project as a wheel: what it ships, and that it runs from a fresh virtual env.

The repository maps `commands/`, `adapters/` and `migrations/` into `coalition_bot.*`;
an editable install hides mistakes in that mapping, so these tests build a real wheel
once per session and install it into a new venv that cannot see the repository.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import zipfile
from contextlib import closing
from pathlib import Path

import aiosqlite
import pytest

from coalition_bot.store.migrate import available_migrations

REPO = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "coalition-bot"
BIN = "Scripts" if os.name == "nt" else "bin"
TIMEOUT = 120


def clean_env() -> dict[str, str]:
    """No COALITION_BOT_*, no PYTHONPATH or venv leaking in; pip quiet and offline."""
    drop = ("COALITION_BOT", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONIOENCODING="utf-8")
    return env


def run(argv: list[str | Path], *, cwd: Path,
        timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, env=clean_env(), timeout=timeout)


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.args, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built into a wheel, once per test session."""
    out = tmp_path_factory.mktemp("wheelhouse")
    succeeded(run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                   "--quiet", "-w", out, REPO], cwd=out))
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def wheel_files(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel; the dependencies come from this interpreter's
    site-packages through a `.pth` path line (which runs none of that site's own `.pth`
    files, so the editable install of the repository stays out)."""
    root = tmp_path_factory.mktemp("installed")
    env_dir = root / "venv"
    succeeded(run([sys.executable, "-m", "venv", env_dir], cwd=root))
    python = env_dir / BIN / "python"
    succeeded(run([env_dir / BIN / "pip", "install", "--quiet", "--no-deps", "--no-index",
                   wheel], cwd=root))
    site = Path(succeeded(run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        cwd=root)).strip())
    dependencies = Path(aiosqlite.__file__).resolve().parent.parent
    (site / "outer_dependencies.pth").write_text(f"{dependencies}\n", encoding="utf-8")
    return env_dir


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory outside the repository."""
    work = tmp_path / "work"
    work.mkdir()
    return work


# --- (a) what the wheel holds -----------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "coalition_bot/migrations/0001_foundation.sql",
    "coalition_bot/commands/coalition.py",
    "coalition_bot/adapters/console/app.py",
    "coalition_bot/cli.py",
    "coalition_bot/web/templates/page.html",  # package data: the pages' templates
    "coalition_bot/web/templates/base.html",
    "coalition_bot/web/localize.js",
])
def test_wheel_ships_the_mapped_packages_inside_coalition_bot(wheel_files: list[str],
                                                              path: str) -> None:
    assert path in wheel_files, sorted(wheel_files)


def test_wheel_ships_every_migration_of_the_source_tree(wheel_files: list[str]) -> None:
    source = REPO / "migrations"  # the SQLite files and their PostgreSQL twins
    sql = sorted(p.relative_to(source).as_posix() for p in source.rglob("*.sql"))
    shipped = sorted(f.removeprefix("coalition_bot/migrations/") for f in wheel_files
                     if f.startswith("coalition_bot/migrations/") and f.endswith(".sql"))
    assert sql
    assert shipped == sql


def test_wheel_has_no_top_level_commands_adapters_or_migrations(wheel_files: list[str]) -> None:
    top = {f.split("/")[0] for f in wheel_files}
    assert not top & {"commands", "adapters", "migrations"}, sorted(top)
    assert {t for t in top if not t.endswith(".dist-info")} == {"coalition_bot"}, sorted(top)


def test_wheel_declares_the_coalition_bot_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entry = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(entry).decode()
    assert re.search(r"^coalition-bot\s*=\s*coalition_bot\.cli:main\s*$", text, re.M), text


# --- (b) the wheel in a fresh venv ------------------------------------------------------------

def test_installed_wheel_imports_from_the_venv_not_the_repository(venv: Path,
                                                                  elsewhere: Path) -> None:
    code = ("import coalition_bot, coalition_bot.commands, coalition_bot.migrations, "
            "coalition_bot.adapters.console.app as a; "
            "print(coalition_bot.__file__); print(coalition_bot.commands.__file__); "
            "print(coalition_bot.migrations.__file__); print(a.__file__)")
    files = succeeded(run([venv / BIN / "python", "-c", code], cwd=elsewhere)).split()
    assert len(files) == 4
    for file in files:
        where = Path(file).resolve()
        assert where.is_relative_to(venv.resolve()), file
        assert not where.is_relative_to(REPO), file


def test_installed_migrate_applies_0001_then_reports_up_to_date(venv: Path,
                                                                elsewhere: Path) -> None:
    first = succeeded(run([venv / BIN / "coalition-bot", "migrate", "--db", "new.db"],
                          cwd=elsewhere))
    assert re.search(r"applied migration\(s\) 0001\b", first), first
    with closing(sqlite3.connect(elsewhere / "new.db")) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migration")]
    assert sorted(versions) == [m.version for m in available_migrations()]
    second = succeeded(run([venv / BIN / "coalition-bot", "migrate", "--db", "new.db"],
                           cwd=elsewhere))
    assert second.strip() == "new.db: up to date"


def test_installed_console_runs_a_piped_script(venv: Path, elsewhere: Path) -> None:
    result = subprocess.run(
        [str(venv / BIN / "coalition-bot"), "console", "--as", "Alice"],
        input='coalition setup "Eastside Tenants"\ncoalition info\n', capture_output=True,
        text=True, encoding="utf-8", cwd=elsewhere, env=clean_env(), timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert "== Eastside Tenants ==" in result.stdout
    assert (elsewhere / "coalition.db").is_file()


# --- (c) a database from a newer version --------------------------------------------------------

def test_migrate_refuses_a_newer_schema_with_exit_2_and_leaves_the_file_alone(
        tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    succeeded(run([SCRIPT, "migrate", "--db", db], cwd=tmp_path))
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("INSERT INTO schema_migration VALUES (9999, 'from_the_future', 'x')")
    before = db.read_bytes()
    files_before = sorted(p.name for p in tmp_path.iterdir())

    result = run([SCRIPT, "migrate", "--db", db], cwd=tmp_path)

    newest = available_migrations()[-1].version
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert re.search(r"\b9999\b", result.stderr), result.stderr
    assert re.search(rf"\bversion {newest}\b", result.stderr), result.stderr
    assert result.stdout == ""
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before


def test_migrate_refusal_leaves_a_rollback_journal_database_byte_for_byte(
        tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("CREATE TABLE schema_migration (version INTEGER PRIMARY KEY, "
                     "name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        conn.execute("INSERT INTO schema_migration VALUES (9999, 'from_the_future', 'x')")
    before = db.read_bytes()

    result = run([SCRIPT, "migrate", "--db", db], cwd=tmp_path)

    assert result.returncode == 2, (result.stdout, result.stderr)
    assert db.read_bytes() == before
