"""The fake's SMS templates: ``message-store-templates`` of the user and of the company."""

from __future__ import annotations

import itertools
from typing import Any

from werkzeug.wrappers import Request, Response

from .account import FakeAccount
from .http import api_error, json_response
from .mailbox import Template
from .sending import utf16_units

SMS_MAX_UNITS = 1000
NEEDS_ADMIN = "In order to call this API endpoint, user needs to have [EditCompanyInfo] permission"


class TemplateApi:
    def __init__(self, fake: FakeAccount) -> None:
        self.fake = fake
        self.template_store: dict[str, Template] = {}
        self._template_ids = itertools.count(700001)

    # -- templates --------------------------------------------------------------------------

    def _template_list(self, request: Request, scope: str) -> Response:
        if request.method == "GET":
            records = [
                t.as_json(request.base_url)
                for t in self.template_store.values()
                if t.scope == scope
            ]
            return json_response({"records": records})
        if scope == "Company" and not self.fake.is_admin:
            return api_error(
                403,
                "CMN-408",
                NEEDS_ADMIN,
            )
        body = request.get_json(silent=True)
        checked = self._template_body(body)
        if isinstance(checked, Response):
            return checked
        template = Template(str(next(self._template_ids)), checked[0], checked[1], scope)
        with self.fake.lock:
            self.template_store[template.id] = template
        return json_response(template.as_json(request.base_url))

    def _template_body(self, body: Any) -> tuple[str, str] | Response:
        if not isinstance(body, dict) or not isinstance(body.get("body"), dict):
            return api_error(400, "CMN-101", "Parameter [body] is required", "body")
        name, text = body.get("displayName"), body["body"].get("text")
        if not isinstance(name, str) or not name.strip():
            return api_error(400, "CMN-101", "Parameter [displayName] is required", "displayName")
        if not isinstance(text, str) or not text or utf16_units(text) > SMS_MAX_UNITS:
            return api_error(400, "CMN-101", "Parameter [body.text] is invalid", "body.text")
        return name, text

    def _template_one(self, request: Request, tid: str, scope: str) -> Response:
        template = self.template_store.get(tid)
        if template is None or template.scope != scope:
            return api_error(
                404, "CMN-102", "Resource for parameter [templateId] is not found", "templateId"
            )
        base = request.base_url.rsplit("/", 1)[0]
        if request.method == "GET":
            return json_response(template.as_json(base))
        if scope == "Company" and not self.fake.is_admin:
            return api_error(
                403,
                "CMN-408",
                NEEDS_ADMIN,
            )
        if request.method == "DELETE":
            with self.fake.lock:
                self.template_store.pop(tid, None)
            return Response(status=204)
        checked = self._template_body(request.get_json(silent=True))
        if isinstance(checked, Response):
            return checked
        template.display_name, template.text = checked
        return json_response(template.as_json(base))

    def templates(self, request: Request) -> Response:
        return self._template_list(request, "Personal")

    def company_templates(self, request: Request) -> Response:
        return self._template_list(request, "Company")

    def template(self, request: Request, tid: str) -> Response:
        return self._template_one(request, tid, "Personal")

    def company_template(self, request: Request, tid: str) -> Response:
        return self._template_one(request, tid, "Company")

    def add_template(self, scope: str, name: str, text: str) -> str:
        """Seed a template as if made in the RingCentral app; return its id."""
        template = Template(str(next(self._template_ids)), name, text, scope)
        with self.fake.lock:
            self.template_store[template.id] = template
        return template.id
