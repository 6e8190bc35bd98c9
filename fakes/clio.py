"""``FakeClio``: one regional Clio Manage instance (OAuth + API v4) over real HTTP.

Built from ``shared/conformance/clio/``: request bodies of communications are checked
against Clio's own OpenAPI request schemas (``*-request.schema.json``), answers are
``{"data": ...}`` with only the requested ``fields``, errors ``{"error": {"type",
"message"}}``. Contact ``query`` is a wildcard (substring) match on the stored text, so
a number is found only in the spelling it was stored in. Communications carry an ETag
that changes with every write; a PATCH with a stale ``IF-MATCH`` gets 412. Every answer
has ``X-RateLimit-*``; with ``requests_per_minute`` set, the excess gets 429 with
``Retry-After``. Run one fake per region to check a token works only on its own host.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import secrets
import time
from collections import deque
from typing import Any

import jsonschema
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fakes.httpfake import FakeCrmServer, conformance, json_response

_FIELD = re.compile(r"(\w+)(\{[^}]*\})?")


def error(kind: str, message: str, status: int) -> Response:
    """Return Clio's error body."""
    return json_response({"error": {"type": kind, "message": message}}, status)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _schema(name: str) -> dict[str, Any]:
    schema = conformance("clio", name)
    return schema


def pick(record: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """Return ``record`` reduced to Clio's ``fields`` (default: id and etag)."""
    wanted = [m.group(1) for m in _FIELD.finditer(fields or "id,etag")]
    return {name: record.get(name) for name in wanted if name in record}


class FakeClio(FakeCrmServer):
    """A Clio region (see the module docstring). Seed with ``add_contact`` and
    ``add_matter``; read ``communications``."""

    name = "fake-clio"
    token_lifetime = 30 * 24 * 3600
    public_endpoints = frozenset({"authorize", "token", "deauthorize"})

    def __init__(
        self,
        latency: float = 0.0,
        requests_per_minute: int | None = None,
        body_max: int | None = None,
    ) -> None:
        super().__init__(latency)
        # No limit is documented; set one to check that a connector shortens long bodies.
        self.body_max = body_max
        self.requests_per_minute = requests_per_minute
        self._window: deque[float] = deque()
        self._ids = itertools.count(1001)
        self.user = {"id": 344, "name": "Alan Counsel", "email": "alan@firm.example"}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.matters: dict[int, dict[str, Any]] = {}
        self.communications: dict[int, dict[str, Any]] = {}
        self.patches_without_if_match = 0
        self.create_schema = _schema("create-communication-request.schema.json")
        self.update_schema = _schema("update-communication-request.schema.json")

    def routes(self) -> list[Rule]:
        api = "/api/v4"
        return [
            Rule("/oauth/authorize", endpoint="authorize", methods=["GET"]),
            Rule("/oauth/token", endpoint="token", methods=["POST"]),
            Rule("/oauth/deauthorize", endpoint="deauthorize", methods=["POST"]),
            Rule(f"{api}/users/who_am_i.json", endpoint="who_am_i", methods=["GET"]),
            Rule(f"{api}/contacts.json", endpoint="contacts", methods=["GET", "POST"]),
            Rule(f"{api}/matters.json", endpoint="matters", methods=["GET"]),
            Rule(f"{api}/communications.json", endpoint="communications", methods=["GET", "POST"]),
            Rule(
                f"{api}/communications/<int:comm_id>.json",
                endpoint="communication",
                methods=["GET", "PATCH", "DELETE"],
            ),
        ]

    # -- seeding ------------------------------------------------------------------------------

    def add_contact(self, name: str, phone: str, kind: str = "Person") -> int:
        """Store a contact whose phone is written as ``phone``; return its id."""
        contact_id = next(self._ids)
        now = _now()
        self.contacts[contact_id] = {
            "id": contact_id,
            "etag": f'"{secrets.token_hex(8)}"',
            "name": name,
            "type": kind,
            "created_at": now,
            "updated_at": now,
            "phone_numbers": [{"id": next(self._ids), "name": "Work", "number": phone}],
        }
        return contact_id

    def add_matter(self, client_id: int, description: str, status: str = "Open") -> int:
        """Store a matter whose client is ``client_id``; return its id."""
        matter_id = next(self._ids)
        self.matters[matter_id] = {
            "id": matter_id,
            "display_number": f"{matter_id:08d}-Matter",
            "description": description,
            "status": status,
            "client_id": client_id,
        }
        return matter_id

    def touch(self, comm_id: int) -> None:
        """Change a communication as another user would (its ETag changes)."""
        with self.lock:
            self.communications[comm_id]["etag"] = f'"{secrets.token_hex(8)}"'

    # -- answers --------------------------------------------------------------------------

    def unauthorized(self) -> Response:
        return error("Unauthorized", "The access token is invalid or has expired", 401)

    def not_found(self) -> Response:
        return error("NotFound", "The requested resource was not found", 404)

    def fault_body(self, status: int) -> Any:
        if status == 429:
            return {"error": {"type": "RateLimited", "message": "Too Many Requests"}}
        return {"error": {"type": "Error", "message": f"HTTP {status}"}}

    def token_response(self, access: str, refresh: str) -> dict[str, Any]:
        body = conformance("clio", "oauth-token-response.json")
        body.update({"access_token": access, "refresh_token": refresh})
        return body

    def on_deauthorize(self, request: Request) -> Response:
        with self.lock:
            self.tokens.access.pop(request.form.get("token", ""), None)
        return Response(status=200)

    def _dispatch(self, request: Request) -> Response:
        version = request.headers.get("X-API-VERSION")
        if version and not re.fullmatch(r"4\.\d+\.\d+", version):
            return error("Gone", f"API version {version} is not supported", 410)
        if request.path.startswith("/api/") and self.requests_per_minute:
            now = time.monotonic()
            with self.lock:
                while self._window and now - self._window[0] >= 60:
                    self._window.popleft()
                if len(self._window) >= self.requests_per_minute:
                    wait = max(1, round(60 - (now - self._window[0])))
                    response = error("RateLimited", "Too Many Requests", 429)
                    response.headers["Retry-After"] = str(wait)
                    return response
                self._window.append(now)
        response = super()._dispatch(request)
        limit = self.requests_per_minute or 50
        response.headers["X-RateLimit-Limit"] = str(limit)
        response.headers["X-RateLimit-Remaining"] = str(max(0, limit - len(self._window)))
        response.headers["X-RateLimit-Reset"] = str(int(time.time()) + 60)
        if version:
            response.headers["X-API-VERSION"] = version
        return response

    def on_who_am_i(self, request: Request) -> Response:
        return json_response({"data": pick(self.user, request.args.get("fields"))})

    def on_contacts(self, request: Request) -> Response:
        if request.method == "POST":
            data = (request.get_json(silent=True) or {}).get("data") or {}
            name = data.get("name") or " ".join(
                filter(None, [data.get("first_name"), data.get("last_name")])
            )
            if not name:
                return error("InvalidFields", "Name can't be blank", 422)
            phones = data.get("phone_numbers") or [{}]
            with self.lock:
                contact_id = self.add_contact(name, phones[0].get("number", ""), data.get("type"))
            fields = request.args.get("fields")
            return json_response({"data": pick(self.contacts[contact_id], fields)}, 201)
        query = (request.args.get("query") or "").lower()
        limit = min(int(request.args.get("limit") or 200), 200)
        with self.lock:
            found = [
                contact
                for contact in self.contacts.values()
                if not query
                or query in contact["name"].lower()
                or any(query in p["number"].lower() for p in contact["phone_numbers"])
            ]
        fields = request.args.get("fields")
        return json_response(
            {"data": [pick(c, fields) for c in found[:limit]], "meta": {"records": len(found)}}
        )

    def on_matters(self, request: Request) -> Response:
        client_id = request.args.get("client_id", type=int)
        statuses = {s.strip().lower() for s in (request.args.get("status") or "").split(",") if s}
        with self.lock:
            found = [
                m
                for m in self.matters.values()
                if (client_id is None or m["client_id"] == client_id)
                and (not statuses or m["status"].lower() in statuses)
            ]
        fields = request.args.get("fields")
        return json_response({"data": [pick(m, fields) for m in found]})

    def _invalid(self, body: Any, schema: dict[str, Any]) -> Response | None:
        try:
            jsonschema.validate(body, schema)
        except jsonschema.ValidationError as exc:
            return error("InvalidFields", exc.message, 422)
        text = str((body.get("data") or {}).get("body") or "")
        if self.body_max is not None and len(text) > self.body_max:
            return error("InvalidFields", f"Body is too long (maximum is {self.body_max})", 422)
        return None

    def on_communications(self, request: Request) -> Response:
        fields = request.args.get("fields")
        if request.method == "GET":
            name = request.args.get("external_property_name")
            value = request.args.get("external_property_value")
            with self.lock:
                found = [
                    c
                    for c in sorted(self.communications.values(), key=lambda c: c["id"])
                    if not name
                    or {"name": name, "value": value} in c.get("external_properties", [])
                ]
            return json_response({"data": [pick(c, fields) for c in found]})
        body = request.get_json(silent=True)
        refused = self._invalid(body, self.create_schema)
        if refused is not None:
            return refused
        data = body["data"]
        if len(data.get("external_properties") or []) > 5:
            return error("InvalidFields", "External properties is too long (maximum is 5)", 422)
        matter = (data.get("matter") or {}).get("id")
        if matter is not None and matter not in self.matters:
            return error("InvalidFields", f"Matter {matter} does not exist", 422)
        with self.lock:
            comm_id = next(self._ids)
            record = {**data, "id": comm_id, "etag": f'"{secrets.token_hex(8)}"'}
            record.update({"created_at": _now(), "updated_at": _now()})
            self.communications[comm_id] = record
        return json_response({"data": pick(record, fields)}, 201)

    def on_communication(self, request: Request, comm_id: int) -> Response:
        with self.lock:
            record = self.communications.get(comm_id)
        if record is None:
            return self.not_found()
        fields = request.args.get("fields")
        if request.method == "DELETE":
            with self.lock:
                self.communications.pop(comm_id, None)
            return Response(status=204)
        if request.method == "PATCH":
            body = request.get_json(silent=True)
            refused = self._invalid(body, self.update_schema)
            if refused is not None:
                return refused
            expected = request.headers.get("IF-MATCH")
            with self.lock:
                if expected is None:
                    self.patches_without_if_match += 1
                elif expected != record["etag"]:
                    return error(
                        "PreconditionFailed",
                        "The resource has been modified since the given ETag",
                        412,
                    )
                record.update(body["data"])
                record["etag"] = f'"{secrets.token_hex(8)}"'
                record["updated_at"] = _now()
        return json_response({"data": pick(record, fields)})
