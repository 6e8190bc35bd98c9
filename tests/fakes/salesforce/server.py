"""``FakeSalesforce``: a real local HTTP server speaking Salesforce's REST and OAuth payloads.

It serves the login host (OAuth) on ``.url`` (http://127.0.0.1:PORT) and the org's instance
on ``.instance_url`` (http://localhost:PORT, same server) so tests can tell whether a client
really uses the ``instance_url`` of the token response.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import payloads
from .data_api import DataApi
from .http import json_response
from .oauth import OAuthServer
from .seed import seed_default
from .seeding import SeedingMixin
from .store import Store

METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"}


class Call(NamedTuple):
    """One request the fake received: method, path and decoded query parameters."""

    method: str
    path: str
    query: dict[str, str]


@dataclass
class RequestRecord:
    """A received request with the details ``Call`` leaves out."""

    method: str
    path: str
    query: dict[str, str]
    host: str
    status: int = 0


@dataclass
class _Fault:
    method: str | None
    prefix: str | None
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None  # keep test output clean; `requests`/`calls` record everything


def _split_match(match: str | None) -> tuple[str | None, str | None]:
    if not match:
        return None, None
    head, _, rest = match.strip().partition(" ")
    if head.upper() in METHODS:
        return head.upper(), rest.strip() or None
    return None, match.strip()


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


class FakeSalesforce(SeedingMixin):
    """A Salesforce org + login server on 127.0.0.1 (see the module docstring).

    Use as a context manager or with ``start()``/``stop()``. Seed with ``add_contact`` and
    friends (``seed=True`` loads the default org: GenePoint, Edna Frank, ...; ``ids`` maps their
    names to ids). Inject faults with ``fail_next``; count calls with ``call_count``.
    """

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
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris
        self.latency = latency
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
        self.lock = threading.RLock()
        self.store = Store(owner_id=self.user_id)
        self.ids: dict[str, str] = seed_default(self.store) if seed else {}
        self.oauth = OAuthServer(self)
        self.data = DataApi(self)
        self.calls: list[Call] = []
        self.requests: list[RequestRecord] = []
        self.errors: list[BaseException] = []
        self._faults: list[_Fault] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
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
                Rule("/services/data/v<version>/limits/", endpoint="limits", methods=["GET"]),
                Rule(
                    "/services/data/v<version>/sobjects/<sobject>/",
                    endpoint="create",
                    methods=["POST"],
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
    def url(self) -> str:
        """Return the login host URL (use as ``login_url``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def instance_url(self) -> str:
        """Return the org's instance URL, as token responses report it."""
        return f"http://{self.instance_host}:{self.port}"

    def start(self) -> FakeSalesforce:
        """Start serving in a daemon thread; return self."""
        if self._server is not None:
            return self
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # quick shutdown()
            name="fake-salesforce",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSalesforce:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

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

    def fail_next(
        self,
        match: str | None,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead of handling them.

        ``match`` is a method ("POST"), a path prefix ("/services/oauth2/token"), a
        data-relative prefix ("sobjects/Task"), or both ("PATCH sobjects/Task"); None matches
        everything. ``body`` defaults to Salesforce's body for that status (JSON array, or an
        HTML page for 502/503/504); pass a str for a raw body.
        """
        method, prefix = _split_match(match)
        with self.lock:
            self._faults.append(_Fault(method, prefix, status, body, dict(headers or {}), times))

    def clear_faults(self) -> None:
        """Drop every pending injected fault."""
        with self.lock:
            self._faults.clear()

    def reset_calls(self) -> None:
        """Forget recorded calls."""
        with self.lock:
            self.calls.clear()
            self.requests.clear()

    def call_count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Return how many requests matched ``method`` and ``path_prefix`` (see fail_next)."""
        with self.lock:
            return sum(
                1
                for call in self.calls
                if (method is None or call.method == method.upper())
                and path_matches(call.path, path_prefix)
            )

    def queries(self, kind: str = "search") -> list[str]:
        """Return the decoded ``q`` of every ``search`` (SOSL) or ``query`` (SOQL) call."""
        with self.lock:
            return [c.query.get("q", "") for c in self.calls if path_matches(c.path, f"{kind}/")]

    # -- WSGI -----------------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if (fault.method in (None, method)) and path_matches(path, fault.prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _fault_response(self, fault: _Fault) -> Response:
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

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        record = RequestRecord(request.method, request.path, request.args.to_dict(), request.host)
        with self.lock:
            self.calls.append(Call(record.method, record.path, record.query))
            self.requests.append(record)
        if self.latency > 0:
            time.sleep(self.latency)
        fault = self._take_fault(request.method, request.path)
        try:
            response = self._fault_response(fault) if fault else self._dispatch(request)
        except Exception as exc:  # surfaced to tests through .errors
            self.errors.append(exc)
            message = f"An unexpected error occurred in the fake: {exc!r}"
            response = json_response([{"message": message, "errorCode": "UNKNOWN_EXCEPTION"}], 500)
        record.status = response.status_code
        return response(environ, start_response)
