"""Views of sending: the compose panel, picker, send, reply, retry, fax and pager groups.

Each returns a named block (``compose/panel.html`` or a compose partial of the thread) plus
out-of-band updates of what else changed: the list, list rows, new bubbles.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from jinja2_fragments.flask import render_block
from markupsafe import escape

from widget import htmx_support
from widget.access import conversation_for, conversation_to_reply
from widget.auth.service import login_required
from widget.compose import bp, fax, pager, recipients, shared_reply
from widget.compose.presenters import group_members, new_idempotency_key
from widget.compose.recipients import Recipient, parse_recipient, parse_recipients
from widget.compose.retry import retry_message
from widget.compose.service import (
    Draft,
    Outcome,
    Upload,
    send_compose,
    send_reply,
)
from widget.compose.statuses import status_of
from widget.contacts.service import names_for
from widget.crm_logging.hooks import open_log_page_trigger
from widget.errors import DomainError, Invalid, NotFound
from widget.extensions import db
from widget.inbox import fragments
from widget.inbox.service import ListFilter
from widget.models import Conversation, Message, MessageType
from widget.phone import display

PANEL = "compose/panel.html"
MODES = ("message", "fax", "group")


def uploaded_file(name: str) -> Upload | None:
    """The uploaded file ``name``, read up to one byte past the limit (enough to refuse it)."""
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    data = file.stream.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
    size = None
    if file.stream.seekable():
        size = file.stream.seek(0, 2)  # the real size, for a refusal that names it
    return Upload(filename=file.filename[:120], data=data, size=size)


def panel_context(extension, mode: str = "message", **values) -> dict:
    context = {
        "extension": extension,
        "mode": mode,
        "key": new_idempotency_key(),
        "recipients": [],
        "chip_field": "members" if mode == "group" else "to",
        "fax_numbers": fax.fax_numbers(extension),
        "field_errors": {},
    }
    context.update(values)
    return context


@bp.get("/")
@login_required
def panel(extension):
    """Return the compose panel (``panel`` block; the whole page outside htmx).

    ``mode`` is message, fax or group; ``to`` and ``text`` prefill it (SMS back, fax back).
    """
    mode = request.args.get("mode", "message")
    if mode not in MODES:
        raise Invalid(f"Unknown mode “{mode}”; choose one of {', '.join(MODES)}.", "mode")
    region = current_app.config["DEFAULT_REGION"]
    to = (request.args.get("to") or "").strip()[:40]
    chosen = parse_recipients(extension, [to], region) if to and mode != "fax" else []
    context = panel_context(
        extension, mode, recipients=chosen, to=to, text=(request.args.get("text") or "")[:1000]
    )
    if htmx_support.is_htmx_request():
        return render_block(PANEL, "panel", **context)
    return render_template(PANEL, **context)


@bp.get("/recipients")
@login_required
def recipient_options(extension):
    """Return the ``recipient_options`` block: picker matches for ``q``."""
    query = (request.args.get("q") or "").strip()
    found = recipients.search(extension, query)
    field = "members" if request.args.get("field") == "members" else "to"
    return render_block(PANEL, "recipient_options", candidates=found, query=query, field=field)


@bp.get("/chip")
@login_required
def chip(extension):
    """Return one recipient chip (``chip`` block), with its error when the entry is not valid."""
    raw = (request.args.get("to") or "").strip()[:100]
    region = current_app.config["DEFAULT_REGION"]
    recipient = parse_recipient(extension, raw, region)
    if recipient.address and not recipient.label:
        # A directory name wins; else the name the picker showed (a CRM contact), else the number.
        known = names_for(extension, [recipient.address]).get(recipient.address)
        picked = (request.args.get("label") or "").strip()[:100]
        label = known or picked or display(recipient.address, region)
        recipient = Recipient(raw=raw, address=recipient.address, label=label)
    field = "members" if request.args.get("field") == "members" else "to"
    return render_block(PANEL, "chip", recipient=recipient, chip_field=field)


def list_oob(extension) -> str:
    """The whole list (All tab, no search) and tab counts, out of band: where sends land."""
    context = fragments.list_context(extension, ListFilter())
    return (
        '<section id="list" hx-swap-oob="innerHTML">'
        + fragments.render("list", **context)
        + "</section>"
        + fragments.render("tab_counts", **context)
    )


def _flash_oob(text: str) -> str:
    notice = f'<p class="notice" role="status">{escape(text)}</p>'
    return f'<div id="flash" hx-swap-oob="innerHTML">{notice}</div>'


def _sent_summary(outcome: Outcome) -> str:
    """What happened to each message so far, in words: never "Sent" for one that failed."""
    by_word: dict[str, list[str]] = {}
    reasons: list[str] = []
    for item in outcome.sent:
        message = db.session.get(Message, item["message_id"])
        status = status_of(message) if message is not None else None
        if message is not None and message.type == MessageType.FAX:
            # The platform's page count (the cover page included), as the bubble shows it.
            pages = max((a.page_count or 0 for a in message.attachments), default=0)
            what = f"Fax of {pages} page{'s' if pages != 1 else ''}"
            verb = "could not be sent to" if status and status.failed else "sent to"
            by_word.setdefault(f"{what} {verb}", []).append(item["label"])
            continue
        if status is not None and status.failed:
            by_word.setdefault("Could not send to", []).append(item["label"])
            if status.reason and status.reason not in reasons:
                reasons.append(status.reason)
        elif status is not None and status.label == "Sending…":
            by_word.setdefault("Sending to", []).append(item["label"])
        else:
            by_word.setdefault("Sent to", []).append(item["label"])
    parts = [f"{word} {', '.join(labels)}." for word, labels in by_word.items()]
    return " ".join([*parts, *reasons, *outcome.notices]) if outcome.sent else ""


def _offer_log_page(response, extension, outcome: Outcome):
    """Let CRM logging open its panel after the day's first message ("Open SMS logging
    page after message"); only for a single message: with several recipients there is
    no one conversation to open."""
    if len(outcome.sent) == 1 and not outcome.replayed:
        message = db.session.get(Message, outcome.sent[0]["message_id"])
        if message is not None:
            open_log_page_trigger(response, extension, message)
    return response


def _landed(extension, outcome: Outcome):
    """Close the panel and show the list with the new conversations at the top."""
    html = list_oob(extension) + _flash_oob(_sent_summary(outcome))
    response = htmx_support.make_fragment_response(html)
    ids = sorted({item["conversation_id"] for item in outcome.sent})
    htmx_support.trigger(response, "sidetalk:sent", {"conversation_ids": ids})
    return _offer_log_page(response, extension, outcome)


def _form_draft() -> Draft:
    form = request.form
    entries = [*form.getlist("to"), form.get("q", "")]
    return Draft(
        key=form.get("idempotency_key", ""),
        text=form.get("text", ""),
        sender=form.get("from", ""),
        recipients=entries,
        attachment=uploaded_file("attachment"),
    )


@bp.post("/send")
@login_required
def send(extension):
    """Send the compose form: one message per recipient.

    All sent: the panel closes and the list (out of band) shows them. Otherwise 422 with the
    form again: bad recipients keep their chip with the error, sent ones are gone (and the
    list is updated out of band), and a fresh key once something went out.
    """
    draft = _form_draft()
    outcome = send_compose(extension, draft)
    if outcome.ok:
        return _landed(extension, outcome)
    context = panel_context(
        extension,
        recipients=outcome.unsent,
        text=draft.text,
        sender=draft.sender,
        field_errors=outcome.field_errors,
        notices=outcome.notices,
        sent=outcome.sent,
    )
    if not outcome.sent and not outcome.replayed:
        context["key"] = draft.key  # nothing went out: the same form may be sent again
    html = render_block(PANEL, "panel", **context)
    if outcome.sent:
        html += list_oob(extension)
    return htmx_support.make_fragment_response(html, 422)


def _bubbles_oob(extension, conversation: Conversation, message_ids: list[int]) -> str:
    messages = [m for i in message_ids if (m := db.session.get(Message, i))]
    mine = [m for m in messages if m.conversation_id == conversation.id]
    if not mine:
        return ""
    bubbles = fragments.render_bubbles(extension, conversation, mine)
    return f'<ol id="bubbles-{conversation.id}" hx-swap-oob="beforeend">{bubbles}</ol>'


def _rows_oob(extension, conversation_ids) -> str:
    conversations = [c for i in conversation_ids if (c := db.session.get(Conversation, i))]
    return fragments.render_rows(extension, conversations)


@bp.post("/conversations/<int:conversation_id>/reply")
@login_required
def reply(extension, conversation_id: int):
    """Reply in a conversation; return a fresh reply form, the new bubbles and rows (OOB).

    Errors re-render the form with them (422), keeping the text.
    """
    if request.form.get("as_note"):  # any member may note, whoever holds the conversation
        found = conversation_for(extension, conversation_id)
        return shared_reply.note_response(extension, found, request.form.get("text"))
    conversation = conversation_to_reply(extension, conversation_id)
    shared = shared_reply.is_shared(extension, conversation)
    draft = _form_draft()
    sender = shared_reply.sending_mailbox(extension, conversation)
    outcome = send_reply(sender, conversation, draft)
    context = {
        "extension": extension,
        "conversation": conversation,
        "field_errors": outcome.field_errors,
        "notices": outcome.notices + [r.error for r in outcome.refused],
    }
    if outcome.sent or outcome.replayed:
        context["reply_key"] = new_idempotency_key()
    else:
        context.update(reply_key=draft.key, text=draft.text, sender=draft.sender)
    if outcome.field_errors:
        context["text"] = draft.text
    html = render_block("compose/_reply.html", "reply_form", **context)
    ids = [item["message_id"] for item in outcome.sent]
    if not outcome.replayed:
        html += _bubbles_oob(extension, conversation, ids)
    if shared:  # no row in the member's own list; the Queue section is pushed
        return htmx_support.make_fragment_response(html, 200 if outcome.ok else 422)
    html += _rows_oob(extension, {item["conversation_id"] for item in outcome.sent})
    response = htmx_support.make_fragment_response(html, 200 if outcome.ok else 422)
    return _offer_log_page(response, extension, outcome)


@bp.post("/messages/<int:message_id>/retry")
@login_required
def retry(extension, message_id: int):
    """Send a failed message again; return its ``retry_slot`` and the new bubble (OOB)."""
    outcome = retry_message(extension, message_id)
    message = db.session.get(Message, message_id)
    html = render_block(
        "compose/_bubble_actions.html",
        "retry_slot",
        message=message,
        retried=True,
        retry_error=", ".join(r.error for r in outcome.refused),
    )
    if not outcome.replayed:
        ids = [item["message_id"] for item in outcome.sent]
        html += _bubbles_oob(extension, message.conversation, ids)
    html += _rows_oob(extension, {item["conversation_id"] for item in outcome.sent})
    return htmx_support.make_fragment_response(html)


@bp.post("/fax")
@login_required
def send_fax(extension):
    """Send the fax form: the panel closes and the list shows it, or 422 with the errors."""
    form = request.form
    draft = fax.FaxDraft(
        key=form.get("idempotency_key", ""),
        to=form.get("to", ""),
        sender=form.get("from", ""),
        cover_text=form.get("cover_text", ""),
        document=uploaded_file("document"),
    )
    outcome = fax.send_fax(extension, draft)
    if outcome.ok:
        return _landed(extension, outcome)
    context = panel_context(
        extension,
        "fax",
        to=draft.to,
        sender=draft.sender,
        cover_text=draft.cover_text,
        field_errors=outcome.field_errors,
        notices=[r.error for r in outcome.refused],
    )
    if not outcome.replayed:
        context["key"] = draft.key
    return htmx_support.make_fragment_response(render_block(PANEL, "panel", **context), 422)


@bp.post("/groups")
@login_required
def create_group(extension):
    """Create a pager group; return its (empty) thread and the list (OOB), or 422 and the form."""
    form = request.form
    entries = [*form.getlist("members"), form.get("q", "")]
    region = current_app.config["DEFAULT_REGION"]
    try:
        _group, conversation, members = pager.create_group(
            extension, form.get("name", ""), entries, region
        )
        errors = {}
    except DomainError as exc:
        conversation, errors = None, {exc.field or "form": exc.message}
        members = parse_recipients(extension, entries, region)
    if conversation is None:
        context = panel_context(
            extension, "group", name=form.get("name", ""), recipients=members, field_errors=errors
        )
        return htmx_support.make_fragment_response(render_block(PANEL, "panel", **context), 422)
    html = fragments.render_thread(extension, conversation)
    return htmx_support.make_fragment_response(html + list_oob(extension))


def _members_block(extension, conversation: Conversation, status: int = 200, **values):
    members = group_members(extension, conversation)
    if not members:
        html = '<p id="group-members" class="muted small">You left this group.</p>'
        return htmx_support.make_fragment_response(html, status)
    html = render_block(
        "compose/_thread_actions.html",
        "members",
        extension=extension,
        conversation=conversation,
        members=members,
        open=True,
        **values,
    )
    if status == 200:
        html += fragments.render_people(extension, conversation)
    return htmx_support.make_fragment_response(html, status)


@bp.post("/conversations/<int:conversation_id>/members")
@login_required
def add_member(extension, conversation_id: int):
    """Add a member to the group; return the ``members`` block (422 with the error)."""
    conversation = conversation_for(extension, conversation_id, change=True)
    entry = request.form.get("member", "")
    try:
        pager.add_member(extension, conversation, entry, current_app.config["DEFAULT_REGION"])
    except NotFound:
        raise
    except DomainError as exc:
        return _members_block(
            extension, conversation, 422, member_error=exc.message, member_entry=entry
        )
    return _members_block(extension, conversation)


@bp.post("/conversations/<int:conversation_id>/members/remove")
@login_required
def remove_member(extension, conversation_id: int):
    """Remove a member (or leave); return the ``members`` block (422 with the error)."""
    conversation = conversation_for(extension, conversation_id, change=True)
    try:
        pager.remove_member(extension, conversation, request.form.get("address", ""))
    except NotFound:
        raise
    except DomainError as exc:
        return _members_block(extension, conversation, 422, member_error=exc.message)
    return _members_block(extension, conversation)
