"""README.md, CI and the import contract agree with the code."""

from __future__ import annotations

import os
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import coalition_bot
from coalition_bot.commands.help import markdown_reference
from coalition_bot.commands.registry import COMMANDS

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
START, END = "<!-- commands:start -->", "<!-- commands:end -->"
REGENERATE = ("README.md's command reference is out of date. Regenerate it: replace what is "
              f"between {START} and {END} with the output of `coalition-bot help --markdown`.")


@pytest.fixture(scope="module")
def readme() -> str:
    assert README.is_file(), f"{README} is missing"
    return README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pyproject() -> dict:
    with (REPO / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def fenced_blocks(markdown: str) -> list[str]:
    """The contents of the ``` fenced code blocks, in order."""
    return [m[1] for m in re.finditer(r"^```[^\n]*\n(.*?)^```[ \t]*$", markdown, re.M | re.S)]


# --- README ------------------------------------------------------------------------------------

def test_readme_command_reference_is_the_generated_markdown(readme: str) -> None:
    assert readme.count(START) == 1, f"README.md needs exactly one {START} and one {END}"
    assert readme.count(END) == 1, f"README.md needs exactly one {START} and one {END}"
    start, end = readme.index(START) + len(START), readme.index(END)
    assert start < end, f"{START} must come before {END}"
    in_readme = readme[start:end].strip("\n")
    generated = markdown_reference(COMMANDS).strip("\n")
    assert in_readme == generated, REGENERATE


def test_help_markdown_command_prints_the_same_reference(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COALITION_BOT")}
    env["PYTHONIOENCODING"] = "utf-8"
    result = subprocess.run([str(Path(sys.executable).parent / "coalition-bot"), "help",
                             "--markdown"], capture_output=True, text=True, encoding="utf-8",
                            cwd=tmp_path, env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == markdown_reference(COMMANDS)


def test_readme_starts_with_the_install_and_the_test_command(readme: str) -> None:
    blocks = fenced_blocks(readme)
    assert len(blocks) >= 2, "README.md needs at least two fenced code blocks"
    assert blocks[0].strip() == "pip install -e . && coalition-bot console"
    assert blocks[1].strip() == "pip install -e '.[test]' && pytest"


# --- CI --------------------------------------------------------------------------------------

@pytest.mark.parametrize("needed", ["set -euo pipefail", "pytest", "ruff check",
                                    "lint-imports"])
def test_ci_script_runs_every_check(needed: str) -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert needed in script


# --- the import contract -----------------------------------------------------------------------

NOT_CORE = {"cli", "__main__", "adapters"}


def contract_sources(pyproject: dict) -> set[str]:
    contracts = pyproject["tool"]["importlinter"]["contracts"]
    guarding = [c for c in contracts if "coalition_bot.adapters" in c.get("forbidden_modules", ())]
    assert guarding, "no import-linter contract forbids coalition_bot.adapters"
    return {m for c in guarding for m in c["source_modules"]}


def test_import_contract_covers_every_core_module_and_subpackage(pyproject: dict) -> None:
    # Modules in coalition_bot/, plus the subpackages the build maps from other folders
    # (commands/, adapters/, migrations/), which an editable install may not list.
    found = {m.name for m in pkgutil.iter_modules(coalition_bot.__path__)}
    mapped = {p.split(".")[1] for p in pyproject["tool"]["setuptools"]["packages"]
              if p.count(".") == 1 and p.startswith("coalition_bot.")}
    core = {f"coalition_bot.{name}" for name in (found | mapped) - NOT_CORE}
    assert {"coalition_bot.commands", "coalition_bot.migrations"} <= core
    missing = core - contract_sources(pyproject)
    assert not missing, f"add to the import-linter contract's source_modules: {sorted(missing)}"


def test_import_contract_forbids_platform_libraries_and_adapters(pyproject: dict) -> None:
    contracts = pyproject["tool"]["importlinter"]["contracts"]
    forbidden = {m for c in contracts if c.get("type") == "forbidden"
                 for m in c.get("forbidden_modules", ())}
    assert {"discord", "slack_bolt", "slack_sdk", "coalition_bot.adapters"} <= forbidden
