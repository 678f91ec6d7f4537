"""The package's shape stays as docs/architecture.md draws it.

Checked over the source with ``ast`` (every import, also inside functions and under
``TYPE_CHECKING``): no import circle between modules, no import from a lower stage to a higher
one, no module over its size, and every envelope item type named in the registry only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pytest_sentry_check"
NAME = "pytest_sentry_check"

#: The stages, lowest first. A module may import from its own folder and from lower stages.
#: Stages on one line are siblings: neither imports the other.
STAGES: list[tuple[str, ...]] = [
    ("_warnings", "_docs", "_lifespan", "_sdk_import"),
    ("_rules",),
    ("_masking",),
    ("_model",),
    ("_capture", "_scan"),
    ("_query",),
    ("_gate", "_server"),
    ("_run", "_cli"),
    ("hookspecs",),
    ("plugin",),
    ("",),  # the package's __init__: public names, imported on first use
]
RANK = {stage: rank for rank, stages in enumerate(STAGES) for stage in stages}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(module: str) -> set[str]:
    """The package's modules that ``module`` imports (anywhere in its source)."""
    path = MODULES[module]
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                target = ".".join(
                    [*base[: len(base) - node.level + 1], *([node.module] if node.module else [])]
                )
            for alias in node.names:
                if f"{target}.{alias.name}" in MODULES:
                    found.add(f"{target}.{alias.name}")
                elif target in MODULES:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
    found.discard(module)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_stages_cover_every_module() -> None:
    assert {_stage(module) for module in MODULES} <= set(RANK)


def test_no_module_imports_a_higher_stage_or_a_sibling() -> None:
    upward = [
        f"{module} -> {imported}"
        for module, imports in GRAPH.items()
        for imported in imports
        if _stage(imported) != _stage(module) and RANK[_stage(imported)] >= RANK[_stage(module)]
    ]
    assert upward == []


def test_no_import_circle() -> None:
    """Depth-first search for a back edge; the message names the circle."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for imported in sorted(GRAPH[module]):
            if state.get(imported) == 1:
                return [*path[path.index(imported) :], imported]
            if imported not in state:
                circle = visit(imported)
                if circle:
                    return circle
        path.pop()
        state[module] = 2
        return []

    for module in sorted(GRAPH):
        if module not in state:
            assert visit(module) == [], "import circle"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_its_size(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= (400 if module == f"{NAME}.plugin" else 450), f"{module}: {lines} lines"


def test_only_the_registry_compares_with_an_item_type_name() -> None:
    """Code that depends on an item's type asks the registry (``_model/item_types.py``).

    A comparison with a client report's data category is not about item types, though some
    categories share a type's name (``transaction``, ``span``).
    """
    from pytest_sentry_check._model.item_types import ITEM_TYPES

    registry = MODULES[f"{NAME}._model.item_types"]
    spelled = []
    for module, path in MODULES.items():
        if path == registry:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                if any("category" in ast.unparse(operand) for operand in operands):
                    continue
                literals = [
                    constant.value
                    for operand in operands
                    for constant in (
                        [operand] if isinstance(operand, ast.Constant) else getattr(operand, "elts", [])
                    )
                    if isinstance(constant, ast.Constant)
                ]
                spelled += [f"{module}:{node.lineno} {value!r}" for value in literals if value in ITEM_TYPES]
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "ScanItem"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in ITEM_TYPES
            ):
                spelled.append(f"{module}:{node.lineno} {node.args[0].value!r}")
    assert spelled == []
