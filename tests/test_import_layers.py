"""The import contracts hold on the installed layout, and a regression breaks them.

`.ci/run` lints a non-editable install (`commands/`, `adapters/`, `migrations/` become
`coalition_bot.*` only once installed); these tests do the same, then plant one
forbidden import in a copy and check that lint-imports fails and names the contract.
"""

from __future__ import annotations

import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import coalition_bot

REPO = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"
PLATFORMS = "The core and the command specs import no platform library"
LAYERS = "Layers: each imports only the layers below it"
FRONT_DOORS = "Front doors go through the Bot"


def _env() -> dict[str, str]:
    drop = ("PYTHONPATH", "PYTHONHOME", "PIP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project installed as `.ci/run` installs it for the import contract."""
    stage = tmp_path_factory.mktemp("stage") / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--no-build-isolation", "--target", str(stage), str(REPO)],
                          capture_output=True, text=True, env=_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    return stage


def lint(stage: Path) -> subprocess.CompletedProcess[str]:
    env = _env() | {"PYTHONPATH": str(stage)}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(REPO / "pyproject.toml")],
                          capture_output=True, text=True, cwd=stage, env=env, timeout=300)


def planted(installed: Path, tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the installed tree with `line` added to `module` (a path in it)."""
    stage = tmp_path / "site"
    shutil.copytree(installed, stage)
    with (stage / module).open("a", encoding="utf-8") as f:
        f.write(f"\n{line}  # planted by the test\n")
    return stage


def verdicts(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Each contract's verdict (KEPT or BROKEN) as lint-imports printed it."""
    text = " ".join(result.stdout.split()).split("Broken contracts")[0]
    found = {name: re.search(re.escape(name) + r".*?\b(KEPT|BROKEN)\b", text)
             for name in (PLATFORMS, LAYERS, FRONT_DOORS)}
    assert all(found.values()), result.stdout
    return {name: match[1] for name, match in found.items() if match}


def broken(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {name for name, verdict in verdicts(result).items() if verdict == "BROKEN"}


def test_the_installed_layout_keeps_every_contract(installed: Path) -> None:
    result = lint(installed)
    assert result.returncode == 0, result.stdout + result.stderr
    assert broken(result) == set()


def test_a_service_importing_a_command_spec_breaks_the_layers(installed: Path,
                                                              tmp_path: Path) -> None:
    stage = planted(installed, tmp_path, "coalition_bot/services/suggest.py",
                    "import coalition_bot.commands.spec")
    result = lint(stage)
    assert result.returncode != 0
    assert broken(result) == {LAYERS}
    assert "coalition_bot.services.suggest -> coalition_bot.commands.spec" in result.stdout


def test_the_store_importing_the_bot_breaks_the_layers(installed: Path,
                                                       tmp_path: Path) -> None:
    stage = planted(installed, tmp_path, "coalition_bot/store/people.py",
                    "import coalition_bot.bot")
    result = lint(stage)
    assert result.returncode != 0
    assert LAYERS in broken(result)


@pytest.mark.parametrize("forbidden", ["coalition_bot.store.people",
                                       "coalition_bot.services.suggest",
                                       "coalition_bot.dispatch"])
def test_an_adapter_reaching_past_the_bot_breaks_the_front_door_rule(
        installed: Path, tmp_path: Path, forbidden: str) -> None:
    stage = planted(installed, tmp_path, "coalition_bot/adapters/console/render.py",
                    f"import {forbidden}")
    result = lint(stage)
    assert result.returncode != 0
    assert broken(result) == {FRONT_DOORS}
    assert f"coalition_bot.adapters.console.render -> {forbidden}" in result.stdout


@pytest.mark.parametrize("forbidden", ["coalition_bot.store.pages",
                                       "coalition_bot.services.page"])
def test_the_web_pages_reaching_past_the_bot_break_the_front_door_rule(
        installed: Path, tmp_path: Path, forbidden: str) -> None:
    stage = planted(installed, tmp_path, "coalition_bot/web/server.py", f"import {forbidden}")
    result = lint(stage)
    assert result.returncode != 0
    assert broken(result) == {FRONT_DOORS}
    assert f"coalition_bot.web.server -> {forbidden}" in result.stdout


# --- the contract's text ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def contracts() -> list[dict]:
    with (REPO / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]["contracts"]


def layers_of(contracts: list[dict]) -> list[set[str]]:
    (layered,) = [c for c in contracts if c.get("type") == "layers"]
    return [{m.strip() for m in layer.split("|")} for layer in layered["layers"]]


def test_every_module_has_one_layer(contracts: list[dict]) -> None:
    with (REPO / "pyproject.toml").open("rb") as f:
        packages = tomllib.load(f)["tool"]["setuptools"]["packages"]
    found = {m.name for m in pkgutil.iter_modules(coalition_bot.__path__)}
    mapped = {p.split(".")[1] for p in packages if p.count(".") == 1}
    every = {f"coalition_bot.{name}" for name in (found | mapped) - {"__main__"}}
    placed = [m for layer in layers_of(contracts) for m in layer]
    assert sorted(placed) == sorted(set(placed)), "a module is in two layers"
    assert every == set(placed), f"give each a layer: {sorted(every ^ set(placed))}"


def test_the_layers_run_from_the_cli_down_to_the_model(contracts: list[dict]) -> None:
    layers = layers_of(contracts)
    order = ["cli", "adapters", "scheduler", "bot", "dispatch", "commands", "services",
             "store", "rules", "model"]
    depth = [next(i for i, layer in enumerate(layers) if f"coalition_bot.{name}" in layer)
             for name in order]
    named = dict(zip(order, depth, strict=True))
    assert depth == sorted(depth), f"out of order: {named}"
    assert len(set(depth)) == len(depth), f"two in one layer: {named}"
