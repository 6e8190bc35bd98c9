"""The bundled JSON Schema and the translation of its errors into plain words.

jsonschema's own messages ("'x' is not one of [...]", "'const' is a required
property") are written for schema authors; manifest authors get the sentences built
here instead, always next to the JSON pointer of the value concerned.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from manifest.errors import ManifestError, to_pointer

_TYPE_WORDS = {
    "string": "a string",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "number": "a number",
    "integer": "a whole number",
    "null": "null",
}


@cache
def _schema() -> dict[str, Any]:
    text = resources.files("manifest").joinpath("schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def bundled_schema() -> dict[str, Any]:
    """Return a fresh copy of the bundled manifest JSON Schema (draft 2020-12)."""
    return copy.deepcopy(_schema())


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(_schema())


def describe_value(value: Any) -> str:
    """Return ``value`` as an author would write it in JSON, shortened when long."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _describe_types(expected: str | list[str]) -> str:
    if isinstance(expected, str):
        return _TYPE_WORDS.get(expected, expected)
    # "true or false" reads badly inside a list of alternatives.
    words = [
        "true/false" if name == "boolean" else _TYPE_WORDS.get(name, name) for name in expected
    ]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _subject(path: list[str | int]) -> str:
    # Name the value the way the author sees it: its key, or "key[index]" in a list.
    if not path:
        return "the manifest"
    if len(path) == 2 and path[0] == "platforms":
        return f"platform {path[1]!r}"
    last = path[-1]
    if isinstance(last, int):
        parent = next((p for p in reversed(path) if isinstance(p, str)), "item")
        return f"{parent}[{last}]"
    return last


def _translate(error: ValidationError) -> list[ManifestError]:
    path = list(error.absolute_path)
    subject = _subject(path)
    kind = error.validator
    expected = error.validator_value
    instance = error.instance
    got = describe_value(instance)

    if kind == "required":
        # One jsonschema error per missing key, but the error does not name it
        # structurally, so report every missing key (duplicates are merged later).
        present = instance if isinstance(instance, dict) else {}
        return [
            ManifestError(to_pointer([*path, name]), f"required property '{name}' is missing")
            for name in expected
            if name not in present
        ]
    if kind == "type":
        message = f"{subject} must be {_describe_types(expected)}; got {got}"
    elif kind == "enum":
        choices = ", ".join(str(choice) for choice in expected)
        message = f"{subject} must be one of {choices}; got {got}"
    elif kind == "const":
        message = f"{subject} must be {describe_value(expected)}; got {got}"
    elif kind == "minLength":
        message = f"{subject} must not be empty"
    elif kind == "minItems":
        message = f"{subject} must be a non-empty list"
    elif kind == "minProperties":
        message = f"{subject} must not be empty"
    elif kind == "minimum":
        message = f"{subject} must be at least {expected}; got {got}"
    else:
        message = f"{subject}: {error.message}"
    return [ManifestError(to_pointer(path), message)]


def schema_errors(doc: Any) -> list[ManifestError]:
    """Return the bundled schema's complaints about ``doc`` in author-facing words."""
    errors: list[ManifestError] = []
    for error in _validator().iter_errors(doc):
        errors.extend(_translate(error))
    return errors
