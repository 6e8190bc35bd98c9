"""RingCentral's SMS templates (``message-store-templates``): the user's and the company's."""

from __future__ import annotations

from collections.abc import Callable

from widget.platforms.base import PlatformRefused, PlatformTemplate
from widget.platforms.ringcentral.client import API, MINE, ApiRefused

PERSONAL = f"{MINE}/message-store-templates"
COMPANY = f"{API}/account/~/message-store-templates"

Call = Callable[..., dict | None]


def _base(company: bool) -> str:
    return COMPANY if company else PERSONAL


def list_all(call: Call) -> list[PlatformTemplate]:
    found = []
    for company in (False, True):
        body = call("GET", _base(company)) or {}
        for record in body.get("records") or []:
            text = (record.get("body") or {}).get("text")
            if record.get("id") and isinstance(text, str):
                title = str(record.get("displayName") or text[:40])
                found.append(PlatformTemplate(str(record["id"]), company, title, text))
    return found


def save(call: Call, company: bool, template_id: str | None, title: str, text: str) -> str:
    body = {"displayName": title, "body": {"text": text}}
    try:
        if template_id is None:
            answer = call("POST", _base(company), json=body) or {}
        else:
            answer = call("PUT", f"{_base(company)}/{template_id}", json=body) or {}
    except ApiRefused as exc:
        raise PlatformRefused(f"RingCentral refused the template: {exc.message}") from None
    return str(answer.get("id") or template_id)


def remove(call: Call, company: bool, template_id: str) -> None:
    try:
        call("DELETE", f"{_base(company)}/{template_id}")
    except ApiRefused as exc:
        if exc.status != 404:
            raise PlatformRefused(
                f"RingCentral refused to delete the template: {exc.message}"
            ) from None
