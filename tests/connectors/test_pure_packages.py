"""connectors/, manifest/ and fakes/ sit below the application: none of them imports widget."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = ("connectors", "manifest", "fakes")


def widget_imports(source: str) -> list[str]:
    """Return the ``widget`` modules a piece of source imports (at any depth of the tree)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [name for name in names if name == "widget" or name.startswith("widget.")]
    return found


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_package_imports_nothing_from_widget(package: str) -> None:
    sources = sorted((ROOT / package).rglob("*.py"))
    assert sources, f"{package}/ has no Python source"
    offenders = {
        str(path.relative_to(ROOT)): names
        for path in sources
        if (names := widget_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_scan_sees_every_form_of_import() -> None:
    source = (
        "import widget\n"
        "import os, widget.models as m\n"
        "from widget.extensions import db\n"
        "def later():\n    from widget import create_app\n"
        "from widgetry import x\nfrom . import widget\n"
    )
    assert widget_imports(source) == ["widget", "widget.models", "widget.extensions", "widget"]
