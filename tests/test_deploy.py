"""deploy/coalition-bot.service passes `systemd-analyze verify` (where systemd is)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_the_unit_has_what_a_service_needs() -> None:
    unit = (DEPLOY / "coalition-bot.service").read_text()
    for line in ("Restart=on-failure", "User=coalition-bot", "StateDirectory=coalition-bot",
                 "NoNewPrivileges=true", "ProtectSystem=strict",
                 "ReadWritePaths=/var/lib/coalition-bot", "KillSignal=SIGTERM",
                 "EnvironmentFile=/etc/coalition-bot/coalition-bot.env",
                 "WorkingDirectory=/var/lib/coalition-bot"):
        assert line in unit.splitlines(), line


def test_systemd_analyze_verify_passes(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here (no systemd)")
    # the unit names the installed paths; verify checks that ExecStart exists, so point
    # it at this venv's coalition-bot, and nothing else changes
    script = Path(sys.executable).parent / "coalition-bot"
    unit = (DEPLOY / "coalition-bot.service").read_text().replace(
        "/opt/coalition-bot/venv/bin/coalition-bot", str(script))
    copy = tmp_path / "coalition-bot.service"
    copy.write_text(unit)
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True,
                            timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "coalition-bot.service" in line]
    assert result.returncode == 0, result.stdout + result.stderr
    assert not problems, result.stdout + result.stderr
