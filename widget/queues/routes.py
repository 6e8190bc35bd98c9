"""Views of the queue controls: availability, claim, release, transfer, resolve, notes,
and browsing a queue's conversations.

Each view is thin: access and rules are the services' (``cases``, ``manage``); the
answer is the conversation's thread (``#thread``) with the Queue section out of band,
rendered from the same blocks the page and the pushed frames use.
"""

from __future__ import annotations

from flask import Blueprint, request

from widget import htmx_support
from widget.access import case_for, queue_for
from widget.auth.service import login_required
from widget.errors import Conflict, Invalid
from widget.extensions import db
from widget.inbox import fragments
from widget.inputs import parse_id
from widget.models import Conversation, Extension, QueueConversation
from widget.queues import browse, cases, manage, views

bp = Blueprint("queues", __name__, url_prefix="/widget/queues")


def _thread_and_section(
    viewer: Extension, case: QueueConversation, status: int = 200, **section
) -> object:
    conversation = db.session.get(Conversation, case.conversation_id)
    html = fragments.render_thread(viewer, conversation)
    html += views.render("queue_section", oob=True, **views.section_context(viewer, **section))
    return htmx_support.make_fragment_response(html, status)


@bp.get("/section")
@login_required
def section(extension):
    """The Queue section (for a reload of the list)."""
    return views.render_section(extension)


@bp.get("/<int:queue_id>/conversations")
@login_required
def conversations(extension, queue_id: int):
    """A member browses the queue's resolved (or all) conversations, newest first,
    optionally searched; shown in the thread panel."""
    args = request.args
    page = browse.browse(extension, queue_id, args.get("show"), args.get("q"), args.get("before"))
    return views.render("queue_browse", page=page, extension=extension)


@bp.post("/<int:queue_id>/availability")
@login_required
def availability(extension, queue_id: int):
    """The "Available" toggle: only available members are offered new conversations."""
    queue = queue_for(extension, queue_id)
    values = request.form.getlist("available")
    manage.set_available(queue, extension, "1" in values)
    return views.render_section(extension)


@bp.post("/cases/<int:case_id>/claim")
@login_required
def claim(extension, case_id: int):
    """Claim a waiting conversation; 409 naming who has it when someone was first."""
    try:
        case = cases.claim(extension, case_id)
    except Conflict as refused:
        case = case_for(extension, case_id)
        return _thread_and_section(extension, case, 409, notice=refused.message)
    return _thread_and_section(extension, case)


@bp.post("/cases/<int:case_id>/release")
@login_required
def release(extension, case_id: int):
    """Give the conversation back to the queue."""
    return _thread_and_section(extension, cases.release(extension, case_id))


def _target(raw: str) -> dict:
    kind, _, raw_id = (raw or "").partition(":")
    target_id = parse_id(raw_id)
    if kind not in ("member", "queue") or target_id is None:
        raise Invalid("Choose a member or a queue to transfer to.", "to")
    return {"to_member_id" if kind == "member" else "to_queue_id": target_id}


@bp.post("/cases/<int:case_id>/transfer")
@login_required
def transfer(extension, case_id: int):
    """Hand the conversation to a member or another queue, with a note."""
    form = request.form
    case = cases.transfer(extension, case_id, note=form.get("note"), **_target(form.get("to")))
    return _thread_and_section(extension, case)


@bp.post("/cases/<int:case_id>/resolve")
@login_required
def resolve(extension, case_id: int):
    """Resolve with a reason (Resolved, No response, Spam, or Other with its text)."""
    form = request.form
    case = cases.resolve(extension, case_id, form.get("reason"), form.get("reason_text"))
    return _thread_and_section(extension, case)


@bp.post("/cases/<int:case_id>/notes")
@login_required
def note(extension, case_id: int):
    """Add an internal note (members only; never sent as SMS)."""
    cases.add_note(extension, case_id, request.form.get("text"))
    return _thread_and_section(extension, case_for(extension, case_id))
