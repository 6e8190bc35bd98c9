"""The bridge's record lookup: the matched records of one's own conversation only."""

from __future__ import annotations

JANE = "+14155550123"
ALICE_NUMBER = "+16505550101"


def _conversation(client) -> int:
    response = client.post(
        "/sandbox/inbound", json={"from": JANE, "to": ALICE_NUMBER, "text": "Hi", "type": "SMS"}
    )
    assert response.status_code == 201
    return response.get_json()["conversation_id"]


def test_records_of_a_conversation_for_its_owner_only(demo_app, demo_client, alice, bob):
    cid = _conversation(demo_client)
    url = f"/widget/salesforce/conversations/{cid}/records"

    mine = demo_client.get(url, headers=alice)
    theirs = demo_client.get(url, headers=bob)
    nobody = demo_app.test_client().get(url)  # no cookie, no token

    assert mine.status_code == 200
    body = mine.get_json()
    assert body["phone"] == JANE
    assert [(r["name"], r["type"]) for r in body["records"]] == [("Jane Roe", "Contact")]
    assert theirs.status_code == 404  # another user's conversation does not exist for them
    assert nobody.status_code == 401
    assert (
        demo_client.get(
            "/widget/salesforce/conversations/999999/records", headers=alice
        ).status_code
        == 404
    )
