"""The package's folders show its architecture, and the imports keep it so: read with ``ast``
from the source, no module imports in a circle, a folder imports only the folders below it in
docs/how-it-works.md's layout table, nothing imports the package's face (its ``__init__``)
from inside, and pytest is imported by the plugin folder alone."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_offline_index"
LAYOUT = PACKAGE.parent / "docs" / "how-it-works.md"
NAME = PACKAGE.name
MOST_LINES = 400


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in PACKAGE.rglob("*.py")}


def _imports(module: str) -> Iterator[str]:
    """Every module of the package that ``module`` imports (at any depth of its code,
    typing-only imports included: a circle closed by one is still a circle)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join([*base, *([node.module] if node.module else [])])
            else:
                stem = node.module or ""
            # ``from X import name``: name may be a module of X
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in MODULES else stem
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target.startswith(NAME) and target != module:
                yield target


GRAPH = {module: set(_imports(module)) for module in MODULES}


def _folder(module: str) -> str:
    """The subpackage a module lives in; a module beside the face is its own room."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of ``graph``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_in_a_circle() -> None:
    inside = {m: deps - {NAME} for m, deps in GRAPH.items() if m != NAME}
    assert _circle(inside) is None


def test_the_folders_import_one_another_in_one_direction() -> None:
    folders: dict[str, set[str]] = {}
    for module, deps in GRAPH.items():
        if module == NAME:
            continue
        folders.setdefault(_folder(module), set()).update(
            _folder(d) for d in deps if d != NAME and _folder(d) != _folder(module))
    assert _circle(folders) is None


def test_a_folder_imports_only_the_folders_below_it_in_the_docs_table() -> None:
    names = re.findall(r"^\| `(\w+)/` \|", LAYOUT.read_text(), flags=re.M)
    assert sorted(names) == sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    table = [f"{NAME}.{name}" for name in names]  # top to bottom
    upward = sorted(f"{module} imports {dep}" for module, deps in GRAPH.items()
                    for dep in deps if _folder(module) in table and _folder(dep) in table
                    and table.index(_folder(dep)) < table.index(_folder(module)))
    assert upward == []


def test_nothing_inside_imports_the_package_s_face() -> None:
    assert [m for m, deps in GRAPH.items() if NAME in deps and m != NAME] == []


def test_each_folder_says_what_it_owns_and_pytest_stays_in_the_plugin() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        assert ast.get_docstring(ast.parse(init.read_text())), init
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                 for a in n.names} | {(n.module or "").split(".")[0] for n in ast.walk(tree)
                                      if isinstance(n, ast.ImportFrom) and not n.level}
        if {"pytest", "_pytest"} & names:
            assert _folder(module) == f"{NAME}.plugin", module


def test_no_module_is_over_400_lines() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines()))
            > MOST_LINES}
    assert long == {}
