"""A send whose answer timed out may have gone: it is reconciled, never sent twice.

RingCentral has no idempotency key. The fake does the send and answers after the
client's timeout; the retry must find the message in the message store and adopt it.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.platforms.ringcentral.conftest import rc_app, serving
from tests.platforms.ringcentral.helpers import message_rows, only_conversation_id, signed_in
from widget.extensions import db
from widget.models import MessageStatus, PendingSend

SMS = "POST /restapi/v1.0/account/~/extension/~/sms"


@pytest.fixture
def impatient_server(tmp_path, empty_template, fake_rc):
    """Sidetalk waits 1 s for RingCentral's answers (15 s in production)."""
    app = rc_app(tmp_path, empty_template, fake_rc, RINGCENTRAL_TIMEOUT_SECONDS=1)
    with serving(app, fake_rc) as served:
        yield served


def _reply(served, browser, headers, conversation_id: int, text: str):
    form = browser.get(f"{served.url}/widget/conversations/{conversation_id}", headers=headers)
    key = BeautifulSoup(form.text, "html.parser").find("input", {"name": "idempotency_key"})
    return browser.post(
        f"{served.url}/widget/compose/conversations/{conversation_id}/reply",
        headers=headers,
        data={"idempotency_key": key["value"], "text": text},
    )


def _pending(app) -> int:
    with app.app_context():
        return db.session.query(PendingSend).count()


def test_a_send_accepted_but_unanswered_is_adopted_not_sent_again(impatient_server):
    served, fake = impatient_server, impatient_server.fake
    fake.inbound_sms("+14155550123", "Can you confirm?")
    browser, headers = signed_in(served)
    conversation_id = only_conversation_id(served.app)
    fake.answer_late(SMS, delay=3)  # the send goes out; its answer comes after 1 s

    answer = _reply(served, browser, headers, conversation_id, "Confirmed for 3 pm")

    assert answer.status_code == 200, answer.text
    assert [m["subject"] for m in fake.api.sent] == ["Confirmed for 3 pm"]
    assert fake.call_count("POST", "/sms") == 1
    assert fake.call_count("GET", "/message-store") >= 1  # it looked before sending again
    mine = [m for m in message_rows(served.app) if m.subject == "Confirmed for 3 pm"]
    assert len(mine) == 1
    assert mine[0].platform_message_id == str(fake.api.sent[0]["id"])
    assert mine[0].message_status in (MessageStatus.SENT, MessageStatus.DELIVERED)
    assert mine[0].status_note is None
    assert _pending(served.app) == 0
    thread = browser.get(f"{served.url}/widget/conversations/{conversation_id}", headers=headers)
    assert thread.text.count("Confirmed for 3 pm") == 1


def test_a_send_that_timed_out_unaccepted_is_sent_again_once(impatient_server):
    served, fake = impatient_server, impatient_server.fake
    fake.inbound_sms("+14155550123", "Still on?")
    browser, headers = signed_in(served)
    conversation_id = only_conversation_id(served.app)
    fake.fail_next(SMS, 503, delay=3)  # nothing done, and no answer within the timeout

    answer = _reply(served, browser, headers, conversation_id, "Yes, still on")

    assert answer.status_code == 200, answer.text
    assert _pending(served.app) == 0
    assert [m["subject"] for m in fake.api.sent] == ["Yes, still on"]
    assert fake.call_count("POST", "/sms") == 2  # the lost attempt, then the real one
    mine = [m for m in message_rows(served.app) if m.subject == "Yes, still on"]
    assert len(mine) == 1
    assert mine[0].platform_message_id == str(fake.api.sent[0]["id"])
    assert mine[0].message_status in (MessageStatus.SENT, MessageStatus.DELIVERED)


def test_an_earlier_identical_send_is_not_taken_for_the_lost_one(impatient_server):
    served, fake = impatient_server, impatient_server.fake
    fake.inbound_sms("+14155550123", "ok?")
    browser, headers = signed_in(served)
    conversation_id = only_conversation_id(served.app)
    first = _reply(served, browser, headers, conversation_id, "ok")
    assert first.status_code == 200
    fake.fail_next(SMS, 503, delay=3)

    second = _reply(served, browser, headers, conversation_id, "ok")

    assert second.status_code == 200, second.text
    assert [m["subject"] for m in fake.api.sent] == ["ok", "ok"]  # both really went
    mine = [m for m in message_rows(served.app) if m.subject == "ok"]
    assert len(mine) == 2
    assert {m.platform_message_id for m in mine} == {str(m["id"]) for m in fake.api.sent}


def test_timeouts_every_time_end_sending_failed_with_the_reason_in_words(impatient_server):
    served, fake = impatient_server, impatient_server.fake
    fake.inbound_sms("+14155550123", "Hello?")
    browser, headers = signed_in(served)
    conversation_id = only_conversation_id(served.app)
    fake.fail_next(SMS, 503, delay=2, times=5)  # never done, never answered in time

    answer = _reply(served, browser, headers, conversation_id, "Never arrives")

    assert answer.status_code == 200, answer.text
    assert fake.api.sent == []
    (message,) = [m for m in message_rows(served.app) if m.subject == "Never arrives"]
    assert message.message_status == MessageStatus.SENDING_FAILED
    reason = "Not sent: RingCentral did not answer within 1 s."
    assert message.status_note == reason
    thread = browser.get(f"{served.url}/widget/conversations/{conversation_id}", headers=headers)
    assert reason in thread.text
