"""``FakeSalesforce``: a real local HTTP server speaking Salesforce's REST and OAuth payloads.

It serves the login host (OAuth) on ``.url`` (http://127.0.0.1:PORT) and the org's instance
on ``.instance_url`` (http://localhost:PORT, same server) so tests can tell whether a client
really uses the ``instance_url`` of the token response.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from fakes.served import Call, Fault, ServedFake

from . import payloads
from .data_api import DataApi
from .http import json_response
from .oauth import OAuthServer
from .seed import seed_default
from .seeding import SeedingMixin
from .store import DEFAULT_TASK_STATUSES, Store


@dataclass
class RequestRecord:
    """A received request with the details ``Call`` leaves out."""

    method: str
    path: str
    query: dict[str, str]
    host: str
    status: int = 0


def path_matches(path: str, prefix: str | None) -> bool:
    """Match ``prefix`` against ``path``; a prefix without "/" is relative to /services/data/vX/."""
    if prefix is None:
        return True
    if prefix.startswith("/"):
        return path.startswith(prefix)
    return re.match(r"^/services/data/v[\d.]+/" + re.escape(prefix), path) is not None


def _default_fault_body(status: int) -> tuple[Any, str | None]:
    """Return a realistic body (and content type for non-JSON) for an injected status."""
    named = {
        401: "error-invalid-session-401.json",
        403: "error-request-limit-exceeded-403.json",
        404: "error-not-found-404.json",
        400: "error-required-field-missing-400.json",
    }
    if status in named:
        return payloads.load(named[status]), None
    if status == 429:
        return [{"message": "Too Many Requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}], None
    if status == 500:
        message = (
            "An unexpected error occurred. Please include this ErrorId if you contact support: "
            "1427543839-41367 (-1416434734)"
        )
        return [{"message": message, "errorCode": "UNKNOWN_EXCEPTION"}], None
    # Gateways answer 502/503/504 with an HTML page, not JSON.
    return f"<html><body><h1>{status} Service Unavailable</h1></body></html>", "text/html"


class FakeSalesforce(SeedingMixin, ServedFake):
    """A Salesforce org + login server on 127.0.0.1 (see the module docstring).

    Use as a context manager or with ``start()``/``stop()``. Seed with ``add_contact`` and
    friends (``seed=True`` loads the default org: GenePoint, Edna Frank, ...; ``ids`` maps their
    names to ids). Inject faults with ``fail_next``; count calls with ``call_count``.
    """

    name = "fake-salesforce"

    def __init__(
        self,
        *,
        client_id: str = "sidetalk-test-client",
        client_secret: str = "sidetalk-test-secret",  # noqa: S107 - test-only client
        redirect_uris: list[str] | None = None,
        seed: bool = True,
        latency: float = 0.0,
        api_limit: int = 15000,
        require_pkce: bool = False,
        require_secret: bool = True,
        rotate_refresh_tokens: bool = False,
        instance_host: str = "localhost",
        call_center: bool = True,
        person_accounts: bool = False,
        task_statuses: tuple[tuple[str, bool], ...] = DEFAULT_TASK_STATUSES,
        search_whole_digits: bool = True,
    ) -> None:
        self.client_id = client_id
        # Whether an unpunctuated search term also finds the same digits stored with
        # punctuation: reported by integrators, not documented (SOURCES.md fact 4). False
        # leaves the documented token matching alone, the strictest org to expect.
        self.search_whole_digits = search_whole_digits
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris
        ServedFake.__init__(self, latency)
        self.api_limit = api_limit
        self.api_usage = 0
        self.require_pkce = require_pkce
        self.require_secret = require_secret
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.instance_host = instance_host
        self.org_id = "00Dx0000000BV7zEAG"
        self.user_id = "005x00000012Q9PAAU"
        self.user_name = "Alan Van"
        self.user_email = "admin@mycompany.com"
        # The org's shape: Call Center fields on Task, Person Accounts, Task statuses.
        self.store = Store(
            owner_id=self.user_id,
            call_center=call_center,
            person_accounts=person_accounts,
            task_statuses=task_statuses,
        )
        self.ids: dict[str, str] = seed_default(self.store) if seed else {}
        self.oauth = OAuthServer(self)
        self.data = DataApi(self)
        self.requests: list[RequestRecord] = []
        self._routes = Map(
            [
                Rule("/services/oauth2/authorize", endpoint="authorize", methods=["GET"]),
                Rule("/services/oauth2/token", endpoint="token", methods=["POST"]),
                Rule("/services/oauth2/revoke", endpoint="revoke", methods=["GET", "POST"]),
                Rule("/id/<org_id>/<user_id>", endpoint="identity", methods=["GET"]),
                Rule("/services/data/", endpoint="versions", methods=["GET"]),
                Rule("/services/data/v<version>/", endpoint="resources", methods=["GET"]),
                Rule("/services/data/v<version>/search/", endpoint="search", methods=["GET"]),
                Rule("/services/data/v<version>/query/", endpoint="query", methods=["GET"]),
                Rule(
                    "/services/data/v<version>/query/<cursor>",
                    endpoint="query_more",
                    methods=["GET"],
                ),
                Rule("/services/data/v<version>/limits/", endpoint="limits", methods=["GET"]),
                Rule(
                    "/services/data/v<version>/sobjects/<sobject>/",
                    endpoint="create",
                    methods=["POST"],
                ),
                Rule(
                    "/services/data/v<version>/sobjects/<sobject>/describe",
                    endpoint="describe",
                    methods=["GET"],
                ),
                Rule(
                    "/services/data/v<version>/sobjects/<sobject>/<record_id>",
                    endpoint="record",
                    methods=["GET", "PATCH", "DELETE", "POST"],
                ),
            ],
            strict_slashes=False,
        )

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def instance_url(self) -> str:
        """Return the org's instance URL, as token responses report it."""
        return f"http://{self.instance_host}:{self.port}"

    def data_path(self, path: str = "", version: str = "66.0") -> str:
        """Return the absolute path of a data resource, e.g. ``/services/data/v66.0/search/``."""
        return f"/services/data/v{version}/{path.lstrip('/')}"

    # -- tokens -------------------------------------------------------------------------------

    def issue_tokens(self, scope: str = "api id refresh_token") -> dict[str, Any]:
        """Return a token response (with refresh token) without the browser step."""
        return self.oauth.issue(scope)

    def expire_access_tokens(self, token: str | None = None) -> None:
        """Expire one or every access token: data calls then get 401 INVALID_SESSION_ID."""
        self.oauth.expire_access_tokens(token)

    def revoke_refresh_tokens(self, token: str | None = None) -> None:
        """Revoke refresh tokens: refresh then fails with 400 invalid_grant."""
        self.oauth.revoke_refresh_tokens(token)

    # -- fault injection and accounting -----------------------------------------------------

    def clear_faults(self) -> None:
        """Drop every pending injected fault."""
        with self.lock:
            self._faults.clear()

    def reset_calls(self) -> None:
        """Forget recorded calls."""
        with self.lock:
            super().reset_calls()
            self.requests.clear()

    def path_matches(self, path: str, prefix: str | None) -> bool:
        """Match a ``fail_next`` or ``call_count`` prefix against ``path``: an absolute one
        ("/services/oauth2/token") or one relative to the data API ("sobjects/Task", as in
        "PATCH sobjects/Task"). An injected fault's body defaults to Salesforce's for that
        status (JSON array, or an HTML page for 502/503/504); a str body is sent raw."""
        return path_matches(path, prefix)

    def queries(self, kind: str = "search") -> list[str]:
        """Return the decoded ``q`` of every ``search`` (SOSL) or ``query`` (SOQL) call."""
        with self.lock:
            return [c.query.get("q", "") for c in self.calls if path_matches(c.path, f"{kind}/")]

    # -- WSGI -----------------------------------------------------------------------------------

    def fault_response(self, fault: Fault) -> Response:
        body, content_type = (
            (fault.body, None) if fault.body is not None else _default_fault_body(fault.status)
        )
        if isinstance(body, str | bytes):
            return Response(
                body, fault.status, headers=fault.headers, content_type=content_type or "text/plain"
            )
        return json_response(body, fault.status, fault.headers)

    def _dispatch(self, request: Request) -> Response:
        adapter = self._routes.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed as exc:
            allowed = ",".join(sorted(exc.valid_methods or []))
            message = f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}"
            return json_response([{"errorCode": "METHOD_NOT_ALLOWED", "message": message}], 405)
        except NotFound:
            return json_response(payloads.load("error-not-found-404.json"), 404)
        except HTTPException as exc:  # pragma: no cover - other routing outcomes
            return json_response([{"errorCode": "UNKNOWN", "message": str(exc)}], exc.code or 500)
        handler: Callable[..., Response] | None = {
            "authorize": self.oauth.authorize,
            "token": self.oauth.token,
            "revoke": self.oauth.revoke,
            "identity": self.oauth.identity,
            "versions": self.data.versions,
        }.get(endpoint)
        if handler is not None:
            return handler(request, **args)
        return self.data.handle(endpoint, request, **args)

    def record(self, request: Request) -> RequestRecord:
        record = RequestRecord(request.method, request.path, request.args.to_dict(), request.host)
        with self.lock:
            self.calls.append(Call(record.method, record.path, record.query))
            self.requests.append(record)
        return record

    def answered(self, recorded: RequestRecord, response: Response) -> None:
        recorded.status = response.status_code

    def crash_response(self, exc: Exception) -> Response:
        message = f"An unexpected error occurred in the fake: {exc!r}"
        return json_response([{"message": message, "errorCode": "UNKNOWN_EXCEPTION"}], 500)
