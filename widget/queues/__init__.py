"""Shared SMS inboxes (queues): claim, release, transfer, resolve, notes, timeouts.

Model (``widget.models.queue``)
    ``Queue`` (name, numbers through its mailbox extension of kind ``Department``,
    settings: ``claim_timeout_minutes``, ``no_reply_timeout_minutes``,
    ``idle_resolve_hours``, ``overflow_queue_id``); ``QueueMember`` (``available``);
    ``QueueConversation`` — one *case* on a conversation of the queue's mailbox
    (``claimed_by_id``, ``resolved_at``/``resolve_reason``/``resolve_text``,
    ``previous_id`` linking a reopened case to the resolved one, ``first_message_id``);
    ``QueueEvent`` — everything that happened to a case (``QueueEventKind``: arrived,
    claimed, released, transferred, resolved, timed_out, reopened, overflowed, note),
    with actor, target (member or queue), reason and text. Notes are events, never SMS.

Access (``widget.access``)
    ``queue_for(actor, queue_id)`` and ``case_for(actor, case_id)`` raise ``NotFound``
    unless the actor is a member; ``may_read`` / ``conversation_for`` / ``message_for``
    let members read a queue conversation; ``conversation_to_reply`` lets them send in it
    while it waits or is theirs (409 naming the holder otherwise); ``may_change`` stays
    one's own mailbox (the shared copy is not deleted or marked by one member).

Service API (each takes the acting ``Extension``; commits and announces)
    ``manage``: ``create_queue(account, name, numbers, **settings)`` (caller commits),
    ``change_settings``, ``add_member``, ``remove_member`` (their claims return to the
    queue), ``set_available``, ``queues_of``, ``account_queues``, ``queue_named``.
    ``cases``: ``claim`` (single winner: conditional UPDATE; losers get ``Conflict``
    "Claimed by NAME"), ``release``, ``transfer(to_member_id=|to_queue_id=, note=)``,
    ``resolve(reason, text)``, ``add_note``, ``claim_on_send`` (in the sender's
    transaction), ``latest_case``, ``open_case``.
    ``arrivals``: the ingestion hook; a customer text opens a case (or a new, linked one
    after Resolve) with ARRIVED (and REOPENED) events in the message's own transaction.
    ``timeouts.sweep(now)``: the three timeouts (periodic task ``tasks.sweep_queues``).
    ``history``: ``messages_of(case)`` (exactly the case's messages), ``timeline``,
    ``events_of_conversation``, ``previous_cases``.

Seams for other capabilities
    - ``events.queue_changed`` (blinker signal), sent after every commit that changed a
      case, with the case as sender and ``events=[QueueEvent, ...]``: realtime pushes and
      per-case CRM logging listen here (log body: ``history.messages_of`` + the case's
      ``events``, which include claim/transfer history and notes).
    - Who wrote each reply: only the member holding a case can send in it (claim-on-send),
      so an outbound message's agent is the holder at its time, read from the case's
      CLAIMED / TRANSFERRED / RELEASED events (the message itself is the queue's).
    - ``Platform.queue_events_committed(case, events)`` (``widget.platforms.base``),
      called after the commit: a no-op for the sandbox (queues are native); the place
      for RingCentral's message-threads mapping (assign, resolve, notes).
    - ``remote.apply_thread_states``: the other way. The periodic ``read_back_threads``
      task hands it to ``Platform.read_back_threads``; a case follows what was changed in
      the platform's own app with the same events, marked ``from_platform`` (never told
      back), idempotently.
"""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup


def init_app(app: Flask) -> None:
    """Register the views, the template helpers, the receivers and the timeout task."""
    from widget.inbox.ingest import message_ingested, messages_changed
    from widget.queues import arrivals, push, tasks  # noqa: F401 (registers the task)
    from widget.queues.events import queue_changed
    from widget.queues.routes import bp

    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        queue_section=queue_section,
        queue_thread=queue_thread,
        queue_pills=queue_pills,
        queue_controls=queue_controls,
        queue_resolved_note=queue_resolved_note,
    )
    message_ingested.connect(arrivals.on_message_ingested)
    messages_changed.connect(arrivals.on_messages_changed)
    messages_changed.connect(push.on_messages_changed)
    queue_changed.connect(push.on_queue_changed)
    # Per-case CRM logging sits below queues: hand it the case readers and the events.
    from widget.crm_logging import case_logs
    from widget.crm_logging import tasks as crm_tasks
    from widget.queues.cases import latest_case
    from widget.queues.history import messages_of

    case_logs.use_queue_history(latest_case, messages_of)
    queue_changed.connect(crm_tasks.on_queue_changed)


def queue_section(extension) -> Markup:
    """The Queue section at the top of the list (hidden for someone in no queue)."""
    from widget.queues.views import render_section

    return Markup(render_section(extension))  # noqa: S704 (autoescaped template output)


def queue_thread(extension, conversation, messages=(), earlier_cursor=None):
    """The queue side of a thread (controls, pills placed among ``messages``), or None."""
    from widget.queues.views import thread_context

    found = thread_context(extension, conversation)
    return found.place(list(messages), bool(earlier_cursor)) if found else None


def queue_pills(events, extension) -> Markup:
    """Case events as pills (notes as notes) in a thread."""
    from widget.queues.views import render_pills

    return Markup(render_pills(events, extension))  # noqa: S704 (autoescaped template output)


def queue_controls(queue_thread, conversation) -> Markup:
    """A queue conversation's header controls (Claim, Release, Transfer, Resolve)."""
    from widget.queues.views import render

    html = render("queue_controls", qt=queue_thread, conversation=conversation)
    return Markup(html)  # noqa: S704 (autoescaped template output)


def queue_resolved_note(queue_thread) -> Markup:
    """What stands in for the reply box of a resolved case."""
    from widget.queues.views import render

    return Markup(render("queue_resolved", qt=queue_thread))  # noqa: S704 (autoescaped template output)
