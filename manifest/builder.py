"""The log-form builder's model: a page's ``additionalFields`` as editable rows, and back.

An admin edits fields through a form (type, title, ``const``, required, default, options,
where options come from) while the manifest stays the source of truth. Every field row
keeps the JSON it came from (``source``): writing a row back starts from that JSON and
changes only what the admin changed, so keys the builder does not know (``accountDataKey``,
``defaultSettingValues``, vendor extensions...) and the original spelling of untouched
values (``1`` vs ``"1"``, an explicit ``"required": false``) survive a round trip.

The HTML form carries rows as flat text pairs named ``fields-<i>-<key>``
(:func:`form_data` and :func:`fields_from_form` are exact inverses), so this module
has no web dependency and is tested without HTTP.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from manifest.form import FIELD_TYPES

BUILDER_PAGES = ("messageLog", "callLog", "newContact")
PAGE_TITLES = {"messageLog": "Message log", "callLog": "Call log", "newContact": "New contact"}
ROW_PREFIX = "fields-"
_ROW_KEY = re.compile(r"^fields-(\d+)-(.+)$")
_OPTION_KEY = re.compile(r"^option-(\d+)-(value|title)$")
_FLAGS = {
    "required": "required",
    "contact_dependent": "contactDependent",
    "include_none_option": "includeNoneOption",
    "allow_custom_value": "allowCustomValue",
}

Option = tuple[str, str]


@dataclass(frozen=True)
class BuilderField:
    """One row of the builder: the values an admin edits, and the JSON they came from."""

    const: str = ""
    title: str = ""
    type: str = "inputField"
    required: bool = False
    default: str = ""
    description: str = ""
    options: tuple[Option, ...] = ()
    contact_dependent: bool = False
    include_none_option: bool = False
    allow_custom_value: bool = False
    source: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> BuilderField:
        """Return the row for one ``additionalFields`` entry."""
        return cls(**_editable_values(spec), source=copy.deepcopy(dict(spec)))

    def to_spec(self) -> dict[str, Any]:
        """Return the JSON entry: the source with only the changed values rewritten."""
        spec = copy.deepcopy(dict(self.source))
        before = _editable_values(spec)
        for name, value in _editable_values_of(self).items():
            if name == "options" and self.type != "selection":
                continue  # the form only carries a selection's options
            if before[name] != value:
                _write(spec, name, value, self.type)
        return spec


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return ""


def _options_of(raw: Any) -> tuple[Option, ...]:
    if not isinstance(raw, list):
        return ()
    options = []
    for item in raw:
        if isinstance(item, dict):
            options.append((_text(item.get("const")), _text(item.get("title"))))
        else:
            options.append((_text(item), _text(item)))
    return tuple(options)


def _editable_values(spec: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "const": _text(spec.get("const")),
        "title": _text(spec.get("title")),
        "type": _text(spec.get("type")),
        "default": _text(spec.get("defaultValue")),
        "description": _text(spec.get("description")),
        "options": _options_of(spec.get("options")),
    }
    for name, key in _FLAGS.items():
        values[name] = spec.get(key) is True
    return values


def _editable_values_of(row: BuilderField) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _editable_values({})}


def _write_options(spec: dict[str, Any], options: tuple[Option, ...]) -> None:
    if not options:
        spec.pop("options", None)
        return
    # Keep whatever else an unchanged option carried (e.g. a vendor's extra keys).
    old = {str(o.get("const")): o for o in spec.get("options") or [] if isinstance(o, dict)}
    written = []
    for value, title in options:
        option = copy.deepcopy(old.get(value, {}))
        option["const"] = value
        option["title"] = title or value
        written.append(option)
    spec["options"] = written


def _write_default(spec: dict[str, Any], value: str, field_type: str) -> None:
    if value == "":
        spec.pop("defaultValue", None)
    elif field_type == "checkbox":
        spec["defaultValue"] = value.strip().lower() == "true"
    else:
        spec["defaultValue"] = value


def _write(spec: dict[str, Any], name: str, value: Any, field_type: str) -> None:
    if name in _FLAGS:
        if value:
            spec[_FLAGS[name]] = True
        else:
            spec.pop(_FLAGS[name], None)
    elif name == "options":
        _write_options(spec, value)
    elif name == "default":
        _write_default(spec, value, field_type)
    elif name in ("title", "description") and value == "":
        spec.pop(name, None)
    else:
        spec[name] = value


# -- the manifest side ---------------------------------------------------------------------


def page_fields(document: Any, platform: str, page: str) -> list[BuilderField] | None:
    """Return the rows of ``platforms[platform].page[page].additionalFields``.

    None when the builder cannot show them (not an object, or an entry that is not an
    object): the admin edits such a manifest in the JSON view.
    """
    try:
        section = document["platforms"][platform].get("page") or {}
        fields = (section.get(page) or {}).get("additionalFields", [])
    except (KeyError, TypeError, AttributeError):
        return None
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        return None
    return [BuilderField.from_spec(spec) for spec in fields]


def with_page_fields(
    document: Mapping[str, Any], platform: str, page: str, rows: Iterable[BuilderField]
) -> dict[str, Any]:
    """Return a copy of ``document`` whose page ``page`` has ``rows`` as its fields.

    A page the manifest does not have is only created when there are rows to put in it.
    """
    updated = copy.deepcopy(dict(document))
    specs = [row.to_spec() for row in rows]
    target = updated["platforms"][platform]
    pages = target.get("page")
    if not specs and (not isinstance(pages, dict) or page not in pages):
        return updated
    if not isinstance(pages, dict):
        pages = target["page"] = {}
    section = pages.setdefault(page, {})
    section["additionalFields"] = specs
    return updated


# -- the HTML form side --------------------------------------------------------------------


def row_name(index: int, key: str) -> str:
    """Return the form control name of ``key`` in row ``index``."""
    return f"{ROW_PREFIX}{index}-{key}"


def form_data(rows: Iterable[BuilderField]) -> list[tuple[str, str]]:
    """Return the form a browser would submit for ``rows`` untouched (name, value pairs)."""
    pairs: list[tuple[str, str]] = []
    for index, row in enumerate(rows):
        pairs.append((row_name(index, "source"), json.dumps(dict(row.source))))
        for name in ("const", "title", "type", "default", "description"):
            pairs.append((row_name(index, name), getattr(row, name)))
        for name in _FLAGS:
            if getattr(row, name):
                pairs.append((row_name(index, name), "on"))
        for position, (value, title) in enumerate(row.options if row.type == "selection" else ()):
            pairs.append((row_name(index, f"option-{position}-value"), value))
            pairs.append((row_name(index, f"option-{position}-title"), title))
    return pairs


def _pairs(submitted: Mapping[str, Any] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = getattr(submitted, "items", None)
    if callable(items):
        multi = getattr(submitted, "lists", None)
        if callable(multi):  # werkzeug MultiDict: keep each name's last value
            return [(key, values[-1]) for key, values in multi()]
        return [(str(k), str(v)) for k, v in items()]
    return [(str(k), str(v)) for k, v in submitted]


def _source_of(raw: str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def fields_from_form(
    submitted: Mapping[str, Any] | Iterable[tuple[str, str]],
) -> list[BuilderField]:
    """Return the rows a submitted builder form describes, in row order.

    Option rows left entirely empty are dropped (the blank row a form offers for adding
    one); an option with a title but no value is kept so validation can name it.
    """
    rows: dict[int, dict[str, str]] = {}
    taken: set[str] = set()
    for key, value in _pairs(submitted):
        match = _ROW_KEY.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    built = []
    for index in sorted(rows):
        values = rows[index]
        options: dict[int, dict[str, str]] = {}
        taken.update(v.get("const", "").strip() for v in rows.values())
        for key, value in values.items():
            option = _OPTION_KEY.match(key)
            if option:
                options.setdefault(int(option.group(1)), {})[option.group(2)] = value
        option_list = tuple(
            (o.get("value", "").strip(), o.get("title", "").strip())
            for _, o in sorted(options.items())
            if o.get("value", "").strip() or o.get("title", "").strip()
        )
        field_type = values.get("type", "inputField")
        built.append(
            BuilderField(
                const=values.get("const", "").strip()
                or _unique(_const_from(values.get("title", "")), taken),
                title=values.get("title", "").strip(),
                type=field_type,
                default=values.get("default", "").strip(),
                description=values.get("description", ""),
                options=option_list if field_type == "selection" else (),
                source=_source_of(values.get("source")),
                **{name: bool(values.get(name)) for name in _FLAGS},
            )
        )
    return built


def _unique(const: str, taken: set[str]) -> str:
    """Return ``const``, numbered when another field already uses it ("outcome2")."""
    if not const:
        return const
    candidate, number = const, 1
    while candidate in taken:
        number += 1
        candidate = f"{const}{number}"
    taken.add(candidate)
    return candidate


def _const_from(title: str) -> str:
    """Return a ``const`` for a new field from its title: "Call outcome" -> "callOutcome"."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    if not words:
        return ""
    first, *rest = words
    return first.lower() + "".join(word[:1].upper() + word[1:].lower() for word in rest)


# -- structural edits ----------------------------------------------------------------------


def add_field(rows: list[BuilderField]) -> list[BuilderField]:
    """Return ``rows`` with a new empty text field at the end."""
    return [*rows, BuilderField(type="inputField")]


def remove_field(rows: list[BuilderField], index: int) -> list[BuilderField]:
    """Return ``rows`` without row ``index`` (unchanged when out of range)."""
    return [row for position, row in enumerate(rows) if position != index]


def move_field(rows: list[BuilderField], index: int, offset: int) -> list[BuilderField]:
    """Return ``rows`` with row ``index`` moved by ``offset`` places (clamped)."""
    if not 0 <= index < len(rows):
        return list(rows)
    target = max(0, min(len(rows) - 1, index + offset))
    moved = list(rows)
    moved.insert(target, moved.pop(index))
    return moved


def add_option(rows: list[BuilderField], index: int) -> list[BuilderField]:
    """Return ``rows`` where row ``index`` has one more (empty) option to fill in."""
    if not 0 <= index < len(rows):
        return list(rows)
    updated = list(rows)
    row = updated[index]
    updated[index] = replace(row, options=(*row.options, ("", "")))
    return updated


__all__ = [
    "BUILDER_PAGES",
    "FIELD_TYPES",
    "PAGE_TITLES",
    "BuilderField",
    "add_field",
    "add_option",
    "fields_from_form",
    "form_data",
    "move_field",
    "page_fields",
    "remove_field",
    "row_name",
    "with_page_fields",
]
