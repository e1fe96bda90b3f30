"""`coalition-bot check-config`: every problem of a broken file and environment at once,
and what would start when all is well."""

from __future__ import annotations

from pathlib import Path

import pytest

from coalition_bot.cli import main
from coalition_bot.config import ConfigError, load_config

BROKEN = """
[bot]
databse = "coalition.db"
log_format = "yaml"
admin_port = 70000

[scheduler]
grace = "soon"
stop_grace = 900

[discord]
enabled = "yes"
token_env = "OPS_TEST_DISCORD"

[slack]
enabled = true
transport = "socket"
bot_token_env = "OPS_TEST_SLACK_BOT"
app_token_env = "OPS_TEST_SLACK_APP"

[telegram]
enabled = true
"""


def test_check_config_names_every_problem_at_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPS_TEST_SLACK_BOT", "xoxb-1")
    monkeypatch.delenv("OPS_TEST_SLACK_APP", raising=False)
    config = tmp_path / "config.toml"
    config.write_text(BROKEN)
    assert main(["check-config", "--config", str(config)]) == 2
    out = capsys.readouterr().out
    expected = ["Unknown section(s) in the config: telegram",
                "[bot] has unknown setting(s): databse",
                "[bot] log_format must be text or json, not 'yaml'",
                "[bot] admin_port must be 0 (none) or a port up to 65535, not 70000",
                "[scheduler] grace:", "[scheduler] stop_grace must be",
                "[discord] enabled must be true or false, not 'yes'",
                "OPS_TEST_SLACK_APP is not set; [slack] Socket Mode"]
    for problem in expected:
        assert problem in out, f"{problem!r} not named in:\n{out}"
    assert f"{len(expected)} problem(s)" in out
    assert "OPS_TEST_SLACK_BOT" not in out  # it is set
    # the bot itself refuses the file with the same list
    with pytest.raises(ConfigError, match="7 problems") as refused:
        load_config(config)
    assert "telegram" in str(refused.value)
    assert "databse" in str(refused.value)


def test_check_config_says_what_would_start(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPS_TEST_SLACK_BOT", "xoxb-1")
    monkeypatch.setenv("OPS_TEST_SLACK_APP", "xapp-1")
    config = tmp_path / "config.toml"
    config.write_text('[slack]\nenabled = true\ntransport = "socket"\n'
                      'bot_token_env = "OPS_TEST_SLACK_BOT"\n'
                      'app_token_env = "OPS_TEST_SLACK_APP"\n')
    assert main(["check-config", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "fine. `run` would start: slack (Socket Mode)" in out
    assert str(tmp_path / "coalition.db") in out
    assert "xoxb-1" not in out
    assert "xapp-1" not in out


def test_the_example_config_is_clean_apart_from_its_secrets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    assert main(["check-config", "--config", str(example)]) == 2  # nothing enabled
    out = capsys.readouterr().out
    assert "1 problem(s)" in out
    assert "Neither [slack] nor [discord] is enabled" in out


def test_check_config_names_what_oauth_installs_need(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPS_ID", "OPS_SECRET", "OPS_STATE", "OPS_KEY", "OPS_SIGNING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPS_ID", "1.2")
    config = tmp_path / "config.toml"
    config.write_text('[slack]\nenabled = true\ninstall = "oauth"\n'
                      'client_id_env = "OPS_ID"\nclient_secret_env = "OPS_SECRET"\n'
                      'state_secret_env = "OPS_STATE"\ntoken_key_env = "OPS_KEY"\n'
                      'signing_secret_env = "OPS_SIGNING"\nbot_token_env = "OPS_NO_BOT"\n')
    assert main(["check-config", "--config", str(config)]) == 2
    out = capsys.readouterr().out
    for name in ("OPS_SECRET", "OPS_STATE", "OPS_KEY", "OPS_SIGNING"):
        assert f"{name} is not set" in out, out
    assert "OPS_ID" not in out
    assert "OPS_NO_BOT" not in out
    assert "4 problem(s)" in out
    for name in ("OPS_SECRET", "OPS_STATE", "OPS_KEY", "OPS_SIGNING"):
        monkeypatch.setenv(name, "x")
    assert main(["check-config", "--config", str(config)]) == 0
    assert "installs through /slack/install" in capsys.readouterr().out
    config.write_text('[slack]\nenabled = true\ninstall = "oauth"\ntransport = "socket"\n')
    with pytest.raises(ConfigError, match="needs transport"):
        load_config(config)
    config.write_text('[slack]\nenabled = true\ninstall = "many"\n')
    with pytest.raises(ConfigError, match="install must be token or oauth"):
        load_config(config)
