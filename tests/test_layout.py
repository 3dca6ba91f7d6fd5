"""The house rules of the code's layout, kept by the suite (as datasette fails on an
undocumented setting): rooms a newcomer can read, imports that point one way, SQL in one
package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.helpers import ROOT

PACKAGES = ("monitor", "responders")
MAX_LINES = 800
MAX_CLI_LINES = 600  # the CLI parses arguments and runs thin commands; the rest lives elsewhere
# Only the composition root and the command line put the two sides together.
MAY_IMPORT_RESPONDERS = re.compile(r"^monitor\.(cli|daemon|commands)(\.|$)")
SQL = re.compile(r"\.execute(many)?\(|\b(SELECT|INSERT INTO|DELETE FROM)\b.*\b(FROM|VALUES)\b")


def modules() -> dict[str, Path]:
    """Every module of monitor/ and responders/ by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports anywhere in its body (inside functions and
    TYPE_CHECKING blocks too: a lazy import hides a cycle, it does not remove it)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from pkg import sub` imports the module pkg.sub when there is one
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, set(known)) for name, path in known.items()}


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_is_a_room_too_big_to_live_in() -> None:
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines())
             for name, path in modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
    assert sizes["monitor.cli"] <= MAX_CLI_LINES


def test_monitor_imports_responders_only_from_the_composition_root_and_the_cli() -> None:
    offenders = {name: sorted(t for t in targets if t.startswith("responders"))
                 for name, targets in graph().items()
                 if name.startswith("monitor") and not MAY_IMPORT_RESPONDERS.match(name)}
    assert {name: targets for name, targets in offenders.items() if targets} == {}


def test_sql_lives_only_in_the_store_package() -> None:
    outside = {}
    for name, path in modules().items():
        if name == "monitor.store" or name.startswith("monitor.store."):
            continue
        hits = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if SQL.search(line)]
        if hits:
            outside[name] = hits
    assert outside == {}


def test_each_store_method_lives_in_one_domain_module() -> None:
    """The store's domain mixins compose one `Store`: a method defined twice would silently
    shadow the other, whichever comes first in the method resolution order."""
    from monitor.store import Store

    owners: dict[str, list[str]] = {}
    for cls in Store.__mro__[1:]:
        for attr in vars(cls):
            if not attr.startswith("__"):
                owners.setdefault(attr, []).append(cls.__name__)
    assert {attr: who for attr, who in owners.items() if len(who) > 1} == {}
