"""One fixture per name across the tests: a name that means different set-ups in
different files (`world` four times, `partners` two different coalitions) hides which
people and organizations a test starts from."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).parent

# Defined twice on purpose or not yet renamed; a new name here needs a reason.
KNOWN = {
    "coalition": "tests/slack/conftest.py gives the Slack tests the same set-up on Slack",
    "fake": "FakeDiscord in test_discord_process.py, FakeSlack in tests/slack",
    "action": "a different action item in test_scheduler.py and test_action_followup.py",
}


def _fixture_name(node: ast.AST) -> str | None:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call else decorator
        if ast.unparse(target) in ("pytest.fixture", "fixture"):
            named = [k.value for k in call.keywords if k.arg == "name"] if call else []
            if named and isinstance(named[0], ast.Constant):
                return str(named[0].value)
            return node.name
    return None


def fixtures() -> dict[str, list[str]]:
    """Fixture name → the files defining it."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = _fixture_name(node)
            if name is not None:
                found[name].append(str(path.relative_to(TESTS.parent)))
    return found


def test_each_fixture_name_is_defined_once() -> None:
    twice = {name: files for name, files in fixtures().items()
             if len(files) > 1 and name not in KNOWN}
    assert twice == {}


def test_the_check_sees_fixtures() -> None:
    found = fixtures()
    assert found["world"] == ["tests/conftest.py"]
    assert found["partners"] == ["tests/conftest.py"]
    assert "two_reps" in found
    # the OAuth door of the OAuth and Grid tests is set up in one place
    assert found["door"] == ["tests/slack/conftest.py"]
