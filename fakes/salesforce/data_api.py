"""The fake's REST data API (``/services/data/vXX.X/...``): auth, limits, resources.

Every data response carries ``Sforce-Limit-Info: api-usage=N/LIMIT``; past the limit the
org answers 403 REQUEST_LIMIT_EXCEEDED. Bad or expired tokens get 401 with the real body.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from werkzeug.wrappers import Request, Response

from . import payloads, sobjects, soql, sosl
from .describe import describe
from .http import json_response
from .versions import version_list

# SOQL answers in batches of 2,000 records; the rest is fetched through nextRecordsUrl.
QUERY_BATCH = 2000
LEGACY_SEARCH_BEFORE = 37.0  # v36.0 and earlier return a bare array from /search/


def _errors(status: int, code: str, message: str) -> Response:
    return json_response([{"message": message, "errorCode": code}], status)


class DataApi:
    """Handlers of the data endpoints; ``fake`` supplies the store, tokens and limits."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self._cursors_lock = threading.Lock()
        # query locator -> (every record of the query, api version)
        self._cursors: dict[str, tuple[list[dict[str, Any]], str]] = {}

    def version_list(self) -> list[dict[str, str]]:
        """Return ``GET /services/data/``: every version from v31.0 to v67.0."""
        return version_list()

    def versions(self, request: Request) -> Response:
        """List versions: no authentication, no limit header (as documented)."""
        return json_response(self.version_list())

    def _auth_failure(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization")
        if not header:
            return json_response(payloads.load("error-invalid-session-401.json"), 401)
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or not token.strip():
            return json_response(payloads.load("error-invalid-auth-header-401.json"), 401)
        if not self.fake.oauth.is_valid_access(token.strip()):
            return json_response(payloads.load("error-invalid-session-401.json"), 401)
        return None

    def handle(self, endpoint: str, request: Request, version: str, **args: Any) -> Response:
        """Authenticate, count against the daily limit, dispatch, add Sforce-Limit-Info."""
        if version not in {v["version"] for v in self.version_list()}:
            return json_response(payloads.load("error-not-found-404.json"), 404)
        response = self._auth_failure(request)
        if response is None:
            with self.fake.lock:
                self.fake.api_usage += 1
                over = self.fake.api_usage > self.fake.api_limit
            if over:
                response = json_response(
                    payloads.load("error-request-limit-exceeded-403.json"), 403
                )
            else:
                response = getattr(self, f"_{endpoint}")(request, version, **args)
        response.headers["Sforce-Limit-Info"] = (
            f"api-usage={self.fake.api_usage}/{self.fake.api_limit}"
        )
        return response

    def _resources(self, request: Request, version: str) -> Response:
        base = f"/services/data/v{version}"
        names = ("sobjects", "search", "query", "limits")
        return json_response({name: f"{base}/{name}" for name in names})

    def _search(self, request: Request, version: str) -> Response:
        statement = request.args.get("q")
        if not statement:
            return _errors(
                400,
                "MALFORMED_SEARCH",
                "No search term found. The search term must be enclosed in braces.",
            )
        try:
            records = sosl.execute(
                sosl.parse(statement), self.fake.store, version, self.fake.search_whole_digits
            )
        except sosl.SoslError as exc:
            return _errors(400, exc.code, exc.message)
        if float(version) < LEGACY_SEARCH_BEFORE:
            return json_response(records)
        return json_response({"searchRecords": records})

    def _query(self, request: Request, version: str) -> Response:
        statement = request.args.get("q")
        if not statement:
            return _errors(400, "MALFORMED_QUERY", "unexpected token: <EOF>")
        try:
            result = soql.execute(soql.parse(statement), self.fake.store, version)
        except soql.SoqlError as exc:
            return _errors(400, exc.code, exc.message)
        records = result["records"]
        if len(records) <= QUERY_BATCH:
            return json_response(result)
        locator = "01g" + "".join(
            secrets.choice("ABCDEFGHJKMNPQRSTUVWXYZ0123456789") for _ in range(15)
        )
        with self._cursors_lock:
            self._cursors[locator] = (records, version)
        return json_response(self._page(locator, 0))

    def _page(self, locator: str, start: int) -> dict[str, Any]:
        with self._cursors_lock:
            records, version = self._cursors[locator]
        end = start + QUERY_BATCH
        page: dict[str, Any] = {"totalSize": len(records), "done": end >= len(records)}
        if end < len(records):
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        else:
            with self._cursors_lock:
                self._cursors.pop(locator, None)
        page["records"] = records[start:end]
        return page

    def _query_more(self, request: Request, version: str, cursor: str) -> Response:
        locator, _, offset = cursor.rpartition("-")
        with self._cursors_lock:
            known = locator in self._cursors
        if not known or not offset.isdigit():
            return _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return json_response(self._page(locator, int(offset)))

    def _describe(self, request: Request, version: str, sobject: str) -> Response:
        if sobject not in self.fake.store.schema:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        return json_response(describe(self.fake.store, sobject))

    def _limits(self, request: Request, version: str) -> Response:
        body = payloads.load("limits-response.json")
        body["DailyApiRequests"] = {
            "Max": self.fake.api_limit,
            "Remaining": max(0, self.fake.api_limit - self.fake.api_usage),
        }
        return json_response(body)

    def _create(self, request: Request, version: str, sobject: str) -> Response:
        body = request.get_json(silent=True)
        if body is None:
            return _errors(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        try:
            new_id = sobjects.create(self.fake.store, sobject, body)
        except sobjects.SObjectError as exc:
            return json_response(exc.errors, exc.status)
        location = f"/services/data/v{version}/sobjects/{sobject}/{new_id}"
        return json_response(
            {"id": new_id, "success": True, "errors": []}, 201, {"Location": location}
        )

    def _record(self, request: Request, version: str, sobject: str, record_id: str) -> Response:
        method = request.method
        if method == "POST":
            # Clients that cannot send PATCH use POST ?_HttpMethod=PATCH.
            if request.args.get("_HttpMethod", "").upper() != "PATCH":
                return _errors(
                    405,
                    "METHOD_NOT_ALLOWED",
                    "HTTP Method 'POST' not allowed. Allowed are GET,PATCH,DELETE",
                )
            method = "PATCH"
        try:
            if method == "GET":
                record = sobjects.read(self.fake.store, sobject, record_id)
                url = f"/services/data/v{version}/sobjects/{sobject}/{record['Id']}"
                return json_response({"attributes": {"type": sobject, "url": url}, **record})
            if method == "PATCH":
                body = request.get_json(silent=True)
                if body is None:
                    return _errors(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
                sobjects.update(self.fake.store, sobject, record_id, body)
                return Response(status=204)
            sobjects.read(self.fake.store, sobject, record_id)
            self.fake.store.delete(record_id)
            return Response(status=204)
        except sobjects.SObjectError as exc:
            return json_response(exc.errors, exc.status)
