"""`[web]` in config.toml: off by default, checked, and enough on its own for `run`."""

from __future__ import annotations

from pathlib import Path

import pytest

from coalition_bot.config import ConfigError, check_config, parse_config


def test_web_is_off_by_default() -> None:
    assert parse_config({}).web.enabled is False


def test_wrong_web_settings_are_all_named() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({"web": {"base_url": "bot.example.org", "rate_limit": 0,
                              "port": 70000}})
    message = str(refused.value)
    assert "[web] base_url must start with https://" in message
    assert "[web] rate_limit must be" in message
    assert "[web] port must be a port up to 65535" in message


def test_check_config_accepts_web_alone_and_notes_a_missing_base_url(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[web]\nenabled = true\nport = 8081\n", encoding="utf-8")
    found = check_config(config, environ={})
    assert found.problems == []
    assert found.doors == ["web (HTTP on 127.0.0.1:8081)"]
    assert any("base_url is not set" in note for note in found.notes)
