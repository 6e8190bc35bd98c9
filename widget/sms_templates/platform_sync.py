"""One set of templates with the platform (RingCentral's ``message-store-templates``).

Local changes are pushed right after their commit; a push that fails is left to the next
``reconcile``, which also brings in what changed on the platform (made in the
RingCentral app, or by another Sidetalk server): templates the platform has and Sidetalk
not are added, changed ones updated, ones deleted there deleted here, and local ones the
platform never heard of pushed. The platform is called with no transaction open.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from widget.extensions import db
from widget.models import Extension, SmsTemplate, TemplateScope
from widget.models.sms_template import TEMPLATE_BODY_LIMIT, TEMPLATE_LIMITS, TEMPLATE_TITLE_LIMIT
from widget.platforms import get_platform
from widget.platforms.base import PlatformRefused, PlatformRetryable

log = logging.getLogger(__name__)


def _keeps() -> bool:
    return get_platform().keeps_templates


def push(extension: Extension, template_id: int) -> None:
    """Create or update ``template_id`` at the platform; remember its platform id."""
    if not _keeps():
        return
    template = db.session.get(SmsTemplate, template_id)
    if template is None:
        return
    company = template.scope == TemplateScope.COMPANY
    known, title, text = template.platform_template_id, template.title, template.body
    db.session.rollback()  # no transaction open across the platform call
    try:
        platform_id = get_platform().save_template(extension, company, known, title, text)
    except (PlatformRefused, PlatformRetryable) as exc:
        log.warning("template %s not pushed (reconciled later): %s", template_id, exc.message)
        return
    if platform_id != known:
        template = db.session.get(SmsTemplate, template_id)
        if template is not None:
            template.platform_template_id = platform_id
            db.session.commit()


def push_removal(extension: Extension, company: bool, platform_template_id: str | None) -> None:
    if not _keeps() or platform_template_id is None:
        return
    try:
        get_platform().remove_template(extension, company, platform_template_id)
    except (PlatformRefused, PlatformRetryable) as exc:
        log.warning(
            "template %s not deleted at the platform: %s", platform_template_id, exc.message
        )


def reconcile(extension: Extension) -> None:
    """Make the user's and the company's lists match the platform's, both ways."""
    if not _keeps():
        return
    db.session.rollback()
    try:
        remote = get_platform().list_templates(extension)
    except (PlatformRefused, PlatformRetryable) as exc:
        log.info("templates of extension %s not reconciled: %s", extension.id, exc.message)
        return
    to_push = []
    for scope in (TemplateScope.PERSONAL, TemplateScope.COMPANY):
        company = scope == TemplateScope.COMPANY
        theirs = {t.id: t for t in remote if t.company == company}
        owner_key = 0 if company else extension.id
        ours = list(
            db.session.scalars(
                select(SmsTemplate)
                .where(
                    SmsTemplate.account_id == extension.account_id,
                    SmsTemplate.scope == scope,
                    SmsTemplate.owner_key == owner_key,
                )
                .order_by(SmsTemplate.position)
            )
        )
        kept = []
        for template in ours:
            match = theirs.pop(template.platform_template_id or "", None)
            if template.platform_template_id and match is None:
                db.session.delete(template)  # deleted in RingCentral
                continue
            if match is not None:
                template.title = match.title[:TEMPLATE_TITLE_LIMIT]
                template.body = match.text[:TEMPLATE_BODY_LIMIT]
            elif not company or extension.is_admin:
                to_push.append(template.id)
            kept.append(template)
        db.session.flush()
        # Close the gaps left by deletions, lowest first (positions are unique).
        for position, template in enumerate(kept):
            if template.position != position:
                template.position = position
                db.session.flush()
        for new in list(theirs.values())[: max(0, TEMPLATE_LIMITS[scope] - len(kept))]:
            db.session.add(
                SmsTemplate(
                    account_id=extension.account_id,
                    scope=scope,
                    owner_extension_id=None if company else extension.id,
                    owner_key=owner_key,
                    position=len(kept),
                    title=new.title[:TEMPLATE_TITLE_LIMIT],
                    body=new.text[:TEMPLATE_BODY_LIMIT],
                    platform_template_id=new.id,
                )
            )
            kept.append(new)
            db.session.flush()
    db.session.commit()
    for template_id in to_push:
        push(extension, template_id)
