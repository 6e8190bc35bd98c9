"""Signing a user in to a CRM, as a manifest describes it: the inputs of an API-key
sign-in page and the credentials they make, the choices made before an OAuth sign-in,
and the authorization URL the OAuth popup opens. ``Connector`` calls these with its
own manifest and options; a connector overrides its methods, not these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.errors import CrmValidationError
from connectors.session import CrmCredentials, OAuthInfo

# Longest value accepted in an API-key sign-in form; real keys and URLs are far shorter.
API_KEY_VALUE_MAX = 2000
# The content entry whose value becomes ``CrmCredentials.api_key`` (App Connect's name).
API_KEY_FIELD = "apiKey"
# uiSchema fields of a sign-in page that are decoration, not inputs.
_NOT_INPUTS = frozenset({"button", "typography"})


@dataclass(frozen=True)
class ApiKeyField:
    """One value an API-key sign-in asks for, from ``auth.apiKey.page.content[]``."""

    const: str
    title: str
    required: bool = False
    secret: bool = False  # shown as a password field and never echoed back


@dataclass(frozen=True)
class ConnectOption:
    """A choice the user makes before an OAuth sign-in starts (e.g. Clio's region).

    The chosen values reach ``get_oauth_info`` and ``exchange_code`` in ``config`` and
    are kept as the connection's settings, so every later session has them too.
    """

    const: str
    title: str
    choices: tuple[tuple[str, str], ...]  # (value, label)
    default: str


def api_key_fields(page: Mapping[str, Any]) -> list[ApiKeyField]:
    """The inputs of an API-key sign-in ``page`` (``auth.apiKey.page``), buttons and text
    left out, in page order."""
    fields = []
    for item in page.get("content") or []:
        if not isinstance(item, dict) or not item.get("const"):
            continue
        ui = item.get("uiSchema") or {}
        if ui.get("ui:field") in _NOT_INPUTS:
            continue
        const = str(item["const"])
        fields.append(
            ApiKeyField(
                const=const,
                title=str(item.get("title") or const),
                required=bool(item.get("required")),
                secret=ui.get("ui:widget") == "password" or const == API_KEY_FIELD,
            )
        )
    return fields


def credentials_from_api_key(
    fields: Iterable[ApiKeyField], submitted: Mapping[str, Any]
) -> CrmCredentials:
    """The credentials of a submitted API-key sign-in form of ``fields``.

    ``apiKey`` becomes ``api_key`` and every other field lands in ``extra``. Raises
    ``CrmValidationError`` naming every missing, empty or overlong field (and stores
    nothing: the caller has nothing to store).
    """
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for spec in fields:
        value = str(submitted.get(spec.const) or "").strip()
        if len(value) > API_KEY_VALUE_MAX:
            problems[spec.const] = f"{spec.title} is longer than {API_KEY_VALUE_MAX} characters"
        elif not value and spec.required:
            problems[spec.const] = f"{spec.title} is required"
        elif value:
            values[spec.const] = value
    if problems:
        raise CrmValidationError("; ".join(problems.values()) + ".", list(problems))
    api_key = values.pop(API_KEY_FIELD, None)
    return CrmCredentials(access_token="", api_key=api_key, extra=values)


def connect_choices(
    options: Iterable[ConnectOption], submitted: Mapping[str, Any]
) -> dict[str, str]:
    """The submitted connect choices, defaults filled in; ``CrmValidationError`` naming
    each value that is not one of its option's choices (nothing is stored)."""
    chosen: dict[str, str] = {}
    problems: dict[str, str] = {}
    for option in options:
        value = str(submitted.get(option.const) or option.default)
        if value not in {choice for choice, _ in option.choices}:
            problems[option.const] = f"{option.title} “{value[:40]}” is not one of the choices"
        else:
            chosen[option.const] = value
    if problems:
        raise CrmValidationError("; ".join(problems.values()) + ".", list(problems))
    return chosen


def authorization_url(
    info: OAuthInfo, redirect_uri: str, state: str, code_verifier: str | None = None
) -> str:
    """The URL to open in the OAuth popup (with an S256 challenge when PKCE is on)."""
    from authlib.integrations.requests_client import OAuth2Session

    use_pkce = info.use_pkce and code_verifier is not None
    with OAuth2Session(
        client_id=info.client_id,
        scope=info.scope or None,
        redirect_uri=redirect_uri,
        code_challenge_method="S256" if use_pkce else None,
    ) as oauth:
        url, _ = oauth.create_authorization_url(
            info.authorize_url, state=state, code_verifier=code_verifier if use_pkce else None
        )
    return str(url)
