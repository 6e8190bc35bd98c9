"""Company and personal SMS templates: list, create, edit, delete, reorder, fill.

A list is one (account, scope, owner): the account's company templates, or one user's
personal ones. Every change locks the list's owner row (``FOR NO KEY UPDATE`` on
PostgreSQL; SQLite serialises writers anyway), then reads, checks and writes, so counts
and dense positions stay right when two people edit the same list at once. The unique
(list, position) constraint is the backstop if anything slips through.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from widget import audit
from widget.access import is_personal_to
from widget.errors import Conflict, Forbidden, Invalid, NotFound
from widget.extensions import db
from widget.models import Account, Extension, SmsTemplate, TemplateScope
from widget.models.sms_template import (
    PARKING_POSITION,
    TEMPLATE_BODY_LIMIT,
    TEMPLATE_LIMITS,
    TEMPLATE_TITLE_LIMIT,
)
from widget.sms_templates import platform_sync
from widget.sms_templates.variables import Filled, RecipientValues, fill, variable_errors


class TemplateInvalid(Exception):
    """The submitted template cannot be saved; ``errors`` maps a field (or "form") to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class TemplateList:
    """One list as the manager shows it."""

    scope: TemplateScope
    templates: list[SmsTemplate]
    editable: bool
    limit: int
    errors: dict[str, str] = field(default_factory=dict)
    draft: dict[str, str] = field(default_factory=dict)

    @property
    def full(self) -> bool:
        return len(self.templates) >= self.limit


def _owner_key(extension: Extension, scope: TemplateScope) -> int:
    return extension.id if scope == TemplateScope.PERSONAL else 0


def _list_query(extension: Extension, scope: TemplateScope):
    return select(SmsTemplate).where(
        SmsTemplate.account_id == extension.account_id,
        SmsTemplate.scope == scope,
        SmsTemplate.owner_key == _owner_key(extension, scope),
    )


def list_templates(extension: Extension, scope: TemplateScope) -> list[SmsTemplate]:
    """Return the templates of ``extension``'s list in ``scope``, in order."""
    return list(db.session.scalars(_list_query(extension, scope).order_by(SmsTemplate.position)))


def can_edit(extension: Extension, scope: TemplateScope) -> bool:
    return scope == TemplateScope.PERSONAL or extension.is_admin


def template_list(extension: Extension, scope: TemplateScope) -> TemplateList:
    return TemplateList(
        scope=scope,
        templates=list_templates(extension, scope),
        editable=can_edit(extension, scope),
        limit=TEMPLATE_LIMITS[scope],
    )


def parse_scope(value: str | None) -> TemplateScope:
    try:
        return TemplateScope(value or "")
    except ValueError:
        raise Invalid("Choose “personal” or “company” templates.", "scope") from None


def get_template(extension: Extension, template_id: int) -> SmsTemplate:
    """Return a template ``extension`` may see; ``NotFound`` for anyone else's or none."""
    template = db.session.get(SmsTemplate, template_id)
    visible = template is not None and template.account_id == extension.account_id
    if visible and template.scope == TemplateScope.PERSONAL:
        visible = is_personal_to(extension, template.owner_extension_id)
    if not visible:
        raise NotFound("That template does not exist.")
    return template


def _require_editor(extension: Extension, scope: TemplateScope) -> None:
    if not can_edit(extension, scope):
        raise Forbidden("Only an administrator can change company templates.")


def _lock_list(extension: Extension, scope: TemplateScope) -> list[SmsTemplate]:
    """Lock the list's owner row for this transaction; return the list, in order."""
    owner = (
        select(Account.id).where(Account.id == extension.account_id)
        if scope == TemplateScope.COMPANY
        else select(Extension.id).where(Extension.id == extension.id)
    )
    # NO KEY UPDATE: blocks other template writers, not rows that merely reference the owner.
    db.session.execute(owner.with_for_update(key_share=True))
    return list(
        db.session.scalars(
            _list_query(extension, scope)
            .order_by(SmsTemplate.position)
            .with_for_update()
            # Rows read before the lock may be stale: another writer may have just moved them.
            .execution_options(populate_existing=True)
        )
    )


def _clean(title: str | None, body: str | None) -> tuple[str, str]:
    """Return the trimmed title and body, or raise ``TemplateInvalid`` naming each problem."""
    title = (title or "").strip()
    # Browsers send textarea line breaks as CRLF; count and store them as one character.
    body = (body or "").replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the template a title."
    elif len(title) > TEMPLATE_TITLE_LIMIT:
        errors["title"] = f"Titles are limited to {TEMPLATE_TITLE_LIMIT} characters."
    if not body:
        errors["body"] = "Write the template's text."
    elif len(body) > TEMPLATE_BODY_LIMIT:
        errors["body"] = (
            f"Templates are limited to {TEMPLATE_BODY_LIMIT} characters; this one has {len(body)}."
        )
    else:
        problems = variable_errors(body)
        if problems:
            errors["body"] = " ".join(problems)
    if errors:
        raise TemplateInvalid(errors)
    return title, body


def _audit_company_change(
    extension: Extension, scope: TemplateScope, action: str, summary: str, diff: str = ""
) -> None:
    # Company templates are an admin's change to everyone's composer: audit-logged with
    # the change itself. Personal templates are nobody else's business.
    if scope == TemplateScope.COMPANY:
        audit.record(extension, action, "Company SMS templates", summary, diff)


def _template_text(template: SmsTemplate | None) -> str:
    return f"{template.title}\n{template.body}" if template is not None else ""


def _commit_or_conflict() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "The template list changed while you were editing it. Reload and try again.",
        ) from None


def create_template(
    extension: Extension,
    scope: TemplateScope,
    title: str | None,
    body: str | None,
    *,
    audited: bool = True,
) -> SmsTemplate:
    """Append a template to ``extension``'s list in ``scope`` and return it.

    Raises ``Forbidden`` when a non-admin adds a company template and
    ``TemplateInvalid`` for bad fields or a full list.
    """
    _require_editor(extension, scope)
    title, body = _clean(title, body)
    existing = _lock_list(extension, scope)
    limit = TEMPLATE_LIMITS[scope]
    if len(existing) >= limit:
        db.session.rollback()
        raise TemplateInvalid(
            {
                "form": f"You already have {limit} {scope.value} templates, the most allowed. "
                "Delete one to add another."
            }
        )
    template = SmsTemplate(
        account_id=extension.account_id,
        scope=scope,
        owner_extension_id=extension.id if scope == TemplateScope.PERSONAL else None,
        owner_key=_owner_key(extension, scope),
        position=len(existing),
        title=title,
        body=body,
    )
    db.session.add(template)
    diff = audit.text_diff("", _template_text(template), "before", "after")
    if audited:
        _audit_company_change(extension, scope, "template.add", f"Added “{title}”", diff)
    _commit_or_conflict()
    platform_sync.push(extension, template.id)
    return template


def update_template(
    extension: Extension, template: SmsTemplate, title: str | None, body: str | None
) -> SmsTemplate:
    """Change a template's title and text; same errors as ``create_template``."""
    _require_editor(extension, template.scope)
    title, body = _clean(title, body)
    if (title, body) == (template.title, template.body):
        return template  # nothing changed: no write, no audit entry, no platform push
    before = _template_text(template)
    template.title = title
    template.body = body
    diff = audit.text_diff(before, _template_text(template), "before", "after")
    _audit_company_change(extension, template.scope, "template.edit", f"Edited “{title}”", diff)
    _commit_or_conflict()
    platform_sync.push(extension, template.id)
    return db.session.get(SmsTemplate, template.id)


def delete_template(extension: Extension, template: SmsTemplate) -> None:
    """Remove a template and close the gap it leaves in its list's positions."""
    _require_editor(extension, template.scope)
    templates = _lock_list(extension, template.scope)
    if template not in templates:
        db.session.rollback()
        raise NotFound("That template does not exist.")
    diff = audit.text_diff(_template_text(template), "", "before", "after")
    summary = f"Deleted “{template.title}”"
    _audit_company_change(extension, template.scope, "template.delete", summary, diff)
    removed = (template.scope == TemplateScope.COMPANY, template.platform_template_id)
    db.session.delete(template)
    db.session.flush()
    # One row at a time, lowest first: each move lands on a position already freed.
    for position, remaining in enumerate(t for t in templates if t.id != template.id):
        if remaining.position != position:
            remaining.position = position
            db.session.flush()
    _commit_or_conflict()
    platform_sync.push_removal(extension, *removed)


def move_template(extension: Extension, template: SmsTemplate, position: int) -> None:
    """Move a template to ``position`` (0 is the top), shifting the ones in between."""
    _require_editor(extension, template.scope)
    templates = _lock_list(extension, template.scope)
    if not 0 <= position < len(templates):
        db.session.rollback()
        raise Invalid(
            f"Position {position} is out of range: this list has positions 0 to "
            f"{len(templates) - 1}.",
            "position",
        )
    start = template.position
    if template not in templates:
        db.session.rollback()
        raise NotFound("That template does not exist.")
    if position == start:
        db.session.rollback()
        return
    template.position = PARKING_POSITION
    db.session.flush()
    step = 1 if position > start else -1
    # Shift the neighbours toward the old slot, nearest first, so each lands on a free one.
    for index in range(start + step, position + step, step):
        templates[index].position -= step
        db.session.flush()
    template.position = position
    summary = f"Moved “{template.title}” to position {position + 1}"
    _audit_company_change(extension, template.scope, "template.move", summary)
    _commit_or_conflict()


def parse_position(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Invalid("The new position must be a whole number.", "position") from None


@dataclass(frozen=True)
class PickerItem:
    template: SmsTemplate
    filled: Filled


def picker_items(
    extension: Extension, scope: TemplateScope, context: RecipientValues
) -> list[PickerItem]:
    """Return ``extension``'s templates in ``scope`` with variables filled for ``context``."""
    return [PickerItem(t, fill(t.body, context)) for t in list_templates(extension, scope)]


def count_templates(extension: Extension, scope: TemplateScope) -> int:
    return db.session.scalar(
        select(func.count()).select_from(_list_query(extension, scope).subquery())
    )


DEMO_COMPANY_TEMPLATES = [
    (
        "Thanks for reaching out",
        "Hi {{contact.first_name}}, thanks for contacting "
        "{{company.name}}! We'll get back to you shortly.",
    ),
    (
        "Appointment reminder",
        "Hi {{contact.first_name}}, a reminder of your appointment "
        "tomorrow. Reply C to confirm or call us to reschedule. {{company.name}}",
    ),
    (
        "After hours",
        "Thanks for your message. Our office is closed now; we reply first thing tomorrow morning.",
    ),
]
DEMO_PERSONAL_TEMPLATES = {
    "101": [
        (
            "Call me back",
            "Hi {{contact.first_name}}, this is {{user.first_name}}. Please call "
            "me back at extension {{user.extension}} when you have a minute.",
        ),
        ("On my way", "On my way, see you in 15 minutes. {{user.name}}"),
    ],
}


def seed_templates(account: Account) -> None:
    """Give the demo account a few company templates and ext. 101 personal ones (once)."""
    admin = next((e for e in account.extensions if e.is_admin), None)
    if admin is None or count_templates(admin, TemplateScope.COMPANY):
        return
    for title, body in DEMO_COMPANY_TEMPLATES:
        # Shipped with the demo, not an admin's change: no audit entry.
        create_template(admin, TemplateScope.COMPANY, title, body, audited=False)
    for extension in account.extensions:
        for title, body in DEMO_PERSONAL_TEMPLATES.get(extension.extension_number, []):
            create_template(extension, TemplateScope.PERSONAL, title, body)
