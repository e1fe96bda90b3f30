"""Which files the real `coalition-bot` process reads and writes: `backup` into a folder
that is not there yet, `backup` and `migrate` reading `--config` like `run`, a relative
`database` read beside the config file, and a failed `run` leaving no file behind."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from test_console_process import SCRIPT, TIMEOUT, clean_env


def cli(*argv: str, cwd: Path, stdin: str = "",
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *argv], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env=env or clean_env(), timeout=TIMEOUT)


def coalitions(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return [n for (n,) in conn.execute("SELECT name FROM coalition")]


def files(where: Path) -> set[str]:
    return {str(p.relative_to(where)) for p in where.rglob("*")}


def write_config(folder: Path, body: str = "") -> Path:
    folder.mkdir(exist_ok=True)
    config = folder / "config.toml"
    config.write_text('[bot]\ndatabase = "data.db"\n' + body)
    return config


def set_up(db: Path, cwd: Path) -> None:
    made = cli("console", "--db", str(db), "--as", "Alice", cwd=cwd,
               stdin="coalition setup Eastside\n")
    assert made.returncode == 0, made.stderr


def test_backup_into_a_folder_that_is_not_there_creates_it(tmp_path: Path) -> None:
    """The README's nightly cron line on a fresh install: `backups/` does not exist."""
    set_up(tmp_path / "coalition.db", tmp_path)
    result = cli("backup", "backups/2026-11-23.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert coalitions(tmp_path / "backups" / "2026-11-23.db") == ["Eastside"]


def test_backup_that_cannot_create_its_folder_says_so_in_one_line(tmp_path: Path) -> None:
    set_up(tmp_path / "coalition.db", tmp_path)
    (tmp_path / "backups").write_text("a file where the folder should be")
    result = cli("backup", "backups/x.db", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "backups" in result.stderr


def test_backup_and_migrate_read_the_database_of_the_config_file(tmp_path: Path) -> None:
    config = write_config(tmp_path / "srv")
    migrated = cli("migrate", "--config", str(config), cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "srv" / "data.db").is_file()
    assert not (tmp_path / "data.db").exists()
    set_up(tmp_path / "srv" / "data.db", tmp_path)
    result = cli("backup", "copy.db", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert coalitions(tmp_path / "copy.db") == ["Eastside"]


def test_backup_uses_config_toml_in_the_working_directory_like_run(tmp_path: Path) -> None:
    write_config(tmp_path)
    set_up(tmp_path / "data.db", tmp_path)
    result = cli("backup", "copy.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert coalitions(tmp_path / "copy.db") == ["Eastside"]
    assert not (tmp_path / "coalition.db").exists()


def test_run_reads_a_relative_database_beside_the_config_file(tmp_path: Path) -> None:
    """Started from elsewhere, `run` opens srv/data.db (here not a database, so the start
    stops and names the file it tried)."""
    config = write_config(tmp_path / "srv", "[slack]\nenabled = true\n")
    (tmp_path / "srv" / "data.db").write_text("not a database " * 100)
    env = clean_env(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s")
    result = cli("run", "--config", str(config), cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stderr
    assert str(tmp_path / "srv" / "data.db") in result.stderr, result.stderr
    assert "not a coalition-bot database" in result.stderr


def test_a_run_that_fails_to_start_creates_no_database(tmp_path: Path) -> None:
    before = None
    for body, env in (
            ("", {}),  # no front door enabled
            ("[slack]\nenabled = true\n", {}),  # its token is not set
            ('[discord]\nenabled = true\napi_base = "http://127.0.0.1:9/api/v10"\n',
             {"DISCORD_TOKEN": "abc"}),  # Discord cannot be reached
    ):
        config = write_config(tmp_path / "srv", body)
        before = before or files(tmp_path)
        result = cli("run", "--config", str(config), cwd=tmp_path, env=clean_env(**env))
        assert result.returncode != 0, result.stderr
        assert files(tmp_path) == before, (body, result.stderr)
        assert not os.path.exists(tmp_path / "coalition.db")
