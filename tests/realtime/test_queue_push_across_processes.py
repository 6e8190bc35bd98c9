"""Queue updates across processes: a text to the Support queue and a claim handled by
one server process reach a member's socket on another one, through Redis."""

from __future__ import annotations

import time

import pytest
import requests

from tests.realtime.conftest import connect, frames_until, inbound, parse
from tests.realtime.test_processes import servers  # noqa: F401 (fixture)

SUPPORT = "+16505550150"
CUSTOMER = "+13125550144"


@pytest.mark.redis
def test_arrival_and_claim_reach_another_process(servers, redis_url, alice, bob):  # noqa: F811
    a, b = servers(redis_url), servers(redis_url)
    client = connect(a, bob.token)
    try:
        time.sleep(0.5)  # let a's listener subscribe (a missed frame would be caught up anyway)
        sent = inbound(b, CUSTOMER, SUPPORT, "Anyone in support?")
        arrived = frames_until(client, lambda f: "Anyone in support?" in f, timeout=10)[-1]
        row = parse(arrived).find(attrs={"data-conversation-id": str(sent["conversation_id"])})
        assert row is not None and "Claim" in row.get_text()

        case_id = row["data-case-id"]
        claimed = requests.post(
            f"{b.url}/widget/queues/cases/{case_id}/claim", headers=alice.headers, timeout=10
        )
        assert claimed.status_code == 200
        frame = frames_until(client, lambda f: "Claimed by" in f, timeout=10)[-1]
        gone = parse(frame).find(id=f"case-{case_id}")
        assert "Claimed by Alice Chen" in gone.get_text(" ", strip=True)
    finally:
        client.close()
