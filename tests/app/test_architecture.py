"""The house's shape: imports only run down the layers, and no two modules import each other.

Layers, bottom first (DESIGN.md): the pure packages (``manifest``, ``connectors``,
``fakes``), then ``widget``'s models and infrastructure, then platforms, then the
capabilities (services and their routes), then the app factory and the CLI. Every
import counts, at module level or inside a function: a lazy import hides a cycle from
Python, not from a reader.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("manifest", "connectors", "fakes", "widget")

PURE = 0
INFRASTRUCTURE = 1
PLATFORMS = 2
CAPABILITIES = 3
APPLICATION = 4

# widget's own modules and packages, by layer; anything else under widget/ is an error.
WIDGET_LAYERS = {
    "widget.access": INFRASTRUCTURE,
    "widget.audit": INFRASTRUCTURE,
    "widget.browser_binding": INFRASTRUCTURE,
    "widget.config": INFRASTRUCTURE,
    "widget.database": INFRASTRUCTURE,
    "widget.errors": INFRASTRUCTURE,
    "widget.extensions": INFRASTRUCTURE,
    "widget.health": INFRASTRUCTURE,
    "widget.icons": INFRASTRUCTURE,
    "widget.htmx_support": INFRASTRUCTURE,
    "widget.inputs": INFRASTRUCTURE,
    "widget.jobs": INFRASTRUCTURE,
    "widget.media": INFRASTRUCTURE,
    "widget.media_references": INFRASTRUCTURE,
    "widget.models": INFRASTRUCTURE,
    "widget.pdf": INFRASTRUCTURE,
    "widget.sealing": INFRASTRUCTURE,
    "widget.phone": INFRASTRUCTURE,
    "widget.security": INFRASTRUCTURE,
    "widget.templating": INFRASTRUCTURE,
    "widget.platforms": PLATFORMS,
    "widget.admin": CAPABILITIES,
    "widget.auth": CAPABILITIES,
    "widget.compose": CAPABILITIES,
    "widget.contacts": CAPABILITIES,
    "widget.crm_connect": CAPABILITIES,
    "widget.crm_logging": CAPABILITIES,
    "widget.demo": CAPABILITIES,
    "widget.inbox": CAPABILITIES,
    "widget.lifecycle": CAPABILITIES,
    "widget.local_crm": CAPABILITIES,
    "widget.opencti": CAPABILITIES,
    "widget.queues": CAPABILITIES,
    "widget.realtime": CAPABILITIES,
    "widget.sms_templates": CAPABILITIES,
    "widget.scheduled": CAPABILITIES,
    "widget.start": CAPABILITIES,
    "widget.webhooks": CAPABILITIES,
    "widget.cli": APPLICATION,
    "widget": APPLICATION,  # the app factory in widget/__init__.py
}


def _module_files() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # Alembic's scripts are run by Alembic, not imported
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _module_files()


def _resolve(name: str) -> str | None:
    """The project module ``name`` refers to: itself, or the package it is a name of."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from widget.inbox import fragments`` imports a module, ``import bp`` a name.
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                targets.add(target)
    return targets


def _is_registration(importer: str, target: str) -> bool:
    """A package's ``__init__`` importing its own submodules (microblog's blueprint
    pattern: the package makes ``bp``, then imports the routes that decorate it)."""
    return MODULES[importer].name == "__init__.py" and target.startswith(importer + ".")


GRAPH = {
    module: {t for t in _imports(module) if not _is_registration(module, t)} for module in MODULES
}


def layer_of(module: str) -> int:
    if module.split(".")[0] in ("manifest", "connectors", "fakes"):
        return PURE
    parts = module.split(".")
    unit = ".".join(parts[:2]) if len(parts) > 1 else parts[0]
    assert unit in WIDGET_LAYERS, f"{module}: give widget package {unit!r} a layer here"
    return WIDGET_LAYERS[unit]


def test_every_import_runs_down_the_layers_or_stays_level():
    upward = [
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in GRAPH.items()
        for target in targets
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_the_pure_packages_import_no_widget_code():
    impure = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if layer_of(module) == PURE
        for target in targets
        if target.split(".")[0] == "widget"
    ]
    assert impure == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def test_no_two_modules_import_each_other_even_lazily():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    graph: dict[str, set[str]] = defaultdict(set, {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert _cycles(graph) == [["a", "b", "c"]]


def test_benchmarks_and_fakes_import_nothing_from_the_test_suite():
    offenders = []
    for folder in ("bench", "fakes"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                else:
                    continue
                offenders += [
                    f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith("tests")
                ]
    assert offenders == []
