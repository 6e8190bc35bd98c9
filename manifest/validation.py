"""Validation of a manifest: the JSON Schema plus the rules a schema cannot express.

:func:`validate_manifest` returns every problem at once (never stops at the first),
sorted by JSON pointer, so an author can fix a manifest in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from manifest.errors import ManifestError, sort_errors, to_pointer
from manifest.schema import describe_value, schema_errors

# Placeholders App Connect substitutes in the contact/log page links (single braces
# in every real manifest; "{{name}}" is read the same way).
URL_TEMPLATE_PLACEHOLDERS = frozenset({"hostname", "contactId", "contactType", "logId"})
URL_TEMPLATE_KEYS = ("contactPageUrl", "logPageUrl")
LOG_PAGES = ("callLog", "messageLog", "newContact")

_PLACEHOLDER = re.compile(r"\{+\s*([^{}]*?)\s*\}+")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Path = list[str | int]


def is_iso_date(value: str) -> bool:
    """Return True when ``value`` is a real calendar date written ``YYYY-MM-DD``."""
    if not _ISO_DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _error(path: Path, message: str) -> ManifestError:
    return ManifestError(to_pointer(path), message)


def _dicts(items: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _duplicate_consts(fields: Any, path: Path, key: str = "const") -> Iterator[ManifestError]:
    first_seen: dict[str, int] = {}
    for index, field in _dicts(fields):
        value = field.get(key)
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            continue
        name = str(value)
        if name in first_seen:
            yield _error(
                [*path, index, key],
                f"duplicate {key} {describe_value(value)}: already used by "
                f"{path[-1]}[{first_seen[name]}]",
            )
        else:
            first_seen[name] = index


def _settings_by_id(settings: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for _, setting in _dicts(settings):
        if isinstance(setting.get("id"), str):
            found[setting["id"]] = setting
        found.update(_settings_by_id(setting.get("items")))
    return found


def _has_runtime_options(field: dict[str, Any], settings: dict[str, dict[str, Any]]) -> bool:
    # App Connect fills a selection without static options from elsewhere: the
    # matched contact (contactDependent), the contact type (contactTypeDependent),
    # account data fetched at login (accountDataKey), or a settings entry whose
    # options are loaded at runtime (dynamicOptions, as Redtail's category does).
    if field.get("contactDependent") is True or field.get("contactTypeDependent") is True:
        return True
    if isinstance(field.get("accountDataKey"), str):
        return True
    defaults = field.get("defaultSettingValues")
    if isinstance(defaults, dict):
        for reference in defaults.values():
            setting_id = reference.get("settingId") if isinstance(reference, dict) else None
            setting = settings.get(setting_id) if isinstance(setting_id, str) else None
            if setting is not None and setting.get("dynamicOptions") is True:
                return True
    return False


def _selection_errors(
    field: dict[str, Any], path: Path, settings: dict[str, dict[str, Any]]
) -> Iterator[ManifestError]:
    options = field.get("options")
    if options is not None and not isinstance(options, list):
        return  # the schema already reports the wrong type
    static_options = [option for _, option in _dicts(options)]
    if not static_options and not _has_runtime_options(field, settings):
        yield _error(
            [*path, "options"],
            "options must be a non-empty list for a static selection "
            "(or set contactDependent: true to take them from the matched contact)",
        )
        return
    yield from _duplicate_consts(options, [*path, "options"])
    default = field.get("defaultValue")
    if default is None or not static_options or field.get("allowCustomValue") is True:
        return
    offered = list(dict.fromkeys(str(option.get("const")) for option in static_options))
    if field.get("includeNoneOption") is True:
        offered.insert(0, "")
    if str(default) not in offered:
        yield _error(
            [*path, "defaultValue"],
            f"defaultValue {describe_value(default)} is not one of the options "
            f"({', '.join(o for o in offered if o)}); pick one or set allowCustomValue: true",
        )


def _is_date_or_empty(value: Any) -> bool:
    return isinstance(value, str) and (value == "" or is_iso_date(value))


def _additional_field_errors(
    field: dict[str, Any], path: Path, settings: dict[str, dict[str, Any]]
) -> Iterator[ManifestError]:
    field_type = field.get("type")
    default = field.get("defaultValue")
    if field_type == "selection":
        yield from _selection_errors(field, path, settings)
    elif field_type == "checkbox" and default is not None and not isinstance(default, bool):
        yield _error(
            [*path, "defaultValue"],
            f"defaultValue must be true or false for a checkbox; got {describe_value(default)}",
        )
    elif field_type == "date" and default is not None and not _is_date_or_empty(default):
        yield _error(
            [*path, "defaultValue"],
            f"defaultValue must be a date written YYYY-MM-DD; got {describe_value(default)}",
        )


def _url_template_errors(platform: dict[str, Any], path: Path) -> Iterator[ManifestError]:
    known = ", ".join("{" + name + "}" for name in sorted(URL_TEMPLATE_PLACEHOLDERS))
    for key in URL_TEMPLATE_KEYS:
        template = platform.get(key)
        if not isinstance(template, str):
            continue
        unknown = sorted(
            {name for name in _PLACEHOLDER.findall(template)} - URL_TEMPLATE_PLACEHOLDERS
        )
        for name in unknown:
            yield _error(
                [*path, key],
                f"{key} uses unknown placeholder {{{name}}}; known placeholders are {known}",
            )


def _auth_errors(auth: Any, path: Path) -> Iterator[ManifestError]:
    if not isinstance(auth, dict):
        return
    oauth = auth.get("oauth")
    if auth.get("type") == "oauth" and isinstance(oauth, dict):
        for key in ("authUrl", "clientId"):
            if oauth.get(key) == "":
                yield _error([*path, "oauth", key], f"{key} must not be empty for OAuth")
    api_key = auth.get("apiKey")
    page = api_key.get("page") if isinstance(api_key, dict) else None
    if isinstance(page, dict):
        yield from _duplicate_consts(page.get("content"), [*path, "apiKey", "page", "content"])


def _platform_errors(key: str, platform: dict[str, Any]) -> Iterator[ManifestError]:
    path: Path = ["platforms", key]
    name = platform.get("name")
    if isinstance(name, str) and name and name != key:
        yield _error(
            [*path, "name"], f"name must match its key in platforms ({key!r}); got {name!r}"
        )
    yield from _url_template_errors(platform, path)
    yield from _auth_errors(platform.get("auth"), [*path, "auth"])
    yield from _duplicate_consts(platform.get("contactTypes"), [*path, "contactTypes"], "value")
    server_side = platform.get("serverSideLogging")
    if isinstance(server_side, dict):
        fields = server_side.get("additionalFields")
        yield from _duplicate_consts(fields, [*path, "serverSideLogging", "additionalFields"])

    settings = _settings_by_id(platform.get("settings"))
    settings.update(_settings_by_id(platform.get("adminSettings")))
    pages = platform.get("page")
    if not isinstance(pages, dict):
        return
    for page_name in LOG_PAGES:
        page = pages.get(page_name)
        if not isinstance(page, dict):
            continue
        fields_path: Path = [*path, "page", page_name, "additionalFields"]
        fields = page.get("additionalFields")
        yield from _duplicate_consts(fields, fields_path)
        for index, field in _dicts(fields):
            yield from _additional_field_errors(field, [*fields_path, index], settings)


def semantic_errors(doc: Any) -> list[ManifestError]:
    """Return the problems the schema cannot see (duplicates, option sources, URLs)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("platforms"), dict):
        return []
    errors: list[ManifestError] = []
    for key, platform in doc["platforms"].items():
        if isinstance(platform, dict):
            errors.extend(_platform_errors(key, platform))
    return errors


def validate_manifest(doc: Any) -> list[ManifestError]:
    """Return every problem in ``doc`` (an already-upgraded manifest), sorted by pointer.

    An empty list means the manifest is valid. Legacy shapes should go through
    :func:`manifest.legacy.upgrade_legacy` (or :func:`manifest.load_manifest`) first.
    """
    return sort_errors([*schema_errors(doc), *semantic_errors(doc)])
