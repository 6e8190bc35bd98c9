"""The Open CTI bridge in real Chromium, with a stand-in ``sforce.opencti`` from the host org.

The host page plays a Salesforce org: it frames the widget with ``sfdcIframeOrigin`` and
serves ``/support/api/<v>/lightning/opencti_min.js``, the stand-in of
``fakes/salesforce/opencti_min.js`` that (like the real one) talks to the host page with
postMessage: calls go up, navigation and click-to-dial events come down.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import quote

import pytest

import fakes.salesforce
from tests.browser.conftest import serve
from tests.browser.person import assert_seen
from tests.browser.widget_steps import (
    deliver_from_jane,
    open_thread,
    sign_in_as_alice,
)

pytestmark = pytest.mark.browser


STAND_IN = (Path(fakes.salesforce.__file__).parent / "opencti_min.js").read_bytes()

HOST = """<!doctype html><html><head><meta charset="utf-8"><title>Salesforce</title></head>
<body><h1>Salesforce org</h1><script>
window.calls = [];
window.addEventListener("message", function (e) {
  if (e.data && e.data.opencti) { window.calls.push(e.data); }
});
function send(event, payload) {
  document.getElementById("softphone").contentWindow.postMessage({event, payload}, "*");
}
</script>
<iframe id="softphone" src="{src}" width="360" height="640"></iframe></body></html>"""


@pytest.fixture
def salesforce_host(live_server):
    holder = {}

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path.endswith("/lightning/opencti_min.js"):
            start_response("200 OK", [("Content-Type", "text/javascript")])
            return [STAND_IN]
        origin = holder["server"].url
        target = f"/widget/?sfdcIframeOrigin={origin}"
        src = f"{live_server.url}/auth/signin?next={quote(target, safe='')}"
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [HOST.replace("{src}", html.escape(src)).encode()]

    server = serve(app, host="127.0.0.1", url_host="localhost")
    holder["server"] = server
    yield server
    server.stop()


def _calls(page, name):
    return [c for c in page.evaluate("window.calls") if c["opencti"] == name]


def test_bridge_screen_pops_and_navigation_preselects_related_to(
    page, live_server, salesforce_host
):
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    conversation_id = deliver_from_jane(live_server, "Hello from Jane")

    page.goto(salesforce_host.url + "/")
    widget = page.frame_locator("#softphone")
    row = sign_in_as_alice(widget, conversation_id)
    page.wait_for_function("() => window.calls.some(c => c.opencti === 'onNavigationChange')")

    thread = open_thread(widget, row, conversation_id)
    page.wait_for_function("() => window.calls.some(c => c.opencti === 'screenPop')")
    [pop] = _calls(page, "screenPop")
    assert pop["args"]["type"] == "sobject"
    jane_id = pop["args"]["params"]["recordId"]

    thread.get_by_role("button", name="Log", exact=True).click()
    panel = widget.locator(f"#log-panel[data-conversation-id='{conversation_id}']")
    expect(panel.get_by_role("radio", name="Jane Roe (Contact)")).to_be_checked()
    assert panel.locator("input[name='record_id']:checked").get_attribute("value") == jane_id
    related = panel.get_by_label("Related to")
    pilot = related.locator("option", has_text="Opportunity: Warehouse SMS pilot")
    pilot_id = pilot.get_attribute("value")
    assert related.input_value() != pilot_id

    # The agent opens the opportunity in Salesforce: the Log panel follows.
    payload = {
        "recordId": pilot_id,
        "objectType": "Opportunity",
        "recordName": "Warehouse SMS pilot",
    }
    page.evaluate(f"send('navigation', {json.dumps(payload)})")
    expect(related).to_have_value(pilot_id)

    # Click-to-dial on a phone field asks "Text or call?"; Text opens Compose with it.
    assert [c["args"] for c in _calls(page, "setSoftphonePanelVisibility")] == []
    page.evaluate("send('dial', {number: '+14155550199', recordId: 'x', objectType: 'Contact'})")
    choice = widget.get_by_role("dialog", name="Text or call +14155550199?")
    text = choice.get_by_role("button", name="Text", exact=True)
    assert_seen(text, "the Text choice")
    assert_seen(choice.get_by_role("link", name="Call", exact=True), "the Call choice")
    text.click()
    expect(choice).to_be_hidden()
    expect(widget.get_by_role("button", name="Send")).to_be_visible()
    expect(widget.locator("#recipient-chips li[data-recipient='+14155550199']")).to_be_visible()
    assert [c["args"] for c in _calls(page, "setSoftphonePanelVisibility")] == [{"visible": True}]
    assert errors == []


def test_click_to_dial_call_hands_the_number_to_the_host_dialer(page, live_server, salesforce_host):
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    conversation_id = deliver_from_jane(live_server, "Hello from Jane")
    page.goto(salesforce_host.url + "/")
    widget = page.frame_locator("#softphone")
    sign_in_as_alice(widget, conversation_id)
    page.wait_for_function("() => window.calls.some(c => c.opencti === 'onClickToDial')")

    # A formatted number as Salesforce shows it; the name comes from the CRM page and is
    # shown as text, never as markup.
    payload = {"number": "(415) 555-0199", "recordName": "<b>Jane</b> Roe", "objectType": "Contact"}
    page.evaluate(f"send('dial', {json.dumps(payload)})")
    choice = widget.get_by_role("dialog", name="Text or call (415) 555-0199?")
    expect(choice).to_be_visible()
    expect(choice.locator(".dial-choice-who")).to_have_text("<b>Jane</b> Roe")
    assert choice.locator("b").count() == 0
    call = choice.get_by_role("link", name="Call", exact=True)
    assert_seen(call, "the Call choice")
    assert call.get_attribute("href") == "tel:4155550199"

    # The operating system's dialer (the softphone app registered for tel:) takes the call;
    # this machine has none, so the test records the hand-over instead of launching it.
    call.evaluate(
        """(link) => link.ownerDocument.addEventListener("click", (e) => {
          window.handedOver = e.target.closest("a") && e.target.closest("a").href;
          e.preventDefault();
        }, {once: true})"""
    )
    call.click()
    expect(choice).to_be_hidden()
    assert widget.locator("body").evaluate("() => window.handedOver") == "tel:4155550199"
    # Nothing else happened: no Compose opened, the list is still what the person sees.
    assert widget.locator("#compose-form").count() == 0

    # Cancel closes the question and changes nothing either.
    page.evaluate(f"send('dial', {json.dumps(payload)})")
    expect(choice).to_be_visible()
    choice.get_by_role("button", name="Cancel").click()
    expect(choice).to_be_hidden()
    assert widget.locator("#compose-form").count() == 0
    assert errors == []
