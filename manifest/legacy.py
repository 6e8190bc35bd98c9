"""Upgrade of older App Connect manifest shapes to the current one.

App Connect manifests from 2024 and earlier differ from today's in a few known ways
(see ``netsuite-*-legacy-2024.json`` and ``servicenow-manifest-legacy-2024.json`` in
the conformance folder). :func:`upgrade_legacy` rewrites exactly these, and nothing
else:

1. A bare platform object (no ``platforms`` key) is wrapped as
   ``{"platforms": {<name>: <platform>}}``.
2. ``author`` given as a plain string becomes ``{"name": <string>}``.
3. Flat OAuth settings on the platform (``authType``, ``authUrl``, ``clientId``,
   ``redirectUri``, ``scope``/``scopes``, ``customState``) move into
   ``auth: {type, oauth: {...}}``; ``scopes: [..]`` becomes the current
   ``scope: "scope=a b"`` query fragment. Values already present under
   ``auth.oauth`` win over flat ones.
4. ``contactTypes`` given as plain strings become ``{"display": s, "value": s}``.
5. ``default`` on an additional field is renamed ``defaultValue``.
6. A platform without ``displayName`` gets its ``name`` as display name.

The function is pure (the input is never modified) and idempotent: a current
manifest comes back equal to what went in.
"""

from __future__ import annotations

import copy
from typing import Any

# Keys of the flat legacy auth shape, mapped to their place under auth.oauth.
_FLAT_OAUTH_KEYS = ("authUrl", "clientId", "redirectUri", "scope", "customState")
_LOG_PAGES = ("callLog", "messageLog", "newContact")


def is_bare_platform(doc: Any) -> bool:
    """Return True when ``doc`` is a single platform object rather than a manifest."""
    if not isinstance(doc, dict) or "platforms" in doc:
        return False
    platform_markers = ("auth", "authType", "page", "contactTypes", "urlIdentifier")
    return isinstance(doc.get("name"), str) and any(key in doc for key in platform_markers)


def _platform_needs_upgrade(platform: dict[str, Any]) -> bool:
    if "authType" in platform or "scopes" in platform:
        return True
    if "displayName" not in platform and isinstance(platform.get("name"), str):
        return True
    if any(key in platform for key in _FLAT_OAUTH_KEYS):
        return True
    contact_types = platform.get("contactTypes")
    if isinstance(contact_types, list) and any(isinstance(t, str) for t in contact_types):
        return True
    return any("default" in field for field in _additional_fields(platform))


def needs_upgrade(doc: Any) -> bool:
    """Return True when :func:`upgrade_legacy` would change ``doc``."""
    if is_bare_platform(doc):
        return True
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("author"), str):
        return True
    platforms = doc.get("platforms")
    if not isinstance(platforms, dict):
        return False
    return any(isinstance(p, dict) and _platform_needs_upgrade(p) for p in platforms.values())


def _additional_fields(platform: dict[str, Any]) -> list[dict[str, Any]]:
    pages = platform.get("page")
    if not isinstance(pages, dict):
        return []
    fields: list[dict[str, Any]] = []
    for page_name in _LOG_PAGES:
        page = pages.get(page_name)
        if isinstance(page, dict) and isinstance(page.get("additionalFields"), list):
            fields.extend(f for f in page["additionalFields"] if isinstance(f, dict))
    return fields


def _scope_from_list(scopes: list[Any]) -> str:
    # Current manifests carry the scope as the query fragment App Connect appends
    # to authUrl, e.g. "scope=restlets+rest_webservices".
    return "scope=" + " ".join(str(scope) for scope in scopes)


def _upgrade_auth(platform: dict[str, Any]) -> None:
    flat: dict[str, Any] = {}
    for key in _FLAT_OAUTH_KEYS:
        if key in platform:
            flat[key] = platform.pop(key)
    scopes = platform.pop("scopes", None)
    if isinstance(scopes, list) and "scope" not in flat:
        flat["scope"] = _scope_from_list(scopes)
    auth_type = platform.pop("authType", None)

    auth = platform.get("auth")
    if not isinstance(auth, dict):
        if not flat and auth_type is None:
            return
        auth = {"type": auth_type or "oauth"}
        platform["auth"] = auth
    if not flat:
        return
    oauth = auth.setdefault("oauth", {})
    if isinstance(oauth, dict):
        for key, value in flat.items():
            oauth.setdefault(key, value)


def _upgrade_platform(platform: dict[str, Any]) -> None:
    if "displayName" not in platform and isinstance(platform.get("name"), str):
        platform["displayName"] = platform["name"]
    _upgrade_auth(platform)
    contact_types = platform.get("contactTypes")
    if isinstance(contact_types, list):
        platform["contactTypes"] = [
            {"display": t, "value": t} if isinstance(t, str) else t for t in contact_types
        ]
    for field in _additional_fields(platform):
        if "default" in field:
            value = field.pop("default")
            field.setdefault("defaultValue", value)


def upgrade_legacy(doc: Any) -> Any:
    """Return a current-shape copy of ``doc``; see the module docstring for the rules.

    Anything that is not a manifest-like object is returned as an unchanged copy, so
    the validator can then report what is wrong with it.
    """
    upgraded = copy.deepcopy(doc)
    if is_bare_platform(upgraded):
        upgraded = {"platforms": {upgraded["name"]: upgraded}}
    if not isinstance(upgraded, dict):
        return upgraded
    if isinstance(upgraded.get("author"), str):
        upgraded["author"] = {"name": upgraded["author"]}
    platforms = upgraded.get("platforms")
    if isinstance(platforms, dict):
        for platform in platforms.values():
            if isinstance(platform, dict):
                _upgrade_platform(platform)
    return upgraded
