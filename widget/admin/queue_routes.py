"""The console's queue page: shared inboxes, their numbers, members and timeouts.

Each form answers with the block it changed (one queue's card, or the list with the
new-queue form); a refused change answers 422 with the same block and the error beside
the field, and changes nothing.
"""

from __future__ import annotations

from flask import current_app, g, render_template, request
from jinja2_fragments.flask import render_block

from widget import htmx_support
from widget.admin import bp
from widget.admin import queues as admin_queues
from widget.errors import DomainError, NotFound
from widget.extensions import db
from widget.queues.manage import DEFAULT_SETTINGS

QUEUES_PAGE = "admin/queues.html"


def _context(**extra) -> dict:
    context = {
        "admin": g.admin,
        "views": admin_queues.overview(g.admin),
        "timeouts": admin_queues.TIMEOUTS,
        "error": None,
        "error_queue_id": None,
        "message": None,
        "message_queue_id": None,
        # A new queue's form starts from the usual timeouts.
        "draft": {key: str(value) for key, value in DEFAULT_SETTINGS.items()},
        "oob": False,
    }
    context.update(extra)
    return context


def _block(name: str, status: int = 200, **extra):
    html = render_block(QUEUES_PAGE, name, **_context(**extra))
    return htmx_support.make_fragment_response(html, status)


def _card(queue_id: int, work, done: str):
    """Run ``work`` on the admin's queue ``queue_id``; answer with the queue list, the
    queue's card showing ``done`` or the error."""
    queue = admin_queues.queue_of(g.admin, queue_id)  # 404 before anything else
    try:
        outcome = work(queue)
    except NotFound:
        raise
    except DomainError as refused:
        db.session.rollback()  # a refused change leaves nothing half-made behind
        return _block("queue_list", 422, error=refused, error_queue_id=queue_id)
    return _block("queue_list", message=done.format(outcome=outcome), message_queue_id=queue_id)


def _region() -> str:
    return current_app.config["DEFAULT_REGION"]


@bp.get("/queues")
def queues_page():
    """The queues of the company: numbers, members, timeouts; forms to change them."""
    return render_template(QUEUES_PAGE, **_context())


@bp.post("/queues")
def create_queue():
    """Create a queue; the list with the new queue, or 422 with the form's errors."""
    try:
        queue = admin_queues.create(g.admin, request.form, _region())
    except DomainError as refused:
        db.session.rollback()
        response = _block("new_queue", 422, error=refused, draft=request.form)
        return htmx_support.retarget(response, "#new-queue", swap="outerHTML")
    context = _context(message=f"Queue {queue.name} created.", message_queue_id=queue.id)
    html = render_block(QUEUES_PAGE, "queue_list", **context)
    # The form empties for the next queue.
    html += render_block(QUEUES_PAGE, "new_queue", **{**context, "oob": True})
    return htmx_support.make_fragment_response(html)


@bp.post("/queues/<int:queue_id>/settings")
def update_queue_settings(queue_id: int):
    """Save a queue's timeouts and overflow queue."""
    return _card(
        queue_id, lambda q: admin_queues.update_settings(g.admin, q, request.form), "Saved."
    )


@bp.post("/queues/<int:queue_id>/members")
def add_queue_member(queue_id: int):
    """Add one of the company's users to the queue."""
    extension_id = request.form.get("extension_id", "")
    if not extension_id.isdigit():
        raise NotFound("That user does not exist.")
    return _card(
        queue_id, lambda q: admin_queues.add_member(g.admin, q, int(extension_id)), "Member added."
    )


@bp.post("/queues/<int:queue_id>/members/<int:extension_id>/remove")
def remove_queue_member(queue_id: int, extension_id: int):
    """Take a member out of the queue; their open conversations go back to the queue."""
    return _card(
        queue_id,
        lambda q: admin_queues.remove_member(g.admin, q, extension_id),
        "Member removed; {outcome} open conversation(s) went back to the queue.",
    )


@bp.post("/queues/<int:queue_id>/numbers")
def add_queue_number(queue_id: int):
    """Give the queue one more number."""
    raw = request.form.get("number", "")
    return _card(
        queue_id,
        lambda q: admin_queues.add_number(g.admin, q, raw, _region()),
        "{outcome} now reaches this queue.",
    )


@bp.post("/queues/<int:queue_id>/numbers/remove")
def remove_queue_number(queue_id: int):
    """Take a number away from the queue (never its last one)."""
    e164 = request.form.get("number", "")
    return _card(
        queue_id,
        lambda q: admin_queues.remove_number(g.admin, q, e164),
        "Number removed.",
    )
