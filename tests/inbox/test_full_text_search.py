"""Full-text search over all history, on both databases: words, prefixes, transcriptions,
numbers in any format, names, isolation between extensions, and highlighted rows."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.mailbox import ALICE_NUMBER, BOB_NUMBER, MARCO
from tests.records import T0, minutes, sms, voicemail
from widget.extensions import db
from widget.inbox import fragments
from widget.inbox.batch import ingest_page
from widget.inbox.search import highlight
from widget.inbox.service import ListFilter, list_conversations

CUSTOMER = "+12125550147"
OTHER = "+13125550188"


def _search(extension, query: str) -> set[int]:
    return {c.id for c in list_conversations(extension, ListFilter(query=query)).rows}


def _history(mailbox) -> dict[str, int]:
    """Two years of history for Alice, one old message that says 'zephyrine', and Bob's
    own conversation that says it too."""
    old = sms(
        "old-1",
        other=CUSTOMER,
        own=ALICE_NUMBER,
        text="The Zephyrine order shipped",
        created=T0 - minutes(60 * 24 * 700),
    )
    filler = [
        sms(
            f"f{n}",
            other=CUSTOMER if n % 2 else OTHER,
            own=ALICE_NUMBER,
            text=f"routine update {n}",
            created=T0 + minutes(n),
        )
        for n in range(300)
    ]
    transcribed = voicemail("vm-1", caller=OTHER, own=ALICE_NUMBER, created=T0 + minutes(500))
    transcribed["attachments"].append(
        {
            "id": "vm-1-t",
            "uri": "https://platform.example/vm-1/transcription",
            "type": "AudioTranscription",
            "contentType": "text/plain",
        }
    )
    results = ingest_page(
        mailbox.alice,
        [old, *filler, transcribed],
        "ringcentral",
        {"https://platform.example/vm-1/transcription": b"Call me about the quillback invoice"},
    )
    bobs = sms("bob-1", other=CUSTOMER, own=BOB_NUMBER, text="zephyrine for Bob", created=T0)
    ingest_page(mailbox.bob, [bobs], "ringcentral")
    db.session.commit()
    return {
        "old": results["old-1"].message.conversation_id,
        "voicemail": results["vm-1"].message.conversation_id,
    }


def test_a_word_from_old_history_finds_its_conversation_only_in_its_mailbox(any_db_mailbox):
    ids = _history(any_db_mailbox)

    assert _search(any_db_mailbox.alice, "zephyrine") == {ids["old"]}
    assert _search(any_db_mailbox.alice, "ZEPHYR") == {ids["old"]}  # a prefix, any case
    assert _search(any_db_mailbox.alice, "zephyrine shipped") == {ids["old"]}
    assert _search(any_db_mailbox.alice, "zephyrine parcel") == set()  # every word must match
    bob_found = _search(any_db_mailbox.bob, "zephyrine")
    assert len(bob_found) == 1 and ids["old"] not in bob_found


def test_voicemail_transcriptions_are_searched(any_db_mailbox):
    ids = _history(any_db_mailbox)
    assert _search(any_db_mailbox.alice, "quillback") == {ids["voicemail"]}
    assert _search(any_db_mailbox.bob, "quillback") == set()


def test_numbers_match_in_any_format(any_db_mailbox):
    ids = _history(any_db_mailbox)
    for typed in ("(212) 555-0147", "212-555-0147", "+1 212 555 0147", "2125550147"):
        assert ids["old"] in _search(any_db_mailbox.alice, typed), typed


def test_names_find_the_conversations_of_their_numbers(any_db_mailbox):
    ingest_page(
        any_db_mailbox.alice,
        [sms("m-1", other=MARCO, own=ALICE_NUMBER, text="ciao")],
        "ringcentral",
    )
    db.session.commit()
    assert len(_search(any_db_mailbox.alice, "Rossi")) == 1
    assert _search(any_db_mailbox.bob, "Rossi") == set()  # Alice's personal contact


def _row_preview(app, extension, query: str, conversation_id: int):
    with app.test_request_context("/widget/list"):
        page = BeautifulSoup(
            fragments.render_list(extension, ListFilter(query=query)), "html.parser"
        )
    return page.select_one(f"li[data-conversation-id='{conversation_id}'] .preview")


def test_the_row_shows_the_matching_words_marked(app, mailbox):
    ids = _history(mailbox)

    found = _row_preview(app, mailbox.alice, "quillback", ids["voicemail"])

    # The voicemail is shown by the words of its transcription, not "Voicemail (0:20)".
    assert "quillback invoice" in found.get_text()
    assert [m.get_text() for m in found.select("mark")] == ["quillback"]


def test_hostile_text_is_escaped_in_the_highlighted_row(app, mailbox):
    attack = '<script>alert(1)</script> <img src=x onerror=alert(2)> marzipan & "q"'
    results = ingest_page(
        mailbox.alice, [sms("h-1", other=CUSTOMER, own=ALICE_NUMBER, text=attack)], "ringcentral"
    )
    db.session.commit()

    found = _row_preview(app, mailbox.alice, "marzipan", results["h-1"].message.conversation_id)

    assert found.find("script") is None and found.find("img") is None
    assert found.get_text() == attack
    assert [m.get_text() for m in found.select("mark")] == ["marzipan"]


def test_highlight_marks_word_starts_only_and_escapes():
    marked = str(highlight("Ship the <b>shipment</b>, friendship", ["ship"]))
    assert marked == ("<mark>Ship</mark> the &lt;b&gt;<mark>shipment</mark>&lt;/b&gt;, friendship")
