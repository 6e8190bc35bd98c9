"""What the Log panel shows: matching records, the manifest's form, links, and log status.

Plain functions of the signed-in extension and a conversation; the views in ``routes``
only parse requests and pick template blocks. The form always comes from the account's
ACTIVE manifest version (``manifests.active_platform``), never from the bundled file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit

from connectors.base import Connector
from connectors.errors import CrmAuthError, CrmError, CrmRetryableError
from connectors.records import RELATED_TO, MatchedRecord
from manifest import FormField, build_form, validate_submission
from widget.crm_logging import engine, manifests, selection
from widget.crm_logging.connections import connector_of
from widget.crm_logging.credentials import decrypt_credentials
from widget.crm_logging.selection import DayMessages
from widget.models import Channel, Conversation, CrmConnection, Extension

FIELD_PREFIX = "field_"
_PLACEHOLDER = re.compile(r"\{+\s*(hostname|contactId|contactType|logId)\s*\}+")
# The HTML preview is shown in <iframe sandbox srcdoc>: no scripts, an opaque origin, and
# this CSP forbids loading anything, so even a body that slipped past escaping is inert.
_FRAME_HEAD = (
    '<!doctype html><html><head><meta charset="utf-8">'
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    'style-src \'unsafe-inline\'"><base target="_blank">'
    "<style>body{font:13px/1.4 system-ui,sans-serif;margin:.4rem}ul{padding-left:1rem}</style>"
    "</head><body>"
)


@dataclass(frozen=True)
class CrmView:
    """The user's CRM as the panels need it: connector, active manifest, link base."""

    connection: CrmConnection
    connector: Connector
    platform: dict[str, Any]
    base_url: str

    @property
    def name(self) -> str:
        return str(self.platform.get("displayName") or self.connector.display_name)

    @property
    def log_format(self) -> str:
        """The MIME type of log bodies: text/plain, text/html or text/markdown."""
        return self.connector.get_log_format_type()

    @property
    def contact_types(self) -> list[tuple[str, str]]:
        """Return ``(value, label)`` of the manifest's ``contactTypes``."""
        types = []
        for item in self.platform.get("contactTypes") or []:
            if isinstance(item, dict) and item.get("value"):
                types.append((str(item["value"]), str(item.get("display") or item["value"])))
        return types

    def fields_of(self, page: str) -> list[dict[str, Any]]:
        fields = ((self.platform.get("page") or {}).get(page) or {}).get("additionalFields")
        return [f for f in fields or [] if isinstance(f, dict)]


@dataclass(frozen=True)
class RecordChoice:
    """A CRM record offered under "Name", for the conversation member ``address``."""

    record: MatchedRecord
    address: str
    url: str | None

    @property
    def label(self) -> str:
        return f"{self.record.name} ({self.record.type})"


@dataclass
class LogPanel:
    """Everything the panel renders for one conversation."""

    conversation: Conversation
    crm: CrmView
    choices: list[RecordChoice] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    chosen: RecordChoice | None = None
    fields: list[FormField] = field(default_factory=list)
    problem: str | None = None
    # The messages a Log would write, by day, each with its checkbox.
    messages: list[DayMessages] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return len(self.conversation.addresses) > 1


@dataclass(frozen=True)
class ActivityView:
    """One CRM activity of the conversation with its links (None when not buildable)."""

    log_date: date
    record_label: str
    state: str
    activity_id: int
    record_id: str
    last_error: str | None
    record_url: str | None
    log_url: str | None
    is_case: bool = False


@dataclass(frozen=True)
class StatusView:
    """The conversation's logged mark: written activities, pending, failed, decision."""

    activities: list[ActivityView]
    needs_decision: bool
    failed_error: str | None

    @property
    def pending(self) -> list[ActivityView]:
        return [a for a in self.activities if a.state == "pending"]

    @property
    def unreachable_error(self) -> str | None:
        """The last transient error of an activity still waiting for its retry."""
        return next((a.last_error for a in self.pending if a.last_error), None)

    @property
    def written(self) -> list[ActivityView]:
        """Activities the CRM has, newest day first."""
        return [a for a in self.activities if a.state == "written"]


def is_loggable(conversation: Conversation) -> bool:
    """Pager messages stay inside the company: only phone conversations go to a CRM."""
    return conversation.channel != Channel.PAGER


def crm_view(extension: Extension, local_base_url: str) -> CrmView:
    """Return the user's CRM; links use its instance URL, or ``local_base_url`` without one."""
    connection = engine.connection_for(extension)
    connector = connector_of(connection)
    credentials = decrypt_credentials(connection.encrypted_credentials)
    base_url = (credentials.instance_url if credentials else None) or local_base_url
    platform = manifests.active_platform(connection.connector_id, extension.account_id)
    return CrmView(connection, connector, platform, base_url)


def fill_url(template: Any, base_url: str, values: Mapping[str, Any]) -> str | None:
    """Return a manifest URL template filled in, or None when it cannot be built safely.

    ``{hostname}`` (or ``{{hostname}}``) is the host of ``base_url``; other placeholders
    are URL-encoded. A template written ``https://{hostname}`` keeps the scheme of
    ``base_url`` so the local CRM served over plain http still links correctly. Only
    http(s) results are returned: a manifest never gets to produce a ``javascript:`` link.
    """
    if not isinstance(template, str) or not template:
        return None
    base = urlsplit(base_url)
    missing = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        if name == "hostname":
            return base.netloc
        value = values.get(name)
        if value in (None, ""):
            missing = True
            return ""
        return quote(str(value), safe="")

    url = _PLACEHOLDER.sub(substitute, template)
    if missing:
        return None
    if template.startswith("https://") and base.scheme == "http" and "hostname" in template:
        url = "http://" + url[len("https://") :]
    return url if urlsplit(url).scheme in ("http", "https") else None


def record_url(crm: CrmView, record: MatchedRecord) -> str | None:
    """Return the link to the record's CRM page (manifest ``contactPageUrl``)."""
    values = {"contactId": record.id, "contactType": record.type}
    return fill_url(crm.platform.get("contactPageUrl"), crm.base_url, values) or (
        record.url if record.url and urlsplit(record.url).scheme in ("http", "https") else None
    )


def find_choices(
    extension: Extension, conversation: Conversation, crm: CrmView
) -> tuple[list[RecordChoice], list[str]]:
    """Return the records matching each member of the conversation, and unmatched members.

    Raises the connector's ``CrmError`` when the CRM cannot answer.
    """
    choices: list[RecordChoice] = []
    unmatched: list[str] = []
    seen: set[str] = set()
    for address in conversation.addresses:
        records = engine.find_records(extension, address)
        if not records:
            unmatched.append(address)
        for record in records:
            if record.id not in seen:
                seen.add(record.id)
                choices.append(RecordChoice(record, address, record_url(crm, record)))
    return choices, unmatched


def crm_problem(error: CrmError, crm_name: str) -> str:
    """Return what the panel says when the CRM could not be asked."""
    if isinstance(error, CrmRetryableError):
        return f"{crm_name} is unreachable right now ({error.message}); try again in a moment."
    if isinstance(error, CrmAuthError):
        return f"Your {crm_name} sign-in has expired ({error.message}); reconnect in Settings."
    return f"{crm_name} refused the request: {error.message}"


def log_form(crm: CrmView, record: MatchedRecord | None) -> list[FormField]:
    """Return the message-log fields for ``record`` (its Related-to options included)."""
    return build_form(crm.fields_of("messageLog"), record.additional_info if record else {})


def build_panel(
    extension: Extension,
    conversation: Conversation,
    crm: CrmView,
    record_id: str | None = None,
) -> LogPanel:
    """Return the panel for ``conversation`` with ``record_id`` (else the first match) chosen."""
    panel = LogPanel(conversation=conversation, crm=crm)
    try:
        panel.choices, panel.unmatched = find_choices(extension, conversation, crm)
    except CrmError as error:
        panel.problem = crm_problem(error, crm.name)
        return panel
    if record_id:
        panel.chosen = next((c for c in panel.choices if c.record.id == record_id), None)
    elif panel.choices:
        panel.chosen = panel.choices[0]
    panel.fields = log_form(crm, panel.chosen.record if panel.chosen else None)
    if panel.chosen is not None:
        panel.messages = selection.messages_to_choose(
            extension, conversation, panel.chosen.record.id
        )
    return panel


def skipped_messages(form: Mapping[str, Any] | None) -> set[int]:
    """Return the ids of the listed messages left unchecked in a submitted form."""
    if form is None or not hasattr(form, "getlist"):
        return set()
    return selection.skipped_ids(form.getlist("listed_message_id"), form.getlist("message_id"))


def read_submission(
    fields: list[FormField], form: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return ``(additional_submission, errors)`` for the submitted manifest fields."""
    return validate_submission(fields, form, prefix=FIELD_PREFIX)


def form_values(fields: list[FormField], form: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """Return what was filled in for ``fields`` (controls named ``prefix + const``)."""
    # Checkboxes send nothing when unchecked, so a submitted form means "unchecked".
    values: dict[str, Any] = {}
    for form_field in fields:
        key = prefix + form_field.const
        if form_field.type == "checkbox":
            values[form_field.const] = key in form
        elif key in form:
            values[form_field.const] = str(form.get(key) or "")
    return values


def submitted_values(fields: list[FormField], form: Mapping[str, Any]) -> dict[str, Any]:
    """Return what the user filled in, keyed by const, to show again in the form."""
    return form_values(fields, form, FIELD_PREFIX)


def default_form(fields: list[FormField]) -> dict[str, str]:
    """Return the form as the browser would submit it untouched (every default filled)."""
    form: dict[str, str] = {}
    for form_field in fields:
        if form_field.default is True:
            form[FIELD_PREFIX + form_field.const] = "true"
        elif form_field.default not in ("", False, None):
            form[FIELD_PREFIX + form_field.const] = str(form_field.default)
    return form


def related_to_id(submission: Mapping[str, Any]) -> str | None:
    value = submission.get(RELATED_TO)
    return str(value) if value else None


def preview_text(
    extension: Extension,
    conversation: Conversation,
    panel: LogPanel,
    form: Mapping[str, Any] | None = None,
) -> str | None:
    """Return what logging would write now, from the valid part of what is filled in.

    Without a ``form`` (the panel just opened) the fields' defaults are used.
    """
    if panel.chosen is None:
        return None
    skipped = skipped_messages(form)
    if form is None:
        form = default_form(panel.fields)
    submission, _errors = read_submission(panel.fields, form)
    return engine.compose_preview(
        extension, conversation, panel.chosen.record.id, submission, skip_message_ids=skipped
    )


def framed(body: str) -> str:
    """Return an HTML log body as the document of the preview's sandboxed frame."""
    return f"{_FRAME_HEAD}{body}</body></html>"


def _activity_url(crm: CrmView, values: Mapping[str, Any], connector_url: str | None) -> str | None:
    # The manifest's logPageUrl first (admins may point it elsewhere); else the link the
    # connector returned when it wrote the activity.
    built = fill_url(crm.platform.get("logPageUrl"), crm.base_url, values)
    if built or not connector_url:
        return built
    return connector_url if urlsplit(connector_url).scheme in ("http", "https") else None


def log_status(extension: Extension, conversation: Conversation, crm: CrmView) -> StatusView:
    """Return the conversation's log status with links built from the manifest templates."""
    status = engine.log_status(extension, conversation)
    views = []
    for activity in status.activities:
        values = {
            "contactId": activity.record_id,
            "contactType": activity.record_type,
            "logId": activity.crm_log_id,
        }
        views.append(
            ActivityView(
                log_date=activity.log_date,
                record_label=f"{activity.record_name} ({activity.record_type})",
                state=activity.state,
                activity_id=activity.activity_id,
                record_id=activity.record_id,
                last_error=activity.last_error,
                record_url=fill_url(crm.platform.get("contactPageUrl"), crm.base_url, values),
                log_url=_activity_url(crm, values, activity.crm_log_url),
                is_case=activity.is_case,
            )
        )
    return StatusView(views, bool(status.needs_decision), status.failed_error)
