"""Full-text search over all of a mailbox's history, and the highlighted line a row shows.

The words of a query are matched as word prefixes ("ship" finds "shipment"), all of
them in one message, through the index of ``widget.models.search`` (PostgreSQL
full-text, SQLite FTS5): the cost follows the matches, not the mailbox. Numbers are
matched on the conversation's parties in any format, names through the contacts
(``widget.inbox.service``). A row found by its text shows the newest matching message
with the query's words marked, escaped like any other message text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape
from sqlalchemy import bindparam, func, literal_column, or_, select, text, union_all

from widget.access import Mailbox, messages_visible_to
from widget.contacts.service import escape_like
from widget.extensions import db
from widget.models import Availability, Conversation, Extension, Message
from widget.models.queries import dialect_name
from widget.models.search import PG_DOCUMENT

MAX_WORDS = 8
SNIPPET_LENGTH = 120
SNIPPET_LEAD = 30
# Letters and digits; everything else (underscore too) separates words, as in the index.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def query_words(query: str) -> list[str]:
    """The words of ``query`` (letters and digits; punctuation separates them)."""
    return [w.lower() for w in _WORD.findall(query)][:MAX_WORDS]


def _match_expression(words: list[str]) -> str:
    """The index's own query syntax: every word, as a prefix. Words are ``\\w+`` only,
    so nothing in them is syntax; FTS5 still gets them quoted."""
    if dialect_name() == "postgresql":
        return " & ".join(f"{w}:*" for w in words)
    return " AND ".join(f'"{w}"*' for w in words)


def _text_match(words: list[str]):
    """The index lookup: messages whose text holds every word."""
    expression = _match_expression(words)
    if dialect_name() == "postgresql":
        query = func.to_tsquery(literal_column("'simple'"), bindparam("search_match", expression))
        return literal_column(PG_DOCUMENT).op("@@")(query)
    return Message.id.in_(
        select(literal_column("rowid"))
        .select_from(text("messages_fts"))
        .where(text("messages_fts MATCH :search_match").bindparams(search_match=expression))
    )


def _literally(query: str):
    """The query as typed, punctuation included, in the text or the transcription."""
    pattern = f"%{escape_like(query.strip())}%"
    return or_(
        Message.subject.ilike(pattern, escape="\\"),
        Message.transcription.ilike(pattern, escape="\\"),
    )


def matching(actor: Extension, query: str) -> list:
    """Conditions on ``Message``: ``actor``'s alive messages matching ``query``."""
    return matching_where(messages_visible_to(actor), query)


def _matching_in_each(actor: Extension, query: str, queue_mailboxes, column, *extra):
    """``column`` of the matching messages of ``actor``'s mailbox and of each of
    ``queue_mailboxes`` (their queues'), one leg per mailbox: each leg keeps the one
    mailbox's plan (its index walked for the index's matches), which an ``IN`` list of
    mailboxes loses on SQLite (it walks every alive message instead)."""
    legs = [select(column).where(*matching(actor, query), *extra)]
    legs += [
        select(column).where(*matching_where(mailbox.where(Message), query), *extra)
        for mailbox in queue_mailboxes
    ]
    return legs[0] if len(legs) == 1 else union_all(*legs)


def matching_where(visible, query: str) -> list:
    """Conditions on ``Message``: alive messages kept by ``visible`` matching ``query``
    (a queue searches its own mailbox with this).

    Its words go through the index; punctuation is not indexed, so a query holding
    some ("50%", "C:\\temp") also needs the text as typed, checked on the messages the
    index found (or, for punctuation alone, on the mailbox's messages).
    """
    words = query_words(query)
    conditions = [visible, Message.availability == Availability.ALIVE]
    if words:
        conditions.append(_text_match(words))
    if not query.strip() or any(not (c.isalnum() or c.isspace()) for c in query):
        conditions.append(_literally(query))
    return conditions


def text_condition(actor: Extension, query: str, queue_mailboxes: tuple[Mailbox, ...] = ()):
    """Conversations holding a message that matches ``query``: ``actor``'s own, and
    those of ``queue_mailboxes`` (``widget.access.queue_mailboxes_of``)."""
    return Conversation.id.in_(
        _matching_in_each(actor, query, queue_mailboxes, Message.conversation_id)
    )


def highlight(source: str, words: list[str]) -> Markup:
    """``source`` around its first matching word, escaped, each matching word in <mark>."""
    if words:
        alternatives = "|".join(re.escape(w) for w in words)
        pattern = re.compile(rf"(?<![^\W_])({alternatives})[^\W_]*", re.IGNORECASE)
    else:
        return escape(" ".join(source.split())[:SNIPPET_LENGTH])
    text_ = " ".join(source.split())
    first = pattern.search(text_)
    # From the start when the first match shows there; else from a little before it.
    start = 0
    if first is not None and first.end() > SNIPPET_LENGTH:
        start = first.start() - SNIPPET_LEAD
    window = text_[start : start + SNIPPET_LENGTH]
    pieces: list[str] = ["…"] if start else []
    position = 0
    for found in pattern.finditer(window):
        pieces.append(escape(window[position : found.start()]))
        pieces.append(Markup("<mark>%s</mark>") % window[found.start() : found.end()])
        position = found.end()
    pieces.append(escape(window[position:]))
    if start + SNIPPET_LENGTH < len(text_):
        pieces.append("…")
    return Markup("").join(pieces)


def snippets(
    actor: Extension,
    conversations: Iterable[Conversation],
    query: str,
    queue_mailboxes: tuple[Mailbox, ...] = (),
) -> dict[int, Markup]:
    """For each conversation found by its text, its newest matching message, marked."""
    words = query_words(query)
    ids = [c.id for c in conversations]
    if not query.strip() or not ids:
        return {}
    on_page = Message.conversation_id.in_(ids)
    if queue_mailboxes:
        found_ids = _matching_in_each(actor, query, queue_mailboxes, Message.id, on_page)
        wanted = [Message.id.in_(found_ids)]
    else:
        wanted = [*matching(actor, query), on_page]
    rows = db.session.execute(
        select(Message.conversation_id, Message.subject, Message.transcription)
        .where(*wanted)
        .order_by(Message.conversation_id, Message.created_at.desc(), Message.id.desc())
        .limit(len(ids) * 20)
    )
    found: dict[int, Markup] = {}
    for conversation_id, subject, transcription in rows:
        if conversation_id in found:
            continue
        source = subject if _contains_all(subject, words) else (transcription or subject)
        found[conversation_id] = highlight(source or "", words)
    return found


def _contains_all(source: str, words: list[str]) -> bool:
    lowered = source.lower()
    return bool(source) and all(w in lowered for w in words)
