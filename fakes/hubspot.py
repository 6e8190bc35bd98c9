"""``FakeHubSpot``: HubSpot's OAuth and CRM v3 APIs over real HTTP, from the conformance files.

What it holds to (``shared/conformance/hubspot/SOURCES.md``): the search endpoint as
``hubspot_search`` describes it (phone by area code + local number, 5 a second);
communications need channel type SMS /
WHATS_APP / LINKEDIN_MESSAGE and ``hs_communication_logged_from`` = CRM; unknown
properties are refused with HubSpot's validation body; associations by HubSpot-defined
type ids 81 (contact), 87 (company), 85 (deal). The owners API (not in the conformance
folder; shaped after HubSpot's owners guide) has one owner, the token metadata's user:
``GET /crm/v3/owners/{id}`` by owner ``id``, or by ``userId`` with ``idProperty=userId``;
``hubspot_owner_id`` must name an owner's ``id`` (a ``userId`` is refused, as HubSpot
warns).
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import deque
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from fakes.httpfake import FakeCrmServer, conformance, json_response
from fakes.hubspot_search import HubSpotSearch

CHANNELS = {"SMS", "WHATS_APP", "LINKEDIN_MESSAGE"}
COMMUNICATION_PROPERTIES = {
    "hs_communication_channel_type",
    "hs_communication_logged_from",
    "hs_communication_body",
    "hs_timestamp",
    "hubspot_owner_id",
}
ASSOCIATION_TARGETS = {81: "contacts", 87: "companies", 85: "deals"}
TARGET_TYPE_IDS = {"contacts": 81, "companies": 87, "deals": 85}
# Not documented (SOURCES.md: uncertain); the fake refuses longer bodies so a connector
# that forgot to shorten one fails here rather than in a customer's portal.
BODY_MAX = 65_536


def _load(name: str) -> Any:
    return conformance("hubspot", name)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class FakeHubSpot(HubSpotSearch, FakeCrmServer):
    """A HubSpot portal (see the module docstring). Seed with ``add_contact``, ``add_company``
    and ``add_deal``; read what was logged in ``communications``."""

    name = "fake-hubspot"
    token_lifetime = 1800
    public_endpoints = frozenset({"authorize", "token", "token_info", "revoke"})

    def __init__(
        self, latency: float = 0.0, searches_per_second: int = 5, body_max: int = BODY_MAX
    ) -> None:
        super().__init__(latency)
        self.body_max = body_max
        self.hub_id = 1234567
        self.user_email = "user@domain.com"
        self.searches_per_second = searches_per_second
        self._ids = itertools.count(100451)
        self.contacts: dict[str, dict[str, Any]] = {}
        self.companies: dict[str, dict[str, Any]] = {}
        self.deals: dict[str, dict[str, Any]] = {}
        self.deal_contacts: dict[str, set[str]] = {}
        self.communications: dict[str, dict[str, Any]] = {}
        self.comm_associations: dict[str, set[tuple[str, str]]] = {}
        self.custom_properties: set[str] = set()
        # The token metadata's user (conformance ``user_id``) as the portal's one owner.
        user_id = _load("oauth-access-token-metadata-response.json")["user_id"]
        self.owners: dict[str, dict[str, Any]] = {
            "41629779": {
                "id": "41629779",
                "email": self.user_email,
                "type": "PERSON",
                "firstName": "HubSpot",
                "lastName": "Test Owner",
                "userId": user_id,
                "userIdIncludingInactive": user_id,
                "createdAt": "2019-12-25T13:01:35.228Z",
                "updatedAt": "2023-08-22T13:40:26.790Z",
                "archived": False,
            }
        }
        self._searches: deque[float] = deque()
        self._phone_filters: list[str] = []

    def routes(self) -> list[Rule]:
        objects = "/crm/v3/objects"
        return [
            Rule("/oauth/authorize", endpoint="authorize", methods=["GET"]),
            Rule("/oauth/v3/token", endpoint="token", methods=["POST"]),
            Rule("/oauth/v1/token", endpoint="token", methods=["POST"]),
            Rule("/oauth/v1/access-tokens/<token>", endpoint="token_info", methods=["GET"]),
            Rule("/oauth/v1/refresh-tokens/<token>", endpoint="revoke", methods=["DELETE"]),
            Rule(f"{objects}/<object_type>/search", endpoint="search", methods=["POST"]),
            Rule(f"{objects}/contacts", endpoint="create_contact", methods=["POST"]),
            Rule(f"{objects}/communications", endpoint="create_comm", methods=["POST"]),
            Rule(
                f"{objects}/communications/<comm_id>",
                endpoint="comm",
                methods=["GET", "PATCH", "DELETE"],
            ),
            Rule(
                f"{objects}/communications/<comm_id>/associations/<to_type>/<to_id>/<type_id>",
                endpoint="associate",
                methods=["PUT"],
            ),
            Rule("/crm/v3/owners/<owner_id>", endpoint="owner", methods=["GET"]),
            Rule("/crm/v3/properties/communications", endpoint="new_property", methods=["POST"]),
            Rule("/crm/v3/properties/communications/<prop>", endpoint="property", methods=["GET"]),
        ]

    # -- seeding ------------------------------------------------------------------------------

    def _next_id(self) -> str:
        return str(next(self._ids))

    def add_company(self, name: str) -> str:
        """Store a company; return its id."""
        company_id = self._next_id()
        self.companies[company_id] = {"name": name}
        return company_id

    def add_contact(
        self, first: str, last: str, phone: str | None = None, company_id: str | None = None
    ) -> str:
        """Store a contact whose phone is written as ``phone``; return its id."""
        contact_id = self._next_id()
        props = {"firstname": first, "lastname": last, "phone": phone}
        if company_id:
            props["associatedcompanyid"] = company_id
            props["company"] = self.companies[company_id]["name"]
        props["createdate"] = props["lastmodifieddate"] = _now()
        self.contacts[contact_id] = props
        return contact_id

    def add_deal(self, name: str, contact_id: str) -> str:
        """Store a deal associated with a contact; return its id."""
        deal_id = self._next_id()
        self.deals[deal_id] = {"dealname": name, "dealstage": "appointmentscheduled"}
        self.deal_contacts[deal_id] = {contact_id}
        return deal_id

    def searchable_values(self) -> list[str]:
        """Return the values of every calculated-phone filter received, in order."""
        return list(self._phone_filters)

    def associations_of(self, comm_id: str) -> set[tuple[str, str]]:
        """Return the (object type, id) pairs a communication is associated with."""
        return set(self.comm_associations.get(comm_id, set()))

    # -- answers ------------------------------------------------------------------------------

    def unauthorized(self) -> Response:
        return json_response(
            {
                "status": "error",
                "message": "Authentication credentials not found.",
                "correlationId": str(uuid.uuid4()),
                "category": "INVALID_AUTHENTICATION",
            },
            401,
        )

    def not_found(self) -> Response:
        return json_response(
            {"status": "error", "message": "resource not found", "category": "OBJECT_NOT_FOUND"},
            404,
        )

    def fault_body(self, status: int) -> Any:
        if status == 429:
            return _load("error-429-recorded-response.json")
        if status == 400:
            return _load("error-validation-example.json")
        return {"status": "error", "message": f"HTTP {status}", "category": "UNKNOWN"}

    @staticmethod
    def validation_error(message: str, code: str, prop: str | None = None) -> Response:
        """Return HubSpot's validation body for one bad property."""
        error: dict[str, Any] = {"message": message, "code": code}
        if prop:
            error["context"] = {"propertyName": [prop]}
        body = {
            "status": "error",
            "message": message,
            "errors": [error],
            "category": "VALIDATION_ERROR",
            "correlationId": str(uuid.uuid4()),
        }
        return json_response(body, 400)

    def token_response(self, access: str, refresh: str) -> dict[str, Any]:
        return {
            "token_type": "bearer",
            "refresh_token": refresh,
            "access_token": access,
            "expires_in": self.token_lifetime,
        }

    def on_token_info(self, request: Request, token: str) -> Response:
        with self.lock:
            valid = self.tokens.valid(token)
        if not valid:
            return self.not_found()
        body = _load("oauth-access-token-metadata-response.json")
        body.update({"token": token, "hub_id": self.hub_id, "user": self.user_email})
        return json_response(body)

    def on_revoke(self, request: Request, token: str) -> Response:
        with self.lock:
            self.tokens.refresh.discard(token)
        return Response(status=204)

    def on_create_contact(self, request: Request) -> Response:
        props = (request.get_json(silent=True) or {}).get("properties") or {}
        with self.lock:
            contact_id = self.add_contact(
                props.get("firstname", ""), props.get("lastname", ""), props.get("phone")
            )
            stored = self.contacts[contact_id]
        return json_response(
            {"id": contact_id, "properties": stored, "createdAt": _now(), "archived": False}, 201
        )

    def _check_properties(self, props: dict[str, Any], creating: bool) -> Response | None:
        allowed = COMMUNICATION_PROPERTIES | self.custom_properties
        for name in props:
            if name not in allowed:
                message = f'Property values were not valid: Property "{name}" does not exist'
                return self.validation_error(message, "PROPERTY_DOESNT_EXIST", name)
        channel = props.get("hs_communication_channel_type")
        if (creating or channel is not None) and channel not in CHANNELS:
            return self.validation_error(
                f"{channel!r} is not a valid channel type",
                "INVALID_OPTION",
                "hs_communication_channel_type",
            )
        logged_from = props.get("hs_communication_logged_from")
        if (creating or logged_from is not None) and logged_from != "CRM":
            return self.validation_error(
                "hs_communication_logged_from must be CRM",
                "INVALID_OPTION",
                "hs_communication_logged_from",
            )
        owner = props.get("hubspot_owner_id")
        if owner not in (None, "") and str(owner) not in self.owners:
            return self.validation_error(
                f"{owner} is not a valid owner id", "INVALID_OWNER_ID", "hubspot_owner_id"
            )
        if len(str(props.get("hs_communication_body") or "")) > self.body_max:
            return self.validation_error(
                f"hs_communication_body is longer than {self.body_max} characters",
                "INVALID_STRING_LENGTH",
                "hs_communication_body",
            )
        return None

    def on_create_comm(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        props = dict(body.get("properties") or {})
        refused = self._check_properties(props, creating=True)
        if refused is not None:
            return refused
        links: set[tuple[str, str]] = set()
        for item in body.get("associations") or []:
            target = str((item.get("to") or {}).get("id"))
            for kind in item.get("types") or []:
                object_type = ASSOCIATION_TARGETS.get(int(kind.get("associationTypeId") or 0))
                if object_type is None or target not in self._objects(object_type):
                    return self.validation_error(
                        f"Association to {target} with type {kind.get('associationTypeId')} is "
                        "not valid",
                        "INVALID_ASSOCIATION",
                    )
                links.add((object_type, target))
        with self.lock:
            comm_id = str(12021896773 + len(self.communications))
            now = _now()
            props.update(
                {"hs_createdate": now, "hs_lastmodifieddate": now, "hs_object_id": comm_id}
            )
            self.communications[comm_id] = {"properties": props}
            self.comm_associations[comm_id] = links
        answer = {"id": comm_id, "properties": props, "createdAt": now, "updatedAt": now}
        return json_response(answer | {"archived": False}, 201)

    def _objects(self, object_type: str) -> dict[str, Any]:
        return {"contacts": self.contacts, "companies": self.companies, "deals": self.deals}[
            object_type
        ]

    def on_comm(self, request: Request, comm_id: str) -> Response:
        with self.lock:
            found = self.communications.get(comm_id)
        if found is None:
            return self.not_found()
        if request.method == "DELETE":  # archived: out of reads and searches
            with self.lock:
                self.communications.pop(comm_id, None)
                self.comm_associations.pop(comm_id, None)
            return Response(status=204)
        if request.method == "PATCH":
            props = dict((request.get_json(silent=True) or {}).get("properties") or {})
            refused = self._check_properties(props, creating=False)
            if refused is not None:
                return refused
            with self.lock:
                found["properties"].update(props)
                found["properties"]["hs_lastmodifieddate"] = _now()
        return json_response({"id": comm_id, "properties": found["properties"], "archived": False})

    def on_associate(
        self, request: Request, comm_id: str, to_type: str, to_id: str, type_id: str
    ) -> Response:
        if comm_id not in self.communications or to_id not in self._objects(to_type):
            return self.not_found()
        if TARGET_TYPE_IDS.get(to_type) != int(type_id):
            return self.validation_error("Invalid association type", "INVALID_ASSOCIATION")
        with self.lock:
            self.comm_associations[comm_id].add((to_type, to_id))
        return json_response({"fromObjectId": comm_id, "toObjectId": to_id})

    def on_owner(self, request: Request, owner_id: str) -> Response:
        by_user = request.args.get("idProperty") == "userId"
        for owner in self.owners.values():
            if (str(owner["userId"]) if by_user else owner["id"]) == owner_id:
                return json_response(owner)
        return self.not_found()

    def on_property(self, request: Request, prop: str) -> Response:
        if prop not in self.custom_properties | COMMUNICATION_PROPERTIES:
            return self.not_found()
        return json_response({"name": prop, "type": "string", "fieldType": "text"})

    def on_new_property(self, request: Request) -> Response:
        name = str((request.get_json(silent=True) or {}).get("name") or "")
        if not name:
            return self.validation_error("name is required", "REQUIRED", "name")
        with self.lock:
            self.custom_properties.add(name)
        return json_response({"name": name, "type": "string", "fieldType": "text"}, 201)
