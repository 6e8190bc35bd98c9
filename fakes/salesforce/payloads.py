"""Locating and loading the Salesforce conformance payloads (with built-in fallbacks)."""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

from .builtin import BUILTIN

ENV_VAR = "SIDETALK_CONFORMANCE_DIR"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def conformance_dir() -> Path:
    """Return the Salesforce conformance folder.

    ``$SIDETALK_CONFORMANCE_DIR`` names the conformance directory (the one holding
    ``salesforce/``, or the ``salesforce`` folder itself); otherwise the shared checkout
    beside the repository is used.
    """
    override = os.environ.get(ENV_VAR)
    if override:
        base = Path(override)
        return base / "salesforce" if (base / "salesforce").is_dir() else base
    return _REPO_ROOT.parent / "shared" / "conformance" / "salesforce"


@functools.lru_cache(maxsize=64)
def _read(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load(name: str) -> Any:
    """Return a fresh copy of conformance payload ``name`` (built-in copy if the file is absent)."""
    path = conformance_dir() / name
    if path.is_file():
        return copy.deepcopy(_read(str(path)))
    if name in BUILTIN:
        return copy.deepcopy(BUILTIN[name])
    raise FileNotFoundError(f"no conformance payload {name!r} and no built-in copy")


def error_template(name: str) -> dict[str, Any]:
    """Return the first error object of an error-array payload."""
    items = load(name)
    first: dict[str, Any] = items[0]
    return first
