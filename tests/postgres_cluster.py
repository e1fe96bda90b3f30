"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, listening
only on a private unix socket in that folder, stopped when the tests end.

pg_ctl refuses to run as root, so as root the cluster is made and run as the `postgres`
user (the folder is handed to it). Used by tests/conftest.py when no server is named in
COALITION_BOT_TEST_PG; also runnable by hand:

    python tests/postgres_cluster.py      # prints the URL, stops on Enter
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cluster", "find_pg_ctl", "start"]

_DEBIAN_BIN = Path("/usr/lib/postgresql")


def find_pg_ctl() -> Path | None:
    """pg_ctl on PATH, else the newest of Debian's versioned installs."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve()
    if _DEBIAN_BIN.is_dir():
        candidates = sorted(_DEBIAN_BIN.glob("*/bin/pg_ctl"),
                            key=lambda p: int(p.parent.parent.name) if
                            p.parent.parent.name.isdigit() else 0)
        if candidates:
            return candidates[-1]
    return None


@dataclass
class Cluster:
    folder: Path
    bin: Path
    as_postgres: bool
    url: str

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120,
                              check=False)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove the folder, whatever state it is in."""
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate",
                      "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start(*, fsync: bool = False) -> Cluster:
    """initdb and start a private cluster; raise RuntimeError saying why it cannot.

    The tests run it with `fsync=off` (nothing to keep); the benchmarks with `fsync=True`,
    so a COMMIT costs what it costs in production."""
    pg_ctl = find_pg_ctl()
    if pg_ctl is None:
        raise RuntimeError("no PostgreSQL server here (pg_ctl not found; "
                           "apt-get install postgresql)")
    as_postgres = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="coalition-pg-"))
    os.chmod(folder, 0o755)
    if as_postgres:
        shutil.chown(folder, "postgres", "postgres")
    user = "postgres" if as_postgres else os.environ.get("USER", "postgres")
    cluster = Cluster(folder, pg_ctl.parent, as_postgres,
                      f"postgresql://{user}@/postgres?host={folder}&port=5432")
    try:
        made = cluster._run("initdb", "-D", str(folder / "data"), "-A", "trust",
                            "-U", user, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr.strip()[-500:]}")
        options = (f"-c listen_addresses='' -c unix_socket_directories='{folder}' "
                   f"-c port=5432 -c fsync={'on' if fsync else 'off'} -c max_connections=200")
        started = cluster._run("pg_ctl", "-D", str(folder / "data"), "-l",
                               str(folder / "server.log"), "-o", options, "-w", "start")
        if started.returncode != 0:
            log = (folder / "server.log")
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()[-300:]} "
                               f"{log.read_text()[-300:] if log.exists() else ''}")
    except BaseException:
        cluster.stop()
        raise
    return cluster


if __name__ == "__main__":
    running = start()
    print(running.url, flush=True)
    try:
        input()
    finally:
        running.stop()
