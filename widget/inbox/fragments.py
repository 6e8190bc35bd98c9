"""The one owner of the inbox page's named blocks and the context each of them needs.

``inbox/widget.html`` has blocks that several capabilities send: the inbox views, compose
(after a send), lifecycle (after a delete) and real-time frames. Each block's context is
built here and nowhere else, so a row pushed over the websocket, a row returned by a
delete and a row of a reloaded list are the same markup from the same data.

Blocks and their builders:

- ``list`` / ``more_rows``: :func:`list_context` (a page of rows for a filter);
- ``row``: :func:`row_context` (one row of :func:`rows`);
- ``tab_counts``: :func:`counts_context`;
- ``thread`` / ``earlier_messages``: :func:`thread_context`;
- ``bubble``: :func:`bubble_context` (the names a bubble shows for its messages);
- ``typing``: :func:`typing_context`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from flask import current_app, has_request_context, request

from widget.inbox.presenters import (
    RowView,
    conversation_title,
    people_of,
    row_views,
    sender_names,
)
from widget.inbox.search import snippets
from widget.inbox.service import ListFilter, list_conversations, thread_messages, unread_counts
from widget.models import Conversation, Extension, Message

PAGE = "inbox/widget.html"


# Where a request keeps what every block of the page sees besides its own context.
_PAGE_CONTEXT = "sidetalk.inbox_page_context"


def render(block: str, **context) -> str:
    """Render one named block of the inbox page with ``context``.

    As ``jinja2_fragments``' ``render_block`` does, with what every block sees besides
    its own context (the environment's globals, then the context processors' values)
    merged once per request rather than once per block: a pushed frame renders five or
    six blocks, and that merge (a walk of the globals' ``ChainMap`` and every context
    processor) cost as much as rendering a row.
    """
    app = current_app._get_current_object()
    template = app.jinja_env.get_template(PAGE)
    shared = _page_context(app, template)
    context = app.jinja_env.context_class(
        app.jinja_env, {**shared, **context}, template.name, template.blocks
    )
    return app.jinja_env.concat(template.blocks[block](context))


def _page_context(app, template) -> dict:
    """The globals and context processors' values of this request, merged once."""
    if has_request_context():
        cached = request.environ.get(_PAGE_CONTEXT)
        if cached is not None:
            return cached
    processed: dict = {}
    app.update_template_context(processed)
    shared = {**template.globals, **processed}
    if has_request_context():
        request.environ[_PAGE_CONTEXT] = shared
    return shared


# -- list, rows and counts -------------------------------------------------------------------


def list_context(extension: Extension, flt: ListFilter, before: str | None = None) -> dict:
    """Context of ``list`` (or ``more_rows`` with ``before``): a page of rows and the counts."""
    page = list_conversations(extension, flt, before, current_app.config["PAGE_SIZE"])
    rows = row_views(extension, page.rows)
    if flt.query:
        marked = snippets(extension, page.rows, flt.query, page.queue_mailboxes)
        rows = [replace(r, snippet=marked.get(r.conversation.id)) for r in rows]
    return {
        "extension": extension,
        "filter": flt,
        "rows": rows,
        "next_cursor": page.next_cursor,
        "counts": unread_counts(extension),
    }


def rows(
    extension: Extension, conversations: Iterable[Conversation], names: dict | None = None
) -> list[RowView]:
    """The row views of ``conversations``, names and media looked up in one batch."""
    return row_views(extension, conversations, names)


def row_context(extension: Extension, row: RowView, oob: bool = False) -> dict:
    """Context of ``row``; ``oob`` replaces the row already on the page by its id."""
    return {"extension": extension, "row": row, "oob": oob}


def counts_context(extension: Extension, counts: dict[str, int] | None = None) -> dict:
    """Context of ``tab_counts``: unread messages per type tab (read unless given)."""
    return {"counts": unread_counts(extension) if counts is None else counts}


def render_list(extension: Extension, flt: ListFilter, before: str | None = None) -> str:
    """The first page of the list (``list``), or a later one (``more_rows``) after ``before``."""
    return render("more_rows" if before else "list", **list_context(extension, flt, before))


def render_rows(extension: Extension, conversations: Iterable[Conversation]) -> str:
    """Each conversation's row, replacing its row on the page (out of band)."""
    return "".join(
        render("row", **row_context(extension, row, oob=True))
        for row in rows(extension, conversations)
    )


def render_counts(extension: Extension, counts: dict[str, int] | None = None) -> str:
    """The tab counts, out of band (the badges carry ``hx-swap-oob`` themselves)."""
    return render("tab_counts", **counts_context(extension, counts))


# -- threads and bubbles ---------------------------------------------------------------------


def bubble_context(
    extension: Extension, conversation: Conversation, messages, names: dict | None = None
) -> dict:
    """What every ``bubble`` of ``messages`` needs beside its message: sender names."""
    return {
        "extension": extension,
        "conversation": conversation,
        "names": sender_names(extension, messages, names),
    }


def thread_context(
    extension: Extension, conversation: Conversation, before: str | None = None
) -> dict:
    """Context of ``thread`` (or ``earlier_messages`` with ``before``): a page of messages."""
    messages, earlier = thread_messages(conversation, before)
    context = bubble_context(extension, conversation, messages)
    context.update(
        title=conversation_title(conversation, context["names"]),
        people=people_of(extension, conversation),
        messages=messages,
        earlier_cursor=earlier,
    )
    return context


def render_thread(extension: Extension, conversation: Conversation) -> str:
    """The open thread: its newest page of messages, header and reply box."""
    return render("thread", **thread_context(extension, conversation))


def render_earlier(extension: Extension, conversation: Conversation, before: str) -> str:
    """The page of messages before ``before`` (``earlier_messages``)."""
    return render("earlier_messages", **thread_context(extension, conversation, before))


def render_bubbles(
    extension: Extension, conversation: Conversation, messages: list[Message], oob: bool = False
) -> str:
    """The bubbles of ``messages`` (all in ``conversation``), each replacing its old one
    when ``oob``."""
    context = bubble_context(extension, conversation, messages)
    return "".join(render("bubble", message=m, oob=oob, **context) for m in messages)


def render_people(extension: Extension, conversation: Conversation) -> str:
    """The thread header's line of members, out of band (a member joined or left)."""
    people = people_of(extension, conversation)
    return render("thread_people", conversation=conversation, people=people, oob=True)


def typing_context(conversation: Conversation, typer: str | None) -> dict:
    """Context of ``typing``: who is typing in ``conversation`` (None clears it)."""
    return {"conversation": conversation, "typer": typer, "oob": True}
