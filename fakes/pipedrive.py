"""``FakePipedrive``: Pipedrive's OAuth host and one company's API over real HTTP.

Built from ``shared/conformance/pipedrive/``: token responses carry ``api_domain`` (here
``http://localhost:PORT``, another host than the OAuth one at ``http://127.0.0.1:PORT``, so
a client that ignores it fails); client auth on the token endpoint is HTTP Basic; every
answer is ``{success, data, additional_data}``; errors are ``{success: false, error,
errorCode}``. Each request spends its documented token cost from the company's daily
budget and counts in a 2-second burst window; both answer 429 when spent, with the
``x-ratelimit-*`` headers (the exact 429 body was not captured: ours is the documented
error shape). The item search finds persons by the digits of stored numbers (Pipedrive
does not document its normalisation; SOURCES.md) and, with ``search_for_related_items``,
answers each found person's deals and leads in ``related_items`` (Pipedrive's documented
parameter: "up to 100 newest related leads and 100 newest related deals for each found
person"); a person item is shaped like the conformance persons-search item.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
import uuid
from collections import deque
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fakes.httpfake import FakeCrmServer, conformance, json_response

# x-token-cost of each operation, from the v1/v2 specs (SOURCES.md); 1 where unstated.
# The item search is not in the conformance files: charged like the persons search (20).
TOKEN_COSTS = {
    "item_search": 20,
    "create_person": 10,
    "activity_types": 20,
    "create_activity": 5,
    "activity": 5,
    "list_activities": 10,
}


def _digits(text: str | None) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ok(data: Any, additional: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"success": True, "data": data}
    if additional is not None:
        body["additional_data"] = additional
    return json_response(body)


def error(message: str, status: int, code: str | None = None) -> Response:
    """Return Pipedrive's error body."""
    body: dict[str, Any] = {"success": False, "error": message, "errorCode": status}
    if code:
        body["code"] = code
    return json_response(body, status)


class FakePipedrive(FakeCrmServer):
    """A Pipedrive company (see the module docstring). Seed with ``add_person``,
    ``add_organization``, ``add_deal``, ``add_lead``; read ``activities``."""

    name = "fake-pipedrive"
    token_lifetime = 3599
    client_auth = "basic"
    public_endpoints = frozenset({"authorize", "token", "revoke"})

    def __init__(
        self,
        latency: float = 0.0,
        daily_budget: int = 30_000,
        burst_limit: int = 80,
        activity_types: list[dict[str, Any]] | None = None,
        note_max: int | None = None,
    ) -> None:
        super().__init__(latency)
        # No limit is documented; set one to check that a connector shortens long notes.
        self.note_max = note_max
        self.daily_budget = daily_budget
        self.budget_spent = 0
        self.burst_limit = burst_limit
        self._burst: deque[float] = deque()
        self._ids = itertools.count(1)
        types = conformance("pipedrive", "list-activity-types-response.json")["data"]
        if activity_types is None:
            sms = dict(types[-1], id=9, order_nr=3, name="SMS", key_string="sms", icon_key="sms")
            activity_types = [*types, dict(sms, is_custom_flag=True)]
        self.activity_types = activity_types
        self.persons: dict[int, dict[str, Any]] = {}
        self.organizations: dict[int, dict[str, Any]] = {}
        self.deals: dict[int, dict[str, Any]] = {}
        self.leads: dict[str, dict[str, Any]] = {}
        self.activities: dict[int, dict[str, Any]] = {}
        self.user = conformance("pipedrive", "users-me-response.json")["data"]

    @property
    def api_domain(self) -> str:
        """Return the company's API domain, as token responses report it."""
        return f"http://localhost:{self.port}"

    def routes(self) -> list[Rule]:
        return [
            Rule("/oauth/authorize", endpoint="authorize", methods=["GET"]),
            Rule("/oauth/token", endpoint="token", methods=["POST"]),
            Rule("/oauth/revoke", endpoint="revoke", methods=["POST"]),
            Rule("/api/v1/users/me", endpoint="me", methods=["GET"]),
            Rule("/api/v1/activityTypes", endpoint="activity_types", methods=["GET"]),
            Rule("/api/v2/itemSearch", endpoint="item_search", methods=["GET"]),
            Rule("/api/v2/persons", endpoint="create_person", methods=["POST"]),
            Rule("/api/v2/activities", endpoint="create_activity", methods=["POST"]),
            Rule("/api/v2/activities", endpoint="list_activities", methods=["GET"]),
            Rule(
                "/api/v2/activities/<int:activity_id>",
                endpoint="activity",
                methods=["GET", "PATCH"],
            ),
        ]

    # -- seeding ------------------------------------------------------------------------------

    def add_organization(self, name: str) -> int:
        """Store an organization; return its id."""
        org_id = next(self._ids)
        self.organizations[org_id] = {"id": org_id, "name": name, "address": None}
        return org_id

    def add_person(self, name: str, phone: str, org_id: int | None = None) -> int:
        """Store a person whose phone is written as ``phone``; return its id."""
        person_id = next(self._ids)
        self.persons[person_id] = {
            "id": person_id,
            "name": name,
            "phones": [{"value": phone, "primary": True, "label": "work"}],
            "org_id": org_id,
        }
        return person_id

    def add_deal(self, title: str, person_id: int, status: str = "open") -> int:
        """Store a deal of a person; return its id."""
        deal_id = next(self._ids)
        self.deals[deal_id] = {
            "id": deal_id,
            "title": title,
            "person_id": person_id,
            "status": status,
        }
        return deal_id

    def add_lead(self, title: str, person_id: int) -> str:
        """Store a lead of a person; return its uuid."""
        lead_id = str(uuid.uuid4())
        self.leads[lead_id] = {"id": lead_id, "title": title, "person_id": person_id}
        return lead_id

    # -- answers --------------------------------------------------------------------------

    def unauthorized(self) -> Response:
        return json_response(conformance("pipedrive", "error-401-unauthorized.json"), 401)

    def not_found(self) -> Response:
        return error("Not found", 404)

    def fault_body(self, status: int) -> Any:
        if status == 401:
            return conformance("pipedrive", "error-401-unauthorized.json")
        return {"success": False, "error": f"HTTP {status}", "errorCode": status}

    def token_response(self, access: str, refresh: str) -> dict[str, Any]:
        body = conformance("pipedrive", "oauth-token-response.json")
        body.update(
            {"access_token": access, "refresh_token": refresh, "api_domain": self.api_domain}
        )
        return body

    def on_revoke(self, request: Request) -> Response:
        if not self._client_ok(request):
            return json_response({"error": "invalid_client"}, 401)
        with self.lock:
            self.tokens.refresh.discard(request.form.get("token", ""))
        return Response(status=200)

    def _dispatch(self, request: Request) -> Response:
        if not request.path.startswith("/api/"):
            return super()._dispatch(request)
        if request.host.split(":")[0] != "localhost":
            return error("Use the company's api_domain", 404)
        try:
            endpoint = str(self._routes.bind_to_environ(request.environ).match()[0])
        except Exception:  # unknown path or method: the base answers it
            endpoint = ""
        now = time.monotonic()
        with self.lock:
            while self._burst and now - self._burst[0] >= 2.0:
                self._burst.popleft()
            cost = TOKEN_COSTS.get(endpoint, 1)
            if len(self._burst) >= self.burst_limit:
                reset = 2.0 - (now - self._burst[0])
                return self._limited("Rate limit exceeded", reset)
            if self.budget_spent + cost > self.daily_budget:
                return self._limited("Daily API token budget exceeded", self._until_midnight())
            self._burst.append(now)
        response = super()._dispatch(request)
        with self.lock:
            if response.status_code < 400:
                self.budget_spent += cost
            response.headers["x-ratelimit-limit"] = str(self.burst_limit)
            response.headers["x-ratelimit-remaining"] = str(self.burst_limit - len(self._burst))
            response.headers["x-ratelimit-reset"] = "2"
        return response

    @staticmethod
    def _until_midnight() -> float:
        now = dt.datetime.now(dt.UTC)
        midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - now).total_seconds()

    def _limited(self, message: str, reset: float) -> Response:
        response = error(message, 429)
        response.headers["x-ratelimit-limit"] = str(self.burst_limit)
        response.headers["x-ratelimit-remaining"] = "0"
        response.headers["x-ratelimit-reset"] = str(max(1, round(reset)))
        return response

    def on_me(self, request: Request) -> Response:
        return _ok(self.user)

    def on_activity_types(self, request: Request) -> Response:
        return _ok(self.activity_types)

    def on_item_search(self, request: Request) -> Response:
        term = request.args.get("term", "")
        if len(term) < 2:
            return error("term must be at least 2 characters long", 400)
        types = set((request.args.get("item_types") or "person").split(","))
        fields = set((request.args.get("fields") or "phone").split(","))
        if types != {"person"} or fields != {"phone"}:
            return error("The fake searches persons by phone only", 400)
        wanted = _digits(term)
        items, related = [], []
        with self.lock:
            for person in self.persons.values():
                phones = [p["value"] for p in person["phones"]]
                if wanted and any(wanted in _digits(p) for p in phones):
                    items.append({"result_score": 0.5092, "item": self._person_item(person)})
                    related += self._related_items(person)
        data: dict[str, Any] = {"items": items}
        if request.args.get("search_for_related_items") in ("true", "1"):
            data["related_items"] = related
        return _ok(data, {"next_cursor": None})

    def _person_item(self, person: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": person["id"],
            "type": "person",
            "name": person["name"],
            "phones": [p["value"] for p in person["phones"]],
            "emails": [],
            "visible_to": 3,
            "owner": {"id": self.user["id"]},
            "organization": self.organizations.get(person.get("org_id") or 0),
            "custom_fields": [],
            "notes": [],
        }

    def _related_items(self, person: dict[str, Any]) -> list[dict[str, Any]]:
        """Return a person's deals and leads as item-search ``related_items``, newest first."""
        who = {"id": person["id"], "name": person["name"]}
        org = self.organizations.get(person.get("org_id") or 0)
        shared = {"owner": {"id": self.user["id"]}, "person": who, "organization": org}
        deals = [
            {**shared, "id": d["id"], "type": "deal", "title": d["title"], "status": d["status"]}
            | {"value": 0, "currency": "USD", "visible_to": 3, "custom_fields": [], "notes": []}
            for d in self.deals.values()
            if d["person_id"] == person["id"]
        ]
        leads = [
            {**shared, "id": lead["id"], "type": "lead", "title": lead["title"]}
            | {"is_archived": lead.get("is_archived", False), "visible_to": 3}
            for lead in self.leads.values()
            if lead["person_id"] == person["id"]
        ]
        newest = [*reversed(deals[-100:]), *reversed(leads[-100:])]
        return [{"result_score": 0.3, "item": item} for item in newest]

    def on_create_person(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        if not body.get("name"):
            return error("Name must be given.", 400)
        phones = body.get("phones") or []
        with self.lock:
            person_id = self.add_person(body["name"], phones[0]["value"] if phones else "")
        return _ok(dict(self.persons[person_id]))

    def _check_activity(self, body: dict[str, Any], creating: bool) -> Response | None:
        if creating and not body.get("subject"):
            return error("Subject is required.", 400)
        if "type" in body or creating:
            keys = {t["key_string"] for t in self.activity_types if t.get("active_flag")}
            if body.get("type") not in keys:
                return error(f"Activity type '{body.get('type')}' is not active.", 400)
        if self.note_max is not None and len(str(body.get("note") or "")) > self.note_max:
            return error(f"Note is longer than {self.note_max} characters.", 400)
        # null unlinks a deal, lead or organization (PATCH); an id must exist.
        if body.get("deal_id") is not None and body["deal_id"] not in self.deals:
            return error("Deal not found", 400)
        if body.get("lead_id") is not None and body["lead_id"] not in self.leads:
            return error("Lead not found", 400)
        if body.get("org_id") is not None and body["org_id"] not in self.organizations:
            return error("Organization not found", 400)
        if "person_id" in body and body["person_id"] not in self.persons:
            return error("Person not found", 400)
        return None

    def on_create_activity(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        refused = self._check_activity(body, creating=True)
        if refused is not None:
            return refused
        with self.lock:
            activity_id = next(self._ids)
            now = _now()
            activity = {**body, "id": activity_id, "add_time": now, "update_time": now}
            activity.setdefault("owner_id", self.user["id"])
            self.activities[activity_id] = activity
        return _ok(dict(activity))

    def on_activity(self, request: Request, activity_id: int) -> Response:
        with self.lock:
            activity = self.activities.get(activity_id)
        if activity is None:
            return error("Activity not found", 404)
        if request.method == "PATCH":
            body = request.get_json(silent=True) or {}
            refused = self._check_activity(body, creating=False)
            if refused is not None:
                return refused
            with self.lock:
                activity.update(body, update_time=_now())
        return _ok(dict(activity))

    def on_list_activities(self, request: Request) -> Response:
        owner = request.args.get("owner_id", type=int)
        since = request.args.get("updated_since") or ""
        with self.lock:
            found = [
                dict(a)
                for a in self.activities.values()
                if (owner is None or a.get("owner_id") == owner) and a["update_time"] >= since
            ]
        return _ok(found, {"next_cursor": None})
