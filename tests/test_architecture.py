"""The shape of the house: module sizes, function sizes, which layer may import which, no cycles.

ARCHITECTURE.md says why each rule is there. These tests read the source with ``ast`` and run
none of it, so a rule broken anywhere fails here with the file and line named.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "demo", "domain", "handlers", "services", "storage", "testbench", "texts")
# Code that is not a package but still ships or runs (benchmarks, examples, CI scripts).
OTHER_CODE = ("bench", "examples", ".ci")

MAX_MODULE_LINES = 600
SIZE_CHECKED = ("bot", "demo", "handlers", "services", "testbench")
MAX_FUNCTION_LINES = 80

# A layer may not import the layers listed against it.
FORBIDDEN = {
    "domain": {"services", "storage", "handlers", "bot", "texts", "testbench", "demo"},
    "texts": {"services", "storage", "handlers", "bot", "testbench", "demo"},
    "storage": {"services", "handlers", "bot", "texts", "testbench", "demo"},
    "services": {"handlers", "bot", "testbench", "demo"},
    "handlers": {"bot", "testbench", "demo"},
    "bot": {"testbench", "demo"},
    "testbench": {"bot", "handlers", "services", "storage", "demo"},
}
# The one way up: ``duban demo`` starts the demo, which drives the bot through the testbench.
ALLOWED = {("bot.cli", "demo.play")}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: int

    @property
    def layer(self) -> str:
        return self.name.split(".")[0]

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def _modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            text = path.read_text(encoding="utf-8")
            found[name] = Module(name, path, ast.parse(text), len(text.splitlines()))
    return found


MODULES = _modules()


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """Ids of the nodes under ``if TYPE_CHECKING:``: annotations only, not a runtime import."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(inner) for inner in ast.walk(node))
    return hidden


def _import_targets(module: Module, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The dotted names one import statement may refer to (a module, or a name in one)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        base = module.name.split(".")
        keep = len(base) - node.level + (1 if module.is_package else 0)
        prefix = ".".join(base[:keep])
        target = f"{prefix}.{node.module}" if node.module else prefix
    else:
        target = node.module or ""
    yield target
    yield from (f"{target}.{alias.name}" for alias in node.names)


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: Module, *, with_type_checking: bool) -> dict[str, int]:
    """The project's modules this one imports (at module level or inside a function), each
    with the first line that does."""
    hidden = set() if with_type_checking else _type_checking_nodes(module.tree)
    found: dict[str, int] = {}
    for node in ast.walk(module.tree):
        if id(node) in hidden or not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for name in _import_targets(module, node):
            target = _resolve(name)
            if target is not None and target != module.name:
                found.setdefault(target, node.lineno)
    return found


def test_modules_stay_small() -> None:
    too_long = [
        f"{m.path.relative_to(ROOT)}: {m.lines} lines"
        for m in MODULES.values()
        if m.layer in SIZE_CHECKED and m.lines > MAX_MODULE_LINES
    ]
    assert not too_long, (
        f"modules over {MAX_MODULE_LINES} lines (split by what they are about):\n"
        + "\n".join(too_long)
    )


def _all_code() -> Iterator[Path]:
    for folder in PACKAGES + OTHER_CODE:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_functions_stay_short() -> None:
    too_long = []
    for path in _all_code():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    too_long.append(f"{where} {node.name}: {length} lines")
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(too_long)


def test_layers_import_downwards_only() -> None:
    wrong = []
    for module in MODULES.values():
        banned = FORBIDDEN.get(module.layer, set())
        for target, line in _imports(module, with_type_checking=True).items():
            if target.split(".")[0] in banned and (module.name, target) not in ALLOWED:
                wrong.append(f"{module.path.relative_to(ROOT)}:{line} imports {target}")
    assert not wrong, "a layer imports one it may not (ARCHITECTURE.md):\n" + "\n".join(wrong)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
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
    return found


def test_no_import_cycles() -> None:
    graph = {
        name: set(_imports(module, with_type_checking=False)) for name, module in MODULES.items()
    }
    cycles = [" <-> ".join(component) for component in _cycles(graph)]
    assert not cycles, "modules that import each other (also inside functions):\n" + "\n".join(
        cycles
    )


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(
    graph: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert _cycles(graph) == expected


def test_the_import_reader_sees_function_level_and_relative_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from storage import models\n"
        "def f():\n    from services import execution\n"
        "from .views import ItemView\n"
    )
    fake = Module("services.decisions", ROOT / "services/decisions.py", ast.parse(source), 6)
    runtime = _imports(fake, with_type_checking=False)
    assert {"services.execution", "services.views"} <= set(runtime)
    assert "storage.models" not in runtime
    assert "storage.models" in _imports(fake, with_type_checking=True)
