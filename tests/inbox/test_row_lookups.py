"""The per-page lookups behind list rows: names by precedence and the newest media.

Both run as prebuilt statements with a list parameter (an array on PostgreSQL, an
expanding IN on SQLite), so every test here runs on both databases.
"""

from __future__ import annotations

from flask import current_app, url_for

from tests.helpers import add_contact
from tests.mailbox import ALICE_NUMBER, BOB_NUMBER, JANE, MARCO
from tests.records import T0, minutes, voicemail
from widget.contacts.service import names_for
from widget.extensions import db
from widget.inbox.ingest import ingest_record
from widget.inbox.presenters import read_media_signature, row_views
from widget.inbox.service import ListFilter, list_conversations
from widget.models import Attachment, ContactSource

CALLER = "+13125550140"
OTHER_CALLER = "+13125550141"


def _contact(mailbox, number: str, source: ContactSource, owner=None, **names) -> None:
    add_contact(mailbox.account.id, number, source, owner.id if owner else None, **names)


def test_names_follow_source_precedence(any_db_mailbox):
    mailbox = any_db_mailbox
    # The same number as Alice's personal contact and as a directory contact: the
    # directory wins. A contact on a colleague's number loses to the colleague.
    _contact(mailbox, CALLER, ContactSource.PERSONAL, mailbox.alice, first_name="Mine")
    _contact(mailbox, CALLER, ContactSource.DIRECTORY, first_name="Front", last_name="Desk")
    _contact(mailbox, BOB_NUMBER, ContactSource.DIRECTORY, first_name="Old", last_name="Bob")
    _contact(mailbox, OTHER_CALLER, ContactSource.DIRECTORY, company="Acme Corp")

    names = names_for(mailbox.alice, [CALLER, BOB_NUMBER, OTHER_CALLER, "102", "+19995550000"])

    assert names == {
        CALLER: "Front Desk",
        BOB_NUMBER: "Bob Martinez",
        "102": "Bob Martinez",
        OTHER_CALLER: "Acme Corp",  # no personal name: the company
    }


def test_names_for_many_addresses_in_one_lookup(any_db_mailbox):
    mailbox = any_db_mailbox
    unknown = [f"+1212555{n:04d}" for n in range(200)]

    names = names_for(mailbox.alice, [*unknown, JANE, MARCO, "101", "", JANE])

    assert names == {JANE: "Jane Roe", MARCO: "Marco Rossi", "101": "Alice Chen"}
    assert names_for(mailbox.alice, ["", ""]) == {}


def _ingest(extension, record) -> None:
    ingest_record(extension, record, "sandbox")
    db.session.commit()


def test_rows_carry_the_newest_alive_recording_of_their_own_mailbox(any_db_mailbox):
    mailbox = any_db_mailbox
    alice, bob = mailbox.alice, mailbox.bob
    _ingest(alice, voicemail("vm-1", caller=CALLER, own=ALICE_NUMBER, created=T0))
    _ingest(alice, voicemail("vm-2", caller=CALLER, own=ALICE_NUMBER, created=T0 + minutes(5)))
    # Newer still, but deleted: the row must not offer a recording the thread hides.
    _ingest(
        alice,
        voicemail(
            "vm-3", caller=CALLER, own=ALICE_NUMBER, created=T0 + minutes(9), availability="Deleted"
        ),
    )
    _ingest(alice, voicemail("vm-4", caller=OTHER_CALLER, own=ALICE_NUMBER, created=T0))
    # Bob's own voicemail from the same caller is his, in his own conversation.
    _ingest(bob, voicemail("vm-5", caller=CALLER, own=BOB_NUMBER, created=T0 + minutes(20)))

    with current_app.test_request_context():
        page = list_conversations(alice, ListFilter(tab="voicemail"))
        rows = {row.conversation.addresses[0]: row for row in row_views(alice, page.rows)}
        expected = {
            CALLER: _recording("vm-2-audio"),
            OTHER_CALLER: _recording("vm-4-audio"),
        }
        assert set(rows) == set(expected)
        for caller, attachment in expected.items():
            row = rows[caller]
            assert row.document_url is None
            sig = row.audio_url.split("sig=")[1].split("&")[0]
            assert row.audio_url.startswith(url_for("inbox.attachment", attachment_id=attachment))
            assert read_media_signature(sig, attachment) == alice.id


def _recording(platform_attachment_id: str) -> int:
    return db.session.scalar(
        db.select(Attachment.id).where(Attachment.platform_attachment_id == platform_attachment_id)
    )
