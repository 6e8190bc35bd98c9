"""Replying in a queue conversation: who sends, claim-on-send, and internal notes.

A queue conversation lives in the queue's mailbox, so a member's reply goes out from
that mailbox (the queue's number) and lands in the shared thread. Replying to a waiting
conversation claims it first, with the same single-winner rule as the Claim button; a
conversation another member holds is refused (409 naming them). A reply sent with the
composer's "Note" toggle is an internal note: recorded on the case, never sent.
"""

from __future__ import annotations

from jinja2_fragments.flask import render_block

from widget import htmx_support
from widget.compose.presenters import new_idempotency_key
from widget.errors import Invalid
from widget.extensions import db
from widget.models import Conversation, Extension
from widget.queues import cases as queue_cases
from widget.queues.events import announce
from widget.queues.views import render_pills
from widget.realtime.frames import insert


def is_shared(actor: Extension, conversation: Conversation) -> bool:
    """Whether ``conversation`` is a queue's the actor reads as a member."""
    return conversation.extension_id != actor.id


def sending_mailbox(actor: Extension, conversation: Conversation) -> Extension:
    """The mailbox a reply in ``conversation`` is sent from; claims a waiting case."""
    if not is_shared(actor, conversation):
        return actor
    case = queue_cases.require_open(queue_cases.latest_case(conversation.id))
    claimed = queue_cases.claim_on_send(actor, case)
    db.session.commit()
    if claimed is not None:
        announce(case, [claimed])
    return db.session.get(Extension, conversation.extension_id)


def note_response(actor: Extension, conversation: Conversation, text: str | None):
    """Record the composer's text as a note; answer a fresh form and the note's pill."""
    case = queue_cases.latest_case(conversation.id) if is_shared(actor, conversation) else None
    if case is None:
        raise Invalid("Notes belong to queue conversations.", "as_note")
    event = queue_cases.add_note(actor, case.id, text)
    form = render_block(
        "compose/_reply.html",
        "reply_form",
        extension=actor,
        conversation=conversation,
        reply_key=new_idempotency_key(),
    )
    pill = insert("ol", f"bubbles-{conversation.id}", "beforeend", render_pills([event], actor))
    return htmx_support.make_fragment_response(form + pill)
