"""The full-text index over message text and voicemail transcriptions.

PostgreSQL: a GIN index on ``to_tsvector('simple', subject || ' ' || transcription)``
('simple': no stemming and no stop words, so any language and any word are found),
punctuation turned into spaces first so that "report_final.pdf" is three words there
as in FTS5 (PostgreSQL's parser would keep it whole, as a file name).
SQLite: an FTS5 table over the same two columns, kept in step with ``messages`` by
triggers (``content='messages'``: the text is stored once, in ``messages``).

Both are created with the tables (``create_all``) and by migration 0006. They are not
model objects, so autogenerate is told to leave them alone (``is_search_object``).
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from widget.models.message import Message

SEARCH_TABLE = "messages_fts"
SEARCH_INDEX = "ix_messages_search"
# The indexed document on PostgreSQL: the query must repeat this expression exactly.
PG_DOCUMENT = (
    "to_tsvector('simple', regexp_replace("
    "coalesce(subject, '') || ' ' || coalesce(transcription, ''), '[^[:alnum:]]+', ' ', 'g'))"
)

POSTGRESQL_DDL = (
    f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON messages USING gin ({PG_DOCUMENT})",
)
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(subject, transcription,"
    " content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN"
    " INSERT INTO messages_fts(rowid, subject, transcription)"
    " VALUES (new.id, new.subject, new.transcription); END",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN"
    " INSERT INTO messages_fts(messages_fts, rowid, subject, transcription)"
    " VALUES ('delete', old.id, old.subject, old.transcription); END",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF subject, transcription"
    " ON messages BEGIN INSERT INTO messages_fts(messages_fts, rowid, subject, transcription)"
    " VALUES ('delete', old.id, old.subject, old.transcription);"
    " INSERT INTO messages_fts(rowid, subject, transcription)"
    " VALUES (new.id, new.subject, new.transcription); END",
)
# Index what the table held before the index existed (a migrated database).
SQLITE_REBUILD = "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')"


def is_search_object(name: str | None) -> bool:
    """Whether ``name`` is part of the search index (FTS5 makes shadow tables too)."""
    return bool(name) and (name.startswith(SEARCH_TABLE) or name == SEARCH_INDEX)


for _statement in POSTGRESQL_DDL:
    event.listen(
        Message.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
for _statement in SQLITE_DDL:
    event.listen(Message.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
event.listen(
    Message.__table__,
    "before_drop",
    DDL(f"DROP TABLE IF EXISTS {SEARCH_TABLE}").execute_if(dialect="sqlite"),
)
