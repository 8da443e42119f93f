"""The house's shape: dependencies point one way and nothing imports in a circle.

``cli``, ``api`` → ``pipeline`` → ``ingest``, ``signing``, ``registry`` → ``storage`` → ``core``.
Every import counts, at module level and inside functions: a function-local import is still a
dependency, only a hidden one. The edges may name the lower floors' classes and constants (a
filter, a record type, an enum) but call only ``pipeline``, where each action is written once.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections import defaultdict
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from tests.support.corpus import REPO

FOLDERS = ("core", "storage", "ingest", "signing", "registry", "pipeline", "api", "cli")
# What each floor may import, besides itself.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "storage": {"core"},
    "ingest": {"core"},
    "signing": {"core"},
    "registry": {"core", "storage"},
    "pipeline": {"core", "storage", "ingest", "signing", "registry"},
    "api": {"core", "pipeline"},
    # ``sohoa serve`` runs the API: the one edge that may build the other (never the reverse).
    "cli": {"core", "pipeline", "api"},
}
# Floors the edges may still name types from (never call).
TYPES_ONLY = {"storage", "registry", "ingest", "signing"}


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported module, dotted
    names: tuple[str, ...]  # names taken from it (empty for ``import x``)
    line: int
    type_checking: bool  # inside ``if TYPE_CHECKING:``


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return "sohoa." + ".".join(parts)


def _resolve(module: str, level: int, current: str, is_package: bool) -> str:
    if level == 0:
        return module
    base = current.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _imports() -> list[Import]:
    found: list[Import] = []
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # Alembic's scripts are loaded by file, not imported by the product
            name = _module_name(path)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            guarded: set[int] = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                    guarded |= {id(n) for child in node.body for n in ast.walk(child)}
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    target = _resolve(node.module or "", node.level, name, path.name == "__init__.py")
                    names = tuple(a.name for a in node.names)
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith("sohoa."):
                            found.append(Import(name, alias.name, (), node.lineno, id(node) in guarded))
                    continue
                else:
                    continue
                if target.startswith("sohoa."):
                    found.append(Import(name, target, names, node.lineno, id(node) in guarded))
    return found


def _floor(module: str) -> str:
    return module.split(".")[1]


def _is_type(module: str, name: str) -> bool:
    value = getattr(importlib.import_module(module), name, None)
    if value is None:  # a submodule imported by name
        return False
    return inspect.isclass(value) or isinstance(value, Enum | int | str | frozenset)


IMPORTS = _imports()


def test_the_walk_sees_function_level_imports() -> None:
    """The checks below would pass vacuously if the walk missed imports inside functions."""
    local = [i for i in IMPORTS if i.source == "sohoa.cli.documents_cmds" and i.target.startswith("sohoa.pipeline")]
    assert local, "sohoa.cli.documents_cmds imports pipeline inside its commands"


def test_dependencies_point_down() -> None:
    wrong = []
    for imp in IMPORTS:
        source, target = _floor(imp.source), _floor(imp.target)
        if source == target or target in ALLOWED[source] or imp.type_checking:
            continue
        names_types = source in ("api", "cli") and target in TYPES_ONLY and bool(imp.names)
        if names_types and all(_is_type(imp.target, n) for n in imp.names):
            continue
        wrong.append(f"{imp.source}:{imp.line} imports {imp.target} {list(imp.names)}")
    assert not wrong, "\n".join(wrong)


def _module_exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (REPO / rel).with_suffix(".py").is_file() or (REPO / rel / "__init__.py").is_file()


def test_no_import_circle() -> None:
    """Between modules, counting function-level imports (``from pkg import sub`` is an edge to
    ``pkg.sub``). Only ``TYPE_CHECKING`` imports are left out: they never run."""
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in IMPORTS:
        if imp.type_checking:
            continue
        targets = [f"{imp.target}.{n}" for n in imp.names if _module_exists(f"{imp.target}.{n}")]
        for target in targets or [imp.target]:
            if target != imp.source:
                graph[imp.source].add(target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                cycles.append([*stack[stack.index(m) :], m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_api_never_imports_the_cli() -> None:
    assert not [i for i in IMPORTS if _floor(i.source) == "api" and _floor(i.target) == "cli"]
