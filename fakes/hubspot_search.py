"""HubSpot's CRM search as ``FakeHubSpot`` answers it (``shared/conformance/hubspot/``):
at most 5 searches a second per account, beyond that the recorded 429; ``filterGroups``
(at most 5 groups and 18 filters) of EQ / NEQ filters; phone filters on the
``hs_searchable_calculated_*`` properties, which keep area code + local number only (a
value with the country code matches nothing); deals found by ``associations.contact``.
"""

from __future__ import annotations

import time
from typing import Any

import phonenumbers
from werkzeug.wrappers import Request, Response

from fakes.httpfake import conformance, json_response


def searchable_phone(stored: str | None) -> str:
    """Return what HubSpot's calculated phone property keeps: area code + local number."""
    digits = "".join(ch for ch in stored or "" if ch.isdigit())
    if (stored or "").strip().startswith("+"):
        try:
            parsed = phonenumbers.parse(stored, None)
            return phonenumbers.national_significant_number(parsed)
        except phonenumbers.NumberParseException:
            return digits
    if len(digits) == 11 and digits.startswith("1"):
        return digits[1:]
    return digits


class HubSpotSearch:
    """The search endpoint of ``FakeHubSpot`` (a mixin over its stores and lock)."""

    # Given by FakeHubSpot.
    lock: Any
    searches_per_second: int
    contacts: dict[str, dict[str, Any]]
    deals: dict[str, dict[str, Any]]
    deal_contacts: dict[str, set[str]]
    communications: dict[str, dict[str, Any]]
    _searches: Any
    _phone_filters: list[str]
    not_found: Any
    validation_error: Any

    def _over_search_limit(self) -> bool:
        now = time.monotonic()
        with self.lock:
            while self._searches and now - self._searches[0] >= 1.0:
                self._searches.popleft()
            if len(self._searches) >= self.searches_per_second:
                return True
            self._searches.append(now)
        return False

    def on_search(self, request: Request, object_type: str) -> Response:
        if self._over_search_limit():
            headers = conformance("hubspot", "error-429-recorded-headers.json")
            keep = {k: v for k, v in headers.items() if k.startswith("X-HubSpot")}
            return json_response(
                conformance("hubspot", "error-429-recorded-response.json"), 429, keep
            )
        body = request.get_json(silent=True) or {}
        store = {
            "contacts": self.contacts,
            "deals": self.deals,
            "communications": {k: v["properties"] for k, v in self.communications.items()},
        }.get(object_type)
        if store is None:
            return self.not_found()
        groups = body.get("filterGroups") or (
            [{"filters": body["filters"]}] if "filters" in body else []
        )
        if len(groups) > 5 or sum(len(g.get("filters") or []) for g in groups) > 18:
            return self.validation_error("Too many filters", "TOO_MANY_FILTERS")
        with self.lock:
            self._phone_filters += [
                str(f.get("value"))
                for g in groups
                for f in g.get("filters") or []
                if str(f.get("propertyName")).startswith("hs_searchable_calculated_")
            ]
            hits = [
                (object_id, props)
                for object_id, props in store.items()
                if not groups
                or any(self._group_matches(object_type, object_id, props, g) for g in groups)
            ]
        limit = min(int(body.get("limit") or 10), 200)
        wanted = body.get("properties") or []
        results = [
            {
                "id": object_id,
                "properties": {k: props.get(k) for k in wanted if k in props}
                | {"hs_object_id": object_id},
                "createdAt": props.get("createdate") or props.get("hs_createdate"),
                "updatedAt": props.get("lastmodifieddate") or props.get("hs_lastmodifieddate"),
                "archived": False,
            }
            for object_id, props in hits[:limit]
        ]
        return json_response({"total": len(hits), "results": results})

    def _group_matches(
        self, object_type: str, object_id: str, props: dict[str, Any], group: dict[str, Any]
    ) -> bool:
        for flt in group.get("filters") or []:
            name, op, value = flt.get("propertyName"), flt.get("operator"), flt.get("value")
            if name == "associations.contact" and object_type == "deals":
                actual: Any = value if value in self.deal_contacts.get(object_id, set()) else None
            elif name == "hs_searchable_calculated_phone_number":
                actual = searchable_phone(props.get("phone"))
            elif name == "hs_searchable_calculated_mobile_number":
                actual = searchable_phone(props.get("mobilephone"))
            else:
                actual = props.get(name)
            if op == "EQ" and str(actual) != str(value):
                return False
            if op == "NEQ" and str(actual) == str(value):
                return False
        return True
