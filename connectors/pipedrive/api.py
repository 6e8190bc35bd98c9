"""Pipedrive settings, OAuth, error bodies, rate budget and the per-user API client.

Facts (``shared/conformance/pipedrive/SOURCES.md``): one OAuth host
(oauth.pipedrive.com), token and refresh form-encoded with HTTP Basic client auth; the
token response's ``api_domain`` is the company's API base URL (kept as the credentials'
``instance_url``, followed after every refresh); error bodies are ``{success: false,
error, errorCode | code, error_info}``; every response carries ``x-ratelimit-limit``,
``x-ratelimit-remaining`` and ``x-ratelimit-reset`` (seconds), a 429 comes when a burst
window or the company's daily token budget is spent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import requests

from connectors.errors import CrmAuthError, CrmRetryableError
from connectors.http import ApiClient, ErrorInfo, TokenRefresher, json_or_empty
from connectors.oauth_app import AppSettings, app_fields
from connectors.retry import parse_retry_after
from connectors.session import CrmCredentials, CrmSession, OAuthInfo

CRM_NAME = "Pipedrive"
DEFAULT_OAUTH_URL = "https://oauth.pipedrive.com"
ENV_SETTINGS = {
    "CLIENT_ID": "",
    "CLIENT_SECRET": "",
    "OAUTH_URL": DEFAULT_OAUTH_URL,
    "REDIRECT_URI": "",
    "TIMEOUT": "",
    # The activity type (key_string or name) logs use; default: the account's "SMS" type.
    "ACTIVITY_TYPE": "",
    "BODY_MAX": "",
}
# Pipedrive states no length limit for an activity note (SOURCES.md: uncertain); 65,000
# keeps a day's digest whole in practice and is shortened by us, never refused there.
DEFAULT_BODY_MAX = 65_000
# A burst window shorter than this is waited out; a longer wait (the daily budget) is
# handed back as a retryable error so a worker thread is not held for hours.
MAX_INLINE_WAIT = 2.0


@dataclass(frozen=True)
class PipedriveSettings(AppSettings):
    """Typed view of the connector config."""

    oauth_url: str
    activity_type: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PipedriveSettings:
        """Return settings from ``config`` with Pipedrive's defaults."""
        return cls(
            **app_fields(config, DEFAULT_BODY_MAX),
            oauth_url=str(config.get("oauth_url") or DEFAULT_OAUTH_URL).rstrip("/"),
            activity_type=str(config.get("activity_type") or "").strip(),
        )

    def oauth_info(self) -> OAuthInfo:
        """Return the authorization-code endpoints on the OAuth host."""
        host = self.oauth_url
        return self.app_oauth_info(f"{host}/oauth/authorize", f"{host}/oauth/token")

    def refresher(self) -> TokenRefresher:
        """Return the single-flight refresher (Basic client auth, ``api_domain`` kept)."""
        return TokenRefresher(
            self.oauth_info(),
            CRM_NAME,
            self.timeout,
            shape=_with_api_domain,
            token_auth_method="client_secret_basic",  # noqa: S106 - a method name
        )


def _with_api_domain(token: Mapping[str, Any], credentials: CrmCredentials) -> CrmCredentials:
    domain = token.get("api_domain") or credentials.instance_url
    if not domain:
        raise CrmAuthError("Pipedrive's token response has no api_domain; reconnect Pipedrive")
    return replace(credentials, instance_url=str(domain).rstrip("/"))


def read_error(response: requests.Response) -> ErrorInfo:
    """Return what a Pipedrive error body says."""
    body = json_or_empty(response)
    if not isinstance(body, dict):
        return ErrorInfo(f"Pipedrive answered HTTP {response.status_code}")
    message = str(body.get("error") or body.get("message") or "")
    info = body.get("error_info")
    if info and str(info) not in message:
        message = f"{message} ({info})" if message else str(info)
    code = body.get("code") or body.get("errorCode")
    reset = parse_retry_after(response.headers.get("x-ratelimit-reset"))
    wait = reset if response.status_code == 429 else None
    return ErrorInfo(message, (), str(code) if code else None, (body,), wait)


class RateBudget:
    """What Pipedrive's last answer said is left of each company's rate window."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spent_until: dict[str, float] = {}  # api domain -> when it resets (epoch seconds)

    def observe(self, domain: str, response: requests.Response) -> None:
        """Remember an exhausted window from a response's ``x-ratelimit-*`` headers."""
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = parse_retry_after(response.headers.get("x-ratelimit-reset"))
        exhausted = response.status_code == 429 or remaining == "0"
        with self._lock:
            if exhausted and reset:
                self._spent_until[domain] = time.time() + reset
            elif not exhausted:
                self._spent_until.pop(domain, None)

    def wait_for(self, domain: str) -> None:
        """Wait out a short spent window; raise ``CrmRetryableError`` for a long one."""
        with self._lock:
            until = self._spent_until.get(domain, 0.0)
        wait = until - time.time()
        if wait <= 0:
            return
        if wait > MAX_INLINE_WAIT:
            raise CrmRetryableError(
                "Pipedrive's API budget for this company is spent until it resets", wait
            )
        time.sleep(wait)


budget = RateBudget()


def api_domain(credentials: CrmCredentials) -> str:
    """Return the company's API base URL from the credentials."""
    if not credentials.instance_url:
        raise CrmAuthError("Pipedrive credentials have no api_domain; reconnect Pipedrive")
    return credentials.instance_url


def client(session: CrmSession) -> ApiClient:
    """Return the API client of ``session``'s user (base URL: its ``api_domain``)."""
    settings = PipedriveSettings.from_config(session.config)
    return ApiClient(
        session,
        CRM_NAME,
        base_url=api_domain,
        read_error=read_error,
        refresher=settings.refresher(),
        timeout=settings.timeout,
        on_response=lambda response: budget.observe(api_domain(session.credentials), response),
        before_send=lambda: budget.wait_for(api_domain(session.credentials)),
    )
