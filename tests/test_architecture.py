"""ARCHITECTURE.md's layer table matches the code's real imports.

The table's first column names a layer (in bold) and its modules (`coalition_bot.x`, or a
bare `y` for `coalition_bot.y`); the last column lists, in backticks, the layers its
modules import. Every import counts, those inside functions too,
since a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARCHITECTURE = REPO / "ARCHITECTURE.md"
SOURCES = {"coalition_bot": REPO / "coalition_bot", "coalition_bot.commands": REPO / "commands",
           "coalition_bot.adapters": REPO / "adapters"}
START, END = "<!-- layers:start -->", "<!-- layers:end -->"


def _modules() -> dict[str, Path]:
    """Every module of the installed package, by its dotted name."""
    found: dict[str, Path] = {}
    for package, folder in SOURCES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def _imports(path: Path, name: str) -> set[str]:
    """The coalition_bot modules `path` imports (absolute, relative resolved)."""
    names: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1],
                                 *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {n for n in names if n == "coalition_bot" or n.startswith("coalition_bot.")}


Row = tuple[str, list[str], set[str]]


def _table() -> list[Row]:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert text.count(START) == 1, f"ARCHITECTURE.md needs one {START}"
    assert text.count(END) == 1, f"ARCHITECTURE.md needs one {END}"
    rows = []
    for line in text.split(START)[1].split(END)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or set(cells[0]) <= {"-"} or cells[0].startswith("layer"):
            continue
        layer = re.match(r"\*\*(\w+)\*\*", cells[0])
        assert layer, f"a layer row starts with its name in bold: {line}"
        modules = [m if m.startswith("coalition_bot") else f"coalition_bot.{m}"
                   for m in re.findall(r"`([\w.]+)`", cells[0])]
        rows.append((layer[1], modules, set(re.findall(r"`(\w+)`", cells[-1]))))
    return rows


def _layer_of(module: str, rows: list[Row]) -> str | None:
    best, length = None, -1
    for layer, names, _ in rows:
        for prefix in names:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = layer, len(prefix)
    return best


def test_every_module_has_a_layer() -> None:
    rows = _table()
    missing = sorted(m for m in _modules() if m != "coalition_bot" and _layer_of(m, rows) is None)
    assert not missing, f"ARCHITECTURE.md's layer table does not place: {missing}"


def test_may_import_column_matches_the_imports() -> None:
    rows = _table()
    actual: dict[str, set[str]] = {layer: set() for layer, _, _ in rows}
    for module, path in _modules().items():
        layer = _layer_of(module, rows)
        if layer is None:
            continue
        for imported in _imports(path, module):
            other = _layer_of(imported, rows)
            if other is not None and other != layer:
                actual[layer].add(other)
    documented = {layer: may for layer, _, may in rows}
    wrong = {layer: {"imports": sorted(actual[layer]), "table says": sorted(documented[layer])}
             for layer in actual if actual[layer] != documented[layer]}
    assert not wrong, f"ARCHITECTURE.md's 'may import' column is out of date: {wrong}"


def test_each_layer_imports_only_layers_below_it() -> None:
    rows = _table()
    order = [layer for layer, _, _ in rows]
    wrong = {layer: sorted(m for m in may if m not in order[order.index(layer) + 1:])
             for layer, _, may in rows}
    wrong = {layer: names for layer, names in wrong.items() if names}
    assert not wrong, f"ARCHITECTURE.md's table lists layers that are not below: {wrong}"
