"""Views of scheduled send: schedule from a thread or Compose, edit, cancel.

A thread's answer is its fresh reply form plus its scheduled list out of band; Compose's
answer closes the panel with a notice. Errors come back in the form that caused them.
"""

from __future__ import annotations

from flask import current_app, request
from jinja2_fragments.flask import render_block
from markupsafe import escape

from widget import htmx_support
from widget.access import conversation_for
from widget.auth.service import login_required
from widget.compose.presenters import new_idempotency_key
from widget.compose.recipients import parse_recipients
from widget.compose.routes import PANEL, list_oob, panel_context, uploaded_file
from widget.errors import DomainError
from widget.extensions import db
from widget.models import Conversation
from widget.scheduled import bp, service
from widget.scheduled.service import LaterDraft
from widget.scheduled.tasks import wake_at
from widget.templating import user_time

LIST = "scheduled/_list.html"


def _draft() -> LaterDraft:
    form = request.form
    return LaterDraft(
        text=form.get("text", ""),
        send_at=form.get("send_at", ""),
        sender=form.get("from", ""),
        picture=uploaded_file("attachment"),
    )


def _list_block(extension, conversation: Conversation, oob: bool = False, **values) -> str:
    return render_block(
        LIST, "scheduled_list", extension=extension, conversation=conversation, oob=oob, **values
    )


def _form_status(exc: DomainError) -> int:
    """A form shown again with its errors is a 422, as the compose forms answer."""
    return 422 if exc.status == 400 else exc.status


def _field_errors(exc: DomainError) -> dict[str, str]:
    field = exc.field if exc.field in ("text", "send_at", "from", "to", "attachment") else "form"
    return {field: exc.message}


@bp.post("/conversations/<int:conversation_id>")
@login_required
def schedule_in_thread(extension, conversation_id: int):
    """Schedule the reply form's text; a fresh form and the conversation's scheduled list."""
    conversation = conversation_for(extension, conversation_id, change=True)
    draft = _draft()
    context = {"extension": extension, "conversation": conversation}
    try:
        row = service.schedule_reply(extension, conversation, draft)
    except DomainError as exc:
        form = render_block(
            "compose/_reply.html",
            "reply_form",
            **context,
            field_errors=_field_errors(exc),
            text=draft.text,
            send_at=draft.send_at,
            sender=draft.sender,
            reply_key=request.form.get("idempotency_key") or new_idempotency_key(),
        )
        return htmx_support.make_fragment_response(form, _form_status(exc))
    wake_at(row.send_at)
    form = render_block(
        "compose/_reply.html", "reply_form", **context, reply_key=new_idempotency_key()
    )
    return htmx_support.make_fragment_response(form + _list_block(**context, oob=True))


@bp.post("/compose")
@login_required
def schedule_from_compose(extension):
    """Schedule the compose form's text, one per recipient; the panel closes with a notice."""
    draft = _draft()
    entries = [*request.form.getlist("to"), request.form.get("q", "")]
    entries = [e for e in entries if e.strip()]
    try:
        rows = service.schedule_compose(extension, entries, draft)
    except DomainError as exc:
        context = panel_context(
            extension,
            recipients=parse_recipients(extension, entries, _region()) if entries else [],
            text=draft.text,
            sender=draft.sender,
            send_at=draft.send_at,
            field_errors=_field_errors(exc),
        )
        html = render_block(PANEL, "panel", **context)
        return htmx_support.make_fragment_response(html, _form_status(exc))
    wake_at(rows[0].send_at)
    when = user_time(rows[0].send_at, extension.timezone, "full")
    labels = ", ".join(r.label for r in parse_recipients(extension, entries, _region()))
    notice = f"Scheduled for {when} to {labels}. It is listed in the conversation until it goes."
    flash = (
        '<div id="flash" hx-swap-oob="innerHTML">'
        f'<p class="notice" role="status">{escape(notice)}</p></div>'
    )
    return htmx_support.make_fragment_response(list_oob(extension) + flash)


def _region() -> str:
    return current_app.config["DEFAULT_REGION"]


def _row_answer(extension, row, error: DomainError | None = None):
    conversation = (
        db.session.get(Conversation, row.conversation_id) if row.conversation_id else None
    )
    if conversation is None:
        return htmx_support.make_fragment_response("", _form_status(error) if error else 200)
    errors = {row.id: error.message} if error else None
    html = _list_block(extension, conversation, errors=errors)
    return htmx_support.make_fragment_response(html, _form_status(error) if error else 200)


@bp.post("/<int:scheduled_id>/edit")
@login_required
def edit(extension, scheduled_id: int):
    """Change a scheduled message's text and time; the conversation's scheduled list."""
    row = service.own_scheduled(extension, scheduled_id)
    try:
        row = service.edit(extension, scheduled_id, _draft())
    except DomainError as exc:
        return _row_answer(extension, row, exc)
    wake_at(row.send_at)
    return _row_answer(extension, row)


@bp.post("/<int:scheduled_id>/cancel")
@login_required
def cancel(extension, scheduled_id: int):
    """Cancel a scheduled message; the conversation's scheduled list without it."""
    row = service.own_scheduled(extension, scheduled_id)
    try:
        row = service.cancel(extension, scheduled_id)
    except DomainError as exc:
        return _row_answer(extension, row, exc)
    return _row_answer(extension, row)
