"""``FakeRingCentral``: a real local HTTP server speaking RingCentral's REST and OAuth payloads.

One account with one signed-in user (extension 101) by default; seed more records with
``inbound_sms`` and friends. Requests need a bearer token from ``/restapi/oauth/token``;
every answer carries ``X-Rate-Limit-*`` headers for its throttling group, and a spent group
answers 429 with ``Retry-After`` (calling again during the penalty restarts it). Webhook
subscriptions validate their address first and receive notifications over real HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from fakes.serving import ThreadedServer

from .api import RestApi
from .http import api_error
from .mailbox import Mailbox
from .oauth import OAuthServer
from .subscriptions import Subscriptions
from .templates import TemplateApi
from .threads import ThreadApi

# RingCentral's documented budgets per user and throttling group, requests per 60 s.
DEFAULT_LIMITS = {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}
API = "/restapi/v1.0"
OWNER = f"{API}/account/<account>/extension/<extension>"
THREADS = f"{API}/account/<account>/message-threads"


@dataclass
class _Fault:
    method: str | None
    prefix: str
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int
    delay: float = 0.0
    # True: the request is handled as usual and only its answer is late (a timeout that
    # hides an accepted send); False: the fault's own answer replaces the handling.
    handled: bool = False
    skip: int = 0  # matching requests answered as usual before the fault applies


@dataclass
class _Budget:
    window_start: float
    used: int = 0
    penalty_until: float = 0.0


def _rule(path: str, endpoint: str, methods: list[str], group: str) -> Rule:
    return Rule(path, endpoint=(endpoint, group), methods=methods)


class FakeRingCentral:
    """A RingCentral account on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        *,
        client_id: str = "sidetalk-rc-client",
        client_secret: str | None = "sidetalk-rc-secret",  # noqa: S107 - test-only client
        redirect_uris: list[str] | None = None,
        limits: dict[str, int] | None = None,
        penalty_seconds: int = 60,
        access_token_ttl: int = 3600,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self.penalty_seconds = penalty_seconds
        self.access_token_ttl = access_token_ttl
        self.account_id = "809646016"
        self.extension_id = "62989330016"
        self.extension_number = "101"
        self.user_name = ("Dan", "Vogel")
        self.email = "dan.vogel@acme.example"
        self.company = "Acme Dental"
        self.timezone = "America/Los_Angeles"
        self.is_admin = True
        self.main_number = "+16505550100"
        self.numbers = [
            {
                "phoneNumber": "+16505550101",
                "usageType": "DirectNumber",
                "features": ["SmsSender", "MmsSender", "CallerId", "FaxSender"],
            },
            {
                "phoneNumber": self.main_number,
                "usageType": "MainCompanyNumber",
                "features": ["CallerId"],
            },
        ]
        self.directory = [
            {
                "firstName": "Dan",
                "lastName": "Vogel",
                "extensionNumber": "101",
                "phoneNumbers": ["+16505550101"],
            },
            {
                "firstName": "Priya",
                "lastName": "Nair",
                "extensionNumber": "102",
                "phoneNumbers": ["+16505550102"],
            },
        ]
        self.address_book = [
            {
                "firstName": "Maria",
                "lastName": "Lopez",
                "company": "Lopez Family",
                "mobilePhone": "+14155550123",
            },
        ]
        self.lock = threading.RLock()
        self.mailbox = Mailbox(lambda: self.url, self.account_id, self.extension_id)
        self.oauth = OAuthServer(self)
        self.api = RestApi(self)
        self.subscriptions = Subscriptions(self)
        self.templates = TemplateApi(self)
        self.threads = ThreadApi(self)
        self.calls: list[tuple[str, str]] = []
        self._budgets: dict[tuple[str, str], _Budget] = {}
        self._faults: list[_Fault] = []
        self._serving = ThreadedServer(self._wsgi, "fake-ringcentral")
        self.port = 0
        self._routes = Map(
            [
                _rule("/restapi/oauth/authorize", "authorize", ["GET"], "Auth"),
                _rule("/restapi/oauth/token", "token", ["POST"], "Auth"),
                _rule("/restapi/oauth/revoke", "revoke", ["POST"], "Auth"),
                _rule(f"{API}/account/<account>", "account", ["GET"], "Light"),
                _rule(OWNER, "extension", ["GET"], "Light"),
                _rule(f"{OWNER}/phone-number", "phone_numbers", ["GET"], "Light"),
                _rule(f"{API}/account/<account>/directory/entries", "directory", ["GET"], "Medium"),
                _rule(f"{OWNER}/address-book/contact", "address_book", ["GET"], "Heavy"),
                _rule(f"{OWNER}/message-sync", "message_sync", ["GET"], "Light"),
                _rule(f"{OWNER}/message-store", "message_list", ["GET"], "Light"),
                _rule(f"{OWNER}/message-store/<ids>", "message", ["GET"], "Light"),
                _rule(f"{OWNER}/message-store/<ids>", "message_update", ["PUT", "PATCH"], "Medium"),
                _rule(f"{OWNER}/message-store/<ids>", "message_delete", ["DELETE"], "Medium"),
                _rule(f"{OWNER}/message-store/<mid>/content/<aid>", "content", ["GET"], "Heavy"),
                _rule(f"{OWNER}/sms", "sms", ["POST"], "Medium"),
                _rule(f"{OWNER}/mms", "mms", ["POST"], "Medium"),
                _rule(f"{OWNER}/company-pager", "pager", ["POST"], "Medium"),
                _rule(f"{OWNER}/fax", "fax", ["POST"], "Heavy"),
                _rule(f"{OWNER}/message-store-templates", "templates", ["GET", "POST"], "Medium"),
                _rule(
                    f"{OWNER}/message-store-templates/<tid>",
                    "template",
                    ["GET", "PUT", "DELETE"],
                    "Medium",
                ),
                _rule(
                    f"{API}/account/<account>/message-store-templates",
                    "company_templates",
                    ["GET", "POST"],
                    "Medium",
                ),
                _rule(
                    f"{API}/account/<account>/message-store-templates/<tid>",
                    "company_template",
                    ["GET", "PUT", "DELETE"],
                    "Medium",
                ),
                _rule(f"{OWNER}/features", "features", ["GET"], "Light"),
                _rule(f"{THREADS}/notes", "thread_notes", ["GET", "POST"], "Medium"),
                _rule(f"{THREADS}", "threads_list", ["GET"], "Light"),
                _rule(f"{THREADS}/sync", "threads_sync", ["GET"], "Light"),
                _rule(f"{THREADS}/<tid>", "thread_get", ["GET"], "Light"),
                _rule(f"{THREADS}/<tid>/assign", "thread_assign", ["POST"], "Medium"),
                _rule(f"{THREADS}/<tid>/resolve", "thread_resolve", ["POST"], "Medium"),
                _rule(f"{API}/subscription", "subscription_create", ["POST"], "Medium"),
                _rule(
                    f"{API}/subscription/<sid>", "subscription", ["GET", "PUT", "DELETE"], "Light"
                ),
                _rule(f"{API}/subscription/<sid>/renew", "subscription_renew", ["POST"], "Medium"),
            ],
            strict_slashes=False,
        )

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeRingCentral:
        self.port = self._serving.start()
        return self

    def stop(self) -> None:
        self._serving.stop()

    def __enter__(self) -> FakeRingCentral:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- seeding and driving ----------------------------------------------------------------------

    def inbound_sms(self, sender: str, text: str, *, notify: bool = True, **kwargs) -> dict:
        """A customer texts the extension's direct number; webhooks hear of it."""
        with self.lock:
            record = self.mailbox.add(
                type="SMS",
                direction="Inbound",
                sender={"phoneNumber": sender},
                recipients=[{"phoneNumber": self.numbers[0]["phoneNumber"], "target": True}],
                text=text,
                **kwargs,
            )
        if notify:
            self.subscriptions.notify_instant(record)
            self.subscriptions.notify_store(record, new=True)
        return record

    def change_message(self, message_id: int, *, notify: bool = True, **fields: Any) -> dict:
        """Change a message as another device would (read elsewhere, deleted elsewhere...)."""
        with self.lock:
            record = self.mailbox.change(int(message_id), **fields)
        if notify:
            self.subscriptions.notify_store(record, new=False)
        return record

    def invalidate_sync_tokens(self) -> None:
        """Every issued syncToken becomes too old: ISync answers CMN-101 from now on."""
        with self.lock:
            self.mailbox.token_generation += 1

    def fail_next(
        self,
        match: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        delay: float = 0.0,
        after: int = 0,
    ) -> None:
        """Answer the next ``times`` requests whose "METHOD /path" starts like ``match``
        (``after``: let that many matching requests through first)."""
        method, _, prefix = match.partition(" ") if " " in match else (None, "", match)
        with self.lock:
            self._faults.append(
                _Fault(method, prefix, status, body, dict(headers or {}), times, delay, skip=after)
            )

    def answer_late(self, match: str, delay: float, times: int = 1) -> None:
        """Handle the next ``times`` matching requests as usual, then answer ``delay`` s late.

        A client with a shorter timeout gives up while RingCentral has done the work: the
        send went out, the sender never heard of it.
        """
        method, _, prefix = match.partition(" ") if " " in match else (None, "", match)
        with self.lock:
            self._faults.append(_Fault(method, prefix, 200, None, {}, times, delay, handled=True))

    def call_count(self, method: str, path_suffix: str) -> int:
        with self.lock:
            return sum(1 for m, p in self.calls if m == method and p.endswith(path_suffix))

    # -- WSGI --------------------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.method in (None, method) and path.startswith(fault.prefix):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _throttle(self, owner: str, group: str) -> tuple[Response | None, dict[str, str]]:
        """Count one request of ``group``; return a 429 when its budget is spent."""
        limit = self.limits.get(group)
        if limit is None:
            return None, {}
        now = time.monotonic()
        with self.lock:
            budget = self._budgets.setdefault((owner, group), _Budget(now))
            if budget.penalty_until > now:
                budget.penalty_until = now + self.penalty_seconds  # calling on restarts it
                return self._limited(group, limit, budget, now), {}
            if now - budget.window_start >= 60:
                budget.window_start, budget.used = now, 0
            budget.used += 1
            if budget.used > limit:
                budget.penalty_until = now + self.penalty_seconds
                return self._limited(group, limit, budget, now), {}
            headers = {
                "X-Rate-Limit-Group": group,
                "X-Rate-Limit-Limit": str(limit),
                "X-Rate-Limit-Remaining": str(limit - budget.used),
                "X-Rate-Limit-Window": "60",
            }
        return None, headers

    def _limited(self, group: str, limit: int, budget: _Budget, now: float) -> Response:
        wait = max(1, round(budget.penalty_until - now))
        headers = {
            "Retry-After": str(wait),
            "X-Rate-Limit-Group": group,
            "X-Rate-Limit-Limit": str(limit),
            "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Window": "60",
        }
        return api_error(429, "CMN-301", "Request rate exceeded", headers=headers)

    def _dispatch(self, request: Request) -> Response:
        adapter = self._routes.bind_to_environ(request.environ)
        try:
            (endpoint, group), args = adapter.match()
        except MethodNotAllowed:
            return api_error(405, "CMN-405", f"Method {request.method} is not allowed here")
        except NotFound:
            return api_error(404, "CMN-102", "Resource for parameter [path] is not found")
        for key in ("account", "extension"):
            if key in args and args[key] not in ("~", self.account_id, self.extension_id):
                return api_error(404, "CMN-102", f"Resource for parameter [{key}Id] is not found")
        owner = "anonymous"
        if not endpoint.startswith(("authorize", "token", "revoke")):
            reason = self.oauth.check_access(request)
            if reason is not None:
                return api_error(401, "TokenInvalid", reason)
            owner = self.extension_id
        else:
            owner = request.remote_addr or "client"
        if endpoint == "authorize":
            return self.oauth.authorize(request)
        limited, headers = self._throttle(owner, group)
        if limited is not None:
            return limited
        handler: Callable[..., Response] = (
            getattr(self.oauth, endpoint, None)
            or getattr(self.subscriptions, endpoint, None)
            or getattr(self.templates, endpoint, None)
            or getattr(self.threads, endpoint, None)
            or getattr(self.api, endpoint)
        )
        response = handler(
            request, **{k: v for k, v in args.items() if k not in ("account", "extension")}
        )
        for name, value in headers.items():
            response.headers[name] = value
        return response

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.calls.append((request.method, request.path))
        fault = self._take_fault(request.method, request.path)
        if fault is not None and fault.handled:
            try:
                response = self._dispatch(request)
            finally:
                request.close()
            time.sleep(fault.delay)
            return response(environ, start_response)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.body is None:
                response = api_error(
                    fault.status, "CMN-201", "Service Temporary Unavailable", headers=fault.headers
                )
            elif isinstance(fault.body, str | bytes):
                response = Response(fault.body, fault.status, headers=fault.headers)
            else:
                from .http import json_response

                response = json_response(fault.body, fault.status, fault.headers)
            return response(environ, start_response)
        try:
            response = self._dispatch(request)
        finally:
            request.close()  # uploaded parts live in temporary files
        return response(environ, start_response)
