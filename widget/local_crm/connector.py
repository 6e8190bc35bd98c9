"""``LocalConnector``: the embedded CRM, behind the same interface as Salesforce.

It writes through its own database session, as a separate system would: a log it
created is committed by the time ``create_message_log`` returns, whatever Sidetalk's
engine does next. ``log_key`` is unique per account, so creating twice returns the same
activity (a truly idempotent create) and ``find_message_log`` is one indexed lookup.
Bodies arrive in ``text/html`` composed (and escaped) by Sidetalk; the activities page
still renders them inside a sandboxed frame, never trusting them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import contextmanager
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.base import AuthType, Connector
from connectors.errors import CrmNotFound, CrmValidationError
from connectors.records import RELATED_TO, LogFormat, LogResult, MatchedRecord, MessageLogWrite
from connectors.session import CrmSession
from widget.extensions import db
from widget.inputs import parse_id
from widget.local_crm.models import (
    LocalCrmAccount,
    LocalCrmActivity,
    LocalCrmContact,
    LocalCrmLead,
    LocalCrmOpportunity,
)
from widget.models.types import utcnow

RECORD_TYPES = {"Contact": LocalCrmContact, "Lead": LocalCrmLead, "Account": LocalCrmAccount}
PREFIXES = {"Contact": "contact", "Lead": "lead", "Account": "account"}
NAME_SEARCH_LIMIT = 20


def record_ref(record_type: str, pk: int) -> str:
    """Return the id the rest of Sidetalk uses for a record (``contact-3``)."""
    return f"{PREFIXES[record_type]}-{pk}"


def parse_ref(ref: str) -> tuple[str, int] | None:
    """Return ``(record type, primary key)`` of a reference, or None when malformed."""
    prefix, _, number = (ref or "").partition("-")
    record_type = next((t for t, p in PREFIXES.items() if p == prefix), None)
    pk = parse_id(number)
    if record_type is None or pk is None:
        return None
    return record_type, pk


def _absolute(path: str) -> str:
    # The local CRM is served by Sidetalk itself: its pages live under PUBLIC_URL.
    base = current_app.config.get("PUBLIC_URL", "") if has_app_context() else ""
    return f"{str(base).rstrip('/')}{path}"


def record_url(record_type: str, ref: str) -> str:
    return _absolute(f"/crm/local/records/{record_type}/{ref}")


def activity_url(activity_id: int | str) -> str:
    return _absolute(f"/crm/local/activities/{activity_id}")


def _escape_like(text: str) -> str:
    # The user's text matches literally: LIKE wildcards in it are not wildcards.
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_column(model: Any) -> Any:
    """Return the SQL expression of a record's display name (as ``row.name`` builds it)."""
    if model is LocalCrmAccount:
        return model.name
    return model.first_name + " " + model.last_name


def _tenant(session: CrmSession) -> int:
    account_id = session.config.get("sidetalk_account_id")
    if not isinstance(account_id, int):
        raise CrmValidationError("The local CRM needs a Sidetalk account.", ["account"])
    return account_id


def related_options(crm_account: LocalCrmAccount | None) -> list[dict[str, str]]:
    """Return "Related to" options: the account and its open opportunities."""
    if crm_account is None:
        return []
    options = [
        {"const": record_ref("Account", crm_account.id), "title": f"Account: {crm_account.name}"}
    ]
    options += [
        {"const": f"opportunity-{opp.id}", "title": f"Opportunity: {opp.name}"}
        for opp in crm_account.opportunities
        if not opp.is_closed
    ]
    return options


def _matched(record_type: str, row: Any, crm_account: LocalCrmAccount | None) -> MatchedRecord:
    ref = record_ref(record_type, row.id)
    info = {} if record_type == "Lead" else {RELATED_TO: related_options(crm_account)}
    return MatchedRecord(
        id=ref,
        name=row.name,
        type=record_type,
        phone=row.phone_e164,
        additional_info=info,
        updated_at=row.updated_at,
        created_at=row.created_at,
        url=record_url(record_type, ref),
    )


@contextmanager
def crm_session():
    """A session of the local CRM's own, committed or rolled back here."""
    with Session(db.engine, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise


class LocalConnector(Connector):
    """The built-in CRM: contacts, leads, accounts, opportunities and logged activities."""

    id = "local"
    display_name = "Local CRM"

    def get_auth_type(self) -> AuthType:
        """Return ``"none"``: the local CRM is part of Sidetalk (manifests cannot say so)."""
        return "none"

    def get_log_format_type(self) -> LogFormat:
        """Return ``"text/html"`` (bodies are escaped HTML, shown in a sandboxed frame)."""
        return "text/html"

    def get_user_info(self, session: CrmSession) -> dict[str, Any]:
        """Return the Sidetalk user as the CRM user (the local CRM has no accounts of its own)."""
        return {
            "id": f"sidetalk-{_tenant(session)}",
            "name": session.config.get("sidetalk_user_name"),
        }

    def find_contact(self, session: CrmSession, phone_e164: str) -> list[MatchedRecord]:
        """Return contacts, leads and accounts whose phone is ``phone_e164``."""
        return self._matching(session, lambda model: model.phone_e164 == phone_e164)

    def search_contacts(self, session: CrmSession, text: str) -> list[MatchedRecord]:
        """Return up to ``NAME_SEARCH_LIMIT`` contacts, leads and accounts whose name
        contains ``text`` (any case)."""
        pattern = f"%{_escape_like(text.strip())}%"
        return self._matching(
            session,
            lambda model: _name_column(model).ilike(pattern, escape="\\"),
            limit=NAME_SEARCH_LIMIT,
        )

    @staticmethod
    def _matching(
        session: CrmSession, condition: Callable[[Any], Any], limit: int | None = None
    ) -> list[MatchedRecord]:
        """Return the account's records meeting ``condition``, contacts, leads, accounts."""
        tenant = _tenant(session)
        found: list[MatchedRecord] = []
        with crm_session() as s:
            for record_type, model in RECORD_TYPES.items():
                query = select(model).where(model.account_id == tenant, condition(model))
                for row in s.scalars(query.order_by(model.id).limit(limit)):
                    crm_account = (
                        row if record_type == "Account" else getattr(row, "crm_account", None)
                    )
                    found.append(_matched(record_type, row, crm_account))
        return found[:limit]

    def create_contact(
        self,
        session: CrmSession,
        phone_e164: str,
        name: str,
        contact_type: str,
        additional_submission: Mapping[str, Any],
    ) -> MatchedRecord:
        """Create a Contact, Lead or Account with the number; return it as a match."""
        tenant = _tenant(session)
        if contact_type not in RECORD_TYPES:
            raise CrmValidationError(f"Unknown record type {contact_type!r}.", ["contactType"])
        first, _, last = name.strip().rpartition(" ")
        with crm_session() as s:
            if contact_type == "Account":
                row: Any = LocalCrmAccount(
                    account_id=tenant, name=name.strip(), phone_e164=phone_e164
                )
            elif contact_type == "Lead":
                company = str(additional_submission.get("company") or "").strip()
                row = LocalCrmLead(
                    account_id=tenant,
                    first_name=first,
                    last_name=last,
                    company=company,
                    phone_e164=phone_e164,
                )
            else:
                row = LocalCrmContact(
                    account_id=tenant, first_name=first, last_name=last, phone_e164=phone_e164
                )
            s.add(row)
            s.commit()
            crm_account = row if contact_type == "Account" else None
            return _matched(contact_type, row, crm_account)

    # -- logs ----------------------------------------------------------------------------------

    def _check_record(self, s: Session, tenant: int, log: MessageLogWrite) -> str | None:
        """Validate the record and "Related to"; return the related option's title."""
        parsed = parse_ref(log.record.id)
        model = RECORD_TYPES.get(parsed[0]) if parsed else None
        row = s.get(model, parsed[1]) if model and parsed else None
        if row is None or row.account_id != tenant:
            raise CrmValidationError(f"Record {log.record.id} does not exist.", ["record"])
        if not log.related_to_id:
            return None
        crm_account = row if parsed[0] == "Account" else getattr(row, "crm_account", None)
        for option in related_options(crm_account):
            if option["const"] == log.related_to_id:
                return option["title"]
        raise CrmValidationError(
            f"Related to: {log.related_to_id} is not related to {log.record.name}.", [RELATED_TO]
        )

    @staticmethod
    def _apply(activity: LocalCrmActivity, log: MessageLogWrite, related_title: str | None) -> None:
        activity.record_type = log.record.type
        activity.record_ref = log.record.id
        activity.record_name = log.record.name
        activity.related_to_ref = log.related_to_id
        activity.related_to_title = related_title
        activity.subject = log.subject[:255]
        activity.body = log.body
        activity.body_format = "text/html"
        activity.activity_date = log.activity_date
        activity.message_type = log.message_type
        activity.fields = {k: v for k, v in log.additional_submission.items() if k != RELATED_TO}
        activity.logged_by = log.user_name
        activity.updated_at = utcnow()

    def create_message_log(self, session: CrmSession, log: MessageLogWrite) -> LogResult:
        """Create the activity for ``log.log_key`` (or return the one that already exists)."""
        tenant = _tenant(session)
        with crm_session() as s:
            related_title = self._check_record(s, tenant, log)
            activity = self._by_key(s, tenant, log.log_key)
            if activity is None:
                activity = LocalCrmActivity(
                    account_id=tenant, log_key=log.log_key, revision_count=1
                )
                self._apply(activity, log, related_title)
                try:
                    with s.begin_nested():
                        s.add(activity)
                except IntegrityError:
                    # Created concurrently under the same key: that one is ours too.
                    activity = self._by_key(s, tenant, log.log_key)
                    if activity is None:
                        raise
                else:
                    s.commit()
                    return LogResult(str(activity.id), activity_url(activity.id))
            activity.revision_count += 1
            self._apply(activity, log, related_title)
            s.commit()
            return LogResult(str(activity.id), activity_url(activity.id))

    def update_message_log(
        self, session: CrmSession, log_id: str, log: MessageLogWrite
    ) -> LogResult:
        """Replace the activity's content; ``CrmNotFound`` when it was deleted."""
        tenant = _tenant(session)
        with crm_session() as s:
            activity = self._own_activity(s, tenant, log_id)
            related_title = self._check_record(s, tenant, log)
            activity.revision_count += 1
            self._apply(activity, log, related_title)
            s.commit()
            return LogResult(str(activity.id), activity_url(activity.id))

    def move_message_log(self, session: CrmSession, log_id: str, log: MessageLogWrite) -> LogResult:
        """Re-parent the activity to ``log.record`` under its new key; ``CrmNotFound`` if
        it was deleted. Moving it again (a retry) changes nothing more."""
        tenant = _tenant(session)
        with crm_session() as s:
            activity = self._own_activity(s, tenant, log_id)
            related_title = self._check_record(s, tenant, log)
            other = self._by_key(s, tenant, log.log_key)
            if other is not None and other.id != activity.id:
                raise CrmValidationError(
                    f"{log.record.name} already has this day's activity {other.id}.", ["record"]
                )
            activity.log_key = log.log_key
            activity.revision_count += 1
            self._apply(activity, log, related_title)
            s.commit()
            return LogResult(str(activity.id), activity_url(activity.id))

    def delete_message_log(self, session: CrmSession, log_id: str) -> None:
        """Delete the activity; ``CrmNotFound`` when it is already gone."""
        tenant = _tenant(session)
        with crm_session() as s:
            s.delete(self._own_activity(s, tenant, log_id))
            s.commit()

    @staticmethod
    def _own_activity(s: Session, tenant: int, log_id: str) -> LocalCrmActivity:
        activity_id = parse_id(log_id)
        activity = s.get(LocalCrmActivity, activity_id) if activity_id is not None else None
        if activity is None or activity.account_id != tenant:
            raise CrmNotFound(f"Activity {log_id} does not exist.")
        return activity

    def find_message_log(self, session: CrmSession, log_key: str) -> str | None:
        """Return the id of the activity created for ``log_key``, or None."""
        with crm_session() as s:
            activity = self._by_key(s, _tenant(session), log_key)
            return str(activity.id) if activity else None

    @staticmethod
    def _by_key(s: Session, tenant: int, log_key: str) -> LocalCrmActivity | None:
        return s.scalar(
            select(LocalCrmActivity).where(
                LocalCrmActivity.account_id == tenant, LocalCrmActivity.log_key == log_key
            )
        )


__all__ = ["LocalConnector", "LocalCrmOpportunity", "parse_ref", "record_ref"]
